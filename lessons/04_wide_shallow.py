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
# # Lesson 04 · Do wide and shallow cells converge faster?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/04_wide_shallow.ipynb)
#
# Runs in 51 s in JupyterLab on 2 CPU cores at the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# Lesson 01 found the published cells at the wide, shallow corner of their search spaces, where
# few random cells lie. Shu, Wang & Cai ("Understanding architectures learnt by cell-based neural
# architecture search", ICLR 2020) explain why: cell-based searches judge an architecture after
# little training, with shared weights, and **wide, shallow cells converge fastest**. Being fast
# early is not the same as being good in the end, so the preference may cost accuracy. This lesson
# tests that explanation at a scale a CPU can run, and then asks whether the searches *we* can run
# return wide, shallow cells at all. After it you can
#
# 1. state Shu et al.'s claim and what it predicts about a short and a long training budget;
# 2. test that prediction on all 15,625 cells of NAS-Bench-201, whose accuracies after 12 and after
#    200 epochs are both known, with a correlation that is not fooled by the number of convolutions,
#    and give it an interval;
# 3. build the paper's experiment: DARTS_V2's cell rewired at random into narrow-deep and
#    wide-shallow variants with the same operations, trained from scratch with identical settings;
# 4. measure "converges faster" as a rank correlation over cells, with an interval, and say what
#    two seeds and fourteen cells can and cannot separate;
# 5. compare the cells that seven weight-sharing searches return with uniform random cells of the
#    space, by a test rather than by eye;
# 6. ask the same questions of the DARTS space with a surrogate benchmark (NAS-Bench-301), and say
#    what a model's prediction can and cannot stand in for.
#
# **What runs live and what is read from disk.** Live in this notebook: the NAS-Bench-201 analysis
# (a table lookup), the training of three rewired cells for 3 epochs, and one SNAS search at the
# tiny preset. Read from saved runs in `lessons/results/` (made with the library on a 2-core CPU;
# each folder's README gives the command): the training of all fourteen cells over two seeds
# (section 4), 49 searches of seven methods (section 5), and NAS-Bench-301's predicted learning
# curves of 5,000 random DARTS cells (section 6; the cells of this lesson are scored live).

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from nascourse import bench, bench_analysis, config, data, evidence, exercises, plot, stats
from nascourse import genotypes as G
from nascourse import variants as V
from nascourse.train import build_network, make_train_config, train

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1. The claim
#
# Recall from lesson 01 how Shu et al. measure a DARTS cell. The **width** adds up how much of each
# intermediate node reads the cell's inputs directly ($c$ for a node fed by both inputs, $c/2$ for a
# node fed by one input and one node); the **depth** is the number of edges on the longest path from
# an input to the output. The published cells sit at or near the widest, shallowest shape their
# space allows:

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'cell':10s} {'width':>6s} {'depth':>6s}   widest-shallowest form")
for name in ("NASNET", "AMOEBANET", "ENAS", "DARTS_V2", "SNAS_MILD"):
    genotype = getattr(G, name)
    w, d = G.genotype_width_depth(genotype)["normal"]
    ws, ds = G.genotype_width_depth(V.widest_shallowest(genotype))["normal"]
    print(f"{name:10s} {w:5.1f}c {d:6d}   {ws:.1f}c, depth {ds}")

# %% [markdown]
# Their explanation has three steps. (i) A search ranks architectures by how well they do after
# a short training, or with weights shared across the supernet, which amounts to the same thing.
# (ii) Wide, shallow cells **converge fastest**, so they lead such a ranking. (iii) Fast convergence
# is not better generalisation: trained to the end, other cells of the same space do as well or
# better. Lesson 05 looks at *why* wide cells might converge fast (a smoother loss landscape, less
# noisy gradients). This lesson checks (ii) and (iii); lesson 08 measures (i) on three kinds of supernet.
#
# The prediction to test: **a short training budget favours wide and shallow cells more than a
# long one.**
#
# ## 2. The benchmark's answer: 12 against 200 epochs on NAS-Bench-201
#
# NAS-Bench-201 (Dong & Yang, ICLR 2020) trained each of its 15,625 cells twice: for 12 epochs (the
# budget of a search's inner loop) and for 200 (a final training). `nascourse.bench` holds both, so
# the prediction can be checked on every cell of a space, not on a dozen.
#
# Shu et al. define width and depth for the DARTS space only. A NAS-Bench-201 cell has one input and
# every node reads every earlier node, so the course carries the definitions over in one way,
# defined and drawn in lesson 01 ("Width and depth of a NAS-Bench-201 cell") and computed by
# `nb201.nb201_width_depth`: only live edges count (not `none`, and on a path from the input node 0
# to the output node 3); the output node sums edges itself and counts as a node; the width adds, for
# nodes 1, 2 and 3, the share of each node's live edges that come straight from node 0; the depth
# is the longest path from node 0 to node 3. Cells whose output is cut off from the input have
# neither and are left out.

# %%
# NBVAL_CHECK_OUTPUT
s = bench_analysis.shapes()  # per cell: connected, width, depth, convs (number of convolutions)
c = s["connected"]
print(f"connected cells: {c.sum():,} of {bench.N_CELLS:,} ({bench.N_CELLS - c.sum()} cut off); widths "
      f"{s['width'][c].min():.2f}c to {s['width'][c].max():.2f}c, depths {s['depth'][c].min()} to {s['depth'][c].max()}")
acc12, acc200 = bench.table()["cifar10_test12"], bench.table()["cifar10"]
budgets = stats.spearman(acc12[c], acc200[c], n_boot=200)
print(f"Spearman's rho between the 12-epoch and the 200-epoch test accuracy (CIFAR-10): {budgets}")
best12, best200 = bench.best("cifar10_test12"), bench.best("cifar10")
print(f"best cell after 12 epochs : {best12.string}  (200 epochs: {best12.cifar10:.2f}%, "
      f"rank {bench.rank(best12.string)})")
print(f"best cell after 200 epochs: {best200.string}  (200 epochs: {best200.cifar10:.2f}%)")

# %% [markdown]
# Spearman's $\rho$ is the correlation of ranks: 1 when the two budgets order the cells identically.
# At 0.86 they mostly agree, but thousands of cells move by thousands of places. (The interval comes
# from resampling cells; with 15,284 cells it is narrow.)
#
# **A confounder.** A cell with more convolutions is more accurate, and since a convolution is never
# `none`, such a cell also has more live edges, so it is both wider and deeper. A plain correlation of
# depth with accuracy would mostly measure the number of convolutions. So we correlate width and
# depth with accuracy **within groups of cells that have the same number of convolutions** (0 to 6),
# and average the groups, weighted by their sizes (`bench_analysis.shape_correlations`). The third
# target is the **rank gained** from 12 to 200 epochs (rank after 12 minus rank after 200; positive
# when a cell does better with the long budget). For an interval we resample the cells within each
# group (with replacement, as many as the group holds) and recompute every correlation, 200 times:
# the middle 95 % of the 200 values is the interval. `rank_correlations` below computes
# Spearman's rho as the Pearson correlation of ranks, so that each array is ranked once per
# resample.

