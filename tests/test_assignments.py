"""The graded assignments, built and graded by nbgrader as an instructor would.

For every lesson with exercises, and for the instructors' guide's example: the instructor version
earns full marks; the student version as released earns 0 without an error, with the reason in
the feedback (an answer never defined, a stub that still raises); a student version with one
typical mistake per exercise loses that exercise's points, and only those, and the checker's own
message is in the feedback; the student version holds the lesson's stubs and none of the worked
solutions' lines. Needs the ``instructor`` extra (nbgrader, jupytext); skipped without it.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason='the assignments need nbgrader: pip install -e ".[instructor]"')
pytest.importorskip("jupytext", reason='the assignments need jupytext: pip install -e ".[instructor]"')

import nbformat  # noqa: E402

from nascourse.assignments.build import _nbgrader_api, build_course, lesson_pairs, read_assignment  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = (ROOT / "docs" / "instructors" / "snas_gumbel.py", ROOT / "docs" / "instructors" / "snas_gumbel_solution.py")
ASSIGNMENTS = {a.name: a for a in (read_assignment(*pair) for pair in [*lesson_pairs(ROOT), EXAMPLE]) if a}

# One typical mistake per checker: an answer cell, and words of the message the checker prints for it.
MISTAKES = {
    "check_param_counts": ('''
def n_params(module):
    return len(list(module.parameters()))  # tensors, not numbers


def n_weights(supernet):
    return sum(p.numel() for p in supernet.weight_parameters())
''', "parameter tensors, not the numbers"),
    "check_width_depth": ('''
from nascourse.genotypes import cell_width_depth


def width_depth(cell, concat):
    width, depth = cell_width_depth(cell, concat)
    return depth, width
''', "(width, depth), in that order"),
    "check_narrowest_deepest": ('''
from nascourse.genotypes import DARTS_V2

my_cell = DARTS_V2.normal
''', "depth 3, but the space allows 5"),
    "check_nb201_parse": ('''
def parse(s):
    return [entry for node in s.split("+") for entry in node.strip("|").split("|")]
''', "strip the '~j' suffix"),
    "check_mixed_op": ('''
def mixed(x, alpha, ops):
    return sum(op(x) for op in ops)
''', "without weighting"),
    "check_arch_gradient": ('''
def arch_gradient(supernet, train_batch, val_batch):
    x, y = train_batch
    alphas = supernet.arch_parameters()
    return list(torch.autograd.grad(F.cross_entropy(supernet(x), y), alphas))
''', "you used the training batch"),
    "check_neumann": ('''
def my_neumann(train_loss, val_loss, w, alpha, gamma, K):
    g_alpha, g_w = torch.autograd.grad(val_loss(), [alpha, w], allow_unused=True)
    if g_alpha is None:
        g_alpha = torch.zeros_like(alpha)
    v, s = g_w, g_w.clone()
    for _ in range(K):
        v = v - gamma * hessian_vector_product(train_loss, [w], [v])[0]
        s = s + v
    grad_w = torch.autograd.grad(train_loss(), w, create_graph=True)[0]
    return (g_alpha + gamma * torch.autograd.grad(grad_w @ s, alpha)[0]).detach()
''', "wrong sign"),
    "check_mixed_fd": ('''
def my_mixed_fd(train_loss, w, alpha, v):
    eps = 0.01 / float(v.norm())
    saved = w.detach().clone()

    def grad_at(point):
        with torch.no_grad():
            w.copy_(point)
        return torch.autograd.grad(train_loss(), alpha)[0]

    g_0, g_plus = grad_at(saved), grad_at(saved + eps * v)
    with torch.no_grad():
        w.copy_(saved)
    return (g_plus - g_0) / eps
''', "forward difference"),
    "check_neumann_rate": ('''
def neumann_rate(H, gamma):
    return float((1 - torch.linalg.eigvalsh(H)).abs().max())
''', "you forgot γ"),
    "check_spearman": ('''
def my_spearman(x, y):
    return float(np.corrcoef(x, y)[0, 1])
''', "Pearson's correlation of the values"),
    "check_group_depth_rho": ('''
def my_group_depth_rho(convs, metric):
    s = bench_analysis.shapes()
    keep = s["connected"]
    return bench_analysis.spearman(s["depth"][keep], np.asarray(bench.table()[metric])[keep])
''', "you pooled all connected cells"),
    "check_filter_normalise": ('''
def my_filter_normalise(direction, weights):
    return [d * w.norm() / (d.norm() + 1e-10) for d, w in zip(direction, weights)]
''', "layer normalisation"),
    "check_gradient_variance": ('''
def my_gradient_variance(grads):
    return float((grads ** 2).sum(1).mean())
''', "forgot to subtract the mean"),
    "check_operation_strength": ('''
def my_operation_strength(accuracy, weights, edge):
    out = []
    for o in range(weights.shape[1]):
        w = weights.clone()
        w[edge, o] = 0.0
        w[edge] = w[edge] / w[edge].sum() if w[edge].sum() > 0 else w[edge]
        out.append(accuracy(w))
    return out
''', "renormalised"),
    "check_optimal_skip_weight": ('''
def my_optimal_skip_weight(x, o, m):
    d, r = x - o, o - m
    return float(-(r * d).sum() / (d * d).sum())
''', "clip to [0, 1]"),
    "check_neighbourhood_mean": ('''
import numpy as np

from nascourse.ops import NB201_OPS


def my_neighbourhood_mean(cell, measure):
    values = [measure(cell[:e] + [o] + cell[e + 1:]) for e in range(6) for o in NB201_OPS if o != cell[e]]
    return float(np.mean(values))
''', "the 24 neighbours only"),
    "check_relaxed_neighbour": ('''
def my_neighbour(p, edge, op, beta):
    q = p.clone()
    q[edge] = torch.nn.functional.one_hot(torch.tensor(op), p.shape[1]).to(p)
    return q
''', "replaced the row by the one-hot"),
    "check_kendall_tau": ('''
def my_kendall(x, y):
    n, c, d = len(x), 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            s = (x[i] - x[j]) * (y[i] - y[j])
            c, d = c + (s > 0), d + (s < 0)
    return (c - d) / (n * (n - 1) / 2)
''', "that is tau-a"),
    "check_regret": ('''
def my_regret(scores, truth, k):
    shortlist = sorted(range(len(scores)), key=lambda i: scores[i])[:k]
    return max(truth) - max(truth[i] for i in shortlist)
''', "you took the cells with the LOWEST scores"),
    "check_relaxed_sample": ('''
def my_relaxed_sample(alpha, tau, generator):
    gumbel = -torch.empty(alpha.shape).exponential_(generator=generator).log()
    return torch.softmax(torch.log_softmax(alpha, dim=-1) + gumbel, dim=-1)
''', "does not depend on tau"),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The whole set built into one nbgrader course folder, and nbgrader's API on it."""
    out = tmp_path_factory.mktemp("course")
    built = build_course(out, ROOT, [EXAMPLE])
    assert sorted(a.name for a in built) == sorted(ASSIGNMENTS)
    return out, _nbgrader_api(out)


