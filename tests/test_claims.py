"""Every figure in a lesson's prose is an output of that lesson, or a cited figure of a paper.

A student reads a lesson's sentences as findings. A decimal number or a percentage in a markdown
cell must therefore appear among the outputs of the same notebook (printed, or in a table the
notebook displays), so that what the text says is what the code showed. Figures taken from a
paper are marked as citations: a bracket holding the source with its year, in the same sentence,
e.g. ``DARTS ends at the all-skip cell, 54.30% [Dong & Yang 2020]``.

Not checked: LaTeX math (``$...$``: definitions and equations), code spans and fenced code, link
targets, and dotted section or version numbers such as 3.1.1. Whole numbers without a percent
sign are not checked either (counts of epochs, seeds, cores).

Run one notebook by hand with ``python tests/test_claims.py lessons/04_wide_shallow.ipynb``.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(glob.glob(os.path.join(ROOT, "lessons", "[0-9]*.ipynb"))
                   + glob.glob(os.path.join(ROOT, "solutions", "[0-9]*.ipynb")))

# a decimal (0.33, -0.163, 54.30) or a percentage (34%, 2.5 %), with an optional sign
NUMBER = re.compile(r"(?<![\w.])[-−+]?\d+(?:\.\d+)?(?: ?%)?(?![\w.]?\d)")
# what is not prose: fenced code, display and inline math, code spans, link targets, HTML tags
NOT_PROSE = [re.compile(p, re.S) for p in (r"```.*?```", r"\$\$.*?\$\$", r"(?<!\\)\$.*?(?<!\\)\$", r"`[^`]*`",
                                            r"\]\([^)]*\)", r"<[^>]+>")]
CITATION = re.compile(r"\[[^\]]*\b(?:19|20)\d\d\b[^\]]*\]")
SENTENCE_END = re.compile(r"[.;!?](?=\s|$)|\n\s*\n|\n\s*[-*|] ")
DOTTED = re.compile(r"\d+\.\d+\.\d+")
ABBREVIATION = re.compile(r"\b(?:et al|e\.g|i\.e|Fig|Figs|Eq|Sec|cf|vs)\.")


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def outputs_text(cells: list) -> str:
    """Everything a notebook's code cells showed, as text (plain, markdown, HTML, LaTeX)."""
    parts = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            parts.append(_text(out.get("text", "")))
            data = out.get("data", {})
            for kind in ("text/plain", "text/markdown", "text/html", "text/latex"):
                parts.append(_text(data.get(kind, "")))
    return " ".join(parts).replace("−", "-")


def prose_numbers(markdown: str) -> list[tuple[str, str]]:
    """(number, sentence) for every uncited decimal or percentage in a markdown cell's prose."""
    for pattern in NOT_PROSE:
        markdown = pattern.sub(" ", markdown)
    markdown = DOTTED.sub(" ", markdown)
    markdown = ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), markdown)  # "et al." ends no sentence
    found = []
    start = 0
    bounds = [m.end() for m in SENTENCE_END.finditer(markdown)] + [len(markdown)]
    for end in bounds:
        sentence = markdown[start:end]
        start = end
        if CITATION.search(sentence):
            continue
        for m in NUMBER.finditer(sentence):
            token = m.group(0)
            if "." not in token and "%" not in token:
                continue  # a whole number: a count, not a finding
            found.append((token, " ".join(sentence.split())))
    return found


def shown(token: str, outputs: str) -> bool:
    """Whether the number ``token`` (as the prose writes it) appears in the outputs."""
    value = token.replace("−", "-").replace("%", "").strip().lstrip("+")  # "+0.44" may print as "0.44"
    # the same figure to as many decimals or more zeros: "54.3" is shown by "54.30", not by "54.31" or "154.3"
    zeros = "0*" if "." in value else ""
    pattern = r"(?<![\d.])" + re.escape(value) + zeros + r"(?!\d|\.\d)"
    return re.search(pattern, outputs) is not None


def missing_numbers(notebook: str) -> list[tuple[str, str]]:
    """The uncited numbers of a notebook's markdown that none of its outputs shows."""
    with open(notebook, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    outputs = outputs_text(cells)
    missing = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for token, sentence in prose_numbers(_text(cell["source"])):
            if not shown(token, outputs):
                missing.append((token, sentence))
    return missing


def test_number_extraction_reads_prose_only():
    text = ("Width and depth correlate at −0.163 here, 34% of cells (2 seeds). DARTS ends at 54.30% "
            "[Dong & Yang 2020, Table 5]. The step uses $\\epsilon = 0.01$ and `lr=0.025`; see section 3.1.1.")
    assert [t for t, _ in prose_numbers(text)] == ["−0.163", "34%"]
    cited = "Wang et al. report 88.11 % [Wang et al., ICLR 2021], e.g. in their Fig. 4."
    assert prose_numbers(cited) == []


def test_a_number_counts_as_shown_only_as_a_whole_token():
    assert shown("0.33", "rho = 0.33 [0.10, 0.52]")
    assert not shown("0.3", "rho = 0.33")
    assert not shown("3.3", "rho = 0.33")
    assert shown("+0.44", "0.44")
    assert not shown("-0.16", "0.16")
    assert shown("54.30%", "54.30 %")
    assert shown("54.3%", "54.30") and not shown("54.30%", "54.3") and not shown("54.3", "54.31")
    assert not shown("94%", "94.37") and shown("94%", "94 % of cells")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[os.path.relpath(n, ROOT) for n in NOTEBOOKS])
def test_every_figure_in_the_prose_is_an_output_or_a_citation(notebook):
    missing = missing_numbers(notebook)
    lines = [f"  {token}: {sentence[:160]}" for token, sentence in missing]
    assert not missing, (f"{os.path.relpath(notebook, ROOT)}: {len(missing)} figures in the prose appear in no "
                         "output; print them, or cite the paper in brackets with its year:\n" + "\n".join(lines))


if __name__ == "__main__":
    for path in sys.argv[1:] or NOTEBOOKS:
        for token, sentence in missing_numbers(path):
            print(f"{os.path.relpath(path, ROOT)}: {token}: {sentence[:200]}")
