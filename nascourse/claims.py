"""The course's claims and how each gets its verdict: the registry, the rule, and the table.

Each lesson ends on a verdict about a paper's claim (Shu et al. on wide and shallow cells,
DARTS-PT on selection, RobustDARTS on sharpness, neighbourhood-aware NAS on flatness, iDARTS on
hypergradients). ``CLAIMS`` lists every claim the course tests with its source and the sign its
effect should have; ``nascourse.evidence`` measures each one from the saved runs under
``lessons/results/`` and the NAS-Bench-201 table, and ``scripts/evidence.py`` writes the rows to
``lessons/results/evidence/evidence.json``. This module reads that file back: the README's table
is :func:`render_markdown` of it, and a lesson shows its own rows with ``show("04")``, so that no
verdict is typed by hand.

Every row states the claim's direction (the sign its effect should have), an effect with a 95 %
interval, the test behind it where a comparison is made, and a verdict by one rule
(:func:`verdict`):

* **held**: the estimate points the claimed way, its 95 % interval excludes zero, and the test (if
  any) gives p < 0.05;
* **held in direction, not significant**: the estimate points the claimed way, but the interval
  includes zero or p >= 0.05 (or, with a single run, there is no interval at all);
* **did not hold**: the estimate is zero or points the other way; the note says whether the
  opposite direction is itself significant;
* **not testable at this scale**: nothing was measured at a scale where the paper's mechanism can
  act; the note says why.

Tests are two-sided. With an exact sign-flip test over seeds, 5 seeds cannot give p < 0.05
(the smallest possible p is 2/32 = 0.0625) and 3 seeds cannot give less than 0.25: a comparison
over so few seeds can at best hold in direction, which is what it can honestly say. Intervals and
permutation p-values come from ``nascourse.stats`` with fixed seeds, and every stored number is
rounded to 4 significant digits, so regenerating the file gives the same bytes. An interval over a
handful of seeds is Student's t (a bootstrap interval of 3 to 5 values is too narrow); over cells,
searches or swap draws it is a bootstrap interval.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HELD = "held"
IN_DIRECTION = "held in direction, not significant"
NOT_HELD = "did not hold"
UNTESTABLE = "not testable at this scale"
#: The four verdicts, from the strongest support to none.
VERDICTS = (HELD, IN_DIRECTION, NOT_HELD, UNTESTABLE)
LEVEL = 0.05  # two-sided significance level; intervals are 95 %

COMMAND = "python scripts/evidence.py"
EVIDENCE_PATH = Path("lessons") / "results" / "evidence" / "evidence.json"  # relative to the repository root


@dataclass(frozen=True)
class Claim:
    """One checkable claim: what it says, where it comes from, which lessons test it, and its sign."""

    claim: str  # one sentence
    source: str  # paper and section
    lessons: tuple[str, ...]  # lesson numbers, "04"
    direction: int  # +1: the effect should be positive; -1: negative


SHU = "Shu, Wang & Cai, ICLR 2020"
PT = "Wang et al. (DARTS-PT), ICLR 2021"
RDARTS = "Zela et al. (RobustDARTS), ICLR 2020"
NANAS = "Wang, Cao, Li & Kitani, BMVC 2021 (course reconstruction)"
#: Every claim the course tests, by key (a row's id is the key, then ``/scale`` where there are several).
CLAIMS = {
    "wide-converge": Claim("Wide, shallow cells converge faster than narrow, deep ones.",
                           f"{SHU}, abstract and Fig. 13", ("04",), -1),
    "searches-wide": Claim("Searches return wider cells than the space offers at random.",
                           f"{SHU}, Fig. 1", ("04",), +1),
    "searches-shallow": Claim("Searches return shallower cells than the space offers at random.",
                              f"{SHU}, Fig. 1", ("04",), -1),
    "short-budget-depth": Claim("A short training budget favours shallow cells: deep cells gain ranks "
                                "from 12 to 200 epochs.", f"{SHU}, abstract", ("04",), +1),
    "short-budget-width": Claim("A short training budget favours wide cells: wide cells lose ranks "
                                "from 12 to 200 epochs.", f"{SHU}, abstract", ("04",), -1),
    "landscape-smooth": Claim("Wider cells have flatter loss surfaces around their minimum.",
                              f"{SHU}, Fig. 17", ("05",), -1),
    "gradient-variance": Claim("Wider cells have smaller gradient variance.",
                               f"{SHU}, Fig. 22", ("05",), -1),
    "weight-sharpness": Claim("Wider cells have a smaller largest Hessian eigenvalue in the weights.",
                              f"{SHU}, abstract; course extension", ("05",), -1),
    "skip-growth": Claim("Skip connections gain weight during a DARTS search.",
                         f"{PT}, section 3.2 and Fig. 3", ("02", "06"), +1),
    "skip-follows-accuracy": Claim("Skip's lead over the convolution grows as the supernet gets more accurate.",
                                   f"{PT}, section 3.2 and Fig. 3", ("02",), +1),
    "magnitude-worsens": Claim("The longer DARTS searches, the worse its magnitude cell.",
                               f"{PT}, Fig. 4", ("06",), -1),
    "alpha-misjudges": Claim("The largest alpha is often not the strongest operation.",
                             f"{PT}, section 3.1", ("06",), +1),
    "pt-beats-magnitude": Claim("Perturbation selection (PT) finds better cells than alpha's magnitude "
                                "on the same DARTS supernet.", f"{PT}, Table 4", ("06",), +1),
    "fixed-alpha-pt": Claim("Fixed-alpha + PT finds better cells than DARTS + PT.",
                            f"{PT}, Table 4", ("06",), +1),
    "pt-narrower": Claim("PT's DARTS-space cells are narrower than magnitude's.",
                         f"{PT}, Table 2 cells", ("06",), -1),
    "edge-shuffle": Claim("Swapping edges costs a supernet far less than swapping layers costs a plain CNN.",
                          f"{PT}, Table 1", ("06",), +1),
    "neighbourhood-predicts": Claim("A cell's neighbourhood predicts its final accuracy better than the cell "
                                    "itself.", f"{NANAS}, abstract", ("07",), +1),
    "na-rs": Claim("Neighbourhood-aware random search beats random search.",
                   f"{NANAS}, abstract", ("07",), +1),
    "na-darts": Claim("NA-DARTS finds better cells than DARTS.",
                      f"{NANAS}, abstract", ("07",), +1),
    "lambda-grows": Claim("The largest eigenvalue of the alpha Hessian grows during a DARTS search.",
                          f"{RDARTS}, section 4", ("07",), +1),
    "darts-es": Claim("Stopping when lambda_max grows (DARTS-ES) returns a better cell than the final one.",
                      f"{RDARTS}, section 4", ("07",), +1),
    "idarts-hypergradient": Claim("iDARTS's Neumann hypergradient (K = 2) is closer to the exact one than "
                                  "DARTS's unrolled step.", "Zhang et al. (iDARTS), ICML 2021, the Neumann "
                                  "approximation", ("03",), +1),
    "idarts-collapse": Claim("iDARTS avoids DARTS's collapse to skip connections on NAS-Bench-201.",
                             "Zhang et al. (iDARTS), ICML 2021, NB201 table", ("03",), +1),
    # The DARTS space, scored by the NAS-Bench-301 surrogate (nascourse.evidence_nb301)
    "nb301-published-above-random": Claim("Published DARTS-space cells are more accurate than random cells of the "
                                          "space.", "Liu et al. (DARTS), ICLR 2019; Xie et al. (SNAS), ICLR 2019; "
                                          f"{PT}", ("01",), +1),
    "nb301-searches-above-random": Claim("Weight-sharing searches return cells more accurate than random cells of "
                                         "the space.", "Liu et al. (DARTS), ICLR 2019", ("04",), +1),
    "nb301-lead-width": Claim("Early in training, wider DARTS cells are more accurate.",
                              f"{SHU}, abstract", ("04",), +1),
    "nb301-lead-depth": Claim("Early in training, shallower DARTS cells are more accurate.",
                              f"{SHU}, abstract", ("04",), -1),
    "nb301-catch-up-depth": Claim("Deeper DARTS cells gain ranks when trained longer.",
                                  f"{SHU}, abstract", ("04",), +1),
    "nb301-catch-up-width": Claim("Wider DARTS cells lose ranks when trained longer.",
                                  f"{SHU}, abstract", ("04",), -1),
    "nb301-cpu-order": Claim("The course's CPU training orders the width family as NAS-Bench-301 predicts.",
                             "course check against Siems et al. (NAS-Bench-301), 2020", ("04",), +1),
    "nb301-pt-beats-magnitude": Claim("Perturbation selection (PT) finds more accurate DARTS-space cells than "
                                      "alpha's magnitude on the same supernet.",
                                      f"{PT}, DARTS-space CIFAR-10 results", ("06",), +1),
    # Step (i) of the course's argument and the cost of the preference (nascourse.evidence_ranking)
    "ws-ranks-cells": Claim("A weight-sharing supernet ranks cells as their full training does (Kendall tau with "
                            "the 200-epoch accuracy above 0).", "Bender et al., ICML 2018; premise of one-shot NAS",
                            ("08",), +1),
    "ws-like-short": Claim("A weight-sharing supernet ranks cells as a short training does (Kendall tau with the "
                           "12-epoch accuracy above 0).", f"course's argument, step (i); {SHU}, section 1",
                           ("08",), +1),
    "ws-favours-simple": Claim("A weight-sharing supernet trained briefly favours simple cells: the more "
                               "convolutions a cell has, the lower it is ranked against its 200-epoch accuracy.",
                               "Ning et al., NeurIPS 2021, one-shot estimators' bias", ("08",), +1),
    "ws-favours-shallow": Claim("A weight-sharing supernet favours shallow cells: within conv-count groups, the "
                                "deeper a cell, the lower it is ranked against its 200-epoch accuracy.",
                                f"{SHU}, section 1", ("08",), +1),
    "ws-favours-wide": Claim("A weight-sharing supernet favours wide cells: within conv-count groups, the narrower "
                             "a cell, the lower it is ranked against its 200-epoch accuracy.",
                             f"{SHU}, section 1", ("08",), -1),
    "search-beats-random": Claim("A search's cell is more accurate than random search's best of 20 cells by "
                                 "12-epoch validation accuracy.", "Li & Talwalkar, UAI 2019; Dong & Yang, ICLR 2020",
                                 ("08",), +1),
    "depth-remedy": Claim("Taking the deepest of a ranker's top five cells, instead of its top cell, finds a more "
                          "accurate cell.", "course's remedy, from the diagnosis of lesson 04", ("08",), +1),
}


# ------ The verdict rule, written once ---------------------------------------------------------------

def verdict(estimate: float | None, low: float | None, high: float | None, direction: int,
            p: float | None = None) -> str:
    """The verdict of one effect (see the module docstring).

    ``estimate``: the effect, None when nothing was measured; ``low``, ``high``: its 95 % interval
    (None or NaN when there is none, e.g. one seed); ``direction``: +1 or -1, the sign the claim
    expects; ``p``: the two-sided p-value of the test, None when no test was made.
    """
    if direction not in (1, -1):
        raise ValueError(f"direction must be +1 or -1 (the sign the claim expects), got {direction!r}")
    if estimate is None:
        return UNTESTABLE
    if not estimate * direction > 0:
        return NOT_HELD
    bounded = low is not None and high is not None and not (math.isnan(low) or math.isnan(high))
    excludes_zero = bounded and low * direction > 0 and high * direction > 0
    return HELD if excludes_zero and (p is None or p < LEVEL) else IN_DIRECTION


def _opposite_note(estimate, low, high, direction, p) -> str:
    """For a claim that did not hold: is the opposite direction significant?"""
    bounded = low is not None and high is not None and not (math.isnan(low) or math.isnan(high))
    against = bounded and low * direction < 0 and high * direction < 0 and (p is None or p < LEVEL)
    return "the opposite direction is significant" if against else "the opposite direction is not significant"


def _stats():
    """``nascourse.stats``, imported only to compute: reading the table (``load``, ``show``) needs json alone."""
    from . import stats

    return stats


def _round(x):
    """4 significant digits for floats (stable across CPUs); ints, strings and None unchanged."""
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if (x == 0 or math.isnan(x) or math.isinf(x)) else float(f"{x:.4g}")
    if isinstance(x, np.integer):
        return int(x)
    return x


def _row(key: str, suffix: str | None, scale: dict, effect: str | None, estimate=None, low=None, high=None,
         units: str = "", test: tuple[str, float] | None = None, note: str = "") -> dict:
    """Assemble one row of the table; the verdict comes from :func:`verdict` alone."""
    c = CLAIMS[key]
    p = None if test is None else test[1]
    v = verdict(estimate, low, high, c.direction, p)
    if v == NOT_HELD:
        note = f"{note}; {_opposite_note(estimate, low, high, c.direction, p)}" if note else \
            _opposite_note(estimate, low, high, c.direction, p)
    bad = lambda x: x is None or (isinstance(x, float) and math.isnan(x))  # noqa: E731
    return {"id": key if suffix is None else f"{key}/{suffix}", "claim": c.claim, "source": c.source,
            "lessons": list(c.lessons), "scale": {k: _round(v_) for k, v_ in scale.items()},
            "effect": None if effect is None else {
                "name": effect, "expected": "> 0" if c.direction > 0 else "< 0", "estimate": _round(estimate),
                "low": None if bad(low) else _round(low), "high": None if bad(high) else _round(high),
                "units": units},
            "test": None if test is None else {"name": test[0], "p": _round(test[1])},
            "verdict": v, "note": note}


def _scale(recipe: str, images, epochs, n: int, units: str) -> dict:
    return {"recipe": recipe, "images": images, "epochs": epochs, "n": n, "units": units}


def _f(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"




# ------ Reading and showing the table ----------------------------------------------------------------

def evidence_path() -> Path:
    """The committed ``evidence.json``: found from the repository root, from ``lessons/`` or beside the package."""
    here = Path.cwd()
    candidates = [base / EVIDENCE_PATH for base in (here, *here.parents)]
    candidates += [here / "results" / "evidence" / "evidence.json", Path(__file__).resolve().parents[1] / EVIDENCE_PATH]
    for c in candidates:
        if c.is_file():
            return c
    raise FileNotFoundError(f"{EVIDENCE_PATH} not found from {here}; make it with `{COMMAND}` "
                            f"from the repository root")


def load(path: str | Path | None = None) -> list[dict]:
    """The rows of the committed evidence file (default: :func:`evidence_path`)."""
    path = Path(path) if path is not None else evidence_path()
    if not path.is_file():
        raise FileNotFoundError(f"no evidence file at {path}; make it with `{COMMAND}` from the repository root")
    return json.loads(path.read_text())["rows"]


def _num(x) -> str:
    return str(x) if isinstance(x, int) else format(x, "g")


def _decimals(*values) -> int:
    """Decimals that show the smallest of ``values`` (an estimate and its interval) to 2 significant digits."""
    sizes = [abs(v) for v in values if v is not None and v != 0]
    if not sizes:
        return 2
    return min(4, max(1, 1 - math.floor(math.log10(min(sizes)))))


def _effect_text(e: dict) -> str:
    """``"name: +1.60 [-0.95, 4.16] points (expected > 0)"``, estimate and interval to the same decimals."""
    est, low, high = e["estimate"], e["low"], e["high"]
    d = _decimals(est, *(() if low is None else (high - low,)))
    interval = "no interval" if low is None else f"[{low:.{d}f}, {high:.{d}f}]"
    return f"{e['name']}: {est:+.{d}f} {interval} {e['units']} (expected {e['expected']})"


def _p_text(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: list[dict]) -> str:
    """One markdown table of ``rows``: claim, source, lessons, scale, effect with its interval, test, verdict, note."""
    lines = ["| claim | source | lessons | scale | effect [95 % interval] | test (p) | verdict | note |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["scale"]
        units = s["units"][:-1] if s["n"] == 1 and s["units"].endswith("s") else s["units"]  # "1 seed"
        scale = "; ".join([s["recipe"]] + [f"{_num(s[k])} {k}" for k in ("images", "epochs") if s[k] is not None]
                          + [f"n = {_num(s['n'])} {units}"])
        effect = "none measured" if r["effect"] is None else _effect_text(r["effect"])
        test = "none" if r["test"] is None else f"{r['test']['name']} ({_p_text(r['test']['p'])})"
        lines.append("| " + " | ".join(_cell(x) for x in (
            f"**{r['id']}**: {r['claim']}", r["source"], ", ".join(r["lessons"]), scale, effect, test,
            f"**{r['verdict']}**", r["note"])) + " |")
    return "\n".join(lines) + "\n"


def show(lesson: str | int, path: str | Path | None = None) -> None:
    """Display the rows that lesson ``lesson`` ("04" or 4) tests, read from the committed evidence file.

    In a notebook the table is rendered (IPython Markdown); elsewhere the markdown is printed. Returns
    nothing, so that a notebook cell ending with ``show("04")`` shows the table once.
    """
    lesson = f"{int(lesson):02d}" if str(lesson).isdigit() else str(lesson)
    every = load(path)
    rows = [r for r in every if lesson in r["lessons"]]
    if not rows:
        raise ValueError(f"no claim of the evidence table cites lesson {lesson!r}; lessons cited: "
                         f"{sorted({x for r in every for x in r['lessons']})}")
    text = render_markdown(rows)
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(text))
    else:
        print(text)

