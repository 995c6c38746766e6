"""Availability checks: small objects behind one protocol.

A check knows how to describe itself for the UI (``describe()``) and how to
make one bounded attempt (``poll(service)``); the waiting loop around it
(``Service.wait_ready``) polls until it holds, the service exits, or the
deadline passes: at once, then after ``FIRST_PAUSE`` seconds, each pause twice
the last up to ``INTERVAL`` (a server that listens a few milliseconds after its
container starts is seen then, not a whole interval later). ``last_error`` says
why the last attempt did not hold, for the message a user reads when it never
does.

``tcp`` and ``http`` connect from the test controller, which sits on the test
network, to the service's IP; ``command`` runs inside the service; ``log``
searches the service's output; ``call`` asks a function of yours.
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable
from http.client import HTTPConnection
from typing import Protocol, TypeVar, cast

from kurtosis_tui.api.types import ExecResult

__all__ = ["Check", "CheckTarget", "call", "command", "http", "log", "tcp"]

#: Seconds between two attempts, once the first quick ones have failed.
INTERVAL = 0.15
#: Seconds before the second attempt (the pauses double from there up to INTERVAL).
FIRST_PAUSE = 0.01
#: Seconds one attempt may take.
ATTEMPT_TIMEOUT = 2.0

T = TypeVar("T")


def pause_after(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (1, 2, ...)."""
    return min(INTERVAL, FIRST_PAUSE * 2 ** min(attempts - 1, 8))


class CheckTarget(Protocol):
    """What a check needs of a service (``Service`` is one; unit tests fake it)."""

    @property
    def id(self) -> str: ...

    @property
    def ip(self) -> str: ...

    def exec(self, cmd: list[str] | str) -> ExecResult: ...

    def logs(self) -> str: ...


class Check:
    """Base of every check: one attempt per ``poll``, never raising."""

    def __init__(self) -> None:
        self.last_error = ""

    def describe(self) -> str:
        """A short description for the UI, e.g. ``http :8080/index.html``."""
        raise NotImplementedError

    def attempt(self, service: CheckTarget) -> bool:
        """One try; may raise (the message becomes ``last_error``)."""
        raise NotImplementedError

    def poll(self, service: CheckTarget) -> bool:
        """One bounded try: True when the check holds."""
        try:
            held = self.attempt(service)
        except Exception as exc:  # an attempt that raises simply did not hold
            self.last_error = _short(exc)
            return False
        if held:
            self.last_error = ""
        return held

    def __repr__(self) -> str:
        return f"<check {self.describe()}>"


class _Bounded:
    """Runs a blocking call in its own thread and gives up waiting after a timeout.

    A call still running at the next poll is waited on again rather than
    started twice, so a command that hangs costs one thread, not one per poll.
    """

    def __init__(self) -> None:
        self._pending: _Call | None = None

    def run(self, fn: Callable[[], T], timeout: float) -> T:
        call = self._pending
        if call is None:
            call = self._pending = _Call(fn)
        if not call.done.wait(timeout):
            raise TimeoutError(f"still running after {timeout:.0f} s")
        self._pending = None
        if call.error is not None:
            raise call.error
        return cast(T, call.value)


class _Call:
    """One call of ``fn`` in a daemon thread; ``done`` is set when it returns or raises."""

    def __init__(self, fn: Callable[[], object]) -> None:
        self.done = threading.Event()
        self.value: object = None
        self.error: Exception | None = None
        self._fn = fn
        threading.Thread(target=self._run, name="kt-check", daemon=True).start()

    def _run(self) -> None:
        try:
            self.value = self._fn()
        except Exception as exc:
            self.error = exc
        finally:
            self.done.set()


class Tcp(Check):
    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = _port(port)

    def describe(self) -> str:
        return f"tcp :{self.port}"

    def attempt(self, service: CheckTarget) -> bool:
        with socket.create_connection((service.ip, self.port), timeout=ATTEMPT_TIMEOUT):
            return True


class Http(Check):
    def __init__(self, port: int, path: str = "/", status: int = 200) -> None:
        super().__init__()
        self.port = _port(port)
        self.path = path if path.startswith("/") else "/" + path
        self.status = int(status)

    def describe(self) -> str:
        text = f"http :{self.port}{self.path}"
        return text if self.status == 200 else f"{text} -> {self.status}"

    def attempt(self, service: CheckTarget) -> bool:
        conn = HTTPConnection(service.ip, self.port, timeout=ATTEMPT_TIMEOUT)
        try:
            conn.request("GET", self.path, headers={"Host": f"{service.id}:{self.port}"})
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if response.status != self.status:
            self.last_error = f"status {response.status}, expected {self.status}"
            return False
        return True


class Command(Check):
    def __init__(self, cmd: list[str] | str, expect: str | None = None) -> None:
        super().__init__()
        if not cmd:
            raise ValueError("checks.command needs a command")
        self.cmd = cmd
        self.expect = expect
        self._bounded = _Bounded()

    def describe(self) -> str:
        shown = self.cmd if isinstance(self.cmd, str) else " ".join(self.cmd)
        return f"command {shown}" + (f" (expect {self.expect!r})" if self.expect else "")

    def attempt(self, service: CheckTarget) -> bool:
        result = self._bounded.run(lambda: service.exec(self.cmd), ATTEMPT_TIMEOUT)
        if result.exit_code != 0:
            self.last_error = f"exit code {result.exit_code}: {_last_line(result.output)}"
            return False
        if self.expect is not None and self.expect not in result.output:
            self.last_error = f"{self.expect!r} not in output: {_last_line(result.output)}"
            return False
        return True


class Log(Check):
    def __init__(self, regex: str | re.Pattern[str]) -> None:
        super().__init__()
        self.regex = re.compile(regex, re.MULTILINE) if isinstance(regex, str) else regex

    def describe(self) -> str:
        return f"log /{self.regex.pattern}/"

    def attempt(self, service: CheckTarget) -> bool:
        if self.regex.search(service.logs()):
            return True
        self.last_error = "no line matched yet"
        return False


class Call(Check):
    def __init__(self, fn: Callable[[CheckTarget], bool]) -> None:
        super().__init__()
        if not callable(fn):
            raise ValueError(f"checks.call needs a function, not {fn!r}")
        self.fn = fn
        self._bounded = _Bounded()

    def describe(self) -> str:
        return f"call {getattr(self.fn, '__name__', type(self.fn).__name__)}"

    def attempt(self, service: CheckTarget) -> bool:
        held = bool(self._bounded.run(lambda: self.fn(service), ATTEMPT_TIMEOUT))
        if not held:
            self.last_error = "returned False"
        return held


def tcp(port: int) -> Check:
    """Holds when a TCP connection to ``port`` on the service succeeds."""
    return Tcp(port)


def http(port: int, path: str = "/", status: int = 200) -> Check:
    """Holds when ``GET path`` on ``port`` answers with ``status``."""
    return Http(port, path, status)


def command(cmd: list[str] | str, expect: str | None = None) -> Check:
    """Holds when ``cmd`` (a string runs under ``sh -c``) exits 0 in the service,
    with ``expect`` in its output when given."""
    return Command(cmd, expect)


def log(regex: str | re.Pattern[str]) -> Check:
    """Holds when a line of the service's output matches ``regex``."""
    return Log(regex)


def call(fn: Callable[[CheckTarget], bool]) -> Check:
    """Holds when ``fn(service)`` returns True (an exception counts as not yet)."""
    return Call(fn)


def _port(port: int) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"invalid port {port!r}: give an int from 1 to 65535")
    return port


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return _short(Exception(lines[-1])) if lines else "(no output)"
