"""Pulling the official images, and what a failed pull means: build offline, or stop.

Why: each image has two paths, the official image from a registry (most
machines: Docker Hub, or the mirror the engine is configured with) or one
built here offline. Falling back to the offline build is right only where no
registry answers at all. Once a registry has answered (an image pulled in this
set-up, or a pull that got as far as its layers), a failure is a broken or
incomplete registry: switching paths silently would hide it and mix images of
two origins, so set-up stops with what failed and what to do (exit 2).

What the engine reports is all there is to go on (the engine pulls, not us):
with a mirror configured, a failure there makes the engine try Docker Hub and
report Docker Hub's error; but any progress it streamed before the error means
a registry had answered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import docker.errors
import requests.exceptions

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio

Progress = Callable[[str], None]
_ERRORS = (docker.errors.DockerException, requests.exceptions.RequestException)


def split_ref(ref: str) -> tuple[str, str]:
    """``name[:tag]`` as (name, tag); ``latest`` when no tag (a port is not a tag)."""
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return ref, "latest"
    return name, tag


class Registry:
    """The engine's registry as one set-up sees it: unknown, answering, or absent.

    One per ``kurtosis-tui setup`` (or run): after a pull found no registry, the
    next images go straight to the offline path (no wait per image).
    """

    def __init__(self, cli: docker.DockerClient, progress: Progress) -> None:
        self._cli = cli
        self.progress = progress
        #: The image whose pull showed that a registry answers.
        self.answered: str = ""
        #: Why no registry answers (the first failed pull's error).
        self.absent: str = ""

    def present_or_pulled(self, ref: str) -> str | None:
        """The image id of ``ref``, pulled when absent; None where no registry answers.

        Raises ``UsageError`` when a registry answered but this pull failed.
        """
        doc = dockerio.inspect(self._cli, ref)
        if doc:
            return str(doc["Id"])
        if self.absent:
            return None
        self.progress(f"pulling {ref} ...")
        received, error = self._pull(ref)
        if error:
            if received or self.answered:
                raise UsageError(_broken(ref, error, received, self.answered))
            self.absent = error
            self.progress(f"cannot pull {ref}: {error[:200]}; no registry answers, so the "
                      "images are built here")
            return None
        doc = dockerio.inspect(self._cli, ref)
        if not doc:
            raise UsageError(f"pulling {ref} reported success but the engine has no such image")
        self.answered = self.answered or ref
        self.progress(f"{ref}: pulled")
        return str(doc["Id"])

    def _pull(self, ref: str) -> tuple[bool, str]:
        """(whether the engine reported any progress, its error or "")."""
        name, tag = split_ref(ref)
        received = False
        try:
            for chunk in self._cli.api.pull(name, tag=tag, stream=True, decode=True):
                if "error" in chunk:
                    return received, _message(chunk)
                received = received or bool(chunk.get("status"))
        except _ERRORS as exc:
            return received, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return received, ""


def _message(chunk: dict[str, Any]) -> str:
    detail = (chunk.get("errorDetail") or {}).get("message") or chunk["error"]
    return str(detail).strip()


def _broken(ref: str, error: str, received: bool, answered: str) -> str:
    if received:
        what = f"pulling {ref} failed part way: the registry answered, then: {error}"
    else:
        what = f"cannot pull {ref}, though the registry gave {answered}: {error}"
    return (
        f"{what}. Set-up does not build an image offline once a registry has answered "
        f"(that would hide a broken or incomplete registry): make {ref} pullable (check the "
        "registry, or the engine's registry-mirrors), then run `kurtosis-tui setup` again."
    )
