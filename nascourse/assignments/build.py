"""Graded assignments made from the lessons and their worked solutions, for nbgrader.

A lesson's ``## Exercises`` section states each exercise in Markdown and gives a code cell with a
stub that ends by calling a checker, ``exercises.check_...(answer)``; the paired file in
``solutions/`` calls the same checker after the worked answer. Nothing else is needed: for every
lesson whose exercises call a checker, ``read_assignment`` takes

- the task: the Markdown just above the stub (without the link to the worked solutions);
- the stub: the lesson's code before the checker call, what the student starts from;
- the solution: the code of the worked solution before its call of the same checker, back to the
  solution's ``Exercise`` heading;
- the set-up: the lesson's first code cell (it installs nascourse on Colab and does nothing
  elsewhere, as in the lessons) and only those import statements of the lesson and the solution
  that the stubs, solutions and checker calls use. No search or training runs, so autograding an
  assignment takes seconds.

``write_source`` turns one into an nbgrader source notebook: per exercise a locked task cell, an
answer cell (the stub, then the solution between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
which ``generate_assignment`` removes, so the student gets exactly the lesson's stub) and a locked
grading cell, ``award(points, lambda: exercises.check_...(answer))`` (``grading.py``), worth
``points``. ``build_course`` writes every assignment into an nbgrader course folder
(``nbgrader_config.py``, ``source/<assignment>/<assignment>.ipynb``) and runs
``generate_assignment`` on each, which writes the student versions into ``release/``. Lessons
are found by globbing ``lessons/NN_*.py``, so a new lesson with exercises becomes an assignment
when it lands.

nbgrader and jupytext come with the ``instructor`` extra: ``pip install -e ".[instructor]"``.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Exercise", "Assignment", "lesson_pairs", "read_assignment", "write_source", "build_course",
           "NBGRADER_CONFIG"]

INSTALL_HINT = 'pip install -e ".[instructor]"  (or: pip install "nascourse[instructor]")'

#: The ``nbgrader_config.py`` written into a new course folder. ClearSolutions' stub is empty
#: because each answer cell already starts with the lesson's own stub.
NBGRADER_CONFIG = '''\
"""nbgrader's configuration of the nascourse assignments (written by python -m nascourse.assignments)."""

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "nascourse"
# Each answer cell starts with the lesson's stub; the solution after it is removed without a trace.
c.ClearSolutions.code_stub = {"python": ""}
# Grading cells run the lessons' checkers, a few seconds each.
c.ExecutePreprocessor.timeout = 300
'''

_CHECKER = re.compile(r"check_\w+")
_EXERCISES_HEADING = re.compile(r"^#{1,6}\s+Exercises\s*$", re.M)
_EXERCISE_HEADING = re.compile(r"^#{1,6}\s+Exercise\b", re.M)
_TITLE = re.compile(r"^#\s+(?:(?:Lesson|Solutions?)\s+\d+\s*[:·,-]?\s*)?(.+?)\s*$", re.M)


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: what the student reads, starts from and must make pass."""

    checker: str  #: the checker's name, e.g. ``check_width_depth``; the grading cell's id
    task: str  #: the exercise as the lesson states it, in Markdown
    stub: str  #: code the student starts from (the lesson's stub)
    solution: str  #: the worked answer (replaces the stub when it runs)
    check: str  #: the checker call, e.g. ``exercises.check_width_depth(width_depth)``
    points: float = 1.0  #: what the grading cell awards when the checker passes


@dataclass(frozen=True)
class Assignment:
    """The exercises of one lesson, with the set-up they need."""

    name: str  #: the lesson's file name without suffix, e.g. ``01_cells``; the nbgrader assignment id
    title: str  #: the lesson's title, e.g. ``Cells and search spaces``
    install: str  #: the lesson's first code cell, which installs nascourse on Colab and does nothing elsewhere
    imports: str  #: the import statements the exercises use
    exercises: tuple[Exercise, ...]

    @property
    def points(self) -> float:
        """The assignment's total points."""
        return sum(e.points for e in self.exercises)


def _jupytext():
    try:
        import jupytext
    except ImportError:
        raise ImportError(f"reading the lessons needs jupytext, which the instructor extra installs: "
                          f"{INSTALL_HINT}") from None
    return jupytext


def _require_nbgrader() -> None:
    try:
        import nbgrader.apps  # noqa: F401
    except ImportError:
        raise ImportError(f"building graded assignments needs nbgrader (>= 0.9), which the instructor "
                          f"extra installs: {INSTALL_HINT}") from None


def _nbgrader_api(course: Path):
    _require_nbgrader()
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.root = str(course.resolve())
    return NbGraderAPI(config=config)


def lesson_pairs(root: str | Path) -> list[tuple[Path, Path]]:
    """``(lessons/NN_slug.py, solutions/NN_slug.py)`` for every lesson of the checkout at ``root``."""
    root = Path(root)
    lessons = sorted((root / "lessons").glob("[0-9][0-9]_*.py"))
    if not lessons:
        raise FileNotFoundError(f"no lessons/NN_*.py under {root.resolve()}: pass the root of a clone of the "
                                "course repository (the folder holding lessons/ and solutions/)")
    return [(lesson, root / "solutions" / lesson.name) for lesson in lessons]


def _code(cell) -> str:
    """A code cell's source with IPython magics and shell escapes blanked, so that ``ast`` reads it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.split("\n"))


def _checker_call(node: ast.stmt) -> str | None:
    """The checker's name if ``node`` is a statement that calls one (``check_x(...)`` or ``m.check_x(...)``)."""
    value = node.value if isinstance(node, (ast.Expr, ast.Assign)) else None
    if isinstance(value, ast.Call):
        func = value.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if _CHECKER.fullmatch(name):
            return name
    return None


def _is_import(node: ast.stmt) -> bool:
    return isinstance(node, (ast.Import, ast.ImportFrom))


def _lines_before(source: str, tree: ast.Module, stop: ast.stmt | None = None) -> str:
    """The lines of ``source`` above statement ``stop`` (all if None), without imports and nbval markers."""
    lines = source.split("\n")
    end = stop.lineno - 1 if stop is not None else len(lines)
    drop = set()
    for node in tree.body:
        if _is_import(node) and node.lineno <= end:
            drop.update(range(node.lineno - 1, node.end_lineno))
    kept = [line for i, line in enumerate(lines[:end])
            if i not in drop and not line.strip().startswith("# NBVAL_")]
    return "\n".join(kept).strip("\n")


def _task(markdown: list[str]) -> str:
    """The exercise's statement, without the section heading and the link to the worked solutions."""
    paragraphs = "\n\n".join(markdown).split("\n\n")
    kept = [p for p in paragraphs
            if not _EXERCISES_HEADING.fullmatch(p.strip()) and "solutions/" not in p]
    return "\n\n".join(kept).strip()


def _imports(cells: list[str]) -> list[tuple[str, set[str]]]:
    """Every top-level import of ``cells`` split into one statement per name bound: (statement, {name})."""
    found = []
    for source in cells:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for a in node.names:
                    statement = f"import {a.name}" + (f" as {a.asname}" if a.asname else "")
                    found.append((statement, {a.asname or a.name.split(".")[0]}))
            elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
                module = "." * node.level + (node.module or "")
                for a in node.names:
                    found.append((f"from {module} import {a.name}" + (f" as {a.asname}" if a.asname else ""),
                                  {a.asname or a.name}))
    return found


def _used_names(code: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Name):
            names.add(node.id)
    return names


def _import_block(statements: list[str]) -> str:
    """``from m import a`` lines regrouped per module, plain imports first, in order of appearance."""
    plain, grouped = [], {}
    for s in dict.fromkeys(statements):
        if s.startswith("import "):
            plain.append(s)
        else:
            module, name = s[len("from "):].split(" import ", 1)
            grouped.setdefault(module, []).append(name)
    return "\n".join(plain + [f"from {m} import {', '.join(names)}" for m, names in grouped.items()])


def _title(nb, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = _TITLE.search(cell.source)
            if m:
                return m.group(1)[:1].upper() + m.group(1)[1:]
    return fallback


def read_assignment(lesson: str | Path, solution: str | Path, points: float = 1.0) -> Assignment | None:
    """The graded exercises of ``lesson`` (a jupytext ``.py`` or ``.ipynb``) with answers from ``solution``.

    Returns None when the lesson has no ``Exercises`` section or none of its exercises calls a
    checker (pen-and-paper exercises are not graded). Every exercise is worth ``points``.
    """
    jupytext = _jupytext()
    lesson, solution = Path(lesson), Path(solution)
    if not solution.exists():
        raise FileNotFoundError(f"{lesson} has exercises but no worked solution at {solution}: write it "
                                "(the same file name under solutions/), calling the same checkers")
    nb, sol = jupytext.read(lesson), jupytext.read(solution)
    start = next((i for i, c in enumerate(nb.cells)
                  if c.cell_type == "markdown" and _EXERCISES_HEADING.search(c.source)), None)
    if start is None:
        return None
    exercises, markdown = [], []
    for cell in nb.cells[start:]:
        if cell.cell_type == "markdown":
            markdown.append(cell.source)
            continue
        source = _code(cell)
        tree = ast.parse(source)
        calls = [(node, _checker_call(node)) for node in tree.body if _checker_call(node)]
        if calls:
            node, checker = calls[0]
            check = ast.get_source_segment(source, node.value if isinstance(node, ast.Assign) else node)
            exercises.append(Exercise(checker=checker, task=_task(markdown) or f"Exercise: `{checker}`",
                                      stub=_lines_before(source, tree, node),
                                      solution=_solution(sol, checker, solution), check=check.rstrip(";"),
                                      points=points))
        markdown = []
    if not exercises:
        return None
    code = "\n".join(f"{e.stub}\n{e.solution}\n{e.check}" for e in exercises)
    used = _used_names(code)
    sources = [_code(c) for c in nb.cells + sol.cells if c.cell_type == "code"]
    imports = [s for s, names in _imports(sources) if names & used]
    first = next(c for c in nb.cells if c.cell_type == "code")
    return Assignment(name=lesson.stem, title=_title(nb, lesson.stem), install=first.source,
                      imports=_import_block(imports), exercises=tuple(exercises))


def _solution(sol, checker: str, path: Path) -> str:
    """The worked answer before ``sol``'s first call of ``checker``, back to its ``Exercise`` heading."""
    for i, cell in enumerate(sol.cells):
        if cell.cell_type != "code":
            continue
        source = _code(cell)
        tree = ast.parse(source)
        call = next((node for node in tree.body if _checker_call(node) == checker), None)
        if call is None:
            continue
        parts = [_lines_before(source, tree, call)]
        for earlier in reversed(sol.cells[:i]):
            if earlier.cell_type == "markdown":
                if _EXERCISE_HEADING.search(earlier.source):
                    break
                continue
            code = _code(earlier)
            earlier_tree = ast.parse(code)
            if any(_checker_call(node) for node in earlier_tree.body):
                break
            parts.insert(0, _lines_before(code, earlier_tree))
        answer = "\n\n\n".join(p for p in parts if p.strip())
        if not answer:
            raise ValueError(f"{path}: no worked answer before its call of {checker}")
        return answer
    raise ValueError(f"{path} never calls {checker}, which the lesson's exercise calls: the worked solution "
                     "must call the same checker after its answer")


def _cell(kind: str, source: str, grade_id: str, *, solution=False, grade=False, locked=False, points=None):
    import nbformat

    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return make(source, metadata={"nbgrader": meta})


def write_source(assignment: Assignment, path: str | Path) -> Path:
    """Write ``assignment`` as an nbgrader source notebook (solutions included) at ``path``."""
    import nbformat

    n = len(assignment.exercises)
    number = re.match(r"\d+", assignment.name)
    heading = f"Assignment {number.group(0)}" if number else "Assignment"
    intro = (f"# {heading} · {assignment.title}\n\n"
             f"{n} exercise{'s' if n > 1 else ''}, {assignment.points:g} point{'s' if assignment.points != 1 else ''}. "
             "Write each answer in the cell below its task, in place of the stub, and run the grading cell "
             "after it: it runs the course's checker on your answer, prints what is right and what is wrong, "
             "and shows the points it earns. The points you are given are those of the same cells run by "
             "your instructor. Where a task also asks you to try your answer on a lesson's experiment, do "
             "that in the lesson; here only the answer is graded.")
    cells = [_cell("markdown", intro, "intro", locked=True),
             _cell("code", assignment.install, "install", locked=True),
             _cell("code", assignment.imports, "imports", locked=True)]
    for e in assignment.exercises:
        module = "exercises" if e.check.startswith("exercises.") else None
        grading = ("from nascourse import exercises\n" if module else "") + \
            "from nascourse.assignments import award\n\n" + f"award({e.points:g}, lambda: {e.check})"
        answer = f"{e.stub}\n\n### BEGIN SOLUTION\n{e.solution}\n### END SOLUTION" if e.stub else \
            f"### BEGIN SOLUTION\n{e.solution}\n### END SOLUTION"
        cells += [_cell("markdown", e.task, f"{e.checker}_task", locked=True),
                  _cell("code", answer, f"{e.checker}_answer", solution=True),
                  _cell("code", grading, e.checker, grade=True, locked=True, points=e.points)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def build_course(out: str | Path, root: str | Path, extra: list[tuple[str | Path, str | Path]] = ()) -> list[Assignment]:
    """Build every lesson's assignment (and ``extra`` (exercise, solution) pairs) into course folder ``out``.

    Writes ``out/nbgrader_config.py`` (unless one is there), ``out/source/<name>/<name>.ipynb``
    and, through nbgrader's ``generate_assignment``, the student versions in
    ``out/release/<name>/``. Returns the assignments built.
    """
    _require_nbgrader()
    assignments = [a for pair in [*lesson_pairs(root), *extra] if (a := read_assignment(*pair)) is not None]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text(NBGRADER_CONFIG, encoding="utf-8")
    api = _nbgrader_api(out)
    names = [a.name for a in assignments]
    if len(set(names)) != len(names):
        raise ValueError(f"two assignments share a name: {names}; rename one of the exercise notebooks")
    for a in assignments:
        write_source(a, out / "source" / a.name / f"{a.name}.ipynb")
        result = api.generate_assignment(a.name, force=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader generate_assignment {a.name} failed:\n{result['error']}\n{result['log']}")
    return assignments
