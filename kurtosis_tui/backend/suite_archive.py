"""A suite directory carried in a swarm job's environment, and unpacked by the controller.

Why: locally the controller bind-mounts the suite from the host, but a swarm
node has no such path and the initializer reaches only the manager. The suite
travels inside the job's spec instead (a gzipped tar, base64, in one
environment variable): nothing to create or clean up, and the manager hands
it to whichever node runs the job. Suites are source code, kilobytes; a
limit keeps the spec well under the manager's message size.
"""

from __future__ import annotations

import base64
import io
import os
import tarfile
from pathlib import Path

from kurtosis_tui.errors import BackendError

#: The largest packed suite (base64 characters) a job may carry.
LIMIT = 512 * 1024


def _skipped(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def pack(suite: Path) -> str:
    """The suite's files (hidden folders and ``__pycache__`` left out) as base64 text."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=6) as tar:
        for root, dirs, files in os.walk(suite):
            dirs[:] = sorted(d for d in dirs if not _skipped(d))
            for name in sorted(files):
                if name.endswith(".pyc"):
                    continue
                path = Path(root, name)
                tar.add(path, arcname=str(path.relative_to(suite)), recursive=False)
    text = base64.b64encode(buffer.getvalue()).decode("ascii")
    if len(text) > LIMIT:
        raise BackendError(
            f"the suite {suite} packs to {len(text) // 1024} KiB, more than the "
            f"{LIMIT // 1024} KiB a swarm job can carry: keep large data files in an image "
            "the services use, not in the suite directory"
        )
    return text


def unpack(text: str, dest: Path) -> None:
    """Unpack ``pack``'s text into ``dest`` (created), read-only; refuses paths that
    leave it."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(text)), mode="r:gz") as tar:
        members = tar.getmembers()
        for member in members:  # by hand: the controller's Python may predate filter=
            parts = Path(member.name).parts
            if member.name.startswith("/") or ".." in parts or not (
                member.isfile() or member.isdir()
            ):
                raise BackendError(f"the suite archive holds an unsafe entry: {member.name}")
        tar.extractall(dest, members=members)
    # Read-only, as the bind mount is locally: the job drops CAP_DAC_OVERRIDE, so even
    # root in the controller cannot write where no write bit is set.
    for path in [dest, *dest.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
