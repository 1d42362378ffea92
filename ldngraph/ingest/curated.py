"""Read and validate the curated YAML in data/.

Every problem is reported with file, line, record and field, all in one pass:
``data/studies.yaml:42: study 'smith2011': design 'rtc' is not one of rct, crossover_rct, ...``.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ldngraph.errors import DataError
from ldngraph.limits import DEPTH, LimitError, read_input_bytes
from ldngraph.model import (
    Claim,
    Entity,
    KnowledgeBase,
    Publication,
    SourceDocument,
    Study,
    find_problems,
)

#: file name -> (top-level key, record kind, model)
FILES: dict[str, tuple[str, str, type[BaseModel]]] = {
    "entities.yaml": ("entities", "entity", Entity),
    "publications.yaml": ("publications", "publication", Publication),
    "studies.yaml": ("studies", "study", Study),
    "claims.yaml": ("claims", "claim", Claim),
    "sources.yaml": ("sources", "source", SourceDocument),
}

logger = logging.getLogger(__name__)


@dataclass
class _Located:
    """Where a record and each of its top-level fields start (1-based lines)."""

    path: str
    line: int
    fields: dict[str, int] = field(default_factory=dict)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _find_duplicate_key(root: yaml.Node | None) -> yaml.ScalarNode | None:
    """The first repeated key of any mapping: PyYAML silently keeps the last value of a repeat."""
    seen_nodes: set[int] = set()  # aliases share nodes; visit each once (no alias-bomb blow-up)
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        return key
                    keys.add(key.value)
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def _read_yaml(path: Path, problems: list[str]) -> tuple[Any, yaml.Node | None]:
    shown = _display(path)
    try:
        raw = read_input_bytes(path, shown)
    except LimitError as exc:
        problems.append(str(exc))
        return None, None
    except OSError as exc:
        problems.append(f"{shown}: cannot read ({exc.strerror})")
        return None, None
    return parse_yaml(raw, shown, problems)


#: YAML's tag of whole numbers; a longer one is refused (Python refuses past 4,300 digits anyway).
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"
#: A plain scalar that starts like a number: checked for overflow (``1e400`` becomes infinity).
_NUMBER_START = re.compile(r"^[-+]?\.?[0-9]")
_MAX_INT_DIGITS = 18
#: Control characters other than tab and line ends: a YAML escape such as "\e" or "\0" could put
#: a terminal escape sequence in a label, or a character XML (GraphML) cannot hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _number_problem(node: yaml.Node) -> str | None:
    """A plain number YAML 1.1 reads in a way nobody meant (issue 27 F20): base 60
    (``n: 190:20:30`` is 685,230), infinity or NaN (``.inf``, ``.nan``) or a float past the range
    of a double (``1e400`` becomes infinity); else None."""
    value = node.value
    if not isinstance(value, str) or getattr(node, "style", None) not in (None, ""):
        return None  # quoted or block strings are strings (a plain scalar's style: None, or "" in libyaml)
    if node.tag in (_INT_TAG, _FLOAT_TAG) and ":" in value:
        return (
            f"'{value}' is a YAML 1.1 base-60 number; quote it if it is text, or write the number in base 10"
        )
    if node.tag == _FLOAT_TAG and value.lstrip("+-").lower() in (".inf", ".nan"):
        return f"'{value}' is not a finite number; give a number"
    if node.tag != _INT_TAG and _NUMBER_START.match(value):  # long whole numbers: see below
        try:
            number = float(value.replace("_", ""))
        except ValueError:
            return None
        if not math.isfinite(number):
            return f"'{value}' is too large for a number (it would be infinity); give a number"
    return None


def _shape_problem(root: yaml.Node | None) -> tuple[yaml.Node, str] | None:
    """An alias (``*name``: a YAML bomb multiplies a value by reference), a merge key (``<<``),
    nesting deeper than :data:`ldngraph.limits.DEPTH`, a whole number too long to be a count or a
    year, or a number YAML 1.1 reads wrongly (:func:`_number_problem`); else None."""
    depth_cap = DEPTH.as_int()
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            return node, "YAML aliases (*name) are not allowed in ldngraph files; write the value out"
        seen.add(id(node))
        if depth > depth_cap:
            return node, f"nested more than {depth_cap} levels deep ({DEPTH.hint()})"
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.tag == _MERGE_TAG:
                    return key, "YAML merge keys (<<) are not allowed in ldngraph files; write the fields out"
                stack.extend([(key, depth + 1), (value, depth + 1)])
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
        elif (number := _number_problem(node)) is not None:
            return node, number
        elif isinstance(node.value, str) and (bad := _CONTROL.search(node.value)):
            code = ord(bad.group())
            return node, f"control character U+{code:04X} (a YAML escape) not allowed in a value; remove it"
        elif node.tag == _INT_TAG and len(str(node.value).lstrip("+-0")) > _MAX_INT_DIGITS:
            return node, f"a whole number of {len(str(node.value))} digits is not a count or a year; fix it"
    return None


_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _reader_problem(exc: yaml.reader.ReaderError, text: str, shown: str) -> str:
    lineno = text.count("\n", 0, exc.position) + 1
    code = exc.character if isinstance(exc.character, int) else ord(exc.character)
    return f"{shown}:{lineno}: control character U+{code:04X} is not allowed in YAML; remove it"


def parse_yaml(raw: bytes, shown: str, problems: list[str]) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document strictly: UTF-8 only, no control characters, no repeated key.

    Returns ``(data, node)``; on a problem appends one line naming ``shown`` (and the line) to
    ``problems`` and returns ``(None, None)``. Also used for the evidence profile.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{shown}: not valid UTF-8 (byte offset {exc.start}); save the file as UTF-8")
        return None, None
    # libyaml's parser (CSafeLoader) when PyYAML was built with it: ~10x faster than the pure-Python
    # one, with the same nodes, marks and errors (the pure-Python reader checks characters up front).
    try:
        loader = _LOADER(text)
    except yaml.reader.ReaderError as exc:  # a control character such as NUL (found by fuzzing)
        problems.append(_reader_problem(exc, text, shown))
        return None, None
    try:
        node = loader.get_single_node()
        shape = _shape_problem(node)
        if shape is not None:
            problems.append(f"{shown}:{shape[0].start_mark.line + 1}: {shape[1]}")
            return None, None
        duplicate = _find_duplicate_key(node)
        if duplicate is not None:
            problems.append(
                f"{shown}:{duplicate.start_mark.line + 1}: duplicate key '{duplicate.value}' "
                "(YAML keeps only the last one); remove or rename one of them"
            )
            return None, None
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:  # libyaml meets the bad character while parsing
        problems.append(_reader_problem(exc, text, shown))
        return None, None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"{mark.line + 1}" if mark else "?"
        problem = " ".join(str(exc.problem).split())
        if "maximum nesting depth" in problem:  # libyaml's own guard, before ours can see the nodes
            problems.append(
                f"{shown}:{line}: nested too deeply to parse ({DEPTH.hint()}); flatten the structure"
            )
        else:
            problems.append(f"{shown}:{line}: YAML syntax error: {problem}; fix the syntax at that line")
        return None, None
    except yaml.YAMLError as exc:
        problems.append(f"{shown}: YAML error: {' '.join(str(exc).split())}")
        return None, None
    except RecursionError:
        problems.append(f"{shown}: nested too deeply to parse ({DEPTH.hint()}); flatten the structure")
        return None, None
    finally:
        loader.dispose()
    return data, node


def _enum_names(annotation: Any) -> str | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return ", ".join(str(m.value) for m in annotation)
    return None


def _describe(err: Mapping[str, Any]) -> str:
    loc = ".".join(str(part) for part in err["loc"]) or "record"
    kind = err["type"]
    value = err.get("input")
    if kind == "enum":
        expected = err.get("ctx", {}).get("expected", "")
        allowed = expected.replace("'", "").replace(" or ", ", ")
        return f"{loc} '{value}' is not one of {allowed}"
    if kind == "missing":
        return f"{loc}: required field is missing"
    if kind == "extra_forbidden":
        return f"{loc}: unknown field (check the spelling against the data format in data/README.md)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind == "value_error":
        # Model validators name the field themselves ("title: ..."); a message that starts with a
        # quoted CURIE ("'FMA:1' has unknown prefix") does not, so test for a trailing colon.
        if msg.split(" ")[0].endswith(":"):
            # nested records (e.g. outcomes.0.estimate) keep their path before the field they name
            return f"{loc}.{msg}" if err["loc"] else msg
        return f"{loc}: {msg}"
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return f"{loc}: {msg} (got {shown})"


def _records(path: Path, key: str, problems: list[str]) -> list[tuple[dict[str, Any], _Located]]:
    shown = _display(path)
    data, node = _read_yaml(path, problems)
    if node is None:
        if data is None and not any(p.startswith(shown) for p in problems):
            problems.append(f"{shown}: file is empty; expected a mapping with the key '{key}:'")
        return []
    if not isinstance(data, dict):
        problems.append(f"{shown}:1: expected a mapping with the key '{key}:' at the top")
        return []
    assert isinstance(node, yaml.MappingNode)
    unknown = [k for k in node.value if isinstance(k[0], yaml.ScalarNode) and k[0].value != key]
    if unknown:
        # A misspelt second block (`studdies:`) would otherwise be ignored without a word.
        first = unknown[0][0]
        problems.append(
            f"{shown}:{first.start_mark.line + 1}: unknown top-level key '{first.value}'; "
            f"expected a mapping with the key '{key}:' only (check the spelling)"
        )
        return []
    if key not in data:
        problems.append(f"{shown}:1: expected a mapping with the key '{key}:' at the top")
        return []
    items = data[key] or []
    if not isinstance(items, list):
        problems.append(f"{shown}:1: '{key}' must be a list of records")
        return []
    seq_node = next(v for k, v in node.value if k.value == key)
    out: list[tuple[dict[str, Any], _Located]] = []
    for i, item in enumerate(items):
        item_node = seq_node.value[i] if isinstance(seq_node, yaml.SequenceNode) else seq_node
        loc = _Located(shown, item_node.start_mark.line + 1)
        if not isinstance(item, dict):
            problems.append(f"{shown}:{loc.line}: {key}[{i}]: each record must be a mapping")
            continue
        if isinstance(item_node, yaml.MappingNode):
            loc.fields = {k.value: k.start_mark.line + 1 for k, _ in item_node.value}
            for k, v in item_node.value:  # list members too: "evidence[2]" -> the line of that item
                if isinstance(v, yaml.SequenceNode):
                    for j, member in enumerate(v.value):
                        loc.fields[f"{k.value}[{j}]"] = member.start_mark.line + 1
        out.append((item, loc))
    return out


# -- drafts (issue 25) -----------------------------------------------------------------------------

#: Drafts written by ``ldngraph draft`` live here, under the data directory; the graph never reads them.
DRAFTS_DIR = "drafts"
_PRIMARY_HUMAN = frozenset({"rct", "crossover_rct", "controlled_trial", "prospective_cohort", "pre_post",
                            "retrospective_cohort", "case_series", "case_report"})  # fmt: skip
_CONTROLLED = frozenset({"rct", "crossover_rct", "controlled_trial"})


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def get_empty_required(data: Mapping[str, Any]) -> list[str]:
    """The required fields a draft leaves empty (``study.n``, ``publication.title`` ...).

    Beyond the schema's own required fields, a draft of a human primary study needs ``n`` and at
    least one outcome, and a controlled one a risk-of-bias block: ``ldngraph draft`` never fills
    them, a curator does (README, 'Keeping the evidence current').
    """
    empty: list[str] = []
    pubs = data.get("publications") or []
    studies = data.get("studies") or []
    if not studies:
        empty.append("studies")
    for pub in pubs if isinstance(pubs, list) else []:
        if isinstance(pub, Mapping):
            empty += [
                f"publication.{k}" for k in ("id", "title", "year", "status", "sources") if _empty(pub.get(k))
            ]
    for study in studies if isinstance(studies, list) else []:
        if not isinstance(study, Mapping):
            continue
        design = study.get("design")
        needed = ["id", "label", "design", "population", "publications"]
        if design in _PRIMARY_HUMAN and study.get("population") == "human":
            needed += ["n", "outcomes"]
            if design in _CONTROLLED or study.get("controlled") is True:
                needed += ["risk_of_bias"]
        empty += [f"study.{k}" for k in needed if _empty(study.get(k))]
    return empty


def find_draft_problems(data_dir: Path) -> list[str]:
    """One line per draft in ``data_dir/drafts/``: a draft never enters the graph, so every command
    that reads the data refuses while one is there (empty required fields, fields still to review,
    or complete and waiting for ``ldngraph draft accept``)."""
    folder = Path(data_dir) / DRAFTS_DIR
    if not folder.is_dir():
        return []
    problems: list[str] = []
    for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        shown = _display(path)
        parse: list[str] = []
        data, _ = _read_yaml(path, parse)
        if parse or not isinstance(data, dict) or not isinstance(data.get("draft"), dict):
            problems.append(
                f"{shown}: not a readable draft ({'; '.join(parse) or 'no draft: header'}); "
                "fix it or delete it"
            )
            continue
        head = data["draft"]
        did, record = head.get("id", path.stem), head.get("record", "?")
        empty = get_empty_required(data)
        review = [str(v) for v in head.get("needs_review") or []]
        if empty or review:
            parts = ([f"empty required fields {', '.join(empty)}"] if empty else []) + (
                [f"needs_review {', '.join(review)}"] if review else []
            )
            problems.append(
                f"{shown}: draft of {record}: {'; '.join(parts)}; fill them from the full text, clear "
                f"needs_review, then run 'ldngraph draft accept {did}' (or delete the draft)"
            )
        else:
            problems.append(
                f"{shown}: draft of {record} is complete but not in data/ yet; run 'ldngraph draft accept "
                f"{did}' (or delete the draft)"
            )
    return problems


def read_knowledge_base(data_dir: Path, *, drafts: bool = True) -> KnowledgeBase:
    """Read every curated file in ``data_dir`` and return a cross-checked :class:`KnowledgeBase`.

    Raises :class:`DataError` listing every problem found. ``drafts`` (default): refuse while
    ``data_dir/drafts/`` holds a draft (:func:`find_draft_problems`); only the commands that make
    and accept drafts, ``watch`` and ``triage`` read past them.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError([f"{data_dir}: data directory not found; pass --data DIR or create it"])
    if drafts and (pending := find_draft_problems(data_dir)):
        raise DataError(pending)
    logger.info("reading data from %s", data_dir.resolve())
    problems: list[str] = []
    parsed: dict[str, list[Any]] = {key: [] for key, _, _ in FILES.values()}
    where: dict[tuple[str, str], _Located] = {}
    for name, (key, kind, model) in FILES.items():
        path = data_dir / name
        if not path.exists():
            if key in {"entities", "publications", "studies", "claims"}:
                problems.append(f"{_display(path)}: missing; every data directory needs {name}")
            continue
        for i, (raw, loc) in enumerate(_records(path, key, problems)):
            rid = str(raw.get("id", f"#{i + 1}"))
            where[(kind, rid)] = loc
            try:
                parsed[key].append(model.model_validate(raw))
            except ValidationError as exc:
                for err in exc.errors():
                    first = str(err["loc"][0]) if err["loc"] else ""
                    line = loc.fields.get(first, loc.line)
                    problems.append(f"{loc.path}:{line}: {kind} '{rid}': {_describe(err)}")
    if problems:
        raise DataError(problems)
    kb = KnowledgeBase(**{k: tuple(v) for k, v in parsed.items()})
    for kind, rid, fld, message in find_problems(kb):
        found = where.get((kind, rid))
        head = fld.split(".")[0]
        line = found.fields.get(head, found.fields.get(head.split("[")[0], found.line)) if found else 0
        prefix = f"{found.path}:{line}" if found else kind
        problems.append(f"{prefix}: {kind} '{rid}': {fld}: {message}")
    if problems:
        raise DataError(problems)
    return kb


def summarise_problems(problems: Sequence[str], limit: int = 20) -> str:
    """At most ``limit`` problems, one a line, with a count of the rest."""
    shown = list(problems[:limit])
    if len(problems) > limit:
        shown.append(f"... and {len(problems) - limit} more")
    return "\n".join(shown)
