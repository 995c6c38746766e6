"""The suite API's Network: what ``setup`` and ``run`` receive.

A ``Network`` is one test's Docker network seen from inside the test
controller. Every call goes through the ``Backend`` the controller handed in
(``Runtime``), so this module never imports the Docker SDK and suites import
it cheaply on the host.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from kurtosis_tui import events, protocol
from kurtosis_tui.api import files as service_files
from kurtosis_tui.api.checks import Check
from kurtosis_tui.api.faults import Faults
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.api.service import Service
from kurtosis_tui.api.types import ExecResult, ServiceDir
from kurtosis_tui.api.validation import environment, split_command, validate_id
from kurtosis_tui.backend.types import ContainerSpec, Mount
from kurtosis_tui.errors import (
    BackendError,
    ImageNotFound,
    InvalidServiceError,
    ServiceError,
    TestStopped,
)

__all__ = ["ExecResult", "Network", "Service", "ServiceDir", "ServiceList"]


def _no_listener(service: Service, exit_code: int) -> None:
    """Default listener for unexpected service exits (unit tests)."""


def _no_start_listener(service: Service, error: ServiceError | None) -> None:
    """Default listener for the end of a service's start (unit tests)."""


class ServiceList(list[Service]):
    """A list of services; calling it (``network.services()``) gives the same list."""

    def __call__(self) -> list[Service]:
        return list(self)


