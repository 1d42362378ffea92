"""Issue 23: the summary-of-findings table as GRADEpro and the Cochrane Handbook (ch. 14) lay it out,
on the shipped data: plain GRADE wording in every footnote of every condition in every format, the
PICO header with the comparison, one table per comparison, critical outcomes with no studies, the
explanations (definitions, abbreviations, search date, references) and statements that agree with
the effect and the conclusion.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ldngraph.cli import cli
from ldngraph.evidence.exclusions import get_comparator
from ldngraph.locations import get_data_dir
from ldngraph.model import EntityKind, Publication
from ldngraph.present.sof import get_sof_table, read_inputs
from ldngraph.present.sof_pico import format_reference

DATA = get_data_dir()
KB, PROFILE = read_inputs(None, None)
CONDITIONS = [e.label for e in KB.entities if e.kind is EntityKind.condition]
#: Tool-internal terms and notation a footnote must not use (issue 23 acceptance).
FORBIDDEN = [
    (r"\bunits?\b", "the tool's 'units'"),
    (r"\bshare\b", "'share'"),
    (r"\bstand(s|ing)?\b", "'stand in for'"),
    (r"disagreement\s*>=", "'disagreement >='"),
    (r">=|<=|(?<![\w\s])\s*<\s*\d|\s<\s", "a >= or < comparison"),
    (r"\b[a-z0-9]+_[a-z0-9_]+\b", "a snake_case id"),
]


def _sof(condition: str, fmt: str) -> str:
    result = CliRunner().invoke(cli, ["sof", "--condition", condition, "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.output


class _Items(HTMLParser):
    """Text of every <li> under an element of class ``cls``."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.depth, self.items, self._li = cls, 0, [], None  # type: ignore[var-annotated]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
            if tag == "li":
                self._li = []
        elif self.cls in (dict(attrs).get("class") or "").split():
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            if tag == "li" and self._li is not None:
                self.items.append("".join(self._li))
                self._li = None
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self._li is not None:
            self._li.append(data)


def _footnotes(out: str, fmt: str) -> list[str]:
    if fmt == "json":
        doc = json.loads(out)
        return [n for t in (doc, *doc["comparisons"]) for n in t["footnotes"]]
    if fmt == "html":
        parser = _Items("sof-notes")
        parser.feed(out)
        return parser.items
    notes: list[str] = []
    for table in re.split(r"^#* ?Summary of findings", out, flags=re.M)[1:]:
        block = table.split("GRADE certainty ratings")[0]
        after = block.split("\n\n", 2)[-1] if fmt == "md" else block
        current: list[str] = []
        for line in after.splitlines():
            if re.match(r"^(- )?[a-z]{1,2}\. ", line):  # footnotes are lettered, references numbered
                if current:
                    notes.append(" ".join(current))
                current = [line]
            elif current and line.startswith(" "):
                current.append(line.strip())
            elif current:
                notes.append(" ".join(current))
                current = []
        if current:
            notes.append(" ".join(current))
    return notes


@pytest.mark.parametrize("fmt", ["md", "html", "text", "json"])
@pytest.mark.parametrize("condition", CONDITIONS)
def test_footnotes_speak_grade_not_the_tool(condition: str, fmt: str) -> None:
    table = get_sof_table(KB, PROFILE, next(e.id for e in KB.entities if e.label == condition))
    notes = _footnotes(_sof(condition, fmt), fmt)
    assert len(notes) >= len(table.footnotes)  # every footnote of the first table was read back
    for note in notes:
        text = note.replace("\\", "") if fmt == "md" else note
        for pattern, what in FORBIDDEN:
            assert not re.search(pattern, text), f"{condition} ({fmt}): {what} in footnote: {text}"


