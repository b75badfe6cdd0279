"""One writer per folder, with real processes, and every disk error in one line.

The races are made deterministic: the first process is held inside its run (after a function
such as its first checkpoint returns, so it holds the folder's lock) until the test lets it go,
and the second starts while it is held. The disk's refusals that this machine cannot make (tests
run as root; no read-only mount, no full disk) are injected as an ``OSError`` with the right errno
where the library creates or writes a file.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import nascourse.data
import nascourse.search as search_mod
from nascourse import data
from nascourse.cli import main
from nascourse.folders import LOCK, hold_folder
from nascourse.runs import RunFolderError, prepare_folder
from test_search import folder_bytes

NB201_CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|"
SEARCH = ["search", "--space", "nb201", "--preset", "tiny", "--epochs", "2", "--quiet"]
TRAIN = ["train", "--space", "nb201", "--genotype", NB201_CELL, "--preset", "tiny", "--epochs", "1", "--quiet"]

# Runs ``nascourse`` (or, with --load, data.load_dataset) with MODULE.NAME wrapped: after its first
# call returns, the process writes STARTED and waits until GO exists. It holds its folder meanwhile.
HELD = """
import importlib, os, sys, time
module, name, started, go, *args = sys.argv[1:]
mod = importlib.import_module(module)
real = getattr(mod, name)

def held(*a, **k):
    out = real(*a, **k)
    if not os.path.exists(started):
        open(started, "w").close()
        while not os.path.exists(go):
            time.sleep(0.05)
    return out

setattr(mod, name, held)
if args == ["--load"]:
    from nascourse.data import load_dataset
    load_dataset("cifar10")
    sys.exit(0)
from nascourse.cli import main
sys.exit(main(args))
"""


def toy_arrays(n_train: int = 512, n_test: int = 1000, size: int = 16, classes: int = 10) -> dict:
    """A CIFAR-shaped dataset whose class sets the red level: the tiny preset's sizes, made in a blink."""
    g = np.random.default_rng(0)

    def make(m):
        labels = np.arange(m, dtype=np.int64) % classes
        images = g.integers(0, 96, (m, 3, size, size))
        images[:, 0] += labels[:, None, None] * 15
        return images.clip(0, 255).astype(np.uint8), labels

    (x, y), (xt, yt) = make(n_train), make(n_test)
    return {"train_images": x, "train_labels": y, "test_images": xt, "test_labels": yt,
            "classes": [f"c{i}" for i in range(classes)], "source": "toy"}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """The environment of every process: the toy CIFAR-10 cache as NASCOURSE_DATA, one thread, no bars."""
    root = tmp_path_factory.mktemp("data")
    data._write_cache(str(root / "cifar10.npz"), toy_arrays())
    return {**os.environ, "NASCOURSE_DATA": str(root), "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1",
            "NASCOURSE_DEVICE": "cpu", "NASCOURSE_PRESET": "tiny"}


