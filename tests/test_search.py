"""Search loops: every method learns on a toy problem, alpha moves, seeds reproduce, resume is exact."""


import pytest
import torch
import torch.nn.functional as F

from nascourse import batches as batches_mod

from nascourse.config import seed_everything

from nascourse.data import Dataset
from nascourse.genotypes import Genotype, genotype_from_str
from nascourse.nb201 import nb201_format
from nascourse.history import SearchResult, make_config
from nascourse.search import build_supernet, search
from nascourse.steps import cosine_lr, gumbel_weights, sample_path
from nascourse.supernet import DartsSupernet, NB201Supernet

METHODS = ["darts1", "darts2", "idarts", "gdas", "rsws", "fixed", "nadarts", "snas"]  # and enas: DARTS space only


def toy_dataset(n: int = 192, size: int = 8, classes: int = 4, seed: int = 0) -> Dataset:
    """Images whose class sets the brightness of one colour channel: learnable in a few steps."""
    g = torch.Generator().manual_seed(seed)

    def make(m):
        labels = torch.arange(m) % classes
        images = torch.randint(0, 96, (m, 3, size, size), generator=g)
        images[:, 0] += (labels * 50).view(-1, 1, 1)  # class -> red level
        return images.clamp(0, 255).to(torch.uint8), labels

    x, y = make(n)
    xt, yt = make(64)
    return Dataset(x, y, xt, yt, [f"c{i}" for i in range(classes)], "toy", (0.4, 0.2, 0.2), (0.25, 0.2, 0.2), "toy")


def toy_config(method: str, space: str = "darts", **kw):
    sizes = dict(epochs=2, batch_size=32, image_size=8, search_images=None, C=4, layers=3, N=1,
                 w_lr=0.05, a_lr=0.01)
    if method == "rsws":
        sizes.update(candidates=3, rank_batches=1)
    if method == "enas":
        sizes.update(candidates=3, controller_steps=2, controller_aggregate=3)
    return make_config(method, space, "tiny", **{**sizes, **kw})


@pytest.fixture(scope="module")
def data():
    return toy_dataset()


# Every method on the cheap NAS-Bench-201 supernet; the DARTS space for the first-order ones (the
# second-order estimators are the same code on either supernet, and cost 3-5 times more).
@pytest.mark.parametrize("method, space", [(m, "nb201") for m in METHODS]
                         + [(m, "darts") for m in ("darts1", "gdas", "rsws", "nadarts", "snas", "enas")])
def test_each_method_lowers_its_training_loss(method, space, data):
    epochs = 6 if method == "enas" else 3  # a new sampled cell per minibatch: a noisier loss, 3 more epochs
    config = toy_config(method, space, epochs=epochs)
    result = search(config, seed=0, device="cpu", dataset=data, progress=False)
    losses = result.series("train_loss")
    assert len(result.history) == epochs
    assert losses[-1] < losses[0], losses
    alpha0 = torch.tensor(result.history[0]["alpha"][0])
    # softmax rows; RSWS records the one-hot rows of its best path, with zeros on unused edges; ENAS
    # the controller's edge frequencies, whose rows exceed 1 where a node read one input twice
    assert torch.allclose(alpha0.sum(1), torch.ones(len(alpha0)), atol=1e-4) or method == "rsws" \
        or (method == "enas" and bool((alpha0.sum(1) >= 1 - 1e-6).all()))
    for h in result.history:
        assert h["seconds"] > 0 and 0 <= h["val_acc"] <= 1
    if method not in ("rsws", "fixed"):  # the two without an architecture step
        assert result.history[-1]["hypergrad_norm"] > 0
    if space == "darts":  # a Genotype object, and its string form
        assert isinstance(result.genotype, Genotype) and result.history[-1]["width"] >= 1
        assert result.genotype_str.startswith("Genotype(") and genotype_from_str(result.genotype_str) == result.genotype
    else:  # NAS-Bench-201: the 6 operation names, and the benchmark string
        assert len(result.genotype) == 6 and nb201_format(result.genotype) == result.genotype_str


@pytest.mark.parametrize("method, space", [("darts1", "darts"), ("darts2", "darts"), ("idarts", "nb201"),
                                           ("gdas", "darts")])
def test_alpha_moves(method, space, data):
    config = toy_config(method, space, epochs=1)
    torch.manual_seed(0)
    result = search(config, seed=3, device="cpu", dataset=data, progress=False)
    # alpha starts at 1e-3 * N(0, 1), so below 0.01 everywhere; three Adam steps move it further
    assert max(float(a.detach().abs().max()) for a in result.supernet.arch_parameters()) > 0.01


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_fixed_alpha_training_leaves_alpha_bit_for_bit_unchanged(space, data):
    config = toy_config("fixed", space, epochs=2)
    result = search(config, seed=4, device="cpu", dataset=data, progress=False)
    seed_everything(4)  # search() seeds, then builds the supernet: the same initial alpha
    initial = build_supernet(config)
    assert all(torch.equal(a, b) for a, b in zip(result.supernet.arch_parameters(), initial.arch_parameters()))
    assert result.history[0]["alpha"] == result.history[1]["alpha"]
    assert not all(torch.equal(w, v) for w, v in zip(result.supernet.weight_parameters(),
                                                      initial.weight_parameters()))  # the weights did train


