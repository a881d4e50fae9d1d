// SPDX-License-Identifier: MIT
/*
 * The host's PSCI calls and the other CPUs. The host's SMCs trap to EL2
 * (HCR_EL2.TSC) and are relayed as pKVM does: a CPU the host starts
 * (CPU_ON) or wakes from a power-down suspend first runs the hypervisor's
 * own per-CPU init (hyp_secondary_entry: its stack, VBAR_EL2, the
 * hypervisor's stage 1, then el2_setup_for_host and the host stage 2),
 * and only then enters the host's entry point at EL1. Calls that touch no
 * CPU's EL2 state pass through to the firmware (QEMU's PSCI); SYSTEM_OFF
 * and SYSTEM_RESET first print the hypervisor's statistics.
 */
#include "hyp.h"

#include "arch.h"
#include "uart.h"

/* PSCI 1.1 function ids and return codes (Arm DEN0022). */
#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_SUSPEND_32 0x84000001u
#define PSCI_CPU_SUSPEND_64 0xc4000001u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON_32 0x84000003u
#define PSCI_AFFINITY_INFO_32 0x84000004u
#define PSCI_AFFINITY_INFO_64 0xc4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000au

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_INVALID_ADDRESS (-9)

/* CPU_SUSPEND power_state (original format): bit 16 = power-down. */
#define PSCI_POWER_STATE_POWERDOWN (1u << 16)
#define MPIDR_AFF_MASK 0xff00ffffffull

/* Read by hyp_secondary_entry with its MMU off (switch.S). */
struct hyp_boot_params hyp_boot_params;

static int64_t firmware_psci(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;

    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "memory");
    return (int64_t)x0;
}

/* Clean [p, p + size) to the point of coherency: a CPU whose MMU is still
 * off reads it non-cacheable. */
static void clean_to_poc(const void *p, uint64_t size)
{
    uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);
    uint64_t a = (uint64_t)(uintptr_t)p & ~(line - 1);

    for (; a < (uint64_t)(uintptr_t)p + size; a += line)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    dsb(sy);
}

static int cpu_by_mpidr(const struct hyp_state *h, uint64_t mpidr)
{
    for (int i = 0; i < h->nr_cpus; i++)
        if (h->cpu[i].mpidr == (mpidr & MPIDR_AFF_MASK))
            return i;
    return -1;
}

/* Whether the host may resume at @pa: its own RAM, not the hypervisor's. */
static bool host_entry_ok(const struct hyp_state *h, uint64_t pa)
{
    for (int i = 0; i < h->nr_ram; i++)
        if (pa >= h->ram[i].base && pa - h->ram[i].base < h->ram[i].size)
            return !hyp_owns(h, pa, 4);
    return false;
}

static int64_t psci_cpu_on(struct hyp_state *h, uint64_t mpidr, uint64_t entry,
                           uint64_t ctx)
{
    int idx = cpu_by_mpidr(h, mpidr);

    if (idx < 0) {
        uart_printf("hyp: host PSCI CPU_ON for MPIDR 0x%lx refused: no such "
                    "CPU (%d known)\n",
                    mpidr, h->nr_cpus);
        return PSCI_RET_INVALID_PARAMS;
    }
    if (!host_entry_ok(h, entry)) {
        uart_printf("hyp: host PSCI CPU_ON for MPIDR 0x%lx refused: entry "
                    "0x%lx is not host RAM\n",
                    mpidr, entry);
        return PSCI_RET_INVALID_ADDRESS;
    }
    struct hyp_cpu *c = &h->cpu[idx];
    if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
        return PSCI_RET_ALREADY_ON;
    c->host_entry = entry;
    c->host_ctx = ctx;
    clean_to_poc(c, sizeof(*c));
    clean_to_poc(&hyp_boot_params, sizeof(hyp_boot_params));
    uart_smp = true;
    uart_printf("[psci] host CPU_ON MPIDR 0x%lx (cpu%d) at 0x%lx: relayed "
                "through the hypervisor's per-CPU init\n",
                mpidr, idx, entry);
    int64_t ret =
        firmware_psci(PSCI_CPU_ON_64, mpidr,
                      (uint64_t)(uintptr_t)hyp_secondary_entry, (uint64_t)idx);
    if (ret != PSCI_RET_SUCCESS)
        uart_printf("hyp: firmware CPU_ON of MPIDR 0x%lx failed: %ld\n", mpidr,
                    (long)ret);
    return ret;
}

