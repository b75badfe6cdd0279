"""Flat architectures: score a cell by its neighbourhood, not by itself alone.

Neighbourhood-aware NAS (Wang, Cao, Li & Kitani, BMVC 2021) scores an architecture by aggregating
performance over its neighbourhood, to find "flat-minima architectures" whose performance survives
small changes (their example: a convolution replaced by a skip connection), on the assumption
that flat minima generalise better. Only the paper's abstract could be read for this course:
**everything below is the course's reconstruction, not the paper's formulation**:

* the neighbourhood of a NAS-Bench-201 cell is the 24 cells one edge's operation away (Hamming
  distance 1, ``nb201.nb201_neighbours``);
* a cell's neighbourhood score is the mean (or the worst, ``agg="min"``) of a measure over the
  cell and all its neighbours, or ``k`` neighbours drawn at random;
* NA-RS samples cells uniformly, scores each by its neighbourhood's benchmark validation
  accuracy, and returns the best-scoring one; RS returns the cell with the best own validation
  accuracy. Budgets count benchmark queries (a cell queried twice counts once), so RS gets as
  many queries as NA-RS spends on neighbours.

``neighbour_table`` and ``neighbourhood_scores`` work on the whole benchmark at once (all 15,625
cells in milliseconds), ``random_search`` and ``na_random_search`` run hundreds of seeds in a
second; ``neighbourhood_score`` takes any measure (a look-up, a supernet evaluation, a trained
network's accuracy). Lesson 07 uses them.

NA-DARTS (also the course's reconstruction, spec 6.3) needs a neighbourhood of a *relaxed*
architecture p = softmax(alpha): a neighbour moves ``m`` random edges a fraction ``beta`` of the
way towards one other operation (``perturbed_weights``), and the architecture step descends the
mean validation loss of p and ``k`` such neighbours (``neighbourhood_loss``; ``search.py`` runs it
as the method ``nadarts``). An architecture whose loss stays low when an edge is swapped is
preferred over one that sits in a narrow valley.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from . import bench, stats
from .nb201 import NB201_EDGES, nb201_neighbours
from .ops import NB201_OPS

__all__ = ["neighbour_table", "neighbourhood_scores", "neighbourhood_score", "SearchOutcome", "random_search",
           "na_random_search", "perturbed_weights", "neighbourhood_loss"]

AGGREGATES = ("mean", "min")


def _check_agg(agg: str) -> None:
    if agg not in AGGREGATES:
        raise ValueError(f"agg must be one of {AGGREGATES} (the mean or the worst over the neighbourhood), got {agg!r}")


@functools.lru_cache(maxsize=1)
def neighbour_table() -> np.ndarray:
    """(15625, 24) benchmark indices: row i holds the neighbours of cell i in ``nb201_neighbours``'s
    order (edge by edge, then operation by operation). Read-only."""
    t = bench.table()
    n_ops, n_edges = len(NB201_OPS), len(NB201_EDGES)
    codes = t["ops"].astype(np.int64)  # (15625, 6)
    base = n_ops ** np.arange(n_edges - 1, -1, -1)  # edge e is digit e, most significant first
    out = np.empty((bench.N_CELLS, n_edges * (n_ops - 1)), dtype=np.int64)
    col = 0
    index_of_code = bench._load()["_index_of_code"]
    others = np.array([[o for o in range(n_ops) if o != c] for c in range(n_ops)])  # (5, 4): the ops other than c
    for e in range(n_edges):
        alt = others[codes[:, e]]  # (15625, 4): the other op codes of edge e, in NB201_OPS order
        for j in range(n_ops - 1):
            changed = codes.copy()
            changed[:, e] = alt[:, j]
            out[:, col] = index_of_code[changed @ base]
            col += 1
    out.setflags(write=False)
    return out


def _values(metric: str | np.ndarray) -> np.ndarray:
    if isinstance(metric, str):
        bench.check_metric(metric)
        return bench.table()[metric]
    values = np.asarray(metric, dtype=np.float64)
    if values.shape != (bench.N_CELLS,):
        raise ValueError(f"a measure over the benchmark needs one value per cell, shape ({bench.N_CELLS},), "
                         f"got {values.shape}")
    return values


def neighbourhood_scores(metric: str | np.ndarray = "cifar10_val12", agg: str = "mean") -> np.ndarray:
    """(15625,) the aggregate of ``metric`` over every cell and its 24 neighbours (the whole neighbourhood).

    ``metric``: a benchmark metric name or one value per cell (e.g. a loss you computed)."""
    _check_agg(agg)
    values = _values(metric)
    block = np.concatenate([values[:, None], values[neighbour_table()]], axis=1)  # (15625, 25)
    return block.mean(axis=1) if agg == "mean" else block.min(axis=1)


def neighbourhood_score(cell, measure, agg: str = "mean", k: int | None = None,
                        rng: np.random.Generator | None = None, neighbours=nb201_neighbours) -> float:
    """The aggregate of ``measure`` over ``cell`` and its neighbours at distance 1: all of them
    (``k=None``) or ``k`` drawn without replacement by ``rng``.

    ``measure(cell) -> float`` is any measure (``lambda c: bench.lookup(c).cifar10_val12``, a
    supernet's accuracy with the cell's one-hot weights...); ``neighbours`` lists a cell's
    neighbours (``nb201_neighbours``, or ``variants.darts_neighbours`` for a DARTS genotype).
    """
    _check_agg(agg)
    around = neighbours(cell)
    if k is not None:
        if not isinstance(k, int) or not 0 <= k <= len(around):
            raise ValueError(f"k must be a whole number from 0 to {len(around)} (the neighbours to draw), got {k!r}")
        if rng is None:
            raise ValueError("drawing k neighbours needs rng=np.random.default_rng(seed)")
        around = [around[i] for i in rng.choice(len(around), size=k, replace=False)]
    values = [float(measure(cell))] + [float(measure(c)) for c in around]
    return float(np.mean(values)) if agg == "mean" else float(min(values))


@dataclass(frozen=True)
class SearchOutcome:
    """What a batch of random searches (one per seed) returned: per seed, the chosen cell's index,
    its ``report`` metric (test accuracy), its own ``select`` metric, and the queries spent."""

    chosen: np.ndarray  # (seeds,) benchmark indices
    test: np.ndarray  # (seeds,) the chosen cells' report metric
    own: np.ndarray  # (seeds,) the chosen cells' own select metric
    queries: np.ndarray  # (seeds,) distinct cells queried

    def summary(self) -> str:
        """One line: the mean report metric with its 95 % interval, its sd (n - 1) over the seeds, and the
        mean queries, e.g. "test accuracy 92.66 [92.53, 92.76] % (sd 0.99) over 300 seeds (248 queries on average)"."""
        if len(self.test) < 2:
            return f"test accuracy {self.test.mean():.2f} % over 1 seed ({self.queries.mean():.0f} queries)"
        ci = stats.mean_ci(self.test)
        return (f"test accuracy {ci.estimate:.2f} [{ci.low:.2f}, {ci.high:.2f}] % (sd {stats.sd(self.test):.2f}) "
                f"over {len(self.test)} seeds ({self.queries.mean():.0f} queries on average)")


def _check_search(n: int, seeds: int, select: str, report: str) -> None:
    for name, v in (("n", n), ("seeds", seeds)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {v!r}")
    if n > bench.N_CELLS:
        raise ValueError(f"n must be at most {bench.N_CELLS} (the benchmark's cells), got {n}")
    bench.check_metric(select)
    bench.check_metric(report)


def random_search(n: int, seeds: int = 100, select: str = "cifar10_val12", report: str = "cifar10",
                  seed: int = 0) -> SearchOutcome:
    """RS, ``seeds`` times: draw ``n`` distinct cells uniformly, keep the best by ``select`` (12-epoch
    validation accuracy, what a cheap search could afford), report its ``report`` (200-epoch test)."""
    _check_search(n, seeds, select, report)
    rng = np.random.default_rng(seed)
    own, test = bench.table()[select], bench.table()[report]
    drawn = np.stack([rng.choice(bench.N_CELLS, size=n, replace=False) for _ in range(seeds)])  # (seeds, n), as NA-RS
    chosen = drawn[np.arange(seeds), np.argmax(own[drawn], axis=1)]
    return SearchOutcome(chosen, test[chosen], own[chosen], np.full(seeds, n))


def na_random_search(n: int, k: int | None = None, seeds: int = 100, agg: str = "mean",
                     select: str = "cifar10_val12", report: str = "cifar10", seed: int = 0) -> SearchOutcome:
    """NA-RS, ``seeds`` times: draw ``n`` distinct cells, score each by ``agg`` of ``select`` over
    itself and ``k`` random neighbours (None: all 24), keep the best score, report its ``report``.
    ``queries`` counts the distinct cells whose ``select`` was read (samples and neighbours)."""
    _check_search(n, seeds, select, report)
    _check_agg(agg)
    width = neighbour_table().shape[1]
    if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= width):
        raise ValueError(f"k must be None (all {width} neighbours) or a whole number from 0 to {width}, got {k!r}")
    rng = np.random.default_rng(seed)  # the cells: the same draws as random_search with this seed
    pick_rng = np.random.default_rng([seed, 1])  # the neighbours, a separate stream
    own, test = bench.table()[select], bench.table()[report]
    chosen, queries = np.empty(seeds, dtype=np.int64), np.empty(seeds, dtype=np.int64)
    for s in range(seeds):
        drawn = rng.choice(bench.N_CELLS, size=n, replace=False)
        around = neighbour_table()[drawn]  # (n, 24)
        if k is not None:
            pick = np.argsort(pick_rng.random(around.shape), axis=1)[:, :k]
            around = np.take_along_axis(around, pick, axis=1)
        block = np.concatenate([drawn[:, None], around], axis=1)  # (n, 1 + k)
        score = own[block].mean(axis=1) if agg == "mean" else own[block].min(axis=1)
        chosen[s] = drawn[np.argmax(score)]
        queries[s] = len(np.unique(block))
    return SearchOutcome(chosen, test[chosen], own[chosen], queries)



# ---------------------------------------------------------------------------------------------
# NA-DARTS: the neighbourhood of a relaxed architecture, differentiable in alpha


def perturbed_weights(probs: list[torch.Tensor], m: int, beta: float, generator: torch.Generator) -> list[torch.Tensor]:
    """One neighbour of the relaxed architecture p = softmax(alpha) (the course's NA-DARTS, spec 6.3).

    ``m`` edges are drawn without replacement among all edges of all cell types (6 on NAS-Bench-201,
    2 x 14 in the DARTS space); each drawn edge's row becomes p'_e = (1 - beta) p_e + beta onehot(o),
    with o drawn uniformly among the operations other than the edge's current strongest, so that
    the neighbour leans towards a cell one operation away (``none`` included: an edge removed).
    Other rows are p itself. p' is a function of p, so gradients reach alpha through it.
    """
    edges = [(t, e) for t, p in enumerate(probs) for e in range(len(p))]
    if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= len(edges):
        raise ValueError(f"m must be a whole number from 1 to {len(edges)} (the edges to perturb), got {m!r}")
    if not 0 < beta <= 1:
        raise ValueError(f"beta must be in (0, 1] (how far each perturbed edge moves towards one operation), "
                         f"got {beta!r}")
    n_ops = probs[0].shape[1]
    mix = [torch.zeros(len(p), 1, dtype=p.dtype) for p in probs]  # (E, 1): beta on the drawn rows
    target = [torch.zeros(p.shape, dtype=p.dtype) for p in probs]  # (E, |O|): beta * onehot(o) there
    for i in torch.randperm(len(edges), generator=generator)[:m].tolist():
        t, e = edges[i]
        current = int(probs[t][e].detach().argmax())
        o = [j for j in range(n_ops) if j != current][int(torch.randint(n_ops - 1, (1,), generator=generator))]
        mix[t][e, 0] = beta
        target[t][e, o] = beta
    return [p * (1 - w.to(p.device)) + b.to(p.device) for p, w, b in zip(probs, mix, target)]


def neighbourhood_loss(loss_of, probs: list[torch.Tensor], k: int, m: int, beta: float,
                       generator: torch.Generator) -> torch.Tensor:
    """NA-DARTS's architecture loss: (1 / (k + 1)) [L(p) + sum over k neighbours p' of L(p')].

    ``loss_of(weights)`` is the validation loss of the supernet mixed with ``weights``; with k = 0
    this is L(p) itself, the DARTS architecture loss, to the last bit.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a whole number >= 0 (the neighbours per step; 0 is DARTS), got {k!r}")
    total = loss_of(probs)
    for _ in range(k):
        total = total + loss_of(perturbed_weights(probs, m, beta, generator))
    return total / (k + 1)
