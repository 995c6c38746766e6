"""Nothing leaks, nothing hangs: signals in every phase, kill -9, crashes, two runs at once.

Every test runs the real command line (plain output) on a suite whose test
blocks in the phase under test, and triggers on what a user could see: an
output line, a line of the controller's log, or the Docker object appearing.
Afterwards nothing labelled with the run's id may be left.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.engine import run_cli
from support.robust import labelled, wait_until

from kurtosis_tui import protocol
from kurtosis_tui.backend import LabelledObject
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.errors import BackendError

pytest_plugins = ("support.robust",)  # its fixtures
pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parent.parent
QUICKSTART = REPO / "examples" / "quickstart"

SUITE = '''
import time
from kurtosis_tui import Network, Test, checks

B = "kurtosis-tui/busybox:local"


def sleeper(network, name, **kwargs):
    return network.add_service(name, image=B, command=["sleep", "600"], **kwargs)


class InNetwork(Test):
    """Blocks nowhere: the signal races the network's creation."""
    def setup(self, network: Network) -> None:
        sleeper(network, "svc")

    def run(self, network: Network) -> None:
        time.sleep(300)


class InServices(Test):
    """Starts services one after another."""
    def setup(self, network: Network) -> None:
        for i in range(6):
            sleeper(network, f"svc{i}")

    def run(self, network: Network) -> None:
        time.sleep(300)


class InChecks(Test):
    """A check that never holds."""
    setup_timeout = 120

    def setup(self, network: Network) -> None:
        sleeper(network, "svc", ready=checks.command(["false"]))


class InRun(Test):
    """run() blocks."""
    run_timeout = 120

    def setup(self, network: Network) -> None:
        sleeper(network, "svc")

    def run(self, network: Network) -> None:
        print("run: blocking now", flush=True)
        time.sleep(300)


class InTeardown(Test):
    """Fails with many services up: teardown copies their logs and removes them."""
    def setup(self, network: Network) -> None:
        for i in range(10):
            network.add_service(f"svc{i}", image=B, command=["sh", "-c", "seq 200; sleep 600"])

    def run(self, network: Network) -> None:
        raise AssertionError("failing on purpose")


class ServiceCrash(Test):
    """A service dies while run() is busy."""
    def setup(self, network: Network) -> None:
        network.add_service(
            "crashy", image=B, command=["sh", "-c", "echo starting; sleep 2; echo boom >&2; exit 3"]
        )

    def run(self, network: Network) -> None:
        print("run: waiting", flush=True)
        time.sleep(6)
