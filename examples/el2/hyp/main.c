// SPDX-License-Identifier: MIT
/*
 * pgt-hyp: a small nVHE hypervisor that boots the pKVM way with libpgtable.
 *
 *   boot_main()      at EL2, MMU off, on the boot stack:
 *     1. early boot: CurrentEL, HCR_EL2 (nVHE host), SCTLR_EL2, VBAR_EL2
 *     2. RAM from the DTB; the carve-out sized by the library's reservation
 *        arithmetic, at the top of RAM
 *     3. early allocator over the carve-out's stage-1 part; the hyp stage 1
 *        built with the library (text RX, rodata R, data/stacks RW XN,
 *        UART device, the switch page identity mapped)
 *     4. hyp_switch_pgd(): MMU off, TTBR0/TCR/MAIR_EL2, MMU on, new stack
 *   hyp_finalise()   at EL2 with the hypervisor's own stage 1:
 *     5. vmemmap backed; hyp_pool over the carve-out; early tables handed
 *        over (refcounts); host stage 2: an identity map, filled lazily,
 *        with the hypervisor's memory owned by it; VTCR/VTTBR/HCR.VM
 *     6. eret to the EL1 host payload
 *   el2_trap()       every exception from the host afterwards (host.c).
 *
 * Every step prints a "[step] ..." line that tests/qemu/run_el2.py checks.
 */
#include "hyp.h"

#include <stdarg.h>

#include "arch.h"
#include "hypercall.h"
#include "semihost.h"
#include "uart.h"

/* Where QEMU's virt machine leaves the DTB for a bare-metal image. */
#define QEMU_VIRT_DTB 0x40000000ull

struct hyp_state hyp;

void hyp_exit(unsigned code)
{
    semihost_exit(code);
}

void hyp_fail(const char *fmt, ...)
{
    va_list ap;

    uart_printf("pgt-hyp: FAIL: ");
    va_start(ap, fmt);
    uart_vprintf(fmt, ap);
    va_end(ap);
    uart_printf("\n");
    hyp_exit(1);
}

static void __attribute__((noreturn)) hyp_panic(const char *what, long err)
{
    uart_printf("hyp: PANIC: %s (error %ld)\n", what, err);
    hyp_exit(1);
}

#define CHECK(expr, what)                                                      \
    do {                                                                       \
        long __r = (long)(expr);                                               \
        if (__r < 0)                                                           \
            hyp_panic(what, __r);                                              \
    } while (0)

/* Milliseconds since reset on the generic timer (QEMU starts it at 0). */
uint64_t hyp_now_ms(void)
{
    return read_sysreg(cntpct_el0) * 1000 / read_sysreg(cntfrq_el0);
}

static uint64_t sym(const char *s)
{
    return (uint64_t)(uintptr_t)s;
}

uint64_t hyp_at_s1e2r(uint64_t va)
{
    __asm__ volatile("at s1e2r, %0" : : "r"(va));
    isb();
    return read_sysreg(par_el1);
}

/* Clean and invalidate [start, end) to the point of coherency, by line. */
static void dcache_clean_inval(uint64_t start, uint64_t end)
{
    uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);

    for (uint64_t a = start & ~(line - 1); a < end; a += line)
        __asm__ volatile("dc civac, %0" : : "r"(a) : "memory");
    dsb(sy);
}

static void early_boot(uint64_t dtb)
{
    uint64_t el = CURRENTEL_EL(read_sysreg(CurrentEL));

    uart_printf("\n[boot] pgt-hyp entered at EL%lu, DTB at 0x%lx\n", el, dtb);
    /* nVHE: E2H=0, TGE=0, EL1 is AArch64, SMC from EL1 trapped. VM comes
     * later, with the host stage 2. */
    write_sysreg(HCR_HOST_NVHE, hcr_el2);
    /* FP/SIMD not trapped at EL2 (CPTR_EL2 resets to an unknown value):
     * Debian's libfdt.a, which the boot links, uses those registers. SVE
     * and SME stay trapped until el2_setup_for_host(). */
    write_sysreg(CPTR_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TSM, cptr_el2);
    isb();
    uart_printf("[boot] nVHE: HCR_EL2=0x%lx SCTLR_EL2=0x%lx (MMU off) "
                "VBAR_EL2=0x%lx\n",
                read_sysreg(hcr_el2), read_sysreg(sctlr_el2),
                read_sysreg(vbar_el2));
}

