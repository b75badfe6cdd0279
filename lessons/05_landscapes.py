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
# # Lesson 05 · Smooth landscapes and accurate gradients
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/05_landscapes.ipynb)
#
# Runs in 113 s in JupyterLab on 2 CPU cores at the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# Lesson 04 asked *whether* wide, shallow cells converge faster. Shu, Wang & Cai (ICLR 2020) also
# say *why*: their loss landscape is smoother and their gradients are more accurate, so the same
# learning rate makes faster, steadier progress. This lesson measures both. After it you can
#
# 1. draw a loss landscape around a trained network along **filter-normalised** random directions
#    (Li et al., NeurIPS 2018), and say why the normalisation is needed to compare two networks;
# 2. read 1-D slices and 2-D contours of a wide-shallow and a narrow-deep cell;
# 3. define and measure the **gradient variance** of minibatch gradients, stating the batch size;
# 4. estimate the sharpness $\lambda_{\max}$ of the weight Hessian by **power iteration** on
#    Hessian-vector products, and check that it converged;
# 5. tell a measurement on test images in eval mode from one on the objective SGD descends (the
#    training loss in train mode, batch statistics), and make both;
# 6. derive, for a small linear model, when a deep arrangement of the same parameters is sharper and
#    noisier than a wide one, in which units, and check the derivation numerically.

# %%
import functools
import itertools
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nascourse import batches, config, data, evidence, exercises, landscapeplot, plot, stats
from nascourse import genotypes as G
from nascourse import variants as V
from nascourse import landscape as L
from nascourse import sharpness as S
from nascourse.train import build_network, make_train_config, train

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1. Two trained networks
#
# Take the two ends of lesson 04's family: **wide**, DARTS_V2's operations all wired to the cell's
# inputs (width 4c, depth 2), and **c1**, a random rewiring of the same operations into a chain-like
# cell (width 2c, depth 5). Same operations, nearly the same parameter count, same training: the tiny preset's
# network (C = 8, 5 cells, 16 × 16 images) trained for 3 epochs on 2,000 images, as in lesson 04.

# %%
cells = {"wide": V.widest_shallowest(G.DARTS_V2), "c1": dict(V.width_family(G.DARTS_V2))["c1"]}
for name, g in cells.items():
    print(f"{name}: width and depth {G.genotype_width_depth(g)['normal']}")
sizes = {"tiny": dict(epochs=3, train_images=2000)}.get(preset.name, dict(epochs=10))
train_config = make_train_config("darts", preset, auxiliary_weight=0.0, drop_path_max=0.0, **sizes)
cifar = data.load_dataset("cifar10")
nets = {}
for name, g in cells.items():
    result = train(build_network(g, train_config), train_config, seed=0, device=device, dataset=cifar,
                   progress=False)
    nets[name] = result.network.eval()
    print(f"{name}: final test loss {result.history[-1]['test_loss']:.2f}, "
          f"accuracy {100 * result.history[-1]['test_acc']:.1f}%")
colors = {"wide": "#440154", "c1": "#b5de2b"}  # lesson 04's width colours: dark = wide

# %% [markdown]
# ## 2. Directions, and why they are filter-normalised
#
# A landscape is the loss along a line or over a plane through the trained weights $\theta^*$:
#
# $$f(a) = L(\theta^* + a\,\delta), \qquad f(a, b) = L(\theta^* + a\,\delta + b\,\eta),$$
#
# with $\delta, \eta$ random Gaussian directions, one entry per weight. A raw Gaussian direction is
# not comparable across networks: a network whose weights are small is moved a long way by a step
# of 1, one whose weights are large hardly at all, and with batch normalisation the scale of a
# filter does not even change the function. Li et al. therefore rescale **each filter** of the
# direction (each slice along the output dimension of a weight tensor) to the norm of the same
# filter of the weights,
#
# $$\delta_{i} \leftarrow \delta_{i}\,\frac{\|\theta^*_{i}\|}{\|\delta_{i}\|},$$
#
# so that a step $a = 1$ changes every filter by its own size, and they leave biases and batch-norm
# parameters alone (the direction is 0 there). `landscape.random_direction` does that:

# %%
# NBVAL_CHECK_OUTPUT
net = nets["wide"]
direction = L.random_direction(net, seed=0)
params = L.trainable(net)
conv = next(i for i, p in enumerate(params) if p.dim() == 4)
print("first conv weight:", tuple(params[conv].shape))
# every filter of the direction against the same filter of the weights: ||δ_i|| / ||θ*_i|| should be 1
ratios = torch.cat([d.flatten(1).norm(dim=1) / p.detach().flatten(1).norm(dim=1)
                    for p, d in zip(params, direction) if p.dim() > 1])
