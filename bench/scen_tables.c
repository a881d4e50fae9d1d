// SPDX-License-Identifier: MIT
/*
 * Translation-table scenarios of issue 6 and their plain-loop floors.
 *
 * Stage 2: read-write, PGT_MAP_SKIP_DCACHE|SKIP_ICACHE (the output addresses
 * are not real memory), start level as Linux's KVM picks it for the IPA
 * size. The 40-bit shapes (4K: level 1 with two concatenated
 * root pages; 16K: level 2, 16 pages; 64K: level 2, one page) run the bulk
 * scenarios; the one-page scenarios (a2, c2, d, d2, e) also run at 4K/48
 * (level 0), 4K/36 (level 1, a 64-entry root), 16K/47 (level 1) and 64K/42
 * (level 2), each once more with mm_ops that carry only the required hooks
 * (the "-nh" rows). Stage 1: the EL2 regime, 48-bit VA.
 *
 *   a   map 1 GiB as pages in one call (PA = IPA + granule: no block fits)
 *   a2  the same in one-page calls
 *   b   map 1 GiB as 2 MiB blocks (PA 2 MiB but not 1 GiB aligned), 1 call
 *   c   unmap the 1 GiB of (a) in one call;  c2: in one-page calls
 *   d   65,536 one-page maps at distinct random IPAs over 512 GiB (or the
 *       whole IPA space when smaller)
 *   d2  unmap them in another random order
 *   e   get_leaf of every page of (a)
 *   f   stage-1 hyp map 1 GiB as pages, one call;  f2: unmap it
 *   wp  wrprotect the 1 GiB of (a);  wp-nr: with mm_ops without tlbi_range
 *   dl  the dirty-log cycle without tlbi_range: wrprotect the 1 GiB, relax
 *       1% of its pages one by one (each logged in a bitmap), collect the
 *       bitmap;  dl-old: with the per-leaf visitor write-protect of before
 *       the engine's runs;  dl-hw: the hardware way (test_clear_dirty)
 *   G   floor for (a): zero the table pages (a) needs and write its
 *       descriptors in a plain loop;  Gd: the same for (d), cold pages
 *   Ge  floor for (e): (e)'s loop over a call shaped like pgt_get_leaf()
 *       (entry, checks, indirect call, both results) that walks nothing
 */
#include "bench.h"
#include "call_floor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define SZ_4K 4096ull
#define MAP_FLAGS (PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE)
#define S1_VA_BITS 48
#define HYP_VA_BASE (1ull << 30) /* f maps [1 GiB, 2 GiB) */
#define D_OPS 65536u
#define D_SPAN_MAX (512 * GiB)
#define POOL_PA_BASE 0xc000000000ull /* 768 GiB: table pages below 2^40 */

/* What a shape runs. */
#define SET_BULK 1u  /* G, a, c, e, f: the 40-bit granule rows */
#define SET_FULL 2u  /* b, f2, the -hp rows and the 4K/40 one-page targets */
#define SET_SHAPE 4u /* a2, c2, d, d2, e and their -nh rows */

enum { LX_A2, LX_C2, LX_D2, LX_E };

struct gcfg {
    const char *name;    /* shape: granule / IPA bits */
    enum pgt_granule g;
    uint64_t gran;
    unsigned ia_bits;
    unsigned oa_bits;    /* covers the pool's fake PAs and the mapped PAs */
    size_t pool_pages;   /* 0: enough for (a) and (d), worked out below */
    unsigned sets;
    double linux_ns[4];  /* a2, c2, d2, e: Linux 6.12 kvm_pgtable, ns/call */
    /* Filled in at run time. */
    int s2_start;        /* Linux's choice for ia_bits */
    uint64_t d_span;     /* (d)'s IPA range */
    char d_desc[64];
};

struct tctx {
    const struct gcfg *gc;
    struct bpool pool;
    struct pgt pgt;
    uint64_t map_size;   /* 1 GiB, smaller with --quick? no: see below */
    uint64_t *d_ipa;     /* (d): the IPAs in map order */
    uint64_t *d_ipa2;    /* (d2): the same in unmap order */
    size_t d_n;
    int err;             /* first library error in a timed run */
    const struct pgt_mm_ops *ops; /* bpool_ops, or hpool_ops (-hp rows) */
    /* A floor timed right before each run of the next scenario, so floor
     * and scenario see the same machine noise (G with a, Gd with d). */
    void (*pair_prep)(struct tctx *t); /* untimed, before pair_fn */
    uint64_t (*pair_fn)(struct tctx *t);
    uint16_t *fcnt;      /* Gd2: entries per table page */
    struct result *pair_r;
    bool pair_flush;
    uint64_t tables_before;
    uint32_t s2_flags;   /* pgt_s2_init() flags of the stage-2 setups */
    /* A run that times only part of itself sets self_ns (dl-hw: the
     * hardware's writes are not the library's time). */
    bool self_timed;
    uint64_t self_ns;
    pgt_pte_t wp_attrs;  /* wp: page 0's attributes before the run */
    /* The dirty-log cycle: the pages written (1%, spread evenly), the
     * dirty bitmap a fault handler fills, the dirty pages collected from
     * it, and (dl-hw) the leaves the "guest" writes. */
    uint64_t *dl_ipa;
    size_t dl_n;
    uint64_t *dl_bits;
    uint64_t *dl_out;
    size_t dl_nout;
    pgt_pte_t **dl_ptep;
};

static volatile uint64_t sink;
static uint8_t *flush_buf;
#define FLUSH_BYTES (64 * MiB)

/* Evict the caches (untimed) so the next run's table pages are cold. */
static void cache_flush(void)
{
    if (!flush_buf) {
        flush_buf = bench_map(FLUSH_BYTES);
    }
    memset(flush_buf, (int)(sink & 0xff), FLUSH_BYTES);
    sink += flush_buf[FLUSH_BYTES / 2];
}

/* ---- table geometry, computed here independently of the library ---- */

static unsigned bits_per_level(const struct gcfg *gc)
{
    return (unsigned)gc->g - 3;
}

/*
 * The start level Linux's KVM gives a stage 2 of ia_bits: the fewest levels
 * that resolve the IPA bits above the page offset when the root may be up
 * to 16 concatenated pages (4 bits resolved by concatenation), and at least
 * two levels.
 */
static int linux_s2_start(const struct gcfg *gc)
{
    int bits = (int)gc->ia_bits - 4 - (int)gc->g;
    int bpl = (int)bits_per_level(gc);
    int levels = (bits + bpl - 1) / bpl;
    if (levels < 2)
        levels = 2;
    return 4 - levels;
}

static unsigned level_shift(const struct gcfg *gc, int level)
{
    return (unsigned)gc->g + bits_per_level(gc) * (unsigned)(3 - level);
}

/* Root pages of the stage-2 table: entries at the start level * 8 bytes. */
static uint64_t s2_root_pages(const struct gcfg *gc)
{
    uint64_t entries = 1ull << (gc->ia_bits - level_shift(gc, gc->s2_start));
    uint64_t bytes = entries * 8;
    return bytes <= gc->gran ? 1 : bytes / gc->gran;
}

static int s1_start_level(const struct gcfg *gc)
{
    int l = 3;
    while (level_shift(gc, l) + bits_per_level(gc) < S1_VA_BITS)
        l--;
    return l;
}

/*
 * Non-root table pages needed to map [0, size) (or any range aligned to
 * the start-level entry size) with pages, for a root at @start.
 */
