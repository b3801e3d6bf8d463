"""The ingest's results, exactly as before any speed work: parsed reports, redactions, stored rows, the
index and search results over our own inputs (tests/ingest_golden.py says what is captured)."""

from __future__ import annotations

import json

from ingest_golden import GOLDEN, snapshot


def _differences(want, got, where: str = "", out: list | None = None) -> list[str]:
    out = [] if out is None else out
    if len(out) >= 20:
        return out
    if isinstance(want, dict) and isinstance(got, dict):
        for key in sorted(set(want) | set(got), key=str):
            if key not in got or key not in want:
                out.append(f"{where}/{key}: {'missing' if key not in got else 'new'}")
            else:
                _differences(want[key], got[key], f"{where}/{key}", out)
    elif isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        for i, (a, b) in enumerate(zip(want, got)):
            _differences(a, b, f"{where}[{i}]", out)
    elif want != got:
        out.append(f"{where}: {str(want)[:120]!r} became {str(got)[:120]!r}")
    return out


def test_ingest_results_are_the_golden_ones():
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = snapshot()
    assert len(got["ingest"]["ingested"]) > 64  # the pooled path ran
    assert got["search"] and any(query["results"] for query in got["search"])
    differences = _differences(want, got)
    assert not differences, "\n".join(differences)


def test_the_narrower_inline_terminators_give_markdown_it_s_own_tokens():
    """kb/parse/blocks.py stops markdown-it's text rule only where an enabled inline rule can fire: every
    token must come out as with markdown-it's own terminator characters, on our inputs and on inline
    markup built to reach each rule (links, images, labels with brackets, references, autolinks,
    entities, escapes, emphasis next to punctuation, hard breaks)."""
    from pathlib import Path

    from kb.parse import blocks
    from kb.parse.decode import read_text
    from markdown_it import MarkdownIt
    from synth import synth_report

    own = MarkdownIt("commonmark", {"html": False}).enable("table").disable("html_block").disable("html_inline")
    own.core.ruler.at("inline", blocks._inline)
    assert own.inline.terminator_re.pattern != blocks._MD.inline.terminator_re.pattern
    root = Path(__file__).resolve().parent.parent
    texts = [read_text(path) for path in sorted((root / "assets" / "reports").glob("*.md"))]
    texts += [read_text(path) for path in sorted((root / "tests" / "fixtures").rglob("*.md"))]
    texts += [synth_report(index) for index in range(0, 400, 7)]
    texts.append("\n\n".join([
        "[ref]: http://example.com/x \"T\"", "see [ref] and [ref][] and [text][ref] and [x](y) and ![img](p.png)",
        "a [link [nested] label](u) b ![alt *em*](i \"t\") c [not a link] d [a]: b", "<http://a.b/c> <a@b.co> a<b>c",
        "&amp; &#123; &#x1F600; &nope; & alone", r"\* \_ \` \[ \] \\ \! \# \- \: \= text\\", "**Fix**: a-b:c=d#e%f+g",
        "**修复后** (Commit `02c3e18`):", "foo**bar**baz *a*-*b* _a_:_b_ **a:**b **a**:b __x__", "hard  \nbreak\\\nx",
        "a ~~b~~ c $d$ {e} @f ^g^ ==h== ++i++", "[x] done [ ] todo [✓] ok", "`code ]` [a`]`b] ![x`]`](y)",
        "***strong em*** *em **strong** em* **a *b* c**", "| a | b |\n|---|---|\n| [x](y) | `c|d` |",
    ]))

    def dump(tokens):
        return [(t.type, t.tag, t.content, t.markup, t.info, t.map, t.attrs, t.nesting,
                 dump(t.children) if t.children else None) for t in tokens]

    for text in texts:
        assert dump(blocks._MD.parse(text)) == dump(own.parse(text))
