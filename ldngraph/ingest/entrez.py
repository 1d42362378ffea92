"""Fetch PubMed records from NCBI E-utilities into the local cache.

Why not plain ``Bio.Entrez.esearch/efetch``: in Biopython 1.88 the E-utilities URLs are hard-coded
(tests could not point them at a local server), ``urlopen`` is called without a timeout (a stalled
reply hangs forever), HTTP 429/5xx are retried immediately without any pause and other errors after
a fixed 15 s, and email/API key are module globals. So the HTTP call is ours (urllib, a socket
timeout, a rate limit, exponential backoff), and the replies are parsed with lxml: esearch by
:func:`parse_esearch`, efetch by our streaming PubMed parser. ``Bio.Entrez.read`` is not used on
replies: when a reply names a DTD that Biopython does not bundle, it downloads that DTD with
``urlopen`` (no timeout, no retry, no rate limit) in the middle of parsing. Our parsers never load
a DTD, never touch the network and never expand entities.

Nothing here runs at import time: no email is set, no directory is created, no request is made.
"""

from __future__ import annotations

import difflib
import http.client
import io
import logging
import os
import socket
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ldngraph.errors import PubMedError
from ldngraph.ingest.cache import PubMedCache, check_pmid
from ldngraph.ingest.pubmed import PubMedRecord, iter_pubmed_xml, reject_declared_entities
from ldngraph.model import PMID_RE
from ldngraph.web import Refused, request_bytes

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
#: NCBI asks for at most 200 ids per efetch request.
MAX_BATCH = 200
#: PubMed esearch returns at most the first 10,000 ids of a search.
MAX_SEARCH = 10_000


class EntrezConfig(BaseModel):
    """Who we are to NCBI and how we talk to E-utilities."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str | None = Field(default=None, description="Contact email NCBI asks for (NCBI_EMAIL)")
    api_key: str | None = Field(default=None, description="NCBI API key (NCBI_API_KEY): 10 req/s, not 3")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="E-utilities base URL (tests: a local one)")
    tool: str = Field(default="ldngraph", description="The 'tool' parameter sent to NCBI")
    timeout: float = Field(default=30.0, gt=0, description="Socket timeout per request, seconds")
    max_tries: int = Field(default=5, ge=1, description="Attempts per request (429, 5xx, timeouts)")
    backoff: float = Field(default=1.0, ge=0, description="First retry delay, doubled on each retry")
    max_backoff: float = Field(default=60.0, ge=0, description="Longest retry delay, seconds")
    batch_size: int = Field(default=MAX_BATCH, ge=1, le=MAX_BATCH, description="PMIDs per efetch")

    @field_validator("base_url")
    @classmethod
    def _http_only(cls, value: str) -> str:
        # urllib would read a file:// URL from the local disk (and retry a missing file with
        # back-off): E-utilities are only ever http(s).
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"must be an http(s) URL with a host, such as {DEFAULT_BASE_URL}")
        return value

    @property
    def requests_per_second(self) -> float:
        """NCBI's limit: 3 requests/s without an API key, 10 with one."""
        return 10.0 if self.api_key else 3.0


