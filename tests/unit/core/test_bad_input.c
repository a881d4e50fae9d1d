// SPDX-License-Identifier: MIT
/*
 * Every bad-input class for every public function: NULL, unaligned
 * address / size / phys, size 0, range beyond the IA size, phys beyond the
 * OA size, bad prot combinations (enum pgt_prot's rules), owner id above
 * PGT_MAX_OWNER_ID, bad granule / level / VTCR, missing hooks.
 *
 * Each call must return the documented code and leave everything as it
 * was: every table page byte-identical, the same pages allocated with the
 * same counts, struct pgt unchanged, no page allocated or freed, and no
 * maintenance hook called (core_ref.c snap_check, strict).
 */
#include "core_ref.h"

#include <string.h>

#include "pgtable/dump.h"

#define IA40 (1ull << 40)
#define VA48 (1ull << 48)

/*
 * Run @call on fixture @f and check it returns @code (or @alt, where the
 * header allows two codes) and that nothing changed.
 */
#define REJECT2(f, call, code, alt)                                          \
    do {                                                                     \
        struct snap s_;                                                      \
        snap_take(&s_, &(f)->m, &(f)->pgt);                                  \
        int64_t r_ = (int64_t)(call);                                        \
        if (r_ != (code) && r_ != (alt)) {                                   \
            print_error("%s returned %lld, expected %d\n", #call,            \
                        (long long)r_, (code));                              \
            snap_free(&s_);                                                  \
            fail();                                                          \
        }                                                                    \
        snap_check(&s_, &(f)->m, &(f)->pgt, true);                           \
        snap_free(&s_);                                                      \
    } while (0)
#define REJECT(f, call, code) REJECT2(f, call, code, code)

/* Stage 2, 4K, 40-bit IPA and PA, level 1 (2 root pages), with two pages,
 * a 2M block, a device page and an owner annotation in it. */
static void s2_populated(struct fx *f, uint32_t flags)
{
    /* Host stage 2 maps identity only. */
    uint64_t shift = (flags & PGT_S2_HOST) ? 0 : 0x40000000;
    fx_s2(f, 12, 40, 40, 1, 0, flags);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40000000, 2 * SZ_4K,
                                0x40000000 + shift, PGT_PROT_RW, NULL,
                                PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x40200000, SZ_2M, 0x40200000 + shift,
                                PGT_PROT_RW, NULL, PGT_MAP_SKIP_DCACHE), 0);
    assert_int_equal(pgt_s2_map(&f->pgt, 0x09000000, SZ_4K, 0x09000000,
                                PGT_PROT_RW | PGT_PROT_DEVICE, NULL, 0), 0);
    assert_int_equal(pgt_s2_set_owner(&f->pgt, 0x40400000, SZ_4K, NULL, 3),
                     0);
    tmm_log_clear(&f->m);
}

static void hyp_populated(struct fx *f)
{
    fx_hyp(f, 12, 48, 0);
    assert_int_equal(pgt_hyp_map(&f->pgt, 0x1000, 2 * SZ_4K, 0x80001000,
                                 PGT_PROT_RW), 0);
    assert_int_equal(pgt_hyp_map(&f->pgt, 0x200000, SZ_2M, 0x80200000,
                                 PGT_PROT_RX), 0);
    tmm_log_clear(&f->m);
}

/* ---------------- stage 2 ---------------- */

static void test_s2_map_rejects_bad_input_without_changing_anything(
    void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    const enum pgt_prot rw = PGT_PROT_RW;
    REJECT(&f, pgt_s2_map(NULL, 0x0, SZ_4K, 0x0, rw, NULL, 0), -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x800, SZ_4K, 0x0, rw, NULL, 0), -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, 0x800, 0x0, rw, NULL, 0), -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x800, rw, NULL, 0), -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, 0, 0x0, rw, NULL, 0), -PGT_EINVAL);
    /* Beyond the 40-bit IPA space, starting or ending there. */
    REJECT(&f, pgt_s2_map(p, IA40, SZ_4K, 0x0, rw, NULL, 0), -PGT_ERANGE);
    REJECT(&f, pgt_s2_map(p, IA40 - SZ_4K, 2 * SZ_4K, 0x0, rw, NULL, 0),
           -PGT_ERANGE);
    /* addr + size wraps around 2^64. */
    REJECT2(&f, pgt_s2_map(p, 0xfffffffffffff000ull, 2 * SZ_4K, 0x0, rw, NULL,
                           0),
            -PGT_ERANGE, -PGT_EINVAL);
    /* Beyond the 40-bit PA space. */
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, IA40, rw, NULL, 0), -PGT_ERANGE);
    REJECT(&f, pgt_s2_map(p, 0x0, 2 * SZ_4K, IA40 - SZ_4K, rw, NULL, 0),
           -PGT_ERANGE);
    /* Prot rules for stage 2. */
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0,
                          PGT_PROT_RX | PGT_PROT_DEVICE, NULL, 0),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0,
                          PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC,
                          NULL, 0),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0, PGT_PROT_R | PGT_PROT_USER,
                          NULL, 0),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0, PGT_PROT_RX | PGT_PROT_PXN,
                          NULL, 0),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0, PGT_PROT_RX | PGT_PROT_UXN,
                          NULL, 0),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0,
                          (enum pgt_prot)(PGT_PROT_R | (1u << 12)), NULL, 0),
           -PGT_EINVAL);
    /* Unknown map flag. */
    REJECT(&f, pgt_s2_map(p, 0x0, SZ_4K, 0x0, rw, NULL, 1u << 7),
           -PGT_EINVAL);
    /* Size 0 at address 0 (aligned to any size). */
    REJECT(&f, pgt_s2_map(p, 0x0, 0, 0x0, rw, NULL, 0), -PGT_EINVAL);
    /* Bad prot over an existing mapping must not touch it either. */
    REJECT(&f, pgt_s2_map(p, 0x40000000, SZ_4K, 0x80000000,
                          PGT_PROT_RX | PGT_PROT_DEVICE, NULL, 0),
           -PGT_EINVAL);
    fx_fini(&f);
}

