// SPDX-License-Identifier: MIT
/*
 * The EL1 host payload: what a deprivileged host kernel would see under
 * pgt-hyp. Runs with its own MMU off (so its addresses are IPAs, and the
 * host stage 2 is an identity map: IPA == PA). Every step prints one line,
 * "host: [ok] ..." or "host: [FAIL] ...", then the host asks the
 * hypervisor to power off with its verdict (HC_HOST_EXIT).
 *
 * Expected values are computed here from the memory map alone (the DTB and
 * the ranges the hypervisor hands over), never read back from the
 * hypervisor's tables.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "dtb_mem.h"
#include "hypercall.h"
#include "trap.h"
#include "uart.h"

#define PAGE_SIZE 4096ull
#define PGT_EPERM 1

extern char __host_end[];

struct range {
    uint64_t start, end;
};

static struct range hyp_image, carveout, dtb, host_image;
static unsigned failures;

/* Set by host_trap for an abort we provoked on purpose. */
static volatile bool expect_abort;
static volatile unsigned aborts;
static volatile uint64_t abort_far, abort_esr;

static uint64_t hvc(uint64_t id, uint64_t a1, uint64_t *r1, uint64_t *r2)
{
    register uint64_t x0 __asm__("x0") = id;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = 0;

    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2) : : "memory");
    if (r1)
        *r1 = x1;
    if (r2)
        *r2 = x2;
    return x0;
}

