// SPDX-License-Identifier: MIT
/*
 * pgt-hyp's memory, all of it from libpgtable's allocator half:
 *
 *   hyp_reserve_compute()     how many pages to carve out (kvm_hyp_reserve)
 *   hyp_divide_memory_pool()  vmemmap | stage-1 | stage-2 | MMIO extra
 *   hyp_early_alloc_*         stage-1 tables before the vmemmap is backed
 *   hyp_vmemmap / hyp_pool    afterwards: one pool for the hyp stage 1, one
 *                             for the host stage 2 (pKVM's hpool and
 *                             host_s2_pool)
 *   mm_pool.h adapters        the tables' mm_ops, plus the EL2 TLB hooks
 *   hyp_pgt_fix_refcounts()   the hand-over from the early allocator
 */
#include "hyp.h"

#include "arch.h"
#include "semihost.h"
#include "uart.h"

/* Private hyp VA the stage-1 reservation allows for (pKVM: 1 GiB): the
 * vmemmap's window and the UART. */
#define HYP_PRIVATE_VA_SIZE (1ull << 30)
/* Host stage-2 pages for MMIO beyond the RAM regions' worst case (pKVM
 * adds 16): the lazily mapped device blocks need a handful of tables. */
#define HOST_S2_MMIO_PAGES 16

static struct hyp_reserve res;
static struct hyp_carveout parts;
static struct hyp_early_alloc early;
static struct hyp_vmemmap vmemmap;
static struct hyp_pool hpool, host_s2_pool;
static struct hyp_spinlock hpool_lock, host_s2_lock;

/* ---- TLB maintenance (lib/ never issues these itself) ---- */

/* Hyp stage 1 (EL2 regime). DSB ISHST makes the descriptor stores visible
 * to the walker before the invalidation; DSB ISH completes it. TLBI VAE2IS
 * (not VALE2IS) also drops walk-cache entries, which a removed table needs
 * (level PGT_LEVEL_UNKNOWN). */
static void hyp_tlbi_va(const struct pgt *pgt, uint64_t addr, int level)
{
    (void)pgt;
    (void)level;
    dsb(ishst);
    __asm__ volatile("tlbi vae2is, %0" : : "r"(addr >> 12) : "memory");
    dsb(ish);
    isb();
}

static void hyp_tlbi_all(const struct pgt *pgt)
{
    (void)pgt;
    dsb(ishst);
    __asm__ volatile("tlbi alle2is" ::: "memory");
    dsb(ish);
    isb();
}

/* Host stage 2 (VMID 0): the IPA's stage-2 entry, then every combined
 * stage-1+2 entry of the VMID (they may hold the old IPA's output). */
static void host_tlbi_va(const struct pgt *pgt, uint64_t ipa, int level)
{
    (void)pgt;
    (void)level;
    dsb(ishst);
    __asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12) : "memory");
    dsb(ish);
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    dsb(ish);
    isb();
}

static void host_tlbi_all(const struct pgt *pgt)
{
    (void)pgt;
    dsb(ishst);
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    isb();
}

/* ---- the tables' mm_ops: the library's adapters plus our TLB hooks ---- */

struct pgt_mm_ops hyp_early_mm_ops, hyp_pool_mm_ops_el2, host_s2_mm_ops;

/* The allocators behind them: each table's mm_ctx. */
void *const hyp_early_mm_ctx = &early;
void *const host_s2_mm_ctx = &host_s2_pool;

static void __attribute__((noreturn))
page_panic(enum hyp_page_panic why, uint64_t pfn)
{
    uart_printf("hyp: PANIC: hyp_page invariant %u broken at PFN 0x%lx\n",
                (unsigned)why, pfn);
    semihost_exit(1);
}

static void to_regions(const struct hyp_state *h, struct pgt_mem_region *r)
{
    for (int i = 0; i < h->nr_ram; i++) {
        r[i].base = h->ram[i].base;
        r[i].size = h->ram[i].size;
    }
}

