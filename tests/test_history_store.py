"""The history's store and recorder, without Docker: what is kept, what is capped,
and that a store that cannot be written never breaks a run."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from support.history import TESTS, WITHOUT_DAC, make_suite, read_only_home, record, story

from kurtosis_tui import events as ev
from kurtosis_tui.events import Outcome, Phase, TestResult
from kurtosis_tui.history import codec
from kurtosis_tui.history import store as store_mod
from kurtosis_tui.history.recorder import LOG_CAP, Recorder, Tee, suite_hash
from kurtosis_tui.history.replay import flaky_tests, load, plain_output, recent_outcomes
from kurtosis_tui.history.store import Store
from kurtosis_tui.views.plain import PlainPrinter, ordered


def test_a_run_is_kept_and_printed_again_as_run_printed_it(tmp_path: Path) -> None:
    events = story("abc123")
    rec = record(tmp_path, events)
    assert rec.warned == ""
    # What `run` printed: the progress lines as events came, then the summary.
    live = io.StringIO()
    printer = PlainPrinter(live)
    for event in events:
        printer(event)
    printer.print_summary(ordered({e.test: e.result for e in events
                                   if isinstance(e, ev.TestFinished) and e.result}, TESTS))
    db = Store(tmp_path / "history.db")
    (run,) = db.runs()
    assert (run.id, run.exit_code, run.suite) == ("abc123", 1, str(tmp_path / "suite"))
    past = load(db, run)
    assert plain_output(past) == live.getvalue()
    assert "==== Bad: FAILED: controller log ====" in live.getvalue()
    assert past.exit_code() == 1
    attempts = db.attempts([run.pk])
    assert [(a.test, a.outcome, a.file) for a in attempts] == [
        ("Good", "PASSED", "test_a.py"), ("Bad", "FAILED", "sub/test_b.py")]
    assert [p[0] for p in attempts[1].phases] == ["network", "setup", "web", "run", "teardown"]
    phases = {p[0]: p[1:] for p in attempts[1].phases}
    assert phases["teardown"][1] - phases["teardown"][0] == pytest.approx(0.2)
    assert phases["network"][1] == pytest.approx(attempts[1].started + 0.2)
    assert phases["web"][1] - phases["web"][0] == pytest.approx(0.3)  # start to available
    logs = {(lg.test, lg.source): lg.lines for lg in db.logs(run.pk)}
    assert logs[("Bad", "web")] == ["web up", "GET /"]
    assert logs[("Bad", "controller")] == ["Bad runs", "| printed"]


def test_every_event_kind_survives_the_store(tmp_path: Path) -> None:
    result = TestResult("T", Outcome.TIMED_OUT, 2.5, "slow", "log\n", "net", "vol", kept=True)
    samples: list[ev.Event] = [
        ev.RunStarted("r1", TESTS, 3, True, at=1.0),
        ev.SuiteChanged(TESTS, ("a.py",), ("Good",), "note", at=2.0),
        ev.SuiteProblem("boom", "a.py", 3, at=3.0),
        ev.RunFinished((result,), at=4.0),
        ev.PhaseChanged("T", 2, at=5.0, phase=Phase.RUN),
        ev.ControllerExited("T", 2, at=6.0, exit_code=3),
        ev.ServiceExited("T", 2, at=7.0, service="s", exit_code=1, expected=True),
        ev.OutcomeReported("T", 2, at=8.0, outcome="FAILED", message="m"),
        ev.TestFinished("T", 2, at=9.0, result=result),
    ]
    assert set(codec.KINDS) >= {e.kind for e in samples} | {"log_lines", "service_waiting"}
    for event in samples:
        assert codec.decode(codec.unpack(codec.pack([codec.encode(event)]))[0]) == event
    assert codec.decode({"kind": "from_the_future", "x": 1}) is None


def test_logs_are_capped_at_the_last_10000_lines_and_compressed(tmp_path: Path) -> None:
    events = story("cap001")
    flood = [ev.LogLines("Bad", 1, source="web", lines=tuple(f"line {i:06d} " + "x" * 80
                                                             for i in range(j, j + 200)))
             for j in range(0, 25_000, 200)]
    at = next(i for i, e in enumerate(events) if isinstance(e, ev.TestFinished)
              and e.test == "Bad")
    record(tmp_path, events[:at] + flood + events[at:])
    db = Store(tmp_path / "history.db")
    (log,) = [lg for lg in db.logs(db.runs()[0].pk, "Bad") if lg.source == "web"]
    assert len(log.lines) == LOG_CAP
    assert log.lines[-1].startswith("line 024999") and log.lines[0].startswith("line 015000")
    assert log.dropped == 25_002 - LOG_CAP
    assert db.size() < 25_000 * 90 / 5  # compressed: far below the text's size


def test_only_the_newest_runs_are_kept(tmp_path: Path) -> None:
    for i in range(5):
        record(tmp_path, story(f"run{i:03d}", t0=1000.0 + i), keep=3)
    db = Store(tmp_path / "history.db")
    assert [r.id for r in db.runs()] == ["run004", "run003", "run002"]
    left = db._conn().execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    assert left == 6
    assert db.find("last").id == "run004"  # type: ignore[union-attr]
    assert db.find("run0") is None  # ambiguous
    assert db.find("run003").id == "run003"  # type: ignore[union-attr]


def test_zero_kept_runs_records_nothing(tmp_path: Path) -> None:
    record(tmp_path, story("none01"), keep=0)
    assert not (tmp_path / "history.db").exists()


def test_two_runs_at_once_write_one_store_safely(tmp_path: Path) -> None:
    suite = make_suite(tmp_path)
    said: list[str] = []

    def one(run_id: str) -> None:
        many: list[ev.Event] = []
        for attempt in range(1, 21):
            many += story(run_id, attempt=attempt, announce=attempt == 1)
        record(tmp_path, many, suite=suite, warnings=said)

    threads = [threading.Thread(target=one, args=(f"two{i:03d}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert said == []
    db = Store(tmp_path / "history.db")
    runs = db.runs()
    assert sorted(r.id for r in runs) == ["two000", "two001"]
    assert all(len(db.attempts([r.pk])) == 40 for r in runs)


def test_flaky_tests_are_found_at_unchanged_suite_files(tmp_path: Path) -> None:
    suite = make_suite(tmp_path)
    record(tmp_path, story("f1", Outcome.FAILED, t0=1000.0), suite=suite)
    record(tmp_path, story("f2", Outcome.PASSED, t0=1001.0), suite=suite)
    db = Store(tmp_path / "history.db")
    (flaky,) = flaky_tests(db)
    assert flaky.as_json() == {"name": "Bad", "file": "sub/test_b.py", "runs": 2, "passed": 1,
                               "failed": 1, "last_outcome": "PASSED"}
    outcomes, median = recent_outcomes(db, str(suite))["Bad"]
    assert outcomes == ["FAILED", "PASSED"] and median == pytest.approx(1.1)
    # The suite changed: only runs at the new files count, and those agree.
    (suite / "test_a.py").write_text("x = 2\n")
    record(tmp_path, story("f3", Outcome.PASSED, t0=1002.0), suite=suite)
    assert flaky_tests(db) == []
    # A cancel is the user's doing, not the test's.
    record(tmp_path, story("f4", Outcome.CANCELLED, t0=1003.0), suite=suite)
    assert flaky_tests(db) == []


def test_the_suite_hash_follows_the_suites_python_files(tmp_path: Path) -> None:
    suite = make_suite(tmp_path)
    first = suite_hash(suite)
    (suite / "notes.txt").write_text("not code")
    assert suite_hash(suite) == first
    (suite / "helpers.py").write_text("y = 1\n")
    assert suite_hash(suite) != first


# ------------------------------------------------- a store that cannot be used


def assert_one_warning(rec: Recorder, said: list[str], words: str) -> None:
    assert len(said) == 1, said
    assert words in said[0] and said[0].endswith("(the run goes on)")
    assert not rec.enabled


def test_a_corrupt_store_costs_one_warning(tmp_path: Path) -> None:
    (tmp_path / "history.db").write_bytes(b"this is not a database" * 100)
    said: list[str] = []
    rec = record(tmp_path, story("bad001"), warnings=said)
    assert_one_warning(rec, said, "corrupt")
    assert "history --clear" in said[0]


def test_a_store_from_a_newer_version_is_left_alone(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "history.db")
    db.execute("PRAGMA user_version = 99")
    db.close()
    said: list[str] = []
    rec = record(tmp_path, story("new001"), warnings=said)
    assert_one_warning(rec, said, "newer kurtosis-tui (schema 99")
    assert sqlite3.connect(tmp_path / "history.db").execute(
        "PRAGMA user_version").fetchone()[0] == 99


def test_a_locked_store_costs_one_warning_not_a_hang(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_mod, "BUSY_TIMEOUT", 0.3)
    Store(tmp_path / "history.db").close()
    holder = sqlite3.connect(tmp_path / "history.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    said: list[str] = []
    started = time.monotonic()
    try:
        rec = record(tmp_path, story("lock01"), warnings=said)
    finally:
        holder.execute("ROLLBACK")
    assert time.monotonic() - started < 5
    assert_one_warning(rec, said, "locked")


def test_a_read_only_store_costs_one_warning(tmp_path: Path) -> None:
    """As a user who may not write the file (root, but without CAP_DAC_OVERRIDE)."""
    script = (
        "import sys, pathlib; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/tests']\n"
        "from support.history import story, make_suite\n"
        "from kurtosis_tui.history.recorder import Recorder\n"
        "rec = Recorder(make_suite(pathlib.Path(sys.argv[2])))\n"
        "[rec(e) for e in story('ro0001')]\n"
        "rec.close(0)\n"
        "print('the run went on')\n"
    )
    root = Path(__file__).resolve().parent.parent
    with read_only_home(tmp_path) as home:
        done = subprocess.run(
            [*WITHOUT_DAC, sys.executable, "-c", script, str(root), str(tmp_path)],
            capture_output=True, text=True, timeout=60,
            env={"KURTOSIS_TUI_HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "the run went on\n"
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "history not recorded" in lines[0], done.stderr
    assert "read-only" in lines[0] or "readonly" in lines[0]


def test_a_view_that_raises_cannot_stop_the_others_seeing_events() -> None:
    seen: list[ev.Event] = []
    tee = Tee(seen.append, seen.append)
    tee(ev.RunFinished(()))
    assert len(seen) == 2


def test_reading_a_store_never_written_finds_nothing(tmp_path: Path) -> None:
    (tmp_path / "history.db").write_bytes(b"")
    db = Store(tmp_path / "history.db", create=False)
    assert db.empty and db.runs() == [] and db.find("last") is None
    assert Store(tmp_path / "nothing.db", create=False).runs() == []
    assert not (tmp_path / "nothing.db").exists()


_KILLED_WRITER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, "tests")
from support.history import make_suite, story
from kurtosis_tui import events as ev
from kurtosis_tui.history.recorder import Recorder
from kurtosis_tui.history.store import Store

tmp = Path(sys.argv[1])
events = story("dead01")
bad = next(i for i, e in enumerate(events) if isinstance(e, ev.TestStarted) and e.test == "Bad")
rec = Recorder(make_suite(tmp), path=tmp / "history.db", keep=100, warn=print)
for event in events[: bad + 1]:  # Good finished, Bad started: then the process is killed
    rec(event)
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    db = Store(tmp / "history.db", create=False)
    runs = db.runs()
    stored = db.events(runs[0].pk) if runs else []
    db.close()
    if any(isinstance(e, ev.TestStarted) and e.test == "Bad" for e in stored):
        os.kill(os.getpid(), 9)
    time.sleep(0.02)
sys.exit("Bad's start was never stored")
"""


