#!/usr/bin/env bash
# udp_icmp_error.sh - an ICMP error for one destination does not cost the
# next datagram to another. One unconnected guest socket sends, 500 times, a
# datagram to a closed port on the host's 127.0.0.1 and right after it one to
# an echo server there (both through the gateway, so both through the same
# broth host socket). Every echo must come back, every closed-port datagram
# must give the guest one ICMP port unreachable, and broth must count no
# failed send. (A host UDP socket with IP_RECVERR also keeps the error as a
# pending socket error, which the next sendmsg() returns instead of sending,
# unless the error queue was read first.)
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
N=${UDP_ALTERNATIONS:-500}
PORT=7011	# the echo server
CLOSED=7012	# nothing listens here

ns_udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; }

new_pair
ip netns exec "$HOSTNS" "$PYTHON" "$HERE/udp_echo.py" server "$PORT" --timeout 60 \
	>"$LOG_DIR/echo.log" 2>&1 </dev/null &
ECHO_PID=$!
track_pid "$ECHO_PID"
wait_until 10 ns_udp_bound "$HOSTNS" "$PORT" || fail "UDP echo server not bound to $PORT in $HOSTNS"
ns_udp_bound "$HOSTNS" "$CLOSED" && fail "UDP port $CLOSED unexpectedly bound in $HOSTNS"
start_broth --configure

before=$(snmp "$GUESTNS" Icmp InDestUnreachs)
rc=0
gexec timeout 60 "$PYTHON" "$HERE/udp_echo.py" alternate 10.0.0.1 "$PORT" "$CLOSED" "$N" \
	--timeout 0.5 >"$LOG_DIR/client.log" 2>&1 || rc=$?
sed 's/^/  | /' "$LOG_DIR/client.log"
got=$(($(snmp "$GUESTNS" Icmp InDestUnreachs) - before))
stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
assert_eq "drop udp_send_failed" 0 "$(stat_drop udp_send_failed "$stats")"
grep -q "^ok $N/$N echoed" "$LOG_DIR/client.log" || fail "echoes lost after a closed-port datagram (client exit $rc)"
pass "$N/$N echoes, each sent right after a datagram to a closed port"
assert_eq "ICMP destination unreachable received by the guest" "$N" "$got"
relayed=$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   udp .* icmp_errors_relayed \([0-9]*\)$/\1/p')
assert_eq "icmp_errors_relayed" "$N" "${relayed:-0}"

# no route on the host (192.0.2.1, TEST-NET-1): the host's send fails at
# once, and the guest hears "net unreachable" from the gateway
before=$(snmp "$GUESTNS" Icmp InDestUnreachs)
gexec "$PYTHON" -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b"x", ("192.0.2.1", 9))'
unreachs_at_least() { [ "$(snmp "$GUESTNS" Icmp InDestUnreachs)" -ge "$1" ]; }
wait_until 3 unreachs_at_least $((before + 3)) ||
	fail "no ICMP unreachable for datagrams the host cannot route ($(snmp "$GUESTNS" Icmp InDestUnreachs) vs $before)"
pass "3 datagrams to an unroutable address: 3 ICMP destination unreachable"

kill -TERM "$ECHO_PID"
wait_exit "$ECHO_PID" 5 || fail "echo server did not stop"
stop_broth
test_done
