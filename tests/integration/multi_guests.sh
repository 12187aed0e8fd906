#!/usr/bin/env bash
# multi_guests.sh - one broth serves three netns guests, declared three ways
# (--netns, --guest, --config), each in its own subnet: every guest fetches a
# file from the host through its own gateway; no guest reaches another's
# address; frames with a spoofed source IP or MAC are dropped and counted
# while the other guests' transfers go on; bad specs fail with one clear line.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl ip sha256sum ping

PORT=18080
B_NS='' C_NS=''
new_netns HOSTNS h
new_netns GUESTNS a
new_netns B_NS b
new_netns C_NS c
A_NS=$GUESTNS

printf '%s\n' "# guests of the multi_guests test" \
	"name=gamma, netns=$C_NS, net=10.0.3.0/24, configure=on   # the third" \
	"" >"$TMP/guests.conf"
start_broth --configure --net 10.0.1.0/24 \
	--guest "name=beta,netns=$B_NS,net=10.0.2.0/24,configure=on,mtu=9000" \
	--config "$TMP/guests.conf"
assert_match "ready line names every guest" \
	"guest guest0 eth0 in netns $A_NS.*guest beta eth0 in netns $B_NS.*guest gamma eth0 in netns $C_NS" \
	"$(grep ready "$BROTH_LOG")"
for ns in "$B_NS" "$C_NS"; do
	wait_until 5 link_exists "$ns" eth0 || fail "no eth0 in $ns"
done
assert_eq "beta MTU" 9000 "$(link_mtu "$B_NS" eth0)"

mkdir -p "$TMP/www"
head -c $((8 << 20)) /dev/urandom >"$TMP/www/file"
want=$(sha256sum <"$TMP/www/file" | cut -d' ' -f1)
start_server "$HOSTNS" "$PORT" httpd "$PYTHON" "$REPO/tests/integration/httpd.py" \
	"$PORT" "$TMP/www"

# fetch NS GW: the file through that guest's gateway, checksum compared
fetch() {
	local got
	got=$(ip netns exec "$1" curl -sf -m 30 "http://$2:$PORT/file" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] || fail "guest in $1: download through $2 corrupt or failed"
}
fetch "$A_NS" 10.0.1.1
fetch "$B_NS" 10.0.2.1
fetch "$C_NS" 10.0.3.1
pass "each guest downloads 8 MiB through its own gateway, sha256 ok"

# isolation: another guest's address is not reachable from a guest
for target in 10.0.2.2 10.0.3.2; do
	t0=$SECONDS
	if ip netns exec "$A_NS" curl -sf -m 5 -o /dev/null "http://$target:$PORT/file"; then
		fail "guest0 reached $target"
	fi
	[ $((SECONDS - t0)) -le 5 ] || fail "reaching $target hung"
	if ip netns exec "$A_NS" ping -n -c 2 -W 1 "$target" >/dev/null 2>&1; then
		fail "guest0 pinged $target"
	fi
done
pass "guest0 cannot reach beta (10.0.2.2) or gamma (10.0.3.2)"

# spoofing, while beta downloads: guest0 sends from an address it was not
# given, gamma from a MAC that is not its interface's
ip netns exec "$B_NS" sh -c "for i in 1 2 3 4; do curl -sf -m 30 http://10.0.2.1:$PORT/file; done" \
	| sha256sum >"$TMP/beta.sum" &
beta_pid=$!
track_pid "$beta_pid"
ip -n "$A_NS" addr add 10.0.1.77/24 dev eth0
if ip netns exec "$A_NS" curl -sf -m 3 --interface 10.0.1.77 -o /dev/null \
	"http://10.0.1.1:$PORT/file"; then
	fail "a connection from the spoofed 10.0.1.77 went through"
fi
ip -n "$C_NS" link set eth0 address 02:de:ad:be:ef:01
if ip netns exec "$C_NS" ping -n -c 3 -i 0.2 -W 1 10.0.3.1 >/dev/null 2>&1; then
	fail "gamma's pings from a changed MAC were answered"
fi
wait_exit "$beta_pid" 60 || fail "beta's downloads hang"
beta_sum=$(cat "$TMP/www/file" "$TMP/www/file" "$TMP/www/file" "$TMP/www/file" | sha256sum)
[ "$(cat "$TMP/beta.sum")" = "$beta_sum" ] || fail "beta's downloads were disturbed"
pass "beta's 4 x 8 MiB downloads intact meanwhile"
dump=$(broth_stats)
ip_drops=$(stat_drop spoofed_source_ip "$dump")
mac_drops=$(stat_drop spoofed_source_mac "$dump")
[ "$ip_drops" -gt 0 ] || fail_stats "no spoofed_source_ip drops counted"
[ "$mac_drops" -gt 0 ] || fail_stats "no spoofed_source_mac drops counted"
pass "dropped and counted: spoofed_source_ip $ip_drops, spoofed_source_mac $mac_drops"
fetch "$A_NS" 10.0.1.1
pass "guest0 still served from its own address"
stop_broth TERM
for ns in "$B_NS" "$C_NS"; do
	wait_until 3 link_absent "$ns" eth0 || fail "eth0 left in $ns"
done

# bad specs: non-zero exit, one line naming the problem, nothing created
bad() {
	local rc=0 out
	out=$(ip netns exec "$HOSTNS" "$BROTH" "$@" 2>&1 >/dev/null </dev/null) || rc=$?
	[ "$rc" -ne 0 ] || fail "broth $* started"
	[ "$(printf '%s\n' "$out" | grep -c '^broth: ')" -eq 1 ] ||
		fail "broth $*: want one 'broth:' line, got: $out"
	printf '%s\n' "$out" | grep -q -- "$BAD_WANT" ||
		fail "broth $*: message lacks '$BAD_WANT': $out"
	pass "refused: $out"
}
BAD_WANT="mtu=1" bad --guest "netns=$B_NS,mtu=1"
BAD_WANT="unknown key" bad --guest "netns=$B_NS,colour=blue"
BAD_WANT="two guests named" bad --guest "name=x,netns=$B_NS" --guest "name=x,netns=$C_NS,ifname=eth1"
printf 'netns=%s\nnetns=%s,net=10.9.9.9/33\n' "$B_NS" "$C_NS" >"$TMP/bad.conf"
BAD_WANT="bad.conf:2" bad --config "$TMP/bad.conf"
BAD_WANT="no guest" bad --workers 1
assert_only_lo "$B_NS"
assert_only_lo "$C_NS"
test_done
