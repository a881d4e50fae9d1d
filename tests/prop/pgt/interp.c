// SPDX-License-Identifier: MIT
/* Operation interpreter for the property tests and fuzzers; see interp.h. */
#define _POSIX_C_SOURCE 200809L /* sigaction */
#include "interp.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "refmodel.h"
#include "test_mm.h"
#include "tlbmodel.h"

#define PA_MAP_BASE (64ull << 30) /* output addresses handed to map */
#define ARENA_PA PI_ARENA_PA      /* fake PA of the table arena */

struct tpage { /* one table page found by the full traversal */
    uint64_t pa;
    int level;
    bool root;
};

struct snap {
    bool taken;
    uint64_t a, b; /* the input range whose tables are held */
    size_t n;
    size_t cap;     /* entries pages and refs hold */
    size_t datacap; /* bytes data holds */
    struct tpage *pages;
    uint8_t *data;
    int32_t *refs;
    long live;
};

struct pred { /* leaves of one level the documentation promises */
    uint64_t addr, end; /* [addr, end): consecutive leaves of that level */
    int level;
};

struct region {
    uint64_t a, b;
};

struct pi {
    struct pi_cfg cfg;
    struct pi_stats *st;
    struct tmm mm;
    struct pgt pgt;
    struct refmodel rm;
    struct tlbm tlb;
    uint64_t rng[2];
    size_t bi;
    bool exhausted;
    unsigned long op;
    char opdesc[200];

    uint64_t page;
    uint32_t gshift;
    uint64_t ia_size;
    int start_level, big_level;
    uint64_t win_base, win_size;
    uint64_t hot[16]; /* level-2 spans where page ranges go */
    unsigned nhot;
    uint64_t sparse[8]; /* lone pages, each in a level-2 span of its own */
    unsigned nsparse;
    bool fwb;
    bool xnx; /* stage 2 with PGT_S2_XNX: PXN/UXN in prots */

    struct tpage *tp;
    size_t ntp, tpcap;
    struct snap snap;
    struct pred *pred;
    size_t npred, predcap;
    struct tpage *pre_tables; /* tables overlapping the op range, pre-op */
    uint64_t *pre_table_va;
    size_t npre_tables, pre_tables_cap;
    struct region extra[64];
    size_t nextra;
    uint64_t ra, rb;          /* pre-op check region of the current op */
    uint64_t inv_start, inv_end; /* compare(): pending invalid run */
    pgt_pte_t inv_pte;
    int inv_level;
};

const char *pi_mode_name(enum pi_mode m)
{
    return m == PI_S2 ? "s2" : m == PI_S2_HOST ? "host" : "hyp";
}

/* ---- failure ---------------------------------------------------------- */

static void header(const struct pi *p)
{
    fprintf(stderr,
            "\n*** prop FAIL: granule %uK mode %s seed %" PRIu64
            " op #%lu: %s\n",
            1u << (p->gshift - 10), pi_mode_name(p->cfg.mode), p->cfg.seed,
            p->op, p->opdesc);
}

static void replay_hint(const struct pi *p)
{
    if (p->cfg.bytes)
        fprintf(stderr, "    replay: run the fuzz target on the crash file\n");
    else
        fprintf(stderr,
                "    replay: PGT_SEED=%" PRIu64 " prop-pgt %uk %s %lu\n",
                p->cfg.seed, 1u << (p->gshift - 10),
                pi_mode_name(p->cfg.mode), p->op);
}

/* An abort() from elsewhere (test_mm's checks, an assert in the library)
 * still says which operation it was, then goes to the previous handler
 * (libFuzzer's, or the default). */
static struct pi *cur_pi;
static bool reported;
static struct sigaction prev_abrt;

static void on_abort(int sig)
{
    if (cur_pi && !reported) {
        reported = true;
        header(cur_pi);
        fprintf(stderr, "    aborted inside the operation (see above)\n");
        replay_hint(cur_pi);
    }
    sigaction(SIGABRT, &prev_abrt, NULL);
    raise(sig);
}

