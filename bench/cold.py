"""Benchmarks of what a user runs, from files on disk, each in a new process (issue 24):

    python bench/cold.py                       # cold commands + YAML -> store at 10^4 and 10^5
    python bench/cold.py --sizes 10000,100000,1000000 --timeout 3600

1. **Cold commands** on the shipped data/: ``paths``, ``sof``, ``explain``, ``query`` and ``build``,
   each started as ``ldngraph ...`` in a new process, answered from the build cache (the usual
   case: a second command on unchanged data) and with ``--no-cache`` (a first command after an
   edit). Beside them, in the same run, the **floor**: a new Python process that only imports
   the libraries every command needs (click, pydantic, networkx). Figures are CPU seconds (user +
   system, from the kernel's accounting of the finished child), the median of ``--runs``.
2. **YAML to store**: the synthetic corpus (``bench/synthetic.py``) of each size written as a data
   directory (YAML files), then ``ldngraph --no-cache push --data DIR --store oxigraph:PATH`` in a
   new process, beside Oxigraph's own ``bulk_load`` of the same quads (dumped from that store to an
   N-Quads file) in another new process: the ratio is the cost of reading, validating, scoring and
   mapping the YAML over the store's own load. Peak memory is the child's ``ru_maxrss``.

The load average is read before and after each part; benchmark on a quiet machine. Results go to
``bench/results/cold-<time>.json`` and a section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

START, END = "<!-- bench/cold.py: start -->", "<!-- bench/cold.py: end -->"
#: Targets of issue 24 (CPU seconds of a command answered from the build cache).
TARGETS = {"paths": 0.35, "query": 0.35, "sof": 0.35, "explain": 0.35, "build": 0.5}
COMMANDS: dict[str, list[str]] = {
    "paths": ["paths", "--from", "LDN", "--to", "fibromyalgia"],
    "query": ["query", "conditions_by_certainty"],
    "sof": ["sof", "--condition", "fibromyalgia", "--format", "md"],
    "explain": ["explain", "ldn-improves-pain-fibromyalgia"],
    "build": ["build"],
}
FLOOR = "import click, pydantic, networkx"
PUSH_TARGET = 2.5  # x Oxigraph's bulk_load, at 10^4 studies


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _spawn(
    cmd: list[str], env: dict[str, str], timeout: float, *, memory_gb: float | None = None
) -> dict[str, Any]:
    """Run ``cmd`` in a new process: wall and CPU seconds and peak RSS (MB) of that child alone (it is
    reaped with ``os.wait4``, whose accounting is the kernel's), and its exit status. Linux starts a
    child's peak at its parent's resident size, so this process keeps nothing big in memory: a small
    child's peak reads as this process's size at least (about 30 MB)."""
    start = time.perf_counter()
    limit = None
    if memory_gb:  # address-space cap: a corpus too big for the machine fails cleanly, not by OOM
        cap = int(memory_gb * 2**30)

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    proc = subprocess.Popen(
        cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit
    )
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return {"timeout_s": timeout}
        time.sleep(0.002)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # already reaped
    result: dict[str, Any] = {
        "wall_s": round(wall, 4),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "exit": code,
    }
    if code:
        result["stderr"] = err[-300:]
    return result


def user_env(cache: Path) -> dict[str, str]:
    """What a user's shell has: bytecode written (no PYTHONDONTWRITEBYTECODE), the cache on (in
    ``cache``), no test switches."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONDONTWRITEBYTECODE", "LDNGRAPH_NO_CACHE"}}
    env["XDG_CACHE_HOME"] = str(cache)
    return env


def ldngraph() -> list[str]:
    return [sys.executable, "-c", "import sys; from ldngraph.cli import main; main(sys.argv[1:])"]


def median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return round(statistics.median(values), 3) if values else None


