// SPDX-License-Identifier: MIT
/*
 * The generic walker (one iterative depth-first walk with an explicit
 * per-level stack), lookups (get_leaf, translate) and table-wide helpers
 * (TTBR encoding, page counting, freeing a subtree).
 */
#include "internal.h"

/* One level of the walk: the table being scanned and where we are in it. */
struct walk_frame {
    pgt_pte_t *table;
    uint64_t idx, last; /* current and last index (inclusive) in range */
    uint64_t base;      /* IA of entry 0 of this table */
};

int pgt_walk_internal(struct pgt *pgt, uint64_t addr, uint64_t end,
                      const struct pgt_walker *walker, pgt_run_fn run)
{
    const struct pgt_geom *g = &pgt->geom;
    struct walk_frame st[PGT_MAX_LEVELS];
    struct pgt_visit_ctx ctx;
    int d = 0, level = g->start_level, ret;
    uint32_t shift = pgt_level_shift(g, level);
    uint64_t mask = pgt_ptes_per_page(g) - 1;

    ctx.pgt = pgt;
    ctx.end = end;
    ctx.arg = walker->arg;

    st[0].table = pgt->pgd;
    st[0].idx = pgt_level_index(g, addr, level);
    st[0].last = pgt_level_index(g, end - 1, level);
    st[0].base = 0;

    for (;;) {
        struct walk_frame *f = &st[d];

        if (f->idx > f->last) {
            /* This table is done: back to its parent entry. */
            if (d == 0)
                return 0;
            d--;
            level--;
            shift += g->bits_per_level;
            f = &st[d];
            if (walker->flags & PGT_WALK_TABLE_POST) {
                ctx.ptep = &f->table[f->idx];
                ctx.old = pgt_read(ctx.ptep);
                ctx.level = level;
                ctx.addr = f->base + (f->idx << shift);
                if (ctx.addr < addr)
                    ctx.addr = addr;
                ret = walker->cb(&ctx, PGT_WALK_TABLE_POST);
                if (ret)
                    return ret;
            }
            f->idx++;
            continue;
        }

        uint64_t ebase = f->base + (f->idx << shift);

        ctx.ptep = &f->table[f->idx];
        ctx.addr = ebase < addr ? addr : ebase;
        ctx.level = level;

        /* Runs stop at a page boundary (a concatenated root has several
         * pages, each with its own reference count). */
        uint64_t nrun = f->last - f->idx + 1;
        if (d == 0 && nrun > mask + 1 - (f->idx & mask))
            nrun = mask + 1 - (f->idx & mask);

        if (run && level == PGT_LEVEL_MAX) {
            /* Last level: hand the whole run to the fast path. */
            ctx.old = pgt_read(ctx.ptep);
            int64_t k = run(&ctx, nrun);
            if (k < 0)
                return (int)k;
            f->idx += nrun;
            continue;
        }

        pgt_pte_t pte = pgt_read(ctx.ptep);
        ctx.old = pte;
        if (run && !pgt_pte_is_table(pte, level)) {
            /* A run of blocks or invalid entries the fast path may take. */
            int64_t k = run(&ctx, nrun);
            if (k < 0)
                return (int)k;
            if (k > 0) {
                f->idx += (uint64_t)k;
                continue;
            }
        }
        if (pgt_pte_is_table(pte, level)) {
            if (walker->flags & PGT_WALK_TABLE_PRE) {
                ret = walker->cb(&ctx, PGT_WALK_TABLE_PRE);
                if (ret == PGT_WALK_SKIP && run) { /* internal walks only */
                    f->idx++;
                    continue;
                }
                if (ret)
                    return ret;
                pte = pgt_read(ctx.ptep); /* the visitor may have changed it */
            }
        } else if (walker->flags & PGT_WALK_LEAF) {
            ret = walker->cb(&ctx, PGT_WALK_LEAF);
            if (ret)
                return ret;
            pte = pgt_read(ctx.ptep); /* a leaf may have become a table */
        }

        if (!pgt_pte_is_table(pte, level)) {
            f->idx++;
            continue;
        }

        /* Descend into the table at this entry. */
        uint64_t cend = ebase + (1ull << shift);
        struct walk_frame *c = &st[d + 1];

        c->table = pgt_table_va(pgt, pte);
        c->base = ebase;
        shift -= g->bits_per_level;
        c->idx = ((ctx.addr - ebase) >> shift) & mask;
        c->last = (((end < cend ? end : cend) - 1 - ebase) >> shift) & mask;
        d++;
        level++;
    }
}

int pgt_walk(struct pgt *pgt, uint64_t addr, uint64_t size,
             const struct pgt_walker *walker)
{
    int ret;

    if (!walker || !walker->cb)
        return -PGT_EINVAL;
    ret = pgt_check_range(pgt, addr, size);
    if (ret)
        return ret;
    /* No run callback: PGT_WALK_SKIP is then an ordinary value that stops
     * the walk, as any non-zero return of a visitor. */
    return pgt_walk_internal(pgt, addr, addr + size, walker, NULL);
}

