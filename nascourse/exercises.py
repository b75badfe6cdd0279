"""Checkers for the lessons' coding exercises.

Each checker takes the student's answer (usually a function), runs it against the library's own
tested implementation on a handful of cases, and prints what is right and what is wrong in
words ("your mixed operation ignores the `none` weight"), rather than a bare assertion. A
checker never raises on a wrong or unfinished answer (an unfinished answer raising
``NotImplementedError`` is reported as such), so exercise cells run top to bottom; it returns
True when every case passes. The worked answers in ``solutions/`` call the same checkers.
"""

from __future__ import annotations

import traceback


def _report(title: str, problems: list[str]) -> bool:
    """Print a verdict: every problem on its own line, or that all cases passed."""
    if problems:
        print(f"{title}: not yet.")
        for p in problems:
            print(f"  - {p}")
        return False
    print(f"{title}: correct.")
    return True


def _call(fn, *args, problems: list[str], label: str):
    """Call the student's ``fn``; on an exception, record it as a problem and return None."""
    try:
        return fn(*args)
    except NotImplementedError:
        problems.append(f"{label}: not implemented yet (the function raises NotImplementedError)")
    except Exception as e:  # a wrong answer is feedback, not a crash
        last = traceback.extract_tb(e.__traceback__)[-1]
        problems.append(f"{label}: raised {type(e).__name__}: {e} (line {last.lineno})")
    return None


# ---- lesson 00: setup and tour ----

def _count_cases(fn, cases, problems, fn_name, describe) -> None:
    """Run ``fn`` on each (label, module, expected) case; ``describe`` explains a wrong count.

    Stops at the first case where ``fn`` raises, so an unfinished function is reported once; a
    mistake already explained is not explained again.
    """
    explained = set()
    for label, module, want in cases:
        before = len(problems)
        got = _call(fn, module, problems=problems, label=f"{fn_name}({label})")
        if len(problems) > before:
            return
        try:
            got_int = int(got)
            if got_int != got:
                raise ValueError
        except (TypeError, ValueError, RuntimeError):
            problems.append(f"{fn_name}({label}) returned {got!r}: return the count as an int")
            return
        if got_int != want:
            why = describe(module, got_int)
            problems.append(f"{fn_name}({label}) returned {got_int:,}, expected {want:,}: "
                            + ("the same mistake" if why in explained else why))
            explained.add(why)


def check_param_counts(n_params, n_weights) -> bool:
    """Lesson 00, exercise 2: ``n_params(module)``, the number of learnable numbers of a module,
    and ``n_weights(supernet)``, the number of network weights w of a supernet (all but alpha)."""
    import torch
    from torch import nn

    from .ops import DARTS_OPS, make_op
    from .supernet import DartsSupernet, NB201Supernet

    def numel(tensors) -> int:
        return sum(t.numel() for t in tensors)

    def why_params(m, got) -> str:
        if got == len(list(m.parameters())):
            return "you counted parameter tensors, not the numbers in them: add up p.numel() for each p"
        if got == numel(m.state_dict().values()):
            return ("you counted buffers too (BatchNorm's running mean, variance and step counter): they are "
                    "statistics, not learnable; count module.parameters(), not state_dict()")
        return "count every number in module.parameters() once: sum(p.numel() for p in module.parameters())"

    def why_weights(s, got) -> str:
        n_alpha = numel(s.arch_parameters())
        if got == numel(s.parameters()):
            return (f"your count includes alpha ({n_alpha:,} numbers): supernet.parameters() holds w and alpha; "
                    "w alone is supernet.weight_parameters()")
        if got == n_alpha:
            return "that is the size of alpha (arch_parameters()); w is supernet.weight_parameters()"
        if got in (len(s.weight_parameters()), len(list(s.parameters()))):
            return "you counted parameter tensors, not the numbers in them: add up p.numel() for each p"
        if got == numel(s.state_dict().values()) or got == numel(s.state_dict().values()) - n_alpha:
            return "you counted buffers too (BatchNorm's running statistics): they are not learnable"
        return "add up p.numel() over supernet.weight_parameters()"

    problems: list[str] = []
    with torch.random.fork_rng(devices=[]):  # building modules draws random weights: leave the caller's RNG alone
        torch.manual_seed(0)
        modules = [("nn.Linear(3, 4)", nn.Linear(3, 4), 16), ("nn.BatchNorm2d(8)", nn.BatchNorm2d(8), 16)]
        modules += [(f"make_op({o!r}, 16, affine=False)", m, numel(m.parameters()))
                    for o in DARTS_OPS for m in [make_op(o, 16, 1, affine=False)]]
        _count_cases(n_params, modules, problems, "n_params", why_params)
        supernets = [("DartsSupernet(C=4, layers=5)", DartsSupernet(C=4, layers=5)),
                     ("NB201Supernet(C=8, N=1)", NB201Supernet(C=8, N=1)),
                     ("DartsSupernet()", DartsSupernet())]
        _count_cases(n_weights, [(label, s, numel(s.weight_parameters())) for label, s in supernets],
                     problems, "n_weights", why_weights)
    return _report("Counting parameters", problems)

