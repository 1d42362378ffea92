"""Integrity of the shipped curated data in data/ (in the style of bioregistry's test_data.py).

Each test is parametrised per record, so a failure names the record and says how to fix it.
Checks run against the project's reference list of checked literature facts, vendored unchanged at
``docs/reference/literature.yaml`` (overridable with the environment variable ``LDNGRAPH_LITERATURE``),
so they run on a clean clone. ``test_vendored_literature_matches_shared`` keeps the copy in step with
``../shared/reference/literature.yaml`` when that file sits beside the checkout.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from ldngraph.ingest.curated import FILES, read_knowledge_base
from ldngraph.model import (
    CURIE_RE,
    DOI_RE,
    KNOWN_PREFIXES,
    NCT_RE,
    PMCID_RE,
    PMID_RE,
    Direction,
    Effect,
    KnowledgeBase,
    Predicate,
)

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "data"
IDENTIFIERS = REPO / "docs" / "identifiers.yaml"
README = DATA / "README.md"
#: The vendored copy of the reference list (docs/reference/README.md says where it comes from).
VENDORED_LITERATURE = REPO / "docs" / "reference" / "literature.yaml"
_REFERENCE = Path("shared") / "reference" / "literature.yaml"
#: The upstream list: ../shared/reference/literature.yaml from the repository root (a git worktree
#: under wt/ looks one level further up).
_CANDIDATES = [REPO.parent / _REFERENCE, REPO.parent.parent / _REFERENCE]
SHARED_LITERATURE = next((p for p in _CANDIDATES if p.is_file()), None)
LITERATURE = Path(os.environ.get("LDNGRAPH_LITERATURE") or VENDORED_LITERATURE)

#: Seed PMIDs that no checked source links to an article: they must stay unresolved and unused.
UNRESOLVED_SEED_PMIDS = ("29377216", "37021443", "32074159")
MIN_STUDIES, MIN_EVIDENCE, MIN_REFUTING = 25, 40, 4


# -- loading -------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first at line {seen[key]}); keep one and merge the values",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@cache
def _raw(name: str) -> list[dict[str, Any]]:
    key = FILES[name][0]
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return list(data[key])


@cache
def _kb() -> KnowledgeBase:
    return read_knowledge_base(DATA)


@cache
def _identifiers() -> dict[str, dict[str, Any]]:
    entries = yaml.safe_load(IDENTIFIERS.read_text(encoding="utf-8"))
    return {e["id"]: e for e in entries}


@cache
def _literature() -> list[dict[str, Any]]:
    return list(yaml.safe_load(LITERATURE.read_text(encoding="utf-8")))


def _need_literature() -> None:
    # The vendored copy ships with the repository, so a missing file is a failure, not a skip.
    assert LITERATURE.is_file(), (
        f"reference list {LITERATURE} not found; restore docs/reference/literature.yaml from "
        "../shared/reference/literature.yaml (or point LDNGRAPH_LITERATURE at a copy)"
    )


def test_vendored_literature_matches_shared() -> None:
    """docs/reference/literature.yaml is a byte-for-byte copy of ../shared/reference/literature.yaml."""
    if SHARED_LITERATURE is None:
        pytest.skip("../shared/reference/literature.yaml is not beside the checkout; nothing to compare")
    assert VENDORED_LITERATURE.read_bytes() == SHARED_LITERATURE.read_bytes(), (
        f"{VENDORED_LITERATURE} differs from {SHARED_LITERATURE}; copy the shared file over the "
        "vendored one unchanged (cp ../shared/reference/literature.yaml docs/reference/)"
    )


def _lit_for(pub: dict[str, Any]) -> dict[str, Any] | None:
    """The literature.yaml entry for a publication record: by PMID, else DOI, else exact title."""
    for entry in _literature():
        if pub.get("pmid") and entry.get("pmid") is not None and str(entry["pmid"]) == pub["pmid"]:
            return entry
    for entry in _literature():
        if pub.get("doi") and entry.get("doi") and entry["doi"].lower() == pub["doi"].lower():
            return entry
    for entry in _literature():
        if pub.get("title") and entry.get("title") == pub["title"]:
            return entry
    return None


def _ids(name: str) -> list[str]:
    key = "key" if name == "statements" else "id"
    if name == "statements":
        return [st[key] for doc in _raw("sources.yaml") for st in doc.get("statements", [])]
    return [str(rec.get(key)) for rec in _raw(name)]


ENTITY_IDS = _ids("entities.yaml")
PUBLICATION_IDS = _ids("publications.yaml")
STUDY_IDS = _ids("studies.yaml")
CLAIM_IDS = _ids("claims.yaml")
STATEMENT_KEYS = _ids("statements")


def _record(name: str, rid: str) -> dict[str, Any]:
    key = "key" if name == "statements" else "id"
    if name == "statements":
        records = [st for doc in _raw("sources.yaml") for st in doc.get("statements", [])]
    else:
        records = _raw(name)
    return next(r for r in records if str(r.get(key)) == rid)


# -- files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_formatting(name: str) -> None:
    path = DATA / name
    raw = path.read_bytes()
    text = raw.decode("utf-8")  # raises on non-UTF-8
    assert "\t" not in text, f"{path}: replace tab characters with spaces"
    assert text.endswith("\n"), f"{path}: end the file with a newline"
    for number, line in enumerate(text.splitlines(), start=1):
        assert line == line.rstrip(), f"{path}:{number}: remove trailing whitespace"
    yaml.load(text, Loader=_UniqueKeyLoader)


def test_knowledge_base_loads() -> None:
    kb = _kb()  # raises DataError, listing file:line: record: field problems
    assert len(kb.entities) == len(ENTITY_IDS)


@pytest.mark.parametrize("name", sorted(FILES))
def test_ids_unique(name: str) -> None:
    key = FILES[name][0]
    ids = [str(r.get("id")) for r in _raw(name)]
    dupes = [rid for rid, count in Counter(ids).items() if count > 1]
    assert not dupes, f"data/{name}: duplicate {key} ids {dupes}; merge the records or rename one"


# -- per-record validity -------------------------------------------------------------------------


def _validate(name: str, rid: str) -> None:
    model: type[BaseModel] = FILES[name][2]
    try:
        model.model_validate(_record(name, rid))
    except Exception as exc:  # pydantic.ValidationError; show its text as the fix hint
        pytest.fail(f"data/{name}: record '{rid}' is invalid; fix the field named below:\n{exc}")


@pytest.mark.parametrize("rid", ENTITY_IDS)
def test_entity_valid(rid: str) -> None:
    _validate("entities.yaml", rid)


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_publication_valid(rid: str) -> None:
    _validate("publications.yaml", rid)


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_study_valid(rid: str) -> None:
    _validate("studies.yaml", rid)


@pytest.mark.parametrize("rid", CLAIM_IDS)
def test_claim_valid(rid: str) -> None:
    _validate("claims.yaml", rid)


# -- identifiers ---------------------------------------------------------------------------------


def _assert_curie(value: str, where: str) -> None:
    match = CURIE_RE.match(value)
    assert match, f"{where}: '{value}' is not a CURIE; write PREFIX:LOCAL, e.g. MESH:D005356"
    assert match["prefix"] in KNOWN_PREFIXES, (
        f"{where}: '{value}' has unknown prefix; use one of {sorted(KNOWN_PREFIXES)}"
    )


@pytest.mark.parametrize("rid", ENTITY_IDS)
def test_entity_identifiers_checked(rid: str) -> None:
    rec = _record("entities.yaml", rid)
    for curie in [rid, *rec.get("xrefs", [])]:
        _assert_curie(curie, f"data/entities.yaml: entity '{rid}'")
        if curie.startswith("LDNO:"):
            continue  # project namespace: nothing external to check
        entry = _identifiers().get(curie)
        assert entry is not None and entry.get("verified") is True, (
            f"data/entities.yaml: entity '{rid}': {curie} is not listed with verified: true in "
            "docs/identifiers.yaml; check it against a registry page and record the source there first"
        )


@pytest.mark.parametrize("rid", CLAIM_IDS)
def test_claim_curies(rid: str) -> None:
    rec = _record("claims.yaml", rid)
    where = f"data/claims.yaml: claim '{rid}'"
    _assert_curie(rec["subject"], where)
    _assert_curie(rec["object"], where)
    outcome = (rec.get("qualifiers") or {}).get("outcome")
    if outcome:
        _assert_curie(outcome, where)
    for item in rec["evidence"]:
        if item.get("outcome"):
            _assert_curie(item["outcome"], where)


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_study_identifiers(rid: str) -> None:
    rec = _record("studies.yaml", rid)
    where = f"data/studies.yaml: study '{rid}'"
    if rec.get("species"):
        _assert_curie(rec["species"], where)
        assert rec["species"].startswith("NCBITaxon:"), f"{where}: species must be an NCBITaxon CURIE"
        entry = _identifiers().get(rec["species"])
        assert entry and entry.get("verified"), f"{where}: add {rec['species']} to docs/identifiers.yaml"
    if rec.get("registry"):
        assert NCT_RE.match(rec["registry"]), f"{where}: registry must look like NCT00568555"


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_publication_identifier_forms(rid: str) -> None:
    rec = _record("publications.yaml", rid)
    where = f"data/publications.yaml: publication '{rid}'"
    pmid, doi, pmcid = rec.get("pmid"), rec.get("doi"), rec.get("pmcid")
    assert pmid is None or isinstance(pmid, str), f'{where}: quote the PMID (pmid: "123")'
    assert pmid is None or PMID_RE.match(pmid), f"{where}: PMID must be digits only"
    assert doi is None or DOI_RE.match(str(doi)), f"{where}: DOI must look like 10.NNNN/suffix"
    assert doi is None or not str(doi).lower().startswith("http"), f"{where}: drop https://doi.org/"
    assert pmcid is None or PMCID_RE.match(pmcid), f"{where}: PMCID must look like PMC1234567"
    if rid.startswith("REF:"):
        # Identified by journal citation: only when neither a PMID nor a DOI could be found.
        assert not pmid and not doi, (
            f"{where}: a REF: id is only for records with no PMID or DOI; use PMID:/DOI:"
        )
        assert rec.get("journal_citation"), f"{where}: a REF: publication needs its journal_citation"
        return
    expected = f"PMID:{pmid}" if pmid else f"DOI:{doi}"
    assert rid == expected, f"{where}: id must be '{expected}' (PMID when known, else DOI)"


def _source_urls(rec: dict[str, Any]) -> list[str]:
    return [str(url) for url in rec.get("sources") or [] if str(url).startswith(("http://", "https://"))]


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_curator_added_publications_have_sources(rid: str) -> None:
    """A PMID, DOI or citation that is not in the reference list carries the URLs where it was seen."""
    _need_literature()
    rec = _record("publications.yaml", rid)
    where = f"data/publications.yaml: publication '{rid}'"
    entry = _lit_for(rec)
    pmid, doi = rec.get("pmid"), rec.get("doi")
    new_pmid = bool(pmid) and (entry is None or str(entry.get("pmid")) != pmid)
    new_doi = bool(doi) and (entry is None or str(entry.get("doi") or "").lower() != str(doi).lower())
    if not (new_pmid or new_doi or rid.startswith("REF:") or entry is None):
        return
    assert _source_urls(rec), (
        f"{where}: not (fully) in literature.yaml, so list the http(s) URLs where it was seen in `sources`"
    )
    assert rec.get("notes"), f"{where}: say in `notes` what was seen on those pages (identifier, title)"
    if rec["status"] != "unresolved" and not pmid:
        assert rec["status"] == "content_match", (
            f"{where}: without a PMID the status is content_match (verified needs the PMID with the title)"
        )


# -- citations against the reference list --------------------------------------------------------


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_publication_status_matches_reference(rid: str) -> None:
    _need_literature()
    rec = _record("publications.yaml", rid)
    where = f"data/publications.yaml: publication '{rid}'"
    entry = _lit_for(rec)
    pmid = rec.get("pmid")
    listed = entry is not None and pmid is not None and str(entry.get("pmid")) == pmid
    if pmid and not listed:
        # A PMID the curator verified: the PMID must be in one of the source URLs (a PubMed record or
        # mirror whose page shows the title) and the status must be verified.
        assert any(pmid in url for url in rec.get("sources", [])), (
            f"{where}: PMID {pmid} is not in literature.yaml; add the URL of a page showing this PMID "
            "with the title to `sources`, or remove the PMID"
        )
        assert rec["status"] == "verified", f"{where}: a curator-verified PMID must have status verified"
        return
    if entry is None and not pmid and rec.get("sources"):
        # A DOI or journal citation the curator saw with the search tool (issue 14; see
        # data/screening.yaml): the article was seen but no PMID, so content_match
        # (test_added_identifiers_have_sources checks the URLs).
        assert rec["status"] == "content_match", f"{where}: a publication without PMID is content_match"
        return
    if entry is None:
        # Curator-added (not in the reference list): test_curator_added_publications_have_sources.
        assert _source_urls(rec), f"{where}: not in literature.yaml by PMID, DOI or title; add its sources"
        return
    if rid.startswith("REF:"):
        assert not entry.get("pmid") and not entry.get("doi"), (
            f"{where}: literature.yaml has a PMID or DOI for it; use that instead of a REF: id"
        )
        assert rec["status"] == "content_match", f"{where}: a citation-identified record is content_match"
        return
    if pmid:
        want = "verified" if entry.get("verified") is True else None
        if want:
            assert rec["status"] == want, f"{where}: literature.yaml has verified: true; set status: verified"
        elif entry.get("title"):
            assert rec["status"] == "content_match", (
                f"{where}: literature.yaml saw the article but not the PMID link; set status: content_match"
            )
        else:
            assert rec["status"] == "unresolved", (
                f"{where}: literature.yaml has no article for this PMID; "
                "set status: unresolved and drop the title"
            )
    else:
        # DOI-only: the PMID link was never seen, so it cannot be 'verified' from the reference list.
        assert entry.get("verified") is not True or entry.get("pmid") is None
        assert rec["status"] == "content_match", (
            f"{where}: a DOI-only publication is content_match (article seen, PMID not found)"
        )
        if not entry.get("doi"):
            # A DOI the curator found that the reference list lacks: a source page must show it.
            assert any(str(rec["doi"]).lower() in url.lower() for url in rec.get("sources", [])), (
                f"{where}: literature.yaml has no DOI for it; add the URL of a page showing this DOI "
                "with the title to `sources`, or remove the DOI"
            )
            return
        assert entry["doi"].lower() == str(rec["doi"]).lower(), (
            f"{where}: DOI differs from literature.yaml ({entry.get('doi')}); copy it from there"
        )


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_publication_facts_match_reference(rid: str) -> None:
    _need_literature()
    rec = _record("publications.yaml", rid)
    entry = _lit_for(rec)
    if entry is None:
        pytest.skip("not in literature.yaml (covered by test_publication_status_matches_reference)")
    where = f"data/publications.yaml: publication '{rid}'"
    if entry.get("title") and rec.get("title"):
        assert rec["title"] == entry["title"], f"{where}: title differs from literature.yaml; copy it exactly"
    if entry.get("year") and rec.get("year"):
        assert rec["year"] == entry["year"], f"{where}: year differs from literature.yaml ({entry['year']})"
    if entry.get("doi") and rec.get("doi"):
        assert str(rec["doi"]).lower() == entry["doi"].lower(), f"{where}: DOI differs from literature.yaml"
    if not entry.get("title"):
        assert rec.get("title") is None, f"{where}: literature.yaml has no title for it; remove the title"


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_unresolved_has_no_bibliography(rid: str) -> None:
    rec = _record("publications.yaml", rid)
    if rec["status"] != "unresolved":
        return
    where = f"data/publications.yaml: publication '{rid}'"
    for field in ("title", "authors", "journal", "year", "doi"):
        assert not rec.get(field), f"{where}: unresolved, so remove '{field}' (never guess it)"


@pytest.mark.parametrize("pmid", UNRESOLVED_SEED_PMIDS)
def test_unresolved_seed_pmids_unused(pmid: str) -> None:
    kb = _kb()
    pub = kb.publication_index.get(f"PMID:{pmid}")
    assert pub is not None, f"data/publications.yaml: keep seed PMID {pmid} (status: unresolved)"
    assert pub.status.value == "unresolved" and pub.title is None
    users = [s.id for s in kb.studies if pub.id in s.publications]
    assert not users, f"data/studies.yaml: studies {users} cite unresolved PMID {pmid}; remove it from them"
    cited = {cite for doc in kb.sources for cite in doc.cites}
    assert pub.id in cited, f"data/sources.yaml: the seed summary must keep citing PMID {pmid}"


# -- studies against the reference list ----------------------------------------------------------


def _study_lit(rec: dict[str, Any]) -> dict[str, Any] | None:
    pubs = {p["id"]: p for p in _raw("publications.yaml")}
    for pid in rec["publications"]:
        entry = _lit_for(pubs[pid]) if pid in pubs else None
        if entry is not None:
            return entry
    return None


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_study_matches_reference(rid: str) -> None:
    _need_literature()
    rec = _record("studies.yaml", rid)
    entry = _study_lit(rec)
    if entry is None:
        pytest.skip("study's publication is not in literature.yaml")
    where = f"data/studies.yaml: study '{rid}'"
    if entry.get("design") and entry["design"] != rec["design"]:
        said = entry["design"].replace("_", " ")
        assert said in (rec.get("notes") or "").lower(), (
            f"{where}: design '{rec['design']}' differs from literature.yaml ('{entry['design']}'); "
            f"use that design or explain the mislabel in notes (mention '{said}')"
        )
    if rec.get("n") is not None:
        assert rec["n"] == entry.get("n"), (
            f"{where}: n={rec['n']} but literature.yaml gives {entry.get('n')}; use the source's n or drop it"
        )
    for field in ("randomised", "controlled", "blinded"):
        if rec.get(field) is not None and entry.get(field) is not None:
            assert rec[field] == entry[field], f"{where}: {field} differs from literature.yaml"
    if rec.get("registry"):
        # A registry id comes from the reference list, or from a registry page whose URL (holding the
        # id) is recorded in the study's notes.
        notes = rec.get("notes") or ""
        shown = re.search(rf"https?://\S*{re.escape(rec['registry'])}", notes)
        assert rec["registry"] in LITERATURE.read_text(encoding="utf-8") or shown, (
            f"{where}: registry {rec['registry']} is not in literature.yaml; "
            "remove it, or record the URL of the registry page that shows it in notes"
        )


# -- claims and coverage -------------------------------------------------------------------------


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_study_outcome_kinds_match_entities(rid: str) -> None:
    study = _kb().study_index[rid]
    entities = _kb().entity_index
    for i, row in enumerate(study.outcomes):
        want = entities[row.outcome].outcome_kind
        assert row.kind is want, (
            f"data/studies.yaml: study '{rid}': outcomes[{i}] ({row.outcome}) has kind {row.kind.value} but "
            f"the entity is {want.value if want else None}; use the entity's kind or another outcome entity "
            "(e.g. LDNO:lab-safety for laboratory tests, NCIT:C41331 (adverse event) for side effects)"
        )


#: Study effects that agree with each direction: a tolerability claim is supported when adverse events
#: did not rise; any other claim is supported by an improvement and refuted by a null or worse result.
_TOLERABILITY_EFFECTS = {
    Direction.supports: {Effect.no_effect, Effect.improved},
    Direction.refutes: {Effect.worsened},
}
_EFFICACY_EFFECTS = {
    Direction.supports: {Effect.improved},
    Direction.refutes: {Effect.no_effect, Effect.worsened},
}


@pytest.mark.parametrize("rid", CLAIM_IDS)
def test_evidence_direction_matches_study_rows(rid: str) -> None:
    claim = _kb().claim_index[rid]
    studies = _kb().study_index
    table = _TOLERABILITY_EFFECTS if claim.predicate is Predicate.well_tolerated_in else _EFFICACY_EFFECTS
    for i, item in enumerate(claim.evidence):
        study = studies[item.study]
        if item.outcome is None or not study.outcomes:
            continue
        effects = {row.effect for row in study.outcomes if row.outcome == item.outcome}
        where = f"data/claims.yaml: claim '{rid}': evidence[{i}] ({item.study}, {item.outcome})"
        assert effects, f"{where}: the study records no {item.outcome} row; add it or fix the item's outcome"
        assert effects & table[item.direction], (
            f"{where}: direction {item.direction.value} but the study's rows say "
            f"{sorted(e.value for e in effects)}; fix the direction or the study row"
        )


@pytest.mark.parametrize("rid", CLAIM_IDS)
def test_claim_has_evidence(rid: str) -> None:
    claim = _kb().claim_index[rid]
    assert claim.evidence, f"data/claims.yaml: claim '{rid}' needs at least one evidence item"


def test_counts() -> None:
    kb = _kb()
    items = [item for claim in kb.claims for item in claim.evidence]
    refuting = [item for item in items if item.direction is Direction.refutes]
    assert len(kb.studies) >= MIN_STUDIES, f"data/studies.yaml: {len(kb.studies)} studies; curate more"
    assert len(items) >= MIN_EVIDENCE, f"data/claims.yaml: {len(items)} evidence items; curate more"
    assert len(refuting) >= MIN_REFUTING, "data/claims.yaml: record the null and negative results as refutes"


@pytest.mark.parametrize("key", STATEMENT_KEYS)
def test_seed_statement_mapped(key: str) -> None:
    st = _record("statements", key)
    assert st.get("claims") or st.get("gaps"), (
        f"data/sources.yaml: statement '{key}' maps to no claim or gap; list the claims that encode it"
    )
    for cid in st.get("claims", []):
        assert cid in CLAIM_IDS, f"data/sources.yaml: statement '{key}': unknown claim '{cid}'"
    for gap in st.get("gaps", []):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", gap), f"data/sources.yaml: gap '{gap}' must be snake_case"


@pytest.mark.parametrize("key", STATEMENT_KEYS)
def test_readme_mapping_table(key: str) -> None:
    st = _record("statements", key)
    lines = README.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith(f"| `{key}` |")]
    assert rows, f"data/README.md: add a mapping-table row for statement `{key}`"
    for code in [*st.get("claims", []), *st.get("gaps", [])]:
        assert f"`{code}`" in rows[0], f"data/README.md: row `{key}` must list `{code}` as in sources.yaml"


@pytest.mark.parametrize("rid", CLAIM_IDS)
def test_asserted_claims_are_mapped(rid: str) -> None:
    claim = _kb().claim_index[rid]
    if "seed-summary" not in claim.asserted_by:
        return
    mapped = {cid for doc in _kb().sources for st in doc.statements for cid in st.claims}
    assert rid in mapped, f"data/sources.yaml: claim '{rid}' is asserted by the seed; map it to its statement"


# -- the shipped query on publication status -----------------------------------------------------


def test_publications_by_status_query() -> None:
    from rdflib import Literal
    from rdflib.plugins.sparql import prepareQuery

    from ldngraph.pipeline import load

    graph = load(DATA).graph
    text = (REPO / "queries" / "publications_by_status.rq").read_text(encoding="utf-8")
    query = prepareQuery(text)
    rows = list(graph.query(query, initBindings={"status": Literal("unresolved")}))
    got = {str(row.publication): row.title for row in rows}
    want = {f"PMID {pmid}" for pmid in UNRESOLVED_SEED_PMIDS}
    assert set(got) == want, f"queries/publications_by_status.rq: unresolved rows {sorted(got)}"
    assert all(title is None for title in got.values()), "an unresolved publication shows a title"
    everything = list(graph.query(query))
    assert len(everything) == len(PUBLICATION_IDS)
    assert {str(row.status) for row in everything} == {"verified", "content_match", "unresolved"}


# -- curation v2: review inclusion lists, risk of bias, effect estimates, critical outcomes -------

#: Designs that summarise other studies: each must say what it includes (or why that is unknown).
REVIEW_DESIGNS = ("meta_analysis", "systematic_review", "narrative_review")
#: Designs of controlled human studies, which need risk-of-bias judgements.
RANDOMISED = ("rct", "crossover_rct")
CONTROLLED = (*RANDOMISED, "controlled_trial")
ROB_DOMAINS = {
    "rob2": ("randomisation", "deviations", "missing_data", "measurement", "reporting"),
    "robins_i": (
        "confounding",
        "selection",
        "classification",
        "deviations",
        "missing_data",
        "measurement",
        "reporting",
    ),
}
JUDGEMENTS = ("low", "some_concerns", "high", "not_assessed")
#: Where a controlled trial records no EffectEstimate, its notes say why with one of these phrases.
NO_ESTIMATE_REASON = re.compile(r"no (EffectEstimate|effect estimate|CI\b|CIs\b|CI or )", re.IGNORECASE)


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_review_records_what_it_includes(rid: str) -> None:
    rec = _record("studies.yaml", rid)
    if rec["design"] not in REVIEW_DESIGNS:
        assert "review" not in rec, f"data/studies.yaml: study '{rid}': only reviews carry a review block"
        return
    where = f"data/studies.yaml: study '{rid}' ({rec['design']})"
    review = rec.get("review")
    assert review, f"{where}: add a review block (reports_methods, inclusion_list, inclusion_note or source)"
    narrative = rec["design"] == "narrative_review"
    assert review["reports_methods"] is (not narrative), (
        f"{where}: reports_methods must be {not narrative}: a review that reports no search or eligibility "
        "is a narrative_review; one that does is a systematic_review or meta_analysis"
    )
    listing = review.get("inclusion_list", "unknown")
    summarised = rec.get("summarises") or []
    if listing == "listed":
        assert _is_url(review.get("inclusion_source")), (
            f"{where}: a listed inclusion list needs inclusion_source"
        )
        total, other = review.get("included_total"), review.get("includes_other")
        assert total is not None and other is not None, (
            f"{where}: listed: give included_total and includes_other"
        )
        assert len(summarised) + other == total, (
            f"{where}: summarises has {len(summarised)} studies and includes_other is {other}, "
            f"but included_total is {total}; they must add up"
        )
    else:
        assert review.get("inclusion_note"), (
            f"{where}: inclusion_list is {listing}; say why in inclusion_note"
        )
        if listing == "unknown":
            assert not summarised, f"{where}: summarises names studies although the inclusion list is unknown"
    if review.get("included_total") is not None and review.get("includes_other") is not None:
        assert review["includes_other"] <= review["included_total"], (
            f"{where}: includes_other > included_total"
        )
    for i, pooled in enumerate(review.get("pooled") or []):
        estimate = pooled.get("estimate")
        assert estimate is None or _is_url(estimate.get("source")), (
            f"{where}: pooled[{i}] estimate needs a source"
        )


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_controlled_human_study_has_risk_of_bias(rid: str) -> None:
    rec = _record("studies.yaml", rid)
    if rec.get("population") != "human" or rec["design"] not in CONTROLLED:
        return
    where = f"data/studies.yaml: study '{rid}' ({rec['design']})"
    rob = rec.get("risk_of_bias")
    assert rob, f"{where}: a controlled human study needs risk_of_bias (RoB 2 or ROBINS-I domains)"
    want_tool = "rob2" if rec["design"] in RANDOMISED else "robins_i"
    assert rob["tool"] == want_tool, f"{where}: use {want_tool} for this design, not {rob['tool']}"
    assert _is_url(rob.get("source")), f"{where}: risk_of_bias.source must be the URL the facts were seen on"
    domains = dict(rob.get("domains") or {})
    want = list(ROB_DOMAINS[want_tool])
    if want_tool == "rob2" and (rec.get("crossover") or rec["design"] == "crossover_rct"):
        want.append("period_carryover")
    missing = [d for d in want if d not in domains]
    assert not missing, (
        f"{where}: risk_of_bias lacks domains {missing} (use not_assessed where the source is silent)"
    )
    for name, domain in domains.items():
        assert domain.get("judgement") in JUDGEMENTS, (
            f"{where}: domain {name}: judgement must be one of {JUDGEMENTS}"
        )
        support = str(domain.get("support") or "")
        assert support.strip() and "\n" not in support, f"{where}: domain {name}: give a one-line support"


@pytest.mark.parametrize("rid", STUDY_IDS)
def test_controlled_trial_estimate_or_reason(rid: str) -> None:
    """Every controlled human trial has an effect estimate seen in a source, or its notes say why not."""
    rec = _record("studies.yaml", rid)
    if rec.get("population") != "human" or rec["design"] not in CONTROLLED:
        return
    estimates = [row["estimate"] for row in rec.get("outcomes") or [] if row.get("estimate")]
    for estimate in estimates:
        assert _is_url(estimate.get("source")), (
            f"data/studies.yaml: study '{rid}': an estimate needs its source URL"
        )
    assert estimates or NO_ESTIMATE_REASON.search(rec.get("notes") or ""), (
        f"data/studies.yaml: study '{rid}': record the effect estimate a source reports (with its URL) "
        "or say in notes why there is none (e.g. 'no CI was seen')"
    )


@pytest.mark.parametrize("rid", CLAIM_IDS)
def test_evidence_rests_on_reported_outcomes(rid: str) -> None:
    """An unreported outcome (reported: false) is not a null result and backs no evidence item."""
    claim = _record("claims.yaml", rid)
    for i, item in enumerate(claim["evidence"]):
        if not item.get("outcome"):
            continue
        rows = [
            r
            for r in _record("studies.yaml", item["study"]).get("outcomes") or []
            if r["outcome"] == item["outcome"]
        ]
        if rows:
            assert any(r.get("reported", True) for r in rows), (
                f"data/claims.yaml: claim '{rid}': evidence[{i}] ({item['study']}) rests on "
                f"{item['outcome']}, which the study records as not reported; remove the item"
            )


@pytest.mark.parametrize("rid", [e for e in ENTITY_IDS if _record("entities.yaml", e)["kind"] == "condition"])
def test_condition_has_critical_outcome(rid: str) -> None:
    rec = _record("entities.yaml", rid)
    outcome = rec.get("critical_outcome")
    assert outcome, f"data/entities.yaml: condition '{rid}': set critical_outcome (the headline outcome)"
    target = _record("entities.yaml", outcome) if outcome in ENTITY_IDS else None
    assert target is not None and target["kind"] == "outcome", (
        f"data/entities.yaml: condition '{rid}': critical_outcome {outcome} is not an outcome entity"
    )


# -- curation v2 (issue 14): identifiers added from the screening log ------------------------------


@pytest.mark.parametrize("rid", PUBLICATION_IDS)
def test_added_identifiers_have_sources(rid: str) -> None:
    """Every PMID or DOI that is not in the reference list carries the URLs where it was seen; a PMID
    also appears in one of them (a page that showed it with the article)."""
    _need_literature()
    rec = _record("publications.yaml", rid)
    if rec["status"] == "unresolved" or _lit_for(rec) is not None:
        return
    where = f"data/publications.yaml: publication '{rid}'"
    sources = rec.get("sources") or []
    assert sources, f"{where}: not in literature.yaml, so list the URL(s) where it was seen in `sources`"
    if rec.get("pmid"):
        assert any(rec["pmid"] in url for url in sources), (
            f"{where}: PMID {rec['pmid']} appears in none of its sources; add the page that showed it"
        )
