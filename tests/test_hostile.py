"""What real suites and hostile services do to the tool (issue 11), on real Docker.

Each test runs tests/hostile_suite as a user does (plain output, JUnit), or through
a session whose events are what every view (TUI, plain, history) is fed.
"""

from __future__ import annotations

import base64
import io
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import docker
import pytest
from support.engine import ROOT, Recorder, leftovers, remove_run, run_cli, run_id_of
from support.robust import shield_from_older_sweeps

from kurtosis_tui import protocol
from kurtosis_tui.backend import ContainerSpec
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.discovery import discover
from kurtosis_tui.engine.interface import RunOptions
from kurtosis_tui.engine.opening import open_session
from kurtosis_tui.events import ControllerStarted, LogLines, Outcome
from kurtosis_tui.redact import LINE_LIMIT
from kurtosis_tui.setup.example_images import BUSYBOX_IMAGE
from kurtosis_tui.setup.images import ensure_controller_image

SUITE = "tests/hostile_suite"
VOLUME_IMAGE = "kurtosis-tui/volume-image:local"
SECRET = "s3cr3t-VALUE-77"
PARAM = "blue-9f3a"


def _run(tmp_path: Path, *args: str, timeout: float = 240) -> tuple[str, str, ET.Element]:
    """``run SUITE --no-tui ARGS --junit-xml``: stdout, stderr and the JUnit report's root;
    fails unless nothing labelled is left."""
    report = tmp_path / "junit.xml"
    proc = run_cli("run", SUITE, "--no-tui", "--junit-xml", str(report), *args, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert leftovers(run_id_of(proc.stdout)) == []
    return proc.stdout, proc.stderr, ET.fromstring(report.read_bytes())


def _case(root: ET.Element, name: str) -> ET.Element:
    return next(c for c in root.iter("testcase") if c.get("name") == name)


# ----------------------------------------------------------------------- names


@pytest.mark.docker
def test_a_service_called_controller_and_tests_differing_by_case(
    images: object, tmp_path: Path
) -> None:
    out, _, root = _run(tmp_path, "-t", "NamesHTTP", "-t", "NamesHttp", "-j", "2")
    assert "NamesHTTP: PASSED" in out and "NamesHttp: PASSED" in out, out
    assert out.splitlines()[-1] == "2 passed"
    assert len(list(root.iter("testcase"))) == 2


def test_object_names_are_injective() -> None:
    names = ["TestHTTP", "TestHttp", "testhttp", "Test_Http", "test_http", "A" * 40, "A" * 41,
             "Ünïcode", "_nicode", "Ü" * 30]
    slugs = {protocol.test_slug(n) for n in names}
    assert len(slugs) == len(names)
    assert protocol.test_slug("TestHTTP") == "TestHTTP"  # readable: the class name itself
    # a "-" only before the hash of a cut name (no class name holds one), and none of "."
    # (a swarm refuses it in a network's name)
    assert all(slug.count("-") == (slug != name) for name, slug in
               ((n, protocol.test_slug(n)) for n in names))
    assert all("." not in slug for slug in slugs)
    assert len({protocol.object_name("r", n, 1, "web") for n in names}) == len(names)
    assert protocol.controller_name("r", "T", 1) not in {
        protocol.object_name("r", "T", 1, "controller")}


# ------------------------------------------------------------------- encoding


@pytest.mark.docker
def test_a_surrogate_and_u_fffe_neither_silence_the_log_nor_break_junit(
    images: object, tmp_path: Path
) -> None:
    out, _, root = _run(tmp_path, "-t", "Unencodable")
    assert "Unencodable: FAILED" in out
    assert "surrogate \\udce9 here" in out
    assert "after-the-surrogate: still logged" in out  # the log goes on after it
    assert "bytes \ufffd\ufffd from odd" in out  # the service's invalid UTF-8, replaced
    assert "outcome: FAILED: AssertionError: bad \\udce9 and \ufffe in the message" in out
    failure = _case(root, "Unencodable").find("failure")
    assert failure is not None
    message = failure.get("message") or ""
    assert message.startswith("AssertionError: bad \\udce9 and \\ufffe in the message")
    assert "after-the-surrogate: still logged" in (failure.text or "")


# ------------------------------------------------------------ anonymous volumes


def _volume_image(client: docker.DockerClient) -> None:
    dockerfile = f"FROM {BUSYBOX_IMAGE}\nVOLUME /data\n".encode()
    client.images.build(fileobj=io.BytesIO(dockerfile), tag=VOLUME_IMAGE, rm=True)


def _exists(client: docker.DockerClient, volume: str) -> bool:
    try:
        client.volumes.get(volume)
    except docker.errors.NotFound:
        return False
    return True


@pytest.mark.docker
def test_removing_a_container_removes_its_anonymous_volume(images: object) -> None:
    client = docker.from_env()
    _volume_image(client)
    backend = DockerBackend()
    run_id = f"anon{time.time_ns() % 10**8}"
    state = backend.run_container(ContainerSpec(
        name=f"kt-{run_id}-anon", image=VOLUME_IMAGE, command=["sleep", "60"],
        labels={protocol.LABEL_RUN: run_id}))
    mounts = client.api.inspect_container(state.id)["Mounts"]
    (anon,) = [m["Name"] for m in mounts if m["Destination"] == "/data"]
    assert _exists(client, anon)
    backend.remove_container(state.id)
    assert not _exists(client, anon)


@pytest.mark.docker
def test_a_test_leaves_no_anonymous_volume(images: object, tmp_path: Path) -> None:
    _volume_image(docker.from_env())
    out, _, _ = _run(tmp_path, "-t", "AnonVolume")
    assert "AnonVolume: FAILED" in out, out
    name = out.split("anonymous volume: ", 1)[1].split()[0]
    assert not _exists(docker.from_env(), name)


# ------------------------------------------------------------------ evidence


@pytest.mark.docker
def test_a_service_cannot_change_the_log_or_plant_links(images: object, tmp_path: Path) -> None:
    out, _, root = _run(tmp_path, "-t", "Vandal")
    assert "Vandal: FAILED" in out, out
    log = out[out.index("Vandal: FAILED: controller log"):out.index("end of Vandal")]
    assert "forged by vandal" not in out  # the rewritten controller.log is not what is shown
    assert "--- setup" in log and "--- run" in log and "outcome: FAILED" in log
    assert "refused: service 'victim': cannot write" in log and "symlink" in log
    assert "planted in /etc: False" in log  # the link was not followed
    failure = _case(root, "Vandal").find("failure")
    assert failure is not None
    assert (failure.get("message") or "").startswith("AssertionError: vandal-test-ends-here")
    assert "forged by vandal" not in (failure.text or "")


@pytest.mark.docker
def test_a_kept_attempt_s_controller_log_is_the_true_one(images: object, tmp_path: Path) -> None:
    """--keep-failed: the volume's controller.log, which the vandal rewrote, is rewritten
    from the controller's own output at teardown."""
    report = tmp_path / "junit.xml"
    proc = run_cli("run", SUITE, "--no-tui", "-t", "Vandal", "--keep-failed",
                   "--junit-xml", str(report))
    run_id = run_id_of(proc.stdout)
    shield = shield_from_older_sweeps(run_id)
    try:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        controller = protocol.controller_name(run_id, "Vandal", 1)
        data = DockerBackend().read_file(controller, protocol.CONTROLLER_LOG)
        assert data is not None
        text = data.decode()
        assert "forged by vandal" not in text
        assert "--- setup" in text and "outcome: FAILED: AssertionError: vandal-test-ends" in text
    finally:
        remove_run(run_id)
        shield.unlink()
    assert leftovers(run_id) == []


# -------------------------------------------------------------------- secrets


@pytest.mark.docker
def test_a_secret_is_masked_everywhere_the_cli_shows_it(images: object, tmp_path: Path) -> None:
    out, err, root = _run(tmp_path, "-t", "Secretive", "--secret", f"token={SECRET}",
                          "--param", f"color={PARAM}")
    report = (tmp_path / "junit.xml").read_text()
    assert SECRET not in out + err + report
    for said in ("print says ***", "raw stdout says ***", "exec says ***",
                 "service says ***", "message says ***"):
        assert said in out, said
    # printed base64-encoded (each alignment), by the test and by a service
    encoded = [base64.b64encode(f"{before}{SECRET}".encode()).decode()
               for before in ("", "a", "ab", "u:")]
    said = [line for line in out.splitlines() if "b64 print says" in line
            or "b64 service says" in line]
    assert len(said) >= 4 and all("***" in line for line in said), said
    assert not [e for e in encoded if e in out + err + report]
    assert "params: color, token (secret)" in out  # names, never values
    assert f"names {PARAM}: False" in out and "names the secret: False" in out
    failure = _case(root, "Secretive").find("failure")
    assert failure is not None
    assert (failure.get("message") or "").startswith("AssertionError: message says ***")


@pytest.mark.docker
def test_a_secret_never_reaches_a_view(images: object) -> None:
    """What the TUI and the history are fed (service logs streamed live included), with
    the controller prepared ahead (it learns the secret from its settings file, late)."""
    recorder = Recorder()
    suite = ROOT / SUITE
    found = {t.name: t for t in discover(suite)}
    tests = [found["NamesHTTP"], found["Secretive"]]  # -j 1: Secretive waits, on a spare
    options = RunOptions(suite_dir=suite, secrets={"token": SECRET}, params={"color": PARAM},
                         stream_service_logs=True, parallelism=1,
                         prepare_image=ensure_controller_image)
    session = open_session(options, recorder)
    try:
        session.schedule(tests)
        assert session.wait_idle(180)
    finally:
        session.close()
        remove_run(session.run_id)
    result = session.results()["Secretive"]
    assert result.outcome is Outcome.FAILED
    assert result.message.startswith("AssertionError: message says ***")
    assert SECRET not in repr(recorder.events) and SECRET not in repr(result)
    events = recorder.of("Secretive")
    assert [e.ahead for e in events if isinstance(e, ControllerStarted)] == [True]
    streamed = [line for e in events if isinstance(e, LogLines) for line in e.lines]
    assert any(line.endswith("| print says ***") for line in streamed)
    assert "service says ***" in streamed


def test_secret_flags(tmp_path: Path) -> None:
    both = run_cli("run", SUITE, "--no-tui", "--param", "a=1", "--secret", "a=2")
    assert both.returncode == 2 and "a: given both as --param and as --secret" in both.stderr
    bad = run_cli("run", SUITE, "--no-tui", "--secret", "novalue")
    assert bad.returncode == 2 and "--secret 'novalue' is not KEY=VALUE" in bad.stderr


# --------------------------------------------------------------------- floods


@pytest.mark.docker
def test_megabyte_lines_and_32_mib_without_a_newline(images: object, tmp_path: Path) -> None:
    started = time.monotonic()
    out, _, _ = _run(tmp_path, "-t", "Floods", timeout=300)
    took = time.monotonic() - started
    assert "Floods: FAILED" in out, out[-2000:]
    assert "outcome: FAILED: AssertionError: floods-end" in out
    lines = out.splitlines()
    assert sum(1 for line in lines if "m" * LINE_LIMIT in line) == 3  # 1 MiB lines whole
    (cut,) = [line for line in lines if "more characters cut]" in line]  # the test's 32 MiB
    assert cut.startswith("z" * LINE_LIMIT) and "32,5" in cut
    # Docker keeps a service's long line as 16 KiB pieces; its last 50 are quoted, bounded.
    assert any(line.startswith(tuple("0123456789")) and "flood | yyyy" in line for line in lines)
    assert max(len(line) for line in lines) < LINE_LIMIT + 2048
    assert len(out) < 10 * LINE_LIMIT
    print(f"Floods: {took:.1f} s end to end, plain output {len(out) / 2**20:.1f} MiB")


# ------------------------------------------------------------- bad test classes


def test_an_infinite_timeout_is_a_suite_error(tmp_path: Path) -> None:
    (tmp_path / "t.py").write_text(
        "from kurtosis_tui import Test\n\n"
        "class Forever(Test):\n    setup_timeout = float('inf')\n"
        "    def run(self, network): pass\n")
    proc = run_cli("list", str(tmp_path))
    assert proc.returncode == 2
    assert "Forever.setup_timeout = inf: give a positive, finite number of seconds" in proc.stderr
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


@pytest.mark.docker
def test_a_controller_that_crashes_on_import_is_errored(images: object) -> None:
    recorder = Recorder()
    suite = ROOT / SUITE
    tests = [t for t in discover(suite) if t.name == "NamesHTTP"]
    options = RunOptions(suite_dir=suite, prepare_image=ensure_controller_image)
    session = open_session(options, recorder, controller_command=[
        "python3", "-c", "import kt_no_such_module_anywhere"])
    try:
        session.schedule(tests)
        assert session.wait_idle(120)
    finally:
        session.close()
    result = session.results()["NamesHTTP"]
    assert result.outcome is Outcome.ERRORED, result
    assert "exited with code 1 (before it reported an outcome" in result.message
    assert "ModuleNotFoundError: No module named 'kt_no_such_module_anywhere'" in result.message
    assert leftovers(session.run_id) == []


class _Raw:
    """An HTTP response body in 64 KiB reads, as the engine sends a log."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.raw = self
        self.headers: dict[str, str] = {}

    def read1(self, size: int) -> bytes:
        return self._data.read(size)

    def close(self) -> None:
        pass


def _lines(data: bytes) -> tuple[list[str], float]:
    from kurtosis_tui.backend.streams import LogStream

    class Client:
        def close(self) -> None:
            pass

    started = time.perf_counter()
    lines = list(LogStream(_Raw(data), Client(), multiplexed=False))  # type: ignore[arg-type]
    return lines, time.perf_counter() - started


def test_reading_32_mib_without_a_newline_is_linear_and_capped() -> None:
    lines, took = _lines(b"x" * (32 << 20) + b"\nnext\n")
    assert took < 3.0, f"{took:.2f} s"  # was ~9 s: quadratic
    assert len(lines) == 2 and lines[1] == "next"
    assert lines[0].startswith("x" * LINE_LIMIT) and lines[0].endswith("more characters cut]")
    print(f"32 MiB without a newline: read in {took:.2f} s")


def test_megabyte_lines_and_split_characters_are_read_whole() -> None:
    line = "é" * (LINE_LIMIT // 2)  # 1 MiB of UTF-8: characters split across reads
    lines, took = _lines((line + "\n").encode() * 4)
    assert lines == [line] * 4
    print(f"4 x 1 MiB lines: read in {took:.2f} s")
