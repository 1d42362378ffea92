"""The streaming parser against Biopython's Bio.Entrez.read on generated, DTD-valid records.

The parser reads a record through one flat XPath union and rebuilds authors and MeSH headings from
document order; these records vary exactly what that reconstruction depends on (authors with and
without initials, collective names, ValidYN="N" entries anywhere in the list, MeSH headings with
0-3 qualifiers and major flags on descriptor or qualifier, optional ids), and every one is checked
field by field against Biopython's independent parse of the same bytes.
"""

from __future__ import annotations

import io
import os
from html import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ldngraph.ingest.pubmed import read_pubmed_xml

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
WORD = st.text(alphabet="abcdefghij &<>éü", min_size=1, max_size=8).filter(lambda w: w.strip() == w)
YN = st.sampled_from(["Y", "N"])
AUTHOR = st.one_of(
    st.tuples(st.just("person"), WORD, st.one_of(st.none(), st.sampled_from(["A", "BC"])), YN),
    st.tuples(st.just("group"), WORD, st.none(), YN),
)
HEADING = st.tuples(WORD, YN, st.lists(st.tuples(WORD, YN), max_size=3))
RECORD = st.fixed_dictionaries(
    {
        "authors": st.lists(AUTHOR, max_size=5),
        "mesh": st.lists(HEADING, max_size=5),
        "doi": st.booleans(),
        "pmc": st.booleans(),
    }
)


def _author(kind: str, name: str, initials: str | None, valid: str) -> str:
    if kind == "group":
        return f'<Author ValidYN="{valid}"><CollectiveName>{escape(name)}</CollectiveName></Author>'
    ini = f"<Initials>{initials}</Initials>" if initials else ""
    return f'<Author ValidYN="{valid}"><LastName>{escape(name)}</LastName>{ini}</Author>'


def _xml(pmid: int, rec: dict) -> str:  # type: ignore[type-arg]
    authors = "".join(_author(*a) for a in rec["authors"])
    author_list = f'<AuthorList CompleteYN="Y">{authors}</AuthorList>' if authors else ""
    mesh = "".join(
        f'<MeshHeading><DescriptorName UI="D{pmid:06d}" MajorTopicYN="{major}">{escape(d)}</DescriptorName>'
        + "".join(
            f'<QualifierName UI="Q{pmid:06d}" MajorTopicYN="{qm}">{escape(q)}</QualifierName>'
            for q, qm in quals
        )
        + "</MeshHeading>"
        for d, major, quals in rec["mesh"]
    )
    ids = f'<ArticleId IdType="pubmed">{pmid}</ArticleId>'
    ids += f'<ArticleId IdType="doi">10.5555/x.{pmid}</ArticleId>' if rec["doi"] else ""
    ids += f'<ArticleId IdType="pmc">PMC{pmid}</ArticleId>' if rec["pmc"] else ""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2020</Year>'
        "</PubDate></JournalIssue><Title>Journal of checks</Title><ISOAbbreviation>J Chk</ISOAbbreviation>"
        f"</Journal><ArticleTitle>Record {pmid}</ArticleTitle>"
        f"<Pagination><MedlinePgn>1</MedlinePgn></Pagination>{author_list}<Language>eng</Language>"
        '<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType>'
        "</PublicationTypeList></Article><MedlineJournalInfo><MedlineTA>J Chk</MedlineTA>"
        "<NlmUniqueID>0</NlmUniqueID></MedlineJournalInfo>"
        + (f"<MeshHeadingList>{mesh}</MeshHeadingList>" if mesh else "")
        + "</MedlineCitation><PubmedData><PublicationStatus>ppublish</PublicationStatus>"
        + f"<ArticleIdList>{ids}</ArticleIdList></PubmedData></PubmedArticle>\n"
    )


def _bio_authors(article: dict) -> tuple[str, ...]:  # type: ignore[type-arg]
    out = []
    for a in article.get("AuthorList", []):
        if a.attributes.get("ValidYN", "Y") != "Y":
            continue
        if "LastName" in a:
            out.append(f"{a['LastName']} {a['Initials']}" if a.get("Initials") else str(a["LastName"]))
        else:  # a collective name is mixed content: ldngraph collapses its whitespace, as for titles
            out.append(" ".join(str(a["CollectiveName"]).split()))
    return tuple(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RECORD, min_size=1, max_size=4))
def test_agrees_with_bio_entrez_read_on_generated_records(records: list[dict]) -> None:  # type: ignore[type-arg]
    from Bio import Entrez

    data = (
        HEAD + "".join(_xml(100 + i, r) for i, r in enumerate(records)) + "</PubmedArticleSet>\n"
    ).encode()
    dtd = etree.DTD(os.path.join(os.path.dirname(Entrez.__file__), "DTDs", "pubmed_250101.dtd"))
    assert dtd.validate(etree.fromstring(data, etree.XMLParser(no_network=True))), dtd.error_log
    theirs = Entrez.read(io.BytesIO(data))["PubmedArticle"]
    ours = read_pubmed_xml(io.BytesIO(data))
    assert len(ours) == len(theirs) == len(records)
    for mine, bio in zip(ours, theirs, strict=True):
        citation = bio["MedlineCitation"]
        assert mine.pmid == str(citation["PMID"])
        assert mine.authors == _bio_authors(citation["Article"])
        expected_mesh = [
            (
                str(h["DescriptorName"]),
                h["DescriptorName"].attributes["UI"],
                h["DescriptorName"].attributes["MajorTopicYN"] == "Y"
                or any(q.attributes["MajorTopicYN"] == "Y" for q in h["QualifierName"]),
                tuple(str(q) for q in h["QualifierName"]),
            )
            for h in citation.get("MeshHeadingList", [])
        ]
        assert [(m.descriptor, m.ui, m.major, m.qualifiers) for m in mine.mesh_headings] == expected_mesh
        ids = {a.attributes["IdType"]: str(a) for a in bio["PubmedData"]["ArticleIdList"]}
        assert (mine.doi, mine.pmcid) == (ids.get("doi"), ids.get("pmc"))
        assert mine.title == str(citation["Article"]["ArticleTitle"])
        assert mine.journal == "J Chk" and mine.year == 2020
