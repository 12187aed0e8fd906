#!/usr/bin/env bash
# vm_two_vms.sh - one broth serves two QEMU VMs (vhost-user) and one netns
# guest at once, each in its own subnet:
#   netns guest  10.0.0.0/24   (--netns, --configure)      forward 18000 -> 8081
#   VM A "vma"   10.0.21.0/24  (MAC learned)               forward 18021 -> 80
#   VM B "vmb"   10.0.22.0/24  (mac= fixed in broth)       forward 18022 -> 80
#   1. the netns guest downloads a file (sha256); no spoof drop is counted
#      for an honest guest;
#   2. both VMs boot at once; each passes tests/vm/init's checks (DHCP, ping
#      the gateway, DNS through the gateway to a dnsmasq upstream, a
#      download with sha256), serves /id and /blob on port 80 and waits for
#      its go-ahead (broth.wait); still no spoof drop;
#   3. every guest's /id answers the host through its port forward (so the
#      targets below are up and listening), yet the netns guest reaches
#      neither VM's address (curl fails at once, ping unanswered); VM B, let
#      go, reaches neither VM A nor the netns guest (broth.noreach), then
#      pings the gateway from VM A's address and from a changed MAC
#      (broth.spoofip, broth.spoofmac): unanswered, spoofed_source_ip and
#      spoofed_source_mac grow, and the host's downloads from VM A and the
#      netns guest's from the host, meanwhile, all arrive intact;
#   4. the netns guest sends from an address and from a MAC it was not
#      given: no answer, both counters grow again, and the host's downloads
#      from both VMs meanwhile arrive intact;
#   5. a long rate-limited download starts in the netns guest; VM A, let go,
#      reaches neither VM B nor the netns guest and powers off (its QEMU
#      exits); a new QEMU boots VM A on the same socket and it passes again
#      (isolation included) while that download keeps going; the download
#      ends intact (sha256), VM B still answers, and the honest guests added
#      no spoof drops meanwhile;
#   6. broth exits 0 on SIGTERM and removes both sockets.
# Everything runs in namespaces made here: broth, dnsmasq (--no-resolv, a test
# hosts file), the HTTP server and both QEMUs (no netdev but the vhost-user
# NIC) in the host netns; broth's resolv.conf is a test file.
#
# VM_BOOT_TIMEOUT (default 60) bounds each wait for a VM's result line;
# LONG_MIB (default 128) and LONG_RATE (curl --limit-rate, default 1536k)
# size the download that spans VM A's reboot: 85 s, for the 17-38 s that
# the go-ahead, the power-off and the new boot took on 2 cores (the latter
# with two busy loops next to the test).
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd qemu-system-x86_64 dnsmasq socat sha256sum curl ping ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-60}
LONG_MIB=${LONG_MIB:-128}
LONG_RATE=${LONG_RATE:-1536k}
PORT=8080		# host HTTP server (HOSTNS loopback)
GPORT=8081		# the netns guest's HTTP server
NAME=vm.test
ADDR=10.9.8.7
G_IP=10.0.0.2 A_IP=10.0.21.2 B_IP=10.0.22.2
A_MAC=52:54:00:00:21:02 B_MAC=52:54:00:00:22:02 SPOOF_MAC=52:54:00:de:ad:02
FWD_G=18000 FWD_A=18021 FWD_B=18022
A_SOCK=$TMP/a.sock B_SOCK=$TMP/b.sock
for v in BOOT_TIMEOUT LONG_MIB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || fail "$v must be a positive integer"
done
T_START=$SECONDS

# the guest image (built once per version of tests/vm, then cached)
t0=$SECONDS
IMG=$("$REPO/tests/vm/build-guest.sh" 2>"$LOG_DIR/build-guest.log") || {
	sed 's/^/  | /' "$LOG_DIR/build-guest.log" >&2
	fail "cannot build the test VM (tests/vm/build-guest.sh)"
}
pass "guest image in $IMG ($(cat "$IMG/kernel" 2>/dev/null), $((SECONDS - t0))s)"

