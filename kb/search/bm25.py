"""BM25F top-N over the Whoosh index: Whoosh's own scores and order, without its matcher tree.

Why: an `Or` of ~20 boosted `Term` clauses makes Whoosh build a binary tree of union matchers and
call `is_active`, `id`, `score`, `max_quality` and `replace` through that tree for every document;
at 10,000 reports that is ~60% of a search (cProfile, bench/search_speed.py) for only a few thousand
postings. Here each clause's posting blocks are read whole (arrays of document numbers and weights)
and its BM25 is summed into one dict: the same arithmetic, a fraction of the calls.

Same results: the same index, document numbers and formula as `whoosh.scoring.BM25F` (idf over
`doc_count_all`, the field's average length, the field length decoded from the same stored byte,
the clause boost applied last), and ties broken by the lower document number as Whoosh's
`TopCollector` does. Only the order of summing differs (clause order, not Whoosh's tree order):
differences near 1e-16, below the 4 decimals results are rounded to.
"""

from __future__ import annotations

import heapq
from array import array
from itertools import repeat
from math import log
from operator import add, mul

from kb.search.segments import BYTE_TO_LENGTH as _LENGTH, IndexFiles, TermInfo

B, K1 = 0.75, 1.2  # BM25F's free parameters (the index's weighting: bench/search_quality.py)
SCORED_BUDGET = 300_000  # scored postings kept across queries (12 bytes each: ~4 MB)


def _best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The `limit` highest scores, ties to the lower document number: heapq.nsmallest by (-score, docnum),
    without a key call per document (the limit-th highest score found first, only those at or above it sorted)."""
    if len(scores) > limit:
        floor = heapq.nlargest(limit, scores.values())[-1]
        scores = {docnum: score for docnum, score in scores.items() if score >= floor}
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]


class Scorer:
    """BM25F over one open index (kb/search/segments.py); keeps what is the same for every query
    (segments, their deletions, average field lengths, the field-length columns). Make a new one
    when the index is reopened (an ingest changes all of these)."""

    def __init__(self, files: IndexFiles) -> None:
        self.files = files
        self.doc_count = files.doc_count_all
        self._segments = list(zip(files.segments, files.offsets))
        self._avgfl: dict[str, float] = {}
        self._lengthening: dict[str, tuple[list[float], float]] = {}  # field -> _length_terms
        self._infos: dict[tuple[str, str], list[TermInfo | None]] = {}  # (field, term) -> its term info in each segment
        self._scored: dict[tuple[str, str], tuple[array, array]] = {}  # (field, term) -> its scored postings
        self._scored_size = 0

    def doc_frequencies(self, pairs) -> dict[tuple[str, str], int]:
        """Each (field, term)'s document frequency over the whole index, counting deleted documents
        as Whoosh does. The term infos looked up for it are kept: its postings are read from them
        without a second lookup, and the next paste with the same words skips the lookup."""
        return {pair: sum(info.doc_frequency for info in self._term_infos(pair) if info is not None)
                for pair in pairs}

    def _term_infos(self, pair: tuple[str, str]) -> list[TermInfo | None]:
        infos = self._infos.get(pair)
        if infos is None:
            if len(self._infos) >= 50_000:
                self._infos.clear()  # a bound on memory; the next queries refill it
            field, term = pair
            infos = self._infos[pair] = [segment.term_info(field, term) for segment, _ in self._segments]
        return infos

    def top(self, clauses: list[tuple[str, str, float]], limit: int) -> list[tuple[int, float]]:
        """The `limit` best (document number, score) for an Or of the (field, term, boost) clauses, best
        first, as `searcher.search(Or([Term(field, term, boost=boost), ...]), limit)` ranks them."""
        scores: dict[int, float] = {}
        for field, term, boost in clauses:
            docnums, partial = self._scored_postings(field, term)
            boosted = map(mul, partial, repeat(boost))
            if not scores:  # the first clause: 0.0 + its score is its score (no document twice in a clause)
                scores = dict(zip(docnums, boosted))
                continue
            # scores[docnum] = scores.get(docnum, 0.0) + score * boost for each posting, looped in C: a paste
            # of common words sums hundreds of thousands (each document once per clause, so each get comes
            # before its own set)
            scores.update(zip(docnums, map(add, map(scores.get, docnums, repeat(0.0)), boosted)))
        return _best(scores, limit)

    def _scored_postings(self, field: str, term: str) -> tuple[array, array]:
        """(document numbers, BM25 before the query's boost) of one (field, term) over all segments,
        deleted documents left out; kept for the next paste with the same word, up to a budget."""
        key = (field, term)
        kept = self._scored.get(key)
        if kept is not None:
            return kept
        infos = self._term_infos(key)
        idf = log(self.doc_count / (sum(info.doc_frequency for info in infos if info is not None) + 1)) + 1
        k1_plus_1 = K1 + 1
        lengthening, past_end = self._length_terms(field)
        docnums, partial = array("l"), array("d")
        for (segment, offset), info in zip(self._segments, infos):
            if info is None:
                continue
            deleted = segment.deleted
            lengths = segment.length_column(field)
            count = len(lengths)
            for ids, weights in segment.postings(info):
                if deleted is None and (not ids or ids[-1] < count):  # the common case, in one pass each
                    docnums.extend([offset + docnum for docnum in ids] if offset else ids)
                    # whoosh.scoring.bm25 term for term, so the floats are the same (the boost comes last)
                    partial.extend([idf * ((tf * k1_plus_1) / (tf + lengthening[lengths[docnum]]))
                                    for docnum, tf in zip(ids, weights)])
                    continue
                for docnum, tf in zip(ids, weights):
                    if deleted is not None and docnum in deleted:
                        continue
                    docnums.append(offset + docnum)
                    partial.append(idf * ((tf * k1_plus_1) / (tf + (lengthening[lengths[docnum]] if docnum < count
                                                                     else past_end))))
        if self._scored_size + len(docnums) > SCORED_BUDGET:
            self._scored.clear()
            self._scored_size = 0
        self._scored[key] = (docnums, partial)
        self._scored_size += len(docnums)
        return docnums, partial

    def _length_terms(self, field: str) -> tuple[list[float], float]:
        """BM25's length term `K1 * (1 - B + B * fl / avgfl)` for each of the 256 stored length bytes, and
        for a document past the field's length column (fl = 1): the same expression per posting, made once."""
        terms = self._lengthening.get(field)
        if terms is None:
            avgfl, norm_fixed = self._avg_field_length(field), 1 - B
            terms = self._lengthening[field] = ([K1 * (norm_fixed + B * fl / avgfl) for fl in _LENGTH],
                                                K1 * (norm_fixed + B * 1 / avgfl))
        return terms

    def _avg_field_length(self, field: str) -> float:
        if field not in self._avgfl:
            self._avgfl[field] = self.files.avg_field_length(field) or 1
        return self._avgfl[field]
