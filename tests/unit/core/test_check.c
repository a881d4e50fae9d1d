// SPDX-License-Identifier: MIT
/*
 * pgt_check() (check.h): silent on tables the library built, for every
 * granule, stage and mode; each invariant broken in turn by hand (an
 * entry or a count changed in the arena, the way a stray write would) is
 * reported as the fault it is, at the address and level worked out here
 * from where the change was made, and the first one in walk order wins.
 */
#include "core_ref.h"

/* The table at level @level - 1 entry for @addr points at: its host page. */
static uint64_t *table_at(struct fx *f, uint64_t addr, int level)
{
    uint64_t d = E(f, addr, level - 1);
    assert_true(pgt_pte_is_table(d, level - 1));
    return ref_va(&f->m, ref_oa(&f->r, d));
}

static int32_t *count_of(struct fx *f, const void *page)
{
    return &f->m.refcount[(ref_pa(&f->m, page) - f->m.pa_base) >> f->r.gs];
}

#define expect_fault(f, w, a, l) expect_fault_((f), 0, (w), (a), (l), __FILE__, __LINE__)

static struct pgt_check_fault expect_fault_(struct fx *f, uint32_t flags,
                                            enum pgt_check_what what, uint64_t addr,
                                            int level, const char *file, int line)
{
    struct pgt_check_fault flt;
    int ret = pgt_check(&f->pgt, flags, &flt);
    if (ret != -PGT_EFAULT || flt.what != what || flt.addr != addr || flt.level != level) {
        print_error("pgt_check = %d: %s at %#llx level %d (pte %#llx); expected %s at "
                    "%#llx level %d\n",
                    ret, pgt_check_what_str(flt.what), (unsigned long long)flt.addr,
                    flt.level, (unsigned long long)flt.pte, pgt_check_what_str(what),
                    (unsigned long long)addr, level);
        _fail(file, line);
    }
    return flt;
}

#define expect_clean(f) expect_clean_((f), __FILE__, __LINE__)

static void expect_clean_(struct fx *f, const char *file, int line)
{
    struct pgt_check_fault flt;
    int ret = pgt_check(&f->pgt, 0, &flt);
    if (ret != 0 || flt.what != PGT_CHECK_OK) {
        print_error("pgt_check = %d: %s at %#llx level %d (pte %#llx, count %d, "
                    "expected %d)\n",
                    ret, pgt_check_what_str(flt.what), (unsigned long long)flt.addr,
                    flt.level, (unsigned long long)flt.pte, flt.count, flt.expected);
        _fail(file, line);
    }
}

/*
 * The stage-2 table every corruption starts from: 4K, 40-bit IPA, start
 * level 1 over two concatenated root pages (0x8000000000 is the second's
 * first entry), with
 *   0x40000000  three pages             (L3 table A, under L2 table B)
 *   0x40100000  two owner annotations   (table A: 5 counted entries)
 *   0x40200000  a 2 MiB block           (table B: A + the block)
 *   0x40400000  one page                (L3 table C, alone)
 *   0x8000000000 a 1 GiB block          (root page 1, entry 0)
 */
static void base_table(struct fx *f)
{
    fx_s2(f, 12, 40, 40, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40000000, 3 * SZ_4K, 0x80000000, PGT_PROT_RW,
                                NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f->pgt, 0x40100000, 2 * SZ_4K, NULL, 7), 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40200000, SZ_2M, 0x80200000, PGT_PROT_RWX, NULL,
                                PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40400000, SZ_4K, 0x90000000, PGT_PROT_R, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x8000000000ull, SZ_1G, 0xc0000000,
                                PGT_PROT_RW | PGT_PROT_DEVICE, NULL, PGT_MAP_SKIP_DCACHE), 0);
    expect_clean(f);
}

