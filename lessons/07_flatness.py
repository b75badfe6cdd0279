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
# # Lesson 07: flat architectures
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/07_flatness.ipynb)
#
# About 2 minutes on a CPU with the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

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
# 3. say whether flat cells are **wide and shallow**, the shape lesson 04 found searches prefer;
# 4. run **NA-DARTS** beside DARTS, follow the largest eigenvalue of the α Hessian during both, apply
#    **DARTS-ES**'s stopping rule, and judge every derived cell by its real accuracy.
#
# **Only the abstract of the neighbourhood-aware paper could be read for this course.** Its idea is
# verified; its formulation is not. The neighbourhood (one operation changed), the aggregate (mean or
# worst), NA-RS's budget and NA-DARTS's differentiable neighbourhood below are **the course's
# reconstruction**, not the paper's method, and no number here is the paper's.

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch

from nascourse import bench, bench_analysis, config, data, exercises, select, sharpness
from nascourse import flatness as FL
from nascourse.batches import search_split
from nascourse.history import make_config
from nascourse.nb201 import nb201_neighbours, nb201_width_depth
from nascourse.search import search

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

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

# %%
# NBVAL_CHECK_OUTPUT
table = bench.table()
own12, test12, acc200 = table["cifar10_val12"], table["cifar10_test12"], table["cifar10"]
scores = {"own 12-epoch validation": own12,
          "neighbourhood mean": FL.neighbourhood_scores("cifar10_val12", "mean"),
          "neighbours only (mean)": own12[FL.neighbour_table()].mean(axis=1),
          "neighbourhood worst": FL.neighbourhood_scores("cifar10_val12", "min")}
rho = bench_analysis.spearman
print(f"{'score (from 12-epoch validation accuracy)':42s} | ρ with own val12 | ρ with test12 | ρ with 200-epoch")
for name, s in scores.items():
    print(f"{name:42s} | {rho(s, own12):16.3f} | {rho(s, test12):13.3f} | {rho(s, acc200):16.3f}")

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
print(f"top 500 by own val12: ρ(own val12, 200-epoch) = {rho(own12[top], acc200[top]):.3f}, "
      f"ρ(neighbourhood mean, 200-epoch) = {rho(scores['neighbourhood mean'][top], acc200[top]):.3f}")
print(f"                      ρ(sharpness = own - neighbours' mean, 200-epoch) = {rho(drop[top], acc200[top]):.3f}")
sharp, flat = top[drop[top] > np.median(drop[top])], top[drop[top] <= np.median(drop[top])]
print(f"sharper half: own val12 {own12[sharp].mean():.2f}%, 200-epoch {acc200[sharp].mean():.2f}%; "
      f"flatter half: own val12 {own12[flat].mean():.2f}%, 200-epoch {acc200[flat].mean():.2f}%")

fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
ax[0].hexbin(scores["neighbourhood mean"], acc200, gridsize=50, bins="log", mincnt=1, cmap="viridis")
ax[0].set(xlabel="neighbourhood mean of 12-epoch val accuracy (%)", ylabel="200-epoch test accuracy (%)",
          title="all 15,625 cells")
ax[1].scatter(drop[top], acc200[top], s=6, alpha=0.6)
ax[1].set(xlabel="sharpness: own val12 - neighbours' mean (points)", ylabel="200-epoch test accuracy (%)",
          title="the 500 best cells by own val12")
fig.tight_layout()
plt.show()

# %% [markdown]
# ### What did we see
#
# * **Over all 15,625 cells the neighbourhood predicts the long run better than the cell itself**:
#   Spearman's ρ with the 200-epoch accuracy is 0.829 for the neighbourhood mean against 0.772 for the
#   cell's own 12-epoch validation accuracy. For the same 12-epoch budget the cell's own accuracy is the
#   better predictor (ρ with the 12-epoch test accuracy 0.960 against 0.933): the neighbourhood helps
#   only where the ranking changes with longer training.
# * **The neighbours alone do as well (0.829) as the neighbourhood with the cell.** What the score adds
#   is an average over 24 related training runs, each one noisy. The worst neighbour, the score that
#   measures flatness most directly, predicts worse than the cell alone (0.695).
# * **Among the 500 cells a search would return, the neighbourhood is the worse guide**: ρ with the
#   200-epoch accuracy 0.508 against 0.728 for the cell's own accuracy. Sharp cells there are only
#   slightly worse (ρ = −0.245 between sharpness and 200-epoch accuracy; the flatter half averages
#   93.62 % against 93.51 %, at the same own accuracy).
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
# spends 25 times more) and at the same number of queries. 300 seeds per setting, a second for all.

