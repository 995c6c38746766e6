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

What is asked of the manager (nodes, a job's task and logs, agent jobs) is
``swarm_manager``'s; the plain rules (placement, task states, job specs) are
``swarm_parts``'; what a job's container can mount, ``swarm_specs``'.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections import Counter
from typing import Any

import docker.errors
import requests.exceptions
from docker.types import EndpointSpec, IPAMConfig, IPAMPool, NetworkAttachmentConfig, ServiceMode

from kurtosis_tui import protocol as p
from kurtosis_tui.backend.base import EventStream, Input, Stream
from kurtosis_tui.backend.docker_errors import explain
from kurtosis_tui.backend.streams import LogStream
from kurtosis_tui.backend.swarm_manager import POLL, SwarmManager
from kurtosis_tui.backend.swarm_parts import (
    Task,
    container_status,
    job_template,
    node_lost,
    pick_node,
    pinned_node,
    selectors,
    task_failure,
)
from kurtosis_tui.backend.swarm_specs import job_container
from kurtosis_tui.backend.swarm_streams import DrainingStream, NoEvents
from kurtosis_tui.backend.types import (
    ContainerSpec,
    ContainerState,
    ExecOutput,
    LabelledObject,
    NetworkInfo,
    StatsSample,
)
from kurtosis_tui.errors import BackendError, NotFound

#: Seconds a network removal is retried while the swarm still counts a task on it.
NETWORK_DEADLINE = 5.0


class SwarmBackend(SwarmManager):
    """A Backend on the swarm whose manager DOCKER_HOST (or the default socket) names."""

    def __init__(self, api_version: str | None = None) -> None:
        super().__init__(api_version)
        self._volume_labels: dict[str, dict[str, str]] = {}
        self._placed: dict[str, str] = {}  # job id -> node id, while it may run
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

    # ------------------------------------------------------------------ nodes

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

    def mark_kept(self, name: str, *, labels: dict[str, str]) -> None:
        """A swarm config: a volume lives on a node, and the record must be seen from the
        manager by the next run's sweep and ``clean`` (it holds no data)."""
        try:
            self._client().api.create_config(name, b"kept", labels=dict(labels))
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot record {name}: {explain(exc)}") from exc

    def remove_volume(self, name: str) -> None:
        """Nothing on the manager for a test volume (its node's, removed with its job);
        a kept record's config goes."""
        with self._lock:
            noted = self._volume_labels.pop(name, None)
        if noted is None:
            with contextlib.suppress(docker.errors.NotFound):
                try:
                    self._client().api.remove_config(name)
                except docker.errors.APIError as exc:
                    if exc.status_code != 404:
                        raise BackendError(f"cannot remove {name}: {explain(exc)}") from exc

    # ------------------------------------------------------------- containers

    def run_container(self, spec: ContainerSpec) -> ContainerState:
        """Start ``spec`` as a job on the least busy ready node."""
        with self._lock:
            noted = dict(self._volume_labels)
        container = job_container(spec, noted)
        nodes = self.nodes(fresh=True)
        with self._lock:
            node = pick_node(nodes, Counter(self._placed.values()))
            reservation = f"pending-{secrets.token_hex(4)}"
            self._placed[reservation] = node.id
        try:
            networks = (
                [NetworkAttachmentConfig(spec.network, aliases=list(spec.aliases))]
                if spec.network else None
            )
            created = self._client().api.create_service(
                job_template(container, node.id, networks), name=spec.name, labels=spec.labels,
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

    def _job_node(self, job: str, task: Task | None, service: dict[str, Any] | None) -> str:
        """The node id a job runs (or is to run) on."""
        if task is not None and task.node_id:
            return task.node_id
        with self._lock:
            placed = self._placed.get(job)
        if placed:
            return placed
        return pinned_node(service or {})

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
        selected = selectors(service)
        self._agent(node, service, [action, task.container_id, str(int(timeout)), *selected])
        if selected:
            with self._lock:
                self._cleaned.add(job)  # removing the job needs no second agent

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
            selected = selectors(service)
            if selected:
                task = self._task(container)
                node_id = self._job_node(container, task, service)
                node = self._ready_node(node_id)
                self._agent(node, service, ["remove", *selected])
        self._remove_service(container)
        self._forget(container)

    def _forget(self, job: str) -> None:
        self._job_ended(job)
        with self._lock:
            self._placed.pop(job, None)
            self._cleaned.discard(job)

    # ------------------------------------------------------------------- logs

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

    def open_input(self, container: str) -> Input:
        """Not on a swarm: nothing is prepared ahead here (see ``reaches_services``)."""
        raise BackendError(f"cannot open the input of the job {container}: its container "
                           "is on its node")

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
            for config in api.configs(filters={"label": selector}):  # kept records
                spec = config.get("Spec") or {}
                found.append(LabelledObject("volume", config["ID"], str(spec.get("Name", "")),
                                            dict(spec.get("Labels") or {})))
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot list the swarm's objects: {explain(exc)}") from exc
        return found

    def events(self, label: str, value: str) -> EventStream:
        """No container events reach the manager from the nodes: a stream that stays quiet."""
        return NoEvents()

