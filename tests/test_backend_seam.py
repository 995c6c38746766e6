"""Every transport error of the Docker SDK is a BackendError at the seam.

A stalled engine (a socket that accepts and never answers) and a gone one (a
socket path nobody listens on) raise EngineUnavailable naming the engine's
address, from every kind of call, never a raw ReadTimeout or ConnectionError
that would skip the callers' error paths.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kurtosis_tui.backend import ContainerSpec
from kurtosis_tui.backend import docker_backend as db
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.errors import EngineUnavailable

CALLS: dict[str, Callable[[DockerBackend], Any]] = {
    "container_state": lambda b: b.container_state("x"),
    "find_labelled": lambda b: b.find_labelled("kurtosis-tui.run"),
    "remove_container": lambda b: b.remove_container("x"),
    "remove_volume": lambda b: b.remove_volume("x"),
    "remove_network": lambda b: b.remove_network("x"),
    "logs": lambda b: b.logs("x"),
    "exec": lambda b: b.exec("x", ["true"]),
    "read_file": lambda b: b.read_file("x", "/f"),
    "kill_container": lambda b: b.kill_container("x"),
    "run_container": lambda b: b.run_container(ContainerSpec(name="x", image="i", labels={})),
    "follow_logs": lambda b: b.follow_logs("x"),
    "events": lambda b: b.events("kurtosis-tui.run", "r"),
    "image_exists": lambda b: b.image_exists("i"),
}


@pytest.fixture
def stalled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """DOCKER_HOST at a socket that accepts connections and never answers."""
    path = tmp_path / "stalled.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen(64)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    monkeypatch.setattr(db, "API_TIMEOUT", 1)
    try:
        yield f"unix://{path}"
    finally:
        server.close()


@pytest.mark.parametrize("call", sorted(CALLS))
def test_a_stalled_engine_is_engine_unavailable_naming_its_address(
    stalled: str, call: str
) -> None:
    backend = DockerBackend(api_version="1.41")  # no probe: the call itself meets the stall
    with pytest.raises(EngineUnavailable, match=stalled.replace("/", ".")):
        CALLS[call](backend)


@pytest.mark.parametrize("call", ["container_state", "find_labelled", "remove_container"])
def test_a_gone_engine_is_engine_unavailable_naming_its_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    address = f"unix://{tmp_path}/nobody.sock"
    monkeypatch.setenv("DOCKER_HOST", address)
    backend = DockerBackend(api_version="1.41")
    with pytest.raises(EngineUnavailable, match=address.replace("/", ".")):
        CALLS[call](backend)
