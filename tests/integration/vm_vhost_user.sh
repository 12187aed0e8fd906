#!/usr/bin/env bash
# vm_vhost_user.sh - a real VM on broth's vhost-user port: QEMU (TCG) boots a
# Debian kernel with a busybox initramfs (tests/vm/build-guest.sh, cached)
# whose /init brings up eth0 with DHCP, pings the gateway, resolves a name
# through the gateway's DNS, downloads a file from the host through the
# gateway several times, checks its sha256, and prints one
# "BROTH-VM-RESULT ok|fail ..." line on the serial console.
#   1. broth idles at ~0 % CPU with no VM attached;
#   2. boot 1 passes; the guest is reset (QMP system_reset, same QEMU and
#      connection: the device is torn down and set up again) and passes again;
#   3. boot 2, a new QEMU process on the same broth (reconnect), with one
#      queue pair per worker and as many vCPUs (multiqueue), passes;
#   4. broth idles while the VM is attached but quiet, and once it is gone;
#   5. QEMU with guest RAM that broth cannot see (no memory backend, and a
#      memfd with share=off) gets one clear error line from broth (in the
#      runs with more than one worker);
#   6. a second broth, started with only a control socket: a VM guest with
#      mtu=65520 is added with brothctl; the guest takes that MTU from DHCP,
#      60000-byte pings and an 8 MB download pass in frames above 1522 bytes
#      (chained mbufs both ways, not net_tap's size path); brothctl removes
#      the guest and its socket goes.
# Everything runs in a host netns made here: broth, dnsmasq (the DNS
# upstream, --no-resolv, answers only vm.test), the HTTP server on its
# loopback, and QEMU, which has no network but the vhost-user NIC.
#
# VM_BOOT_TIMEOUT (default 60) bounds each wait for a result line.
. "$(dirname "$0")/lib.sh"
require_root
require_broth
require_cmd qemu-system-x86_64 dnsmasq socat sha256sum ss ip "$PYTHON"

HERE=$(cd "$(dirname "$0")" && pwd)
BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-60}
PORT=8080
NAME=vm.test
ADDR=10.9.8.7
W=${BROTH_WORKERS:-2}
IDLE_MAX_PCT=3		# of one CPU, with no VM attached
[[ $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail "VM_BOOT_TIMEOUT must be a positive integer"

# the guest image (built once, then cached)
t0=$SECONDS
IMG=$("$REPO/tests/vm/build-guest.sh" 2>"$LOG_DIR/build-guest.log") || {
	sed 's/^/  | /' "$LOG_DIR/build-guest.log" >&2
	fail "cannot build the test VM (tests/vm/build-guest.sh)"
}
pass "guest image in $IMG ($(cat "$IMG/kernel" 2>/dev/null), $((SECONDS - t0))s)"

mkdir -p "$TMP/www"
head -c 1048576 /dev/urandom >"$TMP/www/blob"
SHA=$(sha256sum "$TMP/www/blob" | cut -d' ' -f1)
echo "$ADDR $NAME" >"$TMP/hosts"
SOCK=$TMP/vhost.sock

new_netns HOSTNS h
start_server "$HOSTNS" 53 dnsmasq dnsmasq --conf-file=/dev/null --no-daemon --no-resolv \
	--no-hosts --addn-hosts="$TMP/hosts" --port 53 --listen-address=127.0.0.1 \
	--bind-interfaces --pid-file="$TMP/dnsmasq.pid" --user=root --log-facility=- --local=/test/
start_server "$HOSTNS" "$PORT" httpd "$PYTHON" "$HERE/httpd.py" "$PORT" "$TMP/www"

# start_broth_vm ARGS...: broth in HOSTNS; waits for "ready" and, if ARGS
# name it, the vhost-user socket. Sets BROTH_PID and BROTH_LOG.
_log_n=0
start_broth_vm() {
	local workers=()
	[ -n "${BROTH_WORKERS:-}" ] && workers=(--workers "$BROTH_WORKERS")
	_log_n=$((_log_n + 1))
	BROTH_LOG=$LOG_DIR/broth-$_log_n.log
	printf '# ip netns exec %s %s %s %s\n' "$HOSTNS" "$BROTH" "${workers[*]}" "$*" >"$BROTH_LOG"
	ip netns exec "$HOSTNS" "$BROTH" "${workers[@]}" "$@" \
		>"$LOG_DIR/broth-$_log_n.out" 2>>"$BROTH_LOG" </dev/null &
	BROTH_PID=$!
	track_pid "$BROTH_PID"
	_ready() { proc_alive "$BROTH_PID" && grep -q ready "$BROTH_LOG" &&
		{ [[ " $* " != *" --vhost-user "* ]] || [ -S "$SOCK" ]; }; }
	wait_until "$BROTH_READY_TIMEOUT" _ready "$@" || fail "broth not ready (socket $SOCK)"
	pass "broth ready (pid $BROTH_PID): $(grep -m1 ready "$BROTH_LOG")"
}


# assert_idle WHAT: broth's CPU over 3 s stays under IDLE_MAX_PCT of a CPU
assert_idle() {
	local a b hz pct
	hz=$(getconf CLK_TCK)
	a=$(cpu_ticks "$BROTH_PID")
	sleep 3
	b=$(cpu_ticks "$BROTH_PID")
	pct=$(((b - a) * 100 / (3 * hz)))
	[ "$pct" -le "$IDLE_MAX_PCT" ] ||
		fail "$1: broth used ${pct}% of a CPU over 3 s (want <= ${IDLE_MAX_PCT}%)"
	pass "$1: broth used $((b - a)) ticks in 3 s (${pct}% of a CPU)"
}

QEMU_PID=
# start_vm NAME SMP QUEUES MEMORY APPEND_EXTRA: QEMU in HOSTNS, serial
# console in $LOG_DIR/NAME.serial, QMP on $TMP/NAME.qmp. MEMORY: shared,
# private or none. A guest told to stay (broth.stay=1) may be reset over QMP;
# any other exits on reboot. Sets QEMU_PID, SERIAL, QMP.
start_vm() {
	local name=$1 smp=$2 queues=$3 mem=$4 extra=$5 memargs=() mq='' reboot=(-no-reboot)
	local memfd=memory-backend-memfd,id=mem,size=256M
	SERIAL=$LOG_DIR/$name.serial
	QMP=$TMP/$name.qmp
	case $mem in
	shared) memargs=(-object "$memfd,share=on" -machine "pc,memory-backend=mem") ;;
	private) memargs=(-object "$memfd,share=off" -machine "pc,memory-backend=mem") ;;
	none) memargs=(-machine pc) ;;
	esac
	[ "$queues" -gt 1 ] && mq=",mq=on"
	[[ $extra == *broth.stay=1* ]] && reboot=()
	: >"$SERIAL"
	ip netns exec "$HOSTNS" qemu-system-x86_64 -nodefaults -display none -no-user-config \
		"${memargs[@]}" -m 256M -smp "$smp" "${reboot[@]}" \
		-serial "file:$SERIAL" -qmp "unix:$QMP,server=on,wait=off" \
		-chardev "socket,id=c,path=$SOCK" -netdev "vhost-user,id=n,chardev=c,queues=$queues" \
		-device "virtio-net-pci,netdev=n,vectors=0$mq" \
		-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 broth.sha256=$SHA broth.addr=$ADDR broth.name=$NAME broth.port=$PORT $extra" \
		>"$LOG_DIR/$name.qemu.log" 2>&1 </dev/null &
	QEMU_PID=$!
	track_pid "$QEMU_PID"
}

