"""An installed (non-editable) wheel finds its data and queries from an unrelated directory."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_install_builds_from_unrelated_directory(tmp_path: Path) -> None:
    pytest.importorskip("build")
    src = tmp_path / "src"  # build from a copy so the checkout gets no build/ or egg-info
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for name in ("ldngraph", "data", "queries"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(src)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("ldngraph-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    # Dependencies come from this interpreter's site-packages (no network in tests). PYTHONPATH
    # entries do not run .pth files, so an editable ldngraph there cannot shadow the wheel.
    paths = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
    for var in ("LDNGRAPH_DATA", "LDNGRAPH_QUERIES"):
        env.pop(var, None)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import ldngraph, ldngraph.locations as l; print(ldngraph.__file__); print(l.get_data_dir())",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(str(env_dir)), where
    assert where[1].startswith(str(env_dir)), where
    out = elsewhere / "ldn.ttl"
    proc = subprocess.run(
        [str(env_dir / "bin" / "ldngraph"), "build", "-o", str(out), "--format", "json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 1000
    assert '"claims"' in proc.stdout
