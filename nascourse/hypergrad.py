"""Hypergradients: the architecture gradient of a bilevel problem, five ways.

Differentiable NAS solves  min_α F(α) = L_val(w*(α), α)  with  w*(α) = argmin_w L_train(w, α).
The hypergradient dF/dα needs dw*/dα, which nobody can afford exactly for a network, so each
algorithm approximates it differently. This module puts them side by side::

    "first_order"  ∇_α L_val(w, α): pretend w does not depend on α (DARTS first order: eq. 6
                   with ξ = 0, Liu et al., ICLR 2019, section 2.3).
    "unrolled"     DARTS second order (Liu et al., ICLR 2019, section 2.3, eqs. 6-8): one
                   virtual SGD step w' = w − ξ(μm + ∇_w L_train + λw) (the paper's w − ξ∇_w L_train
                   plus the momentum and weight decay of its code's SGD step), then eq. 7's chain rule
                   ∇_α L_val(w', α) − ξ ∇²_{α,w} L_train(w, α) · ∇_{w'} L_val(w', α).
    "neumann"      iDARTS (Zhang et al., ICML 2021): the implicit function theorem
                   g_α − M H⁻¹ g_w with H⁻¹ ≈ γ Σ_{k=0..K} (I − γH)^k (a truncated Neumann series).
    "cg"           the same implicit formula, H⁻¹ g_w solved by conjugate gradients.
    "exact"        the same implicit formula with the dense Hessian (small problems only).

Notation (as in the implicit-gradient derivation of iDARTS), everything evaluated at the current (w, α)::

    H = ∇²_ww L_train   M = ∇²_{αw} L_train   g_w = ∇_w L_val   g_α = ∇_α L_val

No estimator builds H or M except "exact": H·v and M·v come from double backprop (differentiate
⟨∇_w L_train, v⟩ once more) or, as in the papers, from a central finite difference of ∇_α L_train.
The functions work for any bilevel problem given as two zero-argument loss callables; lesson 03
"Hypergradients" checks them against a ridge-regression problem whose hypergradient is known in
closed form, and the architecture step (``steps.search_step``) calls :func:`hypergradient` once per α step.
"""

from __future__ import annotations

import contextvars
import math
import warnings
from collections.abc import Callable, Iterable

import torch
from torch import Tensor

LossFn = Callable[[], Tensor]  # a zero-argument callable returning a scalar loss tensor

METHODS = ("first_order", "unrolled", "neumann", "cg", "exact")
# Whether each loss is checked for NaN/inf as it is computed (one device sync per loss); a search
# loop turns this off for its step (``hypergradient(..., check_finite=False)``) and checks once
# per epoch instead.
_CHECK_FINITE = contextvars.ContextVar("check_finite", default=True)
MIXED = ("finite_difference", "exact")  # the two ways to form M·v
# The options each method accepts (their defaults are in the signatures below).
OPTIONS = {
    "first_order": (),
    "unrolled": ("momentum_buffers", "momentum", "weight_decay", "mixed", "eps_scale"),
    "neumann": ("K", "mixed", "eps_scale"),
    "cg": ("tol", "max_iter", "damping", "mixed", "eps_scale"),
    "exact": ("max_params", "damping", "mixed", "eps_scale"),
}


# ---------------------------------------------------------------------------------------------
# Small helpers on lists of tensors (one tensor per parameter, shapes as in `weights` / `arch`)
# ---------------------------------------------------------------------------------------------

def _dot(xs: list[Tensor], ys: list[Tensor]) -> Tensor:
    """⟨x, y⟩ of two lists of tensors seen as one long vector (a 0-dim tensor)."""
    return sum((x * y).sum() for x, y in zip(xs, ys))


def _norm(xs: list[Tensor]) -> float:
    """‖x‖₂ of the whole concatenated vector, as the papers take it."""
    return math.sqrt(float(sum((x.detach() ** 2).sum() for x in xs)))  # one device sync


def _norm_on_device(xs: list[Tensor]) -> Tensor:
    """‖x‖₂ as a 0-dim float64 tensor on the device: the float32 sum of squares, then a float64 square
    root, the same bits as ``_norm`` without reading anything back to the host."""
    return sum((x.detach() ** 2).sum() for x in xs).double().sqrt()


