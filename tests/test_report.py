"""Evidence brief: every sentence cited with a PMID/DOI that exists in the data; gaps; escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from ldngraph.build import to_graph
from ldngraph.cli import main
from ldngraph.errors import ExportError
from ldngraph.model import Direction, KnowledgeBase
from ldngraph.pipeline import load
from ldngraph.report import get_blocks, to_html, to_markdown, write_report
from ldngraph.view import design_label, reason_label

RESOURCES = Path(__file__).parent / "resources"
CITE = r"(?:PMID [1-9][0-9]*|DOI 10\.[0-9]{4,9}/[^;()\s]+)"
ENDS_CITED = re.compile(rf"\(({CITE}(?:; {CITE})*)\)\.$")


def _statements(markdown: str) -> list[str]:
    """Lines that must be cited: not headings, not gap statements, not blank."""
    out = []
    for line in markdown.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("- Gap: "):
            continue
        out.append(line)
    return out


def _known_citations(kb: KnowledgeBase) -> set[str]:
    return {p.citation for p in kb.publications}


def _brief(data_dir: Path | None = None) -> tuple[KnowledgeBase, str]:
    built = load(data_dir)
    return built.kb, to_markdown(get_blocks(built.kb, built.graph))


@pytest.mark.parametrize("data_dir", [None, RESOURCES / "mini"])
def test_every_sentence_is_cited_with_a_known_publication(data_dir: Path | None) -> None:
    kb, text = _brief(data_dir)
    lines = _statements(text)
    assert len(lines) > 5
    known = _known_citations(kb)
    for line in lines:
        match = ENDS_CITED.search(line)
        assert match, f"uncited sentence: {line}"
        # one sentence per line: no full stop followed by a capital before the citation
        body = line[: match.start()]
        assert not re.search(r"\.\s+[A-Z]", body.removeprefix("- ")), f"two sentences on a line: {line}"
        for cite in match.group(1).split("; "):
            assert cite in known, f"{cite} is cited but not in data/publications.yaml"
    cited = set(re.findall(r"PMID (\d+)", text))
    assert cited <= {p.pmid for p in kb.publications if p.pmid}


def test_fibromyalgia_names_each_trial_and_states_the_conflict() -> None:
    kb, text = _brief()
    section = text.split("### fibromyalgia (MESH:D005356)", 1)[1].split("\n### ", 1)[0]
    claims = [c for c in kb.claims if c.object == "MESH:D005356"]
    studies = kb.study_index
    human = [
        (studies[item.study], item.direction)
        for c in claims
        for item in c.evidence
        if studies[item.study].is_human and studies[item.study].n
    ]
    assert any(d is Direction.refutes for _, d in human) and any(d is Direction.supports for _, d in human)
    pubs = kb.publication_index
    for study, _ in human:
        cite = pubs[study.publications[0]].citation
        line = next((ln for ln in section.splitlines() if ln.startswith(f"- {study.label}: ")), None)
        assert line is not None, f"{study.label} is not named"
        assert design_label(study.design) in line and f"n={study.n}" in line and cite in line
    # The null RCTs that turned the picture (literature.md, "fibromyalgia evidence now leans null").
    for pmid in ("38226027", "38258677", "19453963"):
        assert f"PMID {pmid}" in section
    conflict = next(ln for ln in section.splitlines() if ln.startswith("The evidence conflicts"))
    assert "PMID 38226027" in conflict and "PMID 38258677" in conflict
    trend = next(ln for ln in section.splitlines() if "earlier" in ln and "later, larger" in ln)
    assert ENDS_CITED.search(trend)


def test_gaps_and_departures(mini_dir: Path) -> None:
    _, text = _brief(mini_dir)
    assert "## Where the primary studies depart from the seed summary" in text
    gaps = [ln for ln in text.splitlines() if ln.startswith("- Gap: ")]
    assert "- Gap: only subjective (patient-reported) outcomes; no objective outcome." in gaps
    assert any("PMID 333" in g and "matches no article" in g for g in gaps)  # unresolved bibliography
    assert any("DOI 10.1000/fixture.2" in g and "content match" in g for g in gaps)
    assert any(
        ln.startswith("- 1 of 2 studies refute 'LDN reduces pain in fibromyalgia'")
        for ln in text.splitlines()
    )
    # microglia rests on one in-vitro study only
    micro = text.split("### microglial cell (CL:0000129)", 1)[1].split("\n### ", 1)[0]
    assert "- Gap: only preclinical (animal or cell) data; no human study." not in micro  # trial-a is human
    assert "in vitro" in micro


def test_record_text_is_escaped_in_html_and_markdown() -> None:
    built = load(RESOURCES / "xss")
    blocks = get_blocks(built.kb, built.graph)
    page = to_html(blocks)
    assert "<img" not in page and "<script" not in page and "<b onmouseover" not in page
    assert "Trial A &lt;img src=x onerror=window.__xss=1&gt;" in page
    tree = lxml_html.fromstring(page)
    assert not tree.xpath("//img | //script | //b")
    for para in tree.xpath("//p | //li[not(@class='gap')]"):
        assert ENDS_CITED.search(para.text_content().strip()), para.text_content()
        hrefs = para.xpath(".//a/@href")
        assert hrefs and all(
            h.startswith(("https://pubmed.ncbi.nlm.nih.gov/", "https://doi.org/")) for h in hrefs
        )
    md = to_markdown(blocks)
    assert not re.search(r"(?<!\\)<", md), "an unescaped '<' in the Markdown brief"
    assert "Trial A \\<img src=x onerror=window.__xss=1>" in md


def test_cli_report(tmp_path: Path, mini_dir: Path) -> None:
    for name in ("brief.md", "brief.html"):
        out = tmp_path / name
        main(["report", "--data", str(mini_dir), "-o", str(out)])
        assert "fibromyalgia" in out.read_text(encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["report", "--data", str(mini_dir), "-o", str(tmp_path / "brief.txt")])
    assert exc.value.code == 1 and not (tmp_path / "brief.txt").exists()
    with pytest.raises(ExportError):
        write_report(load(mini_dir).kb, load(mini_dir).graph, tmp_path / "x.pdf")


def test_certainty_sentences_follow_the_scores(mini_dir: Path) -> None:
    built = load(mini_dir)
    text = to_markdown(get_blocks(built.kb, built.graph))
    for cid, score in built.scores.claims.items():
        statement = built.kb.claim_index[cid].statement.rstrip(".")
        block = text.split(f"#### Claim: {statement}\n", 1)[1].split("\n#", 1)[0]
        line = next(ln for ln in block.splitlines() if ln.startswith("Certainty is "))
        assert line.startswith(f"Certainty is {score.certainty.value.replace('_', ' ')} ")
        assert f"strength {score.strength:.2f}" in line and score.profile_version in line
        for reason in score.reasons:
            assert reason_label(reason) in line
    bare = to_markdown(get_blocks(built.kb, to_graph(built.kb)))  # an unscored graph still reports
    assert "Certainty is not graded: the graph carries no evidence scores" in bare


def test_claim_without_support_is_not_said_to_have_no_downgrade() -> None:
    built = load()
    claim = built.kb.claim_index["ldn-improves-fatigue-fibromyalgia"]
    assert "no_supporting_evidence" in built.scores.claims[claim.id].reasons
    text = to_markdown(get_blocks(built.kb, built.graph))
    block = text.split(f"#### Claim: {claim.statement.rstrip('.')}\n", 1)[1].split("\n#", 1)[0]
    line = next(ln for ln in block.splitlines() if ln.startswith("Certainty is "))
    assert "as no supporting evidence counts" in line and "no downgrade" not in line
