"""Batches on the device: augmented minibatches of a dataset held in device memory; DARTS's split.

A NAS search spends its time on many small batches, so the data must never be the bottleneck.
As in airbench, the whole dataset lives on the device as one uint8 tensor (CIFAR-10 training
set: 50,000 x 3 x 32 x 32 bytes = 147 MiB) and random crop, flip and normalisation run there on
whole batches, without DataLoader workers. DARTS (Liu et al., ICLR 2019, appendix A.1.1) trains
the weights w on one half of the training set and the architecture alpha on the other, held-out
half (:func:`search_split`). The datasets themselves come from ``data.load_dataset``.

Used by every lesson that searches or trains a network: they get their batches here.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .config import Preset, get_device, get_preset
from .data import Dataset, check_images, load_dataset


class DeviceLoader:
    """Batches of normalised, optionally augmented images from a dataset held on the device.

    Iterating gives one epoch of ``(x, y)``: x float32 (B, 3, H, W), y int64 (B,), on ``device``;
    each epoch is a fresh permutation, so every image appears exactly once. All random numbers
    (permutation, crop offsets, flips) are drawn for the whole epoch at its start from the
    loader's own CPU generator: batches are the same on CPU and CUDA, and :meth:`state_dict`
    resumes a run exactly, between epochs or in the middle of one.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int,
                 device: str | torch.device | None, mean, std, augment: bool = False, seed: int = 0,
                 shuffle: bool = True, drop_last: bool = False, padding: int = 4):
        check_images(images)
        n = len(images)
        if not (isinstance(labels, torch.Tensor) and labels.shape == (n,) and not labels.is_floating_point()):
            raise ValueError(f"labels must be an integer tensor of shape ({n},), one per image, "
                             f"got {getattr(labels, 'dtype', type(labels))} {tuple(getattr(labels, 'shape', ()))}")
        if not isinstance(batch_size, int) or batch_size < 1 or n == 0 or (drop_last and n < batch_size):
            raise ValueError(f"batch_size={batch_size!r} gives no batch from {n} images (drop_last={drop_last}): "
                             "use an int between 1 and the number of images")
        if len(mean) != 3 or len(std) != 3 or min(std) <= 0 or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"need 3 means, 3 stds > 0 and an int padding >= 0, got {mean}, {std}, {padding!r}")
        self.device = get_device(device)
        self.images = images.to(self.device)  # (N, 3, H, W) uint8, moved once
        self.labels = labels.to(self.device, torch.int64)  # (N,)
        self.batch_size, self.augment, self.shuffle, self.drop_last = batch_size, augment, shuffle, drop_last
        self.padding, self.seed, self.epoch = padding, seed, 0
        self.generator = torch.Generator().manual_seed(seed)
        # where the latest epoch started (generator state before its draws) and how many batches
        # it has given, so that a checkpoint taken mid-epoch resumes at the next batch
        self._start_state, self._position, self._resume_at = None, 0, None
        # (x/255 - mean)/std = x * scale - shift, scale = 1/(255 std), shift = mean/std; (1, 3, 1, 1)
        m, s = torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)
        self.scale = (1 / (255 * s)).view(1, 3, 1, 1).to(self.device)
        self.shift = (m / s).view(1, 3, 1, 1).to(self.device)

    def __len__(self) -> int:
        n, b = len(self.labels), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        n, g, p = len(self.labels), self.generator, self.padding
        first = 0
        if self._resume_at is not None:  # replay the interrupted epoch's draws, continue after its last batch
            first, self._resume_at = self._resume_at, None
        else:
            self.epoch += 1
        self._start_state, self._position = g.get_state(), first
        order = (torch.randperm(n, generator=g) if self.shuffle else torch.arange(n)).to(self.device)
        if self.augment:  # per image: crop offsets (top, left) in [0, 2p], p = centred; flip w.p. 1/2
            offsets = torch.randint(0, 2 * p + 1, (n, 2), generator=g).to(self.device)
            flips = (torch.rand(n, generator=g) < 0.5).to(self.device)
        for i in range(first, len(self)):
            s = slice(i * self.batch_size, (i + 1) * self.batch_size)
            x = self.images[order[s]]  # (B, 3, H, W) uint8
            if self.augment:
                x = crop_flip(x, offsets[s], flips[s], p)
            self._position = i + 1
            yield x.float() * self.scale - self.shift, self.labels[order[s]]

    def plain_batches(self, limit: int | None = None) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """The loader's images in their stored order, normalised, without augmentation: the first
        ``limit`` batches (all if None) as a list, a fixed evaluation set that every call returns
        alike. The loader's own state (epoch, position) is untouched."""
        n = len(self) if limit is None else min(limit, len(self))
        out = []
        for i in range(n):
            s = slice(i * self.batch_size, (i + 1) * self.batch_size)
            out.append((self.images[s].float() * self.scale - self.shift, self.labels[s]))
        return out

    def end_epoch(self) -> None:
        """Abandon the rest of the current epoch: the next iteration (and a checkpoint taken now) starts
        a fresh one. For loops that stop an epoch early on purpose (a capped number of steps)."""
        self._position = 0

    def state_dict(self) -> dict:
        """Where the loader is: loading it continues with the very next batch.

        Between epochs: the generator state and epoch count. In the middle of an epoch: the
        generator state from before that epoch's draws and the number of batches given
        (``position``); the next iteration after loading redraws the same epoch and skips them.
        """
        if 0 < self._position < len(self):
            return {"epoch": self.epoch, "generator": self._start_state, "seed": self.seed, "position": self._position}
        return {"epoch": self.epoch, "generator": self.generator.get_state(), "seed": self.seed, "position": 0}

    def load_state_dict(self, state: dict) -> None:
        """Continue from a ``state_dict``: the next batch is the one after the last batch given then."""
        self.epoch, self.seed = int(state["epoch"]), int(state["seed"])
        self.generator.set_state(state["generator"])
        self._position = 0
        self._resume_at = int(state.get("position", 0)) or None