def test_rsws_leaves_alpha_alone(data):
    result = search(toy_config("rsws", epochs=1), seed=0, device="cpu", dataset=data, progress=False)
    init = DartsSupernet(C=4, layers=3)
    assert all(a.abs().max() < 0.01 for a in result.supernet.arch_parameters())
    assert len(init.arch_parameters()) == len(result.supernet.arch_parameters())


@pytest.mark.parametrize("method, space", [("darts2", "nb201"), ("gdas", "nb201"), ("darts1", "darts"),
                                           ("snas", "nb201"), ("enas", "darts")])
def test_same_seed_same_search(method, space, data):
    a = search(toy_config(method, space), seed=5, device="cpu", dataset=data, progress=False)
    b = search(toy_config(method, space), seed=5, device="cpu", dataset=data, progress=False)
    c = search(toy_config(method, space), seed=6, device="cpu", dataset=data, progress=False)
    assert a.history[-1]["alpha"] == b.history[-1]["alpha"]
    assert a.genotype == b.genotype
    assert a.history[-1]["alpha"] != c.history[-1]["alpha"]


@pytest.mark.parametrize("method, space, hessian", [(m, "nb201", 0) for m in METHODS]
                         + [("darts1", "darts", 0), ("nadarts", "darts", 1), ("snas", "darts", 0),
                            ("enas", "darts", 0)])
def test_resume_after_interruption_matches_uninterrupted_run(method, space, hessian, data, tmp_path, monkeypatch):
    config = toy_config(method, space, epochs=3, hessian_every=hessian)
    straight = search(config, seed=2, device="cpu", dataset=data, progress=False)
    out = str(tmp_path / "run")
    import nascourse.search as search_mod

    real = search_mod.epoch_record
    calls = {"n": 0}

    def interrupt_after_two_epochs(*args, **kwargs):
        if calls["n"] == 2:  # stop in epoch 3, after two epochs were checkpointed
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(search_mod, "epoch_record", interrupt_after_two_epochs)
    with pytest.raises(KeyboardInterrupt):
        search(config, seed=2, device="cpu", dataset=data, out=out, progress=False)
    monkeypatch.setattr(search_mod, "epoch_record", real)
    assert len(SearchResult.load(out).history) == 2
    resumed = search(config, seed=2, device="cpu", dataset=data, out=out, resume=True, progress=False)
    for a, b in zip(straight.history, resumed.history):
        a, b = dict(a), dict(b)
        a.pop("seconds"), b.pop("seconds")
        assert a == b
    for p, q in zip(straight.supernet.state_dict().values(), resumed.supernet.state_dict().values()):
        assert torch.equal(p, q)


def test_resume_refuses_another_configuration(data, tmp_path):
    out = str(tmp_path / "run")
    search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, out=out, progress=False)
    before = folder_bytes(out)
    with pytest.raises(ValueError, match=r"(?m)^  w_lr: 0.05 in the saved run, 0.1 now$"):
        search(toy_config("darts1", w_lr=0.1), seed=0, device="cpu", dataset=data, out=out, resume=True,
               progress=False)
    with pytest.raises(ValueError, match=r"(?m)^  seed: 0 in the saved run, 1 now$"):
        search(toy_config("darts1", epochs=1), seed=1, device="cpu", dataset=data, out=out, resume=True,
               progress=False)
    assert folder_bytes(out) == before


def folder_bytes(folder) -> dict:
    """{name: bytes} of every file in ``folder``: a refused command must leave it exactly as it was."""
    import os

    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


def test_saved_result_round_trips(data, tmp_path):
    result = search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, progress=False)
    result.save(str(tmp_path))
    loaded = SearchResult.load(str(tmp_path), with_supernet=True)
    assert loaded.config == result.config and loaded.history == result.history
    for p, q in zip(loaded.supernet.state_dict().values(), result.supernet.state_dict().values()):
        assert torch.equal(p, q)
    with pytest.raises(FileNotFoundError, match="nascourse search"):
        SearchResult.load(str(tmp_path / "missing"))


def test_nan_loss_names_epoch_and_step(data):
    with pytest.raises(FloatingPointError, match=r"epoch 1, step \d+.*w_lr"):
        search(toy_config("darts1", w_lr=1e30, grad_clip=1e30), seed=0, device="cpu", dataset=data,
               progress=False)


