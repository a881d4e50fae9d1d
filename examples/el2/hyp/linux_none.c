// SPDX-License-Identifier: MIT
/*
 * pgt-hyp built without libfdt (Debian's libfdt-dev:arm64 not fetched):
 * no Linux host, the EL1 payload only. linux.c is the real thing.
 */
#include "hyp.h"

#include "arch.h"
#include "uart.h"

int linux_prepare(struct hyp_state *h)
{
    /* Without a DTB parser for the CPUs: the boot CPU only. */
    h->cpu[0].mpidr = read_sysreg(mpidr_el1) & 0xff00ffffffull;
    h->cpu[0].online = true;
    h->nr_cpus = 1;
    uart_printf("[linux] built without libfdt: no Linux host, the EL1 "
                "payload only\n");
    return 0;
}

void linux_enter(struct hyp_state *h)
{
    (void)h;
    hyp_fail("built without libfdt: cannot boot a Linux host");
}

void linux_host_exit(struct hyp_state *h, bool reset)
{
    (void)h;
    (void)reset;
    hyp_fail("built without libfdt: no Linux host to power off");
}
