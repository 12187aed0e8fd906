#!/usr/bin/env python3
"""Markdown report for bench/tcp.sh.

usage: tcp_report.py --name NAME --peers PEERS_DIR [--commit C] [--invocation CMD]
                     [--skipped "LABEL ..."] [--raw DIR] RESULTS_NAME_DIR

RESULTS_NAME_DIR holds one dir per label (broth-mtu1500, pasta-mtu65520, ...)
with results.jsonl, meta.json, errors.log and command.txt as bench/tcp.sh
copies them. Prints: the commands, a ratio table broth/slirp4netns,
broth/pasta and broth/veth-kernel (the kernel reference from the harness's
baseline/) for the key metrics, and the median table of tools/summarize.py.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
from collections import defaultdict

ENGINE_ORDER = ["broth", "slirp4netns", "pasta"]
# (test, variant, metric, better)
KEY = [
    ("tcp", "g2h-P1", "recv_mbps", "higher"),
    ("tcp", "g2h-P4", "recv_mbps", "higher"),
    ("tcp", "h2g-P1", "recv_mbps", "higher"),
    ("tcp", "h2g-P4", "recv_mbps", "higher"),
    ("fwd", "in-h2g", "recv_mbps", "higher"),
    ("fwd", "in-g2h", "recv_mbps", "higher"),
    ("rr", "tcp-64", "rtt_avg_us", "lower"),
    ("rr", "tcp-64", "rtt_p99_us", "lower"),
    ("rr", "udp-64", "rtt_avg_us", "lower"),
    ("crr", "c1", "conn_per_s", "higher"),
    ("crr", "c32", "conn_per_s", "higher"),
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--commit", default="unknown")
    ap.add_argument("--invocation", default="")
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

    out = []
    w = out.append
    w(f"# TCP benchmark: broth vs slirp4netns vs pasta ({a.name})")
    w("")
    m0 = next((m for m in metas.values() if m), {})
    w(f"broth commit `{a.commit}`. Machine: {m0.get('nproc', '?')} vCPU {m0.get('cpu', '?')}, "
      f"kernel {m0.get('kernel', '?')}. Harness: `../shared/bench/peers` (bench.sh, "
      "NAT pinned to CPU 1, clients and servers to CPU 0), suites tcp, rr, crr, hold, fwd "
      "(the TCP suites; `rr` always runs its `udp-64` variant too, `udp`/`dns`/`ping` are left out). broth runs with `--workers 1` "
      "(one core, like the single-threaded peers).")
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
    w(f"sudo {a.invocation}" if a.invocation else "sudo bench/tcp.sh")
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
    w("Full run (3 repetitions of 10 s per cell; about three times as long as `RUNS=1`, ~30 min here):")
    w("")
    w("```sh")
    w("sudo RUNS=3 DURATION=10 BUDGET_MIN=90 bench/tcp.sh")
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

    w("## Ratios (medians)")
    w("")
    w("broth/peer > 1 means broth is higher; read it against the `better` column. "
      "veth-kernel is the kernel veth reference (no NAT) from the harness's `baseline/`, "
      "measured earlier on a machine like this one, not in this run.")
    for mtu in mtus:
        b = f"broth-mtu{mtu}"
        s = f"slirp4netns-mtu{mtu}"
        p = f"pasta-mtu{mtu}"
        vdir = os.path.join(a.peers, "baseline", f"veth-kernel-mtu{mtu}")
        veth = load(vdir)[0] if os.path.isdir(vdir) else {}
        rows = []
        for t, v, m, better in KEY:
            k = (t, v, m)
            vals = [med(data.get(x, {}), k) for x in (b, s, p)]
            if all(x is None for x in vals):
                continue
            bv, sv, pv = vals
            # veth-kernel's "NAT" is a sleep process: its hold RSS means nothing
            vv = med(veth, k) if not (t == "hold" and m.startswith("rss")) else None
            cpu = med(data.get(b, {}), (t, v, "nat_cpu_pct"))
            rows.append(f"| {t} | {v} | {m} | {better} | {fmt(bv)} | {fmt(sv)} | {fmt(pv)} | {fmt(vv)} | "
                        f"**{ratio(bv, sv)}** | **{ratio(bv, pv)}** | {ratio(bv, vv)} | {fmt(cpu)} |")
        if not rows:
            continue
        w("")
        w(f"### MTU {mtu}")
        w("")
        w("| test | variant | metric | better | broth | slirp4netns | pasta | veth-kernel (baseline) "
          "| broth/slirp4netns | broth/pasta | broth/veth | broth nat_cpu_pct |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|")
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
        w("## broth log lines (each suite restarts broth; its exit counters: drop totals, port errors, any other line)")
        w("")
        w("```")
        for x, p in logs:
            keep = []
            for ln in open(p, errors="replace"):
                ln = ln.rstrip()
                if not ln or ln.startswith("broth: ready"):
                    continue
                if ln.startswith("stats:"):
                    # totals only: drops, and port counters with errors
                    if not (("workers total:" in ln and "drop" in ln)
                            or (ln.startswith("stats: port") and
                                any(f"{k} 0" not in ln for k in ("rx_missed", "rx_errors", "tx_errors")))):
                        continue
                keep.append(ln)
            seen = set()
            uniq = [ln for ln in keep if not (ln in seen or seen.add(ln))]
            for ln in uniq[:30]:
                w(f"{x}: {ln}")
            if len(uniq) > 30:
                w(f"{x}: ... {len(uniq) - 30} more distinct lines")
        w("```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
