"""DARTS-space architectures: genotypes, published cells, width and depth, derivation from alpha.

A genotype is what a cell search returns: for each intermediate node of a cell, which two earlier
nodes it reads and which operation it applies to each (DARTS, Liu et al., ICLR 2019, sections 2.1
and 2.4; the format of its code's ``genotypes.py``).

    Genotype(normal=[(op, input), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[...])

Entries 2i and 2i+1 of a cell list are the two inputs of intermediate node i+2; input 0 is the
cell before the previous one (c_{k-2}), input 1 the previous cell (c_{k-1}), m >= 2 node m.

Also here: the width and depth of a cell as Shu, Wang & Cai define them (ICLR 2020, "Understanding
architectures learnt by cell-based neural architecture search", the definitions behind their
Figure 1). Cells made from other cells (their rewirings, uniform samples, neighbourhoods) are
``variants.py``'s. Every public function that takes a genotype also takes its string form
(:func:`as_genotype`). The NAS-Bench-201 cell, one operation per edge of a fixed graph, is
``nb201.py``'s. Used from lesson 01 on.
"""

from __future__ import annotations

import ast
import random
from collections import namedtuple

import numpy as np
import torch

from nascourse.ops import DARTS_OPS, EVAL_ONLY_OPS

Genotype = namedtuple("Genotype", "normal normal_concat reduce reduce_concat")
Genotype.__doc__ = """A DARTS architecture: the normal and the reduction cell.

``normal`` and ``reduce`` list (operation, input) pairs, two per intermediate node in node order;
``normal_concat`` and ``reduce_concat`` are the nodes concatenated into the cell's output.
"""

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

#: The normal and reduction cell found by first-order DARTS (Liu et al., ICLR 2019).
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

#: The normal and reduction cell found by second-order DARTS (Liu et al., ICLR 2019), the paper's "DARTS".
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


def check_cell(cell: list, concat: list, ops: list[str] | None, name: str = "cell") -> None:
    """Raise ValueError unless ``cell`` is 2 (op, input) pairs per node with valid inputs and concat
    (``ops``: the allowed operations, None for any); an oracle for checkers that grade a built cell."""
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
        check_cell(getattr(genotype, name), getattr(genotype, name + "_concat"), ops, name)


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

    Oracle for grading: ``check_width_depth`` and ``check_narrowest_deepest`` compare answers with it.
    """
    check_cell(cell, concat, None)
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


# ------ Random draws ------------------------------------------------------------------------------

def rng_from(seed: int | random.Random) -> random.Random:
    """``seed`` itself if it is a ``random.Random``, else a new one seeded with it: samplers take either."""
    return seed if isinstance(seed, random.Random) else random.Random(seed)