/* Every operation on every kind of table leaves pgt_check() silent. */
static void test_tables_the_library_builds_pass(void **state)
{
    (void)state;
    struct fx f;

    base_table(&f);
    assert_int_equal(pgt_s2_wrprotect(&f.pgt, 0x40000000, 4 * SZ_2M), 0);
    expect_clean(&f);
    assert_int_equal(pgt_s2_test_clear_young(&f.pgt, 0x40000000, 4 * SZ_2M, true), 1);
    expect_clean(&f);
    assert_int_equal(pgt_s2_relax_perms(&f.pgt, 0x40200000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_s2_split(&f.pgt, 0x40200000, SZ_2M, NULL), 0);
    expect_clean(&f);
    assert_int_equal(pgt_s2_unmap(&f.pgt, 0x40000000, SZ_4K, NULL), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40400000, SZ_4K, NULL, 0), 0);
    expect_clean(&f);
    /* A range: the tables of [0x40000000, +2M) only. */
    struct pgt_check_fault flt;
    assert_int_equal(pgt_check_region(&f.pgt, 0x40000000, SZ_2M, 0, &flt), 0);
    assert_int_equal(flt.what, PGT_CHECK_OK);
    fx_fini(&f);

    /* Stage 2 with FWB and XNX, 16K and 64K, host mode. */
    fx_s2(&f, 14, 40, 40, 1, 0, PGT_S2_FWB | PGT_S2_XNX);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x2000000, 5 * SZ_16K, 0x40000000,
                                PGT_PROT_RX | PGT_PROT_UXN, NULL, 0), 0);
    assert_int_equal(pgt_s2_map(&f.pgt, SZ_32M * 3, SZ_32M, 0x42000000,
                                PGT_PROT_RW | PGT_PROT_NORMAL_NC | PGT_PROT_SW2, NULL, 0), 0);
    expect_clean(&f);
    fx_fini(&f);
    fx_s2(&f, 16, 48, 48, 1, 0, 0);
    assert_int_equal(pgt_s2_map(&f.pgt, SZ_512M, SZ_512M + 3 * SZ_64K, 0x80000000,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 5 * SZ_512M, SZ_64K, NULL, 255), 0);
    expect_clean(&f);
    fx_fini(&f);
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HOST);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_2M + SZ_4K, 0x40000000, PGT_PROT_RWX,
                                NULL, PGT_MAP_SKIP_DCACHE | PGT_MAP_SKIP_ICACHE), 0);
    assert_int_equal(pgt_s2_set_owner(&f.pgt, 0x40201000, SZ_4K, NULL, 1), 0);
    expect_clean(&f);
    fx_fini(&f);

    /* 52-bit output addresses: LPA2 (4K) and 64K with FEAT_LPA. */
    fx_s2_(&f, 12, 52, 52, -1, PGT_GEOM_LPA2, 0, NULL, 16, 0x000c000000000000ull, __FILE__,
           __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, SZ_2M + SZ_4K, 0x000c000040000000ull,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    expect_clean(&f);
    fx_fini(&f);
    fx_s2_(&f, 16, 52, 52, 1, 0, 0, NULL, 8, 0x000f000000000000ull, __FILE__, __LINE__);
    assert_int_equal(pgt_s2_map(&f.pgt, SZ_512M, SZ_64K, 0x000f000080000000ull, PGT_PROT_R,
                                NULL, PGT_MAP_SKIP_DCACHE), 0);
    expect_clean(&f);
    fx_fini(&f);

    /* Stage 1: EL2 (every granule) and EL1&0. */
    for (unsigned gs = 12; gs <= 16; gs += 2) {
        uint64_t pg = 1ull << gs;
        fx_s1_(&f, PGT_REGIME_EL2, gs, 48, 48, gs == 16 ? 1 : 0, 0, 64, ARENA_PA, __FILE__,
               __LINE__);
        assert_int_equal(pgt_hyp_map(&f.pgt, 0x40000000, 3 * pg, 0x80000000, PGT_PROT_RX), 0);
        assert_int_equal(pgt_hyp_map(&f.pgt, 0x50000000, pg, 0x9000000,
                                     PGT_PROT_RW | PGT_PROT_DEVICE), 0);
        assert_int_equal(pgt_hyp_protect(&f.pgt, 0x40000000, pg, PGT_PROT_R), 0);
        expect_clean(&f);
        assert_true(pgt_hyp_unmap(&f.pgt, 0x40000000 + pg, pg) > 0);
        expect_clean(&f);
        fx_fini(&f);
    }
    fx_s1_(&f, PGT_REGIME_EL10, 12, 39, 40, 1, 0, 16, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x400000, SZ_4K, 0x80000000,
                                 PGT_PROT_RX | PGT_PROT_USER), 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x401000, SZ_4K, 0x80001000, PGT_PROT_RW), 0);
    expect_clean(&f);
    fx_fini(&f);
}

