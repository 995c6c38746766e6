"""The examples' service images: the official ones where a registry answers, else built here.

``kurtosis-tui/busybox:local`` is the official ``busybox`` or, offline, the
host's statically linked busybox in a scratch image; ``kurtosis-tui/redis:local``
is the official ``redis:7`` or, offline, Debian's redis on the mmdebstrap base.
The examples name only the local tags, so they run the same on either path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import LOCAL_BASE, ToolInstaller, ensure_local_base, static_busybox
from kurtosis_tui.setup.image_labels import (
    LABEL_BASE,
    LABEL_BASE_ID,
    LABEL_IMAGE,
    LABEL_INPUTS,
    decide,
    inputs_digest,
)
from kurtosis_tui.setup.images import (
    ImageStatus,
    base_id_of,
    build_lock,
    dockerfiles,
    origin,
    path_of,
    read_file,
)
from kurtosis_tui.setup.pulls import Registry

BUSYBOX_IMAGE = "kurtosis-tui/busybox:local"
REDIS_IMAGE = "kurtosis-tui/redis:local"
OFFICIAL_BUSYBOX = "busybox:latest"
OFFICIAL_REDIS = "redis:7"
Progress = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def _busybox_inputs(binary: Path) -> list[tuple[str, bytes]]:
    return [("Dockerfile", read_file(dockerfiles("busybox") / "Dockerfile")),
            ("busybox", binary.read_bytes())]


def _redis_inputs() -> list[tuple[str, bytes]]:
    folder = dockerfiles("redis")
    return [(name, read_file(folder / name)) for name in ("Dockerfile", "redis-server")]


def example_status(cli: docker.DockerClient, ref: str) -> tuple[ImageStatus, dict[str, Any] | None]:
    """Whether an example image is present and built from today's inputs, and its path."""
    doc = dockerio.inspect(cli, ref)
    if doc is None:
        return ImageStatus(ref, "missing", "not built yet"), None
    labels = dockerio.labels_of(doc)
    if LABEL_INPUTS not in labels:  # an official image, tagged under our name
        return ImageStatus(ref, "ok", f"present; {origin(doc)}", path_of(doc)), doc
    if ref == BUSYBOX_IMAGE:
        binary = static_busybox()
        if binary is None:  # cannot check against the host's binary: keep what is there
            return ImageStatus(ref, "ok", f"present; {origin(doc)}", path_of(doc)), doc
        inputs = _busybox_inputs(binary)
    else:
        inputs = _redis_inputs()
    state = decide(labels, inputs_digest(inputs, {"base-id": base_id_of(cli, labels)}))
    detail = f"up to date; {origin(doc)}" if state == "ok" else "its inputs changed"
    return ImageStatus(ref, state, detail, path_of(doc)), doc


def _build_busybox(
    cli: docker.DockerClient, progress: Progress, install: ToolInstaller | None
) -> str:
    binary = static_busybox(install)
    if binary is None:
        raise UsageError(
            f"cannot make {BUSYBOX_IMAGE}: {OFFICIAL_BUSYBOX} cannot be pulled and this "
            "host has no statically linked busybox to build it from. Install one (`sudo "
            "apt-get install busybox-static`), then run `kurtosis-tui setup`."
        )
    inputs = _busybox_inputs(binary)
    labels = {LABEL_IMAGE: "busybox", LABEL_INPUTS: inputs_digest(inputs, {"base-id": ""})}
    context = dockerio.tar_context(dict(inputs), executable=("busybox",))
    return dockerio.build(cli, context, BUSYBOX_IMAGE, labels=labels, progress=progress)


def _build_redis(
    cli: docker.DockerClient, progress: Progress, install: ToolInstaller | None
) -> str:
    base_id = ensure_local_base(cli, progress, install)
    inputs = _redis_inputs()
    labels = {
        LABEL_IMAGE: "redis",
        LABEL_INPUTS: inputs_digest(inputs, {"base-id": base_id}),
        LABEL_BASE: LOCAL_BASE,
        LABEL_BASE_ID: base_id,
    }
    return dockerio.build(
        cli, dockerio.tar_context(dict(inputs), executable=("redis-server",)), REDIS_IMAGE,
        labels=labels, progress=progress, buildargs={"BASE_IMAGE": LOCAL_BASE},
    )


#: Each example image: the official image it is where a registry answers, and how it
#: is built offline where none does.
_SOURCES = {
    BUSYBOX_IMAGE: (OFFICIAL_BUSYBOX, _build_busybox),
    REDIS_IMAGE: (OFFICIAL_REDIS, _build_redis),
}
EXAMPLE_IMAGES = tuple(_SOURCES)


def ensure_example_images(
    progress: Progress | None = None, install: ToolInstaller | None = None,
    registry: Registry | None = None,
) -> list[str]:
    """The examples' service images, each pulled or built when missing or stale."""
    with contextlib.closing(dockerio.client()) as cli:
        pulls = registry or Registry(cli, progress or _noop)
        for ref in _SOURCES:
            _ensure_example(cli, ref, pulls, install)
    return list(_SOURCES)


def _ensure_example(
    cli: docker.DockerClient, ref: str, registry: Registry, install: ToolInstaller | None,
) -> None:
    status, old = example_status(cli, ref)
    if status.state == "ok":
        return
    with build_lock():
        status, old = example_status(cli, ref)  # another process may have built it meanwhile
        if status.state == "ok":
            return
        registry.progress(f"{ref}: {status.detail}")
        official, build = _SOURCES[ref]
        new_id = registry.present_or_pulled(official)
        if new_id:
            dockerio.tag(cli, new_id, ref)
        else:
            new_id = build(cli, registry.progress, install)
        dockerio.remove_superseded(cli, str(old["Id"]) if old else None, new_id)
        registry.progress(f"{ref}: ready ({origin(dockerio.inspect(cli, ref))})")
