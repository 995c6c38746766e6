"""A ``ContainerSpec`` as a swarm job's container: what a node can mount, and how
(why: see ``swarm_backend``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from docker.types import ContainerSpec as SdkContainerSpec
from docker.types import Mount as SdkMount

from kurtosis_tui import protocol as p
from kurtosis_tui.backend.suite_archive import pack
from kurtosis_tui.backend.types import ContainerSpec
from kurtosis_tui.errors import BackendError

#: Seconds a controller gets between SIGTERM and SIGKILL when its job is stopped.
STOP_GRACE = 10


def job_container(spec: ContainerSpec, noted: Mapping[str, dict[str, str]]) -> SdkContainerSpec:
    """The container of ``spec``'s job; ``noted``: the labels of the volumes noted so far
    (by name), for a spec that does not carry its own. BackendError when a job cannot."""
    if spec.network_mode not in (None, "none"):
        raise BackendError(f"{spec.name}: network mode {spec.network_mode} cannot be had "
                           "by a job (a fault helper is its controller's to start)")
    env = dict(spec.env)
    mounts: list[SdkMount] = []
    cap_drop: list[str] = []
    for m in spec.mounts:
        if m.kind == "volume":
            labels = spec.volume_labels or noted.get(m.source, {})
            mounts.append(SdkMount(m.target, m.source, type="volume",
                                   read_only=m.read_only, labels=labels))
        elif m.source == p.DOCKER_SOCKET:
            mounts.append(SdkMount(m.target, m.source, type="bind"))
        elif m.target == p.SUITE_MOUNT:
            env[p.ENV_SUITE_ARCHIVE] = pack(Path(m.source))
            if m.read_only:  # unpacked read-only; without this, root writes anyway
                cap_drop.append("DAC_OVERRIDE")
        else:
            raise BackendError(f"{spec.name}: a host folder ({m.source}) cannot be "
                               "mounted on a swarm node")
    return SdkContainerSpec(
        spec.image,
        command=spec.entrypoint,
        args=spec.command,
        hostname=spec.hostname,
        env=env,
        workdir=spec.working_dir,
        labels=spec.labels,
        mounts=mounts,
        stop_grace_period=STOP_GRACE * 1_000_000_000,
        init=spec.init,
        cap_add=list(spec.cap_add) or None,
        cap_drop=cap_drop or None,
    )