static void test_s2_map_with_xnx_rejects_pxn_without_x(void **state)
{
    (void)state;
    struct fx f;
    s2_populated(&f, PGT_S2_XNX);
    REJECT(&f, pgt_s2_map(&f.pgt, 0x0, SZ_4K, 0x0,
                          PGT_PROT_R | PGT_PROT_PXN, NULL, 0),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_map(&f.pgt, 0x0, SZ_4K, 0x0,
                          PGT_PROT_RW | PGT_PROT_UXN, NULL, 0),
           -PGT_EINVAL);
    fx_fini(&f);
}

static void test_s2_host_map_rejects_non_identity(void **state)
{
    (void)state;
    struct fx f;
    s2_populated(&f, PGT_S2_HOST);
    REJECT(&f, pgt_s2_map(&f.pgt, 0x50000000, SZ_4K, 0x60000000, PGT_PROT_RW,
                          NULL, 0),
           -PGT_EINVAL);
    fx_fini(&f);
}

static void test_s2_unmap_rejects_bad_input_without_changing_anything(
    void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    REJECT(&f, pgt_s2_unmap(NULL, 0x40000000, SZ_4K, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_unmap(p, 0x40000800, SZ_4K, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_unmap(p, 0x40000000, 0x800, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_unmap(p, 0x40000000, 0, NULL), -PGT_EINVAL);
    /* Size 0 at address 0: aligned to any size, so only the size check
     * refuses it (on the one-page path's side). */
    REJECT(&f, pgt_s2_unmap(p, 0x0, 0, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_unmap(p, IA40, SZ_4K, NULL), -PGT_ERANGE);
    /* Straddles the end of the IPA space: nothing removed at all. */
    REJECT(&f, pgt_s2_unmap(p, 0x40000000, IA40, NULL), -PGT_ERANGE);
    REJECT2(&f, pgt_s2_unmap(p, 0xfffffffffffff000ull, 2 * SZ_4K, NULL),
            -PGT_ERANGE, -PGT_EINVAL);
    fx_fini(&f);
}

static void test_s2_set_owner_rejects_bad_input_without_changing_anything(
    void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    REJECT(&f, pgt_s2_set_owner(NULL, 0x0, SZ_4K, NULL, 1), -PGT_EINVAL);
    REJECT(&f, pgt_s2_set_owner(p, 0x40000000, SZ_4K, NULL,
                                PGT_MAX_OWNER_ID + 1),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_set_owner(p, 0x40000000, SZ_4K, NULL, 0xffffffffu),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_set_owner(p, 0x40000800, SZ_4K, NULL, 1), -PGT_EINVAL);
    REJECT(&f, pgt_s2_set_owner(p, 0x40000000, 0x800, NULL, 1), -PGT_EINVAL);
    REJECT(&f, pgt_s2_set_owner(p, 0x40000000, 0, NULL, 1), -PGT_EINVAL);
    REJECT(&f, pgt_s2_set_owner(p, IA40, SZ_4K, NULL, 1), -PGT_ERANGE);
    REJECT(&f, pgt_s2_set_owner(p, 0x40000000, IA40, NULL, 1), -PGT_ERANGE);
    fx_fini(&f);
}

static void test_s2_relax_perms_rejects_bad_input_without_changing_anything(
    void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    REJECT(&f, pgt_s2_relax_perms(NULL, 0x40000000, PGT_PROT_W), -PGT_EINVAL);
    /* Only R/W/X (and PXN/UXN with XNX) may be added. */
    REJECT(&f, pgt_s2_relax_perms(p, 0x40000000, PGT_PROT_DEVICE),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_relax_perms(p, 0x40000000, PGT_PROT_NORMAL_NC),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_relax_perms(p, 0x40000000, PGT_PROT_SW0), -PGT_EINVAL);
    REJECT(&f, pgt_s2_relax_perms(p, 0x40000000, PGT_PROT_X | PGT_PROT_PXN),
           -PGT_EINVAL);
    /* X on a device mapping. */
    REJECT(&f, pgt_s2_relax_perms(p, 0x09000000, PGT_PROT_X), -PGT_EINVAL);
    /* No valid leaf: empty, and an owner annotation. */
    REJECT(&f, pgt_s2_relax_perms(p, 0x50000000, PGT_PROT_W), -PGT_ENOENT);
    REJECT(&f, pgt_s2_relax_perms(p, 0x40400000, PGT_PROT_W), -PGT_ENOENT);
    fx_fini(&f);
}

static void test_s2_wrprotect_young_and_split_reject_bad_ranges(void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    REJECT(&f, pgt_s2_wrprotect(NULL, 0x40000000, SZ_4K), -PGT_EINVAL);
    REJECT(&f, pgt_s2_wrprotect(p, 0x40000800, SZ_4K), -PGT_EINVAL);
    REJECT(&f, pgt_s2_wrprotect(p, 0x40000000, 0x800), -PGT_EINVAL);
    REJECT(&f, pgt_s2_wrprotect(p, 0x40000000, 0), -PGT_EINVAL);
    REJECT(&f, pgt_s2_wrprotect(p, IA40, SZ_4K), -PGT_ERANGE);
    REJECT(&f, pgt_s2_wrprotect(p, 0x40000000, IA40), -PGT_ERANGE);

    REJECT(&f, pgt_s2_mkyoung(NULL, 0x40000000), -PGT_EINVAL);
    REJECT(&f, pgt_s2_mkyoung(p, IA40), -PGT_ERANGE);
    REJECT(&f, pgt_s2_mkyoung(p, 0x50000000), -PGT_ENOENT);

    REJECT(&f, pgt_s2_test_clear_young(NULL, 0x40000000, SZ_4K, true),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_test_clear_young(p, 0x40000800, SZ_4K, true),
           -PGT_EINVAL);
    REJECT(&f, pgt_s2_test_clear_young(p, 0x40000000, 0, true), -PGT_EINVAL);
    REJECT(&f, pgt_s2_test_clear_young(p, 0x40000000, IA40, true),
           -PGT_ERANGE);

    REJECT(&f, pgt_s2_split(NULL, 0x40200000, SZ_2M, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_split(p, 0x40200800, SZ_2M, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_split(p, 0x40200000, 0x800, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_split(p, 0x40200000, 0, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_s2_split(p, IA40, SZ_2M, NULL), -PGT_ERANGE);
    REJECT(&f, pgt_s2_split(p, 0x40200000, IA40, NULL), -PGT_ERANGE);
    fx_fini(&f);
}

static void test_walk_get_leaf_and_translate_reject_bad_input(void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    static int calls;
    struct pgt_walker w = {.cb = NULL, .arg = &calls,
                           .flags = PGT_WALK_LEAF};
    REJECT(&f, pgt_walk(p, 0x0, SZ_4K, &w), -PGT_EINVAL); /* NULL cb */
    REJECT(&f, pgt_walk(p, 0x0, SZ_4K, NULL), -PGT_EINVAL);
    REJECT(&f, pgt_walk(NULL, 0x0, SZ_4K, NULL), -PGT_EINVAL);
    pgt_pte_t pte;
    int level;
    uint64_t pa;
    enum pgt_prot prot;
    REJECT(&f, pgt_get_leaf(NULL, 0x0, &pte, &level), -PGT_EINVAL);
    REJECT(&f, pgt_get_leaf(p, IA40, &pte, &level), -PGT_ERANGE);
    REJECT(&f, pgt_translate(NULL, 0x0, &pa, &prot), -PGT_EINVAL);
    REJECT(&f, pgt_translate(p, IA40, &pa, &prot), -PGT_ERANGE);
    REJECT(&f, pgt_translate(p, 0x50000000, &pa, &prot), -PGT_ENOENT);
    REJECT(&f, pgt_translate(p, 0x40400000, &pa, &prot), -PGT_ENOENT);
    fx_fini(&f);
}

static int count_visit(const struct pgt_visit_ctx *ctx,
                       enum pgt_walk_flags visit)
{
    (void)visit;
    (*(int *)ctx->arg)++;
    return 0;
}

static void test_walk_rejects_unaligned_empty_and_out_of_range(void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    s2_populated(&f, 0);
    int calls = 0;
    struct pgt_walker w = {.cb = count_visit, .arg = &calls,
                           .flags = PGT_WALK_LEAF};
    REJECT(&f, pgt_walk(p, 0x800, SZ_4K, &w), -PGT_EINVAL);
    REJECT(&f, pgt_walk(p, 0x0, 0x800, &w), -PGT_EINVAL);
    REJECT(&f, pgt_walk(p, 0x0, 0, &w), -PGT_EINVAL);
    REJECT(&f, pgt_walk(p, IA40, SZ_4K, &w), -PGT_ERANGE);
    REJECT(&f, pgt_walk(p, 0x0, IA40 + SZ_4K, &w), -PGT_ERANGE);
    assert_int_equal(calls, 0);
    fx_fini(&f);
}

/* pgt_s2_init / pgt_s2_init_vtcr: @pgt untouched, nothing allocated. */
static void expect_s2_init_einval(const struct pgt_s2_cfg *cfg,
                                  const struct pgt_mm_ops *ops, size_t gsz,
                                  const char *why)
{
    struct tmm m;
    struct pgt p, before;
    tmm_init(&m, gsz, 32, ARENA_PA);
    memset(&p, 0xab, sizeof(p));
    before = p;
    int ret = pgt_s2_init(&p, cfg, ops, NULL, NULL);
    if (ret != -PGT_EINVAL) {
        print_error("pgt_s2_init (%s) returned %d\n", why, ret);
        fail();
    }
    assert_memory_equal(&p, &before, sizeof(p));
    assert_int_equal(m.allocs, 0);
    tmm_fini(&m);
}

static void test_s2_init_rejects_bad_configurations(void **state)
{
    (void)state;
    const struct pgt_s2_cfg good = {.granule = PGT_GRANULE_4K,
                                    .ia_bits = 40,
                                    .oa_bits = 40,
                                    .start_level = 1,
                                    .geom_flags = 0,
                                    .flags = 0};
    struct pgt_s2_cfg c;
    struct tmm m;
    tmm_init(&m, SZ_4K, 8, ARENA_PA);
    struct pgt p;
    memset(&p, 0xab, sizeof(p));
    struct pgt before = p;
    assert_int_equal(pgt_s2_init(NULL, &good, &tmm_ops, NULL, NULL), -PGT_EINVAL);
    assert_int_equal(pgt_s2_init(&p, NULL, &tmm_ops, NULL, NULL), -PGT_EINVAL);
    assert_int_equal(pgt_s2_init(&p, &good, NULL, NULL, NULL), -PGT_EINVAL);
    assert_int_equal(pgt_s2_init_vtcr(NULL, 0x80023558ull, 0, &tmm_ops, NULL, NULL),
                     -PGT_EINVAL);
    assert_int_equal(pgt_s2_init_vtcr(&p, 0x80023558ull, 0, NULL, NULL, NULL),
                     -PGT_EINVAL);
    assert_memory_equal(&p, &before, sizeof(p));
    assert_int_equal(m.allocs, 0);
    tmm_fini(&m);

    c = good, c.granule = (enum pgt_granule)13;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "granule 13");
    c = good, c.ia_bits = 24;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "ia 24");
    c = good, c.ia_bits = 49, c.start_level = 0;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "4K ia 49 without LPA2");
    c = good, c.oa_bits = 47;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "oa 47");
    c = good, c.oa_bits = 52;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "4K oa 52 without LPA2");
    c = good, c.start_level = 4;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "level 4");
    c = good, c.start_level = -1;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "level -1 without LPA2");
    c = good, c.ia_bits = 44, c.oa_bits = 44;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "44-bit at L1: 32 pages");
    c = good, c.start_level = 2;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "40-bit at L2: 512 pages");

    c = good, c.flags = 1u << 8;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "unknown table flag");
    c = good, c.geom_flags = 1u << 7;
    expect_s2_init_einval(&c, &tmm_ops, SZ_4K, "unknown geometry flag");

    /* Missing required hooks. */
    struct pgt_mm_ops ops = tmm_ops;
    ops.zalloc_page = NULL;
    c = good, c.start_level = 0;
    expect_s2_init_einval(&c, &ops, SZ_4K, "no zalloc_page");
    ops = tmm_ops;
    ops.phys_to_virt = NULL;
    expect_s2_init_einval(&c, &ops, SZ_4K, "no phys_to_virt");
    ops = tmm_ops;
    ops.zalloc_pages_exact = NULL;
    c = good; /* two root pages need zalloc_pages_exact */
    expect_s2_init_einval(&c, &ops, SZ_4K, "no zalloc_pages_exact");
}

