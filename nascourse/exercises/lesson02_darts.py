"""Checkers for the exercises of the supernet and DARTS (lesson 02)."""

from __future__ import annotations

from .common import _report, _call


def _close(a, b, tol: float = 1e-5) -> bool:
    """Same shape and equal up to float32 rounding (relative to the larger of the two)."""
    import torch

    if not isinstance(a, torch.Tensor) or a.shape != b.shape:
        return False
    return bool((a.detach() - b).abs().max() <= tol * (1 + b.abs().max()))


def check_mixed_op(mixed) -> bool:
    """Lesson 02, exercise 1: ``mixed(x, alpha, ops)`` = sum_o softmax(alpha)_o * ops[o](x).

    Compared with ``supernet.MixedOp`` (DARTS's 8 operations at stride 1 and 2, NAS-Bench-201's 5)
    on random inputs and logits; a wrong answer is matched against the usual mistakes (the
    ``none`` weight renormalised away, alpha used without softmax, a plain or uniform sum).
    """
    import torch
    import torch.nn.functional as F

    from ..ops import DARTS_OPS, NB201_OPS
    from ..supernet import MixedOp

    title = "Exercise 1 (mixed operation)"
    problems: list[str] = []
    g = torch.Generator().manual_seed(0)
    cases = [("DARTS ops, stride 1", DARTS_OPS, 1), ("DARTS ops, stride 2", DARTS_OPS, 2),
             ("NAS-Bench-201 ops", NB201_OPS, 1)]
    for label, names, stride in cases:
        torch.manual_seed(1)  # the operations' initial weights
        edge = MixedOp(4, stride, names)
        x = torch.randn(2, 4, 6, 6, generator=g)  # (B, C, H, W)
        alpha = torch.randn(len(names), generator=g)
        alpha[names.index("none")] += 1.0  # a `none` weight large enough to matter
        ops = list(edge.ops)
        with torch.no_grad():
            outs = [op(x) for op in ops]  # each (B, C, H', W'); BN uses batch statistics
            p = F.softmax(alpha, dim=0)
            expected = edge(x, p)
            keep = [o for o, n in enumerate(names) if n != "none"]
            renorm = F.softmax(alpha[keep], dim=0)
            mistakes = [
                (sum(renorm[k] * outs[o] for k, o in enumerate(keep)),
                 ("your mixed operation ignores the `none` weight: it renormalises softmax over the other "
                  "operations. `none` takes part in the softmax (its output is 0, but its weight still "
                  "shrinks the others): p = softmax(alpha) over ALL operations")),
                (sum(alpha[o] * outs[o] for o in range(len(ops))),
                 ("you weight the operations by alpha itself; the mixing weights are p = softmax(alpha) "
                  "(positive, summing to 1): use torch.softmax(alpha, dim=0)")),
                (sum(outs),
                 ("you add the operations' outputs without weighting them: multiply each o(x) by its "
                  "weight softmax(alpha)_o")),
                (sum(outs) / len(outs),
                 "you average the operations with equal weights 1/|O|: weight each by softmax(alpha)_o"),
            ]
        got = _call(mixed, x, alpha.clone(), ops, problems=problems, label=label)
        if got is None:
            if problems:
                break  # not implemented or raised: one message is enough
            problems.append(f"{label}: your function returned None; return the mixed output tensor")
            break
        if not isinstance(got, torch.Tensor):
            problems.append(f"{label}: expected a tensor, got {type(got).__name__}")
            break
        if got.shape != expected.shape:
            problems.append(f"{label}: output shape {tuple(got.shape)}, expected {tuple(expected.shape)} "
                            f"(every operation maps (B, C, H, W) to the same shape; sum them, do not stack "
                            f"or concatenate)")
            break
        if _close(got, expected):
            continue
        for wrong, why in mistakes:
            if _close(got, wrong):
                problems.append(f"{label}: {why}")
                break
        else:
            err = float((got.detach() - expected).abs().max())
            problems.append(f"{label}: differs from MixedOp by up to {err:.3g}; compute "
                            f"sum over o of softmax(alpha)[o] * ops[o](x)")
        break  # the first wrong case says enough
    return _report(title, problems)