static uint64_t tables_for_range(const struct gcfg *gc, int start,
                                 uint64_t size)
{
    uint64_t n = 0;
    for (int l = 3; l > start; l--) {
        uint64_t span = 1ull << (level_shift(gc, l) + bits_per_level(gc));
        n += (size + span - 1) / span;
    }
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Non-root table pages holding the leaves for @n IPAs: per level below
 * the root, the distinct table-sized spans the IPAs fall into. */
static uint64_t tables_for_ipas(const struct gcfg *gc, const uint64_t *ipa,
                                size_t n)
{
    uint64_t *v = malloc(n * sizeof(*v)), total = 0;
    if (!v)
        exit(2);
    for (int l = 3; l > gc->s2_start; l--) {
        unsigned span_shift = level_shift(gc, l) + bits_per_level(gc);
        for (size_t i = 0; i < n; i++)
            v[i] = ipa[i] >> span_shift;
        qsort(v, n, sizeof(*v), cmp_u64);
        for (size_t i = 0; i < n; i++)
            total += i == 0 || v[i] != v[i - 1];
    }
    free(v);
    return total;
}

/* Table pages in use from whichever page source the scenario runs on. */
static size_t pool_used(const struct tctx *t)
{
    return t->ops == &hpool_ops ? bpool_hyp_pool_used() : t->pool.used;
}

/* ---- running one scenario ---- */

struct scen {
    const char *name;
    const char *desc;
    const char *unit;
    void (*setup)(struct tctx *t);
    void (*run)(struct tctx *t);
    void (*teardown)(struct tctx *t);
    void (*check)(struct tctx *t, struct result *r);
    uint64_t (*units)(struct tctx *t);
    bool flush;          /* evict caches before each run */
    bool tables_before;  /* report the table pages present before the run */
    const struct pgt_mm_ops *ops; /* the table's hooks, NULL: t->ops */
    uint32_t s2_flags;   /* pgt_s2_init() flags */
};

/* One repetition of @s; false when it failed (reported on @r). */
static bool run_rep(struct tctx *t, const struct scen *s, struct result *r,
                    int rep)
{
    t->err = 0;
    t->self_timed = false;
    if (pool_used(t) == 0 && t->ops != &hpool_ops)
        bpool_restack(&t->pool);
    if (t->pair_fn && pool_used(t) == 0) {
        if (t->pair_prep)
            t->pair_prep(t);
        if (t->pair_flush)
            cache_flush();
        uint64_t f0 = now_ns();
        uint64_t n = t->pair_fn(t);
        uint64_t f1 = now_ns();
        result_add_sample(t->pair_r, (double)(f1 - f0));
        t->pair_r->table_pages = n;
        t->pair_r->peak_bytes = n * t->gc->gran;
    }
    if (s->setup)
        s->setup(t);
    if (t->err) {
        bench_fail(r, "setup failed: %d", t->err);
        return false;
    }
    t->tables_before = pool_used(t);
    bpool_reset_peak(&t->pool);
    hooks_reset();
    if (s->flush)
        cache_flush();
    uint64_t t0 = now_ns();
    s->run(t);
    uint64_t t1 = now_ns();
    if (t->err) {
        bench_fail(r, "library returned %d", t->err);
        if (s->teardown)
            s->teardown(t);
        return false;
    }
    result_add_sample(r, (double)(t->self_timed ? t->self_ns : t1 - t0));
    r->tlbi = hooks_tlbi();
    r->table_pages = s->tables_before ? t->tables_before : pool_used(t);
    /* The hyp_pool rows know no high-water mark: the larger of the
     * counts before and after the run. */
    size_t peak = t->ops == &hpool_ops
                      ? (t->tables_before > pool_used(t) ? t->tables_before
                                                         : pool_used(t))
                      : t->pool.peak;
    r->peak_bytes = peak * t->gc->gran;
    r->units = s->units(t);
    if (bopt.check && rep == 0 && s->check)
        s->check(t, r);
    if (s->teardown)
        s->teardown(t);
    if (pool_used(t) != 0 && rep == 0)
        bench_fail(r, "%zu pool pages still in use after teardown",
                   pool_used(t));
    return true;
}

static void run_scen(struct tctx *t, const struct scen *s, struct result *r)
{
    const struct pgt_mm_ops *ops = t->ops;
    bool ok = true;

    if (s->ops)
        t->ops = s->ops;
    t->s2_flags = s->s2_flags;
    for (int rep = 0; ok && rep < bopt.reps; rep++)
        ok = run_rep(t, s, r, rep);
    if (ok)
        result_finish(r);
    t->ops = ops;
    t->s2_flags = 0;
}

/*
 * Scenarios compared with each other, run alternately: each repetition
 * runs every one once, starting one further along each time, so slow
 * phases of the machine fall on all of them alike.
 */
static void run_alternating(struct tctx *t, const struct scen *const *s,
                            struct result *const *r, int n)
{
    const struct pgt_mm_ops *ops = t->ops;
    bool ok[8];

    for (int i = 0; i < n; i++)
        ok[i] = r[i] != NULL;
    for (int rep = 0; rep < bopt.reps; rep++)
        for (int k = 0; k < n; k++) {
            int i = (rep + k) % n;
            if (!ok[i])
                continue;
            t->ops = s[i]->ops ? s[i]->ops : ops;
            t->s2_flags = s[i]->s2_flags;
            ok[i] = run_rep(t, s[i], r[i], rep);
        }
    for (int i = 0; i < n; i++)
        if (ok[i])
            result_finish(r[i]);
    t->ops = ops;
    t->s2_flags = 0;
}

/* ---- stage 2 ---- */

static void s2_setup(struct tctx *t)
{
    struct pgt_s2_cfg cfg = {
        .granule = t->gc->g,
        .ia_bits = t->gc->ia_bits,
        .oa_bits = t->gc->oa_bits,
        .start_level = t->gc->s2_start,
        .geom_flags = PGT_GEOM_CONCAT,
        .flags = t->s2_flags,
    };
    int ret = pgt_s2_init(&t->pgt, &cfg, t->ops, bpool_mm_ctx(t->ops), NULL);
    if (ret)
        t->err = ret;
}

static void s2_teardown(struct tctx *t)
{
    pgt_s2_destroy(&t->pgt);
}

static uint64_t units_4k(struct tctx *t)
{
    (void)t;
    return GiB / SZ_4K;
}

static uint64_t units_pages(struct tctx *t)
{
    return GiB / t->gc->gran;
}

static uint64_t units_one(struct tctx *t)
{
    (void)t;
    return 1;
}

static uint64_t units_d(struct tctx *t)
{
    return t->d_n;
}

static void run_a(struct tctx *t)
{
    int ret = pgt_s2_map(&t->pgt, 0, GiB, t->gc->gran, PGT_PROT_RW, NULL,
                         MAP_FLAGS);
    if (ret)
        t->err = ret;
}

/* The output offset of (a-cont): one level-3 contiguous run (64 KiB at
 * 4K, 2 MiB at 16K and 64K), so the runs can have the hint while the
 * blocks' alignment is missed and the GiB stays pages. */
static uint64_t cont_span(const struct gcfg *gc)
{
    return gc->gran == SZ_4K ? 64 * 1024 : 2 * MiB;
}

static void run_a_cont(struct tctx *t)
{
    int ret = pgt_s2_map(&t->pgt, 0, GiB, cont_span(t->gc), PGT_PROT_RW, NULL,
                         MAP_FLAGS);
    if (ret)
        t->err = ret;
}

static void setup_mapped(struct tctx *t)
{
    s2_setup(t);
    if (!t->err)
        run_a(t);
}

static void run_a2(struct tctx *t)
{
    uint64_t g = t->gc->gran;
    for (uint64_t ipa = 0; ipa < GiB; ipa += g) {
        int ret = pgt_s2_map(&t->pgt, ipa, g, ipa + g, PGT_PROT_RW, NULL,
                             MAP_FLAGS);
        if (ret) {
            t->err = ret;
            return;
        }
    }
}

#define B_PHYS (GiB + 2 * MiB)

static void run_b(struct tctx *t)
{
    int ret = pgt_s2_map(&t->pgt, 0, GiB, B_PHYS, PGT_PROT_RW, NULL,
                         MAP_FLAGS);
    if (ret)
        t->err = ret;
}

static void run_c(struct tctx *t)
{
    int ret = pgt_s2_unmap(&t->pgt, 0, GiB, NULL);
    if (ret)
        t->err = ret;
}

static void run_c2(struct tctx *t)
{
    uint64_t g = t->gc->gran;
    for (uint64_t ipa = 0; ipa < GiB; ipa += g) {
        int ret = pgt_s2_unmap(&t->pgt, ipa, g, NULL);
        if (ret) {
            t->err = ret;
            return;
        }
    }
}

static void run_d(struct tctx *t)
{
    uint64_t g = t->gc->gran;
    for (size_t i = 0; i < t->d_n; i++) {
        uint64_t ipa = t->d_ipa[i];
        int ret = pgt_s2_map(&t->pgt, ipa, g, ipa + g, PGT_PROT_RW, NULL,
                             MAP_FLAGS);
        if (ret) {
            t->err = ret;
            return;
        }
    }
}

static void setup_d_mapped(struct tctx *t)
{
    s2_setup(t);
    if (!t->err)
        run_d(t);
}

static void run_d2(struct tctx *t)
{
    uint64_t g = t->gc->gran;
    for (size_t i = 0; i < t->d_n; i++) {
        int ret = pgt_s2_unmap(&t->pgt, t->d_ipa2[i], g, NULL);
        if (ret) {
            t->err = ret;
            return;
        }
    }
}

static void run_e(struct tctx *t)
{
    uint64_t g = t->gc->gran, acc = 0;
    for (uint64_t ipa = 0; ipa < GiB; ipa += g) {
        pgt_pte_t pte;
        int level;
        pgt_get_leaf(&t->pgt, ipa, &pte, &level);
        acc += pte + (uint64_t)level;
    }
    sink = acc;
}

/* The output-address bits of a leaf at @level: [47:level's shift] for
 * every format used here (no LPA2). */
static pgt_pte_t leaf_oa_mask(const struct gcfg *gc, int level)
{
    return ((1ull << 48) - 1) & ~((1ull << level_shift(gc, level)) - 1);
}

/* Independent expectations: leaf at level @level translating @ia to @pa. */
static bool leaf_ok(const struct gcfg *gc, pgt_pte_t pte, int level,
                    int want_level, uint64_t want_pa)
{
    if (level != want_level || !(pte & PGT_PTE_VALID))
        return false;
    if (((pte & PGT_PTE_TYPE) != 0) != (level == 3))
        return false;
    /* OA bits [47:granule] for every format used here (no LPA2). */
    uint64_t oa_mask = ((1ull << 48) - 1) & ~((1ull << level_shift(gc, level)) - 1);
    return (pte & oa_mask) == want_pa;
}

static void check_pages_mapped(struct tctx *t, struct result *r)
{
    const struct gcfg *gc = t->gc;
    uint64_t g = gc->gran;
    for (uint64_t ipa = 0; ipa < GiB; ipa += g) {
        pgt_pte_t pte = 0;
        int level = -9;
        int ret = pgt_get_leaf(&t->pgt, ipa, &pte, &level);
        if (ret || !leaf_ok(gc, pte, level, 3, ipa + g)) {
            bench_fail(r, "IPA %#llx: ret %d level %d pte %#llx",
                       (unsigned long long)ipa, ret, level,
                       (unsigned long long)pte);
            return;
        }
    }
    uint64_t want = s2_root_pages(gc) + tables_for_range(gc, gc->s2_start, GiB);
    if (pool_used(t) != want)
        bench_fail(r, "%zu table pages in use, expected %llu", pool_used(t),
                   (unsigned long long)want);
}

/* (a-cont), (a-nc): every page mapped to IPA + cont_span(), with the hint
 * on every leaf exactly when the table has it; the TLB entries counted. */
static void check_pages_cont(struct tctx *t, struct result *r)
{
    const struct gcfg *gc = t->gc;
    uint64_t g = gc->gran, entries = 0;
    bool want = !(t->s2_flags & PGT_NO_CONT);
    uint64_t run = pgt_cont_entries(&t->pgt.geom, 3);
    for (uint64_t ipa = 0; ipa < GiB; ipa += g) {
        pgt_pte_t pte = 0;
        int level = -9;
        int ret = pgt_get_leaf(&t->pgt, ipa, &pte, &level);
        if (ret ||
            !leaf_ok(gc, pte & ~PGT_PTE_CONT, level, 3, ipa + cont_span(gc)) ||
            !(pte & PGT_PTE_CONT) != !want) {
            bench_fail(r, "IPA %#llx: ret %d level %d pte %#llx",
                       (unsigned long long)ipa, ret, level,
                       (unsigned long long)pte);
            return;
        }
        /* One entry per run with the hint, per page without. */
        if (!(pte & PGT_PTE_CONT) || (ipa / g) % run == 0)
            entries++;
    }
    r->tlb_entries = entries;
    uint64_t want_pages =
        s2_root_pages(gc) + tables_for_range(gc, gc->s2_start, GiB);
    if (pool_used(t) != want_pages)
        bench_fail(r, "%zu table pages in use, expected %llu", pool_used(t),
                   (unsigned long long)want_pages);
}

static void check_blocks(struct tctx *t, struct result *r)
{
    for (uint64_t ipa = 0; ipa < GiB; ipa += 2 * MiB) {
        pgt_pte_t pte = 0;
        int level = -9;
        int ret = pgt_get_leaf(&t->pgt, ipa, &pte, &level);
        if (ret || !leaf_ok(t->gc, pte, level, 2, ipa + B_PHYS)) {
            bench_fail(r, "IPA %#llx: ret %d level %d pte %#llx",
                       (unsigned long long)ipa, ret, level,
                       (unsigned long long)pte);
            return;
        }
    }
    /* The root plus one level-2 table. */
    if (pool_used(t) != s2_root_pages(t->gc) + 1)
        bench_fail(r, "%zu table pages in use, expected root + 1",
                   pool_used(t));
}

static void check_unmapped(struct tctx *t, struct result *r, uint64_t root)
{
    uint64_t g = t->gc->gran;
    for (uint64_t ipa = 0; ipa < GiB; ipa += 64 * g) {
        pgt_pte_t pte = 0;
        int level;
        if (pgt_get_leaf(&t->pgt, ipa, &pte, &level) ||
            (pte & PGT_PTE_VALID)) {
            bench_fail(r, "IPA %#llx still valid after unmap",
                       (unsigned long long)ipa);
            return;
        }
    }
    if (pool_used(t) != root)
        bench_fail(r, "%zu table pages left after unmap, expected the root "
                      "(%llu)", pool_used(t), (unsigned long long)root);
}

static void check_s2_unmapped(struct tctx *t, struct result *r)
{
    check_unmapped(t, r, s2_root_pages(t->gc));
}

static void check_d(struct tctx *t, struct result *r)
{
    uint64_t g = t->gc->gran;
    uint64_t want = s2_root_pages(t->gc) + tables_for_ipas(t->gc, t->d_ipa,
                                                           t->d_n);
    if (pool_used(t) != want)
        bench_fail(r, "%zu table pages in use, expected %llu", pool_used(t),
                   (unsigned long long)want);
    for (size_t i = 0; i < t->d_n; i++) {
        pgt_pte_t pte = 0;
        int level = -9;
        uint64_t ipa = t->d_ipa[i];
        if (pgt_get_leaf(&t->pgt, ipa, &pte, &level) ||
            !leaf_ok(t->gc, pte, level, 3, ipa + g)) {
            bench_fail(r, "IPA %#llx: level %d pte %#llx",
                       (unsigned long long)ipa, level,
                       (unsigned long long)pte);
            return;
        }
    }
}

static void check_d2(struct tctx *t, struct result *r)
{
    for (size_t i = 0; i < t->d_n; i += 97) {
        pgt_pte_t pte = 0;
        int level;
        if (pgt_get_leaf(&t->pgt, t->d_ipa[i], &pte, &level) ||
            (pte & PGT_PTE_VALID)) {
            bench_fail(r, "IPA %#llx still valid",
                       (unsigned long long)t->d_ipa[i]);
            return;
        }
    }
    if (pool_used(t) != s2_root_pages(t->gc))
        bench_fail(r, "%zu table pages left after d2", pool_used(t));
}

static void check_e(struct tctx *t, struct result *r)
{
    /* run_e's checksum: the sum of pte + level over every page. */
    uint64_t g = t->gc->gran, want = 0;
    for (uint64_t ipa = 0; ipa < GiB; ipa += g) {
        pgt_pte_t pte;
        int level;
        pgt_get_leaf(&t->pgt, ipa, &pte, &level);
        if (!leaf_ok(t->gc, pte, level, 3, ipa + g)) {
            bench_fail(r, "IPA %#llx not mapped as expected",
                       (unsigned long long)ipa);
            return;
        }
        want += pte + 3;
    }
    if (sink != want)
        bench_fail(r, "checksum mismatch");
}

/* ---- write-protect and the dirty-log cycle (4K/40) ---- */

/* (wp): the mapped 1 GiB, its page 0's attributes kept for the check. */
static void setup_wp(struct tctx *t)
{
    pgt_pte_t pte = 0;
    int level;

    setup_mapped(t);
    if (t->err)
        return;
    pgt_get_leaf(&t->pgt, 0, &pte, &level);
    t->wp_attrs = pte & ~leaf_oa_mask(t->gc, 3);
}

static void run_wp(struct tctx *t)
{
    int ret = pgt_s2_wrprotect(&t->pgt, 0, GiB);
    if (ret)
        t->err = ret;
}

/* Every page read-only with the attributes it had but for S2AP[1], and
 * the whole GiB invalidated: by tlbi_range calls covering it, by a
 * tlbi_all, or by one tlbi_va per page. */
static void check_wp(struct tctx *t, struct result *r)
{
    const struct gcfg *gc = t->gc;
    pgt_pte_t want = t->wp_attrs & ~PGT_S2_S2AP_W;

    if (!(t->wp_attrs & PGT_S2_S2AP_W) || !(t->wp_attrs & PGT_S2_S2AP_R)) {
        bench_fail(r, "the map was not read-write: %#llx",
                   (unsigned long long)t->wp_attrs);
        return;
    }
    for (uint64_t ipa = 0; ipa < GiB; ipa += gc->gran) {
        pgt_pte_t pte = 0;
        int level = -9;
        if (pgt_get_leaf(&t->pgt, ipa, &pte, &level) ||
            !leaf_ok(gc, pte, level, 3, ipa + gc->gran) ||
            (pte & ~leaf_oa_mask(gc, 3)) != want) {
            bench_fail(r, "IPA %#llx: level %d pte %#llx, attributes %#llx "
                          "expected", (unsigned long long)ipa, level,
                       (unsigned long long)pte, (unsigned long long)want);
            return;
        }
    }
    bool range = t->ops->tlbi_range && hooks.tlbi_range &&
                 hooks.range_lo == 0 && hooks.range_hi >= GiB;
    if (!range && !hooks.tlbi_all && hooks.tlbi_va < GiB / gc->gran)
        bench_fail(r, "the change was not invalidated: tlbi_va %llu, "
                      "tlbi_range %llu over [%#llx, %#llx), tlbi_all %llu",
                   (unsigned long long)hooks.tlbi_va,
                   (unsigned long long)hooks.tlbi_range,
                   (unsigned long long)hooks.range_lo,
                   (unsigned long long)hooks.range_hi,
                   (unsigned long long)hooks.tlbi_all);
}

/* The pages the guest writes: 1% of the GiB, evenly spread, ascending. */
#define DL_PAGES (GiB / SZ_4K)
#define DL_DIRTY 2621u
#define DL_WORDS (DL_PAGES / 64)

static void dl_prepare(struct tctx *t)
{
    if (t->dl_ipa)
        return;
    t->dl_n = DL_DIRTY;
    t->dl_ipa = malloc(DL_DIRTY * sizeof(*t->dl_ipa));
    t->dl_out = malloc(DL_DIRTY * sizeof(*t->dl_out));
    t->dl_ptep = malloc(DL_DIRTY * sizeof(*t->dl_ptep));
    t->dl_bits = calloc(DL_WORDS, sizeof(*t->dl_bits));
    if (!t->dl_ipa || !t->dl_out || !t->dl_ptep || !t->dl_bits)
        exit(2);
    for (uint64_t k = 0; k < DL_DIRTY; k++)
        t->dl_ipa[k] = (k * DL_PAGES / DL_DIRTY) * SZ_4K;
}

static void setup_dl(struct tctx *t)
{
    dl_prepare(t);
    setup_mapped(t);
}

/* The dirty log: one bit per page, set as the fault handler (or the
 * hardware's report) sees a write. */
static inline void dl_mark(uint64_t *bits, uint64_t ipa)
{
    uint64_t pfn = ipa / SZ_4K;
    bits[pfn / 64] |= 1ull << (pfn % 64);
}

/* The VMM's collection: every dirty page from the bitmap, which is
 * cleared for the next cycle. */
static void dl_collect(struct tctx *t)
{
    size_t n = 0;
    for (uint64_t w = 0; w < DL_WORDS; w++) {
        uint64_t x = t->dl_bits[w];
        if (!x)
            continue;
        t->dl_bits[w] = 0;
        do {
            if (n < t->dl_n)
                t->dl_out[n] = (w * 64 + (uint64_t)__builtin_ctzll(x)) * SZ_4K;
            n++;
            x &= x - 1;
        } while (x);
    }
    t->dl_nout = n;
}

/* The guest's first write to each page faults; the handler relaxes the
 * one page and logs it. */
static bool dl_faults(struct tctx *t)
{
    for (size_t k = 0; k < t->dl_n; k++) {
        int ret = pgt_s2_relax_perms(&t->pgt, t->dl_ipa[k], PGT_PROT_W);
        if (ret) {
            t->err = ret;
            return false;
        }
        dl_mark(t->dl_bits, t->dl_ipa[k]);
    }
    return true;
}

/* One dirty-log cycle over the GiB with the write-protect @wp. */
static void dl_cycle(struct tctx *t,
                     int (*wp)(struct pgt *pgt, uint64_t addr, uint64_t size))
{
    int ret = wp(&t->pgt, 0, GiB);
    if (ret) {
        t->err = ret;
        return;
    }
    if (dl_faults(t))
        dl_collect(t);
}

static void run_dl(struct tctx *t)
{
    dl_cycle(t, pgt_s2_wrprotect);
}

/*
 * The write-protect of before the engine's runs, written against the
 * public walker: a visit per leaf that clears S2AP[1] and, without a
 * tlbi_range hook, invalidates that leaf at once; with one, one
 * tlbi_range over the changed span at the end.
 */
struct old_wp {
    uint64_t first, end, changed;
};

static int old_wp_visit(const struct pgt_visit_ctx *c, enum pgt_walk_flags v)
{
    struct old_wp *w = c->arg;
    uint64_t size, base;

    (void)v;
    if (!pgt_pte_is_leaf(c->old, c->level) || !(c->old & PGT_S2_S2AP_W))
        return 0;
    __atomic_store_n(c->ptep, c->old & ~PGT_S2_S2AP_W, __ATOMIC_RELAXED);
    size = pgt_level_size(&c->pgt->geom, c->level);
    base = c->addr & ~(size - 1);
    if (!w->changed++)
        w->first = base;
    w->end = base + size;
    if (!c->pgt->mm_ops->tlbi_range)
        c->pgt->mm_ops->tlbi_va(c->pgt, base, c->level);
    return 0;
}

static int old_wrprotect(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    struct old_wp w = {0, 0, 0};
    struct pgt_walker walker = {old_wp_visit, &w, PGT_WALK_LEAF};
    int ret = pgt_walk(pgt, addr, size, &walker);

    if (!ret && w.changed && pgt->mm_ops->tlbi_range)
        pgt->mm_ops->tlbi_range(pgt, w.first, w.end - w.first);
    return ret;
}

static void run_dl_old(struct tctx *t)
{
    dl_cycle(t, old_wrprotect);
}

/* Reported from pgt_s2_test_clear_dirty(): the dirty leaf's pages into
 * the log. */
static void dl_report(void *arg, uint64_t addr, uint64_t size)
{
    struct tctx *t = arg;
    for (uint64_t a = addr; a < addr + size; a += SZ_4K)
        dl_mark(t->dl_bits, a);
}

/* (dl-hw): the leaves the guest writes, found by walking the table here
 * (the hardware's walk), before the run. */
static void setup_dl_hw(struct tctx *t)
{
    const struct gcfg *gc = t->gc;
    struct bpool *p = &t->pool;

    setup_dl(t);
    if (t->err)
        return;
    for (size_t k = 0; k < t->dl_n; k++) {
        uint64_t ipa = t->dl_ipa[k];
        pgt_pte_t *pt = t->pgt.pgd;
        uint64_t idx = ipa >> level_shift(gc, gc->s2_start);
        for (int l = gc->s2_start; l < 3; l++) {
            pgt_pte_t e = pt[idx];
            pt = (pgt_pte_t *)(p->base + ((e & leaf_oa_mask(gc, 3)) - p->pa_base));
            idx = (ipa >> level_shift(gc, l + 1)) & ((1ull << bits_per_level(gc)) - 1);
        }
        t->dl_ptep[k] = &pt[idx];
    }
}

/* The hardware way: write-protect (timed), the guest's writes set
 * S2AP[1] on their leaves as the CPU would (not timed: no software runs
 * for them), then the collection (timed). */
static void run_dl_hw(struct tctx *t)
{
    uint64_t t0 = now_ns();
    int ret = pgt_s2_wrprotect(&t->pgt, 0, GiB);
    uint64_t t1 = now_ns();
    if (ret) {
        t->err = ret;
        return;
    }
    for (size_t k = 0; k < t->dl_n; k++)
        __atomic_or_fetch(t->dl_ptep[k], PGT_S2_S2AP_W, __ATOMIC_RELAXED);
    uint64_t t2 = now_ns();
    int64_t n = pgt_s2_test_clear_dirty(&t->pgt, 0, GiB, dl_report, t);
    if (n < 0) {
        t->err = (int)n;
        return;
    }
    dl_collect(t);
    uint64_t t3 = now_ns();
    t->self_timed = true;
    t->self_ns = (t1 - t0) + (t3 - t2);
}

/* The collected pages are exactly the written ones, the log is empty
 * again, and each page's write permission is what the way leaves: the
 * written pages writable (software way), or every page writable-clean
 * with DBM (hardware way). */
static void check_dl(struct tctx *t, struct result *r)
{
    bool hw = t->pgt.flags & PGT_S2_HW_DIRTY;
    size_t k = 0;

    if (t->dl_nout != t->dl_n) {
        bench_fail(r, "%zu dirty pages collected, %zu written", t->dl_nout,
                   t->dl_n);
        return;
    }
    for (size_t i = 0; i < t->dl_n; i++)
        if (t->dl_out[i] != t->dl_ipa[i]) {
            bench_fail(r, "dirty page %zu: %#llx collected, %#llx written", i,
                       (unsigned long long)t->dl_out[i],
                       (unsigned long long)t->dl_ipa[i]);
            return;
        }
    for (uint64_t w = 0; w < DL_WORDS; w++)
        if (t->dl_bits[w]) {
            bench_fail(r, "the dirty log is not empty after the collection");
            return;
        }
    for (uint64_t ipa = 0; ipa < GiB; ipa += SZ_4K) {
        pgt_pte_t pte = 0;
        int level = -9;
        bool written = k < t->dl_n && t->dl_ipa[k] == ipa;
        k += written;
        bool want_w = written && !hw;
        if (pgt_get_leaf(&t->pgt, ipa, &pte, &level) ||
            !leaf_ok(t->gc, pte, level, 3, ipa + SZ_4K) ||
            !!(pte & PGT_S2_S2AP_W) != want_w || !!(pte & PGT_PTE_DBM) != hw) {
            bench_fail(r, "IPA %#llx (%s): pte %#llx", (unsigned long long)ipa,
                       written ? "written" : "not written",
                       (unsigned long long)pte);
            return;
        }
    }
}

static uint64_t units_dl(struct tctx *t)
{
    (void)t;
    return DL_PAGES;
}

/* ---- stage 1 (EL2) ---- */

static void s1_setup(struct tctx *t)
{
    int ret = pgt_hyp_init(&t->pgt, S1_VA_BITS, t->gc->g, t->ops,
                            bpool_mm_ctx(t->ops));
    if (ret)
        t->err = ret;
}

static void s1_teardown(struct tctx *t)
{
    pgt_hyp_destroy(&t->pgt);
}

static void run_f(struct tctx *t)
{
    int ret = pgt_hyp_map(&t->pgt, HYP_VA_BASE, GiB,
                          HYP_VA_BASE + t->gc->gran, PGT_PROT_RW);
    if (ret)
        t->err = ret;
}

static void setup_f_mapped(struct tctx *t)
{
    s1_setup(t);
    if (!t->err)
        run_f(t);
}

static void run_f2(struct tctx *t)
{
    int64_t ret = pgt_hyp_unmap(&t->pgt, HYP_VA_BASE, GiB);
    if (ret != (int64_t)GiB)
        t->err = ret < 0 ? (int)ret : -1;
}

static void check_f(struct tctx *t, struct result *r)
{
    const struct gcfg *gc = t->gc;
    uint64_t g = gc->gran;
    for (uint64_t va = HYP_VA_BASE; va < HYP_VA_BASE + GiB; va += g) {
        pgt_pte_t pte = 0;
        int level = -9;
        if (pgt_get_leaf(&t->pgt, va, &pte, &level) ||
            !leaf_ok(gc, pte, level, 3, va + g)) {
            bench_fail(r, "VA %#llx: level %d pte %#llx",
                       (unsigned long long)va, level,
                       (unsigned long long)pte);
            return;
        }
    }
    /* [1 GiB, 2 GiB) is aligned to every level above the last two. */
    uint64_t want = 1 + tables_for_range(gc, s1_start_level(gc), GiB);
    if (pool_used(t) != want)
        bench_fail(r, "%zu table pages in use, expected %llu", pool_used(t),
                   (unsigned long long)want);
}

static void check_f2(struct tctx *t, struct result *r)
{
    uint64_t g = t->gc->gran;
    for (uint64_t va = HYP_VA_BASE; va < HYP_VA_BASE + GiB; va += 64 * g) {
        pgt_pte_t pte = 0;
        int level;
        if (pgt_get_leaf(&t->pgt, va, &pte, &level) ||
            (pte & PGT_PTE_VALID)) {
            bench_fail(r, "VA %#llx still valid", (unsigned long long)va);
            return;
        }
    }
    if (pool_used(t) != 1)
        bench_fail(r, "%zu table pages left after f2, expected 1",
                   pool_used(t));
}

/* ---- floors ---- */

/* Stage-2 leaf/table bits the floors write: any constant will do, the
 * floor measures stores, not encoding. */
#define FLOOR_LEAF_ATTRS (PGT_PTE_VALID | PGT_PTE_AF | PGT_S2_S2AP_R | \
                          PGT_S2_S2AP_W | (3ull << PGT_PTE_SH_SHIFT) | \
                          (PGT_S2_MEMATTR_NORMAL_WB << PGT_S2_MEMATTR_SHIFT))
