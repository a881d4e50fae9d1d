// SPDX-License-Identifier: MIT
/* pgt_mm_ops adapters over hyp_pool and the early allocator (mm_pool.h). */
#include "pgtable/mm_pool.h"

#include "../core/internal.h"

/* --- hyp_pool ------------------------------------------------------------- */

void *hyp_pool_zalloc_page(struct hyp_pool *pool)
{
    return hyp_alloc_pages(pool, 0);
}

/* Smallest order whose block holds @nr pages. */
static unsigned int order_for(uint64_t nr)
{
    unsigned int order = 0;

    while ((1ull << order) < nr)
        order++;
    return order;
}

void *hyp_pool_zalloc_pages_exact(struct hyp_pool *pool, size_t size)
{
    unsigned int shift = pool->vm->granule_shift;
    uint64_t nr, i;
    unsigned int order;
    uint8_t *va;

    if (size == 0 || (size & ((1ull << shift) - 1)))
        return NULL;
    nr = size >> shift;
    if (nr > (1ull << HYP_POOL_MAX_ORDER))
        return NULL;
    order = order_for(nr);
    va = hyp_alloc_pages(pool, order);
    if (!va)
        return NULL;
    if (order == 0)
        return va;
    hyp_split_page(pool, hyp_virt_to_page(pool->vm, va));
    /* Give back the pages beyond @size. */
    for (i = nr; i < (1ull << order); i++)
        hyp_put_page(pool, va + (i << shift));
    return va;
}

void hyp_pool_free_pages_exact(struct hyp_pool *pool, void *addr, size_t size)
{
    unsigned int shift = pool->vm->granule_shift;
    uint64_t i, nr = size >> shift;

    for (i = 0; i < nr; i++)
        hyp_put_page(pool, (uint8_t *)addr + (i << shift));
}

_Static_assert(sizeof(struct hyp_page) == 8 &&
                   offsetof(struct hyp_page, refcount) == 0,
               "mm_ops.count_base layout: 2-byte count at the start of 8 bytes");

void hyp_pool_mm_ops_hints(struct pgt_mm_ops *ops, const struct hyp_pool *pool)
{
    const struct hyp_vmemmap *vm = pool->vm;

    ops->linear = true;
    ops->linear_offset = vm->physvirt_offset;
    ops->count_base = vm->pages;
    ops->count_va = (uintptr_t)hyp_phys_to_virt(vm, vm->first_pfn << vm->granule_shift);
    ops->count_shift = 3;
    ops->count_width = 2;
    /* The pool changes a page's record only when it allocates or frees
     * that page, so the count of a table page in use is the table's. */
    ops->count_writable = true;
}

static void *pool_zalloc_page(void *ctx, void *arg)
{
    (void)arg;
    return hyp_pool_zalloc_page(ctx);
}

static void *pool_zalloc_pages_exact(void *ctx, size_t size)
{
    return hyp_pool_zalloc_pages_exact(ctx, size);
}

static void pool_free_pages_exact(void *ctx, void *addr, size_t size)
{
    hyp_pool_free_pages_exact(ctx, addr, size);
}

static void pool_get_page(void *ctx, void *addr)
{
    hyp_get_page(ctx, addr);
}

static void pool_put_page(void *ctx, void *addr)
{
    hyp_put_page(ctx, addr);
}

static void pool_get_page_n(void *ctx, void *addr, int n)
{
    if (n > 0)
        hyp_get_page_n(ctx, addr, (unsigned int)n);
}

static void pool_put_page_n(void *ctx, void *addr, int n)
{
    if (n > 0)
        hyp_put_page_n(ctx, addr, (unsigned int)n);
}

static int pool_page_count(void *ctx, void *addr)
{
    return (int)hyp_page_count_va(ctx, addr);
}

static void *pool_phys_to_virt(void *ctx, uint64_t phys)
{
    return hyp_phys_to_virt(((struct hyp_pool *)ctx)->vm, phys);
}

static uint64_t pool_virt_to_phys(void *ctx, void *addr)
{
    return hyp_virt_to_phys(((struct hyp_pool *)ctx)->vm, addr);
}

const struct pgt_mm_ops hyp_pool_mm_ops = {
    .zalloc_page = pool_zalloc_page,
    .zalloc_pages_exact = pool_zalloc_pages_exact,
    .free_pages_exact = pool_free_pages_exact,
    .get_page = pool_get_page,
    .put_page = pool_put_page,
    .get_page_n = pool_get_page_n,
    .put_page_n = pool_put_page_n,
    .page_count = pool_page_count,
    .phys_to_virt = pool_phys_to_virt,
    .virt_to_phys = pool_virt_to_phys,
};

/* --- early allocator ------------------------------------------------------ */

static void *ea_zalloc_page(void *ctx, void *arg)
{
    (void)arg;
    return hyp_early_alloc_page(ctx);
}

