// SPDX-License-Identifier: MIT
/*
 * pgt_check(): the table's invariants verified by a descent (see check.h).
 * Built on the public API only (the descriptor helpers and the mm_ops
 * hooks), so it reads a table the way an embedder could, and does not
 * lean on the walker whose tables it is checking.
 *
 * One iterative depth-first descent with a stack of one frame per level
 * (no recursion, no allocation). Each table page is read twice: once
 * whole for its count and emptiness, once over the entries in the range,
 * which are checked and descended into in address order.
 */
#include "pgtable/check.h"

struct chk {
    const struct pgt *pgt;
    uint32_t flags;
    struct pgt_check_fault *f;
    /* The last leaf attributes found good: runs of leaves share them. */
    pgt_pte_t good_attrs;
    int good_level;
};

static int report(struct chk *c, enum pgt_check_what what, uint64_t addr, int level,
                  pgt_pte_t pte)
{
    c->f->what = what;
    c->f->addr = addr + c->pgt->internal.va_base; /* the VA, upper range too */
    c->f->level = level;
    c->f->pte = pte;
    return -PGT_EFAULT;
}

/* Whether @pte counts towards its table page's count: the core's rule
 * (mm_ops.h, struct pgt_pte_ops). */
static bool counted(const struct pgt *pgt, pgt_pte_t pte, int level)
{
    if (!pte)
        return false;
    if (pgt->pte_ops && pgt->pte_ops->pte_is_counted)
        return pgt->pte_ops->pte_is_counted(pte, level);
    return !((pgt->flags & PGT_S2_HOST) && pgt_pte_is_leaf(pte, level));
}

/* Index of the first non-zero entry of @t in [@i, @n), or @n. */
static uint64_t next_nonzero(const pgt_pte_t *t, uint64_t i, uint64_t n)
{
    /* 16K/64K pages are mostly zero: eight entries at a time. */
    while (i + 8 <= n && !(t[i] | t[i + 1] | t[i + 2] | t[i + 3] | t[i + 4] | t[i + 5] |
                           t[i + 6] | t[i + 7]))
        i += 8;
    while (i < n && !t[i])
        i++;
    return i;
}

/*
 * The table page @t (@n entries at @level, mapping from @addr, pointed at
 * by @pte): aligned, non-empty unless @root, count 1 + counted entries.
 */
static int check_page(struct chk *c, const pgt_pte_t *t, uint64_t n, int level,
                      uint64_t addr, pgt_pte_t pte, bool root)
{
    const struct pgt *pgt = c->pgt;
    uint64_t nz = 0, cnt = 0;

    if ((uintptr_t)t & ((1ull << pgt->geom.granule_shift) - 1))
        return report(c, PGT_CHECK_ALIGN, addr, level, pte);
    /* Without counts, emptiness needs one non-zero entry, not all. */
    if (c->flags & PGT_CHECK_NO_COUNTS)
        return !root && next_nonzero(t, 0, n) == n ? report(c, PGT_CHECK_EMPTY, addr, level, pte)
                                                   : 0;
    for (uint64_t i = next_nonzero(t, 0, n); i < n; i = next_nonzero(t, i + 1, n)) {
        nz++;
        if (counted(pgt, t[i], level))
            cnt++;
    }
    if (!root && !nz)
        return report(c, PGT_CHECK_EMPTY, addr, level, pte);
    int count = pgt->mm_ops->page_count(pgt->mm_ctx, (void *)(uintptr_t)t);
    if (count < 0 || (uint64_t)count != 1 + cnt) {
        c->f->count = count;
        c->f->expected = (int)(1 + cnt);
        return report(c, PGT_CHECK_COUNT, addr, level, pte);
    }
    return 0;
}

/* A leaf: a block where the geometry has blocks or a page at the last
 * level, its output in range and aligned, attributes the library writes. */
