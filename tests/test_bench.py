"""NAS-Bench-201 ground truth: the published values, the packaged table against its sources,
the string/ops/index round trip, width and depth on hand-drawn cells, and the numpy Spearman."""

import csv
import lzma
from pathlib import Path

import numpy as np
import pytest

from nascourse import bench
from nascourse import bench_analysis as analysis
from nascourse.nb201 import nb201_connected, nb201_neighbours, nb201_parse, nb201_width_depth
from nascourse.ops import NB201_OPS

SOURCE = Path(__file__).parents[1] / ".." / "shared" / "data" / "nb201"
ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
ALL_CONV = ["nor_conv_3x3"] * 6


# ------ Published values (the shared data README) -------------------------------------------------

def test_known_values():
    r = bench.lookup(ALL_SKIP)
    assert (r.index, r.cifar10, r.cifar100, r.imagenet16, r.cifar10_test12) == (1835, 54.30, 15.61, 16.32, 36.84)
    r = bench.lookup(ALL_CONV)
    assert (r.index, r.cifar10, r.cifar100, r.imagenet16) == (1462, 93.76, 71.11, 41.44)
    assert bench.best("cifar10").index == 6111 and bench.best("cifar10").cifar10 == 94.37
    assert bench.lookup(1835) == bench.lookup(ALL_SKIP) == bench.lookup(tuple(nb201_parse(ALL_SKIP)))


def test_round_trip_every_cell():
    seen = set()
    for i in range(bench.N_CELLS):
        s, ops = bench.cell_of(i), bench.ops_of(i)
        assert nb201_parse(s) == ops and bench.index_of(s) == i and bench.index_of(ops) == i
        seen.add(s)
    assert len(seen) == bench.N_CELLS == 5 ** 6


def test_table_is_read_only_and_consistent_with_lookup():
    t = bench.table()
    assert t["ops"].shape == (15625, 6) and t["ops"].dtype == np.uint8 and t["ops"].max() == len(NB201_OPS) - 1
    assert set(t) == {"ops", *bench.METRICS}
    with pytest.raises(ValueError):
        t["cifar10"][0] = 100.0
    r = bench.lookup(4321)
    assert all(getattr(r, m) == t[m][4321] for m in bench.METRICS)
    assert [NB201_OPS[k] for k in t["ops"][4321]] == list(r.ops)


def test_neighbours_match_direct_lookups():
    for cell in (ALL_CONV, ALL_SKIP, 6111, 0):
        centre = bench.lookup(cell)
        records = bench.neighbour_records(cell)
        assert [r.ops for r in records] == [tuple(n) for n in nb201_neighbours(list(centre.ops))]
        assert len({r.index for r in records}) == 24 and centre.index not in {r.index for r in records}
        for r in records:
            assert sum(a != b for a, b in zip(r.ops, centre.ops)) == 1
            assert r == bench.lookup(r.string) == bench.lookup(r.index)


# ------ The packaged table against the shared sources ----------------------------------------------

