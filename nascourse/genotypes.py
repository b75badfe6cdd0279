"""DARTS-space architectures: genotypes, published cells, width and depth, derivation from alpha,
sampling, rewiring and neighbourhoods.

A genotype is what a cell search returns: for each intermediate node of a cell, which two earlier
nodes it reads and which operation it applies to each (DARTS, Liu et al., ICLR 2019, sections 2.1
and 2.4; the format of its code's ``genotypes.py``).

    Genotype(normal=[(op, input), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[...])

Entries 2i and 2i+1 of a cell list are the two inputs of intermediate node i+2; input 0 is the
cell before the previous one (c_{k-2}), input 1 the previous cell (c_{k-1}), m >= 2 node m.

Also here: width and depth of a cell and the widest-shallowest and random-connection variants of
Shu, Wang & Cai (ICLR 2020, "Understanding architectures learnt by cell-based neural architecture
search": the definitions behind their Figure 1, the variants as their code builds them); uniform
sampling and one-change neighbourhoods (the course's own definitions). Every public function that
takes a genotype also takes its string form (:func:`as_genotype`). The NAS-Bench-201 cell, one
operation per edge of a fixed graph, is ``nb201.py``'s. Used from lesson 01 on.
"""

from __future__ import annotations

import ast
import random
from collections import namedtuple

import numpy as np
import torch

from nascourse.ops import DARTS_OPS, EVAL_ONLY_OPS

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")

# Published cells, as in the DARTS repository (quark0/darts cnn/genotypes.py).
NASNET = Genotype(
    normal=[("sep_conv_5x5", 1), ("sep_conv_3x3", 0),
            ("sep_conv_5x5", 0), ("sep_conv_3x3", 0),
            ("avg_pool_3x3", 1), ("skip_connect", 0),
            ("avg_pool_3x3", 0), ("avg_pool_3x3", 0),
            ("sep_conv_3x3", 1), ("skip_connect", 1)],
    normal_concat=[2, 3, 4, 5, 6],
    reduce=[("sep_conv_5x5", 1), ("sep_conv_7x7", 0),
            ("max_pool_3x3", 1), ("sep_conv_7x7", 0),
            ("avg_pool_3x3", 1), ("sep_conv_5x5", 0),
            ("skip_connect", 3), ("avg_pool_3x3", 2),
            ("sep_conv_3x3", 2), ("max_pool_3x3", 1)],
    reduce_concat=[4, 5, 6],
)

AMOEBANET = Genotype(
    normal=[("avg_pool_3x3", 0), ("max_pool_3x3", 1),
            ("sep_conv_3x3", 0), ("sep_conv_5x5", 2),
            ("sep_conv_3x3", 0), ("avg_pool_3x3", 3),
            ("sep_conv_3x3", 1), ("skip_connect", 1),
            ("skip_connect", 0), ("avg_pool_3x3", 1)],
    normal_concat=[4, 5, 6],
    reduce=[("avg_pool_3x3", 0), ("sep_conv_3x3", 1),
            ("max_pool_3x3", 0), ("sep_conv_7x7", 2),
            ("sep_conv_7x7", 0), ("avg_pool_3x3", 1),
            ("max_pool_3x3", 0), ("max_pool_3x3", 1),
            ("conv_7x1_1x7", 0), ("sep_conv_3x3", 5)],
    reduce_concat=[3, 4, 6],
)

DARTS_V1 = Genotype(
    normal=[("sep_conv_3x3", 1), ("sep_conv_3x3", 0),
            ("skip_connect", 0), ("sep_conv_3x3", 1),
            ("skip_connect", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 0), ("skip_connect", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1),
            ("skip_connect", 2), ("max_pool_3x3", 0),
            ("max_pool_3x3", 0), ("skip_connect", 2),
            ("skip_connect", 2), ("avg_pool_3x3", 0)],
    reduce_concat=[2, 3, 4, 5],
)

DARTS_V2 = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 1), ("skip_connect", 0),
            ("skip_connect", 0), ("dil_conv_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1),
            ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 0), ("skip_connect", 2),
            ("skip_connect", 2), ("max_pool_3x3", 1)],
    reduce_concat=[2, 3, 4, 5],
)
DARTS = DARTS_V2

