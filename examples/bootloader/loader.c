// SPDX-License-Identifier: MIT
/*
 * A boot loader at EL1 built on libpgtable: it copies its payload (a
 * stand-in for a kernel) to PAYLOAD_PA, builds two stage-1 tables of the
 * EL1&0 regime (an identity map of itself and the UART for TTBR0, the
 * payload at kernel-style upper-range VAs for TTBR1), programs
 * MAIR/TCR/TTBR0/TTBR1 from the library's register helpers, turns the
 * MMU on and calls the payload through its high mapping. The payload
 * checks its mappings and returns; the loader reports the verdict (QEMU
 * exits through semihosting with it). See README.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "boot_info.h"
#include "layout.h"
#include "pgtable/pgtable.h"
#include "semihost.h"
#include "uart.h"

/* ---- table pages: a bump allocator over an arena in .bss ---------------- */

#define TABLE_PAGES 32
static uint8_t table_arena[TABLE_PAGES * 4096] __attribute__((aligned(4096)));
static uint16_t table_count[TABLE_PAGES];
static unsigned table_next;

static unsigned page_index(const void *p)
{
    return (unsigned)(((uintptr_t)p - (uintptr_t)table_arena) >> 12);
}

/* The library zeroes nothing itself: pages come zeroed, with count 1. */
static void *bl_zalloc_page(void *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    if (table_next == TABLE_PAGES)
        return NULL;
    uint8_t *p = table_arena + (size_t)table_next * 4096;
    for (size_t i = 0; i < 4096; i += 8)
        *(volatile uint64_t *)(p + i) = 0;
    table_count[table_next++] = 1;
    return p;
}

static void bl_get_page(void *ctx, void *addr)
{
    (void)ctx;
    table_count[page_index(addr)]++;
}

/* A page whose count drops to 0 is not reused: a loader frees nothing. */
static void bl_put_page(void *ctx, void *addr)
{
    (void)ctx;
    table_count[page_index(addr)]--;
}

static int bl_page_count(void *ctx, void *addr)
{
    (void)ctx;
    return table_count[page_index(addr)];
}

/* MMU off, then the identity map: VA == PA for the table pages. */
static void *bl_phys_to_virt(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

static uint64_t bl_virt_to_phys(void *ctx, void *va)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)va;
}

/* TLB maintenance for edits of live EL1&0 tables (this loader edits them
 * only before the MMU is on, so these are not called; a loader that maps
 * more later needs them). TLBI VAAE1IS takes VA[55:12]. */
static void bl_tlbi_va(const struct pgt *pgt, uint64_t va, int level)
{
    (void)pgt;
    (void)level;
    dsb(ishst);
    __asm__ volatile("tlbi vaae1is, %0"
                     :
                     : "r"((va >> 12) & ((1ull << 44) - 1)));
    dsb(ish);
    isb();
}

static void bl_tlbi_all(const struct pgt *pgt)
{
    (void)pgt;
    dsb(ishst);
    __asm__ volatile("tlbi vmalle1is");
    dsb(ish);
    isb();
}

static const struct pgt_mm_ops bl_mm = {
    .zalloc_page = bl_zalloc_page,
    .get_page = bl_get_page,
    .put_page = bl_put_page,
    .page_count = bl_page_count,
    .phys_to_virt = bl_phys_to_virt,
    .virt_to_phys = bl_virt_to_phys,
    .tlbi_va = bl_tlbi_va,
    .tlbi_all = bl_tlbi_all,
};

/* ---- the images -----------------------------------------------------------
 */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern const char __payload_image[], __payload_image_end[];

static uint64_t addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static struct boot_info info;

/* Invalidate [start, end) to the point of coherency, by line (both ends
 * on a cache line boundary: the bytes next to the range are not ours to
 * drop). */
static void dcache_inval(uint64_t start, uint64_t end)
{
    uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);

    for (uint64_t a = start; a < end; a += line)
        __asm__ volatile("dc ivac, %0" : : "r"(a) : "memory");
    dsb(sy);
}

static void fail(const char *what, int ret)
{
    uart_printf("[loader] FAIL: %s (%s)\n", what, pgt_strerror(ret));
    semihost_exit(1);
}

/* One mapping, printed as it is made. */
static void map(struct pgt *t, const char *name, uint64_t va, uint64_t size,
                uint64_t pa, enum pgt_prot prot)
{
    int ret = pgt_s1_map(t, va, size, pa, prot);

    uart_printf("[loader]   %-8s 0x%016lx-0x%016lx -> 0x%08lx %c%c%c%s\n", name,
                va, va + size - 1, pa, 'R', prot & PGT_PROT_W ? 'W' : '-',
                prot & PGT_PROT_X ? 'X' : '-',
                prot & PGT_PROT_DEVICE ? " device" : "");
    if (ret)
        fail(name, ret);
}