def test_config_errors_list_valid_choices():
    with pytest.raises(ValueError, match="darts1, darts2, idarts, gdas, rsws, fixed, nadarts, snas, enas"):
        make_config("nasnet")
    with pytest.raises(ValueError, match="darts, nb201"):
        make_config("darts1", "nasbench101")
    with pytest.raises(ValueError, match="tiny, colab, paper"):
        make_config("darts1", "darts", "huge")
    with pytest.raises(ValueError, match="no field"):
        make_config("darts1", K=3)


def test_paper_configs_follow_the_papers():
    darts = make_config("darts2", "darts", "paper")
    assert (darts.epochs, darts.batch_size, darts.w_lr, darts.w_lr_min, darts.w_weight_decay) == (50, 64, 0.025, 0.001, 3e-4)
    assert (darts.a_lr, darts.a_betas, darts.a_weight_decay, darts.C, darts.layers) == (3e-4, (0.5, 0.999), 1e-3, 16, 8)
    gdas = make_config("gdas", "nb201", "paper")
    assert (gdas.epochs, gdas.w_nesterov, gdas.w_weight_decay, gdas.tau_max, gdas.tau_min) == (250, True, 5e-4, 10, 0.1)
    idarts = make_config("idarts", "nb201", "paper")
    assert (idarts.K, idarts.epochs, idarts.w_lr) == (2, 30, 0.01)
    config = make_config("darts1", "darts", "paper")
    assert cosine_lr(config, 0) == pytest.approx(0.025) and cosine_lr(config, 50) == pytest.approx(0.001)
    snas = make_config("snas", "darts", "paper")  # SNAS-Series's train_search.py
    assert (snas.epochs, snas.tau_max, snas.tau_min, snas.a_grad_clip, snas.w_lr) == (150, 1.0, 0.03, 10.0, 0.025)
    enas = make_config("enas", "darts", "paper")  # ENAS's scripts/cifar10_micro_search.sh
    assert (enas.epochs, enas.w_lr, enas.w_lr_min, enas.w_weight_decay, enas.w_nesterov) == (150, 0.05, 5e-4, 1e-4, True)
    assert (enas.controller_lr, enas.tanh_constant, enas.op_tanh_reduce, enas.entropy_weight, enas.baseline_decay,
            enas.controller_steps, enas.controller_aggregate, enas.lstm_size) == (0.0035, 1.1, 2.5, 1e-4, 0.99, 30, 10, 64)


def test_gumbel_weights_are_straight_through_one_hots():
    alpha = torch.randn(6, 5, requires_grad=True)
    w = gumbel_weights(alpha, 1.0, torch.Generator().manual_seed(0))
    assert torch.equal(w.detach(), torch.nn.functional.one_hot(w.detach().argmax(1), 5).float())
    (w * torch.randn(6, 5)).sum().backward()
    assert alpha.grad is not None and alpha.grad.abs().sum() > 0
    # low temperature follows alpha: a dominant logit wins every sample
    alpha = torch.zeros(1, 5)
    alpha[0, 3] = 10
    g = torch.Generator().manual_seed(1)
    assert all(int(gumbel_weights(alpha, 0.1, g).argmax()) == 3 for _ in range(20))


def test_sampled_paths_are_valid_architectures():
    g = torch.Generator().manual_seed(0)
    sn = DartsSupernet(C=4, layers=3)
    for _ in range(20):
        normal, reduce = sample_path(sn, g)
        for w in (normal, reduce):
            start, n = 0, 2
            while start < 14:
                rows = w[start:start + n]
                assert int(rows.sum()) == 2 and int((rows.sum(1) > 0).sum()) == 2  # two distinct inputs
                assert rows[:, 0].sum() == 0  # never none
                start, n = start + n, n + 1
    nb = NB201Supernet(C=4, N=1)
    (w,) = sample_path(nb, g)
    assert w.shape == (6, 5) and torch.equal(w.sum(1), torch.ones(6))


def test_nb201_history_records_the_derived_cells_real_accuracy(data, tmp_path):
    from nascourse import bench

    result = search(toy_config("darts1", "nb201", epochs=2), seed=0, device="cpu", dataset=data, progress=False)
    for h in result.history:
        record = bench.lookup(h["genotype"])
        assert h["bench_cifar10_200"] == record.cifar10 and h["bench_cifar10_12"] == record.cifar10_test12
    result.save(str(tmp_path))
    assert SearchResult.load(str(tmp_path)).history == result.history
    # a result saved without the look-ups gets them when it is loaded
    import json

    d = json.loads((tmp_path / "result.json").read_text())
    for h in d["history"]:
        del h["bench_cifar10_200"], h["bench_cifar10_12"]
    (tmp_path / "result.json").write_text(json.dumps(d))
    assert SearchResult.load(str(tmp_path)).history == result.history


