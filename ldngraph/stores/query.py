"""Named SPARQL queries (queries/*.rq) with typed, bound parameters.

Each .rq file opens with a comment block::

    # Purpose: what the query answers (may continue on indented lines).
    # Parameters:
    #   condition (entity, required): the condition, as CURIE, label or synonym
    #   min_strength (double, optional): lowest claim strength to list
    #   certainty (string, optional): only claims of this certainty
    #     one of: high | moderate | low | very_low
    # Columns: condition, label, strength

A parameter that takes a closed set of values declares them on the following ``one of:`` line(s);
any other value is refused with :class:`QueryError` naming the parameter and the allowed values
(a typo must not look like "no rows").

Parameter values are never pasted into query text: each becomes a typed rdflib term (an IRI for
an entity or claim, resolved from a CURIE, label, synonym, claim id or content hash; a literal
otherwise) and is bound with ``prepareQuery`` + ``initBindings``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS, XSD
from rdflib.plugins.sparql import prepareQuery
from rdflib.query import Result
from rdflib.term import Identifier, Node, Variable

from ldngraph.errors import QueryError
from ldngraph.limits import LimitError, read_input_bytes
from ldngraph.locations import get_queries_dir
from ldngraph.model.names import match_name
from ldngraph.rdf.vocab import LDN, NAMESPACES, from_iri
from ldngraph.stores.protocol import QueryRows, within_time_limit

if TYPE_CHECKING:
    from ldngraph.stores.store import GraphStore

#: Parameter kinds and what a value becomes.
KINDS = ("entity", "claim", "string", "double", "integer")
_PARAM_RE = re.compile(
    r"^\s*(?P<name>[a-z_][a-z0-9_]*)\s*\((?P<kind>\w+)(?:,\s*(?P<need>required|optional))?"
    r"(?:,\s*example:\s*(?P<example>[^)]*))?\)\s*:\s*(?P<text>.*)$"
)


@dataclass(frozen=True)
class QueryParam:
    name: str
    kind: str
    required: bool
    description: str
    example: str | None = None
    choices: tuple[str, ...] = ()  # the allowed values, if the header declares them ("one of:")


@dataclass(frozen=True)
class NamedQuery:
    """A query file and what its comment block declares."""

    name: str
    path: Path
    purpose: str
    parameters: tuple[QueryParam, ...]
    columns: tuple[str, ...]

    @property
    def text(self) -> str:
        return _read_text(self.path)


@dataclass(frozen=True)
class QueryResult:
    """Result rows as JSON-ready values (IRIs compressed to CURIEs where a prefix matches).

    ``terms`` holds the same rows as RDF terms (full IRIs, typed literals), for
    :meth:`to_sparql_json`.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    terms: tuple[tuple[Node | None, ...], ...] = ()

    def to_records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_sparql_json(self) -> str:
        """The rows as W3C SPARQL 1.1 Query Results JSON (full IRIs, datatypes), via rdflib."""
        result = Result("SELECT")
        result.vars = [Variable(c) for c in self.columns]
        result.bindings = [
            {Variable(c): t for c, t in zip(self.columns, row, strict=True) if t is not None}  # type: ignore[misc]
            for row in self.terms
        ]
        return result.serialize(format="json").decode("utf-8")  # type: ignore[union-attr]


#: ``GROUP_CONCAT(... ; separator="X") AS ?name`` in a query's text.
_GROUP_CONCAT_RE = re.compile(
    r"GROUP_CONCAT\s*\((?:[^()]|\([^()]*\))*?separator\s*=\s*(?P<q>[\"'])(?P<sep>.*?)(?P=q)\s*\)\s*AS\s+[?$](?P<name>\w+)",
    re.IGNORECASE,
)


def get_concat_columns(text: str) -> dict[str, str]:
    """Columns a query fills with GROUP_CONCAT -> their separator (default: one space)."""
    found = {m["name"]: m["sep"] for m in _GROUP_CONCAT_RE.finditer(text)}
    found |= {
        m.group(1): " "
        for m in re.finditer(r"GROUP_CONCAT\s*\([^;()]*\)\s*AS\s+[?$](\w+)", text, re.IGNORECASE)
    }
    return found


