"""Base images made without a registry: a Debian root from mmdebstrap, a static busybox.

Why: where no registry answers (CI runners behind a firewall, this machine),
``python:3.11-slim`` cannot be pulled, but Debian's package mirror usually can
be reached. ``mmdebstrap`` builds a minimal bookworm root with Python and
redis in ~20 s; it is imported once through the SDK and tagged
``kurtosis-tui/base:bookworm``. The busybox example image needs only the
host's statically linked busybox binary.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import docker

from kurtosis_tui.errors import UsageError
from kurtosis_tui.setup import dockerio
from kurtosis_tui.setup.dockerio import Progress

LOCAL_BASE = "kurtosis-tui/base:bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "redis-server", "procps")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: Installs host packages (apt); False when it may not or could not.
ToolInstaller = Callable[[Sequence[str]], bool]
_PT_INTERP = 3


def ensure_local_base(
    cli: docker.DockerClient, progress: Progress, install: ToolInstaller | None = None
) -> str:
    """The id of ``kurtosis-tui/base:bookworm``, made with mmdebstrap the first time."""
    doc = dockerio.inspect(cli, LOCAL_BASE)
    if doc:
        return str(doc["Id"])
    return debian_image(
        cli, LOCAL_BASE, BASE_PACKAGES, progress, install,
        changes=["ENV LANG=C.UTF-8", 'CMD ["bash"]'],
        missing_tool=(
            "no base image for the controller: python:3.11-slim is neither present nor "
            "pullable, and mmdebstrap (which builds one offline) is not installed. Install "
            "it (`sudo apt-get install mmdebstrap`) or `docker pull python:3.11-slim`, "
            "then run `kurtosis-tui setup`."
        ),
    )


def debian_image(
    cli: docker.DockerClient,
    ref: str,
    packages: Sequence[str],
    progress: Progress,
    install: ToolInstaller | None = None,
    *,
    changes: Sequence[str] = (),
    missing_tool: str = "",
) -> str:
    """Make ``ref``, a Debian bookworm root with ``packages``, with mmdebstrap; its id.

    No registry needed: only Debian's package mirror (KURTOSIS_TUI_DEBIAN_MIRROR).
    ``changes`` are Dockerfile instructions (ENV, LABEL, CMD...) applied at import.
    """
    tool = shutil.which("mmdebstrap")
    if tool is None and install is not None and install(["mmdebstrap"]):
        tool = shutil.which("mmdebstrap")
    if tool is None:
        raise UsageError(missing_tool or (
            f"cannot make {ref}: mmdebstrap, which builds it offline from Debian's "
            "packages, is not installed (`sudo apt-get install mmdebstrap`)."
        ))
    mirror = os.environ.get("KURTOSIS_TUI_DEBIAN_MIRROR", DEFAULT_MIRROR)
    progress(f"making {ref} with mmdebstrap from {mirror} (once, ~30-60 s) ...")
    with tempfile.TemporaryDirectory(prefix="kt-debian-") as tmp:
        tarball = Path(tmp) / "root.tar"
        cmd = [
            tool, "--variant=minbase", "--include=" + ",".join(packages),
            "bookworm", str(tarball), mirror,
        ]
        # stdin closed: without a tty, mmdebstrap would read sources.list from stdin.
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0 or not tarball.is_file():
            tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
            raise UsageError(
                f"mmdebstrap could not make {ref} (exit {proc.returncode}):\n{tail}\n"
                "It needs root (or unprivileged user namespaces) and the Debian mirror; set "
                "KURTOSIS_TUI_DEBIAN_MIRROR to use another mirror."
            )
        progress(f"importing {ref} ...")
        repo, _, version = ref.rpartition(":")
        try:
            cli.api.import_image(
                src=str(tarball), repository=repo, tag=version,
                changes=[
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    *changes,
                ],
            )
        except Exception as exc:  # the SDK raises several unrelated types here
            raise UsageError(f"cannot import {ref}: {exc}") from exc
    doc = dockerio.inspect(cli, ref)
    if not doc:
        raise UsageError(f"importing {ref} produced no image")
    return str(doc["Id"])


def is_static_elf(path: Path) -> bool:
    """True for an ELF executable without a program interpreter (statically linked)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF":
                return False
            endian = "<" if head[5] == 1 else ">"
            if head[4] == 2:  # 64-bit
                (phoff,) = struct.unpack(endian + "Q", head[32:40])
                phentsize, phnum = struct.unpack(endian + "HH", head[54:58])
            else:
                (phoff,) = struct.unpack(endian + "I", head[28:32])
                phentsize, phnum = struct.unpack(endian + "HH", head[42:46])
            fh.seek(phoff)
            table = fh.read(phentsize * phnum)
    except OSError:
        return False
    for i in range(phnum):
        entry = table[i * phentsize : i * phentsize + 4]
        if len(entry) == 4 and struct.unpack(endian + "I", entry)[0] == _PT_INTERP:
            return False
    return True


def static_busybox(install: ToolInstaller | None = None) -> Path | None:
    """The host's statically linked busybox (installing busybox-static where allowed)."""
    for attempt in range(2):
        candidates = [shutil.which("busybox"), "/bin/busybox", "/usr/bin/busybox"]
        for cand in candidates:
            if cand and is_static_elf(Path(cand)):
                return Path(cand).resolve()
        if attempt == 0 and not (install is not None and install(["busybox-static"])):
            return None
    return None
