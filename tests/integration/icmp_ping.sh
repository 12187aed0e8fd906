#!/usr/bin/env bash
# icmp_ping.sh - ping from the guest to an address that is not the gateway:
# 10.200.0.1, which the test puts on the host netns's lo. broth sends the
# echoes from an unprivileged ICMP "ping" socket (the test allows them in its
# host netns with net.ipv4.ping_group_range, a per-netns setting) and relays
# the replies with their TTL: the host netns's default TTL is set to an
# unusual 77 so the guest can tell it was passed on. Also with ping -t 5,
# with 1400-byte echoes, to the gateway (answered by broth itself), and, with
# ping sockets not allowed, through broth's raw-socket fallback.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ping ip sysctl

FAR=10.200.0.1
HOST_TTL=77

# ping_ok ADDR WHAT PING_ARGS...: 20 echoes 50 ms apart, 0 % loss, 20
# well-formed replies; sets TTLS (the distinct reply TTLs)
ping_ok() {
	local addr=$1 what=$2 out=$TMP/ping.out rc=0 n
	shift 2
	timeout 20 ip netns exec "$GUESTNS" ping -n -c 20 -i 0.05 -W 2 "$@" "$addr" >"$out" 2>&1 || rc=$?
	tail -n 2 "$out" | sed 's/^/  | /'
	[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$out" >&2; fail_stats "$what: ping exit status $rc"; }
	grep -q ' 20 received, 0% packet loss' "$out" || fail_stats "$what: lost replies"
	grep -q 'DUP!' "$out" && fail "$what: duplicate replies"
	grep -q 'wrong data byte' "$out" && fail "$what: corrupted reply payload"
	n=$(grep -c "^[0-9]* bytes from $addr: icmp_seq=[0-9]* ttl=[0-9]* time=" "$out" || true)
	assert_eq "$what: well-formed replies" 20 "$n"
	n=$(sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' "$out" | sort -un | wc -l)
	assert_eq "$what: distinct icmp_seq" 20 "$n"
	TTLS=$(sed -n 's/.* ttl=\([0-9]*\) .*/\1/p' "$out" | sort -u | tr '\n' ' ' | sed 's/ $//')
}

# sockets NS FILE: sockets listed in /proc/net/FILE of NS (icmp: ping sockets)
sockets() { ip netns exec "$1" awk 'NR > 1' "/proc/net/$2" | wc -l; }

new_pair
ip -n "$HOSTNS" addr add "$FAR/32" dev lo || fail "add $FAR to lo in $HOSTNS"
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "set ping_group_range"
in_ns "$HOSTNS" sysctl -qw net.ipv4.ip_default_ttl="$HOST_TTL" || fail "set ip_default_ttl"
assert_eq "host netns ping_group_range" "0	2147483647" "$(in_ns "$HOSTNS" sysctl -n net.ipv4.ping_group_range)"
# the host itself reaches FAR (the control)
timeout 10 ip netns exec "$HOSTNS" ping -n -c 1 -W 2 "$FAR" >/dev/null 2>&1 || fail "$FAR does not answer in $HOSTNS"

# 1. ping sockets
start_broth --configure
assert_eq "ping sockets in the host netns before" 0 "$(sockets "$HOSTNS" icmp)"
ping_ok "$FAR" "ping $FAR"
assert_eq "ping $FAR: reply TTL (the host's, passed on)" "$HOST_TTL" "$TTLS"
n=$(sockets "$HOSTNS" icmp)
[ "$n" -ge 1 ] || fail "no ICMP ping socket in $HOSTNS after the pings (/proc/net/icmp)"
pass "broth holds $n ping socket(s) in the host netns"
assert_eq "raw sockets in the host netns" 0 "$(sockets "$HOSTNS" raw)"
ping_ok "$FAR" "ping -t 5 $FAR" -t 5
assert_eq "ping -t 5 $FAR: reply TTL" "$HOST_TTL" "$TTLS"
ping_ok "$FAR" "ping -s 1400 $FAR" -s 1400 -p c3
n=$(grep -c "^1408 bytes from $FAR" "$TMP/ping.out" || true)
assert_eq "1400-byte replies from $FAR" 20 "$n"
ping_ok 10.0.0.1 "ping 10.0.0.1"
assert_match "ping 10.0.0.1: reply TTL" '^[1-9][0-9]*$' "$TTLS"
stats=$(broth_stats)
for d in ping_no_icmp_socket ping_send_failed ping_flow_table_full; do
	assert_eq "drop $d" 0 "$(stat_drop "$d" "$stats")"
done
stop_broth

# 2. ping sockets not allowed: broth (root) falls back to a raw socket
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="1 0" || fail "reset ping_group_range"
new_netns GUESTNS g
start_broth --configure
ping_ok "$FAR" "ping $FAR (raw fallback)"
assert_eq "ping $FAR (raw fallback): reply TTL" "$HOST_TTL" "$TTLS"
n=$(sockets "$HOSTNS" raw)
[ "$n" -ge 1 ] || fail "no raw socket in $HOSTNS with ping sockets disallowed (/proc/net/raw)"
pass "broth holds $n raw ICMP socket(s) in the host netns"
stop_broth
test_done