def test_footnotes_have_grades_wording_and_the_models_numbers() -> None:
    table = get_sof_table(KB, PROFILE, "MESH:D005356")
    pain = table.rows[0]
    notes = [table.footnotes[i - 1] for i in pain.footnotes]
    imprecision = next(n for n in notes if n.startswith("Downgraded one level for imprecision"))
    pooled = pain.summary.pooled
    assert pooled is not None
    # the CI in words, as GRADEpro writes an MD, and the participants in the estimate
    assert f"({abs(pooled.ci_lower):.2f} lower to {pooled.ci_upper:.2f} higher)" in imprecision
    assert "excludes an important effect either way" in imprecision
    assert "optimal information size of 400" in imprecision
    # a domain that was weighed and not downgraded is noted as such
    assert any(n.startswith("Not downgraded for inconsistency") and "I² =" in n for n in notes)
    # risk of bias names the trial, its participants and the RoB 2 domains in words
    fatigue = next(r for r in table.rows if r.outcome_label == "fatigue")
    texts = [table.footnotes[i - 1] for i in fatigue.footnotes]
    rob = next(t for t in texts if "for risk of bias" in t)
    assert rob.startswith("Downgraded one level for risk of bias")
    assert "Younger 2013 (31 participants)" in rob and "randomisation" in rob and "carry-over" in rob


def test_pico_header_names_the_comparison_from_the_records() -> None:
    doc = json.loads(_sof("fibromyalgia", "json"))
    pico = doc["pico"]
    studies = {s for r in doc["rows"] for s in r["study_ids"]}
    kinds = [get_comparator(KB.study_index[s]) for s in studies]
    placebo = sum(1 for k in kinds if k is not None and k.value == "placebo")
    unknown = sum(1 for k in kinds if k is None)
    assert f"placebo ({placebo} studies)" in pico["comparison"]
    if unknown:
        assert f"not reported ({unknown} stud" in pico["comparison"]
    assert pico["setting"].startswith("not reported")
    doses = {KB.study_index[s].dose_mg for s in studies}
    for dose in doses - {None}:
        assert f"{dose:g} mg a day" in pico["intervention"]
    if None in doses:
        assert "dose not reported" in pico["intervention"]
    for s in studies:
        desc = KB.study_index[s].population_description
        assert desc is None or desc in pico["population"]


def test_one_table_per_comparison_when_studies_have_several() -> None:
    doc = json.loads(_sof("Crohn disease", "json"))
    kinds = {get_comparator(KB.study_index[s]) for r in doc["rows"] for s in r["study_ids"]} - {None}
    assert len(kinds) > 1
    titles = [t["title"] for t in doc["comparisons"]]
    assert len(titles) == len(kinds)
    assert any("compared with placebo" in t for t in titles)
    for table in doc["comparisons"]:
        found = {get_comparator(KB.study_index[s]) for r in table["rows"] for s in r["study_ids"]} - {None}
        assert len(found) <= 1, table["title"]
    md = _sof("Crohn disease", "md")
    assert md.count("Summary of findings:") == 1 + len(kinds)


def test_critical_outcome_without_studies_is_a_row() -> None:
    empty = []
    for entity in KB.entities:
        if entity.kind is not EntityKind.condition or entity.critical_outcome is None:
            continue
        table = get_sof_table(KB, PROFILE, entity.id)
        if all(r.outcome != entity.critical_outcome for r in table.rows):
            empty.append((entity, table))
    assert empty, "the shipped data have a condition whose critical outcome has no studies"
    for entity, table in empty:
        label = KB.entity_index[entity.critical_outcome or ""].label
        assert table.missing_critical == ((entity.critical_outcome, label),)
        doc = json.loads(_sof(entity.label, "json"))
        row = next(r for r in doc["rows"] if r["outcome"] == label)
        assert row["critical"] is True and row["studies"] == 0 and row["effect"].startswith("no studies")
        assert row["outcome_id"] == entity.critical_outcome and set(row) == set(doc["rows"][0])
        assert f"| {label} (critical) | 0 (no studies) |" in _sof(entity.label, "md").replace("\\", "")


def _last_search(studies: set[str]) -> str:
    log = yaml.safe_load((DATA / "screening.yaml").read_text(encoding="utf-8"))
    study_of = {r["id"]: r.get("study") for r in log["records"]}
    dates = [
        s["date"] for s in log["searches"] if any(study_of.get(f) in studies for f in s.get("found", []))
    ]
    dates += [s["last_run"] for s in log.get("saved_searches", []) if s.get("last_run")]
    return max(dates)