void __attribute__((noreturn)) loader_main(uint64_t dtb);
void loader_main(uint64_t dtb)
{
    const struct payload_header *h = (const void *)__payload_image;
    struct pgt idmap, kern;
    uint64_t tcr = 0, ttbr0 = 0, ttbr1 = 0;
    int ret;

    (void)dtb;
    uart_printf("\n[loader] entered at EL%lu, MMU off\n",
                CURRENTEL_EL(read_sysreg(CurrentEL)));

    /* The payload: checked, copied to its load address, .bss zeroed. */
    if (h->magic != PAYLOAD_MAGIC || h->link_va != PAYLOAD_VA ||
        h->file_size > addr(__payload_image_end) - addr(__payload_image) ||
        h->mem_size > PAYLOAD_MAX || h->text_size >= h->file_size)
        fail("not a payload image linked at PAYLOAD_VA", -PGT_EINVAL);
    for (uint64_t i = 0; i < h->mem_size; i++)
        ((volatile uint8_t *)PAYLOAD_PA)[i] =
            i < h->file_size ? ((const uint8_t *)h)[i] : 0;
    uart_printf("[loader] payload: %lu bytes (text %lu, .bss %lu) copied to "
                "0x%x\n",
                h->file_size, h->text_size, h->mem_size - h->file_size,
                PAYLOAD_PA);

    /* Two tables of the EL1&0 regime, 4K granule, 40-bit PA: the lower
     * range (TTBR0, 39-bit VA) and the upper range (TTBR1, 48-bit VA:
     * 0xffff000000000000 up). */
    ret = pgt_s1_init(&idmap, PGT_REGIME_EL10, 39, PGT_GRANULE_4K, 40, 0,
                      &bl_mm, NULL);
    if (ret)
        fail("identity map", ret);
    ret = pgt_s1_init(&kern, PGT_REGIME_EL10, 48, PGT_GRANULE_4K, 40,
                      PGT_S1_UPPER, &bl_mm, NULL);
    if (ret)
        fail("kernel map", ret);

    uart_puts("[loader] identity map (TTBR0_EL1, 39-bit VA):\n");
    map(&idmap, "text", addr(__text_start),
        addr(__text_end) - addr(__text_start), addr(__text_start), PGT_PROT_RX);
    map(&idmap, "rodata", addr(__rodata_start),
        addr(__rodata_end) - addr(__rodata_start), addr(__rodata_start),
        PGT_PROT_R);
    map(&idmap, "data", addr(__data_start),
        addr(__data_end) - addr(__data_start), addr(__data_start), PGT_PROT_RW);
    map(&idmap, "uart", UART_PA, 0x1000, UART_PA,
        PGT_PROT_RW | PGT_PROT_DEVICE);

    uart_printf("[loader] kernel map (TTBR1_EL1, 48-bit VA from 0x%016lx):\n",
                pgt_ia_start(&kern));
    map(&kern, "text", PAYLOAD_VA, h->text_size, PAYLOAD_PA, PGT_PROT_RX);
    map(&kern, "data", PAYLOAD_VA + h->text_size, h->mem_size - h->text_size,
        PAYLOAD_PA + h->text_size, PGT_PROT_RW);
    map(&kern, "stack", PAYLOAD_STACK_TOP - PAYLOAD_STACK_SIZE,
        PAYLOAD_STACK_SIZE, PAYLOAD_STACK_PA, PGT_PROT_RW);
    map(&kern, "uart", PAYLOAD_UART_VA, 0x1000, UART_PA,
        PGT_PROT_RW | PGT_PROT_DEVICE);
    uart_printf("[loader]   guard    0x%016lx (unmapped), %u table pages\n",
                (uint64_t)PAYLOAD_GUARD_VA, table_next);

    /* The registers, from the tables. */
    ret = pgt_s1_tcr_pair(&idmap, &kern, &tcr);
    if (!ret)
        ret = pgt_s1_ttbr(&idmap, 0, &ttbr0);
    if (!ret)
        ret = pgt_s1_ttbr(&kern, 0, &ttbr1);
    if (ret)
        fail("register values", ret);
    uart_printf("[loader] MAIR_EL1=0x%lx TCR_EL1=0x%lx TTBR0_EL1=0x%lx "
                "TTBR1_EL1=0x%lx\n",
                pgt_s1_mair(), tcr, ttbr0, ttbr1);
    write_sysreg(pgt_s1_mair(), mair_el1);
    write_sysreg(tcr, tcr_el1);
    write_sysreg(ttbr0, ttbr0_el1);
    write_sysreg(ttbr1, ttbr1_el1);
    isb();
    /* The tables (in .bss), our data and the payload were written with
     * the MMU off, straight to memory; from now on they are read through
     * the caches (the walks too: TCR says write-back), so no line an
     * earlier stage left, or a speculative fill, may shadow them. Then
     * nothing stale in the TLBs or the instruction cache either. */
    dcache_inval(addr(__data_start), addr(__data_end));
    dcache_inval(PAYLOAD_PA, PAYLOAD_PA + h->mem_size);
    __asm__ volatile("tlbi vmalle1\n\tic iallu" ::: "memory");
    dsb(nsh);
    isb();
    /* MMU on: the next instruction is fetched through the identity map. */
    write_sysreg(SCTLR_EL1_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I,
                 sctlr_el1);
    isb();

    info.magic = BOOT_INFO_MAGIC;
    info.payload_pa = PAYLOAD_PA;
    info.text_size = h->text_size;
    info.mem_size = h->mem_size;
    info.stack_pa = PAYLOAD_STACK_PA;
    uart_printf("[loader] MMU on; calling the payload at 0x%016lx\n",
                (uint64_t)PAYLOAD_VA);
    int (*payload)(const struct boot_info *, uint64_t) =
        (int (*)(const struct boot_info *, uint64_t))PAYLOAD_VA;
    int bad = payload(&info, PAYLOAD_STACK_TOP);
    uart_printf("[loader] payload returned %d: %s\n", bad,
                bad ? "FAIL" : "PASS");
    semihost_exit(bad ? 1 : 0);
}
