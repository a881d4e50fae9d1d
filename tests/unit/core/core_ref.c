// SPDX-License-Identifier: MIT
/* Independent helpers for the core unit tests; see core_ref.h. */
#include "core_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The walk cache (struct pgt.internal.walk_tag / walk_tbl), when it names
 * a range, names the level-2 table that the walk reaches there: read here
 * with the descriptor helpers and phys_to_virt alone. */
static bool walk_cache_ok(const struct pgt *pgt)
{
    const struct pgt_geom *g = &pgt->geom;
    uint64_t tag = pgt->internal.walk_tag;
    uint32_t shift1 = pgt_level_shift(g, 1);

    if (tag == ~0ull)
        return true;
    if (g->start_level > 1 || tag >= (1ull << (g->ia_bits - shift1)))
        return false;
    uint64_t addr = tag << shift1;
    pgt_pte_t pte = pgt->pgd[addr >> pgt_level_shift(g, g->start_level)];
    for (int level = g->start_level;; level++) {
        if (!pgt_pte_is_table(pte, level))
            return false;
        const pgt_pte_t *t = pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pgt_oa_decode(g, pte));
        if (level == 1)
            return t == pgt->internal.walk_tbl;
        pte = t[(addr >> pgt_level_shift(g, level + 1)) & (pgt_ptes_per_page(g) - 1)];
    }
}

#ifndef PGT_CORE_KNOWN_BUGS
void known_bug_skip(void **state)
{
    (void)state;
    /* Open bug in BUGS.md: reported as skipped, not run. */
    skip();
}
#endif

void assert_u64_eq_(uint64_t got, uint64_t exp, const char *expr,
                    const char *file, int line)
{
    if (got == exp)
        return;
    print_error("%s = %#llx, expected %#llx\n", expr, (unsigned long long)got,
                (unsigned long long)exp);
    _fail(file, line);
}

void ref_init(struct ref *r, unsigned gs, unsigned ia, int sl, bool lpa2,
              bool lpa64)
{
    memset(r, 0, sizeof(*r));
    r->gs = gs;
    r->bpl = gs - 3;
    r->ia = ia;
    r->sl = sl;
    r->lpa2 = lpa2;
    r->lpa64 = lpa64;
    /* Root entries = 2^(ia - shift(sl)); a page holds 2^bpl of them. */
    unsigned root_bits = ia - (unsigned)ref_shift(r, sl);
    r->nroot = root_bits > r->bpl ? 1u << (root_bits - r->bpl) : 1u;
}

uint64_t ref_shift(const struct ref *r, int level)
{
    return r->gs + (uint64_t)r->bpl * (uint64_t)(3 - level);
}

static uint64_t bits(unsigned hi, unsigned lo)
{
    return (hi == 63 ? ~0ull : ((1ull << (hi + 1)) - 1)) & ~((1ull << lo) - 1);
}

uint64_t ref_oa(const struct ref *r, uint64_t d)
{
    if (r->lpa2) /* OA[49:gs] in place, OA[51:50] in [9:8] */
        return (d & bits(49, r->gs)) | (((d >> 8) & 3) << 50);
    if (r->lpa64) /* OA[47:16] in place, OA[51:48] in [15:12] */
        return (d & bits(47, 16)) | (((d >> 12) & 0xf) << 48);
    return d & bits(47, r->gs);
}

uint64_t ref_oa_field(const struct ref *r, uint64_t pa)
{
    if (r->lpa2)
        return (pa & bits(49, r->gs)) | (((pa >> 50) & 3) << 8);
    if (r->lpa64)
        return (pa & bits(47, 16)) | (((pa >> 48) & 0xf) << 12);
    return pa & bits(47, r->gs);
}

void *ref_va(const struct tmm *m, uint64_t pa)
{
    uint64_t off = pa - m->pa_base;
    if (pa < m->pa_base || off >= m->nr_pages * m->page_size) {
        print_error("table address %#llx is outside the arena\n",
                    (unsigned long long)pa);
        fail();
    }
    return m->base + off;
}

uint64_t ref_pa(const struct tmm *m, const void *p)
{
    return m->pa_base + (uint64_t)((const uint8_t *)p - m->base);
}

