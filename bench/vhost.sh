#!/usr/bin/env bash
# vhost.sh - broth's vhost-user data path at packet rate: vhostgen is the VM
#
#   sudo bench/vhost.sh                      # RUNS=5 DURATION=5, ~25 min
#   sudo RUNS=1 DURATION=3 MODES=ping,udp CONFIGS=w1 NAME=smoke RESULTS=/tmp bench/vhost.sh
#
# In a "host" netns it creates (only lo), for each config, mode and run:
# broth --vhost-user SOCK --workers N --dns 127.0.0.1 (a fresh broth per
# run), the host-side sink of the mode (build/bench/vhostgen/vhostsink on
# 127.0.0.1), and build/bench/vhostgen/vhostgen, a virtio_user client of
# broth's socket in its own process (its own EAL), for WARMUP + DURATION
# seconds. Modes (vhostgen.c): null (unknown EtherType: the port's own
# cost), arp, ping (answered by broth), mcast, badsum, rst (dropped by
# broth's workers after parse / checksum / flow lookup), udp (to the sink's
# UDP socket), syn (TCP connection attempts, accepted by the sink, reset by
# the guest); and udprr: udp with the flows dealt round-robin over the
# queues (--no-steer), as a guest's per-CPU queues would, so that most
# frames are handed from one worker to another.
#
# The machine has 2 cores; configs place the work on them:
#   w1    --workers 1: broth on CPU 1, generator and sink on CPU 0
#   w2    --workers 2: worker 0 on CPU 0, worker 1 on CPU 1 (threads pinned),
#         generator and sink on CPU 0 too: CPU 0 is oversubscribed
#   w2x1  --workers 2, all of broth on CPU 1: two workers, one core (what the
#         second worker costs or gains without a core of its own)
#   floor no broth: build/bench/vhostgen/vhostfloor does the socket work of
#         udp and syn itself on CPU 1 (the kernel's ceiling for one worker)
# Between two snapshots DURATION s apart inside the generator's window
# (0.25 s after it starts measuring; it runs 1 s longer) the script reads broth's
# counters (SIGUSR1), the netns's /proc/net/snmp, the CPU time and run
# delay of every thread involved (schedstat) and /proc/stat (other
# sessions' load on this shared machine shows there). With PERF=1 (default, if perf exists) one more
# w1 run per mode is profiled (perf record -e cpu-clock) and not counted.
#
# The binaries are copied at the start (others may rebuild build/ meanwhile);
# meta.txt names the commit and broth's sha256.
#
# Output: bench/results/NAME.md (tables, commands) and bench/results/NAME/
# (runs.csv, one directory per run with logs and snapshots, perf reports),
# written by bench/vhost_report.py.
#
# Environment: RUNS [5], DURATION [5], WARMUP [1], MODES
# [null,arp,ping,mcast,badsum,rst,udp,udprr,syn], CONFIGS [w1,w2,w2x1,floor], FLOWS [256],
# PERF [1], QUIET_MAX [5] (seconds to wait for the machine to calm down
# before a run), QUIET_PCT [30] (% of one core counted as calm), NAME
# [DATE-vhost], RESULTS [bench/results], BUILD [build], NO_BUILD=1.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd)
BUILD=${BUILD:-$REPO/build}
BROTH=$BUILD/apps/broth/broth
GEN=$BUILD/bench/vhostgen/vhostgen
SINK=$BUILD/bench/vhostgen/vhostsink
FLOOR=$BUILD/bench/vhostgen/vhostfloor
RUNS=${RUNS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
MODES=${MODES:-null,arp,ping,mcast,badsum,rst,udp,udprr,syn}
CONFIGS=${CONFIGS:-w1,w2,w2x1,floor}
FLOWS=${FLOWS:-256}
PERF=${PERF:-1}
QUIET_MAX=${QUIET_MAX:-5}
QUIET_PCT=${QUIET_PCT:-30}
NAME=${NAME:-$(date +%Y-%m-%d)-vhost}
RESULTS=${RESULTS:-$REPO/bench/results}
WINDOW=$DURATION	# between the snapshots; the generator runs 1 s longer
UDP_PORT=9000
TCP_PORT=9001
HNS=bvh$$
WORK=$(mktemp -d /tmp/broth-vhost-bench.XXXXXX)
OUT=$RESULTS/$NAME
PIDS=()

die() { echo "vhost.sh: $*" >&2; exit 1; }

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$HNS" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

[ "$(id -u)" -eq 0 ] || die "run as root (network namespace)"
[ "$DURATION" -ge 1 ] 2>/dev/null || die "DURATION must be a whole number of seconds >= 1"
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs (the configs pin to CPU 0 and 1)"
if [ -z "${NO_BUILD:-}" ]; then
	ninja -C "$BUILD" >/dev/null || die "build failed"
fi
for f in "$BROTH" "$GEN" "$SINK" "$FLOOR"; do
	[ -x "$f" ] || die "no $f (meson setup build && ninja -C build; vhostgen needs librte_net_virtio)"
done
# Benchmark copies taken now: others may rebuild build/ during the run
mkdir -p "$WORK/bin" && cp "$BROTH" "$GEN" "$SINK" "$FLOOR" "$WORK/bin/" ||
	die "cannot copy the binaries"
BROTH=$WORK/bin/broth GEN=$WORK/bin/vhostgen SINK=$WORK/bin/vhostsink FLOOR=$WORK/bin/vhostfloor
command -v taskset >/dev/null || die "taskset missing (util-linux)"
command -v python3 >/dev/null || die "python3 missing"
if [ "$PERF" = 1 ] && ! perf record -q -e cpu-clock -o /dev/null -- true 2>/dev/null; then
	echo "vhost.sh: perf unusable here, no profiles" >&2
	PERF=0
fi
mkdir -p "$OUT" || die "cannot create $OUT"
ip netns add "$HNS" || die "ip netns add"
ip -n "$HNS" link set lo up

# busy_pct: CPU use of the whole machine over 1 s, in % of one core
busy_pct() {
	local a b
	a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
	sleep 1
	b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat)
	echo "$a $b" | awk -v n="$(nproc)" '{d=$4-$2; print (d>0 ? int(100*n*($3-$1)/d) : 0)}'
}

