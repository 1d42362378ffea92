"""``ldngraph draft PMID|NCT``: a study skeleton from a cached record; ``draft list``; ``draft accept ID``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ldngraph.cli.options import cache_option, data_option, format_option
from ldngraph.cli.pubmed import _pubmed_cache
from ldngraph.errors import printable
from ldngraph.safetext import to_json


class _DraftGroup(click.Group):
    """``draft RECORD`` is ``draft new RECORD``: a record id is not a subcommand name."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = next((a for a in args if not a.startswith("-")), None)
        if first is not None and first not in self.commands:
            args = ["new", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DraftGroup)
def draft() -> None:
    """Draft a study from a cached PubMed or registry record (data/drafts/); accept it into data/."""


@draft.command("new")
@click.argument("record")
@data_option
@cache_option
@format_option("table", "json")
def new(record: str, data_dir: Path | None, cache_file: Path | None, fmt: str) -> None:
    """Write data/drafts/ID.yaml for RECORD (a PMID or an NCT number) from the embedded database."""
    from ldngraph.errors import DraftError
    from ldngraph.ingest import drafts
    from ldngraph.ingest.curated import read_knowledge_base
    from ldngraph.ingest.registry import get_registry_record
    from ldngraph.locations import get_data_dir

    directory = data_dir or get_data_dir()
    kind, value = drafts.parse_record_id(record)
    kb = read_knowledge_base(directory, drafts=False)
    cache = _pubmed_cache(directory, cache_file)
    if kind == "pmid":
        pub = cache.get(value)
        if pub is None:
            raise DraftError(
                f"PMID {value} is not in the PubMed cache {cache.path}; run 'ldngraph fetch {value}'"
            )
        made = drafts.draft_from_pubmed(pub, kb, today=drafts.today())
    else:
        conn = cache.reader()
        reg = get_registry_record(conn, cache.path, value) if conn is not None else None
        if reg is None:
            raise DraftError(
                f"{value} is not in the registry records of {cache.path}; run 'ldngraph watch' with a "
                "ClinicalTrials.gov saved search that finds it"
            )
        made = drafts.draft_from_registry(reg, kb, today=drafts.today())
    path = drafts.write_draft(directory, made, kb)
    _show({"draft": made["draft"]["id"], "file": str(path), **made["draft"]}, fmt)
    click.echo(f"fill it in, then: ldngraph draft accept {made['draft']['id']}", err=True)


@draft.command("list")
@data_option
@format_option("table", "json")
def list_cmd(data_dir: Path | None, fmt: str) -> None:
    """List the drafts in data/drafts/ and what each still needs."""
    from ldngraph.ingest.drafts import list_drafts
    from ldngraph.locations import get_data_dir

    lines = list_drafts(data_dir or get_data_dir())
    if fmt == "json":
        click.echo(to_json([{"file": x.split(": ", 1)[0], "status": x.split(": ", 1)[1]} for x in lines]))
    for line in lines if fmt != "json" else ():
        click.echo(printable(line))
    click.echo(f"{len(lines)} drafts", err=True)


@draft.command("accept")
@click.argument("draft_id")
@data_option
@format_option("table", "json")
def accept(draft_id: str, data_dir: Path | None, fmt: str) -> None:
    """Validate a filled draft with the loader's own checks and move it into data/ (all files or none)."""
    from ldngraph.ingest.drafts import accept_draft
    from ldngraph.locations import get_data_dir

    _show(accept_draft(data_dir or get_data_dir(), draft_id), fmt)


def _show(result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        click.echo(to_json(result, indent=2))
        return
    for key, value in result.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        click.echo(printable(f"{key}: {shown}"))