def test_darts_history_records_the_surrogates_prediction(data, tmp_path, monkeypatch):
    from nascourse import history, nb301

    result = search(toy_config("darts1", epochs=2), seed=0, device="cpu", dataset=data, progress=False)
    for h in result.history:
        assert [h["nb301_val_12"], h["nb301_val_98"]] == nb301.predict(h["genotype"], [12, 98]).round(4)[0].tolist()
    result.save(str(tmp_path))
    assert SearchResult.load(str(tmp_path)).history == result.history
    # a result saved without the predictions gets them when it is loaded
    import json

    d = json.loads((tmp_path / "result.json").read_text())
    for h in d["history"]:
        del h["nb301_val_12"], h["nb301_val_98"]
    (tmp_path / "result.json").write_text(json.dumps(d))
    assert SearchResult.load(str(tmp_path)).history == result.history
    # without onnxruntime the search runs and records None
    monkeypatch.setattr(history.nb301, "available", lambda: False)
    result = search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, progress=False)
    assert (result.history[0]["nb301_val_12"], result.history[0]["nb301_val_98"]) == (None, None)


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_nadarts_without_neighbours_is_darts1_to_the_last_bit(space, data):
    darts = search(toy_config("darts1", space), seed=7, device="cpu", dataset=data, progress=False)
    na = search(toy_config("nadarts", space, k=0), seed=7, device="cpu", dataset=data, progress=False)
    assert [h["alpha"] for h in na.history] == [h["alpha"] for h in darts.history]
    for p, q in zip(darts.supernet.state_dict().values(), na.supernet.state_dict().values()):
        assert torch.equal(p, q)
    with_neighbours = search(toy_config("nadarts", space, k=2), seed=7, device="cpu", dataset=data, progress=False)
    assert with_neighbours.history[-1]["alpha"] != darts.history[-1]["alpha"]


def test_recorded_alpha_eigenvalue_is_the_dense_hessians_largest(data):
    config = toy_config("darts1", "nb201", epochs=3, hessian_every=2, hessian_iters=500)
    result = search(config, seed=1, device="cpu", dataset=data, progress=False)
    # every 2 epochs and at the last one; None between
    assert [h["alpha_eig"] is None for h in result.history] == [True, False, False]
    supernet = result.supernet.double()
    x, y = batches_mod.search_split(data, config.batch_size, config.image_size, config.search_images, "cpu",
                                    1)[1].plain_batches(1)[0]
    alpha = supernet.alpha
    supernet.train()
    g = torch.autograd.grad(F.cross_entropy(supernet(x.double()), y), alpha, create_graph=True)[0].reshape(-1)
    H = torch.stack([torch.autograd.grad(g[i], alpha, retain_graph=True)[0].reshape(-1) for i in range(len(g))])
    exact = float(torch.linalg.eigvalsh(H + config.a_weight_decay * torch.eye(len(H), dtype=H.dtype)).max())
    assert result.history[-1]["alpha_eig"] == pytest.approx(exact, rel=1e-3)  # float32 search, tolerance 1e-3
    assert result.history[-1]["alpha_eig_converged"]


def test_darts_es_stops_the_search_and_returns_the_earlier_genotype(data, tmp_path, monkeypatch):
    import nascourse.search as search_mod

    grow = iter([0.1, 0.2, 0.4, 0.8])  # doubles each epoch: fires at the first comparison allowed
    monkeypatch.setattr(search_mod, "alpha_hessian_max_eigenvalue",
                        lambda *a, **k: type("E", (), {"value": next(grow), "converged": True})())
    config = toy_config("darts1", "nb201", epochs=4, hessian_every=1, early_stop=True, es_window=1, es_delta=1,
                        es_start_epoch=1)
    out = str(tmp_path / "run")
    result = search(config, seed=0, device="cpu", dataset=data, out=out, progress=False)
    assert len(result.history) == 2  # epoch 2's value doubled epoch 1's: stop, and return epoch 1's cell
    assert result.early_stop == {"epoch": 1, "fired": 2, "ratio": 2.0}
    assert result.genotype_str == result.history[0]["genotype"]
    loaded = SearchResult.load(out)
    assert loaded.early_stop == result.early_stop and loaded.genotype_str == result.history[0]["genotype"]
    again = search(config, seed=0, device="cpu", dataset=data, out=out, resume=True, progress=False)
    assert len(again.history) == 2  # a stopped search stays stopped
    with pytest.raises(ValueError, match="hessian_every"):
        toy_config("darts1", "nb201", early_stop=True)
    with pytest.raises(ValueError, match="k must be"):
        toy_config("nadarts", "nb201", k=-1)
