"""Time λ_max of the α Hessian: the gradient's graph built once and reused, against rebuilt per product.

    python benchmarks/alpha_hessian.py --space nb201 --device cpu
    python benchmarks/alpha_hessian.py --space darts --device cuda --json alpha-hessian.json

``sharpness.alpha_hessian_max_eigenvalue`` runs power iteration on Hessian-vector products
Hv = ∇_α(∇_α L · v) + wd v on one validation batch; a search with ``hessian_every`` pays for one
eigenvalue per recorded epoch. Two ways to compute the products:

  rebuild  every product runs the supernet forward, ∇_α L with create_graph, then the second
           backward (what a plain closure over the loss does)
  reuse    ∇_α L and its graph once; every product is one backward through that graph
           (what the library does)

Both start from the same vector and run the same number of products (``--iters``, tolerance 0 so
none stops early); reported: milliseconds per product (median of ``--repeats``), the speedup, and
the relative difference of the two eigenvalues. Supernets at the tiny preset's search sizes
(NAS-Bench-201: C=8, N=1; DARTS: C=8, 5 cells), batch 64 of 16x16 random images.

Measured (``benchmarks/results/alpha-hessian-*-cpu-2cores.json``, 2 CPU cores, torch 2.13):
NAS-Bench-201 151 ms per product rebuilt against 95 ms reused (1.59x, 20 products); DARTS 3,008
against 2,146 ms (1.40x, 10 products); both eigenvalues equal to the last bit. With one thread
beside two other processes: 1.61x and 2.07x. Not yet measured on a GPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from nascourse import sharpness
from nascourse.config import get_device
from nascourse.supernet import DartsSupernet, NB201Supernet


def rebuild_eigenvalue(supernet, x, y, wd: float, iters: int):
    """The same power iteration with every product rebuilt from the loss (the slower way)."""
    alphas = list(supernet.arch_parameters())
    sizes = [a.numel() for a in alphas]

    def hvp(v):
        grads = torch.autograd.grad(F.cross_entropy(supernet(x), y), alphas, create_graph=True)
        parts = torch.split(v, sizes)
        hv = torch.autograd.grad(sum((g * u.view_as(g)).sum() for g, u in zip(grads, parts)), alphas)
        return torch.cat([h.reshape(-1) for h in hv]) + wd * v

    with sharpness.kept_mode(supernet, True):
        return sharpness.power_iteration(hvp, sum(sizes), iters, 1e-300, 0, alphas[0].dtype, alphas[0].device)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--space", default="nb201", choices=("nb201", "darts"))
    ap.add_argument("--device", default=None)
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None, help="write the figures to this file")
    args = ap.parse_args(argv)
    device = get_device(args.device)
    torch.manual_seed(0)
    supernet = (NB201Supernet(C=8, N=1) if args.space == "nb201" else DartsSupernet(C=8, layers=5)).to(device)
    x = torch.randn(64, 3, 16, 16, device=device)
    y = torch.randint(0, 10, (64,), device=device)

    def timed(fn):
        times, value = [], None
        for _ in range(args.repeats + 1):  # the first is a warm-up
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            value = fn()
            if device.type == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times[1:]) / value.iterations, value

    ms_rebuild, slow = timed(lambda: rebuild_eigenvalue(supernet, x, y, 1e-3, args.iters))
    ms_reuse, fast = timed(lambda: sharpness.alpha_hessian_max_eigenvalue(supernet, x, y, 1e-3, args.iters, 1e-300))
    figures = {"space": args.space, "device": str(device), "threads": torch.get_num_threads(),
               "torch": torch.__version__, "iters": args.iters, "ms_per_product_rebuild": round(ms_rebuild, 2),
               "ms_per_product_reuse": round(ms_reuse, 2), "speedup": round(ms_rebuild / ms_reuse, 2),
               "eigenvalue": fast.value, "relative_difference": abs(fast.value - slow.value) / abs(slow.value)}
    print(f"{args.space} supernet on {device} ({torch.get_num_threads()} threads), {args.iters} products: "
          f"rebuild {ms_rebuild:.1f} ms, reuse {ms_reuse:.1f} ms per product ({figures['speedup']:.2f}x); "
          f"λ_max {fast.value:.6f}, relative difference {figures['relative_difference']:.1e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
