"""Bad inputs of reliability round 3 (issue 27, part B): numbers, records and labels bounded.

The same harness as ``test_bad_inputs.py`` (real CLI in a subprocess, exit 1, one line on stderr,
no traceback, the output directory unchanged); docs/bad-inputs.md lists these cases too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from test_bad_inputs import (
    END_RECORD,
    MINI,
    ONE_RECORD,
    PREVIOUS,
    XML_HEAD,
    Case,
    Env,
    _build,
    _profile,
    _pubmed,
    _snapshot,
    assert_one_line_failure,
    data_case,
    estimate_case,
    run_cli,
)

SCREENING = MINI.parent / "screening"


def _rdf_xml_with_entities(path: Path, encoding: str) -> None:
    """RDF/XML declaring nested internal entities, in ``encoding`` (with its BOM for UTF-16)."""
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper().removesuffix("-BE")}"?>\n'
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'
    )
    bom = b"\xfe\xff" if encoding == "utf-16-be" else b""
    path.write_bytes(bom + text.encode(encoding))


def _records(n: int) -> bytes:
    """A PubmedArticleSet of ``n`` minimal records (PMIDs 1..n)."""
    one = "<PubmedArticle><MedlineCitation><PMID>{}</PMID><Article><ArticleTitle>t</ArticleTitle>"
    one += "</Article></MedlineCitation></PubmedArticle>"
    body = "".join(one.format(i) for i in range(1, n + 1))
    return XML_HEAD + f"<PubmedArticleSet>{body}</PubmedArticleSet>\n".encode()


def _meshy(n: int) -> bytes:
    """One record with ``n`` MeSH headings (the 4 M-heading record of F6, scaled down)."""
    mesh = b"<MeshHeading><DescriptorName>x</DescriptorName></MeshHeading>" * n
    tail = b"</MedlineCitation></PubmedArticle></PubmedArticleSet>\n"
    return (
        XML_HEAD
        + ONE_RECORD
        + b"t</ArticleTitle></Article><MeshHeadingList>"
        + mesh
        + b"</MeshHeadingList>"
        + tail
    )


def _cached(env: Env, pmid: str, content: bytes | None = None, *, link: str | None = None) -> None:
    """``data/pubmed/PMID.json``: ``content``, or a symlink to ``link``, or (neither) a FIFO."""
    (env.data / "pubmed").mkdir(exist_ok=True)
    path = env.data / "pubmed" / f"{pmid}.json"
    if content is not None:
        path.write_bytes(content)
    elif link is not None:
        path.symlink_to(link)
    else:
        os.mkfifo(path)


def _cache_record(title: str) -> bytes:
    record = '{"pmid": "333", "title": "' + title + '"}'
    return ('{"format": 1, "source": "x", "record": ' + record + "}").encode()


def _screening(env: Env, old: str, new: str) -> None:
    """The test screening log (linked to the mini studies) in the data copy, ``old`` made ``new``."""
    text = (SCREENING / "screening.yaml").read_text(encoding="utf-8")
    assert old in text, old
    (env.data / "screening.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")


def _report(env: Env) -> list[str]:
    return ["report", "--data", str(env.data), "-o", str(env.out / "brief.md")]


#: Three unconstrained triple patterns: (about 280 triples)^3 rows for rdflib to count.
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }\n"
SERVICE_QUERY = "SELECT ?s WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }\n"


def _rq(env: Env, name: str, body: str) -> None:
    """A query file with the header ``ldngraph query`` needs."""
    columns = "n" if "COUNT" in body else "s"
    (env.tmp / name).write_text(f"# Purpose: a test.\n# Columns: {columns}\n{body}", encoding="utf-8")


CASES: list[Case] = [
    # -- F2/F3: every number finite and bounded at the schema -----------------------------------------
    estimate_case(
        "estimate-ratio-se-overflow",  # once: OverflowError in math.exp, a traceback on every command
        {"measure": "rr", "value": "0.8", "ci_lower": None, "ci_upper": None, "se": "1000"},
        "se",
        "a standard error of 1000 for the log ratio is more than 10",
    ),
    estimate_case(
        "estimate-ci-level-tiny",  # once: an SE of 3e9 from z(1e-10), then OverflowError
        {"measure": "rr", "value": "0.8", "ci_lower": "0.5", "ci_upper": "0.9", "ci_level": "1e-10"},
        "ci_level",
        "not a confidence level",
    ),
    estimate_case(
        "estimate-se-tiny",  # once: the variance squared to 0 and the pooled effect was NaN
        {"ci_lower": None, "ci_upper": None, "se": "1e-200"},
        "se",
        "too precise",
    ),
    estimate_case(
        "estimate-p-value-tiny",  # once: z = inf, an SE of 0, NaN pooled effects
        {"ci_lower": None, "ci_upper": None, "p_value": "1e-320"},
        "p_value",
        "cannot weigh an estimate",
    ),
    estimate_case(
        "estimate-value-huge",
        {"value": "-1e300", "ci_lower": "-2e300", "ci_upper": "-1e299"},
        "value",
        "outside [-1e+09, 1e+09]",
    ),
    # -- F9: every field that becomes an IRI is a valid IRI ---------------------------------------------
    estimate_case(
        "estimate-source-not-iri",  # once: build -o and the RDF exports crashed, JSON-LD injected a triple
        {"source": "https://example.org/a<b>"},
        "source",
        "holds '<', which no IRI may hold; percent-encode it (%3C)",
    ),
    # -- F11: XML entity declarations refused by the parser, whatever the encoding ----------------------
    Case(
        "validate-xml-entities-utf16",  # once: the byte search for <!ENTITY missed it (186 s of CPU)
        lambda env: (
            _rdf_xml_with_entities(env.tmp / "g.rdf", "utf-16"),
            ["validate", str(env.tmp / "g.rdf")],
        )[1],
        ("g.rdf: declares XML entities (<!ENTITY>); RDF needs none, remove them",),
    ),
    Case(
        "diff-xml-entities-utf16",
        lambda env: (
            _rdf_xml_with_entities(env.tmp / "g.rdf", "utf-16-be"),
            ["diff", str(env.tmp / "g.rdf"), str(env.data)],
        )[1],
        ("g.rdf: declares XML entities (<!ENTITY>)",),
    ),
    # -- F6: PubMed records and files bounded -----------------------------------------------------------
    Case(
        "pubmed-record-too-many-elements",  # once: 4 M MeSH headings in 47 KB of .gz, MemoryError at 4 GB
        _pubmed(_meshy(3000)),
        ("in.xml: record 1: more than the limit LDNGRAPH_MAX_RECORD_ELEMENTS=1000", "(XML elements)"),
        environ=lambda env: {"LDNGRAPH_MAX_RECORD_ELEMENTS": "1000"},
    ),
    Case(
        "pubmed-record-too-large",
        _pubmed(XML_HEAD + ONE_RECORD + b"t" * 300_000 + END_RECORD),
        ("in.xml: record 1: more than the limit LDNGRAPH_MAX_RECORD_BYTES=100000",),
        environ=lambda env: {"LDNGRAPH_MAX_RECORD_BYTES": "100000"},
    ),
    Case(
        "pubmed-too-many-records",  # once: 522 KB of gzip wrote 200,000 cache files
        _pubmed(_records(30)),
        ("in.xml: more than the limit LDNGRAPH_MAX_RECORDS=10", "(records in one file or reply)"),
        environ=lambda env: {"LDNGRAPH_MAX_RECORDS": "10"},
    ),
    Case(
        "medline-record-too-many-lines",
        _pubmed(b"PMID- 1\nTI  - t\n" + b"MH  - Naltrexone\n" * 3000 + b"\n", "in.medline"),
        ("in.medline: record 1: more than the limit LDNGRAPH_MAX_RECORD_ELEMENTS=1000", "(MEDLINE lines)"),
        environ=lambda env: {"LDNGRAPH_MAX_RECORD_ELEMENTS": "1000"},
    ),
    Case(
        "medline-too-many-records",
        _pubmed(b"".join(b"PMID- %d\nTI  - t\n\n" % i for i in range(1, 31)), "in.medline"),
        ("in.medline: more than the limit LDNGRAPH_MAX_RECORDS=10", "(records in one file or reply)"),
        environ=lambda env: {"LDNGRAPH_MAX_RECORDS": "10"},
    ),
    # -- F7: cached records checked for type, size and depth ------------------------------------------
    Case(
        "pubmed-cache-fifo",  # once: build hung forever
        lambda env: (_cached(env, "111"), _build(env))[1],
        (
            "pubmed/111.json: not a valid cached PubMed record",
            "(not a regular file (a FIFO, device or socket))",
        ),
    ),
    Case(
        "pubmed-cache-dev-zero",  # once: MemoryError (the whole of /dev/zero read into memory)
        lambda env: (_cached(env, "111", link="/dev/zero"), ["verify-citations", "--data", str(env.data)])[1],
        (
            "pubmed/111.json: not a valid cached PubMed record",
            "(not a regular file (a FIFO, device or socket))",
        ),
    ),
    Case(
        "pubmed-cache-too-deep",  # once: RecursionError
        lambda env: (_cached(env, "111", b"[" * 100_000 + b"]" * 100_000), _build(env))[1],
        (
            "pubmed/111.json: not a valid cached PubMed record",
            "(JSON nested too deeply to read)",
        ),
    ),
    Case(
        "pubmed-cache-too-large",
        lambda env: (_cached(env, "333", _cache_record("t" * 200_000)), _build(env))[1],
        (
            "pubmed/333.json: not a valid cached PubMed record (",
            "more than the limit LDNGRAPH_MAX_RECORD_BYTES=100000",
        ),
        environ=lambda env: {"LDNGRAPH_MAX_RECORD_BYTES": "100000"},
    ),
    # -- F8: a lone surrogate in a cached record ------------------------------------------------------
    Case(
        "pubmed-cache-lone-surrogate",  # once: every command that wrote the title crashed
        lambda env: (_cached(env, "333", _cache_record("x \\ud800 y")), _build(env))[1],
        (
            "pubmed/333.json: not a valid cached PubMed record",
            "(a lone surrogate (\\ud800-\\udfff), which is not text)",
        ),
    ),
    # -- F17: import-pubmed reads regular files only --------------------------------------------------
    Case(
        "import-pubmed-fifo",  # once: hung forever
        lambda env: (
            os.mkfifo(env.tmp / "in.xml"),
            ["import-pubmed", str(env.tmp / "in.xml"), "--cache", str(env.out / "cache")],
        )[1],
        ("in.xml: not a regular file (a FIFO, device or socket); give a file",),
    ),
    # -- F18: screening.yaml bounded, its patterns anchored with \\Z -----------------------------------
    Case(
        "screening-date-trailing-newline",  # once accepted: the patterns ended in $, not \Z
        lambda env: (
            _screening(env, '    date: "2026-11-29"\n', '    date: "2026-11-29\\n"\n'),
            _report(env),
        )[1],
        ("screening.yaml:4: search 's01': date: must be YYYY-MM-DD, not '2026-11-29\\n'",),
    ),
    Case(
        "screening-too-large",  # once read whole, whatever its size
        lambda env: (_screening(env, "searches:\n", "#" * 30_000 + "\nsearches:\n"), _report(env))[1],
        ("screening.yaml: ", "bytes is more than the limit LDNGRAPH_MAX_INPUT_BYTES=25000"),
        environ=lambda env: {"LDNGRAPH_MAX_INPUT_BYTES": "25000"},
    ),
    # -- F19: limit overrides are finite numbers ---------------------------------------------------------
    Case(
        "limit-override-inf",  # once: OverflowError (int(inf)) on every command
        _build,
        ("LDNGRAPH_MAX_INPUT_BYTES='inf': give a positive finite number",),
        environ=lambda env: {"LDNGRAPH_MAX_INPUT_BYTES": "inf"},
    ),
    Case(
        "limit-override-1e400",  # float('1e400') is infinity too
        _build,
        ("LDNGRAPH_MAX_DEPTH='1e400': give a positive finite number",),
        environ=lambda env: {"LDNGRAPH_MAX_DEPTH": "1e400"},
    ),
    # -- F20: numbers YAML 1.1 reads in ways nobody meant, and merge keys -------------------------------
    data_case(
        "yaml-base60-int",  # once: n: 190:20:30 was read as 685,230 participants
        "studies.yaml",
        "    n: 40\n",
        "    n: 190:20:30\n",
        ":7:",
        "'190:20:30' is a YAML 1.1 base-60 number",
    ),
    data_case(
        "yaml-inf",
        "studies.yaml",
        "    n: 40\n",
        "    n: 40\n    duration_weeks: .inf\n",
        ":8:",
        "'.inf' is not a finite number",
    ),
    Case(
        "yaml-float-overflow",  # once: the profile took half_n = infinity
        _profile("half_n: ", "half_n: 1.0e400 # ", "query", "claims_by_strength"),
        ("profile.yaml:", "'1.0e400' is too large for a number (it would be infinity)"),
    ),
    data_case(
        "yaml-merge-key",  # a merge key needs no alias: <<: {blinded: false} overrode the record silently
        "studies.yaml",
        "    n: 40\n",
        "    n: 40\n    <<: {blinded: false}\n",
        ":8:",
        "YAML merge keys (<<) are not allowed",
    ),
    # -- F10: LDNGRAPH_QUERY_TIMEOUT on the default (memory) store -------------------------------------
    Case(
        "query-timeout-memory",  # once: a 2 s limit ran past 30 s (the rdflib path had no limit)
        lambda env: (
            _rq(env, "cross.rq", CROSS_PRODUCT),
            ["query", str(env.tmp / "cross.rq"), "--data", str(env.data)],
        )[1],
        ("cross.rq: the query took longer than the limit LDNGRAPH_QUERY_TIMEOUT=2",),
        environ=lambda env: {"LDNGRAPH_QUERY_TIMEOUT": "2"},
    ),
    # -- F12: federated queries refused unless --allow-service -----------------------------------------
    Case(
        "query-file-service",  # once: requests to any host, past every HTTP limit
        lambda env: (
            _rq(env, "fed.rq", SERVICE_QUERY),
            ["query", str(env.tmp / "fed.rq"), "--data", str(env.data)],
        )[1],
        ("fed.rq: a federated query (SERVICE) sends requests to other servers", "pass --allow-service"),
    ),
    Case(
        "named-query-service",  # ./queries of a cloned repository shadows a shipped query's name
        lambda env: (
            (env.tmp / "queries").mkdir(),
            _rq(env, "queries/gaps.rq", SERVICE_QUERY),
            ["query", "gaps", "--data", str(env.data)],
        )[2],
        ("queries/gaps.rq: a federated query (SERVICE)", "pass --allow-service"),
    ),
    # -- F21: outputs that would become inputs, several files to '-' ----------------------------------
    Case(
        "output-into-pubmed-cache",  # once written, then read by every build as a cached record
        lambda env: (
            (env.data / "pubmed").mkdir(),
            [
                "export",
                "--data",
                str(env.data),
                "--format",
                "jsonld",
                "-o",
                str(env.data / "pubmed" / "999.json"),
            ],
        )[1],
        ("pubmed/999.json: would become an input of later runs (the PubMed cache", "pick a path outside"),
    ),
    Case(
        "output-into-queries",  # a new .rq in ./queries (a checkout's own queries) becomes a named query
        lambda env: (
            shutil.copytree(MINI.parents[2] / "queries", env.tmp / "queries"),
            ["export", "--data", str(env.data), "--format", "ttl", "-o", "queries/new.rq"],
        )[1],
        ("queries/new.rq: would become an input of later runs (the named queries",),
    ),
    Case(
        "output-into-data",  # a new screening.yaml is read by report
        lambda env: [
            "export",
            "--data",
            str(env.data),
            "--format",
            "ttl",
            "-o",
            str(env.data / "screening.yaml"),
        ],
        ("data/screening.yaml: would become an input of later runs (the curated data",),
    ),
    Case(
        "kgx-to-stdout",  # once: wrote -_nodes.jsonl, -_edges.jsonl and -_meta.json in the current directory
        lambda env: ["export", "--data", str(env.data), "--format", "kgx", "-o", "-"],
        ("-: KGX is three files", "give a file name prefix, not '-'"),
    ),
    # -- F13: figures stay a bounded size -------------------------------------------------------------
    Case(
        "figure-too-large",
        lambda env: ["plot", "evidence-map", "--data", str(env.data), "-o", str(env.out / "map.png")],
        ("out/map.png: the figure would be", "pixels, more than the limit LDNGRAPH_MAX_FIGURE_PIXELS=100000"),
        environ=lambda env: {"LDNGRAPH_MAX_FIGURE_PIXELS": "100000"},
    ),
]


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