# %%
def rank_correlations(rows):
    """Spearman's rho of width and depth with each target: the size-weighted mean over conv-count
    groups, and pooled over all the cells. rows: one index array per group (cells may repeat)."""
    ranks = {k: [bench_analysis.rankdata(v[g]) for g in rows] for k, v in arrays.items()}  # within groups
    pooled = {k: bench_analysis.rankdata(v[np.concatenate(rows)]) for k, v in arrays.items()}
    sizes = np.array([len(g) for g in rows], dtype=float)

    def pearson(a, b):  # of ranks: Spearman's rho; NaN when a resample leaves a group constant
        a, b = a - a.mean(), b - b.mean()
        denom = np.sqrt((a * a).sum() * (b * b).sum())
        return (a * b).sum() / denom if denom > 0 else np.nan

    out = {}
    for shape in ("width", "depth"):
        for target in ("12 epochs", "200 epochs", "rank gained"):
            rho = np.array([pearson(x, y) for x, y in zip(ranks[shape], ranks[target])])
            ok = ~np.isnan(rho)
            out[shape, target] = (rho[ok] * sizes[ok]).sum() / sizes[ok].sum()
            out[shape, target, "pooled"] = pearson(pooled[shape], pooled[target])
        out[shape, "change"] = out[shape, "200 epochs"] - out[shape, "12 epochs"]
    return out


gain = bench_analysis.rank_change("cifar10")
arrays = {"width": s["width"], "depth": s["depth"].astype(float), "12 epochs": acc12, "200 epochs": acc200,
          "rank gained": gain}
groups = [np.flatnonzero(c & (s["convs"] == k)) for k in range(7)]  # cells with 0, 1, ..., 6 convolutions
estimate = rank_correlations(groups)
assert abs(estimate["depth", "12 epochs"] - bench_analysis.shape_correlations("cifar10_test12").depth) < 1e-9
rng = np.random.default_rng(0)
boot = [rank_correlations([rng.choice(g, size=len(g)) for g in groups]) for _ in range(200)]
interval = {k: np.percentile([b[k] for b in boot], [2.5, 97.5]) for k in estimate}

# %%
# NBVAL_CHECK_OUTPUT
labels = {"12 epochs": "test accuracy after 12 epochs", "200 epochs": "test accuracy after 200 epochs",
          "change": "  change, 200 minus 12 epochs", "rank gained": "rank gained from 12 to 200 epochs"}


def with_interval(key):
    return f"{estimate[key]:+.2f} [{interval[key][0]:+.2f}, {interval[key][1]:+.2f}]"


print(f"Spearman rho [95 % interval], {c.sum():,} cells         {'width':>20s}  {'depth':>20s}")
print("within conv-count groups, weighted by size:")
for key, label in labels.items():
    print(f"  {label:44s}  {with_interval(('width', key)):>20s}  {with_interval(('depth', key)):>20s}")
print("pooled, conv count ignored:")
for key in ("12 epochs", "200 epochs", "rank gained"):
    print(f"  {labels[key]:44s}  {with_interval(('width', key, 'pooled')):>20s}  "
          f"{with_interval(('depth', key, 'pooled')):>20s}")

# %% [markdown]
# The pooled correlations, conv count ignored, make every shape look good, because shape stands in
# for the number of convolutions. Within the groups the picture is plain:
#
# * **Width is unrelated to accuracy after 12 epochs** ($\rho = +0.03$, interval on the table): the
#   short budget does not favour wide cells in this space. After 200 epochs width helps a little
#   ($+0.09$), and wide cells *gain* ranks from the long budget ($+0.14$), the opposite of what the
#   claim predicts.
# * **The budget effect is in depth.** After 12 epochs deeper cells are less accurate
#   ($\rho = -0.13$); after 200 epochs depth no longer matters ($+0.01$, an interval that includes
#   0); the change, $+0.14$, has an interval far from zero; and the deeper a cell, the more ranks
#   it gains from the long budget ($+0.28$).
#
# The figure shows the mean rank gained against depth, per number of convolutions, with 95 %
# intervals.

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'convolutions':>12s}  {'depth':>5s}  mean rank gained, 12 -> 200 epochs [95 % t-interval] (n)")
gained = {}  # (convs, depth) -> Interval
for convs in range(1, 6):
    for depth in (1, 2, 3):
        keep = c & (s["convs"] == convs) & (s["depth"] == depth)
        if keep.sum() >= 2:
            gained[convs, depth] = stats.mean_ci(gain[keep], method="t")
            print(f"{convs:12d}  {depth:5d}  {gained[convs, depth].format(0)}")

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.8))
for k, convs in enumerate(range(1, 6)):
    depths = [d for d in (1, 2, 3) if (convs, d) in gained]
    mid = [gained[convs, d].estimate for d in depths]
    err = [[gained[convs, d].estimate - gained[convs, d].low for d in depths],
           [gained[convs, d].high - gained[convs, d].estimate for d in depths]]
    x = np.array(depths) + 0.06 * (k - 2)  # side by side, so the interval bars do not overlap
    ax.errorbar(x, mid, yerr=err, fmt="o-", capsize=3, ms=4, color=plt.cm.viridis(k / 4), label=f"{convs}")
ax.axhline(0, color="grey", lw=0.7)
ax.set(xlabel="depth of the cell", ylabel="mean rank gained, 12 → 200 epochs", xticks=[1, 2, 3])
ax.set_title("NAS-Bench-201, CIFAR-10: deep cells gain from the long budget", fontsize=10)
ax.legend(title="convolutions", fontsize=8, title_fontsize=8, loc="upper left")
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# And the shape of the very best cells at each budget, against all connected cells:

# %%
# NBVAL_CHECK_OUTPUT
def top_rows(metric, k=100):
    """Benchmark indices of the k connected cells with the highest `metric` (as bench_analysis.top_shape)."""
    rows = np.flatnonzero(c)
    return rows[np.argsort(-bench.table()[metric][rows], kind="stable")[:k]]


for label, rows_ in (("top 100 after 12 epochs", top_rows("cifar10_test12")),
                     ("top 100 after 200 epochs", top_rows("cifar10")), ("all connected cells", np.flatnonzero(c))):
    print(f"{label:26s} " + ", ".join(f"{key} {stats.mean_ci(s[key][rows_].astype(float), method='t')}"
                                      for key in ("width", "depth", "convs")))

