"""Tests that do what real suites (and hostile services) do to the tool.

Run by tests/test_hostile.py, one or a few at a time (``-t``).
"""

import base64
import os
import time

from kurtosis_tui import Network, Test, checks
from kurtosis_tui.errors import ServiceError

BUSYBOX = "kurtosis-tui/busybox:local"
SLEEPER = ["sleep", "3600"]


class NamesHTTP(Test):
    """A service called controller; a sibling test whose name differs only by case."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("controller", image=BUSYBOX, command=SLEEPER)

    def run(self, network: Network) -> None:
        out = network.service("controller").exec(["echo", "I am the controller service"])
        assert out.exit_code == 0 and "controller service" in out.output


class NamesHttp(NamesHTTP):
    """The same, under a name that only letter case tells from NamesHTTP."""


class Unencodable(Test):
    """A lone surrogate and U+FFFE in what the test prints and in its failure message."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service(
            "odd", image=BUSYBOX,
            command=["sh", "-c", r"printf 'bytes \351\377 from odd\n'; exec sleep 3600"],
            ready=checks.log("from odd"),
        )

    def run(self, network: Network) -> None:
        print(os.fsdecode(b"surrogate \xe9 here"))
        print("after-the-surrogate: still logged")
        raise AssertionError("bad \udce9 and \ufffe in the message")


class AnonVolume(Test):
    """A service from an image that declares VOLUME /data (as redis and postgres do)."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("db", image="kurtosis-tui/volume-image:local", command=SLEEPER)

    def run(self, network: Network) -> None:
        import docker  # the controller's own SDK: to name the anonymous volume

        mounts = docker.from_env().api.inspect_container(network.service("db").container)
        anon = [m["Name"] for m in mounts["Mounts"] if m.get("Destination") == "/data"]
        raise AssertionError(f"anonymous volume: {anon[0]}")


class Vandal(Test):
    """A root service that rewrites controller.log, plants a symlink and reads params."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service(
            "vandal", image=BUSYBOX,
            command=["sh", "-c", (
                "rm -f /test-volume/controller.log; "
                "echo 'outcome: PASSED (forged by vandal)' > /test-volume/controller.log; "
                "mkdir -p /test-volume/services; ln -s /etc /test-volume/services/victim; "
                "touch /test-volume/vandal-done; exec sleep 3600"
            )],
            ready=checks.command(["test", "-e", "/test-volume/vandal-done"]),
        )
        network.service("vandal").wait_ready()
        try:
            network.add_service("victim", image=BUSYBOX, command=SLEEPER,
                                files={"planted.txt": "written through a symlink\n"})
        except ServiceError as exc:
            print(f"refused: {exc}")

    def run(self, network: Network) -> None:
        print(f"planted in /etc: {os.path.exists('/etc/planted.txt')}")
        raise AssertionError("vandal-test-ends-here")


class Secretive(Test):
    """Prints its secret every way a test and its services can."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        token = self.params["token"]
        network.add_service("echoer", image=BUSYBOX, env={"TOKEN": token},
                            command=["sh", "-c", 'echo "service says $TOKEN"; '
                                     'echo "b64 service says $(printf u:%s "$TOKEN" | base64)"; '
                                     'exec sleep 3600'],
                            ready=checks.log("service says"))

    def run(self, network: Network) -> None:
        token = self.params["token"]
        print(f"print says {token}")
        for before in ("", "a", "ab"):  # each alignment to base64's 3-byte groups
            print(f"b64 print says {base64.b64encode((before + token).encode()).decode()}")
        os.write(1, f"raw stdout says {token}\n".encode())  # past the controller's capture
        echoer = network.service("echoer")
        print(echoer.exec(["sh", "-c", "echo exec says $TOKEN"]).output.strip())
        seen = echoer.exec(["cat", "/test-volume/controller.log"]).output  # what a service reads
        color = self.params["color"]
        print(f"the volume's log names {color}: {color in seen}")
        print(f"the volume's log names the secret: {token in seen}")
        raise AssertionError(f"message says {token}")


class Floods(Test):
    """1 MiB lines, then 32 MiB without a newline, from the test and from a service."""

    setup_timeout = 60

    def setup(self, network: Network) -> None:
        network.add_service("flood", image=BUSYBOX, command=["sh", "-c", (
            "head -c 33554432 /dev/zero | tr '\\0' y; echo; touch /tmp/flood-done; "
            "exec sleep 3600"
        )], ready=checks.command(["test", "-e", "/tmp/flood-done"]))

    def run(self, network: Network) -> None:
        started = time.monotonic()
        for _ in range(3):
            print("m" * (1 << 20))
        os.write(1, b"z" * (32 << 20))  # no newline, straight to stdout
        os.write(1, b"\n")
        print(f"flood written in {time.monotonic() - started:.1f} s")
        raise AssertionError("floods-end")
