#!/usr/bin/env bash
# soak.sh - broth under mixed traffic for a long time: are its memory, file
# descriptors and flows flat?
#
#   sudo bench/soak.sh                         # 600 s, bench/results/DATE-soak.{md,csv}
#   sudo SOAK_SECONDS=60 NAME=smoke RESULTS=/tmp bench/soak.sh
#
# One broth (--configure --dns 127.0.0.1 --udp-timeout SOAK_UDP_TIMEOUT) for a
# guest netns, in a host netns with only lo where the servers run: stream.py
# (downloads), tcp_server.py echo (connection churn), udp_echo.py, and
# dnsmasq --no-resolv on 127.0.0.1:53 answering from a test hosts file. In the
# guest, for SOAK_SECONDS (default 600), all at once:
#   - TCP downloads of 32 MiB, paced at SOAK_TCP_MBPS (default 16) MiB/s, one
#     after the other, each byte and the sha256 checked;
#   - connection churn: SOAK_CPS (default 250) new TCP connections per second,
#     each echoing 64 bytes (250/s opens more than the default --max-flows,
#     65,536, within 10 minutes: broth's flow hash hands out key slots
#     round-robin, so its RSS grows until every slot was used once, then
#     stays flat; see bench/results/2026-11-26-soak.md);
#   - SOAK_QPS (default 100) DNS queries per second through broth's
#     forwarder, each from a new source port (so a new UDP mapping);
#   - SOAK_UDP_PPS (default 200) UDP echoes per second from 8 sockets, one of
#     them moving to a new source port every 200 datagrams (mapping churn).
# Every SOAK_INTERVAL (default 5) s it samples broth's RSS, fd count, TCP and
# UDP sockets (ss), and counters (SIGUSR1) into NAME.csv; at the end it waits
# for every flow to drain (fd count back to its baseline, tcp opened ==
# closed), stops broth (exit 0) and writes NAME.md with bench/soak_report.py:
# first / last / min / max / slope of each series, and the traffic totals.
# Exit status non-zero when broth died, any operation failed, the flows did
# not drain or the RSS grew by more than SOAK_RSS_MB (default 16) MiB from
# the end of the first minute to the end.
#
# Environment: BROTH, BROTH_WORKERS, SOAK_*, NAME (default DATE-soak),
# RESULTS (default bench/results), BROTH_TEST_LOGS (default /tmp/broth-soak-logs).
export BROTH_TEST_LOGS=${BROTH_TEST_LOGS:-/tmp/broth-soak-logs}
# shellcheck source=../tests/integration/lib.sh
. "$(dirname "$0")/../tests/integration/lib.sh"
require_root
require_broth
require_cmd ss ip dnsmasq dig "$PYTHON"

BENCH=$REPO/bench
T=$REPO/tests/integration
DURATION=${SOAK_SECONDS:-600}
INTERVAL=${SOAK_INTERVAL:-5}
TCP_MBPS=${SOAK_TCP_MBPS:-16}
CPS=${SOAK_CPS:-250}
QPS=${SOAK_QPS:-100}
UDP_PPS=${SOAK_UDP_PPS:-200}
UDP_TIMEOUT=${SOAK_UDP_TIMEOUT:-30}
RSS_MB=${SOAK_RSS_MB:-16}
NAME=${NAME:-$(date -u +%F)-soak}
RESULTS=${RESULTS:-$REPO/bench/results}
for v in DURATION INTERVAL TCP_MBPS CPS QPS UDP_PPS UDP_TIMEOUT RSS_MB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || fail "$v must be a positive integer, not '${!v}'"
done
STREAM_PORT=7101 ECHO_PORT=7102 UDP_PORT=7103
XFER=$((32 << 20))
CSV=$RESULTS/$NAME.csv
MD=$RESULTS/$NAME.md
mkdir -p "$RESULTS"

new_pair
start_server "$HOSTNS" "$STREAM_PORT" stream "$PYTHON" "$T/stream.py" server "$STREAM_PORT"
start_server "$HOSTNS" "$ECHO_PORT" echo "$PYTHON" "$T/tcp_server.py" echo "$ECHO_PORT"
ip netns exec "$HOSTNS" "$PYTHON" "$T/udp_echo.py" server "$UDP_PORT" --timeout $((DURATION + 120)) \
	>"$LOG_DIR/udp_echo.log" 2>&1 </dev/null &