# ---- end of lesson 00 ----

# ---- lesson 01: cells and search spaces ------------------------------------------------------

def _wd_cases() -> list[tuple[str, list, list]]:
    """(label, cell, concat) cases for check_width_depth: published cells, Shu et al.'s random
    wirings (a node may read one node twice), seeded random DARTS cells with random concat subsets,
    and chains whose deepest node is left out of concat."""
    import random

    from nascourse import genotypes as G

    cases = []
    for name in ("NASNET", "AMOEBANET", "ENAS", "DARTS_V2", "SNAS_MILD"):
        g = getattr(G, name)
        cases += [(f"{name} normal", g.normal, g.normal_concat), (f"{name} reduce", g.reduce, g.reduce_concat)]
    for seed in range(1, 11):
        g = G.random_connections(G.DARTS_V2, seed)
        cases.append((f"random_connections(DARTS_V2, {seed}) normal", g.normal, g.normal_concat))
    rng = random.Random(101)
    for k in range(10):
        g = G.sample_darts_genotype(rng, steps=4 + k % 2)
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

    from nascourse.genotypes import _check_cell, cell_width_depth
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
        _check_cell(cell, concat, [o for o in DARTS_OPS if o != "none"], "cell")
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
    ``genotypes.nb201_parse`` on the spec's examples and seeded random cells."""
    import random

    from nascourse.genotypes import NB201_EDGES, nb201_format, nb201_parse, sample_nb201

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

# ---- end of lesson 01 ------------------------------------------------------------------------

# ---- lesson 02: the supernet and DARTS -------------------------------------------------------

def _close(a, b, tol: float = 1e-5) -> bool:
    """Same shape and equal up to float32 rounding (relative to the larger of the two)."""
    import torch

    if not isinstance(a, torch.Tensor) or a.shape != b.shape:
        return False
    return bool((a.detach() - b).abs().max() <= tol * (1 + b.abs().max()))


