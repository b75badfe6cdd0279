"""Run folders never lose work: refusals that leave a folder as it was, safe checkpoints, Ctrl-C and
exact mid-epoch resume, file permissions, and the command line's words for all of it."""

import errno
import json
import os
import signal
import stat
import subprocess
import sys

import pytest
import torch

import nascourse.data
import nascourse.search as search_mod
from nascourse.cli import cli_words, main
from nascourse.config import progress_disabled
from nascourse.history import SearchResult
from nascourse.runs import (RunFolderError, StopAfterStep, atomic_write, load_checkpoint_file, prepare_folder,
                            settings_diff)
from nascourse.search import SearchInterrupted, search
from test_search import folder_bytes, toy_config, toy_dataset


@pytest.fixture(scope="module")
def data():
    return toy_dataset()


@pytest.fixture(scope="module")
def cifar_sized():
    return toy_dataset(n=512, size=16, classes=10)  # the tiny preset searches on 512 images of 16x16


@pytest.fixture
def toy_cifar(monkeypatch, cifar_sized):
    """The command line's dataset; the list records every load, so a refusal can show it loaded nothing."""
    calls = []
    monkeypatch.setattr(nascourse.data, "load_dataset", lambda name="cifar10", **kw: calls.append(name) or cifar_sized)
    return calls


@pytest.fixture(scope="module")
def finished(data, tmp_path_factory):
    """A finished one-epoch darts1 search in a folder (copied per test where it is changed)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, out=str(out), progress=False)
    return out


def copy_of(folder, tmp_path):
    import shutil

    return shutil.copytree(folder, tmp_path / "copy")


TOY = ["--space", "darts", "--preset", "tiny", "--epochs", "1", "--quiet"]


# 1. a finished run is never silently overwritten
def test_a_folder_with_a_run_is_refused_unless_resume_or_overwrite(finished, data, tmp_path, toy_cifar, capsys):
    out = copy_of(finished, tmp_path)
    before = folder_bytes(out)
    with pytest.raises(RunFolderError, match=r"already holds a search \(darts1 on darts, seed 0, finished\).*"
                                             r"resume=True.*overwrite=True"):
        search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, out=str(out), progress=False)
    assert main(["search", *TOY, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--resume to continue it, --overwrite to replace it, or choose another --out folder" in err
    assert folder_bytes(out) == before and toy_cifar == []  # refused before any work
    # --overwrite replaces the run's files, and keeps a file of the user's
    (out / "notes.txt").write_text("mine")
    assert main(["search", *TOY, "--seed", "3", "--out", str(out), "--overwrite"]) == 0
    assert json.loads((out / "result.json").read_text())["seed"] == 3 and (out / "notes.txt").read_text() == "mine"


# 2. a resumed run is never a mix of two
def test_resume_with_another_seed_is_refused_with_one_line_per_setting(finished, tmp_path, toy_cifar, capsys):
    out = copy_of(finished, tmp_path)
    before = folder_bytes(out)
    assert main(["search", *TOY, "--seed", "1", "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "\n  seed: 0 in the saved run, 1 now\n" in err and "{" not in err
    assert main(["search", *TOY[:-3], "--epochs", "2", "--quiet", "--out", str(out), "--resume"]) == 2
    assert "  epochs: 1 in the saved run, 2 now" in capsys.readouterr().err
    assert folder_bytes(out) == before


def test_resuming_a_finished_run_returns_it(finished, data, tmp_path):
    out = copy_of(finished, tmp_path)
    again = search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, out=str(out), resume=True,
                   progress=False)
    assert again.history == SearchResult.load(str(finished)).history


# 3. --out naming a file
def test_out_that_is_a_file_is_refused_before_any_work(tmp_path, toy_cifar, capsys):
    path = tmp_path / "result.txt"
    path.write_text("keep me")
    assert main(["search", *TOY, "--out", str(path)]) == 2
    assert f"--out {path!s} is a file, not a folder" in capsys.readouterr().err
    assert path.read_text() == "keep me" and toy_cifar == []


# 4. corrupt, tampered and foreign checkpoints
@pytest.mark.parametrize("damage", ["garbage", "truncated", "foreign", "payload"])
def test_bad_checkpoints_are_refused_with_the_file_named(damage, finished, data, tmp_path, capsys):
    out = copy_of(finished, tmp_path)
    path = out / "checkpoint.pt"
    marker = tmp_path / "payload-ran"
    if damage == "garbage":
        path.write_bytes(b"this is not a checkpoint")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "foreign":
        torch.save({"epochs_done": 1, "config": {}}, path)  # another program's checkpoint: no format tag
    else:
        class Payload:
            def __reduce__(self):
                return (os.mkdir, (str(marker),))

        torch.save({"format": "nascourse-checkpoint-1", "supernet": Payload()}, path)
    before = folder_bytes(out)
    with pytest.raises(RunFolderError, match=str(path)) as error:
        search(toy_config("darts1", epochs=1), seed=0, device="cpu", dataset=data, out=str(out), resume=True,
               progress=False)
    assert "overwrite=True" in str(error.value)
    assert not marker.exists()  # never unpickled
    assert folder_bytes(out) == before


def test_checkpoint_loader_refuses_missing_keys(tmp_path):
    from nascourse.runs import save_checkpoint_file

    save_checkpoint_file(str(tmp_path / "c.pt"), {"a": torch.zeros(2)})
    assert torch.equal(load_checkpoint_file(str(tmp_path / "c.pt"), ("a",))["a"], torch.zeros(2))
    with pytest.raises(RunFolderError, match="lacks b"):
        load_checkpoint_file(str(tmp_path / "c.pt"), ("a", "b"))


def _callers_handler(signum, frame):
    """A SIGINT handler of the caller's, which a search must put back."""


