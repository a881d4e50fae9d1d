/* SPDX-License-Identifier: MIT */
/*
 * The EL1 side of the dirty-state test, and the EL2 helpers that run it.
 *
 * guest_entry runs at EL1 with its stage 1 off (IPA = VA): it makes the
 * accesses its command block lists, stores the sum of what it read, and
 * calls the hypervisor (HVC #0). It needs no stack: only this text and
 * the command block are mapped for it at stage 2, besides the range
 * under test.
 *
 * guest_call(entry, arg) enters @entry at EL1h with x0 = @arg and returns
 * to its caller at EL2 when the EL2 trap handler calls guest_exit() (on
 * the guest's HVC). guest_exit() drops the trap frame: the next
 * guest_call starts the guest afresh.
 */

/* struct guest_cmd (dirty.c): n, value, sum, then n addresses. */
#define CMD_N 0
#define CMD_VALUE 8
#define CMD_SUM 16
#define CMD_ADDR 24

/* SPSR_EL2: EL1h, DAIF masked. */
#define SPSR_EL1H_MASKED 0x3c5

    .text
    .balign 4
    .global guest_entry
guest_entry:
    ldr     x1, [x0, #CMD_N]
    ldr     x2, [x0, #CMD_VALUE]
    add     x3, x0, #CMD_ADDR
    mov     x4, #0
1:  cbz     x1, 3f
    ldr     x5, [x3], #8
    sub     x1, x1, #1
    tbz     x5, #0, 2f              /* bit 0 set: a write */
    bic     x5, x5, #1
    str     x2, [x5]
    add     x2, x2, #1              /* each write stores the next value */
    b       1b
2:  ldr     x6, [x5]
    add     x4, x4, x6
    b       1b
3:  str     x4, [x0, #CMD_SUM]
    hvc     #0
4:  b       4b                      /* never resumed */

    .balign 4
    .global guest_call
guest_call:
    adrp    x9, el2_ctx
    add     x9, x9, :lo12:el2_ctx
    stp     x19, x20, [x9, #0]
    stp     x21, x22, [x9, #16]
    stp     x23, x24, [x9, #32]
    stp     x25, x26, [x9, #48]
    stp     x27, x28, [x9, #64]
    stp     x29, x30, [x9, #80]
    mov     x10, sp
    str     x10, [x9, #96]
    msr     elr_el2, x0
    mov     x10, #SPSR_EL1H_MASKED
    msr     spsr_el2, x10
    mov     x0, x1
    eret

    .global guest_exit
guest_exit:
    adrp    x9, el2_ctx
    add     x9, x9, :lo12:el2_ctx
    ldp     x19, x20, [x9, #0]
    ldp     x21, x22, [x9, #16]
    ldp     x23, x24, [x9, #32]
    ldp     x25, x26, [x9, #48]
    ldp     x27, x28, [x9, #64]
    ldp     x29, x30, [x9, #80]
    ldr     x10, [x9, #96]
    mov     sp, x10
    ret

    .bss
    .balign 16
el2_ctx:
    .skip   112
