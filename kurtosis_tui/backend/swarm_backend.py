"""The Backend for a Docker Swarm, reached through one manager only.

The engine runs unchanged; only what "a container" means differs. On a swarm
the initializer talks to the manager that ``DOCKER_HOST`` names and never to
a worker (on a real swarm, workers' engines are not reachable from a laptop
or a CI runner). So, per test attempt:

- the network is an attachable overlay network on an explicit subnet (the
  same subnet pool as locally), created on the manager;
- the controller is a swarm job (``replicated-job``, no restart) pinned by a
  placement constraint to the ready node running the fewest of our tests,
  with that node's Docker socket and the test volume mounted (the mount
  spec creates the volume on that node, labelled); the suite travels in the
  job's spec (``suite_archive``), since no host path reaches a node;
- the controller starts the test's services as plain containers through its
  node's socket, on the overlay network: a test's containers stay on one node
  and reach each other by DNS, and exec, logs and faults work there as
  locally, because there they *are* local;
- the controller's output comes through the manager's service logs; its exit
  code from the job's task; a node the manager sees down ends the wait with
  an error that names the node;
- what lives on a node (the services, the controller's task container, the
  volume) is removed by a one-shot agent job pinned there (``swarm_agent``),
  when the controller job is removed; the job service goes only after its
  node is clean, so anything a run left is always findable from the manager.

A "container" id that the engine holds is a job's service id.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import docker.errors
import requests.exceptions
from docker.types import (
    ContainerSpec as SdkContainerSpec,
)
from docker.types import (
    EndpointSpec,
    IPAMConfig,
    IPAMPool,
    NetworkAttachmentConfig,
    Placement,
    RestartPolicy,
    ServiceMode,
    TaskTemplate,
)
from docker.types import Mount as SdkMount

from kurtosis_tui import protocol as p
from kurtosis_tui.backend.base import EventStream, Stream
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.backend.docker_errors import engine_hint, explain
from kurtosis_tui.backend.streams import LogStream
from kurtosis_tui.backend.suite_archive import pack
from kurtosis_tui.backend.swarm_agent import read_report
from kurtosis_tui.backend.swarm_parts import (
    SwarmNode,
    Task,
    container_status,
    latest,
    node_lost,
    parse_node,
    pick_node,
    task_failure,
)
from kurtosis_tui.backend.swarm_streams import DrainingStream, NoEvents
from kurtosis_tui.backend.types import (
    ContainerSpec,
    ContainerState,
    ExecOutput,
    LabelledObject,
    NetworkInfo,
    StatsSample,
)
from kurtosis_tui.errors import BackendError, EngineUnavailable, NotFound

#: Seconds between looks at a job's task (and its node) while waiting.
POLL = 0.4
#: A node list this fresh is good enough (many attempts poll at once).
NODES_TTL = 0.4
#: Seconds an agent job may take (its own work is bounded well below this).
AGENT_TIMEOUT = 60.0
#: Seconds a network removal is retried while the swarm still counts a task on it.
NETWORK_DEADLINE = 5.0
#: Seconds a controller gets between SIGTERM and SIGKILL when its job is stopped.
STOP_GRACE = 10


class SwarmBackend(DockerBackend):
    """A Backend on the swarm whose manager DOCKER_HOST (or the default socket) names."""

    def __init__(self, api_version: str | None = None) -> None:
        super().__init__(api_version)
        self._lock = threading.Lock()
        self._volume_labels: dict[str, dict[str, str]] = {}
        self._placed: dict[str, str] = {}  # job id -> node id, while it may run
        self._nodes: tuple[float, list[SwarmNode]] = (0.0, [])
        self._streams: dict[str, list[DrainingStream]] = {}
        self._cleaned: set[str] = set()  # jobs whose node an agent already cleaned

    @property
    def kind(self) -> str:
        return "swarm"

    @property
    def reaches_services(self) -> bool:
        return False  # they run on the controller's node

    @property
    def engine_socket(self) -> str:
        """The socket on the nodes (a job mounts its own node's)."""
        return p.DOCKER_SOCKET

    def ping(self) -> str:
        version = super().ping()
        try:
            swarm = self._client().info().get("Swarm") or {}
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(engine_hint()) from exc
        if swarm.get("LocalNodeState") != "active" or not swarm.get("ControlAvailable"):
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

    def _node(self, node_id: str) -> SwarmNode | None:
        return next((n for n in self.nodes() if n.id == node_id), None)

    def _node_name(self, node_id: str) -> str:
        node = self._node(node_id)
        return node.name if node else node_id[:12]

    def load(self) -> dict[str, int]:
        """How many of our jobs each node (by name) runs now."""
        with self._lock:
            counts = Counter(self._placed.values())
        return {n.name: counts.get(n.id, 0) for n in self.nodes()}

    # --------------------------------------------------------------- networks

    def create_network(self, name: str, *, labels: dict[str, str], subnet: Any) -> NetworkInfo:
        gateway = str(next(subnet.hosts()))
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=gateway)])
        try:
            net = self._client().networks.create(
                name, driver="overlay", attachable=True, scope="swarm", ipam=ipam,
                labels=labels, check_duplicate=True,
            )
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot create network {name} ({subnet}): {explain(exc)}") from exc
        return NetworkInfo(name=name, id=net.id or "", subnet=subnet, gateway=gateway)

    def remove_network(self, name: str) -> None:
        deadline = time.monotonic() + NETWORK_DEADLINE
        while True:
            try:
                super().remove_network(name)
                return
            except BackendError as exc:
                # The manager frees a network a moment after the last task on it is gone.
                if "in use" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(POLL)  # poll interval, bounded by NETWORK_DEADLINE

    # ---------------------------------------------------------------- volumes

    def create_volume(self, name: str, *, labels: dict[str, str]) -> None:
        """Noted only: the job that mounts it creates it on its node, with these labels."""
        with self._lock:
            self._volume_labels[name] = dict(labels)

    def remove_volume(self, name: str) -> None:
        """Nothing on the manager: the volume is its node's, removed with its job."""
        with self._lock:
            self._volume_labels.pop(name, None)

    # ------------------------------------------------------------- containers

    def run_container(self, spec: ContainerSpec) -> ContainerState:
        """Start ``spec`` as a job on the least busy ready node."""
        if spec.network_mode not in (None, "none"):
            raise BackendError(f"{spec.name}: network mode {spec.network_mode} cannot be had "
                               "by a job (a fault helper is its controller's to start)")
        env = dict(spec.env)
        mounts: list[SdkMount] = []
        cap_drop: list[str] = []
        for m in spec.mounts:
            if m.kind == "volume":
                with self._lock:
                    labels = spec.volume_labels or self._volume_labels.get(m.source, {})
                mounts.append(SdkMount(m.target, m.source, type="volume",
                                       read_only=m.read_only, labels=labels))
            elif m.source == p.DOCKER_SOCKET:
                mounts.append(SdkMount(m.target, m.source, type="bind"))
            elif m.target == p.SUITE_MOUNT:
                env[p.ENV_SUITE_ARCHIVE] = pack(Path(m.source))
                if m.read_only:  # unpacked read-only; without this, root writes anyway
                    cap_drop.append("DAC_OVERRIDE")
            else:
                raise BackendError(f"{spec.name}: a host folder ({m.source}) cannot be "
                                   "mounted on a swarm node")
        return self._place_and_create(spec, env, mounts, cap_drop)

    def _place_and_create(self, spec: ContainerSpec, env: dict[str, str],
                          mounts: list[SdkMount], cap_drop: list[str]) -> ContainerState:
        nodes = self.nodes(fresh=True)
        with self._lock:
            node = pick_node(nodes, Counter(self._placed.values()))
            reservation = f"pending-{secrets.token_hex(4)}"
            self._placed[reservation] = node.id
        try:
            container = SdkContainerSpec(
                spec.image,
                command=spec.entrypoint,
                args=spec.command,
                hostname=spec.hostname,
                env=env,
                workdir=spec.working_dir,
                labels=spec.labels,
                mounts=mounts,
                stop_grace_period=STOP_GRACE * 1_000_000_000,
                init=spec.init,
                cap_add=list(spec.cap_add) or None,
                cap_drop=cap_drop or None,
            )
            networks = (
                [NetworkAttachmentConfig(spec.network, aliases=list(spec.aliases))]
                if spec.network else None
            )
            template = TaskTemplate(
                container,
                restart_policy=RestartPolicy(condition="none"),
                placement=Placement(constraints=[f"node.id=={node.id}"]),
                networks=networks,
            )
            created = self._client().api.create_service(
                template, name=spec.name, labels=spec.labels,
                mode=ServiceMode("replicated-job"), endpoint_spec=EndpointSpec(mode="dnsrr"),
            )
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot create the job {spec.name}: {explain(exc)}") from exc
        finally:
            with self._lock:
                self._placed.pop(reservation, None)
        job = str(created["ID"])
        with self._lock:
            self._placed[job] = node.id
        return ContainerState(id=job, name=spec.name, status="created", exit_code=None,
                              ip="", node=node.name)

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

    def _job_node(self, job: str, task: Task | None, service: dict[str, Any] | None) -> str:
        """The node id a job runs (or is to run) on."""
        if task is not None and task.node_id:
            return task.node_id
        with self._lock:
            placed = self._placed.get(job)
        if placed:
            return placed
        constraints = (((service or {}).get("Spec") or {}).get("TaskTemplate") or {}).get(
            "Placement", {}).get("Constraints") or []
        for constraint in constraints:
            key, _, value = constraint.partition("==")
            if key.strip() == "node.id":
                return value.strip()
        return ""

    def container_state(self, container: str) -> ContainerState:
        service = self._service(container)
        task = self._task(container)
        node = self._job_node(container, task, service)
        return ContainerState(
            id=container,
            name=str((service.get("Spec") or {}).get("Name", container)),
            status=container_status(task),
            exit_code=task.exit_code if task else None,
            ip="",
            node=self._node_name(node) if node else "",
        )

    def wait_container(self, container: str, timeout: float) -> int | None:
        deadline = time.monotonic() + timeout
        image = ""
        with contextlib.suppress(NotFound, KeyError):
            image = str(self._service(container)["Spec"]["TaskTemplate"]["ContainerSpec"]
                        ["Image"])
        while True:
            try:
                task = self._task(container)
            except BackendError:
                task = None
            node_id = self._job_node(container, task, None)
            if task is not None and task.terminal:
                self._job_ended(container)
                with self._lock:
                    stopped = container in self._cleaned  # we stopped it and removed it
                problem = task_failure(task, self._node_name(node_id), image)
                if problem is not None and not stopped:
                    raise BackendError(problem)
                if task.exit_code is not None:
                    return task.exit_code
                return 143 if stopped else -1  # its status went with its container
            if node_id:
                lost = node_lost(self._node(node_id), node_id)
                if lost is not None:
                    self._job_ended(container)
                    raise BackendError(lost)
            if time.monotonic() >= deadline:
                return None
            time.sleep(POLL)  # the manager has no wait endpoint for tasks: poll, bounded

    def exec(self, container: str, cmd: list[str]) -> ExecOutput:
        raise BackendError(f"cannot exec in the job {container}: a job's container lives on "
                           "its node, which only the job's own controller reaches")

    def terminal_exec_argv(self, container: str, cmd: list[str]) -> list[str]:
        raise BackendError(f"no shell in the job {container} from here: on a swarm its "
                           "container lives on its node, which only the test's controller "
                           "reaches")

    def stats(self, container: str) -> StatsSample | None:
        return None  # the job's container is on its node's engine: no CPU / memory shown

    def start_container(self, container: str) -> None:
        raise BackendError(f"a job ({container}) cannot be started again")

    def restart_container(self, container: str, timeout: float = 10) -> None:
        raise BackendError(f"a job ({container}) cannot be restarted")

    def stop_container(self, container: str, timeout: float = 10) -> None:
        """SIGTERM to the job's container (by an agent on its node), SIGKILL after ``timeout``;
        the same agent then removes what its test left there (a stop ends the test)."""
        self._signal(container, "stop", timeout)

    def kill_container(self, container: str) -> None:
        self._signal(container, "kill", 0)

    def _signal(self, job: str, action: str, timeout: float) -> None:
        service = self._service(job)
        task = self._task(job)
        if task is None or task.terminal or not task.container_id:
            return  # not running (yet, or any more): nothing to signal
        node = self._ready_node(self._job_node(job, task, service))
        selectors = _selectors(service)
        self._agent(node, service, [action, task.container_id, str(int(timeout)), *selectors])
        if selectors:
            with self._lock:
                self._cleaned.add(job)  # removing the job needs no second agent

    def _ready_node(self, node_id: str) -> SwarmNode:
        node = self._node(node_id)
        if node is None or not node.ready:
            name = node.name if node else node_id[:12]
            raise BackendError(
                f"node {name} is not ready: what the test left there is removed once it is "
                "back (the run's reaper waits for it; `kurtosis-tui clean` does it later)"
            )
        return node

    def remove_container(self, container: str) -> None:
        """Remove a job: first what its test left on its node (by an agent), then the job."""
        try:
            service = self._service(container)
        except NotFound:
            self._forget(container)
            return
        container = str(service.get("ID") or container)  # it may have been named
        with self._lock:
            cleaned = container in self._cleaned
        if not cleaned:
            selectors = _selectors(service)
            if selectors:
                task = self._task(container)
                node_id = self._job_node(container, task, service)
                node = self._ready_node(node_id)
                self._agent(node, service, ["remove", *selectors])
        self._remove_service(container)
        self._forget(container)

    def _remove_service(self, service: str) -> None:
        try:
            self._client().api.remove_service(service)
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot remove the job {service}: {explain(exc)}") from exc

    def _forget(self, job: str) -> None:
        self._job_ended(job)
        with self._lock:
            self._placed.pop(job, None)
            self._cleaned.discard(job)

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
        template = TaskTemplate(
            container,
            restart_policy=RestartPolicy(condition="none"),
            placement=Placement(constraints=[f"node.id=={node.id}"]),
        )
        api = self._client().api
        try:
            agent = str(api.create_service(template, name=name, labels=agent_labels,
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

    # ------------------------------------------------------------------- logs

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

    def logs(self, container: str, tail: int | None = None) -> str:
        return self._service_logs(container, tail)

    def follow_logs(self, container: str) -> Stream:
        """The job's output through the manager; it ends shortly after the job does."""
        client = self._new_client(3600)
        api = client.api
        try:
            response = api._get(
                api._url("/services/{0}/logs", container),
                params={"stdout": 1, "stderr": 1, "follow": 1, "tail": "all"},
                stream=True,
            )
            api._raise_for_status(response)
        except docker.errors.NotFound as exc:
            client.close()
            raise NotFound(f"job {container} does not exist") from exc
        except (docker.errors.APIError, requests.exceptions.RequestException) as exc:
            client.close()
            raise BackendError(f"cannot follow the log of {container}: {exc}") from exc
        stream = DrainingStream(LogStream(response, client, multiplexed=True))
        with self._lock:
            self._streams.setdefault(container, []).append(stream)
        return stream

    def _job_ended(self, job: str) -> None:
        with self._lock:
            streams = self._streams.pop(job, [])
        for stream in streams:
            stream.finish()

    def read_file(self, container: str, path: str) -> bytes | None:
        """None: the file is on the job's node. (The controller's log is its output, which
        ``follow_logs`` delivers line for line.)"""
        return None

    def write_file(self, container: str, path: str, data: bytes) -> None:
        """Not on a swarm: the job's container is on its node (nothing is prepared ahead
        here, see ``reaches_services``)."""
        raise BackendError(f"cannot write {path} into the job {container}: its container "
                           "is on its node, which only the job itself reaches")

    # --------------------------------------------------------- labels, events

    def find_labelled(self, label: str, value: str | None = None) -> list[LabelledObject]:
        """Jobs (as containers) and networks: what a run holds, as the manager sees it.

        A node's own containers and volumes are not listed: each belongs to a job,
        and removing the job removes them.
        """
        api = self._client().api
        selector = f"{label}={value}" if value is not None else label
        found: list[LabelledObject] = []
        try:
            for svc in api.services(filters={"label": selector}):
                spec = svc.get("Spec") or {}
                found.append(LabelledObject("container", svc["ID"], str(spec.get("Name", "")),
                                            dict(spec.get("Labels") or {})))
            for net in api.networks(filters={"label": [selector]}):
                if net.get("Scope") == "swarm":
                    found.append(LabelledObject("network", net["Id"], net["Name"],
                                                net.get("Labels") or {}))
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot list the swarm's objects: {explain(exc)}") from exc
        return found

    def events(self, label: str, value: str) -> EventStream:
        """No container events reach the manager from the nodes: a stream that stays quiet."""
        return NoEvents()


def _selectors(service: dict[str, Any]) -> list[str]:
    """``LABEL=VALUE`` of the test attempt a job ran; none for a job of no test (an agent,
    the fault probe): the swarm removes its task container with it, and nothing else of
    it is on the node."""
    labels = dict((service.get("Spec") or {}).get("Labels") or {})
    if labels.get(p.LABEL_ROLE) == "agent" or p.LABEL_TEST not in labels:
        return []
    keys = (p.LABEL_RUN, p.LABEL_TEST, p.LABEL_ATTEMPT)
    return [f"{k}={labels[k]}" for k in keys if k in labels]


def is_swarm_manager() -> bool:
    """Whether the engine DOCKER_HOST names is a manager of an active swarm."""
    backend = DockerBackend()
    try:
        swarm = backend._client().info().get("Swarm") or {}
    except (BackendError, docker.errors.DockerException,
            requests.exceptions.RequestException):
        return False
    return swarm.get("LocalNodeState") == "active" and bool(swarm.get("ControlAvailable"))