def _sort_concat(term: Node | None, separator: str) -> Node | None:
    # SPARQL leaves the order inside GROUP_CONCAT to the engine (rdflib, Oxigraph and Virtuoso
    # differ); sorting the parts gives the same value on every store.
    if not isinstance(term, Literal) or not separator:
        return term
    parts = sorted(str(term).split(separator))
    return Literal(separator.join(parts), lang=term.language, datatype=term.datatype)


def _to_result(query: NamedQuery, columns: tuple[str, ...], rows: Any) -> QueryResult:
    concat = get_concat_columns(query.text)
    seps = [concat.get(c) for c in columns]
    terms = tuple(
        tuple(_sort_concat(t, sep) if sep is not None else t for t, sep in zip(row, seps, strict=True))
        for row in rows
    )
    return QueryResult(columns, tuple(tuple(_to_value(t) for t in row) for row in terms), terms)


def _read_text(path: Path) -> str:
    """A query file's text: a regular UTF-8 file within :data:`ldngraph.limits.INPUT_BYTES`."""
    try:
        return read_input_bytes(path).decode("utf-8")
    except LimitError as exc:
        raise QueryError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise QueryError(f"{path}: not valid UTF-8 (byte offset {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise QueryError(f"{path}: cannot read the query ({exc.strerror})") from None


def read_query(path: Path) -> NamedQuery:
    """Parse a query file's comment block; raises :class:`QueryError` if it is missing parts."""
    lines = _read_text(path).splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line[1:].rstrip())
    purpose: list[str] = []
    params: list[QueryParam] = []
    columns: tuple[str, ...] = ()
    section = ""
    for line in header:
        stripped = line.strip()
        if stripped.startswith("Purpose:"):
            section, text = "purpose", stripped.removeprefix("Purpose:").strip()
            purpose.append(text)
        elif stripped.startswith("Parameters:"):
            section = "params"
        elif stripped.startswith("Columns:"):
            section = "columns"
            columns = tuple(c.strip() for c in stripped.removeprefix("Columns:").split(",") if c.strip())
        elif section == "purpose" and stripped:
            purpose.append(stripped)
        elif section == "params" and stripped.startswith("one of:"):
            if not params:
                raise QueryError(f"{path}: 'one of:' must follow the parameter it restricts")
            values = tuple(v.strip() for v in stripped.removeprefix("one of:").split("|") if v.strip())
            params[-1] = replace(params[-1], choices=params[-1].choices + values)
        elif section == "params" and (match := _PARAM_RE.match(line)):
            if match["kind"] not in KINDS:
                raise QueryError(f"{path}: parameter '{match['name']}' has unknown kind '{match['kind']}'")
            params.append(
                QueryParam(
                    name=match["name"],
                    kind=match["kind"],
                    required=match["need"] == "required",
                    description=match["text"].strip(),
                    example=match["example"].strip() if match["example"] else None,
                )
            )
    if not purpose or not columns:
        raise QueryError(f"{path}: the opening comment needs 'Purpose:' and 'Columns:' lines")
    return NamedQuery(path.stem, path, " ".join(purpose), tuple(params), columns)


def list_queries(directory: Path | None = None) -> list[NamedQuery]:
    """Every named query, sorted by name."""
    folder = directory or get_queries_dir()
    return [read_query(p) for p in sorted(folder.glob("*.rq"))]


def get_query(name_or_path: str | Path) -> NamedQuery:
    """A named query (``gaps``) or a query file (``my.rq``)."""
    path = Path(name_or_path)
    if path.suffix == ".rq" or path.is_file():
        if not path.is_file():
            raise QueryError(f"query file '{path}' not found")
        return read_query(path)
    known = {q.name: q for q in list_queries()}
    if str(name_or_path) not in known:
        raise QueryError(f"unknown query '{name_or_path}'; named queries: {', '.join(sorted(known))}")
    return known[str(name_or_path)]


