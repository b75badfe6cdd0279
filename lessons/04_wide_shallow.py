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
# # Lesson 04: wide and shallow cells converge faster
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/04_wide_shallow.ipynb)
#
# About 3 minutes on a CPU with the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# Lessons 01 to 03 ended on cells: the published ones are wide and shallow, and our searches drift
# towards wide cells too. Shu, Wang & Cai ("Understanding architectures learnt by cell-based
# neural architecture search", ICLR 2020) explain why: cell-based searches judge an architecture
# after little training, with shared weights, and **wide, shallow cells converge fastest**. Being
# fast early is not the same as being good in the end, so the preference may cost accuracy. After
# this lesson you can
#
# 1. state Shu et al.'s claim and what it predicts about a short and a long training budget;
# 2. test that prediction on all 15,625 cells of NAS-Bench-201, whose accuracies after 12 and after
#    200 epochs are both known, with a correlation that is not fooled by the number of convolutions;
# 3. build the paper's experiment: DARTS_V2's cell rewired at random into narrow-deep and
#    wide-shallow variants with the same operations, trained from scratch with identical settings;
# 4. read convergence curves by width, and measure the claim as a rank correlation between width and
#    the test loss at a fixed early epoch;
# 5. say what a tiny run can show and what it cannot, and read a saved larger run beside it;
# 6. run SNAS and ENAS, and compare the width and depth of the cells that seven weight-sharing
#    searches return with random cells of the space and with the published cells.

# %%
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from nascourse import bench, bench_analysis, config, data, exercises, plot
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
# Recall from lesson 01 how Shu et al. measure a cell. The **width** adds up how much of each
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
# better. Lesson 05 looks at *why* wide cells converge fast (a smoother loss landscape, less noisy
# gradients). This lesson checks (ii) and (iii).
#
# The prediction to test: **a short training budget favours wide and shallow cells more than a
# long one.**
#
# ## 2. The benchmark's answer: 12 against 200 epochs on NAS-Bench-201
#
# NAS-Bench-201 (Dong & Yang, ICLR 2020) trained each of its 15,625 cells twice: for 12 epochs (the
# budget of a search's inner loop) and for 200 (a final training). `nascourse.bench` holds both, so
# the prediction can be checked on every cell of a space, not on a dozen. Each NB201 cell has 4 nodes
# and 6 edges, and the widths and depths are those of lesson 01 (`nb201.nb201_width_depth`); 341
# cells whose output is cut off from their input have neither, and are left out.
#
# First, how much do the two budgets agree at all?

# %%
# NBVAL_CHECK_OUTPUT
rho_budgets = bench_analysis.budget_spearman("cifar10")
print(f"Spearman's rho between the 12-epoch and the 200-epoch test accuracy (CIFAR-10): {rho_budgets:.3f}")
best12, best200 = bench.best("cifar10_test12"), bench.best("cifar10")
print(f"best cell after 12 epochs : {best12.string}  (200 epochs: {best12.cifar10:.2f}%, "
      f"rank {bench.rank(best12.string)})")
print(f"best cell after 200 epochs: {best200.string}  (200 epochs: {best200.cifar10:.2f}%)")

# %% [markdown]
# Spearman's $\rho$ is the correlation of ranks: 1 when the two budgets order the cells
# identically. At 0.86 they mostly agree, but thousands of cells move by thousands of places.
#
# **A confounder.** A cell with more convolutions is more accurate, and since a convolution is never
# `none`, such a cell also has more edges, so it is both wider and deeper. A plain correlation of
# depth with accuracy would mostly measure the number of convolutions. So we correlate width and
# depth with accuracy **within groups of cells that have the same number of convolutions** (0 to 6),
# and average the groups, weighted by their sizes (`bench_analysis.shape_correlations`). The third
# target is the **rank gained** from 12 to 200 epochs (rank after 12 minus rank after 200; positive
# when a cell does better with the long budget).

