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
# # Lesson 03 · Hypergradients
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/lessons/03_hypergradients.ipynb)
#
# Runs in about 20 s on 2 CPU cores at the `tiny` preset (21 s in the browser test); the `colab` preset is sized for about 10
# minutes on a Colab T4 GPU. No GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# ## Learning goals
#
# A differentiable search updates the architecture $\alpha$ with the gradient of the validation
# loss *after* the weights have been trained for that $\alpha$: a **hypergradient**. Nobody can
# afford it exactly for a network, and the algorithms of this course differ mainly in how they
# approximate it. After this lesson you can
#
# 1. write the hypergradient of a bilevel problem with the **implicit function theorem**, and
#    derive it in closed form for a small problem (ridge regression with a learned regulariser);
# 2. state the estimators side by side, each as an equation: **first-order DARTS**, **unrolled
#    (second-order) DARTS** with its finite-difference mixed term, the **Neumann series** of
#    iDARTS, **conjugate gradients**, and the **exact** solve;
# 3. explain why the Neumann error falls geometrically with the number of terms $K$, at the rate
#    $\rho = \max_i |1 - \gamma\lambda_i(H)|$, and why it diverges when $\gamma > 2/\lambda_{\max}$;
# 4. explain why every implicit estimator degrades when the weights are not at the inner optimum,
#    so that more terms do not help beyond a point;
# 5. count what each estimator costs in gradients and Hessian-vector products, and see the cost on
#    a real supernet search (DARTS first order, DARTS second order, iDARTS on NAS-Bench-201).

# %%
import contextlib
import math
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from nascourse import batches, bench, config, data, evidence, exercises, plot
from nascourse.history import make_config
from nascourse.hypergrad import hessian_vector_product, hypergradient  # the first is for exercise 1
from nascourse.search import search

preset = config.get_preset()  # tiny on a CPU, colab on a GPU, or $NASCOURSE_PRESET
device = config.get_device()  # cuda when there is a GPU, else cpu, or $NASCOURSE_DEVICE
config.seed_everything(0)
print(f"preset: {preset.name}, device: {device}")

# %% [markdown]
# ## 1. The hypergradient of a bilevel problem
#
# Differentiable NAS (DARTS: Liu et al., ICLR 2019) solves a **bilevel** problem: the weights $w$
# minimise the training loss for a given architecture $\alpha$, and $\alpha$ minimises the
# validation loss of those trained weights,
#
# $$\min_\alpha F(\alpha) = L_{\rm val}(w^*(\alpha), \alpha)
# \qquad\text{subject to}\qquad w^*(\alpha) = \arg\min_w L_{\rm train}(w, \alpha).$$
#
# By the chain rule, the gradient of $F$ (the **hypergradient**) has a direct part and a part that
# goes through the trained weights:
#
# $$\nabla_\alpha F = \underbrace{\nabla_\alpha L_{\rm val}}_{g_\alpha}
# + \Big(\frac{d w^*}{d\alpha}\Big)^{\!\top} \underbrace{\nabla_w L_{\rm val}}_{g_w}.$$
#
# The hard part is $dw^*/d\alpha$: how the trained weights move when the architecture changes.
# At the inner optimum the training gradient vanishes, $\nabla_w L_{\rm train}(w^*(\alpha), \alpha) = 0$,
# for every $\alpha$. Differentiating this identity with respect to $\alpha$ gives
# $H\, \frac{dw^*}{d\alpha} + \nabla^2_{w\alpha} L_{\rm train} = 0$, so (the **implicit function
# theorem**, IFT)
#
# $$\frac{dw^*}{d\alpha} = -H^{-1} \nabla^2_{w\alpha} L_{\rm train},
# \qquad\text{hence}\qquad
# \boxed{\nabla_\alpha F = g_\alpha - M H^{-1} g_w}$$
#
# with, all evaluated at $(w^*, \alpha)$ ($n$ weights, $n_\alpha$ architecture parameters):
#
# | symbol | meaning | shape |
# |---|---|---|
# | $H = \nabla^2_{ww} L_{\rm train}$ | the weight Hessian of the training loss | $n \times n$ |
# | $M = \nabla^2_{\alpha w} L_{\rm train}$ | the mixed second derivative: row $i$ is $\partial(\nabla_w L_{\rm train})/\partial\alpha_i$ | $n_\alpha \times n$ |
# | $g_w = \nabla_w L_{\rm val}$, $g_\alpha = \nabla_\alpha L_{\rm val}$ | validation gradients | $n$, $n_\alpha$ |
#
# For a network, $n$ is in the millions: $H$ cannot even be stored, let alone inverted. Every
# estimator below replaces $H^{-1} g_w$ by something cheaper, and uses only **Hessian-vector
# products** $Hv$ and **mixed products** $Mv$, each of which costs about one extra backward pass
# (differentiate $\langle \nabla_w L_{\rm train}, v\rangle$ once more: "double backprop").