def _eps(v: list[Tensor], eps_scale: float, norm: Tensor | None = None) -> Tensor:
    """ε = eps_scale / ‖v‖ (DARTS: 0.01 / ‖v‖₂) as a 0-dim float64 tensor on the device; ``norm``
    replaces ‖v‖. Where the norm is 0, v = 0 and ε = 1: then w ± εv = w and the difference is 0."""
    norm = _norm_on_device(v) if norm is None else norm
    scale = torch.full_like(norm, eps_scale)  # a true division, as in Python (scalar / tensor multiplies by 1/x)
    return torch.where(norm > 0, scale / norm, torch.ones_like(norm))


def _flat(xs: list[Tensor]) -> Tensor:
    """List of tensors -> one vector of shape (n,)."""
    return torch.cat([x.reshape(-1) for x in xs])


def _unflat(vector: Tensor, like: list[Tensor]) -> list[Tensor]:
    """Vector of shape (n,) -> list of tensors shaped like `like`."""
    sizes = [p.numel() for p in like]
    return [chunk.view_as(p) for chunk, p in zip(vector.split(sizes), like)]


def _grad(loss: Tensor, params: list[Tensor], create_graph: bool = False) -> list[Tensor]:
    """∇_params loss, with zeros for parameters the loss does not depend on. Never touches .grad."""
    if not loss.requires_grad:  # e.g. ⟨∇_w L, v⟩ of a loss that is linear in w
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(loss, params, create_graph=create_graph, retain_graph=True,
                                allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]


def _evaluate(loss_fn: LossFn, which: str, method: str) -> Tensor:
    """Call a loss callable and check that it gave a finite scalar."""
    loss = loss_fn()
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, Tensor) else type(loss).__name__
        raise ValueError(f"hypergradient({method!r}): {which} returned {shape}, expected a scalar "
                         f"tensor; reduce it with .mean() or .sum()")
    if _CHECK_FINITE.get() and not torch.isfinite(loss).all():
        raise FloatingPointError(f"hypergradient({method!r}): {which} is {loss.item()} (not finite); "
                                 f"lower the learning rate or check the data and the network")
    return loss.reshape(())


def _set(params: list[Tensor], values: list[Tensor]) -> None:
    """Write `values` into the leaf tensors `params` in place (outside autograd)."""
    with torch.no_grad():
        for p, value in zip(params, values):
            p.copy_(value)


# ---------------------------------------------------------------------------------------------
# Second-order building blocks: H·v and M·v
# ---------------------------------------------------------------------------------------------

def _hvp(grad_w: list[Tensor], weights: list[Tensor], v: list[Tensor]) -> list[Tensor]:
    """H·v = ∇_w ⟨∇_w L, v⟩, where `grad_w` = ∇_w L was computed with create_graph=True."""
    return [h.detach() for h in _grad(_dot(grad_w, v), weights)]


def _mixed_exact(grad_w: list[Tensor], arch: list[Tensor], v: list[Tensor]) -> list[Tensor]:
    """M·v = ∇²_{αw} L · v = ∇_α ⟨∇_w L, v⟩, by double backprop through the same graph."""
    return [m.detach() for m in _grad(_dot(grad_w, v), arch)]


def _mixed_fd(train_loss: LossFn, weights: list[Tensor], arch: list[Tensor], v: list[Tensor],
              eps: Tensor, method: str) -> list[Tensor]:
    """M·v ≈ [∇_α L_train(w + εv, α) − ∇_α L_train(w − εv, α)] / (2ε)   (DARTS eq. 8).

    Moves `weights` to w ± εv in place and always copies the saved w back (even on error).
    """
    w0 = [p.detach().clone() for p in weights]
    try:
        _set(weights, [p + eps * d for p, d in zip(w0, v)])  # w⁺ = w + εv
        g_plus = _grad(_evaluate(train_loss, "train_loss at w + eps*v", method), arch)
        _set(weights, [p - eps * d for p, d in zip(w0, v)])  # w⁻ = w − εv
        g_minus = _grad(_evaluate(train_loss, "train_loss at w - eps*v", method), arch)
    finally:
        _set(weights, w0)  # copy back, not add-and-subtract: no rounding drift in w
    return [(gp - gm).detach() / (2 * eps) for gp, gm in zip(g_plus, g_minus)]


