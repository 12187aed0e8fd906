#!/usr/bin/env bash
# run.sh - run the integration tests, each with 1 and with 2 workers.
#
#   tests/integration/run.sh                 all tests
#   tests/integration/run.sh dhcp ping       tests whose name contains "dhcp" or "ping"
#
# Environment: BROTH (binary), WORKER_COUNTS (default "1 2"),
# TEST_TIMEOUT (seconds per test run, default 120; vm_* tests get twice
# that), BROTH_TEST_LOGS.
# Needs root. Exits non-zero if any test failed.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export BROTH=${BROTH:-$REPO/build/apps/broth/broth}
export BROTH_TEST_LOGS=${BROTH_TEST_LOGS:-$HERE/logs}
WORKER_COUNTS=${WORKER_COUNTS:-1 2}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: integration tests need root (network namespaces)" >&2
	exit 1
fi
if [ ! -x "$BROTH" ]; then
	echo "run.sh: no broth binary at $BROTH (meson setup build && ninja -C build)" >&2
	exit 1
fi

tests=()
for t in "$HERE"/[a-z]*.sh; do
	name=$(basename "$t" .sh)
	case $name in lib | run) continue ;; esac
	if [ $# -gt 0 ]; then
		keep=0
		for f in "$@"; do
			[[ $name == *"$f"* ]] && keep=1
		done
		[ "$keep" -eq 1 ] || continue
	fi
	tests+=("$name")
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "run.sh: no test matches: $*" >&2
	exit 1
fi

mkdir -p "$BROTH_TEST_LOGS"
passed=0 failed=0 failures=()
start=$SECONDS
for name in "${tests[@]}"; do
	for w in $WORKER_COUNTS; do
		out=$BROTH_TEST_LOGS/$name-w$w.out
		t0=$SECONDS
		rc=0
		# VM tests boot QEMU under TCG four times (~75 s measured on 2
		# cores): twice the budget, for a loaded CI machine
		limit=$TEST_TIMEOUT
		[[ $name == vm_* || $name == flood_* ]] && limit=$((TEST_TIMEOUT * 2))
		BROTH_WORKERS=$w timeout -k 10 "$limit" \
			bash "$HERE/$name.sh" >"$out" 2>&1 </dev/null || rc=$?
		dt=$((SECONDS - t0))
		if [ "$rc" -eq 0 ]; then
			printf 'PASS  %-20s workers=%s  %3ss\n' "$name" "$w" "$dt"
			passed=$((passed + 1))
		else
			why="exit $rc"
			[ "$rc" -eq 124 ] && why="timeout after ${limit}s"
			printf 'FAIL  %-20s workers=%s  %3ss  (%s, log %s)\n' "$name" "$w" "$dt" "$why" "$out"
			grep -E 'FAIL|^  \|' "$out" | head -n 30 | sed 's/^/      /'
			failed=$((failed + 1))
			failures+=("$name/w$w")
		fi
	done
done

echo
echo "integration: ${#tests[@]} tests x workers {${WORKER_COUNTS// /,}} in $((SECONDS - start))s"
[ "$failed" -eq 0 ] || echo "failed: ${failures[*]}"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
