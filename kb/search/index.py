"""The Whoosh search index: derived from SQLite, rebuildable, updated on ingest.

One document per distinct error (per fingerprint: the same error written up in
many reports is one search result, "seen in N reports"), with fields weighted
for BM25F: the error message above the title above the log and cause above the
fix text. The document shows its most complete write-up. The index records
the store generation it reflects; a mismatch (a crash between the two writes,
a `git pull` + reindex elsewhere) makes search rebuild it.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import struct
import os
import shutil
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import kb.search.whoosh_import  # noqa: F401  (first: Whoosh without its unused urllib/asyncio imports)
from whoosh import index as whoosh_index
from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3FieldWriter, W3PerDocReader, W3PostingsWriter, W3TermInfo, _lenfield
from whoosh.filedb.filetables import OrderedHashWriter, md5_hash
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.formats import Frequency
from whoosh.system import emptybytes, pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.fields import FieldType
from whoosh.writing import PostingPool, SegmentWriter

from kb.search.analysis import term_counts
from kb.search.candidate_text import message_signature
from kb.search.index_state import (  # noqa: F401  (callers import these from here too)
    FIELD_BOOSTS, INDEX_VERSION, PASSAGE_FIELDS, ensure_current, forget_index, index_is_current, indexed_generation,
    write_state)
from kb.search.tokenizer import KBTokenizer, analyzer
from kb.store.knowledge_base import KnowledgeBase



_RUN_BATCH = 20_000  # postings per pickle record in a spilled sort run
# a batch this large is indexed in Whoosh's writer processes (tests set it low to have them at all)
PARALLEL_DOCUMENTS = int(os.environ.get("RUNBOOK_PARALLEL_INDEX_DOCS", "20000"))


def _write_run(self, f, items) -> None:
    """Whoosh spills sorted postings to disk one pickle call per posting (at 10,000 reports, 3.4
    million calls each way: a fifth of the build); written as pickle records of 20,000 postings,
    the same items in the same order come back in a few hundred calls. (Pickle, not marshal:
    marshal.load reads a file in small pieces, 20 times slower than pickle.load here.)"""
    if isinstance(items, list):  # a pool's sorted postings: cut in slices
        for start in range(0, len(items), _RUN_BATCH):
            pickle.dump(items[start:start + _RUN_BATCH], f, pickle.HIGHEST_PROTOCOL)
    else:  # runs being merged
        batch = []
        for item in items:
            batch.append(item)
            if len(batch) >= _RUN_BATCH:
                pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
                batch = []
        if batch:
            pickle.dump(batch, f, pickle.HIGHEST_PROTOCOL)
    f.close()


def _read_run(self, path):
    f = self._open_run(path)
    try:
        while True:
            try:
                batch = pickle.load(f)
            except EOFError:
                return
            yield from batch
    finally:
        f.close()
        self._remove_run(path)


_NO_COLUMN = object()


def _length_column(reader, fieldname):
    """A field's length column, read once per reader: its bytes (one length byte per document), or
    the column reader for any other kind, or _NO_COLUMN."""
    columns = reader.__dict__.setdefault("_runbook_lengths", {})
    column = columns.get(fieldname)
    if column is None:
        column_reader = reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column_reader is None:
            column = _NO_COLUMN
        elif getattr(column_reader, "_fixedlen", None) == 1:
            column = bytes(column_reader._dbfile.get(column_reader._basepos, column_reader._count))
        else:
            column = column_reader  # any other column kind: asked one document at a time, as Whoosh does
        columns[fieldname] = column
    return column


def _doc_field_length(self, docnum, fieldname, default=0):
    """Whoosh's W3PerDocReader.doc_field_length, with the field's length column read once: writing a
    segment asks it once per posting (3.4 million times at 10,000 reports) through a seek and a read."""
    column = _length_column(self, fieldname)
    if column is _NO_COLUMN:
        return default
    if docnum > self._doccount:
        raise IndexError("Asked for docnum %r of %d" % (docnum, self._doccount))
    lbyte = (column[docnum] if docnum < len(column) else 0) if isinstance(column, bytes) else column[docnum]
    if lbyte:
        return byte_to_length(lbyte)
    return None  # as Whoosh's own (a document without this field)


def _add_postings(self, schema, lengths, items):
    """Whoosh's FieldWriter.add_postings for its W3 codec: the sorted postings (fieldname, btext, docnum,
    weight, vbytes) of a segment into per-term posting blocks. One loop with W3FieldWriter.add,
    W3PostingsWriter.add_posting (less its type asserts) and the field length lookup written into it
    (five calls per posting, 3.4 million postings at 10,000 reports); the same calls for each field
    and term, the same blocks, bounds and bytes."""
    dfl = lengths.doc_field_length if lengths else (lambda docnum, fieldname: 0)
    own_lengths = type(lengths) is W3PerDocReader and lengths.doc_field_length == _doc_field_length.__get__(lengths)
    lastfn = lasttext = None
    column = postings = None
    for fieldname, btext, docnum, weight, value in items:
        if lastfn is not None and fieldname < lastfn:
            raise OutOfOrderError("Field %r .. %r" % (lastfn, fieldname))
        if fieldname == lastfn and lasttext and btext < lasttext:
            raise OutOfOrderError("Term %s:%r .. %s:%r" % (lastfn, lasttext, fieldname, btext))
        if fieldname != lastfn:
            if lasttext is not None:
                self.finish_term()
            if lastfn is not None:
                self.finish_field()
            self.start_field(fieldname, schema[fieldname])
            lastfn, lasttext = fieldname, None
            column = _length_column(lengths, fieldname) if own_lengths else None
        if docnum == -1:  # a spelling word (Whoosh's own loop skips them too)
            continue
        if btext != lasttext:
            if lasttext is not None:
                self.finish_term()
            self.start_term(btext)
            lasttext = btext
            postings = self._postwriter
        if column.__class__ is bytes:
            if docnum > lengths._doccount:
                raise IndexError("Asked for docnum %r of %d" % (docnum, lengths._doccount))
            lbyte = column[docnum] if docnum < len(column) else 0
            length = byte_to_length(lbyte) if lbyte else None
        elif column is _NO_COLUMN:
            length = 0
        else:
            length = dfl(docnum, fieldname)
        if value is None:
            value = emptybytes
        if len(postings._ids) >= postings._blocklimit:
            postings._write_block()
        postings._ids.append(docnum)
        postings._weights.append(weight)
        if weight > postings._maxweight:
            postings._maxweight = weight
        if value:
            postings._values.append(value)
        if length:
            minlength = postings._minlength
            if minlength is None or length < minlength:
                postings._minlength = length
            if length > postings._maxlength:
                postings._maxlength = length
    if lasttext is not None:
        self.finish_term()
    if lastfn is not None:
        self.finish_field()
    _check_positions(self)


_HEADER_MAGIC = b"W3Bl"
_INFO_PROTOCOL = 2
# A block's pickle shorter than this is written as it is. Whoosh meant to leave pickles under 20 bytes
# uncompressed (W3PostingsWriter._write_block sets comp = 0, then overwrites it); under 100 bytes zlib
# saves ~4 bytes a block but costs ~10 us each (its set-up), and most of the ~8,000 blocks adding 100
# reports writes are that small: a tenth of the index commit.
SMALL_BLOCK = 100


def _finish_term(self):
    """Whoosh's W3FieldWriter.finish_term, with W3PostingsWriter.finish_postings and its last
    `_write_block` written into it: the same block, term info and hash entry, in a handful of calls
    instead of some forty (adding 100 reports at 50,000 writes ~8,000 terms, most in one block: their
    per-term calls were a third of the index commit). Anything unusual goes Whoosh's own way."""
    postings = self._postwriter
    ids = postings._ids
    terminfo = postings._terminfo
    if not ids or postings._byteids or terminfo is None or postings._inlinelimit > 1:
        self._tindex.__dict__.pop("_runbook_pos", None)  # Whoosh's own code moves the files on: asked again
        self.__dict__.pop("_runbook_post_end", None)
        return _whoosh_finish_term(self)
    postfile = postings._postfile
    first_block = not postings._blockcount  # nothing written for this term yet (no full block before this one)
    weights = postings._weights
    minlength, maxlength, maxweight = postings._minlength, postings._maxlength, postings._maxweight
    # terminfo.add_block(postings)
    terminfo._weight += sum(weights)
    terminfo._df += len(ids)
    terminfo._minlength = minlength if terminfo._minlength is None else min(terminfo._minlength, minlength)
    terminfo._maxlength = max(terminfo._maxlength, maxlength)
    terminfo._maxweight = max(terminfo._maxweight, maxweight)
    if terminfo._minid is None:
        terminfo._minid = ids[0]
    terminfo._maxid = ids[-1]
    # the block: (delta-encoded ids, weights minified, values), pickled and compressed
    previous, deltas = 0, []
    for docnum in ids:
        deltas.append(docnum - previous)
        previous = docnum
    first = weights[0]
    if first == 1.0 and weights.count(1.0) == len(weights):
        mini_weights = None
    elif weights.count(first) == len(weights):
        mini_weights = first
    else:
        mini_weights = tuple(weights)
    data = pickle.dumps((tuple(deltas), mini_weights, postings._mini_values()), _INFO_PROTOCOL)
    compression = postings._compression
    if len(data) < SMALL_BLOCK:
        compression = 0  # each block says whether it is compressed; readers (Whoosh's, ours) decompress only those
    if compression:
        data = zlib.compress(data, compression)
    info = pickle.dumps((len(ids), ids[-1], maxweight, compression, length_to_byte(minlength),
                         length_to_byte(maxlength)), _INFO_PROTOCOL)
    block = pack_int(-(len(info) + len(data))) + info + data
    if first_block:
        block = _HEADER_MAGIC + block
    postfile.write(block)
    postings._blockcount += 1
    postings._new_block()
    startoffset = postings._startoffset
    # where the term ends (and the next one starts: _start_term), counted rather than asked of the file
    end = startoffset + len(block) if first_block else postfile.tell()
    postings._runbook_end = self._runbook_post_end = end
    terminfo.set_extent(startoffset, end - startoffset)
    postings._terminfo = None
    _add_term(self._tindex, pack_ushort(self._fieldid) + self._btext, terminfo.to_bytes())


