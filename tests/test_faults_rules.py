"""The faults' rules, without Docker: what each service's helper installs.

The netem commands are checked here because this machine's kernel has no
sch_netem: ``set_delay`` raises FaultUnsupported on it (tests/test_faults_docker.py).
"""

from __future__ import annotations

import pytest

from kurtosis_tui import events
from kurtosis_tui.api import fault_rules as fr

IPS = {"a": "10.0.0.2", "b": "10.0.0.3", "c": "10.0.0.4"}


def test_partition_drops_every_other_group_both_ways_and_unnamed_join_default() -> None:
    state = fr.FaultState(groups={"a": "x", "b": "y"})
    assert state.group_of("c") == fr.DEFAULT_GROUP
    rules = fr.rules_for(state, "a", IPS)
    assert rules.drop == ("10.0.0.3", "10.0.0.4")
    script = fr.iptables_script(rules, install_jumps=False)
    assert "-A KT-FAULTS -s 10.0.0.3/32 -j DROP" in script
    assert "-A KT-FAULTS -d 10.0.0.3/32 -j DROP" in script
    assert fr.rules_for(fr.FaultState(groups={"a": "x", "b": "x"}), "a", IPS).drop == (
        "10.0.0.4",
    )


def test_one_transaction_flushes_and_refills_the_chain_jumps_only_when_new() -> None:
    rules = fr.rules_for(fr.FaultState(blocked={("a", "b")}), "b", IPS)
    first = fr.iptables_script(rules, install_jumps=True).splitlines()
    assert first[:2] == ["*filter", ":KT-FAULTS - [0:0]"] and first[-1] == "COMMIT"
    assert "-I INPUT 1 -j KT-FAULTS" in first and "-I OUTPUT 1 -j KT-FAULTS" in first
    later = fr.iptables_script(rules, install_jumps=False)
    assert "INPUT" not in later and "-s 10.0.0.2/32 -j DROP" in later
    empty = fr.iptables_script(fr.Rules(), install_jumps=False)
    assert empty == "*filter\n:KT-FAULTS - [0:0]\nCOMMIT\n"  # lifting = an empty chain


def test_loss_is_on_one_side_each_way_with_the_probability_asked() -> None:
    state = fr.FaultState(loss={fr.pair("b", "a"): 0.5})
    a, b = fr.rules_for(state, "a", IPS), fr.rules_for(state, "b", IPS)
    assert a.loss == (("10.0.0.3", 0.5),) and b.loss == ()
    script = fr.iptables_script(a, install_jumps=False)
    assert "-s 10.0.0.3/32 -m statistic --mode random --probability 0.500000 -j DROP" in script
    assert "-d 10.0.0.3/32 -m statistic --mode random --probability 0.500000 -j DROP" in script


def test_netem_delay_tree_for_kernels_that_have_it() -> None:
    state = fr.FaultState(delay={fr.pair("a", "b"): 100, fr.pair("a", "c"): 20},
                          limits={"a": "1mbit"})
    rules = fr.rules_for(state, "a", IPS)
    assert rules.delay == (("10.0.0.3", 100), ("10.0.0.4", 20)) and rules.rate == "1mbit"
    assert fr.tc_commands(rules, "eth0") == [
        "tc qdisc del dev eth0 root",
        "tc qdisc add dev eth0 root handle 1: htb default 2",
        "tc class add dev eth0 parent 1: classid 1:1 htb rate 1mbit ceil 1mbit",
        "tc class add dev eth0 parent 1:1 classid 1:2 htb rate 1mbit ceil 1mbit",
        "tc class add dev eth0 parent 1:1 classid 1:10 htb rate 1mbit ceil 1mbit",
        "tc qdisc add dev eth0 parent 1:10 handle 10: netem delay 100ms",
        "tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.3/32 "
        "flowid 1:10",
        "tc class add dev eth0 parent 1:1 classid 1:11 htb rate 1mbit ceil 1mbit",
        "tc qdisc add dev eth0 parent 1:11 handle 11: netem delay 20ms",
        "tc filter add dev eth0 parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.4/32 "
        "flowid 1:11",
    ]
    # the other side delays its own egress to a: each way gets the delay
    assert fr.rules_for(state, "b", IPS).delay == (("10.0.0.2", 100),)
    unlimited = fr.tc_commands(fr.rules_for(fr.FaultState(delay={("a", "b"): 5}), "b", IPS), "e")
    assert "tc class add dev e parent 1: classid 1:1 htb rate 10gbit ceil 10gbit" in unlimited


