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
import re
from collections.abc import Iterator, Mapping
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

# -- enumerations --------------------------------------------------------------------------------


class EntityKind(StrEnum):
    """What role a node plays in the graph."""

    intervention = "intervention"
    mechanism = "mechanism"
    condition = "condition"
    outcome = "outcome"


class Design(StrEnum):
    """Study design, strongest first (the evidence profile gives each a base weight)."""

    meta_analysis = "meta_analysis"
    systematic_review = "systematic_review"
    narrative_review = "narrative_review"
    rct = "rct"
    crossover_rct = "crossover_rct"
    controlled_trial = "controlled_trial"
    prospective_cohort = "prospective_cohort"
    pre_post = "pre_post"
    retrospective_cohort = "retrospective_cohort"
    case_series = "case_series"
    case_report = "case_report"
    animal = "animal"
    in_vitro = "in_vitro"
    commentary = "commentary"


#: Designs that summarise other studies rather than observe participants.
SECONDARY_DESIGNS = frozenset({Design.meta_analysis, Design.systematic_review, Design.narrative_review})
#: Designs whose participants are not humans.
PRECLINICAL_DESIGNS = frozenset({Design.animal, Design.in_vitro})
#: Designs with randomised allocation.
RANDOMISED_DESIGNS = frozenset({Design.rct, Design.crossover_rct})


class Population(StrEnum):
    """Who or what was studied."""

    human = "human"
    animal = "animal"
    cell = "cell"
    none = "none"  # commentary or hypothesis: nobody was studied


class OutcomeKind(StrEnum):
    """Subjective (patient-reported) or objective (lab, imaging, endoscopy, clinician-measured)."""

    subjective = "subjective"
    objective = "objective"


class Effect(StrEnum):
    """What a study found for one outcome."""

    improved = "improved"
    no_effect = "no_effect"
    worsened = "worsened"


class Direction(StrEnum):
    """Whether an evidence item supports or refutes its claim (a null or worse result refutes)."""

    supports = "supports"
    refutes = "refutes"


class CitationStatus(StrEnum):
    """How far a publication's identifier has been checked against a source."""

    verified = "verified"  # identifier and title seen together in a source
    content_match = "content_match"  # the article was seen, the identifier link was not
    unresolved = "unresolved"  # no article could be matched; no title may be recorded


class PubMedCheck(StrEnum):
    """Outcome of comparing a publication's curated metadata with its cached PubMed record."""

    verified = "verified"  # the PubMed record agrees on every curated field compared
    mismatch = "mismatch"  # title, year, journal or DOI disagrees (see pubmed_mismatch)
    unresolved = "unresolved"  # no PubMed record in the cache for this PMID


class Indirectness(StrEnum):
    """Ways an evidence item answers a different question than the claim asks."""

    different_isomer = "different_isomer"  # e.g. (+)-naltrexone, clinical LDN is (-)-naltrexone
    different_dose = "different_dose"
    co_intervention = "co_intervention"  # e.g. LDN given with NAD+
    different_population = "different_population"
    different_condition = "different_condition"  # e.g. chronic pain in general for fibromyalgia
    # the study tested another agent (e.g. the opioid growth factor), not naltrexone
    different_agent = "different_agent"


class Predicate(StrEnum):
    """Claim predicates; each maps to a Biolink predicate in :mod:`ldngraph.vocab`."""

    decreases = "decreases"  # mechanism edge, biolink:affects + decreased
    increases = "increases"  # mechanism edge, biolink:affects + increased
    contributes_to = "contributes_to"  # mechanism -> condition
    in_clinical_trials_for = "in_clinical_trials_for"
    beneficial_in_models_for = "beneficial_in_models_for"
    studied_to_treat = "studied_to_treat"  # hypothesis only; never plain "treats"
    well_tolerated_in = "well_tolerated_in"  # safety: low risk of adverse events


