"""Controlled vocabularies and identifier rules shared by the model records.

Enumerations (designs, directions, risk-of-bias judgements, effect measures ...), the identifier
patterns every CURIE, PMID, DOI and slug must match, and the frozen pydantic base class. Records
live in :mod:`ldngraph.model` and :mod:`ldngraph.model.appraisal`; both re-export what they use from here.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

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


class Judgement(StrEnum):
    """A risk-of-bias judgement for one domain (RoB 2 wording; ROBINS-I moderate -> some_concerns,
    serious/critical -> high, no information -> not_assessed)."""

    low = "low"
    some_concerns = "some_concerns"
    high = "high"
    not_assessed = "not_assessed"


class RobTool(StrEnum):
    """The risk-of-bias tool whose domains a judgement follows."""

    rob2 = "rob2"  # randomised trials (Sterne et al. 2019, BMJ 366:l4898)
    robins_i = "robins_i"  # non-randomised studies of interventions (Sterne et al. 2016, BMJ 355:i4919)


#: Domains of each tool, in the tool's order. Crossover trials add ``period_carryover`` to RoB 2.
ROB_DOMAINS: dict[RobTool, tuple[str, ...]] = {
    RobTool.rob2: ("randomisation", "deviations", "missing_data", "measurement", "reporting"),
    RobTool.robins_i: (
        "confounding",
        "selection",
        "classification",
        "deviations",
        "missing_data",
        "measurement",
        "reporting",
    ),
}
CROSSOVER_DOMAIN = "period_carryover"


class InclusionList(StrEnum):
    """How much of a review's list of included studies is known."""

    listed = "listed"  # every included study is named in a seen source
    partial = "partial"  # some are named
    unknown = "unknown"  # the list could not be seen (inclusion_note says why)


class EffectMeasure(StrEnum):
    """Effect measure of an estimate."""

    md = "md"  # mean difference
    smd = "smd"  # standardised mean difference
    rr = "rr"  # risk ratio
    or_ = "or"  # odds ratio
    hr = "hr"  # hazard ratio
    rd = "rd"  # risk difference
    pct_change = "pct_change"  # percent change from baseline (uncontrolled studies)


#: Measures on a ratio scale: the null is 1 and values must be > 0.
RATIO_MEASURES = frozenset({EffectMeasure.rr, EffectMeasure.or_, EffectMeasure.hr})
#: Measures computed from arm-level counts (events/total) and from means, SDs and n.
COUNT_MEASURES = frozenset({EffectMeasure.rr, EffectMeasure.or_, EffectMeasure.rd})
MEAN_MEASURES = frozenset({EffectMeasure.md, EffectMeasure.smd})


class ArmRole(StrEnum):
    """The part an arm plays in a two-arm comparison."""

    intervention = "intervention"  # LDN
    comparator = "comparator"  # placebo, an active drug, usual care


class ComparatorKind(StrEnum):
    """What LDN was compared with (indirectness: the question is LDN against placebo or no LDN)."""

    placebo = "placebo"  # an inactive placebo (also an add-on placebo on unchanged treatment)
    active = "active"  # another drug (its name in Comparator.name): answers another question
    usual_care = "usual_care"  # concurrent patients not given LDN (usual care)
    none = "none"  # no concurrent comparison (before/after, single arm): always at high risk of bias


class Comparison(StrEnum):
    """What contrast an evidence item rests on."""

    between_groups = "between_groups"  # LDN against a control group (the study's design applies)
    within_group = "within_group"  # a before/after change on LDN: scored like a pre_post study


class Predicate(StrEnum):
    """Claim predicates; each maps to a Biolink predicate in :mod:`ldngraph.rdf.vocab`."""

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
#: Local id of a publication known only by its journal citation (no PMID, no DOI could be found).
REF_RE = re.compile(r"^REF:[a-z0-9][a-z0-9_\-]*\Z")
#: A partial ISO date: YYYY, YYYY-MM or YYYY-MM-DD.
PARTIAL_DATE_RE = re.compile(r"^(19|20)[0-9]{2}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?\Z")
CURIE_RE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_.]*):(?P<local>[A-Za-z0-9_.\-]+)\Z")
PMID_RE = re.compile(r"^[1-9][0-9]{0,8}\Z")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+\Z")
PMCID_RE = re.compile(r"^PMC[0-9]+\Z")
NCT_RE = re.compile(r"^NCT[0-9]{8}\Z")
#: A Biolink class name (entity ``category``), e.g. Disease, PhenotypicFeature.
BIOLINK_CLASS_RE = re.compile(r"^[A-Z][A-Za-z0-9]{0,99}\Z")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*\Z")
_URL_RE = re.compile(r"^https?://\S+\Z")
#: Characters no IRI may hold (RFC 3987: space, controls, < > " { } | ^ ` and backslash). In a URL
#: that becomes an IRI they end it early in Turtle, N-Triples and SPARQL, or (through a JSON-LD
#: ``@id`` read back as Turtle) inject a triple (issue 27 F9).
NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f-\x9f]')


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


def check_url(url: str) -> str:
    """``url`` if it is an http(s) URL that is also a valid IRI, else ``ValueError`` (the rule of
    every URL field of the model, and of :func:`ldngraph.rdf.vocab.url_iri`)."""
    bad = NOT_IN_IRI.search(url)
    if not _URL_RE.match(url) and not (bad and url.startswith(("http://", "https://"))):
        raise ValueError(f"'{url}' is not an http(s) URL")
    if bad:
        code = "".join(f"%{b:02X}" for b in bad.group().encode("utf-8"))
        raise ValueError(f"'{url}' holds {bad.group()!r}, which no IRI may hold; percent-encode it ({code})")
    return url


DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")


def check_day(value: str) -> str:
    """``value`` if it is a calendar day written YYYY-MM-DD, else ``ValueError``."""
    if not DAY_RE.match(value):
        raise ValueError(f"must be YYYY-MM-DD, not '{value}' (quote it in YAML)")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{value}' is not a day of the calendar") from None
    return value


#: Field types with the model's rules, for the curation files outside the model (screening log,
#: registrations): one check of a day, a URL and a CURIE everywhere.
Day = Annotated[str, AfterValidator(check_day)]
HttpUrl = Annotated[str, AfterValidator(check_url)]
Curie = Annotated[str, AfterValidator(check_curie)]


def _check_urls(values: tuple[str, ...]) -> tuple[str, ...]:
    for url in values:
        check_url(url)
    return values


class _Frozen(BaseModel):
    # allow_inf_nan=False: no float field of a record may hold NaN or infinity (issue 27 F3)
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False, allow_inf_nan=False)
