"""The key bar's order: F1 Help first, then the screen's own keys, then the app's (F2-F5, quit).

Textual's footer lists the focused widget's keys, then the screen's, then the app's, and cuts what does
not fit: at 80 columns that was F4, F5, F1 and, on the run screen, `a Abort` and `q Leave`. A screen
that mixes this in keeps the keys that matter on screen: F1 (which lists every key, the hidden ones
too) and the screen's own, which are few and short (the less used are `show=False`, in F1's list);
what is cut at 80 columns is the tail of the screen-switch keys, which F1 and ctrl+p also reach.
"""

from __future__ import annotations

HELP_ID = "app.help"


class KeyBarOrder:
    """Mix into a Screen (before Screen): its key bar lists F1, its own keys, then the app's."""

    @property
    def active_bindings(self):
        bindings = super().active_bindings  # type: ignore[misc]
        app = self.app  # type: ignore[attr-defined]

        def rank(item) -> int:
            active = item[1]
            if active.binding.id == HELP_ID:
                return 0
            return 2 if active.node is app else 1

        return dict(sorted(bindings.items(), key=rank))  # stable: each group keeps its own order
