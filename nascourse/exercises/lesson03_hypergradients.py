"""Checkers for the exercises of hypergradients (lesson 03)."""

from __future__ import annotations

from .common import _report, _call


def _hg_ridge(seed: int, c: float = 0.0, shift: float = 0.0, D: int = 6):
    """Lesson 03's ridge bilevel problem, in float64, as (train_loss, val_loss, w, alpha, H):

        L_train(w, α) = ½‖X_tr w − y_tr‖²/n + ½ Σ_i e^{α_i} w_i²,   H = X_trᵀX_tr/n + diag(e^α)
        L_val(w, α)   = ½‖X_val w − y_val‖²/m + ½ c ‖α‖²             (c > 0: g_α ≠ 0)

    w (D,) starts at the inner optimum w*(α), moved by ``shift`` along a random unit direction.
    """
    import math

    import torch

    f64 = torch.float64
    g = torch.Generator().manual_seed(seed)
    n = m = 30
    scales = torch.logspace(0.25, -0.25, D, dtype=f64)
    w_true = torch.randn(D, generator=g, dtype=f64)
    X_tr = torch.randn(n, D, generator=g, dtype=f64) * scales
    y_tr = X_tr @ w_true + 0.5 * torch.randn(n, generator=g, dtype=f64)
    X_val = torch.randn(m, D, generator=g, dtype=f64) * scales
    y_val = X_val @ w_true + 0.5 * torch.randn(m, generator=g, dtype=f64)
    alpha0 = math.log(0.3) + 0.5 * torch.randn(D, generator=g, dtype=f64)
    H = X_tr.T @ X_tr / n + torch.diag(alpha0.exp())  # (D, D), independent of w
    direction = torch.randn(D, generator=g, dtype=f64)
    w = (torch.linalg.solve(H, X_tr.T @ y_tr / n) + shift * direction / direction.norm()).requires_grad_()
    alpha = alpha0.clone().requires_grad_()

    def train_loss():
        return 0.5 * ((X_tr @ w - y_tr) ** 2).mean() + 0.5 * (alpha.exp() * w**2).sum()

    def val_loss():
        return 0.5 * ((X_val @ w - y_val) ** 2).mean() + 0.5 * c * (alpha**2).sum()

    return train_loss, val_loss, w, alpha, H


def _hg_mixture_net(seed: int):
    """A supernet with one edge (lesson 03, exercise 2), float64, as (train_loss, val_loss, w, alpha):
    x (16, 4) -> h = x W1 + b1 (16, 6) -> softmax(α)-weighted mix of [relu, tanh, identity](h)
    -> logits h W2 (16, 3); all weights in one flat vector w (48,), α (3,)."""
    import torch
    import torch.nn.functional as F

    f64 = torch.float64
    g = torch.Generator().manual_seed(seed)
    w = (0.7 * torch.randn(48, generator=g, dtype=f64)).requires_grad_()
    alpha = (0.5 * torch.randn(3, generator=g, dtype=f64)).requires_grad_()
    x_tr, x_val = (torch.randn(16, 4, generator=g, dtype=f64) for _ in range(2))
    y_tr, y_val = (torch.randint(0, 3, (16,), generator=g) for _ in range(2))

    def logits(x):
        W1, b1, W2 = w[:24].view(4, 6), w[24:30], w[30:].view(6, 3)
        h = x @ W1 + b1
        p = torch.softmax(alpha, dim=0)
        return (p[0] * torch.relu(h) + p[1] * torch.tanh(h) + p[2] * h) @ W2

    return (lambda: F.cross_entropy(logits(x_tr), y_tr)), (lambda: F.cross_entropy(logits(x_val), y_val)), w, alpha


def _hg_rel(a, b) -> float:
    """‖a − b‖ / ‖b‖ (float64), with ‖b‖ = 0 handled."""
    import torch

    a, b = a.detach().to(torch.float64).reshape(-1), b.detach().to(torch.float64).reshape(-1)
    return float((a - b).norm() / b.norm()) if float(b.norm()) > 0 else float(a.norm())


