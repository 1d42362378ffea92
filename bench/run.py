"""Benchmarks at scale: build, score, SPARQL paths, networkx paths, HTML view, start-up time.

    python bench/run.py --sizes 1000,10000,100000

Each size runs in two fresh subprocesses, so peak memory (``ru_maxrss``) belongs to one pipeline:

* the **Oxigraph** pipeline: generate the synthetic corpus, build (fast path straight into
  pyoxigraph), score, the paths query for one intervention, all paths with per-edge roll-up,
  networkx path enumeration;
* the **rdflib** baseline: build the rdflib memory graph and run the same paths query there, killed
  after ``--rdflib-timeout`` seconds (reported as "> T s").

The HTML view (about 5,000 nodes, from a corpus of ``--html-studies`` studies shaped by
``HTML_SHAPE``) runs once, in a third subprocess, so it does not add to a pipeline's peak memory.
A fourth builds a persistent Oxigraph store of ``--disk-studies`` studies (default: the largest
size) and times ``ldngraph query paths_to_condition --store oxigraph:PATH`` in new processes.

Prints a table, writes ``bench/results/bench-<time>.json`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

#: The shipped query (queries/paths_to_condition.rq): paths of 1-3 hops intervention -> mechanisms ->
#: condition, edges rolled up per (subject, object) pair in GROUP BY sub-selects before the join.
PATHS = "paths_to_condition"
#: Each SPARQL query runs this often per engine: the table shows the best run, the JSON also the
#: first (Oxigraph's first query after a bulk load is ~4x slower than the next ones).
REPEAT = 3


START, END = "<!-- bench/run.py: start -->", "<!-- bench/run.py: end -->"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


#: A child writes its results here after every step, so a run killed by its timeout keeps them.
PARTIAL = os.environ.get("LDNGRAPH_BENCH_PARTIAL")


def _timed(results: dict[str, Any], name: str, fn: Callable[[], Any], repeat: int = 1) -> Any:
    """Run ``fn`` ``repeat`` times; ``seconds`` is the best run, ``first_seconds`` the first (cold)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    results[name] = {"seconds": round(min(times), 4), "peak_mb": round(peak_mb())}
    if repeat > 1:
        results[name]["first_seconds"] = round(times[0], 4)
    if PARTIAL:
        Path(PARTIAL).write_text(json.dumps(results), encoding="utf-8")
    return value


def _note(results: dict[str, Any], name: str, note: str) -> None:
    results[name] = {"skipped": note}


def run_oxigraph(size: int, seed: int) -> dict[str, Any]:
    """The scalable pipeline, in this process."""
    from synthetic import generate, intervention_id

    from ldngraph.rdf.build import to_oxigraph
    from ldngraph.stores.query import run_query_on_store
    from ldngraph.stores.store import OxigraphStore

    res: dict[str, Any] = {}
    kb = _timed(res, "generate", lambda: generate(size, seed=seed))
    store = OxigraphStore()
    _timed(res, "build", lambda: to_oxigraph(kb, store.store))
    report = _timed(res, "score", lambda: _score(kb, store))
    res["triples"] = len(store)
    source = intervention_id(0)
    one = _timed(
        res, "paths_one_intervention", lambda: run_query_on_store(store, PATHS, {"source": source}), REPEAT
    )
    res["paths_one_intervention"].update(rows=len(one.rows), rows_sha256=_digest(one.rows))
    every = _timed(res, "paths_all", lambda: run_query_on_store(store, PATHS), REPEAT)
    res["paths_all"].update(rows=len(every.rows), rows_sha256=_digest(every.rows))
    count = _timed(res, "networkx_paths", lambda: _networkx_paths(kb, report, source))
    res["networkx_paths"]["paths"] = count
    return res


def _digest(rows: Any) -> str:
    """Fingerprint of result rows (floats to 9 significant digits, sorted): same rows, same digest."""
    import hashlib

    def one(v: Any) -> Any:
        return float(f"{v:.9g}") if isinstance(v, float) else v

    canon = sorted((tuple(map(one, row)) for row in rows), key=repr)
    return hashlib.sha256(json.dumps(canon, default=str).encode()).hexdigest()[:16]


