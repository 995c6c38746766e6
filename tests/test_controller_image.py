"""The controller image on a real engine: the package runs inside it and reaches Docker."""

from __future__ import annotations

import os

import docker
import pytest
from conftest import Images

from kurtosis_tui import __version__, protocol
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.backend.types import ContainerSpec, Mount
from kurtosis_tui.setup.images import LABEL_INPUTS, ensure_controller_image

pytestmark = pytest.mark.docker

PROBE = """
import importlib.util, docker, kurtosis_tui
from kurtosis_tui import protocol
print("version", kurtosis_tui.__version__)
print("marker", protocol.EVENT_MARKER.strip())
print("ping", docker.from_env().ping())
print("textual", importlib.util.find_spec("textual") is not None)
"""


def _host_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "")
    return host[len("unix://") :] if host.startswith("unix://") else protocol.DOCKER_SOCKET


def _run(
    backend: DockerBackend, image: str, run_id: str, name: str, **spec: object
) -> tuple[int | None, str]:
    """Run a labelled container to its end; its exit code and output. Always removed."""
    container = f"kt-{run_id}-{name}"
    try:
        backend.run_container(
            ContainerSpec(
                name=container,
                image=image,
                labels={protocol.LABEL_RUN: run_id},
                **spec,  # type: ignore[arg-type]
            )
        )
        code = backend.wait_container(container, timeout=60)
        return code, backend.logs(container)
    finally:
        backend.remove_container(container)


def test_the_package_runs_in_the_image_and_reaches_the_engine_through_the_socket(
    backend: DockerBackend, images: Images, run_id: str
) -> None:
    code, output = _run(
        backend,
        images.controller,
        run_id,
        "probe",
        entrypoint=["python", "-c", PROBE],
        mounts=(Mount(_host_socket(), protocol.DOCKER_SOCKET, kind="bind"),),
    )
    assert code == 0, output
    lines = output.splitlines()
    assert f"version {__version__}" in lines
    assert f"marker {protocol.EVENT_MARKER.strip()}" in lines
    assert "ping True" in lines
    assert "textual False" in lines  # only the controller's runtime dependencies


def test_the_entrypoint_is_the_controller_and_names_what_is_missing(
    backend: DockerBackend, images: Images, run_id: str
) -> None:
    code, output = _run(backend, images.controller, run_id, "bare")
    assert code not in (None, 0), output
    assert protocol.ENV_RUN_ID in output


def test_a_second_ensure_does_not_rebuild(images: Images) -> None:
    ensure_controller_image()  # sources may have changed since the session began
    cli = docker.from_env()
    try:
        before = cli.images.get(images.controller)
        said: list[str] = []
        assert ensure_controller_image(said.append) == images.controller
        after = cli.images.get(images.controller)
    finally:
        cli.close()
    assert after.id == before.id
    assert said == []
    assert after.labels.get(LABEL_INPUTS)