def get_config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$LDNGRAPH_CONFIG``, else ``$XDG_CONFIG_HOME/ldngraph/config.toml`` (``~/.config``)."""
    env = os.environ if env is None else env
    if env.get("LDNGRAPH_CONFIG"):
        return Path(env["LDNGRAPH_CONFIG"])
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "ldngraph" / "config.toml"


_ENV_VARS = (("email", "NCBI_EMAIL"), ("api_key", "NCBI_API_KEY"), ("base_url", "LDNGRAPH_EUTILS_URL"))


def read_entrez_config(
    env: Mapping[str, str] | None = None, config_path: Path | None = None, **overrides: Any
) -> EntrezConfig:
    """Settings from the config file's ``[entrez]`` table, then the environment, then ``overrides``.

    Environment: ``NCBI_EMAIL``, ``NCBI_API_KEY``, ``LDNGRAPH_EUTILS_URL``. Overrides that are None
    are ignored (so CLI options can be passed straight through).
    """
    env = os.environ if env is None else env
    path = config_path or get_config_path(env)
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}  # key -> where its value came from, for error messages
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("entrez", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise PubMedError(f"{path}: not valid TOML ({exc}); fix or remove the file") from None
        if not isinstance(table, dict):
            raise PubMedError(f"{path}: [entrez] must be a table (email = '...', api_key = '...')")
        values.update(table)
        origin.update({key: f"{path}: [entrez] {key}" for key in table})
    for key, var in _ENV_VARS:
        if env.get(var):
            values[key] = env[var]
            origin[key] = f"environment variable {var}"
    for key, value in overrides.items():
        if value is not None:
            values[key] = value
            origin[key] = f"option --{key.replace('_', '-')}"
    try:
        return EntrezConfig(**values)
    except ValidationError as exc:
        raise PubMedError(_config_problem(exc, origin, path)) from None


def _config_problem(exc: ValidationError, origin: Mapping[str, str], path: Path) -> str:
    """One line for the first bad setting: where it came from, what is wrong, how to fix it."""
    err = exc.errors()[0]
    key = str(err["loc"][0]) if err["loc"] else "?"
    where = origin.get(key, f"{path}: [entrez] {key}")
    fields = ", ".join(EntrezConfig.model_fields)
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, EntrezConfig.model_fields, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"{where}: unknown setting; {hint}the [entrez] settings are {fields}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    field = EntrezConfig.model_fields.get(key)
    about = f" ({field.description})" if field is not None and field.description else ""
    got = "the value given" if key == "api_key" else repr(err.get("input"))  # never echo a secret
    return f"{where}: {msg} (got {got}); fix the value{about}"


class RateLimiter:
    """At most ``per_second`` calls per second, spaced evenly."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self._clock, self._sleep = clock, sleep
        self._next = 0.0

    def wait(self) -> None:
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


_RETRY_ERRORS = (URLError, TimeoutError, ConnectionError, http.client.HTTPException)


class SearchResult(BaseModel):
    """An esearch reply: the hit count, the PMIDs returned and the history-server handle."""

    model_config = ConfigDict(frozen=True)

    query: str
    count: int
    pmids: tuple[str, ...]
    webenv: str | None = None
    query_key: str | None = None
    retstart: int = Field(default=0, description="Index of the first hit returned (RetStart)")
    messages: tuple[str, ...] = Field(
        default=(), description="ErrorList / WarningList entries, e.g. 'PhraseNotFound: xyz'"
    )


class FetchReport(BaseModel):
    """What a fetch did."""

    model_config = ConfigDict(frozen=True)

    requested: int = Field(description="Distinct PMIDs asked for (or found by the search)")
    already_cached: int = Field(description="Of those, already in the cache")
    fetched: int = Field(description="Records newly written to the cache")
    not_found: tuple[str, ...] = Field(default=(), description="PMIDs PubMed returned no record for")
    requests: int = Field(default=0, description="HTTP requests made (including retries)")
    search: SearchResult | None = None


