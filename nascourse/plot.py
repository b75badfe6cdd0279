"""Figures: cells as graphs, alpha as heatmaps, training curves, width and depth over a search.

`draw_cell` draws a DARTS-space cell (a genotype's cell list, Liu et al., ICLR 2019) as a DAG whose
intermediate nodes sit at x = their longest-path depth from the inputs, so the cell's width and
depth (Shu, Wang & Cai, ICLR 2020) can be read off the picture: a wide, shallow cell is a tall
column of nodes beside its inputs, a deep one a long chain; a caption says what the two mean.
`draw_nb201_cell` draws the NAS-Bench-201 cell (Dong & Yang, ICLR 2020, section 2.1).
`alpha_heatmap`, `alpha_over_epochs` and `alpha_over_epochs_cells` show softmax(alpha) on a
diverging colour scale centred on the uniform value ``1/|O|`` (white), so that only a real departure
from uniform shows as colour; `curves` and `LiveFigure` show histories. Each operation has one
colour in every lesson (`OP_COLORS`): parameter-free operations grey or light, convolutions strong.

Notebook-safe, because nbval compares a figure's text form and cannot compare a cleared output:
every new figure has an explicit ``figsize``; functions return the Figure (end a notebook cell with
``;`` or ``plt.show()`` so it shows once); live curves update one display handle and never clear
output. Used from lesson 01 on.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.ticker import MaxNLocator, MultipleLocator

# the softmax(alpha) figures live in alphaplot.py; plot.alpha_heatmap etc. stay the names lessons use
from .alphaplot import ALPHA_CMAP, alpha_heatmap, alpha_over_epochs, alpha_over_epochs_cells  # noqa: F401
# the operations' colours are alphaplot's too (its curves need them): plot.op_color is the same function
from .alphaplot import OP_COLORS, edge_labels_for, op_color  # noqa: F401
# convergence and landscape figures live in landscapeplot.py (lessons 04 and 05)
from .folders import disk_error, make_folder
from .landscapeplot import contour, curves_by_width, surface_lines, variance_surface  # noqa: F401
from .ops import DARTS_OPS, EVAL_ONLY_OPS, NB201_OPS

# Short edge labels in cell drawings; the legend gives the full names.
OP_SHORT = {
    "none": "none", "skip_connect": "skip", "max_pool_3x3": "max", "avg_pool_3x3": "avg",
    "sep_conv_3x3": "sep3", "sep_conv_5x5": "sep5", "sep_conv_7x7": "sep7", "dil_conv_3x3": "dil3",
    "dil_conv_5x5": "dil5", "conv_7x1_1x7": "7x1", "nor_conv_1x1": "conv1", "nor_conv_3x3": "conv3",
}
_OP_ORDER = DARTS_OPS + EVAL_ONLY_OPS + [o for o in NB201_OPS if o not in DARTS_OPS]
_NODE_COLORS = {"input": "#c1e1c1", "node": "#cfe2f3", "output": "#f3e8a6"}
_R = 0.22  # node radius in data units (nodes in a column are at least one unit apart)
_LABEL_BOX = dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.85)
# What the width and depth in a cell's title mean (Shu, Wang & Cai, ICLR 2020; genotypes.cell_width_depth).
WIDTH_DEPTH_CAPTION = (
    "width: total width of the nodes that read an input ($c_{k-2}$ or $c_{k-1}$), in units of c, the channels\n"
    "of one node: a node reading two inputs adds c, a node reading one input and one node adds c/2.\n"
    "depth: number of edges on the longest path from an input to the output $c_k$ (Shu, Wang & Cai, ICLR 2020).")


def _new_axes(ax, figsize):
    if ax is None:
        return plt.subplots(figsize=figsize)
    return ax.figure, ax


def _op_legend(where, names, concat=False, **kwargs):
    """Legend of operations (in the search spaces' order) on an Axes or a Figure."""
    names = sorted(set(names), key=lambda n: (_OP_ORDER.index(n) if n in _OP_ORDER else len(_OP_ORDER), n))
    handles = [Line2D([], [], color=op_color(n), lw=2.5, label=n) for n in names]
    if concat:
        handles.append(Line2D([], [], color="#9a9a9a", lw=1.2, ls="--", label="concat"))
    return where.legend(handles=handles, fontsize=7, frameon=False, **kwargs)


def _node(ax, xy, text, kind, fontsize=8):
    circle = Circle(xy, _R, fc=_NODE_COLORS[kind], ec="#333333", lw=1.0, zorder=3)
    ax.add_artist(circle)  # add_artist, not add_patch: limits are set by hand, and autoscaling is slow
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)
    return circle


