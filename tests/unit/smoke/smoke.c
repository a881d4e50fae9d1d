// SPDX-License-Identifier: MIT
/*
 * Smoke tests of the table core: one known mapping per stage with its
 * descriptor value worked out by hand from the Arm ARM, refcounts, and a
 * full unmap/destroy cycle back to an empty arena.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_mm.h"

#define PA_BASE 0x40000000000ull /* arena "physical" base */

static struct tmm mm;

static int setup(void **state)
{
    (void)state;
    tmm_init(&mm, 4096, 4096, PA_BASE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tmm_fini(&mm);
    return 0;
}

/*
 * 4K granule, 40-bit IPA, start level 1: 2 concatenated root pages.
 * IPA 0x4000_0000 -> PA 0x8000_0000, RW normal memory:
 *   OA 0x80000000 | MemAttr 0xf<<2 (0x3c) | S2AP RW (0xc0) | SH inner
 *   (0x300) | AF (0x400) | page+valid (0x3) | XN bit 54
 *   = 0x0040_0000_8000_07ff
 * A 2 MiB block IPA 0x20_0000 -> PA 0x4020_0000: same without the
 * page bit: 0x0040_0000_4020_07fd.
 */
static void s2_page_and_block(void **state)
{
    struct pgt pgt;
    pgt_pte_t pte;
    int level;

    (void)state;
    assert_int_equal(pgt_s2_init_vtcr(&pgt, 0x80023558ull, 0, &tmm_ops, NULL, NULL), 0);
    /* 0x80023558: T0SZ 24, SL0 1, IRGN/ORGN WBWA, SH inner, TG0 4K, PS 40 */
    assert_int_equal(pgt.geom.start_level, 1);
    assert_int_equal(pgt.geom.nr_root_pages, 2);
    assert_int_equal(mm.live, 2);
    assert_int_equal(pgt_s2_vtcr(&pgt), 0x80023558ull);

    assert_int_equal(pgt_s2_map(&pgt, 0x40000000, 4096, 0x80000000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_get_leaf(&pgt, 0x40000000, &pte, &level), 0);
    assert_int_equal(level, 3);
    assert_int_equal(pte, 0x00400000800007ffull);
    assert_int_equal(mm.live, 4);
    assert_int_equal(tmm_page_ref(&mm, pgt.pgd), 2);            /* root page 0 */
    assert_int_equal(tmm_page_ref(&mm, pgt.pgd + 512), 1);      /* root page 1 */

    assert_int_equal(pgt_s2_map(&pgt, 0x200000, 0x200000, 0x40200000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_get_leaf(&pgt, 0x3ff000, &pte, &level), 0);
    assert_int_equal(level, 2);
    assert_int_equal(pte, 0x00400000402007fdull);
    assert_int_equal(pgt_count_table_pages(&pgt), 5);

    /* Unmap everything: only the root remains. */
    assert_int_equal(pgt_s2_unmap(&pgt, 0, 1ull << 40, NULL), 0);
    assert_int_equal(mm.live, 2);
    assert_int_equal(tmm_page_ref(&mm, pgt.pgd), 1);
    pgt_s2_destroy(&pgt);
    assert_int_equal(mm.live, 0);
}

/* Splitting the middle page out of a 2 MiB block keeps the other 511. */
static void s2_unmap_splits_block(void **state)
{
    struct pgt pgt;
    struct pgt_s2_cfg cfg = { PGT_GRANULE_4K, 40, 40, 1, 0, 0 };
    pgt_pte_t pte;
    int level;
    uint64_t pa;

    (void)state;
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &tmm_ops, NULL, NULL), 0);
    assert_int_equal(pgt_s2_map(&pgt, 0x200000, 0x200000, 0x40200000,
                                PGT_PROT_RW, NULL, 0), 0);
    assert_int_equal(pgt_s2_unmap(&pgt, 0x300000, 0x1000, NULL), 0);
    assert_int_equal(pgt_get_leaf(&pgt, 0x300000, &pte, &level), 0);
    assert_int_equal(pte, 0);
    assert_int_equal(level, 3);
    assert_int_equal(pgt_translate(&pgt, 0x301234, &pa, NULL), 0);
    assert_int_equal(pa, 0x40301234);
    assert_int_equal(pgt_translate(&pgt, 0x2ff000, &pa, NULL), 0);
    assert_int_equal(pa, 0x402ff000);
    assert_int_equal(pgt_get_leaf(&pgt, 0x2ff000, &pte, &level), 0);
    /* Its run [0x2f0000, 0x300000) is whole: the contiguous hint, bit 52. */
    assert_int_equal(pte, 0x00500000402ff7ffull);
    pgt_s2_destroy(&pgt);
    assert_int_equal(mm.live, 0);
}

/* set_owner leaves annotation 0x5 << 2 = 0x14 in invalid entries. */
static void s2_owner(void **state)
{
    struct pgt pgt;
    struct pgt_s2_cfg cfg = { PGT_GRANULE_4K, 40, 40, 1, 0, PGT_S2_HOST };
    pgt_pte_t pte;
    int level;

    (void)state;
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &tmm_ops, NULL, NULL), 0);
    assert_int_equal(pgt_s2_map(&pgt, 0, 0x40000000, 0, PGT_PROT_RWX, NULL, 0), 0);
    /* host mode: a 1 GiB identity block, not counted */
    assert_int_equal(tmm_page_ref(&mm, pgt.pgd), 1);
    assert_int_equal(pgt_s2_set_owner(&pgt, 0x1000, 0x1000, NULL, 5), 0);
    assert_int_equal(pgt_get_leaf(&pgt, 0x1000, &pte, &level), 0);
    assert_int_equal(pte, 0x14);
    assert_int_equal(level, 3);
    assert_int_equal(pgt_get_leaf(&pgt, 0x2000, &pte, &level), 0);
    assert_int_equal(level, 3);
    assert_true(pgt_pte_is_leaf(pte, 3));
    /* remove the annotation: the tables hold only uncounted leaves: freed */
    assert_int_equal(pgt_s2_set_owner(&pgt, 0x1000, 0x1000, NULL, 0), 0);
    assert_int_equal(mm.live, 2);
    pgt_s2_destroy(&pgt);
    assert_int_equal(mm.live, 0);
}

