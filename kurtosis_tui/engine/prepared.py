"""Networks, volumes and controllers made before a test is chosen.

In watch mode, and while tests wait in the queue for a slot, the session keeps
spare sets of a network, a volume and a started controller (its imports done,
waiting for its settings on its stdin, see ``controller.config.await_settings``,
which the set holds open: ``Backend.open_input``). An attempt that takes one
skips their creation: its controller starts on the test the moment its settings
are sent. Every run makes one set as its session opens (``warm``; in plain
output, while the suite is still being imported), and its first attempt waits
for that set if it is not ready yet: it was begun earlier than the attempt
could begin its own, so it is ready sooner. (A set made for a
test still in the queue is not waited for: it is that test's.) Every set
carries the run label, so the reaper and the session's last sweep find it; an
unused set is removed when the session closes, and none is made after that.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from kurtosis_tui import protocol as p
from kurtosis_tui.backend import Backend, Input, NetworkInfo
from kurtosis_tui.engine.context import SessionContext, controller_spec
from kurtosis_tui.engine.subnets import SubnetPool
from kurtosis_tui.errors import BackendError, UsageError

#: Seconds ``close`` waits for sets still being made (they then remove themselves).
CLOSE_WAIT = 30.0


@dataclass(frozen=True)
class Prepared:
    """One spare set: its network, its volume and its waiting controller."""

    network: NetworkInfo
    volume: str
    controller: str  # container id
    controller_name: str
    input: Input  # the controller's stdin, open until its settings are sent


def send_settings(prepared: Prepared, settings: dict[str, str]) -> None:
    """Hand the waiting controller its test: it starts on it at once."""
    try:
        prepared.input.send((json.dumps(settings) + "\n").encode())
    finally:
        prepared.input.close()


class Spares:
    """The session's spare sets; thread-safe."""

    def __init__(self, ctx: SessionContext) -> None:
        self._ctx = ctx
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._ready: list[Prepared] = []
        self._making = 0
        self._promised = 0  # sets made by warm() that no attempt has taken or waited for
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._numbers = itertools.count(1)
        self._bases: dict[int, Base] = {}  # made before the session, by set number

    def take(self) -> Prepared | None:
        """A ready set for an attempt, or a warm one once it is made (None: none is
        ready, or making it failed: the attempt provisions its own)."""
        with self._lock:
            if not self._ready and self._promised and self._making:
                self._promised -= 1
                self._changed.wait_for(lambda: self._ready or not self._making or self._closed)
            elif self._ready and self._promised:
                self._promised -= 1
            return self._ready.pop(0) if self._ready and not self._closed else None

    def warm(self, sets: int, bases: Sequence[Base] = ()) -> None:
        """Make ``sets`` sets now, before any test is known, for the first attempts;
        the first ones on ``bases`` (networks and volumes made already, numbered from 1)."""
        if not self._ctx.prepares_ahead:
            for base in bases:
                remove_base(self._ctx.backend, self._ctx.pool, base)
            return
        with self._lock:
            self._promised += sets
            self._bases.update(enumerate(bases, start=1))
        self.keep(sets)

    def keep(self, wanted: int) -> None:
        """Start making sets until ``wanted`` are ready or being made."""
        if not self._ctx.prepares_ahead:
            return
        with self._lock:
            if self._closed:
                return
            for _ in range(wanted - len(self._ready) - self._making):
                self._making += 1
                number = next(self._numbers)
                thread = threading.Thread(
                    target=self._make, args=(number,), daemon=True, name=f"kt-ahead-{number}"
                )
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
                thread.start()

    def close(self) -> None:
        """Make no more; remove every unused set (those being made remove themselves)."""
        with self._lock:
            self._closed = True
            self._changed.notify_all()
            unused, self._ready = self._ready, []
            bases, self._bases = list(self._bases.values()), {}
            threads = list(self._threads)
        for prepared in unused:
            self.remove(prepared)
        for base in bases:
            remove_base(self._ctx.backend, self._ctx.pool, base)
        for thread in threads:
            thread.join(CLOSE_WAIT)

    def remove(self, prepared: Prepared) -> None:
        """Remove one set: its controller, then its volume and network."""
        backend = self._ctx.backend
        prepared.input.close()
        with contextlib.suppress(BackendError):
            backend.remove_container(prepared.controller)
        remove_base(backend, self._ctx.pool, Base(prepared.network, prepared.volume))

    def _make(self, number: int) -> None:
        prepared = None
        try:
            prepared = self._create(number)
        except (BackendError, UsageError):
            pass  # an attempt then provisions its own, and says what fails
        finally:
            with self._lock:
                self._making -= 1
                if prepared is not None and not self._closed:
                    self._ready.append(prepared)
                    prepared = None
                self._changed.notify_all()
            if prepared is not None:  # the session closed meanwhile
                self.remove(prepared)

    def _check_open(self) -> None:
        """Stop making a set the session no longer wants (a suite error closed it)."""
        if self._closed:
            raise BackendError("the session closed while a set was being made")

    def _create(self, number: int) -> Prepared:
        ctx, backend = self._ctx, self._ctx.backend
        with self._lock:
            base = self._bases.pop(number, None)
        if base is None:
            base = make_base(backend, ctx.pool, ctx.run_id, ctx.owner, number)
        try:
            self._check_open()
            name = f"{base.volume}_controller"
            spec = controller_spec(ctx, name, _labels(ctx.run_id, ctx.owner, "controller"),
                                   base.network, base.volume, settings=None)
            state = backend.run_container(spec)
            try:
                pipe = backend.open_input(state.id)
            except BaseException:
                with contextlib.suppress(BackendError):
                    backend.remove_container(state.id)
                raise
        except BaseException:
            remove_base(backend, ctx.pool, base)
            raise
        return Prepared(base.network, base.volume, state.id, state.name, pipe)


@dataclass(frozen=True)
class Base:
    """A set's network and volume: all a set needs before the controller image is known."""

    network: NetworkInfo
    volume: str


def _labels(run_id: str, owner: str, role: str) -> dict[str, str]:
    return p.attempt_labels(run_id, "", 0, role, owner)


def make_base(backend: Backend, pool: SubnetPool, run_id: str, owner: str,
              number: int) -> Base:
    """Set ``number``'s network and volume (``open_session`` makes the first one while
    it checks the engine, before the session exists)."""
    name = f"{p.NAME_PREFIX}{run_id}--ahead-{number}"  # no test's name has "--"
    net = pool.create_network(name, _labels(run_id, owner, "network"))
    try:
        backend.create_volume(name, labels=_labels(run_id, owner, "volume"))
    except BaseException:
        with contextlib.suppress(BackendError):
            backend.remove_network(net.name)
        pool.release(net.subnet)
        raise
    return Base(net, name)


def remove_base(backend: Backend, pool: SubnetPool, base: Base) -> None:
    """Remove a set's volume and network (no container may use them any more)."""
    with contextlib.suppress(BackendError):
        backend.remove_volume(base.volume)
    with contextlib.suppress(BackendError):
        backend.remove_network(base.network.name)
        pool.release(base.network.subnet)
