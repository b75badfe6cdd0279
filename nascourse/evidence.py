"""The course's evidence: each claim of ``nascourse.claims`` measured from the saved runs.

One function per claim (or group of claims) reads the saved runs under ``lessons/results/``, or
the NAS-Bench-201 table, or solves small exact problems, and returns rows of the evidence table:
the scale it was measured at, the effect with its 95 % interval, the test, and the verdict that
:func:`nascourse.claims.verdict` gives. :func:`compute` runs them all; ``scripts/evidence.py``
writes the result to ``lessons/results/evidence/evidence.json`` and the README's table. Reading
the table (``load``, ``show``, ``render_markdown``) lives in ``nascourse.claims`` and is
re-exported here, so a lesson writes ``evidence.show("04")``.

Tests are two-sided. Intervals and permutation p-values come from ``nascourse.stats`` with fixed
seeds, and every stored number is rounded to 4 significant digits, so regenerating the file gives
the same bytes. An interval over a handful of seeds is Student's t (a bootstrap interval of 3 to 5
values is too narrow); over cells, searches or swap draws it is a bootstrap interval.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import numpy as np

from . import bench, bench_analysis, evidence_nb301, evidence_ranking, flatness, genotypes, sharpness, variants
from .claims import (CLAIMS, COMMAND, EVIDENCE_PATH, HELD, IN_DIRECTION, NOT_HELD, UNTESTABLE,  # noqa: F401
                     VERDICTS, Claim, _f, _row, _scale, _stats, evidence_path, load, render_markdown, show, verdict)
from .methods import make_config
from .nb201 import NB201_EDGES
from .ops import NB201_OPS

DRAWS = 300  # bootstrap and permutation draws of the tests computed here over the benchmark's cells
PERMUTATIONS = 10_000  # random splits of a two-sample permutation test (p is at least 1/10,001)


# ------ Reading the saved runs ------------------------------------------------------------------------

def _read(path: Path) -> dict:
    return json.loads(Path(path).read_text())


def _by_seed(folder: Path, method: str | None = None) -> dict[int, dict]:
    """seed -> record of ``<method>-seed<S>.json`` (or ``seed<S>.json`` when method is None)."""
    prefix = "seed" if method is None else f"{method}-seed"
    out = {int(p.stem[len(prefix):]): _read(p) for p in folder.glob(f"{prefix}*.json")}
    if not out:
        raise FileNotFoundError(f"no {prefix}*.json in {folder}: the saved runs the evidence reads are missing")
    return dict(sorted(out.items()))


def _paired(a, b) -> tuple[float, float, float, tuple[str, float] | None]:
    """Mean of a - b over seeds (or runs), Student's t interval, and the sign-flip test (none for one pair).

    Student's t, not the bootstrap: with 3 to 5 values a bootstrap interval is too narrow."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2:
        return float((a - b).mean()), None, None, None
    t = _stats().paired_test(a, b)
    ci = _stats().mean_ci(a - b, method="t")
    return float(np.mean(a - b)), ci.low, ci.high, (f"paired {t.method}", t.p)


# ------ Lesson 04: wide and shallow cells ----------------------------------------------------------

def wide_converge(results_dir: Path) -> list[dict]:
    """Spearman's rho of width with the test loss averaged over the 12 epochs (and both seeds)."""
    folder = results_dir / "width-family"
    runs = {int(p.name[4:]): {r["name"]: r for r in map(_read, sorted(p.glob("*.json")))}
            for p in sorted(folder.glob("seed*"))}
    names = sorted(runs[min(runs)])
    width = np.array([runs[min(runs)][n]["width"] for n in names], dtype=float)
    depth = np.array([runs[min(runs)][n]["depth"] for n in names], dtype=float)
    losses = np.array([[[h["test_loss"] for h in runs[s][n]["history"]] for n in names] for s in runs])  # (S, cells, E)
    area = losses.mean(axis=(0, 2))  # mean test loss over epochs and seeds: lower = faster
    r = _stats().spearman(width, area, seed=0)
    per_epoch = [bench_analysis.spearman(width, losses[s, :, e]) for s in range(len(runs))
                 for e in range(losses.shape[2])]
    rd = bench_analysis.spearman(depth, area)
    cfg = runs[min(runs)][names[0]]["config"]
    scale = _scale(f"DARTS evaluation network, C = {cfg['C']}, {cfg['layers']} cells, {cfg['image_size']} x "
                   f"{cfg['image_size']}, batch {cfg['batch_size']}; DARTS_V2, its widest form, c1-c12 "
                   f"({len(runs)} seeds)", cfg["train_images"], cfg["epochs"], len(names), "cells")
    narrowest = [i for i, n in enumerate(names) if depth[i] == depth.max() and width[i] == width.min()]
    rest = np.setdiff1d(np.arange(len(names)), narrowest)
    note = (f"rho(width, test loss) < 0 at {sum(v < 0 for v in per_epoch)} of {len(per_epoch)} (epoch, seed) "
            f"pairs; rho(depth, mean test loss) = {rd:+.3f}; without the {len(narrowest)} narrowest, deepest cells "
            f"({', '.join(names[i] for i in narrowest)}) rho(width, mean test loss) = "
            f"{bench_analysis.spearman(width[rest], area[rest]):+.3f}")
    return [_row("wide-converge", None, scale, "Spearman rho(width, test loss averaged over epochs)",
                 r.estimate, r.low, r.high, "rho", (f"Spearman, {r.method}", r.p), note)]


