"""What every class and property of the evidence graph means: the source of docs/vocabulary.md.

``TERMS`` holds one line per term; :func:`to_markdown` renders them with a real example triple taken
from a built graph. ``python -m ldngraph.present.vocabdoc [FILE]`` regenerates docs/vocabulary.md from the
test fixture (tests/resources/mini) and the shipped data; tests/test_vocabdoc.py fails when the
graph uses a term that is not listed here, or when the file is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

#: Class CURIE -> what its instances are.
CLASSES: dict[str, str] = {
    "ldn:Claim": "A curated claim: a typed edge (subject, predicate, object, qualifiers), reified so "
    "evidence can hang off it. Also typed biolink:Association.",
    "ldn:EvidenceItem": "One study bearing on one claim, with a direction (supports / refutes).",
    "ldn:StudyOutcome": "An outcome a study measured, with its kind and effect.",
    "ldn:OutcomeBody": "All the evidence on one intervention x condition x outcome (GRADE body), in "
    "either direction, with its conclusion and the certainty in it.",
    "ldn:EvidenceProfile": "The versioned evidence profile the scores were made with.",
    "ldn:SourceDocument": "A secondary source (the seed summary): asserts statements, cites a bibliography.",
    "biolink:Association": "Biolink's class for a claim (every ldn:Claim is one).",
    "biolink:Study": "A study (trial, cohort, animal or cell study, review ...).",
    "biolink:Publication": "A publication: a PMID, DOI or journal citation.",
    "biolink:ChemicalEntity": "An intervention (LDN: naltrexone at low dose) or a chemical mechanism.",
    "biolink:Disease": "A condition.",
    "biolink:PhenotypicFeature": "An outcome (pain, fatigue, quality of life ...).",
    "biolink:Gene": "A gene mechanism (HGNC).",
    "biolink:Cell": "A cell-type mechanism (CL).",
    "biolink:MolecularEntity": "A molecular mechanism (e.g. pro-inflammatory cytokines).",
    "biolink:BiologicalEntity": "A mechanism of no more specific kind.",
    "biolink:BiologicalProcess": "A process mechanism (GO).",
    "prov:Agent": "Who curated the claims (ldngraph curators).",
    "ldn:EffectEstimate": "A study's effect estimate for one outcome as a public source reports it, with "
    "its 95% CI and the variance pooling uses (issue 13).",
    "ldn:PooledEffect": "The headline effect of an outcome body: random-effects pooled, one study's own, "
    "or a review's reported pooled result.",
}

#: Property CURIE -> what it links, in the direction subject -> object.
PROPERTIES: dict[str, str] = {
    # claims
    "ldn:claimId": "Claim -> its curated id (stable slug, e.g. ldn-improves-pain-fibromyalgia).",
    "ldn:contentHash": "Claim -> content hash of (subject, predicate, object, qualifiers).",
    "ldn:predicate": "Claim -> the local predicate name (decreases, in_clinical_trials_for ...).",
    "rdf:subject": "Claim -> its subject entity.",
    "rdf:predicate": "Claim -> its Biolink predicate.",
    "rdf:object": "Claim -> its object entity.",
    "ldn:outcome": "Claim, evidence item or study outcome -> the outcome (HP, NCIT, GO or LDNO:...).",
    "ldn:context": "Claim -> free-text context qualifier.",
    "ldn:hasEvidence": "Claim -> one of its evidence items.",
    "ldn:assertedBy": "Claim -> a source document that asserts it.",
    "ldn:support": "Claim -> combined weight of the supporting evidence, in [0, 1].",
    "ldn:refute": "Claim -> combined weight of the refuting evidence, in [0, 1].",
    "ldn:strength": "Claim -> net strength in [0, 1] (0 when refuting evidence outweighs support).",
    "ldn:disagreement": "Claim -> how much support and refutation conflict, in [0, 1].",
    "ldn:certainty": "Claim or body -> certainty in the conclusion: high | moderate | low | very_low.",
    "ldn:body": "Claim -> its outcome body.",
    "ldn:conclusion": "Body or claim -> benefit | little_or_no_effect | harm | uncertain | "
    "no_human_evidence (evidence model v3: from the estimate against the null and the MID).",
    "ldn:holds": "Claim -> true when its body's conclusion is what the claim states.",
    "ldn:basis": "Body or claim -> how the conclusion was reached: estimate (the body's own pool), "
    "review (a review's pooled result), swim (sign test by direction of effect), none.",
    "ldn:magnitude": "Body or claim -> important | small_benefit | small_harm | trivial | unknown.",
    "ldn:effectMeasure": "Body or claim -> measure of the estimate the conclusion rests on (md, rr ...).",
    "ldn:effectValue": "Body or claim -> that estimate's point value (natural scale).",
    "ldn:effectCiLower": "Body or claim -> lower bound of its 95% CI.",
    "ldn:effectCiUpper": "Body or claim -> upper bound of its 95% CI.",
    "ldn:effectText": "Claim -> its body's effect in words (estimate and CI, or the sign test).",
    "ldn:restsOnReview": "Body or claim -> the review whose own pooled result the conclusion rests on.",
    "ldn:estimateParticipants": "Body -> participants in the estimate the conclusion rests on.",
    "ldn:riskOfBiasLevels": "Body -> levels lost for risk of bias (0-2).",
    "ldn:inconsistencyLevels": "Body -> levels lost for inconsistency (0-2).",
    "ldn:indirectnessLevels": "Body -> levels lost for indirectness (0-2).",
    "ldn:imprecisionLevels": "Body -> levels lost for imprecision (0-2).",
    "ldn:publicationBiasLevels": "Body -> levels lost for publication bias and missing results (0-2).",
    "ldn:edgeStrength": "Claim -> strength of the path edge it stands for (read by paths_to_condition.rq).",
    "ldn:dataQualityFlag": "Claim or body -> a data-quality flag beside the grade (unverified_citation).",
    "ldn:startCertainty": "Body -> certainty before downgrades (best design in the body).",
    "ldn:intervention": "Body -> the intervention (or mechanism) its claims start from.",
    "ldn:condition": "Body -> the condition (or mechanism) its claims end at.",
    "ldn:question": "Body -> effect, or tolerability (adverse events).",
    "ldn:critical": "Body -> true for the condition's declared critical outcome.",
    "ldn:studyCount": "Body -> number of studies counted (each once).",
    "ldn:participants": "Body -> participants of its identified primary studies, each once (reviews "
    "are not studies); estimate or pooled effect -> participants in it.",
    "ldn:profileHash": "Claim, body or profile -> content hash of the evidence profile used.",
    "ldn:certaintyRank": "Claim -> certainty as a number: 3 high ... 0 very_low (for sorting).",
    "ldn:reason": "Claim -> a reason code for a downgrade or exclusion (one triple per reason).",
    "ldn:evidenceTier": "Claim -> best tier counted: clinical | review | preclinical | theoretical.",
    "ldn:profileVersion": "Claim or profile -> the evidence profile version used.",
    "ldn:scoredWith": "Claim -> the evidence profile node it was scored with.",
    "ldn:hopPenalty": "Profile -> per-hop penalty for path strengths.",
    "ldn:maxHops": "Profile -> default longest path.",
    "biolink:object_direction_qualifier": "Claim -> increased / decreased (for biolink:affects).",
    "biolink:object_aspect_qualifier": "Claim -> the aspect of the object affected (e.g. activity).",
    "biolink:knowledge_level": "Claim -> knowledge_assertion (Biolink).",
    "biolink:agent_type": "Claim -> manual_agent (Biolink).",
    "biolink:affects": "Direct triple of a decreases/increases claim: subject affects object.",
    "biolink:contributes_to": "Direct triple of a contributes_to claim (mechanism -> condition).",
    "biolink:in_clinical_trials_for": "Direct triple: intervention studied in clinical trials for condition.",
    "biolink:beneficial_in_models_for": "Direct triple: intervention beneficial in animal or cell models.",
    "biolink:studied_to_treat": "Direct triple: intervention studied to treat condition (no trial).",
    "biolink:related_to": "Direct triple of a well_tolerated_in (safety) claim.",
    "cito:citesAsEvidence": "Claim -> a publication its evidence rests on.",
    "cito:cites": "Source document -> a publication in its bibliography.",
    "prov:wasAttributedTo": "Claim -> the curators.",
    # evidence items
    "ldn:claim": "Evidence item -> its claim.",
    "ldn:study": "Evidence item or effect estimate -> its study.",
    "ldn:direction": "Evidence item -> supports | refutes (a null result refutes).",
    "ldn:outcomeKind": "Evidence item, study outcome or outcome entity -> subjective | objective.",
    "ldn:indirectness": "Evidence item or study -> why it is indirect (different_condition, animal ...).",
    "ldn:weight": "Evidence item -> its weight in [0, 1] after every adjustment (0 when excluded); "
    "pooled-effect member -> its random-effects weight in percent.",
    "ldn:excluded": "Evidence item -> why it does not count (retracted, or excluded (RULE) by the profile).",
    # studies
    "ldn:studyId": "Study -> its local id (e.g. younger2013).",
    "ldn:design": "Study -> design: rct, crossover_rct, cohort, animal, in_vitro, meta_analysis ...",
    "ldn:evidenceType": "Study -> ECO evidence class (clinical, animal, in vitro).",
    "ldn:population": "Study -> human | animal | cell.",
    "ldn:populationDescription": "Study -> who was studied, in words.",
    "ldn:species": "Study -> NCBITaxon species.",
    "ldn:n": "Study -> number of participants (or animals).",
    "ldn:randomised": "Study -> true if randomised.",
    "ldn:controlled": "Study -> true if it has a control group.",
    "ldn:blinded": "Study -> true if blinded.",
    "ldn:crossover": "Study -> true for a crossover design.",
    "ldn:durationWeeks": "Study -> duration in weeks.",
    "ldn:registry": "Study -> its trial registration (ClinicalTrials.gov IRI).",
    "ldn:reportedIn": "Study -> a publication that reports it.",
    "ldn:summarises": "Review -> a study it includes that is in this graph.",
    "ldn:hasOutcome": "Study -> one of its study outcomes.",
    "ldn:effect": "Study outcome -> improved | no_effect | worsened; pooled-effect member -> its estimate.",
    # effect estimates and pooled effects (ldngraph/evidence/effects_rdf.py)
    "ldn:hasEstimate": "Study outcome -> its effect estimate.",
    "ldn:measure": "Effect estimate or pooled effect -> md | smd | rr | or | hr | rd | pct_change.",
    "ldn:value": "Effect estimate or pooled effect -> the point estimate (natural scale).",
    "ldn:ciLower": "Effect estimate or pooled effect -> lower bound of the 95% CI.",
    "ldn:ciUpper": "Effect estimate or pooled effect -> upper bound of the 95% CI.",
    "ldn:ciFrom": "Effect estimate -> reported | derived (from an SE or an exact p-value).",
    "ldn:standardError": "Effect estimate -> its standard error on the analysis scale (log for ratios).",
    "ldn:varianceFrom": "Effect estimate -> ci | se | p_value: what its variance was derived from.",
    "ldn:scale": "Effect estimate or pooled effect -> the measure and scale, e.g. pain NRS 0-10.",
    "ldn:lowerIsBetter": "Effect estimate -> true when a lower value means benefit.",
    "ldn:comparator": "Effect estimate -> placebo, baseline or an active comparator.",
    "ldn:timePoint": "Effect estimate -> when it was measured, e.g. 12 weeks.",
    "ldn:reportedPooledK": "A review's reported pooled estimate -> the number of studies it pooled.",
    "ldn:status": "Pooled effect -> pooled | single | review (a review's own result it rests on).",
    "ldn:k": "Pooled effect -> the number of estimates (or, for a review's result, studies) behind it.",
    "ldn:tauSquared": "Pooled effect -> between-study variance tau^2 (Paule-Mandel; analysis scale).",
    "ldn:iSquared": "Pooled effect -> I^2 in percent.",
    "ldn:q": "Pooled effect -> Cochran's Q.",
    "ldn:piLower": "Pooled effect -> lower bound of the 95% prediction interval (k >= 3).",
    "ldn:piUpper": "Pooled effect -> upper bound of the 95% prediction interval (k >= 3).",
    "ldn:method": "Pooled effect -> how it was obtained, in words.",
    "ldn:hasMember": "Pooled effect -> one member node per estimate in it (ldn:effect, ldn:weight).",
    # publications
    "ldn:citationStatus": "Publication -> verified | content_match | unresolved.",
    "ldn:retracted": "Publication -> true if retracted.",
    "ldn:pubmedCheck": "Publication -> result of the PubMed cross-check (verified, mismatch ...).",
    "ldn:pubmedMismatch": "Publication -> a curated field PubMed disagrees with.",
    "ldn:citation": "Publication -> a one-line citation.",
    "ldn:journal": "Publication -> journal name.",
    "ldn:firstAuthor": "Publication -> first author.",
    "ldn:pmcid": "Publication -> PubMed Central id.",
    "ldn:publicationType": "Publication -> a PubMed publication type.",
    "bibo:pmid": "Publication -> PMID (digits).",
    "bibo:doi": "Publication -> DOI.",
    # entities and sources
    "ldn:kind": "Entity -> intervention | mechanism | condition | outcome.",
    "ldn:qualifier": "Entity -> a qualifier such as the dose (low dose, 1-5 mg/day).",
    "ldn:sourceKind": "Source document -> what kind of source it is (narrative summary ...).",
    "ldn:hasStatement": "Source document -> one of its statements.",
    "ldn:encodedBy": "Source statement -> a claim that encodes it.",
    "ldn:assertsGap": "Source statement -> a gap it states.",
    "rdf:type": "Any node -> its class (above).",
    "rdfs:label": "Entity or study -> its label.",
    "rdfs:comment": "Any record -> curator's notes.",
    "rdfs:seeAlso": "Entity or publication -> a web page about it.",
    "skos:altLabel": "Entity -> a synonym (names are matched on these too).",
    "skos:definition": "Entity -> its description.",
    "skos:exactMatch": "Entity -> the same thing in another scheme.",
    "dcterms:identifier": "Entity or publication -> its CURIE as a string.",
    "dcterms:title": "Publication or source document -> title.",
    "dcterms:description": "Claim, evidence item or study outcome -> statement or description.",
    "dcterms:date": "Publication or study -> year.",
    "dcterms:creator": "Publication -> an author.",
    "prov:wasDerivedFrom": "Publication -> a URL where its identifiers were checked.",
}

_FIXTURES = ("tests/resources/mini", "data")

#: Examples for terms that neither the fixture nor the shipped data use (written by hand).
FALLBACK_EXAMPLES: dict[str, str] = {
    "biolink:BiologicalEntity": "mesh:D018925 rdf:type biolink:BiologicalEntity",
    "biolink:BiologicalProcess": "go:0006954 rdf:type biolink:BiologicalProcess",
    "ldn:excluded": 'ldnr:evidence/... ldn:excluded "retracted"',
    "ldn:pubmedCheck": 'pmid:38226027 ldn:pubmedCheck "verified"',
    "ldn:pubmedMismatch": 'pmid:38226027 ldn:pubmedMismatch "year"',
}


def to_curie(graph: Graph, iri: str) -> str:
    """``iri`` shortened with the longest namespace bound in ``graph`` (else ``<iri>``)."""
    best = max(
        ((prefix, str(ns)) for prefix, ns in graph.namespaces() if prefix and iri.startswith(str(ns))),
        key=lambda pair: len(pair[1]),
        default=None,
    )
    return f"{best[0]}:{iri[len(best[1]) :]}" if best else f"<{iri}>"


def get_used_terms(graph: Graph) -> tuple[set[str], set[str]]:
    """(classes, properties) the graph uses, as CURIEs (the graph's own prefix bindings)."""
    props = {to_curie(graph, str(p)) for p in graph.predicates()}
    classes = {to_curie(graph, str(o)) for o in graph.objects(None, RDF.type) if isinstance(o, URIRef)}
    return classes, props


def _short(graph: Graph, term: object) -> str:
    if isinstance(term, Literal):
        text = str(term)
        text = text if len(text) <= 48 else text[:45] + "..."
        return f'"{text}"' + (f"^^{to_curie(graph, str(term.datatype))}" if term.datatype else "")
    return to_curie(graph, str(term)) if isinstance(term, URIRef) else str(term)


def _example(graphs: Iterable[Graph], curie: str, *, is_class: bool) -> str:
    for graph in graphs:
        iri = graph.namespace_manager.expand_curie(curie)
        pattern = (None, RDF.type, iri) if is_class else (None, iri, None)
        triples = sorted(graph.triples(pattern), key=lambda t: (str(t[0]), str(t[2])))
        if triples:
            s, p, o = triples[0]
            return f"`{_short(graph, s)} {_short(graph, p)} {_short(graph, o)}`".replace("|", "\\|")
    return f"`{FALLBACK_EXAMPLES[curie]}` (by hand)" if curie in FALLBACK_EXAMPLES else "(no example)"


def to_markdown(graphs: list[Graph]) -> str:
    """docs/vocabulary.md: every class and property, what it means, and an example triple."""
    lines = [
        "# The ldngraph vocabulary",
        "",
        "<!-- generated by `python -m ldngraph.present.vocabdoc docs/vocabulary.md` from "
        "ldngraph/present/vocabdoc.py; do not edit by hand -->",
        "",
        "Every class and property the evidence graph uses, with an example triple from the test fixture",
        "(tests/resources/mini) or the shipped data. Prefixes: `ldn:` <https://w3id.org/ldngraph/vocab/>,",
        "`ldnr:` <https://w3id.org/ldngraph/id/> (claims, evidence items, studies), `biolink:`",
        "<https://w3id.org/biolink/vocab/>; entity CURIEs (MESH, CHEBI, HGNC, HP, LDNO ...) are expanded",
        'with the map in ldngraph/rdf/vocab.py. Write your own query with these (README, "Writing your own',
        'query").',
        "",
        "## Classes",
        "",
        "| class | meaning | example |",
        "|---|---|---|",
    ]
    lines += [f"| `{c}` | {d} | {_example(graphs, c, is_class=True)} |" for c, d in sorted(CLASSES.items())]
    lines += ["", "## Properties", "", "| property | meaning | example |", "|---|---|---|"]
    lines += [
        f"| `{p}` | {d} | {_example(graphs, p, is_class=False)} |" for p, d in sorted(PROPERTIES.items())
    ]
    return "\n".join(lines) + "\n"


def get_example_graphs(root: Path) -> list[Graph]:
    """The graphs the examples come from: the fixture, then the shipped data (scored)."""
    from ldngraph.pipeline import load

    return [load(root / name).graph for name in _FIXTURES if (root / name).is_dir()]


def main(argv: list[str] | None = None) -> None:
    """Regenerate docs/vocabulary.md (or the file named) from a source checkout."""
    from ldngraph.atomic import write_text_atomic

    args = sys.argv[1:] if argv is None else argv
    root = Path(__file__).resolve().parents[2]  # the checkout: ldngraph/present/ is two levels down
    target = Path(args[0]) if args else root / "docs" / "vocabulary.md"
    write_text_atomic(target, to_markdown(get_example_graphs(root)))


if __name__ == "__main__":
    main()
