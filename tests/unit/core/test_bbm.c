// SPDX-License-Identifier: MIT
/*
 * Break-before-make, observed through test_mm's on_event hook: when a TLB
 * invalidation hook runs, the observer reads the watched entry with the
 * independent reader and the count of a watched table page.
 *
 * What the architecture requires (D8.14 "Translation table entry
 * changes", break-before-make):
 *  - a valid entry replaced by a different valid one (other output, a
 *    block <-> table change) goes invalid, is invalidated from the TLBs,
 *    and only then gets its new value;
 *  - when a table is unlinked, the walk caches for it are invalidated
 *    (tlbi_va with PGT_LEVEL_UNKNOWN, or a range/all invalidation) before
 *    its page is freed, and every valid leaf that was reachable through
 *    it is invalidated;
 *  - tlbi_va for a removed leaf carries the leaf's level.
 */
#include "core_ref.h"

#include <stdlib.h>
#include <string.h>

#define MAX_REC 4096

struct rec {
    bool reachable;
    uint64_t entry;
    int page_ref; /* count of the watched page, -1 if none watched */
};

struct obs {
    struct fx *f;
    uint64_t addr;
    int level;
    const void *page;
    struct rec rec[MAX_REC];
};

static void observe(struct tmm *m, const struct pgt *pgt,
                    const struct tmm_event *ev)
{
    (void)pgt;
    struct obs *o = m->observer_arg;
    if (ev->seq == 0 || ev->seq > MAX_REC)
        return;
    struct rec *r = &o->rec[ev->seq - 1];
    uint64_t *p = ref_ptep(&o->f->r, m, o->f->pgt.pgd, o->addr, o->level);
    r->reachable = p != NULL;
    r->entry = p ? *p : 0;
    r->page_ref = o->page
                      ? m->refcount[((const uint8_t *)o->page - m->base) /
                                    m->page_size]
                      : -1;
}

static void watch(struct obs *o, struct fx *f, uint64_t addr, int level,
                  const void *page)
{
    memset(o, 0, sizeof(*o));
    o->f = f;
    o->addr = addr;
    o->level = level;
    o->page = page;
    tmm_log_clear(&f->m);
    f->m.on_event = observe;
    f->m.observer_arg = o;
}

static void unwatch(struct fx *f)
{
    f->m.on_event = NULL;
    f->m.observer_arg = NULL;
}

/* Whether TLBI event @e invalidates translations for some address in
 * [@addr, @addr + @size): a TLBI by any address inside a block removes it. */
static bool covers(const struct tmm_event *e, uint64_t addr, uint64_t size)
{
    switch (e->kind) {
    case TMM_TLBI_ALL:
        return true;
    case TMM_TLBI_VA:
        return e->addr >= addr && e->addr - addr < size;
    case TMM_TLBI_RANGE:
        return e->addr < addr + size && addr < e->addr + e->size;
    default:
        return false;
    }
}

/*
 * The watched leaf of @size bytes at @addr (level @level) was replaced or
 * removed. Among the TLBIs covering it (ignoring those made after a table
 * was installed in its place, which are about the new subtree): there is
 * at least one, at every one the watched entry was invalid, and every
 * tlbi_va carried @level.
 */
static void check_leaf_bbm(const struct obs *o, const struct tmm *m,
                           uint64_t addr, uint64_t size, int level)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nlog && i < MAX_REC; i++) {
        const struct tmm_event *e = &m->log[i];
        if (!covers(e, addr, size))
            continue;
        if (o->rec[i].reachable && level < 3 &&
            (o->rec[i].entry & 3) == 3)
            continue; /* a table now: later work on the subtree */
        n++;
        if (o->rec[i].reachable && (o->rec[i].entry & D_VALID)) {
            print_error("event %zu (kind %d addr %#llx): entry for %#llx "
                        "still valid (%#llx) during the TLBI\n",
                        i, e->kind, (unsigned long long)e->addr,
                        (unsigned long long)addr,
                        (unsigned long long)o->rec[i].entry);
            fail();
        }
        if (e->kind == TMM_TLBI_VA && e->level != level) {
            print_error("tlbi_va(%#llx) level %d, expected %d\n",
                        (unsigned long long)e->addr, e->level, level);
            fail();
        }
    }
    if (!n) {
        print_error("no TLB invalidation covers %#llx\n",
                    (unsigned long long)addr);
        fail();
    }
}

