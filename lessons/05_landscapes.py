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
# # Lesson 05: smooth landscapes and accurate gradients
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/05_landscapes.ipynb)
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
# 5. derive, for a small linear model, why a deep arrangement of the same parameters is sharper and
#    noisier than a wide one, and check the derivation numerically.

# %%
import functools
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from nascourse import bench_analysis, config, data, exercises, plot
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
    print(f"{name}: final test loss {result.history[-1]['test_loss']:.3f}, "
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
print("  filter norms of the weights  :", np.round(params[conv].detach().flatten(1).norm(dim=1)[:4].tolist(), 4))
print("  filter norms of the direction:", np.round(direction[conv].flatten(1).norm(dim=1)[:4].tolist(), 4))
print("1-D parameters with a zero direction:", sum(p.dim() == 1 and not d.any() for p, d in zip(params, direction)),
      "of", sum(p.dim() == 1 for p in params))

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
# And over a plane, with the same contour levels for both cells so that the areas compare:

# %%
grid2 = L.grid(-0.5, 0.5, 7)
planes = {name: L.surface_2d(n, test, L.random_direction(n, seed=0), L.random_direction(n, seed=1), grid2, grid2)
          for name, n in nets.items()}
levels = np.round(np.linspace(min(np.min(p.loss) for p in planes.values()), 4.0, 9), 2)
fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2))
for ax, (name, s) in zip(axes, planes.items()):
    plot.contour(s, levels=levels, ax=ax, title=f"{name}: test loss, 7 x 7 grid")
plt.show()
print(f"seconds per grid point: {planes['wide'].seconds / 49:.2f} ({images} images)")

# %% [markdown]
# ### What did we see
#
# Both cells sit in one smooth, bowl-shaped basin, and both are barely trained (test loss 1.74 and
# 1.75, about 35 % accuracy). Along the direction the loss stays within 0.1 of the minimum for
# $|a| \le 0.1$ and doubles between $|a| = 0.3$ and $0.4$ in both cells. If anything the deep cell c1 is the
# flatter one: at $a = +0.3$ its loss is 2.27 against 3.66 for the wide cell, and its low-loss region
# in the plane is about as large. At this scale and this budget, the picture the paper draws (a
# wide, smooth basin for the wide cell, a narrow, irregular one for the deep cell) does not appear.
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
# the number of parameters, which is the same for our two cells. Eval mode again, so that the samples
# of a batch do not interact through batch statistics.

# %%
# NBVAL_CHECK_OUTPUT
gv_batches = L.fixed_batches(cifar, images=images, batch_size=50, image_size=train_config.image_size, device=device)
gv = {name: L.gradient_variance(n, gv_batches) for name, n in nets.items()}
for name, v in gv.items():
    print(f"{name}: GV = {v.value:.4g} with b = {v.batch_size}, B = {v.batches}; ||full gradient|| = "
          f"{v.gradient_norm:.4g}; {v.parameters:,} parameters")

# %% [markdown]
# Around the minimum, along the first direction of the contours:

# %%
gv_line = {name: L.gradient_variance_grid(n, gv_batches, [L.random_direction(n, seed=0)], L.grid(-0.3, 0.3, 5))
           for name, n in nets.items()}
fig, ax = plt.subplots(figsize=(5.5, 3.5))
for name, s in gv_line.items():
    ax.plot(s.xs, s.loss, "o-", color=colors[name], label=name)
ax.set(xlabel="step a along the direction", ylabel=f"gradient variance (b = {gv['wide'].batch_size})", yscale="log")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

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
# weights with more than one dimension (convolutions and the classifier).

# %%
# NBVAL_CHECK_OUTPUT
hess_batches = test[:1]  # the first 250 test images
sharp = {name: S.hessian_max_eigenvalue(n, hess_batches, iters=20) for name, n in nets.items()}
for name, e in sharp.items():
    print(f"{name}: lambda_max = {e.value:.4g} after {e.iterations} products, converged: {e.converged}")

# %% [markdown]
# ### What did we see
#
# * **Gradient variance**: wide 12.3, c1 15.1 (b = 50 over 10 batches): the wide cell's minibatch
#   gradients are 18 % less noisy, the direction Shu et al. describe.
# * **Sharpness**: wide 175, c1 141; both estimates converged within 7 products. The wide cell is the
#   sharper one, against the smoothness story.
# * One seed, three epochs of training, 500 and 250 test images: a single comparison of two
#   networks can come out either way. The saved family below compares 14 cells.
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
levels = np.round(np.linspace(min(np.min(s.loss) for s in big.values()), 4.0, 9), 2)
fig, axes = plt.subplots(1, 2, figsize=(9.5, 4.2))
for ax, (name, s) in zip(axes, big.items()):
    w, d = widths[name]
    plot.contour(s, levels=levels, ax=ax, title=f"{name} ({w:.1f}c, depth {d}): test loss, 21 x 21")
plt.show()
for name, s in big.items():
    z = np.array(s.loss)
    print(f"{name}: minimum {z.min():.2f}; share of the grid below a loss of 2.0: {100 * (z < 2.0).mean():.0f} %")

