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
    """One line: the exception's text, or for a bare ``assert`` the failing source line."""
    text = str(error).strip()
    if isinstance(error, AssertionError):
        where = _user_frame(error)
        if text:
            return f"AssertionError: {text}" + (f" ({where[0]})" if where else "")
        if where:
            return f"AssertionError at {where[0]}: {where[1]}"
        return "AssertionError"
    if isinstance(error, ServiceError):  # our own errors say what and which service
        return text
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _user_frame(error: BaseException) -> tuple[str, str] | None:
    """``file:line`` and source of the innermost frame outside kurtosis_tui."""
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if _plumbing(frame.filename):
            continue
        line = (frame.line or "").strip()
        return f"{Path(frame.filename).name}:{frame.lineno}", line
    return None


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
