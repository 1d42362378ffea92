"""Serialise the graph: one pure ``to_*`` function per format and thin ``write_*`` wrappers.

RDF formats round-trip isomorphically (``rdflib.compare.isomorphic``); the tests hold them to it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from ldngraph.atomic import atomic_paths, write_text_atomic
from ldngraph.errors import ExportError
from ldngraph.rdf.biolink import QUALIFIED_PREDICATES, get_aspect, get_association
from ldngraph.rdf.vocab import BIOLINK, CITO, LDN, LDNR, from_iri, get_prefix_map
from ldngraph.safetext import to_json

if TYPE_CHECKING:
    import networkx as nx

#: CLI format name -> rdflib serializer name.
RDF_FORMATS: dict[str, str] = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "trig": "trig"}
#: File suffix -> CLI format name.
SUFFIX_FORMATS: dict[str, str] = {
    ".ttl": "ttl",
    ".jsonld": "jsonld",
    ".json": "jsonld",
    ".nt": "nt",
    ".trig": "trig",
}
#: Named graph that TriG output puts the evidence graph in.
GRAPH_NAME = LDNR["graph/ldn-evidence"]


def with_interop(graph: Graph) -> Graph:
    """A copy of ``graph`` with what consumers expect beyond the evidence model (idempotent):

    * a schema.org ``Dataset`` node (:data:`DATASET`): name, version, licence, creation date,
      sources, and the Biolink release the graph conforms to (``dcterms:conformsTo`` biolink,
      ``schema:schemaVersion``);
    * SEPIO classes: a claim is a SEPIO assertion (SEPIO:0000001), an evidence item an evidence
      line (SEPIO:0000002);
    * Biolink qualifier values: ``biolink:object_aspect_qualifier`` only where Biolink has the value
      (the curated wording moves to ``ldn:aspect``), and ``biolink:qualified_predicate``
      ``biolink:causes`` beside the direction of ``biolink:affects``.
    """
    from ldngraph.rdf.biolink import BIOLINK_VERSION
    from ldngraph.rdf.vocab import bind_namespaces, to_iri

    out = bind_namespaces(Graph())
    for triple in graph:
        out.add(triple)
    schema = Namespace(get_prefix_map()["schema"])
    meta = get_dataset_metadata(graph)
    out.set((DATASET, RDF.type, schema.Dataset))
    out.set((DATASET, schema.name, Literal(meta["name"])))
    out.set((DATASET, schema.version, Literal(meta["version"])))
    out.set((DATASET, schema.license, URIRef(meta["license"])))
    out.set((DATASET, schema.dateCreated, Literal(meta["dateCreated"], datatype=XSD.date)))
    out.set((DATASET, schema.schemaVersion, Literal(BIOLINK_VERSION)))
    out.set((DATASET, DCTERMS.conformsTo, URIRef(str(BIOLINK))))
    for source in [URIRef(PUBMED), *graph.objects(None, LDN.assertedBy)]:
        out.add((DATASET, schema.isBasedOn, source))
    assertion, evidence_line = to_iri("SEPIO:0000001"), to_iri("SEPIO:0000002")
    for claim in graph.subjects(RDF.type, LDN.Claim):
        out.add((claim, RDF.type, assertion))
        predicate = _biolink(graph.value(claim, RDF.predicate))  # type: ignore[arg-type]
        name = (predicate or "").removeprefix("biolink:")
        if name in QUALIFIED_PREDICATES and graph.value(claim, BIOLINK.object_direction_qualifier):
            out.set((claim, BIOLINK.qualified_predicate, BIOLINK[QUALIFIED_PREDICATES[name]]))
        text = graph.value(claim, BIOLINK.object_aspect_qualifier)
        if isinstance(text, Literal) and graph.value(claim, LDN.aspect) is None:
            out.remove((claim, BIOLINK.object_aspect_qualifier, None))
            out.add((claim, LDN.aspect, text))
            obj = graph.value(claim, RDF.object)
            categories = [c for c in map(_biolink, graph.objects(obj, RDF.type)) if c] if obj else []
            aspect = get_aspect(
                str(text), sorted(categories)[0].removeprefix("biolink:") if categories else ""
            )
            if aspect:
                out.add((claim, BIOLINK.object_aspect_qualifier, Literal(aspect)))
    for item in graph.subjects(RDF.type, LDN.EvidenceItem):
        out.add((item, RDF.type, evidence_line))
    return out


def to_rdf(graph: Graph, fmt: str) -> str:
    """Serialise ``graph`` with :func:`with_interop` in one of :data:`RDF_FORMATS`."""
    if fmt not in RDF_FORMATS:
        raise ExportError(f"unknown RDF format '{fmt}'; use one of {', '.join(RDF_FORMATS)}")
    graph = with_interop(graph)
    if fmt == "trig":
        ds = Dataset()
        for prefix, ns in graph.namespaces():
            ds.bind(prefix, ns)
        named = ds.graph(GRAPH_NAME)
        for triple in graph:
            named.add(triple)
        return ds.serialize(format="trig")
    if fmt == "jsonld":
        return graph.serialize(format="json-ld", context=get_jsonld_context(graph), auto_compact=True)
    return graph.serialize(format=RDF_FORMATS[fmt])


def get_jsonld_context(graph: Graph) -> dict[str, Any]:
    """The JSON-LD context for ``graph``: the curated prefixes its IRIs use, and typed doubles.

    JSON-LD 1.1 reads a native number without a fractional part (``1.0`` is written ``1.0`` but
    parsed as the number 1) as ``xsd:integer``, so every property with ``xsd:double`` values gets
    a term that types its (string) values as ``xsd:double``: pyld, Oxigraph and rdflib then read
    back the graph the Turtle holds.
    """
    iris = {str(t) for triple in graph for t in triple if isinstance(t, URIRef)}
    iris |= {str(o.datatype) for o in graph.objects() if isinstance(o, Literal) and o.datatype}
    prefixes = sorted(get_prefix_map().items(), key=lambda kv: -len(kv[1]))
    used: dict[str, str] = {}
    for iri in iris:
        match = next(((p, ns) for p, ns in prefixes if iri.startswith(ns)), None)
        if match:
            used[match[0]] = match[1]
    context: dict[str, Any] = dict(sorted(used.items(), key=lambda kv: kv[0].lower()))
    context.setdefault("xsd", str(XSD))
    doubles = sorted(
        {str(p) for p, o in graph.predicate_objects() if isinstance(o, Literal) and o.datatype == XSD.double}
    )
    for prop in doubles:
        curie = from_iri(prop) or graph.namespace_manager.normalizeUri(prop)
        prefix, _, name = curie.partition(":")
        term = name if name and name not in context else f"{prefix}_{name}"
        context[term] = {"@id": curie, "@type": "xsd:double"}
    return context


def from_rdf(text: str, fmt: str) -> Graph:
    """Parse what :func:`to_rdf` wrote back into a Graph (TriG: the evidence named graph)."""
    if fmt == "trig":
        ds = Dataset()
        ds.parse(data=text, format="trig")
        out = Graph()
        for triple in ds.graph(GRAPH_NAME):
            out.add(triple)
        return out
    if fmt not in RDF_FORMATS:
        raise ExportError(f"unknown RDF format '{fmt}'; use one of {', '.join(RDF_FORMATS)}")
    return Graph().parse(data=text, format=RDF_FORMATS[fmt])


def guess_format(path: Path | str) -> str:
    """RDF format from a file suffix (``.ttl`` -> ``ttl``)."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise ExportError(
            f"{path}: cannot tell the format from '{suffix or 'no suffix'}'; "
            f"use a suffix ({', '.join(SUFFIX_FORMATS)}) or export --format"
        )
    return SUFFIX_FORMATS[suffix]


