#!/usr/bin/env bash
# Rebuild the tiny Linux guest in images/ from Debian 12 packages, reproducibly.
#
#   images/linux-6.1-tiny.config  (committed fragment, merged over `make ARCH=i386 tinyconfig`)
#     -> images/bzImage                     Linux 6.1 i386, LZ4-compressed, boot protocol 2.15
#     -> images/vmlinux.pvh                 the same kernel as a stripped ELF with the PVH entry note
#     -> images/initramfs.cpio              busybox-static:i386 + /init, uncompressed newc
#     -> images/linux-6.1-tiny.config.full  the final .config, for reference
#     -> images/VERSIONS, images/SHA256SUMS
#
# Usage: bash images/build.sh
# Environment:
#   WORK=/tmp/wv-images   scratch folder (wiped and refilled; never inside the repository)
#   OUT=<repo>/images     where the results go
#   JOBS=2                make -j
#   SOURCE_DATE_EPOCH     timestamp for the kernel and the cpio (default: the date of the
#                         newest entry in linux-source-6.1's Debian changelog)
# Run as root: it installs what is missing with apt-get and makes the initramfs's /dev/console
# with mknod.  Takes 5 minutes with make -j2 on a 2-core machine (10 when the machine is busy).
# Two runs in different WORK folders give identical bytes.
set -euo pipefail
export LC_ALL=C TZ=UTC

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
WORK=${WORK:-/tmp/wv-images}
OUT=${OUT:-$here}
JOBS=${JOBS:-2}
fragment=$here/linux-6.1-tiny.config
PVH_MAX=$((6 * 1024 * 1024))

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'images/build.sh: error: %s\n' "$*" >&2; exit 1; }

