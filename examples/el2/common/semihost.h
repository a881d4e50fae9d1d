/* SPDX-License-Identifier: MIT */
/*
 * Arm semihosting (run QEMU with -semihosting): SYS_EXIT with a status, so
 * the test harness sees pass/fail in QEMU's exit code.
 */
#ifndef EL2_SEMIHOST_H
#define EL2_SEMIHOST_H

#include <stdbool.h>

/* Whether the run may use semihosting (default true). A run without
 * -semihosting must clear it first: HLT #0xF000 is then undefined. */
extern bool semihost_enabled;

/* Stop QEMU with exit status @code (0 pass). Does not return; with
 * semihost_enabled clear (or semihosting not answering) it powers off
 * through PSCI SYSTEM_OFF, and QEMU's exit status is then 0. */
void __attribute__((noreturn)) semihost_exit(unsigned code);

#endif /* EL2_SEMIHOST_H */
