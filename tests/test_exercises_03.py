"""Lesson 03's checkers: a correct answer passes, each typical mistake gets its own message."""

import pytest
import torch

from nascourse import exercises
from nascourse.hypergrad import hessian_vector_product


# ---- exercise 1: the Neumann hypergradient ------------------------------------------------------

def make_neumann(extra_terms=0, gamma_front=True, gamma_inside=True, sign=-1.0, with_g_alpha=True,
                 dtype=None, move_w=False):
    """A Neumann estimator with one of the usual mistakes switched on."""
    def neumann(train_loss, val_loss, w, alpha, gamma, K):
        g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
        g_alpha = torch.zeros_like(alpha) if g_alpha is None or not with_g_alpha else g_alpha
        v, s = g_w, g_w.clone()
        step = gamma if gamma_inside else 1.0
        for _ in range(K + extra_terms):
            v = v - step * hessian_vector_product(train_loss, [w], [v])[0]
            s = s + v
        if extra_terms < 0 and K + extra_terms < 0:  # "one term too few" with K = 0: no series at all
            s = torch.zeros_like(s)
        grad_w = torch.autograd.grad(train_loss(), w, create_graph=True)[0]
        Ms = torch.autograd.grad(grad_w @ s, alpha)[0]
        out = g_alpha + sign * (gamma if gamma_front else 1.0) * Ms
        if move_w:
            with torch.no_grad():
                w.add_(0.1)
        return out.detach().to(dtype) if dtype is not None else out.detach()
    return neumann


def neumann_stub(train_loss, val_loss, w, alpha, gamma, K):
    g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
    raise NotImplementedError  # your code here


def neumann_wrong_shape(train_loss, val_loss, w, alpha, gamma, K):
    return torch.zeros(3, dtype=alpha.dtype)


def test_neumann_correct_passes(capsys):
    assert exercises.check_neumann(make_neumann()) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (make_neumann(extra_terms=-1), "one term too few"),
    (make_neumann(extra_terms=+1), "one term too many"),
    (make_neumann(gamma_front=False), "forgot the factor γ in front"),
    (make_neumann(gamma_inside=False), "(I − γH), not (I − H)"),
    (make_neumann(sign=+1.0), "wrong sign"),
    (make_neumann(with_g_alpha=False), "dropped the direct term g_α"),
    (make_neumann(dtype=torch.float32), "float32"),
    (make_neumann(move_w=True), "left `w` changed"),
    (neumann_stub, "not implemented yet"),
    (neumann_wrong_shape, "shape (3,)"),
])
def test_neumann_mistakes_are_named(capsys, fn, words):
    assert exercises.check_neumann(fn) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out, out


def test_neumann_off_by_one_at_K0_says_what_K0_means(capsys):
    exercises.check_neumann(make_neumann(extra_terms=-1))
    assert "K=0" in capsys.readouterr().out


# ---- exercise 2: the finite-difference mixed term -----------------------------------------------

def make_mixed_fd(kind="central", restore=True):
    """A finite-difference M·v with one of the usual mistakes switched on."""
    def mixed_fd(train_loss, w, alpha, v):
        eps = 0.01 if kind == "fixed_eps" else 0.01 / float(v.norm())
        saved = w.detach().clone()

        def grad_at(point):
            with torch.no_grad():
                w.copy_(point)
            return torch.autograd.grad(train_loss(), alpha)[0]

        g_0, g_plus, g_minus = grad_at(saved), grad_at(saved + eps * v), grad_at(saved - eps * v)
        if restore:
            with torch.no_grad():
                w.copy_(saved)
        return {"central": (g_plus - g_minus) / (2 * eps), "fixed_eps": (g_plus - g_minus) / (2 * eps),
                "forward": (g_plus - g_0) / eps, "half": (g_plus - g_minus) / eps,
                "swapped": (g_minus - g_plus) / (2 * eps)}[kind]
    return mixed_fd