class Network:
    """The test's network: add services to it, find them, remove them."""

    def __init__(
        self,
        runtime: Runtime,
        on_unexpected_exit: Callable[[Service, int], None] | None = None,
        on_start_over: Callable[[Service, ServiceError | None], None] | None = None,
    ) -> None:
        self._runtime = runtime
        #: Called (from the monitor's thread) when a service exits without the test asking.
        self.on_unexpected_exit = on_unexpected_exit or _no_listener
        #: Called (from the service's start thread) when its start is over: the error
        #: (ServiceError, naming the service) when it failed, else None.
        self.on_start_over = on_start_over or _no_start_listener
        self._services: dict[str, Service] = {}
        self._lock = threading.Lock()
        #: The faults in force (contract section 5): partitions, blocks, loss, delay, ...
        self.faults = Faults(
            runtime, lambda: self.services, runtime.fault_image, runtime.fault_support
        )

    @property
    def name(self) -> str:
        """The Docker network's name."""
        return self._runtime.network or ""

    @property
    def subnet(self) -> str:
        return self._runtime.subnet

    @property
    def gateway(self) -> str:
        return self._runtime.gateway

    def add_service(
        self,
        service_id: str,
        *,
        image: str,
        command: list[str] | str | None = None,
        entrypoint: list[str] | str | None = None,
        env: Mapping[str, str] | None = None,
        files: Mapping[str, str | bytes] | None = None,
        ready: Check | None = None,
    ) -> Service:
        """Write the service's files and return while its container starts in a thread.

        Consecutive calls start their containers side by side; the ``Service``
        waits for its own container whenever something needs it. A failed start
        goes to ``on_start_over`` (the controller ends the test ERRORED). Its
        ``ready`` check is polled from the moment it runs and awaited before
        ``run()``; a string command is split like a shell would (no shell runs it).
        """
        rt = self._runtime
        validate_id(service_id)
        where = f"service {service_id!r}"
        if not isinstance(image, str) or not image.strip():
            raise InvalidServiceError(f"{where}: image must be a non-empty string, not {image!r}")
        cmd = split_command(command, where, "command")
        entry = split_command(entrypoint, where, "entrypoint")
        env_vars = environment(env, where)
        service_files.validate_files(service_id, files)
        if ready is not None and not isinstance(ready, Check):
            raise InvalidServiceError(f"{where}: ready must be one of checks.*, not {ready!r}")
        with self._lock:
            if rt.stopping.is_set():
                raise TestStopped(f"the test is stopping; {where} was not started")
            if service_id in self._services:
                raise InvalidServiceError(f"duplicate service id {service_id!r}: already added")
            service = Service(rt, service_id, image, ready, self._unexpected_exit)
            service.faults = self.faults
            self._services[service_id] = service
        try:
            service_files.write_files(service_id, Path(service.dir), files)
        except BaseException:
            self._forget(service_id)
            raise
        rt.event(events.ServiceStarting, service=service_id, image=image)
        rt.log(f"starting service {service_id!r} from image {image}")
        service.starting()
        spec = self._spec(service, cmd, entry, env_vars)
        threading.Thread(
            target=self._start, args=(service, spec), name=f"kt-start-{service_id}", daemon=True
        ).start()
        return service

    def starting(self) -> bool:
        """Whether a service's container is still being started."""
        return any(s.is_starting for s in self.services)

    def _start(self, service: Service, spec: ContainerSpec) -> None:
        """Start the service's container, tell the listener, then poll its check."""
        rt, where = self._runtime, f"service {service.id!r}"
        try:
            state = rt.backend.run_container(spec)
        except Exception as exc:
            if isinstance(exc, ImageNotFound):
                error = ServiceError(f"{where}: {exc}")
            else:
                detail = str(exc) if isinstance(exc, BackendError) else repr(exc)
                error = ServiceError(f"{where} could not start: {detail}")
            self._forget(service.id)
            service.record_start_failure(error)
            self.on_start_over(service, error)
            return
        rt.event(
            events.ServiceStarted,
            service=service.id,
            container=service.container,
            container_id=state.id,
            ip=state.ip,
        )
        rt.log(f"service {service.id!r} started: container {service.container}, ip {state.ip}")
        service.record_start(state)  # after its event: teardown, woken by it, comes after
        try:
            self.faults.on_started(service, first=True)  # a partition in force: `default`
        except ServiceError as error:  # the faults in force could not be put on it
            self.on_start_over(service, error)
            return
        self.on_start_over(service, None)
        if service.ready is None:
            service.mark_ready()
        else:
            service.watch_ready()

    def service(self, service_id: str) -> Service:
        """The service with this id; an error naming it (and the known ones) if none."""
        with self._lock:
            found = self._services.get(service_id)
            known = ", ".join(sorted(self._services)) or "none"
        if found is None:
            raise ServiceError(f"no service {service_id!r} in this test (services: {known})")
        return found

    @property
    def services(self) -> ServiceList:
        """Every service added and not removed, in the order they were added."""
        with self._lock:
            return ServiceList(self._services.values())

    def remove_service(self, service_id: str) -> None:
        """Remove the service's container at once (its directory stays)."""
        service = self.service(service_id)
        service.removed = True
        self._runtime.log(f"removing service {service_id!r}")
        try:
            self._runtime.backend.remove_container(service.container_ref)
        except BackendError as exc:
            service.removed = False
            raise ServiceError(f"service {service_id!r}: cannot remove: {exc}") from exc
        self._forget(service_id)
        self.faults.forget(service)
        self._runtime.event(events.ServiceRemoved, service=service_id)

    # ------------------------------------------------------------ faults (contract section 5)

    def partition(self, groups: Mapping[str, list[str]]) -> None:
        """Services in different groups cannot exchange any packet; every service not
        named is in group ``default``. Replaces the partition in force, atomically."""
        self.faults.partition(groups)

    def heal(self) -> None:
        """Lift every partition, block, loss, delay and bandwidth limit."""
        self.faults.heal()

    def block(self, a: str, b: str) -> None:
        """``a`` and ``b`` cannot exchange any packet, both ways."""
        self.faults.block(a, b)

    def unblock(self, a: str, b: str) -> None:
        self.faults.block(a, b, on=False)

    def set_loss(self, a: str, b: str, probability: float) -> None:
        """Drop each packet between ``a`` and ``b`` (each way) with ``probability``; 0 lifts it."""
        self.faults.set_loss(a, b, probability)

    def set_delay(self, a: str, b: str, *, ms: int) -> None:
        """Add ``ms`` of latency each way between ``a`` and ``b`` (needs sch_netem); 0 lifts it."""
        self.faults.set_delay(a, b, ms)

    def lookup(self, service_id: str) -> Service | None:
        """The service, or None (for the controller's monitor: never raises)."""
        with self._lock:
            return self._services.get(service_id)

    def begin_teardown(self) -> list[Service]:
        """Refuse new services from now on; the services to tear down."""
        with self._lock:
            self._runtime.stopping.set()
            return list(self._services.values())

    def _unexpected_exit(self, service: Service, exit_code: int) -> None:
        self.on_unexpected_exit(service, exit_code)

    def _forget(self, service_id: str) -> None:
        with self._lock:
            self._services.pop(service_id, None)

    def _spec(
        self,
        service: Service,
        cmd: list[str] | None,
        entrypoint: list[str] | None,
        env: dict[str, str],
    ) -> ContainerSpec:
        rt = self._runtime
        mounts: tuple[Mount, ...] = ()
        if rt.volume:
            mounts = (Mount(source=rt.volume, target=rt.service_mount),)
        return ContainerSpec(
            name=service.container,
            image=service.image,
            labels=rt.labels("service", **{protocol.LABEL_SERVICE: service.id}),
            command=cmd,
            entrypoint=entrypoint,
            env=env,
            network=rt.network,
            aliases=(service.id,),
            hostname=service.id,
            mounts=mounts,
            init=True,
        )