__attribute__((noreturn, format(printf, 2, 3))) static void
fail(struct pi *p, const char *fmt, ...)
{
    va_list ap;
    reported = true;
    header(p);
    fprintf(stderr, "    ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    replay_hint(p);
    abort();
}

static void tlb_report(void *arg, const char *msg)
{
    struct pi *p = arg;
    reported = true;
    header(p);
    fprintf(stderr, "    TLB model: %s\n", msg);
    replay_hint(p);
}

/* ---- choices ---------------------------------------------------------- */

static uint64_t xrand(struct pi *p)
{
    /* xorshift128+ */
    uint64_t s1 = p->rng[0];
    const uint64_t s0 = p->rng[1];
    p->rng[0] = s0;
    s1 ^= s1 << 23;
    p->rng[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return p->rng[1] + s0;
}

/* A choice in [0, n). Fuzz mode reads as many bytes as n needs. */
static uint64_t draw(struct pi *p, uint64_t n)
{
    if (n <= 1)
        return 0;
    if (!p->cfg.bytes)
        return xrand(p) % n;
    uint64_t x = 0;
    for (uint64_t need = n - 1; need; need >>= 8) {
        uint8_t b = 0;
        if (p->bi < p->cfg.nbytes)
            b = p->cfg.bytes[p->bi++];
        else
            p->exhausted = true;
        x = (x << 8) | b;
    }
    return x % n;
}

static bool chance(struct pi *p, unsigned pct)
{
    return draw(p, 100) < pct;
}

/* ---- geometry helpers ------------------------------------------------- */

static uint64_t span(const struct pi *p, int level)
{
    return 1ull << tlbm_shift(&p->pgt, level);
}

static uint64_t align_down(uint64_t x, uint64_t a)
{
    return x & ~(a - 1);
}

static bool is_s2(const struct pi *p)
{
    return p->cfg.mode != PI_HYP;
}

static bool is_host(const struct pi *p)
{
    return p->cfg.mode == PI_S2_HOST;
}

static void walk(struct pi *p, uint64_t addr, struct tlbm_walk_res *r)
{
    if (!tlbm_walk(&p->mm, &p->pgt, addr, r))
        fail(p, "broken table at %#" PRIx64 ": %s (level %d pte %#" PRIx64 ")",
             addr, r->err, r->level, r->pte);
}

/* ---- expected descriptor bits (Arm ARM D8.3, D8.5) --------------------- */

static uint64_t memattr_s2(const struct pi *p, uint32_t prot)
{
    if (prot & PGT_PROT_DEVICE)
        return 0x1; /* Device-nGnRE, same with and without FWB */
    if (prot & PGT_PROT_NORMAL_NC)
        return 0x5; /* Normal Non-cacheable (FWB: 0b0101 too) */
    return p->fwb ? 0x6 : 0xf; /* Normal WB: FWB 0b0110, else 0b1111 */
}

/* Stage-2 XN[1:0] (bits [54:53]); with FEAT_XNX 0b01 forbids execution
 * at EL1 only, 0b11 at EL0 only, 0b10 at both; without it XN is bit 54. */
static uint64_t s2_xn(uint32_t prot)
{
    if (!(prot & PGT_PROT_X))
        return 2;
    if (prot & PGT_PROT_PXN)
        return 1;
    if (prot & PGT_PROT_UXN)
        return 3;
    return 0;
}

static void check_leaf_bits(struct pi *p, uint64_t va, pgt_pte_t pte, int level,
                            const struct rm_val *v)
{
    uint64_t expect_oa = v->pa;
    uint64_t oa = tlbm_oa(&p->pgt, pte) & ~(span(p, level) - 1);
    const char *bad = NULL;
    uint32_t prot = v->prot;

    if (oa != expect_oa)
        bad = "output address";
    else if (((pte >> 1) & 1) != (level == 3))
        bad = "descriptor type (block/page)";
    else if (v->young != RM_YOUNG_UNKNOWN &&
             !!(pte & PGT_PTE_AF) != !!v->young)
        bad = "access flag";
    else if (((pte & PGT_PTE_SW_MASK) >> PGT_PTE_SW_SHIFT) !=
             ((prot & PGT_PROT_SW_MASK) >> PGT_PROT_SW_SHIFT))
        bad = "software bits [58:55]";
    else if (pte & (PGT_PTE_DBM | (0x1full << 59)))
        bad = "DBM/upper bits set";
    else if ((pte & PGT_PTE_CONT) &&
             (!tlbm_cont_entries(&p->pgt, level) || (p->pgt.flags & PGT_NO_CONT)))
        bad = "contiguous bit where the table has no hint";
    else if (is_s2(p)) {
        if (((pte >> 2) & 0xf) != memattr_s2(p, prot))
            bad = "stage-2 MemAttr[5:2]";
        else if (!!(pte & PGT_S2_S2AP_R) != !!(prot & PGT_PROT_R))
            bad = "S2AP read bit";
        else if (!!(pte & PGT_S2_S2AP_W) != !!(prot & PGT_PROT_W))
            bad = "S2AP write bit";
        else if (((pte >> 53) & 3) != s2_xn(prot))
            bad = "stage-2 XN[54:53]";
    } else {
        uint64_t idx = (prot & PGT_PROT_DEVICE)     ? PGT_MAIR_IDX_DEVICE
                       : (prot & PGT_PROT_NORMAL_NC) ? PGT_MAIR_IDX_NORMAL_NC
                                                     : PGT_MAIR_IDX_NORMAL;
        if (((pte >> 2) & 7) != idx)
            bad = "stage-1 AttrIndx[4:2]";
        else if (!!(pte & PGT_S1_AP_RO) != !(prot & PGT_PROT_W))
            bad = "stage-1 AP[2] (read-only)";
        else if (!!(pte & (1ull << 54)) != !(prot & PGT_PROT_X))
            bad = "stage-1 XN (bit 54)";
        else if (pte & (1ull << 53))
            bad = "bit 53 (RES0 in the EL2 regime)";
        else if (!(pte & PGT_PTE_AF))
            bad = "access flag (stage 1 maps young)";
    }
    if (bad)
        fail(p,
             "leaf at %#" PRIx64 " level %d: %s wrong: pte %#" PRIx64
             ", model pa %#" PRIx64 " prot %#x young %u",
             va, level, bad, pte, expect_oa, prot, v->young);
}

/* ---- compare library and model ---------------------------------------- */

static const char *kind_name(unsigned k)
{
    return k == RM_MAPPED ? "mapped" : k == RM_OWNED ? "owned" : "unmapped";
}

/* Compare a run of valid leaves at @level covering [s, e), all with the
 * attributes of @pte and output addresses following on from its. */
static void cmp_valid(struct pi *p, uint64_t s, uint64_t e, int level,
                      pgt_pte_t pte)
{
    uint64_t sz = span(p, level);
    uint64_t oa = tlbm_oa(&p->pgt, pte);
    uint64_t pe;
    struct rm_val v, first = rm_get(&p->rm, s);
    bool learn = false;
    int rc;

    /* The library's own lookup must agree with the walker. */
    for (int k = 0; k < 2; k++) {
        uint64_t at = k ? e - sz : s;
        pgt_pte_t want = pte + (at - s), lpte = 0xdead;
        int llevel = -99;
        rc = pgt_get_leaf(&p->pgt, at + 8, &lpte, &llevel);
        if (rc || lpte != want || llevel != level)
            fail(p,
                 "pgt_get_leaf(%#" PRIx64 ") = %d, pte %#" PRIx64
                 " level %d; the tables hold pte %#" PRIx64 " at level %d",
                 at + 8, rc, lpte, llevel, want, level);
    }
    /* Every page must be one linear mapping in the model. */
    for (uint64_t q = s; rm_piece(&p->rm, q, e, &pe, &v); q = pe) {
        if (v.kind != RM_MAPPED || v.pa != oa + (q - s) || v.prot != first.prot)
            fail(p,
                 "leaf level %d at %#" PRIx64 " maps %#" PRIx64
                 " (pte %#" PRIx64 ") but the model has %s pa %#" PRIx64
                 " prot %#x at %#" PRIx64 " (first page prot %#x)",
                 level, align_down(q, sz), oa + (align_down(q, sz) - s),
                 pte + (align_down(q, sz) - s), kind_name(v.kind), v.pa,
                 v.prot, q, first.prot);
        if (v.young == RM_YOUNG_UNKNOWN)
            learn = true;
        else if (!!v.young != !!(pte & PGT_PTE_AF))
            fail(p,
                 "leaf level %d at %#" PRIx64 " has AF %d, model page %#" PRIx64
                 " young %u",
                 level, align_down(q, sz), !!(pte & PGT_PTE_AF), q, v.young);
    }
    first.pa = oa;
    if (learn) {
        first.young = (pte & PGT_PTE_AF) ? 1 : 0;
        rm_set(&p->rm, s, e - s, &first);
    }
    check_leaf_bits(p, s, pte, level, &first);

    /* pgt_translate at both ends. */
    uint64_t pts[2] = {s + 8, e - p->page + 8};
    for (int k = 0; k < 2; k++) {
        uint64_t pa = 0;
        enum pgt_prot prot = 0;
        rc = pgt_translate(&p->pgt, pts[k], &pa, &prot);
        if (rc || pa != oa + (pts[k] - s) || prot != first.prot)
            fail(p,
                 "pgt_translate(%#" PRIx64 ") = %d pa %#" PRIx64
                 " prot %#x; expected pa %#" PRIx64 " prot %#x",
                 pts[k], rc, pa, (unsigned)prot, oa + (pts[k] - s),
                 first.prot);
    }
    p->st->leaves += (e - s) / sz;
    p->st->pages += (e - s) / p->page;
}

static void cmp_invalid(struct pi *p, uint64_t s, uint64_t e, int level,
                        pgt_pte_t pte)
{
    uint64_t pe;
    struct rm_val v;
    int rc;
    /* The library's lookup at both ends of the run. */
    for (int k = 0; k < 2; k++) {
        uint64_t at = k ? e - p->page : s;
        pgt_pte_t lpte = 0xdead;
        int llevel = -99;
        rc = pgt_get_leaf(&p->pgt, at, &lpte, &llevel);
        if (rc || lpte != pte || llevel != level)
            fail(p,
                 "pgt_get_leaf(%#" PRIx64 ") = %d, pte %#" PRIx64
                 " level %d; the tables hold pte %#" PRIx64 " at level %d",
                 at, rc, lpte, llevel, pte, level);
    }
    uint32_t owner = pgt_pte_owner(pte);
    if (pte != pgt_make_owner(owner) || (owner && !is_s2(p)))
        fail(p,
             "invalid entry at %#" PRIx64 " level %d is %#" PRIx64
             ": neither zero nor an owner annotation",
             s, level, pte);
    for (uint64_t q = s; rm_piece(&p->rm, q, e, &pe, &v); q = pe) {
        bool ok = owner ? (v.kind == RM_OWNED && v.owner == owner)
                        : v.kind == RM_UNMAPPED;
        if (!ok)
            fail(p,
                 "invalid entries level %d at [%#" PRIx64 ", %#" PRIx64
                 ") (owner %u) but the model has %s (pa %#" PRIx64
                 " owner %u) at %#" PRIx64,
                 level, s, e, owner, kind_name(v.kind), v.pa, v.owner, q);
    }
    uint64_t pa;
    rc = pgt_translate(&p->pgt, s, &pa, NULL);
    if (rc != -PGT_ENOENT)
        fail(p, "pgt_translate(%#" PRIx64 ") of an unmapped address = %d, "
                "expected -PGT_ENOENT", s, rc);
    p->st->leaves++;
    p->st->pages += (e - s) / p->page;
}

/* A run of entries waiting to be compared: identical invalid entries, or
 * valid leaves with the same attributes and consecutive outputs. */
static void flush_run(struct pi *p)
{
    if (p->inv_end > p->inv_start) {
        if (p->inv_pte & PGT_PTE_VALID)
            cmp_valid(p, p->inv_start, p->inv_end, p->inv_level, p->inv_pte);
        else
            cmp_invalid(p, p->inv_start, p->inv_end, p->inv_level, p->inv_pte);
    }
    p->inv_start = p->inv_end = 0;
}

static void cmp_leaf(void *arg, uint64_t s, int level, pgt_pte_t pte, uint64_t count)
{
    struct pi *p = arg;
    if (p->inv_end == s && p->inv_end > p->inv_start &&
        p->inv_level == level &&
        pte == p->inv_pte + ((pte & PGT_PTE_VALID) ? s - p->inv_start : 0)) {
        p->inv_end += count * span(p, level);
        return;
    }
    flush_run(p);
    p->inv_start = s;
    p->inv_end = s + count * span(p, level);
    p->inv_pte = pte;
    p->inv_level = level;
}

/* Compare everything in [a, b) entry by entry. */
static void compare(struct pi *p, uint64_t a, uint64_t b)
{
    p->inv_start = p->inv_end = 0;
    const char *err = tlbm_leaf_runs(&p->mm, &p->pgt, a, b, cmp_leaf, p);
    flush_run(p);
    if (err)
        fail(p, "broken table in [%#" PRIx64 ", %#" PRIx64 "): %s", a, b, err);
}

/*
 * The library's own check (check.h) of [a, b), or of everything. It reads
 * the same invariants the traversal below checks independently. A fuzz
 * input leaves page counts to the whole-table checks: counting reads all
 * of every 8192-entry 64K page the range touches, after every operation,
 * which is most of a 64K input's time; the traversal below counts them
 * after every operation anyway.
 */
static void lib_check(struct pi *p, uint64_t a, uint64_t b)
{
    struct pgt_check_fault f;
    bool all = a == 0 && b == p->ia_size;
    uint32_t flags = !all && p->cfg.bytes ? PGT_CHECK_NO_COUNTS : 0;
    int rc = all ? pgt_check(&p->pgt, flags, &f)
                 : pgt_check_region(&p->pgt, a, b - a, flags, &f);
    if (rc)
        fail(p, "pgt_check over [%#" PRIx64 ", %#" PRIx64 ") = %d: %s at %#" PRIx64
                " level %d (pte %#" PRIx64 ", count %d, expected %d)",
             a, b, rc, pgt_check_what_str(f.what), f.addr, f.level, f.pte, f.count,
             f.expected);
}

/* ---- whole-table traversal -------------------------------------------- */

static void tp_add(struct pi *p, uint64_t pa, int level, bool root)
{
    if (p->ntp == p->tpcap) {
        p->tpcap = p->tpcap ? p->tpcap * 2 : 256;
        p->tp = realloc(p->tp, p->tpcap * sizeof(*p->tp));
        if (!p->tp)
            abort();
    }
    p->tp[p->ntp].pa = pa;
    p->tp[p->ntp].level = level;
    p->tp[p->ntp].root = root;
    p->ntp++;
}

static bool counted(const struct pi *p, pgt_pte_t pte, int level)
{
    if (!pte)
        return false;
    if (is_host(p) && (pte & PGT_PTE_VALID) && !pgt_pte_is_table(pte, level))
        return false; /* host stage 2: valid leaves are not counted */
    return true;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Refcount == 1 + counted entries (@nz non-zero ones, @cnt counted); no
 * empty non-root table. */
static void check_counts(struct pi *p, const pgt_pte_t *pte, uint64_t nz,
                         uint64_t cnt, int level, uint64_t va, bool root)
{
    int ref = tmm_page_ref(&p->mm, pte);
    /* Root pages too, each concatenated page on its own (mm_ops.h: a
     * table page's count is 1 + its counted entries). */
    if (root) {
        if (ref != (int)(1 + cnt))
            fail(p, "root page at va %#" PRIx64 ": refcount %d, but it holds %" PRIu64
                    " counted entries",
                 va, ref, cnt);
        return;
    }
    if (ref != (int)(1 + cnt))
        fail(p, "table page level %d for va %#" PRIx64 ": refcount %d, but it "
                "holds %" PRIu64 " counted entries (%" PRIu64 " non-zero)",
             level, va, ref, cnt, nz);
    if (!nz)
        fail(p, "empty table page left behind: level %d for va %#" PRIx64,
             level, va);
}

/* Visit the table page @pte (@n entries, level @level, first va @va) and
 * the tables under it that overlap [a, b); @check verifies refcounts. */
static void visit_table(struct pi *p, const pgt_pte_t *pte, uint64_t n,
                        int level, uint64_t va, bool root, bool check,
                        uint64_t a, uint64_t b)
{
    uint64_t sz = span(p, level);
    uint64_t i0 = a > va ? (a - va) / sz : 0;
    uint64_t nz = 0, cnt = 0;
    /* One pass over the page: its counts (all of it, with @check) and the
     * tables under it that overlap [a, b). */
    if (!check && b - va < n * sz)
        n = (b - va + sz - 1) / sz;
    for (uint64_t i = check ? 0 : i0; i < n; i++) {
        /* Mostly empty 16K/64K pages: skip zeros eight at a time. */
        while (i + 8 <= n && !(pte[i] | pte[i + 1] | pte[i + 2] | pte[i + 3] |
                               pte[i + 4] | pte[i + 5] | pte[i + 6] | pte[i + 7]))
            i += 8;
        if (i >= n)
            break;
        if (!pte[i])
            continue;
        nz++;
        if (counted(p, pte[i], level))
            cnt++;
        if (i < i0 || va + i * sz >= b) {
            if (!check)
                break;
            continue;
        }
        if (!pgt_pte_is_table(pte[i], level))
            continue;
        uint64_t pa = tlbm_oa(&p->pgt, pte[i]);
        const pgt_pte_t *child = tlbm_table_ptr(&p->mm, pa);
        uint64_t cva = va + i * sz;
        if (!child)
            fail(p, "table descriptor for %#" PRIx64 " level %d points "
                    "at %#" PRIx64 ", not a live arena page", cva, level, pa);
        tp_add(p, pa, level + 1, false);
        visit_table(p, child, 1ull << (p->gshift - 3), level + 1, cva, false,
                    check, a, b);
    }
    if (check)
        check_counts(p, pte, nz, cnt, level, va, root);
}

/* Collect (and with @check, verify) the table pages over [a, b). */
static void traverse_range(struct pi *p, bool check, uint64_t a, uint64_t b)
{
    const struct pgt_geom *g = &p->pgt.geom;
    uint64_t per_page = 1ull << (p->gshift - 3);
    uint64_t nroot = 1ull << (g->ia_bits - tlbm_shift(&p->pgt, g->start_level));
    p->ntp = 0;
    for (uint64_t r = 0; r * per_page < nroot; r++) {
        uint64_t n = nroot - r * per_page < per_page ? nroot - r * per_page
                                                     : per_page;
        uint64_t va = r * per_page * span(p, g->start_level);
        uint64_t end = va + n * span(p, g->start_level);
        if (end <= a || va >= b)
            continue;
        tp_add(p, p->pgt.pgd_phys + r * p->page, g->start_level, true);
        visit_table(p, p->pgt.pgd + r * per_page, n, g->start_level, va, true,
                    check, a, b);
    }
}

static void traverse(struct pi *p, bool check)
{
    traverse_range(p, check, 0, p->ia_size);
}

/* The whole table. Fuzz inputs leave the library's own count of table
 * pages (a walk of every entry, a quarter of a short 64K input's time) to
 * the property tests. */
static void full_check(struct pi *p)
{
    traverse(p, true);
    /* Distinct pages, and nothing else alive in the arena. */
    static uint64_t *pas;
    static size_t pascap;
    if (p->ntp > pascap) {
        pascap = p->ntp * 2;
        pas = realloc(pas, pascap * sizeof(*pas));
        if (!pas)
            abort();
    }
    for (size_t i = 0; i < p->ntp; i++)
        pas[i] = p->tp[i].pa;
    qsort(pas, p->ntp, sizeof(*pas), cmp_u64);
    for (size_t i = 1; i < p->ntp; i++)
        if (pas[i] == pas[i - 1])
            fail(p, "table page %#" PRIx64 " is linked twice", pas[i]);
    if ((long)p->ntp != p->mm.live)
        fail(p, "%ld arena pages are allocated but the table has %zu table "
                "pages: %ld leaked",
             p->mm.live, p->ntp, p->mm.live - (long)p->ntp);
    uint64_t lib = p->cfg.bytes ? p->ntp : pgt_count_table_pages(&p->pgt);
    if (lib != p->ntp)
        fail(p, "pgt_count_table_pages() = %" PRIu64 ", the table has %zu",
             lib, p->ntp);
    if (p->ntp > p->st->max_tables)
        p->st->max_tables = p->ntp;
    compare(p, 0, p->ia_size);
    lib_check(p, 0, p->ia_size);
    p->st->full_checks++;
}

/* ---- snapshots (for "unchanged on error") ----------------------------- */

/* Snapshot the table pages under the root entries covering [a, b) (all
 * the pages an operation on that range may touch), and the arena's count
 * of live pages (so a page kept or freed anywhere is noticed too). */
static void snap_take(struct pi *p, uint64_t a, uint64_t b)
{
    struct snap *s = &p->snap;
    uint64_t rs = span(p, p->start_level);
    if (b > p->ia_size || b < a)
        b = p->ia_size;
    if (a >= p->ia_size)
        a = p->ia_size - p->page;
    s->a = align_down(a, rs);
    s->b = align_down(b - 1, rs) + rs;
    traverse_range(p, false, s->a, s->b);
    s->n = p->ntp;
    /* Grow only: a snapshot is taken for many operations. */
    if (s->n > s->cap) {
        s->cap = s->n * 2;
        s->pages = realloc(s->pages, s->cap * sizeof(*s->pages));
        s->refs = realloc(s->refs, s->cap * sizeof(*s->refs));
    }
    if (s->n * p->page > s->datacap) {
        s->datacap = s->n * 2 * p->page;
        s->data = realloc(s->data, s->datacap);
    }
    if (!s->pages || !s->data || !s->refs)
        abort();
    memcpy(s->pages, p->tp, s->n * sizeof(*s->pages));
    for (size_t i = 0; i < s->n; i++) {
        const pgt_pte_t *t = tlbm_table_ptr(&p->mm, s->pages[i].pa);
        memcpy(s->data + i * p->page, t, p->page);
        s->refs[i] = tmm_page_ref(&p->mm, t);
    }
    s->live = p->mm.live;
    s->taken = true;
}

static void snap_check(struct pi *p, const char *why)
{
    struct snap *s = &p->snap;
    traverse_range(p, false, s->a, s->b);
    if (p->ntp != s->n)
        fail(p, "%s: the table changed: %zu table pages before, %zu after", why,
             s->n, p->ntp);
    for (size_t i = 0; i < s->n; i++) {
        if (p->tp[i].pa != s->pages[i].pa)
            fail(p, "%s: the table changed: table page #%zu moved from %#" PRIx64
                    " to %#" PRIx64, why, i, s->pages[i].pa, p->tp[i].pa);
        const pgt_pte_t *t = tlbm_table_ptr(&p->mm, s->pages[i].pa);
        const pgt_pte_t *o = (const pgt_pte_t *)(void *)(s->data + i * p->page);
        if (memcmp(t, o, p->page)) {
            size_t k = 0;
            while (t[k] == o[k])
                k++;
            fail(p, "%s: the table changed: table page %#" PRIx64 " (level %d) "
                    "entry %zu was %#" PRIx64 ", now %#" PRIx64,
                 why, s->pages[i].pa, s->pages[i].level, k, o[k], t[k]);
        }
        if (tmm_page_ref(&p->mm, t) != s->refs[i])
            fail(p, "%s: refcount of table page %#" PRIx64 " went %d -> %d", why,
                 s->pages[i].pa, s->refs[i], tmm_page_ref(&p->mm, t));
    }
    if (p->mm.live != s->live)
        fail(p, "%s: %ld pages allocated before, %ld after (leak or free)", why,
             s->live, p->mm.live);
}

/* ---- per-operation range bookkeeping ---------------------------------- */

/* Tables overlapping [a, b) before the operation (to see which it frees). */
static void pre_tables_rec(struct pi *p, const pgt_pte_t *t, uint64_t n,
                           int level, uint64_t va, uint64_t a, uint64_t b)
{
    uint64_t sz = span(p, level);
    uint64_t i0 = a > va ? (a - va) / sz : 0;
    for (uint64_t i = i0; i < n && va + i * sz < b; i++) {
        if (!pgt_pte_is_table(t[i], level))
            continue;
        uint64_t cva = va + i * sz;
        if (p->npre_tables == p->pre_tables_cap) {
            p->pre_tables_cap = p->pre_tables_cap ? p->pre_tables_cap * 2 : 64;
            p->pre_tables = realloc(p->pre_tables,
                                    p->pre_tables_cap * sizeof(*p->pre_tables));
            p->pre_table_va = realloc(p->pre_table_va,
                                      p->pre_tables_cap * sizeof(uint64_t));
            if (!p->pre_tables || !p->pre_table_va)
                abort();
        }
        p->pre_tables[p->npre_tables].pa = t[i];
        p->pre_tables[p->npre_tables].level = level;
        p->pre_table_va[p->npre_tables++] = cva;
        const pgt_pte_t *child = tlbm_table_ptr(&p->mm, tlbm_oa(&p->pgt, t[i]));
        if (child)
            pre_tables_rec(p, child, 1ull << (p->gshift - 3), level + 1, cva, a,
                           b);
    }
}

static void pre_tables(struct pi *p, uint64_t a, uint64_t b)
{
    const struct pgt_geom *g = &p->pgt.geom;
    p->npre_tables = 0;
    pre_tables_rec(p, p->pgt.pgd,
                   1ull << (g->ia_bits - tlbm_shift(&p->pgt, g->start_level)),
                   g->start_level, 0, a, b);
}

/* The check region: the op range widened to the leaves straddling its ends
 * plus one page each side. */
static void op_region(struct pi *p, uint64_t a, uint64_t b, uint64_t *ra,
                      uint64_t *rb)
{
    struct tlbm_walk_res r;
    uint64_t lo = a >= p->page ? a - p->page : a;
    uint64_t hi = b + p->page <= p->ia_size ? b + p->page : b;
    walk(p, lo, &r);
    lo = align_down(lo, span(p, r.level));
    walk(p, hi - p->page, &r);
    hi = align_down(hi - p->page, span(p, r.level)) + span(p, r.level);
    *ra = lo;
    *rb = hi;
}

/* ---- the operation framework ------------------------------------------ */

struct op {
    uint64_t addr, size; /* range the operation works on */
    int64_t expect;      /* expected return value (negative: an error) */
    int64_t alt;         /* another acceptable value (or = expect) */
    bool may_alloc;      /* OOM injection makes sense */
};

/* Record that [a, e) holds leaves of @level, one record per run. */
static void pred_add(struct pi *p, uint64_t a, uint64_t e, int level)
{
    if (p->npred && p->pred[p->npred - 1].end == a &&
        p->pred[p->npred - 1].level == level) {
        p->pred[p->npred - 1].end = e;
        return;
    }
    if (p->npred == p->predcap) {
        p->predcap = p->predcap ? p->predcap * 2 : 256;
        p->pred = realloc(p->pred, p->predcap * sizeof(*p->pred));
        if (!p->pred)
            abort();
    }
    p->pred[p->npred++] = (struct pred){.addr = a, .end = e, .level = level};
}

/*
 * The leaf level a map of [addr, addr + size) -> phys promises at each
 * address: the largest block alignment and size allow; with
 * @need_unmapped (stage 1) only over pages not mapped yet. Pages already
 * mapped the same way promise nothing (an identical existing leaf may be
 * left alone).
 */
static void predict_levels(struct pi *p, uint64_t addr, uint64_t size,
                           uint64_t phys, uint32_t prot, bool need_unmapped)
{
    uint64_t end = addr + size, pe;
    struct rm_val v;
    p->npred = 0;
    for (uint64_t a = addr; a < end;) {
        /* Up to where a block could start next, page leaves only: one
         * piece of the model at a time rather than page by page. */
        uint64_t stop = end;
        for (int l = p->start_level; l < 3; l++) {
            uint64_t sz = span(p, l);
            if (tlbm_level_has_leaf(&p->pgt, l) && !((phys - addr) & (sz - 1)) &&
                align_down(a + sz - 1, sz) < stop)
                stop = align_down(a + sz - 1, sz);
        }
        if (stop > a) {
            for (uint64_t q = a; rm_piece(&p->rm, q, stop, &pe, &v); q = pe)
                if (v.kind != RM_MAPPED ||
                    (!need_unmapped && (v.pa != phys + (q - addr) || v.prot != prot)))
                    pred_add(p, q, pe, 3);
            a = stop;
            continue;
        }
        int level = -1;
        for (int l = p->start_level; l <= 3; l++) {
            uint64_t sz = span(p, l);
            if (!tlbm_level_has_leaf(&p->pgt, l) || (a & (sz - 1)) ||
                ((phys + (a - addr)) & (sz - 1)) || a + sz > end)
                continue;
            if (need_unmapped && rm_mapped_bytes(&p->rm, a, sz))
                continue;
            level = l;
            break;
        }
        bool known = level >= 0;
        if (known && !need_unmapped)
            for (uint64_t q = a; rm_piece(&p->rm, q, a + span(p, level), &pe, &v);
                 q = pe)
                if (v.kind == RM_MAPPED && v.pa == phys + (q - addr) &&
                    v.prot == prot)
                    known = false;
        uint64_t next = a + (level >= 0 ? span(p, level) : p->page);
        if (known)
            pred_add(p, a, next, level);
        a = next;
    }
}

static void check_levels(struct pi *p)
{
    for (size_t i = 0; i < p->npred; i++) {
        const struct pred *pr = &p->pred[i];
        for (uint64_t a = pr->addr; a < pr->end; a += span(p, pr->level)) {
            struct tlbm_walk_res r;
            walk(p, a, &r);
            if (!(r.pte & PGT_PTE_VALID) || r.level != pr->level)
                fail(p, "map: %#" PRIx64 " should be a level-%d leaf (largest "
                        "block alignment and size allow) but is level %d pte %#"
                        PRIx64, a, pr->level, r.level, r.pte);
        }
    }
    p->npred = 0;
}

/* Print the model's runs in [a, b) (for failure reports). */
static void dump_model(struct pi *p, uint64_t a, uint64_t b)
{
    uint64_t pe;
    struct rm_val v;
    int n = 0;
    fprintf(stderr, "    model before the operation, [%#" PRIx64 ", %#" PRIx64
                    "):\n", a, b);
    for (uint64_t q = a; rm_piece(&p->rm, q, b, &pe, &v) && n < 24; q = pe, n++)
        fprintf(stderr, "      [%#" PRIx64 ", %#" PRIx64 ") %s pa %#" PRIx64
                        " prot %#x young %u owner %u\n", q, pe,
                kind_name(v.kind), v.pa, v.prot, v.young, v.owner);
}

/* Run one library call under the framework. @call returns the result. */
typedef int64_t (*call_fn)(struct pi *p, void *arg);

/* Returns true if the call succeeded (the caller then updates the model). */
static bool run_op(struct pi *p, const struct op *o, call_fn call, void *arg)
{
    uint64_t ra, rb;
    bool inject = false;
    bool bad = o->expect < 0;
    uint64_t a = o->addr, b = o->addr + o->size;
    bool in_range = !bad && o->size && b > a && b <= p->ia_size;

    if (in_range) {
        op_region(p, a, b, &ra, &rb);
        pre_tables(p, a, b);
    } else {
        ra = rb = 0;
        p->npre_tables = 0;
    }
    if (o->may_alloc && !bad && chance(p, 12))
        inject = true;
    if (bad || inject || o->alt != o->expect)
        snap_take(p, o->addr, o->addr + (o->size ? o->size : p->page));
    else
        p->snap.taken = false;

    if (p->cfg.verbose && p->op >= p->cfg.trace_from)
        fprintf(stderr, "op #%lu: %s expect %" PRId64 "\n", p->op, p->opdesc,
                o->expect);
    p->ra = ra;
    p->rb = rb;
    tlbm_begin_op(&p->tlb, ra, rb);
    long failed_before = p->mm.failed;
    tmm_log_clear(&p->mm);
    if (inject) {
        tmm_fail_after(&p->mm, (long)draw(p, 4));
        p->st->oom_injected++;
    }
    int64_t ret = call(p, arg);
    tmm_fail_after(&p->mm, -1);
    tlbm_end_op(&p->tlb);
    p->st->tlb_events = p->tlb.events;

    bool ok;
    if (ret == -PGT_ENOMEM && p->mm.failed > failed_before) {
        /* Out of memory (injected or the arena is full): all-or-nothing. */
        if (p->snap.taken)
            snap_check(p, "-PGT_ENOMEM");
        p->st->oom_hit++;
        ok = false;
    } else if (ret != o->expect && ret != o->alt) {
        dump_model(p, o->addr, o->addr + o->size);
        fail(p, "returned %" PRId64 ", expected %" PRId64 "%s", ret, o->expect,
             o->alt != o->expect ? " (or the alternative)" : "");
    } else {
        ok = ret >= 0;
        if (ret < 0) {
            snap_check(p, "error return");
            p->st->errors++;
        }
    }
    if (ok)
        p->st->ok++;
    p->nextra = 0;
    if (in_range) {
        /* Tables the operation removed: their whole span is checked. */
        for (size_t i = 0; i < p->npre_tables && p->nextra < 64; i++) {
            struct tlbm_walk_res r;
            uint64_t va = p->pre_table_va[i];
            walk(p, va, &r);
            bool still = false;
            for (int k = 0; k < r.nr_tables; k++)
                if (r.tables[k].level == p->pre_tables[i].level &&
                    r.tables[k].pte == p->pre_tables[i].pa)
                    still = true;
            if (!still) {
                p->extra[p->nextra].a = va;
                p->extra[p->nextra++].b =
                    va + span(p, p->pre_tables[i].level);
            }
        }
    }
    p->snap.taken = false;
    (void)ra;
    return ok;
}

struct drop_ctx {
    struct pi *p;
    uint64_t a, b;
};

static void drop_leaf(void *arg, uint64_t s, int level, pgt_pte_t pte, uint64_t count)
{
    struct drop_ctx *c = arg;
    uint64_t e = s + count * span(c->p, level), pe;
    struct rm_val v;
    if (pte)
        return;
    for (uint64_t x = s; rm_piece(&c->p->rm, x, e, &pe, &v); x = pe)
        if (v.kind == RM_MAPPED && (pe <= c->a || x >= c->b))
            rm_unmap(&c->p->rm, x, pe - x);
}

static void host_drops(struct pi *p, uint64_t a, uint64_t b, uint64_t ra,
                       uint64_t rb)
{
    struct drop_ctx c = {p, a, b};
    const char *err = tlbm_leaf_runs(&p->mm, &p->pgt, ra, rb, drop_leaf, &c);
    if (err)
        fail(p, "broken table: %s", err);
}

/* After the model is updated: compare the region, touch the TLB. */
static void after_op(struct pi *p, const struct op *o)
{
    uint64_t a = o->addr, b = o->addr + o->size;
    if (!(o->size && b > a && b <= p->ia_size))
        return;
    if (is_host(p)) {
        /* Host stage 2 leaves are uncounted: a table left with none but
         * them is freed, and a block split at the range's ends gives such a
         * table, so identity leaves around the range may go too (the host
         * re-faults them). Accept that, only there, only mapped->unmapped. */
        host_drops(p, a, b, p->ra, p->rb);
        for (size_t i = 0; i < p->nextra; i++)
            host_drops(p, a, b, p->extra[i].a, p->extra[i].b);
    }
    uint64_t ra, rb;
    op_region(p, a, b, &ra, &rb);
    compare(p, ra, rb);
    /* Refcounts of every table page over the region. */
    traverse_range(p, true, ra, rb);
    lib_check(p, ra, rb);
    for (size_t i = 0; i < p->nextra; i++) {
        compare(p, p->extra[i].a, p->extra[i].b);
        lib_check(p, p->extra[i].a, p->extra[i].b);
    }
    /* The walker caches a few translations of what was touched. */
    tlbm_touch(&p->tlb, ra);
    tlbm_touch(&p->tlb, a);
    tlbm_touch(&p->tlb, b - p->page);
    tlbm_touch(&p->tlb, rb - p->page);
    tlbm_touch(&p->tlb, align_down(a + (b - a) / 2, p->page));
}

/* ---- random operands --------------------------------------------------- */

static void gen_range(struct pi *p, uint64_t *addr, uint64_t *size, bool big_ok)
{
    uint64_t s2 = span(p, 2);
    uint64_t per = s2 / p->page;
    unsigned r = (unsigned)draw(p, 100);
    uint64_t a, n;
    if (p->nsparse && chance(p, 8)) {
        *addr = p->sparse[draw(p, p->nsparse)];
        *size = p->page;
        return;
    }
    if (r < 55) {
        /* pages inside a hot level-2 span, near its ends or anywhere */
        uint64_t h = p->hot[draw(p, p->nhot)];
        unsigned w = (unsigned)draw(p, 3);
        uint64_t o = w == 0 ? draw(p, 8) : w == 1 ? per - 1 - draw(p, 8)
                                                  : draw(p, per);
        n = chance(p, 85) ? 1 + draw(p, 8) : 1 + draw(p, 2 * per);
        a = h + o * p->page;
        *addr = a;
        *size = n * p->page;
    } else if (r < 97 || !big_ok || p->big_level == 2) {
        /* level-2 aligned spans, sometimes ragged at the ends */
        uint64_t h = align_down(p->hot[draw(p, p->nhot)], s2);
        n = 1 + draw(p, 2);
        a = h;
        uint64_t e = h + n * s2;
        if (chance(p, 30))
            a += draw(p, 4) * p->page;
        if (chance(p, 30))
            e -= draw(p, 4) * p->page;
        *addr = a;
        *size = e - a;
    } else {
        uint64_t bs = span(p, p->big_level);
        uint64_t h = p->win_base + draw(p, p->win_size / bs) * bs;
        n = 1 + draw(p, 2);
        *addr = h;
        *size = n * bs;
        if (chance(p, 30))
            *size -= s2;
    }
    uint64_t wend = p->win_base + p->win_size;
    if (*addr >= wend)
        *addr = wend - p->page;
    if (*addr + *size > wend)
        *size = wend - *addr;
}

static uint64_t gen_phys(struct pi *p, uint64_t addr)
{
    if (is_host(p))
        return addr;
    uint64_t base = PA_MAP_BASE + (addr - p->win_base);
    unsigned w = (unsigned)draw(p, 4);
    if (w == 2)
        base += draw(p, 16) * span(p, p->big_level);
    else if (w == 3)
        base += (1 + draw(p, 64)) * p->page;
    return base;
}

static uint32_t gen_memtype_sw(struct pi *p)
{
    uint32_t prot = 0;
    unsigned m = (unsigned)draw(p, 8);
    if (m == 6)
        prot |= PGT_PROT_DEVICE;
    else if (m == 7)
        prot |= PGT_PROT_NORMAL_NC;
    if (chance(p, 20))
        prot |= (uint32_t)draw(p, 16) << PGT_PROT_SW_SHIFT;
    return prot;
}

static uint32_t gen_prot(struct pi *p)
{
    uint32_t prot = gen_memtype_sw(p);
    if (is_s2(p)) {
        prot |= (uint32_t)draw(p, 8); /* any subset of X, W, R */
    } else {
        static const uint32_t perms[] = {PGT_PROT_R, PGT_PROT_RW, PGT_PROT_RX};
        prot |= perms[draw(p, 3)];
    }
    if (prot & PGT_PROT_DEVICE)
        prot &= ~(uint32_t)PGT_PROT_X;
    /* FEAT_XNX: execute at EL0 only (PXN) or at EL1 only (UXN). */
    if (p->xnx && (prot & PGT_PROT_X) && chance(p, 40))
        prot |= chance(p, 50) ? PGT_PROT_PXN : PGT_PROT_UXN;
    return prot;
}

/* ---- library calls ----------------------------------------------------- */

struct args {
    uint64_t addr, size, phys;
    uint32_t prot, id;
    bool mkold;
    uint32_t flags;
};

static int64_t c_s2_map(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_map(&p->pgt, x->addr, x->size, x->phys, x->prot, NULL,
                      x->flags);
}
static int64_t c_s2_unmap(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_unmap(&p->pgt, x->addr, x->size, NULL);
}
static int64_t c_s2_owner(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_set_owner(&p->pgt, x->addr, x->size, NULL, x->id);
}
static int64_t c_s2_relax(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_relax_perms(&p->pgt, x->addr, x->prot);
}
static int64_t c_s2_wrprotect(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_wrprotect(&p->pgt, x->addr, x->size);
}
static int64_t c_s2_mkyoung(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_mkyoung(&p->pgt, x->addr);
}
static int64_t c_s2_tcy(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_test_clear_young(&p->pgt, x->addr, x->size, x->mkold);
}
static int64_t c_s2_split(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_s2_split(&p->pgt, x->addr, x->size, NULL);
}
static int64_t c_hyp_map(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_hyp_map(&p->pgt, x->addr, x->size, x->phys, x->prot);
}
static int64_t c_hyp_unmap(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_hyp_unmap(&p->pgt, x->addr, x->size);
}
static int64_t c_hyp_protect(struct pi *p, void *v)
{
    struct args *x = v;
    return pgt_hyp_protect(&p->pgt, x->addr, x->size, x->prot);
}

#define DESC(...) snprintf(p->opdesc, sizeof(p->opdesc), __VA_ARGS__)

/* ---- model updates for leaf-wide operations ---------------------------- */

/* Apply @fn to every valid leaf (whole leaf) overlapping [a, b) in the
 * model, using the leaf extents the tables had before the operation. For
 * the access flag (mkyoung, test_clear_young) a contiguous run is one
 * leaf, as a block is (s2.h): its extent is the run's (@ext_runs). */
struct extent {
    uint64_t s, e;
};
static struct extent *ext;
static size_t next_, extcap;
static bool ext_runs;

static void ext_leaf(void *arg, uint64_t va, int level, pgt_pte_t pte)
{
    struct pi *p = arg;
    uint64_t size = span(p, level);
    if (!(pte & PGT_PTE_VALID))
        return;
    if (ext_runs && (pte & PGT_PTE_CONT) && tlbm_cont_entries(&p->pgt, level)) {
        size *= tlbm_cont_entries(&p->pgt, level);
        va &= ~(size - 1);
        if (next_ && ext[next_ - 1].s == va)
            return;
    }
    if (next_ == extcap) {
        extcap = extcap ? extcap * 2 : 256;
        ext = realloc(ext, extcap * sizeof(*ext));
        if (!ext)
            abort();
    }
    ext[next_].s = va;
    ext[next_++].e = va + size;
}

static void collect_extents(struct pi *p, uint64_t a, uint64_t b, bool runs)
{
    next_ = 0;
    ext_runs = runs;
    const char *err = tlbm_leaves(&p->mm, &p->pgt, a, b, ext_leaf, p);
    if (err)
        fail(p, "broken table: %s", err);
}

typedef void (*upd_fn)(struct rm_val *v, uint32_t arg);

static void update_extents(struct pi *p, upd_fn fn, uint32_t arg)
{
    for (size_t i = 0; i < next_; i++) {
        uint64_t pe;
        struct rm_val v;
        for (uint64_t q = ext[i].s; rm_piece(&p->rm, q, ext[i].e, &pe, &v);
             q = pe) {
            if (v.kind != RM_MAPPED)
                fail(p, "leaf [%#" PRIx64 ", %#" PRIx64 ") is valid but the "
                        "model has %#" PRIx64 " %s", ext[i].s, ext[i].e, q,
                     kind_name(v.kind));
            fn(&v, arg);
            rm_set(&p->rm, q, pe - q, &v);
        }
    }
}

static void u_wrprotect(struct rm_val *v, uint32_t arg)
{
    (void)arg;
    v->prot &= ~(uint32_t)PGT_PROT_W;
}
static void u_young(struct rm_val *v, uint32_t arg)
{
    v->young = (uint8_t)arg;
}
static void u_relax(struct rm_val *v, uint32_t arg)
{
    v->prot |= arg;
    v->young = RM_YOUNG_UNKNOWN; /* whether relax sets AF is not specified */
}

/* ---- stage-2 operations ------------------------------------------------ */

/* ---- cache maintenance of stage-2 map (mm_ops.h) ---------------------- */

struct span_list {
    uint64_t (*r)[2];
    size_t n, cap;
};

static void sl_add(struct span_list *l, uint64_t a, uint64_t b)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->r = realloc(l->r, l->cap * sizeof(*l->r));
        if (!l->r)
            abort();
    }
    l->r[l->n][0] = a;
    l->r[l->n++][1] = b;
}

/* Whether [a, b) lies in the union of @l. */
static bool sl_covers(const struct span_list *l, uint64_t a, uint64_t b)
{
    bool moved = true;
    while (a < b && moved) {
        moved = false;
        for (size_t i = 0; i < l->n; i++)
            if (l->r[i][0] <= a && a < l->r[i][1]) {
                a = l->r[i][1];
                moved = true;
            }
    }
    return a >= b;
}

static struct span_list cmo_need, cmo_d, cmo_i;

/* Output ranges a map of [addr, addr+size) -> phys really changes (pages
 * already mapped the same way may be left alone, without maintenance). */
static void cmo_plan(struct pi *p, uint64_t addr, uint64_t size, uint64_t phys,
                     uint32_t prot)
{
    uint64_t pe;
    struct rm_val v;
    cmo_need.n = 0;
    for (uint64_t q = addr; rm_piece(&p->rm, q, addr + size, &pe, &v); q = pe)
        if (!(v.kind == RM_MAPPED && v.pa == phys + (q - addr) &&
              v.prot == prot))
            sl_add(&cmo_need, phys + (q - addr), phys + (pe - addr));
}

/* mm_ops.h: dcache_clean_inval_poc for normal cacheable memory unless FWB
 * or PGT_MAP_SKIP_DCACHE; icache_inval_pou for X unless
 * PGT_MAP_SKIP_ICACHE. Required on what changed, never when skipped. */
static void cmo_check(struct pi *p, uint32_t prot, uint32_t flags)
{
    bool cacheable = !(prot & (PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC));
    cmo_d.n = cmo_i.n = 0;
    uint64_t host = (uint64_t)(uintptr_t)p->mm.base;
    uint64_t arena = p->mm.nr_pages * p->mm.page_size;
    for (size_t i = 0; i < p->mm.nlog; i++) {
        const struct tmm_event *ev = &p->mm.log[i];
        /* The hooks get phys_to_virt(pa): back to a PA (the host window
         * may overlap the arena's fake PAs). */
        uint64_t a = ev->addr;
        if (a >= host && a - host < arena)
            a = a - host + p->mm.pa_base;
        if (ev->kind == TMM_DCACHE)
            sl_add(&cmo_d, a, a + ev->size);
        else if (ev->kind == TMM_ICACHE)
            sl_add(&cmo_i, a, a + ev->size);
    }
    if (cmo_d.n && ((flags & PGT_MAP_SKIP_DCACHE) || p->fwb || !cacheable))
        fail(p, "dcache_clean_inval_poc(%#" PRIx64 ", %#" PRIx64 ") called "
                "though the map %s", cmo_d.r[0][0],
             cmo_d.r[0][1] - cmo_d.r[0][0],
             (flags & PGT_MAP_SKIP_DCACHE) ? "asked PGT_MAP_SKIP_DCACHE"
             : p->fwb                      ? "is on an FWB table"
                                           : "is not normal cacheable memory");
    if (cmo_i.n && ((flags & PGT_MAP_SKIP_ICACHE) || !(prot & PGT_PROT_X)))
        fail(p, "icache_inval_pou(%#" PRIx64 ") called though the map %s",
             cmo_i.r[0][0],
             (flags & PGT_MAP_SKIP_ICACHE) ? "asked PGT_MAP_SKIP_ICACHE"
                                           : "is not executable");
    bool want_d = cacheable && !p->fwb && !(flags & PGT_MAP_SKIP_DCACHE);
    bool want_i = cacheable && !p->fwb && (prot & PGT_PROT_X) &&
                  !(flags & PGT_MAP_SKIP_ICACHE);
    for (size_t i = 0; i < cmo_need.n; i++) {
        uint64_t a = cmo_need.r[i][0], b = cmo_need.r[i][1];
        if (want_d && !sl_covers(&cmo_d, a, b))
            fail(p, "the new mapping of PA [%#" PRIx64 ", %#" PRIx64 ") was "
                    "not cleaned to PoC (dcache_clean_inval_poc)", a, b);
        if (want_i && !sl_covers(&cmo_i, a, b))
            fail(p, "the new executable mapping of PA [%#" PRIx64 ", %#" PRIx64
                    ") was not invalidated from the icache", a, b);
    }
}

static void op_s2_map(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    x.phys = gen_phys(p, x.addr);
    x.prot = gen_prot(p);
    x.flags = (uint32_t)draw(p, 4);
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    DESC("s2_map(%#" PRIx64 ", %#" PRIx64 ", pa %#" PRIx64 ", prot %#x, "
         "flags %u)", x.addr, x.size, x.phys, x.prot, x.flags);
    predict_levels(p, x.addr, x.size, x.phys, x.prot, false);
    cmo_plan(p, x.addr, x.size, x.phys, x.prot);
    if (!run_op(p, &o, c_s2_map, &x)) {
        p->npred = 0;
        after_op(p, &o);
        return;
    }
    cmo_check(p, x.prot, x.flags);
    /* Pages already mapped identically but old: AF either way. */
    struct rm_val nv = {.kind = RM_MAPPED, .young = 1, .prot = x.prot};
    uint64_t pe;
    struct rm_val v;
    uint64_t q = x.addr;
    while (rm_piece(&p->rm, q, x.addr + x.size, &pe, &v)) {
        nv.pa = x.phys + (q - x.addr);
        nv.young = (v.kind == RM_MAPPED && v.pa == nv.pa &&
                    v.prot == nv.prot && v.young != 1)
                       ? RM_YOUNG_UNKNOWN
                       : 1;
        rm_set(&p->rm, q, pe - q, &nv);
        q = pe;
    }
    check_levels(p);
    after_op(p, &o);
}

static void op_s2_unmap(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    DESC("s2_unmap(%#" PRIx64 ", %#" PRIx64 ")", x.addr, x.size);
    if (run_op(p, &o, c_s2_unmap, &x))
        rm_unmap(&p->rm, x.addr, x.size);
    after_op(p, &o);
}

static void op_s2_owner(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    x.id = chance(p, 25) ? 0 : 1 + (uint32_t)draw(p, PGT_MAX_OWNER_ID);
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    DESC("s2_set_owner(%#" PRIx64 ", %#" PRIx64 ", id %u)", x.addr, x.size,
         x.id);
    if (run_op(p, &o, c_s2_owner, &x)) {
        struct rm_val v = {.kind = x.id ? RM_OWNED : RM_UNMAPPED,
                           .owner = (uint16_t)x.id};
        rm_set(&p->rm, x.addr, x.size, &v);
    }
    after_op(p, &o);
}

static void op_s2_relax(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    uint64_t size;
    gen_range(p, &x.addr, &size, false);
    x.prot = 1 + (uint32_t)draw(p, 7);
    struct rm_val v = rm_get(&p->rm, x.addr);
    /* Whether relaxing X on an EL0-only/EL1-only executable leaf keeps
     * the PXN/UXN half is not specified: do not ask. */
    if (v.prot & (PGT_PROT_PXN | PGT_PROT_UXN))
        x.prot &= ~(uint32_t)PGT_PROT_X;
    if (!x.prot)
        x.prot = PGT_PROT_R;
    o.addr = x.addr;
    o.size = p->page;
    DESC("s2_relax_perms(%#" PRIx64 ", prot %#x)", x.addr, x.prot);
    if (v.kind != RM_MAPPED)
        o.expect = o.alt = -PGT_ENOENT;
    else if ((x.prot & PGT_PROT_X) && (v.prot & PGT_PROT_DEVICE))
        o.expect = o.alt = -PGT_EINVAL;
    collect_extents(p, x.addr, x.addr + p->page, false);
    if (run_op(p, &o, c_s2_relax, &x))
        update_extents(p, u_relax, x.prot);
    after_op(p, &o);
}

static void op_s2_wrprotect(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    o.addr = x.addr;
    o.size = x.size;
    DESC("s2_wrprotect(%#" PRIx64 ", %#" PRIx64 ")", x.addr, x.size);
    collect_extents(p, x.addr, x.addr + x.size, false);
    if (run_op(p, &o, c_s2_wrprotect, &x))
        update_extents(p, u_wrprotect, 0);
    after_op(p, &o);
}

static void op_s2_mkyoung(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    uint64_t size;
    gen_range(p, &x.addr, &size, false);
    o.addr = x.addr;
    o.size = p->page;
    DESC("s2_mkyoung(%#" PRIx64 ")", x.addr);
    if (rm_get(&p->rm, x.addr).kind != RM_MAPPED)
        o.expect = o.alt = -PGT_ENOENT;
    collect_extents(p, x.addr, x.addr + p->page, true);
    if (run_op(p, &o, c_s2_mkyoung, &x))
        update_extents(p, u_young, 1);
    after_op(p, &o);
}

static void op_s2_tcy(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    x.mkold = chance(p, 60);
    o.addr = x.addr;
    o.size = x.size;
    DESC("s2_test_clear_young(%#" PRIx64 ", %#" PRIx64 ", mkold %d)", x.addr,
         x.size, x.mkold);
    /* Young if any leaf overlapping the range is: the model's pages of
     * those leaves (uniform per leaf, checked by compare()). */
    collect_extents(p, x.addr, x.addr + x.size, true);
    int young = 0;
    for (size_t i = 0; i < next_; i++) {
        uint64_t pe;
        struct rm_val v;
        for (uint64_t q = ext[i].s; rm_piece(&p->rm, q, ext[i].e, &pe, &v);
             q = pe)
            if (v.kind == RM_MAPPED && v.young == 1)
                young = 1;
    }
    o.expect = o.alt = young;
    if (run_op(p, &o, c_s2_tcy, &x) && x.mkold)
        update_extents(p, u_young, 0);
    after_op(p, &o);
}

static void op_s2_split(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, false);
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    DESC("s2_split(%#" PRIx64 ", %#" PRIx64 ")", x.addr, x.size);
    if (run_op(p, &o, c_s2_split, &x)) {
        /* Every mapped page in the range is now a page leaf. */
        collect_extents(p, x.addr, x.addr + x.size, false);
        for (size_t i = 0; i < next_; i++)
            if (ext[i].e - ext[i].s != p->page)
                fail(p, "split: %#" PRIx64 " is still a block of %#" PRIx64
                        " bytes", ext[i].s, ext[i].e - ext[i].s);
    }
    after_op(p, &o);
}

