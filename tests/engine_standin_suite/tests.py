"""Tests whose behaviour the stand-in controller picks by name."""

from kurtosis_tui import Test


class Passes(Test):
    """Passes at once."""


class Fails(Test):
    """Fails with an assertion."""


class Crashes(Test):
    """The controller is SIGKILLed (exit 137)."""


class Chatty(Test):
    """3,000 log lines, then passes."""


class Hangs(Test):
    """The controller never ends: the backstop kills it."""

    setup_timeout = 1
    run_timeout = 1


class Slow(Test):
    """Runs until cancelled."""
