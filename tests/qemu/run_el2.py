#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boot an EL2 image under qemu-system-aarch64 and check what it prints.

    run_el2.py IMAGE [--profile hyp|lpa2] [--cpu CPU] [--qemu BIN]
               [--timeout S] [--show] [--expect REGEX]...

The image is entered at EL2 (-M virt,virtualization=on) and ends the run
through semihosting SYS_EXIT (-semihosting), so QEMU's exit status is the
image's verdict. The run passes when QEMU exits 0 within the timeout, every
expected line appears in order, and no line reports a failure.

Profiles: 'hyp' checks every step of pgt-hyp's boot and of its EL1 host's
proofs (examples/el2/README.md), and decodes the first refused access's
ESR_EL2/FAR_EL2/HPFAR_EL2 against the Arm ARM; 'lpa2' checks the 52-bit
output-address test; 'crash' expects pgt-hyp built with
-DPGT_HYP_CRASH_TEST to have its EL2 vectors report an unexpected data
abort (ESR/FAR decoded) and stop with status 1; 'unprotected' passes only if the 'hyp' checks
fail on a pgt-hyp built without the ownership annotation, because the
host's read of hypervisor memory was not refused. --show prints the console as it comes (the demo).
"""
import argparse
import os
import re
import subprocess
import sys
import threading
import time

HEX = r'0x[0-9a-f]+'

# pgt-hyp: (regex, what it proves), in the order they must appear.
HYP_STEPS = [
    (r'^\[boot\] pgt-hyp entered at EL2\b', 'entered at EL2'),
    (r'^\[boot\] nVHE: HCR_EL2=0x80080000 SCTLR_EL2=0x30c50830 \(MMU off\) '
     r'VBAR_EL2=0x402[0-9a-f]{5}$', 'nVHE HCR_EL2, SCTLR_EL2 MMU off, vectors'),
    (r'^\[dtb\] memory: 0x40000000-RAM_END \(RAM_MIB MiB\)$',
     'RAM from the DTB'),
    (r'^\[reserve\] vmemmap \d+ \+ hyp stage-1 \d+ \+ host stage-2 \d+ pages',
     'carve-out sized by the reservation functions'),
    (r'^\[reserve\] carve-out ' + HEX + '-RAM_END; image 0x40200000-',
     'carve-out at the top of RAM'),
    (r'^\[early\] divide_memory_pool: vmemmap ' + HEX + ', stage-1 ' + HEX +
     ', stage-2 ' + HEX + '; early allocator over ', 'early allocator'),
    (r'^\[s1\] hyp stage 1: 4K granule, 39-bit VA, start level 1',
     'hyp stage 1 created'),
    (r'^\[s1\]   text +0x40200000-' + HEX + ' R-X$', 'text RX'),
    (r'^\[s1\]   idmap +' + HEX + '-' + HEX + ' R-X$', 'switch page idmap'),
    (r'^\[s1\]   rodata +' + HEX + '-' + HEX + ' R-- XN$', 'rodata R'),
    (r'^\[s1\]   data +' + HEX + '-' + HEX + ' RW- XN$', 'data RW XN'),
    (r'^\[s1\]   stack +' + HEX + '-' + HEX + ' RW- XN$', 'stack RW XN'),
    (r'^\[s1\]   carveout +' + HEX + '-RAM_END RW- XN$', 'carve-out RW XN'),
    (r'^\[s1\]   uart +0x9000000-0x9001000 RW device XN$', 'UART device'),
    (r'^\[switch\] TTBR0_EL2=' + HEX + ' TCR_EL2=' + HEX +
     ' MAIR_EL2=0x4404ff', 'TTBR0/TCR/MAIR_EL2'),
    (r'^\[switch\] MMU on: SCTLR_EL2=0x30cd183d, running on the hyp stack',
     'MMU on, new stack'),
    (r'^\[s1\] checked by AT S1E2R/W and fetches: .*: as built$',
     'hyp stage 1 permissions checked by the CPU'),
    (r'^\[pool\] vmemmap backed: \d+ pages at hyp VA 0x4000000000 ',
     'vmemmap backed'),
    (r'^\[pool\] hyp_pool over ' + HEX + '-' + HEX + r': (\d+) early pages '
     r'reserved, \d+ free; hand-over: \1 table pages counted \(root count '
     r'ROOT_COUNT\)$',
     'hyp_pool, hand-over'),
    (r'^\[pool\] host stage-2 pool over ', 'host stage-2 pool'),
    (r'^\[s2\] host stage 2 from VTCR 0x80023558: 40-bit IPA, start level 1, '
     r'2 root pages; library\'s VTCR 0x80023558$', 'host stage 2 geometry'),
    (r'^\[s2\] owner 1 \(hyp\): 0x40200000-' + HEX + ' and ' + HEX +
     '-RAM_END$', 'hypervisor memory owned by the hypervisor'),
    (r'^\[s2\] VTCR_EL2=0x80023558 VTTBR_EL2=' + HEX + ' HCR_EL2=0x80081001 ',
     'VTCR/VTTBR/HCR.VM programmed'),
    (r'^\[host\] eret to the EL1 host at 0x41000000 \(\d+ ms since reset\)$',
     'eret to EL1'),
    (r'^host: \[ok\] host runs at EL1$', 'host at EL1'),
    (r'^host: \[ok\] host reads the DTB$', 'host reads the DTB'),
    (r'^host: \[ok\] host RAM reads and writes work$', 'host RAM works'),
    (r'^host: host stage-2 faults during the sweep: (\d+) \(expected \1: ',
     'fault count printed'),
    (r'^host: \[ok\] host stage 2 filled lazily with the largest blocks',
     'lazy idmap with largest blocks'),
    (r'^hyp: host read at IPA 0x40200000 refused \(not the host\'s memory\): '
     r'ESR_EL2=(' + HEX + ') FAR_EL2=(' + HEX + ') HPFAR_EL2=(' + HEX + ')$',
     'hypervisor reports ESR/FAR/HPFAR'),
    (r'^host: \[ok\] every hypervisor page faults at stage 2 on read$',
     'every hyp page refused'),
    (r'^host: \[ok\] writes to hypervisor data and carve-out refused$',
     'writes refused'),
    (r'^host: \[ok\] instruction fetch from hypervisor text refused$',
     'exec refused'),
    (r'^host: \[ok\] hypervisor\'s refusal count matches$', 'refusal count'),
    (r'^hyp: share ' + HEX + r': host keeps it \(SHARED_OWNED\), hyp maps it '
     r'\(SHARED_BORROWED, [1-9]\d* table pages from the pool\)', 'share'),
    (r'^host: \[ok\] share: hypervisor reads the host\'s data$', 'share read'),
    (r'^host: \[ok\] share: host reads the hypervisor\'s write$', 'share write'),
    (r'^host: \[ok\] share: host still writes its page$', 'share host access'),
    (r'^host: \[ok\] share: page mapped in the hypervisor\'s stage 1$',
     'share hyp mapping'),
    (r'^host: \[ok\] share of a hypervisor page refused', 'bad share refused'),
    (r'^hyp: unshare ' + HEX + r': hyp stage-1 mapping gone \(walk and AT '
     r'S1E2R\); hyp pool (\d+) free pages, \1 before the share$',
     'unshare (hyp): mapping and table pages gone'),
    (r'^host: \[ok\] unshare: hypervisor\'s stage-1 mapping gone$', 'unshare'),
    (r'^host: \[ok\] unshare of a page not shared refused', 'bad unshare'),
    (r'^host: \[ok\] unshare: host keeps its page$', 'unshare host access'),
    (r'^hyp: donate ' + HEX + ': host stage 2 owner 1', 'donate (hyp)'),
    (r'^host: \[ok\] donate: page mapped in the hypervisor\'s stage 1$',
     'donate hyp mapping'),
    (r'^host: \[ok\] donate: host access to the donated page refused$',
     'donated page refused'),
    (r'^host: \[ok\] share of a donated page refused', 'bad share refused'),
    (r'^host: all checks passed \(0 failures\), powering off$', 'host verdict'),
    (r'^pgt-hyp: PASS$', 'hypervisor verdict'),
]

LPA2_STEPS = [
    (r'^\[lpa2\] 52-bit output addresses on qemu: ', 'test started'),
] + [
    (r'^\[lpa2\] stage %s %s: start level %s.*: 20 ATs match$'
     % (stage, name, level), '%s stage %s' % (name, stage))
    for name, s1, s2 in [(r'4K\+LPA2 52-bit VA/IPA', '-1', '-1 x1'),
                         (r'4K\+LPA2 52-bit VA/IPA', '-1', '0 x16'),
                         (r'16K\+LPA2 48-bit VA/IPA', '0', '1 x2'),
                         (r'64K\+LPA 52-bit VA/IPA', '1', '1 x1')]
    for stage, level in [('1', s1), ('2', s2), ('1 EL2', s1)]
] + [
    (r'^lpa2: PASS \(\d+ translations checked\)$', 'verdict'),
]

# A pgt-hyp built with -DPGT_HYP_CRASH_TEST reads its stack's guard page
# after the switch: the EL2 vectors must report it and stop with status 1.
CRASH_STEPS = HYP_STEPS[:HYP_STEPS.index(next(
    s for s in HYP_STEPS if s[1] == 'hyp stage 1 permissions checked by the '
    'CPU')) + 1] + [
    (r'^\[crash-test\] reading the hyp stack\'s guard page (' + HEX + ')$',
     'crash test starts'),
    (r'^EL2: UNEXPECTED EXCEPTION: sync from current EL with SPx$',
     'vectors report the exception'),
    (r'^  ESR_EL2=(' + HEX + r') \(EC 0x25\) ELR_EL2=' + HEX +
     ' FAR_EL2=(' + HEX + ')$', 'ESR/ELR/FAR reported'),
    (r'^EL2: stopping \(exit 1\)$', 'stopped'),
]

FAIL_PATTERNS = [r'\[FAIL\]', r'UNEXPECTED', r'PANIC', r'\bFAIL\b']


def check_refusal(m):
    """The first refused access is the host's read of the hypervisor's
    first page (0x40200000): decode the registers by the Arm ARM."""
    esr, far, hpfar = (int(x, 16) for x in m.groups())
    errors = []
    ec = esr >> 26
    if ec != 0x24:
        errors.append('ESR_EL2.EC 0x%x is not 0x24 (data abort from a lower '
                      'EL)' % ec)
    if esr & (1 << 6):
        errors.append('ESR_EL2.WnR set for a read')
    fsc = esr & 0x3f
    if fsc != 0x07:
        errors.append('ESR_EL2.DFSC 0x%x is not 0x07 (translation fault, '
                      'level 3: the owner annotation is page granular)' % fsc)
    if far != 0x40200000:
        errors.append('FAR_EL2 0x%x is not 0x40200000' % far)
    if hpfar != 0x40200000 >> 8:
        errors.append('HPFAR_EL2 0x%x is not 0x402000 (FIPA = IPA[47:12] '
                      'in bits [43:4])' % hpfar)
    return errors


def parse_mem(text):
    """QEMU's -m size ('128M', '3G', '512') in bytes."""
    units = {'K': 10, 'M': 20, 'G': 30, 'T': 40}
    if text[-1].upper() in units:
        return int(text[:-1]) << units[text[-1].upper()]
    return int(text) << 20


