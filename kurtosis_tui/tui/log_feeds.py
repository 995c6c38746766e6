"""Logs made from other logs: the ``all`` tab (every source merged) and ``&``'s filter.

Both are ``LogBuffer``s of their own, so the log view, its search, ``s`` and
``y`` work on them unchanged, and both keep the same 10,000-line cap. The
``all`` log is appended to as lines arrive (``AttemptView.add_lines``), so it
is in arrival order (to the app's 50 ms flush; lines carry no timestamps).
A filter catches up on each flush (``catch_up``): only the lines that arrived
since are matched, so a flood costs work in proportion to what arrives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from kurtosis_tui.tui.log_buffer import LogBuffer

ALL = "all"


def new_lines(buf: LogBuffer, seen_total: int) -> list[str]:
    """The lines ``buf`` received since it had ``seen_total`` (those still kept)."""
    new = buf.total - seen_total
    if new <= 0:
        return []
    return buf.lines[-new:] if new < len(buf.lines) else list(buf.lines)


def tagged(source: str, lines: Iterable[str]) -> Iterator[str]:
    """Lines of the ``all`` log: each with its source in front."""
    tag = f"[{source}] "
    return (tag + line for line in lines)


class FilteredLog(LogBuffer):
    """The lines of ``base`` that match ``pattern`` (``&`` in ``less``), kept up live."""

    def __init__(self, base: LogBuffer, pattern: re.Pattern[str]) -> None:
        super().__init__(base.cap)
        self.base = base
        self.pattern = pattern
        self._seen = 0

    def catch_up(self) -> None:
        self.base.catch_up()
        fresh = new_lines(self.base, self._seen)
        self._seen = self.base.total
        search = self.pattern.search
        self.extend(line for line in fresh if search(line))


def compile_filter(text: str) -> re.Pattern[str]:
    """``&``'s regex (case-insensitive, as the search); ``re.error`` says what is wrong."""
    return re.compile(text, re.IGNORECASE)
