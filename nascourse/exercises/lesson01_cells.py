"""Checkers for the exercises of cells and search spaces (lesson 01)."""

from __future__ import annotations

from .common import _report, _call


def _wd_cases() -> list[tuple[str, list, list]]:
    """(label, cell, concat) cases for check_width_depth: published cells, Shu et al.'s random
    wirings (a node may read one node twice), seeded random DARTS cells with random concat subsets,
    and chains whose deepest node is left out of concat."""
    import random

    from nascourse import genotypes as G
    from nascourse import variants as V

    cases = []
    for name in ("NASNET", "AMOEBANET", "ENAS", "DARTS_V2", "SNAS_MILD"):
        g = getattr(G, name)
        cases += [(f"{name} normal", g.normal, g.normal_concat), (f"{name} reduce", g.reduce, g.reduce_concat)]
    for seed in range(1, 11):
        g = V.random_connections(G.DARTS_V2, seed)
        cases.append((f"random_connections(DARTS_V2, {seed}) normal", g.normal, g.normal_concat))
    rng = random.Random(101)
    for k in range(10):
        g = V.sample_darts_genotype(rng, steps=4 + k % 2)
        nodes = list(g.normal_concat)
        concat = sorted(rng.sample(nodes, rng.randint(1, len(nodes))))
        cases.append((f"random cell {k} with concat {concat}", g.normal, concat))
    chain = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1), ("skip_connect", 0), ("sep_conv_3x3", 2),
             ("sep_conv_3x3", 2), ("dil_conv_3x3", 3), ("skip_connect", 3), ("sep_conv_3x3", 4)]
    cases += [("a chain with concat [2, 3, 4, 5]", chain, [2, 3, 4, 5]), ("the same chain with concat [2, 3]",
              chain, [2, 3]), ("the same chain with concat [2]", chain, [2])]
    return cases


def _wd_variants(cell: list, concat: list) -> dict[str, float]:
    """The width or depth that each typical mistake gives on one cell, keyed as in _WD_MISTAKES."""
    from nascourse.genotypes import cell_width_depth

    _, depth = cell_width_depth(cell, concat)
    steps = len(cell) // 2
    pairs = [(cell[2 * i][1], cell[2 * i + 1][1]) for i in range(steps)]
    from_input = [sum(j < 2 for j in p) for p in pairs]  # edges from c_{k-2}, c_{k-1} per node
    d_max, d_min = {0: 0, 1: 0}, {0: 0, 1: 0}
    for i, (a, b) in enumerate(pairs):
        d_max[i + 2] = 1 + max(d_max[a], d_max[b])
        d_min[i + 2] = 1 + min(d_min[a], d_min[b])
    return {
        "depth:no_output_edge": depth - 1,
        "depth:counted_nodes": depth + 1,
        "depth:ignored_concat": 1 + max(d_max[i + 2] for i in range(steps)),
        "depth:shortest_path": 1 + max(d_min[m] for m in concat),
        "width:partial_node_full": float(sum(n > 0 for n in from_input)),
        "width:partial_node_zero": float(sum(n == 2 for n in from_input)),
        "width:edges_not_halved": float(sum(from_input)),
        "width:over_concat": sum(from_input[m - 2] for m in concat) / 2,
    }


_WD_MISTAKES = {
    "depth:no_output_edge": "your depth is one short: count the last connection too, from the deepest concatenated "
                            "node into the output c_k. A cell whose nodes all read the inputs has depth 2, not 1.",
    "depth:counted_nodes": "your depth is one too many: depth counts connections (edges) along the path, not nodes. "
                           "Inputs have depth 0, a node 1 + the deepest of its inputs, the output 1 + the deepest "
                           "concatenated node.",
    "depth:ignored_concat": "your depth follows every node, but the output c_k only reads the nodes in concat: "
                            "depth = 1 + max over the concatenated nodes of their depth.",
    "depth:shortest_path": "you took the shortest path: depth is the LONGEST path, d(node) = 1 + max over its two "
                           "inputs (not min).",
    "width:partial_node_full": "a node that mixes an input-node edge with an edge from another intermediate node "
                               "contributes c/2, not c (0.5c per edge from c_{k-2} or c_{k-1}).",
    "width:partial_node_zero": "a node that mixes an input-node edge with an edge from another intermediate node "
                               "still contributes c/2; you counted only nodes whose both edges read input nodes.",
    "width:edges_not_halved": "you counted the edges that leave c_{k-2} or c_{k-1}; each is worth 0.5c (a node has "
                              "two edges), so halve the count.",
    "width:over_concat": "width sums over every intermediate node, whether or not it is in concat; only depth "
                         "depends on concat.",
    "swapped": "you returned (depth, width): return (width, depth), in that order.",
}