static uint64_t idx_at(const struct ref *r, uint64_t addr, int level)
{
    uint64_t sh = ref_shift(r, level);
    unsigned nbits = level == r->sl ? r->ia - (unsigned)sh : r->bpl;
    return (addr >> sh) & ((1ull << nbits) - 1);
}

static bool is_table(uint64_t d, int level)
{
    return level < 3 && (d & 3) == 3;
}

uint64_t *ref_ptep(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                   uint64_t addr, int level)
{
    uint64_t *t = pgd;
    for (int l = r->sl;; l++) {
        uint64_t *p = &t[idx_at(r, addr, l)];
        if (l == level)
            return p;
        if (!is_table(*p, l))
            return NULL;
        t = ref_va(m, ref_oa(r, *p));
    }
}

uint64_t ref_entry(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                   uint64_t addr, int level)
{
    uint64_t *p = ref_ptep(r, m, pgd, addr, level);
    if (!p) {
        print_error("no table path to level %d for %#llx\n", level,
                    (unsigned long long)addr);
        fail();
    }
    return *p;
}

uint64_t ref_leaf(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                  uint64_t addr, int *level)
{
    uint64_t *t = pgd;
    for (int l = r->sl;; l++) {
        uint64_t d = t[idx_at(r, addr, l)];
        if (!is_table(d, l)) {
            if (level)
                *level = l;
            return d;
        }
        t = ref_va(m, ref_oa(r, d));
    }
}

bool ref_translate(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                   uint64_t addr, uint64_t *pa, uint64_t *leaf, int *level)
{
    int l;
    uint64_t d = ref_leaf(r, m, pgd, addr, &l);
    if (leaf)
        *leaf = d;
    if (level)
        *level = l;
    if (!(d & D_VALID))
        return false;
    uint64_t size = 1ull << ref_shift(r, l);
    if (pa)
        *pa = ref_oa(r, d) + (addr & (size - 1));
    return true;
}

static bool counted(uint64_t d, int level, bool host)
{
    if (!d)
        return false;
    if (host && (d & D_VALID) && !is_table(d, level))
        return false; /* host stage 2: valid leaves are not counted */
    return true;
}

static void check_table(const struct ref *r, const struct tmm *m,
                        uint64_t *t, size_t n, int level, bool host,
                        bool check_this, long *pages)
{
    long cnt = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = t[i];
        if (counted(d, level, host))
            cnt++;
        if (is_table(d, level)) {
            uint64_t *sub = ref_va(m, ref_oa(r, d));
            (*pages)++;
            check_table(r, m, sub, (size_t)1 << r->bpl, level + 1, host, true,
                        pages);
        }
    }
    if (check_this) {
        int rc = tmm_page_ref(m, t);
        if (rc != 1 + cnt) {
            print_error("table page at pa %#llx (level %d): refcount %d, "
                        "expected 1 + %ld counted entries\n",
                        (unsigned long long)ref_pa(m, t), level, rc, cnt);
            fail();
        }
    }
}

static void walk_root(const struct ref *r, const struct tmm *m, uint64_t *pgd,
                      bool host, bool root, long *pages)
{
    uint64_t entries = 1ull << (r->ia - ref_shift(r, r->sl));
    uint64_t per_page = 1ull << r->bpl;
    *pages = r->nroot;
    for (unsigned p = 0; p < r->nroot; p++) {
        uint64_t n = entries < per_page ? entries : per_page;
        check_table(r, m, pgd + p * per_page, (size_t)n, r->sl, host, root,
                    pages);
    }
}

static long count_sub(const struct ref *r, const struct tmm *m, uint64_t *t,
                      size_t n, int level)
{
    long pages = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_table(t[i], level))
            pages += 1 + count_sub(r, m, ref_va(m, ref_oa(r, t[i])),
                                   (size_t)1 << r->bpl, level + 1);
    }
    return pages;
}

long ref_count_tables(const struct ref *r, const struct tmm *m, uint64_t *pgd)
{
    uint64_t entries = 1ull << (r->ia - ref_shift(r, r->sl));
    return (long)r->nroot + count_sub(r, m, pgd, (size_t)entries, r->sl);
}

void ref_check_refcounts(const struct ref *r, const struct tmm *m,
                         uint64_t *pgd, bool host, bool root)
{
    long pages;
    walk_root(r, m, pgd, host, root, &pages);
    /* Every live arena page is a table page of this table: no leak. */
    if (pages != m->live) {
        print_error("%ld table pages reachable, %ld arena pages live\n",
                    pages, m->live);
        fail();
    }
}

