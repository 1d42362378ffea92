"""Summary-of-findings footnotes in plain GRADE wording (issue 23).

GRADEpro and the Cochrane Handbook (chapter 14) explain each judgement in a sentence a reader of a
guideline can follow: "Downgraded one level for risk of bias: ...", "Not downgraded for
inconsistency: ...". The evidence model's explanation lines (``Downgrade.explanation``, shown by
``explain``) carry the rule's numbers in the tool's own terms; the footnotes here are written from
the structured fields of the same judgements (reason codes, the studies concerned, the share and
threshold, the CI, the MID, I², participants) and of the body (its units' risk-of-bias
judgements, its reviews' overlap), never from the explanation text and with no number computed
again: every number shown is one the model recorded, only formatted.
"""

from __future__ import annotations

from collections.abc import Sequence

from ldngraph.evidence.bodies import OutcomeBody
from ldngraph.evidence.profile import Certainty, Profile
from ldngraph.evidence.synthesis import ReviewEstimate, SignTest
from ldngraph.evidence.units import BodyUnit, Downgrade, levels_in_words
from ldngraph.model import Design, KnowledgeBase
from ldngraph.model.names import design_label
from ldngraph.model.terms import RATIO_MEASURES

DOMAIN_WORDS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
}
#: RoB 2 / ROBINS-I domain names in words (the data's keys are snake_case codes).
ROB_DOMAINS = {
    "randomisation": "randomisation",
    "period_carryover": "carry-over between periods",
    "deviations": "deviations from the intended interventions",
    "missing_data": "missing outcome data",
    "measurement": "measurement of the outcome",
    "reporting": "selection of the reported result",
    "confounding": "confounding",
    "selection": "selection of participants",
    "classification": "classification of interventions",
}
ROB_LEVELS = {
    "some_concerns": "some concerns about",
    "high": "a high risk of bias in",
    "serious": "serious risk in",
}
INDIRECT_KINDS = {
    "different_isomer": "another isomer of naltrexone",
    "different_dose": "another dose",
    "co_intervention": "LDN given with another treatment",
    "different_population": "another population",
    "different_condition": "another condition",
    "different_agent": "another agent",
    "active_comparator": "an active comparator",
}
#: Reasons for not downgrading that say something a reader would ask about (GRADEpro notes a
#: domain "considered and not downgraded" where a concern was weighed; trivial cases stay silent).
CONSIDERED = {
    "risk_of_bias": {"minor_share"},
    "inconsistency": {"not_serious", "review_i2_low"},
    "indirectness": {"minor_share"},
    "imprecision": {"within_mids", "one_side", "excludes_null"},
    "publication_bias": {"pattern_not_benefit"},
}


def words(code: str) -> str:
    """A code in words (never an underscore in a footnote)."""
    return code.replace("_", " ")


def study_name(kb: KnowledgeBase, sid: str) -> str:
    """'Younger 2013': the first author's surname of the study's first publication and its year
    (as recorded), else the study's label."""
    study = kb.study_index.get(sid)
    if study is None:
        return words(sid)
    pub = kb.publication_index.get(study.publications[0]) if study.publications else None
    if pub is not None and pub.authors and (study.year or pub.year):
        return f"{pub.authors[0].split()[0]} {study.year or pub.year}"
    return study.label


def _names(kb: KnowledgeBase, sids: Sequence[str]) -> str:
    names = [study_name(kb, s) for s in sids]
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _unit(body: OutcomeBody, sid: str) -> BodyUnit | None:
    return next((u for u in body.units if u.studies == (sid,)), None)


def _n(kb: KnowledgeBase, body: OutcomeBody, sid: str) -> str:
    unit = _unit(body, sid)
    n = unit.participants if unit is not None and unit.participants else kb.study_index[sid].n
    return f"{n} participants" if n else "participants not reported"


def _pct(share: float | None) -> str:
    return "an unknown share" if share is None else f"{share:.0%}"


