"""Evidence brief: templated, deterministic text generated from the graph, every sentence cited.

The brief has one section per condition and per mechanism (what is claimed, by which studies, the
certainty and why, conflicts, gaps) and a section on where the primary studies depart from the seed
summary. Every sentence except headings and gap statements ends with its citations in the form
``(PMID 38226027; DOI 10.1000/x)``; gap statements start with ``Gap:``. The text is built as
blocks first, then rendered to Markdown or to (escaped) HTML.

Record text (labels, statements, notes, identifiers: anything from data/, PubMed or the graph) is
never markup. While the blocks are built it is marked with :func:`_rec`; each block keeps the
spans of its record text, which :func:`to_markdown` backslash-escapes (CommonMark, spec section
2.4) and :func:`to_html` escapes with :func:`html.escape` like all its text. Only what the report
generates itself (heading and list markers, the citation list) is live Markdown; a DOI in a
citation is record text too, so the Markdown source reads ``DOI 10\\.1000/x``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from ldngraph.atomic import write_text_atomic
from ldngraph.errors import ExportError
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.markup import mark_record as _rec
from ldngraph.markup import unmark as _unmark
from ldngraph.model import (
    PRECLINICAL_DESIGNS,
    RANDOMISED_DESIGNS,
    SECONDARY_DESIGNS,
    CitationStatus,
    Claim,
    Design,
    Direction,
    Entity,
    EntityKind,
    KnowledgeBase,
    Population,
    Publication,
    SourceDocument,
)
from ldngraph.present import prisma as prisma_section
from ldngraph.present import report_living
from ldngraph.present.blocks import Block, Kind, to_html, to_markdown
from ldngraph.present.report_living import Living
from ldngraph.stores.view import (
    BodyView,
    ClaimScoreView,
    EvidenceRow,
    certainty_label,
    claims_about,
    conclusion_label,
    design_label,
    entities_of_kind,
    get_bodies,
    get_claim_scores,
    get_evidence_rows,
    reason_label,
)

if TYPE_CHECKING:
    from ldngraph.evidence.profile import Profile

#: GRADE downgrade domains (other reason codes are notes: preclinical only, retracted ...).
DOWNGRADE_CODES = frozenset(
    {"risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias"}
)

#: One year of treatment or follow-up: the threshold for "long-term" safety data.
LONG_TERM_WEEKS = 52
#: Designs that observe no participants and report no data of their own.
NON_EMPIRICAL = SECONDARY_DESIGNS | {Design.commentary}

#: Evidence tiers that are not evidence in people.
_WEAK_TIERS = {
    "preclinical": "preclinical (animal or cell) evidence",
    "theoretical": "a hypothesis (no data of its own)",
}

_GAP_TEXT = {
    "no_long_term_safety_data": "no long-term safety data",
    "off_label_use": "LDN use is off-label (not approved for these conditions)",
    "no_rct": "no randomised controlled trial",
    "no_large_rct": "no large randomised controlled trial",
    "few_objective_outcomes": "few objective outcomes; most are patient-reported",
    "mechanism_unproven_in_humans": "the mechanism is not shown in humans",
    "no_clinical_data": "no clinical data",
    "preclinical_only": "only preclinical (animal or cell) data",
    "unverified_citation": "rests on a citation that could not be verified",
}


def gap_text(code: str) -> str:
    """Readable text of a gap code (codes as in data/sources.yaml and queries/gaps.rq)."""
    return _GAP_TEXT.get(code, code.replace("_", " "))


_INNER_STOP = re.compile(r"\.\s+([A-Z])(?=[a-z])|\.\s+(?=[A-Z])")


def _clause(text: str) -> str:
    """Record text used inside a sentence: no trailing full stop, and inner sentence breaks
    turned into semicolons, so the citation that closes the sentence covers all of it."""
    text = text.strip().rstrip(".").strip()
    return _INNER_STOP.sub(lambda m: "; " + (m.group(1).lower() if m.group(1) else ""), text)


def _rc(text: str) -> str:
    """Record text used as a clause, marked for escaping."""
    return _rec(_clause(text))


def _cite(pub: Publication) -> str:
    """A publication's citation handle in running text; the identifier is record text."""
    if pub.pmid:
        return f"PMID {_rec(pub.pmid)}"
    return f"DOI {_rec(pub.doi)}" if pub.doi else _rec(pub.citation)


