"""Check the shell commands runbook extracts from real reports.

    python bench/commands_check.py                 # every check on ../shared/seeds and ../shared/corpus
    python bench/commands_check.py --bash-n DIR    # extracted commands given to `bash -n` (any folders of reports)
    python bench/commands_check.py --gold          # labelled commands (../shared/corpus/gold.json) split back whole
    python bench/commands_check.py --trees         # decision-tree nodes offered as commands are commands
    python bench/commands_check.py --cost          # the grammar's import cost and the splitter's parse cost
    python bench/commands_check.py --terminal      # labelled commands classified: terminal, follow mode or plain
    python bench/commands_check.py -v ...          # also list every miss

`--bash-n`: each report is parsed as ingest parses it; every command is given
to `bash -n` (which parses and runs nothing), with its placeholders (`<host>`,
`$PORT`) filled in as a run fills them. Commands that belong to a checklist or
procedure step are counted apart: those are the ones a run offers to execute.

`--gold`: for each labelled command (GOLD.md: "commands") that appears, from
the start of a line, in a fenced shell block of its report, the block is split
as ingest splits it, and the command must come back as one of the split
commands, whole: neither cut into fragments nor glued to its neighbours. A
command written inside a `{ }` group, an `if`, a loop or a function comes back
inside that compound command, as a shell reads it: counted apart, not a miss.
Case, backslash-newline continuations and runs of blanks are ignored, as
GOLD.md says.

`--terminal`: the labelled corpus commands (../shared/corpus/gold.json "commands")
are classified as a run treats them (kb/runs/terminal.py): how many need the
operator's terminal or run until stopped; `-v` lists each one with its reason.

`--trees`: every decision tree in the reports (and, by default, in our own
samples under assets/reports) is read as `runbook run` reads it; each node offered with a command (`r` in the run screen) is listed with
its command and note, and must hold a command whose first word is a program
and that `bash -n` accepts, and no prose word (a CJK word or an outcome such
as "failed") outside quotes.

Skips cleanly (exit 0) when no folder is there.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.parse import vocab  # noqa: E402
from kb.parse.blocks import parse_sections  # noqa: E402
from kb.parse.decode import read_text  # noqa: E402
from kb.parse.report import parse_report  # noqa: E402
from kb.parse.shell import split_commands  # noqa: E402
from kb.parse.shell_syntax import accepts  # noqa: E402
from kb.parse.variables import find_variables, substitute  # noqa: E402

DEFAULT_DIRS = ("../shared/seeds", "../shared/corpus/reports")
GOLD = "../shared/corpus/gold.json"
_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="*", help="folders of reports (default: ../shared/seeds, ../shared/corpus/reports)")
    parser.add_argument("--bash-n", action="store_true", help="extracted commands pass bash -n")
    parser.add_argument("--gold", nargs="?", const=GOLD, default=None, metavar="GOLD_JSON",
                        help="labelled commands come back whole (default: ../shared/corpus/gold.json)")
    parser.add_argument("--trees", action="store_true", help="tree nodes offered as commands are commands")
    parser.add_argument("--cost", action="store_true", help="import and parse cost of the shell grammar")
    parser.add_argument("--terminal", action="store_true", help="labelled commands classified as a run treats them")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    args = parser.parse_args()
    everything = not (args.bash_n or args.gold or args.trees or args.cost or args.terminal)
    folders = [Path(d) for d in args.dirs] or [ROOT / d for d in DEFAULT_DIRS]
    files = sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*")
                   if p.suffix in (".md", ".markdown", ".txt") and p.name != "SOURCES.md")
    if not files:
        print("no reports found in " + ", ".join(str(f) for f in folders) + ": skipped")
        return 0
    failed = False
    if everything or args.bash_n:
        failed |= bash_n_check(files, args.verbose)
    if everything or args.gold:
        failed |= gold_check(ROOT / (args.gold or GOLD), files, args.verbose)
    if everything or args.trees:
        own = [] if args.dirs else sorted((ROOT / "assets" / "reports").glob("*.md"))  # our samples hold trees too
        failed |= trees_check(files + own, args.verbose)
    if everything or args.cost:
        cost_check(files)
    if everything or args.terminal:
        terminal_classes(ROOT / (args.gold or GOLD), args.verbose)
    return 1 if failed else 0


# --- bash -n -------------------------------------------------------------------------------------------


def bash_n_check(files: list[Path], verbose: bool) -> bool:
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
    print(f"bash -n: {len(files)} reports, {total} commands: {passed} pass bash -n ({_pct(passed, total)}); "
          f"checklist/procedure commands: {steps_passed}/{steps_total} ({_pct(steps_passed, steps_total)}) "
          f"in {seconds:.1f} s")
    if verbose:
        for line in rejected:
            print("  rejected " + line)
    elif rejected:
        print(f"  {len(rejected)} rejected (-v lists them)")
    return bool(rejected)


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


# --- gold: labelled commands split back whole ------------------------------------------------------


def normalise(text: str) -> str:
    """GOLD.md's comparison: case, `\\`-newline continuations and runs of blanks ignored (lines kept)."""
    text = re.sub(r"\\[ \t]*\n[ \t]*", " ", text.casefold())
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def shell_blocks(text: str) -> list[tuple[str, str]]:
    """(code, lang) of every fenced block the parser splits into commands (a shell language)."""
    root = parse_sections(text)
    return [(block.code, block.lang) for section in root.walk() for block in section.blocks
            if block.kind == "code" and block.lang in vocab.SHELL_LANGS]