track_pid $!
echo "10.1.2.3 soak.test" >"$TMP/hosts"
start_server "$HOSTNS" 53 dnsmasq dnsmasq --conf-file=/dev/null --no-daemon --no-resolv --no-hosts \
	--addn-hosts="$TMP/hosts" --port 53 --listen-address=127.0.0.1 --bind-interfaces \
	--pid-file="$TMP/dnsmasq.pid" --user=root --log-facility=- --local=/test/ --cache-size=0
a=$(in_ns "$HOSTNS" dig @127.0.0.1 +short +time=2 +tries=2 soak.test A) || true
[ "$a" = 10.1.2.3 ] || fail "dnsmasq does not answer soak.test on 127.0.0.1 (got '$a')"

start_broth --configure --dns 127.0.0.1 --udp-timeout "$UDP_TIMEOUT"
base_fds=$(fd_count "$BROTH_PID")
base_rss=$(rss_kb "$BROTH_PID")
info "broth at rest: $base_fds fds, RSS $((base_rss / 1024)) MiB; soak for ${DURATION}s"

# the generators
end=$((SECONDS + DURATION))
# downloads, one after the other, until the end (bounded by count too)
transfers() {
	local i=0 ok=0 bad=0 out
	while [ "$SECONDS" -lt $((end - 3)) ] && [ "$i" -lt 10000 ]; do
		i=$((i + 1))
		out=$(ip netns exec "$GUESTNS" "$PYTHON" "$T/stream.py" client 10.0.0.1 "$STREAM_PORT" \
			--bytes "$XFER" --rate $((TCP_MBPS << 20)) --seconds 60 --seed "$((i % 7 + 1))" 2>&1) || true
		if [[ $out == "ok "*"sha256 $("$PYTHON" "$T/stream.py" sha "$XFER" --seed "$((i % 7 + 1))")" ]]; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			printf '%s\n' "$out" >>"$LOG_DIR/transfer-errors.log"
		fi
		printf 'ok %s fail %s\n' "$ok" "$bad" >"$TMP/xfer.tmp" && mv "$TMP/xfer.tmp" "$TMP/xfer"
		sleep 0.5
	done
}
transfers >"$LOG_DIR/transfers.log" 2>&1 </dev/null &
XFER_PID=$!
track_pid "$XFER_PID"
gen() {
	local name=$1
	shift
	ip netns exec "$GUESTNS" "$PYTHON" "$BENCH/soak_traffic.py" "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
	track_pid $!
	GEN_PID=$!
}
gen churn churn 10.0.0.1 "$ECHO_PORT" "$CPS" "$DURATION" "$TMP/churn"
CHURN_PID=$GEN_PID
gen dns dns 10.0.0.1 "$QPS" "$DURATION" "$TMP/dns" --expect soak.test=10.1.2.3
DNS_PID=$GEN_PID
gen udp udp 10.0.0.1 "$UDP_PORT" "$UDP_PPS" "$DURATION" "$TMP/udp"
UDP_PID=$GEN_PID

# tally FILE: "ok fail" of a generator's running totals
tally() { awk '{ print $2 "," $4 }' "$1" 2>/dev/null | grep . || echo 0,0; }
socks() { ip netns exec "$HOSTNS" ss -Hn"$1"ap 2>/dev/null | grep -c "pid=$BROTH_PID," || true; }

