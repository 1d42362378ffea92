"""Frozen, typed models of the LDN evidence graph.

The model follows ``architecture.md`` section 2: entities (intervention, mechanism, condition,
outcome), publications, studies with design attributes, and claims (typed edges) backed by
evidence items. Claims carry a content-hash identity (INDRA's "shallow hash" idea): two claims
with the same subject, predicate, object and qualifiers are the same claim.

Models are pydantic v2 and frozen; cross-record rules (dangling references, duplicates) live in
:class:`KnowledgeBase`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from ldngraph.model.appraisal import ArmData, Comparator, EffectEstimate, ReviewInfo, RiskOfBias
from ldngraph.model.terms import (
    BIOLINK_CLASS_RE,
    CROSSOVER_DOMAIN,
    DOI_RE,
    NCT_RE,
    PMCID_RE,
    PMID_RE,
    REF_RE,
    SECONDARY_DESIGNS,
    CitationStatus,
    ComparatorKind,
    Comparison,
    Design,
    Direction,
    Effect,
    EntityKind,
    Indirectness,
    OutcomeKind,
    Population,
    Predicate,
    PubMedCheck,
    RobTool,
    _check_slug,
    _check_urls,
    _Frozen,
    check_curie,
)

# -- records -------------------------------------------------------------------------------------


class Entity(_Frozen):
    """A node that is not a study or publication: intervention, mechanism, condition or outcome."""

    id: str = Field(description="Standard CURIE, e.g. CHEBI:7465, HGNC:11850, CL:0000129, MESH:D005356")
    label: str = Field(min_length=1, description="Preferred human-readable name")
    kind: EntityKind = Field(description="Role in the graph")
    category: str | None = Field(
        default=None, description="Biolink class name (e.g. Gene, Cell, Disease); defaults by kind"
    )
    synonyms: tuple[str, ...] = Field(default=(), description="Other names a user may type")
    description: str | None = Field(default=None, description="One-line definition in our words")
    outcome_kind: OutcomeKind | None = Field(default=None, description="For outcomes: how it is measured")
    higher_is_better: StrictBool | None = Field(
        default=None,
        description="For outcomes: true when a higher value is the better one (quality of life, sleep "
        "quality), false when lower is better (pain, fatigue, adverse events)",
    )
    direction_note: str | None = Field(
        default=None,
        description="For outcomes: why higher (or lower) is better, e.g. the instruments' scales",
    )
    qualifier: str | None = Field(default=None, description="E.g. the dose range of the intervention")
    xrefs: tuple[str, ...] = Field(default=(), description="Equivalent CURIEs in other vocabularies")
    source: str | None = Field(default=None, description="URL where the identifier was checked")
    critical_outcome: str | None = Field(
        default=None,
        description="For conditions: the critical outcome (outcome CURIE) that heads its evidence",
    )

    @field_validator("id")
    @classmethod
    def _id_is_curie(cls, value: str) -> str:
        return check_curie(value)

    @field_validator("category")
    @classmethod
    def _category_is_biolink_class(cls, value: str | None) -> str | None:
        if value is not None and not BIOLINK_CLASS_RE.match(value):
            raise ValueError(
                f"'{value[:80]}' is not a Biolink class name (UpperCamelCase letters and digits, "
                "e.g. Disease, Gene, PhenotypicFeature)"
            )
        return value

    @field_validator("xrefs")
    @classmethod
    def _xrefs_are_curies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for xref in value:
            check_curie(xref)
        return value

    @model_validator(mode="after")
    def _outcome_kind_only_for_outcomes(self) -> Entity:
        if self.kind is EntityKind.outcome and self.outcome_kind is None:
            raise ValueError("outcome_kind: an outcome needs outcome_kind (subjective or objective)")
        if self.critical_outcome is not None and self.kind is not EntityKind.condition:
            raise ValueError("critical_outcome: only a condition has a critical outcome")
        if self.kind is not EntityKind.outcome and (self.higher_is_better, self.direction_note) != (
            None,
            None,
        ):
            raise ValueError("higher_is_better: only an outcome has a better direction")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this entity answers to (CURIE, label, synonyms)."""
        return (self.id, self.label, *self.synonyms)


