"""Drafts of new studies (issue 25): skeletons from a cached record, filled by a curator, accepted into data/.

``ldngraph draft PMID|NCT`` writes ``data/drafts/<id>.yaml`` from the PubMed record in the embedded
database (:mod:`ldngraph.ingest.cache`) or the ClinicalTrials.gov record ``ldngraph watch`` stored
there (:mod:`ldngraph.ingest.registry`). A draft holds ``publications:`` and ``studies:`` entries in
the schema of data/publications.yaml and data/studies.yaml, an ``evidence:`` list (evidence items to
add to claims of data/claims.yaml) and a ``draft:`` header with the record it came from and
``needs_review``: every field the draft *guessed* (a design from PubMed publication types or the
registry's allocation, masking and phase; the population; the registry enrolment as ``n``).

It fills only what the record says: title, authors, year, journal, DOI, PMID, PMCID, publication
types, registry ids from the record's DataBankList, conditions and (registry records) enrolment. It
never fills ``n`` from a publication, effects, arms, outcomes or risk of bias: those stay empty, and
every command that reads data/ refuses while a draft is there
(:func:`ldngraph.ingest.curated.find_draft_problems`). Drafts enter the graph **only** through
``ldngraph draft accept ID`` (:func:`accept_draft`): it checks that nothing required is empty and
nothing is left to review, refuses ids already in data/, validates data/ with the draft merged in
using the loaders' own validators, then replaces publications.yaml, studies.yaml and claims.yaml
together (all or none, :func:`ldngraph.atomic.atomic_paths`) and removes the draft. In the same
write, the screening log's ``candidate`` record of the draft's PMID, DOI or NCT number becomes
``included`` with the study id, and the trial's registration in data/registrations.yaml (if it has
no study yet) is linked to it (:func:`linked_texts`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ldngraph.atomic import atomic_paths, write_text_atomic
from ldngraph.errors import DataError, DraftError
from ldngraph.ingest.curated import (
    DRAFTS_DIR,
    FILES,
    find_draft_problems,
    get_empty_required,
    parse_yaml,
    read_knowledge_base,
)
from ldngraph.ingest.pubmed import PubMedRecord
from ldngraph.ingest.registry import RegistryRecord
from ldngraph.limits import read_input_bytes
from ldngraph.model import NCT_RE, PMID_RE, EntityKind, KnowledgeBase

#: PubMed publication types -> design, strongest first (the first that a record carries wins).
PUBLICATION_TYPE_DESIGNS: tuple[tuple[str, str], ...] = (
    ("meta-analysis", "meta_analysis"),
    ("systematic review", "systematic_review"),
    ("randomized controlled trial", "rct"),
    ("controlled clinical trial", "controlled_trial"),
    ("observational study", "prospective_cohort"),
    ("case reports", "case_report"),
    ("review", "narrative_review"),
    ("comment", "commentary"),
    ("editorial", "commentary"),
    ("letter", "commentary"),
)
HUMAN = "NCBITaxon:9606"
_DRAFT_ID_RE = re.compile(r"^(pmid-\d{1,9}|nct\d{8})\Z")


def parse_record_id(text: str) -> tuple[str, str]:
    """``('pmid', digits)`` or ``('nct', 'NCT01234567')`` from PMID:1, pmid-1, 1 or NCT01234567."""
    value = text.strip()
    upper = value.upper()
    if NCT_RE.match(upper):
        return "nct", upper
    digits = re.sub(r"^(PMID[:\-]?)", "", upper)
    if PMID_RE.match(digits):
        return "pmid", digits
    raise DraftError(f"'{text}': not a PMID (digits, PMID:123) or an NCT number (NCT01234567)")


def get_draft_id(kind: str, value: str) -> str:
    return f"pmid-{value}" if kind == "pmid" else value.lower()


def guess_design(publication_types: Sequence[str]) -> str | None:
    """The design the first matching publication type suggests (:data:`PUBLICATION_TYPE_DESIGNS`)."""
    names = {t.strip().lower() for t in publication_types}
    return next((design for name, design in PUBLICATION_TYPE_DESIGNS if name in names), None)


def _study_id(kb: KnowledgeBase, surname: str | None, year: int | None, fallback: str) -> str:
    base = re.sub(r"[^a-z0-9]", "", (surname or "").lower())
    base = f"{base}{year}" if base and year else fallback
    taken = set(kb.study_index)
    sid, n = base, 1
    while sid in taken:
        n += 1
        sid = f"{base}-{n}"
    return sid


def match_conditions(kb: KnowledgeBase, names: Sequence[str]) -> list[str]:
    """CURIEs of the graph's conditions whose label or synonym is one of ``names`` (case-insensitive)."""
    wanted = {n.strip().lower() for n in names}
    return [
        e.id
        for e in kb.entities
        if e.kind is EntityKind.condition and wanted & {x.strip().lower() for x in (e.label, *e.synonyms)}
    ]


