"""``kurtosis-tui doctor``: is this machine ready to run tests, and if not, what to do.

One line per check: status, what was checked, what was found, and for anything
missing the command that fixes it. Exit 0 when a run would work, 1 otherwise.
Builds nothing and changes nothing.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kurtosis_tui.errors import UsageError

if TYPE_CHECKING:
    import docker


@dataclass(frozen=True)
class Finding:
    """What one doctor check found (not the suite API's availability ``Check``)."""

    state: str  # ok | missing | stale | fail | info
    name: str
    detail: str
    blocking: bool = False  # a run cannot work while this is not ok


def _socket_check() -> Finding:
    host = os.environ.get("DOCKER_HOST", "")
    if host and not host.startswith("unix://"):
        return Finding("info", "socket", f"DOCKER_HOST={host} (not a local socket)")
    path = host[len("unix://"):] if host else "/var/run/docker.sock"
    try:
        info = os.stat(path)
    except OSError:
        return Finding("missing", "socket", f"{path} does not exist: start the engine "
                     "(`kurtosis-tui setup` does where it can)", blocking=True)
    if not stat.S_ISSOCK(info.st_mode):
        return Finding("fail", "socket", f"{path} is not a socket", blocking=True)
    owner = _name(pwd.getpwuid, info.st_uid)
    group = _name(grp.getgrgid, info.st_gid)
    if not os.access(path, os.R_OK | os.W_OK):
        return Finding("fail", "socket", f"{path} ({owner}:{group}) is not usable by you: "
                     "`sudo usermod -aG docker $USER`, then log in again", blocking=True)
    return Finding("ok", "socket", f"{path} ({owner}:{group}, usable by you)")


def _name(lookup: Callable[[int], Any], ident: int) -> str:
    try:
        return str(lookup(ident)[0])
    except KeyError:
        return str(ident)


def _engine_check() -> tuple[Finding, docker.DockerClient | None]:
    from kurtosis_tui.setup import dockerio

    try:
        cli = dockerio.client(timeout=5)
        version = cli.version()
    except UsageError as exc:
        return Finding("fail", "engine", str(exc), blocking=True), None
    except Exception as exc:  # any SDK or transport error: the engine does not answer
        return Finding("fail", "engine", f"no answer ({exc}); run `kurtosis-tui setup`",
                     blocking=True), None
    detail = f"Docker {version.get('Version')} (API {version.get('ApiVersion')})"
    return Finding("ok", "engine", detail), cli


def _image_checks(cli: docker.DockerClient) -> list[Finding]:
    from kurtosis_tui.setup.images import CONTROLLER_REPO
    from kurtosis_tui.setup.imageset import image_statuses

    checks = []
    statuses = image_statuses(cli)
    for status in statuses:
        is_controller = status.ref.startswith(CONTROLLER_REPO)
        detail = f"{status.ref}: {status.detail}"
        if status.state != "ok":
            detail += "; run `kurtosis-tui setup`" + (" (a run also builds it)"
                                                      if is_controller else "")
        checks.append(Finding(status.state, "image", detail))
    checks.append(Finding("info", "path", _path_summary({str(s.path) for s in statuses} - {""})))
    return checks


def _path_summary(paths: set[str]) -> str:
    """Which way set-up got the images: from a registry, or built offline, or both."""
    if paths == {"registry"}:
        return "registry: the official images were pulled (python:3.11-slim, busybox, redis:7)"
    if paths == {"offline"}:
        return ("offline: no registry answered, so the images were built here from Debian's "
                "packages (mmdebstrap) and the host's static busybox")
    if not paths:
        return "none yet: run `kurtosis-tui setup`"
    return f"mixed: {', '.join(sorted(paths))} (see each image above)"


def _tool_checks() -> list[Finding]:
    from kurtosis_tui.setup.base import static_busybox

    mmdebstrap = shutil.which("mmdebstrap")
    busybox = static_busybox()
    return [
        Finding("ok" if mmdebstrap else "info", "mmdebstrap",
              mmdebstrap or "not installed; needed only where no registry answers: "
              "`sudo apt-get install mmdebstrap`"),
        Finding("ok" if busybox else "info", "busybox",
              f"static {busybox}" if busybox else "no static busybox; needed for the busybox "
              "example image without a registry: `sudo apt-get install busybox-static`"),
    ]


def _fault_checks() -> list[Finding]:
    """Which faults (contract section 5) this engine's kernel supports, probed afresh."""
    import secrets

    from kurtosis_tui import protocol
    from kurtosis_tui.backend.docker_backend import DockerBackend
    from kurtosis_tui.engine.fault_support import fresh_fault_support

    support = fresh_fault_support(DockerBackend(), "doctor" + secrets.token_hex(2))
    if support is None:
        return [Finding("info", "faults", f"unknown: {protocol.FAULT_IMAGE} cannot run; "
                      "`kurtosis-tui images` builds it")]
    able = [fault for fault, missing in sorted(support.items()) if not missing]
    checks = [Finding("ok", "faults", "supported: " + ", ".join(able))]
    for fault, missing in sorted(support.items()):
        if missing:
            checks.append(Finding("info", "faults", f"{fault}: unsupported (the kernel lacks "
                                f"{missing}): it raises FaultUnsupported"))
    return checks


def run_checks() -> list[Finding]:
    checks = [_socket_check()]
    engine, cli = _engine_check()
    checks.append(engine)
    if cli is not None:
        checks += _image_checks(cli)
        checks += _fault_checks()
    return checks + _tool_checks()


def main(args: argparse.Namespace) -> int:
    checks = run_checks()
    for check in checks:
        print(f"{check.state:<8} {check.name:<11} {check.detail}")
    # The controller image is built by a run when missing or stale; a dead engine is fatal.
    broken = [c for c in checks if c.blocking and c.state != "ok"]
    if broken:
        print("not ready: fix the lines above marked fail or missing, or run `kurtosis-tui setup`.")
        return 1
    print("ready")
    return 0
