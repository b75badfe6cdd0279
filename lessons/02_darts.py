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
# # Lesson 02 · The supernet and DARTS
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/02_darts.ipynb)
#
# Runs in about 70 s on 2 CPU cores at the `tiny` preset (69 s in the browser test); roughly 15 minutes on the colab
# preset on a T4 GPU (an estimate). No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# After this lesson you can
#
# 1. write DARTS's **continuous relaxation**: the mixed operation $\bar o(x) = \sum_o \mathrm{softmax}(\alpha)_o\, o(x)$,
#    and say why `none` takes part in the softmax;
# 2. describe the **supernet** (DARTS: Liu et al., ICLR 2019): cells of 14 mixed edges, one $\alpha$ shared by all
#    normal cells and one by all reduction cells, and tell architecture parameters from weights;
# 3. state the **bilevel problem** and its **first-order approximation**, and find the architecture step and the
#    weight step in `nascourse.search`;
# 4. run **first-order DARTS** and read its history: $\alpha$ over the epochs, the derived genotype, its width and
#    depth;
# 5. see **skip connections grow** in a longer run on NAS-Bench-201 (Dong & Yang, ICLR 2020), and relate the growth
#    of $\alpha_\text{skip}$ to the supernet's accuracy, as DARTS-PT (Wang et al., ICLR 2021) does.

# %%
import inspect
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from nascourse import batches, bench, config, data, evidence, exercises, plot, search, stepcheck, steps
from nascourse.bench_analysis import spearman as rank_correlation
from nascourse.genotypes import genotype_from_str
from nascourse.history import SearchResult, make_config
from nascourse.ops import DARTS_OPS, NB201_OPS
from nascourse.supernet import DartsSupernet, MixedOp

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1 · The continuous relaxation
#
# A cell is a small directed acyclic graph; each edge $(i \leftarrow j)$ carries one operation from a list
# $\mathcal{O}$ (8 in the DARTS space: `none`, two poolings, `skip_connect`, two separable and two dilated
# convolutions). Choosing one operation per edge is a discrete problem. DARTS makes it continuous: every edge
# carries **all** operations at once and mixes their outputs with weights that come from a vector of real numbers
# $\alpha^{(i,j)} \in \mathbb{R}^{|\mathcal{O}|}$, the architecture parameters of that edge:
#
# $$\bar o^{(i,j)}(x) = \sum_{o \in \mathcal{O}} p_o\, o(x), \qquad
#   p = \mathrm{softmax}\big(\alpha^{(i,j)}\big), \quad p_o = \frac{\exp \alpha_o}{\sum_{o'} \exp \alpha_{o'}}.$$
#
# The weights $p$ are positive and sum to 1, so the mixed operation is a convex combination of the candidates,
# and it is differentiable in $\alpha$. `none` (the zero operation) **takes part in the softmax**: its output is 0,
# but its weight $p_\text{none}$ takes a share of the mass away from all the others, which scales the edge down.
#
# Here is the mixture written out on a tiny feature map, checked against the library's `supernet.MixedOp`.

# %%
# NBVAL_CHECK_OUTPUT
torch.manual_seed(0)
edge = MixedOp(C=4, stride=1, ops=DARTS_OPS)  # one edge: the 8 candidate operations on 4 channels
x = torch.randn(2, 4, 8, 8)  # (B, C, H, W): a tiny feature map
alpha = torch.tensor([0.5, 0.0, 0.0, 1.0, 0.2, 0.0, -0.5, 0.0])  # one row of alpha, a logit per operation

p = F.softmax(alpha, dim=0)  # (8,) mixing weights, `none` included
outputs = [op(x) for op in edge.ops]  # 8 x (B, C, H, W)
mixed = sum(p_o * out for p_o, out in zip(p, outputs))  # sum_o p_o * o(x): still (B, C, H, W)

assert torch.allclose(mixed, edge(x, p), atol=1e-6)  # the same as MixedOp
print("shape of the mixed output:", tuple(mixed.shape))
for name, p_o in zip(DARTS_OPS, p):
    print(f"  p[{name:13s}] = {p_o:.3f}")

# %% [markdown]
# `MixedOp.forward(x, weights)` takes the mixing weights $p$ (the supernet computes $\mathrm{softmax}(\alpha)$ once for
# all edges) and returns the same tensor as our three lines. Now watch what `none` does: raise $\alpha_\text{none}$
# and the output shrinks, although `none` itself adds nothing.

# %%
scaled = []
for a_none in (-3.0, 0.0, 3.0):
    a = alpha.clone()
    a[DARTS_OPS.index("none")] = a_none
    p_a = F.softmax(a, dim=0)
    with torch.no_grad():
        size = float(edge(x, p_a).abs().mean())
    scaled.append(size / (1 - float(p_a[0])))
    print(f"alpha_none = {a_none:+.0f}: p_none = {p_a[0]:.3f}, mean |output| = {size:.3f}, "
          f"mean |output| / (1 - p_none) = {scaled[-1]:.3f}")
assert np.allclose(scaled, scaled[0], rtol=1e-4)  # the output scales with 1 - p_none

