// SPDX-License-Identifier: MIT
/* Semihosting SYS_EXIT (Arm semihosting specification v2, 6.6, 6.7). */
#include "semihost.h"

#include <stdint.h>

#include "arch.h"

#define SYS_EXIT 0x18
/* ADP_Stopped_ApplicationExit: with the 64-bit parameter block the second
 * word is the exit status. */
#define ADP_STOPPED_APPLICATION_EXIT 0x20026ull

static uint64_t semihost_call(uint64_t op, uint64_t arg)
{
    register uint64_t x0 __asm__("x0") = op;
    register uint64_t x1 __asm__("x1") = arg;

    /* HLT #0xF000 is the A64 semihosting trap. */
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

bool semihost_enabled = true;

void semihost_exit(unsigned code)
{
    /* Aligned, and in memory the caller can reach (our stack). */
    uint64_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, code};
    static bool exiting;

    /* Back here while exiting: the HLT was undefined (no -semihosting)
     * and the exception report called us again. Power off instead. */
    if (exiting)
        semihost_enabled = false;
    exiting = true;
    if (semihost_enabled)
        semihost_call(SYS_EXIT, (uint64_t)(uintptr_t)block);

    /* Not under semihosting: power off through PSCI (SMC at EL2). */
    register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
    __asm__ volatile("smc #0" : "+r"(x0) : : "memory");
    for (;;)
        __asm__ volatile("wfi");
}