def _entity_names(graph: Graph) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for node in graph.subjects(LDN.kind, None):
        aliases = [
            str(o) for p in (DCTERMS.identifier, RDFS.label, SKOS.altLabel) for o in graph.objects(node, p)
        ]
        names[str(node)] = aliases
    return names


def to_term(graph: Graph, param: QueryParam, value: str) -> Identifier:
    """The typed term a parameter value stands for."""
    if param.kind == "entity":
        return URIRef(match_name(value, _entity_names(graph)))
    if param.kind == "claim":
        claims = {
            str(n): [str(o) for p in (LDN.claimId, LDN.contentHash) for o in graph.objects(n, p)]
            for n in graph.subjects(LDN.claimId, None)
        }
        return URIRef(match_name(value, claims, what="claim"))
    if param.kind in {"double", "integer"}:
        return to_number(param, value)
    return Literal(value)


# Plain decimal notation only: Python's float() and int() also take 'nan', 'inf', '1_000' and
# '١٢', none of which SPARQL reads as a number.
_NUMBER_RE = {
    "double": re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z"),
    "integer": re.compile(r"^[+-]?[0-9]+\Z"),
}
#: Oxigraph and Virtuoso keep xsd:integer in 64 bits; a larger value would match nothing there.
INTEGER_LIMIT = 2**63 - 1


def to_number(param: QueryParam, value: str) -> Literal:
    """A double or integer parameter as a typed literal; NaN, infinities and overflow are refused.

    (NaN compares false with everything and 1e999 is infinity: either would silently match nothing.)
    """
    text = value.strip()
    if not _NUMBER_RE[param.kind].match(text):
        kind = "a double: a finite number such as 0.25" if param.kind == "double" else "an integer such as 3"
        raise QueryError(f"parameter '{param.name}' must be {kind} (got '{value}')")
    if param.kind == "integer":
        number = int(text)
        if abs(number) > INTEGER_LIMIT:
            raise QueryError(
                f"parameter '{param.name}': {value} is out of range; integers must lie within "
                f"+-{INTEGER_LIMIT} (64 bits)"
            )
        return Literal(number, datatype=XSD.integer)
    double = float(text)
    if not math.isfinite(double):
        raise QueryError(
            f"parameter '{param.name}' must be a double: {value} is beyond the largest (~1.8e308)"
        )
    return Literal(double, datatype=XSD.double)


def _to_value(term: Node | None) -> Any:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return from_iri(term) or str(term)
    if isinstance(term, Literal):
        value = term.toPython()
        return value if isinstance(value, int | float | bool) else str(term)
    return str(term)


def _check_params(query: NamedQuery, given: dict[str, str]) -> dict[str, str]:
    declared = {p.name: p for p in query.parameters}
    unknown = sorted(set(given) - set(declared))
    if unknown:
        takes = ", ".join(declared) or "no parameters"
        raise QueryError(f"query '{query.name}' has no parameter '{unknown[0]}'; it takes {takes}")
    missing = [p.name for p in query.parameters if p.required and p.name not in given]
    if missing:
        raise QueryError(
            f"query '{query.name}' needs --param {missing[0]}=... ({declared[missing[0]].description})"
        )
    for name, value in given.items():
        choices = declared[name].choices
        if choices and value not in choices:
            raise QueryError(
                f"query '{query.name}': parameter '{name}' must be one of "
                f"{', '.join(choices)} (got '{value}')"
            )
    return given


def get_query_form(text: str) -> str | None:
    """The query's form: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE`` (None if none is found)."""
    from ldngraph.rdf.sparql import TOKEN_RE

    for match in TOKEN_RE.finditer(text):
        word = match.group().upper() if match.lastgroup == "word" else ""
        if word in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}:
            return word
    return None


