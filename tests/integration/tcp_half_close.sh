#!/usr/bin/env bash
# tcp_half_close.sh - TCP connections that end one direction at a time, or
# with a reset, between a guest client and a server on the host's 127.0.0.1
# (through the gateway):
#   1. the guest sends 1 MiB, shuts down its sending side (FIN) and still gets
#      the server's whole 4 MiB reply, computed from what the server read
#      until EOF;
#   2. the server sends 3 MiB and shuts down its side first; the guest reads
#      until EOF and still sends its answer, which the server checks;
#   3. the guest closes with SO_LINGER {1, 0}: the server's recv() fails
#      with ECONNRESET (not EOF);
#   4. the server closes with SO_LINGER {1, 0}: the guest's recv() fails
#      with ECONNRESET (not EOF).
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
PORT=7100

# pair SERVER_MODE CLIENT_MODE: one server connection and one guest client,
# both must print "ok ..." and exit 0 (each bounds its own waits to 20 s)
pair() {
	local smode=$1 cmode=$2 crc=0
	start_server "$HOSTNS" "$PORT" "server-$smode" "$PYTHON" "$HERE/tcp_server.py" "$smode" "$PORT"
	gexec timeout 40 "$PYTHON" "$HERE/tcp_client.py" "$cmode" 10.0.0.1 "$PORT" \
		>"$LOG_DIR/client-$cmode.log" 2>&1 || crc=$?
	wait_exit "$SERVER_PID" 30 || fail_stats "$smode server still running 30s after the client ended"
	sed "s/^/  | client: /" "$LOG_DIR/client-$cmode.log"
	sed "s/^/  | server: /" "$LOG_DIR/server-$smode.log"
	[ "$crc" -eq 0 ] && grep -q '^ok ' "$LOG_DIR/client-$cmode.log" ||
		fail_stats "$cmode client failed (exit $crc)"
	[ "$EXIT_RC" -eq 0 ] && grep -q '^ok ' "$LOG_DIR/server-$smode.log" ||
		fail_stats "$smode server failed (exit $EXIT_RC)"
}

new_pair
start_broth --configure

# 1. guest half-close: its FIN does not end the host -> guest direction
pair halfclose halfclose
grep -q 'match' "$LOG_DIR/client-halfclose.log" || fail "reply after the guest's FIN differs"
pass "guest sent FIN, then received the whole reply"

# 2. host half-close: our FIN to the guest does not end guest -> host
pair host-halfclose host-halfclose
pass "server sent FIN, then received the guest's whole answer"

# both ended by FINs on both sides: counted closed, not reset
_closed2() {
	stats=$(broth_stats)
	[ "$(stat_tcp closed "$stats")" = 2 ]
}
wait_until 10 _closed2 || fail "tcp closed $(stat_tcp closed "$stats") after two half-closed connections (want 2)"
assert_eq "tcp opened after two half-closes" 2 "$(stat_tcp opened "$stats")"
pass "both half-closed connections counted closed"

# 3. guest reset -> server sees ECONNRESET
pair expect-reset reset
grep -q '^ok recv: ECONNRESET' "$LOG_DIR/server-expect-reset.log" || fail "server did not see ECONNRESET"
pass "guest RST reached the server as ECONNRESET"

# 4. server reset -> guest sees ECONNRESET
pair reset expect-reset
grep -q '^ok recv: ECONNRESET' "$LOG_DIR/client-expect-reset.log" || fail "guest did not see ECONNRESET"
pass "server RST reached the guest as ECONNRESET"

stats=$(broth_stats)
assert_eq "drop tcp_host_reset (the server's RST)" 1 "$(stat_drop tcp_host_reset "$stats")"
assert_eq "tcp opened" 4 "$(stat_tcp opened "$stats")"
info "tcp closed $(stat_tcp closed "$stats") (resets are not counted closed), rto $(stat_tcp rto "$stats")"

# nothing left behind: fds of the four connections are gone
_no_sockets() { [ -z "$(ip netns exec "$HOSTNS" ss -Htn state established)" ]; }
wait_until 10 _no_sockets || {
	ip netns exec "$HOSTNS" ss -tn | sed 's/^/  | /' >&2
	fail "established TCP sockets left in the host netns"
}
pass "no established socket left in the host netns"

stop_broth
test_done