def _starts_a_line(command: str, code: str) -> bool:
    """The labelled command stands at the start of a line of the block (after a `$ ` prompt), up to its end or a comment."""
    pattern = r"(?:^|\n)(?:\$ ?|[#%>] )?" + re.escape(command) + r"(?=[ \t]*(?:#[^\n]*)?(?:\n|$))"
    return re.search(pattern, code) is not None


_COMPOUND_RE = re.compile(r"^(?:\{\s|\(|if\s|for\s|while\s|until\s|case\s|select\s|function\s|[\w-]+\s*\(\)\s*\{)")


def gold_check(gold_path: Path, files: list[Path], verbose: bool) -> bool:
    if not gold_path.is_file():
        print(f"gold: {gold_path} not found: skipped")
        return False
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    by_name = {path.name: path for path in files}
    labelled = in_blocks = whole = compound = 0
    glued: list[str] = []
    cut: list[str] = []
    start = time.perf_counter()
    for name, entry in sorted(gold.items()):
        path = by_name.get(name)
        commands = entry.get("commands", [])
        labelled += len(commands)
        if path is None:
            continue
        blocks = [(code, lang, normalise(code)) for code, lang in shell_blocks(read_text(path))]
        split_cache: dict[int, list[str]] = {}
        for command in commands:
            wanted = normalise(command)
            found = [i for i, (_, _, code) in enumerate(blocks) if _starts_a_line(wanted, code)]
            if not found:
                continue
            in_blocks += 1
            outcome = "cut"
            for i in found:
                if i not in split_cache:
                    code, lang, _ = blocks[i]
                    split_cache[i] = [normalise(c.command) for c in split_commands(code, lang)]
                split = split_cache[i]
                if wanted in split:
                    outcome = "whole"
                    break
                holders = [c for c in split if wanted in c]
                if holders and outcome != "compound":
                    outcome = "compound" if any(_COMPOUND_RE.match(c) for c in holders) else "glued"
            if outcome == "whole":
                whole += 1
            elif outcome == "compound":
                compound += 1
            else:
                (glued if outcome == "glued" else cut).append(f"{name}: {command[:160]!r}")
    seconds = time.perf_counter() - start
    print(f"gold: {labelled} labelled commands, {in_blocks} of them written in a fenced shell block: "
          f"{whole} split back whole ({_pct(whole, in_blocks)}), {compound} whole inside their compound command, "
          f"{len(glued)} glued to a neighbour, "
          f"{len(cut)} cut or lost, in {seconds:.1f} s")
    if verbose:
        for line in glued:
            print("  glued " + line)
        for line in cut:
            print("  cut " + line)
    elif glued or cut:
        print(f"  {len(glued) + len(cut)} not whole (-v lists them)")
    return bool(glued or cut)


# --- trees: nodes offered as commands ---------------------------------------------------------------


_PROSE_WORDS = frozenset("fail fails failed error errors not cannot can't is are was were or and the".split())


