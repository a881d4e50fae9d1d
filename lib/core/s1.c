// SPDX-License-Identifier: MIT
/*
 * Stage-1 tables of every regime (EL3, EL2, EL2&0, EL1&0, both VA ranges).
 * Each operation checks its arguments here, turns the VA into an offset
 * from the table's first address (internal.va_base, non-zero for the
 * upper range), and hands the work to the one-page paths (page.c) or the
 * engine (engine.c). The register values the tables need are made here.
 */
#include "internal.h"

/* TCR fields (Arm ARM D19.2: TCR_EL1, TCR_EL2, TCR_EL3). Bits [15:0] are
 * the same in every layout. */
#define TCR_T0SZ_SHIFT 0
#define TCR_EPD0 (1ull << 7)
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_TG0_SHIFT 14
/* TCR_EL3, and TCR_EL2 with E2H = 0: one range. */
#define TCR_EL3_PS_SHIFT 16
#define TCR_EL3_RES1 ((1ull << 31) | (1ull << 23))
#define TCR_EL3_DS (1ull << 32)
/* TCR_EL1, and TCR_EL2 with E2H = 1: two ranges. */
#define TCR_T1SZ_SHIFT 16
#define TCR_EPD1 (1ull << 23)
#define TCR_IRGN1_WBWA (1ull << 24)
#define TCR_ORGN1_WBWA (1ull << 26)
#define TCR_SH1_INNER (3ull << 28)
#define TCR_TG1_SHIFT 30
#define TCR_IPS_SHIFT 32
#define TCR_AS (1ull << 36)
#define TCR_DS (1ull << 59)

#define TTBR_ASID_SHIFT 48

#define S1_INIT_FLAGS                                                          \
    (PGT_S1_LPA2 | PGT_S1_UPPER | PGT_S1_ASID16 | PGT_S1_ALLOW_WX | PGT_NO_CONT)

/* The regimes with two VA ranges, EL0 and ASIDs. */
static bool two_ranges(enum pgt_regime regime)
{
    return regime == PGT_REGIME_EL10 || regime == PGT_REGIME_EL20;
}

static bool s1_regime(enum pgt_regime regime)
{
    return two_ranges(regime) || regime == PGT_REGIME_EL2 ||
           regime == PGT_REGIME_EL3;
}

int pgt_s1_init(struct pgt *pgt, enum pgt_regime regime, uint32_t va_bits,
                enum pgt_granule granule, uint32_t oa_bits, uint32_t flags,
                const struct pgt_mm_ops *mm_ops, void *mm_ctx)
{
    struct pgt_geom g;
    int ret;

    if (!pgt || !pgt_mm_ops_ok(mm_ops) || !s1_regime(regime))
        return -PGT_EINVAL;
    if (flags & ~(uint32_t)S1_INIT_FLAGS)
        return -PGT_EINVAL;
    /* EL3 and EL2 (E2H = 0) have one VA range and no ASIDs. */
    if ((flags & (PGT_S1_UPPER | PGT_S1_ASID16)) && !two_ranges(regime))
        return -PGT_EINVAL;
    ret = pgt_geom_init(&g, granule, va_bits, oa_bits, PGT_LEVEL_AUTO,
                        flags & PGT_S1_LPA2);
    if (ret)
        return ret;
    return pgt_create(pgt, &g, regime, flags & ~(uint32_t)PGT_S1_LPA2, mm_ops,
                      mm_ctx, NULL);
}

int pgt_hyp_init(struct pgt *pgt, uint32_t va_bits, enum pgt_granule granule,
                 const struct pgt_mm_ops *mm_ops, void *mm_ctx)
{
    return pgt_s1_init(pgt, PGT_REGIME_EL2, va_bits, granule, 48, 0, mm_ops,
                       mm_ctx);
}

static bool is_s1(const struct pgt *pgt)
{
    return pgt && pgt->pgd && pgt->mm_ops && s1_regime(pgt->regime);
}

/*
 * The checks a stage-1 map and protect share: a live stage-1 table, a
 * range inside it (*@off: @va as an offset from the table's first
 * address), @phys aligned (protect: 0), @prot legal; *@attrs the leaf
 * attributes. Every -PGT_EINVAL before any -PGT_ERANGE.
 */
static int s1_check(const struct pgt *pgt, uint64_t va, uint64_t size,
                    uint64_t phys, enum pgt_prot prot, uint64_t *off,
                    pgt_pte_t *attrs)
{
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    /* A VA below the table's range wraps round to beyond it. */
    *off = va - pgt->internal.va_base;
    ret = pgt_check_range(pgt, *off, size);
    if (ret == -PGT_EINVAL)
        return ret;
    if (phys & ((1ull << pgt->geom.granule_shift) - 1))
        return -PGT_EINVAL;
    if (pgt_leaf_attrs(&pgt->geom, pgt->regime, pgt->flags, prot, attrs))
        return -PGT_EINVAL;
    return ret;
}