def mixed_fd_add_subtract(train_loss, w, alpha, v):
    """The original DARTS code's way: add and subtract in place (rounding drift is tolerated)."""
    eps = 0.01 / v.norm()
    with torch.no_grad():
        w.add_(eps * v)
    g_plus = torch.autograd.grad(train_loss(), alpha)[0]
    with torch.no_grad():
        w.sub_(2 * eps * v)
    g_minus = torch.autograd.grad(train_loss(), alpha)[0]
    with torch.no_grad():
        w.add_(eps * v)
    return (g_plus - g_minus) / (2 * eps)


def mixed_exact(train_loss, w, alpha, v):
    grad_w = torch.autograd.grad(train_loss(), w, create_graph=True)[0]
    return torch.autograd.grad(grad_w @ v, alpha)[0]


def mixed_backward_accumulates(train_loss, w, alpha, v):
    """Uses .backward() and forgets to zero alpha.grad between the two points."""
    eps = 0.01 / float(v.norm())
    saved = w.detach().clone()
    with torch.no_grad():
        w.copy_(saved + eps * v)
    train_loss().backward()
    g_plus = alpha.grad.clone()
    with torch.no_grad():
        w.copy_(saved - eps * v)
    train_loss().backward()  # alpha.grad is now g_plus + g_minus
    g_minus = alpha.grad.clone()
    with torch.no_grad():
        w.copy_(saved)
    return (g_plus - g_minus) / (2 * eps)


def mixed_stub(train_loss, w, alpha, v):
    raise NotImplementedError  # your code here


@pytest.mark.parametrize("fn", [make_mixed_fd(), mixed_fd_add_subtract])
def test_mixed_fd_correct_passes(capsys, fn):
    assert exercises.check_mixed_fd(fn) is True
    out = capsys.readouterr().out
    assert "correct" in out and "exact double-backprop product" in out


@pytest.mark.parametrize("fn, words", [
    (make_mixed_fd("forward"), "forward difference"),
    (make_mixed_fd("half"), "divided by ε instead of 2ε"),
    (make_mixed_fd("swapped"), "sign is swapped"),
    (make_mixed_fd("fixed_eps"), "ε = 0.01 / ‖v‖₂"),
    (make_mixed_fd(restore=False), "left `w` changed"),
    (mixed_exact, "exact product by double backprop"),
    (mixed_backward_accumulates, "alpha.grad accumulates"),
    (mixed_stub, "not implemented yet"),
])
def test_mixed_fd_mistakes_are_named(capsys, fn, words):
    assert exercises.check_mixed_fd(fn) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out, out


# ---- exercise 3: the Neumann convergence rate ---------------------------------------------------

def rate_correct(H, gamma):
    return float((1 - gamma * torch.linalg.eigvalsh(H)).abs().max())


def rate_as_tensor(H, gamma):
    return (1 - gamma * torch.linalg.eigvalsh(H)).abs().max()  # a 0-dim tensor is fine


def rate_stub(H, gamma):
    raise NotImplementedError  # your code here


@pytest.mark.parametrize("fn", [rate_correct, rate_as_tensor])
def test_rate_correct_passes(capsys, fn):
    assert exercises.check_neumann_rate(fn) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (lambda H, gamma: float((1 - gamma * torch.linalg.eigvalsh(H)).max()), "forgot the absolute value"),
    (lambda H, gamma: abs(1 - gamma * float(torch.linalg.eigvalsh(H).max())), "only used λ_max"),
    (lambda H, gamma: abs(1 - gamma * float(torch.linalg.eigvalsh(H).min())), "only used λ_min"),
    (lambda H, gamma: float((1 - torch.linalg.eigvalsh(H)).abs().max()), "you forgot γ"),
    (lambda H, gamma: float((1 - gamma * torch.linalg.eigvalsh(H)).abs().min()), "took the minimum"),
    (lambda H, gamma: "fast", "return ρ as a float"),
    (lambda H, gamma: 0.123, "expected ρ ="),
    (rate_stub, "not implemented yet"),
])
def test_rate_mistakes_are_named(capsys, fn, words):
    assert exercises.check_neumann_rate(fn) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out, out
