"""Every piece of the suite API, driven by the real controller on real Docker."""

from __future__ import annotations

import time

import pytest
from support.controller import Harness, busybox_image

from kurtosis_tui import events
from kurtosis_tui.events import Outcome, Phase

pytestmark = pytest.mark.docker
pytest_plugins = ("support.controller",)  # the harness fixtures

EVERYTHING = """
import urllib.request
from pathlib import Path

from helpers import GREETING
from kurtosis_tui import Network, Test, checks
from kurtosis_tui.errors import ServiceError

BUSYBOX = {image!r}
FOREVER = "exec sleep 600"


class Everything(Test):
    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        web = network.add_service(
            "web",
            image=BUSYBOX,
            command=["httpd", "-f", "-p", "8080", "-h", "/test-volume/services/web"],
            files={{
                "index.html": GREETING,
                "sub/deeper/data.bin": bytes(range(256)),
                "sub/note.txt": self.params["note"],
            }},
            ready=checks.http(8080, "/sub/note.txt"),
        )
        web.wait_ready()  # ordering: the others start once web answers
        network.add_service(
            "tcp", image=BUSYBOX, command=["httpd", "-f", "-p", "9000"], ready=checks.tcp(9000)
        )
        network.add_service(
            "logger",
            image=BUSYBOX,
            command=["sh", "-c", "sleep 0.3; echo 'ready to serve'; " + FOREVER],
            ready=checks.log(r"ready to \\w+"),
        )
        network.add_service(
            "cmd",
            image=BUSYBOX,
            command="sh -c 'sleep 0.3; touch /tmp/ok; exec sleep 600'",
            ready=checks.command("test -f /tmp/ok && echo yes", expect="yes"),
        )
        network.add_service(
            "caller",
            image=BUSYBOX,
            entrypoint=["sh", "-c"],
            command=["sleep 0.3; echo $FLAG > /test-volume/services/caller/flag; " + FOREVER],
            env={{"FLAG": "raised"}},
            ready=checks.call(lambda s: Path(s.dir, "flag").read_text() == "raised\\n"),
        )

    def run(self, network: Network) -> None:
        web, tcp, cmd = network.service("web"), network.service("tcp"), network.service("cmd")
        assert [s.id for s in network.services] == ["web", "tcp", "logger", "cmd", "caller"]
        assert web.hostname == "web" and web.ip.count(".") == 3
        assert web.dir == "/test-volume/services/web"

        # files: text, bytes, sub-folders, params; seen by the service and the controller
        assert (web.dir / "sub/deeper/data.bin").read_bytes() == bytes(range(256))
        size = web.exec(["wc", "-c", "/test-volume/services/web/sub/deeper/data.bin"])
        assert size.output.split()[0] == "256", size
        assert web.exec("cat /test-volume/services/web/sub/note.txt").output == self.params["note"]

        # reachable by hostname from the controller and from another service
        with urllib.request.urlopen("http://web:8080/index.html", timeout=5) as page:
            assert page.read().decode() == GREETING
        assert tcp.exec(["wget", "-qO-", "http://web:8080/index.html"]).output == GREETING

        # exec: exit code, stdout and stderr together
        out = web.exec("echo out; echo err >&2; exit 3")
        assert out.exit_code == 3 and "out" in out.output and "err" in out.output, out

        # logs
        assert "ready to serve" in network.service("logger").logs()

        # stop / start, kill / start, restart: expected exits, checks count again
        tcp.stop(timeout=1)
        try:
            tcp.exec(["true"])
            raise AssertionError("exec in a stopped service worked")
        except ServiceError as exc:
            print("stopped:", exc)
        tcp.start()
        tcp.wait_ready(timeout=20)
        assert tcp.exec(["true"]).exit_code == 0
        cmd.kill()
        cmd.start()
        cmd.wait_ready(timeout=20)
        web.restart(timeout=1)
        web.wait_ready(timeout=20)
        assert tcp.exec(["wget", "-qO-", "http://web:8080/index.html"]).output == GREETING

        # remove
        network.remove_service("caller")
        assert [s.id for s in network.services] == ["web", "tcp", "logger", "cmd"]
        try:
            network.service("caller")
            raise AssertionError("a removed service is still there")
        except ServiceError as exc:
            print("removed:", exc)
        print("all good")
"""


