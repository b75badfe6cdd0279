"""Sharpness: the dominant eigenvalue of a Hessian, of the weights or of α, and DARTS-ES's stopping rule.

A minimum is sharp when the loss rises fast in some direction; the rate is the largest eigenvalue
λ_max of the Hessian there. Two of them matter in this course:

* **λ_max of the weight Hessian** (spec 9.3) of a trained network, by power iteration on
  Hessian-vector products of the loss averaged over fixed batches (Li et al., NeurIPS 2018, use it
  beside their surfaces; lesson 05).
* **λ_max of the α Hessian** of a supernet on one validation batch, with the weight-decay term
  DARTS's Adam adds to α: ∇²_α [L_val(w, α) + (wd/2)||α||²] = ∇²_α L_val + wd I (Zela et al.,
  "Understanding and Robustifying DARTS", ICLR 2020, spec 9.2). RobustDARTS found it growing
  during DARTS searches as skip connections take over and the derived cell gets worse;
  ``search`` records it every ``hessian_every`` epochs (lesson 07).
* **DARTS-ES** (the same paper): smooth the recorded λ_max with a centred local average over 5
  evaluations; stop when the average has grown by more than a factor 1.3 over 4 evaluations, and
  return the genotype of the earlier of the two epochs (``darts_es``).

Hessian-vector products are double backpropagation: Hv = ∇(∇L · v). Both eigenvalues report how
many products they took and whether the estimate settled.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["Eigen", "power_iteration", "hessian_max_eigenvalue", "alpha_hessian_max_eigenvalue", "EarlyStop",
           "darts_es", "local_averages"]

Batch = tuple[Tensor, Tensor]


# ---------------------------------------------------------------------------------------------
# helpers shared with landscape.py: batches, logits, gradients, and a network's mode


def batch_list(batches: Iterable[Batch]) -> list[Batch]:
    """``batches`` as a list, refused unless each is a non-empty (x, y) pair of tensors."""
    out = list(batches)
    if not out:
        raise ValueError("the evaluation subset is empty: pass at least one (x, y) batch, "
                         "e.g. landscape.fixed_batches(images=2000)")
    for i, b in enumerate(out):
        if not (isinstance(b, (tuple, list)) and len(b) == 2 and all(isinstance(t, Tensor) for t in b)
                and len(b[0]) == len(b[1]) and len(b[0]) > 0):
            raise ValueError(f"batch {i} is not a non-empty (x, y) pair of tensors with one target per input")
    return out


def logits_of(out) -> Tensor:
    """A network's logits: its output, or the first entry of a tuple (DartsNetwork's auxiliary head)."""
    return out[0] if isinstance(out, (tuple, list)) else out


def grads_or_zero(output: Tensor, params: Sequence[Tensor], create_graph: bool = False,
                  retain_graph: bool | None = None) -> list[Tensor]:
    """d output / d params, with zeros for parameters the output does not depend on.

    A cell that never reads one of its inputs leaves that input's preprocessing unused (a random
    wiring can do this); its gradient, and its row of the Hessian, are then zero. ``retain_graph``
    keeps the graph for another differentiation (default: as ``create_graph``).
    """
    if not output.requires_grad:  # nothing depends on the parameters (e.g. a product with only zeros)
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(output, params, create_graph=create_graph, retain_graph=retain_graph,
                                allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]


@contextlib.contextmanager
def kept_mode(network: nn.Module, train: bool):
    """Run in train or eval mode; afterwards the original mode and buffers (BN statistics) are back."""
    was_training = network.training
    buffers = {k: v.detach().clone() for k, v in network.named_buffers()}
    network.train(train)
    try:
        yield
    finally:
        network.train(was_training)
        with torch.no_grad():
            for k, v in network.named_buffers():
                v.copy_(buffers[k])


# ---------------------------------------------------------------------------------------------
# the dominant Hessian eigenvalue


@dataclass
class Eigen:
    """A power iteration's answer: the largest eigenvalue, how it got there, and whether it settled."""

    value: float
    iterations: int
    converged: bool
    history: list[float]
    tol: float


