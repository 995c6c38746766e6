"""SuiteWatcher: rediscovery, removed and errored tests, and real file watching (no Docker).

Discovery here is a small ``ast`` stand-in for the engine's (classes whose base is
``Test``; a file that does not parse is a ``SuiteError`` with its line), so these
tests exercise the watcher's logic without importing user code.
"""

from __future__ import annotations

import ast
import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import anyio
import pytest

from kurtosis_tui.errors import SuiteError
from kurtosis_tui.events import SuiteChanged, SuiteProblem, TestInfo
from kurtosis_tui.watch.mapping import suite_sources
from kurtosis_tui.watch.watcher import SuiteWatcher, WatchUpdate

HEADER = "from kurtosis_tui import Test\nimport helpers\n"


def fake_discover(suite_dir: Path) -> Sequence[TestInfo]:
    found: list[TestInfo] = []
    for rel in suite_sources(suite_dir):
        try:
            tree = ast.parse((suite_dir / rel).read_text(), filename=rel)
        except SyntaxError as exc:
            raise SuiteError(f"invalid syntax: {exc.msg}", file=rel, line=exc.lineno or 0) from None
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any(
                isinstance(b, ast.Name) and b.id == "Test" for b in node.bases
            ):
                found.append(TestInfo(name=node.name, file=rel, line=node.lineno))
    return found


@pytest.fixture()
def suite(tmp_path: Path) -> Path:
    (tmp_path / "helpers.py").write_text("X = 1\n")
    (tmp_path / "test_a.py").write_text(HEADER + "class A(Test): pass\n")
    (tmp_path / "test_b.py").write_text(source_of("B"))
    return tmp_path


@pytest.fixture()
def watcher(suite: Path) -> SuiteWatcher:
    return SuiteWatcher(suite, fake_discover(suite), discover=fake_discover)


def source_of(name: str) -> str:
    return f"from kurtosis_tui import Test\nclass {name}(Test): pass\n"


def names(tests: Sequence[TestInfo]) -> list[str]:
    return [t.name for t in tests]


def test_a_changed_file_reruns_its_tests(suite: Path, watcher: SuiteWatcher) -> None:
    (suite / "test_b.py").write_text("from kurtosis_tui import Test\nclass B(Test):\n  x = 1\n")
    update = watcher.process([suite / "test_b.py"])
    assert update is not None and names(update.rerun) == ["B"] and update.changed == ("test_b.py",)
    [event] = update.events()
    assert event == SuiteChanged(tests=update.tests, changed_files=("test_b.py",), rerun=("B",),
                                 note="", at=event.at)


def test_files_discovery_ignores_yield_nothing(suite: Path, watcher: SuiteWatcher) -> None:
    assert watcher.process([suite / "notes.txt", suite / ".git" / "x.py"]) is None


def test_a_folder_moved_away_takes_its_tests(suite: Path, watcher: SuiteWatcher) -> None:
    (suite / "sub").mkdir()
    (suite / "sub" / "test_s.py").write_text(source_of("S"))
    update = watcher.process([suite / "sub"])
    assert update is not None and names(update.rerun) == ["S"]
    (suite / "sub").rename(suite / ".trash")
    update = watcher.process([suite / "sub"])
    assert update is not None and update.removed == ("S",) and update.changed == ("sub/test_s.py",)


def test_a_new_file_runs_and_a_deleted_one_leaves(suite: Path, watcher: SuiteWatcher) -> None:
    (suite / "test_c.py").write_text(source_of("C"))
    update = watcher.process([suite / "test_c.py"])
    assert update is not None and names(update.rerun) == ["C"]
    assert names(update.tests) == ["A", "B", "C"]
    (suite / "test_b.py").unlink()
    update = watcher.process([suite / "test_b.py"])
    assert update is not None and update.removed == ("B",) and update.rerun == ()
    assert names(update.tests) == ["A", "C"]


def test_a_helper_change_says_what_it_reruns(suite: Path, watcher: SuiteWatcher) -> None:
    update = watcher.process([suite / "helpers.py"])
    assert update is not None and names(update.rerun) == ["A"]
    assert update.note == "helpers.py changed: rerunning the tests of test_a.py"


def test_a_broken_file_errors_its_tests_until_fixed(suite: Path, watcher: SuiteWatcher) -> None:
    (suite / "test_a.py").write_text(HEADER + "class A(Test):\n    def run(self\n")
    update = watcher.process([suite / "test_a.py"])
    assert update is not None and update.problem is not None
    assert (update.problem.file, update.problem.line) == ("test_a.py", 4)
    assert update.errored == ("A",) and update.rerun == () and names(update.tests) == ["A", "B"]
    [event] = update.events()
    assert isinstance(event, SuiteProblem) and (event.file, event.line) == ("test_a.py", 4)
    # an unrelated save while broken: still the problem, nothing reruns
    update = watcher.process([suite / "test_b.py"])
    assert update is not None and update.problem is not None and update.rerun == ()
    (suite / "test_a.py").write_text(HEADER + "class A(Test): pass\n")
    update = watcher.process([suite / "test_a.py"])
    assert update is not None and update.problem is None
    # the fix reruns the broken file's tests and the file saved meanwhile
    assert names(update.rerun) == ["A", "B"] and update.changed == ("test_a.py", "test_b.py")


