"""The TUI with a scripted session: every panel and key, as a user sees them (no Docker)."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from support.fake import FakeSession, finish_story, info, setup_story
from support.tui import screen_text, until
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kurtosis_tui import events as ev
from kurtosis_tui.engine.interface import EventSink, RunOptions
from kurtosis_tui.engine.signals import InterruptGuard, quit_app
from kurtosis_tui.errors import SuiteError, UsageError
from kurtosis_tui.events import Outcome
from kurtosis_tui.tui import runner
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.watch.watcher import WatchUpdate

T0 = 1_700_000_000.0
TESTS = ("HelloHttp", "RedisReplication")


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on its own loop (no pytest-asyncio in the venv)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeWatcher:
    """Yields the updates a test puts in, until the app stops watching."""

    def __init__(self) -> None:
        self.updates: asyncio.Queue[WatchUpdate] = asyncio.Queue()
        self.stopped = False

    async def aupdates(self, stop_event: asyncio.Event | None = None,
                       on_ready: Callable[[], None] | None = None) -> AsyncIterator[WatchUpdate]:
        assert stop_event is not None
        while not stop_event.is_set():
            getter = asyncio.ensure_future(self.updates.get())
            stopper = asyncio.ensure_future(stop_event.wait())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            stopper.cancel()
            if getter in done:
                yield getter.result()
            else:
                getter.cancel()
        self.stopped = True


class Harness:
    """The app, a fake session the app opens itself, and a settable clock."""

    def __init__(self, tmp_path: Path, tests: tuple[str, ...] = TESTS) -> None:
        self.clock = Clock(T0 + 3.0)
        self.session: FakeSession | None = None
        self.close_gate = threading.Event()
        self.close_gate.set()
        self.watcher = FakeWatcher()
        self.app = KurtosisApp(tests=[info(n) for n in tests], session_factory=self.factory,
                               clock=self.clock, save_dir=tmp_path, blink=False,
                               watcher_factory=lambda: self.watcher)

    def factory(self, sink: EventSink) -> FakeSession:
        gate = self.close_gate

        class Gated(FakeSession):
            def close(self) -> None:
                gate.wait(10)
                super().close()

        self.session = Gated(sink)
        return self.session

    async def start(self, pilot: Pilot[int]) -> FakeSession:
        await self.app.workers.wait_for_complete()
        await pilot.pause()
        assert self.session is not None
        return self.session

    async def emit(self, pilot: Pilot[int], *events: ev.Event) -> None:
        assert self.session is not None
        self.session.emit(*events)
        await pilot.pause()
        self.app.flush_logs()
        await pilot.pause()


def log_text(app: KurtosisApp) -> list[str]:
    view = app.query_one(LogView)
    rows = view.scrollable_content_region.height  # not the row under a scrollbar
    return [view.render_line(y).text.rstrip() for y in range(rows)]


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


@sync
async def test_schedules_every_test_and_shows_states(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        assert session.scheduled == [list(TESTS)]
        assert "not run" in screen_text(harness.app)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           ev.TestQueued("RedisReplication", at=T0))
        text = screen_text(harness.app)
        assert "HelloHttp" in text and "running" in text and "2.9 s" in text
        assert "1 running" in text and "1 queued" in text
        await harness.emit(pilot, *finish_story("HelloHttp", T0, Outcome.PASSED))
        text = screen_text(harness.app)
        assert "PASSED" in text and "4.7 s" in text and "1 passed" in text


@sync
async def test_selected_test_shows_network_volume_controller(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *setup_story("RedisReplication", T0, services=("primary", "replica")))
        text = screen_text(harness.app)
        assert "A scripted test." in text  # the docstring
        assert "kt-fake01-hellohttp-1  172.30.1.0/24  gw 172.30.1.1" in text
        assert "kt-fake01-hellohttp-1-controller  running" in text
        await pilot.press("down")
        text = screen_text(harness.app)
        assert "kt-fake01-redisreplication-1-controller" in text
        assert "primary" in text and "replica" in text
        await harness.emit(pilot, *finish_story("RedisReplication", T0, Outcome.ERRORED,
                                                services=("primary", "replica"),
                                                message="replica exited"))
        text = screen_text(harness.app)
        assert "exited (2)" in text
        assert "ERRORED  replica exited" in text


@sync
async def test_services_availability_words(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, ev.ServiceStarting("HelloHttp", at=T0, service="web",
                                                     image="kurtosis-tui/busybox:local"))
        assert "starting" in screen_text(harness.app)
        await harness.emit(pilot, ev.ServiceWaiting("HelloHttp", at=T0 - 0.2, service="web",
                                                    check="http :8080/"))
        assert "waiting (http :8080/, 3.2 s)" in screen_text(harness.app)
        harness.clock.now += 1.0  # the wait counts up on the UI's tick
        harness.app.refresh_views(live_only=True)
        await pilot.pause()
        assert "waiting (http :8080/, 4.2 s)" in screen_text(harness.app)
        await harness.emit(pilot, ev.ServiceAvailable("HelloHttp", service="web", seconds=1.4))
        assert "available (1.4 s)" in screen_text(harness.app)
        await harness.emit(pilot, ev.ServiceExited("HelloHttp", service="web", exit_code=137))
        assert "exited (137)" in screen_text(harness.app)
        await harness.emit(pilot, ev.ServiceStarting("HelloHttp", service="db"),
                           ev.ServiceTimedOut("HelloHttp", service="db"))
        assert "timed out" in screen_text(harness.app)


@sync
async def test_mouse_selects_a_test_and_the_theme_recolours_it(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("RedisReplication", T0),
                           *finish_story("RedisReplication", T0, Outcome.PASSED))
        await pilot.click("#tests", offset=(3, 2))  # the second row
        assert "kt-fake01-redisreplication-1" in screen_text(harness.app)

        def passed_colour() -> object:
            table = harness.app.query_one("#tests", DataTable)
            return table.get_cell("RedisReplication", "state").style

        dark = passed_colour()
        harness.app.theme = "nord"
        await pilot.pause()
        assert passed_colour() != dark
        assert str(passed_colour()).startswith(harness.app.theme_variables["success"])


@sync
async def test_filter_with_slash(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await pilot.press("slash", *"redis")
        text = screen_text(harness.app)
        assert "RedisReplication" in text and "HelloHttp" not in text.split("│")[1]
        await pilot.press("enter")
        assert harness.app.focused is harness.app.query_one("#tests")
        await pilot.press("slash", "escape")
        assert "HelloHttp" in screen_text(harness.app)


@sync
async def test_controller_and_service_logs_follow_and_switch(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.FAILED))
        assert "AssertionError: body was 'bye'" in log_text(harness.app)
        await pilot.press("right_square_bracket")
        assert log_text(harness.app)[0] == "web: listening on :8080"
        assert "log: web" in screen_text(harness.app)
        await pilot.click("#sources", offset=(2, 0))  # "controller"
        assert "log: controller" in screen_text(harness.app)


@sync
async def test_follow_pauses_on_scroll_up_and_resumes(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        lines = tuple(f"line {i}" for i in range(500))
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller", lines=lines))
        view = harness.app.query_one(LogView)
        assert log_text(harness.app)[-1] == "line 499" and view.follow
        await pilot.press("3", "pageup")
        assert not view.follow
        assert "paused (F: follow)" in screen_text(harness.app)
        top = log_text(harness.app)[0]
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller",
                                              lines=("more",) * 50))
        assert log_text(harness.app)[0] == top  # paused: new lines do not move the view
        await pilot.press("F")
        assert view.follow and log_text(harness.app)[-1] == "more"
        await pilot.press("F")
        assert not view.follow


@sync
async def test_follow_shows_the_last_line_above_a_horizontal_scrollbar(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        lines = ("x" * 300, *(f"line {i}" for i in range(60)))
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller", lines=lines))
        await pilot.pause()
        assert log_text(harness.app)[-1] == "line 59"


@sync
async def test_search_highlights_and_jumps(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        lines = tuple(f"line {i}" + (" ERROR boom" if i % 100 == 7 else "") for i in range(400))
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller", lines=lines))
        await pilot.press("3", "slash", *"error", "enter")
        view = harness.app.query_one(LogView)
        assert view.search_text == "error"
        assert "“error”: 1/4" in screen_text(harness.app)  # the match shown, of how many
        assert "line 7 ERROR boom" in log_text(harness.app)
        row = log_text(harness.app).index("line 7 ERROR boom")
        strip = view.render_line(row)
        styles = {seg.text: seg.style for seg in strip if seg.text.strip()}
        assert styles["ERROR"] != styles["line 7 "]  # the match is highlighted
        await pilot.press("n")
        assert "line 107 ERROR boom" in log_text(harness.app)
        assert "“error”: 2/4" in screen_text(harness.app)


@sync
async def test_wrap_toggle(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        long = "x" * 150 + "END"
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller", lines=(long,)))
        assert not any("END" in line for line in log_text(harness.app))
        await pilot.press("z")
        assert any(line.endswith("END") for line in log_text(harness.app))
        assert "wrap" in screen_text(harness.app)


@sync
async def test_save_log_and_screenshot(harness: Harness, tmp_path: Path) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, ev.LogLines("HelloHttp", source="controller",
                                              lines=("alpha", "beta")))
        await pilot.press("s")
        await harness.app.workers.wait_for_complete()
        saved = list(tmp_path.glob("kt-HelloHttp-controller-*.log"))
        assert len(saved) == 1 and saved[0].read_text() == "alpha\nbeta\n"
        await pilot.press("S")
        shots = list(tmp_path.glob("*.svg"))
        assert len(shots) == 1 and "HelloHttp" in shots[0].read_text()


@sync
async def test_timeline_panel(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.PASSED))
        await pilot.press("t")
        text = screen_text(harness.app)
        for label in ("network", "volume", "controller", "setup", "· web", "run", "teardown"):
            assert label in text
        assert "█" in text and "4.7 s" in text
        await pilot.press("t")
        assert "log: controller" in screen_text(harness.app)


@sync
async def test_rerun_keys_call_the_session(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.FAILED),
                           *setup_story("RedisReplication", T0),
                           *finish_story("RedisReplication", T0, Outcome.PASSED))
        await pilot.press("f")
        await harness.app.workers.wait_for_complete()
        await pilot.press("down", "r")
        await harness.app.workers.wait_for_complete()
        await pilot.press("R")
        await harness.app.workers.wait_for_complete()
        await harness.emit(pilot, ev.TestQueued("RedisReplication", 2, at=T0 + 9))
        await pilot.press("c")
        await harness.app.workers.wait_for_complete()
        assert session.scheduled[1:] == [["HelloHttp"], ["RedisReplication"], list(TESTS)]
        assert session.cancelled == [["RedisReplication"]]


@sync
async def test_question_mark_lists_the_keys(harness: Harness) -> None:
    async with harness.app.run_test(size=(120, 30)) as pilot:
        await harness.start(pilot)
        await pilot.press("question_mark")
        text = screen_text(harness.app)
        assert "Focus Previous" in text  # Textual's keys panel
        assert text.count("Rerun failed") == 2  # in the panel and the footer
        await pilot.press("question_mark")
        assert "Focus Previous" not in screen_text(harness.app)


@sync
async def test_command_palette_has_the_actions(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        await pilot.press("ctrl+p", *"rerun all")
        await pilot.pause(0.5)  # the palette searches in the background
        await pilot.press("enter")
        await harness.app.workers.wait_for_complete()
        assert session.scheduled[-1] == list(TESTS)


@sync
async def test_watch_reruns_changed_tests_and_shows_problems(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        assert "WATCH" not in screen_text(harness.app)
        await pilot.press("w")
        assert "WATCH" in screen_text(harness.app).splitlines()[0]
        tests = tuple(info(n) for n in TESTS)
        await harness.watcher.updates.put(WatchUpdate(
            changed=("hellohttp.py",), tests=tests, rerun=tests[:1]))
        await until(lambda: len(session.scheduled) == 2)
        assert session.scheduled[1] == ["HelloHttp"]
        await harness.watcher.updates.put(WatchUpdate(
            changed=("hellohttp.py",), tests=tests, rerun=(), errored=("HelloHttp",),
            problem=SuiteError("invalid syntax", file="hellohttp.py", line=4)))
        await until(lambda: "ERRORED" in screen_text(harness.app))
        await pilot.pause()
        lines = screen_text(harness.app).splitlines()
        assert "⚠ suite problem" in lines[0]
        assert "hellohttp.py:4: invalid syntax" in lines[1]  # in full, below the header
        await pilot.press("w")
        await until(lambda: harness.watcher.stopped)
        assert "WATCH" not in screen_text(harness.app).splitlines()[0]


@sync
async def test_watch_removing_every_test_says_none_ran_and_exits_1(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        for name in TESTS:
            await harness.emit(pilot, *setup_story(name, T0), *finish_story(name, T0,
                                                                            Outcome.PASSED))
        await pilot.press("w")
        await harness.watcher.updates.put(WatchUpdate(
            changed=("hellohttp.py", "redis.py"), tests=(), rerun=(), removed=TESTS))
        await until(lambda: "no tests ran" in screen_text(harness.app).splitlines()[0])
        await until(lambda: session.cancelled[-1:] == [list(TESTS)])
        await pilot.press("q")
        await until(lambda: not harness.app.is_running)
    assert harness.app.return_code == 1  # as plain output's: no test ran


@sync
async def test_quit_tears_down_then_exits_with_the_outcome(harness: Harness) -> None:
    harness.close_gate.clear()
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0),
                           *finish_story("HelloHttp", T0, Outcome.PASSED),
                           *setup_story("RedisReplication", T0))
        await pilot.press("q")
        assert "tearing down…" in screen_text(harness.app)
        assert not session.closed.is_set()
        harness.close_gate.set()
        await until(lambda: not harness.app.is_running)
    assert session.closed.is_set()
    assert harness.app.return_code == 1  # RedisReplication ended CANCELLED


@sync
async def test_quit_after_all_passed_exits_zero(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        for name in TESTS:
            await harness.emit(pilot, *setup_story(name, T0), *finish_story(name, T0,
                                                                            Outcome.PASSED))
        await harness.emit(pilot, ev.RunFinished(results=(), at=T0 + 5))
        assert "run finished" in screen_text(harness.app)
        await pilot.press("q")
        await until(lambda: not harness.app.is_running)
    assert harness.app.return_code == 0


@sync
async def test_session_that_cannot_open_exits_2(tmp_path: Path) -> None:
    def broken(sink: EventSink) -> FakeSession:
        raise UsageError("cannot reach the Docker engine")

    app = KurtosisApp(tests=[info("A")], session_factory=broken, save_dir=tmp_path)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 2
    assert app.session_error == "cannot reach the Docker engine"


@sync
async def test_a_flooding_service_is_capped_and_shows_its_last_line(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        await pilot.press("right_square_bracket")  # no services yet: the timeline
        await pilot.press("left_square_bracket")
        for start in range(0, 50_000, 1000):
            harness.session.emit(ev.LogLines(  # type: ignore[union-attr]
                "HelloHttp", source="controller",
                lines=tuple(f"flood {i}" for i in range(start, start + 1000))))
        await harness.emit(pilot)
        assert log_text(harness.app)[-1] == "flood 49999"
        assert "50,000 lines · last 10,000 kept" in screen_text(harness.app)


@sync
async def test_quit_while_the_session_opens_runs_nothing_and_closes_it(tmp_path: Path) -> None:
    opened = threading.Event()
    release = threading.Event()
    sessions: list[FakeSession] = []

    def slow(sink: EventSink) -> FakeSession:
        opened.set()
        release.wait(10)  # say, a controller image build
        sessions.append(FakeSession(sink))
        return sessions[0]

    app = KurtosisApp(tests=[info("A")], session_factory=slow, save_dir=tmp_path, blink=False)
    async with app.run_test() as pilot:
        await until(opened.is_set)
        await pilot.press("q")
        assert "tearing down…" in screen_text(app)
        release.set()
        await until(lambda: not app.is_running)
    assert sessions[0].closed.is_set()
    assert sessions[0].scheduled == []
    assert app.return_code == 1  # A never ran


@sync
async def test_sigterm_tears_down_like_q(harness: Harness) -> None:
    async with harness.app.run_test(size=(100, 30)) as pilot:
        session = await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0))
        # The runner's guard: every signal is its (the app traps none), so SIGTERM
        # reaches the quit action however busy the app's loop is.
        guard = InterruptGuard(quit_app(harness.app), hangup=True, grace=60).install()
        try:
            assert signal.getsignal(signal.SIGTERM) == guard._handle  # else it ends pytest
            assert signal.getsignal(signal.SIGHUP) == guard._handle
            os.kill(os.getpid(), signal.SIGTERM)
            await until(lambda: not harness.app.is_running)
        finally:
            guard.stand_down()
    assert session.closed.is_set()
    assert harness.app.return_code == 1


@sync
async def test_faults_show_in_the_services_panel_and_on_the_timeline(harness: Harness) -> None:
    async with harness.app.run_test(size=(160, 40)) as pilot:
        await harness.start(pilot)
        await harness.emit(pilot, *setup_story("HelloHttp", T0, services=("a", "b")))
        await harness.emit(pilot, ev.FaultChanged("HelloHttp", at=T0 + 2.5, change="partition",
                                                  services={"a": "group x", "b": "group y"}))
        text = screen_text(harness.app)
        assert "Faults" in text and "group x" in text and "group y" in text
        await harness.emit(pilot, ev.FaultChanged("HelloHttp", at=T0 + 2.8, change="heal",
                                                  services={"a": "", "b": ""}))
        assert "group x" not in screen_text(harness.app)
        await pilot.press("t")  # the timeline: a row of marks, one per change
        await pilot.pause()
        row = next(line for line in screen_text(harness.app).splitlines() if "faults " in line)
        assert row.count("▼") == 2 and row.rstrip(" │").endswith(" 2"), row


@sync
async def test_keys_typed_before_the_first_frame_reach_the_tests_not_a_hidden_box(
        harness: Harness) -> None:
    """On a real terminal the screen gives focus to its first focusable widget as it
    composes, before the app's own ``focus`` lands: a ``q`` typed while the TUI opened
    went into the hidden tests filter, which then hid every test, and the quit was lost."""
    async with harness.app.run_test(size=(100, 30)) as pilot:
        await harness.start(pilot)
        app = harness.app
        app.screen.set_focus(None)
        app.screen._update_auto_focus()  # what Textual does as a screen composes
        await pilot.pause()
        assert not isinstance(app.focused, Input)  # no hidden box takes the keys
        await pilot.press("x")
        assert app.query_one("#filter", Input).value == ""
        assert all(name in screen_text(app) for name in TESTS)
        await pilot.press("q")
        await until(lambda: not app.is_running)


def test_a_quit_before_any_test_ran_still_says_so_on_the_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A ``q`` as the TUI drew its first frame (the session still opening) closed it with
    exit 1 and nothing on the terminal: not even that no test ran."""
    monkeypatch.setattr(KurtosisApp, "run", lambda self: 1)  # quit before the session opened
    code = runner.run(options=RunOptions(suite_dir=tmp_path), tests=[info("A"), info("B")],
                      watch=False, junit_xml=None, session_factory=FakeSession)
    assert code == 1
    assert capsys.readouterr().out.splitlines() == ["no tests ran"]


