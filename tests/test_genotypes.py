"""Genotypes: published width/depth figures, the Understanding-NAS generators against their original
code, NAS-Bench-201 strings, neighbourhoods, saving, and derivation against a brute-force oracle."""

import itertools
import json
import random
from collections import Counter

import numpy as np
import pytest
import torch

from nascourse.genotypes import (
    AMOEBANET, DARTS, DARTS_V1, DARTS_V2, ENAS, NASNET, SNAS_MILD, Genotype, as_genotype, cell_width_depth,
    check_genotype, derive_cell, genotype_from_str, genotype_to_str, genotype_width_depth,
)
from nascourse.variants import (
    darts_neighbours, random_connections, random_operations, sample_darts_genotype, widest_shallowest,
)
from nascourse.nb201 import (
    NB201_EDGES, as_nb201, nb201_derive, nb201_format, nb201_neighbours, nb201_parse, sample_nb201,
)
from nascourse.ops import DARTS_OPS, NB201_OPS

PUBLISHED = {"NASNET": NASNET, "AMOEBANET": AMOEBANET, "ENAS": ENAS, "DARTS_V1": DARTS_V1,
             "DARTS_V2": DARTS_V2, "SNAS_MILD": SNAS_MILD}
NB201_EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"


def inputs(cell):
    return [j for _, j in cell]


def ops_of(cell):
    return [op for op, _ in cell]


# ---------------------------------------------------------------- width and depth (Shu, Wang & Cai, ICLR 2020)

@pytest.mark.parametrize("name, width, depth", [
    ("NASNET", 5, 2), ("AMOEBANET", 4, 4), ("ENAS", 5, 2), ("DARTS_V2", 3.5, 3), ("SNAS_MILD", 4, 2),
])
def test_normal_cells_match_figure_1(name, width, depth):
    assert genotype_width_depth(PUBLISHED[name])["normal"] == (width, depth)


@pytest.mark.parametrize("name, width, depth", [
    ("NASNET", 3.5, 3), ("AMOEBANET", 4, 3), ("ENAS", 4, 4), ("DARTS_V1", 2.5, 3), ("DARTS_V2", 2.5, 3),
    ("SNAS_MILD", 2.5, 3),
])
def test_reduction_cells_match_the_computed_values(name, width, depth):
    assert genotype_width_depth(PUBLISHED[name])["reduce"] == (width, depth)