def _hg_answer(got, like, label: str, what: str, problems: list[str]):
    """The student's result as a float64 tensor shaped like ``like``, or None (with a problem)."""
    import torch

    if got is None:
        problems.append(f"{label}: your function returned None; return {what}")
        return None
    if not isinstance(got, torch.Tensor):
        problems.append(f"{label}: expected a tensor, got {type(got).__name__}; return {what}")
        return None
    if got.shape != like.shape:
        problems.append(f"{label}: your result has shape {tuple(got.shape)}, expected {tuple(like.shape)} "
                        f"(one entry per architecture parameter α_i)")
        return None
    if not torch.isfinite(got).all():
        problems.append(f"{label}: your result is not finite: {got.detach()}")
        return None
    return got.detach().to(torch.float64)


def _hg_unchanged(tensors: dict, saved: dict, label: str, problems: list[str]) -> bool:
    """Was every leaf tensor put back (up to rounding) after the student's function ran?"""
    import torch

    for name, t in tensors.items():
        drift = float((t.detach() - saved[name]).abs().max())
        if drift > 1e-12 * (1 + float(saved[name].abs().max())):
            problems.append(f"{label}: your function left `{name}` changed (by up to {drift:.3g}); the loss "
                            f"callables read it, so put it back: save a copy and copy it back with "
                            f"`with torch.no_grad(): {name}.copy_(saved)`")
            return False
        with torch.no_grad():  # rounding drift only: reset it, so the next case starts clean
            t.copy_(saved[name])
    return True


