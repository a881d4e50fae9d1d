// SPDX-License-Identifier: MIT
/*
 * Stage-2 tables (like kvm_pgtable_stage2_*): init from explicit geometry
 * or a VTCR_EL2 value, and the operations. Each checks its arguments here
 * and hands the work to the one-page paths (page.c) or the engine
 * (engine.c); the leaf operations (permissions, access flag) act on the
 * entry the descent finds.
 */
#include "internal.h"

#define VTCR_T0SZ_MASK 0x3full
#define VTCR_SL0_MASK 3ull
#define VTCR_TG0_MASK 3ull
#define VTCR_PS_MASK 7ull
#define VTCR_IRGN0_WBWA (1ull << PGT_VTCR_IRGN0_SHIFT)
#define VTCR_ORGN0_WBWA (1ull << PGT_VTCR_ORGN0_SHIFT)
#define VTCR_SH0_INNER (3ull << PGT_VTCR_SH0_SHIFT)

#define S2_FLAGS                                                               \
    (PGT_S2_FWB | PGT_S2_XNX | PGT_S2_HOST | PGT_S2_HW_DIRTY |                 \
     PGT_S2_COALESCE | PGT_NO_CONT)
#define MAP_FLAGS (PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE)

/* A live stage-2 table (pgt_create() sets pgd and mm_ops together,
 * destroy clears both). */
static bool is_s2(const struct pgt *pgt)
{
    return pgt && pgt->pgd && pgt->regime == PGT_REGIME_S2;
}

/* A stage-2 table and a granule-aligned range inside its IA size:
 * -PGT_EINVAL or -PGT_ERANGE as pgt_check_range(), else 0. */
static inline __attribute__((always_inline)) int s2_check_range(const struct pgt *pgt, uint64_t addr, uint64_t size)
{
    if (!is_s2(pgt))
        return -PGT_EINVAL;
    return pgt_check_range(pgt, addr, size);
}

/*
 * Stage-2 start-level rules beyond the common ones in pgt_geom_init()
 * (Arm ARM AArch64.S2InvalidSL): with the 16K granule, start level 0
 * (SL0=0b11) needs DS=1.
 */
static int s2_geom_check(const struct pgt_geom *g)
{
    if (g->granule_shift == PGT_GRANULE_16K && g->start_level == 0 &&
        !g->lpa2)
        return -PGT_EINVAL;
    return 0;
}

int pgt_s2_init(struct pgt *pgt, const struct pgt_s2_cfg *cfg,
                const struct pgt_mm_ops *mm_ops, void *mm_ctx,
                const struct pgt_pte_ops *pte_ops)
{
    uint32_t gflags;
    struct pgt_geom g;
    int ret;

    if (!pgt || !cfg || !pgt_mm_ops_ok(mm_ops))
        return -PGT_EINVAL;
    if ((cfg->flags & ~S2_FLAGS) ||
        (cfg->geom_flags & ~(PGT_GEOM_LPA2 | PGT_GEOM_CONCAT)))
        return -PGT_EINVAL;
    gflags = cfg->geom_flags | PGT_GEOM_CONCAT;
    if (cfg->start_level == PGT_LEVEL_AUTO) {
        /* Fewest levels: the highest start level with <= 16 root pages
         * (level 3 with 4K needs FEAT_TTST: not chosen automatically). */
        int top = cfg->granule == PGT_GRANULE_4K ? 2 : 3;
        ret = -PGT_EINVAL;
        for (int l = top; l >= PGT_LEVEL_MIN && ret; l--) {
            ret = pgt_geom_init(&g, cfg->granule, cfg->ia_bits, cfg->oa_bits,
                                l, gflags);
            if (!ret)
                ret = s2_geom_check(&g);
        }
    } else {
        ret = pgt_geom_init(&g, cfg->granule, cfg->ia_bits, cfg->oa_bits,
                            cfg->start_level, gflags);
        if (!ret)
            ret = s2_geom_check(&g);
    }
    if (ret)
        return ret;
    return pgt_create(pgt, &g, PGT_REGIME_S2, cfg->flags, mm_ops, mm_ctx,
                      pte_ops);
}