def power_iteration(matvec: Callable[[Tensor], Tensor], dim: int, iters: int = 50, tol: float = 1e-3, seed: int = 0,
                    dtype=torch.float32, device=None) -> Eigen:
    """The largest (algebraic) eigenvalue of a symmetric operator v -> Hv of size ``dim``.

    v <- Hv / ||Hv|| from a seeded random v, λ = vᵀHv, until ``|Δλ| <= tol |λ|`` (converged) or
    ``iters`` products. Power iteration finds the eigenvalue of largest magnitude; if that one is
    negative, it runs again on H - λ I (whose dominant eigenvalue is λ_max - λ) and shifts back,
    so the answer is the largest eigenvalue either way. ``iterations`` counts every product.
    """
    if not isinstance(iters, int) or iters < 1 or not tol > 0:
        raise ValueError(f"iters must be a whole number >= 1 and tol > 0, got {iters!r}, {tol!r}")

    def run(op, start):
        v = torch.randn(dim, generator=torch.Generator().manual_seed(start), dtype=torch.float64)
        v = (v / v.norm()).to(device=device, dtype=dtype)
        history, lam = [], None
        for i in range(iters):
            w = op(v)
            new = float(v @ w)
            history.append(new)
            norm = w.norm()
            if not torch.isfinite(norm):
                raise FloatingPointError(f"the Hessian-vector product is not finite after {i + 1} iterations: "
                                         "the loss is not finite at this point")
            if float(norm) == 0.0:
                return 0.0, history, True
            v = w / norm
            if lam is not None and abs(new - lam) <= tol * abs(new):
                return new, history, True
            lam = new
        return lam, history, False

    lam, history, converged = run(matvec, seed)
    if lam < 0:  # the dominant eigenvalue is negative: the largest one is found on H - lam I
        shift = lam
        mu, more, converged = run(lambda v: matvec(v) - shift * v, seed + 1)
        return Eigen(mu + shift, len(history) + len(more), converged, history + [h + shift for h in more], tol)
    return Eigen(lam, len(history), converged, history, tol)


def _flat(tensors) -> Tensor:
    return torch.cat([t.reshape(-1) for t in tensors])


def _split(v: Tensor, like: Sequence[Tensor]) -> list[Tensor]:
    out, i = [], 0
    for t in like:
        out.append(v[i:i + t.numel()].view_as(t))
        i += t.numel()
    return out


def hessian_max_eigenvalue(network: nn.Module, batches: Iterable[Batch], criterion: Callable | None = None,
                           params: str = "weights", iters: int = 50, tol: float = 1e-3, seed: int = 0,
                           mode: str = "eval") -> Eigen:
    """λ_max of the Hessian of the loss, averaged over ``batches``, with respect to the weights (spec 9.3).

    params="weights": the parameters with dim > 1, as Li et al. (convolutions and linear layers;
    the landscapes move only these); "all": every trainable parameter. Each product is
    (1/B) Σ_j H_j v by double backpropagation (an average, not Li et al.'s sum over batches).
    ``mode``: "eval" (BN's running statistics) or "train" (batch statistics); the mode and the
    statistics are restored afterwards.
    """
    batches = batch_list(batches)
    if params not in ("weights", "all"):
        raise ValueError(f"params must be 'weights' (dim > 1, as the landscapes) or 'all', got {params!r}")
    criterion = criterion or F.cross_entropy
    chosen = [p for p in network.parameters() if p.requires_grad and (params == "all" or p.dim() > 1)]
    if not chosen:
        raise ValueError("the network has no parameter with more than one dimension; use params='all'")

    def hvp(v: Tensor) -> Tensor:
        vs = _split(v, chosen)
        total = torch.zeros_like(v)
        for x, y in batches:
            grads = grads_or_zero(criterion(logits_of(network(x)), y), chosen, create_graph=True)
            total += _flat(grads_or_zero(sum((g * u).sum() for g, u in zip(grads, vs)), chosen))
        return total / len(batches)

    with kept_mode(network, mode == "train"):
        return power_iteration(hvp, sum(p.numel() for p in chosen), iters, tol, seed, chosen[0].dtype,
                               chosen[0].device)


