"""The swarm backend's rules that need no swarm: tasks, nodes, placement, the suite's
journey in a job's spec, the node on plain output and JUnit."""

from __future__ import annotations

import base64
import io
import tarfile
from pathlib import Path

import pytest

from kurtosis_tui import protocol
from kurtosis_tui.backend.suite_archive import LIMIT, pack, unpack
from kurtosis_tui.backend.swarm_agent import MARKER, read_report
from kurtosis_tui.backend.swarm_parts import (
    SwarmNode,
    container_status,
    latest,
    node_lost,
    parse_node,
    parse_task,
    pick_node,
    task_failure,
)
from kurtosis_tui.backend.swarm_specs import job_container
from kurtosis_tui.backend.types import ContainerSpec, Mount
from kurtosis_tui.errors import BackendError
from kurtosis_tui.events import Outcome, TestResult
from kurtosis_tui.views.junit import render
from kurtosis_tui.views.plain import result_line


def _node(name: str, state: str = "ready", availability: str = "active") -> SwarmNode:
    return SwarmNode(id=f"id-{name}", name=name, state=state, availability=availability,
                     manager=False, addr="10.0.0.1")


def _task(state: str, *, code: int | None = None, err: str = "", node: str = "n1",
          created: str = "2026-01-01T00:00:00Z") -> dict[str, object]:
    status: dict[str, object] = {"State": state, "Err": err}
    if code is not None:
        status["ContainerStatus"] = {"ContainerID": "c1", "ExitCode": code}
    return {"ID": "t1", "NodeID": node, "Status": status, "CreatedAt": created}


def test_a_node_as_the_manager_reports_it() -> None:
    raw = {"ID": "abc", "Description": {"Hostname": "swarm-2"},
           "Spec": {"Role": "worker", "Availability": "active"},
           "Status": {"State": "ready", "Addr": "10.213.0.3"}}
    node = parse_node(raw)
    assert (node.name, node.ready, node.manager, node.addr) == ("swarm-2", True, False,
                                                                "10.213.0.3")
    assert not parse_node({**raw, "Status": {"State": "down"}}).ready
    assert not parse_node({**raw, "Spec": {"Availability": "drain"}}).ready


def test_task_states_map_to_exit_codes_and_container_states() -> None:
    done = parse_task(_task("complete", code=0))
    assert done.terminal and done.exit_code == 0 and container_status(done) == "exited"
    failed = parse_task(_task("failed", err="task: non-zero exit (3)"))
    assert failed.exit_code == 3
    running = parse_task(_task("running", code=0))
    assert running.exit_code is None and container_status(running) == "running"
    assert container_status(parse_task(_task("pending"))) == "created"
    assert container_status(None) == "removing"


def test_the_newest_task_is_the_one_that_counts() -> None:
    old = _task("failed", code=1, created="2026-01-01T00:00:00Z")
    new = _task("running", created="2026-01-01T00:00:05Z")
    found = latest([new, old])
    assert found is not None and found.state == "running"
    assert latest([]) is None


def test_placement_spreads_over_ready_nodes_only() -> None:
    nodes = [_node("a"), _node("b"), _node("c", state="down"), _node("d", availability="drain")]
    assert pick_node(nodes, {}).name == "a"
    assert pick_node(nodes, {"id-a": 1}).name == "b"
    assert pick_node(nodes, {"id-a": 2, "id-b": 1}).name == "b"
    with pytest.raises(BackendError, match="no node of the swarm is ready"):
        pick_node([_node("c", state="down")], {})


def test_a_lost_node_is_named() -> None:
    assert node_lost(_node("a"), "id-a") is None
    message = node_lost(_node("swarm-2", state="down"), "id-swarm-2")
    assert message is not None and "swarm-2" in message and "left mid-test" in message
    gone = node_lost(None, "0123456789abcdefgh")
    assert gone is not None and "0123456789ab" in gone


def test_a_job_that_never_ran_says_why() -> None:
    missing = parse_task(_task("rejected", err="No such image: ex/img:1"))
    message = task_failure(missing, "swarm-3", "ex/img:1")
    assert message is not None
    assert "swarm-3" in message and "kurtosis-tui cluster load ex/img:1" in message
    assert task_failure(parse_task(_task("failed", code=2)), "n", "i") is None
    assert task_failure(parse_task(_task("running")), "n", "i") is None


