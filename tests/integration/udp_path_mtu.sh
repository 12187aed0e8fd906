#!/usr/bin/env bash
# udp_path_mtu.sh - UDP from the guest over a path whose MTU (1400, behind a
# router netns) is below the guest's (1500), to a UDP echo server on the far
# end (see new_routed_path in lib.sh):
#   1. the guest's datagrams without DF (IP_PMTUDISC_DONT), 1472 bytes, are
#      delivered from the first one on: a router on the way would fragment
#      them, and so must broth's host socket;
#   2. a guest's DF datagram too big for the path gets "fragmentation
#      needed, MTU 1400" back: tracepath finds pmtu 1400, also when the host
#      already knew that path MTU (so no ICMP error comes from the router and
#      broth must say it itself), for a new guest;
#   3. datagrams with DF the guest sized for the path (1372 bytes) echo.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd tracepath ss ip sysctl "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
PMTU=1400
FAR=$PATH_FAR
PORT=7013

ns_udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; }

# sendsize NS DF SIZE COUNT: COUNT datagrams of SIZE bytes from one socket in
# NS to the far echo server, DF set or not (df|nodf); prints one word per datagram:
# echoed, lost or the error
sendsize() {
	ip netns exec "$1" timeout 20 "$PYTHON" - "$FAR" "$PORT" "$2" "$3" "$4" <<'EOF'
import errno, socket, sys
addr, port, df, size, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_DO = 10, 0, 2
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO if df == "df" else IP_PMTUDISC_DONT)
s.settimeout(1)
s.connect((addr, port))
out = []
for i in range(count):
    m = bytes([65 + i % 26]) * size
    try:
        s.send(m)
        while s.recv(65536) != m:
            pass
        out.append("echoed")
    except socket.timeout:
        out.append("lost")
    except OSError as e:
        out.append(errno.errorcode.get(e.errno, str(e.errno)))
print(" ".join(out))
EOF
}

# guest_tracepath WHAT: tracepath from the guest reaches FAR with pmtu PMTU
guest_tracepath() {
	local what=$1 out=$TMP/tracepath.out rc=0
	timeout 40 ip netns exec "$GUESTNS" tracepath -n -m 6 "$FAR" >"$out" 2>&1 || rc=$?
	sed 's/^/  | /' "$out"
	[ "$rc" -eq 0 ] || fail_stats "$what: exit status $rc"
	grep -qE "^ *[0-9]+: +$FAR .*reached" "$out" || fail "$what: did not reach $FAR"
	assert_match "$what" "pmtu $PMTU " "$(grep -E 'Resume:' "$out" || true)"
}

new_pair
new_routed_path "$PMTU"
ip netns exec "$FARNS" "$PYTHON" "$HERE/udp_echo.py" server "$PORT" --bind 0.0.0.0 --timeout 60 \
	>"$LOG_DIR/echo.log" 2>&1 </dev/null &
track_pid $!
wait_until 10 ns_udp_bound "$FARNS" "$PORT" || fail "UDP echo server not bound to $PORT in $FARNS"
# the control: from the host netns, without DF, 1472 bytes echo at once
# (the router fragments them; the host learns no path MTU from that)
assert_eq "control: 1472 bytes without DF from the host netns" "echoed echoed" \
	"$(sendsize "$HOSTNS" nodf 1472 2)"

start_broth --configure
# 1. no DF: delivered from the first datagram
stats0=$(broth_stats)
got=$(sendsize "$GUESTNS" nodf 1472 3)
assert_eq "1472-byte datagrams without DF, path MTU $PMTU" "echoed echoed echoed" "$got"
stats=$(broth_stats)
r0=$(printf '%s\n' "$stats0" | sed -n 's/^stats: workers total:   udp .* icmp_errors_relayed \([0-9]*\)$/\1/p')
r1=$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   udp .* icmp_errors_relayed \([0-9]*\)$/\1/p')
assert_eq "ICMP errors relayed for datagrams without DF" 0 "$((${r1:-0} - ${r0:-0}))"

# 2. DF: the path MTU, learned from the router, then known to the host
guest_tracepath "tracepath (the host learns the path MTU)"
stop_broth
new_netns GUESTNS g
start_broth --configure
guest_tracepath "tracepath, new guest, path MTU known to the host"

# 3. DF datagrams that fit the path
assert_eq "1372-byte datagrams with DF" "echoed echoed echoed" "$(sendsize "$GUESTNS" df 1372 3)"
stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
stop_broth
test_done
