"""One iteration of each search method: the weight step, the architecture step, and how they alternate.

A differentiable search alternates two updates of one supernet (DARTS, Liu et al. 2019, Algorithm 1)::

    for each training minibatch (x_tr, y_tr), with a fresh validation minibatch (x_val, y_val):
        ARCH STEP    alpha <- Adam(alpha, hypergradient of L_val)             (search_step below)
        WEIGHT STEP  w <- SGD(w, grad_w L_train(w, alpha)), gradient norm clipped to 5

The methods differ only in how the architecture step gets its gradient::

    darts1  first order, grad_alpha L_val(w, alpha)                          (Liu et al. 2019, eq. 5)
    darts2  one virtual SGD step, w' = w - xi grad_w L_train, then the chain rule (eqs. 6-8)
    idarts  T weight steps, then the implicit-function hypergradient with a K-term Neumann
            series (Zhang et al., ICML 2021, section 3.2)
    gdas    one operation sampled per edge by Gumbel-max, straight-through gradients (Dong & Yang 2019)
    rsws    no architecture step: weights trained on uniformly sampled architectures (Li & Talwalkar 2019)
    fixed   no architecture step: weights trained with alpha frozen at its initialisation, the
            "DARTS with fixed alpha" whose supernet DARTS-PT then selects from (Wang et al., ICLR 2021)
    nadarts first order, on the mean validation loss of softmax(alpha) and k perturbed neighbours
            (the course's reconstruction of NA-DARTS, Wang et al., BMVC 2021; ``flatness.py``)

``train_step`` is one iteration of any of them. A step of darts1, darts2 or idarts reads nothing
back from the device (no ``float(...)``, no NaN check): its loss, accuracy and hypergradient norm
come back as device tensors, for the loop in ``search.py`` to sum and check once per epoch.
Lesson 02 takes one step by hand.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .flatness import neighbourhood_loss
from .history import SearchConfig
from .hypergrad import hypergradient

__all__ = ["make_optimizers", "cosine_lr", "weight_step", "arch_update", "search_step", "gumbel_weights",
           "sample_path", "gdas_arch_step", "nadarts_arch_step", "train_step"]


def make_optimizers(supernet, config: SearchConfig) -> tuple[torch.optim.SGD, torch.optim.Adam]:
    """SGD on the weights w and Adam on alpha, with the config's settings (Liu et al. 2019, section 3.1.1)."""
    w_opt = torch.optim.SGD(supernet.weight_parameters(), lr=config.w_lr, momentum=config.w_momentum,
                            weight_decay=config.w_weight_decay, nesterov=config.w_nesterov)
    a_opt = torch.optim.Adam(supernet.arch_parameters(), lr=config.a_lr, betas=config.a_betas,
                             weight_decay=config.a_weight_decay)
    return w_opt, a_opt


def cosine_lr(config: SearchConfig, epoch: int) -> float:
    """The weight learning rate in ``epoch`` (0-based): cosine from w_lr down to w_lr_min, as DARTS."""
    t = epoch / config.epochs
    return config.w_lr_min + 0.5 * (config.w_lr - config.w_lr_min) * (1 + math.cos(math.pi * t))


