"""The summary-of-findings table as plain text, for a terminal (``ldngraph sof`` when stdout is a
terminal, or ``--format text``): a grid of wrapped cells fitted to the terminal width, numbered
footnotes below it. Record text is shown as written: no Markdown escapes, no markup; control
characters are printed as escapes so they cannot act on the terminal.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence

from ldngraph.errors import printable
from ldngraph.present.sof import (
    NO_STUDIES,
    SOF_CSS,
    SofTable,
    render,
    to_dict,
    to_html,
    to_html_page,
    to_markdown,
)
from ldngraph.present.sof_notes import note_mark, note_marks
from ldngraph.present.sof_pico import explanation_pairs, pico_pairs
from ldngraph.safetext import to_json

HEADERS = (
    "Outcome",
    "Studies (designs)",
    "Participants (studies)",
    "Relative effect (95% CI)",
    "Effect (95% CI)",
    "Certainty (GRADE)",
    "What happens",
)
#: Relative share of the width each column gets, and the least it gets.
SHARES = (1.3, 1.6, 0.9, 1.2, 2.6, 1.2, 2.0)
MIN_WIDTH = (10, 14, 12, 10, 16, 10, 14)
DEFAULT_WIDTH = 120


def _widths(total: int) -> list[int]:
    room = max(total, sum(MIN_WIDTH) + 3 * len(HEADERS) + 1) - (3 * len(HEADERS) + 1)
    scale = sum(SHARES)
    widths = [max(m, int(room * s / scale)) for s, m in zip(SHARES, MIN_WIDTH, strict=True)]
    widths[4] += room - sum(widths) if sum(widths) < room else 0
    return widths


def _clean(text: str) -> str:
    return printable(" ".join(str(text).split()))


def _grid_row(cells: Sequence[str], widths: Sequence[int]) -> list[str]:
    wrapped = [
        textwrap.wrap(_clean(c), w, break_long_words=True) or [""] for c, w in zip(cells, widths, strict=True)
    ]
    height = max(len(w) for w in wrapped)
    lines = []
    for i in range(height):
        parts = [(w[i] if i < len(w) else "").ljust(width) for w, width in zip(wrapped, widths, strict=True)]
        lines.append("| " + " | ".join(parts) + " |")
    return lines


def to_text(table: SofTable, *, width: int = DEFAULT_WIDTH) -> str:
    """The table as plain text at most ``width`` columns wide (wider only if the columns' minimum
    widths need it)."""
    widths = _widths(width)
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    wrap = max(40, min(width, len(rule)))
    lines = [_clean(table.title), ""]
    for name, text in pico_pairs(table.pico) if table.pico else ():
        lines += textwrap.wrap(_clean(f"{name}: {text}"), wrap, subsequent_indent="  ")
    lines += ["", rule, *_grid_row(HEADERS, widths), rule.replace("-", "=")]
    for row in table.rows:
        notes = note_marks(row.footnotes, "[]").replace(",", ", ")  # wraps between marks
        cells = [
            row.outcome_label + (" (critical)" if row.critical else ""),
            f"{len(row.studies)} ({row.designs})",
            f"{row.participants or 'not reported'} ({len(row.studies)})",
            row.relative or "-",
            row.effect,
            f"{row.certainty_text} {notes}".strip(),
            row.statement,
        ]
        lines += [*_grid_row(cells, widths), rule]
    for _, label in table.missing_critical:
        cells = [f"{label} (critical)", "0 (no studies)", "- (0)", "-", NO_STUDIES, "-", "-"]
        lines += [*_grid_row(cells, widths), rule]
    if not table.rows and not table.missing_critical:
        lines += [
            "| "
            + "No outcome of LDN is recorded for this condition.".ljust(sum(widths) + 3 * len(widths) - 3)
            + " |",
            rule,
        ]
    if table.footnotes:
        lines.append("")
        for i, note in enumerate(table.footnotes, 1):
            mark = f"{note_mark(i)}. "
            lines += textwrap.wrap(_clean(note), wrap, initial_indent=mark, subsequent_indent=" " * len(mark))
    for heading, items in explanation_pairs(table.explanations) if table.explanations else ():
        lines += ["", _clean(heading)]
        for i, item in enumerate(items, 1):
            lead = f"{i}. " if heading == "References" else "- "
            lines += textwrap.wrap(_clean(item), wrap, initial_indent=lead, subsequent_indent=" " * len(lead))
    lines += [
        "",
        *textwrap.wrap(f"Certainty judged under evidence profile {_clean(table.profile)}.", wrap),
        "",
    ]
    return "\n".join(lines)


def render_tables(tables: Sequence[SofTable], fmt: str, *, width: int = DEFAULT_WIDTH) -> str:
    """The tables of one condition (:func:`ldngraph.present.sof_tables.get_sof_tables`) in ``fmt``:
    text, md, html (one page), json (the first table's object, the others under ``comparisons``) or
    csv (the first table: every study)."""
    first, rest = tables[0], tables[1:]
    if fmt == "text":
        return "\n".join(to_text(t, width=width) for t in tables)
    if fmt == "md":
        return "\n".join(to_markdown(t, heading="#" if i == 0 else "##") for i, t in enumerate(tables))
    if fmt == "html":
        if not rest:
            return to_html_page(first)
        body = "\n".join(to_html(t, heading="h1" if i == 0 else "h2") for i, t in enumerate(tables))
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(first.title)}</title><style>{SOF_CSS}</style></head><body>\n"
            f"{body}\n</body></html>\n"
        )
    if fmt == "json":
        return to_json({**to_dict(first), "comparisons": [to_dict(t) for t in rest]}, indent=2) + "\n"
    return render(first, fmt)


__all__ = ["HEADERS", "render_tables", "to_text"]
