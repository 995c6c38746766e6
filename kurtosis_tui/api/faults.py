"""Faults mid-test: the state in force, and the helpers that put it into each namespace.

Why helpers: a service image may have no shell and no ``iptables`` (a ``FROM
scratch`` busybox), and services never get ``NET_ADMIN``. So at a service's first
fault the controller starts a helper of its own image (``protocol.FAULT_IMAGE``:
Debian's iptables and iproute2) with ``NET_ADMIN`` in the service's network
namespace (``network_mode=container:<id>``), labelled with the attempt's labels and
removed at teardown. A test with no faults starts none. Every later change is one
``exec`` per helper whose rules changed. A service started again has a new
namespace: its helper is made again and its rules put back (``on_started``).

The rules themselves are computed in ``fault_rules``; what each fault needs from
the kernel is probed once per engine by the initializer (``protocol.ENV_FAULT_SUPPORT``)
or, when it did not say, once per test in the first helper.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from kurtosis_tui import events, protocol
from kurtosis_tui.api import fault_rules as fr
from kurtosis_tui.api.fault_probe import probe_support
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.api.service import Service
from kurtosis_tui.backend.types import ContainerSpec
from kurtosis_tui.errors import BackendError, FaultUnsupported, NotFound, ServiceError

_RESTORE = 'printf "%s" "$1" | iptables-restore --noflush'


@dataclass
class _Helper:
    """One service's helper: its container and what it has installed so far."""

    container: str
    jumps: bool = False  # its namespace has our chain's jumps (a new one has not)
    iptables: str = ""  # the last script applied ("" : none yet)
    tc: str = ""


