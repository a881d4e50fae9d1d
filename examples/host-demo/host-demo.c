// SPDX-License-Identifier: MIT
/*
 * host-demo: build a host stage-2 table (4K granule, 40-bit IPA, start
 * level 1: two concatenated root pages) for a small machine, the way a
 * pKVM-style hypervisor would at boot, and print the tree.
 *
 *   RAM   0x4000_0000 .. 0x8000_0000 with a hole at 0x5000_0000 (+2 MiB)
 *   RAM   0x8_0000_0000 .. +1 GiB  (mapped as one 1 GiB block)
 *   MMIO  GIC 0x0800_0000 (+64K), UART 0x0900_0000 (+4K): device memory
 *   hyp   0x7f00_0000 .. 0x7f20_0000 owned by the hypervisor (owner 1),
 *         and one page inside RAM at 0x4010_3000 (splits a block)
 *
 * Table pages come from a small static arena whose "physical" address
 * is its host address (phys_to_virt is the identity), with a refcount per
 * page, so the demo can show that unmapping returns every page.
 */
#include <inttypes.h>
#include <stdalign.h>
#include <stdio.h>
#include <string.h>

#include "pgtable/pgtable.h"

#define PAGE 4096u
#define NPAGES 64u

static alignas(65536) uint8_t arena[NPAGES * PAGE];
static int refs[NPAGES];

static size_t idx_of(const void *p)
{
    return (size_t)((const uint8_t *)p - arena) / PAGE;
}

static void *take(size_t n)
{
    size_t align = 1;
    while (align < n)
        align <<= 1;
    for (size_t i = 0; i + n <= NPAGES; i += align) {
        size_t j = 0;
        while (j < n && !refs[i + j])
            j++;
        if (j < n)
            continue;
        for (j = 0; j < n; j++)
            refs[i + j] = 1;
        memset(arena + i * PAGE, 0, n * PAGE);
        return arena + i * PAGE;
    }
    return NULL;
}

/* The demo has one arena, so the hooks ignore their context. */
static void *zalloc_page(void *ctx, void *arg) { (void)ctx; (void)arg; return take(1); }
static void *zalloc_pages_exact(void *ctx, size_t size) { (void)ctx; return take(size / PAGE); }
static void free_pages_exact(void *ctx, void *p, size_t size)
{
    (void)ctx;
    for (size_t i = 0; i < size / PAGE; i++)
        refs[idx_of(p) + i] = 0;
}
static void get_page_n(void *ctx, void *p, int n) { (void)ctx; refs[idx_of(p)] += n; }
static void put_page_n(void *ctx, void *p, int n) { (void)ctx; refs[idx_of(p)] -= n; }
static void get_page(void *ctx, void *p) { get_page_n(ctx, p, 1); }
static void put_page(void *ctx, void *p) { put_page_n(ctx, p, 1); }
static int page_count(void *ctx, void *p) { (void)ctx; return refs[idx_of(p)]; }
static void *phys_to_virt(void *ctx, uint64_t pa) { (void)ctx; return (void *)(uintptr_t)pa; }
static uint64_t virt_to_phys(void *ctx, void *va) { (void)ctx; return (uint64_t)(uintptr_t)va; }

static int tlbis;
static void tlbi_va(const struct pgt *pgt, uint64_t addr, int level)
{
    (void)pgt; (void)addr; (void)level;
    tlbis++;
}

static const struct pgt_mm_ops demo_mm = {
    .zalloc_page = zalloc_page,
    .zalloc_pages_exact = zalloc_pages_exact,
    .free_pages_exact = free_pages_exact,
    .get_page = get_page,
    .put_page = put_page,
    .get_page_n = get_page_n,
    .put_page_n = put_page_n,
    .page_count = page_count,
    .phys_to_virt = phys_to_virt,
    .virt_to_phys = virt_to_phys,
    .tlbi_va = tlbi_va,
};

static int live_pages(void)
{
    int n = 0;
    for (size_t i = 0; i < NPAGES; i++)
        n += refs[i] != 0;
    return n;
}