/* ---- stage-1 operations ------------------------------------------------ */

static void op_hyp_map(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    x.phys = gen_phys(p, x.addr);
    x.prot = gen_prot(p);
    /* Sometimes re-map exactly what is there (accepted, no change). */
    struct rm_val cur = rm_get(&p->rm, x.addr);
    if (cur.kind == RM_MAPPED && chance(p, 30)) {
        x.phys = cur.pa;
        x.prot = cur.prot;
    }
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    DESC("hyp_map(%#" PRIx64 ", %#" PRIx64 ", pa %#" PRIx64 ", prot %#x)",
         x.addr, x.size, x.phys, x.prot);
    uint64_t pe;
    struct rm_val v;
    for (uint64_t q = x.addr; rm_piece(&p->rm, q, x.addr + x.size, &pe, &v);
         q = pe)
        if (v.kind == RM_MAPPED &&
            (v.pa != x.phys + (q - x.addr) || v.prot != x.prot))
            o.expect = o.alt = -PGT_EEXIST;
    if (o.expect == 0)
        predict_levels(p, x.addr, x.size, x.phys, x.prot, true);
    if (run_op(p, &o, c_hyp_map, &x)) {
        struct rm_val nv = {.kind = RM_MAPPED, .young = 1, .prot = x.prot,
                            .pa = x.phys};
        rm_set(&p->rm, x.addr, x.size, &nv);
        check_levels(p);
    }
    p->npred = 0;
    after_op(p, &o);
}

