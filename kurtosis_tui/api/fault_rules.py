"""What the faults in force mean for each service: the rules its helper installs.

Pure functions of a ``FaultState`` and the services' addresses, so the rules can be
read and unit-tested without Docker (``set_delay``'s netem commands included, which
this machine's kernel cannot run). ``faults`` runs them in the helpers.

Why this shape (from Kurtosis 1.x, see docs/anchors.md):

- Packets are dropped by ``iptables`` in the service's own network namespace, in
  one chain ``KT-FAULTS`` jumped to first from INPUT and OUTPUT. An update is one
  ``iptables-restore --noflush`` transaction that flushes and refills the chain,
  so a new partition replaces the old atomically (never all open, never all cut).
- Partitions and blocks drop on both sides (either side alone cuts the pair, so
  the cut holds while one of them restarts); loss drops on one side only, the
  pair's first id in sorted order, each way, so each packet is lost with exactly
  the probability asked for.
- The controller's address is never in a rule: checks, exec and logs keep working.
- ``tc`` shapes egress: ``tbf`` for a rate limit alone; with delays, an ``htb``
  tree with a ``netem`` leaf per delayed peer, picked by a ``u32`` match on the
  peer's address (the limit, if any, caps the tree's root class).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHAIN = "KT-FAULTS"
#: The rate of the htb tree's root when only delays are asked for (no limit).
UNLIMITED = "10gbit"
DEFAULT_GROUP = "default"

Pair = tuple[str, str]


def pair(a: str, b: str) -> Pair:
    """A pair of services in one canonical order (faults between them are symmetric)."""
    return (a, b) if a <= b else (b, a)


@dataclass
class FaultState:
    """Every fault in force in one test."""

    groups: dict[str, str] = field(default_factory=dict)  # service -> group; {}: no partition
    blocked: set[Pair] = field(default_factory=set)
    loss: dict[Pair, float] = field(default_factory=dict)
    delay: dict[Pair, int] = field(default_factory=dict)  # ms, each way
    limits: dict[str, str] = field(default_factory=dict)  # service -> tc rate
    paused: set[str] = field(default_factory=set)

    def any(self) -> bool:
        return bool(
            self.groups or self.blocked or self.loss or self.delay or self.limits or self.paused
        )

    def group_of(self, service: str) -> str | None:
        if not self.groups:
            return None
        return self.groups.get(service, DEFAULT_GROUP)

    def cut(self, a: str, b: str) -> bool:
        """No packet may pass between ``a`` and ``b``."""
        if a == b:
            return False
        if self.groups and self.group_of(a) != self.group_of(b):
            return True
        return pair(a, b) in self.blocked

    def summary(self, service: str) -> str:
        """One short line for the services panel ("" when nothing touches it)."""
        parts = []
        group = self.group_of(service)
        if group is not None:
            parts.append(f"group {group}")
        blocked = sorted(b if a == service else a for a, b in self.blocked if service in (a, b))
        if blocked:
            parts.append("blocks " + ",".join(blocked))
        for (a, b), p in sorted(self.loss.items()):
            if service in (a, b):
                parts.append(f"loss {b if a == service else a} {p:.0%}")
        for (a, b), ms in sorted(self.delay.items()):
            if service in (a, b):
                parts.append(f"delay {b if a == service else a} {ms}ms")
        if service in self.limits:
            parts.append(f"limit {self.limits[service]}")
        if service in self.paused:
            parts.append("paused")
        return ", ".join(parts)


@dataclass(frozen=True)
class Rules:
    """What one service's helper must install: drops, losses, delays and a rate."""

    drop: tuple[str, ...] = ()  # peer addresses
    loss: tuple[tuple[str, float], ...] = ()  # (peer address, probability)
    delay: tuple[tuple[str, int], ...] = ()  # (peer address, ms)
    rate: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.drop or self.loss or self.delay or self.rate)


