"""Loss landscapes, gradient noise and sharpness: what Shu et al. measure to explain fast convergence.

Shu, Wang & Cai (ICLR 2020) argue that wide, shallow cells converge fast because their loss
landscape is smooth and their gradients are accurate. This module measures both around a trained
network θ*, with the tools of the papers they build on:

* **Directions** (Li et al., NeurIPS 2018, "filter normalisation"): δ ~ N(0, I) with the shape of
  every trainable parameter; for a parameter with more than one dimension, each output filter
  (a slice along dim 0) is rescaled to the norm of the same filter of θ*,
  δ_i <- δ_i ||θ*_i|| / (||δ_i|| + 1e-10); biases and BatchNorm's γ, β (1-D) get 0 ("biasbn").
  A step of 1 along δ changes every filter by its own size, so networks of different scales
  compare.
* **Surfaces**: f(a) = L(θ* + a δ) and f(a, b) = L(θ* + a δ + b η), loss and accuracy in eval mode
  (BatchNorm's running statistics) on a fixed set of batches; `interpolation` gives
  f(a) = L((1 - a) θ + a θ') between two solutions (parameters and BatchNorm statistics).
* **Gradient variance** (the course's estimator, spec 9.1): with g_j the gradient of the mean loss
  of minibatch j (size b) over all trainable parameters, ḡ their mean over the B batches,
  GV = (1/B) Σ_j ||g_j - ḡ||²; it depends on b (≈ per-sample variance / b), so b is reported.
* **λ_max of the weight Hessian** (spec 9.3) by power iteration on Hessian-vector products of the
  loss averaged over fixed batches, and of the **α Hessian** of a supernet on one validation
  batch with the weight-decay term RobustDARTS adds, H + wd I (Zela et al., ICLR 2020, spec 9.2).
  Both report how many iterations they took and whether the estimate converged.

Grids cost one evaluation per point. ``surface_2d`` evaluates several points per call by stacking
their parameters and mapping the network over them (``torch.func.functional_call`` under
``torch.vmap``), or point by point (``method="loop"``); ``benchmarks/landscape.py`` times both, and
``method="auto"`` takes the one measured faster on the device type (the loop on a CPU, by 10 % to
55 %; the loop also where no measurement exists yet). Any module whose forward returns
logits, or a tuple whose first entry is the logits (DartsNetwork, NB201Network), can be measured;
``criterion`` replaces the cross-entropy (accuracy is reported for integer class targets only).
Lesson 05 uses all of it.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import batches as batches_mod
from . import data as data_mod

__all__ = ["fixed_batches", "trainable", "random_direction", "evaluate", "Surface", "surface_1d", "surface_2d",
           "interpolation", "GradientVariance", "gradient_variance", "gradient_variance_grid", "Eigen",
           "power_iteration", "hessian_max_eigenvalue", "alpha_hessian_max_eigenvalue", "grid"]

Batch = tuple[Tensor, Tensor]
# What method="auto" takes, per device type. `benchmarks/landscape.py` on a 2-core CPU (DARTS_V2, C=8,
# 5 cells, 16x16, 1,000 images per point): loop 418 ms per point, vmap 462 / 472 / 618 / 951 ms with
# 2 / 4 / 8 / 16 points per call (benchmarks/results/landscape-cpu-2cores.json). The loop stays the
# default until a device measures otherwise; run the benchmark there and add its entry.
AUTO_METHOD = {"cpu": "loop"}


# ---------------------------------------------------------------------------------------------
# inputs: the fixed evaluation batches and the parameters that move


def fixed_batches(dataset=None, images: int = 2000, batch_size: int = 256, image_size: int = 32,
                  device=None) -> list[Batch]:
    """The first ``images`` test images of ``dataset`` (default CIFAR-10) as a list of (x, y) on the device.

    The same images in the same order on every call: the fixed subset every point of a surface is
    evaluated on (Li et al. use the whole test set; a course uses 1-5k images and says so).
    """
    if not isinstance(images, int) or isinstance(images, bool) or images < 1:
        raise ValueError(f"images must be a whole number of at least 1 (the size of the evaluation subset), "
                         f"got {images!r}")
    dataset = dataset if dataset is not None else data_mod.load_dataset("cifar10")
    if images > len(dataset.test_labels):
        raise ValueError(f"images={images} but the test set holds {len(dataset.test_labels)}: ask for at most that")
    loader = batches_mod.test_loader(dataset, batch_size, image_size, images, device)
    return [(x, y) for x, y in loader]


def _batches(batches: Iterable[Batch]) -> list[Batch]:
    out = list(batches)
    if not out:
        raise ValueError("the evaluation subset is empty: pass at least one (x, y) batch, "
                         "e.g. fixed_batches(images=2000)")
    for i, b in enumerate(out):
        if not (isinstance(b, (tuple, list)) and len(b) == 2 and all(isinstance(t, Tensor) for t in b)
                and len(b[0]) == len(b[1]) and len(b[0]) > 0):
            raise ValueError(f"batch {i} is not a non-empty (x, y) pair of tensors with one target per input")
    return out


def trainable(network: nn.Module) -> list[Tensor]:
    """The parameters a landscape moves: every parameter with ``requires_grad``, in module order."""
    params = [p for p in network.parameters() if p.requires_grad]
    if not params:
        raise ValueError(f"{type(network).__name__} has no trainable parameters to measure")
    return params


def random_direction(network: nn.Module, seed: int = 0, norm: str = "filter", ignore_1d: bool = True) -> list[Tensor]:
    """A random direction δ, one tensor per trainable parameter (Li et al.'s ``weights`` directions).

    norm="filter": each output filter (slice along dim 0) of a parameter with dim > 1 rescaled to
    the norm of the same filter of the weights; "none": raw N(0, 1). ``ignore_1d``: biases and
    BatchNorm parameters (every 1-D parameter) get 0, Li et al.'s ``biasbn``. Seeded from ``seed``
    on the CPU, so a direction is the same on every device.
    """
    if norm not in ("filter", "none"):
        raise ValueError(f"norm must be 'filter' (Li et al.) or 'none', got {norm!r}")
    g = torch.Generator().manual_seed(seed)
    direction = []
    for p in trainable(network):
        d = torch.randn(p.shape, generator=g, dtype=torch.float64).to(p.device, p.dtype)
        if p.dim() <= 1:
            d = torch.zeros_like(p) if ignore_1d else p.detach().clone()
        elif norm == "filter":
            rows, w = d.reshape(len(d), -1), p.detach().reshape(len(p), -1)
            d = (rows * (w.norm(dim=1) / (rows.norm(dim=1) + 1e-10))[:, None]).reshape(p.shape)
        direction.append(d)
    return direction


def _check_direction(network: nn.Module, direction: Sequence[Tensor], name: str) -> list[Tensor]:
    params = trainable(network)
    if len(direction) != len(params) or any(d.shape != p.shape for d, p in zip(direction, params)):
        raise ValueError(f"{name} does not match the network's trainable parameters (one tensor of the same shape "
                         f"per parameter, {len(params)} of them): make it with random_direction(network)")
    return [d.to(p.device, p.dtype) for d, p in zip(direction, params)]


def grid(lo: float = -1.0, hi: float = 1.0, points: int = 21) -> list[float]:
    """``points`` evenly spaced coordinates from lo to hi (21 over [-1, 1] by default; Li et al.: 51)."""
    if not isinstance(points, int) or points < 1 or not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise ValueError(f"need lo <= hi, both finite, and a whole number of points >= 1, got {lo}, {hi}, {points}")
    return [lo] if points == 1 else [lo + (hi - lo) * i / (points - 1) for i in range(points)]


# ---------------------------------------------------------------------------------------------
# evaluating: one point, or many


def _logits(out) -> Tensor:
    return out[0] if isinstance(out, (tuple, list)) else out


def _accuracy(logits: Tensor, y: Tensor) -> float:
    if y.is_floating_point() or logits.dim() != 2:
        return float("nan")  # a regression: no accuracy
    return float((logits.argmax(1) == y).sum())


def _grad(output: Tensor, params: Sequence[Tensor], create_graph: bool = False) -> list[Tensor]:
    """d output / d params, with zeros for parameters the output does not depend on.

    A cell that never reads one of its inputs leaves that input's preprocessing unused (a random
    wiring can do this); its gradient, and its row of the Hessian, are then zero.
    """
    if not output.requires_grad:  # nothing depends on the parameters (e.g. a product with only zeros)
        return [torch.zeros_like(p) for p in params]
    grads = torch.autograd.grad(output, params, create_graph=create_graph, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, params)]


@torch.no_grad()
def evaluate(network: nn.Module, batches: Iterable[Batch], criterion: Callable | None = None) -> tuple[float, float]:
    """(mean loss, accuracy) of ``network`` in eval mode over ``batches``; accuracy nan for a regression.

    The mode is restored afterwards. ``criterion(logits, y)`` is a mean loss, default cross-entropy.
    """
    batches = _batches(batches)
    criterion = criterion or F.cross_entropy
    loss_sum, correct, n = 0.0, 0.0, 0
    with _mode(network, False):
        for x, y in batches:
            logits = _logits(network(x))
            loss_sum += float(criterion(logits, y)) * len(y)
            correct += _accuracy(logits, y)
            n += len(y)
    return loss_sum / n, correct / n


@contextlib.contextmanager
def _mode(network: nn.Module, train: bool):
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


class _Moved:
    """Context: the network's trainable parameters set to θ* + Σ_k c_k d_k, restored on exit."""

    def __init__(self, network, directions, coefs):
        self.params = trainable(network)
        self.origin = [p.detach().clone() for p in self.params]
        self.directions, self.coefs = directions, coefs

    def __enter__(self):
        with torch.no_grad():
            for i, p in enumerate(self.params):
                p.copy_(self.origin[i] + sum(c * d[i] for c, d in zip(self.coefs, self.directions)))
        return self

    def __exit__(self, *exc):
        with torch.no_grad():
            for p, p0 in zip(self.params, self.origin):
                p.copy_(p0)
        return False


