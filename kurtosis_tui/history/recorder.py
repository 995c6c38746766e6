"""The history's view: an event sink that keeps each run in the store.

Like the plain and JUnit views it only reads the event stream; the engine does
not know it exists. The sink itself only appends to memory (log lines into a
10,000-line ring per source, other events into a list), so a 50,000 lines/s
flood costs the engine's threads a deque append per batch. A thread of its
own writes to SQLite when an attempt finishes: the attempt's row, its logs
(compressed) and the events seen so far, in one transaction.

Anything wrong with the store (locked past the busy timeout, disk full,
corrupt, read-only, from a newer version) costs one warning line and
recording stops; the run goes on untouched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kurtosis_tui import events as ev
from kurtosis_tui.engine.owner import owner_token
from kurtosis_tui.history.codec import Said
from kurtosis_tui.history.store import AttemptRow, HistoryError, Store, keep_runs
from kurtosis_tui.suite_files import suite_files

#: Lines kept per log source of an attempt, as the TUI keeps.
LOG_CAP = 10_000
#: Seconds ``close`` waits for the writer to finish.
CLOSE_TIMEOUT = 15.0

LogKey = tuple[str, int, str]
Warn = Callable[[str], None]


def suite_hash(suite: Path) -> str:
    """A hash of the suite's files (paths and contents): runs at one hash ran one code."""
    digest = hashlib.sha256()
    for path in suite_files(suite):
        digest.update(path.relative_to(suite).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"\1unreadable")
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def warn_stderr(text: str) -> None:
    with contextlib.suppress(OSError):
        print(f"kurtosis-tui: {text}", file=sys.stderr, flush=True)


class _Ring:
    __slots__ = ("lines", "seen")

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=LOG_CAP)
        self.seen = 0


