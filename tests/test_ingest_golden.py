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


def test_the_inline_shortcuts_give_markdown_it_s_own_tokens():
    """kb/parse/blocks.py takes plain text (brackets too, where no link can come of them) as one text
    token, and stops markdown-it's text rule only where an enabled inline rule can fire: every token
    must come out as markdown-it's own inline rule makes it, on our inputs and on inline
    markup built to reach each rule (links, images, labels with brackets, references, autolinks,
    entities, escapes, emphasis next to punctuation, hard breaks)."""
    from pathlib import Path

    from kb.parse import blocks
    from kb.parse.decode import read_text
    from markdown_it import MarkdownIt
    from synth import synth_report

    own = MarkdownIt("commonmark", {"html": False}).enable("table").disable("html_block").disable("html_inline")
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
        "**a**", "**a**b", "**a:**b", "**a:** b", "**a:**", "** a**", "**a **", "**a**:", "**:a**", "**:a**x",
        "**中文**：值", "**中文：**值", "**a** ", "**a\u3000**x", "**a**.", "**.**", "**a.**.", "**a)**b", "**a**(b)",
        "**a\u00a0**b", "**\u2003a**", "**a b**c d", "**修复后** (Commit 02c3e18):", "**1.** step", "**a**b**c**",
        "- **Label**: value\n- **Only**\n\n| **h** | **x**: y |\n|---|---|\n| **c** | d |\n\n# **Title** here",
        "**a**: b\n**c**: d\n**e**", "**a**:\nplain line\n**b**", "plain\n**a**", "**a**  \nb", "**a** \nb",
        "**a**\n  b", "**a**\n\tb", "**a\nb**", "**a**\nb**c**d", "**a**\n**b:**c\n**d**", "x\n**a**b\n**c**",
        "**a**\nb*c", "**a**\nb_c", "**a**\n[b]", "**项目**: x\n**部署平台**：y\n**日期**: 2026", "**a**\u3000\nb",
        "`a`", "`a` b `c`", "x `a*b_c[d]<e>&f!\\g` y", "` a `", "`  `", "` a`", "`a", "a`b`c`", "``a``", "`a``b`",
        "**a**`b`", "**a** `b` c", "**a**: `b`\n`c` d\n**e**`f`g", "**修复后** (Commit `02c3e18`):", "`a\nb`",
        "**a**`", "x `a` *y*", "`a` [b](c)", "`a`\n**b**: c", "a ` b ` c", "**a**:`b``c`",
        "- [ ] a [b] c\n- [x] d ] e [ f\n- [INFO] g [h] (i) [j] (k)", "# [x] heading [y]\n\n| [a] | b] |\n|---|---|\n| [c | d |",
    ]))
    texts.append(texts[-1] + "\n\n[b]: http://example.com/b\n[INFO]: /info")  # with references: links

    def dump(tokens):
        return [(t.type, t.tag, t.content, t.markup, t.info, t.map, t.attrs, t.nesting, t.level, t.block, t.hidden,
                 t.meta, dump(t.children) if t.children else t.children) for t in tokens]

    for text in texts:
        assert dump(blocks._MD.parse(text)) == dump(own.parse(text))


_TRIGGER_BEFORE = (  # kb/parse/redact.py's _TRIGGER_RE as it was written before it was made faster (with
    # issue 20's words: `pw` for `pwd`, so `LOGIN_PW` and `pw:` are looked at; `dckr_` tokens; 凭据)
    r"""pass|pw|secret|token|key|auth|cred|bearer|cookie|sig=|signature|://[^\s/@'"]+@|-----begin|akia|asia|abia|"""
    r"""acca|gh[pousr]_|github_pat|gl(?:pat|rt|dt|ptt)-|xox|xapp-|hooks\.slack|sk_|rk_|sk-|whsec_|aiza|ya29\.|"""
    r"""gocspx|npm_|pypi-|sg\.|_v1_|hv[sbr]\.|shp|hf_|dp\.|:aa|eyj|age-secret|dckr_|密码|口令|令牌|私钥|凭证|凭据|密钥|秘钥|"""
    r"""sq0[a-z]{3}-|sk[0-9a-f]{32}|[ \t]-[upa]|--user|%[0-9a-f]{2}|["'][a-z0-9+/=_\-]{20,}["']""")


def test_the_secret_trigger_regex_matches_where_it_matched_before():
    import re
    from pathlib import Path

    import secret_corpus
    from kb.parse import redact
    from kb.parse.decode import read_text
    from synth import synth_report

    root = Path(__file__).resolve().parent.parent
    texts = [read_text(path) for path in sorted((root / "assets" / "reports").glob("*.md"))]
    texts += list(secret_corpus.reports().values()) + [synth_report(index) for index in range(200)]
    texts += [" -u x\t-p y \t-a z -x", "'abcdefghijklmnopqrstu' \"abcdefghijklmnopqrstu' 'short'", "a -u\n\t-p"]
    before = re.compile(_TRIGGER_BEFORE)
    for text in texts:
        lower = text.lower()
        assert [m.span() for m in redact._TRIGGER_RE.finditer(lower)] == [m.span() for m in before.finditer(lower)]
        caseless = re.compile(redact._TRIGGER_RE.pattern, re.IGNORECASE)
        assert [m.span() for m in caseless.finditer(text)] == [m.span() for m in
                                                              re.compile(_TRIGGER_BEFORE, re.IGNORECASE).finditer(text)]
