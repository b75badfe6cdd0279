"""Figures: cells as graphs, alpha as heatmaps, training curves, width and depth over a search.

`draw_cell` draws a DARTS-space cell (spec 1.4) as a DAG whose intermediate nodes sit at
x = their longest-path depth from the inputs, so the cell's width and depth (Shu et al., 2020,
spec 7.1) can be read off the picture: a wide, shallow cell is a tall column of nodes beside its
inputs, a deep one a long chain. `draw_nb201_cell` draws the NAS-Bench-201 cell (spec 2.2);
`alpha_heatmap` and `alpha_over_epochs` show softmax(alpha); `curves` and `LiveFigure` show
histories. Each operation has one colour in every lesson (`OP_COLORS`): parameter-free
operations grey or light, convolutions strong.

Notebook-safe (spec notebooks.md section 4): every new figure has an explicit ``figsize``;
functions return the Figure (end a notebook cell with ``;`` or ``plt.show()`` so it shows once);
live curves update one display handle and never clear output. Used from lesson 01 on.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.ticker import MaxNLocator, MultipleLocator

from .ops import DARTS_OPS, EVAL_ONLY_OPS, NB201_OPS

# One colour per operation: parameter-free ones grey or light, convolutions strong.
OP_COLORS = {
    "none": "#d0d0d0", "skip_connect": "#8c8c8c", "max_pool_3x3": "#7fb3d5", "avg_pool_3x3": "#9fd27f",
    "sep_conv_3x3": "#d62728", "sep_conv_5x5": "#ff7f0e", "sep_conv_7x7": "#8c564b",
    "dil_conv_3x3": "#1f3fb4", "dil_conv_5x5": "#7b2cbf", "conv_7x1_1x7": "#e7298a",
    "nor_conv_1x1": "#138d75", "nor_conv_3x3": "#a50f15",
}
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


def op_color(name: str) -> str:
    """The fixed colour of operation ``name`` (black for a name outside ``ops.OPS``)."""
    return OP_COLORS.get(name, "#000000")


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

def _check_cell(cell, concat):
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
    genotype) and ``"out"`` (the output c_k). Depth as in spec 7.1: inputs 0, a node 1 + max
    depth of its inputs, the output 1 + max depth of the concatenated nodes (= the cell's depth).
    In a column, nodes are sorted by the mean height of their inputs (fewer crossings), one unit
    apart and centred on y = 0. ``concat`` defaults to all intermediate nodes.
    """
    steps, concat = _check_cell(cell, concat)
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
              show_width_depth: bool = True, legend: bool = True, figsize=(6.0, 4.5)) -> Figure:
    """Draw a DARTS-space cell as a DAG: inputs left, nodes at x = depth, output c_k right.

    ``cell`` is a genotype's ``normal`` or ``reduce`` list (4 or 5 nodes), ``concat`` its
    ``*_concat`` list (default: every intermediate node). One arrow per cell entry, coloured by
    operation and labelled with its short name (``OP_SHORT``); one grey dashed arrow per
    concatenated node into c_k. The title adds width and depth (spec 7.1) if ``show_width_depth``.
    """
    steps, concat = _check_cell(cell, concat)
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
    if legend:
        _op_legend(ax, [op for op, _ in cell], concat=True, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4)
    return fig


def draw_genotype(genotype, title: str | None = None, figsize=(12.0, 4.6)) -> Figure:
    """Normal and reduction cells of ``genotype`` side by side, with one legend of operations."""
    fig, axes = plt.subplots(1, 2, figsize=figsize)
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.12, top=0.9, wspace=0.08)  # first: cells fit the axes
    prefix = f"{title} " if title else ""
    draw_cell(genotype.normal, genotype.normal_concat, f"{prefix}normal", ax=axes[0], legend=False)
    draw_cell(genotype.reduce, genotype.reduce_concat, f"{prefix}reduction", ax=axes[1], legend=False)
    _op_legend(fig, [op for op, _ in genotype.normal + genotype.reduce], concat=True, loc="lower center", ncol=6)
    return fig


# ------ NAS-Bench-201 cells -------------------------------------------------------------------

