"""Do wide, shallow cells win on NAS-Bench-201, and does the answer depend on the training budget?

Shu et al. ("Understanding architectures learnt by cell-based neural architecture search", ICLR
2020) observed that cell-based searches return wide, shallow cells, and argued that searches pick
them because they converge fastest, not because they generalise best. NAS-Bench-201 (Dong & Yang, ICLR 2020) lets us check this on every
cell of a small space, with two budgets: 12 and 200 training epochs (``nascourse.bench``).

Everything here is computed over the 15,284 connected cells (a cell whose output is cut off
from its input has no width or depth). Correlations are Spearman's rho (the Pearson correlation
of average ranks), written out in numpy below. Width and depth are those of
``nascourse.nb201.nb201_width_depth``.

A confounder: a cell with more convolutions is more accurate, and it also has more edges (a
convolution is never ``none``), so it tends to be both wider and deeper (Spearman's rho of the
conv count with width and with depth is about 0.25 each). So the width and depth correlations
are computed WITHIN groups of cells with the same number of convolutions (nor_conv_1x1 +
nor_conv_3x3, 0 to 6), then averaged with the group sizes as weights.

Used from lesson 04 on.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nascourse import bench
from nascourse.nb201 import nb201_connected, nb201_width_depth
from nascourse.ops import NB201_OPS

CONV_CODES = [NB201_OPS.index("nor_conv_1x1"), NB201_OPS.index("nor_conv_3x3")]
DATASETS = ("cifar10", "cifar100", "imagenet16")


# ------ Ranks and Spearman's rho, numpy only -------------------------------------------------------

def rankdata(x: np.ndarray) -> np.ndarray:
    """Ascending ranks 1..n of a 1-d array; tied values get the average of their ranks.

    [10, 20, 20, 30] -> [1, 2.5, 2.5, 4]
    """
    x = np.asarray(x, dtype=float)
    if x.ndim != 1 or np.isnan(x).any():
        raise ValueError(f"rankdata needs a 1-d array without NaN, got shape {x.shape}")
    _, group, counts = np.unique(x, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)  # rank of the last member of each group of equal values
    return (last - (counts - 1) / 2.0)[group.ravel()]  # mean of ranks last-count+1 .. last


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho: the Pearson correlation of the average ranks of x and y.

    NaN if x or y is constant (the correlation is undefined).

    Oracle for grading: ``check_spearman`` compares answers with it.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 2:
        raise ValueError(f"spearman needs two 1-d arrays of the same length >= 2, got {x.shape} and {y.shape}")
    rx, ry = rankdata(x) - (len(x) + 1) / 2, rankdata(y) - (len(y) + 1) / 2  # centred ranks
    denom = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else float("nan")


# ------ Shape of every cell ------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def shapes() -> dict[str, np.ndarray]:
    """Per-cell topology, row i = benchmark index i, all (15625,), read-only.

    ``connected`` bool; ``width`` float (NaN where not connected); ``depth`` int (0 where not
    connected); ``convs`` int, the number of nor_conv_1x1 and nor_conv_3x3 edges.

    Oracle for grading: ``check_group_depth_rho`` compares answers with it.
    """
    ops = bench.table()["ops"]  # (15625, 6) op codes
    names = [[NB201_OPS[k] for k in row] for row in ops.tolist()]
    connected = np.array([nb201_connected(a) for a in names])
    width, depth = np.full(len(names), np.nan), np.zeros(len(names), dtype=np.int64)
    for i in np.flatnonzero(connected):
        width[i], depth[i] = nb201_width_depth(names[i])
    out = {"connected": connected, "width": width, "depth": depth,
           "convs": np.isin(ops, CONV_CODES).sum(axis=1)}
    for a in out.values():
        a.flags.writeable = False
    return out


def metric_values(target: str | np.ndarray) -> np.ndarray:
    """A metric name (``bench.METRICS``) or a (15625,) array -> a (15625,) float array, one value per cell
    in the benchmark's order; an oracle for checkers that grade answers computed over the table."""
    if isinstance(target, str):
        bench.check_metric(target)
        return bench.table()[target]
    values = np.asarray(target, dtype=float)
    if values.shape != (bench.N_CELLS,):
        raise ValueError(f"expected one value per cell, shape ({bench.N_CELLS},), got {values.shape}")
    return values


# ------ The two budgets ----------------------------------------------------------------------------

def _check_dataset(dataset: str) -> None:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {list(DATASETS)}")


def budget_spearman(dataset: str = "cifar10") -> float:
    """Spearman's rho between 12-epoch and 200-epoch test accuracy over the connected cells."""
    _check_dataset(dataset)
    c = shapes()["connected"]
    return spearman(metric_values(f"{dataset}_test12")[c], metric_values(dataset)[c])


