"""NAS-Bench-201 cells: the fixed 4-node graph, its string format, the argmax rule, sampling,
neighbours, and the width and depth of a cell.

NAS-Bench-201 (Dong & Yang, ICLR 2020, section 2.1) fixes the cell's graph: nodes 0 (input) to 3
(output), an edge j -> i for every j < i, and one operation of ``ops.NB201_OPS`` on each of the 6
edges, so a cell is 6 operation names in ``NB201_EDGES`` order, written by the benchmark as
``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``. Every public function takes either form
(:func:`as_nb201`). The benchmark's measured accuracies of all 5^6 cells are ``bench.py``'s.
Used from lesson 01 on.
"""

from __future__ import annotations

import random

import torch

from nascourse.genotypes import Genotype, rng_from
from nascourse.ops import NB201_OPS

NB201_EDGES = [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]  # (i, j) = edge j -> i; alpha's row order
_NB201_FORM = ("'|op~0|+|op~0|op~1|+|op~0|op~1|op~2|', e.g. '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|"
               "+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|'")


def _check_nb201(arch: list[str], ops: list[str]) -> None:
    if len(arch) != len(NB201_EDGES) or any(o not in ops for o in arch):
        raise ValueError(f"{arch!r} is not a NAS-Bench-201 cell; expected 6 op names from {ops}, one for each "
                         f"of the 6 edges {NB201_EDGES} (i, j = edge j -> i), in that order")


def nb201_format(arch: list[str] | str, ops: list[str] = NB201_OPS) -> str:
    """6 op names in NB201_EDGES order -> ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (a string is checked and kept)."""
    arch = as_nb201(arch, ops)
    return "+".join("|" + "|".join(f"{o}~{j}" for o, (t, j) in zip(arch, NB201_EDGES) if t == i) + "|"
                    for i in (1, 2, 3))


def nb201_parse(s: str, ops: list[str] = NB201_OPS) -> list[str]:
    """``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` -> 6 op names in NB201_EDGES order.

    Oracle for grading: ``check_nb201_parse`` compares answers with it.
    """
    def fail(why: str) -> ValueError:
        return ValueError(f"malformed NAS-Bench-201 string {s!r}: {why}. The expected form is {_NB201_FORM}")

    nodes = str(s).split("+")
    if len(nodes) != 3:
        raise fail(f"{len(nodes)} nodes separated by '+', expected 3")
    arch = []
    for i, node in enumerate(nodes, start=1):  # node i has one entry per earlier node j = 0 .. i-1
        if len(node) < 2 or node[0] != "|" or node[-1] != "|":
            raise fail(f"node {i} ({node!r}) must start and end with '|'")
        entries = node[1:-1].split("|")
        if len(entries) != i:
            raise fail(f"node {i} has {len(entries)} entries, expected {i}")
        for j, entry in enumerate(entries):
            op, _, source = entry.partition("~")
            if source != str(j):
                raise fail(f"entry {entry!r} of node {i} should read node {j} ('{op}~{j}')")
            if op not in ops:
                raise fail(f"unknown operation {op!r}, expected one of {ops}")
            arch.append(op)
    return arch


def as_nb201(arch: list[str] | tuple | str, ops: list[str] = NB201_OPS) -> list[str]:
    """The 6 op names (in NB201_EDGES order) of a NAS-Bench-201 cell given as a string or as 6 names.

    Every public function that takes an NB201 cell calls this. A malformed string raises
    nb201_parse's ValueError, a wrong list a ValueError naming the 6 edges, anything else a TypeError.
    """
    if isinstance(arch, str):
        if arch.lstrip().startswith("Genotype("):
            raise ValueError(f"{arch[:60]!r}... is a DARTS-space genotype, not a NAS-Bench-201 cell: use "
                             f"as_genotype, DartsNetwork or plot.draw_genotype. An NB201 cell reads {_NB201_FORM}")
        return nb201_parse(arch, ops)
    if isinstance(arch, Genotype):
        raise TypeError("got a DARTS-space Genotype, not a NAS-Bench-201 cell: use DartsNetwork or "
                        f"plot.draw_genotype. An NB201 cell is a string {_NB201_FORM} or 6 op names from {ops}")
    if isinstance(arch, (list, tuple)):
        _check_nb201(list(arch), ops)
        return [str(o) for o in arch]
    raise TypeError(f"expected a NAS-Bench-201 cell, a string {_NB201_FORM} (read by nb201_parse) or 6 op names "
                    f"from {ops}, got {type(arch).__name__} {arch!r:.100}")


def nb201_derive(weights: torch.Tensor, ops: list[str] = NB201_OPS) -> list[str]:
    """Argmax over ALL operations, ``none`` included, of a ``(6, |O|)`` weight matrix.

    The rule of the DARTS baseline in NAS-Bench-201 (Dong & Yang, ICLR 2020; their AutoDL code),
    unlike DARTS's own rule, which never picks ``none``.
    """
    weights = torch.as_tensor(weights).detach()
    if weights.shape != (len(NB201_EDGES), len(ops)):
        raise ValueError(f"weights has shape {tuple(weights.shape)}, expected ({len(NB201_EDGES)}, {len(ops)}): "
                         "one row per edge in NB201_EDGES order, one column per operation")
    return [ops[int(o)] for o in weights.argmax(dim=1)]  # (6, |O|) -> 6 op indices


