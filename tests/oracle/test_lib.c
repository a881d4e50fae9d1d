// SPDX-License-Identifier: MIT
/*
 * libpgtable's tables on the emulated AArch64. For each configuration
 * (granule x regime x input-address size), the library builds tables in
 * the arena, the emulator walks them in place, and after every operation
 * orc_check() demands that each mapped page and a sample of unmapped
 * addresses translate as both pgt_get_leaf() and the reference model say
 * (fault kind and level, stage, PA, attributes, shareability), with loads
 * and stores through a sample of mappings.
 *
 * Each configuration runs a scripted sequence (page and block leaves,
 * splits by partial unmap/protect, set_owner, relax_perms, wrprotect,
 * split, mkold/mkyoung) and then a short random sequence; every failure
 * prints the configuration and seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "check.h"

#define ARENA_PA 0x80000000ull

/* Under ASan the host side of each check costs ~4x: there, "every page"
 * checks of huge blocks are sampled (the native build checks them all). */
#if defined(__SANITIZE_ADDRESS__)
#define ORC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ORC_SANITIZED 1
#endif
#endif
#ifndef ORC_SANITIZED
#define ORC_SANITIZED 0
#endif
#define FULL_CHECK_MAX (ORC_SANITIZED ? 65536 : 0)
#define GiB (1ull << 30)
#define MiB (1ull << 20)

/* Random operations per configuration (each followed by a check), and a
 * seed mixed into every configuration's seed. Override for longer or
 * different runs: ORACLE_RANDOM_OPS=1000 ORACLE_SEED=42 oracle-lib. A
 * failure prints the configuration and its seed; the same environment
 * replays it. */
static uint64_t seed_mix;
static unsigned random_ops = ORC_SANITIZED ? 8 : 16;

struct cfg {
    const char *name;
    enum pgt_regime regime;
    enum pgt_granule granule;
    unsigned ia_bits;
    int s2_start_level;   /* PGT_LEVEL_AUTO or a concatenated start */
    unsigned expect_root_pages;
    int expect_start_level;
    bool gib_block; /* 4K: also map (and check every page of) a 1G block */
    uint32_t s1_flags; /* stage 1: PGT_S1_UPPER, PGT_S1_ASID16 */
};

struct fx {
    const struct cfg *c;
    struct tmm mm;
    struct pgt pgt;       /* the table under test */
    struct pgt low;       /* upper-range configurations: a lower-range
                           * table holding the harness windows */
    bool has_low;
    uint64_t va_base;     /* pgt_ia_start(): the model holds offsets */
    struct ref ref;
    struct orc *o;
    struct orc_target t;
    uint64_t g;           /* granule size */
    uint64_t seed;
    unsigned step;
    size_t bad;
};

static bool is_s2(const struct fx *f)
{
    return f->c->regime == PGT_REGIME_S2;
}

/* The regimes with EL0 (USER mappings) and ASIDs (NG mappings). */
static bool two_el(const struct fx *f)
{
    return f->c->regime == PGT_REGIME_EL10 || f->c->regime == PGT_REGIME_EL20;
}

/* Size of a block at @level, or 0 if the geometry has no block there. */
static uint64_t block_size(const struct fx *f, int level)
{
    if (level < f->pgt.geom.start_level || level > 2 || level < 1)
        return 0; /* 4K level-0 blocks need LPA2 */
    if (f->c->granule != PGT_GRANULE_4K && level < 2)
        return 0; /* 16K: 64G blocks need LPA2; 64K: 4T blocks need LPA */
    return 1ull << (f->pgt.geom.granule_shift +
                    (f->pgt.geom.granule_shift - 3) * (unsigned)(3 - level));
}

/* Every mapped page when @all, else an even sample of at most 4096
 * (the 1G block alone is 262144 pages). */
static void check_n(struct fx *f, const char *what, bool all)
{
    char label[200];
    snprintf(label, sizeof(label), "%s step %u (%s) seed %#llx", f->c->name,
             f->step++, what, (unsigned long long)f->seed);
    struct orc_check_opts opt = {
        .what = label,
        .seed = f->seed + f->step,
        .unmapped = all ? 2048 : 1024,
        .mem = 48,
        .max_pages = all ? FULL_CHECK_MAX : 4096,
    };
    /* The library's own invariant check, after every operation too. */
    size_t bad = orc_check(&f->t, &f->ref, &opt) + orc_pgt_check(&f->pgt, label);
    if (bad)
        fprintf(stderr, "oracle: %s: %zu mismatches\n", label, bad);
    f->bad += bad;
}

static void check(struct fx *f, const char *what)
{
    check_n(f, what, false);
}

static void check_all(struct fx *f, const char *what)
{
    check_n(f, what, true);
}

/* --- operations applied to both the library and the model ------------- */

static void forget_levels(struct fx *f, uint64_t ia, uint64_t size)
{
    /* Anything may have been split around the range: leaf levels of the
     * enclosing largest blocks are no longer known to the model. */
    uint64_t b = block_size(f, 1);
    if (!b)
        b = block_size(f, 2);
    if (!b)
        b = f->g;
    uint64_t lo = ia & ~(b - 1), hi = (ia + size + b - 1) & ~(b - 1);
    ref_set_level(&f->ref, lo, hi - lo, ORC_ANY_LEVEL);
}

/*
 * Host stage 2 (PGT_S2_HOST): valid leaves are not counted, so a table
 * that an unmap or an owner-0 set_owner leaves without owner annotations
 * is freed with every identity mapping in it (s2.h / mm_ops.h: "identity
 * mappings can be dropped and re-faulted"). Model it: every table region
 * (the span of one table at each level below the root) that the cleared
 * range touches and that holds no owned page is dropped whole, largest
 * first. Table entries count too, so this holds only while no page-level
 * table survives outside the cleared range in such a region: the host
 * test below is arranged that way.
 */
static bool any_owned(const struct ref *m, uint64_t ia, uint64_t size)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct ref_region *r = &m->r[i];
        if (r->st == REF_OWNED && r->ia < ia + size && ia < r->ia + r->size)
            return true;
    }
    return false;
}

static void host_drop(struct fx *f, uint64_t ia, uint64_t size)
{
    if (!(f->pgt.flags & PGT_S2_HOST))
        return;
    for (int l = f->pgt.geom.start_level + 1; l <= 3; l++) {
        uint64_t rs = pgt_level_size(&f->pgt.geom, l - 1);
        for (uint64_t r = ia & ~(rs - 1); r < ia + size; r += rs)
            if (!any_owned(&f->ref, r, rs))
                ref_unmap(&f->ref, r, rs);
    }
}

