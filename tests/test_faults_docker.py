"""Faults mid-test on real Docker (contract section 5), with the scratch busybox image.

Each test is a real controller running a suite whose ``run()`` asserts what a
user would see from inside the test network; outside, the events, the log and
the engine say what was shown and what was left behind.
"""

from __future__ import annotations

import re

import pytest
from support.controller import Harness, busybox_image

from kurtosis_tui import events, protocol
from kurtosis_tui.events import Outcome

pytestmark = [pytest.mark.docker, pytest.mark.slow]
pytest_plugins = ("support.controller",)

COMMON = '''
import re
import time
import urllib.error
import urllib.request

from kurtosis_tui import FaultUnsupported, Network, Test, checks

BUSYBOX = {busybox!r}
PYTHON = {python!r}
HTTPD = ["httpd", "-f", "-p", "8080", "-h", "/test-volume/services"]
UDP_PROBE = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.7)
s.connect((sys.argv[1], 9))
for _ in range(2):
    try:
        s.send(b"x")
        s.recv(16)
        print("reply")
        break
    except ConnectionRefusedError:  # the port-unreachable answer came back: reached
        print("reached")
        break
    except socket.timeout:
        pass
else:
    print("lost")
"""


FLOOD = (  # UDP probes to a closed port of argv[1] for 3 s: how many came back refused
    "import socket, sys, time\\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.005)\\n"
    "s.connect((sys.argv[1], 9)); sent = answered = 0; end = time.monotonic() + 3\\n"
    "while time.monotonic() < end:\\n"
    "    sent += 1\\n"
    "    try:\\n"
    "        s.send(b'x'); s.recv(16)\\n"
    "    except ConnectionRefusedError: answered += 1\\n"
    "    except OSError: time.sleep(0.005)\\n"
    "print(f'answered {{answered}} of {{sent}}')\\n"
)


def tcp(src, dst):
    """src opens a TCP connection to dst's httpd (busybox nc, 1 s timeout)."""
    out = src.exec(["sh", "-c", f"echo | nc -w 1 {{dst.ip}} 8080 >/dev/null 2>&1 && echo ok"])
    return out.output.strip() == "ok"


def ping(src, dst):
    out = src.exec(["ping", "-c", "1", "-W", "1", dst.ip])
    return out.exit_code == 0


def udp(src, dst):
    return src.exec(["python3", "-c", UDP_PROBE, dst.ip]).output.strip() == "reached"


def answers(service, timeout=2.0):
    try:
        with urllib.request.urlopen(f"http://{{service.ip}}:8080/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def busybox(network, name):
    return network.add_service(name, image=BUSYBOX, command=HTTPD, ready=checks.tcp(8080))
'''

