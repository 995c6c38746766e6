"""A swarm manager's API as the swarm backend needs it: nodes, jobs, tasks, logs, agents.

``SwarmBackend`` builds on this what "a container" means on a swarm; this
layer only asks the manager (the one engine reached, see ``swarm_backend``)
and turns its answers and failures into our types and errors.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from typing import Any

import docker.errors
import requests.exceptions
from docker.types import ContainerSpec as SdkContainerSpec
from docker.types import Mount as SdkMount
from docker.types import ServiceMode

from kurtosis_tui import protocol as p
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.backend.docker_errors import engine_hint, explain, removing
from kurtosis_tui.backend.swarm_agent import read_report
from kurtosis_tui.backend.swarm_parts import (
    SwarmNode,
    Task,
    is_manager,
    job_template,
    latest,
    node_lost,
    parse_node,
    task_failure,
)
from kurtosis_tui.errors import BackendError, EngineUnavailable, NotFound

#: Seconds between looks at a job's task (and its node) while waiting.
POLL = 0.4
#: A node list this fresh is good enough (many attempts poll at once).
NODES_TTL = 0.4
#: Seconds an agent job may take (its own work is bounded well below this).
AGENT_TIMEOUT = 60.0


class SwarmManager(DockerBackend):
    """The manager DOCKER_HOST (or the default socket) names, asked about its swarm."""

    def __init__(self, api_version: str | None = None) -> None:
        super().__init__(api_version)
        self._lock = threading.Lock()
        self._nodes: tuple[float, list[SwarmNode]] = (0.0, [])

    def ping(self) -> str:
        version = super().ping()
        try:
            info = self._client().info()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(engine_hint()) from exc
        if not is_manager(info):
            where = os.environ.get("DOCKER_HOST") or "the default socket"
            raise EngineUnavailable(
                f"the engine at {where} is not a Docker Swarm manager, and --backend swarm "
                "needs one: `kurtosis-tui cluster up` starts a local swarm and prints the "
                "DOCKER_HOST to use"
            )
        return version

    # ------------------------------------------------------------------ nodes

    def nodes(self, fresh: bool = False) -> list[SwarmNode]:
        """The swarm's nodes as the manager sees them (cached for NODES_TTL)."""
        with self._lock:
            stamp, cached = self._nodes
            if not fresh and time.monotonic() - stamp < NODES_TTL:
                return cached
        try:
            found = [parse_node(raw) for raw in self._client().api.nodes()]
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot list the swarm's nodes: {explain(exc)}") from exc
        with self._lock:
            self._nodes = (time.monotonic(), found)
        return found

    def node_states(self) -> dict[str, str]:
        states = {}
        for node in self.nodes():
            ready = node.state == "ready"
            states[node.name] = node.state if not ready else (
                "ready" if node.availability == "active" else node.availability)
        return states

    def _ready_node(self, node_id: str) -> SwarmNode:
        node = self._node(node_id)
        if node is None or not node.ready:
            name = node.name if node else node_id[:12]
            raise BackendError(
                f"node {name} is not ready: what the test left there is removed once it is "
                "back (the run's reaper waits for it; `kurtosis-tui clean` does it later)"
            )
        return node

    def _node(self, node_id: str) -> SwarmNode | None:
        return next((n for n in self.nodes() if n.id == node_id), None)

    def _node_name(self, node_id: str) -> str:
        node = self._node(node_id)
        return node.name if node else node_id[:12]

    # ------------------------------------------------------------------- jobs

    def _service(self, job: str) -> dict[str, Any]:
        try:
            return dict(self._client().api.inspect_service(job))
        except docker.errors.NotFound as exc:
            raise NotFound(f"job {job} does not exist") from exc
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot inspect the job {job}: {explain(exc)}") from exc

    def _task(self, job: str) -> Task | None:
        try:
            return latest(self._client().api.tasks(filters={"service": job}))
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot read the tasks of {job}: {explain(exc)}") from exc

    def _remove_service(self, service: str) -> None:
        with removing(f"the job {service}"):
            self._client().api.remove_service(service)

    def _service_logs(self, job: str, tail: int | None = None) -> str:
        api = self._client().api
        try:
            raw = api.service_logs(job, stdout=True, stderr=True,
                                   tail=tail if tail is not None else "all")
            data = b"".join(raw) if not isinstance(raw, bytes) else raw
        except docker.errors.NotFound as exc:
            raise NotFound(f"job {job} does not exist") from exc
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot read the logs of {job}: {explain(exc)}") from exc
        return data.decode("utf-8", "replace")

    # ------------------------------------------------------------------ agent

    def _agent(self, node: SwarmNode, job: dict[str, Any], args: list[str]) -> dict[str, Any]:
        """Run ``swarm_agent ARGS`` on ``node`` in ``job``'s image; its JSON report."""
        spec = job.get("Spec") or {}
        labels = dict(spec.get("Labels") or {})
        image = str(spec["TaskTemplate"]["ContainerSpec"]["Image"])
        run_id = labels.get(p.LABEL_RUN, "x")
        agent_labels = {p.LABEL_RUN: run_id, p.LABEL_ROLE: "agent"}
        if p.LABEL_OWNER in labels:
            agent_labels[p.LABEL_OWNER] = labels[p.LABEL_OWNER]
        name = f"{p.NAME_PREFIX}{run_id}-agent-{secrets.token_hex(3)}"
        container = SdkContainerSpec(
            image,
            command=["python", "-m", "kurtosis_tui.backend.swarm_agent"],
            args=args,
            mounts=[SdkMount(p.DOCKER_SOCKET, p.DOCKER_SOCKET, type="bind")],
        )
        api = self._client().api
        try:
            agent = str(api.create_service(job_template(container, node.id), name=name,
                                           labels=agent_labels,
                                           mode=ServiceMode("replicated-job"))["ID"])
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot start an agent on node {node.name}: "
                               f"{explain(exc)}") from exc
        try:
            code = self._wait_agent(agent, node)
            report = read_report(self._service_logs(agent))
        finally:
            self._remove_service(agent)
        errors = list(report.get("errors") or [])
        if code != 0 or errors:
            detail = "; ".join(errors) or f"exit code {code}"
            raise BackendError(f"on node {node.name}, {args[0]} failed: {detail}")
        return report

    def _wait_agent(self, agent: str, node: SwarmNode) -> int:
        deadline = time.monotonic() + AGENT_TIMEOUT
        while time.monotonic() < deadline:
            task = self._task(agent)
            if task is not None and task.terminal:
                problem = task_failure(task, node.name, "the controller image")
                if problem is not None:
                    raise BackendError(problem)
                return task.exit_code if task.exit_code is not None else -1
            lost = node_lost(self._node(node.id), node.id)
            if lost is not None:
                raise BackendError(lost)
            time.sleep(POLL)  # the manager has no wait endpoint for tasks: poll, bounded
        raise BackendError(f"an agent on node {node.name} did not finish in "
                           f"{AGENT_TIMEOUT:.0f} s")


def is_swarm_manager() -> bool:
    """Whether the engine DOCKER_HOST names is a manager of an active swarm."""
    backend = DockerBackend()
    try:
        return is_manager(backend._client().info())
    except (BackendError, docker.errors.DockerException,
            requests.exceptions.RequestException):
        return False