void snap_take(struct snap *s, const struct tmm *m, const struct pgt *pgt)
{
    s->bytes = m->nr_pages * m->page_size;
    s->nr_pages = m->nr_pages;
    s->mem = malloc(s->bytes);
    s->refc = malloc(m->nr_pages * sizeof(*s->refc));
    assert_non_null(s->mem);
    assert_non_null(s->refc);
    memcpy(s->mem, m->base, s->bytes);
    memcpy(s->refc, m->refcount, m->nr_pages * sizeof(*s->refc));
    s->live = m->live;
    s->allocs = m->allocs;
    s->frees = m->frees;
    s->nlog = m->nlog;
    memcpy(&s->pgt, pgt, sizeof(*pgt));
}

void snap_check_(const struct snap *s, const struct tmm *m,
                 const struct pgt *pgt, bool strict, const char *file,
                 int line)
{
    bool bad = false;
    for (size_t i = 0; i < s->nr_pages; i++) {
        if (s->refc[i] != m->refcount[i]) {
            print_error("page %zu (pa %#llx): count %d, was %d\n", i,
                        (unsigned long long)(m->pa_base + i * m->page_size),
                        m->refcount[i], s->refc[i]);
            bad = true;
            continue;
        }
        if (s->refc[i] && memcmp(s->mem + i * m->page_size,
                                 m->base + i * m->page_size, m->page_size)) {
            const uint64_t *a = (const uint64_t *)(s->mem + i * m->page_size);
            const uint64_t *b = (const uint64_t *)(m->base + i * m->page_size);
            for (size_t j = 0; j < m->page_size / 8; j++) {
                if (a[j] != b[j]) {
                    print_error("page %zu entry %zu: %#llx, was %#llx\n", i,
                                j, (unsigned long long)b[j],
                                (unsigned long long)a[j]);
                    break;
                }
            }
            bad = true;
        }
    }
    if (s->live != m->live) {
        print_error("live pages %ld, was %ld\n", m->live, s->live);
        bad = true;
    }
    /* Byte for byte, but for the page-walk caches: a call may refill them
     * whether it succeeds or not (their entries stay true). */
    struct pgt was = s->pgt, now = *pgt;
    memset(was.internal.p2v_pa, 0, sizeof(was.internal.p2v_pa));
    memset(was.internal.p2v_va, 0, sizeof(was.internal.p2v_va));
    memset(now.internal.p2v_pa, 0, sizeof(now.internal.p2v_pa));
    memset(now.internal.p2v_va, 0, sizeof(now.internal.p2v_va));
    was.internal.walk_tag = now.internal.walk_tag = 0;
    was.internal.walk_tbl = now.internal.walk_tbl = NULL;
    if (memcmp(&was, &now, sizeof(now))) {
        print_error("struct pgt changed\n");
        bad = true;
    }
    if (!walk_cache_ok(pgt)) {
        print_error("walk cache: range %#llx names a table the walk does not reach\n",
                    (unsigned long long)pgt->internal.walk_tag);
        bad = true;
    }
    for (int l = 0; l <= PGT_LEVEL_MAX; l++) {
        uint64_t pa = pgt->internal.p2v_pa[l];
        if (pa != ~0ull &&
            pgt->mm_ops->phys_to_virt(pgt->mm_ctx, pa) != pgt->internal.p2v_va[l]) {
            print_error("phys_to_virt cache: level %d pa %#llx wrong\n", l,
                        (unsigned long long)pa);
            bad = true;
        }
    }
    if (strict) {
        if (s->allocs != m->allocs || s->frees != m->frees) {
            print_error("allocs %ld frees %ld, were %ld %ld\n", m->allocs,
                        m->frees, s->allocs, s->frees);
            bad = true;
        }
        if (s->nlog != m->nlog) {
            print_error("%zu maintenance hook calls made\n",
                        m->nlog - s->nlog);
            bad = true;
        }
    }
    if (bad)
        _fail(file, line);
}

void snap_free(struct snap *s)
{
    free(s->mem);
    free(s->refc);
    s->mem = NULL;
    s->refc = NULL;
}

