#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One entry point for a fresh Debian 12 machine (run as root, or with sudo
# available): installs whatever Debian packages are missing, configures,
# builds, and then
#   demo  runs the host demo and boots the EL2 reference hypervisor in QEMU
#   test  runs every test suite: native (gcc) build, ASan+UBSan (clang)
#         build with the fuzz targets, and both aarch64 cross builds
#         (freestanding lib/ + the EL2 hypervisor under QEMU); the unit
#         and prop suites again with one table shape's one-page paths
#   bench builds optimised and runs the benchmarks, then plots them
#
# Environment: JOBS (parallel build jobs), PGT_SKIP_APT=1 (no apt at all),
# PGT_DEBIAN_ARM64 (where fetch_debian_arm64 caches Debian's arm64 kernel,
# busybox and libfdt; default .cache/debian-arm64, outside git).
set -euo pipefail

mode=${1:-test}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

pkgs=(meson ninja-build build-essential pkg-config python3 clang lld llvm-14
      libclang-rt-14-dev libcmocka-dev libunicorn-dev qemu-system-arm
      gcc-aarch64-linux-gnu doxygen)
if [ "$mode" = bench ]; then
    pkgs+=(python3-matplotlib)
fi

install_missing() {
    [ "${PGT_SKIP_APT:-0}" = 1 ] && return 0
    local missing=()
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "bootstrap: installing ${missing[*]}"
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
        --no-install-recommends "${missing[@]}"
}

# Debian's own arm64 Linux kernel, busybox-static and libfdt (the EL2
# hypervisor's Linux host, its initramfs, and the device-tree library it
# links), fetched once with apt's multiarch support and unpacked into the
# cache. Nothing here is committed; the qemu suite skips the Linux tests
# (saying why) when the cache is incomplete.
fetch_debian_arm64() {
    local dir=${PGT_DEBIAN_ARM64:-$top/.cache/debian-arm64}
    [ -f "$dir/complete" ] && return 0
    [ "${PGT_SKIP_APT:-0}" = 1 ] && return 0
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    (
        set -e
        if ! dpkg --print-foreign-architectures | grep -qx arm64; then
            $sudo dpkg --add-architecture arm64
            $sudo apt-get update -q
        elif ! apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1; then
            $sudo apt-get update -q
        fi
        # The exact kernel package: a glob would fetch every version.
        local kpkg
        kpkg=$(apt-cache depends linux-image-arm64:arm64 |
               awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
        [ -n "$kpkg" ]
        rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root"
        echo "bootstrap: fetching $kpkg busybox-static:arm64 libfdt-dev:arm64 into $dir"
        (cd "$dir/debs" && apt-get download -q "$kpkg" busybox-static:arm64 \
            libfdt-dev:arm64 2>&1 | grep -v 'unsandboxed' || true)
        for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done
        cp "$(ls "$dir"/root/boot/vmlinuz-* | head -n 1)" "$dir/Image"
        cp "$dir/root/bin/busybox" "$dir/busybox"
        # libfdt: the archive and its two public headers (libfdt_env.h is
        # the embedder's: pgt-hyp brings a freestanding one).
        mkdir -p "$dir/libfdt/include"
        cp "$dir/root/usr/lib/aarch64-linux-gnu/libfdt.a" "$dir/libfdt/"
        cp "$dir/root/usr/include/libfdt.h" "$dir/root/usr/include/fdt.h" \
            "$dir/libfdt/include/"
        echo "$kpkg" > "$dir/kernel-package"
        rm -rf "$dir/debs" "$dir/root"
        touch "$dir/complete"
    ) || echo "bootstrap: could not fetch Debian's arm64 packages; the Linux-host tests will be skipped"
}

# demo_linux BUILDDIR: pgt-hyp boots Debian's kernel on two CPUs (the
# kernel's log, /init's checks, then the hypervisor's statistics).
demo_linux() {
    local dir=${PGT_DEBIAN_ARM64:-$top/.cache/debian-arm64}
    local initrd=$1/tests/qemu/linux/pgt-linux-initrd.gz
    if [ ! -f "$dir/Image" ] || [ ! -f "$initrd" ]; then
        echo "demo: no Debian arm64 kernel or initramfs: skipping the Linux host"
        return 0
    fi
    echo
    echo "=== pgt-hyp with Debian's Linux kernel as its host, two CPUs ==="
    python3 tests/qemu/run_el2.py "$1/examples/el2/pgt-hyp.elf" --profile linux \
        --kernel "$dir/Image" --initrd "$initrd" --busybox "$dir/busybox" \
        --mem 256M --timeout 120 --show
}

# setup DIR [meson args...]: configure once, reconfigure if already there.
# Our own builds are warning-free: -Werror here rather than in
# meson.build, where it would also bind projects using us as a subproject.
setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" -Dwerror=true "$@" >/dev/null
    else
        meson setup "$dir" -Dwerror=true "$@" >/dev/null
    fi
}

