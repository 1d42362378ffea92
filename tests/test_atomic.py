"""Output paths (issue 15, point 2): stdout, symlinks, FIFOs and devices, inputs of the run."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ldngraph.atomic import clear_protected, protect_inputs, write_text_atomic
from ldngraph.errors import ExportError

MINI = Path(__file__).parent / "resources" / "mini"


def ldngraph(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    code = "from ldngraph.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, timeout=120, cwd=cwd)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(MINI, copy)
    return copy


def test_dash_writes_to_stdout_and_no_file(data: Path, tmp_path: Path) -> None:
    run = ldngraph("export", "--data", str(data), "--format", "nt", "-o", "-", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert b"<https://pubmed.ncbi.nlm.nih.gov/111>" in run.stdout
    assert not (tmp_path / "-").exists()
    report = ldngraph("report", "--data", str(data), "-o", "-", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith(b"#") and not (tmp_path / "-").exists()


def test_symlink_is_written_through_and_kept(tmp_path: Path) -> None:
    target = tmp_path / "real.ttl"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.ttl"
    link.symlink_to(target)
    write_text_atomic(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8") == "new\n"
    dangling = tmp_path / "dangling.ttl"
    dangling.symlink_to(tmp_path / "missing.ttl")
    write_text_atomic(dangling, "made\n")
    assert dangling.is_symlink() and (tmp_path / "missing.ttl").read_text(encoding="utf-8") == "made\n"


def test_device_is_written_not_replaced(tmp_path: Path) -> None:
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    write_text_atomic(link, "into the device\n")
    assert link.is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name != "null"]  # no temporary file left


def test_fifo_is_written_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_text_atomic(fifo, "through the pipe\n")
    reader.join(timeout=10)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_an_input_file_is_refused_by_any_name(data: Path, tmp_path: Path) -> None:
    claims = data / "claims.yaml"
    before = claims.read_bytes()
    link = tmp_path / "link.yaml"
    link.symlink_to(claims)
    hard = tmp_path / "hard.yaml"
    os.link(claims, hard)
    try:
        protect_inputs(data)
        for path in (claims, link, hard):
            with pytest.raises(ExportError, match="is an input of this run"):
                write_text_atomic(path, "overwritten\n")
    finally:
        clear_protected()
    assert claims.read_bytes() == before


@pytest.mark.parametrize("command", ["export", "report", "viz", "plot"])
def test_cli_refuses_to_write_over_its_inputs(command: str, data: Path) -> None:
    claims = data / "claims.yaml"
    before = claims.read_bytes()
    args = {
        "export": ["export", "--format", "ttl"],
        "report": ["report"],
        "viz": ["viz"],
        "plot": ["plot", "evidence-map"],
    }[command]
    link = data.parent / {"export": "g.ttl", "report": "r.md", "viz": "v.html", "plot": "p.png"}[command]
    link.symlink_to(claims)  # a name with the right suffix that leads to an input
    for output in (claims, link) if command == "export" else (link,):
        run = ldngraph(*args, "--data", str(data), "-o", str(output))
        assert run.returncode == 1
        err = run.stderr.decode().strip().splitlines()
        assert len(err) == 1 and f"{output.name}: is an input of this run" in err[0], err
        assert claims.read_bytes() == before and link.is_symlink()
    if command != "export":  # the profile, given outside the data directory
        profile = data.parent / "profile.yaml"
        shutil.copy(Path(__file__).parent.parent / "data" / "evidence-profile.yaml", profile)
        link.unlink()
        link.symlink_to(profile)
        run = ldngraph(*args, "--data", str(data), "--profile", str(profile), "-o", str(link))
        assert run.returncode == 1 and b"is an input of this run (" in run.stderr
