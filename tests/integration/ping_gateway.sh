#!/usr/bin/env bash
# ping_gateway.sh - 20 echoes to the gateway, none lost, each reply well formed
# (first after a DHCP lease, then with --configure).
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd udhcpc ping ip

# ping20 ADDR: 20 echoes from the guest, 0 % loss, TTL and seq on every reply
ping20() {
	local addr=$1 out=$TMP/ping20.out rc=0 n ttls seqs
	timeout 30 ip netns exec "$GUESTNS" ping -n -c 20 -i 0.2 -W 2 "$addr" >"$out" 2>&1 || rc=$?
	tail -n 2 "$out" | sed 's/^/  | /'
	[ "$rc" -eq 0 ] || { cat "$out" >&2; fail "ping $addr exit status $rc"; }
	grep -q ' 20 received, 0% packet loss' "$out" || fail "ping $addr lost replies"
	n=$(grep -c "^[0-9]* bytes from $addr: icmp_seq=[0-9]* ttl=[0-9]* time=" "$out" || true)
	assert_eq "well-formed replies from $addr" 20 "$n"
	grep -q 'DUP!' "$out" && fail "duplicate replies from $addr"
	ttls=$(sed -n 's/.* ttl=\([0-9]*\) .*/\1/p' "$out" | sort -u | tr '\n' ' ')
	assert_match "reply TTL" '^[1-9][0-9]* $' "$ttls"
	seqs=$(sed -n 's/.* icmp_seq=\([0-9]*\) .*/\1/p' "$out" | sort -n | tr '\n' ' ')
	assert_eq "icmp_seq 1..20" "$(seq 1 20 | tr '\n' ' ')" "$seqs"
}

# 1. after DHCP
new_pair
start_broth
udhcpc_once "$GUESTNS" eth0 "$TMP/lease"
ping20 10.0.0.1
# a larger echo (1400 bytes of payload) must come back intact too
out=$TMP/ping-big.out
timeout 15 ip netns exec "$GUESTNS" ping -n -c 3 -i 0.2 -W 2 -s 1400 -p a5 10.0.0.1 >"$out" 2>&1 ||
	{ cat "$out" >&2; fail "1400-byte ping failed"; }
assert_eq "1400-byte replies" 3 "$(grep -c '^1408 bytes from 10.0.0.1' "$out" || true)"
stop_broth

# 2. with --configure
new_pair
start_broth --configure
ping20 10.0.0.1
stop_broth

test_done
