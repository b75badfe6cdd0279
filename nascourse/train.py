"""Training a discrete network from scratch: how a searched cell gets its published test error.

A search returns a genotype; the number a paper reports is the test accuracy of a larger network
built from that cell and trained from scratch, with no weight sharing. This module is that
training loop, written out so that each regulariser is visible::

    for each epoch e = 0 .. E-1:
        lr_e   = lr_min + (lr - lr_min) (1 + cos(pi e / E)) / 2        cosine, per epoch
        p_e    = drop_path_max * e / E                                  drop-path ramp (DARTS)
        for each minibatch (x, y), after crop + flip (+ cutout):
            L = CE(f(x), y) + auxiliary_weight * CE(f_aux(x), y)        auxiliary head (DARTS)
            w <- SGD(w, grad_w L), ||grad|| clipped to grad_clip
        test loss and accuracy, in eval mode

Two protocols, each a frozen configuration with its paper's defaults:

* ``DartsTrainConfig``: DARTS's evaluation (Liu et al., ICLR 2019, section 3.2 and appendix
  A.1.2): 600 epochs, batch 96, SGD lr 0.025 cosine to 0, momentum 0.9, weight decay 3e-4,
  clip 5, 20 cells, C=36, auxiliary weight 0.4, drop-path up to 0.2; cutout 16 as an option.
* ``NB201TrainConfig``: NAS-Bench-201's protocol (Dong & Yang, ICLR 2020, section 2.4 and AutoDL's
  200E config): 200 epochs, batch 256, SGD Nesterov lr 0.1 cosine to 0, momentum 0.9, weight
  decay 5e-4, C=16, N=5, no clipping.

Presets (``make_train_config``): ``paper`` keeps those defaults on the full data. ``tiny`` and
``colab`` take their sizes from ``config.PRESETS``: ``train_epochs``, ``train_batch_size``,
``image_size``, a seeded random subset of ``search_images`` training images and the first
``test_images`` test images; the DARTS space gets ``net_C`` channels and ``net_layers`` cells,
NAS-Bench-201 ``nb201_C`` and ``nb201_N`` (its benchmark network is its search network).

``train`` checkpoints after every epoch (weights, optimiser, loaders, the cutout generator and
torch's global generator, which draws drop-path masks), so ``resume=True`` continues exactly.
Ctrl-C finishes the current epoch, writes its checkpoint and raises ``TrainingInterrupted``
(a second Ctrl-C stops at once, losing that epoch only). Lessons 04 and later train the cells that
the search lessons found, to ask whether wide, shallow cells are really better (Shu, Wang & Cai,
ICLR 2020); ``nascourse train`` is the command line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import batches
from . import data as data_mod
from . import genotypes as G
from .config import get_device, get_preset, progress_disabled, seed_everything
from .network import DartsNetwork, NB201Network
from .folders import make_folder
from .runs import (CHECKPOINT, RunFolderError, StopAfterStep, atomic_write, load_checkpoint_file, prepare_folder,
                   save_checkpoint_file, settings_diff, writing_checkpoint)

__all__ = ["DartsTrainConfig", "NB201TrainConfig", "TrainConfig", "TrainResult", "TrainingInterrupted",
           "make_train_config", "build_network", "train", "training_loss", "cutout", "PUBLISHED_CELLS"]

SPACES = ("darts", "nb201")
#: The published DARTS-space cells of genotypes.py, by name (looked up case-insensitively).
PUBLISHED_CELLS = {"DARTS_V1": G.DARTS_V1, "DARTS_V2": G.DARTS_V2, "DARTS": G.DARTS_V2, "NASNET": G.NASNET,
                   "AMOEBANET": G.AMOEBANET, "ENAS": G.ENAS, "SNAS_MILD": G.SNAS_MILD}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class TrainConfig:
    """Settings both protocols share. Use ``DartsTrainConfig`` or ``NB201TrainConfig``."""

    space: str = "darts"
    epochs: int = 600
    batch_size: int = 96
    image_size: int = 32
    train_images: int | None = None  # None: all 50k training images; else a seeded random subset
    test_images: int | None = None  # None: all 10k test images; else the first ones
    C: int = 36  # initial channels of the network
    lr: float = 0.025  # SGD, cosine from lr down to lr_min over the epochs
    lr_min: float = 0.0
    momentum: float = 0.9
    weight_decay: float = 3e-4
    nesterov: bool = False
    grad_clip: float | None = 5.0  # max gradient norm; None: no clipping
    cutout: int = 0  # side of the square zeroed per image (DARTS: 16 at 32x32); 0: off

    def __post_init__(self):
        """Refuse settings no training can run with, naming the field and what it accepts."""
        if self.space not in SPACES:
            raise ValueError(f"space must be one of {', '.join(SPACES)}, got {self.space!r}")
        for name in ("epochs", "batch_size", "image_size", "C") + self._whole:
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {v!r}")
        for name in ("train_images", "test_images"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
                raise ValueError(f"{name} must be None (all images) or a whole number of at least 1, got {v!r}")
        for name in ("lr", "lr_min", "momentum", "weight_decay") + self._rates:
            v = getattr(self, name)
            if not _number(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        if self.lr == 0 or self.lr_min > self.lr:
            raise ValueError(f"lr must be above 0 and at least lr_min, got lr={self.lr!r}, lr_min={self.lr_min!r}")
        if self.grad_clip is not None and (not _number(self.grad_clip) or self.grad_clip <= 0):
            raise ValueError(f"grad_clip must be a number above 0, or None for no clipping, got {self.grad_clip!r}")
        if not isinstance(self.cutout, int) or isinstance(self.cutout, bool) or self.cutout < 0:
            raise ValueError(f"cutout must be a whole number >= 0 (0: off; DARTS uses 16), got {self.cutout!r}")
        if not isinstance(self.nesterov, bool):
            raise ValueError(f"nesterov must be True or False, got {self.nesterov!r}")

    _whole = ()  # further whole-number fields of a subclass
    _rates = ()  # further non-negative number fields of a subclass


@dataclass(frozen=True)
class DartsTrainConfig(TrainConfig):
    """DARTS's evaluation of a cell (Liu et al. 2019, section 3.2, appendix A.1.2; quark0/darts cnn/train.py)."""

    space: str = "darts"
    layers: int = 20  # cells; reductions at layers//3 and 2*layers//3
    auxiliary_weight: float = 0.4  # weight of the auxiliary head's loss; 0: no auxiliary head
    drop_path_max: float = 0.2  # drop-path probability reached at the last epoch, from 0 linearly
    _whole = ("layers",)
    _rates = ("auxiliary_weight", "drop_path_max")

    def __post_init__(self):
        super().__post_init__()
        if self.space != "darts":
            raise ValueError(f"DartsTrainConfig trains the darts space, got space={self.space!r}: "
                             "use NB201TrainConfig for nb201")
        if self.drop_path_max >= 1:
            raise ValueError(f"drop_path_max must lie in [0, 1), got {self.drop_path_max!r} (DARTS: 0.2)")