mkdir -p "$TMP/www" "$TMP/gwww"
head -c 1048576 /dev/urandom >"$TMP/www/blob"
SHA=$(sha256sum "$TMP/www/blob" | cut -d' ' -f1)
head -c $((LONG_MIB << 20)) /dev/urandom >"$TMP/www/long"
LONG_SHA=$(sha256sum "$TMP/www/long" | cut -d' ' -f1)
echo "netns-guest $G_IP" >"$TMP/gwww/id"
echo "$ADDR $NAME" >"$TMP/hosts"
printf 'nameserver 127.0.0.1\nsearch test\n' >"$TMP/resolv.conf"

new_netns HOSTNS h
new_netns GUESTNS g
start_server "$HOSTNS" 53 dnsmasq dnsmasq --conf-file=/dev/null --no-daemon --no-resolv \
	--no-hosts --addn-hosts="$TMP/hosts" --port 53 --listen-address=127.0.0.1 \
	--bind-interfaces --pid-file="$TMP/dnsmasq.pid" --user=root --log-facility=- --local=/test/
start_server "$HOSTNS" "$PORT" httpd "$PYTHON" "$HERE/httpd.py" "$PORT" "$TMP/www"

start_broth --configure --net 10.0.0.0/24 -t "$FWD_G:$GPORT" \
	--dns 127.0.0.1 --resolv-conf "$TMP/resolv.conf" \
	--guest "name=vma,vhost-user=$A_SOCK,net=10.0.21.0/24,fwd=tcp:$FWD_A:80" \
	--guest "name=vmb,vhost-user=$B_SOCK,net=10.0.22.0/24,mac=$B_MAC,fwd=tcp:$FWD_B:80"
assert_match "ready line names the three guests" \
	"guest guest0 eth0 in netns $GUESTNS.*guest vma: VM on vhost-user socket $A_SOCK.*guest vmb: VM on vhost-user socket $B_SOCK" \
	"$(grep ready "$BROTH_LOG")"
[ -S "$A_SOCK" ] && [ -S "$B_SOCK" ] || fail "no vhost-user sockets after ready"
start_server "$GUESTNS" "$GPORT" glisten "$PYTHON" "$HERE/httpd.py" "$GPORT" "$TMP/gwww" 0.0.0.0

# vsock_log PATH WHAT: broth log lines "vhost-user PATH: guest WHAT"
vsock_log() { log_count "vhost-user $1: guest $2"; }
_vsock_left() { [ "$(vsock_log "$1" disconnected)" -ge "$2" ]; }

# guest_get NS URL FILE: curl in NS (HOSTNS or the guest), bounded
guest_get() { ip netns exec "$1" curl -sf -m 30 -o "$3" "$2"; }

# fwd_id HPORT: the /id a guest serves, through its port forward from the host
fwd_id() { ip netns exec "$HOSTNS" curl -sf -m 5 "http://127.0.0.1:$1/id" 2>/dev/null; }

# spoof_drops: "IP MAC" spoof drop counters of all workers
spoof_drops() {
	local d
	d=$(broth_stats)
	echo "$(stat_drop spoofed_source_ip "$d") $(stat_drop spoofed_source_mac "$d")"
}

# 1. the netns guest, alone
guest_get "$GUESTNS" "http://10.0.0.1:$PORT/blob" "$TMP/g.blob" || fail "netns guest: download failed"
assert_eq "netns guest: sha256 of a 1 MiB download" "$SHA" "$(sha256sum <"$TMP/g.blob" | cut -d' ' -f1)"
read -r ip0 mac0 < <(spoof_drops)
assert_eq "spoof drops (ip mac) from the honest netns guest" "0 0" "$ip0 $mac0"

# --- VMs -------------------------------------------------------------------