# %% [markdown]
# **What did we see.** The mixed output has the shape of every candidate's output, so mixed edges can be summed
# into nodes exactly like single operations. The weights are a softmax over all 8 operations, `none` included: when
# $p_\text{none}$ grows from 0.006 to 0.702, the edge's output shrinks by exactly the factor $1 - p_\text{none}$
# (the other weights are $\mathrm{softmax}$ over the other operations, times $1 - p_\text{none}$). So `none` only
# rescales an edge, and the batch normalisations further on largely undo such scales: its weight says little about
# the architecture. Liu et al. give this as one reason why DARTS's derivation rule never picks `none`.
#
# ## 2 · The supernet
#
# The **supernet** is a network whose cells are made of mixed edges (Liu et al., section 2):
#
# * a DARTS cell has 2 input nodes ($c_{k-2}$, $c_{k-1}$: the outputs of the two previous cells), 4 intermediate
#   nodes and an output node; every intermediate node sums a mixed edge from **every** earlier node, so a cell has
#   $2 + 3 + 4 + 5 = 14$ edges; the output concatenates the 4 intermediate nodes;
# * cells are stacked (8 in DARTS's search network, C = 16 channels); at one third and two thirds of the depth a
#   **reduction cell** halves the resolution and doubles the channels;
# * all normal cells share one matrix $\alpha_\text{normal}$ (14 × 8), all reduction cells another,
#   $\alpha_\text{reduce}$ (14 × 8): the search looks for **one cell** that is repeated, not for a whole network.
#
# The supernet therefore has two kinds of parameters: the **architecture** $\alpha$ (`arch_parameters()`) and the
# **weights** $w$ of all the candidate operations (`weight_parameters()`). They are trained by different optimisers
# on different data, as the next section shows.

# %%
# NBVAL_CHECK_OUTPUT
supernet = DartsSupernet()  # DARTS's search network: C=16, 8 cells, the 8 operations
n_alpha = sum(a.numel() for a in supernet.arch_parameters())
n_w = sum(w.numel() for w in supernet.weight_parameters())
print("architecture parameters:", [f"{name} {tuple(a.shape)}" for name, a in
                                    zip(("alpha_normal", "alpha_reduce"), supernet.arch_parameters())])
print(f"alpha entries: {n_alpha}    weights: {n_w:,}")
print("cells:", " ".join("R" if cell.reduction else "N" for cell in supernet.cells),
      "  (N = normal, R = reduction)")
print("edges per cell:", len(supernet.cells[0].edges))
print("softmax(alpha) at initialisation, first row:", np.round(supernet.arch_weights()[0][0].tolist(), 3))

# %% [markdown]
# **What did we see.** 224 architecture numbers ($2 \times 14 \times 8$) steer almost two million weights. Every edge
# holds all 8 operations (with their own weights), so the supernet is much larger than any network it contains. $\alpha$
# starts at $10^{-3}\cdot\mathcal{N}(0, 1)$, so every edge starts as a near-uniform mixture, $p_o \approx 1/8 = 0.125$.
#
# ## 3 · The bilevel problem and first-order DARTS
#
# The weights should fit the training data; the architecture should make the trained network good on **held-out**
# data. DARTS writes this as a bilevel problem, with the training set split in two halves, one for $w$
# and one for $\alpha$:
#
# $$\min_\alpha\; \mathcal{L}_\text{val}\big(w^*(\alpha), \alpha\big) \quad \text{subject to} \quad
#   w^*(\alpha) = \arg\min_w \mathcal{L}_\text{train}(w, \alpha).$$
#
# The exact gradient with respect to $\alpha$ needs $\mathrm{d}w^*/\mathrm{d}\alpha$, how the trained weights would
# change if the architecture changed: far too expensive. **First-order DARTS** ignores that dependence and
# alternates two cheap steps on minibatches:
#
# $$\text{architecture step:}\quad \alpha \leftarrow \alpha - \eta_\alpha\, \nabla_\alpha \mathcal{L}_\text{val}(w, \alpha)
#   \quad \text{(Adam, on a validation minibatch)}$$
# $$\text{weight step:}\quad w \leftarrow w - \eta_w\, \nabla_w \mathcal{L}_\text{train}(w, \alpha)
#   \quad \text{(SGD with momentum, on a training minibatch)}$$
#
# i.e. it treats the current $w$ as if it were $w^*(\alpha)$. (Second-order DARTS and iDARTS estimate the missing
# term; that is lesson 03.) In `nascourse.steps` one iteration of `darts1` is `train_step`, which calls the two
# steps in DARTS's order, architecture first:
#
# ```python
# # train_step, method "darts1"
# norm = search_step(supernet, w_opt, a_opt, batch, val_batch, config, lr)  # ARCH STEP on the validation batch
# loss, acc = weight_step(supernet, w_opt, x, y, config)                   # WEIGHT STEP on the training batch
#
# # search_step, method "darts1": the first-order hypergradient grad_alpha L_val(w, alpha), then Adam
# grads = hypergradient(train_loss, val_loss, weights, arch, "first_order", lr=lr, check_finite=False)
# norm = arch_update(a_opt, arch, grads)  # a.grad = g for each alpha, then a_opt.step()
# ```
#
# and the weight step is short enough to print in full:

# %%
print(inspect.getsource(steps.weight_step))

# %% [markdown]
# Two optimisers, two parameter lists: SGD (lr 0.025 with a cosine schedule, momentum 0.9, weight decay $3\cdot10^{-4}$)
# sees only `weight_parameters()`, Adam (lr $3\cdot10^{-4}$, betas (0.5, 0.999), weight decay $10^{-3}$) only
# `arch_parameters()`. Let us take one `train_step` by hand on the tiny preset's supernet and see what moves.

