"""Screenshots of the TUI from a REAL run (Docker), saved as SVGs next to this file.

``.venv/bin/python screenshots/make_screenshots.py`` runs ``screenshots/suite``
(a slow-starting web server, a failing test, a chatty worker) in the app,
headless, with the engine's real session, and saves:

- ``setup-waiting.svg``: SlowStart's services, ``web`` still waiting on its check;
- ``failed-test.svg``: WrongGreeting FAILED, with its controller log;
- ``service-log.svg``: ChattyWorker's service log, live;
- ``timeline.svg``: SlowStart's phases on one time axis;
- ``services-cpu-memory.svg``: ChattyWorker's service with its CPU and memory;
- ``all-filtered.svg``: ChattyWorker's ``all`` log filtered with ``&``.

Then it quits with ``q`` (tear down) and checks nothing labelled is left behind.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.setup.images import ensure_controller_image
from kurtosis_tui.tui.app import KurtosisApp
from kurtosis_tui.tui.components.log_panel import LogPanel
from kurtosis_tui.tui.components.tests_table import TestsTable
from kurtosis_tui.tui.runner import default_factory

HERE = Path(__file__).resolve().parent
SUITE = HERE / "suite"
SIZE = (120, 34)


async def until(what: str, predicate: Callable[[], bool], timeout: float = 180) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


def status(app: KurtosisApp, test: str) -> str:
    row = app.model.tests.get(test)
    return row.status() if row else ""


async def shoot() -> str:
    tests = discover(SUITE)
    options = RunOptions(suite_dir=SUITE, parallelism=3,
                         prepare_image=ensure_controller_image)
    app = KurtosisApp(tests=tests, session_factory=default_factory(options, watch=False),
                      save_dir=HERE, blink=False)
    async with app.run_test(size=SIZE) as pilot:

        async def select(test: str, source: str = "controller") -> None:
            app.query_one(TestsTable).move_cursor(row=list(app.model.tests).index(test))
            await pilot.pause()
            app.action_show_source(source)
            app.flush_logs()
            await pilot.pause()

        def web_waiting() -> bool:
            att = app.model.attempt("SlowStart")
            web = att.services.get("web") if att else None
            waited = web.waiting_since if web else None
            return bool(web and web.status == "waiting" and waited
                        and app.clock() - waited > 2.0)

        await until("SlowStart's web to wait on its check", web_waiting)
        await select("SlowStart", "web")
        app.save_screenshot("setup-waiting.svg", path=str(HERE))

        def worker_busy() -> bool:
            att = app.model.attempt("ChattyWorker")
            return bool(att and att.phase.value == "run" and len(att.log("worker").lines) > 8)

        await until("ChattyWorker's worker to log while the test runs", worker_busy)
        await select("ChattyWorker", "worker")
        app.save_screenshot("service-log.svg", path=str(HERE))

        def worker_sampled() -> bool:
            att = app.model.attempt("ChattyWorker")
            worker = att.services.get("worker") if att else None
            return bool(worker and worker.container in app.usage)

        await until("ChattyWorker's CPU and memory", worker_sampled, timeout=30)
        await select("ChattyWorker", "all")
        await pilot.press("2", "m")  # the services panel maximized: every column shows
        app.save_screenshot("services-cpu-memory.svg", path=str(HERE))
        await pilot.press("m")
        app.query_one(LogPanel).apply_filter(r"poll|job \d*5 ")
        app.flush_logs()
        await pilot.pause()
        app.save_screenshot("all-filtered.svg", path=str(HERE))

        await until("every test to finish", lambda: not app.model.busy()
                    and all(status(app, t.name) not in ("not run",) for t in tests))
        await select("WrongGreeting")
        app.save_screenshot("failed-test.svg", path=str(HERE))

        await select("SlowStart")
        await pilot.press("t")
        app.save_screenshot("timeline.svg", path=str(HERE))

        run_id = app.session.run_id if app.session else ""
        await pilot.press("q")
        await until("teardown", lambda: not app.is_running, timeout=60)
    return run_id


def leftovers(run_id: str) -> list[str]:
    import docker

    client = docker.from_env()
    label = f"kurtosis-tui.run={run_id}"
    found = [c.name for c in client.containers.list(all=True, filters={"label": label})]
    found += [n.name for n in client.networks.list(filters={"label": label})]
    found += [v.name for v in client.volumes.list(filters={"label": label})]
    return found


def main() -> int:
    run_id = asyncio.run(shoot())
    for name in ("setup-waiting", "service-log", "failed-test", "timeline",
                 "services-cpu-memory", "all-filtered"):
        print(HERE / f"{name}.svg")
    left = leftovers(run_id)
    if left:
        print(f"left behind by run {run_id}: {left}", file=sys.stderr)
        return 1
    print(f"run {run_id}: nothing left behind")
    return 0


if __name__ == "__main__":
    sys.exit(main())
