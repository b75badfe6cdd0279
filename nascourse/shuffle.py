"""Why α misleads: a supernet is an unrolled estimator (DARTS-PT, Wang et al., ICLR 2021, Table 1).

Swap two edges in every cell of a trained supernet and its accuracy barely moves; swap two layers
of a plain stack of convolutions and it collapses. The supernet's cells behave like an unrolled
estimator of one feature map, each edge refining the same quantity, not like a circuit whose
every edge has its own role, so the size of an edge's α says little about what that edge does.
``shuffle_robustness`` measures this for a supernet (``swap_edges``) or a stack of layers
(``swap_layers``): ``network.PlainCNN`` (no shortcuts, DARTS-PT's VGG control) and ``ResidualCNN``
(the same layers, each with an identity shortcut: DARTS-PT's ResNet control, which Table 1 also
finds robust), both trained by ``fit_plain`` on the supernet's weight half. The residual control
asks whether a supernet's robustness is more than that of any network with identity paths.
Lesson 06 uses it beside ``select.py``.
"""

from __future__ import annotations

import copy
import math
import random

import torch
import torch.nn.functional as F
from torch import Tensor

from .network import PlainCNN
from .search import batch_statistics

__all__ = ["swap_edges", "swap_layers", "shuffle_robustness", "fit_plain", "ResidualCNN"]


class ResidualCNN(PlainCNN):
    """``network.PlainCNN`` with an identity shortcut around every layer: a one-convolution ResNet.

    stem (3 -> C, conv, BN, ReLU) -> ``layers`` blocks h <- ReLU(h + BN(conv3x3(h))) (C -> C, one
    resolution) -> global pool -> Linear. Every block maps C channels to C, so any two can trade places
    (``swap_layers``), as DARTS-PT swaps the layers of a ResNet stage (Table 1).
    forward(x) -> (logits, None), like the other networks.
    """

    def __init__(self, C: int = 16, layers: int = 8, num_classes: int = 10):
        super().__init__(C, layers, num_classes)
        for block in self.layers:  # conv, BN, ReLU -> conv, BN: the ReLU comes after the shortcut's sum
            del block[2]

    def forward(self, x: Tensor) -> tuple[Tensor, None]:
        """(B, 3, H, W) -> (logits (B, num_classes), None)."""
        h = self.stem(x)  # (B, C, H, W)
        for layer in self.layers:
            h = F.relu(h + layer(h))  # identity shortcut: the block adds a correction to its input
        return self.classifier(F.adaptive_avg_pool2d(h, 1).flatten(1)), None


def swap_edges(supernet, rng: random.Random) -> list[tuple[int, int, int]]:
    """In every search cell, two random edges of the same stride trade their operations (with their
    trained weights), in place; α stays with the positions. Returns (cell index, edge a, edge b)."""
    swaps = []
    for k, cell in enumerate(supernet.cells):
        edges = getattr(cell, "edges", None)
        if edges is None:  # NAS-Bench-201's fixed ResNet blocks between stages
            continue
        pairs = [(a, b) for a in range(len(edges)) for b in range(a + 1, len(edges))
                 if edges[a].stride == edges[b].stride]
        a, b = rng.choice(pairs)
        edges[a], edges[b] = edges[b], edges[a]
        swaps.append((k, a, b))
    return swaps


def swap_layers(model, rng: random.Random) -> list[tuple[int, int]]:
    """Two random layers of a plain stack (``model.layers``, e.g. ``network.PlainCNN``) trade places, in place."""
    a, b = sorted(rng.sample(range(len(model.layers)), 2))
    model.layers[a], model.layers[b] = model.layers[b], model.layers[a]
    return [(a, b)]


@torch.no_grad()
def _accuracy(model, batches, weights=None) -> float:
    """Accuracy with batch statistics (running ones restored), for a supernet or a plain network."""
    correct, total = 0.0, 0
    with batch_statistics(model):
        for x, y in batches:
            out = model(x, weights) if hasattr(model, "arch_parameters") else model(x)
            logits = out[0] if isinstance(out, tuple) else out
            correct += float((logits.argmax(1) == y).sum())
            total += len(y)
    return correct / total


def shuffle_robustness(model, batches, draws: int = 5, seed: int = 0, weights=None) -> dict:
    """DARTS-PT's edge-shuffle test: accuracy before and after random swaps, over ``draws`` draws.

    A supernet (``arch_parameters``) swaps two edges in every cell (``swap_edges``), any other model
    two of its ``layers`` (``swap_layers``); each draw starts from a fresh copy, so ``model`` is left
    as it was. Accuracy with batch statistics on ``batches`` (a list of (x, y)), as DARTS-PT scores
    supernets. Returns {"base", "shuffled" (one accuracy per draw), "mean", "std" (the sample sd of
    the draws, ddof = 1; 0 for one draw), "swaps"}.
    """
    if not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be a whole number >= 1, got {draws!r}")
    batches = list(batches)
    if not batches:
        raise ValueError("no batches to measure on: pass a list of (x, y), e.g. loader.plain_batches(10)")
    is_supernet = hasattr(model, "arch_parameters")
    if not is_supernet and not hasattr(model, "layers"):
        raise TypeError(f"shuffle_robustness needs a supernet or a model with a `layers` list (network.PlainCNN, "
                        f"shuffle.ResidualCNN), "
                        f"got {type(model).__name__}")
    rng = random.Random(seed)
    base, shuffled, swaps = _accuracy(model, batches, weights), [], []
    for _ in range(draws):
        moved = copy.deepcopy(model)
        swaps.append(swap_edges(moved, rng) if is_supernet else swap_layers(moved, rng))
        shuffled.append(_accuracy(moved, batches, weights))
    mean = sum(shuffled) / draws
    std = math.sqrt(sum((a - mean) ** 2 for a in shuffled) / (draws - 1)) if draws > 1 else 0.0  # ddof = 1
    return {"base": base, "shuffled": shuffled, "mean": mean, "std": std, "swaps": swaps}


def fit_plain(model, loader, epochs: int, lr: float = 0.025, momentum: float = 0.9, weight_decay: float = 3e-4,
              grad_clip: float = 5.0) -> list[float]:
    """Train a control network (``network.PlainCNN``, ``ResidualCNN``) on ``loader`` as DARTS trains a supernet's
    weights: SGD with momentum, a cosine learning rate from ``lr`` to 0 over ``epochs``, gradient
    clipping. In place; returns the mean training loss of each epoch."""
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    model.train()
    losses = []
    for _ in range(epochs):
        total, count = 0.0, 0
        for x, y in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x)[0], y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the control network's loss became {float(loss)}: lower lr (now {lr})")
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            total, count = total + loss.item() * len(y), count + len(y)
        schedule.step()
        losses.append(total / count)
    return losses
