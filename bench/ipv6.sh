#!/usr/bin/env bash
# ipv6.sh - the tcp and rr suites over IPv6 next to IPv4, through one broth
#
#   sudo bench/ipv6.sh                         # RUNS=3 DURATION=10
#   sudo RUNS=1 DURATION=3 bench/ipv6.sh       # smoke
#
# One broth (--workers 1, pinned to CPU 1 like the peer harness pins every
# NAT) serves a guest netns that has both an IPv4 address (--configure) and
# a SLAAC IPv6 address from broth's router advertisements. Servers run in the
# host netns on 127.0.0.1 and ::1, pinned to CPU 0 with the clients:
#   tcp  iperf3 -c GW -t DURATION, guest->host and -R host->guest, -P 1
#   rr   bench/rr.py TCP and UDP ping-pong, 64 bytes (sockperf 3.7 has no
#        IPv6); RTT p50 and transactions/s
# The families alternate within each run so drift hits both alike. Reported:
# medians per family and IPv6/IPv4 ratios, in bench/results/NAME.md.
#
# Environment: RUNS [3], DURATION [10], MTU [1500], NAME [DATE-ipv6],
# RESULTS [bench/results], BROTH [build/apps/broth/broth], NO_BUILD=1.
# Only loopback and the two namespaces this script creates are used.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd)
BROTH=${BROTH:-$REPO/build/apps/broth/broth}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
MTU=${MTU:-1500}
NAME=${NAME:-$(date +%Y-%m-%d)-ipv6}
RESULTS=${RESULTS:-$REPO/bench/results}
GW4=10.0.0.1
NET6=fd00:b0:7d::
GW6=${NET6}1
HNS=bi6h$$
GNS=bi6g$$
WORK=$(mktemp -d /tmp/broth-ipv6-bench.XXXXXX)
PIDS=()

die() { echo "ipv6.sh: $*" >&2; exit 1; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$GNS" 2>/dev/null
	ip netns del "$HNS" 2>/dev/null
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces)"
if [ -z "${NO_BUILD:-}" ]; then
	ninja -C build >/dev/null || die "build failed"
fi
[ -x "$BROTH" ] || die "no broth at $BROTH"
for t in iperf3 python3 taskset; do
	command -v "$t" >/dev/null || die "$t missing (tools/deps.sh)"
done

# setup: namespaces, broth, servers; the guest waits for both addresses
setup() {
	ip netns add "$HNS" && ip netns add "$GNS" || die "ip netns add"
	ip -n "$HNS" link set lo up
	ip -n "$GNS" link set lo up
	ip netns exec "$GNS" sysctl -qw net.ipv6.conf.default.accept_ra=1 \
		net.ipv6.conf.all.accept_ra=1
	ip netns exec "$HNS" taskset -c 1 "$BROTH" --netns "$GNS" --configure \
		--mtu "$MTU" --workers 1 --dns 127.0.0.1 >"$WORK/broth.log" 2>&1 &
	PIDS+=("$!")
	for _ in $(seq 100); do
		grep -q ready "$WORK/broth.log" && break
		sleep 0.1
	done
	grep -q ready "$WORK/broth.log" || die "broth not ready: $(cat "$WORK/broth.log")"
	for _ in $(seq 100); do
		ip -n "$GNS" -6 addr show dev eth0 scope global | grep -q "inet6 ${NET6%:}" &&
			! ip -n "$GNS" -6 addr show dev eth0 | grep -q tentative && break
		sleep 0.1
	done
	ip -n "$GNS" -6 addr show dev eth0 scope global | grep -q "inet6 ${NET6%:}" ||
		die "no SLAAC address in the guest"
	ip netns exec "$HNS" taskset -c 0 iperf3 -s -p 5201 >/dev/null 2>&1 &
	PIDS+=("$!")
	local a port=11111
	for a in 127.0.0.1 ::1; do
		ip netns exec "$HNS" taskset -c 0 python3 bench/rr.py server --tcp "$a" "$port" &
		PIDS+=("$!")
		ip netns exec "$HNS" taskset -c 0 python3 bench/rr.py server --udp "$a" "$port" &
		PIDS+=("$!")
	done
	sleep 1
}