# ENAS and SNAS (mild), as in Understanding-NAS (shuyao95/Understanding-NAS genotypes.py, commits e54bef2
# and b6cca34 agree).
ENAS = Genotype(
    normal=[("sep_conv_3x3", 1), ("skip_connect", 1),
            ("sep_conv_5x5", 1), ("skip_connect", 0),
            ("avg_pool_3x3", 0), ("sep_conv_3x3", 1),
            ("sep_conv_3x3", 0), ("avg_pool_3x3", 1),
            ("sep_conv_5x5", 1), ("avg_pool_3x3", 0)],
    normal_concat=[2, 3, 4, 5, 6],
    reduce=[("sep_conv_5x5", 0), ("avg_pool_3x3", 1),
            ("sep_conv_3x3", 1), ("avg_pool_3x3", 1),
            ("sep_conv_3x3", 1), ("avg_pool_3x3", 1),
            ("sep_conv_5x5", 4), ("avg_pool_3x3", 1),
            ("sep_conv_3x3", 5), ("sep_conv_5x5", 0)],
    reduce_concat=[2, 3, 6],
)

SNAS_MILD = Genotype(
    normal=[("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
            ("skip_connect", 0), ("dil_conv_3x3", 1),
            ("skip_connect", 0), ("skip_connect", 1),
            ("skip_connect", 0), ("sep_conv_3x3", 1)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1),
            ("skip_connect", 2), ("max_pool_3x3", 1),
            ("max_pool_3x3", 1), ("skip_connect", 2),
            ("dil_conv_5x5", 2), ("max_pool_3x3", 0)],
    reduce_concat=[2, 3, 4, 5],
)


def _pt(normal, reduce) -> Genotype:
    return Genotype(normal=normal, normal_concat=[2, 3, 4, 5], reduce=reduce, reduce_concat=[2, 3, 4, 5])


