#!/usr/bin/env bash
# ipv6_dhcp.sh - ISC dhclient -6 against broth's DHCPv6 server, with a test
# resolv.conf whose search list is "example.test":
#   - stateless (-S, Information-request, what the RA's O flag asks for):
#     DNS server PREFIX::1 and search list example.test, no address;
#   - stateful (Solicit, Advertise, Request, Reply): the vnet's one address
#     PREFIX::2 (/128, 24 h, T1 < T2 < lifetime) from server DUID-LL of the
#     gateway MAC, plus DNS and search; the address passes DAD and reaches
#     the gateway;
#   - restarted with its lease file, the client confirms the lease (Confirm)
#     and keeps PREFIX::2; a Release is acknowledged and broth keeps serving;
#   - with Rapid Commit, one Solicit/Reply exchange, no Advertise.
# Every dhclient run is bounded; the stateless client exits once answered,
# the daemon a stateful one leaves is stopped with -x; both checked gone.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd dhclient ip ping

PREFIX=$NET6_DEFAULT
D=$TMP/dhclient6
mkdir -p "$D/ev"
CONF=$D/dhclient6.conf
CONF_RC=$D/dhclient6-rapid.conf
PIDF=$D/dhclient6.pid
SCRIPT=$D/script.sh
RESOLV=$TMP/resolv.conf
printf 'search example.test\nnameserver 127.0.0.1\n' >"$RESOLV"

cat >"$CONF" <<'EOF'
timeout 15;
initial-interval 1;
request dhcp6.name-servers, dhcp6.domain-search;
EOF
{ cat "$CONF"; echo 'send dhcp6.rapid-commit;'; } >"$CONF_RC"

# The -sf script: record every call's variables; put the stateful address
# on the interface (with DAD) and take it away again.
sed "s|@DIR@|$D/ev|" >"$SCRIPT" <<'EOF'
#!/bin/sh
d='@DIR@'
n=$(($(cat "$d/events" 2>/dev/null | wc -l) + 1))
{
	echo "reason=$reason"
	for v in new_ip6_address new_ip6_prefixlen new_dhcp6_name_servers \
		new_dhcp6_domain_search new_dhcp6_server_id new_iaid new_max_life \
		new_preferred_life new_renew new_rebind old_ip6_address; do
		eval "echo $v=\"\${$v:-}\""
	done
} >"$d/$n-$reason"
echo "$reason" >>"$d/events"
case "$reason" in
BOUND6|RENEW6|REBIND6|REBOOT6)
	if [ -n "${new_ip6_address:-}" ]; then
		ip -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" \
			valid_lft "${new_max_life:-forever}" preferred_lft "${new_preferred_life:-forever}"
	fi
	;;
RELEASE6|EXPIRE6|STOP6)
	[ -n "${old_ip6_address:-}" ] && ip -6 addr del "$old_ip6_address/${old_ip6_prefixlen:-128}" dev "$interface"
	;;
esac
exit 0
EOF
chmod +x "$SCRIPT"

# dhclient6 STEP ARGS...: run dhclient -6 in the guest, bounded (it
# daemonizes once done; the daemon's PID is in $PIDF)
dhclient6() {
	local step=$1; shift
	if ! timeout 30 ip netns exec "$GUESTNS" dhclient -6 -v -sf "$SCRIPT" -pf "$PIDF" "$@" \
		>"$D/$step.log" 2>&1; then
		sed 's/^/  | /' "$D/$step.log" >&2
		fail "dhclient -6 $* ($step) failed"
	fi
}

# dhclient6_stop STEP ARGS...: stop the daemon of $PIDF with -x (no
# Release) and check it is gone
dhclient6_stop() {
	local step=$1 pid
	shift
	pid=$(cat "$PIDF" 2>/dev/null) || fail "$step: no dhclient pid file"
	[[ $pid =~ ^[0-9]+$ ]] && proc_alive "$pid" || fail "$step: dhclient ($pid) is not running"
	dhclient6 "$step" -x "$@"
	wait_until 5 proc_gone "$pid" || fail "$step: dhclient $pid still running after -x"
	pass "dhclient $pid stopped"
}

# last_of REASON: the newest record of REASON (fails if there is none)
last_of() {
	local f
	f=$(last_event "$D/ev" "$1")
	[ -n "$f" ] || fail "dhclient never ran $1: $(tr '\n' ' ' <"$D/ev/events" 2>/dev/null)"
	printf '%s\n' "$f"
}

