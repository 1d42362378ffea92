"""Where the shipped data and queries live, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ldngraph.errors import DataError, LdnGraphError, QueryError

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(
    checkout_name: str, package_name: str, env_var: str, error: Callable[[str], LdnGraphError]
) -> Path:
    override = os.environ.get(env_var)
    if override:
        if not Path(override).is_dir():
            raise error(
                f"{env_var}={override}: no such directory; point {env_var} at a {checkout_name} "
                "directory, or unset it to use the shipped one"
            )
        return Path(override)
    # A source checkout (or editable install) keeps data/ and queries/ beside the package.
    checkout = _PACKAGE_DIR.parent / checkout_name
    if checkout.is_dir():
        return checkout
    # A wheel carries copies inside the package (see pyproject.toml, package-dir).
    return _PACKAGE_DIR / package_name.rsplit(".", 1)[1]


def get_data_dir() -> Path:
    """The curated data directory (``LDNGRAPH_DATA`` overrides it)."""
    return _locate("data", "ldngraph._data", "LDNGRAPH_DATA", lambda message: DataError([message]))


def is_packaged_data_dir(path: Path | str) -> bool:
    """True if ``path`` is the copy of data/ inside the installed package (read-only in a wheel)."""
    packaged = _PACKAGE_DIR / "_data"
    try:
        return Path(path).resolve() == packaged.resolve()
    except OSError:
        return False


def get_user_cache_dir() -> Path:
    """The per-user cache root, by platformdirs: on Linux ``$XDG_CACHE_HOME/ldngraph`` (a relative
    value is ignored, as the XDG spec says), else ``~/.cache/ldngraph``; the platform's own
    cache folder on macOS and Windows."""
    import platformdirs

    return platformdirs.user_cache_path("ldngraph")


def get_queries_dir() -> Path:
    """The directory of named SPARQL queries (``LDNGRAPH_QUERIES`` overrides it)."""
    return _locate("queries", "ldngraph._queries", "LDNGRAPH_QUERIES", QueryError)


def get_resource(name: str) -> Path:
    """A file shipped inside the package (SHACL shapes, templates)."""
    return _PACKAGE_DIR / "resources" / name
