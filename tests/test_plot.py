"""Figures: cell layouts follow depth (Shu, Wang & Cai, ICLR 2020), every edge is drawn once, width
and depth are explained in a caption, alpha colours are centred on 1/|O|, inputs are checked,
figures are written atomically. Rendering uses the Agg backend (no display)."""

import ast
import colorsys
import io
import pathlib

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_rgb, to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch  # noqa: E402

from nascourse.folders import RunFolderError
from nascourse import genotypes, nb201, plot  # noqa: E402
from nascourse.ops import DARTS_OPS, NB201_OPS, OPS, PARAMETER_FREE_OPS  # noqa: E402

PUBLISHED = ["DARTS_V1", "DARTS_V2", "NASNET", "AMOEBANET", "ENAS", "SNAS_MILD"]
CELLS = [(name, which) for name in PUBLISHED for which in ("normal", "reduce")]
NB201_STRING = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def cell_of(name, which):
    g = getattr(genotypes, name)
    return getattr(g, which), getattr(g, which + "_concat")


def arrows(ax):
    return [p for p in ax.patches if isinstance(p, FancyArrowPatch)]


def test_every_op_has_a_colour_and_a_short_name():
    assert set(OPS) <= set(plot.OP_COLORS) and set(OPS) <= set(plot.OP_SHORT)
    assert len(set(plot.OP_COLORS.values())) == len(plot.OP_COLORS), "two operations share a colour"
    for name, colour in plot.OP_COLORS.items():
        _, lightness, saturation = colorsys.rgb_to_hls(*to_rgb(colour))
        if name in PARAMETER_FREE_OPS:  # grey or light
            assert saturation < 0.1 or lightness > 0.6, name
        else:  # convolutions: strong
            assert lightness < 0.6 and saturation > 0.25, name


def library_imports(folder) -> dict:
    """module -> the library's modules it imports anywhere in its source (lazy imports in functions too)."""
    graph = {}
    for path in pathlib.Path(folder).glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:  # from .x import y; from . import x
                names |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
        graph[path.stem] = names
    return graph


def import_circles(graph: dict) -> list:
    """Every circle of imports, each as the list of modules along it (start repeated at the end)."""
    circles = []
    for start in sorted(graph):
        paths = [[start]]
        while paths:
            path = paths.pop()
            for name in sorted(graph.get(path[-1], ())):
                if name == start:
                    circles.append(path + [start])
                elif name not in path and name > start:  # each circle once, from its smallest module
                    paths.append(path + [name])
    return circles


def test_no_module_imports_another_in_a_circle():
    graph = library_imports(pathlib.Path(plot.__file__).parent)
    assert "alphaplot" in graph["plot"] and "landscapeplot" in graph["plot"]  # plot re-exports the others
    assert import_circles(graph) == []  # DESIGN: a module imports only from the layers below it
    assert import_circles({"plot": {"alphaplot", "ops"}, "alphaplot": {"nb201", "plot"}, "nb201": set()}) == \
        [["alphaplot", "plot", "alphaplot"]]  # the check finds the circle op_color once made


def test_layout_places_darts_v2_normal_nodes_by_depth():
    pos = plot.cell_layout(genotypes.DARTS_V2.normal, genotypes.DARTS_V2.normal_concat)
    assert [pos[n][0] for n in (0, 1, 2, 3, 4, 5, "out")] == [0, 0, 1, 1, 1, 2, 3]
    assert pos[0][1] > pos[1][1]  # c_{k-2} above c_{k-1}