# %%
# NBVAL_CHECK_OUTPUT
seeds = 300
rows, boxes = [], {}
for n in (4, 10, 40):
    na = FL.na_random_search(n, seeds=seeds)
    queries = int(round(na.queries.mean()))
    same_n, same_q = FL.random_search(n, seeds=seeds), FL.random_search(queries, seeds=seeds)
    rows.append((n, queries, na, same_n, same_q))
    boxes[f"NA-RS\nn={n}"], boxes[f"RS\nn={n}"], boxes[f"RS\n{queries} q."] = na.test, same_n.test, same_q.test
print(f"{'NA-RS samples':>13s} {'queries':>8s} | {'NA-RS':>13s} | {'RS, same n':>13s} | {'RS, same queries':>16s}")
for n, q, na, same_n, same_q in rows:
    print(f"{n:13d} {q:8d} | " + " | ".join(f"{o.test.mean():6.2f} ± {o.test.std():4.2f}" for o in (na, same_n))
          + f" | {same_q.test.mean():9.2f} ± {same_q.test.std():4.2f}")

fig, ax = plt.subplots(figsize=(10, 3.6))
ax.boxplot(list(boxes.values()), showfliers=False)
ax.set_xticks(range(1, len(boxes) + 1), list(boxes))
ax.set(ylabel="200-epoch test accuracy of the chosen cell (%)",
       title=f"chosen cells over {seeds} seeds (NAS-Bench-201, CIFAR-10)")
plt.show()

# %% [markdown]
# Cheaper neighbourhoods: $k$ neighbours drawn at random instead of all 24 (the budget is then about
# $(k + 1)n$ queries), against RS at the same number of queries:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'k':>3s} {'n':>4s} {'queries':>8s} | {'NA-RS':>13s} | {'RS, same queries':>16s}")
for k in (1, 4, 12):
    n = 200 // (k + 1)
    na = FL.na_random_search(n, k=k, seeds=seeds)
    rs = FL.random_search(int(round(na.queries.mean())), seeds=seeds)
    print(f"{k:3d} {n:4d} {na.queries.mean():8.0f} | {na.test.mean():6.2f} ± {na.test.std():4.2f} | "
          f"{rs.test.mean():9.2f} ± {rs.test.std():4.2f}")

# %% [markdown]
# ### What did we see
#
# * **At the same number of samples $n$, NA-RS and RS tie** (91.99 against 91.87 % at $n = 4$, 92.66
#   against 92.56 % at 10, 93.43 against 93.46 % at 40), although NA-RS reads 25 times more cells.
# * **At the same number of queries, RS wins clearly at every budget**: 93.73 against 91.99 % with
#   about 100 queries, 93.92 against 92.66 % with 250, 94.09 against 93.43 % with 970, with a spread 3 to 5
#   times smaller. Drawing fewer neighbours helps NA-RS (k = 1: 93.51 %) but never reaches RS (93.86 %).
# * Spending a query on a new cell buys more than spending it on a neighbour of an old one. The paper's
#   claim that neighbourhood-aware search beats its plain counterpart **did not hold for this
#   reconstruction** of NA-RS on NAS-Bench-201 with the 12-epoch accuracy as the measure; it may hold for
#   the paper's own formulation, which we could not read.

# %% [markdown]
# ## 3. Are flat cells wide and shallow?
#
# Lesson 04 measured the **width** (how much of the cell reads its input directly, in units of $c$)
# and **depth** (edges on the longest path) of NAS-Bench-201 cells, and found that searches favour
# wide, shallow cells. Which cells does each score put on top? Mean shape of the 100 connected cells
# each score ranks best, beside the 100 truly best (200 epochs) and all connected cells:

# %%
# NBVAL_CHECK_OUTPUT
shapes = bench_analysis.shapes()
connected = np.flatnonzero(shapes["connected"])


def top_shape(values, k=100):
    """Mean width, depth and number of convolutions of the k connected cells with the highest ``values``."""
    rows = connected[np.argsort(-values[connected], kind="stable")[:k]]
    return shapes["width"][rows].mean(), shapes["depth"][rows].mean(), shapes["convs"][rows].mean()


print(f"{'ranked by':28s} | width | depth | convolutions")
for name, values in [("own 12-epoch validation", own12), ("neighbourhood mean", scores["neighbourhood mean"]),
                     ("neighbourhood worst", scores["neighbourhood worst"]), ("200-epoch test (truth)", acc200)]:
    w, d, c = top_shape(values)
    print(f"{name:28s} | {w:4.2f}c | {d:5.2f} | {c:5.2f}")