# %% [markdown]
# ## 2. A bilevel problem with a closed form: ridge regression with learned regularisation
#
# To measure how good an estimator is we need the true hypergradient. Here is a problem small
# enough to solve exactly, yet with the same structure as a search: the "architecture" $\alpha$
# sets one regularisation strength $e^{\alpha_i}$ per feature, the "weights" are the regression
# coefficients, and $\alpha$ is judged on held-out data.
#
# $$L_{\rm train}(w, \alpha) = \frac{1}{2n}\|X_{\rm tr} w - y_{\rm tr}\|^2 + \frac12 \sum_i e^{\alpha_i} w_i^2,
# \qquad
# L_{\rm val}(w) = \frac{1}{2m}\|X_{\rm val} w - y_{\rm val}\|^2 .$$
#
# The training loss is quadratic in $w$, so everything is explicit:
#
# * Hessian: $H = X_{\rm tr}^\top X_{\rm tr}/n + \mathrm{diag}(e^{\alpha})$ (it does not depend on $w$);
# * inner optimum: $\nabla_w L_{\rm train} = 0 \iff w^*(\alpha) = H^{-1} X_{\rm tr}^\top y_{\rm tr}/n$;
# * mixed term: $\partial(\nabla_w L_{\rm train})_j / \partial\alpha_i = \delta_{ij}\, e^{\alpha_i} w_i$,
#   so $M = \mathrm{diag}(e^{\alpha} \odot w)$;
# * $L_{\rm val}$ does not depend on $\alpha$: $g_\alpha = 0$ and $g_w = X_{\rm val}^\top (X_{\rm val} w^* - y_{\rm val})/m$.
#
# The IFT formula then gives the exact hypergradient in one line:
#
# $$\nabla_\alpha F(\alpha) = -\big(e^{\alpha} \odot w^*\big) \odot H^{-1} g_w .$$
#
# We use 8 features with different scales (so that $H$ is not too well conditioned), 40 training
# and 40 validation examples, and float64 throughout, so that errors down to $10^{-15}$ are visible.

# %%
f64 = torch.float64
g = torch.Generator().manual_seed(0)
D, n, m = 8, 40, 40  # features, training and validation examples
scales = torch.logspace(0.25, -0.25, D, dtype=f64)  # feature scales 1.8 ... 0.56
w_true = torch.randn(D, generator=g, dtype=f64)
X_tr = torch.randn(n, D, generator=g, dtype=f64) * scales  # (n, D)
y_tr = X_tr @ w_true + 0.5 * torch.randn(n, generator=g, dtype=f64)
X_val = torch.randn(m, D, generator=g, dtype=f64) * scales  # (m, D)
y_val = X_val @ w_true + 0.5 * torch.randn(m, generator=g, dtype=f64)
alpha0 = math.log(0.3) + 0.5 * torch.randn(D, generator=g, dtype=f64)  # regularisers e^α around 0.3


def L_train(w, alpha):
    return 0.5 * ((X_tr @ w - y_tr) ** 2).mean() + 0.5 * (alpha.exp() * w**2).sum()


def L_val(w, alpha):
    return 0.5 * ((X_val @ w - y_val) ** 2).mean()


def hessian(alpha):  # H = X_trᵀX_tr/n + diag(e^α), shape (D, D)
    return X_tr.T @ X_tr / n + torch.diag(alpha.exp())


def inner_optimum(alpha):  # w*(α) = H⁻¹ X_trᵀ y_tr / n
    return torch.linalg.solve(hessian(alpha), X_tr.T @ y_tr / n)


def exact_hypergradient(alpha):  # ∇F = −(e^α ⊙ w*) ⊙ H⁻¹ g_w
    w = inner_optimum(alpha)
    g_w = X_val.T @ (X_val @ w - y_val) / m
    return -(alpha.exp() * w) * torch.linalg.solve(hessian(alpha), g_w)


# Check the formula against autograd *through the solve*: F(α) = L_val(w*(α)) differentiated directly.
a = alpha0.clone().requires_grad_()
autograd_hypergradient = torch.autograd.grad(L_val(inner_optimum(a), a), a)[0]
true_grad = exact_hypergradient(alpha0)
print("closed form:          ", np.round(true_grad.numpy(), 4))
print("autograd through solve:", np.round(autograd_hypergradient.numpy(), 4))
assert torch.allclose(true_grad, autograd_hypergradient, rtol=1e-12, atol=1e-15)

# %% [markdown]
# The two agree to machine precision: the IFT formula is exactly the derivative of
# $F(\alpha) = L_{\rm val}(w^*(\alpha))$. Autograd through `torch.linalg.solve` is only possible
# because we can solve the inner problem exactly; in a search the inner problem is a network
# trained by SGD, and there is nothing to differentiate through but the training steps.
#
# Now we set the problem up the way a search sees it: leaf tensors `w` and `alpha`, and two
# zero-argument loss callables that read their current values. That is the interface of
# `nascourse.hypergrad.hypergradient(train_loss, val_loss, weights, arch, method, lr=..., ...)`,
# which the search loops call once per architecture step. We put $w$ at the inner optimum.

# %%
w = inner_optimum(alpha0).clone().requires_grad_()  # weights at w*(α)
alpha = alpha0.clone().requires_grad_()


def train_loss():
    return L_train(w, alpha)


def val_loss():
    return L_val(w, alpha)


def estimate(method, **options):
    """One hypergradient estimate at the current (w, α), as a (D,) tensor."""
    options.setdefault("lr", None)
    return hypergradient(train_loss, val_loss, [w], [alpha], method, **options)[0]


def rel_error(estimate_):
    """‖estimate − ∇F‖ / ‖∇F‖ against the exact hypergradient at the current α."""
    return float((estimate_ - true_grad).norm() / true_grad.norm())


