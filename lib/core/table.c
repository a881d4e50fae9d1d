// SPDX-License-Identifier: MIT
/*
 * Table lifecycle: creating a table's root and working out its internal
 * state, reference counts of table pages, TLB maintenance, releasing
 * tables left without a counted entry, freeing subtrees and destroy.
 */
#include "internal.h"

bool pgt_mm_ops_ok(const struct pgt_mm_ops *mm)
{
    return mm && mm->zalloc_page && mm->get_page && mm->put_page &&
           mm->page_count && mm->phys_to_virt && mm->virt_to_phys;
}

/* ---- internal state ------------------------------------------------------ */

/* The one-page instance for this geometry and mm_ops: one per (granule,
 * start level) when table addresses are linear and the OA sits plainly in
 * bits [47:granule], else the generic one. */
static enum pgt_shape shape_of(const struct pgt *pgt)
{
    const struct pgt_geom *g = &pgt->geom;
    bool plain_oa = !g->lpa2 &&
                    (g->granule_shift != PGT_GRANULE_64K || g->oa_bits < 52);

    /* Without a linear map the same instances take phys_to_virt. */
    int p2v = pgt->mm_ops->linear ? 0 : PGT_SHAPE_P2V;

    if (!plain_oa || g->start_level < 0)
        return PGT_SHAPE_GENERIC;
    switch (g->granule_shift) {
    case PGT_GRANULE_4K:
        return (enum pgt_shape)(PGT_SHAPE_4K_L0 + g->start_level + p2v);
    case PGT_GRANULE_16K:
        return (enum pgt_shape)(PGT_SHAPE_16K_L0 + g->start_level + p2v);
    default:
        if (g->start_level < 1)
            return PGT_SHAPE_GENERIC;
        return (enum pgt_shape)(PGT_SHAPE_64K_L1 + g->start_level - 1 + p2v);
    }
}