# start_vm VAR SOCK MAC NAME EXTRA: QEMU (TCG, 1 vCPU, shared memfd RAM) in
# HOSTNS on vhost-user socket SOCK, serial console in $LOG_DIR/NAME.serial,
# QMP on $TMP/NAME.qmp. broth.stay=1 in EXTRA keeps the VM after its result
# line; any other powers off and QEMU exits (-no-reboot). Sets VAR to the
# PID of QEMU.
start_vm() {
	local var=$1 sock=$2 mac=$3 name=$4 extra=$5 reboot=(-no-reboot) pid
	[[ $extra == *broth.stay=1* ]] && reboot=()
	: >"$LOG_DIR/$name.serial"
	ip netns exec "$HOSTNS" qemu-system-x86_64 -nodefaults -display none -no-user-config \
		-object memory-backend-memfd,id=mem,size=256M,share=on -machine pc,memory-backend=mem \
		-m 256M -smp 1 "${reboot[@]}" \
		-serial "file:$LOG_DIR/$name.serial" -qmp "unix:$TMP/$name.qmp,server=on,wait=off" \
		-chardev "socket,id=c,path=$sock" -netdev "vhost-user,id=n,chardev=c,queues=1" \
		-device "virtio-net-pci,netdev=n,vectors=0,mac=$mac" \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 broth.sha256=$SHA broth.addr=$ADDR broth.name=$NAME broth.port=$PORT broth.listen=80 $extra" \
		>"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
	pid=$!
	track_pid "$pid"
	printf -v "$var" '%s' "$pid"
	info "started $name (QEMU pid $pid): $extra"
}

# serial_has NAME REGEX: the VM's serial console shows REGEX (extended)
serial_has() { grep -a -q -E "$2" "$LOG_DIR/$1.serial"; }
_result_or_exit() { serial_has "$1" '^BROTH-VM-RESULT' || ! proc_alive "$2"; }

# vm_trace NAME: the VM's progress lines, to stderr
vm_trace() {
	grep -a 'broth-vm\|BROTH' "$LOG_DIR/$1.serial" | tr -d '\r' | sed "s/^/  | $1: /" >&2
	sed "s/^/  | $1 qemu: /" "$LOG_DIR/$1.qemu.log" >&2
}

# wait_result NAME PID WHAT: wait (bounded) for the VM's result line; it must be ok
wait_result() {
	local name=$1 pid=$2 what=$3 t=$SECONDS line
	wait_until "$BOOT_TIMEOUT" _result_or_exit "$name" "$pid" || true
	line=$(grep -a -m 1 '^BROTH-VM-RESULT' "$LOG_DIR/$name.serial" | tr -d '\r')
	if [[ $line != "BROTH-VM-RESULT ok"* ]]; then
		vm_trace "$name"
		fail_stats "$what: ${line:-no result line after ${BOOT_TIMEOUT}s}"
	fi
	grep -a 'broth-vm:' "$LOG_DIR/$name.serial" | tail -n 12 | tr -d '\r' | sed "s/^/  | $name: /"
	pass "$what: $line (waited $((SECONDS - t))s)"
}

# qmp NAME CMD: one QMP command to that VM
qmp() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$2" |
		timeout 10 socat -t 2 - "UNIX-CONNECT:$TMP/$1.qmp" >>"$LOG_DIR/qmp.log" 2>&1
}

# wait_gate NAME PID: wait (bounded) until the VM waits for its go-ahead
wait_gate() {
	_at_gate() { serial_has "$1" 'waiting for the go-ahead|^BROTH-VM-RESULT' || ! proc_alive "$2"; }
	wait_until "$BOOT_TIMEOUT" _at_gate "$1" "$2" || true
	if ! serial_has "$1" 'waiting for the go-ahead' || serial_has "$1" '^BROTH-VM-RESULT'; then
		vm_trace "$1"
		fail_stats "$1 did not wait for its go-ahead: $(grep -a -m 1 '^BROTH-VM-RESULT' "$LOG_DIR/$1.serial" |
			tr -d '\r' || echo "not there after ${BOOT_TIMEOUT}s")"
	fi
}

