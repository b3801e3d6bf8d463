"""Search the KB with a pasted error: one line or a whole log, always as plain text.

1. Cut the paste to 1 MB; pick its salient lines (exception lines, the last
   traceback line, error/failed/fatal lines) with weights.
2. Turn them into weighted terms with the index's own analyzer (never a query
   parser, so `: ( ) * " AND NOT` are just text), plus glossary words of the
   other language at a lower weight.
3. BM25F over the weighted fields, then re-rank the top candidates by how
   similar their masked message is to the masked paste (rapidfuzz), with a
   bonus for an identical fingerprint.
4. One result per error fingerprint, with how many reports have seen it.
"""

from __future__ import annotations

import json
import math
import re
import threading
from pathlib import Path
from dataclasses import asdict, dataclass, field

from rapidfuzz import fuzz
from whoosh import scoring
from whoosh.query import Or, Term

from kb import glossary
from kb.analysis import iter_terms, terms
from kb.index import FIELD_BOOSTS, ensure_current, index_is_current, open_index
from kb.knowledge_base import KnowledgeBase
from kb.normalize import cut, fingerprint, mask, salient_lines, signature, strip_prefix

MAX_TERMS = 12
COMMON = 0.2  # a term in over 20% of the documents is noise unless little else is left
FIELD_COMMON = 0.1  # ... and in one field, over 10% of documents
CANDIDATES = 15
WEAK_CONFIDENCE = 0.35  # below this a result is shown as a possible match, not the known fix
MIN_CONFIDENCE = 0.16  # share of the paste's rarity-weighted words a result must contain (bench/search_quality.py)
RELATIVE_FLOOR = 0.3  # results scoring under 30% of the best are noise, not alternatives
_PLACEHOLDER_RE = re.compile(r"<(?:ts|date|time|uuid|cred|host|ip|hex|n)>")


@dataclass
class Result:
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
    confidence: float = 0.0  # share of the paste's rarity-weighted words this error holds

    @property
    def weak(self) -> bool:
        """A possible match rather than the known fix: few of the paste's telling words."""
        return self.confidence < WEAK_CONFIDENCE and not self.exact

    exact: bool = False  # same fingerprint as a line of the paste

    def to_dict(self) -> dict:
        return {**asdict(self), "weak": self.weak}


@dataclass
class SearchOutcome:
    results: list[Result]
    truncated: bool = False  # the paste was cut at 1 MB
    terms: list[str] = field(default_factory=list)


