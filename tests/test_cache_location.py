"""Where the PubMed cache goes by default (audit defect 4).

In a source checkout the cache is ``data/pubmed`` beside the curated YAML. For an installed wheel the
data directory is the copy inside site-packages (``ldngraph/_data``); the cache must then go to the
per-user cache directory, both for writes (``import-pubmed``, ``fetch``) and for the build's reads.
The installed layout is simulated by pointing ``ldngraph.locations._PACKAGE_DIR`` at a fake
site-packages tree that has no ``data/`` beside it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal

from ldngraph import locations
from ldngraph.cli import cli
from ldngraph.ingest.cache import PubMedCache, get_cache_path
from ldngraph.pipeline import PROFILE_NAME, load
from ldngraph.rdf.vocab import LDN, publication_iri

REPO = Path(__file__).resolve().parent.parent
MINI = REPO / "tests" / "resources" / "mini"
RETRACTED_XML = REPO / "tests" / "resources" / "pubmed" / "retracted.xml"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake wheel install whose packaged data is the mini set (trial-b cites PMID 333); returns it."""
    package = tmp_path / "site-packages" / "ldngraph"
    data = package / "_data"
    shutil.copytree(MINI, data)
    shutil.copy(REPO / "data" / PROFILE_NAME, data / PROFILE_NAME)
    studies = data / "studies.yaml"
    text = studies.read_text(encoding="utf-8")
    old = "publications: [DOI:10.1000/fixture.2]"
    assert old in text
    studies.write_text(text.replace(old, "publications: [PMID:333]", 1), encoding="utf-8")
    monkeypatch.setattr(locations, "_PACKAGE_DIR", package)
    monkeypatch.delenv("LDNGRAPH_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)  # used outside a checkout: no ./data here
    assert locations.get_data_dir() == data
    return data


def test_a_checkout_data_dir_in_the_working_directory_wins_over_the_wheel(
    installed: Path, mini_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A researcher runs a wheel-installed ldngraph inside a checkout: ./data is what they edit."""
    monkeypatch.chdir(mini_copy.parent)
    assert locations.get_data_dir() == mini_copy
    (mini_copy / "claims.yaml").unlink()  # a data/ without claims.yaml is not ldngraph's
    assert locations.get_data_dir() == installed


def test_checkout_data_keeps_its_cache_beside_it(mini_copy: Path) -> None:
    assert get_cache_path(mini_copy) == mini_copy / "pubmed.sqlite"


def test_packaged_data_uses_the_xdg_cache(installed: Path, tmp_path: Path) -> None:
    assert get_cache_path() == tmp_path / "xdg" / "ldngraph" / "pubmed.sqlite"
    assert get_cache_path(installed) == tmp_path / "xdg" / "ldngraph" / "pubmed.sqlite"


def test_packaged_data_without_xdg_uses_home_cache(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert get_cache_path() == tmp_path / "home" / ".cache" / "ldngraph" / "pubmed.sqlite"


def test_ldngraph_data_override_keeps_its_own_cache(
    installed: Path, mini_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LDNGRAPH_DATA", str(mini_copy))
    assert get_cache_path() == mini_copy / "pubmed.sqlite"


def test_import_writes_user_cache_and_build_reads_it(installed: Path, tmp_path: Path) -> None:
    node = publication_iri("PMID:333")
    assert load().graph.value(node, LDN.retracted) == Literal(False)
    result = CliRunner().invoke(cli, ["import-pubmed", str(RETRACTED_XML)])
    assert result.exit_code == 0, result.output
    user_cache = tmp_path / "xdg" / "ldngraph" / "pubmed.sqlite"
    assert PubMedCache(user_cache).pmids() == {"333", "444"}
    assert not list(installed.glob("pubmed*"))  # nothing written into site-packages
    # the build (default data = the packaged copy) applies the user cache: PMID 333 is retracted
    assert load().graph.value(node, LDN.retracted) == Literal(True)
