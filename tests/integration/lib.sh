# shellcheck shell=bash
# lib.sh - helpers for broth integration tests (source it, do not run it)
#
# Each test gets its own network namespaces: a "host" netns (only lo, up)
# where broth runs, and a "guest" netns where broth creates the tap. Every
# name carries the test's PID, so tests can run side by side, and the EXIT
# trap removes only what this test created and kills only what it started.
#
# Environment:
#   BROTH           broth binary (default: $REPO/build/apps/broth/broth)
#   BROTH_WORKERS   when set, "--workers N" is added to every broth start
#   BROTH_TEST_LOGS log directory (default: $REPO/tests/integration/logs)
#   BROTH_READY_TIMEOUT seconds to wait for "ready" (default 15)

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BROTH=${BROTH:-$REPO/build/apps/broth/broth}
TEST_NAME=${BROTH_TEST_NAME:-$(basename "$0" .sh)}	# a wrapper may name its variant
BROTH_READY_TIMEOUT=${BROTH_READY_TIMEOUT:-15}
LOG_DIR=${BROTH_TEST_LOGS:-$REPO/tests/integration/logs}/$TEST_NAME-w${BROTH_WORKERS:-default}
TMP=$(mktemp -d "/tmp/broth-$TEST_NAME.XXXXXX")

_NETNS=()	# namespaces this test created
_PIDS=()	# processes this test started
_NS_SEQ=0

# Last started broth (start_broth sets these; copy them to keep several)
BROTH_PID=
BROTH_LOG=
BROTH_GUESTNS=
BROTH_IFNAME=

