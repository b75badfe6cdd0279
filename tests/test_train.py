"""Training from scratch: it learns, resumes exactly, adds the auxiliary loss, ramps drop-path,
cuts out squares reproducibly, and refuses bad input with clear errors."""

import dataclasses
import json

import pytest
import torch
import torch.nn.functional as F

import nascourse.data
import nascourse.train as train_mod
from nascourse.cli import main
from nascourse.genotypes import DARTS_V2, NASNET, genotype_to_str
from nascourse.network import DartsNetwork, NB201Network
from nascourse.train import (DartsTrainConfig, NB201TrainConfig, TrainResult, build_network, cutout,
                             make_train_config, train, training_loss)
from test_search import folder_bytes, toy_dataset

NB201_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|"


def toy_train_config(space: str = "darts", **kw):
    sizes = dict(epochs=3, batch_size=32, image_size=8, train_images=None, test_images=None, C=4, lr=0.05)
    sizes.update(layers=3) if space == "darts" else sizes.update(N=1)
    return make_train_config(space, "tiny", **{**sizes, **kw})


def run(space="darts", cell=None, seed=0, **kw):
    config = toy_train_config(space, **{k: v for k, v in kw.items() if k not in ("out", "resume", "overwrite")})
    network = build_network(cell or ("DARTS_V2" if space == "darts" else NB201_CELL), config)
    run_kw = {k: kw[k] for k in ("out", "resume", "overwrite") if k in kw}
    return train(network, config, seed=seed, device="cpu", dataset=DATA, progress=False, **run_kw)


DATA = toy_dataset()


@pytest.mark.parametrize("space", ["darts", "nb201"])
def test_training_lowers_the_loss(space):
    result = run(space)
    losses = result.series("train_loss")
    assert losses[-1] < losses[0], losses
    assert result.history[-1]["test_acc"] > 0.25  # 4 classes: above chance
    assert list(result.history[0]) == ["epoch", "train_loss", "train_acc", "test_loss", "test_acc", "lr",
                                       "drop_path_prob", "seconds"]
    assert result.series("lr") == pytest.approx([0.05, 0.0375, 0.0125])  # cosine to 0 over 3 epochs


def test_drop_path_ramps_linearly_and_is_set_on_the_network(monkeypatch):
    seen = []
    real = train_mod.training_loss

    def spy(network, x, y, weight):
        seen.append(getattr(network, "drop_path_prob", None))
        return real(network, x, y, weight)

    monkeypatch.setattr(train_mod, "training_loss", spy)
    result = run(epochs=4, drop_path_max=0.2)
    assert result.series("drop_path_prob") == pytest.approx([0.0, 0.05, 0.1, 0.15])  # 0.2 * e / 4
    assert sorted(set(seen)) == pytest.approx([0.0, 0.05, 0.1, 0.15])  # what the network used, per epoch
    assert run("nb201", epochs=1).series("drop_path_prob") == [0.0]  # NAS-Bench-201 has no drop-path


def test_auxiliary_loss_has_weight_0_4():
    config = toy_train_config()
    assert config.auxiliary_weight == 0.4
    torch.manual_seed(0)
    network = build_network(DARTS_V2, config).train()
    x, y = torch.randn(8, 3, 8, 8), torch.arange(8) % 4
    loss, main_loss, _ = training_loss(network, x, y, config.auxiliary_weight)
    logits, logits_aux = network(x)  # drop-path 0: the same forward again
    assert logits_aux is not None
    by_hand = F.cross_entropy(logits, y) + 0.4 * F.cross_entropy(logits_aux, y)
    assert float(loss.detach()) == pytest.approx(float(by_hand.detach()), rel=1e-6)
    assert float(main_loss.detach()) == pytest.approx(float(F.cross_entropy(logits, y).detach()), rel=1e-6)
    # auxiliary_weight=0: no head at all
    assert build_network(DARTS_V2, toy_train_config(auxiliary_weight=0.0)).auxiliary_head is None