void pgt_derive(struct pgt *pgt)
{
    struct pgt_internal *in = &pgt->internal;
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uint32_t gs = pgt->geom.granule_shift;

    if (pgt->pte_ops && pgt->pte_ops->pte_is_counted)
        in->counting = PGT_COUNT_CUSTOM;
    else if (pgt->regime == PGT_REGIME_S2 && (pgt->flags & PGT_S2_HOST))
        in->counting = PGT_COUNT_HOST;
    else
        in->counting = PGT_COUNT_ALL;

    /* A table entry as pgt_make_table() writes it is the table's PA plus
     * the two type bits: the descent adds this to it, and no mask. */
    in->entry_offset = mm->linear ? (uintptr_t)mm->linear_offset -
                                        (PGT_PTE_VALID | PGT_PTE_TYPE)
                                  : 0;

    /* An upper-range table's first entry translates 2^64 - 2^ia_bits. */
    in->ia_size = 1ull << pgt->geom.ia_bits;
    in->va_base = pgt->regime != PGT_REGIME_S2 && (pgt->flags & PGT_S1_UPPER)
                      ? 0 - (1ull << pgt->geom.ia_bits)
                      : 0;

    /* A count array is used when its counts are naturally aligned 2- or
     * 4-byte integers, no further apart than a page, and its first record
     * belongs to a page boundary. */
    in->count_width = 0;
    in->count_rshift = 0;
    in->count_base = 0;
    in->count_span = 0;
    if (mm->count_base && (mm->count_width == 2 || mm->count_width == 4) &&
        (1u << mm->count_shift) >= mm->count_width && mm->count_shift <= gs &&
        !(mm->count_va & ((1ull << gs) - 1))) {
        in->count_width = mm->count_width;
        /* The record of the page at VA v: count_base + ((v - count_va) >>
         * gs << shift), which for a page address v is count_base + (v >>
         * (gs - shift)) with the constant part folded (modulo 2^64). */
        in->count_rshift = (uint8_t)(gs - mm->count_shift);
        in->count_base = (uintptr_t)mm->count_base -
                         ((mm->count_va >> gs) << mm->count_shift);
        if (mm->count_writable)
            in->count_span =
                (mm->count_width == 2 ? UINT16_MAX : INT32_MAX) - 1;
    }

    in->shape = (in->flags & PGT_INTERNAL_ENGINE_ONLY) ? PGT_SHAPE_ENGINE
                                                       : shape_of(pgt);
    const struct pgt_page_fns *fns = pgt_page(pgt);
    bool unmap_fast = in->counting == PGT_COUNT_ALL && mm->tlbi_va;
    in->get_leaf = fns->get_leaf;
    in->map = fns->map[in->count_width / 2];
    in->unmap = unmap_fast ? fns->unmap_s2[in->count_width / 2]
                           : pgt_s2_unmap_any;
    in->tlbi_va = mm->tlbi_va;
    in->put_page = mm->put_page;
    in->put_page_n = mm->put_page_n;
    /* Both caches start empty: other ops may place the table pages
     * elsewhere. */
    for (int l = 0; l <= PGT_LEVEL_MAX; l++) {
        in->p2v_pa[l] = ~0ull;
        in->p2v_va[l] = NULL;
    }
    in->walk_tag = ~0ull;
    in->walk_tbl = NULL;

    /* The contiguous hint: at every level that has one, unless the table
     * opts out, or its hardware dirty state is kept per page (a run has
     * one dirty state for all its pages). */
    bool no_cont =
        (pgt->flags & PGT_NO_CONT) ||
        (pgt->regime == PGT_REGIME_S2 && (pgt->flags & PGT_S2_HW_DIRTY));
    for (int l = -1; l <= PGT_LEVEL_MAX; l++) {
        uint32_t n = pgt_cont_entries(&pgt->geom, l);
        in->cont[l + 1] = (uint8_t)(no_cont || !n ? 0 : __builtin_ctz(n));
    }

    /* Stage 2: what a map of normal memory needs, worked out once; per
     * R/W/X set, what pgt_leaf_attrs() gives for plain memory and the
     * maintenance its map needs (one load each on the fault path). */
    in->cmo = 0;
    in->s2_end = 0;
    in->s2_page = 0;
    in->s2_phys_bad = ~0ull;
    in->dbm = 0;
    for (unsigned int p = 0; p < 8; p++) {
        in->rwx_attrs[p] = 0;
        in->rwx_cmo[p] = 0;
    }
    if (pgt->regime != PGT_REGIME_S2)
        return;
    in->s2_end = 1ull << pgt->geom.ia_bits;
    in->s2_page = 1ull << gs;
    in->s2_phys_bad = ~((1ull << pgt->geom.oa_bits) - 1) | (in->s2_page - 1);
    if (pgt->flags & PGT_S2_HW_DIRTY)
        in->dbm = PGT_PTE_DBM;
    bool fwb = pgt->flags & PGT_S2_FWB;
    if (!fwb && mm->dcache_clean_inval_poc)
        in->cmo |= PGT_CMO_D;
    if (mm->icache_inval_pou)
        in->cmo |= PGT_CMO_I;
    pgt_pte_t normal =
        PGT_PTE_AF | (pgt->geom.lpa2 ? 0 : PGT_SH_INNER << PGT_PTE_SH_SHIFT) |
        (fwb ? PGT_S2_FWB_MEMATTR_NORMAL_WB : PGT_S2_MEMATTR_NORMAL_WB)
            << PGT_S2_MEMATTR_SHIFT;
    for (unsigned int p = 0; p < 8; p++) {
        in->rwx_attrs[p] = normal | ((p & PGT_PROT_R) ? PGT_S2_S2AP_R : 0) |
                           ((p & PGT_PROT_W) ? PGT_S2_S2AP_W | in->dbm : 0) |
                           ((p & PGT_PROT_X) ? 0 : PGT_S2_XN);
        in->rwx_cmo[p] =
            (uint8_t)(in->cmo &
                      (PGT_CMO_D | ((p & PGT_PROT_X) ? PGT_CMO_I : 0)));
    }
}

/* ---- creation and destruction ------------------------------------------- */

