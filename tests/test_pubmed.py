"""PubMed XML and MEDLINE parsing: every field, gzip, safety, and located errors."""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import pytest
from lxml import etree

from ldngraph.errors import PubMedError
from ldngraph.ingest.medline import iter_medline, iter_pubmed_file
from ldngraph.ingest.pubmed import (
    CommentCorrection,
    MeshHeading,
    PublicationType,
    PubMedRecord,
    read_pubmed_xml,
)

RES = Path(__file__).parent / "resources" / "pubmed"
HEAD = b'<?xml version="1.0"?>\n'
JA = PublicationType(name="Journal Article", ui="D016428")


def _one(name: str) -> PubMedRecord:
    (record,) = read_pubmed_xml(RES / name)
    return record


@pytest.mark.parametrize("name", ["article.xml", "review.xml", "retracted.xml", "retraction_in.xml"])
def test_fixtures_are_valid_per_the_pubmed_dtd(name: str) -> None:
    from Bio import Entrez

    dtd = etree.DTD(os.path.join(os.path.dirname(Entrez.__file__), "DTDs", "pubmed_250101.dtd"))
    doc = etree.parse(str(RES / name), etree.XMLParser(load_dtd=False, no_network=True))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()


@pytest.mark.parametrize("name", ["article.xml", "review.xml", "retracted.xml", "retraction_in.xml"])
def test_agrees_with_bio_entrez_read(name: str) -> None:
    from Bio import Entrez

    with (RES / name).open("rb") as handle:
        theirs = Entrez.read(handle)["PubmedArticle"]
    ours = read_pubmed_xml(RES / name)
    assert [r.pmid for r in ours] == [str(a["MedlineCitation"]["PMID"]) for a in theirs]
    assert [r.year for r in ours if r.pmid != "222"] == [
        int(a["MedlineCitation"]["Article"]["Journal"]["JournalIssue"]["PubDate"]["Year"])
        for a in theirs
        if a["MedlineCitation"]["PMID"] != "222"
    ]


def test_journal_article_every_field() -> None:
    r = _one("article.xml")
    assert r.pmid == "111"
    assert (
        r.title == "A fictional trial of low-dose naltrexone in test fixture fibromyalgia."
    )  # <i> text kept
    assert r.journal == "J Imag Pharmacol"
    assert r.journal_title == "Journal of imaginary pharmacology"
    assert r.year == 2021  # the issue date, not the 2020 ArticleDate
    assert r.doi == "10.5555/fake.111"  # not the reference list's DOI
    assert r.pmcid == "PMC1111111"  # not the reference list's PMC id
    assert r.authors == ("Testperson AB", "Fixture C", "Imaginary LDN Study Group")  # ValidYN="N" dropped
    assert r.publication_types == (JA, PublicationType(name="Randomized Controlled Trial", ui="D016449"))
    assert r.mesh_headings == (
        MeshHeading(descriptor="Fibromyalgia", ui="D005356", major=True, qualifiers=("drug therapy",)),
        MeshHeading(descriptor="Humans", ui="D006801", major=False),
        MeshHeading(
            descriptor="Naltrexone",
            ui="D009271",
            major=True,
            qualifiers=("administration & dosage", "therapeutic use"),
        ),
    )
    assert r.comments_corrections == ()  # CommentIn is not kept
    assert not r.is_retracted


def test_review_with_medline_date_and_elocation_doi() -> None:
    r = _one("review.xml")
    assert (r.pmid, r.year, r.doi, r.pmcid) == ("222", 2019, "10.5555/FAKE.222", None)
    assert r.title == "Glia and opioid antagonists: an invented narrative review"
    assert (r.journal, r.journal_title) == ("Fict Rev Glial Sci", "Fictional reviews in glial science")
    assert r.authors == ("Reviewer D",)
    assert r.publication_types == (JA, PublicationType(name="Review", ui="D016454"))
    assert r.publication_type_names == ("Journal Article", "Review")
    assert r.mesh_headings == () and r.comments_corrections == ()
    assert not r.is_retracted


def test_retracted_publication_and_its_notice() -> None:
    retracted, notice = read_pubmed_xml(RES / "retracted.xml")
    assert (retracted.pmid, retracted.year, retracted.doi) == ("333", 2018, "10.5555/fake.333")
    assert retracted.title == "An invented study that was later retracted"
    assert retracted.journal == "Made-up Lett Med" and retracted.authors == ("Doe J",)
    assert retracted.publication_types == (JA, PublicationType(name="Retracted Publication", ui="D016441"))
    assert retracted.comments_corrections == (
        CommentCorrection(ref_type="RetractionIn", pmid="444", ref_source="Made-up Lett Med. 2019;6:1."),
    )
    assert retracted.is_retracted
    # the retraction notice itself is not retracted
    assert notice.pmid == "444" and notice.authors == () and not notice.is_retracted
    assert notice.publication_types == (PublicationType(name="Retraction of Publication", ui="D016440"),)
    assert notice.links("RetractionOf") == (
        CommentCorrection(ref_type="RetractionOf", pmid="333", ref_source="Made-up Lett Med. 2018;5:1."),
    )


