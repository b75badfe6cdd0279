"""What a search did: its per-epoch history, its result on disk, and checkpoints to resume it.

A search (its configuration: ``methods.py``, re-exported here) returns a ``SearchResult``: the
configuration, one record per epoch (softmax(alpha), the
derived genotype, its width and depth, losses, accuracies, the hypergradient norm, seconds; on
NAS-Bench-201 also the derived cell's real accuracy, looked up in ``bench``; on the DARTS space the
NAS-Bench-301 surrogate's predicted accuracy, ``nb301``, when onnxruntime is installed; with ``hessian_every``
also λ_max of the α Hessian, ``alpha_eig``), and the final genotype (after DARTS-ES stopped a
search, the genotype of the epoch it pointed to). Results are data: ``result.save(folder)`` writes
``result.json`` and the supernet's weights, ``SearchResult.load(folder)`` reads them back, so a
lesson can show a long GPU run beside a live tiny one. ``save_checkpoint`` / ``read_checkpoint`` /
``restore_checkpoint`` add the optimisers' and data loaders' states, so that a search resumed from
a checkpoint, taken between epochs or in the middle of one, continues exactly. The run folder's rules (never overwrite
a run unasked, never mix two) are ``runs.py``'s.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

import torch

from . import bench, nb301
from .genotypes import Genotype, cell_width_depth, genotype_from_str, genotype_to_str
# the configurations live in methods.py; existing callers import them from here (``history.make_config``)
from .methods import (CONFIGS, METHODS, PAPER, SPACES, TINY, TINY_METHOD, DartsConfig, EnasConfig,  # noqa: F401
                      FixedConfig, GdasConfig, IDartsConfig, NadartsConfig, RswsConfig, SearchConfig, SnasConfig,
                      config_from_dict, make_config)
from .nb201 import nb201_parse
from .folders import make_folder
from .runs import (CHECKPOINT, RunFolderError, atomic_write, load_checkpoint_file, save_checkpoint_file, settings_diff,
                   writing_checkpoint)
from .supernet import build_supernet


@dataclass
class SearchResult:
    """A search's configuration and history; ``supernet`` is set after a run or a load."""

    config: SearchConfig
    seed: int = 0
    device: str = "cpu"
    history: list[dict] = field(default_factory=list)
    supernet: torch.nn.Module | None = None
    early_stop: dict | None = None  # DARTS-ES fired: {"epoch", "fired", "ratio"}; the genotype is epoch's

    @property
    def genotype(self) -> Genotype | list[str] | None:
        """The final architecture, a ``Genotype`` (DARTS space) or NAS-Bench-201's 6 operation names.

        Every function of nascourse that takes one also takes its string form, ``genotype_str``.
        """
        if not self.history:
            return None
        s = self.genotype_str
        return genotype_from_str(s) if self.config.space == "darts" else nb201_parse(s)

    @property
    def genotype_str(self) -> str:
        """The final genotype as text, ``Genotype(normal=[...], ...)`` or ``|op~0|+|op~0|op~1|+...|``;
        after DARTS-ES fired, the genotype of the epoch it pointed to."""
        if not self.history:
            return ""
        return self.history[-1 if self.early_stop is None else self.early_stop["epoch"] - 1]["genotype"]

    def series(self, key: str) -> list:
        """One history field over the epochs, e.g. ``result.series("val_acc")``."""
        if self.history and key not in self.history[0]:
            raise KeyError(f"no {key!r} in this search's history; its fields are {', '.join(self.history[0])}")
        return [h[key] for h in self.history]

    def to_dict(self) -> dict:
        """What ``result.json`` holds: the configuration, seed, device, final genotype and history."""
        return {"config": dataclasses.asdict(self.config), "seed": self.seed, "device": self.device,
                "genotype": self.genotype_str, "history": self.history,
                "early_stop": self.early_stop}

    def save(self, folder: str) -> None:
        """Write ``result.json`` (and ``supernet.pt`` when a supernet is attached) atomically."""
        make_folder(folder, "search")
        atomic_write(os.path.join(folder, "result.json"), lambda f: f.write(json.dumps(self.to_dict(), indent=1).encode()))
        if self.supernet is not None:
            atomic_write(os.path.join(folder, "supernet.pt"), lambda f: torch.save(self.supernet.state_dict(), f))

    @classmethod
    def load(cls, folder: str, with_supernet: bool = False, device=None) -> "SearchResult":
        """Read a saved result; with ``with_supernet`` also rebuild the supernet with its weights."""
        path = os.path.join(folder, "result.json")
        if not os.path.exists(path):
            raise FileNotFoundError(f"no search result at {path}: run `nascourse search --out {folder}` first")
        try:
            with open(path) as f:
                d = json.load(f)
            result = cls(config=config_from_dict(d["config"]), seed=d["seed"], device=d["device"],
                         history=d["history"], early_stop=d.get("early_stop"))
            if result.config.space == "nb201":  # results saved before the look-up was recorded get it now
                for h in result.history:
                    if "bench_cifar10_200" not in h:
                        h.update(ground_truth(h["genotype"]))
            elif any("nb301_val_98" not in h for h in result.history):  # likewise the surrogate's prediction
                for h, prediction in zip(result.history, nb301_predictions([h["genotype"] for h in result.history])):
                    h.setdefault("nb301_val_12", prediction["nb301_val_12"])
                    h.setdefault("nb301_val_98", prediction["nb301_val_98"])
        except (ValueError, KeyError, TypeError) as e:
            raise RunFolderError(f"{path} is not a readable search result ({type(e).__name__}: {e}); "
                                 "run the search again with overwrite=True") from None
        if with_supernet:
            result.supernet = build_supernet(result.config)
            weights = os.path.join(folder, "supernet.pt")
            try:
                state = torch.load(weights, map_location=device or "cpu", weights_only=True)
                result.supernet.load_state_dict(state)
            except Exception as e:
                raise RunFolderError(f"cannot load the supernet's weights from {weights} ({type(e).__name__}); "
                                     "load the result without with_supernet, or run the search again") from None
        return result