all_shape = bench_analysis.connected_shape()
print(f"{'all connected cells':28s} | {all_shape.width:4.2f}c | {all_shape.depth:5.2f} | {all_shape.convs:5.2f}")

# %% [markdown]
# And directly: is sharpness (own minus the neighbours' mean, as above) related to width and depth?
# Lesson 04's rule applies: compare cells with the same number of convolutions, since convolutions
# drive both accuracy and shape. Spearman's ρ within each group, averaged with the groups' sizes as
# weights:

# %%
# NBVAL_CHECK_OUTPUT
corr = bench_analysis.shape_correlations(drop)
print(f"ρ(width, sharpness) = {corr.width:+.3f}, ρ(depth, sharpness) = {corr.depth:+.3f} "
      f"(within conv-count groups, weighted)")
for g in corr.groups:
    if g.size >= 100:
        print(f"  {g.convs} convolutions ({g.size:5d} cells): ρ(width) {g.width:+.3f}, ρ(depth) {g.depth:+.3f}")
na_cells, rs_cells = FL.na_random_search(10, seeds=seeds).chosen, FL.random_search(10, seeds=seeds).chosen
for name, chosen in (("NA-RS, n = 10", na_cells), ("RS, n = 10", rs_cells)):
    ok = chosen[shapes["connected"][chosen]]
    print(f"cells chosen by {name:14s}: width {shapes['width'][ok].mean():.2f}c, depth {shapes['depth'][ok].mean():.2f}")

# %% [markdown]
# ### What did we see
#
# * **Cells ranked best by their worst neighbour are wider and shallower** than the truly best cells
#   (2.09c and depth 2.44 against 1.81c and 2.85) and than those ranked by their own accuracy (1.83c,
#   2.82). The neighbourhood mean moves the top cells towards width only (1.95c, depth 2.79).
# * Within cells with the same number of convolutions, sharpness falls a little with width
#   (ρ = −0.14) and with depth (ρ = −0.16): a cell with more parallel paths loses less when one edge is
#   swapped, because other paths still carry the signal.
# * So a flatness criterion adds to the pull towards wide, shallow cells that lesson 04 measured for
#   fast convergence: wider cells tend both to learn fast (lesson 04) and, weakly, to tolerate an edge
#   swap (here, though among cells with 4 or 5 convolutions wider ones are slightly sharper instead).
#   With NA-RS's samples the effect is small (chosen cells 1.76c and depth 2.59 against RS's 1.71c and
#   2.55 at $n = 10$).

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
    print(f"{method}: λ_max per epoch {[h['alpha_eig'] for h in result.history]}")
    print(f"{'':9s}derived cell's real accuracy per epoch {[h['bench_cifar10_200'] for h in result.history]}%")
    print(f"{'':9s}final cell {result.genotype_str}")

# %% [markdown]
# Did NA-DARTS make the supernet flatter where it was meant to? `select.edge_swap_accuracy` measures the
# supernet's validation accuracy at $p$ and at every single-edge neighbour of $p$ (6 edges × 4
# operations, each edge swapped outright, $\beta = 1$), on the same 512 validation images:

# %%
_, val_loader = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
eval_batches = val_loader.plain_batches(8)
for method, result in live.items():
    base, (acc,) = select.edge_swap_accuracy(result.supernet, eval_batches, beta=1.0)
    moved = acc[~acc.isnan()]
    print(f"{method}: accuracy at p {100 * base:.1f}%, over its 24 swapped neighbours "
          f"{100 * float(moved.mean()):.1f}% on average (drop {100 * (base - float(moved.mean())):.1f} points, "
          f"worst {100 * (base - float(moved.min())):.1f})")

# %% [markdown]
# One seed at four epochs decides little. `lessons/results/flatness-nb201-tiny/` holds this recipe over
# five seeds and `lessons/results/flatness-nb201/` a larger one over three: C = 8, N = 2 cells per stage,
# 5,000 search images, 12 epochs (the commands are in their READMEs; one thread per run on a 2-core
# CPU).

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


