"""The KGX export checked by kgx's own validator and the Biolink pydantic model, offline.

Both run against the pinned biolink-model package; a socket guard proves nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
import yaml

from ldngraph.pipeline import load
from ldngraph.rdf.biolink import (
    ASPECTS,
    ASSOCIATIONS,
    BIOLINK_VERSION,
    QUALIFIED_PREDICATES,
    get_aspect,
    get_association,
    read_jsonl,
    validate_kgx,
    validate_pydantic,
)
from ldngraph.rdf.export import PROJECT_EDGE_PROPERTIES, PROJECT_NODE_PROPERTIES, to_kgx, write_kgx
from ldngraph.rdf.vocab import DESIGN_ECO, LOCAL_PREFIXES, get_prefix_map

REPO = Path(__file__).resolve().parent.parent
MINI = Path(__file__).parent / "resources" / "mini"
DATA_SETS = [MINI, None]
LOCAL = {p: iri for p, iri in get_prefix_map().items() if p in LOCAL_PREFIXES}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: any connection attempt fails the test."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def _write(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], tmp: Path) -> tuple[Path, Path]:
    nodes_path, edges_path = tmp / "k_nodes.jsonl", tmp / "k_edges.jsonl"
    nodes_path.write_text("".join(json.dumps(n) + "\n" for n in nodes), encoding="utf-8")
    edges_path.write_text("".join(json.dumps(e) + "\n" for e in edges), encoding="utf-8")
    return nodes_path, edges_path


@pytest.mark.parametrize("data", DATA_SETS, ids=["mini", "shipped"])
def test_kgx_validator_finds_no_errors(data: Path | None, tmp_path: Path, offline: None) -> None:
    nodes_path, edges_path = write_kgx(load(data).graph, tmp_path / "ldn")
    assert validate_kgx(nodes_path, edges_path, LOCAL) == []


@pytest.mark.parametrize("data", DATA_SETS, ids=["mini", "shipped"])
def test_biolink_pydantic_model_accepts_every_record(data: Path | None, tmp_path: Path) -> None:
    nodes_path, edges_path = write_kgx(load(data).graph, tmp_path / "ldn")
    nodes, edges = read_jsonl(nodes_path), read_jsonl(edges_path)
    assert nodes and edges
    assert validate_pydantic(nodes, PROJECT_NODE_PROPERTIES) == []
    assert validate_pydantic(edges, PROJECT_EDGE_PROPERTIES) == []


def test_validators_catch_what_the_issue_found(tmp_path: Path, offline: None) -> None:
    nodes, edges = to_kgx(load(None).graph)
    affects = next(e for e in edges if e["predicate"] == "biolink:affects")
    clinical = next(e for e in edges if e["predicate"] == "biolink:in_clinical_trials_for")
    bad_edges = [
        dict(affects, object_aspect_qualifier="neuroinflammation"),  # free text, not an allowed value
        dict(affects, category=["biolink:Association"]),  # plain Association with qualifiers
        dict(clinical, predicate="biolink:treats"),  # fine for Biolink, so not reported
    ]
    found = "\n".join(validate_pydantic(bad_edges, PROJECT_EDGE_PROPERTIES))
    assert "object_aspect_qualifier" in found and "neuroinflammation" in found
    assert "Association.qualified_predicate: Extra inputs are not permitted" in found
    assert clinical["id"] not in found
    unknown = dict(nodes[0], id="NOPE:1")
    kgx_errors = validate_kgx(*_write([unknown, *nodes[1:]], [], tmp_path), LOCAL)
    assert any("NOPE" in line for line in kgx_errors)


@pytest.mark.parametrize("data", DATA_SETS, ids=["mini", "shipped"])
def test_no_edgeless_nodes_and_standard_slots(data: Path | None) -> None:
    built = load(data)
    nodes, edges = to_kgx(built.graph)
    ends = {e["subject"] for e in edges} | {e["object"] for e in edges}
    assert {n["id"] for n in nodes} == ends
    by_claim = {e["ldn_claim_id"]: e for e in edges}
    for claim in built.kb.claims:
        edge = by_claim[claim.id]
        assert edge["evidence_count"] == len(claim.evidence) and "ldn_evidence_count" not in edge
        designs = {built.kb.study_index[item.study].design for item in claim.evidence}
        assert edge.get("has_evidence", []) == sorted({DESIGN_ECO[d] for d in designs if d in DESIGN_ECO})
        if "object_direction_qualifier" in edge:
            assert edge["qualified_predicate"] == "biolink:causes"


def test_pinned_release_is_the_installed_one() -> None:
    assert version("biolink-model") == BIOLINK_VERSION
    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    assert f"biolink-model=={BIOLINK_VERSION}" in extras["biolink"]


@pytest.mark.skipif(importlib.util.find_spec("biolink_model") is None, reason="biolink extra not installed")
def test_mapping_tables_use_real_biolink_values() -> None:
    from biolink_model.datamodel import pydanticmodel_v2 as model

    allowed = {v.value for v in model.GeneOrGeneProductOrChemicalEntityAspectEnum}
    assert set(ASPECTS.values()) <= allowed
    for cls in ASSOCIATIONS.values():
        assert hasattr(model, cls), cls
    assert get_association("affects", "ChemicalEntity", "Gene") == "ChemicalAffectsGeneAssociation"
    assert get_association("contributes_to", "Gene", "Disease") == "CausalGeneToDiseaseAssociation"
    assert get_association("contributes_to", "Cell", "Disease") == "EntityToDiseaseAssociation"
    assert get_association("related_to", "ChemicalEntity", "Disease") == "Association"
    assert get_aspect("Signalling", "Gene") == "activity"
    assert get_aspect("proliferation", "Cell") is None  # no Biolink value for a cell's aspect
    assert QUALIFIED_PREDICATES["affects"] == "causes"


# -- the outcome id mapping -----------------------------------------------------------------------


def _mapping_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "apply_outcome_mapping", REPO / "docs" / "apply_outcome_mapping.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_outcome_mapping_is_applied_to_the_shipped_data() -> None:
    mod = _mapping_module()
    mapping = mod.read_mapping()
    doc = yaml.safe_load((REPO / "docs" / "outcome-mapping.yaml").read_text("utf-8"))
    assert all(
        row["source"].startswith("http://purl.obolibrary.org/obo/") and row["reason"]
        for row in doc["mappings"]
    )
    entity_ids = {e.id for e in load(None).kb.entities}
    assert set(mapping.values()) <= entity_ids
    assert not set(mapping) & entity_ids
    kept = {row["id"] for row in doc["kept_local"]}
    assert {i for i in entity_ids if i.startswith("LDNO:")} == kept
    for path in sorted([*(REPO / "data").glob("*.yaml"), *(REPO / "data").glob("*.md")]):
        assert mod.rewrite(path.read_text("utf-8"), mapping)[1] == 0, (
            f"{path}: run docs/apply_outcome_mapping.py"
        )


def test_outcome_rewrite_is_whole_id_and_idempotent() -> None:
    mod = _mapping_module()
    mapping = {"LDNO:pain": "HP:0012531", "LDNO:sleep": "HP:0002360"}
    text = "outcome: LDNO:pain\n  - LDNO:pain-score\n  x: [LDNO:sleep, LDNO:sleepiness]\n# LDNO:pain.\n"
    new, count = mod.rewrite(text, mapping)
    assert (
        new == "outcome: HP:0012531\n  - LDNO:pain-score\n  x: [HP:0002360, LDNO:sleepiness]\n# HP:0012531.\n"
    )
    assert count == 3 and mod.rewrite(new, mapping) == (new, 0)
