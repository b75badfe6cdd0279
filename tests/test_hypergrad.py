"""Hypergradient estimators against oracles (nascourse.hypergrad, lesson 03).

Oracles: (1) a ridge-regression bilevel problem whose hypergradient has a closed form and can
also be obtained by autograd through torch.linalg.solve; (2) autograd through one virtual SGD
step, which is exactly what DARTS's unrolled estimate differentiates; (3) double backprop
against finite differences on a tiny α-weighted MLP.
"""

from __future__ import annotations

import math

import pytest
import torch

from nascourse import hypergrad
from nascourse.hypergrad import METHODS, _mixed, hessian_vector_product, hypergradient

D, N_TR, N_VAL = 5, 40, 30  # features, training and validation examples


def rel_err(estimate: list[torch.Tensor], reference: torch.Tensor) -> float:
    estimate = torch.cat([e.reshape(-1) for e in estimate])
    return float((estimate - reference).norm() / reference.norm())


# ---------------------------------------------------------------------------------------------
# Ridge regression with one learned regulariser per feature:
#   L_train(w, α) = ½‖X_tr w − y_tr‖²/n + ½ Σ_i exp(α_i) w_i²
#   L_val(w, α)   = ½‖X_val w − y_val‖²/m + ½ c ‖α‖²      (c = 0: L_val independent of α)
#   H = X_trᵀX_tr/n + diag(exp α),  w*(α) = H⁻¹ X_trᵀ y_tr / n,  M = diag(exp α ⊙ w)
#   dF/dα = c α − (exp α ⊙ w*) ⊙ H⁻¹ ∇_w L_val(w*)
# w is stored as two tensors and α as two tensors, to exercise the list handling.
# ---------------------------------------------------------------------------------------------

