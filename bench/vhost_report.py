#!/usr/bin/env python3
"""vhost_report.py - the report of bench/vhost.sh from its raw directory

    bench/vhost_report.py bench/results/NAME bench/results/NAME.md

Reads NAME/runs/CONFIG-MODE-rN/ (snapshots a/ and b/, gen.log, sink.log,
quiet) and NAME/profile/, writes NAME/runs.csv (one row per run and metric)
and NAME.md. Text after a line "<!-- analysis -->" in an existing NAME.md is
kept: that is where a person's reading of the numbers goes.
"""
import csv
import os
import re
import statistics
import sys

CLK = os.sysconf("SC_CLK_TCK")
MODES = ["null", "arp", "ping", "mcast", "badsum", "rst", "udp", "udprr", "syn"]
CONFIGS = ["w1", "w2", "w2x1"]
HEADLINE = {
    "null": "frames/s consumed (unknown EtherType, dropped at once): the port's own cost",
    "arp": "ARP replies/s received by the guest",
    "ping": "echo replies/s received by the guest",
    "mcast": "frames/s consumed (parsed, classified, dropped) by broth's workers",
    "badsum": "frames/s consumed (checksum-checked, dropped) by broth's workers",
    "rst": "frames/s consumed (parsed, classified, flow looked up, dropped) by broth's workers",
    "udp": "datagrams/s delivered to the sink socket (Udp InDatagrams)",
    "udprr": "udp, flows dealt round-robin over the queues (most frames handed to another worker)",
    "syn": "connection attempts/s answered with SYN-ACK",
}
MARK = "<!-- analysis -->"


def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", line)}


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def tasks(text):
    """snap's tasks file -> {"PROCESS/THREAD": (run_ns, wait_ns)}; a name
    seen twice in one process (EAL threads) gets a ' per repeat"""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 4:
            continue
        key = f"{f[0]}/{f[1]}"
        while key in out:
            key += "'"
        out[key] = (int(f[2]), int(f[3]))
    return out


def cpu_busy(text):
    """/proc/stat -> (busy ticks, softirq+irq ticks, total ticks), all CPUs"""
    for line in text.splitlines():
        if line.startswith("cpu "):
            v = [int(x) for x in line.split()[1:9]]
            busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
            return busy, v[5] + v[6], sum(v)
    return 0, 0, 0


def snmp(text):
    out, hdr = {}, {}
    for line in text.splitlines():
        proto, _, rest = line.partition(":")
        vals = rest.split()
        if proto in hdr:
            for k, v in zip(hdr.pop(proto), vals):
                out[f"{proto}.{k}"] = int(v)
        else:
            hdr[proto] = vals
    return out


def broth_counters(text):
    """SIGUSR1 dump -> {"wK.rx": n, ..., "wK.drop.NAME": n, "sp.rx": n}"""
    out = {}
    for line in text.splitlines():
        m = re.match(r"stats: (worker (\d+)|slowpath): (rx .*)", line)
        if m:
            who = f"w{m.group(2)}" if m.group(2) else "sp"
            for k, v in re.findall(r"(\w+) (\d+)", m.group(3)):
                out[f"{who}.{k}"] = int(v)
            continue
        m = re.match(r"stats: (worker (\d+)|slowpath):\s+drop (\S+) (\d+)", line)
        if m:
            who = f"w{m.group(2)}" if m.group(2) else "sp"
            out[f"{who}.drop.{m.group(3)}"] = int(m.group(4))
            continue
        m = re.match(r"stats: worker (\d+):\s+(udp|tcp) opened (\d+)", line)
        if m:
            out[f"w{m.group(1)}.{m.group(2)}_opened"] = int(m.group(3))
    return out