# %%
cfg = make_config("darts1", "darts", preset)
print(cfg)
dataset = data.load_dataset("cifar10")  # CIFAR-10 as uint8 tensors (cached)
train_loader, val_loader = batches.search_split(dataset, cfg.batch_size, cfg.image_size, cfg.search_images, device)
net = search.build_supernet(cfg).to(device)
w_opt = torch.optim.SGD(net.weight_parameters(), lr=cfg.w_lr, momentum=cfg.w_momentum,
                        weight_decay=cfg.w_weight_decay)
a_opt = torch.optim.Adam(net.arch_parameters(), lr=cfg.a_lr, betas=cfg.a_betas, weight_decay=cfg.a_weight_decay)

alpha_before = [a.detach().clone() for a in net.arch_parameters()]
w_before = [w.detach().clone() for w in net.weight_parameters()]
batch, val_batch = next(iter(train_loader)), next(iter(val_loader))
loss, acc, hypergrad_norm = steps.train_step(net, w_opt, a_opt, batch, val_batch, cfg, lr=cfg.w_lr, step=0,
                                             tau=None, sampler=None)
d_alpha = max(float((a.detach() - b).abs().max()) for a, b in zip(net.arch_parameters(), alpha_before))
d_w = max(float((w.detach() - b).abs().max()) for w, b in zip(net.weight_parameters(), w_before))
print(f"training loss {float(loss):.3f}, |grad_alpha L_val| = {hypergrad_norm:.3g}")
print(f"largest change of an alpha entry: {d_alpha:.3g}  (a_lr = {cfg.a_lr:g})")
print(f"largest change of a weight:       {d_w:.3g}")

# %%
# NBVAL_CHECK_OUTPUT
# Adam's first step is lr * g / (|g| + eps), eps = 1e-8: each alpha entry moves by a_lr * sign(g)
moved = torch.cat([(a.detach() - b).abs().flatten() for a, b in zip(net.arch_parameters(), alpha_before)])
assert torch.allclose(moved, torch.full_like(moved, cfg.a_lr), rtol=0.01)
print(f"all {moved.numel()} alpha entries moved by a_lr = {cfg.a_lr:g} (to within 1%)")

# %% [markdown]
# **What did we see.** One iteration changes both $\alpha$ and $w$. Adam's very first step is $\eta_\alpha\,
# \mathrm{sign}(g)$ (its running averages are just $g$ and $g^2$), so every entry of $\alpha$ moves by the learning
# rate, whatever the size of its gradient (only a gradient near Adam's $\epsilon = 10^{-8}$ would move less).
# Afterwards Adam's steps stay of order $\eta_\alpha$ per iteration: $\alpha$ can move at most about
# $\eta_\alpha \times$ (number of steps) in total, and less when its gradients change sign from batch to batch.
# That is why the tiny preset raises the architecture learning rate tenfold ($3\cdot10^{-3}$ instead of DARTS's
# $3\cdot10^{-4}$), and why even so a search of a dozen steps can only nudge $\alpha$.
#
# ## 4 · First-order DARTS on the tiny preset
#
# `search` runs the loop above for `cfg.epochs` epochs and records, after every epoch, $\mathrm{softmax}(\alpha)$,
# the genotype derived from it (DARTS's rule: on each node keep the 2 incoming edges whose strongest non-`none`
# operation is strongest, and on each that operation), its width and depth (lesson 01), losses and accuracies. On the tiny
# preset that is 3 epochs of 4 steps on 16 × 16 images, a 5-cell supernet with C = 4.

# %%
result = search.search(cfg, seed=0, device=device, dataset=dataset)
for h in result.history:
    print(f"epoch {h['epoch']}: train loss {h['train_loss']:.3f}, supernet val acc {h['val_acc']:.3f}, "
          f"width {h['width']:g}c, depth {h['depth']}, skip edges {h['skip_connect']}")

# %% [markdown]
# ### α over the epochs
#
# `plot.alpha_over_epochs` draws the mean of $\mathrm{softmax}(\alpha_\text{normal})$ over the 14 edges, one column
# per epoch; the heatmap of the last epoch shows every edge. White is the uniform weight $1/|O| = 1/8$, red above it
# (favoured), blue below. The colours stretch to the largest distance from $1/8$ in the data, so even tiny
# differences show up as strong colours: read the numbers on the colour bar before reading anything into the colours.

# %%
plot.alpha_over_epochs([h["alpha"][0] for h in result.history], DARTS_OPS,
                       title="tiny DARTS search: mean softmax(α_normal) over edges")
plt.show()

# %%
plot.alpha_heatmap(result.history[-1]["alpha"][0], DARTS_OPS,
                   title=f"softmax(α_normal) after epoch {len(result.history)}")
plt.show()

# %%
final_p = np.array(result.history[-1]["alpha"][0])  # (14, 8)
spread = np.abs(final_p - 1 / len(DARTS_OPS)).max()
print(f"largest distance of a weight from 1/8 after {len(result.history)} epochs: {spread:.4f}")
if preset.name == "tiny":  # the text describes the tiny preset; longer presets move alpha further
    assert spread < 0.02, "at the tiny preset alpha should still be close to uniform"

# %% [markdown]
# **What did we see.** At the tiny preset $\alpha$ barely moves: after 12 architecture steps every weight is still
# within a few thousandths of $1/8 = 0.125$ (the largest distance is printed above; the heatmap's colour bar spans
# the same few thousandths). The genotype is nevertheless well defined (an argmax always picks something), but
# it is decided by differences in the third decimal, largely by noise. This run shows the **mechanics** of DARTS,
# not its outcome; section 5 looks at a longer run.
#
# ### The derived genotype, its width and depth

