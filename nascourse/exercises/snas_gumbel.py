"""The checker of the instructors' guide's worked example: SNAS's relaxed Gumbel-softmax sample.

Not a lesson's exercise: ``docs/instructors.md`` builds a new graded assignment from it, to show
how a checker is written against the library. The oracle is ``nascourse.steps.relaxed_weights``
(Xie et al., ICLR 2019, eq. 3): ``Z = softmax((log_softmax(alpha) + G) / tau)`` over each edge's
operations, with Gumbel(0, 1) noise ``G = -log(E)``, ``E ~ Exponential(1)`` drawn on the CPU from the
given generator. An answer that draws the noise exactly so is compared with the oracle number for
number; one that draws correct noise another way (``-log(-log(U))``) is compared by distribution:
how often each operation wins the argmax (the Gumbel-max trick: ``softmax(alpha)``) and how sharp
the samples are at three temperatures. Each typical mistake gets its own message.
"""

from __future__ import annotations

from .common import _call, _report

__all__ = ["check_relaxed_sample"]

_TITLE = "SNAS's relaxed sample"
_ROW = [1.5, 0.5, 0.0, -0.5, -1.5]  # one edge's alpha over five operations
_N = 4000  # samples (rows) for the distribution checks: the standard error of a frequency is <= 0.008


def _generator(seed: int):
    import torch

    return torch.Generator().manual_seed(seed)


def _sharpness(z) -> float:
    """Mean over rows of the largest weight: 1 for one-hot rows, 1/|O| for uniform ones."""
    return float(z.max(-1).values.mean())


def check_relaxed_sample(fn) -> bool:
    """Check ``fn(alpha, tau, generator)``, SNAS's relaxed sample of ``alpha`` ``(E, |O|)``, against
    ``steps.relaxed_weights``; print a verdict and return True when it is right."""
    import torch
    import torch.nn.functional as F

    from nascourse.steps import relaxed_weights

    problems: list[str] = []
    alpha = torch.randn(6, 5, generator=_generator(0))
    z = _call(fn, alpha.clone(), 1.0, _generator(1), problems=problems, label="fn(alpha (6, 5), tau=1)")
    if z is None:
        return _report(_TITLE, problems)
    if not isinstance(z, torch.Tensor) or z.shape != alpha.shape:
        shape = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        problems.append(f"return a tensor shaped like alpha, (6, 5) here (one row of weights per edge); got {shape}")
        return _report(_TITLE, problems)
    z = z.detach().float()
    if (z < 0).any() or not torch.allclose(z.sum(-1), torch.ones(6), atol=1e-4):
        if torch.allclose(z.sum(0), torch.ones(5), atol=1e-4):
            problems.append("your softmax runs over the wrong axis: each edge's row must sum to 1, so take it "
                            "over the operations, dim=-1, not over the edges (dim=0)")
        else:
            problems.append("your rows are not on the simplex (non-negative, summing to 1): end with a softmax "
                            "over each row, softmax((log_softmax(alpha) + G) / tau, dim=-1)")
        return _report(_TITLE, problems)


    def sample(a, tau: float, seed: int):
        return torch.as_tensor(fn(a.clone(), tau, _generator(seed))).detach().float()

    if all(torch.allclose(sample(alpha, tau, s), relaxed_weights(alpha, tau, _generator(s)), atol=1e-5)
           for s, tau in ((2, 0.5), (3, 1.0), (4, 5.0))):
        return _report(_TITLE, problems)

    again, other = sample(alpha, 1.0, 1), sample(alpha, 1.0, 2)
    if torch.allclose(z, other):
        problems.append("every call returns the same weights: add Gumbel(0, 1) noise, G = -log(E) with "
                        "E = torch.empty(alpha.shape).exponential_(generator=generator), before the softmax")
        return _report(_TITLE, problems)
    if not torch.allclose(z, again):
        problems.append("two calls with generators of the same seed give different samples: draw the noise "
                        "from the `generator` argument, so that a seed repeats a search")
        return _report(_TITLE, problems)
    if torch.allclose(sample(alpha, 0.2, 5), sample(alpha, 5.0, 5)):
        problems.append("your sample does not depend on tau: divide (log_softmax(alpha) + G) by the "
                        "temperature tau before the softmax")
        return _report(_TITLE, problems)

    tall = torch.tensor(_ROW).repeat(_N, 1)  # _N independent samples of one edge
    wins = torch.bincount(sample(tall, 1.0, 6).argmax(-1), minlength=5).float() / _N
    target = F.softmax(tall[0], -1)
    if (wins - target).abs().max() > 0.04:
        print_wins = ", ".join(f"{w:.2f}" for w in wins.tolist())
        print_target = ", ".join(f"{p:.2f}" for p in target.tolist())
        problems.append(f"each operation should win the argmax with probability softmax(alpha) = [{print_target}] "
                        f"(the Gumbel-max trick), yours wins [{print_wins}]: the noise is not Gumbel(0, 1) added to "
                        "the log-probabilities. G = -log(-log(U)) with U uniform on (0, 1), or -log(E) with E "
                        "exponential; add it to log_softmax(alpha) (or alpha), not to softmax(alpha)")
        return _report(_TITLE, problems)
    for tau in (0.2, 1.0, 5.0):
        mine = _sharpness(sample(tall, tau, 7))
        ref = _sharpness(relaxed_weights(tall, tau, _generator(7)))
        if abs(mine - ref) > 0.03:
            hint = ("the lower tau, the sharper the sample should be: divide by tau, do not multiply"
                    if _sharpness(sample(tall, 5.0, 8)) > _sharpness(sample(tall, 0.2, 8))
                    else "divide (log_softmax(alpha) + G) by tau, once, before the softmax")
            problems.append(f"at tau = {tau:g} your samples' largest weight is {mine:.2f} on average, the library's "
                            f"{ref:.2f}: {hint}")
            return _report(_TITLE, problems)
    print("(Your noise is drawn differently from steps.relaxed_weights, so the numbers differ, but the "
          "distribution of the samples matches.)")
    return _report(_TITLE, problems)
