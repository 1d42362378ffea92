"""The fast N-Triples/Oxigraph build path gives exactly the graph of build.to_graph."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from ldngraph.build import to_graph
from ldngraph.fastbuild import to_ntriples, to_oxigraph
from ldngraph.ingest.curated import read_knowledge_base
from ldngraph.locations import get_data_dir
from ldngraph.model import KnowledgeBase

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from synthetic import generate, validate


def _corpora() -> dict[str, KnowledgeBase]:
    return {
        "fixture": read_knowledge_base(Path(__file__).parent / "resources" / "mini"),
        "shipped-data": read_knowledge_base(get_data_dir()),
        "synthetic-200": generate(200),
    }


@pytest.mark.parametrize("name", ["fixture", "shipped-data", "synthetic-200"])
def test_fast_path_is_isomorphic_to_build(name: str) -> None:
    kb = _corpora()[name]
    slow = to_graph(kb)
    fast = Graph().parse(data=to_ntriples(kb), format="nt")
    if not isomorphic(slow, fast):
        _, only_slow, only_fast = graph_diff(to_isomorphic(slow), to_isomorphic(fast))
        pytest.fail(f"only in build.py: {sorted(only_slow)[:3]}; only in fastbuild: {sorted(only_fast)[:3]}")
    store = to_oxigraph(kb)
    assert len(store) == len(slow)


def test_escaping_survives_awkward_text(mini_copy: Path) -> None:
    path = mini_copy / "claims.yaml"
    text = path.read_text(encoding="utf-8")
    awkward = 'LDN "reduces" pain \\ in fibromyalgia;\ttab,\nnew line, ünïcödé'
    path.write_text(text.replace("LDN reduces pain in fibromyalgia.", json.dumps(awkward)), encoding="utf-8")
    kb = read_knowledge_base(mini_copy)
    assert any(c.statement == awkward for c in kb.claims)
    assert isomorphic(to_graph(kb), Graph().parse(data=to_ntriples(kb), format="nt"))


def test_synthetic_corpus_is_valid_and_deterministic() -> None:
    kb = generate(300, seed=3)
    validate(kb)
    assert generate(300, seed=3) == kb
    assert generate(300, seed=4) != kb
    designs = {s.design for s in kb.studies}
    directions = {e.direction for c in kb.claims for e in c.evidence}
    assert len(designs) >= 10 and len(directions) == 2
    assert len(kb.studies) == 300


def test_cached_indexes_do_not_survive_a_copy() -> None:
    kb = generate(20)
    assert "syn-0" in kb.study_index  # computes and caches the index
    smaller = kb.model_copy(update={"studies": kb.studies[1:]})
    assert "syn-0" not in smaller.study_index
    assert "syn-0" in kb.study_index
