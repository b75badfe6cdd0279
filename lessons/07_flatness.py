# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext,-jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 07 · Flat architectures
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/07_flatness.ipynb)
#
# Runs in 60 s in JupyterLab on 2 CPU cores at the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# A search returns the architecture with the best validation score. Wang, Cao, Li & Kitani
# ("Neighborhood-Aware Neural Architecture Search", BMVC 2021) argue that this overfits the search:
# better to return a **flat** architecture, one whose neighbours (the same cell with one operation
# changed) are good too, on the assumption that flat minima generalise. RobustDARTS (Zela et al.,
# ICLR 2020) looks at flatness from the other side: when the validation loss becomes sharp in α
# during a DARTS search, the derived cell gets worse. After this lesson you can
#
# 1. score a cell by its **neighbourhood** on NAS-Bench-201 and say whether neighbourhood accuracy
#    after 12 epochs predicts a cell's accuracy after 200 epochs better than its own;
# 2. compare **neighbourhood-aware random search** (NA-RS) with random search (RS) over hundreds of
#    seeds, with budgets counted in benchmark queries;
# 3. say whether flat cells are **wide and shallow**, the shape Shu et al. found in the cells that
#    published searches returned (lesson 04 tests whether a short training budget favours that shape);
# 4. run **NA-DARTS** beside DARTS, follow the largest eigenvalue of the α Hessian during both, apply
#    **DARTS-ES**'s stopping rule, and judge every derived cell by its real accuracy.
#
# **Only the abstract of the neighbourhood-aware paper could be read for this course.** Its idea is
# verified; its formulation is not. The neighbourhood (one operation changed), the aggregate (mean or
# worst), NA-RS's budget and NA-DARTS's differentiable neighbourhood below are **the course's
# reconstruction**, not the paper's method, and no number here is the paper's.
#
# **How sure are we?** Every comparison comes from `nascourse.stats`: a mean with its 95 % interval
# and the number of seeds or cells it averages, `mean [low, high] (n = ...)`; a test with its p-value
# for every "A beats B" (paired when both methods ran on the same seeds or draws, a permutation test
# otherwise); an interval on every correlation. Spreads are standard deviations with $n - 1$.

# %%
import inspect
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nascourse import bench, bench_analysis, config, data, evidence, exercises, select, sharpness, stats
from nascourse import flatness as FL
from nascourse.batches import search_split
from nascourse.history import make_config
from nascourse.nb201 import nb201_neighbours, nb201_width_depth
from nascourse.search import search

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")


def ci_text(iv, digits=2):
    """An interval as 'estimate [low, high]', without n (tables give n once)."""
    return f"{iv.estimate:.{digits}f} [{iv.low:.{digits}f}, {iv.high:.{digits}f}]"


def p_text(p):
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def test_text(t, digits=2):
    """A test as '+0.12 [-0.01, +0.25] (n = 300), p = 0.079 (method)'."""
    return (f"{t.statistic:+.{digits}f} [{t.ci.low:+.{digits}f}, {t.ci.high:+.{digits}f}] (n = {t.n}), {p_text(t.p)} "
            f"({t.method})")


def seeds_text(a, b, digits=2):
    """a - b over a handful of seeds: the mean difference with Student's t interval (a bootstrap of 3 to 5
    values is too narrow) and the exact sign-flip test."""
    t, ci = stats.paired_test(a, b), stats.mean_ci(np.asarray(a) - np.asarray(b), method="t")
    return (f"{ci.estimate:+.{digits}f} [{ci.low:+.{digits}f}, {ci.high:+.{digits}f}] (n = {ci.n}), {p_text(t.p)} "
            f"({t.method})")


# %% [markdown]
# ## 1. A cell's neighbourhood
#
# A NAS-Bench-201 cell is six operations, one per edge, each one of five. Its **neighbours** are the
# cells one operation away (Hamming distance 1): 6 edges × 4 other operations = 24 cells. The
# **neighbourhood score** of a cell $a$ aggregates a measure $f$ over $a$ and its neighbours
# $N(a)$:
#
# $$s_{\text{mean}}(a) = \frac{1}{1 + |N(a)|}\Big(f(a) + \sum_{a' \in N(a)} f(a')\Big), \qquad
# s_{\min}(a) = \min\big(f(a), \min_{a' \in N(a)} f(a')\big).$$
#
# A cell whose score is close to its own $f$ is **flat**: swapping any one operation costs little. One
# cell and its neighbourhood, with $f$ the benchmark's 12-epoch validation accuracy (what a cheap
# search can afford to measure):

# %%
# NBVAL_CHECK_OUTPUT
cell = ["nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"]
own = bench.lookup(cell)
around = [bench.lookup(c).cifar10_val12 for c in nb201_neighbours(cell)]
print(f"{bench.cell_of(bench.index_of(cell))}: own 12-epoch validation accuracy {own.cifar10_val12:.2f}%, "
      f"200-epoch test accuracy {own.cifar10:.2f}%")
print(f"its 24 neighbours: {min(around):.2f} to {max(around):.2f}%, mean {np.mean(around):.2f}%")
print(f"neighbourhood score: mean {FL.neighbourhood_score(cell, lambda c: bench.lookup(c).cifar10_val12):.2f}%, "
      f"worst {FL.neighbourhood_score(cell, lambda c: bench.lookup(c).cifar10_val12, agg='min'):.2f}%")

# %% [markdown]
# `flatness.neighbourhood_scores` does this for all 15,625 cells at once from the table (neighbour
# indices precomputed, `flatness.neighbour_table`). The question of this section: **is a good
# neighbourhood a sign of generalisation?** If flatness helps, the neighbourhood score after 12 epochs
# should rank cells by their accuracy after 200 epochs better than their own 12-epoch accuracy does.
#
# Each Spearman ρ below comes with a 95 % bootstrap interval over cells (`stats.spearman`). To compare
# two scores on the same cells we use that ρ is a mean over cells: without ties,
# $\rho = 1 - \frac{6}{n(n^2-1)}\sum_i (r_i - t_i)^2$, with $r_i$ a cell's rank by the score and $t_i$
# its rank by the target. The difference of two ρ is therefore $\frac{6}{n^2-1}$ times the mean over
# cells of the difference of squared rank errors, a paired quantity with a mean, an interval and a test.

