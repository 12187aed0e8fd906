#!/usr/bin/env bash
# ipv6_dual_stack.sh - one guest uses both families at once through one
# broth: DHCPv4 (udhcpc) and SLAAC on the same eth0, then, with servers on
# the host netns's 127.0.0.1 and [::1]:
#   - curl downloads and uploads over IPv4 (10.0.0.1) and IPv6 ([PREFIX::1])
#     all running at the same time, sha256 checked;
#   - UDP echo over both at the same time (sizes 1..65,000 bytes: fragments
#     both ways, reassembled by broth from the guest and by the guest from
#     broth), every echo byte for byte, none lost;
#   - large UDP answers to small IPv6 requests (4,000 and 65,000 bytes):
#     fragmented toward the guest at its MTU;
#   - DNS over both: one dnsmasq upstream (on 127.0.0.1 and [::1]) answers
#     A and AAAA queries to 10.0.0.1, PREFIX::1 and fe80::1.
#
# Sizes: DUAL_MB (default 32) per transfer, DUAL_DATAGRAMS (default 4000)
# per family.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl dig dnsmasq udhcpc sha256sum ss ip "$PYTHON"

MB=${DUAL_MB:-32}
N=${DUAL_DATAGRAMS:-4000}
for v in "$MB" "$N"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || fail "DUAL_MB and DUAL_DATAGRAMS must be positive integers, not '$v'"
done
PREFIX=$NET6_DEFAULT
GW6=${PREFIX}1
HPORT4=8084	# httpd on 127.0.0.1
HPORT6=8086	# httpd on [::1]
UPORT4=7004	# UDP echo on 127.0.0.1
UPORT6=7006	# UDP echo on [::1]
LIMIT=$((30 + MB))
HERE=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$TMP/www"
head -c $((MB * 1048576)) /dev/urandom >"$TMP/www/blob" || fail "cannot write $MB MiB in $TMP"
want=$(sha256sum "$TMP/www/blob" | cut -d' ' -f1)
printf 'search example.test\nnameserver 127.0.0.1\n' >"$TMP/resolv.conf"

# ns_udp_bound NS PORT: a UDP socket is bound to PORT in NS
ns_udp_bound() { [ -n "$(ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null)" ]; }

# bg_guest NAME CMD...: run CMD in the guest in the background, output in
# $TMP/NAME.out and .err; sets BG_PID
bg_guest() {
	local name=$1
	shift
	ip netns exec "$GUESTNS" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null &
	BG_PID=$!
	track_pid "$BG_PID"
}

# bg_wait PID NAME SECONDS: wait (bounded) for a bg_guest command; fail
# unless it exited 0
bg_wait() {
	wait_exit "$1" "$3" || fail_stats "$2: still running after $3 s"
	if [ "$EXIT_RC" -ne 0 ]; then
		sed 's/^/  | /' "$TMP/$2.out" "$TMP/$2.err" >&2
		fail_stats "$2: exit status $EXIT_RC"
	fi
}

new_pair
# servers: HTTP, UDP echo and DNS on both loopback addresses
start_server "$HOSTNS" "$HPORT4" httpd4 "$PYTHON" "$HERE/httpd.py" "$HPORT4" "$TMP/www" 127.0.0.1
start_server "$HOSTNS" "$HPORT6" httpd6 "$PYTHON" "$HERE/httpd.py" "$HPORT6" "$TMP/www" ::1
for e in "$UPORT4 127.0.0.1" "$UPORT6 ::1"; do
	ip netns exec "$HOSTNS" "$PYTHON" "$HERE/udp_echo.py" server "${e% *}" --bind "${e#* }" \
		--timeout 60 >"$LOG_DIR/echo-${e% *}.log" 2>&1 </dev/null &
	track_pid $!
	wait_until 10 ns_udp_bound "$HOSTNS" "${e% *}" || fail "UDP echo server not bound to ${e#* } ${e% *}"
done
start_server "$HOSTNS" 53 dnsmasq dnsmasq --conf-file=/dev/null --no-daemon --no-resolv --no-hosts \
	--port 53 --listen-address=::1,127.0.0.1 --bind-interfaces --pid-file="$TMP/dnsmasq.pid" \
	--user=root --log-facility=- --local=/test/ --host-record=a.test,10.1.2.3,fd00::1:2:3

start_broth --dns 127.0.0.1 --dns ::1 --resolv-conf "$TMP/resolv.conf"

# 1. both families configured on one interface
udhcpc_once "$GUESTNS" eth0 "$TMP/dhcp4"
assert_eq "IPv4 address (DHCPv4)" 10.0.0.2/24 "$(guest_addrs "$GUESTNS" eth0)"
wait_slaac "$GUESTNS" eth0 "$PREFIX"
gexec ip route show default | grep -q '^default via 10.0.0.1 dev eth0' || fail "no IPv4 default route"
pass "IPv4 default route via 10.0.0.1 and IPv6 default route via fe80::1"