def test_explanations_definitions_abbreviations_search_date_references() -> None:
    doc = json.loads(_sof("fibromyalgia", "json"))
    ex = doc["explanations"]
    assert [d[0] for d in ex["definitions"]] == ["High", "Moderate", "Low", "Very low"]
    abbrs = dict(ex["abbreviations"])
    assert {"CI", "MD", "RR", "RCT", "LDN"} <= set(abbrs)
    assert "HR" not in abbrs and "OR" not in abbrs  # listed only when used
    studies = {s for r in doc["rows"] for s in r["study_ids"]}
    assert ex["search_date"] == _last_search(studies)
    for sid in studies:
        for pid in KB.study_index[sid].publications:
            pub = KB.publication_index[pid]
            assert format_reference(pub) in ex["references"], pid
    text = _sof("fibromyalgia", "text")
    assert "GRADE certainty ratings" in text and f"Last search: {ex['search_date']}" in text


def test_unresolved_pmid_is_printed_without_a_title() -> None:
    pub = Publication(id="PMID:123", pmid="123", status="unresolved")
    assert format_reference(pub) == "PMID 123 (unresolved)"


def test_search_date_not_recorded_without_a_screening_log(tmp_path: Path) -> None:
    from ldngraph.present.sof_pico import get_search_date

    assert get_search_date(tmp_path, KB, ["bruun2024"]) == "search date not recorded"


@pytest.mark.parametrize("condition", CONDITIONS)
def test_statements_agree_with_the_effect_and_the_conclusion(condition: str) -> None:
    """Santesso 2020 statements: the words say what the conclusion and the CI say (issue 23 point 5)."""
    cid = next(e.id for e in KB.entities if e.label == condition)
    for row in get_sof_table(KB, PROFILE, cid).rows:
        text = row.statement.casefold()
        if row.conclusion == "no_human_evidence":
            assert "no human evidence" in text, row.statement
            continue
        if row.certainty == "very_low" or row.conclusion == "uncertain":
            assert "uncertain" in text, (condition, row.outcome_label, row.statement)
            continue
        if row.conclusion == "little_or_no_effect":
            assert "little to no" in text or "slightly" in text, row.statement
        elif row.conclusion in ("benefit", "harm"):
            assert "little to no" not in text and "uncertain" not in text, row.statement
        pooled = row.summary.pooled
        if pooled is not None and row.conclusion in ("benefit", "harm") and row.summary.status != "review":
            # a benefit or harm rests on a CI that excludes no effect
            assert not (pooled.ci_lower < pooled.null_value < pooled.ci_upper), row.effect


def test_report_tables_carry_pico_and_the_search_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "-o", str(tmp_path / "brief.html")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "brief.html").read_text(encoding="utf-8")
    table = get_sof_table(KB, PROFILE, "MESH:D005356")
    searched = _last_search({s for r in table.rows for s in r.studies})
    assert f"<li>Last search: {searched}</li>" in page
    assert '<dl class="sof-pico"><dt>Population</dt>' in page


def test_pico_and_references_are_escaped_in_html_and_markdown() -> None:
    """Record text in the new parts of the table (PICO, references) is escaped like every cell."""
    from ldngraph.present.sof import to_html_page, to_markdown

    hostile = "<img src=x onerror=alert(1)> *women* | with fibromyalgia"
    studies = tuple(
        type(s).model_validate({**s.model_dump(), "population_description": hostile})
        if s.id == "bruun2024"
        else s
        for s in KB.studies
    )
    kb = KB.model_copy(update={"studies": studies})
    table = get_sof_table(kb, PROFILE, "MESH:D005356")
    assert table.pico is not None and hostile in table.pico.population
    page = to_html_page(table)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    md = to_markdown(table)
    assert "\\<img" in md or "&lt;img" in md
    assert "\\*women\\*" in md and "\\|" in md


