"""Output paths (``-o``) of every command: atomic files, stdout, symlinks, FIFOs, inputs refused.

* A regular file (or a new one) is written to a temporary file beside it, then renamed over it:
  a crash or an error mid-write leaves the previous file (or no file) in place, never half a file.
* ``-`` writes to stdout (once the whole output is ready, so an error prints nothing).
* A symlink is written through to its target (atomically when the target is a regular file);
  the link itself stays.
* A FIFO, character or block device is written directly, never replaced by a file.
* A path that is an input of the run (registered with :func:`protect_inputs`: the curated YAML, the
  profile, the queries, the PubMed cache ...) is refused, whatever name or link leads to it.
"""

from __future__ import annotations

import errno
import io
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from ldngraph.errors import ExportError


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM): alive
        return True
    return True


def _sweep(directory: Path, prefix: str) -> None:
    """Remove ``PREFIX<pid>.*`` files whose process is gone: what a run killed mid-write (``kill
    -9``: no ``finally`` runs) left behind (issue 27 F21). A live process's files stay."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            with suppress(OSError):  # another run removed it first
                os.unlink(directory / name)


def _temp_beside(target: Path, suffix: str = ".tmp") -> Path:
    """A new empty temporary file in ``target``'s directory (so a rename over it is atomic), named
    ``.NAME.PID.XXXX.tmp``; those of earlier runs of ``target`` that were killed are removed."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"{target}: directory '{directory}' does not exist; create it or pick another path")
    _sweep(directory, f".{target.name}.")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix, dir=directory)
    except OSError as exc:
        raise ExportError(f"{target}: cannot write there ({exc.strerror}); pick a writable path") from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600 files; give the result the permissions a plain open() would (umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


#: ``-o -``: write to standard output.
STDOUT = "-"
#: (device, inode) of every input file of the run -> how to name it in an error.
_PROTECTED: dict[tuple[int, int], str] = {}


def protect_inputs(*paths: Path | str | None) -> None:
    """Register the input files of this run (files, or every file under a directory): an output
    path that is one of them (by any name, link or hard link) is refused by :func:`check_output`."""
    for path in paths:
        if path is None:
            continue
        root = Path(path)
        files = [root]
        if root.is_dir():
            files = [Path(d) / f for d, _, names in os.walk(root) for f in names]
        for file in files:
            try:
                st = file.stat()
            except OSError:
                continue
            _PROTECTED.setdefault((st.st_dev, st.st_ino), str(file))


#: real path of an input directory -> (suffixes read from it, what it is), see protect_input_dirs.
_INPUT_DIRS: dict[str, tuple[tuple[str, ...], str]] = {}


def protect_input_dirs(*dirs: tuple[Path | str | None, tuple[str, ...], str]) -> None:
    """Register directories that later runs read every ``*SUFFIX`` file of (the curated data's
    ``*.yaml``, ``queries/*.rq``, the PubMed cache's ``*.json``), as ``(directory, suffixes,
    what)``: :func:`check_output` refuses a new output there too, since it would become an input
    of the next run (issue 27 F21)."""
    for directory, suffixes, what in dirs:
        if directory is not None and Path(directory).is_dir():
            _INPUT_DIRS[os.path.realpath(directory)] = (suffixes, what)


def clear_protected() -> None:
    _PROTECTED.clear()
    _INPUT_DIRS.clear()


def check_output(path: Path | str) -> None:
    """Refuse an output path that is an input of the run, or a new file in a directory later runs
    read (a directory in the way fails at the rename, leaving everything as it was)."""
    try:
        st = os.stat(path)  # follows symlinks: a link to an input is that input
    except OSError:
        st = None
    name = _PROTECTED.get((st.st_dev, st.st_ino)) if st is not None else None
    if name is not None:
        raise ExportError(
            f"{path}: is an input of this run ({name}); writing there would destroy it, "
            "pick another output path"
        )
    if str(path) != STDOUT:
        where = Path(os.path.realpath(path))  # through links, to where the file would be
        found = _INPUT_DIRS.get(str(where.parent))
        if found is not None and where.suffix.lower() in found[0]:
            raise ExportError(
                f"{path}: would become an input of later runs ({found[1]} in {where.parent}); "
                "pick a path outside that directory"
            )


def _is_special(path: Path) -> bool:
    """True for a FIFO, a character or block device or a socket (written to, never replaced)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _resolve(path: Path) -> Path:
    """The file a symlink (chain) points to, so the link is written through and not replaced."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


@contextmanager
def _spooled(write: Callable[[Path], None]) -> Iterator[Path]:
    """A private temporary file; on success ``write`` gets it, then it is removed."""
    _sweep(Path(tempfile.gettempdir()), "ldngraph-out.")
    fd, name = tempfile.mkstemp(prefix=f"ldngraph-out.{os.getpid()}.")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        write(tmp)
    finally:
        tmp.unlink(missing_ok=True)


def _to_stdout(tmp: Path) -> None:
    sys.stdout.flush()
    with tmp.open("rb") as handle:
        shutil.copyfileobj(handle, sys.stdout.buffer)
    sys.stdout.buffer.flush()


class _WholeWrites(io.RawIOBase):
    """Writes to a file descriptor that put every byte out or raise ``OSError`` naming stdout.

    Python's own buffered stdout, given a short write (a disk filling up), dropped the rest
    silently: the output was cut short and the command exited 0 (issue 27 F15). After the first
    failure (reported once) later writes are dropped, so shutdown adds no second message."""

    def __init__(self, fd: int, name: str = "stdout") -> None:
        super().__init__()
        self._fd, self._name = fd, name
        self.failed = False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        # RawIOBase says False; a command that prints a table for a terminal (sof) asks this.
        return os.isatty(self._fd)

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view) and not self.failed:
            try:
                written = os.write(self._fd, view[done:])
            except InterruptedError:
                continue
            except OSError as exc:
                self.failed = True
                raise OSError(exc.errno, f"{exc.strerror}; the output is incomplete", self._name) from None
            if written <= 0:
                self.failed = True
                raise OSError(errno.EIO, "nothing written; the output is incomplete", self._name)
            done += written
        return len(view)

    def close(self) -> None:  # the descriptor belongs to the process, not to this wrapper
        super().close()