int pgt_s2_init_vtcr(struct pgt *pgt, uint64_t vtcr, uint32_t flags,
                     const struct pgt_mm_ops *mm_ops, void *mm_ctx,
                     const struct pgt_pte_ops *pte_ops)
{
    static const uint8_t ps_bits[] = { 32, 36, 40, 42, 44, 48, 52 };
    uint64_t t0sz = vtcr & VTCR_T0SZ_MASK;
    uint64_t sl0 = (vtcr >> PGT_VTCR_SL0_SHIFT) & VTCR_SL0_MASK;
    uint64_t tg0 = (vtcr >> PGT_VTCR_TG0_SHIFT) & VTCR_TG0_MASK;
    uint64_t ps = (vtcr >> PGT_VTCR_PS_SHIFT) & VTCR_PS_MASK;
    bool ds = (vtcr & PGT_VTCR_DS) != 0, sl2 = (vtcr & PGT_VTCR_SL2) != 0;
    enum pgt_granule granule;
    struct pgt_geom g;
    int level, ret;

    if (!pgt || !pgt_mm_ops_ok(mm_ops) || (flags & ~S2_FLAGS))
        return -PGT_EINVAL;
    /* HD asks for the hardware dirty state: the flag that goes with it.
     * HA alone (access flag) changes nothing the library writes. */
    if (vtcr & PGT_VTCR_HD)
        flags |= PGT_S2_HW_DIRTY;
    if (ps > 6 || tg0 == 3)
        return -PGT_EINVAL;
    granule = tg0 == 0 ? PGT_GRANULE_4K
              : tg0 == 1 ? PGT_GRANULE_64K : PGT_GRANULE_16K;
    if (sl2 && (!ds || granule != PGT_GRANULE_4K || sl0 != 0))
        return -PGT_EINVAL;
    switch (granule) {
    case PGT_GRANULE_4K:
        /* SL0: 0 -> 2, 1 -> 1, 2 -> 0, 3 -> 3 (FEAT_TTST); SL2 -> -1 */
        level = sl2 ? -1 : sl0 == 3 ? 3 : 2 - (int)sl0;
        break;
    case PGT_GRANULE_16K:
        level = 3 - (int)sl0; /* 0 -> 3 ... 3 -> 0 */
        break;
    default:
        if (sl0 == 3)
            return -PGT_EINVAL; /* reserved for 64K */
        level = 3 - (int)sl0;
        break;
    }
    ret = pgt_geom_init(&g, granule, 64 - (uint32_t)t0sz, ps_bits[ps], level,
                        PGT_GEOM_CONCAT | (ds ? PGT_GEOM_LPA2 : 0));
    if (!ret)
        ret = s2_geom_check(&g);
    if (ret)
        return ret;
    return pgt_create(pgt, &g, PGT_REGIME_S2, flags, mm_ops, mm_ctx, pte_ops);
}

uint64_t pgt_s2_vtcr(const struct pgt *pgt)
{
    if (!pgt || !pgt->pgd)
        return 0;
    const struct pgt_geom *g = &pgt->geom;
    int l = g->start_level;
    uint64_t sl0, vtcr;

    if (g->granule_shift == PGT_GRANULE_4K)
        sl0 = l == -1 ? 0 : l == 3 ? 3 : (uint64_t)(2 - l);
    else
        sl0 = (uint64_t)(3 - l);
    vtcr = ((uint64_t)(64 - g->ia_bits) << PGT_VTCR_T0SZ_SHIFT) |
           (sl0 << PGT_VTCR_SL0_SHIFT) | VTCR_IRGN0_WBWA | VTCR_ORGN0_WBWA |
           VTCR_SH0_INNER |
           (pgt_tg0_encode(g->granule_shift) << PGT_VTCR_TG0_SHIFT) |
           (pgt_ps_encode(g->oa_bits) << PGT_VTCR_PS_SHIFT) | PGT_VTCR_RES1;
    if (g->lpa2)
        vtcr |= PGT_VTCR_DS;
    if (l == -1)
        vtcr |= PGT_VTCR_SL2;
    if (pgt->flags & PGT_S2_HW_DIRTY)
        vtcr |= PGT_VTCR_HA | PGT_VTCR_HD;
    return vtcr;
}

