"""NAS-Bench-301 ground truth for the DARTS space: a surrogate's predicted accuracy of any cell.

The DARTS space holds about 10^18 cells, too many to train, so no table like NAS-Bench-201's can
list them. NAS-Bench-301 (Siems et al., "NAS-Bench-301 and the case for surrogate benchmarks for
neural architecture search", 2020) trained about 60,000 of them on CIFAR-10 (32 channels, 8 cells,
100 epochs) and fitted models that predict the rest. This module runs one such model: YAHPO Gym's
NAS-Bench-301 surrogate (Pfisterer, Schneider et al., AutoML-Conf 2022), a small network fitted
on NAS-Bench-301's training data that predicts a cell's CIFAR-10 validation accuracy (%) after
any epoch from 1 to 98 of that training, so it also gives a learning curve.

How a genotype becomes the surrogate's input (:func:`encode`, NAS-Bench-301's configuration
space): each cell has 14 possible edges, numbered node by node, node 2's edges 0-1 (from inputs
0, 1), node 3's edges 2-4 (from 0, 1, 2), node 4's 5-8, node 5's 9-13, so the pair (op, j) of
node m sits on edge ``first[m] + j``, with ``first = {2: 0, 3: 2, 4: 5, 5: 9}``. Each edge holds its
operation, or ``#na#`` if unused; nodes 3, 4, 5 also name their two inputs, ``"0_2"``. These 34
categories (14 + 14 edges, 3 + 3 input pairs) are looked up in the surrogate's encoding file
(``nb301_encoding.json``). What NAS-Bench-301 cannot represent is refused with the reason: the
``none`` operation or one outside its seven, a node reading one input twice (one edge cannot hold
two operations), a cell with other than 4 intermediate nodes (ENAS's and NASNet's have 5) or with
other than all four concatenated.

How far to trust it (:func:`validate`): on 725 cells whose accuracy NAS-Bench-301 measured (from
NASLib), the prediction at epoch 98 ranks them with Spearman 0.905 and Kendall 0.734. Those cells
are most likely among the surrogate's own training data, so this is an in-sample check: on unseen
cells expect less. A surrogate is a model, not a measurement: on every one of the 725 cells it
predicts more than was measured, by 1.3 points on average (1.6 or less for 90% of them), an
offset that a ranking ignores but a comparison with a measured accuracy does not.

Speed: the exported model declared a batch of one row; the packaged copy
(``scripts/make_nb301_data.py``) only frees that dimension, so :func:`predict` sends 2,048 rows a
call to onnxruntime instead of one. Measured on 2 CPU cores shared with other work: 1,000
genotypes x 98 epochs (whole learning curves) in 1.2 to 4.8 s, about 200 to 850 genotypes a
second with onnxruntime's default threads, depending on the load. One row a call, as the original
model takes them, costs 1.3 ms a row: 2 minutes for the same curves.

Why onnxruntime is a core dependency, not part of the ``lessons`` extra: every DARTS-space search
records the prediction for its cell (``history.nb301_predictions``), and a Colab lesson installs
nascourse without extras. Its wheels cover the platforms and Pythons that PyTorch's do (Linux,
macOS, Windows; CPython 3.10-3.14). If it is missing all the same, the first prediction asked for
raises an ImportError that says ``pip install onnxruntime``; importing this module never does.

The data ship with the package, under the Apache License 2.0 (``NB301_NOTICE``). Lessons on the
DARTS space score a search's cell with it; ``nascourse search --space darts`` prints its prediction.

    >>> from nascourse.genotypes import DARTS_V2
    >>> predict(DARTS_V2, epochs=[12, 98]).round(1)  # (1 genotype, 2 epochs): validation accuracy, %
    array([[78.7, 95.5]])
"""

from __future__ import annotations

import ast
import functools
import importlib.resources
import json

import numpy as np

from .genotypes import Genotype, as_genotype, check_genotype

#: NASLib's operation order; its compact form of a DARTS cell pairs an input with an index into this tuple.
NASLIB_OPS = ("max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5",
              "dil_conv_3x3", "dil_conv_5x5")
#: The epochs the surrogate predicts (NAS-Bench-301 trained for 100).
EPOCHS = range(1, 99)
NODES = (2, 3, 4, 5)  # the intermediate nodes; 0 and 1 are the cell's inputs c_{k-2}, c_{k-1}
FIRST_EDGE = {2: 0, 3: 2, 4: 5, 5: 9}  # node m's edge from input j is FIRST_EDGE[m] + j
N_EDGES = 14
_PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"
#: The surrogate's 34 categorical inputs in its order (the edges of each cell, then nodes 3-5's input pairs).
COLUMNS = tuple([f"{_PREFIX}edge_{cell}_{e}" for cell in ("normal", "reduce") for e in range(N_EDGES)]
                + [f"{_PREFIX}inputs_node_{cell}_{m}" for cell in ("normal", "reduce") for m in NODES[1:]])
UNUSED = "#na#"  # the value of an edge no node uses (code 0)
_ROWS_PER_CALL = 2048  # rows per onnxruntime call: (2048, 512) float32 activations, 4 MB