def _score(kb: Any, store: Any) -> Any:
    """Score the corpus and add the score triples (materialised into a small graph, bulk-loaded)."""
    from rdflib import Graph

    from ldngraph.pipeline import get_profile_path
    from ldngraph.evidence.score import materialise, read_profile, score_knowledge_base

    report = score_knowledge_base(kb, read_profile(get_profile_path()))
    store.add_ntriples(materialise(Graph(), kb, report).serialize(format="nt"))
    return report


def _networkx_paths(kb: Any, report: Any, source: str, max_hops: int = 3) -> int:
    """ldngraph.evidence.paths: every path of <= max_hops from one intervention to every condition."""
    from rdflib import Graph

    from ldngraph.evidence.paths import find_paths, to_networkx
    from ldngraph.pipeline import Built

    graph = to_networkx(Built(kb=kb, graph=Graph(), scores=report))
    conditions = [n for n, kind in graph.nodes(data="kind") if kind == "condition"]
    return sum(len(find_paths(graph, source, c, max_hops=max_hops, top_k=None)) for c in conditions)


#: Entity space of the HTML corpus: with 20,000 studies (seed 7) its view has 5,158 nodes. Claims
#: are drawn with skewed popularity, so the view holds only the entities some claim touches.
HTML_SHAPE = dict(
    mechanisms=4000,
    conditions=2000,
    mechanisms_per_intervention=850,
    conditions_per_intervention=420,
    conditions_per_mechanism=1,
)


def run_html(size: int, seed: int) -> dict[str, Any]:
    """ldngraph.present.viz.to_html on a corpus whose view has about 5,000 nodes (entities)."""
    from synthetic import CorpusShape, generate

    from ldngraph.rdf.build import to_graph
    from ldngraph.pipeline import Built, get_profile_path
    from ldngraph.evidence.score import materialise, read_profile, score_knowledge_base
    from ldngraph.present.viz import to_html, to_networkx

    res: dict[str, Any] = {}
    kb = generate(size, seed=seed, shape=CorpusShape(**HTML_SHAPE))
    report = score_knowledge_base(kb, read_profile(get_profile_path()))
    built = Built(kb=kb, graph=materialise(to_graph(kb), kb, report), scores=report)
    page = _timed(res, "html_5k_nodes", lambda: to_html(built))
    res["html_5k_nodes"].update(nodes=to_networkx(kb).number_of_nodes(), studies=size, bytes=len(page))
    return res


