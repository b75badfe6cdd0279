"""nascourse.ranking against oracles: a discrete network with the supernet's weights copied in,
hand-computed rank correlations (and SciPy's), and rankers whose regret is known."""

import numpy as np
import pytest
import torch
from torch import nn

from nascourse import bench, bench_analysis, ranking, stats
from nascourse.network import NB201Network
from nascourse.ops import NB201_OPS
from nascourse.supernet import DartsSupernet, NB201Supernet

CELL = "|nor_conv_3x3~0|+|skip_connect~0|nor_conv_1x1~1|+|avg_pool_3x3~0|none~1|nor_conv_3x3~2|"


def _supernet(seed=0, C=4, N=1):
    torch.manual_seed(seed)
    net = NB201Supernet(C=C, N=N)
    with torch.no_grad():  # running statistics that are not the defaults, so that copying them matters
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return net


def _discrete_copy(supernet, cell):
    """NB201Network of ``cell`` holding the supernet's weights: each edge's chosen op's parameters and
    running statistics; BN scale 1 and shift 0 where the supernet's BN has none (affine=False)."""
    ops = bench.lookup(cell).ops
    net = NB201Network(cell, C=supernet.C, N=supernet.N)
    source = supernet.state_dict()
    target = {}
    for key, value in net.state_dict().items():
        parts = key.split(".")
        if parts[0] == "cells" and parts[2] == "edges" and key not in source:
            e = int(parts[3])
            k = NB201_OPS.index(ops[e])
            skey = ".".join(parts[:4] + ["ops", str(k)] + parts[4:])
            if skey in source:
                target[key] = source[skey]
            elif parts[-1] == "weight":
                target[key] = torch.ones_like(value)
            elif parts[-1] == "bias":
                target[key] = torch.zeros_like(value)
            else:
                raise KeyError(key)
        else:
            target[key] = source[key]
    net.load_state_dict(target)
    return net


def _batches(n, seed, size=8):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(size, 3, 8, 8, generator=g), torch.randint(0, 10, (size,), generator=g)) for _ in range(n)]


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_one_hot_path_equals_the_discrete_network(mode):
    supernet = _supernet()
    net = _discrete_copy(supernet, CELL)
    (x, _), = _batches(1, 1)
    supernet.train(mode == "train")
    net.train(mode == "train")
    with torch.no_grad():
        got = supernet(x, ranking.one_hot(supernet, CELL))
        want, _ = net(x)
    assert torch.equal(got, want)


def _network_accuracy(net, train_batches, val_batches, bn):
    with torch.no_grad():
        if bn == "recalibrate":
            for m in net.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.reset_running_stats()
                    m.momentum = None
            net.train()
            for x, _ in train_batches:
                net(x)
            net.eval()
        else:
            net.train()
        right = sum(int((net(x)[0].argmax(1) == y).sum()) for x, y in val_batches)
        logits = torch.cat([net(x)[0] for x, _ in val_batches])
    return right / sum(len(y) for _, y in val_batches), logits


@pytest.mark.parametrize("bn", ranking.BN_MODES)
def test_score_equals_the_discrete_network_evaluated_the_same_way(bn):
    supernet = _supernet(seed=3)
    train_batches, val_batches = _batches(4, 5), _batches(3, 6)
    # labels the network gets partly right, so that accuracy discriminates
    net = _discrete_copy(supernet, CELL)
    _, logits = _network_accuracy(net, train_batches, val_batches, bn)
    pred = logits.argmax(1).reshape(len(val_batches), -1)
    val_batches = [(x, torch.where(torch.arange(len(y)) % 2 == 0, pred[i], y)) for i, (x, y) in enumerate(val_batches)]
    want, _ = _network_accuracy(_discrete_copy(supernet, CELL), train_batches, val_batches, bn)
    got = ranking.score_cells(supernet, [CELL], train_batches, val_batches, bn=bn)[0]
    assert got == pytest.approx(want, abs=0)
    assert 0.4 < got < 1


