// SPDX-License-Identifier: MIT
/*
 * The smallest embedder of libpgtable: table pages from a static arena,
 * a stage-2 table with a block and a device page, a lookup of each. It
 * needs nothing but the library, so the same file links into a bare-metal
 * AArch64 image (entry consumer_entry, no libc) and into a host program
 * (CONSUMER_HOSTED: main() prints the result). Built by meson.build here
 * with libpgtable as a subproject, and by Makefile with pkg-config.
 */
#include <stddef.h>
#include <stdint.h>

#include "pgtable/pgtable.h"

#define PAGE 4096u
#define NPAGES 16u

/*
 * The table pages' source, passed to every hook as its context. Pages are
 * handed out once, in order, from zeroed .bss: no memset needed and none
 * reused (the example only builds).
 */
struct arena {
    _Alignas(4 * PAGE) uint8_t page[NPAGES][PAGE];
    unsigned int next;
    int refs[NPAGES];
};

static void *take(struct arena *a, size_t n, size_t align)
{
    size_t first = (a->next + align - 1) & ~(align - 1);

    if (first + n > NPAGES)
        return NULL;
    for (size_t i = first; i < first + n; i++)
        a->refs[i] = 1;
    a->next = (unsigned int)(first + n);
    return a->page[first];
}

static int *ref_of(void *ctx, const void *addr)
{
    struct arena *a = ctx;

    return &a->refs[((const uint8_t *)addr - &a->page[0][0]) / PAGE];
}

static void *zalloc_page(void *ctx, void *memcache)
{
    (void)memcache;
    return take(ctx, 1, 1);
}

static void *zalloc_pages_exact(void *ctx, size_t size)
{
    size_t n = size / PAGE, align = 1;

    while (align < n)
        align <<= 1;
    return take(ctx, n, align);
}

static void free_pages_exact(void *ctx, void *addr, size_t size)
{
    for (size_t i = 0; i < size / PAGE; i++)
        ref_of(ctx, addr)[i] = 0;
}

static void get_page(void *ctx, void *addr) { (*ref_of(ctx, addr))++; }
static void put_page(void *ctx, void *addr) { (*ref_of(ctx, addr))--; }
static int page_count(void *ctx, void *addr) { return *ref_of(ctx, addr); }

/* The arena's "physical" addresses are its addresses (an identity map). */
static void *phys_to_virt(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

static uint64_t virt_to_phys(void *ctx, void *va)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)va;
}

static const struct pgt_mm_ops consumer_mm = {
    .zalloc_page = zalloc_page,
    .zalloc_pages_exact = zalloc_pages_exact,
    .free_pages_exact = free_pages_exact,
    .get_page = get_page,
    .put_page = put_page,
    .page_count = page_count,
    .phys_to_virt = phys_to_virt,
    .virt_to_phys = virt_to_phys,
};

static struct arena arena;

/*
 * Build the table, check two lookups and print the table through @print.
 * Return: 0 when both translate as mapped, else the first libpgtable
 * error (negative) or 1.
 */
int consumer_run(struct pgt *s2, pgt_print_fn print, void *arg);
int consumer_run(struct pgt *s2, pgt_print_fn print, void *arg)
{
    uint64_t pa;
    enum pgt_prot prot;
    int ret;

    /* VTCR_EL2: 40-bit IPA, 4K granule, start level 1 (two root pages). */
    ret = pgt_s2_init_vtcr(s2, 0x80023558ull, 0, &consumer_mm, &arena, NULL);
    if (ret)
        return ret;
    ret = pgt_s2_map(s2, 0x40000000, 0x200000, 0x80200000, PGT_PROT_RWX, NULL,
                     PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
    if (ret)
        return ret;
    ret = pgt_s2_map(s2, 0x09000000, PAGE, 0x09000000,
                     PGT_PROT_RW | PGT_PROT_DEVICE, NULL, 0);
    if (ret)
        return ret;
    ret = pgt_translate(s2, 0x40123000, &pa, &prot);
    if (ret)
        return ret;
    if (pa != 0x80323000 || prot != PGT_PROT_RWX)
        return 1;
    ret = pgt_translate(s2, 0x09000000, &pa, &prot);
    if (ret)
        return ret;
    if (pa != 0x09000000 || prot != (PGT_PROT_RW | PGT_PROT_DEVICE))
        return 1;
    return pgt_dump(s2, 0, 1ull << s2->geom.ia_bits, print, arg);
}

#ifdef CONSUMER_HOSTED
#include <inttypes.h>
#include <stdio.h>

static void print_line(void *arg, const char *line)
{
    fputs(line, arg);
}

int main(void)
{
    struct pgt s2 = { 0 };
    int ret = consumer_run(&s2, print_line, stdout);

    printf("libpgtable %s: consumer_run(): %s, %" PRIu64 " table pages\n",
           PGT_VERSION_STRING, pgt_strerror(ret), pgt_count_table_pages(&s2));
    if (ret == 0)
        pgt_s2_destroy(&s2);
    return ret != 0;
}
#else
/* Where a bare-metal image would write to its UART. */
static void print_line(void *arg, const char *line)
{
    (void)line;
    (*(unsigned int *)arg)++;
}

/* Bare-metal entry (the linker's -e): no C runtime, nothing returns to. */
void consumer_entry(void);
void consumer_entry(void)
{
    static struct pgt s2;
    static unsigned int lines;

    (void)consumer_run(&s2, print_line, &lines);
    for (;;)
        ;
}
#endif
