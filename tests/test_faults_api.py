"""The faults' API on a fake backend: validation, helpers started only when needed,
one exec per change, rules put back after a restart, events and log lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.api import FakeBackend, make_network

from kurtosis_tui import FaultUnsupported, events, protocol
from kurtosis_tui.api import fault_rules as fr
from kurtosis_tui.errors import ServiceError

SUPPORT = fr.support_from_probe("iptables=ok\nstatistic=ok\ntbf=ok\nhtb=ok\nu32=ok\n")


def network(tmp_path: Path):  # type: ignore[no-untyped-def]
    backend = FakeBackend(images=("img:1", protocol.FAULT_IMAGE))
    net, backend, rec, _ = make_network(tmp_path, backend, fault_support=SUPPORT)
    for sid in ("a", "b", "c"):
        net.add_service(sid, image="img:1")
    return net, backend, rec


def helpers(backend: FakeBackend) -> dict[str, object]:
    return {c.spec.labels[protocol.LABEL_SERVICE]: c for c in backend.containers.values()
            if c.spec.labels[protocol.LABEL_ROLE] == protocol.ROLE_FAULT_HELPER}


def test_no_fault_no_helper_and_services_never_get_net_admin(tmp_path: Path) -> None:
    net, backend, _ = network(tmp_path)
    net.service("a").restart()
    assert helpers(backend) == {}
    assert all(c.spec.cap_add == () and c.spec.network_mode is None
               for c in backend.containers.values())


def test_block_starts_helpers_for_the_pair_only_in_their_namespaces(tmp_path: Path) -> None:
    net, backend, rec = network(tmp_path)
    scripts: list[str] = []
    backend.exec_fn = lambda c, cmd: (scripts.append(cmd[2 + 2]), fr_ok())[1]  # type: ignore[assignment]
    net.block("a", "b")
    found = helpers(backend)
    assert sorted(found) == ["a", "b"]
    a = net.service("a")
    spec = found["a"].spec  # type: ignore[attr-defined]
    assert spec.network_mode == f"container:{a.container_id}" and spec.cap_add == ("NET_ADMIN",)
    assert spec.image == protocol.FAULT_IMAGE and spec.network is None
    assert spec.labels[protocol.LABEL_RUN] == "r1" and spec.labels[protocol.LABEL_ATTEMPT] == "2"
    assert len(scripts) == 2 and all("-I INPUT 1 -j KT-FAULTS" in s for s in scripts)
    scripts.clear()
    net.unblock("a", "b")  # one exec per helper, no new helper, no jumps again
    assert sorted(helpers(backend)) == ["a", "b"] and len(scripts) == 2
    assert all("INPUT" not in s and "DROP" not in s for s in scripts)
    assert "fault: block a <-> b" in rec.lines and "fault: unblock a <-> b" in rec.lines
    changed = [e for e in rec.events if isinstance(e, events.FaultChanged)]
    assert [(e.change, e.services) for e in changed] == [
        ("block", {"a": "blocks b", "b": "blocks a"}), ("unblock", {"a": "", "b": ""}),
    ]


def fr_ok():  # type: ignore[no-untyped-def]
    from kurtosis_tui.backend.types import ExecOutput

    return ExecOutput(0, "")


def test_a_restart_makes_the_helper_again_and_puts_the_rules_back(tmp_path: Path) -> None:
    net, backend, rec = network(tmp_path)
    net.partition({"x": ["a"]})
    old = helpers(backend)["a"].id  # type: ignore[attr-defined]
    net.service("a").restart()
    assert old not in backend.containers and helpers(backend)["a"].id != old  # type: ignore[attr-defined]
    assert "fault: rules put back for service 'a' (new namespace)" in rec.lines
    net.remove_service("a")
    assert "a" not in helpers(backend)


def test_pause_needs_no_helper_and_survives_a_restart(tmp_path: Path) -> None:
    net, backend, _ = network(tmp_path)
    calls: list[str] = []
    backend.pause_container = lambda ref: calls.append("pause")  # type: ignore[attr-defined]
    backend.unpause_container = lambda ref: calls.append("unpause")  # type: ignore[attr-defined]
    a = net.service("a")
    a.pause()
    a.restart()  # thawed for the stop, frozen again once started
    a.unpause()
    assert calls == ["pause", "unpause", "pause", "unpause"] and helpers(backend) == {}


@pytest.mark.parametrize(("call", "message"), [
    (lambda n: n.partition({"x": ["a", "nope"]}), "no service 'nope' in this test"),
    (lambda n: n.partition({"x": ["a"], "y": ["a"]}), "service 'a' is in two groups"),
    (lambda n: n.partition({"x": "ab"}), "must list service ids"),
    (lambda n: n.block("a", "a"), "a service with itself"),
    (lambda n: n.set_loss("a", "b", 1.5), "probability must be between 0 and 1"),
    (lambda n: n.set_delay("a", "b", ms=-1), "ms must be an int >= 0"),
    (lambda n: n.service("a").limit_bandwidth("fast"), "is not a rate like '1mbit'"),
])
def test_bad_fault_calls_are_errors_naming_the_culprit(tmp_path: Path, call, message) -> None:  # type: ignore[no-untyped-def]
    net, backend, _ = network(tmp_path)
    with pytest.raises(ServiceError, match=message):
        call(net)
    assert helpers(backend) == {}


def test_what_the_kernel_lacks_raises_fault_unsupported(tmp_path: Path) -> None:
    net, backend, _ = network(tmp_path)
    with pytest.raises(FaultUnsupported, match=r"delay .* lacks the netem qdisc \(sch_netem\)"):
        net.set_delay("a", "b", ms=100)
    assert helpers(backend) == {}
