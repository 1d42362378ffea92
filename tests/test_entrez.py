"""Fetching through a local fake E-utilities server: retries, rate limit, cache, resume, config."""

from __future__ import annotations

import io
import itertools
import json
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_eutils import ESEARCH_HEAD, FakeEutils, serve

from ldngraph.errors import PubMedError
from ldngraph.ingest.cache import PubMedCache
from ldngraph.ingest.entrez import (
    EntrezClient,
    EntrezConfig,
    RateLimiter,
    fetch_pmids,
    fetch_query,
    parse_esearch,
    read_entrez_config,
)

PMIDS = [str(n) for n in range(10_001, 10_251)]  # 250 obviously fake PMIDs
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def eutils() -> Iterator[FakeEutils]:
    state = FakeEutils()
    state.add(PMIDS, retracted=["10007"])
    state.searches["low dose naltrexone"] = PMIDS
    with serve(state) as running:
        yield running


def _client(url: str, **kw: object) -> EntrezClient:
    settings: dict[str, object] = {
        "base_url": url,
        "email": "test@example.org",
        "timeout": 0.5,
        "backoff": 0.01,
    }
    return EntrezClient(EntrezConfig(**(settings | kw)))  # type: ignore[arg-type]


def _cached_files(cache: PubMedCache) -> list[str]:
    """Files beside the database (WAL and shared-memory files vanish when the last user closes)."""
    cache.close()
    return sorted(p.name for p in cache.path.parent.iterdir())


def test_fetch_250_with_429_500_and_a_slow_reply(eutils: FakeEutils, tmp_path: Path) -> None:
    eutils.faults = [429, 500, "slow", None, 503]  # batch 1 needs 4 tries, batch 2 needs 2
    cache = PubMedCache(tmp_path / "cache.sqlite")
    report = fetch_pmids(_client(eutils.url), cache, PMIDS)

    assert report.fetched == 250 and report.already_cached == 0 and report.not_found == ()
    assert report.requests == 6
    assert _cached_files(cache) == ["cache.sqlite"]  # no temporary or WAL files left over
    for pmid in PMIDS:
        record = cache.get(pmid)
        assert record is not None and record.pmid == pmid and record.title == f"Fake record {pmid} & friends"
    # each PMID was served exactly once, in batches of at most 200
    ok = eutils.requests("efetch")
    assert [len(r.ids) for r in ok] == [200, 50]
    assert Counter(eutils.served_ids()) == Counter(PMIDS)
    statuses = [(r.status, r.slow) for r in sorted(eutils.log, key=lambda r: r.at)]
    assert statuses == [(429, False), (500, False), (200, True), (200, False), (503, False), (200, False)]
    # NCBI's limit without an API key: 3 requests per second
    arrivals = sorted(r.at for r in eutils.log)
    assert min(b - a for a, b in itertools.pairwise(arrivals)) >= 0.3
    assert all(r.params["email"] == "test@example.org" and r.params["tool"] == "ldngraph" for r in eutils.log)
    assert all("api_key" not in r.params for r in eutils.log)


def test_rerun_fetches_nothing(eutils: FakeEutils, tmp_path: Path) -> None:
    cache = PubMedCache(tmp_path / "cache.sqlite")
    fetch_pmids(_client(eutils.url), cache, PMIDS[:10])
    report = fetch_pmids(_client(eutils.url), cache, PMIDS[:10] + PMIDS[:10])
    assert report.requested == 10 and report.already_cached == 10 and report.fetched == 0
    assert len(eutils.log) == 1


def test_unknown_pmids_are_reported_not_cached(eutils: FakeEutils, tmp_path: Path) -> None:
    cache = PubMedCache(tmp_path / "cache.sqlite")
    report = fetch_pmids(_client(eutils.url), cache, ["10001", "99999999"])
    assert report.fetched == 1 and report.not_found == ("99999999",)
    assert cache.pmids() == {"10001"}


def test_gives_up_after_max_tries_keeping_earlier_batches(eutils: FakeEutils, tmp_path: Path) -> None:
    eutils.faults = [None, 500, 500, 500]
    cache = PubMedCache(tmp_path / "cache.sqlite")
    with pytest.raises(PubMedError, match=r"efetch: gave up after 3 tries \(HTTP 500"):
        fetch_pmids(_client(eutils.url, max_tries=3, batch_size=100), cache, PMIDS)
    assert cache.pmids() == set(PMIDS[:100])


