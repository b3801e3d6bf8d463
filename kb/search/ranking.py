"""Search the KB with a pasted error: one line or a whole log, always as plain text.

1. Cut the paste to 1 MB; pick its salient lines (exception lines, the last
   traceback line, error/failed/fatal lines) with weights.
2. Turn them into weighted terms with the index's own analyzer (never a query
   parser, so `: ( ) * " AND NOT` are just text), plus glossary words of the
   other language at a lower weight.
3. BM25F over the weighted fields (kb/search/bm25.py: Whoosh's own ranking, read straight
   from its posting blocks), then re-rank the top candidates by how
   similar their masked message is to the masked paste (rapidfuzz), with a
   bonus for an identical fingerprint.
4. One result per error fingerprint, with how many reports have seen it.
"""

from __future__ import annotations

import json
import math
import re
import threading
from functools import lru_cache
from pathlib import Path
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz

from kb.search import glossary, lookalike, phrases
from kb.search.identity import names
from kb.search.ports import conflict, ports_in, service_words
from kb.search.analysis import RUN_RE as _RUN_RE, iter_terms, term_set
from kb.search.bm25 import Scorer
from kb.search.candidate_text import lead, message_signature, passage_signature
from kb.search.index_state import FIELD_BOOSTS, PASSAGE_FIELDS, ensure_current, forget_index
from kb.search.segments import IndexFiles, IndexUnreadable
from kb.store.knowledge_base import KnowledgeBase
from kb.parse.normalize import _FRAME_RE as _FRAME_LINE_RE, cut, fingerprint, mask, salient_lines, signature, strip_prefix
from kb.parse.structured_logs import readable
from kb.parse.textsim import CJK_RUN
from kb.parse.lazy_re import lazy

MAX_TERMS = 12
COMMON = 0.2  # a term in over 20% of the documents is noise unless little else is left
FIELD_COMMON = 0.1  # ... and in one field, over 10% of documents
PASSAGE_TERMS = 12  # how many of the paste's rarest terms are looked up in passages
CLAUSE_FLOOR = 200  # in a small KB every known word is worth its clause
BODY_COMMON = 0.01  # passage text is long and plentiful: only its rare words are worth walking (bench/search_speed.py)
CANDIDATES = 25
# Confidence: the share of the paste's telling words a result holds (its coverage), times how clearly it
# stands above the best answer from another report (its margin). Below WEAK_CONFIDENCE a result is shown
# as a possible match. The value is calibrated on `bench/search_quality.py --one-kb`, which prints the
# sweep: of the thresholds 0.20..0.70 it is the one with the fewest confident wrong first answers
# (unknown errors included) counted three times against a right first answer shown only as possible,
# averaged with the thresholds either side (the middle of a plateau, not a dip one query makes). Re-run the bench after a change to ranking or to what ingest extracts, and set it to what it picks.
WEAK_CONFIDENCE = 0.375
EVIDENCE_PRIOR = 1.0  # concepts of average rarity a paste is measured against beyond its own (Coverage.evidence)
CLEAR_MARGIN = 0.7  # another report's best at under 70% of a result's score: the result stands clear
MARGIN_FLOOR = 0.3  # ... at 100% (a tie) its confidence is this share of its coverage
TIE = 0.9  # another report within 90% of the first answer's score: both are shown as answering about equally
MIN_CONFIDENCE = 0.16  # share of the paste's rarity-weighted words a result must contain (bench/search_quality.py)
RELATIVE_FLOOR = 0.3  # results scoring under 30% of the best are noise, not alternatives
LONE_CONFIDENCE = 0.08  # the top hit is kept as a possible match down to this share, when nothing else is left
MAX_PASSAGES = 5
FOUND_PASSAGES = 3  # passages of a card's report that the search found beside it, shown with it
ANSWER_WEIGHT = 0.3  # a paste word found only in the cause, fix or linked passages: they talk about the error
PORT_CONFLICT = 0.7  # same template, another service's port (kb/search/ports.py): a weaker match
LOOKALIKE = 0.7  # same template, another name that its fix is about (kb/search/lookalike.py): a weaker match
_PLACEHOLDER_RE = lazy(r"<(?:ts|date|time|uuid|cred|host|ip|hex|n)>")


@dataclass
class Result:
    """One answer: an error card (or a passage of a report) with its fix, score and confidence."""

    id: int
    ref: str
    title: str
    message: str
    root_cause: str
    fix: str
    commits: list[dict]
    report: dict
    score: float
    seen_in: int = 1
    matched: list[str] = field(default_factory=list)
    fingerprint: str = ""
    before: str = ""
    after: str = ""
    log: str = ""
    confidence: float = 0.0  # how sure the answer is (coverage times margin, 0..1): what CLI, TUI and JSON show
    passages: list[dict] = field(default_factory=list)  # linked fix passages {"heading", "line", "text"}, best first
    kind: str = "error"  # "error" (an extracted error card), "passage" (part of a report), "commit"
    coverage: float = 0.0  # share of the paste's rarity-weighted words this result holds
    tied: bool = False  # it and another report's answer answer about equally (TIE)

    @property
    def weak(self) -> bool:
        """A possible match rather than the known fix: below the calibrated confidence."""
        return self.confidence < WEAK_CONFIDENCE

    exact: bool = False  # same fingerprint as a line of the paste

    def to_dict(self) -> dict:
        return {**asdict(self), "weak": self.weak}


