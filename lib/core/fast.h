/* SPDX-License-Identifier: MIT */
/*
 * Single-page fast paths for map and unmap: a direct descent from the
 * root with no walker and no prepare pass, for the call pattern of a
 * fault handler (one page at a time). They keep every contract of the
 * general engine in ops.c; whenever the descent meets something the fast
 * path does not handle (a block or annotation above the last level, an
 * entry to replace), they return PGT_FAST_FALLBACK before writing
 * anything and the caller runs the engine.
 */
#ifndef PGT_FAST_H
#define PGT_FAST_H

#include "internal.h"

/* Cache maintenance of the one page at @phys before its leaf becomes
 * valid (mm_ops.h: dcache for cacheable memory without FWB, icache for
 * executable mappings). */
static inline void fast_page_cmo(const struct pgt *pgt, uint64_t phys,
                                 bool cmo_d, bool cmo_i)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    const struct pgt_geom *g = &pgt->geom;

    if (!cmo_d && !cmo_i)
        return;
    void *va = mm->phys_to_virt(pgt->mm_ctx, phys);
    if (cmo_d)
        mm->dcache_clean_inval_poc(pgt->mm_ctx, va, 1ull << g->granule_shift);
    if (cmo_i)
        mm->icache_inval_pou(pgt->mm_ctx, va, 1ull << g->granule_shift);
}

/*
 * An empty entry @ptep at @level above the last level: build the missing
 * tables off-line (all allocations first, so -PGT_ENOMEM changes
 * nothing), put the page leaf in the last one, then link the chain with
 * one store.
 */
static __attribute__((noinline)) int
fast_map_chain(struct pgt *pgt, pgt_pte_t *ptep, int level, uint64_t addr,
               uint64_t phys, pgt_pte_t leaf, void *mc, bool cmo_d, bool cmo_i)
{
    const struct pgt_geom *g = &pgt->geom;
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    pgt_pte_t *tables[PGT_MAX_LEVELS];
    int n = PGT_LEVEL_MAX - level;
    for (int i = 0; i < n; i++) {
        tables[i] = mm->zalloc_page(pgt->mm_ctx, mc);
        if (!tables[i]) {
            while (i--)
                mm->put_page(pgt->mm_ctx, tables[i]);
            return -PGT_ENOMEM;
        }
    }
    /* tables[i] is at level + 1 + i; the last one holds the page. */
    pgt_pte_t *last = tables[n - 1];
    uint64_t mask = pgt_ptes_per_page(g) - 1;
    pgt_pte_t *lp = &last[(addr >> g->granule_shift) & mask];
    fast_page_cmo(pgt, phys, cmo_d, cmo_i);
    *lp = leaf;
    if (pgt_counted(pgt, leaf, PGT_LEVEL_MAX))
        mm->get_page(pgt->mm_ctx, lp);
    for (int i = n - 2; i >= 0; i--) {
        int l = level + 1 + i;
        pgt_pte_t *e = &tables[i][(addr >> pgt_level_shift(g, l)) & mask];
        *e = pgt_make_table(g, mm->virt_to_phys(pgt->mm_ctx, tables[i + 1]));
        mm->get_page(pgt->mm_ctx, e);
    }
    /* The release orders the new tables' contents before the link. */
    __atomic_store_n(ptep, pgt_make_table(g, mm->virt_to_phys(pgt->mm_ctx, tables[0])),
                     __ATOMIC_RELEASE);
    mm->get_page(pgt->mm_ctx, ptep);
    return 0;
}

static inline int pgt_fast_map_page(struct pgt *pgt, uint64_t addr, uint64_t phys,
                      pgt_pte_t attrs, void *mc, bool cmo_d, bool cmo_i,
                      bool stage1)
{
    const struct pgt_geom *g = &pgt->geom;
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    struct descent dc;
    pgt_pte_t leaf = pgt_leaf_of(g, phys, attrs, PGT_LEVEL_MAX);
    pgt_pte_t *ptep = descend(pgt, addr, &dc, NULL, NULL);
    pgt_pte_t pte = dc.pte;
    int level = dc.level;

    if (level == PGT_LEVEL_MAX) {
        if (pte == leaf)
            return 0;
        if (pte) {
            if (stage1)
                return -PGT_EEXIST;
            return PGT_FAST_FALLBACK; /* replace: break-before-make */
        }
        fast_page_cmo(pgt, phys, cmo_d, cmo_i);
        pgt_write(ptep, leaf);
        if (pgt_counted(pgt, leaf, PGT_LEVEL_MAX))
            mm->get_page(pgt->mm_ctx, ptep);
        return 0;
    }
    if (pte)
        return PGT_FAST_FALLBACK; /* a block or annotation: split */

    return fast_map_chain(pgt, ptep, level, addr, phys, leaf, mc, cmo_d, cmo_i);
}

/*
 * True for the usual stage-2 shape the one-page unmap of s2.c handles: a
 * linear map, 4K granule without LPA2, start level 1, default counting
 * outside host mode.
 */
