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
# # Solutions 08 · What the preference costs
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/08_cost.ipynb)
#
# Runs in well under a minute on 2 CPU cores at the `tiny` preset (the lesson's tiny RSWS supernet is trained again). No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# Worked solutions to the exercises of [lesson 08](../lessons/08_cost.ipynb). Each solution is checked
# by the same checker the lesson calls. Both exercises use the lesson's live supernet, trained again here
# with the same preset, seed and settings, and its stratified sample of cells.

# %%
import math

import numpy as np

from nascourse import bench, config, data, exercises, ranking, stats
from nascourse.batches import search_split
from nascourse.history import make_config
from nascourse.search import search

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)

dataset = data.load_dataset("cifar10")
cfg = make_config("rsws", "nb201", preset)
found = search(cfg, seed=0, device=device, dataset=dataset, progress=False)
train_loader, val_loader = search_split(dataset, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
sample = ranking.stratified_sample(6, seed=0)
scores = ranking.score_cells(found.supernet, sample, ranking.fixed_batches(train_loader, 4),
                             ranking.fixed_batches(val_loader, 4))
truth = bench.table()["cifar10"][sample]

# %% [markdown]
# ## Exercise 1: Kendall's tau by hand, with ties
#
# Every pair $i < j$ is compared once. The sign of $(x_i - x_j)(y_i - y_j)$ says concordant (+),
# discordant (−) or tied (0); a pair tied in $x$ is left out of $x$'s count of ordered pairs, and the same
# for $y$. The denominator is the geometric mean of the two counts of ordered pairs, so that a ranking
# compared with itself gives 1 even with ties.

# %%
def my_kendall(x, y):
    """Kendall's tau-b of two lists of numbers of one length."""
    def sign(v):
        return int(v > 0) - int(v < 0)

    n = len(x)
    s = ordered_x = ordered_y = 0
    for i in range(n):
        for j in range(i + 1, n):
            dx, dy = x[i] - x[j], y[i] - y[j]
            s += sign(dx) * sign(dy)  # +1 concordant, -1 discordant, 0 tied in either
            ordered_x += dx != 0
            ordered_y += dy != 0
    denom = math.sqrt(ordered_x * ordered_y)
    return s / denom if denom > 0 else float("nan")


exercises.check_kendall_tau(my_kendall)

# %% [markdown]
# On the live supernet's scores of its 42 cells against their 200-epoch accuracy, the hand-written tau
# equals the library's:

# %%
print(f"by hand: {my_kendall(scores.tolist(), truth.tolist()):+.4f}")
print(f"stats.kendall: {stats.kendall(scores, truth)}")

# %% [markdown]
# ## Exercise 2: the regret of a ranker
#
# Order the cells by score, highest first (a stable sort keeps the first listed of a tie first), keep the
# top `k`, take the best of them by the truth, and subtract it from the best truth overall.

# %%
def my_regret(scores, truth, k):
    """Best truth minus the best truth among the k top-scored cells."""
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return max(truth) - max(truth[i] for i in order[:k])


exercises.check_regret(my_regret)

# %% [markdown]
# The live supernet's regret on its own sample, and the smallest shortlist that holds a cell within one
# point of the sample's best:

# %%
for k in (1, 5, 20):
    print(f"k = {k:2d}: regret {my_regret(scores.tolist(), truth.tolist(), k):.2f} points")
needed = next(k for k in range(1, len(sample) + 1) if my_regret(scores.tolist(), truth.tolist(), k) <= 1.0)
print(f"cells to train for real before the shortlist holds one within a point of the best: {needed} "
      f"of {len(sample)}")
