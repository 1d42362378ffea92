"""Safety: SPARQL parameters are bound (an injection returns nothing extra) and PubMed XML parsing
never expands entities nor reaches the network (no XXE, no billion laughs, no DTD fetch)."""

from __future__ import annotations

import http.server
import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ldngraph.errors import PubMedError, QueryError, UnknownEntityError
from ldngraph.ingest.pubmed import read_pubmed_xml
from ldngraph.pipeline import Built, load
from ldngraph.stores.query import get_query, list_queries, run_query

MINI = Path(__file__).parent / "resources" / "mini"
ARTICLE = (Path(__file__).parent / "resources" / "pubmed" / "article.xml").read_bytes()

# Each would widen the result if it were pasted into the query text.
INJECTIONS = [
    '" } UNION { ?s ?p ?o } #',
    'x" || true || "',
    "') || true || ('",
    '"; DELETE WHERE { ?s ?p ?o } ; SELECT * WHERE { "',
    "> } ?s ?p ?o . { <x",
    '\\" . ?s ?p ?o . FILTER(\\"',
    "*/ ?s ?p ?o /*",
]


@pytest.fixture(scope="module")
def built() -> Built:
    return load(MINI)


def _string_params() -> list[tuple[str, str]]:
    return [
        (q.name, p.name)
        for q in list_queries()
        for p in q.parameters
        if p.kind == "string" and not p.required
    ]


def _entity_params() -> list[tuple[str, str]]:
    return [(q.name, p.name) for q in list_queries() for p in q.parameters if p.kind in {"entity", "claim"}]


def _unrestricted_copy(query: str, tmp_path: Path) -> str:
    """The query file without its ``one of:`` lines, so any string reaches the bound parameter."""
    path = get_query(query).path
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines(keepends=True) if "one of:" not in ln]
    copy = tmp_path / path.name
    copy.write_text("".join(lines), encoding="utf-8")
    assert not any(p.choices for p in get_query(str(copy)).parameters)
    return str(copy)


@pytest.mark.parametrize(("query", "param"), _string_params())
@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_a_string_parameter_returns_nothing_extra(
    built: Built, query: str, param: str, payload: str, tmp_path: Path
) -> None:
    triples = len(built.graph)
    if get_query(query).parameters and any(p.choices for p in get_query(query).parameters if p.name == param):
        # an enumerated parameter refuses the payload before any query runs ...
        with pytest.raises(QueryError, match=f"parameter '{param}' must be one of"):
            run_query(built.graph, query, {param: payload})
        # ... and without the restriction the payload is still only a bound value
        query = _unrestricted_copy(query, tmp_path)
    baseline = set(run_query(built.graph, query, {}).rows)
    rows = run_query(built.graph, query, {param: payload}).rows
    assert set(rows) <= baseline  # never more than the unfiltered result
    assert rows == ()  # no literal in the graph equals the payload, so the filter matches nothing
    assert len(built.graph) == triples  # and nothing was changed


@pytest.mark.parametrize(("query", "param"), _entity_params())
@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_an_entity_parameter_is_an_unknown_name(
    built: Built, query: str, param: str, payload: str
) -> None:
    with pytest.raises(UnknownEntityError):
        run_query(built.graph, query, {param: payload})


def test_string_parameters_exist() -> None:
    """The injection tests above run on real parameters (they would pass vacuously on none)."""
    assert len(_string_params()) >= 3 and len(_entity_params()) >= 2


# -- XML ------------------------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012  (shared on purpose: the server makes a new handler per request)

    def do_GET(self) -> None:
        _Recorder.hits.append(self.path)
        body = b'<!ENTITY leak "LEAKED">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        return


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _network_documents(base: str) -> dict[str, bytes]:
    head = b'<?xml version="1.0" encoding="UTF-8"?>\n'
    body = ARTICLE[ARTICLE.index(b"<PubmedArticleSet>") :]
    return {
        "external-dtd": head + f'<!DOCTYPE PubmedArticleSet SYSTEM "{base}/pubmed.dtd">\n'.encode() + body,
        "parameter-entity": head
        + f'<!DOCTYPE PubmedArticleSet [<!ENTITY % p SYSTEM "{base}/p.dtd"> %p;]>\n'.encode()
        + body,
        "external-entity": head
        + f'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "{base}/x.txt">]>\n'.encode()
        + body.replace(b"Invented text", b"&x; Invented text"),
        "xinclude": head
        + body.replace(
            b"<Abstract>",
            b'<Abstract><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="'
            + f'{base}/x.xml"/>'.encode(),
        ),
    }


@pytest.mark.parametrize("kind", ["external-dtd", "parameter-entity", "external-entity", "xinclude"])
def test_xml_parsing_never_reaches_the_network(server: str, kind: str) -> None:
    data = _network_documents(server)[kind]
    try:
        records = read_pubmed_xml(io.BytesIO(data), name=kind)
    except PubMedError as exc:
        assert "LEAKED" not in str(exc)
    else:
        assert all("LEAKED" not in (r.title or "") for r in records)
    assert _Recorder.hits == [], f"the parser fetched {_Recorder.hits}"


def test_the_recorder_does_record(server: str) -> None:
    """The network tests above can fail: a plain fetch of the same URL is seen by the server."""
    import urllib.request

    with urllib.request.urlopen(f"{server}/probe.dtd", timeout=5) as reply:
        assert b"LEAKED" in reply.read()
    assert _Recorder.hits == ["/probe.dtd"]


def test_billion_laughs_is_refused_quickly() -> None:
    levels = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "ha">' for i in range(10)
    )
    data = (
        b'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet [' + levels.encode() + b"]>\n"
        b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>&l9;"
        b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
    )
    start = time.perf_counter()
    # libxml2 itself stops at its amplification limit, or our DOCTYPE check refuses the entities.
    with pytest.raises(PubMedError, match=r"^laughs: .*(declares entities|amplification)") as info:
        read_pubmed_xml(io.BytesIO(data), name="laughs")
    assert time.perf_counter() - start < 2.0
    assert "\n" not in str(info.value) and "haha" not in str(info.value)