def crop_flip(x: torch.Tensor, offsets: torch.Tensor, flips: torch.Tensor, padding: int) -> torch.Tensor:
    """Random crop of the zero-padded image, then horizontal flip, batched as two gathers.

    x (B, C, H, W) uint8; offsets (B, 2) long in [0, 2 * padding] (top, left); flips (B,) bool.
    Pixels are padded with 0 before normalisation, as torchvision's RandomCrop(padding=4)
    (fill=0) followed by RandomHorizontalFlip.
    """
    B, C, H, W = x.shape
    xp = F.pad(x, (padding,) * 4)  # (B, C, H + 2p, W + 2p)
    r, c = torch.arange(H, device=x.device), torch.arange(W, device=x.device)
    rows = offsets[:, :1] + r  # (B, H): rows of the crop window
    cols = offsets[:, 1:] + torch.where(flips[:, None], W - 1 - c, c)  # (B, W): flipped column j reads W-1-j
    xp = xp.gather(2, rows[:, None, :, None].expand(B, C, H, xp.shape[3]))  # (B, C, H, W + 2p): pick rows
    return xp.gather(3, cols[:, None, None, :].expand(B, C, H, W))  # (B, C, H, W): then columns


def forever(loader: DeviceLoader):
    """Batches from ``loader`` without end, epoch after epoch (DARTS's validation batches)."""
    while True:
        yield from loader


