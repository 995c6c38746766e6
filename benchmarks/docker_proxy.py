"""A counting proxy for the Docker socket: which API calls does a run make?

Point ``DOCKER_HOST=unix://<proxy path>`` at it and it forwards every byte to
the real socket, noting each HTTP request line the client sends (method and
path, ids folded to ``{id}``) and each connection opened (one per client
connection: many connections mean many clients or no keep-alive). Only what the
host process sends is seen: the controller talks to the real socket, mounted.
"""

from __future__ import annotations

import collections
import contextlib
import re
import socket
import struct
import threading
from pathlib import Path

REQUEST = re.compile(rb"(GET|POST|PUT|DELETE|HEAD) (/[^ ?\r\n]*)[^ \r\n]* HTTP/1\.[01]\r\n")
_VERSION = re.compile(r"^/v1\.\d+")
_ID = re.compile(r"/(kt-[^/]+|[0-9a-f]{12,64})(?=/|$)")


def normalise(path: str) -> str:
    """``/v1.41/containers/kt-ab-x-1/json`` -> ``/containers/{id}/json``."""
    return _ID.sub("/{id}", _VERSION.sub("", path))


class CountingProxy:
    """A unix-socket forwarder to ``target`` that counts requests; use as a context."""

    def __init__(self, path: Path, target: str = "/var/run/docker.sock") -> None:
        self.path = path
        self.target = target
        self.requests: collections.Counter[str] = collections.Counter()
        self.connections = 0
        #: connections and requests per client process (its command line, shortened)
        self.per_process: dict[str, collections.Counter[str]] = collections.defaultdict(
            collections.Counter)
        self._lock = threading.Lock()
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._stopped = threading.Event()

    def __enter__(self) -> CountingProxy:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._server.bind(str(self.path))
        self._server.listen(64)
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopped.set()
        self._server.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @property
    def url(self) -> str:
        return f"unix://{self.path}"

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(self.target)
            who = _peer(client)
            with self._lock:
                self.connections += 1
                self.per_process[who]["connections"] += 1
            threading.Thread(target=self._pump, args=(client, upstream, who), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, None),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, who: str | None) -> None:
        """Forward bytes; when ``who`` is set (client to engine), count its requests."""
        tail = b""
        try:
            while data := src.recv(65536):
                if who is not None:
                    chunk, end = tail + data, 0
                    for match in REQUEST.finditer(chunk):
                        key = f"{match.group(1).decode()} {normalise(match.group(2).decode())}"
                        with self._lock:
                            self.requests[key] += 1
                            self.per_process[who]["requests"] += 1
                        end = match.end()
                    tail = chunk[max(end, len(chunk) - 200):]  # a request line cut in two
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


def _peer(conn: socket.socket) -> str:
    """The connecting process's command line (SO_PEERCRED), e.g. ``-m kurtosis_tui run``."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid = struct.unpack("3i", creds)[0]
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv[1:4] if a]
    return " ".join(words)[:60] or "?"
