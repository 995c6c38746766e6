"""Events to JSON and back, so a stored run can be replayed through the views.

The controller's wire format (``events.to_wire``) covers only the events a
controller sends; the history keeps every event but log lines (those are stored
per source, capped), so it needs the run-level ones too: ``RunStarted`` with
its tests, ``TestFinished`` with its result. Unknown kinds and fields (a store
written by another version) are skipped, never fatal.
"""

from __future__ import annotations

import dataclasses
import json
import zlib
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

from kurtosis_tui import events as ev


@dataclass(frozen=True)
class Said(ev.Event):
    """A line plain output printed that no event carries (a controller image build)."""

    kind: ClassVar[str] = "said"
    text: str = ""


def _kinds() -> dict[str, type[ev.Event]]:
    found: dict[str, type[ev.Event]] = {}
    pending: list[type[ev.Event]] = [ev.Event]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.kind not in ("event",) and dataclasses.is_dataclass(cls):
            found[cls.kind] = cls
    return found


KINDS = _kinds()


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def encode(event: ev.Event) -> dict[str, Any]:
    """The event as a JSON-ready dict, with its ``kind``."""
    data = _plain(event)
    data["kind"] = event.kind
    return data


def _info(data: dict[str, Any]) -> ev.TestInfo:
    return ev.TestInfo(**_known(ev.TestInfo, data))


def _result(data: dict[str, Any]) -> ev.TestResult:
    fields = _known(ev.TestResult, data)
    fields["outcome"] = ev.Outcome(fields["outcome"])
    return ev.TestResult(**fields)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def decode(data: dict[str, Any]) -> ev.Event | None:
    """The event again; None for a kind or shape this version does not know."""
    try:
        cls = KINDS[data["kind"]]
        fields = _known(cls, data)
        if "tests" in fields:
            fields["tests"] = tuple(_info(t) for t in fields["tests"])
        if "results" in fields:
            fields["results"] = tuple(_result(r) for r in fields["results"])
        if fields.get("result") is not None:
            fields["result"] = _result(fields["result"])
        if "phase" in fields:
            fields["phase"] = ev.Phase(fields["phase"])
        for name in ("lines", "changed_files", "rerun"):
            if name in fields:
                fields[name] = tuple(fields[name])
        return cls(**fields)
    except (KeyError, TypeError, ValueError):
        return None


def pack(items: list[Any]) -> bytes:
    """JSON, compressed (zlib level 6: ~10x on logs, ~50 MB/s on this machine)."""
    return zlib.compress(json.dumps(items, separators=(",", ":")).encode("utf-8"), 6)


def unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob).decode("utf-8"))
