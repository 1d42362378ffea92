"""Bad inputs of reliability round 3 (issue 27, part B): numbers, records and labels bounded.

The same harness as ``test_bad_inputs.py`` (real CLI in a subprocess, exit 1, one line on stderr,
no traceback, the output directory unchanged); docs/bad-inputs.md lists these cases too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_bad_inputs import (
    MINI,
    PREVIOUS,
    Case,
    Env,
    _snapshot,
    assert_one_line_failure,
    estimate_case,
    run_cli,
)


def _rdf_xml_with_entities(path: Path, encoding: str) -> None:
    """RDF/XML declaring nested internal entities, in ``encoding`` (with its BOM for UTF-16)."""
    text = (
        f'<?xml version="1.0" encoding="{encoding.upper().removesuffix("-BE")}"?>\n'
        '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'
    )
    bom = b"\xfe\xff" if encoding == "utf-16-be" else b""
    path.write_bytes(bom + text.encode(encoding))


CASES: list[Case] = [
    # -- F2/F3: every number finite and bounded at the schema -----------------------------------------
    estimate_case(
        "estimate-ratio-se-overflow",  # once: OverflowError in math.exp, a traceback on every command
        {"measure": "rr", "value": "0.8", "ci_lower": None, "ci_upper": None, "se": "1000"},
        "se",
        "a standard error of 1000 for the log ratio is more than 10",
    ),
    estimate_case(
        "estimate-ci-level-tiny",  # once: an SE of 3e9 from z(1e-10), then OverflowError
        {"measure": "rr", "value": "0.8", "ci_lower": "0.5", "ci_upper": "0.9", "ci_level": "1e-10"},
        "ci_level",
        "not a confidence level",
    ),
    estimate_case(
        "estimate-se-tiny",  # once: the variance squared to 0 and the pooled effect was NaN
        {"ci_lower": None, "ci_upper": None, "se": "1e-200"},
        "se",
        "too precise",
    ),
    estimate_case(
        "estimate-p-value-tiny",  # once: z = inf, an SE of 0, NaN pooled effects
        {"ci_lower": None, "ci_upper": None, "p_value": "1e-320"},
        "p_value",
        "cannot weigh an estimate",
    ),
    estimate_case(
        "estimate-value-huge",
        {"value": "-1e300", "ci_lower": "-2e300", "ci_upper": "-1e299"},
        "value",
        "outside [-1e+09, 1e+09]",
    ),
    # -- F9: every field that becomes an IRI is a valid IRI ---------------------------------------------
    estimate_case(
        "estimate-source-not-iri",  # once: build -o and the RDF exports crashed, JSON-LD injected a triple
        {"source": "https://example.org/a<b>"},
        "source",
        "holds '<', which no IRI may hold; percent-encode it (%3C)",
    ),
    # -- F11: XML entity declarations refused by the parser, whatever the encoding ----------------------
    Case(
        "validate-xml-entities-utf16",  # once: the byte search for <!ENTITY missed it (186 s of CPU)
        lambda env: (
            _rdf_xml_with_entities(env.tmp / "g.rdf", "utf-16"),
            ["validate", str(env.tmp / "g.rdf")],
        )[1],
        ("g.rdf: declares XML entities (<!ENTITY>); RDF needs none, remove them",),
    ),
    Case(
        "diff-xml-entities-utf16",
        lambda env: (
            _rdf_xml_with_entities(env.tmp / "g.rdf", "utf-16-be"),
            ["diff", str(env.tmp / "g.rdf"), str(env.data)],
        )[1],
        ("g.rdf: declares XML entities (<!ENTITY>)",),
    ),
    # -- F13: figures stay a bounded size -------------------------------------------------------------
    Case(
        "figure-too-large",
        lambda env: ["plot", "evidence-map", "--data", str(env.data), "-o", str(env.out / "map.png")],
        ("out/map.png: the figure would be", "pixels, more than the limit LDNGRAPH_MAX_FIGURE_PIXELS=100000"),
        environ=lambda env: {"LDNGRAPH_MAX_FIGURE_PIXELS": "100000"},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path) -> None:
    env = Env(data=tmp_path / "data", out=tmp_path / "out", tmp=tmp_path)
    shutil.copytree(MINI, env.data)
    env.out.mkdir()
    env.previous.write_text(PREVIOUS, encoding="utf-8")
    args = case.prepare(env)
    before = _snapshot(env.out)
    proc = run_cli(args, cwd=tmp_path, environ=case.environ(env))
    assert_one_line_failure(proc, case.expect)
    assert _snapshot(env.out) == before, "output directory changed"
