"""The test controller process: configuration, logging, signals, exit code.

Everything that touches Docker is imported here, lazily, so that the suite API
(imported on the host by discovery) never pulls in the Docker SDK.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import NoReturn

from kurtosis_tui import events, protocol
from kurtosis_tui.events import Outcome


def main() -> NoReturn:
    """Run the test named by the environment and exit with its outcome's code."""
    sys.dont_write_bytecode = True  # /suite is read-only: no __pycache__ attempts
    stdout = sys.stdout
    log_path = Path(protocol.CONTROLLER_LOG)
    from kurtosis_tui.controller.config import secret_values
    from kurtosis_tui.controller.log import ControllerLog, PrintCapture
    from kurtosis_tui.redact import Redactor

    reconfigure = getattr(stdout, "reconfigure", None)
    if reconfigure is not None:  # a lone surrogate never stops it
        with contextlib.suppress(ValueError):
            reconfigure(errors="backslashreplace")
    log = ControllerLog(
        stdout, log_path if log_path.parent.is_dir() else None, Redactor(secret_values())
    )
    if log.problem:
        log.line(f"warning: {log.problem}")
    capture = PrintCapture(log)
    sys.stdout = sys.stderr = capture
    code = Outcome.ERRORED.exit_code
    try:
        code = _run(log)
    except BaseException as exc:  # the last resort: report, never hang
        log.line(f"controller error: {exc}\n{traceback.format_exc().rstrip()}")
    finally:
        capture.drain()
        log.close()
        os._exit(code)


def _run(log: object) -> int:
    from kurtosis_tui.backend.docker_backend import DockerBackend
    from kurtosis_tui.controller.config import ControllerConfig, await_settings
    from kurtosis_tui.controller.log import ControllerLog
    from kurtosis_tui.controller.runner import Controller
    from kurtosis_tui.errors import BackendError, ConfigError

    assert isinstance(log, ControllerLog)
    backend = DockerBackend()
    env: dict[str, str] = dict(os.environ)
    try:
        if env.get(protocol.ENV_SETTINGS_ON_STDIN):  # prepared ahead: imports done,
            with contextlib.suppress(BackendError):  # the engine answered
                backend.ping()
            env.update(await_settings(sys.stdin.buffer))
        config = ControllerConfig.from_env(env)
        log.mask(config.secrets.values())  # a controller prepared ahead learns them only now
    except ConfigError as exc:
        log.line(f"controller error: {exc}")
        test = env.get(protocol.ENV_TEST_NAME, "")
        log.event(
            events.OutcomeReported(test=test, outcome=Outcome.ERRORED.value, message=str(exc))
        )
        return Outcome.ERRORED.exit_code

    packed = env.get(protocol.ENV_SUITE_ARCHIVE, "")
    if packed:  # on a swarm node: the suite came in the job's spec, not a bind mount
        from kurtosis_tui.backend.suite_archive import unpack

        unpack(packed, config.suite_dir)
        os.environ.pop(protocol.ENV_SUITE_ARCHIVE, None)  # not for the test's own eyes

    controller = Controller(config, backend, log)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        controller.cancel()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    verdict = controller.execute()
    return verdict.outcome.exit_code
