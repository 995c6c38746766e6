"""Who owns a run, and whether that owner may still be running.

Every object the initializer makes carries ``LABEL_OWNER`` with the token of
the process that made it::

    <hostname>:<boot id>:<PID namespace>:<pid>:<process start time>

A run may be swept as dead only when its owner is certainly gone, so every
doubt counts as alive:

- another hostname: another machine, not ours to judge;
- another boot id that this machine recorded as one of its own: an earlier boot
  of this machine, and no process outlives its boot: dead, whatever its PID
  namespace or pid;
- another boot id this machine never recorded (another machine of the same
  name sharing the engine, or runs of a version that kept no record): not ours
  to judge;
- another PID namespace (a run in another container with the same hostname):
  not ours to judge;
- a /proc/<pid> that cannot be read (``hidepid``, another user's process) while
  the pid exists: alive;
- the pid is gone, a zombie, or now another process (another start time): dead.

The record is ``~/.cache/kurtosis-tui/boots`` (``<hostname> <boot id>`` a line,
the last ``BOOTS_KEPT``), written by every process that hands out a token. A
boot id alone cannot tell this machine from another of the same name; this
machine's own record can. A lost record only makes such runs "cannot tell".

Tokens of the older form ``<hostname>:<pid>:<start>`` are still understood.
"""

from __future__ import annotations

import contextlib
import enum
import os
import re
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from kurtosis_tui.engine.user_cache import user_cache_dir

_UNKNOWN = "?"
#: The file in the user's cache that lists this machine's boots.
BOOTS_FILE = "boots"
#: How many boots the record keeps (the oldest go first).
BOOTS_KEPT = 64


class Verdict(enum.Enum):
    """What a token says of its owner; only ``DEAD`` lets a sweep remove the run."""

    ALIVE = "alive"
    DEAD = "dead"
    UNPARSED = "not a token of ours"
    OTHER_HOST = "another host"
    OTHER_BOOT = "a boot this machine never recorded"
    OTHER_PID_NAMESPACE = "another PID namespace"


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
    record_boot()
    return f"{socket.gethostname()}:{boot_id()}:{pid_namespace()}:{pid}:{start}"


def owner_alive(token: str) -> bool:
    """Whether the process named by ``token`` may still be running (see the module)."""
    return judge(token) is not Verdict.DEAD


def judge(token: str) -> Verdict:
    """What ``token`` tells of its owner, by the rules of the module's docstring."""
    owner = parse_owner(token)
    if owner is None:
        return Verdict.UNPARSED
    if owner.host != socket.gethostname():
        return Verdict.OTHER_HOST
    if owner.boot and owner.boot != boot_id():
        # (with our own boot id unknown, a recorded boot may be this one)
        earlier = boot_id() != _UNKNOWN and owner.boot in recorded_boots()
        return Verdict.DEAD if earlier else Verdict.OTHER_BOOT
    if owner.pid_ns and owner.pid_ns != pid_namespace():
        return Verdict.OTHER_PID_NAMESPACE
    now = _start_time(owner.pid)
    if now is None:
        return Verdict.DEAD
    alive = _UNKNOWN in (now, owner.start) or now == owner.start
    return Verdict.ALIVE if alive else Verdict.DEAD


# ------------------------------------------------------------ this machine's boots


def recorded_boots() -> set[str]:
    """The boot ids this machine (this hostname) recorded, the current one included."""
    host = socket.gethostname()
    return {boot for name, boot in _read_boots() if name == host}


@cache
def record_boot() -> None:
    """Add this boot to the record (once a process; a failure only costs the record)."""
    boot = boot_id()
    entry = (socket.gethostname(), boot)
    entries = _read_boots()
    if boot == _UNKNOWN or entry in entries:
        return
    entries = [*entries, entry][-BOOTS_KEPT:]
    path = user_cache_dir() / BOOTS_FILE
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{BOOTS_FILE}.{os.getpid()}")
        tmp.write_text("".join(f"{name} {boot}\n" for name, boot in entries))
        tmp.replace(path)


def _read_boots() -> list[tuple[str, str]]:
    try:
        text = (user_cache_dir() / BOOTS_FILE).read_text()
    except (OSError, UnicodeDecodeError):
        return []
    return [(fields[0], fields[1]) for fields in map(str.split, text.splitlines())
            if len(fields) == 2]


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
