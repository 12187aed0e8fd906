#!/usr/bin/env bash
# ipv6_ping.sh - ping -6 from a SLAAC guest:
#   - to the gateway's two addresses, fe80::1%eth0 and PREFIX::1 (answered
#     by broth itself): 20 of 20, with a hop limit;
#   - to fd99::7, an address the test puts on the host netns's lo (not the
#     gateway): broth sends the echoes from an unprivileged ICMPv6 ping
#     socket (net.ipv4.ping_group_range covers both families) and relays the
#     replies with their hop limit, the host netns's unusual 77; also with
#     ping -t 5; with ping sockets not allowed, through broth's raw ICMPv6
#     socket;
#   - 4000-byte echoes to the gateway and to fd99::7: the guest sends them as
#     IPv6 fragments at its MTU (1500) and the replies come back fragmented
#     toward the guest.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ping ip sysctl

PREFIX=$NET6_DEFAULT
FAR=fd99::7
HOST_HOPS=77

# ping_ok ADDR WHAT PING_ARGS...: 20 echoes PING_I (default 0.2) s apart,
# 0 % loss, 20 well-formed replies; sets HOPS (the distinct reply hop limits)
ping_ok() {
	local addr=$1 what=$2 out=$TMP/ping.out rc=0 n
	shift 2
	timeout 25 ip netns exec "$GUESTNS" ping -n -c 20 -i "${PING_I:-0.2}" -W 2 "$@" "$addr" >"$out" 2>&1 || rc=$?
	tail -n 2 "$out" | sed 's/^/  | /'
	[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$out" >&2; fail_stats "$what: ping exit status $rc"; }
	grep -q ' 20 received, 0% packet loss' "$out" || fail_stats "$what: lost replies"
	grep -q 'DUP!' "$out" && fail "$what: duplicate replies"
	grep -q 'wrong data byte' "$out" && fail "$what: corrupted reply payload"
	n=$(grep -c "^[0-9]* bytes from $addr: icmp_seq=[0-9]* ttl=[0-9]* time=" "$out" || true)
	assert_eq "$what: well-formed replies" 20 "$n"
	n=$(sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' "$out" | sort -un | wc -l)
	assert_eq "$what: distinct icmp_seq" 20 "$n"
	HOPS=$(sed -n 's/.* ttl=\([0-9]*\) .*/\1/p' "$out" | sort -u | tr '\n' ' ' | sed 's/ $//')
}

# sockets NS FILE: sockets listed in /proc/net/FILE of NS (icmp6: ping sockets)
sockets() { ip netns exec "$1" awk 'NR > 1' "/proc/net/$2" | wc -l; }

new_pair
ip -n "$HOSTNS" addr add "$FAR/128" dev lo || fail "add $FAR to lo in $HOSTNS"
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "set ping_group_range"
for c in all default lo; do
	in_ns "$HOSTNS" sysctl -qw "net.ipv6.conf.$c.hop_limit=$HOST_HOPS" || fail "hop_limit $c in $HOSTNS"
done
# the host itself reaches FAR (the control)
wait_until 5 in_ns "$HOSTNS" ping -n -c 1 -W 1 "$FAR" >/dev/null 2>&1 || fail "$FAR does not answer in $HOSTNS"

# 1. ping sockets
start_broth
wait_slaac "$GUESTNS" eth0 "$PREFIX"
assert_eq "ping sockets in the host netns before" 0 "$(sockets "$HOSTNS" icmp6)"
ping_ok fe80::1%eth0 "ping fe80::1%eth0"
assert_match "ping fe80::1%eth0: reply hop limit" '^[1-9][0-9]*$' "$HOPS"
ping_ok "${PREFIX}1" "ping ${PREFIX}1"
assert_match "ping ${PREFIX}1: reply hop limit" '^[1-9][0-9]*$' "$HOPS"
ping_ok "$FAR" "ping $FAR"
assert_eq "ping $FAR: reply hop limit (the host's, passed on)" "$HOST_HOPS" "$HOPS"
n=$(sockets "$HOSTNS" icmp6)
[ "$n" -ge 1 ] || fail "no ICMPv6 ping socket in $HOSTNS after the pings (/proc/net/icmp6)"
pass "broth holds $n ICMPv6 ping socket(s) in the host netns"
assert_eq "raw IPv6 sockets in the host netns" 0 "$(sockets "$HOSTNS" raw6)"
PING_I=0.05 ping_ok "$FAR" "ping -t 5 $FAR" -t 5
assert_eq "ping -t 5 $FAR: reply hop limit" "$HOST_HOPS" "$HOPS"
PING_I=0.05 ping_ok "$FAR" "ping -s 1400 $FAR" -s 1400 -p c3
n=$(grep -c "^1408 bytes from $FAR" "$TMP/ping.out" || true)
assert_eq "1400-byte replies from $FAR" 20 "$n"
stats=$(broth_stats)
for d in ping_no_icmp_socket ping_send_failed ping_flow_table_full; do
	assert_eq "drop $d" 0 "$(stat_drop "$d" "$stats")"
done
stop_broth

# 2. ping sockets not allowed: broth (root) falls back to a raw ICMPv6 socket
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="1 0" || fail "reset ping_group_range"
new_netns GUESTNS g
start_broth
wait_slaac "$GUESTNS" eth0 "$PREFIX"
PING_I=0.05 ping_ok "$FAR" "ping $FAR (raw fallback)"
assert_eq "ping $FAR (raw fallback): reply hop limit" "$HOST_HOPS" "$HOPS"
n=$(sockets "$HOSTNS" raw6)
[ "$n" -ge 1 ] || fail "no raw ICMPv6 socket in $HOSTNS with ping sockets disallowed (/proc/net/raw6)"
pass "broth holds $n raw ICMPv6 socket(s) in the host netns"

# 3. large echoes: fragments from the guest, fragmented replies to it
reasm0=$(snmp6 "$GUESTNS" Ip6ReasmOKs)
for a in "${PREFIX}1" "$FAR"; do
	before=$(broth_stats)
	rc=0
	timeout 20 ip netns exec "$GUESTNS" ping -n -c 5 -i 0.2 -W 2 -s 4000 "$a" >"$TMP/big.out" 2>&1 || rc=$?
	tail -n 2 "$TMP/big.out" | sed 's/^/  | /'
	if [ "$rc" -ne 0 ] || ! grep -q ' 5 received, 0% packet loss' "$TMP/big.out"; then
		after=$(broth_stats)
		for d in ipv6_fragment ip_reassembly_timeout ip_reassembly_bad_fragments ip_fragmentation_failed; do
			info "drop $d: $(stat_drop "$d" "$before") -> $(stat_drop "$d" "$after")"
		done
		fail "ping -s 4000 $a: replies missing (exit $rc; the requests are IPv6 fragments at MTU 1500)"
	fi
	n=$(grep -c "^4008 bytes from $a" "$TMP/big.out" || true)
	assert_eq "ping -s 4000 $a: 4008-byte replies" 5 "$n"
done
reasm=$(($(snmp6 "$GUESTNS" Ip6ReasmOKs) - reasm0))
[ "$reasm" -ge 10 ] || fail "the guest reassembled $reasm IPv6 datagrams (want >= 10 fragmented replies)"
pass "the guest reassembled $reasm fragmented replies"
stop_broth
test_done
