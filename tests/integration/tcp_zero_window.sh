#!/usr/bin/env bash
# tcp_zero_window.sh - the guest stops reading for a long time while the host
# keeps sending.
#
# The guest downloads 64 MiB from a server on the host's 127.0.0.1
# (stream.py, every byte checked); after 8 MiB it stops reading for
# ZW_SECONDS (default 30; e.g. ZW_SECONDS=300 for the long run), so its
# receive buffer fills and it advertises a zero window, while the host
# server still has most of the file to send. Checks:
#   - the window really closed: the guest socket's receive queue stays put
#     and the host server's send queue holds data, for the whole pause;
#   - broth's RSS, sampled every second, grows by less than ZW_RSS_MB
#     (default 16 MiB), and its fd count does not change;
#   - once the guest reads again the download resumes and completes with
#     the right sha256 in bounded time; broth closes the connection.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
PAUSE=${ZW_SECONDS:-30}
RSS_MB=${ZW_RSS_MB:-16}
PORT=7015
MB=64
AT=$((8 << 20))
[[ $PAUSE =~ ^[1-9][0-9]*$ ]] || fail "ZW_SECONDS must be a positive integer, not '$PAUSE'"
[[ $RSS_MB =~ ^[1-9][0-9]*$ ]] || fail "ZW_RSS_MB must be a positive integer, not '$RSS_MB'"
BYTES=$((MB << 20))

new_pair
start_server "$HOSTNS" "$PORT" stream "$PYTHON" "$HERE/stream.py" server "$PORT"
start_broth --configure
want=$("$PYTHON" "$HERE/stream.py" sha "$BYTES")
base_fds=$(fd_count "$BROTH_PID")
base_rss=$(rss_kb "$BROTH_PID")

ip netns exec "$GUESTNS" "$PYTHON" "$HERE/stream.py" client 10.0.0.1 "$PORT" --bytes "$BYTES" \
	--pause-at "$AT" --pause-for "$PAUSE" --seconds $((PAUSE + 60)) --timeline "$TMP/timeline" \
	>"$LOG_DIR/client.log" 2>&1 </dev/null &
CLIENT=$!
track_pid "$CLIENT"

# queues NS STATE-FILTER: "Recv-Q Send-Q" of the TCP socket on port PORT in NS
guest_q() { ip netns exec "$GUESTNS" ss -Htn "dport = :$PORT" | awk 'NR == 1 { print $2, $3 }'; }
host_q() { ip netns exec "$HOSTNS" ss -Htn "sport = :$PORT" | awk 'NR == 1 { print $2, $3 }'; }
_paused() {
	local b
	b=$(tail -n 1 "$TMP/timeline" 2>/dev/null | cut -d' ' -f2)
	[ "${b:-0}" -ge "$AT" ]
}
# guest_rx: frames the guest's eth0 received
guest_rx() { link_stat "$GUESTNS" eth0 rx packets; }
wait_until 30 _paused || fail_stats "the download did not reach $AT bytes"
pause_end=$((SECONDS + PAUSE - 2))	# sample only while the guest surely pauses
# the guest's buffer fills (autotuning may grow it) and its window closes:
# wait until its receive queue stays put for a second
_full() {
	local q
	q=$(guest_q)
	sleep 1
	[ -n "$q" ] && [ "$q" = "$(guest_q)" ]
}
t_settle=$SECONDS
wait_until 15 _full || fail_stats "the guest's receive queue never settled: $(guest_q)"
info "the guest's receive queue settled in $((SECONDS - t_settle))s"
rss0=$(rss_kb "$BROTH_PID")
fds0=$(fd_count "$BROTH_PID")
gq0=$(guest_q)
rx0=$(guest_rx)
info "paused at $(tail -n 1 "$TMP/timeline" | cut -d' ' -f2) bytes: guest Recv-Q/Send-Q $gq0, host $(host_q), broth RSS $((rss0 / 1024)) MiB, $fds0 fds"
max_rss=$rss0 samples=0 moved=0
while [ "$SECONDS" -lt "$pause_end" ] && [ "$samples" -lt "$PAUSE" ] && proc_alive "$CLIENT"; do
	sleep 1
	rss=$(rss_kb "$BROTH_PID")
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	[ "$(guest_q)" = "$gq0" ] || moved=$((moved + 1))
	[ "$(fd_count "$BROTH_PID")" -eq "$fds0" ] || fail "broth's fd count changed during the pause"
	samples=$((samples + 1))
	[ $((samples % 5)) -eq 0 ] && info "t+${samples}s: broth RSS $((rss / 1024)) MiB, guest queues $(guest_q), host queues $(host_q)"
done
hq=$(host_q)
# settling may take most of 15 s (the guest's kernel keeps opening its window
# a little as it collapses its receive queue): a third of the pause is left
[ "$samples" -ge $((PAUSE / 3)) ] || fail "only $samples samples during a ${PAUSE}s pause"
probes=$(($(guest_rx) - rx0))
info "sampled $samples s: broth RSS $((base_rss / 1024)) MiB at rest, $((rss0 / 1024)) at the pause, max $((max_rss / 1024))"
read -r grecv _ <<<"$gq0"
read -r _ hsend <<<"$hq"
[ "${grecv:-0}" -gt 0 ] || fail "the guest socket's receive queue is empty: it never stopped reading"
[ "$moved" -eq 0 ] || fail "the guest's receive queue changed $moved times: broth sent into a zero window"
[ "${hsend:-0}" -gt 0 ] || fail "the host server has nothing queued: nothing was held back"
pass "zero window held for the pause: guest Recv-Q $grecv steady, host Send-Q $hsend"
# probes back off (RTO doubling, 60 s at most): a few in a 20 s pause
[ "$probes" -ge 1 ] || fail "the guest received no frame during the pause: no window probes"
pass "broth probed the zero window: $probes frames to the guest in ${samples}s"
[ $((max_rss - rss0)) -le $((RSS_MB * 1024)) ] ||
	fail "broth's RSS grew by $(((max_rss - rss0) / 1024)) MiB during the pause (allowed $RSS_MB)"
pass "broth's RSS bounded: +$(((max_rss - rss0) / 1024)) MiB over ${samples}s"

wait_exit "$CLIENT" 90 || fail "download still running after the pause"
sed 's/^/  | /' "$LOG_DIR/client.log"
[ "$EXIT_RC" -eq 0 ] || fail_stats "the download failed after the pause (exit $EXIT_RC)"
got=$(sed -n 's/^ok .* sha256 \([0-9a-f]*\)$/\1/p' "$LOG_DIR/client.log")
assert_eq "download sha256 ($MB MiB, ${PAUSE}s zero window)" "$want" "$got"
_closed() {
	stats=$(broth_stats)
	[ "$(stat_tcp opened "$stats")" = 1 ] && [ "$(stat_tcp closed "$stats")" = 1 ] &&
		[ "$(fd_count "$BROTH_PID")" -eq "$base_fds" ]
}
wait_until 10 _closed || fail_stats "the connection did not close (fds $(fd_count "$BROTH_PID"), baseline $base_fds)"
pass "connection closed, fds back to $base_fds"
info "retransmissions: rto $(stat_tcp rto "$stats"), fast $(stat_tcp fast_rexmit "$stats")"
stop_broth
test_done