def check_mixed_op(mixed) -> bool:
    """Lesson 02, exercise 1: ``mixed(x, alpha, ops)`` = sum_o softmax(alpha)_o * ops[o](x).

    Compared with ``supernet.MixedOp`` (DARTS's 8 operations at stride 1 and 2, NAS-Bench-201's 5)
    on random inputs and logits; a wrong answer is matched against the usual mistakes (the
    ``none`` weight renormalised away, alpha used without softmax, a plain or uniform sum).
    """
    import torch
    import torch.nn.functional as F

    from .ops import DARTS_OPS, NB201_OPS
    from .supernet import MixedOp

    title = "Exercise 1 (mixed operation)"
    problems: list[str] = []
    g = torch.Generator().manual_seed(0)
    cases = [("DARTS ops, stride 1", DARTS_OPS, 1), ("DARTS ops, stride 2", DARTS_OPS, 2),
             ("NAS-Bench-201 ops", NB201_OPS, 1)]
    for label, names, stride in cases:
        torch.manual_seed(1)  # the operations' initial weights
        edge = MixedOp(4, stride, names)
        x = torch.randn(2, 4, 6, 6, generator=g)  # (B, C, H, W)
        alpha = torch.randn(len(names), generator=g)
        alpha[names.index("none")] += 1.0  # a `none` weight large enough to matter
        ops = list(edge.ops)
        with torch.no_grad():
            outs = [op(x) for op in ops]  # each (B, C, H', W'); BN uses batch statistics
            p = F.softmax(alpha, dim=0)
            expected = edge(x, p)
            keep = [o for o, n in enumerate(names) if n != "none"]
            renorm = F.softmax(alpha[keep], dim=0)
            mistakes = [
                (sum(renorm[k] * outs[o] for k, o in enumerate(keep)),
                 ("your mixed operation ignores the `none` weight: it renormalises softmax over the other "
                  "operations. `none` takes part in the softmax (its output is 0, but its weight still "
                  "shrinks the others): p = softmax(alpha) over ALL operations")),
                (sum(alpha[o] * outs[o] for o in range(len(ops))),
                 ("you weight the operations by alpha itself; the mixing weights are p = softmax(alpha) "
                  "(positive, summing to 1): use torch.softmax(alpha, dim=0)")),
                (sum(outs),
                 ("you add the operations' outputs without weighting them: multiply each o(x) by its "
                  "weight softmax(alpha)_o")),
                (sum(outs) / len(outs),
                 "you average the operations with equal weights 1/|O|: weight each by softmax(alpha)_o"),
            ]
        got = _call(mixed, x, alpha.clone(), ops, problems=problems, label=label)
        if got is None:
            if problems:
                break  # not implemented or raised: one message is enough
            problems.append(f"{label}: your function returned None; return the mixed output tensor")
            break
        if not isinstance(got, torch.Tensor):
            problems.append(f"{label}: expected a tensor, got {type(got).__name__}")
            break
        if got.shape != expected.shape:
            problems.append(f"{label}: output shape {tuple(got.shape)}, expected {tuple(expected.shape)} "
                            f"(every operation maps (B, C, H, W) to the same shape; sum them, do not stack "
                            f"or concatenate)")
            break
        if _close(got, expected):
            continue
        for wrong, why in mistakes:
            if _close(got, wrong):
                problems.append(f"{label}: {why}")
                break
        else:
            err = float((got.detach() - expected).abs().max())
            problems.append(f"{label}: differs from MixedOp by up to {err:.3g}; compute "
                            f"sum over o of softmax(alpha)[o] * ops[o](x)")
        break  # the first wrong case says enough
    return _report(title, problems)