def draft_from_pubmed(record: PubMedRecord, kb: KnowledgeBase, *, today: str) -> dict[str, Any]:
    """A draft (as YAML-ready data) of the study a PubMed record reports."""
    review: list[str] = []
    design = guess_design(record.publication_type_names)
    mesh = [h.descriptor for h in record.mesh_headings]
    population = "human" if "Humans" in mesh else ("animal" if "Animals" in mesh else None)
    if population is None and design is not None and design not in ("commentary",):
        population = "human"  # a trial, review or case report of LDN in people
    if design:
        review.append("study.design")
        review += [f"study.{k}" for k in _design_flags(design)]
    if population:
        review.append("study.population")
    surname = record.authors[0].split(" ")[0] if record.authors else None
    sid = _study_id(kb, surname, record.year, f"pmid{record.pmid}")
    pub: dict[str, Any] = {"id": f"PMID:{record.pmid}", "pmid": record.pmid}
    if record.doi:
        pub["doi"] = record.doi
    if record.pmcid:
        pub["pmcid"] = record.pmcid
    pub.update(
        {
            "title": (record.title or "").rstrip("."),
            "authors": list(record.authors),
            "journal": record.journal,
            "year": record.year,
            "publication_types": list(record.publication_type_names),
            # PMID and title come together in PubMed's own record
            "status": "verified",
            "sources": [f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid}/"],
        }
    )
    study = _study(sid, f"{surname or 'PMID ' + record.pmid} {record.year or ''}".strip(), design, population)
    study["year"] = record.year
    study["publications"] = [f"PMID:{record.pmid}"]
    registries = record.registry_ids
    if registries:
        study["registry"] = registries[0]
    conditions = [h.descriptor for h in record.mesh_headings if h.major]
    head = _head(get_draft_id("pmid", record.pmid), f"PMID:{record.pmid}", "PubMed record", today)
    head.update(
        {
            "registry_ids": list(registries),
            "conditions": conditions,
            "graph_conditions": match_conditions(kb, mesh),
            "needs_review": review,
        }
    )
    return {"draft": head, "publications": [pub], "studies": [study], "evidence": []}


def draft_from_registry(record: RegistryRecord, kb: KnowledgeBase, *, today: str) -> dict[str, Any]:
    """A draft of the study a ClinicalTrials.gov record registers (no publication yet)."""
    review: list[str] = []
    design = None
    if record.study_type == "INTERVENTIONAL" and record.allocation == "RANDOMIZED":
        design = "rct"
    elif record.study_type == "INTERVENTIONAL" and record.allocation == "NON_RANDOMIZED":
        design = "controlled_trial"
    study = _study(record.nct_id.lower(), record.title or record.nct_id, design, "human")
    if design:
        review += ["study.design", *(f"study.{k}" for k in _design_flags(design))]
    review.append("study.population")
    if record.masking:
        study["blinded"] = record.masking != "NONE"
        review.append("study.blinded")
    study["registry"] = record.nct_id
    if record.enrollment is not None and record.enrollment_actual and record.enrollment > 0:
        study["n"] = record.enrollment  # the registry's ACTUAL enrolment; an anticipated one is no n
        review.append("study.n")
    study["publications"] = []
    facts = [
        f"registry: {record.status or 'status unknown'}",
        f"phase {', '.join(record.phases)}" if record.phases else "",
        f"allocation {record.allocation}" if record.allocation else "",
        f"masking {record.masking}" if record.masking else "",
        (
            f"enrolment {record.enrollment} ({'actual' if record.enrollment_actual else 'anticipated'})"
            if record.enrollment is not None
            else ""
        ),
        f"completion {record.completion_date}" if record.completion_date else "",
        "results posted" if record.has_results else "no results posted",
    ]
    study["notes"] = "; ".join(f for f in facts if f)
    head = _head(get_draft_id("nct", record.nct_id), record.nct_id, "ClinicalTrials.gov record", today)
    head.update(
        {
            "registry_ids": [record.nct_id],
            "conditions": list(record.conditions),
            "graph_conditions": match_conditions(kb, record.conditions),
            "result_pmids": list(record.result_pmids),
            "needs_review": review,
        }
    )
    return {"draft": head, "publications": [], "studies": [study], "evidence": []}


