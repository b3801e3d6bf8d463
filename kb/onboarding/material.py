"""A topic's own material, chosen and ordered for a newcomer: what a walkthrough is made of.

Only records whose own text names the topic (kb/onboarding/index.py) are taken: the passages that
say how it is set up and deployed, the errors met with it (most frequent first, each with its cause
and whole fix), what went wrong with it in time order, the procedures and checklists that touch it,
the lessons, and the practice (drills on its errors, a dry run of one of its procedures).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from kb.onboarding.dates import parse_date
from kb.onboarding.drills import Drill, shown_error
from kb.onboarding.topic_index import TopicIndex, error_text, own_heading, section_below_title
from kb.onboarding.names import Names
from kb.store.knowledge_base import KBError, KnowledgeBase

MAX_ERRORS = 20  # shown whole; the rest are listed by ref and title
MAX_PROCEDURES = 10
MAX_SETUP = 8
MAX_SETUP_PER_REPORT = 3
MAX_LESSONS = 12
MAX_WRITE_UPS = 3  # distinct causes and fixes shown for one error
MAX_REFS = 10  # records named for one error
MAX_HISTORY = 25  # reports on the time-order page (the latest ones)
MAX_HISTORY_ERRORS = 6  # errors named per report there
MAX_DRILLS = 3
LOG_HEAD = 12  # log lines shown before the lines that name the topic

_SETUP_RE = re.compile(
    r"架构|部署|配置|环境|安装|组件|结构|拓扑|概述|简介|技术栈|服务|方案|"
    r"architect|deploy|setup|set up|install|configur|environment|infrastructure|topolog|stack|overview|"
    r"component|services?\b|compose|dockerfile|how it works|layout|build|network|production|getting started",
    re.IGNORECASE)
_LESSON_RE = re.compile(r"经验|教训|避坑|最佳实践|复盘总结|建议|lessons?|takeaways?|learned|best practices?|"
                        r"what went wrong|what to do differently|recommendations?|key insights?", re.IGNORECASE)
_PROBLEM_RE = re.compile(r"失败|错误|报错|问题|故障|排查|异常|修复|无法|不能|超时|error|fail|issue|problem|bug|fix|broken|"
                         r"troubleshoot|incident|outage|crash|unhealthy|degraded|timed? ?out|refused", re.IGNORECASE)
_CONFIG_FENCE_RE = re.compile(r"```\s*(?:ya?ml|ini|toml|conf|nginx|dockerfile|docker|json|env|dotenv|properties|"
                              r"hcl|tf|caddyfile|systemd|service)\b", re.IGNORECASE)


@dataclass
class Source:
    path: str
    title: str
    line: int | None = None
    section: str = ""

    def describe(self) -> str:
        where = f"{self.title} ({self.path}" + (f", line {self.line}" if self.line else "") + ")"
        return where + (f", section {self.section}" if self.section else "")


@dataclass
class WriteUp:
    """One report's account of an error: why it happened and what fixed it there."""

    refs: list[str]  # the records that tell the same (the same cause and fix in several places)
    source: Source
    cause: str
    fix: str
    before: str
    after: str
    commits: list[dict]

    @property
    def has_fix(self) -> bool:
        return bool((self.fix or self.after).strip())


@dataclass
class ErrorEntry:
    refs: list[str]  # every record of this error in the topic (one fingerprint), first the one shown
    title: str
    message: str
    log: str  # an excerpt: the head of the log and the lines that name the topic
    symptom: str
    diagnosis: str
    section: str  # the headings it is written under, below the report's title
    write_ups: list[WriteUp]  # each distinct cause and fix recorded for it, the fullest first
    seen: int  # how many records of the whole KB carry this error's fingerprint
    names: list[str]  # the topic's names it uses, to show why it belongs
    when: str | None = None
    central: int = 0  # 2: its title or message names the topic; 1: its log, symptom or cause; 0: only its fix


@dataclass
class Step:
    text: str
    detail: str = ""
    depth: int = 1
    commands: list[dict] = field(default_factory=list)  # {"command", "expected", "comment"}
    choices: dict[str, str] = field(default_factory=dict)  # a decision tree's answers -> next step's text


@dataclass
class Procedure:
    ref: str
    title: str
    kind: str
    steps: list[Step]
    source: Source


@dataclass
class Passage:
    heading: str
    text: str
    source: Source


