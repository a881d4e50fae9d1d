// SPDX-License-Identifier: MIT
/*
 * pgt-hyp's memory: the carve-out's size, the early allocator, the pools
 * and the mm_ops the tables use, with the TLB maintenance hooks for EL2.
 *
 * TEMPORARY: a local bump allocator with a refcount array stands in for
 * the library's allocator (issue 3) until it lands on main.
 */
#include "hyp.h"

#include "arch.h"
#include "uart.h"

/* ---- TLB maintenance (lib/ never issues these itself) ---- */

/* Hyp stage 1 (EL2 regime). DSB ISHST makes the descriptor stores visible
 * to the walker before the invalidation; DSB ISH completes it. */
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

/* ---- a page source: bump allocation plus a refcount per page ---- */

struct page_src {
    uint64_t start, end, next;
    uint16_t *refs; /* one per page of [start, end) */
};

static struct page_src s1_src, s2_src;
static uint16_t s1_refs[4096], s2_refs[4096];

static struct page_src *src_of(uint64_t pa)
{
    if (pa >= s1_src.start && pa < s1_src.end)
        return &s1_src;
    if (pa >= s2_src.start && pa < s2_src.end)
        return &s2_src;
    return NULL;
}

static void *src_alloc(struct page_src *s, uint64_t pages)
{
    uint64_t size = pages * PAGE_SIZE;
    uint64_t pa = (s->next + size - 1) & ~(size - 1);

    if (pa + size > s->end)
        return NULL;
    s->next = pa + size;
    for (uint64_t i = 0; i < pages; i++) {
        s->refs[(pa - s->start) / PAGE_SIZE + i] = 1;
        uint64_t *p = (uint64_t *)(uintptr_t)(pa + i * PAGE_SIZE);
        for (unsigned j = 0; j < PAGE_SIZE / 8; j++)
            p[j] = 0;
    }
    return (void *)(uintptr_t)pa;
}

static void *s1_zalloc_page(void *arg)
{
    (void)arg;
    return src_alloc(&s1_src, 1);
}

static void *s2_zalloc_page(void *arg)
{
    (void)arg;
    return src_alloc(&s2_src, 1);
}

static void *s2_zalloc_pages_exact(size_t size)
{
    uint64_t pages = size / PAGE_SIZE, p2 = 1;
    while (p2 < pages)
        p2 <<= 1;
    return src_alloc(&s2_src, p2);
}

static void free_pages_exact(void *addr, size_t size)
{
    (void)addr;
    (void)size;
}

static uint16_t *ref_of(void *addr)
{
    uint64_t pa = (uint64_t)(uintptr_t)addr & ~(PAGE_SIZE - 1);
    struct page_src *s = src_of(pa);
    static uint16_t dummy;
    return s ? &s->refs[(pa - s->start) / PAGE_SIZE] : &dummy;
}

static void get_page(void *addr)
{
    (*ref_of(addr))++;
}

static void put_page(void *addr)
{
    (*ref_of(addr))--;
}

static int page_count(void *addr)
{
    return *ref_of(addr);
}

static void *phys_to_virt(uint64_t pa)
{
    return (void *)(uintptr_t)pa;
}

static uint64_t virt_to_phys(void *va)
{
    return (uint64_t)(uintptr_t)va;
}

const struct pgt_mm_ops hyp_early_mm_ops = {
    .zalloc_page = s1_zalloc_page,
    .get_page = get_page,
    .put_page = put_page,
    .page_count = page_count,
    .phys_to_virt = phys_to_virt,
    .virt_to_phys = virt_to_phys,
    .tlbi_va = hyp_tlbi_va,
    .tlbi_all = hyp_tlbi_all,
};

const struct pgt_mm_ops hyp_pool_mm_ops = {
    .zalloc_page = s1_zalloc_page,
    .get_page = get_page,
    .put_page = put_page,
    .page_count = page_count,
    .phys_to_virt = phys_to_virt,
    .virt_to_phys = virt_to_phys,
    .tlbi_va = hyp_tlbi_va,
    .tlbi_all = hyp_tlbi_all,
};

const struct pgt_mm_ops host_s2_mm_ops = {
    .zalloc_page = s2_zalloc_page,
    .zalloc_pages_exact = s2_zalloc_pages_exact,
    .free_pages_exact = free_pages_exact,
    .get_page = get_page,
    .put_page = put_page,
    .page_count = page_count,
    .phys_to_virt = phys_to_virt,
    .virt_to_phys = virt_to_phys,
    .tlbi_va = host_tlbi_va,
    .tlbi_all = host_tlbi_all,
};

uint64_t hyp_mem_reserve_pages(struct hyp_state *h, uint64_t *vmemmap,
                               uint64_t *s1, uint64_t *s2)
{
    uint64_t ram_pages = 0;
    for (int i = 0; i < h->nr_ram; i++)
        ram_pages += h->ram[i].size / PAGE_SIZE;
    *vmemmap = (ram_pages * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    *s1 = 64;
    *s2 = 64;
    return *vmemmap + *s1 + *s2;
}

void hyp_early_init(struct hyp_state *h)
{
    s1_src = (struct page_src){h->s1_pool.start, h->s1_pool.end,
                               h->s1_pool.start, s1_refs};
    uart_printf("[early] early allocator over 0x%lx-0x%lx\n", h->s1_pool.start,
                h->s1_pool.end);
}

uint64_t hyp_early_used_pages(void)
{
    return (s1_src.next - s1_src.start) / PAGE_SIZE;
}

int hyp_pools_init(struct hyp_state *h)
{
    s2_src = (struct page_src){h->s2_pool.start, h->s2_pool.end,
                               h->s2_pool.start, s2_refs};
    uart_printf("[pool] TEMPORARY allocator (library allocator not landed)\n");
    return 0;
}

uint64_t hyp_pool_free_pages(void)
{
    return (s1_src.end - s1_src.next) / PAGE_SIZE;
}

uint64_t host_pool_free_pages(void)
{
    return (s2_src.end - s2_src.next) / PAGE_SIZE;
}
