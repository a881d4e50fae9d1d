// SPDX-License-Identifier: MIT
/* Reference model and emulator checks; see check.h. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct orc_check_stats orc_check_stats;

/* --- reference model ---------------------------------------------------- */

void ref_init(struct ref *m)
{
    memset(m, 0, sizeof(*m));
}

void ref_fini(struct ref *m)
{
    free(m->r);
    memset(m, 0, sizeof(*m));
}

static struct ref_region *ref_push(struct ref *m)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->r = realloc(m->r, m->cap * sizeof(*m->r));
        if (!m->r)
            abort();
    }
    return &m->r[m->n++];
}

/* Split regions so that none straddles @at. */
static void ref_cut(struct ref *m, uint64_t at)
{
    for (size_t i = 0; i < m->n; i++) {
        struct ref_region *r = &m->r[i];
        if (r->ia < at && at < r->ia + r->size) {
            struct ref_region tail = *r;
            uint64_t head = at - r->ia;
            r->size = head;
            tail.ia = at;
            tail.size -= head;
            if (tail.st == REF_MAPPED)
                tail.pa += head;
            *ref_push(m) = tail;
            return;
        }
    }
}

static bool inside(const struct ref_region *r, uint64_t ia, uint64_t size)
{
    return r->ia >= ia && r->ia + r->size <= ia + size;
}

void ref_unmap(struct ref *m, uint64_t ia, uint64_t size)
{
    ref_cut(m, ia);
    ref_cut(m, ia + size);
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!inside(&m->r[i], ia, size))
            m->r[k++] = m->r[i];
    m->n = k;
}

void ref_map(struct ref *m, uint64_t ia, uint64_t size, uint64_t pa,
             uint32_t prot)
{
    ref_unmap(m, ia, size);
    *ref_push(m) = (struct ref_region){.ia = ia, .size = size, .pa = pa,
                                       .st = REF_MAPPED, .prot = prot,
                                       .level = ORC_ANY_LEVEL};
}

void ref_set_owner(struct ref *m, uint64_t ia, uint64_t size, uint32_t owner)
{
    ref_unmap(m, ia, size);
    if (owner)
        *ref_push(m) = (struct ref_region){.ia = ia, .size = size,
                                           .st = REF_OWNED, .owner = owner,
                                           .level = ORC_ANY_LEVEL};
}

#define PERM_BITS (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X | PGT_PROT_USER)

void ref_set_perms(struct ref *m, uint64_t ia, uint64_t size, uint32_t prot)
{
    ref_cut(m, ia);
    ref_cut(m, ia + size);
    for (size_t i = 0; i < m->n; i++) {
        struct ref_region *r = &m->r[i];
        if (r->st == REF_MAPPED && inside(r, ia, size))
            r->prot = (r->prot & ~(uint32_t)PERM_BITS) | (prot & PERM_BITS);
    }
}

void ref_wrprotect(struct ref *m, uint64_t ia, uint64_t size)
{
    ref_cut(m, ia);
    ref_cut(m, ia + size);
    for (size_t i = 0; i < m->n; i++) {
        struct ref_region *r = &m->r[i];
        if (r->st == REF_MAPPED && inside(r, ia, size))
            r->prot &= ~(uint32_t)PGT_PROT_W;
    }
}

void ref_relax(struct ref *m, uint64_t ia, uint64_t size, uint32_t prot)
{
    ref_cut(m, ia);
    ref_cut(m, ia + size);
    for (size_t i = 0; i < m->n; i++) {
        struct ref_region *r = &m->r[i];
        if (r->st == REF_MAPPED && inside(r, ia, size))
            r->prot |= prot & (PGT_PROT_R | PGT_PROT_W | PGT_PROT_X);
    }
}

void ref_set_old(struct ref *m, uint64_t ia, uint64_t size, bool old)
{
    ref_cut(m, ia);
    ref_cut(m, ia + size);
    for (size_t i = 0; i < m->n; i++) {
        struct ref_region *r = &m->r[i];
        if (r->st == REF_MAPPED && inside(r, ia, size))
            r->old = old;
    }
}

void ref_set_level(struct ref *m, uint64_t ia, uint64_t size, int level)
{
    ref_cut(m, ia);
    ref_cut(m, ia + size);
    for (size_t i = 0; i < m->n; i++) {
        struct ref_region *r = &m->r[i];
        if (r->st == REF_MAPPED && inside(r, ia, size))
            r->level = level;
    }
}