# %% [markdown]
# ### What did we see
#
# * The benchmark supports the part of the claim about **depth**: a 12-epoch budget penalises deep
#   cells (within equal numbers of convolutions, $\rho = -0.13$), a 200-epoch budget does not
#   ($+0.01$), and deep cells gain the most ranks from the longer training ($+0.28$). In the figure,
#   within every number of convolutions from 1 to 4, depth-3 cells gain more ranks than depth-1
#   cells, with intervals that do not overlap.
# * It does not support the part about **width** in this space: wide cells are not more accurate
#   after 12 epochs ($+0.03$), and they gain ranks from the longer training rather than lose them.
# * The best cells at either budget are wider and deeper than average, because they have more
#   convolutions (3.91 and 4.05 against 2.43). NAS-Bench-201's cell is small (4 nodes), so shapes
#   range only from depth 1 to 3 and width 1.00c to 2.33c; DARTS's cell (next section) has far more
#   room.
#
# ## 3. The experiment of the paper, live: DARTS_V2 rewired
#
# Shu et al. keep DARTS_V2's operations and redraw its connections at random
# (`variants.random_connections`, as their code does), then group the variants by width: three each
# at 2c, 2.5c, 3c and 3.5c, named c1 to c12 with width rising and depth falling
# (`variants.width_family`). All variants have the same operations and only the wiring differs;
# their parameter counts differ a little, because a skip connection that reads an input of a
# reduction cell must halve the resolution and becomes a small strided convolution. Add DARTS_V2
# itself (3.5c, depth 3) and its widest-shallowest form (`variants.widest_shallowest`: every
# operation rewired to the inputs, 4c, depth 2).

# %%
# NBVAL_CHECK_OUTPUT
family = [("DARTS_V2", G.DARTS_V2), ("wide", V.widest_shallowest(G.DARTS_V2))] + V.width_family(G.DARTS_V2)
shape = {name: G.genotype_width_depth(g)["normal"] for name, g in family}
print("  ".join(f"{name} {w:.1f}c/{d}" for name, (w, d) in shape.items()))
for name in ("c1", "c2"):
    inputs = sorted({j for _, j in dict(family)[name].normal if j < 2})
    print(f"{name}'s normal cell reads the cell inputs {inputs} (0 = c_(k-2), 1 = c_(k-1))")
widths = np.array([w for w, _ in shape.values()])
depths = np.array([d for _, d in shape.values()], dtype=float)
print(f"width against depth over these 14 cells: {stats.spearman(widths, depths)}")

# %% [markdown]
# In this family **width and depth are nearly one variable** ($\rho = -0.88$): wider cells are
# shallower. Whatever we measure below against width, we measure against depth too, and the
# family cannot say which of the two does the work. The only cells that differ in depth at the same
# width are c1 and c2 against c3 (2c, depths 5 and 4) and c4 and c5 against c6 (2.5c, depths 4 and
# 3), and they differ in their wiring in other ways too.
#
# The three cells trained live below, normal cells drawn with their width and depth:

# %%
fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.4))
fig.subplots_adjust(left=0.01, right=0.99, bottom=0.16, top=0.88, wspace=0.06)
for ax, name in zip(axes, ("c1", "DARTS_V2", "wide")):
    g = dict(family)[name]
    plot.draw_cell(g.normal, g.normal_concat, ax=ax, title=name, legend=False)  # the title adds width, depth
ops_used = sorted({op for name in ("c1", "DARTS_V2", "wide") for op, _ in dict(family)[name].normal})
fig.legend(handles=[Line2D([], [], color=plot.op_color(op), lw=2.5, label=op) for op in ops_used]
           + [Line2D([], [], color="#9a9a9a", lw=1.2, ls="--", label="concat")],
           loc="lower center", ncol=len(ops_used) + 1, fontsize=8, frameon=False)
plt.show()

# %% [markdown]
# Now train them from scratch, with one set of settings: DARTS's evaluation recipe
# (`make_train_config("darts", preset)`, printed below) without the auxiliary head, drop-path or
# cutout, as Shu et al. train their variants. The tiny preset's network is small (C = 8 channels,
# 5 cells, 16 × 16 images) and so is its data: 2,000 training images, 3 epochs, test loss on the
# first 1,000 test images. Three cells, one seed: the narrowest and deepest (c1, 2c, depth 5),
# DARTS_V2 (3.5c, depth 3) and the widest, shallowest form (4c, depth 2).

# %%
WIDTH_COLORS = {2.0: "#fdae61", 2.5: "#d7191c", 3.0: "#2c7bb6", 3.5: "#5e3c99", 4.0: "#1a1a1a"}  # one per width
DEPTH_STYLES = {2: ("-", "o"), 3: ("--", "s"), 4: ("-.", "^"), 5: (":", "v")}  # line style and marker per depth

sizes = {"tiny": dict(epochs=3, train_images=2000)}.get(preset.name, dict(epochs=10))
train_config = make_train_config("darts", preset, auxiliary_weight=0.0, drop_path_max=0.0, **sizes)
print(f"SGD, momentum {train_config.momentum}, learning rate {train_config.lr} cosine to {train_config.lr_min}, "
      f"weight decay {train_config.weight_decay}, gradient clipping at {train_config.grad_clip}, batch "
      f"{train_config.batch_size}, {train_config.epochs} epochs on {train_config.train_images} images")
cifar = data.load_dataset("cifar10")
live = []
for name in ("c1", "DARTS_V2", "wide"):
    result = train(build_network(dict(family)[name], train_config), train_config, seed=0, device=device,
                   dataset=cifar, progress=False)
    w, d = shape[name]
    live.append({"name": name, "width": w, "depth": d, "history": result.history})
    print(f"{name:8s} {w:.1f}c/{d}: test loss by epoch {[round(h['test_loss'], 2) for h in result.history]}, "
          f"final test accuracy {100 * result.history[-1]['test_acc']:.1f}%")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.6))
for ax, key, title in zip(axes, ("train_loss", "test_loss"), ("training loss (train mode, augmented)",
                                                             "test loss (eval mode)")):
    for run in live:
        ls, marker = DEPTH_STYLES[run["depth"]]
        ax.plot([h["epoch"] for h in run["history"]], [h[key] for h in run["history"]], ls=ls, marker=marker,
                color=WIDTH_COLORS[run["width"]], label=f"{run['name']} ({run['width']:g}c, depth {run['depth']})")
    ax.set(xlabel="epoch", ylabel=key.replace("_", " "), xticks=range(1, train_config.epochs + 1))
    ax.set_title(f"{title}, one seed", fontsize=10)
    ax.grid(alpha=0.3)
axes[1].legend(fontsize=8)
plt.show()

