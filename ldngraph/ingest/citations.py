"""Check curated publications against cached PubMed records; flag retractions; triage new papers.

* :func:`verify_citations` compares title (normalised), year, journal and DOI of every curated
  publication with its cached PubMed record: verified, mismatch (with the differing fields) or
  unresolved (no record cached).
* :func:`apply_verification` returns a new knowledge base whose publications carry that outcome
  (``pubmed_check``, ``pubmed_mismatch``) and ``retracted`` from PubMed, so the graph, the scores
  and the gap queries see it. A PMID the seed could not resolve becomes ``verified`` once PubMed
  shows its record (the PMID and the title seen together), with the title and metadata taken from
  PubMed; a curated ``verified`` publication that PubMed contradicts drops to ``content_match``.
* :func:`triage` lists the PMIDs of a search that data/ does not cite yet.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ldngraph.ingest.cache import PubMedCache, get_cache_path
from ldngraph.ingest.pubmed import PubMedRecord
from ldngraph.model import CitationStatus, KnowledgeBase, Publication, PubMedCheck

logger = logging.getLogger(__name__)

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_title(title: str) -> str:
    """Case, accents, punctuation and PubMed's [brackets] for translated titles do not count."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _NON_ALNUM.sub(" ", text).strip()


def normalise_journal(journal: str) -> str:
    """'J. Biol. Chem.' and 'J Biol Chem' are the same journal."""
    return " ".join(journal.replace(".", " ").casefold().split())


class FieldDifference(BaseModel):
    """One curated field that disagrees with PubMed."""

    model_config = ConfigDict(frozen=True)

    field: str
    curated: str
    pubmed: str | None


class CitationCheck(BaseModel):
    """The outcome for one curated publication."""

    model_config = ConfigDict(frozen=True)

    publication: str = Field(description="Publication id, e.g. PMID:123")
    pmid: str | None
    check: PubMedCheck
    reason: str | None = Field(
        default=None,
        description="Why unresolved: not_in_cache (fetch the PMID) or no_pmid (nothing to look up)",
    )
    curated_status: CitationStatus
    retracted: bool = Field(description="PubMed marks it retracted (or the curated record does)")
    retraction_notices: tuple[str, ...] = Field(default=(), description="PMIDs of RetractionIn notices")
    differences: tuple[FieldDifference, ...] = ()
    pubmed_title: str | None = None


def compare(pub: Publication, record: PubMedRecord) -> tuple[FieldDifference, ...]:
    """Curated fields (those that are set) that disagree with the PubMed record."""
    diffs: list[FieldDifference] = []
    if pub.title is not None and (
        record.title is None or normalise_title(pub.title) != normalise_title(record.title)
    ):
        diffs.append(FieldDifference(field="title", curated=pub.title, pubmed=record.title))
    if pub.year is not None and pub.year != record.year:
        pubmed_year = str(record.year) if record.year is not None else None
        diffs.append(FieldDifference(field="year", curated=str(pub.year), pubmed=pubmed_year))
    if pub.journal is not None:
        names = {normalise_journal(j) for j in (record.journal, record.journal_title) if j}
        if normalise_journal(pub.journal) not in names:
            diffs.append(FieldDifference(field="journal", curated=pub.journal, pubmed=record.journal))
    if pub.doi is not None and (record.doi is None or pub.doi.casefold() != record.doi.casefold()):
        diffs.append(FieldDifference(field="doi", curated=pub.doi, pubmed=record.doi))
    return tuple(diffs)


def check_publication(pub: Publication, record: PubMedRecord | None) -> CitationCheck:
    """Verified / mismatch / unresolved for one publication."""
    if record is None:
        return CitationCheck(
            publication=pub.id,
            pmid=pub.pmid,
            check=PubMedCheck.unresolved,
            reason="not_in_cache" if pub.pmid else "no_pmid",
            curated_status=pub.status,
            retracted=pub.retracted,
        )
    diffs = compare(pub, record)
    return CitationCheck(
        publication=pub.id,
        pmid=pub.pmid,
        check=PubMedCheck.mismatch if diffs else PubMedCheck.verified,
        curated_status=pub.status,
        retracted=pub.retracted or record.is_retracted,
        retraction_notices=tuple(cc.pmid for cc in record.links("RetractionIn") if cc.pmid),
        differences=diffs,
        pubmed_title=record.title,
    )


def _record_for(pub: Publication, cache: PubMedCache) -> PubMedRecord | None:
    return cache.get(pub.pmid) if pub.pmid else None


def verify_citations(kb: KnowledgeBase, cache: PubMedCache) -> list[CitationCheck]:
    """One check per curated publication, in data order."""
    return [check_publication(pub, _record_for(pub, cache)) for pub in kb.publications]