@pytest.mark.parametrize("name,which", CELLS)
def test_layout_x_is_longest_path_depth(name, which):
    cell, concat = cell_of(name, which)
    pos = plot.cell_layout(cell, concat)
    for i in range(len(cell) // 2):
        assert pos[i + 2][0] == 1 + max(pos[j][0] for _, j in cell[2 * i:2 * i + 2])
    assert pos["out"][0] == genotypes.cell_width_depth(cell, concat)[1]
    assert len(set(pos.values())) == len(pos), "two nodes share a position"


def test_layout_of_amoebanet_normal_is_a_chain():
    pos = plot.cell_layout(genotypes.AMOEBANET.normal, genotypes.AMOEBANET.normal_concat)
    assert [pos[n][0] for n in (2, 3, 4, 5, 6, "out")] == [1, 2, 3, 1, 1, 4]


@pytest.mark.parametrize("name,which", CELLS)
def test_draw_cell_draws_every_edge_once(name, which):
    cell, concat = cell_of(name, which)
    fig = plot.draw_cell(cell, concat, title=name)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    drawn = arrows(ax)
    assert len(drawn) == len(cell) + len(concat)
    for arrow, (op, _) in zip(drawn, cell):  # cell entries first, coloured by operation
        assert arrow.get_edgecolor() == to_rgba(plot.op_color(op))
    assert all(a.get_linestyle() == "--" for a in drawn[len(cell):])  # concat edges
    assert len([p for p in ax.patches if isinstance(p, Circle)]) == len(cell) // 2 + 3
    width, depth = genotypes.cell_width_depth(cell, concat)
    assert ax.get_title() == f"{name}: width {width:g}c, depth {depth}"


def test_draw_cell_titles():
    g = genotypes.DARTS_V2
    ax = plot.draw_cell(g.normal, g.normal_concat, title="DARTS_V2 normal").axes[0]
    assert ax.get_title() == "DARTS_V2 normal: width 3.5c, depth 3"
    ax = plot.draw_cell(g.normal, g.normal_concat, title="plain", show_width_depth=False).axes[0]
    assert ax.get_title() == "plain"


@pytest.mark.parametrize("name", ["DARTS_V2", "NASNET", "AMOEBANET"])
def test_edge_labels_overlap_neither_each_other_nor_nodes(name):
    fig = plot.draw_genotype(getattr(genotypes, name), title=name)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        labels = [t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_bbox_patch()]
        nodes = [p.get_window_extent(renderer) for p in ax.patches if isinstance(p, Circle)]
        assert len(labels) == sum(a.get_linestyle() != "--" for a in arrows(ax))  # one per operation edge
        assert not any(a.overlaps(b) for i, a in enumerate(labels) for b in labels[i + 1:])
        assert not any(a.overlaps(n) for a in labels for n in nodes)


def test_draw_genotype_has_both_cells_and_a_drawn_ax_is_reused():
    fig = plot.draw_genotype(genotypes.AMOEBANET, title="AmoebaNet")
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("AmoebaNet normal: width 4c, depth 4")
    assert fig.axes[1].get_title().startswith("AmoebaNet reduction")
    fig, ax = plt.subplots(figsize=(4, 3))
    assert plot.draw_cell(genotypes.DARTS_V2.reduce, ax=ax) is fig


def texts(where):
    return [t.get_text() for t in where.texts]


def test_cell_drawings_explain_width_and_depth_in_a_caption():
    caption = plot.WIDTH_DEPTH_CAPTION
    for words in ("width", "in units of c", "$c_{k-2}$", "c/2", "depth", "longest path", "output $c_k$", "Shu"):
        assert words in caption
    g = genotypes.DARTS_V2
    fig = plot.draw_cell(g.normal, g.normal_concat, title="own figure")  # its own figure: captioned
    assert texts(fig.axes[0]).count(caption) == 1
    fig.savefig(io.BytesIO(), format="png", bbox_inches="tight")  # the caption is placed when drawn
    _, ax = plt.subplots(figsize=(6, 4.5))
    plot.draw_cell(g.normal, g.normal_concat, ax=ax)  # a panel of the caller's figure: not by default ...
    assert caption not in texts(ax)
    plot.draw_cell(g.normal, g.normal_concat, ax=ax, caption=True)  # ... unless asked for
    assert caption in texts(ax)
    plain = plot.draw_cell(g.normal, g.normal_concat, show_width_depth=False)  # nothing to explain
    assert caption not in texts(plain.axes[0])
    fig = plot.draw_genotype(g, title="DARTS")
    assert texts(fig) == [caption] and all(caption not in texts(ax) for ax in fig.axes)  # once, for both cells
    assert texts(plot.draw_genotype(g, caption=False)) == []


def test_drawings_take_genotype_strings():
    by_string = plot.draw_genotype(genotypes.genotype_to_str(genotypes.NASNET), title="NASNet")
    by_object = plot.draw_genotype(genotypes.NASNET, title="NASNet")
    assert [ax.get_title() for ax in by_string.axes] == [ax.get_title() for ax in by_object.axes]
    assert by_string.axes[0].get_title() == "NASNet normal: width 5c, depth 2"
    with pytest.raises(TypeError, match="got int 5"):
        plot.draw_genotype(5)
    with pytest.raises(ValueError, match="malformed genotype string .* nb201_parse"):
        plot.draw_genotype(NB201_STRING)
    as_tuple = plot.draw_nb201_cell(tuple(nb201.nb201_parse(NB201_STRING))).axes[0]
    assert len(arrows(as_tuple)) == 6
    with pytest.raises(TypeError, match="DARTS-space Genotype"):
        plot.draw_nb201_cell(genotypes.DARTS_V2)


@pytest.mark.parametrize("bad,why", [([("sep_conv_3x3", 0)], "two"),
                                     ([("skip_connect", 2), ("skip_connect", 0)], "node 2")])
def test_draw_cell_rejects_malformed_cells(bad, why):
    with pytest.raises(ValueError, match=why):
        plot.draw_cell(bad)
    with pytest.raises(ValueError, match="concat"):
        plot.draw_cell(genotypes.DARTS_V2.normal, concat=[2, 7])


def test_nb201_cell_from_string_and_list():
    a = plot.draw_nb201_cell(NB201_STRING).axes[0]
    b = plot.draw_nb201_cell(nb201.nb201_parse(NB201_STRING), title="same").axes[0]
    assert len(arrows(a)) == len(arrows(b)) == 6
    styles = [arrow.get_linestyle() for arrow in arrows(a)]
    assert styles == ["-", "-", "-", "-", ":", "-"]  # the none edge (3<-1) is dotted
    assert [s.get_edgecolor() for s in arrows(a)] == [s.get_edgecolor() for s in arrows(b)]
    with pytest.raises(ValueError, match="malformed"):
        plot.draw_nb201_cell("|nor_conv_3x3~0|+|none~1|")
    with pytest.raises(ValueError, match="6 edges"):
        plot.draw_nb201_cell(["none"] * 5)


def test_alpha_heatmap_of_a_darts_cell():
    w = torch.softmax(torch.randn(14, len(DARTS_OPS)), dim=-1)
    fig = plot.alpha_heatmap(w, DARTS_OPS, title="alpha")
    assert len(fig.axes) == 2  # heatmap and colour bar
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[:3] == ["2←0", "2←1", "3←0"] and rows[-1] == "5←4" and len(rows) == 14
    assert [t.get_text() for t in ax.get_xticklabels()] == DARTS_OPS
    assert len(ax.texts) == 14 * len(DARTS_OPS)
    assert f"{w[0, 0].item():.2f}" == ax.texts[0].get_text()
    np.testing.assert_allclose(ax.images[0].get_array(), w.numpy(), rtol=1e-6)


def test_alpha_heatmap_nb201_labels_and_inputs():
    w = np.full((6, 5), 0.2)
    ax = plot.alpha_heatmap(w.tolist(), NB201_OPS).axes[0]  # nested lists work too
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1←0", "2←0", "2←1", "3←0", "3←1", "3←2"]
    with pytest.raises(ValueError, match="ops lists 6 operations"):
        plot.alpha_heatmap(w, NB201_OPS + ["extra"])
    with pytest.raises(ValueError, match="edge_labels"):
        plot.alpha_heatmap(w, NB201_OPS, edge_labels=["a"])


def test_alpha_heatmap_rejects_mismatched_ops():
    with pytest.raises(ValueError, match="ops lists 5 operations"):
        plot.alpha_heatmap(np.ones((14, 8)) / 8, NB201_OPS)


@pytest.mark.parametrize("kind", ["tensor", "numpy", "list"])
def test_alpha_over_epochs_heatmap_is_the_mean_over_edges(kind):
    history = [torch.softmax(torch.randn(14, 8), dim=-1) for _ in range(5)]
    given = {"tensor": history, "numpy": [h.numpy() for h in history],
             "list": [h.tolist() for h in history]}[kind]
    fig = plot.alpha_over_epochs(given, DARTS_OPS)
    assert len(fig.axes) == 2
    expected = torch.stack(history).mean(dim=1).T.numpy()  # (epochs, edges, ops) -> (ops, epochs)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), expected, rtol=1e-6)


def test_alpha_over_epochs_one_edge():
    history = np.random.default_rng(0).dirichlet(np.ones(5), size=(7, 6))  # (epochs, edges, ops)
    ax = plot.alpha_over_epochs(history, NB201_OPS, edge=2).axes[0]
    assert len(ax.lines) == 6  # one per operation, then the uniform level 1/|O|, dotted
    np.testing.assert_allclose(ax.lines[3].get_ydata(), history[:, 2, 3])
    assert list(ax.lines[5].get_ydata()) == [0.2, 0.2] and ax.lines[5].get_linestyle() == ":"
    assert "uniform 1/|O| = 1/5" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3, 4, 5, 6, 7]
    assert "2←1" in ax.get_title()
    stacked = plot.alpha_over_epochs(history, NB201_OPS, edge=2, stack=True).axes[0]
    assert len(stacked.collections) == 5
    with pytest.raises(ValueError, match="edge 6"):
        plot.alpha_over_epochs(history, NB201_OPS, edge=6)
    with pytest.raises(ValueError, match="expected"):
        plot.alpha_over_epochs(history, DARTS_OPS)
    with pytest.raises(ValueError, match="rectangular"):
        plot.alpha_over_epochs([np.ones((6, 5)), np.ones((5, 5))], NB201_OPS)


