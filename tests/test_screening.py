"""The PRISMA screening log: typed loading, one-line errors, counts held to the log, the report."""

from __future__ import annotations

import html
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from ldngraph.cli import main
from ldngraph.errors import DataError
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.ingest.screening import (
    Decision,
    check_against_studies,
    get_prisma_counts,
    read_screening_log,
)
from ldngraph.present.prisma import get_prisma_section, to_html, to_markdown

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "data" / "screening.yaml"
TINY = Path(__file__).parent / "resources" / "screening" / "screening.yaml"


def _raw(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


# -- counts ----------------------------------------------------------------------------------------


def test_tiny_log_counts() -> None:
    counts = get_prisma_counts(read_screening_log(TINY))
    # 3 + 2 found, rec-b found twice; a, b, c, x screened once each
    assert counts.identified == 5
    assert counts.identified_by_source == {"pages": 3, "docs": 2}
    assert counts.duplicates_removed == 1
    assert counts.screened == 4
    assert (counts.already_in_graph, counts.excluded, counts.not_retrieved, counts.included) == (1, 1, 0, 2)
    assert counts.excluded_by_reason == {"design_not_eligible": 1}
    assert counts.included_studies == 2


def test_shipped_counts_agree_with_the_log() -> None:
    """Every PRISMA box recounted from the raw YAML, independently of the loader."""
    raw = _raw(SHIPPED)
    counts = get_prisma_counts(read_screening_log(SHIPPED))
    found = [rid for s in raw["searches"] for rid in s.get("found", [])]
    decisions = Counter(r["decision"] for r in raw["records"])
    assert counts.identified == len(found)
    assert counts.screened == len(raw["records"]) == len(set(found))
    assert counts.duplicates_removed == len(found) - len(set(found))
    assert counts.already_in_graph == decisions["in_graph"]
    assert counts.excluded == decisions["excluded"] == sum(counts.excluded_by_reason.values())
    assert counts.not_retrieved == decisions["not_retrieved"]
    assert counts.included == decisions["included"]
    # the flow closes: every screened record ends in exactly one box
    assert counts.screened == (
        counts.already_in_graph + counts.excluded + counts.not_retrieved + counts.included
    )
    assert counts.excluded_by_reason == dict(
        Counter(r["reason"] for r in raw["records"] if r["decision"] == "excluded")
    )


def test_shipped_log_names_only_studies_in_the_data() -> None:
    log = read_screening_log(SHIPPED)
    kb = read_knowledge_base(REPO / "data")
    assert check_against_studies(log, (s.id for s in kb.studies)) == []
    included = {r.study for r in log.records if r.decision is Decision.included}
    in_graph = {r.study for r in log.records if r.decision is Decision.in_graph}
    assert not included & in_graph, "a study is either new or already in the graph, not both"


def test_every_included_or_in_graph_study_in_the_log_cites_a_screened_identifier() -> None:
    """An included record's PMID/DOI identifiers are the publications its study cites."""
    log = read_screening_log(SHIPPED)
    kb = read_knowledge_base(REPO / "data")
    studies = {s.id: s for s in kb.studies}
    for rec in log.records:
        if rec.decision is not Decision.included:
            continue
        pubs = set(studies[rec.study].publications) if rec.study else set()
        cited = {i for i in rec.identifiers if i.startswith(("PMID:", "DOI:"))}
        assert not cited or cited & pubs, f"record '{rec.id}': none of {sorted(cited)} is cited by its study"


def test_unknown_study_is_reported() -> None:
    log = read_screening_log(TINY)
    problems = check_against_studies(log, ["trial-a", "trial-b"])
    assert problems == [
        "record 'rec-c': study: 'cells-c' is not in data/studies.yaml; add the study or fix the id"
    ]


# -- bad input -------------------------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = TINY.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "screening.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


@pytest.mark.parametrize(
    ("old", "new", "needle", "expected"),
    [
        (
            "[rec-b, rec-c]",
            "[rec-b, rec-c, rec-q]",
            "rec-q",
            "search 's02': found: 'rec-q' is not a record id",
        ),
        (
            "    reason: design_not_eligible\n",
            "",
            "id: rec-x",
            "record 'rec-x': reason: an excluded record needs",
        ),
        ("    study: trial-b\n", "", "id: rec-b", "record 'rec-b': study: a record with decision included"),
        (
            'date: "2026-11-30"',
            'date: "30/11/2026"',
            "30/11/2026",
            "search 's02': date: must be YYYY-MM-DD, not '30/11/2026'",
        ),
        (
            'date: "2026-11-30"',
            'date: "2026-02-30"',
            "2026-02-30",
            "search 's02': date: '2026-02-30' is not a day of the calendar",
        ),
        (
            "reason: design_not_eligible",
            "reason: boring",
            "boring",
            "record 'rec-x': reason 'boring' is not one of",
        ),
        (
            "  - id: s02",
            "  - id: s01",
            'id: s01\n    date: "2026-11-30"',
            "search 's01': id: repeats the id at line 3",
        ),
        ("decision: in_graph", "decision: maybe", "maybe", "record 'rec-a': decision 'maybe' is not one of"),
        (
            "    label: An editorial\n",
            "    label: An editorial\n    colour: red\n",
            "colour",
            "colour: unknown field",
        ),
    ],
)
def test_bad_log_gives_one_line_with_file_and_line(
    tmp_path: Path, old: str, new: str, needle: str, expected: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(DataError) as exc:
        read_screening_log(path)
    message = str(exc.value)
    assert "\n" not in message, message
    if "\n" in needle:  # the second record with a repeated id
        text = path.read_text(encoding="utf-8")
        line = text[: text.index(needle)].count("\n") + 1
    else:
        line = _line_of(path, needle)
    assert message.startswith(f"{path}:{line}: "), message
    assert expected in message, message


def test_record_found_by_no_search(tmp_path: Path) -> None:
    path = _broken(tmp_path, "found: [rec-a, rec-b, rec-x]", "found: [rec-a, rec-b]")
    with pytest.raises(DataError, match=r"screening\.yaml:\d+: record 'rec-x': no search found it"):
        read_screening_log(path)


def test_unknown_top_level_key_and_syntax_error(tmp_path: Path) -> None:
    path = _broken(tmp_path, "records:\n", "recrods:\n")
    with pytest.raises(DataError, match="unknown top-level key 'recrods'"):
        read_screening_log(path)
    path.write_text("searches: [\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"screening\.yaml:\d+: YAML syntax error"):
        read_screening_log(path)


# -- the report ------------------------------------------------------------------------------------


def test_prisma_section_renders_every_count_and_ongoing_trial() -> None:
    kb = read_knowledge_base(REPO / "data")
    section = get_prisma_section(REPO / "data", {e.id: e.label for e in kb.entities})
    assert section is not None
    md, page = to_markdown(section), to_html(section)
    for line in section.counts.to_lines():
        step, _, value = line.partition(": ")
        assert f"| {step} | {value} |" in md
        assert f"<td>{step}</td><td>{value}</td>" in page.replace("&amp;", "&")
    ongoing = [r for r in read_screening_log(SHIPPED).records if r.ongoing]
    assert len(section.ongoing) == len(ongoing) > 0
    for rec in ongoing:
        condition = kb.entity_index[rec.condition].label if rec.condition else ""
        assert f"- {condition}: {rec.label}" in md.replace("\\", "")
        assert html.escape(f"{condition}: {rec.label}") in page


def test_ongoing_trial_needs_its_condition(tmp_path: Path) -> None:
    path = _broken(tmp_path, "    label: An editorial\n", "    label: An editorial\n    ongoing: true\n")
    with pytest.raises(DataError, match="record 'rec-x': condition: an ongoing trial names the condition"):
        read_screening_log(path)


def test_cli_report_shows_prisma_counts(tmp_path: Path, mini_copy: Path) -> None:
    shutil.copy(TINY, mini_copy / "screening.yaml")
    out = tmp_path / "brief.md"
    main(["report", "--data", str(mini_copy), "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    counts = get_prisma_section(mini_copy)
    assert counts is not None
    assert "## Literature screening (PRISMA 2020 flow)" in text
    assert "| Records identified | 5 (docs 2, pages 3) |" in text
    assert "| Duplicates removed | 1 |" in text
    html_out = tmp_path / "brief.html"
    main(["report", "--data", str(mini_copy), "-o", str(html_out)])
    assert "<td>Records screened</td><td>4</td>" in html_out.read_text(encoding="utf-8")


def test_cli_report_without_a_log_has_no_prisma_section(tmp_path: Path, mini_dir: Path) -> None:
    out = tmp_path / "brief.md"
    main(["report", "--data", str(mini_dir), "-o", str(out)])
    assert "PRISMA" not in out.read_text(encoding="utf-8")


def test_cli_report_with_a_bad_log_fails_in_one_line(
    tmp_path: Path, mini_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (mini_copy / "screening.yaml").write_text(
        TINY.read_text(encoding="utf-8").replace("decision: in_graph", "decision: maybe"), encoding="utf-8"
    )
    out = tmp_path / "brief.md"
    with pytest.raises(SystemExit) as exc:
        main(["report", "--data", str(mini_copy), "-o", str(out)])
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip()
    assert "decision 'maybe' is not one of" in err and "Traceback" not in err
    assert not out.exists()


def test_included_studies_carry_their_appraisal() -> None:
    """Studies added from the log: controlled human studies have risk-of-bias judgements for every
    domain, reviews say what they include (or why that is unknown), protocols back no claim."""
    log = read_screening_log(SHIPPED)
    kb = read_knowledge_base(REPO / "data")
    studies = {s.id: s for s in kb.studies}
    cited = {item.study for claim in kb.claims for item in claim.evidence}
    added = [studies[r.study] for r in log.records if r.decision is Decision.included and r.study]
    assert added
    for study in added:
        if study.is_secondary:
            assert study.review is not None, f"study '{study.id}': a review needs a review block"
        elif study.is_human and study.controlled:
            assert study.risk_of_bias is not None, (
                f"study '{study.id}': controlled, so judge its risk of bias"
            )
        if (study.notes or "").startswith("PROTOCOL"):
            assert not study.outcomes and study.id not in cited, f"protocol '{study.id}' cannot be evidence"
        else:
            assert study.id in cited, f"study '{study.id}' was included but backs no claim"
