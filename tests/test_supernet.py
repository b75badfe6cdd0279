"""Supernets: gradients reach every weight and alpha, caller-passed weights, skipping, genotypes."""

import pytest
import torch
import torch.nn.functional as F

from nascourse.genotypes import derive_cell
from nascourse.network import DartsNetwork, NB201Network
from nascourse.ops import DARTS_OPS, NB201_OPS
from nascourse.nb201 import nb201_format
from nascourse.supernet import DartsSupernet, MixedOp, NB201Supernet


def tiny(space):
    torch.manual_seed(0)
    return DartsSupernet(C=4, layers=3) if space == "darts" else NB201Supernet(C=4, N=1)


def loss_of(model, weights=None, seed=1, size=8):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4, 3, size, size, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    return F.cross_entropy(model(x, weights), y)


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_every_weight_and_alpha_gets_a_finite_gradient(space):
    model = tiny(space)
    loss_of(model).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, f"{name} got no gradient"
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, f"{name} has an all-zero gradient"


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_weight_and_arch_parameters_split_parameters(space):
    model = tiny(space)
    w = {id(p) for p in model.weight_parameters()}
    a = {id(p) for p in model.arch_parameters()}
    assert not w & a
    assert w | a == {id(p) for p in model.parameters()}
    assert len(a) == (2 if space == "darts" else 1)


def test_default_sizes_and_parameter_counts():
    model = DartsSupernet()
    # DARTS's train_search.py logs "param size = 1.930618MB" (alpha not registered there, so not counted)
    assert sum(p.numel() for p in model.weight_parameters()) == 1_930_618
    assert [tuple(a.shape) for a in model.arch_parameters()] == [(14, 8), (14, 8)]
    assert [tuple(a.shape) for a in NB201Supernet().arch_parameters()] == [(6, 5)]
    assert model.space == "darts" and NB201Supernet.space == "nb201"


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_explicit_softmax_weights_equal_default_forward(space):
    model = tiny(space)
    x = torch.randn(4, 3, 8, 8)
    assert torch.equal(model(x), model(x, model.arch_weights()))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("k", range(len(DARTS_OPS)))
def test_one_hot_weights_run_just_that_op(stride, k):
    torch.manual_seed(0)
    mixed = MixedOp(4, stride, DARTS_OPS)
    x = torch.randn(2, 4, 7, 7)
    w = F.one_hot(torch.tensor(k), len(DARTS_OPS)).float()
    assert torch.equal(mixed(x, w), mixed.ops[k](x))


def test_zero_weights_skip_ops_and_the_rest_is_the_weighted_sum():
    torch.manual_seed(0)
    mixed = MixedOp(4, 1, DARTS_OPS)
    calls = [0] * len(DARTS_OPS)
    for o, op in enumerate(mixed.ops):
        op.register_forward_hook(lambda m, i, out, o=o: calls.__setitem__(o, calls[o] + 1))
    x = torch.randn(2, 4, 6, 6)
    w = torch.tensor([0.0, 0.3, 0.0, 0.2, 0.5, 0.0, 0.0, 0.0])
    out = mixed(x, w)
    assert calls == [0, 1, 0, 1, 1, 0, 0, 0]
    expected = 0.3 * mixed.ops[1](x) + 0.2 * mixed.ops[3](x) + 0.5 * mixed.ops[4](x)
    assert torch.allclose(out, expected, atol=1e-6)
    assert torch.equal(mixed(x, w, active=[1, 3, 4]), out)  # a caller-computed mask gives the same


@pytest.mark.parametrize("stride", [1, 2])
def test_all_zero_edge_gives_zeros_of_the_output_shape(stride):
    mixed = MixedOp(4, stride, NB201_OPS, pool_bn=False)
    out = mixed(torch.randn(3, 4, 7, 6), torch.zeros(len(NB201_OPS)))
    assert out.shape == (3, 4, 7 if stride == 1 else 4, 6 if stride == 1 else 3)
    assert not out.any()