class Faults:
    """Every fault of one test, and the helpers that keep them in force."""

    def __init__(
        self,
        runtime: Runtime,
        services: Callable[[], Sequence[Service]],
        image: str = protocol.FAULT_IMAGE,
        support: Mapping[str, str] | None = None,
    ) -> None:
        self._rt = runtime
        self._services = services
        self._image = image
        self._support = dict(support) if support is not None else None
        self.state = fr.FaultState()
        self._helpers: dict[str, _Helper] = {}
        self._lock = threading.RLock()  # one change at a time, applied before the next
        self._summaries: dict[str, str] = {}
        #: Threads kept for the whole test: each keeps its Docker client (and connection),
        #: so a change on several helpers costs their execs, not new clients.
        self._pool: ThreadPoolExecutor | None = None

    # ------------------------------------------------------------ the suite API's calls

    def partition(self, groups: Mapping[str, Iterable[str]]) -> None:
        if not isinstance(groups, Mapping) or not groups:
            raise ServiceError(
                'partition() takes {"group": ["service", ...], ...}, '
                f"not {groups!r}"
            )
        mapping: dict[str, str] = {}
        for group, members in groups.items():
            if isinstance(members, str):
                raise ServiceError(f"partition(): group {group!r} must list service ids, "
                                   f"not the string {members!r}")
            for member in members:
                if member in mapping:
                    raise ServiceError(
                        f"partition(): service {member!r} is in two groups "
                        f"({mapping[member]!r} and {group!r})"
                    )
                mapping[member] = str(group)
        self._known(mapping)
        self._need("partition")
        text = "; ".join(f"{g}: {', '.join(sorted(m for m in mapping if mapping[m] == g))}"
                         for g in dict.fromkeys(mapping.values()))
        with self._lock:
            self.state.groups = mapping
            self._changed("partition", f"partition {text} (others: {fr.DEFAULT_GROUP})")

    def heal(self) -> None:
        with self._lock:
            paused = self.state.paused
            self.state = fr.FaultState(paused=paused)
            self._changed("heal", "heal: every partition, block, loss, delay and limit lifted")

    def block(self, a: str, b: str, *, on: bool = True) -> None:
        self._pair_ok(a, b, "block" if on else "unblock")
        self._need("block")
        with self._lock:
            if on:
                self.state.blocked.add(fr.pair(a, b))
            else:
                self.state.blocked.discard(fr.pair(a, b))
            verb = "block" if on else "unblock"
            self._changed(verb, f"{verb} {a} <-> {b}")

    def set_loss(self, a: str, b: str, probability: float) -> None:
        self._pair_ok(a, b, "set_loss")
        if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not (
            0 <= probability <= 1
        ):
            raise ServiceError(
                f"set_loss({a!r}, {b!r}): probability must be between 0 and 1, "
                f"not {probability!r}"
            )
        self._need("loss")
        with self._lock:
            if probability == 0:
                self.state.loss.pop(fr.pair(a, b), None)
            else:
                self.state.loss[fr.pair(a, b)] = float(probability)
            self._changed("loss", f"loss {a} <-> {b}: {probability:.0%} of packets each way")

    def set_delay(self, a: str, b: str, ms: int) -> None:
        self._pair_ok(a, b, "set_delay")
        if isinstance(ms, bool) or not isinstance(ms, int) or ms < 0:
            raise ServiceError(f"set_delay({a!r}, {b!r}): ms must be an int >= 0, not {ms!r}")
        self._need("delay")
        with self._lock:
            if ms == 0:
                self.state.delay.pop(fr.pair(a, b), None)
            else:
                self.state.delay[fr.pair(a, b)] = ms
            self._changed("delay", f"delay {a} <-> {b}: {ms} ms each way")

    def limit_bandwidth(self, service: Service, rate: str | None) -> None:
        if rate is not None:
            if not isinstance(rate, str):
                raise ServiceError(f"service {service.id!r}: limit_bandwidth takes a rate "
                                   f"like '1mbit' or None, not {rate!r}")
            try:
                fr.parse_rate(rate)
            except ValueError as exc:
                raise ServiceError(f"service {service.id!r}: {exc}") from None
            self._need("bandwidth")
        with self._lock:
            if rate is None:
                self.state.limits.pop(service.id, None)
            else:
                self.state.limits[service.id] = rate.strip().lower()
            what = f"limit {service.id} egress to {rate}" if rate else f"unlimit {service.id}"
            self._changed("bandwidth", what)

    def pause(self, service: Service, on: bool = True) -> None:
        with self._lock:
            call = self._rt.backend.pause_container if on else self._rt.backend.unpause_container
            if (service.id in self.state.paused) != on:
                try:
                    call(service.container_ref)
                except BackendError as exc:
                    verb = "pause" if on else "unpause"
                    raise ServiceError(f"service {service.id!r}: cannot {verb} it: {exc}") from exc
            (self.state.paused.add if on else self.state.paused.discard)(service.id)
            self._changed("pause" if on else "unpause",
                          f"{'pause' if on else 'unpause'} {service.id}", apply=False)

    # ------------------------------------------------------------ the service's life

    def before_stop(self, service: Service) -> None:
        """A paused service is thawed before a stop, kill or restart (it re-freezes
        when started), so it can handle SIGTERM instead of waiting out the timeout."""
        with self._lock:
            if service.id in self.state.paused:
                with contextlib.suppress(BackendError):
                    self._rt.backend.unpause_container(service.container_ref)

    def on_started(self, service: Service, ip_changed: bool = True, *, first: bool = False) -> None:
        """The service started: put its faults on it (``first``: its first start, by the
        network; else it started again, in a new namespace: its helper is made again)."""
        if not self.state.any() and service.id not in self._helpers:
            return  # a test with no faults pays nothing
        with self._lock:
            old = None if first else self._helpers.pop(service.id, None)
            if old is not None:
                self._remove(old.container)
            if service.id in self.state.paused and not first:
                with contextlib.suppress(BackendError):
                    self._rt.backend.pause_container(service.container_ref)
            others = [s for s in self._services() if s.id != service.id] if ip_changed else []
            self._apply([service, *others])
            if not first:
                self._rt.log(f"fault: rules put back for service {service.id!r} (new namespace)")

    def forget(self, service: Service) -> None:
        """The service was removed: its helper and faults go, its peers drop its rules
        (its address may be given to the next container)."""
        with self._lock:
            helper = self._helpers.pop(service.id, None)
            if helper is not None:
                self._remove(helper.container)
            sid, state = service.id, self.state
            state.groups.pop(sid, None)
            state.paused.discard(sid)
            state.limits.pop(sid, None)
            state.blocked = {p for p in state.blocked if sid not in p}
            state.loss = {p: v for p, v in state.loss.items() if sid not in p}
            state.delay = {p: v for p, v in state.delay.items() if sid not in p}
            self._summaries.pop(sid, None)
            self._apply(self._services())

    def close(self, *, thaw: bool) -> None:
        """Teardown: remove every helper (``thaw``: unpause the paused services too,
        for services kept for inspection)."""
        with self._lock:
            helpers = list(self._helpers.values())
            self._helpers.clear()
            if thaw:
                for service in self._services():
                    if service.id in self.state.paused:
                        with contextlib.suppress(BackendError):
                            self._rt.backend.unpause_container(service.container_ref)
        self._parallel([lambda h=h: self._remove(h.container) for h in helpers])  # type: ignore[misc]
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None
        if helpers:
            self._rt.log(f"fault: removed {len(helpers)} helper(s)")

    @property
    def helpers(self) -> dict[str, str]:
        """Service id -> its helper container (for tests and the controller)."""
        return {sid: h.container for sid, h in self._helpers.items()}

    # ------------------------------------------------------------ internals

    def _known(self, ids: Iterable[str]) -> None:
        known = {s.id for s in self._services()}
        unknown = sorted(set(ids) - known)
        if unknown:
            names = ", ".join(repr(u) for u in unknown)
            raise ServiceError(
                f"no service {names} in this test (services: {', '.join(sorted(known)) or 'none'})"
            )

    def _pair_ok(self, a: str, b: str, what: str) -> None:
        if a == b:
            raise ServiceError(f"{what}({a!r}, {b!r}): a service with itself")
        self._known([a, b])

    def _need(self, fault: str) -> None:
        support = self._support
        if support is None:
            support = self._support = self._probe()
        missing = support.get(fault, "")
        if missing:
            raise FaultUnsupported(f"{fault} is not supported by this engine's kernel: "
                                   f"it lacks {missing}")

    def _probe(self) -> dict[str, str]:
        """What the kernel supports, asked of a helper in a namespace of its own."""
        rt = self._rt
        name = protocol.object_name(rt.run_id, rt.test, rt.attempt, "faults", "probe")
        try:
            return probe_support(rt.backend, self._image, name, rt.labels("probe"))
        except BackendError as exc:
            raise FaultUnsupported(f"cannot run the fault helper ({self._image}): {exc}; "
                                   "build it with `kurtosis-tui images`") from exc

    def _changed(self, change: str, line: str, apply: bool = True) -> None:
        if apply:
            self._apply(self._services())
        self._rt.log(f"fault: {line}")
        summaries = {s.id: self.state.summary(s.id) for s in self._services()}
        diff = {sid: text for sid, text in summaries.items()
                if self._summaries.get(sid, "") != text}
        self._summaries = summaries
        self._rt.event(events.FaultChanged, change=change, detail=line, services=diff)

    def _apply(self, services: Sequence[Service]) -> None:
        """Install each service's rules where they changed, helpers first where needed."""
        everyone = self._services()
        for service in everyone:  # one added just now may still be starting: its address
            service.wait_started()
        ips = {s.id: s.ip for s in everyone}
        work = []
        for service in services:
            rules = fr.rules_for(self.state, service.id, ips)
            if service.stopped_by_test or (rules.empty and service.id not in self._helpers):
                continue  # a stopped one gets its rules when it starts (on_started)
            work.append(lambda s=service, r=rules: self._install(s, r))
        errors = [e for e in self._parallel(work) if e is not None]
        if errors:
            raise errors[0]

    def _install(self, service: Service, rules: fr.Rules) -> None:
        helper = self._helpers.get(service.id) or self._start_helper(service)
        ipt = fr.iptables_script(rules, install_jumps=not helper.jumps)
        tc = fr.tc_script(rules, service.ip)
        parts: list[str] = []
        args: list[str] = []
        if ipt != helper.iptables:
            parts.append(_RESTORE.replace("$1", f"${len(args) + 1}"))
            args.append(ipt)
        if tc != helper.tc and (helper.tc or rules.rate or rules.delay):
            parts.append(f'sh -c "${len(args) + 1}"')
            args.append(tc)
        if not parts:
            return
        script = " && ".join(parts)
        out = self._exec(helper, service, ["sh", "-c", script, "sh", *args])
        if out is not None:
            raise ServiceError(f"service {service.id!r}: cannot put its faults in force: {out}")
        helper.jumps = True
        helper.iptables = fr.iptables_script(rules, install_jumps=False)
        helper.tc = tc

    def _exec(self, helper: _Helper, service: Service, cmd: list[str]) -> str | None:
        """Run ``cmd`` in the helper; None when it worked, else what went wrong."""
        try:
            result = self._rt.backend.exec(helper.container, cmd)
        except BackendError as exc:
            return str(exc)
        if result.exit_code == 0:
            return None
        return result.output.strip() or f"exit code {result.exit_code}"

    def _start_helper(self, service: Service) -> _Helper:
        spec = self._spec(
            service.id,
            network_mode=f"container:{service.container_ref}",
            command=["sleep", "infinity"],
        )
        try:
            try:
                state = self._rt.backend.run_container(spec)
            except BackendError:  # a helper of that name left over (its start failed): again
                self._remove(spec.name)
                state = self._rt.backend.run_container(spec)
        except NotFound as exc:
            raise ServiceError(f"service {service.id!r} is gone: cannot put faults on it") from exc
        except BackendError as exc:
            raise ServiceError(
                f"service {service.id!r}: cannot start its fault helper ({self._image}): {exc}"
            ) from exc
        # it is only ever started in a namespace new to us: no chain, no jumps yet
        helper = self._helpers[service.id] = _Helper(container=state.id)
        self._rt.log(f"fault: helper for service {service.id!r} started ({spec.name})")
        return helper

    def _parallel(self, work: Sequence[Callable[[], None]]) -> list[BaseException | None]:
        """Run each callable (side by side when there are several); what each raised."""
        if len(work) <= 1:
            return [_run(fn) for fn in work]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kt-faults")
        others = [self._pool.submit(_run, fn) for fn in work[1:]]
        here = _run(work[0])  # the calling thread too: its Docker client is warm
        return [here, *(f.result() for f in others)]

    def _spec(self, suffix: str, *, network_mode: str, command: list[str]) -> ContainerSpec:
        rt = self._rt
        name = protocol.object_name(rt.run_id, rt.test, rt.attempt, "faults", suffix)
        return ContainerSpec(
            name=name,
            image=self._image,
            labels=rt.labels(protocol.ROLE_FAULT_HELPER, **{protocol.LABEL_SERVICE: suffix}),
            command=command,
            network_mode=network_mode,
            cap_add=("NET_ADMIN",),
            init=False,  # sleep as PID 1: it is only ever force-removed
        )

    def _remove(self, container: str) -> None:
        with contextlib.suppress(BackendError):
            self._rt.backend.remove_container(container)


def _run(fn: Callable[[], None]) -> BaseException | None:
    try:
        fn()
    except BaseException as exc:
        return exc
    return None