def guess_export_format(path: Path | str) -> str:
    """Export format from a suffix: the RDF suffixes, plus ``.graphml`` (KGX needs --format)."""
    return "graphml" if Path(path).suffix.lower() == ".graphml" else guess_format(path)


def write_rdf(graph: Graph, path: Path | str, fmt: str | None = None) -> Path:
    """Write ``graph`` to ``path`` atomically in ``fmt`` (guessed from the suffix if None)."""
    return write_text_atomic(path, to_rdf(graph, fmt or guess_format(path)))


# -- interchange: KGX JSON Lines and GraphML ------------------------------------------------------

#: Our Biolink knowledge source id (infores registry style) for every KGX edge.
KNOWLEDGE_SOURCE = "infores:ldngraph"
#: Score properties copied onto KGX/GraphML edges when the graph has been scored.
SCORE_PROPERTIES: tuple[str, ...] = ("support", "refute", "strength", "disagreement", "certainty")
#: What a claim's body concludes, copied onto every KGX/GraphML claim edge (evidence model v3:
#: the answer travels with the edge, so a claim that does not hold never reads as support).
ANSWER_PROPERTIES: dict[str, URIRef] = {
    "ldn_conclusion": LDN.conclusion,
    "ldn_holds": LDN.holds,
    "ldn_basis": LDN.basis,
    "ldn_magnitude": LDN.magnitude,
    "ldn_effect_measure": LDN.effectMeasure,
    "ldn_effect_value": LDN.effectValue,
    "ldn_effect_ci_lower": LDN.effectCiLower,
    "ldn_effect_ci_upper": LDN.effectCiUpper,
}
#: The export's own properties: everything on a KGX edge that is not a Biolink slot.
PROJECT_EDGE_PROPERTIES: tuple[str, ...] = (
    "ldn_claim_id",
    "ldn_predicate",
    "ldn_other_publications",
    "ldn_aspect",
    "ldn_outcome",
    "ldn_outcome_label",
    "ldn_effect",
    *ANSWER_PROPERTIES,
    *SCORE_PROPERTIES,
)
#: The same for KGX nodes.
PROJECT_NODE_PROPERTIES: tuple[str, ...] = ("ldn_kind",)
#: Separator for list values in GraphML attributes (KGX TSV uses the same).
LIST_SEPARATOR = "|"

