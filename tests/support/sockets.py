"""Sockets for tests that stand in for an engine, or in front of one (no tests here)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable


def serve(server: socket.socket, handle: Callable[[socket.socket], None],
          name: str = "test-server") -> None:
    """Accept connections on a listening ``server`` in a daemon thread, each handed to
    ``handle`` in a thread of its own, until the server is closed."""

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True, name=name).start()


def splice(a: socket.socket, b: socket.socket) -> None:
    """Forward bytes both ways between two connected sockets, each way in a daemon thread;
    when either side ends, both are shut down (as a proxy's client would see it)."""
    for src, dst in ((a, b), (b, a)):
        threading.Thread(target=_pump, args=(src, dst), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
