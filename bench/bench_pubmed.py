"""PubMed XML parsing: ldngraph's streaming parser against Biopython on a generated baseline-sized file.

    python bench/bench_pubmed.py [--records 30000] [--json-out FILE]

Generates a PubmedArticleSet of invented records shaped like a baseline file (abstract, authors,
MeSH, a reference list: ~10 kB per record, a 30k-record file is ~310 MB), then parses it in a fresh subprocess per parser and
reports throughput and peak RSS (``ru_maxrss`` of that subprocess, interpreter included):

* ``ldngraph``: ``ldngraph.ingest.pubmed.iter_pubmed_xml`` (lxml iterparse, clearing records);
* ``Bio.Entrez.read``: Biopython's parser, validating against its bundled DTD, whole document;
* ``Bio.Entrez.parse``: Biopython's incremental parser (fails on a PubmedArticleSet).

Prints a table with ratios against ldngraph and the same figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PARSERS = ("ldngraph", "Bio.Entrez.read", "Bio.Entrez.parse")
HEAD = (
    '<?xml version="1.0" ?>\n'
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'
)
WORDS = [
    "naltrexone",
    "glia",
    "microglia",
    "opioid",
    "receptor",
    "toll",
    "like",
    "pain",
    "fatigue",
    "trial",
    "dose",
    "placebo",
    "cohort",
]


def _record(i: int) -> str:
    pmid = 90_000_000 + i
    text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(200))
    authors = "".join(
        f'<Author ValidYN="Y"><LastName>Author{i % 97}x{a}</LastName><ForeName>Test</ForeName>'
        f"<Initials>T</Initials><AffiliationInfo><Affiliation>Invented Institute {a}</Affiliation>"
        "</AffiliationInfo></Author>"
        for a in range(6)
    )
    mesh = "".join(
        f'<MeshHeading><DescriptorName UI="D{900000 + m:06d}" MajorTopicYN="N">Term {m}</DescriptorName>'
        + (f'<QualifierName UI="Q{m:06d}" MajorTopicYN="Y">qualifier {m}</QualifierName>' if m % 2 else "")
        + "</MeshHeading>"
        for m in range(12)
    )
    refs = "".join(
        f"<Reference><Citation>Invented reference {r} of record {pmid}. J Test. 2001;1:{r}.</Citation>"
        f'<ArticleIdList><ArticleId IdType="pubmed">{80_000_000 + r}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/ref.{r}</ArticleId></ArticleIdList></Reference>'
        for r in range(12)
    )
    retracted = (
        '<PublicationType UI="D016441">Retracted Publication</PublicationType>' if i % 500 == 0 else ""
    )
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        "<DateRevised><Year>2024</Year><Month>01</Month><Day>01</Day></DateRevised>"
        '<Article PubModel="Print"><Journal><ISSN IssnType="Print">0000-0000</ISSN>'
        f'<JournalIssue CitedMedium="Print"><Volume>{i % 40}</Volume><PubDate><Year>{1990 + i % 35}</Year>'
        "<Month>Jan</Month></PubDate></JournalIssue><Title>Journal of generated records</Title>"
        "<ISOAbbreviation>J Gen Rec</ISOAbbreviation></Journal>"
        f"<ArticleTitle>Generated record {i} about <i>low-dose</i> naltrexone</ArticleTitle>"
        f"<Pagination><MedlinePgn>{i % 300}-{i % 300 + 9}</MedlinePgn></Pagination>"
        f'<ELocationID EIdType="doi" ValidYN="Y">10.5555/gen.{i}</ELocationID>'
        f'<Abstract><AbstractText>{text}</AbstractText></Abstract><AuthorList CompleteYN="Y">{authors}'
        "</AuthorList><Language>eng</Language><PublicationTypeList>"
        f'<PublicationType UI="D016428">Journal Article</PublicationType>{retracted}</PublicationTypeList>'
        "</Article><MedlineJournalInfo><Country>Nowhere</Country><MedlineTA>J Gen Rec</MedlineTA>"
        f"<NlmUniqueID>0</NlmUniqueID></MedlineJournalInfo><MeshHeadingList>{mesh}</MeshHeadingList>"
        '</MedlineCitation><PubmedData><History><PubMedPubDate PubStatus="pubmed"><Year>2020</Year>'
        "<Month>1</Month><Day>1</Day></PubMedPubDate></History><PublicationStatus>ppublish"
        f'</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/gen.{i}</ArticleId></ArticleIdList>'
        f"<ReferenceList>{refs}</ReferenceList></PubmedData></PubmedArticle>\n"
    )


def generate(path: Path, records: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEAD)
        for i in range(records):
            handle.write(_record(i))
        handle.write("</PubmedArticleSet>\n")


def _worker(parser: str, path: Path) -> None:
    """Parse ``path`` with ``parser`` and print JSON: records, seconds, peak RSS (this process)."""
    start = time.perf_counter()
    error = None
    count = retracted = 0
    try:
        if parser == "ldngraph":
            from ldngraph.ingest.pubmed import iter_pubmed_xml

            for record in iter_pubmed_xml(path):
                count += 1
                retracted += record.is_retracted
        else:
            from Bio import Entrez

            with path.open("rb") as handle:
                if parser == "Bio.Entrez.read":
                    count = len(Entrez.read(handle)["PubmedArticle"])
                else:
                    count = sum(1 for _ in Entrez.parse(handle))
    except Exception as exc:  # report, do not crash the benchmark
        error = f"{type(exc).__name__}: {exc}"[:200]
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"parser": parser, "records": count, "seconds": round(seconds, 3), "peak_rss_mb": round(rss_mb, 1)}
    out |= {"records_per_s": round(count / seconds) if count and not error else None, "error": error}
    if parser == "ldngraph":
        out["retracted"] = retracted
    print(json.dumps(out))


def run(records: int, timeout: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pubmed_bench.xml"
        generate(path, records)
        size_mb = path.stat().st_size / 1e6
        results = []
        for parser in PARSERS:
            cmd = [sys.executable, __file__, "--worker", parser, str(path)]
            env = os.environ | {
                "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
            }
            try:
                done = subprocess.run(
                    cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env
                )
                line = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
                results.append(json.loads(line) if line else {"parser": parser, "error": done.stderr[-200:]})
            except subprocess.TimeoutExpired:
                results.append({"parser": parser, "error": f"timed out after {timeout:.0f} s"})
    return {"records": records, "file_mb": round(size_mb, 1), "results": results}


def print_table(report: dict[str, object]) -> None:
    results = report["results"]
    assert isinstance(results, list)
    ours = next(r for r in results if r["parser"] == "ldngraph")
    print(f"PubMed XML parsing: {report['records']} records, {report['file_mb']} MB")
    print(
        f"{'parser':<18} {'records':>8} {'seconds':>8} {'rec/s':>8} {'speed':>7} {'peak MB':>8} {'memory':>7}"
    )
    for r in results:
        if r.get("error") or not r.get("records_per_s"):
            print(f"{r['parser']:<18} failed: {r.get('error')}")
            continue
        speed = r["records_per_s"] / ours["records_per_s"] if ours.get("records_per_s") else float("nan")
        memory = r["peak_rss_mb"] / ours["peak_rss_mb"] if ours.get("peak_rss_mb") else float("nan")
        print(
            f"{r['parser']:<18} {r['records']:>8} {r['seconds']:>8.2f} {r['records_per_s']:>8} "
            f"{speed:>6.2f}x {r['peak_rss_mb']:>8.1f} {memory:>6.1f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=30_000, help="records to generate (default 30000)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per parser")
    parser.add_argument("--json-out", type=Path, default=None, help="also write the JSON report here")
    parser.add_argument("--worker", nargs=2, metavar=("PARSER", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker[0], Path(args.worker[1]))
        return
    report = run(args.records, args.timeout)
    print_table(report)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json_out:
        sys.path.insert(0, str(REPO))  # run from a checkout without installing
        from ldngraph.atomic import write_text_atomic

        write_text_atomic(args.json_out, text + "\n")


if __name__ == "__main__":
    main()