@functools.lru_cache(maxsize=1)
def _random_darts_shapes(n: int = 2000) -> np.ndarray:
    """(n, 2) width and depth of the normal cells of uniform DARTS-space genotypes, seeds 0..n-1."""
    return np.array([genotypes.genotype_width_depth(variants.sample_darts_genotype(s))["normal"] for s in range(n)],
                    dtype=float)


def searched_shapes(results_dir: Path) -> list[dict]:
    """Widths and depths of the searched normal cells against uniform random cells (permutation tests)."""
    rand = _random_darts_shapes()
    rows = []
    for suffix, folder in (("tiny", "method-cells-tiny"), ("larger", "method-cells")):
        runs = [_read(p) for p in sorted((results_dir / folder).glob("*-seed*.json"))]
        shapes = np.array([(r["normal"]["width"], r["normal"]["depth"]) for r in runs], dtype=float)
        methods = sorted({r["method"] for r in runs})
        c = make_config(runs[0]["method"], "darts", "tiny", **runs[0].get("overrides", {}))  # what the runs used
        scale = _scale(f"{len(methods)} weight-sharing searches ({', '.join(methods)}), DARTS space, tiny preset's "
                       f"supernet (C = {c.C}, {c.layers} cells, {c.image_size} x {c.image_size}); against "
                       f"{len(rand)} uniform random cells", c.search_images, c.epochs, len(runs), "searches")
        for key, col, unit in (("searches-wide", 0, "c"), ("searches-shallow", 1, "edges")):
            t = _stats().permutation_test(shapes[:, col], rand[:, col], n_perm=PERMUTATIONS)
            est = float(shapes[:, col].mean() - rand[:, col].mean())
            note = (f"searched {shapes[:, col].mean():.3f}, random {rand[:, col].mean():.3f}"
                    + (f"; at least 3c wide: {100 * np.mean(shapes[:, 0] >= 3):.0f} % against "
                       f"{100 * np.mean(rand[:, 0] >= 3):.0f} %" if col == 0 else ""))
            rows.append(_row(key, suffix, scale, f"mean {'width' if col == 0 else 'depth'} of searched normal "
                             f"cells minus random", est, t.ci.low, t.ci.high, unit,
                             (f"two-sample {t.method}", t.p), note))
    return rows


def _within_groups(x: np.ndarray, y: np.ndarray, groups: np.ndarray, seed: int = 0):
    """Spearman's rho within groups, its interval and p (``bench_analysis.within_groups``, DRAWS draws)."""
    return bench_analysis.within_groups(x, y, groups, DRAWS, seed)


def short_budget(results_dir: Path) -> list[dict]:
    """NAS-Bench-201: rho of depth and width with the rank gained from 12 to 200 epochs, within conv counts."""
    s = bench_analysis.shapes()
    c = s["connected"]
    gain = bench_analysis.rank_change("cifar10")
    scale = _scale("NAS-Bench-201 table: every connected cell's CIFAR-10 test accuracy after 12 and after 200 "
                   "epochs; rho within equal numbers of convolutions", None, None, int(c.sum()), "cells")
    corr = bench_analysis.shape_correlations(gain)
    rows = []
    for key, col in (("short-budget-depth", "depth"), ("short-budget-width", "width")):
        est, low, high, p = _within_groups(s[col][c].astype(float), gain[c], s["convs"][c])
        assert abs(est - getattr(corr, col)) < 1e-9  # the lesson's figure, bench_analysis.shape_correlations
        at12 = getattr(bench_analysis.shape_correlations("cifar10_test12"), col)
        at200 = getattr(bench_analysis.shape_correlations("cifar10"), col)
        note = f"rho({col}, accuracy) {at12:+.3f} after 12 epochs, {at200:+.3f} after 200"
        rows.append(_row(key, None, scale, f"Spearman rho({col}, ranks gained from 12 to 200 epochs)", est, low,
                         high, "rho", (f"permutation within conv counts ({DRAWS})", p), note))
    return rows