def test_a_broken_helper_errors_the_tests_that_import_it(
    suite: Path, watcher: SuiteWatcher,
) -> None:
    (suite / "helpers.py").write_text("X = (\n")
    update = watcher.process([suite / "helpers.py"])
    assert update is not None and update.problem is not None and update.errored == ("A",)
    (suite / "helpers.py").write_text("X = 2\n")
    update = watcher.process([suite / "helpers.py"])
    assert update is not None and names(update.rerun) == ["A"]


def test_selected_tests_stay_selected(suite: Path) -> None:
    watcher = SuiteWatcher(suite, [t for t in fake_discover(suite) if t.name == "A"],
                           selected=["A", "C"], discover=fake_discover)
    (suite / "test_c.py").write_text(source_of("C"))
    (suite / "test_d.py").write_text(source_of("D"))
    update = watcher.process([suite / "test_b.py", suite / "test_c.py", suite / "test_d.py"])
    assert update is not None and names(update.rerun) == ["C"]
    assert names(update.tests) == ["A", "C"] and update.removed == ()


def test_a_discovery_crash_is_a_problem_not_the_end(suite: Path) -> None:
    def crash(_: Path) -> Sequence[TestInfo]:
        raise RuntimeError("boom")

    watcher = SuiteWatcher(suite, fake_discover(suite), discover=crash)
    update = watcher.process([suite / "test_b.py"])
    assert update is not None and update.problem is not None
    assert "boom" in str(update.problem) and update.errored == ("B",)


# ---------------------------------------------------------------- real watching


@pytest.fixture()
def live(
    watcher: SuiteWatcher, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[queue.Queue[WatchUpdate]]:
    """The blocking loop in a thread, as plain mode runs it; ready before yielding.
    inotify: a poller would miss rewrites within the second (see the polling test)."""
    monkeypatch.delenv("WATCHFILES_FORCE_POLLING", raising=False)
    out: queue.Queue[WatchUpdate] = queue.Queue()
    stop, ready = threading.Event(), threading.Event()

    def loop() -> None:
        for update in watcher.updates(stop, on_ready=ready.set):
            out.put(update)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield out
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


def test_an_editor_save_is_one_update(suite: Path, live: queue.Queue[WatchUpdate]) -> None:
    # an editor's save: write a temp file, delete the original, rename, touch again
    tmp = suite / ".test_b.py.swp"
    tmp.write_text(source_of("B2"))
    (suite / "test_b.py").unlink()
    tmp.rename(suite / "test_b.py")
    (suite / "test_b.py").touch()
    update = live.get(timeout=10)
    assert update.changed == ("test_b.py",) and names(update.rerun) == ["B2"]
    assert update.removed == ("B",)
    with pytest.raises(queue.Empty):  # the burst gave one update (debounce)
        live.get(timeout=0.5)


def test_a_new_file_in_a_new_folder_is_seen(suite: Path, live: queue.Queue[WatchUpdate]) -> None:
    (suite / "more").mkdir()
    code = "from kurtosis_tui import Test\nclass M(Test): pass\n"
    (suite / "more" / "test_m.py").write_text(code)
    update = live.get(timeout=10)
    assert names(update.rerun) == ["M"] and update.changed == ("more/test_m.py",)


def test_the_async_generator_yields_and_stops(suite: Path, watcher: SuiteWatcher) -> None:
    got: list[WatchUpdate] = []

    async def main() -> None:
        stop, ready = anyio.Event(), anyio.Event()

        async def consume() -> None:
            async for update in watcher.aupdates(stop, on_ready=ready.set):
                got.append(update)
                stop.set()

        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(consume)
                await ready.wait()
                (suite / "test_n.py").write_text(source_of("N"))

    anyio.run(main)
    assert [names(u.rerun) for u in got] == [["N"]]


def test_forced_polling_is_honoured(
    suite: Path, watcher: SuiteWatcher, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Bind mounts without inotify: the poller sees a new file (it compares mtimes
    to the second, so a rewrite within the same second would go unseen)."""
    monkeypatch.setenv("WATCHFILES_FORCE_POLLING", "1")
    monkeypatch.setenv("WATCHFILES_POLL_DELAY_MS", "50")
    stop, ready = threading.Event(), threading.Event()
    updates = watcher.updates(stop, on_ready=ready.set)
    out: queue.Queue[WatchUpdate] = queue.Queue()
    thread = threading.Thread(target=lambda: [out.put(u) for u in updates], daemon=True)
    thread.start()
    try:
        assert ready.wait(10)
        (suite / "test_p.py").write_text(source_of("P"))
        assert names(out.get(timeout=10).rerun) == ["P"]
    finally:
        stop.set()
        thread.join(10)


def test_a_change_to_tests_left_out_by_t_says_so(suite: Path) -> None:
    """With ``-t A``, saving test_b.py (B's file) said ``test_b.py changed: no test
    imports it``, untrue of a file that defines a test: B is only not selected."""
    watcher = SuiteWatcher(suite, [t for t in fake_discover(suite) if t.name == "A"],
                           selected=["A"], discover=fake_discover)
    update = watcher.process([suite / "test_b.py"])
    assert update is not None and update.rerun == ()
    assert update.note == "test_b.py changed: its tests (B) are not selected"
