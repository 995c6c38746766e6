"""Following a Docker engine's streams: a container's log, the engine's events.

Raw requests rather than the SDK's streaming calls: the SDK reads a log two
socket calls per line (``LogStream`` reads it in large chunks, see ``streams``).
A followed response has no socket timeout once its headers came (``unbounded``):
it may be silent for as long as its test.
"""

from __future__ import annotations

from typing import Any

import docker
import docker.errors
import docker.utils
from docker.types import CancellableStream

from kurtosis_tui.backend.docker_errors import TRANSPORT, explain, lost_engine, seam
from kurtosis_tui.backend.docker_wire import unbounded
from kurtosis_tui.errors import BackendError, EngineUnavailable, NotFound


@seam
def open_log(
    client: docker.DockerClient, container: str, *, since: str | None, stamped: bool
) -> Any:
    """The raw response of a container's followed log, from ``since`` (Docker's
    ``seconds.nanoseconds``; None: from its first line). ``stamped``: each frame
    starts with its timestamp (how LogStream resumes)."""
    api = client.api
    params: dict[str, Any] = {"stdout": 1, "stderr": 1, "follow": 1, "tail": "all"}
    if stamped:
        params["timestamps"] = 1
    if since is not None:
        params["since"] = since
    try:
        response = api._get(
            api._url("/containers/{0}/logs", container), params=params, stream=True
        )
        api._raise_for_status(response)
        unbounded(response)
    except docker.errors.NotFound as exc:
        raise NotFound(f"container {container} does not exist") from exc
    except docker.errors.APIError as exc:  # e.g. 409: dead or being removed
        raise BackendError(f"cannot follow the log of {container}: {explain(exc)}") from exc
    except TRANSPORT as exc:
        raise EngineUnavailable(lost_engine(f"following the log of {container}", exc)) from exc
    return response


def open_events(
    client: docker.DockerClient, filters: dict[str, Any], since: str | None
) -> CancellableStream:
    """The engine's events that match ``filters``, from ``since`` (None: from now), decoded."""
    api = client.api
    params: dict[str, Any] = {"filters": docker.utils.convert_filters(filters)}
    if since is not None:
        params["since"] = since
    try:
        response = api._get(api._url("/events"), params=params, stream=True)
        api._raise_for_status(response)
        unbounded(response)
    except docker.errors.APIError as exc:
        raise BackendError(f"cannot follow the engine's events: {explain(exc)}") from exc
    except TRANSPORT as exc:
        raise EngineUnavailable(lost_engine("following the engine's events", exc)) from exc
    return CancellableStream(api._stream_helper(response, decode=True), response)
