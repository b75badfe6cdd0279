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
# # Solutions 00 · Setup and tour
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/00_setup.ipynb)
#
# Runs in about 35 s on 2 CPU cores at the `tiny` preset; a few minutes on a Colab T4 GPU with the `colab` preset. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# Worked solutions to the exercises of [lesson 00](../lessons/00_setup.ipynb). Try them there first.

# %%
import numpy as np

from nascourse import config, data, exercises
from nascourse.genotypes import genotype_from_str
from nascourse.history import make_config
from nascourse.ops import DARTS_OPS, make_op
from nascourse.search import search
from nascourse.supernet import DartsSupernet

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## Exercise 1: seeds
#
# One-epoch searches with seeds 0, 1 and 2. Seed 0 repeats the first epoch of the lesson's
# search: an epoch's learning rate, batches and α steps don't depend on how many epochs follow.

# %%
cifar = data.load_dataset("cifar10")
one_epoch = make_config("darts1", "darts", preset, epochs=1)
runs = {}
for seed in (0, 1, 2):
    result = search(one_epoch, seed=seed, device=device, dataset=cifar, progress=False)
    runs[seed] = result.history[-1]

cells = {seed: genotype_from_str(last["genotype"]).normal for seed, last in runs.items()}
for seed, last in runs.items():
    gap = np.abs(np.array(last["alpha"][0]) - 1 / 8).max()  # the normal cell's softmax(alpha), (14, 8)
    print(f"seed {seed}: width {last['width']:g}c, depth {last['depth']}, max |softmax(alpha) - 1/8| {gap:.2g}")
    print(f"        normal cell {cells[seed]}")

# %%
for a, b in ((0, 1), (0, 2), (1, 2)):
    same = sum(x == y for x, y in zip(cells[a], cells[b]))
    print(f"seeds {a} and {b}: {same} of 8 (operation, input) choices agree")
assert len({str(c) for c in cells.values()}) > 1, "different seeds should give different normal cells at the tiny preset"

# %% [markdown]
# **Answer.** The three seeds return different normal cells, and their widths and depths differ
# too. Softmax(α) is within a few thousandths of uniform for every seed, so each choice is decided
# by tiny differences that depend on the initial α, the order of the batches and the crops: at
# this size the cell is mostly noise. The lesson of this for comparisons: one search per method
# compares two draws of that noise. Compare methods over several seeds (mean and spread of the
# quantity you care about, e.g. width, depth or accuracy), as the papers do: DARTS itself ran its
# search several times and kept the best cell after a short training, and NAS-Bench-201 reports
# every method over several seeds.

# %% [markdown]
# ## Exercise 2: counting weights
#
# A module's learnable numbers are the elements of its `parameters()`; buffers (BatchNorm's
# running statistics) are not learnable. A supernet registers α as parameters too (so that
# `state_dict()` saves it), so its weights $w$ are `weight_parameters()`.


# %%
def n_params(module):
    return sum(p.numel() for p in module.parameters())


def n_weights(supernet):
    return sum(p.numel() for p in supernet.weight_parameters())


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_param_counts(n_params, n_weights)
assert ok

# %%
# NBVAL_CHECK_OUTPUT
counts = {name: n_params(make_op(name, 16, 1, affine=False)) for name in DARTS_OPS}
for name, count in counts.items():
    print(f"{name:14} {count:6,}")
print(f"{sum(c > 0 for c in counts.values())} of {len(counts)} operations have learnable parameters")

# %% [markdown]
# Only the four convolutions have weights. At $C = 16$: a separable 3×3 unit is a depthwise
# 3×3 convolution ($16 \cdot 9 = 144$ weights) and a 1×1 convolution ($16 \cdot 16 = 256$), and
# `sep_conv_3x3` applies two such units: $2 \cdot 400 = 800$. `dil_conv_3x3` is one unit (400);
# the 5×5 versions have $16 \cdot 25 = 400$ depthwise weights instead of 144 (1,312 and 656).
# Inside a supernet BatchNorm has no scale and shift (`affine=False`), so it adds nothing.
# Pooling, `skip_connect` and `none` have nothing to learn.

# %%
# NBVAL_CHECK_OUTPUT
paper_size = DartsSupernet()  # 8 cells, C = 16: the DARTS search network
tiny_size = DartsSupernet(C=4, layers=5)  # the tiny preset's supernet
for name, s in (("DartsSupernet() (8 cells, C=16)", paper_size), ("DartsSupernet(C=4, layers=5)", tiny_size)):
    alpha = sum(a.numel() for a in s.arch_parameters())
    print(f"{name:32} w: {n_weights(s):9,}   alpha: {alpha} (2 cells x 14 edges x 8 ops)")

# %% [markdown]
# The DARTS search supernet has 1,930,618 weights and 224 architecture parameters: every
# candidate cell of the $10^{18}$ shares these weights. The parameter-free operations are the
# ones a supernet can use from the first step, without training anything; lesson 02 looks at
# what that does to α.

# %% [markdown]
# ## Exercise 3: the split
#
# **Why not train α on the same images as $w$?** The inner problem already drives the training
# loss down; if α were also chosen to lower the *training* loss, the search would reward whatever
# fits the training images best, for instance a cell with as many convolutions (as many
# parameters) as possible, whether or not it generalises. That is overfitting at the level of the
# architecture. The bilevel problem chooses α by the loss on images $w$ was **not** trained on,
# $L_\text{val}(w^*(\alpha), \alpha)$, so the architecture is judged on how well the cell it
# describes generalises, the way one chooses a learning rate on held-out data. (Held-out data
# does not remove every bias: a `skip_connect` needs no training at all, so with shared weights
# that are still half-trained it can look good on validation data too; lesson 02 shows this.)
#
# **Why not use the test set?** Because then the test set would have been used to choose the
# architecture, and its error would no longer be an honest estimate of how the chosen network
# does on new images. The test images are kept for the very end: after the search, DARTS trains
# the chosen cell from scratch on all 50,000 training images and reports its test error.
#
# **Why half and half?** It is DARTS's choice (`train_portion=0.5`). More images for $w$ give
# better-trained shared weights; more images for α give a less noisy validation signal. The search
# only needs them to rank operations, not to train a final network, so it can afford to halve
# the training set.