def test_width_depth_of_hand_made_cells():
    # a chain: node 2 reads both inputs, every later node reads only its predecessor
    chain = [("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2), ("skip_connect", 2),
             ("skip_connect", 3), ("skip_connect", 3), ("skip_connect", 4), ("skip_connect", 4)]
    assert cell_width_depth(chain, [5]) == (1.0, 5)
    assert cell_width_depth(chain, [2]) == (1.0, 2)  # depth only follows the concatenated nodes
    mixed = [("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2), ("skip_connect", 1)]
    assert cell_width_depth(mixed, [2, 3]) == (1.5, 3)  # node 3 mixes an input and a node: c/2
    with pytest.raises(ValueError, match="concat"):
        cell_width_depth(mixed, [2, 4])
    with pytest.raises(ValueError, match="3 entries"):
        cell_width_depth(mixed[:3], [2])


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_widest_shallowest_is_n_c_wide_and_2_deep(name):
    genotype = PUBLISHED[name]
    adapt = widest_shallowest(genotype)
    nodes = len(genotype.normal) // 2
    expected = {"NASNET": 5, "AMOEBANET": 5, "ENAS": 5, "DARTS_V1": 4, "DARTS_V2": 4, "SNAS_MILD": 4}[name]
    assert nodes == expected
    assert genotype_width_depth(adapt) == {"normal": (expected, 2), "reduce": (expected, 2)}
    for cell in ("normal", "reduce"):
        assert ops_of(getattr(adapt, cell)) == ops_of(getattr(genotype, cell))  # every operation kept
        assert inputs(getattr(adapt, cell)) == [0, 1] * nodes  # first edge -> c_{k-2}, second -> c_{k-1}
        assert getattr(adapt, cell + "_concat") == list(getattr(genotype, cell + "_concat"))
    check_genotype(adapt)


def test_widest_shallowest_reproduces_repository_adapt_cells():
    # AmoebaNet_ADAPT and SNAS_ADAPT, as in shuyao95/Understanding-NAS genotypes.py
    amoeba_adapt = Genotype(
        normal=[("avg_pool_3x3", 0), ("max_pool_3x3", 1), ("sep_conv_3x3", 0), ("sep_conv_5x5", 1),
                ("sep_conv_3x3", 0), ("avg_pool_3x3", 1), ("sep_conv_3x3", 0), ("skip_connect", 1),
                ("skip_connect", 0), ("avg_pool_3x3", 1)],
        normal_concat=[4, 5, 6],
        reduce=[("avg_pool_3x3", 0), ("sep_conv_3x3", 1), ("max_pool_3x3", 0), ("sep_conv_7x7", 1),
                ("sep_conv_7x7", 0), ("avg_pool_3x3", 1), ("max_pool_3x3", 0), ("max_pool_3x3", 1),
                ("conv_7x1_1x7", 0), ("sep_conv_3x3", 1)],
        reduce_concat=[3, 4, 6])
    snas_adapt = Genotype(
        normal=SNAS_MILD.normal, normal_concat=[2, 3, 4, 5],
        reduce=[("max_pool_3x3", 0), ("max_pool_3x3", 1), ("skip_connect", 0), ("max_pool_3x3", 1),
                ("max_pool_3x3", 0), ("skip_connect", 1), ("dil_conv_5x5", 0), ("max_pool_3x3", 1)],
        reduce_concat=[2, 3, 4, 5])
    assert widest_shallowest(AMOEBANET) == amoeba_adapt
    assert widest_shallowest(SNAS_MILD) == snas_adapt


# ---------------------------------------------------------------- random variants (Understanding-NAS code)

SPEC_CONN = {  # DARTS_CONN1..10: normal-cell inputs, width, depth
    1: ([1, 0, 1, 0, 1, 3, 4, 2], 2.5, 4), 2: ([0, 1, 2, 0, 1, 3, 2, 4], 2.0, 5),
    3: ([0, 1, 0, 0, 1, 2, 1, 2], 3.0, 3), 4: ([0, 1, 1, 0, 1, 0, 1, 4], 3.5, 3),
    5: ([1, 1, 2, 0, 0, 3, 3, 0], 2.5, 4), 6: ([0, 1, 2, 2, 2, 1, 1, 1], 2.5, 3),
    7: ([1, 1, 0, 2, 1, 2, 0, 0], 3.0, 3), 8: ([1, 1, 1, 0, 3, 1, 4, 3], 2.5, 4),
    9: ([0, 0, 2, 2, 1, 0, 0, 1], 3.0, 3), 10: ([1, 0, 0, 0, 1, 1, 2, 1], 3.5, 3),
}


@pytest.mark.parametrize("seed", sorted(SPEC_CONN))
def test_random_connections_reproduce_darts_conn(seed):
    expected, width, depth = SPEC_CONN[seed]
    variant = random_connections(DARTS_V2, seed)
    assert inputs(variant.normal) == expected
    assert cell_width_depth(variant.normal, variant.normal_concat) == (width, depth)
    assert ops_of(variant.normal) == ops_of(DARTS_V2.normal) and ops_of(variant.reduce) == ops_of(DARTS_V2.reduce)


def _original_random_conn(arch, num_ops, seed):
    # shuyao95/Understanding-NAS genotypes.py random_conn, on the legacy global RNG (the oracle)
    states, normal, reduce = [0, 1], list(arch.normal), list(arch.reduce)
    np.random.seed(seed)
    for i in range(num_ops):
        normal[i] = (arch.normal[i][0], np.random.choice(states, 1).item())
        reduce[i] = (arch.reduce[i][0], np.random.choice(states, 1).item())
        if i % 2 == 1:
            states.append(states[-1] + 1)
    return normal, reduce


def _original_random_ops(arch, num_ops, seed):
    np.random.seed(seed)
    normal = np.random.choice(len(DARTS_OPS) - 1, num_ops)
    reduce = np.random.choice(len(DARTS_OPS) - 1, num_ops)
    return ([(DARTS_OPS[1 + normal[i]], arch.normal[i][1]) for i in range(num_ops)],
            [(DARTS_OPS[1 + reduce[i]], arch.reduce[i][1]) for i in range(num_ops)])


@pytest.mark.parametrize("name", ["DARTS_V2", "NASNET", "ENAS", "SNAS_MILD"])
def test_random_variants_match_original_global_rng_code(name):
    genotype = PUBLISHED[name]
    saved = np.random.get_state()
    try:
        for seed in range(1, 11):
            np.random.seed(1234)
            before = np.random.get_state()[1].copy()
            conn, ops = random_connections(genotype, seed), random_operations(genotype, seed)
            assert np.array_equal(np.random.get_state()[1], before)  # global RNG untouched
            assert (conn.normal, conn.reduce) == _original_random_conn(genotype, len(genotype.normal), seed)
            assert (ops.normal, ops.reduce) == _original_random_ops(genotype, len(genotype.normal), seed)
            assert inputs(ops.normal) == inputs(genotype.normal) and "none" not in ops_of(ops.normal + ops.reduce)
            check_genotype(conn), check_genotype(ops)
    finally:
        np.random.set_state(saved)


# ---------------------------------------------------------------- sampling

def test_sample_darts_genotype_is_valid_deterministic_and_uniform():
    assert sample_darts_genotype(3) == sample_darts_genotype(3)
    assert sample_darts_genotype(3) != sample_darts_genotype(4)
    rng = random.Random(0)
    pairs, ops = Counter(), Counter()
    n = 3000
    for _ in range(n):
        g = sample_darts_genotype(rng)
        check_genotype(g, DARTS_OPS)
        for cell in (g.normal, g.reduce):
            assert all(cell[2 * i][1] != cell[2 * i + 1][1] for i in range(4))  # two distinct inputs
        pairs[frozenset(inputs(g.normal[6:8]))] += 1  # node 5: C(5, 2) = 10 input pairs
        ops.update(ops_of(g.normal))
    assert "none" not in ops and len(ops) == 7
    assert len(pairs) == 10 and all(abs(c - n / 10) < 5 * (n * 0.1 * 0.9) ** 0.5 for c in pairs.values())
    assert all(abs(c - 8 * n / 7) < 6 * (8 * n / 7) ** 0.5 for c in ops.values())
    g5 = sample_darts_genotype(1, steps=5)
    assert len(g5.normal) == 10 and g5.normal_concat == [2, 3, 4, 5, 6]


def test_sample_nb201_is_deterministic_and_covers_all_ops():
    assert sample_nb201(7) == sample_nb201(7)
    counts = Counter(op for s in range(500) for op in sample_nb201(s))
    assert set(counts) == set(NB201_OPS) and all(abs(c - 600) < 6 * 600 ** 0.5 for c in counts.values())


# ---------------------------------------------------------------- NAS-Bench-201 strings (Dong & Yang, ICLR 2020)

def test_nb201_example_string():
    assert NB201_EDGES == [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]
    arch = nb201_parse(NB201_EXAMPLE)
    # node1 = conv3(n0); node2 = conv3(n0) + avgpool(n1); node3 = skip(n0) + conv3(n1) + skip(n2)
    assert arch == ["nor_conv_3x3", "nor_conv_3x3", "avg_pool_3x3", "skip_connect", "nor_conv_3x3", "skip_connect"]
    assert nb201_format(arch) == NB201_EXAMPLE


def test_nb201_round_trip_on_all_15625_cells():
    strings = set()
    for arch in itertools.product(NB201_OPS, repeat=6):
        s = nb201_format(list(arch))
        assert nb201_parse(s) == list(arch)
        strings.add(s)
    assert len(strings) == 5 ** 6


@pytest.mark.parametrize("bad", [
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|",  # 2 nodes
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|+|none~0|",
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|",  # node 3 too short
    "|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",  # bad ~j
    "|nor_conv_3x3~0|+|avg_pool_3x3~1|nor_conv_3x3~0|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",  # order
    "|conv_5x5~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",  # unknown op
    "nor_conv_3x3~0+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",  # no bars
    "|nor_conv_3x3|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|",  # no ~j
    "",
])
def test_nb201_parse_rejects_malformed_strings(bad):
    with pytest.raises(ValueError) as info:
        nb201_parse(bad)
    assert repr(bad) in str(info.value) and NB201_EXAMPLE in str(info.value)


def test_nb201_format_rejects_bad_cells():
    with pytest.raises(ValueError, match="6 op names"):
        nb201_format(["none"] * 5)
    with pytest.raises(ValueError, match="sep_conv_3x3"):
        nb201_format(["sep_conv_3x3"] * 6)


def test_nb201_derive_takes_argmax_over_all_ops_including_none():
    weights = torch.full((6, 5), 0.1)
    weights[:, 0] = 0.6  # none strongest everywhere ...
    weights[2, 3] = 0.7  # ... except edge 2<-1, where nor_conv_3x3 wins
    assert nb201_derive(weights) == ["none", "none", "nor_conv_3x3", "none", "none", "none"]
    w = torch.randn(6, 5)
    assert nb201_derive(w) == [NB201_OPS[int(torch.argmax(row))] for row in w]
    with pytest.raises(ValueError, match=r"\(6, 5\)"):
        nb201_derive(torch.zeros(5, 6))


# ---------------------------------------------------------------- neighbourhoods (the course's own definition)

@pytest.mark.parametrize("seed", range(5))
def test_nb201_neighbours(seed):
    arch = sample_nb201(seed)
    neighbours = nb201_neighbours(arch)
    assert len(neighbours) == 24 and len({tuple(a) for a in neighbours}) == 24
    assert all(sum(x != y for x, y in zip(a, arch)) == 1 for a in neighbours)
    assert arch not in neighbours


@pytest.mark.parametrize("cell, count", [("normal", 60), ("reduce", 60), ("both", 120)])
def test_darts_neighbours_of_darts_v2(cell, count):
    neighbours = darts_neighbours(DARTS_V2, cell=cell)
    assert len(neighbours) == count
    assert len({genotype_to_str(g) for g in neighbours}) == count
    for g in neighbours:
        assert g != DARTS_V2
        check_genotype(g, DARTS_OPS)
        changed = [(a, b) for a, b in zip(g.normal + g.reduce, DARTS_V2.normal + DARTS_V2.reduce) if a != b]
        assert len(changed) == 1 and sum(x != y for x, y in zip(*changed[0])) == 1  # op or input, not both
        for c in (g.normal, g.reduce):
            assert all(c[2 * i][1] != c[2 * i + 1][1] for i in range(4))
        assert "none" not in ops_of(g.normal + g.reduce)


def test_darts_neighbours_count_and_cell_argument():
    # NASNet's normal node 3 reads (0, 0): changing one input to 1 or 2 makes the inputs distinct
    neighbours = darts_neighbours(NASNET)
    # op changes: 10 edges * 6; input changes per edge, nodes 2..6 reading (1,0) (0,0) (1,0) (0,0) (1,1):
    # 0, 2, 2, 4, 5 (the node's predecessors minus the edge's and its sibling's input)
    assert len(neighbours) == 10 * 6 + 2 * (0 + 2 + 2 + 4 + 5)
    assert all(g.reduce == NASNET.reduce for g in neighbours)
    with pytest.raises(ValueError, match="'all'"):
        darts_neighbours(DARTS_V2, cell="all")


# ---------------------------------------------------------------- saving and validation

@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_genotype_string_round_trip(name):
    s = genotype_to_str(PUBLISHED[name])
    assert s.startswith("Genotype(normal=[(")
    assert genotype_from_str(s) == PUBLISHED[name]


def test_genotype_from_darts_log_form_with_range():
    s = repr(DARTS_V2._replace(normal_concat=range(2, 6), reduce_concat=range(2, 6)))
    assert "range(2, 6)" in s
    assert genotype_from_str(s) == DARTS and genotype_from_str(s).normal_concat == [2, 3, 4, 5]
    g = sample_darts_genotype(5)
    assert genotype_from_str(genotype_to_str(g)) == g


@pytest.mark.parametrize("bad", [
    "Genotype(normal=[('sep_conv_3x3', 0)], normal_concat=[2]",  # syntax
    "dict(normal=[], normal_concat=[], reduce=[], reduce_concat=[])",
    "Genotype([('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], [2], [('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], [2])",
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], normal_concat=[2], reduce=[])",
    "Genotype(normal=__import__('os').listdir('.'), normal_concat=[2], reduce=[], reduce_concat=[2])",
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 2)], normal_concat=[2], "
    "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",  # node 2 cannot read node 2
    "Genotype(normal=[(3, 0), ('sep_conv_3x3', 1)], normal_concat=[2], "
    "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",  # op name not a string
    "Genotype(normal=[0, 1], normal_concat=[2], reduce=[0, 1], reduce_concat=[2])",
    "Genotype(normal=[('sep_conv_3x3', 1.5), ('sep_conv_3x3', 1)], normal_concat=[2], "
    "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",  # fractional input
    "Genotype(normal=5, normal_concat=[2], reduce=[], reduce_concat=[2])",
])
def test_genotype_from_str_rejects_malformed_strings(bad):
    with pytest.raises(ValueError) as info:
        genotype_from_str(bad)
    message = str(info.value)
    assert message.startswith(f"malformed genotype string {bad!r}") and "The expected form is" in message


