// SPDX-License-Identifier: MIT
/*
 * Translation-table scenarios of issue 6 and their plain-loop floors.
 *
 * Stage 2: 40-bit IPA, start level as Linux picks it for 40 bits (4K: level
 * 1 with two concatenated root pages; 16K: level 2, 16 pages; 64K: level 2,
 * one page), read-write, PGT_MAP_SKIP_DCACHE|SKIP_ICACHE (the output
 * addresses are not real memory). Stage 1: the EL2 regime, 48-bit VA.
 *
 *   a   map 1 GiB as pages in one call (PA = IPA + granule: no block fits)
 *   a2  the same in one-page calls
 *   b   map 1 GiB as 2 MiB blocks (PA 2 MiB but not 1 GiB aligned), 1 call
 *   c   unmap the 1 GiB of (a) in one call;  c2: in one-page calls
 *   d   65,536 one-page maps at distinct random IPAs over 512 GiB
 *   d2  unmap them in another random order
 *   e   get_leaf of every page of (a)
 *   f   stage-1 hyp map 1 GiB as pages, one call;  f2: unmap it
 *   G   floor for (a): zero the table pages (a) needs and write its
 *       descriptors in a plain loop;  Gd: the same for (d), cold pages
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define SZ_4K 4096ull
#define MAP_FLAGS (PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE)
#define S2_IA_BITS 40
#define S1_VA_BITS 48
#define HYP_VA_BASE (1ull << 30) /* f maps [1 GiB, 2 GiB) */
#define D_OPS 65536u
#define D_SPAN (512 * GiB)
#define POOL_PA_BASE 0xc000000000ull /* 768 GiB: table pages below 2^40 */

struct gcfg {
    const char *name;
    enum pgt_granule g;
    uint64_t gran;
    int s2_start;    /* Linux's choice for a 40-bit IPA */
    size_t pool_pages;
    bool full;       /* 4K: every scenario; others: a, c, e, f */
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

static unsigned level_shift(const struct gcfg *gc, int level)
{
    return (unsigned)gc->g + bits_per_level(gc) * (unsigned)(3 - level);
}

/* Root pages of the stage-2 table: entries at the start level * 8 bytes. */
static uint64_t s2_root_pages(const struct gcfg *gc)
{
    uint64_t entries = 1ull << (S2_IA_BITS - level_shift(gc, gc->s2_start));
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
};

static void run_scen(struct tctx *t, const struct scen *s, struct result *r)
{
    for (int rep = 0; rep < bopt.reps; rep++) {
        t->err = 0;
        if (pool_used(t) == 0 && t->ops == &bpool_ops)
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
            return;
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
            return;
        }
        result_add_sample(r, (double)(t1 - t0));
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
    }
    result_finish(r);
}

/* ---- stage 2 ---- */

