"""A run's events as the engine emits them, recorded into a store of a test's own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome, Phase, TestInfo, TestResult
from kurtosis_tui.history.recorder import Recorder
from kurtosis_tui.history.store import Store

TESTS = (TestInfo("Good", "test_a.py", 3, "passes"), TestInfo("Bad", "sub/test_b.py", 7))


def story(run_id: str, bad: Outcome = Outcome.FAILED, t0: float | None = None,
          attempt: int = 1, announce: bool = True) -> list[ev.Event]:
    """A run of two tests, Good passing and Bad ending ``bad``, as the engine emits it."""
    t0 = time.time() if t0 is None else t0
    out: list[ev.Event] = [ev.RunStarted(run_id, TESTS, parallelism=2, at=t0)] if announce else []
    for name, outcome in (("Good", Outcome.PASSED), ("Bad", bad)):
        out += [
            ev.TestQueued(name, attempt, at=t0),
            ev.TestStarted(name, attempt, at=t0 + 0.1),
            ev.PhaseChanged(name, attempt, at=t0 + 0.1, phase=Phase.NETWORK),
            ev.NetworkCreated(name, attempt, at=t0 + 0.2, name=f"kt-{name}", subnet="10.0.0.0/24"),
            ev.PhaseChanged(name, attempt, at=t0 + 0.3, phase=Phase.SETUP),
            ev.ServiceStarting(name, attempt, at=t0 + 0.4, service="web", image="img"),
            ev.ServiceStarted(name, attempt, at=t0 + 0.5, service="web", ip="10.0.0.2"),
            ev.LogLines(name, attempt, at=t0 + 0.6, source="web", lines=("web up", "GET /")),
            ev.ServiceAvailable(name, attempt, at=t0 + 0.7, service="web", seconds=0.2),
            ev.PhaseChanged(name, attempt, at=t0 + 0.8, phase=Phase.RUN),
            ev.LogLines(name, attempt, at=t0 + 0.9, source="controller",
                        lines=(f"{name} runs", "| printed")),
            ev.PhaseChanged(name, attempt, at=t0 + 1.0, phase=Phase.TEARDOWN),
            ev.PhaseChanged(name, attempt, at=t0 + 1.05, phase=Phase.TEARDOWN),
            ev.TestFinished(name, attempt, at=t0 + 1.2, result=TestResult(
                name, outcome, 1.1, "" if outcome is Outcome.PASSED else "assert 1 == 2",
                controller_log=f"12:00:00 {name} log\n| printed\n")),
        ]
    out.append(ev.RunFinished(results=(), at=t0 + 1.3))
    return out


def record(tmp_path: Path, events: list[ev.Event], *, exit_code: int = 1, keep: int = 100,
           suite: Path | None = None, warnings: list[str] | None = None,
           repeat: int = 1) -> Recorder:
    suite = suite or make_suite(tmp_path)
    said = warnings if warnings is not None else []
    rec = Recorder(suite, path=tmp_path / "history.db", keep=keep, warn=said.append,
                   repeat=repeat)
    for event in events:
        rec(event)
    rec.close(exit_code)
    return rec


def make_suite(tmp_path: Path, text: str = "x = 1\n") -> Path:
    suite = tmp_path / "suite"
    suite.mkdir(exist_ok=True)
    (suite / "test_a.py").write_text(text)
    return suite


#: Run a command as root without the capabilities that let root write (or read) anyone's files.
WITHOUT_DAC = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")


@contextmanager
def read_only_home(tmp_path: Path) -> Iterator[Path]:
    """A KURTOSIS_TUI_HOME holding a history store, both read-only while the block runs
    (to a process under ``WITHOUT_DAC``)."""
    home = tmp_path / "home"
    home.mkdir()
    Store(home / "history.db").close()
    for path in home.iterdir():
        path.chmod(0o444)
    home.chmod(0o555)
    try:
        yield home
    finally:
        home.chmod(0o755)
