"""Every error kurtosis-tui raises, under one root (as the Docker SDK's ``errors``).

This module imports nothing from the package, so any layer can raise or catch
these without importing a higher one. What each family means to a user:

- ``UsageError``: bad input or environment; the CLI prints the one-line message
  (no traceback) and exits 2.
- ``BackendError``: a container engine operation failed (or the engine is gone);
  the message says what and on which object.
- ``ServiceError``: the suite API could not declare, find or drive a service;
  the message names it. ``FaultUnsupported``: a fault this kernel cannot do.
"""

from __future__ import annotations


class KurtosisTuiError(Exception):
    """The root of every error the tool raises."""


# -- usage, suite and environment (exit 2) ------------------------------------


class UsageError(KurtosisTuiError):
    """Bad input or environment: the CLI prints the message (no traceback) and exits 2."""


class SuiteError(UsageError):
    """The suite cannot be loaded: a file does not import, or two tests share a name."""

    def __init__(self, message: str, *, file: str = "", line: int = 0) -> None:
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")
        self.file = file
        self.line = line
        self.reason = message


# -- the container engine -------------------------------------------------------


class BackendError(KurtosisTuiError):
    """A container engine operation failed; the message says what and on which object."""


class EngineUnavailable(BackendError):
    """No container engine answers (or it stopped answering)."""


class ImageNotFound(BackendError):
    """The image is neither present nor pullable."""

    def __init__(self, image: str) -> None:
        hint = (
            f"build it with `docker build -t {image} DIR` "
            "(`kurtosis-tui images --examples` builds the examples' images)"
        )
        super().__init__(f"image {image!r} is not present and cannot be pulled: {hint}")
        self.image = image


class NotFound(BackendError):
    """The object does not exist (any more)."""


# -- the suite API (inside the controller) --------------------------------------


class ServiceError(KurtosisTuiError):
    """A service could not be declared, found or driven; the message names it."""


class ServiceExitedError(ServiceError):
    """A service's container exited while something waited for it to be ready."""

    def __init__(
        self, service_id: str, exit_code: int | None, check: str = "", last_output: str = ""
    ) -> None:
        code = "an unknown code" if exit_code is None else f"code {exit_code}"
        waiting = f" while waiting for {check}" if check else ""
        said = f"; its last output: {last_output}" if last_output else ""
        super().__init__(f"service {service_id!r} exited with {code}{waiting}{said}")
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


class InvalidServiceError(ServiceError, ValueError):
    """A service was declared with a bad id, duplicate id or bad argument."""


class FaultUnsupported(KurtosisTuiError):
    """The engine's kernel lacks what a fault needs; the message names what is missing."""


class TestStopped(KurtosisTuiError):
    """The controller is tearing the test down; whatever waited gives up."""

    __test__ = False  # not a pytest test class


# -- the controller's own start-up ----------------------------------------------


class ConfigError(KurtosisTuiError):
    """The environment is missing or garbles a setting; the message names the variable."""


class LoadError(KurtosisTuiError):
    """The test's file or class cannot be had; the message says which."""