def _edge(ax, a, b, ca, cb, rad, **style):
    # clipped by the node circles themselves, so arrows stay right if the axes are resized
    ax.add_artist(FancyArrowPatch(a, b, patchA=ca, patchB=cb, connectionstyle=f"arc3,rad={rad}",
                                  arrowstyle="-|>", mutation_scale=11, zorder=2, **style))


# ------ DARTS-space cells ----------------------------------------------------------------------

def check_cell(cell, concat):
    """Validate a cell list and its concat list; returns (steps, concat)."""
    if len(cell) == 0 or len(cell) % 2:
        raise ValueError(f"a cell needs two (op, input) pairs per intermediate node, got {len(cell)} entries")
    steps = len(cell) // 2
    for k, entry in enumerate(cell):
        if len(entry) != 2 or not 0 <= int(entry[1]) < k // 2 + 2:
            raise ValueError(f"cell entry {k} is {entry!r}; expected (op_name, input) with node {k // 2 + 2} "
                             f"reading one of 0..{k // 2 + 1}")
    concat = list(range(2, steps + 2)) if concat is None else [int(n) for n in concat]
    if not concat or any(not 2 <= n < steps + 2 for n in concat):
        raise ValueError(f"concat {concat} must list intermediate nodes 2..{steps + 1} of this {steps}-node cell")
    return steps, concat


def cell_layout(cell: list, concat: list | None = None) -> dict:
    """Positions {node: (x, y)} for drawing a DARTS-space cell; x is the node's depth.

    Keys: 0 and 1 (inputs c_{k-2}, c_{k-1}), 2..steps+1 (intermediate nodes, numbered as in the
    genotype) and ``"out"`` (the output c_k). Depth as Shu, Wang & Cai (ICLR 2020) count it: inputs
    0, a node 1 + max depth of its inputs, the output 1 + max depth of the concatenated nodes.
    In a column, nodes are sorted by the mean height of their inputs (fewer crossings), one unit
    apart and centred on y = 0. ``concat`` defaults to all intermediate nodes.
    """
    steps, concat = check_cell(cell, concat)
    preds = {i + 2: [int(j) for _, j in cell[2 * i:2 * i + 2]] for i in range(steps)}
    preds["out"] = concat
    depth = {0: 0, 1: 0}
    for node in range(2, steps + 2):
        depth[node] = 1 + max(depth[j] for j in preds[node])
    depth["out"] = 1 + max(depth[n] for n in concat)
    y = {0: 0.5, 1: -0.5}  # c_{k-2} above c_{k-1}
    columns = {}
    for node in list(range(2, steps + 2)) + ["out"]:
        columns.setdefault(depth[node], []).append(node)
    for d in sorted(columns):  # left to right, so every input already has a height
        column = sorted(columns[d], key=lambda n: -np.mean([y[j] for j in preds[n]]))  # stable
        for rank, node in enumerate(column):
            y[node] = (len(column) - 1) / 2 - rank
    return {node: (float(depth[node]), float(y[node])) for node in depth}


def _bezier(p0, p1, rad, t):
    """Points at parameters t on matplotlib's arc3 curve from p0 to p1 (equal aspect): (len(t), 2)."""
    p0, p1, t = np.asarray(p0), np.asarray(p1), np.asarray(t)[:, None]
    c = (p0 + p1) / 2 + rad * np.array([p1[1] - p0[1], p0[0] - p1[0]])  # arc3's control point
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * c + t ** 2 * p1


