"""How well a weight-sharing supernet ranks NAS-Bench-201 cells, whom it favours, and what it costs.

One-shot NAS rests on a premise: the accuracy a cell reaches with the supernet's shared weights
ranks cells as training each of them would. NAS-Bench-201 knows every cell's real accuracy, so the
premise can be measured (Yu et al., ICLR 2020; Ning et al., NeurIPS 2021, do it at full scale):

* :func:`score_cells` scores cells with a trained supernet: each cell is the supernet's path with a
  one-hot weight on the cell's operation of every edge, evaluated on the same fixed validation
  batches. BatchNorm is handled one of two ways (``bn=``): ``"recalibrate"`` (the default, as
  single-path one-shot evaluation does: the running statistics are recomputed for the cell on
  training batches, then the cell is evaluated with them) or ``"batch"`` (each validation batch is
  normalised with its own statistics, as DARTS-PT scores supernets). The supernet comes back as
  it went in.
* :func:`stratified_sample` draws cells so that every number of convolutions (0 to 6) is present:
  a uniform sample is mostly cells with two or three convolutions.
* :func:`agreement` compares a ranking with the benchmark: Kendall's tau and Spearman's rho with
  intervals (``nascourse.stats``), overall and within conv-count groups, and the precision of the
  top k.
* :func:`favours` asks whom a ranker favours: within conv-count groups, the rank correlation of
  each cell's rank error (its rank by the ranker minus its true rank; positive = ranked too low)
  with its depth and its width. If the supernet's errors correlate with depth as the 12-epoch
  ranking's do, the supernet ranks like short training.
* :func:`regret` is the cost: how far the ranker's top-1 (or best of its top k) falls below the
  best cell, in accuracy points and in true rank. :func:`depth_aware_pick` is one remedy to test:
  among the ranker's top k, take the deepest cell.

Ranks are 1 for the best. "Truth" is a NAS-Bench-201 metric (``bench.METRICS``, e.g. ``cifar10``
after 200 epochs or ``cifar10_val12`` after 12) or an array of one value per sampled cell.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from . import bench, bench_analysis, stats
from .nb201 import as_nb201, nb201_format

BN_MODES = ("recalibrate", "batch")


# ------ Scoring cells with the shared weights ------------------------------------------------------

def _check_supernet(supernet) -> None:
    if getattr(supernet, "space", None) != "nb201":
        raise ValueError(f"ranking scores NAS-Bench-201 cells, but this supernet is of the "
                         f"{getattr(supernet, 'space', type(supernet).__name__)!r} space: train one with "
                         "make_config(method, 'nb201', preset)")


def one_hot(supernet, cell) -> list[Tensor]:
    """The supernet's weights that select ``cell`` (a NAS-Bench-201 string, index or 6 op names):
    ``[w]`` with ``w`` of shape ``(6, |O|)``, 1 on each edge's operation and 0 elsewhere."""
    _check_supernet(supernet)
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
        cell = bench.cell_of(int(cell))
    ops = as_nb201(cell)  # ValueError naming the problem for a cell not in the space
    missing = [o for o in ops if o not in supernet.ops]
    if missing:
        raise ValueError(f"cell {nb201_format(ops)} uses {missing}, which this supernet does not have "
                         f"(its operations: {supernet.ops})")
    (alpha,) = supernet.arch_parameters()
    w = torch.zeros_like(alpha, requires_grad=False)
    for e, name in enumerate(ops):
        w[e, supernet.ops.index(name)] = 1.0
    return [w]


def fixed_batches(loader, n: int) -> list[tuple[Tensor, Tensor]]:
    """The first ``n`` batches of a loader as a list, so that every cell sees the same images."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"the number of batches must be a whole number of at least 1, got {n!r}")
    out = []
    for x, y in loader:
        out.append((x, y))
        if len(out) == n:
            break
    if not out:
        raise ValueError("the loader gave no batches: score cells on a loader with data")
    return out


@contextlib.contextmanager
def _recalibrating(model: nn.Module):
    """Reset BN's running statistics to a plain average over the batches seen inside the block;
    put back the statistics, the momenta and the mode afterwards."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    saved = [(m.momentum, {k: v.clone() for k, v in m.named_buffers(recurse=False)}) for m in bns]
    was_training = model.training
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    try:
        yield model
    finally:
        for m, (momentum, buffers) in zip(bns, saved):
            m.momentum = momentum
            for k, v in m.named_buffers(recurse=False):
                v.copy_(buffers[k])
        model.train(was_training)


