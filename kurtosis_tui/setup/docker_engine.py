"""A Docker engine that answers: use the running one, else start or install one where allowed.

Why a decision function: what ``kurtosis-tui setup`` may do to a machine depends on
facts (does an engine answer, does DOCKER_HOST name another one, are we root,
is this Debian or Ubuntu, is dockerd installed or already starting). ``decide``
maps those facts to one plan and is unit-tested with fakes; ``ensure_engine``
carries the plan out through a ``Host`` (the real one, or a fake in tests).
An engine that answers is never touched.
"""

from __future__ import annotations

import enum
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kurtosis_tui.setup import apt

DOCKERD_LOG = Path("/var/log/kurtosis-tui-dockerd.log")
START_TIMEOUT = 30.0
#: Seconds one probe gives the engine to answer /version.
PROBE_TIMEOUT = 10
POLL_INTERVAL = 0.25
SOCKET = "/var/run/docker.sock"
DEFAULT_HOSTS = ("", "unix:///var/run/docker.sock", "unix:///run/docker.sock")
PACKAGES = ("docker.io", "apparmor", "iptables")
EXIT_INSTRUCT = 2


class Kind(enum.Enum):
    READY = "ready"  # an engine answers: leave it alone
    WAIT = "wait"  # dockerd runs but does not answer yet: wait for it
    START = "start"  # dockerd is installed: start it
    INSTALL = "install"  # install docker.io from the distribution, then start it
    INSTRUCT = "instruct"  # nothing we may do: tell the user what to do


@dataclass(frozen=True)
class Facts:
    version: str | None  # the engine's version when one answers
    docker_host: str  # DOCKER_HOST, "" when unset
    root: bool
    debian_like: bool
    dockerd: str | None  # the dockerd executable, when installed
    dockerd_running: bool
    socket_denied: bool = False  # the default socket exists but we may not use it


@dataclass(frozen=True)
class Plan:
    kind: Kind
    message: str


def _where(docker_host: str) -> str:
    return docker_host or "unix:///var/run/docker.sock"


def decide(facts: Facts) -> Plan:
    """What to do about the Docker engine, given the facts about this machine."""
    where = _where(facts.docker_host)
    if facts.version:
        return Plan(Kind.READY, f"Docker {facts.version} answers at {where}")
    if facts.docker_host not in DEFAULT_HOSTS:
        return Plan(Kind.INSTRUCT, (
            f"DOCKER_HOST={facts.docker_host} names an engine that does not answer. Start "
            "that engine, or unset DOCKER_HOST to use (or set up) the local one, then "
            "run `kurtosis-tui setup` again."
        ))
    if facts.socket_denied and not facts.docker_host:
        return Plan(Kind.INSTRUCT, (
            f"{SOCKET} exists but this user may not use it. Join the `docker` group "
            "(`sudo usermod -aG docker $USER`, then log in again), then run "
            "`kurtosis-tui setup` again."
        ))
    if facts.dockerd_running:
        return Plan(Kind.WAIT, "dockerd is running but not answering yet; waiting for it")
    if not facts.root:
        if facts.dockerd:
            todo = "start it: `sudo systemctl start docker` (or `sudo dockerd &` without systemd)"
        elif facts.debian_like:
            todo = ("install and start it: `sudo apt-get install docker.io` "
                    "(or run `kurtosis-tui setup` as root)")
        else:
            todo = "install Docker Engine (https://docs.docker.com/engine/install/) and start it"
        return Plan(Kind.INSTRUCT, (
            f"no Docker engine answers at {where}, and only root may start one here. "
            f"{todo[0].upper()}{todo[1:]}; to use it without sudo, join the `docker` group "
            "(`sudo usermod -aG docker $USER`, then log in again). Then run "
            "`kurtosis-tui setup` again."
        ))
    if facts.dockerd:
        return Plan(Kind.START, f"no engine answers at {where}; starting {facts.dockerd}")
    if facts.debian_like:
        return Plan(Kind.INSTALL, "no Docker engine installed; installing docker.io with apt-get")
    return Plan(Kind.INSTRUCT, (
        f"no Docker engine answers at {where} and this is not Debian or Ubuntu, so `make "
        "setup` will not install one. Install Docker Engine "
        "(https://docs.docker.com/engine/install/), start it, then run `kurtosis-tui setup` again."
    ))


