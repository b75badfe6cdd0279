# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise · SNAS's relaxed Gumbel-softmax sample
#
# The worked example of the instructors' guide (`docs/instructors.md`): an exercise written in the
# lessons' format, from which `python -m nascourse.assignments --add` builds a graded assignment.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %%
import torch
import torch.nn.functional as F

from nascourse.exercises.snas_gumbel import check_relaxed_sample

# %% [markdown]
# ## Exercises
#
# **Exercise 1 (SNAS's relaxed sample).** SNAS (Xie et al., ICLR 2019) does not weight an edge's
# operations by $\mathrm{softmax}(\alpha)$ but by a random point of the simplex,
# $Z = \mathrm{softmax}\big((\log \mathrm{softmax}(\alpha) + G) / \tau\big)$, with independent
# Gumbel(0, 1) noise $G$ and a temperature $\tau$. Write `my_relaxed_sample(alpha, tau, generator)`:
# `alpha` is an `(edges, operations)` tensor, and the result has the same shape, one row of weights
# per edge. Draw the noise from `generator` as $G = -\log E$ with
# `E = torch.empty(alpha.shape).exponential_(generator=generator)`, so that a seed repeats a sample.
# The checker compares you with the library's own sampler, and with what any correct sampler must
# do: each operation wins the argmax with probability $\mathrm{softmax}(\alpha)_o$, and the samples
# get sharper as $\tau$ falls.

# %% tags=["nbval-skip"]
def my_relaxed_sample(alpha, tau, generator):
    """SNAS's relaxed sample of ``alpha`` (edges, operations): rows on the simplex, same shape."""
    raise NotImplementedError  # your code here


check_relaxed_sample(my_relaxed_sample)
