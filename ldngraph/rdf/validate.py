"""Check a graph against the SHACL shapes shipped in ``ldngraph/resources/shapes.ttl``.

pyshacl reports one result per violating focus node, which for a broken data set can be thousands
of lines. :func:`validate_graph` groups the results by the shape that produced them and keeps a
count and the first few focus nodes of each group, so a report stays readable at any size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from ldngraph.errors import ValidationFailed
from ldngraph.limits import DEPTH, LimitError, read_input_bytes
from ldngraph.locations import get_resource
from ldngraph.rdf.vocab import bind_namespaces

SHAPES_FILE = "shapes.ttl"
#: How many focus nodes each group of a report keeps.
FIRST_FOCUS_NODES = 5


class ShapeResult(BaseModel):
    """All results one shape produced: how many, and the first few focus nodes."""

    model_config = ConfigDict(frozen=True)

    shape: str = Field(description="The shape's name, e.g. 'shape:Claim-evidence'")
    path: str | None = Field(description="The property path the shape constrains, if any")
    constraint: str = Field(description="The failing constraint component, e.g. 'MinCount'")
    severity: str = Field(description="Violation, Warning or Info")
    message: str = Field(description="What is wrong, in words")
    count: int = Field(description="Number of results (focus node and value pairs)")
    focus_nodes: tuple[str, ...] = Field(description=f"The first {FIRST_FOCUS_NODES} focus nodes")
    values: tuple[str, ...] = Field(default=(), description="The first few offending values")


class ValidationReport(BaseModel):
    """A SHACL validation report grouped by shape."""

    model_config = ConfigDict(frozen=True)

    conforms: bool = Field(description="True if the graph satisfies every shape")
    total: int = Field(description="Number of SHACL results before grouping")
    triples: int = Field(description="Size of the graph that was checked")
    groups: tuple[ShapeResult, ...] = Field(default=(), description="Results grouped by shape")

    def summary(self) -> str:
        """One line: conformance, counts and the first problem."""
        if self.conforms:
            return f"conforms to the SHACL shapes ({self.triples} triples checked)"
        first = self.groups[0]
        return (
            f"does not conform to the SHACL shapes: {self.total} result(s) in {len(self.groups)} "
            f"shape(s); first: {first.shape}: {first.message} (e.g. {first.focus_nodes[0]})"
        )

    def to_lines(self) -> list[str]:
        """A human-readable report, a few lines per shape."""
        lines = [self.summary()]
        for group in self.groups:
            path = f" on {group.path}" if group.path else ""
            lines.append(f"{group.severity} {group.shape}{path} [{group.constraint}]: {group.count}")
            lines.append(f"  {group.message}")
            more = group.count - len(group.focus_nodes)
            suffix = f" (+{more} more)" if more > 0 else ""
            lines.append("  focus: " + ", ".join(group.focus_nodes) + suffix)
            if group.values:
                lines.append("  values: " + ", ".join(group.values))
        return lines


@lru_cache(maxsize=1)
def read_shapes() -> Graph:
    """The shipped shapes graph (parsed once per process)."""
    path = get_resource(SHAPES_FILE)
    return Graph().parse(path, format="turtle")


def _show(term: Node | None, graph: Graph) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        # Longest namespace first, and no check on the local part: 'ldnr:claim/1a2b' reads better
        # than a full IRI even though it is not a strict QName.
        for prefix, namespace in sorted(graph.namespaces(), key=lambda pn: -len(str(pn[1]))):
            if prefix and str(term).startswith(str(namespace)) and str(term) != str(namespace):
                return f"{prefix}:{str(term)[len(str(namespace)) :]}"
        return str(term)
    if isinstance(term, Literal):
        return repr(str(term)) if term.datatype is None else f"{term!s}^^{_show(term.datatype, graph)}"
    if isinstance(term, BNode):
        return "_:" + str(term)[:8]
    return str(term)


def _show_path(path: Node | None, shapes: Graph, names: Graph) -> str | None:
    if path is None:
        return None
    if isinstance(path, BNode) and (path, RDF.first, None) in shapes:
        return " / ".join(_show(step, names) for step in shapes.items(path))
    return _show(path, names)


def _group(results: Iterable[Node], report: Graph, shapes: Graph, names: Graph) -> list[ShapeResult]:
    groups: dict[tuple[str, str | None, str], list[tuple[Node, Node | None, str, str]]] = {}
    for res in results:
        shape_node = report.value(res, SH.sourceShape)
        shape = _show(shape_node, names)
        path = _show_path(report.value(res, SH.resultPath), report, names)
        component = _show(report.value(res, SH.sourceConstraintComponent), names)
        component = component.rsplit(":", 1)[-1].removesuffix("ConstraintComponent")
        focus = report.value(res, SH.focusNode)
        value = report.value(res, SH.value)
        severity = _show(report.value(res, SH.resultSeverity), names).rsplit(":", 1)[-1]
        message = str(report.value(res, SH.resultMessage) or "")
        if shape_node is not None and shapes.value(shape_node, SH.message) is not None:
            message = str(shapes.value(shape_node, SH.message))
        if focus is None:
            continue
        groups.setdefault((shape, path, component), []).append((focus, value, severity, message))
    out = []
    for (shape, path, component), items in groups.items():
        focus_nodes = sorted({_show(f, names) for f, _, _, _ in items})
        values = sorted({_show(v, names) for _, v, _, _ in items if v is not None})
        out.append(
            ShapeResult(
                shape=shape,
                path=path,
                constraint=component,
                severity=items[0][2],
                message=items[0][3],
                count=len(items),
                focus_nodes=tuple(focus_nodes[:FIRST_FOCUS_NODES]),
                values=tuple(values[:FIRST_FOCUS_NODES]),
            )
        )
    out.sort(key=lambda g: (-g.count, g.shape, g.path or "", g.constraint))
    return out


def validate_graph(graph: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate ``graph`` against the shipped shapes (or ``shapes``) and group the results."""
    import pyshacl  # heavy: only when validating

    shapes = shapes if shapes is not None else read_shapes()
    conforms, report, _ = pyshacl.validate(
        graph, shacl_graph=shapes, inference="none", advanced=False, allow_warnings=True
    )
    assert isinstance(report, Graph)
    names = bind_namespaces(Graph())
    names.bind("shape", "https://w3id.org/ldngraph/shapes/")
    names.bind("sh", SH)
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    return ValidationReport(
        conforms=bool(conforms),
        total=len(results),
        triples=len(graph),
        groups=tuple(_group(results, report, shapes, names)),
    )


