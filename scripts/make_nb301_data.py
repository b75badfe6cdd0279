"""Build the NAS-Bench-301 package data that `nascourse.nb301` reads, from the shared source files.

Sources (read the shared data README, section nb301/), both under the Apache License 2.0:

- YAHPO Gym's NAS-Bench-301 surrogate (Pfisterer, Schneider et al., AutoML-Conf 2022), fitted on
  the NAS-Bench-301 training data (Siems et al.): slds-lmu/yahpo_data, `nb301/new_model.onnx` and
  `nb301/encoding.json` at commit 615ae3b14ab6e693edffb8fc5b20f07abd7b65a8.
- 725 DARTS-space cells measured in NAS-Bench-301: automl/NASLib, `naslib/data/zc_nasbench301.json`
  at an early version (blob 4487b7ba).

Outputs, in nascourse/:

    nb301_surrogate.onnx  the surrogate, unchanged but for its declared batch size: the exported graph
                          says (1, 34) -> (1, 2) although every node works row by row, so the
                          inputs' and output's first dimension becomes the free name "batch" and
                          onnxruntime takes any number of rows in one call. Checked here: on the
                          725 cells at four epochs, the batched predictions equal the original
                          model's, run one row a call, to the bit.
    nb301_encoding.json   the surrogate's category codes, copied unchanged.
    nb301_cells.json      per measured cell its NASLib index, its cells in NASLib's compact form
                          and its validation accuracy (%); the zero-cost scores are left out.
    NB301_NOTICE          where the three files come from, what was changed, and both licences.

Needs the `onnx` package (pip install onnx) besides nascourse's own dependencies. Running the
script twice writes the same bytes. Usage:

    python scripts/make_nb301_data.py [SOURCE_DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / ".." / "shared" / "data" / "nb301"
PACKAGE = REPO / "nascourse"
N_CELLS = 725

SURROGATE = "yahpo-nb301-surrogate.onnx"
ENCODING = "yahpo-nb301-encoding.json"
CELLS = "naslib-nb301-725-cells.json"
LICENCES = ("LICENSE-yahpo-Apache-2.0.txt", "LICENSE-naslib-Apache-2.0.txt")

NOTICE_HEAD = """\
NAS-Bench-301 data shipped with nascourse
=========================================

nascourse itself is under the MIT licence. The three files below are derived from two works under
the Apache License, Version 2.0, whose full texts follow. They are read by nascourse/nb301.py and
made by scripts/make_nb301_data.py.

