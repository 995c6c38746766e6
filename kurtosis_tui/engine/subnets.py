"""A pool of private subnets, one per test network.

Why: Docker's default address pools run out after about 31 user networks, and
a network left behind by a killed run makes the next create fail with
"overlaps". So every test network gets an explicit subnet carved from one
private range, skipping every subnet an existing network already uses, and a
create that still collides (another run took it a moment ago) moves on to the
next free subnet.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from collections.abc import Iterator

from kurtosis_tui.backend import Backend, NetworkInfo
from kurtosis_tui.errors import BackendError, UsageError

DEFAULT_POOL = "172.30.0.0/16"
POOL_ENV = "KURTOSIS_TUI_SUBNET_POOL"
#: Each test network gets a /24: 254 addresses, far more than a test needs.
PREFIX = 24


class SubnetsExhausted(UsageError):
    """Every subnet of the pool is in use."""


def pool_from_env() -> ipaddress.IPv4Network:
    """The pool range: ``$KURTOSIS_TUI_SUBNET_POOL`` or 172.30.0.0/16."""
    text = os.environ.get(POOL_ENV, "").strip() or DEFAULT_POOL
    try:
        pool = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise UsageError(f"{POOL_ENV}={text!r} is not a network (e.g. 10.99.0.0/16)") from exc
    if not isinstance(pool, ipaddress.IPv4Network):
        raise UsageError(f"{POOL_ENV}={text!r}: only IPv4 ranges are supported")
    if pool.prefixlen > 29:
        raise UsageError(f"{POOL_ENV}={text!r} is too small (a /29 at least)")
    return pool


def _is_overlap(exc: BackendError) -> bool:
    text = str(exc).lower()
    return "overlap" in text or "address already in use" in text


class SubnetPool:
    """Hands out free subnets of ``pool`` under a lock; thread-safe, one per session."""

    def __init__(self, backend: Backend, pool: ipaddress.IPv4Network | None = None) -> None:
        self._backend = backend
        self.pool = pool if pool is not None else pool_from_env()
        self._prefix = max(PREFIX, self.pool.prefixlen)
        self._lock = threading.Lock()
        self._held: set[ipaddress.IPv4Network] = set()

    @property
    def size(self) -> int:
        return 2 ** (self._prefix - self.pool.prefixlen)

    def _candidates(self) -> Iterator[ipaddress.IPv4Network]:
        return self.pool.subnets(new_prefix=self._prefix)

    def acquire(self, skip: set[ipaddress.IPv4Network] | None = None) -> ipaddress.IPv4Network:
        """A subnet no existing network and no other attempt of ours uses."""
        used = self._backend.used_subnets()
        with self._lock:
            for subnet in self._candidates():
                if subnet in self._held or (skip and subnet in skip):
                    continue
                if any(subnet.overlaps(other) for other in used):
                    continue
                self._held.add(subnet)
                return subnet
        raise SubnetsExhausted(self._exhausted_message(len(used)))

    def release(self, subnet: ipaddress.IPv4Network | None) -> None:
        if subnet is None:
            return
        with self._lock:
            self._held.discard(subnet)

    def create_network(self, name: str, labels: dict[str, str]) -> NetworkInfo:
        """Create network ``name`` on a free subnet, moving on when another run got there first.

        The subnet stays held until ``release(info.subnet)``.
        """
        tried: set[ipaddress.IPv4Network] = set()
        while True:
            subnet = self.acquire(skip=tried)
            try:
                return self._backend.create_network(name, labels=labels, subnet=subnet)
            except BackendError as exc:
                self.release(subnet)
                if not _is_overlap(exc):
                    raise
                tried.add(subnet)

    def _exhausted_message(self, used: int) -> str:
        return (
            f"no free subnet left: all {self.size} /{self._prefix} subnets of {self.pool} are "
            f"taken ({len(self._held)} by this run, {used} networks exist). Remove networks "
            f"left by earlier runs with `kurtosis-tui clean`, lower -j, or set {POOL_ENV} to "
            "a larger free private range (e.g. 10.99.0.0/16)."
        )