def _edge_rads(edges, pos):
    """Curvature per edge: straight if the line clears every other node, else the least bend that
    does; parallel edges between the same two nodes fan out around it."""
    t = np.linspace(0.08, 0.92, 25)
    groups = {}
    for k, (src, dst, _) in enumerate(edges):
        groups.setdefault((src, dst), []).append(k)
    rads = [0.0] * len(edges)
    for (src, dst), ks in groups.items():
        others = np.array([p for n, p in pos.items() if n not in (src, dst)])
        fan = [0.3 * (r - (len(ks) - 1) / 2) for r in range(len(ks))]
        for base in (0.0, 0.2, -0.2, 0.35, -0.35, 0.5, -0.5):
            if all(np.linalg.norm(_bezier(pos[src], pos[dst], base + f, t)[:, None] - others[None], axis=2).min()
                   > 1.6 * _R for f in fan):
                break
        for k, f in zip(ks, fan):
            rads[k] = base + f
    return rads


def _place_labels(curves, pos, w, h):
    """Greedy: on each curve take the first t whose w x h label box clears the nodes and the
    labels placed so far, else the t that comes closest to clearing them."""
    nodes, placed = np.array(list(pos.values())), []
    for p0, p1, rad in curves:
        best, best_score = None, -1.0
        for t in (0.55, 0.45, 0.64, 0.36, 0.72, 0.3):  # edges fan out towards their targets
            q = _bezier(p0, p1, rad, [t])[0]
            # box separations in units of the box: > 1 means no overlap
            score = np.maximum(abs(nodes[:, 0] - q[0]) / (_R + w / 2), abs(nodes[:, 1] - q[1]) / (_R + h / 2)).min()
            for r in placed:
                score = min(score, max(abs(q[0] - r[0]) / w, abs(q[1] - r[1]) / h))
            if score > best_score:
                best, best_score = q, score
            if score >= 1.0:
                break
        placed.append(best)
    return placed


