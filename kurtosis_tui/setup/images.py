"""The controller image and the examples' images: built here, rebuilt only when stale.

Why a content hash: the engine calls ``ensure_controller_image()`` before every
run, and the controller in the image must be the package on the host. A hash
of everything that goes into the image (the package's files, pyproject, the
Dockerfile, the pinned wheels, the base image's id) is stored in an image
label; the check is one hash of the sources and two image inspects, so an
up-to-date image costs a few milliseconds and a changed source file always
gets a rebuild (one small layer: the dependencies' layer stays cached).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import docker

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import LOCAL_BASE, ToolInstaller, ensure_local_base
from kurtosis_tui.setup.image_labels import (
    LABEL_BASE,
    LABEL_BASE_ID,
    LABEL_IMAGE,
    LABEL_INPUTS,
    LABEL_SOURCE,
    State,
    inputs_digest,
)
from kurtosis_tui.setup.pulls import Registry
from kurtosis_tui.setup.wheels import (
    build_package_wheel,
    cache_dir,
    dependency_wheels,
    package_root,
    pinned_deps,
    read_package,
)

#: The controller image's repository; its tag is the content hash of what went into
#: it, so two checkouts or installs on one host never run each other's controller.
CONTROLLER_REPO = "kurtosis-tui/controller"

OFFICIAL_PYTHON = "python:3.11-slim"
#: Build the controller FROM this image instead (any Python >= 3.10 with venv).
ENV_BASE = "KURTOSIS_TUI_BASE_IMAGE"

ImagePath = Literal["registry", "offline", "present", ""]


@dataclass(frozen=True)
class ImageStatus:
    ref: str
    state: State
    detail: str
    #: The path it took (``path_of``); the controller's is its base's.
    path: ImagePath = ""


def _noop(_: str) -> None:
    pass


@contextmanager
def build_lock() -> Iterator[None]:
    """One builder at a time on this host (two runs starting together build once)."""
    with open(cache_dir() / "images.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def dockerfiles(name: str) -> Path:
    """The folder of an image's Dockerfile and files, inside the installed package (the
    wheel carries them, so a pip install builds its images anywhere)."""
    return Path(__file__).resolve().parent / "dockerfiles" / name


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{path} is missing: this installation of kurtosis-tui is incomplete; "
            "reinstall it (`pip install --force-reinstall kurtosis-tui`)"
        ) from exc


def base_id_of(cli: docker.DockerClient, labels: Mapping[str, str]) -> str:
    """The id of the base an image names; the recorded one when the base is gone."""
    ref = labels.get(LABEL_BASE, "")
    doc = dockerio.inspect(cli, ref) if ref else None
    return str(doc["Id"]) if doc else labels.get(LABEL_BASE_ID, "")


def path_of(doc: Mapping[str, Any] | None) -> ImagePath:
    """Which path an image took: ``registry`` (pulled), ``offline`` (built here without
    one), ``present`` (put there some other way) or ``""`` (absent)."""
    if not doc:
        return ""
    labels = dockerio.labels_of(doc)
    if labels.get(LABEL_IMAGE) or LOCAL_BASE in (doc.get("RepoTags") or []):
        base = labels.get(LABEL_BASE, "")
        return "offline" if not base or base == LOCAL_BASE else "present"
    return "registry" if doc.get("RepoDigests") else "present"


def origin(doc: Mapping[str, Any] | None) -> str:
    """``path_of`` in words, for ``doctor`` and set-up's progress."""
    path = path_of(doc)
    if doc is None or not path:
        return "absent"
    if path == "registry":
        return f"pulled from a registry ({doc['RepoDigests'][0]})"
    base = dockerio.labels_of(doc).get(LABEL_BASE, "")
    if path == "offline":
        if base:
            return f"built offline FROM {base}"
        if dockerio.labels_of(doc).get(LABEL_IMAGE) == "busybox":
            return "built offline from the host's static busybox"
        return "made offline with mmdebstrap"
    return f"built here FROM {base}" if base else "present (not pulled, not built here)"


# ------------------------------------------------------------------ controller


def _controller_facts(base_ref: str, base_id: str) -> dict[str, str]:
    return {"base": base_ref, "base-id": base_id, "wheels": ",".join(pinned_deps())}


def controller_digest(base_ref: str, base_id: str, package: list[tuple[str, bytes]]) -> str:
    """The content hash a controller image built today FROM this base would carry."""
    # The package's files include the Dockerfile (setup/dockerfiles/controller/).
    return inputs_digest(package, _controller_facts(base_ref, base_id))


def controller_ref(digest: str) -> str:
    """The tag of the controller image built from inputs with this content hash."""
    return f"{CONTROLLER_REPO}:{digest[:16]}"


