"""Streams that outlive silence and broken connections, on the real engine.

A log or event stream has no socket timeout (a test may be quiet for minutes)
and, when its connection breaks while the container runs, follows again from
where it stopped: no line or event lost, none seen twice.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
from typing import Any

import pytest
import requests.exceptions
from support.robust import wait_until

from kurtosis_tui import protocol
from kurtosis_tui.backend import ContainerSpec, docker_follow
from kurtosis_tui.backend import docker_backend as db
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.backend.docker_wire import frames
from kurtosis_tui.backend.streams import LogStream, _unix_time
from tests.conftest import Images

pytestmark = pytest.mark.docker


# ------------------------------------------------------------------ unit: the resume rule


def _stamped(stamp: str, text: str) -> bytes:
    data = f"{stamp} {text}".encode()
    return struct.pack(">BxxxL", 1, len(data)) + data


def _chunked(*payloads: bytes, last: bool) -> bytes:
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in payloads)
    return body + (b"0\r\n\r\n" if last else b"")


class _Reader:
    def __init__(self, body: bytes, fail: bool) -> None:
        self.body, self.fail = body, fail

    def read1(self, size: int = -1) -> bytes:
        if self.body:
            piece, self.body = self.body[:5], self.body[5:]
            return piece
        if self.fail:
            raise requests.exceptions.ConnectionError("connection reset by the engine")
        return b""


class _Response:
    def __init__(self, body: bytes, *, fail: bool = False) -> None:
        fp = type("Fp", (), {"fp": _Reader(body, fail)})()
        self.raw = type("Raw", (), {"_fp": fp})()
        self.headers = {"Transfer-Encoding": "chunked"}

    def close(self) -> None:
        pass


_SERIAL = itertools.count()
T1, T2, T3 = (f"2026-12-01T12:00:0{i}.000000001Z" for i in (1, 2, 3))


def test_a_broken_log_goes_on_from_its_last_timestamp_with_no_frame_twice() -> None:
    # Two frames share T2 (a long line's pieces do); the break comes after the first.
    first = _chunked(_stamped(T1, "one\n"), _stamped(T2, "two-a"), last=False)
    asked: list[tuple[str | None, bool]] = []

    def reopen(since: str | None, broken: bool) -> tuple[Any, Any]:
        asked.append((since, broken))
        # the engine's `since` is inclusive: it replays the frame at T2 already had
        again = _chunked(_stamped(T2, "two-a"), _stamped(T2, "two-b\n"),
                         _stamped(T3, "three\n"), last=True)
        return _Response(again), None

    stream = LogStream(_Response(first, fail=True), None, multiplexed=True, timestamps=True,
                       reopen=lambda since, broken: reopen(since, broken) if not asked else None)
    assert list(stream) == ["one", "two-atwo-b", "three"]
    assert asked == [("1796126402.000000001", True)]
    assert stream.reconnects == 1


def test_a_log_the_engine_ended_is_over_when_reopen_says_so() -> None:
    body = _chunked(_stamped(T1, "only\n"), last=True)
    stream = LogStream(_Response(body), None, multiplexed=True, timestamps=True,
                       reopen=lambda since, broken: None)
    assert list(stream) == ["only"]
    assert stream.reconnects == 0


def test_a_log_the_engine_ended_early_is_caught_up_from_its_last_frame() -> None:
    # Docker 20.10's follower can end at a container's exit before its last lines:
    # the stream reads once more from its last timestamp, and then it is over.
    followed = _chunked(_stamped(T1, "one\n"), _stamped(T2, "two-a"), last=True)
    asked: list[tuple[str | None, bool]] = []

    def reopen(since: str | None, broken: bool) -> tuple[Any, Any] | None:
        asked.append((since, broken))
        if len(asked) > 1:
            return None
        read = _stamped(T2, "two-a") + _stamped(T2, "two-b\n") + _stamped(T3, "three\n")
        return read, None  # a body already read (``docker_follow.catch_up``)

    stream = LogStream(_Response(followed), None, multiplexed=True, timestamps=True,
                       reopen=reopen)
    assert list(stream) == ["one", "two-atwo-b", "three"]
    assert asked == [("1796126402.000000001", False), ("1796126403.000000001", False)]
    assert stream.reconnects == 0  # nothing broke


# ------------------------------------------------------------------ real engine


def _run(backend: DockerBackend, images: Images, run_id: str, script: str) -> str:
    spec = ContainerSpec(
        name=f"kt-{run_id}-resume-{next(_SERIAL)}",
        image=images.busybox,
        labels={protocol.LABEL_RUN: run_id},
        command=["sh", "-c", script],
    )
    return backend.run_container(spec).id


def _sever(stream: Any) -> None:
    """Cut the stream's connection under it, as an engine hiccup would."""
    raw = stream._raw
    response = getattr(raw, "_response", raw)  # the SDK's event stream wraps its response
    sock = response.raw._fp.fp.raw._sock
    sock.shutdown(socket.SHUT_RDWR)