def test_scoring_leaves_the_supernet_as_it_was():
    supernet = _supernet()
    supernet.eval()
    before = {k: v.clone() for k, v in supernet.state_dict().items()}
    momenta = [m.momentum for m in supernet.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in ranking.BN_MODES:
        ranking.score_cells(supernet, [CELL, 1462], _batches(2, 0), _batches(2, 1), bn=bn)
    assert not supernet.training
    assert all(torch.equal(before[k], v) for k, v in supernet.state_dict().items())
    assert momenta == [m.momentum for m in supernet.modules() if isinstance(m, nn.BatchNorm2d)]


def test_recalibration_uses_the_training_batches():
    supernet = _supernet(seed=1)
    val = _batches(3, 2)
    a = ranking.score_cells(supernet, [CELL], _batches(2, 3), val)[0]
    b = ranking.score_cells(supernet, [CELL], _batches(2, 3), val)[0]
    assert a == b  # same batches, same score
    logits = []
    for seed in (3, 4):
        with ranking._recalibrating(supernet), torch.no_grad():
            supernet.train()
            for x, _ in _batches(2, seed):
                supernet(x, ranking.one_hot(supernet, CELL))
            supernet.eval()
            logits.append(supernet(val[0][0], ranking.one_hot(supernet, CELL)))
    assert not torch.equal(*logits)  # other batches, other statistics


def test_stratified_sample_covers_every_conv_count():
    cells = ranking.stratified_sample(20, seed=4)
    shapes = bench_analysis.shapes()
    counts = np.bincount(shapes["convs"][cells], minlength=7)
    assert counts.tolist() == [20] * 7
    assert shapes["connected"][cells].all() and len(set(cells.tolist())) == len(cells)
    assert np.array_equal(cells, ranking.stratified_sample(20, seed=4))
    assert not np.array_equal(cells, ranking.stratified_sample(20, seed=5))
    everything = ranking.stratified_sample(10_000, connected=False)
    assert len(everything) == bench.N_CELLS  # a group smaller than per_group is taken whole


def test_rank_correlations_with_ties_against_hand_computed_values():
    # scores with a tie; truth with a tie. Hand: of the 10 pairs 7 are concordant, 1 discordant (cells
    # 2, 4), 1 tied in the score (2, 3), 1 in the truth (3, 4): tau_b = (7 - 1) / sqrt((10 - 1) (10 - 1)) = 2/3
    cells = ranking.stratified_sample(5)
    cells = cells[bench_analysis.shapes()["convs"][cells] == 0]  # one conv-count group of 5
    scores = np.array([1.0, 2.0, 2.0, 3.0, 4.0])
    truth = np.array([1.0, 3.0, 2.0, 2.0, 4.0])
    got = ranking.agreement(scores, cells, truth=truth, top_k=2, n_boot=50)
    assert got.kendall.estimate == pytest.approx(2 / 3)
    # Spearman: Pearson of average ranks (1, 2.5, 2.5, 4, 5) and (1, 4, 2.5, 2.5, 5) = 7.25 / 9.5
    assert got.spearman.estimate == pytest.approx(7.25 / 9.5)
    assert got.precision == 0.5  # top 2 by score: cells 5, 4; by truth: cells 5, 2
    assert got.spearman_within.estimate == pytest.approx(got.spearman.estimate)  # a single group
    scipy = pytest.importorskip("scipy.stats")
    assert got.kendall.estimate == pytest.approx(scipy.kendalltau(scores, truth).statistic)
    assert got.spearman.estimate == pytest.approx(scipy.spearmanr(scores, truth).statistic)


def test_within_groups_is_the_size_weighted_mean_of_the_groups_rhos():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=30), rng.normal(size=30)
    groups = np.repeat([0, 1, 2], [5, 10, 15])
    rhos = [bench_analysis.spearman(x[groups == g], y[groups == g]) for g in range(3)]
    got = ranking.within_groups(x, y, groups, draws=100)
    assert got.estimate == pytest.approx(np.dot(rhos, [5, 10, 15]) / 30)
    assert got.low <= got.estimate <= got.high and 0 < got.p <= 1
    shifted = ranking.within_groups(x, x + 100 * groups, groups, draws=100)
    assert shifted.estimate == pytest.approx(1.0) and shifted.p < 0.05


