"""Citation verification against cached PubMed records, retraction flags in the graph, triage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fake_eutils import FakeEutils, serve
from rdflib import Literal

from ldngraph.cli import cli
from ldngraph.ingest.cache import PubMedCache, import_files
from ldngraph.ingest.citations import apply_verification, normalise_title, verify_citations
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.model import CitationStatus, PubMedCheck
from ldngraph.pipeline import load
from ldngraph.rdf.vocab import LDN, publication_iri

RES = Path(__file__).parent / "resources" / "pubmed"


@pytest.fixture
def cached(mini_copy: Path) -> Path:
    """The mini data set with PubMed records for PMID 111 (title/year differ) and 333 (retracted)."""
    import_files(PubMedCache(mini_copy / "pubmed.sqlite"), [RES / "article.xml", RES / "retracted.xml"])
    return mini_copy


def test_normalised_titles() -> None:
    assert normalise_title("Low-Dose Naltrexone: An Update.") == normalise_title(
        "low dose naltrexone an update"
    )
    assert normalise_title("[Naltrexone in Crohn's disease]") == normalise_title(
        "Naltrexone in Crohn’s disease"
    )
    assert normalise_title("Naltrexone in pain") != normalise_title("Naltrexone in fatigue")


def test_verify_statuses_and_differing_fields(cached: Path) -> None:
    kb = read_knowledge_base(cached)
    checks = {c.publication: c for c in verify_citations(kb, PubMedCache(cached / "pubmed.sqlite"))}
    mismatch = checks["PMID:111"]
    assert mismatch.check is PubMedCheck.mismatch and not mismatch.retracted
    assert [(d.field, d.curated, d.pubmed) for d in mismatch.differences] == [
        (
            "title",
            "A fixture trial",
            "A fictional trial of low-dose naltrexone in test fixture fibromyalgia.",
        ),
        ("year", "2020", "2021"),
    ]
    resolved = checks["PMID:333"]  # unresolved in data/, nothing curated to contradict
    assert resolved.check is PubMedCheck.verified and resolved.retracted
    assert resolved.retraction_notices == ("444",)
    unchecked = checks["DOI:10.1000/fixture.2"]  # no PMID, nothing to look up
    assert (unchecked.check, unchecked.reason) == (PubMedCheck.unresolved, "no_pmid")
    assert mismatch.reason is None and resolved.reason is None


def test_matching_record_is_verified(cached: Path) -> None:
    pubs = (cached / "publications.yaml").read_text()
    pubs = pubs.replace(
        "title: A fixture trial\n    year: 2020",
        "title: a fictional trial of LOW DOSE naltrexone in test fixture fibromyalgia\n    year: 2021",
    )
    (cached / "publications.yaml").write_text(pubs)
    kb = read_knowledge_base(cached)
    (check,) = [c for c in verify_citations(kb, PubMedCache(cached / "pubmed.sqlite")) if c.pmid == "111"]
    assert check.check is PubMedCheck.verified and check.differences == ()


def test_apply_verification_flags_and_resolves(cached: Path) -> None:
    kb = read_knowledge_base(cached)
    new = apply_verification(kb, PubMedCache(cached / "pubmed.sqlite"))
    assert kb.publication_index["PMID:333"].title is None  # the input is untouched
    pubs = new.publication_index
    p333 = pubs["PMID:333"]
    assert p333.retracted and p333.status is CitationStatus.verified
    assert p333.title == "An invented study that was later retracted" and p333.year == 2018
    assert p333.sources == ("https://pubmed.ncbi.nlm.nih.gov/333/",)
    assert p333.publication_types == ("Journal Article", "Retracted Publication")
    p111 = pubs["PMID:111"]
    assert p111.pubmed_check is PubMedCheck.mismatch and p111.pubmed_mismatch == ("title", "year")
    assert p111.status is CitationStatus.content_match  # PubMed contradicts the curated "verified"
    assert p111.title == "A fixture trial"  # curated values are kept, never overwritten
    assert pubs["DOI:10.1000/fixture.2"] == kb.publication_index["DOI:10.1000/fixture.2"]


def test_pipeline_graph_carries_the_outcome(cached: Path, mini_dir: Path) -> None:
    graph = load(cached).graph
    p333, p111 = publication_iri("PMID:333"), publication_iri("PMID:111")
    assert graph.value(p333, LDN.retracted) == Literal(True)
    assert graph.value(p333, LDN.pubmedCheck) == Literal("verified")
    assert set(graph.objects(p111, LDN.pubmedMismatch)) == {Literal("title"), Literal("year")}
    assert graph.value(p111, LDN.citationStatus) == Literal("content_match")
    # without a cache nothing changes
    plain = load(mini_dir).graph
    assert plain.value(p333, LDN.retracted) == Literal(False)
    assert plain.value(p333, LDN.pubmedCheck) is None


def test_cli_verify_citations_json_and_table(cached: Path) -> None:
    result = CliRunner().invoke(cli, ["verify-citations", "--data", str(cached), "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["summary"] == {"verified": 1, "mismatch": 1, "unresolved": 1, "retracted": 1}
    row = next(r for r in out["publications"] if r["publication"] == "PMID:111")
    assert [d["field"] for d in row["differences"]] == ["title", "year"]
    table = CliRunner().invoke(cli, ["verify-citations", "--data", str(cached)])
    assert table.exit_code == 0
    assert "PMID:333         verified                  RETRACTED" in table.stdout
    assert "DOI:10.1000/fixture.2 unresolved (no pmid)" in table.stdout
    assert "year: curated '2020' vs PubMed '2021'" in table.stdout


def test_cli_import_pubmed_rejects_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes((RES / "retracted.xml").read_bytes()[:-200])
    cache = tmp_path / "cache.sqlite"
    result = CliRunner().invoke(
        cli, ["import-pubmed", str(RES / "article.xml"), str(bad), "--cache", str(cache)]
    )
    assert result.exit_code == 1
    assert "bad.xml: record 2 (after PMID 333): truncated" in str(result.exception)
    assert not cache.exists() and list(tmp_path.iterdir()) == [bad]


def test_cli_import_pubmed_merges(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    files = [str(RES / "article.xml"), str(RES / "records.medline")]
    result = CliRunner().invoke(cli, ["import-pubmed", *files, "--cache", str(cache)])
    assert result.exit_code == 0, result.output
    assert PubMedCache(cache).pmids() == {"111", "666", "777"}


@pytest.fixture
def eutils() -> Iterator[FakeEutils]:
    state = FakeEutils()
    state.add(["111", "901", "902", "903"], retracted=["903"])
    state.searches["low dose naltrexone"] = ["901", "111", "902", "903"]
    with serve(state) as running:
        yield running


def test_cli_triage_lists_uncited_hits(
    eutils: FakeEutils, mini_copy: Path, monkeypatch: pytest.MonkeyPatch, edit: Callable[..., Path]
) -> None:
    monkeypatch.setenv("NCBI_EMAIL", "test@example.org")
    monkeypatch.setenv("LDNGRAPH_CONFIG", str(mini_copy / "none.toml"))
    args = ["triage", "--query", "low dose naltrexone", "--data", str(mini_copy), "--base-url", eutils.url]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [i["pmid"] for i in items] == ["901", "902", "903"]  # 111 is cited by data/
    assert items[0]["title"] == "Fake record 901 & friends" and items[0]["year"] == 2020
    assert (
        items[2]["publication_types"] == ["Journal Article", "Retracted Publication"]
        and items[2]["retracted"]
    )
    assert PubMedCache(mini_copy / "pubmed.sqlite").pmids() == {"111", "901", "902", "903"}
    table = CliRunner().invoke(cli, args)
    assert "903" in table.stdout and "[RETRACTED]" in table.stdout
    assert len(eutils.requests("efetch")) == 1  # the second run found everything cached


def test_shipped_data_with_an_empty_cache_is_all_unresolved(tmp_path: Path) -> None:
    """Nothing fetched yet: every PMID of data/ is unresolved (not in cache), exit 0, and
    --missing-pmids lists exactly those PMIDs for `ldngraph fetch`."""
    from ldngraph.locations import get_data_dir

    pmids = [p.pmid for p in read_knowledge_base(get_data_dir()).publications if p.pmid]
    assert len(pmids) >= 10  # the seed cites many PMIDs
    empty = tmp_path / "no-cache-yet.sqlite"
    run = CliRunner().invoke(cli, ["verify-citations", "--cache", str(empty), "--format", "json"])
    assert run.exit_code == 0, run.output
    out = json.loads(run.stdout)
    rows = {r["pmid"]: r for r in out["publications"] if r["pmid"]}
    assert list(rows) == list(dict.fromkeys(pmids))
    assert {(r["check"], r["reason"]) for r in rows.values()} == {("unresolved", "not_in_cache")}
    assert out["summary"]["unresolved"] == len(out["publications"]) and out["summary"]["verified"] == 0
    assert "is empty: with network access run `ldngraph fetch" in run.stderr
    listed = CliRunner().invoke(cli, ["verify-citations", "--cache", str(empty), "--missing-pmids"])
    assert listed.exit_code == 0 and listed.stdout.split() == list(dict.fromkeys(pmids))
    table = CliRunner().invoke(cli, ["verify-citations", "--cache", str(empty)])
    assert table.exit_code == 0
    assert table.stdout.count("unresolved (not in cache)") == len(set(pmids))
    assert not empty.exists()  # reading never creates the cache


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<PubDate><Year>2018</Year></PubDate>", b"<PubDate><Year>1850</Year></PubDate>"),
        (b'"doi">10.5555/fake.333<', b'"doi">https://doi.org/10.5555/fake.333<'),
        (
            b'<ArticleId IdType="pubmed">333</ArticleId>',
            b'<ArticleId IdType="pubmed">333</ArticleId><ArticleId IdType="pmc">12345</ArticleId>',
        ),
    ],
    ids=["year-1850", "doi-as-url", "pmc-without-PMC"],
)
def test_an_odd_cached_record_does_not_break_the_graph_commands(
    mini_copy: Path, tmp_path: Path, old: bytes, new: bytes
) -> None:
    """Issue 15, point 3: a value PubMed has but the curated model refuses is not copied."""
    xml = (RES / "retracted.xml").read_bytes()
    assert old in xml
    odd = tmp_path / "odd.xml"
    odd.write_bytes(xml.replace(old, new, 1))
    import_files(PubMedCache(mini_copy / "pubmed.sqlite"), [odd])
    built = load(mini_copy)  # raised a pydantic ValidationError before
    pub = next(p for p in built.kb.publications if p.pmid == "333")
    assert pub.pubmed_check is PubMedCheck.verified and pub.retracted
    assert pub.year != 1850 and pub.doi in (None, "10.5555/fake.333") and pub.pmcid is None
    assert pub.title  # the valid fields are still filled from PubMed


def test_a_huge_year_does_not_crash_the_import(tmp_path: Path) -> None:
    xml = (
        (RES / "retracted.xml")
        .read_bytes()
        .replace(
            b"<PubDate><Year>2018</Year></PubDate>",
            b"<PubDate><Year>" + b"9" * 5000 + b"</Year></PubDate>",
            1,
        )
    )
    (tmp_path / "big.xml").write_bytes(xml)
    cache = PubMedCache(tmp_path / "cache.sqlite")
    import_files(cache, [tmp_path / "big.xml"])
    record = cache.get("333")
    assert record is not None and record.year is None  # no year rather than a 5,000-digit one