def test_a_limit_alone_is_one_tbf_and_lifting_removes_the_root() -> None:
    rules = fr.Rules(rate="1mbit")
    assert fr.tc_commands(rules, "eth0")[1] == (
        "tc qdisc add dev eth0 root tbf rate 1mbit burst 16000b latency 200ms"
    )
    assert fr.tc_commands(fr.Rules(), "eth0") == ["tc qdisc del dev eth0 root"]
    script = fr.tc_script(rules, "10.0.0.2").splitlines()
    assert script[0].startswith("dev=$(ip -o -4 addr show | awk -v ip=10.0.0.2 ")
    assert script[2:4] == ["tc qdisc del dev $dev root 2>/dev/null", "set -e"]
    assert script[4].startswith("tc qdisc add dev $dev root tbf rate 1mbit")


@pytest.mark.parametrize(("rate", "bits"), [("1mbit", 1_000_000), ("500kbit", 500_000),
                                            ("2mbps", 16_000_000), ("1.5Mbit", 1_500_000)])
def test_rates_in_tc_units(rate: str, bits: int) -> None:
    assert fr.parse_rate(rate) == bits


@pytest.mark.parametrize("rate", ["fast", "1 mbit/s", "0mbit", "-1kbit", ""])
def test_bad_rates_say_what_a_rate_looks_like(rate: str) -> None:
    with pytest.raises(ValueError, match="is not a rate like '1mbit'"):
        fr.parse_rate(rate)


def test_the_services_panel_summary() -> None:
    state = fr.FaultState(groups={"a": "x"}, blocked={("a", "b")}, loss={("a", "c"): 0.3},
                          limits={"a": "1mbit"}, paused={"a"})
    assert state.summary("a") == "group x, blocks b, loss c 30%, limit 1mbit, paused"
    assert state.summary("b") == "group default, blocks a"
    assert fr.FaultState().summary("a") == ""


def test_kernel_support_from_the_probe_names_what_is_missing() -> None:
    out = "iptables=ok\nstatistic=ok\ntbf=ok\nhtb=ok\nu32=ok\nnetem=missing\n"
    support = fr.support_from_probe(out)
    assert support["delay"] == "the netem qdisc (sch_netem)"
    assert support["partition"] == support["loss"] == support["bandwidth"] == ""
    assert fr.decode_support(fr.encode_support(support)) == support
    assert fr.decode_support("") is None and fr.decode_support("partition=") is None
    half = fr.support_from_probe("iptables=ok\n")  # a probe that died proves nothing more
    assert half["partition"] == "" and "sch_tbf" in half["bandwidth"]


def test_fault_changed_crosses_the_wire() -> None:
    sent = events.FaultChanged("T", change="partition", detail="partition x: a",
                               services={"a": "group x", "b": ""})
    got = events.from_wire(events.to_wire(sent), test="T", attempt=1)
    assert isinstance(got, events.FaultChanged)
    assert got.services == {"a": "group x", "b": ""} and got.change == "partition"


class _Engine:
    """A backend that can only ping, say whether the helper image exists, and count probes."""

    engine_socket = "/var/run/docker.sock"

    def __init__(self, output: str) -> None:
        self.output, self.probes = output, 0

    def ping(self) -> str:
        return "20.10.24"

    def image_exists(self, image: str) -> bool:
        return True

    def run_container(self, spec: object) -> object:
        from kurtosis_tui.backend.types import ContainerState

        self.probes += 1
        return ContainerState("id1", "probe", "exited", 0, "")

    def wait_container(self, container: str, timeout: float) -> int:
        return 0

    def logs(self, container: str, tail: int | None = None) -> str:
        return self.output

    def remove_container(self, container: str) -> None:
        pass


def test_the_engine_probes_once_per_engine_and_remembers(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kurtosis_tui.engine.fault_support import engine_fault_support

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    engine = _Engine("iptables=ok\nstatistic=ok\ntbf=ok\nhtb=ok\nu32=ok\nnetem=missing\n")
    first = engine_fault_support(engine, {}, "probe")  # type: ignore[arg-type]
    again = engine_fault_support(engine, {}, "probe")  # type: ignore[arg-type]
    assert first == again and first is not None and "sch_netem" in first["delay"]
    assert engine.probes == 1
    engine_fault_support(engine, {}, "probe", fresh=True)  # type: ignore[arg-type]
    assert engine.probes == 2  # doctor probes afresh


def test_fault_changed_is_kept_in_the_history() -> None:
    from kurtosis_tui.history import codec

    sent = events.FaultChanged("T", change="block", detail="block a <-> b",
                               services={"a": "blocks b", "b": "blocks a"})
    assert codec.decode(codec.encode(sent)) == sent
