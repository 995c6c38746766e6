"""The TUI on real Docker: examples/quickstart run, rerun and quit from the keyboard."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from support.tui import screen_text, until

from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.setup.images import ensure_controller_image
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.components.log_view import LogView
from kurtosis_tui.tui.runner import default_factory

pytestmark = pytest.mark.docker

QUICKSTART = Path(__file__).resolve().parent.parent / "examples" / "quickstart"


def test_quickstart_runs_reruns_and_tears_down(images: object, tmp_path: Path,
                                               leftover_check: Callable[..., None]) -> None:
    tests = discover(QUICKSTART)
    options = RunOptions(suite_dir=QUICKSTART, parallelism=3,
                         prepare_image=ensure_controller_image)
    app = KurtosisApp(tests=tests, session_factory=default_factory(options, watch=False),
                      save_dir=tmp_path, blink=False)
    names = [t.name for t in tests]

    def status(name: str) -> str:
        return app.model.tests[name].status()

    async def scenario() -> str:
        async with app.run_test(size=(120, 34)) as pilot:
            await until(lambda: app.session is not None
                        and all(status(n) not in ("not run", "queued", "running")
                                for n in names), 240, what="every test to finish")
            app.flush_logs()
            await pilot.pause()
            text = screen_text(app)
            assert f"{len(names)} passed" in text.splitlines()[0]
            assert "run finished" in text
            selected = names[0]
            att = app.model.attempt(selected)
            assert att is not None and att.network.startswith("kt-")
            assert f"{att.network}  {att.subnet}  gw {att.gateway}" in text
            assert "exited (0)" in text  # the controller
            assert "available (" in text  # the services panel
            view = app.query_one(LogView)
            assert view.buffer is not None and any("outcome: PASSED" in line
                                                   for line in view.buffer.lines)
            first_service = next(iter(att.services))
            assert f" {first_service} " in text  # its log is one click away

            await pilot.press("1", "r")  # rerun the selected test: attempt 2
            await until(lambda: (a := app.model.attempt(selected)) is not None
                        and a.number == 2 and status(selected) == "PASSED", 120, what="the rerun")
            assert "attempt 2" in screen_text(app)

            run_id = app.session.run_id if app.session else ""
            await pilot.press("q")  # cancel nothing, tear down, exit with the outcome
            await until(lambda: not app.is_running, 60, what="the app to exit")
        return run_id

    run_id = asyncio.run(scenario())
    assert app.return_code == 0
    leftover_check(run_id)