static void op_hyp_unmap(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    o.expect = o.alt = (int64_t)rm_mapped_bytes(&p->rm, x.addr, x.size);
    DESC("hyp_unmap(%#" PRIx64 ", %#" PRIx64 ") expecting %" PRId64 " bytes",
         x.addr, x.size, o.expect);
    if (run_op(p, &o, c_hyp_unmap, &x))
        rm_unmap(&p->rm, x.addr, x.size);
    after_op(p, &o);
}

static void op_hyp_protect(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    gen_range(p, &x.addr, &x.size, true);
    /* Keep the memory type and software bits of the first mapped page;
     * sometimes change the memory type (refused). */
    uint64_t pe;
    struct rm_val v, first = {0};
    for (uint64_t q = x.addr; rm_piece(&p->rm, q, x.addr + x.size, &pe, &v);
         q = pe)
        if (v.kind == RM_MAPPED) {
            first = v;
            break;
        }
    static const uint32_t perms[] = {PGT_PROT_R, PGT_PROT_RW, PGT_PROT_RX};
    uint32_t keep = PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC | PGT_PROT_SW_MASK;
    x.prot = (first.prot & keep) | perms[draw(p, 3)];
    if (chance(p, 5))
        x.prot ^= PGT_PROT_NORMAL_NC;
    if ((x.prot & PGT_PROT_DEVICE) && (x.prot & PGT_PROT_X))
        x.prot &= ~(uint32_t)PGT_PROT_X;
    o.addr = x.addr;
    o.size = x.size;
    o.may_alloc = true;
    DESC("hyp_protect(%#" PRIx64 ", %#" PRIx64 ", prot %#x)", x.addr, x.size,
         x.prot);
    if (first.kind != RM_MAPPED) {
        o.expect = o.alt = -PGT_ENOENT;
    } else if ((x.prot & PGT_PROT_DEVICE) && (x.prot & PGT_PROT_NORMAL_NC)) {
        o.expect = o.alt = -PGT_EINVAL;
    } else {
        /* A different memory type is refused. Whether the software bits
         * count as "attributes" is not pinned down by s1.h: accept a
         * refusal, or success with the new prot's software bits. */
        uint32_t mt = PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC;
        for (uint64_t q = x.addr; rm_piece(&p->rm, q, x.addr + x.size, &pe, &v);
             q = pe) {
            if (v.kind != RM_MAPPED)
                continue;
            if ((v.prot & mt) != (x.prot & mt)) {
                o.expect = o.alt = -PGT_EINVAL;
                break;
            }
            if ((v.prot & keep) != (x.prot & keep)) {
                o.expect = -PGT_EINVAL;
                o.alt = 0;
            }
        }
    }
    if (run_op(p, &o, c_hyp_protect, &x)) {
        for (uint64_t q = x.addr;
             rm_piece(&p->rm, q, x.addr + x.size, &pe, &v); q = pe) {
            if (v.kind != RM_MAPPED)
                continue;
            v.prot = x.prot;
            rm_set(&p->rm, q, pe - q, &v);
        }
    }
    after_op(p, &o);
}

