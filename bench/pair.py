#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compare two pgt-bench binaries paired: run them alternately, so that
both see the same machine noise, and print new time over old per row.

usage: pair.py OLD NEW [--rounds N] [--changed] [--cpu N]
               [-- pgt-bench arguments...]

Round r runs OLD then NEW when r is even, NEW then OLD when it is odd,
each as its own process with --json. Per (id, shape) it prints the best
of the rounds' best times and the median of their medians, for each
binary, and NEW over OLD for both. Rows only one binary has are left out;
with --changed, so are the rows whose two ratios are both within 3% of 1.
With --cpu N both binaries run on CPU N only (taskset), so that a binary
from before pgt-bench pinned itself (--cpu) sees the same core as the other.

Build the old binary from a worktree of the commit to compare with:
  git worktree add --detach /tmp/old REV
  meson setup /tmp/old/build-bench -Doptimization=2 -Ddebug=false \\
      -Db_ndebug=true    (from /tmp/old)
  ninja -C /tmp/old/build-bench bench/pgt-bench
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def run_once(binary, args, cpu):
    fd, path = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    pin = ["taskset", "-c", cpu] if cpu is not None else []
    try:
        subprocess.run(pin + [binary, "--json", path] + args, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(path) as f:
            data = json.load(f)
    finally:
        os.unlink(path)
    rows = data["results"] if isinstance(data, dict) else data
    out = {}
    for row in rows:
        if not row.get("ran", True) or not row.get("median_ns"):
            continue
        out[(row["id"], row.get("shape", "-"))] = (row["best_ns"],
                                                   row["median_ns"])
    return out


def main(argv):
    if "--" in argv:
        cut = argv.index("--")
        own, bench_args = argv[:cut], argv[cut + 1:]
    else:
        own, bench_args = argv, []
    rounds, changed_only, cpu, bins = 6, False, None, []
    i = 0
    while i < len(own):
        if own[i] == "--rounds" and i + 1 < len(own):
            rounds = int(own[i + 1])
            i += 2
            continue
        if own[i] == "--cpu" and i + 1 < len(own):
            cpu = own[i + 1]
            i += 2
            continue
        if own[i] == "--changed":
            changed_only = True
        else:
            bins.append(own[i])
        i += 1
    if len(bins) != 2 or rounds < 1:
        sys.stderr.write(__doc__)
        return 2
    old, new = bins
    seen = {"old": {}, "new": {}}
    for r in range(rounds):
        order = [("old", old), ("new", new)]
        if r % 2:
            order.reverse()
        for tag, binary in order:
            for key, val in run_once(binary, bench_args, cpu).items():
                seen[tag].setdefault(key, []).append(val)
        sys.stderr.write("round %d/%d done\n" % (r + 1, rounds))
    keys = sorted(set(seen["old"]) & set(seen["new"]),
                  key=lambda k: (k[1], k[0]))
    print("%-8s %-7s %9s %9s %6s   %9s %9s %6s" %
          ("id", "shape", "old best", "new best", "ratio", "old med",
           "new med", "ratio"))
    for k in keys:
        ob = min(b for b, _ in seen["old"][k])
        nb = min(b for b, _ in seen["new"][k])
        om = statistics.median(m for _, m in seen["old"][k])
        nm = statistics.median(m for _, m in seen["new"][k])
        rb, rm = nb / ob, nm / om
        if changed_only and abs(rb - 1) < 0.03 and abs(rm - 1) < 0.03:
            continue
        print("%-8s %-7s %9.2f %9.2f %6.2f   %9.2f %9.2f %6.2f" %
              (k[0], k[1], ob, nb, rb, om, nm, rm))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
