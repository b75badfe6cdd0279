"""The DARTS-space analysis on NAS-Bench-301: rank gains, percentiles and pooled within-group rho
against hand-computed cases and scipy, the saved random cells against the library that made them,
and the cells the surrogate can and cannot score."""

from pathlib import Path

import numpy as np
import pytest

from nascourse import bench_analysis, nb301
from nascourse import evidence_nb301 as N
from nascourse.genotypes import DARTS_V2, Genotype

RESULTS = Path(__file__).parents[1] / "lessons" / "results"


def test_rank_gain_by_hand():
    # early ranks (1 = best) 1, 2, 3; final ranks 3, 2, 1: the last cell climbs two places
    assert N.rank_gain(np.array([90.0, 80.0, 70.0]), np.array([70.0, 80.0, 90.0])).tolist() == [-2, 0, 2]
    # ties get average ranks: early 1.5, 1.5, 3; final 1, 2, 3
    assert N.rank_gain(np.array([5.0, 5.0, 1.0]), np.array([3.0, 2.0, 1.0])).tolist() == [0.5, -0.5, 0]


def test_percentile_by_hand():
    random = np.array([4.0, 1.0, 3.0, 2.0])
    # 2.5 is above 2 of 4; 2 is above 1 and ties 1 (counts half): 1.5 of 4; below all; above all
    assert N.percentile([2.5, 2.0, 0.0, 5.0], random).tolist() == [50.0, 37.5, 0.0, 100.0]


def test_within_groups_pools_group_rhos_by_size():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    groups = np.repeat([0, 1, 2], [5, 9, 30])
    x = rng.integers(0, 4, len(groups)).astype(float)  # ties, as widths have
    y = x + rng.normal(0, 2, len(groups))
    est, low, high, p = bench_analysis.within_groups(x, y, groups, draws=50)
    rhos = [scipy_stats.spearmanr(x[groups == g], y[groups == g])[0] for g in range(3)]
    assert est == pytest.approx(np.dot(rhos, [5, 9, 30]) / 44, abs=1e-12)
    assert low <= est <= high and 1 / 51 <= p <= 1


def test_within_groups_by_hand():
    # group 0: rho = +1 (3 cells), group 1: rho = -1 (3 cells), group 2: one cell, left out
    x = np.array([1.0, 2, 3, 1, 2, 3, 7])
    y = np.array([1.0, 2, 3, 3, 2, 1, 0])
    assert bench_analysis.within_groups(x, y, np.array([0, 0, 0, 1, 1, 1, 2]), draws=10)[0] == 0.0
    one_group = bench_analysis.within_groups(x[:6], y[:6], np.zeros(6), draws=10)[0]
    assert one_group == pytest.approx(bench_analysis.spearman(x[:6], y[:6]))


def test_parametric_ops_and_shapes_of_darts_v2():
    assert N.parametric_ops(DARTS_V2) == 6  # five sep_conv_3x3 and one dil_conv_3x3 in the normal cell
    s = N.shapes([DARTS_V2])
    assert (s["width"][0], s["depth"][0], s["convs"][0]) == (3.5, 3, 6)  # Shu et al.'s Figure 1: 3.5c, depth 3


def test_encodable():
    assert N.encodable(DARTS_V2)
    twice = Genotype([("sep_conv_3x3", 1), ("skip_connect", 1)] + DARTS_V2.normal[2:], [2, 3, 4, 5],
                     DARTS_V2.reduce, [2, 3, 4, 5])  # node 2 reads input 1 twice
    assert not N.encodable(twice)


def test_predicted_is_the_surrogate_rounded():
    raw = nb301.predict([DARTS_V2], [1, 98])
    assert np.array_equal(N.predicted([DARTS_V2], [1, 98]), np.round(raw, 2))


@pytest.fixture(scope="module")
def saved():
    return N.load(RESULTS)


def test_saved_random_cells_are_the_library_s_predictions(saved):
    assert saved["accuracy"].shape == (saved["n"], len(N.EPOCHS)) and saved["epochs"] == list(N.EPOCHS)
    rows = [0, 1, saved["n"] - 1]
    cells = [N.random_cells(saved["n"])[i] for i in rows]
    assert np.allclose(saved["accuracy"][rows], N.predicted(cells, list(N.EPOCHS)), atol=0.011)


def test_saved_table_follows_from_the_saved_predictions(saved):
    cells = N.random_cells(saved["n"])
    s = N.shapes(cells)
    k = saved["epochs"].index(N.EARLY)
    acc = saved["accuracy"]
    entry = next(r for r in saved["table"] if r["epoch"] == N.EARLY)
    gain = N.rank_gain(acc[:, k], acc[:, -1])
    for target, y in (("accuracy", acc[:, k]), ("gain", gain)):
        for col in ("width", "depth"):
            est = bench_analysis.within_groups(s[col], y, s["convs"], draws=1)[0]
            assert est == pytest.approx(entry[target][col][0], abs=1e-4)


def test_width_family_cells_that_nb301_can_score():
    names, cells, cpu = N.width_family_cells(RESULTS)
    assert names[:2] == ["DARTS_V2", "wide"] and all(N.encodable(g) for g in cells)
    assert len(cpu) == len(names) and np.all((cpu > 10) & (cpu < 100))