# %% [markdown]
# ## 3. Five estimators
#
# Each estimator below is one `method` of `hypergradient`. Write $\xi$ or $\gamma$ for the
# weight learning rate that DARTS and iDARTS use as a step size.
#
# **First order** (DARTS first order, `"first_order"`). Pretend the weights do not depend on
# $\alpha$: $\;\nabla_\alpha F \approx g_\alpha = \nabla_\alpha L_{\rm val}(w, \alpha)$.
# One gradient. In our ridge problem $L_{\rm val}$ does not depend on $\alpha$ at all, so this
# estimate is exactly zero: everything $\alpha$ does, it does through $w^*$. (In a supernet $\alpha$
# also enters $L_{\rm val}$ directly, through the mixing weights, so first order is not blind there;
# it only ignores the path through $w$.)
#
# **Unrolled** (DARTS second order, `"unrolled"`; Liu et al., eqs. 6-8). Replace $w^*(\alpha)$ by one
# virtual SGD step $w' = w - \xi \nabla_w L_{\rm train}(w, \alpha)$ and differentiate through it:
#
# $$\nabla_\alpha F \approx \nabla_\alpha L_{\rm val}(w', \alpha) - \xi\, \nabla^2_{\alpha w} L_{\rm train}(w, \alpha)\, v,
# \qquad v = \nabla_{w'} L_{\rm val}(w', \alpha).$$
#
# The mixed term is not formed by double backprop in DARTS but by a **central finite difference**
# of the $\alpha$-gradient of the training loss, at the original $w$:
#
# $$\nabla^2_{\alpha w} L_{\rm train}(w, \alpha)\, v \approx
# \frac{\nabla_\alpha L_{\rm train}(w + \epsilon v, \alpha) - \nabla_\alpha L_{\rm train}(w - \epsilon v, \alpha)}{2\epsilon},
# \qquad \epsilon = \frac{0.01}{\|v\|_2}.$$
#
# Cost: one training gradient (for $w'$), one validation gradient at $w'$, and two gradients for
# the difference. (In a search the virtual step also includes SGD's momentum and weight decay.)
#
# **Implicit function theorem** (`"neumann"`, `"cg"`, `"exact"`). Use the boxed formula of section 1
# at the current $w$, assuming it is the inner optimum. The three methods differ only in how
# they get $x \approx H^{-1} g_w$:
#
# * **Neumann series** (iDARTS: Zhang et al., ICML 2021; also Lorraine et al., AISTATS 2020). For
#   $0 < \gamma < 2/\lambda_{\max}(H)$, $\;H^{-1} = \gamma \sum_{k \ge 0} (I - \gamma H)^k$;
#   truncate after $K+1$ terms:
#   $$\nabla_\alpha F \approx g_\alpha - \gamma\, M \sum_{k=0}^{K} (I - \gamma H)^k g_w .$$
#   Each extra term costs one Hessian-vector product: $v_k = v_{k-1} - \gamma H v_{k-1}$. The
#   official iDARTS code uses $K = 2$ and $\gamma$ = the weight learning rate, and forms $M s$ by the
#   same finite difference as DARTS. With $K = 0$ and $\gamma = \xi$ this is DARTS's second-order
#   formula evaluated without the virtual step.
# * **Conjugate gradients** (as in implicit MAML: Rajeswaran et al., NeurIPS 2019): solve
#   $H x = g_w$ iteratively, one Hessian-vector product per iteration; for $H$ positive definite
#   it is exact (in exact arithmetic) after at most $n$ iterations.
# * **Exact**: build the dense $n \times n$ Hessian ($n$ Hessian-vector products, one per row) and
#   solve. Only for tiny problems; here it is the reference that the others are measured against.
#
# We take $\gamma = \xi = 1/\lambda_{\max}(H)$, a safe step size for this problem (section 4 says
# why). Every estimate is compared with the closed form of section 2.

# %%
lam = torch.linalg.eigvalsh(hessian(alpha0))  # eigenvalues of H, ascending
gamma = 1.0 / float(lam.max())  # γ = ξ = 1/λ_max

Ks = list(range(31))
neumann_errors = [rel_error(estimate("neumann", lr=gamma, K=K)) for K in Ks]
other_errors = {
    "first_order": rel_error(estimate("first_order")),
    "unrolled": rel_error(estimate("unrolled", lr=gamma)),
    "cg": rel_error(estimate("cg")),
    "exact": rel_error(estimate("exact")),
}

# %%
# NBVAL_CHECK_OUTPUT
print("relative error against the exact hypergradient, at the inner optimum")
for K in (0, 1, 2, 5, 10, 20):
    print(f"  neumann K={K:<3d}   {neumann_errors[K]:.2g}")
for name, err in other_errors.items():
    print(f"  {name:<14s}  {'< 1e-12' if err < 1e-12 else f'{err:.2g}'}")

# %% [markdown]
# ## 4. Figure 1: the Neumann error against $K$
#
# Why should the error fall with $K$, and how fast? Multiply the truncated sum by $H$: the sum
# telescopes, $\gamma \sum_{k=0}^{K}(I-\gamma H)^k H = I - (I-\gamma H)^{K+1}$. So the truncation
# leaves out exactly
#
# $$H^{-1} - \gamma \sum_{k=0}^{K}(I-\gamma H)^k = (I-\gamma H)^{K+1} H^{-1},
# \qquad
# \text{error}_K = \big\|M\,(I-\gamma H)^{K+1} H^{-1} g_w\big\|
# \le \|M\|\,\|H^{-1} g_w\|\,\rho^{K+1},$$
#
# where $\rho = \max_i |1 - \gamma\lambda_i(H)|$ is the spectral radius of $I - \gamma H$. The error
# shrinks **geometrically**, by a factor $\rho$ per Hessian-vector product, and only if $\rho < 1$,
# that is $0 < \gamma < 2/\lambda_{\max}$. With $\gamma = 1/\lambda_{\max}$,
# $\rho = 1 - \lambda_{\min}/\lambda_{\max} = 1 - 1/\kappa$: the worse conditioned $H$ (large
# condition number $\kappa$), the slower the series.

# %%
# NBVAL_CHECK_OUTPUT
rho = float((1 - gamma * lam).abs().max())  # spectral radius of I − γH
M = torch.diag(alpha0.exp() * w.detach())  # the mixed term of the ridge problem
g_w = X_val.T @ (X_val @ w.detach() - y_val) / m
bound_scale = float(torch.linalg.matrix_norm(M, 2) * torch.linalg.solve(hessian(alpha0), g_w).norm()
                    / true_grad.norm())
