// SPDX-License-Identifier: MIT
/*
 * Stage-2 tables (like kvm_pgtable_stage2_*): init from explicit geometry
 * or a VTCR_EL2 value, map/unmap/set_owner over the engine in ops.c, and
 * the in-place leaf operations (permissions, access flag, split).
 */
#include "fast.h"
#include "internal.h"

#define VTCR_T0SZ_MASK 0x3full
#define VTCR_SL0_MASK 3ull
#define VTCR_TG0_MASK 3ull
#define VTCR_PS_MASK 7ull
#define VTCR_IRGN0_WBWA (1ull << PGT_VTCR_IRGN0_SHIFT)
#define VTCR_ORGN0_WBWA (1ull << PGT_VTCR_ORGN0_SHIFT)
#define VTCR_SH0_INNER (3ull << PGT_VTCR_SH0_SHIFT)

#define S2_FLAGS (PGT_S2_FWB | PGT_S2_XNX | PGT_S2_HOST)

static bool is_s2(const struct pgt *pgt)
{
    return pgt && pgt->pgd && pgt->mm_ops && pgt->regime == PGT_REGIME_S2;
}

/* A stage-2 table and a granule-aligned range inside its IA size:
 * -PGT_EINVAL or -PGT_ERANGE as pgt_check_range_of(), else 0. */
static int s2_check_range(const struct pgt *pgt, uint64_t addr, uint64_t size)
{
    if (!is_s2(pgt))
        return -PGT_EINVAL;
    return pgt_check_range_of(pgt, addr, size);
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

void pgt_fast_update(struct pgt *pgt)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uintptr_t first_pa;

    pgt->fast = 0;
    pgt->fc.unmap_end = 0;
    if (pgt->regime != PGT_REGIME_S2 || !mm || !fast_is_4k_l1(pgt))
        return;
    pgt->fast = PGT_FAST_S2_4K_L1;
    if (!mm->count_base || !mm->tlbi_va || !mm->put_page_n)
        return;
    /* The counts as a function of the table's physical address: the
     * first counted page's is count_va - linear_offset (modulo 2^64). */
    first_pa = mm->count_va - (uintptr_t)mm->linear_offset;
    if (mm->count_width == 4 && mm->count_shift == 2)
        pgt->fc.counts = (uintptr_t)mm->count_base - ((first_pa >> 12) << 2);
    else if (mm->count_width == 2 && mm->count_shift == 3)
        pgt->fc.counts =
            ((uintptr_t)mm->count_base - ((first_pa >> 12) << 3)) | 1;
    else
        return;
    pgt->fc.linear_offset = (uintptr_t)mm->linear_offset;
    pgt->fc.tlbi_va = mm->tlbi_va;
    pgt->fc.put_page_n = mm->put_page_n;
    pgt->fc.put_page = mm->put_page;
    pgt->fc.unmap_end = 1ull << pgt->geom.ia_bits;
}

static int s2_create(struct pgt *pgt, const struct pgt_geom *g, uint32_t flags,
                     const struct pgt_mm_ops *mm_ops, void *mm_ctx,
                     const struct pgt_pte_ops *pte_ops)
{
    pgt_pte_t *root;
    size_t size = (size_t)g->nr_root_pages << g->granule_shift;

    if (g->nr_root_pages > 1) {
        if (!mm_ops->zalloc_pages_exact || !mm_ops->free_pages_exact)
            return -PGT_EINVAL;
        root = mm_ops->zalloc_pages_exact(mm_ctx, size);
    } else {
        root = mm_ops->zalloc_page(mm_ctx, NULL);
    }
    if (!root)
        return -PGT_ENOMEM;
    pgt->pgd = root;
    pgt->pgd_phys = mm_ops->virt_to_phys(mm_ctx, root);
    pgt_geom_copy(&pgt->geom, g);
    pgt->regime = PGT_REGIME_S2;
    pgt->flags = flags;
    pgt->mm_ops = mm_ops;
    pgt->mm_ctx = mm_ctx;
    pgt->pte_ops = pte_ops;
    pgt->priv = NULL;
    pgt_fast_update(pgt);
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
    return s2_create(pgt, &g, cfg->flags, mm_ops, mm_ctx, pte_ops);
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
    return s2_create(pgt, &g, flags, mm_ops, mm_ctx, pte_ops);
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
    return vtcr;
}

/* The general map (any size): prepare, allocate, commit. Out of line so
 * the single-page path in pgt_s2_map() keeps a small frame. */