const struct ref_region *ref_find(const struct ref *m, uint64_t ia)
{
    for (size_t i = 0; i < m->n; i++)
        if (ia >= m->r[i].ia && ia - m->r[i].ia < m->r[i].size)
            return &m->r[i];
    return NULL;
}

uint64_t ref_mapped_pages(const struct ref *m, unsigned gs)
{
    uint64_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        if (m->r[i].st == REF_MAPPED)
            n += m->r[i].size >> gs;
    return n;
}

/* --- expectations ------------------------------------------------------- */


size_t orc_accesses(enum orc_regime regime, struct orc_access *a)
{
    switch (regime) {
    case ORC_S1_EL3:
        a[0] = (struct orc_access){ORC_AT_S1E3R, false, false};
        a[1] = (struct orc_access){ORC_AT_S1E3W, true, false};
        return 2;
    case ORC_S1_EL2:
        a[0] = (struct orc_access){ORC_AT_S1E2R, false, false};
        a[1] = (struct orc_access){ORC_AT_S1E2W, true, false};
        return 2;
    case ORC_S1_EL10:
    case ORC_S1_EL20:
        a[0] = (struct orc_access){ORC_AT_S1E1R, false, false};
        a[1] = (struct orc_access){ORC_AT_S1E1W, true, false};
        a[2] = (struct orc_access){ORC_AT_S1E0R, false, true};
        a[3] = (struct orc_access){ORC_AT_S1E0W, true, true};
        return 4;
    case ORC_S2:
        a[0] = (struct orc_access){ORC_AT_S12E1R, false, false};
        a[1] = (struct orc_access){ORC_AT_S12E1W, true, false};
        return 2;
    default:
        abort();
    }
}

/* The MAIR byte the documented MAIR gives each memory type. */
static int mair_attr_of_prot(uint32_t prot)
{
    if (prot & PGT_PROT_DEVICE)
        return 0x04;
    if (prot & PGT_PROT_NORMAL_NC)
        return 0x44;
    return 0xff;
}

/* Permission outcome shared by both expectations. */
bool orc_perm_fault(enum orc_regime regime, uint32_t prot,
                       const struct orc_access *a)
{
    if (regime == ORC_S2)
        return a->write ? !(prot & PGT_PROT_W) : !(prot & PGT_PROT_R);
    if (a->el0 && !(prot & PGT_PROT_USER))
        return true;
    return a->write && !(prot & PGT_PROT_W);
}

/* Level reported for stage-2-only ATs has no stage-1 part: stage 1 is off
 * (Device-nGnRnE, reported as ATTR 0x00, SH outer). */

/* (2) from the reference model, for the offset @ia into the table's
 * range. @level: the fault level (from the library's walk, or
 * ORC_ANY_LEVEL). */
static struct orc_expect expect_ref(const struct orc_target *t,
                                    const struct ref *m, uint64_t ia,
                                    const struct orc_access *a, int level)
{
    bool s2 = t->regime == ORC_S2;
    struct orc_expect e = {.fault = ORC_F_TRANS, .level = level, .s2 = s2,
                           .attr = -1, .sh = -1};
    const struct ref_region *r = ref_find(m, ia);
    if (!r || r->st != REF_MAPPED)
        return e;
    if (r->level != ORC_ANY_LEVEL)
        e.level = r->level;
    if (r->old) {
        e.fault = ORC_F_AF;
        return e;
    }
    if (orc_perm_fault(t->regime, r->prot, a)) {
        e.fault = ORC_F_PERM;
        return e;
    }
    e.fault = ORC_OK;
    e.pa = r->pa + (ia - r->ia);
    if (t->regime == ORC_S1_EL3) {
        e.check_ns = true;
        e.ns = (r->prot & PGT_PROT_NS) != 0;
    }
    if (s2) {
        e.attr = mair_attr_of_prot(r->prot);
        e.sh = e.attr == 0xff ? 3 : ORC_S2_SH_DEVICE_NC;
    } else {
        e.attr = mair_attr_of_prot(r->prot);
        /* Normal write-back memory is inner shareable (the TCR the library
         * gives says so too); Device / NC shareability is not checked
         * against the model (the architecture treats Device as outer
         * shareable whatever the descriptor says). */
        e.sh = e.attr == 0xff ? 3 : -1;
    }
    return e;
}