class Publication(_Frozen):
    """A publication, identified by PMID where known, else by DOI."""

    id: str = Field(
        description="'PMID:<digits>', else 'DOI:<doi>', else 'REF:<slug>' (journal citation only)"
    )
    pmid: str | None = Field(default=None, description="PubMed ID, digits only")
    doi: str | None = Field(default=None, description="DOI without the https://doi.org/ prefix")
    journal_citation: str | None = Field(
        default=None,
        min_length=1,
        description="Journal, year, volume(issue) and pages as printed, e.g. 'Mult Scler 2010;16(8):964-9'; "
        "the identity of a publication with no PMID and no DOI",
    )
    pmcid: str | None = Field(default=None, description="PubMed Central ID, e.g. PMC3381945")
    title: str | None = Field(default=None, description="Title as seen in the source (none if unresolved)")
    authors: tuple[str, ...] = Field(default=(), description="Authors as 'Surname Initials'")
    journal: str | None = Field(default=None, description="Journal abbreviation")
    year: StrictInt | None = Field(default=None, ge=1900, le=2100, description="Publication year")
    publication_types: tuple[str, ...] = Field(default=(), description="As indexed (e.g. PubMed types)")
    status: CitationStatus = Field(description="verified / content_match / unresolved")
    retracted: StrictBool = Field(default=False, description="True if the publication has been retracted")
    pubmed_check: PubMedCheck | None = Field(
        default=None, description="Comparison with the cached PubMed record (None: not checked)"
    )
    pubmed_mismatch: tuple[str, ...] = Field(
        default=(), description="Curated fields that disagree with PubMed (title, year, journal, doi)"
    )
    sources: tuple[str, ...] = Field(default=(), description="URLs where the metadata was seen")
    notes: str | None = Field(default=None, description="Caveats, mislabels, discrepancies")

    @field_validator("pmid")
    @classmethod
    def _pmid_digits(cls, value: str | None) -> str | None:
        if value is not None and not PMID_RE.match(value):
            raise ValueError(f"PMID '{value}' must be digits only (e.g. 37804660)")
        return value

    @field_validator("doi")
    @classmethod
    def _doi_form(cls, value: str | None) -> str | None:
        if value is not None and not DOI_RE.match(value):
            raise ValueError(f"DOI '{value}' must look like 10.NNNN/suffix (no https://doi.org/ prefix)")
        return value

    @field_validator("pmcid")
    @classmethod
    def _pmcid_form(cls, value: str | None) -> str | None:
        if value is not None and not PMCID_RE.match(value):
            raise ValueError(f"PMCID '{value}' must look like PMC1234567")
        return value

    @field_validator("sources")
    @classmethod
    def _sources_are_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_urls(value)

    @model_validator(mode="after")
    def _identity(self) -> Publication:
        if self.pmid is None and self.doi is None:
            if self.journal_citation is None:
                raise ValueError(
                    "pmid: a publication needs a pmid, a doi or (when neither exists) a journal_citation "
                    "(no citation, no edge)"
                )
            if not REF_RE.match(self.id):
                raise ValueError(
                    f"id: id '{self.id}' must be 'REF:<slug>' (e.g. REF:sharafaddinzadeh2010) for a "
                    "publication known only by its journal citation"
                )
            if self.status is CitationStatus.verified:
                raise ValueError(
                    "status: a publication known only by its journal citation cannot be 'verified' "
                    "(no identifier to check); use content_match"
                )
        else:
            expected = f"PMID:{self.pmid}" if self.pmid else f"DOI:{self.doi}"
            if self.id != expected:
                raise ValueError(f"id: id '{self.id}' must be '{expected}' (PMID when known, else DOI)")
        if self.status is CitationStatus.unresolved and self.title is not None:
            raise ValueError(
                "title: an unresolved publication must not carry a title; "
                "remove it or set status after checking the source"
            )
        if self.status is not CitationStatus.unresolved and not self.sources:
            raise ValueError("sources: a verified or content_match publication needs the source URL(s)")
        return self

    @property
    def url(self) -> str:
        """Where a reader can look the publication up."""
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.sources[0] if self.sources else ""

    @property
    def citation(self) -> str:
        """Short citation handle used in reports: 'PMID 123' or 'DOI 10.x/y'."""
        if self.pmid:
            return f"PMID {self.pmid}"
        return f"DOI {self.doi}" if self.doi else f"{self.journal_citation}"