/*
 * The table entry watched (covering [@base, @base + @size)) was removed:
 * some TLBI that invalidates walk caches for it (tlbi_va with
 * PGT_LEVEL_UNKNOWN at an address inside, or range / all covering @base)
 * ran while the entry was invalid and the table page was still allocated.
 */
static void check_table_zap(const struct obs *o, const struct tmm *m,
                            uint64_t base, uint64_t size)
{
    bool ok = false;
    for (size_t i = 0; i < m->nlog && i < MAX_REC; i++) {
        const struct tmm_event *e = &m->log[i];
        bool walk = (e->kind == TMM_TLBI_VA && e->level == PGT_LEVEL_UNKNOWN &&
                     e->addr >= base && e->addr - base < size) ||
                    (e->kind != TMM_TLBI_VA && covers(e, base, size));
        if (!walk)
            continue;
        if (o->rec[i].reachable && (o->rec[i].entry & D_VALID)) {
            print_error("table entry for %#llx still valid at its TLBI\n",
                        (unsigned long long)base);
            fail();
        }
        if (o->rec[i].page_ref == 0) {
            print_error("table page for %#llx freed before its TLBI\n",
                        (unsigned long long)base);
            fail();
        }
        ok = true;
    }
    if (!ok) {
        print_error("no walk-cache invalidation for the table at %#llx\n",
                    (unsigned long long)base);
        fail();
    }
}

static void *table_below(struct fx *f, uint64_t addr, int level)
{
    uint64_t d = E(f, addr, level);
    assert_true(pgt_pte_is_table(d, level));
    return ref_va(&f->m, ref_oa(&f->r, d));
}

/* ---------------- stage 2 ---------------- */

static void test_s2_map_replacing_page_invalidates_it_before_tlbi(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40000000, 3, NULL);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x90000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40000000, SZ_4K, 3);
    assert_u64(E(&f, 0x40000000, 3) & ~0xfffull, 0x90000000ull | S2_XN);
    free(o);
    fx_fini(&f);
}

static void test_s2_map_replacing_block_invalidates_it_at_level_2(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40200000, 2, NULL);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0xa0000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40200000, SZ_2M, 2);
    free(o);
    fx_fini(&f);
}

static void test_s2_map_block_over_table_zaps_table_before_freeing_it(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40300000, SZ_4K, 0x80100000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    void *l3 = table_below(&f, 0x40200000, 2);
    watch(o, &f, 0x40200000, 2, l3);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0xa0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    unwatch(&f);
    check_table_zap(o, &f.m, 0x40200000, SZ_2M);
    /* Every leaf that was reachable through the table is invalidated. */
    assert_true(log_tlbi_covers(&f.m, 0x40200000));
    assert_true(log_tlbi_covers(&f.m, 0x40201000));
    assert_true(log_tlbi_covers(&f.m, 0x40300000));
    assert_int_equal(tmm_page_ref(&f.m, l3), 0);
    free(o);
    fx_fini(&f);
}