#define FLOOR_TABLE (PGT_PTE_VALID | PGT_PTE_TYPE)

/*
 * G: zero as many table pages as (a) needs and write as many descriptors,
 * in a plain loop: each last-level table is zeroed and filled with page
 * descriptors, each upper table zeroed and given its table descriptors.
 * Pages are the pool's, taken in the order zalloc_page would hand them out.
 */
static uint64_t floor_g_run(struct tctx *t)
{
    const struct gcfg *gc = t->gc;
    struct bpool *p = &t->pool;
    uint64_t g = gc->gran, ppt = g / 8;
    uint64_t nleaves = GiB / g;
    uint64_t ntables = tables_for_range(gc, gc->s2_start, GiB);
    uint64_t nlast = (nleaves + ppt - 1) / ppt;
    size_t first = p->exact_pages;
    uint64_t pa = g;
    pgt_pte_t *root = bpool_page(p, 0);

    for (uint64_t tbl = 0; tbl < nlast; tbl++) {
        pgt_pte_t *pt = bpool_page(p, first + tbl);
        memset(pt, 0, g);
        uint64_t n = nleaves - tbl * ppt < ppt ? nleaves - tbl * ppt : ppt;
        for (uint64_t i = 0; i < n; i++, pa += g)
            pt[i] = pa | FLOOR_LEAF_ATTRS | PGT_PTE_TYPE;
    }
    /* The upper tables (and the root) get one table descriptor per child. */
    uint64_t child = 0;
    for (uint64_t tbl = nlast; tbl < ntables; tbl++) {
        pgt_pte_t *pt = bpool_page(p, first + tbl);
        memset(pt, 0, g);
        for (uint64_t i = 0; i < nlast && i < ppt; i++, child++)
            pt[i] = (p->pa_base + (first + child) * g) | FLOOR_TABLE;
    }
    for (uint64_t i = 0; i < (ntables > nlast ? 1 : nlast); i++)
        root[i] = (p->pa_base + (first + ntables - 1 - i) * g) | FLOOR_TABLE;
    return ntables;
}