def _wd_diagnose(wrong: list) -> list[str]:
    """Name the mistakes that explain every wrong width (or every wrong depth) of ``wrong``, a list of
    (cell, concat, (width, depth) given, (width, depth) expected)."""
    if all((w, d) == (e_d, e_w) for _, _, (w, d), (e_w, e_d) in wrong):
        return [_WD_MISTAKES["swapped"]]
    found = []
    for part, index in (("width", 0), ("depth", 1)):
        bad = [(cell, concat, got[index]) for cell, concat, got, exp in wrong if abs(got[index] - exp[index]) > 1e-9]
        if not bad:
            continue
        keys = [k for k in _WD_MISTAKES if k.startswith(part + ":")]
        explained = [k for k in keys if all(abs(_wd_variants(c, m)[k] - v) < 1e-9 for c, m, v in bad)]
        found += [_WD_MISTAKES[k] for k in explained[:1]]
        if not explained:
            found.append(f"your {part} is wrong on {len(bad)} cells in a way none of the usual mistakes explains: "
                         f"work one of them out by hand (lesson 01, section 'Width and depth')")
    return found


def check_width_depth(width_depth) -> bool:
    """Exercise 1 of lesson 01: ``width_depth(cell, concat) -> (width in units of c, depth)``.

    Compared with ``genotypes.cell_width_depth`` on the published cells, Shu et al.'s random wirings,
    seeded random DARTS cells with random concat lists and hand-made chains.
    """
    from nascourse.genotypes import cell_width_depth

    problems, wrong = [], []
    cases = _wd_cases()
    for label, cell, concat in cases:
        got = _call(width_depth, [tuple(e) for e in cell], list(concat), problems=problems, label=label)
        if got is None:
            if not problems:  # None returned, not raised
                problems.append(f"{label}: returned None; return a pair (width, depth), e.g. (3.5, 3)")
            break
        try:
            w, d = got
            w, d = float(w), float(d)
        except (TypeError, ValueError):
            problems.append(f"{label}: returned {got!r}; return a pair of numbers (width, depth), e.g. (3.5, 3)")
            break
        expected = cell_width_depth(cell, concat)
        if abs(w - expected[0]) > 1e-9 or d != expected[1]:
            wrong.append((label, cell, concat, (w, d), expected))
    if not problems and wrong:
        label, _, _, (w, d), (e_w, e_d) = wrong[0]
        problems.append(f"{len(wrong)} of {len(cases)} cells are wrong, e.g. {label}: you gave ({w:g}, {d:g}), "
                        f"expected ({e_w:g}, {e_d})")
        problems += _wd_diagnose([case[1:] for case in wrong])
    return _report("width and depth (Shu et al. 2020)", problems)


