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
# # Solutions 06 · Selecting the architecture
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/06_selection.ipynb)
#
# Runs in about 30 s on 2 CPU cores at the tiny preset (one tiny supernet is searched; an estimate from the
# lesson's own search); no GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass


# %% [markdown]
# Worked solutions to the exercises of [lesson 06](../lessons/06_selection.ipynb). Each solution is
# checked by the same checker the lesson calls. Exercise 1 searches the lesson's tiny DARTS supernet
# again (same preset, seed and settings).

# %%
import torch

from nascourse import config, data, exercises, select
from nascourse.batches import search_split
from nascourse.history import make_config
from nascourse.search import evaluate, search

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)

# %% [markdown]
# ## Exercise 1: how strong is each operation?
#
# Copy the weights once per operation, zero one entry, and score the copy. Nothing is renormalised:
# the edge's output loses that operation's term and keeps the others at their old scale. The result is
# ACC\o, DARTS-PT's selection measure: the lower it is, the more the supernet relied on the operation,
# the stronger the operation.

# %%
def my_operation_strength(accuracy, weights, edge):
    """[ACC\\o for every operation o of ``edge``]: the accuracy with o's weight set to 0 there."""
    out = []
    for o in range(weights.shape[1]):
        w = weights.clone()  # a copy: every candidate is removed from the same weights
        w[edge, o] = 0.0
        out.append(accuracy(w))
    return out


exercises.check_operation_strength(my_operation_strength)

# %% [markdown]
# On the lesson's tiny supernet. The library skips the evaluation for an operation whose weight is
# already 0 (removing it changes nothing); with softmax weights every operation is evaluated, so the
# two agree exactly.

# %%
cifar = data.load_dataset("cifar10")
images = 2048 if preset.name == "tiny" else preset.search_images
cfg = make_config("darts1", "nb201", preset, epochs=4, search_images=images)
supernet = search(cfg, seed=0, device=device, dataset=cifar, progress=False).supernet
_, val_loader = search_split(cifar, cfg.batch_size, cfg.image_size, cfg.search_images, device, 0)
eval_batches = val_loader.plain_batches(8)
weights = select.projected_weights(supernet)
for edge in (0, 5):
    mine = my_operation_strength(lambda w: evaluate(supernet, eval_batches, [w])[1], weights[0], edge)
    library = select.operation_strength(supernet, eval_batches, weights, 0, edge)
    print(f"edge {edge}: mine {[round(a, 4) for a in mine]}, library {[round(a, 4) for a in library]}, "
          f"equal: {mine == library}")

# %% [markdown]
# DARTS-PT's own definition of operation strength is the accuracy of the supernet discretised to the
# operation (the edge one-hot), after fine-tuning to convergence. Without the fine-tuning it is one line
# more, and the checker accepts it too. Do the two measures pick the same operation on the six edges?

# %%
def discretisation_accuracy(accuracy, weights, edge):
    """[accuracy with ``edge`` made one-hot at o, for every operation o]: higher = stronger (no fine-tuning)."""
    out = []
    for o in range(weights.shape[1]):
        w = weights.clone()
        w[edge] = torch.nn.functional.one_hot(torch.tensor(o), weights.shape[1]).to(w)
        out.append(accuracy(w))
    return out


exercises.check_operation_strength(discretisation_accuracy)
ops = supernet.ops
score = lambda w: evaluate(supernet, eval_batches, [w])[1]  # noqa: E731
same = 0
for edge in range(weights[0].shape[0]):
    removed = my_operation_strength(score, weights[0], edge)
    discretised = discretisation_accuracy(score, weights[0], edge)
    by_removal = ops[min(range(len(ops)), key=lambda o: (removed[o], o))]
    by_discretising = ops[max(range(len(ops)), key=lambda o: (discretised[o], -o))]
    same += by_removal == by_discretising
    print(f"edge {edge}: removal picks {by_removal:13s} discretisation picks {by_discretising:13s} "
          f"(accuracies one-hot: {[round(100 * a, 1) for a in discretised]})")
print(f"the two measures agree on {same} of {weights[0].shape[0]} edges")

# %% [markdown]
# Discretising an edge of a supernet trained as a mixture changes its output far more than removing one
# of five terms does, and without fine-tuning the rest of the supernet has not adapted to it: that is why
# DARTS-PT fine-tunes before it trusts a discretisation accuracy, and why its selection uses the cheaper
# removal measure instead. On this barely trained supernet the two pick the same operation on 2 of the 6
# edges, and on three edges the one-hot edge that scores best is `none`, the edge cut altogether.

# %% [markdown]
# ## Exercise 2: the optimal skip weight, without assuming independence
#
# The error of the mixed output is $(o - m) + p\,(x - o)$, linear in $p$. With $d = x - o$ and
# $r = o - m$, the mean of $(r + p\,d)^2$ is smallest at $p = -\langle r, d\rangle / \langle d, d\rangle$;
# the softmax keeps $p$ in $[0, 1]$, and a quadratic in one variable is minimised over an interval by
# clipping its unconstrained minimum.

# %%
def my_optimal_skip_weight(x, o, m):
    """The p_skip in [0, 1] minimising mean((p x + (1 - p) o - m)²)."""
    d, r = x - o, o - m
    p = -float((r * d).sum() / (d * d).sum())
    return min(1.0, max(0.0, p))


exercises.check_optimal_skip_weight(my_optimal_skip_weight)

# %%
gen = torch.Generator().manual_seed(0)
m_star = torch.randn(20_000, generator=gen, dtype=torch.float64)
o_out = m_star + 0.5 * torch.randn(20_000, generator=gen, dtype=torch.float64)
for s in (1.0, 0.5, 0.15):
    x_in = m_star + s * torch.randn(20_000, generator=gen, dtype=torch.float64)
    print(f"input error sd {s:.2f}: optimal p_skip {my_optimal_skip_weight(x_in, o_out, m_star):.3f}, "
          f"independent-error formula {0.25 / (s ** 2 + 0.25):.3f}")
x_in = m_star + 0.3 * torch.randn(20_000, generator=gen, dtype=torch.float64)
o_copy = m_star + 2 * (x_in - m_star)  # a convolution that doubles the input's error
print(f"conv repeating the input's error twice as large: optimal p_skip {my_optimal_skip_weight(x_in, o_copy, m_star):.3f}")

# %% [markdown]
# With independent errors the general answer matches section 3's formula up to the samples'
# chance correlation. When the convolution only amplifies the input's error, the best unconstrained
# mixture would put weight 2 on the skip connection and -1 on the convolution, so that the errors
# cancel; on the simplex the edge takes skip alone ($p = 1$) and α would declare the convolution
# useless. Here it is useless, but the same α would appear for a convolution that is merely noisier
# than an already good input: α compares errors, it does not price what an operation adds once the
# others are gone. That is the gap the strength of exercise 1 measures directly.
