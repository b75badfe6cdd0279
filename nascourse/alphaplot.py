"""Figures of softmax(alpha): per edge, and over the epochs of a search, for one cell or both.

softmax(alpha) starts uniform, every operation at ``1/|O|``, and in a short search it moves little:
after a few epochs the weights of DARTS's 8 operations may all lie within 0.002 of 1/8 = 0.125.
A colour scale spanning the data would paint that noise as a decision. Here every figure colours
weights on a diverging scale centred on the uniform ``1/|O|`` (white), red above it (the operation is
favoured), blue below, equally far on both sides, and the colour bar's ticks give the actual span.
The magnitude rule that turns these weights into a genotype is DARTS's (Liu et al., ICLR 2019,
section 2.4); NAS-Bench-201 takes the argmax over all operations (Dong & Yang, ICLR 2020).

`alpha_heatmap` shows one cell's ``(num_edges, |O|)`` matrix; `alpha_over_epochs` one cell over a
search (mean over edges, or one edge); `alpha_over_epochs_cells` the normal and the reduction cell
of a DARTS search in one figure. Each operation's colour in every lesson (`OP_COLORS`, `op_color`)
is defined here, below ``plot``, which draws cells with the same colours: ``plot`` imports this
module, never the reverse. ``plot`` re-exports all of them: ``plot.alpha_heatmap`` is the same
function. Used from lesson 02 on.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

ALPHA_CMAP = "RdBu_r"  # diverging: blue below 1/|O|, white at it, red above

# One colour per operation: parameter-free ones grey or light, convolutions strong.
OP_COLORS = {
    "none": "#d0d0d0", "skip_connect": "#8c8c8c", "max_pool_3x3": "#7fb3d5", "avg_pool_3x3": "#9fd27f",
    "sep_conv_3x3": "#d62728", "sep_conv_5x5": "#ff7f0e", "sep_conv_7x7": "#8c564b",
    "dil_conv_3x3": "#1f3fb4", "dil_conv_5x5": "#7b2cbf", "conv_7x1_1x7": "#e7298a",
    "nor_conv_1x1": "#138d75", "nor_conv_3x3": "#a50f15",
}


def op_color(name: str) -> str:
    """The fixed colour of operation ``name`` (black for a name outside ``ops.OPS``)."""
    return OP_COLORS.get(name, "#000000")


def _new_axes(ax, figsize):
    if ax is None:
        return plt.subplots(figsize=figsize)
    return ax.figure, ax


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
        from .nb201 import NB201_EDGES
        return [f"{i}←{j}" for i, j in NB201_EDGES]
    labels, node = [], 2
    while len(labels) < num_edges:  # node 2 reads 0, 1; node 3 reads 0, 1, 2; ...
        labels += [f"{node}←{j}" for j in range(node)]
        node += 1
    return labels if len(labels) == num_edges else [f"edge {e}" for e in range(num_edges)]


def _uniform_norm(values: np.ndarray, n_ops: int) -> TwoSlopeNorm:
    """A diverging colour scale centred on the uniform weight ``1/|O|``: white there, red above, blue below.

    Both sides reach as far as the value farthest from ``1/|O|`` (cut at 0, below which no weight
    goes), so equal colours mean equal distances from uniform, and a spread of 0.002 is not
    painted like a spread of 0.5 without the colour bar's ticks saying so.
    """
    c = 1.0 / n_ops
    half = max(float(np.nanmax(np.abs(values - c))), 1e-6)  # > 0 even if every weight is exactly 1/|O|
    return TwoSlopeNorm(vcenter=c, vmin=max(c - half, 0.0), vmax=c + half)


def _decimals(norm: TwoSlopeNorm) -> int:
    """Decimals that tell apart ticks a quarter of the colour range apart (at least 2)."""
    step = (norm.vmax - norm.vcenter) / 2
    return max(2, math.ceil(-math.log10(step)))


def _uniform_colorbar(fig: Figure, im, ax, n_ops: int, what: str):
    """Colour bar with 5 ticks (both ends, the centre ``1/|O|`` and halfway), labelled with what white means."""
    norm = im.norm
    ticks = [norm.vmin, (norm.vmin + norm.vcenter) / 2, norm.vcenter, (norm.vcenter + norm.vmax) / 2, norm.vmax]
    bar = fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03, ticks=ticks, format=f"%.{_decimals(norm)}f")
    bar.set_label(f"{what}\nwhite = uniform 1/|O| = 1/{n_ops}\nred = above it (favoured), blue = below", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    return bar


def alpha_heatmap(weights, ops: list[str], edge_labels: list[str] | None = None, ax=None,
                  title: str | None = None) -> Figure:
    """Annotated heatmap of softmax(alpha), a (num_edges, num_ops) matrix: ops on x, edges on y.

    Colours diverge from white at the uniform weight ``1/|O|`` (red: favoured, blue: disfavoured); the
    colour bar's ticks give the actual span, and the numbers get as many decimals as it needs.
    """
    w = _as_array(weights, "weights")
    if w.ndim != 2 or w.shape[1] != len(ops):
        raise ValueError(f"weights has shape {w.shape} but ops lists {len(ops)} operations {list(ops)}; expected "
                         f"(num_edges, {len(ops)}): pass the op list the weights were computed with")
    labels = edge_labels_for(w.shape[0]) if edge_labels is None else list(edge_labels)
    if len(labels) != w.shape[0]:
        raise ValueError(f"edge_labels has {len(labels)} entries for {w.shape[0]} edges")
    fig, ax = _new_axes(ax, (1.6 + 0.62 * w.shape[1], 1.4 + 0.32 * w.shape[0]))
    norm = _uniform_norm(w, len(ops))
    im = ax.imshow(w, cmap=ALPHA_CMAP, norm=norm, aspect="auto")
    ax.set_xticks(range(len(ops)), list(ops), rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set(xlabel="operation", ylabel="edge (node←input)")
    if w.size <= 240:  # numbers only while they stay legible
        decimals = _decimals(norm)
        for (e, o), v in np.ndenumerate(w):  # white text on the dark ends of the scale
            ax.text(o, e, f"{v:.{decimals}f}", ha="center", va="center", fontsize=6.5,
                    color="white" if abs(norm(v) - 0.5) > 0.32 else "black")
    _uniform_colorbar(fig, im, ax, len(ops), "softmax(α)")
    ax.set_title(title or "softmax(α) per edge", fontsize=10)
    return fig


def _epochs_heatmap(ax, means: np.ndarray, x: np.ndarray, ops: list[str], norm: TwoSlopeNorm):
    """Heatmap of ``(epochs, |O|)`` mean weights: epochs on x, operations on y."""
    im = ax.imshow(means.T, cmap=ALPHA_CMAP, norm=norm, aspect="auto", interpolation="nearest",
                   extent=(x[0] - 0.5, x[-1] + 0.5, len(ops) - 0.5, -0.5))
    ax.set_yticks(range(len(ops)), list(ops), fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return im


def alpha_over_epochs(history_weights, ops: list[str], edge: int | None = None, ax=None,
                      title: str | None = None, stack: bool = False, epochs=None) -> Figure:
    """softmax(alpha) over a search; ``history_weights`` holds one (num_edges, num_ops) matrix per epoch.

    With ``edge``: each operation's weight on that edge (lines, with the uniform ``1/|O|`` dotted, or
    with ``stack=True`` areas that sum to 1). Without: a heatmap, epochs on x and operations on y,
    of the weight averaged over edges, coloured as in :func:`alpha_heatmap` (white = ``1/|O|``).
    ``epochs`` are the x values (default 1, 2, ...). For both DARTS cells in one figure see
    :func:`alpha_over_epochs_cells`.
    """
    h = _as_array([_as_array(w, "history_weights[e]") for w in history_weights], "history_weights")
    if h.ndim != 3 or len(h) == 0 or h.shape[2] != len(ops):
        raise ValueError(f"history_weights has shape {h.shape}, expected (epochs, num_edges, {len(ops)}): one "
                         f"(num_edges, num_ops) matrix per epoch, columns in the order of {list(ops)}")
    x = np.arange(1, len(h) + 1) if epochs is None else np.asarray(epochs)
    fig, ax = _new_axes(ax, (7.0, 4.0))
    if edge is None:  # (epochs, edges, ops) -> (epochs, ops)
        means = h.mean(axis=1)
        im = _epochs_heatmap(ax, means, x, ops, _uniform_norm(means, len(ops)))
        _uniform_colorbar(fig, im, ax, len(ops), "mean softmax(α) over edges")
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
            ax.axhline(1 / len(ops), color="#555555", lw=1.0, ls=":", label=f"uniform 1/|O| = 1/{len(ops)}")
        handles, names = ax.get_legend_handles_labels()
        order = slice(None, None, -1) if stack else slice(None)  # stacked: legend top-down like the areas
        ax.legend(handles[order], names[order], fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5),
                  frameon=False)
        ax.set_ylabel("softmax(α)")
        ax.set_title(title or f"edge {edge_labels_for(h.shape[1])[edge]}: softmax(α) over epochs", fontsize=10)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    return fig


def alpha_over_epochs_cells(cell_histories, ops: list[str], cell_names: list[str] | tuple | None = None,
                            title: str | None = None, epochs=None) -> Figure:
    """softmax(alpha) of every cell over a search, one heatmap per cell, stacked: DARTS's normal and reduction.

    ``cell_histories`` holds one entry per cell, each what :func:`alpha_over_epochs` takes: one
    ``(num_edges, |O|)`` matrix per epoch. From a search result::

        [[h["alpha"][k] for h in result.history] for k in range(len(result.history[0]["alpha"]))]

    (a single cell's history, an array ``(epochs, num_edges, |O|)``, works too). Each panel shows the
    weight averaged over the cell's edges, epochs on x, operations on y; all panels share one
    colour scale centred on ``1/|O|`` and one colour bar, so that the cells compare. Panel k is
    titled "<cell_names[k]> cell"; ``cell_names`` default to ("normal", "reduction") for two cells
    (a single cell's panel has no title of its own).
    """
    if len(cell_histories) == 0:
        raise ValueError("cell_histories is empty: pass one history (a matrix per epoch) per cell")
    if _as_array(cell_histories[0], "cell_histories[0]").ndim == 2:  # one cell's history: entries are matrices
        cell_histories = [cell_histories]
    cells = [_as_array([_as_array(w, f"cell_histories[{k}][e]") for w in c], f"cell_histories[{k}]")
             for k, c in enumerate(cell_histories)]
    for k, h in enumerate(cells):
        if h.ndim != 3 or len(h) != len(cells[0]) or len(h) == 0 or h.shape[2] != len(ops):
            raise ValueError(f"cell_histories[{k}] has shape {h.shape}, expected (epochs, num_edges, {len(ops)}) with "
                             f"the same number of epochs for every cell: per cell, one (num_edges, num_ops) matrix "
                             f"per epoch, columns in the order of {list(ops)}")
    if cell_names is None:  # a single cell's panel is left untitled
        cell_names = ("normal", "reduction") if len(cells) == 2 else [str(k) for k in range(len(cells))]
        cell_names = cell_names if len(cells) > 1 else [""]
    if len(cell_names) != len(cells):
        raise ValueError(f"cell_names {list(cell_names)} names {len(cell_names)} cells, "
                         f"cell_histories has {len(cells)}")
    x = np.arange(1, len(cells[0]) + 1) if epochs is None else np.asarray(epochs)
    means = [h.mean(axis=1) for h in cells]  # per cell: (epochs, edges, ops) -> (epochs, ops)
    norm = _uniform_norm(np.stack(means), len(ops))  # one scale for every cell
    fig, axes = plt.subplots(len(cells), 1, figsize=(7.0, 0.9 + 0.3 * len(ops) * len(cells)), sharex=True,
                             squeeze=False)
    for ax, m, name in zip(axes[:, 0], means, cell_names):
        im = _epochs_heatmap(ax, m, x, ops, norm)
        if name:  # a lone cell needs no panel title under the figure's
            ax.set_title(name if str(name).endswith("cell") else f"{name} cell", fontsize=9)
    axes[-1, 0].set_xlabel("epoch")
    _uniform_colorbar(fig, im, list(axes[:, 0]), len(ops), "mean softmax(α) over edges")
    fig.suptitle(title or "softmax(α) over epochs, averaged over each cell's edges", fontsize=10)
    return fig