def rank_change(dataset: str = "cifar10") -> np.ndarray:
    """(15625,) rank after 12 epochs minus rank after 200 epochs (test accuracy; NaN if not connected).

    Ranks are among the connected cells, 1 = best, average ranks for ties; positive means the
    cell climbs when it is trained longer.
    """
    _check_dataset(dataset)
    c = shapes()["connected"]
    n = c.sum()
    rank12 = n + 1 - rankdata(metric_values(f"{dataset}_test12")[c])  # n + 1 - ascending rank: 1 = best
    rank200 = n + 1 - rankdata(metric_values(dataset)[c])
    out = np.full(bench.N_CELLS, np.nan)
    out[c] = rank12 - rank200
    return out


# ------ Width and depth against accuracy, within conv-count groups ---------------------------------

@dataclass(frozen=True)
class GroupCorrelation:
    """Spearman's rho of width and of depth with a target, among cells with ``convs`` convolutions."""

    convs: int  # number of nor_conv_1x1 + nor_conv_3x3 edges
    size: int  # connected cells in the group
    width: float  # NaN when width or the target is constant in the group
    depth: float


@dataclass(frozen=True)
class ShapeCorrelation:
    """Width and depth against one target: per conv-count group, and summarised."""

    groups: tuple[GroupCorrelation, ...]
    width: float  # size-weighted mean of the groups' rho (groups with NaN left out)
    depth: float
    pooled_width: float  # rho over all connected cells, conv count ignored (for comparison)
    pooled_depth: float


def _weighted(values: list[float], sizes: list[int]) -> float:
    v, w = np.array(values), np.array(sizes, dtype=float)
    ok = ~np.isnan(v)
    return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")


def shape_correlations(target: str | np.ndarray = "cifar10") -> ShapeCorrelation:
    """Spearman's rho of width and depth with ``target`` within each conv-count group.

    ``target``: a name in ``bench.METRICS`` or any (15625,) array, e.g. ``rank_change()``.
    """
    s, values = shapes(), metric_values(target)
    c = s["connected"]
    groups = []
    for k in range(len(bench.NB201_EDGES) + 1):
        g = c & (s["convs"] == k)
        if g.sum() >= 2:
            groups.append(GroupCorrelation(k, int(g.sum()), spearman(s["width"][g], values[g]),
                                           spearman(s["depth"][g], values[g])))
        elif g.any():
            groups.append(GroupCorrelation(k, int(g.sum()), float("nan"), float("nan")))
    sizes = [g.size for g in groups]
    return ShapeCorrelation(tuple(groups), _weighted([g.width for g in groups], sizes),
                            _weighted([g.depth for g in groups], sizes),
                            spearman(s["width"][c], values[c]), spearman(s["depth"][c], values[c]))


def within_groups(x: np.ndarray, y: np.ndarray, groups: np.ndarray, draws: int = 300,
                  seed: int = 0) -> tuple[float, float, float, float]:
    """Spearman's rho of ``x`` with ``y`` within groups, pooled as :func:`shape_correlations` pools it.

    ``x``, ``y``, ``groups``: (n,) arrays. The estimate is the size-weighted mean of the groups' rho
    (groups of one cell, or with a constant ``x`` or ``y``, left out). The 95 % interval is a
    bootstrap that resamples cells within each group (``draws`` resamples); p is two-sided, from
    ``draws`` permutations of ``y`` within each group. Returns (estimate, low, high, p).
    """
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]

    def stat(xs, ys):
        rhos, sizes = [], []
        for m in members:
            r = spearman(xs[m], ys[m]) if len(m) >= 2 else float("nan")
            if not np.isnan(r):
                rhos.append(r)
                sizes.append(len(m))
        return float(np.dot(rhos, sizes) / np.sum(sizes))

    rng = np.random.default_rng(seed)
    estimate = stat(x, y)
    boot, null = [], 0
    for _ in range(draws):
        xs, ys = x.copy(), y.copy()
        for m in members:
            take = rng.choice(m, size=len(m))
            xs[m], ys[m] = x[take], y[take]
        boot.append(stat(xs, ys))
    for _ in range(draws):
        ys = y.copy()
        for m in members:
            ys[m] = y[rng.permutation(m)]
        null += abs(stat(x, ys)) >= abs(estimate)
    return estimate, float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)), (null + 1) / (draws + 1)


# ------ The shape of the best cells ----------------------------------------------------------------

@dataclass(frozen=True)
class MeanShape:
    """Mean width, depth and conv count of a set of connected cells."""

    n: int
    width: float  # in units of c
    depth: float
    convs: float


def _mean_shape(rows: np.ndarray) -> MeanShape:
    s = shapes()
    return MeanShape(len(rows), float(s["width"][rows].mean()), float(s["depth"][rows].mean()),
                     float(s["convs"][rows].mean()))


def top_shape(metric: str = "cifar10", k: int = 100) -> MeanShape:
    """Mean shape of the k connected cells with the highest ``metric`` (ties: lower index first)."""
    values, c = metric_values(metric), shapes()["connected"]
    rows = np.flatnonzero(c)
    order = np.argsort(-values[rows], kind="stable")  # descending; stable keeps index order in ties
    return _mean_shape(rows[order[:k]])


def connected_shape() -> MeanShape:
    """Mean shape of all connected cells, the baseline for ``top_shape``."""
    return _mean_shape(np.flatnonzero(shapes()["connected"]))
