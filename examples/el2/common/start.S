/* SPDX-License-Identifier: MIT */
/*
 * Entry point shared by the EL2 images (the hypervisor and the qemu tests):
 * QEMU (-M virt,virtualization=on) jumps here at EL2 with the MMU off and
 * x0 = the DTB's physical address.
 *
 * Sets the boot stack, installs the EL2 vectors, puts SCTLR_EL2 in a known
 * MMU-off state, zeroes .bss and calls boot_main(dtb), which does not
 * return. Not at EL2: boot_wrong_el(el) reports it and stops.
 */
#include "asm.h"

    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0                     /* keep the DTB pointer */
    adrp    x1, __boot_stack_top
    add     x1, x1, :lo12:__boot_stack_top
    mov     sp, x1

    mrs     x20, CurrentEL
    ubfx    x20, x20, #2, #2            /* CurrentEL.EL */
    cmp     x20, #2
    b.ne    .Lwrong_el

    adrp    x1, el2_vectors
    add     x1, x1, :lo12:el2_vectors
    msr     vbar_el2, x1

    /* MMU, caches and alignment checks off; little-endian; RES1 bits. */
    ldr     x1, =SCTLR_EL2_MMU_OFF_VAL
    msr     sctlr_el2, x1
    isb

    bl      zero_bss
    mov     x0, x19
    bl      boot_main
    b       .Lhang

.Lwrong_el:
    bl      zero_bss
    mov     x0, x20
    bl      boot_wrong_el
.Lhang:
    wfi
    b       .Lhang

/* Zero [__bss_start, __bss_end): both 16-byte aligned by the linker script,
 * so 8-byte stores stay aligned (the MMU is off: memory is Device). */
zero_bss:
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  ret
