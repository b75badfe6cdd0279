"""The evidence table: regenerated from the saved runs, it must equal the committed JSON and the README.

The JSON (``lessons/results/evidence/evidence.json``) and the README's table are both written by
``scripts/evidence.py``; these tests recompute the rows and fail when either has drifted from the
saved runs, check the verdict rule on hand-made effects, and check how lessons read the file.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from nascourse import evidence as E

ROOT = Path(__file__).resolve().parents[1]
JSON_PATH = ROOT / E.EVIDENCE_PATH
NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _script():
    spec = importlib.util.spec_from_file_location("evidence_script", ROOT / "scripts" / "evidence.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def computed() -> list[dict]:
    return E.compute(ROOT / "lessons" / "results")


def test_regenerating_gives_the_committed_json(computed):
    committed = {r["id"]: r for r in E.load(JSON_PATH)}
    changed = [r["id"] for r in computed if committed.get(r["id"]) != r]
    gone = sorted(set(committed) - {r["id"] for r in computed})
    assert not changed and not gone, (f"rows that the saved runs no longer give: {changed}; rows no longer made: "
                                      f"{gone}; run `{E.COMMAND}`")
    assert [r["id"] for r in computed] == list(committed)
    assert _script().evidence_text(computed) == JSON_PATH.read_text(), f"run `{E.COMMAND}`"


def test_readme_table_is_rendered_from_the_json():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- evidence:start -->\n")[1].split("<!-- evidence:end -->")[0]
    assert block == E.render_markdown(E.load(JSON_PATH)), f"README's evidence table is stale: run `{E.COMMAND}`"


def test_every_number_in_the_readme_section_is_in_the_json():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## What the course found")[1].split("\n## ")[0]
    # the table itself is render_markdown(load()) (the test above); its prose around it must quote the JSON
    section = section.split("<!-- evidence:start -->")[0] + section.split("<!-- evidence:end -->")[1]
    known = {float(x) for x in NUMBER.findall(JSON_PATH.read_text())}
    missing = sorted({x for x in NUMBER.findall(section) if float(x) not in known})
    assert not missing, f"figures in the README's evidence section that the JSON does not hold: {missing}"


def test_rows_are_complete_and_verdicts_follow_the_rule(computed):
    assert len({r["id"] for r in computed}) == len(computed)
    for r in computed:
        claim = E.CLAIMS[r["id"].split("/")[0]]
        assert r["lessons"] and r["source"] and r["claim"] == claim.claim
        assert set(r["scale"]) == {"recipe", "images", "epochs", "n", "units"}
        e = r["effect"]
        p = None if r["test"] is None else r["test"]["p"]
        if e is None:
            assert r["verdict"] == E.UNTESTABLE and r["note"], r["id"]
        else:
            assert r["verdict"] == E.verdict(e["estimate"], e["low"], e["high"], claim.direction, p), r["id"]
            assert (e["low"] is None) == (e["high"] is None) and (e["low"] is None or e["low"] <= e["high"]), r["id"]


@pytest.mark.parametrize("direction", [1, -1])
def test_verdict_rule_on_hand_made_effects(direction):
    d = direction
    assert E.verdict(0.5 * d, 0.2 * d, 0.8 * d, d) == E.HELD  # interval on the claimed side, no test
    assert E.verdict(0.5 * d, 0.8 * d, 0.2 * d, d, p=0.01) == E.HELD  # interval given in either order
    assert E.verdict(0.5 * d, 0.2 * d, 0.8 * d, d, p=0.0625) == E.IN_DIRECTION  # 5 seeds: p cannot reach 0.05
    assert E.verdict(0.5 * d, -0.1 * d, 0.8 * d, d, p=0.01) == E.IN_DIRECTION  # interval includes zero
    assert E.verdict(0.5 * d, None, None, d) == E.IN_DIRECTION  # one run: no interval at all
    assert E.verdict(-0.5 * d, -0.8 * d, -0.2 * d, d, p=0.01) == E.NOT_HELD  # significant, the other way
    assert E.verdict(-0.5 * d, -0.8 * d, 0.2 * d, d, p=0.5) == E.NOT_HELD  # the other way, not significant
    assert E.verdict(0.0, -0.1, 0.1, d) == E.NOT_HELD  # no effect does not point the claimed way
    assert E.verdict(None, None, None, d) == E.UNTESTABLE
    with pytest.raises(ValueError, match="direction"):
        E.verdict(0.5, 0.2, 0.8, 0)


def test_not_held_rows_say_whether_the_opposite_is_significant():
    against = E._row("na-rs", "x", E._scale("r", None, None, 3, "seeds"), "e", -1.0, -1.5, -0.5, "points",
                     ("t", 0.001))
    weak = E._row("na-rs", "x", E._scale("r", None, None, 3, "seeds"), "e", -1.0, -1.5, 0.5, "points", ("t", 0.4))
    assert against["verdict"] == weak["verdict"] == E.NOT_HELD
    assert "opposite direction is significant" in against["note"]
    assert "not significant" in weak["note"]


def test_show_prints_the_rows_of_one_lesson(capsys):
    assert E.show("07", JSON_PATH) is None  # a notebook cell ending with show() displays the table once
    text = capsys.readouterr().out
    rows = [r for r in E.load(JSON_PATH) if "07" in r["lessons"]]
    assert text == E.render_markdown(rows) + "\n"
    assert rows and all(f"**{r['id']}**" in text for r in rows)
    assert "**wide-converge**" not in text  # lesson 04's row
    E.show(7, JSON_PATH)  # a number works too
    assert capsys.readouterr().out == text


def test_show_finds_the_file_from_the_lessons_folder(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "lessons")  # where notebooks run
    assert E.evidence_path().resolve() == JSON_PATH.resolve()
    E.show("04")
    assert "**searches-wide/tiny**" in capsys.readouterr().out
    monkeypatch.chdir(ROOT)
    assert E.evidence_path().resolve() == JSON_PATH.resolve()


def test_a_missing_file_names_the_command_that_makes_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(E.COMMAND)):
        E.load(tmp_path / "evidence.json")
    with pytest.raises(ValueError, match="lessons cited"):
        E.show("99", JSON_PATH)


def test_readme_markers_are_required():
    script = _script()
    with pytest.raises(SystemExit, match="evidence:start"):
        script.readme_with_table("# no markers here\n", [])
    text = script.readme_with_table(f"a\n{script.START}\nold\n{script.END}\nb\n", E.load(JSON_PATH)[:1])
    assert text.startswith(f"a\n{script.START}\n| claim") and text.endswith(f"{script.END}\nb\n")


def test_the_json_is_stable_text():
    doc = json.loads(JSON_PATH.read_text())
    assert doc["made_by"] == E.COMMAND and doc["verdicts"] == list(E.VERDICTS)
    numbers = [v for r in doc["rows"] if r["effect"] for v in (r["effect"]["estimate"], r["effect"]["low"])
               if isinstance(v, float)]
    assert all(float(f"{v:.4g}") == v for v in numbers)  # rounded to 4 significant digits


def test_show_renders_markdown_in_a_notebook(monkeypatch, capsys):
    IPython = pytest.importorskip("IPython")
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())  # as inside a kernel
    monkeypatch.setattr(IPython.display, "display", shown.append)
    E.show("05", JSON_PATH)
    assert capsys.readouterr().out == ""
    assert len(shown) == 1 and isinstance(shown[0], IPython.display.Markdown)
    assert "**gradient-variance**" in shown[0].data


SHOW = re.compile(r"evidence\.show\(\s*[\"'](\d\d)[\"']\s*\)")


def _shown_tables():
    """(notebook, lesson, the markdown its evidence.show cell displayed) for every lesson that shows its rows."""
    for nb in sorted(ROOT.glob("lessons/[0-9]*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            source = "".join(cell["source"])
            m = SHOW.search(source) if cell["cell_type"] == "code" else None
            if m:
                shown = ["".join(o.get("data", {}).get("text/markdown", "")) for o in cell.get("outputs", [])]
                yield nb.name, m.group(1), "".join(shown)


def test_every_lesson_shows_its_rows_as_the_json_has_them():
    tables = list(_shown_tables())
    assert len(tables) >= 5, f"lessons that show their evidence rows: {[t[:2] for t in tables]}"
    rows = E.load(JSON_PATH)
    for name, lesson, shown in tables:
        expected = E.render_markdown([r for r in rows if lesson in r["lessons"]])
        assert shown == expected, f"{name}: its evidence table is stale; rerun it (make outputs NB=lessons/{name[:-6]}.py)"
