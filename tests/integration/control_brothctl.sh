#!/usr/bin/env bash
# control_brothctl.sh - brothctl on broth's control socket: add a netns guest
# at runtime, fetch through its gateway, forward a host port into it and
# remove the forward, list counters and flows, remove the guest (its open
# connection ends, its interface goes), clear errors for bad requests, and
# the first guest served throughout.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl ip sha256sum socat

CTL=${BROTHCTL:-$REPO/build/apps/brothctl/brothctl}
[ -x "$CTL" ] || fail "no brothctl at $CTL"
PORT=18080
SOCK=$TMP/control.sock
new_netns HOSTNS h
new_netns GUESTNS a
new_netns B_NS b
B_NS=${B_NS:?}
WANT=
start_broth --configure --control "$SOCK"
[ -S "$SOCK" ] || fail "no control socket at $SOCK"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "control socket mode $(stat -c %a "$SOCK"), want 600"

mkdir -p "$TMP/www"
head -c $((4 << 20)) /dev/urandom >"$TMP/www/file"
want=$(sha256sum <"$TMP/www/file" | cut -d' ' -f1)
start_server "$HOSTNS" "$PORT" httpd "$PYTHON" "$REPO/tests/integration/httpd.py" \
	"$PORT" "$TMP/www"
ctl() { "$CTL" -s "$SOCK" "$@"; }

out=$(ctl list) || fail "brothctl list: $out"
assert_eq "guests at start" 1 "$(printf '%s' "$out" | grep -c '"name"')"

# add a guest at runtime
ctl add "name=beta,netns=$B_NS,net=10.0.7.0/24,configure=on" >"$TMP/add.out" ||
	fail "brothctl add: $(cat "$TMP/add.out")"
wait_until 5 link_exists "$B_NS" eth0 || fail "beta's eth0 did not appear"
got=$(ip netns exec "$B_NS" curl -sf -m 20 "http://10.0.7.1:$PORT/file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "beta: download through 10.0.7.1 failed"
pass "guest added at runtime downloads 4 MiB through 10.0.7.1, sha256 ok"

# a port forward into it, then gone again
start_server "$B_NS" 8080 guest-httpd "$PYTHON" "$REPO/tests/integration/httpd.py" \
	8080 "$TMP/www" 0.0.0.0
ctl fwd-add beta tcp:127.0.0.1:18181:8080 >/dev/null || fail "brothctl fwd-add"
got=$(ip netns exec "$HOSTNS" curl -sf -m 20 "http://127.0.0.1:18181/file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "host -> 127.0.0.1:18181 -> beta:8080 failed"
pass "forward added: host 127.0.0.1:18181 reaches beta's server"
ctl list | grep -q '"tcp:127.0.0.1:18181:8080"' || fail "list does not show the forward"
ctl fwd-remove beta tcp:127.0.0.1:18181 >/dev/null || fail "brothctl fwd-remove"
if ip netns exec "$HOSTNS" curl -sf -m 3 -o /dev/null "http://127.0.0.1:18181/file"; then
	fail "the removed forward still answers"
fi
pass "forward removed: the host port is closed"

# counters and flows while beta holds a connection to a host listener open
ip netns exec "$HOSTNS" socat -u TCP-LISTEN:18300,reuseaddr OPEN:/dev/null &
hostside=$!
track_pid "$hostside"
wait_until 5 ns_listening "$HOSTNS" 18300 || fail "no listener on 18300"
(sleep 60 | ip netns exec "$B_NS" socat - TCP:10.0.7.1:18300) >/dev/null 2>&1 &
track_pid "$!"
wait_until 5 sh -c "'$CTL' -s '$SOCK' flows beta | grep -q '\"rport\": 18300'" ||
	fail "flows beta lists no connection to port 18300: $(ctl flows beta)"
flows=$(ctl flows beta)
assert_match "flow of beta" '"guest": "10.0.7.2"' "$flows"
list=$(ctl list)
rx=$(printf '%s\n' "$list" | sed -n '/"beta"/,/}/s/.*"rx": \([0-9]*\).*/\1/p')
[ "${rx:-0}" -gt 100 ] || fail "beta's rx counter is ${rx:-none}: $list"
pass "list counts beta's frames (rx $rx), flows shows its connection"

# remove the guest: the host side of its connection is reset, its
# interface goes (the guest's own socket never hears: its link is gone)
ctl remove beta >/dev/null || fail "brothctl remove beta"
wait_until 5 link_absent "$B_NS" eth0 || fail "beta's eth0 is still there"
wait_exit "$hostside" 10 || fail "the host side of beta's connection outlived the guest"
assert_eq "guests after remove" 1 "$(ctl list | grep -c '"name"')"
pass "guest removed: interface gone, its connection closed on the host side"

# bad requests: clear errors, nothing changes
expect_err() {
	local out rc=0
	out=$(ctl "$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" -eq 1 ] || fail "brothctl $*: exit $rc, want 1 ($out)"
	printf '%s' "$out" | grep -q -- "$WANT" || fail "brothctl $*: '$out' lacks '$WANT'"
	pass "refused: $out"
}
WANT="no guest named" expect_err remove beta
WANT="mtu=1" expect_err add "name=x,netns=$B_NS,mtu=1"
WANT="needs name=" expect_err add "netns=$B_NS"
WANT="taken" expect_err add "name=guest0,netns=$B_NS"
WANT="cannot create tap\|no such\|No such" expect_err add "name=y,netns=/nonexistent/ns"
WANT="unknown op" expect_err raw '{"op":"reboot"}'
reply=$(printf 'this is not json\n' | ip netns exec "$HOSTNS" timeout 5 socat - "UNIX-CONNECT:$SOCK")
assert_match "raw garbage" '"ok":false.*not JSON' "$reply"
assert_only_lo "$B_NS"

# the first guest never noticed
got=$(gexec curl -sf -m 20 "http://10.0.0.1:$PORT/file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "guest0's download failed after the control session"
pass "guest0 still downloads intact"
stop_broth TERM
[ ! -e "$SOCK" ] || fail "control socket left behind"
test_done