print(f"filters compared: {len(ratios):,}; every ratio ||delta_i|| / ||theta_i|| within 1e-5 of 1: "
      f"{bool(((ratios - 1).abs() < 1e-5).all())}")
print("1-D parameters with a zero direction:", sum(p.dim() == 1 and not d.any() for p, d in zip(params, direction)),
      "of", sum(p.dim() == 1 for p in params))

# %% [markdown]
# The cell above checks what holds on every machine, not the norms themselves: they are properties
# of the trained weights, and the training rounds differently on different CPUs (AVX2 or AVX-512
# kernels, one thread or two add in different orders). Three epochs of SGD carry those last-digit
# differences into the third digit of the weights, so a filter norm printed here may differ in its
# third digit from one machine to another. The same holds for every number measured on these two networks
# below: re-run the lesson and expect the third digit to move, never the sign of a comparison that
# is larger than a few per cent.

# %% [markdown]
# Surfaces are evaluated in eval mode (batch norm uses its running statistics) on a fixed subset:
# the first 500 test images here. Li et al. plot $a \in [-1, 1]$; these small networks reach losses
# in the thousands there (the running statistics no longer match the moved weights), and everything
# that differs between the cells happens within about $\pm 0.3$, so we plot $[-0.5, 0.5]$.

# %%
images = {"tiny": 500}.get(preset.name, 2000)
test = L.fixed_batches(cifar, images=images, batch_size=250, image_size=train_config.image_size, device=device)
xs = L.grid(-0.5, 0.5, 11)
lines = {name: L.surface_1d(n, test, L.random_direction(n, seed=0), xs) for name, n in nets.items()}
for name, s in lines.items():
    print(f"{name}: loss along the direction {np.round(s.loss, 2).tolist()}")
fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.6))
plot.surface_lines(lines, "loss", ax=axes[0], colors=colors, title="test loss along one direction")
plot.surface_lines(lines, "acc", ax=axes[1], colors=colors, title="test accuracy along one direction")
plt.show()

# %% [markdown]
# A plane costs a grid of such evaluations (441 for 21 × 21, a few minutes here), so the lesson
# draws the saved planes of section 5 instead of computing one live.

# %% [markdown]
# Eval mode on test images is how Li et al. draw landscapes, but it is not the objective that SGD
# descends. Training minimises the loss on augmented training minibatches in **train mode**, where
# batch norm normalises each batch by its own mean and variance: moving the weights moves the batch
# statistics with them, which absorb part of the move. The convergence argument concerns that
# objective, so measure it too, along the same direction: 500 training images (the first 10
# minibatches of size 50 that the training loader draws, augmented as in training, seed 0), in
# train mode (batch norm's running statistics are put back afterwards).

# %%
train_loader, _ = batches.train_test_loaders(cifar, 50, train_config.image_size, subset=train_config.train_images,
                                             device=device, seed=0)
train_batches = list(itertools.islice(iter(train_loader), 10))  # 10 x 50 training images, augmented
train_lines = {name: L.surface_1d(n, train_batches, L.random_direction(n, seed=0), xs, mode="train")
               for name, n in nets.items()}
for name in nets:
    print(f"{name}: training loss (train mode) along the direction {np.round(train_lines[name].loss, 2).tolist()}")
fig, ax = plt.subplots(figsize=(6.5, 3.8))
for name in nets:
    ax.plot(xs, lines[name].loss, "-", color=colors[name], lw=1.6, label=f"{name}: test images, eval mode")
    ax.plot(xs, train_lines[name].loss, "--", color=colors[name], lw=1.6, label=f"{name}: training images, train mode")
ax.axvline(0, color="grey", lw=0.6, ls=":")
ax.set(xlabel="step a along the filter-normalised direction", ylabel="loss", yscale="log",
       title="The same direction, two objectives")
ax.grid(alpha=0.3)
ax.legend(fontsize=7, loc="upper center")
plt.show()

