"""Teardown's removal of the services: all at once, force (no grace period is
waited out), bounded by ``REMOVE_TIMEOUT``; then, only if one hung, the
containers of the attempt that a stuck user thread started after teardown began.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kurtosis_tui import events, protocol
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.api.service import Service
from kurtosis_tui.backend.base import Backend
from kurtosis_tui.controller.config import ControllerConfig

#: Seconds teardown waits for the containers' removal before giving up on them.
REMOVE_TIMEOUT = 30.0


def remove_services(services: list[Service], backend: Backend, runtime: Runtime,
                    config: ControllerConfig, *,
                    catch_up: Callable[[Service], None] | None = None) -> None:
    """Force-remove every service at once (``catch_up(service)`` first: the last
    lines of its log that the initializer may lack, before they go)."""

    def remove(service: Service) -> None:
        service.removed = True
        if not service.wait_started(REMOVE_TIMEOUT):  # its start failed: nothing to remove
            return
        if catch_up is not None:  # lines a restart left unsent, before they go
            catch_up(service)
        try:
            backend.remove_container(service.container_ref)
        except Exception as exc:
            runtime.log(f"cannot remove service {service.id!r}: {exc}")
            return
        runtime.event(events.ServiceRemoved, service=service.id)

    threads = [threading.Thread(target=remove, args=(s,), name=f"kt-rm-{s.id}", daemon=True)
               for s in services]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + REMOVE_TIMEOUT
    late = False
    for thread, service in zip(threads, services, strict=True):
        thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            runtime.log(f"removing service {service.id!r} did not finish in time")
            late = True
    if services:
        runtime.log(f"removed {len(services)} service(s)")
    # No service can start after begin_teardown and each start was waited for above:
    # only a start or removal still hanging can leave a container behind.
    if late:
        _remove_stragglers(backend, runtime, config)


def _remove_stragglers(backend: Backend, runtime: Runtime, config: ControllerConfig) -> None:
    """Containers of ours that a stuck user thread started after teardown began."""
    try:
        found = backend.find_labelled(protocol.LABEL_RUN, config.run_id)
    except Exception:
        return
    for obj in found:
        if obj.kind == "container" and protocol.of_attempt(
            obj.labels, config.run_id, config.test_name, config.attempt
        ) and obj.labels.get(protocol.LABEL_ROLE) in ("service", protocol.ROLE_FAULT_HELPER):
            runtime.log(f"removing leftover container {obj.name}")
            try:
                backend.remove_container(obj.id)
            except Exception as exc:
                runtime.log(f"cannot remove {obj.name}: {exc}")
