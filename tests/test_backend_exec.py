"""An exec's output survives the engine sending it with the upgrade's headers.

docker/docker-py#3332: the SDK's exec_start reads the socket *under* the HTTP
reader, so frames that arrived in the same read as the response headers (a fast
command; an engine behind a TCP proxy, such as a node's published port) were lost:
exit code 0 and no output, ~1 run in 250 on a node engine. A fake engine here sends
headers and frames in one write, every time.
"""

from __future__ import annotations

import json
import socket
import struct
from collections.abc import Iterator

import pytest
from support.sockets import serve

from kurtosis_tui.backend.docker_backend import DockerBackend


def _frame(data: bytes, stream: int = 1) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


def _json(status: str, doc: object) -> bytes:
    body = json.dumps(doc).encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class _FakeEngine:
    """Answers exec create, start (headers and frames in one send) and inspect."""

    def __init__(self, frames: bytes) -> None:
        self.frames = frames
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        serve(self.server, self._handle, "fake-engine")

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    more = conn.recv(65536)
                    if not more:
                        return
                    data += more
                head, _, data = data.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                length = next((int(line.split(":", 1)[1]) for line in lines
                               if line.lower().startswith("content-length:")), 0)
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                path = lines[0].split()[1]
                if path.endswith("/exec") and "/containers/" in path:
                    conn.sendall(_json("201 Created", {"Id": "e1"}))
                elif path.endswith("/exec/e1/start"):
                    conn.sendall(b"HTTP/1.1 101 UPGRADED\r\n"
                                 b"Content-Type: application/vnd.docker.raw-stream\r\n"
                                 b"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n" + self.frames)
                    return  # the exec is over: the engine closes the stream
                elif path.endswith("/exec/e1/json"):
                    conn.sendall(_json("200 OK", {"ExitCode": 0, "Running": False}))
                else:
                    conn.sendall(_json("404 Not Found", {"message": f"no {path}"}))

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def engine_with(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_FakeEngine]]:
    made: list[_FakeEngine] = []

    def make(frames: bytes) -> _FakeEngine:
        engine = _FakeEngine(frames)
        made.append(engine)
        monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{engine.port}")
        return engine

    yield make  # type: ignore[misc]
    for engine in made:
        engine.close()


def test_output_sent_with_the_headers_is_kept(engine_with) -> None:  # type: ignore[no-untyped-def]
    engine_with(_frame(b"hi from the server\n"))
    out = DockerBackend(api_version="1.41").exec("c1", ["wget", "-qO-", "http://server/"])
    assert (out.exit_code, out.output) == (0, "hi from the server\n")


def test_stdout_and_stderr_frames_in_order_across_reads(engine_with) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * 70000  # longer than one read: a frame cut between reads
    engine_with(_frame(b"out\n") + _frame(b"err\n", stream=2) + _frame(big))
    out = DockerBackend(api_version="1.41").exec("c1", ["sh", "-c", "..."])
    assert out.output == "out\nerr\n" + big.decode()
