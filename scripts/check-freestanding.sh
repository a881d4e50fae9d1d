#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Check that the cross-built libpgtable.a needs no symbol from outside
# itself (no libc, no compiler runtime). Usage: check-freestanding.sh BUILDDIR
set -euo pipefail
dir=$1
lib=$dir/lib/libpgtable.a
nm=nm
command -v llvm-nm-14 >/dev/null && nm=llvm-nm-14
undef=$($nm -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u)
defined=$($nm --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
missing=$(comm -23 <(echo "$undef") <(echo "$defined") | grep -v '^$' || true)
if [ -n "$missing" ]; then
    echo "check-freestanding: $lib needs symbols from outside:" >&2
    echo "$missing" >&2
    exit 1
fi
echo "check-freestanding: $lib is self-contained"