PARTITION = COMMON + '''

class PartitionHealBlock(Test):
    setup_timeout = 60
    run_timeout = 120

    def setup(self, network: Network) -> None:
        for name in ("a", "b", "c"):
            busybox(network, name)
        network.add_service("p", image=PYTHON, command=["sleep", "infinity"])

    def run(self, network: Network) -> None:
        a, b, c, p = (network.service(s) for s in ("a", "b", "c", "p"))
        assert tcp(b, a) and ping(b, a) and udp(p, a), "not connected before any fault"

        started = time.monotonic()
        network.partition({{"x": ["a"], "y": ["b", "c", "p"]}})
        print(f"partition took {{time.monotonic() - started:.3f}} s")
        assert not tcp(b, a), "b reaches a over TCP across the partition"
        assert not ping(b, a), "b pings a across the partition"
        assert not udp(p, a), "p reaches a over UDP across the partition"
        assert not tcp(a, b), "a reaches b over TCP across the partition"
        assert tcp(b, c) and ping(b, c) and udp(p, c), "b/p cannot reach c in their own group"
        # the controller reaches every side: exec (above), HTTP, logs
        assert answers(a) and answers(b)
        a.logs()

        # faults stay in force across restart, stop and start (a new namespace each time)
        b.restart(timeout=1)
        b.wait_ready(timeout=20)
        assert not tcp(b, a) and not ping(b, a), "the partition did not survive b's restart"
        assert tcp(b, c), "b lost c after its restart"
        a.stop(timeout=1)
        a.start()
        a.wait_ready(timeout=20)
        assert not tcp(b, a) and not tcp(a, c), "the partition did not survive a's stop/start"

        # a new partition replaces the old one atomically: p (in `default` in both) is cut
        # from a in both, and not one of its UDP probes gets an answer from a meanwhile
        flood = p.exec(["sh", "-c", 'python3 -c "$0" "$1" > /test-volume/flood &', FLOOD, a.ip])
        assert flood.exit_code == 0
        for _ in range(6):
            network.partition({{"x": ["a", "b"], "y": ["c"]}})
            network.partition({{"x": ["a"], "y": ["b", "c"]}})
        network.partition({{"x": ["a", "b"], "y": ["c"]}})
        assert tcp(b, a) and not tcp(c, a) and not tcp(b, c), "the new partition is not in force"
        deadline = time.monotonic() + 15
        while "answered" not in open("/test-volume/flood").read():
            assert time.monotonic() < deadline, "the UDP flood did not finish"
            time.sleep(0.2)
        flood_text = open("/test-volume/flood").read().strip()
        print("flood:", flood_text)
        assert flood_text.startswith("answered 0 of "), flood_text

        started = time.monotonic()
        network.heal()
        print(f"heal took {{time.monotonic() - started:.3f}} s")
        for src, dst in ((b, a), (a, b), (c, a), (b, c)):
            assert tcp(src, dst) and ping(src, dst), f"{{src.id}} cannot reach {{dst.id}}"
        assert udp(p, a), "UDP is still cut after heal"

        # block / unblock one pair, both ways, nothing else
        network.block("a", "b")
        assert not tcp(b, a) and not tcp(a, b) and not ping(b, a) and not ping(a, b)
        assert tcp(c, a) and tcp(c, b), "block cut more than its pair"
        b.restart(timeout=1)
        b.wait_ready(timeout=20)
        assert not tcp(b, a) and not tcp(a, b), "the block did not survive b's restart"
        network.unblock("a", "b")
        assert tcp(b, a) and tcp(a, b) and ping(b, a), "unblock did not restore the pair"

        try:
            network.set_delay("a", "b", ms=100)
            print("delay: supported")
        except FaultUnsupported as exc:
            print(f"delay: unsupported: {{exc}}")
        try:
            network.partition({{"x": ["a", "nope"]}})
            raise AssertionError("an unknown service id was accepted")
        except Exception as exc:
            print(f"unknown: {{exc}}")
        print("all good")
'''

LOSS_LIMIT_PAUSE = COMMON + '''

class Loss(Test):
    run_timeout = 120

    def setup(self, network: Network) -> None:
        busybox(network, "a")
        busybox(network, "b")

    def run(self, network: Network) -> None:
        a, b = network.service("a"), network.service("b")
        network.set_loss("a", "b", 0.5)
        out = b.exec(["ping", "-c", "100", "-i", "0.05", "-W", "2", a.ip]).output
        received = int(re.search(r"(\\d+) packets received", out).group(1))
        print(f"loss: {{100 - received}}% of 100 pings lost")
        assert 65 <= 100 - received <= 85, out
        network.set_loss("a", "b", 0)
        out = b.exec(["ping", "-c", "20", "-i", "0.05", "-W", "2", a.ip]).output
        assert " 20 packets received" in out, out


class Bandwidth(Test):
    run_timeout = 120

    def setup(self, network: Network) -> None:
        network.add_service("a", image=BUSYBOX, command=HTTPD,
                            files={{"big.bin": bytes(2_000_000)}}, ready=checks.tcp(8080))

    def run(self, network: Network) -> None:
        a = network.service("a")
        a.limit_bandwidth("1mbit")
        started = time.monotonic()
        with urllib.request.urlopen(f"http://{{a.ip}}:8080/a/big.bin", timeout=60) as page:
            size = len(page.read())
        seconds = time.monotonic() - started
        rate = size * 8 / seconds / 1e6
        print(f"bandwidth: {{size}} bytes in {{seconds:.2f}} s = {{rate:.3f}} Mbit/s")
        assert size == 2_000_000
        assert 0.75 <= rate <= 1.25, rate
        a.limit_bandwidth(None)
        started = time.monotonic()
        with urllib.request.urlopen(f"http://{{a.ip}}:8080/a/big.bin", timeout=60) as page:
            page.read()
        assert time.monotonic() - started < 8, "the limit was not lifted"  # 16 s at 1 Mbit/s


class Pause(Test):
    run_timeout = 60

    def setup(self, network: Network) -> None:
        busybox(network, "a")

    def run(self, network: Network) -> None:
        a = network.service("a")
        assert answers(a)
        a.pause()
        started = time.monotonic()
        assert not answers(a, timeout=2.0), "a paused service answered"
        print(f"pause: no answer within {{time.monotonic() - started:.2f}} s")
        a.restart(timeout=1)  # stays paused across a restart
        assert not answers(a, timeout=2.0), "the service answered after its restart"
        a.unpause()
        a.wait_ready(timeout=20)
        assert answers(a), "no answer after unpause()"
        a.pause()  # left paused: teardown removes it all the same


class KeptFailure(Test):
    def setup(self, network: Network) -> None:
        busybox(network, "a")
        busybox(network, "b")

    def run(self, network: Network) -> None:
        network.block("a", "b")
        network.service("a").pause()
        assert False, "keep them"


class NoFaults(Test):
    def setup(self, network: Network) -> None:
        busybox(network, "a")

    def run(self, network: Network) -> None:
        assert answers(network.service("a"))
'''