def compare(runs, title):
    """Per seed: the final cell's real accuracy, the best epoch's, λ_max first -> last, the swap drops
    (points), and the final cell's skip connections, width and depth."""
    print(title)
    print(f"{'method':8s} {'seed':>4s} | {'final cell':>13s} | {'best epoch':>10s} | {'λ_max first -> last':>19s} | "
          f"{'swap drop β=0.5':>15s} | {'β=1':>5s} | skips | width | depth")
    summary = {}
    for method, by_seed in runs.items():
        for seed, run in sorted(by_seed.items()):
            h = run["history"]
            acc = [e["bench_cifar10_200"] for e in h]
            eig = [e["alpha_eig"] for e in h]
            drops = [100 * s["mean_drop"] for s in run["sensitivity"]]
            width, depth = nb201_width_depth(run["genotype"])
            summary.setdefault(method, []).append((acc[-1], eig[0], eig[-1], *drops, h[-1]["skip_connect"], width,
                                                   depth))
            print(f"{method:8s} {seed:4d} | {acc[-1]:12.2f}% | {max(acc):9.2f}% | {eig[0]:8.3f} -> {eig[-1]:7.3f} | "
                  f"{drops[0]:15.1f} | {drops[1]:5.1f} | {h[-1]['skip_connect']:5d} | {width:4.2f}c | {depth:5d}")
    for method, values in summary.items():
        v = np.array(values)
        print(f"{method:8s} mean | {v[:, 0].mean():6.2f} ± {v[:, 0].std():4.2f} | {'':10s} | "
              f"{v[:, 1].mean():8.3f} -> {v[:, 2].mean():7.3f} | {v[:, 3].mean():15.1f} | {v[:, 4].mean():5.1f} | "
              f"{v[:, 5].mean():5.1f} | {v[:, 6].mean():4.2f}c | {v[:, 7].mean():5.2f}")
    return summary


# %%
# NBVAL_CHECK_OUTPUT
saved_tiny = load_runs("flatness-nb201-tiny")
saved = load_runs("flatness-nb201")
summary_tiny = compare(saved_tiny, "tiny recipe (C = 8, N = 1, 2,048 images, 4 epochs), five seeds:")
print()
summary = compare(saved, "larger recipe (C = 8, N = 2, 5,000 images, 12 epochs), three seeds:")

# %%
fig, ax = plt.subplots(1, 2, figsize=(11, 3.8))
colours = {"darts1": "tab:blue", "nadarts": "tab:orange"}
for method, by_seed in saved.items():
    for i, (seed, run) in enumerate(sorted(by_seed.items())):
        epochs = [e["epoch"] for e in run["history"]]
        label = f"{method}" if i == 0 else None
        ax[0].plot(epochs, [e["alpha_eig"] for e in run["history"]], color=colours[method], alpha=0.8, label=label)
        ax[1].plot(epochs, [e["bench_cifar10_200"] for e in run["history"]], color=colours[method], alpha=0.8,
                   marker=".", label=label)
ax[0].set(xlabel="epoch", ylabel="λ_max of the α Hessian", title="sharpness in α (larger recipe, 3 seeds)")
ax[1].set(xlabel="epoch", ylabel="real accuracy of the derived cell (%)", title="the cell each epoch derives")
ax[1].axhline(bench.lookup(["skip_connect"] * 6).cifar10, color="grey", ls=":", label="all skip connections")
for a in ax:
    a.legend()
fig.tight_layout()
plt.show()

# %% [markdown]
# ### DARTS-ES on these trajectories
#
# DARTS-ES (Zela et al., ICLR 2020) stops a search when the α Hessian's $\lambda_{\max}$ grows too fast:
# average $\lambda_{\max}$ over a centred window of 5 evaluations; once the average has grown by more than
# a factor 1.3 over 4 evaluations (8 epochs of their 50, one eigenvalue every 2 epochs, starting at epoch
# 10), stop and return the genotype of the earlier epoch (`sharpness.darts_es`; `early_stop=True` in a
# search). Our searches last 12 epochs with one eigenvalue per epoch, so the rule as published never gets
# to compare anything. Scaled to our length (window 3, 2 evaluations apart, from epoch 2), where would it
# have stopped, and was the earlier cell better?

# %%
# NBVAL_CHECK_OUTPUT
for method, by_seed in saved.items():
    for seed, run in sorted(by_seed.items()):
        h = run["history"]
        published = sharpness.darts_es([e["epoch"] for e in h], [e["alpha_eig"] for e in h])
        stop = sharpness.darts_es([e["epoch"] for e in h], [e["alpha_eig"] for e in h], window=3, delta=2,
                                  start_epoch=2)
        verdict = "never fires" if stop is None else (
            f"fires after epoch {stop.fired} (×{stop.ratio:.2f}), returns epoch {stop.epoch}'s cell: "
            f"{h[stop.epoch - 1]['bench_cifar10_200']:.2f}% against the final {h[-1]['bench_cifar10_200']:.2f}%")
        print(f"{method:8s} seed {seed}: as published {'never fires' if published is None else 'fires'}; "
              f"scaled: {verdict}")

