"""select.py against constructions whose answer is known: zero weights that cannot matter, an edge
that carries the only signal path, and labels that make every perturbation a loss."""

import pytest
import torch

from nascourse import select as S
from nascourse import shuffle as SH
from nascourse.ops import DARTS_OPS, NB201_OPS
from nascourse.search import evaluate
from nascourse.supernet import DartsSupernet, NB201Supernet


def _batches(n=32, size=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, size, size, generator=g)
    return [(x[:16], None), (x[16:], None)]


def _labelled_by(supernet, weights, batches):
    """Label the images with the supernet's own predictions under ``weights``: accuracy 1 there, so any
    change of the prediction is a loss of accuracy."""
    with torch.no_grad():
        out = []
        for x, _ in batches:
            supernet.train()
            out.append((x, supernet(x, weights).argmax(1)))
    return out


@pytest.fixture
def nb201():
    torch.manual_seed(0)
    return NB201Supernet(C=4, N=1)


def test_projected_weights_follow_the_decisions(nb201):
    decisions = S.Decisions(nb201)
    decisions.ops[0][2] = NB201_OPS.index("nor_conv_3x3")
    decisions.removed[0].add(4)
    w = S.projected_weights(nb201, decisions)[0]
    p = nb201.arch_weights()[0].detach()
    assert torch.equal(w[2], torch.nn.functional.one_hot(torch.tensor(NB201_OPS.index("nor_conv_3x3")), 5).float())
    assert torch.count_nonzero(w[4]) == 0
    assert torch.equal(w[[0, 1, 3, 5]], p[[0, 1, 3, 5]])
    assert decisions.undecided(0) == [0, 1, 3, 4, 5]
    again = S.Decisions.from_dict(nb201, decisions.to_dict())
    assert again.ops == decisions.ops and again.removed == decisions.removed


def test_removing_an_operation_whose_weight_is_zero_changes_nothing(nb201):
    batches = _labelled_by(nb201, None, _batches())
    weights = S.projected_weights(nb201)
    weights[0][1] = torch.tensor([0.0, 0.5, 0.0, 0.5, 0.0])  # none, conv1x1 and avg pool at 0 on edge 1
    base = evaluate(nb201, batches, weights)[1]
    acc = S.operation_strength(nb201, batches, weights, 0, 1)
    for o in (0, 2, 4):
        assert acc[o] == base
        zeroed = [w.clone() for w in weights]
        zeroed[0][1, o] = 0.0
        assert evaluate(nb201, batches, zeroed)[1] == base


def test_edge_swap_accuracy_enumerates_every_single_edge_neighbour(nb201):
    with torch.no_grad():
        nb201.alpha.normal_(0, 1)
    p = nb201.arch_weights()[0].detach()
    batches = _labelled_by(nb201, [p], _batches())
    base, (acc,) = S.edge_swap_accuracy(nb201, batches, beta=0.5)
    assert base == 1.0  # the images are labelled by the supernet at p
    assert acc.shape == (6, 5)
    assert [int(row.isnan().nonzero()) for row in acc] == p.argmax(1).tolist()  # NaN at each edge's strongest
    for e, o in ((0, int(p[0].argmin())), (5, (int(p[5].argmax()) + 1) % 5)):
        moved = p.clone()
        moved[e] = 0.5 * p[e] + 0.5 * torch.nn.functional.one_hot(torch.tensor(o), 5).float()
        assert acc[e, o] == evaluate(nb201, batches, [moved])[1]
    with pytest.raises(ValueError, match="beta must be"):
        S.edge_swap_accuracy(nb201, batches, beta=1.5)


def test_perturbation_picks_the_operation_carrying_the_only_path_and_agrees_with_magnitude(nb201):
    """Edge 0 -> 3 is the cell's only non-zero edge, and nor_conv_3x3 its only non-zero operation: removing
    it cuts the cell's output to zeros and the prediction to a constant, so it hurts most; magnitude picks
    it too."""
    conv3 = NB201_OPS.index("nor_conv_3x3")
    weights = [torch.zeros(6, 5)]
    weights[0][3, conv3] = 1.0  # NB201_EDGES[3] is 0 -> 3
    batches = _labelled_by(nb201, weights, _batches(64))
    acc = S.operation_strength(nb201, batches, weights, 0, 3)
    assert acc[conv3] < 1.0 and all(a == 1.0 for o, a in enumerate(acc) if o != conv3)
    assert S.strongest_operation(acc, NB201_OPS, exclude_none=False) == conv3
    assert S.magnitude(nb201, weights).split("+")[2].startswith("|nor_conv_3x3~0|")
    # the whole edge: removing 0 -> 3 hurts, removing an edge that is already zero does not
    edges = S.edge_strength(nb201, batches, weights, 0, [3, 4, 5])
    assert edges[0] < 1.0 and edges[1:] == [1.0, 1.0]
    assert S.weakest_edge(edges, [3, 4, 5]) == 4


