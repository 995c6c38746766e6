"""Unit tests of the availability checks against local sockets and fake services."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kurtosis_tui import ExecResult, checks
from kurtosis_tui.api import checks as checks_module


@dataclass
class FakeService:
    """What a check sees of a service: an address, exec and logs."""

    id: str = "svc"
    ip: str = "127.0.0.1"
    output: str = ""
    exit_code: int = 0
    log_text: str = ""
    gate: threading.Event | None = None  # exec blocks until it is set
    calls: list[list[str] | str] = field(default_factory=list)

    def exec(self, cmd: list[str] | str) -> ExecResult:
        self.calls.append(cmd)
        if self.gate is not None:
            self.gate.wait(10)  # a command that hangs in the service
        return ExecResult(self.exit_code, self.output)

    def logs(self) -> str:
        return self.log_text


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        code = 200 if self.path == "/ok" else 404 if self.path != "/teapot" else 418
        body = self.headers.get("Host", "").encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_descriptions_are_short_and_say_what_is_checked() -> None:
    assert checks.tcp(6379).describe() == "tcp :6379"
    assert checks.http(8080).describe() == "http :8080/"
    assert checks.http(8080, "index.html").describe() == "http :8080/index.html"
    assert checks.http(80, "/health", status=204).describe() == "http :80/health -> 204"
    assert checks.command(["redis-cli", "ping"], expect="PONG").describe() == (
        "command redis-cli ping (expect 'PONG')"
    )
    assert checks.command("pg_isready").describe() == "command pg_isready"
    assert checks.log(r"Ready to accept").describe() == "log /Ready to accept/"

    def replicas_synced(service: object) -> bool:
        return True

    assert checks.call(replicas_synced).describe() == "call replicas_synced"


@pytest.mark.parametrize("port", [0, 65536, -1, "80", True])
def test_bad_ports_are_refused_when_declared(port: object) -> None:
    with pytest.raises(ValueError, match="invalid port"):
        checks.tcp(port)  # type: ignore[arg-type]


def test_tcp_holds_when_something_listens(http_port: int) -> None:
    svc = FakeService()
    assert checks.tcp(http_port).poll(svc)
    refused = checks.tcp(_closed_port())
    assert not refused.poll(svc)
    assert "refused" in refused.last_error.lower()


def test_http_holds_on_the_expected_status_only(http_port: int) -> None:
    svc = FakeService()
    assert checks.http(http_port, "/ok").poll(svc)
    assert checks.http(http_port, "/teapot", status=418).poll(svc)
    missing = checks.http(http_port, "/missing")
    assert not missing.poll(svc)
    assert missing.last_error == "status 404, expected 200"
    assert not checks.http(_closed_port()).poll(svc)


def test_command_needs_exit_zero_and_the_expected_output() -> None:
    svc = FakeService(output="PONG\n")
    assert checks.command(["redis-cli", "ping"], expect="PONG").poll(svc)
    assert not checks.command(["redis-cli", "ping"], expect="LOADING").poll(svc)
    failing = checks.command("false")
    svc.exit_code, svc.output = 1, "Could not connect\n"
    assert not failing.poll(svc)
    assert failing.last_error == "exit code 1: Could not connect"
    assert svc.calls[-1] == "false"  # the service runs strings under sh -c


def test_a_hanging_command_is_bounded_and_not_started_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(checks_module, "ATTEMPT_TIMEOUT", 0.2)
    svc = FakeService(gate=threading.Event())
    check = checks.command(["slow"])
    started = time.monotonic()
    assert not check.poll(svc)
    assert time.monotonic() - started < 5  # bounded by ATTEMPT_TIMEOUT; the command never ends
    assert "still running" in check.last_error
    assert not check.poll(svc)
    assert svc.gate is not None
    svc.gate.set()
    assert check.poll(svc)  # the same call finished: its result counts
    assert len(svc.calls) == 1


def test_log_matches_a_regex_anywhere_in_the_output() -> None:
    svc = FakeService(log_text="starting\n* Ready to accept connections tcp\n")
    assert checks.log(r"^\* Ready to accept").poll(svc)
    assert not checks.log(r"^Ready").poll(svc)


def test_call_holds_when_the_function_says_so_and_survives_exceptions() -> None:
    answers = iter([ValueError("not yet"), False, True])

    def fn(service: object) -> bool:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    check = checks.call(fn)
    svc = FakeService()
    assert not check.poll(svc)
    assert check.last_error == "not yet"
    assert not check.poll(svc)
    assert check.last_error == "returned False"
    assert check.poll(svc)
    assert check.last_error == ""
    with pytest.raises(ValueError):
        checks.call("not callable")  # type: ignore[arg-type]


def test_polls_come_quickly_at_first_then_every_interval() -> None:
    from kurtosis_tui.api.checks import FIRST_PAUSE, INTERVAL, pause_after

    pauses = [pause_after(n) for n in range(1, 12)]
    assert pauses[:4] == [FIRST_PAUSE, 2 * FIRST_PAUSE, 4 * FIRST_PAUSE, 8 * FIRST_PAUSE]
    assert pauses == sorted(pauses)  # never quicker again
    assert pauses[-1] == INTERVAL and max(pauses) == INTERVAL