@dataclass
class Surface:
    """Loss and accuracy over a 1-D line or a 2-D grid of coordinates.

    ``loss[i]`` at ``xs[i]`` (1-D), or ``loss[j][i]`` at (``xs[i]``, ``ys[j]``) (2-D: rows are y, as
    ``plt.contour(xs, ys, loss)`` expects). ``images``: the size of the evaluation subset.
    """

    kind: str  # "1d", "2d" or "interpolation"
    xs: list[float]
    ys: list[float] | None
    loss: list
    acc: list
    images: int
    seconds: float = 0.0
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Surface":
        return cls(**d)

    def at_origin(self) -> tuple[float, float]:
        """(loss, acc) at coordinate 0 (at a = 0 for an interpolation: the first solution)."""
        i = min(range(len(self.xs)), key=lambda k: abs(self.xs[k]))
        if self.ys is None:
            return self.loss[i], self.acc[i]
        j = min(range(len(self.ys)), key=lambda k: abs(self.ys[k]))
        return self.loss[j][i], self.acc[j][i]


def _points_loop(network, batches, directions, points, criterion) -> list[tuple[float, float]]:
    out = []
    for coefs in points:
        with _Moved(network, directions, coefs):
            out.append(evaluate(network, batches, criterion))
    return out


def _points_vmap(network, batches, directions, points, criterion, chunk) -> list[tuple[float, float]]:
    """Evaluate ``chunk`` points per forward: their parameters stacked, the network mapped over them."""
    names = [n for n, p in network.named_parameters() if p.requires_grad]
    params = trainable(network)
    frozen = {n: p for n, p in network.named_parameters() if not p.requires_grad}
    buffers = dict(network.named_buffers())
    criterion = criterion or F.cross_entropy

    def one(theta, x):
        return _logits(torch.func.functional_call(network, ({**theta, **frozen}, buffers), (x,)))

    mapped = torch.vmap(one, in_dims=(0, None))
    out = []
    with _mode(network, False):
        with torch.no_grad():
            for start in range(0, len(points), chunk):
                part = points[start:start + chunk]
                coefs = torch.tensor(part, dtype=params[0].dtype, device=params[0].device)  # (K, n_directions)
                theta = {}
                for i, (n, p) in enumerate(zip(names, params)):
                    stacked = p.detach().expand(len(part), *p.shape).clone()
                    for k, d in enumerate(directions):
                        stacked += coefs[:, k].reshape(-1, *([1] * p.dim())) * d[i]
                    theta[n] = stacked
                loss_sum = torch.zeros(len(part), dtype=torch.float64)
                correct = torch.zeros(len(part), dtype=torch.float64)
                n_seen = 0
                for x, y in batches:
                    logits = mapped(theta, x)  # (K, B, classes)
                    for k in range(len(part)):
                        loss_sum[k] += float(criterion(logits[k], y)) * len(y)
                        correct[k] += _accuracy(logits[k], y)
                    n_seen += len(y)
                out += [(float(loss_sum[k]) / n_seen, float(correct[k]) / n_seen) for k in range(len(part))]
    return out


