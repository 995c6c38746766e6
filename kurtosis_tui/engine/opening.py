"""Opening a session on the local engine: everything before the first test.

``open_session`` checks the controller image, sweeps what dead runs left, starts
the reaper (which removes this run's objects if the process dies without
cleaning up) and returns a ``LocalSession`` (engine/session.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from kurtosis_tui.backend import Backend
from kurtosis_tui.engine.context import may_prepare_ahead
from kurtosis_tui.engine.fault_support import encoded_fault_support
from kurtosis_tui.engine.interface import EventSink, RunOptions
from kurtosis_tui.engine.prepared import Base, make_base, remove_base
from kurtosis_tui.engine.session import LocalSession
from kurtosis_tui.engine.subnets import SubnetPool
from kurtosis_tui.errors import BackendError, UsageError


def open_session(
    options: RunOptions,
    sink: EventSink,
    backend: Backend | None = None,
    *,
    watching: bool = False,
    controller_command: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    ahead: int = 0,
) -> LocalSession:
    """A session on the local engine, ready to ``schedule``.

    ``ahead``: sets (network, volume, started controller) to begin making now, before
    the tests are known, for the first attempts to start on (engine/prepared.py).

    ``controller_command`` replaces the controller image's entrypoint (tests use a
    stand-in controller to produce crashes and hangs the real one never does).
    ``progress`` hears about a controller image (re)build, which takes a while.

    Raises UsageError when the engine does not answer or the controller image
    cannot be had.
    """
    if backend is None:
        from kurtosis_tui.backend.select import make_backend

        backend = make_backend(options.backend)
    try:
        backend.ping()
    except BackendError as exc:
        raise UsageError(str(exc)) from exc
    from kurtosis_tui.engine.cleanup import sweep
    from kurtosis_tui.engine.owner import owner_token
    from kurtosis_tui.engine.reaper import start_reaper

    run_id = secrets.token_hex(3)
    engine: Backend = backend
    # The reaper's environment as it is now: preparing the image may point DOCKER_HOST
    # elsewhere for a moment (a swarm run builds it on the host's engine) meanwhile.
    env = dict(os.environ)
    owner = owner_token()

    def sweep_dead() -> None:
        with contextlib.suppress(BackendError):
            sweep(engine, exclude=run_id)

    subnets = SubnetPool(engine)
    early = ahead > 0 and may_prepare_ahead(options, backend, controller_command)

    def probe() -> list[Base]:  # no free subnet at all is an environment error (exit 2)
        if early:  # the first set's network and volume, made now, prove one is free
            try:
                return [make_base(engine, subnets, run_id, owner, 1)]
            except BackendError:
                return []  # the set makes its own; an attempt says what fails
        subnets.release(subnets.acquire())
        return []

    # Four waits on the engine, side by side; the reaper starts meanwhile, before the
    # two that make the run's objects (the first set, the fault probe's container): a
    # Ctrl-C that cuts the opening short before the ``try`` (2 runs in 30 stopped in
    # it, each leaving a network and a volume) leaves nothing the reaper would not remove.
    with ThreadPoolExecutor(4) as pool:
        image = pool.submit(_with_controller_image, options, backend, progress)
        swept = pool.submit(sweep_dead)
        reaper = start_reaper(run_id, backend.kind, env)
        faults = pool.submit(encoded_fault_support, backend, run_id, owner)
        made = pool.submit(probe)
        try:
            options = image.result()
            bases = made.result()
            swept.result()
            fault_support = faults.result()
        except BaseException:
            with contextlib.suppress(Exception):
                for base in made.result():
                    remove_base(engine, subnets, base)
            reaper.stop()
            raise
    session = LocalSession(
        options,
        sink,
        backend,
        run_id=run_id,
        owner=owner,
        watching=watching,
        reaper=reaper,
        controller_command=controller_command,
        fault_support=fault_support,
        subnets=subnets,
    )
    session.prepare_ahead(ahead, bases)
    return session


def _with_controller_image(
    options: RunOptions, backend: Backend, progress: Callable[[str], None] | None
) -> RunOptions:
    """The options with the controller image's ref, prepared first when they say how."""
    if options.prepare_image is not None:
        try:
            ref = options.prepare_image(progress)
        except BackendError as exc:
            raise UsageError(f"cannot build the controller image: {exc}") from exc
        return dataclasses.replace(options, controller_image=ref)
    if not options.controller_image or not backend.image_exists(options.controller_image):
        raise UsageError(f"the controller image {options.controller_image!r} is missing")
    return options
