#!/usr/bin/env bash
# tcp_many_connections.sh - the guest opens 1,000 TCP connections at once to an
# echo server on the host's 127.0.0.1 (through the gateway); each sends its
# own 4 KiB and gets exactly those bytes back. While all are open broth holds
# one host socket per connection; once the guest closes them, broth's fd count
# returns to its baseline and its counters show every connection closed.
#
# TCP_CONNECTIONS (default 1000) changes the count.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
N=${TCP_CONNECTIONS:-1000}
SIZE=4096
PORT=7007
[[ $N =~ ^[1-9][0-9]*$ ]] || fail "TCP_CONNECTIONS must be a positive integer, not '$N'"

# client, server and broth each need more than N descriptors
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((N + 1024)) ]; then
	ulimit -n $((N + 1024)) 2>/dev/null || fail "cannot raise RLIMIT_NOFILE to $((N + 1024)) (hard $(ulimit -Hn))"
fi
info "RLIMIT_NOFILE $(ulimit -n)"

new_pair
start_server "$HOSTNS" "$PORT" echo "$PYTHON" "$HERE/tcp_server.py" echo "$PORT"
ECHO_PID=$SERVER_PID
start_broth --configure

# diagnose: what the guest sent and broth received, for a failure report
diagnose() {
	{
		echo "guest eth0:"
		ip -n "$GUESTNS" -s link show eth0
		echo "guest TCP states:"
		ip netns exec "$GUESTNS" ss -Htan | awk '{ print $1 }' | sort | uniq -c
		echo "host TCP states:"
		ip netns exec "$HOSTNS" ss -Htan | awk '{ print $1 }' | sort | uniq -c
		broth_stats
		head -n 12 "$LOG_DIR/client.log"
	} 2>&1 | sed 's/^/  | /' >&2
}

# baseline: the fd count once ready, stable over 0.5 s
base=$(fd_count "$BROTH_PID")
sleep 0.5
assert_eq "broth fds at rest" "$base" "$(fd_count "$BROTH_PID")"

# the client holds all N open after the echo, until $TMP/go exists
ip netns exec "$GUESTNS" "$PYTHON" "$HERE/tcp_client.py" many 10.0.0.1 "$PORT" "$N" "$SIZE" \
	"$TMP/held" "$TMP/go" >"$LOG_DIR/client.log" 2>&1 </dev/null &
CLIENT=$!
track_pid "$CLIENT"
_held_or_gone() { [ -s "$TMP/held" ] || proc_gone "$CLIENT"; }
wait_until 60 _held_or_gone || fail "client neither held its connections nor exited in 60s"
[ -s "$TMP/held" ] || { sed 's/^/  | /' "$LOG_DIR/client.log" >&2; fail "client exited early"; }
read -r up echoed <"$TMP/held"
[ "$up" = "$N" ] && [ "$echoed" = "$N" ] || {
	diagnose
	fail "client: $up/$N connected, $echoed/$N echoed"
}
pass "$N connections open at once, $N echoes intact"

held=$(fd_count "$BROTH_PID")
info "broth fds: $base at rest, $held with $N connections open"
[ "$held" -ge $((base + N)) ] || fail "broth holds $held fds with $N connections open (want >= $((base + N)))"
pass "broth holds one host socket per connection ($((held - base)) more fds)"
stats=$(broth_stats)
assert_eq "tcp opened while held" "$N" "$(stat_tcp opened "$stats")"
assert_eq "tcp closed while held" 0 "$(stat_tcp closed "$stats")"

touch "$TMP/go"
wait_exit "$CLIENT" 60 || fail "client still running 60s after being told to close"
sed 's/^/  | /' "$LOG_DIR/client.log"
[ "$EXIT_RC" -eq 0 ] || fail "client exit status $EXIT_RC"
grep -q "^ok $N/$N connected at once" "$LOG_DIR/client.log" || fail "client did not report $N/$N"
pass "$N/$N connections echoed $SIZE bytes intact"

t0=$SECONDS
_fds_back() { now=$(fd_count "$BROTH_PID"); [ "$now" -eq "$base" ]; }
wait_until 20 _fds_back || fail "broth holds $now fds 20s after the guest closed (baseline $base)"
pass "broth fds back to baseline $base after $((SECONDS - t0))s"

_all_closed() {
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	[ "$opened" = "$N" ] && [ "$closed" = "$N" ]
}
wait_until 10 _all_closed || {
	printf '%s\n' "$stats" | sed 's/^/  | /' >&2
	fail "tcp opened $opened closed $closed (want $N and $N)"
}
pass "tcp opened $opened, closed $closed"
info "retransmissions: rto $(stat_tcp rto "$stats"), fast $(stat_tcp fast_rexmit "$stats")"

kill -TERM "$ECHO_PID"
wait_exit "$ECHO_PID" 10 || fail "echo server did not stop"
sed 's/^/  | /' "$LOG_DIR/echo.log"
grep -q "^echo: served $N, errors 0$" "$LOG_DIR/echo.log" || fail "echo server did not serve $N connections cleanly"

stop_broth
test_done
