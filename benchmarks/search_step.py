"""Time one search step, plain and fast, check that both compute the same step, measure memory.

    python benchmarks/search_step.py --preset tiny --device cpu
    python benchmarks/search_step.py --preset paper --device cuda --json step.json

A step is what ``search.train_step`` does for one training minibatch: the architecture step
(first order, unrolled second order, or iDARTS's Neumann hypergradient) and the weight step. The
supernet, batch size and image size come from the preset (paper: DARTS's search setting, batch
64, C=16, 8 cells, 8 operations, 32x32, 10 classes). "plain" is the readable supernet forward,
"fast" is ``fast.FastDartsForward`` (same mathematics, fewer kernels).

For each mode the script reports:
  plain_ms, fast_ms, speedup   medians over --repeats steps after --warmup steps (CUDA events on
                               a GPU, the two paths interleaved step by step)
  max_rel_err                  ``stepcheck.run_step``: loss, gradients of w and alpha and the
                               parameter update of one step of both paths from one state, fp32
  plain_noise                  the same comparison of the plain step with itself after a 1e-7
                               relative change of the weights: how far rounding alone moves it
  plain_err64, fast_err64      each float32 path against the plain step in float64
  *_peak_mb                    peak GPU memory of a step (CUDA only; null on the CPU)
  *_saved_mb                   tensors saved for backward by one forward: the activation memory
                               that sets a step's peak, measured the same way on any device
  *_ops                        tensor operations in one forward and backward (views excluded):
                               on a GPU, each is a kernel launch
  bf16_ms, bf16_rel_err         with --bf16: the fast path under bfloat16 autocast, timed, and
                               compared with the plain float32 step
TF32 is off unless --tf32 (the comparison is meant in true fp32); cudnn.benchmark is on.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import time

import torch
import torch.nn.functional as F

from nascourse.config import get_device, get_preset
from nascourse.fast import FastDartsForward
from nascourse.history import make_config
from nascourse.steps import make_optimizers, train_step, weight_step
from nascourse.supernet import build_supernet
from nascourse.stepcheck import operation_count, run_step, step_errors

MODES = {"first_order": "darts1", "second_order": "darts2", "idarts": "idarts"}


class _Path:
    """A supernet, its optimisers and its forward (plain or fast), stepped on fixed batches."""

    def __init__(self, supernet, config, fast: bool, bf16: bool = False):
        self.net = copy.deepcopy(supernet)
        self.w_opt, self.a_opt = make_optimizers(self.net, config)
        self.forward = FastDartsForward(self.net) if fast else None
        self.config, self.step_count, self.bf16 = config, 0, bf16

    def step(self, batch, val) -> None:
        device_type = batch[0].device.type
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=self.bf16):
            train_step(self.net, self.w_opt, self.a_opt, batch, val, self.config, self.config.w_lr,
                       self.step_count, None, None, self.forward)
        self.step_count += 1


def _timed(fn, device: torch.device) -> float:
    """Milliseconds that ``fn()`` takes, waiting for the GPU."""
    if device.type == "cuda":
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize(device)
        return start.elapsed_time(end)
    t0 = time.perf_counter()
    fn()
    return 1e3 * (time.perf_counter() - t0)


def saved_mb(forward, x, y) -> float:
    """MiB of distinct tensors that autograd saves for the backward of one training loss."""
    seen: dict[tuple, int] = {}

    def pack(t):
        storage = t.untyped_storage()
        seen[(storage.data_ptr(), t.device)] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = F.cross_entropy(forward(x), y)
    del loss
    return sum(seen.values()) / 2**20


def op_count(forward, x, y, params) -> int:
    """Tensor operations in one forward and backward of the training loss: on a GPU, kernel launches."""
    return operation_count(lambda: torch.autograd.grad(F.cross_entropy(forward(x), y), params))


def peak_mb(path: _Path, batch, val, device: torch.device) -> float | None:
    """Peak GPU memory (MiB) of one step, parameters and optimiser state included."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    path.step(batch, val)
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / 2**20


