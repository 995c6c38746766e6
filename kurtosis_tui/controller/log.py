"""The controller's log: readable timestamped lines, and events for the initializer.

Log lines go to stdout (the initializer streams them live) and to
``/test-volume/controller.log`` (what plain output prints for a failed test),
flushed per line so nothing is lost when the process ends with ``os._exit``.
Events go to stdout only, behind ``protocol.EVENT_MARKER``. One lock orders
every write, so lines from the test's threads never interleave mid-line.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from pathlib import Path
from typing import TextIO

from kurtosis_tui import events, protocol


def timestamp(now: float | None = None) -> str:
    """``HH:MM:SS.mmm`` in UTC (the controller's container has no time zone)."""
    now = time.time() if now is None else now
    return time.strftime("%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}"


class ControllerLog:
    def __init__(self, stdout: TextIO, path: Path | None) -> None:
        self._stdout = stdout
        self._lock = threading.Lock()
        self._file: TextIO | None = None
        self.problem = ""
        if path is not None:
            try:
                self._file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (lives as long as us)
            except OSError as exc:
                self.problem = f"cannot write {path}: {exc}"

    def line(self, text: str, prefix: str = "") -> None:
        """Log ``text`` (each of its lines) with a timestamp."""
        stamp = timestamp()
        lines = [f"{stamp} {prefix}{part}".rstrip() + "\n" for part in text.splitlines() or [""]]
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
        text = protocol.EVENT_MARKER + events.to_wire(event) + "\n"
        with self._lock:
            self._write_stdout(text)
            self._flush_stdout()

    def forward(self, service: str, lines: list[str]) -> None:
        """A service's log lines, for the initializer (stdout only, behind LOG_MARKER)."""
        text = "".join(f"{protocol.LOG_MARKER}{service} {line}\n" for line in lines)
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
        self._pending = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def write(self, text: str) -> int:
        with self._lock:
            self._pending += text
            *complete, self._pending = self._pending.split("\n")
        for line in complete:
            self._log.line(line, self._prefix)
        return len(text)

    def flush(self) -> None:
        """Nothing: a partial line waits for its end (``print(".", end="", flush=True)``)."""

    def drain(self) -> None:
        """Log what is left of a partial line (at exit)."""
        with self._lock:
            rest, self._pending = self._pending, ""
        if rest:
            self._log.line(rest, self._prefix)