# %%
# NBVAL_CHECK_OUTPUT
table = bench.table()
own12, test12, acc200 = table["cifar10_val12"], table["cifar10_test12"], table["cifar10"]
scores = {"own 12-epoch validation": own12,
          "neighbourhood mean": FL.neighbourhood_scores("cifar10_val12", "mean"),
          "neighbours only (mean)": own12[FL.neighbour_table()].mean(axis=1),
          "neighbourhood worst": FL.neighbourhood_scores("cifar10_val12", "min")}
rho = bench_analysis.spearman
print(f"Spearman's ρ [95 % interval] over all {bench.N_CELLS:,} cells (all p < 0.001)")
print(f"{'score (from 12-epoch validation accuracy)':42s} | {'ρ with 12-epoch test':22s} | ρ with 200-epoch test")
for name, s in scores.items():
    same_budget, long_budget = (stats.spearman(s, t, n_boot=200) for t in (test12, acc200))
    print(f"{name:42s} | {ci_text(same_budget, 3):22s} | {ci_text(long_budget, 3)}")


def rho_gain(better, worse, target, paired_test=True):
    """rho(better, target) - rho(worse, target) from each cell's squared rank errors: (estimate, low, high)
    and the paired test (or, for many cells, the 95 % and 99.9 % t intervals of the mean difference)."""
    n = len(target)
    rb, rw, rt = (stats.rankdata(v) for v in (better, worse, target))
    d = (rw - rt) ** 2 - (rb - rt) ** 2  # > 0 where `better` puts the cell nearer its target rank
    scale = 6 / (n ** 2 - 1)
    if paired_test:
        t = stats.paired_test((rw - rt) ** 2, (rb - rt) ** 2, n_perm=10_000)
        return scale * t.ci.estimate, scale * t.ci.low, scale * t.ci.high, p_text(t.p)
    ci, wide = stats.mean_ci(d, method="t"), stats.mean_ci(d, level=0.999, method="t")
    p = "p < 0.001" if wide.low > 0 or wide.high < 0 else "p >= 0.001"
    return scale * ci.estimate, scale * ci.low, scale * ci.high, f"{p} (t interval at 99.9 %)"


for label, better, worse, target in (
        ("neighbourhood mean minus own, ρ with 200-epoch", scores["neighbourhood mean"], own12, acc200),
        ("own minus neighbourhood mean, ρ with 12-epoch test", own12, scores["neighbourhood mean"], test12)):
    est, low, high, p = rho_gain(better, worse, target, paired_test=False)
    print(f"{label}: {est:+.3f} [{low:+.3f}, {high:+.3f}] (n = {bench.N_CELLS:,}), {p}")

# %% [markdown]
# Over the whole benchmark the neighbourhood mean ranks cells by their 200-epoch accuracy better than
# the cell's own 12-epoch accuracy does, and the neighbours alone, without the cell, do as well as the
# neighbourhood. That is a first warning: part of what the neighbourhood adds is **averaging**. A
# 12-epoch accuracy is one noisy training run; 24 related runs average the noise away. It need not
# be flatness.
#
# A search does not care about all 15,625 cells, only about the best ones. Among the 500 cells with
# the best own 12-epoch validation accuracy (the cells a search would return), does the neighbourhood
# still help? And is a **sharp** cell (one whose neighbours are much worse than itself) worse after 200
# epochs?

# %%
# NBVAL_CHECK_OUTPUT
top = np.argsort(-own12, kind="stable")[:500]
drop = own12 - scores["neighbours only (mean)"]  # own minus neighbours' mean: large = sharp
for name in ("own 12-epoch validation", "neighbourhood mean"):
    print(f"top 500 by own val12: ρ({name}, 200-epoch) = {ci_text(stats.spearman(scores[name][top], acc200[top]), 3)}")
est, low, high, p = rho_gain(own12[top], scores["neighbourhood mean"][top], acc200[top])
print(f"  own minus neighbourhood mean: {est:+.3f} [{low:+.3f}, {high:+.3f}] (n = 500), {p} (paired sign-flip)")
sharpness_rho = stats.spearman(drop[top], acc200[top])
print(f"ρ(sharpness = own - neighbours' mean, 200-epoch) = {ci_text(sharpness_rho, 3)}, "
      f"{p_text(sharpness_rho.p)} (n = 500)")
sharp, flat = top[drop[top] > np.median(drop[top])], top[drop[top] <= np.median(drop[top])]
print(f"flatter half: 200-epoch {stats.describe(acc200[flat])}, own val12 {stats.describe(own12[flat])}")
print(f"sharper half: 200-epoch {stats.describe(acc200[sharp])}, own val12 {stats.describe(own12[sharp])}")
print(f"flatter minus sharper, 200-epoch: {test_text(stats.permutation_test(acc200[flat], acc200[sharp]))}")
print(f"flatter minus sharper, own val12: {test_text(stats.permutation_test(own12[flat], own12[sharp]))}")

fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
hb = ax[0].hexbin(scores["neighbourhood mean"], acc200, gridsize=50, bins="log", mincnt=1, cmap="viridis")
fig.colorbar(hb, ax=ax[0], label="cells per hexagon (log scale)")
ax[0].set(xlabel="neighbourhood mean of 12-epoch val accuracy (%)", ylabel="200-epoch test accuracy (%)",
          title="all 15,625 cells")
ax[1].scatter(drop[flat], acc200[flat], s=7, alpha=0.6, color="tab:green", label="flatter half")
ax[1].scatter(drop[sharp], acc200[sharp], s=7, alpha=0.6, color="tab:red", label="sharper half")
ax[1].set(xlabel="sharpness: own val12 - neighbours' mean (points)", ylabel="200-epoch test accuracy (%)",
          title="the 500 best cells by own val12")
