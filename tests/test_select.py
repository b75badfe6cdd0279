"""select.py against constructions whose answer is known: zero weights that cannot matter, an edge
that carries the only signal path, and labels that make every perturbation a loss."""

import pytest
import torch

from nascourse import select as S
from nascourse.ops import DARTS_OPS, NB201_OPS
from nascourse.search import evaluate
from nascourse.supernet import DartsSupernet, NB201Supernet


def _batches(n=32, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g)
    return [(x[:16], None), (x[16:], None)]


def _labelled_by(supernet, weights, batches):
    """Label the images with the supernet's own predictions under ``weights``: accuracy 1 there, so any
    change of the prediction is a loss of accuracy."""
    with torch.no_grad():
        out = []
        for x, _ in batches:
            supernet.train()
            out.append((x, supernet(x, weights).argmax(1)))
    return out


@pytest.fixture
def nb201():
    torch.manual_seed(0)
    return NB201Supernet(C=4, N=1)


def test_projected_weights_follow_the_decisions(nb201):
    decisions = S.Decisions(nb201)
    decisions.ops[0][2] = NB201_OPS.index("nor_conv_3x3")
    decisions.removed[0].add(4)
    w = S.projected_weights(nb201, decisions)[0]
    p = nb201.arch_weights()[0].detach()
    assert torch.equal(w[2], torch.nn.functional.one_hot(torch.tensor(NB201_OPS.index("nor_conv_3x3")), 5).float())
    assert torch.count_nonzero(w[4]) == 0
    assert torch.equal(w[[0, 1, 3, 5]], p[[0, 1, 3, 5]])
    assert decisions.undecided(0) == [0, 1, 3, 4, 5]
    again = S.Decisions.from_dict(nb201, decisions.to_dict())
    assert again.ops == decisions.ops and again.removed == decisions.removed


def test_removing_an_operation_whose_weight_is_zero_changes_nothing(nb201):
    batches = _labelled_by(nb201, None, _batches())
    weights = S.projected_weights(nb201)
    weights[0][1] = torch.tensor([0.0, 0.5, 0.0, 0.5, 0.0])  # none, conv1x1 and avg pool at 0 on edge 1
    base = evaluate(nb201, batches, weights)[1]
    acc = S.operation_strength(nb201, batches, weights, 0, 1)
    for o in (0, 2, 4):
        assert acc[o] == base
        zeroed = [w.clone() for w in weights]
        zeroed[0][1, o] = 0.0
        assert evaluate(nb201, batches, zeroed)[1] == base


def test_perturbation_picks_the_operation_carrying_the_only_path_and_agrees_with_magnitude(nb201):
    """Edge 0 -> 3 is the cell's only non-zero edge, and nor_conv_3x3 its only non-zero operation: removing
    it cuts the cell's output to zeros and the prediction to a constant, so it hurts most; magnitude picks
    it too."""
    conv3 = NB201_OPS.index("nor_conv_3x3")
    weights = [torch.zeros(6, 5)]
    weights[0][3, conv3] = 1.0  # NB201_EDGES[3] is 0 -> 3
    batches = _labelled_by(nb201, weights, _batches(64))
    acc = S.operation_strength(nb201, batches, weights, 0, 3)
    assert acc[conv3] < 1.0 and all(a == 1.0 for o, a in enumerate(acc) if o != conv3)
    assert S.strongest_operation(acc, NB201_OPS, exclude_none=False) == conv3
    assert S.magnitude(nb201, weights).split("+")[2].startswith("|nor_conv_3x3~0|")
    # the whole edge: removing 0 -> 3 hurts, removing an edge that is already zero does not
    edges = S.edge_strength(nb201, batches, weights, 0, [3, 4, 5])
    assert edges[0] < 1.0 and edges[1:] == [1.0, 1.0]
    assert S.weakest_edge(edges, [3, 4, 5]) == 4


def test_darts_strength_never_picks_none_and_runs_on_both_cells():
    torch.manual_seed(0)
    supernet = DartsSupernet(C=2, layers=3)
    batches = _labelled_by(supernet, None, _batches(32, size=8))
    weights = S.projected_weights(supernet)
    for cell in (0, 1):
        acc = S.operation_strength(supernet, batches, weights, cell, 0, max_batches=1)
        assert len(acc) == len(DARTS_OPS)
        assert DARTS_OPS[S.strongest_operation(acc, DARTS_OPS, exclude_none=True)] != "none"
    with pytest.raises(ValueError, match="cell must be 0..1"):
        S.operation_strength(supernet, batches, weights, 2, 0)
    with pytest.raises(ValueError, match="edge must be 0..13"):
        S.edge_strength(supernet, batches, weights, 0, [14])