# ------ Package data ---------------------------------------------------------------------------------

def _read(name: str) -> bytes:
    try:
        return importlib.resources.files("nascourse").joinpath(name).read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"nascourse/{name} is missing from the installed package: reinstall nascourse "
                                "(pip install .), or rebuild it with `python scripts/make_nb301_data.py`") from None


@functools.lru_cache(maxsize=1)
def _codes() -> dict[str, dict[str, int]]:
    codes = json.loads(_read("nb301_encoding.json"))  # {column: {value: code}}
    if set(codes) != set(COLUMNS) or any(codes[c].get(UNUSED) != 0 for c in COLUMNS):
        raise ValueError("nb301_encoding.json does not hold the surrogate's 34 columns with '#na#' = 0; "
                         "rebuild it with `python scripts/make_nb301_data.py`")
    return codes


def available() -> bool:
    """Whether onnxruntime can be imported, so that :func:`predict` can run."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _session():
    try:
        import onnxruntime as ort
    except ImportError:
        raise ImportError("NAS-Bench-301 predictions run the surrogate with onnxruntime, which is not installed: "
                          "pip install onnxruntime (a dependency of nascourse, so reinstalling nascourse also "
                          "installs it)") from None
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    # idle threads sleep instead of spinning: between two calls a search trains with PyTorch's threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(_read("nb301_surrogate.onnx"), options, providers=["CPUExecutionProvider"])


# ------ Genotype -> the surrogate's 34 codes -------------------------------------------------------

def _cell_values(cell: list, concat: list, name: str) -> dict[str, str]:
    """One cell's 14 edge values and 3 input pairs, keyed by column name; refuses what NB301 lacks."""
    if len(cell) != 2 * len(NODES):
        raise ValueError(f"{name} has {len(cell) // 2} intermediate nodes ({len(cell)} (op, input) pairs); "
                         f"NAS-Bench-301's cells have 4, as DARTS's (8 pairs): cells with another number of "
                         "nodes, such as ENAS's or NASNet's 5, are outside its space")
    if sorted(concat) != list(NODES):
        raise ValueError(f"{name}_concat = {list(concat)}: NAS-Bench-301 concatenates all four intermediate "
                         f"nodes, {list(NODES)}, into the cell's output")
    values = {}
    for k, m in enumerate(NODES):
        (op_a, a), (op_b, b) = cell[2 * k], cell[2 * k + 1]
        for i, op in ((2 * k, op_a), (2 * k + 1, op_b)):
            if op == "none":
                raise ValueError(f"{name}[{i}] = {tuple(cell[i])}: NAS-Bench-301 has no 'none' operation (a node "
                                 f"always reads two inputs); its operations are {', '.join(NASLIB_OPS)}")
            if op not in NASLIB_OPS:
                raise ValueError(f"{name}[{i}] = {tuple(cell[i])}: {op!r} is not one of NAS-Bench-301's operations, "
                                 f"{', '.join(NASLIB_OPS)}")
        if a == b:
            raise ValueError(f"{name}[{2 * k}:{2 * k + 2}]: node {m} reads input {a} twice; NAS-Bench-301 gives "
                             f"each node two different inputs, one edge each (edge {FIRST_EDGE[m] + a} cannot "
                             f"hold both {op_a} and {op_b})")
        values[f"{_PREFIX}edge_{name}_{FIRST_EDGE[m] + a}"] = op_a
        values[f"{_PREFIX}edge_{name}_{FIRST_EDGE[m] + b}"] = op_b
        if m > 2:  # node 2 has only inputs 0 and 1: no choice to record
            values[f"{_PREFIX}inputs_node_{name}_{m}"] = f"{min(a, b)}_{max(a, b)}"
    return values


def encode(genotype: Genotype | str) -> np.ndarray:
    """The surrogate's categorical input for ``genotype``: (34,) int32 codes in ``COLUMNS`` order.

    Entries 0-13 are the normal cell's edges, 14-27 the reduction cell's (0 = unused edge), 28-30
    the input pairs of the normal cell's nodes 3, 4, 5 and 31-33 the reduction cell's. Raises a
    ValueError naming the part of the genotype that NAS-Bench-301 cannot represent, and why.
    """
    genotype = as_genotype(genotype)
    check_genotype(genotype, ops=None)  # well formed; the operations are checked below
    values = {**_cell_values(genotype.normal, genotype.normal_concat, "normal"),
              **_cell_values(genotype.reduce, genotype.reduce_concat, "reduce")}
    codes = _codes()
    return np.array([codes[c][values.get(c, UNUSED)] for c in COLUMNS], dtype=np.int32)


def _epochs(epochs) -> np.ndarray:
    listed = [epochs] if np.ndim(epochs) == 0 else list(epochs)
    for e in listed:
        whole = isinstance(e, (int, np.integer, float, np.floating)) and not isinstance(e, bool) and e == round(e)
        if not (whole and EPOCHS.start <= e < EPOCHS.stop):
            raise ValueError(f"epoch {e!r}: the surrogate predicts whole epochs {EPOCHS.start} to {EPOCHS.stop - 1} "
                             "of NAS-Bench-301's 100-epoch training")
    return np.array(listed, dtype=np.float32)