static __attribute__((noinline)) int
s2_map_engine(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
              enum pgt_prot prot, pgt_pte_t attrs, void *mc, bool cmo_d,
              bool cmo_i)
{
    struct pgt_op op;

    pgt_op_init(&op, pgt, PGT_OP_MAP, addr, size);
    op.attrs = attrs;
    op.phys = phys;
    op.mc = mc;
    op.force_pte = pgt->pte_ops && pgt->pte_ops->force_pte &&
                   pgt->pte_ops->force_pte(addr, addr + size, prot);
    op.cmo_d = cmo_d;
    op.cmo_i = cmo_i;
    return pgt_op_run(&op);
}

/*
 * The shape's geometry (4K granule, Arm ARM D8.2): 9 index bits per level;
 * a level-1 entry (the root, 2 concatenated pages at 40 bits) maps 1 GiB,
 * level 2 2 MiB, level 3 one 4 KiB page.
 */
#define S2_4K_PAGE (1ull << 12)

/* Index of @addr's entry in its level-@level table (1..3). */
static inline uint64_t s2_4k_idx(uint64_t addr, int level)
{
    return level == 1 ? addr >> 30 : (addr >> (12 + 9 * (3 - level))) & 511;
}

/* The 4K table page holding the entry at @p. */
static inline void *s2_4k_table_of(const void *p)
{
    return (void *)((uintptr_t)p & ~(uintptr_t)(S2_4K_PAGE - 1));
}

/*
 * A table entry's OA bits [47:12] as two shifts and an AND with a small
 * immediate. The empty asm keeps the compiler from folding them back into
 * a 64-bit mask constant, which it would then keep in a callee-saved
 * register across the hook calls (one more store per call).
 */
static inline uint64_t s2_oa(pgt_pte_t e)
{
    uint64_t x = e << 16;
    __asm__("" : "+r"(x));
    return (x >> 16) & ~(S2_4K_PAGE - 1);
}

/* The table a table entry @e points to, through the linear map. */
static inline pgt_pte_t *s2_table(const struct pgt *pgt, pgt_pte_t e)
{
    return (pgt_pte_t *)((uintptr_t)s2_oa(e) +
                         (uintptr_t)pgt->mm_ops->linear_offset);
}

/* The level-2 entry for @addr, from the root (a cached load). */
static inline pgt_pte_t *s2_l2_entry(const struct pgt *pgt, uint64_t addr)
{
    pgt_pte_t e1 = pgt_read(&pgt->pgd[s2_4k_idx(addr, 1)]);
    return &s2_table(pgt, e1)[s2_4k_idx(addr, 2)];
}

/*
 * The leaf attributes of plain R/W/X normal write-back memory: the bits
 * pgt_leaf_attrs() gives for them, without its general checks.
 */
static inline pgt_pte_t s2_plain_attrs(const struct pgt *pgt, enum pgt_prot prot)
{
    return PGT_PTE_AF | (pgt->geom.lpa2 ? 0 : PGT_SH_INNER << PGT_PTE_SH_SHIFT) |
           ((pgt->flags & PGT_S2_FWB) ? PGT_S2_FWB_MEMATTR_NORMAL_WB
                                      : PGT_S2_MEMATTR_NORMAL_WB)
               << PGT_S2_MEMATTR_SHIFT |
           ((prot & PGT_PROT_R) ? PGT_S2_S2AP_R : 0) |
           ((prot & PGT_PROT_W) ? PGT_S2_S2AP_W : 0) |
           ((prot & PGT_PROT_X) ? 0 : PGT_S2_XN);
}

/*
 * Cache maintenance a map needs (mm_ops.h): normal write-back memory is
 * cleaned to PoC unless FWB forces the guest's accesses cacheable;
 * executable memory needs the instruction cache invalidated to PoU (FWB
 * does not cover that).
 */
static inline bool s2_cmo_d(const struct pgt *pgt, enum pgt_prot prot, uint32_t flags)
{
    return !(prot & (PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC)) &&
           !(pgt->flags & PGT_S2_FWB) && !(flags & PGT_MAP_SKIP_DCACHE) &&
           pgt->mm_ops->dcache_clean_inval_poc;
}

static inline bool s2_cmo_i(const struct pgt *pgt, enum pgt_prot prot, uint32_t flags)
{
    return (prot & PGT_PROT_X) && !(flags & PGT_MAP_SKIP_ICACHE) &&
           pgt->mm_ops->icache_inval_pou;
}

