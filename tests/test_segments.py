"""kb/search/segments.py reads Whoosh's index files without Whoosh: every figure it reads must be the
one Whoosh's own reader gives, on real indexes (segments, deletions, long posting lists in compressed
blocks, compound and separate files)."""

from __future__ import annotations

import pytest

from conftest import SAMPLES
from kb.ingest import ingest
from kb.search.index import open_index, schema
from kb.search.index_state import FIELD_BOOSTS, indexed_generation
from kb.search.segments import BYTE_TO_LENGTH, IndexFiles, IndexUnreadable, latest_toc, read_toc
from kb.store.knowledge_base import KnowledgeBase

import kb.search.whoosh_import  # noqa: F401,I001
from whoosh import index as whoosh_index
from whoosh.util.numeric import byte_to_length

LEDGER = """# Incident: ledger export stalls

## Error 1: quasar queue overflow

**Log**:
```
QuasarQueueOverflowError: shard 'zeta-7' exceeded 4096 pending frames
```

**Root cause**: the exporter never acknowledged frames after the broker failover.

**Fix**: restart the exporter with `--ack-timeout 30s` and drain shard zeta-7.
"""


def _same_as_whoosh(folder) -> int:
    """Compare everything search reads from the index at folder with Whoosh's reader; the number of
    (field, term) pairs compared."""
    ix = whoosh_index.open_dir(str(folder))
    files = IndexFiles(folder)
    try:
        with ix.searcher() as searcher:
            reader = searcher.reader()
            leaves = reader.leaf_readers() if not reader.is_atomic() else [(reader, 0)]
            assert files.offsets == [offset for _, offset in leaves]
            assert files.doc_count() == searcher.doc_count()
            assert files.doc_count_all == searcher.doc_count_all()
            for field in FIELD_BOOSTS:
                assert files.avg_field_length(field) == searcher.avg_field_length(field)
            compared = 0
            for field, term in reader.all_terms():
                text = term.decode("utf-8") if isinstance(term, bytes) else term
                assert files.doc_frequency(field, text) == reader.doc_frequency(field, term), (field, text)
                for (leaf, _), segment in zip(leaves, files.segments):
                    info = segment.term_info(field, text)
                    if (field, term) not in leaf:
                        assert info is None
                        continue
                    matcher = leaf.postings(field, term)
                    expected = []
                    while matcher.is_active():
                        expected.append((matcher.id(), matcher.weight()))
                        matcher.next()
                    deleted = segment.deleted or frozenset()  # Whoosh's leaf reader leaves them out
                    got = [(docnum, weight) for ids, weights in segment.postings(info)
                           for docnum, weight in zip(ids, weights) if docnum not in deleted]
                    assert got == expected, (field, text)
                compared += 1
            for (leaf, offset), segment in zip(leaves, files.segments):
                assert segment.deleted == (frozenset(leaf.deleted_docs_set) if leaf.has_deletions() else None)
                for docnum in range(leaf.doc_count_all()):
                    assert files.stored_fields(offset + docnum) == leaf.stored_fields(docnum)
                    for field in FIELD_BOOSTS:
                        lengths = segment.length_column(field)
                        ours = BYTE_TO_LENGTH[lengths[docnum]] if docnum < len(lengths) else 0
                        assert ours == (leaf.doc_field_length(docnum, field) or 0), (docnum, field)
        return compared
    finally:
        files.close()
        ix.close()


def test_the_length_table_is_whooshs():
    assert list(BYTE_TO_LENGTH) == [byte_to_length(b) for b in range(256)]


def test_a_grown_kb_index_reads_as_whoosh_reads_it(tmp_path):
    """The sample reports, then a report added and rewritten: several segments, deleted documents."""
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    extra = tmp_path / "ledger.md"
    extra.write_text(LEDGER, encoding="utf-8")
    ingest(knowledge, [extra])
    extra.write_text(LEDGER.replace("zeta-7", "zeta-9"), encoding="utf-8")
    ingest(knowledge, [extra])
    files = IndexFiles(knowledge.index_dir)
    try:
        assert len(files.segments) > 1 and any(segment.deleted for segment in files.segments)
    finally:
        files.close()
    assert _same_as_whoosh(knowledge.index_dir) > 1000
    knowledge.close()


