"""Figure 8's suite: how long fault calls take, as a test sees them."""

import time

from kurtosis_tui import Network, Test

DEFAULT_IMAGE = "kurtosis-tui/busybox:local"
LATER = 24


def timed(kind: str, call) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    call()
    print(f"bench-fault {kind} {time.monotonic() - started:.4f}")


class BenchFaults(Test):
    """The first fault on a service starts its helper; later ones are one exec each."""

    setup_timeout = 60
    run_timeout = 120

    def setup(self, network: Network) -> None:
        image = self.params.get("image", DEFAULT_IMAGE)
        for service in ("a", "b", "c"):
            network.add_service(service, image=image, command=["sleep", "600"])

    def run(self, network: Network) -> None:
        timed("first", lambda: network.block("a", "b"))  # two helpers, side by side
        timed("first", lambda: network.service("c").limit_bandwidth("10mbit"))  # one
        later = [
            lambda: network.unblock("a", "b"),
            lambda: network.block("a", "b"),
            lambda: network.set_loss("a", "c", 0.2),
            lambda: network.set_loss("a", "c", 0),
            lambda: network.partition({"x": ["a"], "y": ["b", "c"]}),
            lambda: network.partition({"x": ["a", "b"], "y": ["c"]}),
            lambda: network.service("c").limit_bandwidth("5mbit"),
            lambda: network.heal(),
        ]
        for i in range(LATER):
            timed("later", later[i % len(later)])
