"""Architecture selection: does the largest α mark the operation that matters?

A search ends with a supernet and its α; a *selection* turns them into one discrete cell. Two
rules:

* **Magnitude** (DARTS, Liu et al., ICLR 2019, section 2.4; NAS-Bench-201's argmax): keep, on
  each edge, the operation with the largest softmax(α). In the DARTS space each node then keeps
  the two incoming edges whose best non-``none`` weight is largest (``genotypes.derive_cell``);
  on NAS-Bench-201 every edge keeps its argmax, ``none`` included (``nb201.nb201_derive``).
  The rule assumes that α measures how much an operation contributes.
* **Perturbation** (DARTS-PT, Wang et al., ICLR 2021, sections 3 and 4): measure the contribution
  directly. DARTS-PT calls the *operation strength* of o on an edge the accuracy of the supernet
  discretised to o on that edge and fine-tuned to convergence (section 3), too costly to compute
  for every candidate. Its selection (section 4) measures instead how much the supernet's
  validation accuracy drops when o is removed, its mixing weight set to 0 with no renormalisation,
  every other edge keeping its current weights; the larger the drop, i.e. the lower ACC\\o, the
  stronger o:

      ACC\\o = accuracy of the supernet with p_o := 0 on that edge,  o* = argmin_o ACC\\o

  evaluated as the original code does: no gradients, batch normalisation with batch statistics,
  the running statistics left as they were (``search.evaluate``). The strength of a whole edge
  (all its weights set to 0) decides the topology in the DARTS space.

This module holds the measurements: ``projected_weights`` (the mixing weights once some edges
are decided), ``operation_strength``, ``edge_strength``, the two selections of one edge and the
whole procedure (``perturbation_select``); ``edge_swap_accuracy`` measures how much the supernet
loses when one edge is swapped for another operation (lesson 07's flatness). Why α misleads is the subject of ``shuffle.py``.
Lesson 06 compares them.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import time
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from .batches import forever
from .config import progress_disabled
from .genotypes import genotype_to_str
from .runs import (CHECKPOINT, RunFolderError, atomic_write, load_checkpoint_file, prepare_folder, save_checkpoint_file,
                   writing_checkpoint)
from .search import evaluate

__all__ = ["magnitude", "projected_weights", "operation_strength", "edge_strength", "edge_swap_accuracy", "strongest_operation",
           "weakest_edge", "Decisions", "PTConfig", "make_pt_config", "SelectionResult", "perturbation_select"]


def magnitude(supernet, weights: list[torch.Tensor] | None = None):
    """The magnitude selection of the supernet's softmax(α) (or of ``weights``): a Genotype (DARTS
    space) or an NB201 cell string."""
    return supernet.genotype(weights)


class Decisions:
    """What a perturbation selection has decided so far, per α tensor (cell type) and edge.

    ``ops[c][e]``: the chosen operation's index on edge e of cell type c, or None while undecided.
    ``removed[c]``: edges removed by a topology decision, ``pruned[c]``: the nodes (0 = the first
    intermediate node) whose inputs have been decided (DARTS space).
    """

    def __init__(self, supernet):
        shapes = [tuple(a.shape) for a in supernet.arch_parameters()]
        self.ops: list[list[int | None]] = [[None] * rows for rows, _ in shapes]
        self.removed: list[set[int]] = [set() for _ in shapes]
        self.pruned: list[set[int]] = [set() for _ in shapes]  # nodes whose inputs are decided

    def undecided(self, cell: int) -> list[int]:
        """Edges of cell type ``cell`` whose operation is not chosen yet."""
        return [e for e, o in enumerate(self.ops[cell]) if o is None]

    def to_dict(self) -> dict:
        """The decisions as plain lists, for a checkpoint or ``result.json``."""
        return {"ops": [list(c) for c in self.ops], "removed": [sorted(r) for r in self.removed],
                "pruned": [sorted(n) for n in self.pruned]}

    @classmethod
    def from_dict(cls, supernet, d: dict) -> "Decisions":
        """The decisions that ``to_dict`` wrote, for ``supernet`` (refused if its cells have other edges)."""
        out = cls(supernet)
        if [len(c) for c in d["ops"]] != [len(c) for c in out.ops]:
            raise ValueError(f"these decisions are for {[len(c) for c in d['ops']]} edges per cell type, the "
                             f"supernet has {[len(c) for c in out.ops]}")
        out.ops = [list(c) for c in d["ops"]]
        out.removed = [set(r) for r in d["removed"]]
        out.pruned = [set(n) for n in d["pruned"]]
        return out


def projected_weights(supernet, decisions: Decisions | None = None) -> list[torch.Tensor]:
    """The mixing weights DARTS-PT evaluates with: softmax(α) on undecided edges, one-hot(choice) on
    decided ones, zeros on removed ones. Detached; one tensor per α."""
    out = []
    for c, p in enumerate(supernet.arch_weights()):
        w = p.detach().clone()
        if decisions is not None:
            for e, o in enumerate(decisions.ops[c]):
                if o is not None:
                    w[e] = F.one_hot(torch.tensor(o), w.shape[1]).to(w)
            for e in decisions.removed[c]:
                w[e] = 0.0
        out.append(w)
    return out


def _check_edge(weights: list[torch.Tensor], cell: int, edge: int) -> None:
    if not 0 <= cell < len(weights):
        raise ValueError(f"cell must be 0..{len(weights) - 1} (the supernet has {len(weights)} α tensors), got {cell}")
    if not 0 <= edge < weights[cell].shape[0]:
        raise ValueError(f"edge must be 0..{weights[cell].shape[0] - 1}, got {edge}")


def operation_strength(supernet, loader, weights: list[torch.Tensor], cell: int, edge: int,
                       max_batches: int | None = None) -> list[float | None]:
    """ACC\\o for every operation o of one edge: the supernet's accuracy on ``loader`` with o's weight
    set to 0 there (no renormalisation), everything else as in ``weights``. This is DARTS-PT's
    measure of operation strength in its selection: the lower ACC\\o, the stronger o (the paper
    defines the strength itself as the accuracy after discretising the edge to o and fine-tuning).

    An operation whose weight is already 0 is not evaluated: removing it changes nothing, so its
    entry is the unperturbed accuracy. Returns one accuracy per operation, in ``supernet.ops`` order.
    """
    _check_edge(weights, cell, edge)
    base = None
    out: list[float | None] = []
    for o in range(weights[cell].shape[1]):
        if float(weights[cell][edge, o]) == 0.0:
            if base is None:
                base = evaluate(supernet, loader, weights, max_batches)[1]
            out.append(base)
            continue
        perturbed = [w.clone() for w in weights]
        perturbed[cell][edge, o] = 0.0
        out.append(evaluate(supernet, loader, perturbed, max_batches)[1])
    return out


def edge_strength(supernet, loader, weights: list[torch.Tensor], cell: int, edges: list[int],
                  max_batches: int | None = None) -> list[float]:
    """The supernet's accuracy with each of ``edges`` removed in turn (all its weights set to 0)."""
    out = []
    for edge in edges:
        _check_edge(weights, cell, edge)
        perturbed = [w.clone() for w in weights]
        perturbed[cell][edge] = 0.0
        out.append(evaluate(supernet, loader, perturbed, max_batches)[1])
    return out