echo "t_s,rss_kb,fds,tcp_socks,udp_socks,tcp_live,tcp_opened,udp_opened,dns_forwarded,drops,xfer_ok,xfer_fail,churn_ok,churn_fail,dns_ok,dns_fail,udp_ok,udp_fail" >"$CSV"
t0=$SECONDS n=0
while [ "$SECONDS" -lt "$end" ] && [ "$n" -lt $((DURATION / INTERVAL + 10)) ]; do
	proc_alive "$BROTH_PID" || fail "broth died after $((SECONDS - t0))s"
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	fwd=$(printf '%s\n' "$stats" | sed -n 's/^stats: slowpath:   dns forwarded \([0-9]*\).*/\1/p' | tail -n 1)
	drops=$(printf '%s\n' "$stats" | sed -n 's/^stats: \(workers total\|slowpath\):   drop [a-z0-9_]* \([0-9]*\)$/\2/p' |
		awk '{ s += $1 } END { print s + 0 }')
	printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$((SECONDS - t0))" "$(rss_kb "$BROTH_PID")" \
		"$(fd_count "$BROTH_PID")" "$(socks t)" "$(socks u)" "$((opened - closed))" "$opened" \
		"$(stat_udp opened "$stats")" "${fwd:-0}" "$drops" "$(tally "$TMP/xfer")" "$(tally "$TMP/churn")" \
		"$(tally "$TMP/dns")" "$(tally "$TMP/udp")" >>"$CSV"
	n=$((n + 1))
	[ $((n % 12)) -eq 0 ] && info "$(tail -n 1 "$CSV")"
	sleep "$INTERVAL"
done

# the generators end on their own
rc=0
for p in "$CHURN_PID churn" "$DNS_PID dns" "$UDP_PID udp" "$XFER_PID transfers"; do
	wait_exit "${p% *}" 90 || fail "generator ${p#* } still running"
	[ "$EXIT_RC" -eq 0 ] || rc=1
	info "${p#* }: $(tail -n 1 "$LOG_DIR/${p#* }.log" 2>/dev/null) $([ "${p#* }" = transfers ] && cat "$TMP/xfer")"
done

# drain: UDP mappings expire after --udp-timeout
t1=$SECONDS
_drained() {
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	now=$(fd_count "$BROTH_PID")
	[ "$opened" = "$closed" ] && [ "$now" -eq "$base_fds" ]
}
drained=yes
wait_until $((UDP_TIMEOUT + 30)) _drained || drained=no
drain_s=$((SECONDS - t1))
info "drained: $drained after ${drain_s}s (tcp opened $opened closed $closed, fds $now, baseline $base_fds)"
final_rss=$(rss_kb "$BROTH_PID")
stop_broth
counters=$(grep '^stats: \(workers total\|slowpath\|port\)' "$BROTH_LOG" | tail -n 30 |
	awk '/^stats: workers total: rx/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }')

commit=$(git -C "$REPO" log -1 --format='%h %s' 2>/dev/null | cut -c1-72 || echo unknown)
dirty=$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " +dirty" || true)
"$PYTHON" "$BENCH/soak_report.py" "$CSV" "$MD" --title "$NAME" \
	--meta "commit: \`$commit\`$dirty" \
	--meta "broth: \`--configure --dns 127.0.0.1 --udp-timeout $UDP_TIMEOUT${BROTH_WORKERS:+ --workers $BROTH_WORKERS}\`, $(nproc) CPUs, kernel $(uname -r)" \
	--meta "traffic for ${DURATION}s: 32 MiB downloads at $TCP_MBPS MiB/s one after another, $CPS TCP connections/s (64-byte echo), $QPS DNS queries/s (new source port each, dnsmasq upstream), $UDP_PPS UDP echoes/s from 8 sockets (one moves to a new source port every 200 datagrams); sampled every ${INTERVAL}s" \
	--meta "command: \`sudo SOAK_SECONDS=$DURATION${BROTH_WORKERS:+ BROTH_WORKERS=$BROTH_WORKERS} NAME=$NAME bench/soak.sh\`" \
	--meta "at rest: $base_fds fds, RSS $((base_rss / 1024)) MiB; after the drain: RSS $((final_rss / 1024)) MiB, flows drained: $drained in ${drain_s}s (--udp-timeout $UDP_TIMEOUT), broth exited 0" \
	--counters "$counters" --rss-limit-mb "$RSS_MB" || rc=1
info "wrote $MD and $CSV"
sed -n '/^| series/,/^$/p' "$MD"
[ "$drained" = yes ] || fail "flows did not drain"
[ "$rc" -eq 0 ] || fail "traffic failures or RSS growth above $RSS_MB MiB: see $MD"
test_done
