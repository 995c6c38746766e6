"""Our images (controller, fault helpers, examples): built here, rebuilt only when stale.

Why a content hash: the engine calls ``ensure_controller_image()`` before every
run, and the controller in the image must be the package on the host. A hash
of everything that goes into the image (the package's files, pyproject, the
Dockerfile, the pinned wheels, the base image's id) is stored in an image
label; the check is one hash of the sources and two image inspects, so an
up-to-date image costs a few milliseconds and a changed source file always
gets a rebuild (one small layer: the dependencies' layer stays cached).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from kurtosis_tui.errors import UsageError
from kurtosis_tui.protocol import FAULT_IMAGE
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import LOCAL_BASE, ToolInstaller, ensure_local_base, static_busybox
from kurtosis_tui.setup.fault_image import ensure_fault_image, fault_status
from kurtosis_tui.setup.image_labels import (
    LABEL_BASE,
    LABEL_BASE_ID,
    LABEL_IMAGE,
    LABEL_INPUTS,
    LABEL_SOURCE,
    State,
    decide,
    inputs_digest,
)
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

BUSYBOX_IMAGE = "kurtosis-tui/busybox:local"
REDIS_IMAGE = "kurtosis-tui/redis:local"
OFFICIAL_PYTHON = "python:3.11-slim"
OFFICIAL_BUSYBOX = "busybox:latest"
OFFICIAL_REDIS = "redis:7"
#: Build the controller FROM this image instead (any Python >= 3.10 with venv).
ENV_BASE = "KURTOSIS_TUI_BASE_IMAGE"

@dataclass(frozen=True)
class ImageStatus:
    ref: str
    state: State
    detail: str


def _noop(_: str) -> None:
    pass


def _id_of(doc: Mapping[str, Any] | None) -> str | None:
    return str(doc["Id"]) if doc else None


@contextmanager
def build_lock() -> Iterator[None]:
    """One builder at a time on this host (two runs starting together build once)."""
    with open(cache_dir() / "images.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{path} is missing: kurtosis-tui builds its images from a source checkout "
            "(`pip install -e .` of the repository)"
        ) from exc


def _base_id(cli: docker.DockerClient, labels: Mapping[str, str]) -> str:
    """The id of the base an image names; the recorded one when the base is gone."""
    ref = labels.get(LABEL_BASE, "")
    doc = dockerio.inspect(cli, ref) if ref else None
    return str(doc["Id"]) if doc else labels.get(LABEL_BASE_ID, "")


# ------------------------------------------------------------------ controller


def _controller_inputs(package: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    root = package_root()
    names = ("pyproject.toml", "controller_image/Dockerfile")
    extras = [(name, _read(root / name)) for name in names]
    return [*package, *extras]


def _controller_facts(base_ref: str, base_id: str) -> dict[str, str]:
    return {"base": base_ref, "base-id": base_id, "wheels": ",".join(pinned_deps())}


def controller_digest(base_ref: str, base_id: str, package: list[tuple[str, bytes]]) -> str:
    """The content hash a controller image built today FROM this base would carry."""
    return inputs_digest(_controller_inputs(package), _controller_facts(base_ref, base_id))


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
    return ImageStatus(ref, "ok", f"up to date (FROM {base[0]})"), doc


def _controller_base(
    cli: docker.DockerClient, progress: Callable[[str], None], install: ToolInstaller | None
) -> tuple[str, str]:
    """The base to build FROM and its id: the user's, the official slim one, or ours."""
    wanted = os.environ.get(ENV_BASE)
    if wanted:
        found = dockerio.present_or_pulled(cli, wanted, progress)
        if not found:
            raise UsageError(f"{ENV_BASE}={wanted}: that image is neither present nor pullable")
        return wanted, found
    for ref in (OFFICIAL_PYTHON, LOCAL_BASE):  # present ones first: no pull attempts
        doc = dockerio.inspect(cli, ref)
        if doc:
            return ref, str(doc["Id"])
    found = dockerio.present_or_pulled(cli, OFFICIAL_PYTHON, progress)
    if found:
        return OFFICIAL_PYTHON, found
    return LOCAL_BASE, ensure_local_base(cli, progress, install)


def _ensure_controller(
    cli: docker.DockerClient, progress: Callable[[str], None], install: ToolInstaller | None
) -> str:
    status, _ = controller_status(cli)
    if status.state == "ok":
        return status.ref
    with build_lock():
        base_ref, base_id = _controller_base(cli, progress, install)
        package = read_package()
        digest = controller_digest(base_ref, base_id, package)
        ref = controller_ref(digest)
        if dockerio.inspect(cli, ref):  # another process built it meanwhile
            return ref
        progress(f"{CONTROLLER_REPO}: {status.detail}; building")
        files = {"Dockerfile": _read(package_root() / "controller_image" / "Dockerfile")}
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
        return _ensure_controller(cli, progress or _noop, None)
    finally:
        cli.close()