def draw_cell(cell: list, concat: list | None = None, title: str | None = None, ax=None,
              show_width_depth: bool = True, legend: bool = True, figsize=(6.0, 4.5),
              caption: bool | None = None) -> Figure:
    """Draw a DARTS-space cell as a DAG: inputs left, nodes at x = depth, output c_k right.

    ``cell`` is a genotype's ``normal`` or ``reduce`` list (4 or 5 nodes), ``concat`` its
    ``*_concat`` list (default: every intermediate node). One arrow per cell entry, coloured by
    operation and labelled with its short name (``OP_SHORT``); one grey dashed arrow per
    concatenated node into c_k. The title adds width and depth (Shu, Wang & Cai, ICLR 2020) if
    ``show_width_depth``, and ``caption`` puts ``WIDTH_DEPTH_CAPTION``, which says what they mean,
    under the drawing (default: when width and depth are shown and ``ax`` is None, i.e. the cell
    has its own figure; a grid of cells drawn into given axes would repeat it in every panel).
    """
    steps, concat = check_cell(cell, concat)
    caption = show_width_depth and ax is None if caption is None else caption
    fig, ax = _new_axes(ax, figsize)
    layout = cell_layout(cell, concat)
    # stretch columns (dx) and rows (dy) so that the cell roughly fills the axes at equal aspect
    box = ax.get_position()
    axes_w, axes_h = box.width * fig.get_figwidth(), box.height * fig.get_figheight()  # inches
    depth = max(x for x, _ in layout.values())
    span = max(y for _, y in layout.values()) - min(y for _, y in layout.values())
    dx = float(np.clip((axes_w / axes_h * (span + 1.4) - 1.2) / depth, 1.2, 3.0))
    dy = float(np.clip(((depth * dx + 1.2) * axes_h / axes_w - 1.4) / span, 1.0, 1.5))
    pos = {n: (dx * x, dy * y) for n, (x, y) in layout.items()}
    names = {0: "$c_{k-2}$", 1: "$c_{k-1}$", "out": "$c_{k}$"}
    circles = {n: _node(ax, xy, names.get(n, str(n)), "input" if n in (0, 1) else "output" if n == "out"
                        else "node", 7.5 if n in names else 8) for n, xy in pos.items()}
    edges = [(int(j), k // 2 + 2, op) for k, (op, j) in enumerate(cell)] + [(n, "out", None) for n in concat]
    rads = _edge_rads(edges, pos)
    for (src, dst, op), rad in zip(edges, rads):
        style = dict(color=op_color(op), lw=1.8) if op else dict(color="#9a9a9a", lw=1.0, linestyle="--")
        _edge(ax, pos[src], pos[dst], circles[src], circles[dst], rad, **style)
    pts = np.concatenate([_bezier(pos[s], pos[d], r, np.linspace(0, 1, 11)) for (s, d, _), r in zip(edges, rads)])
    lo, hi = pts.min(axis=0) - 0.45, pts.max(axis=0) + 0.45
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), aspect="equal", anchor="N")  # N: titles level
    ax.axis("off")
    # edge labels: boxes of about 22 x 12 points (with a margin), converted to data units
    unit = 72 * min(axes_w / (hi[0] - lo[0]), axes_h / (hi[1] - lo[1]))  # points per data unit
    labelled = [(e, r) for e, r in zip(edges, rads) if e[2]]
    spots = _place_labels([(pos[s], pos[d], r) for (s, d, _), r in labelled], pos, 22 / unit, 12 / unit)
    for ((_, _, op), _), (x, y) in zip(labelled, spots):
        ax.text(x, y, OP_SHORT.get(op, op), ha="center", va="center", fontsize=6.5, color=op_color(op),
                zorder=5, bbox=_LABEL_BOX)
    if show_width_depth:
        from .genotypes import cell_width_depth
        width, depth = cell_width_depth(cell, concat)
        title = f"{title + ': ' if title else ''}width {width:g}c, depth {depth}"
    if title:
        ax.set_title(title, fontsize=10)
    below = ax  # the caption goes under the legend if there is one, else under the axes
    if legend:
        below = _op_legend(ax, [op for op, _ in cell], concat=True, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                           ncol=4)
    if caption:  # placed at draw time relative to `below`, whatever the legend's height
        ax.annotate(WIDTH_DEPTH_CAPTION, xy=(0.5, 0.0), xycoords=below, xytext=(0, -4), textcoords="offset points",
                    ha="center", va="top", fontsize=7, color="#444444", annotation_clip=False)
    return fig


def draw_genotype(genotype, title: str | None = None, figsize=(12.0, 4.6), caption: bool = True) -> Figure:
    """Normal and reduction cells of ``genotype`` side by side, with one legend of operations.

    ``genotype`` is a Genotype or its string form (``genotypes.as_genotype``). The titles give
    each cell's width and depth; ``caption`` says under the legend what they mean.
    """
    from .genotypes import as_genotype
    genotype = as_genotype(genotype)
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    bottom = 0.2 if caption else 0.11  # room for the legend (and the caption's three lines)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=bottom, top=0.9, wspace=0.08)  # first: cells fit the axes
    prefix = f"{title} " if title else ""
    draw_cell(genotype.normal, genotype.normal_concat, f"{prefix}normal", ax=axes[0], legend=False, caption=False)
    draw_cell(genotype.reduce, genotype.reduce_concat, f"{prefix}reduction", ax=axes[1], legend=False, caption=False)
    _op_legend(fig, [op for op, _ in genotype.normal + genotype.reduce], concat=True, loc="lower center", ncol=6,
               bbox_to_anchor=(0.5, bottom - 0.11))
    if caption:
        fig.text(0.5, 0.01, WIDTH_DEPTH_CAPTION, ha="center", va="bottom", fontsize=7.5, color="#444444")
    return fig


# ------ NAS-Bench-201 cells -------------------------------------------------------------------