bound = [bound_scale * rho ** (K + 1) for K in Ks]  # predicted: ‖M‖‖H⁻¹g_w‖ρ^(K+1) / ‖∇F‖
print("eigenvalues of H:", np.array2string(lam.numpy(), precision=3))
print(f"condition number {float(lam.max() / lam.min()):.3g}, gamma = 1/lambda_max = {gamma:.3g}, rho = {rho:.3g}")

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.2))
ax.semilogy(Ks, neumann_errors, "o-", ms=4, color="#1f77b4", label="Neumann (iDARTS), terms k = 0..K")
ax.semilogy(Ks, bound, "--", color="#1f77b4", alpha=0.6, label=r"bound $\propto \rho^{K+1}$, $\rho$ = %.3f" % rho)
ax.axhline(other_errors["first_order"], color="#7f7f7f", lw=1.5, ls="-.", label="first order (returns 0 here)")
ax.axhline(other_errors["unrolled"], color="#d62728", lw=1.5, label="unrolled (DARTS 2nd order)")
ax.set(xlabel="K (Hessian-vector products)", ylabel="relative error", ylim=(2e-3, 2),
       title="Hypergradient error at the inner optimum (ridge problem, float64)")
ax.text(0.02, 0.04, f"conjugate gradients and exact solve: {other_errors['cg']:.0e} and "
        f"{other_errors['exact']:.0e}, far below this axis", transform=ax.transAxes, fontsize=8, color="#2ca02c")
ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 0.08))
ax.grid(alpha=0.3)
plt.show()

# %%
errors = np.array(neumann_errors)
assert np.all(np.diff(errors) < 0), "the Neumann error should fall with every extra term"
assert np.all(errors <= np.array(bound) * (1 + 1e-9)), "the geometric bound should hold for every K"
assert other_errors["cg"] < 1e-12 and other_errors["exact"] < 1e-12
assert other_errors["first_order"] == 1.0  # the zero vector: relative error exactly 1
assert abs(other_errors["unrolled"] - neumann_errors[0]) < 1e-12  # at w*, unrolled = Neumann with K = 0
late_rate = (errors[30] / errors[20]) ** (1 / 10)  # observed factor per term over the last ten terms
print(f"observed error ratio per extra term (K = 20..30): {late_rate:.3f}; predicted rho: {rho:.3f}")
assert late_rate <= rho + 1e-9 and late_rate > rho - 0.05

# %% [markdown]
# ### What did we see
#
# * **First order** has relative error exactly 1: it returns zero, because in this problem
#   $\alpha$ acts on the validation loss only through the trained weights.
# * **Unrolled DARTS** lands exactly on the Neumann point $K = 0$. At the inner optimum the virtual
#   step does nothing ($\nabla_w L_{\rm train} = 0$, so $w' = w$), and what remains is
#   $g_\alpha - \xi M g_w$: the Neumann series cut after its first term. Its relative error here is 0.76.
#   The finite-difference mixed term adds nothing to that error: $\nabla_\alpha L_{\rm train}$ is
#   quadratic in $w$, and a central difference is exact for a quadratic.
# * **Neumann** improves with every term, on a straight line in the log plot, as the bound predicts:
#   over the last ten terms the error falls by a factor close to $\rho \approx 0.86$ per term, the
#   slope set by the smallest eigenvalue of $H$. iDARTS's $K = 2$ still leaves about half of the
#   error here; reaching 1 % takes about 25 terms at this condition number ($\kappa \approx 7$). A
#   network's Hessian is far worse conditioned, so a few terms capture only the directions of
#   largest curvature.
# * **Conjugate gradients** and the **exact** solve are at machine precision: with 8 weights, CG
#   is exact after at most 8 Hessian-vector products.

# %% [markdown]
# ## 5. Figure 2: away from the inner optimum
#
# All three implicit estimators use the IFT formula, which is derived from
# $\nabla_w L_{\rm train}(w, \alpha) = 0$. In a search that never holds: the weights have had a
# few SGD steps since $\alpha$ last changed (iDARTS takes $T$ weight steps per architecture step,
# $T = 1$ in its NAS-Bench-201 run). What happens to each estimator when $w$ is not at $w^*$?
#
# We move the weights along a fixed random unit direction $d$, $w = w^* + t\,d$, and compare every
# estimate with the true hypergradient $\nabla_\alpha F(\alpha)$, which depends on $\alpha$ only.
# The IFT estimators now compute $g_\alpha - M(w) H^{-1} g_w(w)$ at the wrong point: $M$ and $g_w$
# both change linearly with $w$ here, so we expect an error that grows linearly with $t$ while $t$
# is small (and faster later: their product is quadratic in $w$), however accurately $H^{-1}g_w$ is
# solved. In the right panel we sweep $K$ again at a few distances.

# %%
w_star = inner_optimum(alpha0)
d = torch.randn(D, generator=torch.Generator().manual_seed(1), dtype=f64)
d = d / d.norm()  # a fixed random unit direction
distances = np.logspace(-4, 0, 17) * float(w_star.norm())  # t from 0.01 % to 100 % of ‖w*‖
curves_t = {"first order": [], "unrolled": [], "Neumann K=2": [], "Neumann K=20": [], "conjugate gradients": []}
for t in distances:
    with torch.no_grad():
        w.copy_(w_star + t * d)  # move the leaf tensor that the loss callables read
    curves_t["first order"].append(rel_error(estimate("first_order")))
    curves_t["unrolled"].append(rel_error(estimate("unrolled", lr=gamma)))
    curves_t["Neumann K=2"].append(rel_error(estimate("neumann", lr=gamma, K=2)))
    curves_t["Neumann K=20"].append(rel_error(estimate("neumann", lr=gamma, K=20)))
    curves_t["conjugate gradients"].append(rel_error(estimate("cg", tol=1e-12)))

