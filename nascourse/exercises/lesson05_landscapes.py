"""Checkers for the exercises of loss landscapes and gradient noise (lesson 05)."""

from __future__ import annotations

from .common import _call, _report


def _weights_and_direction(seed: int):
    """Parameters shaped like a small conv net's (conv, BN weight and bias, linear, bias) and a raw direction."""
    import torch
    g = torch.Generator().manual_seed(seed)
    shapes = [(6, 3, 3, 3), (6,), (6,), (4, 6, 1, 1), (10, 4), (10,)]
    weights = [torch.randn(s, generator=g) * (0.1 + i) for i, s in enumerate(shapes)]
    direction = [torch.randn(s, generator=g) for s in shapes]
    return weights, direction


def _reference_filter(direction, weights):
    import torch
    out = []
    for d, w in zip(direction, weights):
        if w.dim() <= 1:
            out.append(torch.zeros_like(d))
        else:
            rows, wr = d.reshape(len(d), -1), w.reshape(len(w), -1)
            out.append((rows * (wr.norm(dim=1) / (rows.norm(dim=1) + 1e-10))[:, None]).reshape(d.shape))
    return out


def check_filter_normalise(fn) -> bool:
    """Exercise 1: ``fn(direction, weights)`` -> the filter-normalised direction, 1-D entries zeroed."""
    import torch

    problems = []
    for seed in (0, 1):
        weights, direction = _weights_and_direction(seed)
        label = f"case {seed + 1}"
        raw = [d.clone() for d in direction]
        got = _call(fn, direction, [w.clone() for w in weights], problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: return a list of tensors, one per parameter; got None")
            break
        if not all(torch.equal(a, b) for a, b in zip(raw, direction)):
            problems.append(f"{label}: you changed the direction you were given in place; return new tensors")
        got = list(got)
        if len(got) != len(weights) or any(tuple(a.shape) != tuple(w.shape) for a, w in zip(got, weights)):
            problems.append(f"{label}: return one tensor per parameter, each shaped like it (shapes "
                            f"{[tuple(w.shape) for w in weights]})")
            break
        want = _reference_filter(raw, weights)
        for i, (a, b, w, d) in enumerate(zip(got, want, weights, raw)):
            if torch.allclose(a, b, rtol=1e-5, atol=1e-7):
                continue
            where = f"{label}, parameter {i} of shape {tuple(w.shape)}"
            if w.dim() <= 1:
                problems.append(f"{where}: a 1-D parameter (a bias or BatchNorm's gamma/beta) gets a zero direction "
                                "(Li et al.'s 'biasbn')")
            elif torch.allclose(a, d * w.norm() / d.norm(), rtol=1e-5):
                problems.append(f"{where}: you scaled the whole tensor to the weights' norm (layer normalisation); "
                                "scale each filter, each slice along dim 0, to the norm of the same filter of the "
                                "weights")
            elif torch.allclose(a.reshape(len(a), -1).norm(dim=1), torch.ones(len(a)), rtol=1e-4):
                problems.append(f"{where}: your filters have norm 1; multiply by the norm of the weights' filter, "
                                "||w_i||, so that each filter of the direction is as large as that of the weights")
            else:
                problems.append(f"{where}: the filter norms are {a.reshape(len(a), -1).norm(dim=1).tolist()[:3]}..., "
                                f"expected the weights' {w.reshape(len(w), -1).norm(dim=1).tolist()[:3]}...")
            break
    return _report("filter normalisation", problems)


def check_gradient_variance(fn) -> bool:
    """Exercise 2: ``fn(grads)`` with grads (B, P), one minibatch gradient per row -> (1/B) Σ ||g_j - ḡ||²."""
    import torch

    problems = []
    g = torch.Generator().manual_seed(0)
    cases = [("8 batches, 5 parameters", torch.randn(8, 5, generator=g, dtype=torch.float64)),
             ("3 batches, 1000 parameters, a large mean gradient",
              torch.randn(3, 1000, generator=g, dtype=torch.float64) + 50.0)]
    for label, grads in cases:
        got = _call(fn, grads.clone(), problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: return a number, got None")
            break
        got = float(got)
        B, P = grads.shape
        centred = grads - grads.mean(0)
        want = float((centred ** 2).sum(1).mean())
        if abs(got - want) <= 1e-8 * max(1.0, want):
            continue
        if abs(got - want * B / (B - 1)) <= 1e-8 * want:
            problems.append(f"{label}: you divided by B - 1 (the unbiased sample variance); the course's GV divides "
                            "by B, the number of minibatches")
        elif abs(got - want / P) <= 1e-8 * want:
            problems.append(f"{label}: you averaged over the parameters as well; GV sums the squared deviations over "
                            "the parameters (||g_j - ḡ||²) and averages over the batches (divide by P only to compare "
                            "networks of different sizes, and say so)")
        elif abs(got - float((grads ** 2).sum(1).mean())) <= 1e-8 * max(1.0, got):
            problems.append(f"{label}: you forgot to subtract the mean gradient ḡ: that is the mean squared norm of "
                            "the gradients, not their variance")
        elif abs(got - want ** 0.5) <= 1e-8 * max(1.0, want):
            problems.append(f"{label}: that is the square root: GV is the mean SQUARED distance")
        else:
            problems.append(f"{label}: got {got:.6g}, expected {want:.6g}")
    return _report("gradient variance", problems)