class Searcher:
    """Holds the index open across queries (the TUI searches as you type)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        ensure_current(kb)
        self.index = open_index(kb)
        self._searcher = self.index.searcher(weighting=scoring.BM25F(B=0.75, K1=1.2))
        self._lock = threading.Lock()  # the TUI searches from worker threads

    def close(self) -> None:
        self._searcher.close()

    def refresh(self) -> None:
        with self._lock:
            if not index_is_current(self.kb):
                ensure_current(self.kb)
                self.index = open_index(self.kb)
            self._searcher = self._searcher.refresh()

    def search(self, paste: str, k: int = 5) -> SearchOutcome:
        with self._lock:
            return self._search(paste, k)

    def _search(self, paste: str, k: int) -> SearchOutcome:
        text, truncated = cut(paste or "")
        weighted = query_terms(text)
        if not weighted:
            return SearchOutcome(results=[], truncated=truncated)
        frequencies = {term: max(self._searcher.doc_frequency(name, term) for name in FIELD_BOOSTS)
                       for term in weighted}  # looked up once, used for selection and confidence
        ranked = self._select_terms(weighted, frequencies)
        if not ranked:
            return SearchOutcome(results=[], truncated=truncated)
        query = Or(self._clauses(ranked))
        hits = self._searcher.search(query, limit=CANDIDATES)
        if not hits:
            return SearchOutcome(results=[], truncated=truncated, terms=[t for t, _ in ranked])
        rarity = self._rarity(weighted, frequencies)
        total_rarity = sum(rarity.values()) or 1.0
        top = hits[0].score or 1.0
        query_signature = " ".join(signature(line) for line, _ in salient_lines(text)[:3])
        query_print = {fingerprint(line) for line, _ in salient_lines(text)}
        wanted = set(rarity)
        rows = self._rows([int(hit["error"]) for hit in hits if not hit.get("commit")])
        commit_rows = self._commit_rows([hit["commit"] for hit in hits if hit.get("commit")])
        results: list[Result] = []
        for hit in hits:
            row = commit_rows.get(hit["commit"]) if hit.get("commit") else rows.get(int(hit["error"]))
            if row is None:
                continue
            # which query words this error contains (Whoosh's own matched-terms tracking disables its
            # block skipping, so it is computed here on the few candidates instead)
            text = " ".join(row[name] or "" for name in ("message", "title", "root_cause", "fix", "log"))
            matched = sorted(wanted & set(terms(text)))
            # confidence: the share of the paste's telling words (weighted by rarity) this error contains
            confidence = sum(rarity[term] for term in matched) / total_rarity
            similarity = _similarity(query_signature, row)
            exact = row["fingerprint"] in query_print
            score = 0.55 * (hit.score / top) + 0.35 * similarity + 0.1 * confidence + (0.5 if exact else 0.0)
            if confidence < MIN_CONFIDENCE and not exact:
                continue  # shared common words are not a known fix
            result = _result(row, score, matched)
            result.confidence, result.exact = round(confidence, 3), exact
            results.append(result)
        results.sort(key=lambda r: -r.score)
        if results:
            floor = RELATIVE_FLOOR * results[0].score
            results = [r for r in results if r.score >= floor]
        unique = _one_per_fingerprint(results)[:k]
        self._seen_in(unique)
        return SearchOutcome(results=unique, truncated=truncated, terms=[t for t, _ in ranked])

    def _rarity(self, weighted: dict[str, float], frequencies: dict[str, int]) -> dict[str, float]:
        """Each query word's weight times its rarity (idf). An ASCII word the index has never seen
        counts as the rarest (a pasted identifier the KB does not know counts against every match);
        an unknown Chinese bigram is only phrasing (the glossary carries its meaning): left out.
        (Counting unknown words as rarer still cost paraphrase recall more than it saved: measured.)"""
        total = max(self._searcher.doc_count(), 1)
        out = {}
        for term, weight in weighted.items():
            frequency = frequencies[term]
            if frequency == 0 and "\u3400" <= term[0] <= "\ufaff":
                continue
            out[term] = weight * math.log(1 + total / (frequency or 1))
        return out

    def _clauses(self, ranked: list[tuple[str, float]]) -> list[Term]:
        """One clause per (field, term), leaving out fields where the term is everywhere: such a
        clause walks a long posting list for almost no score (the field's BM25 idf is near zero)."""
        total = max(self._searcher.doc_count(), 1)
        clauses = []
        for term, weight in ranked:
            for name in FIELD_BOOSTS:
                frequency = self._searcher.doc_frequency(name, term)
                if frequency and frequency <= FIELD_COMMON * total:
                    clauses.append(Term(name, term, boost=weight))
        if not clauses:
            clauses = [Term(name, term, boost=weight) for term, weight in ranked for name in FIELD_BOOSTS]
        return clauses

    def _select_terms(self, weighted: dict[str, float], frequencies: dict[str, int]) -> list[tuple[str, float]]:
        """The most telling terms: known to the index, rare before common, at most MAX_TERMS.

        Terms the index has never seen (a Chinese phrasing of an English error) are dropped, and
        very common terms only stay when little else is left: they cost the most and say the least.
        """
        total = max(self._searcher.doc_count(), 1)
        scored = []
        for term, weight in weighted.items():
            frequency = frequencies[term]
            if frequency:
                scored.append((weight * math.log(1 + total / frequency), frequency, term, weight))
        scored.sort(key=lambda item: -item[0])
        chosen = [(term, weight) for _, frequency, term, weight in scored if frequency <= COMMON * total]
        if len(chosen) < 3:
            chosen = [(term, weight) for _, _, term, weight in scored]
        return chosen[:MAX_TERMS]

    def _rows(self, ids: list[int]) -> dict[int, dict]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.kb.store.rows(
            f"""select e.id, e.title, e.message, e.root_cause, e.fix, e.before, e.after, e.log, e.fingerprint,
                       r.path as report_path, r.title as report_title
                from errors e join reports r on r.id = e.report_id where e.id in ({marks})""", ids)
        commits = self.kb.store.rows(
            f"""select ec.error_id, c.sha, c.message from error_commits ec join commits c on c.id = ec.commit_id
                where ec.error_id in ({marks}) order by c.id""", ids)
        by_id = {row["id"]: {**row, "commits": []} for row in rows}
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
            }
        return out

    def _seen_in(self, results: list[Result]) -> None:
        prints = [r.fingerprint for r in results if r.fingerprint]
        if not prints:
            return
        marks = ",".join("?" * len(prints))
        counts = {row["fingerprint"]: row["n"] for row in self.kb.store.rows(
            f"""select e.fingerprint, count(distinct e.report_id) as n from errors e
                where e.fingerprint in ({marks}) group by e.fingerprint""", prints)}
        for result in results:
            result.seen_in = max(1, counts.get(result.fingerprint, 1))


def query_terms(text: str) -> dict[str, float]:
    """Weighted terms of a paste: salient lines weigh most; glossary words of the other language least."""
    weights: dict[str, float] = {}
    lines = salient_lines(text)
    for line, weight in lines:
        body = _PLACEHOLDER_RE.sub(" ", strip_prefix(mask_for_query(line)))
        for term, _, _ in iter_terms(body):
            weights[term] = max(weights.get(term, 0.0), weight)
        for term, _, _ in iter_terms(glossary.expand(body)):
            weights.setdefault(term, 0.6)
    return weights


_SMALL_NUMBER_RE = re.compile(r"(?<![\w.:/])(\d{3})(?![\w.:])")


def mask_for_query(line: str) -> str:
    """Mask like the fingerprint does, but keep 3-digit codes (HTTP 502, errno 111) as words."""
    protected = _SMALL_NUMBER_RE.sub(lambda m: f"zz{m.group(1)}zz", line)
    return re.sub(r"zz(\d{3})zz", r"\1", mask(protected))


def _similarity(query_signature: str, row: dict) -> float:
    candidate = signature(row["message"] or "")
    if not candidate or not query_signature:
        return 0.0
    return max(fuzz.token_set_ratio(query_signature, candidate), fuzz.partial_ratio(candidate, query_signature)
               if len(candidate) >= 12 else 0) / 100.0


def _result(row: dict, score: float, matched: list[str]) -> Result:
    return Result(id=row["id"], ref=row.get("ref_override") or f"e{row['id']}", title=row["title"], message=row["message"],
                  root_cause=row["root_cause"] or "", fix=row["fix"] or "", commits=row["commits"],
                  report={"path": row["report_path"], "title": row["report_title"]}, score=round(score, 4),
                  matched=matched, fingerprint=row["fingerprint"] or "", before=row["before"] or "",
                  after=row["after"] or "", log=row["log"] or "")


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
