"""The swarm figure's suite: eight tests of three services each (a web server and two
clients that fetch from it), awaited on TCP, and a run() that checks them."""

from kurtosis_tui import Network, Test, checks

IMAGE = "kurtosis-tui/busybox:local"


class _ThreeServices(Test):
    """Three busybox services; the clients reach the server by name."""

    setup_timeout = 90
    run_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("web", image=IMAGE, files={"index.html": "hi\n"},
                            command=["httpd", "-f", "-p", "8080", "-h",
                                     "/test-volume/services/web"],
                            ready=checks.tcp(8080))
        for name in ("client-a", "client-b"):
            network.add_service(name, image=IMAGE, command=["sleep", "3600"])

    def run(self, network: Network) -> None:
        for name in ("client-a", "client-b"):
            got = network.service(name).exec(["wget", "-qO-", "http://web:8080/index.html"])
            assert got.output == "hi\n", got


class SwarmBench1(_ThreeServices):
    """Swarm benchmark, test 1 of 8."""


class SwarmBench2(_ThreeServices):
    """Swarm benchmark, test 2 of 8."""


class SwarmBench3(_ThreeServices):
    """Swarm benchmark, test 3 of 8."""


class SwarmBench4(_ThreeServices):
    """Swarm benchmark, test 4 of 8."""


class SwarmBench5(_ThreeServices):
    """Swarm benchmark, test 5 of 8."""


class SwarmBench6(_ThreeServices):
    """Swarm benchmark, test 6 of 8."""


class SwarmBench7(_ThreeServices):
    """Swarm benchmark, test 7 of 8."""


class SwarmBench8(_ThreeServices):
    """Swarm benchmark, test 8 of 8."""
