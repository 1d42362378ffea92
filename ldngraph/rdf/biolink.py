"""Biolink Model conformance of the KGX export: association classes, qualifier values, validation.

The mapping here is plain data (no Biolink packages needed to export). Checking the export uses
the real consumers, offline: kgx's validator and the Biolink pydantic model, both against the
Biolink release pinned in :data:`BIOLINK_VERSION` and installed as the ``biolink-model`` package
(``pip install 'ldngraph[biolink]'``). Neither kgx nor bmt can be pointed at a local schema from
their command lines (both fetch biolink-model.yaml from GitHub), so :func:`validate_kgx` hands
them the packaged schema instead.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ldngraph.errors import LdnGraphError

#: The Biolink release the export targets (and the pinned ``biolink-model`` package's version).
BIOLINK_VERSION = "4.4.6"

#: (predicate, subject category, object category) -> association class; ``None`` matches any.
#: Chosen with the Biolink Model Toolkit's ``get_associations`` for our subject/predicate/object
#: categories. The three clinical predicates have none in bmt's answer, so they use the class
#: Biolink defines for chemical-to-disease treatment edges (whose predicate range holds them);
#: ``related_to`` (tolerability, no qualifiers) falls back to plain ``Association``.
ASSOCIATIONS: dict[tuple[str, str | None, str | None], str] = {
    ("affects", None, "Gene"): "ChemicalAffectsGeneAssociation",
    ("affects", None, "MolecularEntity"): "GeneAffectsChemicalAssociation",  # subject: chemical or gene
    ("affects", None, None): "ChemicalAffectsBiologicalEntityAssociation",
    ("contributes_to", "Gene", None): "CausalGeneToDiseaseAssociation",
    ("contributes_to", None, None): "EntityToDiseaseAssociation",
    **{
        (p, None, None): "ChemicalOrDrugOrTreatmentToDiseaseOrPhenotypicFeatureAssociation"
        for p in ("in_clinical_trials_for", "beneficial_in_models_for", "studied_to_treat")
    },
}
#: Predicates whose direction qualifier needs a qualified predicate (Biolink's "affects ...
#: qualified_predicate causes ... object_direction_qualifier decreased" pattern).
QUALIFIED_PREDICATES: dict[str, str] = {"affects": "causes"}
#: Categories whose aspects Biolink's GeneOrGeneProductOrChemicalEntityAspectEnum describes.
ASPECT_CATEGORIES = frozenset({"Gene", "Protein", "GeneOrGeneProduct", "MolecularEntity", "ChemicalEntity"})
#: Curated aspect text -> Biolink aspect value, for gene and chemical objects. Everything else
#: (cell proliferation, neuroinflammation, physical health ...) has no Biolink value and stays
#: in the project's own ``ldn_aspect`` property.
ASPECTS: dict[str, str] = {
    "activity": "activity",
    "activation": "activity",  # RELA activation is its transcriptional activity
    "signalling": "activity",  # TLR4 signalling
    "receptor signalling": "activity",  # OPRM1 signalling
    "level": "abundance",  # cytokine levels
}


class BiolinkError(LdnGraphError):
    """The KGX export does not conform to Biolink, or the checkers are not installed."""


def get_association(predicate: str, subject_category: str, object_category: str) -> str:
    """Biolink association class (no prefix) for an edge between entities of these categories."""
    for key in (
        (predicate, subject_category, object_category),
        (predicate, subject_category, None),
        (predicate, None, object_category),
        (predicate, None, None),
    ):
        if key in ASSOCIATIONS:
            return ASSOCIATIONS[key]
    return "Association"


def get_aspect(text: str | None, object_category: str) -> str | None:
    """Biolink ``object_aspect_qualifier`` value for a curated aspect, or None if it has none."""
    if text is None or object_category not in ASPECT_CATEGORIES:
        return None
    return ASPECTS.get(text.strip().lower())


# -- offline validation with the real consumers -------------------------------------------------


def _biolink_root() -> Path:
    try:
        import biolink_model
    except ImportError as exc:
        raise BiolinkError(
            "the Biolink checks need the biolink extra: pip install 'ldngraph[biolink]'"
        ) from exc
    from importlib.metadata import version

    installed = version("biolink-model")
    if installed != BIOLINK_VERSION:
        raise BiolinkError(
            f"biolink-model {installed} is installed but the export targets {BIOLINK_VERSION}; "
            f"pip install 'biolink-model=={BIOLINK_VERSION}'"
        )
    return Path(next(iter(biolink_model.__path__)))


def _offline_kgx(local_prefixes: Mapping[str, str]) -> Any:
    """kgx's Validator class, set up to read the packaged Biolink schema instead of fetching it."""
    root = _biolink_root()
    try:
        import bmt
    except ImportError as exc:
        raise BiolinkError(
            "kgx's validator needs the biolink extra: pip install 'ldngraph[biolink]'"
        ) from exc
    # bmt.Toolkit() (called when kgx is imported) fetches the schema and predicate map from GitHub
    # by default; the validator needs neither the network nor the predicate map.
    schema = str(root / "schema" / "biolink_model.yaml")
    bmt.Toolkit.__init__.__defaults__ = (schema, {"predicate mappings": []})
    import kgx.config

    # kgx reads the CURIE prefixes it accepts from a JSON-LD context it downloads; the packaged
    # Biolink prefix map is the same list for the pinned release, plus our documented local ones.
    prefixes = json.loads((root / "prefixmaps" / "biolink_model_prefix_map.json").read_text("utf-8"))
    kgx.config.jsonld_context_map["biolink"] = {**prefixes, **local_prefixes}
    from kgx.validator import Validator

    return Validator


