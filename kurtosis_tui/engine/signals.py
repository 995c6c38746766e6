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

A full-screen UI also passes ``hangup=True``: SIGHUP (its terminal closed) is
then handled too. The UI cannot be trusted once its terminal is gone (a write to
a hung-up terminal fails, and Textual's writer thread dies, blocking the next
write), so the guard itself runs the closer the UI gave (``attach_closer``:
cancel, tear down) in a thread and exits, the watchdog as the backstop. What the
run leaves in files (a JUnit report, the history) is still owed to the user:
``on_hangup(closed)`` writes it, at once with what finished (``closed=False``:
should the teardown outlive the watchdog) and again once the run is closed.
Nothing is written to the dead terminal. The main thread, should the UI return
meanwhile, waits in ``stand_down``/``hold_if_hung_up`` for that thread to exit
the process. The UI's own quit key calls ``begin_stop()``: the same watchdog,
and a second quit (a key, or any signal) goes through ``quit_now``.

Handlers are Python-level (``signal.signal``), never the event loop's: they run
even while the main thread is blocked, and the watchdog is a thread of its own.
But the main thread must not block for good: a signal that lands while it runs
(not waits) can stay pending in CPython (3.11) once another thread takes the GIL,
and is only handled when the main thread next takes the GIL itself. An untimed
wait never does, so a Ctrl-C was lost; the main thread's waits wake every
``WAKE`` seconds.
Handlers can only be installed from the main thread; elsewhere the guard is
inert (Python delivers signals to the main thread only).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import Any

from kurtosis_tui.backend import Backend
from kurtosis_tui.engine.interrupts import EXIT_INTERRUPTED, later, take_lost, take_owed

