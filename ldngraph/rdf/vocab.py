"""The one place where namespaces, prefixes and vocabulary mappings are bound.

External identifiers (CHEBI, HGNC, CL, MeSH, PubMed, DOI ...) are expanded through a small fixed
``curies`` prefix map rather than hand-written IRI strings scattered through the code. A fixed map
is deliberate: bioregistry's PubMed IRIs round-trip with a trailing slash (field notes), and a
graph's IRIs must not change when a registry updates.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, NamespaceManager

from ldngraph.model import Claim, Design, EvidenceItem, Predicate, evidence_id
from ldngraph.model.terms import check_url

if TYPE_CHECKING:
    import curies

#: Prefix -> IRI prefix for every identifier scheme the graph uses. The spelling of each prefix is
#: Biolink's (biolink_model/prefixmaps/biolink_model_prefix_map.json, Biolink 4.4.6), which
#: bioregistry also recognises; RDF, KGX, GraphML and query output all use this one spelling.
PREFIX_MAP: dict[str, str] = {
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_",
    "HGNC": "http://identifiers.org/hgnc/",
    "CL": "http://purl.obolibrary.org/obo/CL_",
    "GO": "http://purl.obolibrary.org/obo/GO_",
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "NCIT": "http://purl.obolibrary.org/obo/NCIT_",
    "MESH": "http://id.nlm.nih.gov/mesh/",
    "NCBITaxon": "http://purl.obolibrary.org/obo/NCBITaxon_",
    "ECO": "http://purl.obolibrary.org/obo/ECO_",
    "SEPIO": "http://purl.obolibrary.org/obo/SEPIO_",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/",
    "doi": "https://doi.org/",
    "PMC": "https://www.ncbi.nlm.nih.gov/pmc/articles/",
    "NCT": "https://www.clinicaltrials.gov/study/",  # bioregistry's clinicaltrials IRI
    "LDNO": "https://w3id.org/ldngraph/concept/",
    "REF": "https://w3id.org/ldngraph/id/publication/",
}
#: Other spellings accepted on input (curated data writes ``DOI:``); output always uses the key.
PREFIX_SYNONYMS: dict[str, tuple[str, ...]] = {"doi": ("DOI",)}
#: The project's own prefixes: no registry knows them. Documented in README "Identifiers" and
#: shipped as ldngraph/resources/prefix_map.json with every other prefix the outputs use.
_SYNONYM_OF: dict[str, str] = {syn: prefix for prefix, syns in PREFIX_SYNONYMS.items() for syn in syns}
LOCAL_PREFIXES: frozenset[str] = frozenset({"LDNO", "REF", "ldn", "ldnr"})

LDN = Namespace("https://w3id.org/ldngraph/vocab/")
"""Project vocabulary: classes and properties without a standard equivalent."""
LDNR = Namespace("https://w3id.org/ldngraph/id/")
"""Project resources: claims, evidence items, studies, source documents."""
BIOLINK = Namespace("https://w3id.org/biolink/vocab/")
CITO = Namespace("http://purl.org/spar/cito/")
FABIO = Namespace("http://purl.org/spar/fabio/")
BIBO = Namespace("http://purl.org/ontology/bibo/")

NAMESPACES: dict[str, Namespace] = {
    "ldn": LDN,
    "ldnr": LDNR,
    "biolink": BIOLINK,
    "schema": Namespace("http://schema.org/"),
    "cito": CITO,
    "fabio": FABIO,
    "bibo": BIBO,
    "dcterms": Namespace(str(DCTERMS)),
    "prov": Namespace(str(PROV)),
    "skos": Namespace(str(SKOS)),
    "owl": Namespace(str(OWL)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
}

#: Local predicate -> (Biolink predicate, object direction qualifier or None).
PREDICATES: dict[Predicate, tuple[str, str | None]] = {
    Predicate.decreases: ("affects", "decreased"),
    Predicate.increases: ("affects", "increased"),
    Predicate.contributes_to: ("contributes_to", None),
    Predicate.in_clinical_trials_for: ("in_clinical_trials_for", None),
    Predicate.beneficial_in_models_for: ("beneficial_in_models_for", None),
    Predicate.studied_to_treat: ("studied_to_treat", None),  # concrete child of the mixin
    Predicate.well_tolerated_in: ("related_to", None),
}

#: Design -> ECO evidence class (architecture.md: clinical 180, animal 179, in vitro 181).
DESIGN_ECO: dict[Design, str] = {
    Design.animal: "ECO:0000179",
    Design.in_vitro: "ECO:0000181",
    **{
        d: "ECO:0000180"
        for d in Design
        if d not in {Design.animal, Design.in_vitro, Design.commentary, Design.narrative_review}
    },
}

#: Entity kind -> default Biolink category.
DEFAULT_CATEGORY: dict[str, str] = {
    "intervention": "ChemicalEntity",
    "mechanism": "BiologicalEntity",
    "condition": "Disease",
    "outcome": "PhenotypicFeature",
}
#: Prefix -> Biolink category for mechanisms, which come in several kinds.
PREFIX_CATEGORY: dict[str, str] = {
    "HGNC": "Gene",
    "CL": "Cell",
    "GO": "BiologicalProcess",
    "CHEBI": "ChemicalEntity",
}


def get_category(curie: str, kind: str, explicit: str | None = None) -> str:
    """Biolink category of an entity: its own, else by prefix for mechanisms and outcomes, else by kind."""
    if explicit:
        return explicit
    default = DEFAULT_CATEGORY[kind]
    # Mechanisms come in several kinds; an outcome can be a measured process (GO:0046651).
    if kind not in {"mechanism", "outcome"}:
        return default
    return PREFIX_CATEGORY.get(curie.split(":", 1)[0], default)


@lru_cache(maxsize=1)
def get_converter() -> curies.Converter:
    """The project's CURIE <-> IRI converter (input synonyms such as ``DOI`` expand too)."""
    import curies  # for interchange (prefix maps, JSON-LD contexts); from_iri does not need it

    records = [
        curies.Record(prefix=prefix, uri_prefix=iri, prefix_synonyms=list(PREFIX_SYNONYMS.get(prefix, ())))
        for prefix, iri in PREFIX_MAP.items()
    ]
    return curies.Converter(records)


