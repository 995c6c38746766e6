"""The one narrow seam between kurtosis-tui and a container engine.

The initializer engine and the test controller reach containers only through
this protocol. Today it is implemented for a local Docker engine
(``DockerBackend``); the next implementation is an existing cluster engine
(Docker Swarm services and overlay networks), not a home-made one.

Long-blocking calls (``follow_logs``, ``events``) return a ``Stream``: iterate it
in a thread of its own and ``close()`` it from any thread to end it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Protocol

from kurtosis_tui.backend.types import (
    ContainerEvent,
    ContainerSpec,
    ContainerState,
    ExecOutput,
    LabelledObject,
    NetworkInfo,
    StatsSample,
)


class Stream(Protocol):
    """A blocking iterator of log lines that another thread can close.

    An implementation subclasses it for ``__iter__``, which it defines by ``batches``.
    """

    def __iter__(self) -> Iterator[str]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[str]]:
        """The same lines, a list of those at hand at a time (cheaper for floods)."""
        ...

    def close(self) -> None: ...


class Input(Protocol):
    """A running container's stdin, held open: one ``send``, then ``close``."""

    def send(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class EventStream(Protocol):
    def __iter__(self) -> Iterator[ContainerEvent]: ...

    def close(self) -> None: ...


class Backend(Protocol):
    """Networks, volumes, containers, logs, events: nothing more."""

    # engine
    @property
    def kind(self) -> str:
        """Its name in ``backend.select.KINDS`` (the reaper rebuilds the same kind)."""
        ...

    @property
    def reaches_services(self) -> bool:
        """Whether this side reaches the containers themselves, a controller's and those it
        starts (their logs, their files): False on a swarm, where they are on the
        controller's node (the controller forwards its services' logs)."""
        ...

    @property
    def engine_socket(self) -> str:
        """The engine's socket as a path on the host where containers run: what the
        controller mounts to reach the engine that started it."""
        ...

    @property
    def address(self) -> str:
        """The engine's address as the user named it (e.g. DOCKER_HOST): for messages."""
        ...

    def node_states(self) -> dict[str, str]:
        """Each node's state (``ready``, ``down``...) by name; empty on one engine."""
        ...

    def ping(self) -> str:
        """The engine's version; raises EngineUnavailable."""
        ...

    # networks
    def used_subnets(self) -> list[ipaddress.IPv4Network]: ...

    def create_network(
        self, name: str, *, labels: dict[str, str], subnet: ipaddress.IPv4Network
    ) -> NetworkInfo: ...

    def remove_network(self, name: str) -> None: ...

    # volumes
    def create_volume(self, name: str, *, labels: dict[str, str]) -> None: ...

    def remove_volume(self, name: str) -> None: ...

    # kept records
    def mark_kept(self, name: str, *, labels: dict[str, str]) -> None:
        """The record that objects stay (``--keep-failed``, see ``engine.cleanup``): an
        object that ``find_labelled`` lists as a ``volume`` and ``remove_volume`` removes."""
        ...

    # images
    def image_exists(self, image: str) -> bool: ...

    def ensure_image(self, image: str) -> None:
        """Present, or pulled; raises ImageNotFound."""
        ...

    # containers
    def run_container(self, spec: ContainerSpec) -> ContainerState:
        """Create and start; raises ImageNotFound when the image cannot be had."""
        ...

    def container_state(self, container: str) -> ContainerState: ...

    def wait_container(self, container: str, timeout: float) -> int | None:
        """The exit code, or None if it is still running after ``timeout`` seconds."""
        ...

    def exec(self, container: str, cmd: list[str]) -> ExecOutput: ...

    def stats(self, container: str) -> StatsSample | None:
        """One reading of the container's CPU and memory counters at once (no stream);
        None when it is not running."""
        ...

    def terminal_exec_argv(self, container: str, cmd: list[str]) -> list[str]:
        """The command line that runs ``cmd`` in the container on this terminal
        (a pty, stdin attached). ``BackendError`` when this backend cannot."""
        ...

    def start_container(self, container: str) -> None: ...

    def stop_container(self, container: str, timeout: float = 10) -> None: ...

    def restart_container(self, container: str, timeout: float = 10) -> None: ...

    def kill_container(self, container: str) -> None: ...

    def pause_container(self, container: str) -> None:
        """Freeze every process of the container (the cgroup freezer)."""
        ...

    def unpause_container(self, container: str) -> None: ...

    def remove_container(self, container: str) -> None:
        """Force-remove (kills a running container first); missing is fine."""
        ...

    def logs(self, container: str, tail: int | None = None) -> str: ...

    def open_input(self, container: str) -> Input:
        """The stdin of a running container created with ``ContainerSpec.stdin``: what
        is sent reaches its process at once (a controller prepared ahead waits on it)."""
        ...

    def follow_logs(self, container: str) -> Stream:
        """Every line the container has written and will write, until it ends."""
        ...

    def read_file(self, container: str, path: str) -> bytes | None:
        """A file from a (possibly stopped) container's filesystem or mounts."""
        ...

    def write_file(self, container: str, path: str, data: bytes) -> None:
        """Write a file (its folder must exist) into a container's filesystem."""
        ...

    # labels and events
    def find_labelled(self, label: str, value: str | None = None) -> list[LabelledObject]:
        """Containers, networks and volumes carrying ``label`` (with ``value``)."""
        ...

    def events(self, label: str, value: str) -> EventStream:
        """Container lifecycle events for containers carrying ``label=value``."""
        ...