/* ---------------- stage 1 ---------------- */

static void test_hyp_map_rejects_bad_input_without_changing_anything(
    void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    hyp_populated(&f);
    const enum pgt_prot rw = PGT_PROT_RW;
    REJECT(&f, pgt_hyp_map(NULL, 0x0, SZ_4K, 0x0, rw), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_map(p, 0x10800, SZ_4K, 0x0, rw), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_map(p, 0x10000, 0x800, 0x0, rw), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_map(p, 0x10000, SZ_4K, 0x800, rw), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_map(p, 0x10000, 0, 0x0, rw), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_map(p, VA48, SZ_4K, 0x0, rw), -PGT_ERANGE);
    REJECT(&f, pgt_hyp_map(p, VA48 - SZ_4K, 2 * SZ_4K, 0x0, rw), -PGT_ERANGE);
    REJECT2(&f, pgt_hyp_map(p, 0xfffffffffffff000ull, 2 * SZ_4K, 0x0, rw),
            -PGT_ERANGE, -PGT_EINVAL);
    REJECT(&f, pgt_hyp_map(p, 0x10000, SZ_4K, VA48, rw), -PGT_ERANGE);
    REJECT(&f, pgt_hyp_map(p, 0x10000, 2 * SZ_4K, VA48 - SZ_4K, rw),
           -PGT_ERANGE);
    /* Stage-1 prot rules. */
    static const unsigned bad_prot[] = {
        0,                                                 /* no R */
        PGT_PROT_W,                                        /* no R */
        PGT_PROT_X,                                        /* no R */
        PGT_PROT_RWX,                                      /* W|X */
        PGT_PROT_RX | PGT_PROT_DEVICE,                     /* X device */
        PGT_PROT_R | PGT_PROT_DEVICE | PGT_PROT_NORMAL_NC, /* exclusive */
        PGT_PROT_R | PGT_PROT_USER,                        /* EL2 */
        PGT_PROT_RX | PGT_PROT_PXN,                        /* stage 2 only */
        PGT_PROT_RX | PGT_PROT_UXN,                        /* stage 2 only */
        PGT_PROT_R | PGT_PROT_NG,                          /* no ASIDs */
        PGT_PROT_R | PGT_PROT_NS,                          /* EL3 only */
        PGT_PROT_R | (1u << 14),                           /* unknown bit */
    };
    for (size_t i = 0; i < sizeof(bad_prot) / sizeof(bad_prot[0]); i++)
        REJECT(&f, pgt_hyp_map(p, 0x10000, SZ_4K, 0x10000,
                               (enum pgt_prot)bad_prot[i]),
               -PGT_EINVAL);
    /* A conflicting map changes nothing either (no alloc check: the
     * header allows pages to be allocated and given back). */
    struct snap s;
    snap_take(&s, &f.m, p);
    assert_int_equal(pgt_hyp_map(p, 0x0, 4 * SZ_4K, 0x70000000, rw),
                     -PGT_EEXIST);
    snap_check(&s, &f.m, p, false);
    snap_free(&s);
    fx_fini(&f);
}

