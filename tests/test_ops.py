"""Every operation keeps shapes at stride 1 and halves them (rounding up) at stride 2."""

import math

import pytest
import torch

from nascourse.ops import DARTS_OPS, EVAL_ONLY_OPS, NB201_OPS, OPS, FactorizedReduce, ResNetBasicBlock, check_ops, make_op


def test_op_lists_follow_the_papers_order():
    assert DARTS_OPS == ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
                         "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"]
    assert NB201_OPS == ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    assert set(DARTS_OPS + NB201_OPS + EVAL_ONLY_OPS) == set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("size", [7, 8])
@pytest.mark.parametrize("stride", [1, 2])
def test_every_op_keeps_or_halves_shape(name, size, stride):
    op = make_op(name, 4, stride, affine=False)
    y = op(torch.randn(2, 4, size, size + 1))
    assert y.shape == (2, 4, math.ceil(size / stride), math.ceil((size + 1) / stride))


def test_receptive_fields():
    # an impulse at the centre spreads over the kernel's receptive field: 3, 5, 5 (dilated 3x3), 9 (dilated 5x5)
    expected = {"sep_conv_3x3": 5, "sep_conv_5x5": 9, "dil_conv_3x3": 5, "dil_conv_5x5": 9, "nor_conv_3x3": 3}
    for name, field in expected.items():
        op = make_op(name, 1, 1, affine=False).eval()  # eval: BN with running stats (0, 1) is elementwise
        with torch.no_grad():  # positive weights and inputs keep every ReLU open
            for p in op.parameters():
                p.abs_()
        x = torch.ones(1, 1, 21, 21, requires_grad=True)
        op(x)[0, 0, 10, 10].backward()
        rows = x.grad[0, 0].abs().sum(1).nonzero().flatten()
        assert rows.max() - rows.min() + 1 == field, name


def test_factorized_reduce_matches_darts_on_even_sizes():
    # DARTS: conv_2 sees x[:, :, 1:, 1:]; our padded shift must give the same numbers on even sizes
    fr = FactorizedReduce(4, 6).eval()
    x = torch.randn(2, 4, 8, 8)
    h = torch.relu(x)
    darts = fr.bn(torch.cat([fr.conv_1(h), fr.conv_2(h[:, :, 1:, 1:])], dim=1))
    torch.testing.assert_close(fr(x), darts)


def test_factorized_reduce_needs_even_channels():
    with pytest.raises(ValueError, match="even"):
        FactorizedReduce(4, 5)


def test_zero_op_is_zero_and_has_no_parameters():
    for stride in (1, 2):
        op = make_op("none", 3, stride)
        assert not list(op.parameters())
        assert torch.count_nonzero(op(torch.randn(1, 3, 6, 6))) == 0


def test_resnet_block_halves_and_widens():
    block = ResNetBasicBlock(8, 16)
    assert block(torch.randn(2, 8, 9, 9)).shape == (2, 16, 5, 5)
    assert block(torch.randn(2, 8, 8, 8)).shape == (2, 16, 4, 4)


def test_bad_names_are_reported():
    with pytest.raises(ValueError, match="sep_conv_9x9"):
        make_op("sep_conv_9x9", 4)
    with pytest.raises(ValueError, match="twice"):
        check_ops(["none", "none"])
    with pytest.raises(ValueError, match="stride"):
        make_op("none", 4, stride=3)
