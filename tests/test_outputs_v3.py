"""Issue 21, rule 8: one answer in every output. The conclusion, whether the claim holds, the
certainty, the effect and the outcome label travel with every claim edge: KGX (checked by kgx's
validator and the Biolink model), GraphML (read back with networkx), Turtle, ``paths`` and ``sof``
give the same answer for the same claim."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal

from ldngraph.cli import cli
from ldngraph.pipeline import load
from ldngraph.rdf.vocab import LDN, claim_iri

EFFECTS = Path(__file__).parent / "resources" / "effects"
FIBRO = "MESH:D005356"


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def sof_rows() -> dict[str, dict[str, object]]:
    data = json.loads(_run("sof", "--data", str(EFFECTS), "--condition", "fibromyalgia", "--format", "json"))
    return {row["outcome"]: row for row in data["rows"]}


def test_kgx_claim_edges_carry_the_answer_and_pass_kgx(tmp_path: Path, sof_rows: dict) -> None:  # type: ignore[type-arg]
    from ldngraph.rdf.export import check_kgx_files, kgx_paths

    _run("export", "--data", str(EFFECTS), "--format", "kgx", "-o", str(tmp_path / "ldn"))
    assert check_kgx_files(tmp_path / "ldn") == []  # kgx's validator and the Biolink pydantic model
    built = load(EFFECTS)
    _, edges_path = kgx_paths(tmp_path / "ldn")
    edges = [json.loads(line) for line in edges_path.read_text("utf-8").splitlines()]
    assert edges and len(edges) == len(built.kb.claims)
    for edge in edges:
        score = built.scores.claims[edge["ldn_claim_id"]]
        assert (edge["ldn_conclusion"], edge["ldn_holds"], edge["certainty"]) == (
            score.conclusion,
            score.holds,
            score.certainty.value,
        )
        assert edge.get("ldn_effect") == score.effect and edge.get("ldn_outcome_label") == score.outcome_label
        row = sof_rows[edge["ldn_outcome_label"]]
        assert (edge["certainty"], edge["ldn_conclusion"]) == (row["certainty"], row["conclusion"])
    pain = next(e for e in edges if e["ldn_outcome"] == "HP:0012531")
    assert pain["ldn_effect_measure"] == "md" and pain["ldn_basis"] == "estimate"


def test_graphml_read_back_with_networkx_agrees_with_sof(tmp_path: Path, sof_rows: dict) -> None:  # type: ignore[type-arg]
    _run("export", "--data", str(EFFECTS), "-o", str(tmp_path / "g.graphml"))
    graph = nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True)
    claims = [d for _, _, d in graph.edges(data=True) if d.get("ldn_outcome_label")]
    assert claims
    for data in claims:
        row = sof_rows[data["ldn_outcome_label"]]
        assert data["certainty"] == row["certainty"]
        assert data["ldn_conclusion"] == row["conclusion"]
        assert isinstance(data["ldn_holds"], bool)
        pooled = row["pooled"]
        if pooled is not None and data.get("ldn_basis") in ("estimate", "review"):
            assert data["ldn_effect_value"] == pytest.approx(pooled["value"], abs=1e-6)  # type: ignore[index]
            assert data["ldn_effect_ci_lower"] == pytest.approx(pooled["ci_lower"], abs=1e-6)  # type: ignore[index]


def test_turtle_and_paths_carry_the_same_answer(tmp_path: Path) -> None:
    built = load(EFFECTS)
    ttl = tmp_path / "g.ttl"
    _run("export", "--data", str(EFFECTS), "-o", str(ttl))
    graph = Graph().parse(ttl, format="turtle")
    for claim in built.kb.claims:
        score = built.scores.claims[claim.id]
        node = claim_iri(claim)
        assert graph.value(node, LDN.conclusion) == Literal(score.conclusion)
        assert graph.value(node, LDN.holds).toPython() is score.holds  # type: ignore[union-attr]
        assert graph.value(node, LDN.certainty) == Literal(score.certainty.value)
        if score.effect_value is not None:
            assert graph.value(node, LDN.effectValue).toPython() == pytest.approx(score.effect_value)  # type: ignore[union-attr]
    found = json.loads(
        _run("paths", "--data", str(EFFECTS), "--from", "LDN", "--to", "fibromyalgia", "--format", "json")
    )
    direct = next(p for p in found["paths"] if p["hops"] == 1)
    pain = built.scores.claims[direct["claim_ids"][0]]
    assert direct["edge_conclusions"] == [pain.conclusion] and direct["edge_holds"] == [pain.holds]
    assert direct["edge_outcomes"] == ["pain"] and direct["edge_effects"] == [pain.effect]
    assert direct["conclusion"].startswith("pain: ")
    table = _run("paths", "--data", str(EFFECTS), "--from", "LDN", "--to", "fibromyalgia")
    assert any(line.split()[:3] == ["strength", "certainty", "conclusion"] for line in table.splitlines())
