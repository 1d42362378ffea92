"""Compare two scorings: a sensitivity analysis (two profiles) or a curation review (two data sets).

:func:`compare` takes two :class:`ldngraph.evidence.scored.ScoredView` s and lists what changed, body by
body, claim by claim and path by path: outcome bodies (intervention x condition x outcome) and
claims added or removed, their conclusions, certainty (with the reasons that changed), claim
strength, evidence items added, removed, excluded or counted again, body study counts, and paths
that gained or lost all support. Identical inputs give no changes. Rendered as a text table, Markdown or JSON.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.evidence.scored import BodyView, ClaimView, EvidenceView, ScoredView

Kind = Literal[
    "body_added",
    "body_removed",
    "body_conclusion",
    "body_certainty",
    "body_reasons",
    "body_studies",
    "body_participants",
    "body_estimate",
    "body_start",
    "body_domain",
    "claim_added",
    "claim_removed",
    "conclusion",
    "certainty",
    "reasons",
    "strength",
    "evidence_added",
    "evidence_removed",
    "evidence_excluded",
    "evidence_counted",
    "path_new",
    "path_lost",
]
#: --fail-on categories -> the change kinds they cover.
CATEGORIES: dict[str, frozenset[str]] = {
    "claims": frozenset({"claim_added", "claim_removed", "body_added", "body_removed"}),
    "conclusion": frozenset({"conclusion", "body_conclusion"}),
    "certainty": frozenset({"certainty", "body_certainty", "body_start", "body_domain"}),
    "reasons": frozenset({"reasons", "body_reasons"}),
    "strength": frozenset({"strength"}),
    "evidence": frozenset(
        {
            "evidence_added",
            "evidence_removed",
            "evidence_excluded",
            "evidence_counted",
            "body_studies",
            "body_participants",
        }
    ),
    "estimate": frozenset({"body_estimate"}),
    "paths": frozenset({"path_new", "path_lost"}),
}
CATEGORIES["any"] = frozenset().union(*CATEGORIES.values())
#: Strength changes smaller than this are not reported (scores carry 6 decimals).
DEFAULT_MIN_CHANGE = 0.001


class Change(BaseModel):
    """One difference between the two scorings."""

    model_config = ConfigDict(frozen=True)

    kind: Kind
    item: str = Field(description="Body id, claim id, or a path's nodes as 'A -> B -> C'")
    label: str = Field(description="Body label, claim statement or path labels")
    before: str | None = None
    after: str | None = None
    detail: str = ""


class Diff(BaseModel):
    """Every change from ``old`` to ``new``."""

    model_config = ConfigDict(frozen=True)

    old: str
    new: str
    old_profile: str | None
    new_profile: str | None
    changes: tuple[Change, ...]

    def has(self, categories: Iterable[str]) -> bool:
        """True if a change falls in any of ``categories`` (names of :data:`CATEGORIES`)."""
        kinds = frozenset().union(*(CATEGORIES[c] for c in categories))
        return any(c.kind in kinds for c in self.changes)

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
        return counts


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _evidence_changes(old: ClaimView, new: ClaimView) -> list[Change]:
    def by_key(items: Iterable[EvidenceView]) -> dict[str, EvidenceView]:
        return {e.key: e for e in items}

    before, after = by_key(old.evidence), by_key(new.evidence)
    out: list[Change] = []
    for key in sorted(after.keys() - before.keys()):
        out.append(Change(kind="evidence_added", item=new.id, label=new.statement, after=key))
    for key in sorted(before.keys() - after.keys()):
        out.append(Change(kind="evidence_removed", item=new.id, label=new.statement, before=key))
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key].excluded, after[key].excluded
        if was == now:
            continue
        kind: Kind = "evidence_excluded" if now else "evidence_counted"
        detail = f"excluded: {now}" if now else f"no longer excluded ({was})"
        out.append(Change(kind=kind, item=new.id, label=new.statement, before=key, after=key, detail=detail))
    return out


def _graded_changes(old: ClaimView | BodyView, new: ClaimView | BodyView) -> list[Change]:
    """Conclusion, certainty (with the reasons gained and lost) and reasons alone."""
    body = isinstance(new, BodyView)
    label = new.label if isinstance(new, BodyView) else new.statement
    kinds: tuple[Kind, Kind, Kind] = (
        ("body_conclusion", "body_certainty", "body_reasons")
        if body
        else ("conclusion", "certainty", "reasons")
    )
    out: list[Change] = []
    if old.conclusion != new.conclusion:
        out.append(
            Change(kind=kinds[0], item=new.id, label=label, before=old.conclusion, after=new.conclusion)
        )
    gained = sorted(set(new.reasons) - set(old.reasons))
    lost = sorted(set(old.reasons) - set(new.reasons))
    why = " ".join([f"+{r}" for r in gained] + [f"-{r}" for r in lost])
    if old.certainty != new.certainty:
        detail = f"reasons {why}" if why else "reasons unchanged"
        out.append(
            Change(
                kind=kinds[1],
                item=new.id,
                label=label,
                before=old.certainty,
                after=new.certainty,
                detail=detail,
            )
        )
    elif why:
        before, after = ", ".join(old.reasons) or "none", ", ".join(new.reasons) or "none"
        out.append(Change(kind=kinds[2], item=new.id, label=label, before=before, after=after, detail=why))
    return out


def _body_changes(old: ScoredView, new: ScoredView) -> list[Change]:
    out: list[Change] = []
    ids = sorted(
        old.bodies.keys() | new.bodies.keys(), key=lambda i: ((new.bodies.get(i) or old.bodies[i]).label, i)
    )
    for bid in ids:
        a, b = old.bodies.get(bid), new.bodies.get(bid)
        if a is None and b is not None:
            detail = f"{b.conclusion}, {b.certainty}, {b.studies} studies"
            out.append(Change(kind="body_added", item=bid, label=b.label, detail=detail))
        elif b is None and a is not None:
            out.append(Change(kind="body_removed", item=bid, label=a.label))
        elif a is not None and b is not None:
            out += _graded_changes(a, b)
            out += _body_detail_changes(bid, a, b)
    return out


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _body_detail_changes(bid: str, a: BodyView, b: BodyView) -> list[Change]:
    """Studies, participants, the estimate (and how it was reached), the start level and each
    GRADE domain's levels: what a sensitivity analysis moves besides the conclusion."""
    out: list[Change] = []
    pairs: list[tuple[Kind, object, object, str]] = [
        ("body_studies", a.studies, b.studies, ""),
        ("body_participants", a.participants, b.participants, ""),
        ("body_estimate", a.estimate, b.estimate, f"basis {_text(a.basis)} -> {_text(b.basis)}"),
        ("body_start", a.start, b.start, ""),
    ]
    for kind, before, after, detail in pairs:
        if before != after or (kind == "body_estimate" and a.basis != b.basis):
            out.append(
                Change(
                    kind=kind,
                    item=bid,
                    label=b.label,
                    before=_text(before),
                    after=_text(after),
                    detail=detail,
                )
            )
    for domain in sorted(a.domains.keys() | b.domains.keys()):
        x, y = a.domains.get(domain), b.domains.get(domain)
        if x != y:
            out.append(
                Change(
                    kind="body_domain",
                    item=bid,
                    label=b.label,
                    before=_text(x),
                    after=_text(y),
                    detail=domain,
                )
            )
    return out