def test_client_error_is_not_retried(eutils: FakeEutils, tmp_path: Path) -> None:
    eutils.faults = [400]
    with pytest.raises(PubMedError, match="efetch: HTTP 400"):
        fetch_pmids(_client(eutils.url), PubMedCache(tmp_path / "cache.sqlite"), PMIDS[:3])
    assert len(eutils.log) == 1


def test_backoff_doubles_and_respects_the_cap(eutils: FakeEutils, tmp_path: Path) -> None:
    eutils.faults = [500, 500, 500, 500]
    sleeps: list[float] = []
    client = EntrezClient(
        EntrezConfig(
            base_url=eutils.url, email="t@example.org", backoff=0.001, max_backoff=0.004, max_tries=5
        ),
        sleep=sleeps.append,
        limiter=RateLimiter(1000.0),
    )
    fetch_pmids(client, PubMedCache(tmp_path / "cache.sqlite"), PMIDS[:2])
    assert sleeps == [0.001, 0.002, 0.004, 0.004]


def test_bad_pmid_fails_before_any_request(eutils: FakeEutils, tmp_path: Path) -> None:
    with pytest.raises(PubMedError, match="PMID 'abc' must be digits only"):
        fetch_pmids(_client(eutils.url), PubMedCache(tmp_path / "cache.sqlite"), ["10001", "abc"])
    assert eutils.log == []


def test_query_uses_history_and_skips_cached_windows(eutils: FakeEutils, tmp_path: Path) -> None:
    cache = PubMedCache(tmp_path / "cache.sqlite")
    fetch_pmids(_client(eutils.url), cache, PMIDS[:100])
    eutils.log.clear()
    report = fetch_query(_client(eutils.url, batch_size=100), cache, "low dose naltrexone")
    assert report.search is not None and report.search.count == 250 and report.search.pmids == tuple(PMIDS)
    assert report.already_cached == 100 and report.fetched == 150
    (search,) = eutils.requests("esearch")
    assert search.params["usehistory"] == "y" and search.params["term"] == "low dose naltrexone"
    fetches = eutils.requests("efetch")
    assert [(r.params["WebEnv"], r.params["query_key"], r.params["retstart"]) for r in fetches] == [
        ("MCID_low dose naltrexone", "1", "100"),
        ("MCID_low dose naltrexone", "1", "200"),
    ]
    assert len(cache) == 250
    assert cache.get("10007") is not None and cache.get("10007").is_retracted  # type: ignore[union-attr]


def test_killed_run_resumes_with_only_the_missing_pmids(eutils: FakeEutils, tmp_path: Path) -> None:
    """A real process killed (SIGKILL) mid-run loses nothing; the rerun asks only for what is missing."""
    config = tmp_path / "config.toml"
    config.write_text('[entrez]\nemail = "test@example.org"\nbatch_size = 50\nbackoff = 0.01\n')
    cache_dir = tmp_path / "cache.sqlite"
    env = os.environ | {"LDNGRAPH_CONFIG": str(config), "LDNGRAPH_EUTILS_URL": eutils.url}
    env.pop("NCBI_API_KEY", None)
    eutils.hold_efetch_after = 2  # the third batch never comes back: kill the process then
    cmd = [sys.executable, "-c", "from ldngraph.cli import main; main()", "fetch", "--cache", str(cache_dir)]
    proc = subprocess.Popen([*cmd, *PMIDS], env=env, cwd=REPO, stderr=subprocess.PIPE)
    try:
        assert eutils.held.wait(60), "the fetch never reached its third batch"
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode != 0
    first = PubMedCache(cache_dir)
    assert first.pmids() == set(PMIDS[:100])
    assert all(first.get(p) is not None for p in PMIDS[:100])  # every written file is complete

    eutils.hold_efetch_after = None
    before = len(eutils.log)
    report = fetch_pmids(_client(eutils.url, batch_size=50), PubMedCache(cache_dir), PMIDS)
    rerun = [r for r in eutils.log[before:] if r.utility == "efetch"]
    asked = [pmid for r in rerun for pmid in r.ids]
    assert sorted(asked) == PMIDS[100:]  # only the missing ones, each once
    assert report.already_cached == 100 and report.fetched == 150
    assert PubMedCache(cache_dir).pmids() == set(PMIDS)