# %% [markdown]
# ### What did we see
#
# Both cells sit in one smooth, bowl-shaped basin, and both are barely trained (test loss 1.75 and
# 1.80, 34.1% and 30.4% accuracy). On test images in eval mode the loss rises steeply away from the
# centre, and neither cell is the steeper one on both sides: at $a = 0.5$ the deep cell c1 reaches
# 18.93 against the wide cell's 10.62, at $a = -0.5$ the wide cell reaches 9.98 against 6.67; near the
# centre the two are alike. On the training objective in train mode the same direction is far
# flatter (between 1.71 and 1.99 for the wide cell, 1.77 and 2.16 for c1): batch statistics absorb
# much of the move. In both objectives the two cells are close near their minimum; the paper's
# picture (a wide basin for the wide cell, a narrow one for the deep cell) appears at most as c1's
# steeper rim on one side, on test images.
#
# ## 3. Gradient variance
#
# Stochastic gradient descent follows minibatch gradients $g_j$, noisy estimates of the full
# gradient $\bar g$. Shu et al. compare cells by the size of that noise (clarified by the first
# author: all parameters as one vector, the expected squared distance of a stochastic gradient from
# the full one). The course's estimator, over $B$ minibatches of size $b$:
#
# $$\mathrm{GV} = \frac{1}{B}\sum_{j=1}^{B} \|g_j - \bar g\|^2, \qquad \bar g = \frac{1}{B}\sum_j g_j .$$
#
# GV shrinks like $1/b$ (averaging $b$ independent samples), so $b$ must be stated, and it grows with
# the number of parameters, which is nearly the same for our two cells. We measure it twice: on
# test images in eval mode (the samples of a batch do not interact, as in the landscapes above),
# and on the training minibatches in train mode, the noise SGD itself sees.

# %%
gv_batches = L.fixed_batches(cifar, images=images, batch_size=50, image_size=train_config.image_size, device=device)
gv = {name: L.gradient_variance(n, gv_batches) for name, n in nets.items()}  # test images, eval mode
gv_train = {name: L.gradient_variance(n, train_batches, mode="train") for name, n in nets.items()}
for name in nets:
    for where, v in (("test images, eval mode      ", gv[name]), ("training images, train mode", gv_train[name])):
        print(f"{name:4s} {where}: GV = {v.value:6.2f} (b = {v.batch_size}, B = {v.batches}), "
              f"||mean gradient|| = {v.gradient_norm:.2f}")
print(f"parameters: " + ", ".join(f"{name} {v.parameters:,}" for name, v in gv.items()))

# %% [markdown]
# ## 4. Sharpness: the largest eigenvalue of the Hessian
#
# The curvature of the loss in its steepest direction is $\lambda_{\max}$ of the Hessian
# $\nabla^2_\theta L$. It bounds the learning rate gradient descent can use ($\eta < 2/\lambda_{\max}$
# on a quadratic), so a smaller $\lambda_{\max}$ lets the same learning rate go further per step.
# Nobody builds a Hessian with $10^5$ rows; **power iteration** needs only Hessian-vector products
# $Hv$, which double backpropagation gives at the cost of about two gradients:
#
# $$v \leftarrow \frac{Hv}{\|Hv\|}, \qquad \lambda \approx v^\top H v, \qquad \text{until } \lambda
# \text{ changes by less than } 10^{-3} \text{ relative.}$$
#
# `sharpness.hessian_max_eigenvalue` averages $Hv$ over fixed batches and, like Li et al., uses the
# weights with more than one dimension (convolutions and the classifier). Again twice: on 250 test
# images in eval mode, and on the training objective, 5 of the training minibatches above in train
# mode.

# %%
hess_batches = test[:1]  # the first 250 test images, eval mode
hess_train = train_batches[:5]  # 5 training minibatches of 50, each normalised by its own statistics
sharp = {name: S.hessian_max_eigenvalue(n, hess_batches, iters=20) for name, n in nets.items()}
sharp_train = {name: S.hessian_max_eigenvalue(n, hess_train, iters=20, mode="train") for name, n in nets.items()}
for name in nets:
    for where, e in (("test images, eval mode      ", sharp[name]), ("training images, train mode", sharp_train[name])):
        print(f"{name:4s} {where}: lambda_max = {e.value:5.0f} after {e.iterations} products, "
              f"converged: {e.converged}")

