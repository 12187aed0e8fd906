#!/usr/bin/env bash
# deps.sh - install (quietly, only if missing) what broth's build and tests need.
#
#   tools/deps.sh [EXTRA_PACKAGE...]
#
# Debian/Ubuntu only. Idempotent: apt-get runs only when a package is missing.
set -euo pipefail

PACKAGES=(
	# build
	meson ninja-build pkg-config gcc
	dpdk-dev libdpdk-dev libjemalloc-dev libmnl-dev libjansson-dev
	# unit tests
	libcriterion-dev
	# integration tests, demo and bench
	busybox nftables udhcpc isc-dhcp-client ndisc6 iputils-ping iputils-arping iproute2 procps
	coreutils util-linux
	# TCP integration tests: clients, servers, checksums (sha256sum: coreutils)
	curl iperf3 python3
	# UDP, DNS and ICMP integration tests: dig, a test-only DNS upstream (the
	# executable, not the dnsmasq service), traces
	bind9-dnsutils dnsmasq-base socat traceroute iputils-tracepath
	# VM tests (tests/vm, tests/integration/vm_*.sh): QEMU under TCG and the
	# initramfs tools. The guest's kernel (linux-image-amd64) and busybox-static
	# are not installed: tests/vm/build-guest.sh fetches them with
	# "apt-get download" and unpacks them into its cache, since installing a
	# kernel runs the host's initramfs and boot loader hooks and busybox-static
	# conflicts with busybox above.
	qemu-system-x86 cpio gzip
	# script lint (tools/test)
	shellcheck
)
PACKAGES+=("$@")

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]} (run as root: sudo tools/deps.sh)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
	>"$log" 2>&1; then
	cat "$log" >&2
	echo "deps.sh: apt-get failed" >&2
	exit 1
fi
echo "deps.sh: done"
