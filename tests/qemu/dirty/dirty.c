// SPDX-License-Identifier: MIT
/*
 * The hardware way of stage-2 dirty logging (FEAT_HAFDBS), checked on
 * qemu-system-aarch64 -cpu max: a guest write to a write-protected leaf
 * that carries DBM must make the CPU set the leaf's S2AP[1] itself, with
 * no fault, and pgt_s2_test_clear_dirty() must then report exactly those
 * leaves and re-arm them.
 *
 * Entered at EL2 (common/start.S). The test builds with the library an
 * EL2 stage 1 (identity: this image, the UART, the guest's memory) and
 * turns its MMU on, then a stage 2 with PGT_S2_HW_DIRTY whose VTCR_EL2
 * comes from pgt_s2_vtcr(). An EL1 guest (guest.S) makes the writes and
 * reads each round lists and returns with HVC. The expected leaves are
 * written out below by hand from the rounds' address lists.
 *
 * Any stage-2 fault the guest takes is counted and resolved the software
 * way (relax_perms(W) for a permission fault, mkyoung for an access-flag
 * fault), so a CPU without the hardware update makes the test fail with
 * its fault counts instead of hanging. The same rounds on a table without
 * PGT_S2_HW_DIRTY (the software way) must take exactly those faults: the
 * check can see them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch.h"
#include "pgtable/pgtable.h"
#include "semihost.h"
#include "trap.h"
#include "uart.h"

#define SZ_4K UINT64_C(0x1000)
#define SZ_2M UINT64_C(0x200000)

/* The logged range: 64 pages at IPA 2 GiB, then two 2 MiB blocks. Their
 * memory is RAM well above this image (QEMU virt: RAM from 1 GiB). */
#define LOG_IPA UINT64_C(0x80000000)
#define LOG_SIZE UINT64_C(0x600000)
#define PAGES_IPA LOG_IPA
#define NR_PAGES 64
#define BLOCKS_IPA UINT64_C(0x80200000)
#define NR_BLOCKS 2
#define LOG_PA UINT64_C(0x44000000)
#define IPA_TO_PA(ipa) ((ipa)-LOG_IPA + LOG_PA)

#define PAGE(n) (PAGES_IPA + (uint64_t)(n)*SZ_4K)
#define BLOCK(n) (BLOCKS_IPA + (uint64_t)(n)*SZ_2M)

/* ---- table pages: a bump arena, counted per 4 KiB page ---- */

#define ARENA_BYTES (256u << 10)
static uint8_t arena[ARENA_BYTES] __attribute__((aligned(SZ_4K * 16)));
static uint16_t refs[ARENA_BYTES / SZ_4K];
static uint64_t arena_next;

static void *zalloc_bytes(uint64_t size, uint64_t align)
{
    uint64_t off = (arena_next + align - 1) & ~(align - 1);
    if (off + size > sizeof(arena))
        return NULL;
    arena_next = off + size;
    for (uint64_t i = 0; i < size; i += 8)
        *(volatile uint64_t *)&arena[off + i] = 0;
    for (uint64_t i = 0; i < size; i += SZ_4K)
        refs[(off + i) / SZ_4K] = 1;
    return &arena[off];
}

static void *t_zalloc_page(void *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    return zalloc_bytes(SZ_4K, SZ_4K);
}

static void *t_zalloc_pages_exact(void *ctx, size_t size)
{
    (void)ctx;
    uint64_t a = SZ_4K;
    while (a < size)
        a <<= 1;
    return zalloc_bytes(size, a);
}

/* Nothing here unmaps: freed pages are simply not reused. */
static void t_free_pages_exact(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    (void)addr;
    (void)size;
}

