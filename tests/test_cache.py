"""The PubMed database (ldngraph/ingest/cache.py, ingest/database.py): round trips, the one-time
migration of an old cache directory, batches that survive a kill, and files that are never trusted."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from ldngraph.cli import cli
from ldngraph.errors import PubMedError
from ldngraph.ingest.cache import CACHE_FORMAT, PubMedCache, migrate_directory
from ldngraph.ingest.database import APPLICATION_ID
from ldngraph.ingest.pubmed import CommentCorrection, MeshHeading, PublicationType, PubMedRecord

REPO = Path(__file__).resolve().parent.parent


def _record(n: int, *, title_chars: int = 0) -> PubMedRecord:
    """An obviously invented record (PMIDs 90000000+, titles saying Fixture)."""
    return PubMedRecord(
        pmid=str(90_000_000 + n),
        title=f"Fixture record {n} é ✓" + "x" * title_chars,
        journal="J Test Fixtures",
        year=2000 + n % 25,
        doi=f"10.5555/fixture.{n}",
        authors=(f"Fixture {n % 7}", "Collective Fixture Group"),
        publication_types=(PublicationType(name="Journal Article", ui="D016428"),),
        mesh_headings=(MeshHeading(descriptor="Naltrexone", ui="D009271", major=n % 2 == 0),),
        comments_corrections=(CommentCorrection(ref_type="ErratumIn", pmid=str(91_000_000 + n)),)
        if n % 5 == 0
        else (),
    )


def test_round_trip_and_reading_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    cache = PubMedCache(path)
    assert cache.get("111") is None and cache.pmids() == set() and len(cache) == 0
    assert not path.exists()  # reading a database that is not there creates nothing
    record = PubMedRecord(pmid="111", title="A fixture", year=2020)
    cache.put(record, source="test")
    assert cache.get("111") == record and cache.get("222") is None
    assert cache.missing(["222", "111", "222"]) == ["222"]
    cache.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert list(PubMedCache(path).records()) == [record]


def test_batches_are_transactions(tmp_path: Path) -> None:
    cache = PubMedCache(tmp_path / "c.sqlite")
    records = [_record(n) for n in range(25)]
    assert cache.put_many(records, source="test", batch=10) == 25
    assert [r.pmid for r in cache.records()] == [r.pmid for r in records]
    assert cache.remove([records[0].pmid, "1"]) == 1 and len(cache) == 24


def _write_old_cache(directory: Path, records: list[PubMedRecord]) -> None:
    """The layout of ldngraph's old cache: ``<pmid>.json`` = {format, source, record}."""
    directory.mkdir()
    for record in records:
        payload = {"format": CACHE_FORMAT, "source": "efetch", "record": record.model_dump(mode="json")}
        (directory / f"{record.pmid}.json").write_text(json.dumps(payload, indent=1, ensure_ascii=False))


def test_migration_keeps_every_record(tmp_path: Path) -> None:
    records = [_record(n) for n in range(1, 601)]
    old = tmp_path / "pubmed"
    _write_old_cache(old, records)
    (old / ".90000001.json.tmp").write_text("half a file")  # an interrupted write of the old cache
    before = {p.name: p.read_bytes() for p in old.iterdir()}
    cache = PubMedCache(tmp_path / "pubmed.sqlite")
    assert len(cache) == 600  # the first open moved them in
    assert list(cache.records()) == records  # every field of every record
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before  # the directory is left alone
    cache.remove([records[0].pmid])
    cache.close()
    # once: a later open reads the database only
    with PubMedCache(tmp_path / "pubmed.sqlite") as again:
        assert len(again) == 599
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pubmed", "pubmed.sqlite"]


