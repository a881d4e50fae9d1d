/* SPDX-License-Identifier: MIT */
/*
 * pgt-hyp internals: the boot state every part reads, and the functions
 * main.c, mem.c and host.c provide to each other.
 */
#ifndef PGT_HYP_HYP_H
#define PGT_HYP_HYP_H

#include <stdbool.h>
#include <stdint.h>

#include "dtb_mem.h"
#include "pgtable/pgtable.h"
#include "trap.h"

#define PAGE_SHIFT 12
#define PAGE_SIZE ((uint64_t)1 << PAGE_SHIFT)
#define MAX_RAM_REGIONS 4
#define SZ_2M ((uint64_t)2 << 20)

/* CPUs the hypervisor brings up (stacks in image.ld; extra DTB cpu nodes
 * are taken out of the host's DTB). */
#define HYP_MAX_CPUS 4

/* Hypervisor stage 1: 4K granule, 39-bit VA (start level 1). The image,
 * carve-out and UART are mapped at VA == PA; the vmemmap at VMEMMAP_VA. */
#define HYP_VA_BITS 39
#define VMEMMAP_VA ((uint64_t)0x0000004000000000)

/* Host stage 2: 4K granule, 40-bit IPA, start level 1 (two concatenated
 * root pages), PS = 40 bits. The VTCR_EL2 value, computed by hand from the
 * Arm ARM (D19.2.160): T0SZ=24 | SL0=1 | IRGN0=1 | ORGN0=1 | SH0=3 |
 * TG0=0 (4K) | PS=2 (40 bits) | RES1 bit 31. */
#define HOST_S2_VTCR 0x80023558ull
#define HOST_IPA_BITS 40

/* Owner id the hypervisor puts in the host stage 2 for its own pages. */
#define PKVM_ID_HYP 1u

/* Page-state software bits, pKVM's: on the host's stage-2 leaf of a page
 * it shares (SHARED_OWNED), on the hypervisor's stage-1 leaf of a page it
 * borrows (SHARED_BORROWED). */
#define HOST_PAGE_SHARED_OWNED PGT_PROT_SW0
#define HYP_PAGE_SHARED_BORROWED PGT_PROT_SW1

struct range {
    uint64_t start, end;
};

/* What the hypervisor knows about each CPU it may run on. */
struct hyp_cpu {
    uint64_t mpidr;      /* affinity fields, from the DTB's cpu node */
    uint64_t host_entry; /* PSCI CPU_ON / CPU_SUSPEND: where the host */
    uint64_t host_ctx;   /* continues, and its x0 */
    bool online;
    /* statistics, written by this CPU only */
    uint64_t host_faults;
};

/* The Linux host (linux.c), when QEMU's fw_cfg hands over a kernel. */
struct linux_host {
    bool enabled;
    uint64_t kernel, kernel_end; /* load address .. + image_size */
    uint64_t initrd, initrd_end;
    uint64_t dtb, dtb_size; /* the host's edited copy */
    uint64_t fwcfg, fwcfg_size;
    /* Devices that write memory on their own (fw_cfg's DMA, a GICv3
     * ITS): out of the host's DTB and refused in its stage 2. */
    struct {
        const char *name;
        uint64_t start, end; /* page aligned */
    } refused[4];
    int nr_refused;
};

struct hyp_state {
    uint64_t dtb, dtb_size; /* QEMU's */
    struct dtb_region ram[MAX_RAM_REGIONS];
    int nr_ram;
    struct range image;    /* [__hyp_start, __hyp_end) */
    struct range carveout; /* everything below is inside it */
    struct range vmemmap;  /* hyp_page records for all RAM */
    struct range s1_pool;  /* hyp stage-1 pages: early allocator, then pool */
    struct range s2_pool;  /* host stage-2 pages */
    struct pgt hyp_s1;
    struct pgt host_s2;
    /* Serialises every change to the host stage 2 and the statistics
     * below (pKVM's host_mmu lock): both CPUs fault into it. */
    struct hyp_spinlock host_mmu_lock;
    struct linux_host linux;
    struct hyp_cpu cpu[HYP_MAX_CPUS];
    int nr_cpus;
    /* statistics (under host_mmu_lock) */
    uint64_t host_faults_mapped;
    uint64_t host_refused;
    uint64_t host_mapped_by_level[PGT_LEVEL_MAX + 1];
    unsigned failures; /* hypervisor-side checks that failed */
};

extern struct hyp_state hyp;

