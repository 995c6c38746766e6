"""Who owns a run, and whether that owner may still be running.

Every object the initializer makes carries ``LABEL_OWNER`` with the token of
the process that made it::

    <hostname>:<boot id>:<PID namespace>:<pid>:<process start time>

A run may be swept as dead only when its owner is certainly gone, so every
doubt counts as alive:

- another hostname, another boot id (another machine of the same name, or an
  earlier boot) or another PID namespace (a run in another container with the
  same hostname): not ours to judge;
- a /proc/<pid> that cannot be read (``hidepid``, another user's process) while
  the pid exists: alive;
- the pid is gone, a zombie, or now another process (another start time): dead.

Tokens of the older form ``<hostname>:<pid>:<start>`` are still understood.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_UNKNOWN = "?"


@dataclass(frozen=True)
class Owner:
    host: str
    boot: str  # "" in an old token
    pid_ns: str  # "" in an old token
    pid: int
    start: str


def parse_owner(token: str) -> Owner | None:
    """The owner a token names; None when it is not one of ours."""
    fields = token.split(":")
    try:
        if len(fields) == 5:
            host, boot, pid_ns, pid, start = fields
            return Owner(host, boot, pid_ns, int(pid), start)
        if len(fields) == 3:
            host, pid, start = fields
            return Owner(host, "", "", int(pid), start)
    except ValueError:
        return None
    return None


def owner_token(pid: int | None = None) -> str:
    """This process's token (or ``pid``'s, in this PID namespace): LABEL_OWNER's value."""
    pid = os.getpid() if pid is None else pid
    start = _start_time(pid) or _UNKNOWN
    return f"{socket.gethostname()}:{boot_id()}:{pid_namespace()}:{pid}:{start}"


def owner_alive(token: str) -> bool:
    """Whether the process named by ``token`` may still be running (see the module)."""
    owner = parse_owner(token)
    if owner is None or owner.host != socket.gethostname():
        return True
    if owner.boot and owner.boot != boot_id():
        return True
    if owner.pid_ns and owner.pid_ns != pid_namespace():
        return True
    now = _start_time(owner.pid)
    if now is None:
        return False
    return _UNKNOWN in (now, owner.start) or now == owner.start


@cache
def boot_id() -> str:
    """The kernel's boot id (the same in every container on this machine)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or _UNKNOWN
    except OSError:
        return _UNKNOWN


@cache
def pid_namespace() -> str:
    """This process's PID namespace (its inode number): pids mean something only in it."""
    try:
        link = os.readlink("/proc/self/ns/pid")  # "pid:[4026531836]"
    except OSError:
        return _UNKNOWN
    match = re.search(r"\d+", link)
    return match.group(0) if match else _UNKNOWN


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat).

    None when the process does not exist or is a zombie (killed, not yet reaped:
    as dead as it will ever be). "?" when it exists but /proc does not say
    (no /proc, as on macOS; ``hidepid``; another user's process).
    """
    try:
        raw = _read_stat(pid)
    except OSError:
        return _UNKNOWN if _pid_exists(pid) else None
    # The command name (field 2) is in parentheses and may hold spaces or ")".
    fields = raw[raw.rfind(")") + 2 :].split()
    if not fields or fields[0] in ("Z", "X"):
        return None
    return fields[19]  # field 22 overall; fields[0] is field 3


def _read_stat(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text()


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return False
    return True