/* ---- bad input --------------------------------------------------------- */

static void op_bad(struct pi *p)
{
    struct args x = {0};
    struct op o = {0};
    call_fn fn;
    gen_range(p, &x.addr, &x.size, false);
    x.phys = gen_phys(p, x.addr);
    x.prot = gen_prot(p);
    o.expect = o.alt = -PGT_EINVAL;
    unsigned kind = (unsigned)draw(p, 9);
    const char *what;
    bool s2 = is_s2(p);
    fn = s2 ? c_s2_map : c_hyp_map;
    switch (kind) {
    case 0:
        x.addr += 8 << draw(p, 4);
        what = "unaligned address";
        break;
    case 1:
        x.size -= 8 << draw(p, 4);
        what = "unaligned size";
        break;
    case 2:
        if (is_host(p)) {
            x.phys += p->page;
            what = "host map with phys != addr";
        } else {
            x.phys += 8 << draw(p, 4);
            what = "unaligned phys";
        }
        break;
    case 3:
        x.size = 0;
        what = "size 0";
        break;
    case 4:
        x.addr = p->ia_size - p->page * (1 + draw(p, 2));
        x.size = 4 * p->page;
        x.phys = is_host(p) ? x.addr : x.phys;
        o.expect = o.alt = -PGT_ERANGE;
        what = "range beyond the IA size";
        break;
    case 5: {
        static const uint32_t bad_s2[] = {
            PGT_PROT_R | PGT_PROT_X | PGT_PROT_DEVICE,
            PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC,
            PGT_PROT_R | PGT_PROT_USER,
            PGT_PROT_RX | PGT_PROT_PXN, /* PXN needs PGT_S2_XNX (and X) */
        };
        static const uint32_t bad_s1[] = {
            PGT_PROT_W,
            PGT_PROT_RWX,
            PGT_PROT_RX | PGT_PROT_DEVICE,
            PGT_PROT_R | PGT_PROT_USER, /* EL2 has no EL0 */
            0,
            PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC,
            PGT_PROT_RX | PGT_PROT_PXN,
        };
        x.prot = s2 ? bad_s2[draw(p, 4)] : bad_s1[draw(p, 7)];
        if (p->xnx && x.prot == (PGT_PROT_RX | PGT_PROT_PXN))
            x.prot = PGT_PROT_R | PGT_PROT_PXN; /* PXN needs X */
        what = "bad prot";
        break;
    }
    case 6:
        if (s2) {
            fn = c_s2_owner;
            x.id = PGT_MAX_OWNER_ID + 1 + (uint32_t)draw(p, 1000);
            what = "owner id out of range";
        } else {
            fn = c_hyp_unmap;
            x.addr += 8;
            what = "unaligned unmap";
        }
        break;
    case 7:
        if (s2) {
            static const call_fn fns[] = {c_s2_unmap, c_s2_owner,
                                          c_s2_wrprotect, c_s2_split,
                                          c_s2_tcy};
            fn = fns[draw(p, 5)];
            x.size -= 8;
            what = "unaligned size (unmap/owner/wrprotect/split/young)";
        } else {
            fn = c_hyp_protect;
            x.addr += 8;
            what = "unaligned protect";
        }
        break;
    default:
        /* Output address beyond the 48-bit OA size. */
        x.phys = (1ull << 48) - p->page * draw(p, 2);
        x.size = 2 * p->page;
        if (is_host(p)) {
            fn = c_s2_unmap;
            x.addr = p->ia_size;
            x.size = p->page;
            o.expect = o.alt = -PGT_ERANGE;
            what = "unmap at the IA size";
        } else {
            o.expect = -PGT_ERANGE;
            o.alt = s2 ? -PGT_EINVAL : -PGT_ERANGE;
            what = "output address beyond the OA size";
        }
        break;
    }
    o.addr = x.addr;
    o.size = x.size;
    DESC("bad input (%s): map/op(%#" PRIx64 ", %#" PRIx64 ", pa %#" PRIx64
         ", prot %#x, id %u)", what, x.addr, x.size, x.phys, x.prot, x.id);
    run_op(p, &o, fn, &x);
}