# %% [markdown]
# ### What did we see
#
# At the tiny scale the three cells end close together in test loss and within a few points of
# accuracy, and their curves may cross. With 3 short epochs on 2,000 images and one seed, the noise
# of a run is as large as the effect we are looking for: the tiny run shows the experiment and its
# measurements, not its result. Three cells cannot give a rank correlation worth an interval
# either. For the result we need longer training, all the cells and more than one seed.
#
# ## 4. At a larger scale: the whole family, two seeds (saved)
#
# The saved run in `lessons/results/width-family/` trains all 14 cells with the same recipe, at a scale
# a 2-core CPU manages in under an hour per seed: C = 8, 5 cells, 16 × 16 images, 5,000 training
# images, 12 epochs, test loss on 2,000 test images, seeds 0 and 1. Its README gives the exact
# command (`scripts/width_family.py`). Shu et al. trained 20 cells with C = 36 on all of CIFAR-10 for
# 600 epochs: the saved run is about 1/3000 of their compute per cell.

# %%
# NBVAL_CHECK_OUTPUT
results = Path("results/width-family")  # the notebook runs in lessons/
if not results.exists():
    results = Path("lessons/results/width-family")  # or from the repository root
saved = {}  # seed -> {name: run}
for path in sorted(results.glob("seed*/*.json")):
    run = json.loads(path.read_text())
    saved.setdefault(run["seed"], {})[run["name"]] = run
seeds = sorted(saved)
names = sorted(name for name, _ in family if all(name in saved[seed] for seed in seeds))  # as the evidence table
epochs = len(saved[seeds[0]][names[0]]["history"])
config0 = saved[seeds[0]][names[0]]["config"]
print(f"{len(names)} cells x seeds {seeds}; {epochs} epochs; C={config0['C']}, {config0['layers']} cells, "
      f"{config0['image_size']}x{config0['image_size']}, {config0['train_images']} training images")
# test loss, (seeds, cells, epochs)
loss = np.array([[[h["test_loss"] for h in saved[seed][n]["history"]] for n in names] for seed in seeds])
train_loss = np.array([[[h["train_loss"] for h in saved[seed][n]["history"]] for n in names] for seed in seeds])
width = np.array([shape[n][0] for n in names])
depth = np.array([shape[n][1] for n in names])

# %% [markdown]
# The figure groups the cells by shape: one colour per width, one line style per depth. Each line
# is the mean over the group's cells and both seeds; the band spans the lowest and highest run of
# the group (cells × seeds), so that the spread between seeds and between wirings is visible. The
# right panel gives each cell's **mean test loss over the 12 epochs** (lower = converged faster;
# the area under its curve), one dot per seed, against its width.

# %%
groups = {}  # (width, depth) -> indices of the cells of that shape
for i, n in enumerate(names):
    groups.setdefault((width[i], depth[i]), []).append(i)
x_epochs = np.arange(1, epochs + 1)
fig, axes = plt.subplots(1, 3, figsize=(15.0, 4.3), gridspec_kw=dict(width_ratios=[1, 1, 0.9]))
for ax, values, title in ((axes[0], loss, "test loss"), (axes[1], train_loss, "training loss")):
    for (w, d), members in sorted(groups.items()):
        runs = values[:, members].reshape(-1, epochs)  # (seeds x cells, epochs)
        ls, _ = DEPTH_STYLES[d]
        ax.fill_between(x_epochs, runs.min(0), runs.max(0), color=WIDTH_COLORS[w], alpha=0.15, lw=0)
        ax.plot(x_epochs, runs.mean(0), ls=ls, color=WIDTH_COLORS[w], lw=1.6,
                label=f"{w:g}c, depth {d}: {', '.join(names[i] for i in members)}")
    ax.set(xlabel="epoch", ylabel=title, xticks=range(1, epochs + 1, 1))
    ax.set_title(f"{title}: mean and range of {len(seeds)} seeds × cells of a shape", fontsize=10)
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=7, loc="upper right", title="width, depth: cells", title_fontsize=7)
area = loss.mean(axis=2)  # (seeds, cells): mean test loss over the epochs
for i, n in enumerate(names):
    ls, marker = DEPTH_STYLES[depth[i]]
    offset = 0.05 * (groups[(width[i], depth[i])].index(i) - 1)  # cells of one shape side by side
    axes[2].scatter(np.full(len(seeds), width[i] + offset), area[:, i], marker=marker, s=22,
                    color=WIDTH_COLORS[width[i]], zorder=3)
    if n in ("c1", "c2", "c3", "wide"):
        axes[2].annotate(n, (width[i] + offset, area[:, i].max()), xytext=(4, 2), textcoords="offset points",
                         fontsize=7)
axes[2].legend(handles=[Line2D([], [], ls="", marker=m, color="0.3", label=f"depth {d}")
                        for d, (_, m) in DEPTH_STYLES.items()], fontsize=7, loc="upper right")
axes[2].set(xlabel="width of the normal cell (c)", ylabel="mean test loss over the 12 epochs",
            xticks=sorted(WIDTH_COLORS))
axes[2].set_title("each cell, one dot per seed", fontsize=10)
axes[2].grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Measuring the claim.** The claim predicts a negative Spearman correlation between width and the
# test loss (wider, lower loss). The measure the course's evidence table uses is the correlation
# over the 14 cells of width with the mean test loss over the 12 epochs, averaged over the two
# seeds. Its interval resamples cells; its p-value permutes them. Below it: each seed on its own
# (one correlation per seed), one early and the last epoch, the same without c1 and c2, and depth
# in place of width. These rows are not independent evidence: the two seeds train the same cells,
# and neighbouring epochs of one run are nearly the same measurement.

# %%
# NBVAL_CHECK_OUTPUT
others = np.array([n not in ("c1", "c2") for n in names])
measures = {"mean over epochs, mean of seeds": area.mean(0)}
measures.update({f"mean over epochs, seed {seed}": area[k] for k, seed in enumerate(seeds)})
measures.update({"epoch 3, mean of seeds": loss[:, :, 2].mean(0), "epoch 12, mean of seeds": loss[:, :, -1].mean(0)})
print(f"{'test loss':34s}  {'Spearman rho(width, test loss) [95 %], p (n)':60s}")
for label, y in measures.items():
    print(f"{label:34s}  {stats.spearman(width, y)}")
for label in ("mean over epochs, mean of seeds", "epoch 12, mean of seeds"):
    print(f"{label + ', without c1, c2':34s}  {stats.spearman(width[others], measures[label][others])}")
print(f"depth in place of width, mean over epochs, mean of seeds: {stats.spearman(depth, area.mean(0))}")

# %%
# NBVAL_CHECK_OUTPUT
acc = np.array([[100 * saved[seed][n]["history"][-1]["test_acc"] for n in names] for seed in seeds])  # (seeds, cells)
print(f"{'cell':8s} {'width':>6s} {'depth':>5s}  {'test loss ep 3':>14s}  {'final test loss':>15s}  "
      f"final test accuracy: seeds {', '.join(map(str, seeds))}; mean [95 % t-interval] (n)")
