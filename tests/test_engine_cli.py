"""`kurtosis-tui run` and `list` end to end, as a user (or CI) runs them: a subprocess,
plain output, exit codes, and nothing left in Docker afterwards."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support.engine import ROOT, leftovers, remove_run, run_cli, run_id_of
from support.robust import shield_from_older_sweeps

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.errors import NotFound
from kurtosis_tui.protocol import LABEL_OWNER, LABEL_ROLE, LABEL_RUN, object_name

CONTRACT = "tests/contract_suite"
LINE = re.compile(r"^(\w+): (PASSED|FAILED|ERRORED|TIMED_OUT|CANCELLED) \((\d+\.\d) s\)$",
                  re.MULTILINE)


def outcomes(stdout: str) -> dict[str, tuple[str, float]]:
    """``NAME: OUTCOME (SECONDS s)`` lines of the summary."""
    return {m[1]: (m[2], float(m[3])) for m in LINE.finditer(stdout)}


@pytest.mark.docker
def test_quickstart_passes_exit_0_and_leaves_nothing(images: object) -> None:
    proc = run_cli("run", "examples/quickstart", "--no-tui")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "3 passed"
    assert {k: v[0] for k, v in outcomes(proc.stdout).items()} == {
        "HelloHttp": "PASSED", "ClientServer": "PASSED", "TcpEcho": "PASSED"}
    assert "controller log" not in proc.stdout  # logs are printed for failures only
    assert leftovers(run_id_of(proc.stdout)) == []


@pytest.mark.docker
def test_a_file_and_a_pattern_select_tests(images: object) -> None:
    proc = run_cli("run", "examples/quickstart/hello_http.py", "-t", "*Http*", "--no-tui")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {k: v[0] for k, v in outcomes(proc.stdout).items()} == {"HelloHttp": "PASSED"}
    assert proc.stdout.splitlines()[-1] == "1 passed"
    assert leftovers(run_id_of(proc.stdout)) == []


def test_a_name_in_the_wrong_case_gets_a_hint_and_exit_2() -> None:
    proc = run_cli("run", "examples/quickstart", "-t", "tcpecho", "--no-tui")
    assert proc.returncode == 2
    assert "no test 'tcpecho'" in proc.stderr and "did you mean 'TcpEcho'?" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.docker
def test_a_suite_error_met_while_the_first_set_is_made_leaves_nothing(tmp_path: Path) -> None:
    # The session opens (and makes its first network, volume and controller) while the
    # suite is imported: an import error still ends in one line, exit 2, nothing left.
    (tmp_path / "broken.py").write_text(
        "from kurtosis_tui import Test\nraise RuntimeError('boom at import')\n")
    proc = subprocess.Popen([sys.executable, "-m", "kurtosis_tui", "run", str(tmp_path),
                             "--no-tui"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, cwd=ROOT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, out + err
    assert err.strip() == ("kurtosis-tui: broken.py:2: import failed: RuntimeError: "
                           "boom at import") and out == ""
    owned = [f"{o.kind} {o.name}" for o in DockerBackend().find_labelled(LABEL_OWNER)
             if f":{proc.pid}:" in o.labels.get(LABEL_OWNER, "")]
    assert owned == []


@pytest.mark.docker
def test_the_first_test_starts_on_the_set_made_as_the_run_opened(tmp_path: Path) -> None:
    from kurtosis_tui.events import ControllerStarted, NetworkCreated
    from kurtosis_tui.history.store import Store

    proc = run_cli("run", CONTRACT, "-t", "Passes", "--no-tui",
                   env={"KURTOSIS_TUI_HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run_id = run_id_of(proc.stdout)
    # the run's record (what `show` replays): its network and controller were made
    # before the test was known, while the suite was imported (engine/prepared.py)
    store = Store(tmp_path / "history.db")
    run = store.find(run_id)
    assert run is not None
    made = [e for e in store.events(run.pk) if isinstance(e, (NetworkCreated, ControllerStarted))]
    assert [(type(e).__name__, e.ahead) for e in made] == [
        ("NetworkCreated", True), ("ControllerStarted", True)]
    assert made[0].name == f"kt-{run_id}--ahead-1"  # type: ignore[union-attr]
    assert leftovers(run_id) == []


@pytest.mark.docker
def test_redis_example_passes(images: object) -> None:
    proc = run_cli("run", "examples/redis-replication", "--no-tui")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "2 passed"
    assert leftovers(run_id_of(proc.stdout)) == []


@pytest.mark.docker
@pytest.mark.slow
def test_partition_example_passes_and_leaves_no_helper(images: object) -> None:
    proc = run_cli("run", "examples/partition", "--no-tui")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 passed"
    assert leftovers(run_id_of(proc.stdout)) == []


@pytest.mark.docker
@pytest.mark.slow
def test_every_outcome_through_the_cli(images: object, tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    proc = run_cli("run", CONTRACT, "--no-tui", "-j", "4", "--param", "color=blue",
                   "--junit-xml", str(report))
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    got = outcomes(out)
    assert {k: v[0] for k, v in got.items()} == {
        "Passes": "PASSED", "FailsAssert": "FAILED", "SetupRaises": "ERRORED",
        "MissingImage": "ERRORED", "UsesParams": "PASSED", "Paths": "PASSED",
        "DyingService": "ERRORED", "NeverReady": "TIMED_OUT", "OverrunningRun": "TIMED_OUT",
        "StubbornServices": "PASSED", "RestartsService": "PASSED",
    }
    assert out.splitlines()[-1] == "5 passed, 1 failed, 3 errored, 2 timed out"
    # Each ended by the rule that should end it, not by a longer limit behind it: the
    # bounds sit well under that limit (durations include network, volume and teardown,
    # and a loaded 2-core CI machine). How fast they end is benchmarks/' business.
    assert got["DyingService"][1] < 120  # at once, not at its setup_timeout of 300 s
    assert got["NeverReady"][1] < 60  # its setup_timeout (5 s), not the default 180 s
    assert got["OverrunningRun"][1] < 60  # its run_timeout (3 s), not its 120 s sleep
    # Three services ignoring SIGTERM, waited out in turn, would cost 3 x 10 s; the
    # teardown's own span is test_controller_api's, its speed bench_teardown's.
    assert got["StubbornServices"][1] < 30
    # The controller log of each test that did not pass, between banners; none for passes.
    failed_log = out[out.index("FailsAssert: FAILED: controller log"):
                     out.index("end of FailsAssert")]
    assert "about to fail: marker-5d1c" in failed_log and "one is not two" in failed_log
    assert "doomed is going down" in out  # the dying service's last lines
    assert "Passes: PASSED: controller log" not in out
    # JUnit: a testcase per test, failures and errors with message and log.
    cases = {c.get("name"): c for c in ET.parse(report).getroot().iter("testcase")}
    assert len(cases) == 11
    failure = cases["FailsAssert"].find("failure")
    assert failure is not None and "one is not two" in (failure.get("message") or "")
    assert "marker-5d1c" in (failure.text or "")
    error = cases["NeverReady"].find("error")
    assert error is not None and error.get("type") == "TIMED_OUT"
    assert list(cases["Passes"]) == []
    assert leftovers(run_id_of(out)) == []


@pytest.mark.docker
def test_t_selects_tests_and_param_reaches_them(images: object) -> None:
    without = run_cli("run", CONTRACT, "--no-tui", "-t", "UsesParams")
    assert without.returncode == 1
    assert "params are {}" in without.stdout
    with_param = run_cli("run", CONTRACT, "--no-tui", "-t", "UsesParams", "-t", "Paths",
                         "--param", "color=blue", "--param", "empty=")
    assert with_param.returncode == 0, with_param.stdout + with_param.stderr
    assert set(outcomes(with_param.stdout)) == {"UsesParams", "Paths"}
    assert with_param.stdout.splitlines()[-1] == "2 passed"
    for proc in (without, with_param):
        assert leftovers(run_id_of(proc.stdout)) == []


@pytest.mark.docker
def test_keep_failed_leaves_the_failed_test_up_until_clean(
        images: object, cleans_everything: None) -> None:
    proc = run_cli("run", CONTRACT, "--no-tui", "-t", "Passes", "-t", "DyingService",
                   "--keep-failed")
    run_id = run_id_of(proc.stdout)
    shield = shield_from_older_sweeps(run_id)
    try:
        assert proc.returncode == 1
        assert "kept for inspection: network kt-" in proc.stdout
        assert "kurtosis-tui clean" in proc.stdout
        left = leftovers(run_id)
        assert f"network {object_name(run_id, 'DyingService', 1)}" in left
        assert f"volume {object_name(run_id, 'DyingService', 1)}" in left
        assert not [o for o in left if "-Passes-" in o]  # the passing test is gone
        clean = run_cli("clean")
        assert clean.returncode == 0, clean.stdout + clean.stderr
        assert leftovers(run_id) == []
    finally:
        remove_run(run_id)
        shield.unlink()


@pytest.mark.docker
def test_ctrl_c_cancels_tears_down_and_exits_130(images: object) -> None:
    proc, seen = _run_until("[OverrunningRun] started", CONTRACT, "-t", "NeverReady",
                            "-t", "OverrunningRun")
    # A cancel mid-test is the point: wait until the controller is up and running.
    # (One of the two runs on the set made as the run opened: its name is not the test's.)
    run_id = run_id_of("".join(seen))
    backend, deadline = DockerBackend(), time.monotonic() + 30
    while not _controllers_running(backend, run_id, 2):
        assert time.monotonic() < deadline, "the controllers never ran"
        time.sleep(0.1)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=30)
    out = "".join(seen) + rest
    assert proc.returncode == 130, out + err
    assert time.monotonic() - start < 10
    assert "OverrunningRun: CANCELLED" in out
    assert out.splitlines()[-1].endswith("cancelled")
    assert "Traceback" not in err
    assert leftovers(run_id_of(out)) == []


def _run_until(first: str, *args: str, env: dict[str, str] | None = None,
               ) -> tuple[subprocess.Popen[str], list[str]]:
    """``kurtosis-tui run ARGS --no-tui`` going on in the background, its output read up
    to the line that starts with ``first`` (the lines so far, that one included)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kurtosis_tui", "run", *args, "--no-tui"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    )
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(first):
            break
    return proc, seen