def test_cutout_zeroes_one_square_reproducibly():
    x = torch.ones(64, 3, 16, 16)
    a = cutout(x, 6, torch.Generator().manual_seed(1))
    b = cutout(x, 6, torch.Generator().manual_seed(1))
    c = cutout(x, 6, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
    zero = a[:, 0] == 0  # (B, H, W)
    assert torch.equal(zero, (a == 0).all(1))  # every channel alike
    rows, cols = zero.any(2).sum(1), zero.any(1).sum(1)  # the square's height and width per image
    assert torch.equal(zero.sum((1, 2)), rows * cols)  # a rectangle
    assert rows.max() == 6 and cols.max() == 6 and rows.min() >= 3 and cols.min() >= 3  # clipped at the border
    inside = (rows == 6) & (cols == 6)
    assert inside.sum() > 10  # most squares fit whole


def test_resume_after_interruption_matches_uninterrupted_run(tmp_path, monkeypatch):
    kw = dict(epochs=3, cutout=4)
    straight = run(seed=2, **kw)
    out = str(tmp_path / "run")
    real = train_mod.evaluate
    calls = {"n": 0}

    def stop_in_epoch_two(*args):
        if calls["n"] == 1:  # epoch 1 was checkpointed; die at the end of epoch 2
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(*args)

    monkeypatch.setattr(train_mod, "evaluate", stop_in_epoch_two)
    with pytest.raises(KeyboardInterrupt):
        run(seed=2, out=out, **kw)
    monkeypatch.setattr(train_mod, "evaluate", real)
    assert len(TrainResult.load(out).history) == 1
    resumed = run(seed=2, out=out, resume=True, **kw)
    strip = [{k: v for k, v in h.items() if k != "seconds"} for h in straight.history]
    assert [{k: v for k, v in h.items() if k != "seconds"} for h in resumed.history] == strip
    for p, q in zip(straight.network.state_dict().values(), resumed.network.state_dict().values()):
        assert torch.equal(p, q)
    loaded = TrainResult.load(out)
    assert loaded.history == resumed.history and loaded.config == resumed.config
    assert loaded.genotype == genotype_to_str(DARTS_V2)


def test_resume_refuses_other_settings_and_a_finished_run_is_kept(tmp_path):
    out = str(tmp_path / "run")
    run(epochs=1, out=out)
    before = folder_bytes(out)
    with pytest.raises(ValueError, match=r"(?m)^  lr: 0.05 in the saved run, 0.1 now$"):
        run(epochs=1, lr=0.1, out=out, resume=True)
    with pytest.raises(ValueError, match=r"(?m)^  seed: 0 in the saved run, 1 now$"):
        run(epochs=1, seed=1, out=out, resume=True)
    with pytest.raises(ValueError, match=r"(?m)^  genotype: "):
        run(epochs=1, cell="NASNET", out=out, resume=True)
    with pytest.raises(ValueError, match="already holds a training.*resume=True.*overwrite=True"):
        run(epochs=1, out=out)
    assert folder_bytes(out) == before
    run(epochs=1, cell="NASNET", out=out, overwrite=True)
    assert TrainResult.load(out).genotype == genotype_to_str(NASNET)


def test_nan_loss_names_epoch_step_and_fix():
    with pytest.raises(FloatingPointError, match=r"epoch 1, step \d+.*lr=1e\+30.*grad_clip"):
        run(epochs=1, lr=1e30, grad_clip=1e30)


def test_paper_defaults():
    d, n = make_train_config("darts", "paper"), make_train_config("nb201", "paper")
    assert (d.epochs, d.batch_size, d.lr, d.lr_min, d.momentum, d.weight_decay, d.grad_clip) == \
        (600, 96, 0.025, 0.0, 0.9, 3e-4, 5.0)
    assert (d.C, d.layers, d.auxiliary_weight, d.drop_path_max, d.cutout, d.nesterov) == (36, 20, 0.4, 0.2, 0, False)
    assert (n.epochs, n.batch_size, n.lr, n.weight_decay, n.nesterov, n.C, n.N) == (200, 256, 0.1, 5e-4, True, 16, 5)
    assert d.train_images is None and d.test_images is None
    tiny = make_train_config("darts", "tiny")
    assert (tiny.epochs, tiny.C, tiny.layers, tiny.batch_size, tiny.image_size) == (2, 8, 5, 64, 16)
    assert (tiny.train_images, tiny.test_images) == (512, 1000)


def test_bad_inputs_get_clear_errors():
    config = toy_train_config()
    with pytest.raises(ValueError, match=r"unknown cell name 'DARTS_V3'.*DARTS_V1, DARTS_V2.*NASNET"):
        build_network("DARTS_V3", config)
    assert isinstance(build_network("darts_v2", config), DartsNetwork)
    assert isinstance(build_network("NasNet", config), DartsNetwork)
    with pytest.raises(ValueError, match="malformed|Genotype"):
        build_network("Genotype(normal=[('sep_conv_3x3', 0)", config)
    with pytest.raises(ValueError, match="malformed NAS-Bench-201 string"):
        build_network("|nor_conv_3x3~0|+|nor_conv_3x3~0|", toy_train_config("nb201"))
    with pytest.raises(ValueError, match="darts-space cells"):
        build_network("DARTS_V2", toy_train_config("nb201"))
    assert isinstance(build_network(["skip_connect"] * 6, toy_train_config("nb201")), NB201Network)
    with pytest.raises(ValueError, match=r"test_images must be None \(all images\) or a whole number of at least 1"):
        toy_train_config(test_images=0)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -1"):
        toy_train_config(lr=-1)
    with pytest.raises(ValueError, match="drop_path_max must lie in"):
        DartsTrainConfig(drop_path_max=1.0)
    with pytest.raises(ValueError, match="cutout must be"):
        NB201TrainConfig(cutout=-2)
    with pytest.raises(ValueError, match=r"has no field\(s\) \['wd'\].*'weight_decay'"):
        make_train_config("darts", "tiny", wd=1e-4)
    with pytest.raises(ValueError, match="darts, nb201"):
        make_train_config("nb101")
    with pytest.raises(ValueError, match=r"test_images=100 but the dataset 'toy' holds 64: pass test_images=None"):
        run(epochs=1, test_images=100)
    with pytest.raises(TypeError, match="NB201Network"):
        train(build_network("DARTS_V2", config), toy_train_config("nb201"), dataset=DATA, progress=False)


@pytest.fixture
def toy_cifar(monkeypatch):
    data = toy_dataset(n=512, size=16, classes=10)  # the tiny preset trains on 512 images, tests on 1000
    test = toy_dataset(n=1000, size=16, classes=10, seed=1)
    data = dataclasses.replace(data, test_images=test.train_images, test_labels=test.train_labels)
    monkeypatch.setattr(nascourse.data, "load_dataset", lambda name="cifar10", **kw: data)


def test_cli_trains_a_published_cell(toy_cifar, tmp_path, capsys):
    out = tmp_path / "t"
    args = ["train", "--cell", "DARTS_V2", "--preset", "tiny", "--epochs", "1", "--out", str(out), "--quiet"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "result.json").read_text())
    assert f"test accuracy {100 * result['history'][-1]['test_acc']:.2f}%" in printed
    assert result["genotype"] == genotype_to_str(DARTS_V2) and len(result["history"]) == 1
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (out / "checkpoint.pt").exists()
    before = folder_bytes(out)
    assert main(args) == 2  # a finished training is not replaced unasked
    assert "--resume" in capsys.readouterr().err and folder_bytes(out) == before
    assert main(["train", "--cell", "DARTS_V9", "--preset", "tiny", "--out", str(tmp_path / "x"), "--quiet"]) == 2
    assert "unknown cell name 'DARTS_V9'" in capsys.readouterr().err


