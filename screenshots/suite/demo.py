"""Three tests for the README's screenshots: a slow start, a failure, a chatty service."""

import time
import urllib.request

from kurtosis_tui import Network, Test, checks

BUSYBOX = "kurtosis-tui/busybox:local"


def httpd(port: int, folder: str, warmup: float = 0.0) -> list[str]:
    """An httpd that logs requests, after ``warmup`` seconds of saying so."""
    script = (f"echo 'warming up ({warmup:g} s)'; sleep {warmup}; "
              f"echo 'listening on :{port}'; exec httpd -f -vv -p {port} -h {folder}")
    return ["sh", "-c", script]


class SlowStart(Test):
    """A web server that warms up for a few seconds before it answers."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service("cache", image=BUSYBOX, command=httpd(6379, "/tmp"),
                            ready=checks.tcp(6379))
        network.add_service("web", image=BUSYBOX,
                            command=httpd(8080, "/test-volume/services/web", warmup=6),
                            files={"index.html": "hello\n"},
                            ready=checks.http(8080, "/index.html"))

    def run(self, network: Network) -> None:
        with urllib.request.urlopen("http://web:8080/index.html", timeout=5) as response:
            body = response.read().decode()
        print(f"web answered {body!r}")
        assert body == "hello\n"


class WrongGreeting(Test):
    """The server answers, but not with what the client expects."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        network.add_service("web", image=BUSYBOX,
                            command=httpd(8080, "/test-volume/services/web", warmup=1),
                            files={"index.html": "bye\n"},
                            ready=checks.http(8080, "/index.html"))

    def run(self, network: Network) -> None:
        for attempt in range(3):
            with urllib.request.urlopen("http://web:8080/index.html", timeout=5) as response:
                body = response.read().decode()
            print(f"attempt {attempt + 1}: web answered {body!r}")
        assert body == "hello\n", f"expected 'hello', got {body!r}"


class ChattyWorker(Test):
    """A worker that logs steadily while a client polls it."""

    setup_timeout = 60
    run_timeout = 30

    def setup(self, network: Network) -> None:
        loop = ("i=0; while true; do i=$((i+1)); "
                "echo \"worker: processed job $i in 0.$((i % 9))s\"; sleep 0.2; done")
        network.add_service("worker", image=BUSYBOX, command=["sh", "-c", loop],
                            ready=checks.log(r"processed job 3\b"))

    def run(self, network: Network) -> None:
        for poll in range(24):  # long enough for CPU and memory to show (2 s rounds)
            out = network.service("worker").exec(["sh", "-c", "echo alive"])
            print(f"poll {poll + 1}: worker says {out.output.strip()!r}")
            assert out.exit_code == 0
            time.sleep(0.5)
