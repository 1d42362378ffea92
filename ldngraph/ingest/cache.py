"""The local PubMed cache: one SQLite file (``<data>/pubmed.sqlite``), written in transactions.

Records are stored in batches, one transaction per batch (an efetch reply; an imported set of files
is one transaction): a killed run leaves every batch either all there or absent, never half a batch; a rerun
asks E-utilities only for what is missing. The file is what researchers share instead of the old
``data/pubmed/`` directory of one JSON file per PMID; the first command that opens the database
moves the records of such a directory into it, once (:func:`migrate_directory`), and leaves the
directory as it was. How the file is checked before it is trusted: :mod:`ldngraph.ingest.database`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from types import TracebackType

from pydantic import ValidationError

from ldngraph.errors import PubMedError
from ldngraph.ingest.database import open_database, sqlite_errors, transaction
from ldngraph.ingest.dbpath import CACHE_FILE as CACHE_FILE  # re-exported: the path rules live there
from ldngraph.ingest.dbpath import get_cache_dir as get_cache_dir
from ldngraph.ingest.dbpath import get_cache_path as get_cache_path
from ldngraph.ingest.dbpath import get_legacy_dir
from ldngraph.ingest.medline import iter_pubmed_file
from ldngraph.ingest.pubmed import PubMedRecord
from ldngraph.limits import RECORD_BYTES
from ldngraph.model import PMID_RE

log = logging.getLogger(__name__)

#: Bumped when the record layout changes; records of another format are refetched.
CACHE_FORMAT = 1
#: Records per transaction when importing files.
BATCH = 2000
#: Nesting of one stored record's JSON (a PubMedRecord is 4 levels deep).
MAX_DEPTH = 20


def check_pmid(pmid: str) -> str:
    """Return ``pmid`` if it is digits only, else raise :class:`PubMedError`."""
    if not PMID_RE.match(pmid):
        raise PubMedError(f"PMID '{pmid}' must be digits only (e.g. 37804660)")
    return pmid


_SURROGATE = re.compile("[\ud800-\udfff]")


def _depth(value: object, limit: int) -> bool:
    """True if ``value`` nests no deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def decode_record(text: str) -> PubMedRecord:
    """A stored record's JSON back to a :class:`PubMedRecord`; raise ``ValueError`` saying what is wrong."""
    cap = RECORD_BYTES.as_int()  # a record of 3,000 authors is well under 1 MB
    if len(text) > cap:
        raise ValueError(f"{len(text)} characters, more than the {RECORD_BYTES.hint()}")
    try:
        payload = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    if not _depth(payload, MAX_DEPTH):
        raise ValueError(f"JSON nested more than {MAX_DEPTH} levels")
    # a lone surrogate arrives as a JSON escape, or already decoded when a legacy file is moved in
    if "\\ud" in text.lower() or _SURROGATE.search(text):  # (issue 27 F8)
        for item in _strings(payload):
            if any("\ud800" <= c <= "\udfff" for c in item):
                raise ValueError("a lone surrogate (\\ud800-\\udfff), which is not text")
    try:
        return PubMedRecord.model_validate(payload)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "record"
        raise ValueError(f"{field}: {str(err['msg']).removeprefix('Value error, ')}") from None


def _strings(value: object) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _encode(record: PubMedRecord) -> str:
    # pydantic's own serialiser: the same text as json.dumps(model_dump(mode="json"), compact,
    # ensure_ascii=False), at a third of the cost (issue 24)
    return record.model_dump_json()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: How a record is stored (a newer one replaces an older one of the same PMID).
INSERT_SQL = "INSERT OR REPLACE INTO pubmed (pmid, format, source, stored, record) VALUES (?, ?, ?, ?, ?)"


