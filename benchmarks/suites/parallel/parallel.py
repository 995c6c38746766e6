"""Figure 3's suite: eight tests of one small service and ~2 s of run() each."""

import time

from kurtosis_tui import Network, Test, checks

DEFAULT_IMAGE = "kurtosis-tui/busybox:local"


class _Sleeper:
    """One busybox web server, awaited on TCP; run() takes two seconds. A mixin, not a
    Test: every Test subclass a suite file defines is a test."""

    params: dict[str, str]

    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        image = self.params.get("image", DEFAULT_IMAGE)
        network.add_service("web", image=image, command=["httpd", "-f", "-p", "8080"],
                            ready=checks.tcp(8080))

    def run(self, network: Network) -> None:
        time.sleep(2)  # the test's own work, not synchronisation


class BenchParallel1(_Sleeper, Test):
    """Parallel scaling, test 1 of 8."""


class BenchParallel2(_Sleeper, Test):
    """Parallel scaling, test 2 of 8."""


class BenchParallel3(_Sleeper, Test):
    """Parallel scaling, test 3 of 8."""


class BenchParallel4(_Sleeper, Test):
    """Parallel scaling, test 4 of 8."""


class BenchParallel5(_Sleeper, Test):
    """Parallel scaling, test 5 of 8."""


class BenchParallel6(_Sleeper, Test):
    """Parallel scaling, test 6 of 8."""


class BenchParallel7(_Sleeper, Test):
    """Parallel scaling, test 7 of 8."""


class BenchParallel8(_Sleeper, Test):
    """Parallel scaling, test 8 of 8."""
