"""Atomic file output: write to a temporary file beside the target, then rename over it.

A crash or an error mid-write leaves the previous file (or no file) in place, never half a file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ldngraph.errors import ExportError


def _temp_beside(target: Path, suffix: str = ".tmp") -> Path:
    """A new empty temporary file in ``target``'s directory (so a rename over it is atomic)."""
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise ExportError(f"{target}: directory '{directory}' does not exist; create it or pick another path")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=directory)
    except OSError as exc:
        raise ExportError(f"{target}: cannot write there ({exc.strerror}); pick a writable path") from None
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600 files; give the result the permissions a plain open() would (umask).
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``path``, on error it is removed."""
    target = Path(path)
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
    targets = [Path(p) for p in paths]
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