def test_straight_through_weights_keep_gradient_paths_of_skipped_ops():
    # GDAS (Dong & Yang, CVPR 2019): w = one_hot - stopgrad(p) + p runs one op, but every w_o gets a gradient:
    # d sum(out * g) / d w_o = <o(x), g> for the run op, and sum(g) for a skipped one
    torch.manual_seed(0)
    mixed = MixedOp(4, 1, DARTS_OPS)
    x, g = torch.randn(2, 4, 5, 5), torch.randn(2, 4, 5, 5)
    p = torch.softmax(torch.randn(len(DARTS_OPS)), 0).requires_grad_()
    w = F.one_hot(torch.tensor(4), len(DARTS_OPS)).float() - p.detach() + p
    (mixed(x, w) * g).sum().backward()
    expected = torch.full((len(DARTS_OPS),), float(g.sum()))
    expected[4] = (mixed.ops[4](x) * g).sum()
    assert torch.allclose(p.grad, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_gradient_flows_to_alpha_and_weights_through_caller_weights(space):
    model = tiny(space)
    # perturbed weights built from alpha (flatness), and a leaf that requires grad itself
    perturbed = [F.softmax(a, -1) + 0.1 * torch.rand_like(a) for a in model.arch_parameters()]
    loss_of(model, perturbed).backward()
    for a in model.arch_parameters():
        assert a.grad is not None and a.grad.abs().sum() > 0 and torch.isfinite(a.grad).all()
    leaves = [w.detach().clone().requires_grad_() for w in model.arch_weights()]
    loss_of(model, leaves).backward()
    assert all(w.grad is not None and w.grad.abs().sum() > 0 for w in leaves)


def test_gdas_like_one_hot_forward_runs_one_op_per_edge():
    model = tiny("darts")
    calls = []
    for m in model.modules():
        if isinstance(m, MixedOp):
            for op in m.ops:
                op.register_forward_hook(lambda *args: calls.append(1))
    hard = []
    for a in model.arch_parameters():  # straight-through one-hot from alpha
        p = F.softmax(a, -1)
        hard.append(F.one_hot(p.argmax(-1), p.shape[1]).float() - p.detach() + p)
    loss_of(model, hard).backward()
    assert len(calls) == 3 * 14  # 3 cells x 14 edges, one op each
    assert all((a.grad != 0).all() for a in model.arch_parameters())


def test_removed_edges_and_projected_weights_run():
    model = tiny("darts")
    w_normal, w_reduce = [w.detach().clone() for w in model.arch_weights()]
    w_normal[0] = 0.0  # a whole edge removed (topology decision)
    w_normal[1] = F.one_hot(torch.tensor(4), 8).float()  # an edge decided (operation decision)
    with torch.no_grad():
        out = model(torch.randn(2, 3, 8, 8), [w_normal, w_reduce])
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_darts_genotype_is_derive_cell_of_softmax_alpha():
    model = tiny("darts")
    p_normal, p_reduce = model.arch_weights()
    geno = model.genotype()
    assert geno.normal == derive_cell(p_normal, DARTS_OPS) and geno.reduce == derive_cell(p_reduce, DARTS_OPS)
    assert geno.normal_concat == geno.reduce_concat == [2, 3, 4, 5]
    with torch.no_grad():
        model.alpha_normal[:, DARTS_OPS.index("sep_conv_5x5")] += 5.0
        model.alpha_reduce[:, DARTS_OPS.index("none")] += 9.0  # none never chosen
        model.alpha_reduce[:, DARTS_OPS.index("max_pool_3x3")] += 5.0
    geno = model.genotype()
    assert {op for op, _ in geno.normal} == {"sep_conv_5x5"}
    assert {op for op, _ in geno.reduce} == {"max_pool_3x3"}
    assert model.genotype([torch.ones(14, 8), torch.ones(14, 8)]).normal == derive_cell(torch.ones(14, 8), DARTS_OPS)
    DartsNetwork(model.genotype(), C=4, layers=5)  # a derived genotype builds a network


def test_nb201_genotype_is_argmax_over_all_ops_and_round_trips():
    model = tiny("nb201")
    with torch.no_grad():
        model.alpha.zero_()
        for e, name in enumerate(["nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "none"]):
            model.alpha[e, NB201_OPS.index(name)] = 1.0  # none is selectable here (NB201 argmax over all ops)
    arch = model.genotype()
    assert arch == "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|none~2|"
    assert NB201Network(arch, C=4, N=1).edge_ops == ["nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3",
                                                     "nor_conv_1x1", "none"]
    assert nb201_format(NB201Network(arch, C=4, N=1).edge_ops) == NB201Network(arch, C=4, N=1).arch == arch


def test_odd_C_works_in_the_darts_space():
    # every FactorizedReduce acts on a doubled width (after a reduction), so C itself may be odd
    assert DartsSupernet(C=3, layers=3)(torch.randn(2, 3, 8, 8)).shape == (2, 10)


def test_clear_errors():
    model = tiny("darts")
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        model(torch.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        NB201Supernet(C=4, N=1)(torch.randn(3, 8, 8))
    with pytest.raises(ValueError, match=r"\[\(14, 8\), \(14, 8\)\]"):
        model(torch.randn(2, 3, 8, 8), [torch.ones(14, 8)])
    with pytest.raises(ValueError, match=r"\[\(14, 8\), \(14, 8\)\]"):
        model.genotype([torch.ones(14, 7), torch.ones(14, 8)])
    with pytest.raises(ValueError, match=r"\[\(6, 5\)\]"):
        NB201Supernet(C=4, N=1)(torch.randn(2, 3, 8, 8), torch.ones(6, 5))
    with pytest.raises(ValueError, match="sep_conv_9x9"):
        DartsSupernet(C=4, layers=5, ops=["none", "sep_conv_9x9"])
    with pytest.raises(ValueError, match="C must be a positive int"):
        DartsSupernet(C=0)
    with pytest.raises(ValueError, match=r"expected \(8,\)"):
        MixedOp(4, 1, DARTS_OPS)(torch.randn(1, 4, 4, 4), torch.ones(5))