def draw_nb201_cell(arch, ax=None, title: str | None = None, figsize=(6.0, 3.2),
                    width_depth: bool = False) -> Figure:
    """Draw a NAS-Bench-201 cell: nodes 0..3 in a row, 6 edges j -> i (Dong & Yang, ICLR 2020, section 2.1).

    ``arch`` is 6 op names in ``nb201.NB201_EDGES`` order or an NB201 string
    ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` (``nb201.as_nb201``). Edges carrying ``none``
    (removed edges) are drawn faint and dotted, labelled ``none``, so the whole DAG stays visible.

    ``width_depth=True`` annotates the course's reading of width and depth
    (``nb201.nb201_width_depth``): edges on no path from node 0 to node 3 are drawn dashed and
    faint (they do not count), a longest path is shaded, each node i = 1, 2, 3 shows its share
    (live edges from node 0) / (live edges into i), and the title gives the sum and the depth.
    """
    from fractions import Fraction

    from .nb201 import NB201_EDGES, _nb201_live_edges, as_nb201, nb201_width_depth
    ops = as_nb201(arch)
    fig, ax = _new_axes(ax, figsize)
    pos = {i: (1.3 * i, 0.0) for i in range(4)}
    circles = {i: _node(ax, xy, str(i), "input" if i == 0 else "output" if i == 3 else "node", 9)
               for i, xy in pos.items()}
    rads = {(1, 0): 0.0, (2, 1): 0.0, (3, 2): 0.0, (2, 0): -0.45, (3, 1): 0.45, (3, 0): -0.5}  # arcs above/below
    live = set(_nb201_live_edges(ops)) if width_depth else {e for e, o in zip(NB201_EDGES, ops) if o != "none"}
    path = set()
    if width_depth and live:
        depth = {0: 0}  # the longest path from node 0, edge by edge (nodes in topological order)
        came_from = {}
        for i in (1, 2, 3):
            sources = [j for t, j in sorted(live) if t == i]
            if sources:
                j = max(sources, key=lambda s: depth[s])
                depth[i], came_from[i] = depth[j] + 1, j
        node = 3
        while node in came_from:
            path.add((node, came_from[node]))
            node = came_from[node]
    for (i, j), op in zip(NB201_EDGES, ops):
        faint, dead = op == "none", op != "none" and (i, j) not in live
        if (i, j) in path:  # a broad pale band under the edges of a longest path
            ax.add_artist(FancyArrowPatch(pos[j], pos[i], patchA=circles[j], patchB=circles[i],
                                          connectionstyle=f"arc3,rad={rads[(i, j)]}", arrowstyle="-",
                                          lw=9, color="#f6c85f", alpha=0.55, zorder=1))
        style = dict(color=op_color(op), lw=1.0 if faint else 1.4 if dead else 2.0,
                     linestyle=":" if faint else "--" if dead else "-", alpha=0.45 if dead else 1.0)
        _edge(ax, pos[j], pos[i], circles[j], circles[i], rads[(i, j)], **style)
        x, y = _bezier(pos[j], pos[i], rads[(i, j)], [0.5])[0]
        ax.text(x, y, OP_SHORT.get(op, op) + (" (dead)" if dead else ""), ha="center", va="center", fontsize=7,
                zorder=5, color="#9a9a9a" if faint or dead else op_color(op), bbox=_LABEL_BOX)
    ax.set(xlim=(-0.5, 4.4), ylim=(-1.3, 1.3), aspect="equal")
    ax.axis("off")
    if width_depth:
        for i in (1, 2, 3):
            sources = [j for t, j in live if t == i]
            share = Fraction(sources.count(0), len(sources)) if sources else Fraction(0)
            text = f"{share.numerator}/{share.denominator}" if share.denominator > 1 else str(share.numerator)
            ax.text(pos[i][0] + 0.12, pos[i][1] - 0.3, f"+{text}", ha="left", va="top", fontsize=8,
                    color="#8c2d04", fontweight="bold", zorder=6, bbox=_LABEL_BOX)
        if live:
            w, d = nb201_width_depth(ops)
            frac = Fraction(w).limit_denominator(6)
            w_text = f"{frac.numerator}/{frac.denominator}c = {w:.2f}c" if frac.denominator > 1 else f"{w:g}c"
            title = f"{title + ': ' if title else ''}width {w_text}, depth {d}"
    ax.set_title(title or "NAS-Bench-201 cell", fontsize=10)
    _op_legend(ax, ops, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=3)
    return fig


