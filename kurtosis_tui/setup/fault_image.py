"""The fault helpers' image: Debian's ``iptables`` and ``iproute2``, built offline.

Why our own: a service image may have no shell and no ``iptables`` (a ``FROM
scratch`` busybox); the controller runs this image next to a service, in its
network namespace with ``NET_ADMIN``, to put faults in force (``api.faults``).
No registry is needed: mmdebstrap makes it from Debian's mirror on the host, like
the local base. Its content label is a hash of the package list, so it is made
again only when that list changes; ``kurtosis-tui images`` and ``make setup`` make it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker

from kurtosis_tui.protocol import FAULT_IMAGE
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import ToolInstaller, debian_image
from kurtosis_tui.setup.image_labels import (
    LABEL_IMAGE,
    LABEL_INPUTS,
    State,
    decide,
    inputs_digest,
)

PACKAGES = ("iptables", "iproute2")


def fault_digest() -> str:
    """The content hash a fault image made today carries."""
    return inputs_digest([], {"packages": ",".join(PACKAGES), "suite": "bookworm"})


def fault_status(cli: docker.DockerClient) -> tuple[State, str, dict[str, Any] | None]:
    """(state, detail, the image's inspect document): ok | missing | stale."""
    doc = dockerio.inspect(cli, FAULT_IMAGE)
    state = decide(dockerio.labels_of(doc) if doc else None, fault_digest())
    detail = {"ok": "up to date (iptables, iproute2)", "missing": "not built yet",
              "stale": "its package list changed"}[state]
    return state, detail, doc


def ensure_fault_image(
    cli: docker.DockerClient, progress: Callable[[str], None],
    install: ToolInstaller | None = None,
) -> str:
    """``FAULT_IMAGE``, made when missing or stale."""
    state, detail, old = fault_status(cli)
    if state == "ok":
        return FAULT_IMAGE
    progress(f"{FAULT_IMAGE}: {detail}; building")
    new_id = debian_image(
        cli, FAULT_IMAGE, PACKAGES, progress, install,
        changes=[f"LABEL {LABEL_IMAGE}=faults", f"LABEL {LABEL_INPUTS}={fault_digest()}",
                 'CMD ["sleep", "infinity"]'],
    )
    dockerio.remove_superseded(cli, str(old["Id"]) if old else None, new_id)
    progress(f"{FAULT_IMAGE}: ready")
    return FAULT_IMAGE
