"""Which cells do the searches return? Width and depth of the DARTS-space cells of seven methods.

For each method (darts1, darts2, idarts, gdas, rsws, snas, enas) and seed this script runs one
search with the library in the DARTS space and writes ``OUT/<method>-seed<S>.json``: the settings,
the seconds it took, the final genotype, the width and depth of its normal and reduction cells
(Shu, Wang & Cai's measures, ``genotypes.cell_width_depth``), its skip connections, the supernet's
final validation accuracy, and the width and depth of the normal cell after every epoch. A file
that exists is kept, so several processes can share the work (different ``--methods``) and an
interrupted batch continues where it stopped. darts1, darts2 and idarts run on the fused forward
(``fast=True``: the same mathematics in fewer kernels).

The tiny preset, five seeds (lesson 04):

    python scripts/method_cells.py --seeds 0 1 2 3 4 --out lessons/results/method-cells-tiny

A larger scale (1,024 images, 6 epochs: four times the tiny preset's steps; its other settings):

    python scripts/method_cells.py --seeds 0 1 --search-images 1024 --epochs 6 \\
        --out lessons/results/method-cells
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from nascourse import data as data_mod
from nascourse.genotypes import genotype_width_depth
from nascourse.history import make_config
from nascourse.runs import atomic_write
from nascourse.search import search

METHODS = ("darts1", "darts2", "idarts", "gdas", "rsws", "snas", "enas")
FAST = ("darts1", "darts2", "idarts")


def run(method: str, seed: int, overrides: dict, dataset, device: str, runs: str | None) -> dict:
    """One search, and what its cells look like."""
    config = make_config(method, "darts", "tiny", **overrides)
    start = time.perf_counter()
    out = None if runs is None else os.path.join(runs, f"{method}-seed{seed}")
    result = search(config, seed=seed, device=device, dataset=dataset, out=out, overwrite=out is not None,
                    progress=False, fast=method in FAST)
    seconds = time.perf_counter() - start
    shape = genotype_width_depth(result.genotype)
    return {
        "method": method, "seed": seed, "overrides": overrides, "fast": method in FAST, "seconds": round(seconds, 1),
        "genotype": result.genotype_str,
        "normal": {"width": shape["normal"][0], "depth": shape["normal"][1]},
        "reduce": {"width": shape["reduce"][0], "depth": shape["reduce"][1]},
        "skip_connect": result.history[-1]["skip_connect"],
        "val_acc": result.history[-1]["val_acc"],
        "epochs": [{"epoch": h["epoch"], "width": h["width"], "depth": h["depth"], "val_acc": h["val_acc"]}
                   for h in result.history],
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--epochs", type=int, default=None, help="search epochs (default: the tiny preset's, 3)")
    ap.add_argument("--C", type=int, default=None, help="initial channels (default: the tiny preset's, 4)")
    ap.add_argument("--layers", type=int, default=None, help="cells (default: the tiny preset's, 5)")
    ap.add_argument("--search-images", type=int, default=None, help="images, halved (default: the tiny preset's, 512)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="lessons/results/method-cells-tiny")
    ap.add_argument("--runs", default=None, help="also keep each search's run folder here (not committed)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    overrides = {k: v for k, v in (("epochs", args.epochs), ("C", args.C), ("layers", args.layers),
                                   ("search_images", args.search_images)) if v is not None}
    dataset = data_mod.load_dataset("cifar10")
    os.makedirs(args.out, exist_ok=True)
    for seed in args.seeds:
        for method in args.methods:
            path = os.path.join(args.out, f"{method}-seed{seed}.json")
            if os.path.exists(path):
                continue
            record = run(method, seed, overrides, dataset, args.device, args.runs)
            atomic_write(path, lambda f: f.write(json.dumps(record, indent=1).encode()))
            print(f"{method} seed {seed}: normal {record['normal']['width']:g}c/{record['normal']['depth']}, "
                  f"reduce {record['reduce']['width']:g}c/{record['reduce']['depth']}, {record['seconds']:.0f} s",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
