"""The wheels that go into the controller image, made on the host.

Why on the host: containers here (and on many CI runners) reach no package
index, while the host reaches PyPI. The controller's runtime dependencies are
fetched once as pure-Python wheels (so any base image's Python 3.10+ takes
them) and cached; the package's own wheel is written in-process from the
source tree (no build backend, no network, deterministic bytes), so editing a
source file costs one small image layer, not a dependency download.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

from kurtosis_tui import __version__
from kurtosis_tui.errors import UsageError

#: What the controller imports at run time, and nothing else (no Textual, no Rich).
RUNTIME_DEPS = ("docker", "requests", "urllib3", "certifi", "idna", "charset-normalizer")
#: The oldest Python the controller image may have; pip filters wheels by it.
MIN_PYTHON = "3.10"
PACKAGE = "kurtosis_tui"
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def package_root() -> Path:
    """The directory that holds the ``kurtosis_tui`` package (the repository in a checkout)."""
    return Path(__file__).resolve().parents[2]


def cache_dir() -> Path:
    """Where built things are kept: ``.build/`` in a checkout, else the user's cache."""
    root = package_root()
    if (root / "pyproject.toml").is_file() and os.access(root, os.W_OK):
        path = root / ".build"
    else:
        from kurtosis_tui.engine.user_cache import user_cache_dir

        path = user_cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wheel_prefix(name: str, version: str) -> str:
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"


def pinned_deps() -> list[str]:
    """``name==version`` for each runtime dependency, as installed on the host.

    Pinning to the host's versions keeps the host and the controller in step
    and keeps the image's input hash stable between runs.
    """
    pins = []
    for name in RUNTIME_DEPS:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(name)
    return pins


def _cached_wheel(directory: Path, pin: str) -> Path | None:
    name, _, version = pin.partition("==")
    if not version:
        return None
    prefix = _wheel_prefix(name, version)
    for path in directory.glob("*.whl"):
        if path.name.lower().startswith(prefix):
            return path
    return None


def dependency_wheels() -> list[Path]:
    """The runtime dependencies' wheels, downloaded into the cache on first use."""
    directory = cache_dir() / "wheels"
    directory.mkdir(parents=True, exist_ok=True)
    pins = pinned_deps()
    found = {pin: _cached_wheel(directory, pin) for pin in pins}
    missing = [pin for pin, path in found.items() if path is None]
    if missing:
        cmd = [
            sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
            "--only-binary=:all:", "--platform", "any", "--implementation", "py",
            "--python-version", MIN_PYTHON, "--no-deps", "-d", str(directory), *missing,
        ]
        # Run from the cache, not the user's cwd: `-m` puts the cwd first on sys.path, where
        # a suite's json.py or requests.py would stand in for the library pip needs.
        proc = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              cwd=directory)
        if proc.returncode != 0:
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
            raise UsageError(
                "cannot fetch the controller's wheels from the package index "
                f"({', '.join(missing)}): {tail}\nCheck that pip on this host reaches PyPI "
                "(or a mirror, via PIP_INDEX_URL), then run `kurtosis-tui images`."
            )
        found = {pin: _cached_wheel(directory, pin) for pin in pins}
    paths = [path for path in found.values() if path is not None]
    if len(paths) != len(pins):
        # Unpinned (not installed on the host): whatever pip downloaded.
        paths = sorted(directory.glob("*.whl"))
    return sorted(paths)


def package_files() -> Iterator[tuple[str, Path]]:
    """Every file of the package, as (path inside the wheel, path on disk), sorted."""
    root = package_root()
    for path in sorted((root / PACKAGE).rglob("*")):
        rel = path.relative_to(root)
        if _shipped(rel) and path.is_file():
            yield rel.as_posix(), path


def _shipped(rel: Path) -> bool:
    """Not caches, hidden files or editor leftovers (they would force needless rebuilds)."""
    name = rel.name
    return not (
        "__pycache__" in rel.parts
        or any(part.startswith(".") for part in rel.parts)
        or name.endswith(("~", ".pyc", ".swp", ".orig", ".rej"))
    )


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def package_wheel_name() -> str:
    return f"{PACKAGE}-{__version__}-py3-none-any.whl"


def read_package() -> list[tuple[str, bytes]]:
    """The package's files and contents, read once for both the hash and the wheel."""
    return [(name, path.read_bytes()) for name, path in package_files()]


def build_package_wheel(directory: Path, files: list[tuple[str, bytes]]) -> Path:
    """Write the package's wheel (no dependencies declared) from ``files`` into ``directory``.

    Deterministic: the same sources give the same bytes, so Docker's layer
    cache holds until a source file changes.
    """
    dist_info = f"{PACKAGE}-{__version__}.dist-info"
    metadata = (
        f"Metadata-Version: 2.1\nName: kurtosis-tui\nVersion: {__version__}\n"
        f"Requires-Python: >={MIN_PYTHON}\n"
    ).encode()
    wheel_meta = (
        b"Wheel-Version: 1.0\nGenerator: kurtosis-tui\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    entries = [*files, (f"{dist_info}/METADATA", metadata), (f"{dist_info}/WHEEL", wheel_meta)]
    record = [_record_line(name, data) for name, data in entries] + [f"{dist_info}/RECORD,,"]
    entries.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    target = directory / package_wheel_name()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return target
