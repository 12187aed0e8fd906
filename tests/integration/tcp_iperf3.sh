#!/usr/bin/env bash
# tcp_iperf3.sh - iperf3 from the guest to a server on the host's 127.0.0.1
# (through the gateway 10.0.0.1), 3 s each: 1 and 4 parallel streams, guest
# sending and (-R) guest receiving, at MTU 1500 and 65520. Every run must
# complete and its receiver must see more than IPERF_MIN_MBPS (default 100)
# Mbit/s.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd iperf3 ss ip "$PYTHON"

PORT=5201
SECS=3
MIN_MBPS=${IPERF_MIN_MBPS:-100}

new_pair

# iperf P [-R]: one server run (-1), one client run; prints the result
iperf() {
	local p=$1 rev=("${@:2}") name crc=0 bps mbps
	name="iperf-P$p${2:+-R}"
	start_server "$HOSTNS" "$PORT" "$name-server" iperf3 -s -1 -B 127.0.0.1 -p "$PORT"
	gexec timeout $((SECS + 15)) iperf3 -c 10.0.0.1 -p "$PORT" -t "$SECS" -P "$p" "${rev[@]}" \
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
	pass "MTU $MTU: iperf3 -P $p ${2:-  }: receiver $mbps Mbit/s"
}

for MTU in 1500 65520; do
	start_broth --configure --mtu "$MTU"
	iperf 1
	iperf 1 -R
	iperf 4
	iperf 4 -R
	stats=$(broth_stats)
	info "MTU $MTU: tcp opened $(stat_tcp opened "$stats") closed $(stat_tcp closed "$stats")," \
		"rto $(stat_tcp rto "$stats"), fast retransmits $(stat_tcp fast_rexmit "$stats")"
	stop_broth
done
test_done
