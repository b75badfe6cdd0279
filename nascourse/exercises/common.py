"""What every checker shares: calling the student's answer safely and printing a verdict."""


from __future__ import annotations

import traceback


def _report(title: str, problems: list[str]) -> bool:
    """Print a verdict: every problem on its own line, or that all cases passed."""
    if problems:
        print(f"{title}: not yet.")
        for p in problems:
            print(f"  - {p}")
        return False
    print(f"{title}: correct.")
    return True


def _call(fn, *args, problems: list[str], label: str):
    """Call the student's ``fn``; on an exception, record it as a problem and return None."""
    try:
        return fn(*args)
    except NotImplementedError:
        problems.append(f"{label}: not implemented yet (the function raises NotImplementedError)")
    except Exception as e:  # a wrong answer is feedback, not a crash
        last = traceback.extract_tb(e.__traceback__)[-1]
        problems.append(f"{label}: raised {type(e).__name__}: {e} (line {last.lineno})")
    return None


def _float(value):
    """The student's answer as a float, or None if it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _close(a, b, tol=1e-9) -> bool:
    """a equals b within a relative ``tol`` (absolute below 1); a NaN answer is right where b is NaN."""
    import math
    if a is None or b is None:
        return False
    if math.isnan(b):
        return math.isnan(a)
    return abs(a - b) <= tol * max(1.0, abs(b))