void psci_firmware_reset(void)
{
    firmware_psci(PSCI_SYSTEM_RESET, 0, 0, 0);
    hyp_exit(1); /* the firmware did not reset: power off */
}

/* A power-down suspend may come back through the entry point: it must be
 * the hypervisor's, as for CPU_ON. Standby returns here. */
static int64_t psci_cpu_suspend(struct hyp_state *h, uint64_t fn,
                                uint64_t state, uint64_t entry, uint64_t ctx)
{
    unsigned id = hyp_cpu_id();
    struct hyp_cpu *c = &h->cpu[id];

    if (!(state & PSCI_POWER_STATE_POWERDOWN))
        return firmware_psci(fn, state, 0, 0);
    if (!host_entry_ok(h, entry))
        return PSCI_RET_INVALID_ADDRESS;
    c->host_entry = entry;
    c->host_ctx = ctx;
    clean_to_poc(c, sizeof(*c));
    return firmware_psci(PSCI_CPU_SUSPEND_64, state,
                         (uint64_t)(uintptr_t)hyp_secondary_entry, id);
}

static bool psci_known(uint32_t fn)
{
    switch (fn) {
    case PSCI_VERSION:
    case PSCI_CPU_SUSPEND_32:
    case PSCI_CPU_SUSPEND_64:
    case PSCI_CPU_OFF:
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
    case PSCI_AFFINITY_INFO_32:
    case PSCI_AFFINITY_INFO_64:
    case PSCI_MIGRATE_INFO_TYPE:
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
    case PSCI_FEATURES:
        return true;
    default:
        return false;
    }
}

void psci_handle_smc(struct hyp_state *h, struct trap_frame *f)
{
    uint32_t fn = (uint32_t)f->x[0];
    uint64_t a1 = f->x[1], a2 = f->x[2], a3 = f->x[3];
    int64_t ret;

    /* A trapped SMC leaves ELR at the SMC itself. */
    f->elr += 4;
    if (fn == PSCI_CPU_ON_32 || fn == PSCI_CPU_SUSPEND_32) {
        a1 = (uint32_t)a1;
        a2 = (uint32_t)a2;
        a3 = (uint32_t)a3;
    }
    switch (fn) {
    case PSCI_CPU_ON_32:
    case PSCI_CPU_ON_64:
        ret = psci_cpu_on(h, a1, a2, a3);
        break;
    case PSCI_CPU_SUSPEND_32:
    case PSCI_CPU_SUSPEND_64:
        ret = psci_cpu_suspend(h, fn, a1, a2, a3);
        break;
    case PSCI_CPU_OFF:
        __atomic_store_n(&h->cpu[hyp_cpu_id()].online, false, __ATOMIC_RELEASE);
        ret = firmware_psci(fn, 0, 0, 0);
        __atomic_store_n(&h->cpu[hyp_cpu_id()].online, true, __ATOMIC_RELEASE);
        break;
    case PSCI_SYSTEM_OFF:
    case PSCI_SYSTEM_RESET:
        linux_host_exit(h, fn == PSCI_SYSTEM_RESET);
    case PSCI_FEATURES:
        /* Only what this relay handles; SMCCC_VERSION and the rest are
         * not forwarded, so they are not offered either. */
        ret = psci_known((uint32_t)a1) ? PSCI_RET_SUCCESS
                                       : PSCI_RET_NOT_SUPPORTED;
        break;
    case PSCI_VERSION:
    case PSCI_AFFINITY_INFO_32:
    case PSCI_AFFINITY_INFO_64:
    case PSCI_MIGRATE_INFO_TYPE:
        ret = firmware_psci(fn, a1, a2, a3);
        break;
    default:
        ret = PSCI_RET_NOT_SUPPORTED;
        break;
    }
    f->x[0] = (uint64_t)ret;
}

/* Feature fields of the ID registers (Arm ARM D19.2). */
#define ID_FIELD(v, shift) (((v) >> (shift)) & 0xf)