ax[1].legend(loc="lower left", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ### What did we see
#
# * **Over all 15,625 cells the neighbourhood predicts the long run better than the cell itself**:
#   Spearman's ρ with the 200-epoch accuracy is 0.829 [0.824, 0.835] for the neighbourhood mean against
#   0.772 [0.765, 0.780] for the cell's own 12-epoch validation accuracy, a gain of +0.057 [+0.053, +0.061]
#   (p < 0.001). For the same 12-epoch budget the cell's own accuracy is the better predictor (ρ with the
#   12-epoch test accuracy 0.960 against 0.933, ahead by +0.027 [+0.025, +0.030]): the neighbourhood
#   helps only where the ranking changes with longer training.
# * **The neighbours alone do as well (0.829) as the neighbourhood with the cell.** What the score adds
#   is an average over 24 related training runs, each one noisy. The worst neighbour, the score that
#   measures flatness most directly, predicts worse than the cell alone (0.695 [0.687, 0.702]).
# * **Among the 500 cells a search would return, the neighbourhood is the worse guide**: ρ with the
#   200-epoch accuracy 0.508 [0.438, 0.576] against 0.728 [0.681, 0.770] for the cell's own accuracy,
#   behind by 0.220 [0.156, 0.284] (p < 0.001).
# * **Sharp cells there are a little worse after 200 epochs**: ρ = −0.245 [−0.330, −0.162] between
#   sharpness and 200-epoch accuracy (p < 0.001); the flatter half averages 93.62 % against 93.51 % for
#   the sharper half, +0.11 [+0.05, +0.17] points (p < 0.001). But the flatter half also had the higher
#   own 12-epoch accuracy (83.40 % against 83.30 %, p = 0.018), so not all of that gap is flatness.
# * So on NAS-Bench-201 a good neighbourhood is a sign of a good region of the space, not a better way
#   to choose among good cells.

# %% [markdown]
# ## 2. NA-RS against RS, over hundreds of seeds
#
# **RS** draws $n$ cells uniformly, keeps the one with the best own 12-epoch validation accuracy, and
# we report its 200-epoch test accuracy. **NA-RS** (the course's version) draws $n$ cells and keeps
# the one with the best neighbourhood mean, reading its 24 neighbours from the benchmark too. Each
# benchmark read stands for a training run, so a fair comparison counts **queries** (distinct cells
# read): NA-RS with $n$ samples spends up to $25n$. We compare NA-RS with RS at the same $n$ (NA-RS
# spends 25 times more) and at the same number of queries. 300 seeds per setting, a few seconds for all.
# With the same seed, NA-RS and RS at the same $n$ draw the same cells, so that comparison is paired
# (sign-flip test); RS with more queries draws other cells (permutation test).

# %%
# NBVAL_CHECK_OUTPUT
seeds = 300
rows = []
for n in (4, 10, 40):
    na = FL.na_random_search(n, seeds=seeds)
    queries = int(round(na.queries.mean()))
    rows.append((n, queries, na, FL.random_search(n, seeds=seeds), FL.random_search(queries, seeds=seeds)))
print(f"200-epoch test accuracy of the chosen cell (%), mean [95 % interval] and sd over {seeds} seeds")
print(f"{'n':>3s} {'queries':>7s} | {'NA-RS':29s} | {'RS, same n':29s} | {'RS, same queries':29s}")
for n, q, na, same_n, same_q in rows:
    print(f"{n:3d} {q:7d} | " + " | ".join(f"{ci_text(stats.mean_ci(o.test))}, sd {stats.sd(o.test):.2f}"
                                           for o in (na, same_n, same_q)))
print("NA-RS minus RS:")
for n, q, na, same_n, same_q in rows:
    print(f"  n = {n:2d}, same draws  : {test_text(stats.paired_test(na.test, same_n.test))}")
    print(f"  n = {n:2d}, {q:3d} queries: {test_text(stats.permutation_test(na.test, same_q.test))}")

# %%
colours = {"NA-RS": "tab:orange", "RS, same n": "tab:blue", "RS, same queries": "tab:green"}
fig, ax = plt.subplots(figsize=(10, 4.2))
for g, (n, q, na, same_n, same_q) in enumerate(rows):
    parts = ax.boxplot([na.test, same_n.test, same_q.test], positions=[4 * g, 4 * g + 1, 4 * g + 2], widths=0.7,
                       patch_artist=True, flierprops=dict(marker=".", markersize=3, alpha=0.5))
    for box, colour in zip(parts["boxes"], colours.values()):
        box.set(facecolor=colour, alpha=0.6)
ax.set_xticks([4 * g + 1 for g in range(len(rows))], [f"n = {n} samples\n(NA-RS: {q} queries)" for n, q, *_ in rows])
ax.set(ylabel="200-epoch test accuracy of the chosen cell (%)",
       title=f"chosen cells over {seeds} seeds (NAS-Bench-201, CIFAR-10); points: seeds beyond the whiskers")
ax.legend([Patch(facecolor=c, alpha=0.6) for c in colours.values()], list(colours), loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# Cheaper neighbourhoods: $k$ neighbours drawn at random instead of all 24 (the budget is then about
# $(k + 1)n$ queries), against RS at the same number of queries:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'k':>3s} {'n':>4s} {'queries':>8s} | {'NA-RS':20s} | {'RS, same queries':20s} | NA-RS minus RS")
for k in (1, 4, 12):
    n = 200 // (k + 1)
    na = FL.na_random_search(n, k=k, seeds=seeds)
    rs = FL.random_search(int(round(na.queries.mean())), seeds=seeds)
    print(f"{k:3d} {n:4d} {na.queries.mean():8.0f} | {ci_text(stats.mean_ci(na.test))} | "
          f"{ci_text(stats.mean_ci(rs.test))} | {test_text(stats.permutation_test(na.test, rs.test))}")

# %% [markdown]
# ### What did we see
#
# * **At the same number of samples $n$, NA-RS and RS are nearly tied**, although NA-RS reads 25 times
#   more cells. On the same draws NA-RS is ahead by +0.12 [+0.01, +0.23] points at $n = 4$ (p = 0.033),
#   +0.09 [−0.01, +0.19] at 10 (p = 0.079) and behind by −0.03 [−0.06, +0.00] at 40 (p = 0.059): a gain
#   of a tenth of a point at best, significant only at $n = 4$, and gone by $n = 40$.
# * **At the same number of queries, RS wins clearly at every budget**: 93.73 against 91.99 % with about
#   100 queries, 93.92 against 92.66 % with 248, 94.09 against 93.43 % with 971 (NA-RS minus RS −1.74,
#   −1.27 and −0.67 points, each p < 0.001), and the cells RS returns vary far less from seed to seed
#   (sd 0.36, 0.22 and 0.23 against 1.64, 0.99 and 0.55). The box plot shows where NA-RS loses: like RS
#   with few samples, it has a long lower tail of seeds whose chosen cell is several points below the
#   median, a tail that RS with the same queries does not have.
# * Drawing fewer neighbours brings NA-RS closer to RS at about 200 queries, but never level with it:
#   NA-RS minus RS is −1.10 points with $k = 12$, −0.68 with $k = 4$ and −0.35 [−0.43, −0.28] with $k = 1$
#   (93.51 against 93.86 %), each p < 0.001.
# * Spending a query on a new cell buys more than spending it on a neighbour of an old one. The paper's
#   claim that neighbourhood-aware search beats its plain counterpart **did not hold for this
#   reconstruction** of NA-RS on NAS-Bench-201 with the 12-epoch accuracy as the measure; it may hold for
#   the paper's own formulation, which we could not read.

# %% [markdown]
# ## 3. Are flat cells wide and shallow?
#
# Lesson 04 measured the **width** (how much of the cell reads its input directly, in units of $c$)
# and **depth** (edges on the longest path) of NAS-Bench-201 cells. Shu et al. found the cells that
# published searches returned at or near the widest, shallowest shape of their spaces, and explain it
# by fast convergence. Lesson 04 found less at this course's scales: the seven searches it ran
# returned cells as wide and as deep as random cells of the DARTS space, and on NAS-Bench-201, within
# equal numbers of convolutions, width is unrelated to 12-epoch accuracy while a short budget is biased
# against **depth** (recomputed below). Would a flatness criterion push a search towards some shape?
# First the lesson-04 numbers, then the mean shape of the 100 connected cells each score ranks best,
# beside the 100 truly best (200 epochs) and all connected cells:

# %%
# NBVAL_CHECK_OUTPUT
for label, metric in (("12-epoch", "cifar10_test12"), ("200-epoch", "cifar10")):
    r = bench_analysis.shape_correlations(metric)
    print(f"lesson 04, within conv-count groups: ρ(width, {label} accuracy) = {r.width:+.3f}, "
          f"ρ(depth, {label} accuracy) = {r.depth:+.3f}")
print()
shapes = bench_analysis.shapes()
connected = np.flatnonzero(shapes["connected"])


def top_cells(values, k=100):
    """The k connected cells with the highest ``values`` (ties: lower index first)."""
    return connected[np.argsort(-values[connected], kind="stable")[:k]]


ranked = {"own 12-epoch validation": own12, "neighbourhood mean": scores["neighbourhood mean"],
          "neighbourhood worst": scores["neighbourhood worst"], "200-epoch test (truth)": acc200}
print(f"mean [95 % interval] of the top 100 connected cells by each score")
print(f"{'ranked by':28s} | {'width (c)':18s} | {'depth':18s} | convolutions")
for name, values in ranked.items():
    r = top_cells(values)
    print(f"{name:28s} | " + " | ".join(f"{ci_text(stats.mean_ci(shapes[key][r])):18s}"
                                      for key in ("width", "depth", "convs")))
all_shape = bench_analysis.connected_shape()
print(f"{'all connected cells':28s} | {all_shape.width:<18.2f} | {all_shape.depth:<18.2f} | {all_shape.convs:.2f}")
worst, truth = top_cells(scores["neighbourhood worst"]), top_cells(acc200)
for key in ("width", "depth"):
    print(f"top 100 by worst neighbour minus top 100 by truth, {key}: "
          f"{test_text(stats.permutation_test(shapes[key][worst], shapes[key][truth]))}")

# %% [markdown]
# And directly: is sharpness (own minus the neighbours' mean, as above) related to width and depth?
# Lesson 04's rule applies: compare cells with the same number of convolutions, since convolutions
# drive both accuracy and shape. Spearman's ρ within each group, averaged with the groups' sizes as
# weights; its interval resamples cells (`stats.bootstrap_ci`), each group's from `stats.spearman`:

# %%
# NBVAL_CHECK_OUTPUT
corr = bench_analysis.shape_correlations(drop)
convs_c, drop_c = shapes["convs"][connected], drop[connected]


def within_groups(x):
    """The statistic of ``shape_correlations`` for one shape ``x`` on a resample ``i`` of the connected cells."""
    def statistic(i):
        values, sizes = [], []
        for k in np.unique(convs_c[i]):
            j = i[convs_c[i] == k]
            if len(j) > 2 and np.ptp(x[j]) > 0 and np.ptp(drop_c[j]) > 0:
                values.append(rho(x[j], drop_c[j]))
                sizes.append(len(j))
        return float(np.average(values, weights=sizes))
    return statistic


for key in ("width", "depth"):
    iv = stats.bootstrap_ci(np.arange(len(connected)), within_groups(shapes[key][connected]), n_boot=200,
                            method="percentile")
    print(f"ρ({key}, sharpness) = {getattr(corr, key):+.3f} [{iv.low:+.3f}, {iv.high:+.3f}] "
          f"(n = {iv.n:,} cells, within conv-count groups, weighted)")
for g in corr.groups:
    if g.size >= 100:
        keep = shapes["connected"] & (shapes["convs"] == g.convs)
        w, d = (stats.spearman(shapes[key][keep], drop[keep], n_boot=300, n_perm=2000) for key in ("width", "depth"))
        print(f"  {g.convs} convolutions ({g.size:5d} cells): ρ(width) {w.estimate:+.3f} [{w.low:+.2f}, {w.high:+.2f}], "
              f"ρ(depth) {d.estimate:+.3f} [{d.low:+.2f}, {d.high:+.2f}]")
na_cells, rs_cells = FL.na_random_search(10, seeds=seeds).chosen, FL.random_search(10, seeds=seeds).chosen
both = shapes["connected"][na_cells] & shapes["connected"][rs_cells]  # same draws per seed: paired
for key in ("width", "depth"):
    print(f"cells chosen at n = 10, NA-RS minus RS, {key}: NA-RS {shapes[key][na_cells[both]].mean():.2f}, "
          f"RS {shapes[key][rs_cells[both]].mean():.2f}; "
          f"{test_text(stats.paired_test(shapes[key][na_cells[both]], shapes[key][rs_cells[both]]))}")

# %% [markdown]
# ### What did we see
#
# * **Which cells count as flat depends on the measure.** Ranked by their worst neighbour, the top 100
#   cells are wider and shallower than the 100 truly best: 2.09c against 1.81c (+0.28 [+0.21, +0.35]) and
#   depth 2.44 against 2.85 (−0.41 [−0.53, −0.29]), both p < 0.001, as shallow as the average connected
#   cell (2.43). The neighbourhood mean moves the top cells towards width only (1.95c, depth 2.79).
# * **By the mean drop to its neighbours, a flat cell is wider and deeper.** Within cells with the same
#   number of convolutions, sharpness falls with width (ρ = −0.139 [−0.157, −0.124]) and with depth
#   (ρ = −0.163 [−0.178, −0.148]): the deeper cells are the flatter ones. The width relation turns around
#   among cells with 4 or 5 convolutions, where wider cells are slightly sharper (+0.062 and +0.117,
#   intervals above zero).
# * So a flatness criterion does not simply push towards wide, shallow cells: the worst neighbour favours
#   wide and shallow cells, the mean drop wide and deep ones. Nor is there a pull towards width on this
#   benchmark for it to add to: lesson 04's within-group correlations, recomputed above, put width's
#   relation with 12-epoch accuracy at +0.030 and the short budget's bias in depth (−0.133 after 12
#   epochs, +0.007 after 200).
# * In NA-RS's own choices the shift is small: at $n = 10$ its chosen cells are 1.76c wide against RS's
#   1.71c on the same draws (+0.05 [+0.02, +0.08], p < 0.001), and as deep (2.59 against 2.55, p = 0.183).

# %% [markdown]
# ## 4. NA-DARTS: a neighbourhood for a relaxed architecture
#
# DARTS optimises $p = \mathrm{softmax}(\alpha)$, not a discrete cell, so NA-DARTS needs neighbours of
# $p$. The course's version (`flatness.perturbed_weights`): a neighbour $p'$ picks $m$ random edges and
# moves each a fraction $\beta$ of the way towards one other operation $o$ (not the edge's current
# strongest),
#
# $$p'_e = (1 - \beta)\, p_e + \beta\, \mathrm{onehot}(o),$$
#
# and the architecture step descends the mean validation loss over $p$ and $k$ such neighbours,
#
# $$\mathcal{L}_{\text{NA}}(\alpha) = \frac{1}{k + 1}\Big(\mathcal{L}_{val}(w, p) + \sum_{i=1}^{k}
# \mathcal{L}_{val}(w, p'_i)\Big),$$
#
# differentiated through $p$ as first-order DARTS does (`method="nadarts"`, defaults $k = 2$, $m = 1$,
# $\beta = 0.5$; with $k = 0$ it is first-order DARTS to the last bit, a test checks). An α whose
# loss stays low when an edge is pushed towards another operation is preferred.
#
# Sharpness in α (RobustDARTS): the largest eigenvalue $\lambda_{\max}$ of
# $\nabla^2_\alpha\big[\mathcal{L}_{val}(w, \alpha) + \tfrac{\text{wd}}{2}\lVert\alpha\rVert^2\big]$ on one
# fixed validation batch, found by power iteration on Hessian-vector products
# (`sharpness.alpha_hessian_max_eigenvalue`). `hessian_every=1` records it after every epoch. Both
# searches live, on lesson 06's tiny recipe (C = 8, one cell per stage, 16 × 16 images, 2,048 search
# images, 4 epochs, $\eta_\alpha = 3\cdot10^{-3}$):

# %%
cifar = data.load_dataset("cifar10")
images = 2048 if preset.name == "tiny" else preset.search_images
live = {}
for method in ("darts1", "nadarts"):
    cfg = make_config(method, "nb201", preset, epochs=4, search_images=images, hessian_every=1)
    live[method] = search(cfg, seed=0, device=device, dataset=cifar, progress=False)

# %%
for method, result in live.items():
    eigs = ", ".join(f"{h['alpha_eig']:.3f}" for h in result.history)
    accs = ", ".join(f"{h['bench_cifar10_200']:.2f}" for h in result.history)
    print(f"{method}: λ_max per epoch {eigs}")
    print(f"{'':9s}derived cell's real accuracy per epoch {accs} %")
    print(f"{'':9s}final cell {result.genotype_str}")

# %% [markdown]
# Did NA-DARTS make the supernet flatter where it was meant to? `select.edge_swap_accuracy` measures the
# supernet's validation accuracy at $p$ and at every single-edge neighbour of $p$ (6 edges × 4
# operations, each edge swapped outright, $\beta = 1$), on the same 512 validation images:

# %%
_, val_loader = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
eval_batches = val_loader.plain_batches(8)
live_drop = {}
for method, result in live.items():
    base, (acc,) = select.edge_swap_accuracy(result.supernet, eval_batches, beta=1.0)
    moved = acc[~acc.isnan()]
    live_drop[method] = 100 * (base - float(moved.mean()))
    print(f"{method}: accuracy at p {100 * base:.1f}%, over its 24 swapped neighbours "
          f"{100 * float(moved.mean()):.1f}% on average (drop {live_drop[method]:.1f} points, "
          f"worst {100 * (base - float(moved.min())):.1f})")
a, b = live["nadarts"].history[-1], live["darts1"].history[-1]
print(f"one seed, NA-DARTS minus DARTS: last λ_max {a['alpha_eig'] - b['alpha_eig']:+.3f}, swap drop "
      f"{live_drop['nadarts'] - live_drop['darts1']:+.1f} points, final cell {a['bench_cifar10_200'] - b['bench_cifar10_200']:+.2f} "
      f"points")

# %% [markdown]
# One seed at four epochs decides little. `lessons/results/flatness-nb201-tiny/` holds this recipe over
# five seeds and `lessons/results/flatness-nb201/` a larger one over three: C = 8, N = 2 cells per stage,
# 5,000 search images, 12 epochs (the commands are in their READMEs; one thread per run on a 2-core
# CPU). With three to five seeds the intervals are Student's t (a bootstrap of so few values is too
# narrow), and the exact sign-flip test has only $2^n$ arrangements: with three seeds it cannot go
# below $p = 1/4$, with five below $p = 1/16$, however large the effect.

# %%
def load_runs(name):
    folder = Path("results") / name  # the notebook runs in lessons/
    if not folder.exists():
        folder = Path("lessons/results") / name  # or from the repository root
    runs = {}
    for path in sorted(folder.glob("*-seed*.json")):
        method, seed = path.stem.rsplit("-seed", 1)
        runs.setdefault(method, {})[int(seed)] = json.loads(path.read_text())
    return runs


def per_seed(runs):
    """method -> {quantity: (seeds,) array}, seeds in order: final and best cell's accuracy, λ_max first and
    last, mean swap drops at β = 0.5 and 1 (points), skip connections, width and depth of the final cell."""
    out = {}
    for method, by_seed in runs.items():
        rows = []
        for seed, run in sorted(by_seed.items()):
            h = run["history"]
            acc = [e["bench_cifar10_200"] for e in h]
            drops = [100 * s["mean_drop"] for s in run["sensitivity"]]
            rows.append((seed, acc[-1], max(acc), h[0]["alpha_eig"], h[-1]["alpha_eig"], *drops,
                         h[-1]["skip_connect"], *nb201_width_depth(run["genotype"])))
        v = np.array(rows, dtype=float)
        out[method] = dict(zip(("seed", "final", "best", "eig_first", "eig_last", "drop_half", "drop_one", "skips",
                                "width", "depth"), v.T))
    return out


def compare(runs, title):
    """Per seed, then per method (mean [95 % interval]), then NA-DARTS against DARTS on the same seeds."""
    v = per_seed(runs)
    print(title)
    print(f"{'method':8s} {'seed':>4s} | {'final cell':>10s} | {'best epoch':>10s} | {'λ_max first -> last':>19s} | "
          f"{'swap drop β=0.5':>15s} | {'β=1':>5s} | skips | width | depth")
    for method, q in v.items():
        for i in range(len(q["seed"])):
            print(f"{method:8s} {int(q['seed'][i]):4d} | {q['final'][i]:9.2f}% | {q['best'][i]:9.2f}% | "
                  f"{q['eig_first'][i]:8.3f} -> {q['eig_last'][i]:7.3f} | {q['drop_half'][i]:15.1f} | "
                  f"{q['drop_one'][i]:5.1f} | {int(q['skips'][i]):5d} | {q['width'][i]:4.2f}c | {int(q['depth'][i]):5d}")
    print("mean [95 % interval, Student's t]:")
    for method, q in v.items():
        final, best = (stats.mean_ci(q[key], method="t") for key in ("final", "best"))
        print(f"  {method:8s} final cell {final} %, best epoch {ci_text(best)} %, "
              f"λ_max {q['eig_first'].mean():.3f} -> {q['eig_last'].mean():.3f} "
              f"(grew {np.min(q['eig_last'] / q['eig_first']):.1f} to {np.max(q['eig_last'] / q['eig_first']):.1f} times)")
    print("NA-DARTS minus DARTS, paired by seed:")
    for key, label in (("final", "final cell's accuracy"), ("eig_last", "last λ_max"),
                       ("drop_one", "swap drop at β = 1"), ("width", "width of the final cell"),
                       ("depth", "depth of the final cell")):
        digits = 3 if key == "eig_last" else 2
        print(f"  {label:24s} {seeds_text(v['nadarts'][key], v['darts1'][key], digits)}")
    return v


# %%
# NBVAL_CHECK_OUTPUT
saved_tiny = load_runs("flatness-nb201-tiny")
saved = load_runs("flatness-nb201")
summary_tiny = compare(saved_tiny, "tiny recipe (C = 8, N = 1, 2,048 images, 4 epochs), five seeds:")
print()
summary = compare(saved, "larger recipe (C = 8, N = 2, 5,000 images, 12 epochs), three seeds:")
print()
for name, s in (("tiny", summary_tiny), ("larger", summary)):
    first = np.concatenate([s[m]["eig_first"] for m in s])
    last = np.concatenate([s[m]["eig_last"] for m in s])
    print(f"{name} recipe, all {len(first)} runs: λ_max after the first epoch {first.min():.3f} to {first.max():.3f}, "
          f"after the last {last.min():.3f} to {last.max():.3f}; grew in {int(np.sum(last > first))} of {len(first)}, "
          f"{np.min(last / first):.1f} to {np.max(last / first):.1f} times")
    for m in s:
        print(f"  {m}: last minus first λ_max {seeds_text(s[m]['eig_last'], s[m]['eig_first'], 3)}")

# %%
method_colour = {"darts1": "tab:blue", "nadarts": "tab:orange"}
seed_style = {0: ("-", "o"), 1: ("--", "s"), 2: (":", "^")}
fig, ax = plt.subplots(1, 2, figsize=(12, 4.2))
for method, by_seed in saved.items():
    for seed, run in sorted(by_seed.items()):
        epochs = [e["epoch"] for e in run["history"]]
        line, marker = seed_style[seed]
        style = dict(color=method_colour[method], ls=line, marker=marker, markersize=4, alpha=0.85)
        ax[0].plot(epochs, [e["alpha_eig"] for e in run["history"]], **style)
        ax[1].plot(epochs, [e["bench_cifar10_200"] for e in run["history"]], **style)
ax[0].set(xlabel="epoch", ylabel="λ_max of the α Hessian", title="sharpness in α (larger recipe)")
ax[1].set(xlabel="epoch", ylabel="real accuracy of the derived cell (%)", title="the cell each epoch derives")
skips = bench.lookup(["skip_connect"] * 6).cifar10
ax[1].axhline(skips, color="grey", ls=(0, (1, 3)), lw=1)
ax[1].annotate(f"all skip connections ({skips:.2f} %)", (1, skips), textcoords="offset points", xytext=(0, 4),
               fontsize=8, color="grey")
handles = [Line2D([], [], color=method_colour[m], ls=seed_style[s][0], marker=seed_style[s][1], markersize=4,
                  label=f"{'DARTS' if m == 'darts1' else 'NA-DARTS'}, seed {s}")
           for m in saved for s in sorted(saved[m])]
fig.legend(handles=handles, loc="lower center", ncol=6, fontsize=8)
fig.tight_layout(rect=(0, 0.07, 1, 1))
plt.show()

# %% [markdown]
# ### DARTS-ES on these trajectories
#
# DARTS-ES (Zela et al., ICLR 2020) stops a search when the α Hessian's $\lambda_{\max}$ grows too fast:
# average $\lambda_{\max}$ over a centred window of evaluations; once the average has grown by more than
# a fixed factor over a few evaluations, stop and return the genotype of the earlier epoch
# (`sharpness.darts_es`; `early_stop=True` in a search). The settings of RobustDARTS's code
# (`sharpness.darts_es`'s defaults, printed below) are a window of 5 evaluations, a factor of 1.3
# over 4 evaluations, one eigenvalue every 2 epochs and checks from epoch 10 of 50
# [Zela et al. 2020, RobustDARTS code]. Our searches last 12 epochs with one eigenvalue per epoch, so
# the rule as published never gets to compare anything. Scaled to our length (window 3, 2 evaluations
# apart, from epoch 2), where would it have stopped, and was the earlier cell better?

# %%
# NBVAL_CHECK_OUTPUT
defaults = {k: p.default for k, p in inspect.signature(sharpness.darts_es).parameters.items()
            if p.default is not inspect.Parameter.empty}
print(f"sharpness.darts_es defaults (RobustDARTS): {defaults}")
early, final = [], []
for method, by_seed in saved.items():
    for seed, run in sorted(by_seed.items()):
        h = run["history"]
        published = sharpness.darts_es([e["epoch"] for e in h], [e["alpha_eig"] for e in h])
        stop = sharpness.darts_es([e["epoch"] for e in h], [e["alpha_eig"] for e in h], window=3, delta=2,
                                  start_epoch=2)
        chosen = h[(h[-1]["epoch"] if stop is None else stop.epoch) - 1]["bench_cifar10_200"]
        early.append(chosen)
        final.append(h[-1]["bench_cifar10_200"])
        verdict = "never fires" if stop is None else (
            f"fires after epoch {stop.fired} (×{stop.ratio:.2f}), returns epoch {stop.epoch}'s cell: "
            f"{chosen:.2f}% against the final {final[-1]:.2f}% ({chosen - final[-1]:+.2f})")
        print(f"{method:8s} seed {seed}: as published {'never fires' if published is None else 'fires'}; "
              f"scaled: {verdict}")
print(f"early-stopped minus final cell, over the {len(early)} runs: {seeds_text(early, final)}")
tiny_fired = [sharpness.darts_es([e["epoch"] for e in run["history"]], [e["alpha_eig"] for e in run["history"]],
                                 **rule) is not None
              for by_seed in saved_tiny.values() for run in by_seed.values()
              for rule in ({}, dict(window=3, delta=2, start_epoch=2))]
print(f"tiny recipe (4 epochs, {len(tiny_fired) // 2} runs): the rule fires in {sum(tiny_fired)} of "
      f"{len(tiny_fired)} (run, rule) pairs")

# %% [markdown]
# ### What did we see
#
# * **The live run** is one seed of four epochs. Its differences (printed above) change with the
#   processor and the number of threads, and alone they decide nothing; the saved seeds say what is
#   typical.
# * **Sharpness in α grew in every saved search**, 10 of 10 at the tiny recipe and 6 of 6 at the larger:
#   there λ_max rose from 0.081 to 0.194 after the first epoch to 0.334 to 0.645 after the twelfth (2.5
#   to 7.3 times), in DARTS and NA-DARTS alike, the same order of magnitude as RobustDARTS's search logs,
#   about 0.15 rising to 0.4 to 1.3 over 50 epochs [Zela et al. 2020, S1 search logs of their code].
#   Seed by seed that is as consistent as it can be, yet with three and five seeds per method the
#   sign-flip test cannot make it significant: DARTS's last minus first λ_max is +0.332 [−0.015, +0.678]
#   (p = 0.250) at the larger recipe and +0.075 [+0.017, +0.134] (p = 0.062) at the tiny one.
# * **A growing λ_max did not mean a worse DARTS cell here.** DARTS's final cells scored 93.06
#   [92.69, 93.44] % (three seeds), under the best cell each search passed through (93.50 %), and none
#   collapsed to skip connections (1 to 3 of 6 edges). RobustDARTS's association held for one run only,
#   NA-DARTS seed 0, whose cell slid to 5 skip connections (80.57 %) while λ_max rose.
# * **NA-DARTS did not find better cells.** NA-DARTS minus DARTS on the same seeds: −2.45 [−6.26, +1.36]
#   points at the tiny recipe (five seeds, never better, p = 0.125) and −4.18 [−22.06, +13.70] at the
#   larger one (three seeds, better in one, 93.61 against 93.22 %, p = 0.500); the interval of NA-DARTS's
#   own mean there, 88.88 [70.95, 106.81] %, runs past 100 %, which says how little three seeds with one
#   collapse pin down. It kept λ_max lower at the tiny recipe (0.080 against 0.123 after 4 epochs,
#   −0.042 [−0.091, +0.006], p = 0.062) but not at the larger one (0.555 against 0.464 after 12).
# * It made the larger supernets less sensitive to an edge swapped outright in all three seeds (β = 1:
#   4.5, 5.7 and 10.7 points lost on average against DARTS's 8.7, 6.5 and 11.6 on the same seeds;
#   −1.97 [−6.80, +2.85], p = 0.250), which is what its loss asks for; at the tiny recipe it did not
#   (−0.07 [−1.66, +1.53], p = 0.938).
# * **A flat supernet is not a good cell.** A cell of skip connections is the flattest there is: swapping
#   one of its edges changes little. NA-DARTS's two worst cells are its most skip-heavy (5 skips,
#   80.57 %; 3 skips, 85.55 % at the tiny recipe), the direction RobustDARTS warns of, not away from it.
# * **Wide and shallow**: NA-DARTS's final cells were wider than DARTS's at both recipes (+0.44c and
#   +0.23c, p = 0.500 and 0.250), shallower at the larger one (−0.33) and deeper at the tiny one
#   (+0.40); no direction in depth, and no test near significance with three and five seeds.
# * **DARTS-ES**, scaled to 12 epochs, fired after epoch 5 in all six larger runs and returned epoch 2's
#   cell: better than the final cell in four runs (up to +7.64 points, rescuing NA-DARTS seed 0) and
#   worse in two (down to −3.82); on average +0.73 [−3.31, +4.76] points (p = 0.750). It fired so early
#   because λ_max rises steeply over the first epochs of every search (local averages up 1.37 to 1.69
#   times), while the supernet is still learning. As published it never fired, and in the tiny recipe's
#   4 epochs neither version can fire.
#
# ## Summary
#
# The course's evidence table (`nascourse.evidence`, computed by `scripts/evidence.py` from the same saved
# runs and the NAS-Bench-201 table) gives each claim this lesson tests a verdict by one rule:

# %%
evidence.show("07");

# %% [markdown]
# In words, with what this lesson showed:
#
# * The course's reconstruction of neighbourhood-aware NAS scores a cell by the mean (or worst) of a
#   measure over the cell and its 24 one-operation neighbours; NA-DARTS moves random edges of
#   softmax(α) a fraction β towards another operation and descends the mean validation loss.
# * **A neighbourhood predicts the long run better** held over all of NAS-Bench-201 (ρ = 0.829 against
#   0.772 with the 200-epoch accuracy), but the neighbours without the cell do as well: averaging noisy
#   runs, not flatness, explains the gain. Among the 500 best cells it did not hold, and the opposite is
#   significant: the cell's own accuracy is the better guide (0.728 against 0.508).
# * **NA-RS beats RS** did not hold at the same number of benchmark queries, where RS is significantly
#   better at every budget (93.92 against 92.66 % with 248 queries), and held only in direction, not
#   significantly, at the same number of samples ($n = 10$), where NA-RS reads 25 times more cells. (With
#   only 4 samples NA-RS's lead of +0.12 points is significant, p = 0.033, at 25 times the queries.)
# * **NA-DARTS finds better cells than DARTS** did not hold at either recipe (five and three seeds).
# * **λ_max of the α Hessian grows during a search** held in direction, not significantly: it grew in
#   all 16 saved searches, DARTS or NA-DARTS (1.2 to 5.4 times at the tiny recipe, 2.5 to 7.3 times at
#   the larger), but three to five seeds per method cannot make a sign-flip test significant, and
#   DARTS's cells did not get worse as it grew.
# * **DARTS-ES** is not testable as published within 12 epochs, nor in any form in the tiny recipe's
#   4 epochs; scaled down, it fired in all six larger runs and returned a better cell in four: held in
#   direction, not significant.
# * **Flat cells and shape** (no row of the table): which shape is flat depends on the measure. The
#   worst neighbour favours wider, shallower cells than the truly best; the mean drop to the neighbours
#   favours wider and deeper ones. At this scale flatness gives no consistent push towards wide,
#   shallow cells, and NA-RS's chosen cells are only slightly wider than RS's.
#
# %% [markdown]
# ## Exercises
#
# Worked solutions: [`solutions/07_flatness.ipynb`](../solutions/07_flatness.ipynb).
#
# ### Exercise 1: a neighbourhood score by hand
#
# Write `my_neighbourhood_mean(cell, measure)`: `cell` is a list of six NAS-Bench-201 operation names
# and `measure(c)` returns a number for any cell `c`. Return the mean of `measure` over the cell and all
# its neighbours at Hamming distance 1, built with your own loops over edges and operations (the names
# are in `nascourse.ops.NB201_OPS`). Then check it against section 1's `flatness.neighbourhood_score`
# with `measure = lambda c: bench.lookup(c).cifar10_val12`, and find the cell with the best
# neighbourhood mean among the 200 best cells by their own validation accuracy: is it one of them?

# %% tags=["nbval-skip"]
def my_neighbourhood_mean(cell, measure):
    """Mean of ``measure`` over ``cell`` and its 24 neighbours (one operation changed)."""
    raise NotImplementedError  # your code here


exercises.check_neighbourhood_mean(my_neighbourhood_mean)

# %% [markdown]
# ### Exercise 2: a neighbour of a relaxed architecture
#
# Write `my_neighbour(p, edge, op, beta)`: `p` is an `(edges, operations)` tensor of mixing weights.
# Return a new tensor equal to `p` except on row `edge`, which moves a fraction `beta` of the way
# towards the one-hot vector of operation `op`. Do not change `p` in place. Then use it to compute, for
# the live NA-DARTS supernet of section 4, the validation loss at $p$ and at all 24 single-edge
# neighbours with $\beta = 0.5$: which edge is the sharpest?

# %% tags=["nbval-skip"]
def my_neighbour(p, edge, op, beta):
    """p with row ``edge`` replaced by (1 - beta) p[edge] + beta onehot(op)."""
    raise NotImplementedError  # your code here


exercises.check_relaxed_neighbour(my_neighbour)
