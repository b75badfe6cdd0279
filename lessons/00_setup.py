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
# # Lesson 00 · Setup and tour
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/00_setup.ipynb)
#
# Runs in 26 s in JupyterLab on 2 CPU cores at the `tiny` preset; the `colab` preset is sized for about 10 minutes on a Colab T4 GPU. No GPU needed.

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
# 1. say what a neural architecture search (NAS) searches for: a **cell**, written down as a
#    **genotype**, that is stacked to build a network; and what **weight sharing** in one
#    **supernet** buys;
# 2. state the question this course is built around, the three-step explanation it tests, and
#    which lesson tests which step;
# 3. choose a **preset** (`tiny`, `colab`, `paper`) and a **device**, and seed a run so that it
#    repeats;
# 4. load CIFAR-10, look at its images, and describe the batches a search sees: augmented on the
#    device, with the training set split in half between the weights $w$ and the architecture $\alpha$;
# 5. run a one-minute DARTS search, draw the cell it returns, and say why, at this size, that
#    cell is close to random.
#
# Everything runs through the `nascourse` library. Each call below is one you can open and read.

# %%
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch

from nascourse import batches, config, data, plot
from nascourse.genotypes import DARTS_V2, cell_width_depth, genotype_from_str
from nascourse.history import make_config
from nascourse.search import build_supernet, search

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1. What does NAS search for?
#
# For a decade the best image classifiers were designed by hand: VGG stacks 3×3 convolutions,
# ResNet adds skip connections, DenseNet concatenates every earlier feature map. Each design is a
# few good ideas that people found by trial and error. **Neural architecture search** hands that
# trial and error to an algorithm: define a space of possible architectures, then search it for
# the one that classifies best. NASNet (Zoph et al., 2018) and AmoebaNet (Real et al., 2019) did
# this with reinforcement learning and evolution, and matched the best hand-designed networks on
# CIFAR-10 and ImageNet, at a cost of thousands of GPU-days.
#
# **Cells.** Searching a whole network is hopeless, so these methods search a small building
# block, a **cell**, and build the network by stacking copies of it. A DARTS cell
# (Liu et al., ICLR 2019) is a small directed acyclic graph:
#
# * two input nodes, $c_{k-2}$ and $c_{k-1}$: the outputs of the two previous cells;
# * four intermediate nodes; each one applies an operation to each of **two** earlier nodes and
#   sums the results;
# * an output node $c_k$ that concatenates the four intermediate nodes.
#
# The operations come from a fixed list of 8 (3×3 and 5×5 separable and dilated convolutions,
# 3×3 max and average pooling, the identity `skip_connect`, and `none`). A search returns two
# cells, a **normal** cell that keeps the image size and a **reduction** cell that halves it, as
# a **genotype**: for each intermediate node, which two earlier nodes it reads and which
# operation it applies to each. Here is the genotype DARTS published:

# %%
print("normal:", DARTS_V2.normal)
print("reduce:", DARTS_V2.reduce)
plot.draw_genotype(DARTS_V2, title="DARTS (V2)")
plt.show()

# %% [markdown]
# Read the drawing left to right: the inputs sit on the left, and each node sits at its
# **depth**, the number of operations on the longest path from an input to it. Two numbers
# describe the shape of a cell (Shu, Wang & Cai, ICLR 2020, "Understanding architectures learnt
# by cell-based neural architecture search"):
#
# * **depth**: the longest path from an input to the output $c_k$, counting the last step into
#   $c_k$;
# * **width**: how much of the cell reads the inputs directly; each node adds $c$ (the node's
#   channel count) times the fraction of its two edges that start at an input node.

# %%
# NBVAL_CHECK_OUTPUT
for name, cell, concat in (("normal", DARTS_V2.normal, DARTS_V2.normal_concat),
                           ("reduce", DARTS_V2.reduce, DARTS_V2.reduce_concat)):
    width, depth = cell_width_depth(cell, concat)
    print(f"DARTS (V2) {name} cell: width {width:g}c, depth {depth}")

