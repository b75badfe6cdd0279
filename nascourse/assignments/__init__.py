"""Graded assignments made from the lessons, for nbgrader: build them, grade them.

Every lesson with exercises becomes an assignment: its tasks, its stubs for the student, the worked
solutions for the instructor, and grading cells that run the lesson's checkers and award points
(``build.py``). A grading cell calls ``award`` (``grading.py``), which needs nascourse only, so a
student's notebook runs on Colab, Binder or a laptop as the lessons do. Building needs nbgrader
and jupytext, the ``instructor`` extra. One command builds the whole set into an nbgrader course
folder::

    python -m nascourse.assignments build/course

``docs/instructors.md`` (the site's instructors' guide) says how to distribute, collect and grade
them, and how to write a new exercise with its checker.
"""

from .grading import award

__all__ = ["award"]
