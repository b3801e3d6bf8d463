"""A topic's passages: how it is set up and deployed here, and the lessons learned about it."""

from __future__ import annotations

import re
from collections import Counter

from kb.onboarding.model import Passage, rows_in, source_of, squeezed
from kb.onboarding.names import Names
from kb.onboarding.topic_index import own_heading

MAX_SETUP = 8
MAX_SETUP_PER_REPORT = 3
MAX_LESSONS = 12

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


def _passage_rows(kb, ids: list[int]) -> list[dict]:
    return rows_in(kb, "select id, report_id, position, heading, line, text, role from passages where id in ({marks})",
                   ids, order=lambda r: (r["report_id"], r["position"]))


def select_setup(kb, names: Names, topic: str, ids: list[int], reports: dict[int, dict]) -> list[Passage]:
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
                               source=source_of(reports.get(row["report_id"]), row["line"], row["heading"])))
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


def select_lessons(kb, names: Names, topic: str, lesson_ids: list[int], passage_ids: list[int],
                   reports: dict[int, dict], taken: set[str]) -> list[Passage]:
    """The lessons that name the topic; then passages under a lessons heading that say what no lesson does."""
    out: list[Passage] = []
    known = {squeezed(text) for text in taken}
    for row in rows_in(kb, "select id, report_id, position, title, text, line from lessons where id in ({marks})",
                       lesson_ids, order=lambda r: (r["report_id"], r["position"])):
        text = row["text"].strip()
        plain = squeezed(text)
        if plain in known:
            continue
        out.append(Passage(heading=row["title"], text="" if plain == squeezed(row["title"]) else text,
                           source=source_of(reports.get(row["report_id"]), row["line"])))
        known |= {plain, squeezed(row["title"])}
        if len(out) == MAX_LESSONS:
            return out
    long_known = [k for k in known if len(k) > 40]
    for row in _passage_rows(kb, passage_ids):
        if row["role"] or not _LESSON_RE.search(own_heading(row["heading"])):
            continue
        text = row["text"].strip()
        plain = squeezed(text)
        if plain in known or any(plain in k or k in plain for k in long_known):
            continue
        out.append(Passage(heading=own_heading(row["heading"]), text=text,
                           source=source_of(reports.get(row["report_id"]), row["line"], row["heading"])))
        known.add(plain)
        long_known.append(plain)
        if len(out) == MAX_LESSONS:
            break
    return out
