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
# # Solutions 07 · Flat architectures
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/07_flatness.ipynb)
#
# Runs in about 45 s on 2 CPU cores at the `tiny` preset (one tiny NA-DARTS supernet is searched). No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass


# %% [markdown]
# Worked solutions to the exercises of [lesson 07](../lessons/07_flatness.ipynb). Each solution is
# checked by the same checker the lesson calls. Exercise 2 searches the lesson's tiny NA-DARTS
# supernet again (same preset, seed and settings).

# %%
import numpy as np
import torch
import torch.nn.functional as F

from nascourse import bench, config, data, exercises
from nascourse import flatness as FL
from nascourse.batches import search_split
from nascourse.history import make_config
from nascourse.ops import NB201_OPS
from nascourse.search import batch_statistics, search

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)

# %% [markdown]
# ## Exercise 1: a neighbourhood score by hand
#
# A neighbour changes exactly one edge to one of the four *other* operations: 6 × 4 = 24 cells. Each
# is built from a fresh copy of the cell, so the cell itself is never altered and never counted twice.
# The mean runs over 25 values, the cell's own included.

# %%
def my_neighbourhood_mean(cell, measure):
    """Mean of ``measure`` over ``cell`` and its 24 neighbours (one operation changed)."""
    values = [measure(cell)]
    for edge in range(len(cell)):
        for op in NB201_OPS:
            if op == cell[edge]:
                continue  # the cell itself, already counted
            neighbour = list(cell)  # a fresh copy per neighbour
            neighbour[edge] = op
            values.append(measure(neighbour))
    return sum(values) / len(values)


exercises.check_neighbourhood_mean(my_neighbourhood_mean)

# %% [markdown]
# Against the library, then the best neighbourhood among the 200 best cells by their own 12-epoch
# validation accuracy:

# %%
def val12(c):
    return bench.lookup(c).cifar10_val12


cell = ["nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"]
print(f"mine {my_neighbourhood_mean(cell, val12):.6f}, library {FL.neighbourhood_score(cell, val12):.6f}")
own12 = bench.table()["cifar10_val12"]
top = np.argsort(-own12, kind="stable")[:200]
scored = [(my_neighbourhood_mean(bench.ops_of(int(i)), val12), int(i)) for i in top]
score, best = max(scored)
rank_own = int(np.flatnonzero(top == best)[0]) + 1
print(f"best neighbourhood among the top 200: {bench.cell_of(best)}")
print(f"  neighbourhood mean {score:.2f}%, own val12 {own12[best]:.2f}% (rank {rank_own} of 200 by own), "
      f"200-epoch test {bench.lookup(bench.ops_of(best)).cifar10:.2f}%")
print(f"the top cell by own val12: {bench.cell_of(int(top[0]))}, 200-epoch test "
      f"{bench.lookup(bench.ops_of(int(top[0]))).cifar10:.2f}%")

# %% [markdown]
# The best neighbourhood among these 200 cells belongs to the fourth cell by own accuracy, not the
# first, so the two rankings pick different cells from the same samples, as NA-RS and RS do. Here the
# neighbourhood's pick (93.94 % after 200 epochs) is worse than the own-accuracy pick, which is the
# best cell of the whole benchmark (94.37 %): the same direction as the lesson's NA-RS against RS.
#
# ## Exercise 2: a neighbour of a relaxed architecture
#
# Copy $p$, then overwrite one row with the mixture. A mixture of two distributions is a distribution,
# so every row still sums to 1; $\beta = 1$ swaps the edge outright, $\beta \to 0$ leaves $p$ unchanged.

# %%
def my_neighbour(p, edge, op, beta):
    """p with row ``edge`` replaced by (1 - beta) p[edge] + beta onehot(op)."""
    q = p.clone()
    q[edge] = (1 - beta) * p[edge] + beta * F.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return q


exercises.check_relaxed_neighbour(my_neighbour)

# %% [markdown]
# On the lesson's tiny NA-DARTS supernet: the validation loss at $p$ and at each of its 24 single-edge
# neighbours with $\beta = 0.5$, on the lesson's 512 validation images, with batch statistics as in
# search. The sharpest edge is the one whose neighbours raise the loss most.

# %%
cifar = data.load_dataset("cifar10")
images = 2048 if preset.name == "tiny" else preset.search_images
cfg = make_config("nadarts", "nb201", preset, epochs=4, search_images=images, hessian_every=1)
supernet = search(cfg, seed=0, device=device, dataset=cifar, progress=False).supernet
_, val_loader = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
eval_batches = val_loader.plain_batches(8)


@torch.no_grad()
def val_loss(weights):
    with batch_statistics(supernet):
        return float(np.mean([float(F.cross_entropy(supernet(x, [weights]), y)) for x, y in eval_batches]))


p = supernet.arch_weights()[0].detach()
base = val_loss(p)
rises = np.zeros((6, 5))
for edge in range(6):
    for op in range(5):
        if op != int(p[edge].argmax()):
            rises[edge, op] = val_loss(my_neighbour(p, edge, op, 0.5)) - base
print(f"validation loss at p: {base:.4f}")
for edge in range(6):
    strongest = NB201_OPS[int(p[edge].argmax())]
    print(f"edge {edge} (strongest {strongest:13s}): mean rise {rises[edge].sum() / 4:+.4f}, "
          f"largest {rises[edge].max():+.4f}")
print(f"sharpest edge: {int(np.argmax(rises.sum(1)))}")
