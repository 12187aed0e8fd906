#!/usr/bin/env bash
# dns_dig.sh - broth's DNS forwarder on the gateway (10.0.0.1:53), with a
# dnsmasq upstream on the host netns's 127.0.0.1:53 that answers only from a
# test hosts file (never the machine's resolvers):
#   - dig A, AAAA and TXT answers come from the upstream;
#   - static records: host.broth.internal -> the gateway, and
#     --dns-host static.test=10.9.8.7;
#   - an answer larger than dig's EDNS buffer (1232 bytes) arrives with TC
#     over UDP, and dig over TCP (+tcp, and plain dig's automatic retry) gets
#     all of it;
#   - 10,000 queries, each from its own guest source port, 32 in flight, are
#     all answered; with --udp-timeout 3 broth's fd count returns to its
#     baseline afterwards;
#   - upstream from --resolv-conf FILE (a test file) instead of --dns;
#   - with the upstream gone, dig gets SERVFAIL within its timeout.
#
# DNS_QUERIES (default 10000) changes the count.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd dig dnsmasq ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
N=${DNS_QUERIES:-10000}
BIG=120		# A records of big.test: 12 + 14 + 120 * 16 bytes > 1232
IDLE=3		# --udp-timeout
[[ $N =~ ^[1-9][0-9]*$ ]] || fail "DNS_QUERIES must be a positive integer, not '$N'"

# the upstream's data: A and AAAA from a hosts file, TXT from the command line
{
	echo "10.1.2.3 a.test"
	echo "fd00::1:2:3 a.test"
	echo "10.1.2.4 b.test"
	for i in $(seq 1 "$BIG"); do
		echo "10.77.$((i / 250)).$((i % 250 + 1)) big.test"
	done
} >"$TMP/hosts"
printf 'nameserver 127.0.0.1\nsearch test\n' >"$TMP/resolv.conf"
TXT="broth dns test; upstream dnsmasq"

# start_dnsmasq: the upstream in HOSTNS on 127.0.0.1:53 (UDP and TCP); sets DNSMASQ_PID
start_dnsmasq() {
	start_server "$HOSTNS" 53 dnsmasq dnsmasq --conf-file=/dev/null --no-daemon --no-resolv --no-hosts \
		--addn-hosts="$TMP/hosts" --port 53 --listen-address=127.0.0.1 --bind-interfaces \
		--pid-file="$TMP/dnsmasq.pid" --user=root --log-facility=- \
		--txt-record="txt.test,$TXT" --local=/test/
	DNSMASQ_PID=$SERVER_PID
	# the upstream answers on its own (host side, no broth)
	local a
	a=$(in_ns "$HOSTNS" dig @127.0.0.1 +short +time=2 +tries=2 a.test A) || true
	[ "$a" = 10.1.2.3 ] || fail "dnsmasq does not answer a.test on 127.0.0.1 (got '$a')"
}

# gdig ARGS...: dig from the guest with a bounded wait, output on stdout
gdig() { gexec timeout 20 dig +time=5 +tries=1 "$@" 2>&1 || true; }

