"""Checkers for the exercises of flat architectures (lesson 07)."""

from __future__ import annotations

from .common import _call, _report

_CELLS = (
    ["nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "skip_connect"],
    ["none", "avg_pool_3x3", "nor_conv_1x1", "skip_connect", "none", "nor_conv_3x3"],
    ["skip_connect"] * 6,
)


def _measure(seed: int):
    """A measure that gives every cell its own value (a hash of its operations), so no mistake cancels out."""
    import numpy as np
    from ..ops import NB201_OPS

    weights = np.random.default_rng(seed).normal(size=(6, len(NB201_OPS)))
    pairs = np.random.default_rng(seed + 1).normal(size=(5, len(NB201_OPS), len(NB201_OPS)))

    def measure(cell):
        idx = [NB201_OPS.index(o) for o in cell]
        return float(sum(weights[e, o] for e, o in enumerate(idx))
                     + sum(pairs[e, idx[e], idx[e + 1]] for e in range(5)))
    return measure


def check_neighbourhood_mean(fn) -> bool:
    """Exercise 1: ``fn(cell, measure)`` -> the mean of ``measure`` over ``cell`` and its 24 neighbours."""
    import numpy as np
    from ..nb201 import nb201_neighbours
    from ..ops import NB201_OPS

    problems = []
    for seed, cell in enumerate(_CELLS):
        label = f"cell {'|'.join(cell)}"
        measure = _measure(seed)
        calls = []
        given = list(cell)
        got = _call(fn, given, lambda c: calls.append(list(c)) or measure(c), problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: return a number, got None")
            break
        if given != cell:
            problems.append(f"{label}: you changed the cell you were given in place; build each neighbour from a copy "
                            "(list(cell)) so that every neighbour differs from the original in one edge only")
            break
        got = float(got)
        around = [measure(c) for c in nb201_neighbours(cell)]
        own = measure(cell)
        want = float(np.mean([own] + around))
        if abs(got - want) <= 1e-9:
            continue
        with_self = [measure(cell[:e] + [o] + cell[e + 1:]) for e in range(6) for o in NB201_OPS]  # 30, cell 6 times
        if abs(got - float(np.mean(around))) <= 1e-9:
            problems.append(f"{label}: you averaged the 24 neighbours only; the neighbourhood includes the cell itself "
                            "(25 values)")
        elif abs(got - float(np.mean(with_self))) <= 1e-9:
            problems.append(f"{label}: you let each edge take all {len(NB201_OPS)} operations, so the cell itself is "
                            "counted 6 times (30 values); a neighbour changes the edge to one of the 4 other operations")
        elif abs(got - min([own] + around)) <= 1e-9:
            problems.append(f"{label}: you returned the worst value of the neighbourhood; this exercise asks for the mean")
        elif len(calls) and len({tuple(c) for c in calls}) < len(calls):
            problems.append(f"{label}: you measured some cells more than once ({len(calls)} calls for "
                            f"{len({tuple(c) for c in calls})} distinct cells); each cell counts once, got {got:.6f}, "
                            f"expected {want:.6f}")
        else:
            problems.append(f"{label}: got {got:.6f}, expected {want:.6f} (the mean over the cell and the 24 cells "
                            "that differ from it in exactly one edge)")
        break
    return _report("neighbourhood mean", problems)


def check_relaxed_neighbour(fn) -> bool:
    """Exercise 2: ``fn(p, edge, op, beta)`` -> p with row ``edge`` moved a fraction beta towards onehot(op)."""
    import torch

    problems = []
    for seed, (edge, op, beta) in enumerate(((2, 4, 0.5), (0, 1, 0.25), (5, 0, 1.0))):
        label = f"edge {edge}, operation {op}, beta {beta}"
        g = torch.Generator().manual_seed(seed)
        p = torch.softmax(torch.randn(6, 5, generator=g, dtype=torch.float64), dim=1)
        given = p.clone()
        got = _call(fn, given, edge, op, beta, problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: return a tensor shaped like p, got None")
            break
        if not torch.equal(given, p):
            problems.append(f"{label}: you changed p in place; return a new tensor (p.clone()) so that the architecture "
                            "and its neighbours can be evaluated side by side")
            break
        got = torch.as_tensor(got, dtype=torch.float64)
        if got.shape != p.shape:
            problems.append(f"{label}: return a tensor of p's shape {tuple(p.shape)}, got {tuple(got.shape)}")
            break
        one_hot = torch.nn.functional.one_hot(torch.tensor(op), 5).to(p)
        want = p.clone()
        want[edge] = (1 - beta) * p[edge] + beta * one_hot
        if torch.allclose(got, want, atol=1e-12):
            continue
        swapped = p.clone()
        swapped[edge] = beta * p[edge] + (1 - beta) * one_hot
        everywhere = (1 - beta) * p + beta * one_hot
        replaced = p.clone()
        replaced[edge] = one_hot
        if beta != 0.5 and torch.allclose(got, swapped, atol=1e-12):
            problems.append(f"{label}: you swapped beta and 1 - beta; beta is how far the row moves towards the one-hot "
                            "vector, so beta = 1 replaces the row and small beta changes little")
        elif torch.allclose(got, everywhere, atol=1e-12):
            problems.append(f"{label}: you moved every edge; a single-edge neighbour changes row {edge} only")
        elif beta != 1.0 and torch.allclose(got, replaced, atol=1e-12):
            problems.append(f"{label}: you replaced the row by the one-hot vector; mix it with the current row, "
                            "(1 - beta) p[edge] + beta onehot(op)")
        elif torch.allclose(got.sum(1), torch.ones(6, dtype=torch.float64)) is False:
            problems.append(f"{label}: the rows of your answer do not sum to 1 (got {got.sum(1).tolist()}); a mix of "
                            "two distributions is a distribution")
        else:
            problems.append(f"{label}: row {edge} is {got[edge].tolist()}, expected {want[edge].tolist()}")
        break
    return _report("relaxed neighbour", problems)