pgt_pte_t *pgt_descend_hooked(const struct pgt *pgt, uint64_t addr,
                              struct descent *dc, pgt_pte_t **path,
                              pgt_pte_t **tbl)
{
    /* Everything the descent needs in locals: the phys_to_virt calls
     * would otherwise force reloads from *pgt at every level. */
    const struct pgt_geom *g = &pgt->geom;
    void *(*p2v)(void *, uint64_t) = pgt->mm_ops->phys_to_virt;
    void *mm_ctx = pgt->mm_ctx;
    bool linear = pgt->mm_ops->linear;
    uint64_t lin_off = pgt->mm_ops->linear_offset;
    uint32_t bpl = g->bits_per_level;
    uint64_t mask = pgt_ptes_per_page(g) - 1;
    bool simple_oa = pgt_simple_oa(g);
    uint64_t oa_mask = ((1ull << 48) - 1) & ~((1ull << g->granule_shift) - 1);
    int level = g->start_level, d = 0;
    uint32_t shift = pgt_level_shift(g, level);
    pgt_pte_t *ptep = &pgt->pgd[addr >> shift];
    pgt_pte_t pte = pgt_read(ptep);

    if (path) {
        path[0] = ptep;
        tbl[0] = pgt->pgd;
    }
    while (level < PGT_LEVEL_MAX &&
           (pte & (PGT_PTE_VALID | PGT_PTE_TYPE)) ==
               (PGT_PTE_VALID | PGT_PTE_TYPE)) {
        uint64_t pa = simple_oa ? pte & oa_mask : pgt_oa_decode(g, pte);
        pgt_pte_t *t = linear ? (pgt_pte_t *)(uintptr_t)(pa + lin_off)
                              : p2v(mm_ctx, pa);
        level++;
        d++;
        shift -= bpl;
        ptep = &t[(addr >> shift) & mask];
        pte = pgt_read(ptep);
        if (path) {
            path[d] = ptep;
            tbl[d] = t;
        }
    }
    dc->pte = pte;
    dc->level = level;
    dc->depth = d;
    return ptep;
}

/*
 * pgt_get_leaf() through the phys_to_virt hook or a non-plain OA format:
 * out of line, so the common call-free descent below saves no registers.
 */
static __attribute__((noinline)) int
get_leaf_hooked(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                int *level)
{
    struct descent dc;

    pgt_descend_hooked(pgt, addr, &dc, NULL, NULL);
    if (ptep)
        *ptep = dc.pte;
    if (level)
        *level = dc.level;
    return 0;
}

/* pgt_get_leaf() with a linear map and plain OA bits: descend_linear()
 * for granule shift @gs and start level @start (constants where known). */
static inline __attribute__((always_inline)) int
get_leaf_linear(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                int *level, const uint32_t gs, const int start)
{
    struct descent dc;

    descend_linear(pgt, addr, &dc, NULL, NULL, gs, start);
    if (ptep)
        *ptep = dc.pte;
    if (level)
        *level = dc.level;
    return 0;
}

int pgt_get_leaf(const struct pgt *pgt, uint64_t addr, pgt_pte_t *ptep,
                 int *level)
{
    /* The usual stage-2 shape, known at init: one test, fully unrolled. */
    if (PGT_LIKELY(pgt && (pgt->fast & PGT_FAST_S2_4K_L1))) {
        if (addr >> pgt->geom.ia_bits)
            return -PGT_ERANGE;
        return get_leaf_linear(pgt, addr, ptep, level, PGT_GRANULE_4K, 1);
    }
    if (!pgt || !pgt->pgd || !pgt->mm_ops)
        return -PGT_EINVAL;

    const struct pgt_geom *g = &pgt->geom;
    if (addr >> g->ia_bits)
        return -PGT_ERANGE;
    if (PGT_UNLIKELY(!pgt->mm_ops->linear || !pgt_simple_oa(g)))
        return get_leaf_hooked(pgt, addr, ptep, level);
    /* The granule's shifts and masks as constants. */
    if (g->granule_shift == PGT_GRANULE_4K)
        return get_leaf_linear(pgt, addr, ptep, level, PGT_GRANULE_4K,
                               g->start_level);
    if (g->granule_shift == PGT_GRANULE_16K)
        return get_leaf_linear(pgt, addr, ptep, level, PGT_GRANULE_16K,
                               g->start_level);
    return get_leaf_linear(pgt, addr, ptep, level, PGT_GRANULE_64K,
                           g->start_level);
}

int pgt_translate(const struct pgt *pgt, uint64_t addr, uint64_t *pa,
                  enum pgt_prot *prot)
{
    pgt_pte_t pte;
    int level, ret;

