"""The swarm backend's plain parts: nodes, tasks, placement and job specs as data.

Kept apart from ``swarm_manager`` and ``swarm_backend`` (which talk to the manager) so each rule
here is tested without a swarm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from docker.types import ContainerSpec as SdkContainerSpec
from docker.types import NetworkAttachmentConfig, Placement, RestartPolicy, TaskTemplate

from kurtosis_tui import protocol as p
from kurtosis_tui.errors import BackendError

#: Task states after which a task never runs again.
TERMINAL = frozenset({"complete", "failed", "rejected", "shutdown", "orphaned", "remove"})
#: Task states of a task that has not started its container yet.
WAITING = frozenset({"new", "pending", "assigned", "accepted", "preparing", "ready", "starting"})
_EXIT = re.compile(r"non-zero exit \((\d+)\)")


@dataclass(frozen=True)
class SwarmNode:
    """One node as the manager sees it."""

    id: str
    name: str  # its hostname
    state: str  # ready | down | unknown | disconnected
    availability: str  # active | pause | drain
    manager: bool
    addr: str

    @property
    def ready(self) -> bool:
        """Whether tests may be placed on it."""
        return self.state == "ready" and self.availability == "active"


def parse_node(raw: Mapping[str, Any]) -> SwarmNode:
    spec = raw.get("Spec") or {}
    status = raw.get("Status") or {}
    return SwarmNode(
        id=str(raw.get("ID", "")),
        name=str((raw.get("Description") or {}).get("Hostname", "")),
        state=str(status.get("State", "unknown")),
        availability=str(spec.get("Availability", "active")),
        manager=spec.get("Role") == "manager",
        addr=str(status.get("Addr", "")),
    )


@dataclass(frozen=True)
class Task:
    """The one task of a job, as the manager last heard of it."""

    id: str
    node_id: str
    state: str
    error: str
    exit_code: int | None
    container_id: str

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


def parse_task(raw: Mapping[str, Any]) -> Task:
    status = raw.get("Status") or {}
    container = status.get("ContainerStatus") or {}
    error = str(status.get("Err") or "")
    code = container.get("ExitCode")
    if code is None:
        found = _EXIT.search(error)
        code = int(found.group(1)) if found else None
    state = str(status.get("State", "new"))
    if state == "complete" and code is None:
        code = 0
    return Task(
        id=str(raw.get("ID", "")),
        node_id=str(raw.get("NodeID") or ""),
        state=state,
        error=error,
        exit_code=int(code) if code is not None and state in TERMINAL else None,
        container_id=str(container.get("ContainerID") or ""),
    )


def latest(tasks: Iterable[Mapping[str, Any]]) -> Task | None:
    """The newest task of a job (a job has one unless the swarm retried it)."""
    ordered = sorted(tasks, key=lambda t: str(t.get("CreatedAt", "")))
    return parse_task(ordered[-1]) if ordered else None


def container_status(task: Task | None) -> str:
    """The task's state in Docker container terms (``ContainerState.status``)."""
    if task is None:
        return "removing"
    if task.state == "running":
        return "running"
    if task.terminal:
        return "exited"
    return "created"


def pick_node(nodes: Iterable[SwarmNode], load: Mapping[str, int]) -> SwarmNode:
    """The ready node running the fewest of our tests (ties: by name, for a stable spread)."""
    ready = [n for n in nodes if n.ready]
    if not ready:
        raise BackendError(
            "no node of the swarm is ready (see `docker node ls` on the manager, or "
            "`kurtosis-tui cluster status`)"
        )
    return min(ready, key=lambda n: (load.get(n.id, 0), n.name))


def node_lost(node: SwarmNode | None, node_id: str) -> str | None:
    """Why a test on this node cannot go on, or None while the node is fine."""
    if node is None:
        return f"node {node_id[:12]} left the swarm mid-test"
    if node.state != "ready":
        return (f"node {node.name} left mid-test (the manager sees it {node.state}: its "
                "engine stopped or it lost the manager)")
    return None


def task_failure(task: Task, node: str, image: str) -> str | None:
    """The message for a job whose container never ran (rejected, image missing), or None."""
    if task.exit_code is not None and task.state in ("complete", "failed"):
        return None
    if task.state not in TERMINAL:
        return None
    error = task.error or task.state
    if "no such image" in error.lower():
        return (f"node {node} has no image {image}: copy it there with "
                f"`kurtosis-tui cluster load {image}` (a real swarm pulls it from its registry)")
    return f"node {node} could not run the job ({task.state}): {error}"


def is_manager(info: Mapping[str, Any]) -> bool:
    """Whether an engine's ``info()`` is a manager's of an active swarm."""
    swarm = info.get("Swarm") or {}
    return swarm.get("LocalNodeState") == "active" and bool(swarm.get("ControlAvailable"))


def job_template(container: SdkContainerSpec, node_id: str,
                 networks: list[NetworkAttachmentConfig] | None = None) -> TaskTemplate:
    """A job's task: run once (never restarted), pinned to one node."""
    return TaskTemplate(
        container,
        restart_policy=RestartPolicy(condition="none"),
        placement=Placement(constraints=[f"node.id=={node_id}"]),
        networks=networks,
    )


def pinned_node(service: Mapping[str, Any]) -> str:
    """The node id a job's placement constraint (``job_template``) names, or ""."""
    constraints = (((service.get("Spec") or {}).get("TaskTemplate") or {}).get(
        "Placement", {}).get("Constraints") or [])
    for constraint in constraints:
        key, _, value = constraint.partition("==")
        if key.strip() == "node.id":
            return str(value.strip())
    return ""


def selectors(service: Mapping[str, Any]) -> list[str]:
    """``LABEL=VALUE`` of the test attempt a job ran; none for a job of no test (an agent,
    the fault probe): the swarm removes its task container with it, and nothing else of
    it is on the node."""
    labels = dict((service.get("Spec") or {}).get("Labels") or {})
    if labels.get(p.LABEL_ROLE) == "agent" or p.LABEL_TEST not in labels:
        return []
    keys = (p.LABEL_RUN, p.LABEL_TEST, p.LABEL_ATTEMPT)
    return [f"{k}={labels[k]}" for k in keys if k in labels]