def check_graph(graph: Graph) -> ValidationReport:
    """Validate ``graph``; raise :class:`ValidationFailed` (one line) if it does not conform."""
    report = validate_graph(graph)
    if not report.conforms:
        raise ValidationFailed(
            f"the built graph {report.summary()}; run 'ldngraph validate' for the full report"
        )
    return report


class _Stop(Exception):
    """Raised inside expat's handlers to end the pre-pass."""


def declares_xml_entities(raw: bytes) -> bool:
    """True if the XML document ``raw`` declares any entity (general, parameter or unparsed).

    Asked of expat itself, as defusedxml does, so the answer holds whatever the encoding (issue 27
    F11: a byte search for ``<!ENTITY`` missed a UTF-16 document, whose entities then took 186 s
    of CPU). The pre-pass stops at the root element (declarations come before it) and never
    expands or fetches anything; a document expat cannot read is left to the RDF parser's own
    error unless its bytes hold ``<!ENTITY``."""
    import pyexpat

    parser = pyexpat.ParserCreate()
    parser.SetParamEntityParsing(pyexpat.XML_PARAM_ENTITY_PARSING_NEVER)
    found: list[bool] = []

    def entity(*_: object) -> None:
        found.append(True)
        raise _Stop

    def root(*_: object) -> None:
        raise _Stop

    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.StartElementHandler = root
    try:
        parser.Parse(raw, True)
    except _Stop:
        pass
    except pyexpat.ExpatError:  # malformed, or an encoding expat does not know: the old byte rule
        return b"<!ENTITY" in raw
    return bool(found)


def read_graph(path: Path | str) -> Graph:
    """Parse an RDF file for validation; the format comes from the suffix."""
    from rdflib.util import guess_format

    source = Path(path)
    if not source.is_file():
        raise ValidationFailed(f"{source}: no such file; pass an RDF file (.ttl .nt .jsonld .trig)")
    fmt = guess_format(str(source)) or ("json-ld" if source.suffix == ".jsonld" else None)
    if fmt is None:
        raise ValidationFailed(f"{source}: cannot tell the RDF format from '{source.suffix or 'no suffix'}'")
    try:
        raw = read_input_bytes(source)
    except LimitError as exc:
        raise ValidationFailed(str(exc)) from None
    except OSError as exc:
        raise ValidationFailed(f"{source}: cannot read ({exc.strerror})") from None
    if fmt in {"xml", "trix"} and declares_xml_entities(raw):
        # Nested internal entities expand exponentially (52 s for 633 bytes); RDF needs none.
        raise ValidationFailed(f"{source}: declares XML entities (<!ENTITY>); RDF needs none, remove them")
    if fmt == "json-ld":
        check_local_contexts(source)
    try:
        if fmt == "trig":
            from rdflib import Dataset

            ds = Dataset()
            ds.parse(source, format="trig")
            graph = Graph()
            for s, p, o, _ in ds.quads():
                graph.add((s, p, o))
            return graph
        return Graph().parse(source, format=fmt)
    except RecursionError:
        raise ValidationFailed(f"{source}: nested too deeply to parse ({DEPTH.hint()})") from None
    except Exception as exc:  # rdflib raises many unrelated types for a bad file
        # rdflib's messages span lines (the Turtle parser adds the offending text): keep one line.
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ValidationFailed(f"{source}: not valid {fmt}: {reason}; fix the file or re-export it") from None


def check_local_contexts(source: Path) -> None:
    """Refuse a JSON-LD file whose ``@context`` (or a context's ``@import``) names another document.

    rdflib would fetch it, with no timeout, and a context a server controls can change what the
    file means: validation reads the file and nothing else. Any string context counts, whether a
    URL or a relative reference. Contexts may sit anywhere (top level, arrays, node objects, scoped
    contexts inside term definitions), so the whole document is walked.
    """
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationFailed(f"{source}: not valid JSON: {exc}; fix the file or re-export it") from None
    except RecursionError:
        document = None
    if document is None or _depth(document) > DEPTH.as_int():
        raise ValidationFailed(f"{source}: JSON nested more than {DEPTH.hint()}")
    for where, ref in _external_contexts(document, "$"):
        raise ValidationFailed(
            f"{source}: {where} refers to the external context '{ref[:100]}'; validation never "
            "fetches contexts: put the context inline in the file (ldngraph export writes it inline)"
        )


def _depth(document: Any) -> int:
    """Nesting depth of a JSON value (iterative: no recursion limit)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _external_contexts(node: Any, where: str) -> Iterable[tuple[str, str]]:
    """(JSON path, reference) of every ``@context`` / ``@import`` that names a document."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _external_contexts(item, f"{where}[{i}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}"
            if key in {"@context", "@import"}:
                for i, item in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(item, str):
                        yield (f"{path}[{i}]" if isinstance(value, list) else path), item
            yield from _external_contexts(value, path)
