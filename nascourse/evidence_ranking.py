"""Step (i) of the course's argument and the cost of the preference, measured on NAS-Bench-201.

Lesson 08's claims, from the saved runs that ``nascourse.cost`` reads (``ranking-nb201``,
``selection-nb201``): does a weight-sharing supernet rank cells as their full or their short
training does, whom do its rank errors favour, is a search's cell better than random search with a
small budget of 12-epoch look-ups, and does the depth-aware remedy help. Per supernet kind, a
quantity measured once per seed is averaged over the seeds with Student's t interval and tested
against 0 with the exact sign-flip test (``nascourse.stats.paired_test``).

Used by ``nascourse.evidence`` (its ``MEASUREMENTS``) and lesson 08.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import bench, bench_analysis, cost, ranking
from .cost import REMEDY_K
from .claims import _f, _row, _scale, _stats

RANDOM_BUDGET = 20  # look-ups of random search: the paths RSWS ranks at its last epoch at this recipe
RANDOM_DRAWS = 1000
PERMUTATIONS = 1000  # draws of the permutation tests across seeds
TAU_DRAWS = 300  # the same for Kendall's tau, which costs more per draw


def _scale_of(record: dict, what: str) -> dict:
    st = record["settings"]
    return _scale(f"NB201 supernet C={st['C']} N={st['N']}, {st['image_size']}x{st['image_size']} images, "
                  f"{what}", st["search_images"], st["epochs"], 0, "seeds")


def _over_seeds(values) -> tuple[float, float | None, float | None, tuple[str, float] | None]:
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), None, None, None
    ci = _stats().mean_ci(values, method="t")
    test = _stats().paired_test(values, np.zeros(len(values)))
    return ci.estimate, ci.low, ci.high, (test.method, test.p)


def _scaled(scale: dict, n: int) -> dict:
    return {**scale, "n": n}


def _across_seeds(stat, xs, ys, groups, draws: int = PERMUTATIONS, seed: int = 0):
    """Mean over seeds of ``stat(x, y, groups)``, Student's t interval over the seeds, and a permutation p
    that shuffles y within each seed's groups (so thousands of cells, not five seeds, carry the test)."""
    values = np.array([stat(x, y, g) for x, y, g in zip(xs, ys, groups)])
    estimate = float(values.mean())
    ci = _stats().mean_ci(values, method="t") if len(values) >= 2 else None
    rng, extreme = np.random.default_rng(seed), 0
    members = [[np.flatnonzero(g == k) for k in np.unique(g)] for g in groups]
    for _ in range(draws):
        null = []
        for x, y, g, ms in zip(xs, ys, groups, members):
            order = np.arange(len(y))
            for m in ms:
                order[m] = rng.permutation(m)
            null.append(stat(x, y[order], g))
        extreme += abs(np.mean(null)) >= abs(estimate) - 1e-12
    p = (extreme + 1) / (draws + 1)
    return values, estimate, None if ci is None else ci.low, None if ci is None else ci.high, \
        (f"permutation within seeds ({draws})", p)


def premise(results_dir: Path) -> list[dict]:
    """Per supernet kind: Kendall tau with the 200- and 12-epoch truth, and the depth and width biases."""
    folder = Path(results_dir) / "ranking-nb201"
    table, shapes = bench.table(), bench_analysis.shapes()
    rows = []
    for kind in cost.KINDS:
        records = [r for r in cost.runs(folder, kind).values() if "scored" in r]
        if not records:
            continue
        cells = [np.array(r["scored"]["cells"]) for r in records]
        scores = [np.array(r["scored"]["recalibrate"], dtype=float) for r in records]
        scale = _scaled(_scale_of(records[0], f"{cost.KINDS[kind]} supernet scoring {len(cells[0])} stratified "
                                              "cells (recalibrated BN); NB201 CIFAR-10 accuracy"), len(records))
        one = [np.zeros(len(c), dtype=int) for c in cells]
        tau = lambda x, y, g: ranking.tau_b(x, y)  # noqa: E731
        for key, metric, what in (("ws-ranks-cells", "cifar10", "200-epoch test"),
                                  ("ws-like-short", "cifar10_val12", "12-epoch validation")):
            truth = [table[metric][c] for c in cells]
            values, est, low, high, test = _across_seeds(tau, scores, truth, one, draws=TAU_DRAWS)
            short = [ranking.tau_b(table["cifar10_val12"][c], table["cifar10"][c]) for c in cells]
            note = f"by seed {' / '.join(_f(v) for v in values)}"
            if key == "ws-ranks-cells":
                note += f"; the 12-epoch validation ranking of the same cells: tau {_f(np.mean(short))}"
            rows.append(_row(key, kind, scale, f"Kendall tau(supernet score, {what} accuracy), mean over seeds",
                             est, low, high, "tau", test, note))
        convs = [shapes["convs"][c] for c in cells]
        errors = [ranking.rank_errors(s, table["cifar10"][c]) for s, c in zip(scores, cells)]
        errors12 = [ranking.rank_errors(table["cifar10_val12"][c], table["cifar10"][c]) for c in cells]
        rho = lambda x, y, g: bench_analysis.spearman(x, y)  # noqa: E731
        values, est, low, high, test = _across_seeds(rho, errors, [c.astype(float) for c in convs], one)
        short = [bench_analysis.spearman(e, c.astype(float)) for e, c in zip(errors12, convs)]
        rows.append(_row("ws-favours-simple", kind, scale, "rho(rank error, number of convolutions), mean over seeds",
                         est, low, high, "rho", test,
                         f"by seed {' / '.join(_f(v) for v in values)}; rho(supernet score, convolutions) "
                         f"{_f(np.mean([bench_analysis.spearman(s, c) for s, c in zip(scores, convs)]))}, "
                         f"rho(200-epoch accuracy, convolutions) "
                         f"{_f(np.mean([bench_analysis.spearman(table['cifar10'][c], v) for c, v in zip(cells, convs)]))}"
                         f"; the 12-epoch validation ranking's: {_f(np.mean(short))}"))
        for key, field in (("ws-favours-shallow", "depth"), ("ws-favours-wide", "width")):
            shape = [shapes[field][c].astype(float) for c in cells]
            values, est, low, high, test = _across_seeds(ranking.pooled_rho, errors, shape, convs)
            short = [ranking.pooled_rho(e, s, g) for e, s, g in zip(errors12, shape, convs)]
            rows.append(_row(key, kind, scale, f"rho(rank error, {field}) within conv-count groups, mean over seeds",
                             est, low, high, "rho", test,
                             f"by seed {' / '.join(_f(v) for v in values)}; the 12-epoch validation ranking's: "
                             f"{_f(np.mean(short))} (by seed {' / '.join(_f(b) for b in short)})"))
    return rows