# The one cross build per toolchain (clang, gcc) that demo and test share.
cross_dir() { echo "build-aarch64-$1"; }
cross_file() {
    case $1 in
    clang) echo cross/aarch64-none-elf-clang.ini ;;
    gcc) echo cross/aarch64-linux-gnu-gcc.ini ;;
    esac
}

# consumer DIR [meson args...]: build examples/consumer, a project that
# takes libpgtable as a meson subproject (forced, even when an installed
# one exists), and run its tests. Failures are collected in $failed_extra.
failed_extra=()
consumer() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" examples/consumer "$@" >/dev/null
    else
        meson setup "$dir" examples/consumer --force-fallback-for=libpgtable "$@" >/dev/null
    fi && ninja -C "$dir" -j "$jobs" && meson test -C "$dir" --print-errorlogs ||
        failed_extra+=("consumer:$dir")
}

jobs=${JOBS:-$(nproc)}

# Sum meson's JSON test logs into one closing line.
summary() {
    python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    if d.startswith('consumer:'):
        failed += 1
        print('FAILED: examples/consumer build in %s' % d[len('consumer:'):])
        continue
    try:
        lines = open(d + '/meson-logs/testlog.json').read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)
        res = r.get('result')
        if res in ('OK', 'EXPECTEDFAIL'):
            passed += 1
        elif res == 'SKIP':
            skipped += 1
        else:
            failed += 1
            print('FAILED: %s (%s) in %s' % (r.get('name'), res, d))
print('%d passed, %d failed, %d skipped' % (passed, failed, skipped))
sys.exit(1 if failed else 0)
PY
}

case "$mode" in
demo)
    install_missing
    fetch_debian_arm64
    setup build
    ninja -C build -j "$jobs" examples/host-demo/host-demo
    ./build/examples/host-demo/host-demo
    if [ -f examples/el2/meson.build ] && grep -q executable examples/el2/meson.build; then
        d=$(cross_dir clang)
        setup $d --cross-file $(cross_file clang)
        ninja -C $d -j "$jobs"
        python3 tests/qemu/run_el2.py $d/examples/el2/pgt-hyp.elf --show
        demo_linux $d
    fi
    ;;
test)
    install_missing
    fetch_debian_arm64
    rc=0
    setup build
    ninja -C build -j "$jobs"
    meson test -C build --num-processes "$jobs" --print-errorlogs || rc=1
    # A firmware's build that keeps the one-page instances of one table
    # shape (options one_page_shapes, one_page_modes): every other table
    # takes the generic instance and must come out the same.
    setup build-one-page -Done_page_shapes=4K_L1 -Done_page_modes=linear \
        -Dbench=disabled -Dexamples=disabled -Dfuzz=disabled -Dunicorn=disabled
    ninja -C build-one-page -j "$jobs"
    meson test -C build-one-page --num-processes "$jobs" --print-errorlogs \
        --suite unit --suite prop || rc=1
    setup build-san -Db_sanitize=address,undefined -Db_lundef=false \
        -Ddebug_checks=true \
        --native-file cross/clang-native.ini
    ninja -C build-san -j "$jobs"
    meson test -C build-san --num-processes "$jobs" --print-errorlogs \
        --no-suite bench || rc=1
    # What a hypervisor project picks: static, and the bench built inside
    # it too (the archive bench links must exist for every default_library).
    consumer build-consumer -Dlibpgtable:default_library=static -Dlibpgtable:bench=enabled
    consumer build-consumer-shared -Dlibpgtable:default_library=shared \
        -Dlibpgtable:bench=enabled
    for tc in clang gcc; do
        d=$(cross_dir $tc)
        setup $d --cross-file $(cross_file $tc)
        ninja -C $d -j "$jobs"
        ./scripts/check-freestanding.sh $d
        meson test -C $d --num-processes "$jobs" --print-errorlogs || rc=1
        consumer build-consumer-aarch64-$tc --cross-file $(cross_file $tc)
    done
    summary build build-one-page build-san build-aarch64-clang build-aarch64-gcc build-consumer \
        build-consumer-shared "${failed_extra[@]}" || rc=1
    exit $rc
    ;;
bench)
    install_missing
    setup build-bench -Doptimization=2 -Ddebug=false -Db_ndebug=true
    ninja -C build-bench -j "$jobs"
    shift || true
    ./build-bench/bench/pgt-bench --json build-bench/bench.json "$@"
    py=python3
    [ -x /usr/bin/python3 ] && py=/usr/bin/python3  # Debian's, with python3-matplotlib
    "$py" bench/plot.py build-bench/bench.json build-bench/bench.png
    echo "plot: build-bench/bench.png"
    ;;
*)
    echo "usage: $0 demo|test|bench" >&2
    exit 2
    ;;
esac