/* Gd: the table (d) builds, by a minimal radix insert, cold pages. */
static uint64_t floor_gd_run(struct tctx *t)
{
    const struct gcfg *gc = t->gc;
    struct bpool *p = &t->pool;
    uint64_t g = gc->gran;
    unsigned bpl = bits_per_level(gc);
    uint64_t mask = (1ull << bpl) - 1;
    size_t next = p->exact_pages;
    pgt_pte_t *root = bpool_page(p, 0);
    uint64_t root_entries = 1ull << (gc->ia_bits - level_shift(gc, gc->s2_start));

    memset(root, 0, root_entries * 8);
    for (size_t k = 0; k < t->d_n; k++) {
        uint64_t ipa = t->d_ipa[k];
        pgt_pte_t *pt = root;
        uint64_t idx = (ipa >> level_shift(gc, gc->s2_start)) & (root_entries - 1);
        for (int l = gc->s2_start; l < 3; l++) {
            if (!pt[idx]) {
                uint8_t *np = bpool_page(p, next++);
                memset(np, 0, g);
                pt[idx] = (p->pa_base + (uint64_t)(np - p->base)) | FLOOR_TABLE;
            }
            pt = (pgt_pte_t *)(p->base + ((pt[idx] & ~(g - 1) & ((1ull << 48) - 1)) -
                                          p->pa_base));
            idx = (ipa >> level_shift(gc, l + 1)) & mask;
        }
        pt[idx] = (ipa + g) | FLOOR_LEAF_ATTRS | PGT_PTE_TYPE;
    }
    return next - p->exact_pages;
}

