/* SPDX-License-Identifier: MIT */
/*
 * The two places where pgt-hyp changes how it runs. Both sit in
 * .text.idmap, a page of their own that the hypervisor's stage 1 maps at
 * VA == PA, so the instruction after each SCTLR_EL2 write is fetched from
 * the same address whether the MMU is on or off.
 */
#include "asm.h"

/* SCTLR_EL2 with the MMU on: RES1 | M | C | SA | I | WXN (see arch.h). */
#define SCTLR_EL2_MMU_ON_VAL (SCTLR_EL2_MMU_OFF_VAL | 0x1 | 0x4 | 0x8 | 0x1000 | 0x80000)

    .section .text.idmap, "ax"
    .balign 4096

/*
 * void hyp_switch_pgd(u64 ttbr0, u64 tcr, u64 mair, u64 new_sp,
 *                     void (*fn)(void *), void *arg)  -- does not return
 *
 * As pKVM's __pkvm_init_switch_pgd: MMU off, install the new TTBR0_EL2,
 * TCR_EL2 and MAIR_EL2, invalidate the EL2 TLB, MMU (and caches) on, move
 * to the new stack and call fn(arg) there.
 */
    .global hyp_switch_pgd
hyp_switch_pgd:
    /* Turn the MMU off: from here fetches are flat, which is why this page
     * is identity mapped. */
    mrs     x9, sctlr_el2
    bic     x9, x9, #1
    msr     sctlr_el2, x9
    isb

    msr     ttbr0_el2, x0
    msr     tcr_el2, x1
    msr     mair_el2, x2
    isb
    /* Nothing cached from an earlier table may survive the switch. */
    tlbi    alle2
    dsb     nsh
    isb

    ldr     x9, =SCTLR_EL2_MMU_ON_VAL
    msr     sctlr_el2, x9
    isb
    /* Instructions fetched with the MMU off must not be reused. */
    ic      iallu
    dsb     nsh
    isb

    mov     sp, x3
    mov     x0, x5
    mov     x29, xzr
    mov     x30, xzr
    br      x4

/*
 * hyp_secondary_entry -- the PSCI entry point of every CPU the relay
 * starts (psci.c), at EL2 with its MMU off and x0 = its index. Installs the
 * vectors and a known SCTLR_EL2, then switches to the hypervisor's stage 1
 * and that CPU's stack with hyp_switch_pgd, which calls
 * hyp_secondary_main(index). hyp_boot_params was cleaned to PoC.
 */
    .global hyp_secondary_entry
hyp_secondary_entry:
    msr     tpidr_el2, x0
    adrp    x1, el2_vectors
    add     x1, x1, :lo12:el2_vectors
    msr     vbar_el2, x1
    ldr     x1, =SCTLR_EL2_MMU_OFF_VAL
    msr     sctlr_el2, x1
    isb
    mov     x5, x0
    adrp    x9, hyp_boot_params
    add     x9, x9, :lo12:hyp_boot_params
    ldp     x0, x1, [x9]                /* ttbr0, tcr */
    ldr     x2, [x9, #16]               /* mair */
    add     x10, x9, #24                /* stack_top[] */
    ldr     x3, [x10, x5, lsl #3]
    adrp    x4, hyp_secondary_main
    add     x4, x4, :lo12:hyp_secondary_main
    b       hyp_switch_pgd

/*
 * void hyp_enter_host(u64 entry, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
 * -- does not return. Deprivileges to EL1h at @entry (interrupts masked,
 * the host unmasks what it wants) with x0..x4 = a0..a4 and every other
 * general register cleared, so no hypervisor value leaks to the host.
 */
    .global hyp_enter_host
hyp_enter_host:
    msr     elr_el2, x0
    mov     x9, #0x3c5                  /* EL1h, D A I F masked */
    msr     spsr_el2, x9
    mov     x0, x1
    mov     x1, x2
    mov     x2, x3
    mov     x3, x4
    mov     x4, x5
    mov     x5, xzr
    mov     x6, xzr
    mov     x7, xzr
    mov     x8, xzr
    mov     x9, xzr
    mov     x10, xzr
    mov     x11, xzr
    mov     x12, xzr
    mov     x13, xzr
    mov     x14, xzr
    mov     x15, xzr
    mov     x16, xzr
    mov     x17, xzr
    mov     x18, xzr
    mov     x19, xzr
    mov     x20, xzr
    mov     x21, xzr
    mov     x22, xzr
    mov     x23, xzr
    mov     x24, xzr
    mov     x25, xzr
    mov     x26, xzr
    mov     x27, xzr
    mov     x28, xzr
    mov     x29, xzr
    mov     x30, xzr
    eret
    .ltorg
    .balign 4096
