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

static uint8_t *zbuf;

void bench_zero(void)
{
    zbuf = aligned_alloc(4096, ZERO_BYTES);
    if (!zbuf)
        exit(2);
    memset(zbuf, 1, ZERO_BYTES);
    /* With (i) in the run, Z is sampled right before each run of (i) so
     * the ratio sees the same machine noise; else on its own here. */
    if (!scenario_wanted("i"))
        zero_scen("Z", "zero 2MiB with memset (reference for i)", zero_memset,
                  zbuf);
    else if (scenario_wanted("Z"))
        result_new("Z", "-", "zero 2MiB with memset (reference for i)",
                   "call");
    zero_scen("Zl", "zero 2MiB, plain freestanding loop", bench_zero_loop,
              zbuf);
}

#if __has_include("pgtable/hyp_pool.h")
#include "pgtable/early_alloc.h"
#include "pgtable/hyp_pool.h"
#define HAVE_HYP_POOL 1
#endif

#define NO_TARGET ((struct target){TGT_NONE, 0})

#ifdef HAVE_HYP_POOL

#define POOL_PAGES 65536u
#define POOL_PA 0x80000000ull /* fake physical base of the pool */
#define POOL_MAX_ORDER 10

/*
 * One pool of 65,536 4 KiB pages as an embedder sets it up: vmemmap records
 * in their own array, the host's spinlock (pKVM takes its pool lock in
 * every call too), the range zeroed at init (as pKVM's init does), pages
 * then zeroed lazily by the library when handed out dirty.
 */
struct apool {
    uint8_t *mem;
    struct hyp_page *rec;
    struct hyp_vmemmap vm;
    struct hyp_pool pool;
    struct hyp_spinlock lock;
    void **ptr;
    uint32_t *order;
    size_t n;
};

static struct apool ap;

static void clear_memset(void *addr, size_t size)
{
    memset(addr, 0, size);
}

static void ap_panic(enum hyp_page_panic why, uint64_t pfn)
{
    fprintf(stderr, "pgt-bench: hyp_pool panic %d at pfn %#llx\n", (int)why,
            (unsigned long long)pfn);
    abort();
}

static int ap_reset(bool memset_hook)
{
    if (!ap.mem) {
        ap.mem = bench_map((size_t)POOL_PAGES * 4096);
        ap.rec = calloc(POOL_PAGES, sizeof(*ap.rec));
        ap.ptr = calloc(POOL_PAGES, sizeof(void *));
        ap.order = calloc(POOL_PAGES, sizeof(uint32_t));
        if (!ap.rec || !ap.ptr || !ap.order)
            exit(2);
        for (uint32_t i = 0; i < POOL_PAGES; i++)
            ap.order[i] = i;
    }
    uint64_t off = (uint64_t)(uintptr_t)ap.mem - POOL_PA;
    memset(&ap.lock, 0, sizeof(ap.lock));
    /* A new pool over the last one's range: its records cleared first. */
    memset(ap.rec, 0, POOL_PAGES * sizeof(*ap.rec));
    if (hyp_vmemmap_init(&ap.vm, ap.rec, POOL_PA >> 12, POOL_PAGES, 12, off))
        return -1;
    ap.vm.panic = ap_panic;
    ap.vm.clear_pages = memset_hook ? clear_memset : NULL;
    struct hyp_pool_cfg cfg = {
        .max_order = POOL_MAX_ORDER,
        .lock = &hyp_spinlock_ops,
        .lock_arg = &ap.lock,
        .flags = HYP_POOL_ZERO_NOW,
    };
    return hyp_pool_init(&ap.pool, &ap.vm, POOL_PA >> 12, POOL_PAGES, 0, &cfg);
}

static bool zeroed(const void *p, size_t n)
{
    const uint64_t *q = p;
    for (size_t i = 0; i < n / 8; i++)
        if (q[i])
            return false;
    return true;
}

/* Timed bodies; each returns the number of operations it did, 0 on
 * failure. */
static uint64_t pairs(unsigned order, uint64_t n, struct result *r)
{
    for (uint64_t k = 0; k < n; k++) {
        void *p = hyp_alloc_pages(&ap.pool, order);
        if (!p) {
            bench_fail(r, "alloc(%u) failed at pair %llu", order,
                       (unsigned long long)k);
            return 0;
        }
        /* Dirty it as a user would, so the next alloc must zero it. */
        *(volatile uint64_t *)p = k + 1;
        hyp_put_page(&ap.pool, p);
    }
    return n;
}