def _head(did: str, record: str, what: str, today: str) -> dict[str, Any]:
    return {"id": did, "record": record, "from": f"{what} in the embedded database", "written": today}


def _design_flags(design: str) -> dict[str, bool]:
    """What a design implies about randomisation and control (guessed with it)."""
    if design in ("rct", "crossover_rct"):
        return {"randomised": True, "controlled": True}
    return {"controlled": True} if design == "controlled_trial" else {}


def _study(sid: str, label: str, design: str | None, population: str | None) -> dict[str, Any]:
    study: dict[str, Any] = {"id": sid, "label": label, "design": design, "population": population}
    if population == "human":
        study["species"] = HUMAN
    study.update(_design_flags(design or ""))
    # never guessed: the curator reads them in the full text
    study.update({"n": None, "outcomes": [], "risk_of_bias": None, "comparator": None})
    return study


_HEADER = """\
# Draft written by `ldngraph draft {record}` on {written}
# from the {what}; it is NOT in the graph.
# Fill every empty field from the full text (n, outcomes with their effects and estimates, risk of
# bias, comparator); check each field listed under needs_review and remove it from the list; add
# evidence items ({{claim: ID, direction: supports|refutes, outcome: CURIE, note: ...}}) for the
# claims of data/claims.yaml this study bears on. Optional fields may be deleted. Then run:
#   ldngraph draft accept {did}
# Until then every command that builds the graph from data/ refuses (data/README.md).
"""