static void check(bool ok, const char *what)
{
    uart_printf("host: [%s] %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

static void __attribute__((noreturn)) host_exit(unsigned code)
{
    hvc(HC_HOST_EXIT, code, NULL, NULL);
    for (;;)
        __asm__ volatile("wfi");
}

/* EL1 exceptions: only the aborts the host provokes on purpose, which the
 * hypervisor injects back as synchronous external aborts. */
void host_trap(struct trap_frame *f, unsigned kind);
void host_trap(struct trap_frame *f, unsigned kind)
{
    uint64_t esr = read_sysreg(esr_el1);
    uint64_t ec = ESR_EC(esr);

    if (kind == VEC_CUR_SPX_SYNC && expect_abort &&
        (ec == ESR_EC_DABT_CUR || ec == ESR_EC_IABT_CUR)) {
        aborts++;
        abort_far = read_sysreg(far_el1);
        abort_esr = esr;
        expect_abort = false;
        /* A data abort: skip the load/store. An instruction abort (we
         * branched with BLR into hypervisor memory): return to the caller. */
        f->elr = ec == ESR_EC_DABT_CUR ? f->elr + 4 : f->x[30];
        return;
    }
    uart_printf("host: [FAIL] unexpected EL1 exception (vector %u) "
                "ESR_EL1=0x%lx ELR_EL1=0x%lx FAR_EL1=0x%lx\n",
                kind, esr, f->elr, read_sysreg(far_el1));
    host_exit(1);
}

static bool in_range(const struct range *r, uint64_t a)
{
    return a >= r->start && a < r->end;
}

static bool overlaps(const struct range *r, uint64_t s, uint64_t e)
{
    return s < r->end && r->start < e;
}

static bool is_hyp(uint64_t a)
{
    return in_range(&hyp_image, a) || in_range(&carveout, a);
}

static volatile uint64_t *word(uint64_t pa)
{
    return (volatile uint64_t *)(uintptr_t)pa;
}

/* Read one word the host may not touch; true if the read was refused with
 * an abort reporting @pa. */
static bool try_read(uint64_t pa)
{
    unsigned before = aborts;
    expect_abort = true;
    (void)*word(pa);
    expect_abort = false;
    return aborts == before + 1 && abort_far == pa;
}

static bool try_write(uint64_t pa, uint64_t v)
{
    unsigned before = aborts;
    expect_abort = true;
    *word(pa) = v;
    expect_abort = false;
    return aborts == before + 1 && abort_far == pa && (abort_esr & ESR_WNR);
}

static bool try_exec(uint64_t pa)
{
    unsigned before = aborts;
    expect_abort = true;
    __asm__ volatile("blr %0" : : "r"(pa) : "x30", "memory");
    expect_abort = false;
    return aborts == before + 1 && abort_far == pa &&
           ESR_EC(abort_esr) == ESR_EC_IABT_CUR;
}

static void stats(uint64_t *faults, uint64_t *refused)
{
    hvc(HC_HOST_STATS, 0, faults, refused);
}

/*
 * Step 1: touch every page of RAM outside the hypervisor's memory (write,
 * read back, restore), and check that the hypervisor mapped the host's
 * stage 2 lazily with the largest blocks that fit (4K granule: 1 GiB at
 * level 1, 2 MiB at level 2, 4 KiB pages): a block wholly inside RAM and
 * holding no hypervisor page takes one fault; any other block is looked at
 * one level down; at the last level each page takes its own fault. Blocks
 * the host touched before the sweep (the DTB's, its own image's) are
 * mapped already.
 */
static const uint64_t block_size[3] = {1ull << 30, 1ull << 21, PAGE_SIZE};

/* Above this much RAM, a clean block is sampled (its first, last and 14
 * pages between) instead of touched page by page: a whole-page sweep of
 * gigabytes takes QEMU seconds, and one touch maps the block anyway. */
#define FULL_SWEEP_MAX (512ull << 20)
#define SAMPLES_PER_BLOCK 16

struct sweep {
    uint64_t start, end; /* the RAM region */
    bool sample;
    uint64_t pages, bad, expect, per_level[3];
};

/* Touch the host's pages in [b, e); true if any. */
static bool touch_pages(struct sweep *sw, uint64_t b, uint64_t e)
{
    bool touched = false;
    uint64_t step = PAGE_SIZE;

    if (sw->sample && e - b > SAMPLES_PER_BLOCK * PAGE_SIZE)
        step = (e - b) / SAMPLES_PER_BLOCK;
    for (uint64_t p = b; p < e; p += step) {
        if (step != PAGE_SIZE && p + step >= e)
            p = e - PAGE_SIZE; /* the block's last page */
        if (p < sw->start || p >= sw->end || is_hyp(p) ||
            in_range(&host_image, p) || in_range(&dtb, p))
            continue;
        /* Write, read back, restore the page's 9th word. */
        uint64_t a = p + 64, old = *word(a);
        *word(a) = ~a;
        if (*word(a) != ~a)
            sw->bad++;
        *word(a) = old;
        sw->pages++;
        touched = true;
    }
    return touched;
}

static void sweep_block(struct sweep *sw, uint64_t b, int lvl)
{
    uint64_t e = b + block_size[lvl];
    bool clean = b >= sw->start && e <= sw->end &&
                 !overlaps(&hyp_image, b, e) && !overlaps(&carveout, b, e);

    if (!clean && lvl < 2) {
        for (uint64_t c = b; c < e; c += block_size[lvl + 1])
            sweep_block(sw, c, lvl + 1);
        return;
    }
    bool premapped = overlaps(&dtb, b, e) || overlaps(&host_image, b, e);
    if (touch_pages(sw, b, e) && !premapped) {
        sw->expect++;
        sw->per_level[lvl]++;
    }
}

static void ram_sweep(const struct dtb_region *ram, int nr)
{
    struct sweep sw = {0};
    uint64_t f0, f1, r0, total = 0;

    for (int i = 0; i < nr; i++)
        total += ram[i].size;
    sw.sample = total > FULL_SWEEP_MAX;
    stats(&f0, &r0);
    for (int i = 0; i < nr; i++) {
        sw.start = ram[i].base;
        sw.end = ram[i].base + ram[i].size;
        for (uint64_t b = sw.start & ~(block_size[0] - 1); b < sw.end;
             b += block_size[0])
            sweep_block(&sw, b, 0);
    }
    stats(&f1, NULL);
    uart_printf("host: RAM sweep: %lu pages written and read back, %lu bad%s\n",
                sw.pages, sw.bad,
                sw.sample ? " (16 samples per block free of hypervisor pages)"
                          : "");
    check(sw.bad == 0 && sw.pages > 0, "host RAM reads and writes work");
    uart_printf("host: host stage-2 faults during the sweep: %lu (expected %lu"
                ": %lu 1G blocks + %lu 2M blocks + %lu 4K pages beside "
                "hypervisor memory)\n",
                f1 - f0, sw.expect, sw.per_level[0], sw.per_level[1],
                sw.per_level[2]);
    check(f1 - f0 == sw.expect,
          "host stage 2 filled lazily with the largest blocks that fit");
}

/* Step 2: every page of the hypervisor's memory is refused. */
static void hyp_memory_probe(void)
{
    uint64_t total = 0, refused = 0, r0, r1;
    const struct range *rs[2] = {&hyp_image, &carveout};

    stats(NULL, &r0);
    for (int i = 0; i < 2; i++)
        for (uint64_t p = rs[i]->start; p < rs[i]->end; p += PAGE_SIZE) {
            total++;
            refused += try_read(p);
        }
    uart_printf("host: reads of hypervisor memory refused: %lu of %lu pages "
                "(last ESR_EL1=0x%lx FAR_EL1=0x%lx)\n",
                refused, total, abort_esr, abort_far);
    check(total > 0 && refused == total,
          "every hypervisor page faults at stage 2 on read");
    check(try_write(hyp_image.end - PAGE_SIZE, 0xbad) &&
              try_write(carveout.start, 0xbad),
          "writes to hypervisor data and carve-out refused");
    check(try_exec(hyp_image.start),
          "instruction fetch from hypervisor text refused");
    stats(NULL, &r1);
    uart_printf("host: hypervisor counted %lu refused accesses\n", r1 - r0);
    check(r1 - r0 == total + 3, "hypervisor's refusal count matches");
}

static uint64_t share_page[PAGE_SIZE / 8] __attribute__((aligned(4096)));
static uint64_t donate_page[PAGE_SIZE / 8] __attribute__((aligned(4096)));

/* Step 3: share, unshare, donate. */
static void share_donate(void)
{
    uint64_t s = (uint64_t)(uintptr_t)share_page;
    uint64_t d = (uint64_t)(uintptr_t)donate_page;
    uint64_t r1 = 0, mapped = 0;
    const uint64_t magic = 0x5ea4ed0000000000ull | s;

    share_page[0] = magic;
    int64_t ret = (int64_t)hvc(HC_HOST_SHARE_HYP, s, &r1, NULL);
    uart_printf("host: share 0x%lx: ret %ld, hypervisor read 0x%lx\n", s, ret,
                r1);
    check(ret == 0 && r1 == magic, "share: hypervisor reads the host's data");
    check(share_page[0] == ~magic, "share: host reads the hypervisor's write");
    share_page[1] = 42;
    check(share_page[1] == 42, "share: host still writes its page");
    hvc(HC_HYP_PROBE, s, &mapped, NULL);
    check(mapped == 1, "share: page mapped in the hypervisor's stage 1");

    ret = (int64_t)hvc(HC_HOST_SHARE_HYP, hyp_image.start, NULL, NULL);
    check(ret == -PGT_EPERM, "share of a hypervisor page refused (-EPERM)");

    ret = (int64_t)hvc(HC_HOST_UNSHARE_HYP, s, NULL, NULL);
    hvc(HC_HYP_PROBE, s, &mapped, NULL);
    check(ret == 0 && mapped == 0,
          "unshare: hypervisor's stage-1 mapping gone");
    ret = (int64_t)hvc(HC_HOST_UNSHARE_HYP, s, NULL, NULL);
    check(ret == -PGT_EPERM, "unshare of a page not shared refused (-EPERM)");
    share_page[2] = 7;
    check(share_page[2] == 7 && share_page[0] == ~magic,
          "unshare: host keeps its page");

    donate_page[0] = 1;
    ret = (int64_t)hvc(HC_HOST_DONATE_HYP, d, NULL, NULL);
    hvc(HC_HYP_PROBE, d, &mapped, NULL);
    uart_printf("host: donate 0x%lx: ret %ld\n", d, ret);
    check(ret == 0 && mapped == 1,
          "donate: page mapped in the hypervisor's stage 1");
    check(try_read(d) && try_write(d + 8, 1),
          "donate: host access to the donated page refused");
    ret = (int64_t)hvc(HC_HOST_SHARE_HYP, d, NULL, NULL);
    check(ret == -PGT_EPERM, "share of a donated page refused (-EPERM)");
}

/* PSCI through the hypervisor's relay (a trapped SMC): CPU_ON of a CPU the
 * DTB does not list must be refused, not forwarded. */
static void psci_checks(void)
{
    register uint64_t x0 __asm__("x0") = PSCI_CPU_ON_64;
    register uint64_t x1 __asm__("x1") = 0x7; /* -smp 1: only MPIDR 0 */
    register uint64_t x2 __asm__("x2") = HOST_BASE;
    register uint64_t x3 __asm__("x3") = 0;

    __asm__ volatile("smc #0"
                     : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
                     :
                     : "memory");
    check((int64_t)x0 == PSCI_RET_INVALID_PARAMS,
          "PSCI CPU_ON of a CPU that does not exist refused "
          "(INVALID_PARAMETERS)");
}

void host_main(uint64_t dtb_pa, uint64_t hyp_s, uint64_t hyp_e, uint64_t co_s,
               uint64_t co_e);
void host_main(uint64_t dtb_pa, uint64_t hyp_s, uint64_t hyp_e, uint64_t co_s,
               uint64_t co_e)
{
    struct dtb_region ram[4];

    hyp_image = (struct range){hyp_s, hyp_e};
    carveout = (struct range){co_s, co_e};
    host_image = (struct range){HOST_BASE, (uint64_t)(uintptr_t)__host_end};

    uart_printf("host: EL1 host running at 0x%lx, CurrentEL=%lu\n",
                (uint64_t)(uintptr_t)host_main,
                CURRENTEL_EL(read_sysreg(CurrentEL)));
    check(CURRENTEL_EL(read_sysreg(CurrentEL)) == 1, "host runs at EL1");

    uint32_t dtb_size = dtb_totalsize((const void *)(uintptr_t)dtb_pa);
    dtb =
        (struct range){dtb_pa & ~(PAGE_SIZE - 1),
                       (dtb_pa + dtb_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)};
    int nr = dtb_memory((const void *)(uintptr_t)dtb_pa, ram, 4);
    check(nr > 0 && nr <= 4, "host reads the DTB");
    if (nr <= 0 || nr > 4)
        host_exit(1);

    ram_sweep(ram, nr);
    hyp_memory_probe();
    share_donate();
    psci_checks();

    uint64_t faults, refused;
    stats(&faults, &refused);
    uart_printf("host: totals: %lu host stage-2 faults mapped, %lu accesses "
                "refused\n",
                faults, refused);
    uart_printf("host: %s (%u failures), powering off\n",
                failures ? "FAILED" : "all checks passed", failures);
    host_exit(failures ? 1 : 0);
}