static void s2_setup(struct tctx *t)
{
    struct pgt_s2_cfg cfg = {
        .granule = t->gc->g,
        .ia_bits = S2_IA_BITS,
        .oa_bits = S2_IA_BITS,
        .start_level = t->gc->s2_start,
        .geom_flags = PGT_GEOM_CONCAT,
        .flags = 0,
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
    uint64_t root_entries = 1ull << (S2_IA_BITS - level_shift(gc, gc->s2_start));

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
    uint64_t root_entries = 1ull << (S2_IA_BITS - level_shift(gc, gc->s2_start));

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
    uint64_t root_entries = 1ull << (S2_IA_BITS - level_shift(gc, gc->s2_start));
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

/* (d)'s IPAs: distinct, page aligned, spread over [0, 512 GiB). A
 * xorshift-multiply mix of the index is a bijection on 27-bit numbers. */
static void make_d_ipas(struct tctx *t, size_t n)
{
    unsigned bits = 0;
    while ((1ull << bits) < D_SPAN / t->gc->gran)
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
    s2_setup, run_a, s2_teardown, check_pages_mapped, units_4k, false, false };
static const struct scen s_a2 = {
    "a2", "s2 map 1GiB, one call per page", "call",
    s2_setup, run_a2, s2_teardown, check_pages_mapped, units_pages, false, false };
static const struct scen s_b = {
    "b", "s2 map 1GiB as 2MiB blocks, one call", "call",
    s2_setup, run_b, s2_teardown, check_blocks, units_one, false, false };
static const struct scen s_c = {
    "c", "s2 unmap the 1GiB of (a), one call", "4KiB",
    setup_mapped, run_c, s2_teardown, check_s2_unmapped, units_4k, false, true };
static const struct scen s_c2 = {
    "c2", "s2 unmap the 1GiB of (a), one call per page", "call",
    setup_mapped, run_c2, s2_teardown, check_s2_unmapped, units_pages, false,
    true };
static const struct scen s_d = {
    "d", "s2 65536 one-page maps, random IPAs in 512GiB", "call",
    s2_setup, run_d, s2_teardown, check_d, units_d, true, false };
static const struct scen s_d2 = {
    "d2", "s2 unmap (d) in another random order", "call",
    setup_d_mapped, run_d2, s2_teardown, check_d2, units_d, true, true };
static const struct scen s_e = {
    "e", "get_leaf of every page of (a)", "call",
    setup_mapped, run_e, s2_teardown, check_e, units_pages, false, true };
static const struct scen s_f = {
    "f", "s1 hyp map 1GiB as pages, one call", "4KiB",
    s1_setup, run_f, s1_teardown, check_f, units_4k, false, false };
static const struct scen s_f2 = {
    "f2", "s1 hyp unmap the 1GiB of (f), one call", "4KiB",
    setup_f_mapped, run_f2, s1_teardown, check_f2, units_4k, false, true };

static void scen_as(struct tctx *t, const struct scen *s, const char *id,
                    const char *desc, bool avail, struct target t0,
                    struct target t1)
{
    if (!scenario_wanted(id))
        return;
    struct result *r = result_new(id, t->gc->name, desc, s->unit);
    r->tgt[0] = t0;
    r->tgt[1] = t1;
    if (!avail) {
        r->skip = "library function missing";
        return;
    }
    fprintf(stderr, "  %s/%s...\n", id, t->gc->name);
    run_scen(t, s, r);
}

static void scen(struct tctx *t, const struct scen *s, bool avail,
                 struct target t0, struct target t1)
{
    scen_as(t, s, s->name, s->desc, avail, t0, t1);
}

#define NS(v) ((struct target){TGT_NS, (v)})
#define XG(v) ((struct target){TGT_X_G, (v)})
#define XGD(v) ((struct target){TGT_X_GD, (v)})
#define INFO(v) ((struct target){TGT_INFO, (v)})
#define NONE ((struct target){TGT_NONE, 0})

static const struct gcfg gcfgs[] = {
    {"4K", PGT_GRANULE_4K, 4096, 1, 72 * 1024, true},
    {"16K", PGT_GRANULE_16K, 16384, 2, 512, false},
    {"64K", PGT_GRANULE_64K, 65536, 2, 128, false},
};

static void bench_granule(const struct gcfg *gc)
{
    struct tctx *t = calloc(1, sizeof(*t));
    if (!t)
        exit(2);
    t->gc = gc;
    t->ops = &bpool_ops;
    bpool_init(&t->pool, gc->gran, gc->pool_pages, POOL_PA_BASE);
    bpool_use(&t->pool);
    bool s2 = true, s1 = true;

    if (scenario_wanted("G")) {
        struct result *r = result_new("G", gc->name,
                                      "floor for (a): zero tables + write descs",
                                      "4KiB");
        r->units = GiB / SZ_4K;
        if (scenario_wanted("a")) {
            /* Interleaved with (a)'s runs. */
            t->pair_fn = floor_g_run;
            t->pair_r = r;
            t->pair_flush = false;
        } else {
            floor_scen(t, r, floor_g_run, false, GiB / SZ_4K);
        }
    }
    scen(t, &s_a, s2, NS(2), XG(6));
    if (t->pair_fn) {
        result_finish(t->pair_r);
        t->pair_fn = NULL;
    }
    if (gc->full) {
        scen(t, &s_a2, s2, NS(15), NONE);
        scen(t, &s_b, s2, INFO(7500), NONE);
    }
    scen(t, &s_c, s2, NS(1.5), NONE);
    if (gc->full) {
        scen(t, &s_c2, s2, NS(10), NONE);
        make_d_ipas(t, bopt.quick ? D_OPS / 4 : D_OPS);
        if (scenario_wanted("Gd")) {
            struct result *r = result_new("Gd", gc->name,
                                          "floor for (d): radix insert, cold",
                                          "call");
            r->units = t->d_n;
            if (scenario_wanted("d")) {
                t->pair_fn = floor_gd_run;
                t->pair_r = r;
                t->pair_flush = true;
            } else {
                floor_scen(t, r, floor_gd_run, true, t->d_n);
            }
        }
        scen(t, &s_d, s2, XGD(1.3), NONE);
        if (t->pair_fn) {
            result_finish(t->pair_r);
            t->pair_fn = NULL;
        }
        if (scenario_wanted("Gd2") && scenario_wanted("d2")) {
            t->pair_r = result_new("Gd2", gc->name,
                                   "floor for (d2): radix clear + unlink",
                                   "call");
            t->pair_r->units = t->d_n;
            t->pair_prep = floor_gd2_prep;
            t->pair_fn = floor_gd2_run;
            t->pair_flush = true;
        }
        scen(t, &s_d2, s2, NS(100), NONE);
        if (t->pair_fn) {
            result_finish(t->pair_r);
            t->pair_fn = NULL;
            t->pair_prep = NULL;
        }
    }
    scen(t, &s_e, s2, NS(5), NONE);
    scen(t, &s_f, s1, NS(2), NONE);
    if (gc->full)
        scen(t, &s_f2, s1, NS(1.5), NONE);

    /* The same a, c, d, d2 with the library's hyp_pool as page source
     * (last: the hyp_pool takes over the bpool's memory). */
    if (gc->full && (scenario_wanted("a-hp") || scenario_wanted("c-hp") ||
                     scenario_wanted("d-hp") || scenario_wanted("d2-hp"))) {
        if (bpool_hyp_pool_init(&t->pool)) {
            fprintf(stderr, "pgt-bench: hyp_pool init failed\n");
            exit(2);
        }
        t->ops = &hpool_ops;
        scen_as(t, &s_a, "a-hp", "(a), tables from hyp_pool", s2, NONE, NONE);
        scen_as(t, &s_c, "c-hp", "(c), tables from hyp_pool", s2, NONE, NONE);
        scen_as(t, &s_d, "d-hp", "(d), tables from hyp_pool", s2, NONE, NONE);
        scen_as(t, &s_d2, "d2-hp", "(d2), tables from hyp_pool", s2, NONE,
                NONE);
    }

    free(t->d_ipa);
    free(t->d_ipa2);
    free(t->fcnt);
    bpool_fini(&t->pool);
    free(t);
}

void bench_tables(void)
{
    for (size_t i = 0; i < sizeof(gcfgs) / sizeof(gcfgs[0]); i++) {
        fprintf(stderr, "tables, %s granule\n", gcfgs[i].name);
        bench_granule(&gcfgs[i]);
    }
}