_TERM_LENGTHS = struct.Struct("!ii")  # Whoosh's HashWriter: a key's and its value's length before them


def _add_term(tindex, key: bytes, value: bytes) -> None:
    """OrderedHashWriter.add (its key order check, its position index, HashWriter.add's record and md5
    bucket), with the file position counted instead of asked of the file twice per term."""
    if type(tindex) is not OrderedHashWriter or tindex.hashfn is not md5_hash:
        tindex.__dict__.pop("_runbook_pos", None)
        return tindex.add(key, value)
    if key <= tindex.lastkey:
        raise ValueError("Keys must increase: %r..%r" % (tindex.lastkey, key))
    pos = tindex.__dict__.get("_runbook_pos")
    if pos is None:
        pos = tindex.dbfile.tell()
    tindex.index.append(pos)
    tindex.dbfile.write(_TERM_LENGTHS.pack(len(key), len(value)) + key + value)
    hashed = int(hashlib.md5(key, usedforsecurity=False).hexdigest(), 16) & 0xFFFFFFFF
    tindex.buckets[hashed & 255].append((hashed, pos))
    tindex.lastkey = key
    tindex._runbook_pos = pos + _TERM_LENGTHS.size + len(key) + len(value)


def _start_term(self, btext):
    """W3FieldWriter.start_term with W3PostingsWriter.start_postings written into it: the term starts
    where the last one written by _finish_term ended (the file is asked only when Whoosh's own code
    wrote last)."""
    postings = self._postwriter
    if type(postings) is not W3PostingsWriter or postings._terminfo:
        return _whoosh_start_term(self, btext)
    self._btext = btext
    postings._format = self._fieldobj.format
    postings._blockcount = 0
    postings._new_block()
    postings._terminfo = W3TermInfo()
    end = postings.__dict__.pop("_runbook_end", None)
    postings._startoffset = postings._postfile.tell() if end is None else end


