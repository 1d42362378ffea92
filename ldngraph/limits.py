"""Resource limits: input size, nesting depth, HTTP time and size, query time.

Each limit has a default and an environment variable to override it (README "Resource limits");
an input past a limit ends in one error line that names the limit and its variable.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
        if not value > 0 or not math.isfinite(value):  # inf and 1e400 once crashed int() (F19)
            raise LdnGraphError(f"{self.env}={raw!r}: give a positive finite number ({self.what})")
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
#: Seconds the swap step of a push to a SPARQL endpoint may take (the one request that replaces the
#: target graph; socket timeout and total). Longer than the 71 s an Oxigraph MOVE of 0.9 M triples
#: took (README), and than nginx's default 60 s proxy_read_timeout.
SWAP_SECONDS = Limit("LDNGRAPH_SWAP_TIMEOUT", 600, "seconds for the swap step of a push")
#: Seconds of one SPARQL query on any store.
QUERY_SECONDS = Limit("LDNGRAPH_QUERY_TIMEOUT", 120, "seconds per SPARQL query")
#: Bytes of one PubMed record: its XML or MEDLINE text, or its cached JSON file.
RECORD_BYTES = Limit("LDNGRAPH_MAX_RECORD_BYTES", 16 * MIB, "bytes of one PubMed record")
#: XML elements or MEDLINE lines of one PubMed record (a record of 3,000 authors has ~30,000).
RECORD_ELEMENTS = Limit("LDNGRAPH_MAX_RECORD_ELEMENTS", 100_000, "elements or lines of one PubMed record")
#: Records in one PubMed XML or MEDLINE file, or one E-utilities reply (baseline files hold 30,000).
RECORDS = Limit("LDNGRAPH_MAX_RECORDS", 50_000, "records in one PubMed file or reply")
#: Characters of one label (study, condition, outcome, scale) drawn in a figure; longer ones are cut.
LABEL_CHARS = Limit("LDNGRAPH_MAX_LABEL_CHARS", 100, "characters of one label in a figure")
#: Pixels of one figure at its resolution (150 dpi; SVG and PDF measured the same way).
FIGURE_PIXELS = Limit("LDNGRAPH_MAX_FIGURE_PIXELS", 40_000_000, "pixels of one figure")


class LimitError(LdnGraphError):
    """An input went past a resource limit."""


NOT_REGULAR = "not a regular file (a FIFO, device or socket)"


def open_regular(path: Path, shown: str | None = None, *, fix: str = "give a file") -> BinaryIO:
    """``path`` opened for reading if it is a regular file (a symlink to one is fine); a FIFO,
    device or socket is refused before anything is read from it (reading one could block forever
    or never end). The check is made on the open descriptor (``O_NONBLOCK``, so opening a FIFO
    does not wait for a writer), so the file cannot be swapped in between. Raises
    :class:`LimitError` or ``OSError``."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):  # as open() says of a directory
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if not stat.S_ISREG(mode):
            raise LimitError(f"{shown or path}: {NOT_REGULAR}; {fix}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_capped(path: Path, limit: Limit, shown: str | None = None, *, fix: str = "give a file") -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_regular`), at most ``limit``."""
    shown = shown or str(path)
    cap = limit.as_int()
    with open_regular(path, shown, fix=fix) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > cap:
            raise LimitError(f"{shown}: {size} bytes is more than the {limit.hint()}")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise LimitError(f"{shown}: more than the {limit.hint()}")
    return data


def read_input_bytes(path: Path, shown: str | None = None) -> bytes:
    """The bytes of a regular file of at most :data:`INPUT_BYTES` (a FIFO or device is refused:
    reading one could block forever or never end). Raises :class:`LimitError` or ``OSError``."""
    return read_capped(path, INPUT_BYTES, shown)
