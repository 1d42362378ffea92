"""The curated data as it was at a git ref (``ldngraph report --since REF``, ``ldngraph feed``).

``git archive REF -- PATH`` writes the data directory's files at that commit as a tar stream,
which is unpacked into a temporary directory (the ``data`` extraction filter: no links out, no
absolute paths). git runs as a subprocess with a timeout; a directory outside a git work tree or
an unknown ref is one line, an :class:`ldngraph.errors.LdnGraphError`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tarfile
from pathlib import Path

from ldngraph.errors import LdnGraphError

#: Seconds each git command may take.
GIT_TIMEOUT = 60.0


class GitRefError(LdnGraphError):
    """The data cannot be read at a git ref (no repository, no git, an unknown ref)."""


def _git(args: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[bytes]:
    git = shutil.which("git")
    if git is None:
        raise GitRefError("git is not installed; give --since a data directory or a graph file instead")
    try:
        return subprocess.run([git, *args], cwd=cwd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise GitRefError(f"git {args[0]} took longer than {timeout:g} s in {cwd}") from None


def export_data_at(
    ref: str, directory: Path | str, dest: Path | str, *, timeout: float = GIT_TIMEOUT
) -> Path:
    """Write ``directory`` (a data directory inside a git work tree) as it was at ``ref`` into
    ``dest``; returns the data directory's path under ``dest``."""
    where = Path(directory).resolve()
    if not where.is_dir():
        raise GitRefError(f"{directory}: no such data directory")
    top = _git(["rev-parse", "--show-toplevel"], where, timeout)
    if top.returncode != 0:
        raise GitRefError(
            f"--since {ref}: {directory} is not in a git repository; give a data directory or a graph file"
        )
    root = Path(top.stdout.decode("utf-8", "replace").strip()).resolve()
    if ref.startswith("-"):
        raise GitRefError(f"--since {ref}: not a git ref (it starts with '-')")
    known = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root, timeout)
    if known.returncode != 0:
        raise GitRefError(f"--since {ref}: unknown git ref in {root}")
    rel = where.relative_to(root).as_posix() if where != root else "."
    out = _git(["archive", "--format=tar", known.stdout.decode().strip(), "--", rel], root, timeout)
    if out.returncode != 0:
        why = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitRefError(
            f"--since {ref}: {rel} is not in that commit ({why[0] if why else 'git archive failed'})"
        )
    target = Path(dest)
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        tar.extractall(target, filter="data")
    found = target / rel
    if not (found / "claims.yaml").is_file():
        raise GitRefError(f"--since {ref}: {rel} held no claims.yaml at that commit")
    return found


__all__ = ["GIT_TIMEOUT", "GitRefError", "export_data_at"]
