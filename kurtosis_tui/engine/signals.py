"""Ctrl-C and SIGTERM: stop gracefully once, quit at once the second time.

The first SIGINT or SIGTERM starts a graceful stop: by default it raises
``KeyboardInterrupt`` in the main thread (the plain run catches it, closes the
session so running tests end CANCELLED and everything is torn down, prints the
summary, exits 130); a view with its own loop (the TUI) passes ``on_first``
instead, a quick, non-blocking callable that asks its loop to close the session.

A watchdog then makes sure the tool is gone within ``GRACE`` + ``BUDGET``
seconds (under 10 s) whatever hangs. A second signal, or the watchdog, quits at
once: it removes the run's objects for at most ``BUDGET`` seconds, then calls
``os._exit``. Whatever is still left, the reaper removes when the process is
gone (its pipe closes), so a hard exit never leaks.

    with InterruptGuard() as guard:
        session = open_session(...)
        guard.attach(session.run_id, backend)
        ...

A full-screen UI passes ``on_first=quit_app(app)`` and ``restore_terminal=True``
(a hard quit then puts the terminal back the way it was before the UI started).

Handlers can only be installed from the main thread; elsewhere the guard is
inert (Python delivers signals to the main thread only).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

from kurtosis_tui.backend import Backend

#: Seconds the graceful stop may take before the watchdog quits hard.
GRACE = 7.0
#: Seconds a hard quit spends removing the run's objects before it exits.
BUDGET = 2.5
#: Exit codes of a hard quit, by signal (the shell's 128 + signal number).
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class InterruptGuard:
    """SIGINT/SIGTERM handlers for one run: graceful first, hard second."""

    def __init__(
        self,
        on_first: Callable[[], None] | None = None,
        *,
        grace: float = GRACE,
        budget: float = BUDGET,
        restore_terminal: bool = False,
    ) -> None:
        self._on_first = on_first
        self._terminal = _TerminalState() if restore_terminal else None
        self._grace = grace
        self._budget = budget
        self._run_id: str | None = None
        self._backend: Backend | None = None
        self._count = 0
        self._previous: dict[int, Any] = {}
        self._quitting = threading.Lock()

    # ------------------------------------------------------------ set-up

    def attach(self, run_id: str, backend: Backend) -> None:
        """The run whose objects a hard quit removes (known once the session is open)."""
        self._run_id, self._backend = run_id, backend

    @property
    def interrupted(self) -> bool:
        """Whether a stop was asked for."""
        return self._count > 0

    def install(self) -> InterruptGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        if self._terminal is not None:
            self._terminal.save()
        for sig in _SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def restore(self) -> None:
        """Put the previous handlers back, unless a stop is under way.

        Once interrupted, the process is on its way out: our handlers stay, so a
        second Ctrl-C during shutdown still quits at once without a traceback.
        """
        if self.interrupted or not self._previous:
            return
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()

    def __enter__(self) -> InterruptGuard:
        return self.install()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.restore()

    # ---------------------------------------------------------- handling

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self._count += 1
        if self._count > 1:
            self.quit_now(signum)
            return
        watchdog = threading.Thread(
            target=self._watchdog, args=(signum,), name="kt-interrupt-watchdog", daemon=True
        )
        watchdog.start()
        self._say(
            "stopping: cancelling the tests and removing what they created "
            "(press Ctrl-C again to quit at once)"
        )
        if self._on_first is None:
            raise KeyboardInterrupt
        self._on_first()

    def _say(self, message: str) -> None:
        """A line on stderr, unless a full-screen UI owns the terminal (it would garble it)."""
        if self._terminal is None or self._terminal.restored:
            _say(message)

    def _watchdog(self, signum: int) -> None:
        # Nothing sets this event: the process exiting is what ends the wait.
        threading.Event().wait(self._grace)
        if self._terminal is not None:
            self._terminal.restore()
        self._say(f"still stopping after {self._grace:.0f} s: quitting now")
        self.quit_now(signum)

    def quit_now(self, signum: int = signal.SIGINT) -> None:
        """Remove what can be removed within the budget, then exit the process."""
        if not self._quitting.acquire(blocking=False):
            return  # the other path (signal or watchdog) is quitting already
        if self._terminal is not None:
            self._terminal.restore()  # first, so that what follows is readable
        if self._count > 1:
            self._say("quitting now; removing what this run created")
        if self._run_id is not None and self._backend is not None:
            remover = threading.Thread(
                target=_remove_quietly, args=(self._backend, self._run_id), daemon=True
            )
            remover.start()
            remover.join(self._budget)
        os._exit(EXIT_CODES.get(signal.Signals(signum), 130))


def quit_app(app: Any) -> Callable[[], None]:
    """An ``on_first`` for a Textual app: run its ``quit`` action (which closes the session).

    The handler runs on the main thread, inside the app's event loop; it hands
    the action to a helper thread, which posts it to the loop thread-safely.
    """

    def on_first() -> None:
        def post() -> None:
            with contextlib.suppress(Exception):  # the app already ended: nothing to quit
                app.call_from_thread(app.run_action, "quit")

        threading.Thread(target=post, name="kt-interrupt-quit", daemon=True).start()

    return on_first


class _TerminalState:
    """The terminal's modes before a full-screen UI changed them, put back on a hard quit.

    ``os._exit`` skips the UI's own clean-up, which would leave the shell in raw
    mode on the alternate screen with the mouse reported.
    """

    _RESET = (
        "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"  # mouse reporting off
        "\x1b[?2004l"  # bracketed paste off
        "\x1b[?1049l"  # leave the alternate screen
        "\x1b[?25h"  # show the cursor
    )

    def __init__(self) -> None:
        self._fd: int | None = None
        self._modes: list[Any] | None = None
        self.restored = False

    def save(self) -> None:
        with contextlib.suppress(Exception):  # not a terminal, or no termios (Windows)
            import termios

            fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
            self._modes = termios.tcgetattr(fd)
            self._fd = fd

    def restore(self) -> None:
        if self._fd is None or self._modes is None:
            return
        with contextlib.suppress(Exception):
            import termios

            os.write(self._fd, self._RESET.encode())
            termios.tcsetattr(self._fd, termios.TCSANOW, self._modes)
            self.restored = True


def _remove_quietly(backend: Backend, run_id: str) -> None:
    from kurtosis_tui.engine.cleanup import remove_run

    with contextlib.suppress(Exception):  # best effort: the reaper removes the rest
        remove_run(backend, run_id)


def _say(message: str) -> None:
    """A line on stderr, written raw: a signal handler must not re-enter a buffered stream."""
    with contextlib.suppress(OSError):
        os.write(2, f"\nkurtosis-tui: {message}\n".encode())