static uint16_t *ref(void *addr)
{
    return &refs[(uint64_t)((uint8_t *)addr - arena) / SZ_4K];
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

/* ---- TLB maintenance: real instructions for the live stage 2 ---- */

static unsigned tlbi_calls;
/* Cleared only by the control that shows what a missing TLBI does. */
static bool tlbi_enabled = true;

/* The stage-2 entries of one IPA, then the combined stage-1+2 entries of
 * the VMID (they may hold the IPA's translation too). */
static void t_tlbi_va(const struct pgt *p, uint64_t ipa, int level)
{
    (void)p;
    (void)level;
    tlbi_calls++;
    if (!tlbi_enabled)
        return;
    dsb(ishst);
    __asm__ volatile("tlbi ipas2e1is, %0" : : "r"(ipa >> 12) : "memory");
    dsb(ish);
    __asm__ volatile("tlbi vmalle1is" ::: "memory");
    dsb(ish);
    isb();
}

static void t_tlbi_all(const struct pgt *p)
{
    (void)p;
    tlbi_calls++;
    if (!tlbi_enabled)
        return;
    dsb(ishst);
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    isb();
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

/* ---- the guest ---- */

#define MAX_ACCESSES 16
#define WR UINT64_C(1) /* address bit 0: a write */

/* Laid out as guest.S reads it. */
struct guest_cmd {
    uint64_t n, value, sum;
    uint64_t addr[MAX_ACCESSES];
};

static struct guest_cmd cmd __attribute__((aligned(SZ_4K)));

extern char guest_entry[];
void guest_call(void *entry, void *arg);
void __attribute__((noreturn)) guest_exit(void);

/* Stage-2 faults the guest took since the last reset, resolved the
 * software way; their IPAs (page aligned) in order. */
static struct pgt *live;
static unsigned perm_faults, af_faults;
static uint64_t fault_ipa[MAX_ACCESSES];
static unsigned nfault_ipa;

void el2_trap(struct trap_frame *f, unsigned kind)
{
    uint64_t esr = read_sysreg(esr_el2);

    if (kind == VEC_LOW64_SYNC && ESR_EC(esr) == ESR_EC_HVC64)
        guest_exit();
    if (kind == VEC_LOW64_SYNC && ESR_EC(esr) == ESR_EC_DABT_LOW &&
        (ESR_FSC_TYPE(esr) == ESR_FSC_PERM || ESR_FSC_TYPE(esr) == 0x08)) {
        uint64_t ipa = hpfar_to_ipa(read_sysreg(hpfar_el2));
        int ret;
        if (nfault_ipa < MAX_ACCESSES)
            fault_ipa[nfault_ipa++] = ipa;
        if (ESR_FSC_TYPE(esr) == ESR_FSC_PERM) {
            perm_faults++;
            ret = pgt_s2_relax_perms(live, ipa, PGT_PROT_W);
        } else {
            af_faults++;
            ret = pgt_s2_mkyoung(live, ipa);
        }
        if (ret == 0)
            return; /* the eret retries the access */
    }
    el2_unexpected(f, kind);
}

/* ---- checks ---- */

static unsigned checks, failures;

static void check(bool ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
        uart_printf("dirty: [FAIL] %s\n", what);
    }
}

struct span {
    uint64_t addr, size;
};

#define MAX_SPANS 16

struct report {
    struct span s[MAX_SPANS];
    unsigned n;
};

static void record(void *arg, uint64_t addr, uint64_t size)
{
    struct report *r = arg;
    if (r->n < MAX_SPANS)
        r->s[r->n] = (struct span){addr, size};
    r->n++;
}

static bool same_spans(const struct span *a, unsigned na, const struct span *b,
                       unsigned nb)
{
    if (na != nb)
        return false;
    for (unsigned i = 0; i < na; i++)
        if (a[i].addr != b[i].addr || a[i].size != b[i].size)
            return false;
    return true;
}

static void print_spans(const char *what, const struct span *s, unsigned n)
{
    uart_printf("%s", what);
    for (unsigned i = 0; i < n && i < MAX_SPANS; i++)
        uart_printf(" 0x%lx+%s", s[i].addr,
                    s[i].size == SZ_2M ? "2M" : s[i].size == SZ_4K ? "4K" : "?");
    if (!n)
        uart_printf(" none");
}

/* The leaves of the logged range, each once: the pages, then the blocks. */
static struct span leaves[NR_PAGES + NR_BLOCKS];

static void make_leaves(void)
{
    for (unsigned i = 0; i < NR_PAGES; i++)
        leaves[i] = (struct span){PAGE(i), SZ_4K};
    for (unsigned i = 0; i < NR_BLOCKS; i++)
        leaves[NR_PAGES + i] = (struct span){BLOCK(i), SZ_2M};
}

static pgt_pte_t leaf_pte(const struct pgt *t, uint64_t ipa, int *level)
{
    pgt_pte_t pte = 0;
    if (pgt_get_leaf(t, ipa, &pte, level))
        return 0;
    return pte;
}

/* The leaves whose descriptor has S2AP[1] (write permission) set now. */
static unsigned writable_leaves(const struct pgt *t, struct span *out)
{
    unsigned n = 0;
    for (unsigned i = 0; i < NR_PAGES + NR_BLOCKS; i++) {
        int level;
        if ((leaf_pte(t, leaves[i].addr, &level) & PGT_S2_S2AP_W) && n < MAX_SPANS)
            out[n++] = leaves[i];
    }
    return n;
}

/* Every leaf of the range valid, at its level, with DBM (or without, for
 * a table without PGT_S2_HW_DIRTY) and S2AP[1] clear. */
static bool all_clean(const struct pgt *t, bool dbm)
{
    for (unsigned i = 0; i < NR_PAGES + NR_BLOCKS; i++) {
        int level = -9;
        pgt_pte_t pte = leaf_pte(t, leaves[i].addr, &level);
        if (!(pte & PGT_PTE_VALID) || level != (leaves[i].size == SZ_4K ? 3 : 2) ||
            (pte & PGT_S2_S2AP_W) || !!(pte & PGT_PTE_DBM) != dbm)
            return false;
    }
    return true;
}

/* ---- one round: the guest's accesses, then what the tables say ---- */

static uint64_t round_value = 0x1000;

/* Runs the guest over @addr (bit 0: write); checks that every write
 * landed in memory and every read saw what EL2 put there. */
static void run_guest(const char *name, const uint64_t *addr, unsigned n)
{
    uint64_t want_sum = 0, v = round_value;

    /* A round never reads what it writes: each read sees a value put
     * there now. */
    perm_faults = af_faults = nfault_ipa = 0;
    for (unsigned i = 0; i < n; i++)
        if (!(addr[i] & WR)) {
            *(volatile uint64_t *)(uintptr_t)IPA_TO_PA(addr[i]) = 0x5eed0000ull + i;
            want_sum += 0x5eed0000ull + i;
        }
    cmd.n = n;
    cmd.value = round_value;
    for (unsigned i = 0; i < n; i++)
        cmd.addr[i] = addr[i];
    dsb(ish);
    guest_call(guest_entry, &cmd);
    for (unsigned i = 0; i < n; i++) {
        volatile uint64_t *p =
            (volatile uint64_t *)(uintptr_t)IPA_TO_PA(addr[i] & ~WR);
        if (addr[i] & WR) {
            checks++;
            if (*p != v) {
                failures++;
                uart_printf("dirty: [FAIL] %s: guest write to 0x%lx did not "
                            "land (0x%lx, not 0x%lx)\n",
                            name, addr[i] & ~WR, *p, v);
            }
            v++;
        }
    }
    check(cmd.sum == want_sum, "guest reads saw the memory EL2 wrote");
    round_value = v + 0x100;
}

static void count_accesses(const uint64_t *addr, unsigned n, unsigned *w,
                           unsigned *r)
{
    *w = *r = 0;
    for (unsigned i = 0; i < n; i++) {
        if (addr[i] & WR)
            (*w)++;
        else
            (*r)++;
    }
}

/*
 * A round on the hardware-dirty table: the guest's accesses take no
 * fault; the hardware has set S2AP[1] on exactly @want's leaves;
 * test_clear_dirty reports exactly them, in address order, and leaves
 * every leaf writable-clean.
 */
static void hw_round(struct pgt *s2, const char *name, const uint64_t *addr,
                     unsigned n, const struct span *want, unsigned nwant)
{
    struct span hw[MAX_SPANS];
    struct report rep = {.n = 0};
    unsigned w, r, fails = failures;

    count_accesses(addr, n, &w, &r);
    run_guest(name, addr, n);
    uart_printf("[dirty] %s: guest writes %u, reads %u; stage-2 permission "
                "faults %u, access-flag faults %u\n",
                name, w, r, perm_faults, af_faults);
    check(perm_faults == 0 && af_faults == 0,
          "the guest's writes took no stage-2 fault (hardware update)");

    unsigned nhw = writable_leaves(s2, hw);
    print_spans("[dirty]   S2AP[1] set by the hardware:", hw, nhw);
    bool hw_ok = same_spans(hw, nhw, want, nwant);
    uart_printf(": %s\n", hw_ok ? "the written leaves" : "NOT the written leaves");
    check(hw_ok, "hardware set S2AP[1] on exactly the written leaves");

    tlbi_calls = 0;
    int64_t got = pgt_s2_test_clear_dirty(s2, LOG_IPA, LOG_SIZE, record, &rep);
    print_spans("[dirty]   pgt_s2_test_clear_dirty:", rep.s, rep.n);
    bool rep_ok = got == nwant && same_spans(rep.s, rep.n, want, nwant);
    uart_printf(" (returned %ld, %u TLB-hook calls): %s\n", (long)got,
                tlbi_calls, rep_ok ? "as written" : "NOT as written");
    check(rep_ok, "test_clear_dirty reports exactly the written leaves");
    bool clean = all_clean(s2, true);
    check(clean, "every leaf writable-clean (DBM, S2AP[1] clear) after it");
    uart_printf("[dirty] %s: every leaf writable-clean again: %s\n", name,
                clean && failures == fails ? "ok" : "FAILED");
}

/* ---- the tables ---- */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static uint64_t sym(const char *p)
{
    return (uint64_t)(uintptr_t)p;
}

static void must(int ret, const char *what)
{
    if (ret) {
        uart_printf("dirty: [FAIL] %s: %d (%s)\n", what, ret,
                    pgt_strerror(ret));
        uart_puts("dirty: FAIL\n");
        semihost_exit(1);
    }
}

/* The hypervisor's own stage 1: identity, so the library's table writes
 * and its compare-and-swap run on Normal memory as they would in a real
 * hypervisor. */
static void el2_mmu_on(void)
{
    static struct pgt hyp;
    const struct {
        uint64_t start, end;
        enum pgt_prot prot;
    } ident[] = {
        {sym(__text_start), sym(__text_end), PGT_PROT_RX},
        {sym(__rodata_start), sym(__rodata_end), PGT_PROT_R},
        {sym(__data_start), sym(__data_end), PGT_PROT_RW},
        {UART_BASE, UART_BASE + UART_SIZE, PGT_PROT_RW | PGT_PROT_DEVICE},
        {LOG_PA, LOG_PA + LOG_SIZE, PGT_PROT_RW},
    };

    must(pgt_hyp_init(&hyp, 39, PGT_GRANULE_4K, &mm, NULL), "pgt_hyp_init");
    for (unsigned i = 0; i < sizeof(ident) / sizeof(ident[0]); i++)
        must(pgt_hyp_map(&hyp, ident[i].start, ident[i].end - ident[i].start,
                         ident[i].start, ident[i].prot),
             "pgt_hyp_map");
    write_sysreg(pgt_ttbr_baddr(&hyp), ttbr0_el2);
    write_sysreg(pgt_s1_tcr(&hyp), tcr_el2);
    write_sysreg(PGT_MAIR_VALUE, mair_el2);
    isb();
    __asm__ volatile("tlbi alle2" ::: "memory");
    dsb(nsh);
    isb();
    /* The next fetch is at the same address, which the identity map
     * translates to itself. */
    write_sysreg(SCTLR_EL2_RES1 | SCTLR_M | SCTLR_C | SCTLR_I, sctlr_el2);
    isb();
}

/* A stage 2 with the guest's text and command block (identity) and the
 * logged range mapped writable, then made live with @vmid. */
static void s2_build(struct pgt *s2, uint32_t flags, uint64_t vmid)
{
    struct pgt_s2_cfg cfg = {
        .granule = PGT_GRANULE_4K,
        .ia_bits = 40,
        .oa_bits = 40,
        .start_level = 1,
        .geom_flags = 0,
        .flags = flags,
    };
    const uint32_t f = PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE;

    must(pgt_s2_init(s2, &cfg, &mm, NULL, NULL), "pgt_s2_init");
    must(pgt_s2_map(s2, sym(__text_start), sym(__text_end) - sym(__text_start),
                    sym(__text_start), PGT_PROT_RX, NULL, f),
         "s2 map text");
    must(pgt_s2_map(s2, sym((char *)&cmd), SZ_4K, sym((char *)&cmd),
                    PGT_PROT_RW, NULL, f),
         "s2 map command block");
    must(pgt_s2_map(s2, PAGES_IPA, NR_PAGES * SZ_4K, IPA_TO_PA(PAGES_IPA),
                    PGT_PROT_RW, NULL, f),
         "s2 map pages");
    must(pgt_s2_map(s2, BLOCKS_IPA, NR_BLOCKS * SZ_2M, IPA_TO_PA(BLOCKS_IPA),
                    PGT_PROT_RW, NULL, f),
         "s2 map blocks");
    write_sysreg(pgt_s2_vtcr(s2), vtcr_el2);
    write_sysreg(pgt_ttbr_baddr(s2) | (vmid << 48), vttbr_el2);
    /* EL1&0 stage 1 off: Normal write-back (DC), stage 2 on. */
    write_sysreg(HCR_RW | HCR_DC | HCR_VM, hcr_el2);
    isb();
    __asm__ volatile("tlbi vmalls12e1is" ::: "memory");
    dsb(ish);
    isb();
    live = s2;
}

/* ---- the rounds ---- */

/* Round 1: four pages (one written twice) and the first block written,
 * other pages and the second block read. */
static const uint64_t round1[] = {
    PAGE(0) | WR,       (PAGE(5) + 8) | WR,       (PAGE(6) + 0xff8) | WR,
    PAGE(63) | WR,      (BLOCK(0) + 0x12340) | WR, (PAGE(5) + 0x800) | WR,
    PAGE(1),            PAGE(2) + 0x10,           PAGE(7),
    BLOCK(1) + 0x100000,
};
static const struct span want1[] = {
    {PAGE(0), SZ_4K}, {PAGE(5), SZ_4K}, {PAGE(6), SZ_4K}, {PAGE(63), SZ_4K},
    {BLOCK(0), SZ_2M},
};
/* The first write to each of those leaves, page aligned: where the
 * software way faults. */
static const uint64_t faults1[] = {PAGE(0), PAGE(5), PAGE(6), PAGE(63),
                                   BLOCK(0) + 0x12000};

/* Round 2: leaves written in round 1 are read (they must stay clean) or
 * written again (they must be reported again), others written anew. */
static const uint64_t round2[] = {
    (PAGE(1) + 0x100) | WR, PAGE(5) | WR, (BLOCK(1) + SZ_2M - 8) | WR,
    PAGE(0),              PAGE(63),     BLOCK(0) + 0x12340,
};
static const struct span want2[] = {
    {PAGE(1), SZ_4K}, {PAGE(5), SZ_4K}, {BLOCK(1), SZ_2M},
};

/* Round 3, after every access flag was cleared: one page read, one
 * written. */
static const uint64_t round3[] = {PAGE(2), PAGE(3) | WR};
static const struct span want3[] = {{PAGE(3), SZ_4K}};

#define N(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

static void check_dirty_none(struct pgt *s2, const char *what)
{
    struct report rep = {.n = 0};
    int64_t got = pgt_s2_test_clear_dirty(s2, LOG_IPA, LOG_SIZE, record, &rep);
    check(got == 0 && rep.n == 0, what);
}

/* Clears every access flag of the range; the embedder invalidates (the
 * library does not for the access flag, as KVM). */
static void mkold_all(struct pgt *s2)
{
    check(pgt_s2_test_clear_young(s2, LOG_IPA, LOG_SIZE, true) == 1,
          "test_clear_young finds the range young after the rounds");
    t_tlbi_all(s2);
    int level;
    check(!(leaf_pte(s2, PAGE(2), &level) & PGT_PTE_AF) &&
              !(leaf_pte(s2, BLOCK(0), &level) & PGT_PTE_AF),
          "access flags clear after test_clear_young(mkold)");
}

static bool young(struct pgt *s2, uint64_t ipa, uint64_t size)
{
    return pgt_s2_test_clear_young(s2, ipa, size, false) == 1;
}

static void hw_way(struct pgt *s2)
{
    uint64_t vtcr;

    s2_build(s2, PGT_S2_HW_DIRTY, 1);
    vtcr = read_sysreg(vtcr_el2);
    uart_printf("[dirty] stage 2 with PGT_S2_HW_DIRTY: VTCR_EL2=0x%lx (HA %lu, "
                "HD %lu) VTTBR_EL2=0x%lx\n",
                vtcr, (vtcr >> 21) & 1, (vtcr >> 22) & 1,
                read_sysreg(vttbr_el2));
    check(vtcr == pgt_s2_vtcr(s2) && (vtcr & PGT_VTCR_HA) && (vtcr & PGT_VTCR_HD),
          "VTCR_EL2 from pgt_s2_vtcr() has HA and HD");

    must(pgt_s2_wrprotect(s2, LOG_IPA, LOG_SIZE), "pgt_s2_wrprotect");
    bool clean = all_clean(s2, true);
    check(clean, "wrprotect leaves every leaf writable-clean (DBM kept)");
    check_dirty_none(s2, "nothing dirty right after wrprotect");
    uart_printf("[dirty] wrprotect 0x%lx-0x%lx: %u pages and %u blocks "
                "writable-clean (DBM, S2AP[1] clear): %s\n",
                LOG_IPA, LOG_IPA + LOG_SIZE, NR_PAGES, NR_BLOCKS,
                clean ? "ok" : "FAILED");

    hw_round(s2, "round 1", round1, N(round1), want1, N(want1));
    hw_round(s2, "round 2", round2, N(round2), want2, N(want2));

    /* The access flag (HA): cleared, then set by the hardware on access. */
    mkold_all(s2);
    hw_round(s2, "round 3 (access flags clear)", round3, N(round3), want3,
             N(want3));
    bool y2 = young(s2, PAGE(2), SZ_4K), y3 = young(s2, PAGE(3), SZ_4K);
    bool y4 = young(s2, PAGE(4), SZ_4K), yb = young(s2, BLOCK(0), SZ_2M);
    check(y2 && y3 && !y4 && !yb,
          "hardware set the access flag of exactly the accessed leaves");
    uart_printf("[dirty] access flag (HA): read page %s, written page %s, "
                "untouched page %s, untouched block %s: %s\n",
                y2 ? "young" : "old", y3 ? "young" : "old",
                y4 ? "young" : "old", yb ? "young" : "old",
                y2 && y3 && !y4 && !yb ? "ok" : "FAILED");

    /* Control: re-arming without the TLB invalidation. QEMU keeps the
     * writable translation the first write cached, so the next write goes
     * unseen: the rounds above would have caught a missing TLBI. */
    static const uint64_t once[] = {PAGE(10) | WR};
    struct report rep = {.n = 0};
    run_guest("control", once, 1);
    tlbi_enabled = false;
    int64_t got = pgt_s2_test_clear_dirty(s2, LOG_IPA, LOG_SIZE, record, &rep);
    tlbi_enabled = true;
    run_guest("control", once, 1);
    int level;
    bool unseen = got == 1 && !(leaf_pte(s2, PAGE(10), &level) & PGT_S2_S2AP_W);
    check(unseen && perm_faults == 0,
          "control: without the TLBI the re-armed leaf's next write goes "
          "unseen");
    uart_printf("[dirty] control: re-armed with the TLB hooks doing nothing, "
                "the next write is %s (stale writable TLB entry): %s\n",
                unseen ? "unseen" : "seen", unseen ? "as expected" : "FAILED");
    t_tlbi_all(s2);
}

/* The software way on a table without PGT_S2_HW_DIRTY: the same writes
 * fault, once per leaf, and the fault handler's relax_perms(W) records
 * them; with HA clear, an old leaf's access takes an access-flag fault. */
static void sw_way(struct pgt *s2)
{
    uint64_t vtcr;
    struct report rep = {.n = 0};

    s2_build(s2, 0, 2);
    vtcr = read_sysreg(vtcr_el2);
    check(!(vtcr & (PGT_VTCR_HA | PGT_VTCR_HD)),
          "VTCR_EL2 without HA and HD for a table without PGT_S2_HW_DIRTY");
    check(pgt_s2_test_clear_dirty(s2, LOG_IPA, LOG_SIZE, record, &rep) ==
              -PGT_EINVAL,
          "test_clear_dirty refuses a table without PGT_S2_HW_DIRTY");
    must(pgt_s2_wrprotect(s2, LOG_IPA, LOG_SIZE), "pgt_s2_wrprotect");
    check(all_clean(s2, false), "wrprotect: every leaf read-only, no DBM");

    unsigned w, r;
    count_accesses(round1, N(round1), &w, &r);
    run_guest("software way", round1, N(round1));
    unsigned np = perm_faults;
    bool at = nfault_ipa == N(faults1);
    for (unsigned i = 0; at && i < N(faults1); i++)
        at = (fault_ipa[i] & ~(SZ_4K - 1)) == faults1[i];
    check(np == N(faults1) && af_faults == 0 && at,
          "software way: one permission fault per written leaf, at it");

    mkold_all(s2);
    run_guest("software way", round3, N(round3));
    /* Page 3 is still read-only there: its write then faults for that. */
    unsigned np3 = perm_faults;
    check(af_faults == 2 && np3 == 1,
          "software way: the old leaves' accesses take access-flag faults");
    uart_printf("[dirty] software way (VTCR_EL2=0x%lx, no HA/HD): round 1's "
                "%u writes took %u permission faults at the %u written "
                "leaves; round 3 took %u access-flag faults: %s\n",
                vtcr, w, np, N(want1), af_faults,
                np == N(faults1) && at && af_faults == 2 && np3 == 1
                    ? "as expected"
                    : "FAILED");
}

void __attribute__((noreturn)) boot_main(uint64_t dtb);
void boot_main(uint64_t dtb)
{
    static struct pgt hw, sw;
    uint64_t mmfr1 = read_sysreg(id_aa64mmfr1_el1);
    (void)dtb;

    uart_printf("\n[dirty] stage-2 dirty state on qemu: ID_AA64MMFR1_EL1=0x%lx "
                "(HAFDBS %lu)\n",
                mmfr1, mmfr1 & 0xf);
    if ((mmfr1 & 0xf) < 2) {
        uart_puts("dirty: [FAIL] the CPU has no hardware dirty state "
                  "(FEAT_HAFDBS): run with -cpu max\n");
        semihost_exit(1);
    }
    make_leaves();
    el2_mmu_on();
    hw_way(&hw);
    sw_way(&sw);
    uart_printf("dirty: %s (%u checks)\n", failures ? "FAIL" : "PASS", checks);
    semihost_exit(failures ? 1 : 0);
}
