// SPDX-License-Identifier: MIT
/*
 * The TLB model must be able to fail: feed it hand-written table updates
 * (no library code) with and without the invalidations the architecture
 * requires, and check it flags exactly the broken ones.
 *
 * Table used (4K granule, 39-bit IA, start level 1):
 *   L1[1] -> L2 table;  L2[0] -> L3 table;  L3[1] = page VA 0x40001000
 *   L2[1] = 2 MiB block VA 0x40200000
 *   (and L3[16..31], a contiguous run, in the tests of the hint)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_mm.h"
#include "tlbmodel.h"

#define VA_PAGE 0x40001000ull
#define VA_BLOCK 0x40200000ull
#define PA_A 0x1234000ull
#define PA_B 0x5678000ull
#define PA_BLK 0x40000000ull
#define PAGE_BITS (PGT_PTE_VALID | PGT_PTE_TYPE | PGT_PTE_AF)
#define S2_RW (PGT_S2_S2AP_R | PGT_S2_S2AP_W | (0xfull << 2))

struct fx {
    struct tmm mm;
    struct pgt pgt;
    struct tlbm tlb;
    pgt_pte_t *l1, *l2, *l3;
};

static pgt_pte_t *new_table(struct fx *f)
{
    (void)f;
    return tmm_ops.zalloc_page(NULL, NULL);
}

static pgt_pte_t table_desc(struct fx *f, pgt_pte_t *t)
{
    (void)f;
    return tmm_ops.virt_to_phys(NULL, t) | PGT_PTE_VALID | PGT_PTE_TYPE;
}

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof(f));
    tmm_init(&f.mm, 4096, 64, 0x80000000ull);
    f.l1 = new_table(&f);
    f.l2 = new_table(&f);
    f.l3 = new_table(&f);
    f.pgt.pgd = f.l1;
    f.pgt.pgd_phys = tmm_ops.virt_to_phys(NULL, f.l1);
    f.pgt.geom.granule_shift = 12;
    f.pgt.geom.bits_per_level = 9;
    f.pgt.geom.ia_bits = 39;
    f.pgt.geom.oa_bits = 48;
    f.pgt.geom.start_level = 1;
    f.pgt.geom.nr_root_pages = 1;
    f.pgt.regime = PGT_REGIME_S2;
    f.pgt.mm_ops = &tmm_ops;
    f.l1[1] = table_desc(&f, f.l2);
    f.l2[0] = table_desc(&f, f.l3);
    f.l3[1] = PA_A | PAGE_BITS | S2_RW;
    f.l2[1] = PA_BLK | PGT_PTE_VALID | PGT_PTE_AF | S2_RW;
    tlbm_init(&f.tlb, &f.mm, &f.pgt, 1);
    f.tlb.fatal = false;
    /* The walker has cached both translations and the table entries. */
    tlbm_touch(&f.tlb, VA_PAGE);
    tlbm_touch(&f.tlb, VA_BLOCK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tlbm_fini(&f->tlb, &f->mm);
    tmm_fini(&f->mm);
    return 0;
}

static void walker_reads_hand_built_table(void **state)
{
    struct fx *f = *state;
    struct tlbm_walk_res r;
    assert_true(tlbm_walk(&f->mm, &f->pgt, VA_PAGE + 0x10, &r));
    assert_int_equal(r.level, 3);
    assert_int_equal(r.pte, PA_A | PAGE_BITS | S2_RW);
    assert_int_equal(r.nr_tables, 2);
    assert_true(tlbm_walk(&f->mm, &f->pgt, VA_BLOCK + 0x1234, &r));
    assert_int_equal(r.level, 2);
    assert_true(tlbm_walk(&f->mm, &f->pgt, 0x80000000ull, &r));
    assert_int_equal(r.level, 1);
    assert_int_equal(r.pte, 0);
}

static void unmap_without_tlbi_is_flagged(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] = 0; /* a buggy unmap: no tlbi_va */
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_int_equal(f->tlb.stale, 1);
    assert_non_null(strstr(f->tlb.msg, "STALE"));
}