def alpha_hessian_max_eigenvalue(supernet: nn.Module, x: Tensor, y: Tensor, weight_decay: float = 1e-3,
                                 iters: int = 50, tol: float = 1e-3, seed: int = 0) -> Eigen:
    """λ_max of ∇²_α [L_val(w, α) + (wd/2)||α||²] on one validation batch (RobustDARTS, spec 9.2).

    The weight-decay term is the one DARTS's Adam applies to α (``a_weight_decay``, 1e-3), so the
    Hessian is ∇²_α L_val + wd I, over all of the supernet's α (normal and reduction for DARTS).
    The supernet is evaluated as during search (train mode: batch statistics); its mode is restored.
    """
    if not hasattr(supernet, "arch_parameters"):
        raise TypeError(f"alpha_hessian_max_eigenvalue needs a supernet with arch_parameters(), "
                        f"got {type(supernet).__name__}")
    if not (isinstance(weight_decay, (int, float)) and math.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a finite number >= 0 (DARTS: 1e-3), got {weight_decay!r}")
    x, y = batch_list([(x, y)])[0]
    alphas = list(supernet.arch_parameters())

    with kept_mode(supernet, True):  # batch statistics, as in search; the running ones are left as they were
        # ∇_α L once, with its graph kept: each product is then one more backward pass through it, not
        # a forward and two backwards (benchmarks/alpha_hessian.py, 2 CPU cores: 1.59x faster on the
        # tiny NAS-Bench-201 supernet, 1.40x on the DARTS one, the same eigenvalue to the last bit)
        grads = grads_or_zero(F.cross_entropy(logits_of(supernet(x)), y), alphas, create_graph=True)

        def hvp(v: Tensor) -> Tensor:
            product = sum((g * u).sum() for g, u in zip(grads, _split(v, alphas)))
            return _flat(grads_or_zero(product, alphas, retain_graph=True)) + weight_decay * v

        return power_iteration(hvp, sum(a.numel() for a in alphas), iters, tol, seed, alphas[0].dtype,
                               alphas[0].device)


# ---------------------------------------------------------------------------------------------
# DARTS-ES: stop when the α Hessian's λ_max has grown too fast


@dataclass
class EarlyStop:
    """Where DARTS-ES fired: at ``fired`` the local average of λ_max had grown by ``ratio``
    (> the factor) since ``epoch``, whose genotype is the answer."""

    epoch: int  # the earlier epoch: its genotype is returned
    fired: int  # the epoch whose eigenvalue completed the window that fired the rule
    ratio: float  # local average at fired's window centre / local average at epoch


def local_averages(values: Sequence[float], window: int = 5) -> list[float]:
    """Centred moving averages: entry j is the mean of values[j - h .. j + h], h = window // 2,
    cut short at the start (entry 0 averages values[0 .. h]). Only entries whose window is complete
    on the right are returned: len(values) - h of them (none while fewer than h + 1 values exist)."""
    if not isinstance(window, int) or window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd whole number >= 1 (RobustDARTS: 5), got {window!r}")
    h = window // 2
    return [sum(values[max(0, j - h):j + h + 1]) / len(values[max(0, j - h):j + h + 1])
            for j in range(len(values) - h)]


def darts_es(epochs: Sequence[int], eigenvalues: Sequence[float], window: int = 5, delta: int = 4,
             factor: float = 1.3, start_epoch: int = 10) -> EarlyStop | None:
    """DARTS-ES's rule (Zela et al., ICLR 2020, section 5.2; spec 9.2) on eigenvalues in the order measured.

    ``eigenvalues[i]`` is λ_max measured after epoch ``epochs[i]``. After each new value, the
    newest complete centred local average A_j (``local_averages``, over ``window`` values) is
    compared with A_{j - delta}, ``delta`` evaluations earlier: once the earlier one's epoch is at
    least ``start_epoch``, the rule fires when A_j / A_{j - delta} > ``factor``, and the search
    should stop and return the genotype of ``epochs[j - delta]``. RobustDARTS: window 5, delta 4,
    factor 1.3, start at epoch 10, an eigenvalue every 2 epochs. Returns None if it never fires.
    """
    if len(epochs) != len(eigenvalues):
        raise ValueError(f"one epoch per eigenvalue: got {len(epochs)} epochs and {len(eigenvalues)} eigenvalues")
    if not isinstance(delta, int) or delta < 1 or not factor > 0:
        raise ValueError(f"delta must be a whole number >= 1 and factor > 0, got {delta!r}, {factor!r}")
    if any(not math.isfinite(v) for v in eigenvalues):
        raise ValueError(f"the eigenvalues must be finite, got {list(eigenvalues)}")
    averages = local_averages(eigenvalues, window)
    # Average j is complete once measurement j + h exists; taking j in order replays the search,
    # which sees one new eigenvalue, and so one newly complete average, at a time.
    for j in range(delta, len(averages)):
        if epochs[j - delta] < start_epoch:
            continue
        now, before = averages[j], averages[j - delta]
        if before > 0 and now / before > factor:  # λ_max includes wd > 0, so it is positive in practice
            return EarlyStop(epoch=epochs[j - delta], fired=epochs[j + window // 2], ratio=now / before)
    return None
