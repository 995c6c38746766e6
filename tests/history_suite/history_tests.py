"""Tests whose runs the history keeps: one passes, one fails after its service
logged, one fails on odd attempts (a flaky test that is flaky on purpose)."""

import os

from kurtosis_tui import Network, Test, checks

BUSYBOX = "kurtosis-tui/busybox:local"


class Steady(Test):
    """Passes, with a web server."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service(
            "web",
            image=BUSYBOX,
            command=["httpd", "-f", "-v", "-p", "8080", "-h", "/test-volume/services/web"],
            files={"index.html": "hello\n"},
            ready=checks.http(8080, "/index.html"),
        )

    def run(self, network: Network) -> None:
        out = network.service("web").exec(["cat", "/test-volume/services/web/index.html"])
        assert out.output == "hello\n"


class Broken(Test):
    """Fails after its service logged 300 numbered lines."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service(
            "talker",
            image=BUSYBOX,
            command=["sh", "-c", "for i in $(seq 1 300); do echo talker line $i; done; "
                     "echo talker done; sleep 3600"],
            ready=checks.log("talker done"),
        )

    def run(self, network: Network) -> None:
        print("about to fail on purpose")
        assert 1 + 1 == 3, "one and one are not three"


class Flaky(Test):
    """With ``--param flaky=1``: fails on odd attempts, passes on even ones.

    The attempt number is the counter (the controller's ``KT_ATTEMPT``): a host
    folder is not visible inside the controller's container.
    """

    setup_timeout = 30
    run_timeout = 30

    def setup(self, network: Network) -> None:
        pass

    def run(self, network: Network) -> None:
        attempt = int(os.environ.get("KT_ATTEMPT", "1"))
        print(f"attempt {attempt}")
        if self.params.get("flaky") == "1":
            assert attempt % 2 == 0, f"attempt {attempt} is odd"
