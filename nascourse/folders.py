"""Folders on disk: one writer at a time, and the operating system's refusals said in one line.

A run folder (a search's, a training's, a selection's) and the data cache are each written by one
process at a time; anyone may read them at any time. ``runs.prepare_folder`` and the data cache
take the lock through :func:`hold_folder`:

- The lock is ``fcntl.flock(LOCK_EX)`` on the file ``.lock`` inside the folder (Linux, macOS).
  The operating system drops it when the process ends, however it ends (an exception, Ctrl-C,
  SIGKILL, a crash), so a killed run never leaves its folder locked: the next run takes the lock
  at once. ``.lock`` exists while a process writes the folder and holds that process's pid, so
  that a refused second writer can name the first; the writer removes it when it lets go (a
  killed one leaves it behind, unlocked, for the next to take). Its content is a hint, never the
  lock itself. ``.lock`` is not a run file: ``overwrite`` never deletes it and it never makes a
  folder count as "holding a run". A finished run's folder holds no ``.lock``.
- A second writer is refused at once with one line (``RunFolderError``), having changed nothing.
  The data cache waits instead (``wait=True``), saying for whom, then reads what the first wrote.
- Readers (``SearchResult.load``, a lesson plotting a saved run) never take the lock: every file
  is written under a temporary name and renamed, so a reader sees a whole old file or a whole
  new one.
- Within one process the lock is re-entrant: the command line holds it from its checks to its
  last picture, and the search it calls, taking it again, only counts.
- Windows has no ``flock``: ``msvcrt.locking`` locks one byte of ``.lock`` instead, also released
  when the process ends (this path is not tested here). On a network file system the lock is only
  as good as that system's support for ``flock``.

:func:`disk_error` turns an ``OSError`` (no permission, not a folder, read-only, disk full, name
too long, ...) into a ``RunFolderError`` naming the path, the system's own words
(``os.strerror``) and the fix; :func:`make_folder` creates a folder that way, removing what it
created if it fails half-way. Every module that writes a run folder or the cache goes through them.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
import threading
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt

LOCK = ".lock"  # the lock file inside a folder
ELSEWHERE = "choose another out folder"  # a run folder's way out; the data cache names NASCOURSE_DATA
_WINDOWS_BYTE = 1 << 20  # the byte msvcrt locks: far past the pid, so that others can still read it


class RunFolderError(ValueError):
    """A run folder (or a file in it) that cannot be used as asked; the message says what to do."""


# errno -> (what it means here, the fix); {elsewhere} is the caller's way out, e.g. "choose another out folder"
_MEANINGS = {
    errno.EACCES: ("this user may not write there", "{elsewhere}, or get write permission on {near}"),
    errno.EPERM: ("this user may not write there", "{elsewhere}, or get write permission on {near}"),
    errno.ENOTDIR: ("{near} is a file, not a folder", "{elsewhere}, or move that file away"),
    errno.EEXIST: ("a file of that name is in the way", "{elsewhere}, or move that file away"),
    errno.EROFS: ("the file system there is mounted read-only", "{elsewhere} on a writable disk"),
    errno.ENOSPC: ("the disk is full", "free some space there, or {elsewhere} on another disk"),
    errno.ENAMETOOLONG: ("a name in the path is longer than the file system allows (255 bytes on most)",
                         "{elsewhere}, with a shorter name"),
    errno.EINVAL: ("the file system refuses that name", "{elsewhere}, named with letters, digits, '-', '_' and '.'"),
    errno.ENOENT: ("a folder on the way is missing (removed while in use?)", "{elsewhere}, or create it again"),
    errno.EISDIR: ("a folder is where a file should be", "{elsewhere}, or move that folder away"),
}
if hasattr(errno, "EDQUOT"):  # not on every system
    _MEANINGS[errno.EDQUOT] = ("your disk quota is used up", "free some space there, or {elsewhere} on another disk")


def disk_error(e: OSError, path: str, doing: str, elsewhere: str = ELSEWHERE) -> RunFolderError:
    """The one-line ``RunFolderError`` for ``e``, raised while ``doing`` (e.g. "create the folder") ``path``.

    ``"cannot create the folder runs/x: Not a directory (ENOTDIR): runs is a file, not a folder;
    choose another out folder, or move that file away"``
    """
    code = e.errno if isinstance(e.errno, int) else 0
    said = os.strerror(code) if code else str(e)
    name = errno.errorcode.get(code, "")
    meaning, fix = _MEANINGS.get(code, ("", "check the disk and the path, or {elsewhere}"))
    near = _blocker(path) if code == errno.ENOTDIR else _nearest_existing(path)
    detail = meaning.format(near=near)
    error = RunFolderError(f"cannot {doing} {path}: {said}{f' ({name})' if name else ''}"
                           f"{f': {detail}' if detail else ''}; {fix.format(elsewhere=elsewhere, near=near)}")
    error.errno = code
    return error


def _nearest_existing(path: str) -> str:
    """The deepest folder on ``path``'s way that exists (where the permission or the disk matters)."""
    here = os.path.abspath(path)
    while not os.path.isdir(here) and os.path.dirname(here) != here:
        here = os.path.dirname(here)
    return here


