"""Loss surfaces, gradient variance and Hessian sharpness of the networks that width_family.py trained.

This makes the saved landscape results that lesson 05 reads (``lessons/results/landscapes``). For
each cell it loads the trained weights from ``RUNS/seed<S>/<name>/checkpoint.pt`` (written by
``scripts/width_family.py``; the weights are not in the repository) and writes
``OUT/seed<S>/<name>.json`` with:

* ``gradient_variance``: GV at the trained weights (``landscape.gradient_variance``, eval mode,
  minibatches of ``--batch`` test images);
* ``hessian``: λ_max of the weight Hessian (parameters with dim > 1, loss averaged over the
  first ``--hessian-images`` test images), with its iteration count and convergence;
* with ``--line N``: the 1-D surface along one filter-normalised direction, N points over
  [-span, span]; with ``--grid N``: the 2-D surface over N x N points (and the 1-D one with N
  points unless ``--line``); with ``--gv-grid M``: gradient variance over
  an M x M grid of the same two directions. Directions are seeded (``--direction-seed``), so
  both cells are cut along directions drawn the same way. Li et al. plot [-1, 1]; these small
  networks evaluated in eval mode reach losses of 10^4 there (BatchNorm's running statistics no
  longer match the moved weights), and everything that differs between cells happens within
  about ±0.3, so the default span is 0.5.

All on the first ``--images`` CIFAR-10 test images, at the training's image size.

    python scripts/landscapes.py --seed 0 --cells wide c1 --grid 21 --gv-grid 9 --span 0.5 \\
        --runs runs/width-family --out lessons/results/landscapes
    python scripts/landscapes.py --seed 0 --line 21 --cells DARTS_V2 c2 c3 c4 c5 c6 c7 c8 c9 c10 c11 c12 \\
        --runs runs/width-family --out lessons/results/landscapes
"""

from __future__ import annotations

import argparse
import json
import os
import time

import torch

from nascourse import landscape as L
from nascourse import sharpness as S
from nascourse.runs import atomic_write, load_checkpoint_file
from nascourse.train import CONFIGS, build_network


def load_trained(folder: str):
    """The network of a finished training run folder, with its trained weights, in eval mode."""
    with open(os.path.join(folder, "result.json")) as f:
        saved = json.load(f)
    config = CONFIGS[saved["config"]["space"]](**saved["config"])
    network = build_network(saved["genotype"], config)
    network.load_state_dict(load_checkpoint_file(os.path.join(folder, "checkpoint.pt"), ("network",))["network"])
    return network.eval(), config, saved


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cells", nargs="*", help="cells to measure (default: every trained one)")
    ap.add_argument("--images", type=int, default=1000, help="test images for surfaces and gradient variance")
    ap.add_argument("--batch", type=int, default=100, help="minibatch size b of the gradient variance")
    ap.add_argument("--hessian-images", type=int, default=500)
    ap.add_argument("--hessian-iters", type=int, default=30)
    ap.add_argument("--line", type=int, default=0, help="points of the 1-D loss surface (0: none)")
    ap.add_argument("--grid", type=int, default=0, help="points per side of the 2-D loss surface, and of the 1-D "
                    "one unless --line (0: none)")
    ap.add_argument("--gv-grid", type=int, default=0, help="points per side of the gradient-variance grid (0: none)")
    ap.add_argument("--span", type=float, default=0.5, help="grids cover [-span, span] (Li et al.: 1)")
    ap.add_argument("--direction-seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", default="runs/width-family")
    ap.add_argument("--out", default="lessons/results/landscapes")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    runs = os.path.join(args.runs, f"seed{args.seed}")
    cells = args.cells or sorted(os.listdir(runs))
    out = os.path.join(args.out, f"seed{args.seed}")
    os.makedirs(out, exist_ok=True)
    for name in cells:
        start = time.perf_counter()
        network, config, saved = load_trained(os.path.join(runs, name))
        batches = L.fixed_batches(images=args.images, batch_size=args.batch, image_size=config.image_size)
        hess_batches = L.fixed_batches(images=args.hessian_images, batch_size=250, image_size=config.image_size)
        loss, acc = L.evaluate(network, batches)
        gv = L.gradient_variance(network, batches)
        eig = S.hessian_max_eigenvalue(network, hess_batches, iters=args.hessian_iters, tol=1e-3)
        record = {"name": name, "genotype": saved["genotype"], "seed": args.seed, "images": args.images,
                  "loss": loss, "acc": acc, "gradient_variance": vars(gv),
                  "hessian": {"value": eig.value, "iterations": eig.iterations, "converged": eig.converged,
                              "tol": eig.tol, "images": args.hessian_images, "params": "weights (dim > 1)"},
                  "train_config": saved["config"], "direction_seed": args.direction_seed}
        dx = L.random_direction(network, args.direction_seed)
        dy = L.random_direction(network, args.direction_seed + 1)
        if args.line or args.grid:
            xs = L.grid(-args.span, args.span, args.line or args.grid)
            record["surface_1d"] = L.surface_1d(network, batches, dx, xs).to_dict()
        if args.grid:
            xs = L.grid(-args.span, args.span, args.grid)
            record["surface_2d"] = L.surface_2d(network, batches, dx, dy, xs, xs).to_dict()
        if args.gv_grid:
            xs = L.grid(-args.span, args.span, args.gv_grid)
            record["gradient_variance_2d"] = L.gradient_variance_grid(network, batches, [dx, dy], xs, xs).to_dict()
        record["seconds"] = round(time.perf_counter() - start, 1)
        text = json.dumps(record, indent=1).encode()
        atomic_write(os.path.join(out, f"{name}.json"), lambda f: f.write(text))
        print(f"{name}: loss {loss:.4f}, GV {gv.value:.4g} (b={gv.batch_size}), lambda_max {eig.value:.4g} "
              f"({eig.iterations} iterations, converged {eig.converged}) ({record['seconds']} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