def _updated(pub: Publication, check: CitationCheck, record: PubMedRecord | None) -> Publication:
    update: dict[str, Any] = {
        "pubmed_check": check.check,
        "pubmed_mismatch": tuple(d.field for d in check.differences),
        "retracted": check.retracted,
    }
    if record is not None and check.check is PubMedCheck.verified:
        sources = pub.sources if pub.url in pub.sources else (*pub.sources, pub.url)
        update.update(status=CitationStatus.verified, sources=sources)
        # Fill what the curator left empty (an unresolved PMID has no title) from PubMed itself.
        fill = {
            "title": record.title,
            "journal": record.journal,
            "year": record.year,
            "doi": record.doi,
            "pmcid": record.pmcid,
            "authors": record.authors,
            "publication_types": record.publication_type_names,
        }
        base = {**pub.model_dump(), **update}
        update.update({k: v for k, v in fill.items() if v and not getattr(pub, k) and _fits(base, k, v)})
    elif check.check is PubMedCheck.mismatch and pub.status is CitationStatus.verified:
        update["status"] = CitationStatus.content_match
    return Publication.model_validate({**pub.model_dump(), **update})


def _fits(base: dict[str, Any], field: str, value: Any) -> bool:
    """True if PubMed's ``value`` is a valid ``field`` of a curated publication.

    A cached record may hold what the curated model refuses (a year 1850, a DOI written as a URL, a
    PMC id without 'PMC'): such a value is not copied (and logged), so one odd record never stops
    build, export, report or query.
    """
    try:
        Publication.model_validate({**base, field: value})
    except ValidationError:
        logger.warning("%s: PubMed's %s %r is not valid here; not copied", base["id"], field, str(value)[:80])
        return False
    return True


def apply_verification(kb: KnowledgeBase, cache: PubMedCache) -> KnowledgeBase:
    """A new knowledge base whose publications carry the PubMed check and retraction flags."""
    publications = []
    for pub in kb.publications:
        if pub.pmid is None:
            publications.append(pub)
            continue
        record = cache.get(pub.pmid)
        publications.append(_updated(pub, check_publication(pub, record), record))
    return kb.model_copy(update={"publications": tuple(publications)})


def apply_cached_pubmed(kb: KnowledgeBase, data_dir: Path) -> KnowledgeBase:
    """:func:`apply_verification` with the default cache of ``data_dir`` (``<data>/pubmed.sqlite``, or
    the user cache for an installed package's data; see :func:`get_cache_path`) when it holds
    records, else ``kb``."""
    with PubMedCache(get_cache_path(data_dir)) as cache:
        return apply_verification(kb, cache) if len(cache) else kb


# -- triage ----------------------------------------------------------------------------------------


class TriageItem(BaseModel):
    """A PMID found by a search that data/ does not cite yet."""

    model_config = ConfigDict(frozen=True)

    pmid: str
    title: str | None
    year: int | None
    publication_types: tuple[str, ...]
    retracted: bool
    url: str


def triage(kb: KnowledgeBase, cache: PubMedCache, pmids: Iterable[str]) -> list[TriageItem]:
    """The PMIDs not cited in ``kb``, in search order, with what the cache knows of them."""
    cited = {pub.pmid for pub in kb.publications if pub.pmid}
    items: list[TriageItem] = []
    for pmid in dict.fromkeys(pmids):
        if pmid in cited:
            continue
        record = cache.get(pmid)
        items.append(
            TriageItem(
                pmid=pmid,
                title=record.title if record else None,
                year=record.year if record else None,
                publication_types=record.publication_type_names if record else (),
                retracted=record.is_retracted if record else False,
                url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
            )
        )
    return items


def missing_pmids(checks: Sequence[CitationCheck]) -> list[str]:
    """PMIDs with no cached record, in data order: what ``ldngraph fetch`` should get."""
    return list(dict.fromkeys(c.pmid for c in checks if c.pmid and c.reason == "not_in_cache"))


def summarise_checks(checks: Sequence[CitationCheck]) -> dict[str, int]:
    """Counts by outcome, plus retracted."""
    counts = {status.value: 0 for status in PubMedCheck}
    for check in checks:
        counts[check.check.value] += 1
    counts["retracted"] = sum(c.retracted for c in checks)
    return counts


def format_checks(checks: Sequence[CitationCheck]) -> list[str]:
    """One line per publication: id, outcome, retraction, differing fields."""
    lines = []
    for c in checks:
        diffs = "; ".join(f"{d.field}: curated {d.curated!r} vs PubMed {d.pubmed!r}" for d in c.differences)
        flag = "RETRACTED " if c.retracted else ""
        outcome = c.check.value + (f" ({c.reason.replace('_', ' ')})" if c.reason else "")
        lines.append(f"{c.publication:<16} {outcome:<25} {flag}{diffs}".rstrip())
    return lines


def format_triage(items: Sequence[TriageItem]) -> list[str]:
    """One line per PMID: PMID, year, publication types, title."""
    lines = []
    for i in items:
        flag = " [RETRACTED]" if i.retracted else ""
        types = ", ".join(i.publication_types)
        lines.append(f"{i.pmid:<10} {i.year or '':<5} {types:<40} {i.title or '(not fetched)'}{flag}")
    return lines
