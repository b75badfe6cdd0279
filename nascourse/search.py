"""Search loops: DARTS (first and second order), iDARTS, GDAS, random search with weight sharing, fixed α.

A differentiable search alternates two updates of one supernet (DARTS, Liu et al. 2019, Algorithm 1):

    for each training minibatch (x_tr, y_tr), with a fresh validation minibatch (x_val, y_val):
        ARCH STEP    alpha <- Adam(alpha, hypergradient of L_val)             (search_step below)
        WEIGHT STEP  w <- SGD(w, grad_w L_train(w, alpha)), gradient norm clipped to 5

The methods differ only in how the architecture step gets its gradient:

    darts1  first order, grad_alpha L_val(w, alpha)                          (Liu et al. 2019, eq. 5)
    darts2  one virtual SGD step, w' = w - xi grad_w L_train, then the chain rule (eqs. 6-8)
    idarts  T weight steps, then the implicit-function hypergradient with a K-term Neumann
            series (Zhang et al., ICML 2021, section 3.2)
    gdas    one operation sampled per edge by Gumbel-max, straight-through gradients (Dong & Yang 2019)
    rsws    no architecture step: weights trained on uniformly sampled architectures, then
            sampled architectures ranked by validation accuracy with the shared weights
            (Li & Talwalkar 2019)
    fixed   no architecture step: weights trained with alpha frozen at its initialisation, the
            "DARTS with fixed alpha" whose supernet DARTS-PT then selects from (Wang et al., ICLR 2021)
    nadarts first order, on the mean validation loss of softmax(alpha) and k perturbed neighbours
            (the course's reconstruction of NA-DARTS, Wang et al., BMVC 2021; ``flatness.py``)

Each epoch records softmax(alpha), the derived genotype, its width and depth, losses,
accuracies, the hypergradient norm and the time taken (``SearchResult``, in ``history.py``). A step
reads nothing back from the device: its figures are summed there (``EpochSums``) and read, with a
check for NaN, once per epoch. With
``hessian_every`` it also records the sharpness of the architecture, λ_max of the α Hessian on a
fixed validation batch (RobustDARTS), and ``early_stop`` stops the search by DARTS-ES's rule and
returns the genotype of the epoch it points to (``sharpness.py``). Lessons 02, 03 and 07 run these
loops; ``nascourse search`` is their command line.
"""

from __future__ import annotations

import contextlib
import math
import time

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import batches
from . import data as data_mod
from .config import get_device, progress_disabled, seed_everything
from .flatness import neighbourhood_loss
from .history import (SearchConfig, SearchResult, epoch_record, make_config, read_checkpoint, restore_checkpoint,
                      save_checkpoint)
from .hypergrad import hypergradient
from .runs import StopAfterStep, prepare_folder
from .sharpness import alpha_hessian_max_eigenvalue, darts_es
from .supernet import build_supernet

__all__ = ["search", "SearchInterrupted", "build_supernet", "make_optimizers", "train_step", "EpochSums",
           "search_step", "arch_update", "weight_step", "gdas_arch_step", "nadarts_arch_step", "gumbel_weights",
           "sample_path", "make_config", "SearchConfig", "SearchResult"]


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


