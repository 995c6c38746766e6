"""A one-line input that ``escape`` clears and closes (the tests filter, the log search)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class EscInput(Input):
    """Reports ``escape`` as an empty submission: whoever owns the box closes it."""

    BINDINGS = [Binding("escape", "cancel", "Clear", show=False)]

    def allow_focus(self) -> bool:
        """Only while shown: the screen focuses its first focusable widget as it opens,
        and keys typed then (a ``q``) would go, unseen, into a hidden box."""
        return self.display and super().allow_focus()

    def action_cancel(self) -> None:
        self.value = ""
        self.post_message(self.Submitted(self, "", None))