class StudyOutcome(_Frozen):
    """One outcome a study measured, with what it found."""

    outcome: str = Field(description="Outcome entity CURIE (kind: outcome)")
    kind: OutcomeKind = Field(description="subjective or objective, as measured in this study")
    effect: Effect = Field(description="improved / no_effect / worsened")
    description: str | None = Field(default=None, description="Measure and figures, in our words")
    reported: StrictBool = Field(
        default=True,
        description="False: a prespecified outcome the source does not report (not a null result; "
        "it cannot back an evidence item)",
    )
    estimate: EffectEstimate | None = Field(default=None, description="The effect as a source reports it")
    arms: ArmData | None = Field(
        default=None,
        description="Arm-level data (events/total or mean/SD/n per arm); the effect is computed from them",
    )

    @model_validator(mode="after")
    def _sign_matches_effect(self) -> StudyOutcome:
        est = self.estimate
        if est is None:
            return self
        if self.effect is Effect.improved and est.favours == "comparator":
            raise ValueError(
                f"estimate: effect is 'improved' but the estimate {est.value} favours the comparator "
                f"(lower_is_better: {str(est.lower_is_better).lower()}); check the sign or the effect"
            )
        if self.effect is Effect.worsened and est.favours == "ldn":
            raise ValueError(
                f"estimate: effect is 'worsened' but the estimate {est.value} favours LDN "
                f"(lower_is_better: {str(est.lower_is_better).lower()}); check the sign or the effect"
            )
        return self