bool log_tlbi_covers(const struct tmm *m, uint64_t addr)
{
    for (size_t i = 0; i < m->nlog; i++) {
        const struct tmm_event *e = &m->log[i];
        if (e->kind == TMM_TLBI_ALL)
            return true;
        if (e->kind == TMM_TLBI_VA && e->addr == addr)
            return true;
        if (e->kind == TMM_TLBI_RANGE && addr >= e->addr &&
            addr - e->addr < e->size)
            return true;
    }
    return false;
}

size_t log_count(const struct tmm *m, enum tmm_event_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nlog; i++)
        n += m->log[i].kind == kind;
    return n;
}

static void fx_check_geom(struct fx *f, const char *file, int line)
{
    const struct pgt_geom *g = &f->pgt.geom;
    bool bad = false;
    if (g->granule_shift != f->r.gs || g->start_level != f->r.sl ||
        g->nr_root_pages != f->r.nroot || g->ia_bits != f->r.ia) {
        print_error("geometry: granule_shift %u start_level %d root pages %u "
                    "ia %u; expected %u %d %u %u\n",
                    g->granule_shift, g->start_level, g->nr_root_pages,
                    g->ia_bits, f->r.gs, f->r.sl, f->r.nroot, f->r.ia);
        bad = true;
    }
    if (!f->pgt.pgd || ref_pa(&f->m, f->pgt.pgd) != f->pgt.pgd_phys) {
        print_error("pgd %p / pgd_phys %#llx do not match the arena\n",
                    (void *)f->pgt.pgd, (unsigned long long)f->pgt.pgd_phys);
        bad = true;
    }
    if (f->m.live != (long)f->r.nroot) {
        print_error("%ld pages live after init, expected %u root pages\n",
                    f->m.live, f->r.nroot);
        bad = true;
    }
    if (bad)
        _fail(file, line);
}

void fx_s2_(struct fx *f, unsigned gs, unsigned ia, unsigned oa, int sl,
            uint32_t geom_flags, uint32_t flags,
            const struct pgt_pte_ops *ops, size_t nr_pages, uint64_t pa_base,
            const char *file, int line)
{
    memset(f, 0, sizeof(*f));
    tmm_init(&f->m, (size_t)1 << gs, nr_pages, pa_base);
    ref_init(&f->r, gs, ia, sl, (geom_flags & PGT_GEOM_LPA2) != 0,
             gs == 16 && oa == 52);
    struct pgt_s2_cfg cfg = {
        .granule = (enum pgt_granule)gs,
        .ia_bits = ia,
        .oa_bits = oa,
        .start_level = sl,
        .geom_flags = geom_flags,
        .flags = flags,
    };
    int ret = pgt_s2_init(&f->pgt, &cfg, &tmm_ops, NULL, ops);
    if (ret) {
        print_error("pgt_s2_init(granule %u, ia %u, oa %u, NULL, sl %d) = %d\n", gs,
                    ia, oa, sl, ret);
        _fail(file, line);
    }
    fx_check_geom(f, file, line);
}

void fx_s1_(struct fx *f, enum pgt_regime regime, unsigned gs, unsigned va,
            unsigned oa, int sl, uint32_t geom_flags, size_t nr_pages,
            uint64_t pa_base, const char *file, int line)
{
    memset(f, 0, sizeof(*f));
    tmm_init(&f->m, (size_t)1 << gs, nr_pages, pa_base);
    ref_init(&f->r, gs, va, sl, (geom_flags & PGT_GEOM_LPA2) != 0,
             gs == 16 && oa == 52);
    int ret = pgt_s1_init(&f->pgt, regime, va, (enum pgt_granule)gs, oa,
                          geom_flags, &tmm_ops, NULL);
    if (ret) {
        print_error("pgt_s1_init(granule %u, va %u, oa %u) = %d\n", gs, va,
                    oa, ret);
        _fail(file, line);
    }
    fx_check_geom(f, file, line);
}

void tmm_table_fini(struct pgt *pgt, struct tmm *m)
{
    if (pgt->regime == PGT_REGIME_S2)
        pgt_s2_destroy(pgt);
    else
        pgt_hyp_destroy(pgt);
    long live = m->live;
    tmm_fini(m);
    assert_int_equal(live, 0);
}

void fx_fini(struct fx *f)
{
    tmm_table_fini(&f->pgt, &f->m);
}
