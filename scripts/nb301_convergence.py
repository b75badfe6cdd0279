"""Predict the learning curves of uniform random DARTS cells with NAS-Bench-301, and correlate their shape.

This makes ``lessons/results/nb301-convergence/random-cells.json``, which lessons 01, 04 and 06 and
the evidence table read (``nascourse.evidence_nb301``): the surrogate's predicted CIFAR-10
validation accuracy of ``sample_darts_genotype(s)``, s = 0 .. n - 1, at the epochs of
``evidence_nb301.EPOCHS`` (rounded to 0.01 points), and the table of Spearman's rho of the normal
cell's width and depth with that accuracy and with the ranks gained to epoch 98, within groups of
equal numbers of parametric operations, each with its 95 % interval and permutation p.

    python scripts/nb301_convergence.py                # 5,000 cells, about half a minute on two CPU cores
    python scripts/nb301_convergence.py --throughput   # also time whole learning curves (not saved)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nascourse import evidence_nb301 as N
from nascourse import nb301
from nascourse.claims import _round
from nascourse.runs import atomic_write

ROOT = Path(__file__).resolve().parents[1]


def throughput(cells: list, repeats: int = 3) -> float:
    """Genotypes a second, whole 98-epoch curves, best of ``repeats`` (the first call loads the model)."""
    nb301.predict(cells[:10], nb301.EPOCHS)
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        nb301.predict(cells, nb301.EPOCHS)
        best = min(best, time.perf_counter() - t)
    return len(cells) / best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=N.N_RANDOM, help="random cells (seeds 0 .. n - 1)")
    ap.add_argument("--out", default=str(ROOT / "lessons" / "results" / N.FOLDER))
    ap.add_argument("--throughput", action="store_true", help="time whole learning curves of 1,000 cells")
    args = ap.parse_args(argv)

    cells = N.random_cells(args.n)
    if args.throughput:
        print(f"predict(): {throughput(cells[:1000]):.0f} genotypes a second (98-epoch curves, 1,000 cells)")
    accuracy = N.predicted(cells, list(N.EPOCHS))  # (n, E)
    table = N.convergence_table(cells, accuracy)
    doc = {"made_by": "python scripts/nb301_convergence.py" + (f" --n {args.n}" if args.n != N.N_RANDOM else ""),
           "cells": "nascourse.variants.sample_darts_genotype(s) for s in range(n)",
           "groups": "parametric operations (sep_conv, dil_conv) in the normal cell",
           "n": args.n, "epochs": list(N.EPOCHS),
           "table": [{"epoch": r["epoch"],
                      **{t: None if r[t] is None else {c: [_round(v) for v in r[t][c]] for c in ("width", "depth")}
                         for t in ("accuracy", "gain")}} for r in table],
           "accuracy": accuracy.tolist()}
    out = Path(args.out) / N.FILE
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, separators=(",", ":")).replace('],[', '],\n[') + "\n"
    atomic_write(str(out), lambda f: f.write(text.encode()))
    for r in doc["table"]:
        acc, gain = r["accuracy"], r["gain"]
        print(f"epoch {r['epoch']:2d}: rho(width, acc) {acc['width'][0]:+.3f}  rho(depth, acc) {acc['depth'][0]:+.3f}"
              + ("" if gain is None else f"  rho(width, gain) {gain['width'][0]:+.3f}  "
                                         f"rho(depth, gain) {gain['depth'][0]:+.3f}"))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