def _collect(stream: Any, into: list[Any]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.extend(stream), daemon=True)
    thread.start()
    return thread


def test_a_log_silent_longer_than_the_socket_timeout_keeps_streaming(
    backend: DockerBackend, images: Images, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    container = _run(backend, images, run_id, "echo before; sleep 8; echo after")
    monkeypatch.setattr(db, "API_TIMEOUT", 4)  # every new client's timeout; the log has none
    quiet = DockerBackend()
    try:
        lines: list[str] = []
        stream = quiet.follow_logs(container)
        _collect(stream, lines).join(timeout=30)
        assert lines == ["before", "after"]
        assert stream.reconnects == 0  # no timeout ended the first connection
    finally:
        backend.remove_container(container)


def test_a_severed_log_is_followed_again_with_no_line_lost_or_twice(
    backend: DockerBackend, images: Images, run_id: str
) -> None:
    script = "i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); sleep 0.01; done"
    container = _run(backend, images, run_id, script)
    try:
        stream = backend.follow_logs(container)
        lines: list[str] = []
        reader = _collect(stream, lines)
        wait_until(lambda: len(lines) > 20, 20, what="the first lines")
        _sever(stream)
        wait_until(lambda: stream.reconnects >= 1, 20, what="a new connection")
        reader.join(timeout=60)
        assert not reader.is_alive()
        assert lines == [f"line-{i}" for i in range(400)]
    finally:
        backend.remove_container(container)


def test_a_catch_up_read_holds_every_frame_from_its_timestamp_on(
    backend: DockerBackend, images: Images, run_id: str
) -> None:
    """Past the first tail it asks for (256), the tail doubles until it reaches back."""
    container = _run(backend, images, run_id, "seq 0 999 | sed 's/^/line-/'")
    try:
        assert backend.wait_container(container, timeout=60) == 0
        client = backend._client()
        stamped = client.api.logs(container, timestamps=True).decode().splitlines()
        stamp, _, text = stamped[100].partition(" ")
        assert text == "line-100"
        since = _unix_time(stamp.encode())
        read, _ = frames(docker_follow.catch_up(client, container, since))
        texts = [frame.partition(b" ")[2].decode().strip() for frame in read]
        first = texts.index("line-100")  # lines before it at the same instant may come too
        assert texts[first:] == [f"line-{i}" for i in range(100, 1000)]
        assert len(frames(docker_follow.catch_up(client, container, None))[0]) == 1000
    finally:
        backend.remove_container(container)


def test_a_severed_event_stream_goes_on_with_no_event_lost_or_twice(
    backend: DockerBackend, images: Images, run_id: str
) -> None:
    stream = backend.events(protocol.LABEL_RUN, run_id)
    events: list[Any] = []
    reader = _collect(stream, events)
    try:
        first = _run(backend, images, run_id, "true")
        wait_until(lambda: any(e.action == "die" for e in events), 20, what="the first die")
        _sever(stream)
        wait_until(lambda: stream.reconnects >= 1, 20, what="a new connection")
        second = _run(backend, images, run_id, "true")
        wait_until(lambda: any(e.action == "die" and e.container_id == second for e in events),
                   20, what="the second die")
        starts = [e.container_id for e in events if e.action == "start"]
        assert starts == [first, second]
        backend.remove_container(first)
        backend.remove_container(second)
    finally:
        stream.close()
        reader.join(timeout=10)
    assert not reader.is_alive()