static void test_hyp_unmap_and_protect_reject_bad_input(void **state)
{
    (void)state;
    struct fx f;
    struct pgt *p = &f.pgt;
    hyp_populated(&f);
    REJECT(&f, pgt_hyp_unmap(NULL, 0x1000, SZ_4K), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_unmap(p, 0x1800, SZ_4K), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_unmap(p, 0x1000, 0x800), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_unmap(p, 0x1000, 0), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_unmap(p, VA48, SZ_4K), -PGT_ERANGE);
    REJECT(&f, pgt_hyp_unmap(p, 0x1000, VA48), -PGT_ERANGE);

    REJECT(&f, pgt_hyp_protect(NULL, 0x1000, SZ_4K, PGT_PROT_R), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_protect(p, 0x1800, SZ_4K, PGT_PROT_R), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_protect(p, 0x1000, 0x800, PGT_PROT_R), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_protect(p, 0x1000, 0, PGT_PROT_R), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_protect(p, VA48, SZ_4K, PGT_PROT_R), -PGT_ERANGE);
    REJECT(&f, pgt_hyp_protect(p, 0x1000, SZ_4K, PGT_PROT_RWX), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_protect(p, 0x1000, SZ_4K, PGT_PROT_W), -PGT_EINVAL);
    REJECT(&f, pgt_hyp_protect(p, 0x1000, SZ_4K,
                               PGT_PROT_R | PGT_PROT_NORMAL_NC),
           -PGT_EINVAL);
    /* Bad prot on a block that would have to be split: no split. */
    REJECT(&f, pgt_hyp_protect(p, 0x200000, SZ_4K, PGT_PROT_RWX),
           -PGT_EINVAL);
    fx_fini(&f);
}

