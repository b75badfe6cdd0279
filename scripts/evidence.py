"""The course's evidence table, computed from the saved runs: writes the JSON and the README's table.

Computes every row of ``nascourse.evidence`` from ``lessons/results/`` and the NAS-Bench-201 table,
writes ``lessons/results/evidence/evidence.json``, and rewrites the README's table between the
markers ``<!-- evidence:start -->`` and ``<!-- evidence:end -->``. Run it from the repository
root after any saved run changes (about half a minute on two CPU cores):

    python scripts/evidence.py            # write both
    python scripts/evidence.py --check    # write nothing; exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nascourse import evidence
from nascourse.runs import atomic_write

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- evidence:start -->", "<!-- evidence:end -->"


def evidence_text(rows: list[dict]) -> str:
    """The JSON file's text: the command that makes it, the verdicts' meaning, and the rows."""
    doc = {"made_by": evidence.COMMAND, "intervals": "95 %, two-sided tests at 0.05",
           "verdicts": list(evidence.VERDICTS), "rows": rows}
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"


def readme_with_table(readme: str, rows: list[dict]) -> str:
    """``readme`` with the text between the evidence markers replaced by the rendered table."""
    if readme.count(START) != 1 or readme.count(END) != 1 or readme.index(START) > readme.index(END):
        raise SystemExit(f"README.md needs exactly one {START} followed by one {END}; add them where the table goes")
    head, rest = readme.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{evidence.render_markdown(rows)}{END}{tail}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--results", default=str(ROOT / "lessons" / "results"), help="folder of the saved runs")
    ap.add_argument("--readme", default=str(ROOT / "README.md"))
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = ap.parse_args(argv)

    rows = evidence.compute(args.results)
    out = Path(args.results) / "evidence" / "evidence.json"
    readme = Path(args.readme)
    new = {out: evidence_text(rows), readme: readme_with_table(readme.read_text(), rows)}
    stale = [p for p, text in new.items() if not p.is_file() or p.read_text() != text]
    if args.check:
        for p in stale:
            print(f"out of date: {p} (run `{evidence.COMMAND}`)")
        return 1 if stale else 0
    out.parent.mkdir(parents=True, exist_ok=True)
    for p in stale:
        atomic_write(str(p), lambda f, text=new[p]: f.write(text.encode()))
    counts = {v: sum(r["verdict"] == v for r in rows) for v in evidence.VERDICTS}
    print(f"{len(rows)} rows: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    print("updated: " + (", ".join(str(p) for p in stale) if stale else "nothing (already up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
