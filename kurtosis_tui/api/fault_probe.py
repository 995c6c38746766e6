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
        if backend.wait_container(state.id, timeout=PROBE_TIMEOUT) is None:
            raise BackendError(f"the fault probe did not finish within {PROBE_TIMEOUT:g} s")
        output = backend.logs(state.id)
        # A probe cut short (a busy engine, logs not drained yet) proves nothing: it must
        # not be remembered as "this kernel lacks everything".
        answered = {line.partition("=")[0].strip() for line in output.splitlines()}
        if not set(fr.FEATURE_NAMES) <= answered:
            raise BackendError("the fault probe's answer is incomplete")
        return fr.support_from_probe(output)
    finally:
        with contextlib.suppress(BackendError):
            backend.remove_container(name)