# %% [markdown]
# **What did we see.** Three of the four nodes of DARTS's normal cell read only the two inputs;
# the cell is 3.5c wide (of at most 4c) and only 3 deep (of at most 5). The longest chain of
# operations through it is two convolutions long.
#
# **How big is the space?** Node $i$ ($i = 2, \dots, 5$) picks 2 of its $i$ predecessors and one
# of 7 operations for each edge (`none` is never picked), so there are
# $\prod_{i=2}^{5} \binom{i}{2} \cdot 7^8$ normal cells, and as many reduction cells.
# The NAS-Bench-201 space (Dong & Yang, ICLR 2020), which this course also uses, is small
# enough to list: one cell of 4 nodes and 6 edges, 5 operations per edge.

# %%
# NBVAL_CHECK_OUTPUT
darts_cells = math.prod(math.comb(i, 2) for i in range(2, 6)) * 7**8
print(f"DARTS space: {darts_cells:.3g} normal cells, {darts_cells**2:.3g} (normal, reduction) pairs")
print(f"NAS-Bench-201 space: {5**6:,} cells")

# %% [markdown]
# **Weight sharing.** Training each of $10^{18}$ candidates to compare them is out of the
# question. DARTS puts **all candidates in one network**, the **supernet**: every edge of the cell
# (every earlier node → every later node, 14 edges) carries all 8 operations at once, mixed with
# weights that come from architecture parameters $\alpha$:
#
# $$\bar o^{(i,j)}(x) = \sum_{o} \frac{\exp \alpha^{(i,j)}_o}{\sum_{o'} \exp \alpha^{(i,j)}_{o'}}\, o(x).$$
#
# Every candidate cell is a sub-graph of the supernet and uses its weights $w$: training the
# supernet once trains them all a little. Because the mixture is differentiable, $\alpha$ gets a
# gradient like any weight. DARTS solves the **bilevel** problem
#
# $$\min_\alpha \; L_\text{val}\big(w^*(\alpha), \alpha\big) \quad\text{subject to}\quad
#   w^*(\alpha) = \arg\min_w L_\text{train}(w, \alpha),$$
#
# by alternating a gradient step on $\alpha$ (validation loss) with an SGD step on $w$ (training
# loss). At the end each node keeps its two strongest edges and each edge its strongest
# operation: that is the genotype.
#
# **The question of this course.** The cells that NAS methods published (NASNet's, AmoebaNet's,
# ENAS's, DARTS's, SNAS's) are **wide and shallow**, most of them at or near the widest, shallowest
# shape their spaces allow, like the one above (Shu, Wang & Cai, ICLR 2020; lessons 01 and 04
# measure them). Shu et al. explain this in
# three steps:
#
# 1. **A weight-sharing supernet ranks cells like a short training run.** Its shared weights are
#    trained only a little, so a cell's score in the supernet says how well the cell does early in
#    training.
# 2. **A short training run favours cells that converge fast**, whether or not they end up best.
# 3. **Wide and shallow cells converge fast**: their loss landscapes are smoother and their gradients
#    less noisy.
#
# If that is right, a search rewards fast convergence, and the cells it returns need not be the ones
# that are best after a full training. The course asks: *why do NAS algorithms favour wide and
# shallow cells, and what does that cost?* Each lesson tests a piece of the argument:
#
# | lesson | what it does | what it tests |
# |---|---|---|
# | 00 setup and tour (this one) | presets and devices, CIFAR-10, a one-minute search | |
# | 01 cells and search spaces | operations, genotypes, width and depth, the NAS-Bench-201 cell | the observation, on the published cells |
# | 02 the supernet and DARTS | mixed operations, the supernet, the alternating search loop, α over a search | how far the supernet's judgement follows the real accuracy of the cell it derives (step 1, in part) |
# | 03 hypergradients | first order, unrolled and implicit (iDARTS) gradients of $L_\text{val}$ with respect to α | the search's own machinery |
# | 04 wide and shallow cells | NAS-Bench-201 after 12 and 200 epochs; DARTS_V2 rewired and trained; the cells seven searches return | steps 2 and 3, the cost in final accuracy, and whether searches at this scale return wide cells |
# | 05 landscapes | loss surfaces, gradient variance and sharpness of a wide and a deep cell | step 3's reason |
# | 06 selection | α's magnitude against each operation's contribution to the supernet | a cost: the cell derived from α |
# | 07 flat architectures | neighbourhood scores, NA-RS, NA-DARTS, the α Hessian's growth | a cost, and an alternative criterion |
# | 08 what the preference costs | three kinds of supernet ranking hundreds of NAS-Bench-201 cells; every selector in one table | step 1 over many cells, whom a supernet favours, and the cost in accuracy and rank |
#
# Lesson 08 closes the course with step 1 and the cost. The course runs every test at a scale a CPU can afford,
# far below the papers', and does not assume the papers' answers: each claim gets a verdict at that
# scale (held; held in direction, not significant; did not hold; not testable at this scale) in one
# **evidence table**, computed from the saved runs and the NAS-Bench-201 table by `nascourse.evidence`.
# The README shows the whole table, and each lesson ends with its own rows, e.g.
# `evidence.show("04")`. Several claims did not hold at this scale; the lessons say which, and why.