def _python_image(harness: Harness) -> str:
    for image in ("kurtosis-tui/base:bookworm", "python:3.11-slim"):
        if harness.backend.image_exists(image):
            return image
    raise AssertionError("no python3 image: run `make setup`")


def _suite(harness: Harness, source: str) -> None:
    harness.write(
        source.format(busybox=busybox_image(harness.backend), python=_python_image(harness))
    )


def _helpers_left(harness: Harness) -> list[str]:
    return [
        o.name
        for o in harness.backend.find_labelled(protocol.LABEL_RUN, harness.run_id)
        if o.kind == "container" and o.labels.get(protocol.LABEL_ROLE) == protocol.ROLE_FAULT_HELPER
    ]


def test_partition_heal_block_on_scratch_busybox(harness: Harness) -> None:
    _suite(harness, PARTITION)
    run = harness.run("PartitionHealBlock")
    assert run.outcome is Outcome.PASSED, run.describe()
    assert "| all good" in run.log
    assert "| delay: unsupported: delay is not supported by this engine's kernel: it lacks " \
        "the netem qdisc (sch_netem)" in run.log, run.log
    assert "| unknown: no service 'nope' in this test" in run.log
    # one log line and one event per change, each saying what changed for whom
    changes = run.of(events.FaultChanged)
    kinds = [e.change for e in changes]  # type: ignore[attr-defined]
    assert kinds[0] == "partition" and "heal" in kinds and "block" in kinds, kinds
    assert changes[0].services == {  # type: ignore[attr-defined]
        "a": "group x", "b": "group y", "c": "group y", "p": "group y",
    }
    assert len(re.findall(r"fault: (partition|heal|block|unblock)[ :]", run.log)) == len(kinds)
    assert re.search(r"fault: rules put back for service 'b'", run.log)
    assert _helpers_left(harness) == [], "the controller left fault helpers"


@pytest.mark.parametrize("test", ["Loss", "Bandwidth", "Pause"])
def test_loss_bandwidth_pause(harness: Harness, test: str) -> None:
    _suite(harness, LOSS_LIMIT_PAUSE)
    run = harness.run(test)
    assert run.outcome is Outcome.PASSED, run.describe()
    assert _helpers_left(harness) == [], "the controller left fault helpers"
    figure = re.search(r"\| (loss|bandwidth|pause): .*", run.log)
    assert figure, run.log
    print(figure.group(0))
    if test == "Pause":  # docker pause needs no helper
        assert "fault: helper" not in run.log
        assert [e.change for e in run.of(events.FaultChanged)] == [  # type: ignore[attr-defined]
            "pause", "unpause", "pause"
        ]


def test_a_test_without_faults_starts_no_helper(harness: Harness) -> None:
    _suite(harness, LOSS_LIMIT_PAUSE)
    run = harness.run("NoFaults")
    assert run.outcome is Outcome.PASSED, run.describe()
    assert "fault:" not in run.log and not run.of(events.FaultChanged)


def test_a_kept_failure_keeps_its_services_thawed_and_no_helper(harness: Harness) -> None:
    _suite(harness, LOSS_LIMIT_PAUSE)
    harness.keeps_services = True
    run = harness.run("KeptFailure", keep=True)
    assert run.outcome is Outcome.FAILED, run.describe()
    assert _helpers_left(harness) == [], "the controller left fault helpers"
    kept = [o for o in harness.backend.find_labelled(protocol.LABEL_RUN, harness.run_id)
            if o.kind == "container" and o.labels.get(protocol.LABEL_ROLE) == "service"]
    states = sorted(harness.backend.container_state(o.id).status for o in kept)
    assert states == ["running", "running"], states  # `a` thawed: docker exec works in it