def measure(mode: str, preset, device: torch.device, warmup: int, repeats: int, check: bool, bf16: bool) -> dict:
    config = make_config(MODES[mode], "darts", preset)
    torch.manual_seed(0)
    supernet = build_supernet(config).to(device)
    shape = (config.batch_size, 3, config.image_size, config.image_size)
    g = torch.Generator().manual_seed(0)
    batch = (torch.randn(shape, generator=g).to(device), torch.randint(10, (shape[0],), generator=g).to(device))
    val = (torch.randn(shape, generator=g).to(device), torch.randint(10, (shape[0],), generator=g).to(device))
    figures: dict = {"mode": mode, "method": config.method, "repeats": repeats}
    if check:  # from a state with SGD momentum, which the second-order virtual step reads
        w_opt, a_opt = make_optimizers(supernet, config)
        weight_step(supernet, w_opt, *batch, config)
        args = (supernet, w_opt, a_opt, config, batch, val, config.w_lr)
        plain, fast = run_step(*args), run_step(*args, fast=True)
        errors = step_errors(plain, fast)
        figures.update(max_rel_err=errors["max"], errors=errors,
                       plain_noise=step_errors(plain, run_step(*args, perturb=1e-7))["max"])
        reference = run_step(*args, dtype=torch.float64)  # both float32 paths against the plain one in float64
        figures.update(plain_err64=step_errors(reference, plain)["max"], fast_err64=step_errors(reference, fast)["max"])
        if bf16:  # the fast path under bfloat16 autocast, against the plain float32 step
            errors = step_errors(plain, run_step(*args, fast=True, autocast=torch.bfloat16))
            figures.update(bf16_rel_err=errors["max"], bf16_errors=errors)
    paths = {"plain": _Path(supernet, config, False), "fast": _Path(supernet, config, True)}
    if bf16:
        paths["bf16"] = _Path(supernet, config, True, bf16=True)
    plain, fast = paths["plain"], paths["fast"]
    figures["plain_saved_mb"] = saved_mb(plain.net, *batch)
    figures["fast_saved_mb"] = saved_mb(fast.forward, *batch)
    figures["plain_ops"] = op_count(plain.net, *batch, list(plain.net.parameters()))
    figures["fast_ops"] = op_count(fast.forward, *batch, list(fast.net.parameters()))
    times = {name: [] for name in paths}
    for i in range(warmup + repeats):  # interleaved, so that a busy machine slows both alike
        for name, path in paths.items():
            ms = _timed(lambda path=path: path.step(batch, val), device)
            if i >= warmup:
                times[name].append(ms)
    figures["plain_ms"], figures["fast_ms"] = statistics.median(times["plain"]), statistics.median(times["fast"])
    figures["speedup"] = figures["plain_ms"] / figures["fast_ms"]
    if bf16:
        figures["bf16_ms"] = statistics.median(times["bf16"])
    figures["plain_peak_mb"] = peak_mb(plain, batch, val, device)
    figures["fast_peak_mb"] = peak_mb(fast, batch, val, device)
    return figures


def _fmt(value, spec: str) -> str:
    """``format(value, spec)``, or a dash of the same width and alignment for a missing figure."""
    return format("-", spec.split(".")[0]) if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", choices=["tiny", "colab", "paper"])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-check", dest="check", action="store_false", help="skip the plain/fast comparison")
    parser.add_argument("--tf32", action="store_true", help="allow TF32 matmuls and convolutions on the GPU")
    parser.add_argument("--bf16", action="store_true",
                        help="also time and check the fast path under bfloat16 autocast (against plain float32)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0:
        parser.error(f"--repeats must be >= 1 and --warmup >= 0, got {args.repeats} and {args.warmup}")
    device, preset = get_device(args.device), get_preset(args.preset)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} CPU threads"
    modes = {mode: measure(mode, preset, device, args.warmup, args.repeats, args.check, args.bf16)
             for mode in args.modes}
    print(f"search step, preset {preset.name}, {device} ({name}), torch {torch.__version__}, "
          f"median of {args.repeats} after {args.warmup} warm-up")
    print(f"{'mode':<14}{'plain ms':>10}{'fast ms':>10}{'speedup':>9}{'max rel err':>13}{'plain noise':>13}"
          f"{'err vs fp64':>20}{'saved MB':>12}{'peak MB':>14}{'ops':>14}")
    for mode, f in modes.items():
        err64 = f"{_fmt(f.get('plain_err64'), '.1e')}/{_fmt(f.get('fast_err64'), '.1e')}"
        saved = f"{f['plain_saved_mb']:.0f}/{f['fast_saved_mb']:.0f}"
        peak = "-" if f["plain_peak_mb"] is None else f"{f['plain_peak_mb']:.0f}/{f['fast_peak_mb']:.0f}"
        ops = f"{f['plain_ops']}/{f['fast_ops']}"
        print(f"{mode:<14}{f['plain_ms']:>10.1f}{f['fast_ms']:>10.1f}{f['speedup']:>8.2f}x"
              f"{_fmt(f.get('max_rel_err'), '>13.1e')}{_fmt(f.get('plain_noise'), '>13.1e')}"
              f"{err64:>20}{saved:>12}{peak:>14}{ops:>14}")
    if args.bf16:
        print(f"{'bf16 (fast)':<14}{'ms':>10}{'speedup':>10}{'max rel err':>13}")
        for mode, f in modes.items():
            print(f"{mode:<14}{f['bf16_ms']:>10.1f}{f['plain_ms'] / f['bf16_ms']:>9.2f}x"
                  f"{_fmt(f.get('bf16_rel_err'), '>13.1e')}")
    print("plain/fast in the last four columns. max rel err: fast against plain; plain noise: plain against "
          "itself after a 1e-7 change of w; err vs fp64: each against the plain step in float64")
    report = {"preset": preset.name, "device": str(device), "device_name": name, "torch": torch.__version__,
              "tf32": args.tf32 if device.type == "cuda" else None, "modes": modes}
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return report


if __name__ == "__main__":
    main()