def _check_positions(fieldwriter) -> None:
    """The counted positions are where the files are (once per segment): a count gone wrong is an error
    here, never a term pointing into the wrong place."""
    for counted, where in ((fieldwriter._tindex.__dict__.get("_runbook_pos"), fieldwriter._tindex.dbfile),
                           (fieldwriter.__dict__.get("_runbook_post_end"), fieldwriter._postfile)):
        if counted is not None and counted != where.tell():
            raise RuntimeError(f"index file position counted {counted}, is {where.tell()}")


_whoosh_word_values = Frequency.word_values
_whoosh_finish_term = W3FieldWriter.finish_term
_whoosh_start_term = W3FieldWriter.start_term
_whoosh_pool_add = PostingPool.add
_whoosh_field_index = FieldType.index


def _word_values(self, value, analyzer, **kwargs):
    """Whoosh's Frequency.word_values (each distinct term of a field's text, its count, its weight and
    its encoded count), for our tokenizer without a Token object and three generator steps per term
    (a fifth of writing the index): the same terms counted in the same order, each weighing its count
    (the sum of its tokens' boosts, 1.0 each) times the field's boost."""
    if analyzer.__class__ is not KBTokenizer or not isinstance(value, str) or kwargs.get("mode") != "index":
        return _whoosh_word_values(self, value, analyzer, **kwargs)
    fb = self.field_boost
    return [(word, freq, float(freq) * fb, pack_uint(freq)) for word, freq in term_counts(value).items()]