# %%
# NBVAL_CHECK_OUTPUT
targets = {"test accuracy after 12 epochs": "cifar10_test12", "test accuracy after 200 epochs": "cifar10",
           "rank gained from 12 to 200 epochs": bench_analysis.rank_change("cifar10")}
print(f"{'Spearman rho with ...':36s} {'width':>7s} {'depth':>7s}   (pooled: width, depth)")
correlations = {}
for label, target in targets.items():
    r = bench_analysis.shape_correlations(target)
    correlations[label] = r
    print(f"{label:36s} {r.width:+7.3f} {r.depth:+7.3f}   ({r.pooled_width:+.3f}, {r.pooled_depth:+.3f})")

# %% [markdown]
# The numbers in parentheses are the pooled correlations, conv count ignored: there every shape
# looks good, because shape stands in for the number of convolutions. Within the groups, the
# picture the prediction asks for appears, in depth much more than in width. After 12 epochs, deeper
# cells are *less* accurate ($\rho = -0.13$); after 200 epochs depth no longer matters ($+0.01$); and
# the deeper a cell, the more ranks it gains when the training is long ($+0.28$). Width matters
# little for accuracy at either budget ($+0.03$, $+0.09$), but wider cells also gain ranks ($+0.14$),
# which is not what the claim predicts. The figure shows the rank gained against depth, per
# number of convolutions.

# %%
s = bench_analysis.shapes()
gain = targets["rank gained from 12 to 200 epochs"]
fig, ax = plt.subplots(figsize=(6.0, 3.6))
for convs in range(1, 6):
    keep = s["connected"] & (s["convs"] == convs)
    depths = sorted(set(s["depth"][keep].tolist()))
    means = [gain[keep & (s["depth"] == d)].mean() for d in depths]
    ax.plot(depths, means, "o-", label=f"{convs} convolutions")
ax.axhline(0, color="grey", lw=0.7)
ax.set(xlabel="depth of the cell", ylabel="mean rank gained, 12 → 200 epochs", xticks=[1, 2, 3])
ax.set_title("NAS-Bench-201, CIFAR-10: deep cells need the long budget", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# And the shape of the very best cells at each budget, against all connected cells:

# %%
# NBVAL_CHECK_OUTPUT
for label, shape in (("top 100 after 12 epochs", bench_analysis.top_shape("cifar10_test12")),
                     ("top 100 after 200 epochs", bench_analysis.top_shape("cifar10")),
                     ("all connected cells", bench_analysis.connected_shape())):
    print(f"{label:26s} mean width {shape.width:.2f}c, depth {shape.depth:.2f}, convolutions {shape.convs:.2f}")

# %% [markdown]
# ### What did we see
#
# * The benchmark supports the part of the claim about **depth**: a 12-epoch budget penalises deep
#   cells (within equal numbers of convolutions, $\rho = -0.13$), a 200-epoch budget does not
#   ($+0.01$), and deep cells gain the most ranks from the longer training. In the figure, within
#   every number of convolutions, depth-3 cells fare 1,600 to 3,300 ranks better than depth-1 cells
#   (with 3 convolutions: depth-1 cells lose 1,811 ranks on average, depth-3 cells gain 722).
# * It does not support the part about **width** in this space: wide cells are not more accurate
#   after 12 epochs, and they gain ranks from longer training rather than lose them.
# * The best cells at either budget are wider and deeper than average, because they have more
#   convolutions (4 against 2.4); the top 100 after 12 epochs are a little shallower (2.76 against
#   2.85). NAS-Bench-201's cell is small (4 nodes), so shapes range only from depth 1 to 3 and
#   width 1c to 2.33c; DARTS's cell (next section) has far more room.
#
# ## 3. The experiment of the paper, live: DARTS_V2 rewired
#
# Shu et al. keep DARTS_V2's operations and redraw its connections at random
# (`variants.random_connections`, as their code does), then group the variants by width: three each
# at 2c, 2.5c, 3c and 3.5c, named c1 to c12 with width rising and depth falling
# (`variants.width_family`). All variants have the same operations and only the wiring differs;
# their parameter counts differ a little (by at most 11 %), because a skip connection that reads an
# input of a reduction cell must halve the resolution and becomes a small strided convolution. Add DARTS_V2 itself (3.5c, depth 3) and its
# widest-shallowest form (`variants.widest_shallowest`: every operation rewired to the inputs, 4c,
# depth 2).

# %%
# NBVAL_CHECK_OUTPUT
family = [("DARTS_V2", G.DARTS_V2), ("wide", V.widest_shallowest(G.DARTS_V2))] + V.width_family(G.DARTS_V2)
shape = {name: G.genotype_width_depth(g)["normal"] for name, g in family}
print("  ".join(f"{name} {w:.1f}c/{d}" for name, (w, d) in shape.items()))
for name in ("c1", "c2"):
    inputs = sorted({j for _, j in dict(family)[name].normal if j < 2})
    print(f"{name}'s normal cell reads the cell inputs {inputs} (0 = c_(k-2), 1 = c_(k-1))")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13.0, 3.4))
