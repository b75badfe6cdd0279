"""Discrete networks: published parameter counts, gradients, drop-path, auxiliary head, NB201 strings."""

import pytest
import torch
import torch.nn.functional as F

from nascourse.genotypes import AMOEBANET, DARTS_V1, DARTS_V2, NASNET, Genotype, genotype_to_str
from nascourse.nb201 import nb201_parse
from nascourse.network import DartsNetwork, NB201InferCell, NB201Network, drop_path


ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
MIXED = "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"


def count(model):
    """Parameters as DARTS and the NAS-Bench-201 API count them: auxiliary head excluded."""
    return sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name)


def test_darts_v2_has_the_published_parameter_count():
    # DARTS's train.py log: "param size = 3.349342MB" (paper: 3.3M), auxiliary head excluded
    assert count(DartsNetwork(DARTS_V2, auxiliary=False)) == 3_349_342
    assert count(DartsNetwork(DARTS_V2, auxiliary=True)) == 3_349_342


def test_nb201_parameter_counts_match_the_benchmark():
    # NAS-Bench-201 API, C=16, N=5, CIFAR-10: all-skip 0.073 MB (the API's query result), all-conv3x3 1.531546 MB.
    # By hand: skeleton = stem 464 + res-blocks 14,464 + 57,600 + head BN 128 + linear 650 = 73,306;
    # each conv3x3 edge adds 9C^2 + 2C, six per cell, five cells per stage.
    assert count(NB201Network(ALL_SKIP)) == 73_306
    convs = sum(5 * 6 * (9 * c * c + 2 * c) for c in (16, 32, 64))
    assert count(NB201Network(ALL_CONV)) == 73_306 + convs == 1_531_546


def forward_backward(model, size=16):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, size, size, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    logits, aux = model(x)
    loss = F.cross_entropy(logits, y)
    if aux is not None:
        loss = loss + 0.4 * F.cross_entropy(aux, y)
    loss.backward()
    return logits, aux


@pytest.mark.parametrize("genotype", [DARTS_V2, NASNET, AMOEBANET], ids=["darts_v2", "nasnet", "amoebanet"])
def test_every_parameter_of_a_darts_network_gets_a_gradient(genotype):
    torch.manual_seed(0)
    model = DartsNetwork(genotype, C=4, layers=3, auxiliary=True).train()
    logits, aux = forward_backward(model)
    assert logits.shape == aux.shape == (4, 10)
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_every_parameter_of_an_nb201_network_gets_a_gradient():
    torch.manual_seed(0)
    model = NB201Network(MIXED, C=4, N=1)
    logits, aux = forward_backward(model, size=8)
    assert logits.shape == (4, 10) and aux is None
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_five_node_cells_use_their_concat():
    model = DartsNetwork(AMOEBANET, C=4, layers=3)
    normal, reduce = model.cells[0], model.cells[1]
    assert normal.steps == reduce.steps == 5
    assert normal.multiplier == 3 and normal.concat == [4, 5, 6] and reduce.concat == [3, 4, 6]
    # the next cell's inputs have multiplier * C channels: 3 * 4 from cell 0, 3 * 8 from cell 1
    assert model.cells[1].preprocess1.op[1].in_channels == 12
    assert model.cells[2].preprocess1.op[1].in_channels == 24


def test_auxiliary_head_only_in_training_and_at_32x32():
    torch.manual_seed(0)
    model = DartsNetwork(DARTS_V1, C=4, layers=3, auxiliary=True)
    x = torch.randn(2, 3, 32, 32)  # the head sees DARTS's 8x8 map here
    logits, aux = model.train()(x)
    assert logits.shape == aux.shape == (2, 10)
    assert model.eval()(x)[1] is None
    assert DartsNetwork(DARTS_V1, C=4, layers=3, auxiliary=False).train()(x)[1] is None


def test_drop_path_changes_training_outputs_only():
    torch.manual_seed(0)
    model = DartsNetwork(DARTS_V2, C=4, layers=3, auxiliary=False, drop_path_prob=0.5)
    x = torch.randn(4, 3, 8, 8)
    model.train()
    assert not torch.equal(model(x)[0], model(x)[0])
    model.drop_path_prob = 0.0  # set per epoch by a trainer; with p = 0 train mode is deterministic
    assert torch.equal(model(x)[0], model(x)[0])
    model.drop_path_prob = 0.5
    model.eval()
    assert torch.equal(model(x)[0], model(x)[0])