def check_arch_gradient(arch_gradient) -> bool:
    """Lesson 02, exercise 2: ``arch_gradient(supernet, train_batch, val_batch)`` -> grad_alpha L_val.

    The first-order DARTS gradient, one tensor per alpha, compared with
    ``hypergrad.hypergradient(..., "first_order")`` on a small NAS-Bench-201 and a small DARTS
    supernet with random batches; a wrong answer is matched against the usual mistakes (training
    batch, gradient with respect to softmax(alpha), a sum instead of a mean, a flipped sign).
    """
    import torch
    import torch.nn.functional as F

    from .hypergrad import hypergradient
    from .supernet import DartsSupernet, NB201Supernet

    title = "Exercise 2 (first-order architecture gradient)"
    problems: list[str] = []
    g = torch.Generator().manual_seed(0)
    cases = [("NAS-Bench-201 supernet", lambda: NB201Supernet(C=4, N=1)),
             ("DARTS supernet", lambda: DartsSupernet(C=4, layers=3))]
    for label, build in cases:
        torch.manual_seed(2)
        supernet = build()
        with torch.no_grad():  # alpha away from its near-uniform start, so every mistake shows
            for a in supernet.arch_parameters():
                a.normal_(0, 0.5, generator=g)
        B = 8
        train_batch = (torch.randn(B, 3, 8, 8, generator=g), torch.randint(0, 10, (B,), generator=g))
        val_batch = (torch.randn(B, 3, 8, 8, generator=g), torch.randint(0, 10, (B,), generator=g))
        arch, weights = supernet.arch_parameters(), supernet.weight_parameters()

        def loss_on(batch, mixing=None, net=supernet):
            x, y = batch
            return F.cross_entropy(net(x, mixing), y)  # the mean over the batch

        def on_train_batch(b=train_batch):
            return loss_on(b)

        def on_val_batch(b=val_batch):
            return loss_on(b)

        expected = hypergradient(on_train_batch, on_val_batch, weights, arch, "first_order", lr=None)
        on_train = hypergradient(on_train_batch, on_train_batch, weights, arch, "first_order", lr=None)
        p = [w.detach().requires_grad_() for w in supernet.arch_weights()]
        wrt_p = [t.detach() for t in torch.autograd.grad(loss_on(val_batch, p), p)]
        before = [w.detach().clone() for w in weights] + [a.detach().clone() for a in arch]
        for t in weights + arch:
            t.grad = None
        got = _call(arch_gradient, supernet, train_batch, val_batch, problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: your function returned None; return a list with one gradient "
                                f"tensor per tensor of supernet.arch_parameters()")
            break
        if any(not torch.equal(b, t.detach()) for b, t in zip(before, weights + arch)):
            problems.append(f"{label}: your function changed the supernet's weights or alpha; compute the "
                            f"gradient only (torch.autograd.grad), the optimiser takes the step")
            break
        if isinstance(got, torch.Tensor):
            got = [got]
        shapes = [tuple(e.shape) for e in expected]
        if not isinstance(got, (list, tuple)) or len(got) != len(expected) \
                or any(not isinstance(t, torch.Tensor) or tuple(t.shape) != s for t, s in zip(got, shapes)):
            desc = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in got] \
                if isinstance(got, (list, tuple)) else type(got).__name__
            problems.append(f"{label}: expected a list of {len(expected)} tensor(s) shaped {shapes} (one per "
                            f"alpha in supernet.arch_parameters()), got {desc}")
            break
        got = [t.detach() for t in got]
        if all(_close(a, b) for a, b in zip(got, expected)):
            continue
        flat_got, flat_exp = torch.cat([t.flatten() for t in got]), torch.cat([t.flatten() for t in expected])
        mistakes = [
            (on_train, ("you used the training batch: the architecture step minimises the VALIDATION loss "
                        "L_val(w, alpha), on val_batch (the training batch is for the weight step)")),
            (wrt_p, ("this is the gradient with respect to the mixing weights p = softmax(alpha); "
                     "differentiate with respect to alpha itself (supernet.arch_parameters()), so that "
                     "autograd goes through the softmax")),
            ([-e for e in expected], ("your gradient has the wrong sign: return grad_alpha L_val itself; "
                                      "the optimiser subtracts it")),
            ([e * B for e in expected], ("your gradient is batch-size times too large: use the mean "
                                         "cross-entropy over the batch, F.cross_entropy(logits, y)")),
        ]
        for wrong, why in mistakes:
            if all(_close(a, b, 1e-4) for a, b in zip(got, wrong)):
                problems.append(f"{label}: {why}")
                break
        else:
            scale = float(flat_got @ flat_exp / (flat_exp @ flat_exp))
            if _close(flat_got, scale * flat_exp, 1e-4):
                problems.append(f"{label}: your gradient points the right way but is {scale:.3g} times the "
                                f"correct one; return the plain gradient (no learning rate: Adam applies it)")
            else:
                err = float((flat_got - flat_exp).abs().max())
                problems.append(f"{label}: differs from grad_alpha L_val(w, alpha) by up to {err:.3g}")
        break
    return _report(title, problems)


# ---- end of lesson 02 ------------------------------------------------------------------------

# ---- lesson 03: hypergradients ---------------------------------------------------------------

def _hg_ridge(seed: int, c: float = 0.0, shift: float = 0.0, D: int = 6):
    """Lesson 03's ridge bilevel problem, in float64, as (train_loss, val_loss, w, alpha, H):

        L_train(w, α) = ½‖X_tr w − y_tr‖²/n + ½ Σ_i e^{α_i} w_i²,   H = X_trᵀX_tr/n + diag(e^α)
        L_val(w, α)   = ½‖X_val w − y_val‖²/m + ½ c ‖α‖²             (c > 0: g_α ≠ 0)

    w (D,) starts at the inner optimum w*(α), moved by ``shift`` along a random unit direction.
    """
    import math

    import torch

    f64 = torch.float64
    g = torch.Generator().manual_seed(seed)
    n = m = 30
    scales = torch.logspace(0.25, -0.25, D, dtype=f64)
    w_true = torch.randn(D, generator=g, dtype=f64)
    X_tr = torch.randn(n, D, generator=g, dtype=f64) * scales
    y_tr = X_tr @ w_true + 0.5 * torch.randn(n, generator=g, dtype=f64)
    X_val = torch.randn(m, D, generator=g, dtype=f64) * scales
    y_val = X_val @ w_true + 0.5 * torch.randn(m, generator=g, dtype=f64)
    alpha0 = math.log(0.3) + 0.5 * torch.randn(D, generator=g, dtype=f64)
    H = X_tr.T @ X_tr / n + torch.diag(alpha0.exp())  # (D, D), independent of w
    direction = torch.randn(D, generator=g, dtype=f64)
    w = (torch.linalg.solve(H, X_tr.T @ y_tr / n) + shift * direction / direction.norm()).requires_grad_()
    alpha = alpha0.clone().requires_grad_()

    def train_loss():
        return 0.5 * ((X_tr @ w - y_tr) ** 2).mean() + 0.5 * (alpha.exp() * w**2).sum()

    def val_loss():
        return 0.5 * ((X_val @ w - y_val) ** 2).mean() + 0.5 * c * (alpha**2).sum()

    return train_loss, val_loss, w, alpha, H