def test_a_killed_run_reads_as_interrupted_naming_what_never_finished(tmp_path: Path) -> None:
    from kurtosis_tui.history.replay import recent_runs, run_json, run_line

    proc = subprocess.run([sys.executable, "-c", _KILLED_WRITER, str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == -9, proc.stdout + proc.stderr
    db = Store(tmp_path / "history.db", create=False)
    ((run, attempts),) = recent_runs(db)
    assert run.finished is None
    assert run_line(run, attempts)[3] == "interrupted"  # not "running" for ever
    assert run_json(run, attempts)["state"] == "interrupted"
    shown = plain_output(load(db, run)).splitlines()
    assert shown[-1] == ("run interrupted: the process that ran it ended before the run did "
                         "(killed?); never finished: Bad")
    assert "Good: PASSED (1.1 s)" in shown


def test_a_run_under_way_reads_as_running(tmp_path: Path) -> None:
    from kurtosis_tui.history.replay import recent_runs, run_json, run_line

    rec = Recorder(make_suite(tmp_path), path=tmp_path / "history.db", keep=100)
    events = story("live01")
    for event in events[:3]:  # RunStarted, Good queued and started: stored at once
        rec(event)
    try:
        deadline = time.monotonic() + 30
        while not Store(tmp_path / "history.db", create=False).runs():
            assert time.monotonic() < deadline, "the run's row was never written"
            time.sleep(0.02)
        db = Store(tmp_path / "history.db", create=False)
        ((run, attempts),) = recent_runs(db)
        assert run_line(run, attempts)[3] == "running"
        assert run_json(run, attempts)["state"] == "running"
        assert "run interrupted" not in plain_output(load(db, run))
    finally:
        rec.close(0)