# iperf_mbps ADDR [-R]: received Mbit/s of one iperf3 run
iperf_mbps() {
	local addr=$1
	shift
	ip netns exec "$GNS" taskset -c 0 timeout $((DURATION + 20)) \
		iperf3 -c "$addr" -p 5201 -t "$DURATION" -J "$@" 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(round(d["end"]["sum_received"]["bits_per_second"]/1e6, 1))' 2>/dev/null ||
		echo nan
}

# rr PROTO ADDR: "p50_us tps" of one ping-pong run
rr() {
	ip netns exec "$GNS" taskset -c 0 timeout $((DURATION + 10)) \
		python3 bench/rr.py client "--$1" "$2" 11111 --seconds "$DURATION" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["p50_us"], d["tps"])' 2>/dev/null ||
		echo "nan nan"
}

setup
CSV=$WORK/results.csv
echo "run,family,metric,value" >"$CSV"
for run in $(seq "$RUNS"); do
	for fam in 4 6; do
		if [ "$fam" = 4 ]; then addr=$GW4; else addr=$GW6; fi
		echo "run $run IPv$fam ..." >&2
		echo "$run,$fam,tcp_g2h_mbps,$(iperf_mbps "$addr")" >>"$CSV"
		echo "$run,$fam,tcp_h2g_mbps,$(iperf_mbps "$addr" -R)" >>"$CSV"
		read -r p50 tps < <(rr tcp "$addr")
		echo "$run,$fam,rr_tcp_p50_us,$p50" >>"$CSV"
		echo "$run,$fam,rr_tcp_tps,$tps" >>"$CSV"
		read -r p50 tps < <(rr udp "$addr")
		echo "$run,$fam,rr_udp_p50_us,$p50" >>"$CSV"
		echo "$run,$fam,rr_udp_tps,$tps" >>"$CSV"
	done
done

mkdir -p "$RESULTS/$NAME"
cp "$CSV" "$RESULTS/$NAME/results.csv"
cp "$WORK/broth.log" "$RESULTS/$NAME/broth.log"
python3 - "$CSV" "$RESULTS/$NAME.md" "$RUNS" "$DURATION" "$MTU" \
	"$(git rev-parse --short HEAD)" <<'EOF'
import csv, statistics, sys
path, out, runs, dur, mtu, rev = sys.argv[1:]
vals = {}
for r in csv.DictReader(open(path)):
    try:
        v = float(r["value"])
    except ValueError:
        continue
    if v == v:
        vals.setdefault((r["metric"], r["family"]), []).append(v)
lower_better = {"rr_tcp_p50_us", "rr_udp_p50_us"}
rows = []
for m in ["tcp_g2h_mbps", "tcp_h2g_mbps", "rr_tcp_p50_us", "rr_tcp_tps",
          "rr_udp_p50_us", "rr_udp_tps"]:
    a, b = vals.get((m, "4"), []), vals.get((m, "6"), [])
    if not a or not b:
        rows.append(f"| {m} | n/a | n/a | n/a | n/a |")
        continue
    ma, mb = statistics.median(a), statistics.median(b)
    ratio = mb / ma if ma else float("nan")
    # "within 10 %": IPv6 no worse than IPv4 by more than 10 %
    ok = ratio <= 1.10 if m in lower_better else ratio >= 0.90
    rows.append(f"| {m} | {ma:g} | {mb:g} | {ratio:.3f} | {'yes' if ok else 'NO'} |")
with open(out, "w") as f:
    f.write(f"""# IPv6 next to IPv4 through one broth

Command: `sudo RUNS={runs} DURATION={dur} MTU={mtu} bench/ipv6.sh` (broth {rev},
`--workers 1` pinned to CPU 1; clients and servers on CPU 0; families
alternate within each run). Medians of {runs} run(s) of {dur} s each.
tcp: iperf3 -P 1 to the gateway (10.0.0.1 / fd00:b0:7d::1, both mapped to
the host netns's loopback). rr: bench/rr.py ping-pong, 64 bytes
(sockperf 3.7 takes no IPv6 address; Python's own overhead is in both
columns alike).

| metric | IPv4 | IPv6 | IPv6/IPv4 | within 10 % |
|---|---|---|---|---|
""" + "\n".join(rows) + "\n\nRaw values: results.csv in the directory of the same name.\n")
print(open(out).read())
EOF
