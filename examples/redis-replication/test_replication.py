"""Redis replication: one primary, two replicas (replicaof primary 6379)."""

from kurtosis_tui import Network, Test
from redis_helpers import REPLICAS, cli, start_replicated, wait_for_value


class WriteReachesReplicas(Test):
    """A write on the primary is read back on each replica."""

    setup_timeout = 90
    run_timeout = 60

    def setup(self, network: Network) -> None:
        start_replicated(network)

    def run(self, network: Network) -> None:
        primary = network.service("primary")
        assert cli(primary, "set", "greeting", "hello") == "OK"
        for replica in REPLICAS:
            took = wait_for_value(network.service(replica), "greeting", "hello")
            print(f"{replica} has the write after {took * 1000:.0f} ms")
        connected = cli(primary, "info", "replication")
        assert "connected_slaves:2" in connected, connected


class PrimarySurvivesReplicaLoss(Test):
    """The primary keeps serving, and the other replica keeps replicating, after a replica dies."""

    setup_timeout = 90
    run_timeout = 60

    def setup(self, network: Network) -> None:
        start_replicated(network)

    def run(self, network: Network) -> None:
        primary = network.service("primary")
        survivor = network.service(REPLICAS[1])
        network.service(REPLICAS[0]).kill()
        print(f"killed {REPLICAS[0]}")
        for i in range(20):
            assert cli(primary, "set", f"key-{i}", str(i)) == "OK"
        assert cli(primary, "get", "key-19") == "19"
        took = wait_for_value(survivor, "key-19", "19")
        print(f"{survivor.id} still replicates ({took * 1000:.0f} ms)")