/* Each invariant broken in turn on the base table, reported where it was
 * broken; putting it back makes the table pass again. */
static void test_each_broken_invariant_is_reported(void **state)
{
    (void)state;
    struct fx f;
    struct pgt_check_fault flt;
    uint64_t *a, *b, *c, *root1, *p, saved;
    int32_t *cnt;

    base_table(&f);
    a = table_at(&f, 0x40000000, 3);
    b = table_at(&f, 0x40000000, 2);
    c = table_at(&f, 0x40400000, 3);
    root1 = f.pgt.pgd + 512;

    /* Counts: table A (5 counted entries) one too high; root page 1 (one
     * counted entry) one too low. */
    cnt = count_of(&f, a);
    assert_int_equal(*cnt, 6);
    (*cnt)++;
    flt = expect_fault(&f, PGT_CHECK_COUNT, 0x40000000, 3);
    assert_int_equal(flt.count, 7);
    assert_int_equal(flt.expected, 6);
    assert_u64(flt.pte, E(&f, 0x40000000, 2));
    /* Skipped when asked (tables whose ops do not count). */
    assert_int_equal(pgt_check(&f.pgt, PGT_CHECK_NO_COUNTS, &flt), 0);
    (*cnt)--;
    cnt = count_of(&f, root1);
    assert_int_equal(*cnt, 2);
    (*cnt)--;
    flt = expect_fault(&f, PGT_CHECK_COUNT, 0x8000000000ull, 1);
    assert_int_equal(flt.count, 1);
    assert_int_equal(flt.expected, 2);
    assert_u64(flt.pte, 0);
    (*cnt)++;
    expect_clean(&f);

    /* A table page below the root with nothing in it (table C's page). */
    saved = c[0];
    c[0] = 0;
    expect_fault(&f, PGT_CHECK_EMPTY, 0x40400000, 3);
    c[0] = saved;

    /* The root not based at a multiple of its two pages. */
    f.pgt.pgd_phys += SZ_4K;
    expect_fault(&f, PGT_CHECK_ALIGN, 0, 1);
    f.pgt.pgd_phys -= SZ_4K;

    /* Table descriptors: an attribute bit (NSTable), an ignored bit, and
     * an address beyond the 40-bit OA size (reported, not followed). */
    p = ref_ptep(&f.r, &f.m, f.pgt.pgd, 0x40000000, 2);
    saved = *p;
    *p |= 1ull << 63;
    expect_fault(&f, PGT_CHECK_TABLE_DESC, 0x40000000, 2);
    *p = saved | (1ull << 58);
    expect_fault(&f, PGT_CHECK_TABLE_DESC, 0x40000000, 2);
    *p = saved | (1ull << 45);
    expect_fault(&f, PGT_CHECK_OA, 0x40000000, 2);
    *p = saved;

    /* Leaves: valid with type 0 at level 3 (reserved); the contiguous
     * bit on one page of a run of 16 that has it nowhere else; a reserved
     * stage-2 MemAttr (0b0100: Normal, inner 'reserved'); the DBM bit. */
    p = &a[1];
    saved = *p;
    *p &= ~PGT_PTE_TYPE;
    expect_fault(&f, PGT_CHECK_LEAF_DESC, 0x40001000, 3);
    *p = saved | PGT_PTE_CONT;
    expect_fault(&f, PGT_CHECK_CONT, 0x40001000, 3);
    *p = (saved & ~PGT_S2_MEMATTR_MASK) | (0x4ull << PGT_S2_MEMATTR_SHIFT);
    expect_fault(&f, PGT_CHECK_LEAF_DESC, 0x40001000, 3);
    *p = saved | PGT_PTE_DBM;
    expect_fault(&f, PGT_CHECK_LEAF_DESC, 0x40001000, 3);
    /* The access flag is the one attribute that may be either. */
    *p = saved & ~PGT_PTE_AF;
    expect_clean(&f);
    *p = saved;

    /* Output addresses: beyond the 40-bit OA size, and a 2 MiB block
     * whose address is only 4K aligned. */
    p = &b[1];
    saved = *p;
    *p |= 1ull << 44;
    expect_fault(&f, PGT_CHECK_OA, 0x40200000, 2);
    *p = saved + SZ_4K;
    expect_fault(&f, PGT_CHECK_OA, 0x40200000, 2);
    *p = saved;

    /* Invalid entries: an owner annotation with a bit outside [9:2]. */
    p = &a[256];
    saved = *p;
    assert_u64(saved, OWNER(7));
    *p |= 1ull << 10;
    expect_fault(&f, PGT_CHECK_OWNER, 0x40100000, 3);
    *p = saved;
    expect_clean(&f);

    /* Two faults: the lower address is reported; a range sees its own. */
    b[1] |= PGT_PTE_CONT;
    a[2] |= PGT_PTE_CONT;
    expect_fault(&f, PGT_CHECK_CONT, 0x40002000, 3);
    assert_int_equal(pgt_check_region(&f.pgt, 0x40200000, SZ_2M, 0, &flt), -PGT_EFAULT);
    assert_int_equal(flt.what, PGT_CHECK_CONT);
    assert_u64(flt.addr, 0x40200000);
    assert_int_equal(flt.level, 2);
    assert_u64(flt.pte, b[1]);
    b[1] &= ~PGT_PTE_CONT;
    a[2] &= ~PGT_PTE_CONT;
    expect_clean(&f);

    /* The library's walk cache: a range with the wrong table, a range
     * whose level-1 entry is a block; none at all is clean. The one-page
     * map at 0x40400000 went through table B last. */
    struct pgt_internal in = f.pgt.internal;
    assert_u64(in.walk_tag, 1);
    assert_ptr_equal(in.walk_tbl, b);
    f.pgt.internal.walk_tbl = c;
    flt = expect_fault(&f, PGT_CHECK_WALK_CACHE, 0x40000000, 1);
    assert_u64(flt.pte, E(&f, 0x40000000, 1));
    f.pgt.internal.walk_tbl = b;
    f.pgt.internal.walk_tag = 0x8000000000ull >> 30;
    expect_fault(&f, PGT_CHECK_WALK_CACHE, 0x8000000000ull, 1);
    f.pgt.internal.walk_tag = ~0ull;
    expect_clean(&f);
    f.pgt.internal = in;
    expect_clean(&f);
    fx_fini(&f);
}

