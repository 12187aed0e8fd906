#!/usr/bin/env bash
# shutdown.sh - SIGUSR1 prints counters and broth keeps serving; SIGTERM and
# SIGINT end it with status 0, print counters and remove the guest interface;
# --pid-file holds broth's PID.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ping ip

# 1. SIGUSR1, then SIGTERM
new_pair
start_broth --configure --pid-file "$TMP/broth.pid"
assert_eq "pid file" "$BROTH_PID" "$(tr -d ' \n' <"$TMP/broth.pid")"
guest_ping "$GUESTNS" 10.0.0.1 3

for round in 1 2; do
	before=$(log_count 'rx')
	kill -USR1 "$BROTH_PID"
	more_rx() { [ "$(log_count 'rx')" -gt "$before" ]; }
	wait_until 5 more_rx || fail "no counters line with 'rx' after SIGUSR1 #$round"
	sleep 0.3
	proc_alive "$BROTH_PID" || fail "broth died on SIGUSR1 #$round"
	pass "SIGUSR1 #$round: counters printed ($(($(log_count 'rx') - before)) lines with rx), still running"
done
grep -E 'rx' "$BROTH_LOG" | tail -n 3 | sed 's/^/  | /'
link_exists "$GUESTNS" eth0 || fail "eth0 gone after SIGUSR1"
guest_ping "$GUESTNS" 10.0.0.1 3

before=$(log_count 'rx')
stop_broth TERM
[ "$(log_count 'rx')" -gt "$before" ] || fail "no counters printed at exit"
pass "counters printed at exit"
assert_only_lo "$HOSTNS"

# 2. SIGINT, while the guest is pinging
new_pair
start_broth --configure
ip netns exec "$GUESTNS" ping -n -i 0.2 -W 1 -c 200 10.0.0.1 >"$TMP/ping-bg.out" 2>&1 &
PPID_=$!
track_pid "$PPID_"
sleep 1
stop_broth INT
kill "$PPID_" 2>/dev/null || true
wait_exit "$PPID_" 5 || fail "ping did not stop"
grep -q 'bytes from 10.0.0.1' "$TMP/ping-bg.out" || fail "no echo answered before SIGINT"
pass "echoes answered until SIGINT"
assert_only_lo "$HOSTNS"

# 3. the guest netns given as a PID and as a path works the same way
new_pair
ip netns exec "$GUESTNS" sleep 60 &
SPID=$!
track_pid "$SPID"
in_guest() { [ "$(ip netns identify "$SPID" 2>/dev/null)" = "$GUESTNS" ]; }
wait_until 5 in_guest || fail "helper process not in $GUESTNS"
NETNS_ARG=$SPID start_broth --configure
pass "--netns $SPID (a PID) put eth0 in $GUESTNS"
guest_ping "$GUESTNS" 10.0.0.1 3
stop_broth TERM
NETNS_ARG=/run/netns/$GUESTNS start_broth --configure
pass "--netns /run/netns/$GUESTNS (a path) put eth0 there"
guest_ping "$GUESTNS" 10.0.0.1 3
stop_broth TERM
assert_only_lo "$HOSTNS"

test_done