HANGUP_SUITE = """
import time
from kurtosis_tui import Network, Test


class Quick(Test):
    def run(self, network: Network) -> None:
        pass


class Long(Test):
    def setup(self, network: Network) -> None:
        network.add_service("svc", image="kurtosis-tui/busybox:local", command=["sleep", "600"])

    def run(self, network: Network) -> None:
        time.sleep(300)
"""


@pytest.mark.docker
def test_a_hang_up_in_plain_output_still_leaves_the_report_and_the_history(
    images: object, tmp_path: Path
) -> None:
    # `run --no-tui` in a terminal that closes: SIGHUP mid-run. Nobody reads a summary,
    # but the JUnit file and the history say what ran; the process ends, nothing is left.
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "tests.py").write_text(HANGUP_SUITE)
    junit = tmp_path / "junit.xml"
    proc, seen = _run_until("[Quick] PASSED", str(suite), "-j", "2", "--junit-xml", str(junit),
                            env={"KURTOSIS_TUI_HOME": str(tmp_path / "home")})
    run_id = run_id_of("".join(seen))
    backend, deadline = DockerBackend(), time.monotonic() + 60
    while not any(o.kind == "container" and o.name.endswith("-svc")
                  for o in backend.find_labelled(LABEL_RUN, run_id)):
        assert time.monotonic() < deadline, "Long's service never started"
        time.sleep(0.1)
    start = time.monotonic()
    proc.send_signal(signal.SIGHUP)
    proc.communicate(timeout=30)
    assert proc.returncode == 129
    assert time.monotonic() - start < 10
    assert leftovers(run_id) == []
    cases = {case.get("name"): case for case in ET.parse(junit).getroot().iter("testcase")}
    assert set(cases) == {"Quick", "Long"}
    assert not list(cases["Quick"])  # passed
    assert [child.tag for child in cases["Long"]] == ["skipped"]  # cancelled
    history = run_cli("history", "--json", env={"KURTOSIS_TUI_HOME": str(tmp_path / "home")})
    (run,) = json.loads(history.stdout)
    assert {t["name"]: t["outcome"] for t in run["tests"]} == {
        "Quick": "PASSED", "Long": "CANCELLED"}
    assert run["duration_s"] is not None  # the record was closed, not cut off


