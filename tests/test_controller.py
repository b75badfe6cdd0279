"""ENAS's controller and SNAS's relaxed sample, against exact enumeration, finite differences and
Monte Carlo: the policy is a distribution over cells, its samples follow it, REINFORCE's update is
the score-function estimate, every sampled cell is a genotype; SNAS's sample has the Gumbel-max
law at every temperature and becomes one-hot as the temperature falls."""

import itertools

import pytest
import torch

from nascourse.controller import EnasController, cell_genotype, cell_weights, edge_frequencies
from nascourse.genotypes import check_genotype, genotype_width_depth
from nascourse.history import make_config
from nascourse.ops import DARTS_OPS
from nascourse.steps import enas_controller_step, relaxed_weights, temperature
from nascourse.supernet import DartsSupernet

TINY_OPS = ["none", "skip_connect", "avg_pool_3x3"]  # two choices: 'none' is never proposed


def tiny_controller(seed: int = 0) -> EnasController:
    """One node per cell, two operations: 2 * 2 * 2 * 2 = 16 choices per cell, 256 cell pairs."""
    torch.manual_seed(seed)
    return EnasController(TINY_OPS, steps=1, lstm_size=3, favoured=("avg_pool_3x3",)).double()


def every_decision() -> torch.Tensor:
    """All 256 decision tensors (2 cells, 1 node, input 1, input 2, op 1, op 2) of the tiny controller."""
    per_cell = list(itertools.product((0, 1), (0, 1), (1, 2), (1, 2)))
    return torch.tensor([[[a], [b]] for a in per_cell for b in per_cell])


def test_the_policy_is_a_distribution_over_every_cell_pair():
    controller = tiny_controller()
    scored = controller.log_prob(every_decision())
    assert torch.allclose(scored.log_prob.exp().sum(), torch.tensor(1.0, dtype=torch.float64), atol=1e-12)
    # the chain rule: the expected sum of each decision's entropy is the entropy of the whole cell pair
    p = scored.log_prob.exp()
    joint = -(p * scored.log_prob).sum()
    assert torch.allclose((p * scored.entropy).sum(), joint.detach(), atol=1e-10)


def test_samples_follow_the_policy_and_score_as_they_were_drawn():
    controller = tiny_controller(1)
    decisions = every_decision()
    exact = controller.log_prob(decisions).log_prob.exp().detach()
    sample = controller.sample(40_000, torch.Generator().manual_seed(0))
    rescored = controller.log_prob(sample.decisions)
    assert torch.allclose(rescored.log_prob, sample.log_prob, atol=1e-12)
    assert torch.allclose(rescored.entropy, sample.entropy, atol=1e-12)
    index = {tuple(d.reshape(-1).tolist()): i for i, d in enumerate(decisions)}
    counts = torch.zeros(len(decisions), dtype=torch.float64)
    for d in sample.decisions:
        counts[index[tuple(d.reshape(-1).tolist())]] += 1
    expected = exact * len(sample.decisions)
    chi2 = ((counts - expected) ** 2 / expected).sum()  # 255 degrees of freedom: mean 255, sd 22.6
    assert chi2 < 255 + 5 * 22.6, chi2


def test_the_same_generator_state_gives_the_same_cells():
    controller = EnasController(DARTS_OPS)
    a = controller.sample(5, torch.Generator().manual_seed(3)).decisions
    b = controller.sample(5, torch.Generator().manual_seed(3)).decisions
    c = controller.sample(5, torch.Generator().manual_seed(4)).decisions
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_every_sampled_cell_is_a_genotype_and_a_node_may_read_one_input_twice():
    controller = EnasController(DARTS_OPS)
    decisions = controller.sample(300, torch.Generator().manual_seed(0)).decisions
    twice = 0
    for d in decisions:
        genotype = cell_genotype(d, DARTS_OPS)
        check_genotype(genotype)  # 2 (op, input) pairs per node, inputs built before the node, known ops
        assert all(op != "none" for op, _ in genotype.normal + genotype.reduce)
        assert genotype.normal_concat == genotype.reduce_concat == [2, 3, 4, 5]
        width, depth = genotype_width_depth(genotype)["normal"]
        assert 1 <= width <= 4 and 2 <= depth <= 5
        twice += sum(genotype.normal[2 * i][1] == genotype.normal[2 * i + 1][1] for i in range(4))
        weights = cell_weights(d, len(DARTS_OPS))
        start = 0
        for node in range(4):  # each node's rows hold its two picks, whatever they are
            assert weights[0][start:start + 2 + node].sum() == 2 and weights[1][start:start + 2 + node].sum() == 2
            start += 2 + node
        assert weights[0][:, 0].sum() == 0  # never 'none'
    assert twice > 0  # ENAS's rule: the same input twice is allowed, and happens


def test_edge_frequencies_are_the_mean_of_the_sampled_paths():
    decisions = EnasController(DARTS_OPS).sample(50, torch.Generator().manual_seed(1)).decisions
    freq = edge_frequencies(decisions, DARTS_OPS)
    paths = [cell_weights(d, len(DARTS_OPS)) for d in decisions]
    for cell in range(2):
        counts = torch.stack([p[cell] for p in paths])
        assert torch.allclose(freq[cell][:, 1:], counts[:, :, 1:].mean(0))
        assert torch.allclose(freq[cell][:, 0], (counts.sum(2) == 0).float().mean(0))