    ret = pgt_get_leaf(pgt, addr, &pte, &level);
    if (ret)
        return ret;
    if (!pgt_pte_is_leaf(pte, level))
        return -PGT_ENOENT;
    if (pa)
        *pa = pgt_oa_decode(&pgt->geom, pte) +
              (addr & (pgt_level_size(&pgt->geom, level) - 1));
    if (prot)
        *prot = pgt_leaf_prot(&pgt->geom, pgt->regime, pgt->flags, pte);
    return 0;
}

uint64_t pgt_ttbr_baddr(const struct pgt *pgt)
{
    if (!pgt || !pgt->pgd)
        return 0;
    uint64_t pa = pgt->pgd_phys;

    /* BADDR[47:x] in place; BADDR[51:48] in bits [5:2] (52-bit OA). */
    return (pa & ((1ull << 48) - 1) & ~0x3full) | (((pa >> 48) & 0xf) << 2);
}

void pgt_get_n(const struct pgt *pgt, void *p, int n)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;

    if (n <= 0)
        return;
    if (mm->get_page_n) {
        mm->get_page_n(pgt->mm_ctx, p, n);
        return;
    }
    while (n--)
        mm->get_page(pgt->mm_ctx, p);
}

void pgt_put_n(const struct pgt *pgt, void *p, int n)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;

    if (n <= 0)
        return;
    if (mm->put_page_n) {
        mm->put_page_n(pgt->mm_ctx, p, n);
        return;
    }
    while (n--)
        mm->put_page(pgt->mm_ctx, p);
}

void pgt_ref_delta(const struct pgt *pgt, void *p, int delta)
{
    if (delta > 0)
        pgt_get_n(pgt, p, delta);
    else if (delta < 0)
        pgt_put_n(pgt, p, -delta);
}

/*
 * Iterative visit of every table page under (and including) @table at
 * @level: @fn is called on each page after all its children.
 */
void pgt_for_each_table_post(struct pgt *pgt, pgt_pte_t *table, int level,
                             uint64_t nr_entries, pgt_table_fn fn, void *arg)
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

static void drop_table_page(struct pgt *pgt, pgt_pte_t *table, int level,
                            void *arg)
{
    (void)arg;
    (void)level;
    pgt_put_n(pgt, table, pgt->mm_ops->page_count(pgt->mm_ctx, table));
}

void pgt_free_subtree(struct pgt *pgt, pgt_pte_t *table, int level)
{
    pgt_for_each_table_post(pgt, table, level, pgt_ptes_per_page(&pgt->geom),
                        drop_table_page, NULL);
}

static void count_page(struct pgt *pgt, pgt_pte_t *table, int level,
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
    pgt_for_each_table_post((struct pgt *)pgt, pgt->pgd, pgt->geom.start_level,
                        pgt_root_entries(&pgt->geom), count_page, &n);
    /* The root was counted once; it may be several pages. */
    return n - 1 + pgt->geom.nr_root_pages;
}

/* Free every table page, root included (destroy). */
static void drop_non_root(struct pgt *pgt, pgt_pte_t *table, int level,
                          void *arg)
{
    if (table == (pgt_pte_t *)arg)
        return;
    drop_table_page(pgt, table, level, NULL);
}

void pgt_destroy_tables(struct pgt *pgt)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uint64_t per_page = pgt_ptes_per_page(&pgt->geom);
    uint8_t n = pgt->geom.nr_root_pages;

    pgt_for_each_table_post(pgt, pgt->pgd, pgt->geom.start_level,
                        pgt_root_entries(&pgt->geom), drop_non_root, pgt->pgd);
    if (n == 1) {
        drop_table_page(pgt, pgt->pgd, pgt->geom.start_level, NULL);
        return;
    }
    /* Concatenated root: back to count 1 per page, then free them. */
    for (uint8_t i = 0; i < n; i++) {
        pgt_pte_t *page = pgt->pgd + i * per_page;
        pgt_put_n(pgt, page, mm->page_count(pgt->mm_ctx, page) - 1);
    }
    mm->free_pages_exact(pgt->mm_ctx, pgt->pgd, (size_t)n << pgt->geom.granule_shift);
}

void pgt_tlbi_leaves(const struct pgt *pgt, uint64_t addr, uint64_t size,
                     int level)
{
    const struct pgt_mm_ops *mm = pgt->mm_ops;
    uint64_t step = pgt_level_size(&pgt->geom, level);

    if (size <= step) {
        pgt_tlbi_leaf(pgt, addr, level);
    } else if (mm->tlbi_range) {
        mm->tlbi_range(pgt, addr, size);
    } else if (mm->tlbi_all &&
               (size >> pgt_level_shift(&pgt->geom, level)) > 64) {
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
        mm->tlbi_va(pgt, addr, PGT_LEVEL_UNKNOWN);
    if (!wide && mm->tlbi_va)
        return;
    /* Leaves and walk-cache entries cached for other addresses of the
     * span are not covered by a TLBI by VA (Arm ARM D8.13). */
    if (mm->tlbi_range)
        mm->tlbi_range(pgt, addr, size);
    else if (mm->tlbi_all)
        mm->tlbi_all(pgt);
}
