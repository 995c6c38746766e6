"""The real controller image, one test per outcome, on real Docker."""

from __future__ import annotations

import pytest
from support.controller import Harness, busybox_image

from kurtosis_tui import events
from kurtosis_tui.events import Outcome, Phase

pytestmark = pytest.mark.docker
pytest_plugins = ("support.controller",)  # the harness fixtures

HELLO = """
from kurtosis_tui import Network, Test, checks

BUSYBOX = {image!r}

class HelloHttp(Test):
    \"\"\"One web server answers with the file it was given.\"\"\"
    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        print("declaring web")
        network.add_service(
            "web",
            image=BUSYBOX,
            command=["httpd", "-f", "-p", "8080", "-h", "/test-volume/services/web"],
            files={{"index.html": "hello\\n"}},
            ready=checks.http(8080, "/index.html"),
        )

    def run(self, network: Network) -> None:
        out = network.service("web").exec(["cat", "/test-volume/services/web/index.html"])
        print("got", repr(out.output))
        assert out.exit_code == 0 and out.output == "hello\\n"

class Broken(HelloHttp):
    def run(self, network: Network) -> None:
        web = network.service("web")
        assert web.exec(["cat", "/nope"]).exit_code == 0, "the file is missing"
"""


def test_passing_test_reports_every_phase_and_cleans_up(harness: Harness) -> None:
    harness.write(HELLO.format(image=busybox_image(harness.backend)))
    run = harness.run("HelloHttp")
    assert run.outcome is Outcome.PASSED, run.describe()
    phases = [e.phase for e in run.of(events.PhaseChanged)]  # type: ignore[attr-defined]
    assert phases == [Phase.SETUP, Phase.RUN, Phase.TEARDOWN]
    kinds = [type(e).__name__ for e in run.events if not isinstance(e, events.PhaseChanged)]
    assert kinds == [
        "ServiceStarting",
        "ServiceStarted",
        "ServiceWaiting",
        "ServiceAvailable",
        "ServiceRemoved",
        "OutcomeReported",
    ]
    (waiting,) = run.of(events.ServiceWaiting)
    assert waiting.check == "http :8080/index.html"  # type: ignore[attr-defined]
    assert "| declaring web" in run.log and "| got 'hello\\n'" in run.log
    assert not any(line.startswith("@@") for line in run.log.splitlines())
    assert run.seconds < 90  # no check waited out the default setup_timeout (180 s)


def test_failed_assert_is_failed_with_its_message(harness: Harness) -> None:
    harness.write(HELLO.format(image=busybox_image(harness.backend)))
    run = harness.run("Broken")
    assert run.outcome is Outcome.FAILED, run.describe()
    assert run.message.startswith("AssertionError: the file is missing"), run.message
    assert "Traceback" in run.log
    assert "service 'web' (running) wrote no output" in run.log


OUTCOMES = """
import socket
import time
from kurtosis_tui import Network, Test, checks
from kurtosis_tui.errors import ServiceError

BUSYBOX = {image!r}

class Crashes(Test):
    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service(
            "db", image=BUSYBOX, command=["sh", "-c", "echo booting db; sleep 0.3; exit 3"],
            ready=checks.tcp(5432),
        )

class NeverReady(Test):
    setup_timeout = 2

    def setup(self, network: Network) -> None:
        network.add_service("web", image=BUSYBOX, command=["sleep", "600"], ready=checks.tcp(80))

class MissingImage(Test):
    def setup(self, network: Network) -> None:
        network.add_service("web", image="kurtosis-tui/no-such-image:nope")

class MissingImageInRun(Test):
    def run(self, network: Network) -> None:
        network.add_service("late", image="kurtosis-tui/no-such-image:nope")

class SideBySide(Test):
    setup_timeout = 60

    def setup(self, network: Network) -> None:
        for name in ("a", "b", "c"):
            network.add_service(name, image=BUSYBOX, command=["httpd", "-f", "-p", "8080"],
                                ready=checks.tcp(8080))

    def run(self, network: Network) -> None:
        assert [s.exec(["true"]).exit_code for s in network.services] == [0, 0, 0]

class SetupRaises(Test):
    def setup(self, network: Network) -> None:
        raise RuntimeError("no config for you")

class BadId(Test):
    def setup(self, network: Network) -> None:
        network.add_service("Web_1", image=BUSYBOX)

class SlowRun(Test):
    run_timeout = 1.5

    def run(self, network: Network) -> None:
        while True:
            time.sleep(0.05)

class DiesDuringRun(Test):
    def setup(self, network: Network) -> None:
        network.add_service(
            "worker", image=BUSYBOX, command=["sh", "-c", "echo working; sleep 1; exit 7"]
        )

    def run(self, network: Network) -> None:
        worker = network.service("worker")
        while "working" not in worker.logs():
            time.sleep(0.05)
        while True:
            try:
                worker.exec(["true"])
            except ServiceError as exc:
                print("as expected:", exc)
                return
            time.sleep(0.05)

class RunRaises(Test):
    def run(self, network: Network) -> None:
        socket.create_connection(("127.0.0.1", 1), timeout=5)  # refused, in socket.py
"""


