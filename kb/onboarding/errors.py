"""The errors met with a topic: grouped by fingerprint, most frequent first, each with every recorded cause
and whole fix, and the part of its log that shows it."""

from __future__ import annotations

from collections import Counter

from kb.onboarding.dates import parse_date
from kb.onboarding.model import ErrorEntry, WriteUp, one_line, rows_in, source_of, squeezed
from kb.onboarding.names import Names
from kb.onboarding.topic_index import error_text, section_below_title

MAX_ERRORS = 20  # shown whole; the rest are listed by ref and title
MAX_WRITE_UPS = 3  # distinct causes and fixes shown for one error
MAX_REFS = 10  # records named for one error
LOG_HEAD = 12  # log lines shown before the lines that name the topic


def select_errors(kb, names: Names, topic: str, ids: list[int], reports: dict[int, dict]):
    """(the errors shown whole, the rest as (ref, title), how many records): one entry per fingerprint.
    The errors that say the topic themselves (message, log, cause, headings) come first, then those only
    their fix mentions; within each, the most frequent first, then those with a fix."""
    rows = rows_in(kb, "select * from errors where id in ({marks})", ids)
    if not rows:
        return [], [], 0
    prints = sorted({row["fingerprint"] for row in rows})
    counts = rows_in(kb, "select fingerprint, count(*) as n from errors where fingerprint in ({marks}) "
                         "group by fingerprint", prints)
    seen = Counter({row["fingerprint"]: row["n"] for row in counts})
    groups: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        groups.setdefault(row["fingerprint"] or f"id{row['id']}", []).append(row)

    known: dict[int, int] = {}

    def centrality(row: dict) -> int:
        """2: its title or message names the topic; 1: its log, symptom, cause, diagnosis or the headings it
        is under; 0: only its fix does (an error met while fixing something else)."""
        if row["id"] not in known:
            if topic in names.topics_in(f"{row['title']}\n{row['message']}"):
                known[row["id"]] = 2
            else:
                under = section_below_title(row["section"] or "", reports.get(row["report_id"], {}).get("title", ""))
                rest = "\n".join([*(row[k] or "" for k in ("log", "symptom", "root_cause", "diagnosis")), under])
                known[row["id"]] = 1 if topic in names.topics_in(rest) else 0
        return known[row["id"]]

    def rank(group: list[dict]):
        best = max(group, key=lambda r: (bool((r["fix"] or r["after"] or "").strip()), centrality(r),
                                         len((r["root_cause"] or "") + (r["fix"] or "")), -r["id"]))
        # the errors that are about the topic first, most frequent first; those only their fix mentions after
        return (-(centrality(best) > 0), -seen.get(best["fingerprint"], 1),
                -bool((best["fix"] or best["after"] or "").strip()), -centrality(best), best["id"]), best

    ranked = sorted((rank(group) + (group,) for group in groups.values()), key=lambda item: item[0])
    shown = [_error_entry(kb, names, topic, best, group, seen.get(best["fingerprint"], 1), reports)
             for _, best, group in ranked[:MAX_ERRORS]]
    for entry, (_, best, _) in zip(shown, ranked):
        entry.central = centrality(best)
    more = [(f"e{best['id']}", best["title"]) for _, best, _ in ranked[MAX_ERRORS:]]
    return shown, more, len(rows)


def _error_entry(kb, names: Names, topic: str, row: dict, group: list[dict], seen: int,
                 reports: dict[int, dict]) -> ErrorEntry:
    ordered = [row] + [other for other in group if other["id"] != row["id"]]
    write_ups: dict[tuple, WriteUp] = {}
    for record in ordered:
        key = tuple(squeezed(record[k] or "") for k in ("root_cause", "fix", "before", "after"))
        if key in write_ups:
            write_ups[key].refs.append(f"e{record['id']}")
            continue
        if len(write_ups) == MAX_WRITE_UPS:
            continue  # the same error written up many times: the first few accounts teach it
        commits = kb.store.rows("""select c.sha, c.message from commits c join error_commits ec on ec.commit_id = c.id
                                   where ec.error_id = ? order by c.id""", [record["id"]])
        write_ups[key] = WriteUp(refs=[f"e{record['id']}"], commits=commits,
                                 source=source_of(reports.get(record["report_id"]), record["line"]),
                                 cause=record["root_cause"] or "", fix=record["fix"] or "",
                                 before=record["before"] or "", after=record["after"] or "")
    symptom = row["symptom"] or ""
    if squeezed(symptom) and squeezed(symptom) in squeezed(row["log"] or "") + squeezed(row["message"] or ""):
        symptom = ""  # the symptom only repeats the log
    return ErrorEntry(
        refs=[f"e{record['id']}" for record in ordered],
        title=one_line(row["title"] or row["message"] or "") or f"e{row['id']}",
        message=row["message"] or "", log=log_excerpt(row["log"] or "", names, topic), symptom=symptom,
        diagnosis=row["diagnosis"] or "",
        section=section_below_title(row["section"] or "", reports.get(row["report_id"], {}).get("title", "")),
        write_ups=list(write_ups.values()), seen=seen, names=names.names(error_text(row), topic),
        when=parse_date(row["log"]))


def log_excerpt(log: str, names: Names, topic: str) -> str:
    """The head of a log and, further down, the lines that name the topic (a stack trace's `Caused by`
    that says Redis): enough to recognise the error, never the whole 200-frame trace."""
    lines = log.splitlines()
    if len(lines) <= LOG_HEAD + 4:
        return log.strip("\n")
    out = lines[:LOG_HEAD]
    last = LOG_HEAD - 1
    for number, line in enumerate(lines[LOG_HEAD:], start=LOG_HEAD):
        if topic in names.topics_in(line) and len(out) < LOG_HEAD + 12:
            if number != last + 1:
                out.append("…")
            out.append(line)
            last = number
    if last != len(lines) - 1:
        out.append("…")
    return "\n".join(out)
