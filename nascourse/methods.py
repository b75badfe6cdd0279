"""What a search is: each method's frozen configuration, with the papers' settings and the presets.

A search is described by a frozen configuration whose defaults are the papers' (DARTS: Liu et al.,
ICLR 2019, section 3.1.1; GDAS: Dong & Yang, CVPR 2019; iDARTS: Zhang et al., ICML 2021; SNAS: Xie
et al., ICLR 2019; ENAS: Pham et al., ICML 2018; their NAS-Bench-201 settings: Dong & Yang, ICLR
2020, section 5), with the presets as named constructors::

    config = make_config("darts2", space="darts", preset="tiny")

Each configuration refuses settings its method cannot run with, naming the setting and the fix;
``config_from_dict`` reads one back from a saved result or checkpoint. What a search did with it
is ``history.py``'s.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .config import get_preset

SPACES = ("darts", "nb201")
METHODS = ("darts1", "darts2", "idarts", "gdas", "rsws", "fixed", "nadarts", "snas", "enas")


@dataclass(frozen=True)
class SearchConfig:
    """Settings every search shares; defaults are DARTS's on CIFAR-10 (Liu et al. 2019, section 3.1.1)."""

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
    hessian_every: int = 0  # record λ_max of the α Hessian every this many epochs and at the last (0: never)
    hessian_iters: int = 20  # power-iteration products per eigenvalue at most (tolerance 1e-3)
    early_stop: bool = False  # DARTS-ES (Zela et al. 2020): stop when λ_max grows too fast; needs hessian_every
    es_window: int = 5  # DARTS-ES: eigenvalues per centred local average
    es_delta: int = 4  # DARTS-ES: compare with the local average this many eigenvalues earlier
    es_factor: float = 1.3  # DARTS-ES: stop when the ratio of the two exceeds this
    es_start_epoch: int = 10  # DARTS-ES: the earlier average's epoch must be at least this

    def __post_init__(self):
        """Refuse settings no search can run with, naming the setting and what it accepts."""
        if self.method not in CONFIGS:
            raise ValueError(f"unknown search method {self.method!r}: choose one of {', '.join(METHODS)}")
        if self.space not in SPACES:
            raise ValueError(f"unknown search space {self.space!r}: choose one of {', '.join(SPACES)}")
        for name in ("epochs", "batch_size", "C", "layers", "N", "image_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {v!r}")
        if self.search_images is not None and (not isinstance(self.search_images, int) or self.search_images < 2):
            raise ValueError(f"search_images must be None (all images) or at least 2, got {self.search_images!r}")
        for name in ("w_lr", "w_lr_min", "a_lr", "grad_clip", "w_momentum", "w_weight_decay", "a_weight_decay"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        if self.w_lr == 0 or self.a_lr == 0:
            raise ValueError(f"w_lr and a_lr must be above 0, got w_lr={self.w_lr!r}, a_lr={self.a_lr!r}")
        for name in ("hessian_every", "es_start_epoch"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"{name} must be a whole number >= 0, got {v!r}")
        for name in ("hessian_iters", "es_window", "es_delta"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {v!r}")
        if self.es_window % 2 == 0 or not self.es_factor > 0:
            raise ValueError(f"es_window must be odd and es_factor above 0, got {self.es_window!r}, {self.es_factor!r}")
        if self.early_stop and self.hessian_every == 0:
            raise ValueError("early_stop=True (DARTS-ES) watches the α Hessian's eigenvalue: set hessian_every "
                             "as well, e.g. hessian_every=2 as RobustDARTS")


@dataclass(frozen=True)
class DartsConfig(SearchConfig):
    """DARTS: ``method="darts1"`` (first order) or ``"darts2"`` (unrolled, xi = the weight lr)."""

    mixed: str = "finite_difference"  # darts2's mixed term: eps = 0.01/||v|| differences, or "exact"


@dataclass(frozen=True)
class IDartsConfig(SearchConfig):
    """iDARTS (Zhang et al. 2021, Algorithm 1): T weight steps, then a K-term Neumann hypergradient,
    gamma = the weight lr."""

    method: str = "idarts"
    K: int = 2  # Neumann terms beyond the first, as the official code
    T: int = 1  # weight steps per architecture step (the stored NB201 run: T1_K2)
    mixed: str = "finite_difference"


@dataclass(frozen=True)
class GdasConfig(SearchConfig):
    """GDAS (Dong & Yang, CVPR 2019): one Gumbel-max sampled operation per edge, tau from 10 down to 0.1."""

    method: str = "gdas"
    tau_max: float = 10.0
    tau_min: float = 0.1


@dataclass(frozen=True)
class RswsConfig(SearchConfig):
    """Random search with weight sharing: train on uniform paths, rank sampled paths each epoch."""

    method: str = "rsws"
    candidates: int = 100  # architectures ranked with the shared weights
    rank_batches: int = 10  # validation minibatches per candidate


@dataclass(frozen=True)
class FixedConfig(SearchConfig):
    """DARTS-PT's "DARTS with fixed α" (Wang et al., ICLR 2021, section 5): the supernet's weights trained
    with α frozen at its initialisation (near-uniform mixing), for a perturbation selection afterwards."""

    method: str = "fixed"


@dataclass(frozen=True)
class NadartsConfig(SearchConfig):
    """NA-DARTS as the course reconstructs it (spec 6.3; ``flatness.neighbourhood_loss``): first-order
    DARTS whose architecture step descends the mean validation loss of p = softmax(alpha) and k
    neighbours, each moving m random edges a fraction beta towards another operation."""

    method: str = "nadarts"
    k: int = 2  # neighbours per architecture step (0: exactly darts1)
    m: int = 1  # edges perturbed per neighbour
    beta: float = 0.5  # how far a perturbed edge moves towards its new operation

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 0:
            raise ValueError(f"k must be a whole number >= 0 (neighbours per step; 0 is darts1), got {self.k!r}")
        if not isinstance(self.m, int) or isinstance(self.m, bool) or self.m < 1:
            raise ValueError(f"m must be a whole number of at least 1 (edges per neighbour), got {self.m!r}")
        if not (isinstance(self.beta, (int, float)) and 0 < self.beta <= 1):
            raise ValueError(f"beta must be in (0, 1], got {self.beta!r}")


@dataclass(frozen=True)
class SnasConfig(SearchConfig):
    """SNAS (Xie et al., ICLR 2019): each edge's weights are a relaxed Gumbel-softmax sample of
    softmax(alpha) at temperature tau, and w and alpha descend the same training loss in one step
    (not bilevel). Settings from the authors' code (SNAS-Series, ``train_search.py``): tau from 1
    down to 0.03, linearly over the epochs; alpha's gradient clipped to norm 10; Adam on alpha as
    DARTS. Not implemented: the paper's optional resource constraint (a penalty on parameters and
    FLOPs) and the drop-path (0.3) of its search network."""

    method: str = "snas"
    tau_max: float = 1.0
    tau_min: float = 0.03
    a_grad_clip: float = 10.0

    def __post_init__(self):
        super().__post_init__()
        if not (0 < self.tau_min <= self.tau_max) or not 0 < self.a_grad_clip:
            raise ValueError(f"need 0 < tau_min <= tau_max and a_grad_clip > 0, got tau_min={self.tau_min!r}, "
                             f"tau_max={self.tau_max!r}, a_grad_clip={self.a_grad_clip!r}")


@dataclass(frozen=True)
class EnasConfig(SearchConfig):
    """ENAS (Pham et al., ICML 2018), micro search in the DARTS space (``controller.py``): every epoch
    trains the shared weights on one sampled cell per minibatch, then the controller for
    ``controller_steps`` REINFORCE updates of ``controller_aggregate`` sampled cells each, rewarded
    by their accuracy on a validation minibatch; each epoch's cell is the best of ``candidates``
    sampled cells on ``rank_batches`` validation minibatches. Controller settings are ENAS's
    (``scripts/cifar10_micro_search.sh``): Adam lr 0.0035 with beta1 = 0 and eps = 1e-3, tanh
    constant 1.1 (operations: 1.1 / 2.5), no temperature, entropy weight 1e-4, baseline decay 0.99,
    30 updates of 10 cells per epoch; its LSTM has 64 units. alpha is not used. The shared weights
    follow this library's supernet: no auxiliary head, no drop-path, one cosine cycle where ENAS
    restarted its schedule."""

    method: str = "enas"
    controller_lr: float = 0.0035
    lstm_size: int = 64
    tanh_constant: float = 1.1
    op_tanh_reduce: float = 2.5
    entropy_weight: float = 1e-4
    baseline_decay: float = 0.99
    controller_steps: int = 30
    controller_aggregate: int = 10
    candidates: int = 10  # cells sampled at the end of an epoch, the best kept
    rank_batches: int = 1  # validation minibatches scoring each (ENAS: one)

    def __post_init__(self):
        super().__post_init__()
        if self.space != "darts":
            raise ValueError("ENAS samples DARTS-space cells (two inputs and two operations per node): "
                             "use space='darts'")
        if self.hessian_every:
            raise ValueError("hessian_every measures the sharpness of alpha, which ENAS does not use "
                             "(its controller samples cells): leave hessian_every at 0")
        for name in ("lstm_size", "controller_steps", "controller_aggregate", "candidates", "rank_batches"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a whole number of at least 1, got {v!r}")
        if not (self.controller_lr > 0 and self.entropy_weight >= 0 and 0 <= self.baseline_decay < 1):
            raise ValueError(f"need controller_lr > 0, entropy_weight >= 0 and 0 <= baseline_decay < 1, got "
                             f"{self.controller_lr!r}, {self.entropy_weight!r}, {self.baseline_decay!r}")


CONFIGS = {"darts1": DartsConfig, "darts2": DartsConfig, "idarts": IDartsConfig, "gdas": GdasConfig,
           "rsws": RswsConfig, "fixed": FixedConfig, "nadarts": NadartsConfig, "snas": SnasConfig,
           "enas": EnasConfig}

# Paper settings that differ from DARTS's: NAS-Bench-201's re-runs of DARTS and GDAS (Dong & Yang,
# ICLR 2020, section 5 and their AutoDL code) and iDARTS's NAS-Bench-201 setting (Zhang et al. 2021).
PAPER = {
    ("darts1", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),  # AutoDL's NB201 DARTS
    ("darts2", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),
    ("idarts", "nb201"): dict(epochs=30, w_lr=0.01, w_nesterov=True, w_weight_decay=5e-4),
    ("gdas", "nb201"): dict(epochs=250, w_nesterov=True, w_weight_decay=5e-4),
    ("fixed", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),  # DARTS-PT's blank-201 runs DARTS's trainer
    ("nadarts", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),  # as darts1, which it extends
    ("snas", "darts"): dict(epochs=150),  # SNAS-Series's train_search.py
    ("snas", "nb201"): dict(w_nesterov=True, w_weight_decay=5e-4),  # NAS-Bench-201's training, as the others
    # ENAS's micro search: 150 epochs, child lr 0.05 -> 0.0005 (cosine; ENAS restarts it at 10, 30, 70
    # epochs), Nesterov momentum, l2 1e-4 (its batch of 160 is the preset's to set)
    ("enas", "darts"): dict(epochs=150, w_lr=0.05, w_lr_min=0.0005, w_nesterov=True, w_weight_decay=1e-4),
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
    """The configuration saved by ``dataclasses.asdict`` (in ``result.json`` or a checkpoint)."""
    d = dict(d)
    d["a_betas"] = tuple(d["a_betas"])
    if d.get("method") not in CONFIGS:
        raise ValueError(f"unknown search method {d.get('method')!r} in a saved configuration")
    return CONFIGS[d["method"]](**d)