def check_crash(m, guard):
    """The guard-page read at EL2: a data abort from the current EL,
    translation fault at level 3, FAR = the guard page."""
    esr, far = (int(x, 16) for x in m.groups())
    errors = []
    if esr >> 26 != 0x25:
        errors.append('ESR_EL2.EC 0x%x is not 0x25' % (esr >> 26))
    if esr & 0x3f != 0x07:
        errors.append('ESR_EL2.DFSC 0x%x is not 0x07 (translation fault, '
                      'level 3)' % (esr & 0x3f))
    if far != guard:
        errors.append('FAR_EL2 0x%x is not the guard page 0x%x'
                      % (far, guard or 0))
    return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('image')
    ap.add_argument('--profile', choices=['hyp', 'unprotected', 'crash',
                                          'lpa2', 'none'],
                    default='hyp')
    ap.add_argument('--qemu', default='qemu-system-aarch64')
    ap.add_argument('--cpu', default=None)
    ap.add_argument('--mem', default='128M')
    ap.add_argument('--timeout', type=float, default=10.0)
    ap.add_argument('--show', action='store_true',
                    help='print the console as it comes')
    ap.add_argument('--expect', action='append', default=[],
                    help='another regex that must appear (after the '
                    "profile's)")
    args = ap.parse_args()

    cpu = args.cpu or ('max' if args.profile == 'lpa2' else 'cortex-a72')
    steps = {'hyp': HYP_STEPS, 'unprotected': HYP_STEPS, 'crash': CRASH_STEPS,
             'lpa2': LPA2_STEPS, 'none': []}[args.profile]
    steps = steps + [(e, e) for e in args.expect]
    # QEMU virt: RAM from 0x40000000, -m bytes of it, one memory node.
    mib = parse_mem(args.mem) >> 20
    ram_end = 0x40000000 + (mib << 20)
    # The hyp stage-1 root (4K, 39-bit VA: 1 GiB per entry) holds the UART's
    # entry (0), the image's (1), the carve-out's (top of RAM) and the
    # vmemmap's (VA 0x40_0000_0000: 256); its count is 1 + those entries.
    root_count = 1 + len({0, 1, (ram_end - 1) >> 30, 256})
    steps = [(rx.replace('RAM_END', '0x%x' % ram_end)
              .replace('RAM_MIB', str(mib))
              .replace('ROOT_COUNT', str(root_count)), what)
             for rx, what in steps]
    cmd = [args.qemu, '-M', 'virt,virtualization=on', '-cpu', cpu,
           '-m', args.mem, '-display', 'none', '-serial', 'stdio',
           '-monitor', 'none', '-nic', 'none', '-no-reboot', '-semihosting',
           '-kernel', args.image]
    if not os.path.exists(args.image):
        print('run_el2: no image %s (build it first)' % args.image)
        return 1

    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timed_out = threading.Event()

    def watchdog():
        timed_out.set()
        proc.kill()

    timer = threading.Timer(args.timeout, watchdog)
    timer.start()
    lines = []
    try:
        for raw in proc.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\r\n')
            lines.append(line)
            if args.show:
                print(line, flush=True)
        proc.wait()
    finally:
        timer.cancel()
    elapsed = time.monotonic() - t0

    errors = []
    if timed_out.is_set():
        errors.append('timed out after %.1f s' % args.timeout)
    elif args.profile == 'crash':
        if proc.returncode != 1:
            errors.append('QEMU exit status %d, not 1' % proc.returncode)
    elif proc.returncode != 0:
        errors.append('QEMU exit status %d (semihosting verdict), not 0'
                      % proc.returncode)
    pos = 0
    guard = None
    for rx, what in steps:
        r = re.compile(rx)
        for i in range(pos, len(lines)):
            m = r.search(lines[i])
            if m:
                pos = i + 1
                if what == 'hypervisor reports ESR/FAR/HPFAR':
                    errors += check_refusal(m)
                elif what == 'crash test starts':
                    guard = int(m.group(1), 16)
                elif what == 'ESR/ELR/FAR reported':
                    errors += check_crash(m, guard)
                break
        else:
            errors.append('missing step (%s): /%s/' % (what, rx))
    for line in lines:
        if args.profile == 'crash' and re.search('UNEXPECTED', line):
            continue
        if any(re.search(p, line) for p in FAIL_PATTERNS):
            errors.append('failure reported: %s' % line)

    if args.profile == 'unprotected':
        # A hypervisor built without the ownership annotation: the hyp
        # profile's checks must catch it, by the host's own probe.
        caught = ('failure reported: host: [FAIL] every hypervisor page '
                  'faults at stage 2 on read')
        if proc.returncode != 0 and caught in errors:
            print('run_el2: unprotected build caught as expected:')
            for e in errors:
                print('run_el2:   ' + e)
            errors = []
        else:
            errors = ['unprotected build NOT caught (exit %s)'
                      % proc.returncode] + errors
    if errors and not args.show:
        print('\n'.join(lines))
    print('run_el2: %s in %.2f s (%d console lines, %d steps checked)'
          % ('FAIL' if errors else 'PASS', elapsed, len(lines), len(steps)))
    for e in errors:
        print('run_el2: ' + e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
