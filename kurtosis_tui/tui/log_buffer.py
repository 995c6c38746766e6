"""One log source's lines as the TUI keeps them: the last ``LOG_CAP``, numbered."""

from __future__ import annotations

from collections.abc import Iterable

#: Lines kept per log source (k9s keeps 5,000; toolong pages a file instead).
LOG_CAP = 10_000


class LogBuffer:
    """The last ``cap`` lines of one log, numbered from the first line ever seen.

    ``dropped`` counts lines trimmed from the front, so ``dropped + i`` is the
    absolute number of ``lines[i]``: views use it to keep a paused position
    steady while old lines fall off.
    """

    def __init__(self, cap: int = LOG_CAP) -> None:
        self.cap = cap
        self.lines: list[str] = []
        self.dropped = 0

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            # A chunk may carry several lines or a trailing newline: one row per line.
            if "\n" in line or "\r" in line:
                self.lines.extend(line.splitlines())
            else:
                self.lines.append(line)
        excess = len(self.lines) - self.cap
        if excess > 0:
            del self.lines[:excess]
            self.dropped += excess

    def catch_up(self) -> None:
        """A log made from others (``log_feeds``) takes their new lines; a plain one has none."""

    @property
    def total(self) -> int:
        """Lines ever received."""
        return self.dropped + len(self.lines)

    def text(self) -> str:
        return "\n".join(self.lines) + ("\n" if self.lines else "")