Record = dict[str, Any]


def _curie(term: Node) -> str:
    """CURIE of an entity/publication IRI; project resources become ``ldnr:kind/id``."""
    text = str(term)
    curie = from_iri(text)  # REF:slug for a publication known only by its citation, as data/ spells it
    if curie is None and text.startswith(str(LDNR)):
        return "ldnr:" + text[len(str(LDNR)) :]
    if curie is None:
        raise ExportError(
            f"cannot write '{text}' as a CURIE; add its prefix to ldngraph/rdf/vocab.py PREFIX_MAP"
        )
    return curie


def _biolink(term: Node) -> str | None:
    text = str(term)
    return "biolink:" + text[len(str(BIOLINK)) :] if text.startswith(str(BIOLINK)) else None


def _literal(graph: Graph, node: Node, prop: URIRef) -> Any:
    value = graph.value(node, prop)
    return value.toPython() if isinstance(value, Literal) else None


def _kgx_node(graph: Graph, node: Node) -> Record:
    categories = sorted(c for c in map(_biolink, graph.objects(node, RDF.type)) if c)
    record: Record = {"id": _curie(node), "category": categories, "name": _literal(graph, node, RDFS.label)}
    record["ldn_kind"] = _literal(graph, node, LDN.kind)
    synonyms = sorted(str(s) for s in graph.objects(node, SKOS.altLabel))
    xrefs = sorted(_curie(x) for x in graph.objects(node, SKOS.exactMatch))
    if synonyms:
        record["synonym"] = synonyms
    if xrefs:
        record["xref"] = xrefs
    record["description"] = _literal(graph, node, SKOS.definition)
    return {k: v for k, v in record.items() if v is not None}


def _evidence_codes(graph: Graph, claim: Node) -> list[str]:
    """ECO classes of the studies behind a claim's evidence items (clinical, animal, in vitro)."""
    codes = {
        _curie(eco)
        for ev in graph.objects(claim, LDN.hasEvidence)
        for study in graph.objects(ev, LDN.study)
        for eco in graph.objects(study, LDN.evidenceType)
    }
    return sorted(codes)


