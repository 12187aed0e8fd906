#!/usr/bin/env bash
# icmp_ping_large.sh - echoes larger than the guest MTU (1500): the guest
# sends them as IPv4 fragments, broth reassembles them, and the replies come
# back fragmented at the guest MTU (the guest's reassembly counter shows it);
# payload checked by ping (-p pattern):
#   - to the gateway 10.0.0.1 (answered by broth itself),
#   - to 10.200.0.1 on the host netns's lo (through broth's ping sockets),
# each with 1473, 8000, 30000 and 65000 bytes of payload.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ping ip sysctl

FAR=10.200.0.1
SIZES="1473 8000 30000 65000"

# ping_size ADDR SIZE: 3 echoes of SIZE payload bytes, all answered intact,
# each reply in fragments of the guest MTU (the guest reassembles 3)
ping_size() {
	local addr=$1 size=$2 out=$TMP/ping.out rc=0 n r0
	r0=$(snmp "$GUESTNS" Ip ReasmOKs)
	timeout 20 ip netns exec "$GUESTNS" ping -n -c 3 -i 0.2 -W 2 -s "$size" -p 5a3c "$addr" >"$out" 2>&1 || rc=$?
	grep -E 'packet loss' "$out" | sed 's/^/  | /'
	grep -q 'wrong data byte' "$out" && fail "ping -s $size $addr: corrupted reply payload"
	n=$(grep -c "^$((size + 8)) bytes from $addr: icmp_seq=" "$out" || true)
	[ "$rc" -eq 0 ] && [ "$n" -eq 3 ] || fail_stats "ping -s $size $addr: $n/3 replies of $((size + 8)) bytes (exit $rc)"
	pass "ping -s $size $addr: 3/3 replies of $((size + 8)) bytes"
	n=$(($(snmp "$GUESTNS" Ip ReasmOKs) - r0))
	assert_eq "ping -s $size $addr: replies the guest reassembled (fragmented at MTU 1500)" 3 "$n"
}

new_pair
ip -n "$HOSTNS" addr add "$FAR/32" dev lo || fail "add $FAR to lo in $HOSTNS"
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "set ping_group_range"
# the control: the host netns itself gets the largest echo answered
timeout 10 ip netns exec "$HOSTNS" ping -n -c 1 -W 2 -s 65000 "$FAR" >/dev/null 2>&1 ||
	fail "$FAR does not answer a 65000-byte echo in $HOSTNS"

start_broth --configure
for s in $SIZES; do
	ping_size 10.0.0.1 "$s"
done
for s in $SIZES; do
	ping_size "$FAR" "$s"
done
stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
stop_broth
test_done