def ground_truth(cell) -> dict:
    """NAS-Bench-201's measured CIFAR-10 test accuracy (%) of ``cell``: after its full 200-epoch
    training (``bench_cifar10_200``) and after the benchmark's 12-epoch schedule (``bench_cifar10_12``)."""
    record = bench.lookup(cell)
    return {"bench_cifar10_200": record.cifar10, "bench_cifar10_12": record.cifar10_test12}


def nb301_predictions(genotypes: list) -> list[dict]:
    """NAS-Bench-301's surrogate on DARTS-space genotypes: per genotype its predicted CIFAR-10 validation
    accuracy (%) after 12 epochs of NB301's training (``nb301_val_12``, the short-budget view) and after 98
    (``nb301_val_98``). None for both without onnxruntime, or for a genotype NB301 cannot represent
    (e.g. a node of ENAS's reading one input twice: ``nb301.encode`` says why). One surrogate call for all."""
    empty = {"nb301_val_12": None, "nb301_val_98": None}
    if not nb301.available():
        return [dict(empty) for _ in genotypes]
    scored = []
    for g in genotypes:
        try:
            nb301.encode(g)
            scored.append(g)
        except ValueError:
            scored.append(None)
    kept = [g for g in scored if g is not None]
    values = iter(nb301.predict(kept, [12, 98]).round(4).tolist() if kept else [])
    return [dict(empty) if g is None else dict(zip(empty, next(values))) for g in scored]


