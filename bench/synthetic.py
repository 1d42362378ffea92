"""A deterministic synthetic evidence corpus for benchmarks: S studies over a few hundred entities.

The corpus is an ordinary :class:`ldngraph.model.KnowledgeBase`, so ``build`` and ``score`` run on
it unchanged. Its shape follows the curated LDN data, scaled up:

* a handful of interventions (think: LDN and other repurposed drugs), a few hundred mechanisms
  (genes, cell types, processes) and conditions, and eight outcomes (subjective and objective);
* four kinds of claims: intervention -> mechanism (``decreases``/``increases``), mechanism ->
  mechanism (signalling, ``increases``/``decreases``: the gene-gene and cell-cell links that fill
  text-mined corpora, and what gives the paths query its 3-hop paths), mechanism -> condition
  (``contributes_to``) and intervention -> condition (``in_clinical_trials_for``, per outcome;
  ``beneficial_in_models_for`` for animal work);
* studies drawn from a design mix like the clinical literature (many small uncontrolled and
  preclinical studies, few large RCTs), with log-normal sizes by design, supporting or refuting
  (null) results, and a few reviews that summarise primary studies;
* claim popularity is skewed (a few claims get most studies), as in real corpora.

Every identifier is synthetic and obviously so (CHEBI:90000xx, PMID 9xxxxxxxx, example.org
sources). Objects are created with ``model_construct`` (no per-field validation: 10^5 studies in a
few seconds); :func:`validate` re-checks a corpus in full, and the tests run it on a small one.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ldngraph.model.appraisal import DomainJudgement, RiskOfBias
from ldngraph.model.terms import CROSSOVER_DOMAIN, Judgement, RobTool
from ldngraph.model import (
    ROB_DOMAINS,
    CitationStatus,
    Claim,
    Design,
    Direction,
    Effect,
    Entity,
    EntityKind,
    EvidenceItem,
    Indirectness,
    KnowledgeBase,
    OutcomeKind,
    Population,
    Predicate,
    Publication,
    Qualifiers,
    SourceDocument,
    Study,
    StudyOutcome,
    find_problems,
)

#: Design -> (relative frequency, median n, population). Loosely the mix of the LDN literature.
DESIGN_MIX: dict[Design, tuple[float, int, Population]] = {
    Design.meta_analysis: (0.005, 600, Population.human),
    Design.systematic_review: (0.01, 400, Population.human),
    Design.narrative_review: (0.02, 0, Population.none),
    Design.rct: (0.08, 60, Population.human),
    Design.crossover_rct: (0.03, 30, Population.human),
    Design.controlled_trial: (0.04, 50, Population.human),
    Design.prospective_cohort: (0.06, 120, Population.human),
    Design.pre_post: (0.08, 25, Population.human),
    Design.retrospective_cohort: (0.07, 200, Population.human),
    Design.case_series: (0.08, 8, Population.human),
    Design.case_report: (0.06, 1, Population.human),
    Design.animal: (0.20, 24, Population.animal),
    Design.in_vitro: (0.20, 0, Population.cell),
    Design.commentary: (0.045, 0, Population.none),
}
CLINICAL = {d for d, (_, _, pop) in DESIGN_MIX.items() if pop is Population.human}
OUTCOMES: tuple[tuple[str, str, OutcomeKind], ...] = (
    ("LDNO:pain", "pain", OutcomeKind.subjective),
    ("LDNO:fatigue", "fatigue", OutcomeKind.subjective),
    ("LDNO:sleep", "sleep quality", OutcomeKind.subjective),
    ("LDNO:quality-of-life", "quality of life", OutcomeKind.subjective),
    ("LDNO:disease-activity", "disease activity", OutcomeKind.objective),
    ("LDNO:inflammatory-markers", "inflammatory markers", OutcomeKind.objective),
    ("LDNO:remission", "endoscopic remission", OutcomeKind.objective),
    ("LDNO:adverse-events", "adverse events", OutcomeKind.objective),
)
SOURCE_URL = "https://example.org/ldngraph/synthetic"


@dataclass(frozen=True)
class CorpusShape:
    """How big the entity and claim space is (the defaults give ~4,400 possible claims)."""

    interventions: int = 5
    mechanisms: int = 300
    conditions: int = 150
    mechanisms_per_intervention: int = 60
    conditions_per_mechanism: int = 8
    conditions_per_intervention: int = 40
    #: signalling links from each mechanism to other mechanisms (0: no 3-hop paths at all)
    mechanism_links_per_mechanism: int = 3


def intervention_id(i: int) -> str:
    return f"CHEBI:{9_000_000 + i}"


def _entities(shape: CorpusShape) -> list[Entity]:
    make = Entity.model_construct
    ents = [
        make(id=intervention_id(i), label=f"drug {i}", kind=EntityKind.intervention, synonyms=(f"D{i}",))
        for i in range(shape.interventions)
    ]
    for m in range(shape.mechanisms):
        curie = (f"HGNC:{90_000 + m}", f"CL:{9_000_000 + m}", f"GO:{9_000_000 + m}")[m % 3]
        ents.append(make(id=curie, label=f"mechanism {m}", kind=EntityKind.mechanism))
    ents += [
        make(id=f"MESH:D9{c:06d}", label=f"condition {c}", kind=EntityKind.condition)
        for c in range(shape.conditions)
    ]
    ents += [
        make(id=curie, label=label, kind=EntityKind.outcome, outcome_kind=kind)
        for curie, label, kind in OUTCOMES
    ]
    return ents


def _claim_space(rng: random.Random, shape: CorpusShape, ents: list[Entity]) -> dict[str, list[tuple]]:
    """Possible claims by kind: (subject, predicate, object, outcome or None)."""
    interventions = [e.id for e in ents if e.kind is EntityKind.intervention]
    mechanisms = [e.id for e in ents if e.kind is EntityKind.mechanism]
    conditions = [e.id for e in ents if e.kind is EntityKind.condition]
    space: dict[str, list[tuple]] = {
        "mechanism": [],
        "pathology": [],
        "clinical": [],
        "model": [],
        "signalling": [],
    }
    for drug in interventions:
        for mech in rng.sample(mechanisms, shape.mechanisms_per_intervention):
            pred = Predicate.decreases if rng.random() < 0.75 else Predicate.increases
            space["mechanism"].append((drug, pred, mech, None))
        for cond in rng.sample(conditions, shape.conditions_per_intervention):
            space["model"].append((drug, Predicate.beneficial_in_models_for, cond, None))
            for outcome in rng.sample([o[0] for o in OUTCOMES], 3):
                space["clinical"].append((drug, Predicate.in_clinical_trials_for, cond, outcome))
    for mech in mechanisms:
        for cond in rng.sample(conditions, shape.conditions_per_mechanism):
            space["pathology"].append((mech, Predicate.contributes_to, cond, None))
        for other in rng.sample(mechanisms, shape.mechanism_links_per_mechanism):
            if other != mech:
                pred = Predicate.increases if rng.random() < 0.6 else Predicate.decreases
                space["signalling"].append((mech, pred, other, None))
    return space


def _pick(rng: random.Random, pool: list[tuple]) -> tuple:
    # Skewed popularity: index ~ pool * u^2 favours the front of the (shuffled) pool.
    return pool[int(len(pool) * rng.random() ** 2)]


def generate(n_studies: int, *, seed: int = 7, shape: CorpusShape | None = None) -> KnowledgeBase:
    """A knowledge base of ``n_studies`` studies; the same arguments always give the same corpus."""
    shape = shape or CorpusShape()
    rng = random.Random(seed)
    ents = _entities(shape)
    space = _claim_space(rng, shape, ents)
    designs = list(DESIGN_MIX)
    weights = [DESIGN_MIX[d][0] for d in designs]
    outcome_kind = {curie: kind for curie, _, kind in OUTCOMES}
    evidence: dict[tuple, list[EvidenceItem]] = defaultdict(list)
    studies: list[Study] = []
    pubs: list[Publication] = []
    by_claim_primary: dict[tuple, list[str]] = defaultdict(list)
    make_item, make_out = EvidenceItem.model_construct, StudyOutcome.model_construct
    design_draws = rng.choices(designs, weights, k=n_studies)

    for s, design in enumerate(design_draws):
        sid, pid = f"syn-{s}", f"PMID:{900_000_000 + s}"
        _, median_n, population = DESIGN_MIX[design]
        n = max(1, round(median_n * math.exp(rng.gauss(0, 0.6)))) if median_n else None
        if design is Design.case_report:
            n = 1
        year = 1985 + int(40 * rng.random() ** 0.5)
        if design in CLINICAL:
            kinds = ["clinical"] * 3
        elif design is Design.animal:
            kinds = ["model", "mechanism", "pathology"]
        else:
            kinds = ["mechanism", "signalling" if space["signalling"] else "pathology", "pathology"]
        outcomes: list[StudyOutcome] = []
        items: list[tuple[tuple, EvidenceItem]] = []
        for kind in kinds[: 1 + int(rng.random() * 2.2)]:
            claim = _pick(rng, space[kind])
            if any(claim == c for c, _ in items):
                continue
            supports = rng.random() < (0.72 if design in CLINICAL else 0.85)
            direction = Direction.supports if supports else Direction.refutes
            outcome = claim[3]
            if outcome is not None:
                effect = Effect.improved if supports else Effect.no_effect
                outcomes.append(make_out(outcome=outcome, kind=outcome_kind[outcome], effect=effect))
            items.append(
                (
                    claim,
                    make_item(
                        study=sid,
                        direction=direction,
                        outcome=outcome,
                        outcome_kind=None,
                        indirectness=(Indirectness.different_dose,) if rng.random() < 0.05 else (),
                        note=None,
                    ),
                )
            )
        summarises: tuple[str, ...] = ()
        if design in {Design.meta_analysis, Design.systematic_review} and items:
            summarises = tuple(by_claim_primary[items[0][0]][-6:])
        human = population is Population.human
        randomised = design in {Design.rct, Design.crossover_rct, Design.meta_analysis}
        controlled = randomised or design in {Design.controlled_trial, Design.animal}
        rob = None
        if human and controlled and design not in {Design.meta_analysis, Design.systematic_review}:
            # every controlled human study carries a risk-of-bias block (curation v3 requires one)
            tool = RobTool.rob2 if randomised else RobTool.robins_i
            names = (*ROB_DOMAINS[tool], *((CROSSOVER_DOMAIN,) if design is Design.crossover_rct else ()))
            rob = RiskOfBias.model_construct(
                tool=tool,
                domains={
                    d: DomainJudgement.model_construct(judgement=rng.choice(JUDGEMENTS), support="synthetic")
                    for d in names
                },
                source=SOURCE_URL,
            )
        studies.append(
            Study.model_construct(
                id=sid,
                label=f"Synthetic {design.value} {s}",
                design=design,
                population=population,
                species="NCBITaxon:9606"
                if human
                else ("NCBITaxon:10090" if design is Design.animal else None),
                population_description=None,
                n=n,
                randomised=randomised if human else None,
                controlled=controlled if population is not Population.none else None,
                blinded=(randomised and rng.random() < 0.8) if human else None,
                crossover=design is Design.crossover_rct,
                registry=f"NCT{10_000_000 + s:08d}"
                if randomised and design is not Design.meta_analysis
                else None,
                duration_weeks=float(rng.choice((4, 8, 12, 16, 24))) if human and n and n > 1 else None,
                year=year,
                publications=(pid,),
                outcomes=tuple(outcomes),
                indirectness=(),
                summarises=summarises,
                risk_of_bias=rob,
                notes=None,
            )
        )
        pubs.append(
            Publication.model_construct(
                id=pid,
                pmid=pid[5:],
                doi=None,
                pmcid=None,
                title=f"Synthetic publication {s}",
                authors=(f"Author{s % 997} A",),
                journal="Synth J",
                year=year,
                publication_types=("Journal Article",),
                status=CitationStatus.verified,
                retracted=False,
                sources=(SOURCE_URL,),
                notes=None,
            )
        )
        for claim, item in items:
            evidence[claim].append(item)
            if not summarises and design not in {Design.narrative_review, Design.commentary}:
                by_claim_primary[claim].append(sid)

    claims = [
        Claim.model_construct(
            id=f"c{k}",
            subject=subj,
            predicate=pred,
            object=obj,
            qualifiers=Qualifiers.model_construct(outcome=outcome, aspect=None, context=None),
            statement=f"{subj} {pred.value} {obj}" + (f" ({outcome})" if outcome else ""),
            evidence=tuple(items),
            asserted_by=(),
            notes=None,
        )
        for k, ((subj, pred, obj, outcome), items) in enumerate(evidence.items())
    ]
    source = SourceDocument.model_construct(
        id="synthetic",
        title="Synthetic corpus",
        kind="benchmark corpus",
        cites=(),
        statements=(),
    )
    return KnowledgeBase.model_construct(
        entities=tuple(ents),
        publications=tuple(pubs),
        studies=tuple(studies),
        claims=tuple(claims),
        sources=(source,),
    )


#: Risk-of-bias judgements drawn for synthetic studies (mostly low, as in a curated corpus).
JUDGEMENTS = (Judgement.low, Judgement.low, Judgement.low, Judgement.some_concerns, Judgement.high)

#: data/ files and the knowledge-base field each holds.
FILES = ("entities", "publications", "studies", "claims", "sources")


def write_yaml(kb: KnowledgeBase, directory: Path) -> Path:
    """Write ``kb`` as a data directory (entities.yaml ... sources.yaml, the curated format that
    ``ldngraph build --data`` reads), defaults left out as a curator would; returns ``directory``."""
    import yaml

    directory.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for name in FILES:
        items = [record.model_dump(mode="json", exclude_defaults=True) for record in getattr(kb, name)]
        with (directory / f"{name}.yaml").open("w", encoding="utf-8") as handle:
            yaml.dump({name: items}, handle, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120)
    return directory


def validate(kb: KnowledgeBase) -> KnowledgeBase:
    """Re-validate every record (pydantic validators) and every cross-record rule."""
    checked = KnowledgeBase.model_validate(kb.model_dump())
    problems = find_problems(checked)
    if problems:
        raise ValueError(f"{len(problems)} problems, first: {problems[0]}")
    return checked