static void unmap_with_tlbi_passes(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] = 0;
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 3);
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void wrong_level_hint_is_flagged(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_BLOCK, VA_BLOCK + (2u << 20));
    f->l2[1] = 0;
    tmm_ops.tlbi_va(&f->pgt, VA_BLOCK, 3); /* the block is at level 2 */
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_int_equal(f->tlb.stale, 1);
}

static void right_level_hint_passes(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_BLOCK, VA_BLOCK + (2u << 20));
    f->l2[1] = 0;
    tmm_ops.tlbi_va(&f->pgt, VA_BLOCK + 0x5000, 2);
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void hint_for_another_granule_is_flagged(void **state)
{
    struct fx *f = *state;
    /* Level 0 cannot hold a leaf here (start level 1, no LPA2). */
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 0);
    assert_int_equal(f->tlb.hint, 1);
}

static void table_removed_with_leaf_hint_is_flagged(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, 0x40000000ull, 0x40200000ull);
    f->l3[1] = 0;
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 3);
    f->l2[0] = 0; /* unlink the now empty L3 table ... */
    tmm_ops.tlbi_va(&f->pgt, 0x40000000ull, 2); /* ... but not UNKNOWN */
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_non_null(strstr(f->tlb.msg, "table entry"));
}

static void table_removed_with_unknown_hint_passes(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, 0x40000000ull, 0x40200000ull);
    f->l3[1] = 0;
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 3);
    f->l2[0] = 0;
    tmm_ops.tlbi_va(&f->pgt, 0x40000000ull, PGT_LEVEL_UNKNOWN);
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void remap_without_break_is_flagged(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] = PA_B | PAGE_BITS | S2_RW; /* valid -> valid, new PA */
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 3);
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_int_equal(f->tlb.bbm, 1);
    assert_non_null(strstr(f->tlb.msg, "output address"));
}

static void remap_with_break_before_make_passes(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] = 0;
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 3);
    f->l3[1] = PA_B | PAGE_BITS | S2_RW;
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void split_without_break_is_flagged(void **state)
{
    struct fx *f = *state;
    pgt_pte_t *t = new_table(f);
    for (int i = 0; i < 512; i++)
        t[i] = (PA_BLK + (uint64_t)i * 4096) | PAGE_BITS | S2_RW;
    tlbm_begin_op(&f->tlb, VA_BLOCK, VA_BLOCK + (2u << 20));
    f->l2[1] = table_desc(f, t); /* block -> table in one store */
    tmm_ops.tlbi_va(&f->pgt, VA_BLOCK, 2);
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_int_equal(f->tlb.bbm, 1);
    assert_non_null(strstr(f->tlb.msg, "block size"));
}