def edge_swap_accuracy(supernet, loader, beta: float = 1.0, weights: list[torch.Tensor] | None = None,
                       max_batches: int | None = None) -> tuple[float, list[torch.Tensor]]:
    """How flat the supernet is around p: its accuracy at p, and with one edge moved towards another operation.

    For every cell type, edge e and operation o other than the edge's strongest, the accuracy with
    row e replaced by (1 - beta) p_e + beta onehot(o) (beta = 1: the edge swapped outright), every
    other edge as in ``weights`` (default softmax(α)). These are NA-DARTS's single-edge neighbours
    (``flatness.perturbed_weights``) enumerated instead of sampled. Returns (accuracy at p, one
    ``(E, |O|)`` tensor per cell type with NaN at each edge's strongest operation).
    """
    if not 0 < beta <= 1:
        raise ValueError(f"beta must be in (0, 1] (1: the edge replaced by the operation), got {beta!r}")
    weights = [w.detach() for w in (weights if weights is not None else supernet.arch_weights())]
    base = evaluate(supernet, loader, weights, max_batches)[1]
    out = []
    for cell, p in enumerate(weights):
        acc = torch.full(p.shape, float("nan"), dtype=torch.float64)
        strongest = p.argmax(1).tolist()  # (E,): each edge's current operation, read once
        for e in range(len(p)):
            for o in range(p.shape[1]):
                if o == strongest[e]:
                    continue
                moved = [w.clone() for w in weights]
                moved[cell][e] = (1 - beta) * p[e] + beta * F.one_hot(torch.tensor(o), p.shape[1]).to(p)
                acc[e, o] = evaluate(supernet, loader, moved, max_batches)[1]
        out.append(acc)
    return base, out


