"""The seam between kurtosis-tui and a container engine (see ``base``)."""

from kurtosis_tui.backend.base import Backend, EventStream, Stream
from kurtosis_tui.backend.types import (
    BackendError,
    ContainerSpec,
    ContainerState,
    EngineEvent,
    EngineUnavailable,
    ExecOutput,
    ImageNotFound,
    LabelledObject,
    Mount,
    NetworkInfo,
    NotFound,
)

__all__ = [
    "Backend",
    "BackendError",
    "ContainerSpec",
    "ContainerState",
    "EngineEvent",
    "EngineUnavailable",
    "EventStream",
    "ExecOutput",
    "ImageNotFound",
    "LabelledObject",
    "Mount",
    "NetworkInfo",
    "NotFound",
    "Stream",
]
