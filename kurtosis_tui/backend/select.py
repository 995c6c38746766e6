"""Which Backend a run uses: ``--backend docker`` (one engine) or ``swarm`` (a cluster).

One place knows the names, so the CLI, the session and the reaper (a process of
its own that must rebuild the same backend) cannot disagree.
"""

from __future__ import annotations

from kurtosis_tui.backend.base import Backend

#: The names ``--backend`` takes; the first is the default.
KINDS = ("docker", "swarm")


def make_backend(kind: str = "docker") -> Backend:
    """A backend of this kind on the engine that DOCKER_HOST (or the default socket) names."""
    if kind == "swarm":
        from kurtosis_tui.backend.swarm_backend import SwarmBackend

        return SwarmBackend()
    if kind == "docker":
        from kurtosis_tui.backend.docker_backend import DockerBackend

        return DockerBackend()
    raise ValueError(f"unknown backend {kind!r} (one of {', '.join(KINDS)})")


def detect_kind() -> str:
    """``swarm`` when the engine DOCKER_HOST names manages a swarm, else ``docker``: what
    ``clean`` needs, since a swarm's runs are found through its jobs, not its containers."""
    from kurtosis_tui.backend.swarm_manager import is_swarm_manager

    return "swarm" if is_swarm_manager() else "docker"
