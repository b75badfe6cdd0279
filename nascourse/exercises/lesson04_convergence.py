"""Checkers for the exercises of convergence and width (lesson 04)."""

from __future__ import annotations

from .common import _call, _close, _float, _report


def _spearman_cases():
    """(label, x, y): ties in x (widths come in steps of 0.5c), ties in both, none, negative, constant."""
    import numpy as np
    rng = np.random.default_rng(4)
    return [
        ("widths with ties against losses", [2.0, 2.0, 2.0, 2.5, 2.5, 3.0, 3.0, 3.5, 3.5, 4.0],
         [1.9, 2.1, 1.8, 1.7, 1.75, 1.6, 1.72, 1.5, 1.55, 1.45]),
        ("ties in both", [1, 1, 2, 2, 3, 3, 3, 4], [5, 5, 5, 6, 6, 7, 8, 8]),
        ("no ties", list(rng.normal(size=12)), list(rng.normal(size=12))),
        ("a perfect decreasing relation", [1, 2, 3, 4, 5], [50, 40, 30, 20, 10]),
        ("a monotone but non-linear relation", [1, 2, 3, 4, 5, 6], [1, 4, 9, 100, 1000, 10 ** 6]),
        ("a constant x (rho undefined: nan)", [3, 3, 3, 3], [1, 2, 3, 4]),
    ]


def check_spearman(fn) -> bool:
    """Exercise 1: ``fn(x, y)`` -> Spearman's rho with average ranks for ties, nan when undefined."""
    import numpy as np

    from nascourse.bench_analysis import rankdata, spearman

    problems = []
    for label, x, y in _spearman_cases():
        got = _float(_call(fn, list(x), list(y), problems=problems, label=label))
        if problems and problems[-1].startswith(label):
            break
        want = spearman(np.array(x), np.array(y))
        if _close(got, want, 1e-6):
            continue
        xa, ya = np.asarray(x, float), np.asarray(y, float)
        ordinal = lambda a: np.argsort(np.argsort(a, kind="stable"), kind="stable").astype(float)  # noqa: E731
        pearson = float(np.corrcoef(xa, ya)[0, 1]) if xa.std() > 0 and ya.std() > 0 else float("nan")
        if got is None:
            problems.append(f"{label}: return a number (a float), got {got!r}")
        elif _close(got, float(np.corrcoef(ordinal(xa), ordinal(ya))[0, 1]), 1e-6):
            problems.append(f"{label}: you ranked tied values one after another (argsort of argsort); tied values "
                            f"share the average of their ranks ([10, 20, 20, 30] -> [1, 2.5, 2.5, 4]), got "
                            f"{got:.4f}, expected {want:.4f}")
        elif _close(got, pearson, 1e-6):
            problems.append(f"{label}: that is Pearson's correlation of the values; Spearman's is Pearson's of "
                            f"their ranks (expected {want:.4f})")
        elif _close(got, -want, 1e-6):
            problems.append(f"{label}: right size, wrong sign: rank both in the same (ascending) order")
        elif np.isnan(want):
            problems.append(f"{label}: x is constant, so its ranks have no spread and rho is undefined: return "
                            f"float('nan'), got {got!r}")
        else:
            r = rankdata(xa)
            problems.append(f"{label}: got {got:.4f}, expected {want:.4f} (the average ranks of x are "
                            f"{r.tolist()})")
    return _report("Spearman's rho with tied ranks", problems)


def check_group_depth_rho(fn) -> bool:
    """Exercise 2: ``fn(convs, metric)`` -> Spearman's rho of depth with ``metric`` among connected cells with
    ``convs`` convolutions (the within-group correlation of ``bench_analysis.shape_correlations``)."""
    import numpy as np

    from nascourse import bench_analysis as A

    problems = []
    s = A.shapes()
    for metric in ("cifar10_test12", "cifar10"):
        want_all = A.shape_correlations(metric)
        for g in want_all.groups:
            if g.convs not in (2, 4):
                continue
            label = f"convs={g.convs}, metric={metric!r}"
            got = _float(_call(fn, g.convs, metric, problems=problems, label=label))
            if problems and problems[-1].startswith(label):
                return _report("depth against accuracy within a conv-count group", problems)
            if _close(got, g.depth, 1e-6):
                continue
            values = A.metric_values(metric)
            in_group = s["convs"] == g.convs
            c = s["connected"]
            if got is None:
                problems.append(f"{label}: return a number, got {got!r}")
            elif _close(got, g.width, 1e-6):
                problems.append(f"{label}: that is the correlation of WIDTH; the exercise asks for depth")
            elif _close(got, A.spearman(s["depth"][c], values[c]), 1e-6):
                problems.append(f"{label}: you pooled all connected cells; keep only those with exactly "
                                f"{g.convs} convolutions (s['convs'] == {g.convs})")
            elif np.isnan(got):
                problems.append(f"{label}: got nan: keep only connected cells (s['connected']); a cut-off cell has "
                                "no depth")
            elif in_group.sum() != (in_group & c).sum() and _close(
                    got, A.spearman(np.nan_to_num(s["depth"][in_group], nan=0.0), values[in_group]), 1e-6):
                problems.append(f"{label}: keep only connected cells (s['connected']) in the group")
            else:
                problems.append(f"{label}: got {got:.4f}, expected {g.depth:.4f}")
    return _report("depth against accuracy within a conv-count group", problems)