# wait_quiet FILE: wait (up to QUIET_MAX s) until other sessions' tests
# leave the machine calm; record what was seen
wait_quiet() {
	local b t=0
	while :; do
		b=$(busy_pct)
		[ "$b" -le "$QUIET_PCT" ] && break
		t=$((t + 1))
		[ "$t" -ge "$QUIET_MAX" ] && break
	done
	echo "busy_before_pct=$b waited_s=$t" >"$1"
}

# wait_for FILE PATTERN TENTHS: true once PATTERN is in FILE
wait_for() {
	local i
	for ((i = 0; i < $3; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stop PID TENTHS: give a self-bounded process time to end, then end it
stop() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# tasks PID...: "PROCESS THREAD RUN_NS WAIT_NS SLICES" per thread, from
# schedstat: exact CPU time, and time spent runnable but waiting for a CPU
tasks() {
	local p t name
	for p in "$@"; do
		name=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		for t in /proc/"$p"/task/*; do
			echo "$name $(cat "$t/comm") $(cat "$t/schedstat")"
		done
	done 2>/dev/null
}

# snap DIR BROTH_PID PIDS...: counters and CPU times at one instant
snap() {
	local d=$1 bp=$2 n
	shift 2
	mkdir -p "$d"
	date +%s.%N >"$d/t"
	cat /proc/stat >"$d/stat"
	tasks ${bp:+"$bp"} "$@" >"$d/tasks"
	ip netns exec "$HNS" cat /proc/net/snmp >"$d/snmp"
	[ -n "$bp" ] || return 0
	n=$(wc -l <"$RUN/broth.log")
	kill -USR1 "$bp"
	for _ in $(seq 50); do
		tail -n +"$((n + 1))" "$RUN/broth.log" | grep -q "^stats: port" && break
		sleep 0.02
	done
	tail -n +"$((n + 1))" "$RUN/broth.log" | grep "^stats:" >"$d/broth"
}

# start_broth CONFIG: a fresh broth for one run, placed as CONFIG says; sets BP
start_broth() {
	local cpus=1 workers=1 t
	case $1 in
	w2) cpus=0,1 workers=2 ;;
	w2x1) workers=2 ;;
	esac
	rm -f "$WORK/sock"
	echo "ip netns exec $HNS taskset -c $cpus $BROTH --vhost-user $WORK/sock --workers $workers --dns 127.0.0.1" >>"$RUN/command.txt"
	ip netns exec "$HNS" taskset -c "$cpus" "$BROTH" --vhost-user "$WORK/sock" \
		--workers "$workers" --dns 127.0.0.1 >"$RUN/broth.log" 2>&1 &
	BP=$!
	PIDS+=("$BP")
	wait_for "$RUN/broth.log" "ready" 100 || {
		echo "broth not ready: $(cat "$RUN/broth.log")" >&2
		return 1
	}
	if [ "$1" = w2 ]; then	# one worker per CPU; the generator shares CPU 0
		for t in /proc/"$BP"/task/*; do
			case $(cat "$t/comm") in
			broth-w0) taskset -pc 0 "${t##*/}" >/dev/null ;;
			broth-w1) taskset -pc 1 "${t##*/}" >/dev/null ;;
			esac
		done
		echo "taskset -pc 0 <tid of broth-w0>; taskset -pc 1 <tid of broth-w1>" >>"$RUN/command.txt"
	fi
}

# start_sink MODE SECONDS: the mode's host-side counter on CPU 0; sets SP
start_sink() {
	local kind=udp port=$UDP_PORT
	SP=
	case $1 in
	udp) ;;
	syn) kind=tcp port=$TCP_PORT ;;
	*) return 0 ;;
	esac
	echo "ip netns exec $HNS taskset -c 0 $SINK $kind 127.0.0.1 $port $2" >>"$RUN/command.txt"
	ip netns exec "$HNS" taskset -c 0 "$SINK" "$kind" 127.0.0.1 "$port" "$2" \
		>"$RUN/sink.log" 2>&1 &
	SP=$!
	PIDS+=("$SP")
	wait_for "$RUN/sink.log" "ready" 50
}

