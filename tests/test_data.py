"""Tests for nascourse.data: archive reading (on tiny fake archives), cache, downloads, messages.

Oracles: numpy and explicit per-sample loops for pixel layout, statistics, crops and resizing;
invariants for epochs (each sample once), seeds and resuming. No test touches the network or
decodes the real 60k-image CIFAR-10.
"""

import errno
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch
from PIL import Image

from nascourse import data
from nascourse.config import get_device
from nascourse.runs import RunFolderError

CPU = "cpu"


# ---------------------------------------------------------------- fake archives

def _add(tar: tarfile.TarFile, name: str, payload: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(payload)
    tar.addfile(info, io.BytesIO(payload))


def _md5(path) -> str:
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def make_official(folder, name="cifar10", n=3, extra=()):
    """A tiny official-format archive (Python-2-style pickles) with n images per batch.

    Returns (path, train images (N, 3072), train labels, test images, test labels, class names).
    ``extra`` is a list of (member name, bytes) added first (to craft unsafe archives).
    """
    rng = np.random.default_rng(0)
    dirname, train, test, meta, label_key, names_key = data._OFFICIAL[name]
    n_classes = 10 if name == "cifar10" else 100
    classes = data.CIFAR10_CLASSES if name == "cifar10" else [f"class{k:02d}" for k in range(100)]
    batches = {}
    for b in train + test:
        batches[b] = {b"batch_label": b.encode(), b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                      label_key: rng.integers(0, n_classes, n).tolist()}
    path = os.path.join(folder, os.path.basename(data.URLS[name]))
    with tarfile.open(path, "w:gz") as tar:
        for member, payload in extra:
            _add(tar, member, payload)
        for b, d in batches.items():
            _add(tar, f"{dirname}/{b}", pickle.dumps(d, protocol=2))
        _add(tar, f"{dirname}/{meta}", pickle.dumps({names_key: [c.encode() for c in classes]}, protocol=2))
    cat = lambda bs, k: np.concatenate([np.asarray(batches[b][k]) for b in bs])  # noqa: E731
    return path, cat(train, b"data"), cat(train, label_key), cat(test, b"data"), cat(test, label_key), classes


@pytest.fixture
def served(tmp_path, monkeypatch):
    """Build a fake archive in src/, serve it at a file:// URL with a matching md5; return a root."""

    def serve(name="cifar10", **kw):
        src = tmp_path / "src"
        src.mkdir(exist_ok=True)
        made = make_official(str(src), name, **kw)
        monkeypatch.setitem(data.URLS, name, "file://" + made[0])
        monkeypatch.setitem(data.MD5, name, _md5(made[0]))
        root = tmp_path / "root"
        return str(root), made

    return serve


def listing(folder) -> list[str]:
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


# ---------------------------------------------------------------- official archives

def test_cifar10_download_parse_layout(served):
    root, (archive, xtr, ytr, xte, yte, classes) = served("cifar10")
    ds = data.load_dataset("cifar10", root=root)
    assert ds.train_images.shape == (15, 3, 32, 32) and ds.train_images.dtype == torch.uint8
    assert ds.test_images.shape == (3, 3, 32, 32) and ds.train_labels.dtype == torch.int64
    assert ds.classes == data.CIFAR10_CLASSES and ds.name == "cifar10"
    assert ds.train_labels.tolist() == ytr.tolist() and ds.test_labels.tolist() == yte.tolist()
    # pixel layout: row i of b'data' holds R, G, B planes of 32x32, row-major
    for i, c, y, x in [(0, 0, 0, 0), (7, 1, 5, 30), (14, 2, 31, 2)]:
        assert ds.train_images[i, c, y, x] == xtr[i, c * 1024 + y * 32 + x]
    # mean/std oracle: numpy over all training pixels per channel
    planes = xtr.reshape(-1, 3, 1024).transpose(1, 0, 2).reshape(3, -1) / 255
    np.testing.assert_allclose(ds.mean, planes.mean(1), atol=1e-9)
    np.testing.assert_allclose(ds.std, planes.std(1), atol=1e-9)
    assert listing(root) == ["cifar-10-python.tar.gz", "cifar10.npz"]  # no temporary files left
    assert "official" in ds.source


def test_cifar100_download_parse(served):
    root, (_, xtr, ytr, xte, yte, classes) = served("cifar100", n=4)
    ds = data.load_dataset("cifar100", root=root)
    assert ds.train_images.shape == (4, 3, 32, 32) and ds.test_images.shape == (4, 3, 32, 32)
    assert ds.classes == classes and len(ds.classes) == 100
    assert ds.train_labels.tolist() == ytr.tolist() and ds.test_labels.tolist() == yte.tolist()
    assert torch.equal(ds.test_images.reshape(4, -1), torch.from_numpy(xte))


def test_checksum_mismatch_leaves_nothing(served, monkeypatch):
    root, _ = served("cifar10")
    monkeypatch.setitem(data.MD5, "cifar10", "0" * 32)
    with pytest.raises(RuntimeError, match="expected 0{32}") as e:
        data.load_dataset("cifar10", root=root)
    assert _md5(data.URLS["cifar10"][len("file://"):]) in str(e.value)  # the actual digest is named too
    assert listing(root) == []


def test_truncated_archive_leaves_nothing(served, monkeypatch, tmp_path):
    root, (archive, *_) = served("cifar10")
    cut = tmp_path / "src" / "cut" / "cifar-10-python.tar.gz"
    cut.parent.mkdir()
    cut.write_bytes(open(archive, "rb").read()[: os.path.getsize(archive) // 2])
    monkeypatch.setitem(data.URLS, "cifar10", "file://" + str(cut))
    monkeypatch.setitem(data.MD5, "cifar10", _md5(cut))
    with pytest.raises(RuntimeError, match="truncated or corrupt"):
        data.load_dataset("cifar10", root=root)
    assert listing(root) == []


@pytest.mark.parametrize("member", ["../evil", "/tmp/evil-abs", "cifar-10-batches-py/../../evil"])
def test_path_traversal_is_refused(served, tmp_path, member):
    root, _ = served("cifar10", extra=[(member, b"pwned")])
    with pytest.raises(RuntimeError, match="unsafe archive") as e:
        data.load_dataset("cifar10", root=root)
    assert repr(member) in str(e.value)
    assert listing(root) == [] and not (tmp_path / "evil").exists() and not os.path.exists("/tmp/evil-abs")


def test_symlink_member_is_refused(tmp_path):
    path = tmp_path / "links.tar"
    with tarfile.open(path, "w") as tar:
        link = tarfile.TarInfo("train/cat/link.png")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(RuntimeError, match="'train/cat/link.png' is a link"):
        data.load_dataset(str(path), root=str(tmp_path / "root"))


def test_corrupt_archive_in_root_is_reported(tmp_path):
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(RuntimeError, match="Delete it"):
        data.load_dataset("cifar10", root=str(tmp_path))


# ---------------------------------------------------------------- cache

def test_cache_is_used_then_rebuilt_when_corrupt(served):
    root, _ = served("cifar10")
    first = data.load_dataset("cifar10", root=root)
    os.remove(os.path.join(root, "cifar-10-python.tar.gz"))
    os.remove(data.URLS["cifar10"][len("file://"):])  # no source left anywhere: must read the cache
    again = data.load_dataset("cifar10", root=root)
    assert torch.equal(first.train_images, again.train_images) and again.source == first.source

    served("cifar10")  # the source again, then corrupt the cache in two ways
    cache = os.path.join(root, "cifar10.npz")
    for corrupt in (b"garbage", open(cache, "rb").read()[:5000]):
        open(cache, "wb").write(corrupt)
        with pytest.warns(UserWarning, match="unusable"):
            rebuilt = data.load_dataset("cifar10", root=root)
        assert torch.equal(rebuilt.train_images, first.train_images)
        assert data._read_cache(cache) is not None  # rewritten, valid


def test_failed_cache_write_leaves_no_temporary_file(served, monkeypatch):
    root, _ = served("cifar10")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(data.np, "savez", disk_full)
    with pytest.raises(RunFolderError, match=r"cannot write .*cifar10\.npz: No space left on device \(ENOSPC\): "
                                             r"the disk is full; free some space there, or set NASCOURSE_DATA"):
        data.load_dataset("cifar10", root=root)
    assert listing(root) == ["cifar-10-python.tar.gz"]  # the verified archive, no .tmp-* file


def test_offline_error_names_folder_url_and_env(tmp_path, monkeypatch):
    def offline(*a, **k):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    root = str(tmp_path / "empty")
    for download in (True, False):
        with pytest.raises(FileNotFoundError) as e:
            data.load_dataset("cifar10", root=root, download=download)
        msg = str(e.value)
        for part in (root, data.URLS["cifar10"], "NASCOURSE_DATA", "cifar-10-python.tar.gz", "cifar10-jpg.tar.xz"):
            assert part in msg
        assert listing(root) == []


def test_default_root_is_nascourse_data(tmp_path, monkeypatch):
    monkeypatch.setenv("NASCOURSE_DATA", str(tmp_path / "env-root"))
    with pytest.raises(FileNotFoundError, match="env-root"):
        data.load_dataset("cifar10", download=False)


def test_unknown_name_lists_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="'cifar10', 'cifar100'"):
        data.load_dataset("imagenet", root=str(tmp_path))


@pytest.fixture
def umask():
    """Set the process umask for one test (os.umask returns the old one), then put it back."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_cache_and_archive_get_the_umask_permissions(served, umask, mask, mode):
    root, _ = served("cifar10")
    umask(mask)
    data.load_dataset("cifar10", root=root)
    for name in ("cifar10.npz", "cifar-10-python.tar.gz"):  # the cache and the downloaded archive
        assert os.stat(os.path.join(root, name)).st_mode & 0o777 == mode, name


def test_image_folder_cache_gets_the_umask_permissions(tmp_path, umask):
    make_folder_archive(tmp_path / "myset.tar", ["a", "b"], per_class=1)
    umask(0o022)
    data.load_dataset(str(tmp_path / "myset.tar"), root=str(tmp_path / "root"))
    (cache,) = listing(tmp_path / "root")
    assert os.stat(tmp_path / "root" / cache).st_mode & 0o777 == 0o644


# ---------------------------------------------------------------- the first, slow decode says what it does

def test_first_decode_says_what_from_where_into_which_cache(tmp_path, capsys):
    path, root = tmp_path / "myset.tar.xz", tmp_path / "root"
    make_folder_archive(path, ["dog", "cat"], per_class=2)
    data.load_dataset(str(path), root=str(root))
    err = capsys.readouterr().err
    (cache,) = listing(root)
    assert err.count("\n") == 1 and "decoding the images of myset" in err  # one line, even with bars off
    assert str(path) in err and str(root / cache) in err and "once" in err
    data.load_dataset(str(path), root=str(root))  # from the cache: silent
    assert capsys.readouterr().err == ""


def test_first_decode_of_cifar_names_the_download(served, capsys):
    root, _ = served("cifar10")
    data.load_dataset("cifar10", root=root)
    err = capsys.readouterr().err
    assert "decoding CIFAR-10 from " + data.URLS["cifar10"] in err
    assert os.path.join(root, "cifar-10-python.tar.gz") in err and os.path.join(root, "cifar10.npz") in err
    os.remove(os.path.join(root, "cifar10.npz"))  # the archive is kept: decoded from it next
    data.load_dataset("cifar10", root=root)
    assert f"decoding CIFAR-10 from {os.path.join(root, 'cifar-10-python.tar.gz')} into" in capsys.readouterr().err


class Bar:
    """Stands in for tqdm.auto.tqdm (off under TQDM_DISABLE=1, as in the tests): records totals and counts."""

    made = []

    def __init__(self, iterable=None, total=None, desc="", **kwargs):
        self.iterable, self.total, self.desc, self.n = iterable, total, desc, 0
        self.total = len(iterable) if total is None and iterable is not None else total
        Bar.made.append(self)

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.n += 1

    def update(self, n=1):
        self.n += n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_decoding_shows_progress_over_images_and_batches(served, tmp_path, monkeypatch):
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    Bar.made = []
    path = tmp_path / "myset.tar.xz"
    make_folder_archive(path, ["a", "b", "c"], per_class=2)
    data.load_dataset(str(path), root=str(tmp_path / "root"))
    bars = {b.desc: b for b in Bar.made}
    assert (bars["decoding images"].total, bars["decoding images"].n) == (12, 12)  # 6 train + 6 test images
    assert bars["reading myset.tar.xz"].total == os.path.getsize(path) and bars["reading myset.tar.xz"].n > 0
    Bar.made = []
    root, _ = served("cifar10")
    data.load_dataset("cifar10", root=root)
    bars = {b.desc: b for b in Bar.made}
    assert (bars["decoding batches"].total, bars["decoding batches"].n) == (6, 6)  # 5 train batches + test


# ---------------------------------------------------------------- device choice (config.get_device)

def test_cuda_error_names_nascourse_device_only_when_it_is_set(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.delenv("NASCOURSE_DEVICE", raising=False)
    with pytest.raises(RuntimeError) as info:
        get_device("cuda")
    assert "no CUDA GPU" in str(info.value) and "device='cpu'" in str(info.value)
    assert "NASCOURSE_DEVICE" not in str(info.value)
    assert get_device() == torch.device("cpu")  # nothing asked for: the CPU
    monkeypatch.setenv("NASCOURSE_DEVICE", "cuda:1")
    with pytest.raises(RuntimeError) as info:
        get_device()
    assert "$NASCOURSE_DEVICE='cuda:1'" in str(info.value) and "unset NASCOURSE_DEVICE" in str(info.value)
    with pytest.raises(RuntimeError) as info:  # an explicit argument wins over the variable: not its fault
        get_device("cuda")
    assert "NASCOURSE_DEVICE" not in str(info.value)
    assert get_device("cpu") == torch.device("cpu")


def test_unknown_device_names_where_it_came_from(monkeypatch):
    monkeypatch.delenv("NASCOURSE_DEVICE", raising=False)
    with pytest.raises(ValueError, match="device='gpu'") as info:
        get_device("gpu")
    assert "NASCOURSE_DEVICE" not in str(info.value)
    monkeypatch.setenv("NASCOURSE_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"\$NASCOURSE_DEVICE='gpu'.*set NASCOURSE_DEVICE to 'cpu'"):
        get_device()


# ---------------------------------------------------------------- image folders

def _png(colour, size=(8, 8), fmt="PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format=fmt)
    return buf.getvalue()


def make_folder_archive(path, classes, per_class=3, wrapper="myset", sizes=None, fmt="PNG"):
    """tar(.xz) with <wrapper>/{train,test}/<class>/k.png; image colour = (class idx*20, k, split)."""
    with tarfile.open(path, "w:xz" if str(path).endswith(".xz") else "w") as tar:
        for s, split in enumerate(("train", "test")):
            for ci, c in enumerate(classes):
                for k in range(per_class):
                    size = (sizes or {}).get((split, c, k), (8, 8))
                    _add(tar, f"{wrapper}/{split}/{c}/{k}.png".lstrip("/"), _png((ci * 20, k, s), size, fmt))
        _add(tar, f"{wrapper}/README.txt".lstrip("/"), b"not an image")
        _add(tar, "NOTICE", b"a stray file beside the wrapping folder")


def test_image_folder_archive(tmp_path):
    path = tmp_path / "myset.tar.xz"
    make_folder_archive(path, ["dog", "cat", "bird"])
    ds = data.load_dataset(str(path), root=str(tmp_path / "root"))
    assert ds.classes == ["bird", "cat", "dog"] and ds.name == "myset"
    assert ds.train_images.shape == (9, 3, 8, 8) and ds.test_images.shape == (9, 3, 8, 8)
    for images, labels, s in ((ds.train_images, ds.train_labels, 0), (ds.test_images, ds.test_labels, 1)):
        red = images[:, 0, 0, 0].long()  # colour encodes the class folder: label k = sorted class k
        original = {"bird": 2, "cat": 1, "dog": 0}
        assert [original[ds.classes[y]] * 20 for y in labels.tolist()] == red.tolist()
        assert (images[:, 2] == s).all() and sorted(images[:, 1, 3, 3].tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert sorted(ds.train_labels.tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert ds.train_labels.tolist() != sorted(ds.train_labels.tolist())  # shuffled once: classes mixed by index
    # the cached copy gives the same dataset
    again = data.load_dataset(str(path), root=str(tmp_path / "root"))
    assert torch.equal(again.train_images, ds.train_images) and again.classes == ds.classes


def test_image_folder_directory_and_jpeg(tmp_path):
    for split in ("train", "test"):
        for c in ("b", "a"):
            (tmp_path / "imgs" / split / c).mkdir(parents=True)
            (tmp_path / "imgs" / split / c / "0.jpg").write_bytes(_png((200, 10, 10), (12, 12), "JPEG"))
    ds = data.load_dataset(str(tmp_path / "imgs"), root=str(tmp_path / "root"))
    assert ds.classes == ["a", "b"] and ds.train_images.shape == (2, 3, 12, 12)
    assert abs(int(ds.train_images[0, 0, 6, 6]) - 200) < 8  # JPEG is lossy but close


def test_image_folder_size_mismatch_names_file(tmp_path):
    path = tmp_path / "bad.tar"
    make_folder_archive(path, ["a", "b"], wrapper="", sizes={("train", "b", 1): (9, 8)})
    with pytest.raises(RuntimeError, match=r"train/b/1.png .* 9x8 .* 8x8"):
        data.load_dataset(str(path), root=str(tmp_path / "root"))


def test_cifar10_copy_in_root_uses_cifar10_order(tmp_path):
    assert sorted(data.CIFAR10_CLASSES) == data.CIFAR10_CLASSES  # why sorting gives the official order
    make_folder_archive(tmp_path / "cifar10-jpg.tar.xz", list(reversed(data.CIFAR10_CLASSES)), per_class=1, wrapper="")
    ds = data.load_dataset("cifar10", root=str(tmp_path), download=False)
    assert ds.classes == data.CIFAR10_CLASSES and ds.name == "cifar10" and "image folder" in ds.source
    # airplane was written last (colour 9*20) and must get label 0
    assert ds.train_images[ds.train_labels == 0, 0, 0, 0].tolist() == [180]
    assert "cifar10.npz" in listing(tmp_path)