#: Seconds the graceful stop may take before the watchdog quits hard.
GRACE = 7.0
#: Seconds a hard quit spends removing the run's objects before it exits.
BUDGET = 2.5
#: Seconds between wake-ups of the main thread's waits, so a pending signal is handled.
WAKE = 0.25
#: Exit codes of a hard quit, by signal (the shell's 128 + signal number).
EXIT_CODES = {signal.SIGINT: EXIT_INTERRUPTED, signal.SIGTERM: 143, signal.SIGHUP: 129}

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
        hangup: bool = False,
        on_hangup: Callable[[bool], None] | None = None,
    ) -> None:
        self._on_first = on_first
        self._hangup = hangup
        self._on_hangup = on_hangup
        self._hung_up = False
        self._closer: Callable[[], None] | None = None
        self._stopping = False
        self._terminal = _TerminalState() if restore_terminal else None
        self._grace = grace
        self._budget = budget
        self._run_id: str | None = None
        self._backend: Backend | None = None
        self._count = 0
        self._previous: dict[int, Any] = {}
        self._quitting = threading.Lock()
        self._over = threading.Event()
        self._whole = 0  # depth of ``whole()`` blocks: the first signal waits for them
        self._held = False  # a KeyboardInterrupt owed once the outermost block ends

    # ------------------------------------------------------------ set-up

    def attach(self, run_id: str, backend: Backend) -> None:
        """The run whose objects a hard quit removes (known once the session is open)."""
        self._run_id, self._backend = run_id, backend

    def attach_closer(self, close: Callable[[], None]) -> None:
        """What stops the run gracefully without the UI (``Session.close``): a hang-up runs
        it, then exits. It must also wait for a stop already under way (the quit key's)."""
        self._closer = close

    @property
    def interrupted(self) -> bool:
        """Whether a stop was asked for."""
        return self._count > 0 or self._stopping

    @property
    def hung_up(self) -> bool:
        """Whether the terminal hung up: the guard's thread ends the process, not the caller."""
        return self._hung_up

    def begin_stop(self, signum: int = signal.SIGTERM, code: int | None = None) -> None:
        """A graceful stop started by the UI itself (its quit key): the same watchdog,
        which exits with ``code`` (else the signal's) if the stop hangs."""
        if self._stopping:
            return
        self._stopping = True
        threading.Thread(
            target=self._watchdog, args=(signum, code), name="kt-interrupt-watchdog", daemon=True
        ).start()

    def install(self) -> InterruptGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        if take_lost():  # a Ctrl-C before the guard whose KeyboardInterrupt was lost
            raise KeyboardInterrupt  # nothing of the run exists yet: stop here
        if self._terminal is not None:
            self._terminal.save()
        for sig in self._signals():
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _signals(self) -> tuple[signal.Signals, ...]:
        if not self._hangup or signal.getsignal(signal.SIGHUP) is signal.SIG_IGN:
            return _SIGNALS  # under nohup, a closed terminal is meant not to stop us
        return (*_SIGNALS, signal.SIGHUP)

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

    def stand_down(self) -> None:
        """The stop is over (the UI exited by itself): no watchdog, the previous handlers.
        After a hang-up the stop is not over: this waits for the process to end."""
        self.hold_if_hung_up()
        self._over.set()
        self._count, self._stopping = 0, False
        self.restore()

    def hold_if_hung_up(self) -> None:
        """On a hang-up, never return: the hang-up's thread (or the watchdog) exits the
        process once the run is closed and reported; the caller must not go on to
        write to the dead terminal, nor end the process under that thread."""
        while self._hung_up:
            time.sleep(WAKE)  # signals are still handled between sleeps

    @contextlib.contextmanager
    def whole(self) -> Iterator[None]:
        """A step the first Ctrl-C must not cut in half: its ``KeyboardInterrupt`` is
        raised once the block is done. Scheduling is one: a Ctrl-C between the
        "running 1 test" line and the queue left a test never queued, so never
        cancelled, and a summary of "no tests ran". A second signal still quits."""
        self._whole += 1
        try:
            yield
        finally:
            self._whole -= 1
            if not self._whole and self._held:
                self._held = False
                raise KeyboardInterrupt

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
        if later(signum):  # it landed in the process's unraisable hook: it comes again
            return
        if take_owed() and self._count and self._on_first is None:
            self._interrupt()  # our KeyboardInterrupt was swallowed (engine/interrupts.py)
            return
        self._count += 1
        if self._count > 1:  # a second signal: at once
            self.quit_now(signum)
            return
        if signum == signal.SIGHUP:  # even while the UI stops: it can no longer finish that
            self._hang_up(signum)
            return
        if self._stopping:  # the UI's quit key started a stop: a signal now quits at once
            self.quit_now(signum)
            return
        self.begin_stop(signum)
        self._say(
            "stopping: cancelling the tests and removing what they created "
            "(press Ctrl-C again to quit at once)"
        )
        if self._on_first is None:
            self._interrupt()
            return
        self._on_first()

    def _interrupt(self) -> None:
        if self._whole:
            self._held = True  # raised as the block ends (``whole``)
            return
        raise KeyboardInterrupt

    def _hang_up(self, signum: int) -> None:
        """The terminal is gone: close the run without the UI, report it, then exit."""
        self._hung_up = True
        if self._terminal is not None:
            self._terminal.forget()  # nothing to restore, nobody to tell
        _detach_from_terminal()
        closer, report = self._closer, self._on_hangup
        self.begin_stop(signum)

        def close_then_exit() -> None:
            if closer is not None:  # else no session is open yet: nothing to close
                _quietly(report, False)
                _quietly(closer)
            _quietly(report, True)
            self.quit_now(signum)

        threading.Thread(target=close_then_exit, name="kt-hangup-close", daemon=True).start()

    def _say(self, message: str) -> None:
        """A line on stderr, unless a full-screen UI owns the terminal (it would garble it)."""
        if self._terminal is None or self._terminal.restored:
            _say(message)

    def _watchdog(self, signum: int, code: int | None = None) -> None:
        if self._over.wait(self._grace):
            return  # the stop finished in time
        if self._terminal is not None:
            self._terminal.restore()
        self._say(f"still stopping after {self._grace:.0f} s: quitting now")
        self.quit_now(signum, code)

    def quit_now(self, signum: int = signal.SIGINT, code: int | None = None) -> None:
        """Remove what can be removed within the budget, then exit the process
        (with ``code``, else the shell's code for ``signum``)."""
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
        os._exit(code if code is not None else EXIT_CODES.get(signal.Signals(signum), 130))


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

    def forget(self) -> None:
        """The terminal hung up: writing to it would fail, so restore nothing."""
        self._fd = self._modes = None

    def restore(self) -> None:
        if self._fd is None or self._modes is None:
            return
        with contextlib.suppress(Exception):
            import termios

            os.write(self._fd, self._RESET.encode())
            termios.tcsetattr(self._fd, termios.TCSANOW, self._modes)
            self.restored = True


def _detach_from_terminal() -> None:
    """After a hang-up: write nothing to the dead terminal (each write would fail, EIO,
    and a UI's writer thread would die printing a traceback there). stdout and stderr
    go to /dev/null, and the UI's own handlers of the signals a hang-up brings along
    (the kernel sends SIGCONT with SIGHUP; Textual redraws on it) do nothing."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            os.dup2(null, fd)
        os.close(null)
    for sig in (signal.SIGCONT, signal.SIGWINCH, signal.SIGTSTP):
        # a Python no-op, not SIG_IGN: a signal already pending would then be reported
        # ("ignored due to race condition") on stderr
        signal.signal(sig, _nothing)


def _nothing(signum: int, frame: FrameType | None) -> None:
    """A handler that does nothing."""


def _quietly(call: Callable[..., None] | None, *args: Any) -> None:
    """Call it, if any, and swallow what it raises: a hang-up's exit must come."""
    if call is not None:
        with contextlib.suppress(Exception):
            call(*args)


def _remove_quietly(backend: Backend, run_id: str) -> None:
    from kurtosis_tui.engine.cleanup import remove_run

    with contextlib.suppress(Exception):  # best effort: the reaper removes the rest
        remove_run(backend, run_id)


def _say(message: str) -> None:
    """A line on stderr, written raw: a signal handler must not re-enter a buffered stream."""
    with contextlib.suppress(OSError):
        os.write(2, f"\nkurtosis-tui: {message}\n".encode())