def analyse(d):
    """One run directory -> dict of metrics (rates per second, CPU in %)"""
    a, b = os.path.join(d, "a"), os.path.join(d, "b")
    if not os.path.exists(os.path.join(b, "t")):
        return None
    dt = float(read(os.path.join(b, "t"))) - float(read(os.path.join(a, "t")))
    r = {"window_s": dt}
    gen = [l for l in read(os.path.join(d, "gen.log")).splitlines()
           if l.startswith("summary")]
    if gen:
        for k, v in kv(gen[0]).items():
            if k.endswith("_pps") or k == "ring_full_pct":
                r[f"gen.{k}"] = v
    sa, sb = snmp(read(os.path.join(a, "snmp"))), snmp(read(os.path.join(b, "snmp")))
    for k in ["Udp.InDatagrams", "Udp.OutDatagrams", "Udp.RcvbufErrors",
              "Udp.NoPorts", "Tcp.ActiveOpens", "Tcp.PassiveOpens"]:
        if k in sa and k in sb:
            r[f"snmp.{k}"] = (sb[k] - sa[k]) / dt
    ba, bb = broth_counters(read(os.path.join(a, "broth"))), \
        broth_counters(read(os.path.join(b, "broth")))
    for k in bb:
        if k in ba:
            r[f"broth.{k}"] = (bb[k] - ba[k]) / dt
    r["broth.rx"] = sum(v for k, v in r.items()
                        if re.match(r"broth\.w\d+\.rx$", k))
    # CPU (exact, schedstat) of each thread of broth and of the generator,
    # sink or floor process; the machine as a whole from /proc/stat (ticks)
    ta, tb = tasks(read(os.path.join(a, "tasks"))), tasks(read(os.path.join(b, "tasks")))
    ours = 0.0
    for key, (run, wait) in tb.items():
        if key not in ta:
            continue
        proc, thread = key.split("/", 1)
        cpu = 100.0 * (run - ta[key][0]) / 1e9 / dt
        delay = 100.0 * (wait - ta[key][1]) / 1e9 / dt
        ours += cpu
        if proc == "broth":
            r[f"cpu.{thread}"] = cpu
            r[f"wait.{thread}"] = delay
        else:
            r[f"cpu.{proc}"] = r.get(f"cpu.{proc}", 0.0) + cpu
            r[f"wait.{proc}"] = r.get(f"wait.{proc}", 0.0) + delay
    (b0, s0, _), (b1, s1, _) = cpu_busy(read(os.path.join(a, "stat"))), \
        cpu_busy(read(os.path.join(b, "stat")))
    r["cpu.machine"] = 100.0 * (b1 - b0) / CLK / dt
    r["cpu.softirq"] = 100.0 * (s1 - s0) / CLK / dt
    # tick accounting: softirq ticks are also in the time of whoever ran
    r["cpu.other"] = max(0.0, r["cpu.machine"] - ours)
    r["cpu.workers"] = sum(v for k, v in r.items() if re.match(r"cpu\.broth-w\d+$", k))
    r["wait.workers"] = sum(v for k, v in r.items() if re.match(r"wait\.broth-w\d+$", k))
    q = kv(read(os.path.join(d, "quiet")))
    r["busy_before_pct"] = q.get("busy_before_pct", float("nan"))
    return r


def headline(cfg, mode, r):
    if cfg == "floor":
        return r.get("snmp.Udp.InDatagrams") if mode.startswith("udp") else \
            r.get("snmp.Tcp.ActiveOpens")
    if mode == "arp":
        return r.get("gen.arp_pps")
    if mode == "ping":
        return r.get("gen.echo_pps")
    if mode in ("null", "mcast", "badsum", "rst"):
        return r.get("broth.rx")
    if mode in ("udp", "udprr"):
        return r.get("snmp.Udp.InDatagrams")
    return r.get("gen.synack_pps")


def fmt(v):
    if v is None or v != v:
        return "n/a"
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e3:
        return f"{v / 1e3:.0f} k"
    return f"{v:.0f}"


def pct(v):
    return "n/a" if v is None or v != v else f"{v:.0f}"


