"""NAS-Bench-301 surrogate: the encoding against codes written out by hand, the batched predictions
against onnxruntime run one row a call on the original file, the 725 measured cells, refusals with
their reasons, a missing onnxruntime, and the package data in an installed wheel."""

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nascourse import nb301
from nascourse.genotypes import DARTS_V1, DARTS_V2, DARTS_PT, ENAS, NASNET, Genotype, genotype_to_str

REPO = Path(__file__).parents[1]
SOURCE = REPO / ".." / "shared" / "data" / "nb301"

# The surrogate's codes, copied by hand from its encoding file: operations alphabetically from 1
# (0 = unused edge), and each node's input pairs in lexicographic order from 1.
AVG, DIL3, DIL5, MAX, SEP3, SEP5, SKIP = 1, 2, 3, 4, 5, 6, 7
PAIRS = {3: ["0_1", "0_2", "1_2"],
         4: ["0_1", "0_2", "0_3", "1_2", "1_3", "2_3"],
         5: ["0_1", "0_2", "0_3", "0_4", "1_2", "1_3", "1_4", "2_3", "2_4", "3_4"]}
EDGES = {2: [0, 1], 3: [2, 3, 4], 4: [5, 6, 7, 8], 5: [9, 10, 11, 12, 13]}  # node m's edge from input j: EDGES[m][j]

# DARTS_V2, edge by edge (genotypes.py): normal node 2 reads 0, 1 (sep3, sep3); node 3 reads 0, 1 (sep3, sep3);
# node 4 reads 1 (sep3), 0 (skip); node 5 reads 0 (skip), 2 (dil3)
DARTS_V2_CODES = (
    [SEP3, SEP3, SEP3, SEP3, 0, SKIP, SEP3, 0, 0, SKIP, 0, DIL3, 0, 0]
    # reduce: node 2 max, max from 0, 1; node 3 skip from 2, max from 1; node 4 max from 0, skip from 2;
    # node 5 skip from 2, max from 1
    + [MAX, MAX, 0, MAX, SKIP, MAX, 0, SKIP, 0, 0, MAX, SKIP, 0, 0]
    + [1, 1, 2]  # normal: nodes 3, 4, 5 read 0_1, 0_1, 0_2
    + [3, 2, 5])  # reduce: 1_2, 0_2, 1_2

# Every operation in each cell, and inputs that reach every node.
ALL_OPS = Genotype(
    normal=[("max_pool_3x3", 1), ("avg_pool_3x3", 0), ("skip_connect", 2), ("sep_conv_3x3", 0),
            ("sep_conv_5x5", 3), ("dil_conv_3x3", 1), ("dil_conv_5x5", 4), ("max_pool_3x3", 2)],
    normal_concat=[2, 3, 4, 5],
    reduce=[("dil_conv_5x5", 0), ("dil_conv_3x3", 1), ("sep_conv_5x5", 1), ("skip_connect", 2),
            ("avg_pool_3x3", 2), ("sep_conv_3x3", 3), ("max_pool_3x3", 3), ("avg_pool_3x3", 4)],
    reduce_concat=[2, 3, 4, 5])
ALL_OPS_CODES = (
    [AVG, MAX, SEP3, 0, SKIP, 0, DIL3, 0, SEP5, 0, 0, MAX, 0, DIL5]
    + [DIL5, DIL3, 0, SEP5, SKIP, 0, 0, AVG, SEP3, 0, 0, 0, MAX, AVG]
    + [2, 5, 9]  # normal: 0_2, 1_3, 2_4
    + [3, 6, 10])  # reduce: 1_2, 2_3, 3_4


# ------ Encoding ---------------------------------------------------------------------------------

@pytest.mark.parametrize("genotype, codes", [(DARTS_V2, DARTS_V2_CODES), (ALL_OPS, ALL_OPS_CODES)])
def test_encoding_by_hand(genotype, codes):
    assert nb301.encode(genotype).tolist() == codes
    assert nb301.encode(genotype_to_str(genotype)).tolist() == codes
    swapped = Genotype(*[[p for k in range(0, 8, 2) for p in (cell[k + 1], cell[k])] if i in (0, 2) else cell
                         for i, cell in enumerate(genotype)])
    assert nb301.encode(swapped).tolist() == codes  # a node's two entries in either order


@pytest.mark.parametrize("node", [3, 4, 5])
def test_every_input_pair_and_edge(node):
    base = [("sep_conv_3x3", 0), ("sep_conv_3x3", 1)] * 4  # every node reads 0 and 1
    for code, pair in enumerate(PAIRS[node], start=1):
        a, b = map(int, pair.split("_"))
        cell = list(base)
        cell[2 * (node - 2)], cell[2 * (node - 2) + 1] = ("dil_conv_5x5", b), ("avg_pool_3x3", a)
        codes = nb301.encode(Genotype(cell, [2, 3, 4, 5], base, [2, 3, 4, 5])).tolist()
        assert codes[28 + node - 3] == code and codes[31 + node - 3] == 1  # the reduce cell reads 0_1
        edges = codes[:14]
        assert edges[EDGES[node][a]] == AVG and edges[EDGES[node][b]] == DIL5
        assert sum(e != 0 for e in edges) == 8


