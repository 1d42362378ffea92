"""Exclusion rules as written (``--exclude``, profile ``exclude:``): parsing only.

Kept apart from :mod:`ldngraph.evidence.exclusions` (which applies them to a knowledge base) so the
profile can check its rules without importing the scorer. The rules are described there.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import Field

from ldngraph.model import SLUG_RE, ComparatorKind, Design
from ldngraph.model.terms import _Frozen

#: Keys a rule may have (``key=value``).
RULE_KEYS = ("rob", "design", "comparator")
_ROB_LEVELS = ("high", "some_concerns")
HINT = (
    "give a study id, rob=high, rob=some_concerns, design=DESIGN or comparator=placebo|active|usual_care|none"
)


class ExcludeRule(_Frozen):
    """One parsed exclusion rule."""

    key: str = Field(description="study / rob / design / comparator")
    value: str

    @property
    def text(self) -> str:
        return self.value if self.key == "study" else f"{self.key}={self.value}"


def parse_rule(text: str) -> ExcludeRule:
    """``text`` as a rule; raises ``ValueError`` with a one-line hint when it is not one."""
    text = text.strip()
    if "=" not in text:
        if not SLUG_RE.match(text):
            raise ValueError(f"exclude: '{text}' is neither a study id nor a rule; {HINT}")
        return ExcludeRule(key="study", value=text)
    key, _, value = (part.strip() for part in text.partition("="))
    if key not in RULE_KEYS:
        raise ValueError(f"exclude: unknown rule '{key}' in '{text}'; {HINT}")
    allowed: tuple[str, ...] = {
        "rob": _ROB_LEVELS,
        "design": tuple(d.value for d in Design),
        "comparator": tuple(c.value for c in ComparatorKind),
    }[key]
    if value not in allowed:
        raise ValueError(
            f"exclude: '{value}' is not a {key} value in '{text}'; use one of {', '.join(allowed)}"
        )
    return ExcludeRule(key=key, value=value)


def parse_rules(texts: Iterable[str]) -> tuple[ExcludeRule, ...]:
    """Every rule of ``texts`` (each may hold several, comma-separated), in order, each once."""
    rules: dict[str, ExcludeRule] = {}
    for text in texts:
        for part in text.split(","):
            if part.strip():
                rule = parse_rule(part)
                rules.setdefault(rule.text, rule)
    return tuple(rules.values())


__all__ = ["HINT", "RULE_KEYS", "ExcludeRule", "parse_rule", "parse_rules"]
