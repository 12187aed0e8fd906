#!/usr/bin/env bash
# tcp.sh - broth against slirp4netns and pasta on the shared peer harness
# (../shared/bench/peers): all suites broth supports - tcp, udp, rr (TCP and
# UDP), ping, crr, dns, hold, fwd (the name is historical: it began TCP-only).
#
#   sudo bench/tcp.sh                                  # smoke: 1 run, 5 s
#   sudo RUNS=3 DURATION=10 bench/tcp.sh               # full
#   sudo MTUS=1500 TESTS=tcp,rr,crr RUNS=1 DURATION=3 NAME=smoke bench/tcp.sh
#   sudo ENGINES=broth-w2 MTUS=1500 TESTS=tcp NAME=SAME bench/tcp.sh   # add a column
#
# Environment (defaults in brackets):
#   RUNS [1]  DURATION [5]    --runs / --duration of bench.sh
#   MTUS ["1500 65520"]       guest MTUs, one bench.sh call per MTU and engine
#   ENGINES ["broth slirp4netns pasta"]  also broth-wN: broth with --workers N
#                             (its own label broth-wN-mtuM, next to broth's)
#   TESTS [tcp,udp,rr,ping,crr,dns,hold,fwd]   suites at MTU 1500
#   TESTS_JUMBO [tcp,fwd]     suites at any MTU above 1500 (rr/crr/hold do not
#                             depend on the MTU)
#   DNS_DURATION [5]          --dns-duration of bench.sh (seconds per DNS run)
#   BROTH_DNS [127.0.0.1]     broth --dns: its forwarder on 10.0.0.1:53 asks the
#                             harness's dnsmasq on the host netns's 127.0.0.1
#   HOLD                      --hold checkpoints (bench.sh default 5000,10000,50000,
#                             capped below RLIMIT_NOFILE)
#   BROTH_WORKERS [1]         broth --workers; the harness pins every NAT to one
#                             core (--nat-cpu 1), so one worker is the fair setting
#   BUDGET_MIN [45]           do not start another bench.sh call after this many
#                             minutes of benchmarking (the report says what was skipped)
#   RUN_MAX_MIN [20]          hard cap (timeout) for one bench.sh call
#   OUT [/tmp/broth-bench-tcp/STAMP]   raw result dirs (big: pcap, tool output)
#   NAME [YYYY-MM-DD-nat]     report bench/results/NAME.md; results.jsonl, meta.json,
#                             errors.log and command.txt of every result dir are
#                             copied to bench/results/NAME/LABEL/
#   RESULTS [bench/results]   where NAME.md and NAME/ go
#   PASTA_ADAPTER             [bench/peer-adapters/pasta.sh] adapter for pasta
#   NO_DEPS=1, NO_BUILD=1     skip the package install / the build
#   NO_RETRY=1                do not repeat a bench.sh call that was killed
#                             (by default it is run once more)
#
# Only loopback and network namespaces that bench.sh creates are used; see
# ../shared/bench/peers/README.md "Layout and safety".
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd)
PEERS=${PEERS_DIR:-$(cd "$REPO/../shared/bench/peers" 2>/dev/null && pwd)}
BROTH=${BROTH:-$REPO/build/apps/broth/broth}
RUNS=${RUNS:-1}
DURATION=${DURATION:-5}
MTUS=${MTUS:-1500 65520}
ENGINES=${ENGINES:-broth slirp4netns pasta}
TESTS=${TESTS:-tcp,udp,rr,ping,crr,dns,hold,fwd}
DNS_DURATION=${DNS_DURATION:-5}
BROTH_DNS=${BROTH_DNS:-127.0.0.1}
TESTS_JUMBO=${TESTS_JUMBO:-tcp,fwd}
HOLD=${HOLD:-}
BROTH_WORKERS=${BROTH_WORKERS:-1}
BUDGET_MIN=${BUDGET_MIN:-45}
RUN_MAX_MIN=${RUN_MAX_MIN:-20}
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${OUT:-/tmp/broth-bench-tcp/$STAMP}
NAME=${NAME:-$(date +%F)-nat}
RESULTS=${RESULTS:-$REPO/bench/results}
PY=/usr/bin/python3
# pasta: the shared adapter plus a fix for its resolv.conf check (see the file)
PASTA_ADAPTER=${PASTA_ADAPTER:-$REPO/bench/peer-adapters/pasta.sh}