sweep_distances = [0.0, 0.003, 0.03, 0.3]  # as fractions of ‖w*‖
sweep = {}
for frac in sweep_distances:
    with torch.no_grad():
        w.copy_(w_star + frac * float(w_star.norm()) * d)
    sweep[frac] = [rel_error(estimate("neumann", lr=gamma, K=K)) for K in Ks]
with torch.no_grad():
    w.copy_(w_star)  # back to the inner optimum

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.4))
colors = {"first order": "#7f7f7f", "unrolled": "#d62728", "Neumann K=2": "#1f77b4",
          "Neumann K=20": "#17becf", "conjugate gradients": "#2ca02c"}
x = distances / float(w_star.norm())
for name, errs in curves_t.items():
    ax1.loglog(x, errs, "o-", ms=3, color=colors[name], label=name)
ax1.set(xlabel=r"distance from the inner optimum, $t / \|w^*\|$", ylabel="relative error",
        title=r"Estimators at $w = w^* + t\,d$")
ax1.legend(fontsize=8)
ax1.grid(alpha=0.3, which="both")
for frac, color in zip(sweep_distances, ["#1f77b4", "#9467bd", "#ff7f0e", "#8c564b"]):
    ax2.semilogy(Ks, sweep[frac], "o-", ms=3, color=color, label=f"t = {frac:g} ‖w*‖")
ax2.set(xlabel="K (Hessian-vector products)", ylabel="relative error",
        title="Neumann error against K, at four distances")
ax2.legend(fontsize=8)
ax2.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %%
cg_err = np.array(curves_t["conjugate gradients"])
assert np.all(np.diff(cg_err) > 0), "the IFT error should grow with the distance from w*"
# linear growth: 10x the distance, about 10x the error (while the error is small)
assert 8 < cg_err[4] / cg_err[0] < 12 and 8 < cg_err[8] / cg_err[4] < 12
assert cg_err[0] < curves_t["Neumann K=2"][0] / 100  # close to w*, solving accurately pays off ...
assert cg_err[-1] > curves_t["unrolled"][-1]  # ... far from it, the exact solve is no better than one step
# more terms stop helping: at 30 % of ‖w*‖ the sweep flattens at the IFT-at-w error
assert sweep[0.3][-1] > 0.5 * sweep[0.3][10]
assert sweep[0.0][-1] < 0.01 * sweep[0.0][0]
print("IFT (CG) error at 1 %, 10 %, 100 % of ||w*||:", np.round(cg_err[[8, 12, 16]], 3))

# %% [markdown]
# ### What did we see
#
# * **Left.** The error of conjugate gradients (an exact solve of the IFT formula) grows in
#   proportion to the distance, ten times farther, ten times the error, and faster still at large
#   distances. Close to the optimum it beats everything by orders of magnitude; at 10 % of
#   $\|w^*\|$ it is already off by about a quarter, and at 100 % it is far worse than the unrolled
#   estimate. Solving $H^{-1}g_w$ precisely does not help when $M$ and $g_w$ are taken at the wrong
#   weights.
# * Neumann with $K = 2$ and unrolled DARTS hardly notice the distance until it is large: their
#   truncation error (0.49 and 0.76 at the optimum, in the table above) dominates. First order stays at 1 (zero estimate).
# * **Right.** At the optimum the Neumann error keeps falling with $K$; at a distance it falls
#   until it meets the error of the IFT formula at that $w$, then flattens. Past that $K$, extra
#   Hessian-vector products buy nothing. This is the trade-off behind iDARTS's two knobs: $T$ (inner
#   weight steps, which bring $w$ closer to $w^*$) and $K$ (Neumann terms). It is only worth raising
#   $K$ when the weights are close enough to their optimum for the implicit formula to hold.
#
# For a supernet the picture is worse: its training loss is not quadratic, SGD never reaches a
# minimum, and $H$ may have negative eigenvalues, where the Neumann series diverges. iDARTS's
# convergence analysis needs assumptions that a small search does not meet; the estimator still
# works as a *direction* for $\alpha$, which is what the search needs.

# %% [markdown]
# ## 6. What each estimator costs
#
# Every gradient, Hessian-vector product and mixed product in `nascourse.hypergrad` is one call of
# `torch.autograd.grad`, that is, one backward pass; every call of a loss callable is one forward
# pass. So we can count the cost by wrapping both. (A backward pass through a graph built for
# double backprop costs roughly two to three plain ones, so an HVP is the expensive unit.)

# %%
@contextlib.contextmanager
def counting_backward_passes():
    """Count calls of torch.autograd.grad (each one is a backward pass) inside the block."""
    counts = {"backward": 0}
    original = torch.autograd.grad

    def counted(*args, **kwargs):
        counts["backward"] += 1
        return original(*args, **kwargs)

    torch.autograd.grad = counted
    try:
        yield counts
    finally:
        torch.autograd.grad = original


def cost(method, **options):
    """(forward passes, backward passes) of one hypergradient estimate on the ridge problem."""
    forward = {"n": 0}

    def counted(loss):
        def wrapped():
            forward["n"] += 1
            return loss()
        return wrapped

    options.setdefault("lr", None)
    with counting_backward_passes() as counts:
        hypergradient(counted(train_loss), counted(val_loss), [w], [alpha], method, **options)
    return forward["n"], counts["backward"]


