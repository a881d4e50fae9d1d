// SPDX-License-Identifier: MIT
/*
 * 52-bit output addresses checked by QEMU's walker (-cpu max: FEAT_LPA2,
 * FEAT_LPA, PARange 52 bits). Unicorn 2.0.1 predates FEAT_LPA/LPA2, so the
 * 52-bit encodings are proved here instead (issue 4).
 *
 * Entered at EL2 (common/start.S) with the MMU off. For each granule
 * (4K + LPA2, 16K + LPA2, 64K + LPA) the test builds with the library:
 *   - an EL1&0 stage-1 table, checked with AT S1E1R/S1E1W (stage 2 off);
 *   - an EL2 stage-1 table, checked with AT S1E2R/S1E2W (with the EL2 MMU
 *     on: the table also identity maps this image);
 *   - a stage-2 table, checked with AT S12E1R/S12E1W (EL1 stage 1 off, so
 *     VA == IPA),
 *   - an EL1&0 upper-range (TTBR1) table with a 52-bit VA (T1SZ 12:
 *     FEAT_LPA2 for 4K/16K, FEAT_LVA for 64K), checked with AT S1E1R/W;
 *   - the same upper range as TTBR1_EL2 with HCR_EL2.E2H = 1 (EL2&0),
 *     beside an identity map of this image in TTBR0_EL2, checked with AT
 *     S1E2R/W (the MMU on);
 * mapping a page, a level-2 block and a level-1 (or 0) block to output
 * addresses above 2^48 (OA[51:48] != 0, and OA[51:50] set, which LPA2
 * stores in descriptor bits [9:8]). PAR_EL1 must give the output address
 * the test expects (computed here from its own mapping list, never from the
 * library), or the fault the Arm ARM predicts. The tables themselves are
 * never used for a real access: AT only walks them, and the output
 * addresses need not exist.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "pgtable/pgtable.h"
#include "semihost.h"
#include "trap.h"
#include "uart.h"

#define MAX_TABLE_BYTES (2u << 20)

/* Table pages for one configuration at a time (reset between them). */
static uint8_t arena[MAX_TABLE_BYTES] __attribute__((aligned(65536)));
static uint16_t refs[MAX_TABLE_BYTES / 4096];
static uint64_t arena_next, granule;
static unsigned checked, failures;

static void *zalloc_bytes(uint64_t size, uint64_t align)
{
    uint64_t off = (arena_next + align - 1) & ~(align - 1);
    if (off + size > sizeof(arena))
        return NULL;
    arena_next = off + size;
    for (uint64_t i = 0; i < size; i += 8)
        *(volatile uint64_t *)&arena[off + i] = 0;
    for (uint64_t i = 0; i < size; i += granule)
        refs[(off + i) / 4096] = 1;
    return &arena[off];
}

static void *t_zalloc_page(void *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return zalloc_bytes(granule, granule);
}

static void *t_zalloc_pages_exact(void *ctx, size_t size)
{
    (void)ctx;
    uint64_t a = granule;
    while (a < size)
        a <<= 1;
    return zalloc_bytes(size, a);
}

static void t_free_pages_exact(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    (void)addr;
    (void)size;
}

static uint16_t *ref(void *addr)
{
    uint64_t off = (uint64_t)((uint8_t *)addr - arena) & ~(granule - 1);
    return &refs[off / 4096];
}

static void t_get_page(void *ctx, void *addr)
{
    (void)ctx;
    (*ref(addr))++;
}

static void t_put_page(void *ctx, void *addr)
{
    (void)ctx;
    (*ref(addr))--;
}

static int t_page_count(void *ctx, void *addr)
{
    (void)ctx;
    return *ref(addr);
}

static void *t_phys_to_virt(void *ctx, uint64_t pa)
{
    (void)ctx;
    return (void *)(uintptr_t)pa;
}

static uint64_t t_virt_to_phys(void *ctx, void *va)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)va;
}

/* The tables are not live while they are built: invalidating everything
 * before each AT batch is enough. */
