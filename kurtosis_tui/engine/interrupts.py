"""Ctrl-C and SIGTERM over the whole process: from the entry point's first line to its exit.

A run's own stop (``signals.InterruptGuard``: graceful first, at once second) takes
over once the run is about to open its session. Around it the process is still
interruptible: while Python imports the commands (0.1-0.3 s), parses, finds the
suite, asks the engine; and, the command over, while the interpreter shuts down.
Left to Python there, a Ctrl-C raised ``KeyboardInterrupt`` wherever it landed:
an import half done before ``main`` had its ``try`` (a traceback), a weakref
callback or ``__del__`` (printed as "Exception ignored" and lost: the command went
on to exit 0), a shutdown hook (a traceback); and SIGTERM killed silently (143,
no line), where the README promises 130 for both.

``install()``, the entry point's first call, puts one policy in place:

- while the command runs, a first SIGINT or SIGTERM raises ``KeyboardInterrupt``
  (the CLI says ``interrupted`` once and exits 130); a second quits at once (130,
  the same line, said once). Nothing needs removing before a run opens its
  session; from then on the run's guard holds the signals and removes what the
  run made.
- a ``KeyboardInterrupt`` Python swallowed (raised inside a weakref callback, a
  ``__del__``, the collector) is not printed and is raised again (the run's guard
  re-raises it too: ``take_owed``).
- one that C code turned into an error that was then ignored (``lost``) is raised
  again by the run's guard as it takes over, before the run makes anything; a
  command that went on anyway ends as interrupted.
- ``exiting(code)``, once the command is over: a signal ends the process at once
  with the code it was about to exit with. Output is flushed first; nothing is
  left to stop, and no shutdown hook is cut in half to print a traceback.

What runs before the entry point's first line (the interpreter's start-up, the
``site`` module, the installer's script importing ``re``) is Python's alone: a
Ctrl-C there is Python's traceback, a SIGTERM its silent exit. Keep the entry
point's module and this one light so that this window stays that small.

Only the standard library is imported here, and nothing heavy: this module is
loaded before the handling is in place.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys

TYPE_CHECKING = False  # not ``typing``'s: importing typing alone takes ~3 ms here
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any

#: The shell's code for an interrupted command (128 + SIGINT), SIGTERM's too (README).
EXIT_INTERRUPTED = 130
#: The one line an interrupted command prints.
LINE = "kurtosis-tui: interrupted"

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ProcessInterrupts:
    """The process's SIGINT/SIGTERM policy outside a run's guard (see the module)."""

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._previous_hook: Any = None
        self._fresh()

    def _fresh(self) -> None:
        self._raised = False  # a first signal raised its KeyboardInterrupt
        self._owed = False  # ... which Python swallowed: raise it again
        self._said = False
        self._delivered = False  # the CLI caught a KeyboardInterrupt
        self._hooking = False  # inside ``_unraisable``
        self._exit_code: int | None = None  # set once the command is over

    def install(self) -> ProcessInterrupts:
        self._fresh()  # each command starts afresh (tests run several in one process)
        for sig in _SIGNALS:
            if signal.getsignal(sig) is not signal.SIG_IGN:  # a script's `cmd &`: ignored
                self._previous[sig] = signal.signal(sig, self._handle)
        self._previous_hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        return self

    def uninstall(self) -> None:
        """The previous handlers back (a caller in a process of its own: tests)."""
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._previous_hook is not None:
            sys.unraisablehook = self._previous_hook
            self._previous_hook = None

    def say(self) -> None:
        """The one line, at most once, written raw: a handler may call it mid-print."""
        if self._said:
            return
        _flush()  # what the command printed comes first (a second signal here says it)
        self._said = True
        _write(LINE)

    def exiting(self, code: int) -> None:
        """The command is over: from now on a signal exits at once with ``code``.

        The handlers are ours again (a run's guard keeps its own once it was
        interrupted); output is flushed first, so the exit loses none of it."""
        _flush()
        self._exit_code = code
        for sig in self._previous:
            signal.signal(sig, self._handle)

    def delivered(self) -> None:
        """The CLI caught a KeyboardInterrupt (called first thing where it does)."""
        self._delivered = True

    def lost(self) -> bool:
        """Whether a first signal's KeyboardInterrupt never reached the CLI: C code can
        replace it (``PyCapsule_Import``, as ``xml.etree`` first imports ``pyexpat``,
        turns it into the ImportError that module then ignores: a run stopped ~300 ms
        in, as it imported its JUnit view, went on to the end and exited 0)."""
        return self._raised and not self._delivered

    def take_owed(self) -> bool:
        """Whether a swallowed KeyboardInterrupt is owed (cleared once taken)."""
        owed, self._owed = self._owed, False
        return owed

    def later(self, signum: int) -> bool:
        """Whether the signal landed inside the hook below: then it comes again once
        the hook is over (raised in the hook, it would be swallowed in its turn)."""
        if not self._hooking:
            return False
        _again(signum)
        return True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._exit_code is not None:
            os._exit(self._exit_code)
        if self.later(signum):
            return
        if self.take_owed():
            raise KeyboardInterrupt
        if self._raised:  # a second signal: at once
            self.say()
            os._exit(EXIT_INTERRUPTED)
        self._raised = True
        raise KeyboardInterrupt

    def _unraisable(self, unraisable: Any) -> None:
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            (self._previous_hook or sys.__unraisablehook__)(unraisable)
            return
        # A handler's KeyboardInterrupt landed where Python cannot raise it (a weakref
        # callback, ``__del__``): deliver it again, as a simulated SIGINT that the
        # handler in place (ours, or a run's guard) turns into one. Not from here: a
        # signal handled before the hook returns would be raised inside it.
        self._hooking = True
        self._owed = True
        _again(signal.SIGINT)
        self._hooking = False  # the last statement: no signal is handled after it, here


#: The process's policy; ``install()`` puts it in place.
INTERRUPTS = ProcessInterrupts()


def take_owed() -> bool:
    """For a run's guard: whether this signal re-delivers a swallowed KeyboardInterrupt."""
    return INTERRUPTS.take_owed()


def take_lost() -> bool:
    """For a run's guard, as it takes over: whether a first signal's KeyboardInterrupt
    was lost on the way (then it counts as delivered: the guard raises it again)."""
    lost = INTERRUPTS.lost()
    if lost:
        INTERRUPTS.delivered()
    return lost


def later(signum: int) -> bool:
    """For a run's guard: whether the signal must wait for the hook (``ProcessInterrupts``)."""
    return INTERRUPTS.later(signum)


def _again(signum: int) -> None:
    """``signum`` again, for the main thread, from a thread of its own: it needs the GIL,
    so it trips the signal only once the main thread lets go of it (not at once)."""
    _thread.start_new_thread(_thread.interrupt_main, (signal.Signals(signum),))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, RuntimeError):  # closed, broken, re-entered
            continue  # (not contextlib: this module loads before the handling is in place)


def _write(line: str) -> None:
    try:
        os.write(2, f"{line}\n".encode())
    except OSError:
        return
