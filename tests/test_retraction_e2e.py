"""Issue 5 point 4, end to end: a cited publication that PubMed marks retracted is flagged in the
graph, its evidence is excluded from strength with the reason 'retracted', and it is reported by
verify-citations and the named queries.

The fixture data set's trial-b (the refuting crossover trial of claim ldn-pain) is made to rest on
the fake PMID 333; tests/resources/pubmed/retracted.xml (valid per the PubMed DTD, see
test_pubmed.py) types PMID 333 "Retracted Publication" and links its RetractionIn notice (PMID 444).
The record reaches data/pubmed/ through the cache import, as `ldngraph import-pubmed` does it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from ldngraph.cli import cli
from ldngraph.evidence.score import read_profile, score_knowledge_base
from ldngraph.ingest.cache import PubMedCache, get_cache_path, import_files
from ldngraph.model import KnowledgeBase
from ldngraph.pipeline import Built, get_profile_path, load
from ldngraph.rdf.vocab import LDN, claim_iri, publication_iri, study_iri
from ldngraph.stores.query import run_query

CITATION = "PMID 333"  # ldn:citation, as the queries print a publication
RETRACTED_XML = Path(__file__).parent / "resources" / "pubmed" / "retracted.xml"
STUDY, CLAIM, PUB = "trial-b", "ldn-pain", "PMID:333"


@pytest.fixture
def data(edit: Callable[[str, str, str], Path]) -> Path:
    """The mini data set, trial-b reported in PMID 333 (unresolved in the YAML, no title)."""
    return edit("studies.yaml", "publications: [DOI:10.1000/fixture.2]", f"publications: [{PUB}]")


@pytest.fixture
def retracted(data: Path) -> Built:
    """``data`` with PMID 333's PubMed record (Retracted Publication) in data/pubmed.sqlite, loaded."""
    counts = import_files(PubMedCache(get_cache_path(data)), [RETRACTED_XML])
    assert counts == {str(RETRACTED_XML): 2}  # the retracted paper and its retraction notice
    return load(data)


def _evidence_of(built: Built, claim_id: str, study_id: str) -> list[URIRef]:
    claim = built.kb.claim_index[claim_id]
    study = study_iri(study_id)
    nodes = [
        ev
        for ev in built.graph.objects(claim_iri(claim), LDN.hasEvidence)
        if built.graph.value(ev, LDN.study) == study
    ]
    assert nodes, f"no evidence node of {study_id} on {claim_id}"
    return [URIRef(str(n)) for n in nodes]


def _without_study(kb: KnowledgeBase, claim_id: str, study_id: str) -> KnowledgeBase:
    claims = []
    for claim in kb.claims:
        if claim.id == claim_id:
            kept = [item.model_dump() for item in claim.evidence if item.study != study_id]
            claim = type(claim).model_validate({**claim.model_dump(), "evidence": kept})
        claims.append(claim)
    return kb.model_copy(update={"claims": tuple(claims)})


def test_publication_is_flagged_retracted_in_the_graph(retracted: Built, data: Path) -> None:
    node = publication_iri(PUB)
    assert retracted.graph.value(node, LDN.retracted) == Literal(True)
    assert retracted.kb.publication_index[PUB].retracted
    # the same data without the cache: not retracted (the flag comes from the PubMed record)
    with PubMedCache(get_cache_path(data)) as cache:
        assert cache.remove(["333", "444"]) == 2
    assert load(data).graph.value(node, LDN.retracted) == Literal(False)


def test_evidence_is_excluded_with_reason_retracted(retracted: Built) -> None:
    graph = retracted.graph
    for ev in _evidence_of(retracted, CLAIM, STUDY):
        assert graph.value(ev, LDN.weight) == Literal(0.0, datatype=XSD.double)
        assert graph.value(ev, LDN.excluded) == Literal("retracted")
    # the other (not retracted) item of the claim still counts
    (other,) = _evidence_of(retracted, CLAIM, "trial-a")
    assert graph.value(other, LDN.excluded) is None
    assert float(graph.value(other, LDN.weight)) > 0  # type: ignore[arg-type]
    score = retracted.scores.claims[CLAIM]
    assert "retracted" in score.reasons
    assert Literal("retracted") in set(graph.objects(claim_iri(retracted.kb.claim_index[CLAIM]), LDN.reason))
    assert [i.excluded for i in score.items if i.study == STUDY] == ["retracted"]
    # claims that do not rest on PMID 333 carry no such reason
    assert "retracted" not in retracted.scores.claims["ldn-microglia"].reasons


def test_strength_equals_strength_without_the_study(retracted: Built, data: Path) -> None:
    profile = read_profile(get_profile_path(data))
    without = score_knowledge_base(_without_study(retracted.kb, CLAIM, STUDY), profile).claims[CLAIM]
    score = retracted.scores.claims[CLAIM]
    assert (score.support, score.refute, score.strength) == (
        without.support,
        without.refute,
        without.strength,
    )
    assert score.refute == 0.0  # trial-b was the only refuting item
    # ... and the retraction changed the outcome: before it, trial-b's refutation counted
    with PubMedCache(get_cache_path(data)) as cache:
        assert cache.remove(["333"]) == 1
    before = load(data).scores.claims[CLAIM]
    assert before.refute > 0 and before.strength != score.strength
    assert "retracted" not in before.reasons


def test_verify_citations_reports_it(retracted: Built, data: Path) -> None:
    result = CliRunner().invoke(cli, ["verify-citations", "--data", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    row = next(r for r in out["publications"] if r["publication"] == PUB)
    assert row["retracted"] is True and row["retraction_notices"] == ["444"]
    assert row["check"] == "verified"  # PMID and title seen together in the PubMed record
    assert out["summary"]["retracted"] == 1
    assert [r["publication"] for r in out["publications"] if r["retracted"]] == [PUB]


def test_queries_show_it(retracted: Built) -> None:
    pubs = run_query(retracted.graph, "publications_by_status", {}).to_records()
    (row,) = [r for r in pubs if r["publication"] == CITATION]
    assert row["retracted"] is True and row["status"] == "verified"
    assert row["studies"] == STUDY
    assert row["title"] == "An invented study that was later retracted"
    assert [r["publication"] for r in pubs if r["retracted"]] == [CITATION]

    gaps = run_query(retracted.graph, "gaps", {"only": "retracted_citation"}).to_records()
    sources = [s.id for s in retracted.kb.sources if PUB in s.cites]
    assert sources  # the fixture's source document cites PMID 333 too
    assert sorted((g["subject_id"], g["detail"]) for g in gaps) == sorted(
        [(CLAIM, f"{CITATION} (retracted)"), *((s, f"{CITATION} (retracted)") for s in sources)]
    )
    assert {g["gap"] for g in gaps} == {"retracted_citation"}


def test_no_retraction_gap_without_the_cache(data: Path) -> None:
    assert run_query(load(data).graph, "gaps", {"only": "retracted_citation"}).rows == ()