mkdir -p "$LOG_DIR"
rm -f "$LOG_DIR"/*.log "$LOG_DIR"/*.out 2>/dev/null || true

# --- messages ------------------------------------------------------------

info() { printf '  ..   %s\n' "$*"; }

pass() { printf '  ok   %s\n' "$*"; }

# fail MSG: print MSG and the tail of the last broth log, exit 1 (cleanup runs)
fail() {
	printf '  FAIL %s: %s\n' "$TEST_NAME" "$*" >&2
	if [ -n "$BROTH_LOG" ] && [ -f "$BROTH_LOG" ]; then
		printf '  --- last lines of %s ---\n' "$BROTH_LOG" >&2
		tail -n 25 "$BROTH_LOG" | sed 's/^/  | /' >&2
	fi
	exit 1
}

# test_done: every check passed
test_done() { printf 'PASS %s (workers=%s)\n' "$TEST_NAME" "${BROTH_WORKERS:-default}"; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 = $3"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# assert_match WHAT REGEX ACTUAL
assert_match() {
	if [[ $3 =~ $2 ]]; then
		pass "$1 ~ /$2/ ($3)"
	else
		fail "$1: '$3' does not match /$2/"
	fi
}

# --- preconditions -------------------------------------------------------

require_root() {
	[ "$(id -u)" -eq 0 ] || fail "must run as root (network namespaces)"
}

require_broth() {
	[ -x "$BROTH" ] || fail "broth binary not found at $BROTH (build it: meson setup build && ninja -C build)"
}

# require_cmd CMD...: fail early, naming the missing tool
require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || fail "missing command '$c' (run tools/deps.sh)"
	done
}

# --- waiting -------------------------------------------------------------

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds;
# bounded by both an iteration count and the wall clock. 0 ok, 1 timeout.
wait_until() {
	local secs=$1; shift
	local max=$((secs * 10)) i=0
	local deadline=$((SECONDS + secs + 1))
	while [ "$i" -lt "$max" ] && [ "$SECONDS" -le "$deadline" ]; do
		if "$@"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
}

# proc_alive PID: running and not a zombie
proc_alive() {
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

proc_gone() { ! proc_alive "$1"; }

# track_pid PID: kill it at cleanup if still running
track_pid() { _PIDS+=("$1"); }

# --- namespaces ----------------------------------------------------------

# new_netns VAR KIND: create netns bt-KIND-$$-N with lo up, store its name in VAR
new_netns() {
	local var=$1 kind=$2 name
	_NS_SEQ=$((_NS_SEQ + 1))
	name="bt-$kind-$$-$_NS_SEQ"
	ip netns add "$name" || fail "ip netns add $name"
	_NETNS+=("$name")
	ip -n "$name" link set lo up || fail "lo up in $name"
	printf -v "$var" '%s' "$name"
}

# new_pair: set HOSTNS and GUESTNS to two fresh namespaces
new_pair() {
	new_netns HOSTNS h
	new_netns GUESTNS g
}

# in_ns NS CMD...: run CMD inside NS
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# gexec CMD...: run CMD inside the current guest netns (a function: do not
# background it when you need the PID; use ip netns exec directly)
gexec() { ip netns exec "$GUESTNS" "$@"; }

# ns_links NS: names of the links in NS, one per line (without @peer)
ns_links() {
	ip -n "$1" -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

link_exists() { ip -n "$1" link show "$2" >/dev/null 2>&1; }
link_absent() { ! link_exists "$1" "$2"; }

# assert_only_lo NS: NS holds no interface but lo (no leftover tap)
assert_only_lo() {
	local links
	links=$(ns_links "$1" | tr '\n' ' ')
	[ "$links" = "lo " ] || fail "netns $1 should hold only lo, has: $links"
}

# guest_addrs NS IF: IPv4 addresses/prefix on IF, space separated
guest_addrs() {
	ip -n "$1" -4 -o addr show dev "$2" | awk '{ printf "%s%s", s, $4; s = " " }'
}

# link_mtu NS IF
link_mtu() {
	ip -n "$1" -o link show "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}

# --- broth ---------------------------------------------------------------

_log_seq=0

# start_broth ARGS...: start broth in HOSTNS for GUESTNS with ARGS, wait for
# "ready" on its stderr. Sets BROTH_PID, BROTH_LOG, BROTH_GUESTNS, BROTH_IFNAME.
# The guest interface name is taken from --ifname in ARGS (default eth0).
# NETNS_ARG, when set, is passed as --netns instead of GUESTNS (a PID or a
# path naming the same namespace); checks still look in GUESTNS.
start_broth() {
	local ifname=eth0 a prev='' workers=()
	for a in "$@"; do
		[ "$prev" = --ifname ] && ifname=$a
		prev=$a
	done
	[ -n "${BROTH_WORKERS:-}" ] && workers=(--workers "$BROTH_WORKERS")
	_log_seq=$((_log_seq + 1))
	BROTH_LOG=$LOG_DIR/broth-$_log_seq.log
	BROTH_GUESTNS=$GUESTNS
	BROTH_IFNAME=$ifname
	printf '# ip netns exec %s %s --netns %s %s %s\n' "$HOSTNS" "$BROTH" \
		"${NETNS_ARG:-$GUESTNS}" "${workers[*]}" "$*" >"$BROTH_LOG"
	ip netns exec "$HOSTNS" "$BROTH" --netns "${NETNS_ARG:-$GUESTNS}" "${workers[@]}" "$@" \
		>"$LOG_DIR/broth-$_log_seq.out" 2>>"$BROTH_LOG" </dev/null &
	BROTH_PID=$!
	track_pid "$BROTH_PID"
	local i=0 max=$((BROTH_READY_TIMEOUT * 10))
	local deadline=$((SECONDS + BROTH_READY_TIMEOUT + 1))
	while ! grep -q ready "$BROTH_LOG"; do
		proc_alive "$BROTH_PID" || fail "broth exited before ready"
		if [ "$i" -ge "$max" ] || [ "$SECONDS" -gt "$deadline" ]; then
			fail "broth not ready after ${BROTH_READY_TIMEOUT}s"
		fi
		sleep 0.1
		i=$((i + 1))
	done
	wait_until 5 link_exists "$GUESTNS" "$ifname" ||
		fail "broth said ready but $ifname is missing in $GUESTNS"
	pass "broth ready (pid $BROTH_PID, guest $GUESTNS/$ifname)"
}

# wait_exit PID SECONDS: wait (bounded) for our child PID; sets EXIT_RC.
# Returns 1 if it is still running after SECONDS.
wait_exit() {
	local pid=$1
	wait_until "$2" proc_gone "$pid" || return 1
	EXIT_RC=0
	wait "$pid" 2>/dev/null || EXIT_RC=$?
	return 0
}

# stop_broth [SIGNAL [PID GUESTNS IFNAME LOG]]: signal broth (default TERM),
# check it exits 0 within 10 s and the guest interface disappears.
stop_broth() {
	local sig=${1:-TERM} pid=${2:-$BROTH_PID} gns=${3:-$BROTH_GUESTNS}
	local ifn=${4:-$BROTH_IFNAME} log=${5:-$BROTH_LOG}
	BROTH_LOG=$log
	proc_alive "$pid" || fail "broth (pid $pid) died before stop"
	kill -s "$sig" "$pid"
	wait_exit "$pid" 10 || fail "broth (pid $pid) still running 10s after SIG$sig"
	[ "$EXIT_RC" -eq 0 ] || fail "broth exit status $EXIT_RC after SIG$sig (want 0)"
	pass "broth exited 0 on SIG$sig"
	wait_until 3 link_absent "$gns" "$ifn" ||
		fail "$ifn still present in $gns after broth exited"
	pass "$ifn gone from guest netns"
}

# log_count PATTERN [LOG]: lines of the broth log matching PATTERN (ERE)
log_count() { grep -cE -- "$1" "${2:-$BROTH_LOG}" || true; }

# --- guest-side helpers --------------------------------------------------

# kv FILE KEY: value of KEY=value in FILE (first match)
kv() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# guest_ping NS ADDR COUNT: ping from NS, output in $TMP/ping-NS.out;
# fails the test unless every echo was answered
guest_ping() {
	local ns=$1 addr=$2 count=$3 out
	out=$TMP/ping-$ns-$addr.out
	if ! timeout $((count + 10)) ip netns exec "$ns" \
		ping -n -c "$count" -i 0.2 -W 2 "$addr" >"$out" 2>&1; then
		sed 's/^/  | /' "$out" >&2
		fail "ping $addr from $ns failed"
	fi
	grep -q ' 0% packet loss' "$out" || { cat "$out" >&2; fail "ping $addr: loss"; }
	pass "ping $addr from $ns: $count/$count answered"
}

# write_udhcpc_script PATH DIR: udhcpc -s script that configures the
# interface like busybox's default script and records each event's variables
# in DIR/<seq>-<event> (and the event name in DIR/events).
write_udhcpc_script() {
	sed "s|@DIR@|$2|" >"$1" <<'EOF'
#!/bin/sh
d='@DIR@'
mkdir -p "$d"
n=$(($(cat "$d/events" 2>/dev/null | wc -l) + 1))
{
	echo "event=$1"
	echo "interface=$interface"
	echo "ip=$ip"
	echo "subnet=$subnet"
	echo "mask=$mask"
	echo "router=$router"
	echo "dns=$dns"
	echo "mtu=$mtu"
	echo "domain=$domain"
	echo "search=$search"
	echo "lease=$lease"
	echo "serverid=$serverid"
	echo "broadcast=$broadcast"
} >"$d/$n-$1"
echo "$1" >>"$d/events"
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	;;
esac
exit 0
EOF
	chmod +x "$1"
}

# last_event DIR EVENT: path of the newest record of EVENT in DIR ("" if none)
last_event() {
	local f
	f=$(find "$1" -maxdepth 1 -name "*-$2" -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
	[ -n "$f" ] && printf '%s/%s\n' "$1" "$f"
	return 0
}

# udhcpc_once NS IFNAME DIR: run udhcpc -q in NS; records in DIR; fails on no lease
udhcpc_once() {
	local ns=$1 ifn=$2 dir=$3
	mkdir -p "$dir"
	write_udhcpc_script "$dir.sh" "$dir"
	if ! timeout 20 ip netns exec "$ns" udhcpc -i "$ifn" -f -q -n -t 5 -T 1 \
		-O mtu -O search -O domain -s "$dir.sh" >"$dir.log" 2>&1; then
		sed 's/^/  | /' "$dir.log" >&2
		fail "udhcpc in $ns got no lease"
	fi
	[ -n "$(last_event "$dir" bound)" ] || fail "udhcpc exited 0 but never ran 'bound'"
	pass "udhcpc in $ns: lease bound"
}

# snmp NS PROTO FIELD: a counter of /proc/net/snmp in NS, e.g. "Ip ReasmOKs",
# "Udp RcvbufErrors", "Icmp InDestUnreachs" (empty if there is no such field)
snmp() {
	ip netns exec "$1" awk -v p="$2:" -v f="$3" '$1 == p { if (!h) { for (i = 2; i <= NF; i++)
		if ($i == f) c = i; h = 1 } else if (c) print $c }' /proc/net/snmp
}

# --- IPv6: SLAAC in the guest ----------------------------------------------

# The default IPv6 plan of a vnet (--net6): the /64 PREFIX is written with its
# trailing "::", so the gateway is ${PREFIX}1 and the DHCPv6 address ${PREFIX}2
# shellcheck disable=SC2034	# for the tests
NET6_DEFAULT=fd00:b0:7d::
GW6_LL=fe80::1

# guest_addrs6 NS IF [SCOPE [FLAGS...]]: IPv6 addresses/prefix on IF in SCOPE
# (default global), space separated; FLAGS filter like "ip addr show"
# (tentative, -tentative, dadfailed, ...)
guest_addrs6() {
	local ns=$1 ifn=$2 scope=${3:-global}
	shift $(($# < 3 ? $# : 3))
	ip -n "$ns" -6 -o addr show dev "$ifn" scope "$scope" "$@" 2>/dev/null |
		awk '{ printf "%s%s", s, $4; s = " " }'
}

# guest_slaac_addr NS IF PREFIX: the guest's address in PREFIX/64 that passed
# DAD (neither tentative nor dadfailed), "" if none
guest_slaac_addr() {
	ip -n "$1" -6 -o addr show dev "$2" to "$3/64" scope global -tentative -dadfailed 2>/dev/null |
		awk 'NR == 1 { sub(/\/.*/, "", $4); print $4 }'
}