class Ridge:
    def __init__(self, seed: int = 0, c: float = 0.0, dtype=torch.float64):
        g = torch.Generator().manual_seed(seed)
        w_true = torch.randn(D, generator=g, dtype=dtype)
        self.X_tr = torch.randn(N_TR, D, generator=g, dtype=dtype)
        self.y_tr = self.X_tr @ w_true + 0.5 * torch.randn(N_TR, generator=g, dtype=dtype)
        self.X_val = torch.randn(N_VAL, D, generator=g, dtype=dtype)
        self.y_val = self.X_val @ w_true + 0.5 * torch.randn(N_VAL, generator=g, dtype=dtype)
        self.c = c
        alpha0 = 0.3 * torch.randn(D, generator=g, dtype=dtype)
        self.arch = [alpha0[:2].clone().requires_grad_(), alpha0[2:].clone().requires_grad_()]
        w_star = self.inner_optimum(alpha0)
        self.weights = [w_star[:3].clone().requires_grad_(), w_star[3:].clone().requires_grad_()]

    def L_train(self, w: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((self.X_tr @ w - self.y_tr) ** 2).mean() + 0.5 * (alpha.exp() * w**2).sum()

    def L_val(self, w: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((self.X_val @ w - self.y_val) ** 2).mean() + 0.5 * self.c * (alpha**2).sum()

    def hessian(self, alpha: torch.Tensor) -> torch.Tensor:
        return self.X_tr.T @ self.X_tr / N_TR + torch.diag(alpha.exp())

    def inner_optimum(self, alpha: torch.Tensor) -> torch.Tensor:
        return torch.linalg.solve(self.hessian(alpha), self.X_tr.T @ self.y_tr / N_TR)

    # the callables handed to hypergradient(): current values of the leaf tensors
    def train_loss(self) -> torch.Tensor:
        return self.L_train(torch.cat(self.weights), torch.cat(self.arch))

    def val_loss(self) -> torch.Tensor:
        return self.L_val(torch.cat(self.weights), torch.cat(self.arch))

    def closed_form(self) -> torch.Tensor:
        alpha = torch.cat(self.arch).detach()
        w = self.inner_optimum(alpha)
        g_w = self.X_val.T @ (self.X_val @ w - self.y_val) / N_VAL  # ∇_w L_val(w*)
        return self.c * alpha - (alpha.exp() * w) * torch.linalg.solve(self.hessian(alpha), g_w)

    def autograd_through_solve(self) -> torch.Tensor:
        alpha = torch.cat(self.arch).detach().requires_grad_()
        F = self.L_val(self.inner_optimum(alpha), alpha)  # F(α) = L_val(w*(α), α)
        return torch.autograd.grad(F, alpha)[0]

    def call(self, method: str, lr: float | None = None, **options) -> list[torch.Tensor]:
        return hypergradient(self.train_loss, self.val_loss, self.weights, self.arch, method,
                             lr=lr, **options)


def safe_gamma(problem: Ridge) -> float:
    """γ = 0.5 / λ_max(H), inside the Neumann series' region of convergence."""
    return 0.5 / float(torch.linalg.eigvalsh(problem.hessian(torch.cat(problem.arch).detach())).max())


@pytest.mark.parametrize("c", [0.0, 0.7])
def test_closed_form_is_the_derivative_of_F(c):
    problem = Ridge(c=c)
    assert rel_err([problem.closed_form()], problem.autograd_through_solve()) < 1e-12


@pytest.mark.parametrize("c", [0.0, 0.7])
@pytest.mark.parametrize("method, options", [
    ("exact", {}), ("exact", {"mixed": "finite_difference"}),
    ("cg", {"tol": 1e-12}), ("cg", {"tol": 1e-12, "mixed": "finite_difference"}),
])
def test_implicit_methods_match_closed_form(c, method, options):
    problem = Ridge(c=c)
    grads = problem.call(method, **options)
    assert [g.shape for g in grads] == [a.shape for a in problem.arch]
    assert rel_err(grads, problem.closed_form()) < 1e-8


def test_neumann_converges_geometrically():
    problem = Ridge(c=0.7)
    alpha = torch.cat(problem.arch).detach()
    H = problem.hessian(alpha)
    gamma = safe_gamma(problem)
    rho = 1 - gamma * float(torch.linalg.eigvalsh(H).min())  # contraction factor of I − γH
    exact = problem.closed_form()
    # error after K: ‖M (I − γH)^{K+1} H⁻¹ g_w‖ ≤ ‖M‖ ‖H⁻¹ g_w‖ ρ^{K+1}
    M = torch.diag(alpha.exp() * torch.cat(problem.weights).detach())
    g_w = problem.X_val.T @ (problem.X_val @ torch.cat(problem.weights).detach() - problem.y_val) / N_VAL
    scale = float(torch.linalg.matrix_norm(M, 2) * torch.linalg.solve(H, g_w).norm())
    errors = []
    for K in [0, 1, 2, 5, 10, 20, 50, 200]:
        error = float((torch.cat(problem.call("neumann", lr=gamma, K=K, mixed="exact")) - exact).norm())
        assert error <= scale * rho ** (K + 1) * (1 + 1e-9) + 1e-13
        errors.append(error)
    assert all(later < earlier for earlier, later in zip(errors, errors[1:]))
    assert errors[-1] / exact.norm() < 1e-8


def test_neumann_K0_is_gradient_minus_gamma_M_g_w():
    problem = Ridge(c=0.7)
    with torch.no_grad():  # move away from the inner optimum
        problem.weights[0].add_(0.3)
    gamma = 0.05
    w, alpha = torch.cat(problem.weights).detach(), torch.cat(problem.arch).detach().requires_grad_()
    w.requires_grad_()
    g_alpha, g_w = torch.autograd.grad(problem.L_val(w, alpha), [alpha, w])
    grad_w_train = torch.autograd.grad(problem.L_train(w, alpha), w, create_graph=True)[0]
    M_g_w = torch.autograd.grad(grad_w_train @ g_w, alpha)[0]
    expected = g_alpha - gamma * M_g_w
    for mixed in ("exact", "finite_difference"):
        assert rel_err(problem.call("neumann", lr=gamma, K=0, mixed=mixed), expected) < 1e-10


def test_first_order_is_plain_gradient_of_val_loss():
    problem = Ridge(c=0.7)
    alpha = torch.cat(problem.arch).detach()
    assert rel_err(problem.call("first_order"), 0.7 * alpha) < 1e-12  # ∇_α ½c‖α‖² = cα
    independent = Ridge(c=0.0)  # L_val does not depend on α at all
    assert all(torch.equal(g, torch.zeros_like(g)) for g in independent.call("first_order"))


# ---------------------------------------------------------------------------------------------
# A tiny supernet: one hidden layer whose activation is a softmax(α)-weighted mixture of ops
# (for the finite-difference check of DARTS, eq. 8). weights = [W1 (4, 6), b1 (6,), W2 (6, 3)], arch = [alpha (3,)].
# ---------------------------------------------------------------------------------------------

class TinyMixtureMLP:
    def __init__(self, dtype=torch.float64, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        shapes = [(4, 6), (6,), (6, 3)]
        self.weights = [(0.7 * torch.randn(s, generator=g, dtype=dtype)).requires_grad_() for s in shapes]
        self.arch = [(0.5 * torch.randn(3, generator=g, dtype=dtype)).requires_grad_()]
        self.x_tr = torch.randn(16, 4, generator=g, dtype=dtype)  # (B, 4) fixed training batch
        self.x_val = torch.randn(16, 4, generator=g, dtype=dtype)  # (B, 4) fixed validation batch
        self.y_tr = torch.randint(0, 3, (16,), generator=g)
        self.y_val = torch.randint(0, 3, (16,), generator=g)

    @staticmethod
    def forward(x, weights, alpha):
        W1, b1, W2 = weights
        h = x @ W1 + b1  # (B, 6)
        p = torch.softmax(alpha, dim=0)  # (3,) mixing weights of [relu, tanh, identity]
        h = p[0] * torch.relu(h) + p[1] * torch.tanh(h) + p[2] * h
        return h @ W2  # (B, 3) logits

    def L_train(self, weights, alpha):
        return torch.nn.functional.cross_entropy(self.forward(self.x_tr, weights, alpha), self.y_tr)

    def L_val(self, weights, alpha):
        return torch.nn.functional.cross_entropy(self.forward(self.x_val, weights, alpha), self.y_val)

    def train_loss(self):
        return self.L_train(self.weights, self.arch[0])

    def val_loss(self):
        return self.L_val(self.weights, self.arch[0])

    def unrolled_oracle(self, lr, buffers=None, momentum=0.0, weight_decay=0.0) -> torch.Tensor:
        """d/dα L_val(w − lr (μ m + ∇_w L_train(w, α) + λ w), α), by autograd through the step."""
        w = [p.detach().requires_grad_() for p in self.weights]
        alpha = self.arch[0].detach().requires_grad_()
        g = torch.autograd.grad(self.L_train(w, alpha), w, create_graph=True)
        buffers = buffers or [torch.zeros_like(p) for p in w]
        w_virtual = [p - lr * (momentum * m + gi + weight_decay * p) for p, m, gi in zip(w, buffers, g)]
        return torch.autograd.grad(self.L_val(w_virtual, alpha), alpha)[0]


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-2), (torch.float64, 1e-3)])
def test_finite_difference_mixed_term_matches_double_backprop(dtype, tol):
    net = TinyMixtureMLP(dtype=dtype)
    v = list(torch.autograd.grad(net.val_loss(), net.weights))  # v = ∇_w L_val, as in DARTS
    exact = _mixed(net.train_loss, net.weights, net.arch, v, "exact", 0.01, "test")
    fd = _mixed(net.train_loss, net.weights, net.arch, v, "finite_difference", 0.01, "test")
    assert rel_err(fd, exact[0]) < tol
    if dtype == torch.float64:  # central differences: error O(ε²), so 100x smaller ε -> ~1e4x better
        fd_small = _mixed(net.train_loss, net.weights, net.arch, v, "finite_difference", 1e-4, "test")
        assert rel_err(fd_small, exact[0]) < 1e-7


