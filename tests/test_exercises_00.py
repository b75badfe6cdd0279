"""The lesson-00 checker: a correct answer passes, typical mistakes get their own feedback."""

import torch

from nascourse import exercises


def right_params(module):
    return sum(p.numel() for p in module.parameters())


def right_weights(supernet):
    return sum(p.numel() for p in supernet.weight_parameters())


def check(capsys, n_params, n_weights):
    ok = exercises.check_param_counts(n_params, n_weights)
    return ok, capsys.readouterr().out


def test_correct_answer_passes(capsys):
    ok, out = check(capsys, right_params, right_weights)
    assert ok is True
    assert "correct" in out


def test_tensor_results_are_accepted(capsys):
    ok, _ = check(capsys, lambda m: torch.tensor(right_params(m)), right_weights)
    assert ok is True


def test_unfinished_stubs_are_reported_once_each(capsys):
    def stub(_):
        raise NotImplementedError

    ok, out = check(capsys, stub, stub)
    assert ok is False
    assert out.count("not implemented yet") == 2
    assert "n_params(" in out and "n_weights(" in out


def test_counting_tensors_is_caught(capsys):
    ok, out = check(capsys, lambda m: len(list(m.parameters())), right_weights)
    assert ok is False
    assert "parameter tensors, not the numbers" in out


def test_counting_buffers_is_caught(capsys):
    ok, out = check(capsys, lambda m: sum(t.numel() for t in m.state_dict().values()), right_weights)
    assert ok is False
    assert "buffers too" in out


def test_including_alpha_is_caught(capsys):
    ok, out = check(capsys, right_params, right_params)  # parameters() of a supernet holds alpha too
    assert ok is False
    assert "includes alpha (224 numbers)" in out
    assert "1,930,618" in out  # the expected count at DARTS's size is named


def test_counting_only_alpha_is_caught(capsys):
    ok, out = check(capsys, right_params, lambda s: sum(a.numel() for a in s.arch_parameters()))
    assert ok is False
    assert "size of alpha" in out


def test_other_errors_and_wrong_types_are_feedback(capsys):
    ok, out = check(capsys, lambda m: m.no_such_attribute, lambda s: None)
    assert ok is False
    assert "raised AttributeError" in out
    assert "returned None: return the count as an int" in out


def test_checker_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    exercises.check_param_counts(right_params, right_weights)
    assert torch.equal(torch.rand(3), expected)
