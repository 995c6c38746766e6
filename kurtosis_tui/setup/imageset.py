"""Every image a machine needs to run the examples: the controller's and the examples'.

One ``Registry`` for the whole set, so the first pull decides the path (a registry,
or offline) for every image, and a registry that answered once is held to it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import docker

from kurtosis_tui.protocol import FAULT_IMAGE
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.base import ToolInstaller
from kurtosis_tui.setup.example_images import EXAMPLE_IMAGES, ensure_example_images, example_status
from kurtosis_tui.setup.fault_image import ensure_fault_image, fault_status
from kurtosis_tui.setup.images import (
    ImageStatus,
    build_lock,
    controller_status,
    ensure_controller,
)
from kurtosis_tui.setup.pulls import Registry


def _noop(_: str) -> None:
    pass


def ensure_images(
    *, examples: bool, progress: Callable[[str], None] | None = None,
    install: ToolInstaller | None = None,
) -> list[str]:
    """The controller image, the fault helpers' image and, with ``examples``, the
    examples' images."""
    say = progress or _noop
    with contextlib.closing(dockerio.client()) as cli:
        registry = Registry(cli, say)
        refs = [ensure_controller(cli, say, install, registry)]
        with build_lock():
            refs.append(ensure_fault_image(cli, say, install))
        if examples:
            refs += ensure_example_images(say, install, registry)
    return refs


def image_statuses(cli: docker.DockerClient) -> list[ImageStatus]:
    """Every image the tool and the examples use, and the path each took; builds nothing.

    The fault helpers' image has no path: it is always made offline (no official
    image has what it needs), whichever way the others came.
    """
    statuses = [controller_status(cli)[0]]
    state, detail, _ = fault_status(cli)
    statuses.append(ImageStatus(FAULT_IMAGE, state, detail))
    statuses += [example_status(cli, ref)[0] for ref in EXAMPLE_IMAGES]
    return statuses
