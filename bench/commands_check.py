"""Check: do the commands extracted from real reports parse as shell (`bash -n`)?

    python bench/commands_check.py                 # ../shared/seeds and ../shared/corpus/reports when present
    python bench/commands_check.py DIR [DIR...]    # any folders of reports
    python bench/commands_check.py -v DIR          # also list every command bash -n rejects

It also classifies the labelled corpus commands (../shared/corpus/gold.json "commands"): how many
need the operator's terminal or run until stopped, as a run treats them (kb/runs/terminal.py);
`-v` lists each one with its reason.

Each report is parsed as ingest parses it; every command is given to `bash -n`
(which parses and runs nothing), with its placeholders (`<host>`, `$PORT`)
filled in as a run fills them. Commands that belong to a checklist or
procedure step are counted apart: those are the ones a run offers to execute.
Skips cleanly (exit 0) when no folder is there.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb.parse.decode import read_text  # noqa: E402
from kb.parse.report import parse_report  # noqa: E402
from kb.parse.shell_syntax import accepts  # noqa: E402
from kb.parse.variables import find_variables, substitute  # noqa: E402

DEFAULT_DIRS = ("../shared/seeds", "../shared/corpus/reports")
GOLD = "../shared/corpus/gold.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="*", help="folders of reports (default: ../shared/seeds, ../shared/corpus/reports)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every rejected command")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    folders = [Path(d) for d in args.dirs] or [root / d for d in DEFAULT_DIRS]
    files = sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*")
                   if p.suffix in (".md", ".markdown", ".txt") and p.name != "SOURCES.md")
    if not files:
        print("no reports found in " + ", ".join(str(f) for f in folders) + ": skipped")
        return 0
    total = passed = steps_total = steps_passed = 0
    rejected: list[str] = []
    start = time.perf_counter()
    for path in files:
        report = parse_report(read_text(path), path.name)
        for command in report.commands:
            ok = accepts(_as_run(command.command))
            total += 1
            passed += ok
            if command.checklist is not None:
                steps_total += 1
                steps_passed += ok
            if not ok:
                where = "step" if command.checklist is not None else "loose"
                rejected.append(f"{path.name}:{command.line} ({where}): {command.command[:160]!r}")
    seconds = time.perf_counter() - start
    print(f"{len(files)} reports, {total} commands: {passed} pass bash -n ({_pct(passed, total)}); "
          f"checklist/procedure commands: {steps_passed}/{steps_total} ({_pct(steps_passed, steps_total)}) "
          f"in {seconds:.1f} s")
    if args.verbose:
        for line in rejected:
            print("  rejected " + line)
    elif rejected:
        print(f"  {len(rejected)} rejected (-v lists them)")
    terminal_classes(root / GOLD, args.verbose)
    return 0


def terminal_classes(gold: Path, verbose: bool) -> None:
    """How the labelled corpus commands run: plain, needing the operator's terminal, or until stopped."""
    import json
    from collections import Counter

    from kb.runs.terminal import classify

    if not gold.is_file():
        print(f"no {gold}: terminal classes skipped")
        return
    commands = [c for report in json.loads(gold.read_text(encoding="utf-8")).values() for c in report.get("commands", [])]
    start = time.perf_counter()
    classes = [(command, classify(command)) for command in commands]
    seconds = time.perf_counter() - start
    counts = Counter(needs.label() for _, needs in classes)
    why = Counter(needs.reason.split(" (in ")[0].split(";")[0] for _, needs in classes if not needs.plain)
    unclassified = len(commands) - sum(counts.values())
    print(f"{len(commands)} corpus commands (gold.json): {len(commands) - counts['plain']} need a terminal or run "
          f"until stopped ({counts['terminal']} terminal, {counts['follow']} follow, {counts['terminal, follow']} both),"
          f" {counts['plain']} plain; {len(commands) - unclassified}/{len(commands)} classified in {seconds:.2f} s")
    print("  " + "; ".join(f"{reason}: {n}" for reason, n in why.most_common()))
    if verbose:
        for command, needs in classes:
            if not needs.plain:
                print(f"  {needs.label():16} {' '.join(command.split())[:90]!r}  ({needs.reason})")


def _as_run(command: str) -> str:
    """The command as a run executes it: each placeholder (`<host>`, `$PORT`) given a value."""
    return substitute(command, {v.name: "value" for v in find_variables([command])})


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


if __name__ == "__main__":
    sys.exit(main())
