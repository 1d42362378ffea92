"""The HTML brief with its summary-of-findings tables and forest plots, in real headless Chromium.

Offline: every request that is not file:/data: is refused and recorded; the page must raise no
console error, and its tables and images must be there and decoded. Skipped like
tests/test_viz_browser.py when chromium or playwright is missing (LDNGRAPH_REQUIRE_BROWSER=1 fails).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from test_viz_browser import _Watched, browser  # noqa: F401  (the shared browser fixture)

from ldngraph.pipeline import get_profile, load
from ldngraph.present.report import write_report
from ldngraph.present.sof import get_sof_table
from ldngraph.present.sof_tables import get_sof_tables

pytestmark = pytest.mark.browser

EFFECTS = Path(__file__).parent / "resources" / "effects"


def _open(w: _Watched, path: Path) -> Any:
    w.page.goto(path.resolve().as_uri())
    w.page.wait_for_load_state("load")
    return w.page


@pytest.mark.parametrize("data_dir", [None, EFFECTS], ids=["shipped", "effects-fixture"])
def test_html_brief_with_findings_opens_offline(browser: Any, tmp_path: Path, data_dir: Path | None) -> None:  # noqa: F811
    built = load(data_dir)
    profile = get_profile(data_dir)
    out = write_report(built.kb, built.graph, tmp_path / "brief.html", profile=profile)
    w = _Watched(browser)
    try:
        page = _open(w, out)
        conditions = [e for e in built.kb.entities if e.kind.value == "condition"]
        with_claims = [c for c in conditions if any(cl.object == c.id for cl in built.kb.claims)]
        # a table per condition, then one per comparison where its studies have several (issue 23)
        tables = sum(len(get_sof_tables(built.kb, profile, c.id)) for c in with_claims)
        assert tables >= len(with_claims)
        assert page.locator("table.sof-table").count() == tables
        fibro = get_sof_table(built.kb, profile, "MESH:D005356")
        # the section whose heading is fibromyalgia's (other sections may cite fibromyalgia trials)
        heading = page.locator("h4", has_text=re.compile("for fibromyalgia$"))
        section = page.locator("section.sof", has=heading)
        assert section.locator("tbody tr").count() == len(fibro.rows)
        assert section.locator("tbody tr").first.inner_text().startswith(fibro.rows[0].outcome_label)
        plots = sum(1 for r in fibro.rows if r.summary.pooled is not None)
        assert plots >= 1
        images = page.locator("figure.forest img")
        assert images.count() >= plots
        decoded = page.evaluate(
            "Array.from(document.querySelectorAll('figure.forest img'))"
            ".map(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('data:image/png;base64,'))"
        )
        assert decoded and all(decoded)
        # the contents link to every condition section, and the build line names the profile
        hrefs = page.evaluate(
            "Array.from(document.querySelectorAll('nav.toc a')).map(a => a.getAttribute('href'))"
        )
        for href in hrefs:
            assert page.locator(f"[id='{href[1:]}']").count() == 1, href
        assert f"content hash {profile.content_hash}" in page.locator("p.built").inner_text()
        assert w.errors == []
        assert w.outgoing == []
    finally:
        w.close()


def test_viz_card_shows_each_study_effect_and_ci(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from test_viz_browser import _click_edge

    from ldngraph.present.viz import write_html

    out = write_html(load(EFFECTS), tmp_path / "graph.html")
    w = _Watched(browser)
    try:
        page = w.open(out)
        _click_edge(page, "ldn-pain")
        card = page.locator("#card")
        card.get_by_text("Effect: MD -1.2 (95% CI -2 to -0.4; pain NRS 0-10)").wait_for(timeout=5_000)
        assert (
            "Effect: MD -0.6 (95% CI -1.17 to -0.0274, from the p-value; pain NRS 0-10)" in card.inner_text()
        )
        assert card.locator(".effect").count() == 3
        assert w.errors == []
        assert w.outgoing == []
    finally:
        w.close()