def draw_nb201_cell(arch, ax=None, title: str | None = None, figsize=(6.0, 3.2)) -> Figure:
    """Draw a NAS-Bench-201 cell: nodes 0..3 in a row, 6 edges j -> i (spec 2.2).

    ``arch`` is 6 op names in ``genotypes.NB201_EDGES`` order or an NB201 string
    ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``. Edges carrying ``none`` (removed edges) are drawn
    faint and dotted, labelled ``none``, so the whole DAG stays visible.
    """
    from .genotypes import NB201_EDGES, nb201_parse
    ops = nb201_parse(arch) if isinstance(arch, str) else list(arch)
    if len(ops) != len(NB201_EDGES):
        raise ValueError(f"a NAS-Bench-201 cell has 6 edges {NB201_EDGES} (i, j = edge j -> i); "
                         f"got {len(ops)} operations {ops}")
    fig, ax = _new_axes(ax, figsize)
    pos = {i: (1.3 * i, 0.0) for i in range(4)}
    circles = {i: _node(ax, xy, str(i), "input" if i == 0 else "output" if i == 3 else "node", 9)
               for i, xy in pos.items()}
    rads = {(1, 0): 0.0, (2, 1): 0.0, (3, 2): 0.0, (2, 0): -0.45, (3, 1): 0.45, (3, 0): -0.5}  # arcs above/below
    for (i, j), op in zip(NB201_EDGES, ops):
        faint = op == "none"
        style = dict(color=op_color(op), lw=1.0 if faint else 2.0, linestyle=":" if faint else "-")
        _edge(ax, pos[j], pos[i], circles[j], circles[i], rads[(i, j)], **style)
        x, y = _bezier(pos[j], pos[i], rads[(i, j)], [0.5])[0]
        ax.text(x, y, OP_SHORT.get(op, op), ha="center", va="center", fontsize=7, zorder=5,
                color="#9a9a9a" if faint else op_color(op), bbox=_LABEL_BOX)
    ax.set(xlim=(-0.5, 4.4), ylim=(-1.3, 1.3), aspect="equal")
    ax.axis("off")
    ax.set_title(title or "NAS-Bench-201 cell", fontsize=10)
    _op_legend(ax, ops, loc="upper center", bbox_to_anchor=(0.5, 0.02), ncol=3)
    return fig


# ------ alpha ---------------------------------------------------------------------------------

def _as_array(x, name: str) -> np.ndarray:
    """A float array from a tensor, an array or (nested) lists of them; ragged input raises."""
    if hasattr(x, "detach"):
        return x.detach().float().cpu().numpy()
    if isinstance(x, (list, tuple)):
        x = [v.detach().float().cpu().numpy() if hasattr(v, "detach") else v for v in x]
    try:
        return np.asarray(x, dtype=float)
    except ValueError as err:
        raise ValueError(f"{name} must be a rectangular array of numbers ({err})") from None


def edge_labels_for(num_edges: int) -> list[str]:
    """Row labels 'i←j': NB201 for 6 edges, DARTS cells for 2, 5, 9, 14, 20 edges, else 'edge e'."""
    if num_edges == 6:
        from .genotypes import NB201_EDGES
        return [f"{i}←{j}" for i, j in NB201_EDGES]
    labels, node = [], 2
    while len(labels) < num_edges:  # node 2 reads 0, 1; node 3 reads 0, 1, 2; ...
        labels += [f"{node}←{j}" for j in range(node)]
        node += 1
    return labels if len(labels) == num_edges else [f"edge {e}" for e in range(num_edges)]