static void t_tlbi_va(const struct pgt *p, uint64_t a, int l)
{
    (void)p;
    (void)a;
    (void)l;
}

static void t_tlbi_all(const struct pgt *p)
{
    (void)p;
}

static const struct pgt_mm_ops mm = {
    .zalloc_page = t_zalloc_page,
    .zalloc_pages_exact = t_zalloc_pages_exact,
    .free_pages_exact = t_free_pages_exact,
    .get_page = t_get_page,
    .put_page = t_put_page,
    .page_count = t_page_count,
    .phys_to_virt = t_phys_to_virt,
    .virt_to_phys = t_virt_to_phys,
    .tlbi_va = t_tlbi_va,
    .tlbi_all = t_tlbi_all,
};

struct mapping {
    uint64_t va, pa, size;
    int level; /* level the leaf must sit at (Arm ARM block sizes) */
    bool writable;
};

struct config {
    const char *name;
    enum pgt_granule g;
    uint32_t ia_bits;
    uint32_t geom_flags;
    int s1_start_level;  /* expected: ceil((ia - g) / (g - 3)) levels */
    int s2_start_level;  /* asked for explicitly */
    int el2_fault_level; /* where EL2_UNMAPPED's walk stops (see below) */
    struct mapping map[3];
};

/*
 * Output addresses all have OA[51:48] != 0; the pages and level-2 blocks
 * have OA[51:50] = 0b11 or 0b10. Sizes: 4K granule: page 4K, level 2
 * 2M, level 1 1G; 16K: 16K, 32M, 64G (level 1 blocks need LPA2); 64K:
 * 64K, 512M, 4T (level 1 blocks need 52-bit OA).
 */
static const struct config configs[] = {
    {"4K+LPA2 52-bit VA/IPA",
     PGT_GRANULE_4K,
     52,
     PGT_GEOM_LPA2,
     -1,
     -1,
     0,
     {{0x000812345678a000ull, 0x000c000040003000ull, 0x1000, 3, true},
      {0x0008123456c00000ull, 0x0009000080200000ull, 0x200000, 2, false},
      {0x0008124000000000ull, 0x000a8000c0000000ull, 0x40000000, 1, true}}},
    /* Same maps, stage 2 rooted at level 0: 16 concatenated pages. */
    {"4K+LPA2 52-bit VA/IPA",
     PGT_GRANULE_4K,
     52,
     PGT_GEOM_LPA2,
     -1,
     0,
     0,
     {{0x000812345678a000ull, 0x000c000040003000ull, 0x1000, 3, true},
      {0x0008123456c00000ull, 0x0009000080200000ull, 0x200000, 2, false},
      {0x0008124000000000ull, 0x000a8000c0000000ull, 0x40000000, 1, true}}},
    {"16K+LPA2 48-bit VA/IPA",
     PGT_GRANULE_16K,
     48,
     PGT_GEOM_LPA2,
     0,
     1,
     1,
     {{0x0000812345678000ull, 0x000c00004000c000ull, 0x4000, 3, true},
      {0x0000812346000000ull, 0x0008000082000000ull, 0x2000000, 2, false},
      {0x0000834000000000ull, 0x0005001000000000ull, 0x1000000000ull, 1,
       true}}},
    {"64K+LPA 52-bit VA/IPA",
     PGT_GRANULE_64K,
     52,
     0,
     1,
     1,
     1,
     {{0x0008123456780000ull, 0x000f000040030000ull, 0x10000, 3, true},
      {0x0008123460000000ull, 0x000b0000a0000000ull, 0x20000000, 2, false},
      {0x0008840000000000ull, 0x000e040000000000ull, 0x40000000000ull, 1,
       true}}},
};

static uint64_t at(unsigned kind, uint64_t va)
{
    switch (kind) {
    case 0:
        __asm__ volatile("at s1e1r, %0" : : "r"(va));
        break;
    case 1:
        __asm__ volatile("at s1e1w, %0" : : "r"(va));
        break;
    case 2:
        __asm__ volatile("at s12e1r, %0" : : "r"(va));
        break;
    case 3:
        __asm__ volatile("at s12e1w, %0" : : "r"(va));
        break;
    case 4:
        __asm__ volatile("at s1e2r, %0" : : "r"(va));
        break;
    default:
        __asm__ volatile("at s1e2w, %0" : : "r"(va));
        break;
    }
    isb();
    return read_sysreg(par_el1);
}