def _concern(body: OutcomeBody, sid: str) -> str:
    """Why one study is at serious risk of bias, in words."""
    unit = _unit(body, sid)
    if unit is None:
        return "at serious risk of bias"
    risk = unit.risk
    if risk.detail.startswith("no concurrent comparison"):
        return "no concurrent comparison group"
    if risk.serious_domains:  # some concerns made serious by these domains (judged so, or not assessed)
        judged = dict((d, j) for d, j, _ in risk.domains)
        parts = [
            f"{ROB_DOMAINS.get(d, words(d))} not assessed"
            if judged.get(d) == "not_assessed"
            else f"some concerns about {ROB_DOMAINS.get(d, words(d))}"
            for d in risk.serious_domains
        ]
        other = [ROB_DOMAINS.get(d, words(d)) for d, j in judged.items() if j == "some_concerns"]
        other = [o for o in other if o not in {ROB_DOMAINS.get(d, words(d)) for d in risk.serious_domains}]
        also = f" (also some concerns about {' and '.join(other)}, not serious for this outcome alone)"
        return " and ".join(parts) + (also if other else "")
    if risk.domains:
        worst = [ROB_DOMAINS.get(d, words(d)) for d, j, _ in risk.domains if j == risk.level]
        lead = ROB_LEVELS.get(risk.level, words(risk.level))
        return f"{lead} {' and '.join(worst)}" if worst else words(risk.level)
    flags = [detail for _, _, detail in risk.multipliers]
    return "; ".join(flags) if flags else words(risk.level)


def _risk_of_bias(kb: KnowledgeBase, body: OutcomeBody, d: Downgrade) -> str:
    listed = "; ".join(f"{study_name(kb, s)} ({_n(kb, body, s)}): {_concern(body, s)}" for s in d.studies)
    if d.levels:
        lead = (
            "all of the information comes from studies at serious risk of bias"
            if d.share is not None and d.share >= 0.999
            else f"studies at serious risk of bias provide {_pct(d.share)} of the information"
        )
        text = f"{lead} ({listed})"
        if "differ" in d.extra:
            text += "; studies at serious and at low risk of bias give different results"
        return text
    return (
        f"studies at serious risk of bias provide only {_pct(d.share)} of the information, "
        f"below the {_pct(d.threshold)} that would lower the rating ({listed})"
    )


def _with_n(kb: KnowledgeBase, body: OutcomeBody, sids: Sequence[str]) -> str:
    """'Younger 2009 (n 10) and Bruun 2024 (n 99)': each study with its participants as recorded."""
    shown = []
    for sid in sids:
        unit = _unit(body, sid)
        n = unit.participants if unit is not None and unit.participants else kb.study_index[sid].n
        shown.append(f"{study_name(kb, sid)} (n {n})" if n else study_name(kb, sid))
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _inconsistency(kb: KnowledgeBase, body: OutcomeBody, d: Downgrade) -> str:
    i2 = f"I² = {d.i2:.0f}%" if d.i2 is not None else "I² not recorded"
    t = body.synthesis.sign_test
    if d.reason == "both_ways" and t is not None:
        return (
            f"studies disagree: {_with_n(kb, body, t.favours_ldn)} favour LDN, "
            f"{_with_n(kb, body, t.favours_comparator)} the comparator"
        )
    if d.reason == "both_ways":
        return "some studies favour LDN and others favour the comparator"
    if d.reason == "review_i2_high":
        return f"the review reports considerable heterogeneity between its studies ({i2})"
    if d.reason == "review_i2_low":
        return f"the review reports no considerable heterogeneity between its studies ({i2})"
    parts = []
    if "sides_of_mid" in d.extra:
        parts.append("their point estimates lie on both sides of the minimal important difference")
    if "sides_of_null" in d.extra:
        parts.append("some point estimates favour LDN and others the comparator")
    if "no_overlap" in d.extra and d.studies:
        parts.append(f"the confidence intervals of {_names(kb, d.studies)} do not overlap")
    if d.levels:
        return f"the results of the studies vary more than chance would explain ({i2}); " + (
            "; ".join(parts) or "the variation is unexplained"
        )
    if parts:
        return f"{i2}; " + "; ".join(parts) + ", but not enough to lower the rating"
    lead = f"although {i2}, " if d.i2 is not None and d.i2 >= 50 else f"{i2}, and "
    if d.mid is not None:
        return (
            f"{lead}the studies' confidence intervals overlap and no two point estimates fall on opposite "
            "sides of the minimal important difference"
        )
    return f"{lead}the studies' confidence intervals overlap and every point estimate favours the same arm"


