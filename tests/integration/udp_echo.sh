#!/usr/bin/env bash
# udp_echo.sh - UDP through the gateway to an echo server on the host's
# 127.0.0.1:
#   - 10,000 datagrams from one guest socket, sizes 1..65,000 bytes (fixed
#     edge sizes 1, 2, 100, 1472, 1473, 1500, 8000, 9000, 30000, 65000, then
#     a reproducible random mix): every echo byte for byte equal, none lost
#     (fragmented at the guest MTU toward the guest, reassembled from it);
#   - a connected guest socket (Python, and socat) to a closed host port sees
#     ECONNREFUSED (the host's ICMP port unreachable, relayed by broth);
#   - broth holds one host socket per guest port, and with --udp-timeout 3 its
#     fd count returns to the baseline within 10 s once traffic stops.
#
# UDP_DATAGRAMS (default 10000) changes the count; UDP_WINDOW (default 4)
# the datagrams in flight; UDP_MAX_LOST (default 0) the loss allowed.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip socat "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
N=${UDP_DATAGRAMS:-10000}
WINDOW=${UDP_WINDOW:-4}
MAX_LOST=${UDP_MAX_LOST:-0}
PORT=7009	# the echo server
CLOSED=7010	# nothing listens here
PORTS=8		# source ports of the fd check
IDLE=3		# --udp-timeout
[[ $N =~ ^[1-9][0-9]*$ ]] || fail "UDP_DATAGRAMS must be a positive integer, not '$N'"

# ns_udp_bound NS PORT: a UDP socket is bound to PORT in NS
ns_udp_bound() {
	[ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]
}

# udp_drops NS: the kernel's UDP drop counters in NS, one line
udp_drops() {
	local f line=
	for f in InErrors RcvbufErrors SndbufErrors InCsumErrors; do
		line="$line$f $(snmp "$1" Udp "$f") "
	done
	printf '%s\n' "$line"
}

new_pair
ip netns exec "$HOSTNS" "$PYTHON" "$HERE/udp_echo.py" server "$PORT" --timeout 60 \
	>"$LOG_DIR/echo.log" 2>&1 </dev/null &
ECHO_PID=$!
track_pid "$ECHO_PID"
wait_until 10 ns_udp_bound "$HOSTNS" "$PORT" || {
	sed 's/^/  | /' "$LOG_DIR/echo.log" >&2
	fail "UDP echo server not bound to $PORT in $HOSTNS"
}
ns_udp_bound "$HOSTNS" "$CLOSED" && fail "UDP port $CLOSED unexpectedly bound in $HOSTNS"
start_broth --configure --udp-timeout "$IDLE"

base=$(fd_count "$BROTH_PID")
sleep 0.5
assert_eq "broth fds at rest" "$base" "$(fd_count "$BROTH_PID")"

# 1. the echo run
# echoes above 1472 bytes reach the guest as fragments of its MTU (1500)
frag_want=$("$PYTHON" "$HERE/udp_echo.py" sizes "$N" | awk '$1 > 1472 { n++ } END { print n + 0 }')
reasm0=$(snmp "$GUESTNS" Ip ReasmOKs)
t0=$SECONDS
rc=0
gexec timeout 120 "$PYTHON" "$HERE/udp_echo.py" client 10.0.0.1 "$PORT" "$N" \
	--window "$WINDOW" --timeout 0.5 --retries 3 >"$LOG_DIR/client.log" 2>&1 || rc=$?
sed 's/^/  | /' "$LOG_DIR/client.log"
info "host netns UDP: $(udp_drops "$HOSTNS")"
info "guest netns UDP: $(udp_drops "$GUESTNS")"
line=$(grep -E '^(ok|FAIL) sent ' "$LOG_DIR/client.log" | tail -n 1)
[ -n "$line" ] || fail_stats "client printed no result (exit $rc)"
[[ $line =~ echoed\ ([0-9]+),\ lost\ ([0-9]+),\ mismatched\ ([0-9]+),\ retries\ ([0-9]+) ]] ||
	fail "cannot parse the client's result: $line"