def alpha_heatmap(weights, ops: list[str], edge_labels: list[str] | None = None, ax=None,
                  title: str | None = None) -> Figure:
    """Annotated heatmap of softmax(alpha), a (num_edges, num_ops) matrix: ops on x, edges on y."""
    w = _as_array(weights, "weights")
    if w.ndim != 2 or w.shape[1] != len(ops):
        raise ValueError(f"weights has shape {w.shape} but ops lists {len(ops)} operations {list(ops)}; expected "
                         f"(num_edges, {len(ops)}): pass the op list the weights were computed with")
    labels = edge_labels_for(w.shape[0]) if edge_labels is None else list(edge_labels)
    if len(labels) != w.shape[0]:
        raise ValueError(f"edge_labels has {len(labels)} entries for {w.shape[0]} edges")
    fig, ax = _new_axes(ax, (1.6 + 0.62 * w.shape[1], 1.4 + 0.32 * w.shape[0]))
    im = ax.imshow(w, cmap="viridis", aspect="auto")  # colours span the data: small differences show
    ax.set_xticks(range(len(ops)), list(ops), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set(xlabel="operation", ylabel="edge (node←input)")
    if w.size <= 240:  # numbers only while they stay legible
        for (e, o), v in np.ndenumerate(w):
            ax.text(o, e, f"{v:.2f}", ha="center", va="center", fontsize=6.5,
                    color="black" if v > w.max() / 2 else "white")
    fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03, label="softmax(α)")
    ax.set_title(title or "softmax(α) per edge", fontsize=10)
    return fig


def alpha_over_epochs(history_weights, ops: list[str], edge: int | None = None, ax=None,
                      title: str | None = None, stack: bool = False, epochs=None) -> Figure:
    """softmax(alpha) over a search; ``history_weights`` holds one (num_edges, num_ops) matrix per epoch.

    With ``edge``: each operation's weight on that edge (lines, or with ``stack=True`` areas that
    sum to 1). Without: a heatmap, epochs on x and operations on y, of the weight averaged over
    edges. ``epochs`` are the x values (default 1, 2, ...).
    """
    h = _as_array([_as_array(w, "history_weights[e]") for w in history_weights], "history_weights")
    if h.ndim != 3 or len(h) == 0 or h.shape[2] != len(ops):
        raise ValueError(f"history_weights has shape {h.shape}, expected (epochs, num_edges, {len(ops)}): one "
                         f"(num_edges, num_ops) matrix per epoch, columns in the order of {list(ops)}")
    x = np.arange(1, len(h) + 1) if epochs is None else np.asarray(epochs)
    fig, ax = _new_axes(ax, (7.0, 4.0))
    if edge is None:  # (epochs, edges, ops) -> (ops, epochs)
        im = ax.imshow(h.mean(axis=1).T, cmap="viridis", aspect="auto", interpolation="nearest",  # colours fit data
                       extent=(x[0] - 0.5, x[-1] + 0.5, len(ops) - 0.5, -0.5))
        ax.set_yticks(range(len(ops)), list(ops), fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03, label="mean softmax(α) over edges")
        ax.set_title(title or "softmax(α) over epochs, averaged over edges", fontsize=10)
    else:
        if not 0 <= edge < h.shape[1]:
            raise ValueError(f"edge {edge} is out of range: this cell has edges 0..{h.shape[1] - 1}")
        colors = [op_color(o) for o in ops]
        if stack:
            ax.stackplot(x, h[:, edge, :].T, labels=ops, colors=colors)
            ax.set(xlim=(x[0], x[-1]), ylim=(0, 1))
        else:
            for o, name in enumerate(ops):
                ax.plot(x, h[:, edge, o], color=colors[o], lw=1.8, label=name)
        handles, names = ax.get_legend_handles_labels()
        order = slice(None, None, -1) if stack else slice(None)  # stacked: legend top-down like the areas
        ax.legend(handles[order], names[order], fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5),
                  frameon=False)
        ax.set_ylabel("softmax(α)")
        ax.set_title(title or f"edge {edge_labels_for(h.shape[1])[edge]}: softmax(α) over epochs", fontsize=10)
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
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
        self.ax.clear()
        curves(history, self.keys, ax=self.ax, title=self.title)
        if self.handle is not None:
            self.handle.update(self.fig)

    def close(self) -> Figure:
        self.handle = None
        return self.fig


def save_figure(fig: Figure, path, dpi: int = 150) -> Path:
    """Write ``fig`` as a PNG at ``path`` atomically (a temporary file, then rename), then close it."""
    if (path := Path(path)).suffix.lower() != ".png":
        raise ValueError(f"save_figure writes PNG: give a path ending in .png, not {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
    return path