def _prose_left(command: str) -> str:
    """A prose word outside quotes: CJK text, an outcome or sentence word, a question ('' when none)."""
    unquoted = re.sub(r"'[^']*'|\"[^\"]*\"", "", command)
    cjk = _CJK_RE.search(unquoted)
    if cjk:
        return cjk.group(0)
    prose = [word for word in unquoted.split()[1:] if word.lower().strip("?？") in _PROSE_WORDS]
    if prose:
        return prose[0]
    return "?" if unquoted.rstrip().endswith(("?", "？")) else ""


def _program_first(command: str) -> bool:
    """The first word (after `sudo` and `VAR=value` words) is a program: one operators run, on PATH, or a path."""
    words = [w for w in command.split() if not re.match(r"^[A-Za-z_]\w*=", w)]
    while words and words[0] in ("sudo", "env", "time", "nohup"):
        words = words[1:]
    if not words:
        return False
    word = words[0]
    return word in vocab.COMMAND_PROGRAMS or "/" in word or shutil.which(word) is not None


def trees_check(files: list[Path], verbose: bool) -> bool:
    from kb.parse.flowchart import DECISION_TREE
    from kb.parse.tree_commands import report_programs
    from kb.runs.runbooks import decision_tree

    trees = nodes = offered = real = 0
    lines: list[str] = []
    bad: list[str] = []
    for path in files:
        report = parse_report(read_text(path), path.name)
        for chart in report.flowcharts:
            if chart.kind != DECISION_TREE:
                continue
            trees += 1
            programs = report_programs(c.command for c in report.commands if c.lang != "inline")
            tree = decision_tree(path.stem, chart.section or "tree", path.name, chart.nodes, chart.edges, programs)
            for step in tree.steps:
                nodes += 1
                for command in step.commands:
                    offered += 1
                    prose = _prose_left(command.command)
                    ok = _program_first(command.command) and accepts(_as_run(command.command)) and not prose
                    real += ok
                    note = f"   (note: {command.note})" if getattr(command, "note", "") else ""
                    line = f"{path.name} [{step.node}] {step.title!r} -> $ {command.command}{note}"
                    lines.append(("ok   " if ok else "BAD  ") + line)
                    if not ok:
                        bad.append(line + (f"  prose word {prose!r}" if prose else ""))
    print(f"trees: {trees} decision trees, {nodes} nodes, {offered} offered as commands: "
          f"{real} real commands, {offered - real} prose or invalid")
    for line in lines:
        print("  " + line)
    if verbose or bad:
        for line in bad:
            print("  not a command: " + line)
    return bool(bad)


# --- cost: import and parse ------------------------------------------------------------------------


def cost_check(files: list[Path]) -> None:
    """The grammar's import cost in a fresh process, and the splitter's time over every shell block."""
    probe = ("import time; t = time.perf_counter(); from kb.parse import shell_syntax; m = time.perf_counter(); "
             "shell_syntax.status('if true; then echo ok; fi'); print(m - t, time.perf_counter() - m)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [[float(x) for x in subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                                              check=True).stdout.split()] for _ in range(9)]
    module, grammar = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
    print(f"cost: the grammar's import and first compound parse: median {grammar * 1000:.0f} ms (importing the "
          f"splitter module before it: {module * 1000:.0f} ms), in a fresh process, 9 runs")
    from kb.parse import shell_syntax

    blocks = [(code, lang) for path in files for code, lang in shell_blocks(read_text(path))]
    calls = [0]
    run = subprocess.run

    def counted(*args, **kwargs):
        calls[0] += 1
        return run(*args, **kwargs)

    _clear_caches(shell_syntax)
    shell_syntax.subprocess.run = counted
    try:
        start = time.perf_counter()
        split = sum(len(split_commands(code, lang)) for code, lang in blocks)
        cold = time.perf_counter() - start
    finally:
        shell_syntax.subprocess.run = run
    print(f"cost: splitting {len(blocks)} shell blocks of {len(files)} reports into {split} commands: "
          f"{cold:.2f} s in process, {calls[0]} bash -n processes (caches cleared first)")


def _clear_caches(module) -> None:
    for value in vars(module).values():
        if hasattr(value, "cache_clear"):
            value.cache_clear()


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


if __name__ == "__main__":
    sys.exit(main())