def _running(backend: DockerBackend, container: str) -> bool:
    try:
        return backend.container_state(container).running
    except NotFound:
        return False


def _controllers_running(backend: DockerBackend, run_id: str, count: int) -> bool:
    controllers = [o.id for o in backend.find_labelled(LABEL_RUN, run_id)
                   if o.kind == "container" and o.labels.get(LABEL_ROLE) == "controller"]
    return len(controllers) == count and all(_running(backend, c) for c in controllers)


@pytest.mark.docker
def test_list_prints_one_test_per_line_and_json() -> None:
    proc = run_cli("list", "examples/quickstart")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert names == ["HelloHttp", "ClientServer", "TcpEcho"]
    assert "hello_http.py:10" in proc.stdout
    data = json.loads(run_cli("list", "examples/quickstart", "--json").stdout)
    assert [t["name"] for t in data] == names
    assert data[0] | {"doc": ""} == {"name": "HelloHttp", "file": "hello_http.py", "line": 10,
                                     "doc": "", "setup_timeout": 60.0, "run_timeout": 30.0}


def _suite(tmp_path: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return str(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no/such/dir", "--no-tui"], "suite directory no/such/dir does not exist"),
        (["list", "no/such/dir"], "suite directory no/such/dir does not exist"),
        (["run", CONTRACT, "--no-tui", "--param", "novalue"], "--param 'novalue' is not KEY=VALUE"),
        (["run", CONTRACT, "--no-tui", "-j", "0"], "-j/--parallelism must be 1 or more"),
        (["run", CONTRACT, "--no-tui", "-t", "Nope"], "no test 'Nope'"),
        (["run", CONTRACT, "--no-tui", "-j", "x"],
         "argument -j/--parallelism: invalid int value: 'x' (see `kurtosis-tui run --help`)"),
        (["run", CONTRACT, "--no-tui", "--bogus"],
         "unrecognized arguments: --bogus (see `kurtosis-tui run --help`)"),
        (["run"], "the following arguments are required: SUITE_DIR"),
        # an unwritable report is said before any test runs, not after the suite ran
        (["run", CONTRACT, "--no-tui", "--junit-xml", "/no/such/dir/report.xml"],
         "--junit-xml /no/such/dir/report.xml: cannot be written: /no/such/dir is not a "
         "directory"),
        (["run", CONTRACT, "--no-tui", "--junit-xml", "/tmp"], "--junit-xml /tmp: is a directory"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("kurtosis-tui: ")
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_suite_errors_name_the_file_and_exit_2(tmp_path: Path) -> None:
    broken = _suite(tmp_path, {"good.py": "from kurtosis_tui import Test\nclass A(Test): pass\n",
                               "bad.py": "from kurtosis_tui import Test\n\nclass B(Test:\n"})
    proc = run_cli("run", broken, "--no-tui")
    assert proc.returncode == 2
    assert re.search(r"kurtosis-tui: bad\.py:3: import failed: SyntaxError", proc.stderr)
    (tmp_path / "bad.py").write_text("from kurtosis_tui import Test\n\n\nclass A(Test): pass\n")
    proc = run_cli("list", broken)
    assert proc.returncode == 2
    assert "good.py:2: two tests are named A: here and at bad.py:4" in proc.stderr or (
        "bad.py:4: two tests are named A: here and at good.py:2" in proc.stderr)
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_cli("run", str(empty), "--no-tui")
    assert proc.returncode == 2 and "no tests in" in proc.stderr


def test_no_docker_engine_exits_2_without_waiting_out_a_timeout() -> None:
    start = time.monotonic()
    proc = run_cli("run", "examples/quickstart", "--no-tui",
                   env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert time.monotonic() - start < 20  # not the Docker SDK's 60 s timeout
    assert proc.returncode == 2
    assert "no Docker engine answers at unix:///nonexistent/docker.sock" in proc.stderr


@pytest.mark.docker
def test_a_reader_that_goes_away_does_not_break_the_run(images: object) -> None:
    """`kurtosis-tui run ... | head -1`: no traceback, the tests still end and are torn down."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kurtosis_tui", "run", "examples/quickstart", "--no-tui",
         "-t", "HelloHttp"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode()
    while "(run " not in first:  # a controller image rebuild may come first
        first = proc.stdout.readline().decode()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert leftovers(run_id_of(first)) == []


@pytest.mark.docker
def test_long_test_names_that_share_a_prefix_get_distinct_objects(
    images: object, tmp_path: Path
) -> None:
    service = ('        network.add_service("web", image="kurtosis-tui/busybox:local",\n'
               '                            command=["sleep", "60"])\n')
    suite = _suite(tmp_path, {"long.py": (
        "from kurtosis_tui import Network, Test\n\n"
        "class ReplicationSurvivesPrimaryRestart(Test):\n"
        "    def setup(self, network: Network) -> None:\n" + service + "\n"
        "class ReplicationSurvivesPrimaryRestartTwice(Test):\n"
        "    def setup(self, network: Network) -> None:\n" + service)})
    proc = run_cli("run", suite, "--no-tui", "-j", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "2 passed"
    assert leftovers(run_id_of(proc.stdout)) == []


NEVER_READY = '''
from kurtosis_tui import Network, Test, checks


class SlowWait(Test):
    setup_timeout = 25

    def setup(self, network: Network) -> None:
        network.add_service("web", image="kurtosis-tui/busybox:local",
                            command=["sleep", "600"], ready=checks.tcp(8080))
'''


@pytest.mark.docker
@pytest.mark.slow
def test_a_long_wait_is_never_silent_in_plain_output(images: object, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(NEVER_READY)
    proc = run_cli("run", str(tmp_path), "--no-tui")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    done = next(i for i, line in enumerate(lines) if line.startswith("[SlowWait] TIMED_OUT"))
    waits = [line for line in lines[:done] if line.startswith("[SlowWait] waiting for service web")]
    assert all("tcp :8080" in w and "of 25 s" in w for w in waits), waits
    progress = [w for w in waits if "last attempt: [Errno 111] Connection refused" in w]
    assert len(progress) >= 2, proc.stdout
    assert leftovers(run_id_of(proc.stdout)) == []
