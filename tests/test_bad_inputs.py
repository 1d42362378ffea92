"""The bad-input matrix: every case runs the real CLI in a subprocess.

Each case must end with exit status 1, exactly one line on stderr that names the file, record and
field (and says what is wrong), no traceback, and the output directory exactly as it was: a
pre-existing output file untouched, no new or temporary file left behind.

docs/bad-inputs.md lists every case; ``test_docs_table_lists_every_case`` keeps the two in step.
"""

from __future__ import annotations

import gzip
import http.server
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "resources" / "mini"

PREVIOUS = "previous output, must survive\n"


@dataclass(frozen=True)
class Env:
    """What a case may prepare: a writable copy of the fixture data and an output directory."""

    data: Path
    out: Path
    tmp: Path

    def edit(self, name: str, old: str, new: str) -> Path:
        path = self.data / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture text {old!r} not found in {name}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    @property
    def previous(self) -> Path:
        """An output file that exists before the run and must be left as it was."""
        return self.out / "previous.ttl"


@dataclass(frozen=True)
class Case:
    id: str
    prepare: Callable[[Env], list[str]]
    expect: tuple[str, ...]  # substrings of the one stderr line
    environ: Callable[[Env], dict[str, str]] = lambda env: {}  # extra environment variables


class _WebPage(http.server.BaseHTTPRequestHandler):
    """Not a SPARQL server: ``*.html`` is a web page (for GET and POST), ``/sparql`` answers every
    query ``false`` and stores nothing, ``/moved`` redirects (302) to ``/sparql``, ``/basic`` asks
    for HTTP Basic, ``/bad-status`` answers a status line that is not HTTP, anything else is a 404
    page."""

    def _reply(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/sparql":
            self._reply(200, "application/sparql-results+json", b'{"head": {}, "boolean": false}')
        elif self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/sparql")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/basic":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="ldn"')
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/bad-status":
            self.wfile.write(b"SPARQL/1.1 200 fine\r\n\r\n")
            self.close_connection = True
        elif self.path.endswith(".html"):
            self._reply(200, "text/html", b"<!DOCTYPE html>\n<html><body><p>Welcome</p></body></html>\n")
        else:
            self._reply(404, "text/html", b"<html><body><h1>Not Found</h1></body></html>\n")

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


_WEB: list[str] = []


def web_url(path: str) -> str:
    """``path`` on a local web server that is not a SPARQL endpoint (started once, a daemon thread)."""
    if not _WEB:
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        _WEB.append(f"http://127.0.0.1:{httpd.server_address[1]}")
    return _WEB[0] + path


_LOCAL: list[object] = []


def gateway_url(path: str) -> str:
    """``path`` on a real SPARQL engine (pyoxigraph) behind a gateway that answers 502 to every
    swap of a push (started once, a daemon thread)."""
    from fault_proxy import LocalSparql

    if not _LOCAL:
        _LOCAL.append(LocalSparql(refuse=("swap",)))
    local = _LOCAL[0]
    assert isinstance(local, LocalSparql)
    return local.base + path


def _hostile_graph(env: Env) -> list[str]:
    """``diff`` of the mini graph and a copy whose first claim strength is not a number."""
    from ldngraph.pipeline import load

    good, bad = env.tmp / "mini.ttl", env.tmp / "hostile.ttl"
    load(env.data).graph.serialize(good, format="turtle")
    text = good.read_text(encoding="utf-8")
    bad.write_text(re.sub(r"ldn:strength [0-9.e+-]+", 'ldn:strength "high"', text, count=1), encoding="utf-8")
    return ["diff", str(good), str(bad)]


def _interrupted_push(env: Env) -> list[str]:
    """A store whose push was killed between its two renames: no PATH, the store in .db.old-PID-TAG."""
    left = env.tmp / ".db.old-999999999-0123456789ab"
    left.mkdir()
    (left / "CURRENT").write_text("MANIFEST-000005\n", encoding="utf-8")
    return ["query", "gaps", "--store", f"oxigraph:{env.tmp / 'db'}"]


def _push(store: str, *extra: str) -> Callable[[Env], list[str]]:
    return lambda env: ["push", "--data", str(env.data), "--store", web_url(store), *extra]


def _build(env: Env) -> list[str]:
    return ["build", "--data", str(env.data), "-o", str(env.previous)]


def _export(env: Env, *extra: str) -> list[str]:
    return ["export", "--data", str(env.data), "-o", str(env.out / "new.ttl"), *extra]


def data_case(cid: str, name: str, old: str, new: str, *expect: str, export: bool = False) -> Case:
    def prepare(env: Env) -> list[str]:
        env.edit(name, old, new)
        return _export(env) if export else _build(env)

    return Case(cid, prepare, (name, *expect))


def _write(name: str, content: bytes, run: Callable[[Env], list[str]] = _build) -> Callable[[Env], list[str]]:
    def prepare(env: Env) -> list[str]:
        (env.data / name).write_bytes(content)
        return run(env)

    return prepare


SHIPPED_PROFILE = REPO / "data" / "evidence-profile.yaml"
ARTICLE = (REPO / "tests" / "resources" / "pubmed" / "article.xml").read_bytes()
XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ONE_RECORD = b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>"
END_RECORD = b"</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>\n"


def _pubmed(content: bytes, name: str = "in.xml") -> Callable[[Env], list[str]]:
    """``import-pubmed`` of one file into a cache under the output directory (which must not change)."""

    def prepare(env: Env) -> list[str]:
        (env.tmp / name).write_bytes(content)
        return ["import-pubmed", str(env.tmp / name), "--cache", str(env.out / "cache")]

    return prepare


def _profile(old: str, new: str, *command: str, encoding: str = "utf-8") -> Callable[[Env], list[str]]:
    """Run ``command`` with a copy of the shipped evidence profile in which ``old`` became ``new``."""

    def prepare(env: Env) -> list[str]:
        text = SHIPPED_PROFILE.read_text(encoding="utf-8")
        assert old in text, f"profile text {old!r} not found"
        path = env.tmp / "profile.yaml"
        path.write_text(text.replace(old, new, 1), encoding=encoding)
        return [*command, "--data", str(env.data), "--profile", str(path)]

    return prepare


#: trial-a's pain outcome in the mini fixture, which the effect-estimate cases give an estimate.
EFFECT_LINE = "        effect: improved\n"
#: trial-a's risk-of-bias line in the mini fixture
MINI_ROB_A = next(
    line
    for line in (MINI / "studies.yaml").read_text("utf-8").splitlines(True)
    if "example.org/111, dom" in line
)
ESTIMATE = {
    "measure": "md",
    "value": "-1.0",
    "ci_lower": "-1.8",
    "ci_upper": "-0.2",
    "scale": "pain NRS 0-10",
    "lower_is_better": "true",
    "source": "https://example.org/a",
}


def estimate_case(cid: str, changes: dict[str, str | None], *expect: str) -> Case:
    """trial-a's pain outcome (line 12) gains an estimate (one YAML flow mapping) with ``changes``;
    the error names the outcome's line and the estimate's field."""
    fields = {**ESTIMATE, **changes}
    flow = ", ".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    new = EFFECT_LINE + f"        estimate: {{{flow}}}\n"
    where = [f"outcomes.0.estimate.{e}" if e in ESTIMATE or e in ("p_value", "se") else e for e in expect]
    return data_case(cid, "studies.yaml", EFFECT_LINE, new, ":12:", "study 'trial-a'", *where)


CASES: list[Case] = [
    # -- curated data YAML ---------------------------------------------------------------------
    data_case(
        "yaml-syntax",
        "studies.yaml",
        "    label: Trial A\n",
        "    label: [Trial A\n",
        ":4: YAML syntax error",
        "fix the syntax",
    ),
    data_case(
        "yaml-tab-indent",
        "claims.yaml",
        "    subject: CHEBI:7465\n",
        "\tsubject: CHEBI:7465\n",
        ":3: YAML syntax error",
    ),
    data_case(
        "duplicate-key",
        "studies.yaml",
        "    design: rct\n",
        "    design: rct\n    design: case_report\n",
        ":5: duplicate key 'design'",
        "keeps only the last one",
    ),
    data_case(
        "wrong-type",
        "studies.yaml",
        "n: 40",
        "n: forty",
        ":7: study 'trial-a': n:",
        "valid integer",
        "'forty'",
    ),
    data_case(
        "wrong-type-bool",
        "studies.yaml",
        "randomised: true\n    controlled: true\n    blinded: true\n    publications: [PMID:111]",
        "randomised: maybe\n    controlled: true\n    blinded: true\n    publications: [PMID:111]",
        "study 'trial-a': randomised:",
        "'maybe'",
    ),
    data_case(
        "wrong-type-bool-for-int",
        "studies.yaml",
        "n: 40",
        "n: true",
        ":7: study 'trial-a': n:",
        "valid integer",
        "True",
    ),
    data_case(
        "wrong-type-int-for-bool",
        "studies.yaml",
        "randomised: true\n    controlled: true\n    blinded: true\n    publications: [PMID:111]",
        "randomised: 1\n    controlled: true\n    blinded: true\n    publications: [PMID:111]",
        ":8: study 'trial-a': randomised:",
        "valid boolean",
    ),
    data_case(
        "unknown-enum",
        "studies.yaml",
        "design: rct",
        "design: rtc",
        ":4: study 'trial-a': design 'rtc' is not one of",
        "crossover_rct",
    ),
    data_case(
        "unknown-enum-direction",
        "claims.yaml",
        "direction: refutes",
        "direction: refuted",
        "claim 'ldn-pain': evidence.1.direction 'refuted' is not one of supports, refutes",
    ),
    data_case(
        "negative-n",
        "studies.yaml",
        "n: 40",
        "n: -5",
        ":7: study 'trial-a': n:",
        "greater than or equal to 1",
    ),
    data_case(
        "duplicate-id",
        "entities.yaml",
        "    outcome_kind: subjective\n",
        "    outcome_kind: subjective\n  - id: LDNO:pain\n    label: pain again\n    kind: outcome\n"
        "    outcome_kind: objective\n",
        ":18: entity 'LDNO:pain': id: duplicate id 'LDNO:pain'",
    ),
    data_case(
        "category-injection",
        "entities.yaml",
        "    kind: mechanism\n",
        "    kind: mechanism\n    category: 'Disease> . } } ; DROP SILENT GRAPH <urn:other> ; INSERT DATA "
        "{ GRAPH <urn:x> { <urn:a> <urn:b> <urn:c'\n",
        ":10: entity 'CL:0000129': category: 'Disease> . } } ; DROP",
        "is not a Biolink class name",
    ),
    data_case(
        "id-trailing-newline",
        "studies.yaml",
        "  - id: trial-a\n",
        '  - id: "trial-a\\n"\n',
        ":2: study 'trial-a\\n': id:",
        "is not a valid id",
    ),
    data_case(
        "dangling-study",
        "claims.yaml",
        "- study: trial-b",
        "- study: trial-x",
        "claim 'ldn-pain': evidence[1].study: unknown study 'trial-x'",
        export=True,
    ),
    data_case(
        "dangling-publication",
        "studies.yaml",
        "publications: [DOI:10.1000/fixture.2]",
        "publications: [PMID:999]",
        "study 'trial-b': publications: unknown publication 'PMID:999'",
    ),
    data_case(
        "unknown-curie-prefix",
        "entities.yaml",
        "    synonyms: [microglia]\n",
        "    synonyms: [microglia]\n    xrefs: [FMA:54539]\n",
        "entity 'CL:0000129': xrefs:",
        "unknown prefix 'FMA'",
    ),
    data_case(
        "not-a-curie",
        "studies.yaml",
        "species: NCBITaxon:9606",
        "species: human",
        "study 'trial-a': species:",
        "'human' is not a CURIE",
    ),
    data_case(
        "wrong-entity-kind",
        "claims.yaml",
        "qualifiers: {outcome: LDNO:pain}",
        "qualifiers: {outcome: MESH:D005356}",
        "claim 'ldn-pain': qualifiers.outcome: 'MESH:D005356' is a condition, "
        "expected an entity of kind outcome",
    ),
    data_case(
        "pmid-not-digits",
        "publications.yaml",
        'pmid: "333"',
        'pmid: "33a"',
        "publication 'PMID:333': pmid:",
        "digits only",
    ),
    data_case(
        "doi-with-url",
        "publications.yaml",
        "doi: 10.1000/fixture.2",
        "doi: https://doi.org/10.1000/fixture.2",
        "publication 'DOI:10.1000/fixture.2': doi:",
        "no https://doi.org/ prefix",
    ),
    data_case(
        "unresolved-with-title",
        "publications.yaml",
        "    status: unresolved\n",
        "    status: unresolved\n    title: A guessed title\n",
        "publication 'PMID:333': title: an unresolved publication must not carry a title",
    ),
    data_case(
        "claim-without-evidence",
        "claims.yaml",
        "    evidence:\n      - study: cells-c\n        direction: supports\n",
        "    evidence: []\n",
        ":21: claim 'ldn-microglia': evidence: a claim needs at least one evidence item",
    ),
    data_case(
        "missing-field",
        "studies.yaml",
        "    label: Cells C\n",
        "",
        "study 'cells-c': label: required field is missing",
    ),
    data_case(
        "unknown-field",
        "studies.yaml",
        "    population: cell\n",
        "    population: cell\n    desing: in_vitro\n",
        "study 'cells-c': desing: unknown field",
    ),
    data_case(
        "record-not-mapping",
        "entities.yaml",
        "  - id: LDNO:pain\n    label: pain\n    kind: outcome\n    outcome_kind: subjective\n",
        "  - LDNO:pain\n",
        "entities[3]: each record must be a mapping",
    ),
    data_case(
        "top-level-not-mapping",
        "sources.yaml",
        "sources:\n",
        "- sources:\n",
        ":1: expected a mapping with the key 'sources:'",
    ),
    data_case(
        "unknown-top-level-key",
        "studies.yaml",
        "    publications: [PMID:111]\n",
        "    publications: [PMID:111]\nstuddies:\n  - id: trial-z\n",
        ":12: unknown top-level key 'studdies'",
        "expected a mapping with the key 'studies:' only",
    ),
    data_case(
        "misspelt-top-level-key",
        "studies.yaml",
        "studies:\n",
        "studdies:\n",
        ":1: unknown top-level key 'studdies'",
        "'studies:'",
    ),
    data_case(
        "yaml-alias-bomb",
        "studies.yaml",
        "    label: Cells C\n",
        "    label: Cells C\n    notes:\n      x0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        + "".join(
            f"      x{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"
            for i in range(1, 12)
        ),
        ":33: YAML aliases (*name) are not allowed",
    ),
    Case(
        "non-utf8",
        _write("claims.yaml", "claims:\n  - id: caf\xe9\n".encode("latin-1")),
        ("claims.yaml", "not valid UTF-8 (byte offset 19)", "save the file as UTF-8"),
    ),
    Case(
        "control-character",
        _write("entities.yaml", b"entities:\n  - id: CHEBI:7465\x00\n"),
        ("entities.yaml:2:", "control character U+0000 is not allowed in YAML"),
    ),
    Case("empty-file", _write("studies.yaml", b""), ("studies.yaml", "file is empty", "'studies:'")),
    Case(
        "missing-file",
        lambda env: [(env.data / "claims.yaml").unlink(), *_build(env)][1:],
        ("claims.yaml", "missing; every data directory needs claims.yaml"),
    ),
    Case(
        "missing-data-dir",
        lambda env: ["build", "--data", str(env.tmp / "nowhere"), "-o", str(env.previous)],
        ("nowhere", "data directory not found", "--data"),
    ),
    # -- PubMed XML (import-pubmed) -----------------------------------------------------------------
    Case(
        "pubmed-truncated",
        _pubmed(ARTICLE[: ARTICLE.index(b"<AuthorList")]),
        ("in.xml: record 1: truncated", "download the file again"),
    ),
    Case(
        "pubmed-truncated-gzip",
        _pubmed(gzip.compress(ARTICLE)[:300], "in.xml.gz"),
        ("in.xml.gz", "Compressed file ended before the end-of-stream marker"),
    ),
    Case("pubmed-not-xml", _pubmed(b"this is not XML at all\n"), ("in.xml: not XML", "PubmedArticleSet")),
    Case("pubmed-empty", _pubmed(b""), ("in.xml: not XML",)),
    Case(
        "pubmed-wrong-root",
        _pubmed(XML_HEAD + b"<eFetchResult><ERROR>Empty id list</ERROR></eFetchResult>\n"),
        ("in.xml: root element is <eFetchResult>, expected <PubmedArticleSet>",),
    ),
    Case(
        "pubmed-missing-pmid",
        _pubmed(ARTICLE.replace(b'<PMID Version="1">111</PMID>', b"")),
        ("in.xml: record 1: missing PMID",),
    ),
    Case(
        "pubmed-pmid-not-digits",
        _pubmed(ARTICLE.replace(b'<PMID Version="1">111</PMID>', b'<PMID Version="1">11x</PMID>')),
        ("in.xml: record 1", "PMID '11x' is not digits only"),
    ),
    Case(
        "pubmed-entity-expansion",
        _pubmed(
            XML_HEAD + b'<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
            + ONE_RECORD
            + b"&c;"
            + END_RECORD
        ),
        ("in.xml: the DOCTYPE declares entities (a, b, c)", "not expanded"),
    ),
    Case(
        "pubmed-external-entity",
        _pubmed(
            XML_HEAD
            + b'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            + ONE_RECORD
            + b"&x;"
            + END_RECORD
        ),
        ("in.xml: the DOCTYPE declares entities (x)",),
    ),
    Case(
        "pubmed-cache-not-utf8",
        lambda env: (
            (env.data / "pubmed").mkdir(),
            (env.data / "pubmed" / "111.json").write_bytes(b"\xff"),
            _build(env),
        )[2],
        (
            "pubmed/111.json: not a valid cached PubMed record (not UTF-8 at byte 0)",
            "delete it and fetch again",
        ),
    ),
    Case(
        "pubmed-cache-not-utf8-verify",
        lambda env: (
            (env.data / "pubmed").mkdir(),
            (env.data / "pubmed" / "111.json").write_bytes(b'{"format": 1, "record": {"title": "caf\xe9"}}'),
            ["verify-citations", "--data", str(env.data)],
        )[2],
        ("pubmed/111.json: not a valid cached PubMed record (not UTF-8 at byte 38)",),
    ),
    Case(
        "pubmed-db-foreign",
        lambda env: (
            sqlite3.connect(env.data / "pubmed.sqlite")
            .execute("CREATE TABLE pubmed (pmid TEXT)")
            .connection.close(),
            _build(env),
        )[1],
        ("pubmed.sqlite: is a SQLite database, but not ldngraph's PubMed database (application_id)",),
    ),
    Case(
        "pubmed-db-fifo",
        lambda env: (os.mkfifo(env.data / "pubmed.sqlite"), ["verify-citations", "--data", str(env.data)])[1],
        ("pubmed.sqlite: not a regular file (a FIFO, device or socket)",),
    ),
    # -- E-utilities settings (config.toml); fetch fails before any request ------------------------
    Case(
        "config-bad-value",
        lambda env: (
            (env.tmp / "config.toml").write_text('[entrez]\ntimeout = "abc"\n', encoding="utf-8"),
            ["fetch", "1", "--cache", str(env.out / "cache")],
        )[1],
        ("config.toml: [entrez] timeout: Input should be a valid number", "(got 'abc'); fix the value"),
        environ=lambda env: {"LDNGRAPH_CONFIG": str(env.tmp / "config.toml")},
    ),
    Case(
        "env-data-missing",
        lambda env: ["build", "-o", str(env.previous)],
        ("LDNGRAPH_DATA=", "missing-data: no such directory", "unset it to use the shipped one"),
        environ=lambda env: {"LDNGRAPH_DATA": str(env.tmp / "missing-data")},
    ),
    Case(
        "env-queries-missing",
        lambda env: ["query", "gaps", "--data", str(env.data)],
        ("LDNGRAPH_QUERIES=", "missing-queries: no such directory", "unset it to use the shipped one"),
        environ=lambda env: {"LDNGRAPH_QUERIES": str(env.tmp / "missing-queries")},
    ),
    Case(
        "config-unknown-key",
        lambda env: (
            (env.tmp / "config.toml").write_text('[entrez]\nemial = "me@example.org"\n', encoding="utf-8"),
            ["fetch", "1", "--cache", str(env.out / "cache")],
        )[1],
        ("config.toml: [entrez] emial: unknown setting; did you mean 'email'?",),
        environ=lambda env: {"LDNGRAPH_CONFIG": str(env.tmp / "config.toml")},
    ),
    # -- silent data errors found by a new user (issue 22): each must be one line -----------------
    data_case(
        "rob-missing",
        "studies.yaml",
        MINI_ROB_A,
        "",
        ":2: study 'trial-a': risk_of_bias: a controlled human study needs a risk_of_bias block",
        "judge every RoB 2 or ROBINS-I domain",
    ),
    Case(
        "evidence-outcome-not-recorded",
        lambda env: (
            env.edit(
                "entities.yaml",
                "entities:\n",
                "entities:\n  - {id: LDNO:fatigue, label: fatigue, kind: outcome, outcome_kind: subjective}"
                "\n",
            ),
            env.edit(
                "claims.yaml",
                "direction: refutes\n        outcome: LDNO:pain",
                "direction: refutes\n        outcome: LDNO:fatigue",
            ),
            _build(env),
        )[2],
        (
            "claims.yaml:12: claim 'ldn-pain': evidence[1].outcome:",
            "study 'trial-b' records no outcome LDNO:fatigue",
        ),
    ),
    data_case(
        "claim-outcome-not-recorded",
        "claims.yaml",
        "      - study: trial-b\n        direction: refutes\n        outcome: LDNO:pain\n",
        "      - study: cells-c\n        direction: refutes\n",
        ":12: claim 'ldn-pain': evidence[1].outcome:",
        "study 'cells-c' is cited for LDNO:pain (the claim's outcome) but records no such outcome",
    ),
    data_case(
        "arm-sizes-not-n",
        "studies.yaml",
        EFFECT_LINE,
        EFFECT_LINE + "        estimate: {measure: md, value: -1.0, ci_lower: -1.8, ci_upper: -0.2, "
        "scale: pain NRS 0-10, lower_is_better: true, source: 'https://example.org/111', "
        "n_intervention: 25, n_control: 25}\n",
        ":13: study 'trial-a': outcomes[0].estimate:",
        "arm sizes 25 + 25 = 50 do not add up to the study's n (40)",
    ),
    # -- effect estimates (schema v2, issue 13) ------------------------------------------------------
    estimate_case(
        "estimate-ci-swapped", {"ci_lower": "-0.2", "ci_upper": "-1.8"}, "ci_lower", "swap the bounds"
    ),
    estimate_case("estimate-outside-ci", {"value": "-3.0"}, "value", "outside its interval"),
    estimate_case(
        "estimate-ratio-not-positive",
        {"measure": "rr", "value": "0", "ci_lower": None, "ci_upper": None},
        "value",
        "must be > 0",
    ),
    estimate_case("estimate-p-value-out-of-range", {"p_value": "1.5"}, "p_value"),
    estimate_case("estimate-se-not-positive", {"se": "0"}, "se"),
    estimate_case(
        "estimate-sign-contradicts-effect",
        {"value": "1.0", "ci_lower": "0.2", "ci_upper": "1.8"},
        "outcomes.0.estimate:",
        "favours the comparator",
    ),
    estimate_case("estimate-one-bound", {"ci_upper": None}, "ci_lower", "give both"),
    estimate_case("estimate-without-source", {"source": None}, "source", "required field is missing"),
    # -- evidence model v3 (issue 21): one estimate per study, reviews' results, exclusions ------------
    data_case(
        "estimate-two-scales-no-primary",
        "studies.yaml",
        EFFECT_LINE,
        EFFECT_LINE
        + "        estimate: {"
        + ", ".join(f"{k}: {v}" for k, v in ESTIMATE.items())
        + "}\n      - outcome: LDNO:pain\n        kind: subjective\n        effect: improved\n"
        + "        estimate: {"
        + ", ".join(f"{k}: {v}" for k, v in {**ESTIMATE, "scale": "pain VAS 0-100"}.items())
        + "}\n",
        "study 'trial-a'",
        "outcomes[1].estimate: 2 estimates for LDNO:pain",
        "primary: true",
    ),
    Case(
        "estimate-on-a-review",
        lambda env: (
            env.edit("studies.yaml", "    design: rct\n", "    design: meta_analysis\n"),
            env.edit(
                "studies.yaml",
                EFFECT_LINE,
                EFFECT_LINE
                + "        estimate: {"
                + ", ".join(f"{k}: {v}" for k, v in ESTIMATE.items())
                + "}\n",
            ),
            _build(env),
        )[-1],
        ("studies.yaml", "study 'trial-a'", "belongs in review.pooled"),
    ),
    Case(
        "exclude-unknown-rule",
        lambda env: ["sof", "--data", str(env.data), "--condition", "fibromyalgia", "--exclude", "rob=bad"],
        ("--exclude: 'bad' is not a rob value", "use one of high, some_concerns"),
    ),
    Case(
        "exclude-unknown-study",
        lambda env: ["export", "--data", str(env.data), "-o", str(env.previous), "--exclude", "trial-x"],
        ("exclude: no study 'trial-x' in the data",),
    ),
    estimate_case("estimate-source-not-url", {"source": "the abstract"}, "source"),
    # -- evidence profile ---------------------------------------------------------------------------
    Case(
        "profile-weight-above-1",
        _profile("  rct: 0.75", "  rct: 1.7", "query", "claims_by_strength"),
        ("profile.yaml", "base_weights.rct: 1.7 is not in [0, 1]"),
    ),
    Case(
        "profile-mid-source-not-url",
        _profile(
            "    source: https://doi.org/10.1016/j.jpain.2007.09.005",
            "    source: IMMPACT",
            "sof",
            "--condition",
            "fibromyalgia",
        ),
        ("profile.yaml", "mid.HP:0012531.source", "not a URL"),
    ),
    Case(
        "profile-weight-negative",
        _profile(
            "different_dose: 0.8", "different_dose: -0.2", "paths", "--from", "LDN", "--to", "fibromyalgia"
        ),
        ("profile.yaml", "indirectness", "different_dose: -0.2 is not in [0, 1]"),
    ),
    Case(
        "profile-missing-design",
        _profile("  case_report: 0.12\n", "", "explain", "ldn-pain"),
        ("profile.yaml", "base_weights: no base weight for design(s) case_report"),
    ),
    Case(
        "profile-bad-number",
        _profile("half_n: 40", "half_n: -4", "query", "gaps"),
        ("profile.yaml", "sample_size.half_n", "greater than 0"),
    ),
    Case(
        "profile-yaml-syntax",
        _profile("base_weights:\n", "base_weights: [\n", "query", "gaps"),
        ("profile.yaml:", "YAML syntax error"),
    ),
    Case(
        "profile-version-unsafe",
        _profile('version: "2026.1"', 'version: "2024 beta"', "build", "-o", "out/graph.ttl"),
        ("profile.yaml", "version: '2024 beta' is not a safe version label", "letters, digits"),
    ),
    Case(
        "profile-version-not-string",
        _profile('version: "2026.1"', "version: [1, 2]", "query", "gaps"),
        ("profile.yaml", "version: must be a label such as", "write it in quotes"),
    ),
    Case(
        "profile-not-utf8",
        _profile(
            "# Evidence profile", "# Evidence profile (r\u00e9vis\u00e9)", "query", "gaps", encoding="latin-1"
        ),
        ("profile.yaml: not valid UTF-8 (byte offset 21)", "save the file as UTF-8"),
    ),
    Case(
        "profile-duplicate-key",
        _profile("  rct: 0.75\n", "  rct: 0.75\n  rct: 0.2\n", "explain", "ldn-pain"),
        ("profile.yaml:13: duplicate key 'rct'", "remove or rename one of them"),
    ),
    Case(
        "profile-missing-file",
        lambda env: ["query", "gaps", "--data", str(env.data), "--profile", str(env.tmp / "nope.yaml")],
        ("nope.yaml", "cannot read the evidence profile"),
    ),
    # -- CLI arguments and output paths -----------------------------------------------------------
    Case(
        "output-is-input",
        lambda env: [
            *("export", "--data", str(env.data), "--format", "ttl"),
            *("-o", str(env.data / "claims.yaml")),
        ],
        ("data/claims.yaml: is an input of this run", "pick another output path"),
    ),
    Case(
        "unknown-entity",
        lambda env: ["paths", "--data", str(env.data), "--from", "LDN", "--to", "gout"],
        ("unknown entity 'gout'",),
    ),
    Case(
        "paths-wrong-kind",
        lambda env: ["paths", "--data", str(env.data), "--from", "fibromyalgia", "--to", "LDN"],
        ("'fibromyalgia' (MESH:D005356) is a condition, but paths start at an intervention", "interventions"),
    ),
    Case(
        "unknown-claim",
        lambda env: ["explain", "--data", str(env.data), "no-such-claim"],
        ("unknown claim 'no-such-claim'",),
    ),
    Case(
        "unknown-query",
        lambda env: ["query", "--data", str(env.data), "nosuch"],
        ("unknown query 'nosuch'", "named queries: ", "gaps"),
    ),
    Case(
        "param-without-equals",
        lambda env: ["query", "--data", str(env.data), "gaps", "--param", "only"],
        ("--param 'only' must look like name=value",),
    ),
    Case(
        "param-unknown-name",
        lambda env: ["query", "--data", str(env.data), "gaps", "--param", "nosuch=1"],
        ("query 'gaps' has no parameter 'nosuch'", "it takes only"),
    ),
    Case(
        "param-not-allowed",
        lambda env: ["query", "--data", str(env.data), "gaps", "--param", "only=bogus"],
        ("query 'gaps': parameter 'only' must be one of no_rct, no_objective_outcome", "(got 'bogus')"),
    ),
    Case(
        "param-not-allowed-design",
        lambda env: ["query", "--data", str(env.data), "studies_by_design", "--param", "design=rtc"],
        ("parameter 'design' must be one of meta_analysis", "crossover_rct", "(got 'rtc')"),
    ),
    Case(
        "param-not-finite",
        lambda env: ["query", "--data", str(env.data), "claims_by_strength", "--param", "min_strength=nan"],
        ("parameter 'min_strength' must be a double: a finite number such as 0.25", "(got 'nan')"),
    ),
    Case(
        "query-file-no-header",
        lambda env: (
            (env.tmp / "mine.rq").write_text("SELECT * WHERE { ?s ?p ?o }\n", encoding="utf-8"),
            ["query", "--data", str(env.data), str(env.tmp / "mine.rq")],
        )[1],
        ("mine.rq", "needs 'Purpose:' and 'Columns:'"),
    ),
    Case(
        "query-file-bad-sparql",
        lambda env: (
            (env.tmp / "bad.rq").write_text(
                "# Purpose: broken on purpose\n# Columns: s\nSELECT ?s WHERE { ?s ?p }\n", encoding="utf-8"
            ),
            ["query", "--data", str(env.data), str(env.tmp / "bad.rq")],
        )[1],
        ("bad.rq",),
    ),
    Case(
        "query-file-not-select",
        lambda env: (
            (env.tmp / "ask.rq").write_text(
                "# Purpose: yes or no\n# Columns: s\nASK { ?s ?p ?o }\n", encoding="utf-8"
            ),
            ["query", "--data", str(env.data), str(env.tmp / "ask.rq")],
        )[1],
        ("ask.rq: only SELECT queries return rows, this is an ASK query", "rewrite it as a SELECT query"),
    ),
    Case(
        "unwritable-output",
        lambda env: ["export", "--data", str(env.data), "-o", "/proc/ldngraph-denied.ttl"],
        ("/proc/ldngraph-denied.ttl", "cannot write there"),
    ),
    Case(
        "output-dir-missing",
        lambda env: ["export", "--data", str(env.data), "-o", str(env.out / "no" / "such.ttl")],
        ("no/such.ttl", "directory", "does not exist"),
    ),
    Case(
        "viz-unwritable-output",
        lambda env: ["viz", "--data", str(env.data), "-o", str(env.out / "no" / "graph.html")],
        ("no/graph.html", "does not exist"),
    ),
    Case(
        "viz-unknown-focus",
        lambda env: ["viz", "--data", str(env.data), "--focus", "gout", "-o", str(env.out / "graph.html")],
        ("unknown entity 'gout'",),
    ),
    Case(
        "plot-unwritable-output",
        lambda env: ["plot", "evidence-map", "--data", str(env.data), "-o", "/proc/ldngraph-map.png"],
        ("/proc/ldngraph-map.png", "cannot write there"),
    ),
    Case(
        "report-unknown-suffix",
        lambda env: ["report", "--data", str(env.data), "-o", str(env.out / "brief.xyz")],
        ("brief.xyz", "unknown report suffix '.xyz'", ".md or .html"),
    ),
    Case(
        "unknown-output-suffix",
        lambda env: ["build", "--data", str(env.data), "-o", str(env.out / "graph.xyz")],
        ("graph.xyz", "cannot tell the format from '.xyz'", "use a suffix (.ttl"),
    ),
    Case(
        "kgx-unwritable-prefix",
        lambda env: ["export", "--data", str(env.data), "--format", "kgx", "-o", str(env.out / "no" / "ldn")],
        ("ldn_nodes.jsonl", "does not exist"),
    ),
    Case(
        "push-store-not-a-store",
        lambda env: ["push", "--data", str(env.data), "--store", f"oxigraph:{env.out}"],
        ("oxigraph:", "is a directory that is not an Oxigraph store", "give a new or empty directory"),
    ),
    Case(
        "query-store-missing",
        lambda env: ["query", "gaps", "--data", str(env.data), "--store", f"oxigraph:{env.out / 'db'}"],
        ("db does not exist", "create and fill it with: ldngraph push --store"),
    ),
    # -- issue 16: push to the wrong kind of URL (real Oxigraph and Virtuoso: test_endpoint_auth.py)
    Case(
        "push-endpoint-html-page",
        _push("/index.html"),
        (
            "/index.html: the reply is an HTML page, expected a SPARQL 1.1 query endpoint",
            "(nothing was written: <https://w3id.org/ldngraph/id/graph/ldn-evidence> keeps",
        ),
    ),
    Case(
        "push-endpoint-not-found",
        _push("/ldn"),
        ("/ldn: HTTP 404: an HTML page; expected a SPARQL 1.1 query endpoint", "(nothing was written: <"),
    ),
    Case(
        "push-update-url-html-page",
        lambda env: _push("/sparql", "--update-url", web_url("/index.html"))(env),
        (
            "/index.html: the updates were accepted but their triples are not in",
            "expected the SPARQL 1.1 Update endpoint of that store",
            "(nothing changed: <https://w3id.org/ldngraph/id/graph/ldn-evidence> keeps",
        ),
    ),
    Case(
        "push-password-without-user",
        _push("/sparql"),
        ("LDNGRAPH_SPARQL_PASSWORD is set but LDNGRAPH_SPARQL_USER is not; set both (or neither)",),
        lambda env: {"LDNGRAPH_SPARQL_PASSWORD": "not-shown-anywhere", "LDNGRAPH_SPARQL_USER": ""},
    ),
    # -- issue 27 (F1, F14, F22, F23): push faults, hostile replies, store lifecycle, downgrades
    Case(
        "push-swap-never-applied",
        lambda env: [
            *("push", "--data", str(env.data), "--store", gateway_url("/query")),
            *("--update-url", gateway_url("/update")),
        ],
        ("/update: HTTP 502: an HTML page (the swap did not happen: <https://w3id.org/ldngraph/id/graph/",),
    ),
    Case(
        "endpoint-bad-status-line",
        lambda env: ["query", "gaps", "--store", web_url("/bad-status")],
        ("/bad-status: not a valid HTTP reply (BadStatusLine: SPARQL/1.1 200 fine)",),
    ),
    Case("diff-graph-score-not-a-number", _hostile_graph, ("hostile.ttl: claim strength is 'high'",)),
    Case(
        "query-store-interrupted-push",
        _interrupted_push,
        ("db does not exist, but .db.old-999999999-0123456789ab beside it holds the store",),
    ),
    Case(
        "push-post-redirected",
        _push("/moved"),
        (
            "/moved: HTTP 302 redirect to http://127.0.0.1:",
            "would turn the POST into a GET",
            "nothing was written",
        ),
    ),
    Case(
        "push-basic-over-plain-http",
        _push("/basic"),
        ("/basic: the server asks for HTTP Basic over plain http", "LDNGRAPH_SPARQL_AUTH=digest-or-https"),
        lambda env: {
            "LDNGRAPH_SPARQL_USER": "u",
            "LDNGRAPH_SPARQL_PASSWORD": "not-shown-anywhere",
            "LDNGRAPH_SPARQL_AUTH": "digest-or-https",
        },
    ),
    Case(
        "fetch-base-url-not-http",
        lambda env: ["fetch", "1", "--cache", str(env.out / "cache"), "--base-url", f"file://{env.tmp}/"],
        ("option --base-url: must be an http(s) URL with a host",),
        lambda env: {"NCBI_EMAIL": "t@example.org", "LDNGRAPH_CONFIG": str(env.tmp / "none.toml")},
    ),
    Case(
        "validate-not-rdf",
        lambda env: (
            (env.tmp / "bad.ttl").write_text("this is <not turtle", encoding="utf-8"),
            ["validate", str(env.tmp / "bad.ttl")],
        )[1],
        ("bad.ttl", "not valid turtle: at line 1", "Bad syntax"),
    ),
    Case(
        "validate-missing-file",
        lambda env: ["validate", str(env.tmp / "absent.ttl")],
        ("absent.ttl", "no such file"),
    ),
    Case(
        "validate-unknown-suffix",
        lambda env: (
            (env.tmp / "graph.dat").write_text("x", encoding="utf-8"),
            ["validate", str(env.tmp / "graph.dat")],
        )[1],
        ("graph.dat", "cannot tell the RDF format from '.dat'"),
    ),
    Case(
        "validate-remote-context",
        lambda env: (
            (env.tmp / "graph.jsonld").write_text(
                '{"@context": "http://127.0.0.1:9/context.jsonld", "@id": "https://example.org/x"}\n',
                encoding="utf-8",
            ),
            ["validate", str(env.tmp / "graph.jsonld")],
        )[1],
        ("graph.jsonld: $.@context refers to the external context", "put the context inline"),
    ),
    Case(
        "validate-nonconforming",
        lambda env: (
            (env.tmp / "claim.ttl").write_text(
                "<https://w3id.org/ldngraph/id/claim/x> a <https://w3id.org/ldngraph/vocab/Claim> ;\n"
                '  <https://w3id.org/ldngraph/vocab/claimId> "x" .\n',
                encoding="utf-8",
            ),
            ["validate", str(env.tmp / "claim.ttl")],
        )[1],
        ("claim.ttl", "does not conform", "shape:Claim-evidence", "ldnr:claim/x"),
    ),
    # -- issue 15: hostile inputs and resource limits -------------------------------------------
    data_case(
        "yaml-alias",
        "studies.yaml",
        "    label: Trial A\n",
        "    label: &a Trial A\n    notes: *a\n",
        ":3: YAML aliases (*name) are not allowed",
    ),
    data_case(
        "yaml-alias-bomb-id",
        "entities.yaml",
        "  - id: CHEBI:7465\n",
        "  - id: &a [x, x, x, x, x, x, x, x, x]\n    xrefs: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "    synonyms: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
        "YAML aliases (*name) are not allowed",
    ),
    data_case(
        "yaml-deep-nesting",
        "studies.yaml",
        "    label: Trial A\n",
        "    label: " + "[" * 3000 + "]" * 3000 + "\n",
        "nested",
        "LDNGRAPH_MAX_DEPTH=100",
    ),
    data_case(
        "yaml-huge-integer",
        "studies.yaml",
        "    n: 40\n",
        "    n: " + "4" * 400 + "\n",
        ":7: a whole number of 400 digits is not a count or a year",
    ),
    data_case(
        "yaml-control-escape",
        "studies.yaml",
        "    label: Trial A\n",
        '    label: "Trial \\e[2J A"\n',
        ":3: control character U+001B (a YAML escape) not allowed in a value",
    ),
    Case(
        "data-file-fifo",
        lambda env: ((env.data / "studies.yaml").unlink(), os.mkfifo(env.data / "studies.yaml"), _build(env))[
            2
        ],
        ("studies.yaml: not a regular file (a FIFO, device or socket)",),
    ),
    Case(
        "data-file-dev-zero",
        lambda env: (
            (env.data / "studies.yaml").unlink(),
            (env.data / "studies.yaml").symlink_to("/dev/zero"),
            _build(env),
        )[2],
        ("studies.yaml: not a regular file",),
    ),
    Case(
        "profile-fifo",
        lambda env: (
            os.mkfifo(env.tmp / "profile.yaml"),
            ["query", "gaps", "--data", str(env.data), "--profile", str(env.tmp / "profile.yaml")],
        )[1],
        ("profile.yaml: not a regular file",),
    ),
    Case(
        "input-too-large",
        # the limit sits above the profile the run also reads (about 6 KB) and below this file
        lambda env: (env.edit("studies.yaml", "studies:\n", "studies:\n" + "#" * 30000 + "\n"), _build(env))[
            1
        ],
        ("studies.yaml: 31331 bytes is more than the limit LDNGRAPH_MAX_INPUT_BYTES=25000",),
        environ=lambda env: {"LDNGRAPH_MAX_INPUT_BYTES": "25000"},
    ),
    Case(
        "validate-xml-entities",
        lambda env: (
            (env.tmp / "g.rdf").write_text(
                '<?xml version="1.0"?>\n'
                '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
                '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n',
                encoding="utf-8",
            ),
            ["validate", str(env.tmp / "g.rdf")],
        )[1],
        ("g.rdf: declares XML entities (<!ENTITY>)",),
    ),
    Case(
        "validate-jsonld-deep",
        lambda env: (
            (env.tmp / "g.jsonld").write_text('{"a": ' * 5000 + "1" + "}" * 5000, encoding="utf-8"),
            ["validate", str(env.tmp / "g.jsonld")],
        )[1],
        ("g.jsonld: JSON nested more than limit LDNGRAPH_MAX_DEPTH=100",),
    ),
    Case(
        "medline-line-too-long",
        _pubmed(b"PMID- 1\nTI  - " + b"t" * 5000 + b"\n\n", "in.medline"),
        ("in.medline:2: a line longer than the limit LDNGRAPH_MAX_LINE_BYTES=1000",),
        environ=lambda env: {"LDNGRAPH_MAX_LINE_BYTES": "1000"},
    ),
    Case(
        "pubmed-xml-too-large",
        _pubmed(XML_HEAD + ONE_RECORD + b"x" * 5000 + END_RECORD),
        ("in.xml: more than the limit LDNGRAPH_MAX_PUBMED_BYTES=1000; raise it",),
        environ=lambda env: {"LDNGRAPH_MAX_PUBMED_BYTES": "1000"},
    ),
]


