"""The living-evidence loop: re-run the saved searches of the screening log and log what is new.

``ldngraph watch`` runs every ``saved_searches`` entry of ``data/screening.yaml`` from the day it last
ran (PubMed: esearch ``mindate``/``maxdate`` on the Entrez date; ClinicalTrials.gov:
``AREA[LastUpdatePostDate]RANGE[day,MAX]``), keeps the records in the embedded database
(:mod:`ldngraph.ingest.database`), drops those already known (in data/ or in the log, by PMID, DOI,
NCT number or normalised title), and appends the rest to the log as ``candidate`` records, each
found by a new ``searches`` entry that names its PRISMA 2020 source. Registry records seen before
are compared with what the registry says now: a status change or a results posting is reported.

The log is rewritten once, at the end, atomically, after the new text has been read back and
validated: a failed search or a bad reply leaves it as it was.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from ldngraph.atomic import write_text_atomic
from ldngraph.errors import DataError
from ldngraph.ingest import rules
from ldngraph.ingest.cache import PubMedCache
from ldngraph.ingest.database import sqlite_errors, transaction
from ldngraph.ingest.entrez import EntrezClient, fetch_query
from ldngraph.ingest.pubmed import PubMedRecord
from ldngraph.ingest.registry import RegistryChange, RegistryClient, RegistryRecord, store_registry
from ldngraph.ingest.screening import (
    PRISMA_SOURCE,
    SCREENING_FILE,
    Decision,
    SavedSearch,
    ScreeningLog,
    SearchSource,
    read_screening_log,
)
from ldngraph.model import EntityKind, KnowledgeBase

log = logging.getLogger(__name__)


class Candidate(BaseModel):
    """A record new to data/ and the log, as logged, with the triage rules that fired."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Record id in the screening log")
    search: str = Field(description="Saved search that found it")
    prisma_source: str
    identifiers: tuple[str, ...]
    title: str | None
    url: str
    hits: tuple[rules.RuleHit, ...] = ()

    @property
    def score(self) -> int:
        return rules.score(self.hits)


class SearchOutcome(BaseModel):
    """One saved search, run once."""

    model_config = ConfigDict(frozen=True)

    search: str
    source: str
    query: str
    mindate: str | None
    maxdate: str
    hits: int = Field(description="What the source reported")
    kept: int = Field(description="Records fetched (the hits, or the cap)")
    capped: bool
    known: int = Field(description="Records already in data/ or the log")
    new: tuple[str, ...] = Field(description="Ids of the candidates logged")
    malformed: tuple[str, ...] = ()


class WatchReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: str
    searches: tuple[SearchOutcome, ...]
    candidates: tuple[Candidate, ...]
    changes: tuple[RegistryChange, ...]
    log: str = Field(description="The screening log written")


# -- what is already known -------------------------------------------------------------------------