def check_neumann(neumann) -> bool:
    """Lesson 03, exercise 1: ``neumann(train_loss, val_loss, w, alpha, gamma, K)`` =
    g_α − γ M Σ_{k=0..K} (I − γH)^k g_w.

    Compared with ``hypergradient(..., "neumann", lr=gamma, K=K, mixed="exact")`` on two ridge
    problems (one at the inner optimum with L_val independent of α, one away from it with
    g_α ≠ 0) for K = 0, 1, 2, 5. A wrong answer is matched against the usual mistakes, computed
    with the dense Hessian: one term too few or too many, γ missing in front of the sum or inside
    (I − γH), the sign of the mixed term, g_α dropped.
    """
    import torch

    from ..hypergrad import hypergradient

    title = "Exercise 1 (Neumann hypergradient)"
    problems: list[str] = []
    problem_cases = [("at the inner optimum, L_val independent of alpha", dict(seed=0)),
                     ("away from the optimum, L_val depends on alpha", dict(seed=1, c=0.5, shift=0.3))]
    for description, kwargs in problem_cases:
        train_loss, val_loss, w, alpha, H = _hg_ridge(**kwargs)
        lam_max = float(torch.linalg.eigvalsh(H).max())
        gamma = (1.0 if kwargs["seed"] == 0 else 0.6) / lam_max
        # the pieces, for diagnosing: g_α, g_w and the mixed product M·s by double backprop
        g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
        g_alpha = torch.zeros_like(alpha) if g_alpha is None else g_alpha

        def M(s):  # M·s = ∇_α ⟨∇_w L_train, s⟩, on a fresh graph (the student may move w in place)
            grad_w = torch.autograd.grad(train_loss(), w, create_graph=True)[0]
            return torch.autograd.grad(grad_w @ s, alpha)[0].detach()

        def series(K, step, hess=H):  # Σ_{k=0..K} (I − step·hess)^k g_w; zero for K = −1
            total, v = torch.zeros_like(g_w), g_w.clone()
            for _ in range(K + 1):
                total, v = total + v, v - step * (hess @ v)
            return total

        for K in (0, 1, 2, 5):
            label = f"{description}, K={K}"
            expected = hypergradient(train_loss, val_loss, [w], [alpha], "neumann", lr=gamma, K=K,
                                     mixed="exact")[0]
            mistakes = [
                (g_alpha - gamma * M(series(K - 1, gamma)),
                 f"your series has one term too few: Σ_{{k=0..K}} (I − γH)^k g_w has K+1 = {K + 1} terms "
                 f"(K Hessian-vector products after the first term g_w); start the sum at s = g_w and add "
                 f"K more terms" + (" (with K=0 the estimate is g_α − γ M g_w, not g_α alone)" if K == 0 else "")),
                (g_alpha - gamma * M(series(K + 1, gamma)),
                 f"your series has one term too many: with K={K} there are {K} Hessian-vector products "
                 f"and K+1 = {K + 1} terms, k = 0..K"),
                (g_alpha - M(series(K, gamma)),
                 "you forgot the factor γ in front of the sum: H⁻¹ ≈ γ Σ_k (I − γH)^k, so the estimate "
                 "is g_α − γ M Σ_k (I − γH)^k g_w"),
                (g_alpha + gamma * M(series(K, gamma)),
                 "the mixed term has the wrong sign: ∇F = g_α − M H⁻¹ g_w (minus: dw*/dα = −H⁻¹ ∇²_wα L_train)"),
                (g_alpha - gamma * M(series(K, 1.0)),
                 "inside the series use (I − γH), not (I − H): each step is v ← v − γ·Hv"),
                (-gamma * M(series(K, gamma)),
                 "you dropped the direct term g_α = ∇_α L_val: it is zero in the lesson's problem, but "
                 "not when L_val depends on α (add it; torch.autograd.grad(..., allow_unused=True) gives "
                 "None for it when it does not)"),
            ]
            saved = {"w": w.detach().clone(), "alpha": alpha.detach().clone()}
            before = len(problems)
            got = _call(neumann, train_loss, val_loss, w, alpha, gamma, K, problems=problems, label=label)
            if len(problems) > before:
                break
            got = _hg_answer(got, alpha, label, "the hypergradient, a tensor shaped like alpha", problems)
            if got is None or not _hg_unchanged({"w": w, "alpha": alpha}, saved, label, problems):
                break
            error = _hg_rel(got, expected)
            if error < 1e-8:
                continue
            for wrong, why in mistakes:
                if _hg_rel(got, wrong) < 1e-8 and _hg_rel(wrong, expected) > 1e-6:
                    problems.append(f"{label}: {why}")
                    break
            else:
                hint = (" (close: did you compute in float32? keep the problem's float64)" if error < 1e-4
                        else "; compute s = Σ_{k=0..K} v_k with v_0 = g_w, v_k = v_{k−1} − γ H v_{k−1}, "
                             "then g_α − γ M s")
                problems.append(f"{label}: relative error {error:.3g} against hypergradient(..., 'neumann')"
                                f"{hint}")
            break
        if problems:
            break
    return _report(title, problems)


