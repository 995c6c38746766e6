"""Messages the app posts into itself (from engine threads and workers)."""

from __future__ import annotations

from textual.message import Message

from kurtosis_tui.events import Event


class EngineEvent(Message):
    """An engine event, delivered on the UI thread."""

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


class TornDown(Message):
    """``session.close()`` returned: everything the run created is gone."""


class TestSelected(Message):
    """The user moved to another test in the tests panel."""

    __test__ = False

    def __init__(self, name: str | None) -> None:
        super().__init__()
        self.name = name
