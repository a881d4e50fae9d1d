// SPDX-License-Identifier: MIT
/*
 * Descriptor layer: table geometry (granule, levels, concatenated roots)
 * and descriptor encoding (OA field per granule/LPA2, leaf attributes per
 * regime). Pure functions. Arm ARM DDI 0487, D8.2 and D8.3.
 */
#include "pgtable/desc.h"
#include "pgtable/errno.h"
#include "pgtable/pgt.h" /* PGT_S2_FWB, PGT_S2_XNX, PGT_S1_ALLOW_WX */

/* OA bits [47:granule] sit in descriptor bits [47:granule] (D8.3.1). */
#define OA_LOW_TOP 48
/* LPA2 (4K/16K, DS=1): OA[49:48] in descriptor [49:48], OA[51:50] in [9:8]. */
#define LPA2_OA_LOW_TOP 50
#define LPA2_OA_HI_SHIFT 50
#define LPA2_OA_HI_DESC_SHIFT 8
/* 64K with FEAT_LPA: OA[51:48] in descriptor bits [15:12]. */
#define LPA64K_OA_HI_SHIFT 48
#define LPA64K_OA_HI_DESC_SHIFT 12

static bool oa_bits_legal(uint32_t oa_bits)
{
    switch (oa_bits) {
    case 32: case 36: case 40: case 42: case 44: case 48: case 52:
        return true;
    default:
        return false;
    }
}

/* Bits the root at @level resolves for an @ia_bits input address. */
static int root_bits(uint32_t gshift, uint32_t bpl, uint32_t ia_bits,
                     int level)
{
    return (int)ia_bits - (int)(gshift + bpl * (uint32_t)(3 - level));
}

int pgt_geom_init(struct pgt_geom *g, enum pgt_granule granule,
                  uint32_t ia_bits, uint32_t oa_bits, int start_level,
                  uint32_t flags)
{
    uint32_t gs = (uint32_t)granule, bpl;
    bool lpa2 = (flags & PGT_GEOM_LPA2) != 0;
    int min_level, bits, level;

    if (!g || (flags & ~(PGT_GEOM_LPA2 | PGT_GEOM_CONCAT)))
        return -PGT_EINVAL;
    if (gs != PGT_GRANULE_4K && gs != PGT_GRANULE_16K && gs != PGT_GRANULE_64K)
        return -PGT_EINVAL;
    /* DS (LPA2) exists for the 4K and 16K granules only. */
    if (lpa2 && gs == PGT_GRANULE_64K)
        return -PGT_EINVAL;
    if (!oa_bits_legal(oa_bits))
        return -PGT_EINVAL;
    /* 52-bit OA: LPA2 for 4K/16K, FEAT_LPA for 64K. */
    if (oa_bits == 52 && gs != PGT_GRANULE_64K && !lpa2)
        return -PGT_EINVAL;
    /* IA size: T0SZ <= 39 (25 bits) .. 48 bits, 52 with LPA2/64K (LVA). */
    if (ia_bits < 25 || ia_bits > 52)
        return -PGT_EINVAL;
    if (ia_bits > 48 && gs != PGT_GRANULE_64K && !lpa2)
        return -PGT_EINVAL;

    bpl = gs - 3;
    /* Level -1 exists only for 4K with LPA2. */
    min_level = (gs == PGT_GRANULE_4K && lpa2) ? -1 : 0;

    if (start_level == PGT_LEVEL_AUTO) {
        /* Highest level whose single root page resolves the rest. */
        for (level = PGT_LEVEL_MAX; level >= min_level; level--) {
            bits = root_bits(gs, bpl, ia_bits, level);
            if (bits >= 1 && bits <= (int)bpl)
                break;
        }
        if (level < min_level)
            return -PGT_EINVAL;
        start_level = level;
    }
    if (start_level < min_level || start_level > PGT_LEVEL_MAX)
        return -PGT_EINVAL;
    /*
     * The start level must resolve at least one bit and at most a full
     * table plus 4 bits of concatenation (2..16 pages): the Arm ARM's
     * S2InconsistentSL rule.
     */
    bits = root_bits(gs, bpl, ia_bits, start_level);
    if (bits < 1 || bits > (int)bpl + 4)
        return -PGT_EINVAL;
    if (bits > (int)bpl && !(flags & PGT_GEOM_CONCAT))
        return -PGT_EINVAL;

    g->granule_shift = (uint8_t)gs;
    g->bits_per_level = (uint8_t)bpl;
    g->ia_bits = (uint8_t)ia_bits;
    g->oa_bits = (uint8_t)oa_bits;
    g->start_level = (int8_t)start_level;
    g->nr_root_pages = (uint8_t)(bits > (int)bpl ? 1u << (bits - (int)bpl) : 1u);
    g->lpa2 = lpa2 ? 1 : 0;
    g->pad = 0;
    return 0;
}

