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
# # Solutions 03 · Hypergradients
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/nascourse/nascourse/blob/main/solutions/03_hypergradients.ipynb)
#
# About 10 seconds on a CPU with any preset (only the small ridge problem runs here); no GPU needed.

# %%
# On Colab, install nascourse; elsewhere (your machine, Binder, CI) this cell does nothing.
import sys

if "google.colab" in sys.modules:
    # %pip install -q "nascourse @ git+https://github.com/nascourse/nascourse@main"
    pass

# %% [markdown]
# Worked solutions to the exercises of [lesson 03](../lessons/03_hypergradients.ipynb). Each
# solution is checked by the same checker the lesson calls. We rebuild the lesson's ridge problem
# (same seed, same numbers) for exercise 3.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from nascourse import config, exercises
from nascourse.hypergrad import hessian_vector_product, hypergradient

config.seed_everything(0)

f64 = torch.float64
g = torch.Generator().manual_seed(0)
D, n, m = 8, 40, 40
scales = torch.logspace(0.25, -0.25, D, dtype=f64)
w_true = torch.randn(D, generator=g, dtype=f64)
X_tr = torch.randn(n, D, generator=g, dtype=f64) * scales
y_tr = X_tr @ w_true + 0.5 * torch.randn(n, generator=g, dtype=f64)
X_val = torch.randn(m, D, generator=g, dtype=f64) * scales
y_val = X_val @ w_true + 0.5 * torch.randn(m, generator=g, dtype=f64)
alpha0 = math.log(0.3) + 0.5 * torch.randn(D, generator=g, dtype=f64)


def hessian(alpha):  # H = X_trᵀX_tr/n + diag(e^α)
    return X_tr.T @ X_tr / n + torch.diag(alpha.exp())


w_star = torch.linalg.solve(hessian(alpha0), X_tr.T @ y_tr / n)
g_w_star = X_val.T @ (X_val @ w_star - y_val) / m
true_grad = -(alpha0.exp() * w_star) * torch.linalg.solve(hessian(alpha0), g_w_star)  # ∇F, closed form

w = w_star.clone().requires_grad_()
alpha = alpha0.clone().requires_grad_()


def train_loss():
    return 0.5 * ((X_tr @ w - y_tr) ** 2).mean() + 0.5 * (alpha.exp() * w**2).sum()


def val_loss():
    return 0.5 * ((X_val @ w - y_val) ** 2).mean()


# %% [markdown]
# ## Exercise 1: the Neumann hypergradient, by hand
#
# Three steps, as in the iDARTS code: the validation gradients $g_\alpha$ and $g_w$; the series
# $s = \sum_{k=0}^{K} v_k$ with $v_0 = g_w$ and $v_k = v_{k-1} - \gamma H v_{k-1}$ ($K$
# Hessian-vector products); the mixed product $Ms = \nabla_\alpha\langle\nabla_w L_{\rm train}, s\rangle$
# by double backprop. Nothing is written into `w` or `alpha`, and no `.grad` field is touched.

# %%
def my_neumann(train_loss, val_loss, w, alpha, gamma, K):
    """g_α − γ M Σ_{k=0..K} (I − γH)^k g_w, as a tensor shaped like alpha."""
    g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
    if g_alpha is None:  # L_val does not depend on alpha
        g_alpha = torch.zeros_like(alpha)
    v, s = g_w, g_w.clone()  # v_0 = g_w, s = v_0
    for _ in range(K):
        Hv = hessian_vector_product(train_loss, [w], [v])[0]
        v = v - gamma * Hv  # v_k = (I − γH) v_{k−1}
        s = s + v
    grad_w = torch.autograd.grad(train_loss(), w, create_graph=True)[0]
    Ms = torch.autograd.grad(grad_w @ s, alpha)[0]  # M s = ∇_α ⟨∇_w L_train, s⟩
    return (g_alpha - gamma * Ms).detach()


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_neumann(my_neumann)
assert ok