for i in sorted(range(len(names)), key=lambda i: (width[i], -depth[i])):
    a = stats.mean_ci(acc[:, i], method="t")
    print(f"{names[i]:8s} {width[i]:5.1f}c {depth[i]:5d}  {loss[:, i, 2].mean():14.2f}  {loss[:, i, -1].mean():15.2f}  "
          f"{', '.join(f'{v:.1f}' for v in acc[:, i])}%; {a.format(1)}")
print("\nc1 and c2 against the 12 other cells (each cell: the mean of its seeds):")
print(f"  final test loss     {stats.permutation_test(loss[:, ~others, -1].mean(0), loss[:, others, -1].mean(0))}")
print(f"  final test accuracy {stats.permutation_test(acc[:, ~others].mean(0), acc[:, others].mean(0))}")
rest = loss[:, others, -1].mean(0)
print(f"  the 12 others end at test losses {rest.min():.2f} to {rest.max():.2f}; accuracies "
      f"{acc[:, others].mean(0).min():.1f}% to {acc[:, others].mean(0).max():.1f}%")

# %% [markdown]
# ### What did we see
#
# * **The paper's ordering held in direction, and only in direction.** Width correlates
#   negatively with the mean test loss, -0.52 over the 14 cells, but the interval over cells
#   includes 0 and the permutation p is 0.06: not significant ($p \ge 0.05$). Seed by seed the
#   correlation is -0.25 (p = 0.38) and -0.55 (p = 0.04); at single epochs it is -0.36 at epoch 3
#   and -0.50 at epoch 12. These are one effect seen several times over the same cells, not separate
#   pieces of evidence. The evidence table in the summary gives the same -0.52, with the same
#   interval and p.
# * **The effect is carried by the two narrowest, deepest cells.** c1 and c2 (2c, depth 5) end at
#   test losses of 1.44 and 1.50, against 1.34 to 1.38 for the twelve other cells, whose curves
#   overlap. The gap is clear (p = 0.01, exact permutation), but it compares 2 cells with 12.
#   Without c1 and c2, the correlation of width with the mean test loss falls to -0.31 (p = 0.32),
#   and at epoch 12 from -0.50 to -0.26, with intervals that span most of [-1, 1]. c3 (2c, but
#   depth 4) is as good as the widest. So at this scale "narrow and deep is slow" is clearer than
#   "wider is faster". And since width and depth move together here (-0.88), the family cannot
#   say which of the two is the cause: depth correlates with the mean test loss at +0.42, with the
#   opposite sign and p = 0.14.
# * **A detail worth a look:** c2's normal cell never reads its second input $c_{k-1}$ (printed with
#   the family in section 3): a random rewiring can disconnect a cell from the previous cell
#   entirely, so c2 is slow for a reason that is neither width nor depth.
# * **Final accuracy** follows the same order at this budget: c2 44.7 %, c1 47.8 %, all others
#   between 49.6 % and 51.2 % (the wide form 51.2 %, DARTS_V2 50.4 %). With 2 seeds a cell's
#   t-interval (Student's t with one degree of freedom) is wide: it says how little two seeds pin a
#   cell's accuracy down. Whether wide cells stay ahead after a long training, the paper's
#   third step, is beyond a 12-epoch run; the benchmark in section 2 answers it for NAS-Bench-201:
#   there the short budget's penalty on depth is gone after 200 epochs.
#
# Shu et al. report the same direction at their scale, 600 epochs: the 2c variants end at test
# losses of about 0.26 to 0.37 against about 0.22 for DARTS_V2, read off their convergence figure
# [Shu et al. 2020, Figure 13].
#
# ## 5. Which cells do the searches return?
#
# Shu et al. start from a question about searches, not cells: their Figure 1 measures the normal
# cells that NASNet, AmoebaNet, ENAS, DARTS and SNAS published, and finds them at or near the
# widest, shallowest shape of their spaces (section 1). Four of those searches share weights, and
# the library runs seven: first- and second-order DARTS (`darts1`, `darts2`), iDARTS (`idarts`),
# GDAS (`gdas`), random search with weight sharing (`rsws`), **SNAS** (`snas`: every edge a relaxed
# Gumbel-softmax sample, weights and α trained together on the training loss) and **ENAS**
# (`enas`: an LSTM controller samples cells, the shared weights train on one sampled cell per
# minibatch, and REINFORCE rewards the controller with the cells' validation accuracy). Which
# cells do *they* return, in the DARTS space, at a scale we can run?
#
# First the yardstick: cells drawn uniformly from the space (two distinct inputs per node, any
# operation but `none`), the cells a search that learnt nothing would return.

# %%
# NBVAL_CHECK_OUTPUT
random_shapes = np.array([G.genotype_width_depth(V.sample_darts_genotype(seed))["normal"] for seed in range(2000)])
for col, label in ((0, "width (c)"), (1, "depth")):
    print(f"2,000 uniform DARTS-space normal cells, {label:9s}: mean {stats.mean_ci(random_shapes[:, col])}, "
          f"sd {stats.sd(random_shapes[:, col]):.2f}")

# %% [markdown]
# One search live: SNAS, seed 0, at the tiny preset (a DARTS supernet with C = 4 and 5 cells on
# 512 images for 3 epochs; about half a minute). It derives its cell from α as DARTS does.

# %%
from nascourse.history import make_config
from nascourse.search import search

snas = search(make_config("snas", "darts", preset.name), seed=0, device=device)
snas_shape = G.genotype_width_depth(snas.genotype)
print(f"SNAS: normal cell {snas_shape['normal'][0]:g}c, depth {snas_shape['normal'][1]}; "
      f"reduction cell {snas_shape['reduce'][0]:g}c, depth {snas_shape['reduce'][1]}; "
      f"supernet validation accuracy {100 * snas.history[-1]['val_acc']:.1f}%")

# %%
fig = plot.draw_genotype(snas.genotype, title="SNAS (live, tiny preset, seed 0)")
plt.show()

# %% [markdown]
# One seed of a tiny search says little. The saved runs below repeat every method over seeds, at
# the tiny preset (5 seeds) and at a larger scale (1,024 images for 6 epochs: four times the steps,
# twice the images; 2 seeds), made by `scripts/method_cells.py` on a 2-core CPU; the README in each
# folder has the command. (The saved SNAS run of seed 0 ran on one thread; the live one above uses
# the notebook's threads, and its cell may differ.) For each method: the mean width and depth of its
# normal cells with a 95 % t-interval over seeds, and each seed's cell.

# %%
def load_cells(folder: str) -> dict:
    """method -> list of saved runs (one per seed)."""
    path = Path("results") / folder  # the notebook runs in lessons/
    if not path.exists():
        path = Path("lessons/results") / folder  # or from the repository root
    runs = {}
    for file in sorted(path.glob("*-seed*.json")):
        run = json.loads(file.read_text())
        runs.setdefault(run["method"], []).append(run)
    return runs