@pytest.mark.parametrize("with_momentum", [False, True])
def test_unrolled_matches_autograd_through_virtual_step(with_momentum):
    net = TinyMixtureMLP()
    lr = 0.1
    options, oracle_kwargs = {}, {}
    if with_momentum:
        g = torch.Generator().manual_seed(1)
        buffers = [0.1 * torch.randn(p.shape, generator=g, dtype=p.dtype) for p in net.weights]
        options = {"momentum_buffers": buffers, "momentum": 0.9, "weight_decay": 3e-4}
        oracle_kwargs = {"buffers": buffers, "momentum": 0.9, "weight_decay": 3e-4}
    oracle = net.unrolled_oracle(lr, **oracle_kwargs)
    run = lambda mixed: hypergradient(net.train_loss, net.val_loss, net.weights, net.arch,
                                      "unrolled", lr=lr, mixed=mixed, **options)
    assert rel_err(run("exact"), oracle) < 1e-10
    assert rel_err(run("finite_difference"), oracle) < 1e-4


def test_unrolled_with_empty_momentum_buffers_is_plain_sgd_step():
    net = TinyMixtureMLP()
    grads = hypergradient(net.train_loss, net.val_loss, net.weights, net.arch, "unrolled", lr=0.1,
                          momentum_buffers=[None, None, None], mixed="exact")
    assert rel_err(grads, net.unrolled_oracle(0.1)) < 1e-10


