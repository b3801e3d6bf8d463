"""Regular expressions compiled on first use, not at import.

Compiling is most of what importing our parser and search modules costs: a character class over the
CJK ranges alone takes about a millisecond to compile (re fills a 64K table in Python), and a
`runbook search` process imports modules holding ~200 patterns of which a query uses a few dozen
(bench/search_speed.py, `python -X importtime`). A `LazyPattern` stands where the compiled pattern
stood and compiles itself the first time one of its methods is looked up; after that the compiled
pattern's bound methods sit in its own `__dict__`, so a call costs what a call on the pattern costs.
"""

from __future__ import annotations

import re

_BOUND = ("search", "match", "fullmatch", "findall", "finditer", "sub", "subn", "split", "scanner")


class LazyPattern:
    """re.compile(pattern, flags), done when first used. `pattern` and `flags` read without compiling."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (for code that needs a real re.Pattern)."""
        if "_compiled" not in self.__dict__:
            self.__getattr__("search")
        return self.__dict__["_compiled"]

    def __getattr__(self, name: str) -> object:  # only called for what is not in __dict__ yet
        if name.startswith("__"):
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        self.__dict__["_compiled"] = compiled
        for method in _BOUND:
            self.__dict__[method] = getattr(compiled, method)
        self.__dict__["groups"] = compiled.groups
        self.__dict__["groupindex"] = compiled.groupindex
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r})"


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    """A pattern compiled on first use: module-level tables cost nothing until a caller needs them."""
    return LazyPattern(pattern, flags)
