"""One test per outcome and per promise of contract.md sections 1 and 2."""

from pathlib import Path

from kurtosis_tui import Network, Test, checks

BUSYBOX = "kurtosis-tui/busybox:local"


class Passes(Test):
    """A service gets its files, holds an HTTP check, and is reachable by hostname."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service(
            "web", image=BUSYBOX,
            command=["httpd", "-f", "-p", "8080", "-h", "/test-volume/services/web"],
            files={"index.html": "contract\n", "deep/er.txt": b"bytes\n"},
            ready=checks.http(8080, "/index.html"),
        )
        network.add_service("client", image=BUSYBOX, command=["sleep", "3600"])

    def run(self, network: Network) -> None:
        got = network.service("client").exec(["wget", "-qO-", "http://web:8080/deep/er.txt"])
        assert (got.exit_code, got.output) == (0, "bytes\n"), got


class FailsAssert(Test):
    """A failed assert in run(): FAILED, with what run() printed in the controller log."""

    def run(self, network: Network) -> None:
        print("about to fail: marker-5d1c")
        assert 1 == 2, "one is not two"


class SetupRaises(Test):
    """An exception in setup(): ERRORED."""

    def setup(self, network: Network) -> None:
        raise RuntimeError("setup broke on purpose")


class MissingImage(Test):
    """A service whose image does not exist: ERRORED."""

    def setup(self, network: Network) -> None:
        network.add_service("ghost", image="kurtosis-tui/no-such-image:local")


class UsesParams(Test):
    """Passes only when run with --param color=blue."""

    def run(self, network: Network) -> None:
        assert self.params.get("color") == "blue", f"params are {self.params}"


class Paths(Test):
    """The suite is read-only at /suite; the volume is at /test-volume in the controller
    and every service, with the controller's log and each service's directory."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("box", image=BUSYBOX, command=["sleep", "3600"],
                            files={"note.txt": "in the volume\n"})

    def run(self, network: Network) -> None:
        assert Path("/suite/outcomes.py").is_file()
        try:
            Path("/suite/written.txt").write_text("no")
        except OSError:
            pass
        else:
            raise AssertionError("/suite is writable")
        assert Path("/test-volume/controller.log").is_file()
        assert Path("/test-volume/services/box/note.txt").read_text() == "in the volume\n"
        got = network.service("box").exec(["cat", "/test-volume/services/box/note.txt"])
        assert got.output == "in the volume\n", got
        assert network.service("box").dir.rstrip("/") == "/test-volume/services/box"


class RestartsService(Test):
    """service.restart(): the service comes back and wait_ready() awaits its check again."""

    setup_timeout = 60
    run_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("phoenix", image=BUSYBOX,
                            command=["sh", "-c", "echo booted; exec sleep 3600"],
                            ready=checks.log("booted"))

    def run(self, network: Network) -> None:
        phoenix = network.service("phoenix")
        phoenix.restart(timeout=2)
        phoenix.wait_ready()
        got = phoenix.exec(["echo", "back"])
        assert got.output == "back\n", got
