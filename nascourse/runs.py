"""Run folders: where a search (and later a selection or a training) keeps its result and checkpoint.

Every command that writes a folder goes through this module, so that none of them loses work:

- ``prepare_folder(out, resume=..., overwrite=...)`` decides what may happen to ``out`` before
  any work starts. A path that is a file is refused; a folder that another process is writing
  is refused (one writer at a time: ``folders.hold_folder``); a folder that already holds a run is
  refused unless the caller says ``resume`` (continue it) or ``overwrite`` (replace it); a folder
  that cannot be created or written is refused, with the system's reason and the fix. It returns
  the folder's lock, held until the caller's ``with`` block ends.
- ``atomic_write(path, write)`` writes every file through a temporary name and a rename, with
  the permissions the umask gives (not mkstemp's 0600), so a shared data cache or a result on a
  class server stays readable by the others. A disk error (full, read-only, ...) leaves the old
  file as it was and raises ``RunFolderError`` in one line (``folders.disk_error``);
  ``writing_checkpoint`` adds whether the previous checkpoint is intact and how to resume.
- ``save_checkpoint_file`` / ``load_checkpoint_file`` write and read checkpoints that hold
  tensors, numbers, strings, lists and dicts only, read with ``torch.load(weights_only=True)``:
  a tampered file is refused, never unpickled. A corrupt or foreign checkpoint raises
  ``RunFolderError`` naming the file, the reason and the fix.
- ``StopAfterStep`` turns Ctrl-C into a request that a loop honours after its current step, so
  that it can write a checkpoint before stopping.
- ``settings_diff(saved, now)`` lists, one line per setting, what differs between the run in a
  folder and the one asked for, so that a resumed run is never a mix of two.

Python names the fixes in Python's words (``resume=True``); the command line translates them
into its options (``--resume``).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import tempfile
import threading
from typing import Callable, IO

import torch

from .folders import ELSEWHERE, FolderLock, RunFolderError, disk_error, hold_folder

# The files a run writes into its folder; ``overwrite`` removes these and nothing else.
RUN_FILES = ("result.json", "checkpoint.pt", "supernet.pt", "cell.png", "alpha.png", "curves.png")
CHECKPOINT = "checkpoint.pt"
FORMAT = "nascourse-checkpoint-1"  # bumped when the checkpoint's layout changes


def current_umask() -> int:
    """The process's file-mode creation mask, which new files' permissions leave out."""
    mask = os.umask(0o022)  # os.umask can only be read by setting it: put it straight back
    os.umask(mask)
    return mask


def atomic_write(path: str, write: Callable[[IO[bytes]], None], elsewhere: str = ELSEWHERE) -> None:
    """Write ``path`` through ``write(f)`` on a temporary file in the same folder, then rename.

    The file gets the permissions that ``open`` would give it (0666 less the umask); an error or an
    interrupt inside ``write`` leaves ``path`` as it was and no temporary file behind. An ``OSError``
    (disk full, read-only, no permission, ...) becomes a one-line ``RunFolderError`` whose fix is
    ``elsewhere`` (default: choose another out folder).
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except OSError as e:
        raise disk_error(e, path, "write", elsewhere) from None
    except ValueError:  # a NUL character in the name
        raise RunFolderError(f"cannot write {path!r}: the name holds a NUL character; {elsewhere}") from None
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise disk_error(e, path, "write", elsewhere) from None
        raise


@contextlib.contextmanager
def writing_checkpoint(out: str, what: str = "search"):
    """Around the writes of one checkpoint (result, weights, ``checkpoint.pt``): a disk error's message
    says whether the previous checkpoint is intact, so resumable, or that there is none yet."""
    try:
        yield
    except RunFolderError as e:
        if getattr(e, "errno", None) is None:  # not the disk's refusal
            raise
        path = os.path.join(out, CHECKPOINT)
        if os.path.isfile(path):  # atomic_write never touched it: the rename did not happen
            error = RunFolderError(f"{e}. The previous checkpoint {path} is intact: once there is room (or "
                                   f"the cause is fixed), continue the {what} with resume=True")
            error.resumable = True
        else:
            error = RunFolderError(f"{e}. No checkpoint of this {what} was written before, so there is nothing "
                                   f"to resume: once the cause is fixed, start it again with overwrite=True")
            error.resumable = False
        error.errno = e.errno
        raise error from None


def holds_run(out: str) -> bool:
    """Whether folder ``out`` holds (part of) a run: its result or its checkpoint."""
    return any(os.path.exists(os.path.join(out, name)) for name in ("result.json", CHECKPOINT))


def prepare_folder(out: str, *, resume: bool = False, overwrite: bool = False,
                   what: str = "search") -> FolderLock:
    """Check that ``out`` may receive a run, before any work starts; create it if needed; lock it.

    - ``out`` is a file: refused.
    - another process is writing ``out`` (it holds the lock on ``out/.lock``): refused at once.
    - ``out`` holds a run: refused, unless ``resume`` (the caller then loads its checkpoint) or
      ``overwrite`` (the run's files are deleted now; other files in the folder are kept).
    - ``resume`` on a folder with no checkpoint: refused.
    - ``out`` cannot be created or written (no permission, read-only, a file on the way, a name
      too long): refused, naming the path, the system's words and the fix.

    A refusal changes nothing in the folder. Returns the lock on ``out``, held by this process
    until it is released: ``with prepare_folder(out, ...): ...`` writes the run inside the block.
    """
    if resume and overwrite:
        raise RunFolderError(f"resume=True and overwrite=True contradict each other: resume continues the {what} "
                             f"in {out}, overwrite replaces it. Choose one")
    if os.path.exists(out) and not os.path.isdir(out):
        raise RunFolderError(f"out={out!r} is a file, not a folder: choose another out folder for the {what}")
    lock = hold_folder(out, what, create=False)  # a writer at work is named first; None: no .lock yet
    try:
        _check_run(out, resume, overwrite, what)  # refusals before anything is created
        if lock is None:
            lock = hold_folder(out, what)  # creates out and out/.lock, and tries a file there
            _check_run(out, resume, overwrite, what)  # a run another process finished meanwhile
        if overwrite:
            for name in RUN_FILES:
                path = os.path.join(out, name)
                try:
                    if os.path.isdir(path):
                        shutil.rmtree(path)
                    elif os.path.lexists(path):
                        os.remove(path)
                except OSError as e:
                    raise disk_error(e, path, f"delete (overwrite=True) the earlier {what}'s file") from None
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return lock


