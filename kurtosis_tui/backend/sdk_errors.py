"""How the Docker SDK's failures read as ours: the engine's words, our error types.

One home for the translation that both backends (one engine, a swarm's
manager) make of what the SDK raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker
import docker.errors
import requests.exceptions

from kurtosis_tui.errors import BackendError, NotFound


def explain(exc: docker.errors.APIError) -> str:
    """The engine's own words, without the SDK's HTTP wrapping."""
    explanation = getattr(exc, "explanation", None)
    return str(explanation or exc)


@contextmanager
def log_errors(client: docker.DockerClient, what: str, ident: str) -> Iterator[None]:
    """Our errors for a log that cannot be followed; ``client`` (the stream's own) is closed."""
    try:
        yield
    except docker.errors.NotFound as exc:
        client.close()
        raise NotFound(f"{what} {ident} does not exist") from exc
    except docker.errors.APIError as exc:  # e.g. 409: dead or being removed
        client.close()
        raise BackendError(f"cannot follow the log of {ident}: {explain(exc)}") from exc
    except requests.exceptions.RequestException as exc:
        client.close()
        raise BackendError(f"cannot follow the log of {ident}: {exc}") from exc


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