/* ---- driver ------------------------------------------------------------ */

static void step(struct pi *p)
{
    unsigned r = (unsigned)draw(p, 100);
    if (r < 8) {
        op_bad(p);
        return;
    }
    if (!is_s2(p)) {
        if (r < 50)
            op_hyp_map(p);
        else if (r < 75)
            op_hyp_unmap(p);
        else
            op_hyp_protect(p);
        return;
    }
    if (r < 36)
        op_s2_map(p);
    else if (r < 50)
        op_s2_unmap(p);
    else if (r < 60)
        op_s2_owner(p);
    else if (r < 68)
        op_s2_relax(p);
    else if (r < 76)
        op_s2_wrprotect(p);
    else if (r < 82)
        op_s2_mkyoung(p);
    else if (r < 90)
        op_s2_tcy(p);
    else
        op_s2_split(p);
}

static void setup_window(struct pi *p)
{
    const struct pgt_geom *g = &p->pgt.geom;
    p->page = 1ull << g->granule_shift;
    p->gshift = g->granule_shift;
    p->ia_size = 1ull << g->ia_bits;
    p->start_level = g->start_level;
    p->big_level = 3;
    for (int l = g->start_level; l <= 3; l++)
        if (tlbm_level_has_leaf(&p->pgt, l)) {
            p->big_level = l;
            break;
        }
    if (p->big_level > 2)
        p->big_level = 2;
    uint64_t bs = span(p, p->big_level);
    p->win_size = 4 * bs;
    p->win_base = 0;
    if (p->big_level - 1 >= g->start_level &&
        span(p, p->big_level - 1) + 2 * bs <= p->ia_size)
        p->win_base = span(p, p->big_level - 1) - 2 * bs;
    else if (p->win_size * 2 <= p->ia_size)
        p->win_base = p->win_size;
    if (p->cfg.root_cross && g->nr_root_pages > 1) {
        /* Centred on the start of the last root page: ranges over two
         * pages, each with its own reference count (with more than two
         * root pages, neither of them the first). */
        uint64_t root_page_span = span(p, g->start_level) << g->bits_per_level;
        p->win_base = (g->nr_root_pages - 1) * root_page_span - 2 * bs;
    }
    /* Hot level-2 spans: the first, second and last of each big span. */
    p->nhot = 0;
    uint64_t s2 = span(p, 2);
    for (uint64_t b = 0; b < 4; b++) {
        uint64_t base = p->win_base + b * bs;
        p->hot[p->nhot++] = base;
        if (bs > s2) {
            p->hot[p->nhot++] = base + s2;
            p->hot[p->nhot++] = base + bs - s2;
        }
    }
    /* Lone pages away from the hot spans, so single-page maps and unmaps
     * also create and empty whole tables (the one-page unmap's freeing
     * paths). Needs big spans of many level-2 spans (4K). */
    p->nsparse = 0;
    if (bs >= 16 * s2)
        for (uint64_t b = 0; b < 4; b++) {
            uint64_t base = p->win_base + b * bs;
            p->sparse[p->nsparse++] = base + (5 + 2 * b) * s2 + (b + 1) * p->page;
            p->sparse[p->nsparse++] = base + bs / 2 + b * s2 + 3 * p->page;
        }
}