def _add_document(self, **fields):
    """Whoosh's SegmentWriter.add_document, with the postings of our text fields made and pooled in one
    loop: no generator and no PostingPool.add call per posting (its size estimate and its spill check
    are made here, posting by posting, as it makes them). Other fields go Whoosh's own way."""
    self._check_state()
    perdocwriter = self.perdocwriter
    schema = self.schema
    docnum = self.docnum
    pool = self.pool
    add_post = pool.add
    fast_pool = type(pool) is PostingPool and add_post.__func__ is _whoosh_pool_add
    docboost = self._doc_boost(fields)
    fieldnames = sorted([name for name in fields.keys() if not name.startswith("_")])
    self._check_fields(schema, fieldnames)
    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                scorable = field.scorable
                fmt = field.format
                if (fast_pool and type(fmt) is Frequency and field.analyzer.__class__ is KBTokenizer
                        and isinstance(value, str) and type(field).index is _whoosh_field_index):
                    fb = fmt.field_boost
                    limit = pool.limit
                    pool.fieldnames.add(fieldname)
                    base = 150 + len(fieldname)
                    for word, freq in term_counts(value).items():
                        tbytes = word.encode("utf-8")
                        vbytes = pack_uint(freq)
                        if scorable:
                            length += freq
                        pool.currentsize += base + 2 * len(tbytes) + len(vbytes)
                        if pool.currentsize > limit:
                            pool.save()
                        pool.current.append((fieldname, tbytes, docnum, (float(freq) * fb) * fieldboost, vbytes))
                else:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        add_post((fieldname, tbytes, docnum, weight, vbytes))
            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                for word in field.spellable_words(value):
                    word = word.encode("utf-8")
                    add_post((spellfield, word, 0, 1, vbytes))  # noqa: F821 (as Whoosh's own: vbytes of the last posting)
            vformat = field.vector
            if vformat:
                vitems = vformat.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)
            customval = fields.get("_stored_%s" % fieldname, value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
    except Exception as ex:
        perdocwriter.cancel_doc()
        raise ex
    perdocwriter.finish_doc()
    self._added = True
    self.docnum += 1


# Whoosh's own code for each path replaced here (tests check the index comes out the same with them).
WHOOSH_WRITE_PATHS = {(PostingPool, "_write_run"): PostingPool._write_run,
                      (PostingPool, "_read_run"): PostingPool._read_run,
                      (Frequency, "word_values"): Frequency.word_values,
                      (W3PerDocReader, "doc_field_length"): W3PerDocReader.doc_field_length,
                      (W3FieldWriter, "add_postings"): W3FieldWriter.add_postings,
                      (SegmentWriter, "add_document"): SegmentWriter.add_document,
                      (W3FieldWriter, "finish_term"): W3FieldWriter.finish_term,
                      (W3FieldWriter, "start_term"): W3FieldWriter.start_term}
PostingPool._write_run, PostingPool._read_run = _write_run, _read_run  # the index comes out the same
Frequency.word_values = _word_values
W3PerDocReader.doc_field_length = _doc_field_length
W3FieldWriter.add_postings = _add_postings
SegmentWriter.add_document = _add_document
W3FieldWriter.finish_term = _finish_term
W3FieldWriter.start_term = _start_term


def schema() -> Schema:
    text = {name: TEXT(analyzer=analyzer(), field_boost=boost, phrase=False) for name, boost in FIELD_BOOSTS.items()}
    # `reports` (a passage's or a commit's source) and `seen_in` (how many reports an error group is seen in)
    # are stored, not indexed: a group's report list held every member's path as a term, so adding one report
    # to a group seen in thousands rewrote thousands of terms (ingest finds the documents a report held in
    # SQLite instead: documents_of)
    # `signature` (an error group's, kb/search/candidate_text.py) is what the ranking compares a card by whatever
    # the paste: computed here once, from the fingerprint's own masking, instead of for every paste that meets it
    return Schema(id=ID(stored=True, unique=True), error=STORED(), commit=STORED(), passage=STORED(), kind=ID(),
                  reports=STORED(), seen_in=STORED(), signature=STORED(), **text)


def open_index(kb: KnowledgeBase, create: bool = True):
    folder = kb.index_dir
    if whoosh_index.exists_in(str(folder)):
        return whoosh_index.open_dir(str(folder))
    if not create:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(folder), schema())


