"""Figure 5: watch mode, from a file save to the rerun test's controller container started.

The plain ``--watch`` loop (``kurtosis_tui.watch.plain.PlainWatch``, the code
behind ``run --watch --no-tui``) runs in this process on a temporary suite of
two test files, with a sink that keeps the engine's events. Each sample saves
one file the way an editor does (a new file renamed over the old one), then
reads the ``ControllerStarted`` event of that test's next attempt: its ``at``
minus the time of the save is the latency. The loop's own ``SuiteChanged``
event splits it into "seen and rediscovered" and "engine to controller
started". Between samples the session is idle and the other test untouched,
so each save reruns one test. The median over ``SAVES`` saves is the figure.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path

from common import BUSYBOX_IMAGES, emit, figure, leftovers, not_measured, pick_image, summary

from kurtosis_tui.events import ControllerStarted, Event, SuiteChanged, TestFinished
from kurtosis_tui.setup.images import ensure_controller_image

SAVES = 7
DEADLINE = 60.0  # s for any one step
NAME = "watch mode: save to rerun latency"
GOAL = "<= 0.3 s"
METHOD = (
    f"`run --watch --no-tui`'s loop in-process on a 2-file suite; {SAVES} editor-style saves "
    "(write a temp file, rename it over the test file) while idle; seconds from the save to "
    "the rerun's ControllerStarted event (its `at`), median"
)

TEST_CODE = '''
from kurtosis_tui import Network, Test


class {name}(Test):
    """Benchmark test (revision {rev})."""

    setup_timeout = 30
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service("box", image={image!r}, command=["sleep", "600"])

    def run(self, network: Network) -> None:
        assert network.service("box").exec(["true"]).exit_code == 0
'''


class Events:
    """A sink that keeps events and lets the benchmark wait for one."""

    def __init__(self) -> None:
        self.items: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._cond:
            self.items.append(event)
            self._cond.notify_all()

    def wait(self, match: Callable[[Event], bool], start: int = 0) -> Event:
        end = time.monotonic() + DEADLINE
        with self._cond:
            while True:
                for event in self.items[start:]:
                    if match(event):
                        return event
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("no matching event within the deadline")
                self._cond.wait(left)

    def count(self) -> int:
        with self._cond:
            return len(self.items)


def save(path: Path, text: str) -> float:
    """Save as editors do (new file, renamed over the old); the wall time of the save."""
    tmp = path.with_name(f".{path.name}.swp")
    tmp.write_text(text)
    at = time.time()
    tmp.replace(path)
    return at


def measure(suite: Path, image: str) -> dict[str, object]:
    from kurtosis_tui.engine.discovery import discover
    from kurtosis_tui.engine.interface import RunOptions
    from kurtosis_tui.engine.opening import open_session
    from kurtosis_tui.views.plain import PlainPrinter
    from kurtosis_tui.watch.plain import PlainWatch

    target = suite / "test_edited.py"
    target.write_text(TEST_CODE.format(name="Edited", rev=0, image=image))
    (suite / "test_other.py").write_text(TEST_CODE.format(name="Other", rev=0, image=image))
    tests = discover(suite)
    events, watching = Events(), threading.Event()

    class Printer(PlainPrinter):
        """Plain output to nowhere; its events (the loop's SuiteChanged too) are kept."""

        def __call__(self, event: Event) -> None:
            events(event)
            super().__call__(event)

        def write(self, text: str) -> None:
            super().write(text)
            if text.startswith("watching "):
                watching.set()

    printer = Printer(StringIO())
    options = RunOptions(suite_dir=suite, parallelism=2,
                         prepare_image=ensure_controller_image)
    session = open_session(options, printer, watching=True)
    session.schedule(tests)
    if not session.wait_idle(DEADLINE):
        raise TimeoutError("the first run did not finish")
    loop = PlainWatch(options, session, tests, printer)
    watched: dict[str, list[float]] = {"total": [], "seen": [], "engine": []}
    outcomes: list[str] = []
    runner = threading.Thread(target=loop.run, name="bench-watch", daemon=True)
    runner.start()
    try:
        if not watching.wait(DEADLINE):
            raise TimeoutError("the loop never said it was watching")
        for rev in range(1, SAVES + 1):
            mark = events.count()
            saved = save(target, TEST_CODE.format(name="Edited", rev=rev, image=image))
            started = events.wait(lambda e: isinstance(e, ControllerStarted)
                                  and e.test == "Edited", mark)
            changed = events.wait(lambda e: isinstance(e, SuiteChanged), mark)
            done = events.wait(lambda e, n=rev + 1: isinstance(e, TestFinished)
                               and e.test == "Edited" and e.attempt == n, mark)
            assert isinstance(started, ControllerStarted) and isinstance(done, TestFinished)
            outcomes.append(done.result.outcome.value if done.result else "?")
            watched["total"].append(started.at - saved)
            watched["seen"].append(changed.at - saved)  # type: ignore[attr-defined]
            watched["engine"].append(started.at - changed.at)  # type: ignore[attr-defined]
            if not session.wait_idle(DEADLINE):
                raise TimeoutError("the rerun did not finish")
        reruns_of_other = sum(1 for e in events.items
                              if isinstance(e, ControllerStarted) and e.test == "Other") - 1
    finally:
        loop.request_stop()
        runner.join(DEADLINE)
    return {"samples": watched, "outcomes": outcomes, "other_reruns": reruns_of_other}


def main() -> None:
    image = pick_image(BUSYBOX_IMAGES)
    if image is None:
        emit(not_measured(NAME, unit="s", goal=GOAL, method=METHOD,
                          why="no busybox image: run `kurtosis-tui images --examples`"))
        return
    with tempfile.TemporaryDirectory(prefix="kt-bench-watch-") as tmp:
        result = measure(Path(tmp), image)
    samples = result["samples"]
    assert isinstance(samples, dict)
    total = [round(x, 3) for x in samples["total"]]
    value = statistics.median(total)
    left = leftovers(tests=("Edited", "Other"))
    print(f"save -> controller started: median {value:.3f} s over {len(total)} saves "
          f"(seen+rediscovered {statistics.median(samples['seen']):.3f} s, "
          f"engine {statistics.median(samples['engine']):.3f} s)", file=sys.stderr)
    emit(figure(
        NAME, value, unit="s", goal=GOAL, met=value <= 0.3, method=METHOD,
        samples=total,
        steps={"save -> seen and rediscovered": summary(samples["seen"]),
               "-> controller started": summary(samples["engine"]),
               "save -> controller started": summary(samples["total"])},
        outcomes=result["outcomes"],
        other_test_rerun=result["other_reruns"],
        leftovers=left,
    ))


if __name__ == "__main__":
    main()