static void op_map(struct fx *f, uint64_t ia, uint64_t size, uint64_t pa,
                   uint32_t prot, int level)
{
    int rc;
    if (is_s2(f))
        rc = pgt_s2_map(&f->pgt, ia, size, pa, prot, NULL, 0);
    else
        rc = pgt_s1_map(&f->pgt, f->va_base + ia, size, pa, prot);
    if (rc) {
        fprintf(stderr, "%s: map %#llx+%#llx -> %#llx prot %#x: %d\n",
                f->c->name, (unsigned long long)ia, (unsigned long long)size,
                (unsigned long long)pa, prot, rc);
        fail();
    }
    forget_levels(f, ia, size);
    ref_map(&f->ref, ia, size, pa, prot);
    ref_set_level(&f->ref, ia, size, level);
}

static void op_unmap(struct fx *f, uint64_t ia, uint64_t size)
{
    int64_t rc;
    if (is_s2(f))
        rc = pgt_s2_unmap(&f->pgt, ia, size, NULL);
    else
        rc = pgt_s1_unmap(&f->pgt, f->va_base + ia, size);
    if (rc < 0) {
        fprintf(stderr, "%s: unmap %#llx+%#llx: %lld\n", f->c->name,
                (unsigned long long)ia, (unsigned long long)size,
                (long long)rc);
        fail();
    }
    forget_levels(f, ia, size);
    ref_unmap(&f->ref, ia, size);
    host_drop(f, ia, size);
}

static void op_protect(struct fx *f, uint64_t ia, uint64_t size,
                       uint32_t perms)
{
    /* pgt_s1_protect wants the full prot (attributes unchanged): apply
     * it per model region, keeping each region's memory type, NS and NG. */
    for (size_t i = 0; i < f->ref.n; i++) {
        struct ref_region r = f->ref.r[i];
        if (r.st != REF_MAPPED)
            continue;
        uint64_t lo = r.ia > ia ? r.ia : ia;
        uint64_t hi = r.ia + r.size < ia + size ? r.ia + r.size : ia + size;
        if (lo >= hi)
            continue;
        uint32_t prot = (r.prot & (PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC |
                                   PGT_PROT_NS | PGT_PROT_NG)) |
                        perms;
        int rc = pgt_s1_protect(&f->pgt, f->va_base + lo, hi - lo, prot);
        if (rc) {
            fprintf(stderr, "%s: protect %#llx+%#llx prot %#x: %d\n",
                    f->c->name, (unsigned long long)lo,
                    (unsigned long long)(hi - lo), prot, rc);
            fail();
        }
        forget_levels(f, lo, hi - lo);
        ref_set_perms(&f->ref, lo, hi - lo, perms);
    }
}

static void op_owner(struct fx *f, uint64_t ia, uint64_t size, uint32_t id)
{
    int rc = pgt_s2_set_owner(&f->pgt, ia, size, NULL, id);
    if (rc) {
        fprintf(stderr, "%s: set_owner %#llx+%#llx %u: %d\n", f->c->name,
                (unsigned long long)ia, (unsigned long long)size, id, rc);
        fail();
    }
    forget_levels(f, ia, size);
    ref_set_owner(&f->ref, ia, size, id);
    if (!id)
        host_drop(f, ia, size);
}

/* relax_perms acts on the whole leaf at @ia: @leaf_size is its size as
 * the test knows it. */
static void op_relax(struct fx *f, uint64_t ia, uint64_t leaf_size,
                     uint32_t prot)
{
    int rc = pgt_s2_relax_perms(&f->pgt, ia, prot);
    if (rc) {
        fprintf(stderr, "%s: relax_perms %#llx %#x: %d\n", f->c->name,
                (unsigned long long)ia, prot, rc);
        fail();
    }
    uint64_t base = ia & ~(leaf_size - 1);
    ref_relax(&f->ref, base, leaf_size, prot);
}

static void op_wrprotect(struct fx *f, uint64_t ia, uint64_t size)
{
    int rc = pgt_s2_wrprotect(&f->pgt, ia, size);
    if (rc) {
        fprintf(stderr, "%s: wrprotect: %d\n", f->c->name, rc);
        fail();
    }
    /* Blocks partly inside the range lose W as a whole (the library
     * works on leaves): the scripted tests only pass leaf-aligned
     * ranges, so the model clears W on exactly the range. */
    ref_wrprotect(&f->ref, ia, size);
}

static void op_split(struct fx *f, uint64_t ia, uint64_t size)
{
    int rc = pgt_s2_split(&f->pgt, ia, size, NULL);
    if (rc) {
        fprintf(stderr, "%s: split: %d\n", f->c->name, rc);
        fail();
    }
    ref_set_level(&f->ref, ia, size, 3);
}

static void op_mkold(struct fx *f, uint64_t ia, uint64_t size)
{
    int rc = pgt_s2_test_clear_young(&f->pgt, ia, size, true);
    if (rc < 0) {
        fprintf(stderr, "%s: test_clear_young: %d\n", f->c->name, rc);
        fail();
    }
    ref_set_old(&f->ref, ia, size, true);
}

static void op_mkyoung(struct fx *f, uint64_t ia, uint64_t leaf_size)
{
    int rc = pgt_s2_mkyoung(&f->pgt, ia);
    if (rc) {
        fprintf(stderr, "%s: mkyoung: %d\n", f->c->name, rc);
        fail();
    }
    ref_set_old(&f->ref, ia & ~(leaf_size - 1), leaf_size, false);
}

/* --- fixture -------------------------------------------------------------- */

/* pgt_s2_cfg.flags for the next fx_init (the host stage-2 test). */
static uint32_t fx_s2_flags;

/* TCR TG0 / TG1 encodings of a granule (Arm ARM D19.2). */
static uint64_t tg0_of(enum pgt_granule g)
{
    return g == PGT_GRANULE_4K ? 0 : g == PGT_GRANULE_64K ? 1 : 2;
}

static uint64_t tg1_of(enum pgt_granule g)
{
    return g == PGT_GRANULE_4K ? 2 : g == PGT_GRANULE_16K ? 1 : 3;
}

/* Map a harness window identically, in the table under test (and the
 * model) or, for an upper-range table, in the lower-range companion. */
static void map_window(struct fx *f, uint64_t pa, uint64_t size,
                       uint32_t prot)
{
    if (!f->has_low) {
        op_map(f, pa, size, pa, prot, ORC_ANY_LEVEL);
        return;
    }
    assert_int_equal(pgt_s1_map(&f->low, pa, size, pa, prot), 0);
}

/* The EL0 aliases of the code and data windows (two-EL regimes). */
static void map_el0_aliases(struct fx *f)
{
    static const struct {
        uint64_t va, pa;
        uint32_t prot;
    } a[] = {
        {ORC_EL0_CODE_VA, ORC_CODE_PA, PGT_PROT_RX | PGT_PROT_USER},
        {ORC_EL0_DATA_VA, ORC_DATA_PA, PGT_PROT_RW | PGT_PROT_USER},
    };
    for (size_t i = 0; i < 2; i++) {
        if (f->has_low)
            assert_int_equal(pgt_s1_map(&f->low, a[i].va, ORC_WIN_SIZE,
                                        a[i].pa, a[i].prot),
                             0);
        else
            op_map(f, a[i].va, ORC_WIN_SIZE, a[i].pa, a[i].prot,
                   ORC_ANY_LEVEL);
    }
}

