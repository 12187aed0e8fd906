#!/usr/bin/env bash
# ipv6_tcp.sh - TCP over IPv6 from a SLAAC guest to servers on the host
# netns's [::1], through the gateway:
#   - curl -6 downloads a file from http://[PREFIX::1]:PORT/ (and a small one
#     through [fe80::1%eth0]) and uploads one (curl -T): sha256 both ways;
#   - iperf3 -6, guest sending and (-R) receiving, SECS each: the receiver
#     sees more than IPERF_MIN_MBPS (default 100) Mbit/s;
#   - what fails, fails fast: a closed port on [::1] is refused (RST); a
#     destination the host has no route to (2001:db8::1, documentation
#     space) gets ICMPv6 unreachable (ENETUNREACH/EHOSTUNREACH), not a hang;
#   - over broth's impairment stage (5 % loss, 25 % reordering, 1 %
#     duplicates, 1 ms delay, both ways) download and upload stay intact;
#   - with --no-host-loopback, PREFIX::1 and fe80::1 refuse (RST) although
#     the server listens on [::1].
#
# Sizes: IPV6_TCP_MB (default 64) and IPV6_IMPAIR_MB (default 16) for CI;
# the IPv6 issue asks for 1 GiB:
#   sudo IPV6_TCP_MB=1024 IPV6_IMPAIR_MB=1024 BROTH_WORKERS=2 tests/integration/ipv6_tcp.sh
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd curl iperf3 sha256sum ss ip "$PYTHON"

MB=${IPV6_TCP_MB:-64}
IMPAIR_MB=${IPV6_IMPAIR_MB:-16}
for v in "$MB" "$IMPAIR_MB"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || fail "IPV6_TCP_MB and IPV6_IMPAIR_MB must be positive integers, not '$v'"
done
PREFIX=$NET6_DEFAULT
GW6=${PREFIX}1
PORT=8086	# httpd on [::1]
CLOSED=8087	# nothing listens here
IPORT=5206	# iperf3 on [::1]
SECS=3
MIN_MBPS=${IPERF_MIN_MBPS:-100}
UNREACH=2001:db8::1
MAX_MS=500	# refused: RST within this
HERE=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$TMP/www"
head -c $((MB * 1048576)) /dev/urandom >"$TMP/www/blob" || fail "cannot write $MB MiB in $TMP"
head -c $((IMPAIR_MB * 1048576)) "$TMP/www/blob" >"$TMP/www/iblob"
head -c 1048576 "$TMP/www/blob" >"$TMP/www/small"
sha_of() { sha256sum "$1" | cut -d' ' -f1; }
SHA_blob=$(sha_of "$TMP/www/blob")
SHA_iblob=$(sha_of "$TMP/www/iblob")
SHA_small=$(sha_of "$TMP/www/small")
info "files: $MB MiB (sha256 $SHA_blob), $IMPAIR_MB MiB, 1 MiB"

