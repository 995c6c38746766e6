"""The image a node runs: Debian bookworm with docker.io, made offline by mmdebstrap.

Made from Debian's mirror like the base image (no registry needed), tagged by a
hash of what goes into it, and made once per host.
"""

from __future__ import annotations

from collections.abc import Callable

import docker

from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import ToolInstaller, debian_image
from kurtosis_tui.setup.image_labels import LABEL_IMAGE, LABEL_INPUTS, inputs_digest
from kurtosis_tui.setup.images import build_lock

NODE_REPO = "kurtosis-tui/node"
#: What a node's root holds: an engine, its firewall tool, TLS roots (for pulls), and
#: Debian's registry (``docker-registry``) for tests that need a registry of their own.
NODE_PACKAGES = ("docker.io", "iptables", "ca-certificates", "docker-registry")
_IMAGE_CHANGES = (f"LABEL {LABEL_IMAGE}=node", 'CMD ["bash"]')
#: Told a line of what a slow step is doing.
Progress = Callable[[str], None]


def no_progress(_: str) -> None:
    """A ``Progress`` that says nothing."""


def node_image_ref() -> str:
    """The node image's tag: the hash of what goes into it."""
    digest = inputs_digest([], {"packages": ",".join(NODE_PACKAGES),
                                "changes": "\n".join(_IMAGE_CHANGES)})
    return f"{NODE_REPO}:{digest[:16]}"


def ensure_node_image(
    cli: docker.DockerClient, progress: Progress | None = None,
    install: ToolInstaller | None = None,
) -> str:
    """The node image's ref, made with mmdebstrap the first time (~45 s, ~470 MB)."""
    ref = node_image_ref()
    if dockerio.inspect(cli, ref):
        return ref
    with build_lock():
        if dockerio.inspect(cli, ref):  # another process made it meanwhile
            return ref
        digest = ref.rpartition(":")[2]
        debian_image(cli, ref, NODE_PACKAGES, progress or no_progress, install,
                     changes=[*_IMAGE_CHANGES, f"LABEL {LABEL_INPUTS}={digest}"])
        for doc in dockerio.images(cli, [f"{LABEL_IMAGE}=node"]):
            for old in doc.get("RepoTags") or []:
                if old != ref:  # an earlier package list's image; kept while a node uses it
                    dockerio.remove_quietly(cli, old)
    return ref


