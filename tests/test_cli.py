"""The `nascourse` command: a search end to end on toy data, and its errors."""

import json
import subprocess
import sys

import pytest

import nascourse.data
from nascourse.cli import main
from nascourse.genotypes import genotype_from_str
from test_search import toy_dataset


@pytest.fixture
def toy_cifar(monkeypatch):
    data = toy_dataset(n=512, size=16, classes=10)  # the tiny preset searches on 512 images
    monkeypatch.setattr(nascourse.data, "load_dataset", lambda name="cifar10", **kw: data)


@pytest.mark.parametrize("space", ["nb201", "darts"])
def test_search_writes_result_cell_and_alpha(space, toy_cifar, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["search", "--space", space, "--preset", "tiny", "--epochs", "1", "--out", str(out),
                 "--quiet"]) == 0
    printed = capsys.readouterr().out
    result = json.loads((out / "result.json").read_text())
    assert result["genotype"] in printed and len(result["history"]) == 1
    for name in ("cell.png", "alpha.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if space == "nb201":  # the cell's real accuracy, from the benchmark table
        from nascourse import bench

        assert f"CIFAR-10 test accuracy of this cell: {bench.lookup(result['genotype']).cifar10:.2f}%" in printed
    if space == "darts":
        genotype = genotype_from_str(result["genotype"])
        assert f"width {result['history'][0]['width']:g}c, depth {result['history'][0]['depth']}" in printed
        assert len(genotype.normal) == 8
        from nascourse import nb301
        from nascourse.genotypes import DARTS_V2

        v2 = nb301.predict(DARTS_V2, 98)[0, 0]
        assert (f"NAS-Bench-301's surrogate predicts this cell's CIFAR-10 validation accuracy: "
                f"{result['history'][0]['nb301_val_98']:.2f}% after 98 epochs") in printed
        assert f"(DARTS_V2: {v2:.2f}%" in printed
    # the same seed gives the same genotype
    assert main(["search", "--space", space, "--preset", "tiny", "--epochs", "1", "--out", str(tmp_path / "again"),
                 "--quiet"]) == 0
    assert json.loads((tmp_path / "again" / "result.json").read_text())["genotype"] == result["genotype"]


@pytest.mark.parametrize("flag, value, valid", [("--space", "nb101", "darts, nb201"),
                                                 ("--method", "nasnet", "darts1, darts2, idarts, gdas, rsws, snas, enas"),
                                                 ("--preset", "huge", "tiny, colab, paper")])
def test_unknown_choices_list_the_valid_ones(flag, value, valid, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["search", flag, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert value in err and all(v in err for v in valid.split(", "))


def test_bad_epochs_and_missing_resume_are_reported(toy_cifar, tmp_path, capsys):
    with pytest.raises(SystemExit, match="--epochs must be at least 1"):
        main(["search", "--epochs", "0"])
    assert main(["search", "--space", "nb201", "--preset", "tiny", "--out", str(tmp_path / "none"), "--resume",
                 "--quiet"]) == 2
    assert "--resume needs the folder of an earlier search with its checkpoint.pt" in capsys.readouterr().err


def test_nadarts_with_sharpness_from_the_command_line(toy_cifar, tmp_path, capsys):
    out = tmp_path / "na"
    assert main(["search", "--space", "nb201", "--method", "nadarts", "--preset", "tiny", "--epochs", "2",
                 "--hessian-every", "1", "--neighbours", "1", "--beta", "0.3", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["config"]["method"] == "nadarts" and (result["config"]["k"], result["config"]["beta"]) == (1, 0.3)
    assert all(h["alpha_eig"] > 0 for h in result["history"])
    with pytest.raises(SystemExit, match="--neighbours is an option of --method nadarts"):
        main(["search", "--method", "darts1", "--neighbours", "2"])
    assert main(["search", "--space", "nb201", "--preset", "tiny", "--early-stop", "--out", str(tmp_path / "es"),
                 "--quiet"]) == 2
    assert "--early-stop (DARTS-ES) watches" in (err := capsys.readouterr().err) and "--hessian-every 2" in err


def test_snas_and_enas_from_the_command_line(toy_cifar, tmp_path, capsys):
    for method in ("snas", "enas"):
        out = tmp_path / method
        assert main(["search", "--method", method, "--preset", "tiny", "--epochs", "1", "--out", str(out),
                     "--quiet"]) == 0
        result = json.loads((out / "result.json").read_text())
        assert result["config"]["method"] == method and result["genotype"] in capsys.readouterr().out
        assert (out / "alpha.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 0 < result["history"][0]["controller_reward"] <= 1  # ENAS's reward: validation accuracy
    assert main(["select", "--from", str(tmp_path / "enas"), "--method", "magnitude", "--quiet"]) == 2
    assert "whose controller chose its cell" in capsys.readouterr().err
    assert main(["search", "--space", "nb201", "--method", "enas", "--out", str(tmp_path / "no"), "--quiet"]) == 2
    assert "use --space darts" in capsys.readouterr().err


def test_module_entry_point_answers_help():
    done = subprocess.run([sys.executable, "-m", "nascourse", "search", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--method" in done.stdout


def test_train_help_answers_without_torch():
    code = ("import sys\nfrom nascourse.cli import main\ntry:\n    main(['train', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and "--from-search" in done.stdout and done.stdout.strip().endswith("False")
