"""PubMed records: a frozen model and streaming parsers for PubMed XML and MEDLINE text.

PubMed XML (``PubmedArticleSet``, as E-utilities efetch returns it and as the baseline files are
distributed, ``.xml`` or ``.xml.gz``) is read with lxml ``iterparse``, clearing each record after use,
so memory stays flat on 30k-record baseline files. Biopython's ``Bio.Entrez.read`` builds the whole
document in memory and ``Bio.Entrez.parse`` cannot stream a PubmedArticleSet (see
``docs/benchmarks.md``), so it is only used for small E-utilities replies.

The parser is safe on untrusted input: no DTD is loaded, no network access, no entity expansion, no
huge-tree mode; a document that declares entities in an internal DTD subset (the "billion laughs"
and XXE vectors) is rejected outright. MEDLINE text is read with ``Bio.Medline``.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ldngraph.errors import PubMedError
from ldngraph.model import PMID_RE

#: MeSH UI of the publication type "Retracted Publication".
RETRACTED_PUBLICATION_UI = "D016441"
RETRACTED_PUBLICATION = "Retracted Publication"
#: CommentsCorrections RefTypes kept on a record (the rest are citation links we do not use).
KEPT_REF_TYPES = ("RetractionIn", "RetractionOf", "ErratumIn")
# MEDLINE-format tags for the same links (see the MEDLINE/PubMed data element descriptions).
_MEDLINE_REF_TAGS = {"RIN": "RetractionIn", "ROF": "RetractionOf", "EIN": "ErratumIn"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PublicationType(_Frozen):
    """A PubMed publication type, e.g. Journal Article (D016428)."""

    name: str = Field(description="Publication type as indexed, e.g. 'Review'")
    ui: str | None = Field(default=None, description="Its MeSH UI (XML only; MEDLINE text has none)")


class MeshHeading(_Frozen):
    """One MeSH heading: a descriptor with optional qualifiers."""

    descriptor: str = Field(description="Descriptor name, e.g. 'Naltrexone'")
    ui: str | None = Field(default=None, description="Descriptor UI (XML only)")
    major: bool = Field(default=False, description="Descriptor or a qualifier is a major topic")
    qualifiers: tuple[str, ...] = Field(default=(), description="Qualifier names, e.g. 'therapeutic use'")


class CommentCorrection(_Frozen):
    """A CommentsCorrections link: the record was retracted in / corrected in / retracts another."""

    ref_type: str = Field(description="RetractionIn, RetractionOf or ErratumIn")
    pmid: str | None = Field(default=None, description="PMID of the linked record, if given")
    ref_source: str | None = Field(default=None, description="Citation text of the linked record")


class PubMedRecord(_Frozen):
    """The fields of one PubMed record that ldngraph uses."""

    pmid: str = Field(description="PubMed ID, digits only")
    title: str | None = Field(default=None, description="Article title as indexed")
    journal: str | None = Field(default=None, description="Journal abbreviation (ISO, else MedlineTA)")
    journal_title: str | None = Field(default=None, description="Full journal title")
    year: int | None = Field(default=None, description="Publication year (journal issue date)")
    doi: str | None = Field(default=None, description="DOI, without https://doi.org/")
    pmcid: str | None = Field(default=None, description="PubMed Central ID, e.g. PMC1234567")
    authors: tuple[str, ...] = Field(default=(), description="'Surname Initials' or a collective name")
    publication_types: tuple[PublicationType, ...] = Field(default=(), description="With MeSH UIs")
    mesh_headings: tuple[MeshHeading, ...] = Field(default=(), description="MeSH indexing")
    comments_corrections: tuple[CommentCorrection, ...] = Field(
        default=(), description="RetractionIn / RetractionOf / ErratumIn links"
    )

    @field_validator("pmid")
    @classmethod
    def _pmid_digits(cls, value: str) -> str:
        if not PMID_RE.match(value):
            raise ValueError(f"PMID '{value}' must be digits only")
        return value

    @property
    def is_retracted(self) -> bool:
        """Publication type Retracted Publication, or a RetractionIn link to a retraction notice."""
        return any(
            pt.ui == RETRACTED_PUBLICATION_UI or pt.name == RETRACTED_PUBLICATION
            for pt in self.publication_types
        ) or any(cc.ref_type == "RetractionIn" for cc in self.comments_corrections)

    @property
    def publication_type_names(self) -> tuple[str, ...]:
        return tuple(pt.name for pt in self.publication_types)

    def links(self, ref_type: str) -> tuple[CommentCorrection, ...]:
        """CommentsCorrections links of one RefType, e.g. 'ErratumIn'."""
        return tuple(cc for cc in self.comments_corrections if cc.ref_type == ref_type)


# -- PubMed XML ------------------------------------------------------------------------------------

_YEAR_RE = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")


class _EofTracker(io.RawIOBase):
    """A byte stream that remembers whether the end of the input was reached."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.at_eof = False
        self.newlines = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if not data:
            self.at_eof = True
        self.newlines += data.count(b"\n")
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _text(elem: Any) -> str | None:
    if elem is None:
        return None
    text = " ".join("".join(elem.itertext()).split())
    return text or None


