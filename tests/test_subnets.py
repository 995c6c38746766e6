"""The subnet pool: skips used subnets, survives overlap races, says when it is empty."""

from __future__ import annotations

import ipaddress
import threading
from ipaddress import IPv4Network

import pytest

from kurtosis_tui.backend import NetworkInfo
from kurtosis_tui.engine.subnets import POOL_ENV, SubnetPool, SubnetsExhausted, pool_from_env
from kurtosis_tui.errors import BackendError, UsageError


def net(text: str) -> IPv4Network:
    return ipaddress.IPv4Network(text)


class FakeNetworks:
    """Just the network calls of a Backend; ``taken_behind_our_back`` simulates another run."""

    def __init__(self, used: list[str] = (), taken_behind_our_back: list[str] = ()) -> None:
        self.used = [net(u) for u in used]
        self.racy = {net(t) for t in taken_behind_our_back}
        self.created: list[IPv4Network] = []
        self.lock = threading.Lock()

    def used_subnets(self) -> list[IPv4Network]:
        with self.lock:
            return list(self.used)

    def create_network(self, name: str, *, labels: dict[str, str],
                       subnet: IPv4Network) -> NetworkInfo:
        with self.lock:
            if subnet in self.racy:
                self.used.append(subnet)
                raise BackendError(f"cannot create network {name} ({subnet}): "
                                   "Pool overlaps with other one on this address space")
            self.created.append(subnet)
            self.used.append(subnet)
        return NetworkInfo(name, "id", subnet, str(next(subnet.hosts())))


def test_skips_subnets_that_existing_networks_use() -> None:
    backend = FakeNetworks(used=["172.30.0.0/24", "172.30.2.0/23", "10.0.0.0/8"])
    pool = SubnetPool(backend, net("172.30.0.0/16"))  # type: ignore[arg-type]
    assert pool.acquire() == net("172.30.1.0/24")
    assert pool.acquire() == net("172.30.4.0/24")  # 2.0/23 covers 2 and 3


def test_held_subnets_are_not_handed_out_twice_until_released() -> None:
    pool = SubnetPool(FakeNetworks(), net("172.30.0.0/22"))  # type: ignore[arg-type]
    got = [pool.acquire() for _ in range(4)]
    assert len(set(got)) == 4
    with pytest.raises(SubnetsExhausted):
        pool.acquire()
    pool.release(got[2])
    assert pool.acquire() == got[2]


def test_concurrent_acquires_get_distinct_subnets() -> None:
    pool = SubnetPool(FakeNetworks(), net("172.30.0.0/16"))  # type: ignore[arg-type]
    got: list[IPv4Network] = []
    lock = threading.Lock()

    def grab() -> None:
        subnet = pool.acquire()
        with lock:
            got.append(subnet)

    threads = [threading.Thread(target=grab) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 32


def test_an_overlap_from_another_run_moves_on_to_the_next_subnet() -> None:
    backend = FakeNetworks(taken_behind_our_back=["172.30.0.0/24", "172.30.1.0/24"])
    pool = SubnetPool(backend, net("172.30.0.0/16"))  # type: ignore[arg-type]
    info = pool.create_network("kt-x", {})
    assert info.subnet == net("172.30.2.0/24")
    assert backend.created == [net("172.30.2.0/24")]


def test_other_create_errors_are_not_retried() -> None:
    class Broken(FakeNetworks):
        def create_network(self, name: str, *, labels: dict[str, str],
                           subnet: IPv4Network) -> NetworkInfo:
            raise BackendError("cannot create network: permission denied")

    pool = SubnetPool(Broken(), net("172.30.0.0/16"))  # type: ignore[arg-type]
    with pytest.raises(BackendError, match="permission denied"):
        pool.create_network("kt-x", {})
    assert pool.acquire() == net("172.30.0.0/24")  # the failed attempt's subnet was released


def test_exhaustion_says_what_to_do() -> None:
    backend = FakeNetworks(used=["172.30.0.0/16"])
    pool = SubnetPool(backend, net("172.30.0.0/16"))  # type: ignore[arg-type]
    with pytest.raises(UsageError) as info:
        pool.create_network("kt-x", {})
    text = str(info.value)
    assert "172.30.0.0/16" in text and "kurtosis-tui clean" in text and POOL_ENV in text


def test_pool_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POOL_ENV, raising=False)
    assert pool_from_env() == net("172.30.0.0/16")
    monkeypatch.setenv(POOL_ENV, "10.99.0.0/20")
    assert pool_from_env() == net("10.99.0.0/20")
    for bad in ("banana", "fd00::/64", "10.0.0.0/30"):
        monkeypatch.setenv(POOL_ENV, bad)
        with pytest.raises(UsageError, match=POOL_ENV):
            pool_from_env()


@pytest.mark.docker
def test_real_networks_skip_a_subnet_already_in_use() -> None:
    from kurtosis_tui.backend.docker_backend import DockerBackend

    backend = DockerBackend()
    labels = {"kurtosis-tui.run": "engine-subnet-test"}
    pool = SubnetPool(backend, net("172.29.240.0/22"))
    blocker = pool.create_network("kt-engine-subnet-test-a", labels)
    # A second pool (another run) does not know about the first one's subnet ...
    other = SubnetPool(backend, net("172.29.240.0/22"))
    second = None
    try:
        second = other.create_network("kt-engine-subnet-test-b", labels)
        assert blocker.subnet is not None and second.subnet is not None
        assert not blocker.subnet.overlaps(second.subnet)
        assert second.subnet in backend.used_subnets()
    finally:
        backend.remove_network(blocker.name)
        if second is not None:
            backend.remove_network(second.name)
    assert backend.find_labelled("kurtosis-tui.run", "engine-subnet-test") == []


@pytest.mark.docker
def test_real_overlap_error_is_recognised_and_retried() -> None:
    from kurtosis_tui.backend.docker_backend import DockerBackend

    class Blind(DockerBackend):
        """Sees no existing networks, as if another run created one a moment ago."""

        def used_subnets(self) -> list[IPv4Network]:
            return []

    backend = Blind()
    labels = {"kurtosis-tui.run": "engine-subnet-race"}
    first = SubnetPool(backend, net("172.29.244.0/23")).create_network(
        "kt-engine-subnet-race-a", labels)
    second = None
    try:
        second = SubnetPool(backend, net("172.29.244.0/23")).create_network(
            "kt-engine-subnet-race-b", labels)
        assert (first.subnet, second.subnet) == (net("172.29.244.0/24"), net("172.29.245.0/24"))
    finally:
        backend.remove_network(first.name)
        if second is not None:
            backend.remove_network(second.name)
    assert backend.find_labelled("kurtosis-tui.run", "engine-subnet-race") == []