# %% [markdown]
# ### What did we see
#
# * **Gradient variance** (b = 50, 10 batches): on test images in eval mode, wide 14.84 and c1
#   15.28, the direction Shu et al. describe by a small margin; on the training objective in train
#   mode the two are as close the other way, 4.70 against 4.62.
# * **Sharpness**: in eval mode wide 215, c1 185, so the wide cell is the sharper one, against the
#   smoothness story; in train mode both are far smaller, 11 against 10, and c1's estimate did not
#   converge within 20 products, so take it as rough.
# * One network per cell, one seed, three epochs of training, 500 and 250 images: no interval can
#   be put on these differences, and they can come out either way. The saved family below compares
#   14 cells.
#
# ## 5. At a larger scale: the saved family
#
# `lessons/results/landscapes/` holds the same measurements for the networks of lesson 04's saved
# run (C = 8, 5 cells, 16 × 16, 5,000 training images, 12 epochs, seed 0), made with
# `scripts/landscapes.py` (the command is in its README): for every cell of the family, GV at the
# trained weights (1,000 test images, b = 100) and $\lambda_{\max}$ (500 test images); for the wide
# form and c1, 21 × 21 loss contours over $[-0.5, 0.5]^2$ and GV over a 9 × 9 grid of the same
# plane.

# %%
results = Path("results/landscapes")  # the notebook runs in lessons/
if not results.exists():
    results = Path("lessons/results/landscapes")  # or from the repository root
measured = {}
for path in sorted(results.glob("seed0/*.json")):
    record = json.loads(path.read_text())
    measured[record["name"]] = record
widths = {name: G.genotype_width_depth(G.as_genotype(r["genotype"]))["normal"] for name, r in measured.items()}
print(f"{len(measured)} cells measured")

# %%
big = {name: L.Surface.from_dict(measured[name]["surface_2d"]) for name in ("wide", "c1")}
levels = [1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0]  # shared by both cells, so the areas compare
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4), layout="constrained")
for k, (ax, (name, s)) in enumerate(zip(axes, big.items())):
    w, d = widths[name]
    plot.contour(s, levels=levels, ax=ax, filled=True, label_every=2, colorbar=list(axes) if k == 1 else False,
                 title=f"{name} ({w:.1f}c, depth {d}): test loss, 21 x 21")
plt.show()
for name, s in big.items():
    z = np.array(s.loss)
    print(f"{name}: minimum {z.min():.2f}; share of the grid below a loss of 2.0: {100 * (z < 2.0).mean():.0f} %")

# %%
gv_big = {name: L.Surface.from_dict(measured[name]["gradient_variance_2d"]) for name in ("wide", "c1")}
low, high = min(np.min(s.loss) for s in gv_big.values()), max(np.max(s.loss) for s in gv_big.values())
fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.4), layout="constrained")
for k, (ax, (name, s)) in enumerate(zip(axes, gv_big.items())):
    landscapeplot.variance_map(s, ax=ax, vmin=low, vmax=high, colorbar=list(axes) if k == 1 else False,
                               title=f"{name}: gradient variance (b = 100), 9 x 9")
plt.show()
for name, s in gv_big.items():
    g = np.array(s.loss)
    print(f"{name}: GV at the centre {g[4, 4]:.1f}, median over the grid {np.median(g):.1f}, "
          f"largest {g.max():.0f}")

# %%
# NBVAL_CHECK_OUTPUT
def rise(record, step=0.2):
    """How much the loss rises a step of ±step away along the filter-normalised direction (mean of both sides)."""
    s = record["surface_1d"]
    at = lambda a: s["loss"][min(range(len(s["xs"])), key=lambda i: abs(s["xs"][i] - a))]  # noqa: E731
    return (at(-step) + at(step)) / 2 - at(0.0)


print(f"{'cell':8s} {'width':>6s} {'depth':>5s} {'test loss':>9s} {'rise at ±0.2':>12s} {'GV (b=100)':>11s} "
      f"{'lambda_max':>10s}  converged")
order = sorted(measured, key=lambda n: (widths[n][0], -widths[n][1]))
for name in order:
    r = measured[name]
    w, d = widths[name]
    print(f"{name:8s} {w:5.1f}c {d:5d} {r['loss']:9.3f} {rise(r):12.3f} {r['gradient_variance']['value']:11.4g} "
          f"{r['hessian']['value']:10.4g}  {r['hessian']['converged']} ({r['hessian']['iterations']} products)")

# %%
by_file = sorted(measured)  # the saved files' order, as the evidence table reads them: the same bootstrap draws
columns = {"width": [widths[n][0] for n in by_file], "depth": [widths[n][1] for n in by_file]}
measures = {"rise at ±0.2": [rise(measured[n]) for n in by_file],
            "GV": [measured[n]["gradient_variance"]["value"] for n in by_file],
            "lambda_max": [measured[n]["hessian"]["value"] for n in by_file],
            "test loss": [measured[n]["loss"] for n in by_file]}
