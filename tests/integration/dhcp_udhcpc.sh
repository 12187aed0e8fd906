#!/usr/bin/env bash
# dhcp_udhcpc.sh - busybox udhcpc gets the documented lease from broth,
# with the MTU and search domain options, and renews it on SIGUSR1.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd udhcpc ip

RESOLV=$TMP/resolv.conf
printf 'search example.test\nnameserver 127.0.0.1\n' >"$RESOLV"

# check_lease FILE MTU: the recorded udhcpc variables match the default vnet
check_lease() {
	local f=$1 mtu=$2 doms
	assert_eq "ip" 10.0.0.2 "$(kv "$f" ip)"
	assert_eq "subnet" 255.255.255.0 "$(kv "$f" subnet)"
	assert_eq "router" 10.0.0.1 "$(kv "$f" router)"
	assert_eq "dns" 10.0.0.1 "$(kv "$f" dns | xargs)"
	assert_eq "serverid" 10.0.0.1 "$(kv "$f" serverid)"
	assert_eq "mtu" "$mtu" "$(kv "$f" mtu)"
	assert_eq "lease" 86400 "$(kv "$f" lease)"
	doms="$(kv "$f" domain) $(kv "$f" search)"
	assert_match "domain/search" '(^|[ ])example\.test\.?([ ]|$)' "$doms"
}

# 1. default MTU, search domain from --resolv-conf
new_pair
start_broth --resolv-conf "$RESOLV"
udhcpc_once "$GUESTNS" eth0 "$TMP/l1"
check_lease "$(last_event "$TMP/l1" bound)" 1500
assert_eq "guest address" 10.0.0.2/24 "$(guest_addrs "$GUESTNS" eth0)"
guest_ping "$GUESTNS" 10.0.0.1 3
stop_broth

# 2. --mtu 1400 is offered as option 26 and set on the tap
new_pair
start_broth --mtu 1400 --resolv-conf "$RESOLV"
assert_eq "tap MTU" 1400 "$(link_mtu "$GUESTNS" eth0)"
udhcpc_once "$GUESTNS" eth0 "$TMP/l2"
check_lease "$(last_event "$TMP/l2" bound)" 1400

# 3. renew: udhcpc stays running; SIGUSR1 forces a (unicast) renew
dir=$TMP/l3
mkdir -p "$dir"
write_udhcpc_script "$dir.sh" "$dir"
ip netns exec "$GUESTNS" udhcpc -i eth0 -f -t 5 -T 1 -A 1 -O mtu -O search -s "$dir.sh" \
	>"$dir.log" 2>&1 </dev/null &
UPID=$!
track_pid "$UPID"
has_bound() { [ -n "$(last_event "$dir" bound)" ]; }
wait_until 15 has_bound || { cat "$dir.log" >&2; fail "background udhcpc never bound"; }
pass "background udhcpc bound"
n_before=$(wc -l <"$dir/events")
kill -USR1 "$UPID"
renewed() {
	[ "$(wc -l <"$dir/events")" -gt "$n_before" ] &&
		tail -n 1 "$dir/events" | grep -qE '^(renew|bound)$'
}
wait_until 15 renewed || { cat "$dir.log" "$dir/events" >&2; fail "no renew/bound after SIGUSR1"; }
ev=$(tail -n 1 "$dir/events")
pass "udhcpc re-ran its script after SIGUSR1: $ev"
grep -qx deconfig <(tail -n +"$((n_before + 1))" "$dir/events") &&
	fail "renew went through deconfig (lease lost): $(tr '\n' ' ' <"$dir/events")"
f=$(last_event "$dir" "$ev")
assert_eq "renewed ip" 10.0.0.2 "$(kv "$f" ip)"
assert_eq "renewed lease" 86400 "$(kv "$f" lease)"
proc_alive "$UPID" || fail "udhcpc died"
kill "$UPID"
wait_exit "$UPID" 5 || fail "udhcpc did not stop"
guest_ping "$GUESTNS" 10.0.0.1 3
stop_broth

test_done