class Host(Protocol):
    """The probes and actions ``ensure_engine`` needs (faked in tests)."""

    def facts(self) -> Facts: ...

    def engine_version(self) -> str | None: ...

    def install(self, packages: Sequence[str]) -> bool: ...

    def start_engine(self) -> Callable[[], int | None]:
        """Start dockerd in the background; a poll function: its exit code once it ended."""
        ...

    def log_tail(self) -> str: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


def _wait(host: Host, poll: Callable[[], int | None] | None, timeout: float) -> str | None:
    """Poll until the engine answers (its version), it died, or the deadline passed."""
    deadline = host.monotonic() + timeout
    while True:
        version = host.engine_version()
        if version:
            return version
        if (poll is not None and poll() is not None) or host.monotonic() >= deadline:
            return None
        host.sleep(POLL_INTERVAL)


def ensure_engine(host: Host, say: Callable[[str], None], timeout: float = START_TIMEOUT) -> int:
    """Make sure an engine answers; 0 when one does, 2 with instructions otherwise."""
    facts = host.facts()
    plan = decide(facts)
    say(plan.message)
    if plan.kind is Kind.READY:
        return 0
    if plan.kind is Kind.INSTRUCT:
        return EXIT_INSTRUCT
    poll = None
    if plan.kind is Kind.INSTALL:
        if not host.install(PACKAGES):
            say("installing docker.io failed (see apt-get's output above); install a Docker "
                "engine by hand, start it, then run `kurtosis-tui setup` again.")
            return EXIT_INSTRUCT
        if host.engine_version() is None:  # the package may have started it (systemd)
            poll = host.start_engine()
    elif plan.kind is Kind.START:
        poll = host.start_engine()
    version = _wait(host, poll, timeout)
    if version is None:
        say(f"the Docker engine did not answer within {timeout:.0f} s. Its log says:\n"
            f"{host.log_tail()}\nFix what it says, start it, then run `kurtosis-tui setup` again.")
        return EXIT_INSTRUCT
    say(f"Docker {version} answers at {_where(facts.docker_host)}")
    return 0


class RealHost:
    """This machine."""

    def facts(self) -> Facts:
        return Facts(
            version=self.engine_version(),
            docker_host=os.environ.get("DOCKER_HOST", ""),
            root=os.geteuid() == 0,
            debian_like=apt.is_debian_like(apt.os_ids()) and shutil.which("apt-get") is not None,
            dockerd=shutil.which("dockerd"),
            dockerd_running=_process_running("dockerd"),
            socket_denied=os.path.exists(SOCKET) and not os.access(SOCKET, os.R_OK | os.W_OK),
        )

    def engine_version(self) -> str | None:
        """The engine's version, or None. Patient (``PROBE_TIMEOUT``): set-up is in no
        hurry, an engine that is merely busy (a loaded machine, an engine in a container)
        must not be taken for a dead one, and a dead one refuses at once anyway."""
        import docker
        import requests.exceptions

        from kurtosis_tui.backend.docker_backend import MINIMUM_API_VERSION

        try:
            cli = docker.from_env(version=MINIMUM_API_VERSION, timeout=PROBE_TIMEOUT)
            try:
                return str(cli.version()["Version"])
            finally:
                cli.close()
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return None

    def install(self, packages: Sequence[str]) -> bool:
        return apt.install(packages)

    def start_engine(self) -> Callable[[], int | None]:
        if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
            done = subprocess.run(["systemctl", "start", "docker"], check=False,
                                  stdin=subprocess.DEVNULL)
            if done.returncode == 0:
                return lambda: None
        dockerd = shutil.which("dockerd") or "dockerd"
        with DOCKERD_LOG.open("ab") as log:
            # A session of its own, so it outlives `make` and ignores the terminal's signals.
            proc = subprocess.Popen([dockerd], stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        print(f"started dockerd (pid {proc.pid}); its log: {DOCKERD_LOG}", flush=True)
        return proc.poll

    def log_tail(self) -> str:
        try:
            lines = DOCKERD_LOG.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-15:])

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _process_running(name: str) -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() == name:
                return True
        except OSError:
            continue
    return False
