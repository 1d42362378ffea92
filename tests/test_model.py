"""Model rules, one good and one bad case each."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from ldngraph.model import (
    Claim,
    Entity,
    EvidenceItem,
    KnowledgeBase,
    Publication,
    Study,
    check_curie,
    find_problems,
)

PUB: dict[str, Any] = {
    "id": "PMID:123",
    "pmid": "123",
    "title": "T",
    "status": "verified",
    "sources": ["https://example.org/x"],
}
STUDY: dict[str, Any] = {
    "id": "s1",
    "label": "S1",
    "design": "rct",
    "population": "human",
    "publications": ["PMID:123"],
}
CLAIM: dict[str, Any] = {
    "id": "c1",
    "subject": "CHEBI:7465",
    "predicate": "decreases",
    "object": "HGNC:11850",
    "statement": "x",
    "evidence": [{"study": "s1", "direction": "supports"}],
}


def test_valid_records() -> None:
    assert Publication.model_validate(PUB).url == "https://pubmed.ncbi.nlm.nih.gov/123/"
    assert Study.model_validate(STUDY).is_human
    assert len(Claim.model_validate(CLAIM).content_hash) == 16


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"pmid": "12a"}, "digits only"),
        ({"id": "PMID:999"}, "must be 'PMID:123'"),
        ({"status": "unresolved"}, "must not carry a title"),
        ({"doi": "doi.org/10.1/x"}, "must look like 10.NNNN"),
        ({"pmcid": "12345"}, "PMC1234567"),
        ({"sources": []}, "needs the source URL"),
        ({"sources": ["ftp://x"]}, "not an http(s) URL"),
        ({"pmid": None, "id": "PMID:123"}, "must be 'DOI:"),
        ({"status": "checked"}, "verified"),
    ],
)
def test_publication_rules(changes: dict[str, Any], fragment: str) -> None:
    data = {**PUB, **changes}
    if changes.get("pmid", "x") is None:
        data["doi"] = "10.1000/abc"
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        Publication.model_validate(data)


def test_publication_needs_pmid_or_doi() -> None:
    with pytest.raises(ValidationError, match="needs a pmid, a doi or"):
        Publication.model_validate({"id": "PMID:1", "status": "unresolved"})


def test_doi_only_publication() -> None:
    pub = Publication.model_validate({"id": "DOI:10.1000/x", "doi": "10.1000/x", "status": "unresolved"})
    assert pub.citation == "DOI 10.1000/x"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"n": 0}, "greater than or equal to 1"),
        ({"n": -5}, "greater than or equal to 1"),
        ({"design": "rtc"}, "rct"),
        ({"publications": []}, "at least one publication"),
        ({"id": "Bad Id"}, "not a valid id"),
        ({"species": "TAXON:9606"}, "unknown prefix"),
        ({"registry": "ISRCTN1"}, "ClinicalTrials.gov"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_study_rules(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        Study.model_validate({**STUDY, **changes})


def test_claim_needs_evidence() -> None:
    with pytest.raises(ValidationError, match="at least one evidence item"):
        Claim.model_validate({**CLAIM, "evidence": []})


def test_claim_hash_depends_on_identity_not_wording() -> None:
    a = Claim.model_validate(CLAIM)
    b = Claim.model_validate({**CLAIM, "id": "other", "statement": "different words"})
    c = Claim.model_validate({**CLAIM, "qualifiers": {"aspect": "activity"}})
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash


@pytest.mark.parametrize(
    ("curie", "ok"),
    [("CHEBI:7465", True), ("MESH:D005356", True), ("FOO:1", False), ("nocolon", False), ("CL:", False)],
)
def test_check_curie(curie: str, ok: bool) -> None:
    if ok:
        assert check_curie(curie) == curie
    else:
        with pytest.raises(ValueError):
            check_curie(curie)


def test_outcome_entity_needs_kind() -> None:
    with pytest.raises(ValidationError, match="outcome_kind"):
        Entity.model_validate({"id": "LDNO:pain", "label": "pain", "kind": "outcome"})


def _kb(**overrides: Any) -> KnowledgeBase:
    base: dict[str, Any] = {
        "entities": [
            Entity(id="CHEBI:7465", label="LDN", kind="intervention"),  # type: ignore[arg-type]
            Entity(id="HGNC:11850", label="TLR4", kind="mechanism"),  # type: ignore[arg-type]
        ],
        "publications": [Publication.model_validate(PUB)],
        "studies": [Study.model_validate(STUDY)],
        "claims": [Claim.model_validate(CLAIM)],
    }
    base.update(overrides)
    return KnowledgeBase(**base)


def test_consistent_kb_has_no_problems() -> None:
    assert find_problems(_kb()) == []


def test_cross_record_problems() -> None:
    dangling = Claim.model_validate({**CLAIM, "evidence": [{"study": "nope", "direction": "supports"}]})
    dup = Claim.model_validate({**CLAIM, "id": "c2"})
    problems = find_problems(
        _kb(
            claims=[Claim.model_validate(CLAIM), dangling, dup],
            studies=[Study.model_validate({**STUDY, "publications": ["PMID:9"]})],
        )
    )
    messages = [p[3] for p in problems]
    assert any("unknown publication 'PMID:9'" in m for m in messages)
    assert any("unknown study 'nope'" in m for m in messages)
    assert any("duplicate id 'c1'" in m for m in messages)
    assert any("same subject, predicate, object and qualifiers as 'c1'" in m for m in messages)


def test_evidence_item_direction_enum() -> None:
    with pytest.raises(ValidationError):
        EvidenceItem.model_validate({"study": "s1", "direction": "neutral"})