/* The translation registers from the library's helpers. */
static void program_regime(struct fx *f)
{
    const struct cfg *c = f->c;
    uint64_t ttbr = 0, ttbr0 = 0, ttbr1 = 0, tcr = 0;
    uint64_t mair = pgt_s1_mair();
    uint32_t asid = (c->s1_flags & PGT_S1_ASID16) ? 0x1234 : 0x42;

    if (c->regime == PGT_REGIME_S2) {
        orc_set_s2(f->o, pgt_ttbr_baddr(&f->pgt), pgt_s2_vtcr(&f->pgt));
        return;
    }
    if (c->regime == PGT_REGIME_EL2 || c->regime == PGT_REGIME_EL3) {
        assert_int_equal(pgt_s1_ttbr(&f->pgt, 0, &ttbr), 0);
        if (c->regime == PGT_REGIME_EL2)
            orc_set_s1_el2(f->o, ttbr, pgt_s1_tcr(&f->pgt), mair);
        else
            orc_set_s1_el3(f->o, ttbr, pgt_s1_tcr(&f->pgt), mair);
        return;
    }
    /* Two ranges: TCR from the pair (the lower half may be the
     * companion), ASID in TTBR0 (TCR.A1 = 0). */
    if (f->has_low) {
        assert_int_equal(pgt_s1_tcr_pair(&f->low, &f->pgt, &tcr), 0);
        assert_int_equal(pgt_s1_ttbr(&f->low, asid, &ttbr0), 0);
        assert_int_equal(pgt_s1_ttbr(&f->pgt, 0, &ttbr1), 0);
    } else {
        assert_int_equal(pgt_s1_tcr_pair(&f->pgt, NULL, &tcr), 0);
        assert_int_equal(tcr, pgt_s1_tcr(&f->pgt));
        assert_int_equal(pgt_s1_ttbr(&f->pgt, asid, &ttbr0), 0);
    }
    if (c->regime == PGT_REGIME_EL10)
        orc_set_s1_el10_2(f->o, ttbr0, ttbr1, tcr, mair);
    else
        orc_set_s1_el20(f->o, ttbr0, ttbr1, tcr, mair);
}

static void fx_init(struct fx *f, const struct cfg *c, uint64_t seed)
{
    memset(f, 0, sizeof(*f));
    f->c = c;
    f->seed = seed;
    f->g = 1ull << c->granule;
    size_t pages = (size_t)((32 * MiB) >> c->granule);
    tmm_init(&f->mm, f->g, pages, ARENA_PA);
    int rc;
    bool upper = c->s1_flags & PGT_S1_UPPER;
    if (c->regime == PGT_REGIME_S2) {
        struct pgt_s2_cfg s2 = {
            .granule = c->granule,
            .ia_bits = c->ia_bits,
            .oa_bits = 40,
            .start_level = c->s2_start_level,
            .flags = fx_s2_flags,
        };
        rc = pgt_s2_init(&f->pgt, &s2, &tmm_ops, NULL, NULL);
    } else {
        rc = pgt_s1_init(&f->pgt, c->regime, c->ia_bits, c->granule, 40,
                         c->s1_flags, &tmm_ops, NULL);
        if (!rc && upper) {
            rc = pgt_s1_init(&f->low, c->regime, 36, c->granule, 40,
                             c->s1_flags & ~(uint32_t)PGT_S1_UPPER, &tmm_ops,
                             NULL);
            f->has_low = true;
        }
    }
    assert_int_equal(rc, 0);
    /* The geometry the test expects, worked out by hand per config. */
    assert_int_equal(f->pgt.geom.start_level, c->expect_start_level);
    assert_int_equal(f->pgt.geom.nr_root_pages, c->expect_root_pages);
    f->va_base = upper ? 0 - (1ull << c->ia_bits) : 0;
    assert_int_equal(pgt_ia_start(&f->pgt), f->va_base);
    /* The translation-control fields, from the Arm ARM (D19.2): T0SZ
     * (T1SZ [21:16] for the upper range), TG0 (4K 0b00, 64K 0b01, 16K
     * 0b10; TG1 [31:30]: 4K 0b10, 16K 0b01, 64K 0b11) and, for stage 2,
     * SL0 (4K: 2 - start level; 16K/64K: 3 - start level). PS [18:16]
     * (IPS [34:32] with two ranges) = 40 bits. */
    uint64_t tc = c->regime == PGT_REGIME_S2 ? pgt_s2_vtcr(&f->pgt)
                                             : pgt_s1_tcr(&f->pgt);
    if (upper) {
        assert_int_equal((tc >> 16) & 0x3f, 64 - c->ia_bits);
        assert_int_equal((tc >> 30) & 3, tg1_of(c->granule));
        assert_int_equal((tc >> 7) & 1, 1); /* EPD0 */
    } else {
        assert_int_equal(tc & 0x3f, 64 - c->ia_bits);
        assert_int_equal((tc >> 14) & 3, tg0_of(c->granule));
    }
    if (c->regime == PGT_REGIME_S2) {
        int sl0 = c->granule == PGT_GRANULE_4K ? 2 - c->expect_start_level
                                               : 3 - c->expect_start_level;
        assert_int_equal((tc >> 6) & 3, sl0);
        assert_int_equal((tc >> 16) & 7, 2);
    } else if (c->regime == PGT_REGIME_EL2 || c->regime == PGT_REGIME_EL3) {
        assert_int_equal((tc >> 16) & 7, 2);
        assert_int_equal((tc >> 23) & 1, 1); /* RES1 */
        assert_int_equal((tc >> 31) & 1, 1); /* RES1 */
    } else {
        assert_int_equal((tc >> 32) & 7, 2);
        assert_int_equal((tc >> 36) & 1, !!(c->s1_flags & PGT_S1_ASID16));
    }
    ref_init(&f->ref);
    f->o = orc_open_cpu(&f->mm, c->regime == PGT_REGIME_EL20);
    orc_target_pgt(&f->t, f->o, &f->pgt);
    /* The harness windows: code executable, data writable; at EL3 the AT
     * loops run through the tables too, so the batch window as well. */
    map_window(f, ORC_CODE_PA, ORC_WIN_SIZE,
               is_s2(f) ? PGT_PROT_RWX : PGT_PROT_RX);
    map_window(f, ORC_DATA_PA, ORC_WIN_SIZE, PGT_PROT_RW);
    if (c->regime == PGT_REGIME_EL3)
        map_window(f, ORC_BATCH_PA, 2 * ORC_BATCH_MAX * sizeof(uint64_t),
                   PGT_PROT_RW);
    if (two_el(f))
        map_el0_aliases(f);
    program_regime(f);
}

static void fx_fini(struct fx *f)
{
    orc_close(f->o);
    if (is_s2(f))
        pgt_s2_destroy(&f->pgt);
    else
        pgt_s1_destroy(&f->pgt);
    if (f->has_low)
        pgt_s1_destroy(&f->low);
    assert_int_equal(f->mm.live, 0);
    ref_fini(&f->ref);
    tmm_fini(&f->mm);
}