def _blocker(path: str) -> str:
    """The first part of ``path`` that exists and is not a folder (what makes ENOTDIR)."""
    here, parts = os.path.abspath(path), []
    while os.path.dirname(here) != here:
        parts.append(here)
        here = os.path.dirname(here)
    for part in reversed(parts):  # from the root down
        if os.path.lexists(part) and not os.path.isdir(part):
            return part
    return os.path.dirname(os.path.abspath(path))


def make_folder(folder: str, what: str = "run", elsewhere: str = ELSEWHERE) -> list[str]:
    """Create ``folder`` and its missing parents; returns the folders it created, outermost first.

    An error leaves no half-made chain of folders behind: what this call created is removed, and
    a ``RunFolderError`` names the folder, the system's words and the fix.
    """
    if "\0" in folder:
        raise RunFolderError(f"cannot create the {what} folder {folder!r}: the name holds a NUL character; "
                             f"{elsewhere}")
    missing, here = [], os.path.abspath(folder)
    while not os.path.isdir(here):
        if os.path.lexists(here):  # a file where a folder should be
            raise disk_error(OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), here), folder,
                             f"create the {what} folder", elsewhere)
        missing.append(here)
        here = os.path.dirname(here)
    created = []
    try:
        for path in reversed(missing):
            os.mkdir(path)
            created.append(path)
    except OSError as e:
        for path in reversed(created):
            try:
                os.rmdir(path)
            except OSError:
                pass
        raise disk_error(e, folder, f"create the {what} folder", elsewhere) from None
    return created


# ---------------------------------------------------------------- the lock

_HELD: dict[str, list] = {}  # real path of a folder -> [descriptor of its .lock, times held, path of .lock]
_GUARD = threading.Lock()


class FolderLock:
    """The lock on one folder, held by this process until :meth:`release` (or the ``with`` block ends)."""

    def __init__(self, key: str, waited: bool = False):
        self.key, self.waited, self.released = key, waited, False

    def release(self) -> None:
        """Let go; the last holder in this process removes ``.lock`` and unlocks it."""
        with _GUARD:
            if self.released:
                return
            self.released = True
            entry = _HELD[self.key]
            entry[1] -= 1
            if entry[1] == 0:
                del _HELD[self.key]
                fd, lock_path = entry[0], entry[2]
                if _same_file(fd, lock_path):  # removed while held: a process that opened it meanwhile
                    try:  # finds it gone once it gets the lock (_same_file) and opens a new one
                        os.unlink(lock_path)
                    except OSError:
                        pass
                _unlock(fd)
                os.close(fd)

    def __enter__(self) -> "FolderLock":
        return self

    def __exit__(self, *exc) -> bool:
        self.release()
        return False