class Hit(dict):
    """A candidate document: its stored fields, and its BM25F score as `score`."""

    def __init__(self, fields: dict, score: float) -> None:
        super().__init__(fields)
        self.score = score


@dataclass
class SearchOutcome:
    """The answers to one paste, whether it was cut to 1 MB, and the terms it was searched by."""

    results: list[Result]
    truncated: bool = False  # the paste was cut at 1 MB
    terms: list[str] = field(default_factory=list)


class Searcher:
    """Holds the index open across queries (the TUI searches as you type), and with it what is the
    same for every query: term infos and document frequencies, field lengths (kb/search/bm25.py).
    `refresh()` after an ingest drops them with the old index. (Candidates' masked messages are
    remembered by their text, so they never go stale.)"""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.glossary = glossary.for_kb(kb.root)  # the bundled words and the team's glossary.toml
        self._files = self._open()
        self._passages: int | None = None
        self._scorer: Scorer | None = None  # per open index: made on the first query, dropped on refresh
        self._lock = threading.Lock()  # the TUI searches from worker threads

    def close(self) -> None:
        self._files.close()

    def refresh(self) -> None:
        """Catch up with ingests since the index was opened: the index as it is now (an ingest may
        have rebuilt it from scratch), and new per-index caches with it."""
        with self._lock:
            stale = self._files
            self.glossary = glossary.for_kb(self.kb.root)
            self._files = self._open()
            stale.close()
            self._passages = None
            self._scorer = None

    def _open(self) -> IndexFiles:
        """The current index, read without Whoosh (kb/search/segments.py). The index is derived data:
        one whose segment file is gone (deleted by hand, a half-copied KB) or cannot be read is
        rebuilt from SQLite, not reported as a failure."""
        ensure_current(self.kb)
        try:
            return IndexFiles(self.kb.index_dir)
        except (FileNotFoundError, IndexUnreadable):
            forget_index(self.kb)
            ensure_current(self.kb)
            return IndexFiles(self.kb.index_dir)

    def search(self, paste: str, k: int = 5) -> SearchOutcome:
        with self._lock:
            try:
                return self._search(paste, k)
            except IndexUnreadable:  # a segment damaged on disk: derived data, so rebuilt and asked again
                stale = self._files
                forget_index(self.kb)
                self._files = self._open()
                stale.close()
                self._passages = None
                self._scorer = None
                return self._search(paste, k)

    def _search(self, paste: str, k: int) -> SearchOutcome:
        text, truncated = cut(paste or "")
        weighted, concepts = read_query(text, self.glossary)
        if not weighted:
            return SearchOutcome(results=[], truncated=truncated)
        by_field = self._doc_frequencies(weighted)
        frequencies = {term: max(by_field[name, term] for name in FIELD_BOOSTS)
                       for term in weighted}  # looked up once, used for selection, clauses and confidence
        ranked = self._select_terms(weighted, frequencies)
        if not ranked:
            return SearchOutcome(results=[], truncated=truncated)
        hits = self._hits(self._clauses(ranked, by_field))
        if not hits:
            return SearchOutcome(results=[], truncated=truncated, terms=[t for t, _ in ranked])
        rarity = self._rarity(weighted, frequencies)
        measure = Coverage(concepts, {term: value / weighted[term] for term, value in rarity.items()},
                           {term for term, frequency in frequencies.items() if not frequency})
        top = hits[0].score or 1.0
        lines = _telling_lines(text)  # read_query read them too: the same list
        query_signature = " ".join(signature(line) for line, _ in lines[:3])
        query_print = {fingerprint(line) for line, _ in lines}
        query_ports = ports_in("\n".join(line for line, _ in lines))
        line_tokens = [lookalike.tokens(line) for line, _ in lines[:3]]
        wanted = set(rarity)
        rows = self._rows([int(hit["error"]) for hit in hits if hit.get("error")])
        commit_rows = self._commit_rows([hit["commit"] for hit in hits if hit.get("commit")])
        found_ids = [int(hit["passage"]) for hit in hits if hit.get("passage")]
        linked = self._passage_rows(list(dict.fromkeys(found_ids + [pid for row in rows.values()
                                                                    for pid in row["passage_ids"]])))
        passage_rows = {pid: linked[pid] for pid in found_ids if pid in linked}  # the passages found, beside linked ones
        results: list[Result] = []
        carded: dict[int, Result] = {}  # passage id -> the card that links it
        seen_in: dict[str, int] = {}  # fingerprint -> how many reports hold it
        for hit in hits:
            if hit.get("passage"):
                row = passage_rows.get(int(hit["passage"]))
            elif hit.get("commit"):
                row = commit_rows.get(hit["commit"])
            else:
                row = rows.get(int(hit["error"]))
            if row is None:
                continue
            is_passage = bool(hit.get("passage"))
            if is_passage:
                core = row["heading"].rsplit(" / ", 1)[-1] + "\n" + row["text"]
                answer = ""
            else:
                core = " ".join(row.get(name) or "" for name in ("message", "title", "log"))
                answer = " ".join([row.get("symptom") or "", row.get("root_cause") or "", row.get("fix") or "",
                                   *(linked[pid]["text"] for pid in row.get("passage_ids", []) if pid in linked)])
            # which query words this candidate contains (Whoosh's own matched-terms tracking disables its
            # block skipping, so it is computed here on the few candidates instead)
            in_core = _held(wanted, core)
            in_answer = _held(wanted - in_core, answer) if answer else set()
            matched = sorted(in_core | in_answer)
            other_service = another = exact = False
            signed = hit.get("signature")  # a card's, stored by the index (kb/search/candidate_text.py)
            if not is_passage:
                theirs, ours = lookalike.other_name(line_tokens, row["message"] or "", signed)
                another = bool(theirs) and lookalike.names_its_own(theirs, (row.get("fix") or "") + "\n"
                                                                   + (row.get("root_cause") or ""), ours)
            coverage = measure.share(in_core, in_answer, _has_cjk(core) or _has_cjk(answer))
            if is_passage:
                similarity = _passage_similarity(query_signature, row["text"])
            else:
                similarity = _similarity(query_signature, row, signed)
                other_service = bool(query_ports) and conflict(query_ports, ports_in(row["message"] or ""))
                exact = (row["fingerprint"] in query_print and not other_service and not another
                         and not measure.lacks_a_place(in_core | in_answer))
            if another:
                coverage *= LOOKALIKE  # the paste's template, another thing's fix: a possible match at most
            score = _score(hit.score / top, similarity, coverage, exact)
            if other_service:
                score *= PORT_CONFLICT
            if another:
                score *= LOOKALIKE
            result = _passage_result(row, score, matched) if is_passage else _result(row, score, matched)
            if not is_passage and result.fingerprint and hit.get("seen_in"):
                seen_in[result.fingerprint] = hit["seen_in"]
            result.coverage, result.exact = round(coverage, 3), exact
            result.discount = (PORT_CONFLICT if other_service else 1.0) * (LOOKALIKE if another else 1.0)  # type: ignore[attr-defined]
            result.coverage_discount = LOOKALIKE if another else 1.0  # type: ignore[attr-defined]
            if not is_passage:
                result.passages = [_public(linked[pid]) for pid in row.get("passage_ids", []) if pid in linked]
                for pid in row.get("passage_ids", []):
                    carded.setdefault(pid, result)
            results.append(result)
        _card_the_causes(results, carded, rarity)
        results = _fold_passages(results, carded)
        results.sort(key=lambda r: -r.score)
        kept = [r for r in results if r.coverage >= MIN_CONFIDENCE]
        if not kept and results and results[0].coverage >= LONE_CONFIDENCE:
            kept = results[:1]  # a lone clear top hit is offered as a possible match, never dropped
        results = kept
        if results:
            floor = RELATIVE_FLOOR * results[0].score
            results = [r for r in results if r.score >= floor]
        unique = _one_per_fingerprint(results)[:k]
        for result in unique:
            if result.kind == "passage":
                result.message = lead(result.passage_row["text"])  # type: ignore[attr-defined]
        _calibrate(unique, measure.evidence())
        self._seen_in([r for r in unique if r.kind == "error"], seen_in)
        self._link_passage_results([r for r in unique if r.kind == "passage"], query_signature)
        return SearchOutcome(results=unique, truncated=truncated, terms=[t for t, _ in ranked])

    def _passage_rows(self, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {row["id"]: row for row in self.kb.store.rows(
            f"""select p.id, p.report_id, p.position, p.heading, p.line, p.text, p.role, p.whole,
                       r.path as report_path, r.title as report_title
                from passages p join reports r on r.id = p.report_id where p.id in ({marks})""", ids)}

    def _link_passage_results(self, results: list[Result], query_signature: str) -> None:
        """A passage that answers a paste brings the passages that fix what it quotes, linked along
        its report's structure the same way ingest links an extracted error."""
        if not results:
            return
        from kb.parse.linking import Anchor, link  # only a passage answer needs the linker (start-up: `runbook search`)
        from kb.parse.passage_model import Passage

        for result in results:
            anchor_row = result.passage_row
            siblings = self.kb.store.rows(
                "select id, heading, line, text, role, whole from passages where report_id = ? order by position",
                [anchor_row["report_id"]])
            passages = [Passage(heading=r["heading"], line=r["line"], text=r["text"], role=r["role"], whole=bool(r["whole"]))
                        for r in siblings]
            anchor = Anchor(heading=anchor_row["heading"], line=anchor_row["line"],
                            text=anchor_row["heading"] + "\n" + anchor_row["text"][:3000] + "\n" + query_signature)
            chosen = [siblings[i] for i in link(anchor, passages)]
            if not any(r["role"] == "fix" for r in chosen):  # the linker found no fix: one the search found too
                chosen += [r for r in getattr(result, "found_with", []) if r["role"] == "fix"][:1]
            own = next((r for r in siblings if r["id"] == anchor_row["id"]), None)
            ordered = ([own] if own else []) + [r for r in chosen if own is None or r["id"] != own["id"]]
            result.passages = [_public(r) for r in ordered[:MAX_PASSAGES]]
            fixes = [r["text"] for r in chosen if r["role"] == "fix" and (own is None or r["id"] != own["id"])]
            result.fix = fixes[0] if fixes else result.fix

    def _rarity(self, weighted: dict[str, float], frequencies: dict[str, int]) -> dict[str, float]:
        """Each query word's weight times its rarity (idf). An ASCII word the index has never seen
        counts as the rarest (a pasted identifier the KB does not know counts against every match);
        an unknown Chinese bigram is only phrasing (the glossary carries its meaning): left out.
        (Counting unknown words as rarer still cost paraphrase recall more than it saved: measured.)"""
        total = max(self._files.doc_count(), 1)
        out = {}
        for term, weight in weighted.items():
            frequency = frequencies[term]
            if frequency == 0 and "\u3400" <= term[0] <= "\ufaff":
                continue
            out[term] = weight * math.log(1 + total / (frequency or 1))
        return out

    def _doc_frequencies(self, terms) -> dict[tuple[str, str], int]:
        """Each term's document frequency in every field (kept by the scorer for this open index)."""
        return self._bm25().doc_frequencies([(name, term) for term in terms for name in FIELD_BOOSTS])

    def _bm25(self) -> Scorer:
        if self._scorer is None:
            self._scorer = Scorer(self._files)
        return self._scorer

    def _hits(self, clauses: list[tuple[str, str, float]]) -> list[Hit]:
        """The CANDIDATES best documents by BM25F (kb/search/bm25.py: Whoosh's ranking, computed faster)."""
        stored = self._files.stored_fields
        return [Hit(stored(docnum), score) for docnum, score in self._bm25().top(clauses, CANDIDATES)]

    def _clauses(self, ranked: list[tuple[str, float]],
                 by_field: dict[tuple[str, str], int]) -> list[tuple[str, str, float]]:
        """One clause per (field, term), leaving out fields where the term is everywhere: such a
        clause walks a long posting list for almost no score (the field's BM25 idf is near zero)."""
        passages = self._passage_count()
        cards = max(self._files.doc_count() - passages, 1)
        clauses = []
        for rank, (term, weight) in enumerate(ranked):
            for name in FIELD_BOOSTS:
                if name in PASSAGE_FIELDS and rank >= PASSAGE_TERMS:
                    continue  # passages are the fallback: their rarest words find them
                frequency = by_field[name, term]
                limit = BODY_COMMON * passages if name in PASSAGE_FIELDS else FIELD_COMMON * cards
                if frequency and frequency <= max(limit, CLAUSE_FLOOR):
                    clauses.append((name, term, weight))
        if not clauses:
            clauses = [(name, term, weight) for term, weight in ranked for name in FIELD_BOOSTS]
        return clauses

    def _passage_count(self) -> int:
        """How many documents are passages (their fields are measured against their own number)."""
        if self._passages is None:
            self._passages = self._files.doc_frequency("kind", "passage")
        return self._passages

    def _select_terms(self, weighted: dict[str, float], frequencies: dict[str, int]) -> list[tuple[str, float]]:
        """The most telling terms: known to the index, rare before common, at most MAX_TERMS.

        Terms the index has never seen (a Chinese phrasing of an English error) are dropped, and
        very common terms only stay when little else is left: they cost the most and say the least.
        """
        total = max(self._files.doc_count(), 1)
        scored = []
        for term, weight in weighted.items():
            frequency = frequencies[term]
            if frequency:
                scored.append((weight * math.log(1 + total / frequency), frequency, term, weight))
        scored.sort(key=lambda item: -item[0])
        chosen = [(term, weight) for _, frequency, term, weight in scored if frequency <= COMMON * total]
        if len(chosen) < 3:
            chosen = [(term, weight) for _, _, term, weight in scored]
        return _keep_word_places(chosen, MAX_TERMS)

    def _rows(self, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.kb.store.rows(
            f"""select e.id, e.title, e.message, e.root_cause, e.fix, e.before, e.after, e.log, e.fingerprint,
                       e.symptom, e.passages, r.path as report_path, r.title as report_title
                from errors e join reports r on r.id = e.report_id where e.id in ({marks})""", ids)
        commits = self.kb.store.rows(
            f"""select ec.error_id, c.sha, c.message from error_commits ec join commits c on c.id = ec.commit_id
                where ec.error_id in ({marks}) order by c.id""", ids)
        by_id = {row["id"]: {**row, "commits": [], "passage_ids": json.loads(row["passages"] or "[]")} for row in rows}
        for commit in commits:
            by_id[commit["error_id"]]["commits"].append({"sha": commit["sha"], "message": commit["message"]})
        return by_id

    def _commit_rows(self, shas: list[str]) -> dict[str, dict]:
        """Fix commits found by the search, shaped like error rows."""
        if not shas:
            return {}
        marks = ",".join("?" * len(shas))
        out = {}
        for row in self.kb.store.rows(f"select * from repo_commits where sha in ({marks})", shas):
            files = ", ".join(json.loads(row["files"] or "[]")[:8])
            out[row["sha"]] = {
                "id": 0, "title": row["subject"], "message": row["subject"], "root_cause": row["body"] or "",
                "fix": f"Commit {row['sha'][:10]} by {row['author']} ({row['date'][:10]}): {row['subject']}"
                       + (f"\n\nFiles: {files}" if files else ""),
                "before": "", "after": "", "log": "", "fingerprint": f"commit:{row['sha']}",
                "report_path": row["repo"], "report_title": f"git history of {Path(row['repo']).name}",
                "commits": [{"sha": row["sha"], "message": row["subject"]}], "ref_override": f"commit:{row['sha'][:10]}",
                "kind": "commit",
            }
        return out

    @staticmethod
    def _seen_in(results: list[Result], reports: dict[str, int]) -> None:
        """How many reports have seen each error: its index document (one per fingerprint) lists them."""
        for result in results:
            result.seen_in = max(1, reports.get(result.fingerprint, 1))


WORD_PLACES = 4  # of MAX_TERMS, kept for words (Latin script) when Chinese bigrams compete for them
NAME_WEIGHT = 2.0  # a name in the paste (module, table, host, path: kb/search/identity.py) against a template word
GLOSSARY_WEIGHT = 0.6  # a glossary word of the other language, against 1.0 to 3.0 for the paste's own terms
TRANSLATION_PLACES = 3  # beyond MAX_TERMS, for the glossary's English words of a Chinese description


def _keep_word_places(chosen: list[tuple[str, float]], limit: int) -> list[tuple[str, float]]:
    """The first `limit` terms, rarest first, but words keep WORD_PLACES of them; and the glossary's
    English words of a Chinese description left out by those get TRANSLATION_PLACES more.

    A Chinese description is searched as character bigrams, and most of its bigrams are phrasing
    that straddles two words (每次, 一直, 用了): rare by accident, so rarer than any word the
    description shares with a report (nginx, 502, an identifier) or that the glossary translates it
    to (registry, read-only). Ranked by rarity alone they take every place and an English report is
    never a candidate. Words are words, so they keep a few places (measured: 3 to 6 do the same).
    The glossary's words weigh least, so the description's own words (Helm, terraform) take those
    places too and what it says (状态锁: state lock) was never looked up; given places of their own
    beside the bigrams, not instead of them (Chinese reports are found by those), they are
    (bench/search_quality.py: paraphrase recall up, no figure down; 2 to 6 places measured the same)."""
    words = [item for item in chosen if not _is_cjk(item[0])][:WORD_PLACES]
    rest = [item for item in chosen if item not in words][:max(0, limit - len(words))]
    kept = set(words) | set(rest)
    translations = [item for item in chosen
                    if item[1] == GLOSSARY_WEIGHT and item not in kept and not _is_cjk(item[0])]
    kept.update(translations[:TRANSLATION_PLACES])
    return [item for item in chosen if item in kept]


def _part_held(terms: dict[str, float], total: float, held: set[str]) -> float:
    """How much of a concept a text holds: the square of its share of the terms' rarity, so all of it
    when it holds every term, and `java` and `lang` of `java.lang.NullPointerException` are a little
    of it, not nearly half."""
    return (sum(value for term, value in terms.items() if term in held) / total) ** 2


class Coverage:
    """How much of what a paste says a candidate holds: the share of its concepts, each weighted by its
    rarest known term (idf), that the candidate's text holds; a concept held only in its symptom, cause,
    fix or linked passages counts ANSWER_WEIGHT of it (they talk about the error).

    What a candidate is measured against depends on what it could hold. A candidate written without
    Chinese cannot hold the Chinese words of a description: it is measured against the description's
    other words and the glossary's English for the Chinese ones. Any other candidate is measured against
    the paste's own words, and the glossary's words of the other language can only add to that (an
    English paste is not held against a Chinese write-up for the Chinese words it translates to)."""

    def __init__(self, concepts: list[Concept], idf: dict[str, float], unknown: set[str]) -> None:
        self.concepts = []
        for concept in concepts:
            terms = {t: concept.weight * idf[t] for t in concept.terms if t in idf
                     and not (concept.where and t in unknown)}
            if terms:
                self.concepts.append((concept, max(terms.values()), terms, frozenset(terms), sum(terms.values())))
        self.chinese_paste = any(c.cjk and not c.translated for c, *_ in self.concepts)
        rarities = [rarity for concept, rarity, *_ in self.concepts if not concept.translated] or [
            rarity for _, rarity, *_ in self.concepts]  # a description in words the KB lacks: its translations
        self.own = sum(rarities)
        self.prior = EVIDENCE_PRIOR * (self.own / len(rarities) if rarities else 0.0)

    def share(self, in_core: set[str], in_answer: set[str], candidate_cjk: bool) -> float:
        own = held = translated = translated_held = 0.0
        anywhere = in_core | in_answer
        for concept, rarity, terms, names, total in self.concepts:
            if concept.cjk and not candidate_cjk:
                continue  # a Chinese word (or translation) a candidate without Chinese cannot hold
            part = 0.0
            if not names.isdisjoint(anywhere):  # (most concepts are held by few candidates: checked first)
                part = _part_held(terms, total, in_core) if not names.isdisjoint(in_core) else 0.0
                if part < 1.0 and not names.isdisjoint(in_answer):
                    part = max(part, ANSWER_WEIGHT * _part_held(terms, total, anywhere))
            if concept.translated:
                translated, translated_held = translated + rarity, translated_held + rarity * part
            else:
                own, held = own + rarity, held + rarity * part
        if self.chinese_paste and not candidate_cjk:
            return min(1.0, (held + translated_held) / ((own + translated) or 1.0))
        alone = held / own if own else 0.0
        return min(1.0, max(alone, (held + translated_held) / ((own + translated) or 1.0)))

    def lacks_a_place(self, held: set[str]) -> bool:
        """Whether a candidate misses a host, service or path of the paste that the KB knows: the paste's
        template from another machine, so not the paste's own error however identical its masked line."""
        return any(concept.where and names.isdisjoint(held) for concept, _, _, names, _ in self.concepts)

    def evidence(self) -> float:
        """How much a paste says: a share of two words is weaker evidence than the same share of
        twenty. The share it could reach with one more concept of average rarity that no candidate
        holds (a prior of EVIDENCE_PRIOR concepts): 0.5 for one word, 0.9 for nine."""
        return self.own / (self.own + self.prior) if self.own else 0.0


CHAIN_TAIL = 2.0  # the innermost cause of a wrapped error (`a: b: request is too large`) against the rest of the line
KIND_HEAD = 0.5  # the kind a line says it is before its message (`panic:`, `fatal:`): every such error's template
_KIND_HEAD_RE = lazy(r"(?i)^\W*(panic|fatal|error|err|critical|crit|warning|warn|exception)\s*:")


def _chain_tail(body: str) -> set[str]:
    """The runs of a wrapped error's innermost cause: `a: b: c: request is too large` says what was being
    done first and what went wrong last."""
    segments = [segment for segment in body.split(": ") if segment.strip()]
    if len(segments) < 3:
        return set()
    tail = set(_RUN_RE.findall(segments[-1]))
    if phrases.is_system_error(segments[-1]):  # `./build.sh: No such file or directory`:
        tail.update(run for run in _RUN_RE.findall(segments[-2]) if "/" in run or "." in run)  # the file it names
    return tail


def query_terms(text: str, words: glossary.Glossary = glossary.BUNDLED) -> dict[str, float]:
    """Weighted terms of a paste: salient lines weigh most; glossary words of the other language least."""
    return read_query(text, words)[0]


@dataclass(frozen=True)
class Concept:
    """One thing a paste says, and the terms that say it: a run (an identifier whole and its parts,
    `psycopg2.OperationalError`: a candidate holding any of them holds some of it, the rarest the most),
    a Chinese bigram, or a glossary word of the other language (`translated`)."""
    terms: tuple[str, ...]
    weight: float
    translated: bool = False
    cjk: bool = False
    where: bool = False  # a host, service or path: counts only where the KB knows it (kb/search/identity.py)


def read_query(text: str, words: glossary.Glossary = glossary.BUNDLED) -> tuple[dict[str, float], list[Concept]]:
    """The paste's weighted terms (for BM25F) and its concepts (for confidence), in one pass.

    Terms count once per concept in confidence: an exception class split into six terms
    (`sqlalchemy.exc.operationalerror`, `operationalerror`, `operational`, ...) is one thing the paste
    says, not six, so a shared template no longer outweighs the one rare word that tells look-alike
    errors apart (bench/search_quality.py --one-kb)."""
    weights: dict[str, float] = {}
    concepts: dict[tuple[str, ...], Concept] = {}

    def add(terms: tuple[str, ...], weight: float, translated: bool, where: bool = False) -> None:
        if not terms:
            return
        known = concepts.get(terms)
        if known is None or known.weight < weight:
            concepts[terms] = Concept(terms, weight, translated and (known is None or known.translated),
                                      _is_cjk(terms[0]), where and (known is None or known.where))

    for line, weight in _telling_lines(text):
        body = _PLACEHOLDER_RE.sub(" ", strip_prefix(mask_for_query(line)))
        tail = _chain_tail(body)
        fixed = phrases.spans(body)  # `No such file or directory`: one thing said, not three words
        kind = _KIND_HEAD_RE.match(body)  # `panic: assignment to entry in nil map`: the message tells, not `panic`
        kind_at = kind.start(1) if kind else -1
        said: list[list] = [[(), 0.0] for _ in fixed]  # per fixed text: its terms, its weight
        for match in _RUN_RE.finditer(body):
            run = match.group(0)
            terms = tuple(dict.fromkeys(term for term, _, _ in iter_terms(run)))
            for term in terms:
                weights[term] = max(weights.get(term, 0.0), weight)
            if terms and _is_cjk(terms[0]):
                for term in terms:
                    add((term,), weight, False)
                continue
            within = next((i for i, (start, end) in enumerate(fixed) if start <= match.start() < end), None)
            run_weight = weight * (CHAIN_TAIL if run in tail else KIND_HEAD if match.start() == kind_at else 1.0)
            if within is None:
                add(terms, run_weight, False)
            else:
                said[within] = [said[within][0] + terms, max(said[within][1], run_weight)]
        for terms, phrase_weight in said:
            add(tuple(dict.fromkeys(terms)), phrase_weight, False)
        for name, where in names(line):
            terms = tuple(dict.fromkeys(term for term, _, _ in iter_terms(name)))
            for term in terms:
                weights[term] = max(weights.get(term, 0.0), weight * NAME_WEIGHT)
            add(terms, weight * NAME_WEIGHT, False, where)
        for term, _, _ in iter_terms(words.expand(body) + " " + service_words(ports_in(line))):
            if term not in weights:
                weights[term] = GLOSSARY_WEIGHT
                add((term,), GLOSSARY_WEIGHT, True)
    own_terms = {term for concept in concepts.values() if not concept.translated for term in concept.terms}
    kept = [c for c in concepts.values() if not (c.translated and c.terms[0] in own_terms)]
    return weights, kept


_WRAPPER_RE = lazy(  # a line that only says something ended badly: an exit code, a build that failed
    r"(?i)^\W*(?:error\W*)?(?:.*\bexit(?:ed)?\s+(?:with\s+)?(?:code\s+|status\s+)?(?:\d+|<n>)|"
    r"(?:the\s+)?(?:build|deploy(?:ment)?|job|step|command|task|pipeline|workflow)\s+failed)\W*$")
WRAPPED_LINES = 3  # lines before a wrapper-only error that are read as what went wrong


def telling_lines(text: str) -> list[tuple[str, float]]:
    """The paste's salient lines; when every one only says that something ended badly (`Command "npm run
    build" exited with 1`, `Process completed with exit code 1`, `Build failed`), what the command printed
    before it is what went wrong: its last WRAPPED_LINES lines join them at the weight of a plain log line."""
    lines = salient_lines(text)
    if not lines or not all(_WRAPPER_RE.match(strip_prefix(mask(line))) for line, _ in lines):
        return lines
    every = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((i for i, line in enumerate(every) if lines[0][0] in (line, readable(line))), len(every))
    before = [line for line in every[:first] if not _FRAME_LINE_RE.match(line)][-WRAPPED_LINES:]
    return [(readable(line), 1.0) for line in before] + lines


# a search reads the paste's telling lines twice (its terms, then its signature and ports): found once.
# The list is shared, so neither reader changes it.
_telling_lines = lru_cache(maxsize=2)(telling_lines)


_SMALL_NUMBER_RE = lazy(r"(?<![\w.:/])(\d{3})(?![\w.]|:\d)")
_VERSION_RE = lazy(r"(?<![\w.])v?(\d+\.\d+\.\d+)(?![\w.]*\d)")  # a release: 18.12.1, v2.4.0
_PORT_RE = lazy(r"(?<=[:(,'\"= ])(\d{4,5})(?=[)'\",/ ]|$)")


def mask_for_query(line: str) -> str:
    """Mask like the fingerprint does, but keep identities as words: 3-digit codes (HTTP 502,
    errno 111) and ports (:5432, port 8000)."""
    protected = _VERSION_RE.sub(lambda m: "zz" + m.group(1).replace(".", "zdotz") + "zz", line)
    protected = _SMALL_NUMBER_RE.sub(lambda m: f"zz{m.group(1)}zz", protected)
    protected = _PORT_RE.sub(lambda m: f"zz{m.group(1)}zz", protected)
    return re.sub(r"zz(\d{3,5}|\d+(?:zdotz\d+){2})zz", lambda m: m.group(1).replace("zdotz", "."), mask(protected))


def _similarity(query_signature: str, row: dict, signed: str | None = None) -> float:
    """How closely the paste's salient lines match a card's message, masked alike (its signature: the
    one the index stored, else computed)."""
    candidate = signed if signed is not None else message_signature(row["message"] or "")
    if not candidate or not query_signature:
        return 0.0
    return max(fuzz.token_set_ratio(query_signature, candidate), fuzz.partial_ratio(candidate, query_signature)
               if len(candidate) >= 12 else 0) / 100.0


def _result(row: dict, score: float, matched: list[str]) -> Result:
    return Result(id=row["id"], ref=row.get("ref_override") or f"e{row['id']}", title=row["title"], message=row["message"],
                  root_cause=row["root_cause"] or "", fix=row["fix"] or "", commits=row["commits"],
                  report={"path": row["report_path"], "title": row["report_title"]}, score=round(score, 4),
                  matched=matched, fingerprint=row["fingerprint"] or "", before=row["before"] or "",
                  after=row["after"] or "", log=row["log"] or "", kind=row.get("kind") or "error")


def _held(wanted: set[str], text: str) -> set[str]:
    """Which of the paste's terms a candidate's text holds, exactly as the index reads it."""
    return wanted & term_set(text)


def _is_cjk(term: str) -> bool:
    return "\u3400" <= term[0] <= "\ufaff"


_CJK_RE = lazy(CJK_RUN)  # the pattern string glossary and textsim compile too: compiled once


def _has_cjk(text: str) -> bool:
    return not text.isascii() and _CJK_RE.search(text) is not None


def _passage_similarity(query_signature: str, text: str) -> float:
    """How closely the paste's salient lines stand in the passage (a quoted log, usually)."""
    if not query_signature or not text:
        return 0.0
    return fuzz.partial_ratio(query_signature[:300], passage_signature(text)) / 100.0


def _passage_result(row: dict, score: float, matched: list[str]) -> Result:
    """A passage as an answer. Its message (the line it shows) is left to _show_passage_leads: ranking
    never reads it, and it is ~40 line tests that most candidates never need."""
    heading = row["heading"] or row["report_title"]
    result = Result(id=row["id"], ref=f"p{row['id']}", title=heading.rsplit(" / ", 1)[-1], message="",
                    root_cause="", fix=row["text"], commits=[],
                    report={"path": row["report_path"], "title": row["report_title"]}, score=round(score, 4),
                    matched=matched, fingerprint=f"passage:{row['id']}", kind="passage")
    result.passage_row = row  # type: ignore[attr-defined]  # for linking, not part of the output
    return result


def _public(row: dict) -> dict:
    return {"heading": row["heading"], "line": row["line"], "text": row["text"], "role": row.get("role") or ""}


CAUSE_TEXT = 40  # characters of a card's cause or fix that, found in a passage, make it that card's own text


def _card_the_causes(results: list[Result], carded: dict[int, Result], rarity: dict[str, float]) -> None:
    """A passage that holds what a card of its report says as its cause or fix (the root-cause section
    whose `E2 – lock held by ...` paragraph is card E2's cause) is that card's text, as a linked passage
    is: it lifts the card instead of standing above it. A passage that holds several cards' causes
    (one root-cause section for four errors) lifts the one whose own cause and fix hold most of the paste."""
    cards = [r for r in results if r.kind == "error"]
    for result in results:
        if result.kind != "passage" or result.id in carded:
            continue
        text = _flat(result.passage_row["text"])  # type: ignore[attr-defined]
        holders = [card for card in cards if card.report["path"] == result.report["path"]
                   and len(_flat(card.root_cause)) >= CAUSE_TEXT and _flat(card.root_cause) in text]
        if holders:
            carded[result.id] = max(holders, key=lambda card: (sum(
                rarity[term] for term in _held(set(rarity), card.root_cause + "\n" + card.fix)), card.score))


def _flat(text: str) -> str:
    """Text without emphasis, code marks and line breaks, to find one text inside another."""
    return " ".join((text or "").replace("*", "").replace("`", "").split())


def _fold_passages(results: list[Result], carded: dict[int, "Result"]) -> list[Result]:
    """A passage hit that a card already links lifts that card instead of standing beside it; a passage
    below a card of its own report adds nothing to it (the report already answers); and a report answers
    with at most one passage result (its best)."""
    out: list[Result] = []
    shown: dict[str, Result] = {}  # report path -> its passage result
    carded_reports: dict[str, Result] = {}  # report path -> its best card
    for result in sorted(results, key=lambda r: -r.score):
        if result.kind != "passage":
            out.append(result)
            carded_reports.setdefault(result.report["path"], result)
            continue
        card = carded.get(result.id)
        if card is not None:  # what weakens the card (another port, another name) weakens what lifts it
            card.score = max(card.score, result.score * card.discount)  # type: ignore[attr-defined]
            card.coverage = max(card.coverage, round(result.coverage * card.coverage_discount, 3))  # type: ignore[attr-defined]
            continue
        card = carded_reports.get(result.report["path"])
        if card is not None:
            if result.coverage >= MIN_CONFIDENCE and len(getattr(card, "found", [])) < FOUND_PASSAGES \
                    and all(p["text"] != result.passage_row["text"] for p in card.passages):  # type: ignore[attr-defined]
                card.found = getattr(card, "found", []) + [result]  # type: ignore[attr-defined]
                card.passages = card.passages + [{**_public(result.passage_row), "found": True}]  # type: ignore[attr-defined]
            continue
        first = shown.get(result.report["path"])
        if first is not None:  # the search found it too: a fix passage among them is the answer's fix
            first.found_with.append(result.passage_row)  # type: ignore[attr-defined]
            continue
        shown[result.report["path"]] = result
        result.found_with = []  # type: ignore[attr-defined]
        out.append(result)
    return out


def _score(bm25: float, similarity: float, coverage: float, exact: bool) -> float:
    """One footing for cards and passages alike. The share of the paste's rarity-weighted words
    (coverage) counts most: the rare argument of an error, its module, port or path, outweighs the
    template it shares with look-alike errors; then how closely its message reads as the paste's lines
    (similarity). BM25F (relative to the best candidate) only breaks near ties: it favours short
    documents, so a card would outrank the passage of another report that holds more of the paste.
    An identical fingerprint counts as much as the share of the paste it covers (a generic line such
    as `Process completed with exit code 1` is identical in many CI logs and says little)
    (bench/search_quality.py --one-kb)."""
    return 0.1 * bm25 + 0.25 * similarity + 0.4 * coverage + (0.5 * coverage if exact else 0.0)


def _margin(ratio: float) -> float:
    """How much of its coverage a result keeps as confidence, given the best answer from another report
    at `ratio` of its score: all of it while it stands clear, down to MARGIN_FLOOR at a tie."""
    if ratio <= CLEAR_MARGIN:
        return 1.0
    return max(MARGIN_FLOOR, 1.0 - (min(ratio, 1.0) - CLEAR_MARGIN) / (1.0 - CLEAR_MARGIN))


def _calibrate(results: list[Result], evidence: float) -> None:
    """Each result's confidence: its coverage, times its margin over the best answer another report gives
    (another report with another error: the same error seen twice is one answer). Two reports answering
    about equally (within TIE) are both marked `tied`, so the answer can say so and show both."""
    for result in results:
        rivals = [r.score for r in results if r.report["path"] != result.report["path"]
                  and r.fingerprint != result.fingerprint]
        ratio = max(rivals) / result.score if rivals and result.score > 0 else 0.0
        result.confidence = round(result.coverage * evidence * _margin(ratio), 3)
    if results:
        first = results[0]
        close = [r for r in results[1:] if r.report["path"] != first.report["path"]
                 and r.fingerprint != first.fingerprint and r.score >= TIE * first.score]
        for result in ([first] + close) if close else []:
            result.tied = True


def _one_per_fingerprint(results: list[Result]) -> list[Result]:
    seen: set[str] = set()
    unique = []
    for result in results:
        key = result.fingerprint or result.ref
        if key in seen:
            continue
        seen.add(key)
        unique.append(result)
    return unique


def search(kb: KnowledgeBase, paste: str, k: int = 5) -> SearchOutcome:
    """One-shot search (the CLI); keep a Searcher for many queries."""
    searcher = Searcher(kb)
    try:
        return searcher.search(paste, k)
    finally:
        searcher.close()