def _evaluate_points(network, batches, directions, points, criterion, method, chunk):
    if method == "auto":
        method = AUTO_METHOD.get(trainable(network)[0].device.type, "loop")
    if method == "loop":
        return _points_loop(network, batches, directions, points, criterion)
    if method == "vmap":
        if not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk (grid points per call) must be a whole number of at least 1, got {chunk!r}")
        return _points_vmap(network, batches, directions, points, criterion, chunk)
    raise ValueError(f"method must be 'auto', 'loop' or 'vmap', got {method!r}")


def surface_1d(network: nn.Module, batches: Iterable[Batch], direction: Sequence[Tensor],
               xs: Sequence[float] | None = None, criterion: Callable | None = None, method: str = "auto",
               chunk: int = 8) -> Surface:
    """f(a) = L(θ* + a δ) for a in ``xs`` (default ``grid(-1, 1, 21)``); the network is left at θ*."""
    batches = _batches(batches)
    direction = _check_direction(network, direction, "direction")
    xs = list(grid() if xs is None else xs)
    start = time.perf_counter()
    values = _evaluate_points(network, batches, [direction], [(a,) for a in xs], criterion, method, chunk)
    return Surface("1d", xs, None, [v[0] for v in values], [v[1] for v in values],
                   sum(len(y) for _, y in batches), round(time.perf_counter() - start, 3))