# answer_of DIG_OUTPUT: the ANSWER count of its header line
answer_of() { sed -n 's/.*flags:.*ANSWER: \([0-9]*\),.*/\1/p' <<<"$1" | tail -n 1; }
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | tail -n 1; }
flags_of() { sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' <<<"$1" | tail -n 1; }

# short QTYPE NAME EXPECTED: dig +short from the guest gives EXPECTED
short() {
	local got
	got=$(gdig @10.0.0.1 +short "$2" "$1" | tr '\n' ' ' | sed 's/ $//')
	assert_eq "dig @10.0.0.1 $2 $1" "$3" "$got"
}

new_pair
start_dnsmasq
start_broth --configure --dns 127.0.0.1 --resolv-conf "$TMP/resolv.conf" \
	--dns-host static.test=10.9.8.7 --udp-timeout "$IDLE"
base=$(fd_count "$BROTH_PID")

# 1. answers from the upstream and from broth itself
short A a.test 10.1.2.3
short AAAA a.test fd00::1:2:3
short TXT txt.test "\"$TXT\""
short A host.broth.internal 10.0.0.1
short A static.test 10.9.8.7
out=$(gdig @10.0.0.1 nosuch.test A)
assert_eq "nosuch.test: status" NXDOMAIN "$(status_of "$out")"

# 2. a large answer: TC over UDP, complete over TCP
out=$(gdig @10.0.0.1 +notcp +ignore +bufsize=1232 big.test A)
flags=$(flags_of "$out")
assert_match "big.test over UDP (bufsize 1232): flags" '(^| )tc( |$)' "$flags"
n=$(answer_of "$out")
[ "${n:-0}" -lt "$BIG" ] || fail "big.test over UDP: $n answers without TC trimming (want < $BIG)"
pass "big.test over UDP: TC, $n of $BIG answers"
out=$(gdig @10.0.0.1 +tcp big.test A)
assert_eq "big.test over TCP: status" NOERROR "$(status_of "$out")"
assert_eq "big.test over TCP: answers" "$BIG" "$(answer_of "$out")"
out=$(gdig @10.0.0.1 +bufsize=1232 big.test A)
grep -q 'Truncated, retrying in TCP mode' <<<"$out" || fail "plain dig big.test: no TCP retry"
assert_eq "big.test, plain dig after its TCP retry: answers" "$BIG" "$(answer_of "$out")"
n=$(gdig @10.0.0.1 +tcp +short big.test A | sort -u | grep -c '^10\.77\.' || true)
assert_eq "big.test over TCP: distinct 10.77.x.y addresses" "$BIG" "$n"

# 3. many queries, each from a new source port
t0=$SECONDS
rc=0
gexec timeout 90 "$PYTHON" "$HERE/dns_query.py" many 10.0.0.1 "$N" --inflight 32 --timeout 2 \
	--deadline 60 --expect a.test=10.1.2.3 --expect b.test=10.1.2.4 \
	--expect a.test=10.1.2.3 --expect static.test=10.9.8.7 >"$LOG_DIR/queries.log" 2>&1 || rc=$?
sed 's/^/  | /' "$LOG_DIR/queries.log"
line=$(grep -E '^(ok|FAIL) answered' "$LOG_DIR/queries.log" | tail -n 1)
[ -n "$line" ] || fail_stats "the query client printed no result (exit $rc)"
[[ $line =~ answered\ ([0-9]+)/ ]] || fail "cannot parse: $line"
assert_eq "queries answered, one source port each" "$N" "${BASH_REMATCH[1]}"
pass "$N queries answered in $((SECONDS - t0))s"
stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
held=$(fd_count "$BROTH_PID")
info "broth fds: $base at rest, $held after the queries"
t0=$SECONDS
_fds_back() { now=$(fd_count "$BROTH_PID"); [ "$now" -eq "$base" ]; }
wait_until 10 _fds_back || fail_stats "broth holds $now fds 10s after the queries (baseline $base, --udp-timeout $IDLE)"
pass "broth fds back to baseline $base after $((SECONDS - t0))s"
stop_broth

# 4. the upstream from --resolv-conf alone
new_netns GUESTNS g
start_broth --configure --resolv-conf "$TMP/resolv.conf"
short A a.test 10.1.2.3
short A host.broth.internal 10.0.0.1

# 5. the upstream stops answering: SERVFAIL, within dig's 5 s
kill -TERM "$DNSMASQ_PID"
wait_exit "$DNSMASQ_PID" 5 || fail "dnsmasq did not stop"
t0=$(date +%s%N)
out=$(gdig @10.0.0.1 a.test A)
ms=$((($(date +%s%N) - t0) / 1000000))
sed 's/^/  | /' <<<"$(grep -E 'status|timed out|refused|error' <<<"$out")"
assert_eq "a.test with the upstream gone: status" SERVFAIL "$(status_of "$out")"
pass "SERVFAIL after $ms ms"
short A host.broth.internal 10.0.0.1
stop_broth
test_done