@pytest.fixture
def sigint_handler():
    """Puts back the SIGINT handler the test process had, whatever a test installs."""
    before = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, before)


# 5. Ctrl-C: the step finishes, a checkpoint is written mid-epoch, resume is exact; the handler found
# before the search is back after it (SIG_IGN: a background run, `nohup pytest &`)
@pytest.mark.parametrize("method, space, previous", [("darts1", "nb201", signal.SIG_IGN),
                                                     ("gdas", "nb201", _callers_handler),
                                                     ("darts1", "darts", signal.SIG_DFL)])
def test_ctrl_c_mid_epoch_then_resume_equals_an_uninterrupted_run(method, space, previous, data, tmp_path,
                                                                  monkeypatch, sigint_handler):
    signal.signal(signal.SIGINT, previous)
    config = toy_config(method, space, epochs=2)
    straight = search(config, seed=1, device="cpu", dataset=data, progress=False)
    real, count = search_mod.train_step, {"n": 0}

    def ctrl_c_in_step_two(*args, **kwargs):
        count["n"] += 1
        if count["n"] == 2:  # the first epoch has 3 steps: stop in its middle
            signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(search_mod, "train_step", ctrl_c_in_step_two)
    out = str(tmp_path / "run")
    with pytest.raises(SearchInterrupted, match=r"in epoch 1 after step 2 of 3.*resume=True"):
        search(config, seed=1, device="cpu", dataset=data, out=out, progress=False)
    monkeypatch.setattr(search_mod, "train_step", real)
    assert count["n"] == 2 and SearchResult.load(out).history == []  # nothing was lost: two steps checkpointed
    assert signal.getsignal(signal.SIGINT) is previous  # Ctrl-C acts as it did before the search
    resumed = search(config, seed=1, device="cpu", dataset=data, out=out, resume=True, progress=False)
    for a, b in zip(straight.history, resumed.history, strict=True):
        a, b = dict(a), dict(b)
        a.pop("seconds"), b.pop("seconds")
        assert a == b
    for p, q in zip(straight.supernet.state_dict().values(), resumed.supernet.state_dict().values()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("previous", [signal.default_int_handler, signal.SIG_DFL, signal.SIG_IGN, _callers_handler])
def test_stop_after_step_puts_back_the_handler_it_found(previous, sigint_handler):
    signal.signal(signal.SIGINT, previous)
    with StopAfterStep() as stop:
        assert signal.getsignal(signal.SIGINT) == stop._handle
        signal.raise_signal(signal.SIGINT)
        assert stop.requested  # the first Ctrl-C only asks the loop to stop
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)  # the second stops at once
    assert signal.getsignal(signal.SIGINT) is previous


def test_stop_after_step_leaves_a_handler_from_outside_python_alone(monkeypatch):
    # signal.getsignal gives None for a handler that C code installed: it could not be put back
    monkeypatch.setattr(signal, "getsignal", lambda signum: None)
    installed = []
    monkeypatch.setattr(signal, "signal", lambda *args: installed.append(args))
    with StopAfterStep() as stop:
        pass
    assert installed == [] and not stop.requested