runs = {
    "first order": ("first_order", {}, "1 gradient of L_val"),
    "unrolled": ("unrolled", {"lr": gamma}, "1 (w') + 1 (at w') + 2 (finite difference)"),
    "Neumann K=2": ("neumann", {"lr": gamma, "K": 2}, "1 + 1 (kept graph) + K HVPs + 2 (finite difference)"),
    "Neumann K=20": ("neumann", {"lr": gamma, "K": 20}, "1 + 1 (kept graph) + K HVPs + 2 (finite difference)"),
    "conjugate gradients": ("cg", {}, "1 + 1 (kept graph) + iterations x HVP + 2 (exact M x)"),
    "exact": ("exact", {}, f"1 + 1 (kept graph) + n = {D} HVPs (rows of H) + 2 (M x) + a solve"),
}
counted_costs = {name: cost(method, **options) for name, (method, options, _) in runs.items()}

# %%
# NBVAL_CHECK_OUTPUT
print(f"{'method':<20s} {'forward':>7s} {'backward':>8s}   where the backward passes go")
for name, (method, options, how) in runs.items():
    forward, backward = counted_costs[name]
    print(f"{name:<20s} {forward:>7d} {backward:>8d}   {how}")
print(f"conjugate gradients used {counted_costs['conjugate gradients'][1] - 4} iterations for n = {D} weights")

# %% [markdown]
# The counts follow the formulas: first order costs one backward pass; unrolled four; Neumann
# $K + 4$; CG four plus one per iteration; the exact solve four plus $n$, plus an $O(n^3)$ solve that
# is hopeless for a network. What grows with the problem is the number of Hessian-vector products:
# $K$ for Neumann, the iteration count for CG (up to $n$, and in practice many more on an
# ill-conditioned Hessian), $n$ for the dense solve.
#
# Wall time on this toy problem mostly measures Python overhead (each pass is a few
# microseconds of arithmetic); it is shown for completeness, not compared between machines.

# %%
def seconds_per_call(method, repeats=20, **options):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        estimate(method, **options)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


for name, (method, options, _) in runs.items():
    print(f"{name:<20s} {1e3 * seconds_per_call(method, **options):6.2f} ms per estimate")

# %% [markdown]
# ## 7. The estimators on a supernet
#
# Now the real thing: the NAS-Bench-201 supernet (Dong & Yang, ICLR 2020; a cell of 4 nodes and 6
# edges, 5 candidate operations per edge) on CIFAR-10. First, **one** architecture step: we train
# a supernet with a short first-order search, then ask the three estimators of the search loops
# for the hypergradient on the same pair of minibatches. They are stochastic estimates now
# ($L_{\rm train}$ and $L_{\rm val}$ on one batch each) and $w$ is far from any optimum, so there is
# no exact answer to compare with; we compare them with each other, and time them.

# %%
dataset = data.load_dataset("cifar10")
configs = {method: make_config(method, "nb201", preset) for method in ("darts1", "darts2", "idarts")}
results = {"darts1": search(configs["darts1"], seed=0, device=device, dataset=dataset)}
supernet = results["darts1"].supernet

cfg = configs["darts1"]
train_loader, val_loader = batches.search_split(dataset, cfg.batch_size, cfg.image_size, cfg.search_images,
                                             device, seed=0)
(x_tr, y_tr), (x_val, y_val) = next(iter(train_loader)), next(iter(val_loader))
weights, arch = supernet.weight_parameters(), supernet.arch_parameters()
lr = results["darts1"].history[-1]["lr"]  # the weight learning rate of the last epoch: ξ = γ


def supernet_estimate(method, **options):
    start = time.perf_counter()
    grads = hypergradient(lambda: F.cross_entropy(supernet(x_tr), y_tr),
                          lambda: F.cross_entropy(supernet(x_val), y_val),
                          weights, arch, method, lr=lr, **options)
    return grads[0].flatten(), time.perf_counter() - start


supernet_estimates = {
    "first order (darts1)": supernet_estimate("first_order"),
    "unrolled (darts2)": supernet_estimate("unrolled", momentum=0.0),
    "Neumann K=2 (idarts)": supernet_estimate("neumann", K=2),
}
reference, reference_seconds = supernet_estimates["first order (darts1)"]
print(f"one architecture step, NB201 supernet (C={cfg.C}, N={cfg.N}), xi = gamma = {lr:.3g}")
print(f"{'estimator':<22s} {'norm':>7s} {'cos to 1st order':>17s} {'seconds':>8s} {'x 1st order':>12s}")
cosines = {}
for name, (grad, seconds) in supernet_estimates.items():
    cosines[name] = float(F.cosine_similarity(grad, reference, dim=0))
    print(f"{name:<22s} {float(grad.norm()):7.3g} {cosines[name]:17.3f} {seconds:8.3f} "
          f"{seconds / reference_seconds:12.1f}")

# %%
assert all(0.5 < c < 0.9999 for name, c in cosines.items() if name != "first order (darts1)"), cosines

# %% [markdown]
# ### What did we see
#
# The second-order estimates point in nearly the same direction as the first-order one (cosine
# close to 1, but not 1), with a similar norm: at this learning rate ($\xi = \gamma \approx 0.007$ in
# the last epoch of the cosine schedule) the correction $\xi M v$ is small next to $g_\alpha$, which
# in a supernet is not zero. They cost much more: the unrolled estimate several first-order ones,
# Neumann with $K = 2$ about twice as much again, because each Hessian-vector product is a backward
# pass through a double-backprop graph. (Timings on a busy CPU are noisy; the ratios are the point.)
#
# Now the full searches, one per estimator, with the same seed (the same supernet initialisation
# and the same batches): DARTS first order (`darts1`), DARTS second order (`darts2`, unrolled with
# SGD's momentum and weight decay in the virtual step), and iDARTS (`idarts`, $T = 1$ weight step,
# then Neumann with $K = 2$, $\gamma$ = the weight learning rate). Each keeps its paper's settings
# on NAS-Bench-201 (`make_config(method, "nb201", preset)`): iDARTS trains the weights with a
# smaller learning rate than DARTS (both printed below). At the tiny preset a search is 3 epochs of 4
# steps on 512 CIFAR-10 images (256 for $w$, 256 for $\alpha$) of 16×16 pixels, and the
# architecture learning rate is raised tenfold so that $\alpha$ moves at all.