# _slaac_ready NS IF PREFIX: an address in PREFIX/64 past DAD, the link-local
# address past DAD, and the default route via fe80::1 on IF
_slaac_ready() {
	[ -n "$(guest_slaac_addr "$1" "$2" "$3")" ] &&
		[ -n "$(guest_addrs6 "$1" "$2" link -tentative -dadfailed)" ] &&
		ip -n "$1" -6 route show default 2>/dev/null | grep -q "via $GW6_LL dev $2 "
}

# wait_slaac NS IF PREFIX [SECONDS]: wait (default 10 s) until the guest has
# configured itself from broth's Router Advertisements (_slaac_ready); sets
# SLAAC_ADDR. The guest netns must accept RAs (accept_ra 1, not forwarding:
# the defaults of a new netns).
wait_slaac() {
	local ns=$1 ifn=$2 prefix=$3 secs=${4:-10}
	if ! wait_until "$secs" _slaac_ready "$ns" "$ifn" "$prefix"; then
		ip -n "$ns" -6 addr show dev "$ifn" | sed 's/^/  | /' >&2
		ip -n "$ns" -6 route show | sed 's/^/  | /' >&2
		fail_stats "no SLAAC address in $prefix/64 and default route via $GW6_LL on $ifn after ${secs}s"
	fi
	SLAAC_ADDR=$(guest_slaac_addr "$ns" "$ifn" "$prefix")
	pass "SLAAC: $SLAAC_ADDR on $ifn, default route via $GW6_LL"
}