/* A checked map of more than one page: the engine, asked whether the
 * embedder wants pages only. */
static __attribute__((noinline)) int s2_map_range(struct pgt *pgt, uint64_t addr,
                                                  uint64_t size, uint64_t phys,
                                                  enum pgt_prot prot,
                                                  pgt_pte_t attrs, void *mc,
                                                  unsigned int cmo)
{
    if (pgt->pte_ops && pgt->pte_ops->force_pte &&
        pgt->pte_ops->force_pte(addr, addr + size, prot))
        cmo |= PGT_MAP_FORCE_PTE;
    return pgt_engine_map(pgt, addr, size, phys, attrs, mc, cmo);
}

/* The first checks of pgt_s2_map(): the table, alignment, flags. */
static inline __attribute__((always_inline)) int
s2_map_check_args(const struct pgt *pgt, uint64_t addr, uint64_t size,
                  uint64_t phys, uint32_t flags)
{
    if (!is_s2(pgt))
        return -PGT_EINVAL;
    uint64_t gmask = (1ull << pgt->geom.granule_shift) - 1;
    if (!size || ((addr | size | phys) & gmask) || (flags & ~MAP_FLAGS))
        return -PGT_EINVAL;
    return 0;
}

/* The rest, once the leaf attributes are known (every -PGT_EINVAL before
 * any -PGT_ERANGE); *@cmo: the cache maintenance the map needs. */
static inline __attribute__((always_inline)) int
s2_map_check(const struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
             enum pgt_prot prot, uint32_t flags, unsigned int *cmo)
{
    if ((pgt->flags & PGT_S2_HOST) && phys != addr)
        return -PGT_EINVAL;
    if (addr + size < addr || ((addr + size - 1) >> pgt->geom.ia_bits) ||
        phys + size < phys || ((phys + size - 1) >> pgt->geom.oa_bits))
        return -PGT_ERANGE;
    /* Cache maintenance (mm_ops.h): normal write-back memory is cleaned
     * to PoC unless FWB forces the guest's accesses cacheable; executable
     * memory needs the instruction cache invalidated to PoU (FWB does not
     * cover that). internal.cmo holds what the table's flags and hooks
     * allow. */
    *cmo = pgt->internal.cmo & ~flags &
           (((prot & (PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC)) ? 0 : PGT_CMO_D) |
            ((prot & PGT_PROT_X) ? PGT_CMO_I : 0));
    return 0;
}

/* pgt_s2_map() once the leaf attributes @attrs are known: the remaining
 * checks, then the one-page instance or the engine. */
static inline __attribute__((always_inline)) int
s2_map_attrs(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
             enum pgt_prot prot, pgt_pte_t attrs, void *mc, uint32_t flags)
{
    unsigned int cmo;
    int ret = s2_map_check(pgt, addr, size, phys, prot, flags, &cmo);

    if (ret)
        return ret;
    if (size == 1ull << pgt->geom.granule_shift)
        return pgt->internal.map(pgt, addr, phys, attrs, mc, cmo);
    return s2_map_range(pgt, addr, size, phys, prot, attrs, mc, cmo);
}

/* Plain memory, a fault handler's usual request: what pgt_leaf_attrs()
 * gives for R/W/X @prot, from the table's normal-memory bits. */
static inline __attribute__((always_inline)) pgt_pte_t
s2_plain_attrs(const struct pgt *pgt, enum pgt_prot prot)
{
    return pgt->internal.rwx_attrs[prot & PGT_PROT_RWX];
}

/* pgt_s2_map() of anything but plain R/W/X memory: the general rules of
 * pgt_leaf_attrs(). */