print(f"Spearman's rho over the {len(order)} cells (one network each, seed 0), 95 % bootstrap interval, "
      f"two-sided permutation p:")
correlations = {}
for shape_name, shape_values in columns.items():
    for m, v in measures.items():
        correlations[shape_name, m] = stats.spearman(shape_values, v)
        print(f"  {shape_name:5s} vs {m:12s}: {correlations[shape_name, m]}")

# %% [markdown]
# ### What did we see
#
# * **Contours.** Both basins are smooth and nearly convex over $[-0.5, 0.5]^2$. c1's is, if
#   anything, the rounder and larger one (23 % of the grid below a loss of 2.0, against 18 % for the
#   wide cell), around a higher minimum (1.45 against 1.32). The small, irregular basins that Shu et
#   al. show for their 2c cells did not appear at this scale.
# * **Gradient variance over the plane.** At the trained weights the two are close (wide 18.9, c1
#   16.8) and over the grid c1's median is lower (119 against 166), but towards the rim c1's rises
#   four times higher (largest 17,519 against 4,282): steeper walls far from the minimum, the one
#   feature of the paper's figure that shows here.
# * **Across the 14 cells** (one network each, seed 0), the wider the cell, the *larger* its
#   gradient variance (Spearman's rho = 0.44 [-0.22, 0.83], p = 0.12), its $\lambda_{\max}$
#   (rho = 0.33 [-0.28, 0.77], p = 0.26) and the rise of its loss along a filter-normalised
#   direction (rho = 0.22 [-0.38, 0.62], p = 0.44); depth goes the other way. Every interval holds
#   0: with 14 cells and one seed, neither the paper's direction (negative rho) nor the opposite one
#   is established. What the measurements do not show is the paper's explanation: not one of the
#   three measures is smaller for wider cells. **At this scale (one seed, 14 cells, 12 epochs), the
#   explanation did not hold**; lesson 04's observation that wide cells converge faster held there in
#   direction only, not significantly. The evidence table in the summary gives these verdicts.
# * Two cautions. $\lambda_{\max}$ and GV are measured in the weights' own units; with batch
#   normalisation, scaling a filter leaves the function unchanged but divides the gradient by the
#   scale and the curvature by its square, and the cells end training with different weight norms.
#   The filter-normalised rise does not have that problem and points the same way, but weakly.
#   These saved measurements are on test images in eval mode only (sections 2 to 4 measured both kinds live).
#   And Shu et al. measure after 600 epochs on all of CIFAR-10, not after 12 on 5,000 images.
#
# ## 6. A model you can solve on paper
#
# *This section is the course's own derivation. Shu et al. prove bounds of this kind for simplified
# cells, but their theorem could not be read for this course; the model below is chosen to make the
# mechanism visible, not to reproduce their statement.*
#
# A cell with $k$ edges, each a single weight $w_i$ (a linear operation), maps a scalar input $x$ to
# an output, arranged in one of two ways with the **same** $k$ parameters:
#
# * **wide** (width $k$, depth 1): every edge reads the input and the output sums them,
#   $f(x) = s(w)\,x$ with $s = \sum_i w_i$;
# * **deep** (width 1, depth $k$): the edges form a chain, $f(x) = s(w)\,x$ with $s = \prod_i w_i$.
#
# Data: $x \sim N(0, 1)$, target $t = a x + \varepsilon$, noise $\varepsilon \sim N(0, \sigma^2)$,
# squared loss. Then $L(w) = \tfrac12 (s(w) - a)^2 + \tfrac12\sigma^2$, and
#
# $$\nabla L = (s - a)\,\nabla s, \qquad \nabla^2 L = \nabla s\, \nabla s^\top + (s - a)\, \nabla^2 s .$$
#
# **Smoothness.** For the wide cell $\nabla s = \mathbf 1$ and $\nabla^2 s = 0$: the Hessian is
# $\mathbf 1 \mathbf 1^\top$ everywhere, $\lambda_{\max} = k$ everywhere, and the loss is an exact
# parabola in every direction. For the deep cell $\partial s/\partial w_i = s/w_i$, and the second
# term does not vanish away from the minimum: its Hessian changes from point to point and grows
# without bound with the weights; there is no global smoothness constant.
#
# **At a minimum, in units of the weights.** Gradient descent from equal initial weights keeps them
# equal, so it ends at the balanced minimum: $w_i = a/k$ (wide) or $w_i = a^{1/k}$ (deep). Measure
# steps relative to each weight, $w_i \to w_i (1 + u_i)$, which is what filter normalisation does for a
# 1 × 1 filter. In $u$ the Hessian at the minimum is $D\,\nabla s\,\nabla s^\top D$ with
# $D = \mathrm{diag}(w)$, and $w_i\,\partial s/\partial w_i$ is $a/k$ (wide) or $a$ (deep) for every
# $i$:
#
# $$\lambda_{\max}^{\rm wide} = \frac{a^2}{k}, \qquad \lambda_{\max}^{\rm deep} = k\,a^2, \qquad
# \frac{\lambda_{\max}^{\rm deep}}{\lambda_{\max}^{\rm wide}} = k^2 .$$
#
# **Gradient noise.** At the minimum the gradient of one sample is $-\varepsilon x\, \nabla s$; a
# minibatch of $b$ averages $b$ of them. In $u$ every minibatch gradient is a multiple of the same
# vector $D \nabla s$, so
#
# $$\mathrm{GV} = \frac{\sigma^2}{b}\,\|D\nabla s\|^2 = \frac{\sigma^2 a^2}{b\,k}\ \text{(wide)}, \qquad
# \frac{\sigma^2 a^2 k}{b}\ \text{(deep)}, \qquad \text{ratio } k^2 .$$
#
# The same parameters arranged in depth are $k^2$ times sharper and $k^2$ times noisier, relative to
# their own size; the wide arrangement is a parabola everywhere.
#
# **In plain weight units the answer depends on $a$.** SGD steps in the parameters as they are
# written, $w \to w - \eta\,\nabla_w L$, and its step-size limit $\eta < 2/\lambda_{\max}$ uses the
# Hessian in those units. There $\nabla^2 L = \nabla s\,\nabla s^\top$ at the minimum, with
# $\|\nabla s\|^2 = k$ (wide) and $k\,(a^{(k-1)/k})^2$ (deep), so
#
# $$\frac{\lambda_{\max}^{\rm deep}}{\lambda_{\max}^{\rm wide}} = \frac{\mathrm{GV}^{\rm deep}}{\mathrm{GV}^{\rm wide}}
# = a^{2(k-1)/k}\quad\text{(plain units)} .$$
#
# For $|a| > 1$ the chain is sharper and noisier, but by far less than $k^2$; for $|a| = 1$ the two
# are equal, and for $|a| < 1$ the **chain is the flatter, quieter one**. Which reading applies is a
# question of parameterisation: the relative units are what filter normalisation measures (and
# what a network with batch norm, whose filters can be rescaled freely, is closest to); the plain
# units are what a fixed learning rate meets. Now check it with the library, on
# a sample of 4,096 points ($k = 4$, $a = 2$, $\sigma = 0.5$): each edge is a 1 × 1 weight matrix so
# that `random_direction` treats it as a filter, and a wrapper measures in relative units $u$.

