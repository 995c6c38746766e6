"""Figures 9 and 10's suite: twenty small TCP services and an empty run."""

from kurtosis_tui import Network, Test, checks

DEFAULT_IMAGE = "kurtosis-tui/busybox:local"
SERVICES = 20


class BenchTwentyServices(Test):
    """Twenty busybox web servers, each awaited on TCP; run() does nothing."""

    setup_timeout = 120
    run_timeout = 60

    def setup(self, network: Network) -> None:
        image = self.params.get("image", DEFAULT_IMAGE)
        for n in range(1, SERVICES + 1):
            network.add_service(f"svc-{n:02d}", image=image,
                                command=["httpd", "-f", "-p", "8080"], ready=checks.tcp(8080))

    def run(self, network: Network) -> None:
        pass