class Study(_Frozen):
    """A study: the unit of independent evidence. Several publications may report one study."""

    id: str = Field(description="Stable local id, e.g. 'smith2011'")
    label: str = Field(min_length=1, description="Short human-readable name, e.g. 'Smith 2011 Crohn RCT'")
    design: Design = Field(description="The design the study really has (not a database tag)")
    population: Population = Field(description="human / animal / cell / none")
    species: str | None = Field(default=None, description="NCBITaxon CURIE, e.g. NCBITaxon:9606")
    population_description: str | None = Field(default=None, description="Who was studied")
    n: StrictInt | None = Field(
        default=None, ge=1, description="Participants enrolled or analysed (see notes)"
    )
    randomised: StrictBool | None = Field(default=None, description="Random allocation (None = not reported)")
    controlled: StrictBool | None = Field(default=None, description="Has a control (placebo or comparator)")
    blinded: StrictBool | None = Field(default=None, description="Participants and/or assessors blinded")
    crossover: StrictBool = Field(default=False, description="Crossover allocation")
    registry: str | None = Field(default=None, description="Trial registry id, e.g. NCT00568555")
    duration_weeks: float | None = Field(default=None, gt=0, description="Treatment duration")
    dose_mg: float | None = Field(
        default=None,
        gt=0,
        description="Daily LDN target dose in mg (the highest, if titrated); a review's dose_range_mg "
        "cannot cover a study outside its range",
    )
    year: StrictInt | None = Field(default=None, ge=1900, le=2100, description="Year of the main publication")
    publications: tuple[str, ...] = Field(description="Publication ids reporting this study (>= 1)")
    outcomes: tuple[StudyOutcome, ...] = Field(default=(), description="Outcomes measured and findings")
    indirectness: tuple[Indirectness, ...] = Field(default=(), description="Ways it is indirect")
    summarises: tuple[str, ...] = Field(
        default=(), description="For reviews: ids of the included primary studies that are in this graph"
    )
    review: ReviewInfo | None = Field(
        default=None, description="For reviews: inclusion list, search date, pooled results"
    )
    risk_of_bias: RiskOfBias | None = Field(
        default=None, description="Domain judgements after RoB 2 / ROBINS-I (controlled human studies)"
    )
    research_group: str | None = Field(
        default=None, description="Slug of the lead investigator or research group (publication bias checks)"
    )
    comparator: Comparator | None = Field(
        default=None, description="What LDN was compared with (controlled studies; reviews: if one kind)"
    )
    notes: str | None = Field(default=None, description="Mislabels, n discrepancies, caveats")

    @field_validator("research_group")
    @classmethod
    def _group_slug(cls, value: str | None) -> str | None:
        return _check_slug(value) if value is not None else None

    @model_validator(mode="after")
    def _review_fields(self) -> Study:
        if self.review is not None and self.design not in SECONDARY_DESIGNS:
            raise ValueError(
                f"review: only a review (meta_analysis, systematic_review, narrative_review) has a review "
                f"block; this study is a {self.design.value}"
            )
        _check_estimates(self)
        rob = self.risk_of_bias
        if (
            rob is not None
            and self.crossover
            and rob.tool is RobTool.rob2
            and CROSSOVER_DOMAIN not in rob.domains
        ):
            raise ValueError(
                f"risk_of_bias: a crossover trial also needs the '{CROSSOVER_DOMAIN}' domain "
                "(RoB 2 for crossover trials)"
            )
        return self

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)

    @field_validator("species")
    @classmethod
    def _species(cls, value: str | None) -> str | None:
        if value is not None:
            check_curie(value, prefixes=frozenset({"NCBITaxon"}))
        return value

    @field_validator("registry")
    @classmethod
    def _registry(cls, value: str | None) -> str | None:
        if value is not None and not NCT_RE.match(value):
            raise ValueError(f"registry '{value}' must be a ClinicalTrials.gov id like NCT00568555")
        return value

    @field_validator("publications")
    @classmethod
    def _has_publication(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("a study needs at least one publication (no citation, no edge)")
        return value

    @property
    def is_human(self) -> bool:
        return self.population is Population.human

    @property
    def is_secondary(self) -> bool:
        return self.design in SECONDARY_DESIGNS


def _check_estimates(study: Study) -> None:
    """A review's pooled result is not a study estimate; a study gives one estimate per outcome
    (issue 21: a pool takes each study once)."""
    by_outcome: dict[str, list[int]] = {}
    for i, out in enumerate(study.outcomes):
        if out.estimate is None:
            continue
        if study.design in SECONDARY_DESIGNS:
            raise ValueError(
                f"outcomes[{i}].estimate: a {study.design.value}'s pooled result belongs in review.pooled "
                "(with k, n and I^2), never in outcomes[].estimate, where it would be pooled again; move it"
            )
        by_outcome.setdefault(out.outcome, []).append(i)
    for outcome, rows in by_outcome.items():
        estimates = [e for i in rows if (e := study.outcomes[i].estimate) is not None]
        primary = [e for e in estimates if e.primary]
        if len(estimates) > 1 and len(primary) != 1:
            scales = "; ".join(e.scale for e in estimates)
            raise ValueError(
                f"outcomes[{rows[-1]}].estimate: {len(estimates)} estimates for {outcome} ({scales}) and "
                f"{len(primary)} marked primary; a pool takes each study once, so mark the trial's "
                "pre-specified primary one with primary: true"
            )


class EvidenceItem(_Frozen):
    """One study bearing on one claim, with the direction of its result."""

    study: str = Field(description="Study id")
    direction: Direction = Field(description="supports or refutes (a null result refutes)")
    outcome: str | None = Field(default=None, description="Outcome entity CURIE the item rests on")
    outcome_kind: OutcomeKind | None = Field(
        default=None, description="subjective/objective; defaults to the outcome entity's kind"
    )
    indirectness: tuple[Indirectness, ...] = Field(
        default=(), description="Extra indirectness for this claim (added to the study's own)"
    )
    comparison: Comparison | None = Field(
        default=None,
        description="between_groups (default) or within_group: a before/after change on LDN, "
        "scored as pre_post",
    )
    comparator: tuple[ComparatorKind, ...] = Field(
        default=(),
        description="What this item's result compares LDN with, where it differs from the study's "
        "comparator (a review pooling placebo and active comparators: [placebo, active])",
    )
    note: str | None = Field(default=None, description="What the study showed for this claim")


class Qualifiers(_Frozen):
    """Qualifiers that are part of a claim's identity."""

    outcome: str | None = Field(default=None, description="Outcome entity the claim is about")
    aspect: str | None = Field(default=None, description="E.g. 'proliferation', 'cytokine release'")
    context: str | None = Field(default=None, description="E.g. 'human PBMC', 'hyperinsulinaemia'")

    def items(self) -> Iterator[tuple[str, str]]:
        for key in ("outcome", "aspect", "context"):
            value = getattr(self, key)
            if value is not None:
                yield key, value


class Claim(_Frozen):
    """A typed edge that is a claim: subject -predicate-> object, backed by evidence items."""

    id: str = Field(description="Stable local id (slug), e.g. 'ldn-improves-pain-fibromyalgia'")
    subject: str = Field(description="Entity CURIE")
    predicate: Predicate = Field(description="See Predicate")
    object: str = Field(description="Entity CURIE")
    qualifiers: Qualifiers = Field(default_factory=Qualifiers, description="Part of the identity")
    statement: str = Field(min_length=1, description="The claim in one sentence, our words")
    evidence: tuple[EvidenceItem, ...] = Field(description="At least one evidence item")
    asserted_by: tuple[str, ...] = Field(default=(), description="Source documents stating the claim")
    notes: str | None = Field(default=None, description="Curator notes")

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)

    @field_validator("evidence")
    @classmethod
    def _has_evidence(cls, value: tuple[EvidenceItem, ...]) -> tuple[EvidenceItem, ...]:
        if not value:
            raise ValueError("a claim needs at least one evidence item (no citation, no edge)")
        return value

    @property
    def content_hash(self) -> str:
        """Identity from (subject, predicate, object, qualifiers): 16 hex digits of SHA-256."""
        head = [self.subject, self.predicate.value, self.object]
        qualifiers = sorted(self.qualifiers.items())
        if any("|" in str(v) for _, v in qualifiers):
            # '|' in a value would make the joined text ambiguous ("a|context=b" vs a + context b):
            # hash JSON instead. It starts with '[', which the joined text (a CURIE first) never does.
            key = json.dumps([*head, qualifiers], ensure_ascii=False)
        else:  # unambiguous (subject and object are CURIEs, keys are field names); kept so ids stay stable
            key = "|".join([*head, *(f"{k}={v}" for k, v in qualifiers)])
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


