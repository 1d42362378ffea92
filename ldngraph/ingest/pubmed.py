"""PubMed records: a frozen model and streaming parsers for PubMed XML and MEDLINE text.

PubMed XML (``PubmedArticleSet``, as E-utilities efetch returns it and as the baseline files are
distributed, ``.xml`` or ``.xml.gz``) is read with lxml ``iterparse``, clearing each record after use,
so memory stays flat on 30k-record baseline files. Biopython's ``Bio.Entrez.read`` builds the whole
document in memory and ``Bio.Entrez.parse`` cannot stream a PubmedArticleSet (see
``docs/benchmarks.md``); it also downloads any DTD it does not bundle, so ldngraph does not use it
(the tests cross-check this parser against it).

The parser is safe on untrusted input: no DTD is loaded, no network access, no entity expansion, no
huge-tree mode; a document that declares entities in an internal DTD subset (the "billion laughs"
and XXE vectors) is rejected outright. MEDLINE text is read with ``Bio.Medline``.
"""

from __future__ import annotations

import functools
import gzip
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ldngraph.errors import PubMedError
from ldngraph.limits import PUBMED_BYTES, RECORD_BYTES, RECORD_ELEMENTS, RECORDS, LimitError, open_regular
from ldngraph.model import NCT_RE, PMID_RE

#: MeSH UI of the publication type "Retracted Publication".
RETRACTED_PUBLICATION_UI = "D016441"
RETRACTED_PUBLICATION = "Retracted Publication"
#: CommentsCorrections RefTypes kept on a record (the rest are citation links we do not use).
KEPT_REF_TYPES = ("RetractionIn", "RetractionOf", "ErratumIn")
# MEDLINE-format tags for the same links (see the MEDLINE/PubMed data element descriptions).


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


