"""Evidence brief: every sentence cited with a PMID/DOI that exists in the data; gaps; escaping."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import html as lxml_html
from markdown_it import MarkdownIt

from ldngraph.cli import main
from ldngraph.errors import ExportError
from ldngraph.markup import escape_markdown
from ldngraph.model import Direction, KnowledgeBase
from ldngraph.pipeline import Built, load
from ldngraph.present.blocks import Block, to_html, to_markdown
from ldngraph.present.report import get_blocks, write_report
from ldngraph.rdf.build import to_graph
from ldngraph.stores.view import conclusion_label, design_label, get_bodies, reason_label

RESOURCES = Path(__file__).parent / "resources"
#: A PMID, a DOI, or a journal citation (publications identified by citation only, e.g. REF: ids),
#: or, for a report whose journal was not seen, its first author and what it is.
CITE = (
    r"(?:PMID [1-9][0-9]*|DOI 10\.[0-9]{4,9}/[^;()\s]+"
    r"|[A-Z][A-Za-z .&]+\. [12][0-9]{3}(?:;[0-9]+(?:\([0-9-]+\))?:[0-9]+(?:-[0-9]+)?)?"
    r"|[^\W\d_][\w'-]+ [A-Z]+ et al\. [^;()]+ \(NCT[0-9]{8}\), journal and year not seen)"
)
ENDS_CITED = re.compile(rf"\(({CITE}(?:; {CITE})*)\)\.$")
#: CommonMark's backslash escapes (spec 2.4): a backslash before ASCII punctuation stands for it.
MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
#: A CommonMark renderer with GFM's tables and strikethrough switched on; raw HTML allowed.
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _unescape(markdown: str) -> str:
    """Markdown source with its backslash escapes resolved, to compare lines with record text."""
    return MD_ESCAPE.sub(r"\1", markdown)


def _statements(markdown: str) -> list[str]:
    """Lines that must be cited: not headings, not gap statements, not blank."""
    out = []
    for line in _unescape(markdown).splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("- Gap: "):
            continue
        out.append(line)
    return out


def _expected_elements(blocks: list[Block]) -> list[tuple[str, str]]:
    """(tag, visible text) each block must render as: its text, whitespace normalised, as text."""
    out = []
    for b in blocks:
        text = " ".join(b.text.split())
        cites = "(" + "; ".join(p.citation for p in b.cites) + ")"
        if b.kind.startswith("h"):
            out.append((b.kind, text))
        elif b.kind == "gap":
            out.append(("li", f"Gap: {text}."))
        else:
            out.append(("p" if b.kind == "sentence" else "li", f"{text} {cites}."))
    return out


def _assert_renders_blocks(tree: lxml_html.HtmlElement, blocks: list[Block]) -> None:
    """The rendered brief has one element per block showing exactly the block's text, and no
    element, attribute or comment that record text could have made: the only links are the
    citation links the HTML page builds, the only bold is its 'Gap:' label."""
    got = [
        (el.tag, " ".join(el.text_content().split()))
        for el in tree.xpath("//h1 | //h2 | //h3 | //h4 | //p | //li")
    ]
    assert got == _expected_elements(blocks)
    assert not tree.xpath("//comment() | //processing-instruction()")
    allowed = {"html", "head", "meta", "title", "style", "body", "ul", "h1", "h2", "h3", "h4", "p", "li"}
    #: A publication with neither PMID nor DOI (identified by journal citation) links to its source page.
    citation_only = {p.url for b in blocks for p in b.cites if not p.pmid and not p.doi}
    for el in tree.iter():
        if el.tag == "a":
            assert el.getparent().tag in ("p", "li") and set(el.attrib) == {"href", "rel"}
            href = el.get("href")
            linked = href.startswith(("https://pubmed.ncbi.nlm.nih.gov/", "https://doi.org/"))
            assert linked or href in citation_only
        elif el.tag == "strong":
            assert el.getparent().get("class") == "gap" and el.text_content() == "Gap:"
        else:
            assert el.tag in allowed, f"record text made a <{el.tag}>"
            assert set(el.attrib) <= {"lang", "charset", "class"}


def _known_citations(kb: KnowledgeBase) -> set[str]:
    return {p.citation for p in kb.publications}


def _brief(data_dir: Path | None = None) -> tuple[KnowledgeBase, str]:
    """The knowledge base and its brief (Markdown source, backslash escapes resolved)."""
    built = load(data_dir)
    return built.kb, _unescape(to_markdown(get_blocks(built.kb, built.graph)))


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
    assert (
        "- Gap: only subjective (patient-reported) outcomes among the primary human studies; "
        "no objective outcome." in gaps
    )
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
    rendered = MD.render(md)
    assert "<img" not in rendered and "<script" not in rendered and "<b " not in rendered
    assert "Trial A &lt;img src=x onerror=window.__xss=1&gt;" in rendered
    _assert_renders_blocks(lxml_html.document_fromstring(rendered), blocks)
    _assert_renders_blocks(tree, blocks)


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
    text = _unescape(to_markdown(get_blocks(built.kb, built.graph)))
    for cid, score in built.scores.claims.items():
        statement = built.kb.claim_index[cid].statement.rstrip(".")
        block = text.split(f"#### Claim: {statement}\n", 1)[1].split("\n#", 1)[0]
        line = next(ln for ln in block.splitlines() if ln.startswith("The body of evidence concludes "))
        # the conclusion, the effect it rests on (or the sign test) and the certainty, in that order
        effect = f" ({score.effect})" if score.effect else ""
        assert line.startswith(
            f"The body of evidence concludes {conclusion_label(score.conclusion)}{effect}; "
            f"certainty {score.certainty.value.replace('_', ' ')} "
        )
        assert f"strength {score.strength:.2f}" in line and score.profile_version in line
        assert score.profile_hash in line
        for reason in score.reasons:
            assert reason_label(reason) in line
    bare = to_markdown(get_blocks(built.kb, to_graph(built.kb)))  # an unscored graph still reports
    assert "Certainty is not graded: the graph carries no evidence scores" in bare


def test_claim_without_support_is_not_said_to_have_no_downgrade() -> None:
    built = load()
    claim = built.kb.claim_index["ldn-improves-fatigue-fibromyalgia"]
    assert "no_supporting_evidence" in built.scores.claims[claim.id].reasons
    text = _unescape(to_markdown(get_blocks(built.kb, built.graph)))
    block = text.split(f"#### Claim: {claim.statement.rstrip('.')}\n", 1)[1].split("\n#", 1)[0]
    line = next(ln for ln in block.splitlines() if ln.startswith("The body of evidence concludes "))
    assert "uncertain" in line and "the claim is not supported" in line
    assert "as no supporting evidence counts" in line and "no downgrade" not in line


def _payload_data(edit: Callable[[str, str, str], Path]) -> Path:
    """The mini fixture with Markdown and HTML payloads in labels, titles, statements, notes."""
    edit(
        "studies.yaml",
        "label: Trial A",
        'label: "# Trial A [click me](javascript:alert(document.cookie)) ![x](https://evil.example/t.png)"',
    )
    edit(
        "studies.yaml",
        "label: Trial B",
        'label: "1. Trial B *em* _em_ **strong** `code` ~~struck~~"\n'
        '    population_description: "> adults <b onmouseover=alert(1)>bold</b>\\n- listed\\n'
        '1) item & &amp; &#60;b&#62; | a | b |\\n|---|---|"',
    )
    edit(
        "claims.yaml",
        "statement: LDN reduces pain in fibromyalgia.",
        'statement: "LDN reduces pain <https://evil.example/auto> in fibromyalgia."',
    )
    edit(
        "claims.yaml",
        "        direction: refutes",
        "        direction: refutes\n"
        '        note: "null [x][ref]\\n\\n[ref]: javascript:alert(1)\\n\\n## heading in a note\\n'
        '    indented code\\n```\\nfenced\\n``` https://evil.example/bare www.evil.example <!-- c -->"',
    )
    edit("entities.yaml", "label: microglial cell", 'label: "microglial cell <script>alert(1)</script> \\\\"')
    edit("entities.yaml", "label: pain", 'label: "pain ![img](x.png) ###"')
    edit(
        "sources.yaml", "summary: LDN helps pain.", 'summary: "LDN helps pain <img src=x onerror=alert(1)>."'
    )
    return edit("publications.yaml", "title: A fixture trial", 'title: "A fixture trial [t](javascript:x)"')


def test_markdown_brief_renders_record_text_as_text(edit: Callable[[str, str, str], Path]) -> None:
    built = load(_payload_data(edit))
    blocks = get_blocks(built.kb, built.graph)
    md = to_markdown(blocks)
    rendered = MD.render(md)
    for tag in (
        "<a",
        "<img",
        "<script",
        "<b ",
        "<em",
        "<i>",
        "<strong",
        "<code",
        "<pre",
        "<ol",
        "<blockquote",
        "<table",
        "<s>",
        "<hr",
        "<!--",
        'href="javascript',
        'src="',
    ):
        assert tag not in rendered, f"{tag} in the rendered brief"
    tree = lxml_html.document_fromstring(rendered)
    _assert_renders_blocks(tree, blocks)
    text = " ".join(tree.text_content().split())
    for payload in (
        "# Trial A [click me](javascript:alert(document.cookie)) ![x](https://evil.example/t.png):",
        "1. Trial B *em* _em_ **strong** `code` ~~struck~~",
        "> adults <b onmouseover=alert(1)>bold</b> - listed 1) item & &amp; &#60;b&#62; | a | b | |---|---|",
        "LDN reduces pain <https://evil.example/auto> in fibromyalgia",
        "null [x][ref] [ref]: javascript:alert(1) ## heading in a note indented code ``` fenced ```",
        "microglial cell <script>alert(1)</script> \\ (CL:0000129)",
        "outcome pain ![img](x.png) ### (subjective)",
        "LDN helps pain <img src=x onerror=alert(1)>;",
    ):
        assert payload in text, f"{payload!r} is not shown as text"
    # one sentence per line still holds, and every sentence still ends with known citations
    lines = _statements(md)
    known = _known_citations(built.kb)
    for line in lines:
        match = ENDS_CITED.search(line)
        assert match and set(match.group(1).split("; ")) <= known, line
    mini = load(RESOURCES / "mini")
    assert len(md.splitlines()) == len(to_markdown(get_blocks(mini.kb, mini.graph)).splitlines())
    # the HTML brief: the same blocks, all text escaped
    _assert_renders_blocks(lxml_html.document_fromstring(to_html(blocks)), blocks)


@pytest.mark.parametrize("data_dir", [None, RESOURCES / "mini"])
def test_markdown_and_html_briefs_render_every_block(data_dir: Path | None) -> None:
    built = load(data_dir)
    blocks = get_blocks(built.kb, built.graph)
    _assert_renders_blocks(lxml_html.document_fromstring(MD.render(to_markdown(blocks))), blocks)
    _assert_renders_blocks(lxml_html.document_fromstring(to_html(blocks)), blocks)


def test_a_block_built_by_hand_is_escaped_whole() -> None:
    block = Block("h2", "[x](javascript:alert(1)) <i>")
    assert MD.render(to_markdown([block])) == "<h2>[x](javascript:alert(1)) &lt;i&gt;</h2>\n"


#: Text rich in what Markdown reads as syntax: ASCII punctuation, line breaks, URL and entity starts.
_TEXT = st.lists(
    st.one_of(
        st.sampled_from([*string.punctuation, " ", "\n", "\t", "\r", "1", "a", "www.", "http://", "&amp;"]),
        st.characters(blacklist_categories=("Cs", "Cc")),
    ),
    max_size=30,
).map("".join)


@pytest.mark.parametrize("prefix", ["", "- ", "### ", "- Gap: "])
@given(text=_TEXT)
def test_escaped_text_renders_as_itself(prefix: str, text: str) -> None:
    plain = " ".join(text.split())
    tokens = MD.parse(prefix + escape_markdown(text))
    inline = [t for t in tokens if t.type == "inline"]
    if not plain:
        return
    assert len(inline) == 1, [t.type for t in tokens]
    children = inline[0].children or []
    assert {c.type for c in children} == {"text"}, [c.type for c in children]
    assert "".join(c.content for c in children) == prefix.removeprefix("- ").removeprefix("### ") + plain
    opening = {
        "": "paragraph_open",
        "- ": "bullet_list_open",
        "### ": "heading_open",
        "- Gap: ": "bullet_list_open",
    }
    assert tokens[0].type == opening[prefix]


# -- wording that cannot mislead (issue 17) ---------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> tuple[Built, str]:
    built = load()
    return built, to_markdown(get_blocks(built.kb, built.graph))


def test_null_claims_are_reported_as_such(shipped: tuple[Built, str]) -> None:
    built, text = shipped
    scores = built.scores.claims
    null = [c for c in built.kb.claims if scores[c.id].holds is False]
    assert null  # fibromyalgia fatigue and sleep, chronic pain ...
    added = text.split("### Claims the seed summary does not make", 1)[1]
    for claim in built.kb.claims:
        line = next((ln for ln in added.splitlines() if escape_markdown(claim.statement) in ln), None)
        if line is None:
            continue  # asserted by the seed summary
        if scores[claim.id].holds is False:
            assert line.startswith("- The graph adds a claim its evidence does not support ("), line
        else:
            assert "does not support" not in line, line
    for claim in null:
        section = text.split(f"#### Claim: {escape_markdown(claim.statement.rstrip('.'))}", 1)[1].split(
            "\n#", 1
        )[0]
        assert "The evidence does not support this claim: its body of evidence concludes" in section


def test_no_rct_gap_never_sits_beside_a_review_of_rcts(shipped: tuple[Built, str]) -> None:
    _, text = shipped
    for section in text.split("\n### ")[1:]:
        if "systematic review" in section or "meta-analysis" in section:
            assert "- Gap: no randomised controlled trial.\n" not in section + "\n", section[:80]
    chronic = text.split("### chronic pain (MESH:D059350)", 1)[1].split("\n### ", 1)[0]
    # chronic pain now holds a placebo-controlled crossover RCT (Beaudette-Zlatanova 2023, curation v2),
    # so it has no "no randomised controlled trial" gap at all
    assert "crossover" in chronic.lower()
    assert not [ln for ln in chronic.splitlines() if ln.startswith("- Gap: no randomised controlled trial")]


def test_conditions_are_ordered_by_the_certainty_of_their_headline(shipped: tuple[Built, str]) -> None:
    built, text = shipped
    rank = {"high": 3, "moderate": 2, "low": 1, "very_low": 0}
    glance = text.split("### At a glance", 1)[1].split("\n### ", 1)[0]
    listed = [ln[2:].split(":", 1)[0] for ln in glance.splitlines() if ln.startswith("- ")]
    sections = re.findall(r"^### (.+) \((?:MESH|MONDO|HP):[^)]+\)$", text, flags=re.M)
    labels = {escape_markdown(e.label): e for e in built.kb.entities}
    conditions = [s for s in sections if labels[s].kind.value == "condition"]
    assert listed == conditions and len(listed) >= 5
    heads = []
    for label in listed:
        bodies = [b for b in get_bodies(built.graph, labels[label].id) if b.critical]
        heads.append(rank[bodies[0].certainty] if bodies else -1)
    assert heads == sorted(heads, reverse=True)


def test_terminal_escapes_in_record_text_never_reach_the_brief_or_a_table(
    mini_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 15, point 9: raw ESC from a label reached the Markdown brief and `query` tables.

    The loaders now refuse (YAML) or blank (MEDLINE) control characters; the brief and the table
    writer drop or escape them again, whatever a record holds."""
    from ldngraph.cli.options import echo_rows

    built = load(mini_dir)
    label = "Trial \x1b[2J\x1b]0;pwned\x07A"
    studies = tuple(s.model_copy(update={"label": label}) for s in built.kb.studies)
    kb = built.kb.model_copy(update={"studies": studies})
    md = to_markdown(get_blocks(kb, built.graph))
    assert "\x1b" not in md and "\x07" not in md and "pwned" in md
    echo_rows(["label"], [[label]], "table")
    out = capsys.readouterr().out
    assert "\x1b" not in out and "Trial \\x1b[2J\\x1b]0;pwned\\x07A" in out