for ax, name in zip(axes, ("c1", "DARTS_V2", "wide")):
    g = dict(family)[name]
    w, d = shape[name]
    plot.draw_cell(g.normal, g.normal_concat, ax=ax, title=f"{name}: width {w:.1f}c, depth {d}")
plt.show()

# %% [markdown]
# Now train some of them from scratch, with one set of settings: DARTS's evaluation recipe
# (`make_train_config("darts", preset)`: SGD with momentum 0.9, learning rate 0.025 cosine, weight decay
# 3e-4, gradient clipping at 5) without the auxiliary head, drop-path or cutout, as Shu et al. train
# their variants. The tiny preset's network is small (C = 8 channels, 5 cells, 16 × 16 images) and
# so is its data: 2,000 training images, 3 epochs, test loss on the first 1,000 test images. Six
# cells span the family: c1 and c3 (2c), c6 (2.5c), c9 (3c), DARTS_V2 (3.5c) and the wide form (4c).

# %%
sizes = {"tiny": dict(epochs=3, train_images=2000)}.get(preset.name, dict(epochs=10))
train_config = make_train_config("darts", preset, auxiliary_weight=0.0, drop_path_max=0.0, **sizes)
cifar = data.load_dataset("cifar10")
live = []
for name in ("c1", "c3", "c6", "c9", "DARTS_V2", "wide"):
    result = train(build_network(dict(family)[name], train_config), train_config, seed=0, device=device,
                   dataset=cifar, progress=False)
    w, d = shape[name]
    live.append({"name": name, "width": w, "depth": d, "history": result.history})
    last = result.history[-1]
    print(f"{name:8s} {w:.1f}c/{d}: test loss by epoch {[round(h['test_loss'], 3) for h in result.history]}, "
          f"final test accuracy {100 * last['test_acc']:.1f}%  ({sum(h['seconds'] for h in result.history):.0f} s)")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.0))
plot.curves_by_width(live, "train_loss", ax=axes[0], title="training loss (train mode, augmented)")
plot.curves_by_width(live, "test_loss", ax=axes[1], title="test loss (eval mode)")
plt.show()

# %% [markdown]
# To turn "dark curves fall first" into a number, take the **Spearman correlation between width and
# the test loss at a fixed epoch**. The claim predicts a negative value (wider, lower loss), most
# clearly early on.

# %%
def width_loss_rho(runs, epoch, key="test_loss"):
    """Spearman's rho between the runs' widths and their `key` at `epoch` (1-based)."""
    widths = [r["width"] for r in runs]
    values = [r["history"][epoch - 1][key] for r in runs]
    return bench_analysis.spearman(np.array(widths), np.array(values))


