"""nascourse.cost and nascourse.evidence_ranking on saved runs made up for the test, with known answers."""

import json

import numpy as np
import pytest

from nascourse import bench, bench_analysis, cost, evidence_ranking, ranking, stats

ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
ALL_CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"


def _record(method, seed, final, epochs=None, scored=None):
    r = bench.lookup(final)
    out = {"method": method, "seed": seed,
           "settings": {"C": 8, "N": 2, "image_size": 16, "search_images": 5000, "epochs": 12},
           "final": {"cell": final, "index": r.index, "cifar10": r.cifar10},
           "epochs": epochs or [{"epoch": 1, "cell": final, "alpha_eig": None, "cifar10": r.cifar10}]}
    if scored is not None:
        out["scored"] = scored
    return out


def _write(folder, name, record):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(record))


@pytest.fixture
def results(tmp_path):
    ranked = tmp_path / "ranking-nb201"
    table = bench.table()
    for seed in (0, 1, 2):
        cells = ranking.stratified_sample(5, seed=seed)
        truth = table["cifar10"][cells]
        # a "supernet" that scores by the truth minus a penalty for depth: it favours shallow cells
        scores = (truth - 2.0 * bench_analysis.shapes()["depth"][cells]) / 100
        scored = {"cells": cells.tolist(), "recalibrate": scores.tolist(), "batch": scores.tolist()}
        _write(ranked, f"rsws-seed{seed}.json", _record("rsws", seed, ALL_CONV, scored=scored))
        _write(ranked, f"darts1-seed{seed}.json", _record("darts1", seed, ALL_SKIP))
    return tmp_path


def test_premise_reads_each_seed_and_sees_the_planted_bias(results):
    premise = cost.premise(results / "ranking-nb201")
    assert list(premise) == ["rsws"] and len(premise["rsws"]) == 3
    for s in premise["rsws"]:
        assert s.n == 35 and s.tau_200 > 0.5
        assert s.depth_bias > 0  # deeper cells ranked too low: it favours shallow cells


def test_picks_and_cost_table(results):
    picks = cost.picks(results)
    assert picks["DARTS 1st order"] == {s: bench.index_of(ALL_SKIP) for s in (0, 1, 2)}
    assert picks["RSWS (best of 20 paths)"][0] == bench.index_of(ALL_CONV)
    rows = {r.selector: r for r in cost.cost_table(results)}
    darts = rows["DARTS 1st order"]
    assert darts.n == 3 and darts.accuracy.estimate == pytest.approx(54.30)
    best = rows["best cell of the space"]
    assert best.regret == 0 and best.rank == 1 and best.accuracy.estimate == pytest.approx(94.37)
    assert rows["best cell by 12-epoch test accuracy"].rank == 62  # the figure, from the benchmark
    assert rows["best cell by 12-epoch validation accuracy"].regret == 0
    assert darts.regret == pytest.approx(94.37 - 54.30)


def test_es_cell_takes_the_epoch_the_rule_points_to():
    cells = [ALL_CONV] * 4 + [ALL_SKIP] * 8
    eig = [1, 1, 1, 1, 1, 3, 5, 8, 13, 21, 34, 55]
    epochs = [{"epoch": e + 1, "cell": c, "alpha_eig": v} for e, (c, v) in enumerate(zip(cells, eig))]
    record = {"method": "darts1", "seed": 0, "final": {"cell": ALL_SKIP}, "epochs": epochs}
    assert cost.es_cell(record) == ALL_CONV  # fires as λ grows, pointing before the skip cells took over
    flat = [{**e, "alpha_eig": 1.0} for e in epochs]
    assert cost.es_cell({**record, "epochs": flat}) == ALL_SKIP  # never fires: the final cell
    with pytest.raises(ValueError, match="recorded no"):
        cost.es_cell({**record, "epochs": [{**e, "alpha_eig": None} for e in epochs]})


def test_random_search_takes_the_best_of_its_budget():
    picks = cost.random_search(20, draws=50, seed=1)
    val12 = bench.table()["cifar10_val12"]
    rng = np.random.default_rng(1)
    draws = rng.integers(0, bench.N_CELLS, size=(50, 20))
    assert np.array_equal(picks, draws[np.arange(50), np.argmax(val12[draws], axis=1)])
    assert cost.random_search(bench.N_CELLS * 20, draws=1)[0] == np.argmax(val12)  # a huge budget finds the best
    with pytest.raises(ValueError, match="budget"):
        cost.random_search(0)


def test_seed_premise_needs_a_scored_sample():
    with pytest.raises(ValueError, match="--score"):
        cost.seed_premise(_record("darts1", 0, ALL_SKIP))


def test_evidence_tau_is_kendalls_tau_b():
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 5, 40).astype(float), rng.integers(0, 7, 40).astype(float)  # many ties
    assert ranking.tau_b(x, y) == pytest.approx(stats.kendall(x, y, n_boot=10).estimate)


def test_evidence_rows_from_the_made_up_runs(results):
    rows = {r["id"]: r for r in evidence_ranking.premise(results)}
    ranks = rows["ws-ranks-cells/rsws"]
    assert ranks["verdict"] == "held" and ranks["scale"]["n"] == 3
    shallow = rows["ws-favours-shallow/rsws"]
    assert shallow["effect"]["estimate"] > 0 and shallow["test"]["p"] < 0.05
    remedy = {r["id"]: r for r in evidence_ranking.remedy(results)}
    assert set(remedy) == {"depth-remedy/rsws", "depth-remedy/12-epoch"}