def _xml_year(article: Any) -> int | None:
    pub_date = article.find("Journal/JournalIssue/PubDate")
    if pub_date is not None:
        year = pub_date.findtext("Year")
        if year and year.strip().isdigit():
            return int(year)
        match = _YEAR_RE.search(pub_date.findtext("MedlineDate") or "")
        if match:
            return int(match.group(1))
    year = article.findtext("ArticleDate/Year")
    return int(year) if year and year.strip().isdigit() else None


def _xml_authors(article: Any) -> tuple[str, ...]:
    authors: list[str] = []
    for author in article.iterfind("AuthorList/Author"):
        if author.get("ValidYN", "Y") != "Y":
            continue
        last = author.findtext("LastName")
        if last:
            initials = author.findtext("Initials")
            authors.append(f"{last} {initials}" if initials else last)
        else:
            collective = _text(author.find("CollectiveName"))
            if collective:
                authors.append(collective)
    return tuple(authors)


def _xml_mesh(citation: Any) -> tuple[MeshHeading, ...]:
    headings: list[MeshHeading] = []
    mesh_list = citation.find("MeshHeadingList")
    if mesh_list is None:
        return ()
    # Per the DTD a MeshHeading is DescriptorName, QualifierName*; children are walked directly
    # (no path lookups): this loop dominates parse time.
    for heading in mesh_list:
        if len(heading) == 0 or heading[0].tag != "DescriptorName" or not heading[0].text:
            continue
        descriptor, qualifiers = heading[0], heading[1:]
        major = descriptor.get("MajorTopicYN") == "Y" or any(q.get("MajorTopicYN") == "Y" for q in qualifiers)
        headings.append(
            MeshHeading(
                descriptor=descriptor.text.strip(),
                ui=descriptor.get("UI"),
                major=major,
                qualifiers=tuple(q.text.strip() for q in qualifiers if q.text),
            )
        )
    return tuple(headings)


def _xml_comments(citation: Any) -> tuple[CommentCorrection, ...]:
    links: list[CommentCorrection] = []
    for cc in citation.iterfind("CommentsCorrectionsList/CommentsCorrections"):
        ref_type = cc.get("RefType")
        if ref_type in KEPT_REF_TYPES:
            pmid = (cc.findtext("PMID") or "").strip() or None
            links.append(
                CommentCorrection(ref_type=ref_type, pmid=pmid, ref_source=_text(cc.find("RefSource")))
            )
    return tuple(links)


def _xml_ids(elem: Any, article: Any) -> tuple[str | None, str | None]:
    # Only the record's own ArticleIdList: ReferenceList entries carry ArticleIdLists of cited papers.
    doi = pmcid = None
    for aid in elem.iterfind("PubmedData/ArticleIdList/ArticleId"):
        kind, value = aid.get("IdType"), (aid.text or "").strip()
        if kind == "doi" and value and doi is None:
            doi = value
        elif kind == "pmc" and value and pmcid is None:
            pmcid = value
    if doi is None and article is not None:
        for loc in article.iterfind("ELocationID"):
            if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") == "Y" and loc.text:
                doi = loc.text.strip()
                break
    return doi, pmcid


def _record_from_xml(elem: Any) -> PubMedRecord:
    """Extract a record from a PubmedArticle element."""
    citation = elem.find("MedlineCitation")
    if citation is None:
        raise _RecordProblem("no MedlineCitation element; is this a PubmedArticle per the PubMed DTD?")
    pmid = (citation.findtext("PMID") or "").strip()
    if not pmid:
        raise _RecordProblem("missing PMID (MedlineCitation/PMID is empty or absent)")
    if not PMID_RE.match(pmid):
        raise _RecordProblem(f"PMID '{pmid}' is not digits only")
    article = citation.find("Article")
    journal = None if article is None else article.find("Journal")
    doi, pmcid = _xml_ids(elem, article)
    return PubMedRecord(
        pmid=pmid,
        title=None if article is None else _text(article.find("ArticleTitle")),
        journal=None
        if journal is None
        else (
            (journal.findtext("ISOAbbreviation") or "").strip()
            or citation.findtext("MedlineJournalInfo/MedlineTA")
        ),
        journal_title=None if journal is None else _text(journal.find("Title")),
        year=None if article is None else _xml_year(article),
        doi=doi,
        pmcid=pmcid,
        authors=() if article is None else _xml_authors(article),
        publication_types=()
        if article is None
        else tuple(
            PublicationType(name=pt.text.strip(), ui=pt.get("UI"))
            for pt in article.iterfind("PublicationTypeList/PublicationType")
            if pt.text
        ),
        mesh_headings=_xml_mesh(citation),
        comments_corrections=_xml_comments(citation),
    )