uint64_t pgt_root_entries(const struct pgt_geom *g)
{
    return 1ull << (g->ia_bits - pgt_level_shift(g, g->start_level));
}

uint64_t pgt_level_index(const struct pgt_geom *g, uint64_t addr, int level)
{
    uint64_t mask = level == g->start_level ? pgt_root_entries(g) - 1
                                            : pgt_ptes_per_page(g) - 1;
    return (addr >> pgt_level_shift(g, level)) & mask;
}

bool pgt_level_has_block(const struct pgt_geom *g, int level)
{
    if (level < g->start_level || level > PGT_LEVEL_MAX)
        return false;
    if (level >= 2)
        return true;
    switch (g->granule_shift) {
    case PGT_GRANULE_4K:
        /* 1 GiB at level 1; 512 GiB at level 0 with LPA2. */
        return level == 1 || (level == 0 && g->lpa2);
    case PGT_GRANULE_16K:
        /* 64 GiB at level 1 with LPA2. */
        return level == 1 && g->lpa2;
    default:
        /* 64K: 4 TiB at level 1 with 52-bit OA (FEAT_LPA). */
        return level == 1 && g->oa_bits == 52;
    }
}

uint32_t pgt_cont_entries(const struct pgt_geom *g, int level)
{
    if (!pgt_level_has_block(g, level))
        return 0;
    switch (level) {
    case PGT_LEVEL_MAX:
        return g->granule_shift == PGT_GRANULE_4K    ? 16
               : g->granule_shift == PGT_GRANULE_16K ? 128
                                                     : 32;
    case 2:
        return g->granule_shift == PGT_GRANULE_4K ? 16 : 32;
    case 1:
        /* 16 GiB runs of 1 GiB blocks; none for the LPA2-only blocks */
        return g->granule_shift == PGT_GRANULE_4K && !g->lpa2 ? 16 : 0;
    default:
        return 0;
    }
}

/* Descriptor bits holding OA bits below 48 (or 50 with LPA2). */
static uint64_t oa_low_mask(const struct pgt_geom *g)
{
    uint32_t top = g->lpa2 ? LPA2_OA_LOW_TOP : OA_LOW_TOP;
    return ((1ull << top) - 1) & ~((1ull << g->granule_shift) - 1);
}

/*
 * The OA bits above the low field: bits [@pa_shift + 3 (LPA2: + 1) :
 * @pa_shift] of the address sit in descriptor bits from @desc_shift
 * (LPA2: OA[51:50] in [9:8]; 64K with FEAT_LPA: OA[51:48] in [15:12]).
 * Returns the field's mask (before shifting), 0 when there is none.
 */
static uint64_t oa_high(const struct pgt_geom *g, uint32_t *pa_shift,
                        uint32_t *desc_shift)
{
    if (g->lpa2) {
        *pa_shift = LPA2_OA_HI_SHIFT;
        *desc_shift = LPA2_OA_HI_DESC_SHIFT;
        return 3;
    }
    *pa_shift = LPA64K_OA_HI_SHIFT;
    *desc_shift = LPA64K_OA_HI_DESC_SHIFT;
    return g->granule_shift == PGT_GRANULE_64K ? 0xf : 0;
}

