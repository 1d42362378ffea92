"""The PRISMA section of the evidence brief: how the clinical literature was searched and screened.

Self-contained: :func:`get_prisma_section` reads ``screening.yaml`` beside the curated data (if the
data directory has one) and the brief appends :func:`to_markdown` or :func:`to_html` of it: the
PRISMA 2020 counts, then the registered trials that have no results yet (ongoing, not evidence).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ldngraph.ingest.screening import (
    SCREENING_FILE,
    PrismaCounts,
    get_ongoing,
    get_prisma_counts,
    read_screening_log,
)

HEADING = "Literature screening (PRISMA 2020 flow)"
ONGOING = "Ongoing trials (registered, no results yet; not evidence)"


@dataclass(frozen=True)
class PrismaSection:
    """The counts of a screening log and its ongoing trials as (condition label, trial label)."""

    counts: PrismaCounts
    ongoing: tuple[tuple[str, str], ...] = ()


def get_prisma_section(data_dir: Path | str, labels: Mapping[str, str] | None = None) -> PrismaSection | None:
    """The PRISMA section of ``data_dir/screening.yaml``; None when the directory has no log.

    ``labels`` maps condition CURIEs to the names shown (default: the CURIE itself).
    """
    path = Path(data_dir) / SCREENING_FILE
    if not path.is_file():
        return None
    log = read_screening_log(path)
    names = labels or {}
    ongoing = tuple((names.get(r.condition or "", r.condition or ""), r.label) for r in get_ongoing(log))
    return PrismaSection(counts=get_prisma_counts(log), ongoing=ongoing)


def _rows(counts: PrismaCounts) -> list[tuple[str, str]]:
    rows = []
    for line in counts.to_lines():
        step, _, value = line.partition(": ")
        rows.append((step, value))
    return rows


def _md(text: str) -> str:
    """Markdown-safe table or list text: no pipe, backslash-escaped emphasis and link characters."""
    out = text.replace("\\", "\\\\")
    for char in "|*_[]<>`#":
        out = out.replace(char, "\\" + char)
    return out


def to_markdown(section: PrismaSection) -> str:
    """The section as Markdown: a heading, a two-column table, then the ongoing trials."""
    lines = ["", f"## {HEADING}", "", "| Step | Records |", "|---|---|"]
    lines += [f"| {_md(step)} | {_md(value)} |" for step, value in _rows(section.counts)]
    lines += [
        "",
        "The screening log is data/screening.yaml; docs/curation-v2-added.md lists each decision.",
        "",
    ]
    if section.ongoing:
        lines += [f"### {ONGOING}", ""]
        lines += [f"- {_md(condition)}: {_md(label)}" for condition, label in section.ongoing]
        lines.append("")
    return "\n".join(lines)


def to_html(section: PrismaSection) -> str:
    """The section as an HTML fragment (all text escaped)."""
    rows = "".join(
        f"<tr><td>{html.escape(step)}</td><td>{html.escape(value)}</td></tr>"
        for step, value in _rows(section.counts)
    )
    out = (
        f"<h2>{html.escape(HEADING)}</h2>\n"
        f"<table><thead><tr><th>Step</th><th>Records</th></tr></thead><tbody>{rows}</tbody></table>\n"
    )
    if section.ongoing:
        items = "".join(
            f"<li>{html.escape(condition)}: {html.escape(label)}</li>" for condition, label in section.ongoing
        )
        out += f"<h3>{html.escape(ONGOING)}</h3>\n<ul>{items}</ul>\n"
    return out
