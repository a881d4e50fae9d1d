// SPDX-License-Identifier: MIT
/*
 * The vmemmap: setup, the panic path, the portable page-zeroing routine and
 * the atomic reference-count helpers. The plain helpers are inline in
 * hyp_page.h.
 */
#include "pgtable/hyp_page.h"

#include "clear_pages.h"

int hyp_vmemmap_init(struct hyp_vmemmap *vm, struct hyp_page *pages,
                     uint64_t first_pfn, uint64_t nr_pages,
                     unsigned int granule_shift, uint64_t physvirt_offset)
{
    if (!vm || !pages || nr_pages == 0)
        return -PGT_EINVAL;
    if (granule_shift != 12 && granule_shift != 14 && granule_shift != 16)
        return -PGT_EINVAL;
    /* Every PFN in range must give a representable physical address. */
    if (first_pfn + nr_pages < first_pfn ||
        first_pfn + nr_pages > (1ull << (64 - granule_shift)))
        return -PGT_EINVAL;

    vm->pages = pages;
    vm->first_pfn = first_pfn;
    vm->nr_pages = nr_pages;
    vm->granule_shift = (uint8_t)granule_shift;
    vm->physvirt_offset = physvirt_offset;
    vm->panic = NULL;
    vm->clear_pages = NULL;
    return 0;
}

void hyp_vmemmap_panic(const struct hyp_vmemmap *vm, enum hyp_page_panic why,
                       uint64_t pfn)
{
    if (vm && vm->panic) {
        vm->panic(why, pfn);
        return;
    }
    __builtin_trap();
}

/* The portable default behind hyp_vmemmap.clear_pages: clear_pages.h. */
void hyp_clear_pages(void *addr, size_t size)
{
    pgt_clear_pages_inline(addr, size);
}

/*
 * The atomic forms work on the same 16-bit field with compare-and-swap, so
 * a count at the limit is never incremented and 0 never decremented, even
 * when several CPUs race.
 */
void hyp_page_ref_inc_atomic(const struct hyp_vmemmap *vm, struct hyp_page *p)
{
    uint16_t old = __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);

    do {
        if (old == HYP_PAGE_REFCOUNT_MAX) {
            hyp_vmemmap_panic(vm, HYP_PANIC_REF_OVERFLOW, hyp_page_to_pfn(vm, p));
            return;
        }
    } while (!__atomic_compare_exchange_n(&p->refcount, &old, (uint16_t)(old + 1),
                                          true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

bool hyp_page_ref_dec_and_test_atomic(const struct hyp_vmemmap *vm, struct hyp_page *p)
{
    uint16_t old = __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);

    do {
        if (old == 0) {
            hyp_vmemmap_panic(vm, HYP_PANIC_REF_UNDERFLOW, hyp_page_to_pfn(vm, p));
            return false;
        }
        /* Release: our writes to the page happen before whoever frees it;
         * acquire: the one who frees it sees every other holder's writes. */
    } while (!__atomic_compare_exchange_n(&p->refcount, &old, (uint16_t)(old - 1),
                                          true, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
    return old == 1;
}

unsigned int hyp_page_count_atomic(const struct hyp_page *p)
{
    if (__atomic_load_n(&p->flags, __ATOMIC_RELAXED) & HYP_PAGE_FREE)
        return 0;
    return __atomic_load_n(&p->refcount, __ATOMIC_RELAXED);
}