def strongest_operation(accuracies: list[float], ops: list[str], exclude_none: bool) -> int:
    """o* = argmin ACC\\o: the operation whose removal hurts most (ties: the first). ``exclude_none``
    in the DARTS space, whose cells never hold ``none``."""
    candidates = [o for o, name in enumerate(ops) if not (exclude_none and name == "none")]
    return min(candidates, key=lambda o: (accuracies[o], o))


def weakest_edge(accuracies: list[float], edges: list[int]) -> int:
    """The edge whose removal leaves the highest accuracy (ties: the first): the one to remove."""
    return edges[max(range(len(edges)), key=lambda i: (accuracies[i], -i))]


# ---------------------------------------------------------------------------------------------
# the whole procedure: decide, fine-tune, decide again


@dataclass(frozen=True)
class PTConfig:
    """DARTS-PT's selection settings (Wang et al., ICLR 2021; their scripts' values as defaults).

    Between two decisions the supernet is fine-tuned for ``proj_intv`` epochs: each step a
    first-order Adam step on the undecided α (on a validation batch), then an SGD step on the
    weights at a constant learning rate ``w_lr`` (DARTS's 0.025 / 10), both through the projected
    weights. ``tune_steps`` caps the steps of a fine-tuning epoch and ``eval_batches`` the
    validation batches of each strength measurement (None: all; the paper uses the whole 25k
    validation half).
    """

    proj_intv: int = 5
    w_lr: float = 0.0025
    w_momentum: float = 0.9
    w_weight_decay: float = 3e-4
    grad_clip: float = 5.0
    a_lr: float = 3e-4
    a_betas: tuple[float, float] = (0.5, 0.999)
    a_weight_decay: float = 1e-3
    tune_steps: int | None = None
    eval_batches: int | None = None

    def __post_init__(self):
        if not isinstance(self.proj_intv, int) or self.proj_intv < 0:
            raise ValueError(f"proj_intv must be a whole number >= 0 (epochs of fine-tuning between decisions; "
                             f"DARTS-PT: 5), got {self.proj_intv!r}")
        for name in ("w_lr", "a_lr", "grad_clip", "w_momentum", "w_weight_decay", "a_weight_decay"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
        for name in ("tune_steps", "eval_batches"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be None (all) or a whole number >= 1, got {v!r}")


def make_pt_config(space: str, preset: str = "paper", **overrides) -> PTConfig:
    """DARTS-PT's settings (proj_intv 5, lr 0.0025, weight decay 3e-4) at the paper preset; at tiny, one
    epoch of at most 4 steps between decisions and 2 validation batches per measurement.

    Both spaces take weight decay 3e-4: darts-pt's ``nasbench201/train_search.py`` (``--weight_decay``
    default) and ``sota/cnn`` set it, and the projection tunes with the search's optimizer settings.
    (The library used 5e-4 for NAS-Bench-201 before; the saved runs in ``lessons/results/selection-nb201*``
    were made with it.)
    """
    if space not in ("darts", "nb201"):
        raise ValueError(f"space must be 'darts' or 'nb201', got {space!r}")
    sizes = {"tiny": dict(proj_intv=1, tune_steps=4, eval_batches=2), "colab": dict(proj_intv=1, eval_batches=10)}
    return PTConfig(**{**sizes.get(preset, {}), **overrides})


@dataclass
class SelectionResult:
    """Every decision of a perturbation selection and the genotype it ends with.

    ``decisions``: one record per decision: ``kind`` ("operation" or "edge"), the cell type, the
    edge (or node), the accuracy with each candidate removed, the choice and the magnitude rule's
    choice on the same weights; ``genotype``: a Genotype string or an NB201 cell string.
    """

    space: str
    seed: int
    config: PTConfig
    decisions: list[dict] = field(default_factory=list)
    genotype: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """What ``result.json`` holds: space, seed, configuration, every decision, the genotype and the time."""
        return {"space": self.space, "seed": self.seed, "config": asdict(self.config), "decisions": self.decisions,
                "genotype": self.genotype, "seconds": self.seconds}


def _events(supernet) -> list[tuple[str, int | None]]:
    """The decision events in order: ("operation", None) per edge (per pair of edges, one of each cell
    type, in the DARTS space), then ("edge", None) per node with more than two inputs (DARTS space)."""
    edges = supernet.arch_parameters()[0].shape[0]
    if supernet.space == "nb201":
        return [("operation", None)] * edges
    return [("operation", None)] * edges + [("edge", None)] * (supernet.steps - 1)


def _node_edges(steps: int) -> list[list[int]]:
    """The edge indices entering each intermediate node of a DARTS cell (node 2 reads 0, 1; node 3 reads 0, 1, 2...)."""
    out, start = [], 0
    for i in range(steps):
        out.append(list(range(start, start + 2 + i)))
        start += 2 + i
    return out


def _decide(supernet, kind, decisions, eval_data, rng) -> list[dict]:
    """One decision event: an operation on a random undecided edge, or the topology of a random node
    (DARTS space: for each cell type). Updates ``decisions``; returns its records."""
    records = []
    exclude_none = supernet.space == "darts"
    for cell in range(len(decisions.ops)):
        weights = projected_weights(supernet, decisions)
        if kind == "operation":
            edge = rng.choice(decisions.undecided(cell))
            acc = operation_strength(supernet, eval_data, weights, cell, edge)
            choice = strongest_operation(acc, supernet.ops, exclude_none)
            row = weights[cell][edge]
            by_magnitude = max((o for o in range(len(row)) if not (exclude_none and supernet.ops[o] == "none")),
                               key=lambda o: (float(row[o]), -o))
            decisions.ops[cell][edge] = choice
            records.append({"kind": "operation", "cell": cell, "edge": edge, "accuracy_without": acc,
                            "choice": supernet.ops[choice], "magnitude_choice": supernet.ops[by_magnitude]})
        else:  # topology: a random node with more than two live inputs, pruned to two
            nodes = [n for n, edges in enumerate(_node_edges(supernet.steps))
                     if len(edges) > 2 and n not in decisions.pruned[cell]]
            node = rng.choice(nodes)
            removed, live = [], [e for e in _node_edges(supernet.steps)[node] if e not in decisions.removed[cell]]
            while len(live) > 2:
                acc = edge_strength(supernet, eval_data, projected_weights(supernet, decisions), cell, live)
                weakest = weakest_edge(acc, live)
                decisions.removed[cell].add(weakest)
                removed.append({"edges": list(live), "accuracy_without": acc, "removed": weakest})
                live.remove(weakest)
            decisions.pruned[cell].add(node)
            records.append({"kind": "edge", "cell": cell, "node": node + 2, "rounds": removed, "kept": live})
    return records


def _tune_weights(supernet, decisions) -> list[torch.Tensor]:
    """The projected weights as a function of α: softmax rows on undecided edges (α gets gradients),
    constant one-hot rows on decided edges, zeros on removed ones."""
    out = []
    for c, p in enumerate(supernet.arch_weights()):
        fixed = projected_weights(supernet, decisions)[c]
        undecided = torch.tensor([o is None and e not in decisions.removed[c] for e, o in enumerate(decisions.ops[c])],
                                 device=p.device)[:, None]
        out.append(torch.where(undecided, p, fixed))
    return out


def _fine_tune(supernet, decisions, w_opt, a_opt, train_loader, val_batches, config: PTConfig) -> None:
    """One epoch (or ``tune_steps`` steps) of DARTS-PT's tuning: first-order α step on a validation batch,
    then a weight step with clipping, both through the projected weights."""
    supernet.train()
    for step, (x, y) in enumerate(train_loader):
        if config.tune_steps is not None and step >= config.tune_steps:
            train_loader.end_epoch()
            break
        x_val, y_val = next(val_batches)
        a_opt.zero_grad(set_to_none=True)
        F.cross_entropy(supernet(x_val, _tune_weights(supernet, decisions)), y_val).backward()
        a_opt.step()
        w_opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(supernet(x, [w.detach() for w in _tune_weights(supernet, decisions)]), y)
        if not torch.isfinite(loss):
            raise FloatingPointError(f"the loss became {float(loss)} while fine-tuning between decisions: lower w_lr "
                                     f"(now {config.w_lr}) or a_lr (now {config.a_lr})")
        loss.backward()
        torch.nn.utils.clip_grad_norm_(supernet.weight_parameters(), config.grad_clip)
        w_opt.step()


def perturbation_select(supernet, config: PTConfig, train_loader, val_loader, *, seed: int = 0,
                        out: str | None = None, resume: bool = False, overwrite: bool = False,
                        progress: bool = True) -> SelectionResult:
    """DARTS-PT's whole selection (spec 5.2) on a trained supernet, which it fine-tunes in place.

    NAS-Bench-201: 6 decisions, one edge each, edges in random order. DARTS space: 14 operation
    decisions (a random undecided edge of the normal and of the reduction cell each time), then
    3 topology decisions (a random node with more than two inputs, per cell type, pruned to two by
    removing the edge whose removal leaves the highest accuracy). ``config.proj_intv`` epochs of
    fine-tuning (``_fine_tune``) separate two decisions; the selection ends with the last decision
    (fine-tuning after it cannot change the genotype). The loaders are the search's split: the
    weights tune on ``train_loader``, α on ``val_loader``, and every strength is measured on the
    first ``config.eval_batches`` batches of the validation half without augmentation, the same
    images for every candidate.

    ``out``: a folder for ``result.json`` and ``checkpoint.pt``, written after every decision, so
    that ``resume=True`` continues an interrupted selection exactly (same seed and settings).
    """
    if not isinstance(config, PTConfig):
        raise TypeError(f"config must be a PTConfig (make_pt_config(space, preset)), got {type(config).__name__}")
    if not hasattr(supernet, "arch_parameters"):
        raise TypeError(f"perturbation_select needs a supernet, got {type(supernet).__name__}")
    events = _events(supernet)
    w_opt = torch.optim.SGD(supernet.weight_parameters(), lr=config.w_lr, momentum=config.w_momentum,
                            weight_decay=config.w_weight_decay)
    a_opt = torch.optim.Adam(supernet.arch_parameters(), lr=config.a_lr, betas=config.a_betas,
                             weight_decay=config.a_weight_decay)
    rng = random.Random(seed)
    decisions = Decisions(supernet)
    result = SelectionResult(space=supernet.space, seed=seed, config=config)
    settings = {**asdict(config), "seed": seed, "space": supernet.space}
    # one writer at a time: the folder is checked, created and locked before any work, and stays
    # locked until the selection returns (the lock goes with the process if it dies)
    folder = (prepare_folder(out, resume=resume, overwrite=overwrite, what="selection") if out is not None
              else contextlib.nullcontext())
    with folder:
        if resume:
            saved = load_checkpoint_file(os.path.join(out, CHECKPOINT), ("settings", "supernet", "w_opt", "a_opt",
                                         "train_loader", "val_loader", "rng", "decisions", "records", "seconds"))
            if saved["settings"] != {**settings, "a_betas": list(config.a_betas)}:
                raise RunFolderError(f"the selection in {out} was made with other settings ({saved['settings']}); "
                                     "resume with those, or pass overwrite=True")
            supernet.load_state_dict(saved["supernet"])
            w_opt.load_state_dict(saved["w_opt"])
            a_opt.load_state_dict(saved["a_opt"])
            train_loader.load_state_dict(saved["train_loader"])
            val_loader.load_state_dict(saved["val_loader"])
            version, state, gauss = saved["rng"]
            rng.setstate((version, tuple(state), gauss))
            decisions = Decisions.from_dict(supernet, saved["decisions"])
            result.decisions, result.seconds = list(saved["records"]), saved["seconds"]
        val_batches = forever(val_loader)
        eval_data = val_loader.plain_batches(config.eval_batches)  # the same images for every measurement
        done = len({(r["event"]) for r in result.decisions})
        bar = tqdm(total=len(events), initial=done, desc=f"PT selection on {supernet.space}",
                   disable=progress_disabled(progress))
        for k in range(done, len(events)):
            start = time.perf_counter()
            if k > 0:
                for _ in range(config.proj_intv):
                    _fine_tune(supernet, decisions, w_opt, a_opt, train_loader, val_batches, config)
            for record in _decide(supernet, events[k][0], decisions, eval_data, rng):
                result.decisions.append({"event": k, **record})
            result.seconds = round(result.seconds + time.perf_counter() - start, 3)
            result.genotype = _genotype_string(supernet, decisions)
            bar.update(1)
            if out is not None:
                text = json.dumps(result.to_dict(), indent=1).encode()
                version, state, gauss = rng.getstate()
                with writing_checkpoint(out, "selection"):  # a disk error says whether the last checkpoint resumes
                    atomic_write(os.path.join(out, "result.json"), lambda f: f.write(text))
                    save_checkpoint_file(os.path.join(out, CHECKPOINT), {
                        "settings": {**settings, "a_betas": list(config.a_betas)}, "supernet": supernet.state_dict(),
                        "w_opt": w_opt.state_dict(), "a_opt": a_opt.state_dict(),
                        "train_loader": train_loader.state_dict(), "val_loader": val_loader.state_dict(),
                        "rng": [version, list(state), gauss], "decisions": decisions.to_dict(),
                        "records": result.decisions, "seconds": result.seconds})
        bar.close()
        return result


def _genotype_string(supernet, decisions: Decisions) -> str:
    """The genotype of the projected weights: DARTS's parse (two strongest live inputs per node), or NB201's argmax."""
    genotype = supernet.genotype(projected_weights(supernet, decisions))
    return genotype if isinstance(genotype, str) else genotype_to_str(genotype)
