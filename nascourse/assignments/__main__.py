"""``python -m nascourse.assignments OUT``: build every lesson's graded assignment into course folder OUT."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nascourse.assignments",
        description="Build an nbgrader course folder (nbgrader_config.py, source/, release/) with one graded "
                    "assignment per lesson that has exercises, from lessons/ and solutions/.")
    parser.add_argument("out", type=Path, help="the course folder to write (created if missing)")
    parser.add_argument("--repo", type=Path, default=Path.cwd(),
                        help="the clone holding lessons/ and solutions/ (default: the current folder)")
    parser.add_argument("--add", nargs=2, action="append", default=[], metavar=("EXERCISES", "SOLUTION"),
                        help="also build an assignment from this exercise notebook and its worked solution "
                             "(jupytext .py or .ipynb, in the lessons' format); may be repeated")
    args = parser.parse_args(argv)
    from .build import build_course

    start = time.perf_counter()
    try:
        built = build_course(args.out, args.repo, [tuple(pair) for pair in args.add])
    except (ImportError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for a in built:
        print(f"{a.name:24s} {len(a.exercises)} exercises, {a.points:g} points: "
              + ", ".join(e.checker for e in a.exercises))
    print(f"{len(built)} assignments in {args.out}/release/ (instructor versions in {args.out}/source/), "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
