"""Runs of an earlier boot of this machine are dead: their owner cannot have outlived it.

Only a boot this machine recorded counts (``~/.cache/kurtosis-tui/boots``): a boot
id alone cannot tell this machine from another of the same name sharing the engine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.robust import labelled, make_objects, new_run_id

from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine import cleanup, owner
from kurtosis_tui.engine.owner import Verdict

pytest_plugins = ("support.robust",)  # its fixtures

EARLIER = "0f0f0f0f-1111-2222-3333-444444444444"  # a boot id this machine "had" before


@pytest.fixture
def boots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The boots record in a cache of the test's own, holding ``EARLIER`` for this host."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    owner.record_boot.cache_clear()
    record = tmp_path / "kurtosis-tui" / owner.BOOTS_FILE
    record.parent.mkdir(parents=True)
    record.write_text(f"{socket.gethostname()} {EARLIER}\nother-host {owner.boot_id()}\n")
    yield record
    owner.record_boot.cache_clear()


def _token(host: str | None = None, boot: str = EARLIER, pid_ns: str | None = None) -> str:
    """A token of this very process (alive, if it were of this boot) with fields forged."""
    host_, _, pid_ns_, pid, start = owner.owner_token().split(":")
    return f"{host or host_}:{boot}:{pid_ns or pid_ns_}:{pid}:{start}"


# ------------------------------------------------------------------ the rule


def test_an_earlier_recorded_boot_of_this_host_is_dead(boots: Path) -> None:
    assert owner.judge(_token()) is Verdict.DEAD
    assert not owner.owner_alive(_token())
    # whatever its PID namespace: every namespace of that boot is gone too
    assert owner.judge(_token(pid_ns="4026531836")) is Verdict.DEAD


def test_a_boot_this_machine_never_recorded_cannot_be_judged(boots: Path) -> None:
    """Another machine of the same name on a shared engine: its run may well be alive."""
    unknown = _token(boot="00000000-0000-0000-0000-000000000000")
    assert owner.judge(unknown) is Verdict.OTHER_BOOT
    assert owner.owner_alive(unknown)


def test_another_host_stays_unjudged_even_with_a_recorded_boot(boots: Path) -> None:
    # EARLIER is this host's; the other host's own record line names our boot id
    assert owner.judge(_token(host="other-host")) is Verdict.OTHER_HOST
    assert owner.judge(_token(host="other-host", boot=owner.boot_id())) is Verdict.OTHER_HOST
    assert owner.owner_alive(_token(host="other-host"))


def test_without_our_own_boot_id_no_boot_is_known_to_be_earlier(
    boots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that cannot read its boot id cannot tell the recorded boots from its own."""
    monkeypatch.setattr(owner, "boot_id", lambda: "?")
    assert owner.judge(_token()) is Verdict.OTHER_BOOT


def test_this_boot_is_still_judged_by_its_process(boots: Path) -> None:
    assert owner.judge(owner.owner_token()) is Verdict.ALIVE
    assert owner.judge(_token(boot=owner.boot_id(), pid_ns="1")) is Verdict.OTHER_PID_NAMESPACE


def test_a_token_records_this_boot_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    owner.record_boot.cache_clear()
    try:
        record = tmp_path / "kurtosis-tui" / owner.BOOTS_FILE
        old = [f"{socket.gethostname()} boot-{i}\n" for i in range(owner.BOOTS_KEPT)]
        record.parent.mkdir(parents=True)
        record.write_text("".join(old) + "garbage line with four fields\n")
        owner.owner_token()
        owner.record_boot.cache_clear()
        owner.owner_token()  # a second process of the same boot adds nothing
        lines = record.read_text().splitlines()
        assert len(lines) == owner.BOOTS_KEPT  # the oldest went
        assert lines[-1] == f"{socket.gethostname()} {owner.boot_id()}"
        assert lines[0] == f"{socket.gethostname()} boot-1"
        kept = {f"boot-{i}" for i in range(1, owner.BOOTS_KEPT)}
        assert owner.recorded_boots() == kept | {owner.boot_id()}
    finally:
        owner.record_boot.cache_clear()


def test_an_unwritable_cache_costs_only_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    owner.record_boot.cache_clear()
    try:
        assert owner.owner_alive(owner.owner_token())
        assert owner.recorded_boots() == set()
        assert owner.judge(_token()) is Verdict.OTHER_BOOT  # no record: cannot tell
    finally:
        owner.record_boot.cache_clear()


# ------------------------------------------------------------- real Docker


def _clean(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kurtosis_tui", "clean"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


@pytest.mark.docker
def test_the_sweep_removes_an_earlier_boots_run_and_clean_names_the_rest(
    docker_backend: DockerBackend, run_ids: list[str], boots: Path, cleans_everything: None
) -> None:
    """As after a reboot: the start-up sweep removes the earlier boot's run; a live run,
    another host's and an unrecorded boot's stay, and ``clean`` says why for each."""
    earlier, live, foreign, unknown = (new_run_id() for _ in range(4))
    run_ids += [earlier, live, foreign, unknown]
    make_objects(docker_backend, earlier, owner=_token(), containers=1)
    make_objects(docker_backend, live, owner=owner.owner_token(), containers=1)
    make_objects(docker_backend, foreign, owner=_token(host="other-host"), containers=1)
    make_objects(docker_backend, unknown, owner=_token(boot="0" * 8), containers=1)

    swept = cleanup.sweep(docker_backend).cleaned

    assert earlier in swept
    assert not labelled(docker_backend, earlier)
    for run in (live, foreign, unknown):
        assert run not in swept
        assert len(labelled(docker_backend, run)) == 3

    done = _clean({"XDG_CACHE_HOME": str(boots.parent.parent)})
    assert done.returncode == 0, done.stderr
    host = socket.gethostname()
    assert f"left alone: run {live} is still running (pid {os.getpid()})" in done.stdout
    assert f"left alone: run {foreign} belongs to host other-host: clean it there" in done.stdout
    assert (f"left alone: run {unknown} belongs to another machine named {host}, or to a boot "
            "of this one that it has no record of") in done.stdout
    for run in (live, foreign, unknown):
        assert len(labelled(docker_backend, run)) == 3
        cleanup.remove_run(docker_backend, run)
