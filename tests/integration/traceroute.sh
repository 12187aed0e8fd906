#!/usr/bin/env bash
# traceroute.sh - the guest traces a path beyond the host: broth runs in a
# host netns linked to a router netns linked to a far netns
#
#   guest ─ broth ─ host 10.201.0.1/30 ═ 10.201.0.2 router 10.202.0.1/30 ═ 10.202.0.2 far
#                                                      (MTU 1400 on this link)
#
# broth sends the guest's probes with the guest's TTL and relays the ICMP
# errors its host sockets get, so from the guest:
#   - traceroute (UDP probes) and traceroute -I (ICMP echoes, through broth's
#     ping sockets) show the router 10.201.0.2 as a hop and then reach
#     10.202.0.2;
#   - tracepath finds the path MTU of 1400 (the router's "fragmentation
#     needed", relayed);
# and ping reaches the far end (the control).
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd traceroute tracepath ping ip sysctl

ROUTER=10.201.0.2
FAR=10.202.0.2
PMTU=1400

new_pair
new_netns ROUTERNS r
new_netns FARNS f
ip link add h0 netns "$HOSTNS" type veth peer name r0 netns "$ROUTERNS" || fail "veth host-router"
ip link add r1 netns "$ROUTERNS" type veth peer name f0 netns "$FARNS" || fail "veth router-far"
ip -n "$HOSTNS" addr add 10.201.0.1/30 dev h0
ip -n "$ROUTERNS" addr add 10.201.0.2/30 dev r0
ip -n "$ROUTERNS" addr add 10.202.0.1/30 dev r1
ip -n "$FARNS" addr add 10.202.0.2/30 dev f0
ip -n "$ROUTERNS" link set r1 mtu "$PMTU"
ip -n "$FARNS" link set f0 mtu "$PMTU"
for l in "$HOSTNS h0" "$ROUTERNS r0" "$ROUTERNS r1" "$FARNS f0"; do
	# shellcheck disable=SC2086
	set -- $l
	ip -n "$1" link set "$2" up || fail "link $2 up in $1"
done
ip -n "$HOSTNS" route add 10.202.0.0/30 via "$ROUTER" || fail "route to the far net"
ip -n "$FARNS" route add default via 10.202.0.1 || fail "far default route"
in_ns "$ROUTERNS" sysctl -qw net.ipv4.ip_forward=1 || fail "forwarding in the router"
# ICMP errors are rate limited per destination; traces send them in bursts
for ns in "$ROUTERNS" "$FARNS"; do
	in_ns "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 || fail "icmp_ratelimit in $ns"
done
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "ping_group_range"
# the host reaches the far end itself (the control); wait for the links
_far_answers() { ip netns exec "$HOSTNS" ping -n -c 1 -W 1 "$FAR" >/dev/null 2>&1; }
wait_until 5 _far_answers || fail "$FAR does not answer from $HOSTNS"

# hops FILE: the addresses of the trace in FILE, hop by hop ("*" for none)
hops() { awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $2 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }

# trace WHAT CMD...: run a trace from the guest (TRACE_NS, when set, instead):
# hop 1 the router, hop 2 FAR
trace() {
	local what=$1 out=$TMP/trace.out rc=0 h
	shift
	timeout 40 ip netns exec "${TRACE_NS:-$GUESTNS}" "$@" >"$out" 2>&1 || rc=$?
	sed 's/^/  | /' "$out"
	[ "$rc" -eq 0 ] || fail_stats "$what: exit status $rc"
	h=$(hops "$out")
	# broth is not a hop (it does not decrement the TTL); with ICMP rate
	# limits off every probe is answered, so the path is exactly two hops
	assert_eq "$what: hops" "$ROUTER $FAR" "$h"
}

# unanswered FILE: the "*" of a trace (probes without an answer)
unanswered() { awk 'NR > 1 { for (i = 2; i <= NF; i++) if ($i == "*") n++ } END { print n + 0 }' "$1"; }

# the same traces from the host netns itself (the control: no broth involved)
TRACE_NS=$HOSTNS trace "control: traceroute from the host netns" traceroute -n -q 1 -w 2 -m 6 "$FAR"
TRACE_NS=$HOSTNS trace "control: traceroute -I from the host netns" traceroute -I -n -q 3 -w 2 -m 6 "$FAR"
assert_eq "control: traceroute -I -q 3: unanswered probes" 0 "$(unanswered "$TMP/trace.out")"

start_broth --configure
guest_ping "$GUESTNS" "$FAR" 5

# UDP probes (a new guest socket, hence a new host socket, per probe)
trace "traceroute (UDP)" traceroute -n -q 1 -w 2 -m 6 "$FAR"
trace "traceroute (UDP, 3 probes per hop)" traceroute -n -q 3 -w 2 -m 6 "$FAR"
assert_eq "traceroute -q 3: unanswered probes" 0 "$(unanswered "$TMP/trace.out")"

# one UDP socket, DF set, probes one at a time: the router's "fragmentation
# needed" gives the path MTU
out=$TMP/tracepath.out
rc=0
timeout 40 ip netns exec "$GUESTNS" tracepath -n -m 6 "$FAR" >"$out" 2>&1 || rc=$?
sed 's/^/  | /' "$out"
[ "$rc" -eq 0 ] || fail_stats "tracepath exit status $rc"
grep -qE "^ *[0-9]+: +$ROUTER " "$out" || fail "tracepath: no hop $ROUTER"
grep -qE "^ *[0-9]+: +$FAR .*reached" "$out" || fail "tracepath: did not reach $FAR"
resume=$(grep -E 'Resume:' "$out" || true)
assert_match "tracepath" "pmtu $PMTU " "$resume"

# ICMP echoes with one identifier, all probes at once (traceroute -N 16):
# one host ping socket gets the router's time exceeded while more probes go
trace "traceroute -I (ICMP)" traceroute -I -n -q 1 -w 2 -m 6 "$FAR"
trace "traceroute -I (ICMP, 3 probes per hop)" traceroute -I -n -q 3 -w 2 -m 6 "$FAR"
assert_eq "traceroute -I -q 3: unanswered probes" 0 "$(unanswered "$TMP/trace.out")"

stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
for d in ping_send_failed udp_send_failed; do
	assert_eq "drop $d" 0 "$(stat_drop "$d" "$stats")"
done
stop_broth
test_done
