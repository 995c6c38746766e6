"""How an attempt ended, and the one-line reason a user reads first."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path

from kurtosis_tui.errors import ServiceError
from kurtosis_tui.events import Outcome
from kurtosis_tui.protocol import SUITE_MOUNT


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    message: str = ""


def describe_failure(error: BaseException) -> str:
    """One line: the exception's type and text, then where the suite's code raised it
    (``(web.py:12)``, any exception alike); for a bare ``assert``, its source line."""
    text = str(error).strip()
    if isinstance(error, ServiceError):  # our own errors say what and which service
        return text
    where = _user_frame(error)
    if isinstance(error, AssertionError) and not text:
        return f"AssertionError at {where[0]}: {where[1]}" if where else "AssertionError"
    said = f"{type(error).__name__}: {text}" if text else type(error).__name__
    if where is None:
        return said
    first, newline, rest = said.partition("\n")  # on the line every view shows
    return f"{first} ({where[0]}){newline}{rest}"


def _user_frame(error: BaseException) -> tuple[str, str] | None:
    """``file:line`` and source of the innermost frame of the suite's own code (a file
    under ``/suite``, named relative to it); else of any code but the controller's."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not _plumbing(f.filename)]
    mount = SUITE_MOUNT.rstrip("/") + "/"
    suite = [f for f in frames if f.filename.startswith(mount)]
    if not (suite or frames):
        return None
    frame = (suite or frames)[-1]
    name = frame.filename[len(mount):] if suite else Path(frame.filename).name
    return f"{name}:{frame.lineno}", (frame.line or "").strip()


def format_traceback(error: BaseException, host_dir: str = "") -> str:
    """The traceback as the user wants it: their frames, not the controller's plumbing,
    named by their paths on the user's machine (``host_dir``) rather than ``/suite``."""
    tb = traceback.TracebackException.from_exception(error)
    if isinstance(error, ServiceError):
        # what caused it is in its message; the chain is the Docker SDK's plumbing
        tb.__cause__ = tb.__context__ = None
    user = [f for f in tb.stack if not _plumbing(f.filename)]
    if user:
        tb.stack = traceback.StackSummary.from_list(user)
    if host_dir:
        for frame in tb.stack:
            frame.filename = on_host(frame.filename, host_dir)
    return "".join(tb.format()).rstrip()


def on_host(path: str, host_dir: str) -> str:
    """A path under the controller's ``/suite`` as the same file on the user's machine."""
    mount = SUITE_MOUNT.rstrip("/") + "/"
    return host_dir.rstrip("/") + "/" + path[len(mount):] if path.startswith(mount) else path


def _plumbing(filename: str) -> bool:
    """Frames of the controller and of Python's import machinery."""
    parts = Path(filename).parts
    return "kurtosis_tui" in parts or filename.startswith("<frozen") or "importlib" in parts