class PubMedCache:
    """PubMed records in the SQLite database at ``path``, keyed by PMID.

    Opened lazily: reading a database that does not exist yet finds nothing and creates nothing;
    the first write creates it. Use as a context manager (or call :meth:`close`) to release the file.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._writable = False

    def __repr__(self) -> str:
        return f"PubMedCache({str(self.path)!r})"

    def __enter__(self) -> PubMedCache:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:  # a safety net: commands close their cache (WAL files go with it)
        self.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _migrate_if_needed(self) -> None:
        if self.path.is_dir():
            raise PubMedError(
                f"{self.path}: is a directory (the old one-JSON-file-per-PMID cache); the PubMed cache "
                f"is now one SQLite file: pass --cache {self.path}.sqlite and its records are moved in once"
            )
        legacy = get_legacy_dir(self.path)
        old = legacy is not None and not self.path.exists() and legacy.is_dir()
        if old and legacy is not None and any(legacy.glob("*.json")):
            migrate_directory(legacy, self.path)

    def reader(self) -> sqlite3.Connection | None:
        if self._conn is None:
            self._migrate_if_needed()
            self._conn = open_database(self.path, write=False)
        return self._conn

    def writer(self) -> sqlite3.Connection:
        if self._conn is None or not self._writable:
            self.close()
            self._migrate_if_needed()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = open_database(self.path, write=True)
            self._writable = True
        assert self._conn is not None
        return self._conn

    def exists(self) -> bool:
        return self.reader() is not None

    def pmids(self) -> set[str]:
        """PMIDs with a record of the current format."""
        conn = self.reader()
        if conn is None:
            return set()
        with sqlite_errors(self.path):
            rows = conn.execute("SELECT pmid FROM pubmed WHERE format = ?", (CACHE_FORMAT,)).fetchall()
        return {row[0] for row in rows}

    def __contains__(self, pmid: object) -> bool:
        return isinstance(pmid, str) and PMID_RE.match(pmid) is not None and self._text(pmid) is not None

    def __len__(self) -> int:
        conn = self.reader()
        if conn is None:
            return 0
        with sqlite_errors(self.path):
            return int(
                conn.execute("SELECT count(*) FROM pubmed WHERE format = ?", (CACHE_FORMAT,)).fetchone()[0]
            )

    def missing(self, pmids: Iterable[str]) -> list[str]:
        """The given PMIDs that are not cached, in order, without repeats."""
        wanted = list(dict.fromkeys(pmids))
        conn = self.reader()
        if conn is None:
            return wanted
        have: set[str] = set()
        with sqlite_errors(self.path):
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                sql = f"SELECT pmid FROM pubmed WHERE format = ? AND pmid IN ({marks})"
                have.update(row[0] for row in conn.execute(sql, (CACHE_FORMAT, *chunk)))
        return [p for p in wanted if p not in have]

    def _text(self, pmid: str) -> str | None:
        conn = self.reader()
        if conn is None:
            return None
        with sqlite_errors(self.path):
            row = conn.execute(
                "SELECT record FROM pubmed WHERE pmid = ? AND format = ?", (check_pmid(pmid), CACHE_FORMAT)
            ).fetchone()
        return None if row is None else str(row[0])

    def get(self, pmid: str) -> PubMedRecord | None:
        """The cached record, or None; a damaged record is one :class:`PubMedError` line."""
        text = self._text(pmid)
        if text is None:
            return None
        try:
            record = decode_record(text)
        except ValueError as exc:
            raise PubMedError(
                f"{self.path}: PMID {pmid}: not a valid cached PubMed record ({exc}); "
                f"fetch it again (ldngraph fetch {pmid})"
            ) from None
        if record.pmid != pmid:
            raise PubMedError(
                f"{self.path}: PMID {pmid}: the stored record says PMID {record.pmid}; "
                f"fetch it again (ldngraph fetch {pmid})"
            )
        return record

    def put(self, record: PubMedRecord, *, source: str) -> None:
        """Write one record (replacing an older copy) in its own transaction."""
        self.put_many([record], source=source)

    def put_many(self, records: Iterable[PubMedRecord], *, source: str, batch: int = BATCH) -> int:
        """Write ``records``, ``batch`` per transaction; returns how many were written."""
        conn = self.writer()
        count = 0
        it = iter(records)
        sql = INSERT_SQL
        taken = batch
        while taken == batch:
            taken = 0

            def rows() -> Iterator[tuple[str, int, str, str, str]]:
                # lazy, so a batch is read inside its transaction (a kill mid-batch loses the batch)
                nonlocal taken
                for record in islice(it, batch):
                    taken += 1
                    yield record.pmid, CACHE_FORMAT, source, _now(), _encode(record)

            with transaction(conn, self.path):
                conn.executemany(sql, rows())
            count += taken
        return count

    def remove(self, pmids: Iterable[str]) -> int:
        """Delete the records of ``pmids`` (one transaction); returns how many there were."""
        conn = self.writer()
        wanted = [(check_pmid(p),) for p in pmids]
        with transaction(conn, self.path):
            before = conn.total_changes
            conn.executemany("DELETE FROM pubmed WHERE pmid = ?", wanted)
            return conn.total_changes - before

    def records(self) -> Iterator[PubMedRecord]:
        """Every cached record, by PMID."""
        for pmid in sorted(self.pmids(), key=int):
            record = self.get(pmid)
            if record is not None:
                yield record


# -- the old cache directory ---------------------------------------------------------------------


def _read_legacy_file(path: Path) -> PubMedRecord | None:
    """One ``<pmid>.json`` of the old cache; None for an older format (it was refetched then too)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise PubMedError(
            f"{path}: cannot read the cached record ({exc.strerror or exc}); "
            "fix its permissions, or delete it and fetch again"
        ) from None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        if not stat.S_ISREG(st.st_mode):
            problem = "not a regular file (a FIFO, device or socket)"
            raw = b""
        elif st.st_size > RECORD_BYTES.as_int():
            problem, raw = f"{st.st_size} bytes, more than the {RECORD_BYTES.hint()}", b""
        else:
            problem, raw = "", handle.read(RECORD_BYTES.as_int() + 1)
    if not problem:
        try:
            text = raw.decode("utf-8")
            payload = json.loads(text)
            if not isinstance(payload, dict):
                raise ValueError("not a JSON object")
            if payload.get("format") != CACHE_FORMAT:
                return None
            if "record" not in payload:
                raise KeyError("record")
            return decode_record(json.dumps(payload["record"], ensure_ascii=False))
        except UnicodeDecodeError as exc:  # before ValueError, its base class
            problem = f"not UTF-8 at byte {exc.start}"
        except RecursionError:
            problem = "JSON nested too deeply to read"
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = str(exc).splitlines()[0]
    raise PubMedError(f"{path}: not a valid cached PubMed record ({problem}); delete it and fetch again")


