"""Train DARTS_V2, its widest-shallowest form and its c1..c12 width family from scratch, one seed at a time.

This makes the saved larger-scale runs that lesson 04 reads (``lessons/results/width-family``):
Shu, Wang & Cai (ICLR 2020) train DARTS_V2 and twelve random-connection variants of it (same
operations, inputs re-drawn; three each at widths 2c, 2.5c, 3c, 3.5c) with identical settings and
compare their test-loss curves. As in their variant runs, there is no auxiliary head, no
drop-path and no cutout; everything else is DARTS's evaluation recipe (SGD momentum 0.9, lr
0.025 cosine, weight decay 3e-4, clip 5, batch 96). The network is smaller than theirs (flags).

For each seed and cell it writes ``OUT/seed<S>/<name>.json`` (the ``TrainResult`` history plus
the cell's genotype, width and depth), and keeps the run folder with its checkpoint (the trained
weights, which lesson 05's landscapes start from) under ``--runs``, outside the repository. A
cell whose JSON exists is skipped, so an interrupted sweep is continued by running it again.

    python scripts/width_family.py --seed 0 --epochs 10 --train-images 5000 --C 8 --layers 5 \\
        --image-size 16 --test-images 2000 --out lessons/results/width-family --runs runs/width-family
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time

import torch

from nascourse import genotypes as G
from nascourse import variants as V
from nascourse.runs import atomic_write
from nascourse.train import TrainResult, build_network, make_train_config, train


def family() -> list[tuple[str, G.Genotype]]:
    """[(name, genotype)]: DARTS_V2, its widest-shallowest form ("wide"), then c1..c12."""
    return [("DARTS_V2", G.DARTS_V2), ("wide", V.widest_shallowest(G.DARTS_V2))] + V.width_family(G.DARTS_V2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--train-images", type=int, default=5000)
    ap.add_argument("--test-images", type=int, default=2000)
    ap.add_argument("--C", type=int, default=8)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--image-size", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (one per process leaves cores free)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--cells", nargs="*", help="only these cells (default: all 14)")
    ap.add_argument("--out", default="lessons/results/width-family")
    ap.add_argument("--runs", default="runs/width-family", help="run folders with checkpoints (not committed)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = make_train_config("darts", "tiny", epochs=args.epochs, batch_size=96, image_size=args.image_size,
                               train_images=args.train_images, test_images=args.test_images, C=args.C,
                               layers=args.layers, auxiliary_weight=0.0, drop_path_max=0.0, cutout=0)
    out = os.path.join(args.out, f"seed{args.seed}")
    os.makedirs(out, exist_ok=True)
    for name, genotype in family():
        if args.cells and name not in args.cells:
            continue
        path = os.path.join(out, f"{name}.json")
        if os.path.exists(path):
            print(f"{name}: {path} exists, skipped", flush=True)
            continue
        run = os.path.join(args.runs, f"seed{args.seed}", name)
        start = time.perf_counter()
        resume = os.path.exists(os.path.join(run, "checkpoint.pt"))
        if os.path.isdir(run) and not resume:
            shutil.rmtree(run)
        result: TrainResult = train(build_network(genotype, config), config, seed=args.seed, device=args.device,
                                    out=run, resume=resume, progress=False)
        width, depth = G.genotype_width_depth(genotype)["normal"]
        record = {"name": name, "width": width, "depth": depth, **result.to_dict(),
                  "parameters": sum(p.numel() for p in result.network.parameters())}
        text = json.dumps(record, indent=1).encode()
        atomic_write(path, lambda f: f.write(text))
        last = result.history[-1]
        print(f"{name}: width {width}c depth {depth}: test loss {last['test_loss']:.4f}, "
              f"test acc {100 * last['test_acc']:.2f}% ({time.perf_counter() - start:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
