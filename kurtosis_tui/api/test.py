"""The base class users subclass: one test, with its settings and its two phases."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kurtosis_tui.api.network import Network


class Test:
    """A test: ``setup`` declares services, ``run`` exercises them.

    Subclasses are discovered by name in every ``*.py`` file of a suite. The
    class docstring is shown in the UI.
    """

    __test__: ClassVar[bool] = False  # keep pytest from collecting the base class

    #: Seconds for ``setup()``, availability waits included.
    setup_timeout: ClassVar[float] = 180
    #: Seconds for ``run()``.
    run_timeout: ClassVar[float] = 180

    def __init__(self, params: dict[str, str] | None = None) -> None:
        #: The ``--param KEY=VALUE`` pairs of the run.
        self.params: dict[str, str] = dict(params or {})

    def setup(self, network: Network) -> None:
        """Declare the services the test needs (``network.add_service``)."""

    def run(self, network: Network) -> None:
        """The test logic; an exception or failed assert makes the test FAILED."""


def tests_defined_in(module: ModuleType) -> list[type[Test]]:
    """The ``Test`` subclasses a suite file defines (not those it imports), in ``vars`` order.

    Discovery lists these and the controller loads one of them by name, so both
    agree on which classes of a file are its tests.
    """
    return [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type)
        and issubclass(obj, Test)
        and obj is not Test
        and obj.__module__ == module.__name__
    ]
