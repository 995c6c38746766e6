"""The test controller's phases: setup, availability, run, teardown, verdict.

The test's own code (``setup``, ``run``, ready checks) runs in worker threads;
the main thread only waits, with a deadline, for them, for a service to die
while awaited, or for SIGTERM. Whatever user code does, the main thread
reaches teardown on time, and the process then ends with ``os._exit`` (in
``__main__``) so a stuck user thread cannot hold it.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from functools import partial

from kurtosis_tui import events
from kurtosis_tui.api.fault_rules import decode_support
from kurtosis_tui.api.network import Network
from kurtosis_tui.api.runtime import Runtime
from kurtosis_tui.api.service import Service
from kurtosis_tui.api.test import Test
from kurtosis_tui.backend.base import Backend
from kurtosis_tui.controller.config import ControllerConfig
from kurtosis_tui.controller.loader import load_test_class
from kurtosis_tui.controller.log import ControllerLog
from kurtosis_tui.controller.log_forward import LogForwarder
from kurtosis_tui.controller.log_handover import hand_over
from kurtosis_tui.controller.monitor import ServiceMonitor
from kurtosis_tui.controller.removal import remove_services
from kurtosis_tui.controller.tails import TailCopier
from kurtosis_tui.controller.verdict import Verdict, describe_failure, format_traceback
from kurtosis_tui.errors import (
    LoadError,
    ServiceError,
    ServiceExitedError,
    ServiceNotReadyError,
    TestStopped,
)
from kurtosis_tui.events import Outcome, Phase


class _Worker:
    """User code in a daemon thread; ``done`` is set when it returns or raises."""

    def __init__(self, name: str, fn: Callable[[], None], wake: threading.Event) -> None:
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._fn = fn
        self._wake = wake
        self.thread = threading.Thread(target=self._run, name=f"kt-{name}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._fn()
        except BaseException as exc:
            self.error = exc
        finally:
            self.done.set()
            self._wake.set()


class Controller:
    """Runs one test attempt from its configuration, through a backend."""

    def __init__(self, config: ControllerConfig, backend: Backend, log: ControllerLog) -> None:
        self.config = config
        self.backend = backend
        self.log = log
        self.forwarder = LogForwarder(backend, log) if config.forward_logs else None
        self.runtime = Runtime(
            backend=backend,
            run_id=config.run_id,
            test=config.test_name,
            attempt=config.attempt,
            network=config.network,
            volume=config.volume,
            owner=config.owner,
            subnet=config.subnet,
            gateway=config.gateway,
            volume_root=config.volume_root,
            fault_image=config.fault_image,
            fault_support=decode_support(config.fault_support),
            emit=self._emit,
            log=log.line,
        )
        self.network = Network(
            self.runtime,
            on_unexpected_exit=self._on_unexpected_exit,
            on_start_over=self._on_start_over,
        )
        self.monitor = ServiceMonitor(backend, self.runtime, self.network)
        self.phase = Phase.CONTROLLER
        self._wake = threading.Event()
        self._cancelled = False
        self._fatal: Verdict | None = None
        self._crashes: list[tuple[str, int]] = []  # unexpected exits during run
        self.tails = TailCopier(backend, log)

    def _emit(self, event: events.TestEvent) -> None:
        self.log.event(event)
        if self.forwarder is not None:
            self.forwarder.on_event(event)

    # ------------------------------------------------------------ entry points

    def cancel(self) -> None:
        """SIGTERM: stop what runs and tear down (safe to call from a signal handler)."""
        if self.phase is Phase.TEARDOWN or self._cancelled:
            return
        self._cancelled = True
        # set the event from another thread: a signal handler must not take its lock
        threading.Thread(target=self._wake.set, daemon=True).start()

    def execute(self) -> Verdict:
        """The whole attempt; returns the verdict after teardown and its event."""
        verdict = Verdict(Outcome.ERRORED, "the controller stopped before deciding")
        try:
            verdict = self._phases()
        except LoadError as exc:
            cause = exc.__cause__
            host = self.config.suite_host_dir
            detail = f"\n{format_traceback(cause, host)}" if cause is not None else ""
            self.log.line(f"cannot load the test: {exc}{detail}")
            verdict = Verdict(Outcome.ERRORED, str(exc))
        except Exception as exc:
            self.log.line(f"controller error: {exc}\n{traceback.format_exc().rstrip()}")
            verdict = Verdict(Outcome.ERRORED, f"controller error: {exc}")
        finally:
            try:
                self._teardown(verdict)
            except Exception as exc:
                self.log.line(f"teardown error: {exc}\n{traceback.format_exc().rstrip()}")
            self.log.line(f"outcome: {verdict.outcome.value}" + _colon(verdict.message))
            self.runtime.event(
                events.OutcomeReported, outcome=verdict.outcome.value, message=verdict.message
            )
        return verdict

    # ------------------------------------------------------------ phases

    def _phases(self) -> Verdict:
        cfg = self.config
        self.log.line(f"test {cfg.test_name} (attempt {cfg.attempt}) from {cfg.test_file}")
        self.log.line(f"network {cfg.network} ({cfg.subnet}), volume {cfg.volume}")
        cls = load_test_class(cfg.suite_dir, cfg.test_file, cfg.test_name)
        test = _instantiate(cls, cfg.params)
        if cfg.params:  # names only: services can read this log in the volume
            self.log.line("params: " + ", ".join(
                f"{k} (secret)" if k in cfg.secrets else k for k in cfg.params))
        self.monitor.start()
        verdict = self._setup(test, cfg.setup_timeout or float(cls.setup_timeout))
        if verdict is None:
            verdict = self._run(test, cfg.run_timeout or float(cls.run_timeout))
        return verdict

    def _setup(self, test: Test, timeout: float) -> Verdict | None:
        self._enter(Phase.SETUP, f"setup (timeout {timeout:g} s)")
        deadline = self.runtime.deadline = time.monotonic() + timeout
        self.runtime.phase_timeout = timeout
        worker = _Worker("setup", lambda: test.setup(self.network), self._wake)
        stop = self._wait_for(worker.done.is_set, deadline)
        if stop is not None:
            awaited = [s for s in self.network.services if s.is_awaited]
            return self._stopped(stop, self._not_ready_message(awaited, timeout))
        if worker.error is not None:
            return self._failed("setup", worker.error, Outcome.ERRORED)
        pending = [s for s in self.network.services if not s.is_ready]
        if not pending:
            return self._fatal
        waits = [_Worker(f"ready-{s.id}", partial(self._await, s), self._wake) for s in pending]
        stop = self._wait_for(lambda: all(w.done.is_set() for w in waits), deadline)
        if stop is not None:
            return self._stopped(stop, self._not_ready_message(pending, timeout))
        return self._fatal

    def _await(self, service: Service) -> None:
        try:
            service.wait_ready()
        except ServiceExitedError as exc:
            self._set_fatal(Verdict(Outcome.ERRORED, str(exc)))
        except ServiceNotReadyError as exc:
            self._set_fatal(Verdict(Outcome.TIMED_OUT, str(exc)))
        except ServiceError as exc:
            self._set_fatal(Verdict(Outcome.ERRORED, str(exc)))
        except TestStopped:
            raise  # the stop decides the verdict
        except Exception as exc:  # e.g. the engine stopped answering: never counts as ready
            self._set_fatal(Verdict(
                Outcome.ERRORED, f"service {service.id!r}: waiting for it to be ready failed: {exc}"
            ))

    def _run(self, test: Test, timeout: float) -> Verdict:
        self._enter(Phase.RUN, f"run (timeout {timeout:g} s)")
        deadline = self.runtime.deadline = time.monotonic() + timeout
        self.runtime.phase_timeout = timeout
        worker = _Worker("run", lambda: test.run(self.network), self._wake)
        # Services added in run() start in the background: their starts count too. In
        # this phase only a failed start sets the fatal verdict.
        stop = self._wait_for(
            lambda: worker.done.is_set() and not self.network.starting(), deadline
        )
        if stop is not None:
            return self._stopped(stop, f"run() did not finish within {timeout:g} s")
        if worker.error is not None:
            return self._failed("run", worker.error, Outcome.FAILED)
        crashed = [c for c in self._crashes if c[1] != 0] or self._dead_services()
        if crashed:
            service, code = crashed[0]
            return Verdict(
                Outcome.FAILED, f"service {service!r} exited unexpectedly with code {code}"
            )
        self.log.line("run() passed")
        return Verdict(Outcome.PASSED)

    def _dead_services(self) -> list[tuple[str, int]]:
        """Services that crashed and whose die event has not reached us yet (all looked
        at side by side: one round trip, not one per service)."""

        codes: dict[str, int | None] = {}

        def look(service: Service) -> None:
            try:
                state = self.backend.container_state(service.container_ref)
            except Exception:
                return
            if not state.running:
                codes[service.id] = state.exit_code

        services = [s for s in self.network.services if not s.stopped_by_test]
        looks = [threading.Thread(target=look, args=(s,), daemon=True) for s in services]
        for thread in looks:
            thread.start()
        for thread in looks:
            thread.join()
        return [(s.id, code) for s in services if (code := codes.get(s.id))]

    def _teardown(self, verdict: Verdict) -> None:
        self._enter(Phase.TEARDOWN, "teardown")
        services = self.network.begin_teardown()
        passed = verdict.outcome is Outcome.PASSED
        if not passed:
            for service in services:
                self.tails.copy(service, again=None)
        # as the initializer does: --keep-failed keeps failures, never a cancelled test
        keep = verdict.outcome in (Outcome.FAILED, Outcome.ERRORED, Outcome.TIMED_OUT)
        kept = self.config.keep_services and keep
        self.network.faults.close(thaw=kept)  # the helpers go; a kept service is thawed
        if kept:
            names = ", ".join(s.container for s in services) or "none"
            self.log.line(f"keeping the services for inspection: {names}")
        else:
            remove_services(services, self.backend, self.runtime, self.config,
                            catch_up=self._catch_up())
        self.monitor.close()
        if self.forwarder is not None:
            self.forwarder.close()

    # ------------------------------------------------------------ helpers

    def _catch_up(self) -> Callable[[Service], None] | None:
        """What teardown sends of a service's log before removing it, for the initializer."""
        forwarder = self.forwarder
        if forwarder is not None:
            return lambda service: forwarder.catch_up(service.id)
        if self.config.hands_over_logs:
            return partial(hand_over, self.backend, self.log)
        return None

    def _enter(self, phase: Phase, what: str) -> None:
        self.phase = phase
        self.log.line(f"--- {what}")
        self.runtime.event(events.PhaseChanged, phase=phase)

    def _wait_for(
        self, done: Callable[[], bool], deadline: float, fatal: bool = True
    ) -> str | None:
        """Wait until ``done()``; otherwise why we stopped: "cancelled", "fatal" or "timeout"."""
        while True:
            self._wake.clear()
            if self._cancelled:
                return "cancelled"
            if fatal and self._fatal is not None:
                return "fatal"
            if done():
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            self._wake.wait(min(remaining, 1.0))

    def _stopped(self, why: str, timeout_message: str) -> Verdict:
        if why == "cancelled":
            self.log.line("cancelled (SIGTERM)")
            return Verdict(Outcome.CANCELLED, "cancelled")
        if why == "fatal" and self._fatal is not None:
            self.log.line(self._fatal.message)
            return self._fatal
        for service in self.network.services:
            if service.ready is not None and not service.is_ready:
                service.report_timed_out()
        self.log.line(f"timed out: {timeout_message}")
        return Verdict(Outcome.TIMED_OUT, timeout_message)

    def _failed(self, phase: str, error: BaseException, outcome: Outcome) -> Verdict:
        if self._fatal is not None:  # a service died, and the user code saw it fail
            return self._fatal
        if isinstance(error, ServiceNotReadyError):
            outcome = Outcome.TIMED_OUT
        message = describe_failure(error)
        detail = format_traceback(error, self.config.suite_host_dir)
        self.log.line(
            f"{phase}() {'failed' if outcome is Outcome.FAILED else 'raised'}: {message}\n{detail}"
        )
        return Verdict(outcome, message)

    def _set_fatal(self, verdict: Verdict) -> None:
        if self._fatal is None:
            self._fatal = verdict
        self._wake.set()

    def _on_start_over(self, service: Service, error: ServiceError | None) -> None:
        """A service's container started, or could not: that ends the test ERRORED."""
        if error is not None:
            if self.phase in (Phase.SETUP, Phase.RUN):
                self._set_fatal(Verdict(Outcome.ERRORED, str(error)))
            else:
                self.log.line(str(error))
        self._wake.set()

    def _on_unexpected_exit(self, service: Service, code: int) -> None:
        # its last lines, now: in the live log, and before teardown can remove it
        self.tails.copy(service)
        if self.phase is Phase.SETUP:
            if service.ready is not None:  # awaited (or about to be): it can never be ready
                error = service.exited_error(code)
                self._set_fatal(Verdict(Outcome.ERRORED, str(error)))
            elif code != 0:
                message = f"service {service.id!r} exited with code {code} during setup"
                self._set_fatal(Verdict(Outcome.ERRORED, message))
        elif self.phase is Phase.RUN:
            self._crashes.append((service.id, code))
        self._wake.set()

    def _not_ready_message(self, pending: list[Service], timeout: float) -> str:
        parts = []
        for s in pending:
            if s.is_ready or s.ready is None:
                continue
            last = _colon(s.ready.last_error).lstrip(":").strip()
            tail = f" (last attempt: {last})" if last else ""
            parts.append(
                f"service {s.id!r} not ready after {timeout:g} s: "
                f"{s.ready.describe()} never held{tail}"
            )
        return "; ".join(parts) or f"setup() did not finish within {timeout:g} s"


def _instantiate(cls: type[Test], params: dict[str, str]) -> Test:
    try:
        return cls(params)
    except TypeError:
        test = cls()  # a subclass whose __init__ takes no params
        test.params = dict(params)
        return test


def _colon(message: str) -> str:
    return f": {message}" if message else ""
