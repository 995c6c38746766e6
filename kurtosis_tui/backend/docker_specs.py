"""Our container types in Docker's words: a ``ContainerSpec`` as a create request,
an inspect answer as a ``ContainerState``."""

from __future__ import annotations

from typing import Any

from docker.types import Mount as SdkMount

from kurtosis_tui.backend.types import ContainerSpec, ContainerState


def create_kwargs(api: Any, spec: ContainerSpec) -> dict[str, Any]:
    """The low-level ``create_container`` arguments for ``spec`` (but its image)."""
    host = api.create_host_config(
        init=spec.init,
        network_mode=spec.network_mode or spec.network or None,
        cap_add=list(spec.cap_add) or None,
        mounts=[
            SdkMount(m.target, m.source, type=m.kind, read_only=m.read_only)
            for m in spec.mounts
        ],
        port_bindings={c: ("127.0.0.1", h) for c, h in spec.ports.items()} or None,
    )
    networking = None
    if spec.network and spec.aliases and not spec.network_mode:
        endpoint = api.create_endpoint_config(aliases=list(spec.aliases))
        networking = api.create_networking_config({spec.network: endpoint})
    return {
        "name": spec.name,
        "command": spec.command,
        "entrypoint": spec.entrypoint,
        "environment": spec.env,
        "labels": spec.labels,
        "detach": True,
        "hostname": spec.hostname,
        "working_dir": spec.working_dir,
        "ports": list(spec.ports) or None,
        "host_config": host,
        "networking_config": networking,
        "stdin_open": spec.stdin,
    }


def container_state(data: dict[str, Any]) -> ContainerState:
    """A container's state from its inspect answer (an exit code only once it ended)."""
    state = data.get("State") or {}
    networks = ((data.get("NetworkSettings") or {}).get("Networks")) or {}
    ip = next((n.get("IPAddress") or "" for n in networks.values()), "")
    status = state.get("Status", "")
    return ContainerState(
        id=data["Id"],
        name=data.get("Name", "").lstrip("/"),
        status=status,
        exit_code=state.get("ExitCode") if status in ("exited", "dead") else None,
        ip=ip,
        oom_killed=bool(state.get("OOMKilled")),
    )