@dataclass
class HistoryEntry:
    when: str | None
    report: Source
    errors: list[tuple[str, str]]  # (ref, title)
    rows: list[str]  # timeline rows that name the topic


@dataclass
class Walkthrough:
    topic: str
    title: str
    names: list[str]
    reports: list[Source]
    setup: list[Passage]
    history: list[HistoryEntry]
    errors: list[ErrorEntry]
    more_errors: list[tuple[str, str]]
    procedures: list[Procedure]
    more_procedures: list[tuple[str, str]]
    lessons: list[Passage]
    drills: list[Drill]
    dry_run: Procedure | None
    error_count: int = 0


_CHUNK = 500  # values per `in (...)`: far below SQLite's limit on bound variables, whatever the KB's size


def _rows_in(kb: KnowledgeBase, query: str, values, order=None) -> list[dict]:
    """`query` with `{marks}` run over `values` in chunks; the rows sorted by `order` when given."""
    values = list(values)
    rows: list[dict] = []
    for start in range(0, len(values), _CHUNK):
        chunk = values[start:start + _CHUNK]
        rows += kb.store.rows(query.format(marks=",".join("?" * len(chunk))), chunk)
    return sorted(rows, key=order) if order else rows


def _reports(kb: KnowledgeBase, ids) -> dict[int, dict]:
    ids = sorted({i for i in ids if i is not None})
    rows = _rows_in(kb, "select id, path, title, date, meta from reports where id in ({marks})", ids)
    return {row["id"]: row for row in rows}


def collect(kb: KnowledgeBase, index: TopicIndex, topic: str, seed: str = "") -> Walkthrough:
    names: Names = index.names
    kinds = index.by_topic.get(topic, {})
    report_ids = index.reports(topic)
    reports = _reports(kb, report_ids)
    errors, more, total = _errors(kb, names, topic, kinds.get("error", []), reports)
    procedures, more_procedures = _procedures(kb, names, topic, kinds.get("checklist", []), kinds.get("runbook", []),
                                              reports)
    setup = _setup(kb, names, topic, kinds.get("passage", []), reports)
    lessons = _lessons(kb, names, topic, kinds.get("lesson", []), kinds.get("passage", []), reports,
                       {p.text for p in setup})
    history = _history(kb, topic, errors, more, kinds.get("timeline", []), reports)
    drillable = [entry for entry in errors if entry.write_ups[0].has_fix and (entry.message or entry.log)]
    drillable.sort(key=lambda entry: -entry.central)  # an error that says the topic's name is the one to know
    drills = [_drill(entry, seed or topic) for entry in drillable[:MAX_DRILLS]]
    dry_run = _dry_run(procedures)
    return Walkthrough(
        topic=topic, title=names.title(topic), names=list(names.topics[topic].names) if topic in names.topics else [],
        reports=[_source(reports[i]) for i in sorted(reports, key=lambda i: reports[i]["path"])],
        setup=setup, history=history, errors=errors, more_errors=more, procedures=procedures,
        more_procedures=more_procedures, lessons=lessons, drills=drills[:MAX_DRILLS], dry_run=dry_run,
        error_count=total)


def _source(report: dict | None, line: int | None = None, section: str = "") -> Source:
    if report is None:
        return Source(path="", title="", line=line, section=section)
    return Source(path=report["path"], title=report["title"], line=line, section=section)


# -- errors ------------------------------------------------------------------------------------------