def _kgx_edge(graph: Graph, claim: Node, categories: dict[str, str]) -> Record:
    cited = {_curie(p) for p in graph.objects(claim, CITO.citesAsEvidence)}
    # Biolink publications are PMID:/doi: CURIEs; a publication known only by its journal citation
    # (a project REF: resource) goes into the project's own ldn_other_publications slot instead.
    other = sorted(c for c in cited if c.startswith("REF:"))
    predicate = _biolink(graph.value(claim, RDF.predicate))  # type: ignore[arg-type]
    if predicate is None:
        raise ExportError(f"claim {claim} has no Biolink rdf:predicate; rebuild the graph")
    local_name = predicate.removeprefix("biolink:")
    subject = _curie(graph.value(claim, RDF.subject))  # type: ignore[arg-type]
    obj = _curie(graph.value(claim, RDF.object))  # type: ignore[arg-type]
    subject_category = categories.get(subject, "NamedThing")
    object_category = categories.get(obj, "NamedThing")
    direction = _literal(graph, claim, BIOLINK.object_direction_qualifier)
    aspect_text = _literal(graph, claim, LDN.aspect) or _literal(
        graph, claim, BIOLINK.object_aspect_qualifier
    )
    evidence = set(graph.objects(claim, LDN.hasEvidence))
    record: Record = {
        "id": _curie(claim),
        "subject": subject,
        "predicate": predicate,
        "object": obj,
        "category": ["biolink:" + get_association(local_name, subject_category, object_category)],
        "qualified_predicate": (
            "biolink:" + QUALIFIED_PREDICATES[local_name]
            if direction and local_name in QUALIFIED_PREDICATES
            else None
        ),
        "object_direction_qualifier": direction,
        "object_aspect_qualifier": get_aspect(aspect_text, object_category),
        "knowledge_level": _literal(graph, claim, BIOLINK.knowledge_level) or "knowledge_assertion",
        "agent_type": _literal(graph, claim, BIOLINK.agent_type) or "manual_agent",
        "primary_knowledge_source": KNOWLEDGE_SOURCE,
        "publications": sorted(cited.difference(other)),
        "ldn_other_publications": other or None,
        "has_evidence": _evidence_codes(graph, claim) or None,
        "evidence_count": len(evidence),
        "description": _literal(graph, claim, DCTERMS.description),
        "ldn_claim_id": _literal(graph, claim, LDN.claimId),
        "ldn_predicate": _literal(graph, claim, LDN.predicate),
        "ldn_aspect": aspect_text,
    }
    outcome = graph.value(claim, LDN.outcome)
    if outcome is not None:
        record["ldn_outcome"] = _curie(outcome)
        record["ldn_outcome_label"] = _literal(graph, outcome, RDFS.label)
    for name in SCORE_PROPERTIES:
        record[name] = _literal(graph, claim, LDN[name])
    for name, prop in ANSWER_PROPERTIES.items():
        record[name] = _literal(graph, claim, prop)
    record["ldn_effect"] = _literal(graph, claim, LDN.effectText)
    return {k: v for k, v in record.items() if v is not None}


def to_kgx(graph: Graph) -> tuple[list[Record], list[Record]]:
    """KGX node and edge records: claims as edges, their end points as nodes (sorted, deterministic).

    Edges carry the Biolink association class of their predicate and end points, the Biolink
    qualifiers (``qualified_predicate``, direction, an aspect from Biolink's allowed values),
    ``knowledge_level``, ``agent_type``, ``primary_knowledge_source``, ``publications``
    (``PMID:``/``doi:``), ``has_evidence`` (ECO) and ``evidence_count``; the project's own
    properties are :data:`PROJECT_EDGE_PROPERTIES`. Nodes are every entity that an edge
    connects: an entity without claims (and an outcome, which qualifies edges as ``ldn_outcome``
    rather than being an end point) stays in the RDF, so KGX has no edgeless nodes.
    """
    all_nodes = {_curie(n): _kgx_node(graph, n) for n in set(graph.subjects(LDN.kind, None))}
    categories = {
        curie: str(rec["category"][0]).removeprefix("biolink:") if rec["category"] else "NamedThing"
        for curie, rec in all_nodes.items()
    }
    edges = [_kgx_edge(graph, c, categories) for c in set(graph.subjects(RDF.type, LDN.Claim))]
    ends = {e["subject"] for e in edges} | {e["object"] for e in edges}
    nodes = [rec for curie, rec in all_nodes.items() if curie in ends]
    return sorted(nodes, key=lambda r: r["id"]), sorted(edges, key=lambda r: r["id"])


