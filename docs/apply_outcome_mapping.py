"""Rewrite outcome ids in data/ (*.yaml, *.md) from docs/outcome-mapping.yaml (old LDNO: id -> standard term).

    python docs/apply_outcome_mapping.py [DIR ...]     # default: data/

Idempotent: ids already rewritten are left alone, so it can be re-run after merging records that
still use the old ids. Text is rewritten in place (comments and layout kept), one whole CURIE at a
time, and each file is replaced atomically. Prints what it changed to stderr.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from ldngraph.atomic import write_text_atomic

DOCS = Path(__file__).resolve().parent
MAPPING = DOCS / "outcome-mapping.yaml"


def read_mapping(path: Path = MAPPING) -> dict[str, str]:
    """Old id -> new id."""
    return {row["old"]: row["term"] for row in yaml.safe_load(path.read_text(encoding="utf-8"))["mappings"]}


def rewrite(text: str, mapping: dict[str, str]) -> tuple[str, int]:
    """``text`` with every whole old CURIE replaced; and how many were replaced."""
    pattern = re.compile(r"(?<![\w:.-])(" + "|".join(map(re.escape, mapping)) + r")(?![\w.-]*\w)")
    return pattern.subn(lambda m: mapping[m.group(1)], text)


def main(argv: list[str]) -> int:
    mapping = read_mapping()
    dirs = [Path(a) for a in argv] or [DOCS.parent / "data"]
    for directory in dirs:
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.md")]):
            new, count = rewrite(path.read_text(encoding="utf-8"), mapping)
            if count:
                write_text_atomic(path, new)
                print(f"{path}: {count} outcome id(s) rewritten", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