/* Edits by the library are seen by AT at once (it walks memory), but a
 * TLBI keeps the loads/stores honest (EMULATORS.md rule 4). */
static void sync(struct fx *f)
{
    orc_tlbi(f->o);
}

/* --- the scripted sequence ------------------------------------------------ */

/* IA layout (all below 2^32 so every configuration has room):
 *   0x0002_0000  harness windows
 *   0x1000_0000  A: 16 pages RW  (+ RAM-window PAs for loads)
 *   0x1100_0000  R: RAM-window pages: RO, device, NC (S2: R-only, W-only)
 *   block-aligned B at 0x4000_0000 (2M/32M/512M), 4K also a 1G block C
 *   at 0x8000_0000 */
#define IA_A 0x10000000ull
#define IA_R 0x11000000ull
#define IA_B 0x40000000ull
#define IA_C 0x80000000ull

static void scripted(struct fx *f)
{
    const uint64_t g = f->g;
    const uint64_t b2 = block_size(f, 2);
    const uint64_t b1 = f->c->gib_block ? block_size(f, 1) : 0;
    const bool s2 = is_s2(f);
    const uint32_t rw = PGT_PROT_RW;
    const uint32_t ro = PGT_PROT_R;

    /* Page leaves in the RAM window, so loads/stores see real data. */
    op_map(f, IA_A, 16 * g, ORC_RAM_PA, rw, 3);
    op_map(f, IA_R, 2 * g, ORC_RAM_PA + 16 * g, ro, 3);
    op_map(f, IA_R + 2 * g, 2 * g, ORC_RAM_PA + 18 * g,
           rw | PGT_PROT_DEVICE, 3);
    op_map(f, IA_R + 4 * g, 2 * g, ORC_RAM_PA + 20 * g,
           (s2 ? PGT_PROT_RWX : rw) | PGT_PROT_NORMAL_NC, 3);
    if (s2)
        op_map(f, IA_R + 6 * g, 2 * g, ORC_RAM_PA + 22 * g, PGT_PROT_W, 3);
    if (two_el(f)) {
        op_map(f, IA_R + 6 * g, 2 * g, ORC_RAM_PA + 22 * g,
               rw | PGT_PROT_USER, 3);
        op_map(f, IA_R + 10 * g, 2 * g, ORC_RAM_PA + 26 * g,
               PGT_PROT_R | PGT_PROT_USER | PGT_PROT_NG, 3);
        /* User code: executable at EL0 only (PXN). */
        op_map(f, IA_R + 12 * g, 2 * g, ORC_RAM_PA + 28 * g,
               PGT_PROT_RX | PGT_PROT_USER, 3);
    }
    if (f->c->regime == PGT_REGIME_EL3)
        op_map(f, IA_R + 6 * g, 2 * g, ORC_RAM_PA + 22 * g,
               rw | PGT_PROT_NS, 3);
    /* Executable pages in the RAM window, for the fetch probes. */
    op_map(f, IA_R + 8 * g, 2 * g, ORC_RAM_PA + 24 * g,
           s2 ? PGT_PROT_RWX : PGT_PROT_RX, 3);
    /* A level-2 block (read-only, so writes fault at the block's level),
     * and for 4K a 1G block, both at aligned PAs. */
    op_map(f, IA_B, b2, 4 * GiB, ro, 2);
    if (b1 && (1ull << f->c->ia_bits) > IA_C + b1)
        op_map(f, IA_C, b1, 8 * GiB, s2 ? PGT_PROT_R : ro, 1);
    /* For 4K, a 2M block inside the RAM window: loads through a block. */
    if (b2 <= ORC_RAM_SIZE / 2)
        op_map(f, IA_B + 4 * b2, b2, ORC_RAM_PA + b2, rw, 2);
    sync(f);
    check_all(f, "pages and blocks mapped");

    /* Unmap one page in the middle of the block: the library must split
     * it, and the rest must still translate to the same PAs. */
    op_unmap(f, IA_B + b2 / 2, g);
    sync(f);
    check(f, "page unmapped from a block");

    /* Unmap the start of A and remap it elsewhere. */
    op_unmap(f, IA_A, 4 * g);
    op_map(f, IA_A + 0x100000, 4 * g, ORC_RAM_PA + 32 * g, rw, 3);
    sync(f);
    check(f, "unmap and remap");

    if (!s2) {
        /* Permissions: part of A read-only, part of the block RW. */
        op_protect(f, IA_A + 4 * g, 4 * g, ro);
        op_protect(f, IA_B, 4 * g, rw);
        sync(f);
        check(f, "protect");
        if (two_el(f)) {
            op_protect(f, IA_A + 8 * g, 2 * g, rw | PGT_PROT_USER);
            sync(f);
            check(f, "protect to user");
        }
    } else {
        /* Ownership: part of A, then a range straddling the block. */
        op_owner(f, IA_A + 8 * g, 4 * g, 7);
        op_owner(f, IA_B + b2 - 2 * g, 4 * g, 9);
        sync(f);
        check(f, "set_owner");
        /* relax_perms: the R-only page gets W; the W-only one gets R. */
        op_relax(f, IA_R, g, PGT_PROT_W);
        op_relax(f, IA_R + 6 * g, g, PGT_PROT_R);
        sync(f);
        check(f, "relax_perms");
        /* wrprotect on A (pages) and on the in-RAM 2M block if any. */
        op_wrprotect(f, IA_A, 16 * g);
        if (b2 <= ORC_RAM_SIZE / 2)
            op_wrprotect(f, IA_B + 4 * b2, b2);
        sync(f);
        check(f, "wrprotect");
        /* split the 1G block (4K) or the block remains of B: all pages. */
        if (b1 && (1ull << f->c->ia_bits) > IA_C + b1) {
            op_split(f, IA_C, b1);
        }
        if (b2 <= ORC_RAM_SIZE / 2) {
            op_relax(f, IA_B + 4 * b2, b2, PGT_PROT_W);
            op_split(f, IA_B + 4 * b2, b2);
            op_wrprotect(f, IA_B + 4 * b2 + 8 * g, 2 * g);
        }
        sync(f);
        check_all(f, "split");
        /* Access flag: clear it on A's remap, set it again on one page. */
        op_mkold(f, IA_A + 0x100000, 4 * g);
        sync(f);
        check(f, "test_clear_young mkold");
        op_mkyoung(f, IA_A + 0x100000 + g, g);
        sync(f);
        check(f, "mkyoung");
        /* Owner 0 removes annotations. */
        op_owner(f, IA_A + 8 * g, 2 * g, 0);
        sync(f);
        check(f, "set_owner 0");
    }
    /* Unmap everything but the windows. */
    op_unmap(f, IA_A, 1ull << 30);
    if (b1 && (1ull << f->c->ia_bits) > IA_C + b1)
        op_unmap(f, IA_C, b1);
    sync(f);
    check_all(f, "unmapped");
    (void)b1;
}

