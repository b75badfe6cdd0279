"""Time a loss-surface grid: point by point against several points per call, and check they agree.

    python benchmarks/landscape.py --preset tiny --device cpu
    python benchmarks/landscape.py --preset colab --device cuda --json landscape.json

A grid point is one evaluation of the network, in eval mode, on a fixed set of images with its
weights moved to θ* + a δ + b η (``landscape.surface_2d``). Two ways to do it:

  loop   set the parameters, evaluate, next point (``method="loop"``)
  vmap   stack the parameters of K points and map the network over them in one call
         (``torch.func.functional_call`` under ``torch.vmap``; ``method="vmap", chunk=K``)

The network is DARTS_V2's evaluation network at the preset's training sizes (tiny: C=8, 5 cells,
16x16; colab: C=16, 8 cells, 32x32), on random images (the time of a forward does not depend on
what the images show). Reported per method: milliseconds per grid point (median of --repeats
grids), the speedup over the loop, and the largest relative difference of the losses from the
loop's. ``landscape.AUTO_METHOD`` records which one ``method="auto"`` takes on each device.

Measured (``benchmarks/results/landscape-cpu-2cores.json``; ``--preset tiny --images 1000
--points 16 --chunks 2 4 8 16 --repeats 2`` on 2 CPU cores, torch 2.13): the loop takes 418 ms per
point; stacking 2, 4, 8 and 16 points takes 462, 472, 618 and 951 ms per point (0.91x to 0.44x),
with losses equal to 5e-8. On a CPU a single point already keeps both cores busy, and the stacked
convolutions (grouped over the points) are slower than the plain ones, so the loop is kept there.
With only 256 images per point and a 2 x 2 grid (the CI command) stacking 4 points measured 1.07x,
1.15x and 0.90x in three runs, within the noise of one repeat: the loop's lead appears once a point
holds enough images to keep the cores busy. Not yet measured on a GPU, where one small network leaves most of the device idle.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from nascourse import landscape as L
from nascourse.config import get_device, get_preset
from nascourse.genotypes import DARTS_V2
from nascourse.network import DartsNetwork


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tiny", choices=["tiny", "colab", "paper"])
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when present)")
    parser.add_argument("--images", type=int, default=512, help="images per grid point")
    parser.add_argument("--points", type=int, default=16, help="grid points per timed grid (a 4 x 4 grid)")
    parser.add_argument("--chunks", type=int, nargs="+", default=[4, 16], help="points per call for vmap")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device, preset = get_device(args.device), get_preset(args.preset)
    torch.manual_seed(0)
    net = DartsNetwork(DARTS_V2, C=preset.net_C, layers=preset.net_layers, auxiliary=False).to(device)
    size = preset.image_size
    g = torch.Generator().manual_seed(0)
    images = torch.randn(args.images, 3, size, size, generator=g)
    labels = torch.randint(0, 10, (args.images,), generator=g)
    batches = [(images[i:i + 256].to(device), labels[i:i + 256].to(device)) for i in range(0, args.images, 256)]
    side = max(1, int(args.points ** 0.5))
    xs = L.grid(-1, 1, side)
    dx, dy = L.random_direction(net, 0), L.random_direction(net, 1)

    def run(method, chunk):
        times, surface = [], None
        for _ in range(args.repeats + 1):  # the first grid warms up (and compiles vmap's rules)
            _sync(device)
            start = time.perf_counter()
            surface = L.surface_2d(net, batches, dx, dy, xs, xs, method=method, chunk=chunk)
            _sync(device)
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times[1:]) / (side * side), [v for row in surface.loss for v in row]

    loop_ms, loop_loss = run("loop", 1)
    rows = [{"method": "loop", "chunk": 1, "ms_per_point": round(loop_ms, 2), "speedup": 1.0, "max_rel_err": 0.0}]
    for chunk in args.chunks:
        ms, loss = run("vmap", chunk)
        err = max(abs(a - b) / abs(b) for a, b in zip(loss, loop_loss))
        rows.append({"method": "vmap", "chunk": chunk, "ms_per_point": round(ms, 2),
                     "speedup": round(loop_ms / ms, 3), "max_rel_err": float(f"{err:.2e}")})
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"
    report = {"device": name, "preset": preset.name, "images": args.images, "grid": f"{side}x{side}",
              "network": f"DARTS_V2, C={preset.net_C}, {preset.net_layers} cells, {size}x{size}",
              "torch": torch.__version__, "rows": rows}
    print(f"{report['network']}, {args.images} images per point, {side}x{side} grid, {name}")
    print(f"{'method':>6} {'chunk':>5} {'ms/point':>9} {'speedup':>8} {'max rel err':>12}")
    for r in rows:
        print(f"{r['method']:>6} {r['chunk']:>5} {r['ms_per_point']:>9.1f} {r['speedup']:>8.2f} {r['max_rel_err']:>12.1e}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(report, fh, indent=1)
    return report


if __name__ == "__main__":
    main()
