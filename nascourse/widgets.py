"""ipywidgets front ends: a cell builder that redraws a cell and its width and depth as you edit it.

`cell_builder(genotype, cell)` shows one DARTS-space cell (a genotype's normal or reduction list,
Liu et al., ICLR 2019) as rows of dropdowns, one row per intermediate node: ``node i = op(input) +
op(input)``. Each change redraws the cell with `plot.draw_cell` and prints its width and depth as
Shu, Wang & Cai (ICLR 2020) define them (see ``genotypes.cell_width_depth``), so a student can
feel how rewiring one edge moves a cell between wide-and-shallow and narrow-and-deep. Used in
lesson 01.

The widget does no computation of its own: nbval, which runs the lessons as tests, never fires
widget callbacks, so everything the widget shows must come from functions tested on their own.
It only calls plain, tested functions: `input_options` (which nodes a node may read),
`replace_edge` (a new cell list with one entry changed) and `describe_cell` (the text).
The current cell is the builder's ``cell`` attribute; ``genotype()`` returns the whole genotype.
"""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
from matplotlib.figure import Figure

from . import plot
from .genotypes import DARTS_V2, Genotype, check_cell, as_genotype, cell_width_depth
from .ops import DARTS_OPS

_INPUT_NAMES = {0: "c_{k-2}", 1: "c_{k-1}"}


def input_options(node: int) -> list[tuple[str, int]]:
    """Dropdown options (label, index) for an input of intermediate node ``node`` (>= 2).

    Node i may read the two cell inputs (0 = c_{k-2}, 1 = c_{k-1}) and the nodes 2 .. i-1 before
    it, never itself or a later node: that is what keeps a cell a DAG.
    """
    if node < 2:
        raise ValueError(f"node {node} is a cell input; intermediate nodes are numbered from 2")
    return [(_INPUT_NAMES.get(j, f"node {j}"), j) for j in range(node)]


def replace_edge(cell: list[tuple[str, int]], k: int, op: str | None = None,
                 input: int | None = None) -> list[tuple[str, int]]:
    """A copy of ``cell`` with entry k's operation and/or input replaced; entry k feeds node k//2 + 2.

    Raises ValueError (naming the allowed inputs) if the new input is not an earlier node.
    """
    if not 0 <= k < len(cell):
        raise ValueError(f"entry {k} does not exist: this cell has entries 0..{len(cell) - 1}")
    old_op, old_input = cell[k]
    new = list(cell)
    new[k] = (old_op if op is None else op, old_input if input is None else int(input))
    node = k // 2 + 2
    if not 0 <= new[k][1] < node:
        raise ValueError(f"node {node} can only read inputs 0..{node - 1}, not {new[k][1]}")
    return new