/* --- the check ------------------------------------------------------------ */

struct addrs {
    uint64_t *v;
    size_t n, cap;
};

static void add(struct addrs *a, uint64_t ia)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 4096;
        a->v = realloc(a->v, a->cap * sizeof(*a->v));
        if (!a->v)
            abort();
    }
    a->v[a->n++] = ia;
}

static size_t check_mem(const struct orc_target *t, const struct ref *m,
                        const struct orc_check_opts *opt, uint64_t *seed);

size_t orc_check(const struct orc_target *t, const struct ref *m,
                 const struct orc_check_opts *opt)
{
    const uint64_t g = 1ull << t->gs;
    const uint64_t ia_end = 1ull << t->ia_bits;
    uint64_t seed = opt->seed | 1;
    struct addrs a = {0};

    /* Every mapped page (or an even sample), at a random offset. */
    uint64_t total = ref_mapped_pages(m, t->gs);
    uint64_t stride = 1;
    if (opt->max_pages && total > opt->max_pages)
        stride = (total + opt->max_pages - 1) / opt->max_pages;
    uint64_t k = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct ref_region *r = &m->r[i];
        if (r->st != REF_MAPPED)
            continue;
        for (uint64_t off = 0; off < r->size; off += g, k++)
            if (k % stride == 0)
                add(&a, r->ia + off + (orc_rand(&seed) & (g - 8)));
    }
    size_t npages = a.n;
    /* Owned regions, region edges, and random addresses. */
    for (size_t i = 0; i < m->n; i++) {
        const struct ref_region *r = &m->r[i];
        if (r->st == REF_OWNED)
            for (int j = 0; j < 16; j++)
                add(&a, r->ia + (orc_rand(&seed) % r->size & ~7ull));
        if (r->ia >= g)
            add(&a, r->ia - 8);
        if (r->ia + r->size < ia_end)
            add(&a, r->ia + r->size);
    }
    for (size_t i = 0; i < opt->unmapped; i++)
        add(&a, orc_rand(&seed) & (ia_end - 8));

    struct orc_access acc[4];
    size_t nacc = orc_accesses(t->regime, acc);
    uint64_t *par = malloc(a.n * sizeof(*par));
    uint64_t *va = malloc(a.n * sizeof(*va));
    struct orc_expect *eref = malloc(a.n * sizeof(*eref));
    struct orc_expect *elib = malloc(a.n * sizeof(*elib));
    if (!par || !va || !eref || !elib)
        abort();
    /* The model works on offsets into the range, the CPU on VAs. */
    for (size_t i = 0; i < a.n; i++)
        va[i] = t->va_base + a.v[i];
    size_t bad = 0;
    char label[160];
    for (size_t j = 0; j < nacc; j++) {
        orc_at(t->o, acc[j].op, va, par, a.n);
        for (size_t i = 0; i < a.n; i++) {
            int level = ORC_ANY_LEVEL;
            if (t->lib_expect)
                elib[i] = t->lib_expect(t, va[i], &acc[j], &level);
            eref[i] = expect_ref(t, m, a.v[i], &acc[j], level);
            /* The leaf level the test expects vs the library's walk. */
            const struct ref_region *r = ref_find(m, a.v[i]);
            if (j == 0 && t->lib_expect && r && r->st == REF_MAPPED &&
                r->level != ORC_ANY_LEVEL && r->level != level) {
                if (bad++ < 8)
                    fprintf(stderr,
                            "oracle [%s]: %#llx: pgt_get_leaf level %d, "
                            "expected a leaf at level %d\n",
                            opt->what, (unsigned long long)va[i], level,
                            r->level);
            }
        }
        snprintf(label, sizeof(label), "%s: vs reference model", opt->what);
        bad += orc_compare(label, acc[j].op, va, par, eref, a.n);
        if (t->lib_expect) {
            snprintf(label, sizeof(label), "%s: vs pgt_get_leaf", opt->what);
            bad += orc_compare(label, acc[j].op, va, par, elib, a.n);
        }
    }
    orc_check_stats.pages += npages;
    orc_check_stats.unmapped += a.n - npages;
    orc_check_stats.checks++;
    free(par);
    free(va);
    free(eref);
    free(elib);
    free(a.v);
    if (opt->mem)
        bad += check_mem(t, m, opt, &seed);
    return bad;
}

