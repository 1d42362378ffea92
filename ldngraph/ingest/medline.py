"""PubMed files on disk: MEDLINE text records (``Bio.Medline``), and the reader that takes either
format by content (:func:`iter_pubmed_file`: PubMed XML, gzipped or not, or MEDLINE text).
The XML parser and the record model live in :mod:`ldngraph.ingest.pubmed`.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ldngraph.errors import PubMedError
from ldngraph.ingest.pubmed import (
    YEAR_RE,
    CommentCorrection,
    DataBank,
    MeshHeading,
    PublicationType,
    PubMedRecord,
    _open_bytes,
    iter_pubmed_xml,
)
from ldngraph.limits import LINE_BYTES, PUBMED_BYTES, RECORD_BYTES, RECORD_ELEMENTS, RECORDS, LimitError
from ldngraph.model import PMID_RE

_MEDLINE_REF_TAGS = {"RIN": "RetractionIn", "ROF": "RetractionOf", "EIN": "ErratumIn"}


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
    year_match = YEAR_RE.search(rec.get("DP", ""))
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
        databanks=_medline_databanks(rec.get("SI", [])),
    )


def _medline_databanks(lines: list[str]) -> tuple[DataBank, ...]:
    """``SI`` (secondary source id) lines, ``NAME/ACCESSION`` (e.g. ``ClinicalTrials.gov/NCT00568555``),
    grouped by data bank in order: the MEDLINE form of the XML DataBankList."""
    banks: dict[str, list[str]] = {}
    for line in lines:
        name, _, accession = line.strip().partition("/")
        if name and accession.strip():
            banks.setdefault(name.strip(), []).append(accession.strip())
    return tuple(DataBank(name=n, accession_numbers=tuple(a)) for n, a in banks.items())


#: Control characters other than tab and line ends (XML, which PubMed XML is, cannot hold them).
_MEDLINE_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _bounded_lines(handle: IO[str], label: str) -> Iterator[str]:
    """The lines of ``handle``, each at most :data:`LINE_BYTES` long, each record (lines up to a
    blank one) at most :data:`RECORD_ELEMENTS` lines and :data:`RECORD_BYTES` characters, and all
    together at most :data:`PUBMED_BYTES` (a 400 MB title line once took 1.8 GB and was imported;
    a record of 4 M ``MH`` lines, 47 KB gzipped, a MemoryError at 4 GB: Bio.Medline holds a
    record whole)."""
    cap, total_cap, total = LINE_BYTES.as_int(), PUBMED_BYTES.as_int(), 0
    line_cap, byte_cap = RECORD_ELEMENTS.as_int(), RECORD_BYTES.as_int()
    record, lines, size = 0, 0, 0
    for number in itertools.count(1):
        line = handle.readline(cap + 1)
        if not line:
            return
        if len(line) > cap:
            raise LimitError(f"{label}:{number}: a line longer than the {LINE_BYTES.hint()}")
        total += len(line)
        if total > total_cap:
            raise LimitError(f"{label}: more than the {PUBMED_BYTES.hint()} (decompressed)")
        if not line.strip():
            lines = size = 0
        else:
            record += lines == 0
            lines, size = lines + 1, size + len(line)
            if lines > line_cap:
                raise LimitError(
                    f"{label}: record {record}: more than the {RECORD_ELEMENTS.hint()} (MEDLINE lines)"
                )
            if size > byte_cap:
                raise LimitError(f"{label}: record {record}: more than the {RECORD_BYTES.hint()}")
        yield _MEDLINE_CONTROL.sub(" ", line)  # no ESC or NUL from a title reaches a terminal or GraphML


def iter_medline(path: Path | str) -> Iterator[PubMedRecord]:
    """Stream the records of a MEDLINE-format text file, plain or gzipped (``Bio.Medline``)."""
    from Bio import Medline

    path = Path(path)
    try:
        raw = _open_bytes(path)
    except OSError as exc:
        raise PubMedError(f"{path}: cannot read ({exc.strerror})") from None
    # utf-8-sig drops a byte-order mark (as sniff_format does); left in, it hides the first 'PMID-'
    # tag from Bio.Medline and record 1 would be reported as having no PMID.
    with io.TextIOWrapper(raw, encoding="utf-8-sig") as handle:
        last, most = None, RECORDS.as_int()
        try:
            for index, rec in enumerate(Medline.parse(_bounded_lines(handle, str(path)))):  # type: ignore[no-untyped-call]
                after = f" (after PMID {last})" if last else ""
                if index >= most:
                    raise LimitError(f"{path}: more than the {RECORDS.hint()} (records in one file or reply)")
                record = _record_from_medline(rec, f"{path}: record {index + 1}{after}")
                last = record.pmid
                yield record
        except UnicodeDecodeError as exc:
            raise PubMedError(f"{path}: not MEDLINE text (not UTF-8: {exc.reason})") from None
        except (OSError, EOFError) as exc:  # a damaged or truncated .gz
            raise PubMedError(f"{path}: cannot read ({exc})") from None


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