def describe_cell(cell: list[tuple[str, int]], concat: list[int]) -> str:
    """'width 3.5c, depth 3' (Shu, Wang & Cai, ICLR 2020), plus a note for what the DARTS space would not allow.

    DARTS keeps two *different* inputs per node (Liu et al., ICLR 2019, section 2.4); Shu et al.'s
    random wirings and NASNet-space cells may read one node twice, so such a cell is described, with a note.
    """
    width, depth = cell_width_depth(cell, concat)
    text = f"width {width:g}c, depth {depth}"
    twice = [k // 2 + 2 for k in range(0, len(cell), 2) if cell[k][1] == cell[k + 1][1]]
    if twice:
        nodes = ", ".join(map(str, twice))
        text += (f" (node{'s' if len(twice) > 1 else ''} {nodes} read{'' if len(twice) > 1 else 's'} "
                 "one node twice: not a DARTS-space cell, where a node reads two different nodes)")
    return text


def cell_png(cell: list[tuple[str, int]], concat: list[int], title: str | None = None,
             figsize=(6.0, 4.5), dpi: int = 100) -> bytes:
    """The cell drawn by `plot.draw_cell`, with the caption that says what width and depth mean, as PNG
    bytes (a bare Figure: pyplot never sees it)."""
    fig = Figure(figsize=figsize)
    plot.draw_cell(cell, concat, title=title, ax=fig.add_subplot(), caption=True)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")  # tight: keep the legend and caption below
    return buf.getvalue()


class CellBuilder(widgets.VBox):
    """A VBox: one row of dropdowns per node, a line of text, and an Output with the drawn cell.

    Attributes: ``cell`` (the current list of (op, input) pairs), ``concat``, ``op_dropdowns``
    and ``input_dropdowns`` (one per cell entry, in cell order), ``text`` (an HTML widget with
    `describe_cell`'s text) and ``output`` (the drawing). Set a dropdown's ``value`` to edit the
    cell from code; an input dropdown only offers the nodes that entry's node may read.
    """

    def __init__(self, genotype: Genotype | str = DARTS_V2, cell: str = "normal", ops: list[str] | None = None,
                 draw: bool = True):
        super().__init__()
        if cell not in ("normal", "reduce"):
            raise ValueError(f"cell={cell!r}; expected 'normal' or 'reduce'")
        genotype = as_genotype(genotype)  # its string form works too
        self.which = cell
        self.name = "normal cell" if cell == "normal" else "reduction cell"
        self.genotype_in = genotype
        self.cell = [(str(op), int(j)) for op, j in getattr(genotype, cell)]
        self.concat = [int(m) for m in getattr(genotype, cell + "_concat")]
        check_cell(self.cell, self.concat, None, cell)
        # the DARTS operations a genotype can hold (never 'none'), plus any other op this cell uses
        ops = [o for o in (DARTS_OPS if ops is None else ops) if o != "none"]
        ops += sorted({op for op, _ in self.cell} - set(ops))
        self.draw = draw
        self.op_dropdowns, self.input_dropdowns, rows = [], [], []
        small = widgets.Layout(width="140px")
        for i in range(len(self.cell) // 2):
            node = i + 2
            row = [widgets.HTML(f"<b>node {node}</b> =", layout=widgets.Layout(width="70px"))]
            for k in (2 * i, 2 * i + 1):
                op, j = self.cell[k]
                op_dd = widgets.Dropdown(options=ops, value=op, layout=small)
                in_dd = widgets.Dropdown(options=input_options(node), value=j, layout=widgets.Layout(width="100px"))
                op_dd.observe(lambda change, k=k: self._edit(k, op=change["new"]), names="value")
                in_dd.observe(lambda change, k=k: self._edit(k, input=change["new"]), names="value")
                self.op_dropdowns.append(op_dd)
                self.input_dropdowns.append(in_dd)
                row += [op_dd, widgets.HTML("("), in_dd, widgets.HTML(")" if k % 2 else ") +")]
            rows.append(widgets.HBox(row))
        self.text = widgets.HTML()
        self.output = widgets.Output()
        self.children = (*rows, self.text, self.output)
        self.redraw()

    def _edit(self, k: int, op: str | None = None, input: int | None = None) -> None:
        """Dropdown callback: replace entry k, then redraw."""
        self.cell = replace_edge(self.cell, k, op=op, input=input)
        self.redraw()

    def redraw(self) -> None:
        """Show `describe_cell`'s text and, if ``draw``, the drawn cell (replacing the old drawing)."""
        self.text.value = f"<b>{self.name}:</b> {describe_cell(self.cell, self.concat)}"
        if self.draw:
            png = cell_png(self.cell, self.concat, title=self.name)
            # set the Output's content directly (a notebook display_data message, PNG in base64):
            # no output capture, so nothing leaks into the notebook cell that shows the builder
            image = {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"<{self.name}>"}
            self.output.outputs = ({"output_type": "display_data", "data": image, "metadata": {}},)

    def __repr__(self) -> str:  # the text a notebook shows where widgets do not render (e.g. on GitHub)
        return f"CellBuilder({self.name}: {describe_cell(self.cell, self.concat)}; run the notebook to edit it)"

    def genotype(self) -> Genotype:
        """The starting genotype with the edited cell in place of the original one."""
        return self.genotype_in._replace(**{self.which: list(self.cell)})


def cell_builder(genotype: Genotype | str = DARTS_V2, cell: str = "normal", ops: list[str] | None = None,
                 draw: bool = True) -> CellBuilder:
    """An interactive editor of ``genotype``'s ``cell`` ('normal' or 'reduce'); display it in a notebook.

    ``genotype`` is a Genotype or its string form (``genotypes.as_genotype``).

    ``ops``: the operations the op dropdowns offer (default: the DARTS operations except 'none';
    any other op the cell uses is added). ``draw=False`` skips the drawing (text only).
    """
    return CellBuilder(genotype, cell, ops, draw)
