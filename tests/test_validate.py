"""SHACL shapes: the shipped data conforms, each kind of breakage is caught and reported by shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, SH, XSD

from ldngraph.cli import cli
from ldngraph.errors import ValidationFailed
from ldngraph.model import CitationStatus, Design, Direction, KnowledgeBase
from ldngraph.pipeline import load
from ldngraph.rdf import build as build_module
from ldngraph.rdf.validate import FIRST_FOCUS_NODES, check_graph, read_graph, read_shapes, validate_graph
from ldngraph.rdf.vocab import BIBO, BIOLINK, LDN, LDNR


@pytest.fixture
def mini_graph(mini_dir: Path) -> Graph:
    return load(mini_dir).graph


def _claims(graph: Graph) -> list[object]:
    return sorted(graph.subjects(RDF.type, LDN.Claim))


def test_shipped_data_conforms() -> None:
    report = validate_graph(load().graph)
    assert report.conforms, "\n".join(report.to_lines())
    assert report.total == 0 and report.groups == ()


def test_mini_conforms(mini_graph: Graph) -> None:
    assert validate_graph(mini_graph).conforms


def test_claim_without_evidence_fails_with_readable_report(mini_graph: Graph) -> None:
    claim = _claims(mini_graph)[0]
    mini_graph.remove((claim, LDN.hasEvidence, None))
    report = validate_graph(mini_graph)
    assert not report.conforms
    [group] = report.groups
    assert group.shape == "shape:Claim-evidence"
    assert group.constraint == "MinCount"
    assert group.count == 1
    assert group.focus_nodes == (f"ldnr:{str(claim)[len(str(LDNR)) :]}",)
    text = "\n".join(report.to_lines())
    assert "a claim needs at least one evidence item" in text
    assert "shape:Claim-evidence on ldn:hasEvidence [MinCount]: 1" in text
    with pytest.raises(ValidationFailed, match="shape:Claim-evidence"):
        check_graph(mini_graph)


def _first(graph: Graph, cls: object) -> object:
    return sorted(graph.subjects(RDF.type, cls))[0]


def _set(cls: object, prop: object, value: object) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        node = _first(graph, cls)
        graph.remove((node, prop, None))
        if value is not None:
            graph.add((node, prop, value))  # type: ignore[arg-type]

    return mutate


def _drop_designs(graph: Graph) -> None:
    for study in list(graph.subjects(RDF.type, BIOLINK.Study)):
        graph.remove((study, LDN.design, None))


# (mutation, shape expected to fail, constraint component)
BREAKAGES: dict[str, tuple[Callable[[Graph], None], str, str]] = {
    "design not in enum": (_set(BIOLINK.Study, LDN.design, Literal("rtc")), "shape:Study-design", "In"),
    "design missing": (_drop_designs, "shape:Study-design", "MinCount"),
    "no publication": (_set(BIOLINK.Study, LDN.reportedIn, None), "shape:Study-reportedIn", "MinCount"),
    "publication not in graph": (
        _set(BIOLINK.Study, LDN.reportedIn, BIOLINK["nowhere"]),
        "shape:Study-reportedIn",
        "Class",
    ),
    "n zero": (_set(BIOLINK.Study, LDN.n, Literal(0)), "shape:Study-n", "MinInclusive"),
    "pmid letters": (
        _set(BIOLINK.Publication, BIBO.pmid, Literal("12a")),
        "shape:Publication-pmid",
        "Pattern",
    ),
    "doi with url": (
        _set(BIOLINK.Publication, BIBO.doi, Literal("https://doi.org/10.1000/x")),
        "shape:Publication-doi",
        "Pattern",
    ),
    "status unknown": (
        _set(BIOLINK.Publication, LDN.citationStatus, Literal("checked")),
        "shape:Publication-status",
        "In",
    ),
    "status missing": (
        _set(BIOLINK.Publication, LDN.citationStatus, None),
        "shape:Publication-status",
        "MinCount",
    ),
    "strength above 1": (_set(LDN.Claim, LDN.strength, Literal(1.5)), "shape:Claim-strength", "MaxInclusive"),
    "support below 0": (_set(LDN.Claim, LDN.support, Literal(-0.1)), "shape:Claim-support", "MinInclusive"),
    "refute as string": (_set(LDN.Claim, LDN.refute, Literal("0.5")), "shape:Claim-refute", "Datatype"),
    "disagreement decimal": (
        _set(LDN.Claim, LDN.disagreement, Literal("0.5", datatype=XSD.decimal)),
        "shape:Claim-disagreement",
        "Datatype",
    ),
    "certainty unknown": (_set(LDN.Claim, LDN.certainty, Literal("great")), "shape:Claim-certainty", "In"),
    "weight above 1": (
        _set(LDN.EvidenceItem, LDN.weight, Literal(2.0)),
        "shape:EvidenceItem-weight",
        "MaxInclusive",
    ),
    "direction unknown": (
        _set(LDN.EvidenceItem, LDN.direction, Literal("neutral")),
        "shape:EvidenceItem-direction",
        "In",
    ),
    "evidence without study": (
        _set(LDN.EvidenceItem, LDN.study, None),
        "shape:EvidenceItem-study",
        "MinCount",
    ),
    "evidence item not typed": (
        _set(LDN.Claim, LDN.hasEvidence, BNode()),
        "shape:Claim-evidence",
        "Class",
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_each_breakage_is_caught(mini_graph: Graph, name: str) -> None:
    mutate, shape, constraint = BREAKAGES[name]
    mutate(mini_graph)
    report = validate_graph(mini_graph)
    assert not report.conforms
    found = {(g.shape, g.constraint) for g in report.groups}
    assert (shape, constraint) in found, found


def test_scored_graph_conforms_at_the_bounds(mini_graph: Graph) -> None:
    claims = _claims(mini_graph)
    items = list(mini_graph.subjects(RDF.type, LDN.EvidenceItem))
    # pipeline.load scores the graph: every claim and evidence item carries its numbers.
    assert all(mini_graph.value(c, LDN.strength) is not None for c in claims)
    assert all(mini_graph.value(i, LDN.weight) is not None for i in items)
    for claim in claims:
        for prop, value in [(LDN.support, 0.0), (LDN.refute, 1.0), (LDN.strength, 0.0)]:
            mini_graph.set((claim, prop, Literal(value)))
        mini_graph.set((claim, LDN.certainty, Literal("very_low")))
    for item in items:
        mini_graph.set((item, LDN.weight, Literal(1.0)))
    assert validate_graph(mini_graph).conforms


def test_thousands_of_results_make_a_short_report() -> None:
    graph = Graph()
    for i in range(2000):
        graph.add((LDNR[f"claim/{i:04d}"], RDF.type, LDN.Claim))
        graph.add((LDNR[f"claim/{i:04d}"], LDN.claimId, Literal(f"c{i}")))
    report = validate_graph(graph)
    [group] = report.groups
    assert group.count == 2000 and report.total == 2000
    assert group.focus_nodes == tuple(f"ldnr:claim/{i:04d}" for i in range(FIRST_FOCUS_NODES))
    assert len(report.to_lines()) < 10


def _shape_values(name: str) -> set[str]:
    shapes = read_shapes()
    node = next(s for s in shapes.subjects(SH.path, None) if str(s).endswith(name))
    return {str(v) for v in shapes.items(shapes.value(node, SH["in"]))}


@pytest.mark.parametrize(
    ("shape", "enum"),
    [("Study-design", Design), ("EvidenceItem-direction", Direction), ("Publication-status", CitationStatus)],
)
def test_shape_enumerations_match_the_model(shape: str, enum: type[StrEnum]) -> None:
    assert _shape_values(shape) == {m.value for m in enum}


def test_certainty_enumeration_matches_contract() -> None:
    try:
        from ldngraph.evidence.score import Certainty  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        expected = {"high", "moderate", "low", "very_low"}  # the scoring contract (CONTRACT.md)
    else:
        expected = {m.value for m in Certainty}
    assert _shape_values("Claim-certainty") == expected


# -- CLI ------------------------------------------------------------------------------------------


def test_cli_validate_default_data_conforms() -> None:
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["conforms"] is True


def test_cli_validate_file_fails_grouped(mini_graph: Graph, tmp_path: Path) -> None:
    for claim in _claims(mini_graph):
        mini_graph.remove((claim, LDN.hasEvidence, None))
    path = tmp_path / "broken.ttl"
    mini_graph.serialize(path, format="turtle")
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert isinstance(result.exception, ValidationFailed)
    data = json.loads(result.stdout)
    assert data["conforms"] is False
    assert [(g["shape"], g["count"]) for g in data["groups"]] == [("shape:Claim-evidence", 3)]
    table = CliRunner().invoke(cli, ["validate", str(path)])
    assert "shape:Claim-evidence on ldn:hasEvidence [MinCount]: 3" in table.stdout


def test_build_validates_its_output(mini_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = build_module.to_graph

    def broken(kb: KnowledgeBase) -> Graph:
        graph = original(kb)
        graph.remove((None, LDN.hasEvidence, None))
        return graph

    # the pipeline imports to_graph where it builds the graph (lazily): patch it at its home
    monkeypatch.setattr(build_module, "to_graph", broken)
    out = tmp_path / "g.ttl"
    out.write_text("previous", encoding="utf-8")
    result = CliRunner().invoke(cli, ["build", "--data", str(mini_dir), "-o", str(out)])
    assert result.exit_code == 1
    assert "shape:Claim-evidence" in str(result.exception)
    assert out.read_text(encoding="utf-8") == "previous"
    skipped = CliRunner().invoke(cli, ["build", "--data", str(mini_dir), "-o", str(out), "--no-validate"])
    assert skipped.exit_code == 0


# -- JSON-LD contexts: validation reads the file and nothing else ---------------------------------

#: A URL no test may reach: the connection guard below fails the test if anything tries.
REMOTE = "http://127.0.0.1:9/ldngraph-context.jsonld"
CLAIM_NODE = {"@id": "https://w3id.org/ldngraph/id/claim/x", "ldn:claimId": "x"}
INLINE = {"ldn": "https://w3id.org/ldngraph/vocab/"}

REMOTE_CONTEXTS: dict[str, tuple[object, str]] = {
    "top-level": ({"@context": REMOTE, **CLAIM_NODE}, "$.@context"),
    "in-array": ({"@context": [INLINE, REMOTE], **CLAIM_NODE}, "$.@context[1]"),
    "https": ({"@context": "https://schema.org/", **CLAIM_NODE}, "$.@context"),
    "relative": ({"@context": "context.jsonld", **CLAIM_NODE}, "$.@context"),
    "in-graph-node": (
        {"@context": INLINE, "@graph": [{**CLAIM_NODE, "@context": REMOTE}]},
        "$.@graph[0].@context",
    ),
    "scoped-in-term": (
        {"@context": {**INLINE, "ldn:evidence": {"@context": [REMOTE]}}, **CLAIM_NODE},
        "$.@context.ldn:evidence.@context[0]",
    ),
    "import": (
        {"@context": {"@version": 1.1, "@import": REMOTE, **INLINE}, **CLAIM_NODE},
        "$.@context.@import",
    ),
    "top-level-array-document": ([{"@context": REMOTE, **CLAIM_NODE}], "$[0].@context"),
}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record (and refuse) every attempt to open a connection."""
    import socket

    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network access attempted during a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


@pytest.mark.parametrize("case", sorted(REMOTE_CONTEXTS))
def test_validate_refuses_external_jsonld_contexts(
    case: str, tmp_path: Path, no_network: list[object]
) -> None:
    document, where = REMOTE_CONTEXTS[case]
    path = tmp_path / "graph.jsonld"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, ValidationFailed)
    message = str(result.exception)
    assert f"{path}: {where} refers to the external context" in message
    assert "put the context inline" in message and "\n" not in message
    assert no_network == []


def test_validate_reads_jsonld_with_inline_context(
    mini_graph: Graph, tmp_path: Path, no_network: list[object]
) -> None:
    path = tmp_path / "graph.jsonld"
    CliRunner().invoke(
        cli, ["export", "--data", str(Path(__file__).parent / "resources" / "mini"), "-o", str(path)]
    )
    assert json.loads(path.read_text(encoding="utf-8"))["@context"]  # an inline context, as exported
    result = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["conforms"] is True
    assert no_network == []


def test_validate_jsonld_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "graph.jsonld"
    path.write_text('{"@context": ', encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"graph\.jsonld: not valid JSON: Expecting value"):
        read_graph(path)