def normalise_title(title: str) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed (for duplicate detection)."""
    text = unicodedata.normalize("NFKD", title)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def _keys(
    *, pmid: str | None = None, doi: str | None = None, nct: str | None = None, title: str | None = None
) -> set[str]:
    keys = set()
    if pmid:
        keys.add(f"pmid:{pmid}")
    if doi:
        keys.add(f"doi:{doi.strip().lower()}")
    if nct:
        keys.add(f"nct:{nct.upper()}")
    if title and len(normalise_title(title)) >= 20:  # short titles ("Editorial") are no identity
        keys.add(f"title:{normalise_title(title)}")
    return keys


def _identifier_keys(identifiers: Iterable[str]) -> set[str]:
    keys: set[str] = set()
    for ident in identifiers:
        prefix, _, value = ident.partition(":")
        if ident.upper().startswith("NCT"):
            keys |= _keys(nct=ident)
        elif prefix.upper() == "PMID":
            keys |= _keys(pmid=value)
        elif prefix.upper() == "DOI":
            keys |= _keys(doi=value)
    return keys


def known_keys(kb: KnowledgeBase, screening: ScreeningLog) -> set[str]:
    """Every PMID, DOI, NCT number and normalised title in data/ and the log."""
    keys: set[str] = set()
    for pub in kb.publications:
        keys |= _keys(pmid=pub.pmid, doi=pub.doi, title=pub.title)
    for study in kb.studies:
        keys |= _keys(nct=study.registry)
    for record in screening.records:
        keys |= _identifier_keys(record.identifiers) | _keys(title=record.title)
    return keys


def condition_names(kb: KnowledgeBase) -> dict[str, str]:
    """Lower-case label or synonym of each condition in the graph -> its label."""
    names = {}
    for entity in kb.entities:
        if entity.kind is EntityKind.condition:
            for name in (entity.label, *entity.synonyms):
                names[name.strip().lower()] = entity.label
    return names


# -- candidates --------------------------------------------------------------------------------------


def pubmed_candidate(record: PubMedRecord, search: SavedSearch, conditions: dict[str, str]) -> Candidate:
    idents = (f"PMID:{record.pmid}",) + ((f"DOI:{record.doi}",) if record.doi else ())
    return Candidate(
        id=f"pmid-{record.pmid}",
        search=search.id,
        prisma_source=PRISMA_SOURCE[search.source],
        identifiers=idents,
        title=record.title,
        url=f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid}/",
        hits=tuple(rules.pubmed_rules(record, conditions)),
    )


def registry_candidate(record: RegistryRecord, search: SavedSearch, conditions: dict[str, str]) -> Candidate:
    return Candidate(
        id=record.nct_id.lower(),
        search=search.id,
        prisma_source=PRISMA_SOURCE[search.source],
        identifiers=(record.nct_id,),
        title=record.title,
        url=record.url,
        hits=tuple(rules.registry_rules(record, conditions)),
    )


def _entrez_day(day: str) -> str:
    return day.replace("-", "/")


def run_searches(
    screening: ScreeningLog,
    kb: KnowledgeBase,
    cache: PubMedCache,
    *,
    entrez: EntrezClient | None,
    registry: RegistryClient | None,
    day: str,
) -> tuple[list[SearchOutcome], list[Candidate], list[RegistryChange]]:
    """Run every saved search; nothing is written to the log here (the database is)."""
    known = known_keys(kb, screening)
    conditions = condition_names(kb)
    outcomes: list[SearchOutcome] = []
    candidates: list[Candidate] = []
    changes: list[RegistryChange] = []
    for search in screening.saved_searches:
        found: list[Candidate] = []
        known_count = 0
        malformed: tuple[str, ...] = ()
        if search.source is SearchSource.pubmed:
            if entrez is None:
                raise DataError([f"saved search '{search.id}': needs E-utilities, which are not configured"])
            dates = {"datetype": "edat", "maxdate": _entrez_day(day)}
            dates["mindate"] = _entrez_day(search.last_run) if search.last_run else "1800/01/01"
            report = fetch_query(entrez, cache, search.query, max_results=search.max_hits, dates=dates)
            result = report.search
            hits = result.count if result else 0
            pmids = result.pmids[: search.max_hits] if result else ()
            kept = len(pmids)
            for pmid in pmids:
                record = cache.get(pmid)
                if record is None:  # PubMed listed it but returned no record (report.not_found)
                    continue
                keys = _keys(pmid=record.pmid, doi=record.doi, title=record.title)
                if keys & known:
                    known_count += 1
                    continue
                known |= keys
                found.append(pubmed_candidate(record, search, conditions))
        else:
            if registry is None:
                raise DataError([f"saved search '{search.id}': needs the registry client"])
            reg = registry.search(
                search.query, condition=search.condition, since=search.last_run, cap=search.max_hits
            )
            hits, kept, malformed = reg.total, len(reg.records), reg.malformed
            conn = cache.writer()
            changes += store_registry(conn, cache.path, reg.records)
            for rec in reg.records:
                keys = _keys(nct=rec.nct_id, title=rec.title)
                if keys & known:
                    known_count += 1
                    continue
                known |= keys
                found.append(registry_candidate(rec, search, conditions))
        capped = hits > kept
        if capped:
            log.warning("saved search '%s': %d hits, only the first %d were fetched", search.id, hits, kept)
        outcomes.append(
            SearchOutcome(
                search=search.id,
                source=search.source.value,
                query=search.query,
                mindate=search.last_run,
                maxdate=day,
                hits=hits,
                kept=kept,
                capped=capped,
                known=known_count,
                new=tuple(c.id for c in found),
                malformed=malformed,
            )
        )
        candidates += found
    return outcomes, candidates, changes


# -- writing the log -------------------------------------------------------------------------------


def _dump(items: list[dict[str, object]], indent: int = 2) -> str:
    text = yaml.safe_dump(items, default_flow_style=False, sort_keys=False, allow_unicode=True, width=100)
    pad = " " * indent
    return "".join(f"{pad}{line}\n" if line else "\n" for line in text.splitlines())


def _append(value: yaml.Node, raw: str, items: list[dict[str, object]]) -> tuple[int, int, str]:
    """The edit that appends ``items`` to the top-level sequence ``value`` (block or ``[]``)."""
    if not items:
        return (0, 0, "")
    if not isinstance(value, yaml.SequenceNode) or value.flow_style or not value.value:
        return (value.start_mark.index, value.end_mark.index, "\n" + _dump(items).rstrip("\n"))
    indent = max(0, value.value[0].start_mark.column - 2)
    at = value.end_mark.index
    return (at, at, ("" if at == 0 or raw[at - 1] == "\n" else "\n") + _dump(items, indent))


def _search_entry(outcome: SearchOutcome, search: SavedSearch, used: set[str]) -> dict[str, object]:
    base = f"w-{search.id}-{outcome.maxdate}"
    sid, n = base, 2
    while sid in used:
        sid, n = f"{base}-{n}", n + 1
    used.add(sid)
    window = f"from {outcome.mindate}" if outcome.mindate else "from the start"
    note = f"ldngraph watch, saved search '{search.id}' {window} to {outcome.maxdate}: {outcome.hits} hits"
    if outcome.capped:
        note += f", only the first {outcome.kept} fetched (cap max_hits)"
    note += f", {outcome.known} already in data/ or this log, {len(outcome.new)} new"
    if outcome.malformed:
        note += f", {len(outcome.malformed)} malformed records skipped"
    query = search.query + (f" [condition: {search.condition}]" if search.condition else "")
    entry: dict[str, object] = {
        "id": sid,
        "date": outcome.maxdate,
        "source": PRISMA_SOURCE[search.source],
        "query": query,
        "found": list(outcome.new),
        "note": note,
    }
    return entry


def _record_entry(candidate: Candidate, day: str) -> dict[str, object]:
    title = " ".join((candidate.title or "untitled").split())
    label = f"{candidate.identifiers[0]}: {title[:150]}"
    return {
        "id": candidate.id,
        "label": label,
        "identifiers": list(candidate.identifiers),
        "decision": Decision.candidate.value,
        "title": title,
        "added": day,
        "sources": [candidate.url],
    }


def updated_log_text(
    raw: str, outcomes: list[SearchOutcome], screening: ScreeningLog, candidates: list[Candidate], day: str
) -> str:
    """The log's text with last_run set, one search entry per run and the candidates appended;
    comments and layout of everything else kept."""
    node = yaml.compose(raw, Loader=yaml.SafeLoader)
    assert isinstance(node, yaml.MappingNode)
    top = {k.value: v for k, v in node.value}
    lines = raw.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) in characters
    ran = {o.search for o in outcomes}
    for item in top["saved_searches"].value:
        fields = {k.value: (k, v) for k, v in item.value}
        sid = fields["id"][1].value
        if sid not in ran:
            continue
        if "last_run" in fields:
            value = fields["last_run"][1]
            edits.append((value.start_mark.index, value.end_mark.index, f'"{day}"'))
        else:
            key = fields["id"][0]
            indent = " " * key.start_mark.column
            at = offsets[key.start_mark.line + 1]
            edits.append((at, at, f'{indent}last_run: "{day}"\n'))
    by_id = {s.id: s for s in screening.saved_searches}
    used = {s.id for s in screening.searches}
    searches = [_search_entry(o, by_id[o.search], used) for o in outcomes]
    edits.append(_append(top["searches"], raw, searches))
    edits.append(_append(top["records"], raw, [_record_entry(c, day) for c in candidates]))
    text = raw
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _check_text(text: str, directory: Path) -> ScreeningLog:
    with tempfile.NamedTemporaryFile(
        "w", suffix=".yaml", dir=directory, delete=False, encoding="utf-8"
    ) as tmp:
        tmp.write(text)
    try:
        return read_screening_log(tmp.name)
    finally:
        Path(tmp.name).unlink(missing_ok=True)


def watch(
    data_dir: Path,
    kb: KnowledgeBase,
    cache: PubMedCache,
    *,
    entrez: EntrezClient | None,
    registry: RegistryClient | None,
    day: str | None = None,
) -> WatchReport:
    """Run the saved searches of ``data_dir/screening.yaml`` and log what is new (module docstring)."""
    path = Path(data_dir) / SCREENING_FILE
    screening = read_screening_log(path)
    if not screening.saved_searches:
        raise DataError(
            [
                f"{path}: no saved_searches; add one (id, source: pubmed or clinicaltrials.gov, "
                "query), see README 'Keeping the evidence current'"
            ]
        )
    day = day or date.today().isoformat()
    outcomes, candidates, changes = run_searches(
        screening, kb, cache, entrez=entrez, registry=registry, day=day
    )
    raw = path.read_text(encoding="utf-8")
    text = updated_log_text(raw, outcomes, screening, candidates, day)
    _check_text(text, path.parent)  # never write a log that does not read back
    write_text_atomic(path, text)
    conn = cache.writer()
    ran = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with transaction(conn, cache.path):
        conn.executemany(
            "INSERT INTO search_run (search, source, ran, mindate, maxdate, hits, kept, new) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (o.search, o.source, ran, o.mindate, o.maxdate, o.hits, o.kept, json.dumps(o.new))
                for o in outcomes
            ],
        )
    return WatchReport(
        day=day, searches=tuple(outcomes), candidates=tuple(candidates), changes=tuple(changes), log=str(path)
    )


# -- status ----------------------------------------------------------------------------------------


class StatusItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    added: str | None
    title: str | None
    identifiers: tuple[str, ...]
    score: int
    hits: tuple[rules.RuleHit, ...]


def get_status(screening: ScreeningLog, kb: KnowledgeBase, cache: PubMedCache) -> list[StatusItem]:
    """Candidates awaiting a human: most likely to matter first, then newest first."""
    from ldngraph.ingest.registry import get_registry_record

    conditions = condition_names(kb)
    items = []
    conn = cache.reader()
    for record in screening.records:
        if record.decision is not Decision.candidate:
            continue
        hits: list[rules.RuleHit] = []
        for ident in record.identifiers:
            if ident.startswith("PMID:"):
                pub = cache.get(ident.removeprefix("PMID:"))
                hits = rules.pubmed_rules(pub, conditions) if pub else hits
            elif ident.upper().startswith("NCT") and conn is not None:
                reg = get_registry_record(conn, cache.path, ident.upper())
                hits = rules.registry_rules(reg, conditions) if reg else hits
        items.append(
            StatusItem(
                id=record.id,
                added=record.added,
                title=record.title,
                identifiers=record.identifiers,
                score=rules.score(hits),
                hits=tuple(hits),
            )
        )
    items.sort(key=lambda i: (i.score, i.added or ""), reverse=True)
    return items


def recent_changes(cache: PubMedCache, limit: int = 50) -> list[RegistryChange]:
    conn = cache.reader()
    if conn is None:
        return []
    with sqlite_errors(cache.path):
        rows = conn.execute(
            "SELECT nct_id, kind, old, new FROM registry_change ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
    return [RegistryChange(nct_id=r[0], kind=r[1], old=r[2], new=r[3]) for r in rows]