# %%
class LinearCell(nn.Module):
    """k single-weight edges from x to the output: summed in parallel (wide) or chained (deep)."""

    def __init__(self, k: int, arrangement: str, value: float):
        super().__init__()
        self.arrangement = arrangement
        self.edges = nn.ParameterList([nn.Parameter(torch.full((1, 1), value, dtype=torch.float64))
                                       for _ in range(k)])

    def forward(self, x):  # (n, 1) -> (n, 1)
        return x @ combine(list(self.edges), self.arrangement)


def combine(ws, arrangement):
    """The cell's slope s: the sum of the edges (wide) or their product along the chain (deep)."""
    return sum(ws) if arrangement == "wide" else functools.reduce(torch.matmul, ws)


class Relative(nn.Module):
    """The same cell measured in units of its weights: w_i -> w_i (1 + u_i); parameters u, at 0."""

    def __init__(self, cell: LinearCell):
        super().__init__()
        self.arrangement = cell.arrangement
        self.register_buffer("w", torch.stack([w.detach() for w in cell.edges]))  # (k, 1, 1), fixed
        self.u = nn.ParameterList([nn.Parameter(torch.zeros_like(w)) for w in cell.edges])

    def forward(self, x):
        return x @ combine([w * (1 + u) for w, u in zip(self.w, self.u)], self.arrangement)


k, a, sigma, n, b = 4, 2.0, 0.5, 4096, 64
gen = torch.Generator().manual_seed(0)
x = torch.randn(n, 1, generator=gen, dtype=torch.float64)
t = a * x + sigma * torch.randn(n, 1, generator=gen, dtype=torch.float64)
a_hat = float((x * t).sum() / (x * x).sum())  # the least-squares slope of this sample: the minimum
batches_lin = [(x[i:i + b], t[i:i + b]) for i in range(0, n, b)]
half_mse = lambda out, target: 0.5 * F.mse_loss(out, target)  # noqa: E731  L = ½ mean (f(x) - t)²
lin = {"wide": LinearCell(k, "wide", a_hat / k), "deep": LinearCell(k, "deep", a_hat ** (1 / k))}