METHOD_ORDER = ("darts1", "darts2", "idarts", "gdas", "rsws", "snas", "enas")


def cell_table(runs: dict, title: str) -> None:
    print(title)
    print(f"{'method':8s}  {'normal width (c) [95 %] (n)':28s}  {'depth [95 %] (n)':26s}  "
          f"{'seconds':>9s}   normal cells (width/depth) by seed")
    for method in METHOD_ORDER:
        rs = runs[method]
        nw, nd = [r["normal"]["width"] for r in rs], [r["normal"]["depth"] for r in rs]
        secs = [r["seconds"] for r in rs]
        print(f"{method:8s}  {str(stats.mean_ci(nw, method='t')):28s}  {str(stats.mean_ci(nd, method='t')):26s}  "
              f"{min(secs):4.0f}-{max(secs):<4.0f}   " + " ".join(f"{w:g}c/{d}" for w, d in zip(nw, nd)))
    print(f"{'random':8s}  {str(stats.mean_ci(random_shapes[:, 0])):28s}  {str(stats.mean_ci(random_shapes[:, 1])):26s}")


tiny_cells, large_cells = load_cells("method-cells-tiny"), load_cells("method-cells")

# %%
# NBVAL_CHECK_OUTPUT
cell_table(tiny_cells, "tiny preset: C = 4, 5 cells, 512 images, 3 epochs")
print()
cell_table(large_cells, "larger: C = 4, 5 cells, 1,024 images, 6 epochs")

# %% [markdown]
# Do the searched cells, all methods together, differ from random ones? A permutation test of all
# searched normal cells against the 2,000 random ones: the difference of means, its interval, and
# how often a random split of the pooled cells gives a difference at least as large.

