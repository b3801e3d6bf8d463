"""Extraction quality against a hand-made gold: what a careful reader takes from each report.

    python bench/extract_quality.py                       # ../shared/corpus (gold.json + reports/)
    python bench/extract_quality.py -v                    # and every miss, report by report
    python bench/extract_quality.py --gold G.json --reports DIR   # any labelled set in that format
    python bench/extract_quality.py --shapes                # our own samples (bench/shapes_gold.json)

The gold (described in ../shared/corpus/GOLD.md) maps each report's file name to `errors`,
`checklists`, `commands`, `trees`, `diagrams` and `max_errors`. All reports are ingested into one
fresh temporary KB, then each category is scored on what the KB shows for that report, as GOLD.md
says: a gold string counts as found when it occurs, ignoring case (and, for commands, `\\`
continuations and runs of blanks), in

- errors: one of the report's listed errors (`list errors`: its title and message; `show eN`: its log);
  "errors in title/message" is the stricter figure without the log;
- checklists: the step text of one of its runnables in `list runbooks` (checklists, procedures,
  decision trees), as `run` walks them;
- commands: a command of one of its runnables, of one of its errors (the commands in the fix and
  log a card shows), or of the commands listed for the report (`show rN`).

Trees: a gold tree counts as found when the report lists a decision tree whose nodes hold its
questions and which offers its command nodes as commands; a diagram must not be runnable (decision
trees listed beyond the gold's trees are counted). Prints recall per category, the reports listing
more errors than `max_errors`, and the targets of issue 19. Skips cleanly when the gold is absent.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.ingest import ingest  # noqa: E402
from kb.parse.shell import split_commands  # noqa: E402
from kb.runs import catalogue, runbooks  # noqa: E402
from kb.store import queries as kbq  # noqa: E402
from kb.store.knowledge_base import KBError, KnowledgeBase  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
TARGETS = {"errors": 0.9, "checklists": 0.9, "commands": 0.97}
_FENCE_RE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)```", re.DOTALL)


def plain(text: str) -> str:
    """Case, `\\` continuations and runs of blanks ignored (GOLD.md's comparison)."""
    return " ".join(text.replace("\\\n", " ").lower().split())


@dataclass
class Shown:
    """What the KB shows for one report, as plain strings."""

    errors: list[str] = field(default_factory=list)  # each card: title, message, log
    error_lines: list[str] = field(default_factory=list)  # each card's title and message only (`list errors`)
    steps: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    trees: list[dict] = field(default_factory=list)  # {"nodes": [text], "commands": [command]}


def shown_by_report(kb: KnowledgeBase) -> dict[str, Shown]:
    """Report file name -> what `list errors`, `show`, `list runbooks` and `run` show for it."""
    out: dict[str, Shown] = {}
    paths = {}
    for row in kbq.list_reports(kb.store):
        paths[row["path"]] = Path(row["path"]).name
        out[Path(row["path"]).name] = Shown()
    for row in kbq.list_errors(kb.store):
        error = kbq.get_error(kb.store, row["id"])
        shown = out[paths[row["report"]]]
        shown.errors.append("\n".join(error.get(key) or "" for key in ("title", "message", "log")))
        shown.error_lines.append("\n".join(error.get(key) or "" for key in ("title", "message")))
        shown.commands.extend(_fenced_commands(error.get("fix") or ""))
    for row in catalogue.runnables(kb, with_runs=False):
        shown = out.get(Path(row["report"]).name)
        if shown is None or row["hand_written"]:
            continue
        try:
            walked = runbooks.load(kb, row["ref"])
        except KBError:
            continue
        shown.steps.extend(step.title + ("\n" + step.detail if step.detail else "") for step in walked.steps)
        shown.commands.extend(walked.commands())
        if row["kind"] == catalogue.DEFAULT_FLOWCHART_KIND:
            shown.trees.append({"nodes": [step.title for step in walked.steps], "commands": walked.commands()})
    for path, name in paths.items():
        report_id = kbq.find_report_id(kb.store, path)
        report = kbq.get_report(kb.store, report_id)
        out[name].commands.extend(command["command"] for command in report["commands"])
    return out


def _fenced_commands(markdown: str) -> list[str]:
    """Commands in the shell fences of an error's fix, as the card shows them."""
    found = []
    for lang, code in _FENCE_RE.findall(markdown):
        if lang.lower() in ("", "bash", "sh", "shell", "zsh", "console", "powershell", "ps1", "cmd"):
            found.extend(command.command for command in split_commands(code, lang.lower()))
    return found


@dataclass
class Score:
    found: int = 0
    total: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)  # (report, gold string)

    def add(self, report: str, gold: str, hit: bool) -> None:
        self.total += 1
        if hit:
            self.found += 1
        else:
            self.misses.append((report, gold))

    @property
    def recall(self) -> float:
        return self.found / self.total if self.total else 1.0


