"""The living parts of the evidence brief (issue 25): "What would change this" under each condition,
and "What changed since REF" after the conditions.

Both are computed elsewhere and only rendered here: the trial sizes by
:mod:`ldngraph.evidence.impact` (the real engine, re-run on a hypothetical trial), the changes by
:mod:`ldngraph.evidence.changes` (from ``diff``). Record text is escaped (Markdown and HTML).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ldngraph.evidence.changes import Changes
from ldngraph.evidence.impact import OutcomeImpact, Search
from ldngraph.markup import escape_markdown

WOULD_CHANGE = "What would change this"


@dataclass(frozen=True)
class Living:
    """What the brief shows beyond the evidence: per condition CURIE its impact answers, and the
    changes since a reference (None: no ``--since``)."""

    impacts: Mapping[str, Sequence[OutcomeImpact]] = field(default_factory=dict)
    changes: Changes | None = None


def _search_phrase(s: Search) -> str:
    what = (
        "a null result"
        if s.trial.result == "null"
        else f"a result at the MID ({s.trial.measure.upper()} {s.trial.value:g})"
    )
    if s.n_per_arm is None:
        it = "the conclusion" if s.target == "conclusion" else "it"
        return f"no trial up to {s.cap:,} per arm with {what} changes {it}"
    return f"a trial of {s.n_per_arm} per arm with {what}: {s.changes}"


def would_change_lines(impacts: Sequence[OutcomeImpact]) -> list[str]:
    """One line per outcome: today's answer, then the smallest trial for each result and what
    each registered trial would do."""
    lines = []
    for imp in impacts:
        parts = [_search_phrase(s) for s in imp.searches]
        parts += [
            f"if {c.registry} reports {'a null result' if c.result == 'null' else 'a result at the MID'} "
            f"with n = {c.enrolment}: " + (f"{c.before} -> {c.after}" if c.changed else f"stays {c.before}")
            for c in imp.candidates
        ]
        if not parts:  # the same reason for both results: say it once
            why = imp.skipped[0].partition(": ")[2] if imp.skipped else "nothing to compute"
            parts = [f"not computed: {why}"]
        lines.append(f"{WOULD_CHANGE} ({imp.outcome_label}, now {imp.before}): " + "; ".join(parts) + ".")
    return lines


def would_change_markdown(impacts: Sequence[OutcomeImpact]) -> str:
    return "\n".join(f"- {escape_markdown(line)}" for line in would_change_lines(impacts))


def would_change_html(impacts: Sequence[OutcomeImpact]) -> str:
    items = "".join(f"<li>{html.escape(line)}</li>" for line in would_change_lines(impacts))
    return f'<ul class="would-change">{items}</ul>' if items else ""


def changes_heading(changes: Changes) -> str:
    return f"What changed since {changes.since}"


def changes_lines(changes: Changes) -> list[tuple[str, list[str]]]:
    """(subheading, lines) of the section."""
    moved = [m for m in changes.moves if m.kind != "added"]
    added = [m for m in changes.moves if m.kind == "added"]
    groups = [
        ("New studies", list(changes.new_studies)),
        ("Studies no longer counted", list(changes.removed_studies)),
        ("Conclusions and certainties that moved", [m.to_line() for m in moved]),
        ("New outcome bodies", [m.to_line() for m in added]),
    ]
    return [(head, lines) for head, lines in groups if lines]


def _compared(changes: Changes) -> str:
    return (
        f"Compared: {changes.old} (profile {changes.old_profile or 'none'}) with {changes.new} "
        f"(profile {changes.new_profile or 'none'}), by ldngraph diff."
    )


def changes_markdown(changes: Changes) -> str:
    out = ["", f"## {escape_markdown(changes_heading(changes))}", "", escape_markdown(_compared(changes)), ""]
    groups = changes_lines(changes)
    if not groups:
        out += ["No study, conclusion or certainty changed.", ""]
    for head, lines in groups:
        out += [f"### {escape_markdown(head)}", ""]
        out += [f"- {escape_markdown(line)}" for line in lines]
        out.append("")
    return "\n".join(out)


def changes_html(changes: Changes) -> str:
    out = [f"<h2>{html.escape(changes_heading(changes))}</h2>", f"<p>{html.escape(_compared(changes))}</p>"]
    groups = changes_lines(changes)
    if not groups:
        out.append("<p>No study, conclusion or certainty changed.</p>")
    for head, lines in groups:
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        out.append(f"<h3>{html.escape(head)}</h3><ul>{items}</ul>")
    return "\n".join(out) + "\n"


def condition_text(living: Living | None, condition: str, *, as_html: bool) -> str:
    """The "What would change this" lines of one condition ('' when there are none)."""
    impacts = living.impacts.get(condition, ()) if living is not None else ()
    if not impacts:
        return ""
    return would_change_html(impacts) if as_html else would_change_markdown(impacts)


def appendix(living: Living | None, *, as_html: bool) -> str:
    """The "What changed since" section ('' without ``--since``)."""
    if living is None or living.changes is None:
        return ""
    return changes_html(living.changes) if as_html else changes_markdown(living.changes)


__all__ = [
    "WOULD_CHANGE",
    "Living",
    "appendix",
    "changes_html",
    "changes_lines",
    "changes_markdown",
    "condition_text",
    "would_change_lines",
]