static __attribute__((noinline)) int s2_map_slow(struct pgt *pgt, uint64_t addr,
                                                 uint64_t size, uint64_t phys,
                                                 enum pgt_prot prot, void *mc,
                                                 uint32_t flags)
{
    pgt_pte_t attrs = 0;
    int ret;

    if (!is_s2(pgt))
        return -PGT_EINVAL;
    ret = pgt_check_range_of(pgt, addr, size);
    if (ret == -PGT_EINVAL)
        return ret;
    if ((phys & (pgt_granule(pgt) - 1)) ||
        (flags & ~(PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE)))
        return -PGT_EINVAL;
    if (PGT_LIKELY(!((uint32_t)prot & ~(uint32_t)PGT_PROT_RWX)))
        attrs = s2_plain_attrs(pgt, prot);
    else if (pgt_leaf_attrs(&pgt->geom, PGT_REGIME_S2, pgt->flags, prot, &attrs))
        return -PGT_EINVAL;
    if ((pgt->flags & PGT_S2_HOST) && phys != addr)
        return -PGT_EINVAL;
    if (ret)
        return ret;
    if (phys + size < phys || phys + size > (1ull << pgt->geom.oa_bits))
        return -PGT_ERANGE;

    bool cmo_d = s2_cmo_d(pgt, prot, flags), cmo_i = s2_cmo_i(pgt, prot, flags);
    if (size == pgt_granule(pgt)) {
        ret = pgt_fast_map_page(pgt, addr, phys, attrs, mc, cmo_d, cmo_i,
                                false);
        if (ret != PGT_FAST_FALLBACK)
            return ret;
    }
    return s2_map_engine(pgt, addr, size, phys, prot, attrs, mc, cmo_d, cmo_i);
}

/* The leaf s2_map_4k() writes for @phys, @prot. */
static inline pgt_pte_t s2_4k_leaf(const struct pgt *pgt, uint64_t phys,
                                   enum pgt_prot prot)
{
    return phys | s2_plain_attrs(pgt, prot) | PGT_PTE_TYPE | PGT_PTE_VALID;
}

/* s2_map_4k() into the empty last-level entry @p, with cache maintenance. */
static __attribute__((noinline)) int s2_map_4k_cmo(struct pgt *pgt, pgt_pte_t *p,
                                                   uint64_t phys, enum pgt_prot prot,
                                                   uint32_t flags)
{
    fast_page_cmo(pgt, phys, s2_cmo_d(pgt, prot, flags),
                  s2_cmo_i(pgt, prot, flags));
    pgt_write(p, s2_4k_leaf(pgt, phys, prot));
    pgt->mm_ops->get_page(pgt->mm_ctx, p);
    return 0;
}

/* s2_map_4k() where a table on the way is missing: find the empty entry
 * again (cached loads) and build the chain below it. */
static __attribute__((noinline)) int s2_map_4k_new(struct pgt *pgt, uint64_t addr,
                                                   uint64_t phys, enum pgt_prot prot,
                                                   void *mc, uint32_t flags)
{
    struct descent dc;
    pgt_pte_t *p = descend_linear(pgt, addr, &dc, NULL, NULL, PGT_GRANULE_4K, 1);

    return fast_map_chain(pgt, p, dc.level, addr, phys, s2_4k_leaf(pgt, phys, prot),
                          mc, s2_cmo_d(pgt, prot, flags), s2_cmo_i(pgt, prot, flags));
}

/*
 * One-page map of plain R/W/X memory for fast_is_4k_l1() tables, the
 * fault-handler pattern: the three levels spelled out. A missing table on
 * the way goes to s2_map_4k_new() (tables allocated first, linked with
 * one store); a block or annotation on the way, or a different entry to
 * replace (break-before-make), to the general path, which writes nothing
 * before it decides. A new leaf takes one reference on its table: without
 * cache maintenance, the only call on the common path, made last (so the
 * path keeps nothing in callee-saved registers).
 */
static inline __attribute__((always_inline)) int
s2_map_4k(struct pgt *pgt, uint64_t addr, uint64_t phys, enum pgt_prot prot,
          void *mc, uint32_t flags)
{
    const pgt_pte_t tbl_bits = PGT_PTE_VALID | PGT_PTE_TYPE;
    pgt_pte_t e1 = pgt_read(&pgt->pgd[s2_4k_idx(addr, 1)]);
    if ((e1 & tbl_bits) != tbl_bits)
        goto no_table;
    pgt_pte_t e2 = pgt_read(&s2_table(pgt, e1)[s2_4k_idx(addr, 2)]);
    if ((e2 & tbl_bits) != tbl_bits) {
        e1 = e2;
        goto no_table;
    }
    pgt_pte_t *p3 = &s2_table(pgt, e2)[s2_4k_idx(addr, 3)];
    pgt_pte_t e3 = pgt_read(p3);
    if (e3) {
        if (e3 == s2_4k_leaf(pgt, phys, prot))
            return 0; /* already mapped so */
        return s2_map_slow(pgt, addr, S2_4K_PAGE, phys, prot, mc, flags);
    }
    if (s2_cmo_d(pgt, prot, flags) || s2_cmo_i(pgt, prot, flags))
        return s2_map_4k_cmo(pgt, p3, phys, prot, flags);
    pgt_write(p3, s2_4k_leaf(pgt, phys, prot));
    pgt->mm_ops->get_page(pgt->mm_ctx, p3);
    return 0;
no_table:
    if (e1) /* a block or an annotation: split */
        return s2_map_slow(pgt, addr, S2_4K_PAGE, phys, prot, mc, flags);
    return s2_map_4k_new(pgt, addr, phys, prot, mc, flags);
}