def _hg_mixture_net(seed: int):
    """A supernet with one edge (lesson 03, exercise 2), float64, as (train_loss, val_loss, w, alpha):
    x (16, 4) -> h = x W1 + b1 (16, 6) -> softmax(α)-weighted mix of [relu, tanh, identity](h)
    -> logits h W2 (16, 3); all weights in one flat vector w (48,), α (3,)."""
    import torch
    import torch.nn.functional as F

    f64 = torch.float64
    g = torch.Generator().manual_seed(seed)
    w = (0.7 * torch.randn(48, generator=g, dtype=f64)).requires_grad_()
    alpha = (0.5 * torch.randn(3, generator=g, dtype=f64)).requires_grad_()
    x_tr, x_val = (torch.randn(16, 4, generator=g, dtype=f64) for _ in range(2))
    y_tr, y_val = (torch.randint(0, 3, (16,), generator=g) for _ in range(2))

    def logits(x):
        W1, b1, W2 = w[:24].view(4, 6), w[24:30], w[30:].view(6, 3)
        h = x @ W1 + b1
        p = torch.softmax(alpha, dim=0)
        return (p[0] * torch.relu(h) + p[1] * torch.tanh(h) + p[2] * h) @ W2

    return (lambda: F.cross_entropy(logits(x_tr), y_tr)), (lambda: F.cross_entropy(logits(x_val), y_val)), w, alpha


def _hg_rel(a, b) -> float:
    """‖a − b‖ / ‖b‖ (float64), with ‖b‖ = 0 handled."""
    import torch

    a, b = a.detach().to(torch.float64).reshape(-1), b.detach().to(torch.float64).reshape(-1)
    return float((a - b).norm() / b.norm()) if float(b.norm()) > 0 else float(a.norm())


def _hg_answer(got, like, label: str, what: str, problems: list[str]):
    """The student's result as a float64 tensor shaped like ``like``, or None (with a problem)."""
    import torch

    if got is None:
        problems.append(f"{label}: your function returned None; return {what}")
        return None
    if not isinstance(got, torch.Tensor):
        problems.append(f"{label}: expected a tensor, got {type(got).__name__}; return {what}")
        return None
    if got.shape != like.shape:
        problems.append(f"{label}: your result has shape {tuple(got.shape)}, expected {tuple(like.shape)} "
                        f"(one entry per architecture parameter α_i)")
        return None
    if not torch.isfinite(got).all():
        problems.append(f"{label}: your result is not finite: {got.detach()}")
        return None
    return got.detach().to(torch.float64)


def _hg_unchanged(tensors: dict, saved: dict, label: str, problems: list[str]) -> bool:
    """Was every leaf tensor put back (up to rounding) after the student's function ran?"""
    import torch

    for name, t in tensors.items():
        drift = float((t.detach() - saved[name]).abs().max())
        if drift > 1e-12 * (1 + float(saved[name].abs().max())):
            problems.append(f"{label}: your function left `{name}` changed (by up to {drift:.3g}); the loss "
                            f"callables read it, so put it back: save a copy and copy it back with "
                            f"`with torch.no_grad(): {name}.copy_(saved)`")
            return False
        with torch.no_grad():  # rounding drift only: reset it, so the next case starts clean
            t.copy_(saved[name])
    return True


