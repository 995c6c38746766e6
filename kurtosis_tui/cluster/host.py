"""Which engine is "the host's": where a local cluster's nodes run and images are built.

While a swarm is in use, DOCKER_HOST names its manager (that is what
``kurtosis-tui run --backend swarm`` talks to), so the host's own engine, the
one the node containers run on, cannot be found through it. It is the engine
that ``KURTOSIS_TUI_HOST_ENGINE`` names, else the default socket. The node
module and the image builders read DOCKER_HOST, so cluster work runs inside
``host_engine()``, which points DOCKER_HOST there for its duration.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ENV_HOST_ENGINE = "KURTOSIS_TUI_HOST_ENGINE"
DEFAULT_SOCKET = "unix:///var/run/docker.sock"
_lock = threading.RLock()


def host_engine_url() -> str:
    return os.environ.get(ENV_HOST_ENGINE, "").strip() or DEFAULT_SOCKET


@contextmanager
def host_engine() -> Iterator[str]:
    """DOCKER_HOST names the host's engine inside the block (one block at a time); yields
    what DOCKER_HOST was ("" when unset)."""
    with _lock:
        before = os.environ.get("DOCKER_HOST")
        os.environ["DOCKER_HOST"] = host_engine_url()
        try:
            yield before or ""
        finally:
            if before is None:
                os.environ.pop("DOCKER_HOST", None)
            else:
                os.environ["DOCKER_HOST"] = before
