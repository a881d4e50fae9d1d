// SPDX-License-Identifier: MIT
/*
 * Which CPU pgt-bench runs on. The whole run stays on one CPU, so that the
 * rows it compares (shapes against each other, a row against its floor)
 * see the same core. On a virtual machine the vCPUs can differ by far
 * more than the effects measured: one whose host core is shared with
 * other work runs the same loop up to twice as slowly. --cpu auto (the
 * default) therefore times a short fixed loop on every CPU the process
 * may use and keeps the fastest; --cpu N picks one; --cpu none leaves
 * placement to the scheduler, as before.
 */
#include "bench.h"
#include "call_floor.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAL_CALLS 65536u /* calls per calibration sample */
#define CAL_SAMPLES 15   /* samples per CPU; the median is kept */

static volatile uint64_t cal_sink;

static bool pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0;
}

/* Median ns per call of Ge's call loop on the CPU the process is on. */
static double calibrate(void)
{
    const uint64_t gran = 1ull << 12, size = CAL_CALLS * gran;
    struct call_floor cf;
    double s[CAL_SAMPLES];
    uint64_t acc = 0;

    call_floor_init(&cf, size, gran, 0x403);
    for (int k = 0; k < CAL_SAMPLES; k++) {
        uint64_t t0 = now_ns();
        acc += bench_call_floor_loop(&cf, size, gran);
        s[k] = (double)(now_ns() - t0);
    }
    cal_sink = acc;
    return bench_median(s, CAL_SAMPLES) / CAL_CALLS;
}

int bench_pin(const char *spec)
{
    cpu_set_t allowed;

    bopt.cpu = -1;
    bopt.ncal = 0;
    if (!strcmp(spec, "none"))
        return 0;
    bool automatic = !strcmp(spec, "auto");
    if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
        if (automatic) /* a sandbox may refuse: run unpinned */
            return 0;
        perror("pgt-bench: sched_getaffinity");
        return -1;
    }
    if (!automatic) {
        char *end;
        long cpu = strtol(spec, &end, 10);
        if (*end || cpu < 0 || cpu >= CPU_SETSIZE ||
            !CPU_ISSET((int)cpu, &allowed) || !pin_to((int)cpu)) {
            fprintf(stderr, "pgt-bench: cannot run on CPU '%s'\n", spec);
            return -1;
        }
        bopt.cpu = (int)cpu;
        bopt.cal_cpu[0] = bopt.cpu;
        bopt.cal_ns[0] = calibrate();
        bopt.ncal = 1;
        return 0;
    }
    double best = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && bopt.ncal < BENCH_MAX_CPUS; cpu++) {
        if (!CPU_ISSET(cpu, &allowed) || !pin_to(cpu))
            continue;
        double ns = calibrate();
        bopt.cal_cpu[bopt.ncal] = cpu;
        bopt.cal_ns[bopt.ncal++] = ns;
        if (bopt.cpu < 0 || ns < best) {
            best = ns;
            bopt.cpu = cpu;
        }
    }
    /* No CPU would take the process (a sandbox may refuse): unpinned. */
    if (bopt.cpu >= 0 && !pin_to(bopt.cpu))
        bopt.cpu = -1;
    if (bopt.cpu < 0)
        sched_setaffinity(0, sizeof(allowed), &allowed);
    return 0;
}

void bench_pin_recheck(void)
{
    bopt.end_ns = bopt.cpu >= 0 ? calibrate() : 0;
}

/* The chosen CPU's call loop at the start of the run. */
static double start_ns(void)
{
    for (int i = 0; i < bopt.ncal; i++)
        if (bopt.cal_cpu[i] == bopt.cpu)
            return bopt.cal_ns[i];
    return 0;
}

void bench_pin_print(FILE *f)
{
    if (bopt.cpu < 0) {
        fprintf(f, "CPU: not pinned (%s)\n",
                bopt.cpu_spec && !strcmp(bopt.cpu_spec, "none")
                    ? "--cpu none"
                    : "no CPU would take the process");
        return;
    }
    fprintf(f, "CPU: %d for the whole run", bopt.cpu);
    if (bopt.ncal) {
        fprintf(f, bopt.ncal > 1 ? ", the fastest at a call loop (ns per call:"
                                 : ", its call loop (ns per call:");
        for (int i = 0; i < bopt.ncal; i++)
            fprintf(f, "%s CPU %d %.2f", i ? "," : "", bopt.cal_cpu[i],
                    bopt.cal_ns[i]);
        fprintf(f, ")");
    }
    double t0 = start_ns();
    if (t0 > 0 && bopt.end_ns > 0) {
        fprintf(f, "; at the end %.2f", bopt.end_ns);
        if (bopt.end_ns > 1.1 * t0)
            fprintf(f, ": slower than at the start, the core was busier for "
                       "part of the run; compare its rows with care");
    }
    fprintf(f, "\n");
}
