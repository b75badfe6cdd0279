"""Lesson 07's checkers: a correct answer passes, each typical mistake gets its own message."""

import numpy as np
import pytest
import torch

from nascourse import exercises
from nascourse.ops import NB201_OPS


def _neighbours(cell):
    return [cell[:e] + [o] + cell[e + 1:] for e in range(6) for o in NB201_OPS if o != cell[e]]


def mean_right(cell, measure):
    return float(np.mean([measure(cell)] + [measure(c) for c in _neighbours(cell)]))


def mean_without_self(cell, measure):
    return float(np.mean([measure(c) for c in _neighbours(cell)]))


def mean_all_ops(cell, measure):
    return float(np.mean([measure(cell[:e] + [o] + cell[e + 1:]) for e in range(6) for o in NB201_OPS]))


def mean_worst(cell, measure):
    return min([measure(cell)] + [measure(c) for c in _neighbours(cell)])


def mean_in_place(cell, measure):
    values = [measure(cell)]
    for e in range(6):
        for o in NB201_OPS:
            if o != cell[e]:
                cell[e] = o  # never restored: later neighbours drift away from the cell
                values.append(measure(cell))
    return float(np.mean(values))


def mean_unfinished(cell, measure):
    raise NotImplementedError


def test_neighbourhood_mean_correct_passes(capsys):
    assert exercises.check_neighbourhood_mean(mean_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer, message", [
    (mean_without_self, "the 24 neighbours only"),
    (mean_all_ops, "counted 6 times"),
    (mean_worst, "the worst value"),
    (mean_in_place, "in place"),
    (mean_unfinished, "not implemented yet"),
])
def test_neighbourhood_mean_mistakes_are_named(answer, message, capsys):
    assert exercises.check_neighbourhood_mean(answer) is False
    assert message in capsys.readouterr().out


def neighbour_right(p, edge, op, beta):
    q = p.clone()
    q[edge] = (1 - beta) * p[edge] + beta * torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return q


def neighbour_swapped(p, edge, op, beta):
    q = p.clone()
    q[edge] = beta * p[edge] + (1 - beta) * torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return q


def neighbour_everywhere(p, edge, op, beta):
    return (1 - beta) * p + beta * torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)


def neighbour_replaced(p, edge, op, beta):
    q = p.clone()
    q[edge] = torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return q


def neighbour_in_place(p, edge, op, beta):
    p[edge] = (1 - beta) * p[edge] + beta * torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return p


def neighbour_unnormalised(p, edge, op, beta):
    q = p.clone()
    q[edge] = p[edge] + beta * torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return q


def test_relaxed_neighbour_correct_passes(capsys):
    assert exercises.check_relaxed_neighbour(neighbour_right) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("answer, message", [
    (neighbour_everywhere, "you moved every edge"),
    (neighbour_replaced, "replaced the row by the one-hot"),
    (neighbour_in_place, "in place"),
    (neighbour_unnormalised, "do not sum to 1"),
])
def test_relaxed_neighbour_mistakes_are_named(answer, message, capsys):
    assert exercises.check_relaxed_neighbour(answer) is False
    assert message in capsys.readouterr().out


def test_swapped_beta_is_named_on_the_second_case(capsys):
    # beta = 0.5 cannot tell the two apart; the checker goes on to beta = 0.25, where it can
    assert exercises.check_relaxed_neighbour(neighbour_swapped) is False
    assert "swapped beta and 1 - beta" in capsys.readouterr().out
