"""Shared helpers for the robustness tests (no tests here).

Each test gets a run id of its own, so tests running side by side (or a user's
real run) are never touched; whatever a test leaves under its run ids is
force-removed at the end, and the test fails if it had to.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kurtosis_tui import protocol
from kurtosis_tui.backend import ContainerSpec, LabelledObject, Mount
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup, owner

BUSYBOX = "kurtosis-tui/busybox:local"
# From a random /28 on: two pytest processes (make test runs two) looking for a free
# one at the same moment must not both pick the first.
_subnets = itertools.count(random.randrange(4096))


def new_run_id(tag: str = "rb") -> str:
    return f"{tag}{uuid.uuid4().hex[:8]}"


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.1,
               what: str = "a condition") -> float:
    """Poll ``predicate`` until it holds; seconds taken. Fails the test at ``timeout``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(poll)
    return time.monotonic() - start


def free_subnet(backend: DockerBackend) -> ipaddress.IPv4Network:
    """A /28 in 10.231.0.0/16 that no network uses (the engine's pool is elsewhere)."""
    used = backend.used_subnets()
    for index in _subnets:
        offset = index * 16
        candidate = ipaddress.IPv4Network(f"10.231.{offset // 256 % 256}.{offset % 256}/28")
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise AssertionError("unreachable")


def make_objects(
    backend: DockerBackend,
    run_id: str,
    *,
    owner: str | None = None,
    test: str = "T",
    attempt: int = 1,
    containers: int = 2,
) -> list[str]:
    """A network, a volume and running containers labelled as one test attempt of ``run_id``."""
    labels = {
        protocol.LABEL_RUN: run_id,
        protocol.LABEL_TEST: test,
        protocol.LABEL_ATTEMPT: str(attempt),
    }
    if owner:
        labels[protocol.LABEL_OWNER] = owner
    base = protocol.object_name(run_id, test, attempt)
    backend.create_network(f"{base}-net", labels=labels, subnet=free_subnet(backend))
    backend.create_volume(f"{base}-vol", labels=labels)
    names = [f"{base}-net", f"{base}-vol"]
    for i in range(containers):
        name = f"{base}-c{i}"
        backend.run_container(
            ContainerSpec(
                name=name,
                image=BUSYBOX,
                labels=labels,
                command=["sleep", "600"],
                network=f"{base}-net",
                mounts=(Mount(f"{base}-vol", "/test-volume"),),
            )
        )
        names.append(name)
    return names


def dead_owner_token() -> str:
    """The owner token of a process that has just exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    token = owner.owner_token(proc.pid)
    proc.wait()
    return token


def labelled(backend: DockerBackend, run_id: str) -> list[LabelledObject]:
    return backend.find_labelled(protocol.LABEL_RUN, run_id)


@pytest.fixture(scope="session")
def docker_backend(backend: DockerBackend, images: object) -> DockerBackend:
    """conftest's engine, once the project's images (busybox, controller) are there."""
    return backend


@pytest.fixture
def run_ids(docker_backend: DockerBackend) -> Iterator[list[str]]:
    """Run ids the test uses; anything left under them fails the test (after removal)."""
    ids: list[str] = []
    yield ids
    leftovers = {r: labelled(docker_backend, r) for r in ids}
    for run_id in ids:
        cleanup.remove_run(docker_backend, run_id, include_kept=True)
    left = {r: [o.name for o in objs] for r, objs in leftovers.items() if objs}
    assert not left, f"the test left labelled objects behind: {left}"


def shield_from_older_sweeps(run_id: str) -> Path:
    """Other checkouts on this shared engine may run an older kurtosis-tui, whose sweeps
    know only a kept record in ``~/.cache/kurtosis-tui/kept``: write one there too, so
    that they spare what a test keeps (the tool itself no longer reads it). The file's
    path, to remove once the test is done."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "kurtosis-tui" / "kept" / run_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("*\n")
    return path


#: The label of another tool's objects: nothing of ours may touch them.
OTHER_LABEL = "someone-else.owns"


@pytest.fixture
def unlabelled_network(docker_backend: DockerBackend) -> Iterator[str]:
    """A ``kt-`` named network without our run label."""
    name = f"kt-{new_run_id('unlabelled')}"
    docker_backend.create_network(
        name, labels={OTHER_LABEL: "1"}, subnet=free_subnet(docker_backend)
    )
    yield name
    docker_backend.remove_network(name)


def owned_by(token: str, pid: int) -> bool:
    """Whether an owner label names process ``pid`` of this machine."""
    from kurtosis_tui.engine.owner import parse_owner

    owner = parse_owner(token)
    return owner is not None and owner.pid == pid