# traffic_start NAME NS URL...: in NS, in the background, download each URL
# (a copy of the 1 MiB blob) again and again until traffic_stop NAME (at
# most 600 rounds or 150 s); one line "URL SHA256" per download in
# $TMP/NAME.sums. Sets TRAFFIC_PID.
traffic_start() {
	local name=$1 ns=$2
	shift 2
	: >"$TMP/$name.sums"
	rm -f "$TMP/$name.stop"
	# shellcheck disable=SC2016	# expanded by the inner bash
	ip netns exec "$ns" bash -c 'stop=$1 out=$2 t0=$SECONDS
		shift 2
		for _ in $(seq 1 600); do
			if [ -e "$stop" ] || [ $((SECONDS - t0)) -ge 150 ]; then break; fi
			for u in "$@"; do
				echo "$u $(curl -sf -m 20 "$u" | sha256sum | cut -d" " -f1)" >>"$out"
			done
			sleep 0.2
		done' traffic "$TMP/$name.stop" "$TMP/$name.sums" "$@" \
		>"$LOG_DIR/traffic-$name.log" 2>&1 </dev/null &
	TRAFFIC_PID=$!
	track_pid "$TRAFFIC_PID"
}

# traffic_stop NAME PID WHAT URL...: the loop still ran, ends within 30 s,
# and every download of every URL (at least 2 each) was complete
traffic_stop() {
	local name=$1 pid=$2 what=$3 u n all
	shift 3
	proc_alive "$pid" || fail "$what: the downloads stopped early"
	touch "$TMP/$name.stop"
	wait_exit "$pid" 30 || fail "$what: the downloads hang"
	all=$(wc -l <"$TMP/$name.sums")
	for u in "$@"; do
		n=$(grep -c -F "$u $SHA" "$TMP/$name.sums" || true)
		[ "$n" -ge 2 ] && [ "$n" -eq "$(grep -c -F "$u " "$TMP/$name.sums")" ] ||
			fail "$what: downloads of $u: $n intact of $(grep -c -F "$u " "$TMP/$name.sums" || true)"
	done
	pass "$what: $all downloads of 1 MiB meanwhile, all intact ($*)"
}

# 2. both VMs at once: each passes the checks, serves /id and /blob, and
# waits for its go-ahead
NOREACH_A="broth.noreach=$B_IP:80,$G_IP:$GPORT"
QA='' QB=''
t_boot=$SECONDS
start_vm QA "$A_SOCK" "$A_MAC" vma1 "broth.wait=go-a $NOREACH_A"
start_vm QB "$B_SOCK" "$B_MAC" vmb "broth.stay=1 broth.wait=go-b broth.noreach=$A_IP:80,$G_IP:$GPORT broth.spoofip=$A_IP broth.spoofmac=$SPOOF_MAC"
wait_gate vma1 "$QA"
wait_gate vmb "$QB"
pass "both VMs passed their checks and wait, $((SECONDS - t_boot))s after their start"
read -r ip1 mac1 < <(spoof_drops)
assert_eq "spoof drops (ip mac) after two honest VM boots" "$ip0 $mac0" "$ip1 $mac1"

# 3. isolation. First, every target answers the host through its forward.
_fwd_is() { [ "$(fwd_id "$1")" = "$2" ]; }
for t in "$FWD_G netns-guest $G_IP" "$FWD_A broth-vm $A_IP" "$FWD_B broth-vm $B_IP"; do
	wait_until 10 _fwd_is "${t%% *}" "${t#* }" ||
		fail_stats "host port ${t%% *} does not give '${t#* }' (got '$(fwd_id "${t%% *}")')"
done
pass "port forwards reach each guest's server: $FWD_G -> $G_IP:$GPORT, $FWD_A -> $A_IP:80, $FWD_B -> $B_IP:80"

