"""A test silent for longer than any socket timeout keeps its live stream.

``run()`` prints nothing for 150 s (the Docker client's timeout is 120 s), then
prints a line and fails. The line, the controller's verdict (OutcomeReported,
which only the live stream carries) and the failure's message must reach the
TUI (real engine, driven by Textual's pilot) and the plain output as they
happen. Both run side by side, so the test costs ~160 s, not twice that.

Marked ``slow``: with a slow set run in parallel (``-m slow`` under xdist), it
shares its wall time with the other long tests.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.tui import until

from kurtosis_tui import events as ev
from kurtosis_tui.backend import docker_backend
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.setup.images import ensure_controller_image
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.runner import default_factory

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(600)]

SILENCE = 150
AWAKE = "awake after the silence"
FAILURE = "the quiet test failed at the end"

SUITE = textwrap.dedent(
    f"""
    import time

    from kurtosis_tui import Test


    class QuietThenFails(Test):
        run_timeout = {SILENCE + 120}

        def run(self, network):
            time.sleep({SILENCE})
            print("{AWAKE}", flush=True)
            raise AssertionError("{FAILURE}")
    """
)


def _plain_run(suite: Path) -> tuple[subprocess.Popen[str], list[tuple[float, str]]]:
    """``kurtosis-tui run --no-tui`` in the background; its lines with their arrival times."""
    exe = Path(sys.executable).with_name("kurtosis-tui")
    proc = subprocess.Popen([str(exe), "run", str(suite), "--no-tui"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=suite,
                            env=dict(os.environ, NO_COLOR="1"))
    lines: list[tuple[float, str]] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.monotonic(), line.rstrip("\n")))

    threading.Thread(target=read, daemon=True).start()
    return proc, lines


def test_a_test_silent_for_150_s_shows_its_failure_live_in_the_tui_and_plain_output(
    images: object, tmp_path: Path, leftover_check: Callable[..., None]
) -> None:
    assert SILENCE > docker_backend.API_TIMEOUT  # longer than any socket timeout of ours
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_quiet.py").write_text(SUITE)
    tests = discover(suite)
    proc, plain = _plain_run(suite)

    options = RunOptions(suite_dir=suite, prepare_image=ensure_controller_image)
    app = KurtosisApp(tests=tests, session_factory=default_factory(options, watch=False),
                      save_dir=tmp_path, blink=False)
    seen: list[tuple[float, ev.Event]] = []
    apply = app.model.apply

    def recording(event: ev.Event) -> object:
        seen.append((time.monotonic(), event))
        return apply(event)

    app.model.apply = recording  # type: ignore[method-assign]

    async def scenario() -> str:
        async with app.run_test(size=(120, 34)) as pilot:
            await until(lambda: app.model.tests["QuietThenFails"]
                         .status() not in ("not run", "queued", "running"),
                        SILENCE + 150, what="the test to finish")
            app.flush_logs()
            await pilot.pause()
            run_id = app.session.run_id if app.session else ""
            await pilot.press("q")
            await until(lambda: not app.is_running, 60, what="the app to exit")
        return run_id

    run_id = asyncio.run(scenario())
    att = app.model.attempt("QuietThenFails")
    assert att is not None and att.outcome is ev.Outcome.FAILED, att
    reported = [e for _, e in seen if isinstance(e, ev.OutcomeReported)]
    assert reported and FAILURE in reported[0].message  # the live stream carried it
    reported_at = next(at for at, e in seen if isinstance(e, ev.OutcomeReported))
    tui_started = next(at for at, e in seen if isinstance(e, ev.TestStarted))
    assert FAILURE in att.message
    assert any(AWAKE in line for line in att.log("controller").lines)
    leftover_check(run_id)

    proc.wait(timeout=120)
    text = "\n".join(line for _, line in plain)
    assert proc.returncode == 1, text
    finished = [(at, line) for at, line in plain if line.startswith("[QuietThenFails] FAILED")]
    assert finished and FAILURE in finished[0][1], text
    started = next(at for at, line in plain if "QuietThenFails" in line)
    assert finished[0][0] - started > SILENCE  # it did stay silent that long
    print(f"plain: FAILED with its message {finished[0][0] - started:.1f} s after the start; "
          f"TUI: OutcomeReported {reported_at - tui_started:.1f} s after TestStarted")
