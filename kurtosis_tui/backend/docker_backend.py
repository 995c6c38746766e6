"""The Backend for one local Docker engine, through the Docker SDK.

Why the shape: the SDK promises no thread-safety for one client, and the
engine runs tests in many threads, so each thread gets its own client. The API
version is asked once and handed to every later client, which saves the
``/version`` round trip that testcontainers users pay per container. Log and
event streams have no socket timeout and follow again after a break (see
``docker_follow`` and ``streams``); ``docker_specs`` says our types in Docker's words.
What it does to containers and images is in ``docker_containers``, its base.

Every error of the SDK and its transport (requests, urllib3, sockets) becomes a
``BackendError`` here, at the seam (``docker_errors.seam``): a stalled or restarting engine is
an ``EngineUnavailable`` that names the engine's address, never a raw
``ReadTimeout`` that skips the callers' error paths.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from typing import Any

import docker
import docker.constants
import docker.errors
import requests.exceptions
from docker.types import IPAMConfig, IPAMPool

from kurtosis_tui.backend import base
from kurtosis_tui.backend.docker_containers import DockerContainers
from kurtosis_tui.backend.docker_errors import engine_address, engine_hint, explain, removing, seam
from kurtosis_tui.backend.docker_follow import catch_up, open_events, open_log
from kurtosis_tui.backend.docker_input import AttachedInput
from kurtosis_tui.backend.streams import EventStream, LogStream
from kurtosis_tui.backend.types import LabelledObject, NetworkInfo
from kurtosis_tui.errors import BackendError, EngineUnavailable
from kurtosis_tui.protocol import DOCKER_SOCKET

#: Seconds an ordinary API call may take before we call the engine unresponsive.
API_TIMEOUT = 120
#: The API version the first request speaks (any engine answers /version in it).
MINIMUM_API_VERSION = docker.constants.MINIMUM_DOCKER_API_VERSION
#: Seconds to wait for the engine's first answer.
PING_TIMEOUT = 3


class DockerBackend(DockerContainers):
    """A Backend on the Docker engine that DOCKER_HOST (or the default socket) names."""

    def __init__(self, api_version: str | None = None) -> None:
        # The engine is the one DOCKER_HOST names *now*: a client made later, in any
        # thread, talks to it even if the variable changes meanwhile (a swarm run builds
        # its controller image on the host's engine while the session starts).
        self._environment = dict(os.environ)
        self._api_version = api_version
        self._engine_version = ""  # from the probe that learned the API version
        self._local = threading.local()
        self._version_lock = threading.Lock()

    @property
    def kind(self) -> str:
        return "docker"

    @property
    def reaches_services(self) -> bool:
        return True

    @property
    def engine_socket(self) -> str:
        """DOCKER_HOST's socket when it names one, else the default socket."""
        host = self._environment.get("DOCKER_HOST", "")
        if host.startswith("unix://"):
            return host[len("unix://"):]
        return DOCKER_SOCKET

    @property
    def address(self) -> str:
        return engine_address(self._environment)

    # ---------------------------------------------------------------- clients

    def _client(self) -> docker.DockerClient:
        client: docker.DockerClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._new_client(API_TIMEOUT)
            self._local.client = client
        return client

    def _new_client(self, timeout: float) -> docker.DockerClient:
        try:
            with self._version_lock:
                if self._api_version is None:
                    # The oldest API version skips the SDK's own /version round trip:
                    # one request learns both the API version and the engine's.
                    probe = docker.from_env(version=MINIMUM_API_VERSION, timeout=PING_TIMEOUT,
                                            environment=self._environment)
                    try:
                        answer = probe.version()
                    finally:
                        probe.close()
                    self._api_version = str(answer["ApiVersion"])
                    self._engine_version = str(answer.get("Version", ""))
            return docker.from_env(version=self._api_version, timeout=int(timeout),
                                   environment=self._environment)
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(engine_hint()) from exc

    def node_states(self) -> dict[str, str]:
        return {}  # one engine: no nodes

    @seam
    def ping(self) -> str:
        probing = self._api_version is None
        client = self._client()
        if probing and self._engine_version:
            return self._engine_version  # the probe has just heard the engine answer
        try:
            return str(client.version()["Version"])
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise EngineUnavailable(engine_hint()) from exc

    # --------------------------------------------------------------- networks

    @seam
    def used_subnets(self) -> list[ipaddress.IPv4Network]:
        subnets: list[ipaddress.IPv4Network] = []
        for net in self._client().api.networks():
            for conf in (net.get("IPAM") or {}).get("Config") or []:
                try:
                    subnet = ipaddress.ip_network(conf.get("Subnet", ""), strict=False)
                except ValueError:
                    continue
                if isinstance(subnet, ipaddress.IPv4Network):
                    subnets.append(subnet)
        return subnets

    @seam
    def create_network(
        self, name: str, *, labels: dict[str, str], subnet: ipaddress.IPv4Network
    ) -> NetworkInfo:
        gateway = str(next(subnet.hosts()))
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=gateway)])
        try:
            # The low-level call: the SDK's networks.create inspects the network after
            # creating it, one more round trip, which fails if a cleaner removed it meanwhile.
            created = self._client().api.create_network(
                name, driver="bridge", ipam=ipam, labels=labels, check_duplicate=True
            )
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot create network {name} ({subnet}): {explain(exc)}") from exc
        return NetworkInfo(name=name, id=str(created.get("Id") or ""), subnet=subnet,
                           gateway=gateway)

    @seam
    def remove_network(self, name: str) -> None:
        with removing(f"network {name}"):
            self._client().api.remove_network(name)

    # ---------------------------------------------------------------- volumes

    @seam
    def create_volume(self, name: str, *, labels: dict[str, str]) -> None:
        try:
            self._client().volumes.create(name=name, labels=labels)
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot create volume {name}: {explain(exc)}") from exc

    @seam
    def remove_volume(self, name: str) -> None:
        with removing(f"volume {name}"):
            self._client().api.remove_volume(name, force=True)

    def mark_kept(self, name: str, *, labels: dict[str, str]) -> None:
        """A small volume: it lives in the engine with the objects it keeps."""
        self.create_volume(name, labels=labels)

    # ------------------------------------------------------- streams, labels

    @seam
    def open_input(self, container: str) -> base.Input:
        return AttachedInput(self._new_client(API_TIMEOUT), container)

    @seam
    def follow_logs(self, container: str) -> base.Stream:
        """One request: the tool's containers never have a TTY (``ContainerSpec`` has no
        such option), so the log is multiplexed and stamped without asking. When Docker
        ends it (the container stopped: a restart is the caller's to follow, see
        ``engine.service_logs``), what its follower may have left out is read once more
        (``docker_follow.catch_up``); a broken connection is followed again."""
        client = self._new_client(API_TIMEOUT)
        try:
            response = open_log(client, container, since=None, stamped=True)
        except BaseException:
            client.close()
            raise
        caught_up = False

        def reopen(since: str | None, broken: bool) -> tuple[Any, Any] | None:
            """Follow again from ``since`` after a break; after the end, catch up once."""
            nonlocal caught_up
            if not broken:
                if caught_up:
                    return None
                caught_up = True
                reader = self._new_client(API_TIMEOUT)
                try:
                    return catch_up(reader, container, since), None
                finally:
                    reader.close()
            fresh = self._new_client(API_TIMEOUT)
            try:
                return open_log(fresh, container, since=since, stamped=True), fresh
            except BaseException:
                fresh.close()
                raise

        return LogStream(response, client, multiplexed=True, timestamps=True, reopen=reopen)

    @seam
    def find_labelled(self, label: str, value: str | None = None) -> list[LabelledObject]:
        api = self._client().api
        selector = f"{label}={value}" if value is not None else label
        filters = {"label": [selector]}
        found: list[LabelledObject] = []
        for c in api.containers(all=True, filters=filters):
            name = (c.get("Names") or ["/"])[0].lstrip("/")
            found.append(LabelledObject("container", c["Id"], name, c.get("Labels") or {}))
        for n in api.networks(filters=filters):
            found.append(LabelledObject("network", n["Id"], n["Name"], n.get("Labels") or {}))
        for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
            found.append(LabelledObject("volume", v["Name"], v["Name"], v.get("Labels") or {}))
        return found

    @seam
    def events(self, label: str, value: str) -> base.EventStream:
        filters = {"type": "container", "label": [f"{label}={value}"]}

        def connect(since: str | None, broken: bool = True) -> tuple[Any, Any]:
            client = self._new_client(API_TIMEOUT)
            try:
                return open_events(client, filters, since), client
            except BaseException:
                client.close()
                raise

        raw, client = connect(None)
        return EventStream(raw, client, reopen=connect)