die() { echo "tcp.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (the harness uses ip netns)"
[ -n "$PEERS" ] && [ -x "$PEERS/bench.sh" ] || die "no peer harness at $REPO/../shared/bench/peers (set PEERS_DIR)"

# 1. What the harness needs (bench.sh checks: ip taskset unshare iperf3 sockperf
#    wrk curl dig dnsmasq tcpdump socat gcc python3) plus the two peers.
#    dnsmasq-base: the binary only, no system service that would grab port 53.
if [ -z "${NO_DEPS:-}" ]; then
	"$REPO/tools/deps.sh" iperf3 sockperf wrk curl bind9-dnsutils dnsmasq-base tcpdump socat gcc \
		python3 iproute2 util-linux slirp4netns passt || die "installing packages failed"
fi

# 2. broth
if [ -z "${NO_BUILD:-}" ]; then
	[ -f build/build.ninja ] || meson setup build >/dev/null || die "meson setup failed"
	# one retry: another ninja on the same build dir can make the first fail
	ninja -C build >/dev/null || { sleep 5; ninja -C build >/dev/null; } || die "build failed (ninja -C build)"
fi
[ -x "$BROTH" ] || die "no broth at $BROTH"

mkdir -p "$OUT" "$RESULTS/$NAME"
COMMIT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$REPO" status --porcelain -- engine apps include meson.build 2>/dev/null)" ] || COMMIT="$COMMIT+dirty"
# Benchmark a copy: a rebuild of build/ during the run must not change the
# binary between suites.
cp "$BROTH" "$OUT/broth" || die "cannot copy $BROTH"
BROTH=$OUT/broth
COMMIT="$COMMIT sha256:$(sha256sum "$BROTH" | cut -c1-12)"
echo "tcp.sh: raw results in $OUT, report $RESULTS/$NAME.md (broth $COMMIT)"

# cleanup_harness DIR: after a bench.sh that did not end by itself, stop the
# processes left in its namespaces (pbhPID/pbgPID, named in DIR/bench.log;
# all of them were started by that bench.sh) and delete the namespaces.
cleanup_harness() {
	local n ns p
	n=$(sed -n 's/.*host netns pbh\([0-9]*\) ready.*/\1/p' "$1/bench.log" 2>/dev/null | head -n 1)
	[ -n "$n" ] || return 0
	for ns in "pbg$n" "pbh$n"; do
		[ -e "/run/netns/$ns" ] || continue
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
		sleep 1
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null && echo "tcp.sh: deleted leftover netns $ns"
	done
}