# -------------------------------------------------------------------- examples


def _example_dir(name: str) -> Path:
    return package_root() / "examples" / "images" / name


def _busybox_inputs(binary: Path) -> list[tuple[str, bytes]]:
    return [("Dockerfile", _read(_example_dir("busybox") / "Dockerfile")),
            ("busybox", binary.read_bytes())]


def _redis_inputs() -> list[tuple[str, bytes]]:
    folder = _example_dir("redis")
    return [(name, _read(folder / name)) for name in ("Dockerfile", "redis-server")]


def example_status(cli: docker.DockerClient, ref: str) -> tuple[ImageStatus, dict[str, Any] | None]:
    """Whether an example image is present and built from today's inputs."""
    doc = dockerio.inspect(cli, ref)
    if doc is None:
        return ImageStatus(ref, "missing", "not built yet"), None
    labels = dockerio.labels_of(doc)
    if LABEL_INPUTS not in labels:
        return ImageStatus(ref, "ok", "present (an official image)"), doc
    if ref == BUSYBOX_IMAGE:
        binary = static_busybox()
        if binary is None:  # cannot check against the host's binary: keep what is there
            return ImageStatus(ref, "ok", "present"), doc
        inputs = _busybox_inputs(binary)
    else:
        inputs = _redis_inputs()
    state = decide(labels, inputs_digest(inputs, {"base-id": _base_id(cli, labels)}))
    return ImageStatus(ref, state, "up to date" if state == "ok" else "its inputs changed"), doc


def _build_busybox(
    cli: docker.DockerClient, progress: Callable[[str], None], install: ToolInstaller | None
) -> str:
    binary = static_busybox(install)
    if binary is None:
        official = dockerio.present_or_pulled(cli, OFFICIAL_BUSYBOX, progress)
        if not official:
            raise UsageError(
                f"cannot make {BUSYBOX_IMAGE}: no statically linked busybox on this host and "
                f"{OFFICIAL_BUSYBOX} cannot be pulled. Install it (`sudo apt-get install "
                "busybox-static`), then run `kurtosis-tui images --examples`."
            )
        dockerio.tag(cli, official, BUSYBOX_IMAGE)
        return official
    inputs = _busybox_inputs(binary)
    labels = {LABEL_IMAGE: "busybox", LABEL_INPUTS: inputs_digest(inputs, {"base-id": ""})}
    context = dockerio.tar_context(dict(inputs), executable=("busybox",))
    return dockerio.build(cli, context, BUSYBOX_IMAGE, labels=labels, progress=progress)


def _build_redis(
    cli: docker.DockerClient, progress: Callable[[str], None], install: ToolInstaller | None
) -> str:
    official = dockerio.present_or_pulled(cli, OFFICIAL_REDIS, progress)
    if official:
        dockerio.tag(cli, official, REDIS_IMAGE)
        return official
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


_BUILDERS = {BUSYBOX_IMAGE: _build_busybox, REDIS_IMAGE: _build_redis}


def ensure_example_images(
    progress: Callable[[str], None] | None = None, install: ToolInstaller | None = None
) -> list[str]:
    """The examples' service images, each built when missing or stale."""
    say = progress or _noop
    with contextlib.closing(dockerio.client()) as cli:
        for ref, builder in _BUILDERS.items():
            _ensure_example(cli, ref, builder, say, install)
    return list(_BUILDERS)


def _ensure_example(
    cli: docker.DockerClient, ref: str, builder: Callable[..., str],
    say: Callable[[str], None], install: ToolInstaller | None,
) -> None:
    status, old = example_status(cli, ref)
    if status.state == "ok":
        return
    with build_lock():
        status, old = example_status(cli, ref)  # another process may have built it meanwhile
        if status.state == "ok":
            return
        say(f"{ref}: {status.detail}; building")
        new_id = builder(cli, say, install)
        dockerio.remove_superseded(cli, _id_of(old), new_id)
        say(f"{ref}: ready")


def ensure_images(
    *, examples: bool, progress: Callable[[str], None] | None = None,
    install: ToolInstaller | None = None,
) -> list[str]:
    """The controller image, the fault helpers' image and, with ``examples``, the
    examples' images."""
    with contextlib.closing(dockerio.client()) as cli:
        refs = [_ensure_controller(cli, progress or _noop, install)]
        with build_lock():
            refs.append(ensure_fault_image(cli, progress or _noop, install))
    if examples:
        refs += ensure_example_images(progress, install)
    return refs


def image_statuses(cli: docker.DockerClient) -> list[ImageStatus]:
    """Every image the tool and the examples use, without building anything."""
    statuses = [controller_status(cli)[0]]
    state, detail, _ = fault_status(cli)
    statuses.append(ImageStatus(FAULT_IMAGE, state, detail))
    statuses += [example_status(cli, ref)[0] for ref in _BUILDERS]
    return statuses
