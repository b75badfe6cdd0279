"""Checkers for the exercises of setup and tour (lesson 00)."""

from __future__ import annotations

from .common import _report, _call


def _count_cases(fn, cases, problems, fn_name, describe) -> None:
    """Run ``fn`` on each (label, module, expected) case; ``describe`` explains a wrong count.

    Stops at the first case where ``fn`` raises, so an unfinished function is reported once; a
    mistake already explained is not explained again.
    """
    explained = set()
    for label, module, want in cases:
        before = len(problems)
        got = _call(fn, module, problems=problems, label=f"{fn_name}({label})")
        if len(problems) > before:
            return
        try:
            got_int = int(got)
            if got_int != got:
                raise ValueError
        except (TypeError, ValueError, RuntimeError):
            problems.append(f"{fn_name}({label}) returned {got!r}: return the count as an int")
            return
        if got_int != want:
            why = describe(module, got_int)
            problems.append(f"{fn_name}({label}) returned {got_int:,}, expected {want:,}: "
                            + ("the same mistake" if why in explained else why))
            explained.add(why)


def check_param_counts(n_params, n_weights) -> bool:
    """Lesson 00, exercise 2: ``n_params(module)``, the number of learnable numbers of a module,
    and ``n_weights(supernet)``, the number of network weights w of a supernet (all but alpha)."""
    import torch
    from torch import nn

    from ..ops import DARTS_OPS, make_op
    from ..supernet import DartsSupernet, NB201Supernet

    def numel(tensors) -> int:
        return sum(t.numel() for t in tensors)

    def why_params(m, got) -> str:
        if got == len(list(m.parameters())):
            return "you counted parameter tensors, not the numbers in them: add up p.numel() for each p"
        if got == numel(m.state_dict().values()):
            return ("you counted buffers too (BatchNorm's running mean, variance and step counter): they are "
                    "statistics, not learnable; count module.parameters(), not state_dict()")
        return "count every number in module.parameters() once: sum(p.numel() for p in module.parameters())"

    def why_weights(s, got) -> str:
        n_alpha = numel(s.arch_parameters())
        if got == numel(s.parameters()):
            return (f"your count includes alpha ({n_alpha:,} numbers): supernet.parameters() holds w and alpha; "
                    "w alone is supernet.weight_parameters()")
        if got == n_alpha:
            return "that is the size of alpha (arch_parameters()); w is supernet.weight_parameters()"
        if got in (len(s.weight_parameters()), len(list(s.parameters()))):
            return "you counted parameter tensors, not the numbers in them: add up p.numel() for each p"
        if got == numel(s.state_dict().values()) or got == numel(s.state_dict().values()) - n_alpha:
            return "you counted buffers too (BatchNorm's running statistics): they are not learnable"
        return "add up p.numel() over supernet.weight_parameters()"

    problems: list[str] = []
    with torch.random.fork_rng(devices=[]):  # building modules draws random weights: leave the caller's RNG alone
        torch.manual_seed(0)
        modules = [("nn.Linear(3, 4)", nn.Linear(3, 4), 16), ("nn.BatchNorm2d(8)", nn.BatchNorm2d(8), 16)]
        modules += [(f"make_op({o!r}, 16, affine=False)", m, numel(m.parameters()))
                    for o in DARTS_OPS for m in [make_op(o, 16, 1, affine=False)]]
        _count_cases(n_params, modules, problems, "n_params", why_params)
        supernets = [("DartsSupernet(C=4, layers=5)", DartsSupernet(C=4, layers=5)),
                     ("NB201Supernet(C=8, N=1)", NB201Supernet(C=8, N=1)),
                     ("DartsSupernet()", DartsSupernet())]
        _count_cases(n_weights, [(label, s, numel(s.weight_parameters())) for label, s in supernets],
                     problems, "n_weights", why_weights)
    return _report("Counting parameters", problems)