# ------ histories -----------------------------------------------------------------------------

def _is_series(v) -> bool:
    return isinstance(v, (list, tuple)) and len(v) > 0 and all(
        isinstance(a, (int, float, np.number)) and not isinstance(a, bool) for a in v)


def curves(history: dict, keys: list[str] | None = None, ax=None, title: str | None = None,
           xlabel: str = "epoch", ylabel: str | None = None) -> Figure:
    """Line plot of series of a history, e.g. ``train_loss`` and ``val_loss``, at x = 1, 2, ...

    ``keys`` default to every entry of ``history`` that is a list of numbers.
    """
    keys = [k for k, v in history.items() if _is_series(v)] if keys is None else list(keys)
    missing = [k for k in keys if k not in history]
    if missing:
        raise ValueError(f"history has no series {missing}; it has {sorted(history)}")
    fig, ax = _new_axes(ax, (6.0, 3.5))
    for k in keys:
        n = len(history[k])
        ax.plot(range(1, n + 1), history[k], marker="o" if n < 30 else None, ms=3, label=k)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    if keys:
        ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def width_depth_over_epochs(widths, depths, ax=None, title: str | None = None) -> Figure:
    """Width (in units of c, left axis) and depth (right axis) of the derived cell per epoch."""
    if len(widths) != len(depths):
        raise ValueError(f"widths has {len(widths)} entries but depths has {len(depths)}: one each per epoch")
    fig, ax = _new_axes(ax, (6.0, 3.5))
    x = np.arange(1, len(widths) + 1)
    ax.plot(x, widths, "o-", color="#1f77b4", ms=4)
    ax.set_xlabel("epoch")
    ax.set_ylabel("width (c)", color="#1f77b4")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MultipleLocator(0.5))  # widths are multiples of c/2
    right = ax.twinx()
    right.plot(x, depths, "s--", color="#d62728", ms=4)
    right.set_ylabel("depth", color="#d62728")
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title or "width and depth of the derived cell", fontsize=10)
    return fig


class LiveFigure:
    """Curves that update in place in a notebook: one display handle, never ``clear_output``.

    ``live = LiveFigure(["train_loss", "val_loss"])``, then ``live.update(history)`` each epoch
    and ``fig = live.close()`` at the end. Outside IPython nothing is shown.
    """

    def __init__(self, keys: list[str] | None = None, title: str | None = None, figsize=(6.0, 3.5)):
        self.fig = Figure(figsize=figsize)  # not pyplot's: the inline backend won't show it again
        self.ax = self.fig.add_subplot()
        self.keys, self.title, self.handle = keys, title, None
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is not None:
            self.handle = display(self.fig, display_id=True)

    def update(self, history: dict) -> None:
        """Redraw the curves of ``keys`` from ``history`` (lists by key) in the same display."""
        self.ax.clear()
        curves(history, self.keys, ax=self.ax, title=self.title)
        if self.handle is not None:
            self.handle.update(self.fig)

    def close(self) -> Figure:
        """Stop updating the display and return the figure, to save or show again."""
        self.handle = None
        return self.fig


def save_figure(fig: Figure, path, dpi: int = 150) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically (a temporary file, then rename), then close it."""
    if (path := Path(path)).suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG: give a path ending in .png, not {str(path)!r}")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        make_folder(str(path.parent), "figure")
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
        os.replace(tmp, path)
    except OSError as e:  # disk full, read-only, no permission: one line naming the file and the fix
        raise disk_error(e, str(path), "write the figure") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        plt.close(fig)
    return path
