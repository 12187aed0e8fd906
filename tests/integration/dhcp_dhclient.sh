#!/usr/bin/env bash
# dhcp_dhclient.sh - ISC dhclient gets the documented lease (with interface
# MTU and T1/T2), reboots into the same address with its lease file, and a
# DHCPRELEASE does not disturb broth.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd dhclient ip

D=$TMP/dhclient
mkdir -p "$D/ev"
CONF=$D/dhclient.conf
LEASES=$D/dhclient.leases
PIDF=$D/dhclient.pid
SCRIPT=$D/script.sh
RESOLV=$TMP/resolv.conf
printf 'search example.test\nnameserver 127.0.0.1\n' >"$RESOLV"

cat >"$CONF" <<'EOF'
timeout 15;
retry 1;
initial-interval 1;
request subnet-mask, broadcast-address, routers, domain-name,
	domain-name-servers, domain-search, interface-mtu,
	dhcp-lease-time, dhcp-renewal-time, dhcp-rebinding-time;
EOF

# The -sf script: record every call's variables, configure the interface.
sed "s|@DIR@|$D/ev|" >"$SCRIPT" <<'EOF'
#!/bin/sh
d='@DIR@'
n=$(($(cat "$d/events" 2>/dev/null | wc -l) + 1))
{
	echo "reason=$reason"
	for v in new_ip_address new_subnet_mask new_routers new_domain_name_servers \
		new_interface_mtu new_domain_name new_domain_search new_dhcp_lease_time \
		new_dhcp_renewal_time new_dhcp_rebinding_time new_dhcp_server_identifier; do
		eval "echo $v=\"\${$v:-}\""
	done
} >"$d/$n-$reason"
echo "$reason" >>"$d/events"
case "$reason" in
PREINIT)
	ip link set "$interface" up
	;;
BOUND|RENEW|REBIND|REBOOT)
	ip -4 addr flush dev "$interface"
	ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
	for r in $new_routers; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	;;
EXPIRE|FAIL|RELEASE|STOP)
	ip -4 addr flush dev "$interface"
	;;
esac
exit 0
EOF
chmod +x "$SCRIPT"

DHC=(dhclient -v -sf "$SCRIPT" -cf "$CONF" -lf "$LEASES" -pf "$PIDF")

# dhclient_run STEP ARGS...: run dhclient in the guest (it daemonizes once
# bound; the daemon's PID is in $PIDF and cleanup ends it with the netns)
dhclient_run() {
	local step=$1; shift
	if ! timeout 30 ip netns exec "$GUESTNS" "${DHC[@]}" "$@" >"$D/$step.log" 2>&1; then
		sed 's/^/  | /' "$D/$step.log" >&2
		fail "dhclient $* ($step) failed"
	fi
}

# last record of the dhclient script
last_rec() { last_event "$D/ev" "$(tail -n 1 "$D/ev/events")"; }

new_pair
start_broth --resolv-conf "$RESOLV"

# 1. fresh lease
dhclient_run bound -1 eth0
f=$(last_event "$D/ev" BOUND)
[ -n "$f" ] || fail "dhclient never ran BOUND: $(tr '\n' ' ' <"$D/ev/events")"
pass "dhclient BOUND"
assert_eq "new_ip_address" 10.0.0.2 "$(kv "$f" new_ip_address)"
assert_eq "new_subnet_mask" 255.255.255.0 "$(kv "$f" new_subnet_mask)"
assert_eq "new_routers" 10.0.0.1 "$(kv "$f" new_routers)"
assert_eq "new_domain_name_servers" 10.0.0.1 "$(kv "$f" new_domain_name_servers)"
assert_eq "new_interface_mtu" 1500 "$(kv "$f" new_interface_mtu)"
assert_eq "new_dhcp_server_identifier" 10.0.0.1 "$(kv "$f" new_dhcp_server_identifier)"
assert_eq "new_dhcp_lease_time" 86400 "$(kv "$f" new_dhcp_lease_time)"
t1=$(kv "$f" new_dhcp_renewal_time)
t2=$(kv "$f" new_dhcp_rebinding_time)
[[ $t1 =~ ^[0-9]+$ && $t2 =~ ^[0-9]+$ ]] || fail "T1/T2 missing: T1='$t1' T2='$t2'"
[ "$t1" -gt 0 ] && [ "$t1" -lt "$t2" ] && [ "$t2" -lt 86400 ] ||
	fail "T1/T2 out of order: T1=$t1 T2=$t2 lease=86400"
pass "T1=$t1 < T2=$t2 < lease"
doms="$(kv "$f" new_domain_name) $(kv "$f" new_domain_search)"
assert_match "domain name/search" '(^|[ ])example\.test\.?([ ]|$)' "$doms"
assert_eq "guest address" 10.0.0.2/24 "$(guest_addrs "$GUESTNS" eth0)"
guest_ping "$GUESTNS" 10.0.0.1 3

# 2. stop the client without releasing, start again with the same lease
#    file: INIT-REBOOT (DHCPREQUEST for the known address) must be ACKed
dhclient_run stop -x eth0
dhclient_run reboot -1 eth0
ev=$(tail -n 1 "$D/ev/events")
assert_eq "reason after restart with lease file" REBOOT "$ev"
assert_eq "rebooted new_ip_address" 10.0.0.2 "$(kv "$(last_rec)" new_ip_address)"
grep -qx NAK "$D/ev/events" && fail "a NAK was seen: $(tr '\n' ' ' <"$D/ev/events")"
guest_ping "$GUESTNS" 10.0.0.1 3

# 3. release, then lease again: broth must keep serving
dhclient_run release -r eth0
grep -qx RELEASE "$D/ev/events" || fail "dhclient -r did not run RELEASE"
pass "dhclient -r released the lease"
proc_alive "$BROTH_PID" || fail "broth died after DHCPRELEASE"
pass "broth still running after DHCPRELEASE"
dhclient_run again -1 eth0
ev=$(tail -n 1 "$D/ev/events")
assert_match "reason after release" '^(BOUND|REBOOT)$' "$ev"
assert_eq "new_ip_address after release" 10.0.0.2 "$(kv "$(last_rec)" new_ip_address)"
guest_ping "$GUESTNS" 10.0.0.1 3
dhclient_run final-stop -x eth0

stop_broth
test_done