def test_repeat_in_the_tui_counts_every_attempt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """``--repeat 3`` in the TUI: a test that failed twice then passed left ``Flaky:
    PASSED``, ``2 passed`` and exit 0 (only each test's last attempt counted), where the
    contract says ``NAME#K`` lines, ``N flaky`` and exit 1 when any attempt did not pass."""
    outcomes = {"Flaky": [Outcome.FAILED, Outcome.FAILED, Outcome.PASSED],
                "Steady": [Outcome.PASSED] * 3}

    def rounds(app: KurtosisApp) -> int:  # the three rounds, then q
        for number in (1, 2, 3):
            for name, seen in outcomes.items():
                for event in [*setup_story(name, T0, number),
                              *finish_story(name, T0, seen[number - 1], number)]:
                    app.model.apply(event)
        return app.model.exit_code()

    monkeypatch.setattr(KurtosisApp, "run", rounds)
    junit = tmp_path / "report.xml"
    code = runner.run(options=RunOptions(suite_dir=tmp_path), repeat=3,
                      tests=[info("Flaky"), info("Steady")], watch=False, junit_xml=junit,
                      session_factory=FakeSession)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines if "#" in line] == [
        "Flaky#1: FAILED", "Flaky#2: FAILED", "Flaky#3: PASSED",
        "Steady#1: PASSED", "Steady#2: PASSED", "Steady#3: PASSED"]
    assert lines[-1] == "4 passed, 2 failed, 1 flaky"
    assert code == 1
    assert junit.read_text().count("<testcase") == 6