def _snapshot(directory: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and directory under ``directory``."""
    return {
        str(p.relative_to(directory)): p.read_bytes() if p.is_file() else None
        for p in sorted(directory.rglob("*"))
    }


def run_cli(
    args: list[str], cwd: Path, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(environ or {})}
    return subprocess.run(
        [sys.executable, "-c", "from ldngraph.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        check=False,
        timeout=120,
    )


def assert_one_line_failure(proc: subprocess.CompletedProcess[str], expect: tuple[str, ...]) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("Error: "), line
    for part in expect:
        assert part in line, f"{part!r} not in {line!r}"
    return line


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    env = Env(data=tmp_path / "data", out=tmp_path / "out", tmp=tmp_path)
    shutil.copytree(MINI, env.data)
    env.out.mkdir()
    env.previous.write_text(PREVIOUS, encoding="utf-8")
    args = case.prepare(env)
    before = _snapshot(env.out)
    proc = run_cli(args, cwd=tmp_path, environ=case.environ(env))
    assert_one_line_failure(proc, case.expect)
    assert _snapshot(env.out) == before, "output directory changed"


def test_matrix_size() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def test_docs_table_lists_every_case() -> None:
    text = (REPO / "docs" / "bad-inputs.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.M))
    from test_bad_inputs_r3 import CASES as ROUND3  # imported here: that module imports this one

    assert documented == {c.id for c in CASES} | {c.id for c in ROUND3}


def test_good_input_passes_the_same_harness(tmp_path: Path) -> None:
    """The harness itself can fail: the valid fixture exits 0 and writes the output."""
    out = tmp_path / "g.ttl"
    proc = run_cli(["build", "--data", str(MINI), "-o", str(out)], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0