# ------ Lesson 05: landscapes -----------------------------------------------------------------------

def _rise(record: dict, step: float = 0.2) -> float:
    """Mean rise of the loss at +-step along the filter-normalised direction (lesson 05's measure)."""
    s = record["surface_1d"]
    at = lambda a: s["loss"][min(range(len(s["xs"])), key=lambda i: abs(s["xs"][i] - a))]  # noqa: E731
    return (at(-step) + at(step)) / 2 - at(0.0)


def landscapes(results_dir: Path) -> list[dict]:
    """Spearman's rho of width with the rise of the loss, gradient variance and lambda_max over 14 cells."""
    records = [_read(p) for p in sorted((results_dir / "landscapes" / "seed0").glob("*.json"))]
    shape = np.array([genotypes.genotype_width_depth(genotypes.as_genotype(r["genotype"]))["normal"]
                      for r in records], dtype=float)
    t = records[0]["train_config"]
    scale = _scale(f"the width family's networks, seed {records[0]['seed']} (C = {t['C']}, {t['layers']} cells, "
                   f"{t['image_size']} x {t['image_size']}), measured on {records[0]['images']} test images "
                   f"(lambda_max: {records[0]['hessian']['images']})", t["train_images"], t["epochs"], len(records),
                   "cells")
    rows = []
    for key, name, values in (
            ("landscape-smooth", "rise of the test loss at +-0.2 (filter-normalised)", [_rise(r) for r in records]),
            ("gradient-variance", "gradient variance (b = 100)", [r["gradient_variance"]["value"] for r in records]),
            ("weight-sharpness", "lambda_max of the weight Hessian", [r["hessian"]["value"] for r in records])):
        r = _stats().spearman(shape[:, 0], np.array(values), seed=0)
        rd = bench_analysis.spearman(shape[:, 1], np.array(values))
        rows.append(_row(key, None, scale, f"Spearman rho(width, {name})", r.estimate, r.low, r.high, "rho",
                         (f"Spearman, {r.method}", r.p),
                         f"seed {records[0]['seed']} only; rho(depth, same) = {rd:+.2f}"))
    return rows


# ------ Lessons 02 and 06: skip connections, alpha and selection ------------------------------------

def _nb201_recipe(c: dict) -> str:
    """'NAS-Bench-201 supernet, C = 8, N = 2, 16 x 16, alpha lr 0.003' from a config or settings dict."""
    return f"NAS-Bench-201 supernet, C = {c['C']}, N = {c['N']}, {c['image_size']} x {c['image_size']}, " \
           f"alpha lr {c['a_lr']:g}"


def _p_skip(record: dict, at: int) -> float:
    """Mean over edges of softmax(alpha)_skip after epoch ``at`` (0 = first, -1 = last)."""
    alpha = np.array(record["history"][at]["alpha"][0])  # (6 edges, 5 operations)
    return float(alpha[:, NB201_OPS.index("skip_connect")].mean())


def skip_growth(results_dir: Path) -> list[dict]:
    """Mean softmax(alpha)_skip after the last epoch minus after the first, first-order DARTS on NB201."""
    rows = []
    for suffix, runs in (("tiny", _by_seed(results_dir / "flatness-nb201-tiny", "darts1")),
                         ("larger", _by_seed(results_dir / "flatness-nb201", "darts1")),
                         ("40-epochs", {0: _read(results_dir / "selection-nb201-40ep" / "darts1-seed0" /
                                                 "result.json")})):
        first = [_p_skip(r, 0) for r in runs.values()]
        last = [_p_skip(r, -1) for r in runs.values()]
        est, low, high, test = _paired(last, first)
        c = next(iter(runs.values()))["config"]
        skips = [(r["history"][0]["skip_connect"], r["history"][-1]["skip_connect"]) for r in runs.values()]
        scale = _scale(f"first-order DARTS, {_nb201_recipe(c)}", c["search_images"], c["epochs"], len(runs), "seeds")
        collapsed = sum(b == len(NB201_EDGES) for _, b in skips)  # every edge skip_connect
        note = ("skip edges of the argmax cell, first -> last epoch: " + ", ".join(f"{a} -> {b}" for a, b in skips)
                + f"; final all-skip cells: {collapsed}")
        rows.append(_row("skip-growth", suffix, scale, "mean softmax(alpha)_skip, last minus first epoch", est,
                         low, high, "weight", test, note))
    return rows


