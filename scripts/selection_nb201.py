"""Magnitude, PT and fixed-α + PT selections on NAS-Bench-201 supernets, judged by the benchmark.

DARTS-PT (Wang et al., ICLR 2021, Table 4) reports, on NAS-Bench-201 CIFAR-10: DARTS with the
magnitude rule 54.30 %, DARTS + PT 88.11 %, DARTS with α fixed at its initialisation + PT
93.80 %. For one seed this script trains two supernets with the library (``darts1`` and
``fixed``), then selects from each by magnitude and by perturbation (``select.perturbation_select``),
and writes ``OUT/seed<S>.json`` with, per supernet and rule, the cell and NAS-Bench-201's accuracy
after 200 and 12 epochs, plus every PT decision (accuracy with each operation removed, the choice
and the magnitude rule's choice on the same edge). Run folders with the supernets' weights go to
``--runs`` (not committed).

    python scripts/selection_nb201.py --seed 0 --epochs 12 --C 8 --N 2 --search-images 5000 \\
        --out lessons/results/selection-nb201 --runs runs/selection-nb201
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time

import torch

from nascourse import bench, select
from nascourse import data as data_mod
from nascourse.batches import search_split
from nascourse.history import SearchResult, make_config
from nascourse.runs import atomic_write
from nascourse.search import search


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--N", type=int, default=2)
    ap.add_argument("--search-images", type=int, default=5000)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--a-lr", type=float, default=3e-4, help="DARTS's architecture learning rate")
    ap.add_argument("--pt-preset", default="colab", help="make_pt_config preset: fine-tuning and evaluation budget")
    ap.add_argument("--keep-history", action="store_true",
                    help="also copy the DARTS search's result.json (its per-epoch history) to OUT/darts1-seed<S>/")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="lessons/results/selection-nb201")
    ap.add_argument("--runs", default="runs/selection-nb201")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dataset = data_mod.load_dataset("cifar10")
    report = {"seed": args.seed, "settings": vars(args), "supernets": {}}
    for method in ("darts1", "fixed"):
        start = time.perf_counter()
        config = make_config(method, "nb201", "tiny", C=args.C, N=args.N, search_images=args.search_images,
                             epochs=args.epochs, image_size=args.image_size, a_lr=args.a_lr)
        run = os.path.join(args.runs, f"{method}-seed{args.seed}")
        done = os.path.exists(os.path.join(run, "result.json")) and \
            len(SearchResult.load(run).history) == config.epochs
        if not done:
            search(config, seed=args.seed, device=args.device, dataset=dataset, out=run,
                   resume=os.path.exists(os.path.join(run, "checkpoint.pt")), progress=False)
        found = SearchResult.load(run, with_supernet=True, device=args.device)
        search_seconds = sum(h["seconds"] for h in found.history)
        magnitude = select.magnitude(found.supernet)
        train_loader, val_loader = search_split(dataset, config.batch_size, config.image_size, config.search_images,
                                                args.device, args.seed)
        pt = select.perturbation_select(found.supernet, select.make_pt_config("nb201", args.pt_preset), train_loader,
                                        val_loader, seed=args.seed, progress=False)
        entry = {"search_seconds": round(search_seconds, 1), "pt_seconds": pt.seconds,
                 "supernet_val_acc": found.history[-1]["val_acc"]}
        for rule, cell in (("magnitude", magnitude), ("pt", pt.genotype)):
            record = bench.lookup(cell)
            entry[rule] = {"cell": cell, "cifar10": record.cifar10, "cifar10_test12": record.cifar10_test12}
        entry["pt_decisions"] = pt.decisions
        report["supernets"][method] = entry
        print(f"seed {args.seed}, {method}: magnitude {entry['magnitude']['cifar10']:.2f}%, "
              f"PT {entry['pt']['cifar10']:.2f}% ({time.perf_counter() - start:.0f} s)", flush=True)
    os.makedirs(args.out, exist_ok=True)
    if args.keep_history:
        os.makedirs(os.path.join(args.out, f"darts1-seed{args.seed}"), exist_ok=True)
        shutil.copyfile(os.path.join(args.runs, f"darts1-seed{args.seed}", "result.json"),
                        os.path.join(args.out, f"darts1-seed{args.seed}", "result.json"))
    text = json.dumps(report, indent=1).encode()
    atomic_write(os.path.join(args.out, f"seed{args.seed}.json"), lambda f: f.write(text))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
