// SPDX-License-Identifier: MIT
/*
 * Differential test of the one-page paths and the mm_ops hints.
 *
 * The same random operation sequence runs on 24 copies of a table: every
 * combination of the optional hints (linear map; no count array, one the
 * library reads, or one it also writes (count_writable); get/put_page_n)
 * with the one-page paths on, and with every operation forced through
 * the engine (PGT_INTERNAL_ENGINE_ONLY). Each copy lives
 * in an arena of its own (its mm_ctx) and is watched by the TLB model.
 * After every operation all copies must have returned the same value and
 * hold the same tables: identical leaf and invalid entries, table entries
 * at the same places (their pages may differ) with the same attribute
 * bits, the same reference count on every table page, the same number of
 * live pages and of pages freed by the operation, and the same cache
 * maintenance calls; a map must allocate exactly the pages
 * pgt_s2_map_cost() / pgt_s1_map_cost() said; each copy's TLB model must
 * have seen every change
 * invalidated (no stale entry, break-before-make kept, no table freed
 * while cached).
 *
 *   prop-diff [SEED [OPS]]   (PGT_DIFF_VERBOSE=1 prints each operation)
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgtable/pgtable.h"
#include "test_mm.h"
#include "tlbmodel.h"

#define NVAR 24
#define ARENA_PA 0x8000000000ull /* 512 GiB: table PAs above any IA used */

enum mode { MODE_S2, MODE_HOST, MODE_HYP, MODE_FOLD };

struct shape {
    const char *name;
    enum pgt_granule g;
    uint32_t ia;
    int start; /* stage 2 start level (stage 1: automatic) */
    enum mode mode;
    size_t pages; /* arena pages */
    int count_width; /* the count array's (bytes a count), when declared */
};

/* The 2-byte count arrays below read the low half of test_mm's counts. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "2-byte counts as the low half of an int32_t");

static const struct shape shapes[] = {
    {"4K/40 s2", PGT_GRANULE_4K, 40, 1, MODE_S2, 1024, 4},
    {"4K/48 s2", PGT_GRANULE_4K, 48, 0, MODE_S2, 1024, 2},
    {"4K/36 s2", PGT_GRANULE_4K, 36, 1, MODE_S2, 1024, 4},
    {"16K/47 s2", PGT_GRANULE_16K, 47, 1, MODE_S2, 256, 2},
    {"64K/42 s2", PGT_GRANULE_64K, 42, 2, MODE_S2, 64, 2},
    {"16K/40 s2", PGT_GRANULE_16K, 40, 2, MODE_S2, 256, 4},
    {"4K/40 host", PGT_GRANULE_4K, 40, 1, MODE_HOST, 1024, 2},
    {"4K/40 fold", PGT_GRANULE_4K, 40, 1, MODE_FOLD, 1024, 4},
    {"64K/42 fold", PGT_GRANULE_64K, 42, 2, MODE_FOLD, 64, 2},
    {"64K/42 host", PGT_GRANULE_64K, 42, 2, MODE_HOST, 64, 4},
    {"4K/48 hyp", PGT_GRANULE_4K, 48, -1, MODE_HYP, 1024, 2},
    {"16K/47 hyp", PGT_GRANULE_16K, 47, -1, MODE_HYP, 256, 4},
    {"64K/48 hyp", PGT_GRANULE_64K, 48, -1, MODE_HYP, 64, 2},
};

struct var {
    struct tmm m;
    struct pgt_mm_ops ops;
    struct pgt pgt;
    struct tlbm tlb;
    unsigned hints; /* bit 0 linear, bit 1 counts, bit 2 _n hooks,
                     * bit 3 counts written in place */
    bool engine_only;
};

static struct var vars[NVAR];
static const struct shape *cur;
static uint64_t rng, op_no;
static bool verbose;
static unsigned long folds; /* tables a coalesce folded, this shape */
static char opdesc[160];

static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? next() % n : 0;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "prop-diff: %s, op #%" PRIu64 " (%s): ", cur->name, op_no,
            opdesc);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

/* ---- the copies --------------------------------------------------------- */

static void tlb_report(void *arg, const char *msg)
{
    struct var *v = arg;
    fprintf(stderr, "prop-diff: %s, op #%" PRIu64 " (%s): copy hints=%u%s: "
            "TLB model: %s\n", cur->name, op_no, opdesc, v->hints,
            v->engine_only ? " engine-only" : "", msg);
}

