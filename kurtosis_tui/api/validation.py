"""Checking what a suite passes to the API, so mistakes fail early and name the culprit."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from kurtosis_tui import protocol
from kurtosis_tui.errors import InvalidServiceError, ServiceError


def as_cmd(cmd: list[str] | tuple[str, ...] | str, what: str) -> list[str]:
    """A command as argv: a string runs under ``sh -c``."""
    if isinstance(cmd, str):
        return ["sh", "-c", cmd]
    if isinstance(cmd, (list, tuple)) and cmd and all(isinstance(a, str) for a in cmd):
        return list(cmd)
    raise ServiceError(f"{what}: a command is a non-empty list of strings or a string, not {cmd!r}")


def validate_id(service_id: object) -> None:
    """Service ids become hostnames and container-name parts: the contract's pattern."""
    if not isinstance(service_id, str) or not protocol.SERVICE_ID_PATTERN.match(service_id):
        raise InvalidServiceError(
            f"invalid service id {service_id!r}: ids are 1-63 characters of lowercase letters, "
            f"digits and '-', starting with a letter ({protocol.SERVICE_ID_PATTERN.pattern})"
        )


def split_command(value: list[str] | str | None, where: str, what: str) -> list[str] | None:
    """A container command as argv; a string is split like a shell would (as Docker does)."""
    if value is None:
        return None
    if isinstance(value, str):
        return shlex.split(value)
    if isinstance(value, (list, tuple)) and all(isinstance(a, str) for a in value):
        return list(value)
    raise InvalidServiceError(
        f"{where}: {what} must be a list of strings or a string, not {value!r}"
    )


def environment(env: Mapping[str, str] | None, where: str) -> dict[str, str]:
    """Environment variables as str -> str (values are forgiven for being numbers)."""
    if env is None:
        return {}
    if not isinstance(env, Mapping):
        raise InvalidServiceError(f"{where}: env must be a dict of str -> str, not {env!r}")
    out: dict[str, str] = {}
    for key, value in env.items():
        if not isinstance(key, str) or not key or "=" in key:
            raise InvalidServiceError(f"{where}: invalid environment variable name {key!r}")
        out[key] = value if isinstance(value, str) else str(value)
    return out
