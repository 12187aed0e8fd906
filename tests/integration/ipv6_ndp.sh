#!/usr/bin/env bash
# ipv6_ndp.sh - neighbor discovery and SLAAC against broth's router:
#   - with --net6 fd42:1:2:3::/64 --mtu 1400 and a test resolv.conf whose
#     search list is "example.test", rdisc6 in the guest sees the Router
#     Advertisement from fe80::1: the prefix (on-link, autonomous), the MTU
#     1400, RDNSS fd42:1:2:3::1, DNSSL example.test, M clear, O set, a
#     router lifetime and the gateway's MAC;
#   - the guest kernel (accept_ra 1) forms an address in the prefix that
#     passes duplicate address detection (never tentative or dadfailed) and
#     a default route via fe80::1; its IPv6 MTU is 1400;
#   - Neighbor Solicitations for fe80::1 and PREFIX::1 are answered with the
#     gateway's MAC (router flag); one for another address of the prefix is
#     not (the guest gets "address unreachable", broth counts the NS);
#   - unsolicited RAs: a guest that sends no Router Solicitation at all
#     (router_solicitations 0) configures itself from the RA broth sends on
#     its own shortly after start; without a search list the RA has no DNSSL.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd rdisc6 ping ip sysctl

PREFIX=fd42:1:2:3::	# --net6 of part 1 (the default is $NET6_DEFAULT)
MTU=1400
RESOLV=$TMP/resolv.conf
printf 'search example.test\nnameserver 127.0.0.1\n' >"$RESOLV"
RESOLV_NOSEARCH=$TMP/resolv-nosearch.conf
printf 'nameserver 127.0.0.1\n' >"$RESOLV_NOSEARCH"

# ra_field FILE KEY: the value rdisc6 printed for KEY (its first line
# containing KEY), without the padding
ra_field() {
	awk -v k="$2" 'index($0, k) { sub(/^[^:]*: */, ""); sub(/ +$/, ""); print; exit }' "$1"
}

# rdisc6_ok FILE: rdisc6 in the guest (3 solicitations, 1 s apart), output in
# FILE; it sends from the link-local address, so that must have passed DAD
rdisc6_ok() {
	local rc=0
	wait_ll "$GUESTNS" eth0
	gexec timeout 15 rdisc6 -r 3 -w 1000 eth0 >"$1" 2>&1 || rc=$?
	sed 's/^/  | /' "$1"
	[ "$rc" -eq 0 ] || fail_stats "rdisc6 eth0: exit status $rc (no Router Advertisement)"
}

# guest_accepts_ra: the guest netns takes RAs on new interfaces (set before
# broth creates eth0, so the kernel's defaults do not matter)
guest_accepts_ra() {
	gexec sysctl -qw net.ipv6.conf.all.accept_ra=1 net.ipv6.conf.default.accept_ra=1 \
		net.ipv6.conf.all.forwarding=0 || fail "accept_ra in $GUESTNS"
}

# 1. a non-default prefix and MTU, a search list
new_pair
guest_accepts_ra
start_broth --net6 "$PREFIX/64" --mtu "$MTU" --resolv-conf "$RESOLV"
assert_eq "eth0 accept_ra" 1 "$(gexec sysctl -n net.ipv6.conf.eth0.accept_ra)"

out=$TMP/rdisc6.out
rdisc6_ok "$out"
grep -q '^ from fe80::1$' "$out" || fail "rdisc6: the RA does not come from fe80::1"
pass "rdisc6: RA from fe80::1"
assert_eq "RA prefix" "$PREFIX/64" "$(ra_field "$out" Prefix)"
assert_eq "RA prefix on-link (L)" Yes "$(ra_field "$out" On-link)"
assert_eq "RA prefix autonomous (A)" Yes "$(ra_field "$out" 'Autonomous address conf.')"
assert_match "RA prefix valid time" '^[1-9][0-9]* ' "$(ra_field "$out" 'Valid time')"
assert_match "RA prefix preferred time" '^[1-9][0-9]* ' "$(ra_field "$out" 'Pref. time')"
assert_eq "RA MTU" "$MTU bytes (valid)" "$(ra_field "$out" MTU)"
assert_eq "RA RDNSS" "${PREFIX}1" "$(ra_field "$out" 'Recursive DNS server')"
assert_eq "RA DNSSL" example.test "$(ra_field "$out" 'DNS search list')"
assert_eq "RA managed flag (M)" No "$(ra_field "$out" 'Stateful address conf.')"
assert_eq "RA other-config flag (O)" Yes "$(ra_field "$out" 'Stateful other conf.')"
assert_match "RA router lifetime" '^[1-9][0-9]* ' "$(ra_field "$out" 'Router lifetime')"
gwmac=$(ra_field "$out" 'Source link-layer address')
assert_match "RA source link-layer address" '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' "$gwmac"