def search_trajectories(results_dir: Path) -> list[dict]:
    """Over the epochs of a DARTS search on NB201: does skip's lead follow the supernet's accuracy
    (Spearman's rho of validation accuracy with mean p_skip - p_conv3x3), and does the magnitude cell get
    worse (rho of the epoch with the cell's 200-epoch accuracy)? Epochs of one search are not independent,
    so the intervals and p-values are optimistic."""
    skip, conv = NB201_OPS.index("skip_connect"), NB201_OPS.index("nor_conv_3x3")
    caveat = "one search: its epochs are not independent, so the interval and p are optimistic"
    rows = []
    for suffix, path in (("12-epochs", results_dir / "nb201-darts1" / "result.json"),
                         ("40-epochs", results_dir / "selection-nb201-40ep" / "darts1-seed0" / "result.json")):
        run = _read(path)
        h, c = run["history"], run["config"]
        p = np.array([e["alpha"][0] for e in h])  # (epochs, 6 edges, 5 operations): softmax(alpha)
        gap = p[:, :, skip].mean(axis=1) - p[:, :, conv].mean(axis=1)
        val = np.array([e["val_acc"] for e in h])
        acc = np.array([bench.lookup(e["genotype"]).cifar10 for e in h])  # the argmax cell, 200 epochs
        scale = _scale(f"first-order DARTS, {_nb201_recipe(c)}, seed {run['seed']}; one search, its epochs as the "
                       f"units", c["search_images"], c["epochs"], len(h), "epochs")
        r = _stats().spearman(val, gap, seed=0)
        rows.append(_row("skip-follows-accuracy", suffix, scale, "Spearman rho(supernet validation accuracy, mean "
                         "p_skip - p_conv3x3)", r.estimate, r.low, r.high, "rho", (f"Spearman, {r.method}", r.p),
                         f"gap {gap[0]:+.4f} after epoch 1, largest {gap.max():+.4f}, {gap[-1]:+.4f} at the end; "
                         f"rho(accuracy, p_skip alone) = "
                         f"{bench_analysis.spearman(val, p[:, :, skip].mean(axis=1)):+.2f}; {caveat}"))
        r = _stats().spearman(np.arange(1, len(h) + 1, dtype=float), acc, seed=0)
        rows.append(_row("magnitude-worsens", suffix, scale, "Spearman rho(epoch, the magnitude cell's NB201 "
                         "accuracy)", r.estimate, r.low, r.high, "rho", (f"Spearman, {r.method}", r.p),
                         f"{acc[0]:.2f} % after epoch 1, best {acc.max():.2f} %, {acc[-1]:.2f} % at the end "
                         f"(all-skip cell: {bench.lookup(['skip_connect'] * len(NB201_EDGES)).cifar10:.2f} %); "
                         f"{caveat}"))
    return rows


def _selection_runs(results_dir: Path) -> list[tuple[str, dict[int, dict]]]:
    return [(s, _by_seed(results_dir / f)) for s, f in (("tiny", "selection-nb201-tiny"),
                                                        ("larger", "selection-nb201"),
                                                        ("40-epochs", "selection-nb201-40ep"))]


def _selection_scale(runs: dict[int, dict]) -> dict:
    st = next(iter(runs.values()))["settings"]
    return _scale(f"{_nb201_recipe(st)}; PT preset {st.get('pt_preset', 'colab')}; NB201 200-epoch accuracy",
                  st["search_images"], st["epochs"], len(runs), "seeds")


def alpha_misjudges(results_dir: Path) -> list[dict]:
    """Share of PT's operation decisions in which the strongest operation is not alpha's largest."""
    rows = []
    sets = [(s, runs, [r["supernets"]["darts1"]["pt_decisions"] for r in runs.values()], len(NB201_OPS))
            for s, runs in _selection_runs(results_dir)[:2]]
    darts = _by_seed(results_dir / "selection-darts")
    sets.append(("darts-space", darts, [r["pt_decisions"] for r in darts.values()], 7))
    for suffix, runs, decisions, n_ops in sets:
        ops = [[d for d in ds if d["kind"] == "operation"] for ds in decisions]
        differ = [sum(d["choice"] != d["magnitude_choice"] for d in ds) for ds in ops]
        # a share lies in [0, 1]: bootstrap over decisions (those of one supernet are not independent)
        ci = _stats().mean_ci([float(d["choice"] != d["magnitude_choice"]) for ds in ops for d in ds], method="bca")
        if suffix == "darts-space":
            st = next(iter(runs.values()))["settings"]
            scale = _scale(f"first-order DARTS, DARTS space, C = {st['C']}, {st['layers']} cells, "
                           f"{st['image_size']} x {st['image_size']}, {st['tune_steps']} tuning steps between "
                           f"decisions", st["search_images"], st["epochs"], len(runs), "seeds")
        else:
            scale = _selection_scale(runs)
        scale.update(n=sum(map(len, ops)), units=f"decisions ({len(runs)} seeds)")
        note = (f"{sum(differ)} of {sum(map(len, ops))} decisions differ ({', '.join(map(str, differ))} by seed); "
                f"unrelated rankings of {n_ops} operations would differ in {100 * (1 - 1 / n_ops):.0f} %")
        rows.append(_row("alpha-misjudges", suffix, scale, "share of operation decisions where strength and alpha "
                         "disagree", ci.estimate, ci.low, ci.high, "share", None, note))
    return rows


