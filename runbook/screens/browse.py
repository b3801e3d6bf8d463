"""A table of records beside a Markdown detail pane; the highlighted row loads in a worker.

Incidents and Runbooks are both this shape; each says what its rows are and how one renders.
The table fits its width: a column with nothing in it collapses, the title column takes what the
others leave, and a column that does not fit is hidden on purpose (the subtitle names it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown

from runbook.widgets.key_bar import KeyBarOrder

CELL_PADDING = 2  # DataTable pads each cell by one on either side
SCROLLBAR = 2


@dataclass
class Column:
    """One column of a record table: its cells, and how it gives way when the table is narrow."""

    key: str
    label: str
    cells: list[str] = field(default_factory=list)
    flexible: bool = False  # the title: takes the width the others leave, down to `minimum`
    minimum: int = 20
    priority: int = 0  # lower stays longer when the table is narrow
    cap: int = 0  # never wider than this (0: as wide as its widest cell)
    justify: str = "left"

    @property
    def natural(self) -> int:
        widest = max((cell_len(cell) for cell in self.cells), default=0)
        if not widest:
            return 0  # nothing in it: the column collapses
        widest = max(widest, cell_len(self.label))
        return min(widest, self.cap) if self.cap else widest


def fit_columns(columns: list[Column], width: int) -> tuple[list[tuple[Column, int]], list[Column]]:
    """The columns shown, in their order, with their widths; and those hidden because they did not fit."""
    present = [c for c in columns if c.natural]
    flexible = [c for c in present if c.flexible]
    used = sum(min(c.minimum, c.natural) + CELL_PADDING for c in flexible)
    chosen: set[str] = set()
    hidden: list[Column] = []
    for column in sorted((c for c in present if not c.flexible), key=lambda c: c.priority):
        if not hidden and used + column.natural + CELL_PADDING <= width:  # once one gives way, the rest do
            chosen.add(column.key)
            used += column.natural + CELL_PADDING
        else:
            hidden.append(column)
    spare = max(width - used, 0)
    shown = []
    for column in present:
        if column.flexible:
            base = min(column.minimum, column.natural)
            extra = min(spare, column.natural - base)
            spare -= extra
            shown.append((column, base + extra))
        elif column.key in chosen:
            shown.append((column, column.natural))
    return shown, [c for c in columns if c in hidden]


def cell(text: str, width: int, justify: str = "left") -> Text:
    """A cell cut to its column with an ellipsis, counting wide (CJK) characters as two."""
    out = Text(text, justify=justify, no_wrap=True)
    out.truncate(width, overflow="ellipsis")
    return out


class RecordTable(DataTable):
    """A row table where End and Home go to the last and first row, and Enter says "open this one"."""

    BINDINGS = [
        Binding("end", "scroll_bottom", "Last row", show=False),
        Binding("home", "scroll_top", "First row", show=False),
    ]

    class Opened(Message):
        """Enter on a row: the screen opens it (a click only highlights)."""

        def __init__(self, table: "RecordTable", key: str) -> None:
            super().__init__()
            self.table = table
            self.key = key

    class Resized(Message):
        def __init__(self, table: "RecordTable") -> None:
            super().__init__()
            self.table = table

    def action_select_cursor(self) -> None:
        if self.row_count and 0 <= self.cursor_row < self.row_count:
            key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
            if key is not None:
                self.post_message(self.Opened(self, key))

    def on_resize(self) -> None:
        self.post_message(self.Resized(self))

    def usable_width(self, rows: int) -> int:
        """The width cells may take: a vertical scrollbar takes its share when the rows overflow."""
        overflows = rows + int(self.show_header) > self.size.height
        return max(self.size.width - (SCROLLBAR if overflows else 0), 0)


class BrowseScreen(KeyBarOrder, Screen):
    TABLE_ID = "rows"
    DETAIL_ID = "detail"

    def __init__(self) -> None:
        super().__init__()
        self.current: dict | None = None
        self.summary = ""
        self._columns: list[Column] = []
        self._keys: list[str] = []
        self._laid_out_at = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="browse-body"):
            yield RecordTable(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True)
            with VerticalScroll(classes="browse-detail"):
                yield Markdown(id=self.DETAIL_ID)
        yield Footer()

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    @property
    def detail(self) -> Markdown:
        return self.query_one(f"#{self.DETAIL_ID}", Markdown)

    def load_record(self, key: str) -> dict:
        """Read one record (runs in a worker thread)."""
        raise NotImplementedError

    def render_record(self, record: dict) -> str:
        raise NotImplementedError

    def open_row(self, key: str) -> None:
        """Enter on a row."""

    # -- the table -----------------------------------------------------------------------------------
    def show_rows(self, columns: list[Column], keys: list[str], summary: str) -> None:
        """Fill the table with these columns (cells in the order of keys), fitted to its width."""
        self._columns, self._keys, self.summary = columns, keys, summary
        self._layout()

    @on(RecordTable.Resized)
    def _resized(self) -> None:
        if self.table.size != self._laid_out_at:
            self._layout()

    def _layout(self) -> None:
        table = self.table
        width = table.usable_width(len(self._keys)) or 60  # before the first layout: redone on the first resize
        self._laid_out_at = table.size
        highlighted = None
        if table.row_count and 0 <= table.cursor_row < table.row_count:
            highlighted = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        shown, hidden = fit_columns(self._columns, width)
        table.clear(columns=True)
        for column, column_width in shown:
            table.add_column(Text(column.label, justify=column.justify), width=column_width, key=column.key)
        for index, key in enumerate(self._keys):
            table.add_row(*(cell(column.cells[index], w, column.justify) for column, w in shown), key=key)
        if highlighted in self._keys:
            table.move_cursor(row=self._keys.index(highlighted))
        note = f" · {', '.join(c.label for c in hidden)}: wider window" if hidden else ""
        self.sub_title = self.summary + note

    def row_key(self, index: int) -> str | None:
        if 0 <= index < len(self._keys):
            return self._keys[index]
        return None

    @on(RecordTable.Opened)
    def _opened(self, event: RecordTable.Opened) -> None:
        self.open_row(event.key)

    @on(DataTable.RowHighlighted)
    def _row(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value if event.row_key is not None else None
        if key is not None and not (self.current is not None and self.current.get("key") == key):
            self._load(key)  # a relayout highlights the same row again: keep the pane where it was

    @work(thread=True, exclusive=True, group="browse")
    def _load(self, key: str) -> None:
        from kb.store.knowledge_base import KBError

        try:
            record = self.load_record(key)
        except KBError as exc:  # a broken runbook file, say: say so in the pane, keep the app
            self.current = None
            self.app.call_from_thread(self.detail.update, f"## Cannot open this\n\n{exc}")
            return
        record.setdefault("key", key)
        self.app.call_from_thread(self._show, record)

    def _show(self, record: dict) -> None:
        self.current = record
        self.detail.update(self.render_record(record))
        self.query_one(".browse-detail").scroll_home(animate=False)
