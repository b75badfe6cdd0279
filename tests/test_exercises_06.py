"""Lesson 06's checkers: a correct answer passes, each typical mistake gets its own message."""

import pytest
import torch

from nascourse import exercises


def strength_right(accuracy, weights, edge):
    out = []
    for o in range(weights.shape[1]):
        w = weights.clone()
        w[edge, o] = 0.0
        out.append(accuracy(w))
    return out


def strength_renormalised(accuracy, weights, edge):
    out = []
    for o in range(weights.shape[1]):
        w = weights.clone()
        w[edge, o] = 0.0
        w[edge] = w[edge] / w[edge].sum() if w[edge].sum() > 0 else w[edge]
        out.append(accuracy(w))
    return out


def strength_kept_only(accuracy, weights, edge):
    out = []
    for o in range(weights.shape[1]):
        w = weights.clone()
        w[edge] = torch.nn.functional.one_hot(torch.tensor(o), weights.shape[1]).to(w)
        out.append(accuracy(w))
    return out


def strength_whole_edge(accuracy, weights, edge):
    w = weights.clone()
    w[edge] = 0.0
    return [accuracy(w)] * weights.shape[1]


def strength_drop(accuracy, weights, edge):
    return [accuracy(weights) - a for a in strength_right(accuracy, weights, edge)]


def strength_in_place(accuracy, weights, edge):
    out = []
    for o in range(weights.shape[1]):
        saved = float(weights[edge, o])
        weights[edge, o] = 0.0
        out.append(accuracy(weights))
        weights[edge, o] = saved + 1e-3  # forgets to restore exactly
    return out


def test_operation_strength_correct_passes(capsys):
    assert exercises.check_operation_strength(strength_right) is True
    assert "correct" in capsys.readouterr().out


def test_operation_strength_accepts_discretisation_accuracies_and_names_them(capsys):
    """DARTS-PT defines operation strength as the accuracy of the supernet discretised to the operation:
    returning those (one-hot edge, no fine-tuning) is a correct answer to 'how strong is each operation'."""
    assert exercises.check_operation_strength(strength_kept_only) is True
    out = capsys.readouterr().out
    assert "correct" in out and "discretisation accuracies" in out and "lower is stronger" in out


def test_operation_strength_without_a_note_for_the_removal_answer(capsys):
    assert exercises.check_operation_strength(strength_right) is True
    assert "note" not in capsys.readouterr().out


def test_discretisation_is_not_accepted_for_a_copy_of_the_wrong_edge(capsys):
    def discretise_edge_zero(accuracy, weights, edge):
        return strength_kept_only(accuracy, weights, 0 if edge != 0 else 1)
    assert exercises.check_operation_strength(discretise_edge_zero) is False
    assert "expected" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (strength_renormalised, "renormalised"),
    (strength_whole_edge, "whole edge removed"),
    (strength_drop, "you returned the drop"),
    (strength_in_place, "in place"),
    (lambda a, w, e: [0.5, 0.5], "one accuracy per operation"),
    (lambda a, w, e: (_ for _ in ()).throw(NotImplementedError()), "not implemented yet"),
])
def test_operation_strength_mistakes_are_named(fn, words, capsys):
    assert exercises.check_operation_strength(fn) is False
    assert words in capsys.readouterr().out


def skip_right(x, o, m):
    d, r = x - o, o - m
    return min(1.0, max(0.0, float(-(r * d).sum() / (d * d).sum())))


def skip_unclipped(x, o, m):
    d, r = x - o, o - m
    return float(-(r * d).sum() / (d * d).sum())


def skip_own_variance(x, o, m):
    vx, vo = float(((x - m) ** 2).mean()), float(((o - m) ** 2).mean())
    return vx / (vx + vo)


def test_optimal_skip_weight_correct_passes(capsys):
    assert exercises.check_optimal_skip_weight(skip_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (skip_unclipped, "clip to [0, 1]"),
    (skip_own_variance, "the conv's weight"),
    (lambda x, o, m: 0.5, "expected"),
    (lambda x, o, m: (_ for _ in ()).throw(NotImplementedError()), "not implemented yet"),
])
def test_optimal_skip_weight_mistakes_are_named(fn, words, capsys):
    assert exercises.check_optimal_skip_weight(fn) is False
    assert words in capsys.readouterr().out


def test_the_variance_ratio_is_the_optimum_for_independent_errors():
    """Spec 5.3's proposition: with independent errors, p_skip = var(o - m*) / (var(x - m*) + var(o - m*))."""
    from nascourse.exercises.lesson06_selection import _best_skip, _estimates
    x, o, m = _estimates("independent")
    vx, vo = float(((x - m) ** 2).mean()), float(((o - m) ** 2).mean())
    assert abs(_best_skip(x, o, m) - vo / (vx + vo)) < 0.01  # 0.8 up to the sample's small correlation