# ------ Predictions ----------------------------------------------------------------------------------

def predict(genotypes: Genotype | str | list, epochs: int | list[int] | range = 98) -> np.ndarray:
    """Predicted CIFAR-10 validation accuracy (%) of each genotype after each epoch: (G, E) float64.

    ``genotypes``: one Genotype or its string, or a sequence of them (G of them; one counts as
    G = 1). ``epochs``: one whole epoch in 1..98 or a sequence of E. All G * E rows go to the
    surrogate in a few calls. Raises ValueError for a genotype NAS-Bench-301 cannot represent
    (see :func:`encode`) and ImportError, saying what to install, without onnxruntime.
    """
    one = isinstance(genotypes, (Genotype, str))
    genotypes = [genotypes] if one else list(genotypes)
    x_cont_e = _epochs(epochs)  # (E,)
    codes = np.empty((len(genotypes), len(COLUMNS)), dtype=np.int32)  # (G, 34)
    for i, g in enumerate(genotypes):
        try:
            codes[i] = encode(g)
        except (ValueError, TypeError) as e:
            if one:
                raise
            raise type(e)(f"genotypes[{i}]: {e}") from None
    session = _session()
    x_cat = np.repeat(codes, len(x_cont_e), axis=0)  # (G * E, 34): each genotype's row once per epoch
    x_cont = np.tile(x_cont_e, len(codes))[:, None]  # (G * E, 1): the epochs, again per genotype
    out = np.empty(len(x_cat))
    for start in range(0, len(x_cat), _ROWS_PER_CALL):
        rows = slice(start, start + _ROWS_PER_CALL)
        # output (rows, 2): validation accuracy in %, runtime in seconds
        out[rows] = session.run(None, {"x_cat": x_cat[rows], "x_cont": x_cont[rows]})[0][:, 0]
    return out.reshape(len(codes), len(x_cont_e))


# ------ The 725 measured cells and the check against them ---------------------------------------------

def from_naslib(arch: list | str) -> Genotype:
    """A Genotype from NASLib's compact form: [normal, reduce], each 8 (input, op index) pairs.

    Op indexes go into ``NASLIB_OPS``; both cells concatenate nodes 2-5. ``arch`` may also be the
    form's string, as NASLib's JSON files key their cells.
    """
    if isinstance(arch, str):
        arch = ast.literal_eval(arch)
    cells = []
    for name, cell in zip(("normal", "reduce"), arch):
        if len(cell) != 8 or any(len(p) != 2 or not 0 <= p[1] < len(NASLIB_OPS) for p in cell):
            raise ValueError(f"{name} = {cell!r}: expected 8 pairs (input, op index 0..{len(NASLIB_OPS) - 1})")
        cells.append([(NASLIB_OPS[op], int(j)) for j, op in cell])
    if len(cells) != 2:
        raise ValueError(f"expected [normal, reduce] in NASLib's compact form, got {len(cells)} cell(s)")
    return Genotype(cells[0], list(NODES), cells[1], list(NODES))


@functools.lru_cache(maxsize=1)
def _measured() -> tuple[tuple[Genotype, ...], np.ndarray]:
    table = json.loads(_read("nb301_cells.json"))
    if table["ops"] != list(NASLIB_OPS):
        raise ValueError("nb301_cells.json lists other operations than NASLIB_OPS; rebuild it with "
                         "`python scripts/make_nb301_data.py`")
    genotypes = tuple(from_naslib([c["normal"], c["reduce"]]) for c in table["cells"])
    accuracy = np.array([c["val_accuracy"] for c in table["cells"]])
    accuracy.flags.writeable = False
    return genotypes, accuracy


def measured_cells() -> tuple[list[Genotype], np.ndarray]:
    """The 725 cells NAS-Bench-301 trained (from NASLib), with their validation accuracy (%) after
    its 100-epoch training: (list of 725 Genotypes, (725,) float64, read-only), in NASLib's index order."""
    genotypes, accuracy = _measured()
    return list(genotypes), accuracy


def validate(epoch: int = 98, n_boot: int = 2000, seed: int = 0) -> dict:
    """How well the surrogate ranks the 725 measured cells: an in-sample check.

    Returns ``{"epoch", "n", "spearman", "kendall", "predicted", "measured"}``: the two rank
    correlations (``stats.Correlation``, with BCa intervals over ``n_boot`` resampled cells) of the
    prediction at ``epoch`` with the measured accuracy, and both (725,) arrays. At epoch 98:
    Spearman 0.905, Kendall 0.734. The cells are probably in the surrogate's training data, so
    the check shows the encoding is right and bounds, from above, how well it ranks new cells.
    """
    from .stats import kendall, spearman

    genotypes, measured = measured_cells()
    predicted = predict(genotypes, epoch)[:, 0]  # (725,)
    return {"epoch": epoch, "n": len(genotypes),
            "spearman": spearman(predicted, measured, n_boot=n_boot, seed=seed),
            "kendall": kendall(predicted, measured, n_boot=n_boot, seed=seed),
            "predicted": predicted, "measured": np.asarray(measured)}
