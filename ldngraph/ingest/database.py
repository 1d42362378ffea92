"""The embedded literature database: one SQLite file (standard library ``sqlite3``, WAL journal).

It holds the PubMed records (:mod:`ldngraph.ingest.cache`), the trial-registry records and the
history of saved searches (:mod:`ldngraph.ingest.watch`). One file is what researchers share
instead of a directory of JSON files: it is written in transactions (a killed run leaves every
transaction all there or absent), and it is read by several commands at once (WAL).

A database file is never trusted blindly: a cloned repository or a shared folder can hold a FIFO, a
symlink to a device, a truncated or damaged file, or somebody else's SQLite file under the expected
name (issue 27 F7). :func:`open_database` therefore checks, before any row is read, that the path is
a regular file of a whole number of pages with the SQLite header, that it is ldngraph's database
(``PRAGMA application_id``) of a schema version this code knows, that it holds only the expected
tables (no triggers or views), and that ``PRAGMA quick_check`` finds it intact. Anything else is one
:class:`~ldngraph.errors.PubMedError` line naming the file and the fix.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from ldngraph.errors import PubMedError

#: ``PRAGMA application_id`` of an ldngraph database: the bytes 'LDNG'.
APPLICATION_ID = 0x4C444E47
#: ``PRAGMA user_version``: bumped when a table changes (older files are upgraded in place).
SCHEMA_VERSION = 1
_MAGIC = b"SQLite format 3\x00"

_TABLES = {
    "pubmed": """CREATE TABLE pubmed (
        pmid TEXT PRIMARY KEY NOT NULL CHECK (pmid GLOB '[0-9]*' AND pmid NOT GLOB '*[^0-9]*'),
        format INTEGER NOT NULL,   -- layout of the record JSON (cache.CACHE_FORMAT)
        source TEXT NOT NULL,      -- efetch, file:NAME, migrated:DIR
        stored TEXT NOT NULL,      -- UTC time written, ISO 8601
        record TEXT NOT NULL       -- PubMedRecord as JSON
    ) WITHOUT ROWID""",
    "registry": """CREATE TABLE registry (
        nct_id TEXT PRIMARY KEY NOT NULL,
        format INTEGER NOT NULL,
        status TEXT,               -- overallStatus, e.g. RECRUITING, COMPLETED
        has_results INTEGER NOT NULL,
        last_update TEXT,          -- lastUpdatePostDate, YYYY-MM-DD
        stored TEXT NOT NULL,
        record TEXT NOT NULL       -- RegistryRecord as JSON
    ) WITHOUT ROWID""",
    "registry_change": """CREATE TABLE registry_change (
        id INTEGER PRIMARY KEY,
        nct_id TEXT NOT NULL,
        seen TEXT NOT NULL,        -- UTC time watch saw the change
        kind TEXT NOT NULL,        -- status, results, completion
        old TEXT,
        new TEXT
    )""",
    "search_run": """CREATE TABLE search_run (
        id INTEGER PRIMARY KEY,
        search TEXT NOT NULL,      -- id of the saved search in data/screening.yaml
        source TEXT NOT NULL,      -- pubmed or clinicaltrials.gov
        ran TEXT NOT NULL,         -- UTC time of the run
        mindate TEXT,
        maxdate TEXT,
        hits INTEGER NOT NULL,     -- what the source reported
        kept INTEGER NOT NULL,     -- what was fetched (hits, or the cap)
        new TEXT NOT NULL          -- JSON list of the record ids that were new
    )""",
}


def _fail(path: Path, problem: str, fix: str = "delete it, or pass --cache with another file") -> PubMedError:
    return PubMedError(f"{path}: {problem}; {fix}")


def check_database_file(path: Path) -> bool:
    """True if ``path`` is a regular file that starts like a SQLite database, False if it does not
    exist or is empty; raise :class:`PubMedError` for anything else (a directory, FIFO, device,
    a file of the wrong size or header). The header is read from the open descriptor after
    ``fstat`` (``O_NONBLOCK``: opening a FIFO does not wait), so nothing can be swapped in between."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return False
    except IsADirectoryError:
        raise _fail(path, "is a directory, not the PubMed database file") from None
    except OSError as exc:
        raise _fail(path, f"cannot open ({exc.strerror or exc})", "fix its permissions") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise _fail(path, "is a directory, not the PubMed database file")
        if not stat.S_ISREG(st.st_mode):
            raise _fail(path, "not a regular file (a FIFO, device or socket)")
        if st.st_size == 0:
            return False
        header = os.pread(fd, 100, 0)
    finally:
        os.close(fd)
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise _fail(path, "not a SQLite database (no SQLite header)")
    page = int.from_bytes(header[16:18], "big")
    page = 65536 if page == 1 else page
    if page < 512 or page & (page - 1) or st.st_size % page:
        raise _fail(
            path,
            f"damaged SQLite database ({st.st_size} bytes is not a whole number of {page}-byte pages)",
            "delete it and fetch again, or copy the shared file again",
        )
    return True


