"""Writing a service's files into its directory in the test volume.

Services may run as any user, so the directories are world-writable and the
files world-readable/writable: the volume lives only as long as the test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from kurtosis_tui.errors import ServiceError

DIR_MODE = 0o777
FILE_MODE = 0o666


def check_relative(service_id: str, name: object) -> PurePosixPath:
    """``name`` as a safe relative path, or a ServiceError that names it."""
    if not isinstance(name, str) or not name.strip():
        raise ServiceError(f"service {service_id!r}: file name {name!r} is not a non-empty string")
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ServiceError(
            f"service {service_id!r}: file {name!r} must be a relative path inside the "
            "service's directory (no leading '/', no '..')"
        )
    if path == PurePosixPath("."):
        raise ServiceError(f"service {service_id!r}: file name {name!r} names no file")
    return path


def validate_files(service_id: str, files: Mapping[str, str | bytes] | None) -> None:
    """Check every path and content before anything is written or started."""
    if files is None:
        return
    if not isinstance(files, Mapping):
        raise ServiceError(
            f"service {service_id!r}: files must be a dict of relative path -> str or bytes"
        )
    for name, content in files.items():
        check_relative(service_id, name)
        if not isinstance(content, (str, bytes, bytearray)):
            raise ServiceError(
                f"service {service_id!r}: file {name!r} has content of type "
                f"{type(content).__name__}; give str or bytes"
            )


def make_dir(path: Path) -> None:
    """Create ``path`` (and parents) world-writable."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, DIR_MODE)


def write_files(
    service_id: str, directory: Path, files: Mapping[str, str | bytes] | None
) -> list[Path]:
    """Create the service's directory and write ``files`` into it; the paths written."""
    validate_files(service_id, files)
    make_dir(directory)
    written: list[Path] = []
    for name, content in (files or {}).items():
        target = directory / check_relative(service_id, name)
        for parent in reversed(target.relative_to(directory).parents):
            make_dir(directory / parent)
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        target.write_bytes(data)
        os.chmod(target, FILE_MODE)
        written.append(target)
    return written
