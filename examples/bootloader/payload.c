// SPDX-License-Identifier: MIT
/*
 * The payload: a stand-in for a kernel, linked at PAYLOAD_VA in the upper
 * VA range and entered there by the loader with the MMU on. It proves
 * the mappings it was given: where it runs and what its pages translate
 * to (AT S1E1R/W against the PAs the loader reports), that its data works
 * and its text does not take writes, that its data does not execute, and
 * that the guard page under its stack faults. It prints through its own
 * mapping of the UART and returns the number of failed checks.
 *
 * Everything here is reached PC-relative or through the VAs of layout.h:
 * the loader's code is 2^47 bytes away.
 */
#include <stdbool.h>
#include <stdint.h>

#include "boot_info.h"
#include "layout.h"

/* Written by the exception vector (payload_head.S). */
struct fault {
    uint64_t esr, far, count;
};
volatile struct fault payload_fault;

/* Initialised data and .bss, checked below. */
static volatile uint64_t data_word = 0x5eedda7a5eedda7aull;
static volatile uint64_t bss_words[4];

int payload_main(const struct boot_info *info);

/* ---- output through PAYLOAD_UART_VA (PL011: DR at 0, FR at 0x18) ---- */

static void putc_(char c)
{
    volatile uint32_t *uart = (volatile uint32_t *)PAYLOAD_UART_VA;

    if (c == '\n')
        putc_('\r');
    while (uart[0x18 / 4] & (1u << 5)) /* FR.TXFF */
        ;
    uart[0] = (uint32_t)(unsigned char)c;
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void hex(uint64_t v)
{
    puts_("0x");
    for (int i = 60; i >= 0; i -= 4)
        putc_("0123456789abcdef"[(v >> i) & 0xf]);
}

static unsigned failures;

static void check(bool ok, const char *what)
{
    puts_(ok ? "payload: [ok] " : "payload: [FAIL] ");
    puts_(what);
    putc_('\n');
    failures += !ok;
}

/* ---- the CPU's view ---- */

static uint64_t par_of(uint64_t va, bool write)
{
    uint64_t par;

    if (write)
        __asm__ volatile("at s1e1w, %0" : : "r"(va));
    else
        __asm__ volatile("at s1e1r, %0" : : "r"(va));
    __asm__ volatile("isb\n\tmrs %0, par_el1" : "=r"(par));
    return par;
}

/* PAR_EL1: F (bit 0), FST [6:1] on a fault, PA [47:12] on success. */
#define PAR_F 1ull
#define PAR_FST(p) (((p) >> 1) & 0x3f)
#define PAR_PA(p) ((p)&0x0000fffffffff000ull)
/* Fault status codes (ESR DFSC/IFSC, PAR FST): level 3 translation and
 * permission faults. */
#define FSC_TRANS_L3 0x07
#define FSC_PERM_L3 0x0f
/* ESR_EL1.EC: data abort and instruction abort taken from EL1. */
#define EC_DABT_CUR 0x25
#define EC_IABT_CUR 0x21
#define ESR_EC(e) ((e) >> 26)
#define ESR_FSC(e) ((e)&0x3f)
#define ESR_WNR (1ull << 6)

/* Access @va once; whether it faulted (then payload_fault says how). The
 * vector clobbers x9-x11. */
static bool load_faults(uint64_t va)
{
    uint64_t before = payload_fault.count, v;

    __asm__ volatile("ldr %0, [%1]"
                     : "=r"(v)
                     : "r"(va)
                     : "x9", "x10", "x11", "memory");
    (void)v;
    return payload_fault.count != before;
}

static bool store_faults(uint64_t va)
{
    uint64_t before = payload_fault.count;

    __asm__ volatile("str xzr, [%0]"
                     :
                     : "r"(va)
                     : "x9", "x10", "x11", "memory");
    return payload_fault.count != before;
}

/* Branch to @va (with x30 = the return address): an instruction abort
 * returns here through x30. Only called on pages that must not execute. */
static bool exec_faults(uint64_t va)
{
    uint64_t before = payload_fault.count;

    __asm__ volatile("blr %0"
                     :
                     : "r"(va)
                     : "x9", "x10", "x11", "x30", "memory");
    return payload_fault.count != before;
}

static bool fault_is(uint64_t ec, uint64_t fsc, uint64_t far)
{
    return ESR_EC(payload_fault.esr) == ec &&
           ESR_FSC(payload_fault.esr) == fsc && payload_fault.far == far;
}

int payload_main(const struct boot_info *info)
{
    uint64_t pc, sp;
    uint64_t data_va = PAYLOAD_VA + info->text_size;

    __asm__ volatile("adr %0, .\n\tmov %1, sp" : "=r"(pc), "=r"(sp));
    puts_("payload: running at ");
    hex(pc);
    puts_(", stack at ");
    hex(sp);
    putc_('\n');
    check(info->magic == BOOT_INFO_MAGIC,
          "the loader's boot_info read through the identity map (TTBR0)");
    check(pc >= PAYLOAD_VA && pc < data_va,
          "running in the upper VA range (TTBR1), inside its text");
    check(sp <= PAYLOAD_STACK_TOP &&
              sp > PAYLOAD_STACK_TOP - PAYLOAD_STACK_SIZE,
          "stack in its own upper-range pages");

    /* What the MMU makes of its VAs. */
    uint64_t t = par_of(PAYLOAD_VA + 0x10, false);
    uint64_t d = par_of(data_va + 0x20, true);
    uint64_t s = par_of(PAYLOAD_STACK_TOP - 8, true);
    check(!(t & PAR_F) && PAR_PA(t) == info->payload_pa,
          "AT S1E1R: text -> the PA it was copied to");
    check(!(d & PAR_F) && PAR_PA(d) == info->payload_pa + info->text_size,
          "AT S1E1W: data -> its PA, writable");
    check(!(s & PAR_F) &&
              PAR_PA(s) == info->stack_pa + PAYLOAD_STACK_SIZE - 0x1000,
          "AT S1E1W: stack top -> the stack pages' PA");
    t = par_of(PAYLOAD_VA + 0x10, true);
    check((t & PAR_F) && PAR_FST(t) == FSC_PERM_L3,
          "AT S1E1W: text is read-only (permission fault, level 3)");
    t = par_of(PAYLOAD_GUARD_VA, false);
    check((t & PAR_F) && PAR_FST(t) == FSC_TRANS_L3,
          "AT S1E1R: the guard page is unmapped (translation fault, level 3)");

    /* Real accesses. */
    check(data_word == 0x5eedda7a5eedda7aull, "initialised data reads back");
    data_word = 42;
    check(data_word == 42, "data takes a write");
    check(!bss_words[0] && !bss_words[3], ".bss is zero");
    check(store_faults(PAYLOAD_VA + 0x40) &&
              fault_is(EC_DABT_CUR, FSC_PERM_L3, PAYLOAD_VA + 0x40) &&
              (payload_fault.esr & ESR_WNR),
          "a store to its text faults (permission, level 3)");
    check(exec_faults(data_va) && fault_is(EC_IABT_CUR, FSC_PERM_L3, data_va),
          "a branch to its data faults (execute never)");
    check(load_faults(PAYLOAD_GUARD_VA + 0x100) &&
              fault_is(EC_DABT_CUR, FSC_TRANS_L3, PAYLOAD_GUARD_VA + 0x100),
          "a read of the guard page under its stack faults (translation, "
          "level 3)");
    check(!load_faults(PAYLOAD_STACK_TOP - PAYLOAD_STACK_SIZE),
          "the lowest stack byte above the guard page reads");
    puts_(failures ? "payload: FAIL\n" : "payload: all checks passed\n");
    return (int)failures;
}