# DARTS-PT (Wang et al., ICLR 2021): the DARTS-space cells of four search seeds on CIFAR-10, selected by
# perturbation from first-order DARTS supernets (DARTS_PT) and from supernets trained with α fixed
# (FIX_ALPHA_PT), as in their repository (ruocwang/darts-pt sota/cnn/genotypes.py: darts_pt_s5_0..3 and
# blank_pt_s5_0..3). Lesson 06 compares their width and depth with the magnitude rule's cells.
DARTS_PT = (
    _pt([("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_5x5", 0), ("dil_conv_3x3", 1),
         ("skip_connect", 0), ("skip_connect", 2), ("skip_connect", 0), ("max_pool_3x3", 4)],
        [("sep_conv_3x3", 0), ("avg_pool_3x3", 1), ("dil_conv_5x5", 1), ("dil_conv_3x3", 2),
         ("avg_pool_3x3", 0), ("max_pool_3x3", 2), ("sep_conv_3x3", 2), ("skip_connect", 4)]),
    _pt([("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("dil_conv_3x3", 1),
         ("max_pool_3x3", 0), ("skip_connect", 2), ("skip_connect", 0), ("dil_conv_3x3", 4)],
        [("dil_conv_5x5", 0), ("avg_pool_3x3", 1), ("max_pool_3x3", 0), ("sep_conv_5x5", 2),
         ("max_pool_3x3", 1), ("dil_conv_3x3", 3), ("sep_conv_5x5", 0), ("sep_conv_3x3", 4)]),
    _pt([("skip_connect", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("dil_conv_3x3", 1),
         ("skip_connect", 2), ("dil_conv_3x3", 3), ("max_pool_3x3", 1), ("skip_connect", 2)],
        [("avg_pool_3x3", 0), ("max_pool_3x3", 1), ("avg_pool_3x3", 0), ("sep_conv_3x3", 1),
         ("dil_conv_5x5", 2), ("skip_connect", 3), ("sep_conv_3x3", 2), ("sep_conv_5x5", 4)]),
    _pt([("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
         ("skip_connect", 0), ("skip_connect", 2), ("sep_conv_3x3", 1), ("skip_connect", 3)],
        [("avg_pool_3x3", 0), ("sep_conv_5x5", 1), ("max_pool_3x3", 1), ("skip_connect", 2),
         ("dil_conv_5x5", 1), ("max_pool_3x3", 3), ("sep_conv_5x5", 2), ("skip_connect", 3)]),
)

FIX_ALPHA_PT = (
    _pt([("sep_conv_3x3", 0), ("sep_conv_5x5", 1), ("sep_conv_3x3", 0), ("sep_conv_3x3", 1),
         ("avg_pool_3x3", 1), ("skip_connect", 3), ("max_pool_3x3", 0), ("avg_pool_3x3", 2)],
        [("skip_connect", 0), ("sep_conv_5x5", 1), ("dil_conv_3x3", 1), ("sep_conv_5x5", 2),
         ("max_pool_3x3", 0), ("skip_connect", 3), ("max_pool_3x3", 0), ("max_pool_3x3", 2)]),
    _pt([("avg_pool_3x3", 0), ("avg_pool_3x3", 1), ("sep_conv_3x3", 0), ("max_pool_3x3", 2),
         ("skip_connect", 2), ("sep_conv_3x3", 3), ("sep_conv_5x5", 0), ("sep_conv_5x5", 1)],
        [("max_pool_3x3", 0), ("dil_conv_5x5", 1), ("sep_conv_3x3", 0), ("skip_connect", 1),
         ("avg_pool_3x3", 2), ("max_pool_3x3", 3), ("sep_conv_5x5", 3), ("sep_conv_5x5", 4)]),
    _pt([("avg_pool_3x3", 0), ("dil_conv_3x3", 1), ("sep_conv_5x5", 0), ("max_pool_3x3", 1),
         ("max_pool_3x3", 0), ("skip_connect", 1), ("sep_conv_5x5", 1), ("avg_pool_3x3", 2)],
        [("sep_conv_3x3", 0), ("avg_pool_3x3", 1), ("avg_pool_3x3", 0), ("sep_conv_5x5", 1),
         ("max_pool_3x3", 0), ("sep_conv_5x5", 3), ("max_pool_3x3", 2), ("dil_conv_5x5", 4)]),
    _pt([("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 1),
         ("max_pool_3x3", 2), ("sep_conv_3x3", 3), ("avg_pool_3x3", 0), ("sep_conv_5x5", 1)],
        [("dil_conv_5x5", 0), ("sep_conv_5x5", 1), ("sep_conv_5x5", 0), ("dil_conv_3x3", 1),
         ("avg_pool_3x3", 1), ("skip_connect", 2), ("max_pool_3x3", 0), ("skip_connect", 4)]),
)

def derive_cell(weights: torch.Tensor, ops: list[str], steps: int = 4) -> list[tuple[str, int]]:
    """DARTS's magnitude rule (Liu et al., ICLR 2019, section 2.4): a cell list from a (num_edges, num_ops) matrix.

    ``weights`` holds softmax(alpha) with one row per edge, in the supernet's edge order
    (node 2 reads 0, 1; node 3 reads 0, 1, 2; ...). For each intermediate node keep the two
    incoming edges whose strongest non-``none`` operation is largest, and on each that operation.
    ``none`` is never selected. Returns 2 * steps (op_name, input_index) pairs. Compared in the
    weights' own precision: casting float64 weights to float32 would turn near-ties into ties and
    decide them by position, not by value.
    """
    weights = torch.as_tensor(weights).detach().cpu()
    if not weights.is_floating_point():
        weights = weights.double()
    num_edges = sum(2 + i for i in range(steps))
    if weights.shape != (num_edges, len(ops)):
        raise ValueError(
            f"weights has shape {tuple(weights.shape)}, expected ({num_edges}, {len(ops)}) "
            f"for {steps} nodes and {len(ops)} operations"
        )
    candidates = [o for o, name in enumerate(ops) if name != "none"]
    if not candidates:
        raise ValueError(f"operation list {ops} has nothing but 'none' to choose from")
    masked = weights[:, candidates]  # (num_edges, |O| - 1): none never counts
    cell = []
    start = 0
    for i in range(steps):
        n = 2 + i  # node i+2 has an edge from each of the n earlier nodes
        rows = masked[start:start + n]  # (n, |O| - 1)
        strength, best = rows.max(dim=1)  # strongest non-none op per incoming edge
        strength, best = strength.tolist(), best.tolist()
        # top-2 edges by strength, strongest first as in DARTS (a stable sort: ties go to the earlier input)
        order = sorted(range(n), key=lambda j: -strength[j])[:2]
        for j in order:
            cell.append((ops[candidates[best[j]]], j))
        start += n
    return cell


# ------ Validation and saving -----------------------------------------------------------------------

KNOWN_OPS = DARTS_OPS + EVAL_ONLY_OPS  # every operation a published DARTS-space cell uses
_FORM = "Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[...])"


def _check_cell(cell: list, concat: list, ops: list[str] | None, name: str = "cell") -> None:
    """Raise ValueError unless ``cell`` is 2 (op, input) pairs per node with valid inputs and concat."""
    if not isinstance(cell, (list, tuple)) or len(cell) == 0 or len(cell) % 2:
        size = f"has {len(cell)} entries" if isinstance(cell, (list, tuple)) else f"= {cell!r}"
        raise ValueError(f"{name} {size}; expected a list of 2 (op, input) pairs per node, e.g. 8 for 4 nodes")
    for k, entry in enumerate(cell):
        node = 2 + k // 2  # entries 2i, 2i+1 feed node i+2, which may read nodes 0 .. i+1
        if not (isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[0], str)):
            raise ValueError(f"{name}[{k}] = {entry!r}; expected a pair (op_name, input_index)")
        op, j = entry
        if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < node:
            raise ValueError(f"{name}[{k}] = {entry!r}: node {node} can only read inputs 0..{node - 1}")
        if ops is not None and op not in ops:
            raise ValueError(f"{name}[{k}] = {entry!r}: unknown operation {op!r}; expected one of {ops}")
    nodes = list(range(2, 2 + len(cell) // 2))
    if len(concat) == 0 or len(set(concat)) != len(concat) or any(m not in nodes for m in concat):
        raise ValueError(f"{name}_concat = {list(concat)}: expected distinct node indices from {nodes}")


def check_genotype(genotype: Genotype | str, ops: list[str] | None = KNOWN_OPS) -> None:
    """Raise a ValueError naming the bad field unless ``genotype`` is well formed.

    Checks: 2 pairs per node, input indices 0 <= j < node, op names in ``ops`` (default: the DARTS
    operations plus sep_conv_7x7 and conv_7x1_1x7; None skips this check), concat indices distinct
    intermediate nodes. A string is parsed by :func:`genotype_from_str`, which checks the same.
    """
    if isinstance(genotype, str):
        genotype_from_str(genotype, ops)
        return
    if not (isinstance(genotype, tuple) and len(genotype) == 4):  # a Genotype or a plain 4-tuple
        raise ValueError(f"{genotype!r} is not a genotype; expected {_FORM}")
    genotype = Genotype(*genotype)
    for name in ("normal", "reduce"):
        _check_cell(getattr(genotype, name), getattr(genotype, name + "_concat"), ops, name)


def _plain(genotype: Genotype) -> Genotype:
    """The same genotype with plain lists, str and int (no range, tuple or numpy integers)."""
    normal, normal_concat, reduce, reduce_concat = genotype
    return Genotype([(str(op), int(j)) for op, j in normal], [int(m) for m in normal_concat],
                    [(str(op), int(j)) for op, j in reduce], [int(m) for m in reduce_concat])


def genotype_to_str(genotype: Genotype | str, ops: list[str] | None = None) -> str:
    """The ``Genotype(normal=[...], ...)`` form that DARTS prints; ``genotype_from_str`` reads it back.

    Checked with ``check_genotype(genotype, ops)``; by default any op names pass (e.g. RobustDARTS's
    ``noise``), pass ``ops`` to check them. A string comes back in this canonical form.
    """
    genotype = as_genotype(genotype)
    check_genotype(genotype, ops)
    return repr(_plain(genotype))


def genotype_from_str(s: str | Genotype, ops: list[str] | None = None) -> Genotype:
    """Parse ``genotype_to_str``'s form (and DARTS's logs, which print concat as ``range(2, 6)``).

    Only literals are read (``ast.literal_eval`` on each field), never ``eval``. Checked like
    ``genotype_to_str``: pass ``ops`` to reject unknown op names. A Genotype is returned unchanged
    (checked against ``ops`` if given), so code may call this on either form.
    """
    if isinstance(s, Genotype):
        if ops is not None:
            check_genotype(s, ops)
        return s

    def fail(why: str) -> ValueError:
        if "~" in str(s) and "|" in str(s):
            why += " (this looks like a NAS-Bench-201 string: read it with nb201_parse or as_nb201)"
        return ValueError(f"malformed genotype string {s!r}: {why}. The expected form is {_FORM}")

    try:
        call = ast.parse(str(s).strip(), mode="eval").body
    except SyntaxError as e:
        raise fail(f"not a Python expression ({e.msg})") from None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Genotype"):
        raise fail("it is not a call Genotype(...)")
    if call.args or sorted(k.arg or "**" for k in call.keywords) != sorted(Genotype._fields):
        raise fail(f"expected exactly the keyword arguments {', '.join(Genotype._fields)}")
    fields = {}
    for kw in call.keywords:
        v = kw.value
        is_range = isinstance(v, ast.Call) and getattr(v.func, "id", None) == "range" and not v.keywords
        try:
            fields[kw.arg] = list(range(*map(ast.literal_eval, v.args))) if is_range else ast.literal_eval(v)
        except (ValueError, TypeError, SyntaxError):
            raise fail(f"{kw.arg} is not a literal list") from None
    try:
        check_genotype(Genotype(**fields), ops)
    except ValueError as e:
        raise fail(str(e)) from None
    return _plain(Genotype(**fields))


def as_genotype(genotype: Genotype | str | tuple | list) -> Genotype:
    """A :class:`Genotype` from a Genotype, its string form (``genotype_to_str``'s) or a plain 4-tuple/list.

    Every public function that takes a DARTS-space genotype calls this, so a string copied from a
    search's log or ``result.json`` works wherever a Genotype does. A malformed string raises
    genotype_from_str's ValueError; anything else raises a TypeError naming what was passed.
    """
    if isinstance(genotype, Genotype):
        return genotype
    if isinstance(genotype, str):
        return genotype_from_str(genotype)
    # a plain tuple or a list from JSON: (normal, normal_concat, reduce, reduce_concat)
    if isinstance(genotype, (tuple, list)) and len(genotype) == 4 and all(
            isinstance(c, (tuple, list, range)) and all(isinstance(m, (int, np.integer)) for m in c)
            for c in (genotype[1], genotype[3])):
        return Genotype(*genotype)
    if isinstance(genotype, (tuple, list)) and len(genotype) == 6 and all(isinstance(o, str) for o in genotype):
        hint = " This looks like a NAS-Bench-201 cell: use as_nb201, NB201Network or plot.draw_nb201_cell."
    elif isinstance(genotype, (tuple, list)) and genotype and all(
            isinstance(e, (tuple, list)) and len(e) == 2 and isinstance(e[0], str) for e in genotype):
        hint = " This looks like one cell (a genotype's normal or reduce list): pass the whole genotype."
    else:
        hint = ""
    shown = repr(genotype)
    shown = shown if len(shown) <= 120 else shown[:117] + "..."
    raise TypeError(f"expected a Genotype or its string form {_FORM}, got {type(genotype).__name__} {shown}. "
                    f"A string is read by genotype_from_str; build a Genotype with Genotype(normal=..., "
                    f"normal_concat=..., reduce=..., reduce_concat=...).{hint}")


# ------ Width and depth (Shu, Wang & Cai, ICLR 2020) and the variants built from them ------------

def cell_width_depth(cell: list[tuple[str, int]], concat: list[int]) -> tuple[float, int]:
    """(width in units of c, depth) of one cell, as Shu, Wang & Cai (ICLR 2020) define them.

    Their definitions: the depth is the number of connections on the longest path from the input
    nodes to the output node; the width is the total width of the intermediate nodes connected to
    the input nodes, c being the width (channels) of one intermediate node. Reading "connected"
    proportionally, as the course does (it reproduces every value of their Figure 1):

    width: each node contributes c times the fraction of its edges that read an input node
    (c_{k-2} or c_{k-1}); with 2 edges per node that is 0.5c per such edge.
    depth: d(input) = 0, d(node) = 1 + max over its inputs, depth = 1 + max over the concatenated
    nodes (the node -> output edge counts as one connection).
    """
    _check_cell(cell, concat, None)
    width, d = 0.0, {0: 0, 1: 0}
    for i in range(len(cell) // 2):
        inputs = [cell[2 * i][1], cell[2 * i + 1][1]]
        width += sum(j < 2 for j in inputs) / len(inputs)
        d[i + 2] = 1 + max(d[j] for j in inputs)
    return width, 1 + max(d[m] for m in concat)


def genotype_width_depth(genotype: Genotype | str) -> dict[str, tuple[float, int]]:
    """{"normal": (width, depth), "reduce": (width, depth)} of a genotype's two cells."""
    genotype = as_genotype(genotype)
    return {"normal": cell_width_depth(genotype.normal, genotype.normal_concat),
            "reduce": cell_width_depth(genotype.reduce, genotype.reduce_concat)}


def widest_shallowest(genotype: Genotype | str) -> Genotype:
    """The ``*_ADAPT`` rewiring of Shu, Wang & Cai (ICLR 2020; their repository's genotypes.py):
    every node reads the two input nodes, operations kept.

    Rule: each node's first edge reads c_{k-2} (input 0), its second c_{k-1} (input 1), so each
    node has width c and depth 1 and an n-node cell becomes (n c, 2). Concat lists are kept, as in
    Understanding-NAS (channel counts unchanged; AmoebaNet's normal nodes 2, 3 then feed nothing).
    This equals the repository's hand-made AmoebaNet_ADAPT and SNAS_ADAPT; its NASNet_ADAPT reads
    (1, 0) in every node and its ENAS_ADAPT normal cell reads (0, 0) at node 3 and (0, 1) at node 6.
    In reduction cells every edge now reads an input, so every op keeps stride 2.
    """
    genotype = as_genotype(genotype)
    normal = [(op, k % 2) for k, (op, _) in enumerate(genotype.normal)]  # entry 2i -> 0, 2i+1 -> 1
    reduce = [(op, k % 2) for k, (op, _) in enumerate(genotype.reduce)]
    return _plain(Genotype(normal, genotype.normal_concat, reduce, genotype.reduce_concat))


def random_connections(genotype: Genotype | str, seed: int) -> Genotype:
    """Understanding-NAS's ``random_conn`` (Shu, Wang & Cai, ICLR 2020, as their code draws it): same
    operations, inputs drawn uniformly.

    Reproduces ``np.random.seed(seed)`` + ``np.random.choice`` draw for draw with a private
    ``RandomState`` (the global RNG is untouched). For slot k = 0, 1, ...: draw the normal cell's
    input, then the reduction cell's, each uniformly from ``states``; after every second slot the
    next node joins ``states`` (= [0, 1] at first). Both inputs of a node may coincide; concat kept.
    """
    genotype = as_genotype(genotype)
    if len(genotype.normal) != len(genotype.reduce):
        raise ValueError(f"normal has {len(genotype.normal)} entries and reduce {len(genotype.reduce)}; "
                         "random_connections draws both cells slot by slot and needs equal lengths")
    rng = np.random.RandomState(seed)
    normal, reduce, states = [], [], [0, 1]
    for k, ((op_n, _), (op_r, _)) in enumerate(zip(genotype.normal, genotype.reduce)):
        normal.append((op_n, rng.choice(states, 1).item()))
        reduce.append((op_r, rng.choice(states, 1).item()))
        if k % 2 == 1:
            states.append(states[-1] + 1)
    return _plain(Genotype(normal, genotype.normal_concat, reduce, genotype.reduce_concat))


def width_family(genotype: Genotype | str, widths: tuple[float, ...] = (2.0, 2.5, 3.0, 3.5), per_width: int = 3,
                 seed: int = 1, max_draws: int = 10_000) -> list[tuple[str, Genotype]]:
    """Shu, Wang & Cai's c1..c12: random-connection variants of ``genotype`` grouped by width.

    Draws ``random_connections(genotype, s)`` for s = seed, seed + 1, ... and keeps the first
    ``per_width`` variants whose normal cell has each width in ``widths`` (in units of c). They are
    named c1, c2, ... in order of rising width and, within a width, falling depth (then seed), so
    that width rises and depth falls from the first to the last, as in the paper's family for
    DARTS_V2 (2c, 2.5c, 3c, 3.5c, three each). Returns [(name, genotype), ...]; the same seed gives
    the same family. The grouping of their figures into these four widths is the course's reading.
    """
    genotype = as_genotype(genotype)
    found: dict[float, list[tuple[int, int, Genotype]]] = {float(w): [] for w in widths}
    s = seed
    while any(len(v) < per_width for v in found.values()):
        if s - seed >= max_draws:
            short = {w: len(v) for w, v in found.items() if len(v) < per_width}
            raise ValueError(f"{max_draws} random wirings gave too few cells of some widths (width: found) {short}; "
                             "ask for widths this cell's operations can have, or raise max_draws")
        variant = random_connections(genotype, s)
        width, depth = cell_width_depth(variant.normal, variant.normal_concat)
        if width in found and len(found[width]) < per_width:
            found[width].append((-depth, s, variant))
        s += 1
    ordered = [g for w in sorted(found) for _, _, g in sorted(found[w], key=lambda t: t[:2])]
    return [(f"c{i + 1}", g) for i, g in enumerate(ordered)]


def random_operations(genotype: Genotype | str, seed: int, ops: list[str] = DARTS_OPS) -> Genotype:
    """Understanding-NAS's ``random_ops`` (Shu, Wang & Cai, ICLR 2020, as their code draws it): same
    connections, ops uniform over non-``none`` ops.

    Draw order as in the repository: with ``RandomState(seed)``, all normal-cell op indices in one
    ``choice(n_ops, len(normal))``, then all reduction-cell ones. With ``DARTS_OPS`` this gives its
    DARTS_OPS1..10 etc. exactly.
    """
    genotype = as_genotype(genotype)
    candidates, rng = [o for o in ops if o != "none"], np.random.RandomState(seed)

    def draw(cell: list) -> list:  # one choice(|O| - 1, len(cell)) per cell: new ops, same inputs
        return [(candidates[o], j) for o, (_, j) in zip(rng.choice(len(candidates), len(cell)), cell)]

    normal = draw(genotype.normal)  # normal cell first, then the reduction cell
    return _plain(Genotype(normal, genotype.normal_concat, draw(genotype.reduce), genotype.reduce_concat))


# ------ Sampling and neighbourhoods (the course's own definitions) ----------------------------------

def rng_from(seed: int | random.Random) -> random.Random:
    """``seed`` itself if it is a ``random.Random``, else a new one seeded with it: samplers take either."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)


def sample_darts_genotype(seed: int | random.Random, ops: list[str] = DARTS_OPS, steps: int = 4) -> Genotype:
    """A uniform DARTS-space genotype: per node, 2 distinct predecessors and a non-``none`` op on each.

    Draw order: normal cell then reduction cell; per node, ``rng.sample`` of the two inputs, then
    the op of each. ``seed`` is an int or a ``random.Random`` (which advances).
    """
    rng, candidates = rng_from(seed), [o for o in ops if o != "none"]
    cells = []
    for _ in ("normal", "reduce"):
        cell = []
        for i in range(steps):
            inputs = rng.sample(range(2 + i), 2)  # node i+2 reads 2 of nodes 0 .. i+1
            cell += [(rng.choice(candidates), j) for j in inputs]
        cells.append(cell)
    concat = list(range(2, 2 + steps))
    return Genotype(cells[0], concat, cells[1], list(concat))


def darts_neighbours(genotype: Genotype | str, ops: list[str] = DARTS_OPS, cell: str = "normal") -> list[Genotype]:
    """Every genotype one change away: one edge's op (non-``none``) or one edge's input.

    The course's own definition: neighbourhood-aware NAS (Wang et al., BMVC 2021) perturbs an
    architecture by changes such as replacing one operation; here a change of one input counts too.

    An input change keeps the node's two inputs distinct (it avoids the other edge's input). For
    DARTS_V2 each cell has 8 * 6 op changes + 12 input changes = 60 neighbours; "both" gives 120.
    """
    if cell not in ("normal", "reduce", "both"):
        raise ValueError(f"cell={cell!r}; expected 'normal', 'reduce' or 'both'")
    genotype, candidates, out = as_genotype(genotype), [o for o in ops if o != "none"], []
    for name in ("normal", "reduce") if cell == "both" else (cell,):
        edges = list(getattr(genotype, name))
        for k, (op, j) in enumerate(edges):
            other = edges[k ^ 1][1]  # the other input of the same node (entries 2i, 2i+1)
            changes = [(o, j) for o in candidates if o != op]
            changes += [(op, x) for x in range(2 + k // 2) if x not in (j, other)]
            for change in changes:
                out.append(genotype._replace(**{name: edges[:k] + [change] + edges[k + 1:]}))
    return out