@pytest.mark.slow
def test_every_api_piece_works_in_a_real_test(harness: Harness) -> None:
    harness.write(EVERYTHING.format(image=busybox_image(harness.backend)))
    harness.write('GREETING = "hello\\n"\n', "helpers.py")
    run = harness.run("Everything", params={"note": "from --param\n"})
    assert run.outcome is Outcome.PASSED, run.describe()
    checks = {e.service: e.check for e in run.of(events.ServiceWaiting)}  # type: ignore[attr-defined]
    assert checks == {
        "web": "http :8080/sub/note.txt",
        "tcp": "tcp :9000",
        "logger": r"log /ready to \w+/",
        "cmd": "command test -f /tmp/ok && echo yes (expect 'yes')",
        "caller": "call <lambda>",
    }
    # web.wait_ready() in setup orders the rest after it
    order = [(type(e).__name__, getattr(e, "service", "")) for e in run.events]
    assert order.index(("ServiceAvailable", "web")) < order.index(("ServiceStarting", "tcp"))
    exits = [(e.service, e.expected) for e in run.of(events.ServiceExited)]  # type: ignore[attr-defined]
    assert sorted(exits) == [("cmd", True), ("tcp", True), ("web", True)]
    assert sorted(run.services_in(events.ServiceAvailable)) == sorted(
        ["web", "tcp", "logger", "cmd", "caller", "tcp", "cmd", "web"]
    )
    removed = run.services_in(events.ServiceRemoved)
    assert removed[0] == "caller" and sorted(removed) == ["caller", "cmd", "logger", "tcp", "web"]
    assert "| stopped: service 'tcp' is not running" in run.log
    assert "| removed: no service 'caller' in this test" in run.log
    assert "| all good" in run.log
    assert "stop service 'tcp' (asked by the test)" in run.log


STUBBORN = """
from kurtosis_tui import Network, Test

IGNORE_TERM = "trap '' TERM; echo up; while :; do sleep 1; done"

class Stubborn(Test):
    def setup(self, network: Network) -> None:
        for name in ("a", "b", "c"):
            network.add_service(name, image={image!r}, command=["sh", "-c", IGNORE_TERM])

class Forever(Stubborn):
    def run(self, network: Network) -> None:
        print("running forever")
        import time
        while True:
            time.sleep(0.1)

class Fails(Stubborn):
    def run(self, network: Network) -> None:
        assert False, "keep them"
"""


def test_services_ignoring_sigterm_are_torn_down_at_once(harness: Harness) -> None:
    harness.write(STUBBORN.format(image=busybox_image(harness.backend)))
    run = harness.run("Stubborn")
    assert run.outcome is Outcome.PASSED, run.describe()
    assert run.seconds < 30, run.describe()  # not 3 x a 10 s SIGTERM grace
    (teardown,) = [e for e in run.of(events.PhaseChanged) if e.phase is Phase.TEARDOWN]  # type: ignore[attr-defined]
    (reported,) = run.of(events.OutcomeReported)
    # Under one 10 s SIGTERM grace (docker stop's default); the speed goal, <= 1 s, is
    # benchmarks/bench_teardown.py's.
    assert reported.at - teardown.at < 7, run.describe()
    assert sorted(run.services_in(events.ServiceRemoved)) == ["a", "b", "c"]


def test_sigterm_cancels_and_tears_down(harness: Harness) -> None:
    harness.write(STUBBORN.format(image=busybox_image(harness.backend)))
    attempt = harness.start("Forever", keep=True)  # a cancelled test is never kept
    deadline = time.monotonic() + 60
    while "running forever" not in harness.backend.logs(attempt.container):
        assert time.monotonic() < deadline, "the test never started running"
        time.sleep(0.1)
    asked = time.monotonic()
    harness.backend.stop_container(attempt.container, timeout=10)  # SIGTERM, then SIGKILL
    run = attempt.wait()
    assert time.monotonic() - asked < 9  # before the SIGKILL that comes at 10 s
    assert run.outcome is Outcome.CANCELLED, run.describe()
    assert run.message == "cancelled"
    assert sorted(run.services_in(events.ServiceRemoved)) == ["a", "b", "c"]


def test_keep_services_leaves_a_failed_tests_services_up(harness: Harness) -> None:
    harness.write(STUBBORN.format(image=busybox_image(harness.backend)))
    harness.keeps_services = True
    run = harness.run("Fails", keep=True)
    assert run.outcome is Outcome.FAILED, run.describe()
    assert len(harness.service_containers()) == 3
    assert run.services_in(events.ServiceRemoved) == []
    assert "keeping the services for inspection" in run.log
    assert "a | up" in run.log  # the failed test's service logs were copied


def test_keep_services_still_removes_a_passing_tests_services(harness: Harness) -> None:
    harness.write(STUBBORN.format(image=busybox_image(harness.backend)))
    run = harness.run("Stubborn", keep=True)
    assert run.outcome is Outcome.PASSED, run.describe()
    assert harness.service_containers() == []


def test_nested_file_and_load_errors(harness: Harness) -> None:
    harness.write(
        """
        from kurtosis_tui import Test

        class Nested(Test):
            def run(self, network):
                print("params", sorted(self.params.items()))
        """,
        "deep/er/test_nested.py",
    )
    harness.write("import no_such_module\n", "test_broken.py")
    run = harness.run("Nested", file="deep/er/test_nested.py", params={"k": "v"})
    assert run.outcome is Outcome.PASSED, run.describe()
    assert "| params [('k', 'v')]" in run.log

    missing = harness.run("Absent", file="deep/er/test_nested.py")
    assert missing.outcome is Outcome.ERRORED, missing.describe()
    assert "no Test subclass named 'Absent' in deep/er/test_nested.py" in missing.message

    broken = harness.run("Whatever", file="test_broken.py")
    assert broken.outcome is Outcome.ERRORED, broken.describe()
    assert "No module named 'no_such_module'" in broken.message
    assert "Traceback" in broken.log
