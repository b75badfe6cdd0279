"""The search loop: epochs of steps, the history, checkpoints, and when to stop.

``search(config)`` runs the method ``config`` names (darts1, darts2, idarts, gdas, rsws, fixed,
nadarts, snas, enas; one iteration of each is ``steps.train_step``) for ``config.epochs`` epochs:
the cosine weight learning rate, GDAS's and SNAS's temperature, the minibatches of the weights' and
α's halves of the data, ENAS's second phase (``train_controller``: REINFORCE on the controller),
then at the end of each epoch the supernet's validation loss and accuracy (with BN's batch
statistics, ``evaluate``), RSWS's ranking of sampled paths (``rank_paths``) or ENAS's best sampled
cell (``enas_cell``) and one record of the history: softmax(alpha) (ENAS: its controller's edge
frequencies), the derived genotype, its width and depth, losses, accuracies, the hypergradient norm
and the time taken (``SearchResult``, in ``history.py``).

A step reads nothing back from the device: its figures are summed there (``EpochSums``) and read,
with a check for NaN, once per epoch. With ``hessian_every`` the loop also records the sharpness
of the architecture, λ_max of the α Hessian on a fixed validation batch (RobustDARTS), and
``early_stop`` stops the search by DARTS-ES's rule and returns the genotype of the epoch it points
to (``sharpness.py``). Results and checkpoints go to ``out`` after every epoch; Ctrl-C stops
after a whole step and can be resumed exactly. Lessons 02, 03 and 07 run these loops;
``nascourse search`` is their command line.
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
from .fast import FastDartsForward
from .history import (SearchConfig, SearchResult, epoch_record, make_config, read_checkpoint, restore_checkpoint,
                      save_checkpoint)
from .runs import StopAfterStep, prepare_folder
from .sharpness import alpha_hessian_max_eigenvalue, darts_es
from .controller import cell_genotype, cell_weights, edge_frequencies
from .steps import cosine_lr, enas_controller_step, make_optimizers, sample_path, temperature, train_step
from .supernet import build_supernet

# build_supernet and make_config are re-exported for existing callers (``search.build_supernet``)
__all__ = ["search", "SearchInterrupted", "EpochSums", "evaluate", "batch_statistics", "best_path", "rank_paths",
           "enas_cell", "train_controller",
           "build_supernet", "make_config", "SearchConfig", "SearchResult"]


def _diverged(error: FloatingPointError, epoch: int, step: int, config: SearchConfig) -> FloatingPointError:
    """The error a search raises on a NaN or infinite loss: where, and what to change."""
    return FloatingPointError(
        f"the {config.method} search diverged at epoch {epoch + 1}, step {step + 1}: {error}. Lower the weight "
        f"learning rate (w_lr={config.w_lr}) or the architecture learning rate (a_lr={config.a_lr}), "
        f"or keep gradient clipping on (grad_clip={config.grad_clip})"
    )


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
        """Add one step's loss, accuracy and hypergradient norm (None for methods without one), and
        note the step if one of them is not finite; on the device, without reading anything back."""
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
        """The sums as numbers, for a checkpoint (one device sync); ``EpochSums(device, saved)`` reads them back."""
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
def best_path(supernet, loader, paths: list, batches: int) -> tuple[int, float]:
    """Score each path by its accuracy on ``batches`` validation batches with the shared weights;
    return the index of the best (ties: the first) and its accuracy."""
    scores = [evaluate(supernet, loader, path, max_batches=batches)[1] for path in paths]
    best = max(range(len(paths)), key=lambda i: (scores[i], -i))
    return best, scores[best]


def rank_paths(supernet, loader, generator: torch.Generator, candidates: int, batches: int):
    """RSWS's ranking: sample ``candidates`` paths, score each by its accuracy on ``batches``
    validation batches with the shared weights; return the best path and its accuracy."""
    paths = [sample_path(supernet, generator) for _ in range(candidates)]
    best, accuracy = best_path(supernet, loader, paths, batches)
    return paths[best], accuracy


@torch.no_grad()
def enas_cell(supernet, loader, config: SearchConfig, generator: torch.Generator, frequency_samples: int = 100):
    """ENAS's choice: the best of ``config.candidates`` cells sampled by the controller, scored on
    ``config.rank_batches`` validation batches. Returns its path, its genotype and the controller's
    edge frequencies over ``frequency_samples`` more samples (the history's stand-in for softmax(α))."""
    ops, steps, device = supernet.ops, supernet.steps, supernet.alpha_normal.device
    decisions = supernet.controller.sample(config.candidates, generator).decisions
    paths = [[w.to(device) for w in cell_weights(d, len(ops), steps)] for d in decisions]
    best, _ = best_path(supernet, loader, paths, config.rank_batches)
    frequencies = edge_frequencies(supernet.controller.sample(frequency_samples, generator).decisions, ops, steps)
    return paths[best], cell_genotype(decisions[best], ops, steps), frequencies


def train_controller(supernet, a_opt, val_batches, config: SearchConfig, generator: torch.Generator) -> dict:
    """ENAS's second phase of an epoch: ``config.controller_steps`` REINFORCE updates of the controller,
    each from ``config.controller_aggregate`` sampled cells on as many validation minibatches drawn
    from the iterator ``val_batches``. Returns the history's fields: the mean gradient norm
    (as ``hypergrad_norm``), the mean reward and the baseline at the end."""
    norms, rewards, out = [], [], {}
    for _ in range(config.controller_steps):
        out = enas_controller_step(supernet, a_opt, [next(val_batches) for _ in range(config.controller_aggregate)],
                                   config, generator)
        norms.append(out["norm"])
        rewards.append(out["reward"])
    return {"hypergrad_norm": float(torch.stack(norms).mean()), "controller_reward": float(torch.stack(rewards).mean()),
            "baseline": float(out["baseline"])}


def _cycle(loader):
    """The loader's batches without end: a new epoch of it whenever one runs out."""
    while True:
        yield from loader


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
    # one writer at a time: the folder is checked, created and locked before any work, and stays
    # locked until the search returns (the lock goes with the process if it dies)
    folder = prepare_folder(out, resume=resume, overwrite=overwrite) if out is not None else contextlib.nullcontext()
    with folder:
        saved = read_checkpoint(out, config, seed) if resume else None
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
        forward = FastDartsForward(supernet) if fast else None

        hessian_batch = val_loader.plain_batches(1)[0] if config.hessian_every else None  # first val batch, plain
        steps = len(train_loader)
        bar = tqdm(total=config.epochs * steps, initial=len(result.history) * steps + partial.get("step", 0),
                   desc=f"{config.method} on {config.space}", disable=progress_disabled(progress))
        with StopAfterStep() as stop:
            for epoch in range(len(result.history), config.epochs if result.early_stop is None else 0):
                start = time.perf_counter() - partial.get("seconds", 0.0)
                lr = cosine_lr(config, epoch)
                for group in w_opt.param_groups:
                    group["lr"] = lr
                tau = temperature(config, epoch)
                supernet.train()
                sums = EpochSums(device, partial.get("sums"))
                arch_steps, first = partial.get("arch_steps", 0), partial.get("step", 0)
                partial = {}
                # after a mid-epoch resume, both loaders continue where they were; the alpha half may hold
                # one batch fewer, and starts again when it runs out
                val_batches = _cycle(val_loader)
                for step, (x, y) in enumerate(train_loader, start=first):
                    val_batch = next(val_batches)
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

                controller = {}
                if config.method == "enas":  # ENAS's second phase: the controller, on validation minibatches
                    controller = train_controller(supernet, a_opt, val_batches, config, sampler)
                path = genotype = weights = None
                if config.method == "rsws":  # the best of sampled paths with the shared weights
                    path, _ = rank_paths(supernet, val_loader, sampler, config.candidates, config.rank_batches)
                elif config.method == "enas":  # the best of the controller's cells
                    path, genotype, weights = enas_cell(supernet, val_loader, config, sampler)
                val_loss, val_acc = evaluate(supernet, val_loader, path)
                stats = {
                    "train_loss": float(sums.train_loss) / steps,
                    "train_acc": float(sums.train_acc) / steps,
                    "val_loss": val_loss,
                    "val_acc": val_acc,
                    "hypergrad_norm": float(sums.hypergrad_norm) / max(1, arch_steps),
                    "lr": lr,
                    **controller,
                }
                record = epoch_record(supernet, epoch, stats, time.perf_counter() - start,
                                      path if weights is None else weights, genotype)
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