# mb_per_s BYTES_PER_S: MiB/s with one decimal
mb_per_s() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# download URL FILE SHA LIMIT WHAT: curl -6 from the guest, checked
download() {
	local url=$1 sha=$3 limit=$4 what=$5 rc=0 code size speed t0
	t0=$SECONDS
	gexec curl -6 -sS -m "$limit" -o "$TMP/down" -w '%{http_code} %{size_download} %{speed_download}\n' \
		"$url" >"$TMP/down.w" 2>"$TMP/down.err" || rc=$?
	[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$TMP/down.err" >&2; fail_stats "$what: curl exit status $rc"; }
	read -r code size speed <"$TMP/down.w"
	assert_eq "$what: HTTP status" 200 "$code"
	assert_eq "$what: bytes" "$(stat -c %s "$TMP/www/$2")" "$size"
	assert_eq "$what: sha256" "$sha" "$(sha_of "$TMP/down")"
	info "$what: $((size / 1048576)) MiB in $((SECONDS - t0)) s, $(mb_per_s "$speed") MiB/s"
	rm -f "$TMP/down"
}

# upload FILE SHA LIMIT WHAT: curl -6 -T to the server, which answers
# "<sha256> <bytes>"
upload() {
	local sha=$2 limit=$3 what=$4 rc=0 got_sha got_n code size speed t0
	t0=$SECONDS
	gexec curl -6 -sS -m "$limit" -T "$TMP/www/$1" -w '%{http_code} %{size_upload} %{speed_upload}\n' \
		"http://[$GW6]:$PORT/upload" >"$TMP/up.w" 2>"$TMP/up.err" || rc=$?
	[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$TMP/up.err" >&2; fail_stats "$what: curl exit status $rc"; }
	read -r got_sha got_n <"$TMP/up.w"
	read -r code size speed < <(tail -n 1 "$TMP/up.w")
	assert_eq "$what: HTTP status" 200 "$code"
	assert_eq "$what: bytes the server read" "$(stat -c %s "$TMP/www/$1")" "$got_n"
	assert_eq "$what: sha256 (server side)" "$sha" "$got_sha"
	info "$what: $((size / 1048576)) MiB in $((SECONDS - t0)) s, $(mb_per_s "$speed") MiB/s"
}

# probe ADDR PORT: "<outcome> <ms>" of one connect() from the guest
probe() { gexec "$PYTHON" "$HERE/tcp_client.py" probe "$1" "$2" 5; }

# refused_fast ADDR PORT WHAT: curl fails with "couldn't connect" (7) in
# < MAX_MS, a bare connect() gets ECONNREFUSED in < MAX_MS
refused_fast() {
	local addr=$1 port=$2 what=$3 t0 ms rc=0 out what_
	t0=$(date +%s%N)
	gexec curl -6 -sS -m 5 -o /dev/null "http://[$addr]:$port/small" 2>"$TMP/curl.err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	sed 's/^/  | /' "$TMP/curl.err"
	assert_eq "$what: curl exit status (7: could not connect)" 7 "$rc"
	[ "$ms" -lt "$MAX_MS" ] || fail "$what: curl took $ms ms to be refused (want < $MAX_MS)"
	pass "$what: curl refused after $ms ms (curl process included)"
	out=$(probe "${addr/\%25/%}" "$port")
	read -r what_ ms <<<"$out"
	assert_eq "$what: connect() outcome" refused "$what_"
	awk -v m="$ms" -v max="$MAX_MS" 'BEGIN { exit !(m < max) }' ||
		fail "$what: connect() refused after $ms ms (want < $MAX_MS)"
	pass "$what: connect() ECONNREFUSED after $ms ms"
}

# iperf [-R]: one server run (-1) on [::1], one 3 s client run from the
# guest; the receiver's rate must exceed MIN_MBPS
iperf() {
	local name="iperf6${1:+-R}" crc=0 bps mbps
	start_server "$HOSTNS" "$IPORT" "$name-server" iperf3 -s -1 -B ::1 -p "$IPORT"
	gexec timeout $((SECS + 15)) iperf3 -6 -c "$GW6" -p "$IPORT" -t "$SECS" "$@" \
		--json >"$LOG_DIR/$name.json" 2>"$LOG_DIR/$name.err" || crc=$?
	wait_exit "$SERVER_PID" 10 || fail "$name: iperf3 server still running 10s after the client"
	[ "$crc" -eq 0 ] || {
		sed 's/^/  | /' "$LOG_DIR/$name.err" >&2
		"$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error", "?"))' \
			"$LOG_DIR/$name.json" 2>/dev/null | sed 's/^/  | error: /' >&2
		fail_stats "$name: iperf3 client exit status $crc"
	}
	bps=$("$PYTHON" -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' \
		"$LOG_DIR/$name.json") || fail "$name: no end.sum_received.bits_per_second in its JSON"
	mbps=$((bps / 1000000))
	[ "$mbps" -gt "$MIN_MBPS" ] || fail_stats "$name: receiver $mbps Mbit/s (want > $MIN_MBPS)"
	pass "iperf3 -6 ${1:-  }: receiver $mbps Mbit/s"
}

new_pair
start_server "$HOSTNS" "$PORT" httpd "$PYTHON" "$HERE/httpd.py" "$PORT" "$TMP/www" ::1
ns_listening "$HOSTNS" "$CLOSED" && fail "port $CLOSED unexpectedly listens in $HOSTNS"

# 1. transfers, iperf3, failures
start_broth
wait_slaac "$GUESTNS" eth0 "$PREFIX"
download "http://[$GW6]:$PORT/blob" blob "$SHA_blob" $((30 + MB / 20)) "download [$GW6]"
download "http://[fe80::1%25eth0]:$PORT/small" small "$SHA_small" 30 "download [fe80::1%eth0]"
upload blob "$SHA_blob" $((30 + MB / 20)) "upload [$GW6]"
iperf
iperf -R

refused_fast "$GW6" "$CLOSED" "closed port [$GW6]:$CLOSED"
unreach0=$(snmp6 "$GUESTNS" Icmp6InDestUnreachs)
t0=$(date +%s%N)
rc=0
gexec curl -6 -sS -m 10 -o /dev/null "http://[$UNREACH]:80/" 2>"$TMP/curl.err" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
sed 's/^/  | /' "$TMP/curl.err"
assert_eq "curl [$UNREACH]:80 exit status (7: could not connect)" 7 "$rc"
[ "$ms" -lt 3000 ] || fail "curl [$UNREACH]:80 failed after $ms ms (want < 3000)"
pass "curl [$UNREACH]:80 failed after $ms ms"
read -r what ms <<<"$(probe "$UNREACH" 80)"
assert_match "connect([$UNREACH]:80) outcome" '^(ENETUNREACH|EHOSTUNREACH)$' "$what"
awk -v m="$ms" 'BEGIN { exit !(m < 3000) }' || fail "connect([$UNREACH]:80) took $ms ms"
n=$(($(snmp6 "$GUESTNS" Icmp6InDestUnreachs) - unreach0))
[ "$n" -ge 2 ] || fail "the guest got $n ICMPv6 destination unreachable (want >= 2: curl, connect)"
pass "the guest got $n ICMPv6 destination unreachable"

_all_closed() {
	stats=$(broth_stats)
	opened=$(stat_tcp opened "$stats")
	closed=$(stat_tcp closed "$stats")
	[ "$opened" -ge 5 ] && [ "$opened" = "$closed" ]
}
wait_until 10 _all_closed || fail "tcp opened $opened closed $closed 10s after the transfers ended"
pass "tcp opened $opened, closed $closed"
assert_eq "drop tcp_connect_refused (curl + connect)" 2 "$(stat_drop tcp_connect_refused "$stats")"
assert_eq "drop tcp_connect_unreachable (curl + connect)" 2 "$(stat_drop tcp_connect_unreachable "$stats")"
info "retransmissions: rto $(stat_tcp rto "$stats"), fast $(stat_tcp fast_rexmit "$stats")"
stop_broth

# 2. a bad link: loss, reordering, duplicates and delay both ways
new_netns GUESTNS g
start_broth --impair loss=5,reorder=25,dup=1,delay=1,seed=7
wait_slaac "$GUESTNS" eth0 "$PREFIX" 20
download "http://[$GW6]:$PORT/iblob" iblob "$SHA_iblob" $((60 + IMPAIR_MB)) "impaired download [$GW6]"
upload iblob "$SHA_iblob" $((60 + IMPAIR_MB)) "impaired upload [$GW6]"
stats=$(broth_stats)
dropped=$(sed -n 's/.*impair eth0 broth->guest: in [0-9]* dropped \([0-9]*\).*/\1/p' <<<"$stats" | tail -n 1)
[ "${dropped:-0}" -gt 0 ] || fail "the impairment stage dropped nothing toward the guest"
pass "impairment dropped $dropped frames toward the guest; rto $(stat_tcp rto "$stats"), fast $(stat_tcp fast_rexmit "$stats")"
stop_broth

# 3. --no-host-loopback: the gateway's addresses refuse
new_netns GUESTNS g
start_broth --no-host-loopback
wait_slaac "$GUESTNS" eth0 "$PREFIX"
ns_listening "$HOSTNS" "$PORT" || fail "httpd stopped listening on $PORT"
refused_fast "$GW6" "$PORT" "no host loopback: [$GW6]:$PORT"
refused_fast "fe80::1%25eth0" "$PORT" "no host loopback: [fe80::1%eth0]:$PORT"
stats=$(broth_stats)
assert_eq "drop tcp_destination_refused (2 x curl + connect)" 4 "$(stat_drop tcp_destination_refused "$stats")"
assert_eq "tcp flows opened" 0 "$(stat_tcp opened "$stats")"
stop_broth
test_done
