"""A content-addressed cache of the scored knowledge base (issue 24): cold commands without a rebuild.

Reading, validating and scoring data/ pools every outcome body with statsmodels (about two seconds
of imports and work); every command needs the result, and between two commands it seldom changes.
:func:`load` and :func:`store` keep it, as JSON, under the per-user cache directory
(:func:`ldngraph.locations.get_user_cache_dir` ``/builds``), one file per **key**: the SHA-256 of

* every ``*.yaml``/``*.yml`` file under the data directory (path and bytes), the profile file's
  bytes and the ``--exclude`` rules;
* the query files (``./queries`` or the shipped ones) and every source file of the package (path
  and bytes), with the package and Python versions;
* the size, modification time and inode of the PubMed database beside the data (``pubmed.sqlite``,
  its write-ahead log and an old ``pubmed/`` folder): citation checks read it, and it is too large
  to hash on every command;
* the size, modification time and location of the installed numerical libraries (numpy, scipy,
  statsmodels, pydantic): a new version may pool differently.

Any change to any of these gives a new key, so an edit of one byte in data/ is seen at once.

Trust: an entry is JSON validated by the pydantic models (never pickle: nothing in it runs code);
it is used only when the file and its folder belong to the current user and nobody else may write
them, and when its recorded key equals the key it was looked up by. A corrupt, foreign or stale
file is ignored with one log line and the knowledge base is rebuilt (and the entry rewritten).
Entries are written atomically (temporary file, then rename) with mode 0600; the newest
:data:`KEEP` entries are kept. ``ldngraph --no-cache`` or ``LDNGRAPH_NO_CACHE=1`` bypasses the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Sequence
from contextlib import suppress
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ldngraph.evidence.claims import ScoreReport
    from ldngraph.model import KnowledgeBase

logger = logging.getLogger(__name__)

#: Layout of an entry; a file of another format is ignored.
FORMAT = 1
#: Environment variable that turns the cache off (any non-empty value but ``0``).
ENV_NO_CACHE = "LDNGRAPH_NO_CACHE"
#: Entries kept (the newest); older ones are removed when a new one is written.
KEEP = 16
#: Libraries whose version changes a result (their installed files are part of the key).
LIBRARIES = ("numpy", "scipy", "statsmodels", "pydantic", "pydantic_core")
PACKAGE = Path(__file__).resolve().parent

_disabled = False


def set_disabled(disabled: bool) -> None:
    """Turn the cache off (``ldngraph --no-cache``) or back on for this process."""
    global _disabled
    _disabled = disabled


def is_enabled() -> bool:
    """Whether :func:`load` and :func:`store` use the cache (see :data:`ENV_NO_CACHE`)."""
    return not _disabled and os.environ.get(ENV_NO_CACHE, "") in {"", "0"}


def get_cache_dir() -> Path:
    """``<user cache>/builds`` (``$XDG_CACHE_HOME/ldngraph/builds`` on Linux)."""
    from ldngraph.locations import get_user_cache_dir

    return get_user_cache_dir() / "builds"


def _feed_files(digest: Any, root: Path, paths: Iterable[Path], tag: str) -> None:
    for path in sorted(paths):
        digest.update(f"{tag} {path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")


def _feed_stat(digest: Any, path: Path) -> None:
    try:
        st = path.stat()
    except OSError:
        digest.update(f"absent {path}\0".encode())
        return
    digest.update(f"stat {path} {st.st_size} {st.st_mtime_ns} {st.st_ino}\0".encode())


def _data_files(directory: Path) -> list[Path]:
    return [
        p
        for p in directory.rglob("*")
        if p.suffix in {".yaml", ".yml"}
        and p.is_file()
        and not any(part.startswith(".") for part in p.parts[-2:])
    ]


def get_key(
    data_dir: Path, profile: Path, exclude: Sequence[str] = (), *, queries: Path | None = None
) -> str:
    """The cache key of a scored knowledge base (see the module docstring for what goes in it)."""
    from ldngraph.errors import LdnGraphError
    from ldngraph.ingest.dbpath import get_cache_path, get_legacy_dir
    from ldngraph.locations import get_queries_dir

    digest = hashlib.sha256(f"ldngraph build cache {FORMAT} {sys.version}\0".encode())
    directory = data_dir.resolve()
    _feed_files(digest, directory, _data_files(directory), "data")
    digest.update(f"profile {profile.resolve()}\0".encode())
    digest.update(profile.read_bytes() + b"\0")
    digest.update(("exclude " + "\t".join(sorted(exclude)) + "\0").encode())
    try:
        query_dir = (queries or get_queries_dir()).resolve()
    except LdnGraphError:  # no queries anywhere: the command that needs one says so
        query_dir = Path("/nonexistent")
    if query_dir.is_dir():
        _feed_files(digest, query_dir, query_dir.glob("*.rq"), "query")
    _feed_files(digest, PACKAGE, PACKAGE.rglob("*.py"), "source")
    database = get_cache_path(directory)
    for path in (database, database.with_name(database.name + "-wal"), get_legacy_dir(database)):
        if path is not None:
            _feed_stat(digest, path)
    for name in LIBRARIES:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            digest.update(f"library {name} absent\0".encode())
        else:
            _feed_stat(digest, Path(spec.origin))
    return digest.hexdigest()


def _is_private(st: os.stat_result) -> bool:
    """Owned by this user and writable by nobody else."""
    return st.st_uid == os.getuid() and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _why_untrusted(path: Path) -> str | None:
    for item in (path.parent, path):
        st = item.lstat()
        if stat.S_ISLNK(st.st_mode):
            return f"{item} is a symbolic link"
        if not _is_private(st):
            return f"{item} belongs to another user or others may write it"
    return None


class Entry:
    """A scored knowledge base read from the cache, with its graph as N-Triples."""

    def __init__(self, key: str, kb: KnowledgeBase, scores: ScoreReport, ntriples: str) -> None:
        self.key, self.kb, self.scores, self.ntriples = key, kb, scores, ntriples


def load(key: str) -> Entry | None:
    """The entry stored under ``key``, or None (absent, disabled, or ignored with a log line)."""
    if not is_enabled():
        return None
    path = get_cache_dir() / f"{key}.json"
    try:
        why = _why_untrusted(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("build cache: ignoring %s: %s", path, exc.strerror)
        return None
    if why:
        logger.warning("build cache: ignoring %s: %s", path, why)
        return None
    from pydantic import ValidationError

    from ldngraph.evidence.claims import ScoreReport
    from ldngraph.model import KnowledgeBase

    try:
        raw = json.loads(path.read_bytes())
        if not isinstance(raw, dict) or raw.get("format") != FORMAT or raw.get("key") != key:
            raise ValueError("not an entry of this format and key")
        ntriples = raw.get("graph")
        if not isinstance(ntriples, str):
            raise ValueError("'graph' is not N-Triples text")
        entry = Entry(
            key, KnowledgeBase.model_validate(raw["kb"]), ScoreReport.model_validate(raw["scores"]), ntriples
        )
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        logger.warning("build cache: ignoring %s (rebuilding): %s", path, first)
        return None
    logger.info("build cache: using %s", path)
    return entry


def store(key: str, kb: KnowledgeBase, scores: ScoreReport, ntriples: str) -> Path | None:
    """Write the entry of ``key`` atomically (mode 0600): the knowledge base, its scores and its
    graph as N-Triples; returns its path, or None when the cache is off or its folder cannot be
    used (logged, never an error: the cache only saves time)."""
    if not is_enabled():
        return None
    directory = get_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = directory.lstat()
        if stat.S_ISLNK(st.st_mode) or not _is_private(st):
            logger.warning("build cache: not writing to %s: not a private folder of this user", directory)
            return None
        body = {
            "format": FORMAT,
            "key": key,
            "graph": ntriples,
            "kb": kb.model_dump(mode="json"),
            "scores": scores.model_dump(mode="json"),
        }
        text = json.dumps(body, separators=(",", ":"), allow_nan=False)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            target = directory / f"{key}.json"
            os.replace(tmp, target)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
    except (OSError, ValueError) as exc:
        logger.warning("build cache: not written: %s", exc)
        return None
    _prune(directory)
    logger.info("build cache: wrote %s", target)
    return target


def is_validated(key: str) -> bool:
    """Whether the graph of entry ``key`` passed the SHACL shapes (:func:`set_validated`): the
    shapes are package files, part of the key, so the verdict holds for as long as the entry does."""
    if not is_enabled():
        return False
    path = get_cache_dir() / f"{key}.shacl"
    try:
        if _why_untrusted(path):
            return False
        return path.read_text(encoding="ascii").strip() == key
    except (OSError, UnicodeDecodeError):
        return False


def set_validated(key: str) -> None:
    """Record that the graph of entry ``key`` passed the SHACL shapes (an empty verdict file)."""
    directory = get_cache_dir()
    if not is_enabled() or not (directory / f"{key}.json").is_file():
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        os.replace(tmp, directory / f"{key}.shacl")
    except OSError as exc:
        logger.warning("build cache: SHACL verdict not written: %s", exc)


def _prune(directory: Path) -> None:
    with suppress(OSError):
        entries = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            with suppress(OSError):
                old.unlink()
            with suppress(OSError):
                old.with_suffix(".shacl").unlink()
