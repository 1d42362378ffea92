"""The question and the explanations of a summary-of-findings table (issue 23; Cochrane Handbook
ch. 14, GRADEpro): the PICO header (population, setting, intervention with its dose, comparison)
and, below the table, GRADE's certainty definitions, the abbreviations used, the search date and
the references.

Everything comes from the records as curated: a study's ``population_description``, ``dose_mg``
and ``comparator`` (data/studies.yaml), the searches of data/screening.yaml and the publications
of data/publications.yaml. Where the data do not say, the header says "not reported"; nothing is
inferred. Kept apart from :mod:`ldngraph.present.sof` (which imports these models) so that module
stays a table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ldngraph.evidence.exclusions import get_comparator
from ldngraph.model import KnowledgeBase, Publication
from ldngraph.model.terms import ComparatorKind
from ldngraph.present.sof_notes import study_name

COMPARATOR_WORDS = {
    ComparatorKind.placebo: "placebo",
    ComparatorKind.active: "an active drug",
    ComparatorKind.usual_care: "usual care (no LDN)",
    ComparatorKind.none: "no concurrent control (before/after or single arm)",
}
#: GRADE's four levels in our words (after GRADE's definitions, Balshem et al., J Clin Epidemiol
#: 2011;64:401-6; paraphrased, not quoted).
DEFINITIONS = (
    ("High", "we are very confident that the true effect is close to the estimate shown"),
    (
        "Moderate",
        "we are moderately confident: the true effect is probably close to the estimate, but it may "
        "be substantially different",
    ),
    ("Low", "our confidence is limited: the true effect may be substantially different from the estimate"),
    (
        "Very low",
        "we have very little confidence: the true effect is likely to be substantially different "
        "from the estimate",
    ),
)
#: Abbreviations a table may use, each listed only when the table's text uses it.
ABBREVIATIONS = (
    ("CI", "confidence interval"),
    ("GRADE", "Grading of Recommendations Assessment, Development and Evaluation"),
    ("HR", "hazard ratio"),
    ("I²", "the share of the variation between studies that is not due to chance"),
    ("LDN", "low-dose naltrexone"),
    ("MD", "mean difference"),
    ("MID", "minimal important difference"),
    ("OR", "odds ratio"),
    ("RCT", "randomised controlled trial"),
    ("RR", "risk ratio"),
    ("SMD", "standardised mean difference"),
)
NOT_REPORTED = "not reported"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Pico(_Frozen):
    """The question a summary-of-findings table answers, from the records of its studies."""

    population: str = Field(description="Who, as the studies describe them (or 'not reported')")
    setting: str = Field(description="Where (the data record no setting field: 'not reported')")
    intervention: str = Field(description="LDN with the daily doses the studies report")
    comparison: str = Field(description="What LDN was compared with, with the number of studies")


class Explanations(_Frozen):
    """What sits under a GRADEpro table: definitions, abbreviations, search date, references."""

    definitions: tuple[tuple[str, str], ...] = DEFINITIONS
    abbreviations: tuple[tuple[str, str], ...] = Field(description="(abbreviation, meaning), used ones only")
    search_date: str = Field(description="YYYY-MM-DD of the last search, or 'search date not recorded'")
    references: tuple[str, ...] = Field(description="The publications of the studies and reviews cited")


def _count(n: int) -> str:
    return f"{n} stud{'y' if n == 1 else 'ies'}"


def _grouped(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for key, sid in pairs:
        groups.setdefault(key, []).append(sid)
    return list(groups.items())


def get_pico(
    kb: KnowledgeBase,
    condition_label: str,
    intervention: str,
    studies: Sequence[str],
    comparison: str | None = None,
) -> Pico:
    """The PICO of a table whose rows rest on ``studies`` (``comparison``: the one comparator kind
    the table is restricted to, if it is)."""
    index = kb.study_index
    primaries = [index[s] for s in dict.fromkeys(studies) if s in index]
    described = _grouped((s.population_description or NOT_REPORTED, s.id) for s in primaries)
    if described:
        population = f"people with {condition_label}, as the studies describe them: " + "; ".join(
            f"{text} ({', '.join(study_name(kb, s) for s in sids)})" for text, sids in described
        )
    else:
        population = f"people with {condition_label} ({NOT_REPORTED}: no study in the table)"
    doses = _grouped(
        (f"{s.dose_mg:g} mg a day" if s.dose_mg is not None else "dose not reported", s.id) for s in primaries
    )
    dose_text = "; ".join(f"{d} ({_count(len(sids))})" for d, sids in doses) or NOT_REPORTED
    comps = []
    for s in primaries:
        kind = get_comparator(s)
        if kind is None:
            comps.append((NOT_REPORTED, s.id))
        elif kind is ComparatorKind.active and s.comparator is not None and s.comparator.name:
            comps.append((f"{s.comparator.name} (an active drug)", s.id))
        else:
            comps.append((COMPARATOR_WORDS[kind], s.id))
    comparison_text = "; ".join(f"{c} ({_count(len(sids))})" for c, sids in _grouped(comps)) or NOT_REPORTED
    return Pico(
        population=population,
        setting=f"{NOT_REPORTED} (the records hold no setting; some population descriptions name one)",
        intervention=f"{intervention}: {dose_text}",
        comparison=comparison_text,
    )


def get_search_date(data_dir: Path | str | None, kb: KnowledgeBase, studies: Sequence[str]) -> str:
    """The day of the last search that found one of ``studies`` (data/screening.yaml), else of the
    last search or saved search run; 'search date not recorded' without a screening log."""
    from ldngraph.ingest.screening import read_screening_log
    from ldngraph.locations import get_data_dir

    path = Path(data_dir if data_dir is not None else get_data_dir()) / "screening.yaml"
    if not path.is_file():
        return "search date not recorded"
    log = read_screening_log(path)
    records = log.record_index
    wanted = set(studies)
    found = [
        s.date
        for s in log.searches
        if any((r := records.get(rid)) is not None and r.study in wanted for rid in s.found)
    ]
    runs = [s.last_run for s in log.saved_searches if s.last_run]
    dates = found + runs or [s.date for s in log.searches]
    return max(dates) if dates else "search date not recorded"


def format_reference(pub: Publication) -> str:
    """One reference as recorded: authors (year). Title. Journal (or its printed citation). PMID or
    DOI; an unresolved PMID has no title and is printed as 'PMID n (unresolved)'."""
    ident = f"PMID {pub.pmid}" if pub.pmid else (f"doi:{pub.doi}" if pub.doi else "")
    if pub.status.value == "unresolved":
        return f"{ident or pub.journal_citation or pub.id} (unresolved)"
    authors = ", ".join(pub.authors[:3]) + (" et al." if len(pub.authors) > 3 else "")
    lead = " ".join(p for p in (authors, f"({pub.year})" if pub.year else "") if p)
    source = pub.journal_citation or pub.journal
    parts = [p.strip().rstrip(".") for p in (lead, pub.title, source, ident) if p]
    return ". ".join(parts) + "." if parts else pub.id


def get_explanations(
    kb: KnowledgeBase, texts: Iterable[str], studies: Sequence[str], search_date: str
) -> Explanations:
    """The explanations of a table whose cells and footnotes are ``texts`` and whose rows and
    footnotes cite ``studies``."""
    joined = " ".join(texts)
    used = tuple(
        (abbr, meaning)
        for abbr, meaning in ABBREVIATIONS
        if re.search(rf"(?<![\w]){re.escape(abbr)}s?(?![\w])", joined)
    )
    pubs: dict[str, Publication] = {}
    for sid in dict.fromkeys(studies):
        study = kb.study_index.get(sid)
        for pid in study.publications if study is not None else ():
            pub = kb.publication_index.get(pid)
            if pub is not None:
                pubs.setdefault(pid, pub)
    ordered = sorted(
        pubs.values(), key=lambda p: ((p.authors[0] if p.authors else p.id).casefold(), p.year or 0)
    )
    return Explanations(
        abbreviations=used, search_date=search_date, references=tuple(format_reference(p) for p in ordered)
    )


__all__ = [
    "ABBREVIATIONS",
    "DEFINITIONS",
    "Explanations",
    "Pico",
    "format_reference",
    "get_explanations",
    "get_pico",
    "get_search_date",
]


# -- rendering (called by ldngraph.present.sof and sof_text) ----------------------------------------


def pico_pairs(pico: Pico) -> list[tuple[str, str]]:
    return [
        ("Population", pico.population),
        ("Setting", pico.setting),
        ("Intervention", pico.intervention),
        ("Comparison", pico.comparison),
    ]


def pico_markdown(pico: Pico) -> list[str]:
    from ldngraph.markup import escape_markdown as esc

    return [f"- **{name}:** {esc(text)}" for name, text in pico_pairs(pico)] + [""]


def pico_html(pico: Pico) -> str:
    import html

    items = "".join(f"<dt>{name}</dt><dd>{html.escape(text)}</dd>" for name, text in pico_pairs(pico))
    return f'<dl class="sof-pico">{items}</dl>'


def explanation_pairs(ex: Explanations) -> list[tuple[str, list[str]]]:
    """(heading, lines) of the explanations, in the order GRADEpro prints them."""
    out = [("GRADE certainty ratings", [f"{level}: {meaning}." for level, meaning in ex.definitions])]
    if ex.abbreviations:
        out.append(("Abbreviations", [f"{a}: {m}" for a, m in ex.abbreviations]))
    out.append(("Search date", [f"Last search: {ex.search_date}"]))
    if ex.references:
        out.append(("References", list(ex.references)))
    return out


def explanations_markdown(ex: Explanations) -> list[str]:
    from ldngraph.markup import escape_markdown as esc

    lines = []
    for heading, items in explanation_pairs(ex):
        lines += [f"**{heading}**", ""]
        numbered = heading == "References"
        lines += [f"{i}. {esc(t)}" if numbered else f"- {esc(t)}" for i, t in enumerate(items, 1)]
        lines.append("")
    return lines


def explanations_html(ex: Explanations) -> str:
    import html

    parts = ['<div class="sof-explanations">']
    for heading, items in explanation_pairs(ex):
        tag = "ol" if heading == "References" else "ul"
        cls = heading.lower().replace(" ", "-")
        body = "".join(f"<li>{html.escape(t)}</li>" for t in items)
        parts.append(f'<p class="sof-{cls}"><strong>{html.escape(heading)}</strong></p><{tag}>{body}</{tag}>')
    parts.append("</div>")
    return "".join(parts)
