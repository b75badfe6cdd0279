"""Lesson 02's checkers: a correct answer passes, each typical mistake gets its own message."""

import pytest
import torch
import torch.nn.functional as F

from nascourse import exercises

# ---- exercise 1: the mixed operation ------------------------------------------------------------

def mixed_correct(x, alpha, ops):
    p = torch.softmax(alpha, dim=0)
    return sum(p[o] * op(x) for o, op in enumerate(ops))


def mixed_renormalised(x, alpha, ops):  # drops `none` (index 0 in both spaces) from the softmax
    p = torch.softmax(alpha[1:], dim=0)
    return sum(p[o] * op(x) for o, op in enumerate(ops[1:]))


def mixed_raw_alpha(x, alpha, ops):
    return sum(alpha[o] * op(x) for o, op in enumerate(ops))


def mixed_plain_sum(x, alpha, ops):
    return sum(op(x) for op in ops)


def mixed_mean(x, alpha, ops):
    return sum(op(x) for op in ops) / len(ops)


def mixed_stacked(x, alpha, ops):
    p = torch.softmax(alpha, dim=0)
    return torch.stack([p[o] * op(x) for o, op in enumerate(ops)], dim=1)  # (B, |O|, C, H, W)


def mixed_stub(x, alpha, ops):
    raise NotImplementedError  # your code here


def mixed_off(x, alpha, ops):
    return 1.01 * mixed_correct(x, alpha, ops)


def mixed_crashes(x, alpha, ops):
    return x @ alpha


def test_mixed_op_correct_passes(capsys):
    assert exercises.check_mixed_op(mixed_correct) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (mixed_renormalised, "ignores the `none` weight"),
    (mixed_raw_alpha, "by alpha itself"),
    (mixed_plain_sum, "without weighting"),
    (mixed_mean, "equal weights"),
    (mixed_stacked, "output shape"),
    (mixed_stub, "not implemented yet"),
    (mixed_off, "differs from MixedOp"),
    (mixed_crashes, "raised RuntimeError"),
])
def test_mixed_op_mistakes_are_named(fn, words, capsys):
    assert exercises.check_mixed_op(fn) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out, out


def test_mixed_op_none_mistake_is_caught_on_a_darts_edge(capsys):
    exercises.check_mixed_op(mixed_renormalised)
    assert "DARTS ops, stride 1" in capsys.readouterr().out


# ---- exercise 2: the first-order architecture gradient --------------------------------------------

def grad_correct(supernet, train_batch, val_batch):
    x, y = val_batch
    loss = F.cross_entropy(supernet(x), y)
    return list(torch.autograd.grad(loss, supernet.arch_parameters()))


def grad_with_backward(supernet, train_batch, val_batch):  # .backward() then .grad is fine too
    x, y = val_batch
    F.cross_entropy(supernet(x), y).backward()
    return [a.grad.clone() for a in supernet.arch_parameters()]


def grad_train_batch(supernet, train_batch, val_batch):
    return grad_correct(supernet, val_batch, train_batch)


def grad_wrt_softmax(supernet, train_batch, val_batch):
    x, y = val_batch
    p = [w.detach().requires_grad_() for w in supernet.arch_weights()]
    return list(torch.autograd.grad(F.cross_entropy(supernet(x, p), y), p))


def grad_negated(supernet, train_batch, val_batch):
    return [-g for g in grad_correct(supernet, train_batch, val_batch)]


def grad_summed(supernet, train_batch, val_batch):
    x, y = val_batch
    loss = F.cross_entropy(supernet(x), y, reduction="sum")
    return list(torch.autograd.grad(loss, supernet.arch_parameters()))


def grad_scaled(supernet, train_batch, val_batch):
    return [3e-4 * g for g in grad_correct(supernet, train_batch, val_batch)]


def grad_steps(supernet, train_batch, val_batch):  # takes the step itself
    grads = grad_correct(supernet, train_batch, val_batch)
    with torch.no_grad():
        for a, g in zip(supernet.arch_parameters(), grads):
            a -= 0.1 * g
    return grads


def grad_all_params(supernet, train_batch, val_batch):
    x, y = val_batch
    return list(torch.autograd.grad(F.cross_entropy(supernet(x), y), list(supernet.parameters())))


def grad_stub(supernet, train_batch, val_batch):
    raise NotImplementedError  # your code here


def grad_noise(supernet, train_batch, val_batch):
    return [g + 0.1 * torch.randn_like(g) for g in grad_correct(supernet, train_batch, val_batch)]


def test_arch_gradient_correct_passes(capsys):
    assert exercises.check_arch_gradient(grad_correct) is True
    assert exercises.check_arch_gradient(grad_with_backward) is True
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("fn, words", [
    (grad_train_batch, "you used the training batch"),
    (grad_wrt_softmax, "p = softmax(alpha)"),
    (grad_negated, "wrong sign"),
    (grad_summed, "batch-size times too large"),
    (grad_scaled, "points the right way"),
    (grad_steps, "changed the supernet's weights or alpha"),
    (grad_all_params, "expected a list of 1 tensor(s)"),
    (grad_stub, "not implemented yet"),
    (grad_noise, "differs from grad_alpha"),
])
def test_arch_gradient_mistakes_are_named(fn, words, capsys):
    assert exercises.check_arch_gradient(fn) is False
    out = capsys.readouterr().out
    assert "not yet" in out and words in out, out
