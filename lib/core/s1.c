// SPDX-License-Identifier: MIT
/*
 * Stage-1 tables: EL2 (nVHE hyp) and the EL1&0 lower VA range. The
 * operations are thin wrappers over the engine in ops.c.
 */
#include "fast.h"
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

bool pgt_mm_ops_ok(const struct pgt_mm_ops *mm)
{
    return mm && mm->zalloc_page && mm->get_page && mm->put_page &&
           mm->page_count && mm->phys_to_virt && mm->virt_to_phys;
}

int pgt_s1_init(struct pgt *pgt, enum pgt_regime regime, uint32_t va_bits,
                enum pgt_granule granule, uint32_t oa_bits,
                uint32_t geom_flags, const struct pgt_mm_ops *mm_ops,
                void *mm_ctx)
{
    struct pgt_geom g;
    pgt_pte_t *root;
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
    root = mm_ops->zalloc_page(mm_ctx, NULL);
    if (!root)
        return -PGT_ENOMEM;
    pgt->pgd = root;
    pgt->pgd_phys = mm_ops->virt_to_phys(mm_ctx, root);
    pgt_geom_copy(&pgt->geom, &g);
    pgt->regime = regime;
    pgt->flags = 0;
    pgt->mm_ops = mm_ops;
    pgt->mm_ctx = mm_ctx;
    pgt->pte_ops = NULL;
    pgt->priv = NULL;
    pgt->fast = 0;
    return 0;
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

int pgt_hyp_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
                enum pgt_prot prot)
{
    struct pgt_op op;
    pgt_pte_t attrs = 0;
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range_of(pgt, addr, size);
    if (ret == -PGT_EINVAL)
        return ret;
    if (phys & (pgt_granule(pgt) - 1))
        return -PGT_EINVAL;
    if (pgt_leaf_attrs(&pgt->geom, pgt->regime, 0, prot, &attrs))
        return -PGT_EINVAL;
    if (ret)
        return ret;
    if (phys + size < phys || phys + size > (1ull << pgt->geom.oa_bits))
        return -PGT_ERANGE;

    if (size == pgt_granule(pgt)) {
        ret = pgt_fast_map_page(pgt, addr, phys, attrs, NULL, false, false,
                                true);
        if (ret != PGT_FAST_FALLBACK)
            return ret;
    }
    pgt_op_init(&op, pgt, PGT_OP_MAP, addr, size);
    op.attrs = attrs;
    op.phys = phys;
    op.stage1 = true;
    return pgt_op_run(&op);
}

int64_t pgt_hyp_unmap(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    struct pgt_op op;
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range_of(pgt, addr, size);
    if (ret)
        return ret;
    if (size == pgt_granule(pgt)) {
        int64_t bytes;
        ret = pgt_fast_clear_page(pgt, addr, &bytes);
        if (ret != PGT_FAST_FALLBACK)
            return ret ? ret : bytes;
    }
    pgt_op_init(&op, pgt, PGT_OP_CLEAR, addr, size);
    op.free_empty = true;
    ret = pgt_op_run(&op);
    if (ret)
        return ret;
    return op.bytes;
}

int pgt_hyp_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                    enum pgt_prot prot)
{
    struct pgt_op op;
    pgt_pte_t attrs = 0;
    int ret;

    if (!is_s1(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range_of(pgt, addr, size);
    if (ret == -PGT_EINVAL)
        return ret;
    if (pgt_leaf_attrs(&pgt->geom, pgt->regime, 0, prot, &attrs))
        return -PGT_EINVAL;
    if (ret)
        return ret;
    pgt_op_init(&op, pgt, PGT_OP_PROT, addr, size);
    op.attrs = attrs;
    return pgt_op_run(&op);
}

void pgt_hyp_destroy(struct pgt *pgt)
{
    if (!pgt || !pgt->pgd || !pgt->mm_ops)
        return;
    pgt_destroy_tables(pgt);
    pgt_clear(pgt);
}

/* PS/IPS encoding of an OA size (D19.2 TCR_EL2.PS). */
uint64_t pgt_ps_encode(uint32_t oa_bits)
{
    switch (oa_bits) {
    case 32: return 0;
    case 36: return 1;
    case 40: return 2;
    case 42: return 3;
    case 44: return 4;
    case 48: return 5;
    default: return 6; /* 52 */
    }
}

/* TG0 encoding: 0 = 4K, 1 = 64K, 2 = 16K. */
uint64_t pgt_tg0_encode(uint32_t granule_shift)
{
    return granule_shift == PGT_GRANULE_4K ? 0
           : granule_shift == PGT_GRANULE_64K ? 1 : 2;
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
