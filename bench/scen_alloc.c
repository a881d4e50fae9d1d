// SPDX-License-Identifier: MIT
/*
 * Allocator scenarios of issue 6 and the zeroing reference Z.
 *
 *   Z   zero 2 MiB with memset (the reference for i); Zl: with a plain
 *       freestanding loop, for context
 *   h   1,000,000 hyp_pool alloc(order 0) + put pairs on a free pool
 *   i   100,000 order-9 alloc + put pairs
 *   k1  allocate every page of a 65,536-page pool at order 0
 *   k2  put them all back in random order (check: fully coalesced)
 *   l   free every other page, then 100,000 order-0 alloc+put pairs
 *   j   early-allocator pages
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bench_zero_loop(void *p, size_t bytes);

#define ZERO_BYTES (2u << 20)

static void zero_scen(const char *name, const char *desc,
                      void (*fn)(void *, size_t), uint8_t *buf)
{
    if (!scenario_wanted(name))
        return;
    struct result *r = result_new(name, "-", desc, "call");
    int inner = bopt.quick ? 20 : 100;
    for (int rep = 0; rep < bopt.reps; rep++) {
        uint64_t t0 = now_ns();
        for (int k = 0; k < inner; k++) {
            fn(buf, ZERO_BYTES);
            __asm__ volatile("" : : "r"(buf) : "memory");
        }
        result_add_sample(r, (double)(now_ns() - t0));
    }
    r->units = (uint64_t)inner;
    r->peak_bytes = ZERO_BYTES;
    result_finish(r);
}

static void zero_memset(void *p, size_t n)
{
    memset(p, 0, n);
}

void bench_zero(void)
{
    uint8_t *buf = aligned_alloc(4096, ZERO_BYTES);
    if (!buf)
        exit(2);
    memset(buf, 1, ZERO_BYTES);
    zero_scen("Z", "zero 2MiB with memset (reference for i)", zero_memset, buf);
    zero_scen("Zl", "zero 2MiB, plain freestanding loop", bench_zero_loop, buf);
    free(buf);
}

static const struct {
    const char *name, *desc;
    struct target t;
} alloc_scens[] = {
    {"h", "hyp_pool alloc(0)+put pairs, free pool", {TGT_NS, 50}},
    {"i", "hyp_pool alloc(9)+put pairs", {TGT_X_ZERO, 1.1}},
    {"k1", "hyp_pool: allocate all 65536 pages, order 0", {TGT_NS, 40}},
    {"k2", "hyp_pool: put them back, random order", {TGT_NS, 150}},
    {"l", "hyp_pool alloc(0)+put, every other page used", {TGT_NS, 120}},
    {"j", "early allocator: one zeroed page", {TGT_NONE, 0}},
};

void bench_alloc(void)
{
    for (size_t i = 0; i < sizeof(alloc_scens) / sizeof(alloc_scens[0]); i++) {
        if (!scenario_wanted(alloc_scens[i].name))
            continue;
        struct result *r = result_new(alloc_scens[i].name, "-",
                                      alloc_scens[i].desc, "op");
        r->tgt[0] = alloc_scens[i].t;
        r->skip = "hyp_pool not on main yet";
    }
}