for epoch in range(1, train_config.epochs + 1):
    print(f"epoch {epoch}: rho(width, test loss) = {width_loss_rho(live, epoch):+.2f}   "
          f"rho(width, train loss) = {width_loss_rho(live, epoch, 'train_loss'):+.2f}")

# %% [markdown]
# ### What did we see
#
# At the tiny scale the six cells end within 0.1 of each other in test loss and within a few points
# of accuracy, around 35 %; their curves cross, and the correlation of width with test loss changes
# sign from epoch to epoch. With 96 steps on 2,000 images, the noise of one seed is as large as
# the effect we are looking for: the tiny run shows the experiment and its measurements, not its
# result. (The training loss, averaged over a whole epoch in train mode, is the less noisy of the
# two; the test loss is measured once per epoch in eval mode, with batch-norm statistics that are
# still settling.) For the result we need longer training, more cells and more than one seed.
#
# ## 4. At a larger scale: the whole family, two seeds
#
# The saved run in `lessons/results/width-family/` trains all 14 cells with the same recipe, at a scale
# a 2-core CPU manages in under an hour per seed: C = 8, 5 cells, 16 × 16 images, 5,000 training
# images, 12 epochs, test loss on 2,000 test images, seeds 0 and 1. Its README gives the exact
# command (`scripts/width_family.py`). Shu et al. trained 20 cells with C = 36 on all of CIFAR-10 for
# 600 epochs: the saved run is about 1/3000 of their compute per cell.

# %%
results = Path("results/width-family")  # the notebook runs in lessons/
if not results.exists():
    results = Path("lessons/results/width-family")  # or from the repository root
saved = {}  # seed -> {name: run}
for path in sorted(results.glob("seed*/*.json")):
    run = json.loads(path.read_text())
    saved.setdefault(run["seed"], {})[run["name"]] = run
seeds = sorted(saved)
names = [name for name, _ in family if all(name in saved[s] for s in seeds)]
epochs = len(saved[seeds[0]][names[0]]["history"])
config0 = saved[seeds[0]][names[0]]["config"]
print(f"{len(names)} cells x seeds {seeds}; {epochs} epochs; C={config0['C']}, {config0['layers']} cells, "
      f"{config0['image_size']}x{config0['image_size']}, {config0['train_images']} training images")

# the mean over seeds of each cell's curves
mean_runs = []
for name in names:
    runs = [saved[s][name] for s in seeds]
    history = [{"epoch": e + 1, **{k: float(np.mean([r["history"][e][k] for r in runs]))
                                   for k in ("train_loss", "test_loss", "test_acc")}} for e in range(epochs)]
    mean_runs.append({"name": name, "width": runs[0]["width"], "depth": runs[0]["depth"], "history": history})

# %%
fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.2))
plot.curves_by_width(mean_runs, "test_loss", ax=axes[0], label_every=1,
                     title=f"test loss, mean of {len(seeds)} seeds")
plot.curves_by_width(mean_runs, "train_loss", ax=axes[1], title=f"training loss, mean of {len(seeds)} seeds")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
print("Spearman rho(width, test loss) by epoch:")
print("epoch " + " ".join(f"{e:>6d}" for e in range(1, epochs + 1)))
for s in seeds:
    runs = [saved[s][n] for n in names]
    print(f"seed {s} " + " ".join(f"{width_loss_rho(runs, e):+6.2f}" for e in range(1, epochs + 1)))
print("mean   " + " ".join(f"{width_loss_rho(mean_runs, e):+6.2f}" for e in range(1, epochs + 1)))
print("\nSpearman rho(depth, test loss) by epoch, mean of seeds:")
depth_rho = [bench_analysis.spearman(np.array([r["depth"] for r in mean_runs]),
                                     np.array([r["history"][e - 1]["test_loss"] for r in mean_runs]))
             for e in range(1, epochs + 1)]
print("       " + " ".join(f"{v:+6.2f}" for v in depth_rho))

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'cell':8s} {'width':>6s} {'depth':>5s}  {'test loss ep 3':>14s}  {'final test loss':>15s}  "
      f"{'final test acc':>14s}")