@dataclass(frozen=True)
class NB201TrainConfig(TrainConfig):
    """NAS-Bench-201's training protocol (Dong & Yang, ICLR 2020; AutoDL's 200E config)."""

    space: str = "nb201"
    epochs: int = 200
    batch_size: int = 256
    C: int = 16
    N: int = 5  # cells per stage
    lr: float = 0.1
    weight_decay: float = 5e-4
    nesterov: bool = True
    grad_clip: float | None = None
    _whole = ("N",)

    def __post_init__(self):
        super().__post_init__()
        if self.space != "nb201":
            raise ValueError(f"NB201TrainConfig trains the nb201 space, got space={self.space!r}: "
                             "use DartsTrainConfig for darts")


CONFIGS = {"darts": DartsTrainConfig, "nb201": NB201TrainConfig}


def make_train_config(space: str = "darts", preset=None, **overrides) -> TrainConfig:
    """The training configuration of ``space`` at ``preset`` (tiny, colab or paper; see the module docstring).

    ``overrides`` change any field, e.g. ``make_train_config("darts", "tiny", epochs=5, cutout=8)``.
    """
    if space not in CONFIGS:
        raise ValueError(f"unknown search space {space!r}: choose one of {', '.join(SPACES)}")
    cls, p = CONFIGS[space], get_preset(preset)
    sizes = {}
    if p.name != "paper":  # paper: the protocol's own defaults, all images
        sizes = dict(epochs=p.train_epochs, batch_size=p.train_batch_size, image_size=p.image_size,
                     train_images=p.search_images, test_images=p.test_images)
        sizes.update(dict(C=p.net_C, layers=p.net_layers) if space == "darts" else dict(C=p.nb201_C, N=p.nb201_N))
    fields = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(overrides) - set(fields))
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {unknown}; its fields are {fields}")
    return cls(**{**sizes, **overrides})


