"""The search step never reads a number back from the device, and gives the same results as when it did.

A step that reads a value to the host (``float(loss)``, ``.item()``, ``if torch.isfinite(...)``,
``.nonzero()``, ``.cpu()``) makes the host wait for the device: on a GPU it cannot be captured in
a CUDA graph. On the ``meta`` device every such read raises, so a step that runs there to the end
reads nothing back. The figures the history needs are summed on the device (``EpochSums``) and
read once per epoch; a NaN is still found, at the end of the epoch, with the step it appeared at.
"""

import json
import math
import os

import pytest
import torch

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


# Searches on the toy problem (2 epochs, seed 3, one thread), digested before the step was made
# sync-free: a hash of every tensor of the final supernet, and the history's per-epoch figures.
BEFORE = json.loads("""{
 "darts1-nb201-plain": ["eaee68c112152acc", [1.971315, 1.459425], [0.079824, 0.052217]],
 "darts2-nb201-plain": ["3e22acd9ff1015ae", [1.97098, 1.451654], [0.096592, 0.054328]],
 "idarts-nb201-plain": ["7a97be4402fe4387", [1.974839, 1.454603], [0.073046, 0.043692]],
 "gdas-nb201-plain": ["1156a4154452bcb1", [2.213467, 1.825095], [0.002981, 0.335073]],
 "nadarts-nb201-plain": ["40edf66d7ea92204", [1.972937, 1.463818], [0.072823, 0.077782]],
 "darts1-darts-plain": ["a5ca89d90827d4c1", [2.000028, 0.969335], [0.126785, 0.107416]],
 "darts1-darts-fast": ["ebe562a79479c159", [2.000028, 0.969336], [0.126785, 0.107383]],
 "darts2-darts-fast": ["f130eda3e0cc78e9", [1.996287, 0.944286], [0.196355, 0.11233]],
 "idarts-darts-fast": ["12a8394346d061f6", [2.007164, 0.966476], [0.222973, 0.126526]]
}""")


def _digest(supernet) -> str:
    import hashlib
    h = hashlib.sha256()
    for name, t in supernet.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


@pytest.mark.skipif(not torch.__version__.startswith("2.13"),
                    reason="the digests were taken with torch 2.13's CPU kernels")
@pytest.mark.parametrize("name", list(BEFORE))
def test_searches_give_the_same_results_as_before_the_step_was_sync_free(name):
    method, space, path = name.split("-")
    result = search(toy_config(method, space, epochs=2), seed=3, device="cpu", dataset=toy_dataset(),
                    progress=False, fast=path == "fast")
    state, losses, norms = BEFORE[name]
    assert result.series("train_loss") == losses and result.series("hypergrad_norm") == norms
    assert _digest(result.supernet) == state  # every weight, α and BN statistic, bit for bit


def test_a_nan_is_found_at_the_end_of_the_epoch_with_its_step_and_nothing_is_saved(tmp_path, monkeypatch):
    import nascourse.steps as steps_mod

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