def rules_for(state: FaultState, service: str, ips: dict[str, str]) -> Rules:
    """The rules ``service``'s namespace needs, given every service's address."""
    peers = sorted((s, ip) for s, ip in ips.items() if s != service and ip)
    drop = tuple(ip for s, ip in peers if state.cut(service, s))
    loss = tuple(
        (ip, state.loss[pair(service, s)])
        for s, ip in peers
        if pair(service, s) in state.loss and pair(service, s)[0] == service
        and ip not in drop
    )
    delay = tuple(
        (ip, state.delay[pair(service, s)]) for s, ip in peers if pair(service, s) in state.delay
    )
    return Rules(drop=drop, loss=loss, delay=delay, rate=state.limits.get(service))


def iptables_script(rules: Rules, *, install_jumps: bool) -> str:
    """The ``iptables-restore --noflush`` input: flush and refill the chain in one commit.

    ``install_jumps``: the namespace is new (no jumps yet): add them in the same commit.
    """
    lines = ["*filter", f":{CHAIN} - [0:0]"]
    for ip in rules.drop:
        lines += [f"-A {CHAIN} -s {ip}/32 -j DROP", f"-A {CHAIN} -d {ip}/32 -j DROP"]
    for ip, p in rules.loss:
        rnd = f"-m statistic --mode random --probability {p:.6f} -j DROP"
        lines += [f"-A {CHAIN} -s {ip}/32 {rnd}", f"-A {CHAIN} -d {ip}/32 {rnd}"]
    if install_jumps:
        lines += [f"-I INPUT 1 -j {CHAIN}", f"-I OUTPUT 1 -j {CHAIN}"]
    lines.append("COMMIT")
    return "\n".join(lines) + "\n"


def burst_for(rate: str) -> str:
    """A tbf bucket: 10 ms at the rate, never below 16 kB (one GSO-free burst of MTUs)."""
    bits = parse_rate(rate)
    return f"{max(16_000, int(bits / 8 / 100))}b"


_UNITS = {
    "bit": 1, "kbit": 1_000, "mbit": 1_000_000, "gbit": 1_000_000_000,
    "bps": 8, "kbps": 8_000, "mbps": 8_000_000, "gbps": 8_000_000_000,
}


def parse_rate(rate: str) -> int:
    """``"1mbit"`` -> 1_000_000 (bits per second), in tc's units; ValueError otherwise."""
    text = rate.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            number = text[: -len(unit)]
            try:
                value = float(number)
            except ValueError:
                break
            if value <= 0:
                break
            return int(value * _UNITS[unit])
    raise ValueError(
        f"bandwidth {rate!r} is not a rate like '1mbit', '500kbit' or '2mbps' (tc's units)"
    )


def tc_commands(rules: Rules, dev: str) -> list[str]:
    """The ``tc`` commands that put the egress shaping of ``rules`` on ``dev``.

    The first removes whatever was there (it may fail: there was nothing).
    """
    commands = [f"tc qdisc del dev {dev} root"]
    if not rules.delay and rules.rate is None:
        return commands
    if not rules.delay:
        assert rules.rate is not None
        return [
            *commands,
            f"tc qdisc add dev {dev} root tbf rate {rules.rate} "
            f"burst {burst_for(rules.rate)} latency 200ms",
        ]
    rate = rules.rate or UNLIMITED
    commands += [
        f"tc qdisc add dev {dev} root handle 1: htb default 2",
        f"tc class add dev {dev} parent 1: classid 1:1 htb rate {rate} ceil {rate}",
        f"tc class add dev {dev} parent 1:1 classid 1:2 htb rate {rate} ceil {rate}",
    ]
    for i, (ip, ms) in enumerate(rules.delay):
        minor = f"{16 + i:x}"
        commands += [
            f"tc class add dev {dev} parent 1:1 classid 1:{minor} htb rate {rate} ceil {rate}",
            f"tc qdisc add dev {dev} parent 1:{minor} handle {minor}: netem delay {ms}ms",
            f"tc filter add dev {dev} parent 1: protocol ip prio 1 u32 "
            f"match ip dst {ip}/32 flowid 1:{minor}",
        ]
    return commands


