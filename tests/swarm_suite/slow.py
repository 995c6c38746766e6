"""Tests that take a while, for the swarm tests: one node's engine is stopped under them."""

import os
import time

from kurtosis_tui import Network, Test

BUSYBOX = "kurtosis-tui/busybox:local"


def _setup(network: Network) -> None:
    network.add_service("box", image=BUSYBOX, command=["sleep", "3600"])


def _run(network: Network, seconds: float) -> None:
    time.sleep(seconds)
    assert network.service("box").exec(["true"]).exit_code == 0


class SlowOne(Test):
    """Runs for a while (KT_SLOW seconds, param ``seconds``)."""

    setup_timeout = 60
    run_timeout = 120

    def setup(self, network: Network) -> None:
        _setup(network)

    def run(self, network: Network) -> None:
        _run(network, float(self.params.get("seconds", os.environ.get("KT_SLOW", "20"))))


class SlowTwo(SlowOne):
    """Runs for a while."""


class SlowThree(SlowOne):
    """Runs for a while."""