def run_disk(size: int, seed: int) -> dict[str, Any]:
    """A persistent Oxigraph store, queried as a user does: `ldngraph query` in a new process each time.

    Each run pays for the interpreter, imports, opening the store and the query (cold caches of the
    process, warm page cache of the machine).
    """
    import tempfile

    from synthetic import generate, intervention_id

    from ldngraph.rdf.build import to_oxigraph
    from ldngraph.stores.store import OxigraphStore

    res: dict[str, Any] = {"studies": size}
    kb = generate(size, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store"
        store = OxigraphStore(path)
        _timed(res, "build_disk", lambda: (to_oxigraph(kb, store.store), _score(kb, store)))
        store.close()
        args = ["query", PATHS, "--store", f"oxigraph:{path}", "--param", f"source={intervention_id(0)}"]
        cmd = [sys.executable, "-c", f"from ldngraph.cli import main; main({[*args, '--format', 'json']!r})"]
        runs = _timed(
            res, "cli_paths", lambda: subprocess.run(cmd, capture_output=True, text=True, check=True), REPEAT
        )
        res["cli_paths"]["rows"] = len(json.loads(runs.stdout))
    return res


def run_rdflib(size: int, seed: int) -> dict[str, Any]:
    """The baseline: rdflib's memory graph and SPARQL engine, the same query and parameters."""
    from synthetic import generate, intervention_id

    from ldngraph.rdf.build import to_graph
    from ldngraph.pipeline import get_profile_path
    from ldngraph.stores.query import run_query
    from ldngraph.evidence.score import materialise, read_profile, score_knowledge_base

    res: dict[str, Any] = {}
    kb = generate(size, seed=seed)
    report = score_knowledge_base(kb, read_profile(get_profile_path()))
    graph = _timed(res, "build_rdflib", lambda: materialise(to_graph(kb), kb, report))
    one = _timed(
        res,
        "paths_one_intervention_rdflib",
        lambda: run_query(graph, PATHS, {"source": intervention_id(0)}),
        REPEAT,
    )
    res["paths_one_intervention_rdflib"].update(rows=len(one.rows), rows_sha256=_digest(one.rows))
    every = _timed(res, "paths_all_rdflib", lambda: run_query(graph, PATHS), REPEAT)
    res["paths_all_rdflib"].update(rows=len(every.rows), rows_sha256=_digest(every.rows))
    return res


def _child(
    kind: str, size: int, seed: int, timeout: float, script: str = __file__, extra: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Run ``script --child kind`` for one size in a fresh process; its JSON stdout is the result."""
    import tempfile

    cmd = [sys.executable, script, "--child", kind, "--sizes", str(size), "--seed", str(seed), *extra]
    with tempfile.TemporaryDirectory() as tmp:
        partial = Path(tmp) / "partial.json"
        env = {**os.environ, "LDNGRAPH_BENCH_PARTIAL": str(partial)}
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True, env=env)
        except subprocess.TimeoutExpired:
            done = json.loads(partial.read_text()) if partial.exists() else {}
            return {**done, "timeout_s": timeout}
        except subprocess.CalledProcessError as exc:
            return {"error": exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else str(exc)}
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def startup() -> dict[str, Any]:
    """`ldngraph --help` wall time (best of 5) and the slowest imports it pays for."""
    cli = [sys.executable, "-c", "from ldngraph.cli import main; main(['--help'])"]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(cli, capture_output=True, check=True, cwd=REPO)
        times.append(time.perf_counter() - start)
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import ldngraph.cli"],
        capture_output=True,
        text=True,
        cwd=REPO,
    ).stderr
    rows = []
    for line in trace.splitlines()[1:]:
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            rows.append((int(parts[1]), parts[2]))
    top = [
        {"module": m.strip(), "cumulative_ms": round(us / 1000, 1)}
        for us, m in sorted(rows, reverse=True)[:8]
    ]
    result: dict[str, Any] = {
        "help_seconds_best": round(min(times), 3),
        "help_seconds_median": round(sorted(times)[2], 3),
    }
    result["import_top"] = top
    result["paths_cold_seconds"] = _paths_cold()
    return result


def _paths_cold() -> float | str:
    from ldngraph.pipeline import load

    kb = load().kb
    source = next((e.id for e in kb.entities if e.kind.value == "intervention"), None)
    kinds = {e.id: e.kind.value for e in kb.entities}
    target = next(
        (c.object for c in kb.claims if c.subject == source and kinds[c.object] == "condition"), None
    )
    if source is None or target is None:
        return "no intervention/condition pair in the shipped data"
    cmd = [
        sys.executable,
        "-c",
        f"from ldngraph.cli import main; main(['paths', '--from', {source!r}, '--to', {target!r}])",
    ]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        return f"failed: {done.stderr.strip()[-200:]}"
    return round(elapsed, 3)


def machine() -> dict[str, Any]:
    mem_kb = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    versions = {}
    for pkg in ("rdflib", "pyoxigraph", "networkx", "pydantic", "pyvis"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


# -- report -----------------------------------------------------------------------------------------


def _sec(step: dict[str, Any] | None, timeout: float | None = None, digits: int = 2) -> str:
    if not step:
        return f"> {timeout:.0f} s" if timeout else "-"
    if "skipped" in step:
        return "n/a"
    if "first_seconds" in step:
        return f"{step['seconds']:.{digits}f} ({step['first_seconds']:.{digits}f})"
    return f"{step['seconds']:.{digits}f}"


def summarise(size: int, oxi: dict[str, Any], rdf: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One table row; the rdflib/Oxigraph ratio is computed from the same run."""
    ox_paths = oxi.get("paths_one_intervention", {}).get("seconds")
    rdf_step = rdf.get("paths_one_intervention_rdflib")
    if rdf_step and ox_paths:
        r = rdf_step["seconds"] / max(ox_paths, 1e-6)
        ratio = f"{r:.1f}x" if r < 10 else f"{r:.0f}x"
    elif "timeout_s" in rdf and ox_paths:
        ratio = f"> {timeout / max(ox_paths, 1e-6):.0f}x"
    else:
        ratio = "-"
    same = _same(oxi.get("paths_one_intervention"), rdf_step)
    same_all = _same(oxi.get("paths_all"), rdf.get("paths_all_rdflib"))
    build_score = None
    if "build" in oxi and "seconds" in oxi.get("score", {}):
        build_score = round(oxi["build"]["seconds"] + oxi["score"]["seconds"], 2)
    return {
        "studies": size,
        "triples": oxi.get("triples", "-"),
        "build s": _sec(oxi.get("build")),
        "score s": _sec(oxi.get("score")),
        "build+score s": build_score if build_score is not None else "-",
        "paths(1) oxigraph s": _sec(oxi.get("paths_one_intervention")),
        "paths(1) rdflib s": _sec(rdf_step, timeout if "timeout_s" in rdf else None),
        "rdflib/oxigraph": ratio,
        "same rows": same,
        "all paths s": _sec(oxi.get("paths_all")),
        "all paths rdflib s": _sec(rdf.get("paths_all_rdflib"), timeout if "timeout_s" in rdf else None),
        "all same rows": same_all,
        "networkx s": _sec(oxi.get("networkx_paths")),
        "peak MB (oxigraph run)": max(
            (v.get("peak_mb", 0) for v in oxi.values() if isinstance(v, dict)), default="-"
        ),
        "rdflib build s": _sec(rdf.get("build_rdflib")),
    }


def _same(oxi_step: dict[str, Any] | None, rdf_step: dict[str, Any] | None) -> str:
    """'yes' when both engines returned the same rows (same digest), '-' when one did not finish."""
    if not oxi_step or not rdf_step or "rows_sha256" not in rdf_step:
        return "-"
    return "yes" if rdf_step["rows_sha256"] == oxi_step.get("rows_sha256") else "NO"


def to_table(rows: list[dict[str, Any]]) -> str:
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def write_markdown(path: Path, doc: dict[str, Any]) -> None:
    m = doc["machine"]
    s = doc["startup"]
    cold = s["paths_cold_seconds"]
    paths_cold = f"{cold} s" if isinstance(cold, float) else cold
    notes = sorted(
        {
            v["skipped"]
            for run in doc["runs"]
            for v in run["oxigraph"].values()
            if isinstance(v, dict) and "skipped" in v
        }
    )
    text = f"""## Scale: build, score, SPARQL paths (Oxigraph vs rdflib), networkx, start-up

Generated by `python bench/run.py --sizes {",".join(str(r["studies"]) for r in doc["rows"])}` on {doc["date"]}
(synthetic corpus: `bench/synthetic.py`, seed {doc["seed"]}; about 46 triples per study).

Machine: {m["nproc"]} cores ({m["cpu"]}), {m["ram_gb"]} GB RAM, Python {m["python"]}, {m["platform"]};
{", ".join(f"{k} {v}" for k, v in m["versions"].items())}.

### Results

{to_table(doc["rows"])}

- *build*: the fast path (`ldngraph.rdf.build.to_oxigraph`: the one mapping's pyoxigraph terms
  bulk-loaded into pyoxigraph). *rdflib build*: `build.to_graph` (the same triples as rdflib terms).
- *paths(1)*: paths of 1-3 hops intervention -> mechanisms -> condition for one intervention, each
  edge rolled up to its strongest claim (the shipped `queries/paths_to_condition.rq`); the same
  text on both engines, the intervention's name resolved and bound as a parameter (rdflib:
  `initBindings`; Oxigraph: a typed `VALUES` block). rdflib runs are killed after
  {doc["rdflib_timeout"]:.0f} s. *same rows*: both engines returned the same rows (floats to 9
  significant digits).
- SPARQL times are the best of {doc.get("repeat", 1)} runs in the same process, the first (cold) run in
  brackets; the ratio uses the best runs.
- *all paths*: the same query for every intervention. *networkx*: all simple paths of <= 3 hops
  from one intervention to every condition on the collapsed claim graph.
- *peak MB*: `ru_maxrss` of the subprocess that ran the Oxigraph pipeline for that size.
- *HTML*: {_html_line(doc.get("html", {}))}
- *persistent store*: {_disk_line(doc.get("disk", {}))}
{"".join(f"- not measured: {n}" + chr(10) for n in notes)}
### Start-up

- `ldngraph --help`: {s["help_seconds_best"]} s best of 5, {s["help_seconds_median"]} s median
  (target < 0.5 s).
- `ldngraph paths` on the shipped data, cold: {paths_cold} (target < 1.5 s).
- Slowest imports behind `import ldngraph.cli` (`python -X importtime`, cumulative):
{chr(10).join(f"  - `{t['module']}` {t['cumulative_ms']} ms" for t in s["import_top"])}

### Targets (issue 7)

- 10^5 studies: build + score < 60 s, paths query for one intervention < 1 s, peak memory < 4 GB.
- Paths query at 10^4 studies: Oxigraph >= 100x faster than rdflib's memory store.
"""
    replace_section(path, text)


def _disk_line(disk: dict[str, Any]) -> str:
    step = disk.get("cli_paths")
    if not step:
        return f"not measured ({disk.get('error') or 'timed out'})"
    return (
        f"`ldngraph query {PATHS} --store oxigraph:PATH --param source=...` on a persistent store of "
        f"{disk['studies']:,} studies (built in {disk['build_disk']['seconds']:.1f} s), a new process "
        f"per run: {step['seconds']:.2f} s best of {REPEAT}, first {step['first_seconds']:.2f} s, "
        f"{step['rows']:,} rows (target for the query itself: < 1 s at 10^5)."
    )


def _html_line(html: dict[str, Any]) -> str:
    step = html.get("html_5k_nodes")
    if not step:
        return f"not measured ({html.get('error') or 'timed out' if html else 'not run'})"
    return (
        f"`ldngraph.present.viz.to_html` for a view of {step['nodes']:,} nodes (a {step['studies']:,}-study "
        f"corpus, `HTML_SHAPE` in `bench/run.py`): {step['seconds']:.2f} s, {step['bytes'] / 1e6:.1f} MB "
        f"of HTML, peak {step['peak_mb']} MB in its own subprocess."
    )


def replace_section(path: Path, text: str, start: str = START, end: str = END) -> None:
    """Put ``text`` between a script's markers in ``path``, leaving other sections alone."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    section = f"{start}\n{text.rstrip()}\n{end}\n"
    if start in old and end in old:
        new = old[: old.index(start)] + section + old[old.index(end) + len(end) :].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated study counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rdflib-timeout", type=float, default=120.0, help="seconds before an rdflib run is killed"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="seconds before an Oxigraph run is killed"
    )
    parser.add_argument(
        "--html-studies", type=int, default=20_000, help="studies in the corpus of the ~5k-node HTML view"
    )
    parser.add_argument(
        "--disk-studies",
        type=int,
        default=0,
        help="studies for the persistent-store run [default: largest size]",
    )
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-markdown", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--child", choices=["oxigraph", "rdflib", "html", "disk"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.child:
        fn = {"oxigraph": run_oxigraph, "rdflib": run_rdflib, "html": run_html, "disk": run_disk}[args.child]
        print(json.dumps(fn(sizes[0], args.seed)))
        return 0
    runs, rows = [], []
    for size in sizes:
        print(f"studies={size}: oxigraph pipeline ...", file=sys.stderr, flush=True)
        oxi = _child("oxigraph", size, args.seed, args.timeout)
        print(
            f"studies={size}: rdflib baseline (timeout {args.rdflib_timeout:.0f} s) ...",
            file=sys.stderr,
            flush=True,
        )
        rdf = _child("rdflib", size, args.seed, args.rdflib_timeout)
        runs.append({"studies": size, "oxigraph": oxi, "rdflib": rdf})
        rows.append(summarise(size, oxi, rdf, args.rdflib_timeout))
    print(f"html view ({args.html_studies} studies) ...", file=sys.stderr, flush=True)
    html = _child("html", args.html_studies, args.seed, args.timeout)
    disk_studies = args.disk_studies or max(sizes)
    print(f"persistent store ({disk_studies} studies) ...", file=sys.stderr, flush=True)
    disk = _child("disk", disk_studies, args.seed, args.timeout)
    print("start-up ...", file=sys.stderr, flush=True)
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seed": args.seed,
        "rdflib_timeout": args.rdflib_timeout,
        "repeat": REPEAT,
        "machine": machine(),
        "startup": startup(),
        "runs": runs,
        "rows": rows,
        "html": html,
        "disk": disk,
    }
    print(to_table(rows))
    print(_html_line(html))
    print(_disk_line(disk))
    print(json.dumps(doc["startup"], indent=2))
    save(doc, args, "bench", write_markdown)
    return 0


def save(
    doc: dict[str, Any], args: argparse.Namespace, prefix: str, markdown: Callable[[Path, Any], None]
) -> None:
    """Write ``<results>/<prefix>-<time>.json`` and, unless ``--no-markdown``, the markdown section."""
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    if not args.no_markdown:
        markdown(args.markdown, doc)
        print(f"wrote {args.markdown}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
