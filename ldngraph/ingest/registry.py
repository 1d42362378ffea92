"""ClinicalTrials.gov (API v2): search studies, read their records, keep them in the database.

The API: ``GET <base>/studies`` with ``query.intr``, ``query.cond``, ``filter.advanced`` (here
``AREA[LastUpdatePostDate]RANGE[YYYY-MM-DD,MAX]`` for "changed since the last run"), ``pageSize``,
``pageToken`` and ``countTotal``; the reply is JSON: ``studies`` (each with ``protocolSection``,
``resultsSection`` when results are posted, and ``hasResults``), ``nextPageToken`` while more pages
follow, and ``totalCount``. https://clinicaltrials.gov/data-api/api

Requests have a socket timeout, a rate limit, and retries with exponential backoff on 429 (honouring
``Retry-After``), 5xx and timeouts. A malformed study (no NCT id, a field of the wrong type) is
skipped with a warning naming it; a reply that is not the API's JSON is one error line.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.errors import PubMedError
from ldngraph.ingest.database import open_database, sqlite_errors, transaction
from ldngraph.ingest.entrez import _RETRY_ERRORS, RateLimiter, _retry_after
from ldngraph.model import NCT_RE
from ldngraph.web import RedirectRefused, request_bytes

log = logging.getLogger(__name__)

DEFAULT_REGISTRY_URL = "https://clinicaltrials.gov/api/v2/"
#: The API's largest page.
MAX_PAGE = 1000
REGISTRY_FORMAT = 1


class RegistryError(PubMedError):
    """ClinicalTrials.gov failed for good, or replied with something that is not its JSON."""


class RegistryRecord(BaseModel):
    """The fields of one ClinicalTrials.gov study that ldngraph uses."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nct_id: str = Field(description="NCT number")
    title: str | None = Field(default=None, description="briefTitle")
    official_title: str | None = None
    status: str | None = Field(default=None, description="overallStatus, e.g. RECRUITING, COMPLETED")
    start_date: str | None = None
    completion_date: str | None = Field(default=None, description="completionDateStruct.date")
    completion_actual: bool = Field(default=False, description="The completion date is ACTUAL")
    last_update: str | None = Field(default=None, description="lastUpdatePostDateStruct.date")
    results_posted: str | None = Field(default=None, description="resultsFirstPostDateStruct.date")
    has_results: bool = False
    study_type: str | None = Field(default=None, description="INTERVENTIONAL, OBSERVATIONAL ...")
    phases: tuple[str, ...] = ()
    allocation: str | None = Field(default=None, description="RANDOMIZED, NON_RANDOMIZED, NA")
    masking: str | None = Field(default=None, description="NONE, SINGLE, DOUBLE, TRIPLE, QUADRUPLE")
    enrollment: int | None = None
    enrollment_actual: bool = False
    conditions: tuple[str, ...] = ()
    interventions: tuple[str, ...] = Field(default=(), description="Intervention names (and descriptions)")
    result_pmids: tuple[str, ...] = Field(default=(), description="PMIDs of references of type RESULT")

    @property
    def url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"