def _mixed(train_loss: LossFn, weights: list[Tensor], arch: list[Tensor], v: list[Tensor],
           mixed: str, eps_scale: float, method: str, eps_norm: Tensor | None = None) -> list[Tensor]:
    """M·v at the current w, exactly or by finite differences with ε = eps_scale / ‖v‖.

    `eps_norm` replaces ‖v‖ in ε where a paper scales by another vector (iDARTS: ‖v0‖). Nothing
    is read back to the host: ε stays a tensor on the device.
    """
    if mixed == "exact":
        grad_w = _grad(_evaluate(train_loss, "train_loss", method), weights, create_graph=True)
        return _mixed_exact(grad_w, arch, v)
    eps = _eps(v, eps_scale, eps_norm)  # ε = 0.01 / ‖v‖₂ in DARTS (section 2.3, the note to eq. 8)
    return _mixed_fd(train_loss, weights, arch, v, eps, method)


def mixed_product(train_loss: LossFn, weights: list[Tensor], arch: list[Tensor], v: list[Tensor],
                  mixed: str = "exact", eps_scale: float = 0.01) -> list[Tensor]:
    """The mixed second derivative times a vector, ∇²_{αw} L_train · v, at the current weights: by double
    backprop (``mixed="exact"``) or by DARTS's central difference with ε = eps_scale / ‖v‖
    (``"finite_difference"``, DARTS eq. 8), one tensor per α. The oracle of lesson 03's
    finite-difference exercise; the hypergradients below use the same computation."""
    if mixed not in ("exact", "finite_difference"):
        raise ValueError(f"mixed must be 'exact' or 'finite_difference', got {mixed!r}")
    return _mixed(train_loss, weights, arch, v, mixed, eps_scale, "mixed_product")


def hessian_vector_product(loss_fn: LossFn, params: Iterable[Tensor],
                           vectors: Iterable[Tensor]) -> list[Tensor]:
    """H·v with H = ∇²_params loss_fn(), by double backprop; `vectors` are shaped like `params`.

    Oracle for grading: ``check_neumann`` compares answers with it.
    """
    params, vectors = list(params), list(vectors)
    grad = _grad(_evaluate(loss_fn, "loss_fn", "hessian_vector_product"), params, create_graph=True)
    return _hvp(grad, params, vectors)


# ---------------------------------------------------------------------------------------------
# The five estimators
# ---------------------------------------------------------------------------------------------

def _first_order(val_loss: LossFn, arch: list[Tensor]) -> list[Tensor]:
    """DARTS first order (Liu et al., ICLR 2019, section 2.3, ξ = 0): g_α = ∇_α L_val(w, α) at the current w."""
    return _grad(_evaluate(val_loss, "val_loss", "first_order"), arch)


def _unrolled(train_loss: LossFn, val_loss: LossFn, weights: list[Tensor], arch: list[Tensor],
              lr: float, momentum_buffers: list[Tensor | None] | None = None,
              momentum: float = 0.9, weight_decay: float = 0.0,
              mixed: str = "finite_difference", eps_scale: float = 0.01) -> list[Tensor]:
    """DARTS second order (Liu et al., ICLR 2019, section 2.3, eqs. 6-8): L_val through one virtual SGD step."""
    xi, method = lr, "unrolled"
    if momentum_buffers is None:  # no SGD state yet: m = 0
        momentum_buffers = [None] * len(weights)
    if len(momentum_buffers) != len(weights):
        raise ValueError(f"hypergradient('unrolled'): {len(momentum_buffers)} momentum_buffers for "
                         f"{len(weights)} weights; pass one per weight tensor (None where empty)")
    for i, (p, b) in enumerate(zip(weights, momentum_buffers)):
        if b is not None and b.shape != p.shape:
            raise ValueError(f"hypergradient('unrolled'): momentum_buffers[{i}] has shape "
                             f"{tuple(b.shape)}, weights[{i}] has {tuple(p.shape)}; they must match")
    m = [torch.zeros_like(p) if b is None else b.detach() for p, b in zip(weights, momentum_buffers)]
    g_w = _grad(_evaluate(train_loss, "train_loss", method), weights)
    w0 = [p.detach().clone() for p in weights]
    try:
        # step 1, eq. 6's virtual step with DARTS's SGD: w' = w − ξ (μ m + ∇_w L_train(w, α) + λ w)
        _set(weights, [p - xi * (momentum * b + g + weight_decay * p)
                       for p, b, g in zip(w0, m, g_w)])
        # step 2: g_α' = ∇_α L_val(w', α) and v = ∇_{w'} L_val(w', α), one backward pass
        grads = _grad(_evaluate(val_loss, "val_loss at the virtual step w'", method), arch + weights)
        g_alpha, v = grads[:len(arch)], grads[len(arch):]
    finally:
        _set(weights, w0)  # back to the original w, bit for bit
    # step 3 (eq. 8): M·v = ∇²_{α,w} L_train(w, α) · v at the ORIGINAL w
    Mv = _mixed(train_loss, weights, arch, v, mixed, eps_scale, method)
    # step 4 (eq. 7): ∇_α L_val(w', α) − ξ ∇²_{α,w} L_train(w, α) · v
    return [ga - xi * mv for ga, mv in zip(g_alpha, Mv)]


