"""How much of the rdflib/Oxigraph gap is the engine, and how much the query's shape.

    python bench/query_shapes.py --sizes 1000,10000

The paths question (every path of 1-3 hops from one intervention to the conditions, each edge
rolled up to its strongest claim) written four ways, all returning the same rows (checked by digest):

* ``shipped``: ``queries/paths_to_condition.rq``, per-edge GROUP BY sub-selects joined, kinds as
  filters; the shape chosen so that rdflib evaluates it in time;
* ``flat``: ``bench/shapes/paths_flat.rq``, one plain join per hop count and one GROUP BY, kinds
  as constant objects; the way the question is usually written;
* ``flat_filter``: ``bench/shapes/paths_flat_filter.rq``, the flat shape with kinds as filters;
* ``semijoin``: ``bench/shapes/paths_semijoin.rq``, the shipped sub-selects restricted to the
  nodes the intervention reaches.

Per size, one subprocess runs every shape on Oxigraph; rdflib gets one subprocess per shape, killed
after ``--rdflib-timeout`` seconds (a shape rdflib plans badly can take hours). Both sides include
resolving the intervention's name and converting the rows, as ``ldngraph query`` does. The report
gives, for each shape, the ratio on the same text, and, per size, the ratio of each engine's
fastest shape to the other's ("best vs best"): the engine's own share of the gap.

Prints a table, writes ``bench/results/shapes-<time>.json`` and a section of ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import run as bench  # noqa: E402  (bench/run.py: timing, digests, subprocess runner, report helpers)

SHAPES: dict[str, str] = {
    "shipped": bench.PATHS,
    "flat": str(BENCH / "shapes" / "paths_flat.rq"),
    "flat_filter": str(BENCH / "shapes" / "paths_flat_filter.rq"),
    "semijoin": str(BENCH / "shapes" / "paths_semijoin.rq"),
}
START, END = "<!-- bench/query_shapes.py: start -->", "<!-- bench/query_shapes.py: end -->"


def run_oxigraph(size: int, seed: int) -> dict[str, Any]:
    """Every shape on one Oxigraph store (fast-path build, scored)."""
    from synthetic import generate, intervention_id

    from ldngraph.rdf.build import to_oxigraph
    from ldngraph.stores.query import run_query_on_store
    from ldngraph.stores.store import OxigraphStore

    kb = generate(size, seed=seed)
    store = OxigraphStore()
    to_oxigraph(kb, store.store)
    bench._score(kb, store)
    res: dict[str, Any] = {"triples": len(store), "claims": len(kb.claims)}
    params = {"source": intervention_id(0)}
    for shape, query in SHAPES.items():
        rows = bench._timed(res, shape, lambda q=query: run_query_on_store(store, q, params), bench.REPEAT)
        res[shape].update(rows=len(rows.rows), rows_sha256=bench._digest(rows.rows))
    return res


def run_rdflib(size: int, seed: int, shape: str) -> dict[str, Any]:
    """One shape on rdflib's memory graph (own process: a badly planned shape is killed, not waited for)."""
    from synthetic import generate, intervention_id

    from ldngraph.rdf.build import to_graph
    from ldngraph.pipeline import get_profile_path
    from ldngraph.stores.query import run_query
    from ldngraph.evidence.score import materialise, read_profile, score_knowledge_base

    kb = generate(size, seed=seed)
    graph = materialise(to_graph(kb), kb, score_knowledge_base(kb, read_profile(get_profile_path())))
    res: dict[str, Any] = {}
    params = {"source": intervention_id(0)}
    rows = bench._timed(res, shape, lambda: run_query(graph, SHAPES[shape], params), bench.REPEAT)
    res[shape].update(rows=len(rows.rows), rows_sha256=bench._digest(rows.rows))
    return res


def _ratio(slow: float, fast: float) -> str:
    r = slow / max(fast, 1e-6)
    return f"{r:.1f}x" if r < 10 else f"{r:,.0f}x"


