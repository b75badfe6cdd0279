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
    snas    not bilevel: w and alpha descend the same training loss through a relaxed Gumbel-softmax
            sample of every edge (Xie et al., ICLR 2019)
    enas    the weights trained on one cell per minibatch sampled by an LSTM controller, which
            REINFORCE trains on the cells' validation accuracy (Pham et al., ICML 2018; ``controller.py``)

``train_step`` is one iteration of any of them. A step of darts1, darts2 or idarts reads nothing
back from the device (no ``float(...)``, no NaN check): its loss, accuracy and hypergradient norm
come back as device tensors, for the loop in ``search.py`` to sum and check once per epoch.
Lesson 02 takes one step by hand.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .controller import cell_weights
from .flatness import neighbourhood_loss
from .history import SearchConfig
from .hypergrad import hypergradient

__all__ = ["make_optimizers", "cosine_lr", "temperature", "weight_step", "arch_update", "search_step",
           "relaxed_weights", "gumbel_weights", "sample_path", "gdas_arch_step", "nadarts_arch_step", "snas_step",
           "enas_sample_path", "enas_controller_step", "train_step"]


def make_optimizers(supernet, config: SearchConfig) -> tuple[torch.optim.SGD, torch.optim.Adam]:
    """SGD on the weights w and Adam on alpha, with the config's settings (Liu et al. 2019, section 3.1.1);
    for ENAS, Adam on the controller as ENAS's code sets it (beta1 = 0, eps = 1e-3)."""
    w_opt = torch.optim.SGD(supernet.weight_parameters(), lr=config.w_lr, momentum=config.w_momentum,
                            weight_decay=config.w_weight_decay, nesterov=config.w_nesterov)
    if config.method == "enas":
        a_opt = torch.optim.Adam(supernet.controller.parameters(), lr=config.controller_lr, betas=(0.0, 0.999),
                                 eps=1e-3)
    else:
        a_opt = torch.optim.Adam(supernet.arch_parameters(), lr=config.a_lr, betas=config.a_betas,
                                 weight_decay=config.a_weight_decay)
    return w_opt, a_opt


def cosine_lr(config: SearchConfig, epoch: int) -> float:
    """The weight learning rate in ``epoch`` (0-based): cosine from w_lr down to w_lr_min, as DARTS."""
    t = epoch / config.epochs
    return config.w_lr_min + 0.5 * (config.w_lr - config.w_lr_min) * (1 + math.cos(math.pi * t))


def temperature(config: SearchConfig, epoch: int) -> float | None:
    """The Gumbel-softmax temperature in ``epoch`` (0-based); None for methods without one.

    GDAS: linear from tau_max (first epoch) to tau_min (last). SNAS, as its authors' scheduler:
    linear from tau_max towards tau_min, one step before the first epoch, tau_min at the last.
    """
    if config.method == "gdas":
        return config.tau_max - (config.tau_max - config.tau_min) * epoch / max(1, config.epochs - 1)
    if config.method == "snas":
        return config.tau_min + (config.tau_max - config.tau_min) * (1 - (epoch + 1) / config.epochs)
    return None


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


def relaxed_weights(alpha: torch.Tensor, tau: float, generator: torch.Generator) -> torch.Tensor:
    """SNAS's relaxed sample (Xie et al., ICLR 2019, eq. 3): alpha ``(E, |O|)`` -> rows on the simplex ``(E, |O|)``.

    Z = softmax((log_softmax(alpha) + G) / tau), G ~ Gumbel(0, 1) drawn on the CPU from ``generator``.
    Whatever tau, argmax Z falls on o with probability softmax(alpha)_o (the Gumbel-max trick); as
    tau -> 0, Z tends to that one-hot row, so E[Z] tends to softmax(alpha).

    Oracle for grading: ``check_relaxed_sample`` compares answers with it.
    """
    gumbel = -torch.empty(alpha.shape).exponential_(generator=generator).log().to(alpha.device)
    return F.softmax((F.log_softmax(alpha, dim=-1) + gumbel) / tau, dim=-1)


