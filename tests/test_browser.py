"""Every lesson, opened in JupyterLab in a real browser, runs from top to bottom and shows what it promises.

nbval (the README's ``pytest``) proves that every cell runs in a kernel; it never renders an output.
A student sees something else: JupyterLab draws widgets through the ipywidgets extension, tqdm bars
through comm messages, figures as images. This test does what a student does and looks at the page:

1. It starts JupyterLab (``python -m jupyter lab``, this Python, so the project's own environment) on
   127.0.0.1 with a free port and a random token, on a temporary copy of ``lessons/`` (so "Run all"
   never rewrites the committed outputs), with the kernels on the tiny preset on the CPU and
   progress bars on (nbval's ``TQDM_DISABLE`` is removed), no news or update checks, no autosave,
   and notebook windowing off, so that every cell is in the page and can be checked.
2. It opens each lesson's ``.ipynb`` in headless Chromium, chooses Kernel > Restart Kernel and Run
   All Cells, and waits until no cell is queued or running and the kernel is idle.
3. It fails on an error output, a code cell that never ran, a widget that shows "Error displaying
   widget", still "Loading widget" or a widget error box ("Click to show javascript error."), a
   figure that did not load, and a cell that runs a search or a training with its progress bar on
   but shows no drawn bar. It saves a screenshot of the whole lesson to ``$NASCOURSE_SCREENSHOTS``
   (default ``build/screenshots/``).
4. In lesson 01 it edits the cell builder through its dropdowns, as a student would, and checks that
   the drawing changes and that the printed width and depth become what ``nascourse.widgets``
   computes for the edited cell.

The browser is Debian's Chromium (``apt-get install chromium``, ``/usr/bin/chromium``; another one
with ``$NASCOURSE_CHROMIUM``), driven by Playwright's Python package (``pip install -e ".[browser]"``)
through ``executable_path``, because Playwright's own browser download needs the internet. Without
them these tests are skipped with a message saying what to install; with
``NASCOURSE_BROWSER_TESTS=required`` (as CI sets it) a missing piece is a failure. Requests that
leave 127.0.0.1 (the Colab badges) are refused, so the test runs offline.

Run: ``pytest -m browser tests/test_browser.py`` (with ``$NASCOURSE_DATA`` where CIFAR-10 is). A
lesson takes about as long as under nbval, plus a few seconds to open; ``$NASCOURSE_BROWSER_TIMEOUT``
bounds one lesson's run (default 600 s).
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field

import pytest

from nascourse.genotypes import DARTS_V2
from nascourse.widgets import describe_cell, input_options, replace_edge

pytestmark = pytest.mark.browser

REPO = pathlib.Path(__file__).resolve().parents[1]
LESSONS = sorted(p.stem for p in (REPO / "lessons").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = os.environ.get("NASCOURSE_CHROMIUM", "/usr/bin/chromium")
# Chromium flags for a machine without a display or internet: no sandbox (containers run as root),
# and none of the background requests (updates, sync, QUIC) that would only be refused.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-proxy-server"]
LESSON_TIMEOUT = float(os.environ.get("NASCOURSE_BROWSER_TIMEOUT", "600"))  # seconds for one lesson's run
# Calls that draw a tqdm bar unless given progress=False; a code cell making one must show a drawn bar.
PROGRESS_CALLS = {"search", "train", "perturbation_select"}
# JupyterLab's own settings for the test server: every cell rendered (no windowing), nothing fetched
# from the internet (news, update checks), nothing saved behind the test's back.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def missing_tools() -> list[str]:
    """What to install before these tests can run (empty when everything is there)."""
    missing = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append('Playwright\'s Python package: pip install -e ".[browser]" (not `playwright install`)')
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"Chromium at {CHROMIUM}: apt-get install chromium (or set NASCOURSE_CHROMIUM)")
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        missing.append('JupyterLab: pip install -e ".[lessons]"')
    return missing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab server: its URL, token, the folder it serves and its process."""

    url: str
    token: str
    root: pathlib.Path
    process: subprocess.Popen

    def api(self, method: str, path: str):
        """Call the server's REST API (no proxy: the server is local)."""
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self, path: str | None = None) -> None:
        """End the session of notebook ``path`` and its kernel; with no path, every session and kernel
        (a kernel may outlive its session when a run went wrong)."""
        for session in self.api("GET", "/api/sessions"):
            if path is None or session["path"] == path:
                self.api("DELETE", f"/api/sessions/{session['id']}")
        if path is None:
            for kernel in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")


