"""KGX JSON Lines and GraphML: checked against KGX/Biolink rules and round-tripped."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import yaml
from click.testing import CliRunner
from rdflib.namespace import RDF

from ldngraph.cli import cli
from ldngraph.errors import ExportError
from ldngraph.export import (
    KNOWLEDGE_SOURCE,
    kgx_paths,
    to_graphml,
    to_jsonl,
    to_kgx,
    to_networkx,
    write_graphml,
    write_kgx,
)
from ldngraph.model import KnowledgeBase
from ldngraph.pipeline import load
from ldngraph.vocab import LDN, PREDICATES

BIOLINK_DIR = Path(__file__).parent / "resources" / "biolink"
# W3C CURIE: prefix (NCName) ':' reference with no whitespace; KGX ids must be CURIEs, not IRIs.
CURIE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*:[^\s:/][^\s]*$")


#: PMID, doi, or the local CURIE of a publication known only by its journal citation (REF:)
_PUBLICATION_CURIE = r"^(PMID:[1-9][0-9]*|doi:10\.\d{4,9}/\S+|ldnr:publication/[a-z0-9][a-z0-9_\-]*)$"


@cache
def biolink() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((BIOLINK_DIR / "biolink-extract.yaml").read_text("utf-8"))
    return loaded


def _data_sets() -> list[Path | None]:
    return [Path(__file__).parent / "resources" / "mini", None]


def check_kgx(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> list[str]:
    """Every KGX/Biolink rule violated by these records, as messages (empty when valid)."""
    bl = biolink()
    problems: list[str] = []
    ids = [n.get("id") for n in nodes]
    if len(set(ids)) != len(ids):
        problems.append("duplicate node ids")
    for node in nodes:
        for slot in bl["required"]["named_thing"]:
            if slot not in node:
                problems.append(f"node {node.get('id')}: missing required '{slot}'")
        if not CURIE.match(str(node.get("id", ""))):
            problems.append(f"node id {node.get('id')!r} is not a CURIE")
        cats = node.get("category")
        if not isinstance(cats, list) or not cats:
            problems.append(f"node {node.get('id')}: category must be a non-empty list")
            continue
        for cat in cats:
            name = str(cat).removeprefix("biolink:")
            if not str(cat).startswith("biolink:") or name not in bl["named_thing_classes"]:
                problems.append(f"node {node['id']}: {cat} is not a Biolink NamedThing class")
            elif bl["named_thing_classes"][name]:
                problems.append(f"node {node['id']}: {cat} is {bl['named_thing_classes'][name]}")
    edge_ids = [e.get("id") for e in edges]
    if len(set(edge_ids)) != len(edge_ids):
        problems.append("duplicate edge ids")
    node_ids = set(ids)
    for edge in edges:
        eid = edge.get("id")
        for slot in [*bl["required"]["association"], "primary_knowledge_source"]:
            if slot not in edge:
                problems.append(f"edge {eid}: missing required '{slot}'")
        for end in ("subject", "object"):
            if edge.get(end) not in node_ids:
                problems.append(f"edge {eid}: {end} {edge.get(end)} is not a node")
        pred = str(edge.get("predicate", ""))
        name = pred.removeprefix("biolink:")
        if not pred.startswith("biolink:") or name not in bl["predicates"]:
            problems.append(f"edge {eid}: {pred} is not a Biolink predicate")
        elif bl["predicates"][name]:
            problems.append(f"edge {eid}: predicate {pred} is {bl['predicates'][name]}")
        if edge.get("knowledge_level") not in bl["knowledge_level"]:
            problems.append(f"edge {eid}: knowledge_level {edge.get('knowledge_level')!r}")
        if edge.get("agent_type") not in bl["agent_type"]:
            problems.append(f"edge {eid}: agent_type {edge.get('agent_type')!r}")
        if not re.match(r"^infores:[a-z0-9][a-z0-9.\-]*$", str(edge.get("primary_knowledge_source"))):
            problems.append(f"edge {eid}: primary_knowledge_source must be an infores CURIE")
        for cat in edge.get("category", []):
            if str(cat).removeprefix("biolink:") not in bl["association_classes"]:
                problems.append(f"edge {eid}: {cat} is not a Biolink Association class")
        for pub in edge.get("publications", []):
            # a publication known only by its journal citation (schema v2, REF:) keeps its local CURIE
            if not re.match(_PUBLICATION_CURIE, pub):
                problems.append(f"edge {eid}: publication {pub!r} is not a PMID: or doi: CURIE")
    return problems


@pytest.mark.parametrize("data", _data_sets(), ids=["mini", "shipped"])
def test_kgx_follows_the_format_rules(data: Path | None) -> None:
    nodes, edges = to_kgx(load(data).graph)
    assert nodes and edges
    assert check_kgx(nodes, edges) == []


def test_checker_catches_broken_records() -> None:
    nodes, edges = to_kgx(load(_data_sets()[0]).graph)
    bad_nodes = [dict(nodes[0], category=["Disease"]), {k: v for k, v in nodes[1].items() if k != "category"}]
    bad_edges = [
        dict(edges[0], predicate="biolink:treats_or_applied_or_studied_to_treat", publications=["PMID 1"]),
        {k: v for k, v in edges[1].items() if k != "knowledge_level"},
        dict(edges[2], subject="MESH:D999999"),
    ]
    found = "\n".join(check_kgx(bad_nodes + nodes[2:], bad_edges))
    for expected in ("is not a Biolink NamedThing", "missing required 'category'", "['mixin']", "PMID 1"):
        assert expected in found
    assert "missing required 'knowledge_level'" in found and "is not a node" in found


def _expected_edges(kb: KnowledgeBase) -> set[tuple[str, str, str]]:
    out = set()
    for claim in kb.claims:
        name = PREDICATES[claim.predicate][0]
        out.add((claim.subject, f"biolink:{name}", claim.object))
    return out


@pytest.mark.parametrize("data", _data_sets(), ids=["mini", "shipped"])
def test_kgx_round_trip_gives_the_knowledge_base(data: Path | None, tmp_path: Path) -> None:
    built = load(data)
    nodes_path, edges_path = write_kgx(built.graph, tmp_path / "ldn")
    assert (nodes_path.name, edges_path.name) == ("ldn_nodes.jsonl", "ldn_edges.jsonl")
    nodes = [json.loads(line) for line in nodes_path.read_text("utf-8").splitlines()]
    edges = [json.loads(line) for line in edges_path.read_text("utf-8").splitlines()]
    assert (nodes, edges) == tuple(map(list, to_kgx(built.graph)))
    assert {n["id"] for n in nodes} == {e.id for e in built.kb.entities}
    assert {(e["subject"], e["predicate"], e["object"]) for e in edges} == _expected_edges(built.kb)
    by_claim = {e["ldn_claim_id"]: e for e in edges}
    for claim in built.kb.claims:
        pubs = {p for item in claim.evidence for p in built.kb.study_index[item.study].publications}
        refs = {p for p in pubs if p.startswith("REF:")}  # journal citation only: no Biolink CURIE
        want = {p.replace("DOI:", "doi:") for p in pubs - refs}
        assert set(by_claim[claim.id]["publications"]) == want
        other = set(by_claim[claim.id].get("ldn_other_publications", []))
        assert other == {"ldnr:publication/" + p.removeprefix("REF:") for p in refs}
        assert by_claim[claim.id]["primary_knowledge_source"] == KNOWLEDGE_SOURCE


def test_kgx_carries_the_scores(mini_dir: Path) -> None:
    built = load(mini_dir)
    _, edges = to_kgx(built.graph)
    for edge in edges:
        score = built.scores.claims[edge["ldn_claim_id"]]
        assert edge["strength"] == pytest.approx(score.strength)
        assert edge["support"] == pytest.approx(score.support)
        assert edge["certainty"] == score.certainty.value
    claim = sorted(built.graph.subjects(RDF.type, LDN.Claim))[0]
    for name in ("support", "refute", "strength", "disagreement", "certainty"):
        built.graph.remove((claim, LDN[name], None))
    _, unscored = to_kgx(built.graph)
    assert sum("strength" not in e for e in unscored) == 1
    assert json.loads(to_jsonl(edges).splitlines()[0])["strength"] == edges[0]["strength"]


def test_kgx_write_is_all_or_nothing(mini_dir: Path, tmp_path: Path) -> None:
    nodes_path, edges_path = kgx_paths(tmp_path / "ldn")
    nodes_path.write_text("old nodes", encoding="utf-8")
    edges_path.mkdir()  # the edges file cannot replace a directory
    with pytest.raises(ExportError, match=r"ldn_edges\.jsonl: cannot replace it"):
        write_kgx(load(mini_dir).graph, tmp_path / "ldn")
    assert nodes_path.read_text("utf-8") == "old nodes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ldn_edges.jsonl", "ldn_nodes.jsonl"]


@pytest.mark.parametrize("existing", [True, False], ids=["over-old-files", "new-files"])
def test_kgx_second_rename_failing_changes_neither_file(
    mini_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    graph = load(mini_dir).graph
    nodes_path, edges_path = kgx_paths(tmp_path / "ldn")
    if existing:
        nodes_path.write_text("old nodes\n", encoding="utf-8")
        edges_path.write_text("old edges\n", encoding="utf-8")
    real_replace = os.replace
    calls: list[tuple[str, str]] = []

    def flaky_replace(src: Any, dst: Any) -> None:
        calls.append((str(src), str(dst)))
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(ExportError, match="no file of the set was changed"):
        write_kgx(graph, tmp_path / "ldn")
    assert Path(calls[0][1]) == nodes_path  # the first rename did happen, and was undone
    if existing:
        assert nodes_path.read_text("utf-8") == "old nodes\n"
        assert edges_path.read_text("utf-8") == "old edges\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["ldn_edges.jsonl", "ldn_nodes.jsonl"]
    else:
        assert list(tmp_path.iterdir()) == []  # neither file, and no temporary file left
    monkeypatch.setattr(os, "replace", real_replace)
    write_kgx(graph, tmp_path / "ldn")  # and a normal run replaces both
    assert nodes_path.read_text("utf-8").startswith("{") and edges_path.read_text("utf-8").startswith("{")


@pytest.mark.parametrize("data", _data_sets(), ids=["mini", "shipped"])
def test_graphml_round_trip(data: Path | None, tmp_path: Path) -> None:
    graph = load(data).graph
    path = write_graphml(graph, tmp_path / "g.graphml")
    back = nx.read_graphml(path, force_multigraph=True)
    view = to_networkx(graph)
    assert back.is_directed() and back.is_multigraph()
    assert sorted(back.nodes) == sorted(view.nodes)
    for node, data_ in view.nodes(data=True):
        assert back.nodes[node] == {**data_, "label": data_["name"]}
    assert sorted(back.edges(keys=True)) == sorted(view.edges(keys=True))
    for u, v, key, data_ in view.edges(keys=True, data=True):
        got = dict(back.edges[u, v, key])
        got.pop("id", None)
        assert got == {**data_, "label": data_["ldn_predicate"]}
        assert all(isinstance(x, str | int | float | bool) for x in got.values())


def test_graphml_is_text_from_the_pure_function(mini_dir: Path) -> None:
    text = to_graphml(load(mini_dir).graph)
    assert text.startswith("<?xml") and "<graphml" in text
    assert "low-dose naltrexone" in text


def test_cli_export_kgx_and_graphml(mini_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["export", "--data", str(mini_dir), "--format", "kgx", "-o", str(tmp_path / "k")]
    )
    assert result.exit_code == 0, result.output
    nodes_path, edges_path = kgx_paths(tmp_path / "k")
    nodes = [json.loads(x) for x in nodes_path.read_text("utf-8").splitlines()]
    edges = [json.loads(x) for x in edges_path.read_text("utf-8").splitlines()]
    assert check_kgx(nodes, edges) == [] and len(edges) == 3
    result = CliRunner().invoke(cli, ["export", "--data", str(mini_dir), "-o", str(tmp_path / "g.graphml")])
    assert result.exit_code == 0, result.output
    assert nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True).number_of_edges() == 3


@pytest.mark.skipif(importlib.util.find_spec("biolink_model") is None, reason="biolink-model not installed")
def test_biolink_extract_matches_the_model() -> None:
    sys.path.insert(0, str(BIOLINK_DIR))
    try:
        import extract_biolink  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BIOLINK_DIR))
    assert extract_biolink.extract(extract_biolink.load_schema()) == biolink()


def test_biolink_extract_is_a_real_model() -> None:
    bl = biolink()
    assert bl["biolink_version"].startswith("4.")
    assert {"Disease", "Gene", "Cell", "ChemicalEntity"} <= set(bl["named_thing_classes"])
    assert "knowledge_assertion" in bl["knowledge_level"] and "manual_agent" in bl["agent_type"]
    assert len(bl["predicates"]) > 100
