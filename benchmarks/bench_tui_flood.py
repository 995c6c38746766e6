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

With ``--docker`` the same figures come from a REAL run instead: the CLI
(``kurtosis-tui run``) in the pseudo-terminal, a suite whose service (python3
in ``kurtosis-tui/redis:local``) prints 50,000 lines/s for 10 s, streamed by
the engine from Docker; the lag is measured from the time the service printed
its last line (stamped in the line; containers share the host's clock), and
the memory is the CLI process's peak RSS (engine and TUI together).

Measured here (2 cores, Docker 20.10, 17:08 UTC, a quiet machine): UI side
median 11 ms / 48 MB / 0.03 s behind; real run median 34 ms / 62 MB / 0.05-0.29 s
behind, the CLI process at ~80% of one core. While other Docker-heavy work
loaded the two cores (load average 7-8) the real run fell 5-18 s behind (the
UI side alone did not): dockerd's json-file logging, the flooding container
and our log reader then share too little CPU. Docker serves a finished
container's log at ~76,000 lines/s through the SDK on an idle core.

With ``--filter REGEX`` the log shown is the ``all`` tab (every source merged),
filtered with ``&`` to the lines that match REGEX (issue 15); the default
regex keeps about one line in nine and the END line. ``--idle N`` sets the idle
services of the real run (their CPU and memory are sampled every 2 s).

Usage: ``.venv/bin/python benchmarks/bench_tui_flood.py [--rate 50000] [--seconds 10] [--docker]
[--filter [REGEX]] [--idle N]``
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


FILTER = r"page=(1[0-9]|4) |END"  # ~11 lines in 97, and the last line


def child(rate: int, seconds: float, out: Path, record: Path | None = None,
          regex: str | None = None) -> None:
    """Run the app in this (pseudo-)terminal with a flooding scripted session.

    ``record``: the history's recorder sees every event too (``record/history.db``),
    as it does in a real run. ``regex``: the all tab, filtered with ``&``."""
    from kurtosis_tui import events as ev
    from kurtosis_tui.engine.interface import EventSink
    from kurtosis_tui.tui.app import KurtosisApp
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from support.fake import FakeSession, info  # test support, not shipped

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
        figures["cpu_start"] = time.process_time()
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
        figures["cpu_end"] = time.process_time()
        figures["lines"] = total

    tests = [info("Flood"), info("Idle")]
    recorder = None
    if record is not None:
        from kurtosis_tui.history.recorder import Recorder, Tee

        recorder = Recorder(record, path=record / "history.db", keep=100)
        recorder(ev.RunStarted("flood1", tuple(tests)))

    def factory(sink: EventSink) -> FakeSession:
        session = FakeSession(Tee(sink, recorder) if recorder is not None else sink)
        threading.Thread(target=flood, args=(session,), daemon=True).start()
        return session

    app = KurtosisApp(tests=tests, session_factory=factory)

    def show_flood() -> None:
        from kurtosis_tui.tui.components.log_panel import LogPanel

        app.action_show_source("web" if regex is None else "all")
        if regex is not None:
            app.query_one(LogPanel).apply_filter(regex)
        app.action_focus_panel("services")

    app.call_later(lambda: app.set_timer(0.5, show_flood))
    app.run()
    if recorder is not None:
        recorder.close(app.return_code)
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


def parent(rate: int, seconds: float, record: Path | None = None,
           regex: str | None = None) -> dict[str, float]:
    out = Path(tempfile.mkdtemp()) / "figures.json"
    pid, fd = pty.fork()
    if pid == 0:  # the app's process
        os.environ.update(TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        try:
            child(rate, seconds, out, record, regex)
        finally:
            os._exit(0)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    term = Terminal(fd)
    shown = b"log: web" if regex is None else b"log: all"
    if term.wait_for(shown, 0, 30) is None:
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
        "cpu_share": (figures["cpu_end"] - figures["cpu_start"])
        / (figures["flood_end"] - figures["flood_start"]),
    }
    return result


# ---------------------------------------------------------------- the real run

FLOOD_SCRIPT = """
import sys, time
rate, seconds = {rate}, {seconds}
print("flood start", flush=True)
time.sleep(3)
out = sys.stdout
total = int(rate * seconds)
start = time.monotonic()
for first in range(0, total, 500):
    delay = start + first / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    last = min(first + 500, total)
    out.write("".join(f"web | GET /api/items?page={{i % 97}} 200 3.{{i % 10}}ms seq={{i}}\\n"
                      for i in range(first, last - (last == total))))
    if last == total:
        out.write(f"web | seq={{total - 1}} END at={{time.time():.3f}}\\n")
    out.flush()
time.sleep(3600)
"""

SUITE = """
import time
from kurtosis_tui import Network, Test, checks

class Flood(Test):
    \"\"\"A service writing {rate} lines/s for {seconds} s.\"\"\"
    setup_timeout = 120
    run_timeout = 120

    def setup(self, network: Network) -> None:
        network.add_service("web", image="kurtosis-tui/redis:local",
                            command=["python3", "-c", {script!r}],
                            ready=checks.log("flood start"))
        for i in range(1, {idle} + 1):
            network.add_service(f"svc{{i:02d}}", image="kurtosis-tui/busybox:local",
                                command=["sleep", "3600"])

    def run(self, network: Network) -> None:
        time.sleep({seconds} + 8)
"""


def docker_run(rate: int, seconds: float, regex: str | None = None,
               idle: int = 0) -> dict[str, float]:
    """The CLI on a real suite in a pty; figures as in ``parent``."""
    idle = idle or int(seconds)
    suite = Path(tempfile.mkdtemp(prefix="kt-flood-"))
    script = FLOOD_SCRIPT.format(rate=rate, seconds=seconds)
    (suite / "flood.py").write_text(SUITE.format(rate=rate, seconds=seconds, idle=idle,
                                                 script=script))
    exe = Path(sys.executable).with_name("kurtosis-tui")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color")
        os.execv(str(exe), [str(exe), "run", str(suite)])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    term = Terminal(fd)
    if term.wait_for(b"svc%02d" % idle, 0, 180) is None:
        raise SystemExit("the services did not start")
    shown = b"log: web"
    if regex is None:
        term.write(b"]")  # the web service's log
    else:  # the all tab (before the timeline, the last), filtered with &
        shown = b"lines match &"  # the log's caption once the filter is applied
        # Keys one at a time: Textual moves the focus after the keys already read.
        for key in (b"[", b"[", b"3", b"&", regex.encode() + b"\r"):
            term.write(key)
            time.sleep(0.3)  # pacing the typist, not synchronising
    term.write(b"2")  # focus the services panel
    if term.wait_for(shown, 0, 30) is None:
        with term.lock:
            tail = b"".join(data for _, data in term.chunks)[-3000:]
        print(tail.decode("utf-8", "replace"), file=sys.stderr)
        raise SystemExit("the app did not show the flooding log")
    if term.wait_for(b" seq=", 0, 30) is None:
        raise SystemExit("the flood did not start")
    latencies: list[float] = []
    start = time.monotonic()
    cpu_start = _cpu_of(pid)
    for i in range(1, min(idle, int(seconds * 1.25)) + 1):
        time.sleep(max(0.0, start + 0.8 * i - time.monotonic()))
        since = term.mark()
        pressed = time.monotonic()
        term.write(b"\x1b[B")
        seen = term.wait_for(b"svc%02d" % i, since, 10)
        if seen is not None:
            latencies.append((seen - pressed) * 1000)
    end_mark = b"seq=%d END at=" % (int(rate * seconds) - 1)
    seen_end = term.wait_for(end_mark, 0, seconds + 60)
    cpu_share = (_cpu_of(pid) - cpu_start) / (time.monotonic() - start)
    lag = float("nan")
    if seen_end is not None:
        with term.lock:
            blob = b"".join(data for _, data in term.chunks)
        stamp = blob[blob.index(end_mark) + len(end_mark):][:14]
        wall_seen = time.time() - (time.monotonic() - seen_end)
        lag = wall_seen - float(stamp.split(b"\x1b")[0].split(b" ")[0])
    term.write(b"q")
    term.closed.wait(60)
    os.waitpid(pid, 0)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "lines": rate * seconds,
        "rate_lines_per_s": float(rate),
        "presses": len(latencies),
        "repaint_median_ms": statistics.median(latencies) if latencies else float("nan"),
        "repaint_max_ms": max(latencies) if latencies else float("nan"),
        "peak_rss_mb": peak,
        "log_lag_s": lag,
        "cpu_share": cpu_share,
    }


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=50_000, help="lines per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--docker", action="store_true",
                        help="a real run: the CLI, the engine and a flooding container")
    parser.add_argument("--record", type=Path, metavar="DIR",
                        help="UI side: the history records the run too, into DIR/history.db")
    parser.add_argument("--filter", nargs="?", const=FILTER, default=None, metavar="REGEX",
                        help="show the all tab filtered with & (default: %(const)s)")
    parser.add_argument("--idle", type=int, default=0, help="idle services of the real run")
    args = parser.parse_args()
    if args.docker:
        result = docker_run(args.rate, args.seconds, args.filter, args.idle)
        source = f"a container, streamed by the engine, {args.idle or int(args.seconds)} idle"
    else:
        result = parent(args.rate, args.seconds, args.record, args.filter)
        source = "a scripted session (UI side only)"
        if args.record:
            source += ", the history recording"
    if args.filter:
        source += f"; the all tab filtered with & {args.filter!r}"
    print(f"flood from {source}: {result['lines']:,.0f} lines at "
          f"{result['rate_lines_per_s']:,.0f} lines/s, {COLS}x{ROWS} terminal")
    print(f"key press -> repaint: median {result['repaint_median_ms']:.0f} ms, "
          f"max {result['repaint_max_ms']:.0f} ms over {result['presses']} presses "
          f"(goal <= {GOALS['repaint_median_ms']:.0f} ms)")
    print(f"peak memory (RSS): {result['peak_rss_mb']:.0f} MB "
          f"(goal <= {GOALS['peak_rss_mb']:.0f} MB)")
    print(f"log view behind at the end: {result['log_lag_s']:.2f} s "
          f"(goal <= {GOALS['log_lag_s']:.0f} s)")
    if "cpu_share" in result:
        mine = "engine and TUI" if args.docker else "producer thread included"
        print(f"app process CPU during the flood: {result['cpu_share']:.0%} of one core "
              f"({mine})")
    ok = all(result[k] <= goal for k, goal in GOALS.items())
    print("all goals met" if ok else "GOAL MISSED")
    # The last line: the figure for run_all.py (RESULTS.md's summary table).
    print(json.dumps({"figures": [{
        "name": "TUI log flood: log view behind at the end"
                + (" (the all tab, filtered)" if args.filter else ""),
        "value": round(result["log_lag_s"], 3), "unit": "s",
        "goal": "repaint median <= 200 ms, RSS <= 300 MB, <= 1 s behind",
        "met": ok,
        "method": f"{args.rate:,} lines/s for {args.seconds:.0f} s into the real app in a "
                  f"{COLS}x{ROWS} pseudo-terminal; see the script's docstring",
        "details": {k: round(v, 3) for k, v in result.items()},
    }]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