static void var_init(struct var *v, int i)
{
    const struct shape *s = cur;
    int ret;

    int k = i % (NVAR / 2), counts = (k >> 1) % 3;
    v->hints = (unsigned)(k & 1) | (counts ? 2u : 0u) | (k >= 6 ? 4u : 0u) |
               (counts == 2 ? 8u : 0u);
    v->engine_only = i >= NVAR / 2;
    tmm_init(&v->m, (size_t)1 << s->g, s->pages, ARENA_PA);
    v->ops = tmm_ops;
    if (v->hints & 1) {
        v->ops.linear = true;
        v->ops.linear_offset = (uint64_t)(uintptr_t)v->m.base - v->m.pa_base;
    }
    if (v->hints & 2) {
        /* One int32_t per page, whose low half (little-endian) is a
         * 2-byte count as long as counts stay below 2^16. */
        v->ops.count_base = v->m.refcount;
        v->ops.count_va = (uintptr_t)v->m.base;
        v->ops.count_shift = 2;
        v->ops.count_width = (uint8_t)s->count_width;
        v->ops.count_writable = (v->hints & 8) != 0;
    }
    if (!(v->hints & 4)) {
        v->ops.get_page_n = NULL;
        v->ops.put_page_n = NULL;
    }
    if (s->mode == MODE_HYP) {
        ret = pgt_hyp_init(&v->pgt, s->ia, s->g, &v->ops, &v->m);
    } else {
        struct pgt_s2_cfg cfg = {
            .granule = s->g,
            .ia_bits = s->ia,
            .oa_bits = 48,
            .start_level = s->start,
            .flags = s->mode == MODE_HOST ? PGT_S2_HOST
                     : s->mode == MODE_FOLD ? PGT_S2_COALESCE : 0,
        };
        ret = pgt_s2_init(&v->pgt, &cfg, &v->ops, &v->m, NULL);
    }
    if (ret)
        fail("init of copy %d: %d", i, ret);
    if (v->engine_only)
        PGT_INTERNAL_SET_ENGINE_ONLY(&v->pgt);
    tlbm_init(&v->tlb, &v->m, &v->pgt, 1234 + (uint64_t)i);
    v->tlb.report = tlb_report;
    v->tlb.report_arg = v;
}

/* ---- comparing the copies ---------------------------------------------- */

static uint64_t span(int level)
{
    uint32_t gs = (uint32_t)cur->g;
    return 1ull << (gs + (gs - 3) * (uint32_t)(3 - level));
}

static bool is_table(pgt_pte_t e, int level)
{
    return level < 3 && (e & 3) == 3;
}

static pgt_pte_t *table_ptr(const struct var *v, pgt_pte_t e)
{
    pgt_pte_t *t = tlbm_table_ptr(&v->m, tlbm_oa(&v->pgt, e));
    if (!t)
        fail("table entry %#" PRIx64 " points outside the arena", e);
    return t;
}

/* The entries of @n at @level from IA @base in copy 0 (@a) and copy @i
 * (@b): equal, but for the pages tables live in. */
static void compare_tables(int i, const pgt_pte_t *a, const pgt_pte_t *b,
                           uint64_t n, int level, uint64_t base)
{
    uint64_t per = 1ull << ((uint32_t)cur->g - 3);
    const uint64_t oa = ((1ull << 48) - 1) & ~((1ull << cur->g) - 1);

    for (uint64_t k = 0; k < n; k++) {
        pgt_pte_t ea = a[k], eb = b[k];
        uint64_t va = base + k * span(level);
        bool ta = is_table(ea, level), tb = is_table(eb, level);
        if (ta != tb || (!ta && ea != eb) || (ta && (ea & ~oa) != (eb & ~oa)))
            fail("copy %d (hints=%u%s) differs at IA %#" PRIx64 " level %d: "
                 "%#" PRIx64 " against %#" PRIx64, i, vars[i].hints,
                 vars[i].engine_only ? " engine-only" : "", va, level, eb, ea);
        if (!ta)
            continue;
        const pgt_pte_t *ca = table_ptr(&vars[0], ea), *cb = table_ptr(&vars[i], eb);
        int ra = tmm_page_ref(&vars[0].m, ca), rb = tmm_page_ref(&vars[i].m, cb);
        if (ra != rb)
            fail("copy %d: table at IA %#" PRIx64 " level %d has count %d "
                 "against %d", i, va, level + 1, rb, ra);
        compare_tables(i, ca, cb, per, level + 1, va);
    }
}