/* --- random operations ------------------------------------------------------ */

/* Random ops inside a window of 8 level-2 blocks (or less) at IA_W, PAs
 * at the same offsets from the RAM window's base. */
#define IA_W 0x20000000ull

static void random_ops_run(struct fx *f)
{
    uint64_t s = f->seed;
    const uint64_t g = f->g;
    const uint64_t b2 = block_size(f, 2);
    uint64_t span = 8 * b2; /* 16M (4K), 256M (16K), 4G (64K) */
    if (span > (1ull << f->c->ia_bits) - IA_W)
        span = (1ull << f->c->ia_bits) - IA_W;
    /* PAs from the RAM window up, so the load/store/fetch probes reach
     * the randomly mapped pages too (block-aligned for every granule). */
    const uint64_t pa_w = ORC_RAM_PA;
    static const uint32_t s1_prots[] = {
        PGT_PROT_R, PGT_PROT_RW, PGT_PROT_RX, PGT_PROT_R | PGT_PROT_DEVICE,
        PGT_PROT_RW | PGT_PROT_NORMAL_NC};
    static const uint32_t s2_prots[] = {
        PGT_PROT_R, PGT_PROT_RW, PGT_PROT_RWX, PGT_PROT_W, 0,
        PGT_PROT_RW | PGT_PROT_DEVICE, PGT_PROT_RWX | PGT_PROT_NORMAL_NC};
    for (unsigned i = 0; i < random_ops; i++) {
        /* Sizes: mostly a few pages, sometimes a block or more. */
        uint64_t r = orc_rand(&s);
        uint64_t size;
        switch (r % 4) {
        case 0:
            size = (1 + orc_rand(&s) % 8) * g;
            break;
        case 1:
            size = b2;
            break;
        case 2:
            size = b2 + (1 + orc_rand(&s) % 4) * g;
            break;
        default:
            size = (1 + orc_rand(&s) % 64) * g;
            break;
        }
        if (size > span)
            size = span;
        uint64_t off;
        if (orc_rand(&s) % 2)
            off = (orc_rand(&s) % (span / b2)) * b2; /* block aligned */
        else
            off = (orc_rand(&s) % (span / g)) * g;
        if (off + size > span)
            off = span - size;
        uint64_t ia = IA_W + off;
        const char *what;
        unsigned kind = (unsigned)(orc_rand(&s) % 10);
        if (kind < 5) {
            uint32_t prot =
                is_s2(f) ? s2_prots[orc_rand(&s) % 7] : s1_prots[orc_rand(&s) % 5];
            if (two_el(f) && orc_rand(&s) % 2)
                prot |= PGT_PROT_USER;
            if (two_el(f) && orc_rand(&s) % 4 == 0)
                prot |= PGT_PROT_NG;
            if (f->c->regime == PGT_REGIME_EL3 && orc_rand(&s) % 4 == 0)
                prot |= PGT_PROT_NS;
            /* Stage 1 refuses to overwrite a different valid mapping:
             * clear the range first there. */
            if (!is_s2(f))
                op_unmap(f, ia, size);
            op_map(f, ia, size, pa_w + off, prot, ORC_ANY_LEVEL);
            what = "random map";
        } else if (kind < 7) {
            op_unmap(f, ia, size);
            what = "random unmap";
        } else if (is_s2(f)) {
            if (kind == 7) {
                op_owner(f, ia, size, 1 + (uint32_t)(orc_rand(&s) % 255));
                what = "random set_owner";
            } else if (kind == 8) {
                op_wrprotect(f, ia & ~(b2 - 1),
                             ((ia + size + b2 - 1) & ~(b2 - 1)) -
                                 (ia & ~(b2 - 1)));
                what = "random wrprotect (block-aligned)";
            } else {
                op_split(f, ia & ~(b2 - 1),
                         ((ia + size + b2 - 1) & ~(b2 - 1)) -
                             (ia & ~(b2 - 1)));
                what = "random split (block-aligned)";
            }
        } else {
            uint32_t perms = kind == 7 ? PGT_PROT_R : PGT_PROT_RW;
            if (two_el(f) && kind == 9)
                perms |= PGT_PROT_USER;
            /* protect needs something mapped in range */
            bool any = false;
            for (size_t j = 0; j < f->ref.n && !any; j++) {
                const struct ref_region *rr = &f->ref.r[j];
                any = rr->st == REF_MAPPED && rr->ia < ia + size &&
                      ia < rr->ia + rr->size &&
                      !((rr->prot & PGT_PROT_DEVICE) && (perms & PGT_PROT_X));
            }
            if (any)
                op_protect(f, ia, size, perms);
            what = "random protect";
        }
        sync(f);
        check(f, what);
        if (f->bad)
            break;
    }
}

/* --- concatenated roots ----------------------------------------------------- */

/* Each root page's count against 1 + its non-zero entries, read here from
 * the arena (every non-zero entry is counted outside host mode). */
static void root_counts(struct fx *f, const char *what)
{
    uint64_t per = f->g / 8;
    for (unsigned r = 0; r < f->pgt.geom.nr_root_pages; r++) {
        const pgt_pte_t *page = f->pgt.pgd + r * per;
        int nz = 0;
        for (uint64_t i = 0; i < per; i++)
            nz += page[i] != 0;
        int ref = tmm_page_ref(&f->mm, page);
        if (ref != 1 + nz) {
            fprintf(stderr, "oracle: %s: %s: root page %u holds %d entries, count %d\n",
                    f->c->name, what, r, nz, ref);
            f->bad++;
        }
    }
}

/*
 * A walk or a clear that must cross from one concatenated root page into
 * the next: at every page boundary B, the largest blocks the level below
 * the root maps, one each side of B, and pages each side, checked on the
 * emulator; then one unmap across B, checked again. Each root page's
 * count is read after both.
 */
static void root_pages_run(struct fx *f)
{
    const struct pgt_geom *g = &f->pgt.geom;
    uint64_t span = (f->g / 8) * pgt_level_size(g, g->start_level);
    int bl = g->start_level + 1;
    uint64_t b = block_size(f, bl);
    if (!b) { /* the root is at level 2: its own blocks */
        bl = 2;
        b = block_size(f, 2);
    }

    for (unsigned k = 1; k < g->nr_root_pages && !f->bad; k++) {
        uint64_t at = k * span;
        /* Output addresses from 16 GiB (inside every OA size here). */
        uint64_t pa = 16 * GiB + 4 * k * b;
        op_map(f, at - b, 2 * b, pa, PGT_PROT_RW, bl);
        op_map(f, at - 3 * b + f->g * 5, 2 * f->g, 32 * GiB, PGT_PROT_R, 3);
        op_map(f, at + 2 * b, 3 * f->g, 32 * GiB + 4 * f->g, PGT_PROT_RW, 3);
        sync(f);
        check_all(f, "blocks and pages either side of a root page boundary");
        root_counts(f, "mapped across a root page boundary");
        op_unmap(f, at - 4 * b, 8 * b);
        sync(f);
        check_all(f, "one unmap across a root page boundary");
        root_counts(f, "unmapped across a root page boundary");
    }
}