def test_darts_strength_never_picks_none_and_runs_on_both_cells():
    torch.manual_seed(0)
    supernet = DartsSupernet(C=2, layers=3)
    batches = _labelled_by(supernet, None, _batches(32, size=8))
    weights = S.projected_weights(supernet)
    for cell in (0, 1):
        acc = S.operation_strength(supernet, batches, weights, cell, 0, max_batches=1)
        assert len(acc) == len(DARTS_OPS)
        assert DARTS_OPS[S.strongest_operation(acc, DARTS_OPS, exclude_none=True)] != "none"
    with pytest.raises(ValueError, match="cell must be 0..1"):
        S.operation_strength(supernet, batches, weights, 2, 0)
    with pytest.raises(ValueError, match="edge must be 0..13"):
        S.edge_strength(supernet, batches, weights, 0, [14])


# ------ the whole procedure ------------------------------------------------------------------------

from nascourse.batches import search_split  # noqa: E402
from nascourse.genotypes import as_genotype  # noqa: E402
from nascourse.nb201 import nb201_parse  # noqa: E402
from test_search import toy_dataset  # noqa: E402


def _setup(space, seed=0):
    torch.manual_seed(seed)
    supernet = NB201Supernet(C=4, N=1) if space == "nb201" else DartsSupernet(C=2, layers=3)
    train, val = search_split(toy_dataset(), 32, 8, None, "cpu", seed)
    return supernet, train, val


def test_pt_on_nb201_decides_every_edge_once_and_returns_a_valid_cell():
    supernet, train, val = _setup("nb201")
    config = S.make_pt_config("nb201", "tiny")
    result = S.perturbation_select(supernet, config, train, val, seed=0, progress=False)
    assert sorted(d["edge"] for d in result.decisions) == list(range(6))
    assert all(len(d["accuracy_without"]) == len(NB201_OPS) for d in result.decisions)
    chosen = {d["edge"]: d["choice"] for d in result.decisions}
    assert nb201_parse(result.genotype) == [chosen[e] for e in range(6)]


def test_pt_on_darts_keeps_two_distinct_inputs_per_node_and_never_none():
    supernet, train, val = _setup("darts")
    config = S.make_pt_config("darts", "tiny", proj_intv=0, eval_batches=1)
    result = S.perturbation_select(supernet, config, train, val, seed=1, progress=False)
    ops = [d for d in result.decisions if d["kind"] == "operation"]
    edges = [d for d in result.decisions if d["kind"] == "edge"]
    assert len(ops) == 2 * 14 and len(edges) == 2 * 3
    assert sorted(d["node"] for d in edges if d["cell"] == 0) == [3, 4, 5]
    genotype = as_genotype(result.genotype)
    for cell in (genotype.normal, genotype.reduce):
        assert all(op != "none" for op, _ in cell)
        assert all(cell[2 * i][1] != cell[2 * i + 1][1] for i in range(4))
    kept = {(d["cell"], d["node"]): sorted(d["kept"]) for d in edges}
    for i in range(1, 4):  # nodes 3..5: their two inputs are the edges the topology step kept
        start = sum(2 + j for j in range(i))
        assert sorted(start + j for _, j in genotype.normal[2 * i:2 * i + 2]) == kept[(0, i + 2)]