# ms: milliseconds since the epoch
ms() { echo $(($(date +%s%N) / 1000000)); }
for target in "$A_IP" "$B_IP"; do
	t0=$(ms)
	if ip netns exec "$GUESTNS" curl -sf -m 10 -o "$TMP/nr.out" "http://$target:80/id"; then
		fail "the netns guest reached $target:80 ($(head -c 60 "$TMP/nr.out"))"
	fi
	dt=$(($(ms) - t0))
	[ "$dt" -lt 3000 ] || fail "the netns guest's connection to $target:80 took ${dt} ms to fail (hangs)"
	if ip netns exec "$GUESTNS" ping -n -c 2 -i 0.3 -W 1 "$target" >"$TMP/nr.ping" 2>&1; then
		fail "the netns guest pinged $target: $(grep -m 1 'bytes from' "$TMP/nr.ping")"
	fi
	pass "netns guest cannot reach $target: http failed in ${dt} ms, ping unanswered"
done

# VM B, let go, tries VM A (still waiting, so up) and the netns guest, then
# pings the gateway from VM A's address and from a MAC not its own, and
# stays; meanwhile the host downloads from VM A and the netns guest from
# the host
U_A=http://127.0.0.1:$FWD_A/blob U_B=http://127.0.0.1:$FWD_B/blob U_G=http://10.0.0.1:$PORT/blob
traffic_start b-host "$HOSTNS" "$U_A"
tp1=$TRAFFIC_PID
traffic_start b-guest "$GUESTNS" "$U_G"
tp2=$TRAFFIC_PID
touch "$TMP/www/go-b"
wait_result vmb "$QB" "VM B: isolation and spoofing checks"
traffic_stop b-host "$tp1" "VM A (from the host) during VM B's spoofing" "$U_A"
traffic_stop b-guest "$tp2" "the netns guest (from the host) during VM B's spoofing" "$U_G"
read -r ip2 mac2 < <(spoof_drops)
[ "$ip2" -gt "$ip1" ] || fail_stats "VM B's pings from $A_IP: spoofed_source_ip stayed at $ip2"
[ "$mac2" -gt "$mac1" ] || fail_stats "VM B's pings from MAC $SPOOF_MAC: spoofed_source_mac stayed at $mac2"
pass "VM B's spoofed frames dropped and counted: spoofed_source_ip $ip1 -> $ip2, spoofed_source_mac $mac1 -> $mac2"

# 4. the netns guest spoofs while the host downloads from both VMs
traffic_start g-host "$HOSTNS" "$U_A" "$U_B"
tp1=$TRAFFIC_PID
ip -n "$GUESTNS" addr add 10.0.0.77/24 dev eth0 || fail "second address in the netns guest"
if ip netns exec "$GUESTNS" curl -sf -m 3 --interface 10.0.0.77 -o /dev/null \
	"http://10.0.0.1:$PORT/blob"; then
	fail "a connection from the spoofed 10.0.0.77 went through"
fi
ip -n "$GUESTNS" addr del 10.0.0.77/24 dev eth0 || fail "cannot remove 10.0.0.77"
G_MAC=$(ip -n "$GUESTNS" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\) .*/\1/p')
ip -n "$GUESTNS" link set eth0 address 02:de:ad:be:ef:01 || fail "cannot change the netns guest's MAC"
if ip netns exec "$GUESTNS" ping -n -c 3 -i 0.2 -W 1 10.0.0.1 >/dev/null 2>&1; then
	fail "the netns guest's pings from a changed MAC were answered"
fi
ip -n "$GUESTNS" link set eth0 address "$G_MAC" || fail "cannot restore MAC $G_MAC"
traffic_stop g-host "$tp1" "both VMs (from the host) during the netns guest's spoofing" "$U_A" "$U_B"
read -r ip3 mac3 < <(spoof_drops)
[ "$ip3" -gt "$ip2" ] || fail_stats "netns guest from 10.0.0.77: spoofed_source_ip stayed at $ip3"
[ "$mac3" -gt "$mac2" ] || fail_stats "netns guest from a changed MAC: spoofed_source_mac stayed at $mac3"
pass "netns guest's spoofed frames dropped and counted: spoofed_source_ip $ip2 -> $ip3, spoofed_source_mac $mac2 -> $mac3"
guest_ping "$GUESTNS" 10.0.0.1 3

