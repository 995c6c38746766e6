"""The real controller image, one test per outcome, on real Docker."""

from __future__ import annotations

import pytest
from test_controller_support import Harness, busybox_image

from kurtosis_tui import events
from kurtosis_tui.events import Outcome, Phase

pytestmark = pytest.mark.docker
pytest_plugins = ("test_controller_support",)  # the harness fixtures

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
    assert run.seconds < 15


def test_failed_assert_is_failed_with_its_message(harness: Harness) -> None:
    harness.write(HELLO.format(image=busybox_image(harness.backend)))
    run = harness.run("Broken")
    assert run.outcome is Outcome.FAILED, run.describe()
    assert run.message.startswith("AssertionError: the file is missing"), run.message
    assert "Traceback" in run.log
    assert "service 'web' (running) wrote no output" in run.log
