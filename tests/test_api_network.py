"""Unit tests of Network and Service on a fake backend: validation, files, specs, events."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from support.api import FakeBackend, eventually, make_network

from kurtosis_tui import ExecResult, checks, events, protocol
from kurtosis_tui.backend.types import ContainerSpec, ContainerState, ExecOutput
from kurtosis_tui.errors import (
    InvalidServiceError,
    ServiceError,
    ServiceExitedError,
    ServiceNotReadyError,
    TestStopped,
)


@pytest.mark.parametrize("bad", ["Web", "1web", "", "web_1", "w" * 64, "-web", "wéb", 7])
def test_invalid_service_id_is_an_error_naming_it(tmp_path: Path, bad: object) -> None:
    net, backend, _, _ = make_network(tmp_path)
    with pytest.raises(InvalidServiceError) as err:
        net.add_service(bad, image="img:1")  # type: ignore[arg-type]
    assert repr(bad) in str(err.value)
    assert backend.containers == {}


def test_longest_valid_id_is_accepted(tmp_path: Path) -> None:
    net, _, _, _ = make_network(tmp_path)
    assert net.add_service("w" + "-1" * 31, image="img:1").hostname == "w" + "-1" * 31


def test_duplicate_service_id_is_an_error_naming_it(tmp_path: Path) -> None:
    net, backend, _, _ = make_network(tmp_path)
    net.add_service("db", image="img:1")
    with pytest.raises(InvalidServiceError, match="duplicate service id 'db'"):
        net.add_service("db", image="img:1")
    assert len(backend.containers) == 1


def test_files_with_sub_folders_and_bytes_are_written_before_start(tmp_path: Path) -> None:
    net, _, _, _ = make_network(tmp_path)
    svc = net.add_service(
        "web",
        image="img:1",
        files={"index.html": "hello\n", "conf/a/b.bin": b"\x00\xff", "conf/c.txt": "é"},
    )
    root = tmp_path / "services" / "web"
    assert svc.dir == str(root)
    assert (svc.dir / "index.html").read_text() == "hello\n"
    assert (root / "conf/a/b.bin").read_bytes() == b"\x00\xff"
    assert (root / "conf/c.txt").read_bytes() == "é".encode()
    # services may run as any user: directories writable, files readable by all
    assert stat.S_IMODE(os.stat(root / "conf/a").st_mode) == 0o777
    assert stat.S_IMODE(os.stat(root / "index.html").st_mode) == 0o666


def test_service_without_files_still_gets_its_directory(tmp_path: Path) -> None:
    net, _, _, _ = make_network(tmp_path)
    assert Path(net.add_service("db", image="img:1").dir).is_dir()


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", ""])
def test_file_paths_outside_the_directory_are_refused(tmp_path: Path, name: str) -> None:
    net, backend, _, _ = make_network(tmp_path)
    with pytest.raises(ServiceError, match="service 'web'"):
        net.add_service("web", image="img:1", files={name: "x"})
    assert backend.containers == {}
    assert net.services == []


def test_file_content_must_be_text_or_bytes(tmp_path: Path) -> None:
    net, _, _, _ = make_network(tmp_path)
    with pytest.raises(ServiceError, match=r"'n.txt' has content of type int"):
        net.add_service("web", image="img:1", files={"n.txt": 3})  # type: ignore[dict-item]


def test_container_spec_labels_network_and_mount(tmp_path: Path) -> None:
    net, backend, _, _ = make_network(tmp_path)
    net.add_service(
        "web",
        image="img:1",
        command="httpd -f -p '8080'",
        entrypoint=["/bin/sh", "-c"],
        env={"A": "1", "B": 2},  # type: ignore[dict-item]
    )
    (container,) = backend.containers.values()
    spec = container.spec
    assert spec.name == "kt-r1-MyTest-2-web"  # case kept: MyTest and Mytest are two tests
    assert spec.labels == {
        protocol.LABEL_RUN: "r1",
        protocol.LABEL_TEST: "MyTest",
        protocol.LABEL_ATTEMPT: "2",
        protocol.LABEL_ROLE: "service",
        protocol.LABEL_SERVICE: "web",
        protocol.LABEL_OWNER: "host:1:2",
    }
    assert spec.command == ["httpd", "-f", "-p", "8080"]
    assert spec.entrypoint == ["/bin/sh", "-c"]
    assert spec.env == {"A": "1", "B": "2"}
    assert (spec.network, spec.aliases, spec.hostname) == ("kt-r1-mytest-2", ("web",), "web")
    assert [(m.source, m.target) for m in spec.mounts] == [("kt-r1-mytest-2-vol", "/test-volume")]
    assert spec.init is True


def test_add_service_returns_while_its_container_starts(tmp_path: Path) -> None:
    gate = threading.Event()
    backend = FakeBackend()
    run = backend.run_container

    def slow_run(spec: ContainerSpec) -> ContainerState:
        assert gate.wait(5)
        return run(spec)

    backend.run_container = slow_run  # type: ignore[method-assign]
    net, _, rec, _ = make_network(tmp_path, backend)
    a = net.add_service("a", image="img:1")
    b = net.add_service("b", image="img:1")  # returned although a has not started
    assert a.is_starting and b.is_starting and net.starting()
    assert [type(e) for e in rec.events] == [events.ServiceStarting] * 2
    exec_result: list[ExecResult] = []
    waiter = threading.Thread(target=lambda: exec_result.append(a.exec(["true"])))
    waiter.start()  # waits for a's own container, then runs
    gate.set()
    waiter.join(5)
    assert exec_result == [ExecResult(0, "true")]
    assert a.wait_started(5) and b.wait_started(5) and not net.starting()


def test_starting_emits_starting_then_started_then_polls_the_check(tmp_path: Path) -> None:
    net, _, rec, _ = make_network(tmp_path)
    svc = net.add_service("web", image="img:1", ready=checks.call(lambda s: False))
    assert svc.ip.startswith("10.0.0.")  # waits for its container
    eventually(lambda: rec.of(events.ServiceWaiting))  # polled as soon as it runs
    kinds = [type(e) for e in rec.events]
    assert kinds == [events.ServiceStarting, events.ServiceStarted, events.ServiceWaiting]
    started = rec.events[1]
    assert isinstance(started, events.ServiceStarted)
    assert (started.service, started.ip, started.test, started.attempt) == (
        "web",
        svc.ip,
        "MyTest",
        2,
    )
    net.begin_teardown()  # ends the poll


def test_missing_image_names_it_and_frees_the_id(tmp_path: Path) -> None:
    net, backend, _, _ = make_network(tmp_path)
    over: list[tuple[str, str]] = []
    net.on_start_over = lambda s, error: over.append((s.id, str(error)))
    svc = net.add_service("web", image="nope:latest")
    assert not svc.wait_started(5)
    assert over and over[0][0] == "web" and "'nope:latest'" in over[0][1]
    with pytest.raises(ServiceError, match="'nope:latest'"):
        svc.exec("true")  # every use of it says why it never ran
    assert net.services == []
    backend.images.add("nope:latest")
    assert net.add_service("web", image="nope:latest").wait_started(5)


def test_lookup_services_and_remove(tmp_path: Path) -> None:
    net, backend, rec, _ = make_network(tmp_path)
    a = net.add_service("a", image="img:1")
    net.add_service("b", image="img:1")
    assert net.service("a") is a
    assert [s.id for s in net.services] == ["a", "b"]
    assert net.services() == net.services  # a property, forgiving of a call
    with pytest.raises(ServiceError, match=r"no service 'zz'.*services: a, b"):
        net.service("zz")
    net.remove_service("a")
    assert [s.id for s in net.services] == ["b"]
    assert backend.removed == ["kt-r1-MyTest-2-a"]
    assert [e.service for e in rec.of(events.ServiceRemoved)] == ["a"]  # type: ignore[attr-defined]


def test_exec_runs_lists_as_argv_and_strings_under_sh(tmp_path: Path) -> None:
    net, backend, _, _ = make_network(tmp_path)
    seen: list[list[str]] = []

    def fake_exec(container: object, cmd: list[str]) -> ExecOutput:
        seen.append(cmd)
        return ExecOutput(3, "out\nerr\n")

    backend.exec_fn = fake_exec  # type: ignore[assignment]
    svc = net.add_service("a", image="img:1")
    assert svc.exec(["cat", "x"]) == ExecResult(3, "out\nerr\n")
    code, output = svc.exec("echo a | wc -c")
    assert (code, output) == (3, "out\nerr\n")
    assert seen == [["cat", "x"], ["sh", "-c", "echo a | wc -c"]]
    with pytest.raises(ServiceError):
        svc.exec([])


def test_exits_the_test_asked_for_are_expected(tmp_path: Path) -> None:
    net, backend, rec, _ = make_network(tmp_path)
    unexpected: list[tuple[str, int]] = []
    net.on_unexpected_exit = lambda s, code: unexpected.append((s.id, code))
    svc = net.add_service("a", image="img:1")
    svc.stop()
    svc.on_exit(143)  # the monitor reports the die event
    svc.start()
    svc.kill()
    svc.on_exit(137)
    svc.start()
    svc.on_exit(1)  # a crash nobody asked for
    exits = rec.of(events.ServiceExited)
    assert [(e.exit_code, e.expected) for e in exits] == [  # type: ignore[attr-defined]
        (143, True),
        (137, True),
        (1, False),
    ]
    assert unexpected == [("a", 1)]
    (container,) = backend.containers.values()
    assert container.actions == ["stop", "start", "kill", "start"]


def test_wait_ready_emits_waiting_then_available(tmp_path: Path) -> None:
    net, _, rec, rt = make_network(tmp_path)
    tries = iter([False, False, True])
    svc = net.add_service("a", image="img:1", ready=checks.call(lambda s: next(tries)))
    rt.deadline = time.monotonic() + 5
    svc.wait_ready()
    assert svc.is_ready
    (waiting,) = rec.of(events.ServiceWaiting)
    assert waiting.check == "call <lambda>"  # type: ignore[attr-defined]
    (available,) = rec.of(events.ServiceAvailable)
    # two failed polls (the early one's and the wait's) and at least one pause between them
    assert checks.FIRST_PAUSE <= available.seconds < 4  # type: ignore[attr-defined]
    svc.wait_ready()  # already ready: returns at once, no second event
    assert len(rec.of(events.ServiceAvailable)) == 1


def test_wait_ready_fails_at_once_when_the_container_exited(tmp_path: Path) -> None:
    net, backend, _, rt = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.call(lambda s: False))
    backend.exit(svc.container_ref, 3)
    rt.deadline = time.monotonic() + 30
    started = time.monotonic()
    with pytest.raises(ServiceExitedError, match=r"'a' exited with code 3 while waiting for call"):
        svc.wait_ready()
    assert time.monotonic() - started < 10  # at once, not at the 30 s deadline


def test_wait_ready_fails_at_once_on_an_unexpected_exit_report(tmp_path: Path) -> None:
    net, _, _, rt = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.call(lambda s: False))
    svc.on_exit(0)
    rt.deadline = time.monotonic() + 30
    with pytest.raises(ServiceExitedError, match="code 0"):
        svc.wait_ready()


def test_wait_ready_times_out_at_the_deadline(tmp_path: Path) -> None:
    net, _, rec, rt = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.log("never"))
    rt.deadline = time.monotonic() + 0.5
    started = time.monotonic()
    with pytest.raises(ServiceNotReadyError, match=r"'a' not ready .*log /never/ never held"):
        svc.wait_ready()
    assert 0.45 < time.monotonic() - started < 5  # not before the deadline; a missed one hangs
    assert [e.service for e in rec.of(events.ServiceTimedOut)] == ["a"]  # type: ignore[attr-defined]


def test_wait_ready_honours_its_own_timeout(tmp_path: Path) -> None:
    net, _, _, rt = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.log("never"))
    rt.deadline = time.monotonic() + 60
    started = time.monotonic()
    with pytest.raises(ServiceNotReadyError):
        svc.wait_ready(timeout=0.3)
    assert time.monotonic() - started < 10  # its own 0.3 s, not the run's 60 s


def test_teardown_stops_waits_and_refuses_new_services(tmp_path: Path) -> None:
    net, _, _, rt = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.log("never"))
    assert net.begin_teardown() == [svc]
    with pytest.raises(TestStopped):
        svc.wait_ready()
    with pytest.raises(TestStopped):
        net.add_service("b", image="img:1")
    svc.on_exit(137)  # removal kills it: not reported as a crash
    assert rt.stopping.is_set()


def test_restart_makes_the_check_count_again(tmp_path: Path) -> None:
    net, _, rec, rt = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.call(lambda s: True))
    rt.deadline = time.monotonic() + 5
    svc.wait_ready()
    svc.restart()
    assert not svc.is_ready
    svc.wait_ready()
    assert len(rec.of(events.ServiceAvailable)) == 2


def test_the_check_is_polled_from_the_moment_the_container_runs(tmp_path: Path) -> None:
    net, _, rec, _ = make_network(tmp_path)
    svc = net.add_service("a", image="img:1", ready=checks.call(lambda s: True))
    eventually(lambda: svc.is_ready)  # nobody waited: the early poll found it
    assert not svc.is_awaited
    assert [type(e) for e in rec.events] == [
        events.ServiceStarting,
        events.ServiceStarted,
        events.ServiceWaiting,
        events.ServiceAvailable,
    ]


def test_the_early_poll_hands_over_to_a_lifecycle_call_without_a_verdict(tmp_path: Path) -> None:
    net, _, rec, rt = make_network(tmp_path)
    polls: list[str] = []
    svc = net.add_service("a", image="img:1", ready=checks.call(lambda s: polls.append(s.id)))
    eventually(lambda: polls)  # the early poll is running (and never holds)
    svc.stop()  # the test stops it: not an exit to report, the early poll just ends
    svc.start()
    rt.deadline = time.monotonic() + 0.3
    with pytest.raises(ServiceNotReadyError):  # the wait now polls, with its own deadline
        svc.wait_ready()
    assert not rec.of(events.ServiceExited)
