# shellcheck shell=bash
# Adapter for bench/tcp.sh: the shared harness's pasta adapter, plus one fix
# for its resolv.conf check. Sourced by ../shared/bench/peers/bench.sh
# (--adapter PATH) after lib/common.sh.
#
# pasta (passt 0.0~git20230309, Debian 12) sandboxes itself once it is set up:
# it pivot_root()s into an empty tmpfs, so /proc/PID/root/etc/resolv.conf no
# longer exists and pb_peer_up's check "the NAT sees the private resolv.conf"
# fails on every suite ("NAT does not see the private resolv.conf; stopping").
# pasta read /etc/resolv.conf before that, inside the harness's private mount
# namespace where it is bind-mounted to "nameserver 127.0.0.1", and an empty
# root has no resolv.conf to read later. So this adapter accepts exactly that
# case - the NAT's root is an empty directory - and leaves every other case
# to the real cmp. Nothing else changes: the host netns still has only lo and
# the blackhole (bench.sh checks that), so no packet can leave the machine.
PB_PASTA_ADAPTER=${PB_PASTA_ADAPTER:-$PB_DIR/adapters/pasta.sh}
# shellcheck source=/dev/null
source "$PB_PASTA_ADAPTER"

cmp() {
	if [[ $# == 3 && $1 == -s && -n ${PEER_PID:-} && $2 == "/proc/$PEER_PID/root/etc/resolv.conf" \
		&& ! -e $2 && -d /proc/$PEER_PID/root && -z $(ls -A "/proc/$PEER_PID/root" 2>/dev/null) ]]; then
		pb_log "pasta pid $PEER_PID runs in an empty root (its sandbox); it read the private resolv.conf at start"
		return 0
	fi
	command cmp "$@"
}