def _pubs(rows: Iterable[EvidenceRow]) -> tuple[Publication, ...]:
    seen: dict[str, Publication] = {}
    for row in rows:
        for pub in row.publications:
            seen.setdefault(pub.id, pub)
    return tuple(seen.values())


def _study_phrase(row: EvidenceRow) -> str:
    study = row.study
    bits = [design_label(study.design), f"n={study.n}" if study.n else "n not reported"]
    if study.year:
        bits.append(str(study.year))
    return f"{_rec(study.label)} ({', '.join(bits)})"


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _range(values: Sequence[int], prefix: str = "") -> str:
    low, high = min(values), max(values)
    return f"{prefix}{low}" if low == high else f"{prefix}{low} to {high}"


def _is_primary_human(row: EvidenceRow) -> bool:
    return row.study.is_human and row.study.design not in NON_EMPIRICAL


class _Writer:
    """Builds the blocks of the brief from a knowledge base and its (possibly scored) graph."""

    def __init__(self, kb: KnowledgeBase, graph: Graph) -> None:
        self.kb = kb
        self.scores = get_claim_scores(kb, graph)
        self.graph = graph
        self.blocks: list[Block] = []

    def add(self, kind: Kind, marked: str, cites: Iterable[Publication] = ()) -> None:
        """Add a block; ``marked`` is generated text with record text wrapped by :func:`_rec`."""
        text, spans = _unmark(marked)
        self.blocks.append(Block(kind, text, tuple(cites), spans))

    # -- one claim -------------------------------------------------------------------------

    def claim(self, claim: Claim) -> None:
        entities = self.kb.entity_index
        rows = get_evidence_rows(self.kb, claim)
        sup = [r for r in rows if r.item.direction is Direction.supports]
        ref = [r for r in rows if r.item.direction is Direction.refutes]
        self.add("h4", f"Claim: {_rc(claim.statement)}")
        qual = [f"{k} {_rec(entities[v].label if v in entities else v)}" for k, v in claim.qualifiers.items()]
        self.add(
            "sentence",
            f"The graph records {_rec(entities[claim.subject].label)} "
            f"{claim.predicate.value.replace('_', ' ')} {_rec(entities[claim.object].label)}"
            + (f" ({'; '.join(qual)})" if qual else "")
            + f", backed by {_count(len(rows), 'evidence item')}: "
            + f"{len(sup)} supporting and {len(ref)} refuting",
            _pubs(rows),
        )
        score = self.scores[claim.id]
        if score.holds is False:  # a null or refuted claim is reported as such, not as a finding
            self.add(
                "sentence",
                "The evidence does not support this claim: its body of evidence concludes "
                f"{_rec(conclusion_label(score.conclusion or 'uncertain'))}",
                _pubs(rows),
            )
        excluded = dict(score.excluded)
        for i, row in enumerate(rows):
            text = self._row_text(row)
            if i in excluded:  # retracted, or left out by --exclude: shown, never counted
                text += f" (not counted: {_rec(excluded[i])})"
            self.add("item", text, row.publications)
        self.certainty(score, rows)
        if sup and ref:
            self.conflict(sup, ref)

    def _row_text(self, row: EvidenceRow) -> str:
        study = row.study
        text = f"{_rec(study.label)}: {design_label(study.design)}"
        text += f", n={study.n}" if study.n else ", n not reported"
        if study.population_description:
            text += f", {_rc(study.population_description)}"
        elif study.population is Population.none:
            text += ", no participants"
        else:
            text += f", {study.population.value} population"
        if row.outcome is not None:
            text += f", outcome {_rec(row.outcome.label)}"
        if row.outcome_kind:
            text += f" ({_rec(row.outcome_kind)})"
        text += f"; it {row.item.direction.value} the claim"
        if row.item.note:
            text += f": {_rc(row.item.note)}"
        return text

    def certainty(self, score: ClaimScoreView, rows: Sequence[EvidenceRow]) -> None:
        cites = _pubs(rows)
        if not score.scored:
            self.add("sentence", "Certainty is not graded: the graph carries no evidence scores", cites)
            return
        # The certainty is the certainty in the body's conclusion (GRADE), not in the claim.
        conclusion = _rec(conclusion_label(score.conclusion)) if score.conclusion else "not recorded"
        if score.effect:
            conclusion += f" ({_rec(score.effect)})"
        text = (
            f"The body of evidence concludes {conclusion}; certainty {_rec(certainty_label(score.certainty))}"
        )
        if score.strength is not None:
            text += f" (strength {score.strength:.2f}"
            if score.disagreement is not None:
                text += f", disagreement {score.disagreement:.2f}"
            text += ")"
        downgrades = [_rec(reason_label(r)) for r in score.reasons if r in DOWNGRADE_CODES]
        notes = [_rec(reason_label(r)) for r in score.reasons if r not in DOWNGRADE_CODES]
        text += f", downgraded for {_join(downgrades)}" if downgrades else ", with no downgrade"
        if notes:
            text += f" (notes: {_join(notes)})"
        if score.holds is False:
            if "no_supporting_evidence" in score.reasons:
                text += f"; the claim is not supported, as {reason_label('no_supporting_evidence')} counts"
            else:
                text += "; that conclusion is not what the claim states"
        if score.profile_version:
            text += f" under evidence profile {_rec(score.profile_version)}"
            if score.profile_hash:
                text += f" (content hash {_rec(score.profile_hash)})"
        if score.data_quality:
            text += f"; data-quality flags, not downgrades: {_rec('; '.join(score.data_quality))}"
        self.add("sentence", text, cites)

    def conflict(self, sup: Sequence[EvidenceRow], ref: Sequence[EvidenceRow]) -> None:
        self.add(
            "sentence",
            f"The evidence conflicts: {_join([_study_phrase(r) for r in sup])} "
            f"{'supports' if len(sup) == 1 else 'support'} the claim, while "
            f"{_join([_study_phrase(r) for r in ref])} {'reports' if len(ref) == 1 else 'report'} no effect "
            "or the opposite",
            _pubs([*sup, *ref]),
        )
        psup = [r for r in sup if _is_primary_human(r)]
        pref = [r for r in ref if _is_primary_human(r)]
        if not psup or not pref:
            return
        ysup = [r.study.year for r in psup if r.study.year]
        yref = [r.study.year for r in pref if r.study.year]
        nsup = [r.study.n for r in psup if r.study.n]
        nref = [r.study.n for r in pref if r.study.n]
        later = bool(ysup and yref and max(ysup) < min(yref))
        larger = bool(nsup and nref and max(nsup) < min(nref))
        sup_when, ref_when = _range(ysup) if ysup else "", _range(yref) if yref else ""
        sup_size, ref_size = _range(nsup, "n=") if nsup else "", _range(nref, "n=") if nref else ""
        if later and larger:
            text = (
                f"The supporting human studies are earlier ({sup_when}) and smaller ({sup_size}) than the "
                f"refuting ones ({ref_when}, {ref_size}): the later, larger trials found no benefit where "
                "the early small trials found one"
            )
        elif later:
            text = f"The refuting human studies ({ref_when}) came after the supporting ones ({sup_when})"
        elif larger:
            text = f"The refuting human studies ({ref_size}) are larger than the supporting ones ({sup_size})"
        else:
            return
        self.add("sentence", text, _pubs([*psup, *pref]))

    # -- gaps ------------------------------------------------------------------------------

    def gaps(self, claims: Sequence[Claim], *, clinical: bool) -> None:
        rows = [r for c in claims for r in get_evidence_rows(self.kb, c)]
        if not rows:
            return
        human = [r for r in rows if _is_primary_human(r)]
        preclinical = [r for r in rows if r.study.design in PRECLINICAL_DESIGNS]
        gaps: list[str] = []
        if not human and preclinical:
            gaps.append("only preclinical (animal or cell) data; no human study")
        elif not human:
            designs = sorted({design_label(r.study.design) for r in rows})
            gaps.append(f"only {_join(designs)} evidence; no primary study with data of its own")
        if clinical and not any(r.study.design in RANDOMISED_DESIGNS for r in human):
            gaps.append(self._no_rct_text(rows))
        kinds = {r.outcome_kind for r in human if r.outcome_kind}
        if kinds == {"subjective"}:
            gaps.append(
                "only subjective (patient-reported) outcomes among the primary human studies; "
                "no objective outcome"
            )
        if clinical and not any((r.study.duration_weeks or 0) >= LONG_TERM_WEEKS for r in human):
            gaps.append(
                f"no long-term safety data (no primary human study of {LONG_TERM_WEEKS} weeks or more "
                "in the graph)"
            )
        for pub in _pubs(rows):
            if pub.retracted:
                gaps.append(f"{_cite(pub)} is retracted")
            elif pub.status is not CitationStatus.verified:
                gaps.append(f"unverified citation: {_cite(pub)} ({pub.status.value.replace('_', ' ')})")
        if gaps:
            self.add("h4", "Gaps")
            for gap in gaps:
                self.add("gap", gap)

    @staticmethod
    def _no_rct_text(rows: Sequence[EvidenceRow]) -> str:
        """The 'no RCT' gap in words that cannot contradict a review of RCTs listed beside it."""
        reviews = {
            r.study.id: r for r in rows if r.study.design in {Design.meta_analysis, Design.systematic_review}
        }
        if not reviews:
            return "no randomised controlled trial"
        names = _join([_rec(r.study.label) for r in reviews.values()])
        pooled = any(
            r.study.review is not None and set(r.study.review.included_designs) & RANDOMISED_DESIGNS
            for r in reviews.values()
        )
        if pooled:
            return (
                "no randomised controlled trial recorded as a study of its own: randomised evidence "
                f"enters only pooled, through {names}"
            )
        return f"no randomised controlled trial among the primary studies; the rest is {names}"

    # -- sections --------------------------------------------------------------------------

    def summary(self, conditions: Sequence[tuple[Entity, Sequence[Claim]]]) -> None:
        """One line per condition, strongest evidence first: its headline outcome, conclusion and
        certainty, and how many other outcomes and claims it has."""
        self.add("h3", "At a glance (conditions ordered by the certainty of their headline outcome)")
        for entity, claims in conditions:
            bodies = [b for b in get_bodies(self.graph, entity.id) if b.outcome is not None]
            cites = _pubs([r for c in claims for r in get_evidence_rows(self.kb, c)])
            head = next((b for b in bodies if b.critical), None)
            text = f"{_rec(entity.label)}: "
            if head is not None:
                labels = self.kb.entity_index
                what = labels[head.outcome].label if head.outcome in labels else str(head.outcome)  # type: ignore[index]
                text += (
                    f"{_rec(what)}, {_rec(conclusion_label(head.conclusion))}, "
                    f"{_rec(certainty_label(head.certainty))} certainty "
                    f"({head.studies} stud{'y' if head.studies == 1 else 'ies'})"
                )
            else:
                text += "no headline outcome"
            holding = [c for c in claims if self.scores[c.id].holds]
            text += f"; {len(holding)} of {_count(len(claims), 'claim')} supported by their evidence"
            weak = sum(1 for c in holding if self.scores[c.id].tier in _WEAK_TIERS)
            if weak:
                text += f" ({weak} of them by preclinical or hypothesis evidence only)"
            self.add("item", text, cites)

    def rank(self, entity: Entity, claims: Sequence[Claim]) -> tuple[int, int, str]:
        """Sort key, strongest first: the headline body's certainty, then the number of studies."""
        bodies = [b for b in get_bodies(self.graph, entity.id) if b.outcome is not None]
        head = next((b for b in bodies if b.critical), None)
        order = {"high": 3, "moderate": 2, "low": 1, "very_low": 0}
        certainty = order.get(head.certainty, -1) if head is not None else -1
        studies = len({i.study for c in claims for i in c.evidence})
        return (-certainty, -studies, entity.label.casefold())

    def headline(self, entity: Entity, claims: Sequence[Claim]) -> None:
        """The condition's critical outcome first, then every other outcome body, null ones included."""
        bodies = [b for b in get_bodies(self.graph, entity.id) if b.outcome is not None]
        if not bodies:
            return
        labels = self.kb.entity_index
        cites = _pubs([r for c in claims for r in get_evidence_rows(self.kb, c)])

        def phrase(b: BodyView) -> str:
            what = labels[b.outcome].label if b.outcome in labels else str(b.outcome)  # type: ignore[index]
            kind = " (tolerability)" if b.question == "tolerability" else ""
            down = f", downgraded for {_join([reason_label(r) for r in b.reasons])}" if b.reasons else ""
            studies = f"{b.studies} stud{'y' if b.studies == 1 else 'ies'}"
            return (
                f"{_rec(what)}{kind}: {_rec(conclusion_label(b.conclusion))}, "
                f"{_rec(certainty_label(b.certainty))} certainty ({studies}{down})"
            )

        critical = [b for b in bodies if b.critical]
        if critical:
            self.add("sentence", f"Headline, the critical outcome: {phrase(critical[0])}", cites)
        elif entity.critical_outcome is None:
            self.add("gap", "no critical outcome is declared for this condition, so it has no headline")
        others = [b for b in bodies if not b.critical]
        if others:
            self.add("sentence", f"Other outcomes: {'; '.join(phrase(b) for b in others)}", cites)

    def entity_section(self, entity: Entity, claims: Sequence[Claim], *, clinical: bool) -> None:
        self.add("h3", f"{_rec(entity.label)} ({_rec(entity.id)})")
        if entity.kind is EntityKind.condition:
            self.headline(entity, claims)
        for claim in claims:
            self.claim(claim)
        self.gaps(claims, clinical=clinical)

    def departures(self, doc: SourceDocument) -> None:
        pubs = self.kb.publication_index
        self.add("h2", "Where the primary studies depart from the seed summary")
        for st in doc.statements:
            self.add("h3", f"Seed statement: {_rec(st.key)}")
            claims = [self.kb.claim_index[c] for c in st.claims]
            rows = [r for c in claims for r in get_evidence_rows(self.kb, c)]
            if rows:
                encoded = _join([f"'{_rc(c.statement)}'" for c in claims])
                self.add(
                    "sentence",
                    f"The seed summary says: {_rc(st.summary)}; the graph encodes this as {encoded}",
                    _pubs(rows),
                )
            else:
                self.add("gap", f"the seed summary says: {_rc(st.summary)}; no claim in the graph encodes it")
            for claim in claims:
                self.departure(claim)
            for gap in st.gaps:
                self.add("gap", f"{_rec(gap_text(gap))} (asserted by the seed summary)")
        self.add("h3", "The seed summary's bibliography")
        for pid in doc.cites:
            pub = pubs[pid]
            if pub.status is CitationStatus.unresolved:
                self.add(
                    "gap",
                    f"{_cite(pub)} is cited by the seed summary but matches no article found; "
                    "it is attached to no claim (unverified citation)",
                )
            elif pub.status is CitationStatus.content_match:
                self.add(
                    "gap",
                    f"{_cite(pub)} matches its article in content, but the identifier link "
                    "was not seen in a source (unverified citation)",
                )
        extra = [c for c in self.kb.claims if doc.id not in c.asserted_by]
        if extra:
            self.add("h3", "Claims the seed summary does not make")
            for claim in extra:
                rows = get_evidence_rows(self.kb, claim)
                score = self.scores[claim.id]
                if score.holds is False:
                    said = _rec(conclusion_label(score.conclusion or "uncertain"))
                    text = f"The graph adds a claim its evidence does not support ({said}): "
                elif score.holds and score.tier in _WEAK_TIERS:
                    text = f"The graph adds a claim resting on {_WEAK_TIERS[score.tier]} only: "
                elif score.holds:
                    text = "The graph adds a claim its evidence supports: "
                if score.holds is not None:
                    text += _rc(claim.statement)
                else:
                    text = f"The graph adds: {_rc(claim.statement)}"
                self.add("item", text, _pubs(rows))

    def departure(self, claim: Claim) -> None:
        rows = get_evidence_rows(self.kb, claim)
        ref = [r for r in rows if r.item.direction is Direction.refutes]
        said = False
        if ref:
            self.add(
                "item",
                f"{len(ref)} of {len(rows)} studies refute '{_rc(claim.statement)}': "
                f"{_join([_study_phrase(r) for r in ref])}",
                _pubs(ref),
            )
            said = True
        if all(r.study.design in NON_EMPIRICAL for r in rows):
            designs = _join(sorted({design_label(r.study.design) for r in rows}))
            self.add(
                "item",
                f"'{_rc(claim.statement)}' rests only on {designs} evidence, with no primary study",
                _pubs(rows),
            )
            said = True
        elif all(r.study.design in PRECLINICAL_DESIGNS | NON_EMPIRICAL for r in rows):
            what = (
                "preclinical data only"
                if all(r.study.design in PRECLINICAL_DESIGNS for r in rows)
                else "preclinical data and reviews only, with no human primary study"
            )
            self.add("item", f"'{_rc(claim.statement)}' rests on {what}", _pubs(rows))
            said = True
        for row in rows:
            indirect = sorted(
                {i.value.replace("_", " ") for i in (*row.study.indirectness, *row.item.indirectness)}
            )
            if indirect:
                self.add(
                    "item",
                    f"{_rec(row.study.label)} is indirect for this claim ({', '.join(indirect)})",
                    row.publications,
                )
                said = True
        score = self.scores[claim.id]
        if score.certainty in ("low", "very_low"):
            self.add(
                "item",
                f"'{_rc(claim.statement)}' is graded {_rec(certainty_label(score.certainty))} certainty",
                _pubs(rows),
            )
            said = True
        if not said:
            self.add(
                "item",
                f"The primary studies agree with '{_rc(claim.statement)}': "
                f"{len(rows)} supporting and none refuting",
                _pubs(rows),
            )