def selection(results_dir: Path) -> list[dict]:
    """PT against magnitude on DARTS supernets, and fixed-alpha + PT against DARTS + PT, paired by seed."""
    rows = []
    for suffix, runs in _selection_runs(results_dir):
        acc = {(s, rule): np.array([r["supernets"][s][rule]["cifar10"] for r in runs.values()])
               for s in ("darts1", "fixed") for rule in ("magnitude", "pt")}
        for key, a, b, what in (("pt-beats-magnitude", ("darts1", "pt"), ("darts1", "magnitude"),
                                 "DARTS + PT minus DARTS magnitude"),
                                ("fixed-alpha-pt", ("fixed", "pt"), ("darts1", "pt"),
                                 "fixed-alpha + PT minus DARTS + PT")):
            est, low, high, test = _paired(acc[a], acc[b])
            note = (f"{' / '.join(_f(x) for x in acc[a])} against {' / '.join(_f(x) for x in acc[b])} % by seed; "
                    f"better in {int(np.sum(acc[a] > acc[b]))} of {len(acc[a])}")
            rows.append(_row(key, suffix, _selection_scale(runs), f"{what} (NB201 CIFAR-10 test accuracy)", est,
                             low, high, "points", test, note))
    return rows


def _shapes_text(shapes: np.ndarray) -> str:
    return ", ".join(f"{w:g}c/{d:g}" for w, d in shapes)


def darts_space_selection(results_dir: Path) -> list[dict]:
    """DARTS space: PT's normal-cell width against magnitude's, and the edge-shuffle test."""
    runs = _by_seed(results_dir / "selection-darts")
    st = next(iter(runs.values()))["settings"]
    recipe = (f"first-order DARTS, DARTS space, C = {st['C']}, {st['layers']} cells, {st['image_size']} x "
              f"{st['image_size']}")
    pt = np.array([r["pt"]["normal"] for r in runs.values()], dtype=float)  # (seeds, [width, depth])
    mag = np.array([r["magnitude"]["normal"] for r in runs.values()], dtype=float)
    est, low, high, test = _paired(pt[:, 0], mag[:, 0])
    rows = [_row("pt-narrower", None, _scale(recipe, st["search_images"], st["epochs"], len(runs), "seeds"),
                 "PT normal-cell width minus magnitude's", est, low, high, "c", test,
                 f"normal cells by seed (width/depth): magnitude {_shapes_text(mag)}; PT {_shapes_text(pt)}")]
    drops = {k: np.concatenate([100 * (r["shuffle"][k]["base"] - np.array(r["shuffle"][k]["shuffled"]))
                                for r in runs.values()]) for k in ("supernet", "plain")}
    t = _stats().permutation_test(drops["plain"], drops["supernet"], n_perm=PERMUTATIONS)
    scale = _scale(f"{recipe}, 2 edges swapped per cell, against a plain CNN of {st['plain_layers']} convolutions "
                   f"(C = {st['plain_C']}), 2 layers swapped; {st['draws']} draws per seed, {len(runs)} seeds",
                   st["search_images"], st["epochs"], len(drops["plain"]), "draws")
    rows.append(_row("edge-shuffle", None, scale, "plain CNN's accuracy drop minus the supernet's",
                     float(drops["plain"].mean() - drops["supernet"].mean()), t.ci.low, t.ci.high, "points",
                     (f"two-sample {t.method}", t.p),
                     f"supernet loses {drops['supernet'].mean():.2f} points, plain CNN {drops['plain'].mean():.2f}"))
    return rows


# ------ Lesson 07: neighbourhoods, NA-DARTS, sharpness in alpha --------------------------------------

def _corr_difference(a: np.ndarray, b: np.ndarray, y: np.ndarray, seed: int = 0):
    """rho(a, y) - rho(b, y), a paired bootstrap interval over cells, and its two-sided bootstrap p."""
    rho = bench_analysis.spearman
    rng = np.random.default_rng(seed)
    est = rho(a, y) - rho(b, y)
    boot = np.empty(DRAWS)
    for i in range(DRAWS):
        take = rng.integers(0, len(y), len(y))
        boot[i] = rho(a[take], y[take]) - rho(b[take], y[take])
    p = min(1.0, 2 * min(np.sum(boot <= 0) + 1, np.sum(boot >= 0) + 1) / (DRAWS + 1))
    return est, float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975)), p


