"""Loss landscapes and gradient noise: what Shu et al. measure to explain fast convergence.

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

The curvature of these minima (λ_max of the weight Hessian, and of a supernet's α Hessian) is
``sharpness.py``'s.

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

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import batches as batches_mod
from . import data as data_mod
from .sharpness import batch_list, grads_or_zero, kept_mode, logits_of

__all__ = ["fixed_batches", "trainable", "random_direction", "evaluate", "Surface", "surface_1d", "surface_2d",
           "interpolation", "GradientVariance", "gradient_variance", "gradient_variance_grid", "grid"]

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


def _accuracy(logits: Tensor, y: Tensor) -> float:
    if y.is_floating_point() or logits.dim() != 2:
        return float("nan")  # a regression: no accuracy
    return float((logits.argmax(1) == y).sum())


@torch.no_grad()
def evaluate(network: nn.Module, batches: Iterable[Batch], criterion: Callable | None = None,
             mode: str = "eval") -> tuple[float, float]:
    """(mean loss, accuracy) of ``network`` over ``batches``; accuracy nan for a regression.

    ``mode``: "eval" (BatchNorm's running statistics) or "train" (each batch normalised by its own
    statistics, as SGD sees the training loss). The mode and BatchNorm's running statistics are
    restored afterwards. ``criterion(logits, y)`` is a mean loss, default cross-entropy.
    """
    batches = batch_list(batches)
    _check_mode(mode)
    criterion = criterion or F.cross_entropy
    loss_sum, correct, n = 0.0, 0.0, 0
    with kept_mode(network, mode == "train"):
        for x, y in batches:
            logits = logits_of(network(x))
            loss_sum += float(criterion(logits, y)) * len(y)
            correct += _accuracy(logits, y)
            n += len(y)
    return loss_sum / n, correct / n


def _check_mode(mode: str) -> None:
    if mode not in ("eval", "train"):
        raise ValueError(f"mode must be 'eval' or 'train', got {mode!r}")


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
        """The surface as plain lists and numbers, for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Surface":
        """The surface that ``to_dict`` wrote."""
        return cls(**d)

    def at_origin(self) -> tuple[float, float]:
        """(loss, acc) at coordinate 0 (at a = 0 for an interpolation: the first solution)."""
        i = min(range(len(self.xs)), key=lambda k: abs(self.xs[k]))
        if self.ys is None:
            return self.loss[i], self.acc[i]
        j = min(range(len(self.ys)), key=lambda k: abs(self.ys[k]))
        return self.loss[j][i], self.acc[j][i]


def _points_loop(network, batches, directions, points, criterion, mode="eval") -> list[tuple[float, float]]:
    out = []
    for coefs in points:
        with _Moved(network, directions, coefs):
            out.append(evaluate(network, batches, criterion, mode))
    return out


def _points_vmap(network, batches, directions, points, criterion, chunk) -> list[tuple[float, float]]:
    """Evaluate ``chunk`` points per forward: their parameters stacked, the network mapped over them."""
    names = [n for n, p in network.named_parameters() if p.requires_grad]
    params = trainable(network)
    frozen = {n: p for n, p in network.named_parameters() if not p.requires_grad}
    buffers = dict(network.named_buffers())
    criterion = criterion or F.cross_entropy

    def one(theta, x):
        return logits_of(torch.func.functional_call(network, ({**theta, **frozen}, buffers), (x,)))

    mapped = torch.vmap(one, in_dims=(0, None))
    out = []
    with kept_mode(network, False):
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


def _evaluate_points(network, batches, directions, points, criterion, method, chunk, mode="eval"):
    _check_mode(mode)
    if method == "auto":
        method = AUTO_METHOD.get(trainable(network)[0].device.type, "loop") if mode == "eval" else "loop"
    if method == "loop":
        return _points_loop(network, batches, directions, points, criterion, mode)
    if mode != "eval":
        raise ValueError("method='vmap' evaluates in eval mode only; use method='loop' for mode='train'")
    if method == "vmap":
        if not isinstance(chunk, int) or chunk < 1:
            raise ValueError(f"chunk (grid points per call) must be a whole number of at least 1, got {chunk!r}")
        return _points_vmap(network, batches, directions, points, criterion, chunk)
    raise ValueError(f"method must be 'auto', 'loop' or 'vmap', got {method!r}")


def surface_1d(network: nn.Module, batches: Iterable[Batch], direction: Sequence[Tensor],
               xs: Sequence[float] | None = None, criterion: Callable | None = None, method: str = "auto",
               chunk: int = 8, mode: str = "eval") -> Surface:
    """f(a) = L(θ* + a δ) for a in ``xs`` (default ``grid(-1, 1, 21)``); the network is left at θ*.

    ``mode="train"``: every batch normalised by its own statistics (the training loss as SGD sees
    it, with ``batches`` from the training set) instead of BatchNorm's running statistics.
    """
    batches = batch_list(batches)
    direction = _check_direction(network, direction, "direction")
    xs = list(grid() if xs is None else xs)
    start = time.perf_counter()
    values = _evaluate_points(network, batches, [direction], [(a,) for a in xs], criterion, method, chunk, mode)
    return Surface("1d", xs, None, [v[0] for v in values], [v[1] for v in values],
                   sum(len(y) for _, y in batches), round(time.perf_counter() - start, 3), meta={"mode": mode})


def surface_2d(network: nn.Module, batches: Iterable[Batch], direction_x: Sequence[Tensor],
               direction_y: Sequence[Tensor], xs: Sequence[float] | None = None, ys: Sequence[float] | None = None,
               criterion: Callable | None = None, method: str = "auto", chunk: int = 8) -> Surface:
    """f(a, b) = L(θ* + a δ + b η) over xs × ys (default 21 × 21 over [-1, 1]²); loss[j][i] is at (xs[i], ys[j])."""
    batches = batch_list(batches)
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
    batches = batch_list(batches)
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
    batches = batch_list(batches)
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
    with kept_mode(network, mode == "train"):
        for j, (x, y) in enumerate(batches, start=1):
            grads = grads_or_zero(criterion(logits_of(network(x)), y), params)
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
    batches = batch_list(batches)
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