# %% [markdown]
# ## 2. Presets and devices
#
# Every function in `nascourse` that searches or trains takes a **preset**, a **seed** and a
# **device**. The preset fixes the sizes: how many images, how large, how big a supernet, how
# many epochs. The algorithms' own settings (learning rates, momentum, ...) are the papers'.
#
# * `tiny`: seconds to a few minutes on a laptop CPU; what CI and Binder run, and what the
#   committed notebooks show.
# * `colab`: about ten minutes a lesson on one Colab T4 GPU.
# * `paper`: the papers' settings (DARTS: 25,000 + 25,000 images, 8 cells, 50 epochs).

# %%
# NBVAL_CHECK_OUTPUT
header = f"{'preset':7} {'image':>6} {'search images':>14} {'batch':>6} {'DARTS C x cells':>16} {'NB201 C x N':>12} {'epochs':>7}"
print(header)
print("-" * len(header))
for p in config.PRESETS.values():
    images = "all 50,000" if p.search_images is None else f"{p.search_images:,}"
    print(f"{p.name:7} {p.image_size:>4}px {images:>14} {p.batch_size:>6} "
          f"{f'{p.darts_C} x {p.darts_layers}':>16} {f'{p.nb201_C} x {p.nb201_N}':>12} {p.search_epochs:>7}")

# %% [markdown]
# The tiny preset is small in every direction at once: 512 images (256 for $w$, 256 for
# $\alpha$), shrunk from 32×32 to 16×16 pixels, a supernet of 5 cells starting at $C = 4$
# channels, 3 epochs of 4 steps each. That is enough to run every line of every algorithm, not
# enough to reproduce the papers' results. Each lesson says which of its figures show the papers'
# effect at this size and which do not.
#
# Three environment variables set the defaults, so that a notebook runs unchanged everywhere:
#
# | variable | meaning | default |
# |---|---|---|
# | `NASCOURSE_PRESET` | `tiny`, `colab` or `paper` | `tiny` on a CPU, `colab` on a GPU |
# | `NASCOURSE_DEVICE` | `cpu`, `cuda`, `cuda:1`, ... | `cuda` when a GPU is present, else `cpu` |
# | `NASCOURSE_DATA` | where datasets are looked up and cached | `~/.cache/nascourse` |
#
# An argument always beats the variable: `config.get_preset("colab")`, `config.get_device("cpu")`.
# `config.with_overrides(preset, search_epochs=5)` gives a copy of a preset with some fields changed.
#
# **Seeding.** `config.seed_everything(seed)` seeds Python's `random`, NumPy and torch (CPU and
# GPU) together. The library's entry points take an explicit `seed` and seed what they draw from
# themselves, so the same seed gives the same search on the same machine with the same settings.
# A CPU and a GPU, or the same CPU with a different number of threads, round differently in the
# last digits, and a search can amplify that into a different cell: compare by the statistics of
# several seeds, not by one genotype.

# %% [markdown]
# ## 3. CIFAR-10
#
# DARTS searches on CIFAR-10: 60,000 colour images of 32×32 pixels in 10 classes, 50,000 for
# training and 10,000 for testing. `data.load_dataset("cifar10")` finds it in `$NASCOURSE_DATA`
# (downloading it on first use, 170 MB) and caches the decoded images as one file, so later
# loads take a couple of seconds.

# %%
cifar = data.load_dataset("cifar10")

# %%
# NBVAL_CHECK_OUTPUT
print("training images:", tuple(cifar.train_images.shape), cifar.train_images.dtype)
print("training labels:", tuple(cifar.train_labels.shape), cifar.train_labels.dtype)
print("test images:    ", tuple(cifar.test_images.shape))
print("classes:", ", ".join(cifar.classes))
print("images per class (training):", torch.bincount(cifar.train_labels).tolist())