/*
 * EL2 stage 1, 4K, 48-bit VA: VA 0x1000 -> PA 0x80000000 RW:
 *   OA | AttrIndx 0 | AP[1] (0x40, RES1) | SH inner 0x300 | AF 0x400 |
 *   page 0x3 | XN bit 54 = 0x0040_0000_8000_0743
 */
static void hyp_map_conflict(void **state)
{
    struct pgt pgt;
    pgt_pte_t pte;
    int level;

    (void)state;
    assert_int_equal(pgt_hyp_init(&pgt, 48, PGT_GRANULE_4K, &tmm_ops, NULL), 0);
    assert_int_equal(pgt.geom.start_level, 0);
    assert_int_equal(pgt_hyp_map(&pgt, 0x1000, 0x1000, 0x80000000, PGT_PROT_RW), 0);
    assert_int_equal(pgt_get_leaf(&pgt, 0x1000, &pte, &level), 0);
    assert_int_equal(pte, 0x0040000080000743ull);
    assert_int_equal(pgt_hyp_map(&pgt, 0x1000, 0x1000, 0x80000000, PGT_PROT_RW), 0);
    long live = mm.live;
    assert_int_equal(pgt_hyp_map(&pgt, 0, 0x3000, 0x7ffff000, PGT_PROT_R),
                     -PGT_EEXIST);
    assert_int_equal(mm.live, live);
    assert_int_equal(pgt_hyp_unmap(&pgt, 0, 1ull << 48), 0x1000);
    assert_int_equal(mm.live, 1);
    pgt_hyp_destroy(&pgt);
    assert_int_equal(mm.live, 0);
}

/* OOM at every allocation point of a map: table unchanged, no leak. */
static void s2_map_oom(void **state)
{
    struct pgt pgt;
    struct pgt_s2_cfg cfg = { PGT_GRANULE_4K, 40, 40, 1, 0, 0 };
    pgt_pte_t pte;
    int level;

    (void)state;
    assert_int_equal(pgt_s2_init(&pgt, &cfg, &tmm_ops, NULL, NULL), 0);
    for (long n = 0; n < 4; n++) {
        tmm_fail_after(&mm, n);
        int ret = pgt_s2_map(&pgt, 0x1000, 0x3ff000, 0x2000, PGT_PROT_RW, NULL, 0);
        tmm_fail_after(&mm, -1);
        if (n < 3) {
            /* OA not 2 MiB aligned with IA: pages only, so L2 + two L3 */
            assert_int_equal(ret, -PGT_ENOMEM);
            assert_int_equal(mm.live, 2);
            assert_int_equal(pgt_count_table_pages(&pgt), 2);
        } else {
            assert_int_equal(ret, 0);
        }
    }
    assert_int_equal(mm.live, 5);
    assert_int_equal(pgt_get_leaf(&pgt, 0x3ff000, &pte, &level), 0);
    assert_int_equal(level, 3);
    pgt_s2_destroy(&pgt);
    assert_int_equal(mm.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(s2_page_and_block, setup, teardown),
        cmocka_unit_test_setup_teardown(s2_unmap_splits_block, setup, teardown),
        cmocka_unit_test_setup_teardown(s2_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(hyp_map_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(s2_map_oom, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