static void test_s2_map_block_over_table_of_annotations_zaps_it(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* No valid leaf below, but the table entry itself may sit in walk
     * caches: it still needs its invalidation before the page is freed. */
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40200000, 2 * SZ_4K, NULL, 5),
                     0);
    void *l3 = table_below(&f, 0x40200000, 2);
    watch(o, &f, 0x40200000, 2, l3);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    unwatch(&f);
    check_table_zap(o, &f.m, 0x40200000, SZ_2M);
    assert_u64(E(&f, 0x40200000, 2), 0x80200000ull | S2_XN | AF | SH_INNER |
                                         S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                         D_BLOCK);
    assert_int_equal(tmm_page_ref(&f.m, l3), 0);
    free(o);
    fx_fini(&f);
}

static void test_s2_unmap_page_invalidates_it_with_level_3_hint(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40001000, 3, NULL);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40001000, SZ_4K, NULL), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40001000, SZ_4K, 3);
    free(o);
    fx_fini(&f);
}

static void test_s2_unmap_blocks_use_their_level_as_hint(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_1G, 0xc0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x80200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40000000, 1, NULL);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40000000, SZ_1G, NULL), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40000000, SZ_1G, 1);
    watch(o, &f, 0x80200000, 2, NULL);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x80200000, SZ_2M, NULL), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x80200000, SZ_2M, 2);
    free(o);
    fx_fini(&f);
}

static void test_s2_unmap_emptying_table_zaps_it_with_level_unknown(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    void *l3 = table_below(&f, 0x40200000, 2);
    watch(o, &f, 0x40200000, 2, l3);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40200000, SZ_4K, NULL), 0);
    unwatch(&f);
    check_table_zap(o, &f.m, 0x40200000, SZ_2M);
    assert_int_equal(tmm_page_ref(&f.m, l3), 0);
    free(o);
    fx_fini(&f);
}

static void test_s2_unmap_of_range_emptying_table_zaps_it_before_freeing(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, 3 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    void *l3 = table_below(&f, 0x40200000, 2);
    watch(o, &f, 0x40200000, 2, l3);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40200000, SZ_2M, NULL), 0);
    unwatch(&f);
    check_table_zap(o, &f.m, 0x40200000, SZ_2M);
    assert_true(log_tlbi_covers(&f.m, 0x40201000));
    assert_true(log_tlbi_covers(&f.m, 0x40202000));
    assert_int_equal(tmm_page_ref(&f.m, l3), 0);
    free(o);
    fx_fini(&f);
}

static void test_s2_set_owner_zero_emptying_table_zaps_it_before_freeing(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40200000, 2 * SZ_4K, NULL, 1),
                     0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    void *l3 = table_below(&f, 0x40200000, 2);
    watch(o, &f, 0x40200000, 2, l3);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40200000, 2 * SZ_4K, NULL, 0),
                     0);
    unwatch(&f);
    check_table_zap(o, &f.m, 0x40200000, SZ_2M);
    assert_int_equal(tmm_page_ref(&f.m, l3), 0);
    free(o);
    fx_fini(&f);
}

static void test_s2_unmap_splitting_block_breaks_it_before_installing_table(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40200000, 2, NULL);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40300000, SZ_4K, NULL), 0);
    unwatch(&f);
    /* The block at level 2 went invalid before its TLBI. */
    check_leaf_bbm(o, &f.m, 0x40200000, SZ_2M, 2);
    free(o);
    fx_fini(&f);
}

static void test_s2_split_breaks_block_before_installing_table(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_2M, 0x80200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40200000, 2, NULL);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40200000, SZ_2M, NULL), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40200000, SZ_2M, 2);
    free(o);
    fx_fini(&f);
}

static void test_s2_map_page_inside_block_breaks_block_first(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 16, 48, 48, 1, 0, 0);
    /* 64K granule: a 512M level-2 block. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x20000000, SZ_512M, 0xa0000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x20000000, 2, NULL);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x20010000, SZ_64K, 0x10000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x20000000, SZ_512M, 2);
    free(o);
    fx_fini(&f);
}

static void test_s2_16k_map_replacing_page_breaks_it_first(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 14, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40004000, SZ_16K, 0x80004000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40004000, 3, NULL);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40004000, SZ_16K, 0x90004000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40004000, SZ_16K, 3);
    free(o);
    fx_fini(&f);
}

static void test_s2_map_changing_memory_type_breaks_the_leaf_first(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* Same output address, Normal -> Device: a memory-type change needs
     * break-before-make (only permission and AF changes may be made in
     * place). */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40000000, 3, NULL);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW | PGT_PROT_DEVICE, NULL, 0), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40000000, SZ_4K, 3);
    free(o);
    fx_fini(&f);
}