static void compare_all(int64_t *rets, long *freed, size_t *ncmo)
{
    const struct pgt *p0 = &vars[0].pgt;
    uint64_t root_entries = pgt_root_entries(&p0->geom);
    uint64_t per = pgt_ptes_per_page(&p0->geom);

    for (int i = 1; i < NVAR; i++) {
        struct var *v = &vars[i];
        if (rets[i] != rets[0])
            fail("copy %d (hints=%u%s) returned %" PRId64 ", copy 0 %" PRId64,
                 i, v->hints, v->engine_only ? " engine-only" : "", rets[i],
                 rets[0]);
        if (freed[i] != freed[0] || v->m.live != vars[0].m.live)
            fail("copy %d freed %ld pages (%ld live), copy 0 %ld (%ld live)", i,
                 freed[i], v->m.live, freed[0], vars[0].m.live);
        for (uint64_t r = 0; r < root_entries; r += per)
            if (tmm_page_ref(&v->m, v->pgt.pgd + r) !=
                tmm_page_ref(&vars[0].m, p0->pgd + r))
                fail("copy %d: root page %" PRIu64 " count differs", i, r / per);
        compare_tables(i, p0->pgd, v->pgt.pgd, root_entries, p0->geom.start_level, 0);
        if (ncmo[i] != ncmo[0])
            fail("copy %d made %zu cache-maintenance calls, copy 0 %zu", i,
                 ncmo[i], ncmo[0]);
        for (size_t k = 0, j = 0; k < v->m.nlog; k++) {
            const struct tmm_event *e = &v->m.log[k];
            if (e->kind != TMM_DCACHE && e->kind != TMM_ICACHE)
                continue;
            while (vars[0].m.log[j].kind != TMM_DCACHE &&
                   vars[0].m.log[j].kind != TMM_ICACHE)
                j++;
            const struct tmm_event *f = &vars[0].m.log[j++];
            if (e->kind != f->kind || e->addr != f->addr || e->size != f->size)
                fail("copy %d: cache maintenance %d %#" PRIx64 "+%#" PRIx64
                     " against %d %#" PRIx64 "+%#" PRIx64, i, e->kind, e->addr,
                     e->size, f->kind, f->addr, f->size);
        }
    }
}

/* ---- operations ------------------------------------------------------- */

enum opk { OP_MAP, OP_UNMAP, OP_OWNER, OP_RELAX, OP_YOUNG, OP_WRPROT, OP_OLD,
           OP_SPLIT, OP_PROTECT, OP_FOLD, OP_S2PROT, OP_REFOLD };

struct op {
    enum opk k;
    uint64_t addr, size, phys;
    enum pgt_prot prot;
    uint32_t arg;
};

static int64_t apply(struct var *v, const struct op *o)
{
    struct pgt *p = &v->pgt;

    switch (o->k) {
    case OP_MAP:
        if (cur->mode == MODE_HYP)
            return pgt_hyp_map(p, o->addr, o->size, o->phys, o->prot);
        return pgt_s2_map(p, o->addr, o->size, o->phys, o->prot, NULL, o->arg);
    case OP_UNMAP:
        if (cur->mode == MODE_HYP)
            return pgt_hyp_unmap(p, o->addr, o->size);
        return pgt_s2_unmap(p, o->addr, o->size, NULL);
    case OP_OWNER:
        return pgt_s2_set_owner(p, o->addr, o->size, NULL, o->arg);
    case OP_RELAX:
        return pgt_s2_relax_perms(p, o->addr, o->prot);
    case OP_YOUNG:
        return pgt_s2_mkyoung(p, o->addr);
    case OP_WRPROT:
        return pgt_s2_wrprotect(p, o->addr, o->size);
    case OP_OLD:
        return pgt_s2_test_clear_young(p, o->addr, o->size, o->arg);
    case OP_SPLIT:
        return pgt_s2_split(p, o->addr, o->size, NULL);
    case OP_FOLD:
        if (cur->mode == MODE_HYP)
            return pgt_hyp_coalesce(p, o->addr, o->size);
        return pgt_s2_coalesce(p, o->addr, o->size);
    case OP_S2PROT:
        return pgt_s2_protect(p, o->addr, o->size, o->prot);
    case OP_REFOLD: { /* split, then fold back: every block split folds */
        int ret = pgt_s2_split(p, o->addr, o->size, NULL);
        return ret ? ret : pgt_s2_coalesce(p, o->addr, o->size);
    }
    default:
        return pgt_hyp_protect(p, o->addr, o->size, o->prot);
    }
}