def colour_bar(fig):
    return fig.axes[-1]  # matplotlib appends the colour bar's axes last


def test_alpha_colours_diverge_from_the_uniform_weight():
    w = torch.softmax(torch.randn(14, len(DARTS_OPS), generator=torch.Generator().manual_seed(0)), dim=-1)
    fig = plot.alpha_heatmap(w, DARTS_OPS)
    norm = fig.axes[0].images[0].norm
    assert norm.vcenter == pytest.approx(1 / 8) and fig.axes[0].images[0].get_cmap().name == "RdBu_r"
    far = float((w - 1 / 8).abs().max())
    assert norm.vmax == pytest.approx(1 / 8 + far)  # the farthest weight sets the range ...
    assert norm.vmin == pytest.approx(max(0.0, 1 / 8 - far))  # ... on both sides (no weight goes below 0)
    label = colour_bar(fig).get_ylabel()
    assert "uniform 1/|O| = 1/8" in label and "favoured" in label


def test_a_small_spread_is_shown_with_its_real_numbers():
    # weights of an early search: all within 0.0015 of 1/8 (the case that looked like a decision)
    w = np.full((14, 8), 0.125)
    w[:, 0], w[:, 1] = 0.1235, 0.1265
    fig = plot.alpha_heatmap(w, DARTS_OPS)
    norm = fig.axes[0].images[0].norm
    assert (norm.vmin, norm.vcenter, norm.vmax) == pytest.approx((0.1235, 0.125, 0.1265))
    ticks = [t.get_text() for t in colour_bar(fig).get_yticklabels()]
    assert len(set(ticks)) == 5 and ticks[::2] == ["0.1235", "0.1250", "0.1265"]  # enough decimals to differ
    assert {t.get_text() for t in fig.axes[0].texts} == {"0.1235", "0.1250", "0.1265"}
    assert abs(norm(0.125) - 0.5) < 1e-9  # exactly uniform is the white middle of the scale
    flat = plot.alpha_heatmap(np.full((6, 5), 0.2), NB201_OPS).axes[0].images[0].norm  # no spread at all
    assert flat.vmin < flat.vcenter < flat.vmax and flat.vcenter == pytest.approx(0.2)


