"""Sphinx configuration of the course site: the README, the lessons and solutions with their
committed outputs, and the API reference of nascourse.

Build it from the repository root (the README's "Course site" section):

    sphinx-build -W --keep-going -b html docs docs/_build/html

The notebooks are rendered as committed, never executed (myst-nb, ``nb_execution_mode = "off"``):
the outputs on the site are the ones the tests check. They stay in ``lessons/`` and
``solutions/``, where Colab, Binder and nbval expect them; when the build starts they are copied
into ``docs/lessons/`` and ``docs/solutions/``, so that the site has the repository's layout and
the links between lessons, solutions and the README resolve on the site as they do on GitHub.
The API pages are written into ``docs/api/`` from the package itself (``_ext/apiref.py``). The
index's tables of contents glob ``lessons/*`` and ``solutions/*``, so a new lesson's notebook is
on the site as soon as it is in ``lessons/``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))  # the nascourse of this checkout, installed or not

import nascourse  # noqa: E402

project = "nascourse"
author = "the nascourse authors"
copyright = "the nascourse authors, MIT licence"
version = release = nascourse.__version__

extensions = [
    "myst_nb",  # Markdown (the README) and notebooks; brings myst_parser with it
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # the reference's table of modules (the pages themselves are apiref's)
    "sphinx.ext.napoleon",  # the Google-style Args: and Returns: sections of some docstrings
    "sphinx.ext.mathjax",
    "apiref",  # docs/_ext/apiref.py: the API pages and the check for missing docstrings
]

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]  # _build holds myst-nb's jupyter_execute too

# --- notebooks -------------------------------------------------------------------------------
nb_execution_mode = "off"  # render the committed outputs
myst_enable_extensions = ["dollarmath", "amsmath"]  # $...$ and $$...$$ in the lessons' Markdown
myst_heading_anchors = 3  # links to a README section (#run-a-search) resolve

NOTEBOOK_FOLDERS = ("lessons", "solutions")


def copy_notebooks(app) -> None:
    """Mirror ``lessons/*.ipynb`` and ``solutions/*.ipynb`` into the site's source folder."""
    for folder in NOTEBOOK_FOLDERS:
        source, target = ROOT / folder, DOCS / folder
        target.mkdir(exist_ok=True)
        wanted = {nb.name for nb in source.glob("*.ipynb")}
        for nb in sorted(source.glob("*.ipynb")):
            copy = target / nb.name
            if not copy.exists() or copy.read_bytes() != nb.read_bytes():
                shutil.copy2(nb, copy)
        for stale in target.glob("*.ipynb"):
            if stale.name not in wanted:  # a lesson that was removed or renamed
                stale.unlink()


# --- API reference ---------------------------------------------------------------------------
napoleon_numpy_docstring = False
autosummary_generate = False  # apiref writes the pages that the reference's tables link to
autodoc_member_order = "bysource"  # in the order the source reads
autodoc_typehints = "signature"
autodoc_typehints_format = "short"  # Tensor, not torch.Tensor
autodoc_preserve_defaults = True  # defaults as written in the source (DARTS_V2, not its value)
python_maximum_signature_line_length = 100  # longer signatures get one parameter a line
add_module_names = False

# Every cross reference must resolve, type hints included. The type hints below name classes of
# other libraries (torch.Tensor, numpy.ndarray, matplotlib.figure.Figure, ...), whose documentation
# this offline build does not link to; nascourse's own types are never listed, so a type hint that
# names an undocumented nascourse object still fails the build.
nitpicky = True
nitpick_ignore_regex = [
    ("py:class", r"(torch|numpy|matplotlib|ipywidgets|argparse|pathlib|random|collections\.abc)\..*"),
]

# --- HTML -----------------------------------------------------------------------------------
# The Jupyter Book theme: the lessons, solutions, guide and reference in a left-hand navigation,
# and on every notebook page launch buttons that open it on Binder (JupyterLab) or Colab. The
# buttons are made from the page's path: ``lessons/NN_slug`` on the site is ``lessons/NN_slug.ipynb``
# in the repository (the copy above), so the path from the repository root to the site's source is
# empty, and the links are the README's and the lessons' own Binder and Colab links.
html_theme = "sphinx_book_theme"
html_title = "nascourse"
html_theme_options = {
    "repository_url": "https://github.com/nascourse/nascourse",
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "launch_buttons": {
        "binderhub_url": "https://mybinder.org",
        "colab_url": "https://colab.research.google.com",
        "notebook_interface": "jupyterlab",
    },
    "home_page_in_toc": True,
    "show_toc_level": 2,
}
html_show_sourcelink = False


def setup(app) -> None:
    app.connect("builder-inited", copy_notebooks)