def test_retraction_in_link_alone_marks_retracted() -> None:
    r = _one("retraction_in.xml")
    assert r.publication_types == (JA,)  # not (yet) typed Retracted Publication
    assert r.is_retracted
    assert r.links("ErratumIn") == (
        CommentCorrection(ref_type="ErratumIn", pmid="556", ref_source="Pretend J Trials. 2022;1:7."),
    )
    assert [c.pmid for c in r.links("RetractionIn")] == ["557"]
    # no ISOAbbreviation: MedlineTA is the journal abbreviation
    assert (r.journal, r.journal_title, r.year, r.doi) == (
        "Pretend J Trials",
        "Pretend journal of trials",
        2022,
        None,
    )


def test_medline_every_field() -> None:
    first, notice = iter_medline(RES / "records.medline")
    assert first.pmid == "666"
    assert first.title == (
        "An invented MEDLINE-format record about low-dose naltrexone used only as a parser test fixture."
    )
    assert (first.journal, first.journal_title, first.year) == (
        "Fict Med Text",
        "Fictional medline texts",
        2020,
    )
    assert (first.doi, first.pmcid) == ("10.5555/fake.666", "PMC6666666")
    assert first.authors == ("Medline E", "Textformat T")
    assert first.publication_types == (
        PublicationType(name="Journal Article"),
        PublicationType(name="Retracted Publication"),
    )
    assert first.mesh_headings == (
        MeshHeading(descriptor="Humans"),
        MeshHeading(
            descriptor="Naltrexone", major=True, qualifiers=("administration & dosage", "therapeutic use")
        ),
        MeshHeading(descriptor="Pain", major=True),
    )
    assert first.comments_corrections == (
        CommentCorrection(ref_type="RetractionIn", pmid="777", ref_source="Fict Med Text. 2021;3:2."),
        CommentCorrection(ref_type="ErratumIn", pmid="778", ref_source="Fict Med Text. 2020;2:9."),
    )
    assert first.is_retracted
    assert (notice.pmid, notice.year, notice.doi, notice.is_retracted) == (
        "777",
        2021,
        "10.5555/fake.777",
        False,
    )
    assert notice.links("RetractionOf")[0].pmid == "666"


def test_gzip_and_format_sniffing(tmp_path: Path) -> None:
    gz = tmp_path / "pubmed25n0001.xml.gz"
    gz.write_bytes(gzip.compress((RES / "retracted.xml").read_bytes()))
    assert [r.pmid for r in iter_pubmed_file(gz)] == ["333", "444"]
    assert [r.pmid for r in iter_pubmed_file(RES / "records.medline")] == ["666", "777"]


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("source", "name", "pmids"),
    [
        ("records.medline", "bom.medline", ["666", "777"]),
        ("records.medline", "bom.medline.gz", ["666", "777"]),
        ("retracted.xml", "bom.xml", ["333", "444"]),
        ("retracted.xml", "bom.xml.gz", ["333", "444"]),
    ],
)
def test_utf8_byte_order_mark_is_skipped(tmp_path: Path, source: str, name: str, pmids: list[str]) -> None:
    """Windows editors save UTF-8 with a BOM; the sniffer skips it, and so must both parsers."""
    data = BOM + (RES / source).read_bytes()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert [r.pmid for r in iter_pubmed_file(path)] == pmids
    assert list(iter_pubmed_file(path)) == list(iter_pubmed_file(RES / source))


def test_gzipped_medline_truncated(tmp_path: Path) -> None:
    path = tmp_path / "cut.medline.gz"
    path.write_bytes(gzip.compress((RES / "records.medline").read_bytes())[:40])
    with pytest.raises(PubMedError, match=r"cut\.medline\.gz: cannot read"):
        list(iter_medline(path))


def test_records_are_frozen() -> None:
    r = _one("review.xml")
    with pytest.raises(ValueError):
        r.pmid = "1"  # type: ignore[misc]


# -- bad input ------------------------------------------------------------------------------------

