"""The summary-of-findings table as plain text, for a terminal (``ldngraph sof`` when stdout is a
terminal, or ``--format text``): a grid of wrapped cells fitted to the terminal width, numbered
footnotes below it. Record text is shown as written: no Markdown escapes, no markup; control
characters are printed as escapes so they cannot act on the terminal.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ldngraph.errors import printable
from ldngraph.present.sof import SofTable

HEADERS = (
    "Outcome",
    "Studies (designs)",
    "Participants",
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
    title = f"Summary of findings: {table.intervention} for {table.condition_label}"
    lines = [_clean(title), "", rule, *_grid_row(HEADERS, widths), rule.replace("-", "=")]
    for row in table.rows:
        notes = "".join(f"[{n}]" for n in row.footnotes)
        cells = [
            row.outcome_label + (" (critical)" if row.critical else ""),
            f"{len(row.studies)} ({row.designs})",
            str(row.participants) if row.participants else "not reported",
            row.relative or "-",
            row.effect,
            f"{row.certainty_text} {notes}".strip(),
            row.statement,
        ]
        lines += [*_grid_row(cells, widths), rule]
    if not table.rows:
        lines += [
            "| "
            + "No outcome of LDN is recorded for this condition.".ljust(sum(widths) + 3 * len(widths) - 3)
            + " |",
            rule,
        ]
    wrap = max(40, min(width, len(rule)))
    if table.footnotes:
        lines.append("")
        for i, note in enumerate(table.footnotes, 1):
            lines += textwrap.wrap(
                _clean(note), wrap, initial_indent=f"{i}. ", subsequent_indent=" " * (len(str(i)) + 2)
            )
    lines += [
        "",
        *textwrap.wrap(f"Certainty judged under evidence profile {_clean(table.profile)}.", wrap),
        "",
    ]
    return "\n".join(lines)


__all__ = ["HEADERS", "to_text"]