def check_neumann(neumann) -> bool:
    """Lesson 03, exercise 1: ``neumann(train_loss, val_loss, w, alpha, gamma, K)`` =
    g_α − γ M Σ_{k=0..K} (I − γH)^k g_w.

    Compared with ``hypergradient(..., "neumann", lr=gamma, K=K, mixed="exact")`` on two ridge
    problems (one at the inner optimum with L_val independent of α, one away from it with
    g_α ≠ 0) for K = 0, 1, 2, 5. A wrong answer is matched against the usual mistakes, computed
    with the dense Hessian: one term too few or too many, γ missing in front of the sum or inside
    (I − γH), the sign of the mixed term, g_α dropped.
    """
    import torch

    from .hypergrad import hypergradient

    title = "Exercise 1 (Neumann hypergradient)"
    problems: list[str] = []
    problem_cases = [("at the inner optimum, L_val independent of alpha", dict(seed=0)),
                     ("away from the optimum, L_val depends on alpha", dict(seed=1, c=0.5, shift=0.3))]
    for description, kwargs in problem_cases:
        train_loss, val_loss, w, alpha, H = _hg_ridge(**kwargs)
        lam_max = float(torch.linalg.eigvalsh(H).max())
        gamma = (1.0 if kwargs["seed"] == 0 else 0.6) / lam_max
        # the pieces, for diagnosing: g_α, g_w and the mixed product M·s by double backprop
        g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
        g_alpha = torch.zeros_like(alpha) if g_alpha is None else g_alpha

        def M(s):  # M·s = ∇_α ⟨∇_w L_train, s⟩, on a fresh graph (the student may move w in place)
            grad_w = torch.autograd.grad(train_loss(), w, create_graph=True)[0]
            return torch.autograd.grad(grad_w @ s, alpha)[0].detach()

        def series(K, step, hess=H):  # Σ_{k=0..K} (I − step·hess)^k g_w; zero for K = −1
            total, v = torch.zeros_like(g_w), g_w.clone()
            for _ in range(K + 1):
                total, v = total + v, v - step * (hess @ v)
            return total

        for K in (0, 1, 2, 5):
            label = f"{description}, K={K}"
            expected = hypergradient(train_loss, val_loss, [w], [alpha], "neumann", lr=gamma, K=K,
                                     mixed="exact")[0]
            mistakes = [
                (g_alpha - gamma * M(series(K - 1, gamma)),
                 f"your series has one term too few: Σ_{{k=0..K}} (I − γH)^k g_w has K+1 = {K + 1} terms "
                 f"(K Hessian-vector products after the first term g_w); start the sum at s = g_w and add "
                 f"K more terms" + (" (with K=0 the estimate is g_α − γ M g_w, not g_α alone)" if K == 0 else "")),
                (g_alpha - gamma * M(series(K + 1, gamma)),
                 f"your series has one term too many: with K={K} there are {K} Hessian-vector products "
                 f"and K+1 = {K + 1} terms, k = 0..K"),
                (g_alpha - M(series(K, gamma)),
                 "you forgot the factor γ in front of the sum: H⁻¹ ≈ γ Σ_k (I − γH)^k, so the estimate "
                 "is g_α − γ M Σ_k (I − γH)^k g_w"),
                (g_alpha + gamma * M(series(K, gamma)),
                 "the mixed term has the wrong sign: ∇F = g_α − M H⁻¹ g_w (minus: dw*/dα = −H⁻¹ ∇²_wα L_train)"),
                (g_alpha - gamma * M(series(K, 1.0)),
                 "inside the series use (I − γH), not (I − H): each step is v ← v − γ·Hv"),
                (-gamma * M(series(K, gamma)),
                 "you dropped the direct term g_α = ∇_α L_val: it is zero in the lesson's problem, but "
                 "not when L_val depends on α (add it; torch.autograd.grad(..., allow_unused=True) gives "
                 "None for it when it does not)"),
            ]
            saved = {"w": w.detach().clone(), "alpha": alpha.detach().clone()}
            before = len(problems)
            got = _call(neumann, train_loss, val_loss, w, alpha, gamma, K, problems=problems, label=label)
            if len(problems) > before:
                break
            got = _hg_answer(got, alpha, label, "the hypergradient, a tensor shaped like alpha", problems)
            if got is None or not _hg_unchanged({"w": w, "alpha": alpha}, saved, label, problems):
                break
            error = _hg_rel(got, expected)
            if error < 1e-8:
                continue
            for wrong, why in mistakes:
                if _hg_rel(got, wrong) < 1e-8 and _hg_rel(wrong, expected) > 1e-6:
                    problems.append(f"{label}: {why}")
                    break
            else:
                hint = (" (close: did you compute in float32? keep the problem's float64)" if error < 1e-4
                        else "; compute s = Σ_{k=0..K} v_k with v_0 = g_w, v_k = v_{k−1} − γ H v_{k−1}, "
                             "then g_α − γ M s")
                problems.append(f"{label}: relative error {error:.3g} against hypergradient(..., 'neumann')"
                                f"{hint}")
            break
        if problems:
            break
    return _report(title, problems)