def _write(harness: Harness) -> None:
    harness.write(OUTCOMES.format(image=busybox_image(harness.backend)))


def test_service_exiting_while_awaited_is_errored_at_once(harness: Harness) -> None:
    _write(harness)
    run = harness.run("Crashes")
    assert run.outcome is Outcome.ERRORED, run.describe()
    assert run.seconds < 30, run.describe()  # at once, not at the 60 s setup timeout
    assert "'db' exited with code 3 while waiting for tcp :5432" in run.message
    assert run.message.endswith("its last output: booting db")  # why, in one line
    assert run.log.count("--- last 50 log lines of service 'db'") == 1
    assert "db | booting db" in run.log
    (exited,) = run.of(events.ServiceExited)
    assert (exited.exit_code, exited.expected) == (3, False)  # type: ignore[attr-defined]
    assert run.services_in(events.ServiceRemoved) == ["db"]


def test_check_that_never_holds_times_out_at_the_setup_deadline(harness: Harness) -> None:
    _write(harness)
    run = harness.run("NeverReady")
    assert run.outcome is Outcome.TIMED_OUT, run.describe()
    assert 2 <= run.seconds < 30, run.describe()  # its 2 s, not the default 180 s
    assert run.message.startswith("service 'web' not ready after 2 s: tcp :80 never held")
    assert run.services_in(events.ServiceTimedOut) == ["web"]
    assert run.services_in(events.ServiceRemoved) == ["web"]


def test_missing_image_is_errored_naming_it(harness: Harness) -> None:
    _write(harness)
    run = harness.run("MissingImage")
    assert run.outcome is Outcome.ERRORED, run.describe()
    assert "kurtosis-tui/no-such-image:nope" in run.message
    assert run.services_in(events.ServiceStarted) == []


def test_a_service_that_cannot_start_in_run_is_errored_naming_it(harness: Harness) -> None:
    _write(harness)
    run = harness.run("MissingImageInRun")  # run() returns before the start fails
    assert run.outcome is Outcome.ERRORED, run.describe()
    assert "'late'" in run.message and "kurtosis-tui/no-such-image:nope" in run.message


def test_services_start_side_by_side(harness: Harness) -> None:
    _write(harness)
    run = harness.run("SideBySide")
    assert run.outcome is Outcome.PASSED, run.describe()
    kinds = [type(e).__name__ for e in run.events]
    # add_service returns while its container starts: all three are starting at once
    assert kinds.index("ServiceStarted") > max(
        i for i, kind in enumerate(kinds) if kind == "ServiceStarting"
    )
    assert sorted(run.services_in(events.ServiceAvailable)) == ["a", "b", "c"]
    assert sorted(run.services_in(events.ServiceRemoved)) == ["a", "b", "c"]


def test_exception_in_setup_is_errored_with_its_traceback(harness: Harness) -> None:
    _write(harness)
    run = harness.run("SetupRaises")
    assert run.outcome is Outcome.ERRORED, run.describe()
    assert run.message == f"RuntimeError: no config for you (test_suite.py:{_line(harness)})"
    assert 'File "/suite/test_suite.py"' in run.log and "Traceback" in run.log
    assert "controller/runner.py" not in run.log  # the user's frames, not our plumbing


def _line(harness: Harness, text: str = "no config for you") -> int:
    lines = (harness.suite_dir / "test_suite.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def test_an_exception_the_library_raised_names_the_suites_line(harness: Harness) -> None:
    """Only a failed assert named where it failed: a RuntimeError or ConnectionError
    said what, not where. Any exception names the suite's line that raised it, the
    test's call when the standard library raised it (not socket.py's line)."""
    _write(harness)
    run = harness.run("RunRaises")
    assert run.outcome is Outcome.FAILED, run.describe()
    assert run.message == ("ConnectionRefusedError: [Errno 111] Connection refused "
                           f"(test_suite.py:{_line(harness, 'create_connection')})")
    assert f"outcome: FAILED: {run.message}" in run.log


def test_invalid_service_id_is_errored_naming_it(harness: Harness) -> None:
    _write(harness)
    run = harness.run("BadId")
    assert run.outcome is Outcome.ERRORED, run.describe()
    assert "invalid service id 'Web_1'" in run.message


def test_run_overrunning_its_timeout_is_timed_out(harness: Harness) -> None:
    _write(harness)
    run = harness.run("SlowRun")
    assert run.outcome is Outcome.TIMED_OUT, run.describe()
    assert run.message == "run() did not finish within 1.5 s"
    assert 1.5 <= run.seconds < 30  # run() never returns: only its run_timeout ends it


def test_service_dying_during_run_fails_the_test_naming_it(harness: Harness) -> None:
    _write(harness)
    run = harness.run("DiesDuringRun")
    assert run.outcome is Outcome.FAILED, run.describe()
    assert run.message == "service 'worker' exited unexpectedly with code 7"
    assert "service 'worker' exited unexpectedly with code 7" in run.log
    assert "worker | working" in run.log
    assert "| as expected: service 'worker' is not running (exited with code 7)" in run.log
    (exited,) = run.of(events.ServiceExited)
    assert (exited.exit_code, exited.expected) == (7, False)  # type: ignore[attr-defined]