for run in sorted(mean_runs, key=lambda r: (r["width"], -r["depth"])):
    h = run["history"]
    per_seed = [100 * saved[s][run["name"]]["history"][-1]["test_acc"] for s in seeds]
    print(f"{run['name']:8s} {run['width']:5.1f}c {run['depth']:5d}  {h[2]['test_loss']:14.3f}  "
          f"{h[-1]['test_loss']:15.3f}  {np.mean(per_seed):9.2f}% ± {np.std(per_seed):.2f}")

# %% [markdown]
# ### What did we see
#
# * **The paper's ordering held, in direction, at both seeds.** The correlation of width with test
#   loss is negative at 23 of the 24 (epoch, seed) pairs: between −0.14 and −0.60 for seed 0 (one
#   epoch at +0.04) and between −0.20 and −0.63 for seed 1. With the training loss it is negative at
#   every epoch (−0.43 to −0.77), and depth correlates positively with the test loss at every epoch
#   (+0.20 to +0.65 on the curves averaged over the seeds).
# * **The effect is carried by the narrowest, deepest cells.** c1 and c2 (2c, depth 5) end at test
#   losses of 1.45 and 1.50, against 1.34 to 1.38 for the twelve other cells, whose curves overlap. c3 (2c, but depth 4) is as good as the widest. Between 2.5c and 4c the
#   differences are within the spread between seeds. So at this scale "narrow and deep is slow" is
#   clearer than "wider is faster".
# * **A detail worth a look:** c2's normal cell never reads its second input $c_{k-1}$ (printed with
#   the family in section 3): a random rewiring can disconnect a cell from the previous cell entirely.
# * **Final accuracy** follows the same order at this budget: c2 44.7 %, c1 47.9 %, all others
#   between 49.6 % and 51.2 % (the wide form 51.2 %, DARTS_V2 50.4 %). Whether wide cells stay ahead
#   after a long training, the paper's third step, is beyond a 12-epoch run; the benchmark in
#   section 2 answers it for NAS-Bench-201: no, the advantage of shallow cells is gone after 200
#   epochs.
#
# Shu et al. report the same direction at their scale (600 epochs): the 2c variants end at test losses of
# about 0.26 to 0.37 against 0.22 for DARTS_V2, and the 2.5c to 3.5c variants close to DARTS_V2.
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
print(f"2,000 uniform DARTS-space normal cells: width {random_shapes[:, 0].mean():.2f}c "
      f"(sd {random_shapes[:, 0].std():.2f}), depth {random_shapes[:, 1].mean():.2f} "
      f"(sd {random_shapes[:, 1].std():.2f}); at least 3c wide: {100 * np.mean(random_shapes[:, 0] >= 3):.1f}%, "
      f"depth 2: {100 * np.mean(random_shapes[:, 1] == 2):.1f}%")

# %% [markdown]
# Now two searches live, SNAS and ENAS, one seed each at the tiny preset (a DARTS supernet with
# C = 4 and 5 cells on 512 images for 3 epochs). ENAS's cell is the best of 10 cells its controller
# samples at the end; the others derive theirs from α as DARTS does.

# %%
from nascourse.history import make_config
from nascourse.search import search

live = {}
for method in ("snas", "enas"):
    live[method] = search(make_config(method, "darts", preset.name), seed=0, device=device)
    shape = G.genotype_width_depth(live[method].genotype)
    print(f"{method}: normal cell {shape['normal'][0]:g}c, depth {shape['normal'][1]}; "
          f"reduction cell {shape['reduce'][0]:g}c, depth {shape['reduce'][1]}; "
          f"supernet validation accuracy {100 * live[method].history[-1]['val_acc']:.1f}%")