# wait_ll NS IF [SECONDS]: wait (default 10 s) until IF's link-local address
# passed DAD (a DHCPv6 client needs it)
_ll_ready() { [ -n "$(guest_addrs6 "$1" "$2" link -tentative -dadfailed)" ]; }
wait_ll() {
	wait_until "${3:-10}" _ll_ready "$1" "$2" ||
		fail "no link-local address past DAD on $2 in $1 after ${3:-10}s"
}

# snmp6 NS FIELD: a counter of /proc/net/snmp6 in NS, e.g. Ip6ReasmOKs,
# Icmp6InDestUnreachs (empty if there is no such field)
snmp6() {
	ip netns exec "$1" awk -v f="$2" '$1 == f { print $2 }' /proc/net/snmp6
}

# --- a routed path beyond the host netns -----------------------------------

# Addresses of new_routed_path's chain
PATH_HOST=10.201.0.1	# HOSTNS end of the first link
PATH_ROUTER=10.201.0.2	# the router, as the host sees it
PATH_ROUTER2=10.202.0.1	# the router, as the far end sees it
PATH_FAR=10.202.0.2	# the far end

# new_routed_path MTU: beyond HOSTNS, a router netns and a far netns
#   HOSTNS 10.201.0.1/30 = 10.201.0.2 ROUTERNS 10.202.0.1/30 = 10.202.0.2 FARNS
# (veth pairs; the router-far link has MTU MTU), forwarding on in the router,
# routes both ways, ICMP error rate limits off in the router and the far end
# (traces draw errors in bursts). Sets ROUTERNS and FARNS; waits (bounded)
# until HOSTNS reaches the far end.
new_routed_path() {
	local mtu=$1 l ns
	new_netns ROUTERNS r
	new_netns FARNS f
	ip link add h0 netns "$HOSTNS" type veth peer name r0 netns "$ROUTERNS" || fail "veth host-router"
	ip link add r1 netns "$ROUTERNS" type veth peer name f0 netns "$FARNS" || fail "veth router-far"
	ip -n "$HOSTNS" addr add "$PATH_HOST/30" dev h0 || fail "address on h0"
	ip -n "$ROUTERNS" addr add "$PATH_ROUTER/30" dev r0 || fail "address on r0"
	ip -n "$ROUTERNS" addr add "$PATH_ROUTER2/30" dev r1 || fail "address on r1"
	ip -n "$FARNS" addr add "$PATH_FAR/30" dev f0 || fail "address on f0"
	ip -n "$ROUTERNS" link set r1 mtu "$mtu" || fail "mtu on r1"
	ip -n "$FARNS" link set f0 mtu "$mtu" || fail "mtu on f0"
	for l in "$HOSTNS h0" "$ROUTERNS r0" "$ROUTERNS r1" "$FARNS f0"; do
		ip -n "${l% *}" link set "${l#* }" up || fail "link ${l#* } up in ${l% *}"
	done
	ip -n "$HOSTNS" route add "${PATH_FAR%.*}.0/30" via "$PATH_ROUTER" || fail "route to the far net"
	ip -n "$FARNS" route add default via "$PATH_ROUTER2" || fail "far default route"
	ip netns exec "$ROUTERNS" sysctl -qw net.ipv4.ip_forward=1 || fail "forwarding in the router"
	for ns in "$ROUTERNS" "$FARNS"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 || fail "icmp_ratelimit in $ns"
	done
	wait_until 5 _far_answers || fail "$PATH_FAR does not answer from $HOSTNS"
}
_far_answers() { ip netns exec "$HOSTNS" ping -n -c 1 -W 1 "$PATH_FAR" >/dev/null 2>&1; }