def get_prefix_map() -> dict[str, str]:
    """Every prefix an output may use -> its IRI prefix: identifier schemes, project and RDF vocabularies.

    This is what ``ldngraph/resources/prefix_map.json`` ships (a test keeps the two equal).
    """
    out = dict(PREFIX_MAP)
    out.update({prefix: str(ns) for prefix, ns in NAMESPACES.items()})
    out["rdf"] = str(RDF)
    return dict(sorted(out.items(), key=lambda kv: kv[0].lower()))


#: Characters an identifier keeps as they are inside an IRI path (RFC 3987 iunreserved, sub-delims,
#: ':', '@', '/'); everything else is percent-encoded as UTF-8, '%' included, so the encoding is
#: one-to-one (:func:`decode_iri_part` inverts it) and '#' or '?' cannot start a fragment or query.
_IRI_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/")
_SAFE_PART = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*\Z")


def encode_iri_part(text: str) -> str:
    """``text`` with every character not in :data:`_IRI_KEEP` percent-encoded (UTF-8).

    The one place that turns an identifier (CURIE local part, study id, DOI ...) into IRI text:
    the result can never close an IRI (``>``) or hold a space, a quote or a control character.
    """
    if _SAFE_PART.match(text):
        return text
    return "".join(
        c if c in _IRI_KEEP else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        for c in text
    )


def decode_iri_part(text: str) -> str:
    """Inverse of :func:`encode_iri_part`."""
    return unquote(text, errors="surrogatepass") if "%" in text else text


def url_iri(url: str) -> URIRef:
    """The one constructor of an IRI made from a URL in the data (an estimate's source ...): an
    http(s) URL with no character an IRI may not hold (``ldngraph.model.terms.check_url``), else
    ``ValueError``. Identifiers go through :func:`expand` and :func:`local_iri` instead, which
    percent-encode them (issue 27 F9)."""
    return URIRef(check_url(url))


@lru_cache(maxsize=200_000)
def expand(curie: str) -> str:
    """The IRI (as text) of a CURIE: its prefix from :data:`PREFIX_MAP`, its local part encoded
    by :func:`encode_iri_part`. Raises ``ValueError`` for an unknown prefix."""
    prefix, sep, local_part = curie.partition(":")
    base = PREFIX_MAP.get(_SYNONYM_OF.get(prefix, prefix))
    if not sep or base is None:
        raise ValueError(f"'{curie}' has no known prefix; use one of {', '.join(PREFIX_MAP)}")
    return base + encode_iri_part(local_part)


def local_iri(kind: str, identifier: str) -> str:
    """The IRI (as text) of a project resource, e.g. ``local_iri('claim', '1a2b...')``."""
    return f"{LDNR}{kind}/{encode_iri_part(identifier)}"


def to_iri(curie: str) -> URIRef:
    """Expand a CURIE with the project's prefix map (raises ValueError for an unknown prefix)."""
    return URIRef(expand(curie))


@lru_cache(maxsize=1)
def _longest_first() -> tuple[tuple[str, str], ...]:
    return tuple(sorted(((iri, prefix) for prefix, iri in PREFIX_MAP.items()), key=lambda p: -len(p[0])))


def from_iri(iri: str) -> str | None:
    """Compress an IRI to a CURIE by its longest matching prefix, or None if none matches: what
    ``get_converter().compress`` answers (tests/test_rdf_vocab.py holds the two together), without
    importing ``curies`` on a query's cold path."""
    text = str(iri)
    for base, prefix in _longest_first():
        if text.startswith(base):
            return decode_iri_part(f"{prefix}:{text[len(base) :]}")
    return None


def local(kind: str, identifier: str) -> URIRef:
    """IRI of a project resource, e.g. ``local('claim', '1a2b...')``."""
    return URIRef(local_iri(kind, identifier))


def biolink_predicate(predicate: Predicate) -> URIRef:
    return BIOLINK[PREDICATES[predicate][0]]


def bind_namespaces(graph: Graph) -> Graph:
    """Bind every prefix the project uses (and only those), so Turtle output stays readable."""
    # rdflib's default bindings add ~30 unrelated prefixes (brick, odrl, sosa ...) and claim
    # 'schema' for https://schema.org/; start from the core ones (rdf, rdfs, xsd, owl, xml).
    graph.namespace_manager = NamespaceManager(graph, bind_namespaces="core")
    for prefix, ns in NAMESPACES.items():
        graph.bind(prefix, ns, override=True)
    for prefix, iri in PREFIX_MAP.items():
        graph.bind(prefix, Namespace(iri), override=True)
    graph.bind("rdf", RDF)
    return graph


# -- identifiers of records (rdflib terms, for the mapping, scoring, views and tests) ---------------


def claim_iri(claim: Claim) -> URIRef:
    return local("claim", claim.content_hash)


def study_iri(study_id: str) -> URIRef:
    return local("study", study_id)


def publication_iri(pub_id: str) -> URIRef:
    return URIRef(expand(pub_id))


def evidence_iri(claim: Claim, index: int, item: EvidenceItem) -> URIRef:
    return local("evidence", evidence_id(claim, index, item))
