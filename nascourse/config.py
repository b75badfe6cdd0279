"""Presets, device choice and seeding.

Every entry point of nascourse takes a ``preset``, a ``seed`` and a ``device``. This module turns
those three arguments into concrete settings, so that the same code runs a search in seconds on a
laptop CPU (``tiny``), in about ten minutes a lesson on a Colab T4 (``colab``), or at the papers'
settings (``paper``: the search and evaluation settings of DARTS, Liu et al., ICLR 2019, section 3 and
appendix A).

    preset: argument > $NASCOURSE_PRESET > "tiny" on a CPU, "colab" on a GPU
    device: argument > $NASCOURSE_DEVICE > "cuda" when available > "cpu"

Nothing here touches global random state except :func:`seed_everything`, which a caller asks for.
Used by every lesson from 00 on.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, replace

import numpy as np
import torch

PRESET_NAMES = ("tiny", "colab", "paper")


@dataclass(frozen=True)
class Preset:
    """The sizes that a preset fixes. Algorithms' own hyperparameters live in their configs."""

    name: str
    # data
    image_size: int  # images are resized to image_size x image_size (32 = CIFAR's own size)
    search_images: int | None  # training images used by a search, split half w / half alpha; None = all
    test_images: int | None  # test images used for evaluation; None = all
    batch_size: int  # search batch size (train and validation), DARTS: 64
    # DARTS-space supernet
    darts_C: int  # initial channels, DARTS: 16
    darts_layers: int  # cells, DARTS: 8
    # NAS-Bench-201 supernet
    nb201_C: int  # NB201: 16
    nb201_N: int  # cells per stage, NB201: 5
    # search and training budgets
    search_epochs: int  # DARTS: 50
    train_epochs: int  # epochs to train a discrete network from scratch, DARTS: 600
    net_C: int  # channels of the discrete evaluation network, DARTS: 36
    net_layers: int  # cells of the discrete evaluation network, DARTS: 20
    train_batch_size: int  # DARTS evaluation: 96


#: The presets by name, ``tiny`` (a laptop CPU), ``colab`` (one T4-class GPU), ``paper`` (the papers' settings).
PRESETS: dict[str, Preset] = {
    # Seconds to a few minutes on 2 CPU cores, under 1 GB: CI, Binder, laptops. A DARTS supernet
    # step (forward + backward, batch 64, 16x16) takes about a second on such a CPU.
    "tiny": Preset(
        name="tiny", image_size=16, search_images=512, test_images=1000, batch_size=64,
        darts_C=4, darts_layers=5, nb201_C=8, nb201_N=1,
        search_epochs=3, train_epochs=2, net_C=8, net_layers=5, train_batch_size=64,
    ),
    # About ten minutes a lesson on one T4-class GPU.
    "colab": Preset(
        name="colab", image_size=32, search_images=10_000, test_images=10_000, batch_size=64,
        darts_C=16, darts_layers=8, nb201_C=16, nb201_N=5,
        search_epochs=10, train_epochs=20, net_C=16, net_layers=8, train_batch_size=96,
    ),
    # The papers' settings: DARTS (Liu et al., ICLR 2019, appendix A) searches 50 epochs, trains 600.
    "paper": Preset(
        name="paper", image_size=32, search_images=None, test_images=None, batch_size=64,
        darts_C=16, darts_layers=8, nb201_C=16, nb201_N=5,
        search_epochs=50, train_epochs=600, net_C=36, net_layers=20, train_batch_size=96,
    ),
}


def get_device(device: str | torch.device | None = None) -> torch.device:
    """The device to run on: the argument, else ``$NASCOURSE_DEVICE``, else CUDA if present.

    Raises ``ValueError`` for a device string torch does not know, and ``RuntimeError`` when CUDA
    is asked for on a machine without it.
    """
    env = os.environ.get("NASCOURSE_DEVICE")
    from_env = device is None and bool(env)  # name the variable in errors only when it chose the device
    if device is None:
        device = env or ("cuda" if torch.cuda.is_available() else "cpu")
    where = f"$NASCOURSE_DEVICE={env!r}" if from_env else f"device={device!r}"
    try:
        device = torch.device(device)
    except RuntimeError as e:
        fix = "set NASCOURSE_DEVICE to" if from_env else "pass"
        raise ValueError(f"unknown device in {where}: {fix} 'cpu', 'cuda' or 'cuda:N'") from e
    if device.type == "cuda" and not torch.cuda.is_available():
        if from_env:
            fix = f"unset NASCOURSE_DEVICE (it is set to {env!r}) or set it to 'cpu'"
        else:
            fix = "pass device='cpu'"
        raise RuntimeError(f"device {str(device)!r} was asked for ({where}) but this machine has no CUDA GPU: {fix}")
    return device


def get_preset(preset: str | Preset | None = None, device: str | torch.device | None = None) -> Preset:
    """The preset to use: the argument, else ``$NASCOURSE_PRESET``, else tiny on a CPU, colab on a GPU."""
    if isinstance(preset, Preset):
        return preset
    if preset is None:
        preset = os.environ.get("NASCOURSE_PRESET")
    if preset is None:
        preset = "colab" if get_device(device).type == "cuda" else "tiny"
    if preset not in PRESETS:
        raise ValueError(
            f"unknown preset {preset!r}: choose one of {', '.join(PRESET_NAMES)} "
            "(argument or $NASCOURSE_PRESET)"
        )
    return PRESETS[preset]


def with_overrides(preset: Preset, **changes) -> Preset:
    """A copy of ``preset`` with some fields changed, e.g. ``with_overrides(p, search_epochs=5)``."""
    unknown = set(changes) - set(Preset.__dataclass_fields__)
    if unknown:
        raise ValueError(f"unknown preset fields {sorted(unknown)}: valid ones are {list(Preset.__dataclass_fields__)}")
    return replace(preset, **changes)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's ``random``, NumPy's legacy global RNG and torch (CPU and CUDA) together.

    Returns a fresh ``torch.Generator`` seeded with ``seed``, for code that prefers an explicit one.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def progress_disabled(progress: bool = True) -> bool:
    """Whether to hide progress bars: ``progress=False``, or ``$TQDM_DISABLE`` set (to anything but 0/false).

    tqdm reads the variable itself, except in a notebook: ``tqdm.notebook`` turns an unset
    ``disable`` into False, so lesson outputs made with TQDM_DISABLE=1 kept bars frozen at 0%.
    Pass ``disable=progress_disabled(...)`` explicitly instead.
    """
    return not progress or os.environ.get("TQDM_DISABLE", "").lower() not in ("", "0", "false")


def data_root() -> str:
    """Where datasets are looked up and cached: ``$NASCOURSE_DATA``, else ``~/.cache/nascourse``."""
    return os.path.expanduser(os.environ.get("NASCOURSE_DATA") or os.path.join("~", ".cache", "nascourse"))
