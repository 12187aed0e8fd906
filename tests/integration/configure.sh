#!/usr/bin/env bash
# configure.sh - --configure puts the address, default route and MTU on the
# guest interface itself; without it the interface carries no address.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ping ip

# check_configured MTU
check_configured() {
	local mtu=$1 route
	assert_eq "eth0 addresses" 10.0.0.2/24 "$(guest_addrs "$GUESTNS" eth0)"
	route=$(gexec ip -4 route show default)
	assert_match "default route" '^default via 10\.0\.0\.1 dev eth0' "$route"
	assert_eq "eth0 MTU" "$mtu" "$(link_mtu "$GUESTNS" eth0)"
	assert_match "eth0 state" '<[^>]*UP[^>]*>' "$(gexec ip -o link show eth0)"
	guest_ping "$GUESTNS" 10.0.0.1 5
}

# 1. default MTU
new_pair
start_broth --configure
check_configured 1500
stop_broth
assert_eq "routes left in guest" "" "$(gexec ip -4 route show)"

# 2. --mtu 1400
new_pair
start_broth --configure --mtu 1400
check_configured 1400
stop_broth

# 3. another interface name
new_pair
start_broth --configure --ifname veth7
assert_eq "veth7 addresses" 10.0.0.2/24 "$(guest_addrs "$GUESTNS" veth7)"
link_absent "$GUESTNS" eth0 || fail "eth0 created although --ifname veth7"
guest_ping "$GUESTNS" 10.0.0.1 3
stop_broth

# 4. without --configure: link up, no address, no route
new_pair
start_broth
assert_eq "eth0 addresses without --configure" "" "$(guest_addrs "$GUESTNS" eth0)"
assert_eq "default route without --configure" "" "$(gexec ip -4 route show default)"
assert_eq "eth0 MTU without --configure" 1500 "$(link_mtu "$GUESTNS" eth0)"
stop_broth

test_done