int pgt_s2_map(struct pgt *pgt, uint64_t addr, uint64_t size, uint64_t phys,
               enum pgt_prot prot, void *mc, uint32_t flags)
{
    /* One page of plain memory in the usual shape: what the checks of
     * s2_map_slow() accept for it, in one test. */
    if (PGT_LIKELY(pgt && (pgt->fast & PGT_FAST_S2_4K_L1) && size == S2_4K_PAGE &&
                   !(((addr | phys) & (S2_4K_PAGE - 1)) | (addr >> pgt->geom.ia_bits) |
                     (phys >> pgt->geom.oa_bits)) &&
                   !((uint32_t)prot & ~(uint32_t)PGT_PROT_RWX) &&
                   !(flags & ~(PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE))))
        return s2_map_4k(pgt, addr, phys, prot, mc, flags);
    return s2_map_slow(pgt, addr, size, phys, prot, mc, flags);
}

static int s2_clear(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc,
                    pgt_pte_t annot)
{
    struct pgt_op op;

    pgt_op_init(&op, pgt, PGT_OP_CLEAR, addr, size);
    op.annot = annot;
    op.mc = mc;
    op.free_empty = true;
    return pgt_op_run(&op);
}

/* Everything but the one-page fast shape of pgt_s2_unmap(). */
static __attribute__((noinline)) int s2_unmap_slow(struct pgt *pgt,
                                                   uint64_t addr,
                                                   uint64_t size, void *mc)
{
    int ret;

    if (!is_s2(pgt))
        return -PGT_EINVAL;
    /*
     * One page: a granule-aligned @addr below 2^ia_bits is exactly what
     * pgt_check_range_of() accepts for size == granule, in one test.
     */
    uint64_t gmask = pgt_granule(pgt) - 1;
    if (PGT_LIKELY(size == gmask + 1 &&
                   !((addr & gmask) | (addr >> pgt->geom.ia_bits)))) {
        int64_t bytes;
        ret = pgt_fast_clear_page(pgt, addr, &bytes);
        if (ret != PGT_FAST_FALLBACK)
            return ret;
    } else {
        ret = pgt_check_range_of(pgt, addr, size);
        if (ret)
            return ret;
    }
    return s2_clear(pgt, addr, size, mc, 0);
}

/*
 * One-page unmap for fast_is_4k_l1() tables: the three levels spelled out,
 * for the fault-handler pattern of one page per call.
 *
 * Written for memory-level parallelism. The last-level entry is usually a
 * cache miss that holds up retirement, and the CPU overlaps it with the
 * next calls' misses only while all that follows fits in its reorder
 * buffer and load/store queues. Measured on the d2 bench, each extra load,
 * store or call there costs (an L1-hit load about 2 ns, a call and return
 * about 4). So the common path reads what it needs from mm_ops in copies
 * made at init (struct pgt.fc: one load each instead of two), reads page
 * counts from the embedder's count array rather than calling page_count
 * or scanning the missing line, keeps three values across its hook calls
 * (three callee-saved registers), makes the rare paths tail calls, and a
 * table that goes with its last leaf costs one TLBI, not two. Tables
 * whose mm_ops declare no count array, or lack tlbi_va or put_page_n,
 * take s2_unmap_4k_l1(), the same walk through the hooks.
 */

static void s2_tlbi_all_levels(const struct pgt *pgt, uint64_t addr)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    if (PGT_LIKELY(mm->tlbi_va != NULL))
        mm->tlbi_va(pgt, addr, PGT_LEVEL_UNKNOWN);
    else if (mm->tlbi_all)
        mm->tlbi_all(pgt);
}

/* The last-level table @t3 keeps other entries: only the leaf goes. */
static __attribute__((noinline)) int s2_unmap_4k_leaf(struct pgt *pgt,
                                                      uint64_t addr,
                                                      pgt_pte_t *t3)
{
    pgt_pte_t *p3 = &t3[s2_4k_idx(addr, 3)];
    pgt_pte_t e3 = pgt_read(p3);
    pgt_write(p3, 0);
    if (pgt_pte_valid(e3))
        pgt_tlbi_leaf(pgt, addr, PGT_LEVEL_MAX);
    pgt->mm_ops->put_page(pgt->mm_ctx, t3);
    return 0;
}

/*
 * @t3 and the level-2 table holding its entry both go with the leaf:
 * unlink all three entries, then one TLBI (only @addr can have been
 * cached through these tables) and the releases.
 */
