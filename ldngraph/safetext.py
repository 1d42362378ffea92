"""Text that leaves ldngraph: JSON numbers, spreadsheet cells and terminal lines made safe.

One helper per kind of output, used by every writer of that kind (issue 27):

- :func:`to_json`: ``json.dumps`` that refuses NaN and infinity (``allow_nan=False``) instead of
  writing the bare ``NaN`` no JSON reader accepts (F3);
- :func:`spreadsheet_cell`: a CSV/TSV cell that a spreadsheet cannot run as a formula (F5, after
  OWASP's "CSV Injection" advice): a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return gets a leading apostrophe, which spreadsheets show as text; a plain number
  (``-0.34``) is left as it is;
- :func:`cell_text`: one CSV or TSV cell: the same, and a tab, newline or other control character
  inside it written as an escape (``\\t``, ``\\n``), so record text cannot forge a column or a row
  nor reach a terminal as an escape sequence (F16); every CSV and TSV writer uses it;
- :func:`terminal_text` / :func:`terminal_lines`: text for a terminal with control characters
  (ESC, CSI, ``\\r``) and Unicode bidirectional controls shown as escapes (F16;
  :func:`ldngraph.errors.printable`), keeping the line breaks of a multi-line block.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ldngraph.errors import NumberError, printable

__all__ = ["FORMULA_STARTS", "cell_text", "spreadsheet_cell", "terminal_lines", "terminal_text", "to_json"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_json(obj: Any, **kwargs: Any) -> str:
    """``json.dumps(obj, allow_nan=False, **kwargs)``; a NaN or infinite number anywhere in ``obj``
    raises :class:`NumberError` instead of writing ``NaN`` (nothing is written)."""
    try:
        return json.dumps(obj, allow_nan=False, **kwargs)
    except ValueError as exc:
        raise NumberError(f"an output number is not finite ({exc}); nothing was written") from None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text)) and text.strip() == text
    except ValueError:
        return False


def spreadsheet_cell(value: object) -> object:
    """``value`` as a CSV/TSV cell no spreadsheet runs as a formula: a string starting with one of
    :data:`FORMULA_STARTS` (other than a plain number) gets a leading ``'``. Numbers, ``None`` and
    other strings are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def cell_text(value: object) -> str:
    """``value`` as one CSV or TSV cell: formula starts neutralised, and tabs, newlines and other
    control characters written as escapes, so a cell never spans two columns or rows. ``None`` is
    the empty cell; numbers are written as ``str`` writes them."""
    if value is None:
        return ""
    cell = spreadsheet_cell(value)
    return terminal_text(cell if isinstance(cell, str) else str(cell))


def terminal_text(text: str) -> str:
    """``text`` with C0/C1 control characters (ESC, CSI, ``\\r``, ``\\n``, tab) and Unicode
    bidirectional controls shown as escapes: what a terminal shows is what the record holds."""
    return printable(text)


def terminal_lines(text: str) -> str:
    """:func:`terminal_text` of each line of ``text`` (its ``\\n`` line breaks kept)."""
    return "\n".join(printable(line) for line in text.split("\n"))