static void run_cfg(const struct cfg *c)
{
    struct fx f;
    struct orc_check_stats c0 = orc_check_stats;
    struct orc_stats o0 = orc_stats;
    fx_init(&f, c,
            seed_mix ^ 0x5eed0000ull ^ (uint64_t)c->ia_bits << 8 ^ c->granule ^
                (uint64_t)c->regime << 4 ^ c->s1_flags);
    scripted(&f);
    if (!f.bad)
        random_ops_run(&f);
    if (!f.bad && is_s2(&f) && f.pgt.geom.nr_root_pages > 1)
        root_pages_run(&f);
    size_t bad = f.bad;
    fx_fini(&f);
    printf("  %-30s %4llu checks, %8llu mapped pages (%7llu under the "
           "contiguous hint) + %6llu other addresses, "
           "%5llu loads, %5llu stores, %4llu+%-4llu fetches, %4llu at EL0\n",
           c->name, (unsigned long long)(orc_check_stats.checks - c0.checks),
           (unsigned long long)(orc_check_stats.pages - c0.pages),
           (unsigned long long)(orc_check_stats.cont - c0.cont),
           (unsigned long long)(orc_check_stats.unmapped - c0.unmapped),
           (unsigned long long)(orc_stats.loads - o0.loads),
           (unsigned long long)(orc_stats.stores - o0.stores),
           (unsigned long long)(orc_stats.fetches - o0.fetches),
           (unsigned long long)(orc_stats.fetch_faults - o0.fetch_faults),
           (unsigned long long)(orc_stats.el0 - o0.el0));
    assert_int_equal(bad, 0);
}

/* Expected start level / root pages worked out from the Arm ARM:
 * level shift = g + (g-3)*(3-level); root entries = 2^(ia - shift). */
static const struct cfg cfgs[] = {
    /* stage 1 EL2 */
    {"S1 EL2 4K 32-bit", PGT_REGIME_EL2, PGT_GRANULE_4K, 32, 0, 1, 1, false, 0},
    {"S1 EL2 4K 39-bit", PGT_REGIME_EL2, PGT_GRANULE_4K, 39, 0, 1, 1, true, 0},
    {"S1 EL2 4K 48-bit", PGT_REGIME_EL2, PGT_GRANULE_4K, 48, 0, 1, 0, false, 0},
    {"S1 EL2 16K 36-bit", PGT_REGIME_EL2, PGT_GRANULE_16K, 36, 0, 1, 2, false, 0},
    {"S1 EL2 16K 47-bit", PGT_REGIME_EL2, PGT_GRANULE_16K, 47, 0, 1, 1, false, 0},
    {"S1 EL2 16K 48-bit", PGT_REGIME_EL2, PGT_GRANULE_16K, 48, 0, 1, 0, false, 0},
    {"S1 EL2 64K 42-bit", PGT_REGIME_EL2, PGT_GRANULE_64K, 42, 0, 1, 2, false, 0},
    {"S1 EL2 64K 48-bit", PGT_REGIME_EL2, PGT_GRANULE_64K, 48, 0, 1, 1, false, 0},
    /* stage 1 EL1&0 */
    {"S1 EL1&0 4K 48-bit", PGT_REGIME_EL10, PGT_GRANULE_4K, 48, 0, 1, 0,
     true, 0},
    {"S1 EL1&0 16K 40-bit", PGT_REGIME_EL10, PGT_GRANULE_16K, 40, 0, 1, 1, false, 0},
    {"S1 EL1&0 64K 42-bit", PGT_REGIME_EL10, PGT_GRANULE_64K, 42, 0, 1, 2, false, 0},
    /* stage 1 EL1&0, upper range (TTBR1; a lower-range companion maps
     * the harness windows) */
    {"S1 EL1&0 upper 4K 48-bit", PGT_REGIME_EL10, PGT_GRANULE_4K, 48, 0, 1,
     0, true, PGT_S1_UPPER},
    {"S1 EL1&0 upper 16K 36-bit", PGT_REGIME_EL10, PGT_GRANULE_16K, 36, 0, 1,
     2, false, PGT_S1_UPPER | PGT_S1_ASID16},
    {"S1 EL1&0 upper 64K 42-bit", PGT_REGIME_EL10, PGT_GRANULE_64K, 42, 0, 1,
     2, false, PGT_S1_UPPER},
    /* stage 1 EL3 */
    {"S1 EL3 4K 39-bit", PGT_REGIME_EL3, PGT_GRANULE_4K, 39, 0, 1, 1, true,
     0},
    {"S1 EL3 16K 47-bit", PGT_REGIME_EL3, PGT_GRANULE_16K, 47, 0, 1, 1, false,
     0},
    {"S1 EL3 64K 42-bit", PGT_REGIME_EL3, PGT_GRANULE_64K, 42, 0, 1, 2, false,
     0},
    /* stage 1 EL2&0 (E2H = 1), both ranges */
    {"S1 EL2&0 4K 39-bit", PGT_REGIME_EL20, PGT_GRANULE_4K, 39, 0, 1, 1, true,
     PGT_S1_ASID16},
    {"S1 EL2&0 upper 4K 48-bit", PGT_REGIME_EL20, PGT_GRANULE_4K, 48, 0, 1, 0,
     true, PGT_S1_UPPER},
    {"S1 EL2&0 16K 47-bit", PGT_REGIME_EL20, PGT_GRANULE_16K, 47, 0, 1, 1,
     false, 0},
    {"S1 EL2&0 upper 16K 47-bit", PGT_REGIME_EL20, PGT_GRANULE_16K, 47, 0, 1,
     1, false, PGT_S1_UPPER},
    {"S1 EL2&0 64K 48-bit", PGT_REGIME_EL20, PGT_GRANULE_64K, 48, 0, 1, 1,
     false, 0},
    {"S1 EL2&0 upper 64K 42-bit", PGT_REGIME_EL20, PGT_GRANULE_64K, 42, 0, 1,
     2, false, PGT_S1_UPPER},
    /* stage 2: auto start level and concatenated roots */
    {"S2 4K 32-bit (L2, 4 pages)", PGT_REGIME_S2, PGT_GRANULE_4K, 32,
     PGT_LEVEL_AUTO, 4, 2, false, 0},
    {"S2 4K 40-bit (L1, 2 pages)", PGT_REGIME_S2, PGT_GRANULE_4K, 40,
     PGT_LEVEL_AUTO, 2, 1, true, 0},
    {"S2 4K 40-bit (L0)", PGT_REGIME_S2, PGT_GRANULE_4K, 40, 0, 1, 0, false, 0},
    {"S2 4K 42-bit (L1, 8 pages)", PGT_REGIME_S2, PGT_GRANULE_4K, 42, 1, 8,
     1, false, 0},
    {"S2 4K 44-bit (L0)", PGT_REGIME_S2, PGT_GRANULE_4K, 44, PGT_LEVEL_AUTO, 1,
     0, false, 0},
    {"S2 16K 40-bit (L2, 16 pages)", PGT_REGIME_S2, PGT_GRANULE_16K, 40, 2,
     16, 2, false, 0},
    {"S2 16K 42-bit (L1)", PGT_REGIME_S2, PGT_GRANULE_16K, 42, PGT_LEVEL_AUTO,
     1, 1, false, 0},
    {"S2 64K 42-bit (L2)", PGT_REGIME_S2, PGT_GRANULE_64K, 42, PGT_LEVEL_AUTO,
     1, 2, false, 0},
    {"S2 64K 44-bit (L1)", PGT_REGIME_S2, PGT_GRANULE_64K, 44, 1, 1, 1, false, 0},
};