static __attribute__((noinline)) int s2_unmap_4k_two(struct pgt *pgt,
                                                     uint64_t addr,
                                                     pgt_pte_t *t3)
{
    pgt_pte_t *p1 = &pgt->pgd[s2_4k_idx(addr, 1)];
    pgt_pte_t *p2 = s2_l2_entry(pgt, addr);
    pgt_write(&t3[s2_4k_idx(addr, 3)], 0);
    pgt_write(p2, 0);
    pgt_write(p1, 0);
    s2_tlbi_all_levels(pgt, addr);
    pgt_put_n(pgt, t3, 2); /* its only entry's reference and its own */
    pgt_put_n(pgt, s2_4k_table_of(p2), 2);
    pgt->mm_ops->put_page(pgt->mm_ctx, p1);
    return 0;
}

/*
 * After a hook call: the four values the path keeps (four callee-saved
 * registers) look changed to the compiler, so it does not also keep
 * values derived from them across the next call (more registers, more
 * stores) but derives them again where needed.
 */
#define S2_KEEP(pgt, addr, t3, p2) \
    __asm__("" : "+r"(pgt), "+r"(addr), "+r"(t3), "+r"(p2))

/* The one-page unmap through the hooks (no count array declared, or no
 * tlbi_va or put_page_n). */
static __attribute__((noinline)) int
s2_unmap_4k_l1(struct pgt *pgt, uint64_t addr, void *mc)
{
    const pgt_pte_t tbl_bits = PGT_PTE_VALID | PGT_PTE_TYPE;
    pgt_pte_t e1 = pgt_read(&pgt->pgd[s2_4k_idx(addr, 1)]);
    if ((e1 & tbl_bits) != tbl_bits)
        return s2_unmap_slow(pgt, addr, S2_4K_PAGE, mc);
    pgt_pte_t *p2 = &s2_table(pgt, e1)[s2_4k_idx(addr, 2)];
    pgt_pte_t e2 = pgt_read(p2);
    if ((e2 & tbl_bits) != tbl_bits)
        return s2_unmap_slow(pgt, addr, S2_4K_PAGE, mc);
    pgt_pte_t *t3 = s2_table(pgt, e2);
    if (!pgt_read(&t3[s2_4k_idx(addr, 3)])) /* nothing mapped: a no-op */
        return s2_unmap_slow(pgt, addr, S2_4K_PAGE, mc);

    /*
     * Default counting: every non-zero entry holds one reference on its
     * table, the table itself one more. A count of 2 means this entry is
     * the table's only one, so the table goes with it.
     */
    int count = pgt->mm_ops->page_count(pgt->mm_ctx, t3);
    S2_KEEP(pgt, addr, t3, p2);
    if (PGT_UNLIKELY(count != 2))
        return s2_unmap_4k_leaf(pgt, addr, t3);
    count = pgt->mm_ops->page_count(pgt->mm_ctx, s2_4k_table_of(p2));
    S2_KEEP(pgt, addr, t3, p2);
    if (PGT_UNLIKELY(count == 2))
        return s2_unmap_4k_two(pgt, addr, t3);

    pgt_write(&t3[s2_4k_idx(addr, 3)], 0);
    pgt_write(p2, 0);
    s2_tlbi_all_levels(pgt, addr);
    S2_KEEP(pgt, addr, t3, p2);
    if (PGT_LIKELY(pgt->mm_ops->put_page_n != NULL)) {
        pgt->mm_ops->put_page_n(pgt->mm_ctx, t3, 2);
    } else {
        pgt->mm_ops->put_page(pgt->mm_ctx, t3);
        S2_KEEP(pgt, addr, t3, p2);
        pgt->mm_ops->put_page(pgt->mm_ctx, t3);
    }
    S2_KEEP(pgt, addr, t3, p2);
    pgt->mm_ops->put_page(pgt->mm_ctx, p2);
    return 0;
}

/*
 * The count of the table page at physical address @pa, from the count
 * array pgt_fast_update() found in mm_ops (see struct pgt.fc.counts).
 */
static inline uint32_t s2_fc_count(const struct pgt *pgt, uint64_t pa)
{
    uintptr_t c = pgt->fc.counts;
    if (c & 1) /* 2-byte counts at the start of 8-byte records */
        return __atomic_load_n((const uint16_t *)(c - 1 + ((pa >> 12) << 3)),
                               __ATOMIC_RELAXED);
    return __atomic_load_n((const uint32_t *)(c + ((pa >> 12) << 2)),
                           __ATOMIC_RELAXED);
}

