"""Every field that becomes an IRI goes through one validated constructor (issue 27 F9).

An estimate ``source`` holding ``<``, ``>``, ``"``, ``{``, ``}``, ``|``, ``^``, a backtick or a
backslash once crashed ``build -o``, the ttl/nt/trig exports and ``push``, while the JSON-LD export
exited 0 with an ``@id`` that, read back as Turtle, injected a triple on another publication.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from rdflib import Graph

from ldngraph.evidence.effects_rdf import add_effects
from ldngraph.model import KnowledgeBase
from ldngraph.model.appraisal import EffectEstimate, RiskOfBias
from ldngraph.present.sof import read_inputs

EFFECTS = Path(__file__).parent / "resources" / "effects"
HOSTILE = [
    "https://example.org/a> <https://pubmed.ncbi.nlm.nih.gov/111> "
    + '<https://w3id.org/ldngraph/vocab/retracted> "true',
    "https://example.org/{x}",
    "https://example.org/a|b",
    "https://example.org/a^b",
    "https://example.org/a`b",
    "https://example.org/a\\b",
    'https://example.org/"q"',
]


@pytest.mark.parametrize("url", HOSTILE)
def test_schema_refuses_urls_no_iri_may_hold(url: str) -> None:
    base = {"measure": "md", "value": -1.0, "scale": "s", "lower_is_better": True}
    with pytest.raises(ValidationError, match="which no IRI may hold"):
        EffectEstimate.model_validate({**base, "source": url})
    with pytest.raises(ValidationError, match="which no IRI may hold"):
        RiskOfBias.model_validate({"tool": "rob2", "domains": {}, "source": url})


def _with_source(kb: KnowledgeBase, url: str) -> KnowledgeBase:
    """``kb`` with trial-a's first estimate pointing at ``url`` (past the schema, as a bug or a
    future loader might)."""
    study = kb.study_index["trial-a"]
    out = study.outcomes[0]
    assert out.estimate is not None
    bad = out.model_copy(update={"estimate": out.estimate.model_copy(update={"source": url})})
    studies = tuple(
        s.model_copy(update={"outcomes": (bad, *s.outcomes[1:])}) if s.id == "trial-a" else s
        for s in kb.studies
    )
    return kb.model_copy(update={"studies": studies})


@pytest.mark.parametrize("url", HOSTILE[:3])
def test_rdf_mapping_refuses_a_source_that_is_no_iri(url: str) -> None:
    kb, profile = read_inputs(EFFECTS, None)
    with pytest.raises(ValueError, match="no IRI may hold"):
        add_effects(Graph(), _with_source(kb, url), profile)


def test_ordinary_sources_still_map() -> None:
    kb, profile = read_inputs(EFFECTS, None)
    graph = add_effects(Graph(), _with_source(kb, "https://example.org/a?b=1&c=%3C#frag"), profile)
    assert "https://example.org/a?b=1&c=%3C#frag" in {str(o) for o in graph.objects()}