def resize(images: torch.Tensor, image_size: int) -> torch.Tensor:
    """Downscale uint8 images (N, 3, H, W) to (N, 3, s, s), each pixel the mean of an (H/s x W/s) block."""
    check_images(images)
    H, W = images.shape[-2:]
    if not isinstance(image_size, int) or image_size < 1 or H % image_size or W % image_size:
        sizes = [d for d in range(1, min(H, W) + 1) if H % d == 0 and W % d == 0]
        raise ValueError(f"image_size={image_size!r} must divide the images' size {H}x{W}: use one of {sizes}")
    if (H, W) == (image_size, image_size):
        return images
    k = (H // image_size, W // image_size)
    return torch.cat([F.avg_pool2d(c.float(), k).round_().to(torch.uint8) for c in images.split(4096)])


def _subset(n: int, subset: int | None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Indices of the images used: all, a seeded random ``subset`` or, without a generator, the first."""
    if subset is None:
        return torch.arange(n)
    if not isinstance(subset, int) or not 1 <= subset <= n:
        raise ValueError(f"subset={subset!r} must be an int in [1, {n}] (the images available), or None for all")
    return torch.randperm(n, generator=generator)[:subset] if generator is not None else torch.arange(subset)


def _loader(dataset: Dataset, train: bool, idx: torch.Tensor, image_size: int, batch_size: int, device,
            seed: int = 0) -> DeviceLoader:
    """Training images ``idx``, augmented with generator ``seed``; or test images, in order, plain."""
    x, y = (dataset.train_images, dataset.train_labels) if train else (dataset.test_images, dataset.test_labels)
    return DeviceLoader(resize(x[idx], image_size), y[idx], batch_size, device, dataset.mean, dataset.std,
                        augment=train, seed=seed, shuffle=train, padding=max(1, 4 * image_size // 32))


def search_split(dataset: Dataset, batch_size: int = 64, image_size: int = 32, subset: int | None = None,
                 device=None, seed: int = 0) -> tuple[DeviceLoader, DeviceLoader]:
    """DARTS's split of the training set: (w loader on the first half, alpha loader on the second).

    A ``subset`` is drawn at random (seeded, so classes stay balanced on average) before halving.
    Both halves are augmented, as in DARTS; crop padding scales with the image, 4 pixels at 32:
    ``max(1, 4 * image_size // 32)``.
    """
    g = torch.Generator().manual_seed(seed)
    s_w, s_alpha = torch.randint(0, 2**62, (2,), generator=g).tolist()  # independent loader seeds
    idx = _subset(len(dataset.train_labels), subset, g)
    if len(idx) < 2:
        raise ValueError(f"search_split needs at least 2 images to halve, got subset={subset!r}")
    half = len(idx) // 2
    return (_loader(dataset, True, idx[:half], image_size, batch_size, device, s_w),
            _loader(dataset, True, idx[half:], image_size, batch_size, device, s_alpha))


def test_loader(dataset: Dataset, batch_size: int = 256, image_size: int = 32, subset: int | None = None,
                device=None) -> DeviceLoader:
    """The test set (its first ``subset`` images: a fixed evaluation set), in order, no augmentation."""
    return _loader(dataset, False, _subset(len(dataset.test_labels), subset), image_size, batch_size, device)


test_loader.__test__ = False  # not a pytest test, despite its name


def train_test_loaders(dataset: Dataset, batch_size: int = 96, image_size: int = 32, subset: int | None = None,
                       test_subset: int | None = None, device=None,
                       seed: int = 0) -> tuple[DeviceLoader, DeviceLoader]:
    """(augmented loader on the training set or a seeded random ``subset``, test loader), to train a network."""
    g = torch.Generator().manual_seed(seed)
    s = int(torch.randint(0, 2**62, (1,), generator=g))
    train = _loader(dataset, True, _subset(len(dataset.train_labels), subset, g), image_size, batch_size, device, s)
    return train, test_loader(dataset, 256, image_size, test_subset, device)


def loaders_for_preset(preset: str | Preset | None = None, device=None, seed: int = 0,
                       dataset: Dataset | None = None) -> tuple[DeviceLoader, DeviceLoader, DeviceLoader]:
    """(w loader, alpha loader, test loader) at the preset's sizes, on CIFAR-10 unless ``dataset``."""
    p = get_preset(preset, device)
    dataset = dataset if dataset is not None else load_dataset("cifar10")
    train, val = search_split(dataset, p.batch_size, p.image_size, p.search_images, device, seed)
    return train, val, test_loader(dataset, 256, p.image_size, p.test_images, device)