# run_gen CONFIG MODE RUNDIR [perf]: one measured run of the generator
run_gen() {
	local cfg=$1 mode=$2 queues=1 port=$UDP_PORT gp
	RUN=$3
	mkdir -p "$RUN"
	wait_quiet "$RUN/quiet"
	[ "$cfg" = w1 ] || queues=2
	local gmode=$mode steer=()
	case $mode in syn | rst) port=$TCP_PORT ;; esac
	[ "$mode" = udprr ] && gmode=udp steer=(--no-steer)
	start_broth "$cfg" || return 1
	start_sink "$gmode" $((WARMUP + DURATION + 9))
	echo "taskset -c 0 $GEN --sock $WORK/sock --mode $gmode ${steer[*]} --queues $queues --seconds $((DURATION + 1)) --warmup $WARMUP --port $port --flows $FLOWS" >>"$RUN/command.txt"
	taskset -c 0 "$GEN" --sock "$WORK/sock" --mode "$gmode" "${steer[@]}" \
		--queues "$queues" --seconds $((DURATION + 1)) --warmup "$WARMUP" \
		--port "$port" --flows "$FLOWS" >"$RUN/gen.log" 2>"$RUN/gen.err" &
	gp=$!
	PIDS+=("$gp")
	if wait_for "$RUN/gen.log" "measure start" $((WARMUP * 10 + 100)); then
		sleep 0.25
		snap "$RUN/a" "$BP" "$gp" ${SP:+"$SP"}
		if [ "${4:-}" = perf ]; then
			perf record -q -e cpu-clock -F 999 -p "$BP" -o "$RUN/perf.data" \
				-- sleep "$WINDOW" >/dev/null 2>&1
		else
			sleep "$WINDOW"
		fi
		snap "$RUN/b" "$BP" "$gp" ${SP:+"$SP"}
	else
		echo "vhost.sh: $cfg $mode: generator did not start: $(cat "$RUN/gen.err")" >&2
	fi
	stop "$gp" $((DURATION * 10 + 100))
	[ -n "$SP" ] && stop "$SP" 100
	kill -TERM "$BP" 2>/dev/null
	stop "$BP" 50
	if [ -f "$RUN/perf.data" ]; then
		perf report -i "$RUN/perf.data" --no-children --sort comm,dso,symbol \
			--stdio 2>/dev/null | grep -v '^#' | grep '%' | head -60 >"$RUN/perf.txt"
		perf report -i "$RUN/perf.data" --no-children --sort dso \
			--stdio 2>/dev/null | grep -v '^#' | grep '%' >"$RUN/perf-dso.txt"
		rm -f "$RUN/perf.data"
	fi
}