static void test_s2_set_owner_inside_block_breaks_block_first(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 14, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x42000000, SZ_32M, 0x84000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x42000000, 2, NULL);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x42008000, SZ_16K, NULL, 2),
                     0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x42000000, SZ_32M, 2);
    free(o);
    fx_fini(&f);
}

static void test_s2_set_owner_over_page_invalidates_it_first(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40000000, 3, NULL);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40000000, SZ_4K, NULL, 1), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x40000000, SZ_4K, 3);
    free(o);
    fx_fini(&f);
}

static void test_s2_relax_perms_never_makes_the_leaf_invalid(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_R, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40000000, 3, NULL);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40000000, PGT_PROT_W), 0);
    unwatch(&f);
    /* In place: at every hook call the leaf is valid with the new perms. */
    for (size_t i = 0; i < f.m.nlog; i++)
        assert_u64(o->rec[i].entry, 0x80000000ull | S2_XN | AF | SH_INNER |
                                        S2AP_RW | MEMATTR(MA_NORMAL_WB) |
                                        D_PAGE);
    free(o);
    fx_fini(&f);
}

static void test_s2_map_cleans_caches_before_the_leaf_becomes_valid(
    void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_s2(&f, 12, 40, 40, 1, 0, 0);
    /* A guest running with its caches off must not see stale lines: the
     * clean+invalidate (and the I-cache invalidate for X) happen while the
     * new leaf is not yet visible. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_4K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    watch(o, &f, 0x40001000, 3, NULL);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40001000, SZ_4K, 0x80001000,
                                PGT_PROT_RWX, NULL, 0), 0);
    unwatch(&f);
    size_t n = 0;
    for (size_t i = 0; i < f.m.nlog; i++) {
        const struct tmm_event *e = &f.m.log[i];
        if (e->kind != TMM_DCACHE && e->kind != TMM_ICACHE)
            continue;
        n++;
        if (o->rec[i].reachable && (o->rec[i].entry & D_VALID)) {
            print_error("cache maintenance (kind %d) after the leaf was "
                        "made valid (%#llx)\n",
                        e->kind, (unsigned long long)o->rec[i].entry);
            fail();
        }
    }
    assert_int_equal(n >= 2, 1);
    free(o);
    fx_fini(&f);
}

static void test_host_unmap_dropping_a_table_invalidates_its_leaves(
    void **state)
{
    (void)state;
    struct fx f;
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HOST);
    /* Identity leaves are not counted: removing one may drop the whole
     * level-3 table, and then every leaf it held must be invalidated. */
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 3 * SZ_4K, 0x40000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40200000, SZ_4K, 0x40200000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    tmm_log_clear(&f.m);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40001000, SZ_4K, NULL), 0);
    assert_true(log_tlbi_covers(&f.m, 0x40001000));
    for (uint64_t a = 0x40000000; a < 0x40003000; a += 0x2000) {
        uint64_t pa;
        if (ref_translate(&f.r, &f.m, f.pgt.pgd, a, &pa, NULL, NULL))
            assert_u64(pa, a); /* kept */
        else
            assert_true(log_tlbi_covers(&f.m, a)); /* dropped */
    }
    ref_check_refcounts(&f.r, &f.m, f.pgt.pgd, true, false);
    fx_fini(&f);
}

/* ---------------- stage 1 ---------------- */