def _occurs(needle: str, haystack: list[str]) -> bool:
    needle = plain(needle)
    return any(needle in plain(text) for text in haystack)


def score(gold: dict[str, dict], shown: dict[str, Shown]) -> dict:
    scores = {name: Score() for name in ("errors", "checklists", "commands", "trees", "tree commands",
                                         "errors in title/message")}
    over: list[tuple[str, int, int]] = []
    extra_trees = 0
    diagrams = 0
    for report, labels in sorted(gold.items()):
        seen = shown.get(report, Shown())
        for text in labels.get("errors", []):
            scores["errors"].add(report, text, _occurs(text, seen.errors))
            scores["errors in title/message"].add(report, text, _occurs(text, seen.error_lines))
        for text in labels.get("checklists", []):
            scores["checklists"].add(report, text, _occurs(text, seen.steps))
        for text in labels.get("commands", []):
            scores["commands"].add(report, text, _occurs(text, seen.commands))
        for tree in labels.get("trees", []):
            questions, commands = tree.get("questions", []), tree.get("commands", [])
            hit = any(all(_occurs(q, listed["nodes"]) for q in questions)
                      and all(_occurs(c, listed["commands"]) for c in commands) for listed in seen.trees)
            scores["trees"].add(report, (questions or ["(tree)"])[0], hit)
            for command in commands:
                scores["tree commands"].add(report, command, any(_occurs(command, t["commands"]) for t in seen.trees))
        diagrams += labels.get("diagrams", 0)
        extra_trees += max(0, len(seen.trees) - len(labels.get("trees", [])))
        if "max_errors" in labels and len(seen.errors) > labels["max_errors"]:
            over.append((report, len(seen.errors), labels["max_errors"]))
    return {"scores": scores, "over": over, "extra_trees": extra_trees, "diagrams": diagrams,
            "reports": len(gold), "missing": sorted(set(gold) - set(shown))}


def measure(gold: dict[str, dict], reports: Path) -> dict:
    work = Path(tempfile.mkdtemp(prefix="runbook-extract-"))
    try:
        kb = KnowledgeBase.init(work / "kb")
        files = [reports / name for name in sorted(gold) if (reports / name).is_file()]
        ingest(kb, files)
        shown = shown_by_report(kb)
        kb.close()
        return score(gold, shown)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_result(result: dict, verbose: bool) -> bool:
    scores = result["scores"]
    print(f"{'category':<26}{'found':>7}{'labelled':>10}{'recall':>8}")
    for name, value in scores.items():
        if value.total:
            print(f"{name:<26}{value.found:>7}{value.total:>10}{value.recall:>8.2f}")
    within = result["reports"] - len(result["over"])
    print(f"reports listing no more errors than max_errors: {within} / {result['reports']}")
    for report, listed, limit in result["over"]:
        print(f"  over: {report}: {listed} errors listed, max_errors {limit}")
    print(f"decision trees listed beyond the gold's trees: {result['extra_trees']} "
          f"(drawing-only diagrams in the gold: {result['diagrams']})")
    if result["missing"]:
        print(f"not ingested: {', '.join(result['missing'])}")
    if verbose:
        for name, value in scores.items():
            if value.misses:
                print(f"\nmissed {name} ({len(value.misses)}):")
                for report, text in value.misses:
                    print(f"  {report}: {text[:160]!r}")
    met = all(scores[name].recall >= target for name, target in TARGETS.items()) and not result["over"]
    print("targets (errors >= 0.9, steps >= 0.9, commands >= 0.97, no report over max_errors):",
          "met" if met else "MISSED")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=DEFAULT_CORPUS / "gold.json", help="the labels (gold.json)")
    parser.add_argument("--reports", type=Path, help="the labelled reports (default: reports/ beside the gold)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    parser.add_argument("--shapes", action="store_true",
                        help="our own samples in assets/reports, labelled in bench/shapes_gold.json")
    args = parser.parse_args()
    if args.shapes:
        args.gold, args.reports = ROOT / "bench" / "shapes_gold.json", ROOT / "assets" / "reports"
    reports = args.reports or args.gold.parent / "reports"
    if not args.gold.is_file() or not reports.is_dir():
        print(f"skipped: no gold at {args.gold} with reports in {reports}")
        return
    try:
        gold = json.loads(args.gold.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{args.gold}: not readable as JSON ({exc})", file=sys.stderr)
        sys.exit(2)
    if not isinstance(gold, dict) or not all(isinstance(v, dict) for v in gold.values()):
        print(f"{args.gold}: expected an object of report name -> labels", file=sys.stderr)
        sys.exit(2)
    print(f"{reports}: {len(gold)} labelled reports")
    print_result(measure(gold, reports), args.verbose)


if __name__ == "__main__":
    main()
