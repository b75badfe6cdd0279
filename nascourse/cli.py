"""The ``nascourse`` command (also ``python -m nascourse``).

    nascourse search [--space darts|nb201] [--method darts1|darts2|idarts|gdas|rsws|fixed|nadarts|snas|enas]
                     [--preset tiny|colab|paper] [--epochs N] [--seed S] [--out DIR]
                     [--resume | --overwrite] [--fast] [--device DEV] [--quiet]
                     [--hessian-every N [--early-stop]] [--neighbours K] [--perturbed-edges M] [--beta B]

runs a search with a progress bar, prints the final genotype with its width and depth (on the
DARTS space also the NAS-Bench-301 surrogate's predicted accuracy, beside DARTS_V2's), and
writes into DIR: ``result.json`` (settings and per-epoch history), ``supernet.pt`` (weights),
``checkpoint.pt`` (everything needed to resume), ``cell.png`` (the derived cell) and
``alpha.png`` (softmax(alpha) over the epochs; for ENAS, its controller's edge frequencies). ``--hessian-every N`` records the largest
eigenvalue of the α Hessian every N epochs, ``--early-stop`` stops by DARTS-ES's rule;
``--neighbours``, ``--perturbed-edges`` and ``--beta`` set NA-DARTS's k, m and β.

    nascourse train [--space darts|nb201] (--cell NAME | --genotype STRING | --from-search DIR)
                    [--preset tiny|colab|paper] [--epochs N] [--seed S] [--device DEV]
                    [--out DIR] [--resume | --overwrite] [--quiet]

trains a cell's network from scratch (``train.py``), prints its final test accuracy and writes
``result.json``, ``checkpoint.pt`` and ``curves.png`` (loss and accuracy per epoch) into DIR.

    nascourse select --from RUN_DIR [--method magnitude|pt] [--preset tiny|colab|paper] [--seed S]
                     [--device DEV] [--out DIR] [--resume | --overwrite] [--quiet]

selects a cell from the supernet of a finished search (``select.py``): by the magnitude of alpha,
or by DARTS-PT's perturbation-based selection, which fine-tunes the supernet between decisions;
writes ``result.json`` (every decision) and ``cell.png``, and on NAS-Bench-201 prints the
benchmark accuracy of the selection and of the magnitude rule's cell.

A DIR that already holds a run is refused unless ``--resume`` continues it or ``--overwrite``
replaces it; a DIR that another process is writing, or that cannot be created or written (no
permission, read-only, a file on the way, a name too long), is refused at once, in one line that
names the path and the fix. One process writes a DIR at a time (``folders.py``). Ctrl-C writes a checkpoint and prints how to resume: a search stops after the current
step, a training at the end of the current epoch. Lesson 00 runs the same search from Python.

Nothing heavy is imported before the arguments are parsed: ``--help`` and ``--version`` answer at
once, without loading PyTorch.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from . import __version__

# The same names as config.PRESET_NAMES, history.SPACES and history.METHODS (a test checks),
# written out so that parsing the command line does not import torch.
PRESETS = ("tiny", "colab", "paper")
SPACES = ("darts", "nb201")
METHODS = ("darts1", "darts2", "idarts", "gdas", "rsws", "fixed", "nadarts", "snas", "enas")
# Search options beyond the common ones: (flag, config field, type, the one method it belongs to or None, help)
SEARCH_OPTIONS = (
    ("--hessian-every", "hessian_every", int, None, "record λ_max of the α Hessian every N epochs and at the last "
                                                     "(default: 0, never; RobustDARTS: 2)"),
    ("--neighbours", "k", int, "nadarts", "nadarts: neighbours per architecture step (default: 2; 0 is darts1)"),
    ("--perturbed-edges", "m", int, "nadarts", "nadarts: edges perturbed per neighbour (default: 1)"),
    ("--beta", "beta", float, "nadarts", "nadarts: how far a perturbed edge moves towards another operation "
                                         "(default: 0.5)"),
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nascourse", description="Differentiable architecture search, for learning.")
    parser.add_argument("--version", action="version", version=f"nascourse {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    s = sub.add_parser("search", help="run an architecture search and save its result",
                       description="Run an architecture search and save its result.")
    s.add_argument("--space", default="darts", choices=SPACES, help="search space (default: darts)")
    s.add_argument("--method", default="darts1", choices=METHODS, help="search method (default: darts1)")
    _run_options(s, "search", "runs/SPACE-METHOD-PRESET-seedS")
    s.add_argument("--fast", action="store_true",
                   help="fast supernet forward: the same mathematics in fewer kernels, float32 rounding differs "
                        "(darts1, darts2, idarts on the darts space)")
    for flag, field, kind, _, text in SEARCH_OPTIONS:
        s.add_argument(flag, dest=field, type=kind, default=None, help=text)
    s.add_argument("--early-stop", action="store_true",
                   help="DARTS-ES: stop when λ_max of the α Hessian grows too fast and return the genotype of the "
                        "epoch it points to (needs --hessian-every)")
    t = sub.add_parser("train", help="train a cell's network from scratch and save its history",
                       description="Train a discrete network from scratch (DARTS's evaluation, or NAS-Bench-201's "
                                   "protocol) and save its history.")
    t.add_argument("--space", default=None, choices=SPACES,
                   help="search space (default: darts, or the space of --from-search)")
    cell = t.add_mutually_exclusive_group(required=True)
    cell.add_argument("--cell", help="a published cell: DARTS_V1, DARTS_V2, NASNET, AMOEBANET, ENAS, SNAS_MILD")
    cell.add_argument("--genotype", help="a genotype string (darts) or a NAS-Bench-201 string (nb201)")
    cell.add_argument("--from-search", metavar="DIR", help="the genotype found by the search in DIR")
    _run_options(t, "training", "runs/train-SPACE-NAME-PRESET-seedS")
    c = sub.add_parser("select", help="select a cell from a search's supernet: magnitude or perturbation (DARTS-PT)",
                       description="Select a discrete cell from the supernet of a finished search, by the magnitude "
                                   "of alpha or by DARTS-PT's perturbation-based selection.")
    c.add_argument("--method", default="pt", choices=("magnitude", "pt"), help="selection rule (default: pt)")
    c.add_argument("--from", dest="from_run", required=True, metavar="RUN_DIR", help="a search's run folder")
    c.add_argument("--preset", default=None, choices=PRESETS,
                   help="fine-tuning and measurement budget of pt (default: $NASCOURSE_PRESET, else tiny on a CPU)")
    c.add_argument("--seed", type=int, default=0, help="order of pt's decisions (default: 0)")
    c.add_argument("--device", default=None, help="cpu, cuda, ... (default: $NASCOURSE_DEVICE, else CUDA if present)")
    c.add_argument("--out", default=None, help="output folder (default: RUN_DIR/select-METHOD-seedS)")
    again = c.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue the interrupted selection in --out")
    again.add_argument("--overwrite", action="store_true", help="replace the selection already in --out")
    c.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _run_options(p: argparse.ArgumentParser, what: str, default_out: str) -> None:
    """The options every command that writes a run folder shares."""
    p.add_argument("--preset", default=None, choices=PRESETS,
                   help="sizes and budget (default: $NASCOURSE_PRESET, else tiny on a CPU, colab on a GPU)")
    p.add_argument("--epochs", type=int, default=None, help=f"{what} epochs (default: the preset's)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--device", default=None, help="cpu, cuda, ... (default: $NASCOURSE_DEVICE, else CUDA if present)")
    p.add_argument("--out", default=None, help=f"output folder (default: {default_out})")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help=f"continue the interrupted {what} in --out (same options as the first time)")
    again.add_argument("--overwrite", action="store_true", help=f"replace the {what} already in --out")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


# Library errors name their fixes in Python's words; the command line says them in its own.
_CLI_WORDS = [
    (r"\bresume=True\b", "--resume"),
    (r"\boverwrite=True\b", "--overwrite"),
    (r"\bwith fast=False\b", "without --fast"),
    (r"\bfast=True\b", "--fast"),
    (r"\bdevice='([^']*)'", r"--device \1"),
    (r"\bout=FOLDER\b", "--out FOLDER"),
    (r"\bout=(['\"])(.*?)\1", r"--out \2"),
    (r"\banother out folder\b", "another --out folder"),
    (r"\bepochs must\b", "--epochs must"),
    (r"\bseed must\b", "--seed must"),
    (r"\bearly_stop=True\b", "--early-stop"),
    (r"\bhessian_every=(\d+)", r"--hessian-every \1"),
    (r"\bset hessian_every\b", "set --hessian-every"),
    (r"\bleave hessian_every at 0\b", "leave out --hessian-every"),
    (r"\buse space='(\w+)'", r"use --space \1"),
]


def cli_words(message: str) -> str:
    """A library error message with its Python fixes (``resume=True``) turned into options (``--resume``)."""
    for pattern, replacement in _CLI_WORDS:
        message = re.sub(pattern, replacement, message)
    return message


def _command(args: argparse.Namespace, preset: str, out: str, resume: bool) -> str:
    """The command line that repeats this search, e.g. to resume it."""
    words = ["nascourse search", f"--space {args.space}", f"--method {args.method}", f"--preset {preset}",
             f"--seed {args.seed}"]
    words += [f"--epochs {args.epochs}"] if args.epochs is not None else []
    words += ["--fast"] if args.fast else []
    words += [f"{flag} {getattr(args, field)}" for flag, field, *_ in SEARCH_OPTIONS
              if getattr(args, field) is not None]
    words += ["--early-stop"] if args.early_stop else []
    words += [f"--out {out}"] + (["--resume"] if resume else [])
    return " ".join(words)


def run_search(args: argparse.Namespace) -> int:
    """``nascourse search``: run the search, print its genotype with its width and depth, and save the
    run. Returns the exit status: 0, or 130 after Ctrl-C (with the command that resumes it)."""
    # imported here so that `nascourse --help` answers at once
    from . import bench, plot
    from .config import get_preset
    from .history import make_config
    from .ops import DARTS_OPS, NB201_OPS
    from .runs import RunFolderError, prepare_folder
    from .search import SearchInterrupted, search

    if args.epochs is not None and args.epochs < 1:
        raise SystemExit(f"nascourse search: error: --epochs must be at least 1, got {args.epochs}")
    if args.seed < 0:
        raise SystemExit(f"nascourse search: error: --seed must be 0 or more, got {args.seed}")
    preset = get_preset(args.preset, args.device)
    overrides = {} if args.epochs is None else {"epochs": args.epochs}
    for flag, field, _, method, _ in SEARCH_OPTIONS:
        if getattr(args, field) is not None:
            if method not in (None, args.method):
                raise SystemExit(f"nascourse search: error: {flag} is an option of --method {method}, "
                                 f"not of {args.method}")
            overrides[field] = getattr(args, field)
    if args.early_stop:
        overrides["early_stop"] = True
    config = make_config(args.method, args.space, preset, **overrides)
    out = args.out or os.path.join("runs", f"{args.space}-{args.method}-{preset.name}-seed{args.seed}")
    print(f"{args.method} search on the {args.space} space, preset {preset.name}, {config.epochs} epochs, "
          f"seed {args.seed} -> {out}")
    # one writer at a time, from these checks to the last picture; refused here, before any work
    with prepare_folder(out, resume=args.resume, overwrite=args.overwrite, what="search"):
        start = time.perf_counter()
        try:
            result = search(config, seed=args.seed, device=args.device, out=out, resume=args.resume,
                            overwrite=args.overwrite, progress=not args.quiet, fast=args.fast)
        except SearchInterrupted as stopped:
            print(f"\n{cli_words(str(stopped).split(';')[0])}; checkpoint written to {out}. Continue with:\n  "
                  f"{_command(args, preset.name, out, resume=True)}", file=sys.stderr)
            return 130
        except RunFolderError as e:  # a checkpoint the disk refused: the command that resumes the last one
            if getattr(e, "resumable", False):
                raise RunFolderError(f"{e}: {_command(args, preset.name, out, resume=True)}") from None
            raise
        last = result.history[-1]
        if result.early_stop is not None:
            stop = result.early_stop
            print(f"DARTS-ES stopped the search after epoch {stop['fired']}: the local average of λ_max grew "
                  f"{stop['ratio']:.2f}x since epoch {stop['epoch']}, whose genotype is returned")
            last = result.history[stop["epoch"] - 1]
        print(f"finished in {time.perf_counter() - start:.1f} s; validation accuracy of the supernet "
              f"{100 * last['val_acc']:.1f}%")
        print(f"genotype: {result.genotype_str}")
        title = f"{args.method} (seed {args.seed}, epoch {last['epoch']})"
        if args.space == "darts":
            print(f"normal cell: width {last['width']:g}c, depth {last['depth']} (width: how much of the nodes "
                  "reads the cell's inputs, in units of c; depth: edges on the longest path)")
            print(_nb301_line(result.genotype, last))
            fig = plot.draw_genotype(result.genotype, title=title)
            ops, cells = DARTS_OPS, ("normal", "reduction")
        else:
            print(f"skip connections: {last['skip_connect']} of 6 edges")
            best, skips = bench.best("cifar10"), bench.lookup(["skip_connect"] * 6)
            print(f"NAS-Bench-201's measured CIFAR-10 test accuracy of this cell: "
                  f"{last['bench_cifar10_200']:.2f}% after 200 epochs of training, {last['bench_cifar10_12']:.2f}% after 12 (the best of the "
                  f"{bench.N_CELLS:,} cells: {best.cifar10:.2f}%; all skip connections: {skips.cifar10:.2f}%)")
            fig = plot.draw_nb201_cell(result.genotype, title=title).figure
            ops, cells = NB201_OPS, ("",)  # one cell: no panel title
        plot.save_figure(fig, os.path.join(out, "cell.png"))
        alphas = [[h["alpha"][i] for h in result.history] for i in range(len(cells))]  # per cell: epochs, (E, |O|)
        what = "the controller's edge frequencies" if args.method == "enas" else "softmax(α)"
        fig = plot.alpha_over_epochs_cells(alphas, ops, cell_names=cells, title=f"{what} over the epochs, "
                                           f"mean over edges ({args.method}, seed {args.seed})")
        plot.save_figure(fig, os.path.join(out, "alpha.png"))
        print(f"wrote {os.path.join(out, 'result.json')}, supernet.pt, checkpoint.pt, cell.png and alpha.png")
        return 0


def _nb301_line(genotype, record: dict) -> str:
    """The NAS-Bench-301 surrogate's prediction for the searched cell beside DARTS_V2's, or why there is none."""
    from . import nb301
    from .genotypes import DARTS_V2

    if record.get("nb301_val_98") is None:
        if not nb301.available():
            return "NAS-Bench-301's surrogate would predict this cell's accuracy: pip install onnxruntime"
        try:
            nb301.encode(genotype)
        except ValueError as e:
            return f"NAS-Bench-301's surrogate cannot score this cell: {e}"
        record = dict(zip(("nb301_val_12", "nb301_val_98"), nb301.predict(genotype, [12, 98])[0]))
    v2_12, v2_98 = nb301.predict(DARTS_V2, [12, 98])[0]
    return (f"NAS-Bench-301's surrogate predicts this cell's CIFAR-10 validation accuracy: "
            f"{record['nb301_val_98']:.2f}% after 98 epochs of training, {record['nb301_val_12']:.2f}% after 12 "
            f"(DARTS_V2: {v2_98:.2f}%, {v2_12:.2f}%; a model fitted on NAS-Bench-301's cells, not a measurement)")


def run_train(args: argparse.Namespace) -> int:
    """``nascourse train``: train the cell's network from scratch, print its test accuracy, and save the
    run. Returns the exit status: 0, or 130 after Ctrl-C (with how to resume)."""
    # imported here so that `nascourse --help` answers at once
    import hashlib

    import matplotlib.pyplot as plt

    from . import plot
    from .config import get_preset
    from .history import SearchResult
    from .runs import prepare_folder
    from .train import TrainingInterrupted, build_network, make_train_config, train

    if args.epochs is not None and args.epochs < 1:
        raise SystemExit(f"nascourse train: error: --epochs must be at least 1, got {args.epochs}")
    if args.seed < 0:
        raise SystemExit(f"nascourse train: error: --seed must be 0 or more, got {args.seed}")
    space, cell = args.space or "darts", args.cell or args.genotype
    if args.cell:
        name = args.cell.lower()
    elif args.genotype:
        name = "g" + hashlib.sha1(args.genotype.encode()).hexdigest()[:8]  # a short, stable name for the folder
    else:
        found = SearchResult.load(args.from_search)
        if not found.history:
            raise ValueError(f"the search in {args.from_search} has no finished epoch, so no genotype: resume it first")
        if args.space is not None and args.space != found.config.space:
            raise ValueError(f"--space {args.space} was given, but the search in {args.from_search} ran on "
                             f"{found.config.space}: drop --space or pass --space {found.config.space}")
        space, cell = found.config.space, found.genotype_str
        name = os.path.basename(os.path.normpath(args.from_search))
    preset = get_preset(args.preset, args.device)
    config = make_train_config(space, preset, **({} if args.epochs is None else {"epochs": args.epochs}))
    network = build_network(cell, config)
    out = args.out or os.path.join("runs", f"train-{space}-{name}-{preset.name}-seed{args.seed}")
    print(f"training {cell if args.cell else 'the cell ' + _short(cell)} on the {space} space, preset "
          f"{preset.name}, {config.epochs} epochs, seed {args.seed} -> {out}")
    # one writer at a time, from these checks to the last picture; refused here, before any work
    with prepare_folder(out, resume=args.resume, overwrite=args.overwrite, what="training"):
        start = time.perf_counter()
        try:
            result = train(network, config, seed=args.seed, device=args.device, out=out, resume=args.resume,
                           overwrite=args.overwrite, progress=not args.quiet)
        except TrainingInterrupted as stopped:
            print(f"\n{cli_words(str(stopped).split(';')[0])}; checkpoint written to {out}. Continue with the "
                  "same command and --resume", file=sys.stderr)
            return 130
        last = result.history[-1]
        print(f"finished in {time.perf_counter() - start:.1f} s; test accuracy {100 * last['test_acc']:.2f}% "
              f"(train accuracy {100 * last['train_acc']:.2f}%) after {last['epoch']} epochs")
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
        curves = {k: result.series(k) for k in ("train_loss", "test_loss", "train_acc", "test_acc")}
        plot.curves(curves, ["train_loss", "test_loss"], ax=ax_loss, ylabel="cross-entropy", title="loss")
        plot.curves(curves, ["train_acc", "test_acc"], ax=ax_acc, ylabel="accuracy", title="accuracy")
        plot.save_figure(fig, os.path.join(out, "curves.png"))
        print(f"wrote {os.path.join(out, 'result.json')}, checkpoint.pt and curves.png")
        return 0


def run_select(args: argparse.Namespace) -> int:
    """``nascourse select``: select a cell from a finished search's supernet, print it, and save the
    selection. Returns the exit status, 0 (a Ctrl-C reaches ``main``)."""
    # imported here so that `nascourse --help` answers at once
    import json

    from . import bench, plot
    from . import data as data_mod
    from . import select
    from .batches import search_split
    from .config import get_device, get_preset
    from .genotypes import genotype_to_str
    from .history import SearchResult
    from .runs import atomic_write, prepare_folder

    if args.seed < 0:
        raise SystemExit(f"nascourse select: error: --seed must be 0 or more, got {args.seed}")
    if not os.path.exists(os.path.join(args.from_run, "supernet.pt")):
        raise FileNotFoundError(f"{args.from_run} holds no supernet.pt (the trained supernet a selection needs): "
                                f"give the folder of a finished `nascourse search`")
    device = get_device(args.device)
    found = SearchResult.load(args.from_run, with_supernet=True, device=device)
    if found.config.method == "enas":
        raise ValueError(f"the search in {args.from_run} is ENAS's, whose controller chose its cell "
                         f"({found.genotype_str}); its supernet's alpha was never trained, so there is nothing "
                         "to select from it")
    supernet, space = found.supernet.to(device), found.config.space
    magnitude = select.magnitude(supernet)
    magnitude = magnitude if isinstance(magnitude, str) else genotype_to_str(magnitude)
    out = args.out or os.path.join(args.from_run, f"select-{args.method}-seed{args.seed}")
    # one writer at a time, from these checks to the last picture; refused here, before the data loads
    with prepare_folder(out, resume=args.resume and args.method == "pt", overwrite=args.overwrite,
                        what="selection"):
        start = time.perf_counter()
        if args.method == "magnitude":
            genotype = magnitude
            text = json.dumps({"method": "magnitude", "space": space, "genotype": genotype}, indent=1).encode()
            atomic_write(os.path.join(out, "result.json"), lambda f: f.write(text))
        else:
            preset = get_preset(args.preset, device)
            config = select.make_pt_config(space, preset.name)
            c = found.config
            train_loader, val_loader = search_split(data_mod.load_dataset("cifar10"), c.batch_size, c.image_size,
                                                    c.search_images, device, found.seed)
            print(f"perturbation-based selection (DARTS-PT) of the supernet in {args.from_run}, preset {preset.name}, "
                  f"seed {args.seed} -> {out}")
            genotype = select.perturbation_select(supernet, config, train_loader, val_loader, seed=args.seed, out=out,
                                                  resume=args.resume, overwrite=args.overwrite,
                                                  progress=not args.quiet).genotype
        print(f"finished in {time.perf_counter() - start:.1f} s; {args.method} selection: {genotype}")
        if space == "nb201":
            for label, cell in (("this selection", genotype), ("magnitude (argmax of alpha)", magnitude)):
                record = bench.lookup(cell)
                print(f"NAS-Bench-201's CIFAR-10 test accuracy, {label}: {record.cifar10:.2f}% after 200 epochs, "
                      f"{record.cifar10_test12:.2f}% after 12")
            fig = plot.draw_nb201_cell(genotype, title=f"{args.method} selection").figure
        else:
            print(f"magnitude (argmax of alpha) would select: {magnitude}")
            fig = plot.draw_genotype(genotype, title=f"{args.method} selection")
        plot.save_figure(fig, os.path.join(out, "cell.png"))
        print(f"wrote {os.path.join(out, 'result.json')} and cell.png")
        return 0


def _short(cell: str) -> str:
    """A genotype string, shortened for a one-line message."""
    return cell if len(cell) <= 60 else cell[:57] + "..."


def main(argv: list[str] | None = None) -> int:
    """Run the command in ``argv`` (default: ``sys.argv[1:]``) and return its exit status: 2 with a
    one-line message for a wrong setting or a missing file, 130 after Ctrl-C."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "search":
            return run_search(args)
        if args.command == "train":
            return run_train(args)
        if args.command == "select":
            return run_select(args)
    except (ValueError, TypeError, FileNotFoundError, RuntimeError, FloatingPointError) as e:
        print(f"nascourse {args.command}: error: {cli_words(str(e))}", file=sys.stderr)
        return 2
    except OSError as e:  # a disk error the library did not name: still one line, with the path and the fix
        from .folders import disk_error

        error = disk_error(e, e.filename or "a file", "write" if e.filename else "read or write")
        print(f"nascourse {args.command}: error: {cli_words(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C, or one outside the search loop
        print(f"\nnascourse {args.command}: interrupted", file=sys.stderr)
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
