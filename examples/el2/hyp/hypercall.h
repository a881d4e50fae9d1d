/* SPDX-License-Identifier: MIT */
/*
 * The host <-> hypervisor interface of pgt-hyp: HVC #0 with the function id
 * in x0 (SMCCC fast calls in the vendor-specific hypervisor service range,
 * owner 6, as pKVM's __pkvm_host_* calls), arguments in x1.., result in x0
 * (0 or a negative PGT_E* code) and x1.
 *
 * Also the boot hand-off: the hypervisor enters the host at HOST_BASE at
 * EL1h (MMU off) with x0 = DTB, x1/x2 = the hypervisor image's
 * [start, end), x3/x4 = the carve-out's [start, end).
 */
#ifndef PGT_HYP_HYPERCALL_H
#define PGT_HYP_HYPERCALL_H

#define HOST_BASE 0x41000000ull

#define HC_ID(n) (0xc6000000u | (n))
/* x1 = page PA: share a host page with the hypervisor (both keep access;
 * the hypervisor maps it in its stage 1). x1 out: the word the hypervisor
 * read at the start of the page; it then writes ~that word back. */
#define HC_HOST_SHARE_HYP HC_ID(1)
/* x1 = page PA: end a share; the hypervisor's stage-1 mapping goes. */
#define HC_HOST_UNSHARE_HYP HC_ID(2)
/* x1 = page PA: give the page to the hypervisor; the host loses access.
 * The hypervisor writes HC_DONATE_MAGIC to its first word. */
#define HC_HOST_DONATE_HYP HC_ID(3)
/* x1 = address: x1 out = 1 if the hypervisor's stage 1 maps it (checked
 * with the library's walk and with AT S1E2R, which must agree), else 0. */
#define HC_HYP_PROBE HC_ID(4)
/* x1 out: host stage-2 faults handled by mapping (lazy idmap); x2 out:
 * host accesses refused (stage-2 aborts injected back). */
#define HC_HOST_STATS HC_ID(5)
/* x1 = the host's verdict (0 pass): the hypervisor reports and powers off
 * with exit status = verdict, or 1 if its own checks failed. */
#define HC_HOST_EXIT HC_ID(0xff)

#define HC_DONATE_MAGIC 0x0d0a7edd0d0a7eddull

#endif /* PGT_HYP_HYPERCALL_H */
