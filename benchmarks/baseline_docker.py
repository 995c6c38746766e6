"""The floor for figure 1: the same Docker work as one kurtosis-tui test, by hand.

A minimal Docker SDK script: a network with its own subnet, a volume, three
busybox services (init=True) answering on TCP, a Python "controller" container
that waits until each service accepts a connection and exits 0, then teardown
of everything. No engine, no events, no TUI: what any tool has to pay. Run as
a subprocess (``python benchmarks/baseline_docker.py``) so that, like the
measured command, it pays for interpreter start-up and imports too.

Two flavours: by default the services start, and everything is removed, one
after another (what a first script does); with ``--side-by-side`` the three
services start at once and the four containers are removed at once, then the
volume and the network together (a thread per call: what a careful script does).
``--services N`` starts N services (``svc-01``...) instead of three: figures 9
and 10 compare a test of twenty services with what the engine alone takes.
"""

from __future__ import annotations

import ipaddress
import json
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import docker
from common import BUSYBOX_IMAGES, PYTHON_IMAGES, bench_run_id, pick_image
from docker.types import EndpointConfig, IPAMConfig, IPAMPool, Mount

from kurtosis_tui import protocol
from kurtosis_tui.engine.owner import owner_token

SERVICES = ("svc-a", "svc-b", "svc-c")
PORT = 8080

#: The controller's job: wait on every service's port (polling every 50 ms, 60 s at most).
WAIT_SCRIPT = """
import socket, sys, time
deadline = time.monotonic() + 60
for host in sys.argv[2:]:
    while True:
        try:
            socket.create_connection((host, int(sys.argv[1])), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(3)
            time.sleep(0.05)
print("all services answer")
"""


T = TypeVar("T")


def each(calls: Iterable[Callable[[], T]], side_by_side: bool) -> list[T]:
    """Every call's result, in order: one after another, or all at once in threads."""
    todo = list(calls)
    if not side_by_side:
        return [call() for call in todo]
    with ThreadPoolExecutor(max_workers=max(1, len(todo))) as pool:
        futures = [pool.submit(call) for call in todo]
        return [f.result() for f in futures]


def free_subnet(client: docker.DockerClient) -> ipaddress.IPv4Network:
    """A /24 in 10.213.0.0/16 that no existing network uses."""
    used: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for net in client.api.networks():
        for conf in (net.get("IPAM") or {}).get("Config") or []:
            try:
                used.append(ipaddress.ip_network(conf.get("Subnet", ""), strict=False))
            except ValueError:
                continue
    for candidate in ipaddress.IPv4Network("10.213.0.0/16").subnets(new_prefix=24):
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise RuntimeError("no free subnet in 10.213.0.0/16")


def run_once(busybox: str, python_image: str, side_by_side: bool = False,
             services: tuple[str, ...] = SERVICES) -> tuple[int, dict[str, float]]:
    """One test's worth of Docker work: the controller's exit code, seconds per step."""
    steps: dict[str, float] = {}
    mark = time.perf_counter()

    def step(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        steps[name] = round(now - mark, 3)
        mark = now

    client = docker.from_env(timeout=120)
    run_id = bench_run_id("base")
    labels = {protocol.LABEL_RUN: run_id, protocol.LABEL_OWNER: owner_token()}
    name = f"{protocol.NAME_PREFIX}{run_id}"
    subnet = free_subnet(client)
    gateway = str(next(subnet.hosts()))
    network = client.networks.create(
        name, driver="bridge", labels=labels,
        ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=gateway)]))
    step("network create")
    volume = client.volumes.create(name=name, labels=labels)
    mount = Mount(target=protocol.VOLUME_MOUNT, source=name, type="volume")
    step("volume create")
    containers: list[Any] = []
    how = "at once" if side_by_side else "one after another"

    def service_starter(service: str) -> Callable[[], Any]:
        return lambda: client.containers.run(
            busybox, ["httpd", "-f", "-p", str(PORT)], name=f"{name}-{service}",
            hostname=service, network=name, labels=labels, mounts=[mount],
            networking_config={name: EndpointConfig(client.api.api_version,
                                                    aliases=[service])},
            init=True, detach=True)

    try:
        try:
            containers += each([service_starter(s) for s in services], side_by_side)
        finally:  # a failed start: the ones that did start are still removed below
            if len(containers) < len(services):
                containers[:] = client.containers.list(all=True, filters={
                    "label": f"{protocol.LABEL_RUN}={run_id}"})
        step(f"services start ({len(services)}, {how})")
        controller = client.containers.run(
            python_image, ["python3", "-c", WAIT_SCRIPT, str(PORT), *services], entrypoint=[],
            name=f"{name}-controller", network=name, labels=labels, mounts=[mount],
            init=True, detach=True)
        containers.append(controller)
        step("controller container start")
        code = int(controller.wait(timeout=120)["StatusCode"])
        controller.logs()
        step("controller boot, waits, exit")
    finally:
        each([partial(c.remove, force=True) for c in containers], side_by_side)
        each([partial(volume.remove, force=True), network.remove], side_by_side)
        client.close()
        step(f"teardown ({len(containers)} force-removes, volume, network; {how})")
    return code, steps


def main(argv: list[str]) -> int:
    """``baseline_docker.py [--side-by-side] [--services N] [BUSYBOX_IMAGE PYTHON_IMAGE]``
    (the harness passes both images)."""
    side_by_side = "--side-by-side" in argv
    argv = [a for a in argv if a != "--side-by-side"]
    services = SERVICES
    if "--services" in argv:
        at = argv.index("--services")
        count = int(argv[at + 1])
        services = tuple(f"svc-{n:02d}" for n in range(1, count + 1))
        del argv[at:at + 2]
    busybox: str | None
    python_image: str | None
    if len(argv) == 2:
        busybox, python_image = argv
    else:
        busybox, python_image = pick_image(BUSYBOX_IMAGES), pick_image(PYTHON_IMAGES)
    if busybox is None or python_image is None:
        print(f"missing images: one of {BUSYBOX_IMAGES} and one of {PYTHON_IMAGES}",
              file=sys.stderr)
        return 2
    code, steps = run_once(busybox, python_image, side_by_side, services)
    print(json.dumps({"steps": steps}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