enum at_kind { AT_S1E1R, AT_S1E1W, AT_S12E1R, AT_S12E1W, AT_S1E2R, AT_S1E2W };
static const char *const at_name[6] = {"S1E1R",  "S1E1W", "S12E1R",
                                       "S12E1W", "S1E2R", "S1E2W"};

/* FST for a fault at @level (D19.2.100 PAR_EL1, and the DFSC table):
 * translation 0b0001LL, permission 0b0011LL; level -1 translation is
 * 0b101011 (FEAT_LPA2). */
static uint64_t fst_translation(int level)
{
    return level < 0 ? 0x2b : 0x04 | (uint64_t)level;
}

static uint64_t fst_permission(int level)
{
    return 0x0c | (uint64_t)level;
}

static void expect_pa(const struct config *c, unsigned kind, uint64_t va,
                      uint64_t pa, bool s1)
{
    uint64_t par = at(kind, va);
    bool ok = !(par & PAR_F) && (par & PAR_PA_MASK) == (pa & PAR_PA_MASK);
    /* Stage 1 maps Normal WB (MAIR index 0 = 0xff), inner shareable. */
    if (s1)
        ok = ok && PAR_ATTR(par) == 0xff && PAR_SH(par) == 3;
    checked++;
    if (!ok) {
        failures++;
        uart_printf("lpa2: [FAIL] %s %s VA 0x%lx: PAR_EL1=0x%lx, expected "
                    "PA 0x%lx\n",
                    c->name, at_name[kind], va, par,
                    (uint64_t)(pa & PAR_PA_MASK));
    }
}

static void expect_fault(const struct config *c, unsigned kind, uint64_t va,
                         uint64_t fst, bool stage2)
{
    uint64_t par = at(kind, va);
    bool ok = (par & PAR_F) && PAR_FST(par) == fst && !!(par & PAR_S) == stage2;
    checked++;
    if (!ok) {
        failures++;
        uart_printf("lpa2: [FAIL] %s %s VA 0x%lx: PAR_EL1=0x%lx, expected a "
                    "fault FST 0x%lx%s\n",
                    c->name, at_name[kind], va, par, fst,
                    stage2 ? " at stage 2" : "");
    }
}

/* An address whose root entry is empty: the walk faults at the start
 * level (level -1 gives the FEAT_LPA2 code 0x2b). */
#define UNMAPPED_IN_ROOT 0x10000000ull

/* Every mapping: its first, a middle and its last 4K (PAR has PA[51:12],
 * so 4K steps inside a 16K/64K page are checked too), read and write; the
 * granule after the page, which must fault at level 3; and an address
 * whose root entry is empty, which must fault at the start level. */
static void check_range(const struct config *c, unsigned r, unsigned w,
                        bool s2, uint64_t base, uint64_t unmapped,
                        int unmapped_level)
{
    for (int i = 0; i < 3; i++) {
        const struct mapping *m = &c->map[i];
        uint64_t va = base + m->va;
        /* first 4K, an odd 4K in the middle, last 4K */
        uint64_t mid = m->size > 0x1000 ? (m->size / 2) | 0x1000 : 0;
        uint64_t offs[3] = {0, mid, m->size - 0x1000};
        for (int k = 0; k < 3; k++) {
            expect_pa(c, r, va + offs[k], m->pa + offs[k], !s2);
            if (m->writable)
                expect_pa(c, w, va + offs[k], m->pa + offs[k], !s2);
            else
                expect_fault(c, w, va + offs[k], fst_permission(m->level),
                             s2);
        }
    }
    expect_fault(c, r, base + c->map[0].va + c->map[0].size,
                 fst_translation(3), s2);
    expect_fault(c, r, base + unmapped, fst_translation(unmapped_level), s2);
}

