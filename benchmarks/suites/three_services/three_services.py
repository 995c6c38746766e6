"""Figure 1's suite: three small TCP services and an empty run (pure overhead)."""

from kurtosis_tui import Network, Test, checks

DEFAULT_IMAGE = "kurtosis-tui/busybox:local"


class BenchThreeServices(Test):
    """Three busybox web servers, each awaited on TCP; run() does nothing."""

    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        image = self.params.get("image", DEFAULT_IMAGE)
        for service in ("svc-a", "svc-b", "svc-c"):
            network.add_service(service, image=image, command=["httpd", "-f", "-p", "8080"],
                                ready=checks.tcp(8080))

    def run(self, network: Network) -> None:
        pass
