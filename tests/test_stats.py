"""stats.py against hand-worked cases, scipy.stats as the oracle (skipped without SciPy), brute
force on repeated samples for the resampling engine, and the coverage of its intervals."""

import math

import numpy as np
import pytest

from nascourse import stats as S


# --- hand-worked cases ------------------------------------------------------------------------
def test_sd_divides_by_n_minus_one():
    assert S.sd([1, 2, 3, 4]) == pytest.approx(math.sqrt(5 / 3))  # squares 2.25 + .25 + .25 + 2.25 = 5, / 3
    with pytest.raises(ValueError, match="n = 1"):
        S.sd([1.0])


def test_formats():
    assert str(S.Interval(1.6, -0.12, 3.8, 5)) == "1.60 [-0.12, 3.80] (n = 5)"
    assert S.Interval(1.6, -0.12, 3.8, 5).format(1) == "1.6 [-0.1, 3.8] (n = 5)"
    test = S.Test(1.55, 0.1875, 5, "exact sign-flip", S.Interval(1.55, 0.2, 2.9, 5))
    assert str(test) == "+1.55 [0.20, 2.90] (n = 5), p = 0.19 (exact sign-flip, two-sided)"
    rho = S.Correlation(0.33, 0.1, 0.52, 0.004, 100, "permutation")
    assert str(rho) == "rho = 0.33 [0.10, 0.52], p = 0.004 (n = 100, permutation)"
    assert S.describe([1, 2, 3, 4]).startswith("2.50 [") and S.describe([1, 2, 3, 4]).endswith("(n = 4)")


def test_exact_sign_flip_by_hand():
    # d = [1, 2, 3]: the 8 sums +-1 +-2 +-3 are 6, 4, 2, 0, 0, -2, -4, -6; |sum| >= 6 twice
    t = S.paired_test([1, 2, 3], [0, 0, 0])
    assert (t.statistic, t.p, t.n, t.method) == (2.0, 2 / 8, 3, "exact sign-flip")
    assert S.paired_test([1, 2, 3], [0, 0, 0], "greater").p == 1 / 8
    assert S.paired_test([1, 2, 3], [0, 0, 0], "less").p == 1.0
    # a zero difference flips to itself: sums +-1 +-2, each twice: 3, 1, -1, -3; |sum| >= 3 in 4 of 8
    assert S.paired_test([5, 6, 7], [5, 5, 5]).p == 0.5
    assert S.paired_test([1, 1], [1, 1]).p == 1.0  # no difference at all


def test_exact_permutation_by_hand():
    # pooled {1, 2, 3, 4}, a = {3, 4}: the 6 splits give mean(a) - mean(b) = 2, -2, -1, 1, 0, 0
    t = S.permutation_test([3, 4], [1, 2])
    assert (t.statistic, t.p, t.n, t.method) == (2.0, 2 / 6, 4, "exact permutation")
    assert S.permutation_test([3, 4], [1, 2], "greater").p == pytest.approx(1 / 6)


def test_kendall_tau_b_with_ties_by_hand():
    # x = 1 2 2 3 4, y = 1 3 2 2 5. Of the 10 pairs: (2,3) tied in x, (3,4) tied in y, (2,4) discordant
    # (x up, y down), the other 7 concordant: S = 7 - 1 = 6, n0 = 10, n1 = n2 = 1,
    # tau_b = 6 / sqrt((10 - 1)(10 - 1)) = 2/3
    assert S.kendall([1, 2, 2, 3, 4], [1, 3, 2, 2, 5]).estimate == pytest.approx(2 / 3)


def test_spearman_with_ties_by_hand():
    # ranks x: 1 2.5 2.5 4, y: 1 3 2 4; centred: (-1.5 0 0 1.5), (-1.5 .5 -.5 1.5):
    # rho = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10)
    assert S.rankdata([3, 1, 3, 2]).tolist() == [3.5, 1, 3.5, 2]
    assert S.spearman([1, 2, 2, 3], [1, 3, 2, 4]).estimate == pytest.approx(3 / math.sqrt(10))