static void prot_str(enum pgt_prot p, char *buf)
{
    sprintf(buf, "%c%c%c %s", p & PGT_PROT_R ? 'R' : '-',
            p & PGT_PROT_W ? 'W' : '-', p & PGT_PROT_X ? 'X' : '-',
            p & PGT_PROT_DEVICE ? "device" :
            p & PGT_PROT_NORMAL_NC ? "normal-nc" : "normal-wb");
}

/* pgt_dump()'s output hook: each line ends in '\n' already. */
static void print_line(void *arg, const char *line)
{
    fputs(line, arg);
}

#define CHECK(x)                                                               \
    do {                                                                       \
        int r_ = (x);                                                          \
        if (r_) {                                                              \
            fprintf(stderr, "%s failed: %d\n", #x, r_);                        \
            return 1;                                                          \
        }                                                                      \
    } while (0)

int main(void)
{
    struct pgt pgt;
    /* VTCR_EL2: T0SZ=24 (40-bit IPA), SL0=1 (level 1), inner/outer WBWA,
     * inner shareable, TG0=4K, PS=40 bits. */
    uint64_t vtcr = 0x80023558ull;

    CHECK(pgt_s2_init_vtcr(&pgt, vtcr, PGT_S2_HOST, &demo_mm, NULL, NULL));

    /* RAM with a hole, one big block of RAM, device MMIO. */
    CHECK(pgt_s2_map(&pgt, 0x40000000, 0x10000000, 0x40000000, PGT_PROT_RWX,
                     NULL, 0));
    CHECK(pgt_s2_map(&pgt, 0x50200000, 0x2fe00000, 0x50200000, PGT_PROT_RWX,
                     NULL, 0));
    CHECK(pgt_s2_map(&pgt, 0x800000000ull, 0x40000000, 0x800000000ull,
                     PGT_PROT_RWX, NULL, 0));
    CHECK(pgt_s2_map(&pgt, 0x08000000, 0x10000, 0x08000000,
                     PGT_PROT_RW | PGT_PROT_DEVICE, NULL, 0));
    CHECK(pgt_s2_map(&pgt, 0x09000000, 0x1000, 0x09000000,
                     PGT_PROT_RW | PGT_PROT_DEVICE, NULL, 0));
    /* The hypervisor takes its carve-out and one page of RAM. */
    CHECK(pgt_s2_set_owner(&pgt, 0x7f000000, 0x200000, NULL, 1));
    CHECK(pgt_s2_set_owner(&pgt, 0x40103000, 0x1000, NULL, 1));

    printf("VTCR_EL2  = %#018" PRIx64 " (from the table: %#018" PRIx64 ")\n",
           vtcr, pgt_s2_vtcr(&pgt));
    printf("VTTBR_EL2 = %#018" PRIx64 " (BADDR; add the VMID in [63:48])\n",
           pgt_ttbr_baddr(&pgt));
    CHECK(pgt_dump(&pgt, 0, 1ull << pgt.geom.ia_bits, print_line, stdout));

    uint64_t pa;
    enum pgt_prot prot;
    static const uint64_t probes[] = { 0x40000000, 0x40103000, 0x50100000,
                                       0x7f000000, 0x09000000, 0x800123000ull };
    printf("\nlookups:\n");
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        pgt_pte_t pte;
        int level;
        pgt_get_leaf(&pgt, probes[i], &pte, &level);
        if (pgt_translate(&pgt, probes[i], &pa, &prot) == 0) {
            char buf[32];
            prot_str(prot, buf);
            printf("  IPA 0x%010" PRIx64 " -> PA 0x%010" PRIx64 " %s (L%d)\n",
                   probes[i], pa, buf, level);
        } else {
            printf("  IPA 0x%010" PRIx64 " -> fault at L%d (owner %u)\n",
                   probes[i], level, pgt_pte_owner(pte));
        }
    }

    printf("\ntable pages in use: %" PRIu64 "; TLB invalidations: %d\n",
           pgt_count_table_pages(&pgt), tlbis);
    pgt_s2_destroy(&pgt);
    printf("after destroy: %d arena pages in use\n", live_pages());
    return live_pages() != 0;
}
