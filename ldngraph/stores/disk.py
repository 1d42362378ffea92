"""The lifecycle of an on-disk Oxigraph store directory (``oxigraph:PATH``), issues 15 and 27.

A push never writes into PATH: it builds the new store in a hidden sibling ``.NAME.partial-TAG``
and swaps it in with two renames (PATH to ``.NAME.old-TAG``, the new store to PATH), then deletes
the old one (:func:`swap_directories`). TAG starts with the pushing process's id, so the next push
can tell leftovers of a killed push (:func:`remove_stale_staging`) and, when a push was killed
between the two renames, put the previous store back (:func:`restore_interrupted_swap`) before
anything else. PATH must be a store, or (for a push) missing or an empty directory, and never a
mount point (:func:`check_store_directory`): a rename cannot replace a mount point, and the new store
would be built on the parent's disk.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from ldngraph.errors import StoreError

log = logging.getLogger(__name__)


#: What every RocksDB (Oxigraph's on-disk engine) store directory holds: a CURRENT file naming its
#: MANIFEST-* file. Checked on pyoxigraph 0.5.13: a fresh store also has IDENTITY, LOCK, LOG and
#: OPTIONS-*, but a copy made by ``Store.backup`` has only CURRENT, MANIFEST-*, OPTIONS-* and data.
STORE_MARKERS = ("CURRENT", "MANIFEST-*")


def is_store_directory(path: Path) -> bool:
    """True if ``path`` is a directory holding an Oxigraph (RocksDB) store (or a backup of one)."""
    return path.is_dir() and all(any(path.glob(marker)) for marker in STORE_MARKERS)


def check_store_directory(path: Path, spec: str, *, create: bool) -> None:
    """Refuse a PATH that is not a store, so a push never replaces (deletes) someone's directory.

    With ``create`` PATH may also be missing or an empty directory (a new store goes there);
    without it (read-only commands) PATH must already be a store, and nothing is written.
    """
    if path.exists() and not path.is_dir():
        raise StoreError(f"store '{spec}': {path} is a file; Oxigraph needs a directory")
    if create and os.path.ismount(path):
        raise StoreError(
            f"store '{spec}': {path} is a mount point; push builds the new store beside PATH and renames "
            f"it over PATH, which cannot replace a mount point: give a directory inside it, e.g. "
            f"oxigraph:{path / 'ldn.db'}"
        )
    if is_store_directory(path):
        return
    empty = path.is_dir() and not any(path.iterdir())
    if path.is_dir() and not empty:
        raise StoreError(
            f"store '{spec}': {path} is a directory that is not an Oxigraph store (no "
            f"{' or '.join(m for m in STORE_MARKERS if not any(path.glob(m)))} file); ldngraph will "
            "not write into or replace it: "
            "give a new or empty directory, or an existing store"
        )
    if not create:
        left = None if path.exists() else _interrupted(path)
        if left is not None:
            raise StoreError(
                f"store '{spec}': {path} does not exist, but {left.name} beside it holds the store as it "
                f"was before a push that was killed while swapping; run ldngraph push --store {spec} "
                f"again (it puts that store back first), or rename {left.name} to {path.name}"
            )
        state = "is an empty directory, not a store yet" if empty else "does not exist"
        fix = f"create and fill it with: ldngraph push --store {spec}"
        raise StoreError(f"store '{spec}': {path} {state}; {fix}")


def _leftovers(path: Path) -> Iterator[tuple[str, str, Path]]:
    """``(kind, pid, directory)`` of every ``.NAME.partial-*`` / ``.NAME.old-*`` beside ``path``."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.[po][al][rd]*-*"):
        kind, _, tag = leftover.name.removeprefix(f".{path.name}.").partition("-")
        if kind not in {"partial", "old"} or not leftover.is_dir() or leftover.is_symlink():
            continue
        yield kind, tag.split("-", 1)[0] if "-" in tag else "", leftover


def _interrupted(path: Path) -> Path | None:
    """The ``.NAME.old-*`` store a killed push left when PATH is missing (its newest, if several)."""
    olds = [
        d for kind, pid, d in _leftovers(path) if kind == "old" and not (pid.isdigit() and _alive(int(pid)))
    ]
    return max(olds, key=lambda d: d.stat().st_mtime_ns) if olds else None


def restore_interrupted_swap(path: Path) -> None:
    """Put back the previous store when a push was killed between its two renames.

    :func:`_swap_directories` renames PATH to ``.NAME.old-TAG`` and then the new store to PATH; a
    kill in between leaves no PATH. The next push would then start from nothing (and ``--append``
    append to nothing), and its clean-up of stale directories would delete the only copy of the
    store. The push that was killed never reported success, so the store as it was comes back.
    """
    if path.exists() or path.is_symlink():
        return
    left = _interrupted(path)
    if left is not None:
        log.warning("restoring %s from %s, left by a push that was killed while swapping", path, left.name)
        os.rename(left, path)


def remove_stale_staging(path: Path) -> None:
    """Delete the ``.NAME.partial-*`` / ``.NAME.old-*`` directories a killed push left beside
    ``path``: those of a process that is gone (the tag starts with its pid), or without a pid."""
    for _, pid, leftover in _leftovers(path):
        if pid.isdigit() and _alive(int(pid)):
            continue
        log.info("removing %s, left by an interrupted push", leftover)
        shutil.rmtree(leftover, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def swap_directories(new: Path, target: Path, old: Path) -> None:
    """Put ``new`` at ``target``; the previous ``target`` is deleted (restored if the swap fails)."""
    existed = target.exists()
    if existed:
        try:
            os.rename(target, old)
        except OSError:
            shutil.rmtree(new, ignore_errors=True)
            raise
    try:
        os.rename(new, target)
    except OSError:
        if existed:
            os.rename(old, target)
        shutil.rmtree(new, ignore_errors=True)
        raise
    if existed:
        shutil.rmtree(old, ignore_errors=True)