'''


class Cli:
    """``kurtosis-tui run ... --no-tui`` in a subprocess, its output read as it comes."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kurtosis_tui", "run", *args, "--no-tui"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._out: list[str] = []
        self._err: list[str] = []
        self._cond = threading.Condition()
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, self._out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self._err), daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        self.run_id = self.wait_line(r"\(run ([0-9a-f]+),", timeout=240).group(1)

    def _read(self, stream: object, into: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._cond:
                into.append(line)
                self._cond.notify_all()

    def wait_line(self, pattern: str, timeout: float, *, stderr: bool = False) -> re.Match[str]:
        regex = re.compile(pattern)
        found: list[re.Match[str]] = []
        lines = self._err if stderr else self._out

        def seen() -> bool:
            found.extend(m for m in map(regex.search, lines) if m)
            return bool(found) or self.proc.poll() is not None

        with self._cond:
            self._cond.wait_for(seen, timeout)
        assert found, f"no line matching {pattern!r}:\n{self.stdout}\n{self.stderr}"
        return found[0]

    def send(self, sig: signal.Signals) -> float:
        self.proc.send_signal(sig)
        return time.monotonic()

    def finish(self, timeout: float) -> int:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(5)
        return code

    @property
    def stdout(self) -> str:
        return "".join(self._out)

    @property
    def stderr(self) -> str:
        return "".join(self._err)


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    (tmp_path / "blocking.py").write_text(SUITE)
    return tmp_path


@pytest.fixture
def clis() -> Iterator[list[Cli]]:
    started: list[Cli] = []
    yield started
    for cli in started:
        if cli.proc.poll() is None:
            cli.proc.kill()
            cli.proc.wait()


def objects(backend: DockerBackend, run_id: str, **labels: str) -> list[LabelledObject]:
    return [
        o for o in labelled(backend, run_id) if all(o.labels.get(k) == v for k, v in labels.items())
    ]


def controller_log_has(backend: DockerBackend, run_id: str, text: str) -> Callable[[], bool]:
    def check() -> bool:
        for obj in objects(backend, run_id, **{protocol.LABEL_ROLE: "controller"}):
            try:
                if text in backend.logs(obj.id):
                    return True
            except BackendError:
                pass
        return False

    return check


def trigger(phase: str, backend: DockerBackend, run_id: str) -> None:
    """Return once the run is in ``phase`` (as close to its start as polling gets)."""
    if phase == "network":
        wait_until(lambda: bool(objects(backend, run_id)), timeout=60, poll=0.01)
    elif phase == "services":
        has_service = lambda: any(  # noqa: E731
            protocol.LABEL_SERVICE in o.labels for o in objects(backend, run_id)
        )
        wait_until(has_service, timeout=60, poll=0.02)
    elif phase == "checks":
        # the controller's wire events (events.py) are steadier than its log's wording
        waiting = '"kind":"service_waiting"'
        wait_until(controller_log_has(backend, run_id, waiting), timeout=60)
    elif phase == "running":
        wait_until(controller_log_has(backend, run_id, "run: blocking now"), timeout=60)
    elif phase == "teardown":
        teardown = '"phase":"teardown"'
        wait_until(controller_log_has(backend, run_id, teardown), timeout=60, poll=0.02)


PHASE_TESTS = {
    "network": "InNetwork",
    "services": "InServices",
    "checks": "InChecks",
    "running": "InRun",
    "teardown": "InTeardown",
}


@pytest.mark.parametrize("phase", list(PHASE_TESTS))
def test_ctrl_c_in_each_phase_stops_cleanly_within_10_s(
    phase: str, suite_dir: Path, docker_backend: DockerBackend, clis: list[Cli]
) -> None:
    name = PHASE_TESTS[phase]
    cli = Cli(str(suite_dir), "-t", name)
    clis.append(cli)
    trigger(phase, docker_backend, cli.run_id)

    sent = cli.send(signal.SIGINT)
    code = cli.finish(timeout=15)
    took = time.monotonic() - sent
    print(f"{phase}: Ctrl-C -> exit {code} after {took:.2f} s")

    assert code == 130, cli.stdout + cli.stderr
    assert took < 10.0
    expected = "CANCELLED|FAILED" if phase == "teardown" else "CANCELLED"
    assert re.search(rf"^{name}: ({expected}) \(", cli.stdout, re.M), cli.stdout
    assert "Traceback" not in cli.stderr
    assert not labelled(docker_backend, cli.run_id)  # torn down before the exit, not reaped


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_run_still_writes_its_junit_report(
    sig: signal.Signals, suite_dir: Path, tmp_path: Path, docker_backend: DockerBackend,
    clis: list[Cli],
) -> None:
    """A CI job's timeout sends SIGTERM: the report says what finished and what not."""
    report = tmp_path / "junit.xml"
    cli = Cli(str(suite_dir), "-t", "InRun", "--junit-xml", str(report))
    clis.append(cli)
    trigger("running", docker_backend, cli.run_id)
    cli.send(sig)
    assert cli.finish(timeout=15) == 130, cli.stdout + cli.stderr
    cases = ET.parse(report).getroot().findall("testcase")
    assert [c.get("name") for c in cases] == ["InRun"]
    skipped = cases[0].find("skipped")  # CANCELLED
    assert skipped is not None, ET.tostring(cases[0], encoding="unicode")


def test_sigterm_is_a_graceful_stop(
    suite_dir: Path, docker_backend: DockerBackend, clis: list[Cli]
) -> None:
    cli = Cli(str(suite_dir), "-t", "InRun")
    clis.append(cli)
    trigger("running", docker_backend, cli.run_id)
    sent = cli.send(signal.SIGTERM)
    assert cli.finish(timeout=15) == 130
    assert time.monotonic() - sent < 10.0
    assert re.search(r"^InRun: CANCELLED \(", cli.stdout, re.M), cli.stdout
    assert "1 cancelled" in cli.stdout
    assert not labelled(docker_backend, cli.run_id)


def test_second_ctrl_c_quits_at_once_and_nothing_is_left(
    suite_dir: Path, docker_backend: DockerBackend, clis: list[Cli]
) -> None:
    cli = Cli(str(suite_dir), "-t", "InRun", "-t", "InChecks", "-t", "InServices")
    clis.append(cli)
    trigger("running", docker_backend, cli.run_id)
    cli.send(signal.SIGINT)
    # Two signals sent back to back can reach Python as one: wait until the first is seen.
    cli.wait_line(r"press Ctrl-C again", timeout=15, stderr=True)
    sent = cli.send(signal.SIGINT)
    assert cli.finish(timeout=10) == 130
    quit_after = time.monotonic() - sent
    assert quit_after < 6.5  # at once, not by the watchdog (GRACE = 7 s)
    assert "quitting now" in cli.stderr and "Traceback" not in cli.stderr
    clean_after = wait_until(lambda: not labelled(docker_backend, cli.run_id), timeout=30)
    print(
        f"second Ctrl-C: exit after {quit_after:.2f} s, nothing labelled {clean_after:.2f} s later"
    )


@pytest.mark.parametrize("phase", ["network", "running"])
def test_kill_9_leaves_nothing_within_30_s(
    phase: str, suite_dir: Path, tmp_path: Path, docker_backend: DockerBackend,
    clis: list[Cli], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KURTOSIS_TUI_HOME", str(tmp_path / "home"))  # a history of its own
    name = "InNetwork" if phase == "network" else "InRun"
    cli = Cli(str(suite_dir), "-t", name, "-t", "InChecks")
    clis.append(cli)
    trigger(phase, docker_backend, cli.run_id)
    killed = cli.send(signal.SIGKILL)
    cli.finish(timeout=10)
    wait_until(lambda: not labelled(docker_backend, cli.run_id), timeout=30)
    print(f"kill -9 in {phase}: nothing labelled after {time.monotonic() - killed:.2f} s")
    if phase == "running":  # (killed in the network phase, it may not be recorded yet)
        # The history cannot have its end: it says the run was interrupted, not running.
        listed = run_cli("history").stdout.splitlines()
        assert listed[1].startswith(cli.run_id) and " interrupted " in listed[1], listed
        shown = run_cli("show", "last", "--no-tui").stdout.splitlines()
        assert shown[-1] == ("run interrupted: the process that ran it ended before the run "
                             "did (killed?); never finished: InChecks, InRun"), shown


def test_controller_crash_is_errored_with_its_last_lines(
    suite_dir: Path, docker_backend: DockerBackend, clis: list[Cli]
) -> None:
    cli = Cli(str(suite_dir), "-t", "InRun")
    clis.append(cli)
    trigger("running", docker_backend, cli.run_id)
    (controller,) = objects(docker_backend, cli.run_id, **{protocol.LABEL_ROLE: "controller"})
    docker_backend.kill_container(controller.id)

    assert cli.finish(timeout=60) == 1
    assert re.search(r"^InRun: ERRORED \(", cli.stdout, re.M), cli.stdout
    assert "run: blocking now" in cli.stdout  # the controller's last lines are shown
    assert "137" in cli.stdout  # its exit code (SIGKILL)
    assert not labelled(docker_backend, cli.run_id)


def test_service_crash_during_run_shows_in_output_and_logs(
    suite_dir: Path, docker_backend: DockerBackend, clis: list[Cli]
) -> None:
    cli = Cli(str(suite_dir), "-t", "ServiceCrash")
    clis.append(cli)
    assert cli.finish(timeout=120) == 1
    out = cli.stdout
    assert "[ServiceCrash] service crashy exited with code 3" in out
    assert re.search(r"^ServiceCrash: FAILED \(", out, re.M), out
    assert "exited unexpectedly with code 3" in out
    assert "boom" in out  # the service's last log lines, in the controller log
    assert not labelled(docker_backend, cli.run_id)


def test_two_runs_at_once_do_not_disturb_each_other(
    suite_dir: Path, docker_backend: DockerBackend, clis: list[Cli]
) -> None:
    first = Cli(str(suite_dir), "-t", "InRun")
    clis.append(first)
    trigger("running", docker_backend, first.run_id)
    before = sorted(o.id for o in labelled(docker_backend, first.run_id))

    second = Cli(str(QUICKSTART), "-j", "4")
    clis.append(second)
    assert second.finish(timeout=120) == 0, second.stdout + second.stderr
    assert second.stdout.rstrip().endswith("3 passed")
    assert not labelled(docker_backend, second.run_id)
    # The second run swept dead runs at its start and cleaned its own: the first is intact.
    assert sorted(o.id for o in labelled(docker_backend, first.run_id)) == before
    assert first.proc.poll() is None

    first.send(signal.SIGINT)
    assert first.finish(timeout=15) == 130
    assert not labelled(docker_backend, first.run_id)
