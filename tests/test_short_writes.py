"""A full disk never passes for success (issue 27 F15): when stdout (``-o -`` or a command's
results) cannot take every byte, the command says so in one line and exits 1.

The full disk is a file-size limit (``RLIMIT_FSIZE``, with ``SIGXFSZ`` ignored): the first write
past it is cut short and the next fails with EFBIG, as on a disk that fills up mid-write.
Python's buffered stdout once dropped the rest silently: the output was cut at 2,048 bytes and
the exit status was 0.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "resources" / "mini"
CAP = 2048


def _full_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (CAP, CAP))


def _run(args: list[str], stdout: Path, cwd: Path, *, cap: bool = True) -> subprocess.CompletedProcess[str]:
    """The CLI with stdout appended to ``stdout`` (a file, under the size cap if ``cap``)."""
    with stdout.open("ab") as handle:
        return subprocess.run(
            [sys.executable, "-c", "from ldngraph.cli import main; main()", *args],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            preexec_fn=_full_disk if cap else None,
            timeout=120,
            check=False,
        )


def _assert_stdout_error(proc: subprocess.CompletedProcess[str], reason: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert errors == [f"Error: stdout: {reason}; the output is incomplete"], proc.stderr


@pytest.mark.parametrize(
    "args",
    [  # each output is larger than CAP on the shipped data
        ["query", "claims_by_strength", "--format", "sparql-json"],
        ["query", "claims_by_strength", "--format", "csv"],
        ["sof", "--condition", "fibromyalgia", "--format", "csv"],
        ["verify-citations", "--format", "json"],
        ["explain", "ldn-improves-pain-fibromyalgia"],
    ],
    ids=["sparql-json", "query-csv", "sof-csv", "verify-json", "explain"],
)
def test_results_cut_short_by_a_full_disk_are_an_error(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "stdout"
    proc = _run(args, out, tmp_path)
    assert out.stat().st_size <= CAP
    _assert_stdout_error(proc, "File too large")


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--data", str(MINI), "--format", "ttl", "-o", "-"],
        ["report", "--data", str(MINI), "-o", "-"],
        ["plot", "evidence-map", "--data", str(MINI), "-o", "-"],
    ],
    ids=["export", "report", "plot"],
)
def test_dash_o_to_a_full_device_names_stdout(tmp_path: Path, args: list[str]) -> None:
    """``-o -`` spools to a temporary file first (which the size cap would hit), so stdout is
    /dev/full here: the error says it was stdout that failed (it said "Error: : ...")."""
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    _assert_stdout_error(_run(args, Path("/dev/full"), tmp_path, cap=False), "No space left on device")


def test_output_that_fits_still_succeeds(tmp_path: Path) -> None:
    out = tmp_path / "stdout"
    proc = _run(
        ["query", "gaps", "--data", str(MINI), "--param", "only=no_rct", "--format", "json"], out, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8").startswith("[")
