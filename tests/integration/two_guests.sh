#!/usr/bin/env bash
# two_guests.sh - two broth processes in one host netns, each serving its own
# guest with the same default network: both lease and ping at the same time,
# and stopping one leaves the other working.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd udhcpc ping ip

new_netns HOSTNS h

new_netns GUESTNS g
start_broth
A_NS=$GUESTNS A_PID=$BROTH_PID A_LOG=$BROTH_LOG

new_netns GUESTNS g
start_broth
B_NS=$GUESTNS B_PID=$BROTH_PID B_LOG=$BROTH_LOG

assert_only_lo "$HOSTNS"

# both guests lease at once
( udhcpc_once "$A_NS" eth0 "$TMP/la" ) &
pa=$!
( udhcpc_once "$B_NS" eth0 "$TMP/lb" ) &
pb=$!
ra=0 rb=0
wait_exit "$pa" 30 || fail "udhcpc A hangs"; ra=$EXIT_RC
wait_exit "$pb" 30 || fail "udhcpc B hangs"; rb=$EXIT_RC
[ "$ra" -eq 0 ] || fail "guest A got no lease"
[ "$rb" -eq 0 ] || fail "guest B got no lease"
assert_eq "A ip" 10.0.0.2 "$(kv "$(last_event "$TMP/la" bound)" ip)"
assert_eq "B ip" 10.0.0.2 "$(kv "$(last_event "$TMP/lb" bound)" ip)"

# both ping at once
ip netns exec "$A_NS" ping -n -c 20 -i 0.2 -W 2 10.0.0.1 >"$TMP/ping-A.out" 2>&1 &
pA=$!
ip netns exec "$B_NS" ping -n -c 20 -i 0.2 -W 2 10.0.0.1 >"$TMP/ping-B.out" 2>&1 &
pB=$!
wait_exit "$pA" 30 || fail "ping A hangs"; ra=$EXIT_RC
wait_exit "$pB" 30 || fail "ping B hangs"; rb=$EXIT_RC
for g in A B; do
	tail -n 2 "$TMP/ping-$g.out" | sed "s/^/  | $g: /"
	grep -q ' 20 received, 0% packet loss' "$TMP/ping-$g.out" || fail "guest $g lost pings"
done
[ "$ra" -eq 0 ] && [ "$rb" -eq 0 ] || fail "ping exit status A=$ra B=$rb"
pass "both guests: 20/20 echoes at the same time"

# each guest's gateway MAC is its own broth's: the two did not cross
ma=$(ip -n "$A_NS" neigh show 10.0.0.1 dev eth0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
mb=$(ip -n "$B_NS" neigh show 10.0.0.1 dev eth0 | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ -n "$ma" ] && [ -n "$mb" ] || fail "no neighbour entry for the gateway (A='$ma' B='$mb')"
pass "gateway MACs: A $ma, B $mb"

# stop A: B keeps working
stop_broth TERM "$A_PID" "$A_NS" eth0 "$A_LOG"
BROTH_LOG=$B_LOG
link_exists "$B_NS" eth0 || fail "B's eth0 vanished when A stopped"
proc_alive "$B_PID" || fail "B's broth died when A stopped"
guest_ping "$B_NS" 10.0.0.1 10
assert_only_lo "$HOSTNS"
stop_broth TERM "$B_PID" "$B_NS" eth0 "$B_LOG"
assert_only_lo "$HOSTNS"

test_done