_ERROR_SQL = """
select e.id, e.fingerprint, r.path as report, e.message, e.title, e.log, e.symptom, e.root_cause as cause, e.fix,
       r.title as report_title, e.section, r.project, r.platform,
       (select group_concat(coalesce(c.message, ''), ' ') from commits c join error_commits ec on ec.commit_id = c.id
        where ec.error_id = e.id) as commit_messages
from errors e join reports r on r.id = e.report_id
"""
_CAP = 20000


def _rows_where(kb: KnowledgeBase, sql: str, column: str, values: list[str] | None) -> list[dict]:
    """Rows of sql (all of them, or those whose column is one of values, asked 500 at a time)."""
    if values is None:
        return kb.store.rows(sql)
    rows: list[dict] = []
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        rows += kb.store.rows(f"{sql} {column} in ({','.join('?' * len(chunk))})", chunk)
    return rows


def _group_rows(kb: KnowledgeBase, sql: str, keys: list[str] | None) -> list[dict]:
    """Rows of sql about these groups (None: every group), 500 at a time; {groups} is where the condition goes."""
    if keys is None:
        return kb.store.rows(sql.replace("{groups}", "1"))
    rows: list[dict] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        rows += kb.store.rows(sql.replace("{groups}", f"group_key in ({','.join('?' * len(chunk))})"), chunk)
    return rows


def _documents(kb: KnowledgeBase, keys: list[str] | None):
    """One document per error group (fingerprint): the best write-up's fields (the most complete, then the
    longest fix, then the newest) and every member's distinct title, cause and fix in that order. The store
    keeps each group's best write-up and distinct texts as write-ups come and go (kb/store/groups.py): at
    50,000 reports a group can hold 10,000 write-ups, and reading them all was most of adding 100 reports."""
    heads = _group_rows(kb, "select group_key, best, seen_in, first from error_groups where {groups}", keys)
    if not heads:
        return
    # Documents are numbered in the order they are added, and equal scores keep that order: a rebuild adds
    # groups by their first write-up, an update by key (as they came when Python walked the members).
    heads.sort(key=(lambda row: row["first"]) if keys is None else (lambda row: row["group_key"]))
    texts = _group_texts(kb, keys)
    best_rows = {row["id"]: row for row in _rows_where(kb, _ERROR_SQL, "where e.id", [head["best"] for head in heads])}
    for head in heads:
        key, best = head["group_key"], best_rows[head["best"]]
        context = " ".join(filter(None, [best["report_title"], best["section"], best["project"], best["platform"],
                                         best["commit_messages"]]))
        yield {"id": key, "error": best["id"], "seen_in": head["seen_in"], "signature": message_signature(best["message"] or ""),
               "message": best["message"] or "", "title": _joined(texts.get((key, "title"), ())),
               "log": (best["log"] or "")[:_CAP], "symptom": best["symptom"] or "",
               "cause": _joined(texts.get((key, "cause"), ())), "fix": _joined(texts.get((key, "fix"), ())),
               "context": context}


def _joined(texts) -> str:
    return "\n".join(texts)[:_CAP]


