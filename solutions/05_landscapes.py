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
# # Solutions 05 · Smooth landscapes and accurate gradients
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/05_landscapes.ipynb)
#
# About 30 seconds on a CPU with the `tiny` preset (one tiny network is trained); no GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass


# %% [markdown]
# Worked solutions to the exercises of [lesson 05](../lessons/05_landscapes.ipynb). Each solution is
# checked by the same checker the lesson calls. Exercise 2 trains the lesson's wide network again
# (same preset, seed and settings).

# %%
import torch
import torch.nn.functional as F

from nascourse import config, data, exercises
from nascourse import genotypes as G
from nascourse import variants as V
from nascourse import landscape as L
from nascourse.train import build_network, make_train_config, train

preset = config.get_preset()
device = config.get_device()
config.seed_everything(0)

# %% [markdown]
# ## Exercise 1: filter normalisation
#
# Flatten each filter to a row (`reshape(len(d), -1)`), compute the row norms of the direction and of
# the weights, and scale each row by their ratio; broadcasting the `(n_filters,)` ratio back needs one
# trailing singleton dimension per remaining axis.

# %%
def my_filter_normalise(direction, weights):
    """Li et al.'s filter normalisation with biases and batch-norm parameters ignored."""
    out = []
    for d, w in zip(direction, weights):
        if w.dim() <= 1:
            out.append(torch.zeros_like(d))  # biases, BN gamma and beta: not moved
            continue
        ratio = w.reshape(len(w), -1).norm(dim=1) / (d.reshape(len(d), -1).norm(dim=1) + 1e-10)  # (n_filters,)
        out.append(d * ratio.reshape(-1, *([1] * (d.dim() - 1))))  # a new tensor: d is left as it was
    return out


exercises.check_filter_normalise(my_filter_normalise)

# %% [markdown]
# ## Exercise 2: gradient variance from the gradients
#
# Subtract the mean row, square, sum over the parameters, average over the batches.

# %%
def my_gradient_variance(grads):
    """(1/B) Σ_j ||g_j − ḡ||² for grads of shape (B, P)."""
    centred = grads - grads.mean(dim=0, keepdim=True)
    return float((centred ** 2).sum(dim=1).mean())


exercises.check_gradient_variance(my_gradient_variance)

# %% [markdown]
# On the lesson's wide network: one gradient per batch, in eval mode, stacked into a `(B, P)` tensor.

# %%
sizes = {"tiny": dict(epochs=3, train_images=2000)}.get(preset.name, dict(epochs=10))
train_config = make_train_config("darts", preset, auxiliary_weight=0.0, drop_path_max=0.0, **sizes)
cifar = data.load_dataset("cifar10")
net = train(build_network(V.widest_shallowest(G.DARTS_V2), train_config), train_config, seed=0, device=device,
            dataset=cifar, progress=False).network.eval()
images = {"tiny": 500}.get(preset.name, 2000)


def minibatch_gradients(net, batches):
    params = L.trainable(net)
    rows = []
    for x, y in batches:
        grads = torch.autograd.grad(F.cross_entropy(net(x)[0], y), params)
        rows.append(torch.cat([g.reshape(-1) for g in grads]).double())
    return torch.stack(rows)  # (B, P)


for b in (50, 25):
    batches = L.fixed_batches(cifar, images=images, batch_size=b, image_size=train_config.image_size, device=device)
    mine = my_gradient_variance(minibatch_gradients(net, batches))
    library = L.gradient_variance(net, batches).value
    print(f"b = {b}: my GV {mine:.5g}, landscape.gradient_variance {library:.5g}")

# %% [markdown]
# The two agree (the library accumulates in float64 with Welford's update; the rows here are float64
# too). Halving the batch size roughly doubles GV: a minibatch gradient is the mean of $b$ per-sample
# gradients, and the variance of a mean of $b$ independent terms is the per-sample variance divided by
# $b$. That is why GV is meaningless without its $b$, and why comparisons between cells use one $b$.