def test_migration_through_the_cli_default_location(
    mini_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write_old_cache(mini_copy / "pubmed", [_record(1), _record(2)])
    result = CliRunner().invoke(cli, ["verify-citations", "--data", str(mini_copy), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert f"moved 2 records from {mini_copy / 'pubmed'} into {mini_copy / 'pubmed.sqlite'}" in caplog.text
    assert PubMedCache(mini_copy / "pubmed.sqlite").pmids() == {"90000001", "90000002"}


def test_migration_of_a_damaged_file_writes_nothing(tmp_path: Path) -> None:
    old = tmp_path / "pubmed"
    _write_old_cache(old, [_record(1)])
    (old / "111.json").write_bytes(b'{"format": 1, "record": {"pmid": "111", "title": "caf\xe9"}}')
    with pytest.raises(PubMedError) as err:
        PubMedCache(tmp_path / "pubmed.sqlite").pmids()
    assert str(err.value) == (
        f"{old / '111.json'}: not a valid cached PubMed record (not UTF-8 at byte 53); "
        "delete it and fetch again"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pubmed"]  # no database, no temporary file
    (old / "111.json").unlink()
    assert migrate_directory(old, tmp_path / "pubmed.sqlite") == 1


def test_a_directory_given_as_the_cache_says_what_to_do(tmp_path: Path) -> None:
    _write_old_cache(tmp_path / "old", [_record(1)])
    result = CliRunner().invoke(cli, ["verify-citations", "--cache", str(tmp_path / "old")])
    assert result.exit_code == 1
    assert f"pass --cache {tmp_path / 'old'}.sqlite" in str(result.exception)


# -- files that are never trusted (issue 27 F7) ---------------------------------------------------


def _sqlite(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


def _good_db(path: Path, n: int = 300) -> None:
    with PubMedCache(path) as cache:
        cache.put_many([_record(i, title_chars=200) for i in range(n)], source="test")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _garbage(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is a zip file, not a database" * 100)


def _truncated(path: Path) -> None:
    _good_db(path)
    path.write_bytes(path.read_bytes()[:5000])


def _foreign(path: Path) -> None:
    _sqlite(path, "CREATE TABLE pubmed (pmid TEXT, record TEXT)", "INSERT INTO pubmed VALUES ('1', '{}')")


def _newer(path: Path) -> None:
    _good_db(path)
    _sqlite(path, "PRAGMA user_version = 99")


def _trigger(path: Path) -> None:
    _good_db(path)
    _sqlite(path, "CREATE TRIGGER t AFTER INSERT ON pubmed BEGIN DELETE FROM pubmed; END")


def _damaged_page(path: Path) -> None:
    _good_db(path)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[3 * page : 3 * page + 200] = b"\xa5" * 200  # a b-tree page overwritten in the middle of the file
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (_fifo, "not a regular file (a FIFO, device or socket)"),
        (_dev_zero, "not a regular file (a FIFO, device or socket)"),
        (_garbage, "not a SQLite database (no SQLite header)"),
        (_truncated, "damaged SQLite database (5000 bytes is not a whole number of 4096-byte pages)"),
        (_foreign, "is a SQLite database, but not ldngraph's PubMed database (application_id)"),
        (_newer, "written by a newer ldngraph (schema 99, this one knows 1); upgrade ldngraph"),
        (_trigger, "holds trigger t, which ldngraph never writes; it is not trusted"),
        (_damaged_page, "damaged SQLite database (quick_check: "),
    ],
    ids=["fifo", "dev-zero", "garbage", "truncated", "foreign", "newer", "trigger", "damaged-page"],
)
def test_a_bad_database_file_is_one_line_and_never_trusted(
    tmp_path: Path, make: object, problem: str
) -> None:
    path = tmp_path / "pubmed.sqlite"
    make(path)  # type: ignore[operator]
    for action in (lambda c: c.pmids(), lambda c: c.put(_record(1), source="test")):
        with pytest.raises(PubMedError) as err:
            action(PubMedCache(path))
        message = str(err.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert problem in message
    # the CLI: exit 1, one line, no traceback
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ldngraph.cli import main; main()",
            "verify-citations",
            "--cache",
            str(path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and problem in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("stored", "problem"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
        ('{"pmid": "90000001", "title": ' + "[" * 50 + "]" * 50 + "}", "JSON nested more than 20 levels"),
        ('{"pmid": "90000001", "title": "x \\ud800 y"}', "a lone surrogate"),
        ('{"pmid": "90000001", "year": "soon"}', "year: Input should be a valid integer"),
        ('{"pmid": "90000002"}', "the stored record says PMID 90000002"),
        ("{not json", "Expecting property name"),
    ],
    ids=["deep", "nested", "surrogate", "bad-field", "wrong-pmid", "not-json"],
)
def test_a_bad_stored_record_is_one_line(tmp_path: Path, stored: str, problem: str) -> None:
    path = tmp_path / "pubmed.sqlite"
    _good_db(path, 1)
    _sqlite(path, f"UPDATE pubmed SET pmid = '90000001', record = '{stored}'")
    with pytest.raises(PubMedError) as err:
        PubMedCache(path).get("90000001")
    message = str(err.value)
    assert message.startswith(f"{path}: PMID 90000001: ") and "\n" not in message
    assert problem in message and message.endswith("(ldngraph fetch 90000001)")


# -- a kill during a batch -------------------------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_cache import _record
    from ldngraph.ingest.cache import PubMedCache

    path, when = sys.argv[1], sys.argv[2]
    cache = PubMedCache(path)
    cache.put_many([_record(n) for n in range(200)], source="first")
    print("first", flush=True)

    def second():
        for n in range(1000, 4000):
            if when == "mid" and n == 2500:
                print("mid", flush=True)  # half of the batch is inside the open transaction
                time.sleep(120)
            yield _record(n, title_chars=2000)

    cache.put_many(second(), source="second", batch=3000)
    print("done", flush=True)
    time.sleep(120)
    """
)


@pytest.mark.parametrize("when", ["mid", "done"])
def test_a_kill_leaves_a_batch_all_there_or_absent(tmp_path: Path, when: str) -> None:
    path = tmp_path / "pubmed.sqlite"
    wal = Path(f"{path}-wal")
    script = _CHILD.format(tests=str(Path(__file__).parent))
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(path), when], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "first"
        wal_after_first = wal.stat().st_size
        assert proc.stdout.readline().strip() == when
        if when == "mid":
            # the open transaction has spilled pages into the WAL: recovery must drop them
            assert wal.stat().st_size > wal_after_first
        proc.kill()  # SIGKILL: no cleanup, no rollback
    finally:
        proc.kill()
        proc.wait(30)
    first = {str(90_000_000 + n) for n in range(200)}
    second = {str(90_000_000 + n) for n in range(1000, 4000)}
    cache = PubMedCache(path)
    assert cache.pmids() == (first if when == "mid" else first | second)
    assert cache.get("90000199") == _record(199)
    if when == "done":
        assert cache.get("90003999") == _record(3999, title_chars=2000)
