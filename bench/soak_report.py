#!/usr/bin/env python3
"""soak_report.py - the markdown summary of a bench/soak.sh CSV.

    soak_report.py CSV OUT.md [--title T] [--meta LINE]... [--counters TEXT]
                   [--rss-limit-mb M] [--warmup S]

For broth's RSS, fd count, TCP and UDP sockets and live TCP flows: first,
last, min, max, mean, the value at the end of the warm-up (default 60 s, or
a tenth of a short run), the growth from there to the end, and the
least-squares slope over the samples after the warm-up, and over the second
half of the run, per 10 minutes.
Then the traffic totals and rates. Exit 1 when an operation failed or the
RSS grew by more than M MiB (default 16) after the warm-up. The verdict
says "flat" when the RSS slope of the second half is at most --flat-mib
(default 0.5) MiB per 10 minutes.
"""
import argparse
import csv
import sys

SERIES = [
    ("rss_kb", "broth RSS (MiB)", 1 / 1024),
    ("fds", "broth open fds", 1),
    ("tcp_socks", "broth TCP sockets (ss)", 1),
    ("udp_socks", "broth UDP sockets (ss)", 1),
    ("tcp_live", "live TCP flows (opened - closed)", 1),
]
TRAFFIC = [
    ("xfer", "32 MiB downloads (sha256 checked)"),
    ("churn", "TCP connections (64-byte echo)"),
    ("dns", "DNS queries (new source port each)"),
    ("udp", "UDP echoes"),
]


def slope(ts, vs):
    n = len(ts)
    if n < 2:
        return 0.0
    mt, mv = sum(ts) / n, sum(vs) / n
    den = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (v - mv) for t, v in zip(ts, vs)) / den if den else 0.0


def fmt(x):
    return f"{x:,.1f}" if abs(x) < 100 and x != int(x) else f"{x:,.0f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("csv")
    p.add_argument("out")
    p.add_argument("--title", default="soak")
    p.add_argument("--meta", action="append", default=[])
    p.add_argument("--counters", default="")
    p.add_argument("--rss-limit-mb", type=float, default=16)
    p.add_argument("--warmup", type=float, default=60)
    p.add_argument("--flat-mib", type=float, default=0.5)
    a = p.parse_args()
    with open(a.csv) as f:
        rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
    if len(rows) < 2:
        sys.exit("soak_report.py: fewer than 2 samples")
    dur = rows[-1]["t_s"]
    warm = min(a.warmup, dur / 10)
    steady = [r for r in rows if r["t_s"] >= warm] or rows
    ok = True
    out = [f"# {a.title}: broth soak", ""]
    out += [f"- {m}" for m in a.meta]
    out += [f"- samples: {len(rows)} over {dur:.0f} s; warm-up: the first {warm:.0f} s "
            "(growth and slope are taken after it)", ""]
    half = [r for r in rows if r["t_s"] >= dur / 2]
    out += ["| series | first | after warm-up | last | min | max | mean | growth after warm-up "
            "| slope per 10 min | slope per 10 min, 2nd half |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    verdict = []
    for key, label, scale in SERIES:
        vs = [r[key] * scale for r in rows]
        ss = [r[key] * scale for r in steady]
        ts = [r["t_s"] for r in steady]
        sl = slope(ts, ss) * 600
        sl2 = slope([r["t_s"] for r in half], [r[key] * scale for r in half]) * 600
        growth = ss[-1] - ss[0]
        out.append(f"| {label} | {fmt(vs[0])} | {fmt(ss[0])} | {fmt(vs[-1])} | {fmt(min(vs))} | "
                   f"{fmt(max(vs))} | {fmt(sum(vs) / len(vs))} | {growth:+,.1f} | {sl:+,.2f} | {sl2:+,.2f} |")
        if key == "rss_kb":
            rss_sl2 = sl2
            if growth > a.rss_limit_mb:
                ok = False
            verdict.append(f"RSS {fmt(ss[0])} MiB after the warm-up, {fmt(vs[-1])} MiB at the end "
                           f"(max {fmt(max(vs))}): growth {growth:+.1f} MiB, slope {sl:+.2f} MiB per 10 min "
                           f"({sl2:+.2f} in the second half) "
                           f"({'within' if growth <= a.rss_limit_mb else 'ABOVE'} the {a.rss_limit_mb:g} MiB limit)")
        elif key == "fds":
            verdict.append(f"fds between {fmt(min(ss))} and {fmt(max(ss))} after the warm-up, slope {sl:+.2f} per 10 min")
    out += ["", "| traffic | ok | failed | per second |", "|---|---|---|---|"]
    last = rows[-1]
    for key, label in TRAFFIC:
        good, bad = last[key + "_ok"], last[key + "_fail"]
        if bad:
            ok = False
        out.append(f"| {label} | {good:,.0f} | {bad:,.0f} | {good / dur:,.1f} |")
    out.append(f"| broth: TCP connections opened | {last['tcp_opened']:,.0f} | – | {last['tcp_opened'] / dur:,.1f} |")
    out.append(f"| broth: UDP mappings opened | {last['udp_opened']:,.0f} | – | {last['udp_opened'] / dur:,.1f} |")
    out.append(f"| broth: DNS queries forwarded | {last['dns_forwarded']:,.0f} | – | {last['dns_forwarded'] / dur:,.1f} |")
    out.append(f"| broth: frames dropped (all reasons) | {last['drops']:,.0f} | – | {last['drops'] / dur:,.1f} |")
    if not ok:
        word = "FAILED (operations failed or RSS grew beyond the limit)"
    elif rss_sl2 <= a.flat_mib:
        word = f"flat (RSS slope in the second half <= {a.flat_mib:g} MiB per 10 min)"
    else:
        word = (f"bounded but still growing (RSS slope in the second half above "
                f"{a.flat_mib:g} MiB per 10 min)")
    out += ["", f"**Verdict:** {word}. " + "; ".join(verdict) + ".", ""]
    if a.counters:
        out += ["broth's counters at exit:", "", "```", a.counters.rstrip(), "```", ""]
    out += [f"Raw samples: `{a.csv.rsplit('/', 1)[-1]}` (one row per sample; the *_ok/*_fail "
            "columns are running totals of the guest-side generators).", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(out))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
