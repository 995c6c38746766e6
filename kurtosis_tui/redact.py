"""The one place text is made safe to show and store: secrets masked, encodable.

``--secret KEY=VALUE`` values are replaced by ``***`` wherever they appear, as CI
systems mask secrets. The same ``Redactor`` serves both sides: the controller
masks every log line and event before it leaves the process (stdout, and
``controller.log``, which services can read), and the initializer masks every
event before any view (plain output, TUI, JUnit, history) gets it, and every
result, since the test's own code can write to its stdout past the controller.

Text is also made encodable: a lone surrogate (``os.fsdecode(b"\\xe9")``) becomes
``\\udce9``, so no writer downstream fails on it. What cannot be masked: a secret
split over two lines, or printed transformed (base64, reversed, cut).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, TypeVar

MASK = "***"

T = TypeVar("T")


def encodable(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udcXX``: always valid UTF-8."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class Redactor:
    """Masks the values of the run's secrets in text, events and results."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first: a secret that contains another is masked whole
        self._values = sorted({s for s in secrets if s}, key=len, reverse=True)

    def with_values(self, secrets: Iterable[str]) -> Redactor:
        """A redactor that masks these values too."""
        return Redactor([*self._values, *secrets])

    def __bool__(self) -> bool:
        return bool(self._values)

    def text(self, text: str) -> str:
        """``text``, encodable, with every secret value replaced by ``***``."""
        text = encodable(text)
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def value(self, value: T) -> T:
        """Any string, tuple/list of them, or dataclass of them (events, results), masked."""
        return self._any(value)

    def _any(self, value: Any) -> Any:
        if type(value) is str:  # not an Enum's str (Outcome, Phase): those are ours
            return self.text(value)
        if isinstance(value, tuple):
            return tuple(self._any(v) for v in value)
        if isinstance(value, list):
            return [self._any(v) for v in value]
        if isinstance(value, dict):
            return {self._any(k): self._any(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for f in dataclasses.fields(value):
                if not f.init:
                    continue
                old = getattr(value, f.name)
                new = self._any(old)
                if new is not old and new != old:
                    changes[f.name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value


#: Characters of one log line that are kept; the rest is cut, and the cut says so.
#: A line without a newline (32 MiB of it) is read in linear time and held to this.
LINE_LIMIT = 1 << 20
#: What a reader of a stream keeps of one line: room for the controller's time stamp
#: and source prefix on top of a line it held to ``LINE_LIMIT``.
STREAM_LINE_LIMIT = LINE_LIMIT + 1024


def cut_note(dropped: int) -> str:
    """What ends a line cut at ``LINE_LIMIT``."""
    return f" [... {dropped:,} more characters cut]"


def cap_line(line: str, limit: int = LINE_LIMIT) -> str:
    """``line`` held to ``limit`` characters."""
    return line if len(line) <= limit else line[:limit] + cut_note(len(line) - limit)


class PartialLine:
    """The unfinished end of a stream's last line: linear to build, held to ``LINE_LIMIT``."""

    def __init__(self, limit: int = STREAM_LINE_LIMIT) -> None:
        self._limit = limit
        self._parts: list[str] = []
        self._size = 0
        self._dropped = 0

    def __bool__(self) -> bool:
        return bool(self._size or self._dropped)

    def add(self, text: str) -> None:
        room = self._limit - self._size
        if len(text) > room:
            self._dropped += len(text) - room
            text = text[:room]
        if text:
            self._parts.append(text)
            self._size += len(text)

    def take(self, end: str = "") -> str:
        """The line so far plus ``end`` (the text before its newline), capped; then empty."""
        self.add(end)
        line = "".join(self._parts)
        if self._dropped:
            line += cut_note(self._dropped)
        self._parts, self._size, self._dropped = [], 0, 0
        return line
