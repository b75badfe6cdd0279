"""sharpness.py against its oracles: dense Hessians from autograd diagonalised by torch.linalg.eigvalsh,
a matrix with known eigenvalues, and DARTS-ES's rule on eigenvalue sequences made by hand."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nascourse import sharpness as S
from nascourse.genotypes import DARTS_V2
from nascourse.network import DartsNetwork
from nascourse.supernet import NB201Supernet


def mlp(dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).to(dtype)


def dense_hessian(loss_fn, params):
    """Row by row by double backpropagation: H[:, i] = ∂(∇L · e_i)/∂θ."""
    grads = torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss_fn(), params, create_graph=True)])
    rows = [torch.cat([h.reshape(-1) for h in torch.autograd.grad(grads[i], params, retain_graph=True)])
            for i in range(len(grads))]
    return torch.stack(rows)


@pytest.mark.parametrize("which", ["weights", "all"])
def test_weight_hessian_max_eigenvalue_against_eigvalsh(which):
    model = mlp()
    g = torch.Generator().manual_seed(1)
    x = torch.randn(30, 4, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (30,), generator=g)
    batches = [(x[:10], y[:10]), (x[10:20], y[10:20]), (x[20:], y[20:])]
    params = [p for p in model.parameters() if which == "all" or p.dim() > 1]

    def mean_loss():
        return sum(F.cross_entropy(model(xb), yb) for xb, yb in batches) / len(batches)

    exact = float(torch.linalg.eigvalsh(dense_hessian(mean_loss, params)).max())
    found = S.hessian_max_eigenvalue(model, batches, params=which, iters=2000, tol=1e-10)
    assert found.converged and 1 < found.iterations <= 2000 and len(found.history) == found.iterations
    assert found.value == pytest.approx(exact, rel=1e-6)


def test_alpha_hessian_max_eigenvalue_includes_weight_decay_against_eigvalsh():
    torch.manual_seed(0)
    supernet = NB201Supernet(C=2, N=1).double()
    with torch.no_grad():
        supernet.alpha.normal_(0, 0.5)
    x = torch.randn(8, 3, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 10, (8,))
    supernet.train()
    H = dense_hessian(lambda: F.cross_entropy(supernet(x), y), [supernet.alpha])
    buffers = [b.clone() for b in supernet.buffers()]
    for wd in (0.0, 1e-3, 0.5):
        exact = float(torch.linalg.eigvalsh(H + wd * torch.eye(len(H), dtype=H.dtype)).max())
        found = S.alpha_hessian_max_eigenvalue(supernet, x, y, weight_decay=wd, iters=3000, tol=1e-11)
        assert found.converged
        assert found.value == pytest.approx(exact, rel=1e-6)
    assert buffers and all(torch.equal(a, b) for a, b in zip(buffers, supernet.buffers()))  # BN statistics kept


def test_power_iteration_returns_the_largest_eigenvalue_when_the_dominant_one_is_negative():
    Q, _ = torch.linalg.qr(torch.randn(6, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0)))
    eigenvalues = torch.tensor([-9.0, -3.0, -1.0, 0.5, 1.5, 2.0], dtype=torch.float64)
    H = Q @ torch.diag(eigenvalues) @ Q.T
    found = S.power_iteration(lambda v: H @ v, 6, iters=5000, tol=1e-12, dtype=torch.float64)
    assert found.value == pytest.approx(2.0, rel=1e-6) and found.converged
    positive = S.power_iteration(lambda v: -H @ v, 6, iters=5000, tol=1e-12, dtype=torch.float64)
    assert positive.value == pytest.approx(9.0, rel=1e-6)
    capped = S.power_iteration(lambda v: H @ v, 6, iters=2, tol=1e-12, dtype=torch.float64)
    assert not capped.converged and capped.iterations <= 4


def test_alpha_hessian_needs_a_supernet():
    net = DartsNetwork(DARTS_V2, C=4, layers=3, auxiliary=False)
    with pytest.raises(TypeError, match="arch_parameters"):
        S.alpha_hessian_max_eigenvalue(net, torch.randn(2, 3, 8, 8), torch.tensor([0, 1]))


def test_local_averages_are_centred_and_cut_short_at_the_start():
    assert S.local_averages([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 5) == [2.0, 2.5, 3.0, 4.0, 5.0]
    assert S.local_averages([1.0, 2.0], 5) == []  # no window complete on the right yet
    assert S.local_averages([4.0, 8.0], 1) == [4.0, 8.0]
    with pytest.raises(ValueError, match="odd"):
        S.local_averages([1.0], 4)


def test_darts_es_on_a_hand_made_sequence():
    # RobustDARTS's schedule: an eigenvalue every 2 epochs. Flat at 0.2 until epoch 20, then x1.5 per evaluation.
    epochs = list(range(2, 52, 2))
    values = [0.2] * 10 + [0.2 * 1.5 ** k for k in range(1, 16)]
    stop = S.darts_es(epochs, values)
    # After epoch 24's value the average centred on epoch 20 is (3 * 0.2 + 0.3 + 0.45) / 5 = 0.27,
    # 0.27 / 0.2 = 1.35 > 1.3 against the average 4 evaluations (8 epochs) earlier, centred on epoch 12.
    assert stop == S.EarlyStop(epoch=12, fired=24, ratio=pytest.approx(1.35))
    # One evaluation earlier the ratio was (4 * 0.2 + 0.3) / 5 / 0.2 = 1.1: no stop.
    assert S.darts_es(epochs[:11], values[:11]) is None
    # A threshold above 1.35 moves the stop one evaluation later.
    later = S.darts_es(epochs, values, factor=1.4)
    assert later.fired == 26 and later.epoch == 14


def test_darts_es_waits_for_the_start_epoch_and_ignores_flat_or_falling_sequences():
    epochs = list(range(1, 31))
    growing = [0.1 * 1.2 ** k for k in range(30)]  # fast growth from the start
    stop = S.darts_es(epochs, growing)
    assert stop.epoch == 10  # the first comparison allowed: the earlier average centred on epoch 10
    assert stop.fired == 16  # its partner is centred on epoch 14, complete once epoch 16 is measured
    assert S.darts_es(epochs, growing, start_epoch=1).epoch == 1
    assert S.darts_es(epochs, [0.5] * 30) is None
    assert S.darts_es(epochs, [3.0 - 0.05 * k for k in range(30)]) is None
    assert S.darts_es(epochs[:5], growing[:5], start_epoch=1) is None  # too few evaluations for delta = 4


def test_darts_es_refuses_mismatched_or_non_finite_input():
    with pytest.raises(ValueError, match="one epoch per eigenvalue"):
        S.darts_es([1, 2], [0.1])
    with pytest.raises(ValueError, match="finite"):
        S.darts_es([1, 2], [0.1, float("nan")])