def _get(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _text(node: Any, *path: str) -> str | None:
    value = _get(node, *path)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{'.'.join(path)} is {type(value).__name__}, expected text")
    return value


def _texts(node: Any, *path: str) -> tuple[str, ...]:
    value = _get(node, *path)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{'.'.join(path)} is not a list of text")
    return tuple(value)


def parse_study(study: Any) -> RegistryRecord:
    """One element of ``studies`` as a :class:`RegistryRecord`; ``ValueError`` says what is wrong."""
    if not isinstance(study, dict):
        raise ValueError("a study is not a JSON object")
    proto = study.get("protocolSection")
    if not isinstance(proto, dict):
        raise ValueError("no protocolSection")
    nct = _text(proto, "identificationModule", "nctId")
    if not nct or not NCT_RE.match(nct):
        raise ValueError(f"identificationModule.nctId {nct!r} is not an NCT number")
    status = _get(proto, "statusModule") or {}
    design = _get(proto, "designModule") or {}
    count = _get(design, "enrollmentInfo", "count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise ValueError(f"{nct}: designModule.enrollmentInfo.count {count!r} is not a whole number")
    has_results = study.get("hasResults", False)
    if not isinstance(has_results, bool):
        raise ValueError(f"{nct}: hasResults {has_results!r} is not true or false")
    interventions = []
    for item in _get(proto, "armsInterventionsModule", "interventions") or []:
        name = _text(item, "name")
        if name:
            detail = _text(item, "description")
            interventions.append(f"{name}: {detail}" if detail else name)
    pmids = tuple(
        str(ref.get("pmid"))
        for ref in _get(proto, "referencesModule", "references") or []
        if isinstance(ref, dict) and ref.get("type") == "RESULT" and str(ref.get("pmid", "")).isdigit()
    )
    return RegistryRecord(
        nct_id=nct,
        title=_text(proto, "identificationModule", "briefTitle"),
        official_title=_text(proto, "identificationModule", "officialTitle"),
        status=_text(status, "overallStatus"),
        start_date=_text(status, "startDateStruct", "date"),
        completion_date=_text(status, "completionDateStruct", "date"),
        completion_actual=_text(status, "completionDateStruct", "type") == "ACTUAL",
        last_update=_text(status, "lastUpdatePostDateStruct", "date"),
        results_posted=_text(status, "resultsFirstPostDateStruct", "date"),
        has_results=has_results,
        study_type=_text(design, "studyType"),
        phases=_texts(design, "phases"),
        allocation=_text(design, "designInfo", "allocation"),
        masking=_text(design, "designInfo", "maskingInfo", "masking"),
        enrollment=count,
        enrollment_actual=_text(design, "enrollmentInfo", "type") == "ACTUAL",
        conditions=_texts(proto, "conditionsModule", "conditions"),
        interventions=tuple(interventions),
        result_pmids=pmids,
    )


class RegistrySearch(BaseModel):
    """What one registry search returned."""

    model_config = ConfigDict(frozen=True)

    total: int = Field(description="totalCount: every study the query matches")
    records: tuple[RegistryRecord, ...]
    capped: bool = Field(default=False, description="More matched than the cap; the rest were not fetched")
    malformed: tuple[str, ...] = Field(default=(), description="Studies skipped, and why")
    requests: int = 0


class RegistryClient:
    """Talks to the ClinicalTrials.gov API: rate limited, with timeouts, retries and backoff."""

    def __init__(
        self,
        base_url: str = DEFAULT_REGISTRY_URL,
        *,
        timeout: float = 30.0,
        max_tries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        per_second: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url, self.timeout, self.max_tries = base_url, timeout, max_tries
        self.backoff, self.max_backoff = backoff, max_backoff
        self._sleep = sleep
        self._limiter = RateLimiter(per_second, sleep=sleep)
        self.requests = 0

    def get_json(self, endpoint: str, params: Mapping[str, str]) -> Any:
        url = self.base_url.rstrip("/") + f"/{endpoint}?" + urlencode(params)
        problem = ""
        for attempt in range(1, self.max_tries + 1):
            self._limiter.wait()
            self.requests += 1
            retry_after: float | None = None
            try:
                body = request_bytes(Request(url, headers={"Accept": "application/json"}), self.timeout)
                break
            except RedirectRefused as exc:
                raise RegistryError(f"ClinicalTrials.gov: {exc.reason}") from None
            except HTTPError as exc:
                exc.close()
                if exc.code != 429 and not 500 <= exc.code < 600:
                    raise RegistryError(
                        f"ClinicalTrials.gov: HTTP {exc.code} {exc.reason} from {url}; check the saved search"
                    ) from None
                problem = f"HTTP {exc.code} {exc.reason}"
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except _RETRY_ERRORS as exc:
                problem = f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}"
            if attempt < self.max_tries:
                delay = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
                delay = max(delay, min(retry_after or 0.0, self.max_backoff))
                log.warning(
                    "ClinicalTrials.gov: %s; retry %d/%d in %.2fs",
                    problem,
                    attempt,
                    self.max_tries - 1,
                    delay,
                )
                self._sleep(delay)
        else:
            raise RegistryError(
                f"ClinicalTrials.gov: gave up after {self.max_tries} tries ({problem}) at {url}; "
                "try again later (nothing was logged)"
            )
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            raise RegistryError(
                f"ClinicalTrials.gov: the reply from {url} is not JSON; try again later"
            ) from None

    def search(
        self, intervention: str, *, condition: str | None = None, since: str | None = None, cap: int = 1000
    ) -> RegistrySearch:
        """Every study matching ``query.intr`` (and ``query.cond``), last updated on or after
        ``since``, page by page, up to ``cap`` studies."""
        params = {"query.intr": intervention, "countTotal": "true", "pageSize": str(min(cap, MAX_PAGE))}
        params["format"] = "json"
        if condition:
            params["query.cond"] = condition
        if since:
            params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
        before = self.requests
        records: list[RegistryRecord] = []
        malformed: list[str] = []
        total: int | None = None
        token: str | None = None
        while True:
            reply = self.get_json("studies", {**params, **({"pageToken": token} if token else {})})
            studies = reply.get("studies") if isinstance(reply, dict) else None
            if not isinstance(studies, list):
                raise RegistryError(
                    "ClinicalTrials.gov: the reply has no 'studies' list; check --registry-url"
                )
            if total is None:
                count = reply.get("totalCount")
                total = count if isinstance(count, int) and count >= 0 else len(studies)
            for study in studies:
                try:
                    records.append(parse_study(study))
                except ValueError as exc:
                    where = f"study {len(records) + len(malformed) + 1}"
                    log.warning("ClinicalTrials.gov '%s': %s skipped: %s", intervention, where, exc)
                    malformed.append(f"{where}: {exc}")
            token = reply.get("nextPageToken")
            if not token or len(records) + len(malformed) >= cap:
                break
            if not isinstance(token, str):
                raise RegistryError("ClinicalTrials.gov: nextPageToken is not text; try again later")
        total = max(total, len(records) + len(malformed))
        capped = total > cap or bool(token)
        if capped:
            log.warning(
                "ClinicalTrials.gov '%s': %d studies match, only the first %d are used; narrow the search",
                intervention,
                total,
                cap,
            )
        return RegistrySearch(
            total=total,
            records=tuple(records[:cap]),
            capped=capped,
            malformed=tuple(malformed),
            requests=self.requests - before,
        )


# -- in the database -------------------------------------------------------------------------------


class RegistryChange(BaseModel):
    """A registered trial changed since ldngraph last saw it."""

    model_config = ConfigDict(frozen=True)

    nct_id: str
    kind: str = Field(description="status, results, or completion")
    old: str | None
    new: str | None

    def to_line(self) -> str:
        if self.kind == "results":
            return f"{self.nct_id}: results posted ({self.new})"
        return f"{self.nct_id}: {self.kind} {self.old or 'unknown'} -> {self.new or 'unknown'}"


def _changes(old: RegistryRecord, new: RegistryRecord) -> list[RegistryChange]:
    out = []
    if old.status != new.status:
        out.append(RegistryChange(nct_id=new.nct_id, kind="status", old=old.status, new=new.status))
    if new.has_results and not old.has_results:
        posted = new.results_posted or "date not given"
        out.append(RegistryChange(nct_id=new.nct_id, kind="results", old=None, new=posted))
    if old.completion_date != new.completion_date:
        change = RegistryChange(
            nct_id=new.nct_id, kind="completion", old=old.completion_date, new=new.completion_date
        )
        out.append(change)
    return out


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def get_registry_record(conn: sqlite3.Connection, path: Path, nct_id: str) -> RegistryRecord | None:
    with sqlite_errors(path):
        row = conn.execute("SELECT record FROM registry WHERE nct_id = ?", (nct_id,)).fetchone()
    if row is None:
        return None
    try:
        return RegistryRecord.model_validate_json(row[0])
    except ValueError:
        raise RegistryError(
            f"{path}: {nct_id}: not a valid stored registry record; run watch again"
        ) from None


def store_registry(
    conn: sqlite3.Connection, path: Path, records: Iterable[RegistryRecord]
) -> list[RegistryChange]:
    """Insert or update ``records`` in one transaction; returns what changed in the ones seen before."""
    changes: list[RegistryChange] = []
    rows = []
    for record in records:
        old = get_registry_record(conn, path, record.nct_id)
        if old is not None:
            changes += _changes(old, record)
        rows.append(
            (
                record.nct_id,
                REGISTRY_FORMAT,
                record.status,
                int(record.has_results),
                record.last_update,
                _now(),
                record.model_dump_json(),
            )
        )
    seen = _now()
    with transaction(conn, path):
        conn.executemany("INSERT OR REPLACE INTO registry VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT INTO registry_change (nct_id, seen, kind, old, new) VALUES (?, ?, ?, ?, ?)",
            [(c.nct_id, seen, c.kind, c.old, c.new) for c in changes],
        )
    return changes


def open_registry(path: Path, *, write: bool) -> sqlite3.Connection | None:
    """The database at ``path`` (see :mod:`ldngraph.ingest.database`)."""
    return open_database(path, write=write)
