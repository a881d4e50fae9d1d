#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the sample console output in examples/el2/README.md from a
real boot, instead of pasting it.

    scripts/el2-readme-sample.py [IMAGE] [--readme PATH]

Boots IMAGE (default: the clang cross build's pgt-hyp.elf, built by
`scripts/bootstrap.sh test` or `demo`) with tests/qemu/run_el2.py, the
way the README's heading says (-cpu cortex-a72 -m 128M), and replaces the
fenced block under that heading with the console output. The README is
left alone unless run_el2.py passes the run.
"""
import argparse
import os
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING = '## What it prints (`-cpu cortex-a72 -m 128M`)'
MARK = ('<!-- generated from a real boot by scripts/el2-readme-sample.py: '
        'rerun it, do not edit -->')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('image', nargs='?', default=os.path.join(
        TOP, 'build-aarch64-clang', 'examples', 'el2', 'pgt-hyp.elf'))
    ap.add_argument('--readme', default=os.path.join(TOP, 'examples', 'el2',
                                                     'README.md'))
    a = ap.parse_args()

    run = subprocess.run([sys.executable, os.path.join(TOP, 'tests', 'qemu',
                                                       'run_el2.py'),
                          a.image, '--show', '--cpu', 'cortex-a72',
                          '--mem', '128M', '--timeout', '60'],
                         capture_output=True, text=True)
    lines = run.stdout.rstrip('\n').split('\n')
    verdict = [l for l in lines if l.startswith('run_el2: ')]
    if run.returncode != 0 or not verdict or not verdict[0].startswith('run_el2: PASS'):
        sys.stdout.write(run.stdout)
        print('el2-readme-sample: the boot did not pass; README unchanged')
        return 1
    console = [l for l in lines if not l.startswith('run_el2: ')]
    while console and not console[0].strip():
        console.pop(0)
    while console and not console[-1].strip():
        console.pop()

    text = open(a.readme, encoding='utf-8').read().split('\n')
    try:
        h = text.index(HEADING)
    except ValueError:
        print('el2-readme-sample: no heading %r in %s' % (HEADING, a.readme))
        return 1
    start = h + 1
    while text[start] != '```':
        start += 1
    end = start + 1
    while text[end] != '```':
        end += 1
    new = text[:h + 1] + ['', MARK, ''] + ['```'] + console + ['```'] + text[end + 1:]
    open(a.readme, 'w', encoding='utf-8').write('\n'.join(new))
    print('el2-readme-sample: %s: %d console lines from %s (%s)'
          % (os.path.relpath(a.readme, TOP), len(console),
             os.path.relpath(a.image, TOP), verdict[0][len('run_el2: '):]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