# %%
# NBVAL_CHECK_OUTPUT
m2 = float((x * x).mean())  # the sample's E[x²], ≈ 1
print(f"a_hat = {a_hat:.4f}, E[x^2] = {m2:.4f}; slopes at the minimum: "
      + ", ".join(f"{name} {float(combine([w.detach() for w in c.edges], c.arrangement)):.4f}" for name, c in lin.items()))
predicted_abs = {"wide": k * m2, "deep": k * a_hat ** (2 * (k - 1) / k) * m2}
predicted_rel = {"wide": a_hat ** 2 / k * m2, "deep": k * a_hat ** 2 * m2}
lam_rel, lam_plain = {}, {}
for name, cell in lin.items():
    lam_abs = S.hessian_max_eigenvalue(cell, batches_lin, criterion=half_mse, iters=200, tol=1e-10)
    lam_rel[name] = S.hessian_max_eigenvalue(Relative(cell), batches_lin, criterion=half_mse, iters=200, tol=1e-10)
    print(f"{name}: lambda_max in w: {lam_abs.value:.4f} (derived {predicted_abs[name]:.4f});  "
          f"in units of the weights: {lam_rel[name].value:.4f} (derived {predicted_rel[name]:.4f})")
    lam_plain[name] = lam_abs
print(f"ratio deep / wide in units of the weights: {lam_rel['deep'].value / lam_rel['wide'].value:.3f} "
      f"(derived k^2 = {k * k})")
print(f"ratio deep / wide in plain weight units:   {lam_plain['deep'].value / lam_plain['wide'].value:.3f} "
      f"(derived a^(2(k-1)/k) = {a_hat ** (2 * (k - 1) / k):.3f})")
gv_lin = {name: L.gradient_variance(Relative(cell), batches_lin, criterion=half_mse) for name, cell in lin.items()}
gv_plain = {name: L.gradient_variance(cell, batches_lin, criterion=half_mse) for name, cell in lin.items()}
print(f"gradient variance (b = {b}) in units of the weights: wide {gv_lin['wide'].value:.4g}, "
      f"deep {gv_lin['deep'].value:.4g}, ratio {gv_lin['deep'].value / gv_lin['wide'].value:.3f} (derived k^2 = {k * k})")
print(f"gradient variance (b = {b}) in plain weight units:   wide {gv_plain['wide'].value:.4g}, "
      f"deep {gv_plain['deep'].value:.4g}, ratio {gv_plain['deep'].value / gv_plain['wide'].value:.3f} "
      f"(derived {a_hat ** (2 * (k - 1) / k):.3f})")
print("plain-units ratio a^(2(k-1)/k) at k = 4 for other slopes a: "
      + ", ".join(f"a = {a_:g}: {a_ ** (2 * (k - 1) / k):.3f}" for a_ in (0.5, 1.0, 2.0, 4.0)))

# %% [markdown]
# The eigenvalues come from the sample, so $E[x^2]$ and $\hat a$ (the sample's least-squares slope,
# where both cells have their minimum) replace $1$ and $a$; with those the measured values match the
# formulas to the printed digits. In units of the weights both ratios are $k^2 = 16$; in plain
# weight units both are $\hat a^{3/2}$, under 3 at this slope, and below 1 for any slope under 1. Finally the landscape along a
# filter-normalised direction: for a 1 × 1 filter the normalisation keeps only the sign, so a step
# $a = 1$ moves each weight by $\pm$ its own size.

# %%
lines_lin = {name: L.surface_1d(cell, batches_lin, L.random_direction(cell, seed=3), L.grid(-1, 1, 41),
                                criterion=half_mse) for name, cell in lin.items()}
fig = plot.surface_lines(lines_lin, "loss", colors={"wide": "#440154", "deep": "#b5de2b"},
                         title=f"k = {k} linear edges, same parameters: wide against deep")
fig.axes[0].set_ylabel("loss ½ mean (f(x) − t)²")
plt.show()