/*
 * Gd2: the floor for (d2). Untimed prep builds (d)'s radix with a count of
 * entries per table page; the timed part walks to each leaf in (d2)'s
 * order, clears it, and unlinks each table whose count drops to zero.
 */
static void floor_gd2_prep(struct tctx *t)
{
    const struct gcfg *gc = t->gc;
    struct bpool *p = &t->pool;
    uint64_t g = gc->gran, mask = (1ull << bits_per_level(gc)) - 1;
    size_t next = p->exact_pages;
    pgt_pte_t *root = bpool_page(p, 0);
    uint64_t root_entries = 1ull << (gc->ia_bits - level_shift(gc, gc->s2_start));

    if (!t->fcnt) {
        t->fcnt = calloc(p->nr, sizeof(*t->fcnt));
        if (!t->fcnt)
            exit(2);
    }
    memset(t->fcnt, 0, p->nr * sizeof(*t->fcnt));
    memset(root, 0, root_entries * 8);
    for (size_t k = 0; k < t->d_n; k++) {
        uint64_t ipa = t->d_ipa[k];
        pgt_pte_t *pt = root;
        uint64_t idx = (ipa >> level_shift(gc, gc->s2_start)) & (root_entries - 1);
        for (int l = gc->s2_start; l < 3; l++) {
            if (!pt[idx]) {
                uint8_t *np = bpool_page(p, next++);
                memset(np, 0, g);
                pt[idx] = (p->pa_base + (uint64_t)(np - p->base)) | FLOOR_TABLE;
                t->fcnt[((uint8_t *)pt - p->base) >> p->gran_shift]++;
            }
            pt = (pgt_pte_t *)(p->base + ((pt[idx] & ~(g - 1) & ((1ull << 48) - 1)) -
                                          p->pa_base));
            idx = (ipa >> level_shift(gc, l + 1)) & mask;
        }
        pt[idx] = (ipa + g) | FLOOR_LEAF_ATTRS | PGT_PTE_TYPE;
        t->fcnt[((uint8_t *)pt - p->base) >> p->gran_shift]++;
    }
}