def _neumann(train_loss: LossFn, val_loss: LossFn, weights: list[Tensor], arch: list[Tensor],
             lr: float, K: int = 2, mixed: str = "finite_difference",
             eps_scale: float = 0.01) -> list[Tensor]:
    """iDARTS (Zhang et al., ICML 2021), stochastic Neumann form: g_α − γ M Σ_{k=0..K} (I − γH)^k g_w."""
    gamma, method = lr, "neumann"
    if not isinstance(K, int) or isinstance(K, bool) or K < 0:
        raise ValueError(f"hypergradient('neumann'): K={K!r}; expected an integer >= 0 "
                         f"(iDARTS uses K=2)")
    grads = _grad(_evaluate(val_loss, "val_loss", method), arch + weights)
    g_alpha, v0 = grads[:len(arch)], grads[len(arch):]  # g_α = ∇_α L_val, v0 = g_w = ∇_w L_val
    # s = Σ_{k=0..K} (I − γH)^k g_w, one Hessian-vector product per term
    v, s = v0, v0
    if K > 0:
        grad_w = _grad(_evaluate(train_loss, "train_loss", method), weights, create_graph=True)
        for _ in range(K):
            Hv = _hvp(grad_w, weights, v)
            v = [vi - gamma * hv for vi, hv in zip(v, Hv)]  # v_k = (I − γH) v_{k−1}
            s = [si + vi for si, vi in zip(s, v)]  # s = v_0 + ... + v_k
        del grad_w  # free the double-backprop graph before M·s
    # M·s with r = eps_scale / ‖v0‖, as the official iDARTS code does
    Ms = _mixed(train_loss, weights, arch, s, mixed, eps_scale, method, eps_norm=_norm_on_device(v0))
    # ∇_α F ≈ g_α − γ M Σ_k (I − γH)^k g_w, as H⁻¹ = γ Σ_k (I − γH)^k for 0 < γ < 2 / λ_max(H)
    return [ga - gamma * ms for ga, ms in zip(g_alpha, Ms)]