def test_alpha_over_epochs_heatmap_is_centred_on_uniform():
    history = np.random.default_rng(1).dirichlet(np.ones(5) * 50, size=(4, 6))  # (epochs, edges, ops)
    fig = plot.alpha_over_epochs(history, NB201_OPS)
    assert fig.axes[0].images[0].norm.vcenter == pytest.approx(1 / 5)
    assert "uniform 1/|O| = 1/5" in colour_bar(fig).get_ylabel()


def test_alpha_over_epochs_cells_draws_both_cells_on_one_scale():
    rng = np.random.default_rng(0)
    history = [{"alpha": [rng.dirichlet(np.ones(8), size=14), rng.dirichlet(np.ones(8), size=14)]} for _ in range(3)]
    cells = [[h["alpha"][k] for h in history] for k in range(2)]  # per cell: one (14, 8) matrix per epoch
    fig = plot.alpha_over_epochs_cells(cells, DARTS_OPS, title="both cells")
    assert len(fig.axes) == 3  # normal, reduction, one colour bar
    normal, reduction = fig.axes[:2]
    assert normal.get_title() == "normal cell" and reduction.get_title() == "reduction cell"
    for k, ax in enumerate((normal, reduction)):
        expected = np.array(cells[k]).mean(axis=1).T  # (epochs, edges, ops) -> (ops, epochs)
        np.testing.assert_allclose(ax.images[0].get_array(), expected)
        assert [t.get_text() for t in ax.get_yticklabels()] == DARTS_OPS
    assert normal.images[0].norm is reduction.images[0].norm and normal.images[0].norm.vcenter == pytest.approx(1 / 8)
    assert fig._suptitle.get_text() == "both cells" and reduction.get_xlabel() == "epoch"
    assert "uniform 1/|O| = 1/8" in colour_bar(fig).get_ylabel()
    # NB201: one cell, given as a list of one history or as the history itself
    nb = [rng.dirichlet(np.ones(5), size=6) for _ in range(4)]
    for given, names in (([nb], ("cell",)), (nb, None), (np.array(nb), ["NB201"])):
        fig = plot.alpha_over_epochs_cells(given, NB201_OPS, cell_names=names)
        expected = "" if names is None else f"{names[0]} cell".replace("cell cell", "cell")  # lone cell: untitled
        assert len(fig.axes) == 2 and fig.axes[0].get_title() == expected
        np.testing.assert_allclose(fig.axes[0].images[0].get_array(), np.array(nb).mean(axis=1).T)
    with pytest.raises(ValueError, match="names 1 cells"):
        plot.alpha_over_epochs_cells(cells, DARTS_OPS, cell_names=["normal"])
    with pytest.raises(ValueError, match="expected"):
        plot.alpha_over_epochs_cells(cells, NB201_OPS)
    with pytest.raises(ValueError, match="same number of epochs"):
        plot.alpha_over_epochs_cells([cells[0], cells[1][:2]], DARTS_OPS)