# %% [markdown]
# Images are kept as bytes (`uint8`, 0-255), laid out as (N, channels, height, width). Before a
# network sees them they are normalised per colour channel, $x \mapsto (x/255 - \mu_c)/\sigma_c$,
# with the mean and standard deviation of the training set:

# %%
print("mean:", [round(m, 3) for m in cifar.mean])
print("std: ", [round(s, 3) for s in cifar.std])
print("(DARTS uses mean (0.491, 0.482, 0.447) and std (0.247, 0.243, 0.262), from the official archive)")

# %% [markdown]
# If your copy of CIFAR-10 is a JPEG re-encoding of the images rather than the official archive,
# the standard deviations differ in the third digit: JPEG smooths away a little of the pixel
# noise. Nothing else changes.
#
# Two examples of each class:

# %%
fig, axes = plt.subplots(2, 10, figsize=(12, 2.9))
for k, name in enumerate(cifar.classes):
    first_two = (cifar.train_labels == k).nonzero().flatten()[:2]
    for row, i in enumerate(first_two):
        axes[row, k].imshow(cifar.train_images[i].permute(1, 2, 0).numpy())  # (3, H, W) -> (H, W, 3)
        axes[row, k].axis("off")
    axes[0, k].set_title(name, fontsize=9)
fig.suptitle("CIFAR-10: two training images per class (32x32)", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# **What did we see.** The images are tiny and the objects vary in pose, size and background;
# some classes are easy to confuse (cat and dog, automobile and truck). A classifier that
# guesses, giving each class probability 1/10, has a cross-entropy loss of $\ln 10 \approx 2.30$.
#
# ### Batches on the device, and DARTS's split
#
# A search spends its time on many small batches, so `nascourse` keeps the whole image set on the
# device as one tensor and augments whole batches there (as Keller Jordan's airbench does). Like
# DARTS, each training image gets a **random crop** of the image padded by 4 pixels (2 at the tiny
# preset's 16×16) and a **horizontal flip** with probability ½. The loaders do this with
# `batches.crop_flip`; here it is on eight images, with the random offsets and flips drawn by hand:

# %%
train_loader, val_loader, test_loader = batches.loaders_for_preset(preset, device, seed=0, dataset=cifar)

originals = train_loader.images[:8]  # (8, 3, s, s) uint8, already resized to the preset's image size
pad = train_loader.padding
g = torch.Generator().manual_seed(0)
offsets = torch.randint(0, 2 * pad + 1, (8, 2), generator=g)  # (top, left) of the crop window in the padded image
flips = torch.rand(8, generator=g) < 0.5
augmented = batches.crop_flip(originals, offsets.to(originals.device), flips.to(originals.device), pad)

fig, axes = plt.subplots(2, 8, figsize=(12, 3.6))
for i in range(8):
    axes[0, i].imshow(originals[i].permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
    axes[0, i].set_title(cifar.classes[int(train_loader.labels[i])], fontsize=9)
    axes[1, i].imshow(augmented[i].permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
    dy, dx = (offsets[i] - pad).tolist()  # where the crop window sits, relative to the image
    axes[1, i].set_title(f"crop ({dy:+d}, {dx:+d})" + (", flip" if flips[i] else ""), fontsize=8)
for ax in axes.flat:
    ax.axis("off")
fig.suptitle(f"top: {preset.image_size}x{preset.image_size} images as the search sees them; "
             f"bottom: random crop (padding {pad}) and flip", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# **What did we see.** Each augmented image is the original shifted by up to `pad` pixels and
# sometimes mirrored. A crop window moved by $(+2, +2)$ (down and right) moves the picture up and
# left, and black padding fills in the bottom and right edges. The class does not change, so the
# network learns that small shifts and left-right mirroring don't matter, and sees a slightly
# different image each epoch.
#
# A loader yields normalised float batches on the device, every image once per epoch:

# %%
x, y = next(iter(train_loader))
print(f"a batch: x {tuple(x.shape)} {x.dtype} on {x.device}, y {tuple(y.shape)} {y.dtype}")
print(f"after normalisation: mean {x.mean():.2f}, std {x.std():.2f}")

# %% [markdown]
# The mean is not 0 because of the crops: a black padding pixel normalises to about
# $-\mu_c/\sigma_c \approx -2$, and at 16×16 with a padding of 2 roughly one pixel in seven is padding.

# %% [markdown]
# **DARTS's split.** The bilevel problem needs two losses on different data. DARTS splits the
# 50,000 training images in half: the first half, $D_\text{train}$, trains the weights $w$
# (the inner problem); the second half, $D_\text{val}$, trains the architecture $\alpha$ (the
# outer problem). The 10,000 test images take no part in the search. `batches.search_split` does
# this (after drawing the preset's random subset); `loaders_for_preset` returns the $w$ loader, the
# $\alpha$ loader and a test loader at the preset's sizes:

# %%
for name, loader in (("w (train half)", train_loader), ("alpha (val half)", val_loader),
                     ("test", test_loader)):
    print(f"{name:17} {len(loader.labels):6,} images, {len(loader):4} batches of up to {loader.batch_size}")

# %% [markdown]
# ## 4. A one-minute search
#
# `make_config(method, space, preset)` describes a search: its defaults are the paper's, the
# preset sets the sizes. `"darts1"` is first-order DARTS: the gradient of $L_\text{val}$ with
# respect to $\alpha$ is taken at the current $w$, ignoring how $w$ would change with $\alpha$
# (lesson 03 looks at what that ignores). At the tiny preset, $\alpha$'s learning rate is raised
# tenfold (to $3\times10^{-3}$) so that a search of a dozen steps moves it as far as it can.

# %%
search_config = make_config("darts1", "darts", preset)
for field in ("method", "space", "epochs", "search_images", "image_size", "batch_size", "C", "layers",
              "w_lr", "a_lr"):
    print(f"{field:14} {getattr(search_config, field)}")

# %% [markdown]
# `search` runs the alternating loop: for each batch of $D_\text{train}$ it takes an Adam step on
# $\alpha$ with a batch of $D_\text{val}$, then an SGD step on $w$. After each epoch it records
# softmax($\alpha$), the genotype derived from it, its width and depth, and the losses. On the
# tiny preset this takes about half a minute on a CPU core that has nothing else to do (the time
# printed below is that of the run that made these outputs, on a machine shared with other jobs).

# %%
start = time.perf_counter()
result = search(search_config, seed=0, device=device, dataset=cifar)
print(f"search took {time.perf_counter() - start:.0f} s")

last = result.history[-1]
genotype = genotype_from_str(result.genotype)
print("normal:", genotype.normal)
print("reduce:", genotype.reduce)
print(f"normal cell: width {last['width']:g}c, depth {last['depth']}")

# %%
plot.draw_genotype(genotype, title="tiny darts1 (seed 0)")
plt.show()

# %%
fig = plot.curves({"train_loss": result.series("train_loss"), "val_loss": result.series("val_loss")},
                  ylabel="cross-entropy", title="tiny darts1 search: supernet losses")
fig.axes[0].axhline(math.log(10), color="grey", ls=":", lw=1, label="chance, ln 10")
fig.axes[0].legend(fontsize=8)
plt.show()
print(f"chance level: ln 10 = {math.log(10):.2f}; last epoch: training loss {result.series('train_loss')[-1]:.2f}, "
      f"validation loss {last['val_loss']:.2f}")

# %% [markdown]
# The command line runs the same search (and saves its result, a drawing of the cell and a
# heatmap of $\alpha$ over the epochs to `runs/darts-darts1-tiny-seed0/`):
#
# ```bash
# nascourse search --preset tiny
# ```
#
# `SearchResult.load(folder)` (in `nascourse.history`) reads a saved result back.
#
# ### How much did α move?
#
# The genotype is an argmax over softmax($\alpha$). $\alpha$ starts at $10^{-3}\cdot\mathcal N(0, 1)$,
# so every operation on every edge starts with weight almost exactly $1/8$. How far is the
# normal cell's softmax($\alpha$) from uniform, at the start and at the end of the search?

# %%
config.seed_everything(0)  # search() seeds the same way before it builds its supernet
initial = build_supernet(search_config).arch_weights()[0].detach().numpy()  # (14 edges, 8 ops) at step 0
final = np.array(last["alpha"][0])  # the normal cell's softmax(alpha) after the last epoch
start_gap = np.abs(initial - 1 / 8).max()
end_gap = np.abs(final - 1 / 8).max()
print(f"max |softmax(alpha) - 1/8| over the normal cell: {start_gap:.2g} at the start, {end_gap:.2g} at the end")
print(f"largest weight on any edge: {final.max():.4f} (uniform: {1 / 8:.4f})")
assert end_gap < 0.05, "at the tiny preset softmax(alpha) should stay close to uniform"
assert end_gap > start_gap, "alpha should have moved away from its initial values"

assert result.series("train_loss")[-1] < result.series("train_loss")[0], "the training loss should fall"
assert last["val_loss"] < math.log(10), "the supernet should beat chance on the alpha half"

# %% [markdown]
# **What did we see.** The supernet learns a little: both losses fall below the chance level of
# 2.30. (The training loss is averaged over each epoch's steps while the weights change; the
# validation loss is measured at the end of the epoch. So the first training point, which
# includes the untrained first steps, lies above the validation one.) But $\alpha$ has barely moved: no operation weight is more than a few thousandths away
# from $1/8$. Each edge's "strongest" operation wins by a few thousandths, a margin that a
# different seed or batch order would reshuffle (exercise 1). **At the tiny preset (512 images at
# 16×16, a 5-cell supernet with $C = 4$, 3 epochs) the genotype is nearly random**; its width and
# depth say nothing yet about what DARTS prefers. Lessons 02 and 03 look at what longer searches
# do to $\alpha$, and at results of searches run earlier at larger presets.

# %% [markdown]
# ## Summary
#
# * NAS searches for a **cell**, a small graph of operations, written as a **genotype**; the
#   network is a stack of cells. DARTS's space holds about $10^9$ normal cells, NAS-Bench-201's 15,625.
# * **Weight sharing**: one supernet carries every operation on every edge, mixed by
#   softmax($\alpha$); $w$ is trained on one half of the training set, $\alpha$ on the other
#   (a bilevel problem).
# * Published cells such as DARTS's are **wide and shallow**; why searches prefer them, and what
#   that costs, is the question of the course. Shu et al. answer in three steps (a supernet ranks
#   cells like a short training run; a short run favours cells that converge fast; wide, shallow
#   cells converge fast); lessons 01 to 08 test them at CPU scale, and the evidence table gives each
#   claim's verdict.
# * **Presets** fix sizes (`tiny`, `colab`, `paper`); `NASCOURSE_PRESET`, `NASCOURSE_DEVICE` and
#   `NASCOURSE_DATA` set the defaults; a `seed` makes a run repeat on the same machine.
# * CIFAR-10 lives on the device as bytes; crops and flips run on whole batches there.
# * A tiny search runs end to end in about half a minute on a free CPU, but its α stays within a
#   few thousandths of uniform: the cell it returns is close to random.

# %% [markdown]
# ## Exercises
#
# Worked solutions: [`solutions/00_setup.ipynb`](../solutions/00_setup.ipynb).
#
# **Exercise 1 (seeds).** Run the search again with seeds 1 and 2. To save time, run one epoch
# each: `make_config("darts1", "darts", preset, epochs=1)` (a one-epoch search with seed 0
# repeats the first epoch above, `result.history[0]`). Print each normal cell's genotype, width and
# depth. Do the cells agree? What does that tell you about comparing two methods with one seed each?

# %% tags=["nbval-skip"]
for seed in (1, 2):
    pass  # your code here: make_config(..., epochs=1), search(..., seed=seed), result.history[-1]

# %% [markdown]
# **Exercise 2 (counting weights).** Write `n_params(module)`, the number of learnable numbers
# in a module, and `n_weights(supernet)`, the number of network weights $w$ of a supernet
# (everything but $\alpha$; see `supernet.weight_parameters()` and `arch_parameters()`). Then use
# them: how many of the 8 DARTS operations have learnable parameters (at $C = 16$, as inside a
# supernet: `ops.make_op(name, 16, affine=False)`)? How many weights has the DARTS search
# supernet at the paper's size, `supernet.DartsSupernet()`?

# %% tags=["nbval-skip"]
from nascourse import exercises


def n_params(module):
    raise NotImplementedError  # your code here


def n_weights(supernet):
    raise NotImplementedError  # your code here


exercises.check_param_counts(n_params, n_weights)

# %% [markdown]
# **Exercise 3 (the split).** The search trains $w$ on one half of the training images and
# $\alpha$ on the other. Why not train both on all 50,000 images, on the same batches? And why not
# train $\alpha$ on the test set? Think of `skip_connect` and of a cell that has as many
# convolutions as possible.
