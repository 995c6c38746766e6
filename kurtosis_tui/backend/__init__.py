"""The seam between kurtosis-tui and a container engine (see ``base``).

Its errors live in ``kurtosis_tui.errors`` (``BackendError`` and kin).
"""

from kurtosis_tui.backend.base import Backend, EventStream, Input, Stream
from kurtosis_tui.backend.types import (
    ContainerEvent,
    ContainerSpec,
    ContainerState,
    ExecOutput,
    LabelledObject,
    Mount,
    NetworkInfo,
)

__all__ = [
    "Backend",
    "ContainerEvent",
    "ContainerSpec",
    "ContainerState",
    "EventStream",
    "ExecOutput",
    "Input",
    "LabelledObject",
    "Mount",
    "NetworkInfo",
    "Stream",
]