def to_draft_text(draft: Mapping[str, Any]) -> str:
    head = draft["draft"]
    text = _HEADER.format(record=head["record"], written=head["written"], what=head["from"], did=head["id"])
    body = yaml.safe_dump(
        dict(draft), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return text + body


def write_draft(data_dir: Path, draft: Mapping[str, Any], kb: KnowledgeBase) -> Path:
    """Write ``draft`` to ``data_dir/drafts/<id>.yaml`` (atomically); refuse a record already in
    data/ or already drafted."""
    head = draft["draft"]
    for pub in draft.get("publications") or []:
        if pub["id"] in kb.publication_index:
            raise DraftError(
                f"{head['record']}: already in data/publications.yaml as {pub['id']}; nothing to draft"
            )
    nct = head["record"] if NCT_RE.match(head["record"]) else None
    if nct and (owner := next((s.id for s in kb.studies if s.registry == nct), None)):
        raise DraftError(f"{nct}: already in data/studies.yaml (study '{owner}'); nothing to draft")
    path = Path(data_dir) / DRAFTS_DIR / f"{head['id']}.yaml"
    if path.exists():
        raise DraftError(f"{path}: a draft of {head['record']} exists; edit it, or delete it to start again")
    path.parent.mkdir(exist_ok=True)
    return write_text_atomic(path, to_draft_text(draft))


# -- accepting -------------------------------------------------------------------------------------


def read_draft(path: Path) -> dict[str, Any]:
    problems: list[str] = []
    try:
        raw = read_input_bytes(path, str(path))
    except OSError as exc:
        raise DraftError(f"{path}: cannot read ({exc.strerror})") from None
    data, _ = parse_yaml(raw, str(path), problems)
    if problems:
        raise DraftError(problems[0])
    if not isinstance(data, dict) or not isinstance(data.get("draft"), dict):
        raise DraftError(f"{path}: not a draft (no 'draft:' header); write drafts with 'ldngraph draft'")
    unknown = set(data) - {"draft", "publications", "studies", "evidence"}
    if unknown:
        raise DraftError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; remove them")
    return data


def _dump_items(items: list[Any], indent: int) -> str:
    text = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    pad = " " * indent
    return "".join(f"{pad}{line}\n" if line else "\n" for line in text.splitlines())


def _last_end(node: yaml.Node) -> int:
    """Where the text of ``node`` really ends: the end of its last scalar (a block collection's own
    end mark lies at the next token, after any comments that belong to what follows)."""
    while True:
        if isinstance(node, yaml.MappingNode) and node.value:
            node = node.value[-1][1]
        elif isinstance(node, yaml.SequenceNode) and node.value:
            node = node.value[-1]
        else:
            return int(node.end_mark.index)


def _insert_at_end(raw: str, seq: yaml.Node, items: list[Any]) -> tuple[int, str]:
    """(offset, text) that appends ``items`` to the block sequence ``seq`` of ``raw``, after its
    last item's last line, indented like its items."""
    if not (isinstance(seq, yaml.SequenceNode) and seq.value and not seq.flow_style):
        raise DraftError("cannot append to an empty or flow-style list; write it as a block list first")
    indent = max(0, seq.value[-1].start_mark.column - 2)
    end = _last_end(seq.value[-1])
    if end > 0 and raw[end - 1] == "\n":
        at = end
    else:
        newline = raw.find("\n", end)
        at = len(raw) if newline < 0 else newline + 1
    prefix = "" if at == 0 or raw[at - 1] == "\n" else "\n"
    return at, prefix + _dump_items(items, indent)


def _clean(entry: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the fields a curator left empty on purpose (optional ones: the loader's defaults)."""
    return {k: v for k, v in entry.items() if not (v is None or v == [] or v == {})}


def merged_texts(data_dir: Path, draft: Mapping[str, Any]) -> dict[str, str]:
    """The new text of publications.yaml, studies.yaml and claims.yaml with the draft appended."""
    texts: dict[str, str] = {}
    adds = {
        "publications.yaml": [_clean(p) for p in draft.get("publications") or []],
        "studies.yaml": [_clean(s) for s in draft.get("studies") or []],
    }
    for name, items in adds.items():
        raw = (Path(data_dir) / name).read_text(encoding="utf-8")
        if not items:
            continue
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
        key = FILES[name][0]
        seq = next(v for k, v in node.value if k.value == key) if isinstance(node, yaml.MappingNode) else None
        if seq is None:
            raise DraftError(f"{data_dir / name}: no '{key}:' list to add the draft to")
        at, text = _insert_at_end(raw, seq, items)
        texts[name] = raw[:at] + text + raw[at:]
    evidence = draft.get("evidence") or []
    if evidence:
        raw = (Path(data_dir) / "claims.yaml").read_text(encoding="utf-8")
        node = yaml.compose(raw, Loader=yaml.SafeLoader)
        if not isinstance(node, yaml.MappingNode):
            raise DraftError(f"{data_dir / 'claims.yaml'}: no 'claims:' list to add evidence to")
        claims = {
            next((v.value for k, v in c.value if k.value == "id"), None): c
            for c in next(v for k, v in node.value if k.value == "claims").value
        }
        edits: list[tuple[int, str]] = []
        for item in evidence:
            if not isinstance(item, Mapping) or not item.get("claim"):
                raise DraftError(f"evidence: each item names its claim (claim: ID); got {item!r}")
            claim = claims.get(str(item["claim"]))
            if claim is None:
                raise DraftError(f"evidence: claim '{item['claim']}' is not in data/claims.yaml; fix the id")
            seq = next(v for k, v in claim.value if k.value == "evidence")
            entry = {k: v for k, v in _clean(item).items() if k != "claim"}
            if "study" not in entry and len(draft.get("studies") or []) == 1:
                entry = {"study": draft["studies"][0].get("id"), **entry}  # the draft's one study
            edits.append(_insert_at_end(raw, seq, [entry]))
        for at, text in sorted(edits, key=lambda e: e[0], reverse=True):
            raw = raw[:at] + text + raw[at:]
        texts["claims.yaml"] = raw
    return texts


def _set_fields(raw: str, item: yaml.Node, fields: Mapping[str, str]) -> list[tuple[int, int, str]]:
    """Edits of ``raw`` that set plain scalar ``fields`` in the mapping ``item`` (replaced in place,
    or added after its first line), keeping everything else as written."""
    assert isinstance(item, yaml.MappingNode) and item.value
    keys = {k.value: v for k, v in item.value}
    first = item.value[0][0]
    edits = []
    for key, value in fields.items():
        if key in keys:
            edits.append((keys[key].start_mark.index, keys[key].end_mark.index, value))
        else:
            at = raw.find("\n", first.start_mark.index) + 1
            edits.append((at, at, f"{' ' * first.start_mark.column}{key}: {value}\n"))
    return edits


def _apply(raw: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, text in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        raw = raw[:start] + text + raw[end:]
    return raw


def _items(raw: str, key: str) -> list[yaml.Node]:
    node = yaml.compose(raw, Loader=yaml.SafeLoader)
    if not isinstance(node, yaml.MappingNode):
        return []
    seq = next((v for k, v in node.value if k.value == key), None)
    return list(seq.value) if isinstance(seq, yaml.SequenceNode) else []


def _field(item: yaml.Node, key: str) -> Any:
    if not isinstance(item, yaml.MappingNode):
        return None
    node = next((v for k, v in item.value if k.value == key), None)
    if isinstance(node, yaml.SequenceNode):
        return [n.value for n in node.value if isinstance(n, yaml.ScalarNode)]
    return node.value if isinstance(node, yaml.ScalarNode) else None


def linked_texts(data_dir: Path, draft: Mapping[str, Any]) -> dict[str, str]:
    """The screening log and registrations with the accepted study linked: a ``candidate`` record of
    the draft's record (PMID, DOI or NCT number) becomes ``included`` with the study id; a
    registration of the study's registry id with no study gets it."""
    from ldngraph.ingest.registrations import REGISTRATIONS_FILE
    from ldngraph.ingest.screening import SCREENING_FILE

    studies = draft.get("studies") or []
    if not studies:
        return {}
    sid, registry = str(studies[0]["id"]), studies[0].get("registry")
    idents = {str(draft["draft"].get("record", "")).upper()}
    for pub in draft.get("publications") or []:
        idents |= {str(pub.get("id", "")).upper(), f"DOI:{pub.get('doi', '')}".upper()}
    if registry:
        idents.add(str(registry).upper())
    texts: dict[str, str] = {}
    path = Path(data_dir) / SCREENING_FILE
    if path.is_file():
        raw = path.read_text(encoding="utf-8")
        edits = [
            e
            for item in _items(raw, "records")
            if _field(item, "decision") == "candidate"
            and idents & {str(i).upper() for i in _field(item, "identifiers") or []}
            for e in _set_fields(raw, item, {"decision": "included", "study": sid})
        ]
        if edits:
            texts[SCREENING_FILE] = _apply(raw, edits)
    path = Path(data_dir) / REGISTRATIONS_FILE
    if registry and path.is_file():
        raw = path.read_text(encoding="utf-8")
        edits = [
            e
            for item in _items(raw, "registrations")
            if _field(item, "id") == registry and _field(item, "study") in (None, "null", "")
            for e in _set_fields(raw, item, {"study": sid})
        ]
        if edits:
            texts[REGISTRATIONS_FILE] = _apply(raw, edits)
    return texts


def accept_draft(data_dir: Path, draft_id: str) -> dict[str, Any]:
    """Validate the draft ``draft_id`` and move it into data/ (module docstring); returns what was added."""
    data_dir = Path(data_dir)
    if not _DRAFT_ID_RE.match(draft_id):
        raise DraftError(f"'{draft_id}': not a draft id (pmid-123 or nct01234567); see 'ldngraph draft list'")
    path = data_dir / DRAFTS_DIR / f"{draft_id}.yaml"
    if not path.is_file():
        raise DraftError(f"{path}: no such draft; write one with 'ldngraph draft PMID|NCT'")
    draft = read_draft(path)
    pending = [p for p in find_draft_problems(data_dir) if p.startswith(str(path)) or f"/{path.name}:" in p]
    if pending and "is complete" not in pending[0]:
        raise DraftError(pending[0])
    if get_empty_required(draft) or draft["draft"].get("needs_review"):
        raise DraftError(f"{path}: not complete; see 'ldngraph draft list'")
    kb = read_knowledge_base(data_dir, drafts=False)
    for pub in draft.get("publications") or []:
        if pub.get("id") in kb.publication_index:
            raise DraftError(
                f"{path}: publication id '{pub['id']}' is already in data/publications.yaml; "
                "nothing to add (delete the draft) or fix the id"
            )
    for study in draft.get("studies") or []:
        if study.get("id") in kb.study_index:
            raise DraftError(
                f"{path}: study id '{study['id']}' is already in data/studies.yaml; rename it in the "
                "draft (studies and evidence) or delete the draft"
            )
    texts = {**merged_texts(data_dir, draft), **linked_texts(data_dir, draft)}
    _validate(data_dir, texts, path)
    targets = [data_dir / name for name in texts]
    with atomic_paths(*targets) as temps:
        for tmp, name in zip(temps, texts, strict=True):
            tmp.write_text(texts[name], encoding="utf-8")
    path.unlink()
    return {
        "draft": draft_id,
        "record": draft["draft"].get("record"),
        "publications": [p["id"] for p in draft.get("publications") or []],
        "studies": [s["id"] for s in draft.get("studies") or []],
        "evidence": [f"{e['claim']}: {e.get('direction', '')}" for e in draft.get("evidence") or []],
        "files": sorted(texts),
    }


def _validate(data_dir: Path, texts: Mapping[str, str], draft: Path) -> None:
    """Read data/ with the new texts through the loaders' validators, in a scratch copy."""
    from ldngraph.ingest.registrations import (
        REGISTRATIONS_FILE,
        check_against_knowledge_base,
        read_registrations,
    )
    from ldngraph.ingest.screening import SCREENING_FILE, check_against_studies, read_screening_log

    with tempfile.TemporaryDirectory(prefix="ldngraph-draft-") as scratch:
        tmp = Path(scratch)
        for name in (*FILES, SCREENING_FILE, REGISTRATIONS_FILE, "evidence-profile.yaml"):
            if (data_dir / name).is_file():
                shutil.copyfile(data_dir / name, tmp / name)
        for name, text in texts.items():
            (tmp / name).write_text(text, encoding="utf-8")
        try:
            kb = read_knowledge_base(tmp, drafts=False)
            if (tmp / SCREENING_FILE).is_file():
                log = read_screening_log(tmp / SCREENING_FILE)
                if problems := check_against_studies(log, (s.id for s in kb.studies)):
                    raise DataError(problems)
            if (tmp / REGISTRATIONS_FILE).is_file():
                regs = read_registrations(tmp / REGISTRATIONS_FILE)
                if problems := check_against_knowledge_base(regs, kb, str(tmp / REGISTRATIONS_FILE)):
                    raise DataError(problems)
        except DataError as exc:
            first = exc.problems[0].replace(f"{tmp}/", f"{data_dir}/") if exc.problems else "invalid"
            more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
            raise DraftError(
                f"{draft}: data/ would not validate with it: {first}{more}; fix the draft"
            ) from None


def list_drafts(data_dir: Path) -> list[str]:
    """One line per draft: what it still needs (the lines every reading command refuses with)."""
    return find_draft_problems(Path(data_dir))


def today() -> str:
    return date.today().isoformat()