static void permission_change_needs_tlbi_but_no_break(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] &= ~PGT_S2_S2AP_W; /* in place: allowed without BBM */
    assert_int_equal(tlbm_end_op(&f->tlb), 1); /* but the TLB is stale */
    assert_int_equal(f->tlb.bbm, 0);
    tlbm_touch(&f->tlb, VA_PAGE);
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] |= PGT_S2_S2AP_W;
    tmm_ops.tlbi_range(&f->pgt, VA_PAGE, 4096);
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void access_flag_change_needs_nothing(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    f->l3[1] &= ~PGT_PTE_AF;
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void tlbi_before_the_store_is_flagged(void **state)
{
    struct fx *f = *state;
    tlbm_begin_op(&f->tlb, VA_PAGE, VA_PAGE + 4096);
    tmm_ops.tlbi_va(&f->pgt, VA_PAGE, 3); /* walker refills the old entry */
    f->l3[1] = 0;
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
}

/* The contiguous hint: L3[16..31] (VA 0x40010000, 64 KiB) one run of 16
 * pages, its output addresses from 0x2000000 (aligned to the run). */
#define VA_RUN 0x40010000ull
#define PA_RUN 0x2000000ull
#define RUN_END (VA_RUN + 16 * 4096)

static void map_run(struct fx *f)
{
    for (int k = 0; k < 16; k++)
        f->l3[16 + k] =
            (PA_RUN + (uint64_t)k * 4096) | PAGE_BITS | S2_RW | PGT_PTE_CONT;
    tlbm_touch(&f->tlb, VA_RUN + 0x3000); /* cached as one entry */
}

static void unmap_run(struct fx *f)
{
    for (int k = 0; k < 16; k++)
        f->l3[16 + k] = 0;
}

static void cont_run_invalidated_at_one_address_is_flagged(void **state)
{
    struct fx *f = *state;
    map_run(f);
    tlbm_begin_op(&f->tlb, VA_RUN, RUN_END);
    unmap_run(f);
    /* Enough for an entry cached for the run, not for entries the TLB
     * may hold one by one. */
    tmm_ops.tlbi_va(&f->pgt, VA_RUN + 0x3000, 3);
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_int_equal(f->tlb.stale, 1);
}

static void cont_run_invalidated_whole_passes(void **state)
{
    struct fx *f = *state;
    map_run(f);
    tlbm_begin_op(&f->tlb, VA_RUN, RUN_END);
    unmap_run(f);
    for (int k = 0; k < 16; k++)
        tmm_ops.tlbi_va(&f->pgt, VA_RUN + (uint64_t)k * 4096, 3);
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
    map_run(f);
    tlbm_begin_op(&f->tlb, VA_RUN, RUN_END);
    unmap_run(f);
    tmm_ops.tlbi_range(&f->pgt, VA_RUN, 16 * 4096);
    assert_int_equal(tlbm_end_op(&f->tlb), 0);
}

static void cont_bit_cleared_in_place_is_flagged(void **state)
{
    struct fx *f = *state;
    map_run(f);
    tlbm_begin_op(&f->tlb, VA_RUN, RUN_END);
    for (int k = 0; k < 16; k++)
        f->l3[16 + k] &= ~PGT_PTE_CONT; /* an unfold without the break */
    tmm_ops.tlbi_range(&f->pgt, VA_RUN, 16 * 4096);
    assert_int_equal(tlbm_end_op(&f->tlb), 16); /* one per entry */
    assert_int_equal(f->tlb.bbm, 16);
    assert_non_null(strstr(f->tlb.msg, "contiguous bit"));
}

static void cont_run_left_mixed_is_flagged(void **state)
{
    struct fx *f = *state;
    map_run(f);
    tlbm_begin_op(&f->tlb, VA_RUN + 0x5000, VA_RUN + 0x6000);
    /* One page of the run remapped with break-before-make, the others
     * left with the hint: a missing unfold. */
    f->l3[21] = 0;
    tmm_ops.tlbi_range(&f->pgt, VA_RUN, 16 * 4096);
    f->l3[21] = PA_B | PAGE_BITS | S2_RW | PGT_PTE_CONT;
    /* The walker refilled the run from its first page after the TLBI:
     * that entry translates page 5 the old way (STALE), and the run is
     * not uniform (CONT). */
    assert_int_equal(tlbm_end_op(&f->tlb), 2);
    assert_int_equal(f->tlb.stale, 1);
    assert_int_equal(f->tlb.cont, 1);
    assert_non_null(strstr(f->tlb.msg, "CONT"));
    /* Without the bit on the new page the rest still claims the hint. */
    f->l3[21] = PA_B | PAGE_BITS | S2_RW;
    tlbm_begin_op(&f->tlb, VA_RUN + 0x5000, VA_RUN + 0x6000);
    assert_int_equal(tlbm_end_op(&f->tlb), 1);
    assert_int_equal(f->tlb.cont, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(walker_reads_hand_built_table),
        T(unmap_without_tlbi_is_flagged),
        T(unmap_with_tlbi_passes),
        T(wrong_level_hint_is_flagged),
        T(right_level_hint_passes),
        T(hint_for_another_granule_is_flagged),
        T(table_removed_with_leaf_hint_is_flagged),
        T(table_removed_with_unknown_hint_passes),
        T(remap_without_break_is_flagged),
        T(remap_with_break_before_make_passes),
        T(split_without_break_is_flagged),
        T(permission_change_needs_tlbi_but_no_break),
        T(access_flag_change_needs_nothing),
        T(tlbi_before_the_store_is_flagged),
        T(cont_run_invalidated_at_one_address_is_flagged),
        T(cont_run_invalidated_whole_passes),
        T(cont_bit_cleared_in_place_is_flagged),
        T(cont_run_left_mixed_is_flagged),
    };
    return cmocka_run_group_tests_name("tlbmodel", tests, NULL, NULL);
}
