#!/usr/bin/env bash
# udp_iperf3.sh - iperf3 UDP at full speed (-b 0) from the guest to a server
# on the host's 127.0.0.1 (through the gateway 10.0.0.1), 3 s each: 64-byte
# and 1400-byte datagrams, guest sending and (-R) guest receiving. Every run
# must complete and its receiver must get packets (> 0) with loss < 100 %.
# UDP at -b 0 overruns someone's buffer on a small machine; the numbers are
# printed, not judged.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd iperf3 ss ip "$PYTHON"

PORT=5202
SECS=3

new_pair
start_broth --configure

# iperf LEN [-R]: one server run (-1), one UDP client run; prints the result
iperf() {
	local len=$1 rev=("${@:2}") name crc=0 res pkts lost pct mbps
	name="iperf-udp-l$len${2:+-R}"
	start_server "$HOSTNS" "$PORT" "$name-server" iperf3 -s -1 -B 127.0.0.1 -p "$PORT"
	gexec timeout $((SECS + 20)) iperf3 -c 10.0.0.1 -p "$PORT" -u -b 0 -l "$len" -t "$SECS" \
		"${rev[@]}" --json >"$LOG_DIR/$name.json" 2>"$LOG_DIR/$name.err" || crc=$?
	wait_exit "$SERVER_PID" 10 || fail "$name: iperf3 server still running 10s after the client"
	[ "$crc" -eq 0 ] || {
		sed 's/^/  | /' "$LOG_DIR/$name.err" >&2
		"$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error", "?"))' \
			"$LOG_DIR/$name.json" 2>/dev/null | sed 's/^/  | error: /' >&2
		fail_stats "$name: iperf3 client exit status $crc"
	}
	# end.sum: the receiver's count of packets sent and lost; the received
	# rate is computed from what arrived
	res=$("$PYTHON" -c 'import json,sys
s = json.load(open(sys.argv[1]))["end"]["sum"]
got = int(s["packets"]) - int(s["lost_packets"])
print(int(s["packets"]), int(s["lost_packets"]), "%.2f" % s["lost_percent"],
      int(got * int(sys.argv[2]) * 8 / max(s["seconds"], 0.001) / 1e6))' \
		"$LOG_DIR/$name.json" "$len") || fail "$name: no end.sum in its JSON"
	read -r pkts lost pct mbps <<<"$res"
	info "$name: sent $pkts, lost $lost ($pct %), received $mbps Mbit/s of payload"
	# where the losses are (cumulative over the runs): the guest's tap queue
	# (TX dropped), a receiving socket's buffer (RcvbufErrors)
	info "  so far: guest eth0 tx dropped $(gexec cat /sys/class/net/eth0/statistics/tx_dropped), Udp RcvbufErrors" \
		"host $(snmp "$HOSTNS" Udp RcvbufErrors) guest $(snmp "$GUESTNS" Udp RcvbufErrors)"
	[ $((pkts - lost)) -gt 0 ] || fail_stats "$name: the receiver got no packet ($pkts sent, $lost lost)"
	[ "$lost" -lt "$pkts" ] || fail_stats "$name: 100 % loss"
	pass "iperf3 -u -l $len ${2:-  }: receiver got $((pkts - lost))/$pkts datagrams"
}

iperf 64
iperf 64 -R
iperf 1400
iperf 1400 -R

stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | sed -n 's/^stats: workers total:   //p' | tr '\n' ';')"
stop_broth
test_done
