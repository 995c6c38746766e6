"""Messages the app posts into itself (from engine threads and workers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from kurtosis_tui.events import Event

if TYPE_CHECKING:
    from kurtosis_tui.watch.plan import WatchPlan  # watchfiles loads only when watching


class RunEvent(Message):
    """An event of the run's stream, delivered on the UI thread (Docker's own events
    are ``backend.ContainerEvent``)."""

    def __init__(self, event: Event) -> None:
        super().__init__()
        self.event = event


class SessionReady(Message):
    """The session opened (in a worker); tests can be scheduled."""


class Progress(Message):
    """The engine says what it is doing before tests start (an image build, say)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class WatchPlanned(Message):
    """The watcher's plan for a burst of saves (see ``kurtosis_tui.watch.plan``)."""

    def __init__(self, plan: WatchPlan) -> None:
        super().__init__()
        self.plan = plan


class TornDown(Message):
    """``session.close()`` returned: everything the run created is gone."""
