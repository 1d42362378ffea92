"""Output paths, round 3 (issue 27 F21): ``-o /dev/stdout`` into a pipe, ``--format kgx -o -``,
and temporary files left by a run killed with ``kill -9``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "resources" / "mini"


def _cli(args: list[str], cwd: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ldngraph.cli import main; main()", *args],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120, check=False, **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def test_dash_o_dev_stdout_into_a_pipe(tmp_path: Path) -> None:
    """/dev/stdout is a link to the pipe; it is written through, as ``-o -`` would (it once tried
    to put a temporary file beside /proc/PID/fd/pipe:[N])."""
    proc = _cli(["export", "--data", str(MINI), "--format", "nt", "-o", "/dev/stdout"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") > 100 and "<https://w3id.org/ldngraph/" in proc.stdout


def test_kgx_to_dash_writes_nothing(tmp_path: Path) -> None:
    proc = _cli(["export", "--data", str(MINI), "--format", "kgx", "-o", "-"], tmp_path)
    assert proc.returncode == 1 and "give a file name prefix" in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_files_of_a_killed_run_are_removed(tmp_path: Path) -> None:
    """A run killed mid-write leaves ``.NAME.PID.*.tmp`` beside the output (and its spool file);
    the next write to that output removes those whose process is gone, and no other file."""
    out = tmp_path / "g.ttl"
    dead = _dead_pid()
    stale = tmp_path / f".g.ttl.{dead}.x1y2.tmp"
    live = tmp_path / f".g.ttl.{os.getpid()}.a1b2.tmp"  # a run still going (this test's process)
    other = tmp_path / ".h.ttl.1.zz.tmp"  # another output's
    for path in (stale, live, other):
        path.write_text("partial", encoding="utf-8")
    proc = _cli(["export", "--data", str(MINI), "-o", str(out)], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 1000
    assert not stale.exists()
    assert live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, live.name, other.name])
