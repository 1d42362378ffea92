"""``ldngraph watch``: re-run the saved searches, log new candidates; ``watch status``: what needs a human."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ldngraph.cli.options import cache_option, data_option, format_option
from ldngraph.cli.pubmed import _entrez_client, _pubmed_cache
from ldngraph.errors import printable
from ldngraph.safetext import to_json


def _report_json(report: Any) -> str:
    out = report.model_dump(mode="json")
    for cand in out["candidates"]:
        cand["score"] = sum(h["points"] for h in cand["hits"])
    return to_json(out, indent=2)


@click.group(invoke_without_command=True)
@data_option
@cache_option
@click.option("--base-url", default=None, help="E-utilities URL (default: NCBI or LDNGRAPH_EUTILS_URL).")
@click.option(
    "--registry-url",
    envvar="LDNGRAPH_REGISTRY_URL",
    default="https://clinicaltrials.gov/api/v2/",
    show_default=True,
    help="ClinicalTrials.gov API v2 base URL (or LDNGRAPH_REGISTRY_URL).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None, help="Seconds per request.")
@format_option("table", "json")
@click.pass_context
def watch(
    ctx: click.Context,
    data_dir: Path | None,
    cache_file: Path | None,
    base_url: str | None,
    registry_url: str,
    timeout: float | None,
    fmt: str,
) -> None:
    """Re-run the saved searches of data/screening.yaml from their last run; log new records as candidates."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"data_dir": data_dir, "cache_file": cache_file, "fmt": fmt}
        return
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.ingest.registry import RegistryClient
    from ldngraph.ingest.rules import format_hits
    from ldngraph.ingest.watch import watch as run_watch
    from ldngraph.locations import get_data_dir

    directory = data_dir or get_data_dir()
    kb = read_knowledge_base(directory, drafts=False)  # the curation loop works while drafts wait
    cache = _pubmed_cache(directory, cache_file)
    entrez = _entrez_client(base_url, timeout)
    # One retry policy for both services: the config file's [entrez] max_tries/backoff/max_backoff.
    cfg = entrez.config
    registry = RegistryClient(
        registry_url,
        timeout=cfg.timeout,  # --timeout, else the config file's, else 30 s
        max_tries=cfg.max_tries,
        backoff=cfg.backoff,
        max_backoff=cfg.max_backoff,
    )
    report = run_watch(directory, kb, cache, entrez=entrez, registry=registry)
    if fmt == "json":
        click.echo(_report_json(report))
    else:
        for search in report.searches:
            capped = f" (capped at {search.kept})" if search.capped else ""
            click.echo(
                f"{search.search}: {search.hits} hits{capped}, {search.known} known, {len(search.new)} new"
            )
        for cand in sorted(report.candidates, key=lambda c: -c.score):
            click.echo(printable(f"NEW {cand.id} [{cand.score:+d}] {cand.title or ''}"))
            click.echo(printable(f"    {cand.prisma_source}; {format_hits(cand.hits)}"))
        for change in report.changes:
            click.echo(printable(f"CHANGED {change.to_line()}"))
    click.echo(
        f"{len(report.candidates)} new candidates logged in {report.log}; "
        f"{len(report.changes)} registry changes",
        err=True,
    )


@watch.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """List the candidates that need a human, most likely to matter first, and recent registry changes."""
    from ldngraph.evidence.publication_bias import get_overdue
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.ingest.rules import format_hits
    from ldngraph.ingest.screening import SCREENING_FILE, read_screening_log
    from ldngraph.ingest.watch import get_status, recent_changes
    from ldngraph.locations import get_data_dir
    from ldngraph.pipeline import get_profile, read_registry

    opts = ctx.obj or {}
    directory = opts.get("data_dir") or get_data_dir()
    kb = read_knowledge_base(directory, drafts=False)  # the curation loop works while drafts wait
    cache = _pubmed_cache(directory, opts.get("cache_file"))
    items = get_status(read_screening_log(Path(directory) / SCREENING_FILE), kb, cache)
    changes = recent_changes(cache)
    months = get_profile(directory).publication_bias.registry_overdue_months
    overdue = get_overdue(read_registry(Path(directory), kb), months)
    updates = _registration_updates(Path(directory), cache)
    if opts.get("fmt") == "json":
        out = {
            "candidates": [i.model_dump(mode="json") for i in items],
            "registry_changes": [c.model_dump(mode="json") for c in changes],
            "overdue_registrations": [r.model_dump(mode="json") for r in overdue],
            "registration_updates": [u.model_dump(mode="json") for u in updates],
        }
        click.echo(to_json(out, indent=2))
        return
    for item in items:
        click.echo(printable(f"{item.id} [{item.score:+d}] added {item.added or '?'}: {item.title or ''}"))
        click.echo(printable(f"    {format_hits(item.hits)}"))
    for change in changes:
        click.echo(printable(f"CHANGED {change.to_line()}"))
    for reg in overdue:
        click.echo(printable(f"OVERDUE {reg.id}: {reg.describe('overdue')}; no study in data/"))
    for update in updates:
        click.echo(printable(f"UPDATE {update.to_line()}"))
    click.echo(
        f"{len(items)} candidates await screening; {len(overdue)} registered trials have results "
        f"overdue (completed more than {months} months before they were checked)",
        err=True,
    )


def _registration_updates(directory: Path, cache: Any) -> list[Any]:
    """Registered trials of data/registrations.yaml whose stored registry record says more."""
    from ldngraph.ingest.registrations import (
        REGISTRATIONS_FILE,
        get_registration_updates,
        read_registrations,
    )
    from ldngraph.ingest.registry import get_registry_record

    path = directory / REGISTRATIONS_FILE
    conn = cache.reader()
    if not path.is_file() or conn is None:
        return []
    regs = read_registrations(path)
    stored = {r.id: rec for r in regs if (rec := get_registry_record(conn, cache.path, r.id)) is not None}
    return get_registration_updates(regs, stored)
