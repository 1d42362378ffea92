"""Errors raised by the ldngraph library.

Every error names the bad value and says how to fix it; the CLI prints ``str(error)`` as one line
and exits with status 1.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: C0 and C1 control characters (newline, ESC, CSI, NUL ...), DEL, Unicode bidirectional controls
#: (they reorder what a terminal shows, "Trojan Source") and the line/paragraph separators: never
#: printed raw on a terminal (issue 27 F16).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\n``, ``\\x1b``, ``\\u202e``): one
    line, and no terminal escape sequence or bidi override from record text reaches the terminal."""
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class LdnGraphError(Exception):
    """Base class of every error the library raises on purpose."""


class DataError(LdnGraphError):
    """Curated data (YAML) is malformed or inconsistent.

    Holds every problem found in one pass; ``str()`` gives the first line and a count, ``problems``
    the full list, each ``FILE:LINE: RECORD: FIELD: message``.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(self._summary())

    def _summary(self) -> str:
        if len(self.problems) == 1:
            return self.problems[0]
        return f"{len(self.problems)} problems in the data:\n" + "\n".join(self.problems)


class DraftError(LdnGraphError):
    """A draft (data/drafts/) is incomplete, collides with data/, or cannot be written or accepted."""


class ProfileError(LdnGraphError):
    """The evidence profile is malformed."""


class SynthesisError(LdnGraphError):
    """An evidence synthesis cannot be done as asked (e.g. a pool would take one study twice)."""


class UnknownEntityError(LdnGraphError):
    """A name or CURIE given by the user matches no entity, claim or query."""


class QueryError(LdnGraphError):
    """A SPARQL query or its parameters are invalid."""


class ExportError(LdnGraphError):
    """Output could not be written."""


class PubMedError(LdnGraphError):
    """PubMed XML/MEDLINE input is malformed, or E-utilities failed for good."""


class StoreError(LdnGraphError):
    """A graph store (Oxigraph, SPARQL endpoint) failed or is misconfigured."""


class NumberError(LdnGraphError):
    """A number is not finite, or a computation on it would leave the range of a float."""


class ValidationFailed(LdnGraphError):
    """The graph does not conform to the SHACL shapes."""
