// SPDX-License-Identifier: MIT
/*
 * Stage-1 tables: EL2 (nVHE hyp) and the EL1&0 lower VA range. Each
 * operation checks its arguments here and hands the work to the one-page
 * paths (page.c) or the engine (engine.c).
 */
#include "internal.h"

/* TCR_ELx fields shared by TCR_EL2 (nVHE) and the TTBR0 half of TCR_EL1. */
#define TCR_T0SZ_SHIFT 0
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_TG0_SHIFT 14
#define TCR_EL2_PS_SHIFT 16
#define TCR_EL2_RES1 ((1ull << 31) | (1ull << 23))
#define TCR_EL2_DS (1ull << 32)
#define TCR_EL1_EPD1 (1ull << 23)
#define TCR_EL1_TG1_SHIFT 30
#define TCR_EL1_IPS_SHIFT 32
#define TCR_EL1_DS (1ull << 59)

int pgt_s1_init(struct pgt *pgt, enum pgt_regime regime, uint32_t va_bits,
                enum pgt_granule granule, uint32_t oa_bits,
                uint32_t geom_flags, const struct pgt_mm_ops *mm_ops,
                void *mm_ctx)
{
    struct pgt_geom g;
    int ret;

    if (!pgt || !pgt_mm_ops_ok(mm_ops))
        return -PGT_EINVAL;
    if (regime != PGT_REGIME_EL2 && regime != PGT_REGIME_EL10)
        return -PGT_EINVAL;
    if (geom_flags & ~PGT_GEOM_LPA2)
        return -PGT_EINVAL;
    ret = pgt_geom_init(&g, granule, va_bits, oa_bits, PGT_LEVEL_AUTO,
                        geom_flags);
    if (ret)
        return ret;
    return pgt_create(pgt, &g, regime, 0, mm_ops, mm_ctx, NULL);
}

int pgt_hyp_init(struct pgt *pgt, uint32_t va_bits, enum pgt_granule granule,
                 const struct pgt_mm_ops *mm_ops, void *mm_ctx)
{
    return pgt_s1_init(pgt, PGT_REGIME_EL2, va_bits, granule, 48, 0, mm_ops,
                       mm_ctx);
}

static bool is_s1(const struct pgt *pgt)
{
    return pgt && pgt->pgd && pgt->mm_ops &&
           (pgt->regime == PGT_REGIME_EL2 || pgt->regime == PGT_REGIME_EL10);
}

/*
 * The checks a stage-1 map and protect share: a live stage-1 table, a
 * range inside it, @phys aligned (protect: 0), @prot legal; *@attrs the
 * leaf attributes. Every -PGT_EINVAL before any -PGT_ERANGE.
 */
static int s1_check(const struct pgt *pgt, uint64_t addr, uint64_t size,
                    uint64_t phys, enum pgt_prot prot, pgt_pte_t *attrs)
{
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range(pgt, addr, size);
    if (ret == -PGT_EINVAL)
        return ret;
    if (phys & ((1ull << pgt->geom.granule_shift) - 1))
        return -PGT_EINVAL;
    if (pgt_leaf_attrs(&pgt->geom, pgt->regime, 0, prot, attrs))
        return -PGT_EINVAL;
    return ret;
}

int pgt_hyp_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
                enum pgt_prot prot)
{
    pgt_pte_t attrs = 0;
    int ret = s1_check(pgt, addr, size, phys, prot, &attrs);

    if (ret)
        return ret;
    if (phys + size < phys || phys + size > (1ull << pgt->geom.oa_bits))
        return -PGT_ERANGE;
    if (size == 1ull << pgt->geom.granule_shift)
        return pgt_page(pgt)->map(pgt, addr, phys, attrs, NULL, 0);
    return pgt_engine_map(pgt, addr, size, phys, attrs, NULL, 0);
}

int64_t pgt_s1_map_cost(const struct pgt *pgt, uint64_t addr, uint64_t size,
                        uint64_t phys, enum pgt_prot prot)
{
    pgt_pte_t attrs = 0;
    int ret = s1_check(pgt, addr, size, phys, prot, &attrs);

    if (ret)
        return ret;
    if (phys + size < phys || phys + size > (1ull << pgt->geom.oa_bits))
        return -PGT_ERANGE;
    return pgt_engine_map_cost(pgt, addr, size, phys, attrs, 0);
}

int64_t pgt_hyp_unmap(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range(pgt, addr, size);
    if (ret)
        return ret;
    if (size == 1ull << pgt->geom.granule_shift)
        return pgt_unmap_page(pgt, addr, NULL);
    return pgt_engine_clear(pgt, addr, size, 0, NULL);
}

int pgt_hyp_coalesce(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range(pgt, addr, size);
    if (ret)
        return ret;
    return pgt_engine_fold(pgt, addr, size);
}

int pgt_hyp_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                    enum pgt_prot prot)
{
    pgt_pte_t attrs = 0;
    int ret = s1_check(pgt, addr, size, 0, prot, &attrs);

    if (ret)
        return ret;
    /* Every attribute is replaced; the memory type must stay. */
    return pgt_engine_protect(pgt, addr, size, attrs,
                              ~(pgt_oa_field_mask(&pgt->geom) | PGT_PTE_TYPE |
                                PGT_PTE_VALID),
                              PGT_S1_ATTRINDX_MASK, false);
}

void pgt_hyp_destroy(struct pgt *pgt)
{
    pgt_destroy(pgt);
}

uint64_t pgt_s1_tcr(const struct pgt *pgt)
{
    if (!pgt || !pgt->pgd)
        return 0;
    const struct pgt_geom *g = &pgt->geom;
    uint64_t tcr = ((uint64_t)(64 - g->ia_bits) << TCR_T0SZ_SHIFT) |
                   TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |
                   (pgt_tg0_encode(g->granule_shift) << TCR_TG0_SHIFT);

    if (pgt->regime == PGT_REGIME_EL2) {
        tcr |= TCR_EL2_RES1 | (pgt_ps_encode(g->oa_bits) << TCR_EL2_PS_SHIFT);
        if (g->lpa2)
            tcr |= TCR_EL2_DS;
        return tcr;
    }
    /* EL1&0: TTBR1 walks disabled, TG1 a legal value matching TG0. */
    uint64_t tg1 = g->granule_shift == PGT_GRANULE_4K ? 2
                   : g->granule_shift == PGT_GRANULE_16K ? 1 : 3;
    tcr |= TCR_EL1_EPD1 | (tg1 << TCR_EL1_TG1_SHIFT) |
           (pgt_ps_encode(g->oa_bits) << TCR_EL1_IPS_SHIFT);
    if (g->lpa2)
        tcr |= TCR_EL1_DS;
    return tcr;
}