class EntrezClient:
    """Talks to E-utilities: rate limited, with timeouts and exponential backoff."""

    def __init__(
        self,
        config: EntrezConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._limiter = limiter or RateLimiter(config.requests_per_second)
        self.requests = 0
        if not config.email:
            log.warning("no contact email for NCBI: set NCBI_EMAIL or email in %s", get_config_path())

    def call(self, utility: str, params: Mapping[str, str]) -> bytes:
        """POST ``params`` to ``<base_url>/<utility>.fcgi`` and return the body, retrying transient errors."""
        cfg = self.config
        url = cfg.base_url.rstrip("/") + f"/{utility}.fcgi"
        full = {**params, "tool": cfg.tool, "email": cfg.email, "api_key": cfg.api_key}
        data = urlencode({k: v for k, v in full.items() if v is not None}).encode("ascii")
        problem = ""
        for attempt in range(1, cfg.max_tries + 1):
            self._limiter.wait()
            self.requests += 1
            retry_after: float | None = None
            try:
                return request_bytes(Request(url, data=data, method="POST"), cfg.timeout)
            except Refused as exc:
                raise PubMedError(f"{utility}: {exc.reason}") from None
            except HTTPError as exc:
                exc.close()
                if exc.code != 429 and not 500 <= exc.code < 600:
                    raise PubMedError(f"{utility}: HTTP {exc.code} {exc.reason} from {url}") from None
                problem = f"HTTP {exc.code} {exc.reason}"
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except _RETRY_ERRORS as exc:
                reason = getattr(exc, "reason", None) or exc
                if isinstance(reason, socket.gaierror):  # no DNS: retrying will not help
                    raise PubMedError(
                        f"{utility}: cannot resolve the host of {url} ({reason.strerror or reason}); "
                        "check the network connection, or --base-url / LDNGRAPH_EUTILS_URL"
                    ) from None
                problem = f"{type(exc).__name__}: {reason}"
            if attempt < cfg.max_tries:
                delay = min(cfg.max_backoff, cfg.backoff * 2 ** (attempt - 1))
                delay = max(delay, min(retry_after or 0.0, cfg.max_backoff))
                log.warning(
                    "%s: %s; retry %d/%d in %.2fs", utility, problem, attempt, cfg.max_tries - 1, delay
                )
                self._sleep(delay)
        raise PubMedError(
            f"{utility}: gave up after {cfg.max_tries} tries ({problem}) at {url}; "
            "check the network or try again later (cached records are kept)"
        )

    def esearch(
        self, query: str, *, retmax: int = MAX_SEARCH, window: Mapping[str, str] | None = None
    ) -> SearchResult:
        """Search PubMed, keeping the result on the history server (``usehistory=y``); ``window``:
        extra esearch parameters such as ``mindate``/``maxdate``/``datetype``."""
        retmax = min(retmax, MAX_SEARCH)
        params = {"db": "pubmed", "term": query, "usehistory": "y", "retmax": str(retmax), **(window or {})}
        body = self.call("esearch", params)
        result = parse_esearch(body, query)
        for message in result.messages:
            log.warning("esearch '%s': %s", query, message)
        if result.count > retmax:
            log.warning("esearch '%s': %d hits, only the first %d are used", query, result.count, retmax)
        return result

    def efetch(self, params: Mapping[str, str], what: str) -> list[PubMedRecord]:
        """efetch PubMed XML (by ``id`` or by history ``WebEnv``/``query_key``) and parse it."""
        body = self.call("efetch", {"db": "pubmed", "retmode": "xml", **params})
        return list(iter_pubmed_xml(io.BytesIO(body), name=f"efetch reply for {what}"))


def _esearch_parser() -> Any:
    from lxml import etree

    # No DTD (not even to validate), no network, no entity expansion, no huge-tree mode.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


def parse_esearch(body: bytes, query: str) -> SearchResult:
    """Read an ``eSearchResult`` reply (esearch DTD 20060628) for ``query``, offline.

    Raises :class:`PubMedError` naming the request when the reply is not XML, is not an
    eSearchResult, carries an ``<ERROR>``, or has a Count/Id/RetMax that does not add up.
    """
    from lxml import etree

    what = f"esearch reply for '{query}'"
    try:
        root = etree.fromstring(body, _esearch_parser())
    except etree.XMLSyntaxError as exc:
        raise PubMedError(f"{what} is not XML ({exc.msg}); try again later") from None
    if root.tag != "eSearchResult":
        raise PubMedError(f"{what}: root element is <{root.tag}>, expected <eSearchResult>")
    reject_declared_entities(root, what)
    error = root.findtext("ERROR")
    if error is not None:
        raise PubMedError(f"esearch for '{query}' failed: {' '.join(error.split())}")

    def number(tag: str, default: int | None = None) -> int:
        text = (root.findtext(tag) or "").strip()
        if not text and default is not None:
            return default
        if not (text.isascii() and text.isdigit() and len(text) <= 12):
            shown = text[:40] + ("..." if len(text) > 40 else "")
            raise PubMedError(f"{what}: <{tag}> is {shown or 'missing'!r}, expected a whole number")
        return int(text)

    pmids = tuple((el.text or "").strip() for el in root.iterfind("IdList/Id"))
    bad = next((p for p in pmids if not PMID_RE.match(p)), None)
    if bad is not None:
        raise PubMedError(f"{what}: <Id> {bad!r} is not a PMID (digits only)")
    count, retmax = number("Count"), number("RetMax", len(pmids))
    if retmax != len(pmids):
        raise PubMedError(f"{what}: RetMax is {retmax} but <IdList> holds {len(pmids)} ids; try again")
    # e.g. <ErrorList><PhraseNotFound>xyz</PhraseNotFound></ErrorList>: PubMed still searched the rest
    messages = tuple(
        f"{el.tag}: {' '.join((el.text or '').split())}"
        for path in ("ErrorList/*", "WarningList/*")
        for el in root.iterfind(path)
        if isinstance(el.tag, str)  # not a comment
    )
    return SearchResult(
        query=query,
        count=count,
        pmids=pmids,
        webenv=(root.findtext("WebEnv") or "").strip() or None,
        query_key=(root.findtext("QueryKey") or "").strip() or None,
        retstart=number("RetStart", 0),
        messages=messages,
    )


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _chunks(items: Sequence[str], size: int) -> Iterator[tuple[int, Sequence[str]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]


def _progress(total: int, *, enabled: bool, desc: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="rec", file=sys.stderr, disable=not enabled, leave=False)


def fetch_pmids(
    client: EntrezClient, cache: PubMedCache, pmids: Sequence[str], *, progress: bool = False
) -> FetchReport:
    """Fetch the given PMIDs that are not cached yet, in batches, writing each batch as it arrives."""
    wanted = list(dict.fromkeys(pmids))
    for pmid in wanted:
        check_pmid(pmid)  # fail before any request
    missing = cache.missing(wanted)
    before = client.requests
    fetched, not_found = 0, list[str]()
    with _progress(len(missing), enabled=progress, desc="efetch") as bar:
        for _, batch in _chunks(missing, client.config.batch_size):
            what = f"PMIDs {batch[0]}..{batch[-1]}"
            fetched += _store(cache, client.efetch({"id": ",".join(batch)}, what), batch, not_found)
            bar.update(len(batch))
    return FetchReport(
        requested=len(wanted),
        already_cached=len(wanted) - len(missing),
        fetched=fetched,
        not_found=tuple(not_found),
        requests=client.requests - before,
    )


def _store(
    cache: PubMedCache, records: Iterable[PubMedRecord], wanted: Sequence[str], not_found: list[str]
) -> int:
    """Cache the records of ``wanted`` PMIDs (one transaction per reply: all of it or none of it is
    written); note the ones not returned."""
    by_pmid = {r.pmid: r for r in records}
    not_found.extend(p for p in wanted if p not in by_pmid)
    return cache.put_many([by_pmid[p] for p in wanted if p in by_pmid], source="efetch")


def fetch_query(
    client: EntrezClient,
    cache: PubMedCache,
    query: str,
    *,
    max_results: int = MAX_SEARCH,
    progress: bool = False,
    dates: Mapping[str, str] | None = None,
) -> FetchReport:
    """Search, then efetch the hits from the history server in windows, skipping windows fully cached.

    A rerun after an interruption asks only for windows that still hold an uncached PMID.
    """
    before = client.requests
    search = client.esearch(query, retmax=max_results, window=dates)
    pmids = search.pmids[:max_results]
    missing = set(cache.missing(pmids))
    fetched, not_found = 0, list[str]()
    with _progress(len(missing), enabled=progress, desc="efetch") as bar:
        for start, window in _chunks(pmids, client.config.batch_size):
            todo = [p for p in window if p in missing]
            if not todo:
                continue
            if search.webenv and search.query_key:
                params = {
                    "WebEnv": search.webenv,
                    "query_key": search.query_key,
                    "retstart": str(start),
                    "retmax": str(len(window)),
                }
            else:
                params = {"id": ",".join(todo)}
            fetched += _store(cache, client.efetch(params, f"'{query}' hits {start + 1}.."), todo, not_found)
            bar.update(len(todo))
    return FetchReport(
        requested=len(pmids),
        already_cached=len(pmids) - len(missing),
        fetched=fetched,
        not_found=tuple(not_found),
        requests=client.requests - before,
        search=search,
    )