def test_degenerate_and_deterministic():
    assert S.mean_ci([2.5, 2.5, 2.5]) == S.Interval(2.5, 2.5, 2.5, 3)
    x = np.random.default_rng(0).normal(size=10)
    assert S.mean_ci(x, method="bca", seed=3) == S.mean_ci(x, method="bca", seed=3) != S.mean_ci(x, method="bca", seed=4)
    assert S.mean_ci(x).method == "t"  # the default: bootstrap intervals are too narrow over a few seeds
    assert S.spearman(x, x ** 3).estimate == 1 and S.kendall(x, -x).estimate == -1
    for method in S.CI_METHODS:
        ci = S.mean_ci(x, method=method)
        assert ci.low < x.mean() < ci.high and ci.method == method


@pytest.mark.parametrize("call, match", [
    (lambda: S.paired_test([1, 2, 3], [1, 2]), "a has 3 values and b has 2"),
    (lambda: S.spearman([1, 2, 3], [1, 2]), "x has 3 values and y has 2"),
    (lambda: S.mean_ci([1.0]), "n = 1"),
    (lambda: S.mean_ci([1, float("nan"), 3]), r"x\[1\] is nan"),
    (lambda: S.kendall([1, 2, 3], [1, np.inf, 2]), r"y\[1\] is inf"),
    (lambda: S.mean_ci([1, 2, 3], level=95), "level = 95 is outside"),
    (lambda: S.mean_ci([1, 2, 3], level=0), "level = 0 is outside"),
    (lambda: S.mean_ci([1, 2, 3], method="bootstrap"), "method = 'bootstrap' is unknown"),
    (lambda: S.bootstrap_ci([1, 2, 3], np.mean, method="t"), "method = 't' is unknown"),
    (lambda: S.paired_test([1, 2], [0, 0], alternative="bigger"), "alternative = 'bigger'"),
    (lambda: S.spearman([1, 1, 1], [1, 2, 3]), "x is constant"),
    (lambda: S.mean_ci([[1, 2], [3, 4]]), r"shape \(2, 2\)"),
])
def test_bad_input_says_what_and_how(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _tied_pairs(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, max(3, n // 4), n).astype(float)  # many ties
    return x, x + rng.integers(0, 4, n) + (rng.random(n) < 0.5) * rng.normal(size=n)


@pytest.mark.parametrize("n", [3, 7, 33, 100, 257])
def test_weighted_engine_against_brute_force(n):
    """A resample is copy counts w; its rho and tau_b equal those of the sample with the copies written out."""
    scipy_stats = pytest.importorskip("scipy.stats")
    x, y = _tied_pairs(n, n)
    w = np.random.default_rng(n).multinomial(n, np.full(n, 1 / n), size=4)
    w[0] = 1
    plan, ties = S._kendall_plan(x, y), S._ties(x)
    for wi, tau, ranks in zip(w, S._kendall_tau_b(w, plan), S._weighted_ranks(w, ties)):
        xr, yr = np.repeat(x, wi), np.repeat(y, wi)
        if np.ptp(xr) and np.ptp(yr):
            assert tau == pytest.approx(scipy_stats.kendalltau(xr, yr).statistic, abs=1e-12)
        assert np.repeat(ranks, wi) == pytest.approx(scipy_stats.rankdata(xr))


# --- scipy.stats as the oracle ----------------------------------------------------------------
@pytest.mark.parametrize("n", [5, 8, 40, 300])
def test_correlations_against_scipy(n):
    scipy_stats = pytest.importorskip("scipy.stats")
    x, y = _tied_pairs(n, n)
    assert S.spearman(x, y, n_boot=200).estimate == pytest.approx(scipy_stats.spearmanr(x, y).statistic)
    tau = S.kendall(x, y, n_boot=200)
    assert tau.estimate == pytest.approx(scipy_stats.kendalltau(x, y).statistic)  # tau-b
    if n > S.KENDALL_PERM_MAX_N:  # the same tie-corrected variance of S as scipy's asymptotic p
        for y_ in (y, y + 3 * np.random.default_rng(0).normal(size=n)):  # p about 1e-80 and a weaker one
            p = scipy_stats.kendalltau(x, y_, method="asymptotic").pvalue
            assert S.kendall(x, y_, n_boot=10).p == pytest.approx(p, rel=1e-6, abs=0)


def test_monte_carlo_and_normal_rank_p_values(monkeypatch):
    """Random pairings against scipy's exact Kendall p (no ties); the normal approximation against
    random pairings, both within five Monte Carlo standard errors."""
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=12), rng.normal(size=12)
    tau = S.kendall(x, x + 2 * y, n_boot=10)
    exact = scipy_stats.kendalltau(x, x + 2 * y, method="exact").pvalue
    assert tau.method == "permutation" and abs(tau.p - exact) < 5 * math.sqrt(exact * (1 - exact) / 10_000)
    x = _tied_pairs(60, 60)[0]
    y = rng.normal(size=60)  # independent of x
    by_pairings = S.spearman(x, y, n_boot=10)
    monkeypatch.setattr(S, "SPEARMAN_PERM_MAX_N", 10)
    normal = S.spearman(x, y, n_boot=10)
    assert (by_pairings.method, normal.method) == ("permutation", "normal approximation")
    p = by_pairings.p
    assert 0.01 < p < 0.99 and abs(normal.p - p) < 5 * math.sqrt(p * (1 - p) / 10_000) + 0.01


@pytest.mark.parametrize("which", ["spearman", "kendall"])
def test_correlation_interval_against_scipy_bootstrap(which):
    """BCa over resampled pairs, ours against scipy.stats.bootstrap(paired=True): 2,000 resamples each."""
    scipy_stats = pytest.importorskip("scipy.stats")
    x, y = _tied_pairs(30, 30)
    y = y + 3 * np.random.default_rng(8).normal(size=30)
    ours = getattr(S, which)(x, y, n_boot=2000)
    statistic = {"spearman": scipy_stats.spearmanr, "kendall": scipy_stats.kendalltau}[which]
    theirs = scipy_stats.bootstrap((x, y), lambda u, v: statistic(u, v).statistic, paired=True, vectorized=False,
                                   method="BCa", n_resamples=2000, random_state=0).confidence_interval
    width = theirs.high - theirs.low
    assert abs(ours.low - theirs.low) < 0.1 * width and abs(ours.high - theirs.high) < 0.1 * width


def test_exact_rank_p_values_against_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for n in (4, 6, 8):
        x, y = rng.permutation(n).astype(float), rng.normal(size=n)  # no ties: symmetric null
        tau = S.kendall(x, y, n_boot=100)
        assert tau.method == "exact permutation"
        assert tau.p == pytest.approx(scipy_stats.kendalltau(x, y, method="exact").pvalue)
        ry = scipy_stats.rankdata(y) - (n + 1) / 2  # rho for x, a permutation of 0..n-1, paired with y:
        rho = scipy_stats.permutation_test(  # Pearson's r of centred ranks, vectorised over pairings
            (x,), lambda v, axis: (v - (n - 1) / 2) @ ry / (n * (n * n - 1) / 12), vectorized=True,
            permutation_type="pairings", n_resamples=np.inf)
        assert S.spearman(x, y, n_boot=100).p == pytest.approx(rho.pvalue)


def test_tests_against_scipy_permutation_test():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.5, 1, 9), rng.normal(0, 1, 9)
    for alternative in ("two-sided", "greater", "less"):
        ours = S.paired_test(a, b, alternative)
        theirs = scipy_stats.permutation_test((a, b), lambda u, v, axis: (u - v).mean(axis), vectorized=True,
                                              permutation_type="samples", alternative=alternative,
                                              n_resamples=np.inf)
        assert ours.p == pytest.approx(theirs.pvalue)
        # independent samples, equal sizes (the null is symmetric, so "two-sided" means the same)
        ours = S.permutation_test(a[:6], b[:6], alternative)
        theirs = scipy_stats.permutation_test((a[:6], b[:6]), lambda u, v, axis: u.mean(axis) - v.mean(axis),
                                              vectorized=True, alternative=alternative, n_resamples=np.inf)
        assert ours.p == pytest.approx(theirs.pvalue)
    one_sided = scipy_stats.permutation_test((a[:4], b), lambda u, v, axis: u.mean(axis) - v.mean(axis),
                                             vectorized=True, alternative="greater", n_resamples=np.inf)
    assert S.permutation_test(a[:4], b, "greater").p == pytest.approx(one_sided.pvalue)


def test_monte_carlo_p_agrees_with_exact(monkeypatch):
    rng = np.random.default_rng(3)
    a, b = rng.normal(0.4, 1, 16), rng.normal(0, 1, 16)
    exact = S.paired_test(a, b).p
    monkeypatch.setattr(S, "EXACT_SIGN_FLIP_MAX_N", 10)
    mc = S.paired_test(a, b, n_perm=20_000)
    assert mc.method.startswith("Monte Carlo")
    assert abs(mc.p - exact) < 5 * math.sqrt(exact * (1 - exact) / 20_000) + 1e-4
    exact = S.permutation_test(a[:7], b[:7]).p  # C(14, 7) = 3432 splits
    monkeypatch.setattr(S, "EXACT_SPLITS_MAX", 100)
    mc = S.permutation_test(a[:7], b[:7], n_perm=20_000)
    assert mc.method.startswith("Monte Carlo")
    assert abs(mc.p - exact) < 5 * math.sqrt(exact * (1 - exact) / 20_000) + 1e-4


def test_t_interval_against_scipy():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 4, 9, 30, 200):
        assert S.t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-10)
        assert S.t_quantile(0.05, df) == pytest.approx(scipy_stats.t.ppf(0.05, df), rel=1e-10)
    x = np.random.default_rng(4).normal(size=5)
    ours = S.mean_ci(x, level=0.9, method="t")
    theirs = scipy_stats.ttest_1samp(x, 0).confidence_interval(0.9)
    assert (ours.low, ours.high) == pytest.approx((theirs.low, theirs.high))


