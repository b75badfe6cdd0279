"""Lesson 04's checkers: a correct answer passes, each typical mistake gets its own message."""

import numpy as np
import pytest

from nascourse import bench_analysis as A
from nascourse import exercises


def spearman_right(x, y):
    return A.spearman(np.array(x), np.array(y))


def spearman_ordinal(x, y):  # ties ranked one after another
    rank = lambda a: np.argsort(np.argsort(np.asarray(a, float), kind="stable"), kind="stable")  # noqa: E731
    return float(np.corrcoef(rank(x), rank(y))[0, 1])


def spearman_pearson(x, y):
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant x gives nan, as a student's would
        return float(np.corrcoef(np.asarray(x, float), np.asarray(y, float))[0, 1])


def spearman_stub(x, y):
    raise NotImplementedError


def test_spearman_correct_passes(capsys):
    assert exercises.check_spearman(spearman_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (spearman_ordinal, "average of their ranks"),
    (spearman_pearson, "Pearson's correlation of the values"),
    (lambda x, y: -spearman_right(x, y), "wrong sign"),
    (spearman_stub, "not implemented yet"),
    (lambda x, y: 0.5, "expected"),
])
def test_spearman_mistakes_are_named(fn, words, capsys):
    assert exercises.check_spearman(fn) is False
    assert words in capsys.readouterr().out


def group_right(convs, metric):
    s = A.shapes()
    keep = s["connected"] & (s["convs"] == convs)
    return A.spearman(s["depth"][keep], A.metric_values(metric)[keep])


def group_pooled(convs, metric):
    s = A.shapes()
    return A.spearman(s["depth"][s["connected"]], A.metric_values(metric)[s["connected"]])


def group_unconnected(convs, metric):
    s = A.shapes()
    keep = s["convs"] == convs
    return A.spearman(s["depth"][keep], A.metric_values(metric)[keep])


def group_width(convs, metric):
    s = A.shapes()
    keep = s["connected"] & (s["convs"] == convs)
    return A.spearman(s["width"][keep], A.metric_values(metric)[keep])


def test_group_depth_correct_passes(capsys):
    assert exercises.check_group_depth_rho(group_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (group_pooled, "you pooled all connected cells"),
    (group_unconnected, "keep only connected cells"),
    (group_width, "correlation of WIDTH"),
    (lambda c, m: float("nan"), "got nan"),
])
def test_group_depth_mistakes_are_named(fn, words, capsys):
    assert exercises.check_group_depth_rho(fn) is False
    assert words in capsys.readouterr().out