# --- TCP: host-side servers, broth's fds and counters ----------------------

# python3 used for the test servers and clients (tools/deps.sh installs it)
PYTHON=${PYTHON:-python3}
export PYTHONDONTWRITEBYTECODE=1	# no __pycache__ in the source tree

# ns_listening NS PORT: something listens on TCP PORT in NS
ns_listening() {
	[ -n "$(ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null)" ]
}

# start_server NS PORT NAME CMD...: start CMD in NS in the background (output
# in $LOG_DIR/NAME.log), wait until TCP PORT listens there. Sets SERVER_PID.
start_server() {
	local ns=$1 port=$2 name=$3
	shift 3
	ip netns exec "$ns" "$@" >"$LOG_DIR/$name.log" 2>&1 </dev/null &
	SERVER_PID=$!
	track_pid "$SERVER_PID"
	wait_until 10 ns_listening "$ns" "$port" || {
		sed 's/^/  | /' "$LOG_DIR/$name.log" >&2
		fail "$name does not listen on port $port in $ns"
	}
}

# fd_count PID: open file descriptors of PID (0 if it is gone)
fd_count() { { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null || true; } | wc -l; }

# _stats_grew LOG N: LOG holds more than N counter dumps
_stats_grew() { [ "$(grep -c '^stats: port ' "$1" || true)" -gt "$2" ]; }