static void read_memory(struct hyp_state *h)
{
    int nr =
        dtb_memory((const void *)(uintptr_t)h->dtb, h->ram, MAX_RAM_REGIONS);
    if (nr <= 0 || nr > MAX_RAM_REGIONS)
        hyp_panic("no usable memory node in the DTB", nr);
    h->nr_ram = nr;
    for (int i = 0; i < nr; i++)
        uart_printf("[dtb] memory: 0x%lx-0x%lx (%lu MiB)\n", h->ram[i].base,
                    h->ram[i].base + h->ram[i].size, h->ram[i].size >> 20);
}

/*
 * The carve-out: the library's worst-case page counts (vmemmap, hyp stage-1
 * tables, host stage-2 tables) at the top of the last RAM region, split in
 * pKVM's order.
 */
static void reserve(struct hyp_state *h)
{
    uint64_t vm_pages, s1_pages, s2_pages;
    uint64_t pages = hyp_mem_reserve_pages(h, &vm_pages, &s1_pages, &s2_pages);
    const struct dtb_region *top = &h->ram[h->nr_ram - 1];
    uint64_t end = (top->base + top->size) & ~(PAGE_SIZE - 1);
    uint64_t start = end - pages * PAGE_SIZE;

    if (start < top->base || start < sym(__hyp_end))
        hyp_panic("RAM too small for the carve-out", -PGT_ENOMEM);
    h->image = (struct range){sym(__hyp_start), sym(__hyp_end)};
    h->carveout = (struct range){start, end};
    h->vmemmap = (struct range){start, start + vm_pages * PAGE_SIZE};
    h->s1_pool =
        (struct range){h->vmemmap.end, h->vmemmap.end + s1_pages * PAGE_SIZE};
    h->s2_pool =
        (struct range){h->s1_pool.end, h->s1_pool.end + s2_pages * PAGE_SIZE};
    uart_printf("[reserve] vmemmap %lu + hyp stage-1 %lu + host stage-2 %lu "
                "pages = %lu pages\n",
                vm_pages, s1_pages, s2_pages, pages);
    uart_printf("[reserve] carve-out 0x%lx-0x%lx; image 0x%lx-0x%lx\n",
                h->carveout.start, h->carveout.end, h->image.start,
                h->image.end);
}

static void map_or_panic(struct pgt *t, uint64_t va, uint64_t size, uint64_t pa,
                         enum pgt_prot prot, const char *what)
{
    int ret = pgt_hyp_map(t, va, size, pa, prot);
    if (ret < 0)
        hyp_panic(what, ret);
    uart_printf("[s1]   %-8s 0x%lx-0x%lx %s\n", what, va, va + size,
                prot & PGT_PROT_DEVICE ? "RW device XN"
                : prot & PGT_PROT_X    ? "R-X"
                : prot & PGT_PROT_W    ? "RW- XN"
                                       : "R-- XN");
}

static void build_hyp_s1(struct hyp_state *h)
{
    struct pgt *t = &h->hyp_s1;

    hyp_early_init(h);
    CHECK(pgt_hyp_init(t, HYP_VA_BITS, PGT_GRANULE_4K, &hyp_early_mm_ops,
                       hyp_early_mm_ctx),
          "pgt_hyp_init");
    uart_printf("[s1] hyp stage 1: 4K granule, %u-bit VA, start level %d, "
                "tables from the early allocator\n",
                HYP_VA_BITS, t->geom.start_level);
    map_or_panic(t, sym(__text_start), sym(__text_end) - sym(__text_start),
                 sym(__text_start), PGT_PROT_RX, "text");
    /* The page that turns the MMU off and on must translate to itself: it
     * is inside text (already VA == PA), map it again to say so: an
     * identical mapping is accepted and changes nothing. */
    map_or_panic(t, sym(__idmap_text_start),
                 sym(__idmap_text_end) - sym(__idmap_text_start),
                 sym(__idmap_text_start), PGT_PROT_RX, "idmap");
    map_or_panic(t, sym(__rodata_start),
                 sym(__rodata_end) - sym(__rodata_start), sym(__rodata_start),
                 PGT_PROT_R, "rodata");
    /* data, bss and the boot stack; a guard page; the hyp stack. */
    map_or_panic(t, sym(__data_start),
                 sym(__boot_stack_top) - sym(__data_start), sym(__data_start),
                 PGT_PROT_RW, "data");
    map_or_panic(t, sym(__hyp_stack_bottom),
                 sym(__hyp_stack_top) - sym(__hyp_stack_bottom),
                 sym(__hyp_stack_bottom), PGT_PROT_RW, "stack");
    /* The other CPUs' stacks, each above a guard page of its own. */
    hyp_boot_params.stack_top[0] = sym(__hyp_stack_top);
    for (int i = 1; i < HYP_MAX_CPUS; i++) {
        uint64_t top = sym(__cpu_stacks_start) + i * HYP_CPU_STACK_STRIDE;
        int r = pgt_hyp_map(t, top - HYP_CPU_STACK_SIZE, HYP_CPU_STACK_SIZE,
                            top - HYP_CPU_STACK_SIZE, PGT_PROT_RW);
        if (r)
            hyp_panic("mapping a CPU stack", r);
        hyp_boot_params.stack_top[i] = top;
    }
    map_or_panic(t, h->carveout.start, h->carveout.end - h->carveout.start,
                 h->carveout.start, PGT_PROT_RW, "carveout");
    map_or_panic(t, UART_BASE, UART_SIZE, UART_BASE,
                 PGT_PROT_RW | PGT_PROT_DEVICE, "uart");
    uart_printf("[s1] %lu table pages from the early allocator\n",
                hyp_early_used_pages());
}

