"""A researcher's first hour, from a fresh clone: README quick start 1, edit a claim, see the edit.

The test runs the README's first command as written, with two substitutions that keep it offline
and fast, and says so: ``python3 -m venv .venv`` is :func:`venv.create` (the same thing), and pip
gets ``--no-deps --no-index --no-build-isolation`` because there is no network in the tests; the
dependencies come from this interpreter's site-packages through a ``.pth`` file (paths only: the
``.pth`` files inside them, such as this checkout's own editable install, are not run). The
ldngraph in the new venv is then the clone's, installed by the README's own pip arguments.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import site
import subprocess
import sysconfig
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CLAIM = "ldn-improves-pain-fibromyalgia"
EDITED = "EDITED IN THE CLONE: LDN reduces pain in fibromyalgia (curator's test edit)."
NEW_STUDY = """  - id: curators-test-trial
    label: A curator's test entry re-using the Younger 2013 publication
    design: rct
    population: human
    species: NCBITaxon:9606
    n: 60
    randomised: true
    controlled: true
    blinded: true
    publications: [DOI:10.1002/art.37734]
    outcomes:
      - outcome: HP:0012531
        kind: subjective
        effect: improved
    risk_of_bias:
      tool: rob2
      source: https://meddatax.com/clinical-trials/NCT00568555/results
      domains:
        randomisation: {judgement: not_assessed, support: a curator's test entry}
        deviations: {judgement: not_assessed, support: a curator's test entry}
        missing_data: {judgement: not_assessed, support: a curator's test entry}
        measurement: {judgement: not_assessed, support: a curator's test entry}
        reporting: {judgement: not_assessed, support: a curator's test entry}
"""
NEW_ITEM = """      - study: curators-test-trial
        direction: supports
        outcome: HP:0012531
"""


def _quickstart() -> tuple[list[str], list[str]]:
    """README command 1, split into its pip arguments and its ldngraph command."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, flags=re.S)
    line = next(ln for b in blocks for ln in b.splitlines() if ln.startswith("python3 -m venv"))
    make, pip, run = (shlex.split(part) for part in line.split("&&"))
    assert make == ["python3", "-m", "venv", ".venv"], line
    assert pip[:2] == [".venv/bin/pip", "install"], line
    assert run[0] == ".venv/bin/ldngraph", line
    return pip[2:], run[1:]


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.mark.slow
def test_clone_quickstart_edit_a_claim_and_see_it(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "ldngraph"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
    pip_args, build_args = _quickstart()
    env_dir = clone / ".venv"
    venv.create(env_dir, with_pip=True)  # README: python3 -m venv .venv
    (purelib,) = env_dir.glob("lib/python*/site-packages")
    deps = [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]
    (purelib / "_test_deps.pth").write_text("\n".join(dict.fromkeys(deps)) + "\n", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if k not in {"LDNGRAPH_DATA", "LDNGRAPH_QUERIES", "PYTHONPATH"}
    }
    offline = ["--no-deps", "--no-index", "--no-build-isolation"]
    _run([str(env_dir / "bin" / "pip"), "install", *offline, *pip_args], clone, env)
    ldngraph = str(env_dir / "bin" / "ldngraph")
    where = _run(
        [str(env_dir / "bin" / "python"), "-c", "import ldngraph; print(ldngraph.__file__)"], clone, env
    )
    assert where.stdout.strip().startswith(str(clone)), where.stdout  # the clone's ldngraph, not ours
    built = _run([ldngraph, *build_args], clone, env)  # README: .venv/bin/ldngraph build -o ldn-graph.ttl
    assert (clone / "ldn-graph.ttl").stat().st_size > 1000
    assert re.search(rf"^data +{re.escape(str(clone / 'data'))}$", built.stdout, re.M), built.stdout

    before = _run([ldngraph, "explain", CLAIM], clone, env).stdout
    assert EDITED not in before
    claims = clone / "data" / "claims.yaml"
    text = claims.read_text(encoding="utf-8")
    block = text.index(f"id: {CLAIM}")
    start = text.index("statement:", block)
    end = text.index("\n", start)
    claims.write_text(text[:start] + f'statement: "{EDITED}"' + text[end:], encoding="utf-8")

    after = _run([ldngraph, "-v", "explain", CLAIM], clone, env)
    assert EDITED in after.stdout
    assert f"reading data from {clone / 'data'}" in after.stderr
    # ... and from a subdirectory, the editable install still reads the clone's data/
    sub = clone / "notebooks"
    assert EDITED in _run([ldngraph, "explain", CLAIM], sub, env).stdout

    # README "Adding a study and a claim": a study (here re-using a publication already in
    # data/publications.yaml, so no citation is invented) and an evidence item on the claim
    studies = clone / "data" / "studies.yaml"
    studies.write_text(studies.read_text(encoding="utf-8") + NEW_STUDY, encoding="utf-8")
    text = claims.read_text(encoding="utf-8")
    evidence = text.index("evidence:", text.index(f"id: {CLAIM}"))
    at = text.index("\n", evidence) + 1
    claims.write_text(text[:at] + NEW_ITEM + text[at:], encoding="utf-8")
    _run([ldngraph, "build"], clone, env)  # README step 4
    explained = _run([ldngraph, "explain", CLAIM, "--format", "json"], clone, env).stdout
    assert "curators-test-trial" in [item["study"] for item in json.loads(explained)["items"]]