# _addr_ready ADDR: ADDR on eth0 past DAD
_addr_ready() {
	[ -n "$(ip -n "$GUESTNS" -6 -o addr show dev eth0 to "$1/128" -tentative -dadfailed)" ]
}

# check_dns6 FILE WHAT: the record in FILE has broth's DNS server and search list
check_dns6() {
	assert_eq "$2: new_dhcp6_name_servers" "${PREFIX}1" "$(kv "$1" new_dhcp6_name_servers | xargs)"
	assert_match "$2: new_dhcp6_domain_search" '(^| )example\.test\.?( |$)' \
		"$(kv "$1" new_dhcp6_domain_search)"
}

# check_lease6 FILE WHAT: the record in FILE holds the stateful lease
check_lease6() {
	local f=$1 renew rebind life
	assert_eq "$2: new_ip6_address" "${PREFIX}2" "$(kv "$f" new_ip6_address)"
	assert_eq "$2: new_ip6_prefixlen" 128 "$(kv "$f" new_ip6_prefixlen)"
	assert_eq "$2: new_dhcp6_server_id (DUID-LL of the gateway MAC)" \
		0:3:0:1:52:55:0:0:0:1 "$(kv "$f" new_dhcp6_server_id)"
	life=$(kv "$f" new_max_life)
	renew=$(kv "$f" new_renew)
	rebind=$(kv "$f" new_rebind)
	assert_eq "$2: new_max_life" 86400 "$life"
	assert_eq "$2: new_preferred_life" 86400 "$(kv "$f" new_preferred_life)"
	[[ $renew =~ ^[0-9]+$ && $rebind =~ ^[0-9]+$ ]] || fail "$2: T1/T2 missing: '$renew' '$rebind'"
	[ "$renew" -gt 0 ] && [ "$renew" -lt "$rebind" ] && [ "$rebind" -lt "$life" ] ||
		fail "$2: T1/T2 out of order: T1=$renew T2=$rebind lifetime=$life"
	pass "$2: T1=$renew < T2=$rebind < lifetime $life"
	check_dns6 "$f" "$2"
}

new_pair
gexec sysctl -qw net.ipv6.conf.all.accept_ra=1 net.ipv6.conf.default.accept_ra=1 ||
	fail "accept_ra in $GUESTNS"
start_broth --resolv-conf "$RESOLV"
# the RA's flags: O (DHCPv6 for DNS) set, M (addresses) clear; the client
# speaks from its link-local address, so that must have passed DAD
wait_slaac "$GUESTNS" eth0 "$PREFIX"

# 1. stateless: Information-request / Reply
dhclient6 stateless -S -1 -cf "$CONF" -lf "$D/stateless.leases" eth0
grep -q 'Info-Request on eth0' "$D/stateless.log" || fail "stateless: no Information-request sent"
grep -q 'RCV: Reply message on eth0 from fe80::1' "$D/stateless.log" ||
	fail "stateless: no Reply from fe80::1"
pass "stateless: Information-request answered by fe80::1"
f=$(tail -n 1 "$D/ev/events")
f=$(last_of "$f")
info "stateless: dhclient ran $(tr '\n' ' ' <"$D/ev/events")"
check_dns6 "$f" "stateless"
assert_eq "stateless: new_ip6_address" "" "$(kv "$f" new_ip6_address)"
# -1 -S: dhclient exits once answered, and may remove its pid file first
_no_dhclient() {
	! ip netns pids "$GUESTNS" | xargs -r ps -o comm= -p 2>/dev/null | grep -q dhclient
}
wait_until 5 _no_dhclient || fail "stateless: dhclient still running after its Reply"
pass "stateless: dhclient exited once answered"

