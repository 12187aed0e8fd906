#!/usr/bin/env bash
# ipv6_dns.sh - broth's DNS forwarder on the gateway's IPv6 addresses
# (PREFIX::1 and fe80::1), with a dnsmasq upstream in the host netns on
# [::1]:53 and 127.0.0.1:53 that answers only from test records (never the
# machine's resolvers):
#   - --dns ::1 (an IPv6 upstream): dig @PREFIX::1 and @fe80::1%eth0 get
#     AAAA and A records, NXDOMAIN, an AAAA-only name, over UDP and TCP; the
#     same upstream serves queries to 10.0.0.1;
#   - static records: host.broth.internal AAAA is PREFIX::1 (A 10.0.0.1),
#     --dns-host names with IPv6 and IPv4 addresses;
#   - the IPv6 upstream from a --resolv-conf "nameserver ::1" line; an IPv4
#     upstream (--dns 127.0.0.1) for IPv6 queries; an unreachable first
#     upstream (2001:db8::53) fails over to ::1;
#   - an upstream answer larger than the guest MTU (1957 bytes, the guest
#     asked with EDNS bufsize 4096) reaches the guest over UDP, over both
#     families: whole (fragmented toward the guest) or with TC set (dig then
#     retries over TCP); never silence.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd dig dnsmasq ss ip

PREFIX=$NET6_DEFAULT
GW6=${PREFIX}1
BIG=120		# A records of big.test: 12 + 14 + 120 * 16 bytes > 1500

# the upstream's data
{
	echo "10.1.2.3 a.test"
	echo "fd00::1:2:3 a.test"
	echo "fd00::abcd v6only.test"
	for i in $(seq 1 "$BIG"); do
		echo "10.77.$((i / 250)).$((i % 250 + 1)) big.test"
	done
} >"$TMP/hosts"
printf 'search example.test\nnameserver 127.0.0.1\n' >"$TMP/resolv.conf"
printf 'nameserver ::1\n' >"$TMP/resolv6.conf"

# gdig ARGS...: dig from the guest with a bounded wait, output on stdout
gdig() { gexec timeout 20 dig +time=5 +tries=1 "$@" 2>&1 || true; }

answer_of() { sed -n 's/.*flags:.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$1" | tail -n 1; }
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | tail -n 1; }

# short SERVER QTYPE NAME EXPECTED [DIG_ARGS...]: dig +short from the guest
short() {
	local server=$1 qtype=$2 name=$3 want=$4 got
	shift 4
	got=$(gdig "@$server" +short "$@" "$name" "$qtype" | tr '\n' ' ' | sed 's/ $//')
	assert_eq "dig @$server $* $name $qtype" "$want" "$got"
}

# a guest with SLAAC (and IPv4, --configure) behind a new broth with ARGS
guest_with_broth() {
	new_netns GUESTNS g
	start_broth --configure "$@"
	wait_slaac "$GUESTNS" eth0 "$PREFIX"
}

new_netns HOSTNS h
start_server "$HOSTNS" 53 dnsmasq dnsmasq --conf-file=/dev/null --no-daemon --no-resolv --no-hosts \
	--addn-hosts="$TMP/hosts" --port 53 --listen-address=::1,127.0.0.1 --bind-interfaces \
	--pid-file="$TMP/dnsmasq.pid" --user=root --log-facility=- --local=/test/ \
	--edns-packet-max=4096
# the upstream answers on its own, on both addresses (host side, no broth)
for up in ::1 127.0.0.1; do
	a=$(in_ns "$HOSTNS" dig "@$up" +short +time=2 +tries=2 a.test AAAA) || true
	[ "$a" = fd00::1:2:3 ] || fail "dnsmasq does not answer a.test AAAA on $up (got '$a')"
done
pass "dnsmasq answers on [::1]:53 and 127.0.0.1:53"

# 1. an IPv6 upstream
guest_with_broth --dns ::1 --resolv-conf "$TMP/resolv.conf" \
	--dns-host static6.test=fd00::77 --dns-host static6.test=10.9.8.7
for s in "$GW6" fe80::1%eth0; do
	short "$s" AAAA a.test fd00::1:2:3
	short "$s" A a.test 10.1.2.3
	short "$s" AAAA host.broth.internal "$GW6"