class DataBank(_Frozen):
    """A DataBankList entry: where the study's data or registration is, e.g. ClinicalTrials.gov."""

    name: str = Field(description="DataBankName, e.g. 'ClinicalTrials.gov', 'ISRCTN', 'EudraCT'")
    accession_numbers: tuple[str, ...] = Field(default=(), description="AccessionNumber values as given")


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
    databanks: tuple[DataBank, ...] = Field(
        default=(), description="DataBankList: trial registries and data banks with accession numbers"
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

    @property
    def registry_ids(self) -> tuple[str, ...]:
        """ClinicalTrials.gov NCT numbers of the record's DataBankList (issue 25: drafts link them)."""
        return tuple(
            acc.strip().upper()
            for bank in self.databanks
            if bank.name.strip().lower() == "clinicaltrials.gov"
            for acc in bank.accession_numbers
            if NCT_RE.match(acc.strip().upper())
        )

    def links(self, ref_type: str) -> tuple[CommentCorrection, ...]:
        """CommentsCorrections links of one RefType, e.g. 'ErratumIn'."""
        return tuple(cc for cc in self.comments_corrections if cc.ref_type == ref_type)


# -- PubMed XML ------------------------------------------------------------------------------------

YEAR_RE = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")


class _EofTracker(io.RawIOBase):
    """A byte stream that remembers whether the end of the input was reached (libxml2 asks for more
    input after the end only when a document stops early: the signature of a truncated file), and
    optionally counts newlines (for streams, which cannot be read again to count them)."""

    def __init__(self, raw: IO[bytes], *, count_lines: bool, label: str = "<stream>") -> None:
        self._raw = raw
        self._count = count_lines
        self.at_eof = False
        self.newlines = 0
        self.total = 0
        self.cap = PUBMED_BYTES.as_int()
        self.label = label
        #: Called before each read: the parser has handed every finished element over by then.
        self.before_read: Callable[[], None] | None = None
        # Bytes and start tags read since the last record ended (:meth:`mark`): lxml builds a
        # record whole before handing it over, so its size is bounded here, as it is read (F6).
        self.record_cap, self.element_cap = RECORD_BYTES.as_int(), RECORD_ELEMENTS.as_int()
        self.record_bytes = self.record_tags = 0
        #: Names the record being read (file, number, PMID before it), for messages.
        self.where: Callable[[], str] = lambda: label

    def mark(self) -> None:
        """A record ended: count the next one from here."""
        self.record_bytes = self.record_tags = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.before_read is not None:
            self.before_read()
        data = self._raw.read(size)
        self.total += len(data)
        if self.total > self.cap:
            raise LimitError(f"{self.label}: more than the {PUBMED_BYTES.hint()} (decompressed)")
        self.record_bytes += len(data)
        self.record_tags += data.count(b"<") - data.count(b"</")  # start tags, about one per element
        if self.record_bytes > self.record_cap:
            raise LimitError(f"{self.where()}: more than the {RECORD_BYTES.hint()}")
        if self.record_tags > self.element_cap:
            raise LimitError(f"{self.where()}: more than the {RECORD_ELEMENTS.hint()} (XML elements)")
        if not data:
            self.at_eof = True
        elif self._count:
            self.newlines += data.count(b"\n")
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _text(elem: Any) -> str | None:
    """Text of a mixed-content element (e.g. an ArticleTitle with <i>), whitespace collapsed."""
    if elem is None:
        return None
    text = " ".join("".join(elem.itertext()).split())
    return text or None


def _stripped(elem: Any) -> str:
    return (elem.text or "").strip()


# Everything a record needs, as ONE compiled XPath union evaluated in C per record. The nodes come
# back in document order, so a MeSH QualifierName follows its DescriptorName and an author's
# Initials follow its LastName: one flat Python loop dispatching on the
# tag rebuilds the structure without a path lookup per field (the earlier per-field find/findtext
# walk cost ~2x as much). Predicates (ValidYN, IdType, RefType) are checked in Python where that is
# cheaper than in XPath. Paths are relative to PubmedArticle; ReferenceList ids are not reached.
_RECORD_PARTS = (
    "MedlineCitation",
    "MedlineCitation/PMID",
    "MedlineCitation/Article/Journal/JournalIssue/PubDate/Year",
    "MedlineCitation/Article/Journal/JournalIssue/PubDate/MedlineDate",
    "MedlineCitation/Article/Journal/Title",
    "MedlineCitation/Article/Journal/ISOAbbreviation",
    "MedlineCitation/Article/ArticleTitle",
    "MedlineCitation/Article/ELocationID",
    "MedlineCitation/Article/AuthorList/Author[@ValidYN='N']",
    "MedlineCitation/Article/AuthorList/Author/LastName",
    "MedlineCitation/Article/AuthorList/Author/Initials",
    "MedlineCitation/Article/AuthorList/Author/CollectiveName",
    "MedlineCitation/Article/PublicationTypeList/PublicationType",
    "MedlineCitation/Article/ArticleDate/Year",
    "MedlineCitation/Article/DataBankList/DataBank/DataBankName",
    "MedlineCitation/Article/DataBankList/DataBank/AccessionNumberList/AccessionNumber",
    "MedlineCitation/MedlineJournalInfo/MedlineTA",
    "MedlineCitation/CommentsCorrectionsList/CommentsCorrections",
    "MedlineCitation/MeshHeadingList/MeshHeading/*",
    "PubmedData/ArticleIdList/ArticleId",
)


@functools.cache
def _record_parts() -> Any:
    from lxml import etree

    return etree.XPath(" | ".join(_RECORD_PARTS), smart_strings=False)


def _record_from_xml(elem: Any) -> PubMedRecord:
    """Extract a record from a PubmedArticle element (see ``_RECORD_PARTS``)."""
    nodes = _record_parts()(elem)
    if not nodes or nodes[0].tag != "MedlineCitation":
        raise _RecordProblem("no MedlineCitation element; is this a PubmedArticle per the PubMed DTD?")
    pmid = title = journal = medline_ta = journal_title = doi = eloc_doi = pmcid = None
    year: int | None = None
    article_year: int | None = None
    authors: list[list[Any]] = []
    author: list[Any] = [None, None, None, None]  # LastName, Initials, CollectiveName, Author element
    invalid: list[Any] = []  # Author elements marked ValidYN="N" (rare): PubMed keeps them, we drop them
    pub_types: list[dict[str, Any]] = []
    mesh: list[dict[str, Any]] = []
    heading: dict[str, Any] | None = None
    links: list[dict[str, Any]] = []
    banks: list[dict[str, Any]] = []
    for node in nodes[1:]:
        tag = node.tag
        if tag == "QualifierName":  # MeSH: qualifiers of the heading begun by the last descriptor
            if heading is not None:
                heading["major"] = heading["major"] or node.get("MajorTopicYN") == "Y"
                if node.text:
                    heading["qualifiers"].append(node.text.strip())
        elif tag == "DescriptorName":
            text = _stripped(node)
            heading = None
            if text:
                major = node.get("MajorTopicYN") == "Y"
                heading = {"descriptor": text, "ui": node.get("UI"), "major": major, "qualifiers": []}
                mesh.append(heading)
        elif tag == "LastName":  # per the DTD an Author is LastName, ForeName?, Initials? | CollectiveName
            author = [node.text, None, None, node.getparent() if invalid else None]
            authors.append(author)
        elif tag == "Initials":
            author[1] = node.text
        elif tag == "CollectiveName":
            author = [None, None, _text(node), node.getparent() if invalid else None]
            authors.append(author)
        elif tag == "Author":  # only those with ValidYN="N"; they precede their names
            invalid.append(node)
        elif tag == "ArticleId":  # the record's own ids, first of each kind
            kind, value = node.get("IdType"), _stripped(node)
            if kind == "doi" and value and doi is None:
                doi = value
            elif kind == "pmc" and value and pmcid is None:
                pmcid = value
        elif tag == "PublicationType":
            if node.text:
                pub_types.append({"name": node.text.strip(), "ui": node.get("UI")})
        elif tag == "PMID":
            pmid = _stripped(node)
        elif tag == "Year":  # the journal issue's year wins over the electronic ArticleDate
            text = _stripped(node)
            if text.isascii() and text.isdigit() and len(text) <= 4:  # a 5,000-digit "year" is no year
                if node.getparent().tag == "PubDate":
                    year = int(text)
                elif article_year is None:
                    article_year = int(text)
        elif tag == "MedlineDate":  # e.g. "2019 Jan-Feb"
            match = YEAR_RE.search(node.text or "")
            if match and year is None:
                year = int(match.group(1))
        elif tag == "ArticleTitle":
            title = _text(node)
        elif tag == "Title":
            journal_title = _text(node)
        elif tag == "ISOAbbreviation":
            journal = _stripped(node) or None
        elif tag == "MedlineTA":
            medline_ta = _stripped(node) or None
        elif tag == "ELocationID":
            valid = node.get("EIdType") == "doi" and node.get("ValidYN", "Y") == "Y"
            if valid and eloc_doi is None and node.text:
                eloc_doi = node.text.strip()
        elif tag == "DataBankName":  # per the DTD its AccessionNumbers follow it
            banks.append({"name": _stripped(node), "accession_numbers": []})
        elif tag == "AccessionNumber":
            if banks and _stripped(node):
                banks[-1]["accession_numbers"].append(_stripped(node))
        elif tag == "CommentsCorrections" and node.get("RefType") in KEPT_REF_TYPES:
            ref_pmid = (node.findtext("PMID") or "").strip() or None
            links.append(
                {
                    "ref_type": node.get("RefType"),
                    "pmid": ref_pmid,
                    "ref_source": _text(node.find("RefSource")),
                }
            )
    if not pmid:
        raise _RecordProblem("missing PMID (MedlineCitation/PMID is empty or absent)")
    if not PMID_RE.match(pmid):
        raise _RecordProblem(f"PMID '{pmid}' is not digits only")
    # One validation call builds the nested models in pydantic-core (not one __init__ per heading).
    return PubMedRecord.model_validate(
        {
            "pmid": pmid,
            "title": title,
            "journal": journal or medline_ta,
            "journal_title": journal_title,
            "year": year if year is not None else article_year,
            "doi": doi or eloc_doi,
            "pmcid": pmcid,
            "authors": [_author_name(*a[:3]) for a in authors if (a[0] or a[2]) and a[3] not in invalid],
            "publication_types": pub_types,
            "mesh_headings": mesh,
            "comments_corrections": links,
            "databanks": [b for b in banks if b["name"]],
        }
    )


def _author_name(last: str | None, initials: str | None, collective: str | None) -> str | None:
    if last:
        return f"{last} {initials}" if initials else last
    return collective


def _open_bytes(path: Path) -> IO[bytes]:
    handle: IO[bytes] = open_regular(path)  # a FIFO once hung import-pubmed (F17)
    if handle.read(2) == b"\x1f\x8b":
        handle.close()  # GzipFile(fileobj=...) would leave it open after the GzipFile is closed
        return gzip.open(path, "rb")  # type: ignore[return-value]
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
        tracked = _EofTracker(raw, count_lines=False, label=label)
        # A file's lines are counted (by reading it again) only if the parse fails: ~3% faster.
        ends = lambda: _count_lines(path) if tracked.at_eof else None  # noqa: E731
    else:
        raw, label = source, name or "<stream>"
        tracked = _EofTracker(raw, count_lines=True, label=label)
        ends = lambda: tracked.newlines if tracked.at_eof else None  # noqa: E731
    try:
        yield from _iterparse(tracked, label, ends)
    finally:
        raw.close()


def _count_lines(path: Path) -> int | None:
    """Newlines in the whole (decompressed) file; None if it cannot be read to the end."""
    try:
        with _open_bytes(path) as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    except (OSError, EOFError):
        return None


def _iterparse(stream: _EofTracker, label: str, ends: Callable[[], int | None]) -> Iterator[PubMedRecord]:
    """``ends()``: the input's newline count if it was read to the end, else None."""
    from lxml import etree

    etree.clear_error_log()  # the log is per thread; earlier parses must not colour our messages
    # Only record ends are reported (a Python step per record, not per element); the root element
    # and the DOCTYPE are checked at the first record, or at the end for a document without any.
    context = etree.iterparse(
        stream,
        events=("start", "end"),  # start: only of the root, to prune under it while reading
        tag=(*_RECORD_TAGS, "PubmedArticleSet"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        collect_ids=False,
    )
    index, last_pmid, checked = 0, None, False
    roots: list[Any] = []

    def prune() -> None:
        """Drop finished elements that are not inside a record (only records are reported, so
        anything else would pile up under the root: 79 KB of .gz once took 4 GB)."""
        node = roots[0] if roots else None
        while node is not None and len(node) and node.tag not in _RECORD_TAGS:
            del node[: len(node) - 1]  # the last child may still be open
            node = node[-1]

    stream.before_read = prune

    def where() -> str:
        after = f" (after PMID {last_pmid})" if last_pmid else ""
        return f"{label}: record {index + 1}{after}"

    stream.where = where
    most = RECORDS.as_int()

    try:
        for event, elem in context:
            if elem.tag == "PubmedArticleSet":
                if event == "start" and not roots:
                    roots.append(elem)
                continue
            if event == "start":
                continue
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
                if index > most:  # 522 KB of gzip once wrote 200,000 cache files (F6)
                    raise LimitError(
                        f"{label}: more than the {RECORDS.hint()} (records in one file or reply)"
                    )
                yield record
            # Free the record and the already-processed siblings: flat memory on baseline files.
            stream.mark()
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise PubMedError(_syntax_message(exc, label, where(), index > 0, ends)) from None
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
    reject_declared_entities(root, label)


def reject_declared_entities(root: Any, label: str) -> None:
    """Refuse a document whose internal DTD subset declares entities (E-utilities replies never do)."""
    dtd = root.getroottree().docinfo.internalDTD
    names = [ent.name for ent in dtd.iterentities()] if dtd is not None else []
    if names:
        raise PubMedError(
            f"{label}: the DOCTYPE declares entities ({', '.join(names[:5])}); PubMed XML never does, "
            "and they are not expanded (entity-expansion / external-entity attack?)"
        )


def _syntax_message(
    exc: Any, label: str, where: str, any_record: bool, ends: Callable[[], int | None]
) -> str:
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
    total = ends()
    if total is not None and line >= total:
        return f"{where}: truncated: the document ends early ({msg}{at}); download the file again"
    return f"{where}: malformed XML ({msg}{at})"


def read_pubmed_xml(source: Path | str | IO[bytes], *, name: str | None = None) -> list[PubMedRecord]:
    """All records of a PubmedArticleSet (see :func:`iter_pubmed_xml`)."""
    return list(iter_pubmed_xml(source, name=name))