def start_lab(root: pathlib.Path) -> Lab:
    """Serve a copy of lessons/ (notebooks and the saved runs they read) from root/lessons."""
    served = root / "lessons"
    served.mkdir()
    for name in LESSONS:
        shutil.copy(REPO / "lessons" / f"{name}.ipynb", served)  # the .ipynb alone: no jupytext pairing
    shutil.copytree(REPO / "lessons" / "results", served / "results", ignore=shutil.ignore_patterns("*.pt"))
    settings = root / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))

    env = dict(os.environ, NASCOURSE_PRESET="tiny", NASCOURSE_DEVICE="cpu", JUPYTER_PLATFORM_DIRS="1",
               PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
    env.pop("TQDM_DISABLE", None)  # set for nbval; a student has progress bars
    for var, folder in (("JUPYTER_CONFIG_DIR", "jupyter-config"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("IPYTHONDIR", "ipython"),
                        ("MPLCONFIGDIR", "matplotlib")):
        env[var] = str(root / folder)  # nothing read from or written to the user's own Jupyter set-up

    port, token = free_port(), secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={root / 'workspaces'}",
               "--LabApp.extension_manager=readonly",  # no queries to PyPI
               # window.jupyterapp: the test reads cells and outputs as the page holds them
               "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    log = open(root / "jupyterlab.log", "w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(f"http://127.0.0.1:{port}", token, served, process)
    deadline = time.monotonic() + 120
    while True:
        try:
            lab.api("GET", "/api/status")
            return lab
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop_lab(lab)
                log.flush()
                raise RuntimeError(f"JupyterLab did not start:\n{(root / 'jupyterlab.log').read_text()[-3000:]}")
            time.sleep(0.5)


def stop_lab(lab: Lab) -> None:
    """Stop the kernels (each in a process group of its own), then the server and its group."""
    try:
        lab.shut_down_kernels()
    except OSError:
        pass  # a server that no longer answers: SIGTERM below still asks it to stop its kernels
    try:
        os.killpg(lab.process.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
        lab.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(lab.process.pid, signal.SIGKILL)  # whatever is left of the group
    except ProcessLookupError:
        pass
    lab.process.wait()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    missing = missing_tools()
    if missing:
        message = "browser tests need " + "; ".join(missing)
        if os.environ.get("NASCOURSE_BROWSER_TESTS") == "required":
            pytest.fail(message)
        pytest.skip(message)
    lab = start_lab(tmp_path_factory.mktemp("jupyterlab"))
    yield lab
    stop_lab(lab)


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # a fresh temporary profile each launch; headless
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screenshots(request):
    folder = pathlib.Path(os.environ.get("NASCOURSE_SCREENSHOTS") or REPO / "build" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"browser tests: screenshots in {folder}")


# JavaScript: the open notebook (its panel) whose file is `path`, once JupyterLab has loaded
PANEL = ("(window.jupyterapp && [...window.jupyterapp.shell.widgets('main')]"
         ".find(w => w.context && w.context.path === path))")
# Read, for every cell of the open notebook, what the notebook model holds (type, source, execution
# count, outputs) and what the page shows for it (prompt, output text, drawn progress bars, images).
READ_CELLS = """(path) => {
  const panel = """ + PANEL + """;
  const shown = e => e.offsetWidth > 0 && e.offsetHeight > 0 && getComputedStyle(e).visibility !== 'hidden';
  return panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const info = {index, type: model.type, source: model.sharedModel.source};
    if (model.type !== 'code') return info;
    const outputs = [];
    for (let i = 0; i < model.outputs.length; i++) {
      const o = model.outputs.get(i).toJSON();
      outputs.push({type: o.output_type, mimes: Object.keys(o.data || {}), ename: o.ename, evalue: o.evalue});
    }
    const area = cell.node.querySelector('.jp-OutputArea') || cell.node;
    const prompt = cell.node.querySelector('.jp-InputArea-prompt');
    return {...info, count: model.executionCount, prompt: prompt ? prompt.textContent : '', outputs,
      text: [...area.querySelectorAll('.jp-OutputArea-output')].map(e => e.textContent).join('\\n'),
      bars: [...area.querySelectorAll('.widget-hprogress')].filter(shown).map(e => {
        const track = e.querySelector('.progress'), fill = e.querySelector('.progress-bar');
        return track && fill ? fill.getBoundingClientRect().width / track.getBoundingClientRect().width : 0;
      }),
      images: [...area.querySelectorAll('img')].map(e => e.complete && e.naturalWidth > 0),
      widgetErrors: area.querySelectorAll('.jupyter-widgets-error-widget').length};
  });
}"""


@dataclass
class LessonRun:
    """One lesson after Restart Kernel and Run All Cells: its page, the cells as read, the seconds it took."""

    name: str
    page: object
    cells: list[dict]
    seconds: float
    screenshot: pathlib.Path
    problems: list[str] = field(default_factory=list)


class Lessons:
    """Runs each lesson once in its own tab and keeps the result; closes a lesson's tab and kernel on request."""

    def __init__(self, lab: Lab, browser, screenshots: pathlib.Path):
        self.lab, self.screenshots = lab, screenshots
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.runs: dict[str, LessonRun] = {}

    def get(self, name: str) -> LessonRun:
        if name not in self.runs:
            self.runs[name] = self.run(name)
        return self.runs[name]

    def close(self, name: str) -> None:
        """Close the lesson's tab and shut its kernel down (lesson 01's stays for the cell builder)."""
        if name in self.runs and not self.runs[name].page.is_closed():
            self.runs[name].page.close()
        self.lab.shut_down_kernels(f"{name}.ipynb")

    def run(self, name: str) -> LessonRun:
        page = self.context.new_page()
        try:
            return self.restart_and_run_all(page, name)
        except BaseException:
            if not page.is_closed():  # what the page showed when it went wrong, then no tab left behind
                page.screenshot(path=self.screenshots / f"{name}.png")
                page.close()
            raise

    def restart_and_run_all(self, page, name: str) -> LessonRun:
        page.set_default_timeout(60_000)
        # only the local server: the Colab badge and anything else on the internet is refused at once
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(self.lab.url)
                   else route.abort())
        page.goto(f"{self.lab.url}/lab/tree/{name}.ipynb?reset&token={self.lab.token}")
        # the notebook's kernel connected and idle (the toolbar's indicator may read idle before that)
        page.wait_for_function(f"""(path) => {{ const panel = {PANEL};
          return panel && panel.sessionContext.isReady && panel.sessionContext.session.kernel.status === 'idle'; }}""",
                               arg=f"{name}.ipynb", timeout=180_000, polling=500)
        page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # the notebook alone, as in a screenshot

        # A queued or running cell shows [*]; the run has started once one did (however briefly: an
        # observer sees every change) and is over when none does and the kernel is idle.
        page.evaluate("""() => {
          window.nascourseRunStarted = false;
          new MutationObserver(() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            if (prompts.some(e => e.textContent.includes('*'))) window.nascourseRunStarted = true;
          }).observe(document.body, {subtree: true, childList: true, characterData: true});
        }""")
        # Kernel > Restart Kernel and Run All Cells..., then the dialog's Restart button
        start = time.monotonic()
        page.locator(".lm-MenuBar-itemLabel", has_text="Kernel").click()
        page.locator(".lm-Menu-item:not(.lm-mod-disabled) .lm-Menu-itemLabel",
                     has_text="Restart Kernel and Run All Cells").click()
        page.locator(".jp-Dialog .jp-mod-accept", has_text="Restart").click()
        try:
            page.wait_for_function("() => window.nascourseRunStarted", timeout=180_000)
        except Exception:
            pytest.fail(f"{name}: Restart Kernel and Run All Cells ran no cell (see {name}.png)")
        try:
            page.wait_for_function(
                """() => ![...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                           .some(e => e.textContent.includes('*'))
                         && document.querySelector('.jp-Notebook-ExecutionIndicator').dataset.status === 'idle'""",
                timeout=LESSON_TIMEOUT * 1000, polling=1000)
        except Exception:
            cells = page.evaluate(READ_CELLS, f"{name}.ipynb")
            busy = [c["index"] for c in cells if "*" in c.get("prompt", "")]
            pytest.fail(f"{name}: still running after {LESSON_TIMEOUT:.0f} s (cells {busy} queued or running)")
        seconds = time.monotonic() - start
        # widgets and images finish rendering after the kernel is idle: give them a moment (what is
        # still loading after it is reported by the checks)
        try:
            page.wait_for_function(
                """() => ![...document.querySelectorAll('.jp-OutputArea-output')]
                           .some(e => e.textContent.includes('Loading widget'))
                         && [...document.querySelectorAll('.jp-OutputArea-output img')].every(e => e.complete)""",
                timeout=15_000)
        except Exception:
            pass
        cells = page.evaluate(READ_CELLS, f"{name}.ipynb")
        return LessonRun(name, page, cells, seconds, self.screenshot(page, name))

    def screenshot(self, page, name: str) -> pathlib.Path:
        """The whole notebook in one picture: make the window as tall as the notebook, then shoot."""
        scroller = "document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')"
        height = page.evaluate(f"() => {scroller}.scrollHeight")
        page.set_viewport_size({"width": 1280, "height": min(int(height) + 200, 30_000)})
        page.evaluate(f"() => {{ {scroller}.scrollTop = 0; }}")  # Run All leaves it at the last cell
        page.wait_for_timeout(1000)
        path = self.screenshots / f"{name}.png"
        page.screenshot(path=path)
        page.set_viewport_size({"width": 1280, "height": 900})
        return path


@pytest.fixture(scope="module")
def lessons(lab, browser, screenshots):
    runner = Lessons(lab, browser, screenshots)
    yield runner
    for name in list(runner.runs):
        runner.close(name)
    runner.context.close()
    lab.shut_down_kernels()


def makes_progress_bar(source: str) -> bool:
    """Whether a cell's code calls search/train/perturbation_select without progress=False (magics allowed)."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            off = any(k.arg == "progress" and isinstance(k.value, ast.Constant) and k.value.value is False
                      for k in node.keywords)
            if name in PROGRESS_CALLS and not off:
                return True
    return False


def problems(run: LessonRun) -> list[str]:
    """Everything a student would see go wrong in the lesson, one line each, naming the cell."""
    found = []
    for cell in run.cells:
        if cell["type"] != "code":
            continue
        first_line = cell["source"].strip().splitlines()[0][:60] if cell["source"].strip() else "empty"
        where = f"cell {cell['index']} ({first_line})"
        for out in cell["outputs"]:
            if out["type"] == "error":
                found.append(f"{where}: error {out['ename']}: {out['evalue'][:300]}")
        if cell["count"] is None or not any(ch.isdigit() for ch in cell["prompt"]):
            found.append(f"{where}: never ran (prompt {cell['prompt']!r})")
        for message in ("Error displaying widget", "Loading widget"):
            if message in cell["text"]:
                found.append(f"{where}: shows {message!r}")
        if cell["widgetErrors"]:  # a widget whose code failed to load or render: a red box in its place
            found.append(f"{where}: shows {cell['widgetErrors']} widget error(s) ('Click to show javascript error.')")
        expected_images = sum("image/png" in out["mimes"] or "image/jpeg" in out["mimes"] for out in cell["outputs"])
        if sum(cell["images"]) < expected_images or not all(cell["images"]):
            found.append(f"{where}: {expected_images} figures in its outputs, {sum(cell['images'])} of "
                         f"{len(cell['images'])} images loaded in the page")
        if makes_progress_bar(cell["source"]) and not any(fill > 0 for fill in cell["bars"]):
            found.append(f"{where}: runs with a progress bar but shows no drawn bar "
                         f"(fill of the visible bars: {cell['bars']})")
    return found


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_runs_in_jupyterlab(lessons, name):
    """Restart and run all: no error, every cell ran, every widget, figure and progress bar drawn."""
    run = lessons.get(name)
    try:
        print(f"{name}: ran in {run.seconds:.0f} s; screenshot {run.screenshot}")
        code = [c for c in run.cells if c["type"] == "code"]
        assert code, f"{name}: no code cells found in the page"
        found = problems(run)
        assert not found, f"{name} in JupyterLab:\n" + "\n".join(found)
    finally:
        if name != "01_cells":  # lesson 01's tab stays open for the cell-builder test
            lessons.close(name)


def test_cell_builder_responds_in_jupyterlab(lessons):
    """Lesson 01's cell builder, edited through its dropdowns, redraws the cell and prints its new width and depth."""
    from playwright.sync_api import expect

    page = lessons.get("01_cells").page
    try:
        builder = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-dropdown select"))
        expect(builder).to_have_count(1)
        selects = builder.locator(".widget-dropdown select")  # entry k: operation 2k, input 2k+1
        text = builder.locator(".widget-html-content", has_text="normal cell:")
        drawing = builder.locator(".widget-output img")
        cell, concat = list(DARTS_V2.normal), list(DARTS_V2.normal_concat)
        expect(selects).to_have_count(2 * len(cell))
        expect(text).to_have_text(f"normal cell: {describe_cell(cell, concat)}")
        expect(drawing).to_have_count(1)

        # what a student might try: turn a convolution into a skip connection (same wiring: same
        # width and depth), then rewire node 4 to read node 3, then node 5 to read node 4 (deeper, narrower)
        edits = [(0, "skip_connect", None), (5, None, 3), (7, None, 4)]
        for k, op, source in edits:
            before_src, before_text = drawing.get_attribute("src"), describe_cell(cell, concat)
            cell = replace_edge(cell, k, op=op, input=source)
            if op is not None:
                selects.nth(2 * k).select_option(op)
            else:
                label = dict((j, name) for name, j in input_options(k // 2 + 2))[source]
                selects.nth(2 * k + 1).select_option(label=label)
                assert describe_cell(cell, concat) != before_text, "a rewiring the test makes must change the shape"
            expect(text).to_have_text(f"normal cell: {describe_cell(cell, concat)}", timeout=30_000)
            expect(drawing).not_to_have_attribute("src", before_src, timeout=30_000)
            expect(drawing).to_have_count(1)
            assert drawing.evaluate("e => e.complete && e.naturalWidth > 0"), "the new drawing did not load"
        builder.screenshot(path=lessons.screenshots / "01_cells-builder.png")
    finally:
        lessons.close("01_cells")