/*
 * The growable buffers of a run, kept for the next one when the caller
 * reuses an arena (a fuzzer): allocating and freeing them for every input
 * cost page faults each time and filled ASan's quarantine (hundreds of MB).
 */
struct pi_bufs {
    struct tpage *tp;
    size_t tpcap;
    struct snap snap;
    struct pred *pred;
    size_t predcap;
    struct tpage *pre_tables;
    uint64_t *pre_table_va;
    size_t pre_tables_cap;
    struct rm_run *runs;
    size_t runs_cap;
    struct tlbm_run *tlb_pre;
    size_t tlb_precap;
};
static struct pi_bufs kept;

static void bufs_take(struct pi *p)
{
    p->tp = kept.tp;
    p->tpcap = kept.tpcap;
    p->snap = kept.snap;
    p->snap.taken = false;
    p->pred = kept.pred;
    p->predcap = kept.predcap;
    p->pre_tables = kept.pre_tables;
    p->pre_table_va = kept.pre_table_va;
    p->pre_tables_cap = kept.pre_tables_cap;
    memset(&kept, 0, sizeof(kept));
}

/* After rm_init() / tlbm_init(), which start empty. */
static void bufs_take_models(struct pi *p, const struct pi_bufs *k)
{
    p->rm.runs = k->runs;
    p->rm.cap = k->runs_cap;
    p->tlb.pre = k->tlb_pre;
    p->tlb.precap = k->tlb_precap;
}