class Recorder:
    """``EventSink`` that records the run; ``close(exit_code)`` once the run is over."""

    def __init__(self, suite_dir: Path, *, repeat: int = 1, path: Path | None = None,
                 keep: int | None = None, warn: Warn = warn_stderr) -> None:
        self.keep = keep_runs() if keep is None else keep
        self.enabled = self.keep > 0
        self.warned = ""
        self.warn = warn
        self._path = path
        self._suite = str(suite_dir.resolve())
        self._hash = suite_hash(suite_dir) if self.enabled else ""
        self._repeat = repeat
        self._lock = threading.Lock()
        self._logs: dict[LogKey, _Ring] = {}
        self._pending: list[ev.Event] = []
        self._files: dict[str, str] = {}
        self._phases: dict[tuple[str, int], list[list[Any]]] = {}
        self._started: dict[tuple[str, int], float] = {}
        self._jobs: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.run_pk = 0

    # ------------------------------------------------------------ the sink

    def __call__(self, event: ev.Event) -> None:
        if not self.enabled:
            return
        if isinstance(event, ev.LogLines):
            key = (event.test, event.attempt, event.source)
            with self._lock:
                ring = self._logs.get(key)
                if ring is None:
                    ring = self._logs[key] = _Ring()
                ring.lines.extend(event.lines)
                ring.seen += len(event.lines)
            return
        job: tuple[str, Any] | None = None
        with self._lock:
            if self._closed:
                return
            self._pending.append(event)
            if isinstance(event, (ev.RunStarted, ev.SuiteChanged)):
                self._files.update({t.name: t.file for t in event.tests})
                if isinstance(event, ev.RunStarted):
                    job = ("begin", event)
            elif isinstance(event, ev.TestEvent):
                job = self._note(event)
            elif isinstance(event, ev.RunFinished):
                # Its results repeat the TestFinished ones: keep them without the logs.
                self._pending[-1] = ev.RunFinished(tuple(
                    dataclasses.replace(r, controller_log="") for r in event.results), event.at)
                job = ("flush", None)
            if self._thread is None:
                self._thread = threading.Thread(target=self._write_loop, daemon=True,
                                                name="kt-history")
                self._thread.start()
        if job is not None:
            self._jobs.put(job)

    def said(self, text: str) -> None:
        """A line plain output printed outside the event stream (``show`` prints it too)."""
        self(Said(text))

    def _note(self, event: ev.TestEvent) -> tuple[str, Any] | None:
        """Keep the attempt's timings; the job that writes it once it finished."""
        key = (event.test, event.attempt)
        spans = self._phases.setdefault(key, [])
        if isinstance(event, ev.TestStarted):
            self._started[key] = event.at
            return ("flush", None)  # stored at once: a run killed now still names it
        elif isinstance(event, ev.PhaseChanged):
            last = next((s for s in reversed(spans) if s[3] == "phase"), None)
            if last is not None and last[0] == event.phase.value:
                return None  # the controller, then the initializer, say teardown: one span
            _close(spans, "phase", event.at)
            if event.phase not in (ev.Phase.QUEUED, ev.Phase.DONE):
                spans.append([event.phase.value, event.at, None, "phase"])
        elif isinstance(event, ev.ServiceStarting):
            spans.append([event.service, event.at, None, "service"])
        elif isinstance(event, (ev.ServiceAvailable, ev.ServiceExited, ev.ServiceTimedOut)):
            _close(spans, "service", event.at, event.service)
        elif isinstance(event, ev.TestFinished):
            for span in spans:
                if span[2] is None:
                    span[2] = event.at
            return ("attempt", event)
        return None

    # ------------------------------------------------------------ the writer

    def _write_loop(self) -> None:
        store: Store | None = None
        seq = 0
        try:
            store = Store(self._path)
            while True:
                kind, payload = self._jobs.get()
                if kind == "begin":
                    run: ev.RunStarted = payload
                    self.run_pk = store.begin_run(run.run_id, run.at, self._suite, self._hash,
                                                  self._repeat, run.watching, owner_token())
                elif kind == "attempt":
                    seq += 1
                    store.add_attempt(*self._take_attempt(payload), seq=seq)
                elif kind in ("flush", "close"):
                    seq += 1
                    store.add_events(self.run_pk, seq, self._take_events())
                if kind == "close":
                    store.finish_run(self.run_pk, time.time(), payload)
                    store.prune(self.keep)
                    return
        except HistoryError as exc:
            self._give_up(str(exc))
        finally:
            if store is not None:
                store.close()

    def _take_events(self) -> list[ev.Event]:
        with self._lock:
            events, self._pending = self._pending, []
        return events

    def _take_attempt(self, done: ev.TestFinished) -> tuple[AttemptRow, list[Any], list[Any]]:
        key = (done.test, done.attempt)
        with self._lock:
            rings = {k: self._logs.pop(k) for k in list(self._logs) if k[:2] == key}
            events, self._pending = self._pending, []
            spans = self._phases.pop(key, [])
            started = self._started.pop(key, None)
            file = self._files.get(done.test, "")
        result = done.result or ev.TestResult(done.test, ev.Outcome.ERRORED, 0.0)
        row = AttemptRow(self.run_pk, done.test, done.attempt, file, result.outcome.value,
                         result.message, result.duration, started, done.at, spans)
        logs = [(k[2], list(r.lines), r.seen - len(r.lines)) for k, r in rings.items()]
        return row, logs, events

    def _give_up(self, reason: str) -> None:
        with self._lock:
            self.enabled = False
            self._pending, self._logs = [], {}
            first = not self.warned
            self.warned = reason
        if first:
            self.warn(f"history not recorded: {reason} (the run goes on)")

    def close(self, exit_code: int | None) -> None:
        """Write what is left, the run's exit code, drop runs past the kept number."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is None:
            return
        self._jobs.put(("close", exit_code))
        thread.join(CLOSE_TIMEOUT)
        if thread.is_alive():
            self._give_up(f"the history store did not answer in {CLOSE_TIMEOUT:.0f} s")


def _close(spans: list[list[Any]], kind: str, at: float, label: str | None = None) -> None:
    for span in reversed(spans):
        if span[3] == kind and span[2] is None and (label is None or span[0] == label):
            span[2] = at
            if label is not None:
                return


class Tee:
    """One sink that feeds several views in one order (the history replays that order)."""

    def __init__(self, *sinks: Callable[[ev.Event], None]) -> None:
        self._sinks = sinks
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            for sink in self._sinks:
                sink(event)