# ---------------------------------------------------------------------------------------------
# Invariants: weights restored bit for bit, .grad untouched, helpers, errors
# ---------------------------------------------------------------------------------------------

ALL_CALLS = [("first_order", None, {}), ("unrolled", 0.1, {}), ("unrolled", 0.1, {"mixed": "exact"}),
             ("neumann", 0.1, {}), ("neumann", 0.1, {"K": 3, "mixed": "exact"}), ("cg", None, {}),
             ("exact", None, {})]


@pytest.mark.parametrize("method, lr, options", ALL_CALLS)
def test_weights_restored_and_grad_untouched(method, lr, options):
    net = TinyMixtureMLP(dtype=torch.float32)
    sentinel = torch.full_like(net.weights[0], 7.0)
    net.weights[0].grad = sentinel.clone()
    before = [p.detach().clone() for p in net.weights]
    # damping keeps CG/exact well posed: this network is not at an inner optimum
    if method in ("cg", "exact"):
        options = {"damping": 1.0}
    grads = hypergradient(net.train_loss, net.val_loss, net.weights, net.arch, method, lr=lr, **options)
    assert all(torch.equal(p, b) for p, b in zip(net.weights, before))
    assert torch.equal(net.weights[0].grad, sentinel)
    assert all(p.grad is None for p in net.weights[1:] + net.arch)
    assert all(not g.requires_grad and torch.isfinite(g).all() for g in grads)
    assert [g.shape for g in grads] == [a.shape for a in net.arch]


def test_weights_restored_when_virtual_step_gives_nan():
    net = TinyMixtureMLP()
    before = [p.detach().clone() for p in net.weights]

    def val_loss():  # finite at the original w, NaN anywhere else
        moved = any(not torch.equal(p, b) for p, b in zip(net.weights, before))
        return net.val_loss() * (math.nan if moved else 1.0)

    with pytest.raises(FloatingPointError, match="unrolled.*val_loss"):
        hypergradient(net.train_loss, val_loss, net.weights, net.arch, "unrolled", lr=0.1)
    assert all(torch.equal(p, b) for p, b in zip(net.weights, before))


def test_works_under_no_grad():
    problem = Ridge(c=0.7)
    with torch.no_grad():
        grads = problem.call("cg", tol=1e-12)
    assert rel_err(grads, problem.closed_form()) < 1e-8


def test_hessian_vector_product_matches_dense_hessian():
    net = TinyMixtureMLP()
    flat = torch.cat([p.detach().reshape(-1) for p in net.weights])
    sizes = [p.numel() for p in net.weights]

    def loss_of_flat(x):
        parts = [c.view_as(p) for c, p in zip(x.split(sizes), net.weights)]
        return net.L_train(parts, net.arch[0].detach())

    H = torch.autograd.functional.hessian(loss_of_flat, flat)
    v = torch.randn(flat.shape, generator=torch.Generator().manual_seed(2), dtype=flat.dtype)
    Hv = hessian_vector_product(net.train_loss, net.weights,
                                [c.view_as(p) for c, p in zip(v.split(sizes), net.weights)])
    assert rel_err(Hv, H @ v) < 1e-12


def test_cg_and_exact_agree_with_damping():
    net = TinyMixtureMLP()
    args = (net.train_loss, net.val_loss, net.weights, net.arch)
    cg = hypergradient(*args, "cg", lr=None, damping=1.0, tol=1e-12)
    exact = hypergradient(*args, "exact", lr=None, damping=1.0)
    assert rel_err(cg, exact[0]) < 1e-8


