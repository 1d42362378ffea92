"""Release notes of a living brief (issue 25 point 6): what changed between two scorings, in words.

:func:`summarise` reads a :class:`ldngraph.evidence.diff.Diff` (and the two views it compared) and
keeps what a reader of the brief needs: the **new studies** (in the evidence of the new side and
not the old), studies no longer counted, and each outcome body whose **conclusion or certainty
moved** (or that is new), with the **reasons** the diff gives for it: the GRADE domains whose
levels changed, the studies and participants counted, the estimate, the start level and the
reason codes gained or lost. Claim-level changes repeat their body's and are left to ``diff``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.evidence.diff import Change, Diff
from ldngraph.evidence.scored import ScoredView


class BodyMove(BaseModel):
    """One outcome body whose conclusion or certainty moved, or that is new."""

    model_config = ConfigDict(frozen=True)

    body: str = Field(description="Body id")
    label: str = Field(description="'intervention -> condition: outcome' in labels")
    kind: str = Field(description="added, conclusion or certainty")
    before: str | None = None
    after: str | None = None
    reasons: tuple[str, ...] = Field(default=(), description="Why, from the diff's other changes of the body")

    @property
    def key(self) -> str:
        """A stable id of this move (the same change between the same scorings, the same key)."""
        text = "|".join((self.body, self.kind, self.before or "", self.after or ""))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_line(self) -> str:
        why = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        if self.kind == "added":
            return f"{self.label}: new, {self.after}{why}"
        return f"{self.label}: {self.kind} {_words(self.before)} -> {_words(self.after)}{why}"


class Changes(BaseModel):
    """What changed since a reference scoring, for the brief and the feed."""

    model_config = ConfigDict(frozen=True)

    since: str = Field(description="The reference, as the user named it")
    old: str
    new: str
    old_profile: str | None
    new_profile: str | None
    new_studies: tuple[str, ...]
    removed_studies: tuple[str, ...]
    moves: tuple[BodyMove, ...]

    @property
    def empty(self) -> bool:
        return not (self.new_studies or self.removed_studies or self.moves)


def _words(text: str | None) -> str:
    return (text or "-").replace("_", " ")


_REASON = {
    "body_studies": "studies",
    "body_participants": "participants",
    "body_estimate": "estimate",
    "body_start": "start level",
}


def _reason(change: Change) -> str | None:
    if change.kind == "body_domain":
        return f"{change.detail.replace('_', ' ')} levels {change.before} -> {change.after}"
    if change.kind in _REASON:
        return f"{_REASON[change.kind]} {change.before} -> {change.after}"
    if change.kind == "body_certainty" and change.detail and change.detail != "reasons unchanged":
        return change.detail
    if change.kind == "body_reasons":
        return f"reasons {change.detail}"
    return None


def _studies(view: ScoredView) -> set[str]:
    return {e.study for c in view.claims.values() for e in c.evidence}


def summarise(diff: Diff, old: ScoredView, new: ScoredView, since: str) -> Changes:
    """The release notes of ``diff`` (from ``old`` to ``new``); ``since``: the reference's name."""
    by_body: dict[str, list[Change]] = defaultdict(list)
    for change in diff.changes:
        if change.kind.startswith("body_"):
            by_body[change.item].append(change)
    moves: list[BodyMove] = []
    for bid, changes in by_body.items():
        reasons = tuple(dict.fromkeys(r for c in changes if (r := _reason(c)) is not None))
        for c in changes:
            if c.kind == "body_added":
                moves.append(BodyMove(body=bid, label=c.label, kind="added", after=_words(c.detail)))
            elif c.kind in ("body_conclusion", "body_certainty"):
                kind = c.kind.removeprefix("body_")
                moves.append(
                    BodyMove(
                        body=bid, label=c.label, kind=kind, before=c.before, after=c.after, reasons=reasons
                    )
                )
    old_s, new_s = _studies(old), _studies(new)
    return Changes(
        since=since,
        old=diff.old,
        new=diff.new,
        old_profile=diff.old_profile,
        new_profile=diff.new_profile,
        new_studies=tuple(sorted(new_s - old_s)),
        removed_studies=tuple(sorted(old_s - new_s)),
        moves=tuple(moves),
    )


__all__ = ["BodyMove", "Changes", "summarise"]
