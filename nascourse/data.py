"""Datasets: download, read and cache CIFAR once, as uint8 arrays ready to move to the device.

:func:`load_dataset` looks in the data root (``$NASCOURSE_DATA``) for, in order: the cache
``<name>.npz``; the official python archive; an image-folder copy (``cifar10-jpg.tar.xz``, how
offline machines get CIFAR-10); else it downloads the official archive. Archives are read member
by member straight from the tar stream, never extracted, and every file is written under a
temporary name and then renamed, so a failed run leaves nothing half-written; a folder that
cannot be written (read-only, full, no permission) is refused in one line naming the fix. One
process decodes into a data folder at a time (``folders.hold_folder`` on its ``.lock``): a
second one says whom it waits for, waits, then reads the cache the first wrote. Files get the
permissions the umask gives (usually 0644), so a shared cache on a class server is readable by all.
The first load decodes the source once (about 20 s for CIFAR-10's 60,000 images): it says so on
stderr and shows a progress bar (off with ``TQDM_DISABLE=1``); later loads read the cache.

A ``Dataset`` holds the images as uint8 tensors (N, 3, H, W) with their labels and channel
statistics; ``batches.py`` turns it into augmented batches on the device. Used by every lesson
that searches or trains a network.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import os
import pathlib
import pickle
import posixpath
import sys
import tarfile
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from .config import data_root, progress_disabled
from .folders import disk_error, hold_folder, make_folder
from .runs import atomic_write, current_umask

# what to do when the data folder cannot be written
_ELSEWHERE = "set NASCOURSE_DATA (or root=) to a folder this user can write"

URLS = {
    "cifar10": "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    "cifar100": "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
}
MD5 = {"cifar10": "c58f30108f718f92721af3b95e74349a", "cifar100": "eb9058c3a382ffc7106e55a7d2d9f84e"}
# Official archives: folder, train batches, test batches, meta file, label key, class-name key.
_OFFICIAL = {
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"],
                "batches.meta", b"labels", b"label_names"),
    "cifar100": ("cifar-100-python", ["train"], ["test"], "meta", b"fine_labels", b"fine_label_names"),
}
# CIFAR-10's label order is alphabetical (so are CIFAR-100's fine labels), so sorting the class
# folders of an image-folder copy gives the official label numbers.
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
_ARRAYS = ("train_images", "train_labels", "test_images", "test_labels")
_CACHE_VERSION = 1
_ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.xz")


@dataclass
class Dataset:
    """A dataset in memory: uint8 images and int64 labels as CPU tensors."""

    train_images: torch.Tensor  # (N, 3, H, W) uint8
    train_labels: torch.Tensor  # (N,) int64
    test_images: torch.Tensor  # (M, 3, H, W) uint8
    test_labels: torch.Tensor  # (M,) int64
    classes: list[str]  # label k is classes[k]
    name: str
    mean: tuple[float, float, float]  # per channel, 0-1 scale, from the training images
    std: tuple[float, float, float]
    source: str = ""  # where the pixels came from: official archive or image folder

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, train {tuple(self.train_images.shape)}, "
                f"test {tuple(self.test_images.shape)}, {len(self.classes)} classes, from {self.source})")


def check_images(images) -> None:
    """Refuse anything but uint8 images shaped (N, 3, H, W), saying how to convert the usual other layout."""
    if not (isinstance(images, torch.Tensor) and images.dtype == torch.uint8 and images.ndim == 4
            and images.shape[1] == 3):
        got = f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a uint8 tensor (N, 3, H, W), got {got}: "
                         "for (N, H, W, 3) arrays use torch.from_numpy(x).permute(0, 3, 1, 2)")


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and (population) std of uint8 images (N, 3, H, W), on the 0-1 scale."""
    check_images(images)
    # exact and fast: a 256-bin histogram per channel, then moments of the pixel values v/255
    counts = torch.stack([torch.bincount(images[:, c].reshape(-1), minlength=256) for c in range(3)])
    p = counts.double() / counts[0].sum()  # (3, 256): frequency of each value per channel
    v = torch.arange(256, dtype=torch.float64) / 255
    mean = (p * v).sum(1)
    std = ((p * v * v).sum(1) - mean**2).clamp_min(0).sqrt()  # Var = E[v^2] - E[v]^2
    return tuple(mean.tolist()), tuple(std.tolist())


# ---------------------------------------------------------------- reading archives and folders

def _progress(**kwargs):
    """A tqdm.auto bar (a widget in notebooks, text on stderr elsewhere); TQDM_DISABLE=1 turns it off."""
    from tqdm.auto import tqdm

    return tqdm(leave=False, disable=progress_disabled(), **kwargs)