def _check_run(out: str, resume: bool, overwrite: bool, what: str) -> None:
    """Refuse a folder whose run may not be touched as asked (see :func:`prepare_folder`)."""
    if resume:
        if not os.path.exists(os.path.join(out, CHECKPOINT)):
            raise RunFolderError(f"resume=True needs the folder of an earlier {what} with its {CHECKPOINT}; found "
                                 f"none in {out}: start the {what} without resume=True")
    elif holds_run(out) and not overwrite:
        raise RunFolderError(f"{out} already holds a {what} ({describe_run(out)}): pass resume=True to "
                             f"continue it, overwrite=True to replace it, or choose another out folder")


def describe_run(out: str) -> str:
    """A few words on the run in ``out``: finished or interrupted, from its ``result.json``."""
    import json

    try:
        with open(os.path.join(out, "result.json")) as f:
            d = json.load(f)
        c, done = d["config"], len(d["history"])
        state = "finished" if done >= c["epochs"] and not d.get("partial") else f"interrupted after {done} of {c['epochs']} epochs"
        what = f"{c['method']} on {c['space']}" if "method" in c else f"a network on {c['space']}"
        return f"{what}, seed {d['seed']}, {state}"
    except (OSError, ValueError, KeyError, TypeError):
        return "an earlier run, with a checkpoint" if os.path.exists(os.path.join(out, CHECKPOINT)) else "an earlier run"


def save_checkpoint_file(path: str, state: dict) -> None:
    """Write a checkpoint (tensors, numbers, strings, lists, dicts only) atomically, with its format tag."""
    atomic_write(path, lambda f: torch.save({"format": FORMAT, **state}, f))


def load_checkpoint_file(path: str, keys: tuple[str, ...] = ()) -> dict:
    """Read a checkpoint written by :func:`save_checkpoint_file`; refuse anything else.

    It is read with ``weights_only=True``: a file holding other objects (an injected pickle
    payload, a checkpoint of another program) is refused without running any of it.
    """
    fix = (f"delete {path} (or the whole folder) and start again, or pass overwrite=True to replace the run "
           "in that folder")
    if not os.path.isfile(path):
        raise RunFolderError(f"no checkpoint at {path}: start without resume=True")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:  # not a checkpoint, or objects beyond plain data: refused, nothing run
        raise RunFolderError(f"cannot read the checkpoint {path}: it is not a nascourse checkpoint, or it holds "
                             f"objects other than tensors and plain data, which are refused without being run. "
                             f"Nothing was loaded; {fix}") from None
    except Exception as e:  # RuntimeError from a broken zip, EOFError, OSError, ...
        raise RunFolderError(f"cannot read the checkpoint {path}: it is truncated or corrupt ({type(e).__name__}). "
                             f"Nothing was loaded; {fix}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        found = state.get("format") if isinstance(state, dict) else type(state).__name__
        raise RunFolderError(f"{path} is not a checkpoint this version of nascourse can resume (format {found!r}, "
                             f"expected {FORMAT!r}); {fix}")
    missing = [k for k in keys if k not in state]
    if missing:
        raise RunFolderError(f"the checkpoint {path} lacks {', '.join(missing)}; {fix}")
    return state


def settings_diff(saved: dict, now: dict) -> list[str]:
    """One line per setting whose value differs: ``"  seed: 0 in the saved run, 1 now"``."""
    lines = []
    for key in sorted(set(saved) | set(now)):
        a, b = saved.get(key), now.get(key)
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            a, b = list(a), list(b)
        if a != b:
            lines.append(f"  {key}: {a!r} in the saved run, {b!r} now")
    return lines


class StopAfterStep:
    """While active, Ctrl-C (a notebook's interrupt) only sets ``requested``: the loop finishes its
    current step, writes a checkpoint and stops. A second Ctrl-C stops at once.

    On leaving, the SIGINT handler found on entering is put back, whatever it was: Python's
    ``default_int_handler``, ``SIG_DFL``, a handler of the caller's, or ``SIG_IGN`` (a process
    started in the background, ``nohup ... &``, ignores Ctrl-C from the terminal, yet
    ``kill -INT`` still stops its loop cleanly). A handler installed outside Python, which
    ``signal.getsignal`` reports as None, could not be put back: it is left in place, and SIGINT
    does what it does. Outside the main thread signals cannot be caught, and Ctrl-C acts as usual."""

    def __enter__(self):
        self.requested, self.installed, self.previous = False, False, None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.getsignal(signal.SIGINT)
            if self.previous is not None:
                signal.signal(signal.SIGINT, self._handle)
                self.installed = True
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)
        return False
