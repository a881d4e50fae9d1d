#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turn pgt-bench's JSON into a PNG bar chart.

usage: plot.py bench.json bench.png
       plot.py --markdown bench.json     (the README's figures table)

One bar per scenario and shape (median ns per unit, log scale; a tick
marks the best run), grouped by scenario; a line shows each absolute
target (ns) and, for ratio targets, the bound computed from the floor
measured in the same run or from the Linux figure (a grey dot). The 40-bit
granule rows, the one-page scenarios across stage-2 shapes (with their
no-hints "-nh" rows) and the allocator each get a panel.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SHAPE_COLOURS = {"4K/40": "#4477aa", "16K/40": "#66ccee", "64K/40": "#228833",
                 "4K/48": "#ccbb44", "4K/36": "#ee6677", "16K/47": "#aa3377",
                 "64K/42": "#44aa99", "-": "#aa3377"}
BULK_SHAPES = ["4K/40", "16K/40", "64K/40"]
ONEPAGE_SHAPES = ["4K/40", "4K/48", "4K/36", "16K/47", "64K/42"]
TABLE_ORDER = ["G", "a", "a2", "b", "c", "c2", "Gd", "d", "Gd2", "d2", "e", "f",
               "f2", "wp", "wp-nr", "dl", "dl-old", "dl-hw", "a-hp", "c-hp", "d-hp",
               "d2-hp"]
SHAPE_ORDER = ["a2", "a2-nh", "c2", "c2-nh", "Gd", "d", "d-nh", "Gd2", "d2",
               "d2-nh", "e", "e-nh"]
ONEPAGE_IDS = set(SHAPE_ORDER)


def shape_of(res):
    """Shape of a row ("4K/40"); older JSON has only the granule."""
    if "shape" in res:
        return res["shape"]
    g = res["granule"]
    return g if g == "-" else g + "/40"
ALLOC_ORDER = ["Z", "Zl", "h", "hm", "i", "im", "k1", "k2", "l", "j"]


def bound(res, by_key):
    """Absolute ns bound implied by the result's targets (tightest)."""
    out = None
    for t in res.get("targets", []):
        v = None
        if t["kind"] == "ns":
            v = t["value"]
        elif t["kind"] == "xlinux" and res.get("linux_ns"):
            v = res["linux_ns"] / t["value"]
        elif t["kind"] in ("xG", "xGd", "xZ", "xref"):
            ref = {"xG": ("G", shape_of(res)), "xGd": ("Gd", shape_of(res)),
                   "xZ": ("Z", "-"),
                   "xref": (t.get("ref"), shape_of(res))}[t["kind"]]
            r = by_key.get(ref)
            if r and r.get("ran"):
                v = t["value"] * r["median_ns"]
        if v is not None:
            out = v if out is None else min(out, v)
    return out


def panel(ax, results, order, shapes, by_key, title):
    ids = [i for i in order if any(r["id"] == i for r in results)]
    ids += sorted({r["id"] for r in results} - set(ids))
    grans = [g for g in shapes if any(shape_of(r) == g for r in results)]
    width = 0.8 / max(1, len(grans))
    labelled = set()
    for xi, sid in enumerate(ids):
        for gi, g in enumerate(grans):
            r = by_key.get((sid, g))
            if r and r not in results:
                continue
            if not r:
                continue
            x = xi - 0.4 + width * (gi + 0.5)
            if not r.get("ran"):
                ax.text(x, 1, "n/a", ha="center", va="bottom", fontsize=6,
                        rotation=90, color="grey")
                continue
            lab = g if g not in labelled else None
            labelled.add(g)
            ax.bar(x, r["median_ns"], width, color=SHAPE_COLOURS.get(g, "grey"),
                   label=lab, edgecolor="black", linewidth=0.3)
            ax.plot([x - width / 2, x + width / 2], [r["best_ns"]] * 2,
                    color="black", linewidth=0.8)
            txt = "%.3g" % r["median_ns"]
            if r.get("ratio_ref"):
                txt += "\n%.2fx%s" % (r["ratio"], r["ratio_ref"])
            if r.get("linux_ns"):
                txt += "\n%.1fxL" % r["x_faster"]
                ax.plot([x], [r["linux_ns"]], marker="o", markersize=2.5,
                        color="grey")
            ax.text(x, r["median_ns"] * 1.15, txt, ha="center", va="bottom",
                    fontsize=5.5)
            b = bound(r, by_key)
            if b is not None:
                col = "green" if r.get("pass") else "red"
                ax.plot([x - width / 2, x + width / 2], [b, b], color=col,
                        linewidth=1.6)
    ax.set_xticks(range(len(ids)))
    ax.set_xticklabels(ids)
    ax.set_yscale("log")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi * 4)
    ax.set_ylabel("median ns per unit (log)")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="y", which="both", linewidth=0.2)
    if labelled:
        ax.legend(fontsize=7, title="shape", title_fontsize=7, ncol=2)


