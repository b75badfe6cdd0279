"""Architecture selection: does the largest α mark the operation that matters?

A search ends with a supernet and its α; a *selection* turns them into one discrete cell. Two
rules:

* **Magnitude** (DARTS, Liu et al., ICLR 2019, section 2.4; NAS-Bench-201's argmax): keep, on
  each edge, the operation with the largest softmax(α). In the DARTS space each node then keeps
  the two incoming edges whose best non-``none`` weight is largest (``genotypes.derive_cell``);
  on NAS-Bench-201 every edge keeps its argmax, ``none`` included (``nb201.nb201_derive``).
  The rule assumes that α measures how much an operation contributes.
* **Perturbation** (DARTS-PT, Wang et al., ICLR 2021, section 4): measure the contribution
  directly. The *strength* of operation o on an edge is how much the supernet's validation
  accuracy drops when o is removed, its mixing weight set to 0 with no renormalisation, every
  other edge keeping its current weights:

      ACC\\o = accuracy of the supernet with p_o := 0 on that edge,  o* = argmin_o ACC\\o

  evaluated as the original code does: no gradients, batch normalisation with batch statistics,
  the running statistics left as they were (``search.evaluate``). The strength of a whole edge
  (all its weights set to 0) decides the topology in the DARTS space.

This module holds the measurements: ``projected_weights`` (the mixing weights once some edges
are decided), ``operation_strength``, ``edge_strength`` and the two selections of one edge.
Lesson 06 compares them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .search import evaluate

__all__ = ["magnitude", "projected_weights", "operation_strength", "edge_strength", "strongest_operation",
           "weakest_edge", "Decisions"]


def magnitude(supernet, weights: list[torch.Tensor] | None = None):
    """The magnitude selection of the supernet's softmax(α) (or of ``weights``): a Genotype (DARTS
    space) or an NB201 cell string."""
    return supernet.genotype(weights)


class Decisions:
    """What a perturbation selection has decided so far, per α tensor (cell type) and edge.

    ``ops[c][e]``: the chosen operation's index on edge e of cell type c, or None while undecided.
    ``removed[c]``: edges removed by a topology decision (DARTS space).
    """

    def __init__(self, supernet):
        shapes = [tuple(a.shape) for a in supernet.arch_parameters()]
        self.ops: list[list[int | None]] = [[None] * rows for rows, _ in shapes]
        self.removed: list[set[int]] = [set() for _ in shapes]

    def undecided(self, cell: int) -> list[int]:
        """Edges of cell type ``cell`` whose operation is not chosen yet."""
        return [e for e, o in enumerate(self.ops[cell]) if o is None]

    def to_dict(self) -> dict:
        return {"ops": [list(c) for c in self.ops], "removed": [sorted(r) for r in self.removed]}

    @classmethod
    def from_dict(cls, supernet, d: dict) -> "Decisions":
        out = cls(supernet)
        if [len(c) for c in d["ops"]] != [len(c) for c in out.ops]:
            raise ValueError(f"these decisions are for {[len(c) for c in d['ops']]} edges per cell type, the "
                             f"supernet has {[len(c) for c in out.ops]}")
        out.ops = [list(c) for c in d["ops"]]
        out.removed = [set(r) for r in d["removed"]]
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
    set to 0 there (no renormalisation), everything else as in ``weights``.

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


def strongest_operation(accuracies: list[float], ops: list[str], exclude_none: bool) -> int:
    """o* = argmin ACC\\o: the operation whose removal hurts most (ties: the first). ``exclude_none``
    in the DARTS space, whose cells never hold ``none``."""
    candidates = [o for o, name in enumerate(ops) if not (exclude_none and name == "none")]
    return min(candidates, key=lambda o: (accuracies[o], o))


def weakest_edge(accuracies: list[float], edges: list[int]) -> int:
    """The edge whose removal leaves the highest accuracy (ties: the first): the one to remove."""
    return edges[max(range(len(edges)), key=lambda i: (accuracies[i], -i))]
