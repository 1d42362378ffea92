"""A local stand-in for NCBI E-utilities (esearch, efetch) for offline tests.

Replies use the real formats: an ``eSearchResult`` with the esearch DOCTYPE, and a
``PubmedArticleSet`` with the pubmed_250101 DOCTYPE. Faults are injected from a plan (HTTP 429, 500,
503, or a reply slower than the client's timeout), and every request is logged so tests can assert on
what the client asked for.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

ESEARCH_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
    '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
)
PUBMED_HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
)


#: MeSH UIs of the publication types the fixtures use.
TYPE_UI = {"Randomized Controlled Trial": "D016449", "Meta-Analysis": "D017418", "Case Reports": "D002363"}


def fake_article(pmid: str, *, retracted: bool = False, types: tuple[str, ...] = (), title: str = "") -> str:
    """One PubmedArticle per the PubMed DTD, with invented content."""
    ptypes = '<PublicationType UI="D016428">Journal Article</PublicationType>'
    ptypes += "".join(f'<PublicationType UI="{TYPE_UI[t]}">{t}</PublicationType>' for t in types)
    if retracted:
        ptypes += '<PublicationType UI="D016441">Retracted Publication</PublicationType>'
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal>'
        '<JournalIssue CitedMedium="Print"><Volume>1</Volume><PubDate><Year>2020</Year></PubDate>'
        "</JournalIssue><Title>Journal of test fixtures</Title><ISOAbbreviation>J Test Fixtures"
        f"</ISOAbbreviation></Journal><ArticleTitle>{escape(title) or f'Fake record {pmid} &amp; friends'}"
        "</ArticleTitle>"
        '<ELocationID EIdType="doi" ValidYN="Y">10.5555/fake.' + pmid + "</ELocationID>"
        '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Fixture</LastName>'
        "<Initials>F</Initials></Author></AuthorList><Language>eng</Language>"
        f"<PublicationTypeList>{ptypes}</PublicationTypeList></Article>"
        "<MedlineJournalInfo><Country>Nowhere</Country><MedlineTA>J Test Fixtures</MedlineTA>"
        "<NlmUniqueID>0</NlmUniqueID></MedlineJournalInfo></MedlineCitation>"
        '<PubmedData><History><PubMedPubDate PubStatus="pubmed"><Year>2020</Year><Month>1</Month>'
        "<Day>1</Day></PubMedPubDate></History><PublicationStatus>ppublish</PublicationStatus>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>'
        "</PubmedData></PubmedArticle>"
    )


@dataclass
class Logged:
    """One request as the server saw it."""

    utility: str
    params: dict[str, str]
    status: int
    at: float  # arrival time (time.monotonic)
    slow: bool = False  # answered after the client's timeout

    @property
    def ids(self) -> list[str]:
        return self.params["id"].split(",") if self.params.get("id") else []


@dataclass
class FakeEutils:
    """Server state: the PubMed it pretends to be, the fault plan and the request log."""

    records: dict[str, str] = field(default_factory=dict)  # PMID -> PubmedArticle XML
    searches: dict[str, list[str]] = field(default_factory=dict)  # term -> PMIDs
    faults: list[object] = field(default_factory=list)  # per request: None, 429, 500, 503, "slow"
    slow_seconds: float = 1.5
    hold_efetch_after: int | None = None  # block efetch requests after this many (kill tests)
    esearch_reply: str | None = None  # if set, every esearch gets exactly this body
    entrez_dates: dict[str, str] = field(default_factory=dict)  # PMID -> YYYY/MM/DD (mindate filter)
    log: list[Logged] = field(default_factory=list)
    url: str = ""
    efetch_count: int = 0
    held: threading.Event = field(default_factory=threading.Event)  # set when a request is held
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, pmids: Sequence[str], *, retracted: Sequence[str] = ()) -> None:
        for pmid in pmids:
            self.records[pmid] = fake_article(pmid, retracted=pmid in retracted)

    def requests(self, utility: str, status: int | None = 200) -> list[Logged]:
        """Logged requests to ``utility``; by default those answered 200 in time."""
        return [
            r
            for r in self.log
            if r.utility == utility and (status is None or (r.status == status and not r.slow))
        ]

    def served_ids(self) -> list[str]:
        """PMIDs the server sent in successful efetch replies (by id or by history)."""
        out: list[str] = []
        for req in self.requests("efetch"):
            out += self._select(req.params)
        return out

    def _select(self, params: dict[str, str]) -> list[str]:
        if "id" in params:
            return [p for p in params["id"].split(",") if p in self.records]
        hits = self.searches[params["WebEnv"].removeprefix("MCID_")]
        start, count = int(params.get("retstart", "0")), int(params.get("retmax", "20"))
        return [p for p in hits[start : start + count] if p in self.records]

    def esearch(self, params: dict[str, str]) -> str:
        if self.esearch_reply is not None:
            return self.esearch_reply
        term = params["term"]
        hits = self.searches.get(term, [])
        if "mindate" in params:  # the Entrez date window; PMIDs without a date are always in it
            low, high = params["mindate"], params.get("maxdate", "9999/12/31")
            hits = [p for p in hits if low <= self.entrez_dates.get(p, low) <= high]
        retmax = int(params.get("retmax", "20"))
        ids = "".join(f"<Id>{p}</Id>\n" for p in hits[:retmax])
        return (
            f"{ESEARCH_HEAD}<eSearchResult><Count>{len(hits)}</Count><RetMax>{min(retmax, len(hits))}"
            f"</RetMax><RetStart>0</RetStart><QueryKey>1</QueryKey><WebEnv>MCID_{escape(term)}</WebEnv>"
            f"<IdList>\n{ids}</IdList><TranslationSet/><QueryTranslation>{escape(term)}[All Fields]"
            "</QueryTranslation></eSearchResult>\n"
        )

    def efetch(self, params: dict[str, str]) -> str:
        body = "\n".join(self.records[p] for p in self._select(params))
        return f"{PUBMED_HEAD}<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n"


def _handler(state: FakeEutils) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _params(self) -> dict[str, str]:
            query = urlsplit(self.path).query
            if self.command == "POST":
                length = int(self.headers.get("Content-Length", "0"))
                query = self.rfile.read(length).decode("ascii")
            return {k: v[-1] for k, v in parse_qs(query).items()}

        def _handle(self) -> None:
            arrived = time.monotonic()
            utility = urlsplit(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
            params = self._params()
            with state.lock:
                fault = state.faults.pop(0) if state.faults else None
                hold = False
                if utility == "efetch" and fault is None:
                    state.efetch_count += 1
                    hold = (
                        state.hold_efetch_after is not None and state.efetch_count > state.hold_efetch_after
                    )
            if hold:
                state.held.set()
                state.release.wait(30)
                return  # the client was killed meanwhile; answer nothing
            status = fault if isinstance(fault, int) else 200
            with state.lock:
                state.log.append(Logged(utility, params, status, arrived, slow=fault == "slow"))
            if fault == "slow":
                time.sleep(state.slow_seconds)
            try:
                if status != 200:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"injected failure\n")
                    return
                if utility == "esearch":
                    body, ctype = state.esearch(params), "text/xml; charset=UTF-8"
                elif utility == "efetch":
                    body, ctype = state.efetch(params), "text/xml; charset=UTF-8"
                else:
                    self.send_error(404)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout) before the slow reply

        do_GET = _handle
        do_POST = _handle

    return Handler


@contextmanager
def serve(state: FakeEutils) -> Iterator[FakeEutils]:
    """Run the fake E-utilities on 127.0.0.1 (a free port) in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/entrez/eutils/"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