def _read(course, version: str, name: str):
    return nbformat.read(course[0] / version / name / f"{name}.ipynb", as_version=4)


def _grade(course, name: str, student: str, nb) -> tuple[dict[str, float], str]:
    """Submit ``nb`` as ``student``, autograde it and make its feedback: (points per grading cell, feedback text)."""
    out, api = course
    folder = out / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    result = api.autograde(name, student, force=True, create=True)
    assert result["success"], result["log"] + str(result["error"])
    result = api.generate_feedback(name, student, force=True)
    assert result["success"], result["log"] + str(result["error"])
    graded = nbformat.read(out / "autograded" / student / name / f"{name}.ipynb", as_version=4)
    errors = [o for c in graded.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, f"{name}, {student}: a cell raised {errors[0]['ename']}: {errors[0]['evalue']}"
    notebook = api.gradebook.find_submission_notebook(name, name, student)
    scores = {g.name: g.score for g in notebook.grades}
    feedback = (out / "feedback" / student / name / f"{name}.html").read_text(encoding="utf-8")
    feedback = re.sub(r"<(style|script)\b.*?</\1>", "", feedback, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback))
    shutil.rmtree(folder.parent)
    return scores, text


def _answer(nb, checker: str):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"{checker}_answer")


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_instructor_version_earns_full_marks(course, name):
    scores, text = _grade(course, name, "instructor", _read(course, "source", name))
    assert scores == {e.checker: e.points for e in ASSIGNMENTS[name].exercises}, text
    assert "Traceback" not in text


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_released_version_earns_nothing_and_says_why(course, name):
    scores, text = _grade(course, name, "blank", _read(course, "release", name))
    assert scores == {e.checker: 0 for e in ASSIGNMENTS[name].exercises}, text
    assert "Traceback" not in text
    assert text.count("0 of ") == len(ASSIGNMENTS[name].exercises), text