# %% [markdown]
# ### What did we see
#
# * **The live run** (seed 0, above): NA-DARTS's λ_max ended lower than DARTS's (0.066 against 0.128),
#   its supernet lost more when an edge was swapped (3.5 against 1.8 points), and its cell was worse
#   (90.18 against 92.62 %). The saved seeds say how typical that is.
# * **Sharpness in α grew in every search.** λ_max rose from 0.08 to 0.19 after the first epoch to 0.33
#   to 0.65 after the twelfth at the larger recipe, in DARTS and NA-DARTS alike: the same order of
#   magnitude as RobustDARTS's logs (about 0.15 rising to 0.4 to 1.3 over 50 epochs).
# * **A growing λ_max did not mean a worse DARTS cell here.** DARTS's final cells scored 93.06 ± 0.12 %
#   (three seeds), half a point under the best cell each search passed through (93.50 %), and none
#   collapsed to skip connections (1 to 3 of 6 edges). RobustDARTS's association held for one run only,
#   NA-DARTS seed 0, whose cell slid to 5 skip connections (80.57 %) while λ_max rose.
# * **NA-DARTS did not find better cells.** Tiny recipe: 88.76 ± 1.84 against DARTS's 91.21 ± 2.14 %
#   (five seeds, never better). Larger recipe: 88.88 ± 5.89 against 93.06 ± 0.12 % (better in one seed
#   of three, 93.61 against 93.22 %). It kept λ_max lower at the tiny recipe (0.080 against 0.123 after
#   4 epochs) but not at the larger one (0.555 against 0.464 after 12).
# * It did make the larger supernets less sensitive to an edge swapped outright (β = 1: 4.5, 5.7 and
#   10.7 points lost on average against DARTS's 8.7, 6.5 and 11.6 on the same seeds), which is what its
#   loss asks for; at the tiny recipe it did not (2.2 against 2.3 points).
# * **A flat supernet is not a good cell.** A cell of skip connections is the flattest there is: swapping
#   one of its edges changes little. NA-DARTS's two worst cells are its most skip-heavy (5 skips,
#   80.57 %; 3 skips, 85.55 % at the tiny recipe), the direction RobustDARTS warns of, not away from it.
# * **Wide and shallow**: at the larger recipe NA-DARTS's cells were wider and shallower than DARTS's
#   (2.17c and depth 2.33 against 1.72c and 2.67), at the tiny one wider and deeper (1.77c, 2.8 against
#   1.53c, 2.4); three and five seeds decide little.
# * **DARTS-ES**, scaled to 12 epochs, fired after epoch 5 in all six runs and returned epoch 2's cell:
#   better than the final cell in four runs (up to 7.6 points, rescuing NA-DARTS seed 0) and worse in two
#   (down to 3.8 points). It fired so early because λ_max rises steeply over the first four or five
#   epochs of every search (local averages up 1.37 to 1.69 times), while the supernet is still learning;
#   with the published settings it never fired.
#
# ## Summary
#
# * The course's reconstruction of neighbourhood-aware NAS scores a cell by the mean (or worst) of a
#   measure over the cell and its 24 one-operation neighbours; NA-DARTS moves k random edges of
#   softmax(α) a fraction β towards another operation and descends the mean validation loss.
# * On NAS-Bench-201 the 12-epoch neighbourhood mean ranks all cells by their 200-epoch accuracy better
#   than the cell's own 12-epoch accuracy (ρ = 0.829 against 0.772), but so do the neighbours without
#   the cell: averaging noisy runs, not flatness, explains the gain. Among the 500 best cells the cell's
#   own accuracy is the better guide (0.728 against 0.508).
# * NA-RS against RS over 300 seeds: a tie at the same number of samples, a clear loss at the same number
#   of benchmark queries (92.66 ± 0.99 against 93.92 ± 0.22 % with about 250 queries). **The paper's claim
#   did not hold for this reconstruction.**
# * Cells ranked best by their worst neighbour are wider and shallower than the truly best cells (2.09c,
#   depth 2.44 against 1.81c, 2.85): a preference for flatness adds to the pull towards wide, shallow
#   cells.
# * λ_max of the α Hessian grew 2.5- to 7.4-fold during every search, DARTS or NA-DARTS, without DARTS's
#   cells getting worse at these scales. NA-DARTS's cells were worse than DARTS's at both recipes (88.76
#   against 91.21 %, five tiny seeds; 88.88 against 93.06 %, three larger seeds); its worst cells were its
#   most skip-heavy, flat and poor.
#
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
