#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install this build into a scratch DESTDIR, check what an embedder gets
# (archive, shared library with its soname, headers with version.h,
# libpgtable.pc), then build examples/consumer from its plain Makefile with
# nothing but pkg-config and the compiler, and link (and natively run) it.
#
#   check_install.sh BUILD SOURCE native|cross DEFAULT_LIBRARY CC... -- LDFLAGS...
set -euo pipefail
build=$1 src=$2 mode=$3 default_library=$4
shift 4
cc=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do cc+=("$1"); shift; done
[ $# -gt 0 ] && shift
ldflags=("$@")

fail() { echo "check_install: $*" >&2; exit 1; }

dest=$build/embed-install
rm -rf "$dest"
meson install -C "$build" --no-rebuild --destdir "$dest" --quiet >/dev/null

pc=$(find "$dest" -name libpgtable.pc)
[ -n "$pc" ] || fail "no libpgtable.pc installed"
libdir=$(dirname "$(dirname "$pc")")
inc=$(find "$dest" -path '*/include/pgtable' -type d)
for f in "$inc/pgtable.h" "$inc/version.h" "$libdir/libpgtable.a"; do
    [ -f "$f" ] || fail "$f not installed"
done
grep -q '^#define PGT_VERSION_MAJOR [0-9]' "$inc/version.h" || fail "version.h has no PGT_VERSION_MAJOR"
if [ "$mode" = native ] && [ "$default_library" != static ]; then
    [ -L "$libdir/libpgtable.so.0" ] || fail "no libpgtable.so.0 link"
    soname=$(readelf -d "$libdir/libpgtable.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
    [ "$soname" = libpgtable.so.0 ] || fail "soname '$soname', not libpgtable.so.0"
fi

export PKG_CONFIG_LIBDIR=$(dirname "$pc") PKG_CONFIG_SYSROOT_DIR=$dest
flags=$(pkg-config --cflags --libs libpgtable)
echo "pkg-config --cflags --libs libpgtable: $flags"
if [ "$mode" = cross ]; then
    for f in -ffreestanding -mgeneral-regs-only -mstrict-align; do
        [[ " $flags " == *" $f "* ]] || fail "libpgtable.pc Cflags lack $f"
    done
    make -s -f "$src/examples/consumer/Makefile" OUT="$dest" \
        CC="${cc[*]}" LDFLAGS="${ldflags[*]}"
    # The link itself fails on an undefined symbol; check it is an image
    # whose entry is the consumer's.
    entry=$(readelf -h "$dest/consumer.elf" | awk '/Entry point/ { print $4 }')
    sym=$(readelf -s "$dest/consumer.elf" | awk '$8 == "consumer_entry" { print "0x" $2 }')
    [ -n "$sym" ] && [ $((entry)) -eq $((sym)) ] || fail "consumer.elf entry $entry is not consumer_entry"
    echo "check_install: consumer.elf linked for $(readelf -h "$dest/consumer.elf" | awk -F: '/Machine/ { gsub(/^ +/, "", $2); print $2 }')"
else
    make -s -f "$src/examples/consumer/Makefile" OUT="$dest" HOSTED=1 \
        CC="${cc[*]}" LDFLAGS="${ldflags[*]}"
    LD_LIBRARY_PATH=$libdir "$dest/consumer"
fi