static int check_leaf(struct chk *c, pgt_pte_t pte, int level, uint64_t addr)
{
    const struct pgt_geom *g = &c->pgt->geom;
    enum pgt_regime regime = c->pgt->regime;
    uint32_t flags = c->pgt->flags; /* PGT_S2_FWB/XNX, PGT_S1_ALLOW_WX */
    uint64_t oa = pgt_oa_decode(g, pte);
    pgt_pte_t attrs, want;

    if (level == PGT_LEVEL_MAX ? !(pte & PGT_PTE_TYPE) : !pgt_level_has_block(g, level))
        return report(c, PGT_CHECK_LEAF_DESC, addr, level, pte);
    if ((oa >> g->oa_bits) || (oa & (pgt_level_size(g, level) - 1)))
        return report(c, PGT_CHECK_OA, addr, level, pte);
    attrs = pte & ~(pgt_oa_field_mask(g) | PGT_PTE_TYPE | PGT_PTE_VALID |
                    PGT_PTE_AF | PGT_PTE_CONT);
    if (attrs == c->good_attrs && level == c->good_level)
        return 0;
    if (pgt_leaf_attrs(g, regime, flags, pgt_leaf_prot(g, regime, flags, pte), &want) ||
        (attrs | PGT_PTE_AF) != want)
        return report(c, PGT_CHECK_LEAF_DESC, addr, level, pte);
    c->good_attrs = attrs;
    c->good_level = level;
    return 0;
}

/* A non-table entry @pte at @level mapping from @addr. */
static int check_entry(struct chk *c, pgt_pte_t pte, int level, uint64_t addr)
{
    if (pte & PGT_PTE_VALID)
        return check_leaf(c, pte, level, addr);
    /* Invalid: zero, or on stage 2 exactly an owner annotation. */
    if (pte && (c->pgt->regime != PGT_REGIME_S2 || pte != pgt_make_owner(pgt_pte_owner(pte))))
        return report(c, PGT_CHECK_OWNER, addr, level, pte);
    return 0;
}

/* Entries one contiguous run joins at @level in this table, 0: none. */
static uint64_t cont_entries(const struct pgt *pgt, int level)
{
    if ((pgt->flags & PGT_NO_CONT) ||
        (pgt->regime == PGT_REGIME_S2 && (pgt->flags & PGT_S2_HW_DIRTY)))
        return 0;
    return pgt_cont_entries(&pgt->geom, level);
}

/*
 * The leaf t[@i] at @level (entry 0 mapping from @base) has the
 * contiguous bit: the table uses the hint there, and its run is uniform,
 * checked whole from the run's first entry (the others only look there).
 */
static int check_cont(struct chk *c, const pgt_pte_t *t, uint64_t i, int level,
                      uint64_t base)
{
    const struct pgt_geom *g = &c->pgt->geom;
    uint64_t n = cont_entries(c->pgt, level), size = pgt_level_size(g, level);
    uint64_t addr = base + i * size, first = i & ~(n - 1);
    pgt_pte_t mask = ~pgt_oa_field_mask(g), pte = t[i];

    if (!n || !(t[first] & PGT_PTE_CONT))
        return report(c, PGT_CHECK_CONT, addr, level, pte);
    if (i != first)
        return 0;
    uint64_t oa = pgt_oa_decode(g, pte);
    if (oa & (n * size - 1))
        return report(c, PGT_CHECK_CONT, addr, level, pte);
    for (uint64_t k = 1; k < n; k++)
        if ((t[i + k] & mask) != (pte & mask) ||
            pgt_oa_decode(g, t[i + k]) != oa + k * size)
            return report(c, PGT_CHECK_CONT, addr + k * size, level, t[i + k]);
    return 0;
}

/* A table page being walked: its entries [i, end) are still to visit. */
struct frame {
    const pgt_pte_t *t;
    uint64_t i, end;
    uint64_t base; /* input address of entry 0 */
    int level;
};

/*
 * Check the table page @t at @level (entries [@i, @end), entry 0 mapping
 * from @base) and every table below the entries [@i, @end) that overlaps
 * [@lo, @hi), depth first. The page itself was checked by the caller.
 */