static __attribute__((noinline)) int s2_map_prot(struct pgt *pgt, uint64_t addr,
                                                 uint64_t size, uint64_t phys,
                                                 enum pgt_prot prot, void *mc,
                                                 uint32_t flags)
{
    pgt_pte_t attrs;

    if (pgt_leaf_attrs(&pgt->geom, PGT_REGIME_S2, pgt->flags, prot, &attrs))
        return -PGT_EINVAL;
    return s2_map_attrs(pgt, addr, size, phys, prot, attrs, mc, flags);
}

static int s2_map_general(struct pgt *pgt, uint64_t addr, uint64_t size,
                          uint64_t phys, enum pgt_prot prot, void *mc,
                          uint32_t flags);

PGT_LINE_ALIGNED
int pgt_s2_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
               enum pgt_prot prot, void *mc, uint32_t flags)
{
    /* One page of plain memory, the fault handler's call: every check of
     * the general path below in a few tests (s2_end is 2^ia_bits for a
     * live stage-2 table, else 0; an aligned page below 2^oa_bits ends
     * below it), straight to the table's one-page instance. */
    if (PGT_LIKELY(pgt && addr < pgt->internal.s2_end &&
                   size == pgt->internal.s2_page && !(addr & (size - 1)) &&
                   !(phys & pgt->internal.s2_phys_bad) &&
                   (uint32_t)prot <= PGT_PROT_RWX && !(flags & ~MAP_FLAGS) &&
                   (!(pgt->flags & PGT_S2_HOST) || phys == addr))) {
        return pgt->internal.map(pgt, addr, phys,
                                  pgt->internal.rwx_attrs[prot], mc,
                                  pgt->internal.rwx_cmo[prot] & ~flags);
    }
    return s2_map_general(pgt, addr, size, phys, prot, mc, flags);
}

/* pgt_s2_map() but the one page of plain memory: every check in its
 * order (each -PGT_EINVAL before any -PGT_ERANGE), then the instance or
 * the engine. Out of line, so that the common call keeps nothing. */
static __attribute__((noinline)) int
s2_map_general(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
               enum pgt_prot prot, void *mc, uint32_t flags)
{
    int ret = s2_map_check_args(pgt, addr, size, phys, flags);

    if (ret)
        return ret;
    if (PGT_UNLIKELY((uint32_t)prot & ~(uint32_t)PGT_PROT_RWX))
        return s2_map_prot(pgt, addr, size, phys, prot, mc, flags);
    return s2_map_attrs(pgt, addr, size, phys, prot, s2_plain_attrs(pgt, prot),
                        mc, flags);
}

int64_t pgt_s2_map_cost(const struct pgt *pgt, uint64_t addr, uint64_t size,
                        uint64_t phys, enum pgt_prot prot, uint32_t flags)
{
    pgt_pte_t attrs;
    unsigned int cmo;
    int ret = s2_map_check_args(pgt, addr, size, phys, flags);

    if (ret)
        return ret;
    if (pgt_leaf_attrs(&pgt->geom, PGT_REGIME_S2, pgt->flags, prot, &attrs))
        return -PGT_EINVAL;
    ret = s2_map_check(pgt, addr, size, phys, prot, flags, &cmo);
    if (ret)
        return ret;
    if (size > 1ull << pgt->geom.granule_shift && pgt->pte_ops &&
        pgt->pte_ops->force_pte && pgt->pte_ops->force_pte(addr, addr + size, prot))
        cmo |= PGT_MAP_FORCE_PTE;
    return pgt_engine_map_cost(pgt, addr, size, phys, attrs, cmo);
}

PGT_LINE_ALIGNED
int pgt_s2_unmap_range(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    int64_t ret = s2_check_range(pgt, addr, size);

    if (ret)
        return (int)ret;
    ret = pgt_engine_clear(pgt, addr, size, 0, mc);
    return ret < 0 ? (int)ret : 0;
}