def surface_2d(network: nn.Module, batches: Iterable[Batch], direction_x: Sequence[Tensor],
               direction_y: Sequence[Tensor], xs: Sequence[float] | None = None, ys: Sequence[float] | None = None,
               criterion: Callable | None = None, method: str = "auto", chunk: int = 8) -> Surface:
    """f(a, b) = L(θ* + a δ + b η) over xs × ys (default 21 × 21 over [-1, 1]²); loss[j][i] is at (xs[i], ys[j])."""
    batches = _batches(batches)
    dx = _check_direction(network, direction_x, "direction_x")
    dy = _check_direction(network, direction_y, "direction_y")
    xs = list(grid() if xs is None else xs)
    ys = list(grid() if ys is None else ys)
    start = time.perf_counter()
    values = _evaluate_points(network, batches, [dx, dy], [(a, b) for b in ys for a in xs], criterion, method, chunk)
    loss = [[values[j * len(xs) + i][0] for i in range(len(xs))] for j in range(len(ys))]
    acc = [[values[j * len(xs) + i][1] for i in range(len(xs))] for j in range(len(ys))]
    return Surface("2d", xs, ys, loss, acc, sum(len(y) for _, y in batches), round(time.perf_counter() - start, 3))


def interpolation(network: nn.Module, other: nn.Module, batches: Iterable[Batch], xs: Sequence[float] | None = None,
                  criterion: Callable | None = None) -> Surface:
    """f(a) = L((1 - a) θ + a θ') between ``network`` (a = 0) and ``other`` (a = 1), default a in grid(-0.5, 1.5, 21).

    Parameters and floating-point buffers (BatchNorm's running statistics) are interpolated
    together, so that eval mode at a = 0 and a = 1 is each network's own. ``network`` is restored.
    """
    batches = _batches(batches)
    mine, theirs = network.state_dict(), other.state_dict()
    if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
        raise ValueError("the two networks differ in their parameters or buffers: interpolate between two "
                         "trainings of the same network")
    xs = list(grid(-0.5, 1.5, 21) if xs is None else xs)
    origin = {k: v.detach().clone() for k, v in mine.items()}
    start = time.perf_counter()
    values = []
    try:
        for a in xs:
            network.load_state_dict({k: (1 - a) * v + a * theirs[k].to(v.device) if v.is_floating_point() else v
                                     for k, v in origin.items()})
            values.append(evaluate(network, batches, criterion))
    finally:
        network.load_state_dict(origin)
    return Surface("interpolation", xs, None, [v[0] for v in values], [v[1] for v in values],
                   sum(len(y) for _, y in batches), round(time.perf_counter() - start, 3))


# ---------------------------------------------------------------------------------------------
# gradient variance


@dataclass
class GradientVariance:
    """GV = (1/B) Σ_j ||g_j - ḡ||² over B minibatches of size b; ``per_parameter`` = GV / parameters.

    ``gradient_norm`` is ||ḡ||, the full gradient's norm over the same data, for scale: GV is
    the noise, ḡ the signal.
    """

    value: float
    per_parameter: float
    batch_size: int
    batches: int
    parameters: int
    gradient_norm: float
    mode: str