void pgt_geom_copy(struct pgt_geom *d, const struct pgt_geom *s)
{
    const unsigned char *from = (const unsigned char *)s;
    volatile unsigned char *to = (volatile unsigned char *)d;

    for (size_t i = 0; i < sizeof(*d); i++)
        to[i] = from[i];
}

/* With PGT_DEBUG_CHECKS, whether @p is not aligned to @align (a power of
 * two): a page allocator handing out smaller pages than the granule. */
static bool misaligned(const void *p, uint64_t align)
{
#ifdef PGT_DEBUG_CHECKS
    return ((uintptr_t)p & (align - 1)) != 0;
#else
    (void)p;
    (void)align;
    return false;
#endif
}

int pgt_create(struct pgt *pgt, const struct pgt_geom *g,
               enum pgt_regime regime, uint32_t flags,
               const struct pgt_mm_ops *mm_ops, void *mm_ctx,
               const struct pgt_pte_ops *pte_ops)
{
    size_t size = (size_t)g->nr_root_pages << g->granule_shift;
    pgt_pte_t *root;

    if (g->nr_root_pages > 1) {
        if (!mm_ops->zalloc_pages_exact || !mm_ops->free_pages_exact)
            return -PGT_EINVAL;
        root = mm_ops->zalloc_pages_exact(mm_ctx, size);
        /* Table pages are granule aligned (the core finds an entry's
         * table by masking its address), and a concatenated root's
         * physical address is aligned to its size (Arm ARM D8.2.4). */
        if (root && (misaligned(root, 1ull << g->granule_shift) ||
                     misaligned((void *)(uintptr_t)mm_ops->virt_to_phys(mm_ctx, root),
                                size))) {
            mm_ops->free_pages_exact(mm_ctx, root, size);
            return -PGT_EINVAL;
        }
    } else {
        root = mm_ops->zalloc_page(mm_ctx, NULL);
        if (root && misaligned(root, size)) {
            mm_ops->put_page(mm_ctx, root);
            return -PGT_EINVAL;
        }
    }
    if (!root)
        return -PGT_ENOMEM;
    pgt->pgd = root;
    pgt->pgd_phys = mm_ops->virt_to_phys(mm_ctx, root);
    pgt_geom_copy(&pgt->geom, g);
    pgt->regime = regime;
    pgt->flags = flags;
    pgt->mm_ops = mm_ops;
    pgt->mm_ctx = mm_ctx;
    pgt->pte_ops = pte_ops;
    pgt->priv = NULL;
    pgt->internal.flags = 0;
    pgt_derive(pgt);
    return 0;
}

pgt_pte_t *pgt_table_alloc(const struct pgt *pgt, void *mc, bool *bad)
{
    pgt_pte_t *t = pgt->mm_ops->zalloc_page(pgt->mm_ctx, mc);

    if (t && misaligned(t, 1ull << pgt->geom.granule_shift)) {
        pgt_put(pgt, t);
        *bad = true;
        return NULL;
    }
    return t;
}

static void pgt_destroy_tables(struct pgt *pgt);

/* Zero @size bytes at @p. A plain struct assignment may become a memset
 * call, which lib/ cannot make; the volatile stores stay stores. */
static void zero_bytes(void *p, size_t size)
{
    volatile unsigned char *b = p;

    for (size_t i = 0; i < size; i++)
        b[i] = 0;
}

void pgt_destroy(struct pgt *pgt)
{
    if (!pgt || !pgt->pgd || !pgt->mm_ops)
        return;
    pgt_destroy_tables(pgt);
    zero_bytes(pgt, sizeof(*pgt));
}

/* ---- reference counts ------------------------------------------------------ */

void pgt_ref_delta(const struct pgt *pgt, void *table, int delta)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;

    if (pgt_count_add(pgt, table, delta))
        return;
    if (delta > 0) {
        if (mm->get_page_n) {
            mm->get_page_n(pgt->mm_ctx, table, delta);
            return;
        }
        while (delta--)
            mm->get_page(pgt->mm_ctx, table);
    } else if (delta < 0) {
        if (mm->put_page_n) {
            mm->put_page_n(pgt->mm_ctx, table, -delta);
            return;
        }
        while (delta++)
            mm->put_page(pgt->mm_ctx, table);
    }
}

