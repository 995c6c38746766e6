"""A TCP echo server, checked by port, exercised through a client container."""

from kurtosis_tui import Network, Test, checks

BUSYBOX = "kurtosis-tui/busybox:local"


class TcpEcho(Test):
    """An echo server holds a TCP check, then echoes what a client sends."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        # -ll -e cat: a persistent server that runs `cat` on each connection.
        network.add_service(
            "echo", image=BUSYBOX, command=["nc", "-ll", "-p", "7000", "-e", "cat"],
            ready=checks.tcp(7000),
        )
        network.add_service("client", image=BUSYBOX, command=["sleep", "3600"])

    def run(self, network: Network) -> None:
        word = self.params.get("word", "ping")
        got = network.service("client").exec(
            ["sh", "-c", f"echo {word} | nc -w 2 echo 7000"]
        )
        print(f"echo answered {got.output!r}")
        assert got.exit_code == 0, got.output
        assert got.output.strip() == word
