"""Every number finite (issue 27 F2/F3): bounded at the schema, checked where estimates are
converted and pooled, and refused on the way out (JSON ``allow_nan=False``, a SHACL shape)."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError
from rdflib import Graph

from ldngraph.errors import NumberError
from ldngraph.evidence.effects import StudyEffect, pool, to_study_effect
from ldngraph.model import Design, Population, Study
from ldngraph.model.appraisal import EffectEstimate
from ldngraph.model.terms import EffectMeasure
from ldngraph.rdf.export import to_jsonl
from ldngraph.rdf.validate import validate_graph
from ldngraph.safetext import to_json

SOURCE = "https://example.org/source"


def _study() -> Study:
    fields = {"id": "s1", "label": "S1", "design": Design.rct, "population": Population.human}
    return Study.model_validate({**fields, "publications": ["PMID:1"]})


def test_overflowing_ratio_is_one_error_not_a_traceback() -> None:
    """An estimate past the schema (here built without validation) ends in NumberError naming the
    study, not in math.exp's OverflowError."""
    est = EffectEstimate.model_construct(
        measure=EffectMeasure.rr, value=0.8, ci_lower=None, ci_upper=None, ci_level=0.95, se=1000.0,
        p_value=None, scale="responders", lower_is_better=True, n_intervention=None, n_control=None,
        source=SOURCE,
    )  # fmt: skip
    with pytest.raises(NumberError, match="study 's1': outcome LDNO:pain"):
        to_study_effect(_study(), "LDNO:pain", est)


def _effect(study: str, value: float, se: float) -> StudyEffect:
    return StudyEffect(
        study=study, label=study, outcome="LDNO:pain", measure=EffectMeasure.md, value=value,
        ci_lower=value - 1, ci_upper=value + 1, se=se, variance_from="se", scale="NRS", lower_is_better=True,
        source=SOURCE,
    )  # fmt: skip


def test_pooling_tiny_standard_errors_never_gives_nan() -> None:
    with pytest.raises(NumberError, match="not a finite number"):
        pool([_effect("a", -1.0, 1e-200), _effect("b", -0.5, 1e-200)])


def test_pooling_huge_standard_errors_never_raises_overflow() -> None:
    with pytest.raises(NumberError, match="not a finite number"):
        pool([_effect("a", -1.0, 1e200), _effect("b", -0.5, 1e200)])


def test_pooling_ordinary_estimates_still_works() -> None:
    pooled, weighted = pool([_effect("a", -1.0, 0.5), _effect("b", -0.5, 0.4)])
    assert math.isfinite(pooled.value) and -1.0 < pooled.value < -0.5
    assert sum(e.weight or 0 for e in weighted) == pytest.approx(100.0)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_record_floats_refuse_nan_and_infinity(bad: float) -> None:
    with pytest.raises(ValidationError, match="finite number"):
        Study.model_validate(
            {"id": "s1", "label": "S1", "design": "rct", "population": "human", "publications": ["PMID:1"],
             "duration_weeks": bad}
        )  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"measure": "rr", "value": 0.8, "se": 1000}, "se"),
        ({"measure": "rr", "value": 0.8, "ci_lower": 0.5, "ci_upper": 0.9, "ci_level": 1e-10}, "ci_level"),
        ({"value": -1.0, "se": 1e-200}, "se"),
        ({"value": -1.0, "p_value": 1e-320}, "p_value"),
        ({"value": -1.0, "ci_lower": -1.0 - 1e-300, "ci_upper": -1.0 + 1e-12}, "ci_lower"),
        ({"measure": "or", "value": 1e-300}, "value"),
    ],
)
def test_schema_bounds_every_estimate(fields: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"measure": "md", "scale": "s", "lower_is_better": True, "source": SOURCE}
    with pytest.raises(ValidationError) as info:
        EffectEstimate.model_validate({**base, **fields})
    assert info.value.errors()[0]["loc"] == (field,) or f"{field}:" in str(info.value)


def test_json_outputs_refuse_nan() -> None:
    with pytest.raises(NumberError, match="not finite"):
        to_json({"value": math.nan})
    with pytest.raises(NumberError):
        to_jsonl([{"id": "x", "strength": math.inf}])
    assert to_jsonl([{"id": "x", "strength": 0.5}]) == '{"id": "x", "strength": 0.5}\n'


NAN_EFFECT = """
@prefix ldn: <https://w3id.org/ldngraph/vocab/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<urn:e1> a ldn:EffectEstimate ; ldn:value "NaN"^^xsd:double ; ldn:ciLower "-INF"^^xsd:double ;
    ldn:ciUpper "1.5"^^xsd:double .
"""


def test_shacl_refuses_nan_and_infinite_effects() -> None:
    report = validate_graph(Graph().parse(data=NAN_EFFECT, format="turtle"))
    finite = [g for g in report.groups if g.shape == "shape:FiniteNumber"]
    assert {g.path for g in finite} == {"ldn:value", "ldn:ciLower"}, report.to_lines()