def test_an_answer_never_defined_scores_zero_and_the_others_are_graded(course):
    name = "01_cells"
    nb, source = _read(course, "release", name), _read(course, "source", name)
    first, *others = ASSIGNMENTS[name].exercises
    _answer(nb, first.checker).source = ""  # the student deleted the stub: width_depth is never defined
    for e in others:
        _answer(nb, e.checker).source = _answer(source, e.checker).source
    scores, text = _grade(course, name, "unfinished", nb)
    assert scores == {first.checker: 0, **{e.checker: e.points for e in others}}, text
    assert "name 'width_depth' is not defined" in text and "Traceback" not in text


def _mistaken(course, name: str, wrong: list[str]):
    """The released notebook with a typical mistake in the exercises ``wrong``, the worked answer elsewhere."""
    nb, source = _read(course, "release", name), _read(course, "source", name)
    for e in ASSIGNMENTS[name].exercises:
        if e.checker in wrong:
            assert e.checker in MISTAKES, f"add a typical mistake for {e.checker} to MISTAKES in {__file__}"
            _answer(nb, e.checker).source = MISTAKES[e.checker][0].strip()
        else:
            _answer(nb, e.checker).source = _answer(source, e.checker).source
    return nb


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_a_typical_mistake_loses_its_points_with_the_checkers_message(course, name):
    exercises = ASSIGNMENTS[name].exercises
    checkers = [e.checker for e in exercises]
    # two submissions, each wrong in every other exercise, so that each mistake sits beside right answers
    for k, half in enumerate([checkers[0::2], checkers[1::2]]):
        if not half:
            continue
        scores, text = _grade(course, name, f"mistakes{k}", _mistaken(course, name, half))
        assert scores == {e.checker: 0 if e.checker in half else e.points for e in exercises}, text
        for checker in half:
            assert MISTAKES[checker][1] in text, f"{checker}'s message is not in the feedback:\n{text}"
        assert "Traceback" not in text


@pytest.mark.parametrize("name", sorted(ASSIGNMENTS))
def test_student_version_has_the_stubs_and_no_solution(course, name):
    nb = _read(course, "release", name)
    released = "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in released
    lines = {line.strip() for line in released.split("\n")}
    for e in ASSIGNMENTS[name].exercises:
        assert _answer(nb, e.checker).source.strip() == e.stub.strip()
        stub = {line.strip() for line in e.stub.split("\n")}
        leaked = [line.strip() for line in e.solution.split("\n")
                  if re.search(r"\w", line) and line.strip() not in stub and line.strip() in lines]
        assert not leaked, f"{name}: the student version shows the solution's lines {leaked}"


def test_an_edited_grading_cell_is_restored_before_grading(course):
    name = "01_cells"
    nb = _read(course, "release", name)
    first = ASSIGNMENTS[name].exercises[0].checker
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == first)
    cell.source = "1  # full marks, please"
    scores, text = _grade(course, name, "tamperer", nb)
    assert scores[first] == 0, text
