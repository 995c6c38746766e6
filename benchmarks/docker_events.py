"""Docker's own word on when containers died, to split a gap in the engine's events.

Between the controller's last ``service_removed`` and the engine's
``controller_exited`` lie the controller's last work, its process exit, and the
initializer noticing (its wait and log stream ending). Docker's ``die`` event
for the controller container falls in between and splits the two.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import docker

from kurtosis_tui import protocol


class ContainerDeaths:
    """Records ``die`` times of the containers of one test, by (role, attempt); a context."""

    def __init__(self, test: str) -> None:
        self.test = test
        self.deaths: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()
        self._client = docker.from_env(timeout=120)
        self._stream: Any = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ContainerDeaths:
        self._stream = self._client.events(decode=True, filters={
            "type": "container", "event": "die",
            "label": f"{protocol.LABEL_TEST}={self.test}"})
        self._thread = threading.Thread(target=self._read, daemon=True, name="bench-events")
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        with contextlib.suppress(Exception):
            self._stream.close()  # ends the blocking read (the SDK's stream has no timeout)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._client.close()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream ends when closed
            for event in self._stream:
                labels = (event.get("Actor") or {}).get("Attributes") or {}
                role = labels.get(protocol.LABEL_ROLE, "")
                try:
                    attempt = int(labels.get(protocol.LABEL_ATTEMPT, "0"))
                except ValueError:
                    continue
                with self._lock:
                    self.deaths.setdefault((role, attempt), event["timeNano"] / 1e9)

    def died(self, role: str, attempt: int) -> float | None:
        """When the first container of ``role`` of that attempt died (None: not seen)."""
        with self._lock:
            return self.deaths.get((role, attempt))
