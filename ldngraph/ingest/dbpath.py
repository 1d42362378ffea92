"""Where the PubMed database lives (issue 24): path rules only, no SQLite, no parser, so the build
cache's key (:mod:`ldngraph.buildcache`) can name the file without importing the database code.
:mod:`ldngraph.ingest.cache` re-exports these names."""

from __future__ import annotations

from pathlib import Path

from ldngraph.locations import get_data_dir, get_user_cache_dir, is_packaged_data_dir

#: The database's file name in the data directory (or the user cache directory).
CACHE_FILE = "pubmed.sqlite"


def _cache_root(data_dir: Path | str | None) -> Path:
    directory = Path(data_dir if data_dir is not None else get_data_dir())
    # The copy of data/ inside an installed wheel is read-only (site-packages, lost on upgrade).
    return get_user_cache_dir() if is_packaged_data_dir(directory) else directory


def get_cache_path(data_dir: Path | str | None = None) -> Path:
    """Default database file: ``<data>/pubmed.sqlite`` beside the curated YAML.

    When the data directory is the copy packaged inside an installed wheel (no source checkout, no
    ``LDNGRAPH_DATA``), the file is the per-user ``$XDG_CACHE_HOME/ldngraph/pubmed.sqlite``
    (default ``~/.cache/ldngraph/pubmed.sqlite``) instead, for writes and for the build's reads alike.
    """
    return _cache_root(data_dir) / CACHE_FILE


def get_cache_dir(data_dir: Path | str | None = None) -> Path:
    """Where the old cache directory (one JSON file per PMID) lived: ``<data>/pubmed``."""
    return _cache_root(data_dir) / "pubmed"


def get_legacy_dir(path: Path) -> Path | None:
    """The old cache directory that ``path`` replaces: ``X.sqlite`` replaces ``X/``."""
    return path.with_suffix("") if path.suffix == ".sqlite" else None


__all__ = ["CACHE_FILE", "get_cache_dir", "get_cache_path", "get_legacy_dir"]