@torch.no_grad()
def _accuracy(supernet, weights, val_batches) -> float:
    correct, total = 0.0, 0
    for x, y in val_batches:
        logits = supernet(x, weights)
        correct += float((logits.argmax(1) == y).sum())
        total += len(y)
    return correct / total


@torch.no_grad()
def score_one(supernet, cell, train_batches, val_batches, bn: str = "recalibrate") -> float:
    """Validation accuracy (0..1) of one cell with the supernet's shared weights (see ``score_cells``)."""
    if bn not in BN_MODES:
        raise ValueError(f"bn must be one of {BN_MODES}, got {bn!r}")
    weights = one_hot(supernet, cell)
    if bn == "batch":
        with _recalibrating(supernet):  # only to restore the buffers that train mode updates
            supernet.train()
            return _accuracy(supernet, weights, val_batches)
    with _recalibrating(supernet):
        supernet.train()
        for x, _ in train_batches:
            supernet(x, weights)
        supernet.eval()
        return _accuracy(supernet, weights, val_batches)


def score_cells(supernet, cells, train_batches, val_batches, bn: str = "recalibrate") -> np.ndarray:
    """Each cell's validation accuracy (0..1) with the supernet's shared weights, (len(cells),).

    Args:
        supernet: a trained ``NB201Supernet`` (any method: DARTS, RSWS, fixed α, ...).
        cells: NAS-Bench-201 strings, indices or lists of 6 op names.
        train_batches: ``[(x, y), ...]`` for BN recalibration (``fixed_batches(train_loader, 10)``);
            unused when ``bn="batch"``.
        val_batches: ``[(x, y), ...]``, the same for every cell, so that scores compare.
        bn: ``"recalibrate"`` or ``"batch"`` (see the module's docstring).
    """
    cells = list(cells)
    if not cells:
        raise ValueError("no cells to score: pass at least one NAS-Bench-201 cell")
    if bn not in BN_MODES:
        raise ValueError(f"bn must be one of {BN_MODES}, got {bn!r}")
    if bn == "recalibrate" and not train_batches:
        raise ValueError("bn='recalibrate' recomputes BN statistics on training batches: pass some "
                         "(fixed_batches(train_loader, 10)) or use bn='batch'")
    if not val_batches:
        raise ValueError("no validation batches: pass fixed_batches(val_loader, n)")
    _check_supernet(supernet)
    return np.array([score_one(supernet, c, train_batches, val_batches, bn) for c in cells])


# ------ Which cells to score --------------------------------------------------------------------

def stratified_sample(per_group: int, seed: int = 0, connected: bool = True) -> np.ndarray:
    """Benchmark indices: ``per_group`` cells (or all, if fewer) of each conv count 0..6, sorted.

    With ``connected`` (the default) only cells whose output is reached from the input, since the
    others all score chance level under any ranker."""
    if not isinstance(per_group, int) or isinstance(per_group, bool) or per_group < 1:
        raise ValueError(f"per_group must be a whole number of at least 1, got {per_group!r}")
    shapes = bench_analysis.shapes()
    rng = np.random.default_rng(seed)
    picked = []
    for convs in range(7):
        members = np.flatnonzero((shapes["convs"] == convs) & (shapes["connected"] | (not connected)))
        picked.append(rng.choice(members, size=min(per_group, len(members)), replace=False))
    return np.sort(np.concatenate(picked))


def _indices(cells) -> np.ndarray:
    cells = list(cells)
    if not cells:
        raise ValueError("no cells: pass at least two NAS-Bench-201 cells")
    return np.array([int(c) if isinstance(c, (int, np.integer)) else bench.index_of(c) for c in cells])


def _truth(truth, idx: np.ndarray) -> np.ndarray:
    if isinstance(truth, str):
        bench.check_metric(truth)
        return bench.table()[truth][idx].astype(float)
    values = np.asarray(truth, dtype=float)
    if values.shape != idx.shape:
        raise ValueError(f"truth must be a metric name or one value per cell, shape {idx.shape}, got {values.shape}")
    return values