def check_mixed_fd(mixed_fd) -> bool:
    """Lesson 03, exercise 2: ``mixed_fd(train_loss, w, alpha, v)`` ≈ ∇²_{αw} L_train · v by DARTS's
    central difference with ε = 0.01 / ‖v‖₂ (Liu et al. 2019, eq. 8).

    Compared with the library's finite difference (``hypergrad.mixed_product``) on a one-edge supernet
    in float64, for v = ∇_w L_val (as DARTS) and two random v of norms 10 and 0.1 (so that ε
    matters). Also checks that w is put back. A wrong answer is matched against a forward
    difference, a missing factor 2, swapped signs, a fixed ε = 0.01 and the exact double-backprop
    product. On success, prints how far the finite difference is from the exact product.
    """
    import torch

    from ..hypergrad import mixed_product

    title = "Exercise 2 (finite-difference mixed term)"
    problems: list[str] = []
    train_loss, val_loss, w, alpha = _hg_mixture_net(seed=0)
    g = torch.Generator().manual_seed(1)
    v_val = torch.autograd.grad(val_loss(), w)[0]
    randoms = [torch.randn(w.shape, generator=g, dtype=w.dtype) for _ in range(2)]
    cases = [("v = grad_w L_val (as in DARTS)", v_val),
             ("a random v with norm 10", 10 * randoms[0] / randoms[0].norm()),
             ("a random v with norm 0.1", 0.1 * randoms[1] / randoms[1].norm())]

    def grad_alpha_at(w_new):  # ∇_α L_train at w_new, w put back afterwards
        saved = w.detach().clone()
        with torch.no_grad():
            w.copy_(w_new)
        try:
            return torch.autograd.grad(train_loss(), alpha)[0].detach()
        finally:
            with torch.no_grad():
                w.copy_(saved)

    fd_vs_exact = []
    for label, v in cases:
        w0 = w.detach().clone()
        expected = mixed_product(train_loss, [w], [alpha], [v], "finite_difference", 0.01)[0]
        exact = mixed_product(train_loss, [w], [alpha], [v], "exact", 0.01)[0]
        eps = 0.01 / float(v.norm())
        g_plus, g_minus, g_0 = grad_alpha_at(w0 + eps * v), grad_alpha_at(w0 - eps * v), grad_alpha_at(w0)
        central_fixed = (grad_alpha_at(w0 + 0.01 * v) - grad_alpha_at(w0 - 0.01 * v)) / 0.02
        mistakes = [
            ((g_plus - g_0) / eps,
             "you used a forward difference [∇_α L(w + εv) − ∇_α L(w)] / ε; its error is O(ε), the central "
             "difference [∇_α L(w + εv) − ∇_α L(w − εv)] / (2ε) is O(ε²) for the same two gradients"),
            ((g_plus - g_minus) / eps,
             "you divided by ε instead of 2ε: the two points w ± εv are 2ε apart"),
            ((g_minus - g_plus) / (2 * eps),
             "the sign is swapped: subtract the gradient at w − εv FROM the one at w + εv"),
            (central_fixed,
             "you used ε = 0.01; DARTS scales it by the length of v, ε = 0.01 / ‖v‖₂, so that the "
             "weights move by 0.01 whatever the size of v"),
            (exact,
             "this is the exact product by double backprop, not the finite difference the exercise asks "
             "for: move w to w ± εv and difference ∇_α L_train"),
        ]
        alpha.grad = None
        before = len(problems)
        got = _call(mixed_fd, train_loss, w, alpha, v.clone(), problems=problems, label=label)
        if len(problems) > before:
            break
        got = _hg_answer(got, alpha, label, "the product M·v, a tensor shaped like alpha", problems)
        if got is None or not _hg_unchanged({"w": w}, {"w": w0}, label, problems):
            break
        error = _hg_rel(got, expected)
        if error < 1e-7:
            fd_vs_exact.append(_hg_rel(got, exact))
            continue
        for wrong, why in mistakes:
            if _hg_rel(got, wrong) < 1e-7:
                problems.append(f"{label}: {why}")
                break
        else:
            hint = (" If you call .backward(), alpha.grad accumulates from one call to the next: use "
                    "torch.autograd.grad(loss, alpha)[0] instead." if alpha.grad is not None else "")
            problems.append(f"{label}: relative error {error:.3g} against the library's central difference "
                            f"[∇_α L(w + εv) − ∇_α L(w − εv)] / (2ε), ε = 0.01/‖v‖.{hint}")
        break
    alpha.grad = None
    ok = _report(title, problems)
    if ok:
        print(f"  Your finite difference is within a relative {min(fd_vs_exact):.1g} to {max(fd_vs_exact):.1g} "
              f"of the exact double-backprop product M·v (float64).")
    return ok