static void check_mappings(const struct config *c, unsigned r, unsigned w,
                           bool s2, uint64_t unmapped, int unmapped_level)
{
    check_range(c, r, w, s2, 0, unmapped, unmapped_level);
}

static enum pgt_prot prot_of(const struct mapping *m, bool s2)
{
    enum pgt_prot p = PGT_PROT_R;
    if (m->writable)
        p |= PGT_PROT_W;
    (void)s2;
    return p;
}

static void tlb_flush(void)
{
    dsb(ishst);
    __asm__ volatile("tlbi vmalls12e1" ::: "memory");
    __asm__ volatile("tlbi alle1" ::: "memory");
    dsb(nsh);
    isb();
}

static void run_s1(const struct config *c)
{
    struct pgt t;
    int ret;

    arena_next = 0;
    granule = 1ull << c->g;
    ret = pgt_s1_init(&t, PGT_REGIME_EL10, c->ia_bits, c->g, 52, c->geom_flags,
                      &mm, NULL);
    if (ret < 0) {
        uart_printf("lpa2: [FAIL] %s: pgt_s1_init %d\n", c->name, ret);
        failures++;
        return;
    }
    if (t.geom.start_level != c->s1_start_level) {
        uart_printf("lpa2: [FAIL] %s: stage-1 start level %d, Arm ARM says "
                    "%d\n",
                    c->name, t.geom.start_level, c->s1_start_level);
        failures++;
    }
    for (int i = 0; i < 3; i++) {
        const struct mapping *m = &c->map[i];
        ret = pgt_hyp_map(&t, m->va, m->size, m->pa, prot_of(m, false));
        if (ret < 0) {
            uart_printf("lpa2: [FAIL] %s: map 0x%lx -> 0x%lx: %d\n", c->name,
                        m->va, m->pa, ret);
            failures++;
            return;
        }
    }
    /* EL1&0 regime, stage 2 off: AT S1E1x gives the PA directly. */
    write_sysreg(HCR_RW, hcr_el2);
    write_sysreg(pgt_ttbr_baddr(&t), ttbr0_el1);
    write_sysreg(pgt_s1_tcr(&t), tcr_el1);
    write_sysreg(PGT_MAIR_VALUE, mair_el1);
    write_sysreg(SCTLR_EL1_RES1 | SCTLR_M, sctlr_el1);
    isb();
    tlb_flush();
    unsigned before = checked, fails = failures;
    check_mappings(c, AT_S1E1R, AT_S1E1W, false, UNMAPPED_IN_ROOT,
                   c->s1_start_level);
    uart_printf("[lpa2] stage 1 %s: start level %d, TTBR0_EL1=0x%lx "
                "TCR_EL1=0x%lx: %u ATs %s\n",
                c->name, t.geom.start_level, read_sysreg(ttbr0_el1),
                read_sysreg(tcr_el1), checked - before,
                failures == fails ? "match" : "MISMATCH");
    write_sysreg(SCTLR_EL1_RES1, sctlr_el1);
    isb();
}