def _errors(kb, names: Names, topic: str, ids: list[int], reports: dict[int, dict]):
    rows = _rows_in(kb, "select * from errors where id in ({marks})", ids)
    if not rows:
        return [], [], 0
    prints = sorted({row["fingerprint"] for row in rows})
    seen = Counter({row["fingerprint"]: row["n"] for row in _rows_in(
        kb, "select fingerprint, count(*) as n from errors where fingerprint in ({marks}) group by fingerprint", prints)})
    groups: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: r["id"]):
        groups.setdefault(row["fingerprint"] or f"id{row['id']}", []).append(row)

    known: dict[int, int] = {}

    def centrality(row: dict) -> int:
        """2: its title or message names the topic; 1: its log, symptom, cause or diagnosis; 0: its fix only."""
        if row["id"] not in known:
            if topic in names.topics_in(f"{row['title']}\n{row['message']}"):
                known[row["id"]] = 2
            else:
                rest = "\n".join(row[k] or "" for k in ("log", "symptom", "root_cause", "diagnosis"))
                known[row["id"]] = 1 if topic in names.topics_in(rest) else 0
        return known[row["id"]]

    def rank(group: list[dict]):
        best = max(group, key=lambda r: (bool((r["fix"] or r["after"] or "").strip()), centrality(r),
                                         len((r["root_cause"] or "") + (r["fix"] or "")), -r["id"]))
        return (-seen.get(best["fingerprint"], 1), -bool((best["fix"] or best["after"] or "").strip()),
                -centrality(best), best["id"]), best

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
        key = tuple(_plain(record[k] or "") for k in ("root_cause", "fix", "before", "after"))
        if key in write_ups:
            write_ups[key].refs.append(f"e{record['id']}")
            continue
        if len(write_ups) == MAX_WRITE_UPS:
            continue  # the same error written up many times: the first few accounts teach it
        commits = kb.store.rows("""select c.sha, c.message from commits c join error_commits ec on ec.commit_id = c.id
                                   where ec.error_id = ? order by c.id""", [record["id"]])
        write_ups[key] = WriteUp(refs=[f"e{record['id']}"], commits=commits,
                                 source=_source(reports.get(record["report_id"]), record["line"]),
                                 cause=record["root_cause"] or "", fix=record["fix"] or "",
                                 before=record["before"] or "", after=record["after"] or "")
    symptom = row["symptom"] or ""
    if _plain(symptom) and _plain(symptom) in _plain(row["log"] or "") + _plain(row["message"] or ""):
        symptom = ""  # the symptom only repeats the log
    return ErrorEntry(
        refs=[f"e{record['id']}" for record in ordered],
        title=_one_line(row["title"] or row["message"] or "") or f"e{row['id']}",
        message=row["message"] or "", log=log_excerpt(row["log"] or "", names, topic), symptom=symptom,
        diagnosis=row["diagnosis"] or "", section=section_below_title(row["section"] or "", reports.get(row["report_id"], {}).get("title", "")),
        write_ups=list(write_ups.values()), seen=seen, names=names.names(error_text(row), topic),
        when=parse_date(row["log"]))


def _one_line(text: str) -> str:
    return " ".join(text.split("\n", 1)[0].split())


def _plain(text: str) -> str:
    return " ".join(text.replace("```", " ").split())


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


# -- procedures and checklists -------------------------------------------------------------------------

def _procedures(kb, names: Names, topic: str, checklist_ids: list[int], runbook_refs: list[str],
                reports: dict[int, dict]):
    """Hand-written runbooks first, then those that name the topic in their title, then those with the most
    commands. Ranked from the stored rows; only the ones shown are loaded whole."""
    from kb.runs import runbooks

    rows = _rows_in(kb, "select id, report_id, title, kind, section, line from checklists where id in ({marks})",
                    checklist_ids)
    commands = {row["checklist_id"]: row["n"] for row in _rows_in(
        kb, "select checklist_id, count(*) as n from commands where checklist_id in ({marks}) group by checklist_id",
        checklist_ids)}
    candidates = []  # (rank, ref, title, how to load and describe it)
    for row in rows:
        kind = "procedure" if row["kind"] == "procedure" else "checklist"
        source = _source(reports.get(row["report_id"]), row["line"], row["section"] or "")
        count = commands.get(row["id"], 0)
        candidates.append(((0, -(topic in names.topics_in(row["title"])), -(count > 0), -count, source.path, row["id"]),
                           f"c{row['id']}", row["title"], kind, source))
    for ref in runbook_refs:
        try:
            loaded = runbooks.load(kb, ref)
        except KBError:
            continue
        if loaded.decision_tree:
            found = kb.store.rows("select report_id from flowcharts where id = ?", [int(ref[1:])])
            report = reports.get(found[0]["report_id"]) if found else None
            source = _source(report) if report else Source(path=loaded.source, title=loaded.title)
            kind, first = "decision tree", 0
        else:
            source, kind, first = Source(path=f"runbooks/{ref}.md", title=loaded.title), "runbook", -1
        count = len(loaded.commands())
        candidates.append(((first, -(topic in names.topics_in(loaded.title)), -(count > 0), -count, source.path, 0),
                           ref, loaded.title, kind, source))
    candidates.sort(key=lambda item: (item[0], item[1]))
    shown = []
    for _, ref, _, kind, source in candidates:
        if len(shown) == MAX_PROCEDURES:
            break
        try:
            loaded = runbooks.load(kb, ref)
        except KBError:
            continue
        shown.append(Procedure(ref=loaded.name, title=loaded.title, kind=kind, source=source, steps=_steps(loaded)))
    taken = {procedure.ref for procedure in shown}
    more = [(ref, title) for _, ref, title, _, _ in candidates if ref not in taken]
    return shown, more


