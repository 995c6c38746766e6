"""Figure 4's suite: three services whose processes ignore SIGTERM."""

from kurtosis_tui import Network, Test

DEFAULT_IMAGE = "kurtosis-tui/busybox:local"
IGNORE_TERM = "trap '' TERM; while :; do sleep 1; done"


class BenchStubbornTeardown(Test):
    """Teardown must not wait out a stop grace period per service."""

    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        image = self.params.get("image", DEFAULT_IMAGE)
        for service in ("stub-a", "stub-b", "stub-c"):
            network.add_service(service, image=image, command=["sh", "-c", IGNORE_TERM])

    def run(self, network: Network) -> None:
        pass
