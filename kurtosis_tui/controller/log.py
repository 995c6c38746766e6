"""The controller's log: readable timestamped lines, and events for the initializer.

Log lines go to stdout (the initializer streams them live, and keeps that copy
as the log the user sees) and to ``/test-volume/controller.log``, flushed per
line so nothing is lost when the process ends with ``os._exit``. The file is
opened before any service starts, without following a symlink: a service that
later deletes or replaces it changes only its own view of the volume. Events
go to stdout only, behind ``protocol.EVENT_MARKER``. One lock orders every
write, so lines from the test's threads never interleave mid-line. Every line
and event passes the run's ``Redactor`` first (secrets masked, text encodable),
and every line is held to ``LINE_LIMIT``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from kurtosis_tui import events, protocol
from kurtosis_tui.redact import LINE_LIMIT, PartialLine, Redactor, cap_line

#: Characters of an outcome's message sent to the initializer (the log has it all).
MESSAGE_LIMIT = 16 * 1024


def timestamp(now: float | None = None) -> str:
    """``HH:MM:SS.mmm`` in UTC (the controller's container has no time zone)."""
    now = time.time() if now is None else now
    return time.strftime("%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}"


def open_log_file(path: Path) -> TextIO:
    """``path`` for appending, never through a symlink, never blocking on a FIFO."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    fd = os.open(path, flags, 0o644)
    return os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace")


class ControllerLog:
    def __init__(
        self, stdout: TextIO, path: Path | None, redactor: Redactor | None = None
    ) -> None:
        self._stdout = stdout
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self._redact = redactor or Redactor()
        self.problem = ""
        if path is not None:
            try:
                self._file = open_log_file(path)
            except OSError as exc:
                self.problem = f"cannot write {path}: {exc}"

    def mask(self, secrets: Iterable[str]) -> None:
        """Mask these values from now on (with those given at the start)."""
        self._redact = self._redact.with_values(secrets)

    def line(self, text: str, prefix: str = "") -> None:
        """Log ``text`` (each of its lines) with a timestamp."""
        stamp = timestamp()
        text = self._redact.text(text)
        lines = [
            f"{stamp} {prefix}{cap_line(part)}".rstrip() + "\n"
            for part in text.splitlines() or [""]
        ]
        with self._lock:
            for out in lines:
                self._write_stdout(out)
                if self._file is not None:
                    try:
                        self._file.write(out)
                        self._file.flush()
                    except (OSError, ValueError):
                        self._file = None
            self._flush_stdout()

    def event(self, event: events.TestEvent) -> None:
        """Send an event to the initializer (stdout only)."""
        event = self._redact.value(event)
        if isinstance(event, events.OutcomeReported) and len(event.message) > MESSAGE_LIMIT:
            event = dataclasses.replace(event, message=cap_line(event.message, MESSAGE_LIMIT))
        text = protocol.EVENT_MARKER + events.to_wire(event) + "\n"
        with self._lock:
            self._write_stdout(text)
            self._flush_stdout()

    def forward(self, service: str, lines: list[str]) -> None:
        """A service's log lines, for the initializer (stdout only, behind LOG_MARKER),
        which masks them again, base64 forms included (not looked for here: a flood)."""
        self._send_lines([f"{protocol.LOG_MARKER}{service} "] * len(lines), lines)

    def hand_over(self, container: str, first: int, lines: list[str]) -> None:
        """Lines of a container's log, numbered from ``first``, behind LOG_AT_MARKER
        (masked like ``forward``'s)."""
        self._send_lines(
            [f"{protocol.LOG_AT_MARKER}{container} {first + i} " for i in range(len(lines))],
            lines)

    def _send_lines(self, heads: list[str], lines: list[str]) -> None:
        text = self._redact.text(
            "".join(f"{head}{cap_line(line)}\n" for head, line in zip(heads, lines, strict=True)),
            encoded=False)
        with self._lock:
            self._write_stdout(text)
            self._flush_stdout()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
            self._flush_stdout()

    def _write_stdout(self, text: str) -> None:
        # if the initializer stopped reading, the file still has it
        with contextlib.suppress(OSError, ValueError):
            self._stdout.write(text)

    def _flush_stdout(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._stdout.flush()


class PrintCapture(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr``: what the test prints becomes log lines."""

    def __init__(self, log: ControllerLog, prefix: str = "| ") -> None:
        self._log = log
        self._prefix = prefix
        self._pending = PartialLine(LINE_LIMIT)
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            if "\n" not in text:  # linear however many pieces a line comes in
                self._pending.add(text)
                return len(text)
            first, *complete, last = text.split("\n")
            complete.insert(0, self._pending.take(first))
            self._pending.add(last)
        for line in complete:
            self._log.line(line, self._prefix)
        return len(text)

    def flush(self) -> None:
        """Nothing: a partial line waits for its end (``print(".", end="", flush=True)``)."""

    def drain(self) -> None:
        """Log what is left of a partial line (at exit)."""
        with self._lock:
            rest = self._pending.take() if self._pending else ""
        if rest:
            self._log.line(rest, self._prefix)
