"""Figure 7's other side: figure 1's three services, as a testcontainers user writes them.

A network, three busybox web servers on it (by alias), each started with a
TCP port wait (testcontainers' ``PortWaitStrategy``, its default poll interval),
then all removed. The reaper is off (``TESTCONTAINERS_RYUK_DISABLED=true``, set
by the harness): no registry here to pull it from, and it only adds work.
Names and labels follow the engine's (``kt-`` names, the run and owner labels)
so that leak checks, ``kurtosis-tui clean`` and the dead-run sweep see them.
Run as a subprocess, like the command it is compared with.
"""

from __future__ import annotations

import sys

from common import BUSYBOX_IMAGES, bench_run_id, pick_image
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network
from testcontainers.core.wait_strategies import PortWaitStrategy

from kurtosis_tui import protocol
from kurtosis_tui.engine.owner import owner_token

SERVICES = ("svc-a", "svc-b", "svc-c")
PORT = 8080


def run_once(image: str) -> None:
    """Start the three services, each awaited on its port, then remove everything."""
    run_id = bench_run_id("tc")
    labels = {protocol.LABEL_RUN: run_id, protocol.LABEL_OWNER: owner_token()}
    network = Network(docker_network_kw={"labels": labels})
    network.name = f"{protocol.NAME_PREFIX}{run_id}"
    network.create()
    started: list[DockerContainer] = []
    try:
        for service in SERVICES:
            container = (
                DockerContainer(image, command=f"httpd -f -p {PORT}")
                .with_name(f"{protocol.NAME_PREFIX}{run_id}-{service}")
                .with_network(network)
                .with_network_aliases(service)
                .with_exposed_ports(PORT)
                .with_kwargs(labels=labels)
                .waiting_for(PortWaitStrategy(PORT).with_startup_timeout(60))
            )
            started.append(container)
            container.start()
    finally:
        errors = []
        for container in started:
            try:
                container.stop()
            except Exception as exc:  # remove the rest all the same, then tell
                errors.append(exc)
        network.remove()
        if errors:
            raise errors[0]


def main(argv: list[str]) -> int:
    """``tc_three_services.py [BUSYBOX_IMAGE]`` (the harness passes it)."""
    image = argv[0] if argv else pick_image(BUSYBOX_IMAGES)
    if image is None:
        print(f"missing image: one of {BUSYBOX_IMAGES}", file=sys.stderr)
        return 2
    run_once(image)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
