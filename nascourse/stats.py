"""How sure are we? Uncertainty of small-sample comparisons, in numpy only.

A lesson that runs three seeds of two search methods and prints "mean ± sd" hides how little three
numbers say. This module is the course's one place for statistics:

- :func:`sd` (with ``n - 1``), :func:`mean_ci` and :func:`describe`: a mean with a confidence
  interval, by the bootstrap (percentile and BCa, Efron and Tibshirani, *An Introduction to the
  Bootstrap*, 1993, ch. 13-14), bootstrap-t (ch. 12) or Student's t.
- :func:`bootstrap_ci`: the same intervals for any statistic, paired data included.
- :func:`paired_test`: two methods on the same seeds. Under "no difference" each difference
  ``a - b`` is as likely to be positive as negative, so the exact test compares the observed mean
  difference with all ``2^n`` sign flips (Fisher's randomisation argument; E&T ch. 15).
- :func:`permutation_test`: two independent samples, over all ways to split the pooled values.
- :func:`spearman`, :func:`kendall`: rank correlations (how well a supernet ranks cells), with
  permutation p-values (exact for n <= 8) and BCa intervals that resample (x, y) pairs.

With 3-5 seeds the exact tests are coarse (with n = 3 the smallest two-sided sign-flip p is
0.25) and bootstrap intervals are too narrow: they cover the mean less often than their level
says (for normal samples, a 95% BCa interval about 74% of the time at n = 3 and 87% at n = 5,
Student's t 95%; measured over 400 samples each). So a mean's interval, in :func:`mean_ci`,
:func:`describe` and the paired test, is Student's t unless another method is asked for. Saying so is the point. Lessons 04 on use it to compare methods over seeds and to score rankings.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable

import numpy as np

#: Interval methods of :func:`mean_ci`; :func:`bootstrap_ci` takes ``"bca"`` and ``"percentile"``.
CI_METHODS = ("bca", "percentile", "t", "studentized")
#: Largest n for which :func:`paired_test` enumerates all 2^n sign flips.
EXACT_SIGN_FLIP_MAX_N = 20
#: Largest number of splits C(n_a + n_b, n_a) that :func:`permutation_test` enumerates.
EXACT_SPLITS_MAX = 100_000
#: Largest n for which :func:`spearman` and :func:`kendall` enumerate all n! pairings.
EXACT_RANK_MAX_N = 8
#: Largest n for which :func:`spearman` draws random pairings; above it, p comes from the normal
#: approximation to the permutation distribution (mean 0, variance 1 / (n - 1), exact with ties).
SPEARMAN_PERM_MAX_N = 2000
#: Largest n for which :func:`kendall` draws random pairings (O(n^2) each); above it, p comes from
#: the normal approximation with the exact, tie-corrected permutation variance of S (Kendall 1970).
KENDALL_PERM_MAX_N = 50
#: BCa's jackknife leaves out one value at a time up to this n, and this many random groups above it.
JACKKNIFE_MAX_GROUPS = 200
_CHUNK = 1 << 21  # numbers per batch of resamples, to bound memory
_NORMAL = NormalDist()


def _sample(x, name: str = "x", min_n: int = 2) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if a.ndim != 1:
        raise ValueError(f"{name} has shape {a.shape}: pass a 1-D sequence, one value per seed or cell")
    bad = np.flatnonzero(~np.isfinite(a))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is {a[bad[0]]}: drop or rerun the runs with NaN or infinite values")
    if a.size < min_n:
        raise ValueError(f"{name} has n = {a.size} values; this needs n >= {min_n}: add seeds or cells")
    return a


def _pair(x, y, names: tuple[str, str], min_n: int = 2, ranked: bool = False) -> tuple[np.ndarray, np.ndarray]:
    if np.size(x) != np.size(y):
        raise ValueError(f"{names[0]} has {np.size(x)} values and {names[1]} has {np.size(y)}: paired data "
                         f"need one value of each per seed or cell, in the same order")
    x, y = _sample(x, names[0], min_n), _sample(y, names[1], min_n)
    for name, v in zip(names, (x, y)):
        if ranked and np.ptp(v) == 0:
            raise ValueError(f"{name} is constant ({v[0]}): a rank correlation with it is undefined")
    return x, y


def _check(level: float, method: str | None = None, methods: tuple = CI_METHODS, alternative: str | None = None):
    if not 0 < level < 1:
        raise ValueError(f"level = {level!r} is outside (0, 1): pass a fraction, e.g. level=0.95 for 95%")
    if method is not None and method not in methods:
        raise ValueError(f"method = {method!r} is unknown: use one of {methods}")
    if alternative is not None and alternative not in ("two-sided", "greater", "less"):
        raise ValueError(f"alternative = {alternative!r} is unknown: use 'two-sided', 'greater' or 'less'")


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.2f}" if p >= 0.01 else f"p = {p:.3f}"


@dataclass(frozen=True)
class Interval:
    """An estimate with a confidence interval ``[low, high]`` from ``n`` observations."""

    estimate: float
    low: float
    high: float
    n: int  # observations (seeds, cells); two samples: n_a + n_b
    level: float = 0.95  # confidence level
    method: str = "t"  # one of CI_METHODS

    def format(self, digits: int = 2) -> str:
        """``"1.60 [-0.12, 3.80] (n = 5)"`` with ``digits`` decimals."""
        return f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}] (n = {self.n})"

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class Test:
    """A test of "no difference": the observed ``statistic``, its p-value and its interval."""

    __test__ = False  # not a pytest test class
    statistic: float  # mean difference (paired) or difference of means (independent)
    p: float
    n: int
    method: str  # "exact sign-flip", "Monte Carlo permutation (100000)", ...
    ci: Interval | None = None  # interval of the statistic
    alternative: str = "two-sided"

    def __str__(self) -> str:
        ci = f" [{self.ci.low:.2f}, {self.ci.high:.2f}]" if self.ci is not None else ""
        return f"{self.statistic:+.2f}{ci} (n = {self.n}), {_p_text(self.p)} ({self.method}, {self.alternative})"


@dataclass(frozen=True)
class Correlation:
    """A rank correlation with its interval ``[low, high]`` and two-sided permutation p-value."""

    estimate: float
    low: float
    high: float
    p: float
    n: int
    method: str  # how p was found: "exact permutation", "permutation", "normal approximation"
    symbol: str = "rho"  # "rho" (Spearman) or "tau" (Kendall)
    level: float = 0.95

    def __str__(self) -> str:
        return (f"{self.symbol} = {self.estimate:.2f} [{self.low:.2f}, {self.high:.2f}], "
                f"{_p_text(self.p)} (n = {self.n}, {self.method})")


def _t_cdf(t: float, df: int) -> float:
    # Student's t, integer df, closed form (Abramowitz and Stegun 26.7.3-4); theta = atan(|t| / sqrt(df))
    theta = math.atan(abs(t) / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:  # odd: P(|T| < |t|) = 2/pi (theta + sin cos (1 + 2/3 c2 + 2.4/3.5 c2^2 + ...))
        k = np.arange(1, (df - 1) // 2)
        series = 1 + np.cumprod(2 * k / (2 * k + 1) * c2).sum() if df > 1 else 0.0
        both = 2 / math.pi * (theta + s * math.cos(theta) * series)
    else:  # even: P(|T| < |t|) = sin (1 + 1/2 c2 + 1.3/2.4 c2^2 + ...)
        k = np.arange(1, df // 2)
        both = s * (1 + np.cumprod((2 * k - 1) / (2 * k) * c2).sum())
    return 0.5 + math.copysign(both / 2, t)


def t_quantile(q: float, df: int) -> float:
    """The ``q`` quantile of Student's t with ``df`` (an integer) degrees of freedom, by bisection."""
    if not 0 < q < 1 or df < 1:
        raise ValueError(f"t_quantile needs 0 < q < 1 and df >= 1, got q = {q}, df = {df}")
    target, lo, hi = max(q, 1 - q), 0.0, 1.0
    while _t_cdf(hi, df) < target:
        hi *= 2
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _t_cdf(mid, df) < target else (lo, mid)
    return math.copysign((lo + hi) / 2, q - 0.5)