def bench_commands(runs: int, names: list[str], timeout: float) -> dict[str, Any]:
    out: dict[str, Any] = {"load_before": load_average()}
    with tempfile.TemporaryDirectory() as tmp:
        env = user_env(Path(tmp))
        floor = [_spawn([sys.executable, "-c", FLOOR], env, timeout) for _ in range(runs + 1)][1:]
        out["floor"] = {"command": f"python -c '{FLOOR}'", "cpu_s": median(floor, "cpu_s")}
        rows = []
        for name in names:
            cmd = [*ldngraph(), *COMMANDS[name]]
            miss = [
                _spawn([*ldngraph(), "--no-cache", *COMMANDS[name]], env, timeout)
                for _ in range(max(1, runs // 2))
            ]
            _spawn(cmd, env, timeout)  # warm-up: fills the cache (and, for build, the SHACL verdict)
            entries = len(list((Path(tmp) / "ldngraph" / "builds").glob("*.json")))
            hit = [_spawn(cmd, env, timeout) for _ in range(runs)]
            failed = [r for r in (*miss, *hit) if r.get("exit") or "timeout_s" in r]
            row = {
                "command": "ldngraph " + " ".join(COMMANDS[name]),
                "cached_cpu_s": median(hit, "cpu_s"),
                "cached_wall_s": median(hit, "wall_s"),
                "cached_peak_mb": median(hit, "peak_mb"),
                "no_cache_cpu_s": median(miss, "cpu_s"),
                "target_cpu_s": TARGETS[name],
                "failed": failed[:1],
                "cache_entries": entries,  # what the cached runs read: evidence the cache is used
            }
            cached, floor_cpu = row["cached_cpu_s"], out["floor"]["cpu_s"]
            row["x_floor"] = round(cached / floor_cpu, 2) if cached and floor_cpu else None
            row["over_floor_s"] = round(cached - floor_cpu, 3) if cached and floor_cpu else None
            rows.append(row)
        out["rows"] = rows
    out["load_after"] = load_average()
    return out


def write_corpus(size: int, seed: int, directory: Path) -> None:
    """Generate and write the corpus (in a child process: the parent's memory stays small)."""
    from synthetic import generate, write_yaml

    write_yaml(generate(size, seed=seed), directory)


def bench_push(size: int, seed: int, timeout: float, memory_gb: float | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"studies": size, "load_before": load_average()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        env = user_env(root / "cache")
        made = _spawn(
            [sys.executable, __file__, "--write-corpus", str(size), "--seed", str(seed), "--out", str(data)],
            env,
            timeout,
            memory_gb=memory_gb,
        )
        out["write_yaml"] = made
        if made.get("exit") or "timeout_s" in made:
            out["load_after"] = load_average()
            return out
        out["yaml_mb"] = round(sum(p.stat().st_size for p in data.iterdir()) / 1e6, 1)
        parse = (  # a second floor: PyYAML's C parser alone on the same files
            "import sys, pathlib, yaml; "
            "[yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader) "
            "for p in pathlib.Path(sys.argv[1]).glob('*.yaml')]"
        )
        out["yaml_parse_only"] = _spawn(
            [sys.executable, "-c", parse, str(data)], env, timeout, memory_gb=memory_gb
        )
        push = _spawn(
            [*ldngraph(), "--no-cache", "push", "--data", str(data), "--store", f"oxigraph:{root / 'store'}"],
            env,
            timeout,
        )
        out["push"] = push
        if push.get("exit") or "timeout_s" in push:
            out["load_after"] = load_average()
            return out
        dump = root / "dump.nq"
        dump_code = (  # in a child: this process stays small (a child's peak starts at its parent's)
            "import sys, pyoxigraph as ox; "
            "ox.Store.read_only(sys.argv[1]).dump(output=sys.argv[2], format=ox.RdfFormat.N_QUADS)"
        )
        _spawn([sys.executable, "-c", dump_code, str(root / "store"), str(dump)], env, timeout)
        with dump.open("rb") as handle:
            out["quads"] = sum(1 for _ in handle)
        floor_code = (
            "import sys, pyoxigraph as ox; s = ox.Store(sys.argv[1]); "
            "s.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS); s.flush()"
        )
        floor = _spawn([sys.executable, "-c", floor_code, str(root / "floor"), str(dump)], env, timeout)
        out["oxigraph_bulk_load"] = floor
        if "wall_s" in floor and floor.get("exit") == 0:
            out["x_floor_wall"] = round(push["wall_s"] / floor["wall_s"], 2)
            out["x_floor_cpu"] = round(push["cpu_s"] / floor["cpu_s"], 2)
            yaml_only = out["yaml_parse_only"].get("wall_s")
            if yaml_only:  # the push against both floors together: parse the YAML, load the quads
                out["x_yaml_plus_load_wall"] = round(push["wall_s"] / (yaml_only + floor["wall_s"]), 2)
    out["load_after"] = load_average()
    return out


def bench_import(records: int, timeout: float) -> dict[str, Any]:
    """``ldngraph import-pubmed`` of a generated baseline-sized file into a new SQLite database, in
    a new process, beside a process that only parses the same file (the floor)."""
    from bench_pubmed import generate

    out: dict[str, Any] = {"records": records, "load_before": load_average()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        xml = root / "pubmed_bench.xml"
        generate(xml, records)
        out["file_mb"] = round(xml.stat().st_size / 1e6, 1)
        env = user_env(root / "cache")
        parse = (
            "import sys; from ldngraph.ingest.pubmed import iter_pubmed_xml; "
            "print(sum(1 for _ in iter_pubmed_xml(sys.argv[1])))"
        )
        out["parse_only"] = _spawn([sys.executable, "-c", parse, str(xml)], env, timeout)
        cmd = [*ldngraph(), "import-pubmed", str(xml), "--cache", str(root / "pubmed.sqlite")]
        out["import"] = done = _spawn(cmd, env, timeout)
        if done.get("exit") == 0 and out["parse_only"].get("exit") == 0:
            out["records_per_s"] = round(records / done["wall_s"])
            out["x_parse_wall"] = round(done["wall_s"] / out["parse_only"]["wall_s"], 2)
    out["load_after"] = load_average()
    return out


def to_markdown(doc: dict[str, Any]) -> str:
    cmds = doc["commands"]
    lines = [
        START,
        "## Cold commands and YAML to store, from files on disk, in new processes",
        "",
        f"Generated by `python bench/cold.py {doc['argv']}` on {doc['date']} "
        f"({doc['machine']}). CPU seconds are user + system of the child process, medians of "
        f"{doc['runs']} runs; bytecode written as on a user's machine.",
        "",
        f"Load average (1, 5, 15 min): {cmds['load_before']} before, {cmds['load_after']} after the "
        f"commands. Floor: a new Python process importing click, pydantic and networkx, "
        f"{cmds['floor']['cpu_s']} s CPU.",
        "",
        "| command | cached: CPU s | x floor | over floor s | target | met | `--no-cache`: CPU s | peak MB |",
        "|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in cmds["rows"]:
        met = "yes" if r["cached_cpu_s"] is not None and r["cached_cpu_s"] <= r["target_cpu_s"] else "no"
        lines.append(
            f"| `{r['command']}` | {r['cached_cpu_s']} | {r['x_floor']} | {r['over_floor_s']} | "
            f"{r['target_cpu_s']} | {met} | {r['no_cache_cpu_s']} | {r['cached_peak_mb']} |"
        )
    lines += [
        "",
        "| studies | YAML MB | quads | `push` wall s | CPU s | peak MB | Oxigraph `bulk_load` wall s | "
        "x floor (wall) | x floor (CPU) | YAML parse only wall s | x (parse + load) | load before -> after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for p in doc["push"]:
        lines.append(_push_row(p))
    imp = doc.get("import")
    if imp:
        done, floor = imp.get("import", {}), imp.get("parse_only", {})
        lines += [
            "",
            f"`ldngraph import-pubmed` of a generated {imp['records']:,}-record PubMed XML file "
            f"({imp['file_mb']} MB, `bench/bench_pubmed.py`'s generator) into a new SQLite database: "
            f"{done.get('wall_s')} s wall, {done.get('cpu_s')} s CPU, peak {done.get('peak_mb')} MB, "
            f"**{imp.get('records_per_s')} records/s**; a process that only parses the file: "
            f"{floor.get('wall_s')} s, peak {floor.get('peak_mb')} MB; import / parse-only = "
            f"**{imp.get('x_parse_wall')}x** (load {imp['load_before']} -> {imp['load_after']}).",
        ]
    lines += ["", END]
    return "\n".join(lines)


def _failure(step: dict[str, Any]) -> str:
    if "timeout_s" in step:
        return f"killed at the {step['timeout_s']:.0f} s limit"
    err = step.get("stderr", "").strip().splitlines()
    return f"exit {step.get('exit')}: {err[-1][:120] if err else 'no message'}"


def _push_row(p: dict[str, Any]) -> str:
    head = f"| {p['studies']:,} | {p.get('yaml_mb', '')} |"
    load = f"{p['load_before']} -> {p['load_after']}"
    made = p.get("write_yaml", {})
    if made.get("exit") or "timeout_s" in made:
        why = f"corpus not written ({_failure(made)}; peak {made.get('peak_mb', '?')} MB)"
        return f"{head} | {why} | | | | | | | | {load} |"
    push, floor = p.get("push", {}), p.get("oxigraph_bulk_load", {})
    if push.get("exit") or "timeout_s" in push:
        why = f"push failed ({_failure(push)}; peak {push.get('peak_mb', '?')} MB)"
        return f"{head} | {why} | | | | | | | | {load} |"
    return (
        f"{head} {p.get('quads', 0):,} | {push['wall_s']} | {push['cpu_s']} | {push['peak_mb']} | "
        f"{floor.get('wall_s', '')} | {p.get('x_floor_wall', '')} | {p.get('x_floor_cpu', '')} | "
        f"{p.get('yaml_parse_only', {}).get('wall_s', '')} | {p.get('x_yaml_plus_load_wall', '')} | {load} |"
    )


def replace_section(path: Path, text: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if START in old and END in old:
        new = old[: old.index(START)] + text + old[old.index(END) + len(END) :]
    else:
        new = old.rstrip("\n") + "\n\n" + text + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per command (median)")
    parser.add_argument(
        "--commands", default=",".join(COMMANDS), help="comma-separated: " + ",".join(COMMANDS)
    )
    parser.add_argument("--sizes", default="10000,100000", help="studies for YAML -> store (comma-separated)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per child process")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--markdown", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--no-markdown", action="store_true")
    parser.add_argument(
        "--pubmed-records", type=int, default=30_000, help="import-pubmed file size (0: skip)"
    )
    parser.add_argument("--memory-gb", type=float, default=None, help="address-space cap per child (GB)")
    parser.add_argument("--skip-commands", action="store_true", help="only the YAML -> store part")
    parser.add_argument("--write-corpus", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.write_corpus:
        write_corpus(args.write_corpus, args.seed, args.out)
        return 0
    import platform

    names = [n for n in args.commands.split(",") if n]
    unknown = sorted(set(names) - set(COMMANDS))
    if unknown:
        parser.error(f"unknown command {unknown[0]}; use {', '.join(COMMANDS)}")
    doc: dict[str, Any] = {
        "argv": " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
        "runs": args.runs,
    }
    doc["commands"] = bench_commands(args.runs, [] if args.skip_commands else names, args.timeout)
    for row in doc["commands"]["rows"]:
        print(
            f"{row['command']}: cached {row['cached_cpu_s']} s CPU ({row['x_floor']}x floor), "
            f"--no-cache {row['no_cache_cpu_s']} s",
            file=sys.stderr,
        )
    doc["push"] = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        doc["push"].append(bench_push(size, args.seed, args.timeout, args.memory_gb))
        p = doc["push"][-1]
        print(
            f"push {size:,} studies: {p.get('push')} vs bulk_load {p.get('oxigraph_bulk_load')}",
            file=sys.stderr,
        )
    if args.pubmed_records:
        doc["import"] = bench_import(args.pubmed_records, args.timeout)
        print(f"import-pubmed: {doc['import'].get('records_per_s')} records/s", file=sys.stderr)
    args.results.mkdir(parents=True, exist_ok=True)
    out = args.results / f"cold-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}.json"
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)
    if not args.no_markdown:
        replace_section(args.markdown, to_markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