# %%
plot.width_depth_over_epochs(result.series("width"), result.series("depth"),
                             title="tiny DARTS search: width and depth of the derived normal cell")
plt.show()

# %%
genotype = genotype_from_str(result.genotype)
plot.draw_genotype(genotype, title=f"epoch {len(result.history)}:")
plt.show()

# %% [markdown]
# **What did we see.** Width (c/2 for every edge that reads one of the cell's two inputs, so at most 4c) and depth
# (the number of edges on the longest path from an input to the output) of the normal cell are recorded every epoch; here the cell is whatever the nearly
# uniform $\alpha$ happens to favour, so neither number means much yet. In long DARTS searches the derived cells
# become wide and shallow (Shu, Wang & Cai, ICLR 2020), and parameter-free operations, above all `skip_connect`,
# take over more and more edges. To see that we need more steps than the tiny DARTS space allows on a CPU.

# %% [markdown]
# ### The same search, faster
#
# The supernet above runs every operation of every edge on its own: simple to read, but thousands of small tensor
# operations per step. `search(..., fast=True)` computes the same supernet with `nascourse.fast.FastDartsForward`,
# which does shared work once per node (one ReLU of $h_j$ for all the convolutions reading it, one pooling for all
# edges leaving it), runs each operation on all edges leaving a node as one grouped kernel, and skips `none` (its
# output is exactly 0). Every rearrangement is exact. The cell below repeats the tiny search on the fast path,
# then takes one step of both paths from the state of the hand-made step above (`stepcheck.run_step` works on
# copies), once in float64 and once in float32.

# %%
fast_result = search.search(cfg, seed=0, device=device, dataset=dataset, fast=True)
plain_s, fast_s = sum(result.series("seconds")), sum(fast_result.series("seconds"))
print(f"the tiny search: plain supernet {plain_s:.1f} s, fast forward {fast_s:.1f} s "
      f"({plain_s / fast_s:.1f} times faster)")
step_errors = {}
for dtype in (torch.float64, torch.float32):
    plain_step = stepcheck.run_step(net, w_opt, a_opt, cfg, batch, val_batch, cfg.w_lr, dtype=dtype)
    fast_step = stepcheck.run_step(net, w_opt, a_opt, cfg, batch, val_batch, cfg.w_lr, dtype=dtype, fast=True)
    step_errors[dtype] = e = stepcheck.step_errors(plain_step, fast_step)
    print(f"one step in {str(dtype)[6:]}, fast against plain (relative): loss {e['loss']:.0e}, "
          f"grad_w {e['grad_w']:.0e}, grad_alpha {e['grad_alpha']:.0e}")
gap = max(abs(a - b) for h, g in zip(result.history, fast_result.history)
          for row_a, row_b in zip(h["alpha"][0], g["alpha"][0]) for a, b in zip(row_a, row_b))
print(f"the two float32 searches: softmax(alpha_normal) differs by up to {gap:.1e}; "
      f"same genotype: {fast_result.genotype == result.genotype}")
assert step_errors[torch.float64]["max"] < 1e-10, "in float64 the two paths take the same step"
assert step_errors[torch.float32]["loss"] < 1e-5 and gap < 0.01

# %% [markdown]
# **What did we see.** In float64 the fast path takes the plain path's step to about $10^{-15}$: the same
# mathematics. In float32 the two steps differ by rounding, somewhere between $10^{-7}$ and $10^{-4}$ from one
# run to the next, and most in $\alpha$'s gradient. That gradient is $p_o\,(g_o - \sum_{o'} p_{o'} g_{o'})$ with
# $g_o = \partial\mathcal{L}/\partial p_o$; with $\alpha$ near uniform the $g_o$ of one edge are large and nearly
# equal, so their difference keeps few significant digits, in either path. Adam's first steps then move every
# entry by $\eta_\alpha\,\mathrm{sign}(g)$, so an entry whose gradient is close to 0 can step either way, and the
# weight step that follows sees a slightly different $\alpha$. Over the search the two float32 runs drift apart by
# the amount printed above, enough to change a genotype that is decided in the third decimal.

# %% [markdown]
# ## 5 · The growth of skip connections (NAS-Bench-201)
#
# The NAS-Bench-201 supernet is much cheaper: its cell has 4 nodes and 6 edges, each with 5 operations
# (`none`, `skip_connect`, `nor_conv_1x1`, `nor_conv_3x3`, `avg_pool_3x3`), one $\alpha$ (6 × 5) shared by all cells,
# and the genotype is simply the argmax on every edge, `none` included. On CIFAR-10, first- and
# second-order DARTS famously return the **all-skip cell** (every edge `skip_connect`), which reaches only 54.30 % test
# accuracy once trained, against 94.37 % for the best cell in the space [Dong & Yang, ICLR 2020; DARTS-PT,
# Wang et al., ICLR 2021] (both look-ups are printed below). Those figures are not estimates: NAS-Bench-201 trained every one of its 15,625 cells to the
# end, and `nascourse.bench` holds the results, so the real accuracy of any cell a search returns is a look-up.
# Every NAS-Bench-201 search records it for the cell it derives after each epoch (`bench_cifar10_200`: CIFAR-10
# test accuracy after the benchmark's 200 training epochs; `bench_cifar10_12`: after its short 12-epoch schedule). Their searches run 50-100 epochs on the full 25k/25k split with C = 16 and N = 5 cells per
# stage, hours on a GPU.
#
# The result loaded below is a smaller version, made with the library on a CPU (not a GPU): first-order DARTS on
# NAS-Bench-201 with C = 8 and N = 2 cells per stage, 16 × 16 images, 5000 search images (2500 for $w$, 2500 for
# $\alpha$), DARTS's architecture learning rate $3\cdot10^{-4}$, seed 0. The next cell prints the exact command that
# made it; `search(..., out=folder)` writes `result.json` after every epoch, and `SearchResult.load(folder)` reads it
# back.