def sd(x) -> float:
    """The sample standard deviation, with ``n - 1`` in the denominator (ddof = 1); needs n >= 2."""
    return float(np.std(_sample(x), ddof=1))


def _batches(total: int, width: int):
    # batch sizes adding up to total, each batch at most _CHUNK numbers of `width` numbers per row
    rows = max(1, _CHUNK // width)
    yield from (min(rows, total - start) for start in range(0, total, rows))


def _resamples(rng: np.random.Generator, n: int, n_boot: int):
    # index arrays (B, n) of n draws with replacement, B at a time
    yield from (rng.integers(0, n, size=(rows, n)) for rows in _batches(n_boot, n))


def _jackknife_groups(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    # one value at a time, or (large n) JACKKNIFE_MAX_GROUPS random groups: the delete-a-group jackknife
    groups = min(n, JACKKNIFE_MAX_GROUPS)
    return np.array_split(np.arange(n) if n == groups else rng.permutation(n), groups)


def _bounds(estimate: float, boot: np.ndarray, influence: np.ndarray | None, level: float,
            method: str) -> tuple[float, float]:
    boot = boot[np.isfinite(boot)]  # resamples where the statistic is undefined are left out
    alpha = (1 - level) / 2
    if boot.size == 0 or np.ptp(boot) == 0:
        value = boot[0] if boot.size else estimate
        return min(value, estimate), max(value, estimate)
    q = [alpha, 1 - alpha]
    if method == "bca":  # E&T eq. 14.9-14.15
        # z0: how far the estimate sits from the bootstrap median, in normal units (ties count half)
        below = (np.count_nonzero(boot < estimate) + 0.5 * np.count_nonzero(boot == estimate)) / boot.size
        z0 = _NORMAL.inv_cdf(min(max(below, 0.5 / boot.size), 1 - 0.5 / boot.size))
        # a: how fast the standard error changes with the parameter, from the jackknife influence
        # u_i = mean(theta_(.)) - theta_(i): a = sum u^3 / (6 (sum u^2)^(3/2))
        u = influence[np.isfinite(influence)]
        a = (u ** 3).sum() / (6 * (u ** 2).sum() ** 1.5) if (u ** 2).sum() > 0 else 0.0
        q = [_NORMAL.cdf(z0 + (z0 + z) / (1 - a * (z0 + z))) for z in map(_NORMAL.inv_cdf, q)]
    low, high = np.quantile(boot, q)
    return float(low), float(high)


def mean_ci(x, level: float = 0.95, method: str = "t", n_boot: int = 10_000, seed: int = 0) -> Interval:
    """A confidence interval for the mean of ``x`` (shape ``(n,)``, n >= 2).

    Student's t by default: over the course's 3 to 5 seeds a bootstrap interval covers the mean
    too rarely (see the module docstring), and a comparison over seeds is a mean of a few numbers.

    ``method``: ``"bca"`` (bias-corrected and accelerated bootstrap), ``"percentile"``,
    ``"studentized"`` (bootstrap-t, resamples with sd = 0 left out) or ``"t"`` (Student's t,
    mean ± t_{n-1} sd / sqrt(n), no resampling). All values equal gives ``[x, x]``.
    """
    x = _sample(x)
    _check(level, method)
    n, m = x.size, float(x.mean())
    if np.ptp(x) == 0:
        return Interval(m, m, m, n, level, method)
    se = sd(x) / math.sqrt(n)
    if method == "t":
        half = t_quantile((1 + level) / 2, n - 1) * se
        return Interval(m, m - half, m + half, n, level, method)
    resamples = [x[idx] for idx in _resamples(np.random.default_rng(seed), n, n_boot)]  # (B, n) each
    boot = np.concatenate([xb.mean(axis=1) for xb in resamples])
    if method == "studentized":  # t* = (mean* - mean) / se*; interval [m - t*_hi se, m - t*_lo se]
        se_b = np.concatenate([xb.std(axis=1, ddof=1) for xb in resamples]) / math.sqrt(n)
        t_lo, t_hi = np.quantile((boot - m)[se_b > 0] / se_b[se_b > 0], [(1 - level) / 2, (1 + level) / 2])
        return Interval(m, m - t_hi * se, m - t_lo * se, n, level, method)
    loo = (x.sum() - x) / (n - 1)  # leave-one-out means
    return Interval(m, *_bounds(m, boot, loo.mean() - loo, level, method), n, level, method)


def bootstrap_ci(x, statistic: Callable[[np.ndarray], float], level: float = 0.95, method: str = "bca",
                 n_boot: int = 10_000, seed: int = 0) -> Interval:
    """A bootstrap interval (``"bca"`` or ``"percentile"``) for ``statistic(x)``, x of shape ``(n,)``.

    ``statistic`` takes a 1-D array and returns a number; it is called once per resample (and
    once per jackknife deletion for BCa), so keep it cheap. Paired data: bootstrap the indices,
    which resamples pairs, e.g.
    ``bootstrap_ci(np.arange(n), lambda i: np.corrcoef(a[i], b[i])[0, 1])``. Resamples where the
    statistic is NaN are left out.
    """
    _sample(x)
    _check(level, method, ("bca", "percentile"))
    x = np.asarray(x)  # as given, so that index arrays stay integers
    n, estimate, rng = x.size, float(statistic(x)), np.random.default_rng(seed)
    boot = np.array([statistic(x[i]) for idx in _resamples(rng, n, n_boot) for i in idx], dtype=float)
    jack = np.array([statistic(np.delete(x, g)) for g in _jackknife_groups(n, rng)] if method == "bca" else [0.0])
    return Interval(estimate, *_bounds(estimate, boot, np.nanmean(jack) - jack, level, method), n, level, method)


def describe(x, level: float = 0.95, method: str = "t") -> str:
    """``"mean [CI] (n = 5)"``, e.g. ``"1.60 [0.20, 3.10] (n = 5)"``: :func:`mean_ci` formatted."""
    return mean_ci(x, level=level, method=method).format()


def _randomisation_p(observed: float, alternative: str, exact: np.ndarray | None = None,
                     draw: Callable[[int], np.ndarray] | None = None, n_perm: int = 0, width: int = 1) -> float:
    # exact: the statistic under every equally likely arrangement -> the share at least as extreme.
    # draw(rows): the statistic under `rows` random arrangements (of `width` numbers each) ->
    # (1 + hits) / (1 + n_perm), counting the observed arrangement as one of them (never p = 0).
    tol = 1e-9 * max(1.0, abs(observed))  # sums taken in another order differ in the last bits

    def extreme(null: np.ndarray) -> np.ndarray:
        if alternative == "greater":
            return null >= observed - tol
        return null <= observed + tol if alternative == "less" else np.abs(null) >= abs(observed) - tol

    if exact is not None:
        return float(extreme(exact).mean())
    return (1 + sum(int(extreme(draw(rows)).sum()) for rows in _batches(n_perm, width))) / (1 + n_perm)


def paired_test(a, b, alternative: str = "two-sided", n_perm: int | None = None, seed: int = 0) -> Test:
    """Is the mean of ``d = a - b`` (shape ``(n,)``, same seeds in the same order) different from 0?

    Exact sign-flip test over all 2^n flips of d when n <= 20 (a zero difference flips to itself
    and counts as it should); otherwise ``n_perm`` random flips (default 100,000) with
    p = (1 + hits) / (1 + n_perm). ``"greater"`` tests mean(a - b) > 0. ``ci`` is
    ``mean_ci(d, seed=seed)``.
    """
    a, b = _pair(a, b, ("a", "b"))
    _check(0.95, alternative=alternative)
    d = a - b
    n, observed, rng = d.size, float(d.mean()), np.random.default_rng(seed)
    if n <= EXACT_SIGN_FLIP_MAX_N:
        sums = np.zeros(1)
        for v in np.abs(d):  # all 2^n sums of +-|d_i|, doubling one value at a time
            sums = np.concatenate([sums + v, sums - v])
        p, method = _randomisation_p(observed, alternative, exact=sums / n), "exact sign-flip"
    else:
        n_perm = n_perm or 100_000
        p = _randomisation_p(observed, alternative, n_perm=n_perm, width=n,
                             draw=lambda rows: rng.choice([-1.0, 1.0], (rows, n)) @ np.abs(d) / n)
        method = f"Monte Carlo sign-flip ({n_perm})"
    return Test(observed, p, n, method, mean_ci(d, seed=seed), alternative)


def permutation_test(a, b, alternative: str = "two-sided", n_perm: int | None = None, seed: int = 0) -> Test:
    """Do two independent samples (shapes ``(n_a,)``, ``(n_b,)``) differ in mean?

    The statistic is mean(a) - mean(b); two-sided p counts splits with a difference at least as
    large in absolute value. Exact over all C(n_a + n_b, n_a) splits of the pooled values when
    there are at most 100,000; otherwise ``n_perm`` random splits (default 100,000) with
    p = (1 + hits) / (1 + n_perm). ``ci``: BCa, resampling each sample on its own.
    """
    a, b = _sample(a, "a"), _sample(b, "b")
    _check(0.95, alternative=alternative)
    pooled, na, nb, rng = np.concatenate([a, b]), a.size, b.size, np.random.default_rng(seed)
    observed, splits = float(a.mean() - b.mean()), math.comb(a.size + b.size, a.size)

    def null(chosen: np.ndarray) -> np.ndarray:  # chosen: (K, n_a) indices of the values called a
        sum_a = pooled[chosen].sum(axis=1)
        return sum_a / na - (pooled.sum() - sum_a) / nb

    if splits <= EXACT_SPLITS_MAX:
        chosen = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(na + nb), na)),
                             dtype=np.int64, count=splits * na).reshape(splits, na)
        p, method = _randomisation_p(observed, alternative, exact=null(chosen)), "exact permutation"
    else:  # a random n_a-subset: the n_a smallest of n_a + n_b uniform keys
        n_perm = n_perm or 100_000
        p = _randomisation_p(observed, alternative, n_perm=n_perm, width=na + nb, draw=lambda rows: null(
            np.argpartition(rng.random((rows, na + nb)), na - 1, axis=1)[:, :na]))
        method = f"Monte Carlo permutation ({n_perm})"
    # BCa's acceleration from each sample's jackknife, scaled by (n_k - 1) / n_k (Davison and
    # Hinkley 1997, ch. 5, for several samples)
    boot = np.concatenate([a[i].mean(1) for i in _resamples(rng, na, 10_000)]) - \
        np.concatenate([b[i].mean(1) for i in _resamples(rng, nb, 10_000)])
    loo = [(v.sum() - v) / (v.size - 1) for v in (a, b)]  # leave-one-out means
    influence = np.concatenate([(m.mean() - m) * (m.size - 1) / m.size for m in loo])
    ci = Interval(observed, *_bounds(observed, boot, influence, 0.95, "bca"), na + nb, method="bca")
    return Test(observed, p, na + nb, method, ci, alternative)


