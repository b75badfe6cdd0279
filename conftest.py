"""Settings for running the lessons under nbval (`pytest`, see pyproject.toml).

Notebook kernels inherit this process's environment, so the variables set here reach them:
the tiny preset, no progress bars, stable hashing and Jupyter paths. stderr (warnings, kernel
chatter) differs between machines and is never compared.
"""

import os

os.environ.setdefault("NASCOURSE_PRESET", "tiny")
os.environ.setdefault("TQDM_DISABLE", "1")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")
os.environ.setdefault("IPYKERNEL_CELL_NAME", "<IPY-INPUT>")


def pytest_collectstart(collector):
    if collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr", "image/svg+xml", "text/html")
