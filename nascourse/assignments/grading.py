"""The grading cell of an assignment: a lesson's checker turned into points, never a traceback.

Each exercise of an assignment ends in a locked cell that calls ``award(points, check)``, where
``check`` is a function of no arguments that calls the lesson's checker on the student's answer,
for instance ``lambda: exercises.check_width_depth(width_depth)``. The checker prints its own
diagnosis (one line per typical mistake) and returns True or False; ``award`` adds one line with
the points and returns them. nbgrader's ``autograde`` reads that returned number as the cell's
score (its partial-credit rule: the cell's value, between 0 and the cell's points), and
``generate_feedback`` shows the printed lines to the student.

A half-finished notebook is graded too: an answer that was never defined (``NameError``), a stub
that still raises ``NotImplementedError``, or a checker that stops on a malformed answer scores 0
with one line that says why, and the cells after it are graded as usual. Anything the checker
writes to ``sys.stderr`` (a warning) is shown on ``sys.stdout`` instead, because nbgrader scores a
cell that writes to stderr as 0.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Callable

__all__ = ["award"]


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def award(points: float, check: Callable[[], bool]) -> float:
    """Run ``check()`` and return ``points`` if it returns True, else 0, printing why.

    Args:
        points: what the exercise is worth (the grading cell's nbgrader points).
        check: calls a checker on the student's answer, e.g.
            ``lambda: exercises.check_width_depth(width_depth)``; wrapped in a lambda so that an
            answer that was never defined is reported here rather than stopping the notebook.

    Returns:
        ``points`` or 0, the points earned, shown as the cell's value, which nbgrader reads as
        its score.
    """
    if not points > 0:
        raise ValueError(f"points must be a positive number, got {points!r}")
    try:
        with contextlib.redirect_stderr(sys.stdout):
            passed = check()
    except NameError as e:
        print(f"0 of {_points(points)}: {e}. Write your answer in the cell above and run that cell "
              "before this one.")
        return 0
    except NotImplementedError:
        print(f"0 of {_points(points)}: your answer still raises NotImplementedError; replace the "
              "stub with your code.")
        return 0
    except Exception as e:  # a malformed answer the checker could not handle: feedback, not a crash
        print(f"0 of {_points(points)}: grading stopped with {type(e).__name__}: {e}. Check that your "
              "answer has the form the exercise asks for.")
        return 0
    if passed is True:
        print(f"{points:g} of {_points(points)}.")
        return points
    print(f"0 of {_points(points)}: see the checker's verdict above.")
    return 0
