#!/usr/bin/env bash
# build-guest.sh - build (once) the minimal test VM of broth's vhost-user
# tests: a Debian kernel and a busybox initramfs whose /init (tests/vm/init)
# checks DHCP, ping, DNS and an HTTP download through broth, prints one
# "BROTH-VM-RESULT ..." line on the serial console and powers off.
#
#   tests/vm/build-guest.sh [CACHE_DIR]     prints the image directory
#
# The image directory, CACHE_DIR/g-KEY (CACHE_DIR: $BROTH_VM_CACHE, else
# /var/cache/broth-vm), holds vmlinuz, initrd.gz and kernel (the package
# name). KEY is a hash of this script and tests/vm/init, so the image is
# built once per machine and version of those files, and branches with
# different versions do not rebuild each other's; images unused for 30 days
# are removed.
#
# The kernel (linux-image-amd64's current linux-image-*-amd64) and
# busybox-static are fetched as .deb files with "apt-get download" and
# unpacked here, not installed: installing a kernel would run the host's
# initramfs and boot loader hooks, and busybox-static conflicts with the
# busybox package that the other tests use. The guest needs virtio_pci and
# virtio_net, which are modules in Debian's kernel: they and their
# dependencies (from each module's depends= tag) go into the initramfs, and
# /init loads them in dependency order. The serial console, devtmpfs and the
# initramfs support are built in.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:-${BROTH_VM_CACHE:-/var/cache/broth-vm}}
MODULES=(virtio_pci virtio_net)

die() { echo "build-guest.sh: $*" >&2; exit 1; }

for c in apt-get apt-cache dpkg-deb cpio gzip sha256sum flock; do
	command -v "$c" >/dev/null || die "missing command $c (run tools/deps.sh)"
done
mkdir -p "$CACHE" || die "cannot create $CACHE"
KEY=$(cat "$HERE/init" "$0" | sha256sum | cut -c1-16)
OUT=$CACHE/g-$KEY

exec 9>"$CACHE/.lock"
flock -w 600 9 || die "cache $CACHE is locked by another build"
find "$CACHE" -maxdepth 1 -name 'g-*' ! -name "g-$KEY" -type d -mtime +30 \
	-exec rm -rf {} + 2>/dev/null || true
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] && [ -s "$OUT/kernel" ]; then
	touch "$OUT"
	echo "$OUT"
	exit 0
fi

WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# kernel_pkg: the linux-image-*-amd64 that linux-image-amd64 depends on
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1
}

# download PKG...: apt-get download into $WORK, refreshing the lists once
# when the packages are unknown or gone from the mirror
download() {
	(cd "$WORK" && apt-get download -q=2 "$@" >/dev/null 2>&1) && return 0
	apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
	(cd "$WORK" && apt-get download -q=2 "$@") || die "apt-get download $* failed"
}

KPKG=$(kernel_pkg)
if [ -z "$KPKG" ]; then
	apt-get update -qq >/dev/null 2>&1 || die "apt-get update failed"
	KPKG=$(kernel_pkg)
fi
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 to a kernel package"
echo "build-guest.sh: fetching $KPKG and busybox-static" >&2
download "$KPKG" busybox-static
mkdir -p "$WORK/kernel" "$WORK/busybox" "$WORK/root"
dpkg-deb -x "$WORK"/linux-image-*.deb "$WORK/kernel"
dpkg-deb -x "$WORK"/busybox-static_*.deb "$WORK/busybox"

KVER=$(ls "$WORK/kernel/lib/modules")
[ -n "$KVER" ] && [ -f "$WORK/kernel/boot/vmlinuz-$KVER" ] || die "no vmlinuz in $KPKG"

# the initramfs: static busybox, the modules, /init
R=$WORK/root
mkdir -p "$R/bin" "$R/modules" "$R/proc" "$R/sys" "$R/dev" "$R/tmp" "$R/etc"
cp "$WORK/busybox/bin/busybox" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
# mod_file NAME: the module's file in the package (uncompressed into $R)
mod_file() {
	local f
	f=$(find "$WORK/kernel/lib/modules/$KVER" -name "$1.ko*" | head -n 1)
	[ -n "$f" ] || die "module $1 not found in $KPKG"
	case $f in
	*.ko.xz) xz -dc "$f" >"$R/modules/$1.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$R/modules/$1.ko" ;;
	*.ko) cp "$f" "$R/modules/$1.ko" ;;
	*) die "unknown module file $f" ;;
	esac
}
# add_mod NAME: NAME after the modules its "depends=" names (bounded depth)
ORDER=()
add_mod() {
	local m=$1 depth=$2 deps d
	[ "$depth" -lt 16 ] || die "module dependencies of $m too deep"
	[[ " ${ORDER[*]} " == *" $m "* ]] && return 0
	[ -f "$R/modules/$m.ko" ] || mod_file "$m"
	deps=$(grep -a -o 'depends=[a-z0-9_,-]*' "$R/modules/$m.ko" | head -n 1 | cut -d= -f2)
	for d in ${deps//,/ }; do
		add_mod "${d//-/_}" $((depth + 1))
	done
	ORDER+=("$m")
}
for m in "${MODULES[@]}"; do
	add_mod "$m" 0
done
printf '%s\n' "${ORDER[@]}" >"$R/modules.order"
cp "$HERE/init" "$R/init"
chmod 755 "$R/init" "$R/bin/busybox"
echo "root:x:0:0:root:/:/bin/sh" >"$R/etc/passwd"
printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -6) >"$WORK/initrd.gz"

mkdir -p "$WORK/out"
cp "$WORK/kernel/boot/vmlinuz-$KVER" "$WORK/out/vmlinuz"
mv "$WORK/initrd.gz" "$WORK/out/initrd.gz"
echo "$KPKG" >"$WORK/out/kernel"	# written last: marks a complete image
rm -rf "$OUT"
mv "$WORK/out" "$OUT"
echo "build-guest.sh: built $OUT/vmlinuz ($KVER) and $OUT/initrd.gz" >&2
echo "$OUT"
