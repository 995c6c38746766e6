"""Timeouts and teardown, as contract.md promises them (written against the contract only)."""

import time

from kurtosis_tui import Network, Test, checks

BUSYBOX = "kurtosis-tui/busybox:local"


class DyingService(Test):
    """A service exits while its check is awaited: ERRORED at once, not after 300 s."""

    setup_timeout = 300

    def setup(self, network: Network) -> None:
        network.add_service(
            "doomed", image=BUSYBOX,
            command=["sh", "-c", "echo doomed is going down; sleep 1; exit 3"],
            ready=checks.tcp(8080),
        )


class NeverReady(Test):
    """A check that never holds: TIMED_OUT once setup_timeout (5 s) has passed."""

    setup_timeout = 5

    def setup(self, network: Network) -> None:
        network.add_service("mute", image=BUSYBOX, command=["sleep", "3600"],
                            ready=checks.tcp(8080))


class OverrunningRun(Test):
    """run() outlives run_timeout (3 s): TIMED_OUT."""

    run_timeout = 3

    def run(self, network: Network) -> None:
        print("overrunning on purpose")
        time.sleep(120)


class StubbornServices(Test):
    """Three services ignore SIGTERM; the test still ends (torn down) within 8 s."""

    setup_timeout = 30
    run_timeout = 30

    def setup(self, network: Network) -> None:
        for n in (1, 2, 3):
            network.add_service(
                f"stubborn-{n}", image=BUSYBOX,
                command=["sh", "-c", "trap '' TERM; echo ignoring TERM; "
                                     "while true; do sleep 1; done"],
                ready=checks.log("ignoring TERM"),
            )