# %%
# NBVAL_CHECK_OUTPUT
for runs, label in ((tiny_cells, "tiny preset"), (large_cells, "larger scale")):
    searched = np.array([(r["normal"]["width"], r["normal"]["depth"]) for m in METHOD_ORDER for r in runs[m]])
    for col, what in ((0, "width (c)"), (1, "depth")):
        test = stats.permutation_test(searched[:, col], random_shapes[:, col], n_perm=10_000)
        print(f"{label:12s} {what:9s}: searched {searched[:, col].mean():.2f} against random "
              f"{random_shapes[:, col].mean():.2f}; difference {test}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.8), sharey=True)
fig.subplots_adjust(left=0.06, right=0.83, bottom=0.12, top=0.9, wspace=0.06)
counts = {}
for w, d in random_shapes:
    counts[(w, d)] = counts.get((w, d), 0) + 1
PUBLISHED = {"ENAS": "*", "DARTS_V2": "P", "SNAS_MILD": "X"}
for ax, (runs, title) in zip(axes, ((tiny_cells, "tiny preset, 5 seeds"), (large_cells, "larger scale, 2 seeds"))):
    for (w, d), n in counts.items():  # the space: grey discs, area = share of uniform cells
        ax.scatter(w, d, s=3000 * n / len(random_shapes), color="0.85", zorder=1)
    for name, marker in PUBLISHED.items():  # hollow, under the searched cells
        w, d = G.genotype_width_depth(getattr(G, name))["normal"]
        ax.scatter(w, d, marker=marker, s=260, facecolor="none", edgecolor="black", lw=1.2, zorder=2)
    for k, method in enumerate(METHOD_ORDER):
        seen = {}
        for r in runs[method]:
            w, d = r["normal"]["width"], r["normal"]["depth"]
            j = seen[(w, d)] = seen.get((w, d), -1) + 1  # a second seed of the same cell sits lower
            ax.scatter(w + 0.055 * (k - 3), d + 0.09 * j, s=30, color=plt.cm.tab10(k), zorder=3)
    ax.set(title=title, xlabel="width of the normal cell (c)", xticks=np.arange(1.5, 5.01, 0.5),
           xlim=(1.2, 5.3), ylim=(1.5, 5.5), yticks=[2, 3, 4, 5])
    ax.invert_yaxis()  # shallow at the top, as in lesson 01: the wide, shallow corner is top right
    ax.grid(alpha=0.3)
axes[0].set_ylabel("depth of the normal cell")
handles = [Line2D([], [], ls="", marker="o", ms=6, color=plt.cm.tab10(k), label=m) for k, m in enumerate(METHOD_ORDER)]
handles += [Line2D([], [], ls="", marker="o", ms=12, color="0.85", label="uniform random cells\n(area = share)")]
handles += [Line2D([], [], ls="", marker=mk, ms=11, markerfacecolor="none", markeredgecolor="black",
                   label=f"published {name}") for name, mk in PUBLISHED.items()]
fig.legend(handles=handles, loc="center left", bbox_to_anchor=(0.835, 0.5), fontsize=8, frameon=False,
           labelspacing=1.1)
plt.show()

# %% [markdown]
# Each searched cell sits on the grid of possible shapes (widths in steps of c/2, whole depths);
# the points are shifted sideways by method, and a second seed with the same cell sits a little
# lower, so that coinciding cells stay visible. The published cells are hollow: iDARTS's 4c,
# depth 2 cell (tiny preset) shows inside the published SNAS cross. ENAS's own space had 5 nodes,
# so its published cell reaches 5c; the DARTS space of these searches has 4, and 4c at most.
#
# ### What did we see
#
# * **No search favoured wide and shallow cells at these scales.** All searched normal cells
#   together are as wide as uniform random cells of the space: 2.57c against 2.57c at the tiny
#   preset (35 searches, permutation p = 1.00, and the interval of the difference includes 0) and
#   2.54c at the larger scale (14 searches, p = 0.89). Their depth does not differ from random either:
#   3.63 (p = 0.25) and 3.79 (p = 1.00) against 3.76. One search in 49 returned the widest,
#   shallowest shape of the space (iDARTS, tiny preset, seed 2: 4c, depth 2).
# * **Differences between methods are within the spread between seeds.** At the tiny preset every
#   method's interval for the mean width includes the random cells' mean, 2.57. At the larger scale
#   the intervals of 2 seeds are so wide that they say little; the exception, second-order DARTS
#   at 3.00 [3.00, 3.00], is two seeds that returned the same shape, not a method shown to be wider.
#   A single method's cell moves by 0.5c to 1c from seed to seed, so with 2 to 5 seeds no ordering
#   of the methods is established.
# * **Why:** at this scale the searches barely leave their starting point. α moves by thousandths
#   (lesson 02), ENAS's controller barely learns, and SNAS's and GDAS's samples are near-uniform
#   until their temperature falls. A search that has learnt little returns what the space offers
#   at random. Shu et al.'s Figure 1 is about searches run to the end (the published cells: ENAS 5c,
#   SNAS 4c, DARTS_V2 3.5c, all at or near their space's widest shape); reaching that regime takes
#   the papers' budgets, not these.
# * **Costs** (one CPU thread per search, two or three searches side by side, so upper bounds): the
#   table's seconds column, from about 20 s for GDAS to a few minutes for iDARTS and ENAS at the
#   tiny preset.
#

# %% [markdown]
# ## 6. The DARTS space with a surrogate: NAS-Bench-301
#
# Section 2 tested the claim on every cell of NAS-Bench-201, a small space. The DARTS space holds
# about $10^{18}$ cells, and no table lists them. NAS-Bench-301 (Siems et al., 2020) trained about
# 60,000 of them on CIFAR-10 for 100 epochs and fitted a model that predicts the rest;
# `nascourse.nb301` runs such a model, which predicts a cell's validation accuracy after any epoch
# from 1 to 98, so it gives a learning curve. **A surrogate is a model fitted to measured runs, not
# a measurement**: what follows says what the model expects. How far to trust it: on the 725 cells
# whose accuracy NAS-Bench-301 measured, its epoch-98 prediction ranks them as follows (those
# cells were most likely among its training data, so this is an in-sample check).

# %%
from nascourse import evidence_nb301, nb301

check = nb301.validate()
print(f"predicted (epoch 98) against measured accuracy, {check['n']} cells: {check['spearman']}")

# %% [markdown]
# **Who leads early, who catches up.** `scripts/nb301_convergence.py` predicted the learning curves
# of 5,000 uniform random DARTS cells (saved in `results/nb301-convergence/`, about half a minute to
# remake). As in section 2, a cell with more convolutions is more accurate and its convolutions'
# places change its shape, so the correlations are taken within groups of cells with the same
# number of parametric operations (separable and dilated convolutions) in the normal cell, then
# pooled with the group sizes as weights. The rank gained from epoch $e$ to 98 is the cell's rank
# at $e$ minus its rank at 98 (1 = best): positive means it climbs when trained longer.

# %%
# NBVAL_CHECK_OUTPUT
convergence = evidence_nb301.load(Path("results") if Path("results").exists() else Path("lessons/results"))
fmt = lambda r: f"{r[0]:+.2f} [{r[1]:+.2f}, {r[2]:+.2f}]"  # noqa: E731  rho [95 % interval]
print(f"{convergence['n']} random cells; rho within equal numbers of parametric operations [95 % interval]; "
      f"every p <= {max(r[t][c][3] for r in convergence['table'] for t in ('accuracy', 'gain') if r[t] for c in r[t]):.4f}")
print(f"{'epoch':>5s}  {'width, accuracy':>22s}  {'depth, accuracy':>22s}  {'width, ranks to 98':>22s}  "
      f"{'depth, ranks to 98':>22s}")
for r in convergence["table"]:
    gain = r["gain"] or {}
    print(f"{r['epoch']:5d}  {fmt(r['accuracy']['width']):>22s}  {fmt(r['accuracy']['depth']):>22s}  "
          f"{fmt(gain['width']) if gain else '':>22s}  {fmt(gain['depth']) if gain else '':>22s}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12.0, 3.8))
ep = [r["epoch"] for r in convergence["table"]]
for ax, target, title in ((axes[0], "accuracy", "rho with the predicted accuracy at each epoch"),
                          (axes[1], "gain", "rho with the ranks gained from that epoch to 98")):
    for col, color in (("width", "#d7191c"), ("depth", "#2c7bb6")):
        rows = [r[target][col] for r in convergence["table"] if r[target] is not None]
        x = ep[:len(rows)]
        ax.plot(x, [v[0] for v in rows], "o-", color=color, label=col)
        ax.fill_between(x, [v[1] for v in rows], [v[2] for v in rows], color=color, alpha=0.2, lw=0)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set(xscale="log", xlabel="epoch", ylabel="Spearman rho (within groups)", title=title, ylim=(-0.6, 0.6))
    ax.set_xticks(ep, [str(e) for e in ep])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left" if target == "accuracy" else "upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# **The width family, predicted.** NAS-Bench-301 gives each node two different inputs; most of
# c1 to c12 have a node that reads one input twice (a random rewiring allows it), which the
# surrogate cannot represent. DARTS_V2, its widest form, c4 and c10 remain. Their predicted curves
# beside their CPU training (section 4, mean of 2 seeds), and the order of their final CPU accuracy
# against the predicted accuracy at epoch 98:

# %%
wf_names, wf_cells, wf_cpu = evidence_nb301.width_family_cells(results.parent)
curves = evidence_nb301.predicted(wf_cells, list(nb301.EPOCHS))  # (cells, 98 epochs), %
print(f"{'cell':8s} {'shape':>8s}  {'epoch 1':>7s} {'epoch 10':>8s} {'epoch 98':>8s}   CPU, 12 epochs")
for n, c, row in zip(wf_names, wf_cpu, curves):
    print(f"{n:8s} {shape[n][0]:5.1f}c/{shape[n][1]}  {row[0]:7.1f} {row[9]:8.1f} {row[-1]:8.1f}   {c:.1f} %")
print(f"CPU accuracy against predicted epoch-98 accuracy: {stats.spearman(wf_cpu, curves[:, -1])}")

fig, axes = plt.subplots(1, 2, figsize=(12.0, 3.6))
for k, (n, row) in enumerate(zip(wf_names, curves)):
    ls, _ = DEPTH_STYLES[shape[n][1]]  # line style by depth, one colour per cell
    style = dict(ls=ls, color=plt.cm.tab10(k), label=f"{n} ({shape[n][0]:g}c/{shape[n][1]})")
    axes[0].plot(list(nb301.EPOCHS), row, **style)
    cpu_curve = np.mean([[100 * h["test_acc"] for h in saved[seed][n]["history"]] for seed in seeds], axis=0)
    axes[1].plot(x_epochs, cpu_curve, **style)
axes[0].set(xlabel="epoch", ylabel="predicted validation accuracy (%)",
            title="NAS-Bench-301's prediction (C = 32, 8 cells, 100 epochs)")
axes[1].set(xlabel="epoch", ylabel="test accuracy (%), mean of 2 seeds", xticks=x_epochs,
            title="the course's CPU training (section 4)")
for ax in axes:
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **The searched cells, scored.** The saved searches of section 5 (larger scale): each cell's
# predicted accuracy at epoch 98 and its percentile among the 5,000 random cells (ENAS's two cells
# have a node reading one input twice and cannot be scored).

# %%
names_s, cells_s = evidence_nb301.searched_cells(results.parent)
keep = [evidence_nb301.encodable(g) for g in cells_s]
names_s = [n for n, k in zip(names_s, keep) if k]
score = evidence_nb301.predicted([g for g, k in zip(cells_s, keep) if k])[:, 0]
random_final = convergence["accuracy"][:, -1]
pct = evidence_nb301.percentile(score, random_final)
for n, s, q in zip(names_s, score, pct):
    print(f"{n:13s} {s:5.1f} %, percentile {q:3.0f}")
print(f"random cells: {stats.describe(random_final)} %")
print(f"searched minus random: {stats.permutation_test(score, random_final, n_perm=10_000)}")

# %% [markdown]
# ### What did we see
#
# * **In the DARTS space the surrogate's curves follow Shu et al.'s claim.** Within equal numbers
#   of parametric operations, wide cells are ahead early (width against predicted accuracy at epoch
#   10: $\rho = +0.48$) and shallow ones too (depth: $-0.37$). From epoch 10 to 98, deep cells
#   gain ranks ($+0.22$) and wide ones lose them ($-0.27$), with intervals far from zero at every
#   epoch. Narrow, deep cells catch up only in part: at epoch 98 width still correlates with
#   accuracy at $+0.42$ and depth at $-0.32$. So in this model a short budget favours wide, shallow
#   cells more than a long one, but a long one still favours them.
# * Unlike NAS-Bench-201 (section 2), where only depth behaved as claimed, here width does too; the
#   DARTS cell has more room for both.
# * These are predictions of a model fitted to measured runs, not measurements, and a model can
#   smooth a learning curve that real training would make noisy.
# * **The width family:** only four of its cells can be scored. The surrogate and the CPU training
#   both put the widest form first; the surrogate then has DARTS_V2, c4, c10, the CPU run c10,
#   DARTS_V2, c4. Four cells cannot make an order significant (Spearman's $\rho = +0.40$,
#   $p = 0.75$), so this neither confirms nor refutes that the small CPU runs rank cells as full
#   training would. In the predicted curves DARTS_V2 and its widest form lead c4 and c10 by about 4
#   to 5 points at epoch 10, although c10 has DARTS_V2's width and depth: the model responds to
#   more than the shape (and DARTS_V2 was most likely among the cells it was fitted to).
# * **The searched cells** score above the random cells on average, by about half a point, and
#   significantly so, although their widths and depths were no different from random (section 5):
#   the searches picked better operations, not better shapes. The spread is large (one RSWS cell
#   sits in the bottom tenth of the space).
#
# ## Summary
#
# The course's evidence table, computed by `nascourse.evidence` from the same saved runs and
# benchmark (one row per claim and scale). One rule gives the verdict: *held* needs the claimed
# sign, a 95 % interval that excludes zero and $p < 0.05$; *held in direction, not significant* the
# claimed sign alone; *did not hold* a zero or opposite sign.

# %%
evidence.show("04");

# %% [markdown]
# * Shu et al.: cell-based searches favour wide, shallow cells because those converge fastest, and
#   a search judges cells early; fast convergence is not better generalisation.
# * **NAS-Bench-201**, all 15,284 connected cells, within equal numbers of convolutions: a short
#   budget penalises **depth** (held: deep cells gain ranks from 12 to 200 epochs, $\rho = +0.28$),
#   not width (did not hold: wide cells gain ranks too, $+0.14$, the opposite of the claim). The
#   depth penalty is gone at the full budget.
# * **DARTS_V2 rewired** (same operations, nearly the same parameter count): the live tiny run shows
#   the method, not a result. In the saved run (14 cells, 12 epochs, 2 seeds) width correlates with
#   the mean test loss at -0.52 (p = 0.06): held in direction, not significant. The effect comes from
#   the two 2c, depth-5 cells, and width and depth cannot be told apart in this family.
# * **Seven searches** (DARTS first and second order, iDARTS, GDAS, RSWS, SNAS, ENAS) at the tiny
#   preset (5 seeds) and at four times its steps (2 seeds) return cells as wide and as deep as
#   uniform random cells of the DARTS space: at the tiny preset the differences point the claimed
#   way but are far from significant (held in direction, not significant), at the larger scale they
#   point the other way (did not hold, and the opposite direction is not significant either). The preference
#   for wide, shallow cells that Shu et al. measured on the published cells does not appear before a
#   search has learnt much.
# * **NAS-Bench-301's surrogate** (a model fitted to measured runs, not a measurement), over 5,000
#   random DARTS cells within equal numbers of parametric operations: wide and shallow cells lead
#   early and narrow, deep ones gain ranks later (all four held), but they do not catch up: wide,
#   shallow cells are still predicted ahead at epoch 98. The searched cells score above random
#   ones (held), with random shapes. Whether the CPU runs order the width family as the surrogate
#   does cannot be told from the four cells it can score.
# * Measuring "converges faster" needs a fixed measure (here the mean test loss over the epochs),
#   a rank correlation over many cells with an interval, and several seeds; one curve per cell and
#   one seed can say either thing.
# * Lesson 05 asks why: the loss landscapes and gradient noise of a wide and a deep cell.
#
# ## Exercises
#
# Worked solutions: [`solutions/04_wide_shallow.ipynb`](../solutions/04_wide_shallow.ipynb).
#
# ### Exercise 1: Spearman's rho, with ties
#
# Widths come in steps of $c/2$, so many cells share a width, and a rank correlation must decide how
# to rank equal values. Write `my_spearman(x, y)` for two lists of numbers: rank each list in
# ascending order, giving **tied values the average of the ranks they occupy** ($[10, 20, 20, 30]
# \to [1, 2.5, 2.5, 4]$), and return the Pearson correlation of the two rank vectors. Return
# `float("nan")` when either list is constant. Use numpy only. The checker compares you with
# `bench_analysis.spearman` on lists with and without ties and names the usual mistakes.

# %% tags=["nbval-skip"]
def my_spearman(x, y):
    """Spearman's rho of two equally long lists, tied values sharing their average rank."""
    raise NotImplementedError  # your code here


exercises.check_spearman(my_spearman)

# %% [markdown]
# ### Exercise 2: depth against accuracy, one conv-count group
#
# Write `my_group_depth_rho(convs, metric)`: among the **connected** NB201 cells with exactly `convs`
# convolutions, the Spearman correlation between depth and `metric` (a name in `bench.METRICS`, such
# as `"cifar10_test12"`). `bench_analysis.shapes()` gives each cell's `connected`, `depth` and `convs`
# (arrays indexed by benchmark index), `bench.table()[metric]` the accuracies in the same order, and
# `bench_analysis.spearman` the correlation. Then print your value for 2 and for 4 convolutions at
# both budgets: which group shows the budget effect most?

# %% tags=["nbval-skip"]
def my_group_depth_rho(convs, metric):
    """Spearman's rho of depth with `metric` over the connected cells with `convs` convolutions."""
    raise NotImplementedError  # your code here


exercises.check_group_depth_rho(my_group_depth_rho)
