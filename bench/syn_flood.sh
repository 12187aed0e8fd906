#!/usr/bin/env bash
# syn_flood.sh - a second flow's throughput under a SYN flood from the guest:
# tests/integration/flood_syn.sh over flood rates, worker counts, paced and
# unpaced data flows, and flood kinds, for one or two broth binaries.
#
#   sudo bench/syn_flood.sh                    # defaults below
#   sudo RATES='25000 100000' WORKERS='1 2' DATA_RATES='104857600 0' \
#        KINDS='listen refused' BASE=/tmp/old/broth NAME=2026-11-26-syn-flood \
#        bench/syn_flood.sh
#
# RATES       SYN/s of the flood (default "10000 50000 100000")
# WORKERS     broth --workers values (default "1 2")
# DATA_RATES  pace of the data flow in bytes/s, 0: unpaced (default
#             "104857600 0")
# KINDS       listen: 5 % of the SYNs to a listener that never accepts (they
#             fill the flow table), refused: every SYN to a closed port
#             (default "listen refused")
# LABEL       name of $BROTH in the table (default "new")
# BASE        another broth binary to run the same matrix with (e.g. an older
#             commit), labelled "base"
# RUNS        repetitions of each cell (default 1)
# NAME        write bench/results/NAME.md (table) and NAME/ (raw test output)
#
# Each cell prints one row: loaded/unloaded MiB/s and their ratio, CPU of
# broth and of the flood's sender, the guest's tap-queue drops, and broth's
# counters for the flood (sockets opened, over the flow rate, table full).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
RATES=${RATES:-10000 50000 100000}
WORKERS=${WORKERS:-1 2}
DATA_RATES=${DATA_RATES:-104857600 0}
KINDS=${KINDS:-listen refused}
RUNS=${RUNS:-1}
BROTH=${BROTH:-$REPO/build/apps/broth/broth}
NAME=${NAME:-}

[ "$(id -u)" -eq 0 ] || { echo "syn_flood.sh: run as root" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "syn_flood.sh: RUNS must be a positive integer" >&2; exit 1; }
RAW=$(mktemp -d /tmp/broth-synflood.XXXXXX)
trap 'rm -rf "$RAW"' EXIT

binaries=("${LABEL:-new}=$BROTH")
[ -n "${BASE:-}" ] && binaries+=("base=$BASE")

# after LOG PATTERN WORD: in the first line of LOG matching PATTERN, the
# token after WORD, without brackets and commas
after() {
	grep -m1 -E "$2" "$1" | awk -v w="$3" \
		'{ for (i = 1; i < NF; i++) if ($i == w) { v = $(i + 1); gsub(/[(),]/, "", v); print v; exit } }' || true
}

row() {
	local log=$1 label=$2 w=$3 kind=$4 pace=$5 rate=$6
	local ratio loaded unloaded cpu_b cpu_s drops opened over full
	ratio=$(after "$log" 'loaded/unloaded' 'throughput:')
	loaded=$(after "$log" 'loaded/unloaded' '%')
	unloaded=$(after "$log" 'loaded/unloaded' '/')
	cpu_b=$(after "$log" 'CPU during' 'broth')
	cpu_s=$(after "$log" 'CPU during' 'sender')
	drops=$(after "$log" 'tap queue dropped' 'dropped')
	opened=$(after "$log" '^  \.\.   flood:' 'flood:')
	over=$(after "$log" '^  \.\.   flood:' 'rate')
	full=$(after "$log" '^  \.\.   flood:' 'full')
	local p=paced
	[ "$pace" -eq 0 ] && p=unpaced
	printf '| %s | %s | %s | %s | %s | %s / %s | **%s %%** | %s | %s | %s | %s | %s | %s |\n' \
		"$label" "$w" "$kind" "$p" "$rate" "${loaded:-?}" "${unloaded:-?}" "${ratio:-?}" \
		"${cpu_b:-?}" "${cpu_s:-?}" "${drops:-?}" "${opened:-?}" "${over:-0}" "${full:-?}"
	grep -q '^PASS' "$log" || echo "<!-- $label w$w $kind $p $rate: test did not pass, see raw log -->"
}

out=$RAW/table.md
{
	echo "| broth | workers | flood | data flow | SYN/s | loaded / unloaded MiB/s | ratio | broth CPU % | sender CPU % | tap drops | sockets opened | over flow rate | table full |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$out"
cell=0
for b in "${binaries[@]}"; do
	label=${b%%=*} bin=${b#*=}
	for kind in $KINDS; do
		pct=5
		[ "$kind" = refused ] && pct=0
		for pace in $DATA_RATES; do
			for w in $WORKERS; do
				for rate in $RATES; do
					for ((r = 1; r <= RUNS; r++)); do
						cell=$((cell + 1))
						log=$RAW/$cell-$label-w$w-$kind-$pace-$rate-$r.log
						echo "# $label w$w $kind pace=$pace rate=$rate run $r" >&2
						BROTH=$bin BROTH_WORKERS=$w FLOOD_RATE=$rate FLOOD_LISTEN_PCT=$pct \
							FLOOD_DATA_RATE=$pace FLOOD_MIN_PCT=0 \
							timeout 300 "$REPO/tests/integration/flood_syn.sh" >"$log" 2>&1 || true
						row "$log" "$label" "$w" "$kind" "$pace" "$rate" | tee -a "$out"
					done
				done
			done
		done
	done
done
if [ -n "$NAME" ]; then
	mkdir -p "$HERE/results/$NAME"
	cp "$RAW"/*.log "$HERE/results/$NAME/"
	cp "$out" "$HERE/results/$NAME.table.md"
	echo "table: bench/results/$NAME.table.md, raw: bench/results/$NAME/" >&2
fi
