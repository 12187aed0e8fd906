#!/usr/bin/env bash
# exhaust_nofile.sh - broth runs out of file descriptors and recovers.
#
# broth starts under `prlimit --nofile=N:N` (EXHAUST_NOFILE, default 256;
# both limits, since broth raises its soft limit to the hard one). While a
# paced 96 MiB download is in progress, the guest opens EXHAUST_CONNS
# (default 400) TCP connections at once to an echo server on the host and
# then tries UDP from new source ports:
#   - the connections beyond the limit are refused cleanly (RST: the guest
#     sees ECONNREFUSED, counted as tcp_no_file_descriptor), those that got
#     a socket echo their bytes intact while broth is at the limit;
#   - new UDP flows are dropped and counted (udp_no_file_descriptor);
#   - the download in progress completes with the right sha256;
#   - broth does not crash; once the guest closes its connections the fd
#     count returns to its baseline, a new TCP connection and new UDP flows
#     work again, and broth exits 0.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip prlimit "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
NOFILE=${EXHAUST_NOFILE:-256}
CONNS=${EXHAUST_CONNS:-400}
ECHO_PORT=7011
UDP_PORT=7012
STREAM_PORT=7013
MB=96
RATE=$((8 << 20))	# the download: 8 MiB/s, so ~12 s, across the exhaustion
[[ $NOFILE =~ ^[0-9]+$ ]] && [ "$NOFILE" -ge 64 ] || fail "EXHAUST_NOFILE must be an integer >= 64"
[[ $CONNS =~ ^[0-9]+$ ]] && [ "$CONNS" -gt "$NOFILE" ] || fail "EXHAUST_CONNS must exceed EXHAUST_NOFILE"

ns_udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; }

new_pair
start_server "$HOSTNS" "$ECHO_PORT" echo "$PYTHON" "$HERE/tcp_server.py" echo "$ECHO_PORT"
ECHO_PID=$SERVER_PID
start_server "$HOSTNS" "$STREAM_PORT" stream "$PYTHON" "$HERE/stream.py" server "$STREAM_PORT"
ip netns exec "$HOSTNS" "$PYTHON" "$HERE/udp_echo.py" server "$UDP_PORT" --timeout 120 \
	>"$LOG_DIR/udp_echo.log" 2>&1 </dev/null &
track_pid $!
wait_until 10 ns_udp_bound "$HOSTNS" "$UDP_PORT" || fail "UDP echo server not bound"

# broth under the limit: a wrapper that execs prlimit, which execs broth
# (one PID all along, so start_broth's BROTH_PID is broth's)
REAL_BROTH=$BROTH
BROTH=$TMP/broth-nofile
printf '#!/bin/sh\nexec prlimit --nofile=%s:%s %s "$@"\n' "$NOFILE" "$NOFILE" "$REAL_BROTH" >"$BROTH"
chmod +x "$BROTH"
start_broth --configure
BROTH=$REAL_BROTH
lim=$(prlimit --pid "$BROTH_PID" --nofile --noheadings --output SOFT,HARD | tr -s ' ' | sed 's/^ //')
assert_eq "broth's RLIMIT_NOFILE (soft hard)" "$NOFILE $NOFILE" "$lim"
base=$(fd_count "$BROTH_PID")
info "broth fds at rest: $base of $NOFILE"

# 1. a download in progress, paced
BYTES=$((MB << 20))
want=$("$PYTHON" "$HERE/stream.py" sha "$BYTES")
ip netns exec "$GUESTNS" "$PYTHON" "$HERE/stream.py" client 10.0.0.1 "$STREAM_PORT" \
	--bytes "$BYTES" --rate "$RATE" --seconds 90 --ready "$TMP/ready" \
	>"$LOG_DIR/stream.log" 2>&1 </dev/null &
STREAM=$!
track_pid "$STREAM"
wait_until 10 test -s "$TMP/ready" || fail "the download did not start"
sleep 1

# 2. more connections than descriptors, all at once
ip netns exec "$GUESTNS" "$PYTHON" "$HERE/tcp_client.py" many 10.0.0.1 "$ECHO_PORT" "$CONNS" 1024 \
	"$TMP/held" "$TMP/go" >"$LOG_DIR/many.log" 2>&1 </dev/null &