# 5. a long download in the netns guest across VM A's power-off and new boot
LONG_OUT=$TMP/long.out
: >"$LONG_OUT"
ip netns exec "$GUESTNS" curl -sS -f -m 200 --limit-rate "$LONG_RATE" -o "$LONG_OUT" \
	"http://10.0.0.1:$PORT/long" 2>"$LOG_DIR/long-curl.log" &
LONG_PID=$!
track_pid "$LONG_PID"
t_long=$SECONDS
long_bytes() { stat -c %s "$LONG_OUT"; }
_long_started() { [ "$(long_bytes)" -gt 0 ]; }
wait_until 10 _long_started || fail "the long download does not start"
info "long download: $LONG_MIB MiB at $LONG_RATE/s, started"

touch "$TMP/www/go-a"
wait_result vma1 "$QA" "VM A, boot 1 (its isolation checks after the go-ahead)"
wait_exit "$QA" 20 || fail "VM A's QEMU did not exit after its poweroff"
wait_until 10 _vsock_left "$A_SOCK" 1 || fail "broth did not see VM A leave"
b1=$(long_bytes)
proc_alive "$LONG_PID" || fail "the long download ended before VM A's reboot ($b1 bytes; $(cat "$LOG_DIR/long-curl.log"))"
pass "VM A powered off; the netns guest's download goes on ($((b1 >> 20)) MiB so far)"

start_vm QA "$A_SOCK" "$A_MAC" vma2 "$NOREACH_A"
wait_result vma2 "$QA" "VM A, boot 2 (a new QEMU on the same socket)"
b2=$(long_bytes)
proc_alive "$LONG_PID" ||
	fail "the long download ended before VM A's second boot passed ($b2 bytes; raise LONG_MIB or lower LONG_RATE; $(cat "$LOG_DIR/long-curl.log"))"
[ "$b2" -gt "$b1" ] || fail "the long download did not progress while VM A rebooted ($b1 -> $b2 bytes)"
pass "the long download went on while VM A rebooted: $((b1 >> 20)) -> $((b2 >> 20)) MiB"
wait_exit "$QA" 20 || fail "VM A's QEMU did not exit after its second poweroff"
assert_eq "VM A's connections seen by broth" 2 "$(vsock_log "$A_SOCK" connected)"
assert_eq "VM B's connections seen by broth" 1 "$(vsock_log "$B_SOCK" connected)"
assert_eq "VM B still answers through its forward" "broth-vm $B_IP" "$(fwd_id "$FWD_B")"

left=$(((LONG_MIB << 20) - $(long_bytes)))
wait_exit "$LONG_PID" $((left / (1 << 20) + 30)) || fail "the long download hangs ($(long_bytes) bytes)"
[ "$EXIT_RC" -eq 0 ] || fail "the long download failed (curl exit $EXIT_RC: $(cat "$LOG_DIR/long-curl.log"))"
assert_eq "sha256 of the netns guest's $LONG_MIB MiB download ($((SECONDS - t_long))s)" \
	"$LONG_SHA" "$(sha256sum <"$LONG_OUT" | cut -d' ' -f1)"
read -r ip4 mac4 < <(spoof_drops)
assert_eq "spoof drops (ip mac) since the netns guest's spoofing (honest guests only)" \
	"$ip3 $mac3" "$ip4 $mac4"

# 6. VM B off, broth down
qmp vmb quit || true
wait_exit "$QB" 10 || { kill -TERM "$QB" 2>/dev/null; wait_exit "$QB" 5 || true; }
wait_until 10 _vsock_left "$B_SOCK" 1 || fail "broth did not see VM B leave"
stop_broth TERM
[ ! -e "$A_SOCK" ] && [ ! -e "$B_SOCK" ] || fail "broth left a vhost-user socket behind"
pass "both sockets removed"
info "total $((SECONDS - T_START))s"
test_done
