"""Text helpers shared by every writer of Markdown (brief, summary-of-findings tables, diff).

Record text (from data/, PubMed or a graph) is never trusted as markup: :func:`escape_markdown` makes
it render as itself, and :func:`mark_record` / :func:`unmark` let a writer build a sentence from
generated and record text and escape only the record parts later.
"""

from __future__ import annotations

import re

#: Private-use characters that bracket record text while a block is built (see :func:`mark_record`).
_OPEN, _CLOSE = "\ue000", "\ue001"
_MARKS = re.compile(f"([{_OPEN}{_CLOSE}])")
#: ASCII punctuation that can open or close CommonMark/GFM syntax, inline or at a line start
#: (emphasis, code, links, images, raw HTML, autolinks, entities, headings, lists, block quotes,
#: fences, tables, strikethrough). CommonMark lets a backslash escape any ASCII punctuation.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>&~])")


#: C0 and C1 control characters and DEL (whitespace among them becomes a space anyway).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def mark_record(text: object) -> str:
    """Mark record-derived text (from data/, PubMed or the graph) for escaping on output.

    Runs of whitespace, newlines included, become one space: record text is always inline.
    Control characters (ESC of a terminal escape sequence, NUL ...) are dropped."""
    clean = " ".join(_CONTROL.sub(" ", _MARKS.sub("", str(text))).split())
    return f"{_OPEN}{clean}{_CLOSE}"


def unmark(marked: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Plain text and the (start, end) spans of record text in it."""
    text: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = start = depth = 0
    for part in _MARKS.split(marked):
        if part == _OPEN:
            start = pos if depth == 0 else start
            depth += 1
        elif part == _CLOSE:
            depth -= 1
            if depth == 0 and pos > start:
                spans.append((start, pos))
        else:
            text.append(part)
            pos += len(part)
    return "".join(text), tuple(spans)


def escape_markdown(text: str) -> str:
    """Text that renders as itself in CommonMark: whitespace runs (newlines included) become one
    space, and every ASCII punctuation mark that can start or end Markdown syntax is
    backslash-escaped, so no link, image, emphasis, raw HTML, entity or block can come of it,
    even at the start of a line or list item. GFM's bare-URL autolinks are broken at ``://``."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
    return text.replace("://", "\\://")