/* A page the load/store/fetch probes may use: mapped, young, with its PA
 * in the RAM window. */
struct cand {
    uint64_t va, pa;
    uint32_t prot;
};

/* Pick up to @limit candidates satisfying @want, spread at random over
 * all of them (not just the first regions). */
static size_t pick(const struct cand *c, size_t nc, size_t limit,
                   bool (*want)(const struct orc_target *, uint32_t),
                   const struct orc_target *t, uint64_t *seed,
                   struct cand *out)
{
    size_t n = 0;
    if (!nc)
        return 0;
    for (size_t tries = 0; tries < 4 * limit && n < limit; tries++) {
        const struct cand *x = &c[orc_rand(seed) % nc];
        if (!want(t, x->prot))
            continue;
        bool dup = false;
        for (size_t i = 0; i < n && !dup; i++)
            dup = out[i].pa == x->pa;
        if (!dup)
            out[n++] = *x;
    }
    return n;
}

static bool readable(const struct orc_target *t, uint32_t prot)
{
    return t->regime != ORC_S2 || (prot & PGT_PROT_R);
}

static bool any_prot(const struct orc_target *t, uint32_t prot)
{
    (void)t;
    (void)prot;
    return true;
}

/* EL1&0 user pages are left out of fetch probes: their EL1 execute
 * rights follow extra rules (writable at EL0 means PXN). */
static bool fetchable_probe(const struct orc_target *t, uint32_t prot)
{
    (void)t;
    return !(prot & PGT_PROT_USER);
}

static bool user_any(const struct orc_target *t, uint32_t prot)
{
    (void)t;
    (void)prot;
    return true;
}

/*
 * The same probes at EL0 (the regimes with EL0): loads work exactly on
 * USER pages, stores on USER|W ones, fetches on USER|X ones (kernel code
 * has UXN); each forbidden access must fault. Accesses that must fault
 * run one at a time (a run stops at the first fault).
 */
