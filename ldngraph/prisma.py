"""The PRISMA section of the evidence brief: how the clinical literature was searched and screened.

Self-contained: :func:`get_prisma_section` reads ``screening.yaml`` beside the curated data (if the
data directory has one) and the brief appends :func:`to_markdown` or :func:`to_html` of it.
"""

from __future__ import annotations

import html
from pathlib import Path

from ldngraph.ingest.screening import SCREENING_FILE, PrismaCounts, get_prisma_counts, read_screening_log

HEADING = "Literature screening (PRISMA 2020 flow)"


def get_prisma_section(data_dir: Path | str) -> PrismaCounts | None:
    """The PRISMA counts of ``data_dir/screening.yaml``; None when the directory has no log."""
    path = Path(data_dir) / SCREENING_FILE
    if not path.is_file():
        return None
    return get_prisma_counts(read_screening_log(path))


def _rows(counts: PrismaCounts) -> list[tuple[str, str]]:
    rows = []
    for line in counts.to_lines():
        step, _, value = line.partition(": ")
        rows.append((step, value))
    return rows


def to_markdown(counts: PrismaCounts) -> str:
    """The section as Markdown: a heading and a two-column table."""
    lines = ["", f"## {HEADING}", "", "| Step | Records |", "|---|---|"]
    lines += [f"| {step} | {value} |" for step, value in _rows(counts)]
    lines += [
        "",
        "The screening log is data/screening.yaml; docs/curation-v2-added.md lists every decision.",
        "",
    ]
    return "\n".join(lines)


def to_html(counts: PrismaCounts) -> str:
    """The section as an HTML fragment (all text escaped)."""
    rows = "".join(
        f"<tr><td>{html.escape(step)}</td><td>{html.escape(value)}</td></tr>" for step, value in _rows(counts)
    )
    return (
        f"<h2>{html.escape(HEADING)}</h2>\n"
        f"<table><thead><tr><th>Step</th><th>Records</th></tr></thead><tbody>{rows}</tbody></table>\n"
    )
