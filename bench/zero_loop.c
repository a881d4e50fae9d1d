// SPDX-License-Identifier: MIT
/*
 * A plain zeroing loop compiled like lib/ (-ffreestanding -fno-builtin
 * -fno-tree-loop-distribute-patterns), so the compiler cannot turn it into
 * a memset call: what a freestanding allocator's zeroing costs at best.
 */
#include <stddef.h>
#include <stdint.h>

void bench_zero_loop(void *p, size_t bytes);

void bench_zero_loop(void *p, size_t bytes)
{
    uint64_t *q = p;
    for (size_t i = 0; i < bytes / 8; i++)
        q[i] = 0;
}
