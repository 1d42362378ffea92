"""Extract the parts of the Biolink Model that the KGX export tests check against.

The full model (PyPI ``biolink-model``, Apache-2.0) drags in linkml-runtime and an old pytest
plugin, so the tests read this small extract instead. Regenerate it after a Biolink upgrade:

    pip install --no-deps biolink-model==4.4.6
    python tests/resources/biolink/extract_biolink.py > tests/resources/biolink/biolink-extract.yaml

``tests/test_export_interchange.py`` re-runs the extraction and compares when the package is
installed, so the extract cannot silently drift from the model it names.
"""

from __future__ import annotations

import importlib.resources
import sys
from typing import Any

import yaml


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split(" "))


def _snake(name: str) -> str:
    return name.replace(" ", "_")


def _ancestors(defs: dict[str, Any], name: str) -> list[str]:
    out = []
    while name:
        out.append(name)
        name = defs[name].get("is_a") or ""
    return out


def _required_slots(schema: dict[str, Any], cls: str) -> list[str]:
    classes, slots = schema["classes"], schema["slots"]
    chain = _ancestors(classes, cls)
    names: set[str] = set()
    for c in chain:
        names.update(classes[c].get("slots", []))
        for mixin in classes[c].get("mixins", []):
            names.update(classes[mixin].get("slots", []))
    required = set()
    for slot in names:
        flag = bool(slots.get(slot, {}).get("required"))
        for c in reversed(chain):  # the nearest slot_usage wins
            usage = classes[c].get("slot_usage", {}).get(slot, {})
            if "required" in usage:
                flag = bool(usage["required"])
        if flag:
            required.add(_snake(slot))
    return sorted(required)


def extract(schema: dict[str, Any]) -> dict[str, Any]:
    classes, slots, enums = schema["classes"], schema["slots"], schema["enums"]

    def flags(d: dict[str, Any]) -> list[str]:
        return [f for f in ("abstract", "mixin", "deprecated") if d.get(f)]

    return {
        "biolink_version": schema["version"],
        "named_thing_classes": {
            _camel(n): flags(d) for n, d in sorted(classes.items()) if "named thing" in _ancestors(classes, n)
        },
        "association_classes": {
            _camel(n): flags(d) for n, d in sorted(classes.items()) if "association" in _ancestors(classes, n)
        },
        "predicates": {
            _snake(n): flags(d) for n, d in sorted(slots.items()) if "related to" in _ancestors(slots, n)
        },
        "knowledge_level": sorted(enums["KnowledgeLevelEnum"]["permissible_values"]),
        "agent_type": sorted(enums["AgentTypeEnum"]["permissible_values"]),
        "required": {
            "association": _required_slots(schema, "association"),
            "named_thing": _required_slots(schema, "named thing"),
        },
    }


def load_schema() -> dict[str, Any]:
    path = importlib.resources.files("biolink_model") / "schema" / "biolink_model.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


if __name__ == "__main__":
    yaml.safe_dump(extract(load_schema()), sys.stdout, sort_keys=True, default_flow_style=None, width=110)
