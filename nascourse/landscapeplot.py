"""Figures of convergence and landscapes: curves coloured by cell width, contours, variance surfaces.

Shu, Wang & Cai (ICLR 2020) show their argument in three kinds of figure, and these are the
course's versions of them:

* `curves_by_width`: one training curve per cell (test loss by default), coloured by the cell's
  width on a sequential scale (light = narrow, dark = wide), so that "wide cells converge faster"
  reads as "dark curves fall first";
* `contour`: a 2-D loss surface from ``landscape.surface_2d`` with labelled levels, the origin
  (the trained network) marked; pass the same ``levels`` to two cells to compare them;
* `surface_lines`: 1-D surfaces of several cells on one axis;
* `variance_surface`: gradient variance over a 2-D grid (``landscape.gradient_variance_grid``)
  as a 3-D surface, as in the paper's figure; `variance_map`: the same as a top view on a log
  colour scale, so that the centre is never hidden.

``plot`` re-exports them. Each returns its Figure; new figures have an explicit ``figsize``.
Used in lessons 04 and 05.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import cm
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH_CMAP = "viridis_r"  # light yellow = narrow, dark purple = wide


def _new_axes(ax, figsize, projection=None):
    if ax is None:
        fig = plt.figure(figsize=figsize)
        return fig, fig.add_subplot(projection=projection)
    return ax.figure, ax


def _field(run, key: str, name: str):
    value = run.get(key) if isinstance(run, dict) else getattr(run, key, None)
    if value is None:
        raise ValueError(f"{name} has no {key!r}; each run needs 'name', 'width' and 'history' (a list of "
                         "per-epoch records, as TrainResult.to_dict() or scripts/width_family.py write)")
    return value


def curves_by_width(runs, key: str = "test_loss", ax=None, title: str | None = None, label_every: int = 1,
                    ylabel: str | None = None) -> Figure:
    """One curve per run of ``key`` over the epochs, coloured by the run's width (a colour bar gives it).

    ``runs``: dicts (or objects) with ``name``, ``width`` (in units of c) and ``history`` (records
    with ``epoch`` and ``key``). Every ``label_every``-th run is named at the end of its curve.
    """
    runs = list(runs)
    if not runs:
        raise ValueError("no runs to plot: pass a list of runs with 'name', 'width' and 'history'")
    widths = [float(_field(r, "width", f"run {i}")) for i, r in enumerate(runs)]
    norm = Normalize(min(widths) - 0.25, max(widths) + 0.25)
    cmap = plt.get_cmap(WIDTH_CMAP)
    fig, ax = _new_axes(ax, (6.5, 4.0))
    for i, (run, width) in enumerate(zip(runs, widths)):
        history = _field(run, "history", f"run {i}")
        if not history or key not in history[0]:
            raise ValueError(f"run {i} has no {key!r} in its history")
        x = [h["epoch"] for h in history]
        y = [h[key] for h in history]
        ax.plot(x, y, color=cmap(norm(width)), lw=1.4, alpha=0.9)
        if i % label_every == 0:
            ax.annotate(str(_field(run, "name", f"run {i}")), (x[-1], y[-1]), xytext=(3, 0),
                        textcoords="offset points", fontsize=7, va="center", color=cmap(norm(width)))
    ax.set(xlabel="epoch", ylabel=ylabel or key.replace("_", " "))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    bar = fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, pad=0.08)
    bar.set_label("cell width (c)")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def _grid_values(surface, name: str) -> np.ndarray:
    if getattr(surface, "ys", None) is None:
        raise ValueError(f"{name} needs a 2-D surface (from surface_2d or gradient_variance_grid with two "
                         "directions), got a 1-D one")
    return np.asarray(surface.loss, dtype=float)


def contour(surface, levels=None, ax=None, title: str | None = None, log: bool = False, filled: bool = False,
            colorbar=False, label_every: int = 1) -> Figure:
    """Contour lines of a 2-D loss surface, levels labelled, the trained network at (0, 0) marked.

    ``levels``: a list of loss values (share it between two cells to compare them), or a number
    of levels spread over the surface's range (default 10). ``log``: contour log(loss).
    ``filled``: shade the bands between levels too (the lines stay). ``colorbar``: True for a
    colour bar beside this axis, or a list of axes to share one bar (two cells on the same levels).
    ``label_every``: label every n-th level only, so that crowded lines keep readable labels.
    """
    z = _grid_values(surface, "contour")
    if log:
        z = np.log(z)
    fig, ax = _new_axes(ax, (4.6, 4.0))
    if levels is None or isinstance(levels, int):
        lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
        levels = MaxNLocator(levels or 10).tick_values(lo, hi)
    all_levels = np.asarray(levels, dtype=float)
    levels = [v for v in all_levels if np.nanmin(z) <= v <= np.nanmax(z)] or [float(np.nanmin(z))]
    norm = Normalize(float(all_levels.min()), float(all_levels.max())) if len(all_levels) > 1 else None
    shown = None
    if filled and len(all_levels) > 1:
        shown = ax.contourf(surface.xs, surface.ys, z, levels=all_levels, cmap="viridis", norm=norm, extend="both")
    lines = ax.contour(surface.xs, surface.ys, z, levels=levels, colors="k" if filled else None,
                       cmap=None if filled else "viridis", norm=None if filled else norm, linewidths=0.7 if filled else 1.0)
    labelled = [v for k, v in enumerate(all_levels) if k % label_every == 0 and v in levels] or levels
    ax.clabel(lines, levels=labelled, fontsize=7, fmt="%.2f" if not log else "%.1f", inline_spacing=3)
    ax.plot([0], [0], marker="*", color="#d62728", ms=10, markeredgecolor="white")
    ax.set(xlabel="direction δ", ylabel="direction η", aspect="equal")
    ax.set_title(title or ("log loss" if log else "loss"), fontsize=10)
    if colorbar:
        bar = fig.colorbar(shown if shown is not None else lines, ax=colorbar if not isinstance(colorbar, bool) else ax,
                           shrink=0.85)
        bar.set_label("log loss" if log else "loss")
    return fig


def variance_map(surface, ax=None, title: str | None = None, vmin: float | None = None, vmax: float | None = None,
                 colorbar=True) -> Figure:
    """Gradient variance over a 2-D grid as a map on a log colour scale, one square per grid point.

    A top view, so that the value at the trained network (the star) is never hidden behind the
    rim; squares rather than interpolated contours, since a 9 x 9 grid is all there is.
    ``vmin``, ``vmax``: share them between cells; ``colorbar`` as in `contour`.
    """
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FuncFormatter, LogLocator
    z = _grid_values(surface, "variance_map")
    vmin = float(np.nanmin(z)) if vmin is None else vmin
    vmax = float(np.nanmax(z)) if vmax is None else vmax
    fig, ax = _new_axes(ax, (4.6, 4.0))
    shown = ax.pcolormesh(surface.xs, surface.ys, z, shading="nearest", cmap="magma", norm=LogNorm(vmin, vmax))
    ax.plot([0], [0], marker="*", color="#2ca02c", ms=11, markeredgecolor="white")
    ax.set(xlabel="direction δ", ylabel="direction η", aspect="equal")
    quantity = (surface.meta or {}).get("quantity", "gradient variance")
    ax.set_title(title or quantity, fontsize=10)
    if colorbar:
        bar = fig.colorbar(shown, ax=colorbar if not isinstance(colorbar, bool) else ax, shrink=0.85)
        bar.ax.yaxis.set_major_locator(LogLocator(base=10))
        bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
        bar.set_label(f"{quantity} (log scale)")
    return fig


def surface_lines(surfaces: dict, key: str = "loss", ax=None, title: str | None = None,
                  colors: dict | None = None) -> Figure:
    """Several 1-D surfaces ({name: Surface}) on one axis: ``key`` ("loss" or "acc") against the step a."""
    if not surfaces:
        raise ValueError("no surfaces to plot: pass {name: surface_1d(...)}")
    if key not in ("loss", "acc"):
        raise ValueError(f"key must be 'loss' or 'acc', got {key!r}")
    fig, ax = _new_axes(ax, (5.5, 3.6))
    for name, s in surfaces.items():
        if getattr(s, "ys", None) is not None:
            raise ValueError(f"surface {name!r} is 2-D; surface_lines draws 1-D surfaces")
        ax.plot(s.xs, getattr(s, key), lw=1.5, label=name, color=(colors or {}).get(name))
    ax.axvline(0, color="grey", lw=0.6, ls=":")
    ax.set(xlabel="step a along the direction", ylabel="test " + ("loss" if key == "loss" else "accuracy"))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def variance_surface(surface, ax=None, title: str | None = None, zlim=None, log: bool = False) -> Figure:
    """Gradient variance over a 2-D grid as a 3-D surface (pass an axis made with projection="3d").

    ``zlim``: (low, high) shared between cells to compare their heights; ``log``: plot log10 of the
    values (gradient variance often grows by orders of magnitude away from the minimum).
    """
    z = _grid_values(surface, "variance_surface")
    if log:
        z = np.log10(z)
    fig, ax = _new_axes(ax, (5.0, 4.0), projection="3d")
    if not hasattr(ax, "plot_surface"):
        raise ValueError("variance_surface draws in 3-D: make the axis with fig.add_subplot(projection='3d')")
    X, Y = np.meshgrid(surface.xs, surface.ys)
    ax.plot_surface(X, Y, z, cmap="magma", linewidth=0, antialiased=True)
    if zlim is not None:
        ax.set_zlim(*zlim)
    ax.set_xlabel("δ", fontsize=8)
    ax.set_ylabel("η", fontsize=8)
    quantity = (surface.meta or {}).get("quantity", "gradient variance")
    ax.set_zlabel(f"log10 {quantity}" if log else quantity, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title or "gradient variance", fontsize=10)
    return fig