def _steps(loaded) -> list[Step]:
    texts = {step.node: step.title for step in loaded.steps if step.node}
    return [Step(text=step.title, detail=step.detail or "", depth=step.depth,
                 commands=[{"command": c.command, "expected": c.expected, "comment": c.comment} for c in step.commands],
                 choices={label: texts.get(node, node) for label, node in step.choices.items()})
            for step in loaded.steps]


def _dry_run(procedures: list[Procedure]) -> Procedure | None:
    """The procedure a newcomer practises: the one with the most commands (a checklist of words teaches less)."""
    runnable = [p for p in procedures if p.kind != "decision tree" and any(s.commands for s in p.steps)]
    if not runnable:
        runnable = [p for p in procedures if p.kind != "decision tree"]
    if not runnable:
        return None
    return max(runnable, key=lambda p: (sum(len(s.commands) for s in p.steps), -procedures.index(p)))


# -- passages: how it is set up, and the lessons ---------------------------------------------------------

def _passage_rows(kb, ids: list[int]) -> list[dict]:
    return _rows_in(kb, "select id, report_id, position, heading, line, text, role from passages where id in ({marks})",
                    ids, order=lambda r: (r["report_id"], r["position"]))


def _setup(kb, names: Names, topic: str, ids: list[int], reports: dict[int, dict]) -> list[Passage]:
    scored = []
    for row in _passage_rows(kb, ids):
        if row["role"]:  # a problem, cause or fix passage belongs to its error
            continue
        heading = own_heading(row["heading"])
        if _LESSON_RE.search(heading) or _PROBLEM_RE.search(heading) or _mostly_tasks(row["text"]):
            continue  # lessons and errors have their pages; a task list is a checklist, shown with the procedures
        score = (3 * bool(_SETUP_RE.search(_below_title(row["heading"]))) + 2 * (topic in names.topics_in(heading))
                 + bool(_CONFIG_FENCE_RE.search(row["text"])))
        if score:
            mentions = len(names.names(row["text"], topic))
            scored.append((score + min(mentions, 3) / 3, row))
    scored.sort(key=lambda item: (-item[0], item[1]["report_id"], item[1]["position"]))
    per_report: Counter = Counter()
    picked = []
    for _, row in scored:  # several reports' views before one report's every section
        if per_report[row["report_id"]] < MAX_SETUP_PER_REPORT and len(picked) < MAX_SETUP:
            per_report[row["report_id"]] += 1
            picked.append(row)
    chosen = sorted(picked, key=lambda r: (reports.get(r["report_id"], {}).get("path", ""),
                                                                           r["position"]))
    out: list[Passage] = []
    previous = None
    for row in chosen:  # a long section cut into several passages reads as one again
        if previous is not None and (previous["report_id"], previous["heading"]) == (row["report_id"], row["heading"]):
            out[-1].text += "\n\n" + row["text"].strip()
        else:
            out.append(Passage(heading=own_heading(row["heading"]) or "(untitled)", text=row["text"].strip(),
                               source=_source(reports.get(row["report_id"]), row["line"], row["heading"])))
        previous = row
    return out


_TASK_RE = re.compile(r"^\s*[-*+]\s+\[[ xX]\]")


