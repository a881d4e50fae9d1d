// SPDX-License-Identifier: MIT
/*
 * The generic walker behind pgt_walk(): one iterative depth-first walk
 * with an explicit per-level stack, for embedders and the operations that
 * visit every leaf of a range. pgt_translate() on top of the descent.
 */
#include "internal.h"

/* One level of the walk: the table being scanned and where we are in it. */
struct walk_frame {
    pgt_pte_t *table;
    uint64_t idx, last; /* current and last index (inclusive) in range */
    uint64_t base;      /* IA of entry 0 of this table */
};

/*
 * After a visit to *@ctx->ptep, now @now: a visitor that changed a table
 * entry above the walk cache's level may have unlinked the table the
 * cache keeps (pgt_unlink()). A walk that changes nothing writes nothing.
 */
static void visited(struct pgt *pgt, const struct pgt_visit_ctx *ctx,
                    pgt_pte_t now)
{
    if (ctx->level < PGT_WALK_LEVEL && now != ctx->old &&
        pgt_pte_is_table(ctx->old, ctx->level))
        pgt->internal.walk_tag = ~0ull;
}

int pgt_walk(struct pgt *pgt, uint64_t addr, uint64_t size,
             const struct pgt_walker *walker)
{
    struct walk_frame st[PGT_MAX_LEVELS];
    struct pgt_visit_ctx ctx;
    int ret;

    if (!walker || !walker->cb || !pgt || !pgt->pgd || !pgt->mm_ops)
        return -PGT_EINVAL;
    /* The walk runs on offsets from the table's first address; visitors
     * see the addresses the hardware translates (va_base added back). */
    const uint64_t va_base = pgt->internal.va_base;
    addr -= va_base;
    ret = pgt_check_range(pgt, addr, size);
    if (ret)
        return ret;

    const struct pgt_geom *g = &pgt->geom;
    uint64_t end = addr + size, pos;
    int d = 0, level = g->start_level;
    uint32_t shift = pgt_level_shift(g, level);
    uint64_t mask = pgt_ptes_per_page(g) - 1;

    ctx.pgt = pgt;
    ctx.end = end + va_base;
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
                pos = f->base + (f->idx << shift);
                ctx.addr = (pos < addr ? addr : pos) + va_base;
                ret = walker->cb(&ctx, PGT_WALK_TABLE_POST);
                visited(pgt, &ctx, pgt_read(ctx.ptep));
                if (ret)
                    return ret;
            }
            f->idx++;
            continue;
        }

        uint64_t ebase = f->base + (f->idx << shift);
        pgt_pte_t pte = pgt_read(&f->table[f->idx]);

        pos = ebase < addr ? addr : ebase;
        ctx.ptep = &f->table[f->idx];
        ctx.addr = pos + va_base;
        ctx.level = level;
        ctx.old = pte;
        if (pgt_pte_is_table(pte, level)) {
            if (walker->flags & PGT_WALK_TABLE_PRE) {
                ret = walker->cb(&ctx, PGT_WALK_TABLE_PRE);
                pte = pgt_read(ctx.ptep); /* the visitor may have changed it */
                visited(pgt, &ctx, pte);
                if (ret)
                    return ret;
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
        c->idx = ((pos - ebase) >> shift) & mask;
        c->last = (((end < cend ? end : cend) - 1 - ebase) >> shift) & mask;
        d++;
        level++;
    }
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
