"""What each selector picks on NAS-Bench-201, and what trusting it costs: the saved runs summarised.

Lesson 08 and the evidence table read the course's saved NAS-Bench-201 runs through this module:

* ``ranking-nb201/<method>-seed<S>.json`` (``scripts/ranking_nb201.py``): searches at the larger
  recipe with their final cells, per-epoch λ_max for DARTS-ES, and for the ``rsws``, ``darts1`` and
  ``fixed`` supernets the scores of a stratified sample of cells (``ranking.score_cells``);
* ``selection-nb201/seed<S>.json`` (lesson 06): DARTS + PT and fixed α + PT on supernets of the same recipe;
* ``flatness-nb201/<method>-seed<S>.json`` (lesson 07): DARTS and NA-DARTS with α's learning rate 3·10⁻³.

:func:`premise` measures step (i) of the course's argument per supernet kind and seed (Kendall's
tau against the 200- and 12-epoch truth, and whom the supernet's rank errors favour, beside the
same for the 12-epoch ranking); :func:`picks` lists every selector's cell per seed; :func:`cost_table`
turns them into accuracy, regret and true rank with intervals over seeds. Accuracies are
NAS-Bench-201's CIFAR-10 test accuracy (%) after 200 epochs unless named otherwise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import bench, bench_analysis, ranking, sharpness, stats

KINDS = {"rsws": "uniform single path (RSWS)", "darts1": "DARTS (α-weighted)", "fixed": "fixed α"}
ES_SCALED = dict(window=3, delta=2, start_epoch=2)  # RobustDARTS's rule (5, 4, from epoch 10 of 50) shrunk to 12
TOP_K = 10  # top-k precision
REMEDY_K = 5  # the depth-aware remedy takes the deepest of the ranker's top REMEDY_K


def _read(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def runs(folder: str | Path, method: str) -> dict[int, dict]:
    """seed -> the saved record ``<method>-seed<S>.json`` in ``folder`` (empty if none)."""
    folder = Path(folder)
    prefix = f"{method}-seed"
    return dict(sorted((int(p.stem[len(prefix):]), _read(p)) for p in folder.glob(f"{prefix}*.json")))


# ------ Step (i): does the supernet rank like short training? -------------------------------------

@dataclass(frozen=True)
class SeedPremise:
    """One supernet's ranking of its stratified sample (one seed, one BN mode)."""

    kind: str
    seed: int
    bn: str
    n: int
    tau_200: float  # Kendall's tau of the supernet's scores with the 200-epoch test accuracy
    tau_12: float  # ... with the 12-epoch validation accuracy
    tau_12_vs_200: float  # the 12-epoch ranking's own tau with the 200-epoch truth, same cells
    rho_within_200: float  # Spearman's rho with the 200-epoch accuracy within conv-count groups
    precision_200: float  # share of the supernet's top 10 among the true top 10 of the sample
    depth_bias: float  # within conv groups: rho(rank error against 200 epochs, depth); > 0 = favours shallow
    width_bias: float  # ... with width; < 0 = favours wide
    depth_bias_12: float  # the same for the 12-epoch ranking
    width_bias_12: float
    rho_convs: float  # Spearman's rho of the supernet's scores with the number of convolutions
    rho_convs_200: float  # ... of the 200-epoch accuracy with it, same cells


def seed_premise(record: dict, bn: str = "recalibrate") -> SeedPremise:
    """Step (i) for one saved supernet (``record["scored"]``): estimates only; ``evidence_ranking`` gives
    the intervals and tests over seeds."""
    if "scored" not in record:
        raise ValueError(f"{record.get('method')} seed {record.get('seed')} holds no scored sample: "
                         "run scripts/ranking_nb201.py with --score")
    cells = np.array(record["scored"]["cells"])
    scores = np.array(record["scored"][bn], dtype=float)
    t, shapes = bench.table(), bench_analysis.shapes()
    y200, y12 = t["cifar10"][cells], t["cifar10_val12"][cells]
    convs = shapes["convs"][cells]
    top = set(np.argsort(-scores, kind="stable")[:TOP_K].tolist()) & set(np.argsort(-y200, kind="stable")[:TOP_K].tolist())
    errors, errors12 = ranking.rank_errors(scores, y200), ranking.rank_errors(y12, y200)
    depth, width = shapes["depth"][cells].astype(float), shapes["width"][cells]
    return SeedPremise(record["method"], record["seed"], bn, len(cells), ranking.tau_b(scores, y200),
                       ranking.tau_b(scores, y12), ranking.tau_b(y12, y200), ranking.pooled_rho(scores, y200, convs),
                       len(top) / TOP_K, ranking.pooled_rho(errors, depth, convs),
                       ranking.pooled_rho(errors, width, convs), ranking.pooled_rho(errors12, depth, convs),
                       ranking.pooled_rho(errors12, width, convs), bench_analysis.spearman(scores, convs.astype(float)),
                       bench_analysis.spearman(y200, convs.astype(float)))


def premise(folder: str | Path, bn: str = "recalibrate") -> dict[str, list[SeedPremise]]:
    """kind -> one :class:`SeedPremise` per saved seed, for the kinds in ``KINDS`` that have runs."""
    out = {}
    for kind in KINDS:
        seeds = runs(folder, kind)
        scored = [seed_premise(r, bn) for r in seeds.values() if "scored" in r]
        if scored:
            out[kind] = scored
    return out


# ------ What each selector picks ---------------------------------------------------------------------