def _mostly_tasks(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and sum(bool(_TASK_RE.match(line)) for line in lines) * 2 > len(lines)


def _below_title(heading: str) -> str:
    """A passage's heading path without the report's title (which says what the whole report is about)."""
    parts = (heading or "").split(" / ")
    return " / ".join(parts[1:] if len(parts) > 1 else parts)


def _lessons(kb, names: Names, topic: str, lesson_ids: list[int], passage_ids: list[int],
             reports: dict[int, dict], taken: set[str]) -> list[Passage]:
    """The lessons that name the topic; then passages under a lessons heading that say what no lesson does."""
    out: list[Passage] = []
    known = {_plain(text) for text in taken}
    for row in _rows_in(kb, "select id, report_id, position, title, text, line from lessons where id in ({marks})",
                        lesson_ids, order=lambda r: (r["report_id"], r["position"])):
        text = row["text"].strip()
        plain = _plain(text)
        if plain in known:
            continue
        out.append(Passage(heading=row["title"], text="" if plain == _plain(row["title"]) else text,
                           source=_source(reports.get(row["report_id"]), row["line"])))
        known |= {plain, _plain(row["title"])}
        if len(out) == MAX_LESSONS:
            return out
    long_known = [k for k in known if len(k) > 40]
    for row in _passage_rows(kb, passage_ids):
        if row["role"] or not _LESSON_RE.search(own_heading(row["heading"])):
            continue
        text = row["text"].strip()
        plain = _plain(text)
        if plain in known or any(plain in k or k in plain for k in long_known):
            continue
        out.append(Passage(heading=own_heading(row["heading"]), text=text,
                           source=_source(reports.get(row["report_id"]), row["line"], row["heading"])))
        known.add(plain)
        long_known.append(plain)
        if len(out) == MAX_LESSONS:
            break
    return out


# -- what went wrong, in time order ----------------------------------------------------------------------

def _history(kb, topic: str, errors: list[ErrorEntry], more: list[tuple[str, str]], timeline_ids: list[int],
             reports: dict[int, dict]) -> list[HistoryEntry]:
    """Each report that met the topic, dated by the report (or the earliest timestamp its logs printed),
    with the topic's errors and timeline rows in it; the latest MAX_HISTORY of them, oldest first."""
    by_report: dict[int, HistoryEntry] = {}
    refs = [ref for entry in errors for ref in entry.refs] + [ref for ref, _ in more]
    numbers = [int(ref[1:]) for ref in refs]
    rows = _rows_in(kb, "select id, report_id, title, log, position from errors where id in ({marks})", numbers,
                    order=lambda r: (r["report_id"], r["position"]))
    for row in rows:
        report = reports.get(row["report_id"])
        if report is None:
            continue
        entry = by_report.setdefault(row["report_id"], HistoryEntry(when=None, report=_source(report), errors=[], rows=[]))
        if len(entry.errors) < MAX_HISTORY_ERRORS:
            entry.errors.append((f"e{row['id']}", row["title"]))
        when = parse_date((row["log"] or "")[:2000])
        if when and (entry.when is None or when < entry.when):
            entry.when = when
    for row in _rows_in(kb, "select report_id, position, row from timeline where id in ({marks})", timeline_ids,
                        order=lambda r: (r["report_id"], r["position"])):
        report = reports.get(row["report_id"])
        if report is None:
            continue
        entry = by_report.setdefault(row["report_id"], HistoryEntry(when=None, report=_source(report), errors=[], rows=[]))
        cells = [str(v) for v in json.loads(row["row"]).values() if str(v).strip()]
        entry.rows.append(" · ".join(cells))
    for report_id, entry in by_report.items():
        report = reports[report_id]
        meta = " ".join(str(v) for v in json.loads(report["meta"] or "{}").values())
        entry.when = parse_date(report["date"]) or parse_date(meta) or entry.when
    ordered = sorted(by_report.values(), key=lambda e: (e.when is None, e.when or "", e.report.title))
    dated = [e for e in ordered if e.when]
    undated = [e for e in ordered if not e.when]
    keep = dated[-MAX_HISTORY:]
    return keep + undated[:max(MAX_HISTORY - len(keep), 0)]


def _drill(entry: ErrorEntry, seed: str) -> Drill:
    recorded = entry.write_ups[0]
    fix = recorded.fix
    if recorded.before or recorded.after:
        fix += "".join(f"\n\n{label}:\n\n{_fenced(code)}" for label, code in (("Before", recorded.before),
                                                                              ("After", recorded.after)) if code)
    others = [f"{', '.join(w.refs[:MAX_REFS])} ({w.source.title})" for w in entry.write_ups[1:]]
    if others:
        fix += "\n\nOther causes and fixes were recorded for the same error: " + "; ".join(others) + "."
    return Drill(ref=entry.refs[0], title=entry.title,
                 shown=shown_error(entry.message, entry.log, f"{seed}:{entry.refs[0]}"),
                 cause=recorded.cause, fix=fix.strip(), report=recorded.source.describe())


def _fenced(code: str) -> str:
    return code if code.lstrip().startswith("```") else f"```\n{code.rstrip()}\n```"