# 2. stateful: Solicit / Advertise / Request / Reply
LEASES=$D/stateful.leases
dhclient6 stateful -1 -cf "$CONF" -lf "$LEASES" eth0
grep -q 'RCV: Advertise message on eth0 from fe80::1' "$D/stateful.log" || fail "stateful: no Advertise"
grep -q 'RCV: Reply message on eth0 from fe80::1' "$D/stateful.log" || fail "stateful: no Reply"
pass "stateful: Solicit/Advertise/Request/Reply with fe80::1"
check_lease6 "$(last_of BOUND6)" "stateful BOUND6"
grep -q "iaaddr ${PREFIX}2 " "$LEASES" || fail "stateful: ${PREFIX}2 not in the lease file"
wait_until 5 _addr_ready "${PREFIX}2" || fail "${PREFIX}2 did not pass DAD on eth0"
pass "${PREFIX}2 on eth0, past DAD"
rc=0
gexec timeout 10 ping -n -c 3 -i 0.2 -W 2 -I "${PREFIX}2" "${PREFIX}1" >"$TMP/ping.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$TMP/ping.out" >&2; fail_stats "ping ${PREFIX}1 from ${PREFIX}2 failed"; }
pass "ping ${PREFIX}1 from the DHCPv6 address ${PREFIX}2"

# 3. restart with the lease file: Confirm, the same address
dhclient6_stop stateful-stop -cf "$CONF" -lf "$LEASES" eth0
dhclient6 confirm -1 -cf "$CONF" -lf "$LEASES" eth0
grep -q 'Confirm on eth0' "$D/confirm.log" || fail "restart: no Confirm sent"
grep -q 'status code Success' "$D/confirm.log" || fail "restart: the Confirm was not answered Success"
grep -q 'XMT: Solicit' "$D/confirm.log" && fail "restart: the client had to solicit again"
pass "restart: Confirm of ${PREFIX}2 answered Success"
ev=$(tail -n 1 "$D/ev/events")
assert_match "reason after restart with the lease file" '^(REBOOT6|BOUND6)$' "$ev"
assert_eq "restart: new_ip6_address" "${PREFIX}2" "$(kv "$(last_of "$ev")" new_ip6_address)"

# a lease of another link (the guest moved): Confirm says NotOnLink, the
# client solicits and gets PREFIX::2
dhclient6_stop confirm-stop -cf "$CONF" -lf "$LEASES" eth0
sed -i "s/iaaddr ${PREFIX}2 /iaaddr fd99:1:2:3::2 /" "$LEASES"
grep -q 'iaaddr fd99:1:2:3::2 ' "$LEASES" || fail "could not rewrite the lease file"
dhclient6 moved -1 -cf "$CONF" -lf "$LEASES" eth0
grep -q 'Confirm Address fd99:1:2:3::2' "$D/moved.log" || fail "moved: no Confirm of fd99:1:2:3::2"
grep -q 'status code NotOnLink' "$D/moved.log" || fail "moved: the Confirm was not answered NotOnLink"
grep -q 'XMT: Solicit' "$D/moved.log" || fail "moved: the client did not solicit after NotOnLink"
pass "moved: Confirm of fd99:1:2:3::2 answered NotOnLink, the client solicited"
check_lease6 "$(last_of BOUND6)" "moved BOUND6"

# 4. release
dhclient6 release -r -cf "$CONF" -lf "$LEASES" eth0
grep -q 'Release on eth0' "$D/release.log" || fail "no Release sent"
grep -qx RELEASE6 "$D/ev/events" || fail "dhclient -r did not run RELEASE6"
pass "dhclient -6 -r released ${PREFIX}2"
proc_alive "$BROTH_PID" || fail "broth died after the Release"
[ -z "$(cat "$PIDF" 2>/dev/null)" ] || proc_gone "$(cat "$PIDF")" ||
	fail "dhclient still running after -r"

# 5. Rapid Commit: Solicit / Reply
dhclient6 rapid -1 -cf "$CONF_RC" -lf "$D/rapid.leases" eth0
grep -q 'RCV: Reply message on eth0 from fe80::1' "$D/rapid.log" || fail "rapid commit: no Reply"
grep -q 'Advertise message' "$D/rapid.log" && fail "rapid commit: an Advertise was sent"
grep -q 'XMT: Request' "$D/rapid.log" && fail "rapid commit: the client still sent a Request"
pass "rapid commit: one Solicit/Reply exchange"
check_lease6 "$(last_of BOUND6)" "rapid commit BOUND6"
dhclient6_stop rapid-stop -cf "$CONF_RC" -lf "$D/rapid.leases" eth0

stats=$(broth_stats)
for d in dhcpv6_malformed dhcpv6_not_for_us; do
	assert_eq "slowpath drop $d" 0 "$(stat_sp_drop "$d" "$stats")"
done
guest_ping "$GUESTNS" "${PREFIX}1" 3
stop_broth
test_done
