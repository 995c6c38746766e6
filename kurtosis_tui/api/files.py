"""Writing a service's files into its directory in the test volume.

Services may run as any user, so the directories are world-writable and the
files world-readable/writable: the volume lives only as long as the test.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
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


def write_files(
    service_id: str, directory: Path, files: Mapping[str, str | bytes] | None,
    root: Path | None = None,
) -> list[Path]:
    """Create the service's directory and write ``files`` into it; the paths written.

    Every service mounts the volume read-write, and one started earlier may have
    planted a symlink (or a FIFO) where this service's files go. So below
    ``root`` (the volume; by default ``directory``'s grandparent) nothing is
    followed: each directory is opened relative to its parent with
    ``O_NOFOLLOW``, and each file likewise, never blocking. A planted link is a
    ServiceError that names it; nothing outside the volume is ever written.
    """
    validate_files(service_id, files)
    root = directory.parents[1] if root is None else root
    parts = directory.relative_to(root).parts
    written: list[Path] = []
    root.mkdir(parents=True, exist_ok=True)  # the volume's mount point: ours, trusted
    base = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = _enter(service_id, base, root, parts)
        try:
            _fchmod(fd, DIR_MODE)
            for name, content in (files or {}).items():
                rel = check_relative(service_id, name)
                data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
                _write_one(service_id, fd, directory, rel, data)
                written.append(directory / rel)
        finally:
            os.close(fd)
    finally:
        os.close(base)
    return written


def _enter(service_id: str, fd: int, where: Path, parts: tuple[str, ...]) -> int:
    """Open (creating them world-writable) the directories ``parts`` below ``fd``,
    following no symlink; a new fd, ``fd`` itself left open."""
    current = os.dup(fd)
    for part in parts:
        where = where / part
        try:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, DIR_MODE, dir_fd=current)
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=current)
        except OSError as exc:
            os.close(current)
            raise _refused(service_id, where, exc) from exc
        os.close(current)
        current = nxt
        _fchmod(current, DIR_MODE)
    return current


def _write_one(service_id: str, fd: int, directory: Path, rel: PurePosixPath, data: bytes) -> None:
    sub = _enter(service_id, fd, directory, rel.parts[:-1])
    target = directory / rel
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            out = os.open(rel.name, flags, FILE_MODE, dir_fd=sub)
        except OSError as exc:
            raise _refused(service_id, target, exc) from exc
        try:
            if not stat.S_ISREG(os.fstat(out).st_mode):
                raise ServiceError(
                    f"service {service_id!r}: {target} is not a regular file (a service "
                    "put something else there); not written"
                )
            _fchmod(out, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(out, view) :]
        finally:
            os.close(out)
    finally:
        os.close(sub)


def _fchmod(fd: int, mode: int) -> None:
    with contextlib.suppress(OSError):  # a directory a service made and owns: still usable
        os.fchmod(fd, mode)


def _refused(service_id: str, path: Path, exc: OSError) -> ServiceError:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENXIO):
        why = "a symlink or other non-file planted there (by a service?); it is not followed"
    else:
        why = exc.strerror or str(exc)
    return ServiceError(f"service {service_id!r}: cannot write {path}: {why}")