def test_bca_against_scipy_bootstrap():
    """Both are Monte Carlo (10,000 resamples each): endpoints agree to a few percent of the width."""
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(5)
    x = rng.exponential(size=15)  # skewed, so BCa differs from the percentile interval
    a, b = rng.normal(size=20), rng.normal(size=20)
    a_b = a + b
    cases = [(S.mean_ci(x, method="bca"), (x,), np.mean, False, "BCa"),
             (S.mean_ci(x, method="percentile"), (x,), np.mean, False, "percentile"),
             (S.bootstrap_ci(x, np.std), (x,), np.std, False, "BCa"),  # smooth (a median would jump)
             (S.bootstrap_ci(np.arange(20), lambda i: np.corrcoef(a[i], a_b[i])[0, 1]), (a, a_b),
              lambda u, v: np.corrcoef(u, v)[0, 1], True, "BCa")]
    for ours, data, statistic, paired, method in cases:
        theirs = scipy_stats.bootstrap(data, statistic, paired=paired, method=method, vectorized=False,
                                       n_resamples=10_000, random_state=0).confidence_interval
        width = theirs.high - theirs.low
        assert abs(ours.low - theirs.low) < 0.06 * width and abs(ours.high - theirs.high) < 0.06 * width


# --- coverage ---------------------------------------------------------------------------------
def _binomial_band(n, p_low, p_high, tail=1e-4):
    # counts outside [k_low, k_high] have probability < tail when the true coverage is in [p_low, p_high]
    def cdf(k, p):
        return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1))
    k_low = next(k for k in range(n + 1) if cdf(k, p_low) >= tail)
    k_high = next(k for k in range(n + 1) if cdf(k, p_high) >= 1 - tail)
    return k_low, k_high


def test_coverage_of_the_mean_for_normal_samples():
    """400 samples of n = 20: the t interval covers exactly 95% of the time; the bootstrap's a
    little less (about 93% at n = 20). Accepted: the counts that true coverage in [0.92, 0.96]
    gives with probability > 1 - 1e-4 on each side (about 86-99%); seeded, so it cannot flake."""
    rng = np.random.default_rng(6)
    samples = rng.normal(1.0, 2.0, size=(400, 20))
    k_low, k_high = _binomial_band(400, 0.92, 0.96)
    for method in ("bca", "percentile", "t", "studentized"):
        covered = sum(ci.low <= 1.0 <= ci.high for ci in (S.mean_ci(x, method=method, n_boot=1000, seed=i)
                                                          for i, x in enumerate(samples)))
        assert k_low <= covered <= k_high, (method, covered, k_low, k_high)
