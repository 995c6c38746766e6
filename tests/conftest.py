"""Shared fixtures: the Docker engine, the project's images, and the leftover check.

Tests that need Docker fail (never skip) when no engine answers: in CI a
silent skip would turn a broken set-up green.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from kurtosis_tui import protocol
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.backend.types import LabelledObject
from kurtosis_tui.errors import EngineUnavailable, UsageError

# The shared helpers under tests/support/ report failed asserts as test modules do.
pytest.register_assert_rewrite("support")

#: Seconds that removal may take to show after a test (Docker removes asynchronously).
LEFTOVER_DEADLINE = 15.0


@dataclass(frozen=True)
class Images:
    controller: str
    busybox: str
    redis: str


@pytest.fixture(autouse=True, scope="session")
def history_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The runs the tests make are recorded in a history of the session's own, not in
    the user's data folder (subprocesses inherit it; a test may point elsewhere)."""
    home = str(tmp_path_factory.mktemp("history"))
    before = os.environ.get("KURTOSIS_TUI_HOME")
    os.environ["KURTOSIS_TUI_HOME"] = home
    yield home
    if before is None:
        os.environ.pop("KURTOSIS_TUI_HOME", None)
    else:
        os.environ["KURTOSIS_TUI_HOME"] = before


@pytest.fixture(scope="session")
def backend() -> DockerBackend:
    """The Docker engine the tests run on; fails with what to do when none answers."""
    docker_backend = DockerBackend()
    try:
        docker_backend.ping()
    except EngineUnavailable as exc:
        pytest.fail(f"this test needs a Docker engine: {exc}", pytrace=False)
    return docker_backend


@pytest.fixture(scope="session")
def images(backend: DockerBackend) -> Images:
    """The controller and example images, built first when missing or stale."""
    from kurtosis_tui.setup.example_images import (
        BUSYBOX_IMAGE,
        REDIS_IMAGE,
        ensure_example_images,
    )
    from kurtosis_tui.setup.images import ensure_controller_image

    try:
        controller = ensure_controller_image()
        ensure_example_images()
    except UsageError as exc:
        pytest.fail(f"cannot build the project's images: {exc}", pytrace=False)
    return Images(controller=controller, busybox=BUSYBOX_IMAGE, redis=REDIS_IMAGE)


def new_run_id(prefix: str = "t") -> str:
    """A run id of our own, so that a test's objects are told apart from others'."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def labelled_objects(backend: DockerBackend, run_id: str | None = None) -> list[LabelledObject]:
    return backend.find_labelled(protocol.LABEL_RUN, run_id)


def assert_no_leftovers(
    backend: DockerBackend,
    run_id: str | None = None,
    *,
    ignore: Iterable[str] = (),
    deadline: float = LEFTOVER_DEADLINE,
) -> None:
    """Fail unless nothing labelled ``kurtosis-tui.run`` (=``run_id``) remains.

    Polls until ``deadline``: removal of a network or volume can trail the
    container's by a moment. ``ignore``: ids that existed before the test.
    """
    skip = set(ignore)
    end = time.monotonic() + deadline
    while True:
        left = [o for o in labelled_objects(backend, run_id) if o.id not in skip]
        if not left or time.monotonic() >= end:
            break
        time.sleep(0.2)
    names = sorted(f"{o.kind} {o.name} ({protocol.LABEL_RUN}={o.labels.get(protocol.LABEL_RUN)})"
                   for o in left)
    assert not names, "left behind after the test:\n  " + "\n  ".join(names)


@pytest.fixture
def no_leftovers(backend: DockerBackend) -> Iterator[None]:
    """Fails the test when it leaves labelled networks, volumes or containers behind."""
    before = {o.id for o in labelled_objects(backend)}
    yield
    assert_no_leftovers(backend, ignore=before)


@pytest.fixture
def run_id(backend: DockerBackend) -> Iterator[str]:
    """A fresh run id; anything labelled with it after the test fails the test."""
    value = new_run_id()
    yield value
    assert_no_leftovers(backend, value)


@pytest.fixture
def leftover_check(backend: DockerBackend) -> Callable[..., None]:
    """``assert_no_leftovers`` bound to the backend, for tests that know their run id."""

    def check(run: str | None = None, deadline: float = LEFTOVER_DEADLINE) -> None:
        assert_no_leftovers(backend, run, deadline=deadline)

    return check


#: One lock file for the machine. ``kurtosis-tui clean`` removes every dead run's objects,
#: kept ones included (as it should), so a test that runs it must not overlap a test that
#: looks at a kept run whose owner has exited: the other pytest process of ``make test``
#: (see the Makefile), or another worktree's tests on the same engine.
CLEAN_LOCK = Path(tempfile.gettempdir()) / "kurtosis-tui-tests-clean.lock"


@contextmanager
def _clean_lock(mode: int) -> Iterator[None]:
    fd = os.open(CLEAN_LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # releases the lock


@pytest.fixture
def keeps_runs() -> Iterator[None]:
    """The test keeps a run past its owner's exit: no ``clean`` may run meanwhile."""
    with _clean_lock(fcntl.LOCK_SH):
        yield


@pytest.fixture
def cleans_everything() -> Iterator[None]:
    """The test runs ``kurtosis-tui clean``: it waits for tests that keep runs, and
    they wait for it."""
    with _clean_lock(fcntl.LOCK_EX):
        yield