static uint64_t floor_gd2_run(struct tctx *t)
{
    const struct gcfg *gc = t->gc;
    struct bpool *p = &t->pool;
    uint64_t g = gc->gran, mask = (1ull << bits_per_level(gc)) - 1;
    pgt_pte_t *root = bpool_page(p, 0);
    uint64_t root_entries = 1ull << (gc->ia_bits - level_shift(gc, gc->s2_start));
    pgt_pte_t *path[PGT_MAX_LEVELS];
    int depth = 3 - gc->s2_start;

    for (size_t k = 0; k < t->d_n; k++) {
        uint64_t ipa = t->d_ipa2[k];
        pgt_pte_t *pt = root;
        uint64_t idx = (ipa >> level_shift(gc, gc->s2_start)) & (root_entries - 1);
        for (int l = gc->s2_start; l < 3; l++) {
            path[l - gc->s2_start] = &pt[idx];
            pt = (pgt_pte_t *)(p->base + ((pt[idx] & ~(g - 1) & ((1ull << 48) - 1)) -
                                          p->pa_base));
            idx = (ipa >> level_shift(gc, l + 1)) & mask;
        }
        pt[idx] = 0;
        /* Unlink the tables left empty, bottom up. */
        for (int d = depth; d > 0; d--) {
            if (--t->fcnt[((uint8_t *)pt - p->base) >> p->gran_shift])
                break;
            pgt_pte_t *pe = path[d - 1];
            *pe = 0;
            pt = (pgt_pte_t *)((uintptr_t)pe & ~(uintptr_t)(g - 1));
        }
    }
    return t->d_n;
}

/* Ge: run_e's loop over the call floor instead of pgt_get_leaf(). */
static uint64_t floor_ge_run(struct tctx *t)
{
    uint64_t g = t->gc->gran;
    struct call_floor cf;

    call_floor_init(&cf, GiB, g, FLOOR_LEAF_ATTRS | PGT_PTE_TYPE);
    sink = bench_call_floor_loop(&cf, GiB, g);
    return 0;
}

static void floor_scen(struct tctx *t, struct result *r,
                       uint64_t (*fn)(struct tctx *t), bool flush,
                       uint64_t units)
{
    for (int rep = 0; rep < bopt.reps; rep++) {
        if (flush)
            cache_flush();
        uint64_t t0 = now_ns();
        uint64_t n = fn(t);
        uint64_t t1 = now_ns();
        result_add_sample(r, (double)(t1 - t0));
        r->table_pages = n;
        r->peak_bytes = n * t->gc->gran;
    }
    r->units = units;
    result_finish(r);
}

/* A floor and how it runs: @prep (untimed) builds what @run needs. */
struct floor {
    const char *id, *desc, *unit;
    uint64_t (*run)(struct tctx *t);
    void (*prep)(struct tctx *t);
    bool flush; /* evict the caches before each run */
};

static const struct floor floor_g = {
    "G", "floor for (a): zero tables + write descs", "4KiB", floor_g_run,
    NULL, false};
static const struct floor floor_gd = {
    "Gd", "floor for (d): radix insert, cold", "call", floor_gd_run, NULL,
    true};
static const struct floor floor_gd2 = {
    "Gd2", "floor for (d2): radix clear + unlink", "call", floor_gd2_run,
    floor_gd2_prep, true};
static const struct floor floor_ge = {
    "Ge", "floor for (e): the call, no walk", "call", floor_ge_run, NULL,
    false};

/* Floor @f of @units units, timed right before each run of scenario
 * @with (run_rep()), so that both see the same machine noise. When @with
 * is left out it runs on its own, or not at all if it has a prep (its
 * runs are only set up between @with's). floor_end() after @with. */
static void floor_begin(struct tctx *t, const struct floor *f,
                        const char *with, uint64_t units)
{
    const char *shape = t->gc->name;
    bool paired = scenario_wanted_at(with, shape);

    if (!scenario_wanted_at(f->id, shape) || (f->prep && !paired))
        return;
    struct result *r = result_new(f->id, shape, f->desc, f->unit);
    r->units = units;
    if (!paired) {
        floor_scen(t, r, f->run, f->flush, units);
        return;
    }
    t->pair_r = r;
    t->pair_fn = f->run;
    t->pair_prep = f->prep;
    t->pair_flush = f->flush;
}

static void floor_end(struct tctx *t)
{
    if (!t->pair_fn)
        return;
    result_finish(t->pair_r);
    t->pair_fn = NULL;
    t->pair_prep = NULL;
}

/* (d)'s IPAs: distinct, page aligned, spread over [0, d_span). A
 * xorshift-multiply mix of the index is a bijection on numbers of the
 * span's page-number width. */
static void make_d_ipas(struct tctx *t, size_t n)
{
    unsigned bits = 0;
    while ((1ull << bits) < t->gc->d_span / t->gc->gran)
        bits++;
    uint64_t m = (1ull << bits) - 1;
    t->d_n = n;
    t->d_ipa = malloc(n * sizeof(uint64_t));
    t->d_ipa2 = malloc(n * sizeof(uint64_t));
    if (!t->d_ipa || !t->d_ipa2)
        exit(2);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (uint64_t)i ^ 0x5bd1e995ull;
        x &= m;
        for (int round = 0; round < 3; round++) {
            x ^= x >> (bits / 2);
            x = (x * 0x9e3779b97f4a7c15ull) & m; /* odd multiplier */
            x ^= x >> (bits / 3 + 1);
        }
        t->d_ipa[i] = x * t->gc->gran;
    }
    memcpy(t->d_ipa2, t->d_ipa, n * sizeof(uint64_t));
    shuffle_u64(t->d_ipa2, n, 0xd2d2d2d2ull);
}

/* ---- the table of scenarios ---- */

static const struct scen s_a = {
    "a", "s2 map 1GiB as pages, one call", "4KiB",
    s2_setup, run_a, s2_teardown, check_pages_mapped, units_4k, false, false, NULL, 0 };
static const struct scen s_a_cont = {
    "a-cont", "(a) with every run aligned: contiguous hint", "4KiB",
    s2_setup, run_a_cont, s2_teardown, check_pages_cont, units_4k, false,
    false, NULL, 0 };
