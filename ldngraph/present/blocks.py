"""The brief's blocks (headings, cited sentences, list items, gaps) and their Markdown and HTML
rendering, shared by the brief (:mod:`ldngraph.present.report`) and its findings sections
(:mod:`ldngraph.present.report_sof`). Record text is escaped on output.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ldngraph.errors import ExportError
from ldngraph.markup import escape_markdown
from ldngraph.model import Publication

Kind = Literal["h1", "h2", "h3", "h4", "sentence", "item", "gap"]


@dataclass(frozen=True)
class Block:
    """One heading, sentence, list item or gap statement of the brief."""

    kind: Kind
    text: str
    cites: tuple[Publication, ...] = ()
    #: Spans (start, end) of ``text`` that come from records and are escaped in Markdown; None
    #: (a block built by hand) means all of ``text`` is treated as record text.
    record: tuple[tuple[int, int], ...] | None = None

    def __post_init__(self) -> None:
        if self.kind in ("sentence", "item") and not self.cites:
            raise ExportError(f"internal: uncited sentence in the brief: {self.text!r}")


def _md_handle(p: Publication) -> str:
    if p.pmid:
        return f"PMID {p.pmid}"
    return f"DOI {escape_markdown(p.doi)}" if p.doi else escape_markdown(p.citation)


def _md_cites(cites: Sequence[Publication]) -> str:
    handles = (_md_handle(p) for p in cites)
    return "(" + "; ".join(handles) + ")"


def _md_text(block: Block) -> str:
    """A block's text as Markdown: record spans escaped, generated text as it is."""
    text = block.text
    spans = ((0, len(text)),) if block.record is None else block.record
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out += [text[pos:start], escape_markdown(text[start:end])]
        pos = end
    out.append(text[pos:])
    return " ".join("".join(out).split())


def to_markdown(
    blocks: Sequence[Block],
    *,
    before: Mapping[int, str] | None = None,
    after: Mapping[int, str] | None = None,
) -> str:
    """Markdown: one sentence per line; citations closing each sentence; record text escaped.

    ``before`` / ``after``: Markdown generated elsewhere (already escaped), put before or after the
    block with that index (the summary-of-findings sections, :mod:`ldngraph.present.report_sof`)."""
    lines: list[str] = []
    prev: Kind | None = None
    for i, b in enumerate(blocks):
        if before and i in before:
            lines += ["", before[i], ""]
        text = _md_text(b)
        is_li = b.kind in ("item", "gap")
        if b.kind.startswith("h"):
            if lines and lines[-1]:
                lines.append("")
            lines += ["#" * int(b.kind[1]) + " " + text, ""]
            if after and i in after:
                lines += [after[i], ""]
        else:
            if prev is not None and (prev in ("item", "gap")) != is_li and lines[-1]:
                lines.append("")  # a list and a paragraph never run together
            if b.kind == "sentence":
                lines += [f"{text} {_md_cites(b.cites)}.", ""]
            elif b.kind == "item":
                lines.append(f"- {text} {_md_cites(b.cites)}.")
            else:
                lines.append(f"- Gap: {text}.")
        prev = b.kind
    return "\n".join(lines).rstrip() + "\n"


def _cite_html(cites: Sequence[Publication]) -> str:
    links = [
        f'<a href="{html.escape(p.url)}" rel="noopener noreferrer">{html.escape(p.citation)}</a>'
        for p in cites
    ]
    return "(" + "; ".join(links) + ")"


def to_html(
    blocks: Sequence[Block],
    *,
    before: Mapping[int, str] | None = None,
    after: Mapping[int, str] | None = None,
    style: str = "",
    appendix: str = "",
) -> str:
    """A self-contained HTML page; all record text escaped.

    ``before`` / ``after``: HTML generated elsewhere (already escaped) put before or after the
    block with that index; ``style``: extra CSS (:mod:`ldngraph.present.report_sof`); ``appendix``: an
    escaped HTML fragment closing the page (the PRISMA section, :mod:`ldngraph.present.prisma`)."""
    title = next((b.text for b in blocks if b.kind == "h1"), "LDN evidence brief")
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        "<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
        f".gap{{color:#8a3b00}}{style}</style></head><body>",
    ]
    open_list = False
    for i, b in enumerate(blocks):
        if before and i in before:
            if open_list:
                out.append("</ul>")
                open_list = False
            out.append(before[i])
        is_li = b.kind in ("item", "gap")
        if open_list and not is_li:
            out.append("</ul>")
            open_list = False
        if is_li and not open_list:
            out.append("<ul>")
            open_list = True
        text = html.escape(b.text)
        if b.kind.startswith("h"):
            out.append(f"<{b.kind}>{text}</{b.kind}>")
            if after and i in after:
                out.append(after[i])
        elif b.kind == "sentence":
            out.append(f"<p>{text} {_cite_html(b.cites)}.</p>")
        elif b.kind == "item":
            out.append(f"<li>{text} {_cite_html(b.cites)}.</li>")
        else:
            out.append(f'<li class="gap"><strong>Gap:</strong> {text}.</li>')
    if open_list:
        out.append("</ul>")
    out.append(appendix + "</body></html>")
    return "\n".join(out) + "\n"