def _indirectness(kb: KnowledgeBase, body: OutcomeBody, d: Downgrade, profile: Profile) -> str:
    kinds = [INDIRECT_KINDS.get(x[5:], words(x[5:])) for x in d.extra if x.startswith("kind:")]
    about = f" ({', '.join(kinds)})" if kinds else ""
    parts = []
    codes = (d.reason, *d.extra)
    if "surrogate" in codes:
        what = profile.surrogate_outcomes.get(body.outcome or "", "")
        parts.append(f"the outcome is a surrogate for what patients experience ({what})")
    if "review_indirect" in codes:
        parts.append("the review the conclusion rests on answers a different question")
    if "indirect_share" in codes or d.reason == "minor_share":
        who = f": {_names(kb, d.studies)}" if d.studies else ""
        parts.append(f"{_pct(d.share)} of the information comes from studies that are indirect{about}{who}")
    return "; ".join(parts) or "the studies answer the question asked"


def _ci(body: OutcomeBody, ci: tuple[float, float]) -> str:
    interval = body.synthesis.interval
    if interval is not None and interval.measure in RATIO_MEASURES:
        return f"{ci[0]:.2f} to {ci[1]:.2f}"

    def side(x: float) -> str:
        return "no difference" if x == 0 else f"{abs(x):.2f} {'lower' if x < 0 else 'higher'}"

    return f"{side(ci[0])} to {side(ci[1])}"


CI_WORDS = {
    "within_mids": "excludes an important effect either way",
    "one_mid": "includes both an important effect and no important effect",
    "both_mids": "includes both an important benefit and an important harm",
    "one_side": "lies wholly on one side of the minimal important difference",
    "crosses_null": "crosses the line of no effect (no minimal important difference is declared for this "
    "measure)",
    "excludes_null": "does not cross the line of no effect (no minimal important difference is declared "
    "for this measure)",
}


def _imprecision(body: OutcomeBody, d: Downgrade) -> str:
    parts = []
    reassuring = d.reason in ("within_mids", "one_side", "excludes_null")
    if d.reason in CI_WORDS and d.ci is not None:
        parts.append(f"the 95% CI ({_ci(body, d.ci)}) {CI_WORDS[d.reason]}")
    elif "swim" in d.extra or d.reason == "sample_size":
        parts.append("there is no effect estimate, so imprecision is judged from the number of participants")
        reassuring = True
    n, ois = d.participants, int(d.threshold) if d.threshold is not None else None
    ois_text = ""
    if "ois_below" in d.extra:
        ois_text = f"the {n} participants fall short of the optimal information size of {ois}"
    elif "ois_far_below" in d.extra:
        ois_text = f"the {n} participants, fewer than {ois}, are far short of the optimal information size"
    elif "ois_met" in d.extra and n is not None:
        ois_text = f"the {n} participants meet the optimal information size of {ois}"
    if "ois_unknown" in d.extra:
        ois_text = (
            "the review does not state how many participants it pooled, so whether the optimal "
            "information size is met could not be checked"
        )
    if ois_text:
        joiner = ", but " if reassuring and "ois_met" not in d.extra else "; "
        parts = [joiner.join([*parts, ois_text])] if parts else [ois_text]
    if "uncertain_ci" in d.extra:
        parts.append("extremely serious: the interval allows opposite conclusions")
    elif "uncertain_direction" in d.extra:
        parts.append("extremely serious: the direction of the effect is not established")
    return "; ".join(parts) or "judged from the number of participants"


