"""Checkers for the exercises of ranking and cost (lesson 08)."""

from __future__ import annotations

from .common import _call, _close, _float, _report


def _kendall_cases():
    """(label, x, y): a supernet's scores against true accuracies, with and without ties."""
    return [
        ("no ties", [0.61, 0.55, 0.70, 0.40, 0.52], [93.1, 92.0, 93.8, 88.5, 92.4]),
        ("ties in the scores (two cells scored alike)", [0.5, 0.6, 0.6, 0.7, 0.8], [90.1, 92.3, 91.0, 91.0, 93.5]),
        ("ties in both, one pair tied in both", [1, 2, 2, 3, 3, 4], [10, 20, 20, 20, 40, 30]),
        ("a ranking exactly backwards", [4, 3, 2, 1], [1, 2, 3, 4]),
        ("constant scores (tau undefined: nan)", [1, 1, 1], [1, 2, 3]),
    ]


def _pairs(x, y):
    """Concordant, discordant, tied-in-x-only, tied-in-y-only, tied-in-both pair counts."""
    c = d = tx = ty = txy = 0
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            dx, dy = x[i] - x[j], y[i] - y[j]
            if dx == 0 and dy == 0:
                txy += 1
            elif dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif dx * dy > 0:
                c += 1
            else:
                d += 1
    return c, d, tx, ty, txy


def check_kendall_tau(fn) -> bool:
    """Exercise 1: ``fn(x, y)`` -> Kendall's tau-b: ties count in neither pair count, and shrink the
    denominator; nan when one ranking is constant."""
    import math

    problems = []
    for label, x, y in _kendall_cases():
        got = _float(_call(fn, list(x), list(y), problems=problems, label=label))
        if problems and problems[-1].startswith(label):
            break
        c, d, tx, ty, txy = _pairs(x, y)
        n0 = len(x) * (len(x) - 1) / 2
        denom = math.sqrt((n0 - tx - txy) * (n0 - ty - txy))
        want = (c - d) / denom if denom > 0 else float("nan")
        if _close(got, want, 1e-9):
            continue
        if got is None:
            problems.append(f"{label}: return a number (a float), got {got!r}")
        elif math.isnan(want):
            problems.append(f"{label}: every score is the same, so no pair is ordered by the scores and tau is "
                            f"undefined: return float('nan'), got {got!r}")
        elif _close(got, (c - d) / n0, 1e-9):
            problems.append(f"{label}: that is tau-a, (C - D) / (n(n-1)/2); with ties use tau-b, which divides by "
                            f"sqrt((n0 - ties in x) (n0 - ties in y)) (expected {want:.4f}, got {got:.4f})")
        elif _close(got, (c - d) / (c + d), 1e-9):
            problems.append(f"{label}: you divided by C + D, the ordered pairs only (Goodman-Kruskal gamma); "
                            f"tau-b keeps the pairs tied in one ranking in the other's count "
                            f"(expected {want:.4f}, got {got:.4f})")
        elif _close(got, -want, 1e-9):
            problems.append(f"{label}: right size, wrong sign: a pair is concordant when both rankings order it "
                            f"the same way, (x_i - x_j)(y_i - y_j) > 0")
        elif _close(got, 2 * want, 1e-9) or _close(got, (2 * c - 2 * d) / denom, 1e-9):
            problems.append(f"{label}: every pair counted twice (i, j and j, i): count pairs with i < j")
        else:
            problems.append(f"{label}: got {got:.4f}, expected {want:.4f} ({c} concordant, {d} discordant pairs, "
                            f"{tx + txy} tied in x, {ty + txy} tied in y, of {int(n0)})")
    return _report("Kendall's tau-b with ties", problems)


def _regret_cases():
    """(label, scores, truth, k): who the ranker picks and what it costs."""
    return [
        ("a ranker whose top pick is third best", [0.7, 0.5, 0.9, 0.6], [93.0, 94.2, 92.1, 93.9], 1),
        ("the same ranker, best of its top 2", [0.7, 0.5, 0.9, 0.6], [93.0, 94.2, 92.1, 93.9], 2),
        ("a perfect ranker", [3, 1, 2], [92.0, 88.0, 90.0], 1),
        ("a tie for the top score (take the first listed)", [0.8, 0.8, 0.1], [90.0, 93.0, 94.0], 1),
    ]


def _regret_answer(scores, truth, k):
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    return max(truth) - max(truth[i] for i in order)


def check_regret(fn) -> bool:
    """Exercise 2: ``fn(scores, truth, k)`` -> the best true accuracy minus the best true accuracy among
    the k cells the ranker scores highest (accuracy points, >= 0)."""
    problems = []
    for label, scores, truth, k in _regret_cases():
        got = _float(_call(fn, list(scores), list(truth), k, problems=problems, label=label))
        if problems and problems[-1].startswith(label):
            break
        want = _regret_answer(scores, truth, k)
        if _close(got, want, 1e-9):
            continue
        top = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
        low = sorted(range(len(scores)), key=lambda i: (scores[i], i))[:k]
        if got is None:
            problems.append(f"{label}: return a number (a float), got {got!r}")
        elif _close(got, max(truth[i] for i in top), 1e-9):
            problems.append(f"{label}: that is the pick's accuracy; the regret is what it falls short of the best "
                            f"cell: max(truth) - pick (expected {want:.2f})")
        elif _close(got, -want, 1e-9):
            problems.append(f"{label}: wrong sign: regret is best minus pick, never negative (expected {want:.2f})")
        elif _close(got, max(truth) - max(truth[i] for i in low), 1e-9):
            problems.append(f"{label}: you took the cells with the LOWEST scores; the ranker picks its highest "
                            f"(expected {want:.2f})")
        elif k > 1 and _close(got, max(truth) - truth[top[-1]], 1e-9):
            problems.append(f"{label}: with k > 1 the ranker shortlists its top k and you keep the best of them by "
                            f"the truth, not its k-th (expected {want:.2f})")
        elif k > 1 and _close(got, max(truth) - truth[top[0]], 1e-9):
            problems.append(f"{label}: you ignored k: keep the best (by the truth) of the top k (expected {want:.2f})")
        else:
            problems.append(f"{label}: got {got!r}, expected {want:.2f} (the ranker's top {k}: positions {top})")
    return _report("Regret of a ranker", problems)
