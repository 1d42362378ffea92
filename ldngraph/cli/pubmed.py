"""Commands on PubMed: ``fetch``, ``import-pubmed``, ``verify-citations``, ``triage``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ldngraph.cli.options import (
    F,
    cache_option,
    data_option,
    echo_table,
    format_option,
)
from ldngraph.safetext import cell_text, terminal_text, to_json


def eutils_options(func: F) -> F:
    timeout = click.option(
        "--timeout", type=click.FloatRange(min=0.1), default=None, help="Seconds per request."
    )
    base_url = click.option(
        "--base-url", default=None, help="E-utilities URL (default: NCBI or LDNGRAPH_EUTILS_URL)."
    )
    return base_url(timeout(func))


def _pubmed_cache(data_dir: Path | None, cache_file: Path | None) -> Any:
    from ldngraph.ingest.cache import PubMedCache, get_cache_path

    cache = PubMedCache(cache_file or get_cache_path(data_dir))
    # closed when the command ends (with an error too): SQLite then folds its WAL into the file
    click.get_current_context().call_on_close(cache.close)
    return cache


def _entrez_client(base_url: str | None, timeout: float | None) -> Any:
    from ldngraph.ingest.entrez import EntrezClient, read_entrez_config

    return EntrezClient(read_entrez_config(base_url=base_url, timeout=timeout))


@click.command()
@click.argument("pmids", nargs=-1)
@click.option("--query", default=None, help="A PubMed search; fetch every hit (history server).")
@click.option("--max", "max_results", type=click.IntRange(1, 10_000), default=10_000, show_default=True)
@data_option
@cache_option
@eutils_options
@format_option("table", "json")
def fetch(
    pmids: tuple[str, ...],
    query: str | None,
    max_results: int,
    data_dir: Path | None,
    cache_file: Path | None,
    base_url: str | None,
    timeout: float | None,
    fmt: str,
) -> None:
    """Fetch PubMed records by PMID or by --query into the local cache (resumable)."""
    from ldngraph.ingest.entrez import fetch_pmids, fetch_query

    if bool(pmids) == bool(query):
        raise click.UsageError("give PMIDs or --query (one of the two)")
    client, cache = _entrez_client(base_url, timeout), _pubmed_cache(data_dir, cache_file)
    ids = [p.removeprefix("PMID:").strip() for p in pmids]
    if query:
        report = fetch_query(client, cache, query, max_results=max_results, progress=True)
    else:
        report = fetch_pmids(client, cache, ids, progress=True)
    out = report.model_dump(mode="json", exclude={"search": {"pmids"}}) | {"cache": str(cache.path)}
    click.echo(to_json(out, indent=2)) if fmt == "json" else echo_table(out)


@click.command("import-pubmed")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@data_option
@cache_option
@format_option("table", "json")
def import_pubmed(files: tuple[Path, ...], data_dir: Path | None, cache_file: Path | None, fmt: str) -> None:
    """Merge PubMed XML (.xml, .xml.gz) or MEDLINE files into the local cache."""
    from ldngraph.ingest.cache import import_files

    cache = _pubmed_cache(data_dir, cache_file)
    counts = import_files(cache, files, progress=True)
    if fmt == "json":
        rows = [{"file": name, "records": count} for name, count in counts.items()]
        out = {"files": rows, "cache": str(cache.path), "cached": len(cache)}
        click.echo(to_json(out, indent=2))
    else:
        for name, count in counts.items():
            click.echo(f"{cell_text(name)}\t{count} records")
    click.echo(f"cache {cache.path} now holds {len(cache)} records", err=True)


@click.command("verify-citations")
@data_option
@cache_option
@click.option("--missing-pmids", is_flag=True, help="Print only the PMIDs not cached (for `fetch`).")
@format_option("table", "json")
def verify_citations_command(
    data_dir: Path | None, cache_file: Path | None, missing_pmids: bool, fmt: str
) -> None:
    """Compare curated publications with cached PubMed records: verified / mismatch / unresolved."""
    from ldngraph.ingest import citations
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.locations import get_data_dir

    directory = data_dir or get_data_dir()
    cache = _pubmed_cache(directory, cache_file)
    checks = citations.verify_citations(read_knowledge_base(directory), cache)
    summary = citations.summarise_checks(checks)
    if missing_pmids:
        click.echo("\n".join(citations.missing_pmids(checks)))
    elif fmt == "json":
        rows = [c.model_dump(mode="json") for c in checks]
        click.echo(to_json({"summary": summary, "publications": rows}, indent=2))
    else:
        click.echo("\n".join(terminal_text(line) for line in citations.format_checks(checks)))
        echo_table(summary)
    if not cache.pmids():
        click.echo(
            f"cache {cache.path} is empty: with network access run `ldngraph fetch "
            "$(ldngraph verify-citations --missing-pmids)`, then verify again",
            err=True,
        )


@click.command("triage")
@click.option("--query", required=True, help="A PubMed search, e.g. 'low dose naltrexone'.")
@click.option("--max", "max_results", type=click.IntRange(1, 10_000), default=500, show_default=True)
@data_option
@cache_option
@eutils_options
@format_option("table", "json")
def triage_command(
    query: str,
    max_results: int,
    data_dir: Path | None,
    cache_file: Path | None,
    base_url: str | None,
    timeout: float | None,
    fmt: str,
) -> None:
    """List PMIDs a PubMed search finds that data/ does not cite yet: the curator's queue."""
    from ldngraph.ingest.citations import format_triage, triage
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.ingest.entrez import fetch_query
    from ldngraph.locations import get_data_dir

    kb = read_knowledge_base(data_dir or get_data_dir(), drafts=False)  # the curation loop: drafts may wait
    client, cache = _entrez_client(base_url, timeout), _pubmed_cache(data_dir, cache_file)
    report = fetch_query(client, cache, query, max_results=max_results, progress=True)
    items = triage(kb, cache, report.search.pmids if report.search else ())
    if fmt == "json":
        click.echo(to_json([i.model_dump(mode="json") for i in items], indent=2))
    else:
        click.echo("\n".join(terminal_text(line) for line in format_triage(items)))
    click.echo(f"{len(items)} of {report.requested} hits are not cited in data/", err=True)