def _diverged(error: FloatingPointError, epoch: int, step: int, config: SearchConfig) -> FloatingPointError:
    """The error a search raises on a NaN or infinite loss: where, and what to change."""
    return FloatingPointError(
        f"the {config.method} search diverged at epoch {epoch + 1}, step {step + 1}: {error}. Lower the weight "
        f"learning rate (w_lr={config.w_lr}) or the architecture learning rate (a_lr={config.a_lr}), "
        f"or keep gradient clipping on (grad_clip={config.grad_clip})"
    )


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
    """GDAS's straight-through sample (Dong & Yang, CVPR 2019, eqs. 3-5): alpha (E, |O|) -> one-hot rows (E, |O|).

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


class EpochSums:
    """An epoch's running figures, kept on the device: the step adds to them without a device sync,
    and the history reads them once, at the end of the epoch.

    Sums are float64 (a float32 loss added in float64, as Python's float would); ``first_bad`` is
    the first step whose training loss or architecture gradient was not finite (-1: none yet), with
    the loss at that step, so that a diverged search still says where it diverged.
    """

    def __init__(self, device, saved: dict | None = None):
        saved = saved or {}
        f64 = dict(dtype=torch.float64, device=device)
        self.train_loss = torch.tensor(saved.get("train_loss", 0.0), **f64)
        self.train_acc = torch.tensor(saved.get("train_acc", 0.0), **f64)
        self.hypergrad_norm = torch.tensor(saved.get("hypergrad_norm", 0.0), **f64)
        self.first_bad = torch.tensor(saved.get("first_bad", -1), dtype=torch.int64, device=device)
        self.bad_loss = torch.tensor(saved.get("bad_loss", 0.0), **f64)

    def add(self, step: int, loss: torch.Tensor, acc: torch.Tensor, norm: torch.Tensor | None) -> None:
        self.train_loss = self.train_loss + loss.double()
        self.train_acc = self.train_acc + acc.double()
        finite = torch.isfinite(loss)
        if norm is not None:
            self.hypergrad_norm = self.hypergrad_norm + norm
            finite = finite & torch.isfinite(norm)
        first = ~finite & (self.first_bad < 0)
        self.first_bad = torch.where(first, step, self.first_bad)
        self.bad_loss = torch.where(first, loss.double(), self.bad_loss)

    def check(self, epoch: int, config: SearchConfig) -> None:
        """Raise the search's divergence error if a step of this epoch was not finite (one device sync)."""
        step = int(self.first_bad)
        if step >= 0:
            loss = float(self.bad_loss)
            what = (f"the training loss is {loss}" if not math.isfinite(loss)
                    else f"the architecture gradient is not finite (the training loss there was {loss:.4g})")
            raise _diverged(FloatingPointError(what), epoch, step, config)

    def to_dict(self) -> dict:
        return {"train_loss": float(self.train_loss), "train_acc": float(self.train_acc),
                "hypergrad_norm": float(self.hypergrad_norm), "first_bad": int(self.first_bad),
                "bad_loss": float(self.bad_loss)}


@contextlib.contextmanager
def batch_statistics(model: torch.nn.Module):
    """Evaluate with BN's batch statistics, then put back the running statistics and the mode.

    A supernet's running statistics average over a moving mixture of operations and, after a
    few dozen steps, over too little data, so DARTS-PT scores supernets with batch statistics
    (Wang et al., ICLR 2021, section 4). Use under ``torch.no_grad()``.
    """
    buffers = {k: v.clone() for k, v in model.named_buffers()}
    was_training = model.training
    model.train()
    try:
        yield model
    finally:
        for k, v in model.named_buffers():
            v.copy_(buffers[k])
        model.train(was_training)


@torch.no_grad()
def evaluate(supernet, loader, weights=None, max_batches: int | None = None) -> tuple[float, float]:
    """Mean loss and accuracy of the supernet over ``loader``, with BN's batch statistics."""
    total, loss_sum, correct = 0, 0.0, 0.0
    with batch_statistics(supernet):
        for i, (x, y) in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            logits = supernet(x, weights)
            loss_sum += float(F.cross_entropy(logits, y, reduction="sum"))
            correct += float((logits.argmax(1) == y).sum())
            total += len(y)
    return loss_sum / total, correct / total


@torch.no_grad()
def rank_paths(supernet, loader, generator: torch.Generator, candidates: int, batches: int):
    """RSWS's ranking: sample ``candidates`` paths, score each by its accuracy on ``batches``
    validation batches with the shared weights; return the best path and its accuracy."""
    scored = []
    for _ in range(candidates):
        path = sample_path(supernet, generator)
        scored.append((evaluate(supernet, loader, path, max_batches=batches)[1], len(scored), path))
    accuracy, _, path = max(scored, key=lambda t: (t[0], -t[1]))  # ties: the first sampled
    return path, accuracy


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a notebook's interrupt) during a search: it stopped after a whole step."""


def search(config: SearchConfig, *, seed: int = 0, device=None, dataset=None, out: str | None = None,
           resume: bool = False, overwrite: bool = False, progress: bool = True, fast: bool = False) -> SearchResult:
    """Run the search that ``config`` describes and return its result with the full history.

    Args:
        config: from ``make_config(method, space, preset)``, or a config class of ``history``.
        seed: seeds the supernet's initialisation, the data order and every sample drawn.
        device: "cpu", "cuda", ...; default from ``config.get_device``.
        dataset: a ``data.Dataset``; default CIFAR-10 from ``load_dataset``.
        out: a folder; if given, ``result.json`` and ``checkpoint.pt`` are written there after
            every epoch (atomically), so that an interrupted search can be resumed. A folder that
            already holds a search is refused unless ``resume`` or ``overwrite`` says what to do.
        resume: continue the search in ``out`` from its checkpoint; refused if it was made with
            another seed or setting. The result equals that of an uninterrupted run.
        overwrite: replace the search in ``out`` (its files are deleted before this one starts).
        fast: compute the supernet with ``fast.FastDartsForward``: the same mathematics in fewer
            kernels (darts1, darts2 and idarts on the DARTS space). Float32 rounding differs from
            the plain path's, so a near-tie between two operations may be decided differently.

    Ctrl-C (a notebook's interrupt) lets the current step finish, writes a checkpoint to ``out``
    (mid-epoch too) and raises ``SearchInterrupted``; ``resume=True`` continues from there.
    """
    if not isinstance(config, SearchConfig):
        raise TypeError(f"config must be a search configuration from make_config(method, space, preset), "
                        f"got {type(config).__name__}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    if fast and (config.space != "darts" or config.method not in ("darts1", "darts2", "idarts")):
        raise ValueError(f"fast=True covers darts1, darts2 and idarts on the DARTS space, not {config.method} on "
                         f"{config.space}: run this search with fast=False")
    if (resume or overwrite) and out is None:
        raise ValueError("resume=True and overwrite=True act on a run folder: pass out=FOLDER as well")
    device = get_device(device)
    saved = None
    if out is not None:  # before any work: a run folder is never overwritten or mixed unasked
        prepare_folder(out, resume=resume, overwrite=overwrite)
        if resume:
            saved = read_checkpoint(out, config, seed)
    seed_everything(seed)  # supernet initialisation below draws from torch's global generator
    supernet = build_supernet(config).to(device)
    dataset = dataset if dataset is not None else data_mod.load_dataset("cifar10")
    train_loader, val_loader = batches.search_split(dataset, config.batch_size, config.image_size,
                                                     config.search_images, device, seed)
    w_opt, a_opt = make_optimizers(supernet, config)
    sampler = torch.Generator().manual_seed(seed + 1)  # GDAS's Gumbel noise, RSWS's paths, NA-DARTS's neighbours
    result, partial = SearchResult(config=config, seed=seed, device=str(device)), {}
    if saved is not None:
        result, partial = restore_checkpoint(saved, out, config, supernet, w_opt, a_opt, train_loader, val_loader,
                                             sampler)
    forward = None
    if fast:
        from .fast import FastDartsForward  # fast imports this module
        forward = FastDartsForward(supernet)

    hessian_batch = val_loader.plain_batches(1)[0]  # the first validation batch, without augmentation
    steps = len(train_loader)
    bar = tqdm(total=config.epochs * steps, initial=len(result.history) * steps + partial.get("step", 0),
               desc=f"{config.method} on {config.space}", disable=progress_disabled(progress))
    with StopAfterStep() as stop:
        for epoch in range(len(result.history), config.epochs if result.early_stop is None else 0):
            start = time.perf_counter() - partial.get("seconds", 0.0)
            lr = cosine_lr(config, epoch)
            for group in w_opt.param_groups:
                group["lr"] = lr
            tau = config.tau_max - (config.tau_max - config.tau_min) * epoch / max(1, config.epochs - 1) \
                if config.method == "gdas" else None
            supernet.train()
            sums = EpochSums(device, partial.get("sums"))
            arch_steps, first = partial.get("arch_steps", 0), partial.get("step", 0)
            partial = {}
            val_iter = iter(val_loader)  # after a mid-epoch resume, both loaders continue where they were
            for step, (x, y) in enumerate(train_loader, start=first):
                try:
                    val_batch = next(val_iter)
                except StopIteration:  # the alpha half may hold one batch fewer
                    val_iter = iter(val_loader)
                    val_batch = next(val_iter)
                loss, acc, norm = train_step(supernet, w_opt, a_opt, (x, y), val_batch, config, lr, step, tau,
                                             sampler, forward)
                sums.add(step, loss, acc, norm)
                arch_steps += norm is not None
                bar.update(1)
                if stop.requested and step + 1 < steps:  # the epoch's last step goes on to its end
                    bar.close()
                    sums.check(epoch, config)  # a diverged epoch is never checkpointed
                    _interrupted(out, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler, epoch,
                                 dict(step=step + 1, sums=sums.to_dict(), arch_steps=arch_steps,
                                      seconds=time.perf_counter() - start), steps)
            sums.check(epoch, config)  # the epoch's one look at the device: did any step diverge?
            bar.set_postfix(loss=f"{float(sums.train_loss) / steps:.3f}", refresh=False)

            path = None
            if config.method == "rsws":  # the best of sampled paths with the shared weights
                path, _ = rank_paths(supernet, val_loader, sampler, config.candidates, config.rank_batches)
            val_loss, val_acc = evaluate(supernet, val_loader, path)
            stats = {
                "train_loss": float(sums.train_loss) / steps,
                "train_acc": float(sums.train_acc) / steps,
                "val_loss": val_loss,
                "val_acc": val_acc,
                "hypergrad_norm": float(sums.hypergrad_norm) / max(1, arch_steps),
                "lr": lr,
            }
            record = epoch_record(supernet, epoch, stats, time.perf_counter() - start, path)
            if config.hessian_every:
                record.update(_sharpness(supernet, hessian_batch, config, epoch))
                record["seconds"] = round(time.perf_counter() - start, 3)
            result.history.append(record)
            if config.early_stop:
                result.early_stop = _early_stop(result.history, config)
            if out is not None:
                save_checkpoint(out, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler)
            if result.early_stop is not None:
                break
            if stop.requested and epoch + 1 < config.epochs:
                bar.close()
                _interrupted(out, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler, epoch + 1,
                             None, steps)
    bar.close()
    result.supernet = supernet
    return result


def _sharpness(supernet, batch, config: SearchConfig, epoch: int) -> dict:
    """The history's sharpness fields: λ_max of ∇²_α [L_val + (wd/2)||α||²] on ``batch`` every
    ``hessian_every`` epochs and at the last (RobustDARTS), None in the epochs between."""
    if (epoch + 1) % config.hessian_every and epoch + 1 != config.epochs:
        return {"alpha_eig": None, "alpha_eig_converged": None}
    eig = alpha_hessian_max_eigenvalue(supernet, *batch, weight_decay=config.a_weight_decay,
                                       iters=config.hessian_iters, tol=1e-3)
    return {"alpha_eig": round(eig.value, 6), "alpha_eig_converged": eig.converged}


def _early_stop(history: list[dict], config: SearchConfig) -> dict | None:
    """DARTS-ES on the eigenvalues recorded so far: where it points, or None to go on."""
    measured = [(h["epoch"], h["alpha_eig"]) for h in history if h.get("alpha_eig") is not None]
    stop = darts_es([e for e, _ in measured], [v for _, v in measured], config.es_window, config.es_delta,
                    config.es_factor, config.es_start_epoch)
    return None if stop is None else {"epoch": stop.epoch, "fired": stop.fired, "ratio": round(stop.ratio, 6)}


def _interrupted(out, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler, epoch, partial, steps):
    """Write the checkpoint of a search stopped by Ctrl-C and raise ``SearchInterrupted`` saying how to go on."""
    where = (f"in epoch {epoch + 1} after step {partial['step']} of {steps}" if partial
             else f"after epoch {epoch} of {result.config.epochs}")
    if out is None:
        raise SearchInterrupted(f"search interrupted {where}; nothing was saved (pass out=FOLDER to be able to "
                                "resume an interrupted search)")
    if partial:  # between epochs the epoch's own checkpoint is already written
        save_checkpoint(out, result, supernet, w_opt, a_opt, train_loader, val_loader, sampler, partial)
    raise SearchInterrupted(f"search interrupted {where}; its checkpoint is in {out}: continue it with "
                            "resume=True and the same settings")
