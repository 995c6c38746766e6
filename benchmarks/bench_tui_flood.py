"""The TUI under a log flood: one service writing 50,000 lines/s for 10 s.

Method (UI side; no Docker): the real app runs in a pseudo-terminal with
Textual's real terminal driver, fed by a scripted session whose producer thread
emits ``LogLines`` at 50,000 lines/s in batches of 200 (what the engine's
``logbatch`` sends: one event per 200 lines or 50 ms). The flooding service's
log is on screen the whole time.

- key press to repaint: every 0.5 s the parent writes ``down`` into the
  terminal (the services panel has focus); the repaint is the first output
  after the write that contains the newly highlighted service's name (each
  name is unique and is not redrawn otherwise). Median and max are printed.
- memory: the app process's peak RSS (``ru_maxrss``).
- log lag: from the producer's last batch to the first output containing the
  last line (``... seq=499999 END``), clocks from ``time.monotonic`` (one clock
  for both processes).

Usage: ``.venv/bin/python benchmarks/bench_tui_flood.py [--rate 50000] [--seconds 10]``
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import resource
import statistics
import struct
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

COLS, ROWS = 120, 40
SERVICES = [f"svc{i:02d}" for i in range(1, 31)]
BATCH = 200
GOALS = {"repaint_median_ms": 200.0, "peak_rss_mb": 300.0, "log_lag_s": 1.0}


# ---------------------------------------------------------------- the app side


def child(rate: int, seconds: float, out: Path) -> None:
    """Run the app in this (pseudo-)terminal with a flooding scripted session."""
    from kurtosis_tui import events as ev
    from kurtosis_tui.engine.api import EventSink
    from kurtosis_tui.tui.app import KurtosisApp
    from kurtosis_tui.tui.fake import FakeSession, info

    figures: dict[str, float] = {}

    def flood(session: FakeSession) -> None:
        name = "Flood"
        session.emit(ev.TestQueued(name), ev.TestStarted(name),
                     ev.ServiceStarting(name, service="web", image="flood:local"),
                     ev.ServiceAvailable(name, service="web", seconds=0.1))
        for svc in SERVICES:
            session.emit(ev.ServiceStarting(name, service=svc, image="idle:local"),
                         ev.ServiceAvailable(name, service=svc, seconds=0.1))
        time.sleep(1.0)  # let the parent see the first screen
        total = int(rate * seconds)
        start = time.monotonic()
        figures["flood_start"] = start
        for first in range(0, total, BATCH):
            due = start + first / rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # pacing the producer, not synchronising
            last = min(first + BATCH, total)
            lines = tuple(
                f"web | GET /api/items?page={i % 97} 200 3.{i % 10}ms seq={i}"
                + (" END" if i == total - 1 else "")
                for i in range(first, last))
            session.emit(ev.LogLines(name, source="web", lines=lines))
        figures["flood_end"] = time.monotonic()
        figures["lines"] = total

    def factory(sink: EventSink) -> FakeSession:
        session = FakeSession(sink)
        threading.Thread(target=flood, args=(session,), daemon=True).start()
        return session

    app = KurtosisApp(tests=[info("Flood"), info("Idle")], session_factory=factory)

    def show_flood() -> None:
        app.action_show_source("web")
        app.action_focus_panel("services")

    app.call_later(lambda: app.set_timer(0.5, show_flood))
    app.run()
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.write_text(json.dumps(figures))


# ---------------------------------------------------------------- the terminal side


class Terminal:
    """Reads everything the app writes, with the time each chunk arrived."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.chunks: list[tuple[float, bytes]] = []
        self.lock = threading.Lock()
        self.closed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                break
            if not data:
                break
            with self.lock:
                self.chunks.append((time.monotonic(), data))
        self.closed.set()

    def mark(self) -> int:
        with self.lock:
            return len(self.chunks)

    def wait_for(self, needle: bytes, since: int, timeout: float) -> float | None:
        """The arrival time of the first chunk from ``since`` on that contains ``needle``."""
        deadline = time.monotonic() + timeout
        seen = since
        tail = b""
        while time.monotonic() < deadline:
            with self.lock:
                new = self.chunks[seen:]
            for at, data in new:
                if needle in tail + data:
                    return at
                tail = data[-len(needle):]
            seen += len(new)
            if self.closed.is_set():
                return None
            time.sleep(0.002)
        return None

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)


def parent(rate: int, seconds: float) -> dict[str, float]:
    out = Path(tempfile.mkdtemp()) / "figures.json"
    pid, fd = pty.fork()
    if pid == 0:  # the app's process
        os.environ.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        try:
            child(rate, seconds, out)
        finally:
            os._exit(0)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    term = Terminal(fd)
    if term.wait_for(b"log: web", 0, 30) is None:
        raise SystemExit("the app did not show the flooding log")
    start = time.monotonic()
    latencies: list[float] = []
    for svc in SERVICES[: int(seconds * 2)]:
        time.sleep(max(0.0, start + 0.5 * (len(latencies) + 1) - time.monotonic()))
        since = term.mark()
        pressed = time.monotonic()
        term.write(b"\x1b[B")  # down: the next service row is highlighted
        seen = term.wait_for(svc.encode(), since, 10)
        if seen is not None:
            latencies.append((seen - pressed) * 1000)
    end_seen = term.wait_for(b"seq=%d END" % (int(rate * seconds) - 1), 0, seconds + 30)
    term.write(b"q")
    term.closed.wait(30)  # the app tears down (a fake session: at once) and exits
    os.waitpid(pid, 0)
    figures = json.loads(out.read_text())
    result = {
        "lines": figures["lines"],
        "rate_lines_per_s": figures["lines"] / (figures["flood_end"] - figures["flood_start"]),
        "presses": len(latencies),
        "repaint_median_ms": statistics.median(latencies) if latencies else float("nan"),
        "repaint_max_ms": max(latencies) if latencies else float("nan"),
        "peak_rss_mb": figures["peak_rss_mb"],
        "log_lag_s": (end_seen - figures["flood_end"]) if end_seen else float("nan"),
    }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=50_000, help="lines per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    result = parent(args.rate, args.seconds)
    print(f"flood: {result['lines']:,} lines at {result['rate_lines_per_s']:,.0f} lines/s, "
          f"{COLS}x{ROWS} terminal")
    print(f"key press -> repaint: median {result['repaint_median_ms']:.0f} ms, "
          f"max {result['repaint_max_ms']:.0f} ms over {result['presses']} presses "
          f"(goal <= {GOALS['repaint_median_ms']:.0f} ms)")
    print(f"peak memory (RSS): {result['peak_rss_mb']:.0f} MB "
          f"(goal <= {GOALS['peak_rss_mb']:.0f} MB)")
    print(f"log view behind at the end: {result['log_lag_s']:.2f} s "
          f"(goal <= {GOALS['log_lag_s']:.0f} s)")
    ok = all(result[k] <= goal for k, goal in GOALS.items())
    print("all goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