def _loss_acc(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return F.cross_entropy(logits, y), (logits.argmax(1) == y).float().mean()


def weight_step(supernet, w_opt, x, y, config: SearchConfig, weights=None,
                forward=None) -> tuple[torch.Tensor, torch.Tensor]:
    """One SGD step on w with L_train(w, alpha); returns (loss, accuracy) as 0-dim tensors.

    ``weights`` (one tensor per alpha) replaces softmax(alpha), e.g. a sampled path. ``forward``
    computes the logits in place of ``supernet(x)``, e.g. a ``fast.FastDartsForward`` of it.
    """
    w_opt.zero_grad(set_to_none=True)
    if weights is None and forward is not None:
        logits = forward(x)
    else:
        logits = supernet(x, weights)
    loss, acc = _loss_acc(logits, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(supernet.weight_parameters(), config.grad_clip)  # ||g|| <= 5
    w_opt.step()
    return loss.detach(), acc.detach()


def arch_update(a_opt, alphas: list[torch.Tensor], grads: list[torch.Tensor]) -> torch.Tensor:
    """One Adam step on alpha with the given (hyper)gradients; returns their norm, which the history
    records, as a 0-dim float64 tensor on the device (the float32 sums of squares added in float64)."""
    a_opt.zero_grad(set_to_none=True)
    for a, g in zip(alphas, grads):
        a.grad = g
    a_opt.step()
    total = None
    for g in grads:
        square = g.pow(2).sum().double()
        total = square if total is None else total + square
    return total.sqrt()


def search_step(supernet, w_opt, a_opt, train_batch, val_batch, config: SearchConfig, lr: float,
                forward=None) -> torch.Tensor:
    """The architecture step of darts1, darts2 and idarts; returns the hypergradient's norm (a tensor).

    L_train and L_val are closures over fixed minibatches, so that the finite differences of the
    second-order methods compare the same loss at w + eps v and w - eps v. ``forward`` computes
    the logits in place of ``supernet(x)`` (same function, e.g. a ``fast.FastDartsForward``).
    """
    (x_tr, y_tr), (x_val, y_val) = train_batch, val_batch
    forward = supernet if forward is None else forward

    def train_loss():
        return F.cross_entropy(forward(x_tr), y_tr)

    def val_loss():
        return F.cross_entropy(forward(x_val), y_val)

    weights, arch = supernet.weight_parameters(), supernet.arch_parameters()
    if config.method == "darts1":
        grads = hypergradient(train_loss, val_loss, weights, arch, "first_order", lr=lr, check_finite=False)
    elif config.method == "darts2":
        # xi = the current weight lr; the virtual step includes SGD's momentum and weight decay, as DARTS's code
        buffers = [w_opt.state.get(p, {}).get("momentum_buffer") for p in weights]
        grads = hypergradient(train_loss, val_loss, weights, arch, "unrolled", lr=lr, check_finite=False,
                              momentum_buffers=buffers, momentum=config.w_momentum,
                              weight_decay=config.w_weight_decay, mixed=config.mixed)
    else:  # idarts: gamma = the current weight lr, as iDARTS's code
        grads = hypergradient(train_loss, val_loss, weights, arch, "neumann", lr=lr, K=config.K,
                              mixed=config.mixed, check_finite=False)
    return arch_update(a_opt, arch, grads)


def gumbel_weights(alpha: torch.Tensor, tau: float, generator: torch.Generator) -> torch.Tensor:
    """GDAS's straight-through sample (Dong & Yang, CVPR 2019, eqs. 3-5): alpha ``(E, |O|)`` -> one-hot rows ``(E, |O|)``.

    index = argmax((log_softmax(alpha) + G) / tau), G ~ Gumbel(0, 1); the value is one_hot(index),
    the gradient that of softmax((log_softmax(alpha) + G) / tau). Unsampled operations get a weight
    of exactly 0, so the supernet skips them.
    """
    gumbel = -torch.empty(alpha.shape).exponential_(generator=generator).log().to(alpha.device)
    probs = F.softmax((F.log_softmax(alpha, dim=-1) + gumbel) / tau, dim=-1)
    one_hot = F.one_hot(probs.argmax(-1), alpha.shape[-1]).to(probs)
    return one_hot - probs.detach() + probs


def sample_path(supernet, generator: torch.Generator) -> list[torch.Tensor]:
    """A uniformly sampled architecture as one-hot edge weights, one tensor per alpha.

    DARTS space: each node reads two distinct earlier nodes through a non-``none`` operation
    (unused edges get all-zero rows, so they are skipped). NAS-Bench-201: any operation per edge.
    """
    out = []
    for alpha in supernet.arch_parameters():
        w = torch.zeros(alpha.shape)
        if supernet.space == "nb201":
            w[torch.arange(len(w)), torch.randint(len(supernet.ops), (len(w),), generator=generator)] = 1
        else:
            choices = [o for o, name in enumerate(supernet.ops) if name != "none"]
            start, n = 0, 2
            while start < len(w):  # node with n predecessors owns rows start .. start + n - 1
                for j in torch.randperm(n, generator=generator)[:2].tolist():
                    w[start + j, choices[int(torch.randint(len(choices), (1,), generator=generator))]] = 1
                start, n = start + n, n + 1
        out.append(w.to(alpha.device))
    return out


def gdas_arch_step(supernet, a_opt, val_batch, tau: float, sampler: torch.Generator) -> torch.Tensor:
    """GDAS's architecture step: first-order gradient of L_val through a fresh Gumbel sample."""
    alphas = supernet.arch_parameters()
    x, y = val_batch
    val_loss = F.cross_entropy(supernet(x, [gumbel_weights(a, tau, sampler) for a in alphas]), y)
    return arch_update(a_opt, alphas, torch.autograd.grad(val_loss, alphas))


def nadarts_arch_step(supernet, a_opt, val_batch, config: SearchConfig, sampler: torch.Generator) -> torch.Tensor:
    """NA-DARTS's architecture step: the first-order gradient of the mean validation loss over
    p = softmax(alpha) and ``config.k`` neighbours (``flatness.neighbourhood_loss``); k = 0 is darts1's."""
    x, y = val_batch
    alphas = supernet.arch_parameters()
    loss = neighbourhood_loss(lambda weights: F.cross_entropy(supernet(x, weights), y), supernet.arch_weights(),
                              config.k, config.m, config.beta, sampler)
    return arch_update(a_opt, alphas, torch.autograd.grad(loss, alphas))


def train_step(supernet, w_opt, a_opt, batch, val_batch, config: SearchConfig, lr: float, step: int,
               tau: float | None, sampler: torch.Generator, forward=None):
    """One iteration of ``config.method``: returns (training loss, accuracy, hypergradient norm or None),
    all tensors on the device.

    ``forward`` (darts1, darts2, idarts) replaces ``supernet(x)``, e.g. ``fast.FastDartsForward(supernet)``.
    Nothing in the step reads a number back to the host (no device sync) and nothing is checked for
    NaN here: ``EpochSums`` accumulates the figures and finds the first non-finite step on the device.
    """
    x, y = batch
    norm = None
    if config.method in ("darts1", "darts2"):  # arch step first, as DARTS's Algorithm 1
        norm = search_step(supernet, w_opt, a_opt, batch, val_batch, config, lr, forward)
        loss, acc = weight_step(supernet, w_opt, x, y, config, forward=forward)
    elif config.method == "idarts":  # T weight steps, then the implicit arch step (iDARTS, Algorithm 1)
        loss, acc = weight_step(supernet, w_opt, x, y, config, forward=forward)
        if (step + 1) % config.T == 0:
            norm = search_step(supernet, w_opt, a_opt, batch, val_batch, config, lr, forward)
    elif config.method == "gdas":  # weights, then alpha, each through its own sample
        path = [gumbel_weights(a, tau, sampler).detach() for a in supernet.arch_parameters()]
        loss, acc = weight_step(supernet, w_opt, x, y, config, path)
        norm = gdas_arch_step(supernet, a_opt, val_batch, tau, sampler)
    elif config.method == "nadarts":  # as darts1, with the neighbourhood's loss in the arch step
        norm = nadarts_arch_step(supernet, a_opt, val_batch, config, sampler)
        loss, acc = weight_step(supernet, w_opt, x, y, config)
    elif config.method == "fixed":  # the whole supernet at its initial softmax(alpha); alpha is never trained
        loss, acc = weight_step(supernet, w_opt, x, y, config)
    else:  # rsws: the weights of one uniformly sampled path; alpha is never trained
        loss, acc = weight_step(supernet, w_opt, x, y, config, sample_path(supernet, sampler))
    return loss, acc, norm