/* Tables whose pages live where phys_to_virt says: one returned 8 bytes
 * off its page is a misaligned table page. */
static const struct pgt_mm_ops *real_ops;
static uint64_t off_pa;

static void *skewed_phys_to_virt(void *ctx, uint64_t pa)
{
    uint8_t *va = real_ops->phys_to_virt(ctx, pa);
    return pa == off_pa ? va + 8 : va;
}

static void test_misaligned_table_page_and_other_regimes(void **state)
{
    (void)state;
    struct fx f;
    struct pgt_mm_ops skewed;

    base_table(&f);
    real_ops = f.pgt.mm_ops;
    skewed = *real_ops;
    skewed.phys_to_virt = skewed_phys_to_virt;
    skewed.linear = false;
    off_pa = ref_pa(&f.m, table_at(&f, 0x40400000, 3));
    f.pgt.mm_ops = &skewed;
    expect_fault(&f, PGT_CHECK_ALIGN, 0x40400000, 3);
    f.pgt.mm_ops = real_ops;
    expect_clean(&f);
    fx_fini(&f);

    /* 16K without LPA2 has no level-1 blocks: one written by hand into
     * the root of a 47-bit, start-level-1 table (its count kept right). */
    fx_s2(&f, 14, 47, 48, 1, 0, 0);
    f.pgt.pgd[1] = 0x1000000000ull | PGT_PTE_VALID | PGT_PTE_AF | S2AP_RW |
                   MEMATTR(MA_NORMAL_WB) | SH_INNER | S2_XN;
    (*count_of(&f, f.pgt.pgd))++;
    expect_fault(&f, PGT_CHECK_LEAF_DESC, 1ull << 36, 1);
    f.pgt.pgd[1] = 0;
    (*count_of(&f, f.pgt.pgd))--;
    fx_fini(&f);

    /* Stage 1: an invalid entry must be zero (owner annotations are a
     * stage-2 convention); bit 53 (PXN) is RES0 in the EL2 regime. */
    fx_hyp(&f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x80000000, PGT_PROT_RW), 0);
    uint64_t *l3 = table_at(&f, 0x40000000, 3);
    l3[5] = OWNER(3);
    (*count_of(&f, l3))++; /* a non-zero entry counts */
    expect_fault(&f, PGT_CHECK_OWNER, 0x40005000, 3);
    l3[5] = 0;
    (*count_of(&f, l3))--;
    l3[1] |= S1_PXN;
    expect_fault(&f, PGT_CHECK_LEAF_DESC, 0x40001000, 3);
    l3[1] &= ~S1_PXN;
    expect_clean(&f);
    fx_fini(&f);

    /* Host mode: valid leaves are not counted, so a table holding only
     * leaves has count 1; one more is a fault there too. */
    fx_s2(&f, 12, 40, 40, 1, 0, PGT_S2_HOST);
    assert_int_equal(pgt_s2_map(&f.pgt, 0x40000000, 2 * SZ_4K, 0x40000000, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    expect_clean(&f);
    int32_t *cnt = count_of(&f, table_at(&f, 0x40000000, 3));
    assert_int_equal(*cnt, 1);
    (*cnt)++;
    expect_fault(&f, PGT_CHECK_COUNT, 0x40000000, 3);
    (*cnt)--;
    fx_fini(&f);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct fx f;
    struct pgt_check_fault flt;

    assert_int_equal(pgt_check(NULL, 0, &flt), -PGT_EINVAL);
    base_table(&f);
    assert_int_equal(pgt_check(&f.pgt, 1u << 5, &flt), -PGT_EINVAL);
    assert_int_equal(pgt_check(&f.pgt, 0, NULL), 0);
    assert_int_equal(pgt_check_region(&f.pgt, 0x1000, 0, 0, &flt), -PGT_EINVAL);
    assert_int_equal(pgt_check_region(&f.pgt, 0x1008, 0x1000, 0, &flt), -PGT_EINVAL);
    assert_int_equal(pgt_check_region(&f.pgt, 0x1000, 0x1008, 0, &flt), -PGT_EINVAL);
    assert_int_equal(pgt_check_region(&f.pgt, (1ull << 40) - SZ_4K, 2 * SZ_4K, 0, &flt),
                     -PGT_ERANGE);
    assert_int_equal(pgt_check_region(&f.pgt, (1ull << 40) - SZ_4K, SZ_4K, 0, &flt), 0);
    fx_fini(&f);
    /* A destroyed table. */
    assert_int_equal(pgt_check(&f.pgt, 0, &flt), -PGT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_the_library_builds_pass),
        cmocka_unit_test(test_each_broken_invariant_is_reported),
        cmocka_unit_test(test_misaligned_table_page_and_other_regimes),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