def tc_script(rules: Rules, ip: str) -> str:
    """A shell script running ``tc_commands`` on the interface holding ``ip`` (found in
    the namespace itself): the removal may fail, nothing else may."""
    first, *rest = tc_commands(rules, "$dev")
    find = (
        f"dev=$(ip -o -4 addr show | awk -v ip={ip} "
        "'index($4, ip \"/\") == 1 {sub(\"@.*\", \"\", $2); print $2}')"
    )
    return "\n".join([find, '[ -n "$dev" ] || dev=eth0', f"{first} 2>/dev/null", "set -e",
                      *rest]) + "\n"


# ------------------------------------------------------------------ support

#: Which kernel features each fault needs, as the probe names them.
NEEDS: dict[str, tuple[str, ...]] = {
    "partition": ("iptables",),
    "block": ("iptables",),
    "loss": ("iptables", "statistic"),
    "delay": ("htb", "u32", "netem"),
    "bandwidth": ("tbf",),
    "pause": (),
}

#: What to call a missing feature in a message.
FEATURE_NAMES = {
    "iptables": "iptables filtering in a network namespace (nf_tables or ip_tables)",
    "statistic": "the iptables statistic match (xt_statistic)",
    "htb": "the htb qdisc (sch_htb)",
    "u32": "the u32 classifier (cls_u32)",
    "netem": "the netem qdisc (sch_netem)",
    "tbf": "the tbf qdisc (sch_tbf)",
}

#: Run by a helper in a namespace of its own: one "feature=ok|missing" line each.
PROBE_SCRIPT = r"""
r() {
  name=$1; shift
  if "$@" >/dev/null 2>&1; then echo "$name=ok"; else echo "$name=missing"; fi
}
r iptables sh -c 'iptables -N KT-PROBE && iptables -A KT-PROBE -s 192.0.2.1/32 -j DROP'
r statistic iptables -A KT-PROBE -m statistic --mode random --probability 0.5 -j DROP
iptables -F KT-PROBE >/dev/null 2>&1; iptables -X KT-PROBE >/dev/null 2>&1
r tbf tc qdisc add dev lo root tbf rate 1mbit burst 16000b latency 50ms
tc qdisc del dev lo root >/dev/null 2>&1
r htb tc qdisc add dev lo root handle 1: htb default 2
r u32 tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip dst 192.0.2.1/32 flowid 1:2
tc qdisc del dev lo root >/dev/null 2>&1
r netem tc qdisc add dev lo root netem delay 1ms
tc qdisc del dev lo root >/dev/null 2>&1
true
"""


def support_from_probe(output: str) -> dict[str, str]:
    """Each fault -> "" when supported, else what the kernel lacks (from the probe's output)."""
    missing = set()
    seen = set()
    for line in output.splitlines():
        name, _, verdict = line.strip().partition("=")
        if name in FEATURE_NAMES:
            seen.add(name)
            if verdict != "ok":
                missing.add(name)
    missing |= set(FEATURE_NAMES) - seen  # a probe that died half-way proved nothing
    return {
        fault: ", ".join(FEATURE_NAMES[f] for f in needs if f in missing)
        for fault, needs in NEEDS.items()
    }


def encode_support(support: dict[str, str]) -> str:
    """For ``protocol.ENV_FAULT_SUPPORT``: ``fault=missing;fault=``."""
    return ";".join(f"{fault}={missing}" for fault, missing in sorted(support.items()))


def decode_support(text: str) -> dict[str, str] | None:
    """The inverse of ``encode_support``; None for an empty or garbled text."""
    support = {}
    for item in text.split(";"):
        fault, sep, missing = item.partition("=")
        if not sep or fault not in NEEDS:
            return None
        support[fault] = missing
    return support if set(support) == set(NEEDS) else None