def _read(name):
    with lzma.open(SOURCE / name, "rt", newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.skipif(not SOURCE.is_dir(), reason=f"the NAS-Bench-201 source tables are not at {SOURCE}")
def test_packaged_table_matches_sources():
    t = bench.table()
    columns = {
        "nb201-200ep-test.csv.xz": ("ArchitectureString", {
            "cifar10": "CIFAR10TestAccuracy200Epochs", "cifar100": "CIFAR100TestAccuracy200Epochs",
            "imagenet16": "ImageNetTestAccuracy200Epochs"}),
        "nb201-12ep.csv.xz": ("cellstr", {
            "cifar10_val12": "cifar10-val", "cifar10_test12": "cifar10-test", "cifar100_val12": "cifar100-val",
            "cifar100_test12": "cifar100-test", "imagenet16_val12": "imagenet-val",
            "imagenet16_test12": "imagenet-test"}),
    }
    for name, (cell_column, metrics) in columns.items():
        rows = _read(name)
        assert len(rows) == bench.N_CELLS
        assert [r[cell_column] for r in rows] == [bench.cell_of(i) for i in range(bench.N_CELLS)]
        for metric, column in metrics.items():
            source = np.array([float(r[column]) for r in rows])
            assert np.abs(t[metric] - source).max() <= 0.005 + 1e-9, metric  # two decimals


# ------ Ranks -------------------------------------------------------------------------------------

def test_rank_percentile_best():
    t = bench.table()
    for metric in bench.METRICS:
        b = bench.best(metric)
        assert getattr(b, metric) == t[metric].max()
        assert bench.rank(b.index, metric) == 1 and bench.percentile(b.index, metric) == 100.0
    acc = t["cifar10"]
    worst = int(np.argmin(acc))
    assert bench.rank(worst) == 1 + np.count_nonzero(acc > acc[worst])
    tied_with_worst = np.count_nonzero(acc == acc[worst]) - 1  # the other cells it matches
    assert bench.percentile(worst) == pytest.approx(100 * tied_with_worst / 15624)
    assert bench.rank(13714) == bench.rank(6111) == 1  # the source's own tie at the top: 94.3733 twice
    # a tie: two cells with the same accuracy share one rank and one percentile
    values, counts = np.unique(acc, return_counts=True)
    tied = np.flatnonzero(acc == values[np.argmax(counts)])[:2]
    assert bench.rank(int(tied[0])) == bench.rank(int(tied[1])) == 1 + np.count_nonzero(acc > acc[tied[0]])
    assert bench.percentile(int(tied[0])) == bench.percentile(int(tied[1]))
    assert bench.rank(ALL_CONV, "cifar10") < bench.rank(ALL_SKIP, "cifar10")


# ------ Errors ------------------------------------------------------------------------------------

def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="malformed NAS-Bench-201 string"):
        bench.lookup("|nor_conv_3x3~0|+|nor_conv_3x3~0|")
    with pytest.raises(ValueError, match="unknown operation 'conv_5x5'"):
        bench.lookup(ALL_SKIP.replace("skip_connect~2", "conv_5x5~2"))
    with pytest.raises(ValueError, match="is not a NAS-Bench-201 cell"):
        bench.lookup(["nor_conv_3x3"] * 5)
    with pytest.raises(ValueError, match="is not a NAS-Bench-201 cell"):
        bench.index_of(["sep_conv_3x3"] * 6)
    for bad in (15625, -1):
        with pytest.raises(IndexError, match="out of range"):
            bench.lookup(bad)
    with pytest.raises(TypeError):
        bench.lookup(True)
    with pytest.raises(ValueError, match="cifar10_test12"):
        bench.rank(0, "cifar10_accuracy")
    with pytest.raises(ValueError, match="unknown dataset"):
        analysis.budget_spearman("svhn")


# ------ Width and depth on hand-drawn cells --------------------------------------------------------

def _cell(edges):
    """{(i, j): op} for the non-none edges j -> i -> 6 op names in NB201_EDGES order."""
    from nascourse.nb201 import NB201_EDGES
    return [edges.get(e, "none") for e in NB201_EDGES]


@pytest.mark.parametrize("edges, width, depth", [
    ({e: "nor_conv_3x3" for e in [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]}, 1 + 1 / 2 + 1 / 3, 3),
    ({e: "skip_connect" for e in [(1, 0), (2, 0), (2, 1), (3, 0), (3, 1), (3, 2)]}, 1 + 1 / 2 + 1 / 3, 3),
    # chain 0 -> 1 -> 2 -> 3 with a skip 0 -> 3: nodes read 1/1, 0/1, 1/2 from the input
    ({(1, 0): "nor_conv_3x3", (2, 1): "nor_conv_3x3", (3, 2): "nor_conv_3x3", (3, 0): "skip_connect"}, 1.5, 3),
    ({(1, 0): "nor_conv_1x1", (2, 1): "avg_pool_3x3", (3, 2): "nor_conv_3x3"}, 1.0, 3),  # a pure chain
    ({(3, 0): "avg_pool_3x3"}, 1.0, 1),  # one edge straight to the output
    # three parallel branches 0 -> 1 -> 3, 0 -> 2 -> 3, 0 -> 3: the widest cell
    ({(1, 0): "nor_conv_3x3", (3, 1): "nor_conv_3x3", (2, 0): "nor_conv_3x3", (3, 2): "nor_conv_3x3",
      (3, 0): "skip_connect"}, 1 + 1 + 1 / 3, 2),
    # node 1 leads nowhere: its edge 0 -> 1 is dropped
    ({(1, 0): "nor_conv_3x3", (2, 0): "nor_conv_3x3", (3, 2): "nor_conv_3x3"}, 1.0, 2),
    # node 1 is never reached from the input: its edge 1 -> 3 is dropped
    ({(3, 0): "nor_conv_3x3", (3, 1): "nor_conv_3x3", (2, 1): "skip_connect"}, 1.0, 1),
])
def test_width_depth_hand_drawn(edges, width, depth):
    arch = _cell(edges)
    assert nb201_connected(arch)
    w, d = nb201_width_depth(arch)
    assert w == pytest.approx(width) and d == depth
    assert nb201_width_depth(bench.cell_of(bench.index_of(arch))) == (w, d)  # the string form too


