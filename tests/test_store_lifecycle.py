"""The on-disk Oxigraph store's lifecycle (issue 27, F22).

- A push into a new PATH that fails (here: the disk fills up) leaves no PATH behind, not an empty
  store, and says what went wrong in one line.
- PATH as a mount point is refused before any work (the new store is built beside PATH and renamed
  over it, which cannot replace a mount point; it would also be built on the wrong disk).
- ``query`` and ``diff`` open a store read-only: they work on a read-only file system, and leave
  the directory exactly as it was.
- A push killed between its two renames (PATH moved aside, the new store not yet in its place)
  leaves the previous store in ``.NAME.old-*``; the next push puts it back first, so ``--append``
  adds to it instead of deleting the only copy.

Disk-full, mount-point and read-only cases run in a private mount namespace (``unshare --mount
--map-root-user``) with a small tmpfs; they are skipped where the kernel does not allow that.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

MINI = Path(__file__).parent / "resources" / "mini"
CLI = [sys.executable, "-c", "from ldngraph.cli import main; main()"]
LABELS = "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"


def _namespaces() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "--mount",
            "--map-root-user",
            "sh",
            "-c",
            "mount -t tmpfs none /mnt 2>/dev/null || mount -t tmpfs none /tmp",
        ],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not _namespaces(),
    reason="needs a private mount namespace (unshare --mount --map-root-user) for tmpfs mounts",
)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=180, cwd=cwd, check=False)


def in_namespace(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private mount namespace; ``$LDN`` runs the CLI."""
    environ = {**os.environ, "LDN": " ".join(f"'{a}'" for a in CLI), **env}
    return subprocess.run(
        ["unshare", "--mount", "--map-root-user", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        env=environ,
        check=False,
    )


def one_error_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]


def _lines(run: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """The ``=== key value`` lines a script echoed (return codes, directory listings)."""
    found = dict(re.findall(r"^=== (\S+) ?(.*)$", run.stdout, flags=re.M))
    assert found, (run.stdout, run.stderr)
    return found


@needs_namespaces
@pytest.mark.parametrize("size", ["150k", "250k"])
def test_push_into_a_new_store_on_a_full_disk_leaves_nothing(size: str, tmp_path: Path) -> None:
    """150k: the new store cannot even be created; 250k: its bulk load fails part-way (RocksDB
    files of pyoxigraph 0.5.13 for the mini graph: about 230k)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    run = in_namespace(
        f"mount -t tmpfs -o size={size} none '{mount}' && "
        f"eval $LDN push --data '{MINI}' --store 'oxigraph:{mount}/db'; echo \"=== rc $?\"; "
        f"echo \"=== left $(ls -A '{mount}')\""
    )
    found = _lines(run)
    assert found["rc"] == "1", run.stderr
    line = one_error_line(run.stderr)
    assert f"oxigraph:{mount}/db" in line and "No space left on device" in line, line
    assert line.endswith(f"nothing changed: {mount}/db was not created"), line
    assert found["left"] == "", "a partial store or staging directory was left behind"


@needs_namespaces
def test_push_to_a_mount_point_is_refused_before_any_work(tmp_path: Path) -> None:
    mount = tmp_path / "volume"
    mount.mkdir()
    run = in_namespace(
        f"mount -t tmpfs -o size=8m none '{mount}' && "
        f"eval $LDN push --data '{MINI}' --store 'oxigraph:{mount}'; echo \"=== rc $?\"; "
        f"echo \"=== inside $(ls -A '{mount}')\"; echo \"=== beside $(ls -A '{tmp_path}')\""
    )
    found = _lines(run)
    assert found["rc"] == "1", run.stderr
    line = one_error_line(run.stderr)
    assert f"{mount} is a mount point" in line and f"oxigraph:{mount}/ldn.db" in line, line
    assert found["inside"] == "" and found["beside"] == "volume"


@needs_namespaces
def test_query_and_diff_read_a_store_on_a_read_only_file_system(tmp_path: Path) -> None:
    root = tmp_path / "ro"  # mounted read-only; the outputs go beside it
    db = root / "db"
    assert cli("push", "--data", str(MINI), "--store", f"oxigraph:{db}").returncode == 0
    run = in_namespace(
        f"mount --bind '{root}' '{root}' && mount -o remount,bind,ro '{root}' && "
        f"eval $LDN query gaps --store 'oxigraph:{db}' --format json "
        f"> '{tmp_path}/rows.json' 2> '{tmp_path}/query.err'; "
        f'echo "=== query $?"; '
        f"eval $LDN diff 'oxigraph:{db}' '{MINI}' >/dev/null 2>&1; echo \"=== diff $?\"; "
        f"eval $LDN push --data '{MINI}' --store 'oxigraph:{db}'; echo \"=== push $?\""
    )
    found = _lines(run)
    rows = (tmp_path / "rows.json").read_text(encoding="utf-8")
    assert found["query"] == "0", (tmp_path / "query.err").read_text(encoding="utf-8")
    assert json.loads(rows), rows  # the gaps query's rows
    assert found["diff"] == "0", run.stderr
    assert found["push"] == "1", run.stderr
    line = one_error_line(run.stderr)
    assert "Read-only file system" in line and f"{db} keeps its previous content" in line, line


def _files(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(directory.iterdir())}


def test_query_leaves_the_store_directory_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "db"
    assert cli("push", "--data", str(MINI), "--store", f"oxigraph:{db}").returncode == 0
    before = _files(db)
    run = cli("query", "gaps", "--store", f"oxigraph:{db}")
    assert run.returncode == 0, run.stderr
    diff = cli("diff", f"oxigraph:{db}", str(MINI))
    assert diff.returncode == 0, diff.stderr
    assert _files(db) == before


_KILL_BETWEEN_RENAMES = """
import os, signal, sys
from pathlib import Path
target = Path(sys.argv[1]).resolve()
for name in ("rename", "replace"):
    real = getattr(os, name)
    def moved(src, dst, *a, _real=real, **k):
        _real(src, dst, *a, **k)
        if Path(src).resolve() == target:  # PATH moved aside, the new store not yet in its place
            os.kill(os.getpid(), signal.SIGKILL)
    setattr(os, name, moved)
from ldngraph.cli import main
main(sys.argv[2:])
"""


def test_push_killed_between_the_renames_then_append_keeps_the_previous_store(tmp_path: Path) -> None:
    db = tmp_path / "db"
    spec = f"oxigraph:{db}"
    assert cli("push", "--data", str(MINI), "--store", spec).returncode == 0
    other = tmp_path / "other"
    shutil.copytree(MINI, other)
    studies = other / "studies.yaml"
    studies.write_text(
        studies.read_text(encoding="utf-8").replace("label: Trial A\n", "label: Trial A2\n", 1)
    )
    killed = subprocess.run(
        [sys.executable, "-c", _KILL_BETWEEN_RENAMES, str(db), "push", "--data", str(other), "--store", spec],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    assert not db.exists() and any(p.name.startswith(".db.old-") for p in tmp_path.iterdir())
    query = cli("query", "gaps", "--store", spec)
    assert query.returncode == 1
    assert ".db.old-" in one_error_line(query.stderr)
    appended = cli("push", "--append", "--data", str(other), "--store", spec)
    assert appended.returncode == 0, appended.stderr
    from ldngraph.stores.store import open_store

    store = open_store(spec, create=False)
    labels = {str(row[0]) for row in store.query(LABELS)}
    store.close()
    assert {"Trial A", "Trial A2"} <= labels  # the previous store, plus what was appended
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db", "other"]