# %%
for method in ("darts2", "idarts"):
    results[method] = search(configs[method], seed=0, device=device, dataset=dataset)

steps = len(train_loader)
print(f"{cfg.epochs} epochs x {steps} steps on {cfg.search_images} images ({cfg.image_size}x{cfg.image_size} px)")
print("weight learning rate: " + ", ".join(f"{m} {c.w_lr:g}" for m, c in configs.items()))
print(f"{'method':<8s} {'s/epoch':>8s} {'x darts1':>9s} {'skip edges':>11s} {'max softmax(alpha)':>19s} "
      f"{'real acc (epoch 1 -> last)':>27s} {'mean |hypergrad|':>17s}   final genotype")
seconds = {m: float(np.mean(r.series("seconds"))) for m, r in results.items()}
tops = {m: max(max(row) for row in r.history[-1]["alpha"][0]) for m, r in results.items()}  # largest softmax(α)
for m, r in results.items():
    print(f"{m:<8s} {seconds[m]:8.2f} {seconds[m] / seconds['darts1']:9.1f} {r.history[-1]['skip_connect']:11d} "
          f"{tops[m]:19.3f} {r.history[0]['bench_cifar10_200']:13.2f}% -> {r.history[-1]['bench_cifar10_200']:.2f}%"
          f" {np.mean(r.series('hypergrad_norm')):17.3f}   {r.genotype_str}")

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.8))
plot.curves({m: r.series("hypergrad_norm") for m, r in results.items()}, ax=ax1,
            ylabel="mean ‖hypergradient‖", title="hypergradient norm per epoch")
plot.curves({m: r.series("seconds") for m, r in results.items()}, ax=ax2,
            ylabel="seconds", title="seconds per epoch")
plt.tight_layout()
plt.show()

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 3.8))
plot.curves({m: r.series("val_acc") for m, r in results.items()}, ax=ax1,
            ylabel="accuracy", title="supernet validation accuracy")
plot.curves({m: r.series("bench_cifar10_200") for m, r in results.items()}, ax=ax2, ylabel="CIFAR-10 test acc. (%)",
            title="real accuracy of each epoch's argmax cell (NAS-Bench-201)")
plt.tight_layout()
plt.show()

fig, axes = plt.subplots(1, 3, figsize=(15, 3.4))
for ax, (m, r) in zip(axes, results.items()):
    skips = r.history[-1]["skip_connect"]
    plot.draw_nb201_cell(r.genotype, ax=ax, title=f"{m}: {skips} skip edge{'' if skips == 1 else 's'}")
plt.show()

# %%
assert all(np.isfinite(r.series("hypergrad_norm")).all() and min(r.series("hypergrad_norm")) > 0
           for r in results.values())
assert seconds["darts2"] > seconds["darts1"] and seconds["idarts"] > seconds["darts1"], seconds
assert all(len(r.history) == cfg.epochs for r in results.values())
if preset.name == "tiny":  # a dozen alpha steps: every edge's mixing weights are still nearly uniform
    assert all(top < 0.22 for top in tops.values()), tops

# %% [markdown]
# ### What did we see
#
# * **Cost.** Second-order DARTS and iDARTS cost two to five times as much per epoch as first
#   order, depending on the machine and its load (the table gives the ratios of this run). Per
#   architecture step the ratio is larger still, as the single-step timing showed: an epoch also
#   holds the weight steps and an evaluation, which cost the same for all three.
# * **Hypergradient norms** are of the same size for the three methods (the table's last column,
#   as in the single-step comparison), and they change from epoch to epoch by as much as they differ between
#   methods: at this size the norm does not tell the estimators apart.
# * **Genotypes.** The three searches return different cells, but the largest mixing weight
#   $\mathrm{softmax}(\alpha)$ on any edge is barely above the uniform $1/5 = 0.2$: after a dozen
#   architecture steps the argmax on each edge is decided by tiny margins, and the differences
#   between the cells are noise, not a property of the estimators.
# * **Real accuracy.** NAS-Bench-201 gives each cell's accuracy after full training (the "real
#   acc" column and the right-hand curves). After so few steps it says more about where a nearly
#   uniform α's argmax happens to land than about the estimators. In the run shown here, the
#   iDARTS cell lost about 17 points between epochs 1 and 3 (from 92.42 % to 75.66 %: its last cell has
#   average pooling on five of six edges) while its supernet's accuracy rose every epoch: a
#   better supernet is no promise of a better argmax cell.
#
# **A tiny search cannot show iDARTS's claimed advantage.** The claim (iDARTS, Zhang et al.,
# ICML 2021) is that on NAS-Bench-201 its implicit hypergradient avoids the collapse of DARTS to
# an all-skip cell: in the benchmark authors' runs, first- and second-order DARTS return the
# all-skip cell for 3 of 3 seeds (54.30 % CIFAR-10 test accuracy) [Dong & Yang, ICLR 2020], while the
# official iDARTS run ends, after 30 epochs with $K = 2$, on a cell of 3×3 convolutions with 93.76 %
# [Zhang et al., ICML 2021, NAS-Bench-201 table]. Showing even the
# direction of
# that effect needs the collapse to happen first: the NAS-Bench-201 supernet at C = 16 and N = 5
# (or at least C = 8, N = 2), the full 25k/25k CIFAR-10 split at 32×32, 10-20 epochs or more, a
# few seeds per method, and $K \in \{0, 1, 2\}$, $T \in \{1, 4\}$ for iDARTS; then one counts
# skip edges and looks the cells up in the benchmark. That is GPU-hours per seed and method, not a
# minute on a CPU. The two cells, looked up in NAS-Bench-201:

# %%
# NBVAL_CHECK_OUTPUT
for name, cell in (("all-skip cell (DARTS, NAS-Bench-201 paper)", ["skip_connect"] * 6),
                   ("3x3 convolutions on every edge (official iDARTS run)", ["nor_conv_3x3"] * 6)):
    print(f"{name:52s} CIFAR-10 test accuracy after 200 epochs {bench.lookup(cell).cifar10:.2f} %")

# %% [markdown]
# ## Summary
#
# What this lesson's claims came to, from the course's evidence table (`nascourse.evidence`, computed from
# `lessons/results/` and small exact problems; the README has the whole table):

# %%
evidence.show("03")

# %% [markdown]
# * The hypergradient of a bilevel problem is $\nabla_\alpha F = g_\alpha - M H^{-1} g_w$ at the inner
#   optimum (the implicit function theorem). The estimators differ in how they replace $H^{-1}g_w$.
# * **First order** drops the term entirely (one gradient; zero in our ridge problem). **Unrolled
#   DARTS** differentiates through one SGD step; at the optimum that is the first term of the
#   Neumann series. Its mixed term is a central finite difference with $\epsilon = 0.01/\|v\|$.
# * **Neumann** (iDARTS) converges geometrically, by $\rho = \max|1 - \gamma\lambda(H)|$ per
#   Hessian-vector product, and only for $0 < \gamma < 2/\lambda_{\max}$. **CG** and the **exact**
#   solve reach machine precision on a small problem; CG needs only Hessian-vector products.
# * All implicit estimators assume the weights are at the inner optimum. Away from it their error
#   grows linearly with the distance, and extra Neumann terms stop helping once the truncation
#   error falls below that floor.
# * On a supernet, second-order estimates cost several first-order ones per step and change the
#   direction of the architecture gradient only a little at small learning rates. A tiny search
#   cannot show which estimator finds better cells; that needs GPU-scale searches over several seeds.

# %% [markdown]
# ## Exercises
#
# Worked solutions: [`solutions/03_hypergradients.ipynb`](../solutions/03_hypergradients.ipynb).
#
# ### Exercise 1: the Neumann hypergradient, by hand
#
# Implement the iDARTS estimator
# $\;g_\alpha - \gamma\, M \sum_{k=0}^{K} (I-\gamma H)^k g_w\;$ for a problem given as two loss
# callables and two leaf tensors `w`, `alpha` (one tensor each). Use
# `hessian_vector_product(train_loss, [w], [v])[0]` for $Hv$, and double backprop for the mixed
# product: $M s = \nabla_\alpha \langle \nabla_w L_{\rm train}, s\rangle$ (compute
# $\nabla_w L_{\rm train}$ with `create_graph=True`). The checker compares your function with
# `hypergradient(..., "neumann", mixed="exact")` for several $K$ and two problems (one where
# $L_{\rm val}$ also depends on $\alpha$), and names the usual mistakes.

# %% tags=["nbval-skip"]
def my_neumann(train_loss, val_loss, w, alpha, gamma, K):
    """g_α − γ M Σ_{k=0..K} (I − γH)^k g_w, as a tensor shaped like alpha."""
    # g_alpha is None when L_val does not depend on alpha: treat it as zero
    g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
    raise NotImplementedError  # your code here


exercises.check_neumann(my_neumann)

# %% [markdown]
# ### Exercise 2: the finite-difference mixed term of DARTS
#
# Implement DARTS's central difference
#
# $$M v \approx \frac{\nabla_\alpha L_{\rm train}(w + \epsilon v, \alpha) - \nabla_\alpha L_{\rm train}(w - \epsilon v, \alpha)}{2\epsilon},
# \qquad \epsilon = 0.01/\|v\|_2,$$
#
# for a loss callable that reads the leaf tensor `w`: move `w` in place (under `torch.no_grad()`),
# take the $\alpha$-gradient, and put `w` back exactly as it was. The checker uses a non-quadratic
# problem (a one-hidden-layer network whose activation is a softmax(α)-weighted mix of ReLU, tanh
# and identity: a supernet with a single edge), compares you with the library's finite difference
# and reports how far both are from the exact double-backprop product.

# %% tags=["nbval-skip"]
def my_mixed_fd(train_loss, w, alpha, v):
    """∇²_{αw} L_train · v by a central difference with ε = 0.01 / ‖v‖, shaped like alpha."""
    raise NotImplementedError  # your code here


exercises.check_mixed_fd(my_mixed_fd)

# %% [markdown]
# ### Exercise 3: choosing $\gamma$
#
# (a) Write `neumann_rate(H, gamma)` that returns the factor $\rho = \max_i |1 - \gamma \lambda_i(H)|$
# by which the Neumann error shrinks per term, for a symmetric matrix `H`
# (`torch.linalg.eigvalsh` gives its eigenvalues).
#
# (b) With your function, find the $\gamma$ that makes $\rho$ smallest for the ridge Hessian
# `hessian(alpha0)`, and what $\rho$ is then. Compare with $\gamma = 1/\lambda_{\max}$.
#
# (c) Run `estimate("neumann", lr=gamma, K=K)` at the inner optimum with $\gamma = 2.2/\lambda_{\max}$
# for $K = 0, \dots, 30$ and plot the relative error. What happens, and why? iDARTS sets
# $\gamma$ to the weight learning rate: what does this require of the network's Hessian?

# %% tags=["nbval-skip"]
def neumann_rate(H, gamma):
    """ρ = max_i |1 − γ λ_i(H)| for a symmetric matrix H (a float)."""
    raise NotImplementedError  # your code here


exercises.check_neumann_rate(neumann_rate)