static void run_s2(const struct config *c)
{
    struct pgt t;
    struct pgt_s2_cfg cfg = {
        .granule = c->g,
        .ia_bits = c->ia_bits,
        .oa_bits = 52,
        .start_level = c->s2_start_level,
        .geom_flags = c->geom_flags,
        .flags = 0,
    };
    int ret;

    arena_next = 0;
    granule = 1ull << c->g;
    ret = pgt_s2_init(&t, &cfg, &mm, NULL, NULL);
    if (ret < 0) {
        uart_printf("lpa2: [FAIL] %s: pgt_s2_init (start level %d) %d\n",
                    c->name, c->s2_start_level, ret);
        failures++;
        return;
    }
    for (int i = 0; i < 3; i++) {
        const struct mapping *m = &c->map[i];
        ret = pgt_s2_map(&t, m->va, m->size, m->pa, prot_of(m, true), NULL,
                         PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE);
        if (ret < 0) {
            uart_printf("lpa2: [FAIL] %s: s2 map 0x%lx -> 0x%lx: %d\n", c->name,
                        m->va, m->pa, ret);
            failures++;
            return;
        }
    }
    /* EL1 stage 1 off (VA == IPA), stage 2 on. */
    write_sysreg(SCTLR_EL1_RES1, sctlr_el1);
    write_sysreg(pgt_s2_vtcr(&t), vtcr_el2);
    write_sysreg(pgt_ttbr_baddr(&t), vttbr_el2);
    write_sysreg(HCR_RW | HCR_VM, hcr_el2);
    isb();
    tlb_flush();
    unsigned before = checked, fails = failures;
    check_mappings(c, AT_S12E1R, AT_S12E1W, true, UNMAPPED_IN_ROOT,
                   c->s2_start_level);
    uart_printf("[lpa2] stage 2 %s: start level %d x%u, VTTBR_EL2=0x%lx "
                "VTCR_EL2=0x%lx: %u ATs %s\n",
                c->name, t.geom.start_level, t.geom.nr_root_pages,
                read_sysreg(vttbr_el2), read_sysreg(vtcr_el2), checked - before,
                failures == fails ? "match" : "MISMATCH");
    write_sysreg(HCR_RW, hcr_el2);
    isb();
}

/*
 * The EL2 regime (the hypervisor's own stage 1): AT S1E2x walks only with
 * SCTLR_EL2.M set, so the table also identity maps this image (text R-X,
 * rodata R--, data/bss/stacks RW-, UART) and the test turns the MMU on
 * around the checks. The sections are 64 KiB aligned (common/image.ld),
 * which suits every granule.
 *
 * EL2_UNMAPPED shares no table with the mappings below the level given in
 * the config: 4K 52-bit: level -1 entry 0 is the identity map's, level 0
 * index 0x80 is free -> fault at 0; 16K 48-bit: level 0 entry 0 is the
 * identity map's, level 1 index 0x400 is free -> 1; 64K 52-bit: level 1
 * index 0x10 is free -> 1.
 */
#define EL2_UNMAPPED 0x0000400000000000ull

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static uint64_t sym(const char *p)
{
    return (uint64_t)(uintptr_t)p;
}

static void run_el2(const struct config *c)
{
    struct pgt t;
    int ret;
    const struct {
        uint64_t start, end;
        enum pgt_prot prot;
    } ident[] = {
        {sym(__text_start), sym(__text_end), PGT_PROT_RX},
        {sym(__rodata_start), sym(__rodata_end), PGT_PROT_R},
        {sym(__data_start), sym(__data_end), PGT_PROT_RW},
        {UART_BASE, UART_BASE + (1ull << c->g), PGT_PROT_RW | PGT_PROT_DEVICE},
    };

    arena_next = 0;
    granule = 1ull << c->g;
    ret = pgt_s1_init(&t, PGT_REGIME_EL2, c->ia_bits, c->g, 52, c->geom_flags,
                      &mm, NULL);
    for (unsigned i = 0; ret == 0 && i < sizeof(ident) / sizeof(ident[0]); i++)
        ret = pgt_hyp_map(&t, ident[i].start, ident[i].end - ident[i].start,
                          ident[i].start, ident[i].prot);
    for (int i = 0; ret == 0 && i < 3; i++)
        ret = pgt_hyp_map(&t, c->map[i].va, c->map[i].size, c->map[i].pa,
                          prot_of(&c->map[i], false));
    if (ret < 0) {
        uart_printf("lpa2: [FAIL] %s: EL2 table: %d\n", c->name, ret);
        failures++;
        return;
    }
    uint64_t ttbr = pgt_ttbr_baddr(&t), tcr = pgt_s1_tcr(&t);

    /* MMU on: the next instruction is fetched at the same address, which
     * the identity map translates to itself. */
    write_sysreg(ttbr, ttbr0_el2);
    write_sysreg(tcr, tcr_el2);
    write_sysreg(PGT_MAIR_VALUE, mair_el2);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(nsh);
    isb();
    write_sysreg(SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I, sctlr_el2);
    isb();

    unsigned before = checked, fails = failures;
    check_mappings(c, AT_S1E2R, AT_S1E2W, false, EL2_UNMAPPED,
                   c->el2_fault_level);

    write_sysreg(SCTLR_EL2_RES1, sctlr_el2);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(nsh);
    isb();
    uart_printf("[lpa2] stage 1 EL2 %s: start level %d, TTBR0_EL2=0x%lx "
                "TCR_EL2=0x%lx: %u ATs %s\n",
                c->name, t.geom.start_level, ttbr, tcr, checked - before,
                failures == fails ? "match" : "MISMATCH");
}

