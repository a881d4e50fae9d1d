// SPDX-License-Identifier: MIT
/*
 * The host's side of pgt-hyp: its stage 2 (an identity map filled on
 * demand, the hypervisor's memory annotated as owned by it), the stage-2
 * faults it takes, and the hypercalls (hypercall.h). All of it runs at EL2
 * on the hypervisor's own stage 1, one exception at a time.
 */
#include "hyp.h"

#include "arch.h"
#include "hypercall.h"
#include "semihost.h"
#include "uart.h"

/* Refused accesses reported in full; later ones are only counted. */
#define REPORT_REFUSALS 3

int host_s2_init(struct hyp_state *h)
{
    struct pgt *s2 = &h->host_s2;
    int ret;

    ret = pgt_s2_init_vtcr(s2, HOST_S2_VTCR, PGT_S2_HOST, &host_s2_mm_ops,
                           host_s2_mm_ctx, NULL);
    if (ret < 0)
        return ret;
    uart_printf("[s2] host stage 2 from VTCR 0x%lx: %u-bit IPA, start level "
                "%d, %u root pages; library's VTCR 0x%lx\n",
                (uint64_t)HOST_S2_VTCR, s2->geom.ia_bits, s2->geom.start_level,
                s2->geom.nr_root_pages, pgt_s2_vtcr(s2));
    if (pgt_s2_vtcr(s2) != HOST_S2_VTCR) {
        uart_puts("hyp: [FAIL] pgt_s2_vtcr differs from the hand-computed "
                  "VTCR_EL2\n");
        h->failures++;
    }

    /* The hypervisor's memory: owned by it, never mappable by the host. */
#ifndef PGT_HYP_UNPROTECTED
    ret = pgt_s2_set_owner(s2, h->image.start, h->image.end - h->image.start,
                           NULL, PKVM_ID_HYP);
    if (ret < 0)
        return ret;
    ret = pgt_s2_set_owner(s2, h->carveout.start,
                           h->carveout.end - h->carveout.start, NULL,
                           PKVM_ID_HYP);
    if (ret < 0)
        return ret;
    uart_printf("[s2] owner %u (hyp): 0x%lx-0x%lx and 0x%lx-0x%lx\n",
                PKVM_ID_HYP, h->image.start, h->image.end, h->carveout.start,
                h->carveout.end);
#else
    uart_puts("[s2] UNPROTECTED BUILD: hypervisor memory NOT annotated\n");
#endif
    uart_printf("[s2] RAM normal RWX, everything else device RW XN, mapped "
                "on the host's first touch\n");

    /* Devices whose DMA reaches all memory: the host never drives them
     * (they are out of its DTB too). */
    for (int i = 0; i < h->linux.nr_refused; i++) {
        uint64_t s = h->linux.refused[i].start, e = h->linux.refused[i].end;
        ret = pgt_s2_set_owner(s2, s, e - s, NULL, PKVM_ID_HYP);
        if (ret < 0)
            return ret;
        uart_printf("[s2] owner %u (hyp): %s 0x%lx-0x%lx (it writes memory "
                    "on its own)\n",
                    PKVM_ID_HYP, h->linux.refused[i].name, s, e);
    }
    host_s2_enable(h);
    uart_printf("[s2] VTCR_EL2=0x%lx VTTBR_EL2=0x%lx HCR_EL2=0x%lx (VM%s)\n",
                read_sysreg(vtcr_el2), read_sysreg(vttbr_el2),
                read_sysreg(hcr_el2), h->linux.enabled ? "" : ", DC");
    uart_printf("[pool] free pages: hyp pool %lu, host stage-2 pool %lu\n",
                hyp_pool_free_pages(), host_pool_free_pages());
    return 0;
}