def neighbourhood(results_dir: Path) -> list[dict]:
    """NB201: does the 12-epoch neighbourhood mean rank cells by 200-epoch accuracy better than the cell?"""
    t = bench.table()
    own, final = t["cifar10_val12"], t["cifar10"]
    score = flatness.neighbourhood_scores("cifar10_val12", "mean")
    k = 500  # the cells a search would return: lesson 07's top 500
    top = np.argsort(-own, kind="stable")[:k]
    rows = []
    for suffix, idx, what in (("all-cells", np.arange(bench.N_CELLS), f"all {bench.N_CELLS} cells"),
                              (f"top-{k}", top, f"the {k} cells with the best own 12-epoch validation accuracy")):
        est, low, high, p = _corr_difference(score[idx], own[idx], final[idx])
        rho = bench_analysis.spearman
        scale = _scale(f"NAS-Bench-201 table, {what}: 12-epoch validation accuracy of the cell and its "
                       f"{flatness.neighbour_table().shape[1]} one-operation neighbours, against 200-epoch test "
                       f"accuracy", None, None, len(idx), "cells")
        note = (f"rho with 200-epoch accuracy: neighbourhood mean {rho(score[idx], final[idx]):.3f}, own "
                f"{rho(own[idx], final[idx]):.3f}")
        rows.append(_row("neighbourhood-predicts", suffix, scale, "rho(neighbourhood mean, 200-epoch) minus "
                         "rho(own, 200-epoch)", est, low, high, "rho", (f"paired bootstrap over cells ({DRAWS})", p),
                         note))
    return rows


def na_random_search(results_dir: Path, n: int = 10, seeds: int = 300) -> list[dict]:
    """NA-RS against RS on NB201 with n samples, at the same samples and at the same benchmark queries."""
    na = flatness.na_random_search(n, seeds=seeds)
    queries = int(round(na.queries.mean()))
    same_n, same_q = flatness.random_search(n, seeds=seeds), flatness.random_search(queries, seeds=seeds)
    recipe = (f"NAS-Bench-201 table: select by 12-epoch validation accuracy (NA-RS: mean over the cell and its "
              f"{flatness.neighbour_table().shape[1]} neighbours), report 200-epoch test accuracy")
    rows = []
    t = _stats().permutation_test(na.test, same_q.test, n_perm=PERMUTATIONS)
    rows.append(_row("na-rs", "same-queries", _scale(f"{recipe}; NA-RS n = {n} ({queries} queries) against RS "
                                                     f"with {queries} samples", None, 12, seeds, "seeds"),
                     "NA-RS minus RS accuracy", float(na.test.mean() - same_q.test.mean()), t.ci.low, t.ci.high,
                     "points", (f"two-sample {t.method}", t.p),
                     f"NA-RS {na.test.mean():.2f} +- {na.test.std():.2f} %, RS {same_q.test.mean():.2f} +- "
                     f"{same_q.test.std():.2f} %"))
    est, low, high, test = _paired(na.test, same_n.test)
    rows.append(_row("na-rs", "same-samples", _scale(f"{recipe}; both n = {n} samples, the same draws per seed "
                                                     f"(NA-RS reads {queries} cells, RS {n})", None, 12, seeds,
                                                     "seeds"),
                     "NA-RS minus RS accuracy", est, low, high, "points", test,
                     f"NA-RS {na.test.mean():.2f} %, RS {same_n.test.mean():.2f} %; NA-RS reads {queries} cells, "
                     f"RS {n}"))
    return rows


def _flatness_runs(results_dir: Path):
    for suffix, folder in (("tiny", "flatness-nb201-tiny"), ("larger", "flatness-nb201")):
        runs = {m: _by_seed(results_dir / folder, m) for m in ("darts1", "nadarts")}
        c = next(iter(runs["darts1"].values()))["config"]
        yield suffix, runs, c