# %% [markdown]
# ## Exercise 2: the finite-difference mixed term of DARTS
#
# Save $w$, move it to $w \pm \epsilon v$ in place (the loss callable reads `w`), take the
# $\alpha$-gradient at each point, and copy the saved $w$ back, even if something fails in
# between (`try`/`finally`). Copying back is exact; adding $\epsilon v$ and subtracting it again,
# as the original DARTS code does, leaves rounding drift in the weights.

# %%
def my_mixed_fd(train_loss, w, alpha, v):
    """∇²_{αw} L_train · v by a central difference with ε = 0.01 / ‖v‖, shaped like alpha."""
    eps = 0.01 / float(v.norm())
    saved = w.detach().clone()
    try:
        with torch.no_grad():
            w.copy_(saved + eps * v)  # w⁺ = w + εv
        g_plus = torch.autograd.grad(train_loss(), alpha)[0]
        with torch.no_grad():
            w.copy_(saved - eps * v)  # w⁻ = w − εv
        g_minus = torch.autograd.grad(train_loss(), alpha)[0]
    finally:
        with torch.no_grad():
            w.copy_(saved)
    return (g_plus - g_minus) / (2 * eps)


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_mixed_fd(my_mixed_fd)
assert ok

# %% [markdown]
# The central difference is within a relative $10^{-5}$ to $2 \cdot 10^{-4}$ of the exact product
# here: its truncation error is $O(\epsilon^2)$, and a step of length $\epsilon\|v\| = 0.01$ is small
# for this network. Why not take $\epsilon$ much smaller? In float32 each gradient carries rounding
# errors of about $10^{-7}$ of its size, and the difference of the two is roughly $0.01$ times
# smaller than they are, so rounding alone contributes a relative error of order $10^{-5}$. A step of
# $0.01$ keeps the two sources of error of similar size.
#
# ## Exercise 3: choosing $\gamma$
#
# (a) The error after $K$ terms is $M (I-\gamma H)^{K+1} H^{-1} g_w$. In the eigenbasis of $H$,
# each component is multiplied by $1 - \gamma\lambda_i$ per term, so the slowest one sets the rate.

# %%
def neumann_rate(H, gamma):
    """ρ = max_i |1 − γ λ_i(H)| for a symmetric matrix H (a float)."""
    lam = torch.linalg.eigvalsh(H)
    return float((1 - gamma * lam).abs().max())


# %%
# NBVAL_CHECK_OUTPUT
ok = exercises.check_neumann_rate(neumann_rate)
assert ok

# %% [markdown]
# (b) $\rho(\gamma) = \max(|1-\gamma\lambda_{\min}|, |1-\gamma\lambda_{\max}|)$: the first term falls
# with $\gamma$, the second rises once $\gamma > 1/\lambda_{\max}$. The maximum is smallest where the
# two are equal, $1 - \gamma\lambda_{\min} = \gamma\lambda_{\max} - 1$:
#
# $$\gamma^* = \frac{2}{\lambda_{\min} + \lambda_{\max}},
# \qquad \rho^* = \frac{\lambda_{\max} - \lambda_{\min}}{\lambda_{\max} + \lambda_{\min}} = \frac{\kappa - 1}{\kappa + 1}.$$
#
# A grid search with `neumann_rate` finds the same point.

