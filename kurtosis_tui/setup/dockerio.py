"""The Docker calls that building images needs and the run-time Backend does not.

Building, importing and tagging images are set-up work, outside the Backend
seam that tests run through; they go through the Docker SDK here (never the
CLI). Every failure becomes a ``UsageError`` whose message says what to do.
"""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Callable, Mapping
from typing import Any

import docker
import docker.errors
import requests.exceptions

from kurtosis_tui.backend.docker_errors import engine_hint
from kurtosis_tui.errors import UsageError

Progress = Callable[[str], None]

#: Seconds a build or an import may take (a base image import moves ~200 MB).
BUILD_TIMEOUT = 900
#: Build output lines that tell a user nothing (layer ids, intermediate containers).
_NOISE = ("--->", "Removing intermediate container")
_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)


def client(timeout: int = BUILD_TIMEOUT) -> docker.DockerClient:
    """A client for the engine that DOCKER_HOST (or the default socket) names."""
    try:
        return docker.from_env(timeout=timeout)
    except _ERRORS as exc:
        raise UsageError(engine_hint()) from exc


def inspect(cli: docker.DockerClient, ref: str) -> dict[str, Any] | None:
    """The image's inspect document, or None when it is not present."""
    try:
        return dict(cli.api.inspect_image(ref))
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.NotFound:
        return None
    except _ERRORS as exc:
        raise UsageError(f"cannot inspect image {ref}: {exc}. {engine_hint()}") from exc


def labels_of(doc: Mapping[str, Any] | None) -> dict[str, str]:
    if not doc:
        return {}
    return dict((doc.get("Config") or {}).get("Labels") or {})


def tag(cli: docker.DockerClient, source: str, ref: str) -> None:
    repo, _, name_tag = ref.rpartition(":")
    try:
        cli.api.tag(source, repo, name_tag)
    except _ERRORS as exc:
        raise UsageError(f"cannot tag {source} as {ref}: {exc}") from exc


def tar_context(files: Mapping[str, bytes], executable: tuple[str, ...] = ()) -> io.BytesIO:
    """A build context in memory; fixed times and owners so equal inputs give equal layers."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in sorted(files):
            data = files[name]
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name in executable else 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def build(
    cli: docker.DockerClient,
    context: io.BytesIO,
    ref: str,
    *,
    labels: Mapping[str, str],
    progress: Progress,
    buildargs: Mapping[str, str] | None = None,
) -> str:
    """Build ``ref`` from an in-memory tar context, streaming the output; its image id."""
    try:
        stream = cli.api.build(
            fileobj=context, custom_context=True, tag=ref, labels=dict(labels),
            buildargs=dict(buildargs or {}), rm=True, forcerm=True, pull=False, decode=True,
        )
        for chunk in stream:
            if "error" in chunk:
                detail = (chunk.get("errorDetail") or {}).get("message") or chunk["error"]
                raise UsageError(f"building {ref} failed: {str(detail).strip()}")
            text = str(chunk.get("stream") or chunk.get("status") or "").rstrip()
            for line in text.splitlines():
                if line.strip() and not line.lstrip().startswith(_NOISE):
                    progress(line)
    except _ERRORS as exc:
        raise UsageError(f"building {ref} failed: {exc}") from exc
    doc = inspect(cli, ref)
    if not doc:
        raise UsageError(f"building {ref} produced no image")
    return str(doc["Id"])


def remove_superseded(cli: docker.DockerClient, old_id: str | None, new_id: str) -> None:
    """Drop the image a rebuild replaced, unless something still uses it."""
    if not old_id or old_id == new_id:
        return
    with contextlib.suppress(*_ERRORS):  # still tagged elsewhere, or in use: leave it
        cli.api.remove_image(old_id)


def images(cli: docker.DockerClient, labels: list[str]) -> list[dict[str, Any]]:
    """The images carrying every one of ``labels`` (``key=value``); none on an error."""
    try:
        return [dict(doc) for doc in cli.api.images(filters={"label": labels})]
    except _ERRORS:
        return []


def remove_quietly(cli: docker.DockerClient, ref: str) -> None:
    """Untag or remove ``ref``; left alone when a container uses it (or on any error)."""
    with contextlib.suppress(*_ERRORS):
        cli.api.remove_image(ref)


def prune_untagged(cli: docker.DockerClient, label: str) -> None:
    """Remove untagged images carrying ``label``: earlier builds that were in use when
    they were replaced (each source edit makes one)."""
    with contextlib.suppress(*_ERRORS):
        for image_id in cli.api.images(quiet=True, filters={"dangling": True, "label": label}):
            with contextlib.suppress(*_ERRORS):
                cli.api.remove_image(image_id)