def flatness_searches(results_dir: Path) -> list[dict]:
    """NA-DARTS against DARTS (final cells, paired by seed) and the growth of lambda_max in DARTS."""
    rows = []
    for suffix, runs, c in _flatness_runs(results_dir):
        seeds = sorted(runs["darts1"])
        final = {m: np.array([runs[m][s]["history"][-1]["bench_cifar10_200"] for s in seeds]) for m in runs}
        scale = _scale(f"{_nb201_recipe(c)}; NB201 200-epoch accuracy of the final cell", c["search_images"],
                       c["epochs"], len(seeds), "seeds")
        est, low, high, test = _paired(final["nadarts"], final["darts1"])
        rows.append(_row("na-darts", suffix, scale, "NA-DARTS minus DARTS final-cell accuracy", est, low, high,
                         "points", test, f"better in {int(np.sum(final['nadarts'] > final['darts1']))} of "
                                         f"{len(seeds)} seeds"))
        eig = np.array([[e["alpha_eig"] for e in runs["darts1"][s]["history"]] for s in seeds])  # (seeds, epochs)
        est, low, high, test = _paired(eig[:, -1], eig[:, 0])
        rows.append(_row("lambda-grows", suffix, _scale(f"first-order DARTS, {_nb201_recipe(c)}; lambda_max on one "
                                                        f"validation batch after every epoch", c["search_images"],
                                                        c["epochs"], len(seeds), "seeds"),
                         "lambda_max after the last epoch minus after the first", est, low, high, "eigenvalue", test,
                         f"grew {np.min(eig[:, -1] / eig[:, 0]):.1f} to {np.max(eig[:, -1] / eig[:, 0]):.1f} "
                         f"times; mean {eig[:, 0].mean():.3f} -> {eig[:, -1].mean():.3f}"))
    return rows


ES_RULES = {"published": dict(window=5, delta=4, start_epoch=10),  # RobustDARTS's, for 50 epochs
            "scaled": dict(window=3, delta=2, start_epoch=2)}  # the same rule shrunk to a 12-epoch search


def darts_es(results_dir: Path) -> list[dict]:
    """DARTS-ES on the saved lambda_max trajectories (DARTS and NA-DARTS): as published, and scaled down.

    Where the rule fires, the cell of the epoch it points to is compared with the final cell (paired by run;
    a run where it never fires keeps its final cell)."""
    rows = []
    for suffix, runs, c in _flatness_runs(results_dir):
        traj = [r["history"] for m in runs for r in runs[m].values()]
        scale = _scale(f"{_nb201_recipe(c)}; DARTS and NA-DARTS runs", c["search_images"], c["epochs"], len(traj),
                       "runs")
        for rule, options in ES_RULES.items():
            stops = [sharpness.darts_es([e["epoch"] for e in h], [e["alpha_eig"] for e in h], **options)
                     for h in traj]
            settings = (f"window {options['window']}, {options['delta']} evaluations apart, from epoch "
                        f"{options['start_epoch']}")
            if not any(stops):
                rows.append(_row("darts-es", f"{rule}-{suffix}", scale, None,
                                 note=f"{rule} ({settings}) the rule never fires in {c['epochs']} epochs: too few "
                                      f"eigenvalues to compare two complete local averages"))
                continue
            chosen = [h[(h[-1]["epoch"] if s is None else s.epoch) - 1]["bench_cifar10_200"]
                      for h, s in zip(traj, stops)]
            final = [h[-1]["bench_cifar10_200"] for h in traj]
            est, low, high, test = _paired(chosen, final)
            fires = ", ".join("never" if s is None else f"after {s.fired}" for s in stops)
            rows.append(_row("darts-es", f"{rule}-{suffix}", scale, f"early-stopped minus final cell accuracy "
                             f"({rule} rule: {settings})", est, low, high, "points", test,
                             f"fires {fires}; better in {int(np.sum(np.array(chosen) > np.array(final)))} of "
                             f"{len(traj)} runs"))
    return rows


# ------ Lesson 03: hypergradients -------------------------------------------------------------------

RIDGE = dict(D=8, n=40)  # weights, and training (= validation) examples of lesson 03's ridge problems