def gumbel_weights(alpha: torch.Tensor, tau: float, generator: torch.Generator) -> torch.Tensor:
    """GDAS's straight-through sample (Dong & Yang, CVPR 2019, eqs. 3-5): alpha ``(E, |O|)`` -> one-hot rows ``(E, |O|)``.

    index = argmax of the relaxed sample Z (``relaxed_weights``); the value is one_hot(index), the
    gradient that of Z. Unsampled operations get a weight of exactly 0, so the supernet skips them.
    """
    probs = relaxed_weights(alpha, tau, generator)
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


def snas_step(supernet, w_opt, a_opt, batch, config: SearchConfig, tau: float,
              sampler: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One SNAS iteration: one forward through relaxed samples of every edge, one backward, then SGD on w
    (gradient clipped to ``grad_clip``) and Adam on alpha (clipped to ``a_grad_clip``) from the same
    training loss. Returns (loss, accuracy, alpha's gradient norm before clipping), device tensors."""
    x, y = batch
    alphas = supernet.arch_parameters()
    w_opt.zero_grad(set_to_none=True)
    a_opt.zero_grad(set_to_none=True)
    loss, acc = _loss_acc(supernet(x, [relaxed_weights(a, tau, sampler) for a in alphas]), y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(supernet.weight_parameters(), config.grad_clip)
    norm = torch.nn.utils.clip_grad_norm_(alphas, config.a_grad_clip)
    w_opt.step()
    a_opt.step()
    return loss.detach(), acc.detach(), norm.double()


def enas_sample_path(supernet, generator: torch.Generator) -> list[torch.Tensor]:
    """A cell pair sampled by the supernet's ENAS controller, as supernet weights (no gradient)."""
    with torch.no_grad():
        decisions = supernet.controller.sample(1, generator).decisions[0]
    return [w.to(supernet.alpha_normal.device) for w in cell_weights(decisions, len(supernet.ops), supernet.steps)]


def enas_controller_step(supernet, a_opt, val_batches: list, config: SearchConfig,
                         sampler: torch.Generator) -> dict:
    """One REINFORCE update of ENAS's controller from ``len(val_batches)`` sampled cells (ENAS: 10).

    Cell i is scored on val_batches[i] with the shared weights (BN on batch statistics, as ENAS's
    reward): R_i = accuracy + entropy_weight * entropy of its decisions. The moving-average baseline
    takes each reward in turn, b <- b - (1 - decay)(b - R_i), and the update descends the mean of
    -log p(cell_i) (R_i - b), as ENAS's code. Returns the update's gradient norm (a tensor), the mean
    reward and the baseline after it.
    """
    controller = supernet.controller
    sample = controller.sample(len(val_batches), sampler)
    rewards = []
    with torch.no_grad():
        for decisions, (x, y) in zip(sample.decisions, val_batches):
            path = [w.to(x.device) for w in cell_weights(decisions, len(supernet.ops), supernet.steps)]
            rewards.append((supernet(x, path).argmax(1) == y).double().mean())
    rewards = torch.stack(rewards) + config.entropy_weight * sample.entropy.double().detach()
    advantages = []
    for r in rewards:  # the baseline moves before each sample's advantage, as ENAS's control dependency
        controller.baseline.sub_((1 - config.baseline_decay) * (controller.baseline - r))
        advantages.append(r - controller.baseline)
    loss = -(sample.log_prob * torch.stack(advantages).to(sample.log_prob)).mean()
    params = list(controller.parameters())
    grads = torch.autograd.grad(loss, params)
    norm = arch_update(a_opt, params, list(grads))
    return {"norm": norm, "reward": rewards.mean(), "baseline": controller.baseline.clone()}


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
    elif config.method == "snas":  # w and alpha together, on the training loss of a relaxed sample
        loss, acc, norm = snas_step(supernet, w_opt, a_opt, batch, config, tau, sampler)
    elif config.method == "enas":  # the weights of one cell sampled by the controller (its own phase: search.py)
        loss, acc = weight_step(supernet, w_opt, x, y, config, enas_sample_path(supernet, sampler))
    elif config.method == "fixed":  # the whole supernet at its initial softmax(alpha); alpha is never trained
        loss, acc = weight_step(supernet, w_opt, x, y, config)
    else:  # rsws: the weights of one uniformly sampled path; alpha is never trained
        loss, acc = weight_step(supernet, w_opt, x, y, config, sample_path(supernet, sampler))
    return loss, acc, norm