def hold_folder(folder: str, what: str = "run", *, create: bool = True, wait: bool = False,
                elsewhere: str = ELSEWHERE) -> FolderLock | None:
    """Take the lock on ``folder`` for this process, or refuse at once if another process holds it.

    With ``create`` (the default) ``folder`` and its ``.lock`` are made if missing; without it, a
    folder with no ``.lock`` gives None (no writer now; nothing is created). With ``wait`` (the
    data cache) a busy folder is not refused: this process says on stderr whom it waits for, and waits.

    Once held, a file is made and removed in ``folder``: a folder where nothing can be written is
    refused now, with the system's reason and the fix, before any work starts.

    Use the lock in a ``with`` block, or call its ``release()``.
    """
    if "\0" in folder:
        raise RunFolderError(f"cannot use {folder!r} as a {what} folder: the name holds a NUL character; "
                             f"{elsewhere}")
    key = os.path.realpath(folder)
    lock_path = os.path.join(folder, LOCK)
    with _GUARD:
        if key in _HELD:  # this process already writes it: count
            _HELD[key][1] += 1
            return FolderLock(key)
        if not create and not os.path.isdir(folder):
            return None
        created = make_folder(folder, what, elsewhere) if create else []
        fd = _open_lock(lock_path, create, what, elsewhere, created)
        if fd is None:  # no .lock, and create=False: no writer now, nothing created
            return None
        waited = held = False
        try:
            try:
                while not held:
                    held = _try_lock(fd)
                    if held and not _same_file(fd, lock_path):  # a failed writer removed the .lock we opened
                        held = False
                        os.close(fd)
                        fd = _open_lock(lock_path, True, what, elsewhere, [])
                        continue
                    if held:
                        break
                    pid = _read_pid(fd)
                    by = f"process {pid}" if pid else "another process"
                    if not wait:
                        raise RunFolderError(f"{folder} is being written by {by} right now: a {what} folder has "
                                             f"one writer at a time. Wait for that process to finish (or stop "
                                             f"it), or {elsewhere}; nothing was changed")
                    if not waited:
                        print(f"nascourse: waiting for {by}, which is writing the {what} in {folder}; this one "
                              "goes on when it is done", file=sys.stderr, flush=True)
                    waited = True
                    time.sleep(0.2)
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, f"{os.getpid()}\n".encode())
                probe_fd, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-")  # files can be made there:
                os.close(probe_fd)  # found out now, before any work starts
                os.unlink(probe)
            except OSError as e:
                raise disk_error(e, folder, f"write in the {what} folder", elsewhere) from None
        except BaseException:
            # .lock is removed only while held, as release() does, never by a refused writer
            _undo(lock_path if held and _same_file(fd, lock_path) else None, created)
            os.close(fd)  # closing drops the lock too, if it was taken
            raise
        _HELD[key] = [fd, 1, lock_path]
        return FolderLock(key, waited)


def _open_lock(path: str, create: bool, what: str, elsewhere: str, created: list[str]) -> int | None:
    """The descriptor of ``.lock``, opened to write the pid in; None if there is no ``.lock`` (or no
    folder) and ``create`` is False."""
    try:
        return os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o666)
    except OSError as e:
        if not create and isinstance(e, (FileNotFoundError, NotADirectoryError)):
            return None
        _undo(None, created)
        raise disk_error(e, os.path.dirname(path) or ".", f"write in the {what} folder", elsewhere) from None


def _undo(lock_path: str | None, created: list[str]) -> None:
    """Remove a ``.lock`` and folders that a failed :func:`hold_folder` made."""
    for path in ([lock_path] if lock_path else []):
        try:
            os.unlink(path)
        except OSError:
            pass
    for path in reversed(created):
        try:
            os.rmdir(path)
        except OSError:
            pass


def _same_file(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (no one removed or replaced it)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except OSError:
        return False


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock without waiting; False if another process holds it."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            os.lseek(fd, _WINDOWS_BYTE, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except BlockingIOError:
        return False
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EAGAIN, getattr(errno, "EDEADLOCK", errno.EDEADLK)):
            return False
        raise


def _unlock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
    else:
        os.lseek(fd, _WINDOWS_BYTE, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def _read_pid(fd: int) -> int | None:
    """The pid that the lock's holder wrote into ``.lock``, if it had yet."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None
