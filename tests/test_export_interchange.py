"""KGX JSON Lines and GraphML: checked against KGX/Biolink rules and round-tripped."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib.namespace import RDF

from ldngraph.cli import cli
from ldngraph.errors import ExportError
from ldngraph.model import KnowledgeBase
from ldngraph.pipeline import load
from ldngraph.rdf.biolink import validate_pydantic
from ldngraph.rdf.export import (
    GRAPHML_EDGE_RENAMES,
    KNOWLEDGE_SOURCE,
    PROJECT_EDGE_PROPERTIES,
    PROJECT_NODE_PROPERTIES,
    kgx_paths,
    to_graphml,
    to_jsonl,
    to_kgx,
    to_networkx,
    write_graphml,
    write_kgx,
)
from ldngraph.rdf.vocab import LDN, PREDICATES


def _data_sets() -> list[Path | None]:
    return [Path(__file__).parent / "resources" / "mini", None]


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
    assert {n["id"] for n in nodes} == {c.subject for c in built.kb.claims} | {
        c.object for c in built.kb.claims
    }
    assert {(e["subject"], e["predicate"], e["object"]) for e in edges} == _expected_edges(built.kb)
    by_claim = {e["ldn_claim_id"]: e for e in edges}
    for claim in built.kb.claims:
        pubs = {p for item in claim.evidence for p in built.kb.study_index[item.study].publications}
        refs = {p for p in pubs if p.startswith("REF:")}  # journal citation only: no Biolink CURIE
        want = {p.replace("DOI:", "doi:") for p in pubs - refs}
        assert set(by_claim[claim.id]["publications"]) == want
        other = set(by_claim[claim.id].get("ldn_other_publications", []))
        assert other == refs  # the project's REF: prefix, spelled as in data/
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
    by_claim = {d["claim"]: d for _, _, d in back.edges(data=True)}
    assert len(by_claim) == view.number_of_edges()
    for _, _, key, data_ in view.edges(keys=True, data=True):
        got = dict(by_claim[key])
        got.pop("id", None)
        want = {"claim": key, **data_, "label": data_["ldn_predicate"]}
        assert got == {GRAPHML_EDGE_RENAMES.get(k, k): v for k, v in want.items()}
        assert all(isinstance(x, str | int | float | bool) for x in got.values())


# GraphML (and XML) ids are NMTOKENs: name characters only, no '/' or spaces.
NMTOKEN = re.compile(r"^[\w.\-:]+$")
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"


def test_graphml_ids_are_valid_and_keys_are_named(tmp_path: Path) -> None:
    from lxml import etree

    path = write_graphml(load(None).graph, tmp_path / "g.graphml")
    root = etree.parse(str(path)).getroot()
    ids = [el.get("id") for el in root.iter(f"{GRAPHML}node", f"{GRAPHML}edge", f"{GRAPHML}key")]
    assert ids and all(NMTOKEN.match(i) for i in ids), [i for i in ids if not NMTOKEN.match(i)]
    assert len(set(ids)) == len(ids)
    keys = {
        k.get("id"): (k.get("for"), k.get("attr.name"), k.get("attr.type"))
        for k in root.iter(f"{GRAPHML}key")
    }
    assert all(name == key for key, (_, name, _) in keys.items())  # Cytoscape.js shows the key id
    assert keys["strength"] == ("edge", "strength", "double")
    assert keys["certainty"] == ("edge", "certainty", "string")
    assert keys["evidence_count"] == ("edge", "evidence_count", "long")
    assert keys["label"][0] == "node" and keys["edge_label"][0] == "edge"


def test_graphml_reads_in_networkx_and_igraph_with_names_and_types(tmp_path: Path) -> None:
    import igraph

    built = load(None)
    path = write_graphml(built.graph, tmp_path / "g.graphml")
    ig = igraph.Graph.Read_GraphML(str(path))
    nxg = nx.read_graphml(path, force_multigraph=True)
    assert ig.is_directed() and (ig.vcount(), ig.ecount()) == (nxg.number_of_nodes(), nxg.number_of_edges())
    for name in ("strength", "support", "refute", "disagreement", "certainty", "evidence_count", "claim"):
        assert name in ig.es.attributes()
    assert {"name", "label", "category", "ldn_kind"} <= set(ig.vs.attributes())
    scores = built.scores.claims
    for edge in ig.es:
        nx_edge = next(d for _, _, d in nxg.edges(data=True) if d["claim"] == edge["claim"])
        claim = scores[nx_edge["ldn_claim_id"]]
        # igraph keeps every number as a double; networkx keeps the GraphML type.
        assert isinstance(edge["strength"], float) and edge["strength"] == pytest.approx(claim.strength)
        assert isinstance(nx_edge["strength"], float)
        assert edge["certainty"] == nx_edge["certainty"] == claim.certainty.value
        assert (
            isinstance(nx_edge["evidence_count"], int) and edge["evidence_count"] == nx_edge["evidence_count"]
        )
    ig_labels = {v["id"] if "id" in ig.vs.attributes() else v["name"]: v["label"] for v in ig.vs}
    assert ig_labels == {n: d["label"] for n, d in nxg.nodes(data=True)}


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
    assert validate_pydantic(edges, PROJECT_EDGE_PROPERTIES) == [] and len(edges) == 3
    assert validate_pydantic(nodes, PROJECT_NODE_PROPERTIES) == []
    result = CliRunner().invoke(cli, ["export", "--data", str(mini_dir), "-o", str(tmp_path / "g.graphml")])
    assert result.exit_code == 0, result.output
    assert nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True).number_of_edges() == 3


def test_kgx_meta_states_dataset_and_biolink_version(
    mini_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib.metadata import version

    from ldngraph.rdf.biolink import BIOLINK_VERSION
    from ldngraph.rdf.export import kgx_meta_path

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    write_kgx(load(mini_dir).graph, tmp_path / "ldn")
    meta = json.loads(kgx_meta_path(tmp_path / "ldn").read_text("utf-8"))
    assert meta["type"] == "schema:Dataset" and meta["dateCreated"] == "2026-01-01"
    assert meta["version"] == version("ldngraph") and meta["license"].startswith("https://spdx.org/licenses/")
    assert meta["biolink_version"] == BIOLINK_VERSION and meta["isBasedOn"]
    assert meta["curie_map"]["PMID"] and meta["curie_map"]["ldnr"]
