"""What this kernel can do for faults, asked of a helper in a namespace of its own.

Shared by the initializer (once per engine, ``engine.fault_support``) and the
controller (once per test, when the initializer did not say).
"""

from __future__ import annotations

import contextlib

from kurtosis_tui import protocol
from kurtosis_tui.api import fault_rules as fr
from kurtosis_tui.backend.base import Backend
from kurtosis_tui.backend.types import ContainerSpec
from kurtosis_tui.errors import BackendError

#: Seconds the kernel probe may take.
PROBE_TIMEOUT = 30.0


def probe_support(
    backend: Backend, image: str, name: str, labels: dict[str, str]
) -> dict[str, str]:
    """Run ``fault_rules.PROBE_SCRIPT`` in a helper of its own (no network): each fault
    -> "" or what the kernel lacks. Raises BackendError when the helper cannot run."""
    spec = ContainerSpec(
        name=name,
        image=image,
        labels={**labels, protocol.LABEL_ROLE: protocol.ROLE_FAULT_HELPER},
        command=["sh", "-c", fr.PROBE_SCRIPT],
        network_mode="none",
        cap_add=("NET_ADMIN",),
        init=True,
    )
    try:
        state = backend.run_container(spec)
        backend.wait_container(state.id, timeout=PROBE_TIMEOUT)
        return fr.support_from_probe(backend.logs(state.id))
    finally:
        with contextlib.suppress(BackendError):
            backend.remove_container(name)
