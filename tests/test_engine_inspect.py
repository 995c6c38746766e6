"""The engine's side of issue 15 on real Docker: a shell's command line, CPU and memory."""

from __future__ import annotations

import secrets
import statistics
import subprocess
import time

import pytest

from kurtosis_tui import protocol
from kurtosis_tui.backend import ContainerSpec
from kurtosis_tui.backend.docker_backend import DockerBackend
from kurtosis_tui.engine.inspect import StatsSampler, shell_command
from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup.example_images import BUSYBOX_IMAGE

BUSYBOX = BUSYBOX_IMAGE


def _start(backend: DockerBackend, run_id: str, name: str, script: str) -> str:
    state = backend.run_container(ContainerSpec(
        name=f"kt-{run_id}-{name}", image=BUSYBOX, command=["sh", "-c", script],
        hostname=name, labels={protocol.LABEL_RUN: run_id}))
    return state.id


def _remove_run(backend: DockerBackend, run_id: str) -> None:
    for obj in backend.find_labelled(protocol.LABEL_RUN, run_id):
        backend.remove_container(obj.id)


def test_shell_command_runs_sh_in_the_service_and_says_when_it_cannot() -> None:
    backend, run_id = DockerBackend(), f"insp{secrets.token_hex(3)}"
    try:
        cid = _start(backend, run_id, "web", "exec sleep 600")
        argv = shell_command(backend, cid, "web")
        assert argv[-2:] == [cid, "sh"] and argv[1:3] == ["exec", "-it"]
        # the same command line without a terminal: the shell answers in the service
        out = subprocess.run([a for a in argv if a != "-it"] + ["-c", "hostname"],
                             capture_output=True, text=True, timeout=30, check=True)
        assert out.stdout.strip() == "web"
        backend.kill_container(cid)
        with pytest.raises(UsageError, match="service 'web' is not running"):
            shell_command(backend, cid, "web")
    finally:
        _remove_run(backend, run_id)


def test_the_sampler_reads_cpu_and_memory_of_twenty_services_in_one_thread() -> None:
    backend, run_id = DockerBackend(), f"insp{secrets.token_hex(3)}"
    try:
        ids = [_start(backend, run_id, "busy", "while :; do :; done")]
        ids += [_start(backend, run_id, f"idle{i}", "exec sleep 600") for i in range(19)]
        sampler = StatsSampler(backend.stats, period=2.0)
        cpu0, wall0 = time.process_time(), time.monotonic()
        deadline = time.monotonic() + 60
        usage = sampler.usage(ids)
        rounds: list[float] = []
        while time.monotonic() < deadline and len(usage) < len(ids):
            time.sleep(0.2)  # a view polls; the sampler's thread does the reading
            usage = sampler.usage(ids)
            if sampler.round_seconds and sampler.round_seconds not in rounds:
                rounds.append(sampler.round_seconds)
        cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        sampler.close()
        print(f"the sampler's process: {cpu:.1%} of one core")
        assert len(usage) == 20
        assert usage[ids[0]].cpu_percent > 20  # a busy loop
        assert all(u.memory > 0 for u in usage.values())
        assert max(u.cpu_percent for k, u in usage.items() if k != ids[0]) < 5
        print(f"a round over 20 containers: median {statistics.median(rounds):.3f} s")
        assert statistics.median(rounds) < 2.0  # a round fits the 2 s period
    finally:
        _remove_run(backend, run_id)


def test_cpu_percent_is_from_two_readings_and_a_failing_read_does_not_stop_the_sampler() -> None:
    from kurtosis_tui.backend.types import StatsSample
    from kurtosis_tui.engine.inspect import cpu_percent

    a = StatsSample(cpu_total=1_000, system_total=10_000, online_cpus=2, memory=5, memory_limit=9)
    b = StatsSample(cpu_total=2_000, system_total=20_000, online_cpus=2, memory=6, memory_limit=9)
    assert cpu_percent(a, b) == 20.0  # 1/10 of the host's time, on 2 CPUs: 20 % of one
    readings = {"ok": iter([a, b, b, b, b, b, b, b])}
    calls: list[str] = []

    def read(container: str) -> StatsSample | None:
        calls.append(container)
        if container == "broken":
            raise ValueError("an empty body: it stopped while answering")
        return next(readings["ok"])

    sampler = StatsSampler(read, period=0.05)
    try:
        deadline = time.monotonic() + 10
        usage = sampler.usage(["ok", "broken"])
        while "ok" not in usage and time.monotonic() < deadline:
            time.sleep(0.02)  # polling as a view does
            usage = sampler.usage(["ok", "broken"])
        assert usage["ok"].cpu_percent == 20.0 and usage["ok"].memory == 6
        assert "broken" not in usage and calls.count("broken") >= 2  # still asked each round
    finally:
        sampler.close()


def test_a_new_container_shows_its_use_after_two_readings_not_a_period_later() -> None:
    from kurtosis_tui.backend.types import StatsSample

    def read(container: str) -> StatsSample:
        read.calls += 1  # type: ignore[attr-defined]
        return StatsSample(cpu_total=1_000 * read.calls,  # type: ignore[attr-defined]
                           system_total=10_000 * read.calls,  # type: ignore[attr-defined]
                           online_cpus=1, memory=5, memory_limit=9)

    read.calls = 0  # type: ignore[attr-defined]
    sampler = StatsSampler(read, period=60.0)  # the next round would be a minute away
    try:
        deadline = time.monotonic() + 10
        usage = sampler.usage(["new"])
        while "new" not in usage and time.monotonic() < deadline:
            time.sleep(0.02)  # polling as a view does
            usage = sampler.usage(["new"])
        assert usage["new"].cpu_percent == 10.0
    finally:
        sampler.close()


def test_on_a_swarm_x_says_why_there_is_no_shell_and_no_cpu_is_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kurtosis_tui.backend.swarm_backend import SwarmBackend
    from kurtosis_tui.backend.types import ContainerState
    from kurtosis_tui.errors import BackendError

    swarm = SwarmBackend()  # no request until a call
    monkeypatch.setattr(swarm, "container_state", lambda c: ContainerState(
        id="j1", name=c, status="running", exit_code=None, ip="10.0.0.5"))
    with pytest.raises(BackendError, match="cannot exec in the job kt-x-web"):
        shell_command(swarm, "kt-x-web", "web")
    with pytest.raises(BackendError, match="no shell in the job kt-x-web from here"):
        swarm.terminal_exec_argv("kt-x-web", ["sh"])
    assert swarm.stats("kt-x-web") is None