def test_curves_plot_only_numeric_series_by_default():
    history = {"train_loss": [2.0, 1.5, 1.2], "val_loss": [2.1, 1.9, 1.8], "genotype": ["a", "b", "c"],
               "alpha": [[[0.5, 0.5]]] * 3}
    ax = plot.curves(history, title="loss").axes[0]
    assert [line.get_label() for line in ax.lines] == ["train_loss", "val_loss"]
    assert list(ax.lines[1].get_ydata()) == history["val_loss"]
    assert len(plot.curves(history, keys=["val_loss"]).axes[0].lines) == 1
    with pytest.raises(ValueError, match="test_loss"):
        plot.curves(history, keys=["test_loss"])


def test_width_depth_over_epochs_uses_two_axes():
    fig = plot.width_depth_over_epochs([2.0, 2.5, 3.5], [4, 3, 2])
    assert len(fig.axes) == 2
    assert list(fig.axes[1].lines[0].get_ydata()) == [4, 3, 2]
    with pytest.raises(ValueError, match="one each per epoch"):
        plot.width_depth_over_epochs([2.0], [4, 3])


def test_live_figure_outside_ipython_shows_nothing():
    live = plot.LiveFigure(["loss"], title="live")
    assert live.handle is None
    live.update({"loss": [3.0, 2.0]})
    live.update({"loss": [3.0, 2.0, 1.5]})
    assert list(live.ax.lines[0].get_ydata()) == [3.0, 2.0, 1.5] and len(live.ax.lines) == 1
    assert isinstance(live.close(), Figure)


