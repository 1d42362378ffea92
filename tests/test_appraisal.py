"""Schema v2 records: effect estimates, risk of bias, review inclusion, direction/effect agreement.

Every refusal is one line through the curated loader, naming file, line, record and field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ldngraph.errors import DataError
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.model import Judgement, RiskOfBias

Edit = Callable[[str, str, str], Path]

OUTCOME = "      - outcome: LDNO:pain\n        kind: subjective\n        effect: improved\n"


def _estimate(**fields: object) -> str:
    base: dict[str, object] = {
        "measure": "md",
        "value": -1.0,
        "ci_lower": -1.8,
        "ci_upper": -0.2,
        "scale": "pain NRS 0-10",
        "lower_is_better": "true",
        "source": "https://example.org/trial-a",
    }
    base.update(fields)
    body = "".join(f"          {k}: {v}\n" for k, v in base.items() if v is not None)
    return OUTCOME + "        estimate:\n" + body


def _problems(data_dir: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        read_knowledge_base(data_dir)
    return list(info.value.problems)


def test_valid_estimate_loads(edit: Edit) -> None:
    data = edit("studies.yaml", OUTCOME, _estimate())
    est = read_knowledge_base(data).study_index["trial-a"].outcomes[0].estimate
    assert est is not None and est.value == -1.0 and est.favours == "ldn"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"ci_lower": -0.2, "ci_upper": -1.8}, "has lower > upper"),
        ({"value": -2.5}, "lies outside its interval"),
        ({"measure": "rr", "value": 0.0, "ci_lower": None, "ci_upper": None}, "is a ratio and must be > 0"),
        ({"measure": "or", "value": 0.5, "ci_lower": -0.1, "ci_upper": 0.9}, "is a ratio and must be > 0"),
        ({"value": 1.0, "ci_lower": 0.2, "ci_upper": 1.8}, "favours the comparator"),
        ({"p_value": 1.5}, "p_value"),
        ({"source": "not-a-url"}, "is not an http(s) URL"),
    ],
)
def test_bad_estimate_is_one_line(edit: Edit, fields: dict[str, object], expected: str) -> None:
    data = edit("studies.yaml", OUTCOME, _estimate(**fields))
    (line,) = _problems(data)
    assert line.startswith(f"{data / 'studies.yaml'}:12: study 'trial-a': outcomes.0")
    assert expected in line
    assert "\n" not in line


def test_direction_must_agree_with_recorded_effect(edit: Edit) -> None:
    data = edit(
        "claims.yaml",
        "      - study: trial-a\n        direction: supports",
        "      - study: trial-a\n        direction: refutes",
    )
    (line,) = _problems(data)
    assert line.startswith(f"{data / 'claims.yaml'}:9: claim 'ldn-pain': evidence[0].direction:")
    assert "contradicts study 'trial-a', which recorded effect 'improved' for LDNO:pain" in line


def test_unreported_outcome_cannot_back_evidence(edit: Edit) -> None:
    data = edit(
        "studies.yaml", "        effect: improved\n", "        effect: improved\n        reported: false\n"
    )
    (line,) = _problems(data)
    assert "evidence[0].direction: study 'trial-a' does not report outcome LDNO:pain" in line


#: trial-b's own risk-of-bias line in the mini fixture, which these tests replace
MINI_ROB_B = next(
    line
    for line in (Path(__file__).parent / "resources" / "mini" / "studies.yaml")
    .read_text("utf-8")
    .splitlines(True)
    if "example.org/doi2, domains" in line
)
ROB = """    risk_of_bias:
      tool: rob2
      source: https://example.org/trial-b
      domains:
        randomisation: {judgement: low, support: computer-generated sequence}
        deviations: {judgement: low, support: placebo capsules identical}
        missing_data: {judgement: some_concerns, support: 4 of 24 dropped out}
        measurement: {judgement: low, support: patients blinded}
        reporting: {judgement: not_assessed, support: no protocol seen}