# run_floor MODE RUNDIR: vhostfloor on CPU 1 (where w1's worker runs)
run_floor() {
	local mode=$1 kind=udp port=$UDP_PORT fp
	RUN=$2
	mkdir -p "$RUN"
	wait_quiet "$RUN/quiet"
	[ "$mode" = syn ] && kind=tcp port=$TCP_PORT
	start_sink "$mode" $((DURATION + 5))
	echo "ip netns exec $HNS taskset -c 1 $FLOOR $kind 127.0.0.1 $port $((DURATION + 1))" >>"$RUN/command.txt"
	ip netns exec "$HNS" taskset -c 1 "$FLOOR" "$kind" 127.0.0.1 "$port" \
		$((DURATION + 1)) >"$RUN/floor.log" 2>&1 &
	fp=$!
	PIDS+=("$fp")
	sleep 0.25
	snap "$RUN/a" "" "$fp" "$SP"
	sleep "$WINDOW"
	snap "$RUN/b" "" "$fp" "$SP"
	stop "$fp" 100
	stop "$SP" 100
}

{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- engine apps include 2>/dev/null || echo +dirty)"
	echo "broth_sha256: $(sha256sum "$BROTH" | cut -d' ' -f1)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) x $(nproc)"
	echo "invocation: RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP MODES=$MODES CONFIGS=$CONFIGS FLOWS=$FLOWS PERF=$PERF NAME=$NAME bench/vhost.sh"
} >>"$OUT/meta.txt"
# a later call with the same NAME adds its runs: the report covers them all
echo "RUNS=$RUNS DURATION=$DURATION WARMUP=$WARMUP MODES=$MODES CONFIGS=$CONFIGS FLOWS=$FLOWS PERF=$PERF NAME=$NAME bench/vhost.sh" >>"$OUT/invocations.txt"

IFS=, read -ra modes <<<"$MODES"
IFS=, read -ra configs <<<"$CONFIGS"
for run in $(seq "$RUNS"); do
	for cfg in "${configs[@]}"; do
		for mode in "${modes[@]}"; do
			if [ "$cfg" = floor ]; then
				case $mode in udp | syn) ;; *) continue ;; esac	# socket work only
				echo "run $run: floor $mode" >&2
				run_floor "$mode" "$OUT/runs/floor-$mode-r$run"
			elif [ "$cfg" = w1 ] && [ "$mode" = udprr ]; then
				continue	# one queue: the same as udp
			else
				echo "run $run: $cfg $mode" >&2
				run_gen "$cfg" "$mode" "$OUT/runs/$cfg-$mode-r$run"
			fi
		done
	done
done
if [ "$PERF" = 1 ]; then
	for mode in "${modes[@]}"; do
		[ "$mode" = udprr ] && continue
		echo "profile: w1 $mode" >&2
		run_gen w1 "$mode" "$OUT/profile/w1-$mode" perf
	done
fi
python3 "$REPO/bench/vhost_report.py" "$OUT" "$RESULTS/$NAME.md" ||
	die "report failed"
echo "vhost.sh: wrote $RESULTS/$NAME.md" >&2