# 3. One bench.sh call per MTU and engine.
START=$SECONDS
SKIPPED=()
for mtu in $MTUS; do
	tests=$TESTS
	[ "$mtu" -gt 1500 ] && tests=$TESTS_JUMBO
	for eng in $ENGINES; do
		label=$eng-mtu$mtu
		dir=$OUT/$label
		used=$(( (SECONDS - START) / 60 ))
		if [ "$used" -ge "$BUDGET_MIN" ]; then
			echo "tcp.sh: budget of $BUDGET_MIN min used up, skipping $label"
			SKIPPED+=("$label")
			continue
		fi
		envs=()
		args=(--mtu "$mtu" --runs "$RUNS" --duration "$DURATION" --dns-duration "$DNS_DURATION"
			--tests "$tests" --label "$label" --out "$dir")
		[ -n "$HOLD" ] && args+=(--hold "$HOLD")
		case $eng in
			broth|broth-w[0-9]*)
				# broth: the gateway 10.0.0.1 is host loopback, DNS forwarder
				# (to --dns BROTH_DNS) and ping target; broth-wN: N workers
				w=$BROTH_WORKERS
				[ "$eng" = broth ] || w=${eng#broth-w}
				envs=(ENGINE_NAME="$eng" ENGINE_CONFIGURE_GUEST=0 ENGINE_FWD=1 ENGINE_DNS_ADDR=10.0.0.1
					"ENGINE_VERSION_CMD=$BROTH --version; echo commit $COMMIT, workers $w"
					"ENGINE_CMD=$BROTH --netns {NETNS_PATH} --ifname {TAP} --mtu {MTU} --configure --workers $w --dns $BROTH_DNS -t 127.0.0.1:{FWD_HOST_PORT}:{FWD_GUEST_PORT}")
				args=(--adapter tap-engine "${args[@]}") ;;
			pasta) args=(--adapter "$PASTA_ADAPTER" "${args[@]}") ;;
			*) args=(--adapter "$eng" "${args[@]}") ;;
		esac
		cmd=(env "${envs[@]}" "$PEERS/bench.sh" "${args[@]}")
		printf -v cmdline ' %q' "${cmd[@]}"
		cmdline=${cmdline# }
		echo "tcp.sh: [$label] $cmdline"
		t0=$SECONDS
		load0=$(cut -d' ' -f1-3 /proc/loadavg)
		note=""
		for attempt in 1 2; do
			rm -rf "$dir"
			# --foreground: on the time cap only bench.sh gets SIGTERM, and its
			# trap stops what it started and deletes its namespaces.
			timeout --foreground -k 30 "$((RUN_MAX_MIN * 60))" "${cmd[@]}" >"$OUT/$label.log" 2>&1
			rc=$?
			[ -f "$dir/meta.json" ] && break
			# bench.sh did not finish (killed, interrupted): remove what it left.
			cleanup_harness "$dir"
			note="$note attempt $attempt: exit $rc without meta.json;"
			echo "tcp.sh: [$label] attempt $attempt ended with exit $rc before the end (see $OUT/$label.log)"
			[ "$attempt" -eq 1 ] && [ -n "${NO_RETRY:-}" ] && break
			cp "$OUT/$label.log" "$OUT/$label.attempt$attempt.log" 2>/dev/null
			[ -d "$dir" ] && { rm -rf "$dir.attempt$attempt"; mv "$dir" "$dir.attempt$attempt"; }
		done
		[ -d "$dir" ] || { [ -d "$dir.attempt2" ] && mv "$dir.attempt2" "$dir"; }
		echo "tcp.sh: [$label] exit $rc after $((SECONDS - t0)) s; $(wc -l <"$dir/errors.log" 2>/dev/null || echo '?') error line(s)"
		# Keep the small files in the repo so the tables can be recomputed.
		dst=$RESULTS/$NAME/$label
		rm -rf "$dst"
		mkdir -p "$dst"
		for f in results.jsonl meta.json errors.log; do
			[ -f "$dir/$f" ] && cp "$dir/$f" "$dst/"
		done
		printf '%s\n# exit %s, %s s,%s ended %s, loadavg before %s after %s\n' "$cmdline" "$rc" "$((SECONDS - t0))" "$note" \
			"$(date -Is)" "$load0" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$dst/command.txt"
		# broth's own log (ready line, errors, exit counters) for the bug hunt.
		if [ "${eng%%-w*}" = broth ] && [ -f "$dir/raw/peer.log" ]; then
			tail -c 100000 "$dir/raw/peer.log" >"$dst/broth.log"
		fi
	done
done
echo "tcp.sh: benchmarking took $(( (SECONDS - START) / 60 )) min"

# 4. Report over everything in bench/results/NAME/ (one dir per label).
self=""
[ $# -gt 0 ] && printf -v self ' %q' "$@"
# Every tcp.sh call that wrote into NAME/ (a later call can add a column,
# e.g. ENGINES=broth-w2) is listed in the report.
echo "RUNS=$RUNS DURATION=$DURATION DNS_DURATION=$DNS_DURATION MTUS='$MTUS' ENGINES='$ENGINES' TESTS=$TESTS TESTS_JUMBO=$TESTS_JUMBO${HOLD:+ HOLD=$HOLD} BROTH_WORKERS=$BROTH_WORKERS NAME=$NAME bench/tcp.sh$self" \
	>>"$RESULTS/$NAME/invocations.txt"
"$PY" "$REPO/bench/tcp_report.py" --name "$NAME" --commit "$COMMIT" \
	--skipped "${SKIPPED[*]:-}" --raw "$OUT" --peers "$PEERS" \
	"$RESULTS/$NAME" >"$RESULTS/$NAME.md" || die "report failed"
echo "tcp.sh: wrote $RESULTS/$NAME.md"
