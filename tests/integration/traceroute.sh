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
#     ping sockets) show exactly two hops: the router 10.201.0.2, then
#     10.202.0.2 (broth itself is no hop), every probe answered;
#   - tracepath finds the path MTU of 1400 (the router's "fragmentation
#     needed", relayed).
# The same traces from the host netns are the control. udp_path_mtu.sh
# covers the path MTU further.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd traceroute tracepath ping ip sysctl

PMTU=1400
ROUTER=$PATH_ROUTER
FAR=$PATH_FAR

new_pair
new_routed_path "$PMTU"
in_ns "$HOSTNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647" || fail "ping_group_range"

# hops FILE: the addresses of the trace in FILE, hop by hop ("*" for none)
hops() { awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $2 }' "$1" | tr '\n' ' ' | sed 's/ $//'; }

# unanswered FILE: the "*" of a trace (probes without an answer)
unanswered() { awk 'NR > 1 { for (i = 2; i <= NF; i++) if ($i == "*") n++ } END { print n + 0 }' "$1"; }

# trace WHAT CMD...: run a trace from the guest (TRACE_NS, when set, instead):
# hop 1 the router, hop 2 FAR, no probe unanswered
trace() {
	local what=$1 out=$TMP/trace.out rc=0
	shift
	timeout 40 ip netns exec "${TRACE_NS:-$GUESTNS}" "$@" >"$out" 2>&1 || rc=$?
	sed 's/^/  | /' "$out"
	[ "$rc" -eq 0 ] || fail_stats "$what: exit status $rc"
	# broth is not a hop (it does not decrement the TTL); with ICMP rate
	# limits off every probe is answered, so the path is exactly two hops
	assert_eq "$what: hops" "$ROUTER $FAR" "$(hops "$out")"
	assert_eq "$what: unanswered probes" 0 "$(unanswered "$out")"
}

# the control: the same traces from the host netns itself (tracepath comes
# later: it would teach the host the path MTU)
TRACE_NS=$HOSTNS trace "control: traceroute from the host netns" traceroute -n -q 3 -w 2 -m 6 "$FAR"
TRACE_NS=$HOSTNS trace "control: traceroute -I from the host netns" traceroute -I -n -q 3 -w 2 -m 6 "$FAR"

start_broth --configure
guest_ping "$GUESTNS" "$FAR" 5

# UDP probes (a new guest socket, hence a new host socket, per probe)
trace "traceroute (UDP)" traceroute -n -q 1 -w 2 -m 6 "$FAR"
trace "traceroute (UDP, 3 probes per hop)" traceroute -n -q 3 -w 2 -m 6 "$FAR"

# one UDP socket, DF set, probes one at a time: the router's "fragmentation
# needed" gives the path MTU
out=$TMP/tracepath.out
rc=0
timeout 40 ip netns exec "$GUESTNS" tracepath -n -m 6 "$FAR" >"$out" 2>&1 || rc=$?
sed 's/^/  | /' "$out"
[ "$rc" -eq 0 ] || fail_stats "tracepath: exit status $rc"
grep -qE "^ *[0-9]+: +$ROUTER " "$out" || fail "tracepath: no hop $ROUTER"
grep -qE "^ *[0-9]+: +$FAR .*reached" "$out" || fail "tracepath: did not reach $FAR"
assert_match "tracepath" "pmtu $PMTU " "$(grep -E 'Resume:' "$out" || true)"
control=$(timeout 40 ip netns exec "$HOSTNS" tracepath -n -m 6 "$FAR" 2>&1 | grep 'Resume:' || true)
assert_match "control: tracepath from the host netns" "pmtu $PMTU " "$control"

# ICMP echoes with one identifier, all probes at once (traceroute -N 16):
# one host ping socket gets the router's time exceeded while more probes go
trace "traceroute -I (ICMP)" traceroute -I -n -q 1 -w 2 -m 6 "$FAR"
trace "traceroute -I (ICMP, 3 probes per hop)" traceroute -I -n -q 3 -w 2 -m 6 "$FAR"

stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
for d in ping_send_failed udp_send_failed; do
	assert_eq "drop $d" 0 "$(stat_drop "$d" "$stats")"
done
stop_broth
test_done