def _cg(train_loss: LossFn, val_loss: LossFn, weights: list[Tensor], arch: list[Tensor],
        tol: float = 1e-6, max_iter: int = 100, damping: float = 0.0, mixed: str = "exact",
        eps_scale: float = 0.01) -> list[Tensor]:
    """Implicit hypergradient g_α − M H⁻¹ g_w, with H⁻¹ g_w by conjugate gradients."""
    method = "cg"
    grads = _grad(_evaluate(val_loss, "val_loss", method), arch + weights)
    g_alpha, g_w = grads[:len(arch)], grads[len(arch):]
    grad_w = _grad(_evaluate(train_loss, "train_loss", method), weights, create_graph=True)
    # conjugate gradients for (H + damping·I) x = g_w, starting from x = 0
    x = [torch.zeros_like(g) for g in g_w]
    r, p = list(g_w), list(g_w)  # residual r = g_w − (H + δI) x, search direction p
    rr, b_norm = float(_dot(r, r)), _norm(g_w)
    for _ in range(max_iter):
        if math.sqrt(rr) <= tol * b_norm:  # relative residual ‖r‖ / ‖g_w‖ small enough
            break
        Hp = [hp + damping * pi for hp, pi in zip(_hvp(grad_w, weights, p), p)]
        pHp = float(_dot(p, Hp))
        if pHp <= 0:
            raise ValueError(f"hypergradient('cg'): non-positive curvature p^T H p = {pHp:.3g}; the "
                             f"implicit formula assumes H positive definite at the inner optimum. "
                             f"Train w closer to a minimum or pass damping > 0 (e.g. damping=1e-3)")
        a = rr / pHp  # step length along p
        x = [xi + a * pi for xi, pi in zip(x, p)]
        r = [ri - a * hpi for ri, hpi in zip(r, Hp)]
        rr_new = float(_dot(r, r))
        p = [ri + (rr_new / rr) * pi for ri, pi in zip(r, p)]  # next H-conjugate direction
        rr = rr_new
    if math.sqrt(rr) > tol * b_norm:  # the loop ran out of iterations before converging
        warnings.warn(f"hypergradient('cg'): relative residual {math.sqrt(rr) / b_norm:.2e} > "
                      f"tol={tol} after max_iter={max_iter} iterations; raise max_iter or damping",
                      RuntimeWarning, stacklevel=3)
    del grad_w  # free the double-backprop graph before M·x
    # implicit function theorem: ∇_α F = g_α − M H⁻¹ g_w (exact at a stationary w* of L_train)
    Mx = _mixed(train_loss, weights, arch, x, mixed, eps_scale, method)
    return [ga - mx for ga, mx in zip(g_alpha, Mx)]


def _exact(train_loss: LossFn, val_loss: LossFn, weights: list[Tensor], arch: list[Tensor],
           max_params: int = 2000, damping: float = 0.0, mixed: str = "exact",
           eps_scale: float = 0.01) -> list[Tensor]:
    """Implicit hypergradient g_α − M H⁻¹ g_w with the dense Hessian (n ≤ max_params)."""
    method = "exact"
    n = sum(p.numel() for p in weights)
    if n > max_params:
        raise ValueError(f"hypergradient('exact'): the weights have {n} entries, above "
                         f"max_params={max_params}: the dense {n}x{n} Hessian is too costly. Use "
                         f"method='cg' (same estimate, Hessian-vector products only)")
    grads = _grad(_evaluate(val_loss, "val_loss", method), arch + weights)
    g_alpha, g_w = grads[:len(arch)], grads[len(arch):]
    grad_w = _flat(_grad(_evaluate(train_loss, "train_loss", method), weights, create_graph=True))
    # dense H, shape (n, n): row i = ∇_w (∂L_train/∂w_i)
    H = torch.stack([_flat(_grad(grad_w[i], weights)) for i in range(n)]).detach()
    H = H + damping * torch.eye(n, dtype=H.dtype, device=H.device)
    try:
        x = torch.linalg.solve(H, _flat(g_w))  # H⁻¹ g_w, shape (n,)
    except torch.linalg.LinAlgError as error:
        raise ValueError(f"hypergradient('exact'): the Hessian ({n}x{n}) is singular; pass "
                         f"damping > 0 (e.g. damping=1e-3)") from error
    del grad_w, H
    Mx = _mixed(train_loss, weights, arch, _unflat(x, weights), mixed, eps_scale, method)
    return [ga - mx for ga, mx in zip(g_alpha, Mx)]  # g_α − M H⁻¹ g_w


# ---------------------------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------------------------

