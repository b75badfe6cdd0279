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
# # Solution · SNAS's relaxed Gumbel-softmax sample
#
# The worked solution of the instructors' guide's example (`snas_gumbel.py`).

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
# ## Exercise 1: SNAS's relaxed sample
#
# $-\log E$ with $E \sim \mathrm{Exponential}(1)$ is Gumbel(0, 1) noise. Add it to the
# log-probabilities, divide by the temperature, and normalise each edge's row.

# %%
def my_relaxed_sample(alpha, tau, generator):
    gumbel = -torch.empty(alpha.shape).exponential_(generator=generator).log()  # G ~ Gumbel(0, 1), (E, |O|)
    return F.softmax((F.log_softmax(alpha, dim=-1) + gumbel) / tau, dim=-1)  # over each edge's operations


# %%
ok = check_relaxed_sample(my_relaxed_sample)
assert ok
