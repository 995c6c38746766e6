"""The one place text is made safe to show and store: secrets masked, encodable.

``--secret KEY=VALUE`` values are replaced by ``***`` wherever they appear, as CI
systems mask secrets. The same ``Redactor`` serves both sides: the controller
masks every log line and event before it leaves the process (stdout, and
``controller.log``, which services can read), and the initializer masks every
event before any view (plain output, TUI, JUnit, history) gets it, and every
result, since the test's own code can write to its stdout past the controller.

A secret printed base64-encoded (``base64``, ``b64encode``, an HTTP Basic
``Authorization`` header) is masked too: wherever the secret starts in what was
encoded, its encoding holds one of three strings (one per alignment of the
secret to the encoder's 3-byte groups), whole but for the first and last
character or two, which also depend on the bytes around it (``base64_forms``).
The URL-safe alphabet is covered as well.

Text is also made encodable: a lone surrogate (``os.fsdecode(b"\\xe9")``) becomes
``\\udce9``, so no writer downstream fails on it. What cannot be masked: a secret
split over two lines (its base64 wrapped at 76 characters included), the base64
of a secret under 7 bytes at some alignment (a form under ``B64_MIN`` characters
would match by chance), or a secret printed otherwise transformed (hex,
reversed, cut).

Cost: each secret is 4 to 7 strings to look for. A batch of lines (a
``LogLines`` event) is searched once as a whole, and line by line only when
something was found in it, so a chatty service pays about what it paid for the
secret alone; the controller's forwarding of its services' lines, which the
initializer masks again in full, looks for the secrets alone
(``benchmarks/bench_redact.py``).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterable
from functools import cache
from typing import Any, TypeVar

MASK = "***"
_SCALARS = frozenset({int, float, bool, type(None)})
#: The shortest base64 form of a secret that is masked: shorter ones are too likely by chance.
B64_MIN = 6

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


def base64_forms(secret: str) -> set[str]:
    """What the base64 of any text holding ``secret`` surely contains (standard and URL-safe
    alphabets; one form per alignment of the secret to the 3-byte groups, each the
    characters that depend on the secret's bytes alone), but forms under ``B64_MIN``."""
    raw = secret.encode("utf-8", "surrogateescape")
    forms = set()
    for shift in range(3):  # the secret's first byte at position 0, 2 or 1 of a group
        aligned = raw[shift:]
        # 4 characters per whole group; of a last group of 1 or 2 bytes, the first 1 or 2
        # (the next depends on the byte after the secret too)
        keep = len(aligned) // 3 * 4 + len(aligned) % 3
        form = base64.b64encode(aligned).decode("ascii")[:keep]
        if len(form) >= B64_MIN:
            forms.add(form)
            forms.add(form.replace("+", "-").replace("/", "_"))
    return forms


class Redactor:
    """Masks the values of the run's secrets in text, events and results."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first: a secret that contains another is masked whole
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        forms = set(self._secrets)
        for secret in self._secrets:
            forms |= base64_forms(secret)
        self._values = sorted(forms, key=len, reverse=True)
        self._shortest = min(map(len, self._values), default=0)

    def with_values(self, secrets: Iterable[str]) -> Redactor:
        """A redactor that masks these values too."""
        return Redactor([*self._secrets, *secrets])

    def __bool__(self) -> bool:
        return bool(self._values)

    def text(self, text: str, *, encoded: bool = True) -> str:
        """``text``, encodable, with every secret value replaced by ``***``; its base64
        forms too unless ``encoded=False`` (for text the initializer masks again in full:
        a service's lines forwarded by the controller, a flood's hot path)."""
        if not text.isascii():  # (the common case spared a call: this runs per log line)
            text = encodable(text)
        if len(text) < self._shortest:  # names, ids, sources: nothing to look for
            return text
        for value in self._values if encoded else self._secrets:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def value(self, value: T) -> T:
        """Any string, tuple/list of them, or dataclass of them (events, results), masked."""
        return self._any(value)

    def _clean(self, lines: tuple[str, ...]) -> bool:
        """Whether none of ``lines`` needs a change: one search of them all per value (a
        log batch). A value found, or a character outside ASCII, sends them line by
        line; a value holding a newline can only do that too, never hide a match."""
        if not all(type(line) is str for line in lines):
            return False
        joined = "\n".join(lines)
        return joined.isascii() and not any(value in joined for value in self._values)

    def _any(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:  # not an Enum's str (Outcome, Phase): those are ours
            return self.text(value)
        if kind in _SCALARS:
            return value
        if isinstance(value, tuple):
            if len(value) > 1 and self._clean(value):
                return value
            return tuple(self._any(v) for v in value)
        if isinstance(value, list):
            return [self._any(v) for v in value]
        if isinstance(value, dict):
            return {self._any(k): self._any(v) for k, v in value.items()}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {}
            for name in _init_fields(type(value)):
                old = getattr(value, name)
                new = self._any(old)
                if new is not old and new != old:
                    changes[name] = new
            return dataclasses.replace(value, **changes) if changes else value
        return value


@cache
def _init_fields(cls: type) -> tuple[str, ...]:
    """The fields ``dataclasses.replace`` takes, per class (asked once per event otherwise)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


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