def _open_bytes(path: Path) -> IO[bytes]:
    handle: IO[bytes] = path.open("rb")
    if handle.read(2) == b"\x1f\x8b":
        handle.seek(0)
        return gzip.GzipFile(fileobj=handle, mode="rb")  # type: ignore[return-value]
    handle.seek(0)
    return handle


def iter_pubmed_xml(source: Path | str | IO[bytes], *, name: str | None = None) -> Iterator[PubMedRecord]:
    """Stream the records of a PubmedArticleSet (a path to .xml or .xml.gz, or a binary stream).

    Raises :class:`PubMedError` naming the file, the record (PMID, else its position) and the
    problem: not XML, truncated, wrong root element, declared entities, missing PMID.
    """
    if isinstance(source, str | Path):
        path = Path(source)
        label = name or str(path)
        try:
            raw = _open_bytes(path)
        except OSError as exc:
            raise PubMedError(f"{label}: cannot read ({exc.strerror})") from None
    else:
        raw, label = source, name or "<stream>"
    try:
        yield from _iterparse(raw, label)
    finally:
        raw.close()


def _iterparse(raw: IO[bytes], label: str) -> Iterator[PubMedRecord]:
    from lxml import etree

    tracked = _EofTracker(raw)
    etree.clear_error_log()  # the log is per thread; earlier parses must not colour our messages
    # Only record ends are reported (a Python step per record, not per element); the root element
    # and the DOCTYPE are checked at the first record, or at the end for a document without any.
    context = etree.iterparse(
        tracked,
        events=("end",),
        tag=_RECORD_TAGS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        collect_ids=False,
    )
    index, last_pmid, checked = 0, None, False

    def where() -> str:
        after = f" (after PMID {last_pmid})" if last_pmid else ""
        return f"{label}: record {index + 1}{after}"

    try:
        for _, elem in context:
            if not checked:
                _check_root(elem.getroottree().getroot(), label)
                checked = True
            if elem.tag == "PubmedArticle":
                try:
                    record = _record_from_xml(elem)
                except _RecordProblem as exc:
                    raise PubMedError(f"{where()}: {exc}") from None
                last_pmid = record.pmid
                index += 1
                yield record
            # Free the record and the already-processed siblings: flat memory on baseline files.
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise PubMedError(_syntax_message(exc, label, where(), index > 0, tracked)) from None
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise PubMedError(
            f"{where()}: truncated or corrupt gzip data ({exc}); download the file again"
        ) from None
    if not checked:
        _check_root(context.root, label)


class _RecordProblem(Exception):
    """A record lacks what the DTD requires; the caller adds where it is."""


def _check_root(root: Any, label: str) -> None:
    if root is None or root.tag != "PubmedArticleSet":
        tag = "nothing" if root is None else f"<{root.tag}>"
        raise PubMedError(f"{label}: root element is {tag}, expected <PubmedArticleSet>")
    _reject_entities(root, label)


def _reject_entities(root: Any, label: str) -> None:
    dtd = root.getroottree().docinfo.internalDTD
    names = [ent.name for ent in dtd.iterentities()] if dtd is not None else []
    if names:
        raise PubMedError(
            f"{label}: the DOCTYPE declares entities ({', '.join(names[:5])}); PubMed XML never does, "
            "and they are not expanded (entity-expansion / external-entity attack?)"
        )


def _syntax_message(exc: Any, label: str, where: str, any_record: bool, tracked: _EofTracker) -> str:
    # lxml's own message can be a generic "no element found"; libxml2's latest fatal error (the log
    # is per thread and appended to) names the cause.
    log = getattr(exc, "error_log", None)
    entries = list(log.filter_from_fatals() or log) if log is not None else []
    if entries:
        msg, line = entries[-1].message, entries[-1].line
    else:
        msg = str(getattr(exc, "msg", None) or exc)
        line = exc.position[0] if getattr(exc, "position", None) else 0
    at = f" at line {line}" if line else ""
    not_xml = f"{label}: not XML ({msg}{at}); expected a PubmedArticleSet document"
    if not any_record and (line <= 1 or "Document is empty" in msg):
        return not_xml
    # A cut-off document fails on its last line, once all input is read (the message varies with
    # where the cut falls: "Premature end of data", "Couldn't find end of Start Tag", ...).
    if tracked.at_eof and line >= tracked.newlines:
        return f"{where}: truncated: the document ends early ({msg}{at}); download the file again"
    return f"{where}: malformed XML ({msg}{at})"


