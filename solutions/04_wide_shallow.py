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
# # Solutions 04 · Do wide and shallow cells converge faster?
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/04_wide_shallow.ipynb)
#
# About 10 seconds on a CPU with any preset (only the NAS-Bench-201 table is used here); no GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass


# %% [markdown]
# Worked solutions to the exercises of [lesson 04](../lessons/04_wide_shallow.ipynb). Each solution is
# checked by the same checker the lesson calls.

# %%
import numpy as np

from nascourse import bench, bench_analysis, exercises, stats

# %% [markdown]
# ## Exercise 1: Spearman's rho, with ties
#
# Sort the values; equal values form runs, and every member of a run gets the mean of the positions
# the run occupies (1-based). Pearson's correlation of the two rank vectors is then Spearman's rho.
# A constant list has ranks with no spread, and the correlation is 0/0: return nan.

# %%
def average_ranks(values):
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[order[j + 1]] == values[order[i]]:
            j += 1  # positions i..j hold equal values
        ranks[order[i:j + 1]] = (i + j) / 2 + 1  # the mean of the 1-based positions i+1 .. j+1
        i = j + 1
    return ranks


def my_spearman(x, y):
    """Spearman's rho of two equally long lists, tied values sharing their average rank."""
    rx, ry = average_ranks(x), average_ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denom = np.sqrt((rx ** 2).sum() * (ry ** 2).sum())
    return float((rx * ry).sum() / denom) if denom > 0 else float("nan")


print(average_ranks([10, 20, 20, 30]))
exercises.check_spearman(my_spearman)

# %% [markdown]
# ## Exercise 2: depth against accuracy, one conv-count group

# %%
def my_group_depth_rho(convs, metric):
    """Spearman's rho of depth with `metric` over the connected cells with `convs` convolutions."""
    s = bench_analysis.shapes()
    keep = s["connected"] & (s["convs"] == convs)
    return bench_analysis.spearman(s["depth"][keep], bench.table()[metric][keep])


exercises.check_group_depth_rho(my_group_depth_rho)

# %% [markdown]
# The same correlations with a 95 % interval from `stats.spearman` (resampling the group's cells;
# 200 resamples keep it quick), and the change from the short to the long budget:

# %%
# NBVAL_CHECK_OUTPUT
s = bench_analysis.shapes()
print("Spearman's rho [95 % interval], p-value (n cells)")
for convs in (2, 4):
    keep = s["connected"] & (s["convs"] == convs)
    at = {m: stats.spearman(s["depth"][keep], bench.table()[m][keep], n_boot=200) for m in ("cifar10_test12", "cifar10")}
    assert all(abs(at[m].estimate - my_group_depth_rho(convs, m)) < 1e-9 for m in at)
    print(f"{convs} convolutions: rho(depth, accuracy) after 12 epochs {at['cifar10_test12']}")
    print(f"{'':15s}after 200 epochs {at['cifar10']}")
    print(f"{'':15s}change {at['cifar10'].estimate - at['cifar10_test12'].estimate:+.2f}")

# %% [markdown]
# Both groups move the same way, by 0.15: with 2 convolutions depth hurts after 12 epochs
# ($-0.16$) and no longer matters after 200 ($-0.01$, an interval that includes 0); with 4
# convolutions it does not matter after 12 epochs ($-0.01$) and helps after 200 ($+0.14$). So the
# short budget is biased against depth in both groups, though only the first shows deep cells
# actually ranked lower at 12 epochs. The weighted average over all groups is the lesson's
# $-0.13$ against $+0.01$.