def summarise(
    size: int, oxi: dict[str, Any], rdf: dict[str, dict[str, Any]], timeout: float
) -> list[dict[str, Any]]:
    """One table row per shape, then a best-vs-best row; ratios only from this run's timings."""
    reference = oxi.get("shipped", {}).get("rows_sha256")
    rows: list[dict[str, Any]] = []
    for shape in SHAPES:
        o, r = oxi.get(shape), rdf.get(shape, {}).get(shape)
        timed_out = "timeout_s" in rdf.get(shape, {})
        if timed_out or (r and "rows_sha256" not in r):
            r = None  # a run killed after its timing but before its rows were read did not finish
        if o and r:
            ratio = _ratio(r["seconds"], o["seconds"])
        elif o and timed_out:
            ratio = f"> {_ratio(timeout, o['seconds'])}"
        else:
            ratio = "-"
        digests = {d for d in ((o or {}).get("rows_sha256"), (r or {}).get("rows_sha256")) if d}
        rows.append(
            {
                "studies": size,
                "shape": shape,
                "oxigraph s": bench._sec(o, digits=3),  # Oxigraph answers in milliseconds
                "rdflib s": bench._sec(r, timeout if timed_out else None, digits=3),
                "rdflib/oxigraph (same text)": ratio,
                "rows": (o or r or {}).get("rows", "-"),
                "same rows as shipped": "yes" if digests == {reference} else ("NO" if digests else "-"),
            }
        )
    fastest_o = min((s for s in SHAPES if s in oxi), key=lambda s: oxi[s]["seconds"], default=None)
    done_r = [s for s in SHAPES if "rows_sha256" in rdf.get(s, {}).get(s, {}) and "timeout_s" not in rdf[s]]
    fastest_r = min(done_r, key=lambda s: rdf[s][s]["seconds"], default=None)
    if fastest_o and fastest_r:
        o_best, r_best = oxi[fastest_o]["seconds"], rdf[fastest_r][fastest_r]["seconds"]
        rows.append(
            {
                "studies": size,
                "shape": f"best vs best: rdflib `{fastest_r}`, Oxigraph `{fastest_o}`",
                "oxigraph s": f"{o_best:.3f}",
                "rdflib s": f"{r_best:.3f}",
                "rdflib/oxigraph (same text)": f"**{_ratio(r_best, o_best)}** (engine)",
                "rows": "",
                "same rows as shipped": "",
            }
        )
    return rows


def write_markdown(path: Path, doc: dict[str, Any]) -> None:
    m = doc["machine"]
    sizes = ",".join(str(r["studies"]) for r in doc["runs"])
    claims = ", ".join(f"{r['oxigraph'].get('claims', '?'):,} at {r['studies']:,}" for r in doc["runs"])
    text = f"""## Query shape: how much of the rdflib/Oxigraph gap is the engine

Generated by `python bench/query_shapes.py --sizes {sizes}` on {doc["date"]} (synthetic corpus
seed {doc["seed"]}; claims: {claims} studies). Machine: {m["nproc"]} cores ({m["cpu"]}),
Python {m["python"]}; {", ".join(f"{k} {v}" for k, v in m["versions"].items())}.

The same question (paths of 1-3 hops from one intervention, strongest claim per edge) in four SPARQL
shapes that return the same rows: `shipped` is `queries/paths_to_condition.rq`; the others are in
`bench/shapes/` and described in their headers. Best of {doc["repeat"]} runs, the first in brackets;
rdflib runs killed after {doc["rdflib_timeout"]:.0f} s. Name resolution and row conversion are
included on both engines.

{bench.to_table(doc["rows"])}

- *same text*: both engines ran that file. *best vs best*: each engine's fastest shape, i.e. what
  a user who tunes the query for the engine gets; this is the ratio the engine itself accounts for.
"""
    bench.replace_section(path, text, START, END)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated study counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rdflib-timeout", type=float, default=300.0, help="seconds per rdflib shape run")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for the Oxigraph run")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-markdown", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument(
        "--child", choices=["oxigraph", *(f"rdflib:{s}" for s in SHAPES)], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if args.child:
        kind, _, shape = args.child.partition(":")
        result = (
            run_oxigraph(sizes[0], args.seed)
            if kind == "oxigraph"
            else run_rdflib(sizes[0], args.seed, shape)
        )
        print(json.dumps(result))
        return 0
    runs, rows = [], []
    for size in sizes:
        print(f"studies={size}: every shape on Oxigraph ...", file=sys.stderr, flush=True)
        oxi = bench._child("oxigraph", size, args.seed, args.timeout, __file__)
        rdf = {}
        for shape in SHAPES:
            print(
                f"studies={size}: {shape} on rdflib (timeout {args.rdflib_timeout:.0f} s) ...",
                file=sys.stderr,
                flush=True,
            )
            rdf[shape] = bench._child(f"rdflib:{shape}", size, args.seed, args.rdflib_timeout, __file__)
        runs.append({"studies": size, "oxigraph": oxi, "rdflib": rdf})
        rows += summarise(size, oxi, rdf, args.rdflib_timeout)
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "seed": args.seed,
        "repeat": bench.REPEAT,
        "rdflib_timeout": args.rdflib_timeout,
        "machine": bench.machine(),
        "runs": runs,
        "rows": rows,
    }
    print(bench.to_table(rows))
    bench.save(doc, args, "shapes", write_markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