uint64_t hyp_mem_reserve_pages(struct hyp_state *h, uint64_t *vm_pages,
                               uint64_t *s1_pages, uint64_t *s2_pages)
{
    struct pgt_mem_region regions[MAX_RAM_REGIONS];
    struct pgt_geom s1, s2;
    int ret;

    to_regions(h, regions);
    /* The geometries the tables will have (main.c, host.c). */
    ret =
        pgt_geom_init(&s1, PGT_GRANULE_4K, HYP_VA_BITS, 48, PGT_LEVEL_AUTO, 0);
    if (!ret)
        ret = pgt_geom_init(&s2, PGT_GRANULE_4K, HOST_IPA_BITS, HOST_IPA_BITS,
                            1, PGT_GEOM_CONCAT);
    if (!ret)
        ret = hyp_reserve_compute(regions, (size_t)h->nr_ram, &s1,
                                  HYP_PRIVATE_VA_SIZE, &s2, HOST_S2_MMIO_PAGES,
                                  &res);
    if (ret) {
        uart_printf("hyp: PANIC: reservation arithmetic failed (%d)\n", ret);
        semihost_exit(1);
    }
    *vm_pages = res.vmemmap;
    *s1_pages = res.s1;
    *s2_pages = res.s2 + res.extra; /* the MMIO extra goes to the s2 pool */
    return res.total;
}

void hyp_early_init(struct hyp_state *h)
{
    struct hyp_early_alloc carve;
    uint64_t size = h->carveout.end - h->carveout.start;
    int ret;

    /* pKVM's divide_memory_pool: the parts, in order, zeroed. */
    ret = hyp_early_alloc_init(&carve, (void *)(uintptr_t)h->carveout.start,
                               h->carveout.start, size, PAGE_SHIFT);
    if (!ret)
        ret = hyp_divide_memory_pool(&carve, &res, &parts);
    if (ret || (uint64_t)(uintptr_t)parts.vmemmap != h->vmemmap.start ||
        (uint64_t)(uintptr_t)parts.s1 != h->s1_pool.start ||
        (uint64_t)(uintptr_t)parts.s2 != h->s2_pool.start) {
        uart_printf("hyp: PANIC: divide_memory_pool: %d\n", ret);
        semihost_exit(1);
    }
    /* The stage-1 tables come from the stage-1 part, bump allocated. */
    ret = hyp_early_alloc_init(&early, parts.s1, h->s1_pool.start,
                               h->s1_pool.end - h->s1_pool.start, PAGE_SHIFT);
    if (ret) {
        uart_printf("hyp: PANIC: hyp_early_alloc_init: %d\n", ret);
        semihost_exit(1);
    }
    hyp_early_mm_ops = hyp_early_alloc_mm_ops;
    hyp_early_mm_ops.tlbi_va = hyp_tlbi_va;
    hyp_early_mm_ops.tlbi_all = hyp_tlbi_all;
    hyp_early_mm_ops.linear = true;
    uart_printf("[early] divide_memory_pool: vmemmap 0x%lx, stage-1 0x%lx, "
                "stage-2 0x%lx; early allocator over 0x%lx-0x%lx\n",
                h->vmemmap.start, h->s1_pool.start, h->s2_pool.start,
                h->s1_pool.start, h->s1_pool.end);
}

uint64_t hyp_early_used_pages(void)
{
    return hyp_early_alloc_nr_used_pages(&early);
}

/*
 * Back the vmemmap: the records of RAM's PFNs (struct hyp_page, indexed
 * from PFN 0 at VMEMMAP_VA, pKVM's layout) get the carve-out's vmemmap
 * pages; the records of PFNs outside RAM stay unmapped.
 */
