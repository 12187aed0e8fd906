#!/usr/bin/env python3
"""Markdown report for bench/tcp.sh.

usage: tcp_report.py --name NAME --peers PEERS_DIR [--commit C] [--invocation CMD]
                     [--skipped "LABEL ..."] [--raw DIR] RESULTS_NAME_DIR

RESULTS_NAME_DIR holds one dir per label (broth-mtu1500, broth-w2-mtu1500,
pasta-mtu65520, ...) with results.jsonl, meta.json, errors.log and
command.txt as bench/tcp.sh copies them, and invocations.txt (one tcp.sh
call per line). Prints: the commands, a ratio table broth/slirp4netns,
broth/pasta and broth/veth-kernel (the kernel reference from the harness's
baseline/) for the key metrics, the targets (met or not), and the median
table of tools/summarize.py.
"""
import argparse
import json
import re
import os
import statistics
import subprocess
import sys
from collections import defaultdict

ENGINE_ORDER = ["broth", "slirp4netns", "pasta"]
PEERS = ["slirp4netns", "pasta"]
BAD_COUNTER = re.compile(r"\b\w*(error|fail|timeout|lost)\w*\s+[1-9]")
# (test, variant, metric, better)
KEY = [
    ("tcp", "g2h-P1", "recv_mbps", "higher"),
    ("tcp", "g2h-P4", "recv_mbps", "higher"),
    ("tcp", "h2g-P1", "recv_mbps", "higher"),
    ("tcp", "h2g-P4", "recv_mbps", "higher"),
    ("fwd", "in-h2g", "recv_mbps", "higher"),
    ("fwd", "in-g2h", "recv_mbps", "higher"),
    ("udp", "g2h-64", "recv_kpps", "higher"),
    ("udp", "g2h-1400", "recv_kpps", "higher"),
    ("udp", "h2g-64", "recv_kpps", "higher"),
    ("udp", "h2g-1400", "recv_kpps", "higher"),
    ("udp", "g2h-64", "loss_pct", "lower"),
    ("udp", "g2h-1400", "loss_pct", "lower"),
    ("udp", "h2g-64", "loss_pct", "lower"),
    ("udp", "h2g-1400", "loss_pct", "lower"),
    ("rr", "tcp-64", "rtt_avg_us", "lower"),
    ("rr", "tcp-64", "rtt_p99_us", "lower"),
    ("rr", "udp-64", "rtt_avg_us", "lower"),
    ("rr", "udp-64", "rtt_p99_us", "lower"),
    ("ping", "gw", "rtt_avg_us", "lower"),
    ("ping", "gw", "loss_pct", "lower"),
    ("ping", "hostaddr", "rtt_avg_us", "lower"),
    ("ping", "hostaddr", "loss_pct", "lower"),
    ("crr", "c1", "conn_per_s", "higher"),
    ("crr", "c32", "conn_per_s", "higher"),
    ("dns", "w1", "qps", "higher"),
    ("dns", "w1-newport", "qps", "higher"),
    ("dns", "w32", "qps", "higher"),
    ("dns", "w1", "lost", "lower"),
    ("dns", "w1-newport", "lost", "lower"),
    ("dns", "w32", "lost", "lower"),
    ("hold", "n5000", "rss_per_conn_kib", "lower"),
    ("hold", "n10000", "rss_per_conn_kib", "lower"),
    ("hold", "n19500", "rss_per_conn_kib", "lower"),
    ("hold", "n0", "rss_mib", "lower"),
    ("hold", "n10000", "rss_mib", "lower"),
    ("hold", "n19500", "rss_mib", "lower"),
    ("hold", "n10000", "open_rate_cps", "higher"),
    ("hold", "n19500", "established", "higher"),
]


def load(d):
    vals = defaultdict(list)
    units = {}
    p = os.path.join(d, "results.jsonl")
    if os.path.exists(p):
        for line in open(p):
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            vals[(r["test"], r["variant"], r["metric"])].append(r["value"])
            units[r["metric"]] = r["unit"]
    return vals, units


def med(vals, k):
    v = vals.get(k)
    return statistics.median(v) if v else None


def fmt(v):
    if v is None:
        return "–"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(a, b):
    if a is None or b is None:
        return "–"
    if b == 0:
        return "–"
    return f"{a / b:.2f}×"