def test_favours_sees_a_ranker_that_penalises_depth():
    cells = ranking.stratified_sample(25, seed=1)
    shapes = bench_analysis.shapes()
    truth = bench.table()["cifar10"][cells]
    shallow = truth - 3.0 * shapes["depth"][cells]  # a ranker that marks deep cells down
    got = ranking.favours(shallow, cells, n_boot=100)
    assert got.depth.estimate > 0.2 and got.depth.p < 0.05
    fair = ranking.favours(truth, cells, n_boot=100)
    assert np.isnan(fair.depth.estimate) and np.isnan(fair.width.estimate)  # no rank errors: nothing to correlate


def test_regret_of_a_perfect_ranker_is_zero_and_of_a_reversed_one_the_spread():
    cells = ranking.stratified_sample(10, seed=2)
    truth = bench.table()["cifar10"][cells]
    perfect = ranking.regret(truth, cells)
    assert perfect.points == 0 and perfect.rank == 1 and perfect.pick == cells[np.argmax(truth)]
    reversed_ = ranking.regret(-truth, cells)
    assert reversed_.points == pytest.approx(truth.max() - truth.min())
    assert reversed_.rank == len(cells)
    assert ranking.regret(-truth, cells, k=len(cells)).points == 0  # the best of all cells is among them
    assert ranking.regret(truth, cells, truth="cifar10_val12").points >= 0


def test_depth_aware_pick_takes_the_deepest_of_the_top_k():
    cells = ranking.stratified_sample(10, seed=3)
    depth = bench_analysis.shapes()["depth"][cells]
    scores = np.arange(len(cells), dtype=float)  # the last cells score highest
    pick = ranking.depth_aware_pick(scores, cells, k=8)
    top = cells[-8:]
    assert bench_analysis.shapes()["depth"][pick] == depth[-8:].max() and pick in top
    assert ranking.depth_aware_pick(scores, cells, k=1) == cells[-1]


def test_bad_input_gets_a_clear_error():
    supernet = _supernet()
    batches = _batches(1, 0)
    with pytest.raises(ValueError, match="not_an_op|6 edges|op names"):
        ranking.score_cells(supernet, ["|not_an_op~0|+|none~0|none~1|+|none~0|none~1|none~2|"], batches, batches)
    with pytest.raises(ValueError, match="no cells to score"):
        ranking.score_cells(supernet, [], batches, batches)
    with pytest.raises(ValueError, match="'darts' space"):
        ranking.score_cells(DartsSupernet(C=4, layers=2), [CELL], batches, batches)
    with pytest.raises(ValueError, match="bn must be one of"):
        ranking.score_cells(supernet, [CELL], batches, batches, bn="running")
    with pytest.raises(ValueError, match="training batches"):
        ranking.score_cells(supernet, [CELL], [], batches)
    with pytest.raises(ValueError, match="per_group"):
        ranking.stratified_sample(0)
    cells = ranking.stratified_sample(2)
    with pytest.raises(ValueError, match="NaN"):
        ranking.regret(np.full(len(cells), np.nan), cells)
    with pytest.raises(ValueError, match="one score per cell"):
        ranking.regret(np.zeros(3), cells)
    with pytest.raises(ValueError, match="no cells"):
        ranking.regret([], [])
    with pytest.raises(ValueError, match="at least 3"):
        ranking.within_groups([1, 2, 3, 4], [1, 2, 3, 4], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="k must be"):
        ranking.regret(np.zeros(len(cells)), cells, k=0)


def test_estimates_without_intervals_equal_the_full_ones():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 6, 60).astype(float), rng.normal(size=60)  # ties in x
    groups = rng.integers(0, 4, 60)
    assert ranking.tau_b(x, y) == pytest.approx(stats.kendall(x, y, n_boot=10).estimate)
    assert ranking.pooled_rho(x, y, groups) == pytest.approx(ranking.within_groups(x, y, groups, draws=10).estimate)
    assert np.isnan(ranking.tau_b([1, 1, 1], [1, 2, 3]))
