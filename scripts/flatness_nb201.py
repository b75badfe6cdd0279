"""NA-DARTS against DARTS on NAS-Bench-201: the derived cell's real accuracy and the sharpness of α over the epochs.

For one seed this script runs two searches with the library, first-order DARTS (``darts1``) and
the course's NA-DARTS (``nadarts``, k neighbours, m edges, β), both recording λ_max of the α
Hessian every epoch (``hessian_every=1``; RobustDARTS's quantity). For each it writes
``OUT/<method>-seed<S>.json``: the search's result (settings, and per epoch softmax(α), the derived
cell, NAS-Bench-201's accuracy of that cell after 200 and 12 epochs, λ_max), plus the final
supernet's sensitivity to single-edge replacements: its validation accuracy with p = softmax(α),
and with each edge's row moved a fraction β towards each other operation, one edge and operation
at a time (6 x 4 neighbours), for β = 0.5 (NA-DARTS's training neighbourhood) and β = 1 (the edge
replaced outright). Run folders with the supernets' weights go to ``--runs`` (not committed).

    python scripts/flatness_nb201.py --seed 0 --epochs 12 --C 8 --N 2 --search-images 5000 --a-lr 3e-3 \\
        --out lessons/results/flatness-nb201 --runs runs/flatness-nb201
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from nascourse import data as data_mod
from nascourse import select
from nascourse.batches import search_split
from nascourse.history import SearchResult, make_config
from nascourse.runs import atomic_write
from nascourse.search import search


def edge_sensitivity(supernet, loader, beta: float, batches: int) -> dict:
    """Validation accuracy at p and at each single-edge neighbour of p (every edge, every other operation)."""
    base, (acc,) = select.edge_swap_accuracy(supernet, loader, beta, max_batches=batches)
    moved = acc[~acc.isnan()].tolist()  # edge by edge, operation by operation
    return {"beta": beta, "acc": base, "neighbours": moved, "mean_drop": base - sum(moved) / len(moved),
            "worst_drop": base - min(moved)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--methods", nargs="+", default=["darts1", "nadarts"])
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--N", type=int, default=2)
    ap.add_argument("--search-images", type=int, default=5000)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--a-lr", type=float, default=3e-3, help="architecture learning rate (DARTS's: 3e-4)")
    ap.add_argument("--k", type=int, default=2, help="NA-DARTS: neighbours per architecture step")
    ap.add_argument("--beta", type=float, default=0.5, help="NA-DARTS: how far a neighbour moves one edge")
    ap.add_argument("--sensitivity-batches", type=int, default=5, help="validation batches per sensitivity point")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="lessons/results/flatness-nb201")
    ap.add_argument("--runs", default="runs/flatness-nb201")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dataset = data_mod.load_dataset("cifar10")
    os.makedirs(args.out, exist_ok=True)
    for method in args.methods:
        start = time.perf_counter()
        extra = dict(k=args.k, beta=args.beta) if method == "nadarts" else {}
        config = make_config(method, "nb201", "tiny", C=args.C, N=args.N, search_images=args.search_images,
                             epochs=args.epochs, image_size=args.image_size, a_lr=args.a_lr, hessian_every=1,
                             **extra)
        run = os.path.join(args.runs, f"{method}-seed{args.seed}")
        done = os.path.exists(os.path.join(run, "result.json")) and \
            len(SearchResult.load(run).history) == config.epochs
        if not done:
            search(config, seed=args.seed, device=args.device, dataset=dataset, out=run,
                   resume=os.path.exists(os.path.join(run, "checkpoint.pt")), progress=False)
        found = SearchResult.load(run, with_supernet=True, device=args.device)
        _, val_loader = search_split(dataset, config.batch_size, config.image_size, config.search_images,
                                     args.device, args.seed)
        report = found.to_dict()
        report["sensitivity"] = [edge_sensitivity(found.supernet, val_loader, b, args.sensitivity_batches)
                                 for b in (0.5, 1.0)]
        report["settings"] = vars(args)
        text = json.dumps(report, indent=1).encode()
        atomic_write(os.path.join(args.out, f"{method}-seed{args.seed}.json"), lambda f: f.write(text))
        last = found.history[-1]
        print(f"seed {args.seed}, {method}: cell {last['bench_cifar10_200']:.2f}%, λ_max "
              f"{found.history[0]['alpha_eig']:.3f} -> {last['alpha_eig']:.3f}, mean drop at β=1 "
              f"{100 * report['sensitivity'][1]['mean_drop']:.1f} points ({time.perf_counter() - start:.0f} s)",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