def gradient_variance(network: nn.Module, batches: Iterable[Batch], criterion: Callable | None = None,
                      mode: str = "eval") -> GradientVariance:
    """The spread of the minibatch gradients around their mean, at the network's current parameters.

    Every batch must have the same size b (GV scales like 1/b). ``mode``: "eval" (BatchNorm's
    running statistics, as the loss surfaces; the default) or "train" (batch statistics, which
    couple the samples of a batch). Welford's update in float64 keeps the difference of large,
    nearly equal gradients exact.
    """
    batches = _batches(batches)
    if mode not in ("eval", "train"):
        raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")
    sizes = {len(y) for _, y in batches}
    if len(sizes) != 1:
        raise ValueError(f"gradient variance needs minibatches of one size b, got sizes {sorted(sizes)}: drop the "
                         "last, smaller batch (or choose a number of images divisible by the batch size)")
    if len(batches) < 2:
        raise ValueError("gradient variance needs at least 2 minibatches; pass more images or smaller batches")
    criterion = criterion or F.cross_entropy
    params = trainable(network)
    mean = m2 = None
    with _mode(network, mode == "train"):
        for j, (x, y) in enumerate(batches, start=1):
            grads = _grad(criterion(_logits(network(x)), y), params)
            g = torch.cat([t.reshape(-1) for t in grads]).double()
            if mean is None:
                mean, m2 = g.clone(), 0.0
                continue
            delta = g - mean
            mean += delta / j
            m2 += float(delta @ (g - mean))
    value = m2 / len(batches)
    n = mean.numel()
    return GradientVariance(value, value / n, sizes.pop(), len(batches), n, float(mean.norm()), mode)


def gradient_variance_grid(network: nn.Module, batches: Iterable[Batch], directions: Sequence[Sequence[Tensor]],
                           xs: Sequence[float], ys: Sequence[float] | None = None, criterion: Callable | None = None,
                           per_parameter: bool = False, mode: str = "eval") -> Surface:
    """Gradient variance at θ* + a δ (one direction, along xs) or θ* + a δ + b η (two, over xs × ys).

    Returns a Surface whose ``loss`` holds GV (or GV per parameter) and whose ``acc`` holds ||ḡ||.
    """
    batches = _batches(batches)
    directions = [_check_direction(network, d, f"direction {k}") for k, d in enumerate(directions)]
    if len(directions) != (1 if ys is None else 2):
        raise ValueError("give one direction for a line (ys=None) or two for a grid (xs and ys)")
    xs = list(xs)
    points = [(a,) for a in xs] if ys is None else [(a, b) for b in ys for a in xs]
    start = time.perf_counter()
    values = []
    for coefs in points:
        with _Moved(network, directions, coefs):
            gv = gradient_variance(network, batches, criterion, mode)
        values.append((gv.per_parameter if per_parameter else gv.value, gv.gradient_norm))
    if ys is None:
        gvs, norms = [v[0] for v in values], [v[1] for v in values]
    else:
        ys = list(ys)
        gvs = [[values[j * len(xs) + i][0] for i in range(len(xs))] for j in range(len(ys))]
        norms = [[values[j * len(xs) + i][1] for i in range(len(xs))] for j in range(len(ys))]
    return Surface("1d" if ys is None else "2d", xs, ys, gvs, norms, sum(len(y) for _, y in batches),
                   round(time.perf_counter() - start, 3),
                   meta={"quantity": "gradient variance" + (" per parameter" if per_parameter else ""),
                         "batch_size": len(batches[0][1]), "mode": mode})


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

    v <- Hv / ||Hv|| from a seeded random v, λ = vᵀHv, until |Δλ| <= tol |λ| (converged) or
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
    ``mode`` as in ``gradient_variance``.
    """
    batches = _batches(batches)
    if params not in ("weights", "all"):
        raise ValueError(f"params must be 'weights' (dim > 1, as the landscapes) or 'all', got {params!r}")
    criterion = criterion or F.cross_entropy
    chosen = [p for p in trainable(network) if params == "all" or p.dim() > 1]
    if not chosen:
        raise ValueError("the network has no parameter with more than one dimension; use params='all'")

    def hvp(v: Tensor) -> Tensor:
        vs = _split(v, chosen)
        total = torch.zeros_like(v)
        for x, y in batches:
            grads = _grad(criterion(_logits(network(x)), y), chosen, create_graph=True)
            total += _flat(_grad(sum((g * u).sum() for g, u in zip(grads, vs)), chosen))
        return total / len(batches)

    with _mode(network, mode == "train"):
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
    x, y = _batches([(x, y)])[0]
    alphas = list(supernet.arch_parameters())

    def hvp(v: Tensor) -> Tensor:
        grads = _grad(F.cross_entropy(_logits(supernet(x)), y), alphas, create_graph=True)
        hv = _grad(sum((g * u).sum() for g, u in zip(grads, _split(v, alphas))), alphas)
        return _flat(hv) + weight_decay * v

    with _mode(supernet, True):  # batch statistics, as in search; the running ones are left as they were
        return power_iteration(hvp, sum(a.numel() for a in alphas), iters, tol, seed, alphas[0].dtype,
                               alphas[0].device)
