"""The DARTS-space claims measured on the NAS-Bench-301 surrogate: convergence, and where cells score.

NAS-Bench-201 lets lesson 04 test Shu, Wang & Cai's convergence claim (ICLR 2020: wide, shallow
cells converge fast, so a short training favours them; narrow, deep ones catch up later) on every
cell of a small space. The DARTS space has no such table, but ``nascourse.nb301`` predicts any
DARTS cell's CIFAR-10 validation accuracy after each epoch from 1 to 98 of NAS-Bench-301's
training. This module asks the same questions of those predicted learning curves, over thousands
of uniform random cells, and scores the cells the course meets (published, searched, selected)
against them. A surrogate is a model fitted to measured runs, not a measurement: every row says so.

The random cells are ``variants.sample_darts_genotype(s)`` for s = 0 .. n - 1. Their predictions
at ``EPOCHS`` are saved by ``scripts/nb301_convergence.py`` to
``lessons/results/nb301-convergence/random-cells.json`` (with the correlation table the lessons
print), so that the lessons read them in milliseconds and every CPU computes the same table: each
prediction is rounded to 0.01 points, since onnxruntime may round differently on another CPU.

Width and depth are those of the normal cell (``genotypes.cell_width_depth``). A cell with more
convolutions is more accurate, and which edges hold them changes its width and depth, so, as for
NAS-Bench-201, correlations are taken within groups of equal composition: the number of parametric
operations (separable and dilated convolutions, 0 to 8) in the normal cell
(``bench_analysis.within_groups``). The rank a cell gains from epoch e to 98 is its rank at e minus
its rank at 98 among all the random cells (1 = best), as ``bench_analysis.rank_change``.

Used by ``nascourse.evidence`` (its ``MEASUREMENTS``) and lessons 01, 04 and 06.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from . import bench_analysis, genotypes, nb301, variants
from .claims import _row, _scale, _stats

N_RANDOM = 5000  # uniform random DARTS cells, seeds 0 .. N_RANDOM - 1
EPOCHS = (1, 2, 5, 10, 20, 50, 98)  # the epochs of the convergence table (98 is the last the surrogate predicts)
EARLY = 10  # the short budget of the evidence rows: about a tenth of NAS-Bench-301's 100 epochs
DRAWS = 300  # bootstrap and permutation draws within groups (as nascourse.evidence)
PERMUTATIONS = 10_000  # random splits of a two-sample permutation test
FOLDER = "nb301-convergence"
FILE = "random-cells.json"
PARAMETRIC = ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5")
SURROGATE = ("NAS-Bench-301 surrogate's predicted CIFAR-10 validation accuracy (a model fitted to measured "
             "runs, not a measurement)")


# ------ Predictions and the random cells --------------------------------------------------------------

def predicted(genotypes_: list, epochs=98) -> np.ndarray:
    """(n, len(epochs)) predicted accuracy (%) rounded to 0.01, the same on every CPU."""
    return np.round(nb301.predict(list(genotypes_), epochs), 2)


def random_cells(n: int = N_RANDOM) -> list[genotypes.Genotype]:
    """The uniform random DARTS cells of the analysis: ``sample_darts_genotype(s)``, s = 0 .. n - 1."""
    return [variants.sample_darts_genotype(s) for s in range(n)]


def parametric_ops(genotype) -> int:
    """Separable and dilated convolutions in the normal cell (0 to 8): the composition groups."""
    return sum(op in PARAMETRIC for op, _ in genotypes.as_genotype(genotype).normal)


def shapes(cells: list) -> dict[str, np.ndarray]:
    """{"width", "depth", "convs"}: (n,) arrays of the normal cells of ``cells``."""
    wd = np.array([genotypes.genotype_width_depth(g)["normal"] for g in cells], dtype=float)
    return {"width": wd[:, 0], "depth": wd[:, 1], "convs": np.array([parametric_ops(g) for g in cells])}


def rank_gain(early: np.ndarray, final: np.ndarray) -> np.ndarray:
    """(n,) rank at the early epoch minus rank at the final one (1 = best, average ranks for ties).

    Positive: the cell climbs when it is trained longer."""
    n = len(early)
    return (n + 1 - bench_analysis.rankdata(early)) - (n + 1 - bench_analysis.rankdata(final))


def convergence_table(cells: list, accuracy: np.ndarray, epochs=EPOCHS, draws: int = DRAWS) -> list[dict]:
    """Width and depth against predicted accuracy at each epoch, and against the ranks gained to 98.

    ``accuracy``: (n, len(epochs)) predictions of ``cells``, the last column at epoch 98. Returns one
    dict per epoch: {"epoch", "accuracy": {"width": (rho, low, high, p), "depth": ...}, "gain": ...}
    ("gain" is None at 98), each rho pooled within composition groups (:func:`parametric_ops`).
    """
    s = shapes(cells)
    out = []
    for k, e in enumerate(epochs):
        row = {"epoch": int(e), "accuracy": {}, "gain": None if e == epochs[-1] else {}}
        gain = rank_gain(accuracy[:, k], accuracy[:, -1])
        for col in ("width", "depth"):
            row["accuracy"][col] = bench_analysis.within_groups(s[col], accuracy[:, k], s["convs"], draws)
            if row["gain"] is not None:
                row["gain"][col] = bench_analysis.within_groups(s[col], gain, s["convs"], draws)
        out.append(row)
    return out


def load(results_dir: Path) -> dict:
    """The saved random cells: {"n", "epochs", "accuracy" (an (n, E) array), "table"}.

    Made by ``scripts/nb301_convergence.py``; ``table`` as :func:`convergence_table` returns it."""
    path = Path(results_dir) / FOLDER / FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; make it with `python scripts/nb301_convergence.py`")
    doc = json.loads(path.read_text())
    doc["accuracy"] = np.array(doc["accuracy"], dtype=float)
    return doc


def encodable(genotype) -> bool:
    """Whether NAS-Bench-301 can score ``genotype`` (not if a node reads one input twice, as ENAS's
    controller and Shu et al.'s random wirings allow)."""
    try:
        nb301.encode(genotype)
    except ValueError:
        return False
    return True


def percentile(values, random_final: np.ndarray) -> np.ndarray:
    """Percent of the random cells predicted below each of ``values`` (ties count half)."""
    r = np.sort(random_final)
    v = np.asarray(values, dtype=float)
    below, above = np.searchsorted(r, v, "left"), np.searchsorted(r, v, "right")
    return 100 * (below + above) / (2 * len(r))


# ------ The evidence rows ------------------------------------------------------------------------------

def _random_scale(doc: dict, what: str) -> dict:
    return _scale(f"{SURROGATE}; {doc['n']} uniform random DARTS cells, rho of the normal cell's {what} within "
                  f"groups of equal numbers of parametric operations (0-8)", None, 98, doc["n"], "cells")


def convergence(results_dir: Path) -> list[dict]:
    """Shu et al.'s convergence claim on predicted learning curves: who leads at EARLY, who gains to 98."""
    doc = load(results_dir)
    epochs = list(doc["epochs"])
    table = {r["epoch"]: r for r in doc["table"]}
    rows = []
    for key, target, col, what in (("nb301-lead-width", "accuracy", "width", f"accuracy at epoch {EARLY}"),
                                   ("nb301-lead-depth", "accuracy", "depth", f"accuracy at epoch {EARLY}"),
                                   ("nb301-catch-up-depth", "gain", "depth", f"ranks gained from epoch {EARLY} to 98"),
                                   ("nb301-catch-up-width", "gain", "width", f"ranks gained from epoch {EARLY} to 98")):
        est, low, high, p = table[EARLY][target][col]
        others = ", ".join(f"{e}: {table[e][target][col][0]:+.3f}" for e in epochs
                           if table[e][target] is not None and e != EARLY)
        note = f"the same rho from other epochs ({'to 98' if target == 'gain' else 'at each epoch'}): {others}"
        rows.append(_row(key, None, _random_scale(doc, f"{col} with the {what}"),
                         f"Spearman rho({col}, {what})", est, low, high, "rho",
                         (f"permutation within composition groups ({DRAWS})", p), note))
    return rows


def width_family_cells(results_dir: Path) -> tuple[list[str], list, np.ndarray]:
    """The width family's cells that NAS-Bench-301 can encode: names, genotypes, and their CPU test
    accuracy (%, last epoch, mean over the saved seeds)."""
    folder = Path(results_dir) / "width-family"
    runs = {p.name: {r["name"]: r for r in map(lambda q: json.loads(q.read_text()), sorted(p.glob("*.json")))}
            for p in sorted(folder.glob("seed*"))}
    first = runs[min(runs)]
    names, cells, acc = [], [], []
    for name in sorted(first, key=lambda n: ({"DARTS_V2": 0, "wide": 1}.get(n, 2), len(n), n)):
        g = genotypes.as_genotype(first[name]["genotype"])
        if not encodable(g):
            continue
        names.append(name)
        cells.append(g)
        acc.append(100 * np.mean([runs[s][name]["history"][-1]["test_acc"] for s in runs]))
    return names, cells, np.array(acc)


def cpu_order(results_dir: Path) -> list[dict]:
    """Does the course's CPU training order the width family as the surrogate's epoch-98 prediction does?"""
    names, cells, cpu = width_family_cells(results_dir)
    pred = predicted(cells)[:, 0]
    r = _stats().spearman(cpu, pred, seed=0)
    cfg = json.loads(next((Path(results_dir) / "width-family" / "seed0").glob("c1.json")).read_text())["config"]
    scale = _scale(f"DARTS_V2, its widest form and the c1-c12 cells that NAS-Bench-301 can encode (the others have "
                   f"a node reading one input twice), trained on a CPU (C = {cfg['C']}, {cfg['layers']} cells, "
                   f"{cfg['image_size']} x {cfg['image_size']}, 2 seeds), against the {SURROGATE} at epoch 98",
                   cfg["train_images"], cfg["epochs"], len(names), "cells")
    note = "; ".join(f"{n} {c:.1f} % (CPU), {p:.2f} % (NB301)" for n, c, p in zip(names, cpu, pred))
    return [_row("nb301-cpu-order", None, scale, "Spearman rho(CPU test accuracy, predicted epoch-98 accuracy)",
                 r.estimate, r.low, r.high, "rho", (f"Spearman, {r.method}", r.p), note)]


PUBLISHED = ("DARTS_V1", "DARTS_V2", "SNAS_MILD")  # Shu et al.'s Figure 1 cells that NAS-Bench-301 can encode


def published_cells() -> dict[str, genotypes.Genotype]:
    """Published DARTS-space cells the surrogate can score: Shu et al.'s Figure 1 ones with four nodes
    (DARTS_V1, DARTS_V2, SNAS_MILD; NASNet, AmoebaNet and ENAS have five) and DARTS-PT's eight."""
    out = {n: getattr(genotypes, n) for n in PUBLISHED}
    out.update({f"DARTS_PT_{i}": g for i, g in enumerate(genotypes.DARTS_PT)})
    out.update({f"FIX_ALPHA_PT_{i}": g for i, g in enumerate(genotypes.FIX_ALPHA_PT)})
    return out


def searched_cells(results_dir: Path) -> tuple[list[str], list]:
    """The seven searches' saved cells (lesson 04's ``method-cells``): names ``method-seedS``, genotypes."""
    paths = sorted((Path(results_dir) / "method-cells").glob("*-seed*.json"))
    return [p.stem for p in paths], [genotypes.as_genotype(json.loads(p.read_text())["genotype"]) for p in paths]


def _above_random(key: str, names: list[str], cells: list, doc: dict, what: str) -> dict:
    pred = predicted(cells)[:, 0]
    final = doc["accuracy"][:, -1]
    t = _stats().permutation_test(pred, final, n_perm=PERMUTATIONS)
    pct = percentile(pred, final)
    scale = _scale(f"{SURROGATE} at epoch 98: {what}, against {doc['n']} uniform random DARTS cells", None, 98,
                   len(cells), "cells")
    note = (f"random cells {final.mean():.2f} %; percentile among them: "
            + ", ".join(f"{n} {q:.0f}" for n, q in zip(names, pct)))
    return _row(key, None, scale, "mean predicted accuracy minus the random cells'", float(pred.mean() - final.mean()),
                t.ci.low, t.ci.high, "points", (f"two-sample {t.method}", t.p), note)


def scored_cells(results_dir: Path) -> list[dict]:
    """Published and searched cells' predicted epoch-98 accuracy against the random cells'."""
    doc = load(results_dir)
    pub = published_cells()
    every, cells = searched_cells(results_dir)
    names = [n for n, g in zip(every, cells) if encodable(g)]
    cells = [g for g in cells if encodable(g)]
    left_out = [n for n in every if n not in names]
    methods = sorted({n.split("-seed")[0] for n in names})
    return [_above_random("nb301-published-above-random", list(pub), list(pub.values()), doc,
                          "DARTS_V1, DARTS_V2, SNAS_MILD and DARTS-PT's 8 published cells"),
            _above_random("nb301-searches-above-random", names, cells, doc,
                          f"the cells of {len(methods)} weight-sharing searches ({', '.join(methods)}), 2 seeds each, "
                          f"lesson 04's larger tiny-preset runs"
                          + (f" ({', '.join(left_out)} left out: a node reads one input twice)" if left_out else ""))]


def selection_cells(results_dir: Path) -> dict[str, list]:
    """{"seeds", "magnitude", "pt"}: lesson 06's DARTS-space selections, one cell per seed each."""
    paths = sorted((Path(results_dir) / "selection-darts").glob("seed*.json"), key=lambda p: int(p.stem[4:]))
    runs = [json.loads(p.read_text()) for p in paths]
    return {"seeds": [r["seed"] for r in runs],
            "magnitude": [genotypes.as_genotype(r["magnitude"]["genotype"]) for r in runs],
            "pt": [genotypes.as_genotype(r["pt"]["genotype"]) for r in runs]}


def pt_vs_magnitude(results_dir: Path) -> list[dict]:
    """PT's DARTS-space cell against magnitude's from the same supernet: predicted epoch-98 accuracy, paired."""
    sel = selection_cells(results_dir)
    pt, mag = predicted(sel["pt"])[:, 0], predicted(sel["magnitude"])[:, 0]
    d = pt - mag
    ci = _stats().mean_ci(d, method="t")
    t = _stats().paired_test(pt, mag)
    st = json.loads((Path(results_dir) / "selection-darts" / "seed0.json").read_text())["settings"]
    scale = _scale(f"{SURROGATE} at epoch 98 of the cells selected from first-order DARTS supernets (C = {st['C']}, "
                   f"{st['layers']} cells, {st['image_size']} x {st['image_size']}), one per seed",
                   st["search_images"], st["epochs"], len(d), "seeds")
    note = "by seed (PT, magnitude): " + "; ".join(f"{p:.2f}, {m:.2f} %" for p, m in zip(pt, mag))
    return [_row("nb301-pt-beats-magnitude", None, scale, "PT's predicted accuracy minus magnitude's",
                 float(d.mean()), ci.low, ci.high, "points", (f"paired {t.method}", t.p), note)]


#: The measurement functions of this module, in the table's order (``nascourse.evidence.MEASUREMENTS``).
MEASUREMENTS = (scored_cells, convergence, cpu_order, pt_vs_magnitude)