typedef void (*table_fn)(const struct pgt *pgt, pgt_pte_t *table, int level,
                         void *arg);

/* Call @fn on every table page under and including @table (at @level,
 * @nr_entries entries), children before parents. Iterative. */
static void for_each_table_post(const struct pgt *pgt, pgt_pte_t *table,
                                int level, uint64_t nr_entries, table_fn fn,
                                void *arg)
{
    struct {
        pgt_pte_t *table;
        uint64_t idx, n;
    } st[PGT_MAX_LEVELS];
    int d = 0;
    uint64_t per_page = pgt_ptes_per_page(&pgt->geom);

    st[0].table = table;
    st[0].idx = 0;
    st[0].n = nr_entries;
    for (;;) {
        if (st[d].idx == st[d].n || level == PGT_LEVEL_MAX) {
            fn(pgt, st[d].table, level, arg);
            if (d == 0)
                return;
            d--;
            level--;
            st[d].idx++;
            continue;
        }
        pgt_pte_t pte = pgt_read(&st[d].table[st[d].idx]);
        if (!pgt_pte_is_table(pte, level)) {
            st[d].idx++;
            continue;
        }
        d++;
        level++;
        st[d].table = pgt_table_va(pgt, pte);
        st[d].idx = 0;
        st[d].n = per_page;
    }
}

static void drop_table_page(const struct pgt *pgt, pgt_pte_t *table, int level,
                            void *arg)
{
    (void)level;
    if (table != arg) /* not the root (destroy) */
        pgt_ref_delta(pgt, table, -pgt->mm_ops->page_count(pgt->mm_ctx, table));
}

void pgt_free_subtree(const struct pgt *pgt, pgt_pte_t *table, int level)
{
    for_each_table_post(pgt, table, level, pgt_ptes_per_page(&pgt->geom),
                        drop_table_page, NULL);
}

static void count_page(const struct pgt *pgt, pgt_pte_t *table, int level,
                       void *arg)
{
    (void)pgt;
    (void)level;
    (void)table;
    (*(uint64_t *)arg)++;
}

uint64_t pgt_count_table_pages(const struct pgt *pgt)
{
    uint64_t n = 0;

    if (!pgt || !pgt->pgd)
        return 0;
    for_each_table_post(pgt, pgt->pgd, pgt->geom.start_level,
                        pgt_root_entries(&pgt->geom), count_page, &n);
    /* The root was counted once; it may be several pages. */
    return n - 1 + pgt->geom.nr_root_pages;
}

static void pgt_destroy_tables(struct pgt *pgt)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uint64_t per_page = pgt_ptes_per_page(&pgt->geom);
    uint8_t n = pgt->geom.nr_root_pages;

    for_each_table_post(pgt, pgt->pgd, pgt->geom.start_level,
                        pgt_root_entries(&pgt->geom), drop_table_page, pgt->pgd);
    if (n == 1) {
        pgt_ref_delta(pgt, pgt->pgd, -mm->page_count(pgt->mm_ctx, pgt->pgd));
        return;
    }
    /* Concatenated root: back to count 1 per page, then free them. */
    for (uint8_t i = 0; i < n; i++) {
        pgt_pte_t *page = pgt->pgd + i * per_page;
        pgt_ref_delta(pgt, page, 1 - mm->page_count(pgt->mm_ctx, page));
    }
    mm->free_pages_exact(pgt->mm_ctx, pgt->pgd, (size_t)n << pgt->geom.granule_shift);
}

uint64_t pgt_ia_start(const struct pgt *pgt)
{
    if (!pgt || !pgt->pgd)
        return 0;
    return pgt->internal.va_base;
}

uint64_t pgt_ttbr_baddr(const struct pgt *pgt)
{
    if (!pgt || !pgt->pgd)
        return 0;
    uint64_t pa = pgt->pgd_phys;

    /* BADDR[47:x] in place; BADDR[51:48] in bits [5:2] (52-bit OA). */
    return (pa & ((1ull << 48) - 1) & ~0x3full) | (((pa >> 48) & 0xf) << 2);
}

