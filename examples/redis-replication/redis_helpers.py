"""Shared by the tests: the image, a primary with two replicas, and polling a replica."""

from __future__ import annotations

import time

from kurtosis_tui import Network, Service, checks

REDIS = "kurtosis-tui/redis:local"
REPLICAS = ("replica-1", "replica-2")


def cli(service: Service, *args: str) -> str:
    """Run redis-cli in the service's container; the output, stripped (raises on failure)."""
    result = service.exec(["redis-cli", *args])
    assert result.exit_code == 0, f"redis-cli {' '.join(args)} on {service.id}: {result.output}"
    return result.output.strip()


def start_replicated(network: Network) -> None:
    """A primary and two replicas, each ready once its replication link is up."""
    network.add_service(
        "primary",
        image=REDIS,
        command=["redis-server", "--port", "6379", "--save", "", "--appendonly", "no"],
        ready=checks.command(["redis-cli", "ping"], expect="PONG"),
    )
    for replica in REPLICAS:
        network.add_service(
            replica,
            image=REDIS,
            command=["redis-server", "--port", "6379", "--save", "",
                     "--replicaof", "primary", "6379"],
            ready=checks.command(["redis-cli", "info", "replication"],
                                 expect="master_link_status:up"),
        )


def wait_for_value(service: Service, key: str, expected: str, within: float = 10.0) -> float:
    """Poll GET on ``service`` until it returns ``expected``; the seconds it took."""
    start = time.monotonic()
    deadline = start + within
    seen = ""
    while time.monotonic() < deadline:
        seen = cli(service, "get", key)
        if seen == expected:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{service.id}: {key} is {seen!r}, not {expected!r}, after {within} s")