# 2. four transfers at once: download and upload over each family
t0=$SECONDS
bg_guest down4 curl -4 -sS -m "$LIMIT" -o "$TMP/down4" "http://10.0.0.1:$HPORT4/blob"
p_down4=$BG_PID
bg_guest down6 curl -6 -sS -m "$LIMIT" -o "$TMP/down6" "http://[$GW6]:$HPORT6/blob"
p_down6=$BG_PID
bg_guest up4 curl -4 -sS -m "$LIMIT" -T "$TMP/www/blob" "http://10.0.0.1:$HPORT4/upload"
p_up4=$BG_PID
bg_guest up6 curl -6 -sS -m "$LIMIT" -T "$TMP/www/blob" "http://[$GW6]:$HPORT6/upload"
p_up6=$BG_PID
bg_wait "$p_down4" down4 $((LIMIT + 5))
bg_wait "$p_down6" down6 $((LIMIT + 5))
bg_wait "$p_up4" up4 $((LIMIT + 5))
bg_wait "$p_up6" up6 $((LIMIT + 5))
info "4 x $MB MiB at once in $((SECONDS - t0)) s"
assert_eq "IPv4 download sha256" "$want" "$(sha256sum "$TMP/down4" | cut -d' ' -f1)"
assert_eq "IPv6 download sha256" "$want" "$(sha256sum "$TMP/down6" | cut -d' ' -f1)"
rm -f "$TMP/down4" "$TMP/down6"
assert_eq "IPv4 upload (server side)" "$want $((MB * 1048576))" "$(cat "$TMP/up4.out")"
assert_eq "IPv6 upload (server side)" "$want $((MB * 1048576))" "$(cat "$TMP/up6.out")"

# 3. UDP echo over both families at once, fragments both ways
reasm4=$(snmp "$GUESTNS" Ip ReasmOKs)
reasm6=$(snmp6 "$GUESTNS" Ip6ReasmOKs)
t0=$SECONDS
bg_guest udp4 "$PYTHON" "$HERE/udp_echo.py" client 10.0.0.1 "$UPORT4" "$N" --window 4 --timeout 0.5 --retries 3
p4=$BG_PID
bg_guest udp6 "$PYTHON" "$HERE/udp_echo.py" client "$GW6" "$UPORT6" "$N" --window 4 --timeout 0.5 --retries 3
p6=$BG_PID
bg_wait "$p4" udp4 90
bg_wait "$p6" udp6 90
for f in udp4 udp6; do
	line=$(grep -E '^(ok|FAIL) sent ' "$TMP/$f.out" | tail -n 1)
	assert_match "$f echo" "^ok sent $N, echoed $N, lost 0, mismatched 0," "$line"
done
info "2 x $N datagrams (1..65000 bytes) echoed in $((SECONDS - t0)) s"
n4=$(($(snmp "$GUESTNS" Ip ReasmOKs) - reasm4))
n6=$(($(snmp6 "$GUESTNS" Ip6ReasmOKs) - reasm6))
w4=$("$PYTHON" "$HERE/udp_echo.py" sizes "$N" | awk '$1 > 1472 { n++ } END { print n + 0 }')
w6=$("$PYTHON" "$HERE/udp_echo.py" sizes "$N" | awk '$1 > 1452 { n++ } END { print n + 0 }')
[ "$n4" -ge "$w4" ] && [ "$n6" -ge "$w6" ] ||
	fail "the guest reassembled $n4 IPv4 / $n6 IPv6 datagrams (want >= $w4 / $w6 echoes above one frame)"
pass "the guest reassembled $n4 IPv4 and $n6 IPv6 echoes (above one frame: $w4, $w6)"

# 4. large answers to small IPv6 requests: fragmented toward the guest only
for size in 4000 65000; do
	r0=$(snmp6 "$GUESTNS" Ip6ReasmOKs)
	out=$(gexec timeout 60 "$PYTHON" "$HERE/udp_echo.py" pull "$GW6" "$UPORT6" "$size" 20 2>&1) ||
		{ printf '%s\n' "$out" | sed 's/^/  | /' >&2; fail_stats "pull of $size-byte datagrams over IPv6"; }
	assert_match "pull $size bytes over IPv6" '^ok 20/20 pulled' "$out"
	n=$(($(snmp6 "$GUESTNS" Ip6ReasmOKs) - r0))
	[ "$n" -ge 20 ] || fail "the guest reassembled $n of 20 pulled $size-byte datagrams"
done
pass "20 x 4000 and 20 x 65000 bytes pulled over IPv6, all reassembled by the guest"

# 5. DNS over both families
gdig() { gexec timeout 20 dig +time=5 +tries=1 +short "$@" 2>&1 | tr '\n' ' ' | sed 's/ $//' || true; }
for s in 10.0.0.1 "$GW6" fe80::1%eth0; do
	assert_eq "dig @$s a.test A" 10.1.2.3 "$(gdig "@$s" a.test A)"
	assert_eq "dig @$s a.test AAAA" fd00::1:2:3 "$(gdig "@$s" a.test AAAA)"
done
assert_eq "dig @10.0.0.1 host.broth.internal AAAA" "$GW6" "$(gdig @10.0.0.1 host.broth.internal AAAA)"
assert_eq "dig @$GW6 host.broth.internal A" 10.0.0.1 "$(gdig "@$GW6" host.broth.internal A)"

# every connection closed, nothing lost on the way
_all_closed() {
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	[ "$opened" -ge 4 ] && [ "$opened" = "$closed" ]
}
wait_until 10 _all_closed || fail "tcp opened $opened closed $closed 10s after the transfers ended"
pass "tcp opened $opened, closed $closed"
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
for d in udp_send_failed ip_reassembly_timeout ip_reassembly_bad_fragments ip_fragmentation_failed \
	ipv6_fragment; do
	assert_eq "drop $d" 0 "$(stat_drop "$d" "$stats")"
done
stop_broth
test_done
