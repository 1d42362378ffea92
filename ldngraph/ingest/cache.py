"""The local PubMed cache: one JSON file per PMID, each written atomically.

One file per record makes a killed run harmless (every record already written is complete, the
one being written is a temporary file that is ignored), makes duplicates impossible, keeps diffs of
``data/pubmed/`` reviewable, and lets a rerun ask E-utilities only for what is missing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from ldngraph.atomic import write_text_atomic
from ldngraph.errors import PubMedError
from ldngraph.ingest.medline import iter_pubmed_file
from ldngraph.ingest.pubmed import PubMedRecord
from ldngraph.limits import DEPTH, RECORD_BYTES, read_capped
from ldngraph.locations import get_data_dir, get_user_cache_dir, is_packaged_data_dir
from ldngraph.model import PMID_RE

#: Bumped when the record layout changes; older files are refetched.
CACHE_FORMAT = 1


def get_cache_dir(data_dir: Path | str | None = None) -> Path:
    """Default cache directory: ``<data>/pubmed`` beside the curated YAML.

    When the data directory is the copy packaged inside an installed wheel (no source checkout, no
    ``LDNGRAPH_DATA``), writing there would touch site-packages (read-only on system installs, lost
    on upgrade), so the cache is the per-user ``$XDG_CACHE_HOME/ldngraph/pubmed`` (default
    ``~/.cache/ldngraph/pubmed``) instead, for writes and for the build's reads alike.
    """
    directory = Path(data_dir if data_dir is not None else get_data_dir())
    if is_packaged_data_dir(directory):
        return get_user_cache_dir() / "pubmed"
    return directory / "pubmed"


def check_pmid(pmid: str) -> str:
    """Return ``pmid`` if it is digits only, else raise :class:`PubMedError`."""
    if not PMID_RE.match(pmid):
        raise PubMedError(f"PMID '{pmid}' must be digits only (e.g. 37804660)")
    return pmid


def _payload_problem(payload: object) -> str | None:
    """What is wrong with a decoded cache file that JSON itself accepts: nesting deeper than
    :data:`~ldngraph.limits.DEPTH`, or a string holding a lone UTF-16 surrogate (a JSON escape such
    as ``\\ud800`` decodes to one; it is not text and no writer can encode it: issue 27 F8)."""
    cap = DEPTH.as_int()
    stack: list[tuple[str, object, int]] = [("", payload, 1)]
    while stack:
        where, node, depth = stack.pop()
        if depth > cap:
            return f"JSON nested more than {DEPTH.hint()}"
        if isinstance(node, str):
            bad = next((c for c in node if "\ud800" <= c <= "\udfff"), None)
            if bad is not None:
                return f"{where or 'value'}: a lone surrogate \\u{ord(bad):04x}, which is not text"
        elif isinstance(node, dict):
            stack.extend((f"{where}.{k}" if where else str(k), v, depth + 1) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((f"{where}[{i}]", v, depth + 1) for i, v in enumerate(node))
    return None


class PubMedCache:
    """PubMed records on disk, keyed by PMID (``<dir>/<pmid>.json``)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def __repr__(self) -> str:
        return f"PubMedCache({str(self.directory)!r})"

    def _path(self, pmid: str) -> Path:
        return self.directory / f"{check_pmid(pmid)}.json"

    def exists(self) -> bool:
        return self.directory.is_dir()

    def pmids(self) -> set[str]:
        """PMIDs with a complete record (temporary files of an interrupted write are ignored)."""
        if not self.directory.is_dir():
            return set()
        return {p.stem for p in self.directory.glob("*.json") if PMID_RE.match(p.stem)}

    def __contains__(self, pmid: object) -> bool:
        return isinstance(pmid, str) and PMID_RE.match(pmid) is not None and self._path(pmid).is_file()

    def __len__(self) -> int:
        return len(self.pmids())

    def missing(self, pmids: Iterable[str]) -> list[str]:
        """The given PMIDs that are not cached, in order, without repeats."""
        seen = self.pmids()
        out: list[str] = []
        for pmid in pmids:
            if pmid not in seen:
                seen.add(pmid)
                out.append(pmid)
        return out

    def get(self, pmid: str) -> PubMedRecord | None:
        """The cached record, or None."""
        path = self._path(pmid)
        try:
            # a regular file of bounded size: a cloned repository can ship a FIFO (a hang), a
            # symlink to /dev/zero (memory exhausted) or a huge file in data/pubmed (issue 27 F7)
            raw = read_capped(path, RECORD_BYTES, fix="delete it and fetch again")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise PubMedError(
                f"{path}: cannot read the cached record ({exc.strerror or exc}); "
                "fix its permissions, or delete it and fetch again"
            ) from None
        try:
            payload = json.loads(raw.decode("utf-8"))
            if payload.get("format") != CACHE_FORMAT:
                return None
            problem = _payload_problem(payload)
            if problem:
                raise ValueError(problem)
            return PubMedRecord.model_validate(payload["record"])
        except RecursionError:
            problem = "JSON nested too deeply to read"
        except UnicodeDecodeError as exc:  # before ValueError, its base class
            problem = f"not UTF-8 at byte {exc.start}"
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "record"
            problem = f"{field}: {str(err['msg']).removeprefix('Value error, ')}"
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problem = str(exc).splitlines()[0]
        raise PubMedError(f"{path}: not a valid cached PubMed record ({problem}); delete it and fetch again")

    def put(self, record: PubMedRecord, *, source: str) -> None:
        """Write one record atomically (replacing an older copy)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {"format": CACHE_FORMAT, "source": source, "record": record.model_dump(mode="json")}
        write_text_atomic(self._path(record.pmid), json.dumps(payload, indent=1, ensure_ascii=False) + "\n")

    def put_many(self, records: Iterable[PubMedRecord], *, source: str) -> int:
        count = 0
        for record in records:
            self.put(record, source=source)
            count += 1
        return count

    def records(self) -> Iterator[PubMedRecord]:
        """Every cached record, by PMID."""
        for pmid in sorted(self.pmids(), key=int):
            record = self.get(pmid)
            if record is not None:
                yield record


def import_files(cache: PubMedCache, paths: Iterable[Path], *, progress: bool = False) -> dict[str, int]:
    """Merge the records of PubMed XML / MEDLINE files into ``cache``; returns counts per file.

    Every file is read through once to check it before anything is written, so a malformed file
    (truncated, wrong root, missing PMID...) raises :class:`PubMedError` and leaves the cache as it was.
    """
    from tqdm import tqdm

    paths = list(paths)
    counts = {str(path): sum(1 for _ in iter_pubmed_file(path)) for path in paths}
    with tqdm(
        total=sum(counts.values()), desc="import", unit="rec", disable=not progress, leave=False
    ) as bar:
        for path in paths:
            for record in iter_pubmed_file(path):
                cache.put(record, source=f"file:{path.name}")
                bar.update(1)
    return counts
