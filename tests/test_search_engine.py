"""The search engine under the ranking: Whoosh's own BM25F order, computed over its posting blocks,
and the per-index caches behind it, which an ingest must never leave stale."""

from __future__ import annotations

import json

import pytest

from conftest import SAMPLES
from kb.search.bm25 import Scorer
from kb.search.index import FIELD_BOOSTS
from kb.ingest import ingest
from kb.store.knowledge_base import KnowledgeBase
from kb.parse.normalize import cut
from kb.search.ranking import Searcher, query_terms

import kb.search.whoosh_import  # noqa: F401,I001
from whoosh.query import Or, Term

NEW_REPORT = """# Incident: ledger export stalls overnight

## Error 1: quasar queue overflow

**Log**:
```
QuasarQueueOverflowError: shard 'zeta-7' exceeded 4096 pending frames
```

**Root cause**: the exporter never acknowledged frames after the broker failover.

**Fix**: restart the exporter with `--ack-timeout 30s` and drain shard zeta-7.
"""

CHANGED_REPORT = """# Incident: ledger export stalls overnight (follow-up)

## Error 1: quasar queue overflow again

**Log**:
```
QuasarQueueOverflowError: shard 'zeta-9' exceeded 8192 pending frames
```

**Root cause**: the same exporter, a second shard.

**Fix**: raise the frame budget and drain shard zeta-9.
"""


@pytest.fixture(scope="module")
def grown_kb(tmp_path_factory):
    """The sample reports, then two more ingested one by one (and one of them rewritten): an index
    with several segments and deleted documents, as a KB has after a few days of use."""
    root = tmp_path_factory.mktemp("engine")
    knowledge = KnowledgeBase.init(root / "kb")
    ingest(knowledge, [SAMPLES])
    extra = root / "ledger.md"
    extra.write_text(NEW_REPORT, encoding="utf-8")
    ingest(knowledge, [extra])
    extra.write_text(CHANGED_REPORT, encoding="utf-8")
    ingest(knowledge, [extra])
    yield knowledge
    knowledge.close()


def _pastes(knowledge: KnowledgeBase) -> list[str]:
    messages = [row["message"] for row in knowledge.store.rows("select message from errors order by id")]
    return messages + ["容器健康检查持续超时", "connection refused port 5432", "disk full no space left on device",
                       "QuasarQueueOverflowError zeta-9", "error failed timeout"]


@pytest.mark.parametrize("budget", [300_000, 1])  # scored postings kept across pastes, or dropped every time
def test_the_ranking_is_whooshs_own_on_a_real_index_with_segments_and_deletions(grown_kb, budget, monkeypatch):
    monkeypatch.setattr("kb.search.bm25.SCORED_BUDGET", budget)
    from kb.search.index import open_index
    from kb.search.segments import IndexFiles

    files = IndexFiles(grown_kb.index_dir)
    whoosh_searcher = open_index(grown_kb, create=False).searcher()
    try:
        reader = whoosh_searcher.reader()
        assert not reader.is_atomic() or reader.has_deletions(), "the fixture should exercise segments or deletions"
        scorer = Scorer(files)
        compared = 0
        for paste in _pastes(grown_kb):
            weighted = query_terms(cut(paste)[0])
            if not weighted:
                continue
            frequencies = scorer.doc_frequencies([(name, term) for term in weighted for name in FIELD_BOOSTS])
            assert frequencies == {(name, term): whoosh_searcher.doc_frequency(name, term)
                                   for term in weighted for name in FIELD_BOOSTS}
            clauses = [(name, term, weight) for term, weight in weighted.items() for name in FIELD_BOOSTS
                       if frequencies[name, term]]
            if not clauses:
                continue
            expected = [(hit.docnum, hit.score) for hit in
                        whoosh_searcher.search(Or([Term(f, t, boost=b) for f, t, b in clauses]), limit=25)]
            got = scorer.top(clauses, 25)
            assert [score for _, score in got] == pytest.approx([score for _, score in expected], rel=1e-12), paste
            # the same documents at each score (equal scores may differ in the last bit of a float sum)
            assert _by_score(got) == _by_score(expected), paste
            compared += 1
        assert compared > 50
    finally:
        whoosh_searcher.close()
        files.close()


