"""What a failed pull means (kurtosis_tui/setup/pulls.py), with a fake engine.

The real thing (a registry that answers, stops part way, or lacks an image) is
tests/test_registry_path.py; this pins the rule down case by case.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup.pulls import Registry, split_ref

UNREACHABLE = ('Get "https://registry-1.docker.io/v2/": dial tcp: lookup '
               "registry-1.docker.io: no such host")


class FakeApi:
    """An engine whose pulls stream the scripted chunks; a pull that ends without an
    error chunk makes the image present."""

    def __init__(self, scripts: dict[str, list[dict[str, Any]]], present: set[str]) -> None:
        self.scripts = scripts
        self.present = present
        self.pulled: list[str] = []

    def inspect_image(self, ref: str) -> dict[str, Any]:
        if ref not in self.present:
            raise docker.errors.ImageNotFound(ref)
        return {"Id": f"sha256:{ref}"}

    def pull(self, name: str, tag: str, stream: bool, decode: bool) -> Iterator[dict[str, Any]]:
        ref = f"{name}:{tag}"
        self.pulled.append(ref)
        chunks = self.scripts[ref]
        yield from chunks
        if not any("error" in c for c in chunks):
            self.present.add(ref)


class FakeClient:
    def __init__(self, scripts: dict[str, list[dict[str, Any]]],
                 present: set[str] | None = None) -> None:
        self.api = FakeApi(scripts, present or set())


def error(message: str) -> dict[str, Any]:
    return {"error": message, "errorDetail": {"message": message}}


PROGRESS = [{"status": "Pulling from library/x", "id": "tag"},
            {"status": "Downloading", "id": "abc", "progressDetail": {"current": 1}}]


def test_no_registry_at_all_is_the_offline_path_and_is_asked_once() -> None:
    cli = FakeClient({"python:3.11-slim": [error(UNREACHABLE)], "redis:7": [error(UNREACHABLE)]})
    said: list[str] = []
    registry = Registry(cli, said.append)
    assert registry.present_or_pulled("python:3.11-slim") is None
    assert registry.present_or_pulled("redis:7") is None
    assert cli.api.pulled == ["python:3.11-slim"]  # the second image is not even tried
    assert any("no registry answers" in line for line in said)


def test_an_image_that_is_present_is_not_pulled() -> None:
    cli = FakeClient({}, present={"redis:7"})
    assert Registry(cli, print).present_or_pulled("redis:7") == "sha256:redis:7"
    assert cli.api.pulled == []


def test_a_pull_that_fails_after_progress_is_an_error_not_the_offline_path() -> None:
    cli = FakeClient({"python:3.11-slim": [*PROGRESS, error(UNREACHABLE)]})
    with pytest.raises(UsageError, match=r"^pulling python:3.11-slim failed part way: "
                       r"the registry answered, then: .*no such host"):
        Registry(cli, print).present_or_pulled("python:3.11-slim")


def test_once_a_registry_answered_a_missing_image_is_an_error() -> None:
    cli = FakeClient({"python:3.11-slim": PROGRESS, "redis:7": [error(UNREACHABLE)]})
    registry = Registry(cli, print)
    assert registry.present_or_pulled("python:3.11-slim") == "sha256:python:3.11-slim"
    with pytest.raises(UsageError, match=r"^cannot pull redis:7, though the registry gave "
                       r"python:3.11-slim: .*run `kurtosis-tui setup` again\.$"):
        registry.present_or_pulled("redis:7")


def test_a_transport_error_before_any_progress_is_the_offline_path() -> None:
    class Broken(FakeApi):
        def pull(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            raise docker.errors.APIError("500 Server Error: connection refused")

    cli = FakeClient({})
    cli.api = Broken({}, set())
    assert Registry(cli, print).present_or_pulled("busybox:latest") is None


@pytest.mark.parametrize(("ref", "expected"), [
    ("redis:7", ("redis", "7")),
    ("busybox", ("busybox", "latest")),
    ("localhost:5000/library/busybox", ("localhost:5000/library/busybox", "latest")),
    ("localhost:5000/python:3.11-slim", ("localhost:5000/python", "3.11-slim")),
])
def test_split_ref(ref: str, expected: tuple[str, str]) -> None:
    assert split_ref(ref) == expected