# %%
saved = Path("results/nb201-darts1")  # the notebook runs in lessons/
if not saved.exists():
    saved = Path("lessons/results/nb201-darts1")  # or from the repository root
long = SearchResult.load(saved)
c = long.config

# %%
# NBVAL_CHECK_OUTPUT
print("from nascourse.history import make_config\nfrom nascourse.search import search")
print(f'config = make_config("{c.method}", "{c.space}", "tiny", C={c.C}, N={c.N}, search_images={c.search_images}, '
      f'epochs={c.epochs}, a_lr={c.a_lr:g})')
print(f'search(config, seed={long.seed}, device="{long.device}", out="lessons/results/nb201-darts1")')
steps_per_epoch = -(-(c.search_images // 2) // c.batch_size)
print(f"\n{len(long.history)} epochs recorded, {steps_per_epoch} steps each: "
      f"{len(long.history) * steps_per_epoch} architecture steps")

# %%
# NBVAL_CHECK_OUTPUT
epochs = long.series("epoch")
P = np.array([h["alpha"][0] for h in long.history])  # (epochs, 6 edges, 5 ops): softmax(alpha) per epoch
skip, conv1, conv3 = (NB201_OPS.index(o) for o in ("skip_connect", "nor_conv_1x1", "nor_conv_3x3"))
print("epoch  skip edges  p_skip  p_conv3x3  p_conv1x1  supernet val acc  real acc  genotype")
for e, h, p_e in zip(epochs, long.history, P):
    print(f"{e:5d}  {h['skip_connect']:10d}  {p_e[:, skip].mean():.4f}  {p_e[:, conv3].mean():.4f}     "
          f"{p_e[:, conv1].mean():.4f}     {h['val_acc']:.3f}            {h['bench_cifar10_200']:5.2f}%   {h['genotype']}")

# %% [markdown]
# (`p_skip` is $\mathrm{softmax}(\alpha)_\text{skip}$ averaged over the 6 edges, and so on; the genotype is the
# argmax cell of that epoch, and "real acc" its CIFAR-10 test accuracy once trained for 200 epochs, from the
# benchmark.)

# %%
fig, axes = plt.subplots(1, 4, figsize=(16.0, 3.4))
axes[0].plot(epochs, long.series("skip_connect"), "o-", color=plot.op_color("skip_connect"))
axes[0].set(xlabel="epoch", ylabel="skip_connect edges (of 6)", ylim=(-0.3, 6.3),
            title="skip edges in the argmax cell")
for o, name in enumerate(NB201_OPS):
    axes[1].plot(epochs, P[:, :, o].mean(axis=1), lw=2, color=plot.op_color(name), label=name)
axes[1].axhline(1 / len(NB201_OPS), color="k", lw=0.6, ls=":")
axes[1].set(xlabel="epoch", ylabel="mean softmax(α) over edges", title="operation weights")
axes[1].legend(fontsize=7, frameon=False)
axes[2].plot(epochs, long.series("val_acc"), "o-", color="#1f77b4")
axes[2].set(xlabel="epoch", ylabel="accuracy", title="supernet validation accuracy")
axes[3].plot(epochs, long.series("bench_cifar10_200"), "o-", color="#d62728", label="200 epochs")
axes[3].plot(epochs, long.series("bench_cifar10_12"), "s--", color="#ff9896", label="12 epochs")
axes[3].axhline(bench.best("cifar10").cifar10, color="k", lw=0.8, ls=":", label="best cell (200 ep.)")
axes[3].set(xlabel="epoch", ylabel="CIFAR-10 test accuracy (%)", title="real accuracy of the argmax cell")
axes[3].legend(fontsize=7, frameon=False)
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
plot.alpha_over_epochs(P, NB201_OPS, title="NAS-Bench-201, first-order DARTS: mean softmax(α) over edges")
plt.show()

# %%
plot.alpha_heatmap(P[-1], NB201_OPS, title=f"softmax(α) per edge after epoch {epochs[-1]}")
plt.show()  # at two decimals nearly every weight reads 0.20: the colours show the small differences

# %%
fig, axes = plt.subplots(1, 2, figsize=(12.0, 3.4))
plot.draw_nb201_cell(long.history[0]["genotype"], ax=axes[0], title=f"argmax cell after epoch {epochs[0]}")
plot.draw_nb201_cell(long.genotype, ax=axes[1], title=f"argmax cell after epoch {epochs[-1]}")
plt.show()

# %%
# NBVAL_CHECK_OUTPUT
mean_p = P.mean(axis=1)  # (epochs, 5): each operation's weight averaged over the edges
skips = long.series("skip_connect")
print("operation with the largest mean weight, per epoch:", sorted({NB201_OPS[o] for o in mean_p.argmax(axis=1)}))
print(f"mean p_skip: {mean_p[0, skip]:.4f} after epoch {epochs[0]} -> {mean_p[-1, skip]:.4f} after epoch {epochs[-1]}")
print(f"operation that lost the most weight: {NB201_OPS[int(np.argmin(mean_p[-1] - mean_p[0]))]}")
print(f"skip edges in the argmax cell: between {min(skips)} and {max(skips)} of 6 in every epoch")
print(f"largest distance of any weight from 1/5: {np.abs(P - 0.2).max():.4f}")
assert set(mean_p.argmax(axis=1)) == {skip}, "skip should have the largest mean weight in every epoch"
assert mean_p[-1, skip] > mean_p[0, skip], "the skip weight should end higher than it started"
assert 2 <= min(skips) and max(skips) <= 4, "skip should hold 2 to 4 edges of the argmax cell throughout"
assert np.abs(P - 0.2).max() < 0.01, "the weights should stay within 0.01 of uniform"
assert NB201_OPS[int(np.argmin(mean_p[-1] - mean_p[0]))] == "avg_pool_3x3", "average pooling should lose most"

# %%
# NBVAL_CHECK_OUTPUT
real = np.array(long.series("bench_cifar10_200"))
all_skip, top = bench.lookup(["skip_connect"] * 6), bench.best("cifar10")
print(f"real accuracy of the argmax cell: {real.min():.2f}% to {real.max():.2f}% over the epochs, "
      f"{real[-1]:.2f}% after the last (rank {bench.rank(long.genotype):,} of {bench.N_CELLS:,} cells, "
      f"better than {bench.percentile(long.genotype):.0f}% of them)")
print(f"for comparison: all-skip cell {all_skip.cifar10:.2f}%, best cell {top.cifar10:.2f}% ({top.string}), "
      f"median cell {np.median(bench.table()['cifar10']):.2f}%")
print(f"rank correlation over the epochs of the supernet's accuracy with the cell's real accuracy: "
      f"{rank_correlation(np.array(long.series('val_acc')), real):.2f}")
assert real.min() > all_skip.cifar10 + 30 and real.max() < top.cifar10, "far from all-skip, short of the best"

# %% [markdown]
# **What did we see.** `skip_connect` is the operation with the largest mean weight in every epoch, and its weight
# ends higher than it started; the argmax cell has skip on about half of its edges (2 to 4 of 6) from the first epoch
# on. But this run does **not** show the full collapse: the number of skip edges does not grow over the epochs, and
# the cell never becomes all-skip. Note also how small the differences are: every weight stays within 0.0060 of $1/5$,
# so the argmax is decided in the third decimal. With $\eta_\alpha = 3\cdot10^{-4}$, Adam moves each $\alpha$ entry
# by at most about $3\cdot10^{-4}$ per step, and a few hundred steps are not many. (Even at full scale $\alpha$ stays
# close to uniform with this learning rate: the official iDARTS run on NAS-Bench-201 ends with row maxima of
# 0.22–0.25 after 30 epochs [iDARTS's released NAS-Bench-201 log, Zhang et al., ICML 2021].) The operation that loses most weight is the parameter-free average pooling, not the
# convolutions.
#
# The benchmark adds what the weights cannot say: how good the derived cells really are. None of them is close to
# the all-skip cell's 54.30 %: with 2 to 4 skip edges and at least one convolution on the path to the output, they
# reach 88.51 % to 93.72 % once trained. After the last epoch the cell reaches 89.78 %, below the benchmark's median
# cell (90.74 %); the best cell this run passed through (93.72 %, after epoch 5) was lost again. And the real accuracy
# does not follow the supernet's: their rank correlation over the epochs is about zero (−0.11). A better supernet
# does not mean a better argmax cell, which is the gap between the supernet's view and the trained network's that
# the following lessons measure.
#
# ### Is α_skip growing *because* the supernet gets better?
#
# DARTS-PT (Wang et al., ICLR 2021) explain the skip takeover without blaming the optimiser. On an edge
# with a skip connection and a convolution whose outputs both estimate the same ideal feature map $m^*$, the mixing
# weights that minimise the error put weight on skip in proportion to the **convolution's** error, and on the
# convolution in proportion to the **input's** error. As the supernet trains, its features get closer to $m^*$, the
# input $x$ becomes a good estimate by itself, and the optimal $\alpha_\text{skip}$ grows. Their Figure 3 (on a space
# whose edges hold only skip and a 3 × 3 separable convolution) plots
# $\mathrm{mean}(\mathrm{softmax}\,\alpha_\text{skip} - \mathrm{softmax}\,\alpha_\text{conv})$ over edges against the
# supernet's validation accuracy, epoch by epoch: it rises with accuracy. Here is the same plot for our run, with
# `nor_conv_3x3` as the convolution, next to $\mathrm{softmax}\,\alpha_\text{skip}$ alone.

# %%
gap = P[:, :, skip].mean(axis=1) - P[:, :, conv3].mean(axis=1)  # mean over edges of p_skip - p_conv3x3
val_acc = np.array(long.series("val_acc"))
fig, axes = plt.subplots(1, 2, figsize=(11.5, 3.8), layout="constrained")
for ax, y, label in ((axes[0], gap, "mean(softmax α_skip − softmax α_conv3x3)"),
                     (axes[1], mean_p[:, skip], "mean softmax α_skip")):
    points = ax.scatter(val_acc, y, c=epochs, cmap="viridis", s=30, zorder=3)
    ax.plot(val_acc, y, color="#bbbbbb", lw=0.8, zorder=2)
    ax.set(xlabel="supernet validation accuracy", ylabel=label)
    ax.grid(alpha=0.3)
fig.colorbar(points, ax=axes, label="epoch")
axes[0].set_title("DARTS-PT Figure 3, NAS-Bench-201 run", fontsize=10)
axes[1].set_title("the skip weight alone", fontsize=10)
plt.show()


# %%
# NBVAL_CHECK_OUTPUT
def spearman(a, b):
    """Rank correlation of two 1-D arrays (ties get the order of appearance)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


rho_gap, rho_skip = spearman(val_acc, gap), spearman(val_acc, mean_p[:, skip])
peak = int(np.argmax(gap))
print(f"supernet val acc: {val_acc[0]:.3f} -> {val_acc[-1]:.3f}")
print(f"p_skip - p_conv3x3: {gap[0]:+.4f} after epoch {epochs[0]}, largest {gap[peak]:+.4f} after epoch "
      f"{epochs[peak]}, {gap[-1]:+.4f} after epoch {epochs[-1]}")
print(f"rank correlation with val acc over the epochs: p_skip - p_conv3x3 {rho_gap:.2f}, p_skip {rho_skip:.2f}")
assert (gap > 0).all(), "skip should lead conv3x3 in every epoch"
assert rho_skip > 0.5, "p_skip should rise with the supernet's accuracy"
assert abs(rho_gap) < 0.3 and gap[-1] < gap[peak] / 2, "the gap should not follow the accuracy in this run"
assert 0 < peak < len(gap) - 1 and mean_p[-1, conv3] > mean_p[peak, conv3], "conv3x3 should catch up late"

# %% [markdown]
# **What did we see.** Half of DARTS-PT's picture. The skip weight rises with the supernet's accuracy (a rank
# correlation well above 0.5), and skip leads the 3 × 3 convolution in every epoch. But the *gap* between them does
# not follow the accuracy here: it widens over the first half of the run and then shrinks again, because
# `nor_conv_3x3` also gains weight late in the search (while average pooling and `none` lose it). With five
# operations per edge, every operation competes with four others, not only with skip as in DARTS-PT's two-operation
# space. This is one seed of a small supernet on 16 × 16 images, searched far shorter than in the papers, with
# differences in the third decimal: it shows the direction of the skip effect (skip favoured from the start, and more
# so as the supernet gets better), not its full strength.
#
# ### The same quantities, live
#
# A short run of the same search on the NAS-Bench-201 supernet of the preset (on the tiny preset: C = 8, one cell per
# stage; 2048 search images, 4 epochs of 16 steps), with the tiny preset's larger $\eta_\alpha = 3\cdot10^{-3}$. The
# text describes this tiny run; on the colab preset the supernet is the full-size one and the figures will differ.

# %%
live_images = 2048 if preset.name == "tiny" else preset.search_images
live_cfg = make_config("darts1", "nb201", preset, epochs=4, search_images=live_images)
live = search.search(live_cfg, seed=0, device=device, dataset=dataset)
P_live = np.array([h["alpha"][0] for h in live.history])  # (epochs, 6, 5)
gap_live = P_live[:, :, skip].mean(axis=1) - P_live[:, :, conv3].mean(axis=1)
for h, p_e, g_e in zip(live.history, P_live, gap_live):
    print(f"epoch {h['epoch']}: skip edges {h['skip_connect']}, p_skip {p_e[:, skip].mean():.3f}, "
          f"p_conv3x3 {p_e[:, conv3].mean():.3f}, gap {g_e:+.4f}, val acc {h['val_acc']:.3f}, "
          f"real acc of the cell {h['bench_cifar10_200']:.2f}%  {h['genotype']}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.4))
live_epochs = live.series("epoch")
for o, name in enumerate(NB201_OPS):
    axes[0].plot(live_epochs, P_live[:, :, o].mean(axis=1), "o-", ms=3, lw=2, color=plot.op_color(name), label=name)
axes[0].set(xlabel="epoch", ylabel="mean softmax(α) over edges", title="live run: operation weights",
            xticks=live_epochs)
axes[0].legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
points = axes[1].scatter(live.series("val_acc"), gap_live, c=live_epochs, cmap="viridis", s=30, zorder=3)
fig.colorbar(points, ax=axes[1], label="epoch", ticks=live_epochs)
axes[1].set(xlabel="supernet validation accuracy", ylabel="mean(p_skip − p_conv3x3)", title="live run: DARTS-PT Fig. 3")
for ax in axes:
    ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %%
rho_live = spearman(live.series("val_acc"), gap_live)
print(f"rank correlation of p_skip - p_conv3x3 with val acc over the epochs: {rho_live:.2f}")
last = P_live[-1].mean(axis=0)  # (5,): mean weight of each operation after the last epoch
order = [NB201_OPS[o] for o in np.argsort(-last)]
print(f"after the last epoch, operations by mean weight: {', '.join(order)}")
print(f"the gap p_skip - p_conv3x3 {'widened' if gap_live[-1] > gap_live[0] else 'did not widen'} "
      f"from epoch 1 ({gap_live[0]:+.4f}) to epoch {len(gap_live)} ({gap_live[-1]:+.4f})")
print(f"skip edges in the argmax cell, per epoch: {live.series('skip_connect')}")
print(f"largest distance of a mean weight from 1/5: {np.abs(P_live.mean(axis=1) - 0.2).max():.4f}")
# what the text below states for every preset: the supernet learns, and alpha is still near uniform
assert live.history[-1]["val_acc"] > live.history[0]["val_acc"], "the supernet learns"
assert np.abs(P_live.mean(axis=1) - 0.2).max() < 0.02, "the mean weights stay within 0.02 of uniform"

# %% [markdown]
# **What did we see.** In 64 steps on a one-cell-per-stage supernet the supernet learns (its validation accuracy
# rises), while every mean weight stays within a few thousandths of $1/5$ (printed above): too close to uniform for
# the argmax cell to say much.
# The lines printed above give this run's order of the operations, the gap between skip and the 3 × 3 convolution,
# the skip edges of the argmax cell and its real accuracy; compare them with the saved run. Runs this small are noisy: a different
# seed, data size, or even the number of CPU threads (which changes the order of floating-point sums) can order the
# operations differently. To see whether the relation of DARTS-PT's Figure 3 holds, look at a longer run, not at
# four tiny epochs.
#
# ## Summary
#
# What this lesson's claims came to at the course's scales, over the saved runs' seeds, from the course's evidence
# table (`nascourse.evidence`, computed from `lessons/results/`; the README has the whole table):

# %%
evidence.show("02")

# %% [markdown]
# * DARTS relaxes the choice of an operation into a mixture $\sum_o \mathrm{softmax}(\alpha)_o\, o(x)$; `none` is
#   part of the softmax and scales the edge down.
# * The supernet holds every operation on every edge; $\alpha_\text{normal}$ and $\alpha_\text{reduce}$ (224 numbers)
#   are shared by all cells of their type and steer 1,930,618 weights (DARTS's search network).
# * The bilevel problem $\min_\alpha \mathcal{L}_\text{val}(w^*(\alpha), \alpha)$ is approximated by alternating an
#   Adam step on $\alpha$ with $\nabla_\alpha \mathcal{L}_\text{val}(w, \alpha)$ (first order: $w$ treated as
#   optimal) and an SGD step on $w$ with $\nabla_w \mathcal{L}_\text{train}$.
# * The search's history (softmax(α), the derived genotype, width and depth per epoch) is data: a tiny run shows
#   the mechanics, a saved longer run the behaviour. With DARTS's learning rate α moves slowly, and the argmax cell
#   is decided by small margins long before the weights look decisive.
# * On NAS-Bench-201, first-order DARTS gave skip connections the largest mean weight in every epoch of the saved
#   run, the direction of DARTS-PT's argument: α rewards the operation that best *passes on* a good feature map,
#   which is not the operation that would be best in the final, discrete network. Over seeds (the table above) the
#   growth of skip is weak at these scales: a tilt of the weights in the third decimal that one search's epochs
#   show more clearly than the seeds do, and none of our runs reached the all-skip collapse of the papers'
#   full-length searches.
# * Lesson 03 estimates the hypergradient term that first-order DARTS drops. DARTS-PT's own remedy is to choose each
#   edge's operation by how much removing it hurts the supernet, not by the size of α.
#
# ## Exercises
#
# Worked solutions: [`solutions/02_darts.ipynb`](../solutions/02_darts.ipynb).
#
# **Exercise 1 (mixed operation).** Write `mixed(x, alpha, ops)`: `x` is a feature map (B, C, H, W), `alpha` the
# architecture logits of one edge (|O|,), `ops` the list of operation modules of that edge (as `edge.ops` above,
# in the order of `alpha`). Return $\sum_o \mathrm{softmax}(\alpha)_o\, \mathtt{ops}[o](x)$. The checker compares it
# with `MixedOp` on DARTS edges at stride 1 and 2 and on a NAS-Bench-201 edge.

# %% tags=["nbval-skip"]
def mixed(x, alpha, ops):
    raise NotImplementedError  # your code here


exercises.check_mixed_op(mixed);

# %% [markdown]
# **Exercise 2 (the first-order architecture gradient).** Write `arch_gradient(supernet, train_batch, val_batch)`
# that returns $\nabla_\alpha \mathcal{L}_\text{val}(w, \alpha)$, one tensor per tensor of
# `supernet.arch_parameters()`, the gradient that first-order DARTS gives Adam. Each batch is a pair `(x, y)`; the loss
# is the mean cross-entropy. Do not change the supernet's weights or $\alpha$. (Which of the two batches do you need?)

# %% tags=["nbval-skip"]
def arch_gradient(supernet, train_batch, val_batch):
    raise NotImplementedError  # your code here


exercises.check_arch_gradient(arch_gradient);

# %% [markdown]
# **Exercise 3 (why does skip win?).** In section 5, `skip_connect` gained weight on NAS-Bench-201 while the supernet
# got better, although the all-skip cell is one of the worst cells in the space (54.30 % test accuracy once trained).
# Using DARTS-PT's argument (an edge with a skip connection and a convolution, whose outputs both estimate the same
# feature map $m^*$), explain why minimising the validation loss of the *supernet* favours skip more and more as the
# supernet trains. Then say why this does not make skip the best choice for the *discrete* network, and what that
# implies for reading an architecture off $\alpha$ by its largest entry. (Hint: the variance of a convex combination
# of two estimates of $m^*$ with independent errors is smallest when each weight is proportional to the *other*
# estimate's error variance.)