static uint64_t alloc_all(struct result *r)
{
    for (size_t k = 0; k < POOL_PAGES; k++) {
        ap.ptr[k] = hyp_alloc_pages(&ap.pool, 0);
        if (!ap.ptr[k]) {
            bench_fail(r, "order-0 alloc %zu of %u failed", k, POOL_PAGES);
            return 0;
        }
    }
    return POOL_PAGES;
}

static uint64_t put_all_random(void)
{
    for (size_t k = 0; k < POOL_PAGES; k++)
        hyp_put_page(&ap.pool, ap.ptr[ap.order[k]]);
    return POOL_PAGES;
}

enum alloc_scen { AS_H, AS_I, AS_K1, AS_K2, AS_L, AS_J };

static struct hyp_early_alloc ea;

/* j: every page of the range from the early allocator, one by one. */
static uint64_t early_all(struct result *r)
{
    for (size_t k = 0; k < POOL_PAGES; k++) {
        ap.ptr[k] = hyp_early_alloc_page(&ea);
        if (!ap.ptr[k]) {
            bench_fail(r, "early page %zu of %u failed", k, POOL_PAGES);
            return 0;
        }
    }
    return POOL_PAGES;
}

static void alloc_scen(const char *name, const char *desc, enum alloc_scen s,
                       bool memset_hook, struct target tgt)
{
    if (!scenario_wanted(name))
        return;
    struct result *r = result_new(name, "-", desc, "op");
    r->tgt[0] = tgt;
    fprintf(stderr, "  %s...\n", name);
    uint64_t h_n = bopt.quick ? 200000 : 1000000;
    uint64_t i_n = bopt.quick ? 1000 : 100000;
    uint64_t l_n = 100000;
    int reps = bopt.reps;
    if (s == AS_I && reps > 5)
        reps = 5; /* 100,000 x 2 MiB per run: five runs are plenty */
    for (int rep = 0; rep < reps; rep++) {
        if (ap_reset(memset_hook)) {
            bench_fail(r, "pool init failed");
            return;
        }
        if (s == AS_J) {
            /* Dirty the range first: the early allocator must zero. */
            memset(ap.mem, 0x5a, (size_t)POOL_PAGES * 4096);
            if (hyp_early_alloc_init(&ea, ap.mem, POOL_PA,
                                     (uint64_t)POOL_PAGES * 4096, 12)) {
                bench_fail(r, "early allocator init failed");
                return;
            }
        }
        if (s == AS_K2 || s == AS_L) {
            if (!alloc_all(r))
                return;
            shuffle_u32(ap.order, POOL_PAGES, 0x6b32ull + (uint64_t)rep);
        }
        if (s == AS_L)
            for (size_t k = 0; k < POOL_PAGES; k += 2)
                hyp_put_page(&ap.pool, ap.ptr[k]);
        struct result *z = result_find("Z", "-");
        bool with_z = s == AS_I && !memset_hook && z && !z->ran;
        hooks_reset();
        uint64_t t0 = now_ns(), n = 0, tz = 0;
        if (with_z) {
            /*
             * (i) against Z under the same conditions: chunks of 1,000
             * pairs alternate with 200 timed memsets of 2 MiB, so cache
             * thrashing and preemption by other processes hit both alike.
             */
            uint64_t ti = 0, nz = 0;
            for (uint64_t done = 0; done < i_n;) {
                uint64_t c = i_n - done < 1000 ? i_n - done : 1000;
                uint64_t a = now_ns();
                if (!pairs(9, c, r))
                    return;
                uint64_t b = now_ns();
                for (int k = 0; k < 200; k++) {
                    zero_memset(zbuf, ZERO_BYTES);
                    __asm__ volatile("" : : "r"(zbuf) : "memory");
                }
                tz += now_ns() - b;
                ti += b - a;
                nz += 200;
                done += c;
            }
            n = i_n;
            result_add_sample(z, (double)tz);
            z->units = nz;
            z->peak_bytes = ZERO_BYTES;
            t0 = 0;
            tz = ti;
        }
        if (!with_z) {
            switch (s) {
            case AS_H: n = pairs(0, h_n, r); break;
            case AS_I: n = pairs(9, i_n, r); break;
            case AS_K1: n = alloc_all(r); break;
            case AS_K2: n = put_all_random(); break;
            case AS_L: n = pairs(0, l_n, r); break;
            case AS_J: n = early_all(r); break;
            }
        }
        uint64_t t1 = with_z ? tz : now_ns();
        if (!n)
            return;
        result_add_sample(r, (double)(t1 - t0));
        r->units = n;
        r->peak_bytes = (uint64_t)POOL_PAGES * 4096;
        if (!bopt.check || rep)
            continue;
        /* Checks (first run): what was handed out is zero, and the pool's
         * accounting is back where the scenario says. */
        if (s == AS_K1) {
            for (size_t k = 0; k < POOL_PAGES; k += 61)
                if (!zeroed(ap.ptr[k], 4096)) {
                    bench_fail(r, "page %zu handed out non-zero", k);
                    break;
                }
            if (hyp_pool_nr_free_pages(&ap.pool) != 0)
                bench_fail(r, "free pages left after allocating all");
        }
        if (s == AS_J) {
            for (size_t k = 0; k < POOL_PAGES; k += 61)
                if (ap.ptr[k] != ap.mem + k * 4096 || !zeroed(ap.ptr[k], 4096)) {
                    bench_fail(r, "early page %zu wrong or not zero", k);
                    break;
                }
            if (hyp_early_alloc_nr_used_pages(&ea) != POOL_PAGES)
                bench_fail(r, "early allocator reports %llu pages used",
                           (unsigned long long)hyp_early_alloc_nr_used_pages(&ea));
        }
        if (s == AS_K2) {
            uint64_t want = POOL_PAGES >> POOL_MAX_ORDER;
            if (hyp_pool_nr_free_blocks(&ap.pool, POOL_MAX_ORDER) != want ||
                hyp_pool_nr_free_pages(&ap.pool) != POOL_PAGES)
                bench_fail(r, "not fully coalesced: %llu order-%d blocks "
                              "(want %llu), %llu free pages",
                           (unsigned long long)hyp_pool_nr_free_blocks(
                               &ap.pool, POOL_MAX_ORDER),
                           POOL_MAX_ORDER, (unsigned long long)want,
                           (unsigned long long)hyp_pool_nr_free_pages(&ap.pool));
        }
        if (s == AS_H || s == AS_I || s == AS_L) {
            unsigned order = s == AS_I ? 9 : 0;
            void *p = hyp_alloc_pages(&ap.pool, order);
            if (!p || !zeroed(p, (size_t)4096 << order))
                bench_fail(r, "block handed out after the run is not zero");
            if (p)
                hyp_put_page(&ap.pool, p);
            uint64_t want = s == AS_L ? POOL_PAGES / 2 : POOL_PAGES;
            if (hyp_pool_nr_free_pages(&ap.pool) != want)
                bench_fail(r, "%llu free pages, want %llu",
                           (unsigned long long)hyp_pool_nr_free_pages(&ap.pool),
                           (unsigned long long)want);
        }
    }
    result_finish(r);
    struct result *z = result_find("Z", "-");
    if (s == AS_I && !memset_hook && z && !z->ran)
        result_finish(z);
}