/* Linker-script symbols (common/image.ld). */
extern char __hyp_start[], __hyp_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __data_end[];
extern char __idmap_text_start[], __idmap_text_end[];
extern char __boot_stack_bottom[], __boot_stack_top[];
extern char __hyp_stack_bottom[], __hyp_stack_top[];
extern char __host_payload_start[], __host_payload_end[];
/* CPU i > 0: a guard page, then its stack, ending at start + i * stride. */
extern char __cpu_stacks_start[];
#define HYP_CPU_STACK_SIZE 0x4000ull
#define HYP_CPU_STACK_STRIDE (HYP_CPU_STACK_SIZE + PAGE_SIZE)

/* What a CPU started through the PSCI relay needs before its MMU is on
 * (read by hyp_secondary_entry with the MMU off: cleaned to PoC). */
struct hyp_boot_params {
    uint64_t ttbr0, tcr, mair;
    uint64_t stack_top[HYP_MAX_CPUS];
};
extern struct hyp_boot_params hyp_boot_params;

/* switch.S */
void __attribute__((noreturn))
hyp_switch_pgd(uint64_t ttbr0, uint64_t tcr, uint64_t mair, uint64_t new_sp,
               void (*fn)(void *), void *arg);
/* PSCI entry point of every CPU the relay starts: x0 = its index. */
void hyp_secondary_entry(void);
void __attribute__((noreturn))
hyp_enter_host(uint64_t entry, uint64_t a0, uint64_t a1, uint64_t a2,
               uint64_t a3, uint64_t a4);

/* mem.c: reservation, early allocator, pools, mm_ops. */
uint64_t hyp_mem_reserve_pages(struct hyp_state *h, uint64_t *vmemmap,
                               uint64_t *s1, uint64_t *s2);
void hyp_early_init(struct hyp_state *h);
uint64_t hyp_early_used_pages(void);
int hyp_pools_init(struct hyp_state *h);
/* Filled by hyp_early_init / hyp_pools_init: the library's adapters with
 * the EL2 TLB hooks added. */
extern struct pgt_mm_ops hyp_early_mm_ops, hyp_pool_mm_ops_el2;
extern struct pgt_mm_ops host_s2_mm_ops;
extern void *const hyp_early_mm_ctx, *const host_s2_mm_ctx;
uint64_t hyp_pool_free_pages(void);
uint64_t host_pool_free_pages(void);

/* host.c: host stage 2, its faults, the hypercalls. */
int host_s2_init(struct hyp_state *h);
void host_s2_enable(struct hyp_state *h);
void host_handle_trap(struct hyp_state *h, struct trap_frame *f);
/* Check the host stage 2 still refuses everything the hypervisor keeps
 * and that its table pages match the pool's; prints, returns failures. */
unsigned host_s2_check(struct hyp_state *h);
void host_print_stats(struct hyp_state *h);

/* linux.c: the Linux host (fw_cfg, boot protocol, its DTB). */
int linux_prepare(struct hyp_state *h);
void __attribute__((noreturn)) linux_enter(struct hyp_state *h);

/* psci.c: the host's PSCI calls (trapped SMCs), the other CPUs, and the
 * EL2 state a host kernel needs on each CPU. */
void psci_handle_smc(struct hyp_state *h, struct trap_frame *f);
void el2_setup_for_host(void);
uint64_t hcr_host_pauth(void);
/* Pass the host's SYSTEM_RESET on to the firmware (QEMU -no-reboot: it
 * exits). */
void __attribute__((noreturn)) psci_firmware_reset(void);
/* The host powered off (or asked for a reset): statistics, invariants,
 * verdict, power off. */
void __attribute__((noreturn)) linux_host_exit(struct hyp_state *h, bool reset);
/* This CPU's index (TPIDR_EL2). */
static inline unsigned hyp_cpu_id(void)
{
    uint64_t v;
    __asm__ volatile("mrs %0, tpidr_el2" : "=r"(v));
    return (unsigned)v;
}

/* Stop the machine with a verdict: PSCI SYSTEM_OFF, or semihosting when
 * the run allows it (the payload tests); never returns. */
void __attribute__((noreturn)) hyp_exit(unsigned code);
void __attribute__((noreturn, format(printf, 1, 2)))
hyp_fail(const char *fmt, ...);

/* Whether [pa, pa + size) intersects the hypervisor's memory. */
static inline bool hyp_owns(const struct hyp_state *h, uint64_t pa,
                            uint64_t size)
{
    return (pa < h->image.end && h->image.start < pa + size) ||
           (pa < h->carveout.end && h->carveout.start < pa + size);
}

/* Milliseconds since reset (generic timer). */
uint64_t hyp_now_ms(void);

/* AT S1E2R: PAR_EL1 for @va in the hypervisor's current stage 1. */
uint64_t hyp_at_s1e2r(uint64_t va);

#endif /* PGT_HYP_HYP_H */
