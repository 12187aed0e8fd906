#!/usr/bin/env bash
# arp_arping.sh - broth answers ARP for the gateway only, and the guest's
# neighbour entry for the gateway is the MAC that answered.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd arping ping ip

new_pair
start_broth --configure
GMAC=$(ip -n "$GUESTNS" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
[ -n "$GMAC" ] || fail "no MAC on guest eth0"

# 1. gateway: three requests, three replies, all from one MAC
out=$TMP/arping-gw.out
rc=0
timeout 15 ip netns exec "$GUESTNS" arping -c 3 -w 5 -I eth0 10.0.0.1 >"$out" 2>&1 || rc=$?
sed 's/^/  | /' "$out"
[ "$rc" -eq 0 ] || fail "arping 10.0.0.1 exit status $rc (want 0)"
n=$(sed -n 's/^Received \([0-9]*\) response.*/\1/p' "$out")
assert_eq "ARP replies for 10.0.0.1" 3 "$n"
macs=$(sed -n 's/.*reply from 10\.0\.0\.1 \[\([0-9A-Fa-f:]*\)\].*/\1/p' "$out" |
	tr 'A-F' 'a-f' | sort -u)
[ "$(printf '%s\n' "$macs" | grep -c .)" -eq 1 ] || fail "replies from several or no MACs: $macs"
GWMAC=$macs
[ "$GWMAC" != "$GMAC" ] || fail "gateway answered with the guest's own MAC $GMAC"
[ "$GWMAC" != 00:00:00:00:00:00 ] && [ "$GWMAC" != ff:ff:ff:ff:ff:ff ] ||
	fail "gateway MAC is $GWMAC"
pass "gateway MAC $GWMAC (guest $GMAC)"

# 2. another address in the subnet: nobody answers
out=$TMP/arping-77.out
rc=0
timeout 15 ip netns exec "$GUESTNS" arping -c 2 -w 3 -I eth0 10.0.0.77 >"$out" 2>&1 || rc=$?
sed 's/^/  | /' "$out"
[ "$rc" -ne 0 ] || fail "arping 10.0.0.77 was answered (exit 0)"
n=$(sed -n 's/^Received \([0-9]*\) response.*/\1/p' "$out")
assert_eq "ARP replies for 10.0.0.77" 0 "$n"

# 3. after a ping the kernel's neighbour entry holds the gateway MAC
gexec ip neigh flush dev eth0
guest_ping "$GUESTNS" 10.0.0.1 3
neigh=$(gexec ip neigh show 10.0.0.1 dev eth0)
info "neighbour: $neigh"
assert_match "neighbour state" '(REACHABLE|STALE|DELAY|PROBE)' "$neigh"
assert_eq "neighbour lladdr" "$GWMAC" \
	"$(sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p' <<<"$neigh")"

# 4. broth must still be fine after the unanswered requests
proc_alive "$BROTH_PID" || fail "broth died"
stop_broth
test_done
