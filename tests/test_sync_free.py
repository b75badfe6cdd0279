"""The search step never reads a number back from the device, and gives the same results as when it did.

A step that reads a value to the host (``float(loss)``, ``.item()``, ``if torch.isfinite(...)``,
``.nonzero()``, ``.cpu()``) makes the host wait for the device: on a GPU it cannot be captured in
a CUDA graph. On the ``meta`` device every such read raises, so a step that runs there to the end
reads nothing back. The figures the history needs are summed on the device (``EpochSums``) and
read once per epoch; a NaN is still found, at the end of the epoch, with the step it appeared at.

The results are compared with the step as it was before, which read every figure back to the host,
run in the same test on the same machine: float rounding differs between processors (AVX2, AVX-512)
in the last bits, so digests of supernets taken on one machine do not hold on another.
"""

import math
import os

import pytest
import torch

import nascourse.search as search_mod
import nascourse.steps as steps_mod
from nascourse import hypergrad
from nascourse.fast import FastDartsForward
from nascourse.history import make_config
from nascourse.search import EpochSums, build_supernet, search
from nascourse.steps import make_optimizers, train_step
from test_search import toy_config, toy_dataset


@pytest.mark.parametrize("method", ["darts1", "darts2", "idarts"])
@pytest.mark.parametrize("space, fast", [("darts", False), ("darts", True), ("nb201", False)])
def test_a_search_step_reads_nothing_back_to_the_host(method, space, fast):
    config = make_config(method, space, "tiny", C=4, layers=3, N=1, batch_size=4, image_size=8)
    supernet = build_supernet(config).to("meta")
    w_opt, a_opt = make_optimizers(supernet, config)
    x, y = torch.empty(4, 3, 8, 8, device="meta"), torch.zeros(4, dtype=torch.long, device="meta")
    forward = FastDartsForward(supernet) if fast else None
    sums = EpochSums("meta")
    for step in range(2):  # the second step reads the optimisers' state written by the first
        loss, acc, norm = train_step(supernet, w_opt, a_opt, (x, y), (x, y), config, 0.025, step, None,
                                     torch.Generator(), forward)
        sums.add(step, loss, acc, norm)
    assert loss.device.type == "meta" and norm.device.type == "meta" and norm.dtype == torch.float64
    with pytest.raises(RuntimeError, match="meta"):  # the detector works: a read raises there
        float(loss)


def test_eps_on_the_device_is_the_hosts_to_the_last_bit():
    g = torch.Generator().manual_seed(0)
    for scale in (1e-3, 1.0, 1e3):
        v = [scale * torch.randn(7, 5, generator=g), scale * torch.randn(3, generator=g)]
        host = 0.01 / math.sqrt(float(sum((t ** 2).sum() for t in v)))  # the papers' ε, in Python
        eps = hypergrad._eps(v, 0.01)
        assert eps.dtype == torch.float64 and float(eps) == host
        assert torch.equal(v[0] + eps * v[0], v[0] + host * v[0])  # the same float32 step w + εv
        assert torch.equal(v[0] / (2 * eps), v[0] / (2 * host))
    zero = [torch.zeros(4), torch.zeros(2)]
    assert float(hypergrad._eps(zero, 0.01)) == 1.0  # v = 0: w ± εv = w, and M·v is 0, not NaN


def test_mixed_product_by_finite_differences_is_unchanged():
    torch.manual_seed(0)
    w, a = torch.randn(6, requires_grad=True), torch.randn(3, requires_grad=True)
    x = torch.randn(10, 6)

    def train_loss():
        return (torch.tanh(x @ w) * (x[:, :3] @ a)).pow(2).mean()

    v = [torch.randn(6)]
    got = hypergrad._mixed(train_loss, [w], [a], v, "finite_difference", 0.01, "test")
    eps = 0.01 / math.sqrt(float((v[0] ** 2).sum()))  # by hand, with ε on the host
    w0 = w.detach().clone()
    with torch.no_grad():
        w.copy_(w0 + eps * v[0])
    plus = torch.autograd.grad(train_loss(), a)[0]
    with torch.no_grad():
        w.copy_(w0 - eps * v[0])
    minus = torch.autograd.grad(train_loss(), a)[0]
    with torch.no_grad():
        w.copy_(w0)
    assert torch.equal(got[0], (plus - minus) / (2 * eps))
    assert torch.equal(hypergrad._mixed(train_loss, [w], [a], [torch.zeros(6)], "finite_difference", 0.01,
                                        "test")[0], torch.zeros(3))


# The previous computation, run beside the sync-free one in the test below: the search step as it
# was before it became sync-free, reading every figure back to the host as soon as it is made. Only
# the pieces the sync-free step changed are replaced; the rest is the library's own code, so the two
# runs execute the same kernels on the same inputs, and on one machine they agree to the last bit.

def _mixed_on_host(train_loss, weights, arch, v, mixed, eps_scale, method, eps_norm=None):
    """M·v by finite differences with ε = eps_scale / ‖v‖ a Python float (DARTS eq. 8)."""
    assert mixed == "finite_difference"  # the searches below use DARTS's differences
    norm = hypergrad._norm(v)  # a read back to the host
    if norm == 0.0:  # M·0 = 0
        return [torch.zeros_like(a) for a in arch]
    eps = eps_scale / (float(eps_norm) if eps_norm is not None else norm)  # iDARTS scales by ‖v0‖
    return hypergrad._mixed_fd(train_loss, weights, arch, v, eps, method)


def _hypergradient_checked(*args, **kwargs):
    """The hypergradient with every loss checked for NaN as it is computed (a read per loss)."""
    return hypergrad.hypergradient(*args, **{**kwargs, "check_finite": True})


