"""Summary-of-findings tables (ldngraph.present.sof) and forest plots (ldngraph.present.forest),
library and CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldngraph.cli import cli
from ldngraph.evidence.effects import summarise_effects
from ldngraph.evidence.units import levels_in_words
from ldngraph.model.terms import EffectMeasure
from ldngraph.present.sof import (
    SYMBOLS,
    get_sof_table,
    per_1000,
    read_inputs,
    statement,
    to_html,
    to_markdown,
)
from ldngraph.present.sof_notes import DOMAIN_WORDS

EFFECTS = Path(__file__).parent / "resources" / "effects"
FIBRO = "MESH:D005356"


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    kb, profile = read_inputs(EFFECTS, None)
    return get_sof_table(kb, profile, FIBRO)


def test_rows_critical_first_with_pooled_effect_and_certainty(table) -> None:  # type: ignore[no-untyped-def]
    kb, _ = read_inputs(EFFECTS, None)
    pain, ae = table.rows
    assert (pain.outcome, pain.critical, ae.outcome) == ("HP:0012531", True, "NCIT:C41331")
    assert pain.studies == ("trial-a", "trial-b", "trial-c") and pain.designs == "2 RCTs, 1 crossover RCT"
    assert pain.participants == 120
    expected = summarise_effects([kb.study_index[s] for s in pain.studies], "HP:0012531").pooled
    assert expected is not None and expected.k == 3 and pain.summary.pooled is not None
    got = pain.summary.pooled  # the same pool (the studies enter in another order: ~1e-16 apart)
    for name in ("value", "ci_lower", "ci_upper", "tau2", "i2", "q", "pi_lower", "pi_upper"):
        assert getattr(got, name) == pytest.approx(getattr(expected, name), rel=1e-12, abs=1e-12), name
    assert (got.k, got.n, got.measure, got.scale) == (
        expected.k,
        expected.n,
        expected.measure,
        expected.scale,
    )
    lower, upper = abs(expected.ci_lower), expected.ci_upper
    ci = f"(95% CI {lower:.2f} lower to {upper:.2f} higher)"
    assert pain.effect.startswith(f"MD {abs(expected.value):.2f} lower {ci} on pain NRS 0-10")
    assert pain.relative is None
    assert ae.relative == "RR 1.50 (95% CI 0.60 to 3.75)" and "no baseline risk" in ae.effect
    # every downgrade has a footnote naming its domain and reason, numbered into the table's notes
    for row in table.rows:
        assert (
            row.certainty_text == f"{SYMBOLS[row.certainty]} {row.certainty.replace('_', ' ').capitalize()}"
        )
        texts = [table.footnotes[i - 1] for i in row.footnotes]
        for domain, levels, _ in row.downgrades:
            lead = f"Downgraded {levels_in_words(levels)} for {DOMAIN_WORDS[domain]}: "
            assert any(t.startswith(lead) for t in texts), domain
    assert any(
        t.startswith("Downgraded") and "for imprecision" in t and "important effect" in t
        for t in table.footnotes
    )
    assert any(t.startswith("Pooled: inverse variance") for t in table.footnotes)
    # adverse events: RR CI 0.6-3.75 crosses both GRADE default thresholds (0.8, 1.25): the
    # conclusion is uncertain and imprecision extremely serious (GRADE guidance 34: three levels)
    assert ae.conclusion == "uncertain" and ("imprecision", 3) in [(d, n) for d, n, _ in ae.downgrades]


@pytest.mark.parametrize(
    ("conclusion", "certainty", "lower", "expected"),
    [
        ("benefit", "high", True, "LDN reduces pain."),
        ("benefit", "moderate", True, "LDN probably reduces pain."),
        ("benefit", "low", False, "LDN may improve pain."),
        ("harm", "low", True, "LDN may increase pain."),
        ("little_or_no_effect", "high", True, "LDN results in little to no important difference in pain."),
        (
            "little_or_no_effect",
            "moderate",
            True,
            "LDN probably results in little to no important difference in pain.",
        ),
        ("little_or_no_effect", "low", True, "LDN may result in little to no important difference in pain."),
        ("benefit", "very_low", True, "The evidence is very uncertain about the effect of LDN on pain."),
        (
            "little_or_no_effect",
            "very_low",
            True,
            "The evidence is very uncertain about the effect of LDN on pain.",
        ),
    ],
)
def test_plain_language_statements_follow_santesso(
    conclusion: str, certainty: str, lower: bool, expected: str
) -> None:
    assert statement(conclusion, certainty, "pain", lower_is_better=lower) == expected


def test_absolute_effect_per_1000() -> None:
    assert per_1000(EffectMeasure.rr, 0.5, 0.2) == pytest.approx(-100.0)
    # OR 2 at baseline 20%: risk 0.4 / 1.2 = 1/3 -> 133 more per 1,000
    assert per_1000(EffectMeasure.or_, 2.0, 0.2) == pytest.approx(1000 / 3 - 200)


def test_renderers_escape_record_text(table) -> None:  # type: ignore[no-untyped-def]
    row = table.rows[0].model_copy(update={"outcome_label": "pain <img src=x onerror=alert(1)> [a](b)"})
    bad = table.model_copy(update={"rows": (row,)})
    page = to_html(bad)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "\\[a\\]\\(b\\)" in to_markdown(bad)


@pytest.mark.parametrize("fmt", ["md", "html", "json", "csv"])
def test_cli_sof_formats(fmt: str) -> None:
    result = CliRunner().invoke(
        cli, ["sof", "--data", str(EFFECTS), "--condition", "fibromyalgia", "--format", fmt]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    if fmt == "json":
        data = json.loads(out)
        assert [r["outcome_id"] for r in data["rows"]] == ["HP:0012531", "NCIT:C41331"]
        assert data["rows"][0]["pooled"]["k"] == 3 and data["rows"][0]["certainty_symbols"] == "⊕⊕◯◯"
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [r["outcome"] for r in rows] == ["pain", "adverse events"] and rows[0]["critical"] == "True"
    elif fmt == "html":
        assert out.startswith("<!DOCTYPE html>") and out.count("<tr>") == 3 and "⊕⊕◯◯ Low" in out
    else:
        assert "| pain (critical) | 3 (2 RCTs, 1 crossover RCT) | 120 (3) |" in out and "⊕⊕◯◯ Low" in out


@pytest.mark.parametrize("condition", ["fibromyalgia", "Crohn disease"])
def test_shipped_conditions_give_complete_tables(condition: str) -> None:
    result = CliRunner().invoke(cli, ["sof", "--condition", condition, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["rows"]) >= 3
    for row in data["rows"]:
        for key in ("outcome", "designs", "effect", "certainty", "certainty_symbols", "statement"):
            assert row[key], (row["outcome"], key)
        # Honest counts (issue 21): a harm only a review reported (dizziness, nausea) has no
        # identified study, and its row says so rather than borrowing the review's trials.
        assert row["studies"] >= 1 or "no studies" in row["designs"], row
        assert row["statement"].startswith(
            ("LDN ", "The evidence is very uncertain", "The evidence does not show")
        )
    assert all(note for note in data["footnotes"])


def test_cli_forest_writes_png_and_svg(tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["plot", "forest", "--data", str(EFFECTS), "--condition", "fibromyalgia", "--outcome", "pain"]
    png = tmp_path / "f.png"
    result = runner.invoke(cli, [*base, "-o", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [
        "Trial A <i>x</i>",
        "Trial B",
        "Trial C",
    ]
    svg = tmp_path / "f.svg"
    assert runner.invoke(cli, [*base, "-o", str(svg)]).exit_code == 0
    text = svg.read_text(encoding="utf-8")
    for needle in (
        "Trial B",
        "Random effects (k = 3)",
        "Heterogeneity: tau²",
        "minimal important difference",
    ):
        assert needle in text
    assert "Trial A &lt;i&gt;x&lt;/i&gt;" in text  # SVG text is escaped XML, not markup
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.png", "f.svg"]


def test_forest_without_estimates_fails_and_writes_nothing(tmp_path: Path) -> None:
    from ldngraph.cli import main

    out = tmp_path / "f.png"
    with pytest.raises(SystemExit) as info:
        main(
            ["plot", "forest", "--condition", "Crohn disease", "--outcome", "adverse events", "-o", str(out)]
        )
    assert info.value.code == 1
    assert list(tmp_path.iterdir()) == []