def test_ctrl_c_on_the_command_line_says_how_to_resume(tmp_path, toy_cifar, monkeypatch, capsys, sigint_handler):
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever started the tests
    real = search_mod.train_step

    def ctrl_c(*args, **kwargs):
        signal.raise_signal(signal.SIGINT)
        return real(*args, **kwargs)

    monkeypatch.setattr(search_mod, "train_step", ctrl_c)
    out = tmp_path / "run"
    assert main(["search", "--space", "nb201", "--preset", "tiny", "--epochs", "2", "--quiet", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 2
    resume = err.strip().splitlines()[-1].strip()
    assert resume == (f"nascourse search --space nb201 --method darts1 --preset tiny --seed 0 --epochs 2 "
                      f"--out {out} --resume")
    monkeypatch.setattr(search_mod, "train_step", real)
    assert main(resume.split()[1:] + ["--quiet"]) == 0
    assert len(json.loads((out / "result.json").read_text())["history"]) == 2


# 6. files keep the umask's permissions
def test_run_files_get_the_umasks_permissions(data, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "run"
        search(toy_config("darts1", "nb201", epochs=1), seed=0, device="cpu", dataset=data, out=str(out),
               progress=False)
        atomic_write(str(tmp_path / "x"), lambda f: f.write(b"x"))
    finally:
        os.umask(old)
    for path in [out / "result.json", out / "checkpoint.pt", out / "supernet.pt", tmp_path / "x"]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_atomic_write_leaves_nothing_behind_on_error(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"old")

    def fail(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(RunFolderError, match=rf"cannot write {path}: No space left on device \(ENOSPC\): the disk "
                                             r"is full; free some space there, or choose another out folder"):
        atomic_write(str(path), fail)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["f"]


# 8. search() checks its arguments as the command line does
@pytest.mark.parametrize("change, message", [(dict(epochs=0), "epochs must be a whole number of at least 1"),
                                             (dict(epochs=-3), "epochs must"), (dict(w_lr=float("nan")), "w_lr"),
                                             (dict(batch_size=0), "batch_size")])
def test_bad_settings_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        toy_config("darts1", **change)


def test_search_refuses_bad_arguments(data, tmp_path):
    with pytest.raises(TypeError, match="make_config"):
        search({"method": "darts1"}, dataset=data)
    with pytest.raises(ValueError, match="seed must"):
        search(toy_config("darts1"), seed=-1, dataset=data)
    with pytest.raises(ValueError, match="out=FOLDER"):
        search(toy_config("darts1"), resume=True, dataset=data)
    with pytest.raises(RunFolderError, match="contradict"):
        prepare_folder(str(tmp_path), resume=True, overwrite=True)


# 9. the front door
def test_package_front_door_without_torch():
    code = ("import sys, nascourse; from nascourse.cli import _parser\n"
            "assert nascourse.__doc__ and 'make_config' in nascourse.__doc__\n"
            "print(nascourse.__version__, 'torch' in sys.modules)\n"
            "nascourse.make_config; print('torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["0.1.0", "False", "True"], done.stderr
    version = subprocess.run([sys.executable, "-m", "nascourse", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.strip() == "nascourse 0.1.0"
    helped = subprocess.run([sys.executable, "-X", "importtime", "-m", "nascourse", "search", "--help"],
                            capture_output=True, text=True)
    assert helped.returncode == 0 and "--overwrite" in helped.stdout and "torch" not in helped.stderr


def test_cli_choices_are_the_librarys():
    from nascourse import cli, config, history

    assert cli.PRESETS == config.PRESET_NAMES and cli.SPACES == history.SPACES and cli.METHODS == history.METHODS


# 10. the command line speaks in options
def test_cli_words():
    assert cli_words("pass resume=True to continue it, overwrite=True to replace it") == \
        "pass --resume to continue it, --overwrite to replace it"
    assert cli_words("run this search with fast=False") == "run this search without --fast"
    assert cli_words("pass device='cpu'") == "pass --device cpu"
    assert cli_words("out='runs/x' is a file") == "--out runs/x is a file"


def test_settings_diff_is_one_line_per_setting():
    assert settings_diff({"a": 1, "b": (0.5, 0.9), "c": "x"}, {"a": 2, "b": [0.5, 0.9], "c": "x"}) == \
        ["  a: 1 in the saved run, 2 now"]


# 13. TQDM_DISABLE reaches the notebook bar too (tqdm.notebook turns disable=None into False)
@pytest.mark.parametrize("value, progress, disabled", [("1", True, True), ("", True, False), ("0", True, False),
                                                       ("", False, True)])
def test_progress_bar_follows_tqdm_disable(value, progress, disabled, monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", value)
    assert progress_disabled(progress) is disabled


def test_committed_notebooks_show_no_frozen_progress_bar():
    """Lesson outputs are made with TQDM_DISABLE=1: no progress widget or half-drawn bar is saved."""
    import glob

    for path in glob.glob(os.path.join(os.path.dirname(__file__), "..", "*", "[0-9]*.ipynb")):
        for cell in json.load(open(path))["cells"]:
            for output in cell.get("outputs", []):
                text = json.dumps(output)
                assert "widget-view" not in text or "tqdm" not in text.lower(), (path, text[:200])
                assert "0%|" not in text, (path, text[:200])
