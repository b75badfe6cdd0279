"""Variants of a DARTS-space cell: rewired, with other operations, drawn at random, one change away.

Shu, Wang & Cai (ICLR 2020, "Understanding architectures learnt by cell-based neural architecture
search") ask whether NAS favours wide, shallow cells by building variants of published cells and
training them: the widest-shallowest rewiring (``widest_shallowest``, their ``*_ADAPT``),
random connections with the operations kept (``random_connections``; grouped by width,
``width_family``, their c1..c12) and random operations with the connections kept
(``random_operations``), each as their code draws it. The course adds uniform samples of the space
(``sample_darts_genotype``) and the cells one change away (``darts_neighbours``) for lessons 01 and
07. What a genotype is, and its width and depth, are ``genotypes.py``'s. Every function takes a
genotype or its string form.
"""

from __future__ import annotations

import random

import numpy as np

from .genotypes import Genotype, _plain, as_genotype, cell_width_depth, rng_from
from .ops import DARTS_OPS

__all__ = ["widest_shallowest", "random_connections", "width_family", "random_operations", "sample_darts_genotype",
           "darts_neighbours"]


# ------ Shu, Wang & Cai's variants (as their code builds them) --------------------------------------

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
