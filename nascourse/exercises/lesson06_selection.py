"""Checkers for the exercises of architecture selection (lesson 06)."""

from __future__ import annotations

from .common import _call, _report


def _score_function(seed: int):
    """A smooth score of a (edges, ops) weight matrix that stands in for the supernet's validation accuracy."""
    import torch
    g = torch.Generator().manual_seed(seed)
    v = torch.randn(4, 5, generator=g, dtype=torch.float64)
    return lambda w: float(0.5 + 0.5 * torch.tanh((w * v).sum()))


def _weights(seed: int):
    import torch
    g = torch.Generator().manual_seed(100 + seed)
    w = torch.softmax(torch.randn(4, 5, generator=g, dtype=torch.float64), dim=1)
    w[0] = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0], dtype=torch.float64)  # a decided edge: one-hot
    return w


def check_operation_strength(fn) -> bool:
    """Exercise 1: ``fn(accuracy, weights, edge)`` -> [ACC\\o for each operation o of ``edge``].

    DARTS-PT's selection measures an operation by ACC\\o, the accuracy with its weight set to 0 (the lower,
    the stronger); the paper defines operation strength itself as the accuracy of the supernet discretised
    to that operation (after fine-tuning). An answer that returns the discretisation accuracies (the edge
    made one-hot at o, without fine-tuning) is accepted too, with a note on which measure it is.
    """
    import torch

    problems, notes = [], []
    for seed, edge in ((0, 2), (1, 3), (2, 0)):
        label = f"edge {edge} of case {seed + 1}"
        accuracy, weights = _score_function(seed), _weights(seed)
        given = weights.clone()
        got = _call(fn, accuracy, given, edge, problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: return a list with one accuracy per operation, got None")
            break
        if not torch.equal(given, weights):
            problems.append(f"{label}: you changed the weights you were given in place; perturb a copy "
                            "(weights.clone()) so that every operation is removed from the same weights")
            break
        got = [float(a) for a in got]
        n_ops = weights.shape[1]
        if len(got) != n_ops:
            problems.append(f"{label}: return one accuracy per operation ({n_ops}), got {len(got)}")
            break
        want, renormalised, kept_only, base = [], [], [], accuracy(weights)
        for o in range(n_ops):
            w = weights.clone()
            w[edge, o] = 0.0
            want.append(accuracy(w))
            r = w.clone()
            r[edge] = r[edge] / r[edge].sum() if float(r[edge].sum()) > 0 else r[edge]
            renormalised.append(accuracy(r))
            k = weights.clone()
            k[edge] = torch.nn.functional.one_hot(torch.tensor(o), n_ops).to(k)
            kept_only.append(accuracy(k))
        whole = weights.clone()
        whole[edge] = 0.0

        def close(a, b):
            return all(abs(x - y) <= 1e-9 for x, y in zip(a, b))

        if close(got, want):
            continue
        if close(got, kept_only):
            if not notes:
                notes.append("you returned discretisation accuracies (the edge made one-hot at each operation): "
                             "DARTS-PT's definition of operation strength, here without its fine-tuning, where "
                             "higher is stronger. The selection of the lesson uses ACC\\o, the accuracy with only "
                             "that operation removed, where lower is stronger; select.operation_strength returns that.")
            continue
        if close(got, renormalised):
            problems.append(f"{label}: you renormalised the edge's weights after removing the operation; DARTS-PT "
                            "sets the weight to 0 and leaves the others as they are (the edge's output shrinks)")
        elif close(got, [accuracy(whole)] * n_ops):
            problems.append(f"{label}: every entry is the accuracy with the whole edge removed; set only the "
                            "weight of operation o to 0")
        elif close(got, [base - a for a in want]):
            problems.append(f"{label}: you returned the drop (accuracy before - after); return the accuracy "
                            "ACC\\o itself, as select.operation_strength does")
        else:
            problems.append(f"{label}: got {[round(a, 6) for a in got]}, expected {[round(a, 6) for a in want]}")
        break
    passed = _report("operation strength", problems)
    if passed:
        for note in notes:
            print(f"  note: {note}")
    return passed


def _estimates(case: str):
    """Samples of the optimal feature map m*, the edge's input x (what skip passes on) and the conv's output o."""
    import torch
    g = torch.Generator().manual_seed({"independent": 0, "correlated": 1, "good input": 2}[case])
    m = torch.randn(4096, generator=g, dtype=torch.float64)
    if case == "independent":
        return m + 0.5 * torch.randn(4096, generator=g, dtype=torch.float64), \
            m + 1.0 * torch.randn(4096, generator=g, dtype=torch.float64), m
    if case == "correlated":  # the conv repeats the input's error, twice as large: the best unconstrained p is 2
        e = torch.randn(4096, generator=g, dtype=torch.float64)
        return m + 0.3 * e, m + 0.6 * e, m
    return m + 0.1 * torch.randn(4096, generator=g, dtype=torch.float64), \
        m + 0.8 * torch.randn(4096, generator=g, dtype=torch.float64), m


def _best_skip(x, o, m) -> float:
    d, r = x - o, o - m
    return min(1.0, max(0.0, float(-(r * d).sum() / (d * d).sum())))


def check_optimal_skip_weight(fn) -> bool:
    """Exercise 2: ``fn(x, o, m)`` -> the p_skip in [0, 1] minimising mean((p x + (1 - p) o - m)²)."""
    problems = []
    for case in ("independent", "good input", "correlated"):
        x, o, m = _estimates(case)
        got = _call(fn, x.clone(), o.clone(), m.clone(), problems=problems, label=f"case '{case}'")
        if got is None:
            if not problems:
                problems.append(f"case '{case}': return a number, got None")
            break
        got, want = float(got), _best_skip(x, o, m)
        d, r = x - o, o - m
        unclipped = float(-(r * d).sum() / (d * d).sum())
        if abs(got - want) <= 1e-6:
            continue
        if abs(got - unclipped) <= 1e-6:
            problems.append(f"case '{case}': {got:.4f} lies outside [0, 1]; the weights are a softmax, on the "
                            f"simplex p_skip + p_conv = 1 with both >= 0: clip to [0, 1] (here {want:.4f})")
        elif abs(got - (1 - want)) <= 1e-3:
            problems.append(f"case '{case}': {got:.4f} is the conv's weight 1 - p_skip; the skip's optimal weight grows "
                            "with the conv's error var(o - m*), not with its own")
        else:
            problems.append(f"case '{case}': got {got:.4f}, expected {want:.4f} (minimise over p the mean of "
                            "(p x + (1 - p) o - m)², then keep p in [0, 1])")
        break
    return _report("optimal skip weight", problems)
