"""Docs are tested: the README's commands are what CI runs; every CLI command is documented."""

from __future__ import annotations

import gzip
import re
import shlex
import shutil
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


# -- the CLI tour runs as written ------------------------------------------------------------------

#: Tour lines that need the network or a server: not run here (tests/test_entrez.py and
#: tests/test_store*.py cover those commands against local fakes and real servers).
_NEEDS_NETWORK = ("ldngraph fetch", "ldngraph triage", "ldngraph watch --", "--endpoint", "$(")


def _tour_lines() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", README, flags=re.S)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [
        line
        for line in lines
        if line.startswith("ldngraph ")
        and not any(skip in line for skip in _NEEDS_NETWORK)
        and not re.search(r"--store\s+https?://", line)
    ]


def test_tour_has_the_offline_commands() -> None:
    """The filter above leaves the tour's offline commands (so the test below cannot pass on none)."""
    names = {shlex.split(line, comments=True)[1] for line in _tour_lines()}
    assert {"build", "export", "query", "paths", "explain", "viz", "plot", "report", "validate"} <= names
    assert {"import-pubmed", "verify-citations"} <= names
    assert any(line.startswith("ldngraph export --format kgx") for line in _tour_lines())


@pytest.fixture(scope="module")
def tour_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh working directory with what the tour's commands name: a query file, a PubMed file and
    the graph of README command 1; plus a copy of data/ so the cache import does not touch the repo."""
    work = tmp_path_factory.mktemp("tour")
    shutil.copytree(REPO / "data", work / "data")
    (work / "my-query.rq").write_text(
        "# Purpose: count the claims\n# Columns: n\nPREFIX ldn: <https://w3id.org/ldngraph/vocab/>\n"
        "SELECT (COUNT(?c) AS ?n) WHERE { ?c a ldn:Claim }\n",
        encoding="utf-8",
    )
    article = REPO / "tests" / "resources" / "pubmed" / "article.xml"
    (work / "pubmed25n0001.xml.gz").write_bytes(gzip.compress(article.read_bytes()))
    return work


@pytest.mark.parametrize("line", _tour_lines())
def test_tour_line_runs(line: str, tour_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tour_dir)
    env = {"LDNGRAPH_DATA": str(tour_dir / "data")}
    if "ldn-graph.ttl" in line and not (tour_dir / "ldn-graph.ttl").exists():
        first = CliRunner().invoke(cli, ["build", "-o", "ldn-graph.ttl"], env=env)  # README command 1
        assert first.exit_code == 0, first.output
    store = re.search(r"--store\s+(oxigraph:\S+)", line)
    if store and "push" not in line and not (tour_dir / store[1].split(":", 1)[1]).exists():
        first = CliRunner().invoke(cli, ["push", "--store", store[1]], env=env)  # the tour's push line
        assert first.exit_code == 0, first.output
    args = shlex.split(line, comments=True)[1:]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, f"{line}\n{result.output}\n{result.exception!r}"


def test_quick_start_ends_with_the_first_questions() -> None:
    """Issue 23: after setting up, the quick start asks what a researcher asks first (sof, report,
    explain); the tour test above runs each of those lines."""
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    last = [line.split()[1] for line in blocks[-1].splitlines() if line.startswith("ldngraph ")]
    assert last == ["sof", "report", "explain"]
    assert "ldngraph sof --condition fibromyalgia" in blocks[-1]