def check_neumann_rate(rate) -> bool:
    """Lesson 03, exercise 3: ``rate(H, gamma)`` = ``ρ = max_i |1 − γ λ_i(H)|``, the factor by which the
    Neumann error shrinks per term.

    Compared with the eigenvalues from ``torch.linalg.eigvalsh`` on random symmetric matrices (well
    and badly conditioned, and one with a negative eigenvalue) at step sizes below, at and above
    the limit 2/λ_max. A wrong answer is matched against the usual mistakes (no absolute value,
    only λ_max or λ_min, γ forgotten, the minimum instead of the maximum).
    """
    import torch

    title = "Exercise 3 (Neumann convergence rate)"
    problems: list[str] = []
    g = torch.Generator().manual_seed(3)
    matrices = []
    for size, spread, shift in ((4, 2.0, 0.0), (6, 20.0, 0.0), (5, 3.0, -0.5)):
        Q, _ = torch.linalg.qr(torch.randn(size, size, generator=g, dtype=torch.float64))
        lam = torch.linspace(1.0, spread, size, dtype=torch.float64) + shift * spread  # shift < 0: indefinite
        matrices.append((f"{size}x{size}, eigenvalues {float(lam.min()):.2g}..{float(lam.max()):.2g}",
                         Q @ torch.diag(lam) @ Q.T))
    # run every case first: several mistakes agree with the right answer on some cases, so a
    # mistake is named only if it explains the answers on every case
    results = []  # (label, got, expected, [(wrong value, why)], eigenvalues)
    for description, H in matrices:
        lam = torch.linalg.eigvalsh(H)
        lo, hi = float(lam.min()), float(lam.max())
        top = max(abs(lo), abs(hi))
        for gamma in (0.5 / top, 1.0 / top, 2.0 / (abs(lo) + top), 1.9 / top, 2.5 / top):
            label = f"H {description}, gamma={gamma:.3g}"
            mistakes = [
                (float((1 - gamma * lam).max()),
                 "you forgot the absolute value: ρ = max_i |1 − γλ_i|. For a large γ, 1 − γλ_max < −1, and "
                 "that is the direction in which the series blows up"),
                (abs(1 - gamma * hi),
                 "you only used λ_max: the slowest direction is often λ_min (|1 − γλ_min| close to 1); take "
                 "the maximum over all eigenvalues"),
                (abs(1 - gamma * lo),
                 "you only used λ_min: for a large γ the largest eigenvalue decides (|1 − γλ_max| > 1); take "
                 "the maximum over all eigenvalues"),
                (float((1 - lam).abs().max()),
                 "you forgot γ: the series iterates I − γH, so ρ = max_i |1 − γλ_i|"),
                (float((1 - gamma * lam).abs().min()),
                 "you took the minimum over the eigenvalues; the error shrinks only as fast as the slowest "
                 "direction allows: ρ = MAX_i |1 − γλ_i|"),
            ]
            before = len(problems)
            got = _call(rate, H.clone(), gamma, problems=problems, label=label)
            if len(problems) > before:
                return _report(title, problems)
            try:
                got = float(got)
            except (TypeError, ValueError, RuntimeError):
                problems.append(f"{label}: your function returned {got!r}; return ρ as a float")
                return _report(title, problems)
            results.append((label, got, float((1 - gamma * lam).abs().max()), mistakes, lam))

    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))

    wrong = [r for r in results if not same(r[1], r[2])]
    if wrong:
        label, got, expected, _, lam = wrong[0]
        for k, (_, why) in enumerate(results[0][3]):
            if all(same(r[1], r[3][k][0]) for r in results):  # this mistake explains every answer
                problems.append(f"{label}: {why}")
                break
        else:
            problems.append(f"{label}: you returned {got:.6g}, expected ρ = {expected:.6g} = "
                            f"max_i |1 − γλ_i| (eigenvalues {[round(float(x), 3) for x in lam]})")
    return _report(title, problems)