static size_t check_el0(const struct orc_target *t,
                        const struct orc_check_opts *opt,
                        const struct cand *c, size_t nc, size_t limit,
                        uint64_t *seed)
{
    static struct cand sel[ORC_MEM_MAX], ok[ORC_MEM_MAX];
    static uint64_t va[ORC_MEM_MAX], val[ORC_MEM_MAX];
    static bool got[ORC_MEM_MAX];
    const struct cand *no_read = NULL, *no_write = NULL;
    size_t bad = 0, n = pick(c, nc, limit, user_any, t, seed, sel), k = 0;

    orc_set_el0(t->o, true);
    /* Loads: every USER page in one run, one other page alone. */
    for (size_t i = 0; i < n; i++) {
        if (sel[i].prot & PGT_PROT_USER)
            ok[k++] = sel[i];
        else if (!no_read)
            no_read = &sel[i];
    }
    for (size_t i = 0; i < k; i++)
        va[i] = ok[i].va;
    if (k) {
        size_t done = orc_load(t->o, va, val, k);
        if (done != k && bad++ < 8)
            fprintf(stderr, "oracle [%s]: EL0 load from user page %#llx "
                            "faulted\n",
                    opt->what, (unsigned long long)va[done]);
        for (size_t i = 0; i < done; i++)
            if (val[i] != orc_ram_word(ok[i].pa) && bad++ < 8)
                fprintf(stderr, "oracle [%s]: EL0 load %#llx gave %#llx, "
                                "expected the word at PA %#llx\n",
                        opt->what, (unsigned long long)va[i],
                        (unsigned long long)val[i],
                        (unsigned long long)ok[i].pa);
    }
    if (no_read && orc_load(t->o, &no_read->va, val, 1) != 0 && bad++ < 8)
        fprintf(stderr, "oracle [%s]: EL0 load from kernel page %#llx did "
                        "not fault\n",
                opt->what, (unsigned long long)no_read->va);

    /* Stores: USER|W pages in one run, one other page alone. */
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if ((sel[i].prot & (PGT_PROT_USER | PGT_PROT_W)) ==
            (PGT_PROT_USER | PGT_PROT_W))
            ok[k++] = sel[i];
        else if (!no_write)
            no_write = &sel[i];
    }
    for (size_t i = 0; i < k; i++) {
        va[i] = ok[i].va;
        val[i] = ok[i].va ^ 0xfedcba9876543210ull;
    }
    if (k) {
        size_t done = orc_store(t->o, va, val, k);
        if (done != k && bad++ < 8)
            fprintf(stderr, "oracle [%s]: EL0 store to %#llx faulted\n",
                    opt->what, (unsigned long long)va[done]);
        for (size_t i = 0; i < done; i++)
            if (*(uint64_t *)orc_phys(t->o, ok[i].pa) != val[i] && bad++ < 8)
                fprintf(stderr, "oracle [%s]: EL0 store to %#llx did not "
                                "reach PA %#llx\n",
                        opt->what, (unsigned long long)va[i],
                        (unsigned long long)ok[i].pa);
        for (size_t i = 0; i < k; i++)
            *(uint64_t *)orc_phys(t->o, ok[i].pa) = orc_ram_word(ok[i].pa);
    }
    if (no_write) {
        uint64_t v = 0xbad;
        if (orc_store(t->o, &no_write->va, &v, 1) != 0 ||
            *(uint64_t *)orc_phys(t->o, no_write->pa) !=
                orc_ram_word(no_write->pa)) {
            if (bad++ < 8)
                fprintf(stderr, "oracle [%s]: EL0 store to %#llx (prot %#x) "
                                "did not fault\n",
                        opt->what, (unsigned long long)no_write->va,
                        no_write->prot);
            *(uint64_t *)orc_phys(t->o, no_write->pa) =
                orc_ram_word(no_write->pa);
        }
    }

    /* Fetches: a RET at each PA; EL0 may execute USER|X only. */
    size_t nx = n < limit / 2 ? n : (limit / 2 ? limit / 2 : 1);
    for (size_t i = 0; i < nx; i++) {
        va[i] = sel[i].va;
        *(uint32_t *)orc_phys(t->o, sel[i].pa) = ORC_INSN_RET;
    }
    if (nx)
        orc_exec(t->o, va, got, nx);
    for (size_t i = 0; i < nx; i++) {
        bool want = (sel[i].prot & (PGT_PROT_USER | PGT_PROT_X)) ==
                    (PGT_PROT_USER | PGT_PROT_X);
        *(uint64_t *)orc_phys(t->o, sel[i].pa) = orc_ram_word(sel[i].pa);
        if (got[i] != want && bad++ < 8)
            fprintf(stderr, "oracle [%s]: EL0 fetch at %#llx (prot %#x) %s, "
                            "expected it to %s\n",
                    opt->what, (unsigned long long)va[i], sel[i].prot,
                    got[i] ? "worked" : "faulted", want ? "work" : "fault");
    }
    orc_set_el0(t->o, false);
    return bad;
}

/* Loads, stores and instruction fetches through a sample of mappings
 * whose PA is in the RAM window: each load must return the word stored at
 * the model's PA, each store must land there, forbidden stores must fault,
 * and a RET placed at the PA must run exactly where the model grants
 * execute permission (stage 1: X at the regime's EL; stage 2: XN clear,
 * whatever S2AP says). */
