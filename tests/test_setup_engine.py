"""What `make setup` does about the Docker engine, with fakes for the machine's probes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from kurtosis_tui.setup import apt
from kurtosis_tui.setup.docker_engine import EXIT_INSTRUCT, Facts, Kind, decide, ensure_engine

ABSENT = Facts(version=None, docker_host="", root=True, debian_like=True, dockerd=None,
               dockerd_running=False)


@dataclass
class FakeHost:
    """A machine whose engine answers after ``answers_after`` probes once started."""

    base: Facts
    answers_after: int | None = 1  # probes after the start; None: never
    install_ok: bool = True
    dies: bool = False
    actions: list[str] = field(default_factory=list)
    clock: float = 0.0
    started: bool = False
    probes: int = 0

    def facts(self) -> Facts:
        return self.base

    def engine_version(self) -> str | None:
        if self.base.version:
            return self.base.version
        if not self.started or self.answers_after is None:
            return None
        self.probes += 1
        return "20.10.24" if self.probes >= self.answers_after else None

    def install(self, packages: Sequence[str]) -> bool:
        self.actions.append("install " + " ".join(packages))
        return self.install_ok

    def start_engine(self) -> Callable[[], int | None]:
        self.actions.append("start")
        self.started = True
        return lambda: 1 if self.dies else None

    def log_tail(self) -> str:
        return "failed to start daemon: iptables not found"

    def monotonic(self) -> float:
        return self.clock

    def sleep(self, seconds: float) -> None:
        self.clock += seconds


def run(host: FakeHost) -> tuple[int, str]:
    said: list[str] = []
    code = ensure_engine(host, said.append, timeout=30)
    return code, "\n".join(said)


def test_an_answering_engine_is_used_and_never_touched() -> None:
    host = FakeHost(replace(ABSENT, version="24.0.7", root=False, debian_like=False))
    code, said = run(host)
    assert code == 0 and host.actions == []
    assert "24.0.7 answers at unix:///var/run/docker.sock" in said


def test_absent_on_debian_as_root_installs_then_starts_and_waits() -> None:
    host = FakeHost(ABSENT, answers_after=5)
    code, said = run(host)
    assert code == 0
    assert host.actions == ["install docker.io apparmor iptables", "start"]
    assert said.endswith("Docker 20.10.24 answers at unix:///var/run/docker.sock")


def test_installed_but_stopped_is_started_without_installing() -> None:
    host = FakeHost(replace(ABSENT, dockerd="/usr/bin/dockerd"))
    code, _ = run(host)
    assert code == 0 and host.actions == ["start"]


def test_a_dockerd_still_starting_is_awaited_not_started_again() -> None:
    host = FakeHost(replace(ABSENT, dockerd="/usr/bin/dockerd", dockerd_running=True))
    host.started = True  # the running dockerd answers on the second probe
    host.answers_after = 2
    code, _ = run(host)
    assert code == 0 and host.actions == []


def test_not_root_gets_instructions_and_exit_2() -> None:
    host = FakeHost(replace(ABSENT, root=False))
    code, said = run(host)
    assert code == EXIT_INSTRUCT and host.actions == []
    assert "sudo apt-get install docker.io" in said and "docker` group" in said


def test_not_root_with_dockerd_installed_is_told_to_start_it() -> None:
    code, said = run(FakeHost(replace(ABSENT, root=False, dockerd="/usr/bin/dockerd")))
    assert code == EXIT_INSTRUCT and "sudo systemctl start docker" in said


def test_not_debian_gets_instructions_and_exit_2() -> None:
    host = FakeHost(replace(ABSENT, debian_like=False))
    code, said = run(host)
    assert code == EXIT_INSTRUCT and host.actions == []
    assert "docs.docker.com/engine/install" in said


def test_a_remote_docker_host_that_does_not_answer_is_not_replaced_by_a_local_one() -> None:
    host = FakeHost(replace(ABSENT, docker_host="tcp://10.0.0.5:2375"))
    code, said = run(host)
    assert code == EXIT_INSTRUCT and host.actions == []
    assert "DOCKER_HOST=tcp://10.0.0.5:2375" in said


def test_a_socket_we_may_not_use_says_join_the_docker_group() -> None:
    plan = decide(replace(ABSENT, root=False, socket_denied=True, dockerd_running=True))
    assert plan.kind is Kind.INSTRUCT and "usermod -aG docker" in plan.message


def test_a_dockerd_that_dies_ends_the_wait_at_once_with_its_log() -> None:
    host = FakeHost(ABSENT, answers_after=None, dies=True)
    code, said = run(host)
    assert code == EXIT_INSTRUCT and host.clock < 1
    assert "iptables not found" in said


def test_an_engine_that_never_answers_gives_up_at_the_deadline() -> None:
    host = FakeHost(replace(ABSENT, dockerd="/usr/bin/dockerd"), answers_after=None)
    code, said = run(host)
    assert code == EXIT_INSTRUCT and 30 <= host.clock < 31
    assert "did not answer within 30 s" in said


def test_a_failed_install_stops_with_instructions() -> None:
    host = FakeHost(ABSENT, install_ok=False)
    code, said = run(host)
    assert code == EXIT_INSTRUCT and host.actions == ["install docker.io apparmor iptables"]
    assert "install a Docker engine by hand" in said


def test_os_release_ids_recognise_debian_and_its_derivatives(tmp_path: Path) -> None:
    ubuntu = tmp_path / "ubuntu"
    ubuntu.write_text('NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n')
    fedora = tmp_path / "fedora"
    fedora.write_text('ID=fedora\nID_LIKE="rhel centos"\n')
    assert apt.is_debian_like(apt.os_ids(ubuntu))
    assert not apt.is_debian_like(apt.os_ids(fedora))
    assert apt.os_ids(tmp_path / "missing") == set()
