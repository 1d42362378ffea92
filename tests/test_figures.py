"""The README's figures are fresh: docs/figures.stamp records the scored graph and drawing code
they were made from (docs/make_figures.py), and both still match."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
FIX = "figures are stale: run `python docs/make_figures.py` and commit docs/*.png and docs/figures.stamp"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_figures", REPO / "docs" / "make_figures.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_figures_are_fresh() -> None:
    script = _script()
    stamp = json.loads(script.STAMP.read_text(encoding="utf-8"))
    assert stamp["images"] == script.get_images_hash(), "an image was changed by hand; " + FIX
    now = script.get_inputs_hash()
    changed = sorted(k for k in now if stamp["inputs"].get(k) != now[k])
    assert not changed, f"{', '.join(changed)} changed since the figures were drawn; {FIX}"


def test_readme_links_every_figure() -> None:
    script = _script()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in script.FIGURES:
        assert f"(docs/{name})" in readme, name
    assert "python docs/make_figures.py" in readme
