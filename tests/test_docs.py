"""Docs are tested: the README's commands are what CI runs; every CLI command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldngraph.cli import cli

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("python3 -m venv")]


def test_readme_has_two_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "ldngraph build" in commands[0]
    assert "pytest" in commands[1] and "ruff" in commands[1] and "mypy" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _readme_commands()[1] in ci.splitlines()
    assert ci.index("apt-get update") < ci.index("apt-get install")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_in_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert cli.commands[name].help, f"command {name} has no help text"
    assert f"ldngraph {name}" in README, f"README does not mention 'ldngraph {name}'"