def use_checked_stdout() -> None:
    """Route ``sys.stdout`` through :class:`_WholeWrites`, so every result a command prints
    (click.echo, csv writers, ``-o -``) either reaches stdout whole or ends in ``OSError``. Only
    the process's real stdout is replaced (a test's captured stream is left alone)."""
    stream = sys.stdout
    if not isinstance(stream, io.TextIOWrapper) or stream is not sys.__stdout__:
        return
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        return
    stream.flush()
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(_WholeWrites(fd)),
        encoding=stream.encoding,
        errors=stream.errors,
        line_buffering=stream.line_buffering,
    )


def _into(target: Path) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        try:
            with tmp.open("rb") as src, target.open("wb", buffering=0) as dst:
                whole = _WholeWrites(dst.fileno(), str(target))
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    whole.write(chunk)
        except OSError as exc:
            raise ExportError(f"{target}: cannot write there ({exc.strerror or exc})") from None

    return write


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path; on success its content goes to ``path`` (see the module docs), on
    error it is removed and ``path`` is left as it was."""
    if str(path) == STDOUT:
        with _spooled(_to_stdout) as tmp:
            yield tmp
        return
    check_output(path)
    if _is_special(Path(path)):  # through the link, as the kernel opens it: /dev/stdout -> a pipe
        with _spooled(_into(Path(path))) as tmp:
            yield tmp
        return
    target = _resolve(Path(path))
    tmp = _temp_beside(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _backup(target: Path) -> Path | None:
    """A hard link (else a copy) of an existing file ``target`` beside it, to restore it from; else None."""
    if not target.is_file():
        return None  # nothing to restore (a directory in the way makes the rename fail, before any change)
    backup = _temp_beside(target, ".bak")
    backup.unlink()
    try:
        os.link(target, backup)
    except OSError:
        try:
            shutil.copy2(target, backup)
        except OSError as exc:
            backup.unlink(missing_ok=True)
            raise ExportError(
                f"{target}: cannot keep a copy to restore ({exc.strerror}); nothing written"
            ) from None
    return backup


@contextmanager
def atomic_paths(*paths: Path | str) -> Iterator[list[Path]]:
    """Like :func:`atomic_path` for several files that belong together: all of them are replaced,
    or none is. If a rename fails part-way, the files already replaced get their previous content
    back (or are removed if they did not exist), and :class:`ExportError` names the file."""
    for path in paths:
        if str(path) == STDOUT or _is_special(Path(path)):
            raise ExportError(
                f"{path}: this output is several files; give a file name prefix, not '-' or a device"
            )
        check_output(path)
    targets = [_resolve(Path(p)) for p in paths]
    temps: list[Path] = []
    backups: list[Path | None] = []
    try:
        for target in targets:
            temps.append(_temp_beside(target))
        yield list(temps)
        for target in targets:
            backups.append(_backup(target))
        done: list[int] = []
        for i, (tmp, target) in enumerate(zip(temps, targets, strict=True)):
            try:
                os.replace(tmp, target)
            except OSError as exc:
                for j in reversed(done):  # undo, newest first
                    previous = backups[j]
                    if previous is None:
                        targets[j].unlink(missing_ok=True)
                    else:
                        os.replace(previous, targets[j])
                raise ExportError(
                    f"{target}: cannot replace it ({exc.strerror or exc}); no file of the set was changed"
                ) from None
            done.append(i)
    finally:
        for leftover in [*temps, *(b for b in backups if b is not None)]:
            leftover.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_with_atomic(path: Path | str, writer: Callable[[IO[bytes]], None]) -> Path:
    """Call ``writer`` with a binary file handle; the result replaces ``path`` atomically."""
    with atomic_path(path) as tmp, tmp.open("wb") as handle:
        writer(handle)
    return Path(path)
