"""The README's "Interoperability" commands run as written, each with a real consumer, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _interop_lines() -> list[str]:
    section = README.split("## Interoperability", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_one_command_per_consumer() -> None:
    text = "\n".join(_interop_lines())
    for consumer in ("validate --kgx", "pyld", "pyoxigraph", "igraph", "sparql-json", "validate ldn.jsonld"):
        assert consumer in text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("interop")


@pytest.mark.slow
@pytest.mark.parametrize("line", _interop_lines())
def test_interop_line_runs(line: str, workdir: Path) -> None:
    # Lines run in order in one directory (later ones read what earlier ones wrote), with this
    # environment's python and ldngraph first on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = line.split("  #", 1)[0]
    result = subprocess.run(
        ["bash", "-c", command.replace("python -c", f"{sys.executable} -c")],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
