"""A running container's stdin, held open through Docker's attach endpoint.

Why: a controller prepared ahead waits for its test's settings. Written as a
file into its container (``put_archive``), they cost 40-60 ms on this machine's
engine: Docker mounts the container's volumes for each archive it extracts. An
attach made while the set waits costs nothing when the test is chosen: the
settings are one ``send`` on a socket already open. The attach is closed after
the send (or when the set is removed); a controller whose input ends before a
line came knows its initializer is gone.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import docker

from kurtosis_tui.errors import BackendError


class AttachedInput:
    """``base.Input`` over a hijacked attach connection (stdin only, no output)."""

    def __init__(self, client: docker.DockerClient, container: str) -> None:
        """Attach now (SDK errors pass through: the backend's seam words them)."""
        self._lock = threading.Lock()
        self._client = client
        self._container = container
        try:
            wrapped: Any = client.api.attach_socket(
                container, params={"stdin": 1, "stdout": 0, "stderr": 0, "stream": 1})
            sock = getattr(wrapped, "_sock", wrapped)
            if not isinstance(sock, socket.socket):
                raise BackendError(f"cannot open the input of {container}: no socket")
        except BaseException:
            client.close()
            raise
        self._sock: socket.socket | None = sock

    def send(self, data: bytes) -> None:
        with self._lock:
            if self._sock is None:
                raise BackendError(f"the input of {self._container} is closed")
            try:
                self._sock.sendall(data)
            except OSError as exc:
                raise BackendError(f"cannot write to the input of {self._container}: "
                                   f"{exc}") from exc

    def close(self) -> None:
        with self._lock:
            sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
            with contextlib.suppress(Exception):
                self._client.close()