def build_network(genotype, config: TrainConfig, num_classes: int = 10) -> torch.nn.Module:
    """The network of ``config.space`` at the config's sizes, from a cell.

    ``genotype``: darts space: a Genotype, its string, or a published cell's name ("DARTS_V2",
    "darts_v2", "NASNet", ...; see ``PUBLISHED_CELLS``); nb201: an NB201 string or 6 op names.
    """
    if isinstance(genotype, str) and genotype.strip().replace("_", "").isalnum():  # a name, not a genotype
        name = genotype.strip().upper()
        if config.space == "nb201" or name not in PUBLISHED_CELLS:
            where = ("the published cells are darts-space cells; nb201 takes a cell string such as "
                     "'|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
                     "skip_connect~2|' or 6 op names") if config.space == "nb201" else \
                f"choose one of {', '.join(PUBLISHED_CELLS)} (any case), or pass a genotype string"
            raise ValueError(f"unknown cell name {genotype!r}: {where}")
        genotype = PUBLISHED_CELLS[name]
    if config.space == "darts":
        return DartsNetwork(G.as_genotype(genotype), C=config.C, num_classes=num_classes, layers=config.layers,
                            auxiliary=config.auxiliary_weight > 0, drop_path_prob=0.0)
    return NB201Network(genotype, C=config.C, N=config.N, num_classes=num_classes)


def genotype_string(network: torch.nn.Module) -> str:
    """The cell of a DartsNetwork (``genotype_to_str``) or NB201Network (its benchmark string)."""
    if isinstance(network, DartsNetwork):
        return G.genotype_to_str(network.genotype)
    return network.arch


