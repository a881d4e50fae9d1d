/* SPDX-License-Identifier: MIT */
/*
 * The host payload's entry, at its first byte: the hypervisor erets here at
 * EL1h with x0 = DTB, x1..x4 = the hypervisor's image and carve-out ranges
 * (see host.h). Sets SP_EL1 and VBAR_EL1, zeroes .bss, calls host_main.
 */
#define VECTORS_NO_EL2
#include "vectors.S"

    .section .text.host_entry, "ax"
    .global host_entry
host_entry:
    adrp    x9, __host_stack_top
    add     x9, x9, :lo12:__host_stack_top
    mov     sp, x9
    adrp    x9, host_vectors
    add     x9, x9, :lo12:host_vectors
    msr     vbar_el1, x9
    isb
    adrp    x9, __host_bss_start
    add     x9, x9, :lo12:__host_bss_start
    adrp    x10, __host_bss_end
    add     x10, x10, :lo12:__host_bss_end
1:  cmp     x9, x10
    b.hs    2f
    str     xzr, [x9], #8
    b       1b
2:  bl      host_main
3:  wfi
    b       3b

vector_table host_vectors, 1, host_trap