# SLAAC: an address in the prefix past DAD, the default route from the RA
wait_slaac "$GUESTNS" eth0 "$PREFIX"
addr=$SLAAC_ADDR
assert_match "SLAAC address in $PREFIX/64" "^${PREFIX%::}:" "$addr"
route=$(gexec ip -6 route show default)
assert_match "default route" "^default via fe80::1 dev eth0 proto ra " "$route"
assert_eq "eth0 IPv6 MTU" "$MTU" "$(gexec sysctl -n net.ipv6.conf.eth0.mtu)"
# DAD of the guest's own addresses succeeded and stays so: broth must not
# answer the guest's probes for them
sleep 2
assert_eq "tentative addresses after DAD" "" "$(guest_addrs6 "$GUESTNS" eth0 all tentative)"
assert_eq "dadfailed addresses" "" "$(guest_addrs6 "$GUESTNS" eth0 all dadfailed)"
assert_eq "the SLAAC address is still there" "$addr" "$(guest_slaac_addr "$GUESTNS" eth0 "$PREFIX")"
flags=$(gexec ip -6 -o addr show dev eth0 to "$addr/128" |
	awk '{ for (i = 5; i <= NF && $i != "\\"; i++) printf " %s", $i; print " " }')
assert_match "SLAAC address flags" ' dynamic ' "$flags"

# NS/NA: both gateway addresses resolve to the gateway's MAC, as a router
guest_ping "$GUESTNS" fe80::1%eth0 3
guest_ping "$GUESTNS" "${PREFIX}1" 3
for a in fe80::1 "${PREFIX}1"; do
	n=$(gexec ip -6 neigh show dev eth0 to "$a")
	assert_match "neighbor $a" "^$a lladdr $gwmac router (REACHABLE|STALE|DELAY|PROBE)" "$n"
done

# another address of the prefix: nobody answers its NS (only the guest and
# the gateway live on the link)
stats=$(broth_stats)
ns0=$(stat_sp_drop ndp_target_not_gateway "$stats")
rc=0
gexec timeout 10 ping -n -c 1 -W 4 "${PREFIX}99" >"$TMP/ping99.out" 2>&1 || rc=$?
sed 's/^/  | /' "$TMP/ping99.out"
[ "$rc" -ne 0 ] || fail "ping ${PREFIX}99 was answered (no one has that address)"
pass "ping ${PREFIX}99 unanswered (exit $rc)"
stats=$(broth_stats)
ns1=$(stat_sp_drop ndp_target_not_gateway "$stats")
[ "$ns1" -gt "$ns0" ] || fail "broth saw no NS for ${PREFIX}99 (ndp_target_not_gateway $ns0 -> $ns1)"
pass "broth left the NS for ${PREFIX}99 unanswered (ndp_target_not_gateway $ns0 -> $ns1)"
assert_eq "slowpath drop ndp_malformed" 0 "$(stat_sp_drop ndp_malformed "$stats")"
stop_broth

# 2. unsolicited RAs: the guest sends no RS; the default prefix; no search list
new_netns GUESTNS g
guest_accepts_ra
gexec sysctl -qw net.ipv6.conf.all.router_solicitations=0 \
	net.ipv6.conf.default.router_solicitations=0 || fail "router_solicitations 0"
start_broth --resolv-conf "$RESOLV_NOSEARCH"
t0=$SECONDS
wait_slaac "$GUESTNS" eth0 "$NET6_DEFAULT" 15
pass "configured from an unsolicited RA $((SECONDS - t0))s after ready"
assert_eq "router solicitations the guest sent" 0 "$(snmp6 "$GUESTNS" Icmp6OutRouterSolicits)"
n=$(snmp6 "$GUESTNS" Icmp6InRouterAdvertisements)
[ "${n:-0}" -ge 1 ] || fail "the guest counts no RA received"
pass "the guest received $n RA(s) without soliciting"
assert_match "SLAAC address in $NET6_DEFAULT/64" "^${NET6_DEFAULT%::}:" "$SLAAC_ADDR"
assert_eq "eth0 IPv6 MTU" 1500 "$(gexec sysctl -n net.ipv6.conf.eth0.mtu)"
rdisc6_ok "$out"
assert_eq "RA prefix" "$NET6_DEFAULT/64" "$(ra_field "$out" Prefix)"
assert_eq "RA MTU" "1500 bytes (valid)" "$(ra_field "$out" MTU)"
assert_eq "RA RDNSS" "${NET6_DEFAULT}1" "$(ra_field "$out" 'Recursive DNS server')"
assert_eq "RA DNSSL without a search list" "" "$(ra_field "$out" 'DNS search list')"
guest_ping "$GUESTNS" "${NET6_DEFAULT}1" 3
stop_broth
test_done