/* This CPU's EL2 state for running the host under the host stage 2. */
void host_s2_enable(struct hyp_state *h)
{
    struct pgt *s2 = &h->host_s2;
    uint64_t hcr = HCR_HOST_NVHE | HCR_VM | hcr_host_pauth();

    /* DC for the payload only: it runs with its MMU off, and its accesses
     * must still be cacheable (Normal WB at stage 1), so that it and the
     * hypervisor see the same data in a shared page. DC would also keep a
     * kernel's own stage 1 off. Stage 2 keeps MMIO Device either way. */
    if (!h->linux.enabled)
        hcr |= HCR_DC;
    write_sysreg(pgt_s2_vtcr(s2), vtcr_el2);
    write_sysreg(pgt_ttbr_baddr(s2), vttbr_el2); /* VMID 0 */
    isb();
    __asm__ volatile("tlbi vmalls12e1" ::: "memory");
    dsb(nsh);
    write_sysreg(hcr, hcr_el2);
    /* The host starts with its MMU off. */
    write_sysreg(SCTLR_EL1_RES1, sctlr_el1);
    isb();
}

static const struct dtb_region *ram_region(const struct hyp_state *h,
                                           uint64_t pa)
{
    for (int i = 0; i < h->nr_ram; i++)
        if (pa >= h->ram[i].base && pa - h->ram[i].base < h->ram[i].size)
            return &h->ram[i];
    return NULL;
}

/*
 * The range around @ipa that has one memory type: its RAM region, or the
 * gap between RAM regions (MMIO) within the IPA space.
 */
static struct range host_region(const struct hyp_state *h, uint64_t ipa,
                                bool *is_ram)
{
    const struct dtb_region *r = ram_region(h, ipa);
    struct range g = {0, 1ull << HOST_IPA_BITS};

    *is_ram = r != NULL;
    if (r)
        return (struct range){r->base, r->base + r->size};
    for (int i = 0; i < h->nr_ram; i++) {
        uint64_t s = h->ram[i].base, e = s + h->ram[i].size;
        if (e <= ipa && e > g.start)
            g.start = e;
        if (s > ipa && s < g.end)
            g.end = s;
    }
    return g;
}

/*
 * Map the host's access to @ipa as pKVM's host_stage2_idmap does: find
 * where the walk stops (an empty entry at some level: nothing under it is
 * owned or mapped), and map the largest block at or below that level that
 * lies inside @ipa's memory region. Return: 0 mapped (or already mapped),
 * -PGT_EPERM if the page is not the host's, other negative errors.
 */