/* A visitor that hands back the entry covering an address. */
static int find_pte(const struct pgt_visit_ctx *ctx, enum pgt_walk_flags v)
{
    (void)v;
    if (pgt_pte_is_leaf(ctx->old, ctx->level))
        *(pgt_pte_t **)ctx->arg = ctx->ptep;
    return 0;
}

static pgt_pte_t *leaf_ptr(struct fx *f, uint64_t ia)
{
    pgt_pte_t *p = NULL;
    struct pgt_walker w = {.cb = find_pte, .arg = &p, .flags = PGT_WALK_LEAF};
    assert_int_equal(pgt_walk(&f->pgt, f->va_base + (ia & ~(f->g - 1)), f->g,
                              &w),
                     0);
    assert_non_null(p);
    return p;
}

/* Flip @bits in the library's leaf for @ia: the oracle must object; put
 * it back: the oracle must agree again. */
static void corrupt_and_check(struct fx *f, uint64_t ia, uint64_t bits,
                              const char *what)
{
    pgt_pte_t *p = leaf_ptr(f, ia);
    *p ^= bits;
    sync(f);
    size_t before = f->bad;
    fprintf(stderr, "-- expected mismatches follow (%s):\n", what);
    check_all(f, what);
    size_t found = f->bad - before;
    fprintf(stderr, "-- %zu mismatches found (%s)\n", found, what);
    assert_true(found > 0);
    f->bad = before;
    *p ^= bits;
    sync(f);
    check_all(f, "restored");
    assert_int_equal(f->bad, before);
}

/* The suite can fail: library-built tables with one descriptor corrupted
 * after the fact (OA bit, permission, memory type, valid, AF) are caught,
 * on a page and inside a block. */
static void corrupted_library_leaf_is_caught(void **state)
{
    (void)state;
    static const struct cfg s1 = {"S1 EL2 4K 39-bit (corrupted)",
                                  PGT_REGIME_EL2, PGT_GRANULE_4K, 39, 0, 1, 1,
                                  false, 0};
    static const struct cfg s2 = {"S2 4K 40-bit (corrupted)", PGT_REGIME_S2,
                                  PGT_GRANULE_4K, 40, PGT_LEVEL_AUTO, 2, 1,
                                  false, 0};
    struct fx f;
    fx_init(&f, &s1, 1);
    op_map(&f, IA_A, 16 * f.g, ORC_RAM_PA, PGT_PROT_RW, 3);
    op_map(&f, IA_B, 2 * MiB, 4 * GiB, PGT_PROT_R, 2);
    sync(&f);
    check_all(&f, "before");
    assert_int_equal(f.bad, 0);
    corrupt_and_check(&f, IA_A + 3 * f.g, 1ull << 12, "S1 page OA bit 12");
    corrupt_and_check(&f, IA_B, 1ull << 21, "S1 block OA bit 21");
    corrupt_and_check(&f, IA_A, PGT_S1_AP_RO, "S1 page AP[2]");
    corrupt_and_check(&f, IA_A + f.g, 1ull << PGT_S1_ATTRINDX_SHIFT,
                      "S1 page AttrIndx");
    corrupt_and_check(&f, IA_B, PGT_PTE_AF, "S1 block AF");
    corrupt_and_check(&f, IA_A + 7 * f.g, PGT_S1_XN, "S1 page XN cleared");
    fx_fini(&f);

    fx_init(&f, &s2, 2);
    op_map(&f, IA_A, 16 * f.g, ORC_RAM_PA, PGT_PROT_RW, 3);
    op_map(&f, IA_B, 2 * MiB, 4 * GiB, PGT_PROT_RW, 2);
    sync(&f);
    check_all(&f, "before");
    assert_int_equal(f.bad, 0);
    corrupt_and_check(&f, IA_A + 5 * f.g, 1ull << 13, "S2 page OA bit 13");
    corrupt_and_check(&f, IA_B, 1ull << 30, "S2 block OA bit 30");
    corrupt_and_check(&f, IA_A, PGT_S2_S2AP_W, "S2 page S2AP W");
    corrupt_and_check(&f, IA_B, PGT_PTE_VALID, "S2 block valid");
    corrupt_and_check(&f, IA_A + 2 * f.g, 0xeull << PGT_S2_MEMATTR_SHIFT,
                      "S2 page MemAttr WB -> Device");
    corrupt_and_check(&f, IA_A + 9 * f.g, PGT_S2_XN, "S2 page XN cleared");
    fx_fini(&f);
}

/* The same for the new regimes: an EL3 leaf's NS bit and XN, an
 * upper-range EL1&0 leaf's OA and AP[1] (EL0 access), an upper-range
 * EL2&0 leaf's OA and AP[2]. */