"""


def test_crossover_needs_period_domain(edit: Edit) -> None:
    data = edit("studies.yaml", MINI_ROB_B, ROB)
    (line,) = _problems(data)
    assert "study 'trial-b': risk_of_bias: a crossover trial also needs the 'period_carryover' domain" in line


def test_risk_of_bias_overall_is_worst_assessed_domain(edit: Edit) -> None:
    full = ROB + "        period_carryover: {judgement: high, support: no washout}\n"
    kb = read_knowledge_base(edit("studies.yaml", MINI_ROB_B, full))
    rob = kb.study_index["trial-b"].risk_of_bias
    assert isinstance(rob, RiskOfBias) and rob.overall is Judgement.high


def test_unknown_domain_refused(edit: Edit) -> None:
    bad = ROB.replace("randomisation:", "randomization:")
    (line,) = _problems(edit("studies.yaml", MINI_ROB_B, bad))
    assert "unknown rob2 domain 'randomization'" in line


def test_review_block_only_on_reviews(edit: Edit) -> None:
    block = "    review: {reports_methods: false}\n"
    (line,) = _problems(edit("studies.yaml", "    crossover: true\n", "    crossover: true\n" + block))
    assert "study 'trial-b': review: only a review" in line


def test_publication_by_journal_citation(edit: Edit) -> None:
    pub = (
        "  - id: REF:someone2010\n    journal_citation: Mult Scler 2010;16(8):964-9\n"
        "    status: content_match\n    sources: [https://example.org/abstract]\n"
    )
    data = edit("publications.yaml", "publications:\n", "publications:\n" + pub)
    kb = read_knowledge_base(data)
    assert kb.publication_index["REF:someone2010"].citation == "Mult Scler 2010;16(8):964-9"
    bad = edit(
        "publications.yaml",
        "status: content_match\n    sources: [https://example.org/abstract]",
        "status: verified\n    sources: [https://example.org/abstract]",
    )
    assert any("cannot be 'verified'" in p for p in _problems(bad))


@pytest.mark.parametrize(
    ("levels", "overall"),
    [
        (["low"] * 5, "low"),
        (["low"] * 4 + ["not_assessed"], "some_concerns"),  # RoB 2: low only when every domain is low
        (["low"] * 3 + ["some_concerns", "not_assessed"], "some_concerns"),
        (["low", "high", "not_assessed", "not_assessed", "low"], "high"),
        (["not_assessed"] * 5, "not_assessed"),
    ],
)
def test_risk_of_bias_overall_is_low_only_when_every_domain_is_low(levels: list[str], overall: str) -> None:
    from ldngraph.model.appraisal import ROB_DOMAINS
    from ldngraph.model.terms import RobTool

    names = ROB_DOMAINS[RobTool.rob2]
    domains = {n: {"judgement": lv, "support": "fixture"} for n, lv in zip(names, levels, strict=True)}
    rob = RiskOfBias.model_validate({"tool": "rob2", "domains": domains, "source": "https://example.org/t"})
    assert rob.overall.value == overall


@pytest.mark.parametrize("measurement", ["some_concerns", "not_assessed"])
def test_an_unassessed_domain_that_can_bias_the_outcome_is_as_serious_as_some_concerns(
    measurement: str,
) -> None:
    """Bruun 2024 (RoB 2) with its measurement domain changed: for a patient-reported outcome, a
    measurement domain judged "some concerns" makes the study serious, and one left unassessed must
    not be rated more leniently."""
    from ldngraph.evidence.profile import read_profile
    from ldngraph.evidence.risk_of_bias import judge_item_risk
    from ldngraph.locations import get_data_dir
    from ldngraph.model import OutcomeKind
    from ldngraph.pipeline import get_profile_path

    kb = read_knowledge_base(get_data_dir())
    study = kb.study_index["bruun2024"]
    assert study.risk_of_bias is not None
    domains = dict(study.risk_of_bias.domains)
    domains["measurement"] = domains["measurement"].model_copy(update={"judgement": Judgement(measurement)})
    changed = study.model_copy(
        update={"risk_of_bias": study.risk_of_bias.model_copy(update={"domains": domains})}
    )
    profile = read_profile(get_profile_path())
    risk = judge_item_risk(changed, changed.design, OutcomeKind.subjective, None, profile)
    assert risk.level == "some_concerns" and risk.serious
    assert not judge_item_risk(changed, changed.design, OutcomeKind.objective, None, profile).serious