def _publication_bias(kb: KnowledgeBase, body: OutcomeBody, d: Downgrade, profile: Profile) -> str:
    parts = []
    if d.reason == "missing":
        who = _names(kb, d.studies) if d.studies else "some studies"
        verb = "reports" if len(d.studies) == 1 else "report"
        parts.append(
            f"results are missing: {who} {verb} no usable estimate, so the estimate holds "
            f"{_pct(d.share)} of the participants of the studies of its design"
        )
    codes = d.extra
    named = {
        "small_positive": "every study favouring LDN is small, while larger studies found no benefit",
        "one_group": "every study favouring LDN comes from one research group, while independent studies "
        "found no benefit",
        "unpublished": "registered trials of LDN for this condition have no published results",
    }
    for code in codes:
        if code in named:
            parts.append(named[code])
    late = [code.split(":", 1)[1] for code in codes if code.startswith("overdue_trial:")]
    if late:
        months = profile.publication_bias.registry_overdue_months
        parts.append(
            f"registered trials completed more than {months} months before their registry record was "
            f"checked have posted no results and have no publication ({', '.join(late)})"
        )
    text = "; ".join(parts) or "suspected"
    positive = [u.studies[0] for u in body.units if u.role == "study" and u.side == "benefit"]
    if d.studies and d.reason != "missing":
        text += f" (favouring LDN: {_with_n(kb, body, positive)}; " if positive else " ("
        text += f"finding no benefit: {_with_n(kb, body, d.studies)})"
    if d.reason == "pattern_not_benefit":
        return f"{text}; this pattern matters only for a conclusion of benefit, which this is not"
    return text


def domain_note(kb: KnowledgeBase, body: OutcomeBody, d: Downgrade, profile: Profile) -> str | None:
    """One footnote for one domain judgement: downgraded, or considered and not downgraded (None
    when there is nothing a reader needs told)."""
    if d.levels == 0 and d.reason not in CONSIDERED.get(d.domain, set()):
        return None
    what = DOMAIN_WORDS.get(d.domain, words(d.domain))
    if d.domain == "risk_of_bias":
        why = _risk_of_bias(kb, body, d)
    elif d.domain == "inconsistency":
        why = _inconsistency(kb, body, d)
    elif d.domain == "indirectness":
        why = _indirectness(kb, body, d, profile)
    elif d.domain == "imprecision":
        why = _imprecision(body, d)
    else:
        why = _publication_bias(kb, body, d, profile)
    lead = (
        f"Downgraded {levels_in_words(d.levels)} for {what}" if d.levels else (f"Not downgraded for {what}")
    )
    return f"{lead}: {why}."


def sign_test_note(t: SignTest) -> str:
    """The synthesis without meta-analysis, in words."""
    clear = len(t.favours_ldn) + len(t.favours_comparator)
    if clear == 0:
        found = "no study reports a clear direction of effect"
    else:
        found = f"{len(t.favours_ldn)} of {clear} studies with a clear direction of effect favour LDN"
        if t.p_value is not None:
            found += f" (sign test p = {t.p_value:.2g})"
    verb = "is" if len(t.unclear) == 1 else "are"
    unclear = f"; {len(t.unclear)} with an unclear direction {verb} left out" if t.unclear else ""
    return (
        "Synthesis without meta-analysis (no effect estimate), counting the studies by the direction "
        f"of their effect: {found}{unclear}. This says nothing about the size of the effect."
    )