int pgt_s2_unmap(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    /* One page, the fault handler's call: a live stage-2 table (its
     * s2_end is set) and an address below the IA size here; the table's
     * instance takes a granule-aligned page and hands any other size or
     * address to pgt_s2_unmap_range(). */
    if (PGT_LIKELY(pgt && addr < pgt->internal.s2_end))
        return pgt->internal.unmap(pgt, addr, size, mc);
    return pgt_s2_unmap_range(pgt, addr, size, mc);
}

int pgt_s2_set_owner(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc,
                     uint32_t owner_id)
{
    int64_t ret;

    if (owner_id > PGT_MAX_OWNER_ID)
        return -PGT_EINVAL;
    ret = s2_check_range(pgt, addr, size);
    if (ret)
        return (int)ret;
    ret = pgt_engine_clear(pgt, addr, size, pgt_make_owner(owner_id), mc);
    return ret < 0 ? (int)ret : 0;
}

/* The valid leaf translating @addr: *@ptep, *@level; -PGT_ERANGE beyond
 * the IA size, -PGT_ENOENT if @addr is not mapped. */
static int s2_leaf(const struct pgt *pgt, uint64_t addr, pgt_pte_t **ptep,
                   int *level)
{
    if (addr >> pgt->geom.ia_bits)
        return -PGT_ERANGE;
    *ptep = pgt_lookup(pgt, addr, level);
    if (!pgt_pte_is_leaf(pgt_read(*ptep), *level))
        return -PGT_ENOENT;
    return 0;
}

/* Execute permission of a stage-2 leaf as (EL1, EL0) bits: bit 0 EL1. */
static unsigned s2_exec(const struct pgt *pgt, pgt_pte_t pte)
{
    uint64_t xn = (pte & PGT_S2_XN_MASK) >> PGT_S2_XN_SHIFT;

    if (!(pgt->flags & PGT_S2_XNX))
        return (pte & PGT_S2_XN) ? 0 : 3;
    return xn == 0 ? 3 : xn == 1 ? 2 : xn == 3 ? 1 : 0;
}

static pgt_pte_t s2_xn_field(unsigned exec)
{
    static const pgt_pte_t enc[4] = { 2, 3, 1, 0 }; /* none, EL1, EL0, both */

    return enc[exec & 3] << PGT_S2_XN_SHIFT;
}

/* The R/W/X bits of a stage-2 leaf: S2AP and XN[1:0]. */
#define S2_PERM (PGT_S2_S2AP_R | PGT_S2_S2AP_W | PGT_S2_XN_MASK)

int pgt_s2_relax_perms(struct pgt *pgt, uint64_t addr, enum pgt_prot prot)
{
    const uint32_t allowed = PGT_PROT_RWX | PGT_PROT_PXN | PGT_PROT_UXN;
    pgt_pte_t *ptep, old, new;
    int level, ret;

    if (!is_s2(pgt) || ((uint32_t)prot & ~allowed))
        return -PGT_EINVAL;
    if ((prot & (PGT_PROT_PXN | PGT_PROT_UXN)) &&
        (!(prot & PGT_PROT_X) || !(pgt->flags & PGT_S2_XNX) ||
         (prot & (PGT_PROT_PXN | PGT_PROT_UXN)) ==
             (PGT_PROT_PXN | PGT_PROT_UXN)))
        return -PGT_EINVAL;
    ret = s2_leaf(pgt, addr, &ptep, &level);
    if (ret)
        return ret;
    old = pgt_read(ptep);
    new = old;
    if (prot & PGT_PROT_R)
        new |= PGT_S2_S2AP_R;
    if (prot & PGT_PROT_W)
        new |= PGT_S2_S2AP_W | pgt->internal.dbm;
    if (prot & PGT_PROT_X) {
        if (pgt_leaf_prot(&pgt->geom, PGT_REGIME_S2, pgt->flags, old) &
            PGT_PROT_DEVICE)
            return -PGT_EINVAL;
        unsigned want = (prot & PGT_PROT_PXN)   ? 2u
                        : (prot & PGT_PROT_UXN) ? 1u : 3u;
        unsigned exec = s2_exec(pgt, old) | want;
        if (!(pgt->flags & PGT_S2_XNX))
            exec = 3;
        new = (new & ~PGT_S2_XN_MASK) | s2_xn_field(exec);
    }
    if (new == old)
        return 0;
    if (old & PGT_PTE_CONT) {
        /* One leaf of a contiguous run: the engine unfolds the run. */
        uint64_t size = pgt_level_size(&pgt->geom, level);
        return pgt_engine_protect(pgt, addr & ~(size - 1), size, new,
                                  S2_PERM | PGT_PTE_DBM, 0, false);
    }
    /* Relaxing permissions needs no break-before-make. */
    pgt_write(ptep, new);
    pgt_tlbi_leaf(pgt, addr & ~(pgt_level_size(&pgt->geom, level) - 1), level);
    return 0;
}