def search_vs_random(results_dir: Path) -> list[dict]:
    """Each search with two or more seeds against random search's best of 20 by 12-epoch validation."""
    results_dir = Path(results_dir)
    random = bench.table()["cifar10"][cost.random_search(RANDOM_BUDGET, draws=RANDOM_DRAWS)]
    picks = cost.picks(results_dir)
    record = next(iter(cost.runs(results_dir / "ranking-nb201", "rsws").values()), None)
    if record is None:
        return []
    rows = []
    for name, suffix in (("DARTS 1st order", "darts1"), ("DARTS 2nd order", "darts2"), ("RSWS (best of 20 paths)", "rsws"),
                         ("GDAS", "gdas"),
                         ("SNAS", "snas"), ("DARTS + PT", "darts-pt"), ("fixed α + PT", "fixed-pt")):
        if len(picks.get(name, {})) < 2:
            continue
        acc = bench.table()["cifar10"][list(picks[name].values())]
        test = _stats().permutation_test(acc, random, n_perm=10_000, seed=0)
        ci = test.ci
        scale = _scaled(_scale_of(record, f"{name}, its cell's NB201 200-epoch CIFAR-10 test accuracy against "
                                          f"{RANDOM_DRAWS} draws of random search"), len(acc))
        rows.append(_row("search-beats-random", suffix, scale, "mean accuracy of the search's cells minus random "
                         "search's", test.statistic, None if ci is None else ci.low, None if ci is None else ci.high,
                         "points", (test.method, test.p),
                         f"{' / '.join(_f(a) for a in acc)} % by seed; random search {_f(random.mean())} % on "
                         f"average; regret of the search {_f(bench.table()['cifar10'].max() - acc.mean())} points"))
    return rows


def remedy(results_dir: Path) -> list[dict]:
    """The deepest of the top five against the top one: per supernet kind over seeds, and for the 12-epoch
    validation ranking over random samples of the same size."""
    results_dir = Path(results_dir)
    folder = results_dir / "ranking-nb201"
    t = bench.table()["cifar10"]
    picks = cost.picks(results_dir)
    rows = []
    for kind in cost.KINDS:
        scored = [r for r in cost.runs(folder, kind).values() if "scored" in r]
        if len(scored) < 2:
            continue
        top1 = t[list(picks[f"top-1 of the sample by the {kind} supernet"].values())]
        deep = t[list(picks[f"deepest of the top {REMEDY_K} by the {kind} supernet"].values())]
        est, low, high, test = _over_seeds(np.array(deep) - np.array(top1))
        scale = _scaled(_scale_of(scored[0], f"{cost.KINDS[kind]} supernet's ranking of its stratified sample; "
                                             "NB201 200-epoch accuracy"), len(scored))
        rows.append(_row("depth-remedy", kind, scale, "accuracy of the deepest of the top five minus the top "
                         "cell's", est, low, high, "points", test,
                         f"top cell {' / '.join(_f(a) for a in top1)} %, deepest of five "
                         f"{' / '.join(_f(a) for a in deep)} %"))
    rng = np.random.default_rng(0)
    connected = np.flatnonzero(bench_analysis.shapes()["connected"])
    val12 = bench.table()["cifar10_val12"]
    n = len(scored[0]["scored"]["cells"]) if scored else 210
    diffs = []
    for _ in range(RANDOM_DRAWS):
        cells = rng.choice(connected, size=n, replace=False)
        diffs.append(t[ranking.depth_aware_pick(val12[cells], cells, k=REMEDY_K)] - t[cells[np.argmax(val12[cells])]])
    test = _stats().paired_test(np.array(diffs), np.zeros(len(diffs)), n_perm=10_000, seed=0)
    ci = _stats().mean_ci(diffs, method="t")
    scale = _scale(f"the 12-epoch validation ranking of {n} random connected cells; NB201 200-epoch accuracy",
                   None, 12, RANDOM_DRAWS, "samples")
    rows.append(_row("depth-remedy", "12-epoch", scale, "accuracy of the deepest of the top five minus the top "
                     "cell's", ci.estimate, ci.low, ci.high, "points", (test.method, test.p),
                     f"better in {int(np.sum(np.array(diffs) > 0))}, worse in {int(np.sum(np.array(diffs) < 0))} of "
                     f"{RANDOM_DRAWS} samples"))
    return rows


MEASUREMENTS = (premise, search_vs_random, remedy)
