"""Owners, kept records and sweeps: only dead runs' objects go, in a safe order."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.robust import (
    OTHER_LABEL,
    dead_owner_token,
    labelled,
    make_objects,
    new_run_id,
)

from kurtosis_tui import protocol
from kurtosis_tui.backend import LabelledObject
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup, owner
from kurtosis_tui.errors import BackendError, NotFound

pytest_plugins = ("support.robust",)  # its fixtures

# ------------------------------------------------------------------ owners


def test_owner_token_names_this_host_boot_namespace_and_process() -> None:
    host, boot, pid_ns, pid, start = owner.owner_token().split(":")
    assert host == socket.gethostname()
    assert boot == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    assert pid_ns.isdigit() and pid_ns in os.readlink("/proc/self/ns/pid")
    assert int(pid) == os.getpid() and start.isdigit()
    assert owner.owner_alive(owner.owner_token())


def _with(token: str, **fields: str) -> str:
    names = ("host", "boot", "pid_ns", "pid", "start")
    values = dict(zip(names, token.split(":"), strict=True))
    return ":".join({**values, **fields}[n] for n in names)


def test_a_dead_pid_in_another_pid_namespace_or_boot_is_not_ours_to_judge() -> None:
    dead = dead_owner_token()
    assert not owner.owner_alive(dead)
    # the same hostname, but another container (PID namespace) or machine/boot
    assert owner.owner_alive(_with(dead, pid_ns="1"))
    assert owner.owner_alive(_with(dead, boot="00000000-0000-0000-0000-000000000000"))


def test_an_unreadable_proc_entry_of_a_live_pid_counts_as_alive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """hidepid=2 hides other users' /proc/<pid> (ENOENT); hidepid=1 refuses it (EACCES)."""
    live = subprocess.Popen(["sleep", "30"])
    try:
        token, dead = owner.owner_token(live.pid), dead_owner_token()
        for error in (FileNotFoundError, PermissionError):
            def hidden(pid: int, error: type[OSError] = error) -> str:
                raise error(f"/proc/{pid}/stat")

            monkeypatch.setattr(owner, "_read_stat", hidden)
            assert owner.owner_alive(token)
            assert not owner.owner_alive(dead)  # kill(pid, 0) still tells a dead pid
    finally:
        live.kill()
        live.wait()


def test_tokens_of_the_older_form_are_still_understood() -> None:
    _, _, _, pid, start = owner.owner_token().split(":")
    assert owner.owner_alive(f"{socket.gethostname()}:{pid}:{start}")
    _, _, _, dead_pid, dead_start = dead_owner_token().split(":")
    assert not owner.owner_alive(f"{socket.gethostname()}:{dead_pid}:{dead_start}")


def test_a_dead_owner_is_dead() -> None:
    assert not owner.owner_alive(dead_owner_token())