pgt_pte_t pgt_oa_encode(const struct pgt_geom *g, uint64_t pa)
{
    uint32_t pa_shift, desc_shift;
    uint64_t hi = oa_high(g, &pa_shift, &desc_shift);

    return (pa & oa_low_mask(g)) | (((pa >> pa_shift) & hi) << desc_shift);
}

uint64_t pgt_oa_decode(const struct pgt_geom *g, pgt_pte_t pte)
{
    uint32_t pa_shift, desc_shift;
    uint64_t hi = oa_high(g, &pa_shift, &desc_shift);

    return (pte & oa_low_mask(g)) | (((pte >> desc_shift) & hi) << pa_shift);
}

pgt_pte_t pgt_make_leaf(const struct pgt_geom *g, uint64_t pa,
                        pgt_pte_t attrs, int level)
{
    pgt_pte_t type = level == PGT_LEVEL_MAX ? PGT_PTE_TYPE : 0;

    return pgt_oa_encode(g, pa) | attrs | type | PGT_PTE_VALID;
}

pgt_pte_t pgt_make_table(const struct pgt_geom *g, uint64_t table_pa)
{
    return pgt_oa_encode(g, table_pa) | PGT_PTE_TYPE | PGT_PTE_VALID;
}

#define PROT_MEMTYPE (PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC)
#define PROT_ALL                                                               \
    (PGT_PROT_RWX | PROT_MEMTYPE | PGT_PROT_USER | PGT_PROT_PXN |              \
     PGT_PROT_UXN | PGT_PROT_SW_MASK | PGT_PROT_NG | PGT_PROT_NS)

static pgt_pte_t sw_bits(enum pgt_prot prot)
{
    return (pgt_pte_t)((prot & PGT_PROT_SW_MASK) >> PGT_PROT_SW_SHIFT)
           << PGT_PTE_SW_SHIFT;
}

static uint32_t sw_prot(pgt_pte_t pte)
{
    return (uint32_t)((pte & PGT_PTE_SW_MASK) >> PGT_PTE_SW_SHIFT)
           << PGT_PROT_SW_SHIFT;
}

/* Shareability in the descriptor: inner shareable, unless LPA2 moved the
 * SH field to TCR/VTCR (bits [9:8] then hold OA[51:50]). */
static pgt_pte_t sh_bits(const struct pgt_geom *g)
{
    return g->lpa2 ? 0 : PGT_SH_INNER << PGT_PTE_SH_SHIFT;
}

/* Stage-2 XN[1:0] field value (bits [54:53]) for an allowed @prot. */
static pgt_pte_t s2_xn_bits(uint32_t s2flags, enum pgt_prot prot)
{
    if (!(prot & PGT_PROT_X))
        return PGT_S2_XN; /* XN[1:0] = 0b10: no execution at all */
    if (!(s2flags & PGT_S2_XNX))
        return 0;
    if (prot & PGT_PROT_PXN)
        return 1ull << PGT_S2_XN_SHIFT; /* 0b01: EL0 only */
    if (prot & PGT_PROT_UXN)
        return 3ull << PGT_S2_XN_SHIFT; /* 0b11: EL1 only */
    return 0;
}

static int s2_leaf_attrs(uint32_t s2flags, uint32_t p, pgt_pte_t *a)
{
    if (p & (PGT_PROT_USER | PGT_PROT_NG | PGT_PROT_NS))
        return -PGT_EINVAL;
    if (p & (PGT_PROT_PXN | PGT_PROT_UXN)) {
        if (!(p & PGT_PROT_X) || !(s2flags & PGT_S2_XNX))
            return -PGT_EINVAL;
        if ((p & (PGT_PROT_PXN | PGT_PROT_UXN)) ==
            (PGT_PROT_PXN | PGT_PROT_UXN))
            return -PGT_EINVAL;
    }
    uint64_t memattr;
    bool fwb = (s2flags & PGT_S2_FWB) != 0;
    if (p & PGT_PROT_DEVICE)
        memattr = fwb ? PGT_S2_FWB_MEMATTR_DEVICE_nGnRE
                      : PGT_S2_MEMATTR_DEVICE_nGnRE;
    else if (p & PGT_PROT_NORMAL_NC)
        memattr = fwb ? PGT_S2_FWB_MEMATTR_NORMAL_NC : PGT_S2_MEMATTR_NORMAL_NC;
    else
        memattr = fwb ? PGT_S2_FWB_MEMATTR_NORMAL_WB : PGT_S2_MEMATTR_NORMAL_WB;
    *a |= memattr << PGT_S2_MEMATTR_SHIFT;
    if (p & PGT_PROT_R)
        *a |= PGT_S2_S2AP_R;
    if (p & PGT_PROT_W) {
        *a |= PGT_S2_S2AP_W;
        /* Writable, and the hardware may make it writable again after a
         * write-protect: the dirty state. */
        if (s2flags & PGT_S2_HW_DIRTY)
            *a |= PGT_PTE_DBM;
    }
    *a |= s2_xn_bits(s2flags, (enum pgt_prot)p);
    return 0;
}

