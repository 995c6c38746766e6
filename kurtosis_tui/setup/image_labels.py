"""How our images say what went into them: labels and a content hash.

Kept apart from ``images`` so every image module (``fault_image`` too) decides
"built from today's inputs?" by the one rule here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Literal

LABEL_IMAGE = "kurtosis-tui.image"  # which of our images: controller | busybox | redis
LABEL_INPUTS = "kurtosis-tui.inputs"  # the content hash of what went into it
LABEL_BASE = "kurtosis-tui.base"  # the base image it was built FROM
LABEL_BASE_ID = "kurtosis-tui.base-id"
LABEL_SOURCE = "kurtosis-tui.source"  # the package folder the controller was built from

State = Literal["ok", "missing", "stale"]


def inputs_digest(files: Iterable[tuple[str, bytes]], facts: Mapping[str, str]) -> str:
    """A hash of named file contents and named facts; order-independent."""
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    for key in sorted(facts):
        digest.update(f"{key}={facts[key]}\0".encode())
    return digest.hexdigest()[:32]


def decide(labels: Mapping[str, str] | None, digest: str, *, adopt_foreign: bool = False) -> State:
    """Whether an image with these labels (None: absent) must be built.

    ``adopt_foreign``: an image we did not build (an official one tagged under
    our name) is taken as it is.
    """
    if labels is None:
        return "missing"
    if LABEL_INPUTS not in labels:
        return "ok" if adopt_foreign else "stale"
    return "ok" if labels[LABEL_INPUTS] == digest else "stale"
