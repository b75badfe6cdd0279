"""NAS-Bench-201 searches for lesson 08: what each method picks, and how its supernet ranks cells.

For one seed and each method given, this script runs the library's search on NAS-Bench-201 and
writes ``OUT/<method>-seed<S>.json`` with the search's settings and seconds, the final cell (RSWS:
the best of its sampled paths; the others: the argmax of α) with NAS-Bench-201's accuracies, and
the per-epoch cells, λ_max of the α Hessian where recorded (for DARTS-ES) and validation accuracy.
With ``--score`` it also scores a stratified sample of cells (``ranking.stratified_sample``) with
the trained supernet's shared weights, both ways of handling BatchNorm (``ranking.score_cells``),
and stores the benchmark indices and the scores. Run folders (the supernets' weights) go to
``--runs`` (not committed).

    python scripts/ranking_nb201.py --seed 0 --methods rsws darts1 fixed --score \\
        --epochs 12 --C 8 --N 2 --search-images 5000 --out lessons/results/ranking-nb201
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from nascourse import bench, ranking
from nascourse import data as data_mod
from nascourse.batches import search_split
from nascourse.history import SearchResult
from nascourse.methods import METHODS, make_config
from nascourse.runs import atomic_write
from nascourse.search import search


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", nargs="+", default=["rsws", "darts1", "fixed"])
    ap.add_argument("--score", action="store_true", help="score a stratified sample of cells with each supernet")
    ap.add_argument("--per-group", type=int, default=30, help="cells per conv count in the scored sample")
    ap.add_argument("--bn-batches", type=int, default=10, help="training batches for BN recalibration")
    ap.add_argument("--val-batches", type=int, default=10, help="validation batches each cell is scored on")
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--N", type=int, default=2)
    ap.add_argument("--search-images", type=int, default=5000)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--a-lr", type=float, default=3e-4, help="architecture learning rate (DARTS's)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="lessons/results/ranking-nb201")
    ap.add_argument("--runs", default="runs/ranking-nb201")
    args = ap.parse_args(argv)
    unknown = [m for m in args.methods if m not in METHODS or m == "enas"]
    if unknown:
        ap.error(f"methods {unknown} do not search NAS-Bench-201 here; choose from "
                 f"{[m for m in METHODS if m != 'enas']}")
    torch.set_num_threads(args.threads)
    dataset = data_mod.load_dataset("cifar10")
    os.makedirs(args.out, exist_ok=True)
    for method in args.methods:
        start = time.perf_counter()
        extra = {"hessian_every": 1} if method in ("darts1", "darts2", "nadarts") else {}
        config = make_config(method, "nb201", "tiny", C=args.C, N=args.N, search_images=args.search_images,
                             epochs=args.epochs, image_size=args.image_size, a_lr=args.a_lr, **extra)
        run = os.path.join(args.runs, f"{method}-seed{args.seed}")
        done = os.path.exists(os.path.join(run, "result.json")) and \
            len(SearchResult.load(run).history) == config.epochs
        if not done:
            search(config, seed=args.seed, device=args.device, dataset=dataset, out=run,
                   resume=os.path.exists(os.path.join(run, "checkpoint.pt")), progress=False)
        found = SearchResult.load(run, with_supernet=True, device=args.device)
        final = found.history[-1]["genotype"]
        record = bench.lookup(final)
        report = {
            "method": method, "seed": args.seed, "settings": vars(args), "config": found.config.__dict__,
            "search_seconds": round(sum(h["seconds"] for h in found.history), 1),
            "final": {"cell": final, "index": record.index, "cifar10": record.cifar10,
                      "cifar10_val12": record.cifar10_val12, "cifar10_test12": record.cifar10_test12},
            "epochs": [{"epoch": h["epoch"], "cell": h["genotype"], "val_acc": h["val_acc"],
                        "alpha_eig": h.get("alpha_eig"), "cifar10": h["bench_cifar10_200"]} for h in found.history],
        }
        if args.score:
            train_loader, val_loader = search_split(dataset, config.batch_size, config.image_size,
                                                    config.search_images, args.device, args.seed)
            train_batches = ranking.fixed_batches(train_loader, args.bn_batches)
            val_batches = ranking.fixed_batches(val_loader, args.val_batches)
            cells = ranking.stratified_sample(args.per_group, seed=args.seed)
            scored = {"cells": cells.tolist()}
            for bn in ranking.BN_MODES:
                t = time.perf_counter()
                scores = ranking.score_cells(found.supernet, cells, train_batches, val_batches, bn=bn)
                scored[bn] = [round(float(s), 6) for s in scores]
                scored[f"{bn}_seconds"] = round(time.perf_counter() - t, 1)
            report["scored"] = scored
        text = json.dumps(report, indent=1).encode()
        atomic_write(os.path.join(args.out, f"{method}-seed{args.seed}.json"), lambda f: f.write(text))
        print(f"seed {args.seed}, {method}: {final} {record.cifar10:.2f}% ({time.perf_counter() - start:.0f} s)",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
