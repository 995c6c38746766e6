"""Which faults this engine's kernel supports: probed once per engine, then remembered.

Why here: every test's controller would otherwise probe in its first fault
helper. The initializer asks once per engine (a helper in a namespace of its
own runs ``fault_rules.PROBE_SCRIPT``, ~0.5 s), keeps the answer in
``~/.cache/kurtosis-tui/fault-support.json`` keyed by the engine's address and
version, and hands it to each controller (``protocol.ENV_FAULT_SUPPORT``).
``kurtosis-tui doctor`` probes afresh (after a kernel upgrade, say) and lists it.
"""

from __future__ import annotations

import contextlib
import json
import os

from kurtosis_tui import protocol
from kurtosis_tui.api import fault_rules
from kurtosis_tui.api.fault_probe import probe_support
from kurtosis_tui.backend.base import Backend
from kurtosis_tui.engine.owner import owner_token
from kurtosis_tui.engine.user_cache import user_cache_dir
from kurtosis_tui.errors import BackendError

CACHE_FILE = "fault-support.json"


def _key(backend: Backend) -> str:
    return f"{os.environ.get('DOCKER_HOST', backend.engine_socket)}|{backend.ping()}"


def _cache() -> dict[str, str]:
    try:
        data = json.loads((user_cache_dir() / CACHE_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(key: str, text: str) -> None:
    data = _cache()
    data[key] = text
    with contextlib.suppress(OSError):
        user_cache_dir().mkdir(parents=True, exist_ok=True)
        tmp = user_cache_dir() / f"{CACHE_FILE}.{os.getpid()}"
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        tmp.replace(user_cache_dir() / CACHE_FILE)


def engine_fault_support(
    backend: Backend, labels: dict[str, str], name: str, *, fresh: bool = False
) -> dict[str, str] | None:
    """What this engine supports (remembered; ``fresh``: probe again); None when the
    helper image is missing or cannot run (the controller then says so at a fault)."""
    try:
        key = _key(backend)
        if not fresh:
            known = fault_rules.decode_support(_cache().get(key, ""))
            if known is not None:
                return known
        if not backend.image_exists(protocol.FAULT_IMAGE):
            return None
        support = probe_support(backend, protocol.FAULT_IMAGE, name, labels)
    except BackendError:
        return None
    _remember(key, fault_rules.encode_support(support))
    return support


def encoded_fault_support(backend: Backend, run_id: str, owner: str) -> str:
    """What the engine's kernel supports, for the controllers (probed once per engine)."""
    support = engine_fault_support(backend, *_probe_identity(run_id, owner))
    return fault_rules.encode_support(support) if support is not None else ""


def fresh_fault_support(backend: Backend, run_id: str) -> dict[str, str] | None:
    """Probed afresh (``doctor``), by this process as the probe's owner."""
    return engine_fault_support(backend, *_probe_identity(run_id, owner_token()), fresh=True)


def _probe_identity(run_id: str, owner: str) -> tuple[dict[str, str], str]:
    """The probe container's labels and name. The owner's token is one of them: a
    probe whose process was stopped before it removed it (a Ctrl-C as the create was
    in flight) is swept once that process is gone; without one it is never swept."""
    labels = {protocol.LABEL_RUN: run_id, protocol.LABEL_OWNER: owner}
    return labels, f"{protocol.NAME_PREFIX}{run_id}-fault-probe"