def test_cg_refuses_negative_curvature():
    w = torch.ones(3, dtype=torch.float64, requires_grad=True)
    alpha = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    train_loss = lambda: -0.5 * (alpha.exp() * w**2).sum()  # concave in w: H = −diag(exp α)
    val_loss = lambda: (w**2).sum()
    with pytest.raises(ValueError, match="damping"):
        hypergradient(train_loss, val_loss, [w], [alpha], "cg", lr=None)


def test_cg_warns_when_not_converged():
    problem = Ridge()
    with pytest.warns(RuntimeWarning, match="max_iter"):
        problem.call("cg", tol=1e-14, max_iter=1)


def test_exact_refuses_large_problems_and_suggests_cg():
    net = TinyMixtureMLP()  # 24 + 6 + 18 = 48 weights
    with pytest.raises(ValueError, match=r"48.*max_params=10.*cg"):
        hypergradient(net.train_loss, net.val_loss, net.weights, net.arch, "exact", lr=None,
                      max_params=10)


def test_unknown_method_lists_valid_ones():
    problem = Ridge()
    with pytest.raises(ValueError) as info:
        problem.call("second_order", lr=0.1)
    assert all(method in str(info.value) for method in METHODS)


@pytest.mark.parametrize("method, lr, options, message", [
    ("neumann", 0.1, {"k": 2}, "unknown option"),
    ("neumann", 0.1, {"K": -1}, "K=-1"),
    ("neumann", 0.0, {}, "lr=0.0"),
    ("unrolled", None, {}, "lr=None"),
    ("unrolled", 0.1, {"mixed": "fd"}, "mixed='fd'"),
    ("unrolled", 0.1, {"momentum_buffers": [torch.zeros(2)]}, "momentum_buffers"),
    ("cg", None, {"max_iter": 0}, "max_iter=0"),
    ("exact", None, {"damping": -1.0}, "damping=-1.0"),
])
def test_bad_options_are_named(method, lr, options, message):
    problem = Ridge()
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        problem.call(method, lr=lr, **options)


def test_bad_tensors_are_named():
    problem = Ridge()
    with pytest.raises(ValueError, match="`arch` is empty"):
        hypergradient(problem.train_loss, problem.val_loss, problem.weights, [], "first_order", lr=None)
    frozen = [torch.zeros(3, dtype=torch.float64)]
    with pytest.raises(ValueError, match=r"weights\[0\].*requires_grad"):
        hypergradient(problem.train_loss, problem.val_loss, frozen, problem.arch, "cg", lr=None)


@pytest.mark.parametrize("method", ["first_order", "neumann", "cg"])
def test_non_finite_loss_is_reported(method):
    problem = Ridge()
    bad = lambda: problem.val_loss() * math.inf
    with pytest.raises(FloatingPointError, match=f"{method}.*val_loss.*inf"):
        hypergradient(problem.train_loss, bad, problem.weights, problem.arch, method, lr=0.1)


def test_non_scalar_loss_is_reported():
    problem = Ridge()
    vector_loss = lambda: torch.cat(problem.weights) ** 2
    with pytest.raises(ValueError, match=r"val_loss returned \(5,\).*\.mean\(\)"):
        hypergradient(problem.train_loss, vector_loss, problem.weights, problem.arch, "first_order",
                      lr=None)


def test_mixed_product_is_the_public_oracle_of_the_mixed_term():
    torch.manual_seed(0)
    w = torch.randn(3, requires_grad=True)
    a = torch.randn(3, requires_grad=True)
    v = [torch.randn(3)]
    loss = lambda: (a.exp() * w ** 2).sum() + (a * w).sum()  # noqa: E731
    # d/dalpha <grad_w L, v> with grad_w L = 2 e^a w + a: = (2 e^a w + 1) * v
    exact = hypergrad.mixed_product(loss, [w], [a], v)[0]
    assert torch.allclose(exact, (2 * a.exp() * w + 1).detach() * v[0], atol=1e-6)
    fd = hypergrad.mixed_product(loss, [w], [a], v, "finite_difference")[0]
    assert torch.allclose(fd, exact, atol=1e-2)
    with pytest.raises(ValueError, match="exact"):
        hypergrad.mixed_product(loss, [w], [a], v, "forward")
