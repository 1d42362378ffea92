"""The one colour palette of every figure and page (issue 23): colour-blind safe, one meaning per colour.

Hues come from Okabe & Ito (2008), the palette Nature Methods recommends for colour-vision
deficiencies, plus two sequential ramps (ColorBrewer Purples for certainty; robvis's colour-blind
ramp for risk of bias). Each colour below has one meaning wherever it appears; no figure uses red
against green. ``tests/test_palette.py`` checks that no colour is given two meanings. Light greys
(at or above #D0D0D0) are backgrounds and bands, never a category.

| meaning | colour |
|---|---|
| evidence for the claim (supports; the claim holds) | blue #0072B2 |
| evidence against it (refutes; little or no effect) | vermillion #D55E00 |
| harm | reddish purple #CC79A7 |
| mixed direction, uncertain or conflicting | dark grey #6E6E6E |
| mechanistic support only: no human evidence (evidence model v3) | orange #E69F00 |
| certainty high / moderate / low / very low | purples, dark to pale |
| risk of bias low / some concerns (moderate) / high (serious) | pale yellow, orange, brown (+ symbols) |
| entity kinds (+ shapes): intervention, mechanism, outcome, condition | black, teal, sky blue, yellow |
| an estimate and its CI; text | black ink |
| not judged (unscored, not assessed); background | white |
"""

from __future__ import annotations

#: White: the background, and "not judged" (an unscored claim, a risk-of-bias domain not assessed).
NOT_JUDGED = "#FFFFFF"
#: Text, axes, study estimates and the pooled diamond.
INK = "#000000"
#: Backgrounds and bands (the MID band of a forest plot, grid lines): never a category.
BAND = "#E5E5E5"
GRID = "#EEEEEE"

#: What the evidence says about a claim: evidence map bubbles, viz and graph-figure edges.
VERDICT: dict[str, str] = {
    "supports": "#0072B2",
    "refutes": "#D55E00",
    "harm": "#CC79A7",
    "mixed": "#6E6E6E",
    "mechanistic": "#E69F00",
}
#: The viz's edge statuses map onto the verdict colours ("conflicting" is the mixed colour).
STATUS: dict[str, str] = {
    "supports": VERDICT["supports"],
    "refutes": VERDICT["refutes"],
    "harm": VERDICT["harm"],
    "conflicting": VERDICT["mixed"],
    "mechanistic": VERDICT["mechanistic"],
}

#: GRADE certainty, a sequential ramp (darker = more certain); unscored is white with an outline.
CERTAINTY: dict[str, str] = {
    "high": "#3F007D",
    "moderate": "#6A51A3",
    "low": "#9E9AC8",
    "very_low": "#DADAEB",
    "unscored": NOT_JUDGED,
}

#: Risk-of-bias judgements (robvis's colour-blind ramp, light to dark), each with robvis's symbol.
ROB: dict[str, str] = {
    "low": "#FED98E",
    "some_concerns": "#FE9929",
    "high": "#993404",
    "not_assessed": NOT_JUDGED,
}
ROB_SYMBOL: dict[str, str] = {"low": "+", "some_concerns": "-", "high": "×", "not_assessed": "?"}
#: Symbol colour on each fill (white on the dark brown).
ROB_SYMBOL_COLOUR: dict[str, str] = {
    "low": INK,
    "some_concerns": INK,
    "high": "#FFFFFF",
    "not_assessed": INK,
}

#: Entity kinds (nodes of the viz and of the graph figure; the shape carries the kind as well).
KIND: dict[str, str] = {
    "intervention": "#1A1A1A",
    "mechanism": "#009E73",
    "outcome": "#56B4E9",
    "condition": "#F0E442",
}


def get_meanings() -> dict[str, list[str]]:
    """Colour (upper-case hex) -> every meaning given to it, for the one-meaning check."""
    out: dict[str, list[str]] = {}
    groups = {"verdict": VERDICT, "certainty": CERTAINTY, "rob": ROB, "kind": KIND}
    for group, colours in groups.items():
        for name, colour in colours.items():
            if colour.upper() != NOT_JUDGED:
                out.setdefault(colour.upper(), []).append(f"{group}:{name}")
    out.setdefault(INK.upper(), []).append("ink")
    return out


__all__ = [
    "BAND",
    "CERTAINTY",
    "GRID",
    "INK",
    "KIND",
    "NOT_JUDGED",
    "ROB",
    "ROB_SYMBOL",
    "ROB_SYMBOL_COLOUR",
    "STATUS",
    "VERDICT",
    "get_meanings",
]