/*
 * The upper VA range with a 52-bit VA: addresses from 2^64 - 2^52, the
 * root indexed by VA[51:x] as for a lower-range table of the same size,
 * so each mapping of the config sits at UPPER52 + its VA and the start
 * levels are the 52-bit ones (4K: -1, 16K: 0, 64K: 1).
 */
#define UPPER52 0xfff0000000000000ull
#define TTBR1_EL2 "S3_4_C2_C0_1" /* named by number: FEAT_VHE */
#define SCTLR_E2H_RES1 0x30d00800ull /* SCTLR_EL2 with E2H = 1 (EL1 layout) */

/* The granule and how it reaches 52 bits, for the upper-range lines. */
static const char *upper_name(const struct config *c)
{
    return c->g == PGT_GRANULE_4K    ? "4K+LPA2"
           : c->g == PGT_GRANULE_16K ? "16K+LPA2"
                                     : "64K+LVA";
}

static int upper_table(const struct config *c, enum pgt_regime regime,
                       struct pgt *t)
{
    uint32_t flags = PGT_S1_UPPER | (c->geom_flags & PGT_GEOM_LPA2);
    int ret = pgt_s1_init(t, regime, 52, c->g, 52, flags, &mm, NULL);

    if (ret < 0)
        return ret;
    for (int i = 0; ret == 0 && i < 3; i++)
        ret = pgt_s1_map(t, UPPER52 + c->map[i].va, c->map[i].size,
                         c->map[i].pa, prot_of(&c->map[i], false));
    return ret;
}

static void run_s1_upper(const struct config *c)
{
    struct pgt t;
    uint64_t ttbr = 0;
    int ret;

    arena_next = 0;
    granule = 1ull << c->g;
    ret = upper_table(c, PGT_REGIME_EL10, &t);
    if (ret == 0)
        ret = pgt_s1_ttbr(&t, 0, &ttbr);
    if (ret < 0) {
        uart_printf("lpa2: [FAIL] %s: upper-range table: %d\n", upper_name(c),
                    ret);
        failures++;
        return;
    }
    /* TTBR0 walks disabled (EPD0), TTBR1 with T1SZ 12. */
    write_sysreg(HCR_RW, hcr_el2);
    write_sysreg(ttbr, ttbr1_el1);
    write_sysreg(pgt_s1_tcr(&t), tcr_el1);
    write_sysreg(pgt_s1_mair(), mair_el1);
    write_sysreg(SCTLR_EL1_RES1 | SCTLR_M, sctlr_el1);
    isb();
    tlb_flush();
    unsigned before = checked, fails = failures;
    check_range(c, AT_S1E1R, AT_S1E1W, false, UPPER52, UNMAPPED_IN_ROOT,
                c->s1_start_level);
    uart_printf("[lpa2] stage 1 upper range 52-bit VA %s: start level %d, "
                "TTBR1_EL1=0x%lx TCR_EL1=0x%lx: %u ATs %s\n",
                upper_name(c), t.geom.start_level, read_sysreg(ttbr1_el1),
                read_sysreg(tcr_el1), checked - before,
                failures == fails ? "match" : "MISMATCH");
    write_sysreg(SCTLR_EL1_RES1, sctlr_el1);
    isb();
}

/* EL2&0: this image identity mapped in TTBR0_EL2 (kernel-style: text
 * executable at EL2 through UXN-only leaves), the upper range in
 * TTBR1_EL2, TCR_EL2 from pgt_s1_tcr_pair(), then E2H = 1 and the MMU
 * on. */