static void corrupted_regime_leaf_is_caught(void **state)
{
    (void)state;
    static const struct cfg el3 = {"S1 EL3 4K 39-bit (corrupted)",
                                   PGT_REGIME_EL3, PGT_GRANULE_4K, 39, 0, 1, 1,
                                   false, 0};
    static const struct cfg el10 = {"S1 EL1&0 upper 4K 48-bit (corrupted)",
                                    PGT_REGIME_EL10, PGT_GRANULE_4K, 48, 0, 1,
                                    0, false, PGT_S1_UPPER};
    static const struct cfg el20 = {"S1 EL2&0 upper 16K 47-bit (corrupted)",
                                    PGT_REGIME_EL20, PGT_GRANULE_16K, 47, 0, 1,
                                    1, false, PGT_S1_UPPER};
    struct fx f;
    fx_init(&f, &el3, 4);
    op_map(&f, IA_A, 16 * f.g, ORC_RAM_PA, PGT_PROT_RW, 3);
    op_map(&f, IA_R, 2 * f.g, ORC_RAM_PA + 16 * f.g,
           PGT_PROT_RW | PGT_PROT_NS, 3);
    sync(&f);
    check_all(&f, "before");
    assert_int_equal(f.bad, 0);
    corrupt_and_check(&f, IA_A + 2 * f.g, PGT_S1_NS, "EL3 page NS set");
    corrupt_and_check(&f, IA_R + f.g, PGT_S1_NS, "EL3 page NS cleared");
    corrupt_and_check(&f, IA_A + 5 * f.g, 1ull << 14, "EL3 page OA bit 14");
    fx_fini(&f);

    fx_init(&f, &el10, 5);
    op_map(&f, IA_A, 16 * f.g, ORC_RAM_PA, PGT_PROT_RW, 3);
    sync(&f);
    check_all(&f, "before");
    assert_int_equal(f.bad, 0);
    corrupt_and_check(&f, IA_A + 3 * f.g, 1ull << 12, "EL1&0 upper OA bit 12");
    corrupt_and_check(&f, IA_A + 4 * f.g, PGT_S1_AP_USER,
                      "EL1&0 upper AP[1] set");
    fx_fini(&f);

    fx_init(&f, &el20, 6);
    op_map(&f, IA_A, 16 * f.g, ORC_RAM_PA, PGT_PROT_RW, 3);
    sync(&f);
    check_all(&f, "before");
    assert_int_equal(f.bad, 0);
    corrupt_and_check(&f, IA_A + 3 * f.g, 1ull << 15, "EL2&0 upper OA bit 15");
    corrupt_and_check(&f, IA_A + 6 * f.g, PGT_S1_AP_RO,
                      "EL2&0 upper AP[2] set");
    fx_fini(&f);
}

/*
 * pKVM's host stage 2 (PGT_S2_HOST: identity only, leaves not counted):
 * the host's memory mapped 1:1 with big blocks, the hypervisor's pages
 * taken away with owner annotations (splitting the blocks), pages dropped
 * and faulted back in, permissions cut and restored, and the hypervisor's
 * pages handed back.
 */
static void host_stage2(void **state)
{
    (void)state;
    static const struct cfg c = {"S2 host 4K 40-bit (identity)",
                                 PGT_REGIME_S2, PGT_GRANULE_4K, 40,
                                 PGT_LEVEL_AUTO, 2, 1, true, 0};
    struct fx f;
    fx_s2_flags = PGT_S2_HOST;
    fx_init(&f, &c, 3);
    fx_s2_flags = 0;
    const uint64_t g = f.g;
    const uint64_t dram = 0x40000000ull; /* holds the RAM window */
    op_map(&f, dram, GiB, dram, PGT_PROT_RWX, 1);
    op_map(&f, 0x09000000, 2 * MiB, 0x09000000,
           PGT_PROT_RW | PGT_PROT_DEVICE, 2);
    sync(&f);
    check_all(&f, "host memory mapped 1:1");

    /* The hypervisor takes 64 pages and a 2M block. */
    op_owner(&f, dram + 2 * MiB, 64 * g, 1);
    op_owner(&f, dram + 6 * MiB, 2 * MiB, 1);
    sync(&f);
    check_all(&f, "hyp pages owned");

    /* Host pages dropped (e.g. reclaimed): their whole 2M table goes,
     * since it holds no owner annotation; then faulted back in. */
    op_unmap(&f, dram + MiB, 16 * g);
    sync(&f);
    check(&f, "host pages dropped");
    op_map(&f, dram + MiB, 16 * g, dram + MiB, PGT_PROT_RWX, 3);
    sync(&f);
    check(&f, "host pages faulted back");

    /* Write permission taken from a range, given back on one page. */
    op_wrprotect(&f, dram + MiB, 16 * g);
    op_relax(&f, dram + MiB + 3 * g, g, PGT_PROT_W);
    sync(&f);
    check(&f, "wrprotect and relax");

    /* Dropped again: the 2M table goes with them. */
    op_unmap(&f, dram + MiB, 16 * g);
    sync(&f);
    check(&f, "host pages dropped again");

    /* The hypervisor hands its pages back: with no annotation left, the
     * whole 1G table holding the host's blocks is freed (the host faults
     * its memory in again later). */
    op_owner(&f, dram + 2 * MiB, 64 * g, 0);
    op_owner(&f, dram + 6 * MiB, 2 * MiB, 0);
    sync(&f);
    check_all(&f, "hyp pages handed back");
    size_t bad = f.bad;
    fx_fini(&f);
    assert_int_equal(bad, 0);
}

/* Tables are walked with MAIR = PGT_MAIR_VALUE; the attribute checks
 * expect the bytes desc.h documents for each AttrIndx. */
static void mair_value_is_documented(void **state)
{
    (void)state;
    assert_int_equal(PGT_MAIR_VALUE, ORC_MAIR_DOC);
}

static void test_cfg(void **state)
{
    run_cfg((const struct cfg *)*state);
}

int main(void)
{
    const char *env = getenv("ORACLE_RANDOM_OPS");
    if (env)
        random_ops = (unsigned)strtoul(env, NULL, 0);
    env = getenv("ORACLE_SEED");
    if (env)
        seed_mix = strtoull(env, NULL, 0) << 32;
    enum { N = sizeof(cfgs) / sizeof(cfgs[0]) };
    struct CMUnitTest tests[N + 4];
    tests[0] = (struct CMUnitTest)cmocka_unit_test(mair_value_is_documented);
    tests[1] =
        (struct CMUnitTest)cmocka_unit_test(corrupted_library_leaf_is_caught);
    tests[2] = (struct CMUnitTest)cmocka_unit_test(host_stage2);
    tests[3] =
        (struct CMUnitTest)cmocka_unit_test(corrupted_regime_leaf_is_caught);
    for (size_t i = 0; i < N; i++)
        tests[i + 4] = (struct CMUnitTest){cfgs[i].name, test_cfg, NULL, NULL,
                                           (void *)&cfgs[i]};
    (void)0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = _cmocka_run_group_tests("oracle-lib", tests, N + 4, NULL, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("oracle lib%s: %zu configurations, %llu checks, %llu mapped pages + "
           "%llu other addresses translated on the emulator, %llu ATs, %llu "
           "loads, %llu stores, %llu+%llu fetches (ok+faulted), %llu of them "
           "at EL0, %.2f s\n",
           ORC_SANITIZED ? " (sanitizer build, huge blocks sampled)" : "",
           (size_t)N, (unsigned long long)orc_check_stats.checks,
           (unsigned long long)orc_check_stats.pages,
           (unsigned long long)orc_check_stats.unmapped,
           (unsigned long long)orc_stats.ats,
           (unsigned long long)orc_stats.loads,
           (unsigned long long)orc_stats.stores,
           (unsigned long long)orc_stats.fetches,
           (unsigned long long)orc_stats.fetch_faults,
           (unsigned long long)orc_stats.el0, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    printf("oracle lib: %llu of the mapped pages under the contiguous hint\n",
           (unsigned long long)orc_check_stats.cont);
    /* The hint is on by default: translations through it must be among
     * those checked, or the coverage was lost. */
    if (orc_check_stats.cont == 0) {
        fprintf(stderr, "oracle lib: no page under the contiguous hint\n");
        rc = 1;
    }
    return rc;
}