def test_from_naslib():
    arch = [[(0, 0), (1, 5), (1, 1), (0, 1), (1, 3), (0, 3), (1, 3), (3, 2)],
            [(1, 0), (0, 2), (1, 3), (0, 3), (3, 0), (0, 1), (2, 0), (3, 6)]]
    g = nb301.from_naslib(arch)
    assert g.normal[:2] == [("max_pool_3x3", 0), ("dil_conv_3x3", 1)] and g.normal[7] == ("skip_connect", 3)
    assert g.reduce[7] == ("dil_conv_5x5", 3) and g.normal_concat == g.reduce_concat == [2, 3, 4, 5]
    assert nb301.from_naslib(str(arch)) == g
    with pytest.raises(ValueError, match="op index 0..6"):
        nb301.from_naslib([arch[0], arch[1][:7] + [(3, 7)]])


# ------ Refusals -------------------------------------------------------------------------------------

def _with(cell_entries, k, entry):
    cell = list(cell_entries)
    cell[k] = entry
    return cell


@pytest.mark.parametrize("genotype, message", [
    (DARTS_V2._replace(normal=_with(DARTS_V2.normal, 3, ("none", 1))), r"normal\[3\].*no 'none' operation"),
    (DARTS_V2._replace(reduce=_with(DARTS_V2.reduce, 6, ("sep_conv_7x7", 2))),
     r"reduce\[6\].*'sep_conv_7x7' is not one of NAS-Bench-301's operations"),
    (DARTS_V2._replace(normal=_with(DARTS_V2.normal, 5, ("skip_connect", 1))),
     r"normal\[4:6\]: node 4 reads input 1 twice.*edge 6 cannot hold both sep_conv_3x3 and skip_connect"),
    (ENAS, r"normal has 5 intermediate nodes.*ENAS's or NASNet's 5"),
    (NASNET, r"normal has 5 intermediate nodes"),
    (DARTS_V2._replace(reduce_concat=[4, 5]), r"reduce_concat = \[4, 5\]: NAS-Bench-301 concatenates all four"),
])
def test_refusals_name_the_part_and_why(genotype, message):
    with pytest.raises(ValueError, match=message):
        nb301.encode(genotype)
    with pytest.raises(ValueError, match=r"genotypes\[1\]: " + message):
        nb301.predict([DARTS_V2, genotype], 98)


@pytest.mark.parametrize("epochs", [0, 99, 12.5, [1, 100], True, "98"])
def test_epochs_outside_the_range(epochs):
    with pytest.raises(ValueError, match="whole epochs 1 to 98"):
        nb301.predict(DARTS_V2, epochs)


def test_not_a_genotype():
    with pytest.raises(TypeError, match="NAS-Bench-201 cell"):
        nb301.encode(["skip_connect"] * 6)
    with pytest.raises(ValueError, match="malformed genotype string"):
        nb301.predict("Genotype(normal=[", 98)


# ------ Predictions against onnxruntime, one row a call ----------------------------------------------

def _oracle_session():
    import onnxruntime as ort  # a dependency of nascourse

    original = SOURCE / "yahpo-nb301-surrogate.onnx"  # as published: batch of one row
    path = original if original.exists() else REPO / "nascourse" / "nb301_surrogate.onnx"
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def test_predictions_match_onnxruntime_row_by_row():
    session = _oracle_session()
    genotypes = [DARTS_V2, ALL_OPS, DARTS_V1, DARTS_PT[0]]
    codes = [DARTS_V2_CODES, ALL_OPS_CODES, nb301.encode(DARTS_V1), nb301.encode(DARTS_PT[0])]
    expected = np.array([[session.run(None, {"x_cat": np.array([c], dtype=np.int32),
                                             "x_cont": np.array([[e]], dtype=np.float32)})[0][0, 0]
                          for e in (1, 98)] for c in codes])
    got = nb301.predict(genotypes, [1, 98])
    assert got.shape == (4, 2) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-4)
    assert nb301.predict(DARTS_V2, 98).shape == (1, 1)
    assert nb301.predict([], [1, 98]).shape == (0, 2)
    assert nb301.predict(genotype_to_str(DARTS_V2), np.int64(98))[0, 0] == got[0, 1]


def test_many_rows_in_several_calls():
    # more rows than one call takes: the chunks must line up with the genotypes and epochs
    genotypes = [DARTS_V2, ALL_OPS] * 15
    got = nb301.predict(genotypes, nb301.EPOCHS)  # 30 * 98 = 2,940 rows, 2 calls
    assert got.shape == (30, 98)
    np.testing.assert_array_equal(got[::2], np.broadcast_to(got[0], (15, 98)))
    np.testing.assert_array_equal(got[1], nb301.predict(ALL_OPS, list(nb301.EPOCHS))[0])
    np.testing.assert_array_equal(got[0, [0, 97]], nb301.predict(DARTS_V2, [1, 98])[0])