done
short "$GW6" AAAA v6only.test fd00::abcd
out=$(gdig "@$GW6" v6only.test A)
assert_eq "v6only.test A: status" NOERROR "$(status_of "$out")"
assert_eq "v6only.test A: answers" 0 "$(answer_of "$out")"
out=$(gdig "@$GW6" nosuch.test AAAA)
assert_eq "nosuch.test: status" NXDOMAIN "$(status_of "$out")"
short "$GW6" A host.broth.internal 10.0.0.1
short "$GW6" AAAA static6.test fd00::77
short "$GW6" A static6.test 10.9.8.7
short "$GW6" AAAA a.test fd00::1:2:3 +tcp
short 10.0.0.1 AAAA a.test fd00::1:2:3
short 10.0.0.1 AAAA host.broth.internal "$GW6"

stats=$(broth_stats)
fwd=$(sed -n 's/^stats: slowpath:   dns forwarded \([0-9]*\)$/\1/p' <<<"$stats" | tail -n 1)
[ "${fwd:-0}" -ge 8 ] || fail "broth forwarded ${fwd:-0} queries (want >= 8)"
pass "broth forwarded $fwd queries to [::1]:53"
for d in dns_upstream_send_failed dns_upstream_timeout; do
	assert_eq "drop $d" 0 "$(($(stat_sp_drop "$d" "$stats") + $(stat_drop "$d" "$stats")))"
done
stop_broth

# 2. the IPv6 upstream from a resolv.conf "nameserver ::1" line
guest_with_broth --resolv-conf "$TMP/resolv6.conf"
short "$GW6" AAAA a.test fd00::1:2:3
short fe80::1%eth0 A a.test 10.1.2.3
stop_broth

# 3. an IPv4 upstream for IPv6 queries
guest_with_broth --dns 127.0.0.1 --resolv-conf "$TMP/resolv.conf"
short "$GW6" AAAA a.test fd00::1:2:3
short fe80::1%eth0 AAAA v6only.test fd00::abcd
stop_broth

# 4. the first upstream cannot be reached from the host: the next answers
guest_with_broth --dns 2001:db8::53 --dns ::1 --resolv-conf "$TMP/resolv.conf"
t0=$(date +%s%N)
got=$(gdig "@$GW6" +short a.test AAAA | tr '\n' ' ' | sed 's/ $//')
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$got" != fd00::1:2:3 ]; then
	stats=$(broth_stats)
	fail "upstreams 2001:db8::53 (no route), ::1: a.test AAAA got '$got' after $ms ms;" \
		"broth drop dns_upstream_send_failed $(stat_sp_drop dns_upstream_send_failed "$stats")"
fi
pass "upstreams 2001:db8::53 (no route), ::1: a.test AAAA answered after $ms ms (dig included)"
stop_broth

# 5. an answer larger than the guest MTU, over UDP (dnsmasq answers up to
#    4096 bytes: --edns-packet-max)
guest_with_broth --dns ::1 --resolv-conf "$TMP/resolv.conf"
for s in "$GW6" 10.0.0.1; do
	what="big.test A @$s over UDP (bufsize 4096)"
	reasm0=$(($(snmp6 "$GUESTNS" Ip6ReasmOKs) + $(snmp "$GUESTNS" Ip ReasmOKs)))
	before=$(broth_stats)
	out=$(gdig "@$s" +notcp +ignore +bufsize=4096 big.test A)
	if [ -z "$(status_of "$out")" ]; then
		after=$(broth_stats)
		grep -E 'timed out|no servers' <<<"$out" | sed 's/^/  | /'
		fail "$what: no answer at all; broth drop dns_answer_too_big" \
			"$(stat_sp_drop dns_answer_too_big "$before") -> $(stat_sp_drop dns_answer_too_big "$after")"
	fi
	n=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
	if grep -q '^;; flags:.* tc' <<<"$out"; then
		pass "$what: truncated answer (TC, $n bytes): the client can retry over TCP"
	else
		assert_eq "$what: answers" "$BIG" "$(answer_of "$out")"
		reasm=$(($(snmp6 "$GUESTNS" Ip6ReasmOKs) + $(snmp "$GUESTNS" Ip ReasmOKs) - reasm0))
		[ "$reasm" -ge 1 ] || fail "$what: $n bytes, but the guest reassembled nothing"
		pass "$what: the whole $n-byte answer, fragmented toward the guest"
	fi
	out=$(gdig "@$s" +bufsize=4096 big.test A)
	assert_eq "big.test A @$s, plain dig: answers" "$BIG" "$(answer_of "$out")"
done
stop_broth
test_done
