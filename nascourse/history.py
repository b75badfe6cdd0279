"""What a search is and what it did: its configuration, its per-epoch history, and checkpoints.

A search is described by a frozen configuration whose defaults are the paper's (spec 3.5, 3.7,
4.4), with the presets as named constructors::

    config = make_config("darts2", space="darts", preset="tiny")

and it returns a ``SearchResult``: the configuration, one record per epoch (softmax(alpha), the
derived genotype, its width and depth, losses, accuracies, the hypergradient norm, seconds),
and the final genotype. Results are data: ``result.save(folder)`` writes ``result.json`` and the
supernet's weights, ``SearchResult.load(folder)`` reads them back, so a lesson can show a long
GPU run beside a live tiny one. ``save_checkpoint`` / ``load_checkpoint`` add the optimisers'
and data loaders' states, so that a search resumed from a checkpoint continues exactly.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field

import torch

from .config import get_preset
from .genotypes import cell_width_depth, genotype_to_str

SPACES = ("darts", "nb201")
METHODS = ("darts1", "darts2", "idarts", "gdas", "rsws")


@dataclass(frozen=True)
class SearchConfig:
    """Settings every search shares; defaults are DARTS's on CIFAR-10 (spec 3.5)."""

    method: str = "darts1"
    space: str = "darts"  # "darts" or "nb201"
    epochs: int = 50
    batch_size: int = 64  # train and validation minibatches
    image_size: int = 32
    search_images: int | None = None  # None: all 50k, halved into 25k (w) / 25k (alpha)
    C: int = 16  # initial channels of the supernet
    layers: int = 8  # DARTS space: cells
    N: int = 5  # NAS-Bench-201: cells per stage
    w_lr: float = 0.025  # SGD, cosine down to w_lr_min
    w_lr_min: float = 0.001
    w_momentum: float = 0.9
    w_weight_decay: float = 3e-4
    w_nesterov: bool = False
    grad_clip: float = 5.0  # max norm of the weight gradient
    a_lr: float = 3e-4  # Adam on alpha
    a_betas: tuple[float, float] = (0.5, 0.999)
    a_weight_decay: float = 1e-3


@dataclass(frozen=True)
class DartsConfig(SearchConfig):
    """DARTS: ``method="darts1"`` (first order) or ``"darts2"`` (unrolled, xi = the weight lr)."""

    mixed: str = "finite_difference"  # darts2's mixed term: eps = 0.01/||v|| differences, or "exact"


@dataclass(frozen=True)
class IDartsConfig(SearchConfig):
    """iDARTS (spec 4.3-4.4): T weight steps, then a K-term Neumann hypergradient, gamma = weight lr."""

    method: str = "idarts"
    K: int = 2  # Neumann terms beyond the first, as the official code
    T: int = 1  # weight steps per architecture step (the stored NB201 run: T1_K2)
    mixed: str = "finite_difference"


@dataclass(frozen=True)
class GdasConfig(SearchConfig):
    """GDAS (spec 3.7): one Gumbel-max sampled operation per edge, tau from 10 down to 0.1."""

    method: str = "gdas"
    tau_max: float = 10.0
    tau_min: float = 0.1


@dataclass(frozen=True)
class RswsConfig(SearchConfig):
    """Random search with weight sharing: train on uniform paths, rank sampled paths each epoch."""

    method: str = "rsws"
    candidates: int = 100  # architectures ranked with the shared weights
    rank_batches: int = 10  # validation minibatches per candidate


CONFIGS = {"darts1": DartsConfig, "darts2": DartsConfig, "idarts": IDartsConfig, "gdas": GdasConfig,
           "rsws": RswsConfig}

# Paper settings that differ from DARTS's (spec 3.5, 3.7, 4.4).
PAPER = {
    ("darts1", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),  # AutoDL's NB201 DARTS
    ("darts2", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),
    ("idarts", "nb201"): dict(epochs=30, w_lr=0.01, w_nesterov=True, w_weight_decay=5e-4),
    ("gdas", "nb201"): dict(epochs=250, w_nesterov=True, w_weight_decay=5e-4),
}
# At the tiny preset a search lasts a few dozen steps: alpha's learning rate is raised tenfold so
# that it moves as far as in a longer run. Lessons say so where they show alpha. RSWS ranks fewer
# candidates on fewer batches, as its validation half holds only 4 batches.
TINY = {"a_lr": 3e-3}
TINY_METHOD = {"rsws": {"candidates": 20, "rank_batches": 2}}


def make_config(method: str = "darts1", space: str = "darts", preset=None, **overrides) -> SearchConfig:
    """The configuration of ``method`` on ``space`` at ``preset`` (tiny, colab or paper).

    The preset fixes the sizes (images, channels, cells, epochs; see ``config.PRESETS``); the
    paper fixes the rest. ``overrides`` change any field, e.g. ``make_config("darts1", epochs=5)``.
    """
    if method not in CONFIGS:
        raise ValueError(f"unknown search method {method!r}: choose one of {', '.join(METHODS)}")
    if space not in SPACES:
        raise ValueError(f"unknown search space {space!r}: choose one of {', '.join(SPACES)}")
    p = get_preset(preset)
    sizes = dict(method=method, space=space, batch_size=p.batch_size, image_size=p.image_size,
                 search_images=p.search_images, epochs=p.search_epochs,
                 C=p.darts_C if space == "darts" else p.nb201_C, layers=p.darts_layers, N=p.nb201_N)
    paper = PAPER.get((method, space), {})
    if p.name != "paper":
        paper = {k: v for k, v in paper.items() if k != "epochs"}
    tiny = {**TINY, **TINY_METHOD.get(method, {})} if p.name == "tiny" else {}
    settings = {**sizes, **paper, **tiny}
    cls = CONFIGS[method]
    unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {sorted(unknown)}; "
                         f"its fields are {[f.name for f in dataclasses.fields(cls)]}")
    return cls(**{**settings, **overrides})


