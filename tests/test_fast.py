"""The fast forward against the plain supernet, its oracle: logits, gradients, BN statistics, steps.

In float64 the two must agree to rounding (1e-10 and below) everywhere: every rearrangement in
``fast.py`` is exact. In float32 a well-conditioned step (first order, small supernet) agrees to
1e-4; ``stepcheck.compare_step`` explains why alpha's float32 gradient is not always that stable.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from test_search import toy_config, toy_dataset

from nascourse.fast import FastDartsForward
from nascourse.history import make_config
from nascourse.hypergrad import hessian_vector_product
from nascourse.search import build_supernet, search
from nascourse.steps import make_optimizers, weight_step
from nascourse.stepcheck import compare_step, operation_count, run_step, step_errors
from nascourse.supernet import DartsSupernet, NB201Supernet


def batch(n: int, size: int, dtype=torch.float64, seed: int = 0, classes: int = 10):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g, dtype=dtype), torch.randint(classes, (n,), generator=g)


def twins(dtype=torch.float64, **kw) -> tuple[DartsSupernet, DartsSupernet]:
    torch.manual_seed(0)
    net = DartsSupernet(**kw).to(dtype)
    with torch.no_grad():  # alpha away from uniform, so that every column weighs differently
        for a in net.arch_parameters():
            a.normal_()
    return net, copy.deepcopy(net)


@pytest.mark.parametrize("kw, size, space_to_batch", [
    (dict(C=4, layers=3), 8, False),  # one normal and two reduction cells
    (dict(C=4, layers=3), 9, False),  # odd sizes: 9 -> 5 -> 3
    (dict(C=4, layers=3), 8, True),  # dilated convs on pixel phases, both strides
    (dict(C=4, layers=3), 10, True),  # 10 -> 5: odd sizes fall back to the dilated conv
    (dict(C=2, layers=4, steps=3, multiplier=2), 8, False),  # other cell shapes
    (dict(C=4, layers=3, ops=["none", "skip_connect", "sep_conv_3x3", "conv_7x1_1x7", "avg_pool_3x3"]), 8, False),
])
def test_forward_gradients_and_bn_statistics_match_the_plain_supernet(kw, size, space_to_batch):
    plain, twin = twins(**kw)
    fast = FastDartsForward(twin, space_to_batch=space_to_batch)
    x, y = batch(6, size)
    loss_plain, loss_fast = F.cross_entropy(plain(x), y), F.cross_entropy(fast(x), y)
    assert abs(float(loss_plain.detach() - loss_fast.detach())) < 1e-12
    loss_plain.backward()
    loss_fast.backward()
    for (name, p), q in zip(plain.named_parameters(), twin.parameters()):
        assert p.grad is not None and q.grad is not None, name
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-9, atol=1e-12, msg=name)
    for (name, b), c in zip(plain.named_buffers(), twin.buffers()):  # running mean, var and counts
        torch.testing.assert_close(c, b, rtol=1e-10, atol=1e-12, msg=name)
    assert all(int(b) == 1 for name, b in twin.named_buffers() if name.endswith("num_batches_tracked"))


def test_hessian_vector_products_match():
    """Double backprop (iDARTS's H v, the exact mixed term) runs through the grouped convolutions."""
    plain, twin = twins(C=4, layers=3)
    fast = FastDartsForward(twin)
    x, y = batch(6, 8)
    g = torch.Generator().manual_seed(1)
    v = [torch.randn(p.shape, generator=g, dtype=p.dtype) for p in plain.weight_parameters()]
    hv_plain = hessian_vector_product(lambda: F.cross_entropy(plain(x), y), plain.weight_parameters(), v)
    hv_fast = hessian_vector_product(lambda: F.cross_entropy(fast(x), y), twin.weight_parameters(), v)
    for a, b in zip(hv_plain, hv_fast):
        torch.testing.assert_close(b, a, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("method", ["darts1", "darts2", "idarts"])
def test_whole_search_step_matches_in_float64(method):
    config = make_config(method, "darts", "tiny", C=4, layers=3, batch_size=8, image_size=8)
    torch.manual_seed(0)
    net = build_supernet(config).double()
    w_opt, a_opt = make_optimizers(net, config)
    train, val = batch(8, 8), batch(8, 8, seed=1)
    weight_step(net, w_opt, *train, config)  # SGD now has momentum buffers, which darts2's virtual step reads
    errors = compare_step(net, w_opt, a_opt, config, train, val, config.w_lr)
    assert errors["max"] < 1e-10 and errors["buffers"] < 1e-10 and errors["params"] < 1e-12, errors
    assert errors["update"] < 1e-10, errors


def test_first_order_step_matches_in_float32():
    config = make_config("darts1", "darts", "tiny", C=4, layers=3, batch_size=8, image_size=8)
    torch.manual_seed(0)
    net = build_supernet(config)
    w_opt, a_opt = make_optimizers(net, config)
    errors = compare_step(net, w_opt, a_opt, config, batch(8, 8, torch.float32), batch(8, 8, torch.float32, 1),
                          config.w_lr)
    assert errors["max"] < 1e-4, errors


def test_run_step_copies_and_perturbs_without_touching_the_originals():
    config = make_config("darts1", "darts", "tiny", C=4, layers=3, batch_size=8, image_size=8)
    torch.manual_seed(0)
    net = build_supernet(config).double()
    w_opt, a_opt = make_optimizers(net, config)
    train, val = batch(8, 8), batch(8, 8, seed=1)
    weight_step(net, w_opt, *train, config)
    state = copy.deepcopy((net.state_dict(), w_opt.state_dict()))
    first = run_step(net, w_opt, a_opt, config, train, val, config.w_lr)
    again = run_step(net, w_opt, a_opt, config, train, val, config.w_lr)
    assert step_errors(first, again)["max"] == 0  # the same state both times: nothing leaked between runs
    for k, v in state[0].items():
        assert torch.equal(net.state_dict()[k], v), k
    buffers = [s["momentum_buffer"] for s in w_opt.state_dict()["state"].values()]
    assert all(torch.equal(b, s["momentum_buffer"]) for b, s in zip(buffers, state[1]["state"].values()))
    moved = step_errors(first, run_step(net, w_opt, a_opt, config, train, val, config.w_lr, perturb=1e-7))
    assert 0 < moved["params"] < 1e-6
    single = run_step(net, w_opt, a_opt, config, (train[0].float(), train[1]), (val[0].float(), val[1]),
                      config.w_lr, dtype=torch.float32)
    assert 1e-9 < step_errors(first, single)["grad_w"] < 1e-4  # float32 against the float64 step


def test_bfloat16_autocast_runs_and_stays_close_to_the_float32_step():
    config = make_config("darts1", "darts", "tiny", C=4, layers=3, batch_size=8, image_size=8)
    torch.manual_seed(0)
    net = build_supernet(config)
    w_opt, a_opt = make_optimizers(net, config)
    train, val = batch(8, 8, torch.float32), batch(8, 8, torch.float32, 1)
    plain = run_step(net, w_opt, a_opt, config, train, val, config.w_lr)
    low = run_step(net, w_opt, a_opt, config, train, val, config.w_lr, fast=True, autocast=torch.bfloat16)
    errors = step_errors(plain, low)
    assert all(torch.isfinite(v).all() for v in low.values())
    assert 1e-6 < errors["loss"] < 1e-2, errors  # bfloat16 keeps 8 bits of mantissa: visibly not float32


def test_eval_mode_falls_back_to_the_plain_forward():
    plain, twin = twins(C=4, layers=3)
    plain.eval()
    twin.eval()
    x, _ = batch(4, 8)
    with torch.no_grad():
        assert torch.equal(FastDartsForward(twin)(x), plain(x))


def test_the_supernet_can_move_and_train_under_the_same_forward():
    """The forward holds no parameters: optimiser steps and state loads show in its next call."""
    plain, twin = twins(C=4, layers=3)
    fast = FastDartsForward(twin)
    x, _ = batch(6, 8)
    twin.load_state_dict({k: v + 0.01 for k, v in plain.state_dict().items()})
    plain.load_state_dict(twin.state_dict())
    torch.testing.assert_close(fast(x), plain(x), rtol=1e-10, atol=1e-12)


def test_search_with_fast_equals_search_without(tmp_path):
    data = toy_dataset()
    config = toy_config("darts1", epochs=2)
    plain = search(config, seed=0, device="cpu", dataset=data, progress=False)
    fast = search(config, seed=0, device="cpu", dataset=data, progress=False, fast=True, out=str(tmp_path))
    for a, b in zip(plain.history, fast.history):
        assert a["genotype"] == b["genotype"]
        torch.testing.assert_close(torch.tensor(b["alpha"]), torch.tensor(a["alpha"]), rtol=0, atol=1e-5)
        assert abs(a["train_loss"] - b["train_loss"]) < 1e-4
    # and a fast run resumes a plain one: the same mathematics
    resumed = search(config, seed=0, device="cpu", dataset=data, progress=False, out=str(tmp_path), resume=True)
    assert resumed.genotype == fast.genotype


def test_bad_uses_are_refused():
    with pytest.raises(TypeError, match="DARTS space"):
        FastDartsForward(NB201Supernet(C=4, N=1))
    with pytest.raises(ValueError, match="fast=True covers darts1, darts2 and idarts"):
        search(toy_config("gdas"), device="cpu", dataset=toy_dataset(), progress=False, fast=True)
    with pytest.raises(ValueError, match="fast=True covers"):
        search(toy_config("darts1", "nb201"), device="cpu", dataset=toy_dataset(), progress=False, fast=True)


def test_fast_forward_launches_a_third_of_the_operations_at_darts_search_setting():
    """Counted on the meta device (shapes only, the GPU code path): one forward and backward at
    batch 64, C=16, 8 cells, 32x32. Each operation is a kernel launch on a GPU."""
    torch.manual_seed(0)
    net = DartsSupernet(C=16, layers=8).to("meta")
    x, y = torch.empty(64, 3, 32, 32, device="meta"), torch.empty(64, dtype=torch.long, device="meta")
    params = list(net.parameters())
    counts = {name: operation_count(lambda f=forward: torch.autograd.grad(F.cross_entropy(f(x), y), params))
              for name, forward in (("plain", net), ("fast", FastDartsForward(net)))}
    assert counts["plain"] > 15_000  # the original code's order of magnitude: about 18,900 kernels
    assert counts["fast"] < counts["plain"] / 3, counts