/* s1_check() for a map: the output range must also lie below 2^oa_bits
 * (-PGT_ERANGE). */
static int s1_map_check(const struct pgt *pgt, uint64_t va, uint64_t size,
                        uint64_t phys, enum pgt_prot prot, uint64_t *off,
                        pgt_pte_t *attrs)
{
    int ret = s1_check(pgt, va, size, phys, prot, off, attrs);

    if (ret)
        return ret;
    if (phys + size < phys || phys + size > (1ull << pgt->geom.oa_bits))
        return -PGT_ERANGE;
    return 0;
}

int pgt_s1_map(struct pgt *pgt, uint64_t va, uint64_t size, uint64_t phys,
               enum pgt_prot prot)
{
    pgt_pte_t attrs = 0;
    uint64_t off = 0;
    int ret = s1_map_check(pgt, va, size, phys, prot, &off, &attrs);

    if (ret)
        return ret;
    if (size == 1ull << pgt->geom.granule_shift)
        return pgt->internal.map(pgt, off, phys, attrs, NULL, 0);
    return pgt_engine_map(pgt, off, size, phys, attrs, NULL, 0);
}

int64_t pgt_s1_map_cost(const struct pgt *pgt, uint64_t va, uint64_t size,
                        uint64_t phys, enum pgt_prot prot)
{
    pgt_pte_t attrs = 0;
    uint64_t off = 0;
    int ret = s1_map_check(pgt, va, size, phys, prot, &off, &attrs);

    if (ret)
        return ret;
    return pgt_engine_map_cost(pgt, off, size, phys, attrs, 0);
}

/* A stage-1 table and a granule-aligned range of it: its offset from
 * the table's first VA in *@off, or -PGT_EINVAL / -PGT_ERANGE. */
static int s1_range(const struct pgt *pgt, uint64_t va, uint64_t size,
                    uint64_t *off)
{
    if (!is_s1(pgt))
        return -PGT_EINVAL;
    *off = va - pgt->internal.va_base;
    return pgt_check_range(pgt, *off, size);
}

int64_t pgt_s1_unmap(struct pgt *pgt, uint64_t va, uint64_t size)
{
    uint64_t off;
    int ret = s1_range(pgt, va, size, &off);

    if (ret)
        return ret;
    if (size == 1ull << pgt->geom.granule_shift)
        return pgt_page(pgt)->unmap(pgt, off, NULL);
    return pgt_engine_clear(pgt, off, size, 0, NULL);
}

int pgt_s1_protect(struct pgt *pgt, uint64_t va, uint64_t size,
                   enum pgt_prot prot)
{
    pgt_pte_t attrs = 0;
    uint64_t off = 0;
    int ret = s1_check(pgt, va, size, 0, prot, &off, &attrs);

    if (ret)
        return ret;
    /* Every attribute is replaced; the memory type, NS and nG must stay. */
    return pgt_engine_protect(
        pgt, off, size, attrs,
        ~(pgt_oa_field_mask(&pgt->geom) | PGT_PTE_TYPE | PGT_PTE_VALID),
        PGT_S1_PROTECT_KEEP, false);
}

int pgt_s1_coalesce(struct pgt *pgt, uint64_t va, uint64_t size)
{
    uint64_t off;
    int ret = s1_range(pgt, va, size, &off);

    if (ret)
        return ret;
    return pgt_engine_fold(pgt, off, size);
}

void pgt_s1_destroy(struct pgt *pgt)
{
    pgt_destroy(pgt);
}

int pgt_hyp_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
                enum pgt_prot prot)
{
    return pgt_s1_map(pgt, addr, size, phys, prot);
}

int64_t pgt_hyp_unmap(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    return pgt_s1_unmap(pgt, addr, size);
}

int pgt_hyp_coalesce(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    return pgt_s1_coalesce(pgt, addr, size);
}

int pgt_hyp_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                    enum pgt_prot prot)
{
    return pgt_s1_protect(pgt, addr, size, prot);
}

void pgt_hyp_destroy(struct pgt *pgt)
{
    pgt_destroy(pgt);
}

/* ---- register values ---------------------------------------------------- */

/* TCR TG1 encoding (not TG0's): 0b10 4K, 0b01 16K, 0b11 64K. */
static uint64_t tg1_encode(uint32_t granule_shift)
{
    return granule_shift == PGT_GRANULE_4K    ? 2
           : granule_shift == PGT_GRANULE_16K ? 1
                                              : 3;
}