def check_narrowest_deepest(cell) -> bool:
    """Exercise 2 of lesson 01: a DARTS normal cell (8 (op, input) pairs, or a Genotype, whose
    normal cell is used) that is as narrow and as deep as the DARTS space allows, found by exhaustive
    enumeration of its wirings."""
    import itertools

    from nascourse.genotypes import check_cell, cell_width_depth
    from nascourse.ops import DARTS_OPS

    title = "narrowest and deepest DARTS cell"
    if cell is None:
        return _report(title, ["not answered yet: set my_cell to a list of 8 (op, input) pairs"])
    if hasattr(cell, "normal"):
        cell = cell.normal
    concat, problems = [2, 3, 4, 5], []
    try:
        cell = [tuple(e) for e in cell]
        if len(cell) != 8:
            raise ValueError(f"it has {len(cell)} entries; a DARTS cell has 4 nodes, so 8 (op, input) pairs")
        check_cell(cell, concat, [o for o in DARTS_OPS if o != "none"], "cell")
    except (TypeError, ValueError) as e:
        msg = str(e) + (" ('none' is never kept in a genotype)" if "'none'" in str(e) else "")
        return _report(title, [f"this is not a valid DARTS cell: {msg}"])
    for i in range(4):
        if cell[2 * i][1] == cell[2 * i + 1][1]:
            problems.append(f"node {i + 2} reads node {cell[2 * i][1]} twice; in the DARTS space a node keeps its "
                            "two strongest edges from two DIFFERENT earlier nodes")
    if problems:
        return _report(title, problems)
    # every wiring of the space: node i+2 reads 2 distinct nodes of 0 .. i+1 (ops do not matter)
    wirings = list(itertools.product(*[itertools.combinations(range(2 + i), 2) for i in range(4)]))
    values = [cell_width_depth([("skip_connect", j) for pair in w for j in pair], concat) for w in wirings]
    min_width, max_depth = min(w for w, _ in values), max(d for _, d in values)
    width, depth = cell_width_depth(cell, concat)
    inputs = [(cell[2 * i][1], cell[2 * i + 1][1]) for i in range(4)]
    if width > min_width:
        problems.append(f"width {width:g}c, but the space allows {min_width:g}c. Node 2 can only read the two "
                        "inputs (it always adds c); every later node should add as little as it can")
        if all(j < 2 for j in inputs[1]):
            problems.append("node 3 reads two input nodes (c): let it read node 2 and one input (c/2)")
        for i in (2, 3):
            if any(j < 2 for j in inputs[i]):
                problems.append(f"node {i + 2} reads an input node; it can read two intermediate nodes and add 0")
    if depth < max_depth:
        problems.append(f"depth {depth}, but the space allows {max_depth}: chain the nodes (node 3 reads node 2, "
                        "node 4 reads node 3, node 5 reads node 4), so that the longest path visits all four")
    if not problems:
        n = sum(v == (min_width, max_depth) for v in values)
        print(f"width {width:g}c and depth {depth}: the narrowest and deepest a DARTS cell can be "
              f"({n} of the {len(wirings)} wirings of a cell reach both).")
    return _report(title, problems)


def check_nb201_parse(parse) -> bool:
    """Exercise 3 of lesson 01: ``parse(s) -> [6 op names in NB201_EDGES order]``, against
    ``nb201.nb201_parse`` on NAS-Bench-201's own examples and seeded random cells."""
    import random

    from nascourse.nb201 import NB201_EDGES, nb201_format, nb201_parse, sample_nb201

    strings = [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",
        "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|",
    ]
    rng = random.Random(201)
    strings += [nb201_format(sample_nb201(rng)) for _ in range(8)]
    by_source = sorted(range(6), key=lambda e: (NB201_EDGES[e][1], NB201_EDGES[e][0]))  # 1<-0, 2<-0, 3<-0, ...
    problems = []
    for s in strings:
        got = _call(parse, s, problems=problems, label=f"parse({s!r})")
        if problems:
            break
        expected = nb201_parse(s)
        if got is not None and not isinstance(got, str):
            try:
                got = list(got)
            except TypeError:
                pass
        if got == expected:
            continue
        msg = f"parse({s!r}) returned {got!r}, expected {expected!r}"
        if not isinstance(got, list):
            msg += ": return a list of 6 operation names"
        elif len(got) == 3 and all(isinstance(x, (list, tuple)) for x in got):
            msg += ": flatten it, one list of 6 names rather than one list per node"
        elif "" in got:
            msg += (": '|a~0|'.split('|') gives ['', 'a~0', '']; drop the empty strings at the ends of each node")
        elif any(isinstance(x, str) and "~" in x for x in got):
            msg += ": strip the '~j' suffix from each entry ('nor_conv_3x3~0' -> 'nor_conv_3x3')"
        elif len(got) == 6 and got == [expected[e] for e in by_source]:
            msg += (": your list is ordered by source node; NB201_EDGES orders edges by target node: "
                    "1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2 (the order of the string)")
        elif len(got) == 6 and sorted(map(str, got)) == sorted(expected):
            msg += ": right operations, wrong order; keep the order of the string (edges 1<-0, 2<-0, 2<-1, ...)"
        problems.append(msg)
        break
    return _report("NAS-Bench-201 string parser", problems)
