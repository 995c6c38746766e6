"""Installing host packages with apt, where the machine allows (root on Debian or Ubuntu).

``apt-get update`` runs at most once per process: ``kurtosis-tui setup`` may need
docker.io, mmdebstrap and busybox-static, and each update costs seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

_updated = False


def os_ids(os_release: Path = Path("/etc/os-release")) -> set[str]:
    """The distribution's ID and ID_LIKE words, lower case (empty when unknown)."""
    ids: set[str] = set()
    try:
        text = os_release.read_text()
    except OSError:
        return ids
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip('"').lower().split())
    return ids


def is_debian_like(ids: set[str]) -> bool:
    return bool(ids & {"debian", "ubuntu"})


def can_install() -> bool:
    """Root, apt-get present, Debian or Ubuntu."""
    return (
        os.geteuid() == 0 and shutil.which("apt-get") is not None and is_debian_like(os_ids())
    )


def install(packages: Sequence[str]) -> bool:
    """Install ``packages`` (output to the terminal); False when not allowed or it failed."""
    global _updated
    if not packages or not can_install():
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", NEEDRESTART_MODE="a")
    print(f"installing with apt-get: {' '.join(packages)}", flush=True)
    if not _updated:
        update = subprocess.run(
            ["apt-get", "update", "-q"], env=env, stdin=subprocess.DEVNULL, check=False
        )
        if update.returncode != 0:
            return False
        _updated = True
    proc = subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        env=env, stdin=subprocess.DEVNULL, check=False,
    )
    return proc.returncode == 0