def check_arch_gradient(arch_gradient) -> bool:
    """Lesson 02, exercise 2: ``arch_gradient(supernet, train_batch, val_batch)`` -> grad_alpha L_val.

    The first-order DARTS gradient, one tensor per alpha, compared with
    ``hypergrad.hypergradient(..., "first_order")`` on a small NAS-Bench-201 and a small DARTS
    supernet with random batches; a wrong answer is matched against the usual mistakes (training
    batch, gradient with respect to softmax(alpha), a sum instead of a mean, a flipped sign).
    """
    import torch
    import torch.nn.functional as F

    from ..hypergrad import hypergradient
    from ..supernet import DartsSupernet, NB201Supernet

    title = "Exercise 2 (first-order architecture gradient)"
    problems: list[str] = []
    g = torch.Generator().manual_seed(0)
    cases = [("NAS-Bench-201 supernet", lambda: NB201Supernet(C=4, N=1)),
             ("DARTS supernet", lambda: DartsSupernet(C=4, layers=3))]
    for label, build in cases:
        torch.manual_seed(2)
        supernet = build()
        with torch.no_grad():  # alpha away from its near-uniform start, so every mistake shows
            for a in supernet.arch_parameters():
                a.normal_(0, 0.5, generator=g)
        B = 8
        train_batch = (torch.randn(B, 3, 8, 8, generator=g), torch.randint(0, 10, (B,), generator=g))
        val_batch = (torch.randn(B, 3, 8, 8, generator=g), torch.randint(0, 10, (B,), generator=g))
        arch, weights = supernet.arch_parameters(), supernet.weight_parameters()

        def loss_on(batch, mixing=None, net=supernet):
            x, y = batch
            return F.cross_entropy(net(x, mixing), y)  # the mean over the batch

        def on_train_batch(b=train_batch):
            return loss_on(b)

        def on_val_batch(b=val_batch):
            return loss_on(b)

        expected = hypergradient(on_train_batch, on_val_batch, weights, arch, "first_order", lr=None)
        on_train = hypergradient(on_train_batch, on_train_batch, weights, arch, "first_order", lr=None)
        p = [w.detach().requires_grad_() for w in supernet.arch_weights()]
        wrt_p = [t.detach() for t in torch.autograd.grad(loss_on(val_batch, p), p)]
        before = [w.detach().clone() for w in weights] + [a.detach().clone() for a in arch]
        for t in weights + arch:
            t.grad = None
        got = _call(arch_gradient, supernet, train_batch, val_batch, problems=problems, label=label)
        if got is None:
            if not problems:
                problems.append(f"{label}: your function returned None; return a list with one gradient "
                                f"tensor per tensor of supernet.arch_parameters()")
            break
        if any(not torch.equal(b, t.detach()) for b, t in zip(before, weights + arch)):
            problems.append(f"{label}: your function changed the supernet's weights or alpha; compute the "
                            f"gradient only (torch.autograd.grad), the optimiser takes the step")
            break
        if isinstance(got, torch.Tensor):
            got = [got]
        shapes = [tuple(e.shape) for e in expected]
        if not isinstance(got, (list, tuple)) or len(got) != len(expected) \
                or any(not isinstance(t, torch.Tensor) or tuple(t.shape) != s for t, s in zip(got, shapes)):
            desc = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in got] \
                if isinstance(got, (list, tuple)) else type(got).__name__
            problems.append(f"{label}: expected a list of {len(expected)} tensor(s) shaped {shapes} (one per "
                            f"alpha in supernet.arch_parameters()), got {desc}")
            break
        got = [t.detach() for t in got]
        if all(_close(a, b) for a, b in zip(got, expected)):
            continue
        flat_got, flat_exp = torch.cat([t.flatten() for t in got]), torch.cat([t.flatten() for t in expected])
        mistakes = [
            (on_train, ("you used the training batch: the architecture step minimises the VALIDATION loss "
                        "L_val(w, alpha), on val_batch (the training batch is for the weight step)")),
            (wrt_p, ("this is the gradient with respect to the mixing weights p = softmax(alpha); "
                     "differentiate with respect to alpha itself (supernet.arch_parameters()), so that "
                     "autograd goes through the softmax")),
            ([-e for e in expected], ("your gradient has the wrong sign: return grad_alpha L_val itself; "
                                      "the optimiser subtracts it")),
            ([e * B for e in expected], ("your gradient is batch-size times too large: use the mean "
                                         "cross-entropy over the batch, F.cross_entropy(logits, y)")),
        ]
        for wrong, why in mistakes:
            if all(_close(a, b, 1e-4) for a, b in zip(got, wrong)):
                problems.append(f"{label}: {why}")
                break
        else:
            scale = float(flat_got @ flat_exp / (flat_exp @ flat_exp))
            if _close(flat_got, scale * flat_exp, 1e-4):
                problems.append(f"{label}: your gradient points the right way but is {scale:.3g} times the "
                                f"correct one; return the plain gradient (no learning rate: Adam applies it)")
            else:
                err = float((flat_got - flat_exp).abs().max())
                problems.append(f"{label}: differs from grad_alpha L_val(w, alpha) by up to {err:.3g}")
        break
    return _report(title, problems)
