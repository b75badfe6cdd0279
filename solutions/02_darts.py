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
# # Solutions 02 · The supernet and DARTS
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/02_darts.ipynb)
#
# About 10 seconds on the tiny preset on a CPU, and as long on the colab preset (nothing here depends on the preset).
# No GPU needed.
#
# Solutions to the exercises of [lesson 02, "The supernet and DARTS"](../lessons/02_darts.ipynb). Try them yourself
# first: each checker tells you what is wrong in words.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from nascourse import config, exercises

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")


# %% [markdown]
# ## Exercise 1 · The mixed operation
#
# $\bar o(x) = \sum_o \mathrm{softmax}(\alpha)_o\, o(x)$. Two details matter: the softmax runs over **all**
# operations, `none` included (dropping it and renormalising gives a different, larger output), and the weights
# multiply whole feature maps, so the result keeps the shape (B, C, H', W') of each operation's output.

# %%
def mixed(x, alpha, ops):
    p = torch.softmax(alpha, dim=0)  # (|O|,): positive, sums to 1, `none` included
    return sum(p_o * op(x) for p_o, op in zip(p, ops))  # sum_o p_o * o(x): (B, C, H', W')


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_mixed_op(mixed)
assert ok


# %% [markdown]
# ## Exercise 2 · The first-order architecture gradient
#
# First-order DARTS takes the gradient of the **validation** loss with respect to $\alpha$ at the current weights,
# $\nabla_\alpha \mathcal{L}_\text{val}(w, \alpha)$, treating $w$ as if it did not depend on $\alpha$. So only the
# validation batch is needed: the training batch enters only in the weight step (and, in lesson 03, in the
# second-order correction that first-order DARTS drops). `torch.autograd.grad` returns the gradient without touching
# any `.grad` field and without changing a parameter; Adam then takes the step.

# %%
def arch_gradient(supernet, train_batch, val_batch):
    x, y = val_batch  # the alpha half of the data
    loss = F.cross_entropy(supernet(x), y)  # L_val(w, alpha), mean over the batch
    return list(torch.autograd.grad(loss, supernet.arch_parameters()))  # one tensor per alpha


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_arch_gradient(arch_gradient)
assert ok

# %% [markdown]
# ## Exercise 3 · Why does skip win?
#
# **DARTS-PT's argument** (Wang et al., ICLR 2021). Take one edge with two operations, skip and a
# convolution, inside a well-trained supernet. Both of the edge's candidate outputs estimate the same feature map
# $m^*$ that the rest of the network wants on that node: the input itself, $x = m^* + \varepsilon_x$ (skip), and the
# convolution's output, $o(x) = m^* + \varepsilon_o$. The mixed output is
# $\bar m = p\,x + (1 - p)\,o(x)$ with $p = p_\text{skip}$, and its error is
# $p\,\varepsilon_x + (1 - p)\,\varepsilon_o$. With independent errors of variances $\sigma_x^2$ and $\sigma_o^2$, the
# variance $p^2\sigma_x^2 + (1-p)^2\sigma_o^2$ is smallest at
#
# $$p^*_\text{skip} = \frac{\sigma_o^2}{\sigma_x^2 + \sigma_o^2}, \qquad
#   p^*_\text{conv} = \frac{\sigma_x^2}{\sigma_x^2 + \sigma_o^2}:$$
#
# each weight is proportional to the **other** estimate's error. As the supernet trains, the features arriving at the
# edge get better (the cells before it already compute much of what is needed, and, DARTS-PT's "unrolled estimation",
# the cells after it keep refining the same features), so $\sigma_x$ shrinks and the optimal $p_\text{skip}$ grows
# towards 1. Minimising the supernet's validation loss therefore pushes $\alpha_\text{skip}$ up *because* the
# supernet is getting better: the growth of $\mathrm{softmax}\,\alpha_\text{skip} - \mathrm{softmax}\,\alpha_\text{conv}$
# with the supernet's accuracy that lesson 02 plotted.
#
# A short numerical check of the formula: estimate $m^*$ from two noisy copies and find the best mixing weight by
# grid search, for smaller and smaller input noise.

# %%
# NBVAL_CHECK_OUTPUT
rng = np.random.default_rng(0)
m_star = rng.normal(size=100_000)  # the ideal feature map, flattened
sigma_o = 0.5  # the convolution's error
grid = np.linspace(0, 1, 201)  # candidate p_skip
print("sigma_x   best p_skip (grid)   sigma_o^2 / (sigma_x^2 + sigma_o^2)")
best = []
for sigma_x in (1.0, 0.5, 0.25, 0.1):
    x = m_star + sigma_x * rng.normal(size=m_star.shape)  # the edge's input: what skip passes on
    o = m_star + sigma_o * rng.normal(size=m_star.shape)  # the convolution's output
    errors = [np.mean((p * x + (1 - p) * o - m_star) ** 2) for p in grid]
    best.append(grid[int(np.argmin(errors))])
    print(f"{sigma_x:7.2f}   {best[-1]:18.3f}   {sigma_o**2 / (sigma_x**2 + sigma_o**2):.3f}")
assert all(abs(b - sigma_o**2 / (s**2 + sigma_o**2)) < 0.02 for b, s in zip(best, (1.0, 0.5, 0.25, 0.1)))
assert best == sorted(best)  # the better the input, the more weight on skip

# %%
sigmas = np.linspace(0.05, 1.5, 100)
fig, ax = plt.subplots(figsize=(5.0, 3.2))
ax.plot(sigmas, sigma_o**2 / (sigmas**2 + sigma_o**2), color="#8c8c8c", lw=2, label="p*_skip")
ax.plot(sigmas, sigmas**2 / (sigmas**2 + sigma_o**2), color="#a50f15", lw=2, label="p*_conv")
ax.invert_xaxis()  # training makes the input better: sigma_x falls from left to right
ax.set(xlabel="σ_x, the error of the edge's input (falls as the supernet trains)", ylabel="optimal weight",
       title=f"two estimates of m*, σ_o = {sigma_o}")
ax.legend(frameon=False)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# **Why this does not make skip the best choice for the discrete network.** The argument rewards skip for passing
# on features that the *rest of the supernet* computes, with all its convolutions in place. In the discrete network
# those other convolutions are mostly gone too (on NAS-Bench-201, every edge makes the same move), and a cell of skips
# computes nothing: the all-skip cell reaches 54.30 % test accuracy on CIFAR-10, against 94.37 % for the best cell
# [Dong & Yang, ICLR 2020].
# The weight $\mathrm{softmax}(\alpha)_o$ measures how useful $o$ is as one ingredient of a mixture inside a good
# supernet, not how good the network would be with $o$ alone on that edge.
#
# **What that implies for reading off the architecture.** Picking the operation with the largest $\alpha$ on each
# edge (magnitude selection) assumes that $\alpha$ ranks operations by their value in the final network; DARTS-PT
# show that it does not (in their S2 space skip has the larger $\alpha$ on 12 of 14 edges, yet discretisation
# accuracy prefers the convolution on half of them). Their remedy is to measure an operation's strength directly:
# remove it from the edge and see how much the supernet's validation accuracy drops, keeping the operation whose
# removal hurts most (perturbation-based selection). With that rule the same supernets give much better cells on
# NAS-Bench-201 (88.11 % instead of 54.30 % [Wang et al., ICLR 2021, NAS-Bench-201 results]).
