"""An Atom 1.0 feed (RFC 4287) of what changed since a reference (``ldngraph feed``).

One entry per new study, per study no longer counted and per outcome body whose conclusion or
certainty moved (or that is new), from :class:`ldngraph.evidence.changes.Changes`. Every element
RFC 4287 requires is there: the feed's ``id``, ``title``, ``updated`` and ``author``; each entry's
``id``, ``title``, ``updated`` and ``content`` (``type="text"``). Ids are **deterministic**
``urn:uuid:`` name-based UUIDs (RFC 4122 version 5): the feed's from its name, an entry's from
what changed (kind, item, before, after, and the new side's profile), so the same change keeps
its id between runs and a feed reader shows it once. ``updated`` is the build time
(``SOURCE_DATE_EPOCH`` when set). Text is escaped by the XML serialiser, and characters XML 1.0
cannot carry are dropped.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from xml.etree import ElementTree as ET

from ldngraph.evidence.changes import Changes

ATOM = "http://www.w3.org/2005/Atom"
#: Namespace of the feed's name-based UUIDs.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://ldngraph.invalid/feed")
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _urn(*parts: str) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def _entries(changes: Changes) -> list[tuple[str, str, str]]:
    """(id, title, content) of each entry."""
    profile = changes.new_profile or ""
    out = [
        (_urn("study-added", sid, profile), f"New study: {sid}", f"{sid} is counted in {changes.new}.")
        for sid in changes.new_studies
    ]
    out += [
        (
            _urn("study-removed", sid, profile),
            f"Study no longer counted: {sid}",
            f"{sid} was counted at {changes.since} and is not in {changes.new}.",
        )
        for sid in changes.removed_studies
    ]
    for move in changes.moves:
        line = move.to_line()
        title = line.partition(" (")[0]
        out.append((_urn("body", move.key, profile), title, line))
    return out


def to_atom(changes: Changes, *, updated: datetime, title: str | None = None, name: str = "ldngraph") -> str:
    """The feed as XML text (UTF-8 declaration included)."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            el.text = _clean(text)
        return el

    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", _urn("feed", name))
    sub(feed, "title", title or f"{name}: what changed in the LDN evidence since {changes.since}")
    sub(feed, "updated", stamp)
    author = sub(feed, "author")
    sub(author, "name", name)
    sub(feed, "generator", "ldngraph")
    sub(
        feed,
        "subtitle",
        f"{changes.old} (profile {changes.old_profile or 'none'}) -> {changes.new} "
        f"(profile {changes.new_profile or 'none'})",
    )
    for eid, etitle, content in _entries(changes):
        entry = sub(feed, "entry")
        sub(entry, "id", eid)
        sub(entry, "title", etitle)
        sub(entry, "updated", stamp)
        sub(entry, "content", content, type="text")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


__all__ = ["ATOM", "to_atom"]