static int back_vmemmap(struct hyp_state *h)
{
    uint64_t next = h->vmemmap.start;
    const uint64_t rec = sizeof(struct hyp_page);

    for (int i = 0; i < h->nr_ram; i++) {
        uint64_t pfn_s = h->ram[i].base >> PAGE_SHIFT;
        uint64_t pfn_e =
            (h->ram[i].base + h->ram[i].size + PAGE_SIZE - 1) >> PAGE_SHIFT;
        uint64_t s = VMEMMAP_VA + ((pfn_s * rec) & ~(PAGE_SIZE - 1));
        uint64_t e =
            VMEMMAP_VA + ((pfn_e * rec + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
        for (uint64_t va = s; va < e; va += PAGE_SIZE) {
            uint64_t pa;
            if (pgt_translate(&h->hyp_s1, va, &pa, NULL) == 0)
                continue; /* a page shared with the previous region */
            if (next >= h->vmemmap.end)
                return -PGT_ENOMEM;
            int ret = pgt_hyp_map(&h->hyp_s1, va, PAGE_SIZE, next, PGT_PROT_RW);
            if (ret)
                return ret;
            next += PAGE_SIZE;
        }
    }
    uart_printf("[pool] vmemmap backed: %lu pages at hyp VA 0x%lx + PFN * "
                "%lu\n",
                (next - h->vmemmap.start) / PAGE_SIZE, (uint64_t)VMEMMAP_VA,
                rec);
    return 0;
}

int hyp_pools_init(struct hyp_state *h)
{
    int ret;
    uint64_t last_pfn = 0;

    ret = back_vmemmap(h);
    if (ret)
        return ret;
    for (int i = 0; i < h->nr_ram; i++) {
        uint64_t e = (h->ram[i].base + h->ram[i].size) >> PAGE_SHIFT;
        if (e > last_pfn)
            last_pfn = e;
    }
    ret = hyp_vmemmap_init(&vmemmap, (struct hyp_page *)VMEMMAP_VA, 0, last_pfn,
                           PAGE_SHIFT, 0);
    if (ret)
        return ret;
    vmemmap.panic = page_panic;

    /* The stage-1 pool: the early allocator's pages stay allocated (count
     * 1 each), the rest of the stage-1 part is free (and zero: divided). */
    uint64_t used = hyp_early_alloc_nr_used_pages(&early);
    struct hyp_pool_cfg cfg = {
        .max_order = HYP_POOL_DEFAULT_MAX_ORDER,
        .lock = &hyp_spinlock_ops,
        .lock_arg = &hpool_lock,
        .flags = HYP_POOL_MEM_ZEROED,
    };
    ret = hyp_pool_init(&hpool, &vmemmap, h->s1_pool.start >> PAGE_SHIFT,
                        (h->s1_pool.end - h->s1_pool.start) >> PAGE_SHIFT, used,
                        &cfg);
    if (ret)
        return ret;
    hyp_pool_mm_ops_el2 = hyp_pool_mm_ops;
    hyp_pool_mm_ops_el2.tlbi_va = hyp_tlbi_va;
    hyp_pool_mm_ops_el2.tlbi_all = hyp_tlbi_all;
    /* The speed hints from the vmemmap: the linear map (phys_to_virt is
     * the identity) and the counts, read and changed in place. */
    hyp_pool_mm_ops_hints(&hyp_pool_mm_ops_el2, &hpool);

    /* Hand the early tables over (pKVM's fix_hyp_pgtable_refcnt): each
     * table page's count becomes 1 + its counted entries, and the pool
     * becomes the table's page source. */
    uint64_t tables = pgt_count_table_pages(&h->hyp_s1);
    ret = hyp_pgt_fix_refcounts(&h->hyp_s1, &hyp_pool_mm_ops_el2, &hpool);
    if (ret)
        return ret;
    int root_count = hyp_pool_mm_ops_el2.page_count(&hpool, h->hyp_s1.pgd);
    uart_printf("[pool] hyp_pool over 0x%lx-0x%lx: %lu early pages reserved, "
                "%lu free; hand-over: %lu table pages counted (root count "
                "%d)\n",
                h->s1_pool.start, h->s1_pool.end, used,
                hyp_pool_nr_free_pages(&hpool), tables, root_count);
    if (tables != used) {
        uart_printf("hyp: [FAIL] the early allocator gave %lu pages but the "
                    "stage 1 holds %lu table pages\n",
                    used, tables);
        h->failures++;
    }

    /* The host stage-2 pool: the stage-2 part and the MMIO extra. */
    cfg.lock_arg = &host_s2_lock;
    ret = hyp_pool_init(&host_s2_pool, &vmemmap, h->s2_pool.start >> PAGE_SHIFT,
                        (h->s2_pool.end - h->s2_pool.start) >> PAGE_SHIFT, 0,
                        &cfg);
    if (ret)
        return ret;
    host_s2_mm_ops = hyp_pool_mm_ops;
    host_s2_mm_ops.tlbi_va = host_tlbi_va;
    host_s2_mm_ops.tlbi_all = host_tlbi_all;
    hyp_pool_mm_ops_hints(&host_s2_mm_ops, &host_s2_pool);
    uart_printf("[pool] host stage-2 pool over 0x%lx-0x%lx: %lu free pages\n",
                h->s2_pool.start, h->s2_pool.end,
                hyp_pool_nr_free_pages(&host_s2_pool));
    return 0;
}

uint64_t hyp_pool_free_pages(void)
{
    return hyp_pool_nr_free_pages(&hpool);
}

uint64_t host_pool_free_pages(void)
{
    return hyp_pool_nr_free_pages(&host_s2_pool);
}
