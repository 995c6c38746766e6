"""The log reader's framing: Docker's multiplexed frames inside HTTP chunks, cut anywhere;
and closing a stream whose reader waits on a quiet socket (real Docker)."""

from __future__ import annotations

import io
import struct
import threading
import time
from typing import Any

import pytest

from kurtosis_tui import protocol
from kurtosis_tui.backend import ContainerSpec
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.backend.streams import LogStream


class _Reader(io.RawIOBase):
    """Hands out the body in the given pieces, one per read1 (as a socket would)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = list(pieces)

    def read1(self, size: int = -1) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


class _Response:
    def __init__(self, pieces: list[bytes], *, chunked: bool) -> None:
        fp = type("HttpClientResponse", (), {"fp": _Reader(pieces)})()
        self.raw = type("Urllib3Response", (), {"_fp": fp})()
        self.headers = {"Transfer-Encoding": "chunked"} if chunked else {}

    def close(self) -> None:
        pass


class _Client:
    def close(self) -> None:
        pass


def _frame(text: str, stream: int = 1) -> bytes:
    data = text.encode()
    return struct.pack(">BxxxL", stream, len(data)) + data


def _chunked(*payloads: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads) + b"0\r\n\r\n"


def _cut(body: bytes, size: int) -> list[bytes]:
    return [body[i : i + size] for i in range(0, len(body), size)]


def _lines(pieces: list[bytes], *, chunked: bool = True, multiplexed: bool = True) -> list[str]:
    stream = LogStream(_Response(pieces, chunked=chunked), _Client(), multiplexed=multiplexed)  # type: ignore[arg-type]
    return [line for batch in stream.batches() for line in batch]


LINES = [f"line {i} é" for i in range(500)]


@pytest.mark.parametrize("size", [1, 3, 7, 26, 1000, 1 << 16])
def test_lines_survive_any_cut_of_chunks_and_frames(size: int) -> None:
    # one frame per chunk, as Docker sends a busy log; then frames split across chunks
    body = _chunked(*(_frame(line + "\n") for line in LINES))
    assert _lines(_cut(body, size)) == LINES
    joined = b"".join(_frame(line + "\n", stream=2) for line in LINES)
    assert _lines(_cut(_chunked(*_cut(joined, 37)), size)) == LINES


def test_a_partial_last_line_and_crlf() -> None:
    body = _chunked(_frame("one\r\n"), _frame("tw"), _frame("o\nthree"))
    assert _lines(_cut(body, 5)) == ["one", "two", "three"]


def test_tty_logs_have_no_frames_and_unchunked_bodies_pass_through() -> None:
    assert _lines([b"a\nb", b"\nc\n"], chunked=False, multiplexed=False) == ["a", "b", "c"]
    body = b"".join(_frame(f"{i}\n") for i in range(3))
    assert _lines(_cut(body, 4), chunked=False) == ["0", "1", "2"]


def test_lines_iterate_one_by_one_too() -> None:
    pieces: Any = _cut(_chunked(_frame("x\ny\n")), 4)
    stream = LogStream(_Response(pieces, chunked=True), _Client(), multiplexed=True)  # type: ignore[arg-type]
    assert list(stream) == ["x", "y"]


@pytest.mark.docker
def test_closing_a_quiet_log_stream_wakes_its_reader(backend: DockerBackend, images: object,
                                                      run_id: str) -> None:
    """A kept service that writes nothing: close() from another thread must not wait for
    a line (it used to wait for good, and --keep-failed hung the TUI's teardown)."""
    state = backend.run_container(ContainerSpec(
        name=f"kt-{run_id}-quiet", image="kurtosis-tui/busybox:local",
        command=["sh", "-c", "echo ready; exec sleep 600"], labels={protocol.LABEL_RUN: run_id}))
    try:
        stream = backend.follow_logs(state.id)
        got: list[str] = []
        first = threading.Event()

        def read() -> None:
            for batch in stream.batches():
                got.extend(batch)
                first.set()  # from here the reader waits on a socket that stays quiet

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        assert first.wait(30)
        started = time.monotonic()
        closer = threading.Thread(target=stream.close, daemon=True)  # a hang fails, not hangs
        closer.start()
        closer.join(timeout=5)
        took = time.monotonic() - started
        reader.join(timeout=5)
        assert not closer.is_alive() and took < 4.0  # the socket would stay quiet for good
        assert not reader.is_alive() and got == ["ready"]
    finally:
        backend.remove_container(state.id)