def to_jsonl(records: Iterable[Record]) -> str:
    """One JSON object a line (KGX JSON Lines)."""
    return "".join(to_json(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


#: Licence of the dataset: data/ ships inside the MIT-licensed package (pyproject.toml).
LICENSE = "https://spdx.org/licenses/MIT"
#: IRI of the dataset the graph describes (its metadata's subject).
DATASET = LDNR["dataset/ldn-evidence"]
#: Where the curated records were checked.
PUBMED = "https://pubmed.ncbi.nlm.nih.gov/"


def get_created() -> str:
    """Creation date: ``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    when = datetime.fromtimestamp(int(epoch), tz=UTC) if epoch.isdigit() else datetime.now(tz=UTC)
    return when.date().isoformat()


def get_dataset_metadata(graph: Graph) -> Record:
    """schema.org Dataset description of the graph: version, licence, created, sources, Biolink."""
    from importlib.metadata import version

    from ldngraph.rdf.biolink import BIOLINK_VERSION

    sources = sorted({_curie(s) for s in graph.objects(None, LDN.assertedBy)})
    return {
        "id": _curie(DATASET),
        "type": "schema:Dataset",
        "name": "ldngraph: low-dose naltrexone evidence graph",
        "version": version("ldngraph"),
        "license": LICENSE,
        "dateCreated": get_created(),
        "isBasedOn": [PUBMED, *sources],
        "conformsTo": str(BIOLINK),
        "biolink_version": BIOLINK_VERSION,
        "curie_map": get_prefix_map(),
    }


def _kgx_prefix(prefix: Path | str) -> Path:
    if str(prefix) == "-":  # it once wrote -_nodes.jsonl, -_edges.jsonl and -_meta.json (F21)
        raise ExportError(
            "-: KGX is three files (PREFIX_nodes.jsonl, PREFIX_edges.jsonl, PREFIX_meta.json); "
            "give a file name prefix, not '-'"
        )
    return Path(prefix)


def kgx_paths(prefix: Path | str) -> tuple[Path, Path]:
    """``PREFIX_nodes.jsonl`` and ``PREFIX_edges.jsonl`` (KGX's own naming for JSON Lines)."""
    base = _kgx_prefix(prefix)
    stem = base.name.removesuffix(".jsonl")
    return base.with_name(f"{stem}_nodes.jsonl"), base.with_name(f"{stem}_edges.jsonl")


def kgx_meta_path(prefix: Path | str) -> Path:
    """``PREFIX_meta.json``: the dataset metadata and CURIE map beside the KGX files."""
    base = _kgx_prefix(prefix)
    return base.with_name(f"{base.name.removesuffix('.jsonl')}_meta.json")


def write_kgx(graph: Graph, prefix: Path | str) -> tuple[Path, Path]:
    """Write the KGX node and edge files and ``PREFIX_meta.json`` atomically: all, or none.

    Returns the node and edge paths (the metadata is at :func:`kgx_meta_path`).
    """
    nodes, edges = to_kgx(graph)
    nodes_path, edges_path = kgx_paths(prefix)
    meta = to_json(get_dataset_metadata(graph), indent=2, ensure_ascii=False) + "\n"
    with atomic_paths(nodes_path, edges_path, kgx_meta_path(prefix)) as (tmp_nodes, tmp_edges, tmp_meta):
        tmp_nodes.write_text(to_jsonl(nodes), encoding="utf-8")
        tmp_edges.write_text(to_jsonl(edges), encoding="utf-8")
        tmp_meta.write_text(meta, encoding="utf-8")
    return nodes_path, edges_path


def check_kgx_files(prefix: Path | str) -> list[str]:
    """kgx's validator and the Biolink pydantic model on ``PREFIX_nodes/edges.jsonl`` (offline)."""
    from ldngraph.rdf.biolink import read_jsonl, validate_kgx, validate_pydantic
    from ldngraph.rdf.vocab import LOCAL_PREFIXES, get_prefix_map

    nodes_path, edges_path = kgx_paths(prefix)
    for path in (nodes_path, edges_path):
        if not path.is_file():
            raise ExportError(f"{path}: no such file; write it with ldngraph export --format kgx -o {prefix}")
    local = {p: iri for p, iri in get_prefix_map().items() if p in LOCAL_PREFIXES}
    return [
        *validate_kgx(nodes_path, edges_path, local),
        *validate_pydantic(read_jsonl(nodes_path), PROJECT_NODE_PROPERTIES),
        *validate_pydantic(read_jsonl(edges_path), PROJECT_EDGE_PROPERTIES),
    ]


def _scalar(value: Any) -> Any:
    # GraphML attributes are scalars: lists become one '|'-separated string.
    return LIST_SEPARATOR.join(map(str, value)) if isinstance(value, list) else value


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """The KGX view as a networkx MultiDiGraph (one edge per claim, keyed by claim CURIE)."""
    import networkx as nx

    nodes, edges = to_kgx(graph)
    view = nx.MultiDiGraph()
    for node in nodes:
        view.add_node(node["id"], **{k: _scalar(v) for k, v in node.items() if k != "id"})
    for edge in edges:
        attrs = {k: _scalar(v) for k, v in edge.items() if k not in {"subject", "object", "id"}}
        view.add_edge(edge["subject"], edge["object"], key=edge["id"], **attrs)
    return view


#: Edge attributes renamed in GraphML, where node and edge attributes share one key namespace
#: and Cytoscape.js shows the key id: without this, an edge's category, description and label
#: would collide with the node attributes of the same name.
GRAPHML_EDGE_RENAMES: dict[str, str] = {
    "category": "association",
    "description": "statement",
    "label": "edge_label",
}


def _graphml_edge_id(claim_curie: str) -> str:
    # GraphML ids are XML NMTOKENs: no '/' (the claim CURIE is kept as the 'claim' attribute).
    return claim_curie.removeprefix("ldnr:").replace("/", "-")


def _name_keys(xml: bytes) -> bytes:
    """Give every GraphML <key> its attribute name as id (networkx numbers them d0, d1 ...)."""
    from lxml import etree

    ns = "{http://graphml.graphdrawing.org/xmlns}"
    root = etree.fromstring(xml)
    renamed: dict[str, str] = {}
    for key in root.iter(f"{ns}key"):
        renamed[key.get("id")] = key.get("attr.name")
        key.set("id", key.get("attr.name"))
    if len(set(renamed.values())) != len(renamed):
        raise ExportError(
            "GraphML attribute names collide between nodes and edges; extend GRAPHML_EDGE_RENAMES"
        )
    for data in root.iter(f"{ns}data"):
        data.set("key", renamed[data.get("key")])
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)
    return out


def to_graphml(graph: Graph) -> str:
    """GraphML for Cytoscape, Gephi, igraph: entities as nodes, claims as edges, named typed keys.

    Key ids are the attribute names (``strength``, ``certainty`` ...), so Cytoscape.js shows them
    by name; node and edge ids are valid XML NMTOKENs; numbers are typed ``double``/``long``.
    """
    import io

    import networkx as nx

    view = to_networkx(graph)
    out = nx.MultiDiGraph()
    # Cytoscape and Gephi show a 'label' attribute when there is one.
    for node, data in view.nodes(data=True):
        out.add_node(node, **{**data, "label": data.get("name", node)})
    for u, v, key, data in view.edges(keys=True, data=True):
        attrs = {"claim": key, **data, "label": data.get("ldn_predicate", data["predicate"])}
        attrs = {GRAPHML_EDGE_RENAMES.get(k, k): val for k, val in attrs.items()}
        out.add_edge(u, v, key=_graphml_edge_id(key), **attrs)
    buffer = io.BytesIO()
    nx.write_graphml(out, buffer, encoding="utf-8", prettyprint=True)
    return _name_keys(buffer.getvalue()).decode("utf-8")


def write_graphml(graph: Graph, path: Path | str) -> Path:
    """Write :func:`to_graphml` to ``path`` atomically."""
    return write_text_atomic(path, to_graphml(graph))