def markdown(data):
    """The results as a GitHub markdown table (README "Performance")."""
    out = ["| id | shape | scenario | unit | best ns | median ns | ratio "
           "| x Linux | target | ok |",
           "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in data["results"]:
        if not r.get("ran"):
            continue
        tg = []
        for t in r.get("targets", []):
            k, v = t["kind"], t["value"]
            tg.append({"ns": "<= %g" % v, "xG": "<= %gx G" % v,
                       "xGd": "<= %gx Gd" % v, "xZ": "<= %gx Z" % v,
                       "linux": "(Linux %g)" % v,
                       "xlinux": ">= %gx Linux" % v,
                       "xref": "<= %.3gx %s" % (v, t.get("ref", "?")),
                       "tlbi": "<= %g TLB-hook calls" % v}.get(k, ""))
        ratio = ("%.2fx %s" % (r["ratio"], r["ratio_ref"])
                 if r.get("ratio_ref") else "")
        xl = "%.2fx" % r["x_faster"] if r.get("linux_ns") else ""
        ok = "" if "pass" not in r else ("pass" if r["pass"] else "MISS")

        def fmt(v):
            return "%.2f" % v if v < 100 else "{:,.0f}".format(v)
        out.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["id"], shape_of(r), r["desc"], r["unit"], fmt(r["best_ns"]),
            fmt(r["median_ns"]), ratio, xl, ", ".join(tg), ok))
    return "\n".join(out)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--markdown":
        with open(sys.argv[2]) as f:
            print(markdown(json.load(f)))
        return 0
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        data = json.load(f)
    results = data["results"]
    by_key = {(r["id"], shape_of(r)): r for r in results}
    # 40-bit granule rows; the one-page rows at 4K/40 go to both panels.
    bulk = [r for r in results if shape_of(r) in BULK_SHAPES
            and not r["id"].endswith("-nh")]
    shapes = [r for r in results if shape_of(r) in ONEPAGE_SHAPES
              and r["id"] in ONEPAGE_IDS]
    alloc = [r for r in results if shape_of(r) == "-"]
    panels = [p for p in (bulk, shapes, alloc) if p]
    fig, axes = plt.subplots(len(panels), 1, figsize=(13, 4.2 * len(panels)),
                             squeeze=False)
    axes = [a[0] for a in axes]
    i = 0
    if bulk:
        panel(axes[i], bulk, TABLE_ORDER, BULK_SHAPES, by_key,
              "tables, 40-bit IPA: ns per 4 KiB page or per call (bar median, "
              "tick best, line target: green met, red missed)")
        i += 1
    if shapes:
        panel(axes[i], shapes, SHAPE_ORDER, ONEPAGE_SHAPES, by_key,
              "one-page calls by stage-2 shape (granule/IPA bits), -nh: "
              "mm_ops without hints; grey dot: Linux 6.12, line: target")
        i += 1
    if alloc:
        panel(axes[i], alloc, ALLOC_ORDER, ["-"], by_key,
              "allocator: ns per operation; Z = zero 2 MiB (memset), "
              "Zl = plain loop")
    fig.suptitle("pgt-bench (%d runs%s, load average %.1f-%.1f on 2 cores)"
                 % (data.get("reps", 0), ", quick" if data.get("quick") else "",
                    data.get("load_start", 0), data.get("load_end", 0)))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.95, bottom=0.04,
                        hspace=0.25)
    fig.savefig(sys.argv[2], dpi=130)
    return 0


if __name__ == "__main__":
    sys.exit(main())