def test_log_prob_refuses_impossible_decisions():
    controller = tiny_controller()
    bad = every_decision()[:1].clone()
    bad[0, 0, 0, 0] = 2  # node 2 can only read nodes 0 and 1
    with pytest.raises(ValueError, match="not built yet"):
        controller.log_prob(bad)
    bad = every_decision()[:1].clone()
    bad[0, 1, 0, 2] = 0  # 'none'
    with pytest.raises(ValueError, match="outside the controller's choices"):
        controller.log_prob(bad)


def test_reinforce_update_is_the_score_function_estimate_with_enas_baseline(monkeypatch):
    """The controller's gradient equals mean_i -(R_i - b_i) d log p(cell_i) / d theta, with R_i the
    accuracy of cell i on its batch plus the entropy bonus, b_i the moving baseline after R_i, and
    d log p by central finite differences of the policy's log-probability."""
    torch.manual_seed(0)
    supernet = DartsSupernet(C=4, layers=1, ops=TINY_OPS, steps=1, multiplier=1)
    supernet.controller = tiny_controller(2)
    supernet.controller.baseline.fill_(0.3)
    config = make_config("enas", "darts", "tiny", entropy_weight=0.05, baseline_decay=0.9)
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(8, 3, 8, 8, generator=g), torch.randint(0, 10, (8,), generator=g)) for _ in range(4)]
    captured = {}

    def capture(a_opt, params, grads):
        captured["grads"] = [x.clone() for x in grads]
        return torch.zeros((), dtype=torch.float64)

    monkeypatch.setattr("nascourse.steps.arch_update", capture)
    sampler = torch.Generator().manual_seed(5)
    drawn = supernet.controller.sample(4, torch.Generator().manual_seed(5)).decisions  # what the step will draw
    enas_controller_step(supernet, None, batches, config, sampler)

    controller = supernet.controller
    rewards, b = [], 0.3
    for d, (x, y) in zip(drawn, batches):
        with torch.no_grad():
            acc = (supernet(x, cell_weights(d, len(TINY_OPS), 1)).argmax(1) == y).double().mean().item()
        rewards.append(acc + 0.05 * controller.log_prob(d[None]).entropy.item())
    advantages = []
    for r in rewards:
        b = b - 0.1 * (b - r)
        advantages.append(r - b)
    assert controller.baseline.item() == pytest.approx(b, abs=1e-12)

    params = list(controller.parameters())
    h = 1e-6
    for p, grad in zip(params, captured["grads"]):
        flat = p.data.view(-1)
        expected = torch.zeros_like(flat)
        for k in range(flat.numel()):
            old = flat[k].item()
            flat[k] = old + h
            up = controller.log_prob(drawn).log_prob.detach()
            flat[k] = old - h
            down = controller.log_prob(drawn).log_prob.detach()
            flat[k] = old
            dlogp = (up - down) / (2 * h)  # (cells,)
            expected[k] = -(torch.tensor(advantages, dtype=torch.float64) * dlogp).mean()
        assert torch.allclose(grad.view(-1), expected, atol=1e-7), p.shape


def test_relaxed_sample_has_the_gumbel_max_law_and_tends_to_one_hot():
    alpha = torch.tensor([[1.0, 0.0, -1.0, 0.5]]).repeat(20_000, 1)
    target = torch.softmax(alpha[0], 0)
    g = torch.Generator().manual_seed(0)
    for tau in (1.0, 0.1):  # argmax Z ~ softmax(alpha) at any temperature
        z = relaxed_weights(alpha, tau, g)
        assert torch.allclose(z.sum(1), torch.ones(len(z)), atol=1e-5)
        freq = torch.bincount(z.argmax(1), minlength=4).float() / len(z)
        assert (freq - target).abs().max() < 0.015, (tau, freq, target)
    z = relaxed_weights(alpha, 1e-3, g)  # tau -> 0: one-hot rows, whose mean is softmax(alpha)
    assert (z.max(1).values > 0.999).float().mean() > 0.99
    assert (z.mean(0) - target).abs().max() < 0.015
    warm = relaxed_weights(alpha, 5.0, g)  # a high temperature spreads the weight over every operation
    assert warm.max(1).values.mean() < 0.6 < z.max(1).values.mean()


def test_snas_temperature_follows_its_authors_linear_schedule():
    config = make_config("snas", "darts", "tiny", epochs=4)
    taus = [temperature(config, e) for e in range(4)]
    assert taus == pytest.approx([0.03 + 0.97 * 0.75, 0.03 + 0.97 * 0.5, 0.03 + 0.97 * 0.25, 0.03])
    assert temperature(make_config("darts1", "darts", "tiny"), 0) is None


def test_enas_configuration_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="space='darts'"):
        make_config("enas", "nb201", "tiny")
    with pytest.raises(ValueError, match="hessian_every"):
        make_config("enas", "darts", "tiny", hessian_every=1)
    with pytest.raises(ValueError, match="controller_steps"):
        make_config("enas", "darts", "tiny", controller_steps=0)
    with pytest.raises(ValueError, match="tau_min"):
        make_config("snas", "darts", "tiny", tau_min=0.0)