def _check_tensors(tensors: list[Tensor], name: str, method: str) -> None:
    if not tensors:
        raise ValueError(f"hypergradient({method!r}): `{name}` is empty; pass a list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.requires_grad or not t.is_leaf:
            raise ValueError(f"hypergradient({method!r}): {name}[{i}] is not a leaf tensor with "
                             f"requires_grad=True; pass parameters, e.g. list(net.parameters())")


def _check_options(method: str, lr: float | None, options: dict) -> None:
    unknown = sorted(set(options) - set(OPTIONS[method]))
    if unknown:
        raise ValueError(f"hypergradient({method!r}): unknown option(s) {unknown}; "
                         f"{method!r} accepts {list(OPTIONS[method])}")
    if method in ("unrolled", "neumann") and not (isinstance(lr, (int, float))
                                                  and math.isfinite(lr) and lr > 0):
        raise ValueError(f"hypergradient({method!r}): lr={lr!r}; expected a number > 0 "
                         f"(the weight learning rate, xi in DARTS, gamma in iDARTS)")
    if options.get("mixed", "exact") not in MIXED:
        raise ValueError(f"hypergradient({method!r}): mixed={options['mixed']!r}; expected one of "
                         f"{list(MIXED)}")
    positive = ("eps_scale", "tol", "max_iter", "max_params")
    for key in positive + ("momentum", "weight_decay", "damping"):
        value = options.get(key, 1)
        number = int if key in ("max_iter", "max_params") else (int, float)
        if not (isinstance(value, number) and math.isfinite(value)
                and (value > 0 if key in positive else value >= 0)):
            kind = "an integer" if number is int else "a number"
            raise ValueError(f"hypergradient({method!r}): {key}={value!r}; expected {kind} "
                             f"{'> 0' if key in positive else '>= 0'}")


def hypergradient(train_loss: LossFn, val_loss: LossFn, weights: Iterable[Tensor],
                  arch: Iterable[Tensor], method: str, *, lr: float | None, check_finite: bool = True,
                  **options) -> list[Tensor]:
    """Estimate dF/dα for F(α) = L_val(w*(α), α), w*(α) = argmin_w L_train(w, α).

    Args:
        train_loss, val_loss: zero-argument callables returning L_train(w, α) and L_val(w, α)
            as scalar tensors at the current values of `weights` and `arch`. The finite
            differences call train_loss several times: make it use the same minibatch on each
            call (a closure over a fixed batch), or the difference measures batch noise.
        weights: leaf tensors w with requires_grad (e.g. a network's parameters).
        arch: leaf tensors α with requires_grad.
        method: one of METHODS (see the module docstring).
        lr: the weight learning rate: ξ for "unrolled", γ for "neumann"; unused otherwise.
        check_finite: raise FloatingPointError on a NaN or infinite loss as soon as it is
            computed (a device sync per loss). A search loop passes False and checks the result
            once per epoch, so that its step never waits for the device.
        **options: per method (defaults in brackets)::

            unrolled: momentum_buffers [None = 0; entries may be None], momentum [0.9],
                      weight_decay [0.0; DARTS uses 3e-4, the search loop passes it],
                      mixed ["finite_difference" | "exact"], eps_scale [0.01]
            neumann:  K [2, as iDARTS], mixed ["finite_difference"], eps_scale [0.01]
            cg:       tol [1e-6, relative residual ‖r‖/‖g_w‖], max_iter [100], damping [0.0],
                      mixed ["exact"], eps_scale [0.01]
            exact:    max_params [2000], damping [0.0], mixed ["exact"], eps_scale [0.01]

    Returns:
        one detached tensor per tensor of `arch`, same shapes. `weights` are left exactly as
        they were and no .grad field is touched.

    Oracle for grading: ``check_arch_gradient`` and ``check_neumann`` compare answers with it.
    """
    weights, arch = list(weights), list(arch)
    if method not in METHODS:
        raise ValueError(f"unknown hypergradient method {method!r}; expected one of {list(METHODS)}")
    _check_tensors(weights, "weights", method)
    _check_tensors(arch, "arch", method)
    _check_options(method, lr, options)
    token = _CHECK_FINITE.set(check_finite)
    try:
        result = _estimate(train_loss, val_loss, weights, arch, method, lr, options)
    finally:
        _CHECK_FINITE.reset(token)
    return [g.detach() for g in result]


def _estimate(train_loss, val_loss, weights, arch, method, lr, options) -> list[Tensor]:
    with torch.enable_grad():  # also works when called under torch.no_grad()
        if method == "first_order":
            result = _first_order(val_loss, arch)
        elif method == "unrolled":
            result = _unrolled(train_loss, val_loss, weights, arch, lr, **options)
        elif method == "neumann":
            result = _neumann(train_loss, val_loss, weights, arch, lr, **options)
        elif method == "cg":
            result = _cg(train_loss, val_loss, weights, arch, **options)
        else:
            result = _exact(train_loss, val_loss, weights, arch, **options)
    return result