def _group_texts(kb: KnowledgeBase, keys: list[str] | None) -> dict[tuple[str, str], list[str]]:
    """Each group's distinct texts of each field, best write-up first, as far as _joined keeps them: once
    the texts read (each with its newline) pass _CAP characters, the rest would be cut off. The groups 100
    new reports join can hold 60,000 texts at 50,000 reports, of which _joined keeps under half: each
    (group, field) is read in order from the covering index and left as soon as it is full."""
    from kb.store.groups import TEXT_FIELDS

    texts: dict[tuple[str, str], list[str]] = {}
    order = "order by complete desc, fix_length desc, id desc"
    if keys is None:  # a rebuild: every group, in one pass
        sizes: dict[tuple[str, str], int] = {}
        for key, field, text in kb.store.conn.execute(f"select group_key, field, text from group_texts "
                                                      f"order by group_key, field, {order[9:]}"):
            size = sizes.get((key, field), 0)
            if size <= _CAP:
                sizes[key, field] = size + len(text) + 1
                texts.setdefault((key, field), []).append(text)
        return texts
    for key in keys:
        for field in TEXT_FIELDS:
            kept, size = [], 0
            for (text,) in kb.store.conn.execute(f"select text from group_texts where group_key = ? and field = ? {order}",
                                                 (key, field)):
                if size > _CAP:
                    break
                kept.append(text)
                size += len(text) + 1
            if kept:
                texts[key, field] = kept
    return texts


_PASSAGE_SQL = """
select p.id, p.heading, p.text, r.path as report, r.title as report_title
from passages p join reports r on r.id = p.report_id where not p.whole
"""


def _passage_documents(kb: KnowledgeBase, paths: list[str] | None):
    """Every passage of these reports (None: of all) as a document: any shape of report is searchable.
    Read as they are indexed (a rebuild at 50,000 reports has 400,000 passages)."""
    if paths is None:
        rows = kb.store.stream(_PASSAGE_SQL)
    else:
        rows = (row for start in range(0, len(paths), 500)
                for row in _rows_where(kb, _PASSAGE_SQL, "and r.path", paths[start:start + 500]))
    for row in rows:
        heading, text = row["heading"] or "", row["text"] or ""
        yield {"id": f"p:{row['id']}", "error": 0, "passage": row["id"], "kind": "passage", "reports": row["report"],
               "heading": heading.rsplit(" / ", 1)[-1], "where": f"{row['report_title']} {heading}",
               "body": text[:_CAP]}


def documents_of(kb: KnowledgeBase, paths: list[str]) -> set[str]:
    """The index documents these reports' records make (error groups and passages), read from SQLite:
    ingest asks before it replaces the reports, so update_index can drop what they held."""
    keys: set[str] = set()
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        marks = ",".join("?" * len(chunk))
        keys.update(row["fingerprint"] or f"error-{row['id']}" for row in kb.store.rows(
            f"select e.id, e.fingerprint from errors e join reports r on r.id = e.report_id where r.path in ({marks})", chunk))
        keys.update(f"p:{row['id']}" for row in kb.store.rows(
            f"select p.id from passages p join reports r on r.id = p.report_id where not p.whole and r.path in ({marks})",
            chunk))
    return keys


# What a caller is told of a long phase: on_phase(what, how many) returns a callable told each n done (or None)
Phase = Callable[[str, int], "Callable[[int], None] | None"]


def _counted(documents: Iterable[dict], advance: Callable[[int], None] | None, every: int = 256) -> Iterator[dict]:
    """The documents as they come; advance told every `every` of them (a first ingest indexes ~10 per report)."""
    if advance is None:
        yield from documents
        return
    count = 0
    for document in documents:
        yield document
        count += 1
        if count == every:
            advance(count)
            count = 0
    if count:
        advance(count)


def _passages_of(kb: KnowledgeBase, paths: list[str] | None) -> int:
    """How many passage documents these reports make (None: every report)."""
    if paths is None:
        return kb.store.conn.execute("select count(*) from passages where not whole").fetchone()[0]
    total = 0
    for start in range(0, len(paths), 500):
        chunk = paths[start:start + 500]
        total += kb.store.conn.execute(
            f"select count(*) from passages p join reports r on r.id = p.report_id where not p.whole "
            f"and r.path in ({','.join('?' * len(chunk))})", chunk).fetchone()[0]
    return total


