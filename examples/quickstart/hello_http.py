"""A web server, and a client that reaches it by its hostname."""

import urllib.request

from kurtosis_tui import Network, Test, checks

BUSYBOX = "kurtosis-tui/busybox:local"


class HelloHttp(Test):
    """One web server answers with the file it was given."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service(
            "web",
            image=BUSYBOX,
            command=["httpd", "-f", "-p", "8080", "-h", "/test-volume/services/web"],
            files={"index.html": "hello\n"},
            ready=checks.http(8080, "/index.html"),
        )

    def run(self, network: Network) -> None:
        # The test runs in the controller, on the test's network: "web" resolves.
        with urllib.request.urlopen("http://web:8080/index.html", timeout=5) as response:
            body = response.read().decode()
        print(f"web answered {body!r}")
        assert body == "hello\n"


class ClientServer(Test):
    """Two services talk over the test network: a client fetches from a server by name."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service(
            "server",
            image=BUSYBOX,
            command=["httpd", "-f", "-p", "80", "-h", "/test-volume/services/server"],
            files={"greeting.txt": "hi from the server\n"},
            ready=checks.tcp(80),
        )
        network.add_service("client", image=BUSYBOX, command=["sleep", "3600"])

    def run(self, network: Network) -> None:
        client = network.service("client")
        got = client.exec(["wget", "-qO-", "http://server/greeting.txt"])
        print(f"client got exit code {got.exit_code}: {got.output!r}")
        assert got.exit_code == 0, got.output
        assert got.output == "hi from the server\n"