/* The stage-1 regimes with EL0 and ASIDs (two VA ranges, AP[1], PXN and
 * UXN, nG) and those with one privilege level (AP[1] RES1, one XN bit). */
static bool s1_two_el(enum pgt_regime regime)
{
    return regime == PGT_REGIME_EL10 || regime == PGT_REGIME_EL20;
}

static int s1_leaf_attrs(enum pgt_regime regime, uint32_t flags, uint32_t p,
                         pgt_pte_t *a)
{
    bool two = s1_two_el(regime);

    if (!two && regime != PGT_REGIME_EL2 && regime != PGT_REGIME_EL3)
        return -PGT_EINVAL;
    if (!(p & PGT_PROT_R) || (p & (PGT_PROT_PXN | PGT_PROT_UXN)))
        return -PGT_EINVAL;
    if ((p & PGT_PROT_W) && (p & PGT_PROT_X) && !(flags & PGT_S1_ALLOW_WX))
        return -PGT_EINVAL;
    /* EL0 access and ASIDs exist only in the two-EL regimes; the NS bit
     * only in EL3's, the one in Secure state. */
    if ((p & (PGT_PROT_USER | PGT_PROT_NG)) && !two)
        return -PGT_EINVAL;
    if ((p & PGT_PROT_NS) && regime != PGT_REGIME_EL3)
        return -PGT_EINVAL;

    uint64_t idx = (p & PGT_PROT_DEVICE)      ? PGT_MAIR_IDX_DEVICE
                   : (p & PGT_PROT_NORMAL_NC) ? PGT_MAIR_IDX_NORMAL_NC
                                              : PGT_MAIR_IDX_NORMAL;
    *a |= idx << PGT_S1_ATTRINDX_SHIFT;
    if (!(p & PGT_PROT_W))
        *a |= PGT_S1_AP_RO;
    if (!two) {
        /* AP[1] is RES1 with one privilege level; XN is bit 54. */
        *a |= PGT_S1_AP_USER;
        if (!(p & PGT_PROT_X))
            *a |= PGT_S1_XN;
        if (p & PGT_PROT_NS)
            *a |= PGT_S1_NS;
        return 0;
    }
    if (p & PGT_PROT_USER)
        *a |= PGT_S1_AP_USER;
    if (!(p & PGT_PROT_X))
        *a |= PGT_S1_PXN | PGT_S1_UXN;
    else if (p & PGT_PROT_USER)
        *a |= PGT_S1_PXN; /* user code: never executable at EL1/EL2 */
    else
        *a |= PGT_S1_UXN; /* kernel code: never executable at EL0 */
    if (p & PGT_PROT_NG)
        *a |= PGT_S1_NG;
    return 0;
}