# %%
gv_big = {name: L.Surface.from_dict(measured[name]["gradient_variance_2d"]) for name in ("wide", "c1")}
zlim = (min(np.log10(np.min(s.loss)) for s in gv_big.values()), max(np.log10(np.max(s.loss)) for s in gv_big.values()))
fig = plt.figure(figsize=(10.0, 4.0))
for k, (name, s) in enumerate(gv_big.items()):
    ax = fig.add_subplot(1, 2, k + 1, projection="3d")
    plot.variance_surface(s, ax=ax, zlim=zlim, log=True, title=f"{name}: gradient variance (b = 100), 9 x 9")
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
columns = {"width": [widths[n][0] for n in order], "depth": [widths[n][1] for n in order]}
measures = {"rise at ±0.2": [rise(measured[n]) for n in order],
            "GV": [measured[n]["gradient_variance"]["value"] for n in order],
            "lambda_max": [measured[n]["hessian"]["value"] for n in order],
            "test loss": [measured[n]["loss"] for n in order]}
print(f"\nSpearman rho over the {len(order)} cells:")
for shape_name, shape_values in columns.items():
    print(f"  {shape_name:5s} vs " + ", ".join(
        f"{m} {bench_analysis.spearman(np.array(shape_values), np.array(v)):+.2f}" for m, v in measures.items()))

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
# * **Across the 14 cells**, the wider the cell, the *larger* its gradient variance (Spearman's
#   $\rho = +0.44$), $\lambda_{\max}$ ($+0.33$) and rise of the loss along a filter-normalised
#   direction ($+0.22$); depth goes the other way ($-0.39$, $-0.30$, $-0.11$). The cells that
#   converged fastest in lesson 04 are not the ones with the smoothest landscape or the least
#   noisy gradients at their minimum. **At this scale (one seed, 14 cells, 12 epochs), the paper's
#   explanation did not hold**, although its observation (lesson 04) did.
# * Two cautions. $\lambda_{\max}$ and GV are measured in the weights' own units; with batch
#   normalisation, scaling a filter leaves the function unchanged but divides the gradient by the
#   scale and the curvature by its square, and the cells end training with different weight norms.
#   The filter-normalised rise does not have that problem and points the same way, but weakly.
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
# their own size; the wide arrangement is a parabola everywhere. Now check it with the library, on
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
lam_rel = {}
for name, cell in lin.items():
    lam_abs = S.hessian_max_eigenvalue(cell, batches_lin, criterion=half_mse, iters=200, tol=1e-10)
    lam_rel[name] = S.hessian_max_eigenvalue(Relative(cell), batches_lin, criterion=half_mse, iters=200, tol=1e-10)
    print(f"{name}: lambda_max in w: {lam_abs.value:.4f} (derived {predicted_abs[name]:.4f});  "
          f"in units of the weights: {lam_rel[name].value:.4f} (derived {predicted_rel[name]:.4f})")
print(f"ratio deep / wide in units of the weights: {lam_rel['deep'].value / lam_rel['wide'].value:.3f} "
      f"(derived k^2 = {k * k})")
gv_lin = {name: L.gradient_variance(Relative(cell), batches_lin, criterion=half_mse) for name, cell in lin.items()}
print(f"gradient variance (b = {b}): wide {gv_lin['wide'].value:.4g}, deep {gv_lin['deep'].value:.4g}, "
      f"ratio {gv_lin['deep'].value / gv_lin['wide'].value:.3f} (derived k^2 = {k * k})")

# %% [markdown]
# The eigenvalues come from the sample, so $E[x^2]$ and $\hat a$ (the sample's least-squares slope,
# where both cells have their minimum) replace $1$ and $a$; with those the measured values match the
# formulas to the printed digits, and the two ratios are $k^2 = 16$. Finally the landscape along a
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
# $\tfrac12\,\mathrm{mean}(t^2)$. Real cells are not
# linear and their nodes are joined by ReLUs and batch norms, but the mechanism carries over: in a chain,
# a relative change of any edge multiplies through every edge after it; in parallel edges it only adds.
#
# ## Summary
#
# * Loss landscapes are drawn along **filter-normalised** random directions (each filter of the
#   direction as large as the weights' filter; biases and batch norm left out), evaluated in eval mode
#   on a fixed subset; without the normalisation, networks of different scales cannot be compared.
# * **Gradient variance** $\frac1B\sum_j\|g_j-\bar g\|^2$ measures how far a minibatch step strays
#   from the full gradient; it falls like $1/b$, so $b$ is part of the number.
# * **$\lambda_{\max}$** of the Hessian comes from power iteration on Hessian-vector products; report
#   how many products it took and whether it converged.
# * In a linear cell of $k$ edges, the deep arrangement is exactly $k^2$ times sharper and noisier than
#   the wide one at their balanced minima, measured in units of the weights, and only the wide one
#   is a parabola everywhere (the course's derivation, checked to the printed digits).
# * In trained networks at our scale, the measurements did **not** side with the wide cells: across
#   14 cells, width went with larger gradient variance ($+0.44$) and sharpness ($+0.33$). Only far
#   from the minimum did the deep cell's gradient variance rise faster. Whether the paper's
#   mechanism appears with longer training and larger networks is the open question these tools
#   are built to answer.
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
