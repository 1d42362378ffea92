"""Resource limits: input size, nesting depth, HTTP time and size, query time.

Each limit has a default and an environment variable to override it (README "Resource limits");
an input past a limit ends in one error line that names the limit and its variable.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ldngraph.errors import LdnGraphError


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, default and what it bounds (for messages)."""

    env: str
    default: float
    what: str

    def get(self) -> float:
        raw = os.environ.get(self.env)
        if raw is None or not raw.strip():
            return self.default
        try:
            value = float(raw)
        except ValueError:
            raise LdnGraphError(f"{self.env}={raw!r}: give a number ({self.what})") from None
        if not value > 0:
            raise LdnGraphError(f"{self.env}={raw!r}: give a positive number ({self.what})")
        return value

    def as_int(self) -> int:
        return int(self.get())

    def hint(self) -> str:
        value = self.get()
        shown = str(int(value)) if value == int(value) else str(value)
        return f"limit {self.env}={shown}; raise it if the input is genuine"


MIB = 1024 * 1024
#: Curated YAML, the profile, query files and RDF files given to ``validate``.
INPUT_BYTES = Limit("LDNGRAPH_MAX_INPUT_BYTES", 64 * MIB, "bytes of one YAML, query or RDF file")
#: Decompressed bytes of one PubMed XML or MEDLINE file (baseline files are ~0.2 GB uncompressed).
PUBMED_BYTES = Limit("LDNGRAPH_MAX_PUBMED_BYTES", 2048 * MIB, "decompressed bytes of one PubMed file")
#: One MEDLINE line (a title or an abstract line).
LINE_BYTES = Limit("LDNGRAPH_MAX_LINE_BYTES", 1 * MIB, "characters of one MEDLINE line")
#: Nesting of YAML and JSON-LD input.
DEPTH = Limit("LDNGRAPH_MAX_DEPTH", 100, "levels of nesting in YAML or JSON-LD")
#: Wall-clock seconds of one HTTP request (E-utilities, SPARQL endpoints), slow drip included.
HTTP_SECONDS = Limit("LDNGRAPH_HTTP_MAX_SECONDS", 300, "seconds per HTTP request")
#: Bytes of one HTTP reply body.
HTTP_BYTES = Limit("LDNGRAPH_HTTP_MAX_BYTES", 512 * MIB, "bytes of one HTTP reply")
#: Seconds of one SPARQL query on any store.
QUERY_SECONDS = Limit("LDNGRAPH_QUERY_TIMEOUT", 120, "seconds per SPARQL query")
#: Characters of one label (study, condition, outcome, scale) drawn in a figure; longer ones are cut.
LABEL_CHARS = Limit("LDNGRAPH_MAX_LABEL_CHARS", 100, "characters of one label in a figure")
#: Pixels of one figure at its resolution (150 dpi; SVG and PDF measured the same way).
FIGURE_PIXELS = Limit("LDNGRAPH_MAX_FIGURE_PIXELS", 40_000_000, "pixels of one figure")


class LimitError(LdnGraphError):
    """An input went past a resource limit."""


def read_input_bytes(path: Path, shown: str | None = None) -> bytes:
    """The bytes of a regular file of at most :data:`INPUT_BYTES` (a FIFO or device is refused:
    reading one could block forever or never end). Raises :class:`LimitError` or ``OSError``."""
    shown = shown or str(path)
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise LimitError(f"{shown}: not a regular file (a FIFO, device or socket); give a file")
    cap = INPUT_BYTES.as_int()
    if st.st_size > cap:
        raise LimitError(f"{shown}: {st.st_size} bytes is more than the {INPUT_BYTES.hint()}")
    with path.open("rb") as handle:
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise LimitError(f"{shown}: more than the {INPUT_BYTES.hint()}")
    return data
