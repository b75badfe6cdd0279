"""Lesson 01's checkers: a correct answer passes, each typical mistake gets its own message, an
unfinished stub is reported as not implemented, and nothing raises."""

import pytest

from nascourse import exercises
from nascourse.genotypes import DARTS_V2, cell_width_depth
from nascourse.nb201 import NB201_EDGES, nb201_parse


def verdict(capsys, checker, answer):
    ok = checker(answer)
    return ok, capsys.readouterr().out


# ---------------------------------------------------------------- exercise 1: width and depth

def depths(cell, concat, combine=max, nodes=None):
    d = {0: 0, 1: 0}
    for i in range(len(cell) // 2):
        d[i + 2] = 1 + combine(d[cell[2 * i][1]], d[cell[2 * i + 1][1]])
    nodes = concat if nodes is None else nodes
    return d, 1 + max(d[m] for m in nodes)


def width(cell):
    return sum(0.5 for _, j in cell if j < 2)


def stub(cell, concat):
    raise NotImplementedError  # your code here


@pytest.mark.parametrize("answer, message", [
    (lambda cell, concat: (width(cell), depths(cell, concat)[1] - 1), "one short"),
    (lambda cell, concat: (width(cell), depths(cell, concat)[1] + 1), "not nodes"),
    (lambda cell, concat: (width(cell), depths(cell, concat, nodes=range(2, 2 + len(cell) // 2))[1]),
     "only reads the nodes in concat"),
    (lambda cell, concat: (width(cell), depths(cell, concat, combine=min)[1]), "LONGEST path"),
    (lambda cell, concat: (float(sum(cell[2 * i][1] < 2 or cell[2 * i + 1][1] < 2 for i in range(len(cell) // 2))),
                           depths(cell, concat)[1]), "contributes c/2, not c"),
    (lambda cell, concat: (float(sum(cell[2 * i][1] < 2 and cell[2 * i + 1][1] < 2 for i in range(len(cell) // 2))),
                           depths(cell, concat)[1]), "still contributes c/2"),
    (lambda cell, concat: (2 * width(cell), depths(cell, concat)[1]), "halve the count"),
    (lambda cell, concat: (sum(0.5 for k, (_, j) in enumerate(cell) if j < 2 and k // 2 + 2 in concat),
                           depths(cell, concat)[1]), "whether or not it is in concat"),
    (lambda cell, concat: (depths(cell, concat)[1], width(cell)), "(width, depth), in that order"),
])
def test_width_depth_mistakes_are_named(capsys, answer, message):
    ok, out = verdict(capsys, exercises.check_width_depth, answer)
    assert not ok and "not yet" in out and message in out, out


def test_width_depth_correct_answers_pass(capsys):
    ok, out = verdict(capsys, exercises.check_width_depth, lambda cell, concat: (width(cell), depths(cell, concat)[1]))
    assert ok and "correct" in out
    ok, _ = verdict(capsys, exercises.check_width_depth, cell_width_depth)
    assert ok


def test_width_depth_unfinished_or_broken_answers(capsys):
    ok, out = verdict(capsys, exercises.check_width_depth, stub)
    assert not ok and "not implemented yet" in out and out.count("  - ") == 1
    ok, out = verdict(capsys, exercises.check_width_depth, lambda cell, concat: None)
    assert not ok and "returned None" in out
    ok, out = verdict(capsys, exercises.check_width_depth, lambda cell, concat: 3.5)
    assert not ok and "pair of numbers" in out
    ok, out = verdict(capsys, exercises.check_width_depth, lambda cell, concat: cell[99])
    assert not ok and "IndexError" in out
    ok, out = verdict(capsys, exercises.check_width_depth, lambda cell, concat: (1.0, 7))  # no pattern
    assert not ok and "expected (5, 2)" in out and out.count("none of the usual mistakes") == 2


def test_width_depth_two_mistakes_at_once_are_both_named(capsys):
    ok, out = verdict(capsys, exercises.check_width_depth,
                      lambda cell, concat: (2 * width(cell), depths(cell, concat)[1] - 1))
    assert not ok and "halve the count" in out and "one short" in out and "33 of 33" in out


# ---------------------------------------------------------------- exercise 2: narrowest and deepest

NARROW_DEEP = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 2),
               ("sep_conv_3x3", 2), ("skip_connect", 3), ("skip_connect", 3), ("dil_conv_3x3", 4)]


def test_narrowest_deepest_accepts_a_right_cell_or_genotype(capsys):
    ok, out = verdict(capsys, exercises.check_narrowest_deepest, NARROW_DEEP)
    assert ok and "width 1.5c and depth 5" in out and "4 of the 180 wirings" in out
    ok, _ = verdict(capsys, exercises.check_narrowest_deepest, DARTS_V2._replace(normal=NARROW_DEEP))
    assert ok


@pytest.mark.parametrize("cell, messages", [
    (None, ["not answered yet"]),
    (DARTS_V2.normal, ["width 3.5c, but the space allows 1.5c", "node 4 reads an input node",
                       "node 5 reads an input node", "depth 3, but the space allows 5"]),
    (NARROW_DEEP[:6], ["6 entries", "8 (op, input) pairs"]),
    (NARROW_DEEP[:7] + [("none", 4)], ["unknown operation 'none'", "never kept in a genotype"]),
    (NARROW_DEEP[:7] + [("skip_connect", 5)], ["node 5 can only read inputs 0..4"]),
    (NARROW_DEEP[:6] + [("skip_connect", 4), ("skip_connect", 4)], ["node 5 reads node 4 twice"]),
    ([("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] + NARROW_DEEP[4:],
     ["node 3 reads two input nodes", "width 2c"]),
    (NARROW_DEEP[:4] + [("skip_connect", 2), ("skip_connect", 1)] + NARROW_DEEP[6:],
     ["node 4 reads an input node", "depth 4, but the space allows 5"]),
    (NARROW_DEEP[:6] + [("skip_connect", 2), ("skip_connect", 3)], ["depth 4, but the space allows 5"]),
    (["sep_conv_3x3"] * 8, ["not a valid DARTS cell"]),
])
def test_narrowest_deepest_mistakes_are_named(capsys, cell, messages):
    ok, out = verdict(capsys, exercises.check_narrowest_deepest, cell)
    assert not ok and all(m in out for m in messages), out


# ---------------------------------------------------------------- exercise 3: NB201 strings

def good_parse(s):
    return [entry.split("~")[0] for node in s.split("+") for entry in node.strip("|").split("|")]


@pytest.mark.parametrize("answer, message", [
    (lambda s: [[e.split("~")[0] for e in node.strip("|").split("|")] for node in s.split("+")], "flatten it"),
    (lambda s: [e.split("~")[0] for node in s.split("+") for e in node.split("|")], "drop the empty strings"),
    (lambda s: [e for node in s.split("+") for e in node.strip("|").split("|")], "strip the '~j' suffix"),
    (lambda s: [good_parse(s)[e] for e in (0, 1, 3, 2, 4, 5)], "ordered by source node"),
    (lambda s: sorted(good_parse(s)), "wrong order"),
    (lambda s: "+".join(good_parse(s)), "return a list of 6 operation names"),
    (lambda s: None, "return a list of 6 operation names"),
])
def test_nb201_parse_mistakes_are_named(capsys, answer, message):
    ok, out = verdict(capsys, exercises.check_nb201_parse, answer)
    assert not ok and message in out, out


def test_nb201_parse_correct_and_unfinished(capsys):
    ok, out = verdict(capsys, exercises.check_nb201_parse, good_parse)
    assert ok and "correct" in out
    ok, _ = verdict(capsys, exercises.check_nb201_parse, lambda s: tuple(nb201_parse(s)))  # a tuple is fine
    assert ok

    def unfinished(s):
        raise NotImplementedError

    ok, out = verdict(capsys, exercises.check_nb201_parse, unfinished)
    assert not ok and "not implemented yet" in out


def test_the_source_order_differs_from_the_edge_order():
    # the test of "ordered by source node" above relies on this
    assert [NB201_EDGES[e] for e in (0, 1, 3, 2, 4, 5)] == [(1, 0), (2, 0), (3, 0), (2, 1), (3, 1), (3, 2)]
