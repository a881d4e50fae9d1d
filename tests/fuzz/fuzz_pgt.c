// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the property-test interpreter (tests/prop/pgt/interp.h)
 * driven by the input bytes. Built once per granule (FUZZ_GRANULE = 12, 14
 * or 16). Byte 0 picks the stage (stage 2, host stage 2, stage-1 EL2)
 * and, for a stage-2 root of several concatenated pages (4K, 64K), whether
 * the operations go across the boundary between its last two pages;
 * every later choice (operation, range, output address, prot, OOM
 * injection point) is read from the following bytes. Any disagreement
 * with the reference model, the TLB model or an invariant abort()s, which
 * libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>

#include "interp.h"
#include "test_mm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t arena_pages[] = {[12] = 256, [14] = 64, [16] = 16};
    /* One arena for every input (1 MiB: runs out on purpose): a fresh one
     * per input cost more than the input itself (page faults). */
    static struct tmm arena;
    if (size < 2)
        return 0;
    struct pi_cfg cfg = {0};
    cfg.granule = (enum pgt_granule)FUZZ_GRANULE;
    cfg.mode = (enum pi_mode)(data[0] % 3);
    cfg.root_cross = (data[0] / 3) & 1;
    cfg.bytes = data + 1;
    cfg.nbytes = size - 1;
    cfg.arena_pages = arena_pages[cfg.granule];
    if (!arena.base)
        tmm_init(&arena, (size_t)1 << cfg.granule, cfg.arena_pages, PI_ARENA_PA);
    cfg.arena = &arena;
    cfg.full_every = 32; /* and at the end: the final check always runs */
    struct pi_stats st;
    /* Short runs: more inputs per second (a 64K operation reads 8192-entry
     * pages, several times over with its checks). */
    pi_run(&cfg, FUZZ_GRANULE == 16 ? 24 : 48, &st);
    return 0;
}
