"""`ldngraph sof --condition fibromyalgia --format html` in real headless Chromium (issue 23).

Written to a file by the CLI and opened offline: every request that is not file:/data: is refused
and recorded; the page must raise no console error and show the PICO header with the comparison,
the participants (studies) column, absolute effects where a control risk is recorded, GRADE's
certainty definitions and the search date. Skipped like tests/test_viz_browser.py when chromium or
playwright is missing (LDNGRAPH_REQUIRE_BROWSER=1 fails instead).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_viz_browser import _Watched, browser  # noqa: F401  (the shared browser fixture)

from ldngraph.cli import cli
from ldngraph.evidence.effects import get_control_risk
from ldngraph.present.sof import get_sof_table, read_inputs
from ldngraph.present.sof_pico import get_search_date

pytestmark = pytest.mark.browser


def test_sof_html_opens_offline_with_pico_and_explanations(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    result = CliRunner().invoke(cli, ["sof", "--condition", "fibromyalgia", "--format", "html"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "sof.html"
    out.write_text(result.output, encoding="utf-8")
    kb, prof = read_inputs(None, None)
    table = get_sof_table(kb, prof, "MESH:D005356")
    w = _Watched(browser)
    try:
        page = w.page
        page.goto(out.resolve().as_uri())
        page.wait_for_load_state("load")
        pico = dict(
            zip(
                page.locator("dl.sof-pico dt").all_inner_texts(),
                page.locator("dl.sof-pico dd").all_inner_texts(),
                strict=True,
            )
        )
        assert list(pico) == ["Population", "Setting", "Intervention", "Comparison"]
        assert "placebo" in pico["Comparison"] and pico["Setting"].startswith("not reported")
        headers = page.locator("table.sof-table thead th").all_inner_texts()
        assert "Participants (studies)" in headers
        col = headers.index("Participants (studies)")
        rows = page.locator("table.sof-table tbody tr")
        assert rows.count() == len(table.rows) + len(table.missing_critical)
        for i, row in enumerate(table.rows):
            cell = rows.nth(i).locator("td").nth(col).inner_text()
            assert cell == f"{row.participants or 'not reported'} ({len(row.studies)})"
        # absolute effects per 1,000 in every row whose comparator arms record a risk
        effect_col = headers.index("Effect (95% CI)")
        with_risk = [i for i, r in enumerate(table.rows) if get_control_risk(kb, r.summary) is not None]
        assert with_risk
        for i in with_risk:
            assert "per 1,000" in rows.nth(i).locator("td").nth(effect_col).inner_text()
        explanations = page.locator("div.sof-explanations").inner_text()
        for level in ("High:", "Moderate:", "Low:", "Very low:"):
            assert level in explanations
        searched = get_search_date(None, kb, [s for r in table.rows for s in r.studies])
        assert searched[:2] == "20" and f"Last search: {searched}" in explanations  # data/screening.yaml
        assert w.errors == []
        assert w.outgoing == []
    finally:
        w.close()