def _claim_changes(old: ClaimView, new: ClaimView, min_change: float) -> list[Change]:
    out = _graded_changes(old, new)
    label = new.statement
    s0, s1 = old.strength or 0.0, new.strength or 0.0
    if abs(s1 - s0) >= min_change:
        out.append(
            Change(
                kind="strength",
                item=new.id,
                label=label,
                before=_num(old.strength),
                after=_num(new.strength),
                detail=f"{s1 - s0:+.4f}",
            )
        )
    return out + _evidence_changes(old, new)


def compare(old: ScoredView, new: ScoredView, *, min_change: float = DEFAULT_MIN_CHANGE) -> Diff:
    """Every change from ``old`` to ``new``: bodies by label, claims by id, then paths."""
    changes: list[Change] = _body_changes(old, new)
    for cid in sorted(old.claims.keys() | new.claims.keys()):
        a, b = old.claims.get(cid), new.claims.get(cid)
        if a is None and b is not None:
            detail = f"{b.conclusion}, {b.certainty}, strength {_num(b.strength)}"
            changes.append(Change(kind="claim_added", item=cid, label=b.statement, detail=detail))
        elif b is None and a is not None:
            changes.append(Change(kind="claim_removed", item=cid, label=a.statement))
        elif a is not None and b is not None:
            changes += _claim_changes(a, b, min_change)
    live_old = {k: p for k, p in old.paths.items() if p.strength > 0}
    live_new = {k: p for k, p in new.paths.items() if p.strength > 0}
    for key in sorted(live_new.keys() - live_old.keys()):
        path = live_new[key]
        why = "new path" if key not in old.paths else "was strength 0"
        changes.append(
            Change(kind="path_new", item=key, label=path.text, after=_num(path.strength), detail=why)
        )
    for key in sorted(live_old.keys() - live_new.keys()):
        path = live_old[key]
        why = "path gone" if key not in new.paths else "now strength 0"
        changes.append(
            Change(kind="path_lost", item=key, label=path.text, before=_num(path.strength), detail=why)
        )
    return Diff(
        old=old.source,
        new=new.source,
        old_profile=old.profile_version,
        new_profile=new.profile_version,
        changes=tuple(changes),
    )