/* A live table of a two-range regime covering the upper range or not. */
static bool half_ok(const struct pgt *pgt, bool upper)
{
    return is_s1(pgt) && two_ranges(pgt->regime) &&
           !(pgt->flags & PGT_S1_UPPER) == !upper;
}

/* TCR.DS serves both halves but only the 4K and 16K granules read it: a
 * 64K half goes with either value. */
static bool ds_fits(const struct pgt *pgt, bool ds)
{
    return !pgt || pgt->geom.granule_shift == PGT_GRANULE_64K ||
           (pgt->geom.lpa2 != 0) == ds;
}

int pgt_s1_tcr_pair(const struct pgt *lower, const struct pgt *upper,
                    uint64_t *tcr)
{
    if (!tcr || (!lower && !upper))
        return -PGT_EINVAL;
    if ((lower && !half_ok(lower, false)) || (upper && !half_ok(upper, true)))
        return -PGT_EINVAL;
    if (lower && upper &&
        (lower->regime != upper->regime ||
         (lower->flags & PGT_S1_ASID16) != (upper->flags & PGT_S1_ASID16)))
        return -PGT_EINVAL;
    bool ds = (lower && lower->geom.lpa2) || (upper && upper->geom.lpa2);
    if (!ds_fits(lower, ds) || !ds_fits(upper, ds))
        return -PGT_EINVAL;

    /* A disabled half takes the other's size and granule. */
    const struct pgt_geom *g0 = lower ? &lower->geom : &upper->geom;
    const struct pgt_geom *g1 = upper ? &upper->geom : &lower->geom;
    const struct pgt *any = lower ? lower : upper;
    uint32_t oa_bits = g0->oa_bits > g1->oa_bits ? g0->oa_bits : g1->oa_bits;
    uint64_t v = ((uint64_t)(64 - g0->ia_bits) << TCR_T0SZ_SHIFT) |
                 TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |
                 (pgt_tg0_encode(g0->granule_shift) << TCR_TG0_SHIFT) |
                 ((uint64_t)(64 - g1->ia_bits) << TCR_T1SZ_SHIFT) |
                 TCR_IRGN1_WBWA | TCR_ORGN1_WBWA | TCR_SH1_INNER |
                 (tg1_encode(g1->granule_shift) << TCR_TG1_SHIFT) |
                 (pgt_ps_encode(oa_bits) << TCR_IPS_SHIFT);

    if (!lower)
        v |= TCR_EPD0;
    if (!upper)
        v |= TCR_EPD1;
    if (any->flags & PGT_S1_ASID16)
        v |= TCR_AS;
    if (ds)
        v |= TCR_DS;
    *tcr = v;
    return 0;
}

uint64_t pgt_s1_tcr(const struct pgt *pgt)
{
    uint64_t tcr = 0;

    if (!is_s1(pgt))
        return 0;
    if (two_ranges(pgt->regime)) {
        bool upper = pgt->flags & PGT_S1_UPPER;
        pgt_s1_tcr_pair(upper ? NULL : pgt, upper ? pgt : NULL, &tcr);
        return tcr;
    }
    /* EL3, and EL2 with E2H = 0: one range, PS at [18:16], DS at 32. */
    const struct pgt_geom *g = &pgt->geom;
    tcr = ((uint64_t)(64 - g->ia_bits) << TCR_T0SZ_SHIFT) | TCR_IRGN0_WBWA |
          TCR_ORGN0_WBWA | TCR_SH0_INNER |
          (pgt_tg0_encode(g->granule_shift) << TCR_TG0_SHIFT) |
          (pgt_ps_encode(g->oa_bits) << TCR_EL3_PS_SHIFT) | TCR_EL3_RES1;
    if (g->lpa2)
        tcr |= TCR_EL3_DS;
    return tcr;
}

int pgt_s1_ttbr(const struct pgt *pgt, uint32_t asid, uint64_t *ttbr)
{
    uint32_t asid_bits;

    if (!is_s1(pgt) || !ttbr)
        return -PGT_EINVAL;
    asid_bits = !two_ranges(pgt->regime)       ? 0
                : (pgt->flags & PGT_S1_ASID16) ? 16
                                               : 8;
    if (asid >> asid_bits)
        return -PGT_EINVAL;
    *ttbr = pgt_ttbr_baddr(pgt) | ((uint64_t)asid << TTBR_ASID_SHIFT);
    return 0;
}

uint64_t pgt_s1_mair(void)
{
    return PGT_MAIR_VALUE;
}