def test_cli_trains_the_cell_of_a_search(toy_cifar, tmp_path, capsys):
    search_out = tmp_path / "search"
    assert main(["search", "--space", "nb201", "--preset", "tiny", "--epochs", "1", "--out", str(search_out),
                 "--quiet"]) == 0
    found = json.loads((search_out / "result.json").read_text())["genotype"]
    out = tmp_path / "t"
    assert main(["train", "--from-search", str(search_out), "--preset", "tiny", "--epochs", "1", "--out", str(out),
                 "--quiet"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["genotype"] == found and result["config"]["space"] == "nb201"
    assert main(["train", "--from-search", str(search_out), "--space", "darts", "--out", str(tmp_path / "y")]) == 2
    assert "ran on nb201" in capsys.readouterr().err


def test_ctrl_c_finishes_the_epoch_then_resume_is_exact(tmp_path, monkeypatch):
    import os
    import signal

    straight = run(seed=4, epochs=3)
    out = str(tmp_path / "run")
    real, calls = train_mod.training_loss, {"n": 0}

    def ctrl_c_in_first_step(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            os.kill(os.getpid(), signal.SIGINT)  # StopAfterStep turns it into a request
        return real(*args)

    monkeypatch.setattr(train_mod, "training_loss", ctrl_c_in_first_step)
    stopped = f"after epoch 1 of 3; its checkpoint is in {out}.*resume=True"
    with pytest.raises(train_mod.TrainingInterrupted, match=stopped):
        run(seed=4, epochs=3, out=out)
    assert calls["n"] == 6  # the whole first epoch ran: 192 images / 32
    monkeypatch.setattr(train_mod, "training_loss", real)
    resumed = run(seed=4, epochs=3, out=out, resume=True)
    assert [h["test_loss"] for h in resumed.history] == [h["test_loss"] for h in straight.history]