def _announce(what: str, source: str, cache: str) -> None:
    """One line on stderr before the slow first decode: what, from where, into which cache, and that it is once."""
    print(f"nascourse: decoding {what} from {source} into the cache {cache}; this happens once, later loads "
          "read the cache", file=sys.stderr, flush=True)


class _Counted:
    """A read-only file that advances a progress bar by the bytes read (the tar stream's progress)."""

    def __init__(self, f, bar):
        self.f, self.bar = f, bar

    def read(self, size: int = -1) -> bytes:
        block = self.f.read(size)
        self.bar.update(len(block))
        return block


@contextlib.contextmanager
def _temporary(folder: str, suffix: str):
    """A temporary file name in ``folder``, deleted on exit unless the caller renamed it away.

    It has the permissions ``open`` would give (0666 less the umask), not mkstemp's 0600, so the
    file it becomes is readable by the others who share the data folder.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    except OSError as e:
        raise disk_error(e, folder, "write in the data cache folder", _ELSEWHERE) from None
    os.fchmod(fd, 0o666 & ~current_umask())
    os.close(fd)
    try:
        yield tmp
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _read_tar(path: str, wanted) -> dict[str, bytes]:
    """{name: bytes} of the regular files whose name satisfies ``wanted``, read in one pass.

    Nothing is extracted to disk, yet members that an extraction could abuse (absolute paths,
    '..', links, devices) make the whole archive refused.
    """
    out = {}
    try:
        with open(path, "rb") as raw, _progress(total=os.path.getsize(path), unit="B", unit_scale=True,
                                                desc=f"reading {os.path.basename(path)}") as bar, \
                tarfile.open(fileobj=_Counted(raw, bar), mode="r|*") as tar:  # stream mode: any compression
            for m in tar:
                escapes = m.name.startswith(("/", "\\")) or ".." in m.name.replace("\\", "/").split("/")
                if escapes or not (m.isfile() or m.isdir()):
                    why = "points outside the archive (path traversal)" if escapes else "is a link or device"
                    raise RuntimeError(f"unsafe archive {path}: member {m.name!r} {why}; refusing to read it. "
                                       "Use a trusted copy.")
                if m.isfile() and wanted(name := posixpath.normpath(m.name)):
                    out[name] = tar.extractfile(m).read()
    except (tarfile.TarError, EOFError, OSError) as e:  # also wraps zlib and lzma errors
        raise RuntimeError(f"cannot read archive {path}: it is truncated or corrupt ({e}). "
                           "Delete it and download or copy it again.") from e
    return out


def _read_official(path: str, name: str) -> dict:
    """Arrays from an official CIFAR python archive; images (N, 3, 32, 32) uint8."""
    folder, train, test, meta, label_key, names_key = _OFFICIAL[name]
    files = _read_tar(path, lambda n: n.startswith(folder + "/"))
    missing = [f for f in train + test + [meta] if f"{folder}/{f}" not in files]
    if missing:
        raise RuntimeError(f"archive {path} lacks {missing} under {folder}/: it is not the official "
                           f"{name} archive. Delete it and download it again.")
    # Pickled by Python 2, so keys are bytes. Unpickling can run code: only archives whose md5
    # matches the official one get here.
    load = lambda f: pickle.loads(files[f"{folder}/{f}"], encoding="bytes")  # noqa: E731
    try:
        out = {"classes": [c.decode() for c in load(meta)[names_key]]}
        loaded = {b: load(b) for b in _progress(iterable=train + test, unit="batch", desc="decoding batches")}
        for split, batches in (("train", train), ("test", test)):
            ds = [loaded[b] for b in batches]
            # a row of b'data' is 3072 bytes: the R plane, then G, then B, each 32x32 row-major
            x = np.concatenate([np.asarray(d[b"data"], np.uint8) for d in ds])  # (N, 3072)
            out[f"{split}_images"] = x.reshape(-1, 3, 32, 32)
            out[f"{split}_labels"] = np.concatenate([np.asarray(d[label_key], np.int64) for d in ds])
    except Exception as e:  # unpickling errors, missing keys, wrong sizes
        raise RuntimeError(f"archive {path} holds a malformed CIFAR batch ({e!r}); "
                           "delete it and download it again.") from e
    return dict(out, source=f"official archive {os.path.basename(path)}")


def _read_image_folder(path: str) -> dict:
    """Decode ``train/<class>/*`` and ``test/<class>/*`` from a folder or a tar archive of one."""
    from PIL import Image

    if os.path.isdir(path):
        files = {f.relative_to(path).as_posix(): f for f in pathlib.Path(path).rglob("*") if f.is_file()}
        read = lambda rel: files[rel].read_bytes()  # noqa: E731
    else:
        files = _read_tar(path, lambda n: not any(p.startswith(".") for p in n.split("/")))
        read = files.__getitem__
    # train/ and test/ sit at the top, or inside one wrapping folder (e.g. cifar10-jpg/)
    wrappers = {n.split("/")[0] for n in files if n.split("/")[1:2] == ["train"]}
    prefix = "" if any(n.startswith("train/") for n in files) or len(wrappers) != 1 else wrappers.pop() + "/"
    found = {"train": [], "test": []}
    for rel in sorted(files):
        parts = rel.removeprefix(prefix).split("/")  # split, class, file
        if len(parts) == 3 and parts[0] in found and not any(p.startswith(".") for p in parts):
            found[parts[0]].append((parts[1], rel))
    classes = sorted({c for c, _ in found["train"]})
    if not found["train"] or not found["test"] or not {c for c, _ in found["test"]} <= set(classes):
        raise RuntimeError(f"{path} is not an image folder: expected train/<class>/<image> and test/<class>/"
                           "<image> (same classes), at the top or inside one wrapping folder.")
    out, first = {"classes": classes}, None
    bar = _progress(total=len(found["train"]) + len(found["test"]), unit="img", desc="decoding images")
    with bar:
        for split, items in found.items():
            x = []
            for _, rel in items:
                try:
                    x.append(np.asarray(Image.open(io.BytesIO(read(rel))).convert("RGB")))  # (H, W, 3)
                except Exception as e:
                    raise RuntimeError(f"cannot decode image {rel} in {path}: {e}") from e
                first = first or (rel, x[-1].shape)
                if x[-1].shape != first[1]:
                    (h, w, _), (h0, w0, _) = x[-1].shape, first[1]
                    raise RuntimeError(f"image {rel} in {path} is {w}x{h} but {first[0]} is {w0}x{h0}: "
                                       "all images must have the same size; resize them first.")
                bar.update()
            # Folders hold images class by class; shuffle once with a fixed seed so that index order
            # is class-mixed like the official batches (DARTS splits the training set by index).
            order = np.random.default_rng(0).permutation(len(x))
            out[f"{split}_images"] = np.stack(x)[order].transpose(0, 3, 1, 2).copy()  # (N, 3, H, W)
            out[f"{split}_labels"] = np.array([classes.index(c) for c, _ in items], np.int64)[order]
    return dict(out, source=f"image folder {os.path.abspath(path)}")


# ---------------------------------------------------------------- cache, download, entry point

def _read_cache(path: str, source: str | None = None) -> dict | None:
    """The cached arrays, or None if absent, unusable or (given ``source``) made from another source."""
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            a = {k: z[k] for k in z.files}  # reads every member: a truncated file fails here
        a["classes"], a["source"] = [str(c) for c in a["classes"]], str(a["source"])
        ok = int(a["version"]) == _CACHE_VERSION and source in (None, a["source"])
        for x, y in ((a["train_images"], a["train_labels"]), (a["test_images"], a["test_labels"])):
            ok = ok and x.dtype == np.uint8 and x.ndim == 4 and x.shape[1] == 3 and y.dtype == np.int64
            ok = ok and y.shape == x.shape[:1] and len(y) > 0 and 0 <= y.min() and y.max() < len(a["classes"])
        if ok:
            return a
        reason = "wrong version, source, shapes or labels"
    except Exception as e:  # BadZipFile, EOFError, KeyError, ValueError, ...
        reason = repr(e)
    warnings.warn(f"cache {path} is unusable ({reason}); rebuilding it from the source.")
    return None


def _write_cache(path: str, a: dict) -> None:
    """Save the arrays to ``path`` atomically (a temporary file, then rename), with the umask's permissions."""
    make_folder(os.path.dirname(path), "data cache", _ELSEWHERE)
    atomic_write(path, lambda f: np.savez(f, version=_CACHE_VERSION, classes=np.array(a["classes"]),
                                          source=np.array(a["source"]), **{k: a[k] for k in _ARRAYS}), _ELSEWHERE)


def _download(url: str, md5: str, path: str) -> None:
    """Download ``url`` to ``path`` and check its md5; the caller deletes ``path`` on failure."""
    from tqdm.auto import tqdm

    h = hashlib.md5()
    with open(path, "wb") as f, urllib.request.urlopen(url, timeout=60) as r:
        with tqdm(total=int(r.headers.get("Content-Length") or 0) or None, unit="B", unit_scale=True,
                  desc=os.path.basename(url), disable=progress_disabled()) as bar:
            for block in iter(lambda: r.read(1 << 20), b""):
                f.write(block)
                h.update(block)
                bar.update(len(block))
    if h.hexdigest() != md5:
        raise RuntimeError(f"download of {url} has md5 {h.hexdigest()}, expected {md5}: the file is "
                           "corrupt or incomplete and was deleted. Try again, or download it by hand.")


def _load_cifar(name: str, root: str, download: bool) -> dict:
    """Arrays for ``name`` from the first source found in ``root`` (see the module docstring)."""
    cache = os.path.join(root, f"{name}.npz")
    if (a := _read_cache(cache)) is not None:  # readers never take the lock
        return a
    archive = os.path.join(root, os.path.basename(URLS[name]))
    copies = [os.path.join(root, f"{name}-jpg.tar.xz"), os.path.join(root, f"{name}-jpg")]
    what = name.upper().replace("CIFAR", "CIFAR-")
    copy = next((c for c in copies if os.path.exists(c)), None)
    if not download and copy is None and not os.path.isfile(archive):
        return _load_cifar_from(name, root, download, cache, archive, None, what)  # refused: nothing is created
    # one process decodes into a cache at a time; another waits for it, then reads what it wrote
    with hold_folder(root, "data cache", wait=True, elsewhere=_ELSEWHERE) as lock:
        if lock.waited and (a := _read_cache(cache)) is not None:
            return a
        return _load_cifar_from(name, root, download, cache, archive, copy, what)


def _load_cifar_from(name: str, root: str, download: bool, cache: str, archive: str, copy: str | None,
                     what: str) -> dict:
    """Decode ``name`` from the archive, the image-folder ``copy`` or a download; write the cache."""
    if os.path.isfile(archive):
        if (digest := hashlib.md5(pathlib.Path(archive).read_bytes()).hexdigest()) != MD5[name]:
            raise RuntimeError(f"{archive} has md5 {digest}, expected {MD5[name]}: it is corrupt or "
                               "incomplete. Delete it; it will be downloaded again.")
        _announce(what, archive, cache)
        a = _read_official(archive, name)
    elif copy is not None:
        _announce(what, copy, cache)
        a = _read_image_folder(copy)
    else:
        looked = (f"{name}.npz (cache), {os.path.basename(archive)} (official archive) or "
                  f"{name}-jpg.tar.xz / {name}-jpg/ (image-folder copy)")
        fix = f"Download {URLS[name]} into that folder, or set NASCOURSE_DATA to a folder that holds one of these."
        if not download:
            raise FileNotFoundError(f"{name} not found in {root}: looked for {looked}; download=False. {fix}")
        with _temporary(root, ".download") as tmp:
            try:
                _download(URLS[name], MD5[name], tmp)
            except (OSError, http.client.HTTPException) as e:  # URLError, timeouts, resets, short reads
                raise FileNotFoundError(f"{name} not found in {root}: looked for {looked}; downloading "
                                        f"{URLS[name]} failed ({e}). {fix}") from e
            _announce(what, f"{URLS[name]} (downloaded to {archive})", cache)
            a = _read_official(tmp, name)  # parse before renaming: a bad archive never lands in root
            try:
                os.replace(tmp, archive)
            except OSError as e:
                raise disk_error(e, archive, "write", _ELSEWHERE) from None
    _write_cache(cache, a)
    return a


def load_dataset(name: str = "cifar10", root: str | None = None, download: bool = True) -> Dataset:
    """Load ``"cifar10"``, ``"cifar100"`` or the image folder/archive at path ``name``.

    Decoded arrays are cached in ``root`` (default ``$NASCOURSE_DATA``) as one ``.npz``: uint8
    images (N, 3, H, W), int64 labels, class names and source. Delete it to re-read the source.
    """
    root = os.path.expanduser(root or data_root())
    if name in URLS:
        a = _load_cifar(name, root, download)
    elif os.path.isdir(name) or (os.path.isfile(name) and name.endswith(_ARCHIVES)):
        path = os.path.abspath(name)
        name = os.path.basename(path)
        for suffix in _ARCHIVES:
            name = name.removesuffix(suffix)
        cache = os.path.join(root, f"folder-{name}-{hashlib.sha1(path.encode()).hexdigest()[:8]}.npz")
        if (a := _read_cache(cache, source=f"image folder {path}")) is None:
            with hold_folder(root, "data cache", wait=True, elsewhere=_ELSEWHERE) as lock:
                if not lock.waited or (a := _read_cache(cache, source=f"image folder {path}")) is None:
                    _announce(f"the images of {name}", path, cache)
                    _write_cache(cache, a := _read_image_folder(path))
    else:
        raise ValueError(f"unknown dataset {name!r}: use 'cifar10', 'cifar100', or the path of an image folder "
                         f"or {'/'.join(_ARCHIVES)} archive holding train/<class>/ and test/<class>/")
    t = {k: torch.from_numpy(np.ascontiguousarray(a[k])) for k in _ARRAYS}
    mean, std = channel_stats(t["train_images"])
    return Dataset(**t, classes=list(a["classes"]), name=name, mean=mean, std=std, source=a["source"])
