"""Magnitude against PT in the DARTS space: which cells each selects, and the edge-shuffle test.

DARTS-PT (Wang et al., ICLR 2021) reports that perturbation selection returns DARTS-space cells
with edges between intermediate nodes (deeper than the magnitude rule's), and (Table 1) that
swapping two edges in every cell of a trained DARTS supernet costs a few points of accuracy
(88.44 -> 81.09 ± 1.87) while swapping two layers of a plain VGG-like network destroys it
(92.69 -> 9.83 ± 0.33). For one seed this script searches the DARTS space with first-order DARTS,
measures the edge-shuffle robustness of the trained supernet, trains a plain 8-layer CNN on the
same images for the same number of epochs and measures its layer-shuffle robustness, then
selects a cell by magnitude and by perturbation and writes ``OUT/seed<S>.json`` with both cells,
their width and depth, every PT decision and the shuffle figures. The run folder with the
supernet's weights goes to ``--runs`` (not committed).

    python scripts/selection_darts.py --seed 0 --epochs 10 --C 8 --layers 5 --search-images 2000 \\
        --tune-steps 8 --eval-batches 8 --out lessons/results/selection-darts --runs runs/selection-darts
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time

import torch

from nascourse import select, shuffle
from nascourse import data as data_mod
from nascourse import genotypes as G
from nascourse.batches import search_split
from nascourse.history import SearchResult, make_config
from nascourse.network import PlainCNN
from nascourse.runs import atomic_write
from nascourse.search import search


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--search-images", type=int, default=2000)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--a-lr", type=float, default=3e-4, help="DARTS's architecture learning rate")
    ap.add_argument("--pt-preset", default="colab", help="make_pt_config preset: fine-tuning and evaluation budget")
    ap.add_argument("--tune-steps", type=int, default=8, help="steps of fine-tuning between two decisions")
    ap.add_argument("--eval-batches", type=int, default=8, help="validation batches of each strength measurement")
    ap.add_argument("--draws", type=int, default=10, help="random swaps of the shuffle test")
    ap.add_argument("--plain-C", type=int, default=16)
    ap.add_argument("--plain-layers", type=int, default=8)
    ap.add_argument("--no-fast", action="store_true", help="search without the fused DARTS forward (same mathematics)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", default="lessons/results/selection-darts")
    ap.add_argument("--runs", default="runs/selection-darts")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dataset = data_mod.load_dataset("cifar10")
    config = make_config("darts1", "darts", "tiny", C=args.C, layers=args.layers, search_images=args.search_images,
                         epochs=args.epochs, image_size=args.image_size, a_lr=args.a_lr)
    run = os.path.join(args.runs, f"darts1-seed{args.seed}")
    done = os.path.exists(os.path.join(run, "result.json")) and len(SearchResult.load(run).history) == config.epochs
    if not done:
        search(config, seed=args.seed, device=args.device, dataset=dataset, out=run,
               resume=os.path.exists(os.path.join(run, "checkpoint.pt")), progress=False, fast=not args.no_fast)
    found = SearchResult.load(run, with_supernet=True, device=args.device)
    train_loader, val_loader = search_split(dataset, config.batch_size, config.image_size, config.search_images,
                                            args.device, args.seed)
    eval_batches = val_loader.plain_batches(args.eval_batches)
    start = time.perf_counter()
    supernet_shuffle = shuffle.shuffle_robustness(found.supernet, eval_batches, draws=args.draws, seed=args.seed)
    torch.manual_seed(args.seed)
    plain = PlainCNN(C=args.plain_C, layers=args.plain_layers).to(args.device)
    plain_losses = shuffle.fit_plain(plain, train_loader, config.epochs)
    plain_shuffle = shuffle.shuffle_robustness(plain, eval_batches, draws=args.draws, seed=args.seed)
    shuffle_seconds = time.perf_counter() - start
    magnitude = select.magnitude(found.supernet)
    pt_config = select.make_pt_config("darts", args.pt_preset, tune_steps=args.tune_steps,
                                      eval_batches=args.eval_batches)
    pt = select.perturbation_select(copy.deepcopy(found.supernet), pt_config, train_loader, val_loader,
                                    seed=args.seed, progress=False)
    report = {"seed": args.seed, "settings": vars(args),
              "search_seconds": round(sum(h["seconds"] for h in found.history), 1),
              "supernet_val_acc": found.history[-1]["val_acc"], "pt_seconds": pt.seconds,
              "shuffle_seconds": round(shuffle_seconds, 1),
              "shuffle": {"supernet": supernet_shuffle, "plain": {**plain_shuffle, "train_loss": plain_losses}}}
    for rule, cell in (("magnitude", magnitude), ("pt", G.as_genotype(pt.genotype))):
        shape = G.genotype_width_depth(cell)
        report[rule] = {"genotype": G.genotype_to_str(cell), "normal": shape["normal"], "reduce": shape["reduce"]}
    report["pt_decisions"] = pt.decisions
    os.makedirs(args.out, exist_ok=True)
    text = json.dumps(report, indent=1).encode()
    atomic_write(os.path.join(args.out, f"seed{args.seed}.json"), lambda f: f.write(text))
    print(f"seed {args.seed}: magnitude {report['magnitude']['normal']}, PT {report['pt']['normal']} (normal cell "
          f"width, depth); shuffle: supernet {supernet_shuffle['base']:.3f} -> {supernet_shuffle['mean']:.3f}, "
          f"plain {plain_shuffle['base']:.3f} -> {plain_shuffle['mean']:.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