def update_index(kb: KnowledgeBase, paths: list[str], previous: set[str], on_phase: Phase | None = None) -> None:
    """Replace the documents of these reports (right after one store write; previous: documents_of them
    before it). A new segment holds what changed: the cost follows the reports added, not the KB.

    If the index missed an earlier write it is rebuilt whole instead. on_phase hears of the indexing
    (a first ingest of 50,000 reports spends half its time here, after every file was parsed).
    """
    if indexed_generation(kb) != kb.store.generation() - 1:
        rebuild_index(kb, on_phase)
        return
    ix = open_index(kb)
    affected = set(previous)  # groups and passages that held these reports before the write
    for start in range(0, len(paths), 500):  # groups that hold them now
        chunk = paths[start:start + 500]
        affected.update(row["fingerprint"] for row in kb.store.rows(
            f"select e.fingerprint from errors e join reports r on r.id = e.report_id "
            f"where r.path in ({','.join('?' * len(chunk))})", chunk))
    groups = sorted(key for key in affected if not key.startswith("p:"))
    advance = on_phase("indexing", len(groups) + _passages_of(kb, paths)) if on_phase else None
    writer = _writer(ix, len(affected))
    try:
        for key in affected:
            writer.delete_by_term("id", key)
        for doc in _counted(_documents(kb, groups), advance):
            writer.add_document(**doc)
        for doc in _counted(_passage_documents(kb, paths), advance):
            writer.add_document(**doc)
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    write_state(kb)


def rebuild_index(kb: KnowledgeBase, on_phase: Phase | None = None) -> int:
    """Build the index from scratch from SQLite; returns the number of documents."""
    shutil.rmtree(kb.index_dir, ignore_errors=True)
    ix = open_index(kb)
    counts = kb.store.counts()
    advance = None
    if on_phase:
        groups = kb.store.conn.execute("select count(*) from error_groups").fetchone()[0]
        advance = on_phase("indexing", groups + _passages_of(kb, None))
    writer = _writer(ix, counts["errors"] + counts["passages"])
    count = 0
    try:
        for doc in _counted(_documents(kb, None), advance):
            writer.add_document(**doc)
            count += 1
        for doc in _counted(_passage_documents(kb, None), advance):
            writer.add_document(**doc)
            count += 1
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise
    add_commits(kb, None)
    write_state(kb)
    return count


def add_commits(kb: KnowledgeBase, commits: list[dict] | None) -> None:
    """Fix commits from ingested repositories as documents of their own: a pasted error can find the
    commit that fixed it even where no report mentions it. None: all of them (a rebuild)."""
    if commits is None:
        if not kb.store.db["repo_commits"].exists():
            return
        commits = kb.store.rows("select * from repo_commits where is_fix = 1")
    if not commits:
        return
    ix = open_index(kb)
    writer = _writer(ix, len(commits))
    try:
        for commit in commits:
            files = " ".join(json.loads(commit["files"] or "[]"))
            writer.update_document(id=f"commit:{commit['sha']}", error=0, commit=commit["sha"],
                                   reports=f"repo:{commit['repo']}", message=commit["subject"], title=commit["subject"],
                                   log="", symptom="", cause=commit["body"] or "", fix=commit["body"] or "",
                                   context=f"{files} {commit['author']}")
        writer.commit()
    except BaseException:
        _cancel(writer)
        raise


def _writer(ix, documents: int):
    """Large batches index on every core (Whoosh's multiprocessing writer); small ones in-process."""
    cores = os.cpu_count() or 1
    if documents >= PARALLEL_DOCUMENTS and cores > 1:
        from kb.search.writer_task import start_task

        writer = ix.writer(procs=cores, limitmb=128, multisegment=True)
        writer._new_task = lambda: start_task(writer)  # its processes die with this one
        return writer
    return ix.writer(limitmb=256)


def _cancel(writer) -> None:
    """writer.cancel(), and for Whoosh's multiprocessing writer also end its processes; then remove the files
    the cancelled write left (segment files no table of contents names, temporary folders): a write that
    failed on a full disk leaves the index as it was, stale but without debris."""
    try:
        writer.cancel()
    finally:
        if getattr(writer, "tasks", None):
            from kb.search.writer_task import stop_tasks

            stop_tasks(writer)
        _clean_debris(writer.storage, writer.indexname)


def _clean_debris(storage, indexname: str) -> None:
    from whoosh.index import TOC, clean_files

    try:
        toc = TOC.read(storage, indexname)
        clean_files(storage, indexname, toc.generation, toc.segments)
    except Exception:  # no readable table of contents: the next search rebuilds the index anyway
        pass
    folder = Path(storage.folder)
    for path in folder.glob("*.tmp"):
        shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