@dataclass
class TrainResult:
    """A training's configuration and per-epoch history; ``network`` is set after a run."""

    config: TrainConfig
    seed: int = 0
    device: str = "cpu"
    genotype: str = ""
    history: list[dict] = field(default_factory=list)
    network: torch.nn.Module | None = None

    def series(self, key: str) -> list:
        """One history field over the epochs, e.g. ``result.series("test_acc")``."""
        if self.history and key not in self.history[0]:
            raise KeyError(f"no {key!r} in this training's history; its fields are {', '.join(self.history[0])}")
        return [h[key] for h in self.history]

    def to_dict(self) -> dict:
        """What ``result.json`` holds: the configuration, seed, device, genotype and history."""
        return {"config": dataclasses.asdict(self.config), "seed": self.seed, "device": self.device,
                "genotype": self.genotype, "history": self.history}

    def save(self, folder: str) -> None:
        """Write ``result.json`` atomically (the weights are in the run's checkpoint)."""
        make_folder(folder, "training")
        text = json.dumps(self.to_dict(), indent=1).encode()
        atomic_write(os.path.join(folder, "result.json"), lambda f: f.write(text))

    @classmethod
    def load(cls, folder: str) -> "TrainResult":
        """Read the ``result.json`` that ``save`` wrote into ``folder``."""
        path = os.path.join(folder, "result.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"no training result at {path}: run `nascourse train --out {folder}` first")
        try:
            with open(path) as f:
                d = json.load(f)
            config = CONFIGS[d["config"]["space"]](**d["config"])
            return cls(config=config, seed=d["seed"], device=d["device"], genotype=d["genotype"],
                       history=d["history"])
        except (ValueError, KeyError, TypeError) as e:
            raise RunFolderError(f"{path} is not a readable training result ({type(e).__name__}: {e}); "
                                 "train again with overwrite=True") from None


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a notebook's interrupt) during a training: it stopped at the end of an epoch."""


def cosine_lr(config: TrainConfig, epoch: int) -> float:
    """The learning rate of ``epoch`` (0-based): cosine from lr to lr_min over config.epochs."""
    return config.lr_min + 0.5 * (config.lr - config.lr_min) * (1 + math.cos(math.pi * epoch / config.epochs))


def drop_path_prob(config: TrainConfig, epoch: int) -> float:
    """DARTS's linear ramp: drop_path_max * epoch / epochs (0 in the first epoch); 0 on nb201."""
    return getattr(config, "drop_path_max", 0.0) * epoch / config.epochs


def cutout(x: torch.Tensor, size: int, generator: torch.Generator) -> torch.Tensor:
    """Zero a size x size square per image at a random centre (DeVries & Taylor 2017), clipped at the border.

    x (B, C, H, W), normalised, so zero is the mean colour; centres uniform over the pixels, drawn
    from ``generator`` on x's device. Returns a new tensor.
    """
    B, _, H, W = x.shape
    centres = torch.stack([torch.randint(0, n, (B,), generator=generator, device=x.device) for n in (H, W)], 1)
    top_left = centres - size // 2  # (B, 2): the square covers [top, top + size) x [left, left + size)
    rows = torch.arange(H, device=x.device) - top_left[:, :1]  # (B, H): row offset inside the square
    cols = torch.arange(W, device=x.device) - top_left[:, 1:]  # (B, W)
    inside = ((rows >= 0) & (rows < size))[:, :, None] & ((cols >= 0) & (cols < size))[:, None, :]  # (B, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def training_loss(network, x: torch.Tensor, y: torch.Tensor, auxiliary_weight: float):
    """L = CE(logits, y) + auxiliary_weight * CE(logits_aux, y); returns (L, main CE, logits)."""
    logits, logits_aux = network(x)
    main = F.cross_entropy(logits, y)
    loss = main if logits_aux is None else main + auxiliary_weight * F.cross_entropy(logits_aux, y)
    return loss, main, logits


@torch.no_grad()
def evaluate(network, loader) -> tuple[float, float]:
    """Mean loss and accuracy over ``loader`` in eval mode (BN's running statistics, no drop-path)."""
    network.eval()
    total, loss_sum, correct = 0, 0.0, 0.0
    for x, y in loader:
        logits, _ = network(x)
        loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
        correct += float((logits.argmax(1) == y).sum())
        total += len(y)
    return loss_sum / total, correct / total


def train(network: torch.nn.Module, config: TrainConfig, *, seed: int = 0, device=None, dataset=None,
          out: str | None = None, resume: bool = False, overwrite: bool = False, progress: bool = True) -> TrainResult:
    """Train ``network`` (from ``build_network``) from scratch as ``config`` says; return its history.

    Args:
        network: a DartsNetwork (darts) or NB201Network (nb201); its weights are re-initialised
            from ``seed`` (torch's default init), then trained; moved to ``device``.
        seed: the initial weights, data order, augmentation, cutout squares and drop-path masks
            (torch's global generator is seeded with it).
        dataset: a ``data.Dataset``; default CIFAR-10 from ``load_dataset``.
        out: a folder for ``result.json`` and ``checkpoint.pt``, written after every epoch. A folder
            holding a run is refused unless ``resume`` (continue it exactly: same seed, settings,
            cell and network size, else refused) or ``overwrite`` (replace it).
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must come from make_train_config(space, preset), got {type(config).__name__}")
    expected = DartsNetwork if config.space == "darts" else NB201Network
    if not isinstance(network, expected):
        raise TypeError(f"a {config.space} training needs a {expected.__name__}, got {type(network).__name__}: "
                        "build it with build_network(genotype, config)")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if (resume or overwrite) and out is None:
        raise ValueError("resume=True and overwrite=True act on a run folder: pass out=FOLDER as well")
    device = get_device(device)
    genotype = genotype_string(network)
    settings = {**dataclasses.asdict(config), "seed": seed, "genotype": genotype,
                "parameters": sum(p.numel() for p in network.parameters())}
    # one writer at a time: the folder is checked, created and locked before any work, and stays
    # locked until the training returns (the lock goes with the process if it dies)
    folder = (prepare_folder(out, resume=resume, overwrite=overwrite, what="training") if out is not None
              else contextlib.nullcontext())
    with folder:
        saved = None
        if resume:
            saved = load_checkpoint_file(os.path.join(out, CHECKPOINT), ("settings", "network", "optimizer",
                                                                        "train_loader", "cutout", "rng", "history"))
            diff = settings_diff(saved["settings"], settings)
            if diff:
                raise RunFolderError(f"the training in {out} was made with other settings, so resuming it with "
                                     "these would give a run that matches neither:\n" + "\n".join(diff)
                                     + "\nresume with the saved settings, or pass overwrite=True to start a new "
                                     "training there")
        seed_everything(seed)  # the initial weights and drop-path masks draw from torch's global generator
        for module in network.modules():  # from scratch: fresh weights from the seed, whatever was passed
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()  # conv/linear: PyTorch's default init; BN: weight 1, bias 0, fresh statistics
        network.to(device)
        dataset = dataset if dataset is not None else data_mod.load_dataset("cifar10")
        for name, have in (("train_images", len(dataset.train_labels)), ("test_images", len(dataset.test_labels))):
            if (getattr(config, name) or 0) > have:
                raise ValueError(f"{name}={getattr(config, name)} but the dataset {dataset.name!r} holds {have}: "
                                 f"pass {name}=None (all) or a number up to {have}")
        train_loader, test_loader = batches.train_test_loaders(dataset, config.batch_size, config.image_size,
                                                                config.train_images, config.test_images, device, seed)
        optimizer = torch.optim.SGD(network.parameters(), lr=config.lr, momentum=config.momentum,
                                    weight_decay=config.weight_decay, nesterov=config.nesterov)
        cutout_gen = torch.Generator(device=device).manual_seed(seed + 2)  # cutout centres, on the device
        result = TrainResult(config=config, seed=seed, device=str(device), genotype=genotype, network=network)
        if saved is not None:
            try:
                network.load_state_dict(saved["network"])
                optimizer.load_state_dict(saved["optimizer"])
                train_loader.load_state_dict(saved["train_loader"])
                cutout_gen.set_state(saved["cutout"])
                torch.set_rng_state(saved["rng"])
                if device.type == "cuda" and "cuda_rng" in saved:
                    torch.cuda.set_rng_state(saved["cuda_rng"], device)
                result.history = [dict(h) for h in saved["history"]]
            except (RuntimeError, ValueError, KeyError, TypeError) as e:
                raise RunFolderError(f"the checkpoint in {out} does not fit this training ({type(e).__name__}: "
                                     f"{str(e)[:300]}); pass overwrite=True to start a new training there") from None
        aux_weight = getattr(config, "auxiliary_weight", 0.0)

        steps = len(train_loader)
        bar = tqdm(total=config.epochs * steps, initial=len(result.history) * steps, desc=f"training on {config.space}",
                   disable=progress_disabled(progress))
        with StopAfterStep() as stop:
            for epoch in range(len(result.history), config.epochs):
                start = time.perf_counter()
                lr, p = cosine_lr(config, epoch), drop_path_prob(config, epoch)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                if isinstance(network, DartsNetwork):
                    network.drop_path_prob = p
                network.train()
                loss_sum, correct, seen = 0.0, 0.0, 0
                for step, (x, y) in enumerate(train_loader):
                    if config.cutout:
                        x = cutout(x, config.cutout, cutout_gen)
                    optimizer.zero_grad(set_to_none=True)
                    loss, main, logits = training_loss(network, x, y, aux_weight)
                    if not torch.isfinite(loss):
                        bar.close()
                        raise FloatingPointError(
                            f"training diverged at epoch {epoch + 1}, step {step + 1}: the loss is "
                            f"{float(loss.detach())}. Lower the learning rate (lr={config.lr}) or keep gradient clipping on "
                            f"(grad_clip={config.grad_clip}; DARTS clips at 5)")
                    loss.backward()
                    if config.grad_clip is not None:
                        torch.nn.utils.clip_grad_norm_(network.parameters(), config.grad_clip)  # ||g|| <= grad_clip
                    optimizer.step()
                    main = float(main.detach())  # one synchronisation per step: also what a NaN check needs
                    loss_sum += main * len(y)
                    correct += float((logits.detach().argmax(1) == y).sum())
                    seen += len(y)
                    bar.update(1)
                    bar.set_postfix(loss=f"{main:.3f}", refresh=False)
                test_loss, test_acc = evaluate(network, test_loader)
                record = {"epoch": epoch + 1, "train_loss": loss_sum / seen, "train_acc": correct / seen,
                          "test_loss": test_loss, "test_acc": test_acc, "lr": lr, "drop_path_prob": p}
                record = {k: v if k == "epoch" else round(float(v), 6) for k, v in record.items()}
                record["seconds"] = round(time.perf_counter() - start, 3)
                result.history.append(record)
                if out is not None:
                    _save(out, result, network, optimizer, train_loader, cutout_gen, settings, device)
                if stop.requested and epoch + 1 < config.epochs:
                    bar.close()
                    where = f"after epoch {epoch + 1} of {config.epochs}"
                    if out is None:
                        raise TrainingInterrupted(f"training interrupted {where}; nothing was saved (pass out=FOLDER "
                                                  "to be able to resume an interrupted training)")
                    raise TrainingInterrupted(f"training interrupted {where}; its checkpoint is in {out}: continue "
                                              "it with resume=True and the same settings")
        bar.close()
        return result


def _save(out, result, network, optimizer, train_loader, cutout_gen, settings, device) -> None:
    """``result.json`` and ``checkpoint.pt``: everything needed to continue exactly after this epoch."""
    state = {"settings": settings, "network": network.state_dict(), "optimizer": optimizer.state_dict(),
             "train_loader": train_loader.state_dict(), "cutout": cutout_gen.get_state(),
             "rng": torch.get_rng_state(), "history": result.history}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    with writing_checkpoint(out, "training"):  # a disk error says whether the last checkpoint still resumes
        result.save(out)
        save_checkpoint_file(os.path.join(out, CHECKPOINT), state)
