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
