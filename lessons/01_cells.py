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
# # Lesson 01 · Cells and search spaces
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/01_cells.ipynb)
#
# Runs in 7 s in JupyterLab on 2 CPU cores at the `tiny` preset, and as long with the `colab` preset (nothing trains in this lesson). No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# A differentiable NAS algorithm searches a **space** of cells; before we search, we need to know
# that space well. After this lesson you can
#
# 1. name the 8 operations of the DARTS space and the 5 of NAS-Bench-201, say what each computes,
#    how many parameters it has and how far it sees (its receptive field), and which are
#    parameter-free;
# 2. read and write a DARTS **genotype** and a NAS-Bench-201 **string**, draw both kinds of cell,
#    and count how many architectures each space holds;
# 3. compute the **width** and **depth** of a cell as Shu, Wang & Cai (ICLR 2020) define them, and
#    reproduce their Figure 1 values for five published cells;
# 4. place the published cells among random cells of the same space, see that they sit at its
#    wide, shallow end, and score them with a surrogate benchmark (NAS-Bench-301);
# 5. build the random-connection variants of DARTS that later lessons train, and rewire a cell by
#    hand in an interactive builder that redraws it with its width and depth.
#
# Nothing in this lesson trains: every number below is exact and repeats on any machine, except
# the surrogate's predictions in section 5, which come from a fitted model.

# %%
import itertools
import math
import random
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import torch

from nascourse import bench, config, genotypes, nb201, ops, plot, variants, widgets
from nascourse.genotypes import AMOEBANET, DARTS_V1, DARTS_V2, ENAS, NASNET, SNAS_MILD, cell_width_depth

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1. Operations
#
# A cell is a small directed acyclic graph whose edges carry **operations**: functions from a
# feature map of shape (B, C, H, W) to one of the same shape (at stride 1). A search space is,
# first of all, the list of operations an edge may choose from.
#
# **DARTS** (Liu et al., ICLR 2019) offers 8, in this order (the order of the columns of α in every
# later lesson):
#
# * `none`: the zero map. It takes part in the search as "no edge here"; a final genotype never
#   keeps it.
# * `max_pool_3x3`, `avg_pool_3x3`: 3×3 pooling with padding 1 (average pooling ignores the padding).
# * `skip_connect`: the identity.
# * `sep_conv_3x3`, `sep_conv_5x5`: a **separable** convolution, applied twice: ReLU → depthwise
#   k×k convolution (one filter per channel) → pointwise 1×1 convolution (mixes channels) → BN.
# * `dil_conv_3x3`, `dil_conv_5x5`: the same unit once, with the depthwise kernel **dilated** by 2
#   (its taps are two pixels apart).
#
# **NAS-Bench-201** (Dong & Yang, ICLR 2020) offers 5: `none`, `skip_connect`, `nor_conv_1x1`,
# `nor_conv_3x3` (a plain ReLU → k×k convolution → BN) and `avg_pool_3x3`.
#
# **Parameters.** On C channels, a depthwise k×k convolution has $k^2 C$ weights, a pointwise
# 1×1 convolution $C^2$, a full k×k convolution $k^2 C^2$, and a BN layer $2C$ (scale and
# shift; none inside a supernet, where BN is not affine). So
#
# $$P_\text{sep}(k) = 2\,(k^2 C + C^2 + 2C), \qquad P_\text{dil}(k) = k^2 C + C^2 + 2C, \qquad
# P_\text{nor}(k) = k^2 C^2 + 2C .$$
#
# **Receptive field.** A stack of convolutions with kernel sizes $k_\ell$ and dilations $d_\ell$
# lets an output pixel see a square of side
#
# $$r = 1 + \sum_\ell d_\ell\,(k_\ell - 1)$$
#
# input pixels: two stacked 3×3 kernels see 5×5; a 3×3 kernel dilated by 2 also sees 5×5, with
# holes. We count the parameters of each operation at C = 16 (the DARTS search network's first
# stage) with `ops.make_op`, and compute $r$ from each operation's spatial kernels.

# %%
# NBVAL_CHECK_OUTPUT
C = 16
# what each operation computes, and its spatial layers as (kernel, dilation) pairs
OPERATIONS = {
    "none": ("zeros", []),
    "max_pool_3x3": ("3x3 max pooling", [(3, 1)]),
    "avg_pool_3x3": ("3x3 average pooling", [(3, 1)]),
    "skip_connect": ("identity", []),
    "sep_conv_3x3": ("2 x (ReLU, dw 3x3, pw 1x1, BN)", [(3, 1), (3, 1)]),
    "sep_conv_5x5": ("2 x (ReLU, dw 5x5, pw 1x1, BN)", [(5, 1), (5, 1)]),
    "dil_conv_3x3": ("ReLU, dw 3x3 dil 2, pw 1x1, BN", [(3, 2)]),
    "dil_conv_5x5": ("ReLU, dw 5x5 dil 2, pw 1x1, BN", [(5, 2)]),
    "nor_conv_1x1": ("ReLU, conv 1x1, BN", [(1, 1)]),
    "nor_conv_3x3": ("ReLU, conv 3x3, BN", [(3, 1)]),
}


def n_params(name: str, affine: bool = True) -> int:
    return sum(p.numel() for p in ops.make_op(name, C, stride=1, affine=affine).parameters())


def receptive_field(name: str) -> int:
    return 1 + sum(d * (k - 1) for k, d in OPERATIONS[name][1])