def test_the_agents_report_is_read_from_its_log() -> None:
    logs = f"noise\n{MARKER}{{\"containers\": 2, \"volumes\": 1, \"errors\": []}}\n"
    assert read_report(logs) == {"containers": 2, "volumes": 1, "errors": []}
    assert "said nothing" in read_report("Traceback: boom")["errors"][0]


def test_a_suite_travels_packed_and_unpacks_whole(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    (suite / "pkg").mkdir(parents=True)
    (suite / "test_a.py").write_text("A = 1\n")
    (suite / "pkg" / "helper.py").write_text("B = 2\n")
    (suite / "data.txt").write_bytes(b"\x00\x01")
    (suite / "__pycache__").mkdir()
    (suite / "__pycache__" / "x.pyc").write_bytes(b"junk")
    (suite / ".git").mkdir()
    (suite / ".git" / "HEAD").write_text("ref")
    dest = tmp_path / "out"
    unpack(pack(suite), dest)
    got = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert all(p.stat().st_mode & 0o222 == 0 for p in [dest, *dest.rglob("*")])
    assert got == ["data.txt", "pkg/helper.py", "test_a.py"]
    assert (dest / "data.txt").read_bytes() == b"\x00\x01"


def test_a_jobs_container_mounts_what_a_node_has_and_refuses_the_rest(tmp_path: Path) -> None:
    (tmp_path / "tests.py").write_text("pass\n")
    spec = ContainerSpec(
        name="kt-r-T-1_controller", image="ctl", labels={"a": "b"}, env={"X": "1"},
        mounts=(Mount("kt-r-T-1_vol", protocol.VOLUME_MOUNT),
                Mount(protocol.DOCKER_SOCKET, protocol.DOCKER_SOCKET, kind="bind"),
                Mount(str(tmp_path), protocol.SUITE_MOUNT, kind="bind", read_only=True)),
    )
    container = job_container(spec, {"kt-r-T-1_vol": {"role": "volume"}})
    volume, socket = container["Mounts"]
    assert (volume["Type"], volume["Source"], volume["VolumeOptions"]["Labels"]) == (
        "volume", "kt-r-T-1_vol", {"role": "volume"})
    assert (socket["Type"], socket["Source"]) == ("bind", protocol.DOCKER_SOCKET)
    env = dict(item.split("=", 1) for item in container["Env"])
    assert env["X"] == "1" and env[protocol.ENV_SUITE_ARCHIVE]  # the suite, packed
    assert container["CapabilityDrop"] == ["DAC_OVERRIDE"]  # the suite stays read-only
    host = ContainerSpec(name="svc", image="i", labels={}, mounts=(Mount("/etc", "/x", "bind"),))
    with pytest.raises(BackendError, match=r"a host folder \(/etc\) cannot be mounted"):
        job_container(host, {})
    shared = ContainerSpec(name="f", image="i", labels={}, network_mode="container:abc")
    with pytest.raises(BackendError, match="network mode container:abc cannot be had"):
        job_container(shared, {})


def test_a_suite_too_large_for_a_job_is_refused_by_name(tmp_path: Path) -> None:
    import os

    (tmp_path / "big.bin").write_bytes(os.urandom(LIMIT))
    with pytest.raises(BackendError, match=r"more than the \d+ KiB a swarm job can carry"):
        pack(tmp_path)


def test_an_archive_that_escapes_its_folder_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../evil.py")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(BackendError, match="unsafe entry"):
        unpack(base64.b64encode(buffer.getvalue()).decode(), tmp_path / "out")
    assert not (tmp_path / "evil.py").exists()


def test_plain_output_and_junit_name_the_node() -> None:
    on_node = TestResult("HelloHttp", Outcome.PASSED, 1.25, node="swarm-2")
    local = TestResult("HelloHttp", Outcome.PASSED, 1.25)
    assert result_line(on_node) == "HelloHttp: PASSED (1.2 s) [node swarm-2]"
    assert result_line(local) == "HelloHttp: PASSED (1.2 s)"
    xml = render([on_node])
    assert '<property name="node" value="swarm-2" />' in xml
    assert "property" not in render([local])