def test_cli_fetch_json(eutils: FakeEutils, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from ldngraph.cli import cli

    monkeypatch.setenv("NCBI_EMAIL", "test@example.org")
    monkeypatch.setenv("LDNGRAPH_CONFIG", str(tmp_path / "none.toml"))
    args = ["fetch", "PMID:10001", "10002", "--cache", str(tmp_path / "c.sqlite"), "--base-url", eutils.url]
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["fetched"] == 2 and out["requested"] == 2
    assert PubMedCache(tmp_path / "c.sqlite").pmids() == {"10001", "10002"}
    assert CliRunner().invoke(cli, ["fetch", "--cache", str(tmp_path)]).exit_code == 2  # nothing to fetch


def test_rate_limiter_spacing() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(10.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert slept == pytest.approx([0.1, 0.1, 0.1])


def test_config_file_then_environment_then_options(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[entrez]\nemail = "file@example.org"\napi_key = "k1"\ntimeout = 5\n')
    cfg = read_entrez_config(env={"LDNGRAPH_CONFIG": str(path)})
    assert (cfg.email, cfg.api_key, cfg.timeout, cfg.requests_per_second) == ("file@example.org", "k1", 5, 10)
    env = {"LDNGRAPH_CONFIG": str(path), "NCBI_EMAIL": "env@example.org", "LDNGRAPH_EUTILS_URL": "http://x/"}
    cfg = read_entrez_config(env=env, timeout=None, base_url="http://y/")
    assert (cfg.email, cfg.base_url, cfg.timeout) == ("env@example.org", "http://y/", 5)
    assert read_entrez_config(env={"XDG_CONFIG_HOME": str(tmp_path / "nothing")}).requests_per_second == 3
    path.write_text("[entrez\n")
    with pytest.raises(PubMedError, match="not valid TOML"):
        read_entrez_config(env={"LDNGRAPH_CONFIG": str(path)})
    path.write_text("[entrez]\nbatch_size = 500\n")
    with pytest.raises(PubMedError, match="batch_size"):
        read_entrez_config(env={"LDNGRAPH_CONFIG": str(path)})


@pytest.mark.parametrize(
    ("toml", "expect"),
    [
        ('timeout = "abc"', "[entrez] timeout: Input should be a valid number, unable to parse string"),
        ('emial = "a@b.org"', "[entrez] emial: unknown setting; did you mean 'email'?"),
        ("batch_size = 500", "[entrez] batch_size: Input should be less than or equal to 200 (got 500)"),
        ("max_tries = 0", "[entrez] max_tries: Input should be greater than or equal to 1 (got 0)"),
    ],
)
def test_bad_config_value_is_one_line_naming_file_and_key(tmp_path: Path, toml: str, expect: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[entrez]\n{toml}\n", encoding="utf-8")
    with pytest.raises(PubMedError) as err:
        read_entrez_config(env={"LDNGRAPH_CONFIG": str(path)})
    message = str(err.value)
    assert "\n" not in message and message.startswith(f"{path}: ") and expect in message
    assert "pydantic" not in message and "validation error" not in message


def test_bad_api_key_is_not_echoed(tmp_path: Path) -> None:
    """A mistyped API key is a secret: the error names the key but never prints the value."""
    path = tmp_path / "config.toml"
    path.write_text("[entrez]\napi_key = 98765432101\n", encoding="utf-8")
    with pytest.raises(PubMedError) as err:
        read_entrez_config(env={"LDNGRAPH_CONFIG": str(path)})
    assert "[entrez] api_key" in str(err.value) and "98765432101" not in str(err.value)


def test_bad_setting_from_environment_or_option_names_its_source(tmp_path: Path) -> None:
    env = {"LDNGRAPH_CONFIG": str(tmp_path / "none.toml")}
    with pytest.raises(PubMedError, match=r"^option --max-backoff: Input should be greater than or equal to"):
        read_entrez_config(env=env, max_backoff=-1.0)
    path = tmp_path / "config.toml"
    path.write_text("[entrez]\ntimeout = 5\n", encoding="utf-8")
    with pytest.raises(PubMedError, match=r"^option --timeout: .*\(got 'soon'\)"):
        read_entrez_config(env={"LDNGRAPH_CONFIG": str(path)}, timeout="soon")


# -- esearch replies (lxml, offline) ---------------------------------------------------------------

# Bio.Entrez looks a DTD up by file name among the ones it bundles, then downloads it; no such file.
UNBUNDLED_DTD = "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20990101/esearch_20990101.dtd"


def _reply(body: str, doctype: str = ESEARCH_HEAD) -> bytes:
    return (doctype + body).encode("utf-8")


def test_esearch_agrees_with_bio_entrez_read() -> None:
    """Biopython's reader (its bundled esearch DTD) sees the same reply as ours."""
    from Bio import Entrez

    state = FakeEutils(searches={"q": ["5", "17", "23"]})
    body = state.esearch({"term": "q", "retmax": "2"}).encode("utf-8")
    ours, theirs = parse_esearch(body, "q"), Entrez.read(io.BytesIO(body))
    assert ours.count == int(theirs["Count"]) == 3
    assert list(ours.pmids) == list(theirs["IdList"]) == ["5", "17"]
    assert (ours.webenv, ours.query_key) == (theirs["WebEnv"], theirs["QueryKey"]) == ("MCID_q", "1")
    assert ours.retstart == int(theirs["RetStart"]) == 0 and ours.messages == ()
    notes = _reply(
        "<eSearchResult><Count>0</Count><RetMax>0</RetMax><RetStart>0</RetStart><IdList/>"
        "<TranslationSet/><QueryTranslation/><ErrorList><PhraseNotFound>zzqx</PhraseNotFound>"
        "</ErrorList><WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
        "</eSearchResult>"
    )
    ours, theirs = parse_esearch(notes, "zzqx"), Entrez.read(io.BytesIO(notes))
    assert ours.messages == ("PhraseNotFound: zzqx", "OutputMessage: No items found.")
    assert theirs["ErrorList"]["PhraseNotFound"] == ["zzqx"]
    assert theirs["WarningList"]["OutputMessage"] == ["No items found."]


@pytest.fixture
def no_remote_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Refuse (and record) every DNS lookup or connection that is not to 127.0.0.1 (the fake server)."""
    attempts: list[object] = []
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host: object, *args: Any, **kw: Any) -> Any:
        if host not in ("127.0.0.1", "localhost"):
            attempts.append(host)
            raise OSError(f"test: network access to {host!r} refused")
        return real_getaddrinfo(host, *args, **kw)  # type: ignore[arg-type]

    def connect(self: socket.socket, address: Any) -> None:
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            attempts.append(address)
            raise OSError(f"test: connection to {address!r} refused")
        real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


def test_esearch_reply_naming_a_remote_dtd_is_parsed_offline(
    eutils: FakeEutils, tmp_path: Path, no_remote_network: list[object]
) -> None:
    """Bio.Entrez.read would fetch this DTD with a bare urlopen (no timeout, retry or rate limit)."""
    doctype = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        f'<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20990101//EN" "{UNBUNDLED_DTD}">\n'
    )
    normal = eutils.esearch({"term": "low dose naltrexone", "retmax": "10000"})
    eutils.esearch_reply = doctype + normal.split("\n", 2)[2]
    assert UNBUNDLED_DTD in eutils.esearch_reply and "<Count>250</Count>" in eutils.esearch_reply
    report = fetch_query(
        _client(eutils.url), PubMedCache(tmp_path / "cache.sqlite"), "low dose naltrexone", max_results=3
    )
    assert report.search is not None and report.search.count == 250
    assert report.search.pmids[:3] == tuple(PMIDS[:3]) and report.fetched == 3
    assert no_remote_network == []  # nothing tried to reach eutils.ncbi.nlm.nih.gov for the DTD
    assert {r.utility for r in eutils.log} == {"esearch", "efetch"}
    # The guard works: Bio.Entrez.read on the same reply does try to download the DTD.
    from Bio import Entrez

    with pytest.raises(Exception, match=r"esearch_20990101\.dtd"):
        Entrez.read(io.BytesIO(eutils.esearch_reply.encode("utf-8")))
    assert no_remote_network == ["eutils.ncbi.nlm.nih.gov"]


def test_esearch_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    xxe = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE eSearchResult [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        "<eSearchResult><Count>1</Count><RetMax>1</RetMax><RetStart>0</RetStart>"
        "<QueryKey>1</QueryKey><WebEnv>A&x;B</WebEnv><IdList><Id>5</Id></IdList></eSearchResult>"
    ).encode()
    with pytest.raises(PubMedError) as err:
        parse_esearch(xxe, "q")
    assert "esearch reply for 'q': the DOCTYPE declares entities (x)" in str(err.value)
    assert "TOP-SECRET" not in str(err.value)
    laughs = '<!DOCTYPE eSearchResult [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    laughs += "".join(
        f'<!ENTITY {chr(99 + i)} "' + f"&{chr(98 + i)};" * 10 + '">' for i in range(8)
    )  # 10^9 copies if expanded
    bomb = (laughs + "]>\n<eSearchResult><Count>&j;</Count></eSearchResult>").encode()
    with pytest.raises(PubMedError, match=r"^esearch reply for 'q'"):  # refused by libxml2 or by us
        parse_esearch(bomb, "q")


RESULT = "<eSearchResult><Count>{count}</Count><RetMax>{retmax}</RetMax><RetStart>0</RetStart>"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "esearch reply for 'q' is not XML"),
        ("<html><body>Bad Gateway</body></html>", "root element is <html>, expected <eSearchResult>"),
        ("<eSearchResult><Count>1</Count><IdList><Id>5</Id>", "esearch reply for 'q' is not XML"),
        (
            "<eSearchResult><ERROR>Invalid query</ERROR></eSearchResult>",
            "esearch for 'q' failed: Invalid query",
        ),
        ("<eSearchResult><IdList/></eSearchResult>", "<Count> is 'missing', expected a whole number"),
        (RESULT.format(count="many", retmax=0) + "<IdList/></eSearchResult>", "<Count> is 'many'"),
        (RESULT.format(count=1, retmax=1) + "<IdList><Id>5x</Id></IdList></eSearchResult>", "<Id> '5x'"),
        (RESULT.format(count=9, retmax=2) + "<IdList><Id>5</Id></IdList></eSearchResult>", "RetMax is 2"),
    ],
)
def test_malformed_esearch_reply_names_the_request(body: str, message: str) -> None:
    with pytest.raises(PubMedError) as err:
        parse_esearch(_reply(body, doctype=""), "q")
    assert "esearch" in str(err.value) and "'q'" in str(err.value) and message in str(err.value)
    assert "\n" not in str(err.value)


def test_malformed_esearch_reply_through_the_client(eutils: FakeEutils, tmp_path: Path) -> None:
    eutils.esearch_reply = (
        "<eSearchResult><ERROR>Empty term and query_key - nothing todo</ERROR></eSearchResult>"
    )
    with pytest.raises(PubMedError, match=r"^esearch for 'naltrexone' failed: Empty term"):
        fetch_query(_client(eutils.url), PubMedCache(tmp_path / "cache.sqlite"), "naltrexone")
    assert eutils.requests("efetch", status=None) == []


def test_importing_sets_no_entrez_globals() -> None:
    code = (
        "import ldngraph.cli, ldngraph.ingest.entrez, ldngraph.pipeline\n"
        "from Bio import Entrez\n"
        "print(Entrez.email, Entrez.api_key)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "None None"


def _no_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make every name lookup fail as it does offline; returns the hosts asked for."""
    asked: list[str] = []

    def getaddrinfo(host: str, *args: Any, **kw: Any) -> Any:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_name_resolution_failure_fails_fast_without_retries(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked = _no_dns(monkeypatch)
    sleeps: list[float] = []
    config = EntrezConfig(base_url="https://eutils.example/entrez/eutils", email="t@example.org", max_tries=5)
    client = EntrezClient(config, sleep=sleeps.append, limiter=RateLimiter(1000.0))
    with pytest.raises(PubMedError) as info:
        fetch_pmids(client, PubMedCache(tmp_path / "cache.sqlite"), PMIDS[:2])
    message = str(info.value)
    assert "cannot resolve the host of https://eutils.example/entrez/eutils/efetch.fcgi" in message
    assert "Name or service not known" in message and "\n" not in message
    assert asked == ["eutils.example"] and client.requests == 1 and sleeps == []


def test_cli_triage_offline_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ldngraph.cli import main

    _no_dns(monkeypatch)
    monkeypatch.setenv("NCBI_EMAIL", "t@example.org")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    args = ["triage", "--query", "naltrexone", "--cache", str(tmp_path / "c")]
    with pytest.raises(SystemExit) as info:
        main([*args, "--base-url", "https://eutils.example/"])
    assert info.value.code == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        "Error: esearch: cannot resolve the host of https://eutils.example/esearch.fcgi (Name or service not "
        "known); check the network connection, or --base-url / LDNGRAPH_EUTILS_URL"
    ]