static size_t check_mem(const struct orc_target *t, const struct ref *m,
                        const struct orc_check_opts *opt, uint64_t *seed)
{
    const uint64_t g = 1ull << t->gs;
    size_t limit = opt->mem < ORC_MEM_MAX ? opt->mem : ORC_MEM_MAX;
    size_t nc = 0, cap = 1024, bad = 0;
    struct cand *c = malloc(cap * sizeof(*c));
    static struct cand sel[ORC_MEM_MAX];
    static uint64_t va[ORC_MEM_MAX], val[ORC_MEM_MAX];
    if (!c)
        abort();

    for (size_t i = 0; i < m->n; i++) {
        const struct ref_region *r = &m->r[i];
        if (r->st != REF_MAPPED || r->old)
            continue;
        /* Only the part of the region whose PA is in the RAM window. */
        uint64_t lo = r->pa > ORC_RAM_PA ? r->pa : ORC_RAM_PA;
        uint64_t hi = r->pa + r->size < ORC_RAM_PA + ORC_RAM_SIZE
                          ? r->pa + r->size
                          : ORC_RAM_PA + ORC_RAM_SIZE;
        for (uint64_t pa = lo; pa < hi && nc < 65536; pa += g) {
            if (nc == cap) {
                c = realloc(c, (cap *= 2) * sizeof(*c));
                if (!c)
                    abort();
            }
            uint64_t p = pa + (orc_rand(seed) & (g - 8));
            c[nc++] = (struct cand){t->va_base + r->ia + (p - r->pa), p,
                                    r->prot};
        }
    }

    /* Loads. */
    size_t n = pick(c, nc, limit, readable, t, seed, sel);
    for (size_t i = 0; i < n; i++)
        va[i] = sel[i].va;
    if (n) {
        size_t done = orc_load(t->o, va, val, n);
        if (done != n) {
            fprintf(stderr, "oracle [%s]: load from %#llx faulted\n",
                    opt->what, (unsigned long long)va[done]);
            bad++;
        }
        for (size_t i = 0; i < done; i++)
            if (val[i] != orc_ram_word(sel[i].pa) && bad++ < 8)
                fprintf(stderr,
                        "oracle [%s]: load %#llx gave %#llx, expected the "
                        "word at PA %#llx\n",
                        opt->what, (unsigned long long)va[i],
                        (unsigned long long)val[i],
                        (unsigned long long)sel[i].pa);
    }

    /* Stores: writable ones in a batch, then one forbidden one alone. */
    n = pick(c, nc, limit, any_prot, t, seed, sel);
    size_t ns = 0;
    const struct cand *ro = NULL;
    static struct cand wr[ORC_MEM_MAX];
    for (size_t i = 0; i < n; i++) {
        if (sel[i].prot & PGT_PROT_W) {
            wr[ns] = sel[i];
            va[ns] = sel[i].va;
            val[ns] = sel[i].va ^ 0x0123456789abcdefull;
            ns++;
        } else if (!ro) {
            ro = &sel[i];
        }
    }
    if (ns) {
        size_t done = orc_store(t->o, va, val, ns);
        if (done != ns) {
            fprintf(stderr, "oracle [%s]: store to %#llx faulted\n",
                    opt->what, (unsigned long long)va[done]);
            bad++;
        }
        for (size_t i = 0; i < done; i++) {
            uint64_t *host = orc_phys(t->o, wr[i].pa);
            if (*host != val[i] && bad++ < 8)
                fprintf(stderr,
                        "oracle [%s]: store to %#llx did not reach PA %#llx\n",
                        opt->what, (unsigned long long)va[i],
                        (unsigned long long)wr[i].pa);
        }
        for (size_t i = 0; i < ns; i++) /* put the RAM words back */
            *(uint64_t *)orc_phys(t->o, wr[i].pa) = orc_ram_word(wr[i].pa);
    }
    if (ro) {
        uint64_t v = 0xdead;
        if (orc_store(t->o, &ro->va, &v, 1) != 0 ||
            *(uint64_t *)orc_phys(t->o, ro->pa) != orc_ram_word(ro->pa)) {
            fprintf(stderr, "oracle [%s]: store to read-only %#llx did not "
                            "fault\n",
                    opt->what, (unsigned long long)ro->va);
            bad++;
            *(uint64_t *)orc_phys(t->o, ro->pa) = orc_ram_word(ro->pa);
        }
    }

    /* Instruction fetches: a RET at the PA. */
    size_t nx = pick(c, nc, limit / 2 ? limit / 2 : 1, fetchable_probe, t,
                     seed, sel);
    static bool got_x[ORC_MEM_MAX];
    for (size_t i = 0; i < nx; i++) {
        va[i] = sel[i].va;
        *(uint32_t *)orc_phys(t->o, sel[i].pa) = ORC_INSN_RET;
    }
    if (nx) {
        orc_exec(t->o, va, got_x, nx);
        for (size_t i = 0; i < nx; i++) {
            bool want_x = (sel[i].prot & PGT_PROT_X) != 0;
            *(uint64_t *)orc_phys(t->o, sel[i].pa) = orc_ram_word(sel[i].pa);
            if (got_x[i] != want_x && bad++ < 8)
                fprintf(stderr,
                        "oracle [%s]: instruction fetch at %#llx %s, "
                        "expected it to %s\n",
                        opt->what, (unsigned long long)va[i],
                        got_x[i] ? "worked" : "faulted",
                        want_x ? "work" : "fault");
        }
    }
    if (t->regime == ORC_S1_EL10 || t->regime == ORC_S1_EL20)
        bad += check_el0(t, opt, c, nc, limit, seed);
    free(c);
    return bad;
}