static const struct scen s_a_nc = {
    "a-nc", "(a-cont) on a PGT_NO_CONT table", "4KiB",
    s2_setup, run_a_cont, s2_teardown, check_pages_cont, units_4k, false,
    false, NULL, PGT_NO_CONT };
static const struct scen s_a2 = {
    "a2", "s2 map 1GiB, one call per page", "call",
    s2_setup, run_a2, s2_teardown, check_pages_mapped, units_pages, false, false, NULL, 0 };
static const struct scen s_b = {
    "b", "s2 map 1GiB as 2MiB blocks, one call", "call",
    s2_setup, run_b, s2_teardown, check_blocks, units_one, false, false, NULL, 0 };
static const struct scen s_c = {
    "c", "s2 unmap the 1GiB of (a), one call", "4KiB",
    setup_mapped, run_c, s2_teardown, check_s2_unmapped, units_4k, false, true, NULL, 0 };
static const struct scen s_c2 = {
    "c2", "s2 unmap the 1GiB of (a), one call per page", "call",
    setup_mapped, run_c2, s2_teardown, check_s2_unmapped, units_pages, false,
    true, NULL, 0 };
static const struct scen s_d = {
    "d", "s2 65536 one-page maps, random IPAs in 512GiB", "call",
    s2_setup, run_d, s2_teardown, check_d, units_d, true, false, NULL, 0 };
static const struct scen s_d2 = {
    "d2", "s2 unmap (d) in another random order", "call",
    setup_d_mapped, run_d2, s2_teardown, check_d2, units_d, true, true, NULL, 0 };
static const struct scen s_e = {
    "e", "get_leaf of every page of (a)", "call",
    setup_mapped, run_e, s2_teardown, check_e, units_pages, false, true, NULL, 0 };
static const struct scen s_f = {
    "f", "s1 hyp map 1GiB as pages, one call", "4KiB",
    s1_setup, run_f, s1_teardown, check_f, units_4k, false, false, NULL, 0 };
static const struct scen s_f2 = {
    "f2", "s1 hyp unmap the 1GiB of (f), one call", "4KiB",
    setup_f_mapped, run_f2, s1_teardown, check_f2, units_4k, false, true, NULL, 0 };

static const struct scen s_wp = {
    "wp", "s2 wrprotect the 1GiB of (a)", "4KiB",
    setup_wp, run_wp, s2_teardown, check_wp, units_4k, false, true, NULL, 0 };
static const struct scen s_wp_nr = {
    "wp-nr", "(wp) without tlbi_range", "4KiB",
    setup_wp, run_wp, s2_teardown, check_wp, units_4k, false, true,
    &bpool_nr_ops, 0 };
static const struct scen s_dl = {
    "dl", "dirty-log cycle: wrprotect, relax 1%, collect", "4KiB",
    setup_dl, run_dl, s2_teardown, check_dl, units_dl, false, true,
    &bpool_nr_ops, 0 };
static const struct scen s_dl_old = {
    "dl-old", "(dl) with a wrprotect visitor per leaf", "4KiB",
    setup_dl, run_dl_old, s2_teardown, check_dl, units_dl, false, true,
    &bpool_nr_ops, 0 };
static const struct scen s_dl_hw = {
    "dl-hw", "(dl) the hardware way: test_clear_dirty", "4KiB",
    setup_dl_hw, run_dl_hw, s2_teardown, check_dl, units_dl, false, true,
    &bpool_nr_ops, PGT_S2_HW_DIRTY };

/* A row for @s at @t's shape with up to four targets, compared with row
 * @cmp (or NULL); NULL when --only leaves it out. */
static struct result *scen_row(struct tctx *t, const struct scen *s,
                               const char *cmp, const struct target *tg,
                               int ntg)
{
    if (!scenario_wanted_at(s->name, t->gc->name))
        return NULL;
    struct result *r = result_new(s->name, t->gc->name, s->desc, s->unit);
    for (int i = 0; i < ntg && i < BENCH_MAX_TARGETS; i++)
        r->tgt[i] = tg[i];
    r->cmp = cmp;
    fprintf(stderr, "  %s@%s...\n", s->name, t->gc->name);
    return r;
}

static void scen_as(struct tctx *t, const struct scen *s, const char *id,
                    const char *desc, struct target t0, struct target t1,
                    struct target t2)
{
    if (!scenario_wanted_at(id, t->gc->name))
        return;
    struct result *r = result_new(id, t->gc->name, desc, s->unit);
    r->tgt[0] = t0;
    r->tgt[1] = t1;
    r->tgt[2] = t2;
    fprintf(stderr, "  %s@%s...\n", id, t->gc->name);
    run_scen(t, s, r);
}

static void scen(struct tctx *t, const struct scen *s, struct target t0,
                 struct target t1, struct target t2)
{
    scen_as(t, s, s->name, s->desc, t0, t1, t2);
}

#define NS(v) ((struct target){TGT_NS, (v)})
#define XG(v) ((struct target){TGT_X_G, (v)})
#define XGD(v) ((struct target){TGT_X_GD, (v)})
#define INFO(v) ((struct target){TGT_INFO, (v)})
#define XL(v) ((struct target){TGT_X_LINUX, (v)})
#define NONE ((struct target){TGT_NONE, 0})
#define XREF(v) ((struct target){TGT_X_REF, (v)})
#define TLBI(v) ((struct target){TGT_TLBI, (v)})

/* wrprotect of 1 GiB of pages: Linux 6.12 kvm_pgtable's ns per page on
 * this machine class, the bars (ns per page, times faster than Linux,
 * TLB-hook calls), and dl's bar against dl-old (times faster). */
#define LX_WP 3.8
#define WP_NS 1
#define XL_WP 3.5
#define WP_TLBI 5
#define DL_X_OLD 3

/* wp and wp-nr alternating; then dl, dl-old and dl-hw alternating. */
static void scen_wp_dl(struct tctx *t)
{
    const struct target wp_t[] = {NS(WP_NS), INFO(LX_WP), XL(XL_WP),
                                  TLBI(WP_TLBI)};
    const struct scen *wp[] = {&s_wp, &s_wp_nr};
    struct result *wr[] = {scen_row(t, &s_wp, NULL, wp_t, 4),
                           scen_row(t, &s_wp_nr, NULL, wp_t, 4)};
    run_alternating(t, wp, wr, 2);

    const struct target dl_t[] = {XREF(1.0 / DL_X_OLD)};
    const struct scen *dl[] = {&s_dl, &s_dl_old, &s_dl_hw};
    struct result *dr[] = {scen_row(t, &s_dl, "dl-old", dl_t, 1),
                           scen_row(t, &s_dl_old, NULL, NULL, 0),
                           scen_row(t, &s_dl_hw, "dl-old", NULL, 0)};
    run_alternating(t, dl, dr, 3);
}

/* The map with the contiguous hint: at most 1.2x the same map without. */
#define CONT_X 1.2

static void scen_a_cont(struct tctx *t)
{
    const struct target ct[] = {XREF(CONT_X)};
    const struct scen *s[] = {&s_a_cont, &s_a_nc};
    struct result *r[] = {scen_row(t, &s_a_cont, "a-nc", ct, 1),
                          scen_row(t, &s_a_nc, NULL, NULL, 0)};
    run_alternating(t, s, r, 2);
}

/* Bars for the one-page calls: times faster than Linux at every shape. */
#define XL_A2 5
#define XL_C2 4
#define XL_D2 2.5
#define XL_E 5

#define SHAPE(NAME, G, IA, OA, POOL, SETS, ...)                          \
    {.name = NAME, .g = PGT_GRANULE_##G, .gran = SZ_##G, .ia_bits = IA,   \
     .oa_bits = OA, .pool_pages = POOL, .sets = SETS,                     \
     .linux_ns = {__VA_ARGS__}}
#define SZ_16K 16384ull
#define SZ_64K 65536ull

static struct gcfg gcfgs[] = {
    SHAPE("4K/40", 4K, 40, 40, 72 * 1024, SET_BULK | SET_FULL | SET_SHAPE,
          34.4, 27.8, 180, 16.2),
    SHAPE("16K/40", 16K, 40, 40, 512, SET_BULK, 0),
    SHAPE("64K/40", 64K, 40, 40, 128, SET_BULK, 0),
    SHAPE("4K/48", 4K, 48, 48, 0, SET_SHAPE, 42.1, 37.1, 235, 20.0),
    SHAPE("4K/36", 4K, 36, 48, 0, SET_SHAPE, 35.3, 30.8, 162, 15.7),
    SHAPE("16K/47", 16K, 47, 48, 0, SET_SHAPE, 33.9, 26.7, 247, 15.8),
    SHAPE("64K/42", 64K, 42, 48, 0, SET_SHAPE, 27.5, 21.6, 135, 11.8),
};