/* The one-page unmap of tables with pgt->fc.unmap_end set. */
static inline __attribute__((always_inline)) int
s2_unmap_4k_counted(struct pgt *pgt, uint64_t addr, void *mc)
{
    const pgt_pte_t tbl_bits = PGT_PTE_VALID | PGT_PTE_TYPE;
    pgt_pte_t e1 = pgt_read(&pgt->pgd[s2_4k_idx(addr, 1)]);
    if ((e1 & tbl_bits) != tbl_bits)
        return s2_unmap_slow(pgt, addr, S2_4K_PAGE, mc);
    uint64_t pa2 = s2_oa(e1);
    pgt_pte_t *p2 = (pgt_pte_t *)(uintptr_t)(pa2 + pgt->fc.linear_offset) +
                    s2_4k_idx(addr, 2);
    pgt_pte_t e2 = pgt_read(p2);
    if ((e2 & tbl_bits) != tbl_bits)
        return s2_unmap_slow(pgt, addr, S2_4K_PAGE, mc);
    uint64_t pa3 = s2_oa(e2);
    pgt_pte_t *t3 = (pgt_pte_t *)(uintptr_t)(pa3 + pgt->fc.linear_offset);
    if (!pgt_read(&t3[s2_4k_idx(addr, 3)])) /* nothing mapped: a no-op */
        return s2_unmap_slow(pgt, addr, S2_4K_PAGE, mc);

    /*
     * Default counting: every non-zero entry holds one reference on its
     * table, the table itself one more. A count of 2 means this entry is
     * the table's only one, so the table goes with it.
     */
    uint32_t c3 = s2_fc_count(pgt, pa3), c2 = s2_fc_count(pgt, pa2);
    if (PGT_UNLIKELY(c3 != 2))
        return s2_unmap_4k_leaf(pgt, addr, t3);
    if (PGT_UNLIKELY(c2 == 2))
        return s2_unmap_4k_two(pgt, addr, t3);

    pgt_write(&t3[s2_4k_idx(addr, 3)], 0);
    pgt_write(p2, 0);
    pgt->fc.tlbi_va(pgt, addr, PGT_LEVEL_UNKNOWN);
    pgt->fc.put_page_n(pgt->mm_ctx, t3, 2); /* the entry's reference and its own */
    pgt->fc.put_page(pgt->mm_ctx, p2);
    return 0;
}

int pgt_s2_unmap(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    /*
     * One page of the usual shape: what pgt_check_range_of() accepts for
     * size == granule (aligned, below 2^ia_bits). fc.unmap_end is 0 when
     * the counted path does not apply.
     */
    if (PGT_LIKELY(pgt && size == S2_4K_PAGE && !(addr & (S2_4K_PAGE - 1)))) {
        if (PGT_LIKELY(addr < pgt->fc.unmap_end))
            return s2_unmap_4k_counted(pgt, addr, mc);
        if ((pgt->fast & PGT_FAST_S2_4K_L1) && !(addr >> pgt->geom.ia_bits))
            return s2_unmap_4k_l1(pgt, addr, mc);
    }
    return s2_unmap_slow(pgt, addr, size, mc);
}

int pgt_s2_set_owner(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc,
                     uint32_t owner_id)
{
    int ret;

    if (owner_id > PGT_MAX_OWNER_ID)
        return -PGT_EINVAL;
    ret = s2_check_range(pgt, addr, size);
    if (ret)
        return ret;
    return s2_clear(pgt, addr, size, mc, pgt_make_owner(owner_id));
}