def migrate_directory(directory: Path, path: Path) -> int:
    """Move the records of an old cache directory (``<pmid>.json`` files) into a new database at
    ``path``; returns how many. Every file is read and checked first, so a damaged one raises
    :class:`PubMedError` naming it and nothing is written. The database is built in a temporary
    file beside ``path`` and linked into place only when complete (a killed migration leaves no
    database and is simply done again). The directory is left as it was."""
    files = sorted((p for p in directory.glob("*.json") if PMID_RE.match(p.stem)), key=lambda p: int(p.stem))
    records: list[PubMedRecord] = []
    for file in files:
        record = _read_legacy_file(file)
        if record is None:
            log.warning("%s: older cache format, not migrated (fetch it again)", file)
        elif record.pmid != file.stem:
            raise PubMedError(f"{file}: holds PMID {record.pmid}; delete it and fetch again")
        else:
            records.append(record)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".migrating", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with PubMedCache(tmp) as staging:
            staging.put_many(records, source=f"migrated:{directory.name}")
            conn = staging.writer()
            with sqlite_errors(tmp):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm"):
            Path(f"{tmp}{suffix}").unlink(missing_ok=True)
        try:
            os.link(tmp, path)  # never replaces a database another process made meanwhile
        except FileExistsError:
            log.warning("%s appeared while migrating %s; kept it", path, directory)
            return 0
        except OSError:
            os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    log.warning(
        "moved %d records from %s into %s; the directory is no longer read and can be deleted",
        len(records),
        directory,
        path,
    )
    return len(records)


def import_files(cache: PubMedCache, paths: Iterable[Path], *, progress: bool = False) -> dict[str, int]:
    """Merge the records of PubMed XML / MEDLINE files into ``cache``; returns counts per file.

    One pass and one transaction: records are parsed and written as they stream (``executemany``
    over a generator, no list of records in memory), and the transaction commits only after the last
    record of the last file. A malformed file (truncated, wrong root, missing PMID...) raises
    :class:`PubMedError` and rolls everything back, as does a kill (SQLite's journal): the cache is
    as it was, or holds every record of every file. (Before issue 24 each file was read twice: once
    to check it, once to write it.)
    """

    paths = list(paths)
    counts: dict[str, int] = {}
    created = not cache.path.exists()
    try:
        _import(cache, paths, counts, progress=progress)
    except BaseException:
        if created:  # a new database that a bad file rolled back is empty: leave no file behind
            cache.close()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{cache.path}{suffix}").unlink(missing_ok=True)
        raise
    return counts


def _import(cache: PubMedCache, paths: list[Path], counts: dict[str, int], *, progress: bool) -> None:
    from tqdm import tqdm

    conn = cache.writer()
    shown = progress and sys.stderr.isatty()  # a bar only on a terminal: it would start before an error
    with (
        tqdm(desc="import", unit="rec", disable=not shown, leave=False) as bar,
        transaction(conn, cache.path),
    ):
        for path in paths:
            source, count = f"file:{path.name}", 0

            def rows(path: Path = path, source: str = source) -> Iterator[tuple[str, int, str, str, str]]:
                nonlocal count
                for record in iter_pubmed_file(path):
                    count += 1
                    bar.update(1)
                    yield record.pmid, CACHE_FORMAT, source, _now(), _encode(record)

            conn.executemany(INSERT_SQL, rows())
            counts[str(path)] = count
