// SPDX-License-Identifier: MIT
/* Default EL2 exception reporting shared by the EL2 images. */
#include "trap.h"

#include "arch.h"
#include "semihost.h"
#include "uart.h"

const char *vec_kind_name(unsigned kind)
{
    static const char *const where[4] = {
        "current EL with SP0", "current EL with SPx", "lower EL AArch64",
        "lower EL AArch32"};
    return kind < 16 ? where[kind / 4] : "?";
}

static const char *vec_type_name(unsigned kind)
{
    static const char *const what[4] = {"sync", "IRQ", "FIQ", "SError"};
    return what[kind % 4];
}

void el2_unexpected(struct trap_frame *f, unsigned kind)
{
    uart_printf("\nEL2: UNEXPECTED EXCEPTION: %s from %s\n",
                vec_type_name(kind), vec_kind_name(kind));
    uart_printf("  ESR_EL2=0x%lx (EC 0x%lx) ELR_EL2=0x%lx FAR_EL2=0x%lx\n",
                read_sysreg(esr_el2), ESR_EC(read_sysreg(esr_el2)), f->elr,
                read_sysreg(far_el2));
    uart_printf("  SPSR_EL2=0x%lx HPFAR_EL2=0x%lx x0=0x%lx x30=0x%lx\n",
                f->spsr, read_sysreg(hpfar_el2), f->x[0], f->x[30]);
    uart_puts("EL2: stopping (exit 1)\n");
    semihost_exit(1);
}

__attribute__((weak)) void el2_trap(struct trap_frame *f, unsigned kind)
{
    el2_unexpected(f, kind);
}

void boot_wrong_el(uint64_t el)
{
    uart_printf("boot: entered at EL%lu, not EL2: run QEMU with "
                "-M virt,virtualization=on\n",
                el);
    semihost_exit(1);
}