def _arch_update_on_host(a_opt, alphas, grads) -> float:
    """One Adam step on alpha; the norm of the (hyper)gradients summed in Python floats."""
    a_opt.zero_grad(set_to_none=True)
    for a, g in zip(alphas, grads):
        a.grad = g
    a_opt.step()
    return math.sqrt(sum(float(g.pow(2).sum()) for g in grads))


class _SumsOnHost:
    """The epoch's figures as Python floats: each step's loss, accuracy and norm read and checked at once."""

    def __init__(self, device, saved=None):
        self.train_loss = self.train_acc = self.hypergrad_norm = 0.0

    def add(self, step, loss, acc, norm):
        assert norm is None or isinstance(norm, float)  # the norm came from _arch_update_on_host
        if not math.isfinite(float(loss)) or (norm is not None and not math.isfinite(norm)):
            raise FloatingPointError(f"step {step}: the training loss is {float(loss)}")
        self.train_loss += float(loss)
        self.train_acc += float(acc)
        if norm is not None:
            self.hypergrad_norm += norm

    def check(self, epoch, config):
        pass  # every step was checked in add


def _search(name: str, monkeypatch, sums_class) -> tuple:
    """A 2-epoch toy search (seed 3) with ``sums_class`` summing each epoch; returns the result and,
    per epoch, the unrounded sums of training loss, accuracy and hypergradient norm."""
    totals = []

    class Recorded(sums_class):
        def check(self, epoch, config):
            super().check(epoch, config)
            totals.append((float(self.train_loss), float(self.train_acc), float(self.hypergrad_norm)))

    monkeypatch.setattr(search_mod, "EpochSums", Recorded)
    method, space, path = name.split("-")
    result = search(toy_config(method, space, epochs=2), seed=3, device="cpu", dataset=toy_dataset(),
                    progress=False, fast=path == "fast")
    return result, totals


SEARCHES = ["darts1-nb201-plain", "darts2-nb201-plain", "idarts-nb201-plain", "gdas-nb201-plain",
            "nadarts-nb201-plain", "darts1-darts-plain", "darts1-darts-fast", "darts2-darts-fast",
            "idarts-darts-fast"]


@pytest.mark.parametrize("name", SEARCHES)
def test_searches_give_the_same_results_as_before_the_step_was_sync_free(name, monkeypatch):
    sync_free, free_totals = _search(name, monkeypatch, EpochSums)
    mixed_calls = []

    def mixed_on_host(*args, **kwargs):
        mixed_calls.append(args[4])
        return _mixed_on_host(*args, **kwargs)

    with monkeypatch.context() as before_sync_free:
        before_sync_free.setattr(hypergrad, "_mixed", mixed_on_host)
        before_sync_free.setattr(steps_mod, "hypergradient", _hypergradient_checked)
        before_sync_free.setattr(steps_mod, "arch_update", _arch_update_on_host)
        on_host, host_totals = _search(name, before_sync_free, _SumsOnHost)
    assert bool(mixed_calls) == name.startswith(("darts2", "idarts"))  # the reference formed M·v on the host
    assert len(free_totals) == len(host_totals) == 2
    assert free_totals == host_totals  # per epoch: the sums of losses, accuracies and norms, bit for bit
    untimed = [[{k: v for k, v in r.items() if k != "seconds"} for r in res.history] for res in (sync_free, on_host)]
    assert untimed[0] == untimed[1]
    state, reference = sync_free.supernet.state_dict(), on_host.supernet.state_dict()
    assert state.keys() == reference.keys()
    for key, tensor in state.items():  # every weight, α and BN statistic, bit for bit
        assert torch.equal(tensor, reference[key]), key


def test_a_nan_is_found_at_the_end_of_the_epoch_with_its_step_and_nothing_is_saved(tmp_path, monkeypatch):
    real, calls = steps_mod.weight_step, {"n": 0}

    def nan_from_step_two(*args, **kwargs):
        loss, acc = real(*args, **kwargs)
        calls["n"] += 1
        return (loss * float("nan"), acc) if calls["n"] >= 2 else (loss, acc)

    monkeypatch.setattr(steps_mod, "weight_step", nan_from_step_two)
    out = str(tmp_path / "run")
    with pytest.raises(FloatingPointError, match=r"epoch 1, step 2: the training loss is nan\. Lower the weight"):
        search(toy_config("darts1", "nb201"), seed=0, device="cpu", dataset=toy_dataset(), out=out, progress=False)
    assert calls["n"] == 3  # the epoch ran to its end (3 steps) before its one look at the device
    assert not any(os.path.exists(os.path.join(out, f)) for f in ("result.json", "checkpoint.pt"))  # nothing saved


def test_epoch_sums_add_in_float64_as_python_did_and_survive_a_checkpoint():
    sums, expected = EpochSums("cpu"), 0.0
    g = torch.Generator().manual_seed(1)
    for step in range(20):
        loss = torch.rand((), generator=g) * 3
        sums.add(step, loss, torch.tensor(0.5), torch.tensor(0.1, dtype=torch.float64))
        expected += float(loss)
    assert float(sums.train_loss) == expected and int(sums.first_bad) == -1
    again = EpochSums("cpu", sums.to_dict())
    assert again.to_dict() == sums.to_dict()
    sums.add(20, torch.tensor(1.0), torch.tensor(0.5), torch.tensor(float("inf"), dtype=torch.float64))
    sums.add(21, torch.tensor(float("nan")), torch.tensor(0.5), None)
    assert int(sums.first_bad) == 20 and float(sums.bad_loss) == 1.0
    with pytest.raises(FloatingPointError, match=r"step 21: the architecture gradient is not finite"):
        sums.check(0, toy_config("darts1"))
