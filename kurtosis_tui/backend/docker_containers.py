"""Containers and their images on one local Docker engine, through the Docker SDK.

``DockerContainers`` is the base of ``docker_backend.DockerBackend``, which makes
the clients (one per thread) these calls use; the streams that follow a
container (its log, its input) are there too, with the clients' timeout.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import docker
import docker.errors
import requests.exceptions

from kurtosis_tui.backend.docker_archive import first_file, single_file_tar
from kurtosis_tui.backend.docker_errors import explain, lost_engine, removing, seam
from kurtosis_tui.backend.docker_specs import container_state, create_kwargs
from kurtosis_tui.backend.docker_stats import stats_sample
from kurtosis_tui.backend.docker_wire import exec_output
from kurtosis_tui.backend.types import ContainerSpec, ContainerState, ExecOutput, StatsSample
from kurtosis_tui.errors import BackendError, EngineUnavailable, ImageNotFound, NotFound


class DockerContainers:
    """A Backend's images and containers on the engine its clients reach."""

    _client: Callable[[], docker.DockerClient]
    _new_client: Callable[[float], docker.DockerClient]

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
    def read_file(self, container: str, path: str) -> bytes | None:
        try:
            chunks, _stat = self._client().api.get_archive(container, path)
            data = b"".join(chunks)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot read {path} from {container}: {explain(exc)}") from exc
        return first_file(data)

    @seam
    def write_file(self, container: str, path: str, data: bytes) -> None:
        folder, _, name = path.rpartition("/")
        try:
            self._client().api.put_archive(container, folder or "/", single_file_tar(name, data))
        except docker.errors.NotFound as exc:
            raise NotFound(f"container {container} does not exist") from exc
        except docker.errors.APIError as exc:
            raise BackendError(f"cannot write {path} into {container}: {explain(exc)}") from exc