# %%
fig = plot.draw_genotype(live["enas"].genotype, title="ENAS's cell, tiny preset, seed 0")
plt.show()
print("ENAS's controller over the epochs (mean reward = validation accuracy of its samples, baseline):")
for h in live["enas"].history:
    print(f"  epoch {h['epoch']}: reward {h['controller_reward']:.3f}, baseline {h['baseline']:.3f}, "
          f"cell {h['width']:g}c / depth {h['depth']}")

# %% [markdown]
# One seed of a tiny search says little. The saved runs below repeat every method over seeds, at
# the tiny preset (5 seeds) and at a larger scale (1,024 images for 6 epochs: four times the steps,
# twice the images; 2 seeds), made by
# `scripts/method_cells.py` on a 2-core CPU; the README in each folder has the command.

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
    print(f"{'method':8s} {'seeds':>5s}  {'normal width':>12s} {'depth':>6s}  {'reduce width':>12s} {'depth':>6s}  "
          f"{'skips':>5s}  {'minutes':>7s}   normal cells (width/depth) by seed")
    for method in METHOD_ORDER:
        if method not in runs:
            continue
        rs = runs[method]
        nw, nd = [r["normal"]["width"] for r in rs], [r["normal"]["depth"] for r in rs]
        rw, rd = [r["reduce"]["width"] for r in rs], [r["reduce"]["depth"] for r in rs]
        print(f"{method:8s} {len(rs):5d}  {np.mean(nw):11.2f}c {np.mean(nd):6.2f}  {np.mean(rw):11.2f}c "
              f"{np.mean(rd):6.2f}  {np.mean([r['skip_connect'] for r in rs]):5.1f}  "
              f"{np.mean([r['seconds'] for r in rs]) / 60:7.1f}   "
              + " ".join(f"{w:g}c/{d}" for w, d in zip(nw, nd)))
    print(f"{'random':8s} {len(random_shapes):5d}  {random_shapes[:, 0].mean():11.2f}c {random_shapes[:, 1].mean():6.2f}")


tiny_cells, large_cells = load_cells("method-cells-tiny"), load_cells("method-cells")

# %%
# NBVAL_CHECK_OUTPUT
cell_table(tiny_cells, "tiny preset: C = 4, 5 cells, 512 images, 3 epochs")
print()
cell_table(large_cells, "larger: C = 4, 5 cells, 1,024 images, 6 epochs")

# %%
fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.6), sharey=True)
jitter = np.random.default_rng(0)
for ax, (runs, title) in zip(axes, ((tiny_cells, "tiny preset, 5 seeds"), (large_cells, "larger scale, 2 seeds"))):
    counts = {}
    for w, d in random_shapes:
        counts[(w, d)] = counts.get((w, d), 0) + 1
    for (w, d), n in counts.items():  # the space: grey discs, area = share of uniform cells
        ax.scatter(w, d, s=3000 * n / len(random_shapes), color="0.85", zorder=1)
    for k, method in enumerate(m for m in METHOD_ORDER if m in runs):
        shapes = np.array([(r["normal"]["width"], r["normal"]["depth"]) for r in runs[method]], dtype=float)
        shapes += jitter.uniform(-0.08, 0.08, shapes.shape)
        ax.scatter(shapes[:, 0], shapes[:, 1], s=40, label=method, zorder=3, color=plt.cm.tab10(k))
    for name, marker, offset in (("ENAS", "*", (-40, 10)), ("DARTS_V2", "P", (6, 6)), ("SNAS_MILD", "X", (-30, -16))):
        w, d = G.genotype_width_depth(getattr(G, name))["normal"]
        ax.scatter(w, d, marker=marker, s=220, color="black", zorder=2)
        ax.annotate(f"published {name}", (w, d), textcoords="offset points", xytext=offset, fontsize=8)
    ax.set(title=title, xlabel="width of the normal cell (c); ENAS's own space had 5 nodes, so up to 5c",
           xticks=[1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5], xlim=(1.2, 5.3), ylim=(1.6, 5.3))
    ax.grid(alpha=0.3)