static void test_s1_init_rejects_bad_arguments(void **state)
{
    (void)state;
    static const struct {
        int regime;
        unsigned va, gs, oa;
        uint32_t gflags;
        const char *why;
    } bad[] = {
        {PGT_REGIME_S2, 48, 12, 48, 0, "stage-2 regime"},
        {7, 48, 12, 48, 0, "unknown regime"},
        {PGT_REGIME_EL2, 24, 12, 48, 0, "va 24"},
        {PGT_REGIME_EL2, 49, 12, 48, 0, "4K va 49 without LPA2"},
        {PGT_REGIME_EL2, 53, 12, 52, PGT_GEOM_LPA2, "va 53"},
        {PGT_REGIME_EL2, 48, 13, 48, 0, "granule 13"},
        {PGT_REGIME_EL2, 48, 12, 47, 0, "oa 47"},
        {PGT_REGIME_EL2, 48, 12, 52, 0, "4K oa 52 without LPA2"},
        {PGT_REGIME_EL2, 48, 12, 48, 1u << 30, "unknown flag"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tmm m;
        struct pgt p, before;
        tmm_init(&m, SZ_64K, 4, ARENA_PA);
        memset(&p, 0xab, sizeof(p));
        before = p;
        int ret = pgt_s1_init(&p, (enum pgt_regime)bad[i].regime, bad[i].va,
                              (enum pgt_granule)bad[i].gs, bad[i].oa,
                              bad[i].gflags, &tmm_ops, NULL);
        if (ret != -PGT_EINVAL) {
            print_error("pgt_s1_init (%s) returned %d\n", bad[i].why, ret);
            fail();
        }
        assert_memory_equal(&p, &before, sizeof(p));
        assert_int_equal(m.allocs, 0);
        tmm_fini(&m);
    }
    struct tmm m;
    struct pgt p;
    tmm_init(&m, SZ_4K, 4, ARENA_PA);
    assert_int_equal(pgt_s1_init(NULL, PGT_REGIME_EL2, 48, PGT_GRANULE_4K, 48,
                                 0, &tmm_ops, NULL),
                     -PGT_EINVAL);
    assert_int_equal(pgt_s1_init(&p, PGT_REGIME_EL2, 48, PGT_GRANULE_4K, 48,
                                 0, NULL, NULL),
                     -PGT_EINVAL);
    assert_int_equal(pgt_hyp_init(NULL, 48, PGT_GRANULE_4K, &tmm_ops, NULL),
                     -PGT_EINVAL);
    assert_int_equal(pgt_hyp_init(&p, 49, PGT_GRANULE_4K, &tmm_ops, NULL),
                     -PGT_EINVAL);
    assert_int_equal(pgt_hyp_init(&p, 48, (enum pgt_granule)15, &tmm_ops, NULL),
                     -PGT_EINVAL);
    assert_int_equal(m.allocs, 0);
    tmm_fini(&m);
}

static void test_stage2_calls_on_stage1_table_and_back_are_rejected(
    void **state)
{
    (void)state;
    struct fx f, g;
    hyp_populated(&f);
    struct pgt *h = &f.pgt;
    /* errno.h: -PGT_EPERM is "not allowed on this table/regime"; the
     * function docs list -PGT_EINVAL. Either, and nothing changes. */
    REJECT2(&f, pgt_s2_map(h, 0x0, SZ_4K, 0x0, PGT_PROT_R, NULL, 0),
            -PGT_EINVAL, -PGT_EPERM);
    REJECT2(&f, pgt_s2_unmap(h, 0x1000, SZ_4K, NULL), -PGT_EINVAL,
            -PGT_EPERM);
    /* Address 0 with size 0 and one page: a stage-1 table has no
     * stage-2 one-page instance to reach. */
    REJECT2(&f, pgt_s2_unmap(h, 0x0, 0, NULL), -PGT_EINVAL, -PGT_EPERM);
    REJECT2(&f, pgt_s2_unmap(h, 0x0, SZ_4K, NULL), -PGT_EINVAL, -PGT_EPERM);
    REJECT2(&f, pgt_s2_map(h, 0x0, 0, 0x0, PGT_PROT_R, NULL, 0), -PGT_EINVAL,
            -PGT_EPERM);
    REJECT2(&f, pgt_s2_set_owner(h, 0x1000, SZ_4K, NULL, 1), -PGT_EINVAL,
            -PGT_EPERM);
    REJECT2(&f, pgt_s2_relax_perms(h, 0x1000, PGT_PROT_W), -PGT_EINVAL,
            -PGT_EPERM);
    REJECT2(&f, pgt_s2_wrprotect(h, 0x1000, SZ_4K), -PGT_EINVAL, -PGT_EPERM);
    REJECT2(&f, pgt_s2_mkyoung(h, 0x1000), -PGT_EINVAL, -PGT_EPERM);
    REJECT2(&f, pgt_s2_test_clear_young(h, 0x1000, SZ_4K, true), -PGT_EINVAL,
            -PGT_EPERM);
    REJECT2(&f, pgt_s2_split(h, 0x200000, SZ_2M, NULL), -PGT_EINVAL,
            -PGT_EPERM);
    fx_fini(&f);

    s2_populated(&g, 0);
    struct pgt *p = &g.pgt;
    REJECT2(&g, pgt_hyp_map(p, 0x0, SZ_4K, 0x0, PGT_PROT_R), -PGT_EINVAL,
            -PGT_EPERM);
    REJECT2(&g, pgt_hyp_unmap(p, 0x40000000, SZ_4K), -PGT_EINVAL,
            -PGT_EPERM);
    REJECT2(&g, pgt_hyp_protect(p, 0x40000000, SZ_4K, PGT_PROT_R),
            -PGT_EINVAL, -PGT_EPERM);
    fx_fini(&g);
}

/* ---------------- stage-1 regimes and VA ranges ---------------- */

#define UPPER48 0xffff000000000000ull

/* A table of @regime (4K, 48-bit VA and PA) with @flags, holding two
 * pages and a 2M block at @base + ... */
static void s1_populated(struct fx *f, enum pgt_regime regime, uint32_t flags,
                         uint64_t base)
{
    fx_s1_(f, regime, 12, 48, 48, 0, flags, 64, ARENA_PA, __FILE__, __LINE__);
    assert_int_equal(pgt_s1_map(&f->pgt, base + 0x1000, 2 * SZ_4K, 0x80001000,
                                PGT_PROT_RW), 0);
    assert_int_equal(pgt_s1_map(&f->pgt, base + 0x200000, SZ_2M, 0x80200000,
                                PGT_PROT_RX), 0);
    tmm_log_clear(&f->m);
}

static void nop_print(void *arg, const char *line)
{
    (void)arg;
    (void)line;
}

/* Every call that takes an address, with one outside the table's VA
 * range: -PGT_ERANGE, nothing changed. */
static void reject_outside(struct fx *f, uint64_t va)
{
    struct pgt *p = &f->pgt;
    pgt_pte_t pte = 0;
    int level = 0, calls = 0;
    struct pgt_walker w = {.cb = count_visit, .arg = &calls,
                           .flags = PGT_WALK_LEAF};

    REJECT(f, pgt_s1_map(p, va, SZ_4K, 0x90000000, PGT_PROT_RW), -PGT_ERANGE);
    REJECT(f, pgt_s1_map_cost(p, va, SZ_4K, 0x90000000, PGT_PROT_RW),
           -PGT_ERANGE);
    REJECT(f, pgt_s1_unmap(p, va, SZ_4K), -PGT_ERANGE);
    REJECT(f, pgt_s1_unmap(p, va, SZ_2M), -PGT_ERANGE);
    REJECT(f, pgt_s1_protect(p, va, SZ_4K, PGT_PROT_R), -PGT_ERANGE);
    REJECT(f, pgt_get_leaf(p, va, &pte, &level), -PGT_ERANGE);
    REJECT(f, pgt_translate(p, va, NULL, NULL), -PGT_ERANGE);
    REJECT(f, pgt_walk(p, va, SZ_4K, &w), -PGT_ERANGE);
    REJECT(f, pgt_dump(p, va, SZ_4K, nop_print, NULL), -PGT_ERANGE);
    assert_int_equal(calls, 0);
}

static void test_s1_address_of_the_other_va_range_is_refused(void **state)
{
    (void)state;
    static const enum pgt_regime two[] = {PGT_REGIME_EL10, PGT_REGIME_EL20};
    for (size_t i = 0; i < 2; i++) {
        struct fx f;
        /* A TTBR1 address in a lower-range table. */
        s1_populated(&f, two[i], 0, 0);
        reject_outside(&f, UPPER48 + 0x1000);
        reject_outside(&f, 0xfffffffffffff000ull);
        reject_outside(&f, VA48);
        fx_fini(&f);
        /* A TTBR0 address in an upper-range table, and the gap between. */
        s1_populated(&f, two[i], PGT_S1_UPPER, UPPER48);
        reject_outside(&f, 0x1000);
        reject_outside(&f, 0x0);
        reject_outside(&f, UPPER48 - SZ_4K);
        reject_outside(&f, 0x8000000000000000ull);
        /* A range crossing into the table from below. */
        REJECT(&f, pgt_s1_map(&f.pgt, UPPER48 - SZ_4K, 2 * SZ_4K, 0x90000000,
                              PGT_PROT_RW), -PGT_ERANGE);
        REJECT(&f, pgt_s1_unmap(&f.pgt, UPPER48 - SZ_4K, 2 * SZ_4K),
               -PGT_ERANGE);
        fx_fini(&f);
    }
}

static void test_s1_prot_the_regime_lacks_is_refused(void **state)
{
    (void)state;
    static const struct {
        enum pgt_regime regime;
        uint32_t prot;
        const char *why;
    } bad[] = {
        {PGT_REGIME_EL3, PGT_PROT_R | PGT_PROT_USER, "EL0 access at EL3"},
        {PGT_REGIME_EL2, PGT_PROT_R | PGT_PROT_USER, "EL0 access at EL2"},
        {PGT_REGIME_EL3, PGT_PROT_R | PGT_PROT_NG, "ASID at EL3"},
        {PGT_REGIME_EL2, PGT_PROT_R | PGT_PROT_NG, "ASID at EL2"},
        {PGT_REGIME_EL2, PGT_PROT_R | PGT_PROT_NS, "NS at EL2"},
        {PGT_REGIME_EL20, PGT_PROT_R | PGT_PROT_NS, "NS at EL2&0"},
        {PGT_REGIME_EL10, PGT_PROT_R | PGT_PROT_NS, "NS at EL1&0"},
        {PGT_REGIME_EL3, PGT_PROT_RWX, "W|X without PGT_S1_ALLOW_WX"},
        {PGT_REGIME_EL20, PGT_PROT_RWX | PGT_PROT_USER, "user W|X"},
        {PGT_REGIME_EL10, PGT_PROT_RX | PGT_PROT_PXN, "PXN at stage 1"},
        {PGT_REGIME_EL3, PGT_PROT_W, "no R"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fx f;
        s1_populated(&f, bad[i].regime, 0, 0);
        struct snap s;
        snap_take(&s, &f.m, &f.pgt);
        int r1 = pgt_s1_map(&f.pgt, 0x10000, SZ_4K, 0x10000,
                            (enum pgt_prot)bad[i].prot);
        int r2 = pgt_s1_protect(&f.pgt, 0x1000, SZ_4K,
                                (enum pgt_prot)bad[i].prot);
        int64_t r3 = pgt_s1_map_cost(&f.pgt, 0x10000, SZ_4K, 0x10000,
                                     (enum pgt_prot)bad[i].prot);
        if (r1 != -PGT_EINVAL || r2 != -PGT_EINVAL || r3 != -PGT_EINVAL) {
            print_error("%s: map %d, protect %d, map_cost %lld\n", bad[i].why,
                        r1, r2, (long long)r3);
            fail();
        }
        snap_check(&s, &f.m, &f.pgt, true);
        snap_free(&s);
        fx_fini(&f);
    }
    /* protect keeps NG: a change is refused, nothing changes. */
    struct fx f;
    s1_populated(&f, PGT_REGIME_EL10, 0, 0);
    REJECT(&f, pgt_s1_protect(&f.pgt, 0x1000, SZ_4K,
                              PGT_PROT_R | PGT_PROT_NG), -PGT_EINVAL);
    fx_fini(&f);
}

static void test_s1_init_rejects_what_the_regime_forbids(void **state)
{
    (void)state;
    static const struct {
        enum pgt_regime regime;
        unsigned va, gs, oa;
        uint32_t flags;
        const char *why;
    } bad[] = {
        {PGT_REGIME_EL3, 48, 12, 48, PGT_S1_UPPER, "EL3 has one VA range"},
        {PGT_REGIME_EL2, 48, 12, 48, PGT_S1_UPPER, "EL2 (E2H=0): one range"},
        {PGT_REGIME_EL3, 48, 12, 48, PGT_S1_ASID16, "EL3 has no ASIDs"},
        {PGT_REGIME_EL2, 39, 12, 48, PGT_S1_ASID16, "EL2 has no ASIDs"},
        {PGT_REGIME_S2, 48, 12, 48, PGT_S1_UPPER, "stage 2"},
        {PGT_REGIME_EL10, 49, 12, 48, PGT_S1_UPPER, "4K 49-bit, no LPA2"},
        {PGT_REGIME_EL20, 52, 14, 48, PGT_S1_UPPER, "16K 52-bit, no LPA2"},
        {PGT_REGIME_EL10, 52, 16, 52, PGT_S1_UPPER | PGT_S1_LPA2,
         "LPA2 with 64K"},
        {PGT_REGIME_EL10, 24, 12, 48, PGT_S1_UPPER, "24-bit VA"},
        {PGT_REGIME_EL20, 48, 12, 48, PGT_GEOM_CONCAT, "concatenation"},
        {PGT_REGIME_EL10, 48, 12, 48, 1u << 9, "unknown flag"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tmm m;
        struct pgt p, before;
        tmm_init(&m, SZ_64K, 4, ARENA_PA);
        memset(&p, 0xab, sizeof(p));
        before = p;
        int ret = pgt_s1_init(&p, bad[i].regime, bad[i].va,
                              (enum pgt_granule)bad[i].gs, bad[i].oa,
                              bad[i].flags, &tmm_ops, NULL);
        if (ret != -PGT_EINVAL) {
            print_error("pgt_s1_init (%s) returned %d\n", bad[i].why, ret);
            fail();
        }
        assert_memory_equal(&p, &before, sizeof(p));
        assert_int_equal(m.allocs, 0);
        tmm_fini(&m);
    }
}

static void test_s1_registers_refuse_what_the_tables_cannot_hold(
    void **state)
{
    (void)state;
    struct fx lo8, hi16, el2, s2, hi2;
    uint64_t v = 0x1234;
    fx_s1_(&lo8, PGT_REGIME_EL10, 12, 48, 48, 0, 0, 4, ARENA_PA, __FILE__,
           __LINE__);
    fx_s1_(&hi16, PGT_REGIME_EL10, 12, 48, 48, 0, PGT_S1_UPPER | PGT_S1_ASID16,
           4, ARENA_PA + 0x100000, __FILE__, __LINE__);
    fx_s1_(&el2, PGT_REGIME_EL2, 12, 48, 48, 0, 0, 4, ARENA_PA + 0x200000,
           __FILE__, __LINE__);
    fx_s1_(&hi2, PGT_REGIME_EL20, 12, 48, 48, 0, PGT_S1_UPPER, 4,
           ARENA_PA + 0x300000, __FILE__, __LINE__);
    fx_s2_(&s2, 12, 40, 40, 1, 0, 0, NULL, 4, ARENA_PA + 0x400000, __FILE__,
           __LINE__);
    /* ASIDs wider than declared, or in a regime without them. */
    assert_int_equal(pgt_s1_ttbr(&lo8.pgt, 0x100, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_ttbr(&hi16.pgt, 0x10000, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_ttbr(&el2.pgt, 1, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_ttbr(&s2.pgt, 0, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_ttbr(NULL, 0, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_ttbr(&lo8.pgt, 0, NULL), -PGT_EINVAL);
    /* Halves that do not make one TCR. */
    struct fx lo4, hi16k;
    fx_s1_(&lo4, PGT_REGIME_EL10, 12, 48, 48, 0, 0, 4, ARENA_PA + 0x500000,
           __FILE__, __LINE__);
    fx_s1_(&hi16k, PGT_REGIME_EL10, 14, 52, 52, 0, PGT_S1_UPPER | PGT_S1_LPA2,
           4, ARENA_PA + 0x600000, __FILE__, __LINE__);
    /* One DS bit: a 4K half without LPA2 cannot pair with an LPA2 half. */
    assert_int_equal(pgt_s1_tcr_pair(&lo4.pgt, &hi16k.pgt, &v), -PGT_EINVAL);
    tmm_use(&lo4.m);
    fx_fini(&lo4);
    tmm_use(&hi16k.m);
    fx_fini(&hi16k);
    assert_int_equal(pgt_s1_tcr_pair(NULL, NULL, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(&lo8.pgt, &hi16.pgt, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(&lo8.pgt, &hi2.pgt, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(&hi16.pgt, NULL, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(NULL, &lo8.pgt, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(&el2.pgt, NULL, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(&s2.pgt, NULL, &v), -PGT_EINVAL);
    assert_int_equal(pgt_s1_tcr_pair(&lo8.pgt, NULL, NULL), -PGT_EINVAL);
    assert_u64(v, 0x1234);
    assert_u64(pgt_s1_tcr(&s2.pgt), 0);
    tmm_use(&lo8.m);
    fx_fini(&lo8);
    tmm_use(&hi16.m);
    fx_fini(&hi16);
    tmm_use(&el2.m);
    fx_fini(&el2);
    tmm_use(&hi2.m);
    fx_fini(&hi2);
    tmm_use(&s2.m);
    fx_fini(&s2);
}

static void test_leaf_attrs_rejects_null_and_unknown_regime(void **state)
{
    (void)state;
    struct pgt_geom g;
    pgt_pte_t a = 0x1234;
    assert_int_equal(pgt_geom_init(&g, PGT_GRANULE_4K, 48, 48, PGT_LEVEL_AUTO,
                                   0), 0);
    assert_int_equal(pgt_leaf_attrs(NULL, PGT_REGIME_S2, 0, PGT_PROT_R, &a),
                     -PGT_EINVAL);
    assert_int_equal(pgt_leaf_attrs(&g, PGT_REGIME_S2, 0, PGT_PROT_R, NULL),
                     -PGT_EINVAL);
    assert_int_equal(pgt_leaf_attrs(&g, (enum pgt_regime)5, 0, PGT_PROT_R,
                                    &a),
                     -PGT_EINVAL);
    assert_u64(a, 0x1234);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_s2_map_rejects_bad_input_without_changing_anything),
        cmocka_unit_test(test_s2_map_with_xnx_rejects_pxn_without_x),
        cmocka_unit_test(test_s2_host_map_rejects_non_identity),
        cmocka_unit_test(
            test_s2_unmap_rejects_bad_input_without_changing_anything),
        cmocka_unit_test(
            test_s2_set_owner_rejects_bad_input_without_changing_anything),
        cmocka_unit_test(
            test_s2_relax_perms_rejects_bad_input_without_changing_anything),
        cmocka_unit_test(test_s2_wrprotect_young_and_split_reject_bad_ranges),
        cmocka_unit_test(test_walk_get_leaf_and_translate_reject_bad_input),
        cmocka_unit_test(test_walk_rejects_unaligned_empty_and_out_of_range),
        cmocka_unit_test(test_s2_init_rejects_bad_configurations),
        cmocka_unit_test(
            test_hyp_map_rejects_bad_input_without_changing_anything),
        cmocka_unit_test(test_hyp_unmap_and_protect_reject_bad_input),
        cmocka_unit_test(test_s1_init_rejects_bad_arguments),
        cmocka_unit_test(
            test_stage2_calls_on_stage1_table_and_back_are_rejected),
        cmocka_unit_test(test_leaf_attrs_rejects_null_and_unknown_regime),
        cmocka_unit_test(test_s1_address_of_the_other_va_range_is_refused),
        cmocka_unit_test(test_s1_prot_the_regime_lacks_is_refused),
        cmocka_unit_test(test_s1_init_rejects_what_the_regime_forbids),
        cmocka_unit_test(
            test_s1_registers_refuse_what_the_tables_cannot_hold),
    };
    return cmocka_run_group_tests_name("core_bad_input", tests, NULL, NULL);
}