int pgt_leaf_attrs(const struct pgt_geom *g, enum pgt_regime regime,
                   uint32_t flags, enum pgt_prot prot, pgt_pte_t *attrs)
{
    pgt_pte_t a;
    uint32_t p = (uint32_t)prot;
    int ret;

    if (!g || !attrs || (p & ~(uint32_t)PROT_ALL))
        return -PGT_EINVAL;
    if ((p & PROT_MEMTYPE) == PROT_MEMTYPE)
        return -PGT_EINVAL;
    if ((p & PGT_PROT_X) && (p & PGT_PROT_DEVICE))
        return -PGT_EINVAL;

    a = PGT_PTE_AF | sh_bits(g) | sw_bits(prot);
    ret = regime == PGT_REGIME_S2 ? s2_leaf_attrs(flags, p, &a)
                                  : s1_leaf_attrs(regime, flags, p, &a);
    if (ret)
        return ret;
    *attrs = a;
    return 0;
}

enum pgt_prot pgt_leaf_prot(const struct pgt_geom *g, enum pgt_regime regime,
                            uint32_t flags, pgt_pte_t pte)
{
    uint32_t p = sw_prot(pte);

    (void)g;
    if (regime == PGT_REGIME_S2) {
        uint64_t memattr = (pte & PGT_S2_MEMATTR_MASK) >> PGT_S2_MEMATTR_SHIFT;
        bool fwb = (flags & PGT_S2_FWB) != 0;

        if (pte & PGT_S2_S2AP_R)
            p |= PGT_PROT_R;
        if (pte & PGT_S2_S2AP_W)
            p |= PGT_PROT_W;
        if (memattr == (fwb ? PGT_S2_FWB_MEMATTR_DEVICE_nGnRE
                            : PGT_S2_MEMATTR_DEVICE_nGnRE))
            p |= PGT_PROT_DEVICE;
        else if (memattr == (fwb ? PGT_S2_FWB_MEMATTR_NORMAL_NC
                                 : PGT_S2_MEMATTR_NORMAL_NC))
            p |= PGT_PROT_NORMAL_NC;
        uint64_t xn = (pte & PGT_S2_XN_MASK) >> PGT_S2_XN_SHIFT;
        if (flags & PGT_S2_XNX) {
            if (xn == 0)
                p |= PGT_PROT_X;
            else if (xn == 1)
                p |= PGT_PROT_X | PGT_PROT_PXN;
            else if (xn == 3)
                p |= PGT_PROT_X | PGT_PROT_UXN;
        } else if (!(pte & PGT_S2_XN)) {
            p |= PGT_PROT_X;
        }
        return (enum pgt_prot)p;
    }

    uint64_t idx = (pte & PGT_S1_ATTRINDX_MASK) >> PGT_S1_ATTRINDX_SHIFT;
    p |= PGT_PROT_R;
    if (!(pte & PGT_S1_AP_RO))
        p |= PGT_PROT_W;
    if (idx == PGT_MAIR_IDX_DEVICE || idx == PGT_MAIR_IDX_DEVICE_nGnRnE)
        p |= PGT_PROT_DEVICE;
    else if (idx == PGT_MAIR_IDX_NORMAL_NC)
        p |= PGT_PROT_NORMAL_NC;
    if (!s1_two_el(regime)) {
        if (!(pte & PGT_S1_XN))
            p |= PGT_PROT_X;
        if (regime == PGT_REGIME_EL3 && (pte & PGT_S1_NS))
            p |= PGT_PROT_NS;
    } else {
        if (pte & PGT_S1_AP_USER)
            p |= PGT_PROT_USER;
        if (!(pte & ((pte & PGT_S1_AP_USER) ? PGT_S1_UXN : PGT_S1_PXN)))
            p |= PGT_PROT_X;
        if (pte & PGT_S1_NG)
            p |= PGT_PROT_NG;
    }
    return (enum pgt_prot)p;
}

pgt_pte_t pgt_oa_field_mask(const struct pgt_geom *g)
{
    uint32_t pa_shift, desc_shift;
    uint64_t hi = oa_high(g, &pa_shift, &desc_shift);

    return oa_low_mask(g) | (hi << desc_shift);
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

/* TCR TG0 encoding: 0 = 4K, 1 = 64K, 2 = 16K. */
uint64_t pgt_tg0_encode(uint32_t granule_shift)
{
    return granule_shift == PGT_GRANULE_4K ? 0
           : granule_shift == PGT_GRANULE_64K ? 1 : 2;
}