def sample_nb201(seed: int | random.Random, ops: list[str] = NB201_OPS) -> list[str]:
    """A uniform NAS-Bench-201 cell: 6 ops drawn independently, in NB201_EDGES order."""
    rng = rng_from(seed)
    return [rng.choice(ops) for _ in NB201_EDGES]


def nb201_neighbours(arch: list[str] | str, ops: list[str] = NB201_OPS) -> list[list[str]]:
    """The 6 * (``|O|`` - 1) = 24 cells one edge's op away (Hamming distance 1; the course's own definition).

    Oracle for grading: ``check_neighbourhood_mean`` compares answers with it.
    """
    arch = as_nb201(arch, ops)
    return [arch[:e] + [o] + arch[e + 1:] for e in range(len(arch)) for o in ops if o != arch[e]]


# ------ Width and depth of a NAS-Bench-201 cell (Shu et al., ICLR 2020, applied to NB201) ----------

def _nb201_live_edges(arch: list[str]) -> list[tuple[int, int]]:
    """The non-none edges (i, j) = j -> i that lie on some path from node 0 to node 3."""
    edges = [e for e, o in zip(NB201_EDGES, arch) if o != "none"]
    reached = {0}  # nodes with a path from the input
    for i in (1, 2, 3):
        if any(t == i and j in reached for t, j in edges):
            reached.add(i)
    feeds = {3}  # nodes with a path to the output
    for j in (2, 1, 0):
        if any(t in feeds and s == j for t, s in edges):
            feeds.add(j)
    return [(i, j) for i, j in edges if j in reached and i in feeds]


def nb201_connected(arch: list[str] | tuple | str, ops: list[str] = NB201_OPS) -> bool:
    """True if a path of non-none edges leads from the input (node 0) to the output (node 3).

    A cell that fails this outputs a constant (its accuracy in NAS-Bench-201 is chance level).
    """
    return bool(_nb201_live_edges(as_nb201(arch, ops)))


def nb201_width_depth(arch: list[str] | tuple | str, ops: list[str] = NB201_OPS) -> tuple[float, int]:
    """(width in units of c, depth) of a NAS-Bench-201 cell, after Shu et al. (ICLR 2020).

    The cell is a graph on nodes 0 (input), 1, 2, 3 (output) with an edge j -> i for each op that
    is not ``none`` (``skip_connect`` and ``avg_pool_3x3`` count as connections just like the
    convolutions: width and depth describe the topology, not the ops). Each node i >= 1 is the
    sum of its incoming edges and has c channels. Edges on no path from 0 to 3 are dropped first:
    they do not change what the cell computes.

    Depth is the number of edges on the longest path from node 0 to node 3 (1, 2 or 3).
    For the width, Shu et al. sum, over the nodes that read the input, c times the fraction of
    the node's edges that come from the input. Here every node i = 1, 2, 3 is such a computing
    node (unlike DARTS, the NB201 output node 3 sums op edges itself, including one straight from
    the input), so::

        width = sum over i in {1, 2, 3} of  (# live edges 0 -> i) / (# live edges into i)

    with 0 for a node without live inputs. It ranges from 1 (a single path) to 7/3.

    Every edge nor_conv_3x3 (NB201 index 1462)::

        0 ---> 1 ---> 2 ---> 3      node 1 reads 0            -> 1
        |      |      ^      ^      node 2 reads 0, 1         -> 1/2
        |      +------|------+      node 3 reads 0, 1, 2      -> 1/3
        +-------------+      |
        +--------------------+      width 11/6 = 1.83, depth 3 (0 -> 1 -> 2 -> 3)

    A chain of convolutions with a skip around it,
    ``|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|``::

        0 -conv-> 1 -conv-> 2 -conv-> 3    node 1 reads 0         -> 1
        |                             ^    node 2 reads 1         -> 0
        +------------skip-------------+    node 3 reads 0, 2      -> 1/2
                                           width 3/2, depth 3

    Raises ValueError if the output is cut off from the input (see ``nb201_connected``).
    """
    arch = as_nb201(arch, ops)
    live = _nb201_live_edges(arch)
    if not live:
        raise ValueError(f"{nb201_format(arch, ops)} has no path of non-none edges from the input "
                         "(node 0) to the output (node 3), so its width and depth are undefined; "
                         "check nb201_connected(arch) first")
    width, depth = 0.0, {0: 0}
    for i in (1, 2, 3):
        sources = [j for t, j in live if t == i]  # live edges j -> i
        if sources:
            width += sources.count(0) / len(sources)
            depth[i] = 1 + max(depth[j] for j in sources)  # every live source is reached from 0
    return width, depth[3]
