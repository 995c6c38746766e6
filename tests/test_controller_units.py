"""Unit tests of the controller's parts that need no Docker: settings, log, verdicts, monitor."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import re
import threading
from pathlib import Path

import pytest
from support.api import make_network

from kurtosis_tui import events, protocol
from kurtosis_tui.backend.types import ContainerEvent
from kurtosis_tui.controller.config import ControllerConfig, await_settings
from kurtosis_tui.controller.log import ControllerLog, PrintCapture
from kurtosis_tui.controller.monitor import ServiceMonitor
from kurtosis_tui.controller.verdict import describe_failure, format_traceback, on_host
from kurtosis_tui.errors import ConfigError

ENV = {
    protocol.ENV_RUN_ID: "r1",
    protocol.ENV_TEST_NAME: "HelloHttp",
    protocol.ENV_TEST_FILE: "sub/test_web.py",
}


def test_config_reads_every_setting() -> None:
    cfg = ControllerConfig.from_env(
        {
            **ENV,
            protocol.ENV_ATTEMPT: "3",
            protocol.ENV_NETWORK: "kt-net",
            protocol.ENV_SUBNET: "172.30.1.0/24",
            protocol.ENV_GATEWAY: "172.30.1.1",
            protocol.ENV_VOLUME: "kt-vol",
            protocol.ENV_SETUP_TIMEOUT: "60.0",
            protocol.ENV_RUN_TIMEOUT: "2.5",
            protocol.ENV_PARAMS: json.dumps({"size": 3, "mode": "fast"}),
            protocol.ENV_OWNER: "host:1:2",
            protocol.ENV_KEEP_SERVICES: "1",
        }
    )
    assert (cfg.run_id, cfg.test_name, cfg.test_file, cfg.attempt) == (
        "r1",
        "HelloHttp",
        "sub/test_web.py",
        3,
    )
    assert (cfg.network, cfg.subnet, cfg.gateway, cfg.volume) == (
        "kt-net",
        "172.30.1.0/24",
        "172.30.1.1",
        "kt-vol",
    )
    assert (cfg.setup_timeout, cfg.run_timeout) == (60.0, 2.5)
    assert cfg.params == {"size": "3", "mode": "fast"}
    assert cfg.owner == "host:1:2" and cfg.keep_services


def test_config_defaults_leave_timeouts_to_the_test_class() -> None:
    cfg = ControllerConfig.from_env(ENV)
    assert cfg.setup_timeout is None and cfg.run_timeout is None
    assert cfg.params == {} and cfg.attempt == 1 and not cfg.keep_services


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({protocol.ENV_TEST_NAME: ""}, "KT_TEST_NAME is not set"),
        ({protocol.ENV_PARAMS: "{nope"}, "KT_PARAMS is not JSON"),
        ({protocol.ENV_PARAMS: "[1]"}, "KT_PARAMS must be a JSON object"),
        ({protocol.ENV_SETUP_TIMEOUT: "soon"}, "KT_SETUP_TIMEOUT='soon' is not a number"),
        ({protocol.ENV_RUN_TIMEOUT: "0"}, "KT_RUN_TIMEOUT='0' must be positive"),
    ],
)
def test_config_errors_name_the_variable(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        ControllerConfig.from_env({**ENV, **extra})


def test_log_lines_go_to_stdout_and_file_events_to_stdout_only(tmp_path: Path) -> None:
    out = io.StringIO()
    log = ControllerLog(out, tmp_path / "controller.log")
    log.line("starting service 'web'")
    log.event(events.ServiceStarted(test="T", service="web", ip="10.0.0.2"))
    log.line("two\nlines", "web | ")
    log.close()
    stdout = out.getvalue().splitlines()
    stamp = r"\d\d:\d\d:\d\d\.\d\d\d "
    assert re.fullmatch(stamp + "starting service 'web'", stdout[0])
    assert stdout[1].startswith(protocol.EVENT_MARKER)
    event = events.from_wire(stdout[1][len(protocol.EVENT_MARKER) :], test="T", attempt=1)
    assert isinstance(event, events.ServiceStarted) and event.ip == "10.0.0.2"
    assert re.fullmatch(stamp + "web \\| two", stdout[2])
    assert re.fullmatch(stamp + "web \\| lines", stdout[3])
    file_lines = (tmp_path / "controller.log").read_text().splitlines()
    assert file_lines == [stdout[0], stdout[2], stdout[3]]


def test_a_log_file_that_cannot_be_opened_is_reported_not_fatal(tmp_path: Path) -> None:
    out = io.StringIO()
    log = ControllerLog(out, tmp_path / "missing" / "controller.log")
    assert "cannot write" in log.problem
    log.line("still logged")
    assert "still logged" in out.getvalue()


def test_print_capture_turns_writes_into_whole_log_lines(tmp_path: Path) -> None:
    out = io.StringIO()
    capture = PrintCapture(ControllerLog(out, None))
    print("hello", "world", file=capture)
    capture.write("part")
    assert out.getvalue().count("\n") == 1  # a partial line waits for its end
    capture.write("ial\nnext")
    capture.flush()  # progress dots and the like stay on one line
    assert out.getvalue().count("\n") == 2
    capture.drain()
    lines = [line.split(" ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == ["| hello world", "| partial", "| next"]


def _raise(error: BaseException) -> BaseException:
    try:
        raise error
    except BaseException as exc:
        return exc


def test_a_bare_assert_is_described_by_its_source_line(tmp_path: Path) -> None:
    # a file of its own: pytest rewrites the asserts of test modules, not of suites
    (tmp_path / "suite_file.py").write_text("def check():\n    value = 2\n    assert value == 3\n")
    spec = importlib.util.spec_from_file_location("suite_file", tmp_path / "suite_file.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(AssertionError) as caught:
        module.check()
    assert describe_failure(caught.value) == "AssertionError at suite_file.py:3: assert value == 3"


def test_failures_keep_their_text_and_say_where() -> None:
    here = "(test_controller_units.py:"  # _raise's line: no suite file in these frames
    assert describe_failure(_raise(RuntimeError("boom"))).startswith(f"RuntimeError: boom {here}")
    assert describe_failure(_raise(KeyError("k"))).startswith(f"KeyError: 'k' {here}")
    assert describe_failure(_raise(TimeoutError())).startswith(f"TimeoutError {here}")
    message = describe_failure(_raise(AssertionError("lost a write")))
    assert message.startswith(f"AssertionError: lost a write {here}")
    assert describe_failure(TimeoutError()) == "TimeoutError"  # never raised: no frame


def test_a_failure_names_the_suite_file_that_raised_it() -> None:
    """The innermost frame under /suite, named relative to it, wins over the library
    frames it called; a message of several lines is named on its first."""
    code = compile("import json\n\ndef load():\n    return json.loads('{')\n\n"
                   "def boom():\n    raise ValueError('two\\nlines')\n",
                   "/suite/nested/web.py", "exec")
    scope: dict[str, object] = {}
    exec(code, scope)
    with pytest.raises(ValueError) as caught:
        scope["load"]()  # type: ignore[operator]
    assert describe_failure(caught.value).startswith("JSONDecodeError: ")
    assert describe_failure(caught.value).endswith(" (nested/web.py:4)")
    with pytest.raises(ValueError) as caught:
        scope["boom"]()  # type: ignore[operator]
    assert describe_failure(caught.value) == "ValueError: two (nested/web.py:7)\nlines"


def test_tracebacks_hide_the_controllers_frames() -> None:
    text = format_traceback(_raise(ValueError("x")))
    assert "test_controller_units.py" in text and text.endswith("ValueError: x")


def test_tracebacks_name_the_suite_files_on_the_users_machine() -> None:
    assert on_host("/suite/nested/web.py", "/home/me/suite") == "/home/me/suite/nested/web.py"
    assert on_host("/usr/lib/python3/x.py", "/home/me/suite") == "/usr/lib/python3/x.py"
    code = compile("def boom():\n    raise ValueError('x')\n", "/suite/web.py", "exec")
    scope: dict[str, object] = {}
    exec(code, scope)
    with pytest.raises(ValueError) as caught:
        scope["boom"]()  # type: ignore[operator]
    text = format_traceback(caught.value, "/home/me/suite")
    assert 'File "/home/me/suite/web.py", line 2' in text and '"/suite/web.py"' not in text


def test_monitor_routes_die_events_of_this_attempts_services_only(tmp_path: Path) -> None:
    net, _, rec, rt = make_network(tmp_path)
    svc = net.add_service("db", image="img:1")
    monitor = ServiceMonitor(rt.backend, rt, net)
    labels = rt.labels("service", **{protocol.LABEL_SERVICE: "db"})
    other_attempt = {**labels, protocol.LABEL_ATTEMPT: "9"}
    controller = {**labels, protocol.LABEL_ROLE: "controller"}
    monitor.handle(ContainerEvent("die", svc.container_id, other_attempt, 1))
    monitor.handle(ContainerEvent("die", svc.container_id, controller, 1))
    monitor.handle(ContainerEvent("die", "an-older-container", labels, 1))
    monitor.handle(ContainerEvent("start", svc.container_id, labels))
    assert rec.of(events.ServiceExited) == []
    monitor.handle(ContainerEvent("die", svc.container_id, labels, 137))
    (exited,) = rec.of(events.ServiceExited)
    assert (exited.service, exited.exit_code, exited.expected) == ("db", 137, False)  # type: ignore[attr-defined]


def test_a_controller_prepared_ahead_waits_for_its_whole_settings_line() -> None:
    read_fd, write_fd = os.pipe()
    got: list[dict[str, str]] = []
    with os.fdopen(read_fd, "rb") as stdin, os.fdopen(write_fd, "wb", buffering=0) as feed:
        waiter = threading.Thread(target=lambda: got.append(await_settings(stdin)),
                                  daemon=True)
        waiter.start()
        feed.write(b'{"KT_TEST_NAME": "Web", ')  # no newline yet: not complete
        waiter.join(0.1)
        assert waiter.is_alive() and not got
        feed.write(b'"KT_ATTEMPT": 2}\n')
        waiter.join(5)
    assert got == [{"KT_TEST_NAME": "Web", "KT_ATTEMPT": "2"}]


def test_settings_that_are_not_an_object_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="JSON object"):
        await_settings(io.BytesIO(b"[1, 2]\n"))


def test_an_input_that_ends_before_the_settings_means_the_initializer_is_gone() -> None:
    with pytest.raises(ConfigError, match="closed this controller's input"):
        await_settings(io.BytesIO(b'{"KT_TEST_NAME": "W'))