# %% [markdown]
# The wide cell's slice is a parabola, as derived. The deep cell's is a polynomial of degree $2k = 8$ in
# the step: much steeper near the minimum, not convex (it rises and falls again), and at $a = \pm 1$, where
# one factor $1 - |a|$ of the chain reaches 0, the cell outputs nothing and the loss is that of predicting 0,
# $\tfrac12\,\mathrm{mean}(t^2)$. The mechanism is plain to see: in a chain, a relative change of any
# edge multiplies through every edge after it; in parallel edges it only adds.
#
# Whether it carries over to real cells is an empirical question, and this lesson's measurements
# did not show it. Real cells are not linear, their nodes are joined by ReLUs and batch norms, and
# at our scale the wider trained cells had, if anything, the *larger* gradient variance and
# $\lambda_{\max}$ (section 5, not significant with 14 cells and one seed). The linear model shows
# a mechanism that *can* make deep cells sharper; it is no evidence that it *does* in these networks.
#
# ## Summary
#
# The course's evidence table, for the claims this lesson tests (computed from the saved runs by
# `nascourse.evidence`):

# %%
evidence.show("05");

# %% [markdown]
# * Loss landscapes are drawn along **filter-normalised** random directions (each filter of the
#   direction as large as the weights' filter; biases and batch norm left out), on a fixed subset;
#   without the normalisation, networks of different scales cannot be compared.
# * Say **which objective** a landscape shows: test images in eval mode (running statistics, Li et
#   al.'s convention) or the training loss in train mode (batch statistics, what SGD descends). They
#   differ, and the convergence argument is about the second.
# * **Gradient variance** $\frac1B\sum_j\|g_j-\bar g\|^2$ measures how far a minibatch step strays
#   from the full gradient; it falls like $1/b$, so $b$ is part of the number.
# * **$\lambda_{\max}$** of the Hessian comes from power iteration on Hessian-vector products; report
#   how many products it took and whether it converged.
# * In a linear cell of $k$ edges, the deep arrangement is exactly $k^2$ times sharper and noisier than
#   the wide one at their balanced minima **in units of the weights** (relative steps, as filter
#   normalisation measures); in plain weight units the ratio is $a^{2(k-1)/k}$, under 3 for the
#   slope used here and below 1 (the chain flatter) for $|a| < 1$. Only the wide arrangement is a
#   parabola everywhere (the course's derivation, checked to the printed digits).
# * In trained networks at our scale (14 cells, one network each, seed 0, 12 epochs), the paper's
#   explanation **did not hold**: wider cells did not have smaller gradient variance, $\lambda_{\max}$
#   or loss rise. The correlations pointed the other way (rho = 0.44 for gradient variance, 0.33 for
#   $\lambda_{\max}$), with intervals that include 0, so the opposite is not established either. Only
#   far from the minimum did the deep cell's gradient variance rise faster. Whether the paper's
#   mechanism appears with longer training, more seeds and larger networks is the open question
#   these tools are built to answer.
#
# ## Exercises
#
# Worked solutions: [`solutions/05_landscapes.ipynb`](../solutions/05_landscapes.ipynb).
#
# ### Exercise 1: filter normalisation
#
# Write `my_filter_normalise(direction, weights)`: both are lists of tensors of the same shapes.
# Return a **new** list in which every tensor with more than one dimension has each filter (each slice
# `d[i]` along dim 0) rescaled to the norm of the weights' filter `weights[i]` (add `1e-10` to the
# direction's norm), and every 1-D tensor is zero. Do not change `direction` in place.

# %% tags=["nbval-skip"]
def my_filter_normalise(direction, weights):
    """Li et al.'s filter normalisation with biases and batch-norm parameters ignored."""
    raise NotImplementedError  # your code here


exercises.check_filter_normalise(my_filter_normalise)

# %% [markdown]
# ### Exercise 2: gradient variance from the gradients
#
# Write `my_gradient_variance(grads)`: `grads` is a `(B, P)` tensor whose row $j$ is the gradient
# $g_j$ of minibatch $j$ over all $P$ parameters. Return $\frac1B\sum_j \|g_j - \bar g\|^2$ as a float.
# Then use it on the two tiny networks of section 1: collect the rows with `torch.autograd.grad` over
# `L.trainable(net)`, one per batch of `gv_batches`, in eval mode, and compare with
# `L.gradient_variance`. How does GV change if you use batches of 25 instead of 50, and why?

# %% tags=["nbval-skip"]
def my_gradient_variance(grads):
    """(1/B) Σ_j ||g_j − ḡ||² for grads of shape (B, P)."""
    raise NotImplementedError  # your code here


exercises.check_gradient_variance(my_gradient_variance)