static void run_el20(const struct config *c)
{
    struct pgt lo, up;
    uint64_t ttbr0 = 0, ttbr1 = 0, tcr = 0;
    int ret;
    const struct {
        uint64_t start, end;
        enum pgt_prot prot;
    } ident[] = {
        {sym(__text_start), sym(__text_end), PGT_PROT_RX},
        {sym(__rodata_start), sym(__rodata_end), PGT_PROT_R},
        {sym(__data_start), sym(__data_end), PGT_PROT_RW},
        {UART_BASE, UART_BASE + (1ull << c->g), PGT_PROT_RW | PGT_PROT_DEVICE},
    };

    arena_next = 0;
    granule = 1ull << c->g;
    ret = upper_table(c, PGT_REGIME_EL20, &up);
    if (ret == 0)
        ret = pgt_s1_init(&lo, PGT_REGIME_EL20, 48, c->g, 52,
                          c->geom_flags & PGT_GEOM_LPA2, &mm, NULL);
    for (unsigned i = 0; ret == 0 && i < sizeof(ident) / sizeof(ident[0]); i++)
        ret = pgt_s1_map(&lo, ident[i].start, ident[i].end - ident[i].start,
                         ident[i].start, ident[i].prot);
    if (ret == 0)
        ret = pgt_s1_tcr_pair(&lo, &up, &tcr);
    if (ret == 0)
        ret = pgt_s1_ttbr(&lo, 0, &ttbr0);
    if (ret == 0)
        ret = pgt_s1_ttbr(&up, 0, &ttbr1);
    if (ret < 0) {
        uart_printf("lpa2: [FAIL] %s: EL2&0 tables: %d\n", upper_name(c), ret);
        failures++;
        return;
    }
    write_sysreg(ttbr0, ttbr0_el2);
    __asm__ volatile("msr " TTBR1_EL2 ", %0" : : "r"(ttbr1));
    write_sysreg(tcr, tcr_el2);
    write_sysreg(pgt_s1_mair(), mair_el2);
    write_sysreg(HCR_RW | HCR_E2H, hcr_el2);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(nsh);
    isb();
    write_sysreg(SCTLR_E2H_RES1 | SCTLR_M | SCTLR_C | SCTLR_I, sctlr_el2);
    isb();

    unsigned before = checked, fails = failures;
    check_range(c, AT_S1E2R, AT_S1E2W, false, UPPER52, UNMAPPED_IN_ROOT,
                c->s1_start_level);

    write_sysreg(SCTLR_E2H_RES1, sctlr_el2);
    isb();
    write_sysreg(HCR_RW, hcr_el2);
    write_sysreg(SCTLR_EL2_RES1, sctlr_el2);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(nsh);
    isb();
    uart_printf("[lpa2] stage 1 EL2&0 upper range 52-bit VA %s: start level "
                "%d, TCR_EL2=0x%lx: %u ATs %s\n",
                upper_name(c), up.geom.start_level, tcr, checked - before,
                failures == fails ? "match" : "MISMATCH");
}

void __attribute__((noreturn)) boot_main(uint64_t dtb);
void boot_main(uint64_t dtb)
{
    uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
    (void)dtb;

    uart_printf("\n[lpa2] 52-bit output addresses on qemu: "
                "ID_AA64MMFR0_EL1=0x%lx (PARange %lu)\n",
                mmfr0, mmfr0 & 0xf);
    if ((mmfr0 & 0xf) != 6) {
        uart_puts("lpa2: [FAIL] the CPU has no 52-bit PA: run with -cpu max\n");
        semihost_exit(1);
    }
    for (unsigned i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        run_s1(&configs[i]);
        run_s2(&configs[i]);
        run_el2(&configs[i]);
        if (configs[i].s2_start_level == -1)
            continue; /* the same stage-1 table as the config after it */
        run_s1_upper(&configs[i]);
        run_el20(&configs[i]);
    }
    uart_printf("lpa2: %s (%u translations checked)\n",
                failures ? "FAIL" : "PASS", checked);
    semihost_exit(failures ? 1 : 0);
}