class SeedStatement(_Frozen):
    """One statement of a source document and how the graph encodes it."""

    key: str = Field(description="Short handle, e.g. 'glia-mechanism'")
    summary: str = Field(description="The statement paraphrased")
    claims: tuple[str, ...] = Field(default=(), description="Claim ids that encode it")
    gaps: tuple[str, ...] = Field(default=(), description="Gap codes it asserts (e.g. no_long_term_safety)")

    @field_validator("key")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)  # the key becomes part of the statement's IRI


class SourceDocument(_Frozen):
    """A secondary source that asserts statements and cites a bibliography (e.g. the seed summary)."""

    id: str = Field(description="Local id (slug)")
    title: str = Field(description="Descriptive title")
    kind: str = Field(default="narrative evidence summary", description="What sort of document it is")
    cites: tuple[str, ...] = Field(default=(), description="Publication ids in its bibliography")
    statements: tuple[SeedStatement, ...] = Field(default=(), description="Statements it makes")

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        return _check_slug(value)


class KnowledgeBase(_Frozen):
    """All curated records, cross-checked: no dangling references, no duplicate ids.

    The ``*_index`` lookups are computed once per (frozen) knowledge base: building a graph of
    10^5 studies looks a study up for every evidence item.
    """

    entities: tuple[Entity, ...] = ()
    publications: tuple[Publication, ...] = ()
    studies: tuple[Study, ...] = ()
    claims: tuple[Claim, ...] = ()
    sources: tuple[SourceDocument, ...] = ()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> KnowledgeBase:
        """A copy without the cached indexes (pydantic copies ``__dict__``, where they live)."""
        copied = super().model_copy(update=update, deep=deep)
        for name in ("entity_index", "publication_index", "study_index", "claim_index"):
            copied.__dict__.pop(name, None)
        return copied

    def entity(self, curie: str) -> Entity:
        return self.entity_index[curie]

    @cached_property
    def entity_index(self) -> Mapping[str, Entity]:
        return {e.id: e for e in self.entities}

    @cached_property
    def publication_index(self) -> Mapping[str, Publication]:
        return {p.id: p for p in self.publications}

    @cached_property
    def study_index(self) -> Mapping[str, Study]:
        return {s.id: s for s in self.studies}

    @cached_property
    def claim_index(self) -> Mapping[str, Claim]:
        return {c.id: c for c in self.claims}


def evidence_id(claim: Claim, index: int, item: EvidenceItem) -> str:
    """Stable id of an evidence item: hash of its claim, study, outcome and position."""
    key = f"{claim.content_hash}|{item.study}|{item.outcome or ''}|{index}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def get_outcome_kind(kb: KnowledgeBase, item: EvidenceItem) -> OutcomeKind | None:
    """The outcome kind an evidence item rests on: explicit, else the study's, else the outcome's."""
    if item.outcome_kind is not None:
        return item.outcome_kind
    if item.outcome is None:
        return None
    study = kb.study_index.get(item.study)
    if study is not None:
        for out in study.outcomes:
            if out.outcome == item.outcome:
                return out.kind
    entity = kb.entity_index.get(item.outcome)
    return entity.outcome_kind if entity else None