static void bufs_give(struct pi *p)
{
    kept.tp = p->tp;
    kept.tpcap = p->tpcap;
    kept.snap = p->snap;
    kept.pred = p->pred;
    kept.predcap = p->predcap;
    kept.pre_tables = p->pre_tables;
    kept.pre_table_va = p->pre_table_va;
    kept.pre_tables_cap = p->pre_tables_cap;
    kept.runs = p->rm.runs;
    kept.runs_cap = p->rm.cap;
    kept.tlb_pre = p->tlb.pre;
    kept.tlb_precap = p->tlb.precap;
    p->rm.runs = NULL;
    p->rm.n = p->rm.cap = 0;
    p->tlb.pre = NULL;
    p->tlb.precap = 0;
}

int pi_run(const struct pi_cfg *cfg, unsigned long nops, struct pi_stats *st)
{
    static struct pi *spare; /* arena mode: the last run's, reused */
    struct pi *p = cfg->arena ? spare : NULL;
    struct pi_bufs models = {0};
    if (p) {
        memset(p, 0, sizeof(*p));
    } else {
        p = calloc(1, sizeof(*p));
        if (!p)
            abort();
    }
    if (cfg->arena) {
        spare = NULL;
        models = kept;
        bufs_take(p);
    }
    p->cfg = *cfg;
    p->st = st;
    memset(st, 0, sizeof(*st));
    p->rng[0] = cfg->seed * 0x9e3779b97f4a7c15ull + 1;
    p->rng[1] = (cfg->seed ^ 0x5851f42d4c957f2dull) | 1;
    for (int i = 0; i < 4; i++)
        xrand(p);
    cur_pi = p;
    reported = false;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_abort;
    sigaction(SIGABRT, &sa, &prev_abrt);
    size_t page = 1ull << cfg->granule;
    size_t npages = cfg->arena_pages ? cfg->arena_pages : (16u << 20) / page;
    if (cfg->arena) {
        /* The caller's arena, its buffers shared for this run. */
        if (cfg->arena->page_size != page || cfg->arena->nr_pages != npages ||
            cfg->arena->pa_base != ARENA_PA) {
            fprintf(stderr, "pi_run: the arena given has another shape\n");
            abort();
        }
        tmm_reset(cfg->arena);
        p->mm = *cfg->arena;
        tmm_use(&p->mm);
    } else {
        tmm_init(&p->mm, page, npages, ARENA_PA);
    }
    p->gshift = cfg->granule;
    snprintf(p->opdesc, sizeof(p->opdesc), "init");

    int rc;
    if (cfg->mode == PI_HYP) {
        rc = pgt_hyp_init(&p->pgt, 48, cfg->granule, &tmm_ops, NULL);
    } else {
        static const uint32_t ia[] = {[12] = 40, [14] = 42, [16] = 44};
        /* Stage-2 options: from the seed's low bits, so consecutive seeds
         * (the driver's epochs) cover all four; fuzz: from the bytes. */
        unsigned opt = cfg->bytes ? (unsigned)draw(p, 4) : (unsigned)cfg->seed;
        p->fwb = cfg->mode == PI_S2 && (opt & 1);
        /*
         * Half the option sets (FWB alone, XNX alone) declare the speed
         * hints as a hypervisor would: the linear map and the count array,
         * which with FWB alone the library also writes (count_writable).
         * The one-page paths then take their linear-map instances and the
         * stage-2 unmap its count-array one, checked here against the
         * model and the TLB model like everything else. At 16K the counts
         * are 2-byte (the low half of test_mm's int32_t, little-endian),
         * elsewhere 4-byte: the instances of both widths.
         */
        _Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                       "2-byte counts as the low half of an int32_t");
        static struct pgt_mm_ops hinted;
        hinted = tmm_ops;
        if ((opt ^ (opt >> 1)) & 1) {
            hinted.linear = true;
            hinted.linear_offset = (uint64_t)(uintptr_t)p->mm.base - p->mm.pa_base;
            hinted.count_base = p->mm.refcount;
            hinted.count_va = (uintptr_t)p->mm.base;
            hinted.count_shift = 2;
            hinted.count_width = cfg->granule == PGT_GRANULE_16K ? 2 : 4;
            hinted.count_writable = (opt & 1) != 0;
        }
        /* The other half have no tlbi_range: invalidations go per leaf,
         * then one tlbi_all past a small threshold, under the TLB model. */
        if (opt & 2) {
            hinted.tlbi_range = NULL;
            hinted.tlbi_all_threshold = 8;
        }
        p->xnx = cfg->mode == PI_S2 && (opt & 2);
        struct pgt_s2_cfg sc = {
            .granule = cfg->granule,
            .ia_bits = cfg->ia_bits ? cfg->ia_bits : ia[cfg->granule],
            .oa_bits = 48,
            .start_level = PGT_LEVEL_AUTO,
            .flags = cfg->mode == PI_S2_HOST
                         ? PGT_S2_HOST
                         : (p->fwb ? PGT_S2_FWB : 0) | (p->xnx ? PGT_S2_XNX : 0),
        };
        rc = pgt_s2_init(&p->pgt, &sc, &hinted, NULL, NULL);
    }
    if (rc)
        fail(p, "table init returned %d", rc);
    st->start_level = p->pgt.geom.start_level;
    st->root_pages = p->pgt.geom.nr_root_pages;
    st->ia_bits = p->pgt.geom.ia_bits;
    setup_window(p);
    rm_init(&p->rm, p->page);
    tlbm_init(&p->tlb, &p->mm, &p->pgt, cfg->seed + 77);
    if (cfg->arena)
        bufs_take_models(p, &models);
    p->tlb.report = tlb_report;
    p->tlb.report_arg = p;
    unsigned every = cfg->full_every ? cfg->full_every
                                     : 64;
    if (cfg->verbose)
        fprintf(stderr,
                "prop: granule %zuK mode %s ia %u start level %d root pages "
                "%u window [%#" PRIx64 ", %#" PRIx64 ") fwb %d xnx %d "
                "hints %d\n",
                page >> 10, pi_mode_name(cfg->mode), p->pgt.geom.ia_bits,
                p->pgt.geom.start_level, p->pgt.geom.nr_root_pages,
                p->win_base, p->win_base + p->win_size, p->fwb, p->xnx,
                p->pgt.mm_ops->linear);
    /* The empty table (a fuzz input's final check reads it all anyway). */
    if (!cfg->bytes)
        full_check(p);
    unsigned long next_full = every;

    for (p->op = 1; p->op <= nops && !p->exhausted; p->op++) {
        step(p);
        st->ops++;
        if (p->op >= next_full) {
            full_check(p);
            /* Cost grows with the table: keep it a bounded share. */
            next_full = p->op + (every > p->ntp / 4 ? every : p->ntp / 4);
        }
    }
    p->op--;
    snprintf(p->opdesc, sizeof(p->opdesc), "final check and destroy");
    full_check(p);
    if (cfg->mode == PI_HYP)
        pgt_hyp_destroy(&p->pgt);
    else
        pgt_s2_destroy(&p->pgt);
    if (p->mm.live)
        fail(p, "destroy left %ld pages allocated", p->mm.live);
    if (cfg->arena)
        bufs_give(p);
    tlbm_fini(&p->tlb, &p->mm);
    rm_fini(&p->rm);
    sigaction(SIGABRT, &prev_abrt, NULL);
    cur_pi = NULL;
    if (cfg->arena) {
        *cfg->arena = p->mm; /* its log may have grown */
        spare = p;
        return 0;
    }
    tmm_fini(&p->mm);
    free(p->tp);
    free(p->snap.pages);
    free(p->snap.data);
    free(p->snap.refs);
    free(p->pred);
    free(p->pre_tables);
    free(p->pre_table_va);
    free(p);
    return 0;
}
