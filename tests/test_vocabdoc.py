"""docs/vocabulary.md lists every term the graph uses, and is what ldngraph.present.vocabdoc generates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal

from ldngraph.pipeline import load
from ldngraph.present.vocabdoc import CLASSES, PROPERTIES, get_example_graphs, get_used_terms, to_markdown
from ldngraph.rdf.vocab import LDN

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "vocabulary.md"


@pytest.fixture(scope="module")
def graphs() -> list[Graph]:
    return get_example_graphs(REPO)


def _documented() -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.M))


def test_every_term_the_graph_uses_is_documented(graphs: list[Graph], mini_dir: Path) -> None:
    documented = _documented()
    for graph in [*graphs, load(mini_dir).graph]:
        classes, props = get_used_terms(graph)
        assert classes and props
        assert not classes - documented, f"classes missing from docs/vocabulary.md: {classes - documented}"
        assert not props - documented, f"properties missing from docs/vocabulary.md: {props - documented}"


def test_a_new_term_is_caught(mini_dir: Path) -> None:
    graph = load(mini_dir).graph
    claim = next(graph.subjects(LDN.claimId, None))
    graph.add((claim, LDN.newScoreField, Literal(1.0)))
    _, props = get_used_terms(graph)
    assert props - _documented() == {"ldn:newScoreField"}  # the check above fails on this graph


def test_every_term_the_code_writes_is_documented() -> None:
    """Terms build.py / score.py and the evidence package can write even if no data uses them yet."""
    package = REPO / "ldngraph"
    files = [package / n for n in ("build.py", "score.py", "citations.py")]
    files += sorted((package / "evidence").glob("*.py"))
    text = "".join(f.read_text(encoding="utf-8") for f in files if f.is_file())
    used = {f"ldn:{name}" for name in re.findall(r"\bLDN\.([A-Za-z]+)", text)}
    assert used and not used - set(CLASSES) - set(PROPERTIES), used - set(CLASSES) - set(PROPERTIES)


def test_doc_is_fresh(graphs: list[Graph]) -> None:
    assert DOC.read_text(encoding="utf-8") == to_markdown(graphs), (
        "docs/vocabulary.md is stale: run `python -m ldngraph.present.vocabdoc docs/vocabulary.md`"
    )


def test_readme_custom_query_runs_as_shown(tmp_path: Path) -> None:
    """The README's "Writing your own query" example: its file runs and prints the header shown."""
    from click.testing import CliRunner

    from ldngraph.cli import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Writing your own query") :]
    (query,) = re.findall(r"```sparql\n(.*?)```", section, flags=re.S)[:1]
    console = re.findall(r"```console\n(.*?)```", section, flags=re.S)[0].splitlines()
    command, header, *shown = console
    assert command.startswith("$ ldngraph query condition-claims.rq ")
    (tmp_path / "condition-claims.rq").write_text(query, encoding="utf-8")
    args = command.removeprefix("$ ldngraph ").split()
    args[1] = str(tmp_path / "condition-claims.rq")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == header.split()
    ids = {line.split()[0] for line in lines[1:]}
    assert shown and {line.split()[0] for line in shown} <= ids