ARTICLE = (RES / "article.xml").read_bytes()
DOCTYPE_ENTITIES = HEAD + (
    b'<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>\n'
    b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
    b"<ArticleTitle>&c;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
)
EXTERNAL_ENTITY = HEAD + (
    b'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
    b"<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"
)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (ARTICLE[: ARTICLE.index(b"<MeshHeadingList>") + 40], r"bad\.xml: record 1: truncated"),
        (
            ARTICLE.replace(b"</PubmedArticleSet>", b"") + ARTICLE[ARTICLE.index(b"<PubmedArticle>") : -300],
            r"bad\.xml: record 2 \(after PMID 111\): truncated",
        ),
        (b"PMID- 123\nTI  - this is MEDLINE text named .xml\n", r"bad\.xml: not XML"),
        (b"", r"bad\.xml: not XML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", r"bad\.xml: not XML"),
        (HEAD + b"<eFetchResult><ERROR>Bad id</ERROR></eFetchResult>", r"root element is <eFetchResult>"),
        (HEAD + b"<Root><PubmedArticle/></Root>", r"root element is <Root>, expected <PubmedArticleSet>"),
        (
            HEAD + b"<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID></PMID></MedlineCitation>"
            b"</PubmedArticle></PubmedArticleSet>",
            r"bad\.xml: record 1: missing PMID",
        ),
        (
            ARTICLE.replace(b"</PubmedArticleSet>", b"")
            + b"<PubmedArticle><MedlineCitation><Article/></MedlineCitation></PubmedArticle>"
            + b"</PubmedArticleSet>",
            r"bad\.xml: record 2 \(after PMID 111\): missing PMID",
        ),
        (HEAD + b"<PubmedArticleSet><PubmedArticle><Bad></PubmedArticle>", r"record 1: malformed XML"),
        (DOCTYPE_ENTITIES, r"DOCTYPE declares entities \(a, b, c\)"),
        (EXTERNAL_ENTITY, r"DOCTYPE declares entities \(x\)"),
    ],
    ids=[
        "truncated-first",
        "truncated-second",
        "medline-as-xml",
        "empty",
        "binary",
        "efetch-error",
        "wrong-root",
        "empty-pmid",
        "no-pmid",
        "mismatched-tag",
        "billion-laughs",
        "external-entity",
    ],
)
def test_bad_xml_gives_located_pubmed_error(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(data)
    with pytest.raises(PubMedError, match=message) as info:
        read_pubmed_xml(path)
    assert "\n" not in str(info.value)


def test_every_truncation_point_says_truncated() -> None:
    data = (RES / "retracted.xml").read_bytes()
    start = data.index(b"<PubmedArticleSet>")
    for cut in range(start, len(data) - len(b"</PubmedArticleSet>\n") + 1):
        with pytest.raises(PubMedError, match=r"^cut: (record [123].*: )?truncated"):
            read_pubmed_xml(io.BytesIO(data[:cut]), name="cut")
    assert len(read_pubmed_xml(io.BytesIO(data[:-1]), name="cut")) == 2  # only the final newline cut


def test_every_truncation_point_of_a_file_says_truncated(tmp_path: Path) -> None:
    """Files are parsed without counting lines on the way (they are counted after a failure)."""
    data = (RES / "retracted.xml").read_bytes()
    start = data.index(b"<PubmedArticleSet>")
    path = tmp_path / "cut.xml"
    for cut in range(start, len(data) - len(b"</PubmedArticleSet>\n") + 1, 7):
        path.write_bytes(data[:cut])
        with pytest.raises(PubMedError, match=r"^cut\.xml: (record [123].*: )?truncated"):
            read_pubmed_xml(path, name="cut.xml")


def test_truncated_gzip(tmp_path: Path) -> None:
    gz = gzip.compress(ARTICLE * 1)
    path = tmp_path / "cut.xml.gz"
    path.write_bytes(gz[: len(gz) // 2])
    with pytest.raises(PubMedError, match=r"cut\.xml\.gz: .*(truncated|corrupt)"):
        read_pubmed_xml(path)


def test_entities_are_never_expanded_nor_files_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    data = EXTERNAL_ENTITY.replace(b"file:///etc/passwd", secret.as_uri().encode())
    with pytest.raises(PubMedError) as info:
        read_pubmed_xml(io.BytesIO(data), name="upload")
    assert "TOP-SECRET" not in str(info.value) and "upload" in str(info.value)


def test_medline_without_pmid(tmp_path: Path) -> None:
    path = tmp_path / "bad.medline"
    path.write_text("PMID- 5\nTI  - ok\n\nTI  - no pmid here\n", encoding="utf-8")
    with pytest.raises(PubMedError, match=r"bad\.medline: record 2 \(after PMID 5\): missing PMID"):
        list(iter_medline(path))


def test_missing_file() -> None:
    with pytest.raises(PubMedError, match=r"nope\.xml: cannot read"):
        read_pubmed_xml(RES / "nope.xml")
