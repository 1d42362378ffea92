"""The brief's findings sections: build line, table of contents, and per condition its GRADE
summary-of-findings table and forest plots (issue 13).

These are generated text inserted around the brief's own blocks (:func:`ldngraph.present.report.to_html`
and :func:`~ldngraph.present.report.to_markdown` take them as ``before`` / ``after``): the build line and
the contents after the title, an anchor before every section heading, and the table and plots
right under each condition's heading. Plots are PNG embedded as ``data:`` URIs, so both the HTML
and the Markdown brief stay single, offline files. Record text is escaped as in the brief.
"""

from __future__ import annotations

import base64
import html
import os
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ldngraph.evidence.bodies import build_bodies
from ldngraph.evidence.imprecision import PooledEffect as ImprecisionEffect
from ldngraph.evidence.imprecision import get_mid
from ldngraph.evidence.profile import Profile
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.markup import escape_markdown
from ldngraph.model import EntityKind, KnowledgeBase
from ldngraph.model.terms import RATIO_MEASURES
from ldngraph.present.blocks import Block, to_html, to_markdown
from ldngraph.present.forest import to_png_bytes
from ldngraph.present.report_living import Living, condition_text
from ldngraph.present.sof import SOF_TABLE_CSS, SofRow, SofTable
from ldngraph.present.sof import to_html as sof_html
from ldngraph.present.sof import to_markdown as sof_markdown
from ldngraph.present.sof_tables import get_sof_tables

FIGURE_CSS = (
    ".forest{margin:1rem 0}.forest img{max-width:100%;height:auto}.toc{font-size:14px}.built{color:#555}"
)


def get_build_time() -> datetime:
    """Now (UTC), or SOURCE_DATE_EPOCH when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC)


def _anchor(text: str, used: set[str]) -> str:
    base = "sec-" + (re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x")
    anchor, n = base, 2
    while anchor in used:
        anchor, n = f"{base}-{n}", n + 1
    used.add(anchor)
    return anchor


def _mid(profile: Profile, row: SofRow) -> float | None:
    pooled = row.summary.pooled
    if pooled is None or pooled.measure in RATIO_MEASURES:
        return None
    effect = ImprecisionEffect(
        value=pooled.value,
        ci_lower=pooled.ci_lower,
        ci_upper=pooled.ci_upper,
        measure=pooled.measure,
        scale=pooled.scale,
    )
    found = get_mid(profile, row.outcome, effect)
    return found.value if found is not None else None


def _figures(table: SofTable, profile: Profile, *, as_html: bool) -> list[str]:
    out = []
    for row in table.rows:
        if row.summary.pooled is None:
            continue
        title = f"LDN and {row.outcome_label} in {table.condition_label}"
        data = base64.b64encode(to_png_bytes(row.summary, title=title, mid=_mid(profile, row))).decode(
            "ascii"
        )
        uri = f"data:image/png;base64,{data}"
        caption = f"Forest plot: {title}. {row.summary.note}."
        if as_html:
            out.append(
                f'<figure class="forest"><img src="{uri}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        else:
            out.append(f"![{escape_markdown(caption)}]({uri})")
    return out


def render_with_findings(
    kb: KnowledgeBase,
    profile: Profile,
    blocks: Sequence[Block],
    *,
    as_html: bool,
    appendix: str = "",
    living: Living | None = None,
    registry: Sequence[RegistryEntry] = (),
    data_dir: Path | str | None = None,
) -> str:
    """The brief (HTML or Markdown) with the build line, contents, SoF tables and forest plots
    (``registry``: the registered trials publication bias reads)."""
    bodies = build_bodies(kb, profile, registry=registry)
    conditions = {f"{e.label} ({e.id})": e for e in kb.entities if e.kind is EntityKind.condition}
    before: dict[int, str] = {}
    after: dict[int, str] = {}
    toc: list[tuple[int, str, str]] = []  # (level, anchor, text)
    used: set[str] = set()
    in_conditions = False
    for i, b in enumerate(blocks):
        if b.kind == "h2":
            in_conditions = b.text == "Conditions"
            anchor = _anchor(b.text, used)
            toc.append((2, anchor, b.text))
            before[i] = f'<a id="{anchor}"></a>'
        elif b.kind == "h3" and in_conditions and b.text in conditions:
            # the condition's table, then one per comparison (issue 23); forest plots of the first
            tables = get_sof_tables(
                kb, profile, conditions[b.text].id, data_dir=data_dir, bodies=bodies, registry=registry
            )
            anchor = _anchor(b.text, used)
            toc.append((3, anchor, b.text))
            before[i] = f'<a id="{anchor}"></a>'
            parts = [
                sof_html(t, heading="h4") if as_html else sof_markdown(t, heading="####") for t in tables
            ]
            parts += _figures(tables[0], profile, as_html=as_html)
            would = condition_text(living, conditions[b.text].id, as_html=as_html)
            parts += [would] if would else []
            after[i] = "\n".join(parts) if as_html else "\n\n".join(parts)
    built = get_build_time().strftime("%Y-%m-%d %H:%M UTC")
    meta = f"Built {built}; evidence profile {profile.version} (content hash {profile.content_hash})."
    if as_html:
        items = "".join(
            f'<li class="toc-{level}"><a href="#{a}">{_e(text)}</a></li>' for level, a, text in toc
        )
        after[0] = f'<p class="built">{_e(meta)}</p><nav class="toc"><h2>Contents</h2><ul>{items}</ul></nav>'
        return to_html(
            blocks, before=before, after=after, style=SOF_TABLE_CSS + FIGURE_CSS, appendix=appendix
        )
    lines = [escape_markdown(meta), "", "## Contents", ""]
    lines += [f"{'  ' * (level - 2)}- [{escape_markdown(text)}](#{a})" for level, a, text in toc]
    after[0] = "\n".join(lines)
    return to_markdown(blocks, before=before, after=after) + appendix


def _e(text: str) -> str:
    return html.escape(text)