def label_key(label):
    eng, _, mtu = label.rpartition("-mtu")
    e = ENGINE_ORDER.index(eng) if eng in ENGINE_ORDER else 99
    return (int(mtu) if mtu.isdigit() else 0, e, label)


# Targets: (text, test, variant, metric, kind, arg, mtu)
#   kind "x_peer": broth >= arg x the named peer ("best" = the better of
#   slirp4netns and pasta in this run); "x_veth": broth >= arg x veth-kernel
#   (baseline); "max": broth <= arg; "min": broth >= arg.
TARGETS = [
    ("TCP g2h at MTU 1500 ≥ 3× slirp4netns", "tcp", "g2h-P1", "recv_mbps", "x_peer", (3, "slirp4netns"), 1500),
    ("TCP g2h at MTU 1500 ≥ 3× slirp4netns", "tcp", "g2h-P4", "recv_mbps", "x_peer", (3, "slirp4netns"), 1500),
    ("TCP h2g ≥ 2× best peer (MTU 1500)", "tcp", "h2g-P1", "recv_mbps", "x_peer", (2, "best"), 1500),
    ("TCP h2g ≥ 2× best peer (MTU 1500)", "tcp", "h2g-P4", "recv_mbps", "x_peer", (2, "best"), 1500),
    ("TCP g2h at MTU 65520 ≥ 2× best peer", "tcp", "g2h-P1", "recv_mbps", "x_peer", (2, "best"), 65520),
    ("TCP g2h at MTU 65520 ≥ 2× best peer", "tcp", "g2h-P4", "recv_mbps", "x_peer", (2, "best"), 65520),
    ("CPS at 32 connections ≥ 90 % of veth-kernel", "crr", "c32", "conn_per_s", "x_veth", 0.9, 1500),
    ("TCP RTT avg ≤ 40 µs", "rr", "tcp-64", "rtt_avg_us", "max", 40, 1500),
    ("idle connections ≤ 1 KiB RSS each", "hold", "n19500", "rss_per_conn_kib", "max", 1.0, 1500),
    ("19,500 idle connections held", "hold", "n19500", "established", "min", 19500, 1500),
    ("UDP 64-byte g2h ≥ 2× pasta kpps", "udp", "g2h-64", "recv_kpps", "x_peer", (2, "pasta"), 1500),
    ("UDP RTT avg ≤ 40 µs", "rr", "udp-64", "rtt_avg_us", "max", 40, 1500),
    ("DNS new source port per query ≥ 20× best peer", "dns", "w1-newport", "qps", "x_peer", (20, "best"), 1500),
    ("DNS 32 in flight ≥ 1.5× best peer", "dns", "w32", "qps", "x_peer", (1.5, "best"), 1500),
]