def rankdata(x) -> np.ndarray:
    """Ranks 1..n of ``x`` (shape ``(n,)``), ties given the average of the ranks they span."""
    x = _sample(x, min_n=1)
    return _weighted_ranks(np.ones((1, x.size)), _ties(x))[0]


def _ties(v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # (order that sorts v, where each run of equal values starts in it, each value's run number)
    order = np.argsort(v, kind="stable")
    new = np.concatenate([[True], np.diff(v[order]) != 0])
    run = np.empty(v.size, dtype=np.int64)
    run[order] = np.cumsum(new) - 1
    return order, np.flatnonzero(new), run


def _weighted_ranks(w: np.ndarray, ties) -> np.ndarray:
    # average ranks in the sample that holds w_i copies of value i, w: (B, n) -> (B, n)
    order, starts, run = ties
    copies = w[:, order] if starts.size == w.shape[1] else np.add.reduceat(w[:, order], starts, axis=1)
    return (np.cumsum(copies, axis=1) - (copies - 1) / 2)[:, run]  # copies below + (copies + 1) / 2


def _correlation(symbol: str, stat: Callable, null: Callable, normal_sd: float | None, n: int, n_perm: int,
                 n_boot: int, level: float, seed: int) -> Correlation:
    # stat(w): the correlation of the sample that holds w_i copies of pair i, w: (B, n) -> (B,);
    # null(pairings): the statistic with y re-paired as y[pairing], pairings: (K, n) -> (K,)
    _check(level)
    rng, ones = np.random.default_rng(seed), np.ones((1, n), dtype=np.int64)
    estimate, observed = float(stat(ones)[0]), float(null(np.arange(n)[None])[0])
    if n <= EXACT_RANK_MAX_N:
        exact = null(np.array(list(itertools.permutations(range(n)))))
        p, method = _randomisation_p(observed, "two-sided", exact=exact), "exact permutation"
    elif normal_sd is None:
        p = _randomisation_p(observed, "two-sided", n_perm=n_perm, width=n, draw=lambda rows: null(
            rng.permuted(np.tile(np.arange(n), (rows, 1)), axis=1)))
        method = "permutation"
    else:  # the permutation distribution is close to normal for large n
        # 2 Phi(-|z|) = erfc(|z| / sqrt 2), accurate far into the tail (NormalDist.cdf is not)
        p, method = math.erfc(abs(observed) / normal_sd / math.sqrt(2)), "normal approximation"
    # bootstrap: resampled pairs as copy counts w (one bincount per row); jackknife: groups get w = 0
    boot = [stat(np.bincount((idx + n * np.arange(len(idx))[:, None]).ravel(), minlength=idx.size)
                 .reshape(idx.shape)) for idx in _resamples(rng, n, n_boot)]
    groups, jack = _jackknife_groups(n, rng), []
    for rows in _batches(len(groups), n):
        w = np.ones((rows, n), dtype=np.int64)
        for r, g in enumerate(groups[len(jack):len(jack) + rows]):
            w[r, g] = 0
        jack.extend(stat(w))
    jack = np.array(jack)
    low, high = _bounds(estimate, np.concatenate(boot), np.nanmean(jack) - jack, level, "bca")
    return Correlation(estimate, low, high, p, n, method, symbol, level)


def spearman(x, y, n_perm: int = 10_000, n_boot: int = 2_000, level: float = 0.95, seed: int = 0) -> Correlation:
    """Spearman's rho of ``x``, ``y`` (shape ``(n,)``, n >= 3): Pearson's correlation of average ranks.

    p (two-sided): exact over all n! pairings for n <= 8, ``n_perm`` random pairings up to
    n = SPEARMAN_PERM_MAX_N (p = (1 + hits) / (1 + n_perm)), the normal approximation above.
    Interval: BCa over ``n_boot`` resampled (x, y) pairs, ranks (with ties) recomputed in each.
    n = 15,625 (all of NAS-Bench-201) takes about 3 s of CPU time, n = 100 0.06 s.
    """
    x, y = _pair(x, y, ("x", "y"), min_n=3, ranked=True)
    n, tx, ty = x.size, _ties(x), _ties(y)
    rx, ry = rankdata(x) - (n + 1) / 2, rankdata(y) - (n + 1) / 2  # centred ranks

    def rho(w: np.ndarray) -> np.ndarray:
        mid = (w.sum(axis=1, keepdims=True) + 1) / 2  # the mean rank of any sample of N values
        rwx, rwy = _weighted_ranks(w, tx) - mid, _weighted_ranks(w, ty) - mid
        with np.errstate(invalid="ignore", divide="ignore"):  # a resample with constant x: NaN, left out
            return (w * rwx * rwy).sum(1) / np.sqrt((w * rwx ** 2).sum(1) * (w * rwy ** 2).sum(1))

    # under re-pairing, sum(rx ry) has mean 0 and sd |rx| |ry| / sqrt(n - 1)
    normal_sd = math.sqrt((rx @ rx) * (ry @ ry) / (n - 1)) if n > SPEARMAN_PERM_MAX_N else None
    return _correlation("rho", rho, lambda pairings: ry[pairings] @ rx, normal_sd, n, n_perm, n_boot, level, seed)


def _kendall_plan(x: np.ndarray, y: np.ndarray):
    # Sort by (x, y). Then S' = sum_{i<j} w_i w_j sign(y_j - y_i) over that order counts every pair
    # as Kendall's S does, except pairs tied in x (counted +1 when y differs), subtracted after.
    # S' is summed merge-sort style: at level s each block of 2s positions pairs its left half L
    # with its right half R, and each r in R looks up (binary search in L sorted by y) how much
    # weight in L lies below and above y_r. The index arrays depend on x and y only, so one plan
    # serves every set of weights: O(n log n) per resample.
    _, _, xr = _ties(x)
    yorder, ystarts, yr = _ties(y)
    q = np.lexsort((yr, xr))
    yq, n, m = yr[q], x.size, int(yr.max()) + 1
    pos, levels, s = np.arange(n), [], 1
    while s < n:
        block, left = pos // (2 * s), pos % (2 * s) < s
        L, R = pos[left], pos[~left]
        keys = block[L] * m + yq[L]  # block first, then y
        Ls, keys = L[np.argsort(keys, kind="stable")], np.sort(keys)
        kr, first = block[R] * m + yq[R], block[R] * m
        levels.append((Ls, R, *(np.searchsorted(keys, v, side) for v, side in
                                ((kr, "left"), (kr, "right"), (first, "left"), (first + m, "left")))))
        s *= 2
    new_x = np.concatenate([[True], np.diff(xr[q]) != 0])
    new_cell = new_x | np.concatenate([[True], np.diff(yq) != 0])
    return q, levels, np.flatnonzero(new_x), np.flatnonzero(new_cell), yorder, ystarts


def _kendall_tau_b(w: np.ndarray, plan) -> np.ndarray:
    # tau_b of the sample that holds w_i copies of pair i, w: (B, n) integer -> (B,)
    q, levels, xstarts, cellstarts, yorder, ystarts = plan
    wq, s = w[:, q].astype(np.int32), np.zeros(len(w))  # counts: exact in int32, half of int64's traffic
    for Ls, R, lo, hi, first, end in levels:
        cum = np.zeros((len(w), Ls.size + 1), dtype=np.int32)
        np.cumsum(wq[:, Ls], axis=1, out=cum[:, 1:])
        # w_r (weight below y_r - weight above y_r in the left half)
        s += (wq[:, R] * (cum[:, lo] + cum[:, hi] - cum[:, first] - cum[:, end]).astype(np.float64)).sum(axis=1)
    tx = np.add.reduceat(w[:, q], xstarts, axis=1).astype(float)  # copies in each run of tied x
    cells = np.add.reduceat(w[:, q], cellstarts, axis=1).astype(float)  # copies of each distinct (x, y)
    ty = np.add.reduceat(w[:, yorder], ystarts, axis=1).astype(float)
    s -= ((tx ** 2).sum(1) - (cells ** 2).sum(1)) / 2  # pairs tied in x, not in y: not concordant
    n0 = w.sum(axis=1) * (w.sum(axis=1) - 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / np.sqrt((n0 - (tx * (tx - 1)).sum(1) / 2) * (n0 - (ty * (ty - 1)).sum(1) / 2))


def kendall(x, y, n_perm: int = 10_000, n_boot: int = 2_000, level: float = 0.95, seed: int = 0) -> Correlation:
    """Kendall's tau-b of ``x``, ``y`` (shape ``(n,)``, n >= 3), ties corrected, in O(n log n).

    tau_b = (concordant - discordant) / sqrt((n0 - n1)(n0 - n2)), n0 = n(n-1)/2, n1 and n2 the
    pairs tied in x and in y. p (two-sided): exact over all n! pairings for n <= 8, ``n_perm``
    random pairings (O(n^2) each) up to n = KENDALL_PERM_MAX_N, above it the normal approximation
    with the exact permutation variance of S with ties (Kendall, *Rank Correlation Methods*, 1970).
    Interval: BCa over ``n_boot`` resampled pairs. n = 15,625 takes about 6 s of CPU time, n = 100
    0.02 s.
    """
    x, y = _pair(x, y, ("x", "y"), min_n=3, ranked=True)
    n, plan = x.size, _kendall_plan(x, y)
    t, u = (np.bincount(_ties(v)[2]).astype(float) for v in (x, y))  # sizes of the runs of ties
    n0 = n * (n - 1) / 2
    denominator = math.sqrt((n0 - (t * (t - 1)).sum() / 2) * (n0 - (u * (u - 1)).sum() / 2))
    if n <= KENDALL_PERM_MAX_N:
        sx, sy = (np.sign(v[:, None] - v[None, :]) for v in (x, y))  # (n, n)
        normal_sd, twice_s = None, lambda pairings: np.einsum(  # 2 S for y re-paired; (K, n) -> (K,)
            "ij,kij->k", sx, sy[pairings[:, :, None], pairings[:, None, :]])
    else:
        def runs(a: float, b: float) -> tuple[float, float]:  # sums over runs of ties of t(t - 1)(a t + b)
            return (t * (t - 1) * (a * t + b)).sum(), (u * (u - 1) * (a * u + b)).sum()
        (vt, vu), (t2, u2), (t3, u3) = runs(2, 5), runs(0, 1), runs(1, -2)
        var_s = ((n * (n - 1) * (2 * n + 5) - vt - vu) / 18 + t3 * u3 / (9 * n * (n - 1) * (n - 2))
                 + t2 * u2 / (2 * n * (n - 1)))
        observed = 2 * float(_kendall_tau_b(np.ones((1, n), dtype=np.int64), plan)[0]) * denominator
        normal_sd, twice_s = 2 * math.sqrt(var_s), lambda pairings: np.array([observed])
    return _correlation("tau", lambda w: _kendall_tau_b(w, plan), twice_s,
                        normal_sd, n, n_perm, n_boot, level, seed)