def test_genotype_strings_check_op_names_on_request():
    noisy = DARTS_V2._replace(normal=[("noise", j) for _, j in DARTS_V2.normal])  # RobustDARTS S4
    assert genotype_from_str(genotype_to_str(noisy)) == noisy
    with pytest.raises(ValueError, match="unknown operation 'noise'"):
        genotype_to_str(noisy, DARTS_OPS)
    with pytest.raises(ValueError, match="unknown operation 'noise'"):
        genotype_from_str(genotype_to_str(noisy), DARTS_OPS)
    with pytest.raises(ValueError, match="unknown operation 'noise'"):
        check_genotype(noisy)


def test_random_connections_needs_equal_cell_lengths():
    with pytest.raises(ValueError, match="equal lengths"):
        random_connections(DARTS_V2._replace(reduce=DARTS_V2.reduce[:6], reduce_concat=[2, 3, 4]), 1)


def test_check_genotype_names_the_problem():
    normal = list(DARTS_V2.normal)
    cases = [
        (DARTS_V2._replace(normal=normal[:7]), "normal has 7 entries"),
        (DARTS_V2._replace(normal=normal[:6] + [("skip_connect", 5), normal[7]]), r"node 5 can only read inputs 0..4"),
        (DARTS_V2._replace(reduce=[("sep_conv_3x3", -1)] + list(DARTS_V2.reduce[1:])), "reduce\\[0\\]"),
        (DARTS_V2._replace(normal=[("conv_3x3", 0)] + normal[1:]), "unknown operation 'conv_3x3'"),
        (DARTS_V2._replace(normal_concat=[2, 3, 6]), r"normal_concat = \[2, 3, 6\]"),
        (DARTS_V2._replace(reduce_concat=[2, 2]), "reduce_concat"),
        (DARTS_V2._replace(reduce_concat=[]), "reduce_concat"),
        ((1, 2, 3), "not a genotype"),
    ]
    for genotype, message in cases:
        with pytest.raises(ValueError, match=message):
            check_genotype(genotype)
    with pytest.raises(ValueError, match="unknown operation 'sep_conv_7x7'"):
        check_genotype(NASNET, DARTS_OPS)  # NASNet's 7x7 ops are outside the DARTS search space
    for genotype in PUBLISHED.values():
        check_genotype(genotype)