def _by_score(ranked: list[tuple[int, float]]) -> dict[float, set[int]]:
    groups: dict[float, set[int]] = {}
    for docnum, score in ranked[:-1]:  # the last place can go to either of two tied documents
        groups.setdefault(round(score, 9), set()).add(docnum)
    return groups


def test_an_open_searcher_finds_a_report_ingested_after_it_refreshes(tmp_path):
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    handle = Searcher(knowledge)
    paste = "QuasarQueueOverflowError: shard 'zeta-7' exceeded 4096 pending frames"
    try:
        before = handle.search(paste).results  # the open index learns these words are unknown
        assert not any("Quasar" in result.message for result in before)
        (tmp_path / "ledger.md").write_text(NEW_REPORT, encoding="utf-8")
        ingest(knowledge, [tmp_path / "ledger.md"])
        handle.refresh()
        after = handle.search(paste).results
        assert after and after[0].message == paste
        assert after[0].report["path"].endswith("ledger.md") and "ack-timeout" in after[0].fix
    finally:
        handle.close()
        knowledge.close()


def test_seen_in_counts_every_report_that_holds_the_error(grown_kb, tmp_path):
    copy = tmp_path / "ledger-copy.md"
    copy.write_text(CHANGED_REPORT.replace("(follow-up)", "(second site)"), encoding="utf-8")
    ingest(grown_kb, [copy])
    handle = Searcher(grown_kb)
    try:
        top = handle.search("QuasarQueueOverflowError: shard 'zeta-9' exceeded 8192 pending frames").results[0]
        assert top.seen_in == 2
    finally:
        handle.close()


def _index_content(knowledge: KnowledgeBase) -> dict:
    """Everything search reads from an index: each term's postings with their block length bounds,
    every document's field lengths and stored fields."""
    from kb.search.index import open_index

    ix = open_index(knowledge, create=False)
    content: dict = {}
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for field, term in reader.all_terms():
            matcher = reader.postings(field, term)
            postings, bounds = [], []
            while matcher.is_active():
                bounds.append((matcher.block_min_length(), matcher.block_max_length(), matcher.block_max_weight()))
                postings.append((matcher.id(), matcher.weight()))
                matcher.next()
            content[field, term] = (postings, bounds)
        for docnum in range(reader.doc_count_all()):
            content[docnum] = (reader.stored_fields(docnum),
                               [reader.doc_field_length(docnum, name) for name in FIELD_BOOSTS])
    return content


def test_an_index_spilled_to_disk_while_written_is_the_one_whoosh_writes(tmp_path, monkeypatch):
    """Big builds spill sorted postings to disk (kb/search/index.py writes those runs in batches) and read
    field lengths back while writing (kb/search/index.py reads each length column once): the index must
    come out as Whoosh's own code writes it."""
    import kb.search.index as index

    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    spills = []
    real_save = index.PostingPool.save

    def counting_save(pool):
        spills.append(len(pool.current))
        real_save(pool)

    monkeypatch.setattr(index.PostingPool, "save", counting_save)
    monkeypatch.setattr(index, "_writer", lambda ix, documents: ix.writer(limitmb=0.05))  # ~50 KB of postings
    index.rebuild_index(knowledge)
    assert len([n for n in spills if n]) > 3  # the postings went through several runs on disk
    ours = _whoosh_reads(monkeypatch, index, _index_content, knowledge)
    with monkeypatch.context() as whoosh_own:
        for (owner, name), whoosh_code in index.WHOOSH_WRITE_PATHS.items():
            assert getattr(owner, name) is not whoosh_code  # ours is in place (and was the one measured above)
            whoosh_own.setattr(owner, name, whoosh_code)
        index.rebuild_index(knowledge)
        assert _index_content(knowledge) == ours
    knowledge.close()


def _whoosh_reads(monkeypatch, index, read, knowledge):
    """read(knowledge) with Whoosh's own field-length reader."""
    with monkeypatch.context() as whoosh_own:
        whoosh_own.setattr(index.W3PerDocReader, "doc_field_length",
                           index.WHOOSH_WRITE_PATHS[index.W3PerDocReader, "doc_field_length"])
        return read(knowledge)


