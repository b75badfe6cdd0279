"""The cell builder (nascourse.widgets): its plain functions against genotypes.cell_width_depth, and
the widget driven headless, as a notebook would, by setting dropdown values from code."""

import base64

import ipywidgets as widgets
import pytest
from traitlets import TraitError

from nascourse import plot
from nascourse.genotypes import AMOEBANET, DARTS_V2, NASNET, check_genotype, genotype_to_str, genotype_width_depth
from nascourse.widgets import CellBuilder, cell_builder, cell_png, describe_cell, input_options, replace_edge

# ---------------------------------------------------------------- plain functions

def test_input_options_are_the_earlier_nodes():
    assert input_options(2) == [("c_{k-2}", 0), ("c_{k-1}", 1)]
    assert [j for _, j in input_options(5)] == [0, 1, 2, 3, 4]
    assert input_options(4)[2] == ("node 2", 2)
    with pytest.raises(ValueError, match="cell input"):
        input_options(1)


def test_describe_cell_of_published_cells():
    assert describe_cell(DARTS_V2.normal, DARTS_V2.normal_concat) == "width 3.5c, depth 3"
    assert describe_cell(DARTS_V2.reduce, DARTS_V2.reduce_concat) == "width 2.5c, depth 3"
    assert describe_cell(AMOEBANET.normal, AMOEBANET.normal_concat).startswith("width 4c, depth 4")


def test_describe_cell_flags_a_node_that_reads_one_node_twice():
    # NASNet's nodes 3 and 5 read c_{k-2} twice, node 6 c_{k-1}: fine for Shu et al., not a DARTS cell
    text = describe_cell(NASNET.normal, NASNET.normal_concat)
    assert text.startswith("width 5c, depth 2") and "nodes 3, 5, 6 read one node twice" in text
    twice = [("skip_connect", 0), ("skip_connect", 1), ("skip_connect", 2), ("skip_connect", 2)]
    assert "node 3 reads" in describe_cell(twice, [2, 3])
    assert "nodes 2, 3 read" in describe_cell([("skip_connect", 1)] * 2 + [("skip_connect", 2)] * 2, [2, 3])


def test_replace_edge_changes_one_entry_and_checks_the_input():
    cell = list(DARTS_V2.normal)
    new = replace_edge(cell, 7, input=4)
    assert new[7] == ("dil_conv_3x3", 4) and new[:7] == cell[:7] and cell == DARTS_V2.normal  # a copy
    assert replace_edge(cell, 0, op="max_pool_3x3")[0] == ("max_pool_3x3", 0)
    with pytest.raises(ValueError, match="node 2 can only read inputs 0..1"):
        replace_edge(cell, 1, input=2)
    with pytest.raises(ValueError, match="entries 0..7"):
        replace_edge(cell, 8, op="skip_connect")


def test_cell_png_is_a_png():
    assert cell_png(DARTS_V2.normal, DARTS_V2.normal_concat).startswith(b"\x89PNG")


# ---------------------------------------------------------------- the widget, headless

def test_builder_starts_from_the_genotype():
    b = cell_builder()
    assert isinstance(b, widgets.VBox) and isinstance(b, CellBuilder)
    assert b.cell == DARTS_V2.normal and b.concat == [2, 3, 4, 5]
    assert len(b.op_dropdowns) == len(b.input_dropdowns) == 8
    assert [d.value for d in b.input_dropdowns] == [j for _, j in DARTS_V2.normal]
    assert "width 3.5c, depth 3" in b.text.value
    (out,) = b.output.outputs
    assert base64.b64decode(out["data"]["image/png"]).startswith(b"\x89PNG")
    # where widgets do not render, the notebook shows this text instead of the whole widget tree
    assert repr(b) == "CellBuilder(normal cell: width 3.5c, depth 3; run the notebook to edit it)"


def test_input_dropdowns_offer_only_earlier_nodes():
    b = cell_builder(draw=False)
    for k, dd in enumerate(b.input_dropdowns):
        node = k // 2 + 2
        assert [j for _, j in dd.options] == list(range(node))
    assert all("none" not in dd.options for dd in b.op_dropdowns)  # a genotype never holds 'none'
    with pytest.raises(TraitError):  # node 2 cannot read node 3: the value is not on offer
        b.input_dropdowns[0].value = 3
    assert b.cell == DARTS_V2.normal


def test_setting_a_dropdown_edits_the_cell_and_redraws():
    b = cell_builder()
    before = b.output.outputs[0]["data"]["image/png"]
    b.input_dropdowns[7].value = 4  # node 5: dil_conv_3x3 now reads node 4
    assert b.cell[7] == ("dil_conv_3x3", 4) and b.cell[:7] == DARTS_V2.normal[:7]
    assert b.output.outputs[0]["data"]["image/png"] != before and len(b.output.outputs) == 1
    b.op_dropdowns[0].value = "avg_pool_3x3"
    assert b.cell[0] == ("avg_pool_3x3", 0)
    # make the cell a chain: node 3 reads node 2, node 4 reads node 3, node 5 reads node 4
    for k, j in ((3, 2), (4, 3), (5, 2), (6, 4), (7, 3)):
        b.input_dropdowns[k].value = j
    assert b.text.value.endswith("width 1.5c, depth 5")
    g = b.genotype()
    check_genotype(g)
    assert genotype_width_depth(g)["normal"] == (1.5, 5) and g.reduce == DARTS_V2.reduce


def test_reduction_and_five_node_cells():
    b = cell_builder(NASNET, "reduce", draw=False)
    assert len(b.input_dropdowns) == 10 and b.concat == [4, 5, 6]
    assert "sep_conv_7x7" in b.op_dropdowns[1].options  # NASNet's op joins the list, once
    assert list(b.op_dropdowns[1].options).count("sep_conv_7x7") == 1
    assert "reduction cell" in b.text.value and "width 3.5c, depth 3" in b.text.value
    b.input_dropdowns[9].value = 5
    assert b.genotype().reduce[9] == ("max_pool_3x3", 5) and b.genotype().normal == NASNET.normal
    with pytest.raises(ValueError, match="'normal' or 'reduce'"):
        cell_builder(DARTS_V2, "reduction")


def test_builder_takes_a_genotype_string():
    b = cell_builder(genotype_to_str(AMOEBANET), "reduce", draw=False)
    assert b.cell == AMOEBANET.reduce and b.genotype() == AMOEBANET
    with pytest.raises(ValueError, match="malformed genotype string"):
        cell_builder("Genotype(normal=[])", draw=False)
    with pytest.raises(TypeError, match="got int 42"):
        cell_builder(42, draw=False)


def test_cell_png_carries_the_width_and_depth_caption(monkeypatch):
    calls = []
    draw = plot.draw_cell
    monkeypatch.setattr(plot, "draw_cell", lambda *a, **k: calls.append(k) or draw(*a, **k))
    cell_png(DARTS_V2.normal, DARTS_V2.normal_concat)
    assert calls[0]["caption"] is True