def _connect(path: Path, *, write: bool) -> sqlite3.Connection:
    # Readers open read-write when they may (nothing is written unless asked): the last connection
    # to close then checkpoints the WAL and removes the -wal and -shm files, so the shared file
    # stands alone; a read-only connection would leave both behind.
    mode = "rwc" if write else ("rw" if os.access(path, os.W_OK) else "ro")
    conn = sqlite3.connect(
        f"file:{quote(str(path.resolve()))}?mode={mode}",
        uri=True,
        timeout=30.0,
        isolation_level=None,  # transactions are explicit: BEGIN IMMEDIATE ... COMMIT
        check_same_thread=False,
    )
    # Functions in a foreign schema's views or triggers never run; page sizes are checked on read.
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.execute("PRAGMA cell_size_check = ON")
    return conn


def _check_schema(conn: sqlite3.Connection, path: Path) -> bool:
    """True if the database is ldngraph's; False if it is a fresh, empty SQLite file."""
    app = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    objects = conn.execute("SELECT type, name FROM sqlite_master").fetchall()
    if app == 0 and version == 0 and not objects:
        return False
    if app != APPLICATION_ID:
        raise _fail(path, "is a SQLite database, but not ldngraph's PubMed database (application_id)")
    if version > SCHEMA_VERSION:
        raise _fail(
            path,
            f"written by a newer ldngraph (schema {version}, this one knows {SCHEMA_VERSION})",
            "upgrade ldngraph",
        )
    unexpected = [
        f"{kind} {name}"
        for kind, name in objects
        if not (kind == "table" and name in _TABLES)
        and not (kind == "index" and str(name).startswith("sqlite_autoindex_"))
    ]
    if unexpected:
        raise _fail(path, f"holds {unexpected[0]}, which ldngraph never writes; it is not trusted")
    check = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
    if check != "ok":
        raise _fail(
            path,
            f"damaged SQLite database (quick_check: {str(check).splitlines()[0][:120]})",
            "delete it and fetch again, or copy the shared file again",
        )
    return True


def _create_tables(conn: sqlite3.Connection) -> None:
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name, ddl in _TABLES.items():
            if name not in present:
                conn.execute(ddl)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def open_database(path: Path, *, write: bool) -> sqlite3.Connection | None:
    """A checked connection to the database at ``path`` (see the module docstring).

    Reading (``write=False``) a file that does not exist or is empty returns None and creates
    nothing. Writing creates the file and its tables, and turns on WAL.
    """
    exists = check_database_file(path)
    if not exists and not write:
        return None
    try:
        conn = _connect(path, write=write)
    except sqlite3.Error as exc:
        raise _fail(path, f"cannot open the database ({exc})", "fix its permissions") from None
    try:
        with sqlite_errors(path):
            ours = _check_schema(conn, path)
            if write:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                if not ours or current < SCHEMA_VERSION:
                    _create_tables(conn)
            elif not ours:
                conn.close()
                return None
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """Turn a SQLite error (corrupt page, locked, not a database) into one :class:`PubMedError` line."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "locked" in text or "busy" in text:
            raise _fail(path, f"busy ({text})", "another ldngraph command is writing it; try again") from None
        if isinstance(exc, sqlite3.OperationalError) and "readonly" in text.replace(" ", ""):
            raise _fail(path, f"cannot write ({text})", "fix its permissions") from None
        raise _fail(
            path,
            f"not a readable ldngraph database ({text})",
            "delete it and fetch again, or copy the shared file again",
        ) from None


@contextmanager
def transaction(conn: sqlite3.Connection, path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction: everything inside is committed together, or nothing is."""
    with sqlite_errors(path):
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
