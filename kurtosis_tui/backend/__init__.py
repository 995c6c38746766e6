"""The seam between kurtosis-tui and a container engine (see ``base``).

Its errors live in ``kurtosis_tui.errors`` (``BackendError`` and kin).
"""

from kurtosis_tui.backend.base import Backend, EventStream, Stream
from kurtosis_tui.backend.types import (
    ContainerSpec,
    ContainerState,
    EngineEvent,
    ExecOutput,
    LabelledObject,
    Mount,
    NetworkInfo,
)

__all__ = [
    "Backend",
    "ContainerSpec",
    "ContainerState",
    "EngineEvent",
    "EventStream",
    "ExecOutput",
    "LabelledObject",
    "Mount",
    "NetworkInfo",
    "Stream",
]