def test_interrupted_selection_resumed_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    config = S.make_pt_config("nb201", "tiny")
    supernet, train, val = _setup("nb201")
    straight = S.perturbation_select(supernet, config, train, val, seed=3, progress=False)
    real, calls = S._decide, {"n": 0}

    def stop_at_the_fourth(*args, **kwargs):
        if calls["n"] == 3:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(*args, **kwargs)

    supernet2, train2, val2 = _setup("nb201")
    out = str(tmp_path / "pt")
    monkeypatch.setattr(S, "_decide", stop_at_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        S.perturbation_select(supernet2, config, train2, val2, seed=3, out=out, progress=False)
    monkeypatch.setattr(S, "_decide", real)
    supernet3, train3, val3 = _setup("nb201", seed=9)  # other weights: all must come from the checkpoint
    resumed = S.perturbation_select(supernet3, config, train3, val3, seed=3, out=out, resume=True, progress=False)
    assert resumed.decisions == straight.decisions and resumed.genotype == straight.genotype
    for p, q in zip(supernet.state_dict().values(), supernet3.state_dict().values()):
        assert torch.equal(p, q)
    with pytest.raises(ValueError, match="other settings"):
        S.perturbation_select(supernet3, S.make_pt_config("nb201", "tiny", proj_intv=2), train3, val3, seed=3,
                              out=out, resume=True, progress=False)


def test_pt_settings_are_darts_pts_in_both_spaces():
    """darts-pt's nasbench201/train_search.py and sota/cnn both default to weight decay 3e-4, momentum 0.9,
    clip 5; the projection tunes at lr 0.025 / 10 with an interval of 5 epochs."""
    for space in ("nb201", "darts"):
        c = S.make_pt_config(space)
        assert (c.w_weight_decay, c.w_momentum, c.grad_clip, c.w_lr, c.proj_intv) == (3e-4, 0.9, 5.0, 0.0025, 5)
        assert S.make_pt_config(space, "tiny").w_weight_decay == 3e-4
    assert S.make_pt_config("nb201", "tiny", w_weight_decay=5e-4).w_weight_decay == 5e-4  # the saved runs' value
    with pytest.raises(ValueError, match="space must be 'darts' or 'nb201'"):
        S.make_pt_config("nb-201")


def test_bad_selection_inputs_get_clear_errors():
    supernet, train, val = _setup("nb201")
    with pytest.raises(ValueError, match="proj_intv must be"):
        S.PTConfig(proj_intv=-1)
    with pytest.raises(TypeError, match="PTConfig"):
        S.perturbation_select(supernet, {"proj_intv": 1}, train, val)
    with pytest.raises(TypeError, match="needs a supernet"):
        S.perturbation_select(torch.nn.Linear(2, 2), S.PTConfig(), train, val)


# ------ the command line ---------------------------------------------------------------------------

@pytest.fixture
def toy_cifar(monkeypatch):
    import dataclasses

    import nascourse.data
    data = toy_dataset(n=512, size=16, classes=10)  # the tiny preset searches on 512 images
    data = dataclasses.replace(data, test_images=data.train_images[:64], test_labels=data.train_labels[:64])
    monkeypatch.setattr(nascourse.data, "load_dataset", lambda name="cifar10", **kw: data)


def test_cli_selects_from_a_search_by_magnitude_and_by_perturbation(toy_cifar, tmp_path, capsys):
    import json

    from nascourse.cli import main
    run = tmp_path / "search"
    assert main(["search", "--space", "nb201", "--preset", "tiny", "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    searched = json.loads((run / "result.json").read_text())["history"][-1]["genotype"]
    capsys.readouterr()
    assert main(["select", "--method", "magnitude", "--from", str(run), "--quiet"]) == 0
    magnitude = json.loads((run / "select-magnitude-seed0" / "result.json").read_text())
    assert nb201_parse(magnitude["genotype"]) == nb201_parse(searched)  # the search's own derivation
    assert "NAS-Bench-201's CIFAR-10 test accuracy, this selection" in capsys.readouterr().out
    out = tmp_path / "pt"
    assert main(["select", "--from", str(run), "--preset", "tiny", "--out", str(out), "--quiet"]) == 0
    pt = json.loads((out / "result.json").read_text())
    assert len(pt["decisions"]) == 6 and len(nb201_parse(pt["genotype"])) == 6
    assert (out / "cell.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["select", "--from", str(run), "--preset", "tiny", "--out", str(out), "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err  # a finished selection is not replaced unasked


def test_cli_select_names_what_is_missing(tmp_path, capsys):
    from nascourse.cli import main
    assert main(["select", "--from", str(tmp_path), "--quiet"]) == 2
    assert "holds no supernet.pt" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["select", "--method", "random", "--from", str(tmp_path)])
    assert "invalid choice: 'random'" in capsys.readouterr().err


# ------ edge shuffle -------------------------------------------------------------------------------

def test_swapping_edges_keeps_shapes_and_strides_and_is_undone_by_swapping_back():
    import random

    torch.manual_seed(0)
    supernet = DartsSupernet(C=2, layers=3)  # cells: normal, reduction, normal... with stride-2 input edges
    x = torch.randn(4, 3, 8, 8)
    supernet.eval()
    before = supernet(x)
    swaps = SH.swap_edges(supernet, random.Random(1))
    assert len(swaps) == len(supernet.cells)
    for k, a, b in swaps:
        assert supernet.cells[k].edges[a].stride == supernet.cells[k].edges[b].stride
    assert supernet(x).shape == before.shape
    for k, a, b in swaps:
        edges = supernet.cells[k].edges
        edges[a], edges[b] = edges[b], edges[a]
    assert torch.equal(supernet(x), before)


def test_shuffle_robustness_of_interchangeable_edges_is_exact_and_leaves_the_model_alone():
    """Every edge of a cell holds the same operations with the same weights: any swap is the identity."""
    torch.manual_seed(0)
    supernet = NB201Supernet(C=4, N=1)
    for cell in supernet.cells:
        if hasattr(cell, "edges"):
            for edge in cell.edges[1:]:
                edge.load_state_dict(cell.edges[0].state_dict())
    batches = _labelled_by(supernet, None, _batches(32))
    state = {k: v.clone() for k, v in supernet.state_dict().items()}
    out = SH.shuffle_robustness(supernet, batches, draws=3, seed=2)
    assert out["base"] == 1.0 and out["shuffled"] == [1.0, 1.0, 1.0] and out["std"] == 0.0
    assert len(out["swaps"]) == 3 and all(len(s) == 3 for s in out["swaps"])  # one swap per search cell
    assert all(torch.equal(v, supernet.state_dict()[k]) for k, v in state.items())


def test_shuffle_robustness_of_a_plain_cnn_swaps_layers():
    from nascourse.network import PlainCNN
    torch.manual_seed(0)
    model = PlainCNN(C=4, layers=4)
    batches = [(x, torch.zeros(len(x), dtype=torch.long)) for x, _ in _batches(32)]
    out = SH.shuffle_robustness(model, batches, draws=4, seed=0)
    assert len(out["shuffled"]) == 4 and all(0 <= a <= 1 for a in out["shuffled"])
    assert all(len(s) == 1 and 0 <= s[0][0] < s[0][1] < 4 for s in out["swaps"])
    with pytest.raises(ValueError, match="draws must be"):
        SH.shuffle_robustness(model, batches, draws=0)
    with pytest.raises(ValueError, match="no batches"):
        SH.shuffle_robustness(model, [])
    with pytest.raises(TypeError, match="`layers` list"):
        SH.shuffle_robustness(torch.nn.Linear(2, 2), batches)


def test_fit_plain_lowers_the_loss_of_a_learnable_task_and_refuses_no_epochs():
    from nascourse.network import PlainCNN
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 3, 8, 8, generator=g)
    x[32:] += 1.0  # class 1 is brighter: a plain CNN with global pooling can learn it
    y = torch.cat([torch.zeros(32), torch.ones(32)]).long()
    perm = torch.randperm(64, generator=g)
    loader = [(x[perm[i:i + 16]], y[perm[i:i + 16]]) for i in range(0, 64, 16)]
    model = PlainCNN(C=4, layers=2, num_classes=2)
    losses = SH.fit_plain(model, loader, epochs=8, lr=0.05)
    assert len(losses) == 8 and losses[-1] < 0.7 * losses[0]  # 0.73 -> 0.43
    with pytest.raises(ValueError, match="epochs must be"):
        SH.fit_plain(model, loader, epochs=0)


def test_residual_control_with_silent_blocks_is_unchanged_by_any_swap():
    """With every block's BN scale and shift at 0 each block adds nothing: h = ReLU(h + 0) = h (h >= 0 after
    the stem's ReLU), so swapping two blocks cannot change a prediction; the plain CNN with the same silent
    layers outputs zeros after its first layer instead."""
    torch.manual_seed(0)
    model = SH.ResidualCNN(C=4, layers=4)
    for layer in model.layers:
        torch.nn.init.zeros_(layer[1].weight)
        torch.nn.init.zeros_(layer[1].bias)
    batches = [(x, torch.zeros(len(x), dtype=torch.long)) for x, _ in _batches(32)]
    out = SH.shuffle_robustness(model, batches, draws=3, seed=0)
    assert out["shuffled"] == [out["base"]] * 3 and out["std"] == 0.0
    x = batches[0][0]
    logits, aux = model(x)
    assert logits.shape == (16, 10) and aux is None
    logits.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_residual_control_trains_and_its_shuffle_sd_is_the_sample_sd():
    import statistics
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(64, 3, 8, 8, generator=g)
    x[32:] += 1.0
    y = torch.cat([torch.zeros(32), torch.ones(32)]).long()
    loader = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)]
    model = SH.ResidualCNN(C=4, layers=3, num_classes=2)
    losses = SH.fit_plain(model, loader, epochs=6, lr=0.05)
    assert losses[-1] < losses[0]
    out = SH.shuffle_robustness(model, loader, draws=4, seed=1)
    assert abs(out["std"] - statistics.stdev(out["shuffled"])) < 1e-12  # ddof = 1
    assert all(len(s) == 1 and 0 <= s[0][0] < s[0][1] < 3 for s in out["swaps"])
    with pytest.raises(ValueError, match="layers must be a positive int"):
        SH.ResidualCNN(layers=0)