nb301_surrogate.onnx, nb301_encoding.json
    From YAHPO Gym (Pfisterer, Schneider, Moosbauer, Binder and Bischl, "YAHPO Gym: an efficient
    multi-objective multi-fidelity benchmark for hyperparameter optimization", AutoML-Conf 2022),
    repository slds-lmu/yahpo_data, files nb301/new_model.onnx and nb301/encoding.json at commit
    615ae3b14ab6e693edffb8fc5b20f07abd7b65a8. A surrogate model fitted on the training data of
    NAS-Bench-301 (Siems, Zimmer, Zela, Lukasik, Keuper and Hutter, "NAS-Bench-301 and the case
    for surrogate benchmarks for neural architecture search", 2020).
    Changed: in nb301_surrogate.onnx the first dimension of the inputs and of the output was
    declared as 1 and is now the free name "batch"; the weights and the graph's nodes are as
    published. nb301_encoding.json is unchanged.

nb301_cells.json
    From NASLib (AutoML Freiburg and contributors), repository automl/NASLib, file
    naslib/data/zc_nasbench301.json (blob 4487b7ba): 725 cells of the DARTS search space with
    their CIFAR-10 validation accuracy measured by NAS-Bench-301.
    Changed: only each cell's index, architecture and val_accuracy are kept (the zero-cost scores
    are left out), in another JSON layout.

"""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a package file is world-readable
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _source(source: Path, name: str) -> Path:
    path = source / name
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: pass the folder that holds the NAS-Bench-301 files as the "
                                f"first argument (default {DEFAULT_SOURCE})")
    return path


def batch_free_model(path: Path) -> bytes:
    """The surrogate with its inputs' and output's first dimension renamed from 1 to "batch"."""
    try:
        import onnx
    except ImportError:
        raise SystemExit("this script edits the ONNX graph's declared shapes: pip install onnx") from None
    model = onnx.load(str(path))
    ports = list(model.graph.input) + list(model.graph.output)
    if [p.name for p in model.graph.input] != ["x_cat", "x_cont"] or len(model.graph.output) != 1:
        raise ValueError(f"{path}: expected inputs x_cat, x_cont and one output")
    for port in ports:
        first = port.type.tensor_type.shape.dim[0]
        if first.dim_value != 1:
            raise ValueError(f"{path}: {port.name}'s first dimension is {first}, expected 1")
        first.Clear()
        first.dim_param = "batch"
    onnx.checker.check_model(model)
    return model.SerializeToString()


def cells_table(path: Path) -> dict:
    """The 725 measured cells as {"ops": [...], "cells": [{"idx", "normal", "reduce", "val_accuracy"}]}."""
    import ast

    from nascourse.nb301 import NASLIB_OPS

    raw = json.loads(path.read_text())["cifar10"]
    cells = []
    for key, entry in raw.items():
        arch = ast.literal_eval(entry["arch"])  # [[(input, op index) x 8], [... x 8]]: literals only
        if key != entry["arch"] or len(arch) != 2 or any(len(c) != 8 for c in arch):
            raise ValueError(f"{path}: cell {entry['idx']} is not 2 lists of 8 (input, op) pairs")
        val = float(entry["val_accuracy"])
        if not 0 < val < 100:
            raise ValueError(f"{path}: cell {entry['idx']} has val_accuracy {val}, expected a percentage")
        cells.append({"idx": int(entry["idx"]), "normal": [list(p) for p in arch[0]],
                      "reduce": [list(p) for p in arch[1]], "val_accuracy": val})
    cells.sort(key=lambda c: c["idx"])
    if len(cells) != N_CELLS or len({c["idx"] for c in cells}) != N_CELLS:
        raise ValueError(f"{path}: expected {N_CELLS} distinct cells, found {len(cells)}")
    return {"ops": list(NASLIB_OPS), "cells": cells}


def dump_cells(table: dict) -> bytes:
    """JSON with one cell a line, so that a diff of the file reads cell by cell."""
    lines = [json.dumps(c, separators=(", ", ": ")) for c in table["cells"]]
    return ('{"ops": ' + json.dumps(table["ops"]) + ',\n "cells": [\n  ' + ",\n  ".join(lines) + "\n]}\n").encode()


def check_batched(original: Path, batched: bytes, table: dict) -> None:
    """The batch-free model gives the original model's predictions, row for row, to the bit."""
    import onnxruntime as ort

    from nascourse import nb301

    codes = np.stack([nb301.encode(nb301.from_naslib([c["normal"], c["reduce"]])) for c in table["cells"]])
    epochs = np.array([1, 12, 50, 98], dtype=np.float32)
    x_cat = np.repeat(codes, len(epochs), axis=0)  # (725 * 4, 34)
    x_cont = np.tile(epochs, len(codes))[:, None]  # (725 * 4, 1)
    one = ort.InferenceSession(str(original), providers=["CPUExecutionProvider"])
    many = ort.InferenceSession(batched, providers=["CPUExecutionProvider"])
    rows = np.concatenate([one.run(None, {"x_cat": x_cat[i:i + 1], "x_cont": x_cont[i:i + 1]})[0]
                           for i in range(len(x_cat))])
    together = many.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
    if not np.array_equal(rows, together):
        raise ValueError(f"the batched model differs from the original by up to {np.abs(rows - together).max()}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE,
                   help=f"folder with {SURROGATE}, {ENCODING}, {CELLS} and the licences")
    args = p.parse_args(argv)
    paths = {name: _source(args.source, name) for name in (SURROGATE, ENCODING, CELLS, *LICENCES)}

    encoding = paths[ENCODING].read_bytes()
    write_atomic(PACKAGE / "nb301_encoding.json", encoding)  # first: nb301.encode reads it below
    table = cells_table(paths[CELLS])
    write_atomic(PACKAGE / "nb301_cells.json", dump_cells(table))
    model = batch_free_model(paths[SURROGATE])
    check_batched(paths[SURROGATE], model, table)
    write_atomic(PACKAGE / "nb301_surrogate.onnx", model)
    notice = NOTICE_HEAD + "".join(f"\n---------- {name} ----------\n\n" + paths[name].read_text().strip("\n") + "\n"
                                   for name in LICENCES)
    write_atomic(PACKAGE / "NB301_NOTICE", notice.encode())
    for name in ("nb301_surrogate.onnx", "nb301_encoding.json", "nb301_cells.json", "NB301_NOTICE"):
        print(f"wrote nascourse/{name} ({(PACKAGE / name).stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
