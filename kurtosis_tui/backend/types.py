"""Plain data that crosses the backend seam (no Docker SDK types leak out)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Mount:
    source: str  # a volume name, or a host path for a bind mount
    target: str
    kind: Literal["volume", "bind"] = "volume"
    read_only: bool = False


@dataclass(frozen=True)
class ContainerSpec:
    """Everything needed to start one container."""

    name: str
    image: str
    labels: dict[str, str]
    command: list[str] | None = None
    entrypoint: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    network: str | None = None
    aliases: tuple[str, ...] = ()  # DNS names on ``network``
    hostname: str | None = None
    mounts: tuple[Mount, ...] = ()
    init: bool = True  # an init as PID 1, so a stop never waits out a grace period
    working_dir: str | None = None
    ports: dict[int, int | None] = field(default_factory=dict)  # container -> host (None: any)
    volume_labels: dict[str, str] = field(default_factory=dict)  # for volumes a mount creates
    #: ``container:<id>``: share that container's network namespace (``network`` unset).
    network_mode: str | None = None
    cap_add: tuple[str, ...] = ()  # e.g. ("NET_ADMIN",) for the fault helpers only
    stdin: bool = False  # its stdin stays open for ``Backend.open_input`` to write to


@dataclass(frozen=True)
class NetworkInfo:
    name: str
    id: str
    subnet: ipaddress.IPv4Network | None
    gateway: str


@dataclass(frozen=True)
class ContainerState:
    id: str
    name: str
    status: str  # created | running | paused | restarting | exited | dead | removing
    exit_code: int | None
    ip: str  # on the container's first network, "" when none
    oom_killed: bool = False
    node: str = ""  # the cluster node it runs on ("" on a single engine)

    @property
    def running(self) -> bool:
        return self.status in ("running", "restarting", "paused")


@dataclass(frozen=True)
class StatsSample:
    """One reading of a container's counters; CPU % takes two (``engine.inspect``)."""

    cpu_total: int  # ns of CPU the container used, ever
    system_total: int  # ns of CPU the host used, ever
    online_cpus: int
    memory: int  # bytes in use, page cache left out (as `docker stats`)
    memory_limit: int


@dataclass(frozen=True)
class ExecOutput:
    exit_code: int
    output: str


@dataclass(frozen=True)
class LabelledObject:
    """A network, volume or container found by label."""

    kind: Literal["container", "network", "volume"]
    id: str
    name: str
    labels: dict[str, str]


@dataclass(frozen=True)
class ContainerEvent:
    """A container lifecycle event (``action`` is Docker's: start, die, destroy, ...)."""

    action: str
    container_id: str
    labels: dict[str, str]
    exit_code: int | None = None
