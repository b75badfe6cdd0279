"""Time one search step of each method on synthetic CIFAR-shaped batches.

    python benchmarks/search_step.py --preset tiny --device cpu
    python benchmarks/search_step.py --preset paper --device cuda --json step.json

A step is what ``search.train_step`` does for one training minibatch: the architecture step
(first order, unrolled, or the Neumann hypergradient) and the weight step. The supernet, batch
size and image size come from the preset (paper: DARTS's search setting, batch 64, C=16, 8
cells, 32x32). Reports the median over ``--repeats`` steps after ``--warmup`` steps (CUDA events
on a GPU) and the peak memory (on CUDA; on the CPU the process's peak resident size).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time

import torch

from nascourse.config import get_device, get_preset
from nascourse.history import make_config
from nascourse.search import build_supernet, train_step

MODES = {"first_order": "darts1", "second_order": "darts2", "idarts": "idarts"}


def time_steps(method: str, preset, device: torch.device, warmup: int, repeats: int) -> dict:
    config = make_config(method, "darts", preset)
    torch.manual_seed(0)
    supernet = build_supernet(config).to(device)
    w_opt = torch.optim.SGD(supernet.weight_parameters(), lr=config.w_lr, momentum=config.w_momentum,
                            weight_decay=config.w_weight_decay)
    a_opt = torch.optim.Adam(supernet.arch_parameters(), lr=config.a_lr, betas=config.a_betas,
                             weight_decay=config.a_weight_decay)
    shape = (config.batch_size, 3, config.image_size, config.image_size)
    g = torch.Generator().manual_seed(0)
    batch = (torch.randn(shape, generator=g).to(device), torch.randint(10, (shape[0],), generator=g).to(device))
    val = (torch.randn(shape, generator=g).to(device), torch.randint(10, (shape[0],), generator=g).to(device))
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(warmup + repeats):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            train_step(supernet, w_opt, a_opt, batch, val, config, config.w_lr, i, None, g)
            end.record()
            torch.cuda.synchronize(device)
            elapsed = start.elapsed_time(end)
        else:
            t0 = time.perf_counter()
            train_step(supernet, w_opt, a_opt, batch, val, config, config.w_lr, i, None, g)
            elapsed = 1e3 * (time.perf_counter() - t0)
        if i >= warmup:
            times.append(elapsed)
    if device.type == "cuda":
        peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
    else:  # ru_maxrss is in KiB on Linux: the whole process's peak, an upper bound for the step
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    return {"plain_ms": statistics.median(times), "plain_peak_mb": peak_mb, "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", choices=["tiny", "colab", "paper"])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args()
    device, preset = get_device(args.device), get_preset(args.preset)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    figures = {mode: time_steps(MODES[mode], preset, device, args.warmup, args.repeats) for mode in args.modes}
    print(f"search step, preset {preset.name}, device {device} ({torch.__version__}, "
          f"{torch.get_num_threads()} CPU threads)")
    print(f"{'mode':<14}{'plain ms':>10}{'peak MB':>10}")
    for mode, f in figures.items():
        print(f"{mode:<14}{f['plain_ms']:>10.1f}{f['plain_peak_mb']:>10.0f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"preset": preset.name, "device": str(device), "modes": figures}, fh, indent=1)


if __name__ == "__main__":
    main()
