"""Errors the suite API raises, so the controller can tell an outcome from them.

A service that exits while it is awaited makes the test ERRORED; a ready check
that does not hold in time makes it TIMED_OUT; anything else raised from
``setup`` is ERRORED and from ``run`` is FAILED.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A service could not be declared, found or driven; the message names it."""


class ServiceExitedError(ServiceError):
    """A service's container exited while something waited for it to be ready."""

    def __init__(self, service_id: str, exit_code: int | None, check: str = "") -> None:
        code = "an unknown code" if exit_code is None else f"code {exit_code}"
        waiting = f" while waiting for {check}" if check else ""
        super().__init__(f"service {service_id!r} exited with {code}{waiting}")
        self.service_id = service_id
        self.exit_code = exit_code


class ServiceNotReadyError(ServiceError):
    """A ready check did not hold before its deadline."""

    def __init__(self, service_id: str, check: str, seconds: float, last: str = "") -> None:
        tail = f" (last attempt: {last})" if last else ""
        super().__init__(
            f"service {service_id!r} not ready after {seconds:g} s: {check} never held{tail}"
        )
        self.service_id = service_id


class TestStopped(Exception):
    """The controller is tearing the test down; whatever waited gives up."""

    __test__ = False  # not a pytest test class


class InvalidServiceError(ServiceError, ValueError):
    """A service was declared with a bad id, duplicate id or bad argument."""