MANY=$!
track_pid "$MANY"
_held_or_gone() { [ -s "$TMP/held" ] || proc_gone "$MANY"; }
wait_until 60 _held_or_gone || fail "client neither held its connections nor exited in 60s"
[ -s "$TMP/held" ] || { sed 's/^/  | /' "$LOG_DIR/many.log" >&2; fail "client exited early"; }
read -r up echoed <"$TMP/held"
held=$(fd_count "$BROTH_PID")
info "$up/$CONNS connected, $echoed echoed; broth holds $held fds (limit $NOFILE)"
proc_alive "$BROTH_PID" || fail "broth died at the limit"
[ "$up" -lt "$CONNS" ] || fail "all $CONNS connections got through under a limit of $NOFILE"
[ "$up" -ge $((NOFILE - base - 8)) ] || fail "only $up connections up (want >= $((NOFILE - base - 8)))"
assert_eq "connections that echoed intact at the limit" "$up" "$echoed"
[ "$held" -ge $((NOFILE - 4)) ] || fail "broth holds $held fds: the limit was not reached"
pass "broth at the limit ($held/$NOFILE fds): $up connections work, $((CONNS - up)) refused"
stats=$(broth_stats)
nofd=$(stat_drop tcp_no_file_descriptor "$stats")
[ "$nofd" -ge $((CONNS - up)) ] || fail_stats "tcp_no_file_descriptor $nofd (want >= $((CONNS - up)) refused)"
pass "tcp_no_file_descriptor $nofd"

# 3. new UDP flows while no descriptor is left: dropped and counted
rc=0
gexec timeout 30 "$PYTHON" "$HERE/udp_echo.py" ports 10.0.0.1 "$UDP_PORT" 4 --timeout 0.3 \
	>"$TMP/udp1.out" 2>&1 || rc=$?
sed 's/^/  | /' "$TMP/udp1.out"
grep -q '^FAIL 0/4 echoed' "$TMP/udp1.out" || fail "UDP flows worked with no descriptor left"
stats=$(broth_stats)
unofd=$(stat_drop udp_no_file_descriptor "$stats")
[ "$unofd" -ge 4 ] || fail_stats "udp_no_file_descriptor $unofd (want >= 4)"
pass "new UDP flows dropped and counted: udp_no_file_descriptor $unofd"

# 4. the download in progress completes intact
wait_exit "$STREAM" 60 || fail "download still running"
sed 's/^/  | /' "$LOG_DIR/stream.log"
[ "$EXIT_RC" -eq 0 ] || fail_stats "the download failed (exit $EXIT_RC)"
got=$(sed -n 's/^ok .* sha256 \([0-9a-f]*\)$/\1/p' "$LOG_DIR/stream.log")
assert_eq "download sha256 ($MB MiB, across the exhaustion)" "$want" "$got"

# 5. recovery: close them, descriptors come back, new flows work
touch "$TMP/go"
wait_exit "$MANY" 60 || fail "client still running 60s after being told to close"
sed 's/^/  | /' "$LOG_DIR/many.log"
# the client lists its first 10 errors: refusals (RST), nothing else
refused=$(grep -c "connect: ConnectionRefusedError" "$LOG_DIR/many.log" || true)
other=$(grep -c "^  conn " "$LOG_DIR/many.log" || true)
[ "$refused" -ge 1 ] && [ "$refused" -eq "$other" ] ||
	fail "the guest's failed connections were not all refused by RST ($refused of $other listed)"
pass "the guest saw ECONNREFUSED for the connections beyond the limit"
_fds_back() { now=$(fd_count "$BROTH_PID"); [ "$now" -le "$base" ]; }
wait_until 20 _fds_back || fail_stats "broth holds $now fds 20s after the guest closed (baseline $base)"
pass "broth fds back to $now (baseline $base)"
out=$(gexec timeout 10 "$PYTHON" "$HERE/tcp_client.py" probe 10.0.0.1 "$ECHO_PORT" 5)
assert_match "a new TCP connection after recovery" '^connected ' "$out"
gexec timeout 30 "$PYTHON" "$HERE/udp_echo.py" ports 10.0.0.1 "$UDP_PORT" 4 --timeout 1 \
	>"$TMP/udp2.out" 2>&1 || { sed 's/^/  | /' "$TMP/udp2.out" >&2; fail_stats "UDP after recovery"; }
pass "new UDP flows after recovery: $(cat "$TMP/udp2.out")"
_all_closed() {
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	[ "$opened" = "$closed" ]
}
wait_until 10 _all_closed || fail_stats "tcp opened $opened closed $closed"
pass "tcp opened $opened, closed $closed"

kill -TERM "$ECHO_PID"
wait_exit "$ECHO_PID" 10 || fail "echo server did not stop"
sed 's/^/  | /' "$LOG_DIR/echo.log"
grep -q "errors 0$" "$LOG_DIR/echo.log" || fail "the echo server saw errors"
stop_broth
test_done