def config_from_dict(d: dict) -> SearchConfig:
    d = dict(d)
    d["a_betas"] = tuple(d["a_betas"])
    return CONFIGS[d["method"]](**d)


@dataclass
class SearchResult:
    """A search's configuration and history; ``supernet`` is set after a run or a load."""

    config: SearchConfig
    seed: int = 0
    device: str = "cpu"
    history: list[dict] = field(default_factory=list)
    supernet: torch.nn.Module | None = None

    @property
    def genotype(self) -> str:
        """The final genotype: DARTS's ``Genotype(...)`` form, or a NAS-Bench-201 string."""
        return self.history[-1]["genotype"] if self.history else ""

    def series(self, key: str) -> list:
        """One history field over the epochs, e.g. ``result.series("val_acc")``."""
        return [h[key] for h in self.history]

    def to_dict(self) -> dict:
        return {"config": dataclasses.asdict(self.config), "seed": self.seed, "device": self.device,
                "genotype": self.genotype, "history": self.history}

    def save(self, folder: str) -> None:
        """Write ``result.json`` (and ``supernet.pt`` when a supernet is attached) atomically."""
        os.makedirs(folder, exist_ok=True)
        _atomic_write(os.path.join(folder, "result.json"),
                      lambda f: f.write(json.dumps(self.to_dict(), indent=1).encode()))
        if self.supernet is not None:
            _atomic_write(os.path.join(folder, "supernet.pt"),
                          lambda f: torch.save(self.supernet.state_dict(), f))

    @classmethod
    def load(cls, folder: str, with_supernet: bool = False, device=None) -> "SearchResult":
        """Read a saved result; with ``with_supernet`` also rebuild the supernet with its weights."""
        path = os.path.join(folder, "result.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"no search result at {path}: run `nascourse search --out {folder}` first")
        with open(path) as f:
            d = json.load(f)
        result = cls(config=config_from_dict(d["config"]), seed=d["seed"], device=d["device"],
                     history=d["history"])
        if with_supernet:
            from .search import build_supernet  # search imports this module
            result.supernet = build_supernet(result.config)
            state = torch.load(os.path.join(folder, "supernet.pt"), map_location=device or "cpu")
            result.supernet.load_state_dict(state)
        return result


def epoch_record(supernet, epoch: int, stats: dict, seconds: float, weights=None) -> dict:
    """One history entry: softmax(alpha) (or ``weights``), the genotype, width and depth, ``stats``."""
    with torch.no_grad():
        probs = weights if weights is not None else supernet.arch_weights()
        genotype = supernet.genotype(probs)
    record = {"epoch": epoch + 1}
    if supernet.space == "darts":
        width, depth = cell_width_depth(genotype.normal, genotype.normal_concat)
        skips = sum(op == "skip_connect" for op, _ in genotype.normal)
        record.update(genotype=genotype_to_str(genotype), width=width, depth=depth, skip_connect=skips)
    else:
        record.update(genotype=genotype, width=None, depth=None, skip_connect=genotype.count("skip_connect"))
    record["alpha"] = [[[round(float(v), 6) for v in row] for row in p.detach().cpu()] for p in probs]
    record.update({k: round(float(v), 6) for k, v in stats.items()})
    record["seconds"] = round(seconds, 3)
    return record


def _atomic_write(path: str, write) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def save_checkpoint(folder, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler) -> None:
    """``result.json``, ``supernet.pt`` and ``checkpoint.pt`` (everything needed to resume)."""
    result.supernet = supernet
    result.save(folder)
    state = {"epochs_done": len(result.history), "config": dataclasses.asdict(result.config),
             "supernet": supernet.state_dict(), "w_opt": w_opt.state_dict(), "a_opt": a_opt.state_dict(),
             "train_loader": train_loader.state_dict(), "val_loader": val_loader.state_dict(),
             "sampler": sampler.get_state()}
    _atomic_write(os.path.join(folder, "checkpoint.pt"), lambda f: torch.save(state, f))


def load_checkpoint(folder, config, supernet, w_opt, a_opt, train_loader, val_loader, sampler) -> SearchResult:
    """Restore every state saved by :func:`save_checkpoint`; returns the result so far."""
    path = os.path.join(folder, "checkpoint.pt")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}: start the search without resume")
    state = torch.load(path, map_location="cpu", weights_only=False)
    saved = state["config"]
    mine = dataclasses.asdict(config)
    diff = {k: (saved.get(k), v) for k, v in mine.items() if k != "epochs" and saved.get(k) != v
            and not (isinstance(v, tuple) and tuple(saved.get(k)) == v)}
    if diff:
        raise ValueError(f"the checkpoint in {folder} was made with another configuration "
                         f"(field: (saved, now)) {diff}: resume with the same configuration")
    supernet.load_state_dict(state["supernet"])
    w_opt.load_state_dict(state["w_opt"])
    a_opt.load_state_dict(state["a_opt"])
    train_loader.load_state_dict(state["train_loader"])
    val_loader.load_state_dict(state["val_loader"])
    sampler.set_state(state["sampler"])
    result = SearchResult.load(folder)
    result.config = config
    result.history = result.history[: state["epochs_done"]]
    return result
