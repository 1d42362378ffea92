"""SPARQL terms and parameters: rdflib <-> pyoxigraph terms, plain values, bound ``VALUES`` blocks.

Parameters are bound, never pasted: :func:`inject_values` writes a ``VALUES`` block from typed rdflib
terms (:func:`to_sparql_term` escapes every literal and refuses an IRI that is not an IRIREF), for
the stores whose engine has no ``initBindings`` (Oxigraph, remote endpoints). The tokenizer
(:data:`TOKEN_RE`) skips strings, IRIs and comments, so a ``WHERE`` inside them is never taken for
a group.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

from ldngraph.errors import QueryError, StoreError

Term = URIRef | Literal | BNode
Bindings = Mapping[str, Node]
_VAR_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")
# IRIREF of the SPARQL grammar: what may sit between < and >.
IRI_RE = re.compile(r'^[^<>"{}|^`\\\x00-\x20]*\Z')


# -- term helpers ----------------------------------------------------------------------------------

_NUMERIC = {
    XSD.integer,
    XSD.int,
    XSD.long,
    XSD.short,
    XSD.byte,
    XSD.decimal,
    XSD.double,
    XSD.float,
    XSD.nonNegativeInteger,
    XSD.positiveInteger,
    XSD.negativeInteger,
    XSD.nonPositiveInteger,
    XSD.unsignedInt,
    XSD.unsignedLong,
    XSD.unsignedShort,
    XSD.unsignedByte,
}


def to_python(term: Node | None) -> str | float | bool | None:
    """A term as a plain value for comparing results across engines.

    IRIs and plain literals become strings, every numeric literal a float (engines disagree on
    ``xsd:integer`` vs ``xsd:int`` vs ``xsd:decimal`` for the same aggregate), booleans bools.
    """
    if term is None:
        return None
    if isinstance(term, Literal):
        dtype = term.datatype
        if dtype in _NUMERIC:
            try:
                return float(Decimal(str(term)))
            except ArithmeticError:
                return str(term)
        if dtype == XSD.boolean:
            return str(term).strip().lower() in {"true", "1"}
    return str(term)


def check_bindings(bindings: Bindings | None) -> dict[str, Term]:
    """Validate parameter names and terms; raise QueryError naming the bad one."""
    checked: dict[str, Term] = {}
    for name, value in (bindings or {}).items():
        if not _VAR_RE.match(name):
            raise QueryError(f"parameter name '{name}' is not a SPARQL variable name (letters, digits, _)")
        if isinstance(value, URIRef):
            if not IRI_RE.match(str(value)):
                raise QueryError(f"parameter '{name}': '{value}' is not a valid IRI")
        elif not isinstance(value, Literal):
            raise QueryError(f"parameter '{name}': bind an IRI or a literal, not {type(value).__name__}")
        checked[name] = value
    return checked


def from_oxigraph_term(term: Any) -> Term | None:
    """pyoxigraph term -> rdflib term, with xsd:string literals as plain literals (as rdflib does)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dtype = term.datatype.value
        if dtype == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dtype))
    raise StoreError(f"unsupported result term {term!r} (RDF-star triples are not used by ldngraph)")


def normalise_literal(term: Term | None) -> Term | None:
    """Literal typed xsd:string -> plain literal (RDF 1.1 treats them as one)."""
    return plain_literal(term) if term is not None else None


def plain_literal(term: Term) -> Term:
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


# -- VALUES injection for remote endpoints -----------------------------------------------------------

#: SPARQL text as tokens (comments, strings and IRIs whole, so a keyword inside one is no keyword).
TOKEN_RE = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
      |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_]+)
  | (?P<word>[A-Za-z_][\w\-]*(?::[\w\-.]*)?|:[\w\-.]*)
  | (?P<open>\{) | (?P<close>\}) | (?P<lparen>\() | (?P<rparen>\))
    """,
    re.X,
)


def _where_openings(text: str) -> list[int]:
    """Offsets just after the ``{`` opening the WHERE group of every SELECT/ASK/CONSTRUCT (sub)query."""
    tokens = [(m.lastgroup, m.group(), m.end()) for m in TOKEN_RE.finditer(text)]
    positions: list[int] = []
    i = 0
    while i < len(tokens):
        kind, value, _ = tokens[i]
        keyword = value.upper() if kind == "word" else ""
        if keyword in {"SELECT", "ASK", "CONSTRUCT", "DESCRIBE"}:
            j, parens = i + 1, 0
            if keyword == "CONSTRUCT" and j < len(tokens) and tokens[j][0] == "open":
                # CONSTRUCT { template } WHERE { ... }: skip the template group.
                depth = 0
                while j < len(tokens):
                    depth += {"open": 1, "close": -1}.get(tokens[j][0] or "", 0)
                    j += 1
                    if depth == 0:
                        break
            while j < len(tokens):
                tkind = tokens[j][0]
                if tkind == "lparen":
                    parens += 1
                elif tkind == "rparen":
                    parens -= 1
                elif tkind == "open" and parens == 0:
                    positions.append(tokens[j][2])
                    break
                j += 1
            i = j
        i += 1
    return positions


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LANG_RE = re.compile(r"^[A-Za-z]+(-[A-Za-z0-9]+)*\Z")


def to_sparql_term(term: Term) -> str:
    """A checked IRI or literal written in SPARQL syntax, every special character escaped.

    (Like rdflib's ``Term.n3()``, but always the short-string form, so no quoting corner cases.)
    """
    if isinstance(term, URIRef):
        if not IRI_RE.match(str(term)):
            raise QueryError(f"'{term}' is not a valid IRI")
        return f"<{term}>"
    if isinstance(term, Literal):
        text = '"' + "".join(_ESCAPES.get(ch, ch) for ch in str(term)) + '"'
        if term.language:
            if not _LANG_RE.match(term.language):
                raise QueryError(f"'{term.language}' is not a language tag")
            return f"{text}@{term.language}"
        if term.datatype is not None and term.datatype != XSD.string:
            return f"{text}^^{to_sparql_term(URIRef(term.datatype))}"
        return text
    raise QueryError(f"cannot bind {term!r}: only IRIs and literals can be parameters")


def inject_values(text: str, bindings: Bindings | None) -> str:
    """Bind parameters by a ``VALUES`` block at the top of every (sub)query's WHERE group.

    The block is written from typed rdflib terms (:func:`to_sparql_term`), never from user text.
    Putting it into every sub-select too gives the substitution semantics of rdflib's ``initBindings``.
    """
    checked = check_bindings(bindings)
    if not checked:
        return text
    names = " ".join(f"?{name}" for name in checked)
    values = " ".join(to_sparql_term(term) for term in checked.values())
    block = f"\n  VALUES ({names}) {{ ({values}) }}\n"
    positions = _where_openings(text)
    if not positions:
        raise QueryError("cannot bind parameters: no WHERE group found in the query")
    out: list[str] = []
    last = 0
    for pos in positions:
        out += [text[last:pos], block]
        last = pos
    out.append(text[last:])
    return "".join(out)