def epoch_record(supernet, epoch: int, stats: dict, seconds: float, weights=None, genotype=None) -> dict:
    """One history entry: softmax(alpha) (or ``weights``), the genotype, width and depth, ``stats``.

    The genotype is derived from the weights unless given (ENAS's sampled cell, whose ``weights``
    are the controller's edge frequencies)."""
    with torch.no_grad():
        probs = weights if weights is not None else supernet.arch_weights()
        genotype = supernet.genotype(probs) if genotype is None else genotype
    record = {"epoch": epoch + 1}
    if supernet.space == "darts":
        width, depth = cell_width_depth(genotype.normal, genotype.normal_concat)
        skips = sum(op == "skip_connect" for op, _ in genotype.normal)
        record.update(genotype=genotype_to_str(genotype), width=width, depth=depth, skip_connect=skips)
        record.update(nb301_predictions([genotype])[0])
    else:
        record.update(genotype=genotype, width=None, depth=None, skip_connect=genotype.count("skip_connect"))
        record.update(ground_truth(genotype))
    record["alpha"] = [[[round(float(v), 6) for v in row] for row in p.detach().cpu()] for p in probs]
    record.update({k: round(float(v), 6) for k, v in stats.items()})
    record["seconds"] = round(seconds, 3)
    return record


# ---------------------------------------------------------------- checkpoints

def save_checkpoint(folder, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler,
                    partial: dict | None = None) -> None:
    """``result.json``, ``supernet.pt`` and ``checkpoint.pt``: everything needed to resume.

    ``partial`` describes an epoch in progress (a search stopped mid-epoch): the steps done, the
    running sums of its statistics and the seconds spent; the loaders' states hold their positions.
    """
    result.supernet = supernet
    state = {"epochs_done": len(result.history), "config": dataclasses.asdict(result.config), "seed": result.seed,
             "supernet": supernet.state_dict(), "w_opt": w_opt.state_dict(), "a_opt": a_opt.state_dict(),
             "train_loader": train_loader.state_dict(), "val_loader": val_loader.state_dict(),
             "sampler": sampler.get_state(), "partial": partial or {}}
    with writing_checkpoint(folder, "search"):  # a disk error says whether the last checkpoint still resumes
        result.save(folder)
        save_checkpoint_file(os.path.join(folder, CHECKPOINT), state)


CHECKPOINT_KEYS = ("epochs_done", "config", "seed", "supernet", "w_opt", "a_opt", "train_loader", "val_loader",
                   "sampler", "partial")


def read_checkpoint(folder: str, config: SearchConfig, seed: int) -> dict:
    """The checkpoint in ``folder``, refused unless it was made with this seed and every setting of ``config``."""
    path = os.path.join(folder, CHECKPOINT)
    state = load_checkpoint_file(path, CHECKPOINT_KEYS)
    saved = {**state["config"], "seed": state["seed"]}
    diff = settings_diff(saved, {**dataclasses.asdict(config), "seed": seed})
    if diff:
        raise RunFolderError(f"the search in {folder} was made with other settings, so resuming it with these would "
                             "give a run that matches neither:\n" + "\n".join(diff)
                             + "\nresume with the saved settings, or pass overwrite=True to start a new search there")
    return state


def restore_checkpoint(state: dict, folder: str, config: SearchConfig, supernet, w_opt, a_opt, train_loader,
                       val_loader, sampler) -> tuple[SearchResult, dict]:
    """Load every state saved by :func:`save_checkpoint`; returns the result so far and the partial epoch."""
    try:
        supernet.load_state_dict(state["supernet"])
        w_opt.load_state_dict(state["w_opt"])
        a_opt.load_state_dict(state["a_opt"])
        train_loader.load_state_dict(state["train_loader"])
        val_loader.load_state_dict(state["val_loader"])
        sampler.set_state(state["sampler"])
        result = SearchResult.load(folder)
        done = int(state["epochs_done"])
        if len(result.history) < done:
            raise ValueError(f"result.json holds {len(result.history)} epochs, the checkpoint {done}")
    except (RuntimeError, ValueError, KeyError, TypeError) as e:
        raise RunFolderError(f"the checkpoint in {folder} does not fit this search ({type(e).__name__}: "
                             f"{str(e)[:300]}); pass overwrite=True to start a new search there") from None
    result.config = config
    result.history = result.history[:done]
    return result, dict(state["partial"])