static void *ea_zalloc_pages_exact(void *ctx, size_t size)
{
    struct hyp_early_alloc *ea = ctx;
    uint64_t nr;

    if (size == 0 || (size & ((1ull << ea->granule_shift) - 1)))
        return NULL;
    nr = size >> ea->granule_shift;
    return hyp_early_alloc_contig_aligned(ea, nr, 1ull << order_for(nr));
}

static void ea_free_pages_exact(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    (void)addr;
    (void)size;
}

static void ea_get_put(void *ctx, void *addr)
{
    (void)ctx;
    (void)addr;
}

static void ea_get_put_n(void *ctx, void *addr, int n)
{
    (void)ctx;
    (void)addr;
    (void)n;
}

static int ea_page_count(void *ctx, void *addr)
{
    (void)ctx;
    (void)addr;
    return 1;
}

static void *ea_phys_to_virt(void *ctx, uint64_t phys)
{
    return hyp_early_phys_to_virt(ctx, phys);
}

static uint64_t ea_virt_to_phys(void *ctx, void *addr)
{
    return hyp_early_virt_to_phys(ctx, addr);
}

const struct pgt_mm_ops hyp_early_alloc_mm_ops = {
    .zalloc_page = ea_zalloc_page,
    .zalloc_pages_exact = ea_zalloc_pages_exact,
    .free_pages_exact = ea_free_pages_exact,
    .get_page = ea_get_put,
    .put_page = ea_get_put,
    .get_page_n = ea_get_put_n,
    .put_page_n = ea_get_put_n,
    .page_count = ea_page_count,
    .phys_to_virt = ea_phys_to_virt,
    .virt_to_phys = ea_virt_to_phys,
};

/* --- hand-over ------------------------------------------------------------ */

/* One reference on the page holding each counted entry (in the count
 * array itself when the new ops allow it, as every other get). */
static int count_entry(const struct pgt_visit_ctx *ctx, enum pgt_walk_flags visit)
{
    (void)visit;
    if (pgt_counted(ctx->pgt, ctx->old, ctx->level))
        pgt_get(ctx->pgt, pgt_table_of(ctx->pgt, ctx->ptep));
    return 0;
}

/* A table page below the root whose count is not 1: counted already. */
static int page_counted(const struct pgt_visit_ctx *ctx, enum pgt_walk_flags visit)
{
    const struct pgt *pgt = ctx->pgt;
    void *table = pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pgt_oa_decode(&pgt->geom, ctx->old));

    (void)visit;
    return pgt->mm_ops->page_count(pgt->mm_ctx, table) == 1 ? 0 : -PGT_EBUSY;
}

/* Whether every table page of @pgt, root pages included, has count 1
 * through its ops: 0, or -PGT_EBUSY. */
static int all_pages_uncounted(struct pgt *pgt)
{
    struct pgt_walker w = {.cb = page_counted, .flags = PGT_WALK_TABLE_PRE};
    uint8_t *root = (uint8_t *)pgt->pgd;

    for (unsigned int r = 0; r < pgt->geom.nr_root_pages; r++)
        if (pgt->mm_ops->page_count(pgt->mm_ctx, root + ((size_t)r << pgt->geom.granule_shift)) !=
            1)
            return -PGT_EBUSY;
    return pgt_walk(pgt, pgt_ia_start(pgt), 1ull << pgt->geom.ia_bits, &w);
}

int hyp_pgt_fix_refcounts(struct pgt *pgt, const struct pgt_mm_ops *mm_ops,
                          void *mm_ctx)
{
    const struct pgt_mm_ops *ops, *old_ops;
    void *old_ctx;
    struct pgt_walker w = {
        .cb = count_entry,
        .flags = PGT_WALK_LEAF | PGT_WALK_TABLE_PRE,
    };
    int ret;

    if (!pgt || !pgt->pgd)
        return -PGT_EINVAL;
    ops = mm_ops ? mm_ops : pgt->mm_ops;
    if (!ops || !ops->get_page || !ops->phys_to_virt || !ops->page_count)
        return -PGT_EINVAL;
    old_ops = pgt->mm_ops;
    old_ctx = pgt->mm_ctx;
    if (mm_ops) {
        pgt->mm_ops = mm_ops;
        pgt->mm_ctx = mm_ctx;
    }
    pgt_derive(pgt); /* the new ops' hints */
    /*
     * Counting twice would leave every count too high and no emptied
     * table ever freed: refuse, with the old ops back, unless every page
     * reads 1 through the new ops (as the pool's reserved pages do).
     */
    ret = all_pages_uncounted(pgt);
    if (ret) {
        pgt->mm_ops = old_ops;
        pgt->mm_ctx = old_ctx;
        pgt_derive(pgt);
        return ret;
    }
    /* The whole table: from its first VA (the upper range's too). */
    return pgt_walk(pgt, pgt_ia_start(pgt), 1ull << pgt->geom.ia_bits, &w);
}
