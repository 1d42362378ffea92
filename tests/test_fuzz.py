"""Fuzzing with hypothesis: whatever the input, only LdnGraphError escapes, as one-line problems.

Fixed seed (``derandomize=True``) and a bounded number of examples, so CI is repeatable and fast.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ldngraph.errors import DataError
from ldngraph.ingest.curated import FILES, read_knowledge_base
from ldngraph.model import KnowledgeBase

MINI = Path(__file__).parent / "resources" / "mini"
FUZZ = settings(
    derandomize=True,
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# Field names the loader knows, so random records get past "unknown field" often enough to reach
# the deeper checks; plus a few names it does not know.
FIELD_NAMES = sorted(
    {name for _, _, model in FILES.values() for name in model.model_fields}
    | {"study", "direction", "outcome", "kind", "effect", "key", "summary", "claims", "bogus"}
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["rct", "supports", "refutes", "human", "verified", "unresolved", "CHEBI:7465", "PMID:111", "trial-a"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=20,
)
records = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=8)


_COPY: list[Path] = []


@contextmanager
def mini_copy() -> Iterator[Path]:
    """One copy of the fixture per process, restored after each example (copying is the slow part)."""
    if not _COPY:
        target = Path(tempfile.mkdtemp(prefix="ldngraph-fuzz-")) / "data"
        shutil.copytree(MINI, target)
        _COPY.append(target)
    data = _COPY[0]
    try:
        yield data
    finally:
        for name in FILES:
            shutil.copyfile(MINI / name, data / name)


def load_or_data_error(data: Path) -> KnowledgeBase | DataError:
    """Read ``data``; a DataError is a fine outcome, any other exception fails the test."""
    try:
        return read_knowledge_base(data)
    except DataError as exc:
        assert exc.problems, "a DataError must say what is wrong"
        for problem in exc.problems:
            assert "\n" not in problem and "\r" not in problem, f"problem spans lines: {problem!r}"
            assert problem.strip(), "empty problem message"
        return exc


@FUZZ
@given(name=st.sampled_from(sorted(FILES)), document=values)
def test_random_yaml_documents(name: str, document: Any) -> None:
    with mini_copy() as data:
        (data / name).write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        load_or_data_error(data)


@FUZZ
@given(name=st.sampled_from(sorted(FILES)), items=st.lists(records, min_size=1, max_size=4))
def test_random_records(name: str, items: list[dict[str, Any]]) -> None:
    key = FILES[name][0]
    with mini_copy() as data:
        path = data / name
        existing = yaml.safe_load(path.read_text(encoding="utf-8"))[key]
        text = yaml.safe_dump({key: existing + items}, allow_unicode=True)
        path.write_text(text, encoding="utf-8")
        result = load_or_data_error(data)
        if isinstance(result, KnowledgeBase):  # every accepted record really is in the result
            assert len(getattr(result, key)) == len(existing) + len(items)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(FILES)))
    raw = bytearray((MINI / name).read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        pos = draw(st.integers(min_value=0, max_value=len(raw)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        if action == "delete":
            del raw[pos : pos + draw(st.integers(min_value=1, max_value=20))]
        elif action == "insert":
            raw[pos:pos] = draw(
                st.one_of(
                    st.binary(max_size=8),
                    st.sampled_from(
                        [b": ", b"- ", b"\t", b"[", b"{", b"&a ", b"*a", b"!!python/object ", b"\n  "]
                    ),
                )
            )
        elif action == "replace" and pos < len(raw):
            raw[pos] = draw(st.integers(min_value=0, max_value=255))
        else:
            del raw[pos:]
    return name, bytes(raw)


@FUZZ
@given(mutation=mutations())
def test_mutated_fixture_files(mutation: tuple[str, bytes]) -> None:
    name, content = mutation
    with mini_copy() as data:
        (data / name).write_bytes(content)
        load_or_data_error(data)


# -- PubMed parser ----------------------------------------------------------------------------------

PUBMED = Path(__file__).parent / "resources" / "pubmed"


@st.composite
def mutated_bytes(draw: st.DrawFn, name: str) -> bytes:
    raw = bytearray((PUBMED / name).read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        pos = draw(st.integers(min_value=0, max_value=len(raw)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        if action == "delete":
            del raw[pos : pos + draw(st.integers(min_value=1, max_value=40))]
        elif action == "insert":
            raw[pos:pos] = draw(
                st.one_of(
                    st.binary(max_size=8),
                    st.sampled_from(
                        [
                            b"<",
                            b"</PMID>",
                            b"&amp;",
                            b"&x;",
                            b"<![CDATA[",
                            b"<!DOCTYPE a [<!ENTITY x 'y'>]>",
                            b"\x00",
                        ]
                    ),
                )
            )
        elif action == "replace" and pos < len(raw):
            raw[pos] = draw(st.integers(min_value=0, max_value=255))
        else:
            del raw[pos:]
    return bytes(raw)


@FUZZ
@given(data=st.one_of(mutated_bytes("article.xml"), mutated_bytes("retracted.xml"), st.binary(max_size=200)))
def test_pubmed_xml_parser(data: bytes) -> None:
    import io

    from ldngraph.errors import PubMedError
    from ldngraph.ingest.pubmed import read_pubmed_xml

    try:
        records = read_pubmed_xml(io.BytesIO(data), name="fuzz")
    except PubMedError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz")
    else:
        assert all(r.pmid.isdigit() for r in records)


@FUZZ
@given(data=mutated_bytes("records.medline"))
def test_medline_reader(data: bytes) -> None:
    from ldngraph.errors import PubMedError
    from ldngraph.ingest.medline import iter_medline

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.medline"
        path.write_bytes(data)
        try:
            records = list(iter_medline(path))
        except PubMedError as exc:
            assert "\n" not in str(exc)
        else:
            assert all(r.pmid.isdigit() for r in records)


# -- evidence profile and scorer --------------------------------------------------------------------

PROFILE = Path(__file__).resolve().parent.parent / "data" / "evidence-profile.yaml"
SHIPPED = PROFILE.parent


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


def _set_leaf(node: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _read_written_profile(document: Any) -> Any:
    """Write ``document`` as a profile file and read it back: the Profile, or the ProfileError."""
    from ldngraph.errors import ProfileError
    from ldngraph.evidence.profile import read_profile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "profile.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        try:
            return read_profile(path)
        except ProfileError as exc:
            return exc


PROFILE_DATA = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
PROFILE_LEAVES = _leaves(PROFILE_DATA)
leaf_values = st.one_of(
    st.floats(min_value=0, max_value=1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=500),
    st.none(),
    st.text(max_size=8),
    st.lists(st.sampled_from(["rct", "animal", "bogus"]), max_size=3),
)


def _check_report(kb: KnowledgeBase, profile: Any) -> None:
    from ldngraph.evidence.profile import Certainty
    from ldngraph.evidence.score import score_knowledge_base

    report = score_knowledge_base(kb, profile)
    assert set(report.claims) == {c.id for c in kb.claims}
    for score in report.claims.values():
        for value in (score.support, score.refute, score.strength, score.disagreement):
            assert 0.0 <= value <= 1.0, score
        assert score.certainty in set(Certainty)
        for item in score.items:
            assert 0.0 <= item.weight <= 1.0


@FUZZ
@given(changes=st.lists(st.tuples(st.sampled_from(PROFILE_LEAVES), leaf_values), min_size=1, max_size=5))
def test_random_profiles_are_rejected_or_score_in_range(changes: list[tuple[tuple[Any, ...], Any]]) -> None:
    import copy

    from ldngraph.errors import ProfileError

    data = copy.deepcopy(PROFILE_DATA)
    for path, value in changes:
        _set_leaf(data, path, value)
    profile = _read_written_profile(data)
    if isinstance(profile, ProfileError):
        assert "\n" not in str(profile)
        return
    _check_report(read_knowledge_base(MINI), profile)


@FUZZ
@given(document=values)
def test_random_profile_documents(document: Any) -> None:
    from ldngraph.errors import ProfileError

    profile = _read_written_profile(document)
    if isinstance(profile, ProfileError):
        assert "\n" not in str(profile)


def _number_at(path: tuple[Any, ...]) -> bool:
    node: Any = PROFILE_DATA
    for key in path:
        node = node[key]
    return isinstance(node, int | float) and not isinstance(node, bool)


NUMBER_LEAVES = [p for p in PROFILE_LEAVES if _number_at(p)]


@FUZZ
@given(
    changes=st.lists(
        st.tuples(st.sampled_from(NUMBER_LEAVES), st.floats(min_value=0.001, max_value=1)),
        min_size=1,
        max_size=8,
    )
)
def test_in_range_profiles_score_in_range(changes: list[tuple[tuple[Any, ...], float]]) -> None:
    """Numbers moved within [0, 1]: mostly accepted, and then every score stays in range."""
    import copy

    from ldngraph.errors import ProfileError

    data = copy.deepcopy(PROFILE_DATA)
    for path, value in changes:
        _set_leaf(data, path, value)
    profile = _read_written_profile(data)
    if isinstance(profile, ProfileError):  # e.g. a threshold order the profile rules out
        return
    _check_report(read_knowledge_base(MINI), profile)
    _check_report(read_knowledge_base(SHIPPED), profile)


study_updates = st.fixed_dictionaries(
    {},
    optional={
        "n": st.one_of(st.none(), st.integers(min_value=1, max_value=10**7)),
        "blinded": st.one_of(st.none(), st.booleans()),
        "randomised": st.one_of(st.none(), st.booleans()),
        "controlled": st.one_of(st.none(), st.booleans()),
        "design": st.sampled_from(
            ["meta_analysis", "rct", "case_report", "animal", "in_vitro", "commentary"]
        ),
        "population": st.sampled_from(["human", "animal", "cell", "none"]),
        "indirectness": st.lists(
            st.sampled_from(["different_isomer", "different_dose", "co_intervention", "different_agent"]),
            max_size=3,
            unique=True,
        ),
    },
)


@FUZZ
@given(
    updates=st.lists(study_updates, min_size=3, max_size=3), directions=st.lists(st.booleans(), min_size=4)
)
def test_scorer_on_random_study_attributes(updates: list[dict[str, Any]], directions: list[bool]) -> None:
    from ldngraph.evidence.profile import read_profile
    from ldngraph.model import Claim, Study

    kb = read_knowledge_base(MINI)
    studies = tuple(
        Study.model_validate({**s.model_dump(), **u}) for s, u in zip(kb.studies, updates, strict=True)
    )
    flips = iter(directions)
    claims = tuple(
        Claim.model_validate(
            {
                **c.model_dump(),
                "evidence": [
                    {**e.model_dump(), "direction": "supports" if next(flips, True) else "refutes"}
                    for e in c.evidence
                ],
            }
        )
        for c in kb.claims
    )
    _check_report(kb.model_copy(update={"studies": studies, "claims": claims}), read_profile(PROFILE))