void bench_alloc(void)
{
    fprintf(stderr, "allocator\n");
    alloc_scen("h", "hyp_pool alloc(0)+put pairs, free pool", AS_H, false,
               (struct target){TGT_NS, 50});
    alloc_scen("hm", "h with clear_pages = memset", AS_H, true, NO_TARGET);
    alloc_scen("i", "hyp_pool alloc(9)+put pairs", AS_I, false,
               (struct target){TGT_X_ZERO, 1.1});
    alloc_scen("im", "i with clear_pages = memset", AS_I, true, NO_TARGET);
    alloc_scen("k1", "hyp_pool: allocate all 65536 pages, order 0", AS_K1,
               false, (struct target){TGT_NS, 40});
    alloc_scen("k2", "hyp_pool: put them back, random order", AS_K2, false,
               (struct target){TGT_NS, 150});
    alloc_scen("l", "hyp_pool alloc(0)+put, every other page used", AS_L,
               false, (struct target){TGT_NS, 120});
    alloc_scen("j", "early allocator: 65536 zeroed pages one by one", AS_J,
               false, NO_TARGET);
}

#else /* !HAVE_HYP_POOL */

void bench_alloc(void)
{
    static const char *const ids[] = {"h", "i", "k1", "k2", "l", "j"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        if (!scenario_wanted(ids[i]))
            continue;
        struct result *r = result_new(ids[i], "-", "hyp_pool scenario", "op");
        r->skip = "hyp_pool not on main yet";
    }
}

#endif