static const char *const opname[] = {"map", "unmap", "set_owner", "relax",
                                     "mkyoung", "wrprotect", "clear_young",
                                     "split", "protect", "coalesce",
                                     "s2_protect", "split+coalesce"};

/*
 * Addresses come from three zones, so that operations meet each other:
 * pages and small ranges low in the IA space, blocks a little higher, and
 * the last level-2 spans of the IA space (the last root page of a
 * concatenated root).
 */
static uint64_t pick_addr(uint64_t *size_out)
{
    uint64_t page = 1ull << cur->g, blk = span(2), ia = 1ull << cur->ia;
    uint64_t zone = below(10), base, len;

    if (zone < 6) {
        base = 0;
        len = 4 * blk;
    } else if (zone < 8) {
        base = 8 * blk;
        len = 4 * blk;
    } else {
        base = ia - 4 * blk;
        len = 4 * blk;
    }
    uint64_t addr, size;
    switch (below(8)) {
    case 0: case 1: case 2: case 3:
        size = page;
        addr = base + below(len / page) * page;
        break;
    case 4: case 5:
        size = (1 + below(24)) * page;
        addr = base + below(len / page - 24) * page;
        break;
    case 6:
        size = blk;
        addr = base + below(len / blk) * blk;
        break;
    default:
        size = (1 + below(2)) * blk;
        addr = base + below(len / blk - 2) * blk + (below(2) ? page * below(8) : 0);
        break;
    }
    *size_out = size;
    return addr;
}

static void gen(struct op *o)
{
    uint64_t page = 1ull << cur->g, blk = span(2);
    bool s2 = cur->mode != MODE_HYP;
    uint64_t r = below(100);

    o->addr = pick_addr(&o->size);
    o->phys = 0;
    o->arg = 0;
    o->prot = PGT_PROT_R | (below(2) ? PGT_PROT_W : 0);
    if (r < 45) {
        o->k = OP_MAP;
        if (s2) {
            if (below(3) == 0)
                o->prot |= PGT_PROT_X;
            if (below(10) == 0)
                o->prot = PGT_PROT_RW | PGT_PROT_DEVICE;
            o->arg = (uint32_t)below(4); /* PGT_MAP_SKIP_* */
        } else if (below(4) == 0 && !(o->prot & PGT_PROT_W)) {
            o->prot |= PGT_PROT_X;
        }
        /* Output: identity (host), or a shift by a multiple of a block
         * (blocks possible) or by pages (pages only), from a few choices
         * so that maps meet identical and different leaves. */
        uint64_t shift = below(2) ? blk * (1 + below(2)) : page * below(3);
        o->phys = cur->mode == MODE_HOST ? o->addr : o->addr + shift;
    } else if (r < 72) {
        o->k = OP_UNMAP;
    } else if (r < 75) {
        o->k = OP_FOLD;
        if (below(2)) { /* a whole zone: folds at every level */
            o->addr &= ~(4 * blk - 1);
            o->size = 4 * blk;
        }
    } else if (!s2) {
        o->k = OP_PROTECT;
        o->prot = PGT_PROT_R | (below(2) ? PGT_PROT_W : PGT_PROT_X);
    } else if (r < 82) {
        o->k = OP_OWNER;
        o->arg = (uint32_t)below(3);
    } else if (r < 87) {
        o->k = OP_RELAX;
        o->prot = below(2) ? PGT_PROT_X : PGT_PROT_W;
    } else if (r < 90) {
        o->k = OP_YOUNG;
    } else if (r < 94) {
        o->k = OP_WRPROT;
    } else if (r < 96) {
        o->k = OP_OLD;
        o->arg = (uint32_t)below(2);
    } else if (r < 97) {
        o->k = OP_REFOLD;
    } else if (r < 98) {
        o->k = OP_S2PROT;
        o->prot = PGT_PROT_R | (below(2) ? PGT_PROT_W : 0) |
                  (below(2) ? PGT_PROT_X : 0);
    } else {
        o->k = OP_SPLIT;
    }
    snprintf(opdesc, sizeof(opdesc), "%s %#" PRIx64 "+%#" PRIx64 " -> %#" PRIx64
             " prot %#x arg %u", opname[o->k], o->addr, o->size, o->phys,
             (unsigned)o->prot, o->arg);
}