static void test_hyp_unmap_page_invalidates_it_with_level_3_hint(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, 2 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    watch(o, &f, 0x2000, 3, NULL);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x2000, SZ_4K), SZ_4K);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x2000, SZ_4K, 3);
    free(o);
    fx_fini(&f);
}

static void test_hyp_unmap_emptying_table_zaps_it_before_freeing(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x201000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x1000, SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    void *l3 = table_below(&f, 0x200000, 2);
    watch(o, &f, 0x200000, 2, l3);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x201000, SZ_4K), SZ_4K);
    unwatch(&f);
    check_table_zap(o, &f.m, 0x200000, SZ_2M);
    assert_true(log_tlbi_covers(&f.m, 0x201000));
    free(o);
    fx_fini(&f);
}

static void test_hyp_unmap_splitting_block_breaks_it_first(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    watch(o, &f, 0x200000, 2, NULL);
    assert_int_equal(pgt_hyp_unmap(&f.pgt, 0x300000, SZ_4K), SZ_4K);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x200000, SZ_2M, 2);
    free(o);
    fx_fini(&f);
}

static void test_hyp_protect_part_of_block_breaks_it_first(void **state)
{
    (void)state;
    struct fx f;
    struct obs *o = malloc(sizeof(*o));
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RW), 0);
    watch(o, &f, 0x200000, 2, NULL);
    assert_int_equal(pgt_hyp_protect(&f.pgt, 0x300000, SZ_4K, PGT_PROT_R), 0);
    unwatch(&f);
    check_leaf_bbm(o, &f.m, 0x200000, SZ_2M, 2);
    free(o);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_s2_map_replacing_page_invalidates_it_before_tlbi),
        cmocka_unit_test(test_s2_map_replacing_block_invalidates_it_at_level_2),
        cmocka_unit_test(
            test_s2_map_block_over_table_zaps_table_before_freeing_it),
        cmocka_unit_test(test_s2_map_block_over_table_of_annotations_zaps_it),
        cmocka_unit_test(test_s2_unmap_page_invalidates_it_with_level_3_hint),
        cmocka_unit_test(test_s2_unmap_blocks_use_their_level_as_hint),
        cmocka_unit_test(
            test_s2_unmap_emptying_table_zaps_it_with_level_unknown),
        cmocka_unit_test(
            test_s2_unmap_of_range_emptying_table_zaps_it_before_freeing),
        cmocka_unit_test(
            test_s2_set_owner_zero_emptying_table_zaps_it_before_freeing),
        cmocka_unit_test(
            test_s2_unmap_splitting_block_breaks_it_before_installing_table),
        cmocka_unit_test(test_s2_split_breaks_block_before_installing_table),
        cmocka_unit_test(test_s2_map_page_inside_block_breaks_block_first),
        cmocka_unit_test(test_s2_16k_map_replacing_page_breaks_it_first),
        cmocka_unit_test(
            test_s2_map_changing_memory_type_breaks_the_leaf_first),
        cmocka_unit_test(test_s2_set_owner_inside_block_breaks_block_first),
        cmocka_unit_test(test_s2_set_owner_over_page_invalidates_it_first),
        cmocka_unit_test(test_s2_relax_perms_never_makes_the_leaf_invalid),
        cmocka_unit_test(
            test_s2_map_cleans_caches_before_the_leaf_becomes_valid),
        cmocka_unit_test(
            test_host_unmap_dropping_a_table_invalidates_its_leaves),
        cmocka_unit_test(test_hyp_unmap_page_invalidates_it_with_level_3_hint),
        cmocka_unit_test(test_hyp_unmap_emptying_table_zaps_it_before_freeing),
        cmocka_unit_test(test_hyp_unmap_splitting_block_breaks_it_first),
        cmocka_unit_test(test_hyp_protect_part_of_block_breaks_it_first),
    };
    return cmocka_run_group_tests_name("core_bbm", tests, NULL, NULL);
}