static inline bool fast_is_4k_l1(const struct pgt *pgt)
{
    const struct pgt_geom *g = &pgt->geom;
    return pgt->mm_ops->linear && g->granule_shift == PGT_GRANULE_4K &&
           g->start_level == 1 && !g->lpa2 && !(pgt->flags & PGT_S2_HOST) &&
           !(pgt->pte_ops && pgt->pte_ops->pte_is_counted);
}

/*
 * Clear the one page at @addr, any shape (the stage-2 4K start-level-1
 * shape has its own code in s2.c): descend recording the path, clear and
 * invalidate the leaf, then free the tables left empty bottom up. Sets
 * *@bytes to the bytes unmapped; PGT_FAST_FALLBACK (before writing) for a
 * block or annotation above the last level.
 */
static inline int pgt_fast_clear_page(struct pgt *pgt, uint64_t addr, int64_t *bytes)
{
    const struct pgt_geom *g = &pgt->geom;
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    pgt_pte_t *path[PGT_MAX_LEVELS]; /* entry at each level, by depth */
    pgt_pte_t *tbl[PGT_MAX_LEVELS];  /* the table holding it */
    struct descent dc;
    pgt_pte_t *ptep = descend(pgt, addr, &dc, path, tbl);
    pgt_pte_t pte = dc.pte;
    int level = dc.level, d = dc.depth;
    *bytes = 0;
    if (pte && level < PGT_LEVEL_MAX)
        return PGT_FAST_FALLBACK; /* a block or annotation: split */

    if (pte) {
        pgt_write(ptep, 0);
        if (pgt_pte_valid(pte)) {
            pgt_tlbi_leaf(pgt, addr, level);
            *bytes = (int64_t)1 << g->granule_shift;
        }
        if (pgt_counted(pgt, pte, level))
            mm->put_page(pgt->mm_ctx, ptep);
    }

    /*
     * Shortcut: with the default counting outside host mode every
     * non-zero entry is counted, so a non-zero neighbour in the cache
     * line just written proves the table keeps a count above 1 (no
     * page_count call needed).
     */
    if (d > 0 && !(pgt->flags & PGT_S2_HOST) &&
        !(pgt->pte_ops && pgt->pte_ops->pte_is_counted)) {
        uint64_t i0 = (uint64_t)(ptep - tbl[d]) & ~7ull;
        const pgt_pte_t *line = tbl[d] + i0;
        if (line[0] | line[1] | line[2] | line[3] | line[4] | line[5] |
            line[6] | line[7])
            return 0;
        /*
         * The same counting mode: a table with count 1 is empty, and
         * every entry on the path is a (counted) table entry, so the
         * loop below needs no counting test and no re-read of the entry.
         */
        do {
            pgt_pte_t *table = tbl[d];
            if (PGT_LIKELY(mm->page_count(pgt->mm_ctx, table) != 1))
                break;
            d--;
            level--;
            pgt_pte_t *pe = path[d];
            uint64_t size = pgt_level_size(g, level);
            pgt_write(pe, 0); /* break: unlink the table */
            pgt_tlbi_table(pgt, addr & ~(size - 1), size, false);
            mm->put_page(pgt->mm_ctx, table);
            mm->put_page(pgt->mm_ctx, pe);
        } while (d > 0);
        return 0;
    }

    /*
     * Free the tables on the path left without a counted entry, bottom
     * up (as the engine's TABLE_POST visits would). Without a custom
     * pte_is_counted and outside host mode such a table is empty.
     */
    while (d > 0) {
        pgt_pte_t *table = tbl[d];
        if (PGT_LIKELY(mm->page_count(pgt->mm_ctx, table) != 1))
            break;
        bool maybe_leaves = (pgt->flags & PGT_S2_HOST) ||
                            (pgt->pte_ops && pgt->pte_ops->pte_is_counted);
        d--;
        level--;
        pgt_pte_t *pe = path[d];
        pgt_pte_t old = pgt_read(pe);
        uint64_t size = pgt_level_size(g, level);
        bool leaves = false; /* or tables: anything cached elsewhere */
        if (maybe_leaves) {
            uint64_t n = pgt_ptes_per_page(g);
            for (uint64_t i = 0; i < n && !leaves; i++) {
                pgt_pte_t c = pgt_read(&table[i]);
                leaves = pgt_pte_valid(c);
            }
        }
        pgt_write(pe, 0); /* break: unlink the table */
        pgt_tlbi_table(pgt, addr & ~(size - 1), size, leaves);
        if (maybe_leaves)
            pgt_free_subtree(pgt, table, level + 1);
        else
            mm->put_page(pgt->mm_ctx, table); /* empty: its count is 1 */
        if (pgt_counted(pgt, old, level))
            mm->put_page(pgt->mm_ctx, pe);
    }
    return 0;
}

#endif /* PGT_FAST_H */
