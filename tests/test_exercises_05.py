"""Lesson 05's checkers: a correct answer passes, each typical mistake gets its own message."""

import pytest
import torch

from nascourse import exercises


def filter_right(direction, weights):
    out = []
    for d, w in zip(direction, weights):
        if w.dim() <= 1:
            out.append(torch.zeros_like(d))
            continue
        scale = w.reshape(len(w), -1).norm(dim=1) / (d.reshape(len(d), -1).norm(dim=1) + 1e-10)
        out.append(d * scale.reshape(-1, *([1] * (d.dim() - 1))))
    return out


def filter_layer(direction, weights):
    return [torch.zeros_like(d) if w.dim() <= 1 else d * w.norm() / d.norm() for d, w in zip(direction, weights)]


def filter_unit(direction, weights):
    return [torch.zeros_like(d) if w.dim() <= 1 else d / d.reshape(len(d), -1).norm(dim=1).reshape(-1, *([1] * (d.dim() - 1)))
            for d, w in zip(direction, weights)]


def filter_keeps_1d(direction, weights):
    out = filter_right(direction, weights)
    return [d if w.dim() <= 1 else o for o, d, w in zip(out, direction, weights)]


def filter_in_place(direction, weights):
    for d, w in zip(direction, weights):
        d.copy_(filter_right([d], [w])[0])
    return direction


def test_filter_normalise_correct_passes(capsys):
    assert exercises.check_filter_normalise(filter_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (filter_layer, "layer normalisation"),
    (filter_unit, "your filters have norm 1"),
    (filter_keeps_1d, "gets a zero direction"),
    (filter_in_place, "in place"),
    (lambda d, w: d[:2], "one tensor per parameter"),
    (lambda d, w: (_ for _ in ()).throw(NotImplementedError()), "not implemented yet"),
])
def test_filter_normalise_mistakes_are_named(fn, words, capsys):
    assert exercises.check_filter_normalise(fn) is False
    assert words in capsys.readouterr().out


def gv_right(grads):
    return float(((grads - grads.mean(0)) ** 2).sum(1).mean())


def test_gradient_variance_correct_passes(capsys):
    assert exercises.check_gradient_variance(gv_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (lambda g: gv_right(g) * len(g) / (len(g) - 1), "B - 1"),
    (lambda g: gv_right(g) / g.shape[1], "averaged over the parameters"),
    (lambda g: float((g ** 2).sum(1).mean()), "forgot to subtract the mean"),
    (lambda g: gv_right(g) ** 0.5, "square root"),
    (lambda g: 1.0, "expected"),
])
def test_gradient_variance_mistakes_are_named(fn, words, capsys):
    assert exercises.check_gradient_variance(fn) is False
    assert words in capsys.readouterr().out