def es_cell(record: dict, rule: dict = ES_SCALED) -> str:
    """DARTS-ES on a saved search's λ_max trajectory: the cell of the epoch the rule points to,
    or the final cell if it never fires."""
    epochs = [e for e in record["epochs"] if e.get("alpha_eig") is not None]
    if not epochs:
        raise ValueError(f"{record.get('method')} seed {record.get('seed')} recorded no λ_max (hessian_every=0)")
    stop = sharpness.darts_es([e["epoch"] for e in epochs], [e["alpha_eig"] for e in epochs], **rule)
    if stop is None:
        return record["final"]["cell"]
    return next(e["cell"] for e in record["epochs"] if e["epoch"] == stop.epoch)


def _sample_pick(record: dict, how: str, bn: str = "recalibrate") -> int:
    cells = np.array(record["scored"]["cells"])
    scores = np.array(record["scored"][bn], dtype=float)
    if how == "top1":
        return int(cells[np.argsort(-scores, kind="stable")[0]])
    return ranking.depth_aware_pick(scores, cells, k=int(how.removeprefix("deepest")))


def picks(results_dir: str | Path) -> dict[str, dict[int, int]]:
    """selector -> seed -> the benchmark index of the cell it picks, for every selector with saved runs."""
    results_dir = Path(results_dir)
    ranked = results_dir / "ranking-nb201"
    out: dict[str, dict[int, int]] = {}

    def put(name, seed, cell):
        out.setdefault(name, {})[seed] = int(cell) if isinstance(cell, (int, np.integer)) else bench.index_of(cell)

    for method, name in (("darts1", "DARTS 1st order"), ("gdas", "GDAS"), ("snas", "SNAS"),
                         ("darts2", "DARTS 2nd order"), ("idarts", "iDARTS"), ("rsws", "RSWS (best of 20 paths)")):
        for seed, r in runs(ranked, method).items():
            put(name, seed, r["final"]["cell"])
            if method == "darts1" and any(e.get("alpha_eig") is not None for e in r["epochs"]):
                put("DARTS-ES (rule scaled to 12 epochs)", seed, es_cell(r))
    for kind in KINDS:
        for seed, r in runs(ranked, kind).items():
            if "scored" in r:
                put(f"top-1 of the sample by the {kind} supernet", seed, _sample_pick(r, "top1"))
                put(f"deepest of the top {REMEDY_K} by the {kind} supernet", seed,
                    _sample_pick(r, f"deepest{REMEDY_K}"))
    selection = results_dir / "selection-nb201"
    for p in sorted(selection.glob("seed*.json")):
        r = _read(p)
        put("DARTS + PT", r["seed"], r["supernets"]["darts1"]["pt"]["cell"])
        put("fixed α + PT", r["seed"], r["supernets"]["fixed"]["pt"]["cell"])
    flat = results_dir / "flatness-nb201"
    for method, name in (("nadarts", "NA-DARTS (α lr 3e-3)"), ("darts1", "DARTS 1st order (α lr 3e-3)")):
        for seed, r in runs(flat, method).items():
            put(name, seed, r["genotype"])
    return out


def random_search(budget: int, metric: str = "cifar10_val12", draws: int = 1000, seed: int = 0) -> np.ndarray:
    """Benchmark indices picked by random search: the best by ``metric`` of ``budget`` uniform cells, per draw."""
    if not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a whole number of at least 1, got {budget!r}")
    bench.check_metric(metric)
    values = bench.table()[metric]
    rng = np.random.default_rng(seed)
    draws_ = rng.integers(0, bench.N_CELLS, size=(draws, budget))
    return draws_[np.arange(draws), np.argmax(values[draws_], axis=1)]


# ------ The cost ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostRow:
    """One selector over its seeds: the 200-epoch accuracy of what it picks, and the shape of it."""

    selector: str
    n: int
    accuracy: stats.Interval  # mean 200-epoch test accuracy [95 % t interval]
    regret: float  # mean points below the best cell of the space
    rank: float  # median true rank in the space (1 = best)
    width: float  # mean width of the picks (NaN if none is connected)
    depth: float  # mean depth
    accuracies: tuple[float, ...]  # per seed (or draw)


def _row(name: str, indices) -> CostRow:
    idx = np.asarray(list(indices), dtype=int)
    t, shapes = bench.table(), bench_analysis.shapes()
    acc = t["cifar10"][idx]
    best = float(t["cifar10"].max())
    ranks = [1 + int(np.count_nonzero(t["cifar10"] > a)) for a in acc]
    live = shapes["connected"][idx]
    width = float(np.mean(shapes["width"][idx][live])) if live.any() else float("nan")
    depth = float(np.mean(shapes["depth"][idx][live])) if live.any() else float("nan")
    interval = stats.mean_ci(acc) if len(acc) >= 2 else stats.Interval(float(acc[0]), float("nan"), float("nan"), 1)
    return CostRow(name, len(idx), interval, best - float(acc.mean()), float(np.median(ranks)), width, depth,
                   tuple(float(a) for a in acc))


def cost_table(results_dir: str | Path, random_budget: int = 20) -> list[CostRow]:
    """Every selector with saved runs, then the reference points: random search with ``random_budget``
    look-ups of the 12-epoch validation accuracy (1,000 draws), the best cell by 12-epoch validation and
    by 12-epoch test accuracy, and the best cell of the space."""
    rows = [_row(name, by_seed.values()) for name, by_seed in picks(results_dir).items()]
    t = bench.table()
    rows.append(_row(f"random search, best of {random_budget} by 12-epoch validation (1,000 draws)",
                     random_search(random_budget)))
    rows.append(_row("best cell by 12-epoch validation accuracy", [int(np.argmax(t["cifar10_val12"]))]))
    rows.append(_row("best cell by 12-epoch test accuracy", [int(np.argmax(t["cifar10_test12"]))]))
    rows.append(_row("best cell of the space", [int(np.argmax(t["cifar10"]))]))
    return rows