def check_mixed_fd(mixed_fd) -> bool:
    """Lesson 03, exercise 2: ``mixed_fd(train_loss, w, alpha, v)`` ≈ ∇²_{αw} L_train · v by DARTS's
    central difference with ε = 0.01 / ‖v‖₂ (Liu et al. 2019, eq. 8).

    Compared with the library's finite difference (``hypergrad._mixed``) on a one-edge supernet
    in float64, for v = ∇_w L_val (as DARTS) and two random v of norms 10 and 0.1 (so that ε
    matters). Also checks that w is put back. A wrong answer is matched against a forward
    difference, a missing factor 2, swapped signs, a fixed ε = 0.01 and the exact double-backprop
    product. On success, prints how far the finite difference is from the exact product.
    """
    import torch

    from .hypergrad import _mixed

    title = "Exercise 2 (finite-difference mixed term)"
    problems: list[str] = []
    train_loss, val_loss, w, alpha = _hg_mixture_net(seed=0)
    g = torch.Generator().manual_seed(1)
    v_val = torch.autograd.grad(val_loss(), w)[0]
    randoms = [torch.randn(w.shape, generator=g, dtype=w.dtype) for _ in range(2)]
    cases = [("v = grad_w L_val (as in DARTS)", v_val),
             ("a random v with norm 10", 10 * randoms[0] / randoms[0].norm()),
             ("a random v with norm 0.1", 0.1 * randoms[1] / randoms[1].norm())]

    def grad_alpha_at(w_new):  # ∇_α L_train at w_new, w put back afterwards
        saved = w.detach().clone()
        with torch.no_grad():
            w.copy_(w_new)
        try:
            return torch.autograd.grad(train_loss(), alpha)[0].detach()
        finally:
            with torch.no_grad():
                w.copy_(saved)

    fd_vs_exact = []
    for label, v in cases:
        w0 = w.detach().clone()
        expected = _mixed(train_loss, [w], [alpha], [v], "finite_difference", 0.01, "check_mixed_fd")[0]
        exact = _mixed(train_loss, [w], [alpha], [v], "exact", 0.01, "check_mixed_fd")[0]
        eps = 0.01 / float(v.norm())
        g_plus, g_minus, g_0 = grad_alpha_at(w0 + eps * v), grad_alpha_at(w0 - eps * v), grad_alpha_at(w0)
        central_fixed = (grad_alpha_at(w0 + 0.01 * v) - grad_alpha_at(w0 - 0.01 * v)) / 0.02
        mistakes = [
            ((g_plus - g_0) / eps,
             "you used a forward difference [∇_α L(w + εv) − ∇_α L(w)] / ε; its error is O(ε), the central "
             "difference [∇_α L(w + εv) − ∇_α L(w − εv)] / (2ε) is O(ε²) for the same two gradients"),
            ((g_plus - g_minus) / eps,
             "you divided by ε instead of 2ε: the two points w ± εv are 2ε apart"),
            ((g_minus - g_plus) / (2 * eps),
             "the sign is swapped: subtract the gradient at w − εv FROM the one at w + εv"),
            (central_fixed,
             "you used ε = 0.01; DARTS scales it by the length of v, ε = 0.01 / ‖v‖₂, so that the "
             "weights move by 0.01 whatever the size of v"),
            (exact,
             "this is the exact product by double backprop, not the finite difference the exercise asks "
             "for: move w to w ± εv and difference ∇_α L_train"),
        ]
        alpha.grad = None
        before = len(problems)
        got = _call(mixed_fd, train_loss, w, alpha, v.clone(), problems=problems, label=label)
        if len(problems) > before:
            break
        got = _hg_answer(got, alpha, label, "the product M·v, a tensor shaped like alpha", problems)
        if got is None or not _hg_unchanged({"w": w}, {"w": w0}, label, problems):
            break
        error = _hg_rel(got, expected)
        if error < 1e-7:
            fd_vs_exact.append(_hg_rel(got, exact))
            continue
        for wrong, why in mistakes:
            if _hg_rel(got, wrong) < 1e-7:
                problems.append(f"{label}: {why}")
                break
        else:
            hint = (" If you call .backward(), alpha.grad accumulates from one call to the next: use "
                    "torch.autograd.grad(loss, alpha)[0] instead." if alpha.grad is not None else "")
            problems.append(f"{label}: relative error {error:.3g} against the library's central difference "
                            f"[∇_α L(w + εv) − ∇_α L(w − εv)] / (2ε), ε = 0.01/‖v‖.{hint}")
        break
    alpha.grad = None
    ok = _report(title, problems)
    if ok:
        print(f"  Your finite difference is within a relative {min(fd_vs_exact):.1g} to {max(fd_vs_exact):.1g} "
              f"of the exact double-backprop product M·v (float64).")
    return ok