#: Predicates whose object is a condition reached directly by the intervention (clinical edges).
CLINICAL_PREDICATES = frozenset(
    {Predicate.in_clinical_trials_for, Predicate.beneficial_in_models_for, Predicate.studied_to_treat}
)

# -- identifier rules ----------------------------------------------------------------------------

#: Prefixes an entity, species or registry CURIE may use. ``LDNO`` is the project's own
#: namespace for concepts without a standard identifier (outcome groupings).
KNOWN_PREFIXES: frozenset[str] = frozenset(
    {"CHEBI", "HGNC", "CL", "MESH", "MONDO", "GO", "HP", "NCIT", "NCBITaxon", "LDNO"}
)
CURIE_RE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_.]*):(?P<local>[A-Za-z0-9_.\-]+)$")
PMID_RE = re.compile(r"^[1-9][0-9]{0,8}$")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMCID_RE = re.compile(r"^PMC[0-9]+$")
NCT_RE = re.compile(r"^NCT[0-9]{8}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")
_URL_RE = re.compile(r"^https?://\S+$")


def check_curie(value: str, *, prefixes: frozenset[str] = KNOWN_PREFIXES) -> str:
    """Return ``value`` if it is a CURIE with a known prefix, else raise ``ValueError``."""
    match = CURIE_RE.match(value)
    if not match:
        raise ValueError(f"'{value}' is not a CURIE (expected PREFIX:LOCAL, e.g. MESH:D005356)")
    if match["prefix"] not in prefixes:
        raise ValueError(
            f"'{value}' has unknown prefix '{match['prefix']}'; use one of {', '.join(sorted(prefixes))}"
        )
    return value


def _check_slug(value: str) -> str:
    if not SLUG_RE.match(value):
        raise ValueError(f"'{value}' is not a valid id (lower-case letters, digits, '-' and '_')")
    return value