print(f"{'operation':<14}{'space':<12}{'computes':<32}{'params':>7}{'in supernet':>12}{'field':>7}  free")
for name, (computes, _) in OPERATIONS.items():
    space = "both" if name in ops.DARTS_OPS and name in ops.NB201_OPS else (
        "DARTS" if name in ops.DARTS_OPS else "NB201")
    field = "-" if name == "none" else f"{receptive_field(name)}x{receptive_field(name)}"
    free = "yes" if n_params(name) == 0 else ""
    print(f"{name:<14}{space:<12}{computes:<32}{n_params(name):>7}{n_params(name, affine=False):>12}{field:>7}  {free}")

# the counts follow the formulas above
for k in (3, 5):
    assert n_params(f"sep_conv_{k}x{k}") == 2 * (k * k * C + C * C + 2 * C)
    assert n_params(f"dil_conv_{k}x{k}") == k * k * C + C * C + 2 * C
for k in (1, 3):
    assert n_params(f"nor_conv_{k}x{k}") == k * k * C * C + 2 * C
assert {n for n in OPERATIONS if n_params(n) == 0} == ops.PARAMETER_FREE_OPS | {"avg_pool_3x3"}

# %% [markdown]
# The receptive fields can also be *seen*: give an operation positive weights (so every ReLU stays
# open), feed it a map of ones, and ask autograd which input pixels the centre output depends on.
# (Max pooling is left out: its gradient reaches only the one pixel that wins the max.)

