"""Neighbourhood scores and neighbourhood-aware random search on NAS-Bench-201 (the course's reconstruction)."""

import numpy as np
import pytest
import torch

from nascourse import bench, stats
from nascourse import flatness as FL
from nascourse.nb201 import nb201_neighbours


def test_neighbour_table_matches_brute_force_and_is_symmetric():
    table = FL.neighbour_table()
    assert table.shape == (bench.N_CELLS, 24)
    rng = np.random.default_rng(0)
    for i in rng.choice(bench.N_CELLS, size=40, replace=False):
        want = [bench.index_of(c) for c in nb201_neighbours(bench.ops_of(int(i)))]
        assert table[i].tolist() == want
    assert all(len(set(row)) == 24 for row in table[:500].tolist())
    assert not (table == np.arange(bench.N_CELLS)[:, None]).any()
    pairs = {(int(i), int(j)) for i in range(0, bench.N_CELLS, 97) for j in table[i]}
    assert all(i in table[j] for i, j in pairs)  # j is i's neighbour exactly when i is j's


@pytest.mark.parametrize("agg", ["mean", "min"])
def test_neighbourhood_scores_equal_brute_force_look_ups(agg):
    scores = FL.neighbourhood_scores("cifar10_val12", agg)
    for i in (0, 1462, 6111, 15624):
        values = [bench.lookup(i).cifar10_val12] + [r.cifar10_val12 for r in bench.neighbour_records(i)]
        want = np.mean(values) if agg == "mean" else min(values)
        assert scores[i] == pytest.approx(want, abs=1e-12)
        got = FL.neighbourhood_score(bench.ops_of(i), lambda c: bench.lookup(c).cifar10_val12, agg=agg)
        assert got == pytest.approx(want, abs=1e-12)


def test_neighbourhood_score_with_k_sampled_neighbours():
    measure = lambda c: bench.lookup(c).cifar10  # noqa: E731
    cell = bench.ops_of(1462)
    assert FL.neighbourhood_score(cell, measure, k=0, rng=np.random.default_rng(0)) == bench.lookup(1462).cifar10
    rng = np.random.default_rng(3)
    picked = rng.choice(24, size=5, replace=False)
    around = [nb201_neighbours(cell)[i] for i in picked]
    want = np.mean([measure(cell)] + [measure(c) for c in around])
    assert FL.neighbourhood_score(cell, measure, k=5, rng=np.random.default_rng(3)) == pytest.approx(want)
    with pytest.raises(ValueError, match="k must be"):
        FL.neighbourhood_score(cell, measure, k=25, rng=rng)
    with pytest.raises(ValueError, match="needs rng"):
        FL.neighbourhood_score(cell, measure, k=2)
    with pytest.raises(ValueError, match="agg must be"):
        FL.neighbourhood_score(cell, measure, agg="max")


def test_na_rs_with_no_neighbours_is_rs_and_rs_keeps_the_best_of_its_draws():
    rs = FL.random_search(50, seeds=30, seed=7)
    na0 = FL.na_random_search(50, k=0, seeds=30, seed=7)
    assert np.array_equal(rs.chosen, na0.chosen) and np.array_equal(rs.queries, na0.queries)
    rng = np.random.default_rng(7)
    first = rng.choice(bench.N_CELLS, size=50, replace=False)
    val = bench.table()["cifar10_val12"]
    assert rs.chosen[0] == first[np.argmax(val[first])]
    assert rs.test[0] == bench.table()["cifar10"][rs.chosen[0]]


def test_na_rs_counts_distinct_queries_and_scores_by_the_whole_neighbourhood():
    out = FL.na_random_search(20, k=None, seeds=5, seed=1)
    rng = np.random.default_rng(1)
    drawn = rng.choice(bench.N_CELLS, size=20, replace=False)
    block = np.concatenate([drawn[:, None], FL.neighbour_table()[drawn]], axis=1)
    assert out.queries[0] == len(np.unique(block)) <= 20 * 25
    scores = FL.neighbourhood_scores("cifar10_val12")
    assert out.chosen[0] == drawn[np.argmax(scores[drawn])]
    assert "over 5 seeds" in out.summary()


def test_summary_gives_the_mean_with_its_interval_and_the_sd_with_n_minus_1():
    out = FL.random_search(10, seeds=30)
    ci = stats.mean_ci(out.test)
    line = out.summary()
    assert f"{ci.estimate:.2f} [{ci.low:.2f}, {ci.high:.2f}] %" in line
    assert f"sd {np.std(out.test, ddof=1):.2f}" in line and "over 30 seeds" in line
    assert "over 1 seed" in FL.random_search(10, seeds=1).summary()


def test_bad_search_inputs_name_the_value():
    with pytest.raises(ValueError, match="n must be at most"):
        FL.random_search(20_000)
    with pytest.raises(ValueError, match="seeds must be"):
        FL.random_search(10, seeds=0)
    with pytest.raises(ValueError, match="unknown metric"):
        FL.na_random_search(10, select="cifar10_val")
    with pytest.raises(ValueError, match="k must be None"):
        FL.na_random_search(10, k=30)
    with pytest.raises(ValueError, match="one value per cell"):
        FL.neighbourhood_scores(np.zeros(10))


def test_a_perturbed_neighbour_moves_m_edges_towards_another_operation():
    torch.manual_seed(0)
    probs = [torch.softmax(torch.randn(14, 8), -1), torch.softmax(torch.randn(14, 8), -1)]
    for m, beta in ((1, 0.5), (3, 0.25), (28, 1.0)):
        g = torch.Generator().manual_seed(m)
        new = FL.perturbed_weights(probs, m, beta, g)
        changed = [(t, e) for t in range(2) for e in range(14) if not torch.equal(new[t][e], probs[t][e])]
        assert len(changed) == m
        for t in range(2):
            assert torch.allclose(new[t].sum(1), torch.ones(14))  # still a distribution on every edge
        for t, e in changed:
            moved = (new[t][e] - (1 - beta) * probs[t][e]) / beta  # = onehot(o)
            o = int(moved.argmax())
            assert torch.allclose(moved, torch.nn.functional.one_hot(torch.tensor(o), 8).float(), atol=1e-6)
            assert o != int(probs[t][e].argmax())  # towards another operation than the strongest


def test_neighbourhood_loss_is_the_mean_over_neighbours_and_k0_is_the_loss_itself():
    alpha = torch.randn(6, 5, requires_grad=True)
    target = torch.randn(6, 5)

    def loss_of(weights):
        return ((weights[0] - target) ** 2).sum()

    p = [torch.softmax(alpha, -1)]
    assert torch.equal(FL.neighbourhood_loss(loss_of, p, 0, 1, 0.5, torch.Generator()), loss_of(p))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    by_hand = (loss_of(p) + sum(loss_of(FL.perturbed_weights(p, 2, 0.3, g1)) for _ in range(3))) / 4
    found = FL.neighbourhood_loss(loss_of, p, 3, 2, 0.3, g2)
    assert torch.allclose(found, by_hand, rtol=1e-6)
    (grad,) = torch.autograd.grad(found, alpha)  # gradients reach alpha through every neighbour
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0
    with pytest.raises(ValueError, match="m must be"):
        FL.perturbed_weights(p, 7, 0.5, torch.Generator())
    with pytest.raises(ValueError, match="beta must be"):
        FL.perturbed_weights(p, 1, 0.0, torch.Generator())