def _check_urls(values: tuple[str, ...]) -> tuple[str, ...]:
    for url in values:
        if not _URL_RE.match(url):
            raise ValueError(f"'{url}' is not an http(s) URL")
    return values


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


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
    qualifier: str | None = Field(default=None, description="E.g. the dose range of the intervention")
    xrefs: tuple[str, ...] = Field(default=(), description="Equivalent CURIEs in other vocabularies")
    source: str | None = Field(default=None, description="URL where the identifier was checked")

    @field_validator("id")
    @classmethod
    def _id_is_curie(cls, value: str) -> str:
        return check_curie(value)

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
        return self

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this entity answers to (CURIE, label, synonyms)."""
        return (self.id, self.label, *self.synonyms)


class Publication(_Frozen):
    """A publication, identified by PMID where known, else by DOI."""

    id: str = Field(description="'PMID:<digits>' or 'DOI:<doi>'")
    pmid: str | None = Field(default=None, description="PubMed ID, digits only")
    doi: str | None = Field(default=None, description="DOI without the https://doi.org/ prefix")
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
            raise ValueError("pmid: a publication needs a pmid or a doi (no citation, no edge)")
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
        return f"https://doi.org/{self.doi}"

    @property
    def citation(self) -> str:
        """Short citation handle used in reports: 'PMID 123' or 'DOI 10.x/y'."""
        return f"PMID {self.pmid}" if self.pmid else f"DOI {self.doi}"


class StudyOutcome(_Frozen):
    """One outcome a study measured, with what it found."""

    outcome: str = Field(description="Outcome entity CURIE (kind: outcome)")
    kind: OutcomeKind = Field(description="subjective or objective, as measured in this study")
    effect: Effect = Field(description="improved / no_effect / worsened")
    description: str | None = Field(default=None, description="Measure and figures, in our words")


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
    year: StrictInt | None = Field(default=None, ge=1900, le=2100, description="Year of the main publication")
    publications: tuple[str, ...] = Field(description="Publication ids reporting this study (>= 1)")
    outcomes: tuple[StudyOutcome, ...] = Field(default=(), description="Outcomes measured and findings")
    indirectness: tuple[Indirectness, ...] = Field(default=(), description="Ways it is indirect")
    summarises: tuple[str, ...] = Field(
        default=(), description="For reviews: ids of primary studies in the graph that it covers"
    )
    notes: str | None = Field(default=None, description="Mislabels, n discrepancies, caveats")

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
        parts = [self.subject, self.predicate.value, self.object]
        parts += [f"{k}={v}" for k, v in sorted(self.qualifiers.items())]
        return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]


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


def find_problems(kb: KnowledgeBase) -> list[tuple[str, str, str, str]]:
    """Cross-record problems as (kind, record id, field, message); empty when consistent."""
    problems: list[tuple[str, str, str, str]] = []

    def dupes(kind: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for rid in ids:
            if rid in seen:
                problems.append((kind, rid, "id", f"duplicate id '{rid}'; ids must be unique"))
            seen.add(rid)

    dupes("entity", [e.id for e in kb.entities])
    dupes("publication", [p.id for p in kb.publications])
    dupes("study", [s.id for s in kb.studies])
    dupes("claim", [c.id for c in kb.claims])
    dupes("source", [s.id for s in kb.sources])

    entities = kb.entity_index
    pubs = kb.publication_index
    studies = kb.study_index
    claims = kb.claim_index
    sources = {s.id for s in kb.sources}

    def need_entity(kind: str, rid: str, field: str, curie: str | None, want: EntityKind | None) -> None:
        if curie is None:
            return
        ent = entities.get(curie)
        if ent is None:
            problems.append((kind, rid, field, f"unknown entity '{curie}'; add it to entities.yaml"))
        elif want is not None and ent.kind is not want:
            problems.append(
                (
                    kind,
                    rid,
                    field,
                    f"'{curie}' is a {ent.kind.value}, expected an entity of kind {want.value}",
                )
            )

    for study in kb.studies:
        for pub in study.publications:
            if pub not in pubs:
                problems.append(
                    ("study", study.id, "publications", f"unknown publication '{pub}'; add it first")
                )
        for i, out in enumerate(study.outcomes):
            need_entity("study", study.id, f"outcomes[{i}].outcome", out.outcome, EntityKind.outcome)
        for ref in study.summarises:
            if ref not in studies:
                problems.append(("study", study.id, "summarises", f"unknown study '{ref}'"))
            elif ref == study.id:
                problems.append(("study", study.id, "summarises", "a study cannot summarise itself"))

    hashes: dict[str, str] = {}
    for claim in kb.claims:
        need_entity("claim", claim.id, "subject", claim.subject, None)
        need_entity("claim", claim.id, "object", claim.object, None)
        need_entity("claim", claim.id, "qualifiers.outcome", claim.qualifiers.outcome, EntityKind.outcome)
        other = hashes.get(claim.content_hash)
        if other is not None:
            problems.append(
                ("claim", claim.id, "subject", f"same subject, predicate, object and qualifiers as '{other}'")
            )
        hashes.setdefault(claim.content_hash, claim.id)
        for i, item in enumerate(claim.evidence):
            if item.study not in studies:
                problems.append(
                    ("claim", claim.id, f"evidence[{i}].study", f"unknown study '{item.study}'; add it first")
                )
            need_entity("claim", claim.id, f"evidence[{i}].outcome", item.outcome, EntityKind.outcome)
        for src in claim.asserted_by:
            if src not in sources:
                problems.append(("claim", claim.id, "asserted_by", f"unknown source document '{src}'"))

    for doc in kb.sources:
        for pub in doc.cites:
            if pub not in pubs:
                problems.append(("source", doc.id, "cites", f"unknown publication '{pub}'"))
        for st in doc.statements:
            for cid in st.claims:
                if cid not in claims:
                    field = f"statements[{st.key}].claims"
                    problems.append(("source", doc.id, field, f"unknown claim '{cid}'"))
    return problems
