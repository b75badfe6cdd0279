"""The ``nascourse`` command (also ``python -m nascourse``).

    nascourse search [--space darts|nb201] [--method darts1|darts2|idarts|gdas|rsws]
                     [--preset tiny|colab|paper] [--epochs N] [--seed S] [--out DIR]

runs a search with a progress bar, prints the final genotype with its width and depth, and
writes ``DIR/result.json`` (with the supernet's weights and a checkpoint), a drawing of the cell
(``cell.png``) and a heatmap of alpha over the epochs (``alpha.png``). ``--resume`` continues an
interrupted search in DIR. Lesson 00 runs the same search from Python.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .config import PRESET_NAMES
from .history import METHODS, SPACES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nascourse", description="Differentiable architecture search, for learning.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("search", help="run an architecture search and save its result",
                       description="Run an architecture search and save its result.")
    s.add_argument("--space", default="darts", choices=SPACES, help="search space (default: darts)")
    s.add_argument("--method", default="darts1", choices=METHODS, help="search method (default: darts1)")
    s.add_argument("--preset", default=None, choices=PRESET_NAMES,
                   help="sizes and budget (default: $NASCOURSE_PRESET, else tiny on a CPU, colab on a GPU)")
    s.add_argument("--epochs", type=int, default=None, help="search epochs (default: the preset's)")
    s.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    s.add_argument("--device", default=None, help="cpu, cuda, ... (default: $NASCOURSE_DEVICE, else CUDA if present)")
    s.add_argument("--out", default=None, help="output folder (default: runs/SPACE-METHOD-PRESET-seedS)")
    s.add_argument("--resume", action="store_true", help="continue the interrupted search in --out")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--fast", action="store_true",
                   help="fast supernet forward, same mathematics (darts1, darts2, idarts on the darts space)")
    return parser


def run_search(args: argparse.Namespace) -> int:
    # imported here so that `nascourse --help` answers at once
    from . import plot
    from .config import get_preset
    from .genotypes import genotype_from_str
    from .history import make_config
    from .ops import DARTS_OPS, NB201_OPS
    from .search import search

    if args.epochs is not None and args.epochs < 1:
        raise SystemExit(f"nascourse search: --epochs must be at least 1, got {args.epochs}")
    preset = get_preset(args.preset, args.device)
    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    config = make_config(args.method, args.space, preset, **overrides)
    out = args.out or os.path.join("runs", f"{args.space}-{args.method}-{preset.name}-seed{args.seed}")
    print(f"{args.method} search on the {args.space} space, preset {preset.name}, {config.epochs} epochs, "
          f"seed {args.seed} -> {out}")
    start = time.perf_counter()
    result = search(config, seed=args.seed, device=args.device, out=out, resume=args.resume,
                    progress=not args.quiet, fast=args.fast)
    last = result.history[-1]
    print(f"finished in {time.perf_counter() - start:.1f} s; validation accuracy of the supernet "
          f"{100 * last['val_acc']:.1f}%")
    print(f"genotype: {result.genotype}")
    if args.space == "darts":
        print(f"normal cell: width {last['width']:g}c, depth {last['depth']}")
        fig = plot.draw_genotype(genotype_from_str(result.genotype), title=f"{args.method} (seed {args.seed})")
        ops = DARTS_OPS
    else:
        print(f"skip connections: {last['skip_connect']} of 6 edges")
        fig = plot.draw_nb201_cell(result.genotype, title=f"{args.method} (seed {args.seed})").figure
        ops = NB201_OPS
    plot.save_figure(fig, os.path.join(out, "cell.png"))
    alphas = [h["alpha"][0] for h in result.history]  # the normal cell's (or the NB201 cell's) weights
    fig = plot.alpha_over_epochs(alphas, ops, title="softmax(α) of the normal cell, mean over edges"
                                 if args.space == "darts" else "softmax(α), mean over edges")
    plot.save_figure(fig, os.path.join(out, "alpha.png"))
    print(f"wrote {os.path.join(out, 'result.json')}, cell.png and alpha.png")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "search":
            return run_search(args)
    except (ValueError, FileNotFoundError, RuntimeError, FloatingPointError) as e:
        print(f"nascourse {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 1


if __name__ == "__main__":
    sys.exit(main())