def main():
    raw, md = sys.argv[1], sys.argv[2]
    runs = {}   # (cfg, mode) -> [(run, metrics)]
    rundir = os.path.join(raw, "runs")
    for name in sorted(os.listdir(rundir)) if os.path.isdir(rundir) else []:
        m = re.match(r"(\w+)-(\w+)-r(\d+)$", name)
        r = analyse(os.path.join(rundir, name)) if m else None
        if r is not None:
            r["headline"] = headline(m.group(1), m.group(2), r)
            runs.setdefault((m.group(1), m.group(2)), []).append((int(m.group(3)), r))
    with open(os.path.join(raw, "runs.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["config", "mode", "run", "metric", "value"])
        for (cfg, mode), lst in sorted(runs.items()):
            for n, r in lst:
                for k, v in sorted(r.items()):
                    if v is not None:
                        w.writerow([cfg, mode, n, k, f"{v:.3f}"])

    def med(cfg, mode, key="headline"):
        vals = [r[key] for _, r in runs.get((cfg, mode), [])
                if r.get(key) is not None and r.get(key) == r.get(key)]
        return statistics.median(vals) if vals else None

    def med_eff(cfg, mode):
        if mode == "arp":   # answered by the slow-path thread, not the workers
            return None
        vals = [r["headline"] / (r["cpu.workers"] / 100) for _, r in runs.get((cfg, mode), [])
                if r.get("headline") and r.get("cpu.workers")]
        return statistics.median(vals) if vals else None

    def spread(cfg, mode):
        vals = [r["headline"] for _, r in runs.get((cfg, mode), [])
                if r.get("headline") is not None]
        if not vals:
            return "n/a"
        if len(vals) == 1:
            return fmt(vals[0])
        return f"{fmt(statistics.median(vals))} ({fmt(min(vals))}–{fmt(max(vals))})"

    def median_run(cfg, mode):
        lst = [r for _, r in runs.get((cfg, mode), []) if r.get("headline") is not None]
        lst.sort(key=lambda r: r["headline"])
        return lst[len(lst) // 2] if lst else None

    modes = [m for m in MODES if any((c, m) in runs for c in CONFIGS)]
    cfgs = [c for c in CONFIGS if any((c, m) in runs for m in MODES)]
    meta = read(os.path.join(raw, "meta.txt"))
    out = []
    out.append(f"# broth over vhost-user: packet rates with vhostgen ({os.path.basename(raw)})\n")
    out.append("Generated by `bench/vhost.sh` and `bench/vhost_report.py`; raw data in "
               f"`{os.path.basename(raw)}/` (runs.csv, one directory per run).\n")
    out.append("```\n" + meta.strip() + "\n```\n")
    out.append("All frames are 64 bytes on the wire (60 handed to the virtqueue). "
               "vhostgen is a DPDK virtio_user client in its own process on "
               "broth's vhost-user socket: it sends pre-built frames in bursts "
               "of 32 on one queue pair per broth worker, and UDP/TCP flows "
               "on the queue of the worker that owns them (RSS by broth's "
               "flow hash, so no handoffs between workers). Values: median "
               "over runs (min–max).\n")
    out.append("Placement on the 2 CPUs: **w1** broth on CPU 1, generator + sink "
               "on CPU 0. **w2** worker 0 on CPU 0 *sharing it with the "
               "generator and the sink*, worker 1 on CPU 1 (oversubscribed: "
               "3 busy threads on 2 cores). **w2x1** two workers on CPU 1 only. "
               "**floor** no broth: `vhostfloor` makes the same socket calls "
               "itself on CPU 1.\n")
    out.append("## Rates\n")
    hdr = "| mode | what | " + " | ".join(cfgs) + " | w2 / w1 | w2x1 / w1 | kernel floor (1 core) |"
    out.append(hdr)
    out.append("|" + "---|" * (hdr.count("|") - 1))
    for mode in modes:
        row = [mode, HEADLINE[mode]] + [spread(c, mode) for c in cfgs]
        w1 = med("w1", mode)
        for c in ("w2", "w2x1"):
            v = med(c, mode)
            row.append(f"{v / w1:.2f}" if v and w1 else "n/a")
        row.append(spread("floor", mode) if ("floor", mode) in runs else "")
        out.append("| " + " | ".join(row) + " |")
    out.append("")

    out.append("## Rates per worker-core\n")
    out.append("The same runs, each rate divided by the CPU the workers got "
               "(schedstat; median over runs): what the workers do per core "
               "they actually ran on. For `floor`, per core of vhostfloor.\n")
    hdr = "| mode | " + " | ".join(cfgs) + " | w2 / w1 | floor |"
    out.append(hdr)
    out.append("|" + "---|" * (hdr.count("|") - 1))
    for mode in modes:
        row = [mode] + [fmt(med_eff(c, mode)) for c in cfgs]
        e1, e2 = med_eff("w1", mode), med_eff("w2", mode)
        row.append(f"{e2 / e1:.2f}" if e1 and e2 else "n/a")
        fl = [r["headline"] / (r["cpu.vhostfloor"] / 100) for _, r in runs.get(("floor", mode), [])
              if r.get("headline") and r.get("cpu.vhostfloor")]
        row.append(fmt(statistics.median(fl)) if fl else "")
        out.append("| " + " | ".join(row) + " |")
    out.append("")

    out.append("## Targets\n")
    out.append("Wall-clock rates depend on how much CPU this shared machine left "
               "the workers; the rate per worker-core (rate / CPU the workers "
               "got, median over runs) does not, as long as broth is the "
               "bottleneck (`ring full` high).\n")
    for m in ("ping", "mcast", "badsum", "rst"):
        v, e = med("w1", m), med_eff("w1", m)
        if not v:
            continue
        out.append(f"- ≥ 10 Mpps per worker for frames broth answers or drops "
                   f"itself — `{m}`, one worker: {fmt(v)}pps wall-clock with "
                   f"{pct(med('w1', m, 'cpu.workers'))} % of a core; "
                   f"{fmt(e)}pps per worker-core: "
                   f"**{'met' if e and e >= 10e6 else 'not met'}** per core")
    u1, u2 = med("w1", "udp"), med("w2", "udp")
    e1, e2 = med_eff("w1", "udp"), med_eff("w2", "udp")
    if u1 and u2:
        out.append(f"- ≥ 1.8× from one worker to two for UDP to sockets: "
                   f"{u2 / u1:.2f}× wall-clock (w2: 2 workers + generator + "
                   f"sink on 2 shared cores): **{'met' if u2 / u1 >= 1.8 else 'not met'}**; "
                   f"per worker-core w2/w1 = {e2 / e1:.2f}, i.e. "
                   f"{2 * e2 / e1:.2f}× projected for two workers with a core "
                   f"each (an extrapolation, not a measurement)")
    out.append("")

    out.append("## Where each run's CPU went (median run)\n")
    out.append("CPU in % of one core over the window (schedstat). `workers waiting` = "
               "time each worker was runnable but had no CPU (run delay): "
               "the cost of sharing cores. `ring full` = share of the "
               "generator's bursts that the virtqueue could not take whole "
               "(high: broth is the bottleneck; low: the generator is). "
               "`per worker-core` = the rate divided by the CPU the workers "
               "got: what one worker does with a whole core (≥ where the "
               "generator was the bottleneck). `generator per core` = frames "
               "the generator sent per second of its own CPU. `softirq` = "
               "kernel softirq time, already counted in whichever thread it "
               "interrupted (loopback delivery runs in broth's sendmsg). `other` = CPU "
               "used by processes that are not part of the run (this machine "
               "is shared with other sessions' tests) — a run with a high "
               "`other` is disturbed.\n")
    out.append("| mode | config | rate | ring full % | per worker-core | generator per core | workers' CPU | workers waiting | broth other threads | generator | sink | softirq | other |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in modes:
        for c in cfgs + ["floor"]:
            r = median_run(c, mode)
            if not r:
                continue
            if c == "floor":
                fc = r.get("cpu.vhostfloor")
                out.append(f"| {mode} | floor | {fmt(r['headline'])} | | "
                           f"{fmt(r['headline'] / (fc / 100)) if fc else 'n/a'} | | "
                           f"vhostfloor {pct(fc)} | {pct(r.get('wait.vhostfloor'))} | | | "
                           f"{pct(r.get('cpu.vhostsink'))} "
                           f"| {pct(r.get('cpu.softirq'))} | {pct(r.get('cpu.other'))} |")
                continue
            wcpu = [f"{r[k]:.0f}" for k in sorted(r) if re.match(r"cpu\.broth-w\d+$", k)]
            wwait = [f"{r[k]:.0f}" for k in sorted(r) if re.match(r"wait\.broth-w\d+$", k)]
            others = sum(v for k, v in r.items() if k.startswith("cpu.") and
                         re.match(r"cpu\.(broth|eal-intr-thread|vhost-events|broth-slow)'*$", k))
            eff = r["headline"] / (r["cpu.workers"] / 100) \
                if r.get("cpu.workers") and mode != "arp" else None
            # a generator that rarely filled the ring left the workers idle
            # part of their CPU time: their rate per core is then at least this
            ge = "≥ " if r.get("gen.ring_full_pct", 100) < 50 else ""
            gcpu = r.get("cpu.vhostgen")
            gen = r.get("gen.tx_pps", 0) + r.get("gen.rst_tx_pps", 0)
            out.append(f"| {mode} | {c} | {fmt(r['headline'])} | {pct(r.get('gen.ring_full_pct'))} "
                       f"| {ge}{fmt(eff)} | {fmt(gen / (gcpu / 100)) if gcpu else 'n/a'} "
                       f"| {' + '.join(wcpu)} | {' + '.join(wwait)} | {others:.0f} "
                       f"| {pct(r.get('cpu.vhostgen'))} | {pct(r.get('cpu.vhostsink'))} "
                       f"| {pct(r.get('cpu.softirq'))} | {pct(r.get('cpu.other'))} |")
    out.append("")

    out.append("## broth's per-worker counters (SIGUSR1 deltas over the window, median run, per second)\n")
    out.append("| mode | config | worker | rx | tx | answered | to slow path | handoff out | handoff in | drops |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for mode in modes:
        for c in cfgs:
            r = median_run(c, mode)
            if not r:
                continue
            for who in sorted({k.split(".")[1] for k in r if re.match(r"broth\.(w\d+|sp)\.", k)}):
                g = lambda k: r.get(f"broth.{who}.{k}", 0.0)
                drops = sorted(((v, k.split(".", 3)[3]) for k, v in r.items()
                                if k.startswith(f"broth.{who}.drop.") and v > 0), reverse=True)
                ds = ", ".join(f"{n} {fmt(v)}" for v, n in drops[:3]) or "-"
                name = "slow path" if who == "sp" else who
                out.append(f"| {mode} | {c} | {name} | {fmt(g('rx'))} | {fmt(g('tx'))} "
                           f"| {fmt(g('answered'))} | {fmt(g('to_slowpath'))} "
                           f"| {fmt(g('handoff_out'))} | {fmt(g('handoff_in'))} | {ds} |")
    out.append("")

    prof = os.path.join(raw, "profile")
    if os.path.isdir(prof):
        out.append("## Profiles: broth, one worker (perf record -e cpu-clock, flat, top symbols)\n")
        for mode in modes:
            txt = read(os.path.join(prof, f"w1-{mode}", "perf.txt"))
            if not txt:
                continue
            dso = read(os.path.join(prof, f"w1-{mode}", "perf-dso.txt"))
            by = ", ".join(f"{l.split()[1]} {l.split()[0]}" for l in dso.splitlines()[:6]
                           if len(l.split()) >= 2)
            out.append(f"`{mode}` — by object: {by}\n```")
            out.extend(l.rstrip() for l in txt.splitlines()[:14])
            out.append("```")
        out.append("")

    out.append("## Commands\n")
    out.append("```")
    inv = read(os.path.join(raw, "invocations.txt")).splitlines() or \
        re.findall(r"invocation: (.*)", meta)
    out.extend("sudo " + l for l in inv)
    shown = set()
    for (c, mode), lst in sorted(runs.items()):
        if c in shown:
            continue
        shown.add(c)
        cmd = read(os.path.join(rundir, f"{c}-{mode}-r{lst[0][0]}", "command.txt")).strip()
        cmd = re.sub(r"\S*/bin/broth\b", "build/apps/broth/broth", cmd)
        cmd = re.sub(r"\S*/bin/(vhost\w+)", r"build/bench/vhostgen/\1", cmd)
        out.append(f"# {c} ({mode}):")
        out.append(cmd)
    out.append("```\n")
    kept = read(md)
    tail = kept[kept.index(MARK):] if MARK in kept else MARK + "\n"
    with open(md, "w") as f:
        f.write("\n".join(out) + "\n" + tail)


if __name__ == "__main__":
    main()