# qmp CMD: one QMP command to the running VM
qmp() {
	printf '{"execute":"qmp_capabilities"}\n{"execute":"%s"}\n' "$1" |
		timeout 10 socat -t 2 - "UNIX-CONNECT:$QMP" >>"$LOG_DIR/qmp.log" 2>&1
}

# result_lines: the VM's result lines so far
result_lines() { grep -a -c '^BROTH-VM-RESULT' "$SERIAL" || true; }

# wait_result N WHAT: wait (bounded) for the Nth result line; it must be ok
wait_result() {
	local n=$1 what=$2 t=$SECONDS line
	_nth() { [ "$(result_lines)" -ge "$n" ] || ! proc_alive "$QEMU_PID"; }
	wait_until "$BOOT_TIMEOUT" _nth
	line=$(grep -a '^BROTH-VM-RESULT' "$SERIAL" | sed -n "${n}p" | tr -d '\r')
	if [[ $line != "BROTH-VM-RESULT ok"* ]]; then
		grep -a 'broth-vm\|BROTH' "$SERIAL" | sed 's/^/  | vm: /' >&2
		sed 's/^/  | qemu: /' "$LOG_DIR/$(basename "$SERIAL" .serial).qemu.log" >&2
		fail_stats "$what: ${line:-no result line after ${BOOT_TIMEOUT}s}"
	fi
	grep -a 'broth-vm:' "$SERIAL" | tail -n 6 | tr -d '\r' | sed 's/^/  | /'
	pass "$what: $line ($((SECONDS - t))s)"
}

# stop_vm: end QEMU (quit over QMP, then TERM), bounded
stop_vm() {
	qmp quit || true
	wait_exit "$QEMU_PID" 10 || { kill -TERM "$QEMU_PID" 2>/dev/null; wait_exit "$QEMU_PID" 5 || true; }
}

start_broth_vm --vhost-user "$SOCK" --dns 127.0.0.1
assert_idle "no VM attached"

