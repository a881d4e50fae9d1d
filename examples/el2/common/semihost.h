/* SPDX-License-Identifier: MIT */
/*
 * Arm semihosting (run QEMU with -semihosting): SYS_EXIT with a status, so
 * the test harness sees pass/fail in QEMU's exit code.
 */
#ifndef EL2_SEMIHOST_H
#define EL2_SEMIHOST_H

/* Stop QEMU with exit status @code (0 pass). Does not return; falls back to
 * PSCI SYSTEM_OFF and then a wfi loop if semihosting is not enabled. */
void __attribute__((noreturn)) semihost_exit(unsigned code);

#endif /* EL2_SEMIHOST_H */
