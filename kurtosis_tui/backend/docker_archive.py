"""One file in and out of a container, as the tar archives Docker's archive API speaks."""

from __future__ import annotations

import io
import tarfile


def single_file_tar(name: str, data: bytes) -> bytes:
    """A tar archive holding ``data`` as the file ``name`` (mode 0644)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def first_file(archive: bytes) -> bytes | None:
    """The content of the first regular file in a tar archive (None: it holds none)."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = next((m for m in tar.getmembers() if m.isfile()), None)
        if member is None:
            return None
        extracted = tar.extractfile(member)
        return extracted.read() if extracted else None