def test_drop_path_keeps_or_zeroes_whole_samples():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 4, 4) + 1.0
    y = drop_path(x, 0.25)
    for b in range(64):
        assert (not y[b].any()) or torch.allclose(y[b], x[b] / 0.75)
    kept = sum(bool(y[b].any()) for b in range(64))
    assert 32 < kept < 64  # keep probability 0.75
    assert drop_path(x, 0.0) is x
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        drop_path(x, 1.0)


def test_nb201_string_and_list_give_the_same_network():
    a, b = NB201Network(MIXED, C=4, N=1), NB201Network(
        ["nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_1x1"], C=4, N=1)
    assert a.edge_ops == b.edge_ops
    assert count(a) == count(b)


def test_all_none_nodes_are_zeros():
    cell = NB201InferCell(["none"] * 6, 4)
    assert not cell(torch.randn(2, 4, 5, 5)).any()
    # node 1 all none; node 3 reads x through a skip, so the output is x
    cell = NB201InferCell(["none", "none", "none", "skip_connect", "none", "none"], 4)
    x = torch.randn(2, 4, 5, 5)
    assert torch.equal(cell(x), x)


def test_clear_errors():
    with pytest.raises(ValueError, match="malformed"):
        NB201Network("|nor_conv_3x3~0|+|nor_conv_3x3~0|", C=4, N=1)
    with pytest.raises(ValueError, match="should read node 1"):
        NB201Network(ALL_SKIP.replace("skip_connect~1|+", "skip_connect~2|+"), C=4, N=1)
    with pytest.raises(ValueError, match="sep_conv_3x3"):
        NB201Network(ALL_SKIP.replace("skip_connect~0|+", "sep_conv_3x3~0|+", 1), C=4, N=1)
    with pytest.raises(ValueError, match="6 op names"):
        NB201Network(["skip_connect"] * 5, C=4, N=1)
    bad = Genotype(normal=[("sep_conv_3x3", 3)] + DARTS_V2.normal[1:], normal_concat=[2, 3, 4, 5],
                   reduce=DARTS_V2.reduce, reduce_concat=[2, 3, 4, 5])
    with pytest.raises(ValueError, match="node 2 can only read"):
        DartsNetwork(bad, C=4, layers=3)
    with pytest.raises(ValueError, match="concat"):
        DartsNetwork(DARTS_V2._replace(reduce_concat=[2, 9]), C=4, layers=3)
    with pytest.raises(ValueError, match="unknown operation"):
        DartsNetwork(DARTS_V2._replace(normal=[("conv_9x9", 0)] + DARTS_V2.normal[1:]), C=4, layers=3)
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        DartsNetwork(tuple(DARTS_V2), C=4, layers=3)(torch.randn(2, 1, 8, 8))  # a plain tuple is fine
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        NB201Network(ALL_SKIP, C=4, N=1)(torch.randn(2, 1, 8, 8))


def test_networks_take_a_genotype_in_either_form():
    shapes = lambda net: {k: v.shape for k, v in net.state_dict().items()}  # noqa: E731
    from_string = DartsNetwork(genotype_to_str(AMOEBANET), C=4, layers=3)
    assert from_string.genotype == AMOEBANET and shapes(from_string) == shapes(DartsNetwork(AMOEBANET, C=4, layers=3))
    assert NB201Network(tuple(nb201_parse(MIXED)), C=4, N=1).arch == NB201Network(MIXED, C=4, N=1).arch == MIXED
    with pytest.raises(ValueError, match="malformed genotype string .* nb201_parse"):
        DartsNetwork(ALL_SKIP, C=4, layers=3)  # an NB201 string where a DARTS genotype belongs
    with pytest.raises(TypeError, match="got int 3"):
        DartsNetwork(3, C=4, layers=3)
    with pytest.raises(ValueError, match="DARTS-space genotype"):
        NB201Network(genotype_to_str(DARTS_V2), C=4, N=1)
    with pytest.raises(TypeError, match="DARTS-space Genotype"):
        NB201Network(DARTS_V2, C=4, N=1)