def read_pubmed_xml(source: Path | str | IO[bytes], *, name: str | None = None) -> list[PubMedRecord]:
    """All records of a PubmedArticleSet (see :func:`iter_pubmed_xml`)."""
    return list(iter_pubmed_xml(source, name=name))


# -- MEDLINE text ----------------------------------------------------------------------------------

_MEDLINE_PMID_RE = re.compile(r"PMID:\s*(\d+)")


def _medline_doi(rec: Any) -> str | None:
    for value in [*rec.get("LID", "").split("\n"), *rec.get("AID", [])]:
        value = value.strip()
        if value.endswith("[doi]"):
            return str(value[: -len("[doi]")].strip())
    return None


def _medline_mesh(terms: Iterable[str]) -> tuple[MeshHeading, ...]:
    headings: list[MeshHeading] = []
    for term in terms:
        descriptor, *quals = term.split("/")
        major = "*" in term
        headings.append(
            MeshHeading(
                descriptor=descriptor.lstrip("*").strip(),
                major=major,
                qualifiers=tuple(q.lstrip("*").strip() for q in quals),
            )
        )
    return tuple(headings)


def _medline_comments(rec: Any) -> tuple[CommentCorrection, ...]:
    links: list[CommentCorrection] = []
    for tag, ref_type in _MEDLINE_REF_TAGS.items():
        for text in rec.get(tag, []):
            match = _MEDLINE_PMID_RE.search(text)
            source = _MEDLINE_PMID_RE.sub("", text).strip() or None
            links.append(
                CommentCorrection(
                    ref_type=ref_type, pmid=match.group(1) if match else None, ref_source=source
                )
            )
    return tuple(links)


def _record_from_medline(rec: Any, where: str) -> PubMedRecord:
    pmid = (rec.get("PMID") or "").strip()
    if not pmid:
        raise PubMedError(f"{where}: missing PMID (no 'PMID- ' line)")
    if not PMID_RE.match(pmid):
        raise PubMedError(f"{where}: PMID '{pmid}' is not digits only")
    year_match = _YEAR_RE.search(rec.get("DP", ""))
    pmcid = (rec.get("PMC") or "").strip() or None
    title = " ".join(rec.get("TI", "").split()) or None
    return PubMedRecord(
        pmid=pmid,
        title=title,
        journal=(rec.get("TA") or "").strip() or None,
        journal_title=(rec.get("JT") or "").strip() or None,
        year=int(year_match.group(1)) if year_match else None,
        doi=_medline_doi(rec),
        pmcid=pmcid,
        authors=tuple(rec.get("AU", [])),
        publication_types=tuple(PublicationType(name=pt) for pt in rec.get("PT", [])),
        mesh_headings=_medline_mesh(rec.get("MH", [])),
        comments_corrections=_medline_comments(rec),
    )


def iter_medline(path: Path | str) -> Iterator[PubMedRecord]:
    """Stream the records of a MEDLINE-format text file (``Bio.Medline``)."""
    from Bio import Medline

    path = Path(path)
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise PubMedError(f"{path}: cannot read ({exc.strerror})") from None
    with handle:
        last = None
        try:
            for index, rec in enumerate(Medline.parse(handle)):  # type: ignore[no-untyped-call]
                after = f" (after PMID {last})" if last else ""
                record = _record_from_medline(rec, f"{path}: record {index + 1}{after}")
                last = record.pmid
                yield record
        except UnicodeDecodeError as exc:
            raise PubMedError(f"{path}: not MEDLINE text (not UTF-8: {exc.reason})") from None


def sniff_format(path: Path) -> str:
    """'xml' or 'medline', from the first bytes (gzip is looked through)."""
    try:
        with _open_bytes(path) as handle:
            head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except (OSError, EOFError) as exc:
        raise PubMedError(f"{path}: cannot read ({exc})") from None
    if head.startswith(b"PMID-"):
        return "medline"
    return "xml"


def iter_pubmed_file(path: Path | str) -> Iterator[PubMedRecord]:
    """Records of a PubMed XML (.xml, .xml.gz) or MEDLINE text file, by content."""
    path = Path(path)
    if sniff_format(path) == "medline":
        return iter_medline(path)
    return iter_pubmed_xml(path)
