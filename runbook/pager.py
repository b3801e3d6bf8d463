"""Long output on a terminal goes through a pager, the way git does it; colour obeys NO_COLOR.

Paged only when stdout is a terminal, the text is taller than it, and a pager is configured: `--no-pager`
(or `pager = false` / `RUNBOOK_PAGER=""`) turns it off; the command is `$RUNBOOK_PAGER`, else `pager` in
the config file, else `$PAGER`, else `less`, run through the shell with `LESS=FRX` (quit if one screen,
keep colours, leave the text on screen) and `LV=-c` when those are unset, as git sets them. In a pipe,
a redirect or a test, nothing changes: the text is printed as it is.

No click here: `runbook search` prints through this module, and its start-up is measured.
"""

import os
import sys

_disabled = False  # --no-pager


def disable(flag: bool = True) -> None:
    """--no-pager for this process (the search server turns it back off after each search it answers)."""
    global _disabled
    _disabled = flag


def disabled() -> bool:
    return _disabled


def no_color() -> bool:
    """NO_COLOR set to anything but the empty string (no-color.org); `--no-color` sets it."""
    return bool(os.environ.get("NO_COLOR"))


def colour_for(stream) -> bool:
    """Whether to style text written to stream: a terminal, and the operator did not say NO_COLOR."""
    return not no_color() and isatty(stream)


def show(text: str, err: bool = False) -> None:
    """Print text (already neutralised), through the pager when it is long and stdout is a terminal."""
    stream = sys.stderr if err else sys.stdout
    if not err and _should_page(text):
        command = pager_command()
        if command and _page(command, text):
            return
    stream.write(text + "\n")
    stream.flush()


def isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _should_page(text: str) -> bool:
    if _disabled or not isatty(sys.stdout):
        return False
    import shutil

    size = shutil.get_terminal_size((80, 24))
    return rows_needed(text, size.columns) > size.lines - 1  # the shell's prompt takes a line too


def rows_needed(text: str, columns: int) -> int:
    """How many terminal rows text takes: long lines wrap, a CJK character takes two cells."""
    import re
    import unicodedata

    columns = max(columns, 1)
    rows = 0
    for line in re.sub(r"\x1b\[[0-9;]*m", "", text).split("\n"):
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
        rows += max(1, -(-width // columns))
    return rows


def pager_command() -> str:
    """The pager to run ("" for none)."""
    if _disabled:
        return ""
    from runbook.config import setting

    command = str(setting("pager").value or "").strip()
    return "" if command == "cat" else command


def _page(command: str, text: str) -> bool:
    """Feed text to the pager; False if it could not start (then the caller prints the text)."""
    import shlex
    import shutil
    import signal
    import subprocess

    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return False
    if "=" not in program and shutil.which(program) is None:  # `LESS=-R less` runs through the shell
        return False
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    env.setdefault("LV", "-c")
    sys.stdout.flush()
    try:
        pager = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl+c belongs to the pager, as in git
    try:
        try:
            pager.stdin.write(text.encode("utf-8", "replace") + b"\n")
            pager.stdin.close()
        except (BrokenPipeError, OSError):  # the operator quit before reading it all
            pass
        pager.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    return True
