"""Docker's errors as the seam's: whatever the SDK or its transport raises, a caller
of the DockerBackend sees a BackendError.

A stalled or restarting engine (requests' ReadTimeout or ConnectionError,
urllib3's protocol errors, a socket's OSError) is an ``EngineUnavailable`` whose
message names the engine's address, never a raw exception that would skip the
callers' error paths (teardown, close, the reaper, the TUI's quit).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar, cast

import docker.errors
import requests.exceptions
import urllib3.exceptions

from kurtosis_tui.errors import BackendError, EngineUnavailable, KurtosisTuiError, NotFound
from kurtosis_tui.protocol import DOCKER_SOCKET

#: Errors of the SDK's transport: the engine did not answer, or stopped answering.
TRANSPORT = (
    requests.exceptions.RequestException,
    urllib3.exceptions.HTTPError,
    docker.errors.DockerException,
    OSError,
)

F = TypeVar("F", bound=Callable[..., Any])


def engine_address(environment: Mapping[str, str] | None = None) -> str:
    """The engine's address as the user named it (DOCKER_HOST in ``environment``, this
    process's by default), or the default socket."""
    env = os.environ if environment is None else environment
    return env.get("DOCKER_HOST") or f"unix://{DOCKER_SOCKET}"


def lost_engine(what: str, exc: BaseException) -> str:
    """The message for a call the engine did not answer: what, where, and the cause."""
    cause = str(exc) or type(exc).__name__
    return f"{what}: the Docker engine at {engine_address()} did not answer ({cause})"


def seam(method: F) -> F:
    """Whatever the SDK raises, the caller sees a BackendError (EngineUnavailable when
    the engine did not answer). A method's own, more precise handling runs first."""
    what = method.__name__.replace("_", " ")

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except KurtosisTuiError:
            raise
        except docker.errors.NotFound as exc:
            raise NotFound(f"{what}: {explain(exc)}") from exc
        except docker.errors.APIError as exc:
            raise BackendError(f"{what}: {explain(exc)}") from exc
        except TRANSPORT as exc:
            raise EngineUnavailable(lost_engine(what, exc)) from exc

    return cast(F, wrapper)


def engine_hint() -> str:
    """What to tell a user whose Docker engine does not answer."""
    where = engine_address()
    return (
        f"no Docker engine answers at {where}. Start one (`kurtosis-tui setup` does, where it can; "
        "or `sudo systemctl start docker`), or point DOCKER_HOST at one, then run "
        "`kurtosis-tui doctor`."
    )


def explain(exc: docker.errors.APIError) -> str:
    """The engine's own words, without the SDK's HTTP wrapping."""
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


@contextmanager
def removing(what: str, *, in_progress_ok: bool = False) -> Iterator[None]:
    """A removal: what is gone already is fine (so is one under way, with
    ``in_progress_ok``); any other failure is ours, in the engine's words."""
    try:
        yield
    except docker.errors.NotFound:
        return
    except docker.errors.APIError as exc:
        if in_progress_ok and exc.status_code == 409 and "already in progress" in str(exc):
            return
        raise BackendError(f"cannot remove {what}: {explain(exc)}") from exc
