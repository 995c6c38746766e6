"""The controller's settings, read from the environment the initializer gives it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kurtosis_tui import protocol
from kurtosis_tui.errors import ConfigError


@dataclass(frozen=True)
class ControllerConfig:
    run_id: str
    test_name: str
    test_file: str  # relative to suite_dir
    attempt: int = 1
    network: str | None = None
    subnet: str = ""
    gateway: str = ""
    volume: str | None = None
    setup_timeout: float | None = None  # None: the test class's own
    run_timeout: float | None = None
    params: dict[str, str] = field(default_factory=dict)  # --secret pairs included
    secrets: dict[str, str] = field(default_factory=dict)
    owner: str = ""
    keep_services: bool = False
    forward_logs: bool = False  # send the services' log lines on stdout (see protocol)
    hands_over_logs: bool = False  # the initializer follows them: see log_handover
    fault_image: str = protocol.FAULT_IMAGE
    fault_support: str = ""  # protocol.ENV_FAULT_SUPPORT's text; "": probe when needed
    suite_dir: Path = Path(protocol.SUITE_MOUNT)
    suite_host_dir: str = ""  # the suite on the user's machine: tracebacks name it
    volume_root: Path = Path(protocol.VOLUME_MOUNT)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ControllerConfig:
        env = os.environ if env is None else env
        return cls(
            run_id=_required(env, protocol.ENV_RUN_ID),
            test_name=_required(env, protocol.ENV_TEST_NAME),
            test_file=_required(env, protocol.ENV_TEST_FILE),
            attempt=int(_number(env, protocol.ENV_ATTEMPT) or 1),
            network=env.get(protocol.ENV_NETWORK) or None,
            subnet=env.get(protocol.ENV_SUBNET, ""),
            gateway=env.get(protocol.ENV_GATEWAY, ""),
            volume=env.get(protocol.ENV_VOLUME) or None,
            setup_timeout=_number(env, protocol.ENV_SETUP_TIMEOUT),
            run_timeout=_number(env, protocol.ENV_RUN_TIMEOUT),
            params={**_params(env, protocol.ENV_PARAMS), **_params(env, protocol.ENV_SECRETS)},
            secrets=_params(env, protocol.ENV_SECRETS),
            owner=env.get(protocol.ENV_OWNER, ""),
            keep_services=env.get(protocol.ENV_KEEP_SERVICES, "") in ("1", "true", "yes"),
            forward_logs=env.get(protocol.ENV_FORWARD_LOGS, "") == "1",
            hands_over_logs=env.get(protocol.ENV_HANDS_OVER_LOGS, "") == "1",
            fault_image=env.get(protocol.ENV_FAULT_IMAGE) or protocol.FAULT_IMAGE,
            fault_support=env.get(protocol.ENV_FAULT_SUPPORT, ""),
            suite_host_dir=env.get(protocol.ENV_SUITE_HOST_DIR, ""),
        )


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """The ``--secret`` values, for the log's masking (none when the variable is malformed:
    the configuration error is reported once the log exists)."""
    try:
        return list(_params(os.environ if env is None else env, protocol.ENV_SECRETS).values())
    except ConfigError:
        return []


def await_settings(stream: BinaryIO) -> dict[str, str]:
    """The settings the initializer sends on ``stream`` (stdin) once the test is chosen,
    for a controller prepared ahead (started, imports done, before any test needed it):
    one JSON object and a newline. An input that ends first means the initializer is gone."""
    line = stream.readline()
    if not line.endswith(b"\n"):
        raise ConfigError("the initializer closed this controller's input before naming "
                          "its test")
    return _json_object(line, "the settings line on stdin")


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def _number(env: Mapping[str, str], name: str) -> float | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"environment variable {name}={text!r} is not a number") from None
    if value <= 0:
        raise ConfigError(f"environment variable {name}={text!r} must be positive")
    return value


def _params(env: Mapping[str, str], name: str) -> dict[str, str]:
    text = env.get(name, "").strip()
    return _json_object(text, f"environment variable {name}") if text else {}


def _json_object(text: str | bytes, where: str) -> dict[str, str]:
    """``text``, a JSON object, as strings; ``where`` it came from names it in the error."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        # the text itself is not quoted: it may hold secrets
        raise ConfigError(f"{where} is not JSON: {exc.args[0]}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a JSON object")
    return {str(k): str(v) for k, v in data.items()}