def test_an_index_whose_schema_names_a_module_that_moved_is_rebuilt_not_a_traceback(tmp_path):
    """An index written before a refactor pickles its analyzer by module path; search must rebuild
    it from SQLite, never fail to unpickle it."""
    from kb.search.index import INDEX_VERSION

    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    message = knowledge.store.rows("select message from errors where log != '' order by id limit 1")[0]["message"]
    for toc in knowledge.index_dir.glob("*.toc"):
        data = toc.read_bytes()
        assert b"kb.search.tokenizer" in data
        toc.write_bytes(data.replace(b"kb.search.tokenizer", b"kb.search.tokenizez"))  # a module that is gone
    state = knowledge.index_dir / "generation.json"
    for version in (INDEX_VERSION, INDEX_VERSION - 1):  # this version's state, and the version before
        state.write_text(json.dumps({**json.loads(state.read_text()), "version": version}))
        handle = Searcher(knowledge)
        try:
            assert handle.search(message).results[0].message == message
        finally:
            handle.close()
        for toc in knowledge.index_dir.glob("*.toc"):
            toc.write_bytes(toc.read_bytes().replace(b"kb.search.tokenizer", b"kb.search.tokenizez"))
    knowledge.close()


def test_an_empty_kb_answers_nothing_and_then_its_first_report(tmp_path):
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    handle = Searcher(knowledge)
    paste = "QuasarQueueOverflowError: shard 'zeta-7' exceeded 4096 pending frames"
    try:
        assert handle.search(paste).results == []
        (tmp_path / "ledger.md").write_text(NEW_REPORT, encoding="utf-8")
        ingest(knowledge, [tmp_path / "ledger.md"])
        handle.refresh()
        assert handle.search(paste).results[0].message == paste
    finally:
        handle.close()
        knowledge.close()


def test_an_index_missing_a_segment_file_is_rebuilt_and_search_still_answers(tmp_path):
    """The index is derived: a segment deleted by hand (or lost in a half copy) costs a rebuild, not the search."""
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    message = knowledge.store.rows("select message from errors where log != '' order by id limit 1")[0]["message"]
    segments = list(knowledge.index_dir.glob("*.seg"))
    assert segments
    for segment in segments:
        segment.unlink()
    handle = Searcher(knowledge)
    try:
        assert handle.search(message).results[0].message == message
    finally:
        handle.close()
        knowledge.close()


def test_the_index_term_counts_are_the_tokenizer_s_tokens_counted():
    """kb/search/index.py counts a field's terms with term_counts instead of Whoosh's token stream: the
    same terms, counts and first-seen order for every sample report (CJK, identifiers, versions)."""
    from kb.search.analysis import term_counts
    from kb.search.tokenizer import KBTokenizer

    tokenizer = KBTokenizer()
    texts = [path.read_text(encoding="utf-8") for path in sorted(SAMPLES.glob("*.md"))]
    texts += ["", "a", "的", "SystemPackageMissingError v2.4.0 18.12.1 x.y-z:w/q 容器健康检查 the of 404 123456"]
    for text in texts:
        want: dict[str, int] = {}
        for token in tokenizer(text, mode="index", boosts=True):
            want[token.text] = want.get(token.text, 0) + 1
        assert list(term_counts(text).items()) == list(want.items())


def test_each_error_document_keeps_the_signature_a_search_would_compute(grown_kb):
    """A search compares a card by its masked message; the index stores it with each error group's document,
    so that a new paste does not mask it again for every candidate. The stored value must be exactly what the
    search would compute from the row it shows, through ingests that replaced documents."""
    from kb.parse.normalize import signature
    from kb.search.segments import IndexFiles

    files = IndexFiles(grown_kb.index_dir)
    cards = 0
    try:
        for segment in files.segments:
            for docnum in range(segment.doc_count_all):
                if segment.deleted and docnum in segment.deleted:
                    continue
                stored = segment.stored_fields(docnum)
                if stored.get("error"):
                    message = grown_kb.store.rows("select message from errors where id = ?", [stored["error"]])[0]["message"]
                    assert stored["signature"] == signature(message)
                    cards += 1
                else:
                    assert "signature" not in stored  # passages and commits: computed when met
    finally:
        files.close()
    assert cards > 50