# ---------------------------------------------------------------- derivation from alpha (DARTS, section 2.4)

def _oracle(weights, ops, steps=4):
    """Brute force: for each node, the pair of distinct predecessors with the largest summed strength."""
    keep = [o for o, name in enumerate(ops) if name != "none"]
    weights = weights.numpy()  # plain numpy: no torch op per element
    cell, start = [], 0
    for i in range(steps):
        rows = weights[start:start + 2 + i][:, keep]
        strength = rows.max(axis=1)
        a, b = max(itertools.combinations(range(2 + i), 2), key=lambda p: strength[p[0]] + strength[p[1]])
        a, b = sorted((a, b), key=lambda j: -strength[j])
        cell += [(ops[keep[int(rows[j].argmax())]], j) for j in (a, b)]
        start += 2 + i
    return cell


def test_derive_cell_never_selects_none():
    weights = torch.full((14, 8), 0.05)
    weights[:, 0] = 0.6  # none is the strongest op on every edge
    gen = torch.Generator().manual_seed(0)
    weights[:, 1:] += 0.01 * torch.rand(14, 7, generator=gen)
    cell = derive_cell(weights, DARTS_OPS)
    assert len(cell) == 8 and "none" not in ops_of(cell)
    assert cell == _oracle(weights, DARTS_OPS)