# %%
def footprint(name: str, size: int = 13) -> np.ndarray:
    """(size, size) boolean map: the input pixels that the centre output pixel depends on."""
    op = ops.make_op(name, 1, stride=1, affine=False).eval()  # one channel; eval: BN is elementwise
    with torch.no_grad():
        for p in op.parameters():
            p.abs_()  # positive weights and inputs: no ReLU closes, no terms cancel
    x = torch.ones(1, 1, size, size, requires_grad=True)
    op(x)[0, 0, size // 2, size // 2].backward()
    return x.grad[0, 0].abs().numpy() > 0


shown = ["nor_conv_3x3", "avg_pool_3x3", "sep_conv_3x3", "dil_conv_3x3", "sep_conv_5x5", "dil_conv_5x5"]
fig, axes = plt.subplots(1, len(shown), figsize=(13, 2.6))
for ax, name in zip(axes, shown):
    seen = footprint(name)
    rows, cols = np.nonzero(seen)
    assert rows.max() - rows.min() + 1 == receptive_field(name)  # the picture agrees with the formula
    ax.imshow(seen, cmap="Greys", vmin=0, vmax=1.4)
    ax.set_title(f"{name}\n{receptive_field(name)}x{receptive_field(name)}, {seen.sum()} taps", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Input pixels that one output pixel depends on (13x13 input)", fontsize=10)
fig.tight_layout(rect=(0, 0, 1, 0.88))
plt.show()

# %% [markdown]
# **What did we see.** Four of the eight DARTS operations (`none`, both poolings, `skip_connect`)
# have **no parameters at all**, and so do three of NAS-Bench-201's five. The convolutions differ
# a lot in cost: `nor_conv_3x3` has 2,336 parameters at C = 16, a separable 3×3 convolution 864,
# a dilated 3×3 only 432. The dilated convolutions see as far as the separable ones of the same
# kernel size (5×5 and 9×9) with half the parameters, but through a sparse grid of taps (9 or 25
# of the 25 or 81 pixels). Keep the parameter-free operations in mind: in later lessons, searches
# drift towards `skip_connect` and return cells with few parameters that end up weak.

# %% [markdown]
# ## 2. The DARTS cell and its genotype
#
# A DARTS cell has two **input nodes**, $c_{k-2}$ and $c_{k-1}$ (the outputs of the two previous
# cells), four **intermediate nodes** $x_2, \dots, x_5$, and an **output** $c_k$ that concatenates
# the intermediate nodes on channels. During the search every intermediate node reads *every*
# earlier node through a mixed operation $\bar o^{(i,j)}$ (lesson 02):
#
# $$x_i = \sum_{j < i} \bar o^{(i,j)}(x_j), \qquad i = 2, \dots, 5,$$
#
# which makes $2 + 3 + 4 + 5 = 14$ candidate edges. The final architecture keeps, for each node,
# **two edges from two different earlier nodes**, with one operation each:
#
# $$x_i = o_{i,1}(x_{a_i}) + o_{i,2}(x_{b_i}), \qquad a_i \ne b_i < i, \qquad
# c_k = \mathrm{concat}(x_2, x_3, x_4, x_5).$$
#
# A **genotype** writes this down for the two kinds of cell of a network: the *normal* cell keeps
# the image size; the *reduction* cell halves it (every edge that leaves an input node has stride
# 2). Entries $2i$ and $2i+1$ of a cell list are the two edges of node $i+2$, as
# (operation, input) pairs; input 0 is $c_{k-2}$, 1 is $c_{k-1}$ and $m \ge 2$ is node $m$.
# Here is the cell DARTS found with its second-order search, read node by node:

# %%
# NBVAL_CHECK_OUTPUT
NAMES = {0: "c_{k-2}", 1: "c_{k-1}"}


def read_cell(cell: list) -> None:
    for i in range(len(cell) // 2):
        (op_a, a), (op_b, b) = cell[2 * i], cell[2 * i + 1]
        print(f"  node {i + 2} = {op_a}({NAMES.get(a, f'node {a}')}) + {op_b}({NAMES.get(b, f'node {b}')})")


print(genotypes.genotype_to_str(DARTS_V2))
print("normal cell:")
read_cell(DARTS_V2.normal)
print("reduction cell:")
read_cell(DARTS_V2.reduce)

# %%
plot.draw_genotype(DARTS_V2, title="DARTS (V2)")
plt.show()

# %% [markdown]
# The drawing puts each node at its depth (the number of operations on the longest path from an
# input to it), so a wide cell is a tall column of nodes beside the inputs and a deep cell a long
# chain; section 4 makes this precise.
#
# **How many cells are there?** Node $i$ picks 2 of its $i$ predecessors, $\binom{i}{2}$ ways,
# and one of 7 operations (not `none`) for each of its two edges:
#
# $$|\mathcal{A}_\text{cell}| = \prod_{i=2}^{5} \binom{i}{2}\, 7^2
#   = (1 \cdot 3 \cdot 6 \cdot 10)\cdot 7^8 .$$
#
# A genotype picks a normal and a reduction cell independently, so the space has
# $|\mathcal{A}_\text{cell}|^2$ genotypes. We count the wirings (which nodes read which) by brute
# force and check the formula.

# %%
# NBVAL_CHECK_OUTPUT
def darts_wirings(steps: int = 4) -> list[list[tuple[int, int]]]:
    """Every wiring of a cell: for node i+2, one pair of distinct earlier nodes."""
    return [list(w) for w in itertools.product(*[itertools.combinations(range(2 + i), 2) for i in range(steps)])]


wirings = darts_wirings()
per_cell = len(wirings) * 7 ** 8
assert per_cell == math.prod(math.comb(i, 2) * 7 ** 2 for i in range(2, 6))
print(f"candidate edges in the search cell: {sum(range(2, 6))}")
print(f"wirings of a cell:                  {len(wirings)}")
print(f"normal cells:                       {per_cell:,} (about {per_cell:.2e})")
print(f"genotypes (normal x reduction):     {per_cell ** 2:.3e}")

# %% [markdown]
# **What did we see.** About $10^9$ normal cells and $10^{18}$ genotypes: far too many to train
# one by one, which is why DARTS trains a single supernet that contains them all (lesson 02).
# The count treats two cells that differ only in the order of a node's two edges as the same
# cell, but still counts some cells that compute the same function twice.

# %% [markdown]
# ## 3. The NAS-Bench-201 cell and its strings
#
# NAS-Bench-201 (Dong & Yang, ICLR 2020) uses a smaller cell: one input node 0, nodes 1 and 2, and
# an output node 3. Every node reads **every** earlier node, with one operation per edge:
#
# $$x_i = \sum_{j < i} o^{(i,j)}(x_j), \qquad i = 1, 2, 3,$$
#
# so there are $1 + 2 + 3 = 6$ edges. The topology is fixed; only the operations vary, and
# `none` *removes* an edge. That makes $5^6 = 15{,}625$ cells, few enough that the benchmark trained
# every one of them and published their accuracies (later lessons look cells up in it).
#
# A cell is written as a string `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`: the `+` separates nodes
# 1, 2 and 3, and `op~j` is the operation on the edge from node j. `nb201.nb201_parse` turns it
# into 6 operations in the edge order $1{\leftarrow}0, 2{\leftarrow}0, 2{\leftarrow}1,
# 3{\leftarrow}0, 3{\leftarrow}1, 3{\leftarrow}2$ (the order of the string, and of α's rows).

# %%
# NBVAL_CHECK_OUTPUT
arch_str = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
arch = nb201.nb201_parse(arch_str)
for (i, j), op in zip(nb201.NB201_EDGES, arch):
    print(f"edge {i}<-{j}: {op}")
assert nb201.nb201_format(arch) == arch_str
print(f"cells in the space: 5^6 = {len(ops.NB201_OPS) ** len(nb201.NB201_EDGES):,}")

# %%
# NBVAL_CHECK_OUTPUT
all_skip = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
record = bench.lookup(all_skip)  # the benchmark's table, shipped with nascourse
print(f"all-skip cell: NAS-Bench-201 index {record.index}, CIFAR-10 test accuracy after 200 epochs "
      f"{record.cifar10:.2f}%")
fig, axes = plt.subplots(1, 2, figsize=(12, 3.4))
plot.draw_nb201_cell(arch_str, ax=axes[0], title="a NAS-Bench-201 cell")
plot.draw_nb201_cell(all_skip, ax=axes[1], title=f"the all-skip cell ({record.cifar10:.1f}% on CIFAR-10)")
plt.show()

# %% [markdown]
# **What did we see.** The left cell reads: node 1 is a 3×3 convolution of the input; node 2 adds
# a convolution of the input and an average pool of node 1; node 3 adds the input, a convolution
# of node 1, and node 2. The right cell has no parameters at all: every edge is the identity, and
# the network it builds reaches only 54.30% test accuracy on CIFAR-10 in the benchmark (the
# look-up printed above, the figure of the benchmark's own table [Dong & Yang, ICLR 2020]). Keep it
# in mind: it is the cell that DARTS drifts towards on this space (lesson 02).

# %% [markdown]
# ## 4. Width and depth (Shu, Wang & Cai, ICLR 2020)
#
# Shu et al. ("Understanding architectures learnt by cell-based neural architecture search")
# asked what the cells that NAS algorithms publish have in common, and found it in their
# **topology**: they are *wide* and *shallow*. Both words have exact definitions.
#
# **Depth** is the number of connections on the longest path from an input node to the output,
# counting the final connection into $c_k$:
#
# $$d(c_{k-2}) = d(c_{k-1}) = 0, \qquad d(x_i) = 1 + \max_{j \in \mathrm{in}(i)} d(x_j), \qquad
# \text{depth} = 1 + \max_{i \in \text{concat}} d(x_i).$$
#
# **Width** is the total width of the intermediate nodes that are connected to the input nodes.
# If each node has $c$ channels, a node whose edges all come from $c_{k-2}$ or $c_{k-1}$ counts
# $c$; a node that mixes an input edge with an edge from another intermediate node counts the
# fraction of its edges that come from the inputs, $c/2$:
#
# $$\text{width} = c \sum_{i} \frac{|\{\, j \in \mathrm{in}(i) : j \in \{0, 1\} \,\}|}{|\mathrm{in}(i)|}
#   = \frac{c}{2} \cdot \#\{\text{edges that leave } c_{k-2} \text{ or } c_{k-1}\}.$$
#
# Width does not depend on `concat`; depth does, since $c_k$ only reads the concatenated nodes.
# The widest cell reads nothing but the inputs: each of its $n$ nodes counts $c$, so width
# $nc$ and depth 2. `genotypes.cell_width_depth(cell, concat)` computes both, and
# `variants.widest_shallowest` rewires a genotype that way while keeping its operations (Shu et
# al.'s `*_ADAPT` cells). The paper's Figure 1 shows five published normal cells: NASNet
# (Zoph et al., 2018), AmoebaNet (Real et al., 2019), ENAS (Pham et al., 2018), DARTS and SNAS
# (Xie et al., 2019).

# %%
# NBVAL_CHECK_OUTPUT
PUBLISHED = {"NASNet": NASNET, "AmoebaNet": AMOEBANET, "ENAS": ENAS, "DARTS (V2)": DARTS_V2, "SNAS (mild)": SNAS_MILD}
FIGURE_1 = {"NASNet": (5, 2), "AmoebaNet": (4, 4), "ENAS": (5, 2), "DARTS (V2)": (3.5, 3), "SNAS (mild)": (4, 2)}

print(f"{'normal cell':<13}{'nodes':>6}{'width':>8}{'depth':>7}   widest-shallowest rewiring")
for name, g in PUBLISHED.items():
    width, depth = cell_width_depth(g.normal, g.normal_concat)
    adapt = variants.widest_shallowest(g)
    w_max, d_min = cell_width_depth(adapt.normal, adapt.normal_concat)
    nodes = len(g.normal) // 2
    print(f"{name:<13}{nodes:>6}{width:>7g}c{depth:>7}   {w_max:g}c, depth {d_min}")
    assert (width, depth) == FIGURE_1[name]  # Shu et al., Figure 1
    assert (w_max, d_min) == (nodes, 2)  # the widest an n-node cell can be: n c, at depth 2

# %%
fig, axes = plt.subplots(2, 3, figsize=(15, 8.4))
fig.subplots_adjust(left=0.01, right=0.99, top=0.94, bottom=0.06, wspace=0.05, hspace=0.25)
for ax, (name, g) in zip(axes.flat, PUBLISHED.items()):
    plot.draw_cell(g.normal, g.normal_concat, title=name, ax=ax)
plot.draw_cell(variants.widest_shallowest(DARTS_V2).normal, DARTS_V2.normal_concat,
               title="DARTS (V2) rewired widest-shallowest", ax=axes.flat[5])
plt.show()

# %% [markdown]
# **What did we see.** All five published normal cells reproduce the values of Shu et al.'s
# Figure 1. NASNet and ENAS are exactly the widest, shallowest cell their 5-node space allows
# (5c, depth 2); SNAS is the widest its 4-node space allows (4c, depth 2); DARTS is one half-edge
# short of it (3.5c of 4c) and one step deeper. Only AmoebaNet is deep (4), and even it is 4c
# wide. In the drawings, the widest cells are a single column of nodes between the inputs and
# the output; AmoebaNet's nodes 2 and 3 feed only other nodes, not $c_k$ (its concat is
# [4, 5, 6]). Is this a coincidence, or do random cells look like this too? The next section
# answers that.

# %% [markdown]
# ## 5. Where do the published cells sit among random cells?
#
# A uniformly random DARTS cell picks, for each node, two distinct earlier nodes uniformly, and an
# operation for each edge; `variants.sample_darts_genotype(seed, steps=4)` draws one (the same
# seed gives the same genotype). Operations do not change width or depth, so the distribution
# of (width, depth) over random cells is the distribution over the 180 wirings, which we can also
# enumerate exactly. We sample 2,000 random 4-node cells (the DARTS and SNAS space) and 2,000
# 5-node cells. The 5-node cells follow the same rule; the NASNet space that NASNet, AmoebaNet and
# ENAS come from differs slightly (a node may read the same node twice), so take that panel as an
# approximation.

# %%
# NBVAL_CHECK_OUTPUT
def random_cells(steps: int, n: int = 2000, seed: int = 0) -> Counter:
    """Counter of (width, depth) over n random normal cells with `steps` nodes."""
    rng = random.Random(seed)  # one generator, advanced by each draw
    cells = [variants.sample_darts_genotype(rng, steps=steps) for _ in range(n)]
    return Counter(cell_width_depth(g.normal, g.normal_concat) for g in cells)


def exact_cells(steps: int) -> Counter:
    """Counter of (width, depth) over every wiring of a `steps`-node cell (each wiring equally likely)."""
    concat = list(range(2, 2 + steps))
    return Counter(cell_width_depth([("skip_connect", j) for pair in w for j in pair], concat)
                   for w in darts_wirings(steps))


sampled = {4: random_cells(4), 5: random_cells(5)}
exact = {4: exact_cells(4), 5: exact_cells(5)}


def share(counts: Counter, test) -> float:
    return sum(v for k, v in counts.items() if test(*k)) / sum(counts.values())


w_darts, d_darts = cell_width_depth(DARTS_V2.normal, DARTS_V2.normal_concat)
print("4-node cells (DARTS space), 2,000 samples:")
for w, d in sorted(sampled[4]):
    print(f"  width {f'{w:g}c':>4}, depth {d}: {sampled[4][(w, d)]:4d} sampled, {exact[4][(w, d)]:3d} of 180 wirings")
at_least = share(sampled[4], lambda w, d: w >= w_darts)
at_least_exact = share(exact[4], lambda w, d: w >= w_darts)
print(f"at least as wide as DARTS (V2) ({w_darts:g}c): {at_least:.1%} sampled, {at_least_exact:.1%} exactly")
print(f"mean width of a random cell: {sum(w * n for (w, d), n in exact[4].items()) / 180:.3g}c")
print(f"5-node cells at least 4c wide: {share(sampled[5], lambda w, d: w >= 4):.1%} sampled, "
      f"{share(exact[5], lambda w, d: w >= 4):.1%} exactly; at 5c (NASNet, ENAS): "
      f"{exact[5][(5.0, 2)]} of {len(darts_wirings(5)):,} wirings")
assert at_least_exact < 0.1  # fewer than 1 in 10 random cells is as wide as DARTS's normal cell

# %%
def bubbles(ax, counts: Counter, marks: dict, title: str) -> None:
    """(width, depth) as bubbles whose area is the share of cells; published cells as stars."""
    total = sum(counts.values())
    for (w, d), n in counts.items():
        ax.scatter(w, d, s=3000 * n / total, color="#4c72b0", alpha=0.45, edgecolor="none")
        ax.annotate(f"{n / total:.0%}" if n / total >= 0.01 else "<1%", (w, d), xytext=(0, -16),
                    textcoords="offset points", ha="center", fontsize=7, color="#333333")
    for label, (w, d) in marks.items():
        ax.scatter(w, d, marker="*", s=220, color="#d62728", edgecolor="black", zorder=3)
        ax.annotate(label, (w, d), xytext=(8, 6), textcoords="offset points", fontsize=8, color="#d62728")
    ax.set(xlabel="width (units of c)", ylabel="depth", title=title)
    ax.set_xticks(np.arange(1.5, max(w for w, _ in list(counts) + list(marks.values())) + 0.5, 0.5))
    ax.set_yticks(range(2, max(d for _, d in counts) + 1))
    ax.margins(0.12)
    ax.invert_yaxis()  # shallow at the top
    ax.grid(alpha=0.3)


def wd(g) -> tuple[float, int]:
    return cell_width_depth(g.normal, g.normal_concat)


assert wd(DARTS_V1) == wd(DARTS_V2) and wd(NASNET) == wd(ENAS)  # one star each
fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
bubbles(axes[0], sampled[4], {"DARTS V1 and V2": wd(DARTS_V2), "SNAS": wd(SNAS_MILD)},
        "2,000 random 4-node cells (DARTS space)")
bubbles(axes[1], sampled[5], {"NASNet and ENAS": wd(NASNET), "AmoebaNet": wd(AMOEBANET)},
        "2,000 random 5-node cells")
fig.tight_layout()
plt.show()

# %% [markdown]
# **What did we see.** Random cells are mostly 2-3c wide and 3-4 deep. The published cells sit
# at the edge of the cloud, at its wide and shallow corner (top right): fewer than one random
# DARTS cell in ten is as wide as DARTS's own, and the widest cells of each space (SNAS, NASNet,
# ENAS) are a single wiring out of 180 or 2,700 each (none of the 2,000 random 5-node cells hit
# it). AmoebaNet is the one published cell inside the cloud: 4c wide, but 4 deep. A search with
# no preference would rarely land where the published cells are; the question that Shu et al.
# ask, and this course follows, is *why* the searches prefer this corner.

# %% [markdown]
# ### Are the published cells also better? A surrogate's answer
#
# Shape is not quality. No table lists the accuracy of every DARTS cell, but NAS-Bench-301
# (Siems et al., 2020) trained about 60,000 of them on CIFAR-10 and fitted a model that predicts
# any cell's validation accuracy; `nascourse.nb301` runs it (lesson 04 says how far to trust it).
# **A surrogate is a model fitted to measured runs, not a measurement.** Below: its prediction after
# 98 epochs for the published cells it can represent (DARTS_V1, DARTS_V2, SNAS and DARTS-PT's
# eight cells; NASNet's, AmoebaNet's and ENAS's have 5 nodes, NAS-Bench-301's cells 4), and where
# each falls among 5,000 uniform random cells of the space, whose predictions are saved in
# `results/nb301-convergence/`.

# %%
from pathlib import Path

from nascourse import evidence, evidence_nb301, stats

surrogate = evidence_nb301.load(Path("results") if Path("results").exists() else Path("lessons/results"))
random_final = surrogate["accuracy"][:, -1]  # (5000,) predicted accuracy at epoch 98, %
published_cells = evidence_nb301.published_cells()
published_scores = evidence_nb301.predicted(list(published_cells.values()))[:, 0]
for (name, g), score, pct in zip(published_cells.items(), published_scores,
                                 evidence_nb301.percentile(published_scores, random_final)):
    w, d = wd(g)
    print(f"{name:15s} {w:3.1f}c/{d}  {score:5.1f} %  percentile {pct:3.0f}")
print(f"{surrogate['n']} random cells: {stats.describe(random_final)} %")
print(f"published minus random: {stats.permutation_test(published_scores, random_final, n_perm=10_000)}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 3.4))
ax.hist(random_final, bins=60, color="0.75", label=f"{surrogate['n']} random cells")
for (name, _), score in zip(published_cells.items(), published_scores):
    color = "#d62728" if name in evidence_nb301.PUBLISHED else "#4c72b0"
    ax.axvline(score, color=color, lw=1.2)
ax.plot([], [], color="#d62728", label="DARTS V1, V2, SNAS")
ax.plot([], [], color="#4c72b0", label="DARTS-PT's eight cells")
ax.set(xlabel="predicted CIFAR-10 validation accuracy after 98 epochs (%)", ylabel="random cells",
       title="NAS-Bench-301's predictions (a model, not a measurement)")
ax.legend(fontsize=8, loc="upper left")
plt.show()

# %% [markdown]
# **What did we see.** The surrogate puts DARTS_V1, DARTS_V2 and SNAS among the best few percent of
# the space, and the eleven published cells together above the random ones, by about half a point
# on average and significantly; DARTS-PT's eight cells spread from the bottom fifth to the top. Two
# cautions: DARTS's and SNAS's cells were most likely among the cells NAS-Bench-301 trained, so the
# surrogate has seen them; and a random cell of this space is already good (the whole cloud spans a
# few points), which is why Yang et al. (ICLR 2020) warn that a search must be compared with random
# sampling, not with nothing.
#
# ### Width and depth of a NAS-Bench-201 cell
#
# Shu et al. define width and depth for the DARTS space only. A NAS-Bench-201 cell has one input
# node, its wiring is fixed, and the operations alone decide which edges exist: `none` removes an
# edge. Lesson 04 compares NAS-Bench-201 cells by width and depth, so the course carries the
# definitions over, in one way, which `nb201.nb201_width_depth` computes:
#
# 1. **Live edges only.** Drop the `none` edges, then every edge that lies on no path from node 0
#    to node 3 (an edge into a node that feeds nothing): it does not change what the cell computes.
#    `skip_connect` and `avg_pool_3x3` count as connections, like convolutions.
# 2. **The output is a node.** In DARTS, $c_k$ only concatenates; in NAS-Bench-201, node 3 sums
#    operations like nodes 1 and 2, one of them straight from the input. So nodes 1, 2 **and 3**
#    each add $c$ times the share of their live edges that come from node 0:
#    $$	ext{width} = c \sum_{i=1}^{3} 
# rac{\#\{	ext{live edges } 0 	o i\}}{\#\{	ext{live edges into } i\}},
#    \qquad 	ext{depth} = 	ext{edges on the longest live path } 0 	o 3 .$$
#
# How this differs from the DARTS-space measure of section 4: there are two input nodes there and
# one here; a DARTS node always has exactly two edges, so it adds $c$ or $c/2$, while a
# NAS-Bench-201 node has one to three live edges and adds $c$, $c/2$, $c/3$, $2c/3$ or nothing;
# and DARTS's depth counts the extra edge into $c_k$, which a NAS-Bench-201 cell does not have. The
# numbers of the two spaces are therefore on different scales: NAS-Bench-201 widths run from $c$ (a
# single path) to $7c/3$, depths from 1 to 3; DARTS widths from $2c$ to $4c$, depths from 2 to 5.
# Compare cells within one space, never across.

# %%
# NBVAL_CHECK_OUTPUT
dead_edge = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|"
for label, cell in [("section 3's cell", arch_str), ("all-skip", all_skip), ("a cell with a dead edge", dead_edge),
                    ("one path of convolutions", "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|none~0|none~1|nor_conv_3x3~2|")]:
    w, d = nb201.nb201_width_depth(cell)
    print(f"{label:<26} width {w:.2f}c, depth {d}")
shapes = Counter(nb201.nb201_width_depth(bench.ops_of(i)) for i in range(15625)
                 if nb201.nb201_connected(bench.ops_of(i)))
print(f"over the {sum(shapes.values()):,} cells whose output is reached from the input "
      f"({15625 - sum(shapes.values())} are cut off): {len(shapes)} (width, depth) pairs, "
      f"widths {min(w for w, _ in shapes):.2f}c to {max(w for w, _ in shapes):.2f}c, "
      f"depths {min(d for _, d in shapes)} to {max(d for _, d in shapes)}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
plot.draw_nb201_cell(arch_str, ax=axes[0], title="section 3's cell", width_depth=True)
plot.draw_nb201_cell(dead_edge, ax=axes[1], title="a dead edge", width_depth=True)
plt.show()

# %% [markdown]
# **Reading the drawings.** Beside each node, in bold, is what it adds to the width (in units of
# $c$): the share of its live edges that come from node 0. The shaded band follows a longest live
# path, whose length is the depth. On the left every edge is live: node 1 reads only the input
# ($+1$), node 2 the input and node 1 ($+1/2$), node 3 the input, node 1 and node 2 ($+1/3$), and
# the longest path runs through all four nodes. On the right, node 2 feeds nothing (its only
# outgoing edge, to node 3, is `none`), so the convolution into it is dead (dashed): node 2 adds nothing,
# node 3 adds $1/2$, and the longest path is 0 → 1 → 3. The all-skip cell has the same width and
# depth as section 3's cell: width and depth describe the wiring of the live edges, not what the
# operations compute. Lesson 04 uses exactly these numbers.
#
# **What else varies: how much of the cell has parameters.** The number of parameter-free edges
# (`none`, `skip_connect`, `avg_pool_3x3`) in a uniformly random cell is binomial with $n = 6$,
# $p = 3/5$; here are 2,000 samples from `nb201.sample_nb201` against that law.

# %%
# NBVAL_CHECK_OUTPUT
FREE_NB201 = {"none", "skip_connect", "avg_pool_3x3"}
rng = random.Random(0)
free_edges = Counter(sum(op in FREE_NB201 for op in nb201.sample_nb201(rng)) for _ in range(2000))
binomial = {k: math.comb(6, k) * 0.6 ** k * 0.4 ** (6 - k) for k in range(7)}
print("parameter-free edges   sampled   binomial(6, 0.6)")
for k in range(7):
    print(f"{k:>20}   {free_edges[k] / 2000:7.3f}   {binomial[k]:8.3f}")
print(f"mean parameter-free edges: {sum(k * v for k, v in free_edges.items()) / 2000:.2f} sampled, "
      f"{6 * 0.6:.1f} by the law (n p)")
print(f"cells with no parameters at all: {3 ** 6} of {5 ** 6:,} ({3 ** 6 / 5 ** 6:.1%})")

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.bar(range(7), [free_edges[k] / 2000 for k in range(7)], color="#8c8c8c", label="2,000 random cells")
ax.plot(range(7), [binomial[k] for k in range(7)], "o", color="#d62728", label="binomial(6, 0.6)")
ax.set(xlabel="parameter-free edges (of 6)", ylabel="share of cells", title="Random NAS-Bench-201 cells")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# **What did we see.** A random NAS-Bench-201 cell has about 3.6 parameter-free edges of 6, and
# 4.7% of the space ($3^6 = 729$ cells) has no parameters at all; the all-skip cell of section 3
# is one of them. Lesson 02 shows DARTS drifting towards exactly this corner.

# %% [markdown]
# ## 6. Random-connection variants of DARTS
#
# To test whether width and depth matter, Shu et al. kept DARTS's operations and **redrew its
# connections** at random: for each of the 8 edges, the input is drawn uniformly from the nodes
# available to that edge's node ({0, 1} for node 2, then {0, 1, 2}, and so on; unlike in DARTS
# both edges of a node may read the same node). Their code draws with NumPy's global generator
# seeded per variant; `variants.random_connections(DARTS_V2, seed)` repeats those draws exactly,
# without touching the global generator. Later lessons train these variants and compare how fast
# they converge.

# %%
# NBVAL_CHECK_OUTPUT
SPEC_7_2 = {1: [1, 0, 1, 0, 1, 3, 4, 2], 2: [0, 1, 2, 0, 1, 3, 2, 4], 3: [0, 1, 0, 0, 1, 2, 1, 2],
            4: [0, 1, 1, 0, 1, 0, 1, 4], 5: [1, 1, 2, 0, 0, 3, 3, 0], 6: [0, 1, 2, 2, 2, 1, 1, 1],
            7: [1, 1, 0, 2, 1, 2, 0, 0], 8: [1, 1, 1, 0, 3, 1, 4, 3], 9: [0, 0, 2, 2, 1, 0, 0, 1],
            10: [1, 0, 0, 0, 1, 1, 2, 1]}
variants = {seed: variants.random_connections(DARTS_V2, seed) for seed in range(1, 11)}
print(f"{'seed':>4}  {'normal-cell inputs':<26}{'width':>6}{'depth':>6}")
for seed, g in variants.items():
    inputs = [j for _, j in g.normal]
    width, depth = cell_width_depth(g.normal, g.normal_concat)
    print(f"{seed:>4}  {inputs!s:<26}{width:>5g}c{depth:>6}")
    assert inputs == SPEC_7_2[seed]  # the inputs that Shu et al.'s generator draws
    assert [op for op, _ in g.normal] == [op for op, _ in DARTS_V2.normal]  # operations kept

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
fig.subplots_adjust(left=0.01, right=0.99, wspace=0.05)
plot.draw_cell(DARTS_V2.normal, DARTS_V2.normal_concat, title="DARTS (V2)", ax=axes[0])
plot.draw_cell(variants[2].normal, variants[2].normal_concat, title="random connections, seed 2", ax=axes[1])
plt.show()

# %% [markdown]
# **What did we see.** The ten variants span widths 2c to 3.5c and depths 3 to 5; none is wider
# than DARTS itself, as the previous section predicts for random wirings. Seed 2 is a chain: the
# same operations as DARTS, but the longest path now runs through all four nodes (depth 5) and
# only 2c of the cell reads the inputs directly. Same operations, same parameter count, a very
# different shape.

# %% [markdown]
# ## 7. Build a cell yourself
#
# `widgets.cell_builder(genotype, cell)` shows one cell as rows of dropdowns, one row per node:
# `node i = op(input) + op(input)`. An input dropdown offers only the nodes that node may read, so
# the cell stays a DAG. Every change redraws the cell and recomputes its width and depth (with
# `genotypes.cell_width_depth`, as above). The builder's `cell` attribute holds the current cell
# and `genotype()` returns the whole genotype, so you can use what you build in code.
#
# Try this (run the notebook: the builder does not show in a static copy):
#
# 1. Make DARTS's normal cell as **narrow and deep** as you can. Which node can never be
#    narrower than $c$? What is the largest depth a 4-node cell can reach?
# 2. Make it widest and shallowest, and compare with `variants.widest_shallowest(DARTS_V2)`.
# 3. Let one node read the same node twice: the builder says that this cell is outside the DARTS
#    space (but inside Shu et al.'s random variants).
# 4. Try `widgets.cell_builder(AMOEBANET)`, a 5-node cell: can you make it 5c wide by changing
#    only two inputs?

# %%
builder = widgets.cell_builder(DARTS_V2, "normal")
builder

# %% [markdown]
# ## Summary
#
# * An edge of a cell carries one **operation**. DARTS offers 8 (`none`, two poolings,
#   `skip_connect`, two separable and two dilated convolutions), NAS-Bench-201 5; the poolings,
#   `skip_connect` and `none` have no parameters.
# * A **DARTS genotype** keeps two edges per intermediate node, from two different earlier nodes,
#   for a normal and a reduction cell: about $10^9$ cells and $10^{18}$ genotypes. A
#   **NAS-Bench-201** cell has a fixed 6-edge wiring and one of 5 operations per edge: 15,625 cells,
#   written `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`.
# * **Depth** is the longest input-to-output path, counting the edge into $c_k$; **width** is
#   $c/2$ per edge that leaves an input node. NASNet and ENAS (5c, 2), AmoebaNet (4c, 4), DARTS
#   (3.5c, 3) and SNAS (4c, 2) reproduce Shu et al.'s Figure 1.
# * Among random cells the published ones are at the **wide, shallow end**: only 7% of DARTS
#   cells are as wide as DARTS's own. Shu et al. argue that searches prefer this corner because
#   such cells converge fastest, not because they generalise best; the rest of the course tests
#   that argument.
# * **NAS-Bench-301's surrogate** (a model fitted to measured runs, not a measurement) predicts the
#   published cells to be more accurate than random cells of the DARTS space: the evidence table's
#   row for this lesson.

# %%
evidence.show("01");

# %% [markdown]
# ## Exercises
#
# Worked solutions: [`solutions/01_cells.ipynb`](../solutions/01_cells.ipynb).
#
# **Exercise 1: width and depth by hand.** Write `width_depth(cell, concat)` that returns
# `(width, depth)` (width in units of $c$) from the definitions of section 4, without calling
# `genotypes.cell_width_depth`. The checker compares it with the library on the published cells
# (normal and reduction), Shu et al.'s random variants, random cells with random `concat` lists,
# and a few chains, and names the mistake if it recognises it.

# %% tags=["nbval-skip"]
from nascourse import exercises


def width_depth(cell: list[tuple[str, int]], concat: list[int]) -> tuple[float, int]:
    raise NotImplementedError  # your code here


exercises.check_width_depth(width_depth);

# %% [markdown]
# **Exercise 2: the narrowest, deepest DARTS cell.** Find a DARTS normal cell (8 (operation,
# input) pairs, two *different* inputs per node, no `none`, concat [2, 3, 4, 5]) that is as narrow
# and as deep as the space allows. Work out on paper first what the smallest width and the
# largest depth are, and whether one cell can have both; the builder of section 7 helps. The
# checker enumerates all 180 wirings to confirm.

# %% tags=["nbval-skip"]
my_cell = None  # your cell here, e.g. [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ...]

exercises.check_narrowest_deepest(my_cell);

# %% [markdown]
# **Exercise 3: read a NAS-Bench-201 string.** Write `parse(s)` that turns
# `|op~0|+|op~0|op~1|+|op~0|op~1|op~2|` into the list of 6 operations in the edge order
# $1{\leftarrow}0, 2{\leftarrow}0, 2{\leftarrow}1, 3{\leftarrow}0, 3{\leftarrow}1,
# 3{\leftarrow}2$, without calling `nb201.nb201_parse`. Plain `str.split` is enough.

# %% tags=["nbval-skip"]
def parse(s: str) -> list[str]:
    raise NotImplementedError  # your code here


exercises.check_nb201_parse(parse);

# %% [markdown]
# **Exercise 4 (pen and paper): how wide is a random cell?** Section 5 computed that a random
# DARTS cell is 2.57c wide on average. Derive this number by hand: for node $i$, what is the
# probability that a given one of its two edges leaves an input node? Add up the expected width
# node by node (linearity of expectation). Then say in one sentence why a width of 3.5c is, or is
# not, evidence that DARTS prefers wide cells.
