"""Progress of long work on a terminal, as git prints it: `ingesting:  48% (12/25), eta 3 s`, rewritten in
place on stderr, then `ingesting: 100% (25/25), done in 6.1 s.`, and a line per phase after it
(`indexing:  40% (2000/5000), eta 9 s`). Silent when stderr is not a terminal (a pipe, a log file, a test)
and for a handful of files, where a bar would only flicker."""

from __future__ import annotations

import sys
import time

MANY = 20  # fewer files take about a second


class Progress:
    def __init__(self, label: str, stream=None, many: int = MANY) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.many = many
        self.total = 0
        self.done = 0
        self.started = 0.0
        self.shown_at = 0.0
        self.active = False

    def start(self, total: int) -> None:
        try:
            terminal = self.stream.isatty()
        except (AttributeError, ValueError):
            terminal = False
        self.active = terminal and total >= self.many
        self.total, self.done, self.started = total, 0, time.monotonic()
        if self.active:
            self._show()

    def advance(self, n: int = 1) -> None:
        if not self.active:
            return
        self.done = min(self.done + n, self.total)
        now = time.monotonic()
        if now - self.shown_at >= 0.1 or self.done == self.total:
            self._show()

    def phase(self, label: str, total: int):
        """The next phase of the same work (a first ingest parses its files, then indexes ~10 documents a
        report): the bar so far is finished, a new one counts this phase with its own ETA. Shown only if
        the work so far was (a handful of files gets no bar for its indexing either)."""
        shown = self.active
        self.finish()
        self.label = label
        if not shown:
            return None
        self.start(total)
        return self.advance if self.active else None

    def finish(self) -> None:
        if not self.active:
            return
        self.active = False
        self.done = self.total  # the work is over, whatever the last tick said
        elapsed = time.monotonic() - self.started
        self._write(f"{self.label}: {self._count()}, done in {elapsed:.1f} s.\n")

    def _count(self) -> str:
        percent = 100 * self.done // self.total if self.total else 100
        return f"{percent:3d}% ({self.done}/{self.total})"

    def _show(self) -> None:
        self.shown_at = time.monotonic()
        line = f"{self.label}: {self._count()}"
        if 0 < self.done < self.total:
            left = (self.shown_at - self.started) / self.done * (self.total - self.done)
            line += f", eta {_duration(left)}"
        self._write(line)

    def _write(self, line: str) -> None:
        import shutil

        width = shutil.get_terminal_size((80, 24)).columns
        end = "\n" if line.endswith("\n") else ""
        line = line.rstrip("\n")[: max(width - 1, 10)]
        self.stream.write(f"\r{line}\x1b[K{end}")  # \x1b[K clears what a longer line left
        self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