@pytest.mark.parametrize("steps", [4, 5])
def test_derive_cell_matches_brute_force_oracle(steps):
    gen = torch.Generator().manual_seed(steps)
    edges = sum(2 + i for i in range(steps))
    for _ in range(20):
        weights = torch.softmax(torch.randn(edges, 8, generator=gen) * 3, dim=1)
        cell = derive_cell(weights, DARTS_OPS, steps=steps)
        assert cell == _oracle(weights, DARTS_OPS, steps)
        assert all(cell[2 * i][1] != cell[2 * i + 1][1] for i in range(steps))
        _ = cell_width_depth(cell, list(range(2, 2 + steps)))  # a valid cell


def test_derive_cell_decides_near_ties_in_the_weights_own_precision():
    """Differences of 1e-10 vanish in float32 (a tie, decided by position) but not in float64."""
    sep3, sep5 = DARTS_OPS.index("sep_conv_3x3"), DARTS_OPS.index("sep_conv_5x5")
    weights = torch.full((14, 8), 0.1, dtype=torch.float64)
    weights[:, sep3] = 0.3  # sep_conv_3x3 leads every edge ...
    weights[1, sep3] += 1e-10  # ... node 2: input 1 beats input 0 by 1e-10, so it comes first
    weights[4, sep3] += 2e-10  # node 3: input 2 beats inputs 0 and 1
    weights[5, sep5] = 0.3 + 1e-10  # node 4, edge from input 0: sep_conv_5x5 beats sep_conv_3x3 by 1e-10
    cell = derive_cell(weights, DARTS_OPS)
    assert cell[:2] == [("sep_conv_3x3", 1), ("sep_conv_3x3", 0)]
    assert cell[2][1] == 2
    assert cell[4] == ("sep_conv_5x5", 0)
    assert cell == _oracle(weights, DARTS_OPS)
    rounded = derive_cell(weights.float(), DARTS_OPS)  # in float32 the same weights tie: position decides
    assert rounded[:2] == [("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] and rounded[4] == ("sep_conv_3x3", 0)
    assert derive_cell(torch.ones(14, 8, dtype=torch.int64), DARTS_OPS)  # integer weights are accepted


def test_derive_cell_rejects_wrong_shape():
    with pytest.raises(ValueError, match=r"\(14, 8\)"):
        derive_cell(torch.zeros(14, 7), DARTS_OPS)
    with pytest.raises(ValueError, match=r"\(20, 8\)"):
        derive_cell(torch.zeros(14, 8), DARTS_OPS, steps=5)


# ---------------------------------------------------------------- either form: a Genotype or its string

def test_as_genotype_takes_a_genotype_its_string_or_a_plain_4_tuple():
    assert as_genotype(DARTS_V2) is DARTS_V2
    for name, genotype in PUBLISHED.items():
        assert as_genotype(genotype_to_str(genotype)) == genotype, name
    assert as_genotype(tuple(DARTS_V2)) == DARTS_V2
    from_json = as_genotype(json.loads(json.dumps(DARTS_V2)))  # lists all the way down
    assert isinstance(from_json, Genotype) and genotype_to_str(from_json) == genotype_to_str(DARTS_V2)
    assert as_genotype(genotype_to_str(DARTS_V2).replace("[2, 3, 4, 5]", "range(2, 6)")) == DARTS_V2


@pytest.mark.parametrize("bad, error, words", [
    (42, TypeError, ["got int 42", "genotype_from_str", "Genotype(normal="]),
    (None, TypeError, ["got NoneType None"]),
    (DARTS_V2.normal, TypeError, ["one cell", "pass the whole genotype"]),
    (nb201_parse(NB201_EXAMPLE), TypeError, ["NAS-Bench-201", "as_nb201"]),
    (NB201_EXAMPLE, ValueError, ["malformed genotype string", "nb201_parse"]),
    ("Genotype(normal=[('sep_conv_3x3', 0)])", ValueError, ["malformed genotype string", "The expected form"]),
])
def test_as_genotype_names_what_it_got_and_the_fix(bad, error, words):
    with pytest.raises(error) as info:
        as_genotype(bad)
    for word in words:
        assert word in str(info.value)


def test_genotype_from_str_passes_a_genotype_through():
    assert genotype_from_str(DARTS_V2) is DARTS_V2
    assert genotype_from_str(NASNET, None) is NASNET
    with pytest.raises(ValueError, match="unknown operation 'sep_conv_7x7'"):
        genotype_from_str(NASNET, DARTS_OPS)  # checked against ops when they are given


def test_every_genotype_function_takes_the_string_form():
    s = genotype_to_str(DARTS_V2)
    assert genotype_to_str(s) == s
    assert genotype_to_str(s.replace("'", '"').replace(", ", ",")) == s  # any spelling comes back canonical
    assert genotype_width_depth(s) == genotype_width_depth(DARTS_V2) == {"normal": (3.5, 3), "reduce": (2.5, 3)}
    assert widest_shallowest(s) == widest_shallowest(DARTS_V2)
    assert random_connections(s, 3) == random_connections(DARTS_V2, 3)
    assert random_operations(s, 3) == random_operations(DARTS_V2, 3)
    assert darts_neighbours(s, cell="both") == darts_neighbours(DARTS_V2, cell="both")
    check_genotype(s)
    with pytest.raises(ValueError, match="unknown operation 'sep_conv_7x7'"):
        check_genotype(genotype_to_str(NASNET), DARTS_OPS)
    with pytest.raises(ValueError, match="malformed genotype string"):
        check_genotype("Genotype(")
    for function in (genotype_width_depth, widest_shallowest, lambda g: random_connections(g, 1),
                     lambda g: random_operations(g, 1), darts_neighbours, genotype_to_str):
        with pytest.raises(TypeError, match="got int 7"):
            function(7)


def test_as_nb201_takes_a_string_or_six_names():
    arch = nb201_parse(NB201_EXAMPLE)
    assert as_nb201(NB201_EXAMPLE) == as_nb201(arch) == as_nb201(tuple(arch)) == arch
    assert isinstance(as_nb201(tuple(arch)), list)
    assert nb201_format(NB201_EXAMPLE) == nb201_format(tuple(arch)) == NB201_EXAMPLE
    assert nb201_neighbours(NB201_EXAMPLE) == nb201_neighbours(arch)
    with pytest.raises(ValueError, match="6 op names .* one for each of the 6 edges"):
        as_nb201(arch[:5])
    with pytest.raises(ValueError, match="malformed NAS-Bench-201 string"):
        as_nb201("|nor_conv_3x3~0|")
    with pytest.raises(ValueError, match="DARTS-space genotype, not a NAS-Bench-201 cell"):
        as_nb201(genotype_to_str(DARTS_V2))
    with pytest.raises(TypeError, match="DARTS-space Genotype"):
        as_nb201(DARTS_V2)
    with pytest.raises(TypeError, match="got int 5"):
        nb201_neighbours(5)


def test_width_family_is_c1_to_c12_with_width_rising_and_depth_falling():
    from nascourse.variants import width_family

    family = width_family(DARTS_V2, seed=1)
    assert [name for name, _ in family] == [f"c{i}" for i in range(1, 13)]
    shapes = [cell_width_depth(g.normal, g.normal_concat) for _, g in family]
    assert [w for w, _ in shapes] == [2.0] * 3 + [2.5] * 3 + [3.0] * 3 + [3.5] * 3
    assert all(a[1] >= b[1] for a, b in zip(shapes, shapes[1:])), shapes  # depth never rises
    for _, g in family:  # the operations are DARTS_V2's, only the wiring changes
        assert [op for op, _ in g.normal] == [op for op, _ in DARTS_V2.normal]
        assert [op for op, _ in g.reduce] == [op for op, _ in DARTS_V2.reduce]
    # seeds 1..10 give spec-listed wirings, e.g. seed 2 -> inputs [0,1,2,0,1,3,2,4] (2c, depth 5): it is c1
    assert [j for _, j in family[0][1].normal] == [0, 1, 2, 0, 1, 3, 2, 4]
    assert width_family(genotype_to_str(DARTS_V2), seed=1) == family  # the string form, and reproducible
    with pytest.raises(ValueError, match="too few cells"):
        width_family(DARTS_V2, widths=(0.5,), max_draws=50)


def test_darts_pt_cells_are_valid_and_no_wider_than_darts():
    """DARTS-PT's published DARTS-space cells (Wang et al., ICLR 2021): valid genotypes of DARTS's
    search operations, and every normal cell narrower than or as wide as DARTS_V2's 3.5c, with
    depth 3 or 4 (lesson 06 tabulates them)."""
    from nascourse.genotypes import DARTS_PT, FIX_ALPHA_PT, check_genotype, genotype_width_depth
    from nascourse.ops import DARTS_OPS
    assert len(DARTS_PT) == len(FIX_ALPHA_PT) == 4
    for g in DARTS_PT + FIX_ALPHA_PT:
        check_genotype(g, DARTS_OPS)
        width, depth = genotype_width_depth(g)["normal"]
        assert width <= genotype_width_depth(DARTS_V2)["normal"][0] and depth in (3, 4)
    assert [genotype_width_depth(g)["normal"] for g in DARTS_PT] == [(3.0, 4), (3.0, 4), (2.5, 3), (3.0, 3)]