def review_note(kb: KnowledgeBase, body: OutcomeBody, est: ReviewEstimate, shown: str) -> str:
    """A review's own pooled result shown beside the body (never pooled again), in words."""
    role = next((r for r in body.reviews if r.review == est.review), None)
    alone = {
        "benefit": "favour LDN",
        "harm": "favour the comparator",
        "little_or_no_effect": "show little or no important difference",
        "uncertain": "leave the effect uncertain",
    }.get(est.conclusion, words(est.conclusion))
    pooled = (
        f"it pooled {role.pooled_n} participants"
        if role is not None and role.pooled_n
        else "it does not state how many participants it pooled"
    )
    if role is not None and role.covers:
        overlap = f"it includes or may include {_names(kb, role.covers)} from this table"
    else:
        overlap = "none of the studies in this table is among those it includes"
    if est.used:
        use = "the conclusion in this row rests on it"
    elif est.flag:
        use = f"not used: {words(est.flag)}"
    else:
        use = "shown for comparison; the conclusion rests on the studies in this row"
    return (
        f"{est.label} reports its own pooled result, {shown}; alone it would {alone}; {pooled}; "
        f"{overlap}; {use}."
    )


def minority_note(kb: KnowledgeBase, body: OutcomeBody, profile: Profile) -> str | None:
    """Which estimate the conclusion rests on when the studies' own estimate holds few of the
    participants a review pooled (evidence model rule 3), in words."""
    syn = body.synthesis
    if syn.minority_of is None:
        return None
    review, own_n, pooled_n = syn.minority_of
    label = next((r.label for r in body.reviews if r.review == review and r.label), study_name(kb, review))
    rule = profile.synthesis.minority_rule
    rests = "that review's pooled result" if rule == "review" else "the studies' own estimate"
    return (
        f"Which estimate: the studies' own estimate holds {own_n} participants, fewer than "
        f"{profile.synthesis.minority_share:.0%} of the {pooled_n} that {label} pooled; the conclusion "
        f"rests on {rests}, as the evidence profile's rule for this case says (ldngraph diff shows the "
        "other choice)."
    )


def start_note(kb: KnowledgeBase, body: OutcomeBody) -> str | None:
    """Why the rating starts below high, as GRADE asks of every rating below high (None: from high).
    Read from what set the start in the engine: the review the conclusion rests on (its recorded
    start and best design), else the body's units at the start level (a within-group change of a
    trial is weighed as a before/after comparison)."""
    if body.start is Certainty.high:
        return None
    level, syn = body.start.value.replace("_", " "), body.synthesis
    role = next((r for r in body.reviews if r.review == syn.review), None) if syn.basis == "review" else None
    if role is not None:
        name = study_name(kb, role.review)
        lead = f"Rated from {level}: the conclusion rests on the pooled result of {name}"
        if role.design is None:
            return f"{lead}, and the designs of the studies it pooled are not recorded here."
        return f"{lead}, whose strongest included design is {design_label(role.design)}."
    units = [u for u in body.units if u.role == "study" and u.start is body.start]
    if not units:
        return None
    unit, sid = units[0], units[0].studies[0]
    own = kb.study_index[sid].design if sid in kb.study_index else unit.design
    if unit.design is Design.pre_post and own is not Design.pre_post:
        return (
            f"Rated from {level}: the strongest evidence for this outcome is a before/after change "
            f"within a group of {study_name(kb, sid)}, with no concurrent control."
        )
    return f"Rated from {level}: the strongest design for this outcome is {design_label(unit.design)}."


def note_mark(number: int) -> str:
    """A footnote's mark, lettered as GRADEpro letters them (a ... z, aa, ab ...), so that footnotes
    never share a mark with the numbered references below the table."""
    mark = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        mark = chr(ord("a") + rest) + mark
    return mark


def note_marks(numbers: Sequence[int], around: str = "") -> str:
    """A row's footnote marks, as "a,c" (``around="[]"``: "[a,c]"; no footnotes: "")."""
    marks = ",".join(note_mark(n) for n in numbers)
    return f"{around[:1]}{marks}{around[1:]}" if marks else ""


__all__ = [
    "domain_note",
    "minority_note",
    "note_mark",
    "note_marks",
    "review_note",
    "sign_test_note",
    "start_note",
    "study_name",
    "words",
]