echoed=${BASH_REMATCH[1]} lost=${BASH_REMATCH[2]} mism=${BASH_REMATCH[3]} retries=${BASH_REMATCH[4]}
assert_eq "mismatched echoes" 0 "$mism"
[ "$lost" -le "$MAX_LOST" ] || fail_stats "$lost of $N datagrams lost after 3 retries (allowed $MAX_LOST)"
[ $((echoed + lost)) -eq "$N" ] || fail_stats "client finished $echoed echoed + $lost lost of $N"
pass "$echoed/$N datagrams (1..65000 bytes) echoed intact, $lost lost, $retries retries, $((SECONDS - t0))s"
reasm=$(($(snmp "$GUESTNS" Ip ReasmOKs) - reasm0))
[ "$reasm" -ge "$frag_want" ] ||
	fail "the guest reassembled $reasm datagrams (want >= $frag_want echoes above 1472 bytes, fragmented at MTU 1500)"
pass "the guest reassembled $reasm datagrams ($frag_want echoes above 1472 bytes)"

stats=$(broth_stats)
udp=$(printf '%s\n' "$stats" | grep '^stats: workers total:   udp ' || true)
info "${udp#stats: workers total:   }"
opened=$(printf '%s\n' "$udp" | sed -n 's/.* opened \([0-9]*\) .*/\1/p')
assert_eq "udp mappings opened (one guest socket)" 1 "${opened:-0}"
to_guest=$(printf '%s\n' "$udp" | sed -n 's/.* to_guest \([0-9]*\) .*/\1/p')
[ "${to_guest:-0}" -ge "$echoed" ] || fail "udp to_guest ${to_guest:-0} < $echoed echoes"
pass "udp to_guest $to_guest >= $echoed"

# 2. a closed port: the guest's connected socket gets ECONNREFUSED
out=$(gexec timeout 10 "$PYTHON" "$HERE/udp_echo.py" refused 10.0.0.1 "$CLOSED" --timeout 3) || true
read -r what ms <<<"$out"
assert_eq "connected UDP socket to 10.0.0.1:$CLOSED" refused "$what"
pass "ECONNREFUSED after $ms ms"
# the same with socat, a real client: an echo, then "Connection refused"
got=$(echo "hello from socat" | gexec timeout 10 socat -t 2 - "UDP:10.0.0.1:$PORT" 2>&1) || true
assert_eq "socat UDP:10.0.0.1:$PORT echo" "hello from socat" "$got"
rc=0
echo "anyone?" | gexec timeout 10 socat -t 2 - "UDP:10.0.0.1:$CLOSED" >"$TMP/socat.out" 2>&1 || rc=$?
sed 's/^/  | /' "$TMP/socat.out"
[ "$rc" -ne 0 ] && grep -q 'Connection refused' "$TMP/socat.out" ||
	fail "socat UDP:10.0.0.1:$CLOSED: no 'Connection refused' (exit $rc)"
pass "socat UDP:10.0.0.1:$CLOSED: Connection refused (exit $rc)"
stats=$(broth_stats)
relayed=$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   udp .* icmp_errors_relayed \([0-9]*\)$/\1/p')
[ "${relayed:-0}" -ge 1 ] || fail "icmp_errors_relayed ${relayed:-0} (want >= 1)"
pass "icmp_errors_relayed $relayed"

# 3. one host socket per guest port, all closed after --udp-timeout
gexec timeout 20 "$PYTHON" "$HERE/udp_echo.py" ports 10.0.0.1 "$PORT" "$PORTS" --timeout 1 \
	>"$TMP/ports.out" 2>&1 || { sed 's/^/  | /' "$TMP/ports.out" >&2; fail "echo from $PORTS ports"; }
held=$(fd_count "$BROTH_PID")
info "broth fds: $base at rest, $held after $PORTS more guest ports"
# the echo run's and the refused probe's mappings may have expired already
[ "$held" -ge $((base + PORTS)) ] || fail "broth holds $held fds (want >= $((base + PORTS)))"
pass "broth holds one host socket per guest port ($((held - base)) more fds)"
t0=$SECONDS
_fds_back() { now=$(fd_count "$BROTH_PID"); [ "$now" -eq "$base" ]; }
wait_until 10 _fds_back || fail_stats "broth holds $now fds 10s after the last datagram (baseline $base, --udp-timeout $IDLE)"
pass "broth fds back to baseline $base after $((SECONDS - t0))s (--udp-timeout $IDLE)"
[ $((SECONDS - t0)) -ge $((IDLE - 1)) ] || fail "mappings closed after $((SECONDS - t0))s, before --udp-timeout $IDLE"

kill -TERM "$ECHO_PID"
wait_exit "$ECHO_PID" 5 || fail "echo server did not stop"
sed 's/^/  | /' "$LOG_DIR/echo.log"
stop_broth
test_done