def ranks(values) -> np.ndarray:
    """Ranks with 1 for the highest value; ties share the average rank."""
    return len(values) + 1 - stats.rankdata(np.asarray(values, dtype=float))


# ------ Agreement with the benchmark -------------------------------------------------------------

def tau_b(x, y) -> float:
    """Kendall's tau-b by its definition over all pairs, without interval or test: for the many small
    rankings of a saved run (``stats.kendall`` gives the interval and p of one)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    i, j = np.triu_indices(len(x), 1)
    sx, sy = np.sign(x[i] - x[j]), np.sign(y[i] - y[j])
    denom = np.sqrt(np.count_nonzero(sx) * np.count_nonzero(sy))
    return float((sx * sy).sum() / denom) if denom else float("nan")


def pooled_rho(x, y, groups) -> float:
    """Spearman's rho within groups of at least 3, averaged with the groups' sizes as weights: the
    estimate of :func:`within_groups`, without its interval and test."""
    x, y, groups = (np.asarray(a) for a in (x, y, groups))
    rhos, sizes = [], []
    for g in np.unique(groups):
        m = groups == g
        r = bench_analysis.spearman(x[m].astype(float), y[m].astype(float)) if m.sum() >= 3 else float("nan")
        if not np.isnan(r):
            rhos.append(r)
            sizes.append(int(m.sum()))
    return float(np.dot(rhos, sizes) / np.sum(sizes)) if rhos else float("nan")


def within_groups(x, y, groups, draws: int = 1000, seed: int = 0) -> stats.Correlation:
    """Spearman's rho of x and y within each group, pooled as ``bench_analysis.within_groups`` pools it
    (size-weighted mean; interval resampling cells within groups; p permuting y within groups, so a
    difference between the groups' levels cannot make a correlation), as a ``stats.Correlation``."""
    x, y, groups = (np.asarray(a) for a in (x, y, groups))
    if not (len(x) == len(y) == len(groups)):
        raise ValueError(f"x, y and groups must be of one length; got {len(x)}, {len(y)}, {len(groups)}")
    sizes = np.unique(groups, return_counts=True)[1] if len(groups) else np.array([])
    if not (sizes >= 3).any():
        raise ValueError("within_groups needs a group of at least 3 values; every group here is smaller")
    constant = all(np.ptp(x[groups == g]) == 0 or np.ptp(y[groups == g]) == 0 for g in np.unique(groups))
    if constant:  # x or y constant in every group: no correlation to speak of
        return stats.Correlation(math.nan, math.nan, math.nan, math.nan, len(x), "undefined (constant)", "rho")
    estimate, low, high, p = bench_analysis.within_groups(x.astype(float), y.astype(float), groups, draws, seed)
    return stats.Correlation(estimate, low, high, p, len(x), "permutation within groups", "rho")


@dataclass(frozen=True)
class Agreement:
    """How a ranking agrees with one truth: overall and within conv-count groups."""

    truth: str
    kendall: stats.Correlation
    spearman: stats.Correlation
    spearman_within: stats.Correlation  # within conv-count groups
    top_k: int
    precision: float  # share of the ranker's top k that are among the truth's top k

    def __str__(self) -> str:
        return (f"{self.truth}: Kendall {self.kendall}; Spearman {self.spearman}; within conv groups "
                f"{self.spearman_within}; top-{self.top_k} precision {self.precision:.2f}")


def agreement(scores, cells, truth: str = "cifar10", top_k: int = 10, n_boot: int = 1000, seed: int = 0) -> Agreement:
    """Kendall's tau, Spearman's rho (overall and within conv-count groups) and top-k precision of
    ``scores`` against the benchmark's ``truth`` over ``cells``."""
    idx = _indices(cells)
    scores = np.asarray(scores, dtype=float)
    if scores.shape != idx.shape:
        raise ValueError(f"one score per cell: {len(idx)} cells, scores shaped {scores.shape}")
    if not isinstance(top_k, int) or not 1 <= top_k <= len(idx):
        raise ValueError(f"top_k must be a whole number from 1 to the {len(idx)} cells, got {top_k!r}")
    y = _truth(truth, idx)
    convs = bench_analysis.shapes()["convs"][idx]
    ours, theirs = np.argsort(-scores, kind="stable")[:top_k], np.argsort(-y, kind="stable")[:top_k]
    name = truth if isinstance(truth, str) else "truth"
    return Agreement(name, stats.kendall(scores, y, n_boot=n_boot, seed=seed),
                     stats.spearman(scores, y, n_boot=n_boot, seed=seed),
                     within_groups(scores, y, convs, n_boot, seed), top_k,
                     len(set(ours.tolist()) & set(theirs.tolist())) / top_k)


@dataclass(frozen=True)
class Favour:
    """Whom a ranker favours: within conv-count groups, the correlation of its rank errors
    (its rank minus the true rank; positive = the ranker puts the cell too low) with depth and width."""

    truth: str
    depth: stats.Correlation
    width: stats.Correlation

    def __str__(self) -> str:
        return f"rank error against {self.truth}: with depth {self.depth}; with width {self.width}"


def rank_errors(scores, truth_values) -> np.ndarray:
    """Each cell's rank by ``scores`` minus its rank by ``truth_values`` (1 = best; positive = ranked too low)."""
    scores, truth_values = np.asarray(scores, dtype=float), np.asarray(truth_values, dtype=float)
    if scores.shape != truth_values.shape:
        raise ValueError(f"scores {scores.shape} and truth {truth_values.shape} must have one value per cell")
    return ranks(scores) - ranks(truth_values)


def favours(scores, cells, truth: str = "cifar10", n_boot: int = 1000, seed: int = 0) -> Favour:
    """Within conv-count groups, Spearman's rho of the rank error with depth and with width.

    rho > 0 with depth: the deeper a cell, the lower the ranker puts it against the truth, so
    the ranker favours shallow cells; rho < 0 with width: it favours wide ones."""
    idx = _indices(cells)
    shapes = bench_analysis.shapes()
    if not shapes["connected"][idx].all():
        raise ValueError("width and depth need connected cells: sample with stratified_sample(connected=True)")
    errors = rank_errors(scores, _truth(truth, idx))
    convs = shapes["convs"][idx]
    name = truth if isinstance(truth, str) else "truth"
    return Favour(name, within_groups(errors, shapes["depth"][idx], convs, n_boot, seed),
                  within_groups(errors, shapes["width"][idx], convs, n_boot, seed))


# ------ The cost -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Regret:
    """The cost of trusting a ranker: its pick against the best cell of the candidates."""

    k: int
    pick: int  # benchmark index of the best (by truth) of the ranker's top k
    points: float  # best truth among the candidates minus the pick's truth (accuracy points)
    rank: float  # the pick's true rank among the candidates (1 = the best)


def regret(scores, cells, truth: str = "cifar10", k: int = 1) -> Regret:
    """The regret of the ranker's top ``k``: the best truth among the candidates minus the best truth
    among the ranker's k top-scored cells (ties in the score: the cell listed first).

    A perfect ranker has regret 0; one that ranks exactly backwards has, at k = 1, the spread of
    the truth over the candidates."""
    idx = _indices(cells)
    scores = np.asarray(scores, dtype=float)
    if scores.shape != idx.shape:
        raise ValueError(f"one score per cell: {len(idx)} cells, scores shaped {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("a score is NaN: the supernet's accuracy on some cell was not computed")
    if not isinstance(k, int) or not 1 <= k <= len(idx):
        raise ValueError(f"k must be a whole number from 1 to the {len(idx)} cells, got {k!r}")
    y = _truth(truth, idx)
    top = np.argsort(-scores, kind="stable")[:k]
    best = top[np.argmax(y[top])]
    return Regret(k, int(idx[best]), float(y.max() - y[best]), float(ranks(y)[best]))


def depth_aware_pick(scores, cells, k: int = 5) -> int:
    """A remedy for a ranker that favours shallow cells: the deepest of its top ``k`` (ties: the
    higher score). Returns the benchmark index of the pick."""
    idx = _indices(cells)
    scores = np.asarray(scores, dtype=float)
    if scores.shape != idx.shape or not isinstance(k, int) or not 1 <= k <= len(idx):
        raise ValueError(f"one score per cell and k from 1 to {len(idx)}; got scores {scores.shape}, k={k!r}")
    top = np.argsort(-scores, kind="stable")[:k]
    depth = bench_analysis.shapes()["depth"][idx[top]]
    return int(idx[top[max(range(k), key=lambda i: (depth[i], -i))]])