mkdir -p "$WORK" "$OUT"
WORK=$(cd "$WORK" && pwd)
OUT=$(cd "$OUT" && pwd)
case "$WORK/" in "$repo"/*) die "WORK=$WORK is inside the repository; use a scratch folder" ;; esac
[ -f "$fragment" ] || die "missing $fragment"

# ---------------------------------------------------------------- packages
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else die "need root for: $*"; fi
}
installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

apt_updated=
apt_update() {
    # A partial failure (a mirror mid-sync) is only a warning: what matters is whether the
    # packages can then be installed or downloaded.
    if [ -z "$apt_updated" ]; then
        as_root apt-get update -q >&2 || log "warning: apt-get update reported errors"
        apt_updated=1
    fi
}

host_pkgs=(linux-source-6.1 make gcc libc6-dev binutils bc bison flex libelf-dev libssl-dev
           cpio lz4 xz-utils coreutils findutils)
missing=()
for p in "${host_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2
fi

if ! { dpkg --print-architecture; dpkg --print-foreign-architectures; } | grep -x i386 >/dev/null; then
    log "adding the i386 architecture to dpkg"
    as_root dpkg --add-architecture i386
    apt_updated=
    apt_update
fi

debdir=$WORK/deb
rm -rf "$debdir"
mkdir -p "$debdir"
log "downloading busybox-static:i386"
if ! (cd "$debdir" && apt-get download -q busybox-static:i386 >&2); then
    apt_updated=
    apt_update
    (cd "$debdir" && apt-get download -q busybox-static:i386 >&2) ||
        die "apt-get download busybox-static:i386 failed"
fi
bb_deb=$(ls "$debdir"/busybox-static_*_i386.deb)

# ---------------------------------------------------------------- versions
pkgver() { dpkg-query -W -f='${Version}' "$1"; }
linux_ver=$(pkgver linux-source-6.1)
bb_ver=$(dpkg-deb -f "$bb_deb" Version)
gcc_ver=$(gcc --version | sed -n 1p)
ld_ver=$(ld --version | sed -n 1p)

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    changelog=/usr/share/doc/linux-source-6.1/changelog.Debian.gz
    stamp=$(zcat "$changelog" | awk '/^ -- / && !d { sub(/^ -- .*>  /, ""); d = $0 } END { print d }')
    [ -n "$stamp" ] || die "no date in $changelog"
    SOURCE_DATE_EPOCH=$(date -d "$stamp" +%s)
fi
export SOURCE_DATE_EPOCH
export KBUILD_BUILD_TIMESTAMP
KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$SOURCE_DATE_EPOCH" '+%a %b %e %H:%M:%S UTC %Y')
export KBUILD_BUILD_USER=wasmvisor KBUILD_BUILD_HOST=wasmvisor KBUILD_BUILD_VERSION=1
export ARCH=i386
unset CROSS_COMPILE KCFLAGS KCPPFLAGS LOCALVERSION O KBUILD_OUTPUT 2>/dev/null || true

log "linux-source-6.1 $linux_ver, busybox-static:i386 $bb_ver, $gcc_ver"
log "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH ($KBUILD_BUILD_TIMESTAMP), WORK=$WORK"

# ---------------------------------------------------------------- kernel
src=$WORK/linux-source-6.1
rm -rf "$src"
log "unpacking /usr/src/linux-source-6.1.tar.xz"
tar -C "$WORK" -xJf /usr/src/linux-source-6.1.tar.xz
[ -f "$src/Makefile" ] || die "the tarball did not unpack to $src"

cd "$src"
log "configuring: tinyconfig + $(basename "$fragment")"
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$fragment" >&2
make -s olddefconfig >&2

# Every line of the fragment must have survived olddefconfig.
lost=()
while IFS= read -r line; do
    case "$line" in
        CONFIG_*=*)
            if ! grep -qxF -- "$line" .config; then
                sym=${line%%=*}
                got=$(grep -E "^$sym=" .config || echo "not set")
                lost+=("$line  (final: $got)")
            fi ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            if grep -qE "^$sym=" .config; then
                lost+=("$line  (final: $(grep -E "^$sym=" .config))")
            fi ;;
    esac
done < "$fragment"
if [ "${#lost[@]}" -gt 0 ]; then
    printf 'images/build.sh: these options of %s did not survive:\n' "$fragment" >&2
    printf '  %s\n' "${lost[@]}" >&2
    exit 1
fi

log "building bzImage (make -j$JOBS)"
make -j"$JOBS" bzImage >&2
kernelrelease=$(make -s kernelrelease)

# PVH: vmlinux stripped of symbols keeps its PT_LOAD segments and the PT_NOTE with the Xen notes.
objcopy --strip-all --remove-section=.comment vmlinux "$WORK/vmlinux.pvh"
pvh_note_ok() {
    # XEN_ELFNOTE_PHYS32_ENTRY is note type 18 (0x12) with owner "Xen"
    readelf -W -n "$1" | awk '$1 == "Xen" && /\(0x00000012\)|PHYS32_ENTRY/ { ok = 1 } END { exit !ok }'
}
pvh_note_ok vmlinux || die "vmlinux has no Xen PHYS32_ENTRY note (is CONFIG_PVH on?)"
pvh_size=$(stat -c %s "$WORK/vmlinux.pvh")
make_pvh=
if [ "$pvh_size" -le "$PVH_MAX" ] && pvh_note_ok "$WORK/vmlinux.pvh"; then
    make_pvh=1
else
    log "not producing vmlinux.pvh: $pvh_size bytes (limit $PVH_MAX) or note lost"
fi

# ---------------------------------------------------------------- initramfs
bbroot=$WORK/busybox-deb
rootfs=$WORK/rootfs
rm -rf "$bbroot" "$rootfs"
dpkg-deb -x "$bb_deb" "$bbroot"
bb=$bbroot/bin/busybox
[ -x "$bb" ] || die "no bin/busybox in $bb_deb"

log "making the initramfs"
mkdir -p "$rootfs"
cd "$rootfs"
mkdir -p bin sbin usr/bin usr/sbin etc dev proc sys tmp root run
install -m 0755 "$bb" bin/busybox
# The host (x86-64) runs the static i386 binary through its IA32 emulation.
applets=$("$bb" --list-full) || die "cannot run the i386 busybox to list its applets (IA32 emulation off?)"
n=0
while IFS= read -r a; do
    [ -n "$a" ] || continue
    case "$a" in /*|*..*) die "odd applet path: $a" ;; esac
    [ "$a" = bin/busybox ] && continue
    [ -e "$a" ] || [ -L "$a" ] && continue
    mkdir -p "$(dirname "$a")"
    ln -s /bin/busybox "$a"
    n=$((n + 1))
done <<< "$applets"
log "$n applet links"

cat > init <<'EOF'
#!/bin/sh
# wasmvisor tiny linux: PID 1.  Mounts the pseudo file systems, prints a banner, runs an
# interactive shell on the console (with job control) and powers off when it exits.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin HOME=/root TERM=vt100 PS1='\w # '
mount -t proc proc /proc
mount -t sysfs sysfs /sys
grep -q ' /dev devtmpfs ' /proc/mounts || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname wasmvisor
echo "wasmvisor tiny linux $(uname -r) $(uname -m)"
cd /root
setsid cttyhack /bin/sh
echo "wasmvisor: the shell exited; powering off"
poweroff -f
EOF
chmod 0755 init

printf 'root:x:0:0:root:/root:/bin/sh\n' > etc/passwd
printf 'root:x:0:\n' > etc/group
printf 'wasmvisor\n' > etc/hostname
chmod 0644 etc/passwd etc/group etc/hostname
[ "$(id -u)" -eq 0 ] || die "need root to mknod dev/console"
mknod -m 0600 dev/console c 5 1
chmod 0755 . bin sbin usr usr/bin usr/sbin etc dev proc sys run
chmod 1777 tmp
chmod 0700 root

find . -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
find . -mindepth 1 -printf '%P\n' | sort |
    cpio --quiet --reproducible -o -H newc -R 0:0 > "$WORK/initramfs.cpio"

# ---------------------------------------------------------------- results
log "writing the results to $OUT"
cd "$OUT"
install -m 0644 "$src/arch/x86/boot/bzImage" bzImage
install -m 0644 "$WORK/initramfs.cpio" initramfs.cpio
install -m 0644 "$src/.config" linux-6.1-tiny.config.full
artefacts=(bzImage initramfs.cpio linux-6.1-tiny.config.full)
if [ -n "$make_pvh" ]; then
    install -m 0644 "$WORK/vmlinux.pvh" vmlinux.pvh
    artefacts+=(vmlinux.pvh)
else
    rm -f vmlinux.pvh
fi
{
    echo "linux-source-6.1 $linux_ver (kernel release $kernelrelease)"
    echo "busybox-static:i386 $bb_ver"
    echo "gcc-12 $(pkgver gcc-12) ($gcc_ver)"
    echo "binutils $(pkgver binutils) ($ld_ver)"
    echo "lz4 $(pkgver lz4)"
    echo "cpio $(pkgver cpio)"
    echo "SOURCE_DATE_EPOCH $SOURCE_DATE_EPOCH ($KBUILD_BUILD_TIMESTAMP)"
} > VERSIONS
sha256sum "${artefacts[@]}" > SHA256SUMS

cat VERSIONS >&2
ls -l "${artefacts[@]}" >&2
cat SHA256SUMS >&2
log "done"