def check_neumann_rate(rate) -> bool:
    """Lesson 03, exercise 3: ``rate(H, gamma)`` = ρ = max_i |1 − γ λ_i(H)|, the factor by which the
    Neumann error shrinks per term.

    Compared with the eigenvalues from ``torch.linalg.eigvalsh`` on random symmetric matrices (well
    and badly conditioned, and one with a negative eigenvalue) at step sizes below, at and above
    the limit 2/λ_max. A wrong answer is matched against the usual mistakes (no absolute value,
    only λ_max or λ_min, γ forgotten, the minimum instead of the maximum).
    """
    import torch

    title = "Exercise 3 (Neumann convergence rate)"
    problems: list[str] = []
    g = torch.Generator().manual_seed(3)
    matrices = []
    for size, spread, shift in ((4, 2.0, 0.0), (6, 20.0, 0.0), (5, 3.0, -0.5)):
        Q, _ = torch.linalg.qr(torch.randn(size, size, generator=g, dtype=torch.float64))
        lam = torch.linspace(1.0, spread, size, dtype=torch.float64) + shift * spread  # shift < 0: indefinite
        matrices.append((f"{size}x{size}, eigenvalues {float(lam.min()):.2g}..{float(lam.max()):.2g}",
                         Q @ torch.diag(lam) @ Q.T))
    # run every case first: several mistakes agree with the right answer on some cases, so a
    # mistake is named only if it explains the answers on every case
    results = []  # (label, got, expected, [(wrong value, why)], eigenvalues)
    for description, H in matrices:
        lam = torch.linalg.eigvalsh(H)
        lo, hi = float(lam.min()), float(lam.max())
        top = max(abs(lo), abs(hi))
        for gamma in (0.5 / top, 1.0 / top, 2.0 / (abs(lo) + top), 1.9 / top, 2.5 / top):
            label = f"H {description}, gamma={gamma:.3g}"
            mistakes = [
                (float((1 - gamma * lam).max()),
                 "you forgot the absolute value: ρ = max_i |1 − γλ_i|. For a large γ, 1 − γλ_max < −1, and "
                 "that is the direction in which the series blows up"),
                (abs(1 - gamma * hi),
                 "you only used λ_max: the slowest direction is often λ_min (|1 − γλ_min| close to 1); take "
                 "the maximum over all eigenvalues"),
                (abs(1 - gamma * lo),
                 "you only used λ_min: for a large γ the largest eigenvalue decides (|1 − γλ_max| > 1); take "
                 "the maximum over all eigenvalues"),
                (float((1 - lam).abs().max()),
                 "you forgot γ: the series iterates I − γH, so ρ = max_i |1 − γλ_i|"),
                (float((1 - gamma * lam).abs().min()),
                 "you took the minimum over the eigenvalues; the error shrinks only as fast as the slowest "
                 "direction allows: ρ = MAX_i |1 − γλ_i|"),
            ]
            before = len(problems)
            got = _call(rate, H.clone(), gamma, problems=problems, label=label)
            if len(problems) > before:
                return _report(title, problems)
            try:
                got = float(got)
            except (TypeError, ValueError, RuntimeError):
                problems.append(f"{label}: your function returned {got!r}; return ρ as a float")
                return _report(title, problems)
            results.append((label, got, float((1 - gamma * lam).abs().max()), mistakes, lam))

    def same(a: float, b: float) -> bool:
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))

    wrong = [r for r in results if not same(r[1], r[2])]
    if wrong:
        label, got, expected, _, lam = wrong[0]
        for k, (_, why) in enumerate(results[0][3]):
            if all(same(r[1], r[3][k][0]) for r in results):  # this mistake explains every answer
                problems.append(f"{label}: {why}")
                break
        else:
            problems.append(f"{label}: you returned {got:.6g}, expected ρ = {expected:.6g} = "
                            f"max_i |1 − γλ_i| (eigenvalues {[round(float(x), 3) for x in lam]})")
    return _report(title, problems)


# ---- end of lesson 03 ------------------------------------------------------------------------
