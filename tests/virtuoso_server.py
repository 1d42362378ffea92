"""Start a throwaway Virtuoso (Debian ``virtuoso-opensource``) on 127.0.0.1 for the server tests.

The Debian config is copied, its database paths pointed at a scratch directory, both ports (SQL
and HTTP) bound to 127.0.0.1 on free ports, result and time limits raised (the default
``ResultSetMaxRows = 10000`` silently truncates results), then ``virtuoso-t +foreground`` is
started, ``/sparql`` polled until it answers, and SPARQL updates granted through ``isql-vt``.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DEBIAN_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
VIRTUOSO = "virtuoso-t"
ISQL = "isql-vt"


def find_binaries() -> tuple[str, str] | None:
    """Paths of virtuoso-t and isql-vt, or None when Virtuoso is not installed."""
    server, isql = shutil.which(VIRTUOSO), shutil.which(ISQL)
    if server is None or isql is None or not DEBIAN_INI.is_file():
        return None
    return server, isql


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def write_config(directory: Path, sql_port: int, http_port: int) -> Path:
    """A copy of the Debian virtuoso.ini with paths, ports and limits for a scratch server."""
    db = directory / "db"
    db.mkdir(parents=True, exist_ok=True)
    settings: dict[str, dict[str, str]] = {
        "Database": {
            "DatabaseFile": str(db / "virtuoso.db"),
            "ErrorLogFile": str(db / "virtuoso.log"),
            "LockFile": str(db / "virtuoso.lck"),
            "TransactionFile": str(db / "virtuoso.trx"),
            "xa_persistent_file": str(db / "virtuoso.pxa"),
        },
        "TempDatabase": {
            "DatabaseFile": str(db / "virtuoso-temp.db"),
            "TransactionFile": str(db / "virtuoso-temp.trx"),
        },
        "Parameters": {
            "ServerPort": f"127.0.0.1:{sql_port}",
            "DirsAllowed": f"., {directory}, /usr/share/virtuoso-opensource-7/vad",
        },
        "HTTPServer": {"ServerPort": f"127.0.0.1:{http_port}"},
        "SPARQL": {
            "ResultSetMaxRows": "1000000",
            "MaxQueryExecutionTime": "600",
            "MaxQueryCostEstimationTime": "0",
        },
    }
    out: list[str] = []
    section = ""
    pending: dict[str, str] = {}

    def flush() -> None:
        out.extend(f"{key} = {value}" for key, value in pending.items())

    for line in DEBIAN_INI.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            flush()
            section = stripped[1:-1]
            pending = dict(settings.get(section, {}))
            out.append(line)
            continue
        key = stripped.split("=", 1)[0].strip() if "=" in stripped and not stripped.startswith(";") else ""
        if key in pending:
            out.append(f"{key} = {pending.pop(key)}")
        else:
            out.append(line)
    flush()
    ini = directory / "virtuoso.ini"
    ini.write_text("\n".join(out) + "\n", encoding="utf-8")
    return ini


@dataclass(frozen=True)
class Virtuoso:
    sparql_url: str
    sql_port: int
    log: Path


def _wait_for_sparql(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    probe = url + "?query=" + urllib.request.quote("ASK { ?s ?p ?o }")
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {proc.returncode}; log:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"Virtuoso did not answer on {url} within {timeout:.0f} s")


@contextmanager
def run_virtuoso(directory: Path, *, timeout: float = 60.0) -> Iterator[Virtuoso]:
    """Run a scratch Virtuoso in ``directory``; stop it (and only it) on exit."""
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError("virtuoso-t / isql-vt not installed")
    server, isql = binaries
    sql_port, http_port = _free_port(), _free_port()
    ini = write_config(directory, sql_port, http_port)
    log = directory / "server.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [server, "+configfile", str(ini), "+foreground"],
            cwd=directory,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{http_port}/sparql"
        _wait_for_sparql(url, proc, log, timeout)
        subprocess.run(
            [isql, f"127.0.0.1:{sql_port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
            check=True,
            capture_output=True,
            timeout=30,
        )
        yield Virtuoso(sparql_url=url, sql_port=sql_port, log=log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