# boot 1, then a reset of the same VM: the guest's driver starts anew
start_vm boot1 1 1 shared "broth.count=4 broth.stay=1"
wait_result 1 "boot 1"
assert_idle "VM attached and quiet"
qmp system_reset || fail "QMP system_reset"
wait_result 2 "boot 1 after a guest reset"
stop_vm
_left() { [ "$(log_count 'guest disconnected')" -ge 2 ]; }
wait_until 10 _left || fail "broth did not see the VM leave"
assert_eq "connections seen by broth (boot, reset)" 2 "$(log_count 'guest connected')"

# boot 2: a new QEMU on the same broth, one queue pair per worker
start_vm boot2 "$W" "$W" shared "broth.count=4"
wait_result 1 "boot 2 (new QEMU, $W queue pair(s), $W vCPU(s))"
wait_exit "$QEMU_PID" 20 || fail "QEMU did not exit after poweroff"
assert_eq "connections seen by broth" 3 "$(log_count 'guest connected')"
assert_match "boot 2 queue pairs" "guest connected \\($W queue pair" "$(grep 'guest connected' "$BROTH_LOG" | tail -n 1)"
stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | grep -E '^stats: (workers total|port)' | tr '\n' ';')"
assert_eq "tcp connections opened (3 boots x 4 downloads)" 12 "$(stat_tcp opened "$stats")"
assert_eq "'memory is not shared' errors with shared memory" 0 "$(log_count 'memory is not shared')"
assert_idle "VM gone"

# guest memory broth cannot see: one clear error each (independent of the
# worker count: run with more than one worker only, to save two boots)
MEMS=(none private)
[ "$W" -eq 1 ] && MEMS=() && info "memory checks: in the run with more than one worker"
for mem in "${MEMS[@]}"; do
	before=$(log_count 'memory is not shared')
	t=$SECONDS
	start_vm "mem-$mem" 1 1 "$mem" ""
	_warned() { [ "$(log_count 'memory is not shared')" -gt "$before" ]; }
	wait_until "$BOOT_TIMEOUT" _warned || fail "no 'memory is not shared' error with guest memory '$mem'"
	pass "memory '$mem' ($((SECONDS - t))s): $(grep 'memory is not shared' "$BROTH_LOG" | tail -n 1 | cut -c1-150)..."
	stop_vm
	assert_eq "memory '$mem': error lines" $((before + 1)) "$(log_count 'memory is not shared')"
done
[ "$W" -gt 1 ] && grep -q 'Failed initializing vhost-user memory map' "$LOG_DIR/mem-none.qemu.log" &&
	info "QEMU itself also refuses RAM without a file: $(grep -m1 'memory map' "$LOG_DIR/mem-none.qemu.log")"

# stop_broth_vm: SIGTERM, exit 0 within 10 s, socket removed
stop_broth_vm() {
	kill -TERM "$BROTH_PID"
	wait_exit "$BROTH_PID" 10 || fail "broth still running 10s after SIGTERM"
	assert_eq "broth exit status" 0 "$EXIT_RC"
	[ ! -e "$SOCK" ] || fail "broth left its socket $SOCK behind"
	pass "broth exited 0 and removed $SOCK"
}
stop_broth_vm

# the largest MTU (frames far above one mbuf and net_tap's 1522 bytes), on
# a VM guest added and removed at runtime
head -c 8000000 /dev/urandom >"$TMP/www/big"
SHA=$(sha256sum "$TMP/www/big" | cut -d' ' -f1)
CTL=${BROTHCTL:-$REPO/build/apps/brothctl/brothctl}
CTLSOCK=$TMP/control.sock
[ -x "$CTL" ] || fail "no brothctl at $CTL"
ctl() { ip netns exec "$HOSTNS" "$CTL" -s "$CTLSOCK" "$@"; }
start_broth_vm --dns 127.0.0.1 --control "$CTLSOCK"
ctl add "name=vm2,vhost-user=$SOCK,mtu=65520" >"$TMP/add.out" 2>&1 ||
	fail "brothctl add vm2: $(cat "$TMP/add.out")"
[ -S "$SOCK" ] || fail "no vhost-user socket after brothctl add"
pass "brothctl added VM guest vm2 on $SOCK"
start_vm mtu 1 1 shared "broth.file=big broth.mtu=65520 broth.ping=60000"
wait_result 1 "MTU 65520: 60000-byte pings, 8 MB download"
wait_exit "$QEMU_PID" 20 || fail "QEMU did not exit after poweroff"
stats=$(broth_stats)
info "$(printf '%s\n' "$stats" | grep -E '^stats: port' | tr '\n' ';')"
ctl remove vm2 >/dev/null 2>&1 || fail "brothctl remove vm2"
[ ! -e "$SOCK" ] || fail "socket $SOCK still there after brothctl remove"
pass "brothctl removed vm2 and its socket"
stop_broth_vm
test_done