static void __attribute__((noreturn)) hyp_finalise(void *arg);

void __attribute__((noreturn)) boot_main(uint64_t dtb);
void boot_main(uint64_t dtb)
{
    struct hyp_state *h = &hyp;

    __asm__ volatile("msr tpidr_el2, xzr"); /* the boot CPU is CPU 0 */
    early_boot(dtb);
    if (!dtb_totalsize((const void *)(uintptr_t)dtb)) {
        /* QEMU sets x0 only for Linux kernel images; for an ELF image it
         * leaves the DTB at the start of RAM (docs/system/arm/virt.rst). */
        dtb = QEMU_VIRT_DTB;
        uart_printf("[boot] x0 holds no DTB: using QEMU virt's 0x%lx\n", dtb);
    }
    h->dtb = dtb;
    h->dtb_size = dtb_totalsize((const void *)(uintptr_t)dtb);
    read_memory(h);
    reserve(h);
    build_hyp_s1(h);

    uint64_t ttbr = pgt_ttbr_baddr(&h->hyp_s1);
    uint64_t tcr = pgt_s1_tcr(&h->hyp_s1);
    /* The tables and our data were written with the MMU off
     * (non-cacheable); from now on they are read cacheable: no stale line
     * may shadow them. */
    dcache_clean_inval(h->carveout.start, h->carveout.end);
    dcache_clean_inval(sym(__data_start), sym(__data_end));
    uart_printf("[switch] TTBR0_EL2=0x%lx TCR_EL2=0x%lx MAIR_EL2=0x%lx, "
                "stack 0x%lx\n",
                ttbr, tcr, (uint64_t)PGT_MAIR_VALUE, sym(__hyp_stack_top));
    hyp_switch_pgd(ttbr, tcr, PGT_MAIR_VALUE, sym(__hyp_stack_top),
                   hyp_finalise, h);
}

/* AT S1E2W: PAR_EL1 for a write to @va. */
static uint64_t at_s1e2w(uint64_t va)
{
    __asm__ volatile("at s1e2w, %0" : : "r"(va));
    isb();
    return read_sysreg(par_el1);
}

/* A RET instruction in writable data and in rodata: executing either must
 * take a permission fault (XN; WXN for the writable one). */
#define INSN_RET 0xd65f03c0u
static uint32_t ret_in_data[4] = {INSN_RET};
static const uint32_t ret_in_rodata[4] = {INSN_RET};
static volatile uint64_t expect_exec_fault, exec_faults;

static bool exec_faults_at(uint64_t va)
{
    uint64_t before = exec_faults;

    expect_exec_fault = va;
    __asm__ volatile("blr %0" : : "r"(va) : "x30", "memory");
    expect_exec_fault = 0;
    return exec_faults == before + 1;
}

struct s1_expect {
    const char *what;
    uint64_t va;
    bool r, w;
    uint8_t attr; /* PAR_EL1.ATTR when readable (MAIR byte) */
    uint8_t fst;  /* expected fault status when not readable/writable */
};

/*
 * Ask the hardware what the new stage 1 does: AT S1E2R/W for each kind of
 * mapping, and real instruction fetches from data and rodata. The expected
 * values come from the layout: every hyp region is 64 KiB aligned, too
 * small for a 2 MiB block, so its leaves are level-3 pages and its faults
 * report level 3 (FST 0x0f permission, 0x07 translation).
 */
