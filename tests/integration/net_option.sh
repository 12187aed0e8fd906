#!/usr/bin/env bash
# net_option.sh - --net CIDR moves the gateway, DNS and guest address.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd udhcpc ping ip

# 1. --net 192.168.77.0/24 over DHCP
new_pair
start_broth --net 192.168.77.0/24
udhcpc_once "$GUESTNS" eth0 "$TMP/l1"
f=$(last_event "$TMP/l1" bound)
assert_eq "ip" 192.168.77.2 "$(kv "$f" ip)"
assert_eq "subnet" 255.255.255.0 "$(kv "$f" subnet)"
assert_eq "router" 192.168.77.1 "$(kv "$f" router)"
assert_eq "dns" 192.168.77.1 "$(kv "$f" dns | xargs)"
assert_eq "serverid" 192.168.77.1 "$(kv "$f" serverid)"
guest_ping "$GUESTNS" 192.168.77.1 5
stop_broth

# 2. --net 192.168.77.0/24 --configure
new_pair
start_broth --net 192.168.77.0/24 --configure
assert_eq "configured address" 192.168.77.2/24 "$(guest_addrs "$GUESTNS" eth0)"
assert_match "default route" '^default via 192\.168\.77\.1 ' "$(gexec ip -4 route show default)"
guest_ping "$GUESTNS" 192.168.77.1 3
stop_broth

# 3. a /16: mask follows the prefix
new_pair
start_broth --net 10.77.0.0/16
udhcpc_once "$GUESTNS" eth0 "$TMP/l3"
f=$(last_event "$TMP/l3" bound)
assert_eq "ip (/16)" 10.77.0.2 "$(kv "$f" ip)"
assert_eq "subnet (/16)" 255.255.0.0 "$(kv "$f" subnet)"
assert_eq "router (/16)" 10.77.0.1 "$(kv "$f" router)"
guest_ping "$GUESTNS" 10.77.0.1 3
stop_broth

test_done
