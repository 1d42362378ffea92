"""GRADE summary-of-findings tables, one per condition (Cochrane / GRADEpro layout).

One row per outcome of LDN in the condition (the condition's critical outcome first): the studies
and their designs, the participants, the effect with its 95% CI (relative for ratio measures and,
where a baseline risk is known, absolute per 1,000; a mean difference for continuous outcomes),
the certainty as symbols and words (GRADE: high ⊕⊕⊕⊕ ... very low ⊕◯◯◯), a footnote for each
downgrade with its reason, and a plain-language statement in GRADE's informative wording
(Santesso et al., J Clin Epidemiol 2020; /work/shared/design/grade-notes.md).

Rows come from the outcome bodies (:mod:`ldngraph.evidence.bodies`: conclusion, certainty and the
reasons for every downgrade) and their effects (:mod:`ldngraph.evidence.effects`). The table is a
typed model; :func:`to_markdown`, :func:`to_html`, :func:`to_records` and :func:`to_csv` render it,
with record text escaped (Markdown) or HTML-escaped.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.errors import UnknownEntityError
from ldngraph.evidence.bodies import OutcomeBody, build_bodies
from ldngraph.evidence.effects import (
    MEASURE_LABELS,
    EffectSummary,
    get_control_risk,
    summarise_body,
    why_not_pooled,
)
from ldngraph.evidence.profile import Profile
from ldngraph.evidence.publication_bias import RegistryEntry
from ldngraph.evidence.summary import statement  # the SoF says what the model says
from ldngraph.model import EntityKind, KnowledgeBase
from ldngraph.model.names import design_label, get_entity
from ldngraph.model.terms import RATIO_MEASURES, EffectMeasure
from ldngraph.present.sof_notes import (
    domain_note,
    minority_note,
    note_mark,
    note_marks,
    review_note,
    sign_test_note,
    start_note,
    study_name,
    words,
)
from ldngraph.present.sof_pico import (
    Explanations,
    Pico,
    explanations_html,
    explanations_markdown,
    get_explanations,
    get_pico,
    pico_html,
    pico_markdown,
)
from ldngraph.safetext import cell_text, to_json

SYMBOLS = {"high": "⊕⊕⊕⊕", "moderate": "⊕⊕⊕◯", "low": "⊕⊕◯◯", "very_low": "⊕◯◯◯"}
WORDS = {"high": "High", "moderate": "Moderate", "low": "Low", "very_low": "Very low"}
DOMAIN_LABELS = {
    "risk_of_bias": "Risk of bias",
    "inconsistency": "Inconsistency",
    "indirectness": "Indirectness",
    "imprecision": "Imprecision",
    "publication_bias": "Publication bias",
}
COLUMNS = (
    "outcome",
    "critical",
    "studies",
    "designs",
    "participants",
    "relative_effect",
    "effect",
    "certainty",
    "certainty_symbols",
    "statement",
    "footnotes",
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SofRow(_Frozen):
    """One outcome of a summary-of-findings table."""

    outcome: str = Field(description="Outcome CURIE")
    outcome_label: str
    critical: bool
    question: str = Field(description="effect, or tolerability")
    studies: tuple[str, ...] = Field(description="Study ids in the body (each once)")
    designs: str = Field(description="E.g. '2 crossover RCTs, 1 RCT'")
    participants: int | None
    relative: str | None = Field(description="Relative effect (95% CI), ratio measures only")
    effect: str = Field(description="Effect (95% CI) in words, or why there is none")
    summary: EffectSummary
    conclusion: str
    certainty: str = Field(description="high / moderate / low / very_low")
    downgrades: tuple[tuple[str, int, str], ...] = Field(description="(domain, levels, reason)")
    footnotes: tuple[int, ...] = Field(description="Numbers of this row's footnotes in the table")
    statement: str = Field(description="Plain-language statement (GRADE informative wording)")

    @property
    def certainty_text(self) -> str:
        return f"{SYMBOLS[self.certainty]} {WORDS[self.certainty]}"


class SofTable(_Frozen):
    """The summary-of-findings table of one condition."""

    condition: str
    condition_label: str
    intervention: str = Field(description="Label of the intervention (LDN)")
    rows: tuple[SofRow, ...]
    footnotes: tuple[str, ...] = Field(description="Footnote texts; row footnotes number into these")
    profile: str = Field(description="Evidence profile VERSION+HASH the certainties were judged under")
    pico: Pico | None = Field(default=None, description="The question: population, setting, LDN, comparison")
    comparison: str | None = Field(default=None, description="The one comparator kind the table keeps, if so")
    missing_critical: tuple[tuple[str, str], ...] = Field(
        default=(), description="(CURIE, label) of the condition's critical outcomes with no studies"
    )
    explanations: Explanations | None = None

    @property
    def title(self) -> str:
        kinds = {"usual_care": "usual care", "none": "no concurrent control", "active": "an active drug"}
        versus = f" compared with {kinds.get(self.comparison, self.comparison)}" if self.comparison else ""
        return f"Summary of findings: {self.intervention}{versus} for {self.condition_label}"


# -- wording -------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:.2f}"


def _signed(value: float, *, ratio: bool) -> str:
    if ratio:
        return _num(value)
    if value == 0:
        return "no difference"
    return f"{_num(abs(value))} {'lower' if value < 0 else 'higher'}"


def per_1000(measure: EffectMeasure, ratio: float, baseline: float) -> float:
    """Anticipated difference per 1,000 at baseline risk ``baseline`` (RR or OR; GRADEpro's rule)."""
    if measure is EffectMeasure.or_:
        risk = ratio * baseline / (1 - baseline + ratio * baseline)
    else:
        risk = ratio * baseline
    return (risk - baseline) * 1000.0


def _per_1000_words(value: float) -> str:
    return f"{abs(round(value))} {'fewer' if value < 0 else 'more'}"


def effect_text(
    summary: EffectSummary, baseline: float | None = None, *, body_size: int | None = None
) -> tuple[str | None, str]:
    """(relative effect or None, effect in words), both with 95% CIs."""
    pooled = summary.pooled
    if pooled is None:
        return None, summary.note[0].upper() + summary.note[1:]
    label = MEASURE_LABELS[pooled.measure]
    source = f"{pooled.k} studies pooled" if pooled.k > 1 and summary.status == "pooled" else ""
    if summary.status == "review":
        review = summary.studies[0].label if summary.studies else "a review"
        source = f"as reported by {review} (its own pooled result, never pooled again)"
    elif pooled.k == 1:
        source = "1 study"
    if body_size is not None and summary.status != "review" and body_size > pooled.k:
        source += f" of the {body_size} for this outcome; the others report no usable estimate"
    derived = {e.variance_from for e in summary.studies} - {"ci", None}
    if derived:
        source += "; CI derived from the reported " + " and ".join(
            sorted("standard error" if d == "se" else "exact p-value" for d in derived)
        )
    if pooled.measure in RATIO_MEASURES:
        relative = f"{label} {_num(pooled.value)} (95% CI {_num(pooled.ci_lower)} to {_num(pooled.ci_upper)})"
        if baseline is None or pooled.measure is EffectMeasure.hr:
            return relative, f"absolute effect not estimated: no baseline risk recorded ({source})"
        mid, lo, hi = (
            per_1000(pooled.measure, v, baseline) for v in (pooled.value, pooled.ci_lower, pooled.ci_upper)
        )
        words = _per_1000_words
        return relative, f"{words(mid)} per 1,000 (from {words(lo)} to {words(hi)}; {source})"
    text = (
        f"{label} {_signed(pooled.value, ratio=False)} (95% CI {_signed(pooled.ci_lower, ratio=False)} "
        f"to {_signed(pooled.ci_upper, ratio=False)}) on {pooled.scale}; {source}"
    )
    return None, text


def _lower_is_better(kb: KnowledgeBase, row_outcome: str, summary: EffectSummary) -> bool:
    """Which way is better: the estimate's own scale, else the outcome's ``higher_is_better`` in
    data/entities.yaml (an outcome that does not say is read as lower-is-better: a symptom)."""
    if summary.pooled is not None:
        return summary.pooled.lower_is_better
    entity = kb.entity_index.get(row_outcome)
    return not (entity is not None and entity.higher_is_better)


def _beside_notes(kb: KnowledgeBase, body: OutcomeBody, profile: Profile) -> list[str]:
    """Footnotes for what the conclusion rests on and every pooled result shown beside the body."""
    syn = body.synthesis
    notes: list[str] = [n for n in (start_note(kb, body),) if n]
    if syn.basis == "swim" and syn.sign_test is not None:
        notes.append(sign_test_note(syn.sign_test))
    minority = minority_note(kb, body, profile)
    if minority:
        notes.append(minority)
    for est in syn.reviews:
        e = est.effect
        shown = f"{MEASURE_LABELS[e.measure]} {_num(e.value)}"
        if e.ci_lower is not None and e.ci_upper is not None:
            shown += f" (95% CI {_num(e.ci_lower)} to {_num(e.ci_upper)})"
        notes.append(review_note(kb, body, est, f"{shown} on {e.scale}"))
    for why in body.exclusions:  # "study: why", the why a reason or an exclusion rule
        sid, _, reason = why.partition(": ")
        reason = words(reason).replace("comparator=none", "it has no concurrent control")
        reason = reason.replace("comparator=", "its comparator is ").replace("rob=", "risk of bias ")
        notes.append(f"Not counted: {study_name(kb, sid)}: {reason.replace('=', ' ')}")
    return notes


def _designs(kb: KnowledgeBase, body: OutcomeBody) -> str:
    counts = Counter(design_label(kb.study_index[s].design) for s in body.studies)
    parts = []
    for label, n in counts.most_common():
        plural = "" if n == 1 else ("s" if not label.endswith("s") else "")
        parts.append(f"{n} {label}{plural}")
    return ", ".join(parts) if parts else "no studies"


# -- building ------------------------------------------------------------------------------------


def get_condition_bodies(
    kb: KnowledgeBase, bodies: dict[str, OutcomeBody], condition: str
) -> list[OutcomeBody]:
    """The clinical bodies of ``condition``: an intervention's effect on a named outcome."""
    entities = kb.entity_index
    return [
        b
        for b in bodies.values()
        if b.condition == condition
        and b.outcome is not None
        and entities.get(b.intervention) is not None
        and entities[b.intervention].kind is EntityKind.intervention
    ]


def get_sof_table(
    kb: KnowledgeBase,
    profile: Profile,
    condition: str,
    *,
    bodies: dict[str, OutcomeBody] | None = None,
    registry: Sequence[RegistryEntry] = (),
    search_date: str = "search date not recorded",
    comparison: str | None = None,
) -> SofTable:
    """The summary-of-findings table of ``condition`` (a CURIE); ``registry``: the registered trials
    publication bias reads (when ``bodies`` are built here); ``search_date`` from the screening log
    (:func:`ldngraph.present.sof_pico.get_search_date`); ``comparison``: the comparator kind the
    profile keeps (one table per comparison, :mod:`ldngraph.present.sof_tables`)."""
    bodies = build_bodies(kb, profile, registry=registry) if bodies is None else bodies
    entities = kb.entity_index
    chosen = get_condition_bodies(kb, bodies, condition)
    chosen.sort(
        key=lambda b: (
            not b.critical,
            bool(b.qualifier),
            -len(b.studies),
            entities[b.outcome or ""].label.casefold(),
        )
    )
    footnotes: list[str] = []
    rows = []
    for body in chosen:
        outcome = body.outcome or ""
        summary = summarise_body(kb, body)
        risk = get_control_risk(kb, summary)
        baseline = risk[0] / risk[1] if risk is not None else None
        relative, effect = effect_text(summary, baseline, body_size=len(body.studies))
        notes: list[int] = []
        if risk is not None:
            footnotes.append(
                f"Absolute effects per 1,000 at the comparator arms' risk: {risk[0]} of {risk[1]} "
                f"({round(1000 * risk[0] / risk[1])} per 1,000), "
                "from the trials' arm-level counts"
            )
            notes.append(len(footnotes))
        downgrades = tuple((d.domain, d.levels, d.explanation) for d in body.downgrades if d.levels > 0)
        for judged in body.judgements:
            note = domain_note(kb, body, judged, profile)
            if note is not None:
                footnotes.append(note)
                notes.append(len(footnotes))
        for other in summary.others if summary.pooled is not None else ():
            shown = f"{MEASURE_LABELS[other.measure]} {_num(other.value)}"
            if other.ci_lower is not None and other.ci_upper is not None:
                shown += f" (95% CI {_num(other.ci_lower)} to {_num(other.ci_upper)})"
            footnotes.append(f"Not pooled: {other.label}, {shown} on {other.scale}: {why_not_pooled(other)}")
            notes.append(len(footnotes))
        pooled = summary.pooled
        if pooled is not None and pooled.k > 1 and pooled.i2 is not None and summary.status == "pooled":
            text = f"Pooled: {pooled.method}; I² = {pooled.i2:.0f}%, tau² = {pooled.tau2 or 0:.3g}"
            if pooled.pi_lower is not None and pooled.pi_upper is not None:
                text += f"; 95% prediction interval {_num(pooled.pi_lower)} to {_num(pooled.pi_upper)}"
            footnotes.append(text)
            notes.append(len(footnotes))
        for text in _beside_notes(kb, body, profile):
            footnotes.append(text)
            notes.append(len(footnotes))
        label = entities[outcome].label + (
            f" ({body.qualifier.replace('=', ': ')})" if body.qualifier else ""
        )
        rows.append(
            SofRow(
                outcome=outcome,
                outcome_label=label,
                critical=body.critical,
                question=body.question,
                studies=tuple(sorted(body.studies)),
                designs=_designs(kb, body),
                participants=body.participants,
                relative=relative,
                effect=effect,
                summary=summary,
                conclusion=body.conclusion,
                certainty=body.certainty.value,
                downgrades=downgrades,
                footnotes=tuple(notes),
                statement=statement(
                    body.conclusion,
                    body.certainty.value,
                    label,
                    lower_is_better=_lower_is_better(kb, outcome, summary),
                    magnitude=body.synthesis.magnitude,
                    basis=body.synthesis.basis,
                    notes=body.notes,
                ),
            )
        )
    ldn = next((e.label for e in kb.entities if e.kind is EntityKind.intervention), "LDN")
    label = entities[condition].label
    studies = [s for r in rows for s in r.studies]
    critical = entities[condition].critical_outcome
    missing = (
        ((critical, entities[critical].label),)
        if critical is not None and critical in entities and all(r.outcome != critical for r in rows)
        else ()
    )
    cells = [c for r in rows for c in (r.designs, r.relative or "", r.effect, r.statement)]
    cited = [*studies, *(e.review for b in chosen for e in b.synthesis.reviews)]
    return SofTable(
        condition=condition,
        condition_label=label,
        intervention=ldn,
        rows=tuple(rows),
        footnotes=tuple(footnotes),
        profile=profile.identity,
        pico=get_pico(kb, label, ldn, studies, comparison),
        comparison=comparison,
        missing_critical=missing,
        explanations=get_explanations(kb, [*cells, *footnotes, ldn], cited, search_date),
    )


# -- rendering -----------------------------------------------------------------------------------


def to_records(table: SofTable) -> list[dict[str, Any]]:
    """One flat record per row (the JSON and CSV forms)."""
    out = []
    for row in table.rows:
        out.append(
            {
                "condition": table.condition_label,
                "outcome": row.outcome_label,
                "outcome_id": row.outcome,
                "critical": row.critical,
                "studies": len(row.studies),
                "designs": row.designs,
                "participants": row.participants,
                "relative_effect": row.relative,
                "effect": row.effect,
                "conclusion": row.conclusion,
                "certainty": row.certainty,
                "certainty_symbols": SYMBOLS[row.certainty],
                "statement": row.statement,
                "footnotes": [table.footnotes[i - 1] for i in row.footnotes],
                "pooled": row.summary.pooled.model_dump(mode="json") if row.summary.pooled else None,
                "study_ids": list(row.studies),
                "profile": table.profile,
            }
        )
    for outcome_id, label in table.missing_critical:
        out.append(
            {
                "condition": table.condition_label,
                "outcome": label,
                "outcome_id": outcome_id,
                "critical": True,
                "studies": 0,
                "designs": "no studies",
                "participants": None,
                "relative_effect": None,
                "effect": NO_STUDIES,
                "conclusion": "no_evidence",
                "certainty": None,
                "certainty_symbols": None,
                "statement": NO_STUDIES,
                "footnotes": [],
                "pooled": None,
                "study_ids": [],
                "profile": table.profile,
            }
        )
    return out


#: What a critical outcome with no studies says in every column that would hold a result.
NO_STUDIES = "no studies: no study of LDN in this condition reports this critical outcome"


def to_csv(table: SofTable) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = [k for k in to_records(table)[0] if k != "pooled"] if table.rows else ["condition"]
    writer.writerow([cell_text(k) for k in keys])
    for rec in to_records(table):
        writer.writerow(
            [cell_text("; ".join(v) if isinstance(v, list) else v) for k, v in rec.items() if k != "pooled"]
        )
    return buffer.getvalue()


def _participants(row: SofRow) -> str:
    """GRADEpro's "No of participants (studies)" cell."""
    return f"{row.participants or 'not reported'} ({len(row.studies)})"


def to_markdown(table: SofTable, *, heading: str = "###") -> str:
    """A Markdown table with lettered footnotes; record text escaped."""
    from ldngraph.markup import escape_markdown as esc

    lines = [
        f"{heading} {esc(table.title)}",
        "",
        *(pico_markdown(table.pico) if table.pico else []),
        "| Outcome | Studies (designs) | Participants (studies) | Relative effect (95% CI) | "
        "Effect (95% CI) | Certainty (GRADE) | What happens |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.rows:
        name = esc(row.outcome_label) + (" (critical)" if row.critical else "")
        lines.append(
            f"| {name} | {len(row.studies)} ({esc(row.designs)}) | {_participants(row)} | "
            f"{esc(row.relative) if row.relative else '-'} | {esc(row.effect)} | "
            f"{row.certainty_text} {note_marks(row.footnotes, '[]')} | {esc(row.statement)} |"
        )
    for _, label in table.missing_critical:
        lines.append(f"| {esc(label)} (critical) | 0 (no studies) | - (0) | - | {esc(NO_STUDIES)} | - | - |")
    if not table.rows and not table.missing_critical:
        lines.append("| no outcome of LDN is recorded for this condition | | | | | | |")
    lines.append("")
    lines += [f"- {note_mark(i)}. {esc(note)}" for i, note in enumerate(table.footnotes, 1)]
    lines += ["", *(explanations_markdown(table.explanations) if table.explanations else [])]
    lines += [f"Certainty judged under evidence profile {esc(table.profile)}.", ""]
    return "\n".join(lines)


def to_html(table: SofTable, *, heading: str = "h3", anchor: str | None = None) -> str:
    """An HTML table with lettered footnotes; all record text escaped."""
    e = html.escape
    ident = f' id="{e(anchor)}"' if anchor else ""
    out = [
        f'<section class="sof"{ident}><{heading}>{e(table.title)}</{heading}>',
        pico_html(table.pico) if table.pico else "",
        '<table class="sof-table"><thead><tr><th>Outcome</th><th>Studies (designs)</th>'
        "<th>Participants (studies)</th><th>Relative effect (95% CI)</th><th>Effect (95% CI)</th>"
        "<th>Certainty (GRADE)</th><th>What happens</th></tr></thead><tbody>",
    ]
    for row in table.rows:
        crit = " <em>(critical)</em>" if row.critical else ""
        out.append(
            f"<tr><td>{e(row.outcome_label)}{crit}</td><td>{len(row.studies)} ({e(row.designs)})</td>"
            f"<td>{e(_participants(row))}</td><td>{e(row.relative or '-')}</td>"
            f"<td>{e(row.effect)}</td>"
            f'<td class="certainty {e(row.certainty)}">{e(row.certainty_text)} '
            f"<sup>{note_marks(row.footnotes)}</sup></td>"
            f"<td>{e(row.statement)}</td></tr>"
        )
    for _, label in table.missing_critical:
        out.append(
            f'<tr class="no-studies"><td>{e(label)} <em>(critical)</em></td><td>0 (no studies)</td>'
            f"<td>- (0)</td><td>-</td><td>{e(NO_STUDIES)}</td><td>-</td><td>-</td></tr>"
        )
    if not table.rows and not table.missing_critical:
        out.append('<tr><td colspan="7">No outcome of LDN is recorded for this condition.</td></tr>')
    out.append("</tbody></table>")
    if table.footnotes:
        items = "".join(f"<li>{e(n)}</li>" for n in table.footnotes)
        out.append(f'<ol class="sof-notes" type="a">{items}</ol>')
    if table.explanations:
        out.append(explanations_html(table.explanations))
    out.append(
        f'<p class="sof-profile">Certainty judged under evidence profile {e(table.profile)}.</p></section>'
    )
    return "\n".join(out)


def to_html_page(table: SofTable) -> str:
    """A self-contained page holding one table (``ldngraph sof --format html``)."""
    title = table.title
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{SOF_CSS}</style></head><body>\n"
        + to_html(table, heading="h1")
        + "\n</body></html>\n"
    )


SOF_TABLE_CSS = (
    ".sof-table{border-collapse:collapse;width:100%;font-size:14px}"
    ".sof-table th,.sof-table td{border:1px solid #ccc;padding:.35rem .5rem;vertical-align:top;"
    "text-align:left}"
    ".sof-table th{background:#f3f3f3}.sof-notes{font-size:13px}.sof-profile{font-size:13px;color:#555}"
    ".sof-pico{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;font-size:14px}"
    ".sof-pico dt{font-weight:600}.sof-pico dd{margin:0}.sof-explanations{font-size:13px}"
)
SOF_CSS = (
    "body{font:15px/1.5 system-ui,sans-serif;max-width:75rem;margin:2rem auto;padding:0 1rem}" + SOF_TABLE_CSS
)


# -- entry points ----------------------------------------------------------------------------------


def read_inputs(
    data_dir: Path | str | None, profile: Path | str | None, *, exclude: Sequence[str] = ()
) -> tuple[KnowledgeBase, Profile]:
    """The validated knowledge base (PubMed checks applied) and the evidence profile (with the
    ``exclude`` rules of ``--exclude`` added)."""
    from ldngraph.evidence.profile import read_profile
    from ldngraph.ingest.citations import apply_cached_pubmed
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.locations import get_data_dir
    from ldngraph.pipeline import get_profile_path

    directory = Path(data_dir) if data_dir is not None else get_data_dir()
    prof = read_profile(Path(profile) if profile is not None else get_profile_path(directory))
    return apply_cached_pubmed(read_knowledge_base(directory), directory), prof.with_exclusions(exclude)


def get_condition(kb: KnowledgeBase, name: str) -> str:
    """The CURIE of the condition a user named (CURIE, label or synonym)."""
    entity = get_entity(kb, name)
    if entity.kind is not EntityKind.condition:
        raise UnknownEntityError(f"'{name}' is not a condition (it is an entity of kind {entity.kind.value})")
    return entity.id


def to_dict(table: SofTable) -> dict[str, Any]:
    """The table as the JSON form's object."""
    return {
        "condition": table.condition,
        "profile": table.profile,
        "title": table.title,
        "pico": table.pico.model_dump(mode="json") if table.pico else None,
        "rows": to_records(table),
        "footnotes": list(table.footnotes),
        "explanations": table.explanations.model_dump(mode="json") if table.explanations else None,
    }


def render(table: SofTable, fmt: str) -> str:
    """The table as md, html (a whole page), json or csv text."""
    if fmt == "md":
        return to_markdown(table, heading="#")
    if fmt == "html":
        return to_html_page(table)
    if fmt == "json":
        return to_json(to_dict(table), indent=2) + "\n"
    return to_csv(table)