int pgt_s2_wrprotect(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    int ret = s2_check_range(pgt, addr, size);

    if (ret)
        return ret;
    return pgt_engine_protect(pgt, addr, size, 0, PGT_S2_S2AP_W, 0, true);
}

int pgt_s2_protect(struct pgt *pgt, uint64_t addr, uint64_t size,
                   enum pgt_prot prot)
{
    pgt_pte_t attrs;
    int ret = s2_check_range(pgt, addr, size);

    if (ret == -PGT_EINVAL)
        return ret;
    if ((prot & ~(PGT_PROT_RWX | PGT_PROT_PXN | PGT_PROT_UXN | PGT_PROT_DEVICE |
                  PGT_PROT_NORMAL_NC)) ||
        pgt_leaf_attrs(&pgt->geom, PGT_REGIME_S2, pgt->flags, prot, &attrs))
        return -PGT_EINVAL;
    if (ret)
        return ret;
    return pgt_engine_protect(pgt, addr, size, attrs, S2_PERM,
                              PGT_S2_MEMATTR_MASK, false);
}

int pgt_s2_mkyoung(struct pgt *pgt, uint64_t addr)
{
    pgt_pte_t *ptep, old;
    int level, ret;

    if (!is_s2(pgt))
        return -PGT_EINVAL;
    ret = s2_leaf(pgt, addr, &ptep, &level);
    if (ret)
        return ret;
    old = pgt_read(ptep);
    if (old & PGT_PTE_AF)
        return 0;
    if (old & PGT_PTE_CONT) {
        /* A contiguous run is young as a whole: every entry's flag. */
        uint64_t n = 1ull << pgt_cont_shift(pgt, level);
        ptep = (pgt_pte_t *)((uintptr_t)ptep & ~(n * sizeof(*ptep) - 1));
        for (uint64_t k = 0; k < n; k++)
            pgt_write(&ptep[k], pgt_read(&ptep[k]) | PGT_PTE_AF);
        return 0;
    }
    pgt_write(ptep, old | PGT_PTE_AF); /* AF: no TLBI needed */
    return 0;
}

int pgt_s2_test_clear_young(struct pgt *pgt, uint64_t addr, uint64_t size,
                            bool mkold)
{
    int ret = s2_check_range(pgt, addr, size);

    if (ret)
        return ret;
    return pgt_engine_young(pgt, addr, size, mkold);
}

int64_t pgt_s2_test_clear_dirty(struct pgt *pgt, uint64_t addr, uint64_t size,
                                pgt_dirty_fn fn, void *arg)
{
    int ret = s2_check_range(pgt, addr, size);

    if (ret)
        return ret;
    if (!fn || !(pgt->flags & PGT_S2_HW_DIRTY))
        return -PGT_EINVAL;
    return pgt_engine_dirty(pgt, addr, size, fn, arg);
}

int pgt_s2_coalesce(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    int ret = s2_check_range(pgt, addr, size);

    if (ret)
        return ret;
    return pgt_engine_fold(pgt, addr, size);
}

int pgt_s2_split(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    int ret = s2_check_range(pgt, addr, size);

    if (ret)
        return ret;
    return pgt_engine_split(pgt, addr, size, mc);
}

void pgt_s2_destroy(struct pgt *pgt)
{
    pgt_destroy(pgt);
}