def test_a_killed_but_unreaped_owner_is_dead() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    token = owner.owner_token(proc.pid)
    assert owner.owner_alive(token)
    proc.kill()
    # a zombie until waited for: its /proc entry is still there
    deadline = time.monotonic() + 10
    while owner.owner_alive(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not owner.owner_alive(token)
    proc.wait()


def test_a_recycled_pid_is_not_the_owner() -> None:
    token = owner.owner_token()
    assert not owner.owner_alive(_with(token, start=str(int(token.split(":")[4]) + 1)))


def test_another_host_and_garbage_count_as_alive() -> None:
    assert owner.owner_alive("some-other-host:1:1")
    assert owner.owner_alive("nonsense")


# -------------------------------------------------------------- kept records


def test_kept_records_are_objects_in_the_engine() -> None:
    """A kept record is a labelled marker volume: every sweeper of the engine sees it,
    and no cache clean-up can lose it."""

    def obj(test: str, attempt: str) -> LabelledObject:
        labels = {protocol.LABEL_TEST: test, protocol.LABEL_ATTEMPT: attempt}
        return LabelledObject("container", "id", "n", labels)

    fake = FakeBackend([])
    assert cleanup.kept_entries(fake.objects) == set()
    cleanup.mark_kept(fake, "r1", "A", 2, owner="h:1:1")  # type: ignore[arg-type]
    (marker,) = fake.objects
    assert marker.kind == "volume" and marker.name.endswith("_kept")
    assert marker.labels[protocol.LABEL_RUN] == "r1"
    entries = cleanup.kept_entries(fake.objects)
    assert cleanup.is_kept(obj("A", "2"), entries)
    assert cleanup.is_kept(marker, entries)  # the record keeps itself
    assert not cleanup.is_kept(obj("A", "1"), entries)
    assert not cleanup.is_kept(obj("B", "2"), entries)
    cleanup.mark_kept(fake, "r1")  # type: ignore[arg-type]
    assert cleanup.is_kept(obj("B", "2"), cleanup.kept_entries(fake.objects))


# -------------------------------------------------- removal with a fake backend


class FakeBackend:
    """Labelled objects in memory; records the order of removals."""

    def __init__(self, objects: list[LabelledObject]) -> None:
        self.objects = list(objects)
        self.removed: list[tuple[str, str]] = []

    def find_labelled(self, label: str, value: str | None = None) -> list[LabelledObject]:
        return [
            o
            for o in self.objects
            if label in o.labels and (value is None or o.labels[label] == value)
        ]

    def _remove(self, kind: str, key: str) -> None:
        match = [o for o in self.objects if o.kind == kind and key in (o.id, o.name)]
        if not match:
            return
        # a network is in use while a container of its test attempt exists
        mine = {k: match[0].labels.get(k, "") for k in (protocol.LABEL_RUN, protocol.LABEL_TEST)}
        attached = [
            o
            for o in self.objects
            if o.kind == "container" and all(o.labels.get(k) == v for k, v in mine.items())
        ]
        if kind == "network" and attached:
            raise BackendError(f"network {key} has active endpoints")
        self.objects.remove(match[0])
        self.removed.append((kind, key))

    def remove_container(self, name: str) -> None:
        self._remove("container", name)

    def remove_volume(self, name: str) -> None:
        self._remove("volume", name)

    def remove_network(self, name: str) -> None:
        self._remove("network", name)

    def mark_kept(self, name: str, *, labels: dict[str, str]) -> None:
        self.objects.append(LabelledObject("volume", name, name, dict(labels)))


def _run(
    run_id: str, owner: str | None, test: str = "T", containers: int = 3
) -> list[LabelledObject]:
    labels = {protocol.LABEL_RUN: run_id, protocol.LABEL_TEST: test, protocol.LABEL_ATTEMPT: "1"}
    owned = dict(labels, **({protocol.LABEL_OWNER: owner} if owner else {}))
    objs = [LabelledObject("network", f"{run_id}{test}n", f"kt-{run_id}-{test}-net", owned)]
    objs.append(
        LabelledObject("volume", f"kt-{run_id}-{test}-vol", f"kt-{run_id}-{test}-vol", owned)
    )
    objs += [
        LabelledObject("container", f"{run_id}{test}c{i}", f"kt-{run_id}-{test}-c{i}", labels)
        for i in range(containers)
    ]
    return objs


def test_remove_run_goes_containers_volumes_networks() -> None:
    fake = FakeBackend(_run("r1", None) + _run("r2", None))
    removed = cleanup.remove_run(fake, "r1")  # type: ignore[arg-type]
    assert removed.counts == {"container": 3, "volume": 1, "network": 1} and not removed.errors
    kinds = [k for k, _ in fake.removed]
    assert kinds == ["container"] * 3 + ["volume", "network"]
    assert {o.labels[protocol.LABEL_RUN] for o in fake.objects} == {"r2"}
    assert cleanup.remove_run(fake, "r1").counts == {}  # type: ignore[arg-type]


def test_sweep_removes_only_dead_runs() -> None:
    dead = dead_owner_token()
    fake = FakeBackend(
        _run("dead", dead)
        + _run("live", owner.owner_token())
        + _run("remote", "elsewhere:1:1")
        + _run("ownerless", None)
        + _run("kept", dead, test="A")
        + _run("kept", dead, test="B")
    )
    cleanup.mark_kept(fake, "kept", "A", 1, owner=dead)  # type: ignore[arg-type]
    swept = cleanup.sweep(fake).cleaned  # type: ignore[arg-type]
    assert sorted(swept) == ["dead", "kept"]
    left = {(o.labels[protocol.LABEL_RUN], o.labels[protocol.LABEL_TEST]) for o in fake.objects}
    assert left == {("live", "T"), ("remote", "T"), ("ownerless", "T"), ("kept", "A")}
    assert len([o for o in fake.objects if o.labels[protocol.LABEL_RUN] == "kept"]) == 6
    cleanup.sweep(fake, include_kept=True)  # type: ignore[arg-type]  # kurtosis-tui clean
    assert not [o for o in fake.objects if o.labels[protocol.LABEL_RUN] == "kept"]


def test_removal_errors_are_reported_not_raised() -> None:
    class Stubborn(FakeBackend):
        def remove_volume(self, name: str) -> None:
            raise NotFound(f"volume {name} is in use")

    fake = Stubborn(_run("r1", None, containers=1))
    removed = cleanup.remove_run(fake, "r1")  # type: ignore[arg-type]
    assert removed.counts == {"container": 1, "network": 1}
    assert removed.errors == ["volume kt-r1-T-vol is in use"]


# ------------------------------------------------------------- real Docker


@pytest.mark.docker
def test_sweep_on_docker_spares_live_and_unlabelled(
    docker_backend: DockerBackend, run_ids: list[str], unlabelled_network: str
) -> None:
    dead_run, live_run = new_run_id(), new_run_id()
    run_ids += [dead_run, live_run]
    make_objects(docker_backend, dead_run, owner=dead_owner_token(), containers=2)
    make_objects(docker_backend, live_run, owner=owner.owner_token(), containers=1)

    swept = cleanup.sweep(docker_backend).cleaned

    # Any run's start-up sweep removes a dead run: another one's (make test's other
    # pytest process, another worktree) may have got there first, so what is checked is
    # that it is gone and the live one is not (test_sweep_removes_only_dead_runs says
    # which sweep removes what).
    assert live_run not in swept
    assert not labelled(docker_backend, dead_run)
    assert len(labelled(docker_backend, live_run)) == 3
    others = docker_backend.find_labelled(OTHER_LABEL)
    assert unlabelled_network in [o.name for o in others]
    cleanup.remove_run(docker_backend, live_run)
