#!/usr/bin/env bash
# idle_cpu.sh - CPU that an idle broth burns, in percent of one core.
#
#   sudo bench/idle_cpu.sh [SECONDS]      (default 10; BROTH, BROTH_WORKERS as in tests)
#
# Starts broth for a fresh guest netns (--configure, no traffic), waits 2 s
# for start-up to settle, then reads utime+stime of the process from
# /proc/PID/stat over SECONDS and prints idle_cpu_pct=X.XX. Cleans up after.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$(pwd)
BROTH=${BROTH:-$REPO/build/apps/broth/broth}
DURATION=${1:-10}
HOSTNS=bb-h-$$
GUESTNS=bb-g-$$
LOG=$(mktemp /tmp/broth-idle.XXXXXX)
PID=

[ "$(id -u)" -eq 0 ] || { echo "idle_cpu.sh: run as root" >&2; exit 1; }
[ -x "$BROTH" ] || { echo "idle_cpu.sh: no broth at $BROTH" >&2; exit 1; }
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "idle_cpu.sh: SECONDS must be a positive integer" >&2; exit 1; }

cleanup() {
	local rc=$?
	if [ -n "$PID" ] && [ -d "/proc/$PID" ]; then
		kill -TERM "$PID" 2>/dev/null || true
		for _ in $(seq 1 50); do
			[ -d "/proc/$PID" ] || break
			sleep 0.1
		done
		kill -KILL "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
	fi
	ip netns del "$GUESTNS" 2>/dev/null || true
	ip netns del "$HOSTNS" 2>/dev/null || true
	rm -f "$LOG"
	exit "$rc"
}
trap cleanup EXIT

ip netns add "$HOSTNS"
ip -n "$HOSTNS" link set lo up
ip netns add "$GUESTNS"
ip -n "$GUESTNS" link set lo up

ip netns exec "$HOSTNS" "$BROTH" --netns "$GUESTNS" --configure \
	${BROTH_WORKERS:+--workers "$BROTH_WORKERS"} >/dev/null 2>"$LOG" </dev/null &
PID=$!
for _ in $(seq 1 150); do
	grep -q ready "$LOG" && break
	[ -d "/proc/$PID" ] || break
	sleep 0.1
done
grep -q ready "$LOG" || { cat "$LOG" >&2; echo "idle_cpu.sh: broth not ready" >&2; exit 1; }
sleep 2

# ticks PID: utime + stime (fields 14 and 15 of /proc/PID/stat; the command
# name in field 2 may hold spaces, so count from after its closing paren)
ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

hz=$(getconf CLK_TCK)
t0=$(ticks "$PID")
s0=$(date +%s.%N)
sleep "$DURATION"
t1=$(ticks "$PID")
s1=$(date +%s.%N)
[ -d "/proc/$PID" ] || { cat "$LOG" >&2; echo "idle_cpu.sh: broth died" >&2; exit 1; }

awk -v t0="$t0" -v t1="$t1" -v hz="$hz" -v s0="$s0" -v s1="$s1" -v w="${BROTH_WORKERS:-default}" 'BEGIN {
	wall = s1 - s0
	printf "workers=%s seconds=%.2f cpu_ticks=%d clk_tck=%d\n", w, wall, t1 - t0, hz
	printf "idle_cpu_pct=%.2f\n", 100 * (t1 - t0) / hz / wall
}'
