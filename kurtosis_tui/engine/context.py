"""What every attempt of one session shares, and how its controller container looks.

The controller's settings come in two parts: the session's (run, owner, image,
mounts) in the container's environment, and the test's (name, file, attempt,
network, volume, timeouts, params) either there too or, for a controller
started before its test was chosen (``engine.prepared``), in a file written
into it once the test is known.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kurtosis_tui import protocol as p
from kurtosis_tui.backend import Backend, ContainerSpec, Mount, NetworkInfo
from kurtosis_tui.engine.interface import EventSink, RunOptions
from kurtosis_tui.engine.logbatch import LogBatcher
from kurtosis_tui.engine.subnets import SubnetPool
from kurtosis_tui.events import TestInfo
from kurtosis_tui.redact import Redactor


@dataclass(frozen=True)
class SessionContext:
    """What every attempt of one session shares."""

    backend: Backend
    options: RunOptions
    sink: EventSink
    batcher: LogBatcher
    pool: SubnetPool
    run_id: str
    owner: str
    suite_dir: Path  # resolved, absolute: the bind mount's source
    controller_command: tuple[str, ...] | None = None  # replaces the image's entrypoint
    redactor: Redactor = field(default_factory=Redactor)  # masks --secret values
    fault_support: str = ""  # protocol.ENV_FAULT_SUPPORT's text ("": not known)

    @property
    def prepares_ahead(self) -> bool:
        """Whether networks, volumes and controllers may be made before a test is chosen
        (see ``may_prepare_ahead``)."""
        return may_prepare_ahead(self.options, self.backend, self.controller_command)

    @property
    def forwards_service_logs(self) -> bool:
        """Whether the controller sends its services' logs on its stdout: a view wants
        them live, and this side cannot follow them itself (a swarm node's engine)."""
        return self.options.stream_service_logs and not self.backend.reaches_services

    @property
    def follows_service_logs(self) -> bool:
        """Whether this side follows the services' logs itself (``engine.service_logs``),
        which the controller's hand-over completes (``controller.log_handover``)."""
        return self.options.stream_service_logs and self.backend.reaches_services


def may_prepare_ahead(options: RunOptions, backend: Backend,
                      controller_command: Sequence[str] | None) -> bool:
    """Not with --keep-failed (kept objects are known by their test's labels), with a
    stand-in controller (it reads no settings), nor where this side cannot reach a
    controller's container (a swarm job's is on its node)."""
    return not options.keep_failed and controller_command is None and backend.reaches_services


def test_settings(
    ctx: SessionContext, info: TestInfo, number: int, net: NetworkInfo, volume: str
) -> dict[str, str]:
    """The controller's settings that depend on the test attempt."""
    return {
        p.ENV_TEST_NAME: info.name,
        p.ENV_TEST_FILE: info.file,
        p.ENV_ATTEMPT: str(number),
        p.ENV_NETWORK: net.name,
        p.ENV_SUBNET: str(net.subnet),
        p.ENV_GATEWAY: net.gateway,
        p.ENV_VOLUME: volume,
        p.ENV_SETUP_TIMEOUT: repr(float(info.setup_timeout)),
        p.ENV_RUN_TIMEOUT: repr(float(info.run_timeout)),
        p.ENV_PARAMS: json.dumps(dict(ctx.options.params)),
        p.ENV_SECRETS: json.dumps(dict(ctx.options.secrets)),
        p.ENV_KEEP_SERVICES: "1" if ctx.options.keep_failed else "0",
        p.ENV_FORWARD_LOGS: "1" if ctx.forwards_service_logs else "0",
        p.ENV_HANDS_OVER_LOGS: "1" if ctx.follows_service_logs else "0",
    }


def controller_spec(
    ctx: SessionContext,
    name: str,
    labels: dict[str, str],
    net: NetworkInfo,
    volume: str,
    settings: dict[str, str] | None,
) -> ContainerSpec:
    """The controller container; ``settings`` None: it waits for them on its stdin."""
    env = {
        p.ENV_RUN_ID: ctx.run_id,
        p.ENV_OWNER: ctx.owner,
        p.ENV_SUITE_HOST_DIR: str(ctx.suite_dir),
        p.ENV_FAULT_SUPPORT: ctx.fault_support,
        "PYTHONUNBUFFERED": "1",
        **(settings if settings is not None else {p.ENV_SETTINGS_ON_STDIN: "1"}),
    }
    return ContainerSpec(
        name=name,
        image=ctx.options.controller_image,
        entrypoint=list(ctx.controller_command) if ctx.controller_command else None,
        labels=labels,
        volume_labels={**labels, p.LABEL_ROLE: "volume"},  # where a mount creates it
        env=env,
        network=net.name,
        hostname="controller",
        stdin=settings is None,
        mounts=(
            Mount(str(ctx.suite_dir), p.SUITE_MOUNT, kind="bind", read_only=True),
            Mount(volume, p.VOLUME_MOUNT, kind="volume"),
            Mount(ctx.backend.engine_socket, p.DOCKER_SOCKET, kind="bind"),
        ),
    )