def _summary(diff: Diff) -> str:
    if not diff.changes:
        return "no differences"
    return ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(diff.count().items()))


def _header(diff: Diff) -> list[str]:
    return [
        f"old: {diff.old} (profile {diff.old_profile or 'none'})",
        f"new: {diff.new} (profile {diff.new_profile or 'none'})",
        _summary(diff),
    ]


_COLUMNS = ("kind", "item", "before", "after", "detail")


def _shown_item(change: Change) -> str:
    """Bodies by their label (their id is a hash), claims by id, paths by CURIEs."""
    return change.label if change.kind.startswith("body_") else change.item


def to_table(diff: Diff) -> str:
    """Aligned plain-text table, one change a line."""
    lines = _header(diff)
    if diff.changes:
        rows = [[c.kind, _shown_item(c), c.before or "", c.after or "", c.detail] for c in diff.changes]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(_COLUMNS)]
        lines.append("")
        lines.append("  ".join(h.ljust(w) for h, w in zip(_COLUMNS, widths, strict=True)).rstrip())
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


_PLAIN = re.compile(r"^[\w.:+ ,-]*$")


def _md(text: str) -> str:
    """Record text escaped; plain codes and numbers (``very_low``, ``+0.0541``) left readable."""
    from ldngraph.markup import escape_markdown

    if _PLAIN.match(text) and not text.startswith(("-", "+")) and "_" not in text:
        return text
    if _PLAIN.match(text):
        return f"`{text}`"
    return escape_markdown(text)


def to_markdown(diff: Diff) -> str:
    """A Markdown section, for a pull request or a review note (record text escaped)."""
    from ldngraph.markup import escape_markdown

    lines = ["## ldngraph diff", ""] + [f"- {escape_markdown(line)}" for line in _header(diff)]
    if diff.changes:
        lines += ["", "| change | claim or path | before | after | detail |", "|---|---|---|---|---|"]
        for c in diff.changes:
            item = f"`{c.item}`" if "`" not in c.item else _md(c.item)
            what = f"{item}<br>{escape_markdown(c.label)}" if c.label else item
            cells = [c.kind.replace("_", " "), what, _md(c.before or ""), _md(c.after or ""), _md(c.detail)]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_json(diff: Diff) -> str:
    return diff.model_dump_json(indent=2) + "\n"


def render(diff: Diff, fmt: str) -> str:
    return {"table": to_table, "markdown": to_markdown, "json": to_json}[fmt](diff)


def get_failed(diff: Diff, fail_on: Collection[str]) -> list[str]:
    """The ``fail_on`` categories that have changes (empty: the diff passes)."""
    return [c for c in fail_on if diff.has([c])]
