#!/usr/bin/env bash
# flood_malformed.sh - malformed and truncated frames at full speed.
#
# The guest replays the fuzz seed corpora (tests/fuzz/corpus/*: ARP, DHCP,
# DNS, ICMP, TCP, UDP frames) and 20,000 deterministic mutants of them
# (truncated anywhere, random bytes changed, header bytes changed, garbage
# appended) through AF_PACKET on its eth0 as fast as it can, for
# MALFORMED_SECONDS (default 5; at most MALFORMED_COUNT frames, default
# 1,000,000). Meanwhile the same guest downloads through its broth, and a
# second guest downloads through a second broth process (both paced, every
# byte checked). Checks:
#   - broth survives, and drops the bad frames counted by reason: the drop
#     counters grow under many distinct reasons (parse, checksum, truncation,
#     ARP, DHCP, DNS, ...), and they account for most of what it received;
#   - both downloads complete with the right sha256;
#   - the flooded guest still gets answers (ping, a new TCP connection) and
#     both broths exit 0.
# The host netns has only lo: destinations outside it fail with "no route"
# and DNS goes to 127.0.0.1 (--dns), so nothing leaves the test.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
CORPUS=$REPO/tests/fuzz/corpus
SECS=${MALFORMED_SECONDS:-5}
COUNT=${MALFORMED_COUNT:-1000000}
MIN_REASONS=${MALFORMED_MIN_REASONS:-15}
PORT=7014
MB=48
RATE=$((6 << 20))	# each download: 6 MiB/s, so ~8 s, across the flood
[[ $SECS =~ ^[1-9][0-9]*$ ]] || fail "MALFORMED_SECONDS must be a positive integer"
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || fail "MALFORMED_COUNT must be a positive integer"
[ -d "$CORPUS/parse" ] || fail "no fuzz corpus at $CORPUS"

# drops DUMP: "reason count" of every drop counter of the workers total and
# the slow path, one per line, summed by reason
drops() {
	printf '%s\n' "$1" | sed -n 's/^stats: \(workers total\|slowpath\):   drop \([a-z0-9_]*\) \([0-9]*\)$/\2 \3/p' |
		awk '{ n[$1] += $2 } END { for (r in n) print r, n[r] }' | sort
}
# rx_of DUMP: frames the port received
rx_of() { printf '%s\n' "$1" | sed -n 's/^stats: port .* rx \([0-9]*\) tx .*/\1/p' | tail -n 1; }

new_pair
start_server "$HOSTNS" "$PORT" stream "$PYTHON" "$HERE/stream.py" server "$PORT"

# the second guest and its broth, first (start_broth keeps the last one's
# variables)
new_netns GUEST2 g
GUESTNS_1=$GUESTNS
GUESTNS=$GUEST2
start_broth --configure --dns 127.0.0.1
B2_PID=$BROTH_PID B2_LOG=$BROTH_LOG
GUESTNS=$GUESTNS_1
start_broth --configure --dns 127.0.0.1
GWMAC=$(gw_mac "$GUESTNS")
[ -n "$GWMAC" ] || fail "no ARP entry for the gateway in the guest"

BYTES=$((MB << 20))
want=$("$PYTHON" "$HERE/stream.py" sha "$BYTES")
before=$(broth_stats)
# download NS NAME: a paced, checked download in the background; sets DL_PID
download() {
	ip netns exec "$1" "$PYTHON" "$HERE/stream.py" client 10.0.0.1 "$PORT" --bytes "$BYTES" \
		--rate "$RATE" --seconds 90 --ready "$TMP/ready-$2" >"$LOG_DIR/$2.log" 2>&1 </dev/null &
	DL_PID=$!
	track_pid "$DL_PID"
	wait_until 10 test -s "$TMP/ready-$2" || fail "download $2 did not start"
}
download "$GUESTNS" dl1
DL1=$DL_PID
download "$GUEST2" dl2
DL2=$DL_PID
sleep 1

# the flood
t0=$SECONDS
rc=0
ip netns exec "$GUESTNS" timeout $((SECS + 30)) "$PYTHON" "$HERE/flood.py" replay eth0 "$GWMAC" \
	"$SECS" --count "$COUNT" "$CORPUS"/* >"$LOG_DIR/flood.log" 2>&1 </dev/null || rc=$?
sed 's/^/  | /' "$LOG_DIR/flood.log"
[ "$rc" -eq 0 ] || fail "flood.py exit status $rc"
sent=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' "$LOG_DIR/flood.log")
[ "${sent:-0}" -gt 0 ] || fail "flood.py sent nothing"
proc_alive "$BROTH_PID" || fail "broth died under the malformed flood"
pass "broth alive after $sent malformed frames in $((SECONDS - t0))s"

# the downloads, through both broths, intact
for dl in "$DL1 dl1" "$DL2 dl2"; do
	wait_exit "${dl% *}" 90 || fail "download ${dl#* } still running"
	sed 's/^/  | /' "$LOG_DIR/${dl#* }.log"
	[ "$EXIT_RC" -eq 0 ] || fail_stats "download ${dl#* } failed (exit $EXIT_RC)"
	got=$(sed -n 's/^ok .* sha256 \([0-9a-f]*\)$/\1/p' "$LOG_DIR/${dl#* }.log")
	assert_eq "download ${dl#* } sha256 ($MB MiB, during the flood)" "$want" "$got"
done

# drops by reason
after=$(broth_stats)
drops "$before" >"$TMP/drops0"
drops "$after" >"$TMP/drops1"
join -a 2 -e 0 -o 0,1.2,2.2 "$TMP/drops0" "$TMP/drops1" |
	awk '$3 > $2 { print $1, $3 - $2 }' | sort -k2,2nr >"$TMP/grown"
sed 's/^/  | drop /' "$TMP/grown"
reasons=$(wc -l <"$TMP/grown")
dropped=$(awk '{ s += $2 } END { print s + 0 }' "$TMP/grown")
rx=$(($(rx_of "$after") - $(rx_of "$before")))
info "broth received $rx of $sent frames, dropped $dropped under $reasons reasons"
[ "$reasons" -ge "$MIN_REASONS" ] || fail "drops grew under $reasons reasons (want >= $MIN_REASONS)"
pass "drops counted under $reasons distinct reasons"
# most mutants are bad; the rest are answered (ARP, DHCP, ping) or turn
# into flows to nowhere (no route: counted too)
[ "$dropped" -ge $((rx / 2)) ] || fail "only $dropped of $rx received frames counted as drops"
pass "$dropped of $rx received frames dropped and counted"
for r in ipv4_bad_checksum ipv4_truncated tcp_bad_checksum udp_bad_checksum; do
	grep -q "^$r " "$TMP/grown" || fail "no drop counted as $r"
done
grep -q '^dhcp_' "$TMP/grown" || fail "no DHCP parse drop: mutants did not reach the DHCP server"
grep -Eq '^dns_(truncated|bad_name|bad_section_count|not_a_query) ' "$TMP/grown" ||
	fail "no DNS parse drop: mutants did not reach the DNS forwarder"
pass "truncation, checksum, DHCP and DNS parse drops counted"

# the flooded guest is still served
guest_ping "$GUESTNS" 10.0.0.1 3
out=$(gexec timeout 10 "$PYTHON" "$HERE/tcp_client.py" probe 10.0.0.1 "$PORT" 5)
assert_match "a new TCP connection after the flood" '^connected ' "$out"
stop_broth
stop_broth TERM "$B2_PID" "$GUEST2" eth0 "$B2_LOG"
test_done