def check_select(query: NamedQuery) -> None:
    """Refuse ASK, CONSTRUCT and DESCRIBE before they run: on any store, since only rows are printed."""
    form = get_query_form(query.text)
    if form not in {"SELECT", None}:  # None: let the engine report the syntax error
        article = "an" if form == "ASK" else "a"
        raise QueryError(
            f"{query.path}: only SELECT queries return rows, this is {article} {form} query; "
            "rewrite it as a SELECT query"
        )


def check_service(query: NamedQuery, *, allow_service: bool = False) -> None:
    """Refuse a federated query (``SERVICE``) unless the caller allows it: it would send requests,
    with the current bindings, to any host, past every HTTP limit (a 700 MB reply was read whole),
    and a cloned repository's ./queries can hold one under a shipped query's name (issue 27 F12).
    Found in rdflib's parse tree, so a string or a comment that says SERVICE does not count."""
    if allow_service or "service" not in query.text.lower():
        return
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parser import parseQuery

    try:
        tree = parseQuery(query.text)
    except Exception:  # a syntax error: the engine reports it where the query is prepared or run
        return
    stack: list[Any] = [tree]
    while stack:
        node = stack.pop()
        if getattr(node, "name", None) == "ServiceGraphPattern":
            raise QueryError(
                f"{query.path}: a federated query (SERVICE) sends requests to other servers; "
                "ldngraph refuses it unless you pass --allow-service"
            )
        if isinstance(node, ParseResults | list | tuple):  # before Mapping: pyparsing registers it as one
            stack.extend(node)
        elif isinstance(node, Mapping):
            stack.extend(node.values())


def run_query(
    graph: Graph,
    name_or_path: str | Path,
    params: Mapping[str, str] | None = None,
    *,
    allow_service: bool = False,
) -> QueryResult:
    """Run a named query or query file on ``graph`` with bound parameters, within
    :data:`ldngraph.limits.QUERY_SECONDS` (issue 27 F10: the memory store had no limit)."""
    query = get_query(name_or_path)
    check_select(query)
    check_service(query, allow_service=allow_service)
    declared = {p.name: p for p in query.parameters}
    given = _check_params(query, dict(params or {}))
    bindings: dict[str, Identifier] = {k: to_term(graph, declared[k], v) for k, v in given.items()}
    try:
        prepared = prepareQuery(query.text, initNs=dict(NAMESPACES))
    except Exception as exc:  # pyparsing raises several kinds; name the file, keep one line
        raise QueryError(f"{query.path}: SPARQL syntax error: {str(exc).splitlines()[0]}") from exc

    def evaluate() -> QueryRows:
        try:
            result: Result = graph.query(prepared, initBindings=bindings)
            if result.type != "SELECT":  # check_select found the form already; this is a backstop
                raise QueryError(f"only SELECT queries return rows (got {result.type})")
            columns = tuple(str(v) for v in result.vars or ())
            rows = tuple(tuple(row[i] for i in range(len(columns))) for row in result)  # type: ignore[index]
        except QueryError:
            raise
        except Exception as exc:  # the engine's errors (unbound values, type errors) in one line
            raise QueryError(f"{query.path}: query failed: {str(exc).splitlines()[0]}") from exc
        return QueryRows(columns, rows)  # type: ignore[arg-type]

    found = within_time_limit(evaluate, str(query.path))
    return _to_result(query, found.columns, found.rows)


