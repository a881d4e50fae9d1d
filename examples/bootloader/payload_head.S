/* SPDX-License-Identifier: MIT */
/*
 * The payload's first bytes: its header (layout.h), the entry, and the
 * EL1 vectors it runs with.
 *
 * payload_start(x0 = struct boot_info *, x1 = stack top): called by the
 * loader with the MMU on, at its upper-range VA. Switches to its own
 * stack, installs its vectors, runs payload_main(info) and returns its
 * result to the loader on the loader's stack.
 */
#include "layout.h"

    .section .text.head, "ax"
    .global payload_head
payload_head:
    b       payload_start
    .balign 8
    .quad   PAYLOAD_MAGIC
    .quad   __payload_text_end - payload_head
    .quad   __payload_file_end - payload_head
    .quad   __payload_mem_end - payload_head
    .quad   payload_head

payload_start:
    stp     x29, x30, [sp, #-16]!
    mov     x9, sp                  /* the loader's stack */
    mov     sp, x1
    str     x9, [sp, #-16]!
    adrp    x9, payload_vectors
    add     x9, x9, :lo12:payload_vectors
    msr     vbar_el1, x9
    isb
    bl      payload_main
    ldr     x9, [sp], #16
    mov     sp, x9
    ldp     x29, x30, [sp], #16
    ret

/*
 * Synchronous exceptions from EL1 (the probes of payload.c): record
 * ESR_EL1 and FAR_EL1 in payload_fault, then resume. A data abort resumes
 * after the faulting load or store; an instruction abort (a branch to a
 * page that may not execute) returns to the caller, through x30. x9-x11
 * are scratch: the probes clobber them. Anything else stops here.
 */
    .section .text.vectors, "ax"
    .balign 2048
payload_vectors:
    .rept 4                     /* current EL with SP_EL0: not used */
    .balign 128
    b       .
    .endr
    .balign 128                 /* current EL with SP_ELx, synchronous */
    adrp    x9, payload_fault
    add     x9, x9, :lo12:payload_fault
    mrs     x10, esr_el1
    str     x10, [x9]
    mrs     x11, far_el1
    str     x11, [x9, #8]
    ldr     x11, [x9, #16]
    add     x11, x11, #1
    str     x11, [x9, #16]
    lsr     x10, x10, #26           /* ESR_EL1.EC */
    cmp     x10, #0x21              /* instruction abort, same EL */
    b.eq    1f
    mrs     x10, elr_el1
    add     x10, x10, #4
    msr     elr_el1, x10
    eret
1:  msr     elr_el1, x30
    eret
    .rept 11                    /* the rest: not used */
    .balign 128
    b       .
    .endr