# %%
# NBVAL_CHECK_OUTPUT
H = hessian(alpha0)
lam = torch.linalg.eigvalsh(H)
lam_min, lam_max = float(lam.min()), float(lam.max())
grid = np.linspace(0.01, 2.2, 2000) / lam_max
rates = np.array([neumann_rate(H, gm) for gm in grid])
gamma_best = 2 / (lam_min + lam_max)
print(f"grid search: best gamma = {grid[rates.argmin()]:.3g}, rho = {rates.min():.3g}")
print(f"formula:     gamma* = 2/(lambda_min + lambda_max) = {gamma_best:.3g}, rho* = {neumann_rate(H, gamma_best):.3g}")
print(f"lesson:      gamma = 1/lambda_max = {1 / lam_max:.3g}, rho = {neumann_rate(H, 1 / lam_max):.3g}")
print(f"divergence:  gamma = 2.2/lambda_max = {2.2 / lam_max:.3g}, rho = {neumann_rate(H, 2.2 / lam_max):.3g}")
assert abs(grid[rates.argmin()] - gamma_best) < 2e-3 and neumann_rate(H, gamma_best) < neumann_rate(H, 1 / lam_max)

# %% [markdown]
# (c) The Neumann error against $K$ at three step sizes, at the inner optimum.

# %%
def rel_error_neumann(gamma, K):
    est = hypergradient(train_loss, val_loss, [w], [alpha], "neumann", lr=gamma, K=K)[0]
    return float((est - true_grad).norm() / true_grad.norm())


Ks = range(31)
gammas = {r"$\gamma = 1/\lambda_{\max}$": 1 / lam_max, r"$\gamma^* = 2/(\lambda_{\min}+\lambda_{\max})$": gamma_best,
          r"$\gamma = 2.2/\lambda_{\max}$": 2.2 / lam_max}
errors = {name: [rel_error_neumann(gm, K) for K in Ks] for name, gm in gammas.items()}

fig, ax = plt.subplots(figsize=(7.5, 4.2))
for (name, errs), color in zip(errors.items(), ["#1f77b4", "#2ca02c", "#d62728"]):
    ax.semilogy(Ks, errs, "o-", ms=3, color=color, label=f"{name}, rho = {neumann_rate(H, gammas[name]):.2f}")
ax.set(xlabel="K (Hessian-vector products)", ylabel="relative error", title="Neumann error and the step size")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

diverging = errors[r"$\gamma = 2.2/\lambda_{\max}$"]
assert diverging[-1] > 10 and all(b > a for a, b in zip(diverging[5:], diverging[6:]))  # grows without bound
assert min(diverging) < diverging[0]  # ... after falling for a few terms
best = errors[r"$\gamma^* = 2/(\lambda_{\min}+\lambda_{\max})$"]
assert best[-1] < errors[r"$\gamma = 1/\lambda_{\max}$"][-1]

# %% [markdown]
# **What happens.** With $\gamma = 2.2/\lambda_{\max}$ the factor for the largest eigenvalue is
# $1 - 2.2 = -1.2$: that component of the series flips sign and grows by a factor $1.2$ per term. For the
# first few terms the error still falls, because the other components converge and the runaway one
# starts small; then it takes over and the "estimate" explodes geometrically (the red curve: more
# than 10 times the size of the true hypergradient by $K = 30$, and growing). The optimal
# $\gamma^*$ balances the slowest and the fastest directions and converges faster than
# $\gamma = 1/\lambda_{\max}$
# ($\rho^* = (\kappa-1)/(\kappa+1) \approx 0.76$ against $1 - 1/\kappa \approx 0.86$).
#
# **What this asks of a network.** iDARTS uses $\gamma$ = the weight learning rate ($0.01$ on
# NAS-Bench-201 [Zhang et al., ICML 2021]). The series converges only if $0 < \gamma\lambda_i < 2$ for every eigenvalue of
# the training-loss Hessian, i.e. $H$ positive definite and $\lambda_{\max}(H) < 2/\gamma = 200$.
# The second condition is the one that makes plain gradient descent with that learning rate stable, so a network
# that trains at that learning rate roughly meets it. The first one fails in practice: away from
# a minimum $H$ has negative eigenvalues, for which $|1 - \gamma\lambda| > 1$ for every $\gamma > 0$.
# With $K = 2$ that growth stays bounded ($(1+\gamma|\lambda|)^2$), which is one reason iDARTS keeps
# $K$ small: a few terms act as a damped correction rather than as a converged inverse.