/* ---- cache and TLB maintenance ------------------------------------------ */

void pgt_map_cmo(const struct pgt *pgt, uint64_t oa, uint64_t size, bool dcache,
                 bool icache)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    void *va;

    if (!dcache && !icache)
        return;
    va = mm->phys_to_virt(pgt->mm_ctx, oa);
    if (dcache)
        mm->dcache_clean_inval_poc(pgt->mm_ctx, va, (size_t)size);
    if (icache)
        mm->icache_inval_pou(pgt->mm_ctx, va, (size_t)size);
}

void pgt_tlbi_leaves(const struct pgt *pgt, uint64_t addr, uint64_t size,
                     int level)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uint64_t step = pgt_level_size(&pgt->geom, level);

    if (size <= step) {
        pgt_tlbi_leaf(pgt, addr, level);
    } else if (mm->tlbi_range) {
        pgt_tlbi_range(pgt, addr, size);
    } else if (mm->tlbi_all &&
               (size >> pgt_level_shift(&pgt->geom, level)) >
                   (mm->tlbi_all_threshold ? mm->tlbi_all_threshold
                                           : PGT_TLBI_ALL_THRESHOLD)) {
        mm->tlbi_all(pgt);
    } else {
        for (uint64_t a = addr; a < addr + size; a += step)
            pgt_tlbi_leaf(pgt, a, level);
    }
}

void pgt_tlbi_table(const struct pgt *pgt, uint64_t addr, uint64_t size,
                    bool wide)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;

    if (mm->tlbi_va)
        mm->tlbi_va(pgt, addr + pgt->internal.va_base, PGT_LEVEL_UNKNOWN);
    if (!wide && mm->tlbi_va)
        return;
    /* Leaves and walk-cache entries cached for other addresses of the
     * span are not covered by a TLBI by VA (Arm ARM D8.13). */
    if (mm->tlbi_range)
        pgt_tlbi_range(pgt, addr & ~(size - 1), size);
    else if (mm->tlbi_all)
        mm->tlbi_all(pgt);
}

/* ---- releasing tables left empty ---------------------------------------- */

/* Whether the table page @t (at @level) holds a valid entry other than
 * @skip: something a walker may have cached for another address. */
static bool holds_valid(const struct pgt *pgt, const pgt_pte_t *t,
                        const pgt_pte_t *skip)
{
    uint64_t n = pgt_ptes_per_page(&pgt->geom);

    for (uint64_t i = 0; i < n; i++)
        if (&t[i] != skip && pgt_pte_valid(pgt_read(&t[i])))
            return true;
    return false;
}

void pgt_release_uncounted(struct pgt *pgt, pgt_pte_t *pe, int level,
                           uint64_t addr, pgt_pte_t *const *tables, int n)
{
    uint64_t size = pgt_level_size(&pgt->geom, level);
    pgt_pte_t link = pgt_read(pe);
    bool wide = false;

    /* Uncounted entries (the host's valid leaves) may still be there
     * and go with the tables: then the whole span is invalidated. */
    for (int i = 0; i < n && !wide; i++) {
        const pgt_pte_t *skip = NULL;
        if (i + 1 < n) {
            /* the entry of tables[i] that links tables[i + 1] */
            uint32_t shift = pgt_level_shift(&pgt->geom, level + 1 + i);
            skip = &tables[i][(addr >> shift) & (pgt_ptes_per_page(&pgt->geom) - 1)];
        }
        wide = holds_valid(pgt, tables[i], skip);
    }
    pgt_unlink(pgt, pe, level); /* break */
    pgt_tlbi_table(pgt, addr, size, wide);
    /* Drops every reference on every table below *@pe. */
    pgt_free_subtree(pgt, tables[0], level + 1);
    if (pgt_counted(pgt, link, level))
        pgt_put(pgt, pgt_table_of(pgt, pe));
}

void pgt_internal_set_engine_only(struct pgt *pgt)
{
    pgt->internal.flags |= PGT_INTERNAL_ENGINE_ONLY;
    pgt_derive(pgt);
}