axes[0].set_ylabel("depth of the normal cell")
axes[1].legend(loc="upper right", fontsize=8)
plt.show()

# %% [markdown]
# ### What did we see
#
# * **No search favoured wide and shallow cells at these scales.** Over all seven methods the normal
#   cells average 2.57c and depth 3.63 at the tiny preset (35 searches) and 2.54c and depth 3.79 at
#   the larger scale (14 searches); uniform random cells of the space average 2.57c and depth 3.76.
#   About a third of the searched cells are at least 3c wide (37 % and 36 %), as a third of random
#   cells are (34 %). One search in 49 returned the widest, shallowest shape of the space (iDARTS,
#   tiny preset, seed 2: 4c, depth 2), and so did the live ENAS run above when these outputs were
#   made (in its last epoch; its first two gave 3c cells of depth 4 and 3); random draws give depth
#   2 in 0.5 % of cells.
# * **Differences between methods are within the spread between seeds.** At the tiny preset GDAS
#   (2.9c) and ENAS (2.8c) lean wider and RSWS (2.3c) narrower; at the larger scale RSWS (3.25c) and
#   DARTS second order (3.0c, both seeds 3c/3) lead and DARTS first order is the narrowest and
#   deepest (2.25c, depth 5 in both seeds). A single cell's width moves by 0.5c to 1c from seed to
#   seed, so with 2 to 5 seeds none of these orderings is established.
# * **Why:** at this scale the searches barely leave their starting point. α moves by thousandths
#   (lesson 02), ENAS's controller barely learns (its reward, the accuracy of a sampled cell on a
#   validation batch, stays at 11 % to 12 % in the live run above, next to chance, 10 %), and
#   SNAS's and GDAS's samples are near-uniform until their temperature falls. A search that has
#   learnt little returns what the space offers at random. Shu et al.'s Figure 1 is about searches
#   run to the end (the published cells: ENAS 5c, SNAS 4c, DARTS_V2 3.5c, all at or near their
#   space's widest shape); reaching that regime takes the papers' budgets, not these.
# * **Costs** (one CPU thread, two or three searches side by side): at the tiny preset GDAS and RSWS
#   take about 20 s, first-order DARTS and SNAS about 50 s, second-order DARTS 2 minutes, ENAS 2.5
#   minutes (its controller evaluates 300 sampled cells per epoch) and iDARTS 3 minutes.
#
# ## Summary
#
# * Shu et al.: cell-based searches favour wide, shallow cells because those converge fastest, and
#   a search judges cells early; fast convergence is not better generalisation.
# * **NAS-Bench-201**, all 15,284 connected cells: within equal numbers of convolutions, depth
#   correlates with accuracy at $-0.13$ after 12 epochs and $+0.01$ after 200, and deep cells gain the
#   most ranks from the long budget ($+0.28$). Width shows no such effect in this small cell. A short
#   budget is biased against depth; the bias is gone at the full budget.
# * **DARTS_V2 rewired** (same operations, nearly the same parameter count): at the tiny scale the curves are noise.
#   In the saved run (14 cells, 12 epochs, 2 seeds) width correlates negatively with the test loss
#   at 23 of 24 (epoch, seed) pairs, down to $-0.63$, mostly because the two 2c, depth-5 cells
#   converge visibly more slowly.
# * **Seven searches** (DARTS first and second order, iDARTS, GDAS, RSWS, SNAS, ENAS) at the tiny
#   preset (5 seeds) and at four times its steps (2 seeds) return cells as wide and as deep as
#   uniform random cells of the DARTS space (2.57c against 2.57c; depth 3.6 to 3.8 against 3.8):
#   the preference for wide, shallow cells that Shu et al. measured on the published cells does not
#   appear before a search has learnt much.
# * Measuring "converges faster" needs a fixed epoch, a rank correlation over many cells, and
#   several seeds; one curve per cell and one seed can say either thing.
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