@pytest.mark.parametrize("condition", CONDITIONS)
def test_every_rating_that_starts_below_high_says_why(condition: str) -> None:
    """GRADE explains every rating below high, the starting level included: each row's footnotes
    hold a "Rated from ..." note exactly when the engine's body starts below high."""
    from ldngraph.pipeline import load

    bodies = load(None, None).scores.bodies
    entity = next(e.id for e in KB.entities if e.label == condition)
    table = get_sof_table(KB, PROFILE, entity)
    for row in table.rows:
        shown = row.outcome_label.removeprefix(KB.entity_index[row.outcome].label)
        (body,) = [
            b
            for b in bodies.values()
            if b.condition == entity
            and b.outcome == row.outcome
            and set(b.studies) == set(row.studies)
            and shown == (f" ({b.qualifier.replace('=', ': ')})" if b.qualifier else "")
        ]
        starts = [
            table.footnotes[i - 1] for i in row.footnotes if table.footnotes[i - 1].startswith("Rated from ")
        ]
        if body.start.value == "high":
            assert not starts, (condition, row.outcome_label, starts)
        else:
            assert len(starts) == 1, (condition, row.outcome_label, starts)
            assert starts[0].startswith(f"Rated from {body.start.value.replace('_', ' ')}: ")
            assert starts[0].endswith(".") and "its studies" not in starts[0]


def test_non_randomised_bodies_say_they_start_low() -> None:
    doc = json.loads(_sof("Crohn's disease", "json"))
    notes = {n for row in doc["rows"] if row["outcome"] == "disease activity" for n in row["footnotes"]}
    assert any(n.startswith("Rated from low: the strongest ") and "before/after" in n for n in notes), notes


def test_footnotes_are_lettered_so_they_never_share_a_mark_with_the_numbered_references() -> None:
    text, md = _sof("fibromyalgia", "text"), _sof("fibromyalgia", "md")
    marks = re.findall(r"\[([a-z]+(?:,[a-z]+)*)\]", md.split("GRADE certainty ratings")[0])
    assert marks and not re.search(r"\[\d+\]", text) and not re.search(r"\[\d+\]", md)
    assert "[a, b, c," in text  # the text table spaces its marks, so it wraps between them
    notes = re.findall(r"^([a-z]{1,2})\. ", text, flags=re.M)
    assert notes[:3] == ["a", "b", "c"] and len(set(notes)) == len(notes)
    assert {m for group in marks for m in group.split(",")} <= set(notes)
    assert re.search(r"^References\n1\. ", text, flags=re.M)


def test_a_review_that_does_not_state_its_participants_leaves_the_information_size_unchecked() -> None:
    """Vivid dreams and dizziness rest on reviews' pooled RRs whose participants are not stated: no
    number is made up for the optimal information size (no unnamed participants are added, and
    none are taken away); the footnote says it could not be checked."""
    table = get_sof_table(KB, PROFILE, "MESH:D005356")
    rows = {r.outcome_label: r for r in table.rows}
    for label in ("vivid dreams", "dizziness"):
        row = rows[label]
        assert row.summary.status == "review", label
        notes = [table.footnotes[i - 1] for i in row.footnotes]
        text = next(n for n in notes if "for imprecision" in n)
        assert text.startswith("Not downgraded for imprecision"), text
        assert "does not state how many participants it pooled, so whether the optimal information" in text
        assert not re.search(r"\b\d+ participants\b", text), text  # no count stands in for the unknown one


def test_the_risk_of_bias_footnote_names_the_domain_that_made_it_serious() -> None:
    """Beaudette-Zlatanova 2023 (crossover RCT) has carry-over not assessed: that, not its concerns about
    randomisation and missing data (methods not described, never serious alone), lowers chronic pain."""
    doc = json.loads(_sof("chronic pain", "json"))
    pain = next(r for r in doc["rows"] if r["outcome"] == "pain")
    (rob,) = [n for n in pain["footnotes"] if "for risk of bias" in n]
    assert rob.startswith("Downgraded one level for risk of bias")
    assert "Beaudette-Zlatanova 2023 (23 participants): carry-over between periods not assessed (also" in rob