def test_live_figure_updates_one_display_handle(monkeypatch):
    IPython = pytest.importorskip("IPython")
    import IPython.display

    calls = []

    class Handle:
        def update(self, obj):
            calls.append(("update", obj))

    def display(obj, display_id=False):
        calls.append(("display", obj))
        return Handle()

    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(IPython.display, "display", display)
    live = plot.LiveFigure()
    for n in range(1, 4):
        live.update({"loss": list(range(n))})
    assert [c[0] for c in calls] == ["display", "update", "update", "update"]
    assert all(obj is live.fig for _, obj in calls)
    assert not plt.get_fignums(), "the live figure must not be a pyplot figure (shown twice inline)"


def test_save_figure_writes_a_png_atomically(tmp_path):
    fig = plot.draw_nb201_cell(NB201_STRING)
    path = plot.save_figure(fig, tmp_path / "figs" / "cell.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in (tmp_path / "figs").iterdir()] == ["cell.png"]  # no temporary file left
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match=".png"):
        plot.save_figure(plot.curves({"a": [1.0]}), tmp_path / "x.svg")


def test_save_figure_leaves_nothing_when_writing_fails(tmp_path):
    fig = plot.curves({"a": [1.0, 2.0]})

    def broken(fname, **kwargs):
        with open(fname, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError("disk full")

    fig.savefig = broken
    with pytest.raises(RunFolderError, match="cannot write the figure .*curves.png: disk full"):
        plot.save_figure(fig, tmp_path / "curves.png")
    assert list(tmp_path.iterdir()) == []


# ------ convergence and landscape figures (landscapeplot.py) ---------------------------------------

def _runs():
    return [{"name": f"c{i}", "width": w, "history": [{"epoch": e, "test_loss": 2.0 - 0.1 * e * w} for e in (1, 2, 3)]}
            for i, w in enumerate((2.0, 2.5, 3.5), start=1)]


def test_curves_by_width_colours_each_curve_by_its_width():
    fig = plot.curves_by_width(_runs())
    ax = fig.axes[0]
    colours = [line.get_color() for line in ax.get_lines()]
    assert len(colours) == 3 and len({tuple(to_rgba(c)) for c in colours}) == 3
    # darker is wider: the luminance falls as the width rises
    lum = [colorsys.rgb_to_hls(*to_rgb(c))[1] for c in colours]
    assert lum[0] > lum[1] > lum[2]
    assert [t.get_text() for t in ax.texts] == ["c1", "c2", "c3"]
    assert fig.axes[1].get_ylabel() == "cell width (c)"
    plt.close(fig)
    with pytest.raises(ValueError, match="no runs"):
        plot.curves_by_width([])
    with pytest.raises(ValueError, match="has no 'test_acc'"):
        plot.curves_by_width(_runs(), key="test_acc")


def test_contour_labels_its_levels_and_marks_the_origin():
    from nascourse.landscape import Surface
    xs = [-1.0, -0.5, 0.0, 0.5, 1.0]
    loss = [[1 + x * x + y * y for x in xs] for y in xs]
    s2 = Surface("2d", xs, xs, loss, loss, 10)
    fig = plot.contour(s2, levels=[1.25, 1.5, 2.0])
    ax = fig.axes[0]
    assert sorted({t.get_text() for t in ax.texts}) == ["1.25", "1.50", "2.00"]
    assert any(line.get_marker() == "*" for line in ax.get_lines())
    plt.close(fig)
    fig = plot.variance_surface(s2)
    assert fig.axes[0].name == "3d"
    plt.close(fig)
    fig = plot.variance_surface(s2, log=True)
    assert fig.axes[0].get_zlabel() == "log10 gradient variance"
    plt.close(fig)
    s1 = Surface("1d", xs, None, [1 + x * x for x in xs], [0.5] * 5, 10)
    fig = plot.surface_lines({"wide": s1, "deep": s1})
    assert len(fig.axes[0].get_lines()) == 3  # two curves and the line at a = 0
    plt.close(fig)
    with pytest.raises(ValueError, match="needs a 2-D surface"):
        plot.contour(s1)