const char *const bench_shapes[] = {"4K/40", "4K/48", "4K/36", "16K/47",
                                    "64K/42"};
const int bench_nshapes = sizeof(bench_shapes) / sizeof(bench_shapes[0]);

/* Scenario ids each set runs (to skip a shape --only leaves empty). */
static const char *const ids_bulk[] = {"G", "a", "a-cont", "a-nc",
                                       "c", "Ge", "e", "f"};
static const char *const ids_full[] = {"a2", "b", "c2", "Gd", "d", "Gd2",
                                       "d2", "f2", "wp", "wp-nr", "dl",
                                       "dl-old", "dl-hw", "a-hp", "c-hp",
                                       "d-hp", "d2-hp"};
static const char *const ids_shape[] = {"a2", "c2", "Gd", "d", "Gd2", "d2",
                                        "Ge", "e", "a2-nh", "c2-nh", "d-nh",
                                        "d2-nh", "e-nh"};

static bool any_wanted(const struct gcfg *gc, const char *const *ids,
                       size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (scenario_wanted_at(ids[i], gc->name))
            return true;
    return false;
}

#define ANY_WANTED(gc, ids) any_wanted(gc, ids, sizeof(ids) / sizeof(ids[0]))

static bool shape_wanted(const struct gcfg *gc)
{
    return ((gc->sets & SET_BULK) && ANY_WANTED(gc, ids_bulk)) ||
           ((gc->sets & SET_FULL) && ANY_WANTED(gc, ids_full)) ||
           ((gc->sets & SET_SHAPE) && ANY_WANTED(gc, ids_shape));
}

/* Pool pages for the one-page scenarios: (a)'s tables, or at most one
 * table per (d) IPA and level below the root, whichever is more. */
static size_t shape_pool_pages(const struct gcfg *gc, size_t d_n)
{
    uint64_t d = 0;
    for (int l = 3; l > gc->s2_start; l--) {
        uint64_t span = 1ull << (level_shift(gc, l) + bits_per_level(gc));
        uint64_t n = (gc->d_span + span - 1) / span;
        d += n < d_n ? n : d_n;
    }
    uint64_t a = tables_for_range(gc, gc->s2_start, GiB);
    return (size_t)((a > d ? a : d) + 64 + 32); /* + root, bpool's exact */
}

/* (d) and (d2) with the floors Gd and Gd2 timed right before each run. */
static void scen_d_d2(struct tctx *t, struct target d_t0, struct target d2_t0)
{
    const struct gcfg *gc = t->gc;
    const double *lx = gc->linux_ns;

    floor_begin(t, &floor_gd, "d", t->d_n);
    scen_as(t, &s_d, "d", gc->d_desc, d_t0, NONE, NONE);
    floor_end(t);
    floor_begin(t, &floor_gd2, "d2", t->d_n);
    scen(t, &s_d2, d2_t0, INFO(lx[LX_D2]), XL(XL_D2));
    floor_end(t);
}

/* (e) with its floor Ge timed right before each run. */
static void scen_e(struct tctx *t, struct target t0, struct target t1,
                   struct target t2)
{
    floor_begin(t, &floor_ge, "e", GiB / t->gc->gran);
    scen(t, &s_e, t0, t1, t2);
    floor_end(t);
}

static void bench_shape(struct gcfg *gc)
{
    bool bulk = gc->sets & SET_BULK, full = gc->sets & SET_FULL;
    bool one = gc->sets & SET_SHAPE;
    const double *lx = gc->linux_ns;
    size_t d_n = bopt.quick ? D_OPS / 4 : D_OPS;

    gc->s2_start = linux_s2_start(gc);
    gc->d_span = (1ull << gc->ia_bits) < D_SPAN_MAX ? 1ull << gc->ia_bits
                                                    : D_SPAN_MAX;
    snprintf(gc->d_desc, sizeof(gc->d_desc),
             "s2 65536 one-page maps, random IPAs in %lluGiB",
             (unsigned long long)(gc->d_span / GiB));
    if (!shape_wanted(gc))
        return;
    fprintf(stderr, "tables, %s (stage-2 start level %d)\n", gc->name,
            gc->s2_start);

    struct tctx *t = calloc(1, sizeof(*t));
    if (!t)
        exit(2);
    t->gc = gc;
    t->ops = &bpool_ops;
    bpool_init(&t->pool, gc->gran,
               gc->pool_pages ? gc->pool_pages : shape_pool_pages(gc, d_n),
               POOL_PA_BASE);
    bpool_use(&t->pool);

    if (bulk) {
        floor_begin(t, &floor_g, "a", GiB / SZ_4K);
        scen(t, &s_a, NS(2), XG(6), NONE);
        floor_end(t);
    }
    if (bulk)
        scen_a_cont(t);
    if (one)
        scen(t, &s_a2, full ? NS(15) : NONE, INFO(lx[LX_A2]), XL(XL_A2));
    if (full)
        scen(t, &s_b, INFO(7500), NONE, NONE);
    if (bulk)
        scen(t, &s_c, NS(1.5), NONE, NONE);
    if (one) {
        scen(t, &s_c2, full ? NS(10) : NONE, INFO(lx[LX_C2]), XL(XL_C2));
        make_d_ipas(t, d_n);
        scen_d_d2(t, full ? XGD(1.3) : NONE, full ? NS(100) : NONE);
    }
    scen_e(t, bulk ? NS(5) : NONE, one ? INFO(lx[LX_E]) : NONE,
           one ? XL(XL_E) : NONE);
    if (bulk)
        scen(t, &s_f, NS(2), NONE, NONE);
    if (full)
        scen(t, &s_f2, NS(1.5), NONE, NONE);
    if (full)
        scen_wp_dl(t);

    /* The one-page scenarios again with only the required hooks: what an
     * embedder gets without the linear map, count array and _n hooks. */
    if (one) {
        t->ops = &bpool_nh_ops;
        scen_as(t, &s_a2, "a2-nh", "(a2) without the mm_ops hints",
                INFO(lx[LX_A2]), NONE, NONE);
        scen_as(t, &s_c2, "c2-nh", "(c2) without the mm_ops hints",
                INFO(lx[LX_C2]), NONE, NONE);
        scen_as(t, &s_d, "d-nh", "(d) without the mm_ops hints", NONE, NONE,
                NONE);
        scen_as(t, &s_d2, "d2-nh", "(d2) without the mm_ops hints",
                INFO(lx[LX_D2]), NONE, NONE);
        scen_as(t, &s_e, "e-nh", "(e) without the mm_ops hints",
                INFO(lx[LX_E]), NONE, NONE);
        t->ops = &bpool_ops;
    }

    /* The same a, c, d, d2 with the library's hyp_pool as page source
     * (last: the hyp_pool takes over the bpool's memory). */
    if (full && (scenario_wanted_at("a-hp", gc->name) ||
                 scenario_wanted_at("c-hp", gc->name) ||
                 scenario_wanted_at("d-hp", gc->name) ||
                 scenario_wanted_at("d2-hp", gc->name))) {
        if (bpool_hyp_pool_init(&t->pool)) {
            fprintf(stderr, "pgt-bench: hyp_pool init failed\n");
            exit(2);
        }
        t->ops = &hpool_ops;
        scen_as(t, &s_a, "a-hp", "(a), tables from hyp_pool", NONE, NONE,
                NONE);
        scen_as(t, &s_c, "c-hp", "(c), tables from hyp_pool", NONE, NONE,
                NONE);
        scen_as(t, &s_d, "d-hp", "(d), tables from hyp_pool", NONE, NONE,
                NONE);
        scen_as(t, &s_d2, "d2-hp", "(d2), tables from hyp_pool", NONE, NONE,
                NONE);
    }

    free(t->d_ipa);
    free(t->d_ipa2);
    free(t->fcnt);
    free(t->dl_ipa);
    free(t->dl_out);
    free(t->dl_ptep);
    free(t->dl_bits);
    bpool_fini(&t->pool);
    free(t);
}

void bench_tables(void)
{
    for (size_t i = 0; i < sizeof(gcfgs) / sizeof(gcfgs[0]); i++)
        bench_shape(&gcfgs[i]);
}