/* ---- one shape --------------------------------------------------------- */

static unsigned long run_shape(const struct shape *s, uint64_t seed,
                               unsigned long nops)
{
    int64_t rets[NVAR];
    long freed[NVAR];
    size_t ncmo[NVAR];
    unsigned long oom = 0;

    folds = 0;
    cur = s;
    rng = seed;
    for (int i = 0; i < NVAR; i++)
        var_init(&vars[i], i);
    for (op_no = 1; op_no <= nops; op_no++) {
        struct op o;
        gen(&o);
        long fail_after = below(20) == 0 ? (long)below(4) : -1;
        if (verbose)
            fprintf(stderr, "%s #%" PRIu64 ": %s\n", s->name, op_no, opdesc);
        for (int i = 0; i < NVAR; i++) {
            struct var *v = &vars[i];
            long frees = v->m.frees;
            /* Let the walker hold what the operation may change. */
            tlbm_touch(&v->tlb, o.addr);
            tlbm_touch(&v->tlb, o.addr + o.size - (1ull << s->g));
            tmm_log_clear(&v->m);
            uint64_t blk = span(2);
            tlbm_begin_op(&v->tlb, o.addr & ~(blk - 1),
                          (o.addr + o.size + blk - 1) & ~(blk - 1));
            int64_t cost = 0;
            if (o.k == OP_MAP)
                cost = s->mode == MODE_HYP
                           ? pgt_s1_map_cost(&v->pgt, o.addr, o.size, o.phys, o.prot)
                           : pgt_s2_map_cost(&v->pgt, o.addr, o.size, o.phys,
                                             o.prot, o.arg);
            long allocs = v->m.allocs;
            tmm_fail_after(&v->m, fail_after);
            rets[i] = apply(v, &o);
            tmm_fail_after(&v->m, -1);
            if (tlbm_end_op(&v->tlb))
                fail("copy %d (hints=%u%s): TLB model: %s", i, v->hints,
                     v->engine_only ? " engine-only" : "", v->tlb.msg);
            freed[i] = v->m.frees - frees;
            if (o.k == OP_MAP && rets[i] != -PGT_ENOMEM &&
                (cost < 0 ? rets[i] != cost : v->m.allocs - allocs != cost))
                fail("copy %d: map cost said %" PRId64 ", the map returned %"
                     PRId64 " after %ld allocations", i, cost, rets[i],
                     v->m.allocs - allocs);
            ncmo[i] = 0;
            for (size_t k = 0; k < v->m.nlog; k++)
                ncmo[i] += v->m.log[k].kind == TMM_DCACHE ||
                           v->m.log[k].kind == TMM_ICACHE;
        }
        oom += rets[0] == -PGT_ENOMEM;
        /* Tables freed by a coalesce: folds (every copy agrees). */
        if (o.k == OP_FOLD || o.k == OP_REFOLD)
            folds += (unsigned long)freed[0];
        compare_all(rets, freed, ncmo);
    }
    for (int i = 0; i < NVAR; i++) {
        struct var *v = &vars[i];
        tlbm_fini(&v->tlb, &v->m);
        if (s->mode == MODE_HYP)
            pgt_hyp_destroy(&v->pgt);
        else
            pgt_s2_destroy(&v->pgt);
        if (v->m.live)
            fail("copy %d: %ld pages left after destroy", i, v->m.live);
        tmm_fini(&v->m);
    }
    return oom;
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    unsigned long nops = argc > 2 ? strtoul(argv[2], NULL, 0) : 3000;

    verbose = getenv("PGT_DIFF_VERBOSE") != NULL;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        unsigned long oom = run_shape(&shapes[i], seed + i, nops);
        printf("prop-diff %-11s seed %" PRIu64 ": %lu ops on %d copies agree "
               "(%lu out of memory, %lu tables folded)\n", shapes[i].name,
               seed + i, nops, NVAR, oom, folds);
    }
    return 0;
}
