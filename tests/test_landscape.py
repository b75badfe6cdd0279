"""landscape.py against its oracles: definitions checked tensor by tensor and hand-written gradients."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nascourse import landscape as L
from nascourse import sharpness as S
from nascourse.genotypes import DARTS_V2
from nascourse.network import DartsNetwork, NB201Network


def images(n=32, size=8, seed=0, batch=16):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g)
    y = torch.randint(0, 10, (n,), generator=g)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]


@pytest.fixture(scope="module")
def darts_net():
    torch.manual_seed(0)
    net = DartsNetwork(DARTS_V2, C=4, layers=3, auxiliary=False)
    net.train()
    with torch.no_grad():  # non-trivial BN running statistics, so eval mode is not the identity
        for x, _ in images(64, seed=5):
            net(x)
    return net


def mlp(dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).to(dtype)


def test_filter_normalised_direction_matches_each_filters_norm_and_ignores_1d(darts_net):
    direction = L.random_direction(darts_net, seed=3)
    params = L.trainable(darts_net)
    assert len(direction) == len(params)
    n_1d = 0
    for d, p in zip(direction, params):
        assert d.shape == p.shape
        if p.dim() <= 1:
            assert torch.count_nonzero(d) == 0
            n_1d += 1
        else:
            torch.testing.assert_close(d.reshape(len(d), -1).norm(dim=1), p.detach().reshape(len(p), -1).norm(dim=1),
                                       rtol=1e-5, atol=1e-6)
    assert n_1d > 0  # BN gammas/betas and the classifier's bias were there to ignore
    again = L.random_direction(darts_net, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(direction, again))
    other = L.random_direction(darts_net, seed=4)
    assert not all(torch.equal(a, b) for a, b in zip(direction, other))


def test_unnormalised_direction_keeps_1d_entries_when_asked(darts_net):
    direction = L.random_direction(darts_net, seed=0, norm="none", ignore_1d=False)
    for d, p in zip(direction, L.trainable(darts_net)):
        if p.dim() <= 1:
            assert torch.equal(d, p.detach())


def test_surface_at_origin_is_the_networks_own_loss_and_leaves_it_unchanged(darts_net):
    batches = images()
    before = [p.detach().clone() for p in darts_net.parameters()]
    buffers = [b.clone() for b in darts_net.buffers()]
    own = L.evaluate(darts_net, batches)
    xs = [-0.5, 0.0, 0.5]
    s2 = L.surface_2d(darts_net, batches, L.random_direction(darts_net, 0), L.random_direction(darts_net, 1), xs, xs,
                      method="loop")
    assert s2.at_origin() == pytest.approx(own, rel=1e-6)
    s1 = L.surface_1d(darts_net, batches, L.random_direction(darts_net, 0), xs, method="loop")
    assert s1.at_origin() == pytest.approx(own, rel=1e-6)
    assert s1.loss[0] != pytest.approx(own[0], rel=1e-3)  # a step of 0.5 moves the loss
    assert all(torch.equal(a, b) for a, b in zip(before, darts_net.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(buffers, darts_net.buffers()))
    assert darts_net.training  # the mode is restored too
    assert len(s2.loss) == 3 and len(s2.loss[0]) == 3 and s2.images == 32


@pytest.mark.parametrize("kind", ["darts", "nb201"])
def test_batched_grid_evaluation_agrees_with_the_plain_loop(kind, darts_net):
    net = darts_net if kind == "darts" else NB201Network(["nor_conv_3x3", "skip_connect", "nor_conv_1x1",
                                                          "avg_pool_3x3", "none", "nor_conv_3x3"], C=4, N=1)
    batches = images()
    dx, dy = L.random_direction(net, 0), L.random_direction(net, 1)
    xs, ys = [-1.0, 0.0, 0.4], [-0.3, 0.7]
    plain = L.surface_2d(net, batches, dx, dy, xs, ys, method="loop")
    for chunk in (1, 4, 6):
        stacked = L.surface_2d(net, batches, dx, dy, xs, ys, method="vmap", chunk=chunk)
        for row_p, row_s in zip(plain.loss, stacked.loss):
            assert row_s == pytest.approx(row_p, rel=1e-5)
        assert stacked.acc == plain.acc


def test_surface_along_a_direction_follows_the_definition(darts_net):
    batches = images()
    d = L.random_direction(darts_net, 7)
    s = L.surface_1d(darts_net, batches, d, [0.3], method="vmap")
    moved = DartsNetwork(DARTS_V2, C=4, layers=3, auxiliary=False)
    moved.load_state_dict(darts_net.state_dict())
    with torch.no_grad():
        for p, u in zip(L.trainable(moved), d):
            p += 0.3 * u
    assert s.loss[0] == pytest.approx(L.evaluate(moved, batches)[0], rel=1e-5)


def test_train_mode_surface_uses_batch_statistics_and_restores_the_running_ones(darts_net):
    batches = images()
    buffers = [b.clone() for b in darts_net.buffers()]
    d = L.random_direction(darts_net, 3)
    s = L.surface_1d(darts_net, batches, d, [0.0, 0.3], mode="train")
    assert s.meta["mode"] == "train"
    # the oracle: each batch through a copy in train mode, its loss weighted by the batch size
    copy = DartsNetwork(DARTS_V2, C=4, layers=3, auxiliary=False)
    copy.load_state_dict(darts_net.state_dict())
    copy.train()
    with torch.no_grad():
        want = sum(float(F.cross_entropy(S.logits_of(copy(x)), y)) * len(y)
                   for x, y in batches) / 32
    assert s.loss[0] == pytest.approx(want, rel=1e-5)
    assert s.loss[0] != pytest.approx(L.evaluate(darts_net, batches)[0], rel=1e-3)  # not the eval-mode loss
    assert L.evaluate(darts_net, batches, mode="train")[0] == pytest.approx(want, rel=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(buffers, darts_net.buffers()))
    with pytest.raises(ValueError, match="mode must be"):
        L.evaluate(darts_net, batches, mode="test")
    with pytest.raises(ValueError, match="eval mode only"):
        L.surface_1d(darts_net, batches, d, [0.0], method="vmap", mode="train")


def test_interpolation_ends_at_each_network():
    a, b = mlp(seed=1), mlp(seed=2)
    x = torch.randn(40, 4, dtype=torch.float64)
    batches = [(x[:20], torch.randint(0, 3, (20,))), (x[20:], torch.randint(0, 3, (20,)))]
    s = L.interpolation(a, b, batches, [0.0, 0.5, 1.0])
    assert s.loss[0] == pytest.approx(L.evaluate(a, batches)[0])
    assert s.loss[2] == pytest.approx(L.evaluate(b, batches)[0])
    mid = mlp(seed=3)
    mid.load_state_dict({k: 0.5 * v + 0.5 * b.state_dict()[k] for k, v in a.state_dict().items()})
    assert s.loss[1] == pytest.approx(L.evaluate(mid, batches)[0])
    assert L.evaluate(a, batches) == pytest.approx((s.loss[0], s.acc[0]))  # a is restored


def test_gradient_variance_of_linear_regression_against_hand_written_gradients():
    """Mean squared error of y ≈ Xw over B batches: g_j = (2/b) X_jᵀ(X_j w - y_j), GV = mean ||g_j - ḡ||²."""
    torch.manual_seed(0)
    d, b, B = 5, 8, 6
    model = nn.Linear(d, 1, bias=False).double()
    X = torch.randn(B * b, d, dtype=torch.float64)
    y = X @ torch.randn(d, 1, dtype=torch.float64) + 0.3 * torch.randn(B * b, 1, dtype=torch.float64)
    batches = [(X[j * b:(j + 1) * b], y[j * b:(j + 1) * b]) for j in range(B)]
    w = model.weight.detach().reshape(d, 1)
    grads = torch.stack([(2 / b * Xj.T @ (Xj @ w - yj)).reshape(-1) for Xj, yj in batches])  # (B, d)
    expected = ((grads - grads.mean(0)) ** 2).sum(1).mean()
    gv = L.gradient_variance(model, batches, criterion=F.mse_loss)
    assert gv.value == pytest.approx(float(expected), rel=1e-10)
    assert gv.per_parameter == pytest.approx(float(expected) / d, rel=1e-10)
    assert gv.gradient_norm == pytest.approx(float(grads.mean(0).norm()), rel=1e-10)
    assert (gv.batch_size, gv.batches, gv.parameters) == (b, B, d)


def test_gradient_variance_grid_has_the_point_values(darts_net):
    batches = images(48)
    d = L.random_direction(darts_net, 0)
    line = L.gradient_variance_grid(darts_net, batches, [d], [0.0, 0.5])
    assert line.loss[0] == pytest.approx(L.gradient_variance(darts_net, batches).value, rel=1e-6)
    grid = L.gradient_variance_grid(darts_net, batches, [d, L.random_direction(darts_net, 1)], [0.0, 0.5], [0.0],
                                    per_parameter=True)
    assert grid.loss[0][0] == pytest.approx(line.loss[0] / sum(p.numel() for p in L.trainable(darts_net)), rel=1e-6)
    assert grid.meta["batch_size"] == 16


def test_bad_inputs_get_clear_errors(darts_net):
    with pytest.raises(ValueError, match="evaluation subset is empty"):
        L.evaluate(darts_net, [])
    with pytest.raises(ValueError, match="evaluation subset is empty"):
        L.surface_1d(darts_net, [], L.random_direction(darts_net))
    with pytest.raises(ValueError, match="does not match the network's trainable parameters"):
        L.surface_1d(darts_net, images(), L.random_direction(mlp()))
    with pytest.raises(ValueError, match="one size b"):
        L.gradient_variance(darts_net, images(40))  # batches of 16, 16 and 8
    with pytest.raises(ValueError, match="at least 2 minibatches"):
        L.gradient_variance(darts_net, images(16))
    with pytest.raises(ValueError, match="method must be"):
        L.surface_1d(darts_net, images(), L.random_direction(darts_net), [0.0], method="fast")
    with pytest.raises(ValueError, match="norm must be"):
        L.random_direction(darts_net, norm="layer")
    with pytest.raises(ValueError, match="images must be a whole number"):
        L.fixed_batches(images=0)
    with pytest.raises(ValueError, match="differ in their parameters"):
        L.interpolation(darts_net, mlp(), images())
    assert math.isnan(L.evaluate(nn.Linear(3, 1), [(torch.randn(4, 3), torch.randn(4, 1))], F.mse_loss)[1])


class _WithUnused(nn.Module):
    """An MLP with a parameter its output never reads, like the preprocessing of a cell input no edge uses."""

    def __init__(self):
        super().__init__()
        self.body = mlp(seed=4)
        self.unused = nn.Linear(4, 4).double()

    def forward(self, x):
        return self.body(x)


def test_parameters_the_loss_does_not_read_get_zero_gradient_and_curvature():
    model = _WithUnused()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(30, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (30,), generator=g)
    batches = [(x[:10], y[:10]), (x[10:20], y[10:20]), (x[20:], y[20:])]
    with_unused = L.gradient_variance(model, batches)
    without = L.gradient_variance(model.body, batches)
    assert with_unused.value == pytest.approx(without.value, rel=1e-12)
    assert with_unused.parameters == without.parameters + 20
    assert S.hessian_max_eigenvalue(model, batches, iters=500, tol=1e-10).value == pytest.approx(
        S.hessian_max_eigenvalue(model.body, batches, iters=500, tol=1e-10).value, rel=1e-6)


def test_lesson_05_figures_show_the_centre_and_a_colour_bar():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from nascourse import landscapeplot
    xs = [-1.0, -0.5, 0.0, 0.5, 1.0]
    gv = [[10.0 ** (1 + x * x + y * y) for x in xs] for y in xs]
    fig = landscapeplot.variance_map(L.Surface("2d", xs, xs, gv, gv, 10))
    assert len(fig.axes) == 2  # the map and its colour bar
    assert any(line.get_marker() == "*" for line in fig.axes[0].get_lines())  # the trained network, on top
    plt.close(fig)
    loss = [[1 + x * x + y * y for x in xs] for y in xs]
    fig = landscapeplot.contour(L.Surface("2d", xs, xs, loss, loss, 10), levels=[1.25, 1.5, 2.0, 2.5],
                                filled=True, colorbar=True, label_every=2)
    assert len(fig.axes) == 2
    assert sorted({t.get_text() for t in fig.axes[0].texts}) == ["1.25", "2.00"]  # every other level
    plt.close(fig)