static int descend(struct chk *c, const pgt_pte_t *t, uint64_t i, uint64_t end, uint64_t base,
                   int level, uint64_t lo, uint64_t hi)
{
    const struct pgt *pgt = c->pgt;
    const struct pgt_geom *g = &pgt->geom;
    struct frame st[PGT_MAX_LEVELS];
    int top = 0;
    int ret;

    st[0] = (struct frame){t, i, end, base, level};
    while (top >= 0) {
        struct frame *fr = &st[top];
        uint64_t shift = pgt_level_shift(g, fr->level);

        fr->i = next_nonzero(fr->t, fr->i, fr->end);
        if (fr->i >= fr->end) {
            top--;
            continue;
        }
        pgt_pte_t pte = fr->t[fr->i];
        uint64_t addr = fr->base + (fr->i << shift);
        fr->i++;
        if (!pgt_pte_is_table(pte, fr->level)) {
            ret = check_entry(c, pte, fr->level, addr);
            if (!ret && (pte & (PGT_PTE_VALID | PGT_PTE_CONT)) ==
                            (PGT_PTE_VALID | PGT_PTE_CONT))
                ret = check_cont(c, fr->t, fr->i - 1, fr->level, fr->base);
            if (ret)
                return ret;
            continue;
        }
        uint64_t pa = pgt_oa_decode(g, pte);
        if (pte != pgt_make_table(g, pa))
            return report(c, PGT_CHECK_TABLE_DESC, addr, fr->level, pte);
        /* Stop here rather than read a table outside the OA size. */
        if (pa >> g->oa_bits)
            return report(c, PGT_CHECK_OA, addr, fr->level, pte);
        const pgt_pte_t *child = pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pa);
        uint64_t n = pgt_ptes_per_page(g);
        int clevel = fr->level + 1;
        uint64_t cshift = pgt_level_shift(g, clevel);
        ret = check_page(c, child, n, clevel, addr, pte, false);
        if (ret)
            return ret;
        /* The child's entries that overlap [lo, hi). */
        uint64_t ci = lo > addr ? (lo - addr) >> cshift : 0;
        uint64_t ce = hi - addr < (n << cshift) ? ((hi - addr - 1) >> cshift) + 1 : n;
        st[++top] = (struct frame){child, ci, ce, addr, clevel};
    }
    return 0;
}

int pgt_check_region(const struct pgt *pgt, uint64_t addr, uint64_t size, uint32_t flags,
                     struct pgt_check_fault *fault)
{
    struct pgt_check_fault local;
    struct chk c = {.pgt = pgt, .flags = flags, .f = fault ? fault : &local,
                    .good_level = PGT_LEVEL_UNKNOWN};
    const struct pgt_geom *g;
    uint64_t per_page, root_entries, rshift, gran, end;
    int ret;

    c.f->what = PGT_CHECK_OK;
    c.f->count = c.f->expected = 0;
    if (!pgt || !pgt->pgd || !pgt->mm_ops || !pgt->mm_ops->phys_to_virt)
        return -PGT_EINVAL;
    if (flags & ~PGT_CHECK_NO_COUNTS)
        return -PGT_EINVAL;
    if (!(flags & PGT_CHECK_NO_COUNTS) && !pgt->mm_ops->page_count)
        return -PGT_EINVAL;
    g = &pgt->geom;
    gran = 1ull << g->granule_shift;
    /* From the table's first address on (an upper-range table's VAs). */
    addr -= pgt->internal.va_base;
    if (size == 0 || (addr | size) & (gran - 1) || addr + size < addr)
        return -PGT_EINVAL;
    if (addr + size > (1ull << g->ia_bits))
        return -PGT_ERANGE;
    end = addr + size;

