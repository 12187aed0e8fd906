#!/usr/bin/env bash
# tcp_refused.sh - what the guest sees when a TCP connection cannot be made:
# "connection refused" (RST), quickly (< 200 ms), never a timeout, for
#   - a closed port on the host's 127.0.0.1 (through the gateway 10.0.0.1),
#   - an address inside the guest subnet that is not the gateway (10.0.0.77;
#     the guest sends it to the gateway with a /32 route: on-link, it would
#     ARP for it, broth answers ARP for the gateway only, and the guest gets
#     "no route to host" after its ARP timeout, without broth seeing a SYN),
#   - the gateway with --no-host-loopback, even though a server listens.
# An open port through the gateway connects (the control).
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
OPEN=8080	# httpd listens here in the host netns
CLOSED=8081	# nothing listens here
MAX_MS=200

# probe NS ADDR PORT: "<outcome> <ms>" of one connect() from NS
probe() {
	ip netns exec "$1" "$PYTHON" "$HERE/tcp_client.py" probe "$2" "$3" 3
}

# refused_fast ADDR PORT: from the guest, curl fails with "couldn't connect"
# (exit 7, not 28 = timeout) in < MAX_MS ms, and a bare connect() gets
# ECONNREFUSED in < MAX_MS ms
refused_fast() {
	local addr=$1 port=$2 t0 t1 ms rc=0 out what
	t0=$(date +%s%N)
	gexec curl -sS -m 5 -o /dev/null "http://$addr:$port/" 2>"$TMP/curl.err" || rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	sed 's/^/  | /' "$TMP/curl.err"
	assert_eq "curl $addr:$port exit status (7: could not connect)" 7 "$rc"
	grep -qE "Couldn't connect|Connection refused" "$TMP/curl.err" ||
		fail "curl $addr:$port: no 'couldn't connect' in its error"
	[ "$ms" -lt "$MAX_MS" ] || fail "curl $addr:$port took $ms ms to be refused (want < $MAX_MS)"
	pass "curl $addr:$port refused after $ms ms (curl process included)"
	out=$(probe "$GUESTNS" "$addr" "$port")
	read -r what ms <<<"$out"
	assert_eq "connect($addr:$port) outcome" refused "$what"
	awk -v m="$ms" -v max="$MAX_MS" 'BEGIN { exit !(m < max) }' ||
		fail "connect($addr:$port) refused after $ms ms (want < $MAX_MS)"
	pass "connect($addr:$port): ECONNREFUSED after $ms ms"
}

new_pair
mkdir -p "$TMP/www"
echo hello >"$TMP/www/hello"
start_server "$HOSTNS" "$OPEN" httpd "$PYTHON" "$HERE/httpd.py" "$OPEN" "$TMP/www"
ns_listening "$HOSTNS" "$CLOSED" && fail "port $CLOSED unexpectedly listens in $HOSTNS"

# 1. default: the gateway reaches the host's loopback
start_broth --configure
body=$(gexec curl -sS -m 5 "http://10.0.0.1:$OPEN/hello") || fail "curl to the open port failed"
assert_eq "open port through the gateway: body" hello "$body"
refused_fast 10.0.0.1 "$CLOSED"
gexec ip route add 10.0.0.77/32 via 10.0.0.1 dev eth0 || fail "route to 10.0.0.77 via the gateway"
refused_fast 10.0.0.77 80
stats=$(broth_stats)
n=$(stat_drop tcp_connect_refused "$stats")
assert_eq "drop tcp_connect_refused (closed port, curl + connect)" 2 "$n"
n=$(stat_drop tcp_destination_refused "$stats")
assert_eq "drop tcp_destination_refused (10.0.0.77, curl + connect)" 2 "$n"
stop_broth

# 2. --no-host-loopback: the gateway refuses although the server listens
new_netns GUESTNS g
start_broth --configure --no-host-loopback
ns_listening "$HOSTNS" "$OPEN" || fail "httpd stopped listening on $OPEN"
read -r what _ <<<"$(probe "$HOSTNS" 127.0.0.1 "$OPEN")"
assert_eq "host-side connect to 127.0.0.1:$OPEN" connected "$what"
refused_fast 10.0.0.1 "$OPEN"
stats=$(broth_stats)
n=$(stat_drop tcp_destination_refused "$stats")
assert_eq "drop tcp_destination_refused (gateway, no host loopback)" 2 "$n"
assert_eq "tcp flows opened" 0 "$(stat_tcp opened "$stats")"
stop_broth

test_done
