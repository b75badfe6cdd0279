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
# # Solutions 01 · Cells and search spaces
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/01_cells.ipynb)
#
# About 10 seconds on a CPU with the `tiny` preset, and as long with the `colab` preset (nothing trains). No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# Solutions to the exercises of [lesson 01](../lessons/01_cells.ipynb). Try them yourself first:
# each checker in `nascourse.exercises` tells you what is wrong with an answer, not only that it is.

# %%
import itertools
from fractions import Fraction

import matplotlib.pyplot as plt

from nascourse import exercises, plot
from nascourse.genotypes import DARTS_V2, cell_width_depth

# %% [markdown]
# ## Exercise 1: width and depth by hand
#
# Walk through the nodes in order. Each node's depth is one more than the deeper of its two
# inputs (the inputs have depth 0), and each edge that leaves $c_{k-2}$ or $c_{k-1}$ adds $c/2$ to
# the width. The depth of the cell adds one last connection, from the deepest *concatenated* node
# into $c_k$.

# %%
def width_depth(cell: list[tuple[str, int]], concat: list[int]) -> tuple[float, int]:
    depth = {0: 0, 1: 0}  # d(c_{k-2}) = d(c_{k-1}) = 0
    width = 0.0
    for i in range(len(cell) // 2):  # entries 2i, 2i+1 are the two edges of node i+2
        (_, a), (_, b) = cell[2 * i], cell[2 * i + 1]
        width += 0.5 * ((a < 2) + (b < 2))  # c/2 per edge from an input node
        depth[i + 2] = 1 + max(depth[a], depth[b])  # the longest path, not the shortest
    return width, 1 + max(depth[m] for m in concat)  # + the connection into c_k


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_width_depth(width_depth)
assert ok

# %% [markdown]
# ## Exercise 2: the narrowest, deepest DARTS cell
#
# **Width.** Node 2 has only the two inputs to read, so it always adds $c$. Node 3 picks two of
# $\{c_{k-2}, c_{k-1}, x_2\}$, so at least one edge leaves an input: at least $c/2$. Nodes 4 and 5
# can read two intermediate nodes and add nothing. The smallest width is $1.5c$.
#
# **Depth.** Node $i$ can be at most $i - 1$ deep (node 2 is 1 deep, and each later node at most
# one more than the previous), so node 5 is at most 4 deep and the cell at most $4 + 1 = 5$.
#
# **Both at once.** Node 3 reads node 2 and one input (depth 2, $c/2$); node 4 reads node 3 and
# node 2 (depth 3, 0); node 5 reads node 4 and node 2 or 3 (depth 4, 0). Below: DARTS's own
# operations, rewired that way.

# %%
# NBVAL_CHECK_OUTPUT
my_cell = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1),  # node 2 = f(c_{k-2}) + g(c_{k-1})
           ("sep_conv_3x3", 0), ("sep_conv_3x3", 2),  # node 3 reads node 2 and one input
           ("sep_conv_3x3", 2), ("skip_connect", 3),  # node 4 reads nodes 2 and 3
           ("skip_connect", 3), ("dil_conv_3x3", 4)]  # node 5 reads nodes 3 and 4
ok = exercises.check_narrowest_deepest(my_cell)
assert ok

# %% [markdown]
# The enumeration confirms the bounds and lists every wiring that reaches both (node by node,
# the two nodes each intermediate node reads):

# %%
# NBVAL_CHECK_OUTPUT
wirings = list(itertools.product(*[itertools.combinations(range(2 + i), 2) for i in range(4)]))


def as_cell(wiring) -> list[tuple[str, int]]:
    return [("skip_connect", j) for pair in wiring for j in pair]  # operations do not matter here


values = {w: cell_width_depth(as_cell(w), [2, 3, 4, 5]) for w in wirings}
narrowest = min(w for w, _ in values.values())
deepest = max(d for _, d in values.values())
print(f"smallest width {narrowest:g}c, largest depth {deepest}")
for w, v in values.items():
    if v == (narrowest, deepest):
        print("  ", list(w))
assert (narrowest, deepest) == (1.5, 5)

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
fig.subplots_adjust(left=0.01, right=0.99, wspace=0.05)
plot.draw_cell(DARTS_V2.normal, DARTS_V2.normal_concat, title="DARTS (V2)", ax=axes[0])
plot.draw_cell(my_cell, [2, 3, 4, 5], title="narrowest, deepest rewiring", ax=axes[1])
plt.show()

# %% [markdown]
# ## Exercise 3: read a NAS-Bench-201 string
#
# Split on `+` into the three nodes, strip the outer `|` of each node, split on `|` into its
# entries, and keep what is before the `~`. The string lists node 1's edge, then node 2's, then
# node 3's, each from node 0 upwards: that is already the edge order
# $1{\leftarrow}0, 2{\leftarrow}0, 2{\leftarrow}1, 3{\leftarrow}0, 3{\leftarrow}1, 3{\leftarrow}2$.

# %%
def parse(s: str) -> list[str]:
    arch = []
    for node in s.split("+"):  # '|op~0|op~1|' for each of nodes 1, 2, 3
        for entry in node.strip("|").split("|"):  # 'op~j'
            op, _, _source = entry.partition("~")  # the source node j is given by the position
            arch.append(op)
    return arch


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_nb201_parse(parse)
assert ok

# %% [markdown]
# `nb201.nb201_parse` does the same and also checks the string: three nodes, $i$ entries in
# node $i$, the right `~j` on each entry, and known operation names.
#
# ## Exercise 4: how wide is a random cell?
#
# Node $i$ ($i = 2, \dots, 5$) has $i$ predecessors and reads a uniformly random pair of them. A
# given predecessor is in that pair with probability $2/i$, so the expected number of the node's
# edges that leave one of the two inputs is $2 \cdot 2/i = 4/i$, and its expected width is
# $\frac{c}{2} \cdot \frac{4}{i} = \frac{2c}{i}$. By linearity of expectation,
#
# $$\mathbb{E}[\text{width}] = 2c \left(\tfrac12 + \tfrac13 + \tfrac14 + \tfrac15\right)
#   = \tfrac{77}{30}\,c \approx 2.57c .$$

# %%
# NBVAL_CHECK_OUTPUT
by_formula = sum(Fraction(2, i) for i in range(2, 6))
by_enumeration = sum(Fraction(w).limit_denominator(2) for w, _ in values.values()) / len(values)
print(f"expected width: {by_formula} c = {float(by_formula):.3g}c (enumeration: {by_enumeration} c)")
assert by_formula == by_enumeration == Fraction(77, 30)
at_least = sum(w >= 3.5 for w, _ in values.values()) / len(values)
print(f"random cells at least 3.5c wide: {at_least:.1%}")

# %% [markdown]
# **Is 3.5c evidence?** One cell at 3.5c is weak evidence: 7.2% of random cells are that wide, so a
# search without any preference would return one now and then. The evidence is that the cells
# published by different algorithms (NASNet, ENAS, DARTS, SNAS) all sit at or next to the widest
# end of their spaces, which random choice would almost never do, and Shu et al.'s experiments,
# which connect that preference to how fast such cells converge.
