#!/usr/bin/env bash
# bad_options.sh - every bad command line exits non-zero with exactly one
# "broth: ..." line on stderr and leaves no interface behind; --version and
# --help exit 0.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ip

new_pair

# run_broth NAME ARGS...: run broth (no --netns added) in HOSTNS, bounded;
# sets RC and leaves stdout/stderr in $TMP/NAME.{out,err}
run_broth() {
	local name=$1; shift
	RC=0
	timeout -k 2 20 ip netns exec "$HOSTNS" "$BROTH" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null || RC=$?
}

# expect_reject NAME ARGS...
expect_reject() {
	local name=$1 lines first
	shift
	run_broth "$name" "$@"
	[ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || fail "[$name] broth $* did not exit within 20s"
	[ "$RC" -ne 0 ] || fail "[$name] broth $* exited 0"
	lines=$(wc -l <"$TMP/$name.err")
	first=$(head -n 1 "$TMP/$name.err")
	if [ "$lines" -ne 1 ] || [[ $first != broth:* ]]; then
		sed 's/^/  | /' "$TMP/$name.err" >&2
		fail "[$name] broth $*: want exactly one 'broth:' line on stderr, got $lines lines"
	fi
	assert_only_lo "$GUESTNS"
	assert_only_lo "$HOSTNS"
	pass "[$name] exit $RC: $first"
}

N=(--netns "$GUESTNS")
expect_reject bogus "${N[@]}" --bogus
expect_reject net31 "${N[@]}" --net 10.0.0.0/31
expect_reject net33 "${N[@]}" --net 10.0.0.0/33
expect_reject netfoo "${N[@]}" --net foo
expect_reject netnoprefix "${N[@]}" --net 10.0.0.0
expect_reject mtu10 "${N[@]}" --mtu 10
expect_reject mtu67 "${N[@]}" --mtu 67
expect_reject mtu65521 "${N[@]}" --mtu 65521
expect_reject mtuabc "${N[@]}" --mtu abc
expect_reject workers0 "${N[@]}" --workers 0
expect_reject workersabc "${N[@]}" --workers abc
expect_reject flowrate0 "${N[@]}" --flow-rate 0
expect_reject flowrateabc "${N[@]}" --flow-rate 12x
expect_reject netnspath --netns /run/netns/does-not-exist
expect_reject netnsname --netns "bt-none-$$"
expect_reject nonetns
expect_reject netnsnoarg --netns
expect_reject resolvmissing "${N[@]}" --resolv-conf "$TMP/does-not-exist"
expect_reject stray "${N[@]}" stray-argument
# vhost-user (VM guests): exclusive with --netns, no netns-only options, a
# usable socket path; nothing is left behind at the path
V=(--vhost-user "$TMP/vm.sock")
expect_reject vhostnetns "${N[@]}" "${V[@]}"
expect_reject vhostconfigure "${V[@]}" --configure
expect_reject vhostifname "${V[@]}" --ifname eth1
expect_reject queuesnetns "${N[@]}" --queues 2
expect_reject queues0 "${V[@]}" --queues 0
expect_reject queuesworkers "${V[@]}" --workers 1 --queues 2
expect_reject vhostnodir --vhost-user "$TMP/no-such-dir/vm.sock"
expect_reject vhostcomma --vhost-user "$TMP/a,b.sock"
: >"$TMP/plain-file"
expect_reject vhostfile --vhost-user "$TMP/plain-file"
[ ! -e "$TMP/vm.sock" ] || fail "a rejected start left $TMP/vm.sock behind"

# --version / --help: exit 0, say something useful, create nothing
run_broth version --version
[ "$RC" -eq 0 ] || fail "--version exit $RC"
v=$(cat "$TMP/version.out" "$TMP/version.err")
assert_match "--version output" '[0-9]+\.[0-9]+' "$v"
run_broth help --help
[ "$RC" -eq 0 ] || fail "--help exit $RC"
grep -q -- '--netns' "$TMP/help.out" "$TMP/help.err" || fail "--help does not mention --netns"
pass "--help exits 0 and documents --netns"
assert_only_lo "$GUESTNS"
assert_only_lo "$HOSTNS"

# a good start still works in the same namespaces afterwards
start_broth
stop_broth
assert_only_lo "$GUESTNS"
assert_only_lo "$HOSTNS"

test_done
