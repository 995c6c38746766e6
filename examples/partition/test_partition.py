"""A network partition between a redis primary and one of its replicas, then healed."""

import time

from kurtosis_tui import Network, Service, Test, checks

REDIS = "kurtosis-tui/redis:local"
SERVER = ["redis-server", "--port", "6379", "--save", "", "--appendonly", "no"]


def cli(service: Service, *args: str) -> str:
    """redis-cli in the service's container (the controller reaches every side of a
    partition: exec still works); the output, stripped."""
    result = service.exec(["redis-cli", *args])
    assert result.exit_code == 0, f"redis-cli {' '.join(args)} on {service.id}: {result.output}"
    return result.output.strip()


def wait_for(service: Service, key: str, expected: str, within: float) -> float:
    """Poll GET until it returns ``expected``; the seconds it took."""
    start = time.monotonic()
    while (seen := cli(service, "get", key)) != expected:
        assert time.monotonic() - start < within, f"{service.id}: {key} is {seen!r} after {within} s"
        time.sleep(0.05)
    return time.monotonic() - start


class ReplicaCutOffThenHealed(Test):
    """Cut replica-1 off from the primary: a write reaches replica-2 only; after heal(),
    replica-1 catches up."""

    setup_timeout = 90
    run_timeout = 90

    def setup(self, network: Network) -> None:
        network.add_service("primary", image=REDIS, command=SERVER,
                            ready=checks.command(["redis-cli", "ping"], expect="PONG"))
        for replica in ("replica-1", "replica-2"):
            network.add_service(
                replica, image=REDIS, command=[*SERVER, "--replicaof", "primary", "6379"],
                ready=checks.command(["redis-cli", "info", "replication"],
                                     expect="master_link_status:up"),
            )

    def run(self, network: Network) -> None:
        primary = network.service("primary")
        cut, other = network.service("replica-1"), network.service("replica-2")
        assert cli(primary, "set", "before", "1") == "OK"
        wait_for(cut, "before", "1", within=10)

        network.partition({"island": ["replica-1"]})  # primary and replica-2 stay in `default`
        assert cli(primary, "set", "during", "2") == "OK"
        took = wait_for(other, "during", "2", within=10)
        print(f"replica-2 has the write after {took * 1000:.0f} ms")
        time.sleep(1.0)  # long enough for the write to have reached replica-1, were it connected
        assert cli(cut, "get", "during") == "", "replica-1 saw a write made while cut off"
        print("replica-1 does not have it while cut off")

        network.heal()
        took = wait_for(cut, "during", "2", within=45)
        print(f"after heal(), replica-1 caught up in {took:.1f} s")