@pytest.mark.parametrize("edges", [{}, {(2, 1): "nor_conv_3x3", (3, 2): "nor_conv_3x3"},
                                   {(1, 0): "nor_conv_3x3", (2, 0): "skip_connect", (2, 1): "nor_conv_1x1"}])
def test_disconnected_cells_have_no_width(edges):
    arch = _cell(edges)
    assert not nb201_connected(arch)
    with pytest.raises(ValueError, match="no path of non-none edges"):
        nb201_width_depth(arch)


def test_connected_count_and_shapes():
    s = analysis.shapes()
    assert s["connected"].sum() == 15284  # the shared README's figure
    c = s["connected"]
    assert np.isnan(s["width"][~c]).all() and (s["depth"][~c] == 0).all()
    assert s["width"][c].min() == 1.0 and s["width"][c].max() == pytest.approx(7 / 3)
    assert set(s["depth"][c].tolist()) == {1, 2, 3}
    assert s["width"][1462] == pytest.approx(11 / 6) and s["depth"][1462] == 3 and s["convs"][1462] == 6
    assert s["convs"][1835] == 0
    # disconnected cells score at chance level or close to it
    assert bench.table()["cifar10"][~c].max() < 20


# ------ Spearman, ranks and the analysis ---------------------------------------------------------

def test_rankdata_and_spearman_by_hand():
    assert analysis.rankdata([10, 20, 20, 30]).tolist() == [1, 2.5, 2.5, 4]
    assert analysis.rankdata([3, 1, 2]).tolist() == [3, 1, 2]
    # x ranks 1..5; y = [5, 6, 7, 8, 7] ranks [1, 2, 3.5, 5, 3.5]. Centred: [-2, -1, 0, 1, 2] and
    # [-2, -1, .5, 2, .5]: sum of products 8, sums of squares 10 and 9.5, rho = 8 / sqrt(95)
    assert analysis.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / 95 ** 0.5)
    assert analysis.spearman([1, 2, 3], [10, 40, 90]) == pytest.approx(1.0)
    assert analysis.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert np.isnan(analysis.spearman([1, 2, 3], [4, 4, 4]))
    with pytest.raises(ValueError):
        analysis.spearman([1, 2], [1, 2, 3])


def test_spearman_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 10, 200), rng.integers(0, 10, 200)  # many ties
    assert analysis.spearman(x, y) == pytest.approx(stats.spearmanr(x, y)[0])
    assert np.allclose(analysis.rankdata(x), stats.rankdata(x))


def test_analysis_invariants():
    c = analysis.shapes()["connected"]
    change = analysis.rank_change("cifar10")
    assert np.isnan(change[~c]).all() and change[c].sum() == pytest.approx(0.0, abs=1e-6)
    assert -1 < analysis.budget_spearman("cifar10") < 1
    r = analysis.shape_correlations(change)
    assert sum(g.size for g in r.groups) == 15284 and [g.convs for g in r.groups] == list(range(7))
    assert r.groups[6].size == 64 and np.isnan(r.groups[6].width)  # all 2^6 all-conv cells: one shape
    rhos = [g.depth for g in r.groups if not np.isnan(g.depth)]
    assert min(rhos) <= r.depth <= max(rhos)
    top, everyone = analysis.top_shape("cifar10", k=100), analysis.connected_shape()
    assert top.n == 100 and everyone.n == 15284 and 1 <= top.width <= 7 / 3 and 1 <= top.depth <= 3
    assert analysis.top_shape("cifar10", k=1).width == analysis.shapes()["width"][6111]
