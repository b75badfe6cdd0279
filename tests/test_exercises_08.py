"""Lesson 08's checkers: a correct answer passes, each typical mistake gets its own message."""

import itertools
import math

import pytest

from nascourse import exercises, stats
from nascourse.exercises.lesson08_cost import _kendall_cases, _regret_answer, _regret_cases


def _counts(x, y):
    c = d = tx = ty = 0
    for i, j in itertools.combinations(range(len(x)), 2):
        s = (x[i] - x[j]) * (y[i] - y[j])
        c, d = c + (s > 0), d + (s < 0)
        tx, ty = tx + (x[i] == x[j]), ty + (y[i] == y[j])
    return c, d, tx, ty


def tau_b(x, y):
    c, d, tx, ty = _counts(x, y)
    n0 = len(x) * (len(x) - 1) / 2
    denom = math.sqrt((n0 - tx) * (n0 - ty))
    return (c - d) / denom if denom else float("nan")


def tau_a(x, y):
    c, d, _, _ = _counts(x, y)
    return (c - d) / (len(x) * (len(x) - 1) / 2)


def gamma(x, y):
    c, d, _, _ = _counts(x, y)
    return (c - d) / (c + d) if c + d else float("nan")


def test_the_checkers_answers_are_the_librarys():
    for _, x, y in _kendall_cases():
        want = tau_b(x, y)
        if not math.isnan(want):
            assert want == pytest.approx(stats.kendall(x, y, n_perm=100, n_boot=100).estimate)
    scipy = pytest.importorskip("scipy.stats")
    for _, x, y in _kendall_cases()[:-1]:
        assert tau_b(x, y) == pytest.approx(scipy.kendalltau(x, y).statistic)


def test_kendall_correct_passes(capsys):
    assert exercises.check_kendall_tau(tau_b) is True
    assert "correct" in capsys.readouterr().out


def _stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("fn, words", [
    (tau_a, "that is tau-a"),
    (gamma, "divided by C + D"),
    (lambda x, y: -tau_b(x, y), "wrong sign"),
    (lambda x, y: 0.0 if len(set(x)) == 1 else tau_b(x, y), "tau is undefined"),
    (_stub, "not implemented yet"),
    (lambda x, y: 0.5, "expected"),
])
def test_kendall_mistakes_are_named(fn, words, capsys):
    assert exercises.check_kendall_tau(fn) is False
    assert words in capsys.readouterr().out


def regret_right(scores, truth, k):
    top = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    return max(truth) - max(truth[i] for i in top)


def test_regret_answers_match_the_library():
    import numpy as np

    from nascourse import ranking
    cells = ranking.stratified_sample(1)[:4]
    for _, scores, truth, k in _regret_cases():
        n = len(scores)
        got = ranking.regret(np.array(scores, float), cells[:n], truth=np.array(truth, float), k=k).points
        assert got == pytest.approx(_regret_answer(scores, truth, k))


def test_regret_correct_passes(capsys):
    assert exercises.check_regret(regret_right) is True
    assert "correct" in capsys.readouterr().out


def _pick(scores, truth, k):
    return max(truth[i] for i in sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k])


@pytest.mark.parametrize("fn, words", [
    (lambda s, t, k: _pick(s, t, k), "that is the pick's accuracy"),
    (lambda s, t, k: -regret_right(s, t, k), "wrong sign"),
    (lambda s, t, k: regret_right([-v for v in s], t, k), "LOWEST scores"),
    (lambda s, t, k: regret_right(s, t, 1), "you ignored k"),
    (_stub, "not implemented yet"),
    (lambda s, t, k: 1.0, "expected"),
])
def test_regret_mistakes_are_named(fn, words, capsys):
    assert exercises.check_regret(fn) is False
    assert words in capsys.readouterr().out