def run(args, env, cwd, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nascourse", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, **kw)


def start_held(target, args, env, cwd) -> tuple[subprocess.Popen, object]:
    """The first writer: started, and held (after ``target`` returns) until the test lets it go."""
    module, name = target.split(":")
    started, go = cwd / f"started-{name}", cwd / f"go-{name}"
    proc = subprocess.Popen([sys.executable, "-c", HELD, module, name, str(started), str(go), *args], env=env,
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not started.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the held process ended or never arrived: {proc.communicate()}")
        time.sleep(0.05)
    return proc, go


def without_seconds(x):
    """``x`` without its "seconds" entries: the time an epoch took is the one thing two lone runs of
    one seed differ in (checked: their other files are byte for byte the same)."""
    if isinstance(x, dict):
        return {k: without_seconds(v) for k, v in x.items() if k != "seconds"}
    if isinstance(x, (list, tuple)):
        return [without_seconds(v) for v in x]
    return x


def equal(x, y) -> bool:
    if isinstance(x, torch.Tensor):
        return isinstance(y, torch.Tensor) and torch.equal(x, y)
    if isinstance(x, dict):
        return isinstance(y, dict) and x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return isinstance(y, list) and len(x) == len(y) and all(equal(a, b) for a, b in zip(x, y))
    return x == y


def same_run(a, b) -> None:
    """Folders ``a`` and ``b`` hold the same run: the same files with the same bytes, but for the seconds."""
    assert sorted(os.listdir(a)) == sorted(os.listdir(b))
    for name in sorted(os.listdir(a)):
        pa, pb = os.path.join(a, name), os.path.join(b, name)
        if name == "result.json":
            assert without_seconds(json.load(open(pa))) == without_seconds(json.load(open(pb))), name
        elif name == "checkpoint.pt":  # a training's or selection's holds its history, with the seconds
            ca, cb = (without_seconds(torch.load(p, weights_only=True)) for p in (pa, pb))
            assert equal(ca, cb), name
        else:
            assert open(pa, "rb").read() == open(pb, "rb").read(), name


@pytest.fixture(scope="module")
def lone_search(env, tmp_path_factory):
    """A two-epoch search that ran alone: what a raced or killed-and-resumed folder must equal."""
    cwd = tmp_path_factory.mktemp("lone")
    done = run([*SEARCH, "--out", "lone"], env, cwd)
    assert done.returncode == 0, done.stderr
    return cwd / "lone"


def refused_second(args, env, cwd, out, first) -> None:
    """A second writer on ``out`` while ``first`` writes it: refused at once, in one line, changing nothing."""
    before = folder_bytes(out)
    second = run(args, env, cwd)
    err = second.stderr.strip()
    assert second.returncode == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
    assert err.endswith(f"{out.name} is being written by process {first.pid} right now: a "
                        f"{ {'search': 'search', 'train': 'training', 'select': 'selection'}[args[0]] } folder has "
                        "one writer at a time. Wait for that process to finish (or stop it), or choose another "
                        "--out folder; nothing was changed"), err
    assert folder_bytes(out) == before


# 1. two writers, one folder: exactly one wins, and the folder is a lone run's
def test_two_searches_into_one_folder(env, lone_search, tmp_path):
    first, go = start_held("nascourse.search:save_checkpoint", [*SEARCH, "--out", "raced"], env, tmp_path)
    try:
        out = tmp_path / "raced"  # the first epoch's checkpoint is written; the second epoch waits
        assert open(out / LOCK).read().strip() == str(first.pid)
        refused_second([*SEARCH, "--out", "raced"], env, tmp_path, out, first)
        refused_second([*SEARCH, "--out", "raced", "--overwrite"], env, tmp_path, out, first)  # deletes nothing
    finally:
        go.touch()
        stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    same_run(tmp_path / "raced", lone_search)
    assert LOCK not in os.listdir(tmp_path / "raced")  # the writer removed it when done


@pytest.mark.parametrize("command", ["train", "select"])
def test_two_trainings_or_selections_into_one_folder(command, env, lone_search, tmp_path):
    args = TRAIN if command == "train" else ["select", "--from", str(lone_search), "--method", "pt", "--quiet"]
    lone = subprocess.Popen([sys.executable, "-m", "nascourse", *args, "--out", "lone"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # alongside, in its folder
    first, go = start_held("nascourse.data:load_dataset", [*args, "--out", "raced"], env, tmp_path)
    try:  # the first holds the folder, its data loaded, nothing trained yet
        refused_second([*args, "--out", "raced"], env, tmp_path, tmp_path / "raced", first)
    finally:
        go.touch()
        stdout, stderr = first.communicate(timeout=300)
        assert lone.wait(timeout=300) == 0, lone.stderr.read()
    assert first.returncode == 0, stderr
    same_run(tmp_path / "raced", tmp_path / "lone")


# 2. a writer killed with SIGKILL leaves its .lock behind, unlocked: the next run is not blocked
def test_a_killed_writer_does_not_block_the_next(env, lone_search, tmp_path):
    first, go = start_held("nascourse.search:save_checkpoint", [*SEARCH, "--out", "killed"], env, tmp_path)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    out = tmp_path / "killed"
    assert open(out / LOCK).read().strip() == str(first.pid)  # left behind, naming a process that is gone
    resumed = run([*SEARCH, "--out", "killed", "--resume"], env, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    same_run(out, lone_search)  # and the resumed run equals an uninterrupted one


def test_a_lock_is_reentrant_within_one_process_and_released(tmp_path):
    out = tmp_path / "run"
    with prepare_folder(str(out)):
        with prepare_folder(str(out)):  # the command line holds it, the search takes it again
            assert os.path.exists(out / LOCK)
        assert os.path.exists(out / LOCK)
    assert os.listdir(out) == []


# 3. the data cache: one process decodes, the other waits for it and reads what it wrote
def test_two_processes_decoding_into_one_cache(env, tmp_path):
    root = tmp_path / "data"
    arrays = toy_arrays(n_train=40, n_test=20, size=8, classes=4)
    from PIL import Image

    for split in ("train", "test"):
        for k, (image, label) in enumerate(zip(arrays[f"{split}_images"], arrays[f"{split}_labels"])):
            folder = root / "cifar10-jpg" / split / f"c{label}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image.transpose(1, 2, 0)).save(folder / f"{k}.png")
    env = {**env, "NASCOURSE_DATA": str(root)}
    first, go = start_held("nascourse.data:_read_image_folder", ["--load"], env, tmp_path)
    log = open(tmp_path / "second.err", "w+")
    second = subprocess.Popen([sys.executable, "-c", "from nascourse.data import load_dataset; "
                               "load_dataset('cifar10')"], env=env, cwd=tmp_path, stderr=log)
    try:
        deadline = time.monotonic() + 120
        while "waiting" not in (tmp_path / "second.err").read_text() and time.monotonic() < deadline:
            assert second.poll() is None, (tmp_path / "second.err").read_text()
            time.sleep(0.1)
        assert second.poll() is None  # waiting, not decoding
        assert not (root / "cifar10.npz").exists()
    finally:
        go.touch()
        first.communicate(timeout=120)
        second.wait(timeout=120)
    err = (tmp_path / "second.err").read_text()
    assert first.returncode == 0 and second.returncode == 0, err
    assert err.strip() == (f"nascourse: waiting for process {first.pid}, which is writing the data cache in "
                           f"{root}; this one goes on when it is done")  # it never decoded
    assert sorted(os.listdir(root)) == ["cifar10-jpg", "cifar10.npz"]  # no .lock, no temporary file
    cached, alone = data.load_dataset("cifar10", root=str(root), download=False), data._read_image_folder(
        str(root / "cifar10-jpg"))
    for key in ("train_images", "train_labels", "test_images", "test_labels"):
        assert np.array_equal(getattr(cached, key).numpy(), alone[key]), key  # what one process alone decodes


# 4. the disk's refusals: one line naming the path, the system's words and the fix; nothing changed
TOY = ["search", "--space", "nb201", "--preset", "tiny", "--epochs", "2", "--quiet"]
# errno -> the line's words after the system's: what it means here, and the fix
WORDS = {
    errno.EACCES: "this user may not write there; choose another --out folder, or get write permission on {near}",
    errno.EPERM: "this user may not write there; choose another --out folder, or get write permission on {near}",
    errno.EROFS: "the file system there is mounted read-only; choose another --out folder on a writable disk",
    errno.ENOSPC: "the disk is full; free some space there, or choose another --out folder on another disk",
    errno.EDQUOT: "your disk quota is used up; free some space there, or choose another --out folder on another disk",
    errno.ENAMETOOLONG: "a name in the path is longer than the file system allows (255 bytes on most); choose "
                        "another --out folder, with a shorter name",
    errno.EINVAL: "the file system refuses that name; choose another --out folder, named with letters, digits, "
                  "'-', '_' and '.'",
    errno.EEXIST: "a file of that name is in the way; choose another --out folder, or move that file away",
}


@pytest.fixture
def toy_cifar(monkeypatch):
    """The command line's dataset, in this process; the list records every load (a refusal loads nothing)."""
    from test_search import toy_dataset

    calls, dataset = [], toy_dataset(n=512, size=16, classes=10)
    monkeypatch.setattr(nascourse.data, "load_dataset", lambda name="cifar10", **kw: calls.append(name) or dataset)
    return calls


def one_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


def injected(monkeypatch, name: str, code: int, under) -> None:
    """``os.NAME`` (or ``tempfile.mkstemp``) fails with ``code`` for paths under ``under``."""
    import tempfile

    owner = tempfile if name == "mkstemp" else os
    real = getattr(owner, name)

    def refuse(*args, **kwargs):
        path = str(kwargs.get("dir", args[0] if args else ""))
        if path.startswith(str(under)):
            raise OSError(code, os.strerror(code), path)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, refuse)


@pytest.mark.parametrize("code", list(WORDS))
def test_out_that_cannot_be_created_is_refused_in_one_line(code, tmp_path, toy_cifar, monkeypatch, capsys):
    out = tmp_path / "runs" / "x"
    injected(monkeypatch, "mkdir", code, tmp_path)
    assert main([*TOY, "--out", str(out)]) == 2
    said = f"{os.strerror(code)} ({errno.errorcode[code]})"
    assert one_line(capsys) == (f"nascourse search: error: cannot create the search folder {out}: {said}: "
                                + WORDS[code].format(near=tmp_path))
    assert os.listdir(tmp_path) == [] and toy_cifar == []  # refused before any work, nothing made
    with pytest.raises(RunFolderError) as error:  # from Python: the same line, in Python's words
        search_mod.search(search_mod.make_config("darts1", "nb201", "tiny"), out=str(out))
    assert str(error.value) == (f"cannot create the search folder {out}: {said}: "
                                + WORDS[code].replace("--out", "out").format(near=tmp_path))


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS, errno.ENOSPC])
@pytest.mark.parametrize("command", ["search", "train"])
def test_out_where_nothing_can_be_written_is_refused_in_one_line(command, code, tmp_path, toy_cifar, monkeypatch,
                                                                   capsys):
    out = tmp_path / "x"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    before = folder_bytes(out)
    injected(monkeypatch, "mkstemp", code, out)
    args = TOY if command == "search" else TRAIN
    assert main([*args, "--out", str(out)]) == 2
    what = {"search": "search", "train": "training"}[command]
    assert one_line(capsys) == (f"nascourse {command}: error: cannot write in the {what} folder {out}: "
                                f"{os.strerror(code)} ({errno.errorcode[code]}): " + WORDS[code].format(near=out))
    assert folder_bytes(out) == before and toy_cifar == []  # no .lock left, no data loaded


def test_out_below_a_file_and_a_name_too_long_are_refused_in_one_line(tmp_path, toy_cifar, capsys):
    (tmp_path / "file").write_text("keep me")
    out = tmp_path / "file" / "run"
    assert main([*TOY, "--out", str(out)]) == 2  # the file system's own refusals, not injected
    assert one_line(capsys) == (f"nascourse search: error: cannot create the search folder {out}: Not a directory "
                                f"(ENOTDIR): {tmp_path / 'file'} is a file, not a folder; choose another --out "
                                "folder, or move that file away")
    out = tmp_path / ("n" * 300) / "run"
    assert main([*TOY, "--out", str(out)]) == 2
    assert one_line(capsys) == (f"nascourse search: error: cannot create the search folder {out}: File name too "
                                f"long (ENAMETOOLONG): " + WORDS[errno.ENAMETOOLONG])
    assert os.listdir(tmp_path) == ["file"] and (tmp_path / "file").read_text() == "keep me" and toy_cifar == []


@pytest.mark.parametrize("epoch", [1, 2])
def test_a_checkpoint_the_disk_refuses_says_whether_the_last_one_resumes(epoch, tmp_path, toy_cifar, monkeypatch,
                                                                         capsys):
    real, calls, before = search_mod.save_checkpoint, [], {}

    def disk_full_at_epoch(out, *args, **kwargs):
        calls.append(out)
        if len(calls) == epoch:  # every write of this checkpoint fails, the first (result.json) already
            before.update({k: v for k, v in folder_bytes(out).items() if k != LOCK})  # held while the run lasts
            monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
        try:
            return real(out, *args, **kwargs)
        finally:
            monkeypatch.setattr(os, "fsync", os_fsync)

    os_fsync = os.fsync
    monkeypatch.setattr(search_mod, "save_checkpoint", disk_full_at_epoch)
    out = tmp_path / "run"
    assert main([*TOY, "--out", str(out)]) == 2
    line = one_line(capsys)
    start = (f"nascourse search: error: cannot write {out / 'result.json'}: No space left on device (ENOSPC): "
             f"{WORDS[errno.ENOSPC]}. ")
    if epoch == 1:
        assert line == start + ("No checkpoint of this search was written before, so there is nothing to resume: "
                                "once the cause is fixed, start it again with --overwrite")
        assert os.listdir(out) == []  # nothing half-written, no .lock
        return
    command = (f"nascourse search --space nb201 --method darts1 --preset tiny --seed 0 --epochs 2 --out {out} "
               "--resume")
    assert line == start + (f"The previous checkpoint {out / 'checkpoint.pt'} is intact: once there is room (or the "
                            f"cause is fixed), continue the search with --resume: {command}")
    assert folder_bytes(out) == before  # epoch 1's files, untouched; no temporary file, no .lock
    monkeypatch.setattr(search_mod, "save_checkpoint", real)
    assert main(command.split()[1:] + ["--quiet"]) == 0  # the printed command resumes it
    assert main([*TOY, "--out", str(tmp_path / "lone")]) == 0
    same_run(out, tmp_path / "lone")


@pytest.mark.parametrize("what", ["training", "selection"])
def test_a_refused_checkpoint_of_a_training_or_selection_says_what_resumes(what, tmp_path):
    from nascourse.runs import atomic_write, save_checkpoint_file, writing_checkpoint

    def disk_full(f):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    path = tmp_path / "checkpoint.pt"
    with pytest.raises(RunFolderError, match=rf"\. No checkpoint of this {what} was written before, so there is "
                                             r"nothing to resume: once the cause is fixed, start it again with "
                                             r"overwrite=True$"):
        with writing_checkpoint(str(tmp_path), what):
            atomic_write(str(path), disk_full)
    save_checkpoint_file(str(path), {"epoch": 1})
    before = folder_bytes(tmp_path)
    with pytest.raises(RunFolderError, match=rf"^cannot write {path}: No space left on device \(ENOSPC\): .*\. The "
                                             rf"previous checkpoint {path} is intact: once there is room \(or the "
                                             rf"cause is fixed\), continue the {what} with resume=True$"):
        with writing_checkpoint(str(tmp_path), what):
            atomic_write(str(path), disk_full)
    assert folder_bytes(tmp_path) == before
    with pytest.raises(RunFolderError, match="not the disk"):  # other refusals pass through unchanged
        with writing_checkpoint(str(tmp_path), what):
            raise RunFolderError("not the disk")


def test_a_figure_the_disk_refuses_is_one_line(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from nascourse import plot

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    fig = plt.figure(figsize=(2, 2))
    monkeypatch.setattr(fig, "savefig", disk_full)
    with pytest.raises(RunFolderError, match=rf"^cannot write the figure {tmp_path / 'cell.png'}: No space left on "
                                             r"device \(ENOSPC\): the disk is full; free some space there"):
        plot.save_figure(fig, tmp_path / "cell.png")
    assert os.listdir(tmp_path) == []


# 5. NASCOURSE_DATA where no folder can be made
def test_data_folder_that_cannot_be_made_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("keep me")
    root = tmp_path / "file" / "data"
    monkeypatch.setenv("NASCOURSE_DATA", str(root))
    with pytest.raises(RunFolderError) as error:
        data.load_dataset("cifar10")
    assert str(error.value) == (f"cannot create the data cache folder {root}: Not a directory (ENOTDIR): "
                                f"{tmp_path / 'file'} is a file, not a folder; set NASCOURSE_DATA (or root=) to a "
                                "folder this user can write, or move that file away")
    assert main([*TOY, "--out", str(tmp_path / "run")]) == 2  # the command: the same line, after its checks
    assert one_line(capsys) == f"nascourse search: error: {error.value}"
    monkeypatch.setenv("NASCOURSE_DATA", str(tmp_path / "ro" / "data"))
    injected(monkeypatch, "mkdir", errno.EROFS, tmp_path / "ro")
    with pytest.raises(RunFolderError, match=r"cannot create the data cache folder .*/ro/data: Read-only file system "
                                             r"\(EROFS\): the file system there is mounted read-only; set "
                                             r"NASCOURSE_DATA \(or root=\) to a folder this user can write on a "
                                             r"writable disk"):
        data.load_dataset("cifar10")
    assert sorted(os.listdir(tmp_path)) == ["file", "run"]


def test_the_command_line_says_any_other_disk_error_in_one_line(monkeypatch, capsys):
    import nascourse.cli as cli

    def disk_full(args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/runs/x/notes")

    monkeypatch.setattr(cli, "run_search", disk_full)
    assert main(TOY) == 2
    assert one_line(capsys) == ("nascourse search: error: cannot write /runs/x/notes: No space left on device "
                                f"(ENOSPC): {WORDS[errno.ENOSPC]}")
