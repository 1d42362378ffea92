"""Where the shipped data and queries live, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ldngraph.errors import DataError, LdnGraphError, QueryError

_PACKAGE_DIR = Path(__file__).resolve().parent


#: A directory in the working directory is taken for ldngraph's own only if it holds this file.
_MARKERS = {"data": "claims.yaml", "queries": "*.rq"}


def _is_own(directory: Path, checkout_name: str) -> bool:
    marker = _MARKERS[checkout_name]
    return directory.is_dir() and any(directory.glob(marker))


def _locate(
    checkout_name: str, package_name: str, env_var: str, error: Callable[[str], LdnGraphError]
) -> Path:
    """The directory and why it was chosen, in this order of precedence:

    1. ``$LDNGRAPH_DATA`` / ``$LDNGRAPH_QUERIES``;
    2. ``./data`` / ``./queries`` in the working directory (a checkout, where a researcher edits
       the data), when it holds ldngraph files (``claims.yaml``, ``*.rq``): so editing data/ in a
       checkout shows on the next command even under a non-editable ``pip install .``;
    3. data/ and queries/ beside the package (a source checkout or an editable install);
    4. the copies inside an installed wheel.
    """
    override = os.environ.get(env_var)
    if override:
        if not Path(override).is_dir():
            raise error(
                f"{env_var}={override}: no such directory; point {env_var} at a {checkout_name} "
                "directory, or unset it to use the shipped one"
            )
        return Path(override)
    here = Path.cwd() / checkout_name
    if _is_own(here, checkout_name):
        return here
    checkout = _PACKAGE_DIR.parent / checkout_name
    if checkout.is_dir():
        return checkout
    # A wheel carries copies inside the package (see pyproject.toml, package-dir).
    return _PACKAGE_DIR / package_name.rsplit(".", 1)[1]


def get_data_dir() -> Path:
    """The curated data directory: ``$LDNGRAPH_DATA``, else ./data, else the shipped data."""
    return _locate("data", "ldngraph._data", "LDNGRAPH_DATA", lambda message: DataError([message]))


def get_shipped_data_dir() -> Path:
    """The data/ that ships with this ldngraph (beside the package, or inside a wheel), whatever
    ``$LDNGRAPH_DATA`` or the working directory say."""
    checkout = _PACKAGE_DIR.parent / "data"
    return checkout if checkout.is_dir() else _PACKAGE_DIR / "_data"


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
    """The named SPARQL queries: ``$LDNGRAPH_QUERIES``, else ./queries, else the shipped ones."""
    return _locate("queries", "ldngraph._queries", "LDNGRAPH_QUERIES", QueryError)


def get_resource(name: str) -> Path:
    """A file shipped inside the package (SHACL shapes, templates)."""
    return _PACKAGE_DIR / "resources" / name
