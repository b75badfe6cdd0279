"""Checking a search step: run one on copies, compare two runs, count the operations it launches.

The fast forward (``fast.py``) claims to compute the plain supernet's search step. These tools
test that claim the way the rest of the course tests its algorithms, against an oracle:

* :func:`run_step` takes one ``steps.train_step`` on a copy of a supernet and its optimisers
  (plain or fast forward, in float32, float64 or under autocast, optionally from weights changed
  at rounding level) and returns what the step produced: loss, gradients, parameters, buffers.
* :func:`step_errors` compares two such records; :func:`compare_step` is fast against plain.
* :func:`operation_count` counts the tensor operations of a computation: on a GPU, each is a
  kernel launch, the cost that a DARTS supernet step is bound by.

Used by ``tests/test_fast.py``, ``benchmarks/search_step.py`` and lesson 02.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import Tensor
from torch.utils._python_dispatch import TorchDispatchMode

from .fast import FastDartsForward
from .steps import make_optimizers, train_step
from .supernet import DartsSupernet


def _flat(tensors) -> Tensor:
    return torch.cat([t.detach().double().reshape(-1) for t in tensors])


def _rel_err(reference: Tensor, other: Tensor) -> float:
    """||other - reference|| / ||reference|| (0 when both are 0)."""
    scale = float(reference.norm())
    diff = float((other - reference).norm())
    return diff / scale if scale > 0 else diff


def run_step(supernet: DartsSupernet, w_opt, a_opt, config, batch, val_batch, lr: float, step: int = 0, *,
             fast: bool = False, dtype: torch.dtype | None = None, autocast: torch.dtype | None = None,
             perturb: float = 0.0, seed: int = 0) -> dict[str, Tensor]:
    """One ``steps.train_step`` of ``config.method`` on a copy of ``supernet`` and of the optimisers.

    The originals are left untouched. ``fast`` uses :class:`~nascourse.fast.FastDartsForward`; ``dtype`` runs the
    copy and the batches in another precision (float64: a reference for the float32 paths);
    ``autocast`` runs the step under ``torch.autocast`` (e.g. torch.bfloat16: convolutions and
    matrix products in bfloat16, parameters and optimiser in float32); ``perturb`` first
    multiplies the weights by (1 + perturb * N(0, 1)), e.g. 1e-7 to see how far a rounding-level
    change moves the step. Returns float64 vectors: ``loss``, ``grad_w`` (the weight
    step's clipped gradient), ``grad_alpha`` (the hypergradient), ``params`` (after the step),
    ``update`` (their change) and ``buffers`` (BN running statistics).
    """
    net = copy.deepcopy(supernet)
    if dtype is not None:
        net = net.to(dtype)
        batch, val_batch = [(x.to(dtype), y) for x, y in (batch, val_batch)]
    w_copy, a_copy = make_optimizers(net, config)
    # load_state_dict keeps the very tensors it is given: copy them, or two runs share one momentum buffer
    w_copy.load_state_dict(copy.deepcopy(w_opt.state_dict()))
    a_copy.load_state_dict(copy.deepcopy(a_opt.state_dict()))
    if perturb:
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in net.weight_parameters():
                p.mul_(1 + perturb * torch.randn(p.shape, generator=g, dtype=p.dtype).to(p.device))
    before = _flat(net.parameters())
    device_type = next(net.parameters()).device.type
    with torch.autocast(device_type, dtype=autocast or torch.float32, enabled=autocast is not None):
        loss, _, _ = train_step(net, w_copy, a_copy, batch, val_batch, config, lr, step, None, None,
                                FastDartsForward(net) if fast else None)
    after = _flat(net.parameters())
    return {
        "loss": loss.detach().double().reshape(1),
        "grad_w": _flat(p.grad if p.grad is not None else torch.zeros_like(p) for p in net.weight_parameters()),
        "grad_alpha": _flat(a.grad if a.grad is not None else torch.zeros_like(a) for a in net.arch_parameters()),
        "params": after,
        "update": after - before,
        "buffers": _flat(b for b in net.buffers() if b.is_floating_point()),
    }


def step_errors(reference: dict[str, Tensor], other: dict[str, Tensor]) -> dict[str, float]:
    """Relative errors of one ``run_step`` record against another, and ``max`` over loss, gradients, update."""
    errors = {k: _rel_err(reference[k], other[k]) for k in reference}
    errors["max"] = max(errors[k] for k in ("loss", "grad_w", "grad_alpha", "update"))
    return errors


def compare_step(supernet: DartsSupernet, w_opt, a_opt, config, batch, val_batch, lr: float,
                 step: int = 0) -> dict[str, float]:
    """Relative errors of the fast step against the plain one, from the same state (see ``run_step``).

    In float32 compare them with the plain step's own sensitivity (``run_step(..., perturb=1e-7)``):
    alpha's gradient is a small difference of large terms (softmax's Jacobian subtracts the mean),
    and the finite differences of darts2 and idarts probe the loss at w +- eps v across ReLU and
    max-pool kinks, so rounding alone can move a float32 step by 1e-4 to 1e-1.
    """
    args = (supernet, w_opt, a_opt, config, batch, val_batch, lr, step)
    return step_errors(run_step(*args), run_step(*args, fast=True))


class _OperationCounter(TorchDispatchMode):
    """Counts the operations that reach a kernel: views and detach only change metadata."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if not func.is_view and func is not torch.ops.aten.detach.default:
            self.count += 1
        return func(*args, **(kwargs or {}))


def operation_count(fn: Callable[[], object]) -> int:
    """The number of tensor operations (ATen calls other than views) that ``fn()`` dispatches.

    Backward passes started inside ``fn`` count too. On the ``meta`` device nothing is computed,
    so a GPU-sized network can be counted on any machine.
    """
    with _OperationCounter() as counter:
        fn()
    return counter.count