def split_label(label):
    eng, _, mtu = label.rpartition("-mtu")
    return eng, (int(mtu) if mtu.isdigit() else 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--invocation", action="append", default=[])
    ap.add_argument("--skipped", default="")
    ap.add_argument("--raw", default="")
    ap.add_argument("dir")
    a = ap.parse_args()

    labels = sorted((x for x in os.listdir(a.dir)
                     if os.path.exists(os.path.join(a.dir, x, "results.jsonl"))), key=label_key)
    dirs = [os.path.join(a.dir, x) for x in labels]
    data = {x: load(d)[0] for x, d in zip(labels, dirs)}
    metas = {}
    for x, d in zip(labels, dirs):
        p = os.path.join(d, "meta.json")
        metas[x] = json.load(open(p)) if os.path.exists(p) else {}
    mtus = sorted({label_key(x)[0] for x in labels})
    extra = sorted({split_label(x)[0] for x in labels} - set(ENGINE_ORDER))  # broth-w2, ...
    invocations = list(a.invocation)
    ip = os.path.join(a.dir, "invocations.txt")
    if os.path.exists(ip):
        invocations += [ln.strip() for ln in open(ip) if ln.strip()]
    suites = []
    for m in metas.values():
        for t in str(m.get("tests", "")).split(","):
            if t and t not in suites:
                suites.append(t)

    def veth_for(mtu):
        vdir = os.path.join(a.peers, "baseline", f"veth-kernel-mtu{mtu}")
        return load(vdir)[0] if os.path.isdir(vdir) else {}

    def val(eng, mtu, k):
        return med(data.get(f"{eng}-mtu{mtu}", {}), k)

    out = []
    w = out.append
    w(f"# NAT benchmark: broth vs slirp4netns vs pasta ({a.name})")
    w("")
    m0 = next((m for m in metas.values() if m), {})
    w(f"broth commit `{a.commit}`. Machine: {m0.get('nproc', '?')} vCPU {m0.get('cpu', '?')}, "
      f"kernel {m0.get('kernel', '?')}. Harness: `../shared/bench/peers` (bench.sh, "
      f"NAT pinned to CPU 1, clients and servers to CPU 0), suites {', '.join(suites) or '?'}. "
      "broth runs with `--workers 1` (one core, like the single-threaded peers)"
      + (f"; {', '.join(extra)} is broth with that many workers (still pinned to CPU 1)" if extra else "")
      + ", and `--dns 127.0.0.1` (its forwarder on 10.0.0.1:53 asks the harness's dnsmasq).")
    if "dirty" in a.commit:
        w("")
        w("`+dirty`: the work tree had uncommitted changes under engine/, apps/ or include/ "
          "when the run started; the numbers are for the binary they built (sha256 prefix above).")
    w("")
    w("**Noise:** 2 cores, and other sessions ran tests on the same machine at the same time, "
      "so single runs can be off by 2× (see the [min–max] spreads in the baseline). "
      "Read ratios within about ±30 % as a tie. Runs per cell: "
      + ", ".join(f"{x} {metas[x].get('runs', '?')}×{metas[x].get('duration_s', '?')} s" for x in labels) + ".")
    w("")
    w("## Commands")
    w("")
    w("```sh")
    for inv in invocations or ["bench/tcp.sh"]:
        w(f"sudo {inv}")
    w("```")
    w("")
    w("It ran, per MTU and engine (load average before/after in the comment):")
    w("")
    w("```sh")
    for x, d in zip(labels, dirs):
        p = os.path.join(d, "command.txt")
        if os.path.exists(p):
            w(open(p).read().rstrip())
    w("```")
    w("")
    if a.skipped.strip():
        w(f"Skipped (time budget): {a.skipped.strip()}.")
        w("")
    if a.raw:
        w(f"Raw result dirs (tool outputs, commands.log, peer logs) were in `{a.raw}` on the bench "
          f"machine; `{a.name}/LABEL/` keeps results.jsonl, meta.json, errors.log, command.txt "
          "(and broth.log for broth), enough to recompute every table with "
          f"`tools/summarize.py --spread bench/results/{a.name}/*`.")
        w("")

    w("## Targets")
    w("")
    w("Medians of this run; \"best peer\" is the better of slirp4netns and pasta in this run, "
      "veth-kernel is the harness's baseline (no NAT, measured earlier on a machine like this one).")
    w("")
    hdr = "| target | variant | broth | " + "".join(f"{e} | " for e in extra) + "reference | broth/reference | met |"
    w(hdr)
    w("|" + "---|" * (hdr.count("|") - 1))
    for text, t, v, m, kind, arg, mtu in TARGETS:
        k = (t, v, m)
        bv = val("broth", mtu, k)
        ev = [val(e, mtu, k) for e in extra]
        ref, refname, need, ok = None, "", None, None
        if kind == "x_peer":
            fac, who = arg
            if who == "best":
                cands = [(val(pn, mtu, k), pn) for pn in PEERS]
                cands = [c for c in cands if c[0] is not None]
                if cands:
                    ref, refname = max(cands)
            else:
                ref, refname = val(who, mtu, k), who
            if bv is not None and ref:
                ok = bv >= fac * ref
            rtxt = f"{fmt(ref)} ({refname})" if ref is not None else "–"
            rat = ratio(bv, ref) + f" (need ≥ {fac}×)"
        elif kind == "x_veth":
            ref = med(veth_for(mtu), k)
            if bv is not None and ref:
                ok = bv >= arg * ref
            rtxt = f"{fmt(ref)} (veth-kernel)"
            rat = ratio(bv, ref) + f" (need ≥ {arg}×)"
        elif kind == "max":
            ok = None if bv is None else bv <= arg
            rtxt, rat = f"≤ {fmt(arg)}", "–"
        else:
            ok = None if bv is None else bv >= arg
            rtxt, rat = f"≥ {fmt(arg)}", "–"
        mark = "–" if ok is None else ("**yes**" if ok else "no")
        w(f"| {text} | {t} {v} {m} | {fmt(bv)} | " + "".join(f"{fmt(x)} | " for x in ev)
          + f"{rtxt} | {rat} | {mark} |")

    w("")
    w("## Ratios (medians)")
    w("")
    w("broth/peer > 1 means broth is higher; read it against the `better` column. "
      "veth-kernel is the kernel veth reference (no NAT) from the harness's `baseline/`, "
      "measured earlier on a machine like this one, not in this run.")
    for mtu in mtus:
        b = f"broth-mtu{mtu}"
        s = f"slirp4netns-mtu{mtu}"
        p = f"pasta-mtu{mtu}"
        veth = veth_for(mtu)
        rows = []
        for t, v, m, better in KEY:
            k = (t, v, m)
            vals = [med(data.get(x, {}), k) for x in (b, s, p)]
            evals = [val(e, mtu, k) for e in extra]
            if all(x is None for x in vals + evals):
                continue
            bv, sv, pv = vals
            # veth-kernel's "NAT" is a sleep process: its hold RSS means nothing
            vv = med(veth, k) if not (t == "hold" and m.startswith("rss")) else None
            cpu = med(data.get(b, {}), (t, v, "nat_cpu_pct"))
            rows.append(f"| {t} | {v} | {m} | {better} | {fmt(bv)} | " + "".join(f"{fmt(x)} | " for x in evals)
                        + f"{fmt(sv)} | {fmt(pv)} | {fmt(vv)} | "
                        f"**{ratio(bv, sv)}** | **{ratio(bv, pv)}** | {ratio(bv, vv)} | {fmt(cpu)} |")
        if not rows:
            continue
        w("")
        w(f"### MTU {mtu}")
        w("")
        h = ("| test | variant | metric | better | broth | " + "".join(f"{e} | " for e in extra)
             + "slirp4netns | pasta | veth-kernel (baseline) "
             "| broth/slirp4netns | broth/pasta | broth/veth | broth nat_cpu_pct |")
        w(h)
        w("|" + "---|" * (h.count("|") - 1))
        out.extend(rows)
    w("")
    w("## Median table (tools/summarize.py --spread)")
    w("")
    summ = os.path.join(a.peers, "tools", "summarize.py")
    r = subprocess.run([sys.executable, summ, "--spread", *dirs], capture_output=True, text=True)
    w(r.stdout.rstrip())
    if r.returncode:
        w(f"\n(summarize.py failed: {r.stderr.strip()})")
    logs = [(x, os.path.join(d, "broth.log")) for x, d in zip(labels, dirs)
            if os.path.exists(os.path.join(d, "broth.log"))]
    if logs:
        w("")
        w("## broth log lines (each suite restarts broth; its exit counters: drop totals, "
          "port errors, mbufs still held at exit, any other line)")
        w("")
        w("```")
        for x, p in logs:
            lines = [ln.rstrip() for ln in open(p, errors="replace")]
            free = [int(ln.split("mbufs_free")[1].split()[0]) for ln in lines
                    if ln.startswith("stats: port") and "mbufs_free" in ln]
            fmax = max(free) if free else None
            keep = []
            for ln in lines:
                if not ln or ln.startswith("broth: ready"):
                    continue
                if ln.startswith("stats:"):
                    low = ln.lower()
                    port_bad = ln.startswith("stats: port") and (
                        any(f"{k} 0" not in ln for k in ("rx_missed", "rx_errors", "tx_errors"))
                        or (fmax is not None and "mbufs_free" in ln
                            and int(ln.split("mbufs_free")[1].split()[0]) < fmax))
                    # "drop ..." lines, and counters named *error*/*fail*/*timeout*/*lost*
                    # with a value above 0 (not "icmp_errors_relayed 0")
                    total_bad = ("workers total:" in ln or "slowpath:" in ln) and (
                        "drop" in low or BAD_COUNTER.search(low) is not None)
                    if not (port_bad or total_bad):
                        continue
                keep.append(ln)
            seen = set()
            uniq = [ln for ln in keep if not (ln in seen or seen.add(ln))]
            for ln in uniq[:40]:
                w(f"{x}: {ln}")
            if len(uniq) > 40:
                w(f"{x}: ... {len(uniq) - 40} more distinct lines")
        w("```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