def _present_base(cli: docker.DockerClient) -> tuple[str, str] | None:
    """The base a build would use today, when it is already here (no pulls, no builds)."""
    wanted = os.environ.get(ENV_BASE)
    for ref in (wanted,) if wanted else (OFFICIAL_PYTHON, LOCAL_BASE):
        doc = dockerio.inspect(cli, ref)
        if doc:
            return ref, str(doc["Id"])
    return None


def controller_status(cli: docker.DockerClient) -> tuple[ImageStatus, dict[str, Any] | None]:
    """Whether the controller image of the package on this host is built (no building)."""
    base = _present_base(cli)
    if base is None:
        return ImageStatus(CONTROLLER_REPO, "missing", "its base image is not built yet"), None
    ref = controller_ref(controller_digest(*base, read_package()))
    doc = dockerio.inspect(cli, ref)
    if doc is None:
        return ImageStatus(ref, "missing", "not built for these sources yet"), None
    base_doc = dockerio.inspect(cli, base[0])
    return ImageStatus(ref, "ok", f"up to date; built here FROM {base[0]} "
                       f"({origin(base_doc)})", path_of(base_doc)), doc


def _controller_base(
    cli: docker.DockerClient, registry: Registry, install: ToolInstaller | None
) -> tuple[str, str]:
    """The base to build FROM and its id: the user's, the official slim one, or ours."""
    wanted = os.environ.get(ENV_BASE)
    if wanted:
        found = registry.present_or_pulled(wanted)
        if not found:
            raise UsageError(f"{ENV_BASE}={wanted}: that image is neither present nor pullable")
        return wanted, found
    for ref in (OFFICIAL_PYTHON, LOCAL_BASE):  # present ones first: no pull attempts
        doc = dockerio.inspect(cli, ref)
        if doc:
            return ref, str(doc["Id"])
    found = registry.present_or_pulled(OFFICIAL_PYTHON)
    if found:
        return OFFICIAL_PYTHON, found
    return LOCAL_BASE, ensure_local_base(cli, registry.progress, install)


def ensure_controller(
    cli: docker.DockerClient, progress: Callable[[str], None], install: ToolInstaller | None,
    registry: Registry | None = None,
) -> str:
    status, _ = controller_status(cli)
    if status.state == "ok":
        return status.ref
    with build_lock():
        base_ref, base_id = _controller_base(cli, registry or Registry(cli, progress), install)
        package = read_package()
        digest = controller_digest(base_ref, base_id, package)
        ref = controller_ref(digest)
        if dockerio.inspect(cli, ref):  # another process built it meanwhile
            return ref
        progress(f"{CONTROLLER_REPO}: {status.detail}; building")
        files = {"Dockerfile": read_file(dockerfiles("controller") / "Dockerfile")}
        for wheel in dependency_wheels():
            files[f"wheels/{wheel.name}"] = wheel.read_bytes()
        with tempfile.TemporaryDirectory(prefix="kt-wheel-") as tmp:
            own = build_package_wheel(Path(tmp), package)
            files[f"package/{own.name}"] = own.read_bytes()
        labels = {
            LABEL_IMAGE: "controller",
            LABEL_INPUTS: digest,
            LABEL_BASE: base_ref,
            LABEL_BASE_ID: base_id,
            LABEL_SOURCE: str(package_root()),
        }
        dockerio.build(
            cli, dockerio.tar_context(files), ref, labels=labels,
            progress=progress, buildargs={"BASE_IMAGE": base_ref},
        )
        _remove_superseded_controllers(cli, keep=ref)
        dockerio.prune_untagged(cli, f"{LABEL_IMAGE}=controller")
    progress(f"{ref}: built (FROM {base_ref})")
    return ref


def _remove_superseded_controllers(cli: docker.DockerClient, keep: str) -> None:
    """Earlier controller images of these same sources; the engine refuses to remove
    one that a container (a run still going) uses, and that one stays."""
    source = f"{LABEL_SOURCE}={package_root()}"
    for doc in dockerio.images(cli, labels=[f"{LABEL_IMAGE}=controller", source]):
        for ref in doc.get("RepoTags") or []:
            if ref != keep:
                dockerio.remove_quietly(cli, ref)


def ensure_controller_image(progress: Callable[[str], None] | None = None) -> str:
    """The controller image's ref, built first when it is missing or stale.

    Fast when up to date (one source hash, two image inspects). Raises
    ``UsageError`` with what to do when it cannot be built.
    """
    cli = dockerio.client()
    try:
        return ensure_controller(cli, progress or _noop, None)
    finally:
        cli.close()