def _ridge_errors(seed: int, D: int = RIDGE["D"], n: int = RIDGE["n"]) -> tuple[float, float]:
    """Relative errors of DARTS's unrolled and iDARTS's Neumann (K = 2) hypergradients at the inner optimum
    of a random ridge bilevel problem (lesson 03's kind), gamma = xi = 1 / lambda_max(H)."""
    import torch

    from .hypergrad import hypergradient

    f64 = torch.float64
    g = torch.Generator().manual_seed(seed)
    scales = torch.logspace(0.25, -0.25, D, dtype=f64)
    w_true = torch.randn(D, generator=g, dtype=f64)
    X_tr, X_val = (torch.randn(n, D, generator=g, dtype=f64) * scales for _ in range(2))  # (n, D) each
    y_tr = X_tr @ w_true + 0.5 * torch.randn(n, generator=g, dtype=f64)
    y_val = X_val @ w_true + 0.5 * torch.randn(n, generator=g, dtype=f64)
    alpha = (math.log(0.3) + 0.5 * torch.randn(D, generator=g, dtype=f64)).requires_grad_()  # e^alpha: ridge
    H = X_tr.T @ X_tr / n + torch.diag(alpha.detach().exp())  # (D, D) = grad^2_ww L_train
    w = torch.linalg.solve(H, X_tr.T @ y_tr / n).requires_grad_()  # w*(alpha)
    g_w = X_val.T @ (X_val @ w.detach() - y_val) / n
    exact = -(alpha.detach().exp() * w.detach()) * torch.linalg.solve(H, g_w)  # IFT, M = diag(e^alpha * w)
    train = lambda: 0.5 * ((X_tr @ w - y_tr) ** 2).mean() + 0.5 * (alpha.exp() * w ** 2).sum()  # noqa: E731
    val = lambda: 0.5 * ((X_val @ w - y_val) ** 2).mean()  # noqa: E731
    gamma = 1.0 / float(torch.linalg.eigvalsh(H).max())
    def err(method: str, **options) -> float:
        estimate = hypergradient(train, val, [w], [alpha], method, lr=gamma, **options)[0]
        return float((estimate - exact).norm() / exact.norm())

    return err("unrolled"), err("neumann", K=2)


def hypergradients(results_dir: Path, problems: int = 20) -> list[dict]:
    """iDARTS's Neumann hypergradient against DARTS's unrolled one on random ridge problems, and the collapse."""
    errors = np.array([_ridge_errors(seed) for seed in range(problems)])  # (problems, [unrolled, neumann])
    est, low, high, test = _paired(errors[:, 0], errors[:, 1])
    rows = [_row("idarts-hypergradient", None, _scale(f"ridge-regression bilevel problems ({RIDGE['D']} weights, "
                                                      f"{RIDGE['n']} + {RIDGE['n']} examples, float64) at the "
                                                      f"inner optimum; gamma = 1/lambda_max", None, None, problems,
                                                      "problems"),
                 "relative error of unrolled minus Neumann (K = 2)", est, low, high, "relative error", test,
                 f"unrolled {errors[:, 0].mean():.3f}, Neumann K = 2 {errors[:, 1].mean():.3f} (mean relative "
                 f"error), both at the inner optimum, where the implicit formula is exact")]
    finals = [r["history"][-1]["skip_connect"] for _, runs, _ in _flatness_runs(results_dir)
              for r in runs["darts1"].values()]
    rows.append(_row("idarts-collapse", None, _scale("first-order DARTS on NAS-Bench-201 at the course's recipes "
                                                     "(flatness-nb201, -tiny)", None, None, len(finals), "seeds"),
                     None, note=f"DARTS never collapsed here (final cells hold {min(finals)} to {max(finals)} skip "
                                f"edges of 6), so there is no collapse for iDARTS to avoid; the saved iDARTS searches "
                                f"are in the DARTS space, which has no ground truth"))
    return rows


# ------ The table -------------------------------------------------------------------------------------

#: The functions that compute the rows, in the table's order (each takes ``results_dir``, returns rows).
MEASUREMENTS = (skip_growth, search_trajectories,  # lesson 02 (and 06)
                hypergradients,  # 03
                wide_converge, searched_shapes, short_budget,  # 04
                landscapes,  # 05
                alpha_misjudges, selection, darts_space_selection,  # 06
                neighbourhood, na_random_search, flatness_searches, darts_es,  # 07
                *evidence_nb301.MEASUREMENTS,  # the DARTS space on NAS-Bench-301: 01, 04, 06
                *evidence_ranking.MEASUREMENTS)  # step (i) and the cost, on NAS-Bench-201: 08


def default_results_dir() -> Path:
    """The repository's ``lessons/results``: beside the package, or found upward from the working folder."""
    for base in (Path(__file__).resolve().parents[1], *[Path.cwd(), *Path.cwd().parents]):
        for candidate in (base / "lessons" / "results", base / "results"):
            if (candidate / "width-family").is_dir():
                return candidate
    raise FileNotFoundError("lessons/results not found beside the package or above the working folder; "
                            "pass results_dir= the folder of the saved runs")


def compute(results_dir: str | Path | None = None) -> list[dict]:
    """Every row of the evidence table, computed from the saved runs and the NAS-Bench-201 table.

    ``results_dir``: the folder holding the saved runs (default: :func:`default_results_dir`).
    Deterministic: the same files give the same rows, numbers rounded to 4 significant digits.
    """
    results_dir = Path(results_dir) if results_dir is not None else default_results_dir()
    rows = [row for measure in MEASUREMENTS for row in measure(results_dir)]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise RuntimeError(f"row ids must be unique, got {ids}")
    return rows


