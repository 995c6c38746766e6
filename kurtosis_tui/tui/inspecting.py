"""Keys that look into a live run (issue 15): ``x`` a shell, ``e`` the editor, ``y`` copy,
and the CPU / memory the services panel shows.

A shell or an editor takes the terminal: the app is suspended (``App.suspend``)
until it exits; engine threads go on, and their events wait in the app's queue.
Asking the engine for a shell's command line may wait on Docker, so it runs in
a thread of its own, never in a handler or on Textual's worker pool. CPU and
memory come from the session's sampler, which never blocks the UI.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from textual.app import SuspendNotSupported

from kurtosis_tui.errors import KurtosisTuiError
from kurtosis_tui.events import ResourceUsage
from kurtosis_tui.tui.actions import RunActions
from kurtosis_tui.tui.components.log_panel import LogPanel
from kurtosis_tui.tui.components.services_table import ServicesTable
from kurtosis_tui.tui.rows import CONTROLLER

CLIP_LIMIT = 100_000  # bytes ``y`` copies at most: terminals cap OSC 52 (xterm: 100 kB)
USAGE_SECONDS = 2.0  # how often the services panel's CPU / memory refresh

Launcher = Callable[[list[str]], int]


class InspectActions(RunActions):
    """``x``, ``e``, ``y`` and CPU / memory; ``KurtosisApp`` sets the state up."""

    suite_dir: Path | None
    usage: dict[str, ResourceUsage]
    launch: Launcher  # runs a program on the terminal, the app suspended (tests replace it)

    # ------------------------------------------------------------ y

    def action_copy_log(self) -> None:
        """``y``: the shown log to the clipboard (OSC 52), its last 100 kB at most."""
        buffer = self.query_one(LogPanel).log_view.buffer
        if buffer is None or not buffer.lines:
            self.notify("no log to copy", severity="warning")
            return
        text, cut = clip_tail(buffer.text(), CLIP_LIMIT)
        self.copy_to_clipboard(text)
        lines = text.count("\n")
        if cut:
            self.notify(f"copied the last 100 kB ({lines:,} lines) of the log: "
                        "the clipboard takes no more; s saves it all", severity="warning")
        else:
            self.notify(f"copied {lines:,} line{'' if lines == 1 else 's'} of the log")

    # ------------------------------------------------------------ e

    def action_edit_test(self) -> None:
        """``e``: the selected test's file in $VISUAL / $EDITOR / vi, at the failing line."""
        row = self.model.tests.get(self.selected) if self.selected else None
        if row is None or not row.info.file or self.suite_dir is None:
            self.notify("no test file to open", severity="warning")
            return
        path = self.suite_dir / row.info.file
        att = self._selected_attempt()
        log = att.logs.get(CONTROLLER) if att else None
        line = (failing_line(att.message if att else "", path.name)
                or raised_at(log.lines if log else [], row.info.file) or row.info.line)
        editor = editor_command()
        if editor is None:
            self.notify("no editor: set $VISUAL or $EDITOR (vi is not installed)",
                        severity="error")
            return
        self._run_on_terminal([*editor, f"+{line}", str(path)])

    # ------------------------------------------------------------ x

    def action_shell(self) -> None:
        """``x``: a shell in the selected service (the services panel's row)."""
        att = self._selected_attempt()
        table = self.query_one(ServicesTable)
        services = list(att.services.values()) if att else []
        if not services or self.selected is None:
            self.notify("no service to open a shell in", severity="warning")
            return
        svc = services[min(max(table.cursor_row, 0), len(services) - 1)]
        if svc.state != "running" or not svc.container:
            self.notify(f"service {svc.id!r} is not running ({svc.state}): no shell",
                        severity="warning")
            return
        session = self.session
        if session is None or self.closing:
            self.notify("the session is not open yet", severity="warning")
            return
        self.notify(f"opening a shell in {svc.id}…", timeout=2)

        def ask() -> None:  # exec probes: a thread of its own, not the worker pool
            try:
                argv = session.shell_command(svc.container, svc.id)
            except KurtosisTuiError as exc:
                self.call_from_thread(self.notify, str(exc), severity="error")
                return
            except Exception as exc:  # a thread of ours: say it, never die mute
                self.call_from_thread(self.notify, f"no shell in {svc.id}: {exc}",
                                      severity="error")
                return
            self.call_from_thread(self._run_on_terminal, argv)

        threading.Thread(target=ask, name="kt-shell", daemon=True).start()

    def _run_on_terminal(self, argv: list[str]) -> None:
        try:
            code = self.launch(argv)
        except SuspendNotSupported:
            self.notify("this terminal cannot be handed over (the app cannot suspend)",
                        severity="error")
            return
        except OSError as exc:
            self.notify(f"cannot run {argv[0]}: {exc.strerror or exc}", severity="error")
            return
        self.refresh(layout=True)
        if code not in (0, None):
            self.notify(f"{Path(argv[0]).name} exited with {code}", severity="warning")

    # ------------------------------------------------------------ CPU / memory

    def poll_usage(self) -> None:
        """Every 2 s: the sampler's latest readings for the running services."""
        session = self.session
        if session is None or self.closing or not self.is_running:
            return
        containers = [
            svc.container for row in self.model.tests.values()
            for att in row.attempts.values() if att.state != "finished"
            for svc in att.services.values() if svc.state == "running" and svc.container
        ]
        usage = session.resource_usage(containers) if containers else {}
        if usage != self.usage:
            self.usage = usage
            self.query_one(ServicesTable).update_from(self._selected_attempt(), self.clock())


def clip_tail(text: str, limit: int) -> tuple[str, bool]:
    """``text``, or its last whole lines within ``limit`` bytes of UTF-8; True when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    tail = data[len(data) - limit:]
    start = tail.find(b"\n") + 1  # from a line's start (0 when one line is all of it)
    return tail[start:].decode("utf-8", "ignore"), True


def failing_line(message: str, file_name: str) -> int | None:
    """The line of ``file_name`` a failure's message points at (``hello.py:21``)."""
    found = re.findall(rf"(?:^|[\s(/]){re.escape(file_name)}:(\d+)", message)
    return int(found[-1]) if found else None


def raised_at(log: Sequence[str], file: str) -> int | None:
    """The line of the suite's ``file`` (relative to the suite) that the last traceback
    in a controller log passed through: only an assert's message names its line."""
    pattern = re.compile(rf'File "(?:[^"]*/)?{re.escape(file)}", line (\d+)')
    for text in reversed(log):
        found = pattern.search(text)
        if found:
            return int(found.group(1))
    return None


def editor_command() -> list[str] | None:
    """$VISUAL, then $EDITOR, then vi; None when none of them can run."""
    for value in (os.environ.get("VISUAL"), os.environ.get("EDITOR"), "vi"):
        argv = shlex.split(value) if value else []
        if argv and shutil.which(argv[0]):
            return argv
    return None


def run_suspended(app: InspectActions, argv: list[str]) -> int:
    """Run ``argv`` on the terminal with the app suspended; its exit code.

    The terminal's Ctrl+C / Ctrl+\\ / Ctrl+Z reach the whole foreground group, so
    ours are held while it runs (the program gets the defaults back at exec): the
    shell's Ctrl+C must not quit the TUI.
    """
    with app.suspend():
        held = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP):
                held[sig] = signal.signal(sig, _hold)
        try:
            return subprocess.run(argv, check=False).returncode
        finally:
            for sig, handler in held.items():
                signal.signal(sig, handler)


def _hold(signum: int, frame: object) -> None:
    """A handler that does nothing (unlike SIG_IGN, exec resets it for the child)."""