# ------ The 725 measured cells ------------------------------------------------------------------------

def test_measured_cells_rank_check():
    check = nb301.validate(n_boot=200)
    assert check["n"] == 725 and check["epoch"] == 98
    assert check["spearman"].estimate >= 0.85
    # the figures the module's docstring and the README state
    assert round(check["spearman"].estimate, 3) == 0.905 and round(check["kendall"].estimate, 3) == 0.734


def test_median_curve_rises_with_the_epochs():
    genotypes, _ = nb301.measured_cells()
    curves = nb301.predict(genotypes, nb301.EPOCHS)  # (725, 98)
    median = np.median(curves, axis=0)
    assert np.all(np.diff(median) >= 0)
    assert median[0] < 50 and 90 < median[-1] < 97  # about 40% after one epoch, 94% after 98


@pytest.mark.skipif(not (SOURCE / "naslib-nb301-725-cells.json").exists(),
                    reason=f"the NAS-Bench-301 source files are not at {SOURCE}")
def test_packaged_data_match_the_sources():
    raw = json.loads((SOURCE / "naslib-nb301-725-cells.json").read_text())["cifar10"]
    genotypes, accuracy = nb301.measured_cells()
    source = sorted((int(v["idx"]), v["arch"], v["val_accuracy"]) for v in raw.values())
    assert [nb301.from_naslib(arch) for _, arch, _ in source] == genotypes
    assert [v for _, _, v in source] == accuracy.tolist()
    shipped = REPO / "nascourse" / "nb301_encoding.json"
    assert shipped.read_bytes() == (SOURCE / "yahpo-nb301-encoding.json").read_bytes()


def test_history_records_none_for_what_nb301_cannot_score():
    from nascourse.history import nb301_predictions

    twice = DARTS_V2._replace(normal=_with(DARTS_V2.normal, 5, ("skip_connect", 1)))  # as ENAS may sample
    got = nb301_predictions([DARTS_V2, twice, genotype_to_str(ALL_OPS)])
    expected = nb301.predict([DARTS_V2, ALL_OPS], [12, 98]).round(4).tolist()
    assert got == [dict(zip(("nb301_val_12", "nb301_val_98"), expected[0])),
                   {"nb301_val_12": None, "nb301_val_98": None},
                   dict(zip(("nb301_val_12", "nb301_val_98"), expected[1]))]
    assert nb301_predictions([]) == []


# ------ Without onnxruntime, and from an installed wheel -----------------------------------------------

def test_missing_onnxruntime_is_said_when_a_prediction_is_asked_for(monkeypatch):
    nb301._session.cache_clear()
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` now raises ImportError
    try:
        assert not nb301.available()
        assert nb301.encode(DARTS_V2).tolist() == DARTS_V2_CODES  # the encoding needs no runtime
        with pytest.raises(ImportError, match=r"pip install onnxruntime"):
            nb301.predict(DARTS_V2, 98)
    finally:
        nb301._session.cache_clear()
    monkeypatch.undo()
    assert nb301.available()


def test_package_data_in_an_installed_wheel(tmp_path):
    # build from a copy, so that the build's folders stay out of the working tree; about 15 s
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "nascourse", src / "nascourse", ignore=shutil.ignore_patterns("__pycache__"))
    run = dict(check=True, capture_output=True, text=True, timeout=300)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "wheel")], **run)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **run)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q",
                    *map(str, (tmp_path / "wheel").glob("nascourse-*.whl"))], **run)
    # torch, numpy and onnxruntime from this environment, behind the new one's own site-packages
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          **run).stdout.strip()
    paths = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "here.pth").write_text("\n".join(sorted(paths)) + "\n")
    probe = textwrap.dedent("""
        import importlib.resources, nascourse
        from nascourse import nb301
        from nascourse.genotypes import DARTS_V2
        files = importlib.resources.files("nascourse")
        print(nascourse.__file__)
        print(*[len(files.joinpath(n).read_bytes()) for n in
                ("nb301_surrogate.onnx", "nb301_encoding.json", "nb301_cells.json", "NB301_NOTICE")])
        print(nb301.predict(DARTS_V2, 98)[0, 0], len(nb301.measured_cells()[0]))
    """)
    out = subprocess.run([str(python), "-c", probe], cwd=tmp_path, **run).stdout.split("\n")
    assert out[0].startswith(str(venv))  # the installed copy, not the working tree
    assert [int(n) for n in out[1].split()] == [(REPO / "nascourse" / n).stat().st_size for n in
                                                ("nb301_surrogate.onnx", "nb301_encoding.json", "nb301_cells.json",
                                                 "NB301_NOTICE")]
    prediction, cells = out[2].split()
    assert float(prediction) == pytest.approx(nb301.predict(DARTS_V2, 98)[0, 0], abs=1e-4) and cells == "725"
