"""The history on real Docker: a past run reopened after its containers are gone,
a flaky test found by ``--repeat``, and a store that cannot be written."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from support.history import WITHOUT_DAC, read_only_home
from support.tui import screen_text
from textual.widgets import DataTable

from kurtosis_tui.history.replay import load
from kurtosis_tui.history.store import Store
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.tui.past import READ_ONLY, PastRunApp
from tests.conftest import Images, assert_no_leftovers

SUITE = Path(__file__).resolve().parent / "history_suite"
CLI = [sys.executable, "-m", "kurtosis_tui"]


def cli(home: Path, *args: str, timeout: float = 300,
        prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KURTOSIS_TUI_HOME": str(home)}
    return subprocess.run([*prefix, *CLI, *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def run_id_of(stdout: str) -> str:
    found = re.search(r"\(run ([0-9a-f]+),", stdout)
    assert found, stdout
    return found.group(1)


def test_show_last_prints_what_the_run_printed_after_its_containers_are_gone(
        tmp_path: Path, images: Images, backend: object) -> None:
    run = cli(tmp_path, "run", str(SUITE), "-t", "Steady", "-t", "Broken", "--no-tui")
    assert run.returncode == 1, run.stderr
    assert "==== Broken: FAILED: controller log ====" in run.stdout
    assert_no_leftovers(backend, run_id_of(run.stdout))  # type: ignore[arg-type]

    shown = cli(tmp_path, "show", "last", "--no-tui")
    assert shown.returncode == 1, shown.stderr
    assert shown.stdout.encode() == run.stdout.encode()
    again = cli(tmp_path, "show", run_id_of(run.stdout))  # not a terminal: plain
    assert again.stdout == run.stdout and again.returncode == 1

    only = cli(tmp_path, "show", "last", "-t", "Steady")
    assert only.returncode == 1
    assert "==== Steady: PASSED: controller log ====" in only.stdout  # as run names it
    assert "#1" not in only.stdout and "Broken" not in only.stdout

    listed = cli(tmp_path, "history", "--json")
    (entry,) = json.loads(listed.stdout)
    assert entry["run"] == run_id_of(run.stdout)
    assert entry["counts"]["passed"] == 1 and entry["counts"]["failed"] == 1
    assert {t["name"]: t["outcome"] for t in entry["tests"]} == {
        "Steady": "PASSED", "Broken": "FAILED"}

    # The TUI over the stored run: the failed test's service log and timeline.
    store = Store(tmp_path / "history.db")
    past = load(store, store.find("last"))  # type: ignore[arg-type]
    logs = store.logs(past.run.pk)
    talker = next(lg for lg in logs if lg.test == "Broken" and lg.source == "talker")
    assert talker.lines[-1] == "talker done" and len(talker.lines) == 301
    asyncio.run(_pilot_the_past_run(past, logs))


async def _pilot_the_past_run(past: object, logs: object) -> None:
    app = PastRunApp(past, logs, "Broken", blink=False)  # type: ignore[arg-type]
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.selected == "Broken"
        screen = screen_text(app)
        assert "FAILED" in screen and "read-only" in screen
        services = app.query_one("#services", DataTable)
        assert "talker" in str(services.get_row_at(0))
        await pilot.press("right_square_bracket")  # the controller's log, then talker's
        assert app.source == "talker"
        view = app.query_one(LogView)
        assert view.buffer is not None and view.buffer.lines[-1] == "talker done"
        assert "talker done" in screen_text(app)
        await pilot.press("t")
        screen = screen_text(app)
        for label in ("network", "controller", "setup", "· talker", "run", "teardown"):
            assert label in screen
        await pilot.press("r")  # nothing runs in a past run: it says so
        await pilot.pause()
        (said,) = [n.message for n in app._notifications]
        assert said.startswith("rerun") and said.endswith(f": {READ_ONLY}")
        await pilot.press("q")
    assert app.return_code == 1


def test_repeat_finds_the_flaky_test(tmp_path: Path, images: Images) -> None:
    run = cli(tmp_path, "run", str(SUITE), "-t", "Flaky", "--repeat", "10",
              "--param", "flaky=1", "--no-tui")
    assert run.returncode == 1, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1] == "5 passed, 5 failed, 1 flaky"
    numbered = [ln.split(" (")[0] for ln in lines if ln.startswith("Flaky#")]
    assert numbered == [f"Flaky#{k}: {'PASSED' if k % 2 == 0 else 'FAILED'}"
                        for k in range(1, 11)]
    flaky = cli(tmp_path, "history", "--flaky", "--json", str(SUITE))
    assert json.loads(flaky.stdout) == [{"name": "Flaky", "file": "history_tests.py",
                                         "runs": 10, "passed": 5, "failed": 5,
                                         "last_outcome": "PASSED"}]
    steady = cli(tmp_path, "run", str(SUITE), "-t", "Flaky", "--repeat", "2", "--no-tui")
    assert steady.returncode == 0 and steady.stdout.splitlines()[-1] == "2 passed, 0 flaky"


def test_a_corrupt_store_costs_one_warning_and_the_run_passes(tmp_path: Path,
                                                             images: Images) -> None:
    (tmp_path / "history.db").write_bytes(b"\x00garbage" * 4096)
    run = cli(tmp_path, "run", str(SUITE), "-t", "Steady", "--no-tui")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "1 passed"
    (warning,) = run.stderr.splitlines()
    assert "history not recorded" in warning and "corrupt" in warning
    shown = cli(tmp_path, "show", "last")
    assert shown.returncode == 2 and "corrupt" in shown.stderr
    cleared = cli(tmp_path, "history", "--clear")
    assert cleared.returncode == 0
    assert cli(tmp_path, "run", str(SUITE), "-t", "Steady", "--no-tui").stderr == ""
    assert cli(tmp_path, "show", "last").returncode == 0


def test_a_read_only_store_costs_one_warning_and_the_run_passes(tmp_path: Path,
                                                               images: Images) -> None:
    with read_only_home(tmp_path) as home:
        run = cli(home, "run", str(SUITE), "-t", "Steady", "--no-tui", prefix=WITHOUT_DAC)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "1 passed"
    (warning,) = run.stderr.splitlines()
    assert "history not recorded" in warning and "read-only" in warning