def get_blocks(kb: KnowledgeBase, graph: Graph, *, title: str = "LDN evidence brief") -> list[Block]:
    """The brief as a list of blocks (headings, cited sentences, list items, gap statements)."""
    w = _Writer(kb, graph)
    w.add("h1", _rec(title))
    w.add("h2", "Conditions")
    conditions = [
        (c, [x for x in kb.claims if x.object == c.id]) for c in entities_of_kind(kb, EntityKind.condition)
    ]
    conditions = sorted(((c, cl) for c, cl in conditions if cl), key=lambda t: w.rank(*t))
    if conditions:
        w.summary(conditions)
    for cond, claims in conditions:
        w.entity_section(cond, claims, clinical=True)
    w.add("h2", "Mechanisms")
    for mech in entities_of_kind(kb, EntityKind.mechanism):
        claims = claims_about(kb, mech.id)
        if claims:
            w.entity_section(mech, claims, clinical=False)
    for doc in kb.sources:
        w.departures(doc)
    return w.blocks


def write_report(
    kb: KnowledgeBase,
    graph: Graph,
    path: Path | str,
    *,
    profile: Profile | None = None,
    prisma: prisma_section.PrismaSection | None = None,
    living: Living | None = None,
    registry: Sequence[RegistryEntry] = (),
    data_dir: Path | str | None = None,
) -> Path:
    """Write the brief as Markdown (.md) or HTML (.html/.htm), atomically.

    With ``profile``: a build line, contents and, per condition, its summary-of-findings tables (search
    date from the screening log in ``data_dir``), forest plots and "What would change this" (``living``,
    :mod:`.report_living`) head the brief's sections; ``prisma``: the screening counts and ongoing
    trials, appended as a section (:mod:`ldngraph.present.prisma`)."""
    suffix = ".md" if str(path) == "-" else Path(path).suffix.lower()  # stdout: Markdown
    if suffix not in (".md", ".html", ".htm"):
        raise ExportError(f"{path}: unknown report suffix '{suffix}'; use .md or .html")
    blocks = get_blocks(kb, graph)
    as_html = suffix != ".md"
    appendix = report_living.appendix(living, as_html=as_html)
    if prisma is not None:
        appendix += prisma_section.to_html(prisma) if as_html else prisma_section.to_markdown(prisma)
    if profile is None:
        text = to_html(blocks, appendix=appendix) if as_html else to_markdown(blocks) + appendix
    else:
        from ldngraph.present.report_sof import render_with_findings

        text = render_with_findings(
            kb,
            profile,
            blocks,
            as_html=as_html,
            appendix=appendix,
            living=living,
            registry=registry,
            data_dir=data_dir,
        )
    return write_text_atomic(path, text)