def parse_params(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``['k=v', ...]`` -> ``{'k': 'v'}``; raises :class:`QueryError` for a pair without '='."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise QueryError(f"--param '{pair}' must look like name=value")
        out[key.strip()] = value
    return out


# -- the same queries on any store (memory, Oxigraph, a SPARQL endpoint) --------------------------

# One UNION branch per name property, each starting from the entity: with the properties in a
# VALUES block Oxigraph first scans every dcterms:identifier (every study and publication has one):
# 0.1 s instead of 0.007 s at 10^4 studies.
_NAMES_QUERY = """PREFIX ldn: <https://w3id.org/ldngraph/vocab/>
SELECT ?node ?name WHERE {
  ?node ldn:kind ?kind .
  { ?node <http://purl.org/dc/terms/identifier> ?name }
  UNION { ?node <http://www.w3.org/2000/01/rdf-schema#label> ?name }
  UNION { ?node <http://www.w3.org/2004/02/skos/core#altLabel> ?name } }"""
_CLAIM_NAMES_QUERY = """PREFIX ldn: <https://w3id.org/ldngraph/vocab/>
SELECT ?node ?name WHERE { VALUES ?p { ldn:claimId ldn:contentHash } ?node ldn:claimId ?id ; ?p ?name }"""


def _store_names(store: GraphStore, text: str) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for node, name in store.query(text):
        names.setdefault(str(node), []).append(str(name))
    return names


def to_store_term(store: GraphStore, param: QueryParam, value: str) -> Identifier:
    """Like :func:`to_term`, resolving entity and claim names with queries on ``store``."""
    if param.kind == "entity":
        return URIRef(match_name(value, _store_names(store, _NAMES_QUERY)))
    if param.kind == "claim":
        return URIRef(match_name(value, _store_names(store, _CLAIM_NAMES_QUERY), what="claim"))
    return to_term(Graph(), param, value)


def get_prologue() -> str:
    """PREFIX lines for the project's namespaces: what ``initNs`` gives the rdflib path.

    A query's own PREFIX lines come later and win, as SPARQL says.
    """
    return "".join(f"PREFIX {prefix}: <{ns}>\n" for prefix, ns in NAMESPACES.items())


def run_query_on_store(
    store: GraphStore,
    name_or_path: str | Path,
    params: Mapping[str, str] | None = None,
    *,
    allow_service: bool = False,
) -> QueryResult:
    """:func:`run_query` on any :mod:`ldngraph.stores.store` backend: same checks, same rows."""
    query = get_query(name_or_path)
    check_select(query)
    check_service(query, allow_service=allow_service)
    given = _check_params(query, dict(params or {}))
    declared = {p.name: p for p in query.parameters}
    bindings = {k: to_store_term(store, declared[k], v) for k, v in given.items()}
    rows = store.query(get_prologue() + query.text, bindings)
    return _to_result(query, rows.columns, rows.rows)


# -- labels next to CURIEs ------------------------------------------------------------------------

_LABELS_QUERY = """SELECT ?node ?label WHERE {
  ?node <https://w3id.org/ldngraph/vocab/kind> ?kind ;
        <http://www.w3.org/2000/01/rdf-schema#label> ?label }"""


def get_labels(graph: Graph) -> dict[str, str]:
    """CURIE -> label of every entity in ``graph`` (what :func:`add_labels` shows)."""
    out: dict[str, str] = {}
    for node in graph.subjects(LDN.kind, None):
        label = graph.value(node, RDFS.label)
        if label is not None:
            out[_to_value(node)] = str(label)
    return out


def get_store_labels(store: GraphStore) -> dict[str, str]:
    """:func:`get_labels` on any store."""
    return {_to_value(node): str(label) for node, label in store.query(_LABELS_QUERY)}


def add_labels(result: QueryResult, labels: Mapping[str, str]) -> QueryResult:
    """A ``<column>_label`` column after every column holding entity CURIEs (``subject`` ->
    ``subject_label``), unless the next column is already a label. Rows keep their order."""
    columns = list(result.columns)
    labelled = [
        i
        for i, name in enumerate(columns)
        if any(isinstance(r[i], str) and r[i] in labels for r in result.rows)
        and not (i + 1 < len(columns) and columns[i + 1].endswith("label"))
        and f"{name}_label" not in columns
    ]
    if not labelled:
        return result
    out_columns: list[str] = []
    for i, name in enumerate(columns):
        out_columns += [name, f"{name}_label"] if i in labelled else [name]
    rows = []
    for row in result.rows:
        out: list[Any] = []
        for i, value in enumerate(row):
            out += (
                [value, labels.get(value) if isinstance(value, str) else None] if i in labelled else [value]
            )
        rows.append(tuple(out))
    return QueryResult(tuple(out_columns), tuple(rows))
