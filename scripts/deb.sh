#!/usr/bin/env bash
# Builds the Debian package of tracer with dpkg-deb from the NativeAOT binary.
# Usage: scripts/deb.sh AOT_BINARY ARCH OUTDIR   (make deb)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$1 arch=$2 out=$3
version=$("$binary" --version | cut -d+ -f1)
root=$(mktemp -d)
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

make --no-print-directory install-files DESTDIR="$root" PREFIX=/usr UNITDIR=/lib/systemd/system AOT="$binary" >/dev/null
install -d "$root/DEBIAN"
echo /etc/default/tracer > "$root/DEBIAN/conffiles"
# the binary is self-contained (NativeAOT): it needs libbpf for the kernel side and the C library
cat > "$root/DEBIAN/control" <<CONTROL
Package: tracer
Version: $version
Architecture: $arch
Maintainer: Tracer <tracer@localhost>
Depends: libbpf1 (>= 1:1.1), libc6, zlib1g, libelf1
Section: admin
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Description: live kernel tracing of TCP send windows and slab growth, with verdicts
 CO-RE eBPF programs on the TCP ACK path and the slab allocator; zero-window stalls,
 snd_wl1 lag and ignored window updates, slab leaks with stacks and commands; exported as
 OpenTelemetry spans, metrics and logs (OTLP, Prometheus). tracer.service runs tracer run.
CONTROL
# the unit is installed, not enabled: the administrator starts it (systemctl enable --now tracer)
cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl stop tracer.service || true; fi
SCRIPT
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
if [ "$1" = purge ]; then rm -rf /var/lib/tracer; fi
SCRIPT
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"
deb="$out/tracer_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
