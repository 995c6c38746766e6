"""The Backend for one local Docker engine, through the Docker SDK.

Why the shape: the SDK promises no thread-safety for one client, and the
engine runs tests in many threads, so each thread gets its own client. The API
version is asked once and handed to every later client, which saves the
``/version`` round trip that testcontainers users pay per container. Log and
event streams have no socket timeout and follow again after a break (see
``docker_follow`` and ``streams``); ``docker_specs`` says our types in Docker's words.

Every error of the SDK and its transport (requests, urllib3, sockets) becomes a
``BackendError`` here, at the seam (``docker_errors.seam``): a stalled or restarting engine is
an ``EngineUnavailable`` that names the engine's address, never a raw
``ReadTimeout`` that skips the callers' error paths.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import threading
from typing import Any

import docker
import docker.constants
import docker.errors
import requests.exceptions
from docker.types import IPAMConfig, IPAMPool

from kurtosis_tui.backend import base
from kurtosis_tui.backend.docker_archive import first_file, single_file_tar
from kurtosis_tui.backend.docker_errors import (
    engine_address,
    engine_hint,
    explain,
    lost_engine,
    removing,
    seam,
)
from kurtosis_tui.backend.docker_follow import open_events, open_log
from kurtosis_tui.backend.docker_input import AttachedInput
from kurtosis_tui.backend.docker_specs import container_state, create_kwargs
from kurtosis_tui.backend.docker_stats import stats_sample
from kurtosis_tui.backend.docker_wire import exec_output
from kurtosis_tui.backend.streams import EventStream, LogStream
from kurtosis_tui.backend.types import (
    ContainerSpec,
    ContainerState,
    ExecOutput,
    LabelledObject,
    NetworkInfo,
    StatsSample,
)
from kurtosis_tui.errors import BackendError, EngineUnavailable, ImageNotFound, NotFound
from kurtosis_tui.protocol import DOCKER_SOCKET

#: Seconds an ordinary API call may take before we call the engine unresponsive.
API_TIMEOUT = 120
#: The API version the first request speaks (any engine answers /version in it).
MINIMUM_API_VERSION = docker.constants.MINIMUM_DOCKER_API_VERSION
#: Seconds to wait for the engine's first answer.
PING_TIMEOUT = 3


class DockerBackend:
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

    # ----------------------------------------------------------------- images

    @seam
    def image_exists(self, image: str) -> bool:
        try:
            self._client().api.inspect_image(image)
            return True
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot inspect image {image}: {explain(exc)}") from exc

    @seam
    def ensure_image(self, image: str) -> None:
        if self.image_exists(image):
            return
        try:
            self._client().images.pull(image)
        except docker.errors.DockerException as exc:
            raise ImageNotFound(image) from exc

    # ------------------------------------------------------------- containers

    @seam
    def run_container(self, spec: ContainerSpec) -> ContainerState:
        """Create, start and inspect: three requests (the SDK's high-level ``create``
        inspects once more, which costs a round trip per service under load)."""
        api = self._client().api
        kwargs = create_kwargs(api, spec)
        try:
            container = str(api.create_container(spec.image, **kwargs)["Id"])
        except docker.errors.ImageNotFound as exc:
            if self.image_exists(spec.image):
                raise BackendError(f"cannot create container {spec.name}: {explain(exc)}") from exc
            self.ensure_image(spec.image)  # raises ImageNotFound when it cannot be had
            container = str(api.create_container(spec.image, **kwargs)["Id"])
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot create container {spec.name}: {explain(exc)}") from exc
        try:
            api.start(container)
        except docker.errors.APIError as exc:
            self.remove_container(container)
            raise BackendError(f"cannot start container {spec.name}: {explain(exc)}") from exc
        return self.container_state(container)

    @seam
    def container_state(self, container: str) -> ContainerState:
        try:
            data = self._client().api.inspect_container(container)
        except docker.errors.NotFound as exc:
            raise NotFound(f"container {container} does not exist") from exc
        return container_state(data)

    @seam
    def wait_container(self, container: str, timeout: float) -> int | None:
        # A client of its own: the wait blocks its socket for up to `timeout`.
        client = self._new_client(timeout + 5)
        try:
            result = client.api.wait(container, timeout=timeout)
            return int(result.get("StatusCode", -1))
        except requests.exceptions.ReadTimeout:
            return None
        except requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                return None
            raise EngineUnavailable(lost_engine(f"waiting for {container}", exc)) from exc
        except docker.errors.NotFound as exc:
            raise NotFound(f"container {container} does not exist") from exc
        finally:
            client.close()

    @seam
    def exec(self, container: str, cmd: list[str]) -> ExecOutput:
        api = self._client().api
        try:
            exec_id = api.exec_create(container, cmd, stdout=True, stderr=True)["Id"]
            # Not the SDK's exec_start: it may lose the first frames (see exec_output).
            response = api._post_json(
                api._url("/exec/{0}/start", exec_id),
                headers={"Connection": "Upgrade", "Upgrade": "tcp"},
                data={"Tty": False, "Detach": False},
                stream=True,
            )
            api._raise_for_status(response)
            output = exec_output(response)
            code = api.exec_inspect(exec_id).get("ExitCode")
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot exec {cmd!r} in {container}: {explain(exc)}") from exc
        text = output.decode("utf-8", "replace")
        return ExecOutput(exit_code=int(code if code is not None else -1), output=text)

    @seam
    def stats(self, container: str) -> StatsSample | None:
        # one_shot (API 1.41+) answers at once; without it the engine waits a second
        # to fill "precpu_stats". We take two readings ourselves instead.
        try:
            raw = self._client().api.stats(container, stream=False, one_shot=True)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot read the stats of {container}: {explain(exc)}") from exc
        except (requests.exceptions.RequestException, ValueError):
            return None  # it stopped while answering: an empty body, no JSON
        return stats_sample(raw)

    def terminal_exec_argv(self, container: str, cmd: list[str]) -> list[str]:
        docker_cli = shutil.which("docker")
        if docker_cli is None:
            raise BackendError("a shell in a service needs the docker command on PATH")
        return [docker_cli, "exec", "-it", container, *cmd]  # DOCKER_HOST passes through

    @seam
    def start_container(self, container: str) -> None:
        self._lifecycle("start", container)

    @seam
    def stop_container(self, container: str, timeout: float = 10) -> None:
        self._lifecycle("stop", container, timeout=int(timeout))

    @seam
    def restart_container(self, container: str, timeout: float = 10) -> None:
        self._lifecycle("restart", container, timeout=int(timeout))

    @seam
    def kill_container(self, container: str) -> None:
        self._lifecycle("kill", container)

    def pause_container(self, container: str) -> None:
        self._lifecycle("pause", container)

    def unpause_container(self, container: str) -> None:
        self._lifecycle("unpause", container)

    def _lifecycle(self, action: str, container: str, **kwargs: Any) -> None:
        try:
            getattr(self._client().api, action)(container, **kwargs)
        except docker.errors.NotFound as exc:
            raise NotFound(f"container {container} does not exist") from exc
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot {action} container {container}: {explain(exc)}") from exc

    @seam
    def remove_container(self, container: str) -> None:
        with removing(f"container {container}", in_progress_ok=True):
            self._client().api.remove_container(container, force=True, v=True)

    @seam
    def logs(self, container: str, tail: int | None = None) -> str:
        try:
            raw = self._client().api.logs(container, tail=tail if tail is not None else "all")
        except docker.errors.NotFound as exc:
            raise NotFound(f"container {container} does not exist") from exc
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    @seam
    def open_input(self, container: str) -> base.Input:
        return AttachedInput(self._new_client(API_TIMEOUT), container)

    @seam
    def follow_logs(self, container: str) -> base.Stream:
        """One request: the tool's containers never have a TTY (``ContainerSpec`` has no
        such option), so the log is multiplexed and stamped without asking. The stream
        ends when Docker ends it (the container stopped: a restart is the caller's to
        follow, see ``engine.service_logs``); only a broken connection is followed again,
        without asking the engine first (one request less per container at teardown)."""
        client = self._new_client(API_TIMEOUT)
        try:
            response = open_log(client, container, since=None, stamped=True)
        except BaseException:
            client.close()
            raise

        def reopen(since: str | None, broken: bool) -> tuple[Any, Any] | None:
            """Follow again from ``since`` after the connection broke."""
            if not broken:
                return None
            fresh = self._new_client(API_TIMEOUT)
            try:
                return open_log(fresh, container, since=since, stamped=True), fresh
            except BaseException:
                fresh.close()
                raise

        return LogStream(response, client, multiplexed=True, timestamps=True, reopen=reopen)

    @seam
    def read_file(self, container: str, path: str) -> bytes | None:
        try:
            chunks, _stat = self._client().api.get_archive(container, path)
            data = b"".join(chunks)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot read {path} from {container}: {explain(exc)}") from exc
        return first_file(data)

    # --------------------------------------------------------- labels, events

    @seam
    def write_file(self, container: str, path: str, data: bytes) -> None:
        folder, _, name = path.rpartition("/")
        try:
            self._client().api.put_archive(container, folder or "/", single_file_tar(name, data))
        except docker.errors.NotFound as exc:
            raise NotFound(f"container {container} does not exist") from exc
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot write {path} into {container}: {explain(exc)}") from exc

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