/* The entry translating @addr: its pointer and level. */
static pgt_pte_t *leaf_ptep(const struct pgt *pgt, uint64_t addr, int *level)
{
    const struct pgt_geom *g = &pgt->geom;
    int l = g->start_level;
    uint32_t shift = pgt_level_shift(g, l);
    uint64_t mask = pgt_ptes_per_page(g) - 1;
    pgt_pte_t *ptep = &pgt->pgd[addr >> shift];
    pgt_pte_t pte = pgt_read(ptep);

    while (pgt_pte_is_table(pte, l)) {
        l++;
        shift -= g->bits_per_level;
        ptep = &pgt_table_va(pgt, pte)[(addr >> shift) & mask];
        pte = pgt_read(ptep);
    }
    *level = l;
    return ptep;
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

int pgt_s2_relax_perms(struct pgt *pgt, uint64_t addr, enum pgt_prot prot)
{
    const uint32_t allowed = PGT_PROT_RWX | PGT_PROT_PXN | PGT_PROT_UXN;
    pgt_pte_t *ptep, old, new;
    int level;

    if (!is_s2(pgt) || ((uint32_t)prot & ~allowed))
        return -PGT_EINVAL;
    if ((prot & (PGT_PROT_PXN | PGT_PROT_UXN)) &&
        (!(prot & PGT_PROT_X) || !(pgt->flags & PGT_S2_XNX) ||
         (prot & (PGT_PROT_PXN | PGT_PROT_UXN)) ==
             (PGT_PROT_PXN | PGT_PROT_UXN)))
        return -PGT_EINVAL;
    if (addr >> pgt->geom.ia_bits)
        return -PGT_ERANGE;
    ptep = leaf_ptep(pgt, addr, &level);
    old = pgt_read(ptep);
    if (!pgt_pte_is_leaf(old, level))
        return -PGT_ENOENT;
    new = old;
    if (prot & PGT_PROT_R)
        new |= PGT_S2_S2AP_R;
    if (prot & PGT_PROT_W)
        new |= PGT_S2_S2AP_W;
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
    /* Relaxing permissions needs no break-before-make. */
    pgt_write(ptep, new);
    pgt_tlbi_leaf(pgt, addr & ~(pgt_level_size(&pgt->geom, level) - 1), level);
    return 0;
}

struct leaf_walk {
    bool mkold, young;
    uint64_t first, last_end; /* span of changed leaves */
    uint64_t changed;
    int level;
};

static int wrprotect_visit(const struct pgt_visit_ctx *ctx,
                           enum pgt_walk_flags visit)
{
    struct leaf_walk *w = ctx->arg;
    uint64_t size, base;

    (void)visit;
    if (!pgt_pte_is_leaf(ctx->old, ctx->level) || !(ctx->old & PGT_S2_S2AP_W))
        return 0;
    pgt_write(ctx->ptep, ctx->old & ~PGT_S2_S2AP_W);
    size = pgt_level_size(&ctx->pgt->geom, ctx->level);
    base = ctx->addr & ~(size - 1);
    if (!w->changed)
        w->first = base;
    w->last_end = base + size;
    w->level = ctx->level;
    w->changed++;
    if (!ctx->pgt->mm_ops->tlbi_range)
        pgt_tlbi_leaf(ctx->pgt, base, ctx->level);
    return 0;
}

int pgt_s2_wrprotect(struct pgt *pgt, uint64_t addr, uint64_t size)
{
    struct leaf_walk lw = { false, false, 0, 0, 0, 0 };
    struct pgt_walker w = { wrprotect_visit, &lw, PGT_WALK_LEAF };
    int ret;

    ret = s2_check_range(pgt, addr, size);
    if (ret)
        return ret;
    pgt_walk_internal(pgt, addr, addr + size, &w, NULL);
    /* Permission restriction in place; then invalidate what changed. */
    if (lw.changed && pgt->mm_ops->tlbi_range) {
        if (lw.changed == 1)
            pgt_tlbi_leaf(pgt, lw.first, lw.level);
        else
            pgt->mm_ops->tlbi_range(pgt, lw.first, lw.last_end - lw.first);
    }
    return 0;
}

int pgt_s2_mkyoung(struct pgt *pgt, uint64_t addr)
{
    pgt_pte_t *ptep, old;
    int level;

    if (!is_s2(pgt))
        return -PGT_EINVAL;
    if (addr >> pgt->geom.ia_bits)
        return -PGT_ERANGE;
    ptep = leaf_ptep(pgt, addr, &level);
    old = pgt_read(ptep);
    if (!pgt_pte_is_leaf(old, level))
        return -PGT_ENOENT;
    if (!(old & PGT_PTE_AF))
        pgt_write(ptep, old | PGT_PTE_AF); /* AF: no TLBI needed */
    return 0;
}

static int young_visit(const struct pgt_visit_ctx *ctx,
                       enum pgt_walk_flags visit)
{
    struct leaf_walk *w = ctx->arg;

    (void)visit;
    if (!pgt_pte_is_leaf(ctx->old, ctx->level) || !(ctx->old & PGT_PTE_AF))
        return 0;
    w->young = true;
    if (w->mkold)
        pgt_write(ctx->ptep, ctx->old & ~PGT_PTE_AF);
    return 0;
}

int pgt_s2_test_clear_young(struct pgt *pgt, uint64_t addr, uint64_t size,
                            bool mkold)
{
    struct leaf_walk lw = { false, false, 0, 0, 0, 0 };
    struct pgt_walker w = { young_visit, &lw, PGT_WALK_LEAF };
    int ret;

    ret = s2_check_range(pgt, addr, size);
    if (ret)
        return ret;
    lw.mkold = mkold;
    pgt_walk_internal(pgt, addr, addr + size, &w, NULL);
    return lw.young ? 1 : 0;
}

/* ---- split ------------------------------------------------------------ */

/* Table pages needed to split a block at @level down to pages. */
static uint64_t split_cost(const struct pgt_geom *g, int level)
{
    uint64_t cost = 0;

    for (int l = PGT_LEVEL_MAX - 1; l >= level; l--)
        cost = 1 + pgt_ptes_per_page(g) * cost;
    return cost;
}

static int split_prep(const struct pgt_visit_ctx *ctx,
                      enum pgt_walk_flags visit)
{
    struct pgt_op *op = ctx->arg;

    (void)visit;
    if (ctx->level < PGT_LEVEL_MAX && pgt_pte_is_leaf(ctx->old, ctx->level))
        op->need += split_cost(&op->pgt->geom, ctx->level);
    return 0;
}

/*
 * Build, off-line, the complete subtree of tables that maps what the block
 * @blk at @level maps, with page leaves at the bottom, and return the
 * table descriptor for its top. Iterative with a stack of tables.
 */
static pgt_pte_t build_split(struct pgt_op *op, pgt_pte_t blk, int level)
{
    struct pgt *pgt = op->pgt;
    const struct pgt_geom *g = &pgt->geom;
    pgt_pte_t attrs = blk & ~(pgt_oa_field_mask(g) | PGT_PTE_TYPE |
                              PGT_PTE_VALID);
    uint64_t per = pgt_ptes_per_page(g);
    struct {
        pgt_pte_t *t;
        uint64_t i, oa;
        int level;
    } st[PGT_MAX_LEVELS];
    int d = 0;

    st[0].t = pgt_pool_take(op);
    st[0].i = 0;
    st[0].oa = pgt_oa_decode(g, blk);
    st[0].level = level + 1;
    for (;;) {
        if (st[d].level == PGT_LEVEL_MAX || st[d].i == per) {
            if (st[d].level == PGT_LEVEL_MAX) {
                uint64_t step = pgt_granule(pgt), oa = st[d].oa;
                int counted = 0;
                for (uint64_t i = 0; i < per; i++, oa += step) {
                    st[d].t[i] = pgt_make_leaf(g, oa, attrs, PGT_LEVEL_MAX);
                    counted += pgt_counted(pgt, st[d].t[i], PGT_LEVEL_MAX);
                }
                pgt_get_n(pgt, st[d].t, counted);
            }
            if (d == 0)
                break;
            pgt_pte_t tbl = pgt_make_table(g, pgt->mm_ops->virt_to_phys(pgt->mm_ctx, st[d].t));
            d--;
            st[d].t[st[d].i] = tbl;
            if (pgt_counted(pgt, tbl, st[d].level))
                pgt->mm_ops->get_page(pgt->mm_ctx, st[d].t);
            st[d].i++;
            continue;
        }
        uint64_t csz = pgt_level_size(g, st[d].level);
        st[d + 1].t = pgt_pool_take(op);
        st[d + 1].i = 0;
        st[d + 1].oa = st[d].oa + st[d].i * csz;
        st[d + 1].level = st[d].level + 1;
        d++;
    }
    return pgt_make_table(g, pgt->mm_ops->virt_to_phys(pgt->mm_ctx, st[0].t));
}

static int split_commit(const struct pgt_visit_ctx *ctx,
                        enum pgt_walk_flags visit)
{
    struct pgt_op *op = ctx->arg;
    int level = ctx->level;

    (void)visit;
    if (level == PGT_LEVEL_MAX || !pgt_pte_is_leaf(ctx->old, level))
        return 0;
    pgt_pte_t table = build_split(op, ctx->old, level);
    uint64_t base = ctx->addr & ~(pgt_level_size(&op->pgt->geom, level) - 1);

    pgt_write(ctx->ptep, 0); /* break: the block goes */
    pgt_tlbi_leaf(op->pgt, base, level);
    __atomic_store_n(ctx->ptep, table, __ATOMIC_RELEASE); /* make */
    pgt_adjust_count(op->pgt, ctx->ptep, ctx->old, table, level);
    return 0;
}

/* Pages need no splitting: skip the last level, visit the rest. */
static int64_t run_nop(const struct pgt_visit_ctx *ctx, uint64_t n)
{
    return ctx->level == PGT_LEVEL_MAX ? (int64_t)n : 0;
}

int pgt_s2_split(struct pgt *pgt, uint64_t addr, uint64_t size, void *mc)
{
    struct pgt_op op;
    struct pgt_walker w = { split_prep, &op, PGT_WALK_LEAF };
    int ret;

    ret = s2_check_range(pgt, addr, size);
    if (ret)
        return ret;
    pgt_op_init(&op, pgt, PGT_OP_MAP, addr, size);
    op.mc = mc;
    pgt_walk_internal(pgt, addr, addr + size, &w, run_nop);
    ret = pgt_pool_fill(&op);
    if (ret)
        return ret;
    w.cb = split_commit;
    pgt_walk_internal(pgt, addr, addr + size, &w, run_nop);
    pgt_pool_release(&op);
    return 0;
}

void pgt_s2_destroy(struct pgt *pgt)
{
    if (!pgt || !pgt->pgd || !pgt->mm_ops)
        return;
    pgt_destroy_tables(pgt);
    pgt_clear(pgt);
}