static void check_hyp_s1(struct hyp_state *h)
{
    uint64_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    const struct s1_expect ex[] = {
        {"text", sym(__text_start), true, false, 0xff, 0x0f},
        {"rodata", sym(__rodata_start), true, false, 0xff, 0x0f},
        {"data", (uint64_t)(uintptr_t)&hyp, true, true, 0xff, 0},
        {"stack", sp & ~(PAGE_SIZE - 1), true, true, 0xff, 0},
        {"guard", sym(__hyp_stack_bottom) - PAGE_SIZE, false, false, 0, 0x07},
        {"carveout", h->carveout.end - PAGE_SIZE, true, true, 0xff, 0},
        {"uart", UART_BASE, true, true, 0x04, 0},
    };
    unsigned bad = 0;

    for (unsigned i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        uint64_t r = hyp_at_s1e2r(ex[i].va), w = at_s1e2w(ex[i].va);
        bool ok_r = ex[i].r
                        ? !(r & PAR_F) &&
                              (r & PAR_PA_MASK) == (ex[i].va & PAR_PA_MASK) &&
                              PAR_ATTR(r) == ex[i].attr
                        : (r & PAR_F) && PAR_FST(r) == ex[i].fst;
        bool ok_w =
            ex[i].w ? !(w & PAR_F) : (w & PAR_F) && PAR_FST(w) == ex[i].fst;
        if (!ok_r || !ok_w) {
            uart_printf("hyp: [FAIL] stage 1 %s 0x%lx: AT S1E2R PAR 0x%lx, "
                        "S1E2W PAR 0x%lx\n",
                        ex[i].what, ex[i].va, r, w);
            bad++;
        }
    }
    if (!exec_faults_at((uint64_t)(uintptr_t)ret_in_data) ||
        !exec_faults_at((uint64_t)(uintptr_t)ret_in_rodata)) {
        uart_puts("hyp: [FAIL] data or rodata is executable\n");
        bad++;
    }
    h->failures += bad;
    uart_printf("[s1] checked by AT S1E2R/W and fetches: text R-X, rodata "
                "R--, data/stack/carve-out RW-, data and rodata XN, guard "
                "page unmapped, UART Device-nGnRE: %s\n",
                bad ? "MISMATCH" : "as built");
}

static void __attribute__((noreturn)) hyp_finalise(void *arg)
{
    struct hyp_state *h = arg;
    uint64_t sp;

    __asm__ volatile("mov %0, sp" : "=r"(sp));
    uart_printf("[switch] MMU on: SCTLR_EL2=0x%lx, running on the hyp stack "
                "(sp=0x%lx)\n",
                read_sysreg(sctlr_el2), sp);
    check_hyp_s1(h);
#ifdef PGT_HYP_CRASH_TEST
    /* Test build: an access the hypervisor does not expect must be
     * reported by the EL2 vectors and stop the machine with status 1. */
    uint64_t guard = sym(__hyp_stack_bottom) - PAGE_SIZE;
    uart_printf("[crash-test] reading the hyp stack's guard page 0x%lx\n",
                guard);
    (void)*(volatile uint64_t *)(uintptr_t)guard;
    uart_puts("hyp: [FAIL] the guard page read did not fault\n");
    semihost_exit(0); /* the test expects 1: this is a failure too */
#endif

    CHECK(hyp_pools_init(h), "hyp_pools_init");
    CHECK(linux_prepare(h), "linux_prepare");
    CHECK(host_s2_init(h), "host_s2_init");
    if (h->linux.enabled)
        linux_enter(h);

    uart_printf("[host] eret to the EL1 host at 0x%lx (%lu ms since reset)\n",
                (uint64_t)HOST_BASE, hyp_now_ms());
    hyp_enter_host(HOST_BASE, h->dtb, h->image.start, h->image.end,
                   h->carveout.start, h->carveout.end);
}

void el2_trap(struct trap_frame *f, unsigned kind)
{
    if (kind == VEC_LOW64_SYNC) {
        host_handle_trap(&hyp, f);
        return;
    }
    /* The instruction aborts check_hyp_s1() provokes: back to the caller. */
    uint64_t esr = read_sysreg(esr_el2);
    if (kind == VEC_CUR_SPX_SYNC && expect_exec_fault &&
        ESR_EC(esr) == ESR_EC_IABT_CUR && ESR_FSC_TYPE(esr) == ESR_FSC_PERM &&
        read_sysreg(far_el2) == expect_exec_fault) {
        exec_faults++;
        expect_exec_fault = 0;
        f->elr = f->x[30];
        return;
    }
    el2_unexpected(f, kind);
}