# broth_stats [PID [LOG]]: SIGUSR1 to broth, wait (bounded) for the whole dump
# (its last lines are the ports), print the new dump on stdout
broth_stats() {
	local pid=${1:-$BROTH_PID} log=${2:-$BROTH_LOG} before
	before=$(grep -c '^stats: port ' "$log" || true)
	kill -USR1 "$pid" || fail "cannot signal broth (pid $pid)"
	wait_until 5 _stats_grew "$log" "$before" || fail "no counters in $log 5s after SIGUSR1"
	sleep 0.05	# the dump is one fflush; let the last port line land
	awk '/^stats: worker 0: /{ buf = "" } /^stats: /{ buf = buf $0 "\n" } END { printf "%s", buf }' "$log"
}

# fail_stats MSG: like fail, with broth's counters dumped into its log first
# (fail shows the log's last lines)
fail_stats() {
	if [ -n "$BROTH_PID" ] && proc_alive "$BROTH_PID"; then
		local before
		before=$(grep -c '^stats: port ' "$BROTH_LOG" || true)
		kill -USR1 "$BROTH_PID" 2>/dev/null &&
			wait_until 3 _stats_grew "$BROTH_LOG" "$before" || true
	fi
	fail "$@"
}

# stat_tcp FIELD DUMP: "opened", "closed", "rto" or "fast_rexmit" of the
# workers total in DUMP (broth_stats output); 0 when no TCP line was printed
stat_tcp() {
	local v
	v=$(printf '%s\n' "$2" | sed -n "s/^stats: workers total:   tcp .*\\b$1 \\([0-9]*\\).*/\\1/p" | tail -n 1)
	printf '%s\n' "${v:-0}"
}

# stat_drop NAME DUMP: drop counter NAME of the workers total in DUMP (0 if absent)
stat_drop() {
	local v
	v=$(printf '%s\n' "$2" | sed -n "s/^stats: workers total:   drop $1 \\([0-9]*\\)$/\\1/p" | tail -n 1)
	printf '%s\n' "${v:-0}"
}

# stat_sp_drop NAME DUMP: drop counter NAME of the slow path in DUMP (0 if
# absent): NDP, DHCPv4/v6 and DNS frames end there
stat_sp_drop() {
	local v
	v=$(printf '%s\n' "$2" | sed -n "s/^stats: slowpath:   drop $1 \\([0-9]*\\)$/\\1/p" | tail -n 1)
	printf '%s\n' "${v:-0}"
}

# stat_udp FIELD DUMP: "opened", "to_guest" or "icmp_errors_relayed" of the
# workers total in DUMP (0 when no UDP line was printed)
stat_udp() {
	local v
	v=$(printf '%s\n' "$2" | sed -n "s/^stats: workers total:   udp .*\\b$1 \\([0-9]*\\).*/\\1/p" | tail -n 1)
	printf '%s\n' "${v:-0}"
}

# rss_kb PID: resident set of PID in KiB (0 if it is gone)
rss_kb() {
	local v
	v=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB$/\1/p' "/proc/$1/status" 2>/dev/null || true)
	printf '%s\n' "${v:-0}"
}

# cpu_ticks PID: user + system clock ticks of PID (fields 14 and 15 of
# /proc/PID/stat, counted after the command name, which may hold spaces);
# nothing if PID is gone
cpu_ticks() {
	{ sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null || true; } | awk '{ print $12 + $13 }'
}

# link_stat NS DEV DIR FIELD: a counter of DEV in NS, e.g. tx dropped
link_stat() {
	ip -n "$1" -s -j link show "$2" |
		"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"][sys.argv[1]][sys.argv[2]])' "$3" "$4"
}

# gw_mac NS: the gateway's MAC as NS's neighbour table has it (after a ping)
gw_mac() {
	ip netns exec "$1" ping -n -c 1 -W 2 10.0.0.1 >/dev/null 2>&1 || true
	ip -n "$1" neigh show 10.0.0.1 | awk '$4 == "lladdr" { print $5; exit }'
}

# --- cleanup -------------------------------------------------------------

_cleanup() {
	local rc=$? pid ns p
	set +e
	for pid in "${_PIDS[@]}"; do
		proc_alive "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${_PIDS[@]}"; do
		wait_until 5 proc_gone "$pid" >/dev/null 2>&1 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Whatever still runs inside our own namespaces was started by this
	# test (e.g. a dhclient that daemonized): end it before deleting them.
	for ns in "${_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$p" 2>/dev/null
		done
	done
	for ns in "${_NETNS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			wait_until 3 proc_gone "$p" >/dev/null 2>&1 || kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
