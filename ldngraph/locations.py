"""Where the shipped data and queries live, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(checkout_name: str, package_name: str, env_var: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        return Path(override)
    # A source checkout (or editable install) keeps data/ and queries/ beside the package.
    checkout = _PACKAGE_DIR.parent / checkout_name
    if checkout.is_dir():
        return checkout
    # A wheel carries copies inside the package (see pyproject.toml, package-dir).
    return _PACKAGE_DIR / package_name.rsplit(".", 1)[1]


def get_data_dir() -> Path:
    """The curated data directory (``LDNGRAPH_DATA`` overrides it)."""
    return _locate("data", "ldngraph._data", "LDNGRAPH_DATA")


def get_queries_dir() -> Path:
    """The directory of named SPARQL queries (``LDNGRAPH_QUERIES`` overrides it)."""
    return _locate("queries", "ldngraph._queries", "LDNGRAPH_QUERIES")


def get_resource(name: str) -> Path:
    """A file shipped inside the package (SHACL shapes, templates)."""
    return _PACKAGE_DIR / "resources" / name