    /* The root: based at a multiple of its size (all its pages), and each
     * of its pages in range checked as a page before any entry. */
    if (pgt->pgd_phys & (g->nr_root_pages * gran - 1))
        return report(&c, PGT_CHECK_ALIGN, 0, g->start_level, 0);
    per_page = pgt_ptes_per_page(g);
    root_entries = pgt_root_entries(g);
    rshift = pgt_level_shift(g, g->start_level);
    for (uint64_t r = 0; r * per_page < root_entries; r++) {
        uint64_t first = r * per_page, n = root_entries - first;

        if (n > per_page)
            n = per_page;
        if ((first << rshift) >= end || ((first + n) << rshift) <= addr)
            continue;
        ret = check_page(&c, pgt->pgd + first, n, g->start_level, first << rshift, 0, true);
        if (ret)
            return ret;
    }
    return descend(&c, pgt->pgd, addr >> rshift, ((end - 1) >> rshift) + 1, 0, g->start_level,
                   addr, end);
}

/*
 * The one piece of the library's own state checked: its walk cache
 * (struct pgt.internal.walk_tag / walk_tbl), when it names a range, must
 * name the table that the level-1 entry of that range links.
 */
static int check_walk_cache(struct chk *c)
{
    const struct pgt *pgt = c->pgt;
    const struct pgt_geom *g = &pgt->geom;
    int level = g->start_level, last = PGT_LEVEL_MAX - 2;

    if (pgt->internal.walk_tag == ~0ull)
        return 0;
    uint64_t addr = pgt->internal.walk_tag << pgt_level_shift(g, last);
    if (level > last || addr >> g->ia_bits ||
        addr >> pgt_level_shift(g, last) != pgt->internal.walk_tag)
        return report(c, PGT_CHECK_WALK_CACHE, addr, level, 0);
    pgt_pte_t pte = pgt->pgd[addr >> pgt_level_shift(g, level)];
    for (;;) {
        if (!pgt_pte_is_table(pte, level))
            return report(c, PGT_CHECK_WALK_CACHE, addr, level, pte);
        const pgt_pte_t *t = pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pgt_oa_decode(g, pte));
        if (level == last)
            return t == pgt->internal.walk_tbl
                       ? 0
                       : report(c, PGT_CHECK_WALK_CACHE, addr, level, pte);
        level++;
        pte = t[(addr >> pgt_level_shift(g, level)) & (pgt_ptes_per_page(g) - 1)];
    }
}

int pgt_check(const struct pgt *pgt, uint32_t flags, struct pgt_check_fault *fault)
{
    struct pgt_check_fault local;

    if (!pgt) {
        if (fault)
            fault->what = PGT_CHECK_OK;
        return -PGT_EINVAL;
    }
    if (!fault)
        fault = &local;
    int ret = pgt_check_region(pgt, pgt->internal.va_base, 1ull << pgt->geom.ia_bits, flags,
                               fault);
    if (ret)
        return ret;
    struct chk c = {.pgt = pgt, .flags = flags, .f = fault};
    return check_walk_cache(&c);
}

const char *pgt_check_what_str(enum pgt_check_what what)
{
    switch (what) {
    case PGT_CHECK_OK:
        return "no fault";
    case PGT_CHECK_COUNT:
        return "table page count is not 1 + its counted entries";
    case PGT_CHECK_EMPTY:
        return "empty table page below the root";
    case PGT_CHECK_ALIGN:
        return "table page not aligned";
    case PGT_CHECK_TABLE_DESC:
        return "table descriptor with bits the library never sets";
    case PGT_CHECK_LEAF_DESC:
        return "reserved or illegal leaf encoding";
    case PGT_CHECK_OA:
        return "output address beyond the OA size or misaligned";
    case PGT_CHECK_OWNER:
        return "invalid entry that is not an owner annotation";
    case PGT_CHECK_CONT:
        return "contiguous bit without the hint there, or on a run that is not "
               "uniform";
    case PGT_CHECK_WALK_CACHE:
        return "the walk cache names a table the walk does not reach";
    }
    return "unknown";
}