static int host_s2_idmap(struct hyp_state *h, uint64_t ipa)
{
    struct pgt *s2 = &h->host_s2;
    pgt_pte_t pte;
    int level, ret;
    bool is_ram;

    if (ipa >> HOST_IPA_BITS)
        return -PGT_EPERM;
    ret = pgt_get_leaf(s2, ipa, &pte, &level);
    if (ret < 0)
        return ret;
    if (pgt_pte_owner(pte) != 0)
        return -PGT_EPERM;
    if (pgt_pte_valid(pte))
        return 0; /* mapped meanwhile: retry the access */

    struct range r = host_region(h, ipa, &is_ram);
    enum pgt_prot prot = is_ram ? PGT_PROT_RWX : PGT_PROT_RW | PGT_PROT_DEVICE;
    for (; level <= PGT_LEVEL_MAX; level++) {
        if (!pgt_level_has_block(&s2->geom, level))
            continue;
        uint64_t size = pgt_level_size(&s2->geom, level);
        uint64_t start = ipa & ~(size - 1);
        if (start < r.start || start + size > r.end)
            continue;
        ret = pgt_s2_map(s2, start, size, start, prot, NULL,
                         PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
        if (ret == 0) {
            h->host_faults_mapped++;
            h->host_mapped_by_level[level]++;
            h->cpu[hyp_cpu_id()].host_faults++;
        }
        return ret;
    }
    return -PGT_EPERM;
}

/*
 * Give the host a synchronous external abort for the access it just made,
 * as if its own memory system had failed it: the abort is taken at EL1,
 * at the vector and with the PSTATE an exception from where the host was
 * (EL0 or EL1) would have, ESR_EL1/FAR_EL1 describing it. Linux sends
 * SIGBUS to a process that takes it at EL0.
 */
static void inject_host_abort(struct trap_frame *f, uint64_t esr, uint64_t far)
{
    bool iabt = ESR_EC(esr) == ESR_EC_IABT_LOW;
    uint64_t mode = f->spsr & SPSR_MODE_MASK;
    bool from_el0 = mode == SPSR_EL0T;
    uint64_t ec = from_el0 ? (iabt ? ESR_EC_IABT_LOW : ESR_EC_DABT_LOW)
                           : (iabt ? ESR_EC_IABT_CUR : ESR_EC_DABT_CUR);
    /* Keep only what describes the access (WnR, cache maintenance). */
    uint64_t iss = (iabt ? 0 : esr & (ESR_WNR | ESR_CM)) | ESR_FSC_SEA;
    /* Vector offsets (Arm ARM D1.10.2): current EL with SP0 0x000, with
     * SPx 0x200, lower EL using AArch64 0x400. */
    uint64_t offset = from_el0 ? 0x400 : mode == SPSR_EL1T ? 0x000 : 0x200;
    uint64_t sctlr = read_sysreg(sctlr_el1);
    uint64_t spsr = SPSR_EL1H | SPSR_DAIF | (f->spsr & SPSR_DIT);

    /* PSTATE on taking an exception to EL1: PAN set unless SCTLR_EL1.SPAN
     * (with FEAT_PAN), SSBS from SCTLR_EL1.DSSBS (with FEAT_SSBS). */
    if (((read_sysreg(id_aa64mmfr1_el1) >> 20) & 0xf) &&
        !(sctlr & SCTLR_EL1_SPAN))
        spsr |= SPSR_PAN;
    if (((read_sysreg(id_aa64pfr1_el1) >> 4) & 0xf) &&
        (sctlr & SCTLR_EL1_DSSBS))
        spsr |= SPSR_SSBS;
    write_sysreg(ec << ESR_EC_SHIFT | ESR_IL | iss, esr_el1);
    write_sysreg(far, far_el1);
    write_sysreg(f->elr, elr_el1);
    write_sysreg(f->spsr, spsr_el1);
    f->elr = read_sysreg(vbar_el1) + offset;
    f->spsr = spsr;
}

static void host_mem_abort(struct hyp_state *h, struct trap_frame *f,
                           uint64_t esr)
{
    uint64_t far = read_sysreg(far_el2);
    uint64_t hpfar = read_sysreg(hpfar_el2);
    uint64_t ipa = hpfar_to_ipa(hpfar) | (far & (PAGE_SIZE - 1));
    int ret = -PGT_EPERM;

    hyp_spin_lock(&h->host_mmu_lock);
    if (ESR_FSC_TYPE(esr) == ESR_FSC_TRANS)
        ret = host_s2_idmap(h, ipa);
    if (ret == 0) {
        hyp_spin_unlock(&h->host_mmu_lock);
        return; /* retry the access */
    }

    h->host_refused++;
    if (h->host_refused <= REPORT_REFUSALS) {
        uart_printf("hyp: host %s at IPA 0x%lx refused (%s): ESR_EL2=0x%lx "
                    "FAR_EL2=0x%lx HPFAR_EL2=0x%lx\n",
                    ESR_EC(esr) == ESR_EC_IABT_LOW ? "instruction fetch"
                    : esr & ESR_WNR                ? "write"
                                                   : "read",
                    ipa, ret == -PGT_EPERM ? "not the host's memory" : "error",
                    esr, far, hpfar);
        if (h->host_refused == REPORT_REFUSALS)
            uart_puts("hyp: (further refusals counted, not printed)\n");
    }
    hyp_spin_unlock(&h->host_mmu_lock);
    inject_host_abort(f, esr, far);
}

/* The host's stage-2 leaf for page @pa: its state for the hypercalls. */
enum host_page_state {
    HOST_PAGE_OWNED,     /* host's alone (mapped or not yet touched) */
    HOST_PAGE_SHARED,    /* host's, shared with the hypervisor */
    HOST_PAGE_NOT_OWNED, /* annotated with another owner */
};

static enum host_page_state host_page_state(struct hyp_state *h, uint64_t pa)
{
    pgt_pte_t pte;
    int level;

    if (pgt_get_leaf(&h->host_s2, pa, &pte, &level) < 0)
        return HOST_PAGE_NOT_OWNED;
    if (!pgt_pte_valid(pte))
        return pgt_pte_owner(pte) ? HOST_PAGE_NOT_OWNED : HOST_PAGE_OWNED;
    if (pgt_leaf_prot(&h->host_s2.geom, PGT_REGIME_S2, h->host_s2.flags, pte) &
        HOST_PAGE_SHARED_OWNED)
        return HOST_PAGE_SHARED;
    return HOST_PAGE_OWNED;
}

/* A host RAM page the host may hand over: aligned, RAM, not ours. */
static bool host_page_ok(struct hyp_state *h, uint64_t pa)
{
    return !(pa & (PAGE_SIZE - 1)) && ram_region(h, pa) &&
           !hyp_owns(h, pa, PAGE_SIZE);
}

/* Whether the hypervisor's stage 1 maps @va: the library's walk and the
 * hardware's (AT S1E2R) must agree, else it is a failed check. */
static bool hyp_s1_maps(struct hyp_state *h, uint64_t va)
{
    uint64_t pa = 0;
    bool walk = pgt_translate(&h->hyp_s1, va, &pa, NULL) == 0;
    uint64_t par = hyp_at_s1e2r(va);
    bool at = !(par & PAR_F);

    if (walk != at || (walk && (par & PAR_PA_MASK) != (pa & PAR_PA_MASK))) {
        uart_printf("hyp: [FAIL] stage 1 at 0x%lx: walk says %d (PA 0x%lx), "
                    "AT says PAR_EL1=0x%lx\n",
                    va, walk, pa, par);
        h->failures++;
    }
    return walk && at;
}

/* Free pages of the hyp pool before the last share: unshare must give
 * back every table page the share took (refcounts right since the
 * hand-over). */
static uint64_t pool_free_before_share;

static int64_t host_share_hyp(struct hyp_state *h, uint64_t pa, uint64_t *out)
{
    int ret;

    if (!host_page_ok(h, pa) || host_page_state(h, pa) != HOST_PAGE_OWNED)
        return -PGT_EPERM;
    /* Host keeps the page, marked shared; the hypervisor borrows it. */
    ret = pgt_s2_map(&h->host_s2, pa, PAGE_SIZE, pa,
                     PGT_PROT_RWX | HOST_PAGE_SHARED_OWNED, NULL,
                     PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
    if (ret < 0)
        return ret;
    pool_free_before_share = hyp_pool_free_pages();
    ret = pgt_hyp_map(&h->hyp_s1, pa, PAGE_SIZE, pa,
                      PGT_PROT_RW | HYP_PAGE_SHARED_BORROWED);
    if (ret < 0) {
        pgt_s2_map(&h->host_s2, pa, PAGE_SIZE, pa, PGT_PROT_RWX, NULL,
                   PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
        return ret;
    }
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)pa;
    *out = *p;
    *p = ~*out;
    uart_printf("hyp: share 0x%lx: host keeps it (SHARED_OWNED), hyp maps it "
                "(SHARED_BORROWED, %lu table pages from the pool), read "
                "0x%lx, wrote 0x%lx\n",
                pa, pool_free_before_share - hyp_pool_free_pages(), *out,
                ~*out);
    return 0;
}

static int64_t host_unshare_hyp(struct hyp_state *h, uint64_t pa)
{
    if (!host_page_ok(h, pa) || host_page_state(h, pa) != HOST_PAGE_SHARED)
        return -PGT_EPERM;
    int64_t n = pgt_hyp_unmap(&h->hyp_s1, pa, PAGE_SIZE);
    if (n != (int64_t)PAGE_SIZE) {
        uart_printf("hyp: [FAIL] unshare 0x%lx: pgt_hyp_unmap gave %ld\n", pa,
                    (long)n);
        h->failures++;
        return n < 0 ? n : -PGT_EFAULT;
    }
    int ret = pgt_s2_map(&h->host_s2, pa, PAGE_SIZE, pa, PGT_PROT_RWX, NULL,
                         PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
    if (ret < 0)
        return ret;
    bool gone = !hyp_s1_maps(h, pa);
    uint64_t free_now = hyp_pool_free_pages();
    uart_printf("hyp: unshare 0x%lx: hyp stage-1 mapping %s (walk and AT "
                "S1E2R); hyp pool %lu free pages, %lu before the share\n",
                pa, gone ? "gone" : "STILL THERE", free_now,
                pool_free_before_share);
    if (!gone)
        h->failures++;
    if (free_now != pool_free_before_share) {
        uart_puts("hyp: [FAIL] unshare did not give the share's table pages "
                  "back\n");
        h->failures++;
    }
    return 0;
}

static int64_t host_donate_hyp(struct hyp_state *h, uint64_t pa)
{
    int ret;

    if (!host_page_ok(h, pa) || host_page_state(h, pa) != HOST_PAGE_OWNED)
        return -PGT_EPERM;
    ret = pgt_hyp_map(&h->hyp_s1, pa, PAGE_SIZE, pa, PGT_PROT_RW);
    if (ret < 0)
        return ret;
    ret = pgt_s2_set_owner(&h->host_s2, pa, PAGE_SIZE, NULL, PKVM_ID_HYP);
    if (ret < 0) {
        pgt_hyp_unmap(&h->hyp_s1, pa, PAGE_SIZE);
        return ret;
    }
    *(volatile uint64_t *)(uintptr_t)pa = HC_DONATE_MAGIC;
    uart_printf("hyp: donate 0x%lx: host stage 2 owner %u, hyp maps it RW\n",
                pa, PKVM_ID_HYP);
    return 0;
}

static void __attribute__((noreturn))
host_exit(struct hyp_state *h, uint64_t verdict)
{
    unsigned code = verdict ? 1 : 0;

    uart_printf("hyp: host exits with verdict %lu; %lu host faults mapped, "
                "%lu accesses refused, %u hypervisor check failures (%lu ms "
                "since reset)\n",
                verdict, h->host_faults_mapped, h->host_refused, h->failures,
                hyp_now_ms());
    if (h->failures)
        code = 1;
    uart_printf("pgt-hyp: %s\n", code ? "FAIL" : "PASS");
    hyp_exit(code);
}

static void host_hvc(struct hyp_state *h, struct trap_frame *f)
{
    uint64_t id = f->x[0], a1 = f->x[1], out = 0;
    int64_t ret;

    /* The hypercalls edit the host stage 2 (and the hyp stage 1, whose
     * only other user is boot): one host_mmu_lock section each. */
    if (id == HC_HOST_EXIT)
        host_exit(h, a1);
    hyp_spin_lock(&h->host_mmu_lock);
    switch (id) {
    case HC_HOST_SHARE_HYP:
        ret = host_share_hyp(h, a1, &out);
        f->x[1] = out;
        break;
    case HC_HOST_UNSHARE_HYP:
        ret = host_unshare_hyp(h, a1);
        break;
    case HC_HOST_DONATE_HYP:
        ret = host_donate_hyp(h, a1);
        break;
    case HC_HYP_PROBE:
        f->x[1] = hyp_s1_maps(h, a1);
        ret = 0;
        break;
    case HC_HOST_STATS:
        f->x[1] = h->host_faults_mapped;
        f->x[2] = h->host_refused;
        ret = 0;
        break;
    default:
        ret = -PGT_EINVAL;
        break;
    }
    hyp_spin_unlock(&h->host_mmu_lock);
    f->x[0] = (uint64_t)ret;
}

void host_handle_trap(struct hyp_state *h, struct trap_frame *f)
{
    uint64_t esr = read_sysreg(esr_el2);

    switch (ESR_EC(esr)) {
    case ESR_EC_HVC64:
        host_hvc(h, f); /* ELR already points past the HVC */
        return;
    case ESR_EC_DABT_LOW:
    case ESR_EC_IABT_LOW:
        host_mem_abort(h, f, esr);
        return;
    case ESR_EC_SMC64:
        /* Trapped SMC (HCR_EL2.TSC). The payload reports through
         * HC_HOST_EXIT: its PSCI SYSTEM_OFF ends the run as a failed one. */
        if (!h->linux.enabled && (uint32_t)f->x[0] == PSCI_SYSTEM_OFF) {
            uart_puts("hyp: host PSCI SYSTEM_OFF without a verdict\n");
            host_exit(h, 1);
        }
        psci_handle_smc(h, f);
        return;
    default:
        el2_unexpected(f, VEC_LOW64_SYNC);
    }
}

/* Levels of the host stage 2's leaves, by size, for the statistics. */
static const char *const level_name[PGT_LEVEL_MAX + 1] = {
    "512G", "1G blocks", "2M blocks", "4K pages"};

void host_print_stats(struct hyp_state *h)
{
    uart_printf("[stats] host stage-2 faults mapped: %lu (",
                h->host_faults_mapped);
    for (int i = 0; i < h->nr_cpus || i == 0; i++)
        uart_printf("%scpu%d %lu", i ? ", " : "", i, h->cpu[i].host_faults);
    uart_printf(")\n[stats] host stage 2 mapped on demand:");
    for (int l = 1; l <= PGT_LEVEL_MAX; l++)
        uart_printf(" %lu %s", h->host_mapped_by_level[l], level_name[l]);
    uart_printf("\n[stats] host accesses refused: %lu\n", h->host_refused);
    uart_printf("[stats] pools: hyp %lu pages used of %lu, host stage-2 %lu "
                "used of %lu\n",
                (h->s1_pool.end - h->s1_pool.start) / PAGE_SIZE -
                    hyp_pool_free_pages(),
                (h->s1_pool.end - h->s1_pool.start) / PAGE_SIZE,
                (h->s2_pool.end - h->s2_pool.start) / PAGE_SIZE -
                    host_pool_free_pages(),
                (h->s2_pool.end - h->s2_pool.start) / PAGE_SIZE);
}

/* Every page of @r must still be refused to the host: no valid leaf,
 * owner annotation PKVM_ID_HYP. Returns the pages that are not. */
static uint64_t check_owned(struct hyp_state *h, uint64_t start, uint64_t end)
{
    uint64_t bad = 0;
    for (uint64_t a = start & ~(PAGE_SIZE - 1); a < end; a += PAGE_SIZE) {
        pgt_pte_t pte;
        int level;
        if (pgt_get_leaf(&h->host_s2, a, &pte, &level) < 0 ||
            pgt_pte_valid(pte) || pgt_pte_owner(pte) != PKVM_ID_HYP)
            bad++;
    }
    return bad;
}

unsigned host_s2_check(struct hyp_state *h)
{
    unsigned fails = 0;
    uint64_t pages =
        (h->image.end - h->image.start + h->carveout.end - h->carveout.start) /
        PAGE_SIZE;
    uint64_t bad = check_owned(h, h->image.start, h->image.end) +
                   check_owned(h, h->carveout.start, h->carveout.end);

    for (int i = 0; i < h->linux.nr_refused; i++) {
        bad +=
            check_owned(h, h->linux.refused[i].start, h->linux.refused[i].end);
        pages +=
            (h->linux.refused[i].end - h->linux.refused[i].start) / PAGE_SIZE;
    }
    uart_printf("[check] host stage 2 refuses every hypervisor page and "
                "DMA-capable device: %lu pages checked, %lu not: %s\n",
                pages, bad, bad ? "FAIL" : "ok");
    fails += bad != 0;

    uint64_t tables = pgt_count_table_pages(&h->host_s2);
    uint64_t used = (h->s2_pool.end - h->s2_pool.start) / PAGE_SIZE -
                    host_pool_free_pages();
    uart_printf("[check] host stage-2 table pages %lu, host stage-2 pool "
                "pages in use %lu: %s\n",
                tables, used, tables == used ? "ok" : "FAIL");
    fails += tables != used;
    return fails;
}