void el2_setup_for_host(void)
{
    uint64_t pfr0 = read_sysreg(id_aa64pfr0_el1);
    uint64_t pfr1 = read_sysreg(id_aa64pfr1_el1);
    uint64_t dfr0 = read_sysreg(id_aa64dfr0_el1);
    uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
    bool sve = ID_FIELD(pfr0, 32) != 0, sme = ID_FIELD(pfr1, 24) != 0;

    /* The host sees this CPU's own ID and affinity. */
    write_sysreg(read_sysreg(midr_el1), vpidr_el2);
    write_sysreg(read_sysreg(mpidr_el1), vmpidr_el2);
    /* EL1 owns the physical counter and timer; no virtual offset. */
    write_sysreg(CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN, cnthctl_el2);
    write_sysreg(0, cntvoff_el2);
    /* FP/SIMD, SVE and SME not trapped; the vector lengths EL1 may pick
     * are not capped. */
    write_sysreg(CPTR_EL2_RES1 | (sve ? 0 : CPTR_EL2_TZ) |
                     (sme ? 0 : CPTR_EL2_TSM),
                 cptr_el2);
    isb();
    if (sve)
        write_sysreg(ZCR_ELX_LEN_MAX, S3_4_C1_C2_0); /* ZCR_EL2 */
    if (sme) {
        uint64_t smfr0 = read_sysreg(S3_0_C0_C4_5); /* ID_AA64SMFR0_EL1 */
        write_sysreg(SMCR_ELX_LEN_MAX | (smfr0 >> 63 ? SMCR_ELX_FA64 : 0),
                     S3_4_C1_C2_6); /* SMCR_EL2 */
    }
    /* No debug or PMU traps; EL1 gets every event counter. */
    uint64_t hpmn = 0;
    if (ID_FIELD(dfr0, 8) != 0 && ID_FIELD(dfr0, 8) != 0xf)
        hpmn = (read_sysreg(pmcr_el0) >> 11) & 0x1f;
    write_sysreg(hpmn, mdcr_el2);
    write_sysreg(0, hstr_el2);
    /* GICv3: EL1 uses the system-register CPU interface. */
    if (ID_FIELD(pfr0, 24) != 0) {
        write_sysreg(ICC_SRE_EL2_SRE | ICC_SRE_EL2_ENABLE, S3_4_C12_C9_5);
        isb();
    }
    /* Fine-grained traps, where they exist, all off. */
    if (ID_FIELD(mmfr0, 56) != 0) {
        write_sysreg(0, S3_4_C1_C1_4); /* HFGRTR_EL2 */
        write_sysreg(0, S3_4_C1_C1_5); /* HFGWTR_EL2 */
        write_sysreg(0, S3_4_C1_C1_6); /* HFGITR_EL2 */
        write_sysreg(0, S3_4_C3_C1_4); /* HDFGRTR_EL2 */
        write_sysreg(0, S3_4_C3_C1_5); /* HDFGWTR_EL2 */
    }
    isb();
}

/* HCR_EL2 bits for pointer authentication at EL1, where the CPU has it:
 * without them the host's PAC instructions would trap here. */
uint64_t hcr_host_pauth(void)
{
    uint64_t isar1 = read_sysreg(id_aa64isar1_el1);
    uint64_t isar2 = read_sysreg(S3_0_C0_C6_2); /* ID_AA64ISAR2_EL1 */

    if (ID_FIELD(isar1, 4) || ID_FIELD(isar1, 8) || ID_FIELD(isar1, 24) ||
        ID_FIELD(isar1, 28) || ID_FIELD(isar2, 12))
        return HCR_API | HCR_APK;
    return 0;
}

/* Where every CPU but the boot CPU lands, with its MMU now on. */
void __attribute__((noreturn)) hyp_secondary_main(void *arg);
void hyp_secondary_main(void *arg)
{
    struct hyp_state *h = &hyp;
    unsigned id = (unsigned)(uintptr_t)arg;
    struct hyp_cpu *c = &h->cpu[id];

    el2_setup_for_host();
    host_s2_enable(h);
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    uart_printf("[psci] cpu%u (MPIDR 0x%lx) at EL2: own stack, VBAR_EL2, "
                "TTBR0_EL2=0x%lx, VTTBR_EL2=0x%lx, HCR_EL2=0x%lx; entering "
                "the host at 0x%lx\n",
                id, (uint64_t)(read_sysreg(mpidr_el1) & MPIDR_AFF_MASK),
                read_sysreg(ttbr0_el2), read_sysreg(vttbr_el2),
                read_sysreg(hcr_el2), c->host_entry);
    hyp_enter_host(c->host_entry, c->host_ctx, 0, 0, 0, 0);
}