def test_long_posting_lists_in_separate_files_read_as_whoosh_reads_them(tmp_path):
    """A term in 700 documents spans several blocks, compressed; a segment written without a compound
    file keeps its parts as separate files."""
    folder = tmp_path / "index"
    ix = _seven_hundred(folder)
    writer = ix.writer(compound=False)
    writer.delete_by_term("id", "e5")
    writer.add_document(id="e5", error=5, kind="error", message="ConnectionResetError again", fix="restart")
    writer.commit(merge=False)
    ix.close()
    assert not list(folder.glob("*.seg"))
    files = IndexFiles(folder)
    try:
        info = files.segments[0].term_info("message", "connectionreseterror")
        assert len(list(files.segments[0].postings(info))) > 3
    finally:
        files.close()
    assert _same_as_whoosh(folder) > 700


def test_an_index_that_names_a_missing_module_or_is_cut_short_is_unreadable(tmp_path):
    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    toc = latest_toc(knowledge.index_dir)
    generation, segments = read_toc(toc)
    assert segments and indexed_generation(knowledge) >= 0
    data = toc.read_bytes()
    assert b"kb.search.tokenizer" in data
    toc.write_bytes(data.replace(b"kb.search.tokenizer", b"kb.search.tokenizez"))
    with pytest.raises(IndexUnreadable, match="kb.search.tokenizez"):
        read_toc(toc)
    assert indexed_generation(knowledge) == -1  # so the next search rebuilds it
    toc.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexUnreadable):
        read_toc(toc)
    toc.write_bytes(data)
    assert open_index(knowledge, create=False) is not None
    knowledge.close()


def _seven_hundred(folder):
    """An index of 700 documents written without a compound file (its parts stay separate files); open."""
    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), schema())
    writer = ix.writer(compound=False)
    for number in range(700):
        writer.add_document(id=f"e{number}", error=number, kind="error", seen_in=1 + number % 3,
                            message=f"ConnectionResetError worker-{number} " + "peer reset " * (number % 7),
                            fix=f"restart shard {number % 11}", title=f"pool {number % 5} 重置 连接")
    writer.commit()
    return ix


def _write_separate_files(folder) -> dict[str, bytes]:
    """The 700 documents' term hash and postings: each part's bytes by its extension."""
    _seven_hundred(folder).close()
    return {path.name.split(".", 1)[1]: path.read_bytes() for path in folder.iterdir() if path.suffix in (".trm", ".pst")}


def test_the_terms_and_postings_runbook_writes_are_byte_for_byte_whooshs(tmp_path, monkeypatch):
    """kb/search/index.py writes each term's last block itself (`_finish_term`): the term hash and the
    posting blocks must be the bytes Whoosh's own code writes, for one-block and many-block terms."""
    import kb.search.index as index
    from whoosh.codec.whoosh3 import W3FieldWriter

    monkeypatch.setattr(index, "SMALL_BLOCK", 0)  # every block compressed, as Whoosh does
    ours = _write_separate_files(tmp_path / "ours")
    assert W3FieldWriter.finish_term is index._finish_term
    monkeypatch.setattr(W3FieldWriter, "finish_term", index.WHOOSH_WRITE_PATHS[W3FieldWriter, "finish_term"])
    whooshs = _write_separate_files(tmp_path / "whoosh")
    assert set(ours) == {"trm", "pst"} and ours == whooshs


@pytest.mark.parametrize("damage", ["cut short", "overwritten"])
def test_a_damaged_segment_is_rebuilt_and_the_search_answers(tmp_path, damage):
    """The index is derived: a segment file cut short (a full disk, a half copy) or overwritten in the middle
    is found when it is opened or read, rebuilt from SQLite, and the paste still gets its answer."""
    from kb.search.ranking import search

    knowledge = KnowledgeBase.init(tmp_path / "kb")
    ingest(knowledge, [SAMPLES])
    message = knowledge.store.rows("select message from errors where log != '' order by id limit 1")[0]["message"]
    (segment,) = knowledge.index_dir.glob("*.seg")
    data = segment.read_bytes()
    if damage == "cut short":
        segment.write_bytes(data[: len(data) // 2])
    else:
        third = len(data) // 3
        segment.write_bytes(data[:third] + b"\x00" * third + data[2 * third:])
    assert search(knowledge, message).results[0].message == message
    assert not segment.exists()  # rebuilt: a new segment
    knowledge.close()