def validate_kgx(
    nodes_path: Path | str, edges_path: Path | str, local_prefixes: Mapping[str, str]
) -> list[str]:
    """kgx's validator on KGX JSON Lines files, offline: one line per error (empty: valid)."""
    # kgx logs and draws progress bars on stdout; results go to stdout, so send them to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        validator_class = _offline_kgx(local_prefixes)
        from kgx.transformer import Transformer

        transformer = Transformer(stream=False)
        transformer.transform({"filename": [str(nodes_path), str(edges_path)], "format": "jsonl"})
        validator = validator_class()
        validator.validate(transformer.store.graph)
    out: list[str] = []
    for level, by_type in validator.get_errors().items():
        if level != "ERROR":
            continue
        for error_type, messages in by_type.items():
            for message, ids in messages.items():
                out.append(f"{error_type}: {message} ({', '.join(map(str, ids[:3]))})")
    return out


def validate_pydantic(records: Iterable[Mapping[str, Any]], project_properties: Iterable[str]) -> list[str]:
    """Each KGX record through the Biolink pydantic class of its first category: one line per error.

    ``project_properties`` are the export's own documented keys (``ldn_*`` and the scores); they are
    left out, since the Biolink classes forbid keys Biolink does not define. Any other key
    the class does not know is an error.
    """
    _biolink_root()
    import pydantic
    from biolink_model.datamodel import pydanticmodel_v2 as model

    skip = set(project_properties)
    out: list[str] = []
    for record in records:
        name = str(record["category"][0]).removeprefix("biolink:")
        cls = getattr(model, name, None)
        if cls is None:
            out.append(f"{record['id']}: category biolink:{name} is not a Biolink {BIOLINK_VERSION} class")
            continue
        try:
            cls(**{k: v for k, v in record.items() if k not in skip})
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                field = ".".join(map(str, err["loc"]))
                got = err.get("input")
                shown = f" (got {got!r})" if isinstance(got, str | int | float) else ""
                out.append(f"{record['id']}: {name}.{field}: {err['msg'].splitlines()[0]}{shown}")
    return out


def read_jsonl(path: Path | str) -> list[dict[str, Any]]:
    """Records of a KGX JSON Lines file."""
    return [json.loads(line) for line in Path(path).read_text("utf-8").splitlines() if line.strip()]
